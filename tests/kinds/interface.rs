//! Kind `interface` (check lo-up): links read from a real kernel in a network namespace
//! whose lo starts down. Captured /proc and /sys are read in-process, in
//! src/kinds/interface/run_tests.rs.

use crate::common::ns::{Scenario, strs};
use crate::common::{check, status};

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
