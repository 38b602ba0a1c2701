//! The kinds' tests, two files per kind, named after it (kind `volatile-dir` is
//! volatile_dir), its fixtures as files in tests/fixtures/<kind>/ where it has any:
//! tests/kinds/<kind>.rs runs the binary on what only the real thing shows (namespaces,
//! real servers and programs, `--wait` and deadlines in wall time), and
//! src/kinds/<kind>/run_tests.rs runs the kind's checks in-process on fake boxes,
//! captures and planted trees (`cargo test --lib run_tests`, see
//! `ha_preflight::testing`). A kind has at least one of them. From a check id:
//! `ha-preflight list` (or checks/*.toml) gives its kind, and the kind gives the files.
//! End-to-end suites (a whole boot in namespaces, images, the package, qemu) are the
//! other files of tests/.
//!
//! `every_check_id_is_named_by_its_kinds_tests` holds the map honest: a check the
//! shipped spec has and its kind's tests (either file) do not name fails here.

// std's sorts are fine in tests: clippy.toml keeps them out of the binary only.
#![allow(clippy::disallowed_methods)]

#[path = "common/mod.rs"]
mod common;

/// tests/kinds/<kind>.rs, and what they share (`support`).
mod kinds {
    mod drbd;
    mod filesystem;
    mod ifstate;
    mod interface;
    mod locks;
    mod mount;
    mod role;
    mod sequence;
    pub mod support;
    mod unit_wiring;
    mod xmlrpc;
}

use kinds::support;

use ha_preflight::kinds::KINDS;

/// The test module of a kind.
fn module_of(kind: &str) -> std::path::PathBuf {
    common::repo()
        .join("tests/kinds")
        .join(format!("{}.rs", kind.replace('-', "_")))
}

/// A kind's in-process tests (`ha_preflight::testing`), where it has them.
fn run_tests_of(kind: &str) -> std::path::PathBuf {
    common::repo()
        .join("src/kinds")
        .join(kind.replace('-', "_"))
        .join("run_tests.rs")
}

#[test]
fn every_kind_has_its_test_module() {
    // A file not declared below is never compiled: its tests would silently not run.
    let this =
        std::fs::read_to_string(common::repo().join("tests/kinds.rs")).expect("tests/kinds.rs");
    for kind in KINDS {
        assert!(
            module_of(kind.name).is_file() || run_tests_of(kind.name).is_file(),
            "kind `{}` has neither {} nor {}",
            kind.name,
            module_of(kind.name).display(),
            run_tests_of(kind.name).display()
        );
        let line = format!("    mod {};", kind.name.replace('-', "_"));
        assert!(
            !module_of(kind.name).is_file() || this.lines().any(|l| l == line),
            "tests/kinds.rs does not declare `{}` in `mod kinds`",
            line.trim()
        );
    }
}

#[test]
fn every_check_id_is_named_by_its_kinds_tests() {
    let mut missing = Vec::new();
    for file in ["checks/boot.toml", "checks/image.toml"] {
        let path = common::repo().join(file);
        let text = std::fs::read_to_string(&path).expect("a shipped spec file");
        let spec = ha_preflight::spec::parse_text(&path, &text).expect("the shipped spec loads");
        for check in &spec.checks {
            let files = [module_of(check.kind.name), run_tests_of(check.kind.name)];
            let named = files.iter().any(|tests| {
                std::fs::read_to_string(tests)
                    .unwrap_or_default()
                    .contains(&format!("\"{}\"", check.id))
            });
            if !named {
                missing.push(format!(
                    "check `{}` ({file}, kind {}) is named by no test in {} or {}",
                    check.id,
                    check.kind.name,
                    files[0].display(),
                    files[1].display()
                ));
            }
        }
    }
    assert!(missing.is_empty(), "\n{}", missing.join("\n"));
}
