//! What the kind tests share: running the binary on a spec of their own, and reading the
//! one check's result (its summary and evidence: `common::summary`, `common::evidence`).
//! (A fake box for in-process tests is `ha_preflight::testing`.)

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
