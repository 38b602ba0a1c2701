//! Several support bundles judged together (`--bundle a.tar b.tar ...`): each box's
//! replay gives its verdict and root causes; then the bundles are paired, a replica with
//! the leader whose bundle holds the address the replica names (its peer-sequence
//! check's parameters, read through its replay), and each pair is judged from both
//! boxes' own recorded sequence numbers and roles. Deciding only: `report::fleet` says it.
//! (Its functions are kept out of line: inlined into their one caller they took more
//! room in the binary.)

use crate::kinds::sequence::{Seat, compare};
use crate::model::{Finding, Status};
use crate::spec::Spec;
use crate::world::Target;
use crate::world::links::Links;
use std::net::IpAddr;

/// One box of the fleet: its bundle and its replay's verdict.
#[derive(Debug)]
pub struct Member {
    pub path: String,
    pub host: String,
    pub taken: String,
    pub taken_at: i64,
    pub verdict: Status,
    pub root_causes: Vec<String>,
    /// The replay's exit code, as a single `--bundle` exits.
    pub code: i32,
    /// Its own addresses (the kernel's links on its tape), loopback left out.
    pub addrs: Vec<IpAddr>,
    /// None: its spec has no sequence check.
    pub seat: Option<Seat>,
}

/// A leader and a replica that follows it, by host, and what their numbers say.
#[derive(Debug)]
pub struct Pair {
    pub leader: String,
    pub replica: String,
    /// replica-ahead, two-masters, leader-not-master, behind, in-step, or unknown.
    pub finding: &'static str,
    pub status: Status,
    pub detail: String,
}

#[derive(Debug)]
pub struct Fleet {
    pub boxes: Vec<Member>,
    pub pairs: Vec<Pair>,
    pub notes: Vec<String>,
    /// The worst of the boxes' verdicts and the pairs' findings.
    pub verdict: Status,
    /// What the verdict comes from, and whose: a pair's finding (`pair LEADER <-
    /// REPLICA`), else a box's root cause (its host).
    pub root_cause: Option<(String, String)>,
}

/// The parts of a box that pairing reads: its addresses, and its first sequence check's
/// seat, read through the replay's root.
#[inline(never)]
pub fn place(member: &mut Member, spec: &Spec, target: &Target) {
    member.seat = spec
        .checks
        .iter()
        .find_map(|c| c.params.sequence())
        .map(|s| s.seat(&target.root));
    if let Ok(links) = Links::load(target) {
        for link in links.links.values() {
            member.addrs.extend(
                link.ipv4
                    .iter()
                    .filter(|a| !a.0.is_loopback())
                    .map(|a| IpAddr::V4(a.0)),
            );
        }
    }
}

#[inline(never)]
pub fn decide(boxes: Vec<Member>) -> Fleet {
    let mut notes = Vec::new();
    let mut pairs = Vec::new();
    // Of a host's bundles, the newest (the last given, at the same time) is paired.
    let paired = |i: usize| {
        let a = &boxes[i];
        !(0..boxes.len())
            .any(|j| boxes[j].host == a.host && (a.taken_at, i) < (boxes[j].taken_at, j))
    };
    for (r, replica) in boxes.iter().enumerate() {
        if !paired(r) {
            notes.push(format!(
                "{}: {} is not its newest bundle, and is not paired",
                replica.host, replica.path
            ));
            continue;
        }
        let Some(addr) = replica.seat.as_ref().and_then(|s| s.leader) else {
            continue;
        };
        match (0..boxes.len()).find(|&l| l != r && paired(l) && boxes[l].addrs.contains(&addr)) {
            Some(l) => pairs.push(pair(&boxes[l], replica)),
            None => notes.push(format!("{}: leader {addr}: no bundle given", replica.host)),
        }
    }
    let mut verdict = Status::Pass;
    for s in boxes
        .iter()
        .map(|b| b.verdict)
        .chain(pairs.iter().map(|p| p.status))
    {
        if s.rank() > verdict.rank() {
            verdict = s;
        }
    }
    // A pair before a box: the chain explains both boxes' own words.
    let mut root_cause = None;
    if let Some(p) = pairs
        .iter()
        .find(|p| p.status == verdict && verdict.rank() > 0)
    {
        let of = format!("pair {} <- {}", p.leader, p.replica);
        root_cause = Some((p.finding.to_string(), of));
    } else if let Some(b) = boxes.iter().find(|b| b.verdict == verdict) {
        root_cause = b.root_causes.first().map(|c| (c.clone(), b.host.clone()));
    }
    Fleet {
        boxes,
        pairs,
        notes,
        verdict,
        root_cause,
    }
}

/// Replica `r` following leader `l`.
#[inline(never)]
fn pair(l: &Member, r: &Member) -> Pair {
    let mut p = Pair {
        leader: l.host.clone(),
        replica: r.host.clone(),
        finding: "unknown",
        status: Status::Skip,
        detail: "a bundle holds no sequence numbers".into(),
    };
    let Some(rs) = &r.seat else {
        return p;
    };
    let lead = &rs.leader_role;
    let theirs = l.seat.as_ref().and_then(|s| s.role.as_ref());
    let leaders = l.seat.as_ref().and_then(|s| s.local.as_ref());
    if rs.role.as_ref() == Some(lead) && theirs == Some(lead) {
        p.finding = "two-masters";
        p.status = Status::Fail;
        p.detail = format!("both are {lead}");
    } else if let Some(role) = theirs.filter(|&t| t != lead) {
        p.finding = "leader-not-master";
        p.status = Status::Fail;
        p.detail = format!("the leader is {role}, not {lead}");
    } else if let (Some(mine), Some(leaders)) = (&rs.local, leaders) {
        let o = compare(mine, leaders, rs.max_lag);
        p.detail = o.summary;
        (p.finding, p.status) = match o.finding {
            // The leader's numbers only grow: taken at or after the replica's, they
            // prove it; taken before, the leader may have caught up since.
            Finding::Fail if l.taken_at >= r.taken_at => ("replica-ahead", Status::Fail),
            Finding::Fail => {
                p.detail += &format!(
                    " (the leader's bundle was taken at {}, before the replica's at {}: \
                     it may have caught up since)",
                    l.taken, r.taken
                );
                ("replica-ahead", Status::Warn)
            }
            Finding::Warn => ("behind", Status::Warn),
            Finding::Pass => ("in-step", Status::Pass),
            _ => ("unknown", Status::Skip),
        };
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A box at `addr` taken at `at`, in `role`, naming `leader`, with T7 at `t7`.
    fn node(host: &str, at: i64, addr: &str, role: &str, leader: &str, t7: u64) -> Member {
        Member {
            path: format!("{host}{at}.tar"),
            host: host.into(),
            taken: format!("t{at}"),
            taken_at: at,
            addrs: vec![addr.parse().unwrap()],
            seat: Some(Seat {
                role: Some(role.to_string()).filter(|r| !r.is_empty()),
                leader: leader.parse().ok(),
                local: Some([("T7".to_string(), t7)].into_iter().collect()),
                max_lag: 100,
                leader_role: "master".into(),
            }),
            verdict: Status::Pass,
            root_causes: Vec::new(),
            code: 0,
        }
    }

    fn one_pair(boxes: Vec<Member>) -> (Fleet, &'static str, Status) {
        let fleet = decide(boxes);
        assert_eq!(fleet.pairs.len(), 1, "{fleet:#?}");
        let (finding, status) = (fleet.pairs[0].finding, fleet.pairs[0].status);
        (fleet, finding, status)
    }

    #[test]
    fn a_replica_ahead_of_a_newer_leader_bundle_fails() {
        let (f, finding, status) = one_pair(vec![
            node("b", 10, "10.0.0.2", "slave", "10.0.0.1", 7000),
            node("a", 20, "10.0.0.1", "master", "", 5000),
        ]);
        assert_eq!((finding, status), ("replica-ahead", Status::Fail));
        assert_eq!(
            (f.pairs[0].leader.as_str(), f.pairs[0].replica.as_str()),
            ("a", "b")
        );
        assert_eq!(
            f.pairs[0].detail,
            "ahead of its leader on 1 of 1: T7 7000 > 5000"
        );
        assert_eq!(f.verdict, Status::Fail);
        let cause = ("replica-ahead".to_string(), "pair a <- b".to_string());
        assert_eq!(f.root_cause, Some(cause));
        assert!(f.notes.is_empty(), "{:?}", f.notes);
    }

    /// Even when the replica's own check said error (its leader was out of reach).
    #[test]
    fn the_pair_outranks_a_box_that_could_not_ask() {
        let mut replica = node("b", 20, "10.0.0.2", "", "10.0.0.1", 7000);
        replica.verdict = Status::Error;
        replica.root_causes = vec!["peer-sequence".into()];
        let (f, _, status) = one_pair(vec![replica, node("a", 20, "10.0.0.1", "master", "", 5000)]);
        assert_eq!(status, Status::Fail);
        assert_eq!(f.root_cause.unwrap().0, "replica-ahead");
    }

    #[test]
    fn a_replica_ahead_of_an_older_leader_bundle_warns() {
        let (f, finding, status) = one_pair(vec![
            node("b", 20, "10.0.0.2", "slave", "10.0.0.1", 7000),
            node("a", 10, "10.0.0.1", "master", "", 5000),
        ]);
        assert_eq!((finding, status), ("replica-ahead", Status::Warn));
        assert!(
            f.pairs[0].detail.ends_with(
                "(the leader's bundle was taken at t10, before the replica's at t20: \
                 it may have caught up since)"
            ),
            "{}",
            f.pairs[0].detail
        );
        assert_eq!(f.verdict, Status::Warn);
    }

    #[test]
    fn two_masters_and_a_leader_that_is_not_master() {
        let (_, finding, status) = one_pair(vec![
            node("b", 10, "10.0.0.2", "master", "10.0.0.1", 10),
            node("a", 10, "10.0.0.1", "master", "", 10),
        ]);
        assert_eq!((finding, status), ("two-masters", Status::Fail));
        let (f, finding, status) = one_pair(vec![
            node("b", 10, "10.0.0.2", "slave", "10.0.0.1", 10),
            node("a", 10, "10.0.0.1", "slave", "10.0.0.3", 10),
        ]);
        assert_eq!((finding, status), ("leader-not-master", Status::Fail));
        assert_eq!(f.pairs[0].detail, "the leader is slave, not master");
        // a names 10.0.0.3, of which no bundle was given.
        assert_eq!(f.notes, ["a: leader 10.0.0.3: no bundle given"]);
    }

    #[test]
    fn in_step_behind_and_no_bundle_of_the_leader() {
        let (f, finding, status) = one_pair(vec![
            node("b", 10, "10.0.0.2", "slave", "10.0.0.1", 4950),
            node("a", 10, "10.0.0.1", "master", "", 5000),
        ]);
        assert_eq!((finding, status), ("in-step", Status::Pass));
        assert_eq!((f.verdict, f.root_cause), (Status::Pass, None));
        let (_, finding, status) = one_pair(vec![
            node("b", 10, "10.0.0.2", "slave", "10.0.0.1", 10),
            node("a", 10, "10.0.0.1", "master", "", 5000),
        ]);
        assert_eq!((finding, status), ("behind", Status::Warn));
        let f = decide(vec![node("b", 10, "10.0.0.2", "slave", "10.0.0.9", 1)]);
        assert!(f.pairs.is_empty());
        assert_eq!(f.notes, ["b: leader 10.0.0.9: no bundle given"]);
        assert_eq!(f.verdict, Status::Pass);
    }

    #[test]
    fn of_one_host_twice_the_newest_is_paired() {
        let f = decide(vec![
            node("a", 30, "10.0.0.1", "master", "", 9000),
            node("b", 20, "10.0.0.2", "slave", "10.0.0.1", 7000),
            node("a", 10, "10.0.0.1", "master", "", 5000),
        ]);
        assert_eq!(f.boxes.len(), 3);
        assert_eq!(f.pairs.len(), 1);
        // Behind a's newest (9000), not ahead of its older 5000.
        assert_eq!(f.pairs[0].finding, "behind");
        assert_eq!(
            f.notes,
            ["a: a10.tar is not its newest bundle, and is not paired"]
        );
    }
}
