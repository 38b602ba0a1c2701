//! Kind `mount` (check shm-tmpfs) in-process (`crate::testing`): a captured mount table.
//! /dev/shm laid out for real in mount namespaces is end-to-end, in tests/kinds/mount.rs.

use crate::testing::{self, captured_fixture};

/// A filesystem without blocks (proc) passes without a word about free space: "0 B
/// free" would read as full.
#[test]
fn proc_has_no_free_space_to_speak_of() {
    let host = crate::world::Target::build_host().expect("/ opens");
    let ran = testing::shipped(&["host-proc"], host);
    let proc = ran.check("host-proc");
    assert_eq!(proc.status.as_str(), "pass", "{proc:#?}");
    assert_eq!(proc.summary, "/proc is proc", "{proc:#?}");
}

/// A captured mount table belongs to another box: its /dev/shm is judged from the table,
/// and nothing of this machine is statfs'ed.
#[test]
fn a_captured_mount_table_is_judged_without_statfs() {
    let ran = testing::shipped(&["shm-tmpfs"], captured_fixture("lo-down"));
    let shm = ran.check("shm-tmpfs");
    assert_eq!(shm.status.as_str(), "pass", "{shm:#?}");
    assert!(shm.evidence_text().contains("statfs not run"), "{shm:#?}");
}
