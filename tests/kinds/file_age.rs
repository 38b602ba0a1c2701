//! Kind `file-age` (check sync-age): files touched hours and days ago, and timestamps
//! inside them (Unix seconds, RFC 3339, the future, garbage).

use crate::common::scratch;
use crate::support::{evidence, only, summary};
use std::fs;
use std::path::Path;
use std::process::Command;

// --- sync-age --------------------------------------------------------------------

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
        .expect("touch");
    assert!(ok.success());
}

#[test]
fn an_old_sync_is_a_warning_or_a_failure_by_severity() {
    let dir = scratch("age-mtime");
    let file = dir.join("last-sync");
    fs::write(&file, "").unwrap();
    touch(&file, "2 hours ago");
    let c = only(&dir, &age_spec(&dir, "warning", ""), &[]);
    assert_eq!(c["status"], "pass", "{c:#}");
    assert!(summary(&c).starts_with("last run 2h 0m ago"), "{c:#}");

    touch(&file, "3 days ago");
    let c = only(&dir, &age_spec(&dir, "warning", ""), &[]);
    assert_eq!(c["status"], "warn", "{c:#}");
    assert_eq!(summary(&c), "last run 3d 0h ago, longer than max_age 26h");
    let c = only(&dir, &age_spec(&dir, "critical", ""), &[]);
    assert_eq!(c["status"], "fail", "{c:#}");
}

#[test]
fn a_timestamp_inside_the_file() {
    let dir = scratch("age-content");
    let file = dir.join("last-sync");
    let spec = age_spec(
        &dir,
        "critical",
        "timestamp = \"content\"\nkey = \"LAST_SYNC\"",
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    fs::write(&file, format!("PEER=10.0.0.2\nLAST_SYNC={}\n", now - 600)).unwrap();
    let c = only(&dir, &spec, &[]);
    assert_eq!(c["status"], "pass", "{c:#}");
    assert!(summary(&c).starts_with("last run 10m"), "{c:#}");

    fs::write(&file, "LAST_SYNC=2020-01-01T00:00:00+01:00\n").unwrap();
    let c = only(&dir, &spec, &[]);
    assert_eq!(c["status"], "fail", "{c:#}");
    assert!(evidence(&c).contains("2019-12-31 23:00:00 UTC"), "{c:#}");

    fs::write(&file, format!("LAST_SYNC={}\n", now + 86_400)).unwrap();
    let c = only(&dir, &spec, &[]);
    assert_eq!(c["status"], "error", "{c:#}");
    assert!(
        summary(&c).contains("in the future; the clock is wrong"),
        "{c:#}"
    );

    fs::write(&file, "LAST_SYNC=last tuesday\n").unwrap();
    let c = only(&dir, &spec, &[]);
    assert_eq!(c["status"], "error", "{c:#}");
    assert!(
        summary(&c).contains("neither Unix seconds nor a date"),
        "{c:#}"
    );

    fs::write(&file, "OTHER=1\n").unwrap();
    let c = only(&dir, &spec, &[]);
    assert_eq!(c["status"], "error", "{c:#}");
    assert!(summary(&c).ends_with("has no `LAST_SYNC=` line"), "{c:#}");
}

#[test]
fn no_sync_record_skips_unless_the_spec_requires_one() {
    let dir = scratch("age-missing");
    let c = only(&dir, &age_spec(&dir, "critical", ""), &[]);
    assert_eq!(c["status"], "skip", "{c:#}");
    let c = only(&dir, &age_spec(&dir, "critical", "missing = \"fail\""), &[]);
    assert_eq!(c["status"], "fail", "{c:#}");
}
