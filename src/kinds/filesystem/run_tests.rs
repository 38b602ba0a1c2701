//! Kind `filesystem` (check fs-errors) in-process (`crate::testing`): a filesystem
//! fstab lists but that is not mounted on this machine, and a captured bundle's error
//! record. Real mounts, loop devices and the kernel's error hook stay end-to-end, in
//! tests/kinds/filesystem.rs.

use crate::testing;
use std::path::Path;

fn fs_spec(dir: &Path, mounts: &str, extra: &str) -> String {
    format!(
        r#"[[check]]
id = "fs-errors"
kind = "filesystem"
modes = ["boot"]
why = "test"
fix = "test"
mounts = [{mounts}]
fstab = "{d}/fstab"
{extra}
"#,
        d = dir.display()
    )
}

#[test]
fn a_filesystem_in_fstab_but_not_mounted_fails_and_one_not_configured_skips() {
    let scratch = tempfile::tempdir().unwrap_or_else(|e| panic!("scratch: {e}"));
    let dir = scratch.path();
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap_or_else(|e| panic!("{e}"));
    let spec = fs_spec(
        dir,
        &format!(r#"{{ path = "{}", options = ["rw"] }}"#, data.display()),
        "",
    );
    let ran = testing::check(&spec, testing::live());
    let c = ran.only();
    assert_eq!(c.status.as_str(), "skip", "{c:#?}");
    assert!(
        c.evidence_text().contains("not configured on this box"),
        "{c:#?}"
    );

    std::fs::write(
        dir.join("fstab"),
        format!("LABEL=data {} ext4 defaults 0 2\n", data.display()),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let ran = testing::check(&spec, testing::live());
    let c = ran.only();
    assert_eq!(c.status.as_str(), "fail", "{c:#?}");
    assert_eq!(c.summary, format!("{} is not mounted", data.display()));

    std::fs::write(
        dir.join("fstab"),
        format!("LABEL=data {} ext4 noauto 0 2\n", data.display()),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let ran = testing::check(&spec, testing::live());
    assert_eq!(ran.only().status.as_str(), "skip");
}

#[test]
fn recorded_ext4_errors_from_a_captured_bundle() {
    let scratch = tempfile::tempdir().unwrap_or_else(|e| panic!("scratch: {e}"));
    let dir = scratch.path();
    let spec = fs_spec(
        dir,
        r#"{ path = "/", options = ["rw"] }, { path = "/data", options = ["rw"] }"#,
        "",
    );
    let ran = testing::check(&spec, testing::captured_fixture("ext4-errors"));
    let c = ran.only();
    assert_eq!(c.status.as_str(), "fail", "{c:#?}");
    assert_eq!(
        c.summary,
        "/data: rw expected, found ro: the superblock is read-only while the mount says rw, \
         the kernel's errors=remount-ro fallback after a filesystem error (and 1 more)"
    );
    let ev = c.evidence_text();
    assert!(
        ev.contains(
            "/data has 3 recorded filesystem errors (first 2026-11-19 03:12:45 UTC in \
             ext4_lookup:1855, inode 131074; last 2026-11-20 21:40:02 UTC in \
             ext4_journal_check_start:83)"
        ),
        "{ev}"
    );
    assert!(
        !ev.contains("statfs"),
        "a captured bundle is not statfs-ed: {ev}"
    );
}
