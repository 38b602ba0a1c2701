//! The monitoring outputs (issue 6): `--format nagios` with the plugin exit codes, and
//! `--format prometheus` read back by the reference client's own parser
//! (tests/prom_parse.py, Python's prometheus_client), written atomically by `--output`;
//! and the alerting rules for that textfile (monitoring/), by the real promtool: its
//! checks, the unit tests shipped beside the rules, wrong rules those tests must catch,
//! and unit tests built from the textfiles of real runs (the incident's bundle, a box
//! that warns, a healthy box).
//!
//! Runs are made deterministic with file-age checks over files in a scratch folder:
//! a fresh file passes, an old one fails (or warns at warning severity), a timestamp in
//! the future cannot be judged (error). No root needed, except for the healthy box of
//! the rules' test, which is a namespace box as root and file-age checks otherwise.

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

/// promtool (Debian's `prometheus` package), or None after saying why `test` does not
/// run; under CI, which installs it, its absence fails the test instead.
fn promtool(test: &str) -> Option<&'static str> {
    if common::have("promtool") {
        return Some("promtool");
    }
    common::skip_outside_ci(test, "promtool (apt-get install prometheus)");
    None
}

/// `promtool ARGS`: whether it succeeded, and what it said (stdout then stderr).
fn promtool_run(promtool: &str, args: &[&dyn AsRef<std::ffi::OsStr>]) -> (bool, String) {
    let out = std::process::Command::new(promtool)
        .args(args.iter().map(|a| a.as_ref()))
        .output()
        .unwrap_or_else(|e| panic!("{promtool} does not start: {e}"));
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

const RULES: &str = "monitoring/ha-preflight.rules.yml";
const RULE_TESTS: &str = "monitoring/ha-preflight.rules.test.yml";

/// The alerts the rules file defines, in its order.
fn alert_names(rules: &str) -> Vec<String> {
    rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
        .map(|n| n.trim().to_string())
        .collect()
}

/// The rules file with `from` (which it holds exactly once) replaced by `to`.
fn mutated(rules: &str, from: &str, to: &str) -> String {
    assert_eq!(rules.matches(from).count(), 1, "{from:?} in {RULES}");
    rules.replacen(from, to, 1)
}

#[test]
fn the_alert_rules_pass_promtool_and_their_unit_tests() {
    let test = "the_alert_rules_pass_promtool_and_their_unit_tests";
    let Some(promtool) = promtool(test) else {
        return;
    };
    let rules_path = repo().join(RULES);
    let tests_path = repo().join(RULE_TESTS);
    let rules = fs::read_to_string(&rules_path).unwrap();
    let names = alert_names(&rules);
    assert_eq!(names.len(), 5, "{names:?}");

    let (ok, said) = promtool_run(promtool, &[&"check", &"rules", &rules_path]);
    assert!(ok, "promtool check rules {RULES}:\n{said}");
    assert!(said.contains("SUCCESS: 5 rules found"), "{said}");
    let (ok, said) = promtool_run(promtool, &[&"test", &"rules", &tests_path]);
    assert!(ok, "promtool test rules {RULE_TESTS}:\n{said}");

    // Every alert is tested with an alert that fires, and documented.
    let tests = fs::read_to_string(&tests_path).unwrap();
    let doc = fs::read_to_string(repo().join("doc/monitoring.md")).unwrap();
    for name in &names {
        let fires = tests
            .split(&format!("alertname: {name}\n"))
            .skip(1)
            .any(|after| {
                after
                    .lines()
                    .next()
                    .is_some_and(|l| l.trim() == "exp_alerts:")
            });
        assert!(fires, "{RULE_TESTS} has no test in which {name} fires");
        assert!(
            doc.contains(&format!("`{name}`")),
            "doc/monitoring.md does not document {name}"
        );
    }

    // The tests hold every threshold and matcher: each of these wrong rules fails them,
    // on the alert it breaks. The copy of the tests beside each one reads it.
    let wrong = [
        ("HaPreflightGateFailing", "for: 2m", "for: 5m"),
        (
            "HaPreflightCheckFailing",
            "max without (status) (ha_preflight_check_status{status=~\"fail|error\"})",
            "ha_preflight_check_status{status=~\"fail|error\"}",
        ),
        ("HaPreflightWarningOnManyBoxes", "== 1) > 2", "== 1) > 3"),
        ("HaPreflightMetricsStale", "> 600", "> 900"),
        ("HaPreflightMetricsMissing", "up == 1", "up == 0"),
    ];
    let dir = scratch("rules-wrong");
    fs::copy(&tests_path, dir.join("ha-preflight.rules.test.yml")).unwrap();
    for (alert, from, to) in wrong {
        fs::write(
            dir.join("ha-preflight.rules.yml"),
            mutated(&rules, from, to),
        )
        .unwrap();
        let (ok, said) = promtool_run(
            promtool,
            &[&"test", &"rules", &dir.join("ha-preflight.rules.test.yml")],
        );
        assert!(!ok, "the tests pass with {from:?} made {to:?}:\n{said}");
        assert!(
            said.contains(&format!("alertname: {alert}")),
            "{from:?} made {to:?} does not fail a test of {alert}:\n{said}"
        );
    }
}

/// One box as Prometheus sees it: the textfile a real run wrote, scraped from
/// node_exporter at `instance`, its timer running throughout or stopping after the run
/// of minute `stops`.
struct Scraped {
    instance: String,
    textfile: String,
    stops: Option<u32>,
}

/// How long the built tests' series run, in minutes (one sample a minute).
const MINUTES: u32 = 40;

/// A YAML single-quoted scalar.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `input_series` for promtool from the boxes' textfiles: every sample of each file with
/// the box's `instance` and `job` labels put in front of its own, as node_exporter's
/// scrape adds them, and the same value every minute (the timer writes the same results
/// again) beside an `up` of 1. The last-run timestamp is the one value moved onto
/// promtool's clock, which starts at 0: minute m's run ends at 60 m seconds, and after
/// `stops` it stays at the last run's.
fn input_series(boxes: &[Scraped]) -> String {
    let mut out = String::new();
    let mut add = |series: String, values: String| {
        out.push_str(&format!(
            "      - series: {}\n        values: {}\n",
            quoted(&series),
            quoted(&values)
        ));
    };
    for b in boxes {
        let target = format!("instance=\"{}\",job=\"node\"", b.instance);
        for line in b.textfile.lines().filter(|l| !l.starts_with('#')) {
            let (series, value) = line
                .rsplit_once(' ')
                .unwrap_or_else(|| panic!("not NAME{{labels}} VALUE: {line:?}"));
            let series = match series.split_once('{') {
                Some((name, labels)) => format!("{name}{{{target},{labels}"),
                None => format!("{series}{{{target}}}"),
            };
            let values = if series.starts_with("ha_preflight_last_run_timestamp_seconds{") {
                match b.stops {
                    None => format!("0+60x{MINUTES}"),
                    Some(m) => format!("0+60x{m} {}x{}", 60 * m, MINUTES - m),
                }
            } else {
                format!("{value}x{MINUTES}")
            };
            add(series, values);
        }
        add(format!("up{{{target}}}"), format!("1x{MINUTES}"));
    }
    out
}

/// An alert by its name and its labels besides alertname and alertstate.
type Alert<'a> = (&'a str, Vec<(&'a str, &'a str)>);

/// A promtool test of `rules` (a path) on `boxes`: at each eval time (minutes), the
/// alerts that fire. Read as
/// `ALERTS{alertstate="firing"}`, so that no alert other than these may fire, and
/// without the annotations, which the tests of monitoring/ hold.
fn rule_test(rules: &Path, boxes: &[Scraped], expect: &[(u32, Vec<Alert>)]) -> String {
    let mut out = format!(
        "rule_files:\n  - {}\nevaluation_interval: 1m\ntests:\n  - name: the textfiles of real runs\n    interval: 1m\n    input_series:\n{}    promql_expr_test:\n",
        quoted(&rules.display().to_string()),
        input_series(boxes)
    );
    for (minute, alerts) in expect {
        out.push_str(&format!(
            "      - expr: ALERTS{{alertstate=\"firing\"}}\n        eval_time: {minute}m\n        exp_samples:\n"
        ));
        for (alert, labels) in alerts {
            let labels: String = labels
                .iter()
                .map(|(k, v)| format!(",{k}=\"{v}\""))
                .collect();
            out.push_str(&format!(
                "          - labels: {}\n            value: 1\n",
                quoted(&format!(
                    "ALERTS{{alertname=\"{alert}\",alertstate=\"firing\"{labels}}}"
                ))
            ));
        }
    }
    out
}

/// The textfile of one real run with `args` (`--format prometheus --output` added), which
/// exits `code`; its last-run timestamp must be this run's.
fn textfile(dir: &Path, name: &str, args: &[&str], code: i32) -> String {
    let out = dir.join(format!("{name}.prom"));
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let out_arg = out.display().to_string();
    let mut all = args.to_vec();
    all.extend(["--format", "prometheus", "--output", out_arg.as_str()]);
    let ran = common::run(&all);
    assert_eq!(ran.code, code, "{name}: {}", ran.stderr);
    let text = fs::read_to_string(&out).unwrap();
    stamped_now(&text, before, name);
    text
}

/// `text` has a last-run timestamp no earlier than `before` and no later than now.
fn stamped_now(text: &str, before: f64, name: &str) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let stamp = text
        .lines()
        .find_map(|l| l.strip_prefix("ha_preflight_last_run_timestamp_seconds "))
        .and_then(|v| v.parse::<f64>().ok());
    assert!(
        stamp.is_some_and(|s| s >= before.floor() && s <= now + 1.0),
        "{name}: {stamp:?}, not between {before} and {now}:\n{text}"
    );
}

#[test]
fn the_alert_rules_fire_on_the_textfiles_of_real_runs() {
    let test = "the_alert_rules_fire_on_the_textfiles_of_real_runs";
    let Some(promtool) = promtool(test) else {
        return;
    };
    let dir = scratch("rules-real");
    // The incident, from its support bundle: netrun-layout fails, and netrun-stale and
    // lo-up behind it.
    let bundle = common::fixture("bundle/incident.tar").display().to_string();
    let incident = textfile(&dir, "incident", &["boot", "--bundle", &bundle], 1);
    // A box whose warning-severity check warns: its verdict is warn, exit 0.
    let warn_spec = spec(&dir, &[Make::Pass, Make::Warn]).display().to_string();
    let warning = textfile(&dir, "warning", &["boot", "--spec", &warn_spec], 0);
    // A healthy box: the whole boot spec in a namespace box as root; else file-age
    // checks that pass, which give the rules the same verdict.
    let healthy = if common::is_root() {
        let before = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let (ran, _) = common::ns::Scenario {
            args: common::ns::strs(&["--format", "prometheus"]),
            ..common::ns::Scenario::healthy("rules-healthy")
        }
        .run()
        .expect("root");
        assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
        stamped_now(&ran.stdout, before, "healthy");
        ran.stdout
    } else {
        eprintln!("{test}: not root, so the healthy box is file-age checks, not a namespace box");
        let pass_spec = spec(&dir, &[Make::Pass, Make::Pass]).display().to_string();
        textfile(&dir, "healthy", &["boot", "--spec", &pass_spec], 0)
    };
    assert!(
        healthy.contains("\nha_preflight_verdict{mode=\"boot\",status=\"pass\"} 1\n"),
        "{healthy}"
    );
    for id in ["netrun-layout", "netrun-stale", "lo-up"] {
        assert!(
            incident.contains(&format!("{{id=\"{id}\",")),
            "{id} not in the incident's textfile:\n{incident}"
        );
    }

    // The incident box; the warning on three boxes (the same file on each, as three
    // standbys of one master would write it); the healthy box, whose timer stops after
    // minute 10.
    let scraped = |instance: &str, textfile: &str, stops| Scraped {
        instance: instance.to_string(),
        textfile: textfile.to_string(),
        stops,
    };
    let boxes = [
        scraped("incident:9100", &incident, None),
        scraped("standby-1:9100", &warning, None),
        scraped("standby-2:9100", &warning, None),
        scraped("standby-3:9100", &warning, None),
        scraped("healthy:9100", &healthy, Some(10)),
    ];
    let node = [("job", "node")];
    let on = |instance: &'static str, more: &[(&'static str, &'static str)]| {
        let mut labels = vec![("instance", instance)];
        labels.extend_from_slice(&node);
        labels.extend_from_slice(more);
        labels
    };
    let gate = (
        "HaPreflightGateFailing",
        on(
            "incident:9100",
            &[("mode", "boot"), ("severity", "critical")],
        ),
    );
    let check = |id: &'static str, kind: &'static str| {
        (
            "HaPreflightCheckFailing",
            on(
                "incident:9100",
                &[("id", id), ("kind", kind), ("severity", "critical")],
            ),
        )
    };
    let expect = [
        // Within 15 minutes only the gate.
        (5, vec![gate.clone()]),
        (
            25,
            vec![
                gate,
                check("netrun-layout", "volatile-dir"),
                check("netrun-stale", "ifstate"),
                check("lo-up", "interface"),
                (
                    "HaPreflightWarningOnManyBoxes",
                    vec![
                        ("id", "stale-warning-1"),
                        ("kind", "file-age"),
                        ("severity", "warning"),
                    ],
                ),
                (
                    "HaPreflightMetricsStale",
                    on("healthy:9100", &[("severity", "warning")]),
                ),
            ],
        ),
    ];
    let rules = repo().join(RULES);
    let file = dir.join("real.test.yml");
    fs::write(&file, rule_test(&rules, &boxes, &expect)).unwrap();
    let (ok, said) = promtool_run(promtool, &[&"test", &"rules", &file]);
    assert!(
        ok,
        "promtool test rules on the real runs' textfiles:\n{said}\n{}",
        fs::read_to_string(&file).unwrap_or_default()
    );

    // The same test on a wrong rule (one that misses a failed check) fails.
    let wrong = dir.join("wrong.rules.yml");
    let text = fs::read_to_string(&rules).unwrap();
    let matcher = "ha_preflight_check_status{status=~\"fail|error\"}";
    let only_error = "ha_preflight_check_status{status=\"error\"}";
    fs::write(&wrong, mutated(&text, matcher, only_error)).unwrap();
    let wrong_file = dir.join("wrong.test.yml");
    fs::write(&wrong_file, rule_test(&wrong, &boxes, &expect)).unwrap();
    let (ok, said) = promtool_run(promtool, &[&"test", &"rules", &wrong_file]);
    assert!(!ok, "the test passes with {only_error}:\n{said}");
}
