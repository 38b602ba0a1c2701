//! The spec's layers end to end (doc/ha-preflight.8, SPEC OVERLAY): the built-in spec,
//! then /usr/lib/ha-preflight/checks.d, then /etc/ha-preflight/checks.d, read from inside
//! the image in image mode (the trees of tests/fixtures/image) and from the box in boot
//! mode (a namespace whose /etc is an overlay). An admin file adds checks, replaces one by
//! id, changes keys of one, removes one with a reason; each is said by `--version`,
//! `list` and every report format, and a mistake in it is placed in it.

use crate::common;

use common::ns::{Scenario, strs};
use common::{Ran, check, make_tree, run, scratch, status};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The image tree of `case` (tests/fixtures/image) with the admin spec files `files` in its
/// etc/ha-preflight/checks.d.
fn tree(scratch: &Path, case: &str, files: &[(&str, &str)]) -> PathBuf {
    let root = scratch.join("tree");
    make_tree(case, &root);
    let admin = root.join("etc/ha-preflight/checks.d");
    std::fs::create_dir_all(&admin).expect("mkdir");
    for (name, text) in files {
        std::fs::write(admin.join(name), text).expect("admin file");
    }
    root
}

fn ha(args: &[&str], root: &Path) -> Ran {
    let root = root.display().to_string();
    let mut all = args.to_vec();
    all.extend(["--root", root.as_str()]);
    run(&all)
}

fn ids(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter_map(|c| c["id"].as_str().map(String::from))
        .collect()
}

fn squeezed(text: &str) -> String {
    text.split_whitespace().collect()
}

/// The image-mode checks of the built-in spec.
fn builtin_image_checks() -> Vec<String> {
    let catalog = run(&["list", "--format", "json"]).json();
    catalog["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| {
            c["modes"]
                .as_array()
                .is_some_and(|m| m.contains(&"image".into()))
        })
        .filter_map(|c| c["id"].as_str().map(String::from))
        .collect()
}

const CORE: &str = r#"
[[check]]
id = "no-core-files"
kind = "path"
modes = ["image"]
rules = [{ paths = ["/core"], absent = true }]
why = "A core file in the image is a crash of the build, left behind."
fix = "Remove $ROOT/core."
"#;

/// The admin file of issue 22 point 7: one new check. Before, it replaced the whole
/// built-in spec of an image without a vendor folder, and the planted policy-rc.d passed
/// unseen (1 check, PASS); now it adds to the built-in checks, which find it.
#[test]
fn one_admin_file_adds_to_the_image_checks_instead_of_replacing_them() {
    let dir = scratch("overlay-add");
    let root = tree(&dir, "policy-rc-d", &[("local.toml", CORE)]);
    let ran = ha(&["image", "--format", "json"], &root);
    let report = ran.json();
    let builtin = builtin_image_checks();
    assert_eq!(builtin.len(), 16, "{builtin:?}");
    let mut want = builtin.clone();
    want.push("no-core-files".into());
    let mut got = ids(&report);
    got.sort();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(status(&report, "policy-rc-d"), "fail");
    assert_eq!(status(&report, "no-core-files"), "pass");
    assert_eq!(report["verdict"], "fail");
    assert_eq!(ran.code, 1);
    // Adding replaces nothing: no overlay to report.
    assert!(report.get("overlay").is_none(), "{report:#}");
}

/// An admin file that changes one check, replaces one by id and removes one.
const TWEAK: &str = r#"# Warn, do not fail, on leftovers in /tmp; and give the walk more time.
[[change]]
id = "tmp-leftovers"
severity = "warning"
timeout = "20s"

[[remove]]
id = "qemu-user-static"
reason = "this board's images are built natively"

[[check]]
id = "mtab-link"
kind = "path"
modes = ["image"]
severity = "warning"
rules = [{ paths = ["/etc/mtab"], link_to = ["../proc/self/mounts"] }]
why = "Our mtab link is always the relative one."
fix = "ln -sf ../proc/self/mounts $ROOT/etc/mtab"
"#;

#[test]
fn change_replace_and_remove_are_said_in_every_report() {
    if common::skip_unless_root(
        "change_replace_and_remove_are_said",
        "a tree built by another user is owned by it, and unknown-owners rightly fails it",
    ) {
        return;
    }
    let dir = scratch("overlay-tweak");
    let root = tree(&dir, "qemu-static", &[("tweak.toml", TWEAK)]);
    let at = root.join("etc/ha-preflight/checks.d/tweak.toml");
    let at = at.display();

    let ran = ha(&["image", "--format", "json"], &root);
    let report = ran.json();
    // The planted qemu-user-static is removed with its reason: pass, and said.
    assert_eq!(report["verdict"], "pass", "{report:#}");
    assert_eq!(ran.code, 0);
    assert!(!ids(&report).contains(&"qemu-user-static".to_string()));
    assert_eq!(ids(&report).len(), 15);
    assert_eq!(check(&report, "tmp-leftovers")["severity"], "warning");
    assert_eq!(check(&report, "mtab-link")["severity"], "warning");
    let overlay = report["overlay"].as_array().expect("overlay");
    let actions: Vec<(&str, &str, &str)> = overlay
        .iter()
        .map(|n| {
            (
                n["action"].as_str().unwrap_or_default(),
                n["check"].as_str().unwrap_or_default(),
                n["by"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("replaced", "mtab-link", format!("{at}:12").as_str()),
            ("changed", "tmp-leftovers", format!("{at}:2").as_str()),
            ("removed", "qemu-user-static", format!("{at}:7").as_str()),
        ]
    );
    assert_eq!(overlay[1]["detail"], "`severity`, `timeout`");
    assert_eq!(
        overlay[2]["detail"],
        "this board's images are built natively"
    );
    assert!(
        overlay[0]["of"]
            .as_str()
            .is_some_and(|o| o.starts_with("built-in:image.toml:")),
        "{overlay:?}"
    );
    let removed = overlay[2]["text"].as_str().unwrap_or_default().to_string();
    assert!(
        removed.starts_with("check qemu-user-static (built-in:image.toml:")
            && removed.ends_with(&format!(
                "removed by {at}:7: this board's images are built natively"
            )),
        "{removed}"
    );

    // Human: each under the header, wrapped at 80 columns.
    let human = ha(&["image"], &root);
    // Long paths are cut to fit: compare without the white space wrapping adds.
    let joined = squeezed(&human.stdout);
    for note in overlay {
        let text = note["text"].as_str().unwrap_or_default();
        assert!(
            joined.contains(&squeezed(&format!("spec: {text}"))),
            "{text}\n{}",
            human.stdout
        );
    }
    let wide = common::human::too_wide(&human.stdout);
    assert!(wide.is_empty(), "{wide:#?}");
    // -q is the verdict alone.
    assert_eq!(ha(&["image", "-q"], &root).stdout.lines().count(), 1);
    // JUnit: one property each.
    let junit = ha(&["image", "--format", "junit"], &root).stdout;
    assert_eq!(junit.matches("<property name=\"spec-overlay\"").count(), 3);
    assert!(
        junit.contains("removed by ") && junit.contains("this board&apos;s images"),
        "{junit}"
    );
    // Nagios: long output after the checks.
    let nagios = ha(&["image", "--format", "nagios"], &root).stdout;
    let spec_lines: Vec<&str> = nagios.lines().filter(|l| l.starts_with("spec ")).collect();
    assert_eq!(spec_lines.len(), 3, "{nagios}");
    assert!(nagios.starts_with("HA-PREFLIGHT OK - "), "{nagios}");
}

/// More than three notes: the default view says how many more, -v shows each.
#[test]
fn many_overlay_lines_keep_the_human_report_on_one_screen() {
    let dir = scratch("overlay-many");
    let removes: String = [
        "policy-rc-d",
        "machine-id",
        "ssh-host-keys",
        "resolv-conf",
        "apt-proxy",
    ]
    .iter()
    .map(|id| format!("[[remove]]\nid = \"{id}\"\nreason = \"checked elsewhere\"\n\n"))
    .collect();
    let root = tree(&dir, "clean", &[("many.toml", &removes)]);
    let human = ha(&["image"], &root).stdout;
    assert_eq!(human.matches("spec: check ").count(), 2, "{human}");
    assert!(
        human.contains("spec: and 3 more changes by its layers"),
        "{human}"
    );
    let verbose = ha(&["image", "-v"], &root).stdout;
    assert_eq!(verbose.matches("spec: check ").count(), 5, "{verbose}");
}

#[test]
fn list_and_version_say_where_each_check_comes_from() {
    let dir = scratch("overlay-list");
    let root = tree(
        &dir,
        "clean",
        &[("local.toml", CORE), ("tweak.toml", TWEAK)],
    );
    let admin = root.join("etc/ha-preflight/checks.d");
    let (local, tweak) = (admin.join("local.toml"), admin.join("tweak.toml"));

    let listed = ha(&["list"], &root);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let row = |id: &str| {
        listed
            .stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(id))
            .unwrap_or_else(|| panic!("no {id}:\n{}", listed.stdout))
            .to_string()
    };
    assert!(
        row("no-core-files").ends_with(&format!("{}:3", local.display())),
        "{}",
        listed.stdout
    );
    assert!(row("mtab-link").ends_with(&format!("{}:12", tweak.display())));
    assert!(row("lo-up").contains(" built-in:boot.toml:"));
    assert!(
        row("tmp-leftovers").ends_with(&format!("(changed by {}:2)", tweak.display())),
        "{}",
        row("tmp-leftovers")
    );
    assert!(
        listed
            .stdout
            .lines()
            .all(|l| !l.starts_with("qemu-user-static"))
    );
    assert!(
        listed
            .stdout
            .contains("# overlay: check qemu-user-static (built-in:image.toml:"),
        "{}",
        listed.stdout
    );

    let catalog = ha(&["list", "--format", "json"], &root).json();
    let entry = |id: &str| {
        catalog["checks"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["id"] == id))
            .unwrap_or_else(|| panic!("no {id}"))
            .clone()
    };
    assert_eq!(
        entry("no-core-files")["from"],
        format!("{}:3", local.display())
    );
    assert_eq!(
        entry("tmp-leftovers")["changed_by"],
        serde_json::json!([format!("{}:2", tweak.display())])
    );
    assert!(entry("lo-up").get("changed_by").is_none());
    assert_eq!(catalog["overlay"].as_array().map(Vec::len), Some(3));

    // explain says it too.
    let explained = ha(&["explain", "tmp-leftovers"], &root).stdout;
    assert!(
        explained.contains(&format!("CHANGED BY {}:2", tweak.display())),
        "{explained}"
    );

    let version = ha(&["--version"], &root).stdout;
    let lines: Vec<&str> = version.lines().collect();
    assert!(
        lines[1].starts_with("spec: built-in:boot.toml, built-in:image.toml, "),
        "{version}"
    );
    assert!(lines[1].ends_with(" (26 checks)"), "{version}");
    for want in [
        "  built-in  built-in:boot.toml: 11 checks".to_string(),
        "  built-in  built-in:image.toml: 13 checks".to_string(),
        format!("  admin     {}: 1 check", local.display()),
        format!(
            "  admin     {}: 1 check, 1 change, 1 removal",
            tweak.display()
        ),
    ] {
        assert!(lines.contains(&want.as_str()), "{want}\n{version}");
    }
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("  overlay: "))
            .count(),
        3,
        "{version}"
    );
}

/// An admin copy of image.toml that keeps one check: the other 15 are gone, and said,
/// by name, where nothing used to say so.
#[test]
fn a_file_of_the_same_name_replaces_the_built_in_one_and_says_what_went() {
    let dir = scratch("overlay-same-name");
    let root = tree(&dir, "policy-rc-d", &[("image.toml", CORE)]);
    let report = ha(&["image", "--format", "json"], &root).json();
    // The planted mistake goes unseen, as the admin asked, but not unsaid.
    assert_eq!(report["verdict"], "pass");
    let builtin = builtin_image_checks();
    let image_toml: Vec<&String> = builtin
        .iter()
        .filter(|id| !["netrun-layout", "netrun-stale"].contains(&id.as_str()))
        .collect();
    let overlay = report["overlay"].as_array().expect("overlay");
    let [note] = overlay.as_slice() else {
        panic!("{overlay:?}")
    };
    assert_eq!(note["action"], "file-replaced");
    assert_eq!(note["of"], "built-in:image.toml");
    let gone = note["detail"].as_str().unwrap_or_default();
    for id in image_toml {
        assert!(gone.contains(id.as_str()), "{id}: {gone}");
    }
    let human = ha(&["image"], &root).stdout;
    assert!(
        squeezed(&human).contains(&squeezed("checks only it defined are gone: policy-rc-d,")),
        "{human}"
    );
}

#[test]
fn a_mistake_in_an_admin_change_is_placed_in_the_admin_file() {
    let dir = scratch("overlay-bad");
    let bad = "[[change]]\nid = \"tmp-leftovers\"\nseverity = \"warning\"\nmax_age = \"1d\"\n";
    let root = tree(&dir, "clean", &[("bad.toml", bad)]);
    let ran = ha(&["image", "--format", "json"], &root);
    assert_eq!(ran.code, 2, "{}", ran.stdout);
    let at = root.join("etc/ha-preflight/checks.d/bad.toml");
    assert!(
        ran.stderr.contains(&format!(
            "spec error: {}:4:1: unknown parameter `max_age` for kind `tree`",
            at.display()
        )),
        "{}",
        ran.stderr
    );
    assert!(ran.stdout.is_empty());
}

/// `--spec DIR` is one layer, the whole spec: a change there amends a check of an
/// earlier file; the same id in two of its files stays an error.
#[test]
fn a_spec_directory_is_one_layer() {
    let dir = scratch("overlay-spec-dir");
    let spec = dir.join("spec");
    std::fs::create_dir_all(&spec).expect("mkdir");
    let lo = "[[check]]\nid = \"lo-up\"\nkind = \"interface\"\nmodes = [\"boot\"]\nname = \"lo\"\nwhy = \"w\"\nfix = \"f\"\n";
    std::fs::write(spec.join("a.toml"), lo).expect("a");
    std::fs::write(
        spec.join("b.toml"),
        "[[change]]\nid = \"lo-up\"\nseverity = \"warning\"\n",
    )
    .expect("b");
    let shown = spec.display().to_string();
    let ran = common::run_captured("lo-up", &["boot", "--spec", &shown, "--format", "json"]);
    let report = ran.json();
    assert_eq!(check(&report, "lo-up")["severity"], "warning");
    assert_eq!(report["overlay"][0]["action"], "changed");
    let version = run(&["--version", "--spec", &shown]).stdout;
    assert!(
        version.contains(&format!("  --spec    {shown}/b.toml: 0 checks, 1 change")),
        "{version}"
    );
    std::fs::write(spec.join("b.toml"), lo).expect("b");
    let ran = run(&["boot", "--spec", &shown]);
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr
            .contains(&format!("{shown}/b.toml:2:6: duplicate check id `lo-up`")),
        "{}",
        ran.stderr
    );
}

/// Boot mode on a box: /etc/ha-preflight/checks.d overlays the built-in spec. Before,
/// this file alone was the spec, and a spec of no `[[check]]` is an error (exit 2).
#[test]
fn boot_reads_the_admin_layer_of_the_box_over_the_built_in_spec() {
    let s = Scenario {
        extra: r#"mkdir -p /etc/ha-preflight/checks.d
cat > /etc/ha-preflight/checks.d/standalone.toml <<'EOF'
[[remove]]
id = "sync-age"
reason = "a standalone node has no standby"

[[change]]
id = "xcbdaemon-rpc"
timeout = "4s"
EOF"#
            .into(),
        args: strs(&["--format", "json"]),
        ..Scenario::healthy("overlay-boot")
    };
    let Some((ran, _)) = s.run() else { return };
    let report = ran.json();
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let got = ids(&report);
    for id in [
        "shm-tmpfs",
        "netrun-layout",
        "lo-up",
        "xcbdaemon-rpc",
        "fs-errors",
    ] {
        assert!(got.contains(&id.to_string()), "{id}: {got:?}");
    }
    assert!(!got.contains(&"sync-age".to_string()));
    let actions: Vec<&str> = report["overlay"]
        .as_array()
        .expect("overlay")
        .iter()
        .filter_map(|n| n["action"].as_str())
        .collect();
    // A file's changes are made before its removals.
    assert_eq!(actions, ["changed", "removed"]);
    assert_eq!(
        report["overlay"][1]["by"],
        "/etc/ha-preflight/checks.d/standalone.toml:1"
    );
}

/// A bundle keeps each file's layer: an admin check that replaces a built-in one by id
/// replays as it ran, not as a duplicate.
#[test]
fn a_bundle_of_a_layered_spec_replays_with_its_layers() {
    let carried = scratch("overlay-bundle");
    let tar = carried.join("box.tar").display().to_string();
    let s = Scenario {
        extra: r#"mkdir -p /etc/ha-preflight/checks.d
cat > /etc/ha-preflight/checks.d/local.toml <<'EOF'
[[check]]
id = "lo-up"
kind = "interface"
modes = ["boot"]
after = ["netrun-stale"]
name = "lo"
why = "our own lo-up"
fix = "ip link set lo up"
EOF"#
            .into(),
        args: strs(&["collect", "--output", &tar]),
        ..Scenario::healthy("overlay-bundle-take")
    };
    let Some((taken, _)) = s.run() else { return };
    assert_eq!(taken.code, 0, "{}\n{}", taken.stdout, taken.stderr);
    let listed = Command::new("tar")
        .args(["tf", &tar])
        .output()
        .expect("tar runs");
    let members = String::from_utf8_lossy(&listed.stdout).into_owned();
    for m in ["spec/boot.toml", "spec/image.toml", "spec/admin@local.toml"] {
        assert!(
            members.contains(&format!("ha-preflight-bundle/{m}")),
            "{m}: {members}"
        );
    }
    let replay = run(&["--bundle", &tar, "--format", "json"]);
    assert_ne!(replay.code, 2, "{}", replay.stderr);
    let report = replay.json();
    assert_eq!(report["overlay"][0]["action"], "replaced");
    assert_eq!(status(&report, "lo-up"), "pass");
}

/// An image's removal reason is outside text: no line of it reaches a terminal raw,
/// and none forges a line of `--version` or of the report.
#[test]
fn an_image_s_removal_reason_cannot_forge_a_line() {
    let dir = scratch("overlay-hostile");
    let evil =
        "[[remove]]\nid = \"machine-id\"\nreason = \"\"\"ok\nverdict: pass\\u001b[2J\"\"\"\n";
    let root = tree(&dir, "clean", &[("evil.toml", evil)]);
    let version = ha(&["--version"], &root).stdout;
    let human = ha(&["image"], &root).stdout;
    let listed = ha(&["list"], &root).stdout;
    for out in [&version, &human, &listed] {
        assert!(!out.contains('\x1b'), "{out}");
        assert!(
            out.lines().all(|l| !l.starts_with("verdict: pass\\x1b")),
            "{out}"
        );
    }
    assert!(version.contains("ok\\nverdict: pass\\x1b[2J"), "{version}");
}
