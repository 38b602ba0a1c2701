//! Kind `file-age` (check sync-age) in-process (`crate::testing`): files on this machine
//! touched hours and days ago, and timestamps inside them (Unix seconds, RFC 3339, the
//! future, garbage), judged as `boot --spec` judges them.

use crate::testing::{self, Checked};
use std::path::Path;
use std::process::Command;

/// The one check of `spec`, run on this machine.
#[track_caller]
fn run(spec: &str) -> Checked {
    testing::on_this_machine(spec)
}

fn age_spec(dir: &Path, severity: &str, extra: &str) -> String {
    format!(
        r#"[[check]]
id = "sync-age"
kind = "file-age"
modes = ["boot"]
why = "test"
fix = "test"
severity = "{severity}"
path = "{d}/last-sync"
max_age = "26h"
{extra}
"#,
        d = dir.display()
    )
}

fn touch(path: &Path, ago: &str) {
    let ok = Command::new("touch")
        .arg("-d")
        .arg(ago)
        .arg(path)
        .status()
        .unwrap_or_else(|e| panic!("touch: {e}"));
    assert!(ok.success());
}

#[test]
fn an_old_sync_is_a_warning_or_a_failure_by_severity() {
    let scratch = tempfile::tempdir().unwrap_or_else(|e| panic!("scratch: {e}"));
    let dir = scratch.path();
    let file = dir.join("last-sync");
    std::fs::write(&file, "").unwrap_or_else(|e| panic!("{e}"));
    touch(&file, "2 hours ago");
    let c = run(&age_spec(dir, "warning", ""));
    assert_eq!(c.status.as_str(), "pass", "{c:#?}");
    assert!(c.summary.starts_with("last run 2h 0m ago"), "{c:#?}");

    touch(&file, "3 days ago");
    let c = run(&age_spec(dir, "warning", ""));
    assert_eq!(c.status.as_str(), "warn", "{c:#?}");
    assert_eq!(c.summary, "last run 3d 0h ago, longer than max_age 26h");
    let c = run(&age_spec(dir, "critical", ""));
    assert_eq!(c.status.as_str(), "fail", "{c:#?}");
}

#[test]
fn a_timestamp_inside_the_file() {
    let scratch = tempfile::tempdir().unwrap_or_else(|e| panic!("scratch: {e}"));
    let dir = scratch.path();
    let file = dir.join("last-sync");
    let spec = age_spec(
        dir,
        "critical",
        "timestamp = \"content\"\nkey = \"LAST_SYNC\"",
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    std::fs::write(&file, format!("PEER=10.0.0.2\nLAST_SYNC={}\n", now - 600))
        .unwrap_or_else(|e| panic!("{e}"));
    let c = run(&spec);
    assert_eq!(c.status.as_str(), "pass", "{c:#?}");
    assert!(c.summary.starts_with("last run 10m"), "{c:#?}");

    std::fs::write(&file, "LAST_SYNC=2020-01-01T00:00:00+01:00\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let c = run(&spec);
    assert_eq!(c.status.as_str(), "fail", "{c:#?}");
    assert!(
        c.evidence_text().contains("2019-12-31 23:00:00 UTC"),
        "{c:#?}"
    );

    std::fs::write(&file, format!("LAST_SYNC={}\n", now + 86_400))
        .unwrap_or_else(|e| panic!("{e}"));
    let c = run(&spec);
    assert_eq!(c.status.as_str(), "error", "{c:#?}");
    assert!(
        c.summary.contains("in the future; the clock is wrong"),
        "{c:#?}"
    );

    std::fs::write(&file, "LAST_SYNC=last tuesday\n").unwrap_or_else(|e| panic!("{e}"));
    let c = run(&spec);
    assert_eq!(c.status.as_str(), "error", "{c:#?}");
    assert!(
        c.summary.contains("neither Unix seconds nor a date"),
        "{c:#?}"
    );

    std::fs::write(&file, "OTHER=1\n").unwrap_or_else(|e| panic!("{e}"));
    let c = run(&spec);
    assert_eq!(c.status.as_str(), "error", "{c:#?}");
    assert!(c.summary.ends_with("has no `LAST_SYNC=` line"), "{c:#?}");
}

#[test]
fn no_sync_record_skips_unless_the_spec_requires_one() {
    let scratch = tempfile::tempdir().unwrap_or_else(|e| panic!("scratch: {e}"));
    let dir = scratch.path();
    let c = run(&age_spec(dir, "critical", ""));
    assert_eq!(c.status.as_str(), "skip", "{c:#?}");
    let c = run(&age_spec(dir, "critical", "missing = \"fail\""));
    assert_eq!(c.status.as_str(), "fail", "{c:#?}");
}
