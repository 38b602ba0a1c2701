//! drbd-consistent in-process (see `crate::testing`): captured /proc/drbd files (as
//! `--proc` gives them) and support bundles holding the box's configuration, kernel log
//! and drbdsetup's output, judged by the shipped check. The runs of a real drbdsetup
//! stand-in, `--wait` and the deadlines stay end-to-end in tests/kinds/drbd.rs.

use crate::testing::{self, FakeBox, Ran};
use std::path::{Path, PathBuf};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/drbd")
        .join(rel)
}

#[track_caller]
fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// drbd-consistent judged over a captured /proc holding `drbd` (when given), as
/// `--only drbd-consistent --proc DIR`.
#[track_caller]
fn captured(drbd: Option<&Path>) -> Ran {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("a scratch /proc: {e}"));
    if let Some(src) = drbd {
        std::fs::copy(src, dir.path().join("drbd"))
            .unwrap_or_else(|e| panic!("{}: {e}", src.display()));
    }
    testing::shipped(
        &["drbd-consistent"],
        testing::captured(Some(dir.path()), None),
    )
}

/// The text of a spec with one drbd check whose parameters the test sets.
fn drbd_spec_text(params: &str) -> String {
    format!(
        "[[check]]\nid = \"drbd-consistent\"\nkind = \"drbd\"\nmodes = [\"boot\"]\nwhy = \"w\"\nfix = \"f\"\n{params}\n"
    )
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
    let dir = fixture("proc-drbd");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".txt")
                .map(String::from)
        })
        .collect();
    crate::model::sort::sort(&mut names);
    for name in &names {
        assert!(
            EXPECTED.iter().any(|(n, _, _)| n == name),
            "fixture {name} has no expected verdict"
        );
    }
    for (name, want, fragment) in EXPECTED {
        let ran = captured(Some(&dir.join(format!("{name}.txt"))));
        let c = ran.check("drbd-consistent");
        assert_eq!(c.status.as_str(), *want, "{name}: {c:#?}");
        assert!(
            c.summary.contains(fragment),
            "{name}: summary {:?} lacks {fragment:?}",
            c.summary
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
fn configured_resources_without_the_module_fail() {
    let spec = drbd_spec_text("config = [\"/etc/drbd.d/*.res\"]");
    let fake = FakeBox::new().proc("drbd", None).file(
        "/etc/drbd.d/r0.res",
        "resource r0 {\n  device /dev/drbd0;\n}\n",
    );
    let ran = testing::check(&spec, fake.target());
    assert_eq!(ran.code, 1, "{ran:#?}");
    let c = ran.check("drbd-consistent");
    assert_eq!(c.status.as_str(), "fail");
    assert!(
        c.summary
            .contains("r0 are configured, but the DRBD module is not loaded"),
        "{c:#?}"
    );
    // In a capture of /proc alone, the configuration is not there to judge by.
    let ran = captured(None);
    let c = ran.check("drbd-consistent");
    assert_eq!(c.status.as_str(), "skip", "{c:#?}");
    assert!(c.summary.starts_with("not in the capture"), "{c:#?}");
}

/// From a bundle, with the box's kernel log in it: the line is quoted. (That it fails
/// at once under `--wait` is end-to-end, in tests/kinds/drbd.rs.)
#[test]
fn split_brain_quotes_the_kernel_log() {
    let split = read(&fixture("proc-drbd/split-brain-standalone-8.4.txt"));
    let fake = FakeBox::new()
        .proc("drbd", Some(&split))
        .file(
            "/var/log/kern.log",
            "Mar  7 15:38:04 node1 kernel: block drbd0: drbd_sync_handshake:\nMar  7 15:38:05 node1 kernel: block drbd0: Split-Brain detected but unresolved, dropping connection!\n",
        );
    let ran = testing::check(
        &drbd_spec_text("kernel_log = [\"/var/log/kern.log\"]"),
        fake.target(),
    );
    assert_eq!(ran.code, 1);
    let c = ran.check("drbd-consistent");
    assert_eq!(c.status.as_str(), "fail");
    assert!(
        c.evidence_text()
            .contains("Split-Brain detected but unresolved"),
        "{c:#?}"
    );
}

/// The DRBD 9 state drbdsetup printed on a box, replayed from its bundle.
fn drbd9_bundle(output: &str, params: &str, events2: bool) -> Ran {
    let version = read(&fixture("proc-drbd/drbd9-version-only.txt"));
    let args: &[&str] = if events2 {
        &["events2", "--now", "all"]
    } else {
        &["status", "--json"]
    };
    let fake = FakeBox::new()
        .proc("drbd", Some(&version))
        .ran("/usr/sbin/drbdsetup", args, Ok(output))
        .absent(&[
            "/etc/drbd.conf",
            "/etc/drbd.d",
            "/var/log/kern.log",
            "/var/log/messages",
        ]);
    testing::check(&drbd_spec_text(params), fake.target())
}

/// Every fixture in `dir` is one of the `named` rows.
#[track_caller]
fn every_fixture_named(dir: &str, named: &[&str]) {
    let path = fixture(dir);
    let entries = std::fs::read_dir(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for entry in entries.flatten() {
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
    every_fixture_named("drbdsetup-json", &names);
    for (file, want, fragment) in rows {
        let output = read(&fixture(&format!("drbdsetup-json/{file}")));
        let ran = drbd9_bundle(&output, "", false);
        let c = ran.check("drbd-consistent");
        assert_eq!(c.status.as_str(), want, "{file}: {c:#?}");
        assert!(c.summary.contains(fragment), "{file}: {c:#?}");
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
    every_fixture_named("drbd-events2", &names);
    for (file, want, fragment) in rows {
        let output = read(&fixture(&format!("drbd-events2/{file}")));
        let ran = drbd9_bundle(&output, "drbdsetup_output = \"events2\"", true);
        let c = ran.check("drbd-consistent");
        assert_eq!(c.status.as_str(), want, "{file}: {c:#?}");
        assert!(c.summary.contains(fragment), "{file}: {c:#?}");
    }
}
