//! What the kind tests share: running the binary on a spec of their own, and reading the
//! one check's result. (A fake box for in-process tests is `ha_preflight::testing`.)

use crate::common;
use serde_json::Value;
use std::fs;
use std::path::Path;

/// Runs `boot --spec SPEC --format json` with `spec` written to `dir/spec.toml`.
pub fn run_spec(dir: &Path, spec: &str, extra: &[&str]) -> Value {
    let path = dir.join("spec.toml");
    fs::write(&path, spec).expect("write spec");
    let spec_arg = path.display().to_string();
    let mut args = vec!["boot", "--spec", &spec_arg, "--format", "json"];
    args.extend_from_slice(extra);
    common::run(&args).json()
}

/// The one check's result in a run of a one-check spec.
pub fn only(dir: &Path, spec: &str, extra: &[&str]) -> Value {
    let report = run_spec(dir, spec, extra);
    report["checks"][0].clone()
}

pub fn summary(c: &Value) -> &str {
    c["summary"].as_str().unwrap_or_default()
}

pub fn evidence(c: &Value) -> String {
    c["evidence"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

pub fn skip_unless_root(test: &str, why: &str) -> bool {
    if common::is_root() {
        return false;
    }
    eprintln!("SKIP {test}: needs root ({why})");
    true
}

/// `image --format json` over a tree image-tests/make_tree.py plants `case` in; the
/// scratch folder with the tree lives as long as the guard. None, after saying why, for
/// a case that needs root (chown, mknod) when not root.
pub fn planted(case: &str) -> Option<(common::Scratch, Value)> {
    let dir = common::scratch(&format!("planted-{case}"));
    let root = dir.join("root");
    let out = std::process::Command::new("python3")
        .arg(common::repo().join("image-tests/make_tree.py"))
        .arg(case)
        .arg(&root)
        .output()
        .expect("python3 runs");
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        if out.status.code() == Some(77) {
            eprintln!("SKIP planted case {case}: needs root (chown or mknod)");
            return None;
        }
        panic!("make_tree.py {case}: {err}");
    }
    let report = common::run(&["image", "--format", "json", "--root", root.to_str()?]).json();
    Some((dir, report))
}

/// For each (planted case, check id, status, words of its summary): the check ends so.
pub fn assert_planted(rows: &[(&str, &str, &str, &str)]) {
    let mut wrong = Vec::new();
    for &(case, id, want, words) in rows {
        let Some((_dir, report)) = planted(case) else {
            continue;
        };
        let c = common::check(&report, id);
        if c["status"] != want || !summary(c).contains(words) {
            wrong.push(format!(
                "{case}: {id} expected {want} with {words:?}, got {} {:?}",
                c["status"],
                summary(c)
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}
