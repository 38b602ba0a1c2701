//! `--format junit` as CI systems read it: each report is validated against the JUnit
//! schema Jenkins reads (junit-10.xsd, the Surefire-derived schema that pytest's own test
//! suite validates against; .ci/run takes it from pytest's sdist on PyPI) with xmllint,
//! and read back with junitparser (PyPI), whose failures must be exactly the results that
//! fail the run under `--fail-on`.
//!
//! Without xmllint, junitparser or the schema the test says which is missing and
//! returns; under CI it fails instead, since CI installs them.

use crate::common;

use common::{Ran, repo, scratch};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where .ci/run puts the schema (or HA_PREFLIGHT_JUNIT_XSD).
fn schema() -> PathBuf {
    std::env::var_os("HA_PREFLIGHT_JUNIT_XSD")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/ci/junit-10.xsd"))
}

/// The python3 with junitparser, when the schema, xmllint and it are all there.
fn tools() -> Option<&'static str> {
    let mut missing = Vec::new();
    if !schema().is_file() {
        missing.push(format!("the schema {}", schema().display()));
    }
    if !common::have("xmllint") {
        missing.push("xmllint (libxml2-utils)".into());
    }
    let py = common::python_with(&["junitparser"]);
    if py.is_none() {
        missing.push("a python3 with junitparser (pip install junitparser)".into());
    }
    if missing.is_empty() {
        return py;
    }
    common::skip_outside_ci("junit schema tests", &missing.join(", "));
    None
}

/// Validates `file` against the schema; the error output when it does not.
fn validate(file: &Path) -> Result<(), String> {
    let out = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(schema())
        .arg(file)
        .output()
        .expect("xmllint runs");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// A spec over files in `dir`: one check of each result a run can give.
fn spec(dir: &Path) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let mut text = String::new();
    for (id, stamp, severity) in [
        ("fresh", now - 60, "critical"),
        ("old-warning", now - 86_400, "warning"),
        ("old-critical", now - 86_400, "critical"),
        ("in-the-future", now + 86_400, "critical"),
    ] {
        let file = dir.join(id);
        std::fs::write(&file, format!("{stamp}\n")).expect("write");
        text.push_str(&format!(
            "[[check]]\nid = \"{id}\"\nkind = \"file-age\"\nmodes = [\"boot\"]\nseverity = \"{severity}\"\n\
             path = \"{}\"\ntimestamp = \"content\"\nmax_age = \"1h\"\nwhy = \"w <&> \\\"quoted\\\"\"\nfix = \"f\"\n\n",
            file.display()
        ));
    }
    text.push_str(
        "[[check]]\nid = \"not-here\"\nkind = \"file-age\"\nmodes = [\"boot\"]\n\
         path = \"/nonexistent/stamp\"\nmax_age = \"1h\"\nwhy = \"w\"\nfix = \"f\"\n",
    );
    let path = dir.join("spec.toml");
    std::fs::write(&path, text).expect("write spec");
    path.display().to_string()
}

/// (case name, what junitparser found in it) for every testcase.
fn results(report: &Value) -> Vec<(String, Vec<String>)> {
    report["suites"][0]["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| {
            let kinds = c["results"]
                .as_array()
                .map(|rs| {
                    rs.iter()
                        .map(|r| {
                            format!(
                                "{}:{}",
                                r["kind"].as_str().unwrap_or("?"),
                                r["type"].as_str().unwrap_or("")
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            (c["name"].as_str().unwrap_or("?").to_string(), kinds)
        })
        .collect()
}

#[test]
fn junit_validates_and_agrees_with_the_exit_status() {
    let Some(py) = tools() else { return };
    let dir = scratch("junit-schema");
    let spec = spec(&dir);
    let mut wrong = Vec::new();
    for (fail_on, code, old_warning) in [
        ("error", 1, vec![]),
        ("warning", 1, vec!["failure:warn".to_string()]),
        ("none", 3, vec![]),
    ] {
        let out = dir.join(format!("report-{fail_on}.xml"));
        let ran = Ran::from(
            Command::new(common::bin())
                .args([
                    "--spec",
                    &spec,
                    "--format",
                    "junit",
                    "--fail-on",
                    fail_on,
                    "--output",
                ])
                .arg(&out)
                .output()
                .expect("runs"),
        );
        if ran.code != code {
            wrong.push(format!(
                "--fail-on {fail_on}: exit {}, expected {code}",
                ran.code
            ));
        }
        if let Err(e) = validate(&out) {
            wrong.push(format!(
                "--fail-on {fail_on}: not valid against junit-10.xsd:\n{e}"
            ));
            continue;
        }
        let report = common::junit_read(py, &out);
        let failures = report["suites"][0]["failures"].as_u64();
        let got = results(&report);
        let want: Vec<(String, Vec<String>)> = vec![
            ("fresh".into(), vec![]),
            ("old-warning".into(), old_warning.clone()),
            (
                "old-critical".into(),
                if fail_on == "none" {
                    vec![]
                } else {
                    vec!["failure:fail".into()]
                },
            ),
            ("in-the-future".into(), vec!["error:error".into()]),
            ("not-here".into(), vec!["skipped:".into()]),
        ];
        if got != want {
            wrong.push(format!(
                "--fail-on {fail_on}: junitparser read {got:?}, expected {want:?}"
            ));
        }
        let counted = want
            .iter()
            .filter(|(_, r)| r.iter().any(|k| k.starts_with("failure")))
            .count();
        if failures != Some(counted as u64) {
            wrong.push(format!(
                "--fail-on {fail_on}: failures={failures:?}, expected {counted}"
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}
