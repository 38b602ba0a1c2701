//! Kind `interface` (check lo-up): links read from captured /proc and /sys (lo down, lo
//! up with 127.0.0.1 in fib_trie), and from a real kernel in a network namespace whose lo
//! starts down.

use crate::common::ns::{Scenario, strs};
use crate::common::{check, run_captured, status};

#[test]
fn captured_box_with_lo_down() {
    let ran = run_captured(
        "lo-down",
        &["--only", "shm-tmpfs,lo-up", "--format", "json"],
    );
    assert_eq!(ran.code, 1, "{}", ran.stdout);
    let report = ran.json();
    assert_eq!(status(&report, "shm-tmpfs"), "pass");
    let shm = check(&report, "shm-tmpfs");
    assert!(
        shm["evidence"].to_string().contains("statfs not run"),
        "{shm:#}"
    );
    let lo = check(&report, "lo-up");
    assert_eq!(lo["status"], "fail");
    assert_eq!(lo["summary"], "lo is down (IFF_UP not set)");
    // --only drops the edge to netrun-stale: no root cause from outside the selection.
    assert_eq!(lo["root_cause"], serde_json::Value::Null);
    assert!(
        lo["fix"]
            .as_str()
            .is_some_and(|f| f.contains("ip link set lo up"))
    );
}

#[test]
fn captured_box_with_lo_up() {
    let ran = run_captured("lo-up", &["--only", "lo-up", "--format", "json"]);
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    let report = ran.json();
    let lo = check(&report, "lo-up");
    assert_eq!(lo["status"], "pass", "{lo:#}");
    assert_eq!(lo["fix"], serde_json::Value::Null);
}

/// A real lo, down, in a fresh network namespace: "lo-up" fails naming IFF_UP, and up
/// it passes with its address.
#[test]
fn a_real_loopback_down_then_up() {
    for (lo_up, want, words) in [
        (false, "fail", "lo is down (IFF_UP not set)"),
        (true, "pass", "127.0.0.1/8"),
    ] {
        let s = Scenario {
            lo_up,
            daemon: None,
            args: strs(&["--format", "json", "--only", "lo-up"]),
            ..Scenario::healthy("lo-real")
        };
        let Some((ran, _)) = s.run() else { return };
        let report = ran.json();
        assert_eq!(status(&report, "lo-up"), want, "{}", ran.stdout);
        assert!(
            check(&report, "lo-up").to_string().contains(words),
            "{}",
            ran.stdout
        );
    }
}
