//! Kind `ifstate` (check netrun-stale): ifupdown's state files, as files in
//! tests/fixtures/ifstate/<case>/, read back by the parser; and the state compared with a
//! real kernel's links in a network namespace (an interface recorded up that is down, 0.8's
//! per-interface files). State baked into image trees is judged in-process, in
//! src/kinds/ifstate/run_tests.rs.

use crate::common::ns::{Layout, Scenario, strs};
use crate::common::{check, fixture, status, summary};
use ha_preflight::kinds::ifstate::parse;

/// What an `ifstate` file records: (interface, logical name) pairs.
type Records = &'static [(&'static str, &'static str)];

/// Each fixture folder, what its `ifstate` files record, and how many lines ifupdown
/// would ignore.
const FIXTURES: &[(&str, Records, usize)] = &[
    ("incident-lo", &[("lo", "lo")], 0),
    (
        "legacy-several",
        &[("lo", "lo"), ("eth0", "eth0"), ("bond0", "bond0-ha")],
        0,
    ),
    ("stale-veth", &[("lo", "lo"), ("veth0", "veth0")], 0),
    ("garbage-lines", &[("lo", "lo")], 3),
    ("empty", &[], 0),
];

/// The state of a box that recorded veth0 as up, kept for a boot where it is down.
const STALE_VETH: &str = include_str!("../fixtures/ifstate/stale-veth/ifstate");

#[test]
fn state_files_read_as_ifupdown_reads_them() {
    for &(case, want, ignored) in FIXTURES {
        let text = std::fs::read_to_string(fixture(&format!("ifstate/{case}/ifstate")))
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        let state = parse::ifstate(&text);
        assert_eq!(state.recorded, want, "{case}");
        assert_eq!(state.ignored.len(), ignored, "{case}: {:?}", state.ignored);
    }
    // ifupdown 0.8: ifstate.IFACE holds the logical name while up, nothing while down.
    let up = std::fs::read_to_string(fixture("ifstate/per-interface-0.8/ifstate.lo")).unwrap();
    assert_eq!(parse::per_interface("lo", &up), Some("lo"));
    let down = std::fs::read_to_string(fixture("ifstate/per-interface-0.8/ifstate.eth0")).unwrap();
    assert_eq!(parse::per_interface("eth0", &down), None);
}

#[test]
fn an_interface_recorded_up_but_down_is_stale() {
    let s = Scenario {
        ifstate: STALE_VETH,
        extra: "ip link add veth0 type veth peer name veth1".into(),
        ..Scenario::healthy("stale-veth")
    };
    let Some((ran, _)) = s.run() else { return };
    let report = ran.json();
    assert_eq!(ran.code, 1);
    let stale = check(&report, "netrun-stale");
    assert_eq!(stale["status"], "fail", "{stale:#}");
    assert!(summary(stale).contains("ifup will skip veth0"), "{stale:#}");
    assert_eq!(status(&report, "lo-up"), "pass");
}

#[test]
fn modern_per_interface_state_is_read_too() {
    let s = Scenario {
        layout: Layout::Modern,
        ifstate: "",
        lo_up: false,
        daemon: None,
        extra: format!(
            "cp {} /run/network/ifstate.lo",
            fixture("ifstate/per-interface-0.8/ifstate.lo").display()
        ),
        args: strs(&["--format", "json", "--only", "netrun-stale"]),
        ..Scenario::healthy("stale-0.8")
    };
    let Some((ran, _)) = s.run() else { return };
    let stale = ran.json();
    assert_eq!(status(&stale, "netrun-stale"), "fail", "{}", ran.stdout);
}
