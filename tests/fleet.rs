//! A fleet of bundles end to end: `collect` on the two boxes of a pair, each in network,
//! mount and UTS namespaces of its own (its own host name and address), then
//! `--bundle replica.tar leader.tar` judging them together. The replica's sequence file
//! is ahead of the leader's, and the replica could not reach its leader when it was
//! taken (its own peer-sequence says error): the pair's numbers, from both bundles,
//! name replica-ahead as the root cause. Needs root for the boxes; the command line's
//! refusals do not.

use crate::common::ns::{Scenario, strs};
use crate::common::{Ran, fixture, repo, run, scratch};
use serde_json::Value;
use std::path::Path;

const LEADER: &str = "fleet-leader";
const REPLICA: &str = "fleet-replica";

/// The shipped boot spec with peer-sequence's numbers in /run/xcbdaemon/sequence, which
/// is the box's own (each box's /run is a tmpfs of its own).
fn spec(dir: &Path) -> String {
    let boot = std::fs::read_to_string(repo().join("checks/boot.toml")).expect("boot.toml");
    let from = "local = \"/var/lib/xcbdaemon/data/sequence\"";
    assert!(boot.contains(from), "checks/boot.toml: no {from}");
    let spec = dir.join("spec");
    std::fs::create_dir_all(&spec).expect("spec dir");
    let to = "local = \"/run/xcbdaemon/sequence\"";
    std::fs::write(spec.join("boot.toml"), boot.replace(from, to)).expect("spec");
    spec.display().to_string()
}

/// `collect --output out` on a healthy box named `host`, at `addr`, whose
/// /etc/default/xcbdaemon is `env` and whose sequence file holds `numbers`. None when
/// not root.
fn take(
    name: &'static str,
    host: &str,
    addr: &str,
    env: &str,
    numbers: &str,
    spec: &str,
    out: &str,
) -> Option<Ran> {
    let extra = format!(
        "ip link add fleet0 type bridge\n\
         ip addr add {addr} dev fleet0\n\
         ip link set fleet0 up\n\
         mkdir -p /etc/default /run/xcbdaemon\n\
         printf '{env}' > /etc/default/xcbdaemon\n\
         printf '{numbers}' > /run/xcbdaemon/sequence\n"
    );
    let (ran, _) = Scenario {
        extra,
        args: strs(&["collect", "--spec", spec, "--output", out]),
        prefix: format!("unshare -u sh -c 'hostname {host} && exec \"$@\"' sh"),
        ..Scenario::healthy(name)
    }
    .run()?;
    assert_eq!(ran.code, 0, "{name}: {}\n{}", ran.stdout, ran.stderr);
    assert!(
        ran.stdout.contains(&format!("taken on {host} at")),
        "{}",
        ran.stdout
    );
    Some(ran)
}

fn leader(name: &'static str, spec: &str, out: &str) -> Option<Ran> {
    take(
        name,
        LEADER,
        "192.0.2.1/24",
        "XCB_ROLE=master\\n",
        "T7 5053\\nT9 7919\\n",
        spec,
        out,
    )
}

/// The pair in a fleet report, and its finding.
fn the_pair(report: &Value) -> &Value {
    let pairs = report["pairs"].as_array().expect("pairs");
    assert_eq!(pairs.len(), 1, "{report:#}");
    assert_eq!(pairs[0]["leader"], LEADER, "{report:#}");
    assert_eq!(pairs[0]["replica"], REPLICA, "{report:#}");
    &pairs[0]
}

/// Waits past the second in which the last bundle was taken (`taken_at` is in seconds),
/// so the next one is strictly newer.
fn next_second() {
    std::thread::sleep(std::time::Duration::from_millis(1100));
}

#[test]
fn a_replica_ahead_of_its_leader_is_the_pairs_root_cause() {
    let dir = scratch("fleet-pair");
    let spec = spec(&dir);
    let path = |name: &str| dir.join(name).display().to_string();
    // The leader's bundle before the replica's, the replica's, then the leader's again.
    let (old, replica, folder) = (path("leader-old.tar"), path("replica.tar"), path("bundles"));
    let new = format!("{folder}/leader/");
    std::fs::create_dir_all(&new).expect("mkdir");
    if leader("fleet-leader-old", &spec, &old).is_none() {
        return;
    }
    next_second();
    // The replica follows 192.0.2.1, which its own namespace cannot reach: no route.
    take(
        "fleet-replica",
        REPLICA,
        "198.51.100.2/24",
        "XCB_ROLE=replica\\nXCB_MASTER=192.0.2.1\\n",
        "T7 6982\\nT9 7919\\n",
        &spec,
        &replica,
    )
    .expect("root");
    next_second();
    leader("fleet-leader-new", &spec, &new).expect("root");

    // The leader's bundle taken after the replica's: the replica's numbers are proved
    // ahead.
    let human = run(&["--bundle", &replica, &new]);
    assert_eq!(human.code, 1, "{}\n{}", human.stdout, human.stderr);
    // Lines are wrapped at 80 columns: read as words.
    let flat = human
        .stdout
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let lines: Vec<&str> = human.stdout.lines().collect();
    assert_eq!(lines[0], "ha-preflight fleet: FAIL", "{}", human.stdout);
    assert!(
        lines[1].starts_with(&format!("{REPLICA}, taken ")),
        "{}",
        human.stdout
    );
    for said in [
        format!("{REPLICA}, taken "),
        ": ERROR, root cause peer-sequence".to_string(),
        format!("{LEADER}, taken "),
        format!(
            "pair {LEADER} <- {REPLICA}: FAIL, root cause replica-ahead: ahead of its leader on 1 of 2: T7 6982 > 5053"
        ),
    ] {
        assert!(flat.contains(&said), "{said}:\n{}", human.stdout);
    }
    let last =
        format!("fleet verdict: fail, root cause replica-ahead (pair {LEADER} <- {REPLICA})");
    assert!(flat.ends_with(&last), "{}", human.stdout);

    let json = run(&["--bundle", &replica, &new, "--format", "json"]);
    assert_eq!(json.code, 1, "{}\n{}", json.stdout, json.stderr);
    let report = json.json();
    let pair = the_pair(&report);
    assert_eq!(pair["finding"], "replica-ahead", "{report:#}");
    assert_eq!(pair["status"], "fail", "{report:#}");
    assert_eq!(report["verdict"], "fail", "{report:#}");
    assert_eq!(report["root_cause"]["id"], "replica-ahead", "{report:#}");
    // Each box as its own replay judged it: the replica could not ask its leader.
    let boxes = report["boxes"].as_array().expect("boxes");
    assert_eq!(boxes[0]["host"], REPLICA, "{report:#}");
    assert_eq!(boxes[0]["path"], replica.as_str(), "{report:#}");
    assert_eq!(boxes[0]["verdict"], "error", "{report:#}");
    assert_eq!(boxes[0]["root_causes"][0], "peer-sequence", "{report:#}");
    assert_eq!(boxes[1]["host"], LEADER, "{report:#}");
    assert_eq!(boxes[1]["verdict"], "pass", "{report:#}");
    assert!(
        boxes[1]["taken_at"].as_i64() > boxes[0]["taken_at"].as_i64(),
        "{report:#}"
    );

    // A folder of them (a tar and a folder bundle): the same.
    std::fs::copy(&replica, format!("{folder}/replica.tar")).expect("copy");
    let listed = run(&["--bundle", &folder, "--format", "json"]);
    assert_eq!(listed.code, 1, "{}\n{}", listed.stdout, listed.stderr);
    let listed = listed.json();
    assert_eq!(listed["pairs"], report["pairs"], "{listed:#}");
    assert_eq!(listed["verdict"], "fail", "{listed:#}");

    // The leader's bundle taken before the replica's: the leader may have caught up
    // since, so only a warning; the verdict is the replica's own error (exit 3).
    let older = run(&["--bundle", &replica, &old, "--format", "json"]);
    assert_eq!(older.code, 3, "{}\n{}", older.stdout, older.stderr);
    let older = older.json();
    let pair = the_pair(&older);
    assert_eq!(pair["finding"], "replica-ahead", "{older:#}");
    assert_eq!(pair["status"], "warn", "{older:#}");
    assert!(
        pair["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("it may have caught up since"),
        "{older:#}"
    );
    assert_eq!(older["verdict"], "error", "{older:#}");

    // Both of the leader's: the newest is paired, and a note says so.
    let three = run(&["--bundle", &old, &replica, &new, "--format", "json"]);
    let three = three.json();
    assert_eq!(the_pair(&three)["status"], "fail", "{three:#}");
    assert_eq!(
        three["boxes"].as_array().map(Vec::len),
        Some(3),
        "{three:#}"
    );
    let note = three["notes"][0].as_str().unwrap_or_default();
    assert!(
        note.starts_with(&format!("{LEADER}: {old} is not its newest")),
        "{three:#}"
    );
}

#[test]
fn several_bundles_are_judged_in_words_or_json_only() {
    let incident = fixture("bundle/incident.tar").display().to_string();
    for (args, said) in [
        (
            &["--format", "junit"][..],
            "--format junit does not apply to several bundles (human or json)",
        ),
        (
            &["--format", "prometheus"],
            "--format prometheus does not apply",
        ),
        (&["-v"], "-v does not apply to several bundles"),
    ] {
        let mut all = vec!["--bundle", "a.tar", "b.tar"];
        all.extend_from_slice(args);
        let ran = run(&all);
        assert_eq!(ran.code, 2, "{args:?}: {}", ran.stderr);
        assert!(ran.stderr.contains(said), "{args:?}: {}", ran.stderr);
    }
    // One bundle keeps every format.
    assert_eq!(run(&["--bundle", &incident, "--format", "junit"]).code, 1);

    // A folder of bundles: each entry told by its content, no link followed, 1 to 256.
    let dir = scratch("fleet-folder");
    let folder = dir.join("bundles");
    std::fs::create_dir(&folder).expect("mkdir");
    let shown = folder.display().to_string();
    let ran = run(&["--bundle", &shown]);
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("a folder of bundles holds 1 to 256, not 0"),
        "{}",
        ran.stderr
    );
    std::fs::copy(&incident, folder.join("incident")).expect("copy");
    std::os::unix::fs::symlink(&incident, folder.join("link.tar")).expect("link");
    let ran = run(&["--bundle", &shown]);
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("link.tar: not a support bundle: a symlink; not followed"),
        "{}",
        ran.stderr
    );
    std::fs::remove_file(folder.join("link.tar")).expect("rm");
    std::fs::write(folder.join("notes.txt"), "not a bundle\n").expect("write");
    let ran = run(&["--bundle", &shown]);
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("notes.txt: not a support bundle: not a tar archive"),
        "{}",
        ran.stderr
    );
    std::fs::remove_file(folder.join("notes.txt")).expect("rm");
    // One bundle, named without .tar, in its folder: a fleet of one.
    let ran = run(&["--bundle", &shown, "-q"]);
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    assert_eq!(
        ran.stdout,
        "fleet verdict: fail, root cause netrun-layout (node-a)\n"
    );
}
