//! Kind `unit-wiring` (check unit-wiring): the gate's unit and the HA unit as image trees
//! wire them, through the drop-in route the package documents; the package itself is
//! wired end to end in tests/package.rs.

use crate::support::{assert_planted, planted, summary};

#[test]
fn planted_in_image_trees() {
    assert_planted(&[
        (
            "clean",
            "unit-wiring",
            "pass",
            "gates appliance-ha.service (Requires= and After=)",
        ),
        (
            "ha-unit-requires-link",
            "unit-wiring",
            "pass",
            "gates appliance-ha.service",
        ),
        // Not enabled, but the HA unit's Requires= starts it, and After= first: gated.
        (
            "unit-not-enabled",
            "unit-wiring",
            "pass",
            "no .wants/ link enables it, but the Requires= starts it with the HA unit",
        ),
        (
            "unit-not-enabled-not-required",
            "unit-wiring",
            "fail",
            "no unit in the image requires ha-preflight.service",
        ),
        (
            "unit-missing",
            "unit-wiring",
            "fail",
            "ha-preflight.service is not installed",
        ),
        (
            "unit-not-ordered",
            "unit-wiring",
            "fail",
            "appliance-ha.service requires ha-preflight.service but is not ordered after it",
        ),
        (
            "no-ha-unit-gated",
            "unit-wiring",
            "fail",
            "no unit in the image requires ha-preflight.service",
        ),
        (
            "ha-unit-not-required",
            "unit-wiring",
            "fail",
            "no unit in the image requires ha-preflight.service",
        ),
    ]);
}

/// The spec names the HA unit: the clean tree's own unit passes, one the image does not
/// have fails, and so does one that is there but not gated.
#[test]
fn the_ha_unit_the_spec_names() {
    let Some((dir, _)) = planted("clean") else {
        return;
    };
    let root = dir.join("root");
    let spec = |ha: &str| {
        format!(
            "[[check]]\nid = \"unit-wiring\"\nkind = \"unit-wiring\"\nmodes = [\"image\"]\n\
             ha_unit = \"{ha}\"\nwhy = \"w\"\nfix = \"f\"\n"
        )
    };
    let root_arg = root.display().to_string();
    for (ha, want, words) in [
        ("appliance-ha.service", "pass", "gates appliance-ha.service"),
        (
            "xcb-ha.service",
            "fail",
            "the HA unit xcb-ha.service (the spec's ha_unit) is not installed",
        ),
        (
            "regenerate-ssh-host-keys.service",
            "fail",
            "regenerate-ssh-host-keys.service (the spec's ha_unit) does not require ha-preflight.service",
        ),
    ] {
        let spec_path = dir.join("spec.toml");
        std::fs::write(&spec_path, spec(ha)).expect("write spec");
        let spec_arg = spec_path.display().to_string();
        let report = crate::common::run(&[
            "image", "--root", &root_arg, "--spec", &spec_arg, "--format", "json",
        ])
        .json();
        let c = report["checks"][0].clone();
        assert_eq!(c["status"], want, "{ha}: {c:#}");
        assert!(summary(&c).contains(words), "{ha}: {c:#}");
    }
}
