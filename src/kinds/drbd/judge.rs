//! The verdict for one volume (doc/contracts.md, "DRBD in boot mode"):
//!
//! | state | verdict |
//! |---|---|
//! | DRBD 9 quorum lost (`quorum:no`, `"quorum": false`, suspended for quorum) | fail, whatever else holds; re-checked under `--wait` while a peer is still connecting |
//! | local UpToDate; Connected/Established, VerifyS/T, Ahead | pass |
//! | local UpToDate; SyncSource, PausedSyncS | pass (policy `sync_source`: or wait) |
//! | local UpToDate; peer absent (WFConnection, Connecting) | warn (policy `degraded`: or pass, fail) |
//! | local UpToDate; no peer configured (DRBD 9) | pass |
//! | SyncTarget, PausedSyncT, WFBitMapS/T, WFSyncUUID, StartingSyncS/T, WFReportParams | wait |
//! | Unconnected, Timeout, BrokenPipe, NetworkFailure, TearDown, Disconnecting, ProtocolError | wait (they settle within seconds) |
//! | local Attaching, Negotiating, Detaching | wait |
//! | StandAlone | fail (split brain or admin disconnect) |
//! | Behind | fail (local data lags the peer) |
//! | local Diskless (not a client), Failed, Outdated | fail |
//! | local Inconsistent with no resync towards it | fail |
//! | local Consistent without a peer | fail; connected: wait (the handshake decides) |
//! | any state not recognised | fail, naming it |

use super::Volume;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Pass,
    Warn,
    Wait,
    Fail,
}

/// Where users disagree, the spec decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Peer absent, local UpToDate: start degraded?
    pub degraded: Verdict,
    /// This node is the resync source: its data is good, but the peer's is not yet.
    pub sync_source: Verdict,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            degraded: Verdict::Warn,
            sync_source: Verdict::Pass,
        }
    }
}

const HANDSHAKE: &[&str] = &[
    "WFReportParams",
    "StartingSyncS",
    "StartingSyncT",
    "WFBitMapS",
    "WFBitMapT",
    "WFSyncUUID",
];
const TOWARDS_US: &[&str] = &["SyncTarget", "PausedSyncT"];
const TRANSIENT: &[&str] = &[
    "Unconnected",
    "Timeout",
    "BrokenPipe",
    "NetworkFailure",
    "TearDown",
    "Disconnecting",
    "ProtocolError",
];
const PEER_ABSENT: &[&str] = &["WFConnection", "Connecting"];
const HEALTHY: &[&str] = &["Connected", "Established", "VerifyS", "VerifyT", "Ahead"];
const FROM_US: &[&str] = &["SyncSource", "PausedSyncS"];
const KNOWN_CONN: &[&[&str]] = &[
    HANDSHAKE,
    TOWARDS_US,
    TRANSIENT,
    PEER_ABSENT,
    HEALTHY,
    FROM_US,
    &["StandAlone", "Behind", "Off", ""],
];

/// A volume's verdict, why, and whether a failure may heal by itself (quorum lost while
/// a peer is still connecting comes back when it connects), so `--wait` re-checks it.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    pub verdict: Verdict,
    pub why: String,
    pub may_heal: bool,
}

impl From<(Verdict, String)> for Judged {
    fn from((verdict, why): (Verdict, String)) -> Self {
        Judged {
            verdict,
            why,
            may_heal: false,
        }
    }
}

pub fn judge(v: &Volume, policy: &Policy) -> Judged {
    let conn = v.conn.as_str();
    let known_conn = KNOWN_CONN.iter().any(|set| set.contains(&conn));
    if !known_conn {
        return (Verdict::Fail, format!("unknown connection state {conn:?}")).into();
    }
    // Without quorum DRBD freezes or fails the volume's I/O (on-no-quorum) and will not
    // promote it, whatever its disk and connection say.
    if v.quorum == Some(false) {
        let connecting = [PEER_ABSENT, TRANSIENT, HANDSHAKE]
            .iter()
            .any(|set| set.contains(&conn));
        return Judged {
            verdict: Verdict::Fail,
            why: format!(
                "quorum lost (local disk {}, {}): its I/O is frozen or fails, and it cannot be promoted",
                v.disk,
                if conn.is_empty() { "no peer" } else { conn }
            ),
            may_heal: connecting,
        };
    }
    judge_states(v, conn, policy).into()
}

/// The design table for a volume with quorum (or none to judge).
fn judge_states(v: &Volume, conn: &str, policy: &Policy) -> (Verdict, String) {
    let progress = v
        .progress
        .as_ref()
        .map(|p| format!(" {p}"))
        .unwrap_or_default();
    if TOWARDS_US.contains(&conn) {
        return (
            Verdict::Wait,
            format!("{conn}{progress}: resync towards this node"),
        );
    }
    if HANDSHAKE.contains(&conn) {
        return (
            Verdict::Wait,
            format!("{conn}: handshake or resync starting"),
        );
    }
    match v.disk.as_str() {
        "UpToDate" => {}
        "Attaching" | "Negotiating" | "Detaching" => {
            return (Verdict::Wait, format!("local disk {}", v.disk));
        }
        "Diskless" if v.client => {}
        "Diskless" => {
            return (
                Verdict::Fail,
                "local disk Diskless: no backing device attached".into(),
            );
        }
        "Failed" => {
            return (
                Verdict::Fail,
                "local disk Failed: I/O error on the backing device".into(),
            );
        }
        "Outdated" => {
            return (
                Verdict::Fail,
                "local disk Outdated: the peer has newer data".into(),
            );
        }
        "Inconsistent" => {
            return (
                Verdict::Fail,
                format!("local disk Inconsistent and no resync running ({conn})"),
            );
        }
        "Consistent" if HEALTHY.contains(&conn) || FROM_US.contains(&conn) => {
            return (
                Verdict::Wait,
                "local disk Consistent: the handshake will decide".into(),
            );
        }
        "Consistent" => {
            return (
                Verdict::Fail,
                format!(
                    "local disk Consistent without a peer ({conn}): not known to be up to date"
                ),
            );
        }
        other => return (Verdict::Fail, format!("unknown disk state {other:?}")),
    }
    if conn == "StandAlone" {
        return (
            Verdict::Fail,
            "StandAlone: split brain or an administrative disconnect; never auto-start".into(),
        );
    }
    if conn == "Behind" {
        return (Verdict::Fail, "Behind: local data lags the peer".into());
    }
    if TRANSIENT.contains(&conn) {
        return (Verdict::Wait, format!("{conn}: connection in transition"));
    }
    if PEER_ABSENT.contains(&conn) || conn == "Off" {
        return (
            policy.degraded,
            format!("{conn}: peer absent, local disk UpToDate (degraded)"),
        );
    }
    if conn.is_empty() {
        return (Verdict::Pass, "UpToDate, no peer configured".into());
    }
    if FROM_US.contains(&conn) {
        return (
            policy.sync_source,
            format!("{conn}{progress}: this node is the resync source"),
        );
    }
    if v.client {
        return (
            Verdict::Pass,
            format!("diskless client, {conn}, peer disk {}", v.peer_disk),
        );
    }
    (Verdict::Pass, format!("UpToDate, {conn}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vol(conn: &str, disk: &str) -> Volume {
        Volume {
            resource: "r0".into(),
            conn: conn.into(),
            disk: disk.into(),
            peer_disk: "UpToDate".into(),
            ..Volume::default()
        }
    }

    #[test]
    fn the_design_table() {
        let p = Policy::default();
        let cases = [
            ("Connected", "UpToDate", Verdict::Pass),
            ("Established", "UpToDate", Verdict::Pass),
            ("VerifyT", "UpToDate", Verdict::Pass),
            ("SyncSource", "UpToDate", Verdict::Pass),
            ("WFConnection", "UpToDate", Verdict::Warn),
            ("Connecting", "UpToDate", Verdict::Warn),
            ("SyncTarget", "Inconsistent", Verdict::Wait),
            ("PausedSyncT", "Inconsistent", Verdict::Wait),
            ("WFBitMapT", "UpToDate", Verdict::Wait),
            ("WFSyncUUID", "Inconsistent", Verdict::Wait),
            ("Connected", "Attaching", Verdict::Wait),
            ("WFConnection", "Negotiating", Verdict::Wait),
            ("BrokenPipe", "UpToDate", Verdict::Wait),
            ("StandAlone", "UpToDate", Verdict::Fail),
            ("Connected", "Diskless", Verdict::Fail),
            ("Connected", "Failed", Verdict::Fail),
            ("WFConnection", "Outdated", Verdict::Fail),
            ("Connected", "Inconsistent", Verdict::Fail),
            ("WFConnection", "Consistent", Verdict::Fail),
            ("Behind", "UpToDate", Verdict::Fail),
            ("Bogus", "UpToDate", Verdict::Fail),
            ("Connected", "TOO_LARGE", Verdict::Fail),
            ("", "UpToDate", Verdict::Pass),
        ];
        for (conn, disk, want) in cases {
            assert_eq!(judge(&vol(conn, disk), &p).verdict, want, "{conn} {disk}");
        }
    }

    #[test]
    fn policies_change_only_their_cases() {
        let strict = Policy {
            degraded: Verdict::Fail,
            sync_source: Verdict::Wait,
        };
        assert_eq!(
            judge(&vol("WFConnection", "UpToDate"), &strict).verdict,
            Verdict::Fail
        );
        assert_eq!(
            judge(&vol("SyncSource", "UpToDate"), &strict).verdict,
            Verdict::Wait
        );
        assert_eq!(
            judge(&vol("Connected", "UpToDate"), &strict).verdict,
            Verdict::Pass
        );
    }

    #[test]
    fn unknown_states_are_named() {
        let why = judge(&vol("Bogus", "UpToDate"), &Policy::default()).why;
        assert!(why.contains("\"Bogus\""), "{why}");
    }

    #[test]
    fn lost_quorum_fails_and_heals_only_while_a_peer_connects() {
        let lost = |conn: &str| Volume {
            quorum: Some(false),
            ..vol(conn, "UpToDate")
        };
        let j = judge(&lost("Established"), &Policy::default());
        assert_eq!(j.verdict, Verdict::Fail);
        assert!(
            j.why
                .starts_with("quorum lost (local disk UpToDate, Established)"),
            "{}",
            j.why
        );
        assert!(!j.may_heal);
        assert!(judge(&lost("Connecting"), &Policy::default()).may_heal);
        assert!(!judge(&lost("StandAlone"), &Policy::default()).may_heal);
        // Quorum kept, or not reported (8.x), changes nothing.
        let kept = Volume {
            quorum: Some(true),
            ..vol("Established", "UpToDate")
        };
        assert_eq!(judge(&kept, &Policy::default()).verdict, Verdict::Pass);
    }
}
