//! The monitoring outputs (issue 6): `--format nagios` with the plugin exit codes, and
//! `--format prometheus` read back by the reference client's own parser
//! (tests/prom_parse.py, Python's prometheus_client), written atomically by `--output`.
//!
//! Runs are made deterministic with file-age checks over files in a scratch folder:
//! a fresh file passes, an old one fails (or warns at warning severity), a timestamp in
//! the future cannot be judged (error). No root needed.

use crate::common;

use common::{Ran, repo, scratch};
use serde_json::Value;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Which file-age result a check of the spec is made to give.
#[derive(Clone, Copy)]
enum Make {
    Pass,
    Warn,
    Fail,
    Error,
}

/// A spec of file-age checks, one per `make`, with their files in `dir`.
fn spec(dir: &Path, makes: &[Make]) -> PathBuf {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut text = String::new();
    for (i, make) in makes.iter().enumerate() {
        let (stamp, severity, id) = match make {
            Make::Pass => (now - 60, "critical", "fresh"),
            Make::Warn => (now - 86_400, "warning", "stale-warning"),
            Make::Fail => (now - 86_400, "critical", "stale-critical"),
            Make::Error => (now + 86_400, "critical", "future"),
        };
        let file = dir.join(format!("stamp{i}"));
        fs::write(&file, format!("{stamp}\n")).unwrap();
        text.push_str(&format!(
            "[[check]]\nid = \"{id}-{i}\"\nkind = \"file-age\"\nmodes = [\"boot\"]\n\
             severity = \"{severity}\"\npath = \"{}\"\ntimestamp = \"content\"\n\
             max_age = \"1h\"\nwhy = \"w\"\nfix = \"f\"\n\n",
            file.display()
        ));
    }
    let path = dir.join("spec.toml");
    fs::write(&path, text).unwrap();
    path
}

fn run(spec: &Path, format: &str, extra: &[&str]) -> Ran {
    let spec = spec.display().to_string();
    let mut args = vec!["boot", "--spec", &spec, "--format", format];
    args.extend_from_slice(extra);
    common::run(&args)
}

#[test]
fn nagios_states_and_exit_codes_follow_the_plugin_convention() {
    let dir = scratch("nagios");
    let cases: [(&[Make], &str, i32); 4] = [
        (&[Make::Pass, Make::Pass], "OK", 0),
        (&[Make::Pass, Make::Warn], "WARNING", 1),
        (&[Make::Warn, Make::Fail, Make::Error], "CRITICAL", 2),
        (&[Make::Pass, Make::Error], "UNKNOWN", 3),
    ];
    for (makes, state, code) in cases {
        let ran = run(&spec(&dir, makes), "nagios", &[]);
        assert_eq!(ran.code, code, "{state}: {}", ran.stdout);
        let mut lines = ran.stdout.lines();
        let first = lines.next().unwrap_or_default();
        let prefix = format!("HA-PREFLIGHT {state} - ");
        assert!(first.starts_with(&prefix), "{first}");
        let (text, perf) = first[prefix.len()..]
            .split_once(" | ")
            .unwrap_or_else(|| panic!("no performance data: {first}"));
        assert!(!text.contains('|'), "{first}");
        let fields: Vec<&str> = perf.split(' ').collect();
        assert_eq!(fields.len(), 4, "{perf}");
        assert_eq!(fields[0], format!("checks={}", makes.len()));
        let count = |f: fn(&Make) -> bool| makes.iter().filter(|m| f(m)).count();
        let failed = count(|m| matches!(m, Make::Fail | Make::Error));
        let warned = count(|m| matches!(m, Make::Warn));
        assert_eq!(fields[1], format!("failed={failed}"));
        assert_eq!(fields[2], format!("warned={warned}"));
        let ms = fields[3]
            .strip_prefix("duration=")
            .and_then(|d| d.strip_suffix("ms"))
            .and_then(|d| d.parse::<f64>().ok());
        assert!(ms.is_some_and(|ms| ms >= 0.0), "{perf}");
        // The long output: one line per check, its status first.
        assert_eq!(lines.count(), makes.len(), "{}", ran.stdout);
        match state {
            "OK" => assert_eq!(text, "2 checks passed"),
            "WARNING" => assert!(
                text.starts_with("stale-warning-1: last run 1d 0h ago"),
                "{text}"
            ),
            "CRITICAL" => assert!(text.starts_with("stale-critical-1: last run"), "{text}"),
            _ => assert!(
                text.starts_with("future-1: ") && text.contains("clock is wrong"),
                "{text}"
            ),
        }
    }
}

/// The samples of a textfile as the reference client's parser reads them
/// (tests/prom_parse.py, run by `py`, a python3 with prometheus_client).
fn parse_prometheus(py: &str, file: &Path) -> Vec<Value> {
    let script = repo().join("tests/prom_parse.py");
    let what = format!(
        "the reference parser refused the file:\n{}\n",
        fs::read_to_string(file).unwrap_or_default()
    );
    let out = common::python_run(py, &[&script, &file], &what);
    serde_json::from_str::<Value>(&out)
        .ok()
        .and_then(|v| v.as_array().cloned())
        .expect("a JSON list of samples")
}

#[test]
fn prometheus_textfile_parses_with_the_reference_parser() {
    // Debian's python3-prometheus-client may be installed for /usr/bin/python3 only.
    let Some(py) = common::python_with(&["prometheus_client.parser"]) else {
        common::skip(
            "prometheus_textfile_parses_with_the_reference_parser",
            "python3 with prometheus_client (apt-get install python3-prometheus-client)",
        );
        return;
    };
    let dir = scratch("prometheus");
    let makes = [Make::Pass, Make::Warn, Make::Fail, Make::Error];
    let out = dir.join("ha-preflight.prom");
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let ran = run(
        &spec(&dir, &makes),
        "prometheus",
        &["--output", &out.display().to_string()],
    );
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    assert!(
        ran.stdout.is_empty(),
        "with --output nothing goes to stdout"
    );
    let text = fs::read_to_string(&out).unwrap();
    assert!(
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .all(|l| l.split(' ').count() == 2),
        "every sample is NAME{{labels}} VALUE, without a timestamp:\n{text}"
    );
    let samples = parse_prometheus(py, &out);
    let value = |name: &str, labels: &[(&str, &str)]| -> Vec<f64> {
        samples
            .iter()
            .filter(|s| s["name"] == name)
            .filter(|s| labels.iter().all(|(k, v)| s["labels"][*k] == *v))
            .filter_map(|s| s["value"].as_f64())
            .collect()
    };
    for s in &samples {
        assert_eq!(s["type"], "gauge", "{s}");
        assert!(s["timestamp"].is_null(), "no timestamps: {s}");
        assert!(
            !s["documentation"].as_str().unwrap_or_default().is_empty(),
            "{s}"
        );
    }
    let expected = [
        ("fresh-0", "pass"),
        ("stale-warning-1", "warn"),
        ("stale-critical-2", "fail"),
        ("future-3", "error"),
    ];
    for (id, status) in expected {
        let all = value("ha_preflight_check_status", &[("id", id)]);
        assert_eq!(all.len(), 7, "one series per status for {id}");
        assert_eq!(
            all.iter().sum::<f64>(),
            1.0,
            "exactly one status holds for {id}"
        );
        assert_eq!(
            value(
                "ha_preflight_check_status",
                &[("id", id), ("status", status), ("kind", "file-age")]
            ),
            [1.0],
            "{id} is {status}"
        );
        let d = value("ha_preflight_check_duration_seconds", &[("id", id)]);
        assert!(d.len() == 1 && d[0] >= 0.0 && d[0] < 5.0, "{id}: {d:?}");
    }
    assert_eq!(
        value(
            "ha_preflight_verdict",
            &[("status", "fail"), ("mode", "boot")]
        ),
        [1.0]
    );
    assert_eq!(value("ha_preflight_verdict", &[]).iter().sum::<f64>(), 1.0);
    let stamp = value("ha_preflight_last_run_timestamp_seconds", &[]);
    assert!(
        stamp.len() == 1 && stamp[0] >= before.floor() && stamp[0] < before + 60.0,
        "{stamp:?} vs {before}"
    );
}

#[test]
fn output_replaces_the_file_atomically_and_leaves_nothing_behind() {
    let dir = scratch("atomic-output");
    let spec = spec(&dir, &[Make::Pass]);
    let out_dir = dir.join("textfile");
    fs::create_dir_all(&out_dir).unwrap();
    let out = out_dir.join("ha-preflight.prom");
    fs::write(&out, "old\n").unwrap();
    for format in ["prometheus", "json", "junit", "nagios", "human"] {
        // Holding the current file open keeps its inode alive, so a new file cannot reuse
        // its number, and shows a reader of the old file is never disturbed.
        let held = fs::File::open(&out).unwrap();
        let before = fs::read_to_string(&out).unwrap();
        let ran = run(&spec, format, &["--output", &out.display().to_string()]);
        assert_eq!(ran.code, 0, "{format}: {}", ran.stderr);
        let new = fs::metadata(&out).unwrap();
        assert_ne!(
            new.ino(),
            held.metadata().unwrap().ino(),
            "{format}: written in place"
        );
        let mut old_view = String::new();
        std::io::Read::read_to_string(&mut &held, &mut old_view).unwrap();
        assert_eq!(old_view, before, "{format}: the old file was changed");
        assert!(fs::read_to_string(&out).unwrap().len() > 4, "{format}");
    }
    let names: Vec<String> = fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["ha-preflight.prom"], "temporary files left behind");

    // A folder that does not exist is a failed write (exit 4) that names it, not a panic.
    let missing = dir.join("no/such/dir/x.prom");
    let ran = run(
        &spec,
        "prometheus",
        &["--output", &missing.display().to_string()],
    );
    assert_eq!(ran.code, 4, "{}", ran.stderr);
    assert!(
        ran.stderr.contains(&missing.display().to_string()),
        "{}",
        ran.stderr
    );
}

#[test]
fn version_names_the_spec_it_would_use() {
    let ran = common::run(&["--version"]);
    assert_eq!(ran.code, 0);
    let mut lines = ran.stdout.lines();
    assert_eq!(
        lines.next(),
        Some(format!("ha-preflight {}", env!("CARGO_PKG_VERSION")).as_str())
    );
    let spec_line = lines.next().unwrap_or_default();
    assert!(spec_line.starts_with("spec: "), "{spec_line}");
    let dir = scratch("version-spec");
    let spec = spec(&dir, &[Make::Pass, Make::Pass]);
    let ran = common::run(&["--version", "--spec", &spec.display().to_string()]);
    assert!(
        ran.stdout
            .contains(&format!("spec: {} (2 checks)", spec.display())),
        "{}",
        ran.stdout
    );
}
