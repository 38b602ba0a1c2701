//! drbd-consistent over DRBD state in its real formats: captured /proc/drbd files (as
//! `--proc` gives them), support bundles holding the box's configuration, kernel log and
//! drbdsetup's output, `--wait` against a /proc/drbd that changes while the binary waits,
//! and, as root, the live run of a drbdsetup stand-in on a DRBD 9 box (a private /proc in
//! a mount namespace shows it the version).

use crate::common::{Ran, Scratch, bin, check, fixture, scratch};
use crate::support::{FakeBox, skip_unless_root};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A scratch /proc holding `drbd` (or not).
fn proc_with(name: &str, drbd: Option<&Path>) -> Scratch {
    let dir = scratch(name);
    if let Some(src) = drbd {
        std::fs::copy(src, dir.join("drbd")).expect("copy fixture");
    }
    dir
}

fn run_drbd(proc_dir: &Path, extra: &[&str]) -> (Ran, Duration) {
    let started = Instant::now();
    let out = Command::new(bin())
        .args(["--only", "drbd-consistent", "--format", "json", "--proc"])
        .arg(proc_dir)
        .args(extra)
        .output()
        .expect("runs");
    (Ran::from(out), started.elapsed())
}

/// Each /proc/drbd fixture, the status it must get, and a fragment of its summary.
const EXPECTED: &[(&str, &str, &str)] = &[
    (
        "healthy-connected-uptodate-8.4",
        "pass",
        "drbd0 UpToDate, Connected",
    ),
    ("built-in-8.4", "pass", "UpToDate, Connected"),
    (
        "srcversion-trailing-spaces-8.4",
        "pass",
        "UpToDate, Connected",
    ),
    ("flags-5-chars-8.3.8", "pass", "UpToDate, Connected"),
    ("st-field-8.0", "pass", "drbd1 UpToDate, Connected"),
    ("oos-nonzero-connected-8.4", "pass", "UpToDate, Connected"),
    ("drbd9-compat-84", "pass", "drbd1 UpToDate, Connected"),
    ("verify-s-with-progress-8.4", "pass", "VerifyS"),
    ("verify-t-8.4", "pass", "VerifyT"),
    ("ahead-8.4", "pass", "Ahead"),
    (
        "sync-source-with-progress-8.3",
        "pass",
        "SyncSource 0.9%, about 0:12:35 left",
    ),
    ("sync-source-megabytes-8.3.8", "pass", "SyncSource"),
    ("sync-source-stalled-8.3.8", "pass", "stalled"),
    ("paused-sync-source-8.4", "pass", "PausedSyncS"),
    (
        "peer-absent-uptodate-8.4",
        "warn",
        "WFConnection: peer absent",
    ),
    ("wfconnection-peer-outdated-8.3", "warn", "peer absent"),
    (
        "sync-target-with-progress-8.3",
        "wait",
        "drbd0 SyncTarget 44.4%, about 0:00:08 left",
    ),
    ("sync-target-megabytes-8.4", "wait", "SyncTarget 40.0%"),
    (
        "sync-target-megabytes-glued-finish-8.4.3",
        "wait",
        "SyncTarget 40.0%, about 0:02:03 left",
    ),
    ("sync-target-stalled-8.3.8", "wait", "stalled"),
    (
        "sync-target-stalled-8.4",
        "wait",
        "SyncTarget 50.1%, stalled",
    ),
    ("paused-sync-target-8.4", "wait", "PausedSyncT"),
    ("wfbitmap-s-8.4", "wait", "WFBitMapS"),
    ("wfbitmap-t-8.4", "wait", "WFBitMapT"),
    ("wfsyncuuid-8.4", "wait", "WFSyncUUID"),
    ("starting-sync-s-8.4", "wait", "StartingSyncS"),
    ("starting-sync-t-8.4", "wait", "StartingSyncT"),
    ("wfreportparams-8.4", "wait", "WFReportParams"),
    ("attaching-8.4", "wait", "Attaching"),
    ("negotiating-8.4", "wait", "Negotiating"),
    (
        "transient-cs-8.4",
        "wait",
        "connection in transition (and 6 more)",
    ),
    (
        "split-brain-standalone-8.4",
        "fail",
        "StandAlone: split brain",
    ),
    ("ganeti-mixed-8.4", "fail", "drbd6 local disk Diskless"),
    ("diskless-8.4", "fail", "Diskless"),
    ("failed-disk-8.4", "fail", "Failed"),
    ("local-outdated-8.4", "fail", "Outdated"),
    ("behind-8.4", "fail", "drbd0"),
    (
        "initial-inconsistent-no-sync-8.3",
        "fail",
        "Inconsistent and no resync running",
    ),
    (
        "peer-absent-consistent-8.4",
        "fail",
        "Consistent without a peer",
    ),
    (
        "unknown-state-8.4",
        "fail",
        "unknown connection state \"Bogus\"",
    ),
    // Whether a loaded DRBD without resources should have some is in the box's
    // configuration, which a capture of /proc does not hold.
    ("unconfigured-only-8.4", "skip", "not in the capture"),
    ("header-only-8.4", "skip", "not in the capture"),
    ("garbage", "error", "not a /proc/drbd version line"),
    ("empty", "error", "empty"),
    ("truncated-mid-line-8.4", "error", "truncated?"),
    ("truncated-after-cs-8.4", "error", "truncated?"),
    // DRBD 9 keeps its state out of /proc: drbdsetup is the box's, not run here.
    ("drbd9-version-only", "skip", "not in the capture"),
    // Gathered from published sources (tests/fixtures/README.md).
    (
        "mixed-st-resync-actlog-8.0.12",
        "fail",
        "drbd6 local disk Diskless",
    ),
    (
        "blank-line-between-unconfigured-8.0.12",
        "pass",
        "drbd0 UpToDate, Connected",
    ),
    (
        "no-version-line-8.0.12",
        "error",
        "not a /proc/drbd version line",
    ),
    (
        "nul-byte-in-flags-8.3.1",
        "fail",
        "drbd6 local disk Diskless",
    ),
    (
        "sync-target-five-space-indent-8.3.1",
        "wait",
        "drbd3 SyncTarget 34.9%",
    ),
    (
        "sync-source-glued-finish-real-8.3.1",
        "warn",
        "drbd4 WFConnection: peer absent",
    ),
    (
        "blank-line-after-header-8.4.2",
        "fail",
        "drbd6 local disk Diskless",
    ),
    (
        "sync-source-blocked-n-standalone-8.4.2",
        "fail",
        "drbd0 StandAlone",
    ),
    (
        "dual-primary-connected-srcversion-8.4.3",
        "pass",
        "drbd1 UpToDate, Connected",
    ),
    (
        "two-minors-connected-secondary-8.3.7",
        "pass",
        "drbd0 UpToDate, Connected; drbd1 UpToDate, Connected",
    ),
    (
        "ld-field-inconsistent-drbd-0.7-fragment",
        "error",
        "not a /proc/drbd version line",
    ),
    (
        "wfconnection-inconsistent-peer-unknown-8.4.6",
        "fail",
        "drbd1 local disk Inconsistent and no resync running",
    ),
    (
        "standalone-primary-peer-inconsistent-8.4.6",
        "fail",
        "drbd1 StandAlone",
    ),
    (
        "wfconnection-primary-oos-after-split-brain-8.3.7",
        "warn",
        "drbd0 WFConnection: peer absent",
    ),
    (
        "wfconnection-diskless-8.3.7",
        "fail",
        "drbd0 local disk Diskless",
    ),
];

#[test]
fn every_proc_drbd_fixture_gets_its_verdict() {
    let dir = fixture("drbd/proc-drbd");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".txt")
                .map(String::from)
        })
        .collect();
    names.sort();
    for name in &names {
        assert!(
            EXPECTED.iter().any(|(n, _, _)| n == name),
            "fixture {name} has no expected verdict"
        );
    }
    for (name, want, fragment) in EXPECTED {
        let proc_dir = proc_with(
            &format!("drbd-{name}"),
            Some(&dir.join(format!("{name}.txt"))),
        );
        let (ran, _) = run_drbd(&proc_dir, &[]);
        let report = ran.json();
        let c = check(&report, "drbd-consistent");
        assert_eq!(c["status"], *want, "{name}: {c:#}");
        let summary = c["summary"].as_str().unwrap_or_default();
        assert!(
            summary.contains(fragment),
            "{name}: summary {summary:?} lacks {fragment:?}"
        );
        let code = match *want {
            "pass" | "warn" | "skip" => 0,
            "error" => 3,
            _ => 1,
        };
        assert_eq!(ran.code, code, "{name}");
    }
}

#[test]
fn no_drbd_at_all_is_not_applicable_and_does_not_wait() {
    let proc_dir = proc_with("drbd-none", None);
    let (ran, took) = run_drbd(&proc_dir, &["--wait", "300s"]);
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    assert_eq!(check(&ran.json(), "drbd-consistent")["status"], "skip");
    assert!(
        took < Duration::from_secs(5),
        "a standalone node waited {took:?}"
    );
}

/// The text of a spec with one drbd check whose parameters the test sets.
fn drbd_spec_text(params: &str) -> String {
    format!(
        "[[check]]\nid = \"drbd-consistent\"\nkind = \"drbd\"\nmodes = [\"boot\"]\nwhy = \"w\"\nfix = \"f\"\n{params}\n"
    )
}

/// The same, written to `dir/drbd.toml`; its path.
fn drbd_spec(dir: &Path, params: &str) -> String {
    let path = dir.join("drbd.toml");
    std::fs::write(&path, drbd_spec_text(params)).expect("write spec");
    path.display().to_string()
}

#[test]
fn configured_resources_without_the_module_fail() {
    let dir = scratch("drbd-not-loaded");
    let spec = drbd_spec_text("config = [\"/etc/drbd.d/*.res\"]");
    let ran = FakeBox::new()
        .proc("drbd", None)
        .file(
            "/etc/drbd.d/r0.res",
            "resource r0 {\n  device /dev/drbd0;\n}\n",
        )
        .replay(&dir, &spec, &[]);
    assert_eq!(ran.code, 1, "{}", ran.stdout);
    let c = ran.json();
    let c = check(&c, "drbd-consistent");
    assert_eq!(c["status"], "fail");
    assert!(
        c["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("r0 are configured, but the DRBD module is not loaded"),
        "{c:#}"
    );
    // In a capture of /proc alone, the configuration is not there to judge by.
    let proc_dir = proc_with("drbd-not-loaded-proc", None);
    let (ran, _) = run_drbd(&proc_dir, &[]);
    let report = ran.json();
    let c = check(&report, "drbd-consistent");
    assert_eq!(c["status"], "skip", "{c:#}");
    assert!(
        c["summary"]
            .as_str()
            .unwrap_or_default()
            .starts_with("not in the capture"),
        "{c:#}"
    );
}

#[test]
fn split_brain_quotes_the_kernel_log_and_fails_at_once_under_wait() {
    let split = std::fs::read_to_string(fixture("drbd/proc-drbd/split-brain-standalone-8.4.txt"))
        .expect("fixture");
    // From a bundle, with the box's kernel log in it: the line is quoted.
    let dir = scratch("drbd-split-brain");
    let ran = FakeBox::new()
        .proc("drbd", Some(&split))
        .file(
            "/var/log/kern.log",
            "Mar  7 15:38:04 node1 kernel: block drbd0: drbd_sync_handshake:\nMar  7 15:38:05 node1 kernel: block drbd0: Split-Brain detected but unresolved, dropping connection!\n",
        )
        .replay(&dir, &drbd_spec_text("kernel_log = [\"/var/log/kern.log\"]"), &[]);
    assert_eq!(ran.code, 1);
    let report = ran.json();
    let c = check(&report, "drbd-consistent");
    assert_eq!(c["status"], "fail");
    assert!(
        c["evidence"]
            .to_string()
            .contains("Split-Brain detected but unresolved"),
        "{c:#}"
    );
    // From a capture of /proc, under --wait: it fails at once, without waiting.
    let proc_dir = proc_with(
        "drbd-split-brain-proc",
        Some(&fixture("drbd/proc-drbd/split-brain-standalone-8.4.txt")),
    );
    let (ran, took) = run_drbd(&proc_dir, &["--wait", "300s"]);
    assert_eq!(ran.code, 1);
    assert!(took < Duration::from_secs(5), "split brain waited {took:?}");
    assert_eq!(check(&ran.json(), "drbd-consistent")["status"], "fail");
}

#[test]
fn wait_follows_a_resync_to_its_end() {
    let proc_dir = proc_with(
        "drbd-wait",
        Some(&fixture("drbd/proc-drbd/sync-target-with-progress-8.3.txt")),
    );
    let started = Instant::now();
    let child = Command::new(bin())
        .args([
            "--only",
            "drbd-consistent",
            "--format",
            "json",
            "--wait",
            "60s",
            "--proc",
        ])
        .arg(&proc_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(1500));
    // The resync finishes: replace the file in one step, as the kernel's view changes.
    let next = proc_dir.join("drbd.new");
    std::fs::copy(
        fixture("drbd/proc-drbd/healthy-connected-uptodate-8.4.txt"),
        &next,
    )
    .expect("copy");
    std::fs::rename(&next, proc_dir.join("drbd")).expect("rename");
    let changed = started.elapsed();
    let ran = Ran::from(child.wait_with_output().expect("wait"));
    let took = started.elapsed();
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    // One clean JSON document on stdout, progress on stderr.
    assert_eq!(check(&ran.json(), "drbd-consistent")["status"], "pass");
    assert!(
        ran.stderr
            .contains("waiting for drbd-consistent: drbd0 SyncTarget 44.4%, about 0:00:08 left"),
        "{}",
        ran.stderr
    );
    assert!(
        took - changed < Duration::from_secs(4),
        "noticed the end {:?} after it",
        took - changed
    );
}

#[test]
fn wait_gives_up_at_its_end_still_waiting() {
    let proc_dir = proc_with(
        "drbd-wait-out",
        Some(&fixture("drbd/proc-drbd/sync-target-with-progress-8.3.txt")),
    );
    let (ran, took) = run_drbd(&proc_dir, &["--wait", "1s"]);
    assert_eq!(ran.code, 1, "still waiting at the deadline is a failure");
    assert_eq!(ran.json()["verdict"], "wait");
    assert!(
        took < Duration::from_secs(1) + Duration::from_secs(3),
        "took {took:?}"
    );
}

/// A DRBD 9 box, live: /proc/drbd holds only the version, drbdsetup (a stand-in) the
/// state. None, after saying why, when not root.
fn drbd9(name: &str, script: &str, params: &str) -> Option<(Ran, Duration, Scratch)> {
    let version =
        std::fs::read_to_string(fixture("drbd/proc-drbd/drbd9-version-only.txt")).expect("fixture");
    drbd9_with(name, script, params, &version, &[])
}

/// As `drbd9`, with the kernel's /proc/drbd text and extra arguments given. The run is
/// live, in a private mount namespace whose /proc is a tmpfs holding just `drbd`: the
/// only way to show a box without the DRBD module a DRBD 9 kernel.
fn drbd9_with(
    name: &str,
    script: &str,
    params: &str,
    proc_drbd: &str,
    extra: &[&str],
) -> Option<(Ran, Duration, Scratch)> {
    if skip_unless_root(
        name,
        "a private /proc in a mount namespace shows the run DRBD 9",
    ) {
        return None;
    }
    let dir = scratch(name);
    let tool = dir.join("drbdsetup");
    std::fs::write(&tool, format!("#!/bin/sh\n{script}\n")).expect("write stand-in");
    std::fs::set_permissions(&tool, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let spec = drbd_spec(
        &dir,
        &format!(
            "drbdsetup = \"{}\"\ntimeout = \"1s\"\n{params}",
            tool.display()
        ),
    );
    let drbd = dir.join("proc-drbd");
    std::fs::write(&drbd, proc_drbd).expect("write /proc/drbd");
    let started = Instant::now();
    let out = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c"])
        .arg(r#"mount -t tmpfs proc-drbd /proc && cp "$1" /proc/drbd && shift && exec "$@""#)
        .arg("sh")
        .arg(&drbd)
        .arg(bin())
        .args([
            "--only",
            "drbd-consistent",
            "--format",
            "json",
            "--spec",
            &spec,
        ])
        .args(extra)
        .output()
        .expect("unshare runs");
    Some((Ran::from(out), started.elapsed(), dir))
}

/// The DRBD 9 state drbdsetup printed on a box, replayed from its bundle.
fn drbd9_bundle(name: &str, output: &str, params: &str, events2: bool) -> Ran {
    let version =
        std::fs::read_to_string(fixture("drbd/proc-drbd/drbd9-version-only.txt")).expect("fixture");
    let args: &[&str] = if events2 {
        &["events2", "--now", "all"]
    } else {
        &["status", "--json"]
    };
    FakeBox::new()
        .proc("drbd", Some(&version))
        .ran("/usr/sbin/drbdsetup", args, Ok(output))
        .absent(&[
            "/etc/drbd.conf",
            "/etc/drbd.d",
            "/var/log/kern.log",
            "/var/log/messages",
        ])
        .replay(&scratch(name), &drbd_spec_text(params), &[])
}

/// Every fixture in `dir` is one of the `named` rows.
fn every_fixture_named(dir: &str, named: &[&str]) {
    let path = fixture(dir);
    for entry in std::fs::read_dir(&path).expect("fixtures").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            named.contains(&name.as_str()),
            "{dir}/{name} has no expected verdict"
        );
    }
}

#[test]
fn drbd9_json_from_drbdsetup() {
    let rows = [
        ("healthy-two-nodes.json", "pass", "UpToDate, Established"),
        ("sync-source.json", "pass", "SyncSource 37.5%"),
        (
            "three-nodes-one-connecting.json",
            "warn",
            "home to nono Connecting",
        ),
        (
            "two-volumes-one-outdated.json",
            "fail",
            "r0/1 to bob local disk Outdated",
        ),
        ("sync-target-with-progress.json", "wait", "SyncTarget"),
        ("peer-connecting.json", "warn", "Connecting: peer absent"),
        ("standalone.json", "fail", "StandAlone"),
        ("diskless.json", "fail", "Diskless"),
        ("diskless-client.json", "pass", "diskless client"),
        ("no-peers.json", "pass", "no peer configured"),
        ("no-resources.json", "skip", "no resource is configured"),
        ("garbage.json", "error", "not JSON"),
        ("truncated.json", "error", "not JSON"),
        // drbd-utils 9.4/9.5 print a bare `nan` while a resync has no rate yet.
        (
            "sync-source-eta-nan-9.4-9.5.json",
            "pass",
            "shanghai to SLE12-sp4-node2 SyncSource 0.0%, ETA unknown",
        ),
        // 9.6 and later print a sentinel instead: not 274348 hours.
        (
            "sync-source-eta-sentinel-987654321.json",
            "pass",
            "SyncSource 0.0%, ETA unknown: this node is the resync source",
        ),
        (
            "five-resources-secondary-healthy-9.x.json",
            "pass",
            "vg3 to SLE15-sp1-gm-drbd1145296-node1 UpToDate, Established",
        ),
        (
            "quorum-false-uptodate-connected-hand-edited.json",
            "fail",
            "1-single-1 to SLE15-sp1-gm-drbd1145296-node1 quorum lost (local disk UpToDate, Established)",
        ),
        (
            "quorum-lost-suspended-primary-peers-connecting.json",
            "fail",
            "r0 to bob quorum lost (local disk UpToDate, Connecting): its I/O is frozen or fails, and it cannot be promoted (and 1 more)",
        ),
        (
            "quorum-lost-string-false-9.2-9.3.json",
            "fail",
            "r0 to bob quorum lost",
        ),
        (
            "sync-target-resync-done-key-9.0-9.3.json",
            "wait",
            "r0 to alice SyncTarget 37.5%",
        ),
        (
            "disk-state-colon-key-8.9.8-8.9.10.json",
            "pass",
            "r0 to bob UpToDate, Established",
        ),
    ];
    let names: Vec<&str> = rows.iter().map(|(f, _, _)| *f).collect();
    every_fixture_named("drbd/drbdsetup-json", &names);
    for (file, want, fragment) in rows {
        let path = fixture(&format!("drbd/drbdsetup-json/{file}"));
        let output = std::fs::read_to_string(&path).expect("fixture");
        let ran = drbd9_bundle(&format!("drbd9-{file}"), &output, "", false);
        let report = ran.json();
        let c = check(&report, "drbd-consistent");
        assert_eq!(c["status"], want, "{file}: {c:#}");
        assert!(
            c["summary"].as_str().unwrap_or_default().contains(fragment),
            "{file}: {c:#}"
        );
    }
}

#[test]
fn drbd9_events2_from_drbdsetup() {
    let rows = [
        ("healthy.txt", "pass", "Established"),
        ("sync-target.txt", "wait", "SyncTarget 37.5%"),
        ("connecting.txt", "warn", "peer absent"),
        ("standalone.txt", "fail", "StandAlone"),
        ("no-resources.txt", "skip", "no resource is configured"),
        ("garbage.txt", "error", "output"),
        (
            "stream-quorum-lost-may-promote-no.txt",
            "fail",
            "some-resource quorum lost (local disk UpToDate, no peer)",
        ),
        (
            "stream-sync-source-statistics-eta.txt",
            "pass",
            "SyncSource 37.5%, about 0:00:10 left",
        ),
        (
            "stream-helper-before-resync-target.txt",
            "fail",
            "some-resource to some-peer local disk Diskless",
        ),
        (
            "now-timestamps-statistics-healthy-2019.txt",
            "pass",
            "to kubelet-b UpToDate, Established",
        ),
        (
            "now-statistics-three-nodes-healthy.txt",
            "pass",
            "drbd1 to central-2004 UpToDate, Established; drbd1 to poller-2004-1 UpToDate, Established",
        ),
        (
            "now-statistics-two-volumes-healthy-ug.txt",
            "pass",
            "r0/0 to remote-host UpToDate, Established; r0/1",
        ),
        (
            "now-statistics-sync-target-eta-nan.txt",
            "wait",
            "r0 to alice SyncTarget 0.0%, ETA unknown",
        ),
        (
            "now-quorum-lost-secondary-peer-connecting.txt",
            "fail",
            "r0 to bob quorum lost (local disk UpToDate, Connecting)",
        ),
        (
            "now-quorum-lost-suspended-quorum-primary.txt",
            "fail",
            "r0 to bob quorum lost",
        ),
    ];
    let names: Vec<&str> = rows.iter().map(|(f, _, _)| *f).collect();
    every_fixture_named("drbd/drbd-events2", &names);
    for (file, want, fragment) in rows {
        let path = fixture(&format!("drbd/drbd-events2/{file}"));
        let output = std::fs::read_to_string(&path).expect("fixture");
        let ran = drbd9_bundle(
            &format!("events2-{file}"),
            &output,
            "drbdsetup_output = \"events2\"",
            true,
        );
        let report = ran.json();
        let c = check(&report, "drbd-consistent");
        assert_eq!(c["status"], want, "{file}: {c:#}");
        assert!(
            c["summary"].as_str().unwrap_or_default().contains(fragment),
            "{file}: {c:#}"
        );
    }
}

/// Quorum lost while a peer is still connecting is what a cluster booting all at once
/// shows: `--wait` re-checks it and passes once the peer connects; a quorum loss with no
/// peer coming fails at once.
#[test]
fn lost_quorum_is_waited_for_only_while_a_peer_connects() {
    let dir = scratch("drbd9-quorum-state");
    let state = dir.join("status.json");
    std::fs::copy(
        fixture("drbd/drbdsetup-json/quorum-lost-string-false-9.2-9.3.json"),
        &state,
    )
    .expect("copy");
    let version = "version: 9.0.22-1 (api:2/proto:86-116)\n";
    let script = format!("cat '{}'", state.display());
    let swap = {
        let state = state.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(1200));
            let next = state.with_extension("new");
            std::fs::copy(fixture("drbd/drbdsetup-json/healthy-two-nodes.json"), &next)
                .expect("copy");
            std::fs::rename(&next, &state).expect("rename");
        })
    };
    let Some((ran, took, _)) = drbd9_with(
        "drbd9-quorum-wait",
        &script,
        "",
        version,
        &["--wait", "20s"],
    ) else {
        return;
    };
    swap.join().expect("swap");
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert!(
        ran.stderr
            .contains("waiting for drbd-consistent: r0 to bob quorum lost"),
        "{}",
        ran.stderr
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");

    let script = format!(
        "cat '{}'",
        fixture("drbd/drbd-events2/stream-quorum-lost-may-promote-no.txt").display()
    );
    let Some((ran, took, _)) = drbd9_with(
        "drbd9-quorum-no-peer",
        &script,
        "drbdsetup_output = \"events2\"",
        version,
        &["--wait", "20s"],
    ) else {
        return;
    };
    assert_eq!(ran.code, 1, "{}", ran.stdout);
    assert!(
        took < Duration::from_secs(3),
        "a quorum loss with no peer waited {took:?}"
    );
}

/// drbdsetup reports "no quorum" for every device of a kernel that does not send it.
#[test]
fn quorum_is_not_judged_on_kernels_that_do_not_report_it() {
    let script = format!(
        "cat '{}'",
        fixture("drbd/drbdsetup-json/quorum-false-uptodate-connected-hand-edited.json").display()
    );
    let Some((ran, _, _)) = drbd9_with(
        "drbd9-quorum-old-kernel",
        &script,
        "",
        "version: 9.0.9-1 (api:2/proto:86-112)\n",
        &[],
    ) else {
        return;
    };
    let report = ran.json();
    let c = check(&report, "drbd-consistent");
    assert_eq!(c["status"], "pass", "{c:#}");
    assert!(
        c["evidence"]
            .to_string()
            .contains("quorum not judged: DRBD 9.0.9-1 reports none"),
        "{c:#}"
    );
}

#[test]
fn drbdsetup_that_fails_is_an_error_naming_it() {
    let Some((ran, _, _)) = drbd9(
        "drbd9-exit",
        "echo 'Failed to modprobe drbd (No such file or directory)' >&2; exit 20",
        "",
    ) else {
        return;
    };
    let report = ran.json();
    let c = check(&report, "drbd-consistent");
    assert_eq!(c["status"], "error");
    assert!(
        c["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("Failed to modprobe drbd"),
        "{c:#}"
    );
}

/// The real drbdsetup 9.22 on a kernel without the DRBD module (its stderr and exit code
/// captured in tests/fixtures/drbd/drbdsetup-stderr/, see the README there): an error
/// that says the module is not loaded, and a fix that says how to load it, not the
/// generic "make what is named readable".
#[test]
fn drbdsetup_without_the_module_says_the_module_is_not_loaded() {
    for name in ["no-genl-family-9.22.txt", "modprobe-fails-9.22.txt"] {
        let stderr = fixture(&format!("drbd/drbdsetup-stderr/{name}"));
        let Some((ran, _, _)) = drbd9(
            "drbd9-no-module",
            &format!("cat '{}' >&2; exit 20", stderr.display()),
            "",
        ) else {
            return;
        };
        let report = ran.json();
        let c = check(&report, "drbd-consistent");
        let said = std::fs::read_to_string(&stderr).unwrap();
        let last = said.trim().lines().last().unwrap_or_default();
        assert_eq!(c["status"], "error", "{name}: {c:#}");
        let summary = c["summary"].as_str().unwrap_or_default();
        assert!(
            summary.contains("the DRBD kernel module is not loaded"),
            "{name}: {c:#}"
        );
        assert!(summary.contains(last), "{name}: {c:#}");
        let fix = c["fix"].as_str().unwrap_or_default();
        assert!(fix.contains("modprobe drbd"), "{name}: {c:#}");
        assert!(!fix.contains("readable"), "{name}: {c:#}");
    }
}

#[test]
fn drbdsetup_that_never_exits_is_killed_with_its_children() {
    let dir = scratch("drbd9-hang-pids");
    let pidfile = dir.join("child.pid");
    let Some((ran, took, _)) = drbd9(
        "drbd9-hang",
        &format!("sleep 600 &\necho $! > '{}'\nsleep 600", pidfile.display()),
        "",
    ) else {
        return;
    };
    assert!(took < Duration::from_secs(4), "took {took:?}");
    let report = ran.json();
    let c = check(&report, "drbd-consistent");
    assert_eq!(c["status"], "error", "{c:#}");
    assert!(
        c["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("killed it and everything it started"),
        "{c:#}"
    );
    let pid = std::fs::read_to_string(&pidfile).expect("the stand-in wrote its child's pid");
    let stat = PathBuf::from(format!("/proc/{}/stat", pid.trim()));
    std::thread::sleep(Duration::from_millis(200));
    let alive = std::fs::read_to_string(&stat).is_ok_and(|s| !s.contains(") Z "));
    assert!(!alive, "the stand-in's child {} survived", pid.trim());
}

/// A drbdsetup whose child calls setsid(), leaving the process group the run kills, and
/// lives on: when drbdsetup hangs past the check's timeout, and when it exits having
/// printed its state (the child holding its output pipes open, which held the run to
/// its deadline). Once the run has ended, the child must be dead.
///
/// The run needs a /proc that has both a DRBD 9 `drbd` and the processes (the tool
/// finds what a program left behind among its own children there). So it runs in a PID
/// namespace of its own, whose pids are small, under a /proc that is a folder holding
/// `drbd` and links `1`..`512` into the namespace's procfs. The run is not the
/// namespace's first process: that one's end would kill everything in it, and hide a
/// survivor. The shell that is checks, after the run, whether the child still lives.
#[test]
fn a_drbdsetup_child_that_calls_setsid_ends_with_the_run() {
    let test = "a_drbdsetup_child_that_calls_setsid_ends_with_the_run";
    if skip_unless_root(test, "a PID namespace and a /proc of its own") {
        return;
    }
    let dir = scratch("drbd9-setsid");
    let (fake, real) = (dir.join("proc"), dir.join("procfs"));
    std::fs::create_dir_all(&real).expect("mkdir");
    std::fs::create_dir_all(&fake).expect("mkdir");
    std::fs::copy(
        fixture("drbd/proc-drbd/drbd9-version-only.txt"),
        fake.join("drbd"),
    )
    .expect("copy /proc/drbd");
    for name in (1..=512).map(|i| i.to_string()).chain(["self".into()]) {
        std::os::unix::fs::symlink(real.join(&name), fake.join(&name)).expect("symlink");
    }
    let healthy = fixture("drbd/drbdsetup-json/healthy-two-nodes.json");
    let cases = [
        ("hangs", "error", "sleep 600".to_string()),
        ("exits", "pass", format!("cat '{}'", healthy.display())),
    ];
    for (case, status, then) in cases {
        let pidfile = dir.join(format!("{case}.pid"));
        let tool = dir.join(format!("drbdsetup-{case}"));
        std::fs::write(
            &tool,
            format!(
                "#!/bin/sh\nsetsid sh -c 'echo $$ > \"{p}\"; exec sleep 600' &\n\
                 until [ -s '{p}' ]; do sleep 0.01; done\n{then}\n",
                p = pidfile.display()
            ),
        )
        .expect("write stand-in");
        std::fs::set_permissions(&tool, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
        let spec = drbd_spec(
            &dir,
            &format!("drbdsetup = \"{}\"\ntimeout = \"1s\"", tool.display()),
        );
        let script = r#"
mount -t proc proc "$REAL" && mount --bind "$FAKE" /proc || exit 99
"$BIN" --only drbd-consistent --format json --spec "$SPEC" > "$OUT"
stat="$REAL/$(cat "$PIDFILE")/stat"
if [ -e "$stat" ] && ! grep -q ') Z ' "$stat"; then echo alive; else echo gone; fi
"#;
        let out_file = dir.join(format!("{case}.json"));
        let started = Instant::now();
        let ran = Ran::from(
            Command::new("unshare")
                .args([
                    "-m",
                    "-p",
                    "-f",
                    "--propagation",
                    "private",
                    "sh",
                    "-c",
                    script,
                ])
                .env("REAL", &real)
                .env("FAKE", &fake)
                .env("BIN", bin())
                .env("SPEC", &spec)
                .env("OUT", &out_file)
                .env("PIDFILE", &pidfile)
                .output()
                .expect("unshare runs"),
        );
        let took = started.elapsed();
        assert_eq!(ran.code, 0, "{case}: {}{}", ran.stdout, ran.stderr);
        assert!(took < Duration::from_secs(4), "{case}: took {took:?}");
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&out_file).expect("the report"))
                .expect("JSON");
        let c = check(&report, "drbd-consistent");
        assert_eq!(c["status"], status, "{case}: {c:#}");
        assert_eq!(
            ran.stdout.trim(),
            "gone",
            "{case}: the setsid child survived the run"
        );
    }
}

#[test]
fn waiting_is_reported_to_systemd() {
    let dir = scratch("drbd-notify");
    let socket_path = dir.join("notify.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&socket_path).expect("bind");
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let proc_dir = proc_with(
        "drbd-notify-proc",
        Some(&fixture("drbd/proc-drbd/sync-target-with-progress-8.3.txt")),
    );
    let out = Command::new(bin())
        .args([
            "--only",
            "drbd-consistent",
            "--format",
            "json",
            "--wait",
            "1s",
            "--proc",
        ])
        .arg(&proc_dir)
        .env("NOTIFY_SOCKET", &socket_path)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let mut buf = [0u8; 1024];
    let n = socket.recv(&mut buf).expect("a STATUS= datagram");
    let msg = String::from_utf8_lossy(&buf[..n]);
    assert!(
        msg.starts_with("STATUS=waiting for drbd-consistent: drbd0 SyncTarget 44.4%"),
        "{msg}"
    );
}
