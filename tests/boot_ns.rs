//! Boot mode against real kernel state, in fresh network and mount namespaces.
//!
//! Each scenario runs the built binary under `unshare -n -m`: the namespace's lo starts
//! really down, /dev/shm and /run are really tmpfs or really a plain directory, and /etc
//! is an overlay whose writes land in a scratch directory, so the host's /etc and
//! /dev/shm are never touched. xcbdaemon is played by tests/xcbdaemon.py, a Python
//! standard-library XML-RPC server, including its misbehaving modes.
//!
//! Needs root (namespaces, mounts). Without it, each test prints why and returns.

use crate::common;

use common::ns::{Layout, Scenario, strs};
use common::{check, repo, scratch, status, summary};
use std::time::Duration;

/// Checks that a standalone node skips: no DRBD, no role, no replicated data, no sync.
const STANDALONE_SKIPS: &[&str] = &[
    "drbd-consistent",
    "sync-age",
    "role-leftovers",
    "peer-sequence",
];

/// How many shipped checks judge boot mode, from `list`: counted, not written down, so
/// that a new boot check does not mean editing this file.
fn boot_checks() -> usize {
    let listed = common::run(&["list", "--format", "json"]).json();
    listed["checks"]
        .as_array()
        .expect("list's checks")
        .iter()
        .filter(|c| {
            c["modes"]
                .as_array()
                .is_some_and(|m| m.iter().any(|m| m == "boot"))
        })
        .count()
}

/// Every check passes, but those a standalone test namespace has nothing for.
fn all_pass(report: &serde_json::Value) {
    for c in report["checks"].as_array().expect("checks") {
        let id = c["id"].as_str().unwrap_or_default();
        let want = if STANDALONE_SKIPS.contains(&id) {
            "skip"
        } else {
            "pass"
        };
        assert_eq!(c["status"], want, "{c:#}");
    }
}

#[test]
fn healthy_box_with_legacy_layout_passes() {
    let Some((ran, _)) = Scenario::healthy("healthy-legacy").run() else {
        return;
    };
    let report = ran.json();
    all_pass(&report);
    assert_eq!(report["verdict"], "pass");
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    assert_eq!(
        report["checks"].as_array().map(Vec::len),
        Some(boot_checks()),
        "every shipped boot check ran"
    );
}

#[test]
fn healthy_box_with_modern_layout_passes() {
    let s = Scenario {
        layout: Layout::Modern,
        ..Scenario::healthy("healthy-modern")
    };
    let Some((ran, _)) = s.run() else { return };
    let report = ran.json();
    all_pass(&report);
    assert_eq!(ran.code, 0);
    let summary = summary(check(&report, "netrun-layout"));
    assert!(
        summary.contains("absent") && summary.contains("tmpfs"),
        "{summary}"
    );
}

#[test]
fn the_incident_names_etc_network_run_first_and_does_not_wait() {
    let s = Scenario {
        layout: Layout::RealDir,
        lo_up: false,
        daemon: None,
        ..Scenario::healthy("incident")
    };
    let Some((ran, _)) = s.run() else { return };
    let report = ran.json();
    assert_eq!(ran.code, 1);
    assert_eq!(report["verdict"], "fail");
    assert_eq!(status(&report, "shm-tmpfs"), "pass");
    assert_eq!(status(&report, "netrun-layout"), "fail");
    let layout = check(&report, "netrun-layout");
    assert!(
        summary(layout).contains("real directory on overlay"),
        "{layout:#}"
    );
    assert_eq!(layout["root_cause"], serde_json::Value::Null);
    let stale = check(&report, "netrun-stale");
    assert_eq!(stale["status"], "fail");
    assert!(summary(stale).contains("ifup will skip lo"), "{stale:#}");
    assert_eq!(stale["root_cause"], "netrun-layout");
    let lo = check(&report, "lo-up");
    assert_eq!(lo["status"], "fail");
    assert_eq!(lo["root_cause"], "netrun-layout");
    let rpc = check(&report, "xcbdaemon-rpc");
    assert_eq!(rpc["status"], "blocked");
    assert_eq!(rpc["blocked_by"], "lo-up");
    assert_eq!(rpc["root_cause"], "netrun-layout");
    // Blocked, not waiting out its 2s timeout: the whole run is far under a second.
    let ms = report["duration_ms"].as_f64().unwrap_or(f64::MAX);
    assert!(ms < 500.0, "took {ms} ms");

    // The same box, as a person on the console sees it.
    let human = Scenario {
        args: strs(&[]),
        ..s
    };
    let Some((ran, _)) = human.run() else { return };
    assert_eq!(ran.code, 1);
    let head: Vec<&str> = ran.stdout.lines().take(2).collect();
    assert!(head[0].contains("FAIL"), "{}", ran.stdout);
    assert!(
        head[1].starts_with("root cause: netrun-layout") && head[1].contains("/etc/network/run"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout
            .contains("netrun-layout -> netrun-stale -> lo-up -> xcbdaemon-rpc (blocked)"),
        "{}",
        ran.stdout
    );
}

// Daemons that refuse, hang, dribble, fault, send malformed, huge or entity-laden
// replies, or reset: tests/hostile.rs, on loopback without namespaces.

#[test]
fn reply_expectations_are_checked() {
    let spec = repo().join("tests/specs/xcbdaemon-expect.toml");
    let spec = spec.to_str().unwrap_or_default().to_string();
    let s = Scenario {
        args: strs(&["--format", "json", "--spec", &spec]),
        ..Scenario::healthy("rpc-expect")
    };
    let Some((ran, _)) = s.run() else { return };
    let report = ran.json();
    assert_eq!(status(&report, "lists-ping"), "pass", "{}", ran.stdout);
    assert_eq!(status(&report, "echo-struct"), "pass", "{}", ran.stdout);
    let drbd = check(&report, "lists-drbd");
    assert_eq!(drbd["status"], "fail");
    assert!(
        summary(drbd).contains("does not contain \"drbd.status\""),
        "{drbd:#}"
    );
    let pong = check(&report, "ping-pong");
    assert_eq!(
        pong["status"], "warn",
        "a warning-severity failure is a warn"
    );
    assert!(
        summary(pong).contains("answered \"pong\", expected \"ping\""),
        "{pong:#}"
    );
    assert_eq!(ran.code, 1);
}

#[test]
fn run_deadline_cuts_a_check_short() {
    let s = Scenario {
        daemon: Some("silent"),
        args: strs(&["--format", "json", "--timeout", "300ms"]),
        ..Scenario::healthy("deadline")
    };
    let Some((ran, _)) = s.run() else { return };
    let report = ran.json();
    assert_eq!(ran.code, 1);
    assert_eq!(status(&report, "xcbdaemon-rpc"), "fail");
    let ms = report["duration_ms"].as_f64().unwrap_or(f64::MAX);
    assert!(ms < 300.0 + 200.0, "a 300ms --timeout run took {ms} ms");
}

#[test]
fn admin_spec_replaces_the_vendor_file_of_the_same_name() {
    // Vendor: boot.toml (lo-up) and extra.toml (rpc); admin: boot.toml (only-lo), which
    // replaces the vendor boot.toml. /usr/lib gets a private overlay on the namespace's /run.
    let s = Scenario {
        extra: r#"mkdir -p /run/ul/u /run/ul/w
mount -t overlay overlay -o lowerdir=/usr/lib,upperdir=/run/ul/u,workdir=/run/ul/w /usr/lib
mkdir -p /usr/lib/ha-preflight/checks.d /etc/ha-preflight/checks.d
printf '[[check]]\nid = "vendor-lo"\nkind = "interface"\nmodes = ["boot"]\nname = "lo"\nwhy = "w"\nfix = "f"\n' > /usr/lib/ha-preflight/checks.d/boot.toml
printf '[[check]]\nid = "vendor-rpc"\nkind = "xmlrpc"\nmodes = ["boot"]\nurl = "http://127.0.0.1:8000/RPC2"\nwhy = "w"\nfix = "f"\n' > /usr/lib/ha-preflight/checks.d/extra.toml
printf '[[check]]\nid = "admin-lo"\nkind = "interface"\nmodes = ["boot"]\nname = "lo"\nwhy = "w"\nfix = "f"\n' > /etc/ha-preflight/checks.d/boot.toml"#.into(),
        args: strs(&["--format", "json"]),
        ..Scenario::healthy("admin-spec")
    };
    let Some((ran, _)) = s.run() else { return };
    let report = ran.json();
    let ids: Vec<&str> = report["checks"]
        .as_array()
        .map(|cs| cs.iter().filter_map(|c| c["id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(ids, vec!["admin-lo", "vendor-rpc"]);
    assert_eq!(ran.code, 0, "{}", ran.stdout);
}

#[test]
fn wait_rides_out_a_daemon_that_is_still_starting() {
    // xcbdaemon comes up a second after the check first tries: refused is transient, so
    // --wait re-checks it instead of failing the boot.
    let s = Scenario {
        daemon: None,
        extra: format!(
            "(sleep 1; exec python3 {}/tests/xcbdaemon.py --port 8000 --mode ok --lifetime 20) >/dev/null 2>&1 &",
            repo().display()
        ),
        args: strs(&["--format", "json", "--wait", "20s"]),
        ..Scenario::healthy("rpc-late")
    };
    let Some((ran, took)) = s.run() else { return };
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(status(&ran.json(), "xcbdaemon-rpc"), "pass");
    assert!(
        ran.stderr
            .contains("waiting for xcbdaemon-rpc: connection to 127.0.0.1:8000 refused"),
        "{}",
        ran.stderr
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");

    // Without --wait the same refusal is a plain failure.
    let s = Scenario {
        daemon: None,
        args: strs(&["--format", "json", "--only", "xcbdaemon-rpc"]),
        ..Scenario::healthy("rpc-late-nowait")
    };
    let Some((ran, _)) = s.run() else { return };
    assert_eq!(ran.code, 1);
}

#[test]
fn drbd_state_from_xcbdaemon() {
    let dir = scratch("drbd-xmlrpc-files");
    let text = common::fixture("drbd/proc-drbd/sync-target-with-progress-8.3.txt");
    let json = dir.join("resources.json");
    std::fs::write(
        &json,
        r#"{"r0": {"cs": "Connected", "ro": "Primary/Secondary", "ds": "UpToDate/UpToDate"},
            "r1": {"cs": "StandAlone", "ro": "Secondary/Unknown", "ds": "UpToDate/DUnknown"}}"#,
    )
    .expect("write");
    let spec = dir.join("spec.toml");
    std::fs::write(
        &spec,
        r#"[[check]]
id = "xcbdaemon-rpc"
kind = "xmlrpc"
modes = ["boot"]
url = "http://127.0.0.1:8000/RPC2"
why = "w"
fix = "f"

[[check]]
id = "drbd-text"
kind = "drbd"
modes = ["boot"]
requires = ["xcbdaemon-rpc"]
source = "xmlrpc"
url = "http://127.0.0.1:8000/RPC2"
method = "drbd.status"
reply = "proc-drbd"
why = "w"
fix = "f"

[[check]]
id = "drbd-struct"
kind = "drbd"
modes = ["boot"]
requires = ["xcbdaemon-rpc"]
source = "xmlrpc"
url = "http://127.0.0.1:8000/RPC2"
method = "drbd.resources"
reply = "struct"
why = "w"
fix = "f"
"#,
    )
    .expect("write spec");
    // The healthy scenario's daemon, started with the DRBD answers.
    let daemon = format!(
        "python3 {}/tests/xcbdaemon.py --port 8000 --mode ok --lifetime 20 --drbd-text {} --drbd-struct {} > {}/d.out 2>&1 &\ni=0; until grep -q ready {}/d.out; do i=$((i+1)); [ $i -lt 200 ] || exit 99; sleep 0.05; done",
        repo().display(),
        text.display(),
        json.display(),
        dir.display(),
        dir.display()
    );
    let s = Scenario {
        daemon: None,
        extra: daemon,
        args: strs(&[
            "--format",
            "json",
            "--spec",
            spec.to_str().unwrap_or_default(),
        ]),
        ..Scenario::healthy("drbd-xmlrpc")
    };
    let Some((ran, _)) = s.run() else { return };
    let report = ran.json();
    let text = check(&report, "drbd-text");
    assert_eq!(text["status"], "wait", "{text:#}");
    assert!(summary(text).contains("drbd0 SyncTarget 44.4%"), "{text:#}");
    let st = check(&report, "drbd-struct");
    assert_eq!(st["status"], "fail", "{st:#}");
    assert!(summary(st).starts_with("r1 StandAlone"), "{st:#}");
    assert_eq!(ran.code, 1);
}

/// Seeds 000 to 003 at once, judged by the shipped spec: a replica that once acted as
/// master (its outgoing queue still there, its sequence numbers those of seed 000, ahead
/// of the master's), a pid file left by a crash, and a sync record three days old.
#[test]
fn the_crash_and_role_leftovers_of_the_seeds_with_the_shipped_spec() {
    let s = Scenario {
        daemon: Some("ok --sequence /run/master.json"),
        extra: [
            "mount -t tmpfs tmpfs /var/lib",
            "mkdir -p /var/lib/xcbdaemon/data /var/lib/xcbdaemon/master /etc/default",
            "printf 'T7 6982\\nT9 10258\\nT15 2043\\n' > /var/lib/xcbdaemon/data/sequence",
            "touch /var/lib/xcbdaemon/master/outgoing.queue",
            "touch -d '3 days ago' /var/lib/xcbdaemon/last-sync",
            "printf '{\"T7\": 5053, \"T9\": 7919, \"T15\": 1865}' > /run/master.json",
            "printf 'XCB_ROLE=replica\\nXCB_MASTER=127.0.0.1\\n' > /etc/default/xcbdaemon",
            "true & dead=$!; wait $dead; echo $dead > /run/xcbdaemon.pid",
        ]
        .join("\n"),
        ..Scenario::healthy("seeds-leftovers")
    };
    let Some((ran, _)) = s.run() else {
        return;
    };
    let report = ran.json();
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    let stale = check(&report, "stale-locks");
    assert_eq!(stale["status"], "fail", "{stale:#}");
    assert!(summary(stale).contains("/run/xcbdaemon.pid"), "{stale:#}");
    assert!(summary(stale).contains("is not running"), "{stale:#}");
    let role = check(&report, "role-leftovers");
    assert_eq!(role["status"], "fail", "{role:#}");
    assert_eq!(
        summary(role),
        "a replica node keeps state of another role (client or master): \
         /var/lib/xcbdaemon/master/outgoing.queue"
    );
    let seq = check(&report, "peer-sequence");
    assert_eq!(seq["status"], "fail", "{seq:#}");
    assert_eq!(
        summary(seq),
        "ahead of its leader on 3 of 3: T15 2043 > 1865, T7 6982 > 5053, T9 10258 > 7919"
    );
    assert_eq!(seq["root_cause"], "role-leftovers", "{seq:#}");
    let age = check(&report, "sync-age");
    assert_eq!(age["status"], "warn", "{age:#}");
    assert!(summary(age).starts_with("last run 3d"), "{age:#}");
    assert_eq!(status(&report, "fs-errors"), "pass");
}
