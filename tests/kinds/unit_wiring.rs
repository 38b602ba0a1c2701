//! Kind `unit-wiring` (check unit-wiring): the gate's unit and the HA unit as the real
//! `systemctl --root` wires them in image trees, through the drop-in route the package
//! documents; the package itself is wired end to end in tests/package.rs. The planted
//! trees of image-tests/make_tree.py are judged in-process, in
//! src/kinds/unit_wiring/run_tests.rs.

use crate::common::{evidence, summary};
use serde_json::Value;

/// An image tree holding Debian 12's own HA units (tests/fixtures/units/debian12,
/// verbatim from the .debs) and ha-preflight's unit, merged-/usr as bookworm installs
/// it (/lib -> usr/lib, the packages' /lib/systemd/system landing in usr/lib), wired
/// by the real `systemctl --root=TREE`. Layouts systemctl cannot make (a drop-in is a
/// file the firmware installs, an alias of a unit without `Alias=`, a mask written by
/// hand) are made by hand, and `systemctl --root is-enabled` confirms each mask is one
/// by systemd's own reading.
struct Debian {
    _dir: crate::common::Scratch,
    root: std::path::PathBuf,
}

/// None when systemctl is missing (and this is not CI, which installs systemd).
fn debian(case: &str, packages: &[&str]) -> Option<Debian> {
    if !crate::common::have("systemctl") {
        crate::common::skip_outside_ci(
            &format!("unit-wiring {case}"),
            "systemctl for `systemctl --root` (apt-get install systemd)",
        );
        return None;
    }
    let dir = crate::common::scratch(&format!("units-{case}"));
    let root = dir.join("root");
    let units = root.join("usr/lib/systemd/system");
    std::fs::create_dir_all(&units).unwrap();
    std::fs::create_dir_all(root.join("etc/systemd/system")).unwrap();
    std::fs::create_dir_all(root.join("dev")).unwrap();
    std::os::unix::fs::symlink("usr/lib", root.join("lib")).unwrap();
    for package in packages {
        let from = crate::common::fixture(&format!("units/debian12/{package}/lib/systemd/system"));
        for entry in std::fs::read_dir(&from).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(
                entry.path(),
                root.join("lib/systemd/system").join(entry.file_name()),
            )
            .unwrap();
        }
    }
    std::fs::copy(
        crate::common::repo().join("systemd/ha-preflight.service"),
        units.join("ha-preflight.service"),
    )
    .unwrap();
    Some(Debian { _dir: dir, root })
}

impl Debian {
    fn systemctl(&self, args: &[&str]) -> String {
        crate::common::systemctl(&self.root, args)
    }

    /// The packaged drop-in (Requires= and After=) installed for `unit` under `dir`.
    fn dropin(&self, dir: &str, unit: &str) {
        self.file(
            &format!("{dir}/{unit}.d/10-ha-preflight.conf"),
            &std::fs::read_to_string(
                crate::common::repo()
                    .join("systemd/examples/ha-unit.service.d/10-ha-preflight.conf"),
            )
            .unwrap(),
        );
    }

    fn file(&self, rel: &str, text: &str) {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn link(&self, rel: &str, target: &str) {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, path).unwrap();
    }

    /// unit-wiring's result, with the spec's `ha_unit` set when given.
    fn wiring(&self, ha_unit: Option<&str>) -> Value {
        let root = self.root.display().to_string();
        let spec = self.root.parent().unwrap().join("spec.toml");
        let mut args = vec!["image", "--root", &root, "--format", "json"];
        let spec_arg = spec.display().to_string();
        match ha_unit {
            Some(ha) => {
                std::fs::write(
                    &spec,
                    format!(
                        "[[check]]\nid = \"unit-wiring\"\nkind = \"unit-wiring\"\n\
                         modes = [\"image\"]\nha_unit = \"{ha}\"\nwhy = \"w\"\nfix = \"f\"\n"
                    ),
                )
                .unwrap();
                args.extend(["--spec", &spec_arg]);
            }
            None => args.extend(["--only", "unit-wiring"]),
        }
        crate::common::run(&args).json()["checks"][0].clone()
    }
}

fn expect(c: &Value, status: &str, words: &str, what: &str) {
    assert_eq!(c["status"], status, "{what}: {c:#}");
    assert!(
        summary(c).contains(words),
        "{what}: want {words:?} in {c:#}"
    );
}

/// drbd-utils' template: drbd@r0.service is loaded from drbd@.service (it has no file of
/// its own), and its drop-ins, Requires= links and names are an instance's: the
/// drop-in in `drbd@r0.service.d/`, or in the template's `drbd@.service.d/`, or the
/// Requires= as `systemctl add-requires` writes it.
#[test]
fn a_template_instance_is_loaded_from_its_template() {
    let Some(t) = debian("template", &["drbd-utils", "pacemaker", "corosync"]) else {
        return;
    };
    // drbd@.service has no [Install]: an instance starts through drbd@r0.target.
    t.systemctl(&["enable", "ha-preflight.service", "drbd@r0.target"]);
    t.dropin("etc/systemd/system", "drbd@r0.service");
    for ha in [None, Some("drbd@r0.service")] {
        expect(
            &t.wiring(ha),
            "pass",
            "gates drbd@r0.service",
            "instance drop-in",
        );
    }
    std::fs::rename(
        t.root.join("etc/systemd/system/drbd@r0.service.d"),
        t.root.join("etc/systemd/system/drbd@.service.d"),
    )
    .unwrap();
    expect(
        &t.wiring(Some("drbd@r0.service")),
        "pass",
        "gates drbd@r0.service",
        "template drop-in, instance named",
    );
    // Requires= through the instance's .requires/ link, After= from the template's
    // drop-in.
    t.file(
        "etc/systemd/system/drbd@.service.d/10-ha-preflight.conf",
        "[Unit]\nAfter=ha-preflight.service\n",
    );
    expect(
        &t.wiring(Some("drbd@r0.service")),
        "fail",
        "drbd@r0.service (the spec's ha_unit) does not require ha-preflight.service",
        "After= only",
    );
    t.systemctl(&["add-requires", "drbd@r0.service", "ha-preflight.service"]);
    expect(
        &t.wiring(Some("drbd@r0.service")),
        "pass",
        "gates drbd@r0.service",
        "add-requires on the instance",
    );
    expect(
        &t.wiring(None),
        "pass",
        "gates drbd@r0.service",
        "found from the link",
    );
    // An instance of a template the image does not have is not installed.
    expect(
        &t.wiring(Some("drbd-proxy@r0.service")),
        "fail",
        "the HA unit drbd-proxy@r0.service (the spec's ha_unit) is not installed \
         (no unit file for it or its template drbd-proxy@.service",
        "no template",
    );
}

/// pacemaker.service under a second name: an alias link (pacemaker has no `Alias=`, so
/// by hand, as a firmware would add one). Drop-ins under either name apply to the one
/// unit, whichever name the spec gives or the drop-in uses.
#[test]
fn drop_ins_under_an_alias_are_the_units() {
    let Some(t) = debian("alias", &["pacemaker", "corosync"]) else {
        return;
    };
    t.systemctl(&[
        "enable",
        "ha-preflight.service",
        "pacemaker.service",
        "corosync.service",
    ]);
    t.link(
        "etc/systemd/system/cluster.service",
        "/lib/systemd/system/pacemaker.service",
    );
    assert_eq!(t.systemctl(&["is-enabled", "cluster.service"]), "alias");
    t.dropin("etc/systemd/system", "cluster.service");
    expect(
        &t.wiring(Some("pacemaker.service")),
        "pass",
        "gates pacemaker.service",
        "drop-in under the alias, unit named",
    );
    std::fs::rename(
        t.root.join("etc/systemd/system/cluster.service.d"),
        t.root.join("usr/lib/systemd/system/pacemaker.service.d"),
    )
    .unwrap();
    expect(
        &t.wiring(Some("cluster.service")),
        "pass",
        "gates cluster.service",
        "drop-in under the unit's name, alias named",
    );
    // Requires= under one name, After= under the other: one unit, gated.
    t.file(
        "usr/lib/systemd/system/pacemaker.service.d/10-ha-preflight.conf",
        "[Unit]\nAfter=ha-preflight.service\n",
    );
    t.file(
        "etc/systemd/system/cluster.service.d/10-require.conf",
        "[Unit]\nRequires=ha-preflight.service\n",
    );
    let c = t.wiring(None);
    expect(&c, "pass", "gates cluster.service", "split over both names");
    assert!(
        evidence(&c).contains("also named pacemaker.service"),
        "{c:#}"
    );
}

/// Masks systemd honours that a check comparing a link with "/dev/null" misses: an
/// empty unit file, and a relative link to ../../../dev/null. `systemctl mask`'s own
/// absolute link is the control. Of the gate and of the HA unit.
#[test]
fn every_mask_systemd_honours() {
    let Some(t) = debian("masks", &["keepalived"]) else {
        return;
    };
    t.systemctl(&["enable", "ha-preflight.service", "keepalived.service"]);
    t.dropin("usr/lib/systemd/system", "keepalived.service");
    expect(&t.wiring(None), "pass", "gates keepalived.service", "wired");
    let etc = |u: &str| t.root.join("etc/systemd/system").join(u);
    for unit in ["ha-preflight.service", "keepalived.service"] {
        let masks: [(&str, &dyn Fn()); 3] = [
            ("systemctl mask", &|| {
                t.systemctl(&["mask", unit]);
            }),
            ("an empty file", &|| std::fs::write(etc(unit), "").unwrap()),
            ("../../../dev/null", &|| {
                std::os::unix::fs::symlink("../../../dev/null", etc(unit)).unwrap()
            }),
        ];
        for (how, mask) in masks {
            mask();
            assert_eq!(
                t.systemctl(&["is-enabled", unit]),
                "masked",
                "{unit} by {how}"
            );
            let words = if unit == "ha-preflight.service" {
                "ha-preflight.service is masked".to_string()
            } else {
                format!("the HA unit {unit} is masked")
            };
            expect(
                &t.wiring(None),
                "fail",
                &words,
                &format!("{unit} masked by {how}"),
            );
            std::fs::remove_file(etc(unit)).unwrap();
            expect(
                &t.wiring(None),
                "pass",
                "gates keepalived.service",
                "unmasked",
            );
        }
    }
}

/// Not enabled, but the HA unit requires the gate and is ordered after it: systemd
/// starts the gate with the HA unit and starts the HA unit only once it passed, so it
/// gates (see the kind's docs). Not enabled and required by nothing: it never runs.
#[test]
fn a_gate_the_ha_unit_requires_needs_no_wants_link() {
    let Some(t) = debian("not-enabled", &["heartbeat"]) else {
        return;
    };
    t.systemctl(&["enable", "heartbeat.service"]);
    t.dropin("usr/lib/systemd/system", "heartbeat.service");
    assert_eq!(
        t.systemctl(&["is-enabled", "ha-preflight.service"]),
        "disabled"
    );
    expect(
        &t.wiring(None),
        "pass",
        "no .wants/ link enables it, but the Requires= starts it with the HA unit",
        "required, not enabled",
    );
    std::fs::remove_dir_all(t.root.join("usr/lib/systemd/system/heartbeat.service.d")).unwrap();
    let c = t.wiring(None);
    expect(
        &c,
        "fail",
        "no unit in the image requires ha-preflight.service",
        "nothing",
    );
    assert!(evidence(&c).contains("but not enabled"), "{c:#}");
}

/// Each failure names its own fix, not the check's general text: not installed, not
/// enabled, masked (gate, HA unit), Requires= missing, After= missing, nothing gated.
#[test]
fn each_failure_has_its_own_fix() {
    let Some(t) = debian("fixes", &["ctdb"]) else {
        return;
    };
    t.systemctl(&["enable", "ctdb.service"]);
    let etc = t.root.join("etc/systemd/system");
    let mut fixes: Vec<(&str, String)> = Vec::new();
    let mut fix_of = |what: &'static str, ha: Option<&str>, words: &str| {
        let c = t.wiring(ha);
        assert_eq!(c["status"], "fail", "{what}: {c:#}");
        let fix = c["fix"].as_str().unwrap_or_default().to_string();
        assert!(
            fix.contains(words),
            "{what}: want {words:?} in the fix: {c:#}"
        );
        fixes.push((what, fix));
    };
    // Nothing gated, and (so) not enabled either.
    fix_of(
        "nothing gated",
        None,
        "root/usr/share/doc/ha-preflight/examples/ha-unit.service.d/10-ha-preflight.conf",
    );
    fix_of("not enabled", None, "/root enable ha-preflight.service");
    // Requires= missing, After= missing (the spec names the unit).
    fix_of(
        "Requires= missing",
        Some("ctdb.service"),
        "Add Requires=ha-preflight.service",
    );
    t.file(
        "usr/lib/systemd/system/ctdb.service.d/10-ha-preflight.conf",
        "[Unit]\nRequires=ha-preflight.service\n",
    );
    fix_of(
        "After= missing",
        Some("ctdb.service"),
        "Add After=ha-preflight.service",
    );
    t.dropin("usr/lib/systemd/system", "ctdb.service");
    expect(&t.wiring(None), "pass", "gates ctdb.service", "wired");
    // The HA unit masked, the gate masked, the gate missing.
    t.systemctl(&["mask", "ctdb.service"]);
    fix_of("HA unit masked", None, "/root unmask ctdb.service");
    std::fs::remove_file(etc.join("ctdb.service")).unwrap();
    std::fs::write(etc.join("ha-preflight.service"), "").unwrap();
    fix_of("gate masked", None, "unmask ha-preflight.service");
    std::fs::remove_file(etc.join("ha-preflight.service")).unwrap();
    std::fs::remove_file(t.root.join("usr/lib/systemd/system/ha-preflight.service")).unwrap();
    fix_of(
        "not installed",
        None,
        "install -m 644 ha-preflight.service ",
    );
    // Paths under the tree (the report writes $ROOT as it), distinct, and none is the
    // check's general text.
    for (i, (a, fa)) in fixes.iter().enumerate() {
        assert_ne!(fa, "f", "{a} has the general fix");
        for (b, fb) in &fixes[i + 1..] {
            if (*a, *b) != ("nothing gated", "not enabled") {
                assert_ne!(fa, fb, "{a} and {b} share a fix");
            }
        }
    }
}

/// Which file wins, as systemd 252 on Debian 12 ranks its folders: /lib/systemd/system
/// before /usr/lib/systemd/system on an image that has not merged /usr, and a drop-in
/// in /etc/systemd/system.control (where `systemctl set-property` writes) before one
/// of the same name anywhere else; `systemctl --root is-enabled` agrees on the mask.
#[test]
fn search_path_and_drop_in_precedence() {
    let Some(t) = debian("precedence", &[]) else {
        return;
    };
    // Not merged: the package's unit in /lib, a stale mask of the same name in /usr/lib.
    std::fs::remove_file(t.root.join("lib")).unwrap();
    let lib = t.root.join("lib/systemd/system");
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::copy(
        crate::common::fixture("units/debian12/keepalived/lib/systemd/system/keepalived.service"),
        lib.join("keepalived.service"),
    )
    .unwrap();
    t.link("usr/lib/systemd/system/keepalived.service", "/dev/null");
    t.systemctl(&["enable", "ha-preflight.service", "keepalived.service"]);
    assert_eq!(
        t.systemctl(&["is-enabled", "keepalived.service"]),
        "enabled"
    );
    t.dropin("usr/lib/systemd/system", "keepalived.service");
    expect(
        &t.wiring(None),
        "pass",
        "gates keepalived.service",
        "/lib before /usr/lib",
    );
    // The same drop-in name masked in system.control hides the packaged one.
    t.link(
        "etc/systemd/system.control/keepalived.service.d/10-ha-preflight.conf",
        "/dev/null",
    );
    expect(
        &t.wiring(Some("keepalived.service")),
        "fail",
        "keepalived.service (the spec's ha_unit) does not require ha-preflight.service",
        "masked in system.control",
    );
}
