//! Kind `interface` (check lo-up) in-process (`crate::testing`): links read from captured
//! /proc and /sys (lo down, lo up with 127.0.0.1 in fib_trie). A real kernel's lo, in a
//! network namespace, is end-to-end in tests/kinds/interface.rs.

use crate::testing::{self, captured_fixture};

#[test]
fn captured_box_with_lo_down() {
    let ran = testing::shipped(&["shm-tmpfs", "lo-up"], captured_fixture("lo-down"));
    assert_eq!(ran.code, 1, "{ran:#?}");
    let shm = ran.check("shm-tmpfs");
    assert_eq!(shm.status.as_str(), "pass");
    assert!(shm.evidence_text().contains("statfs not run"), "{shm:#?}");
    let lo = ran.check("lo-up");
    assert_eq!(lo.status.as_str(), "fail");
    assert_eq!(lo.summary, "lo is down (IFF_UP not set)");
    // --only drops the edge to netrun-stale: no root cause from outside the selection.
    assert_eq!(lo.root_cause, None);
    assert!(
        lo.fix
            .as_deref()
            .is_some_and(|f| f.contains("ip link set lo up"))
    );
}

#[test]
fn captured_box_with_lo_up() {
    let ran = testing::shipped(&["lo-up"], captured_fixture("lo-up"));
    assert_eq!(ran.code, 0, "{ran:#?}");
    let lo = ran.check("lo-up");
    assert_eq!(lo.status.as_str(), "pass", "{lo:#?}");
    assert_eq!(lo.fix, None);
}
