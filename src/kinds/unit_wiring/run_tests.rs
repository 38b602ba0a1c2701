//! Kind `unit-wiring` (check unit-wiring) in-process (`crate::testing`): the gate's unit
//! and the HA unit as planted image trees wire them. The trees the real `systemctl
//! --root` wires stay end-to-end, in tests/kinds/unit_wiring.rs.

use crate::testing::{self, assert_planted, planted};

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
            "unit-masked-empty-file",
            "unit-wiring",
            "fail",
            "ha-preflight.service is masked (/etc/systemd/system/ha-preflight.service is an empty file)",
        ),
        (
            "ha-unit-masked-relative-link",
            "unit-wiring",
            "fail",
            "the HA unit appliance-ha.service is masked (/etc/systemd/system/appliance-ha.service -> ../../../dev/null)",
        ),
        (
            "ha-unit-template-instance",
            "unit-wiring",
            "pass",
            "gates appliance-ha@main.service",
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
    let Some(tree) = planted("clean") else {
        return;
    };
    let spec = |ha: &str| {
        format!(
            "[[check]]\nid = \"unit-wiring\"\nkind = \"unit-wiring\"\nmodes = [\"image\"]\n\
             ha_unit = \"{ha}\"\nwhy = \"w\"\nfix = \"f\"\n"
        )
    };
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
        let ran = testing::check(&spec(ha), testing::image(&tree.root));
        let c = ran.only();
        assert_eq!(c.status.as_str(), want, "{ha}: {c:#?}");
        assert!(c.summary.contains(words), "{ha}: {c:#?}");
    }
}
