//! Boot mode against real kernel state, in fresh network and mount namespaces.
//!
//! Each scenario runs the built binary under `unshare -n -m`: the namespace's lo starts
//! really down, /dev/shm and /run are really tmpfs or really a plain directory, and /etc
//! is an overlay whose writes land in a scratch directory, so the host's /etc and
//! /dev/shm are never touched. xcbdaemon is played by tests/xcbdaemon.py, a Python
//! standard-library XML-RPC server, including its misbehaving modes.
//!
//! Needs root (namespaces, mounts). Without it, each test prints why and returns.

mod common;

use common::{Ran, check, is_root, repo, scratch, status};
use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

/// What is mounted on /dev/shm before the scenario's own commands run.
#[derive(Clone, Copy, PartialEq)]
enum Shm {
    Tmpfs,
    /// A bind of a directory on the disk: seed 004's build host.
    PlainDir,
    /// Nothing: the scenario's `extra` lays /dev/shm out itself.
    Unmounted,
}

/// Where ifupdown's state lives in a scenario.
#[derive(Clone, Copy, PartialEq)]
enum Layout {
    /// /etc/network/run -> /dev/shm/network (ifupdown 0.6)
    LinkToShm,
    /// /etc/network/run absent, state in /run/network (ifupdown 0.8)
    Modern,
    /// /etc/network/run a real directory on the (overlay, disk-backed) /etc: seed 004
    RealDir,
}

struct Scenario {
    name: &'static str,
    shm: Shm,
    layout: Layout,
    ifstate: &'static str,
    lo_up: bool,
    /// xcbdaemon.py mode, or None for no daemon at all.
    daemon: Option<&'static str>,
    /// Extra shell run after the layout is made (before the binary).
    extra: String,
    args: Vec<String>,
}

impl Scenario {
    fn healthy(name: &'static str) -> Self {
        Scenario {
            name,
            shm: Shm::Tmpfs,
            layout: Layout::LinkToShm,
            ifstate: "lo=lo\n",
            lo_up: true,
            daemon: Some("ok"),
            extra: String::new(),
            args: strs(&["--format", "json"]),
        }
    }

    /// Runs the scenario; None (after saying why) when not root.
    fn run(&self) -> Option<(Ran, Duration)> {
        if !is_root() {
            eprintln!(
                "SKIP {}: needs root for network and mount namespaces",
                self.name
            );
            return None;
        }
        let dir = scratch(self.name);
        let w = dir.display();
        let mut sh = String::from("set -eu\nmount --make-rprivate /\n");
        for d in ["etc-upper", "etc-work", "plain-shm"] {
            let _ = writeln!(sh, "mkdir -p {w}/{d}");
        }
        let _ = writeln!(
            sh,
            "mount -t overlay overlay -o lowerdir=/etc,upperdir={w}/etc-upper,workdir={w}/etc-work /etc"
        );
        sh.push_str("mount -t tmpfs tmpfs /run\n");
        // The namespace starts with the host's mounts: drop those on /dev/shm, so that
        // /proc/mounts (which the build-host checks grep) shows only the scenario's.
        sh.push_str("while umount /dev/shm 2>/dev/null; do :; done\n");
        match self.shm {
            Shm::Tmpfs => sh.push_str("mount -t tmpfs tmpfs /dev/shm\n"),
            Shm::PlainDir => {
                let _ = writeln!(sh, "mount --bind {w}/plain-shm /dev/shm");
            }
            Shm::Unmounted => {}
        }
        sh.push_str("mkdir -p /etc/network\nrm -rf /etc/network/run\n");
        let state_dir = match self.layout {
            Layout::LinkToShm => {
                sh.push_str("mkdir -p /dev/shm/network\nln -s /dev/shm/network /etc/network/run\n");
                "/dev/shm/network"
            }
            Layout::Modern => {
                sh.push_str("mkdir -p /run/network\n");
                "/run/network"
            }
            Layout::RealDir => {
                sh.push_str("mkdir -p /etc/network/run\n");
                "/etc/network/run"
            }
        };
        let _ = writeln!(sh, "printf '%s' '{}' > {state_dir}/ifstate", self.ifstate);
        if self.lo_up {
            sh.push_str("ip link set lo up\n");
        }
        sh.push_str(&self.extra);
        sh.push('\n');
        if let Some(mode) = self.daemon {
            let _ = writeln!(
                sh,
                "python3 {}/tests/xcbdaemon.py --host 127.0.0.1 --port 8000 --mode {mode} --lifetime 20 > {w}/daemon.out 2>{w}/daemon.err &",
                repo().display()
            );
            let _ = writeln!(
                sh,
                "i=0; until grep -q ready {w}/daemon.out; do i=$((i+1)); [ $i -lt 200 ] || {{ echo 'xcbdaemon.py never got ready' >&2; cat {w}/daemon.err >&2; exit 99; }}; sleep 0.05; done"
            );
        }
        let args: Vec<String> = self.args.iter().map(|a| format!("'{a}'")).collect();
        let _ = writeln!(sh, "exec {} {}", common::bin(), args.join(" "));

        let started = Instant::now();
        let out = Command::new("unshare")
            .args(["-n", "-m", "sh", "-c", &sh])
            .env("NO_COLOR", "1")
            .output()
            .expect("unshare runs");
        let ran = Ran::from(out);
        assert_ne!(ran.code, 99, "{}: setup failed: {}", self.name, ran.stderr);
        Some((ran, started.elapsed()))
    }
}

fn strs(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// Checks that a standalone node skips: no DRBD, no role, no replicated data, no sync.
const STANDALONE_SKIPS: &[&str] = &[
    "drbd-consistent",
    "sync-age",
    "role-leftovers",
    "peer-sequence",
];

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
    assert_eq!(report["checks"].as_array().map(Vec::len), Some(11));
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
    let summary = check(&report, "netrun-layout")["summary"]
        .as_str()
        .unwrap_or_default();
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
        layout["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("real directory on overlay"),
        "{layout:#}"
    );
    assert_eq!(layout["root_cause"], serde_json::Value::Null);
    let stale = check(&report, "netrun-stale");
    assert_eq!(stale["status"], "fail");
    assert!(
        stale["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("ifup will skip lo"),
        "{stale:#}"
    );
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

#[test]
fn an_interface_recorded_up_but_down_is_stale() {
    let s = Scenario {
        ifstate: "lo=lo\nveth0=veth0\n",
        extra: "ip link add veth0 type veth peer name veth1".into(),
        ..Scenario::healthy("stale-veth")
    };
    let Some((ran, _)) = s.run() else { return };
    let report = ran.json();
    assert_eq!(ran.code, 1);
    let stale = check(&report, "netrun-stale");
    assert_eq!(stale["status"], "fail", "{stale:#}");
    assert!(
        stale["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("ifup will skip veth0"),
        "{stale:#}"
    );
    assert_eq!(status(&report, "lo-up"), "pass");
}

#[test]
fn modern_per_interface_state_is_read_too() {
    let s = Scenario {
        layout: Layout::Modern,
        ifstate: "",
        lo_up: false,
        daemon: None,
        extra: "printf lo > /run/network/ifstate.lo".into(),
        args: strs(&["--format", "json", "--only", "netrun-stale"]),
        ..Scenario::healthy("stale-0.8")
    };
    let Some((ran, _)) = s.run() else { return };
    let stale = ran.json();
    assert_eq!(status(&stale, "netrun-stale"), "fail", "{}", ran.stdout);
}

#[test]
fn dev_shm_on_a_plain_directory_fails() {
    let s = Scenario {
        shm: Shm::PlainDir,
        layout: Layout::Modern,
        ..Scenario::healthy("plain-shm")
    };
    let Some((ran, _)) = s.run() else { return };
    let report = ran.json();
    assert_eq!(ran.code, 1);
    let shm = check(&report, "shm-tmpfs");
    assert_eq!(shm["status"], "fail", "{shm:#}");
    assert!(
        shm["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("not tmpfs"),
        "{shm:#}"
    );
}

fn summary(rpc: &serde_json::Value) -> &str {
    rpc["summary"].as_str().unwrap_or_default()
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

#[test]
fn build_host_mode_catches_a_dev_shm_that_is_not_tmpfs() {
    // Seed 004's build host: /dev/shm a plain directory; /proc is mounted.
    let s = Scenario {
        shm: Shm::PlainDir,
        daemon: None,
        args: strs(&["build-host", "--format", "json"]),
        ..Scenario::healthy("build-host-plain-shm")
    };
    let Some((ran, _)) = s.run() else { return };
    let report = ran.json();
    assert_eq!(report["mode"], "build-host");
    assert_eq!(status(&report, "shm-tmpfs"), "fail", "{}", ran.stdout);
    assert_eq!(status(&report, "host-proc"), "pass", "{}", ran.stdout);
    assert_eq!(ran.code, 1);
}

#[test]
fn build_host_mode_catches_a_missing_proc() {
    // A chroot build without /proc: package scripts cannot read /proc/mounts.
    let s = Scenario {
        daemon: None,
        extra: "umount -l /proc".into(),
        args: strs(&["build-host", "--format", "json"]),
        ..Scenario::healthy("build-host-no-proc")
    };
    let Some((ran, _)) = s.run() else { return };
    let report = ran.json();
    let proc = check(&report, "host-proc");
    assert_eq!(proc["status"], "fail", "{proc:#}");
    assert!(
        summary(proc).starts_with("/proc is not mounted"),
        "{proc:#}"
    );
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

/// /dev/shm laid out for real in a mount namespace, judged at boot (what the booted box
/// needs: a tmpfs serves /dev/shm, links followed, the last mount over it counted) and on
/// a build host (what ifupdown 0.6's postinst tests: its /proc/mounts grep, `-w`, df).
/// Each row: name, what is mounted on /dev/shm first, the layout commands, the mode,
/// the status, words of the summary, and words of the evidence.
const SHM_LAYOUTS: &[(&str, Shm, &str, &str, &str, &str, &str)] = &[
    // A tmpfs on /dev/shm hidden by a later mount on /dev: /dev/shm is gone.
    (
        "shm-covered-missing",
        Shm::Tmpfs,
        "mount -t tmpfs tmpfs /dev",
        "boot",
        "fail",
        "/dev/shm does not exist",
        "is hidden under a later mount and serves nothing",
    ),
    // Hidden, and /dev/shm now a link to a directory on the tmpfs /run.
    (
        "shm-covered-link",
        Shm::Tmpfs,
        "mount -t tmpfs tmpfs /dev\nmkdir /run/shm\nln -s /run/shm /dev/shm",
        "boot",
        "pass",
        "/dev/shm -> /run/shm is a directory on tmpfs (tmpfs mounted at /run)",
        "/run/shm is served by mount",
    ),
    // Debian wheezy: /dev/shm -> /run/shm, a tmpfs of its own.
    (
        "shm-wheezy-boot",
        Shm::Unmounted,
        "mount -t tmpfs tmpfs /dev\nmkdir /run/shm\nmount -t tmpfs tmpfs /run/shm\nln -s /run/shm /dev/shm",
        "boot",
        "pass",
        "/dev/shm -> /run/shm is tmpfs, read-write",
        "(tmpfs mounted at /run/shm)",
    ),
    (
        "shm-wheezy-build-host",
        Shm::Unmounted,
        "mount -t tmpfs tmpfs /dev\nmkdir /run/shm\nmount -t tmpfs tmpfs /run/shm\nln -s /run/shm /dev/shm",
        "build-host",
        "fail",
        "would make /etc/network/run a real directory: its grep finds no `tmpfs /dev/shm tmpfs rw…` line in /proc/mounts: /proc/mounts has no line for /dev/shm at all",
        "/dev/shm -> /run/shm",
    ),
    // A container runtime's /dev/shm: a tmpfs whose source is `shm`.
    (
        "shm-source-shm-boot",
        Shm::Unmounted,
        "mount -t tmpfs shm /dev/shm",
        "boot",
        "pass",
        "/dev/shm is tmpfs, read-write",
        "(shm mounted at /dev/shm)",
    ),
    (
        "shm-source-shm-build-host",
        Shm::Unmounted,
        "mount -t tmpfs shm /dev/shm",
        "build-host",
        "fail",
        "/proc/mounts lists only `shm /dev/shm tmpfs rw",
        "/proc/mounts: shm /dev/shm tmpfs",
    ),
    // An unlimited tmpfs: df shows 0/0/0.
    (
        "shm-unlimited-boot",
        Shm::Unmounted,
        "mount -t tmpfs -o size=0 tmpfs /dev/shm",
        "boot",
        "pass",
        "unlimited (a tmpfs mounted with size=0)",
        "0 blocks of 4096 bytes",
    ),
    (
        "shm-unlimited-build-host",
        Shm::Unmounted,
        "mount -t tmpfs -o size=0 tmpfs /dev/shm",
        "build-host",
        "fail",
        "the tmpfs is unlimited (size=0), which df reports as 0 blocks, 0 free",
        "0 KiB available",
    ),
    // The healthy build host.
    (
        "shm-tmpfs-build-host",
        Shm::Tmpfs,
        "",
        "build-host",
        "pass",
        "would link /etc/network/run to /dev/shm/network",
        "/proc/mounts: tmpfs /dev/shm tmpfs rw",
    ),
    (
        "shm-read-only-build-host",
        Shm::Unmounted,
        "mount -t tmpfs -o ro tmpfs /dev/shm",
        "build-host",
        "fail",
        "`[ -w /dev/shm ]` fails: /dev/shm is not writable",
        "/proc/mounts: tmpfs /dev/shm tmpfs ro",
    ),
];

#[test]
fn dev_shm_is_judged_as_the_kernel_and_the_postinst_see_it() {
    let mut wrong = Vec::new();
    for &(name, shm, layout, mode, want, summary_words, evidence_words) in SHM_LAYOUTS {
        let s = Scenario {
            shm,
            layout: Layout::Modern,
            daemon: None,
            extra: layout.into(),
            args: strs(&[mode, "--format", "json", "--only", "shm-tmpfs"]),
            ..Scenario::healthy(name)
        };
        let Some((ran, _)) = s.run() else { return };
        let report = ran.json();
        let c = check(&report, "shm-tmpfs");
        let evidence = c["evidence"].to_string();
        if c["status"] != want
            || !summary(c).contains(summary_words)
            || !evidence.contains(evidence_words)
        {
            wrong.push(format!(
                "{name}: expected {want} with {summary_words:?} and evidence {evidence_words:?}, got {c:#}"
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n\n"));
}
