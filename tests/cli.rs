//! The command line without root: list, explain, usage errors, JSON shape, and boot mode
//! over captured /proc and /sys (as from a support bundle).

use crate::common;

use common::{check, fixture, run, run_captured, status, summary};

#[test]
fn list_shows_every_shipped_check() {
    let ran = run(&["list"]);
    assert_eq!(ran.code, 0);
    let rows: Vec<Vec<&str>> = ran
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    for want in [
        ["shm-tmpfs", "mount", "critical", "boot,build-host"],
        ["netrun-layout", "volatile-dir", "critical", "boot,image"],
        ["netrun-stale", "ifstate", "critical", "boot,image"],
        ["lo-up", "interface", "critical", "boot"],
        ["xcbdaemon-rpc", "xmlrpc", "critical", "boot"],
        ["drbd-consistent", "drbd", "critical", "boot"],
        ["policy-rc-d", "path", "critical", "image"],
        ["unknown-owners", "tree", "critical", "image"],
        ["resolv-conf", "path", "warning", "image"],
        ["host-proc", "mount", "critical", "build-host"],
    ] {
        assert!(
            // The fifth column (FROM) is the file and line the check comes from.
            rows.iter().any(|r| r.get(..4) == Some(want.as_slice())),
            "{want:?} not in:\n{}",
            ran.stdout
        );
    }
}

#[test]
fn explain_gives_why_and_fix() {
    let ran = run(&["explain", "netrun-layout"]);
    assert_eq!(ran.code, 0);
    assert!(
        ran.stdout.contains("WHY") && ran.stdout.contains("FIX"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout
            .contains("ln -s /run/network $ROOT/etc/network/run")
            && ran
                .stdout
                .contains("$ROOT is the tree `image --root` checks"),
        "{}",
        ran.stdout
    );
    let unknown = run(&["explain", "lo-upp"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown
            .stderr
            .starts_with("ha-preflight: no check named `lo-upp`; did you mean `lo-up`?\n"),
        "{}",
        unknown.stderr
    );
}

/// The first line of a usage error, without "ha-preflight: ".
fn said(args: &[&str]) -> String {
    let ran = run(args);
    assert_eq!(ran.code, 2, "{args:?}: {}{}", ran.stdout, ran.stderr);
    let first = ran.stderr.lines().next().unwrap_or_default();
    first
        .strip_prefix("ha-preflight: ")
        .unwrap_or(first)
        .to_string()
}

/// A usage error blames the word that is wrong, and for a near miss on a command, an
/// option, a value or a check id names the one meant.
#[test]
fn an_error_blames_the_wrong_word_and_names_the_one_meant() {
    for (args, words) in [
        (
            &["explian", "lo-up"][..],
            "unknown command `explian`; did you mean `explain`?",
        ),
        (
            &["lst", "foo"],
            "unknown command `lst`; did you mean `list`?",
        ),
        (
            &["list", "foo"],
            "unexpected argument `foo`: list takes none",
        ),
        (
            &["--fromat", "json"],
            "unknown option `--fromat`; did you mean `--format`?",
        ),
        (
            &["--fail-on", "warn"],
            "unknown --fail-on `warn` (error, warning, none); did you mean `warning`?",
        ),
        (
            &["explain", "lo_up"],
            "no check named `lo_up`; did you mean `lo-up`?",
        ),
        (
            &["explain", "no-such-check-at-all"],
            "no check named `no-such-check-at-all` (see `ha-preflight list`)",
        ),
        (
            &["--only", "lo_up"],
            "no check named `lo_up`; did you mean `lo-up`?",
        ),
    ] {
        assert_eq!(said(args), words, "{args:?}");
    }
}

#[test]
fn help_as_a_command_prints_the_help() {
    let help = run(&["--help"]);
    let command = run(&["help"]);
    assert_eq!((command.code, help.code), (0, 0));
    assert_eq!(command.stdout, help.stdout);
    assert!(
        command.stdout.starts_with("usage: ha-preflight"),
        "{}",
        command.stdout
    );
}

/// A path given on the command line is named with its option and what is wrong with
/// it: missing, not a folder, a folder where a file is wanted, not a bundle at all.
#[test]
fn a_bad_path_is_named_for_what_is_wrong_with_it() {
    let dir = common::scratch("cli-paths");
    let file = dir.join("report.json");
    std::fs::write(&file, "{\"tool\": \"ha-preflight\", \"schema\": 1}\n").expect("write");
    let (dir_s, file_s) = (dir.display().to_string(), file.display().to_string());
    assert_eq!(
        said(&["--proc", "/nonexistent/proc"]),
        "--proc /nonexistent/proc: no such directory"
    );
    assert_eq!(
        said(&["--proc", &file_s]),
        format!("--proc {file_s}: not a directory")
    );
    assert_eq!(
        said(&["--overrides", "/nonexistent/o.toml"]),
        "--overrides /nonexistent/o.toml: No such file or directory (os error 2)"
    );
    let bundle = said(&["--bundle", &file_s]);
    assert!(
        bundle.starts_with(&format!(
            "--bundle {file_s}: not a support bundle: not a tar archive"
        )),
        "{bundle}"
    );
    assert!(!bundle.contains("tool"), "{bundle}");
    // A report's --output that names a folder not there yet: exit 4, in words.
    let out = format!("{dir_s}/reports/");
    let ran = run_captured("lo-up", &["--only", "lo-up", "--output", &out]);
    assert_eq!(ran.code, 4, "{}", ran.stderr);
    assert!(
        ran.stderr.starts_with(&format!(
            "ha-preflight: cannot write {out}: a name that ends in / is a folder; name a file"
        )),
        "{}",
        ran.stderr
    );
    assert!(!ran.stderr.contains("Not a directory"), "{}", ran.stderr);
    // collect's DIR/ that is a file.
    let ran = run(&["collect", "--output", &format!("{file_s}/")]);
    assert_eq!(ran.code, 4, "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains(": it is not a folder; name a folder (DIR/) or a file (FILE.tar)"),
        "{}",
        ran.stderr
    );
}

/// A capture of /proc alone is no bundle: nothing on stderr says "bundle", and what it
/// lacks is said once, in each check's result.
#[test]
fn a_capture_without_sys_does_not_speak_of_a_bundle() {
    let ran = run(&["--proc", "/proc"]);
    assert!(!ran.stderr.contains("bundle"), "{}", ran.stderr);
    assert!(!ran.stdout.contains("bundle"), "{}", ran.stdout);
    assert!(ran.stdout.contains("not in the capture"), "{}", ran.stdout);
}

/// Options that do nothing where they are given are refused, as `--timeout 0` is.
#[test]
fn what_does_not_apply_is_refused_by_name() {
    for (args, words) in [
        (
            &["--wait", "0"][..],
            "--wait must be more than zero (leave it out for the default)",
        ),
        (
            &["--timeout", "0"],
            "--timeout must be more than zero (leave it out for the default)",
        ),
        (
            &["collect", "-v", "--output", "/nonexistent/b.tar"],
            "-v does not apply to the collect command (the bundle's report is always verbose)",
        ),
        (
            &["--version", "--format", "json"],
            "--format does not apply to --version",
        ),
        (
            &["--timeout", "5x"],
            "--timeout: `5x` has an unknown unit `x`: write it as 500ms, 30s, 5m, 1h or 2d",
        ),
        (
            &["--wait", "soon"],
            "--wait: `soon` is not a duration: write it as 500ms, 30s, 5m, 1h or 2d",
        ),
    ] {
        assert_eq!(said(args), words, "{args:?}");
    }
}

/// Error texts quote what the person typed in one style, backquotes: no Debug quotes
/// ("lo-up") or single quotes ('--fromat') in the format strings of the command line's
/// errors.
#[test]
fn errors_quote_in_backquotes() {
    let mut wrong = Vec::new();
    for rel in [
        "src/cli.rs",
        "src/app.rs",
        "src/engine/mod.rs",
        "src/engine/overrides.rs",
        "src/world/bundle.rs",
        "src/world/output.rs",
        "src/model/duration.rs",
    ] {
        let text = std::fs::read_to_string(common::repo().join(rel)).expect(rel);
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (n, line) in code.lines().enumerate() {
            let quoted = line.contains(":?}") || line.contains("'{") || line.contains("\\\"{");
            if quoted && line.contains('"') && !line.trim_start().starts_with("//") {
                wrong.push(format!("{rel}:{}: {}", n + 1, line.trim()));
            }
        }
        assert!(!code.contains("'ha-preflight"), "{rel}");
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["--only", "nope"],
        vec!["--skip", "nope"],
        vec!["--timeout", "30 parsecs"],
        vec!["--wait", "soon"],
        vec!["--format", "xml"],
        vec!["frobnicate"],
        vec!["--proc", "/nonexistent/proc"],
    ] {
        let ran = run(&args);
        assert_eq!(ran.code, 2, "{args:?}: {}", ran.stderr);
        assert!(
            ran.stderr.starts_with("ha-preflight: "),
            "{args:?}: {}",
            ran.stderr
        );
    }
}

#[test]
fn json_has_exactly_the_schema_1_fields() {
    let report = run_captured("lo-up", &["--only", "lo-up", "--format", "json"]).json();
    let mut top: Vec<&str> = report
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    top.sort();
    // A capture is marked as one (`captured`); nothing else beyond schema 1's keys.
    assert!(report["captured"]["sys"].is_string(), "{report}");
    top.retain(|k| *k != "captured");
    assert_eq!(
        top,
        [
            "checks",
            "duration_ms",
            "mode",
            "root",
            "schema",
            "tool",
            "verdict",
            "version"
        ]
    );
    assert_eq!(report["schema"], 1);
    assert_eq!(report["tool"], "ha-preflight");
    assert_eq!(report["mode"], "boot");
    let mut fields: Vec<&str> = check(&report, "lo-up")
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    fields.sort();
    assert_eq!(
        fields,
        [
            "blocked_by",
            "duration_ms",
            "evidence",
            "fix",
            "id",
            "kind",
            "root_cause",
            "severity",
            "status",
            "summary"
        ]
    );
}

#[test]
fn skip_leaves_a_check_out_and_quiet_prints_one_line() {
    let ran = run_captured(
        "lo-down",
        &["--only", "shm-tmpfs,lo-up", "--skip", "lo-up", "-q"],
    );
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    assert_eq!(ran.stdout, "ha-preflight boot: PASS\n");
}

/// A gate check turned off with --skip shows in every format, as skipped by the operator,
/// and changes no verdict; a --skip of a check the spec does not have is an error.
#[test]
fn a_skipped_check_shows_in_every_format() {
    let (_dir, spec) = warning_spec("skip-shown");
    let with = |format: &str| {
        run_captured(
            "lo-up",
            &["--spec", &spec, "--skip", "spare-link", "--format", format],
        )
    };
    let said = "skipped by the operator (--skip)";

    let ran = with("json");
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    let report = ran.json();
    assert_eq!(report["verdict"], "pass");
    assert_eq!(
        report["checks"].as_array().map(Vec::len),
        Some(2),
        "{report:#}"
    );
    let c = check(&report, "spare-link");
    assert_eq!(
        (c["status"].as_str(), c["summary"].as_str()),
        (Some("skip"), Some(said))
    );
    assert!(c["fix"].is_null(), "{c:#}");

    let ran = with("junit");
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    assert!(ran.stdout.contains("tests=\"2\""), "{}", ran.stdout);
    assert!(ran.stdout.contains("skipped=\"1\""), "{}", ran.stdout);
    assert!(
        ran.stdout.contains(&format!(
            "name=\"spare-link\" time=\"0.000\">\n      <skipped message=\"{said}\"/>"
        )),
        "{}",
        ran.stdout
    );

    let ran = with("human");
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    assert!(
        ran.stdout
            .lines()
            .any(|l| l.contains("spare-link") && l.contains(said)),
        "{}",
        ran.stdout
    );

    let ran = with("nagios");
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    let first = ran.stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(&format!(
            "HA-PREFLIGHT OK - 1 check passed, 1 {said} | checks=2 "
        )),
        "{first}"
    );
    assert!(
        ran.stdout.contains(&format!("skip    spare-link: {said}")),
        "{}",
        ran.stdout
    );

    let ran = with("prometheus");
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    assert!(
        ran.stdout.contains(
            "ha_preflight_check_status{id=\"spare-link\",kind=\"interface\",status=\"skip\"} 1"
        ),
        "{}",
        ran.stdout
    );

    let ran = run_captured("lo-up", &["--spec", &spec, "--skip", "spare-lnk"]);
    assert_eq!(ran.code, 2, "{}", ran.stdout);
    assert!(
        ran.stderr.contains("no check named `spare-lnk`"),
        "{}",
        ran.stderr
    );
}

#[test]
fn when_conditions_skip_with_the_reason() {
    let dir = common::scratch("when");
    let spec = dir.join("when.toml");
    let mut text = String::new();
    for (id, when) in [
        (
            "absent-glob",
            r#"{ exists = "/nonexistent/ha-preflight-*" }"#,
        ),
        ("present-glob", r#"{ missing = "/proc/self/stat*" }"#),
        ("applies", r#"{ exists = "/proc/self/stat*" }"#),
    ] {
        text.push_str(&format!(
            "[[check]]\nid = \"{id}\"\nkind = \"interface\"\nmodes = [\"boot\"]\nname = \"lo\"\nwhen = {when}\nwhy = \"w\"\nfix = \"f\"\n\n"
        ));
    }
    std::fs::write(&spec, text).expect("write spec");
    let shown = spec.display().to_string();
    // `when` looks at the box's files: in a capture they are not here, and the checks
    // say so rather than judging this machine's.
    let ran = run_captured("lo-up", &["--spec", &shown, "--format", "json"]);
    let report = ran.json();
    for id in ["absent-glob", "present-glob", "applies"] {
        assert_eq!(status(&report, id), "skip", "{id}");
        let summary = summary(check(&report, id)).to_string();
        assert!(summary.starts_with("not in the capture"), "{id}: {summary}");
    }
    // On the box itself, they judge.
    let ran = run(&["--spec", &shown, "--format", "json"]);
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    let report = ran.json();
    assert_eq!(status(&report, "absent-glob"), "skip");
    assert_eq!(
        check(&report, "absent-glob")["summary"],
        "not applicable: /nonexistent/ha-preflight-* does not exist"
    );
    assert_eq!(status(&report, "present-glob"), "skip");
    assert_eq!(
        check(&report, "present-glob")["summary"],
        "not applicable: /proc/self/stat* exists"
    );
    assert_eq!(status(&report, "applies"), "pass");
    assert_eq!(report["verdict"], "pass");
}

#[test]
fn a_check_that_cannot_read_its_input_is_an_error_exit_3() {
    // A support bundle without proc/self/mountinfo: shm-tmpfs cannot tell, and says so.
    let dir = common::scratch("no-mountinfo");
    std::fs::create_dir_all(dir.join("proc")).expect("mkdir");
    let sys = fixture("captured/lo-up/sys");
    let ran = run(&[
        "--proc",
        &dir.join("proc").display().to_string(),
        "--sys",
        &sys.display().to_string(),
        "--format",
        "json",
        "--only",
        "shm-tmpfs,lo-up",
    ]);
    assert_eq!(ran.code, 3, "{}", ran.stdout);
    let report = ran.json();
    assert_eq!(report["verdict"], "error");
    let shm = check(&report, "shm-tmpfs");
    assert_eq!(shm["status"], "error");
    assert!(summary(shm).contains("mountinfo"), "{shm:#}");
}

/// The shipped unit's command line is one the binary accepts: a gate that exits 2 on its
/// own arguments would keep the HA service from ever starting. Its arguments are run
/// as they stand, with a spec of one check (not applicable here, so the run passes).
#[test]
fn the_units_exec_start_is_accepted() {
    let unit = std::fs::read_to_string(common::repo().join("systemd/ha-preflight.service"))
        .expect("the unit");
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("an ExecStart line");
    let mut words = exec.split_whitespace();
    assert_eq!(words.next(), Some("/usr/sbin/ha-preflight"), "{exec}");
    let mut args: Vec<&str> = words.collect();
    assert!(args.contains(&"--wait"), "{exec}");
    let dir = common::scratch("unit-exec-start");
    let spec = dir.join("spec.toml");
    std::fs::write(
        &spec,
        "[[check]]\nid = \"no-record\"\nkind = \"file-age\"\nmodes = [\"boot\"]\n\
         path = \"/nonexistent/last-sync\"\nmax_age = \"1h\"\nwhy = \"w\"\nfix = \"f\"\n",
    )
    .unwrap();
    let spec = spec.display().to_string();
    args.extend(["--spec", &spec]);
    let ran = run(&args);
    assert_eq!(ran.code, 0, "{args:?}: {}{}", ran.stdout, ran.stderr);
}

/// A spec of two checks over a captured box whose lo is up: one critical that passes,
/// and `nosuch0` (warning severity) that fails, so the run warns.
fn warning_spec(name: &str) -> (common::Scratch, String) {
    let dir = common::scratch(name);
    let spec = dir.join("spec.toml");
    std::fs::write(
        &spec,
        "[[check]]\nid = \"lo-up\"\nkind = \"interface\"\nmodes = [\"boot\"]\nname = \"lo\"\nwhy = \"w\"\nfix = \"f\"\n\n\
         [[check]]\nid = \"spare-link\"\nkind = \"interface\"\nmodes = [\"boot\"]\nseverity = \"warning\"\nname = \"nosuch0\"\nwhy = \"w\"\nfix = \"f\"\n",
    )
    .expect("write spec");
    let spec = spec.display().to_string();
    (dir, spec)
}

/// The report's first line agrees with the exit code: a warning that fails the run under
/// --fail-on warning says so, and a root cause alone has one blank line before the
/// verdict.
#[test]
fn the_headline_agrees_with_the_exit_code() {
    let (_dir, spec) = warning_spec("headline");
    let ran = run_captured("lo-up", &["--spec", &spec, "--fail-on", "warning"]);
    assert_eq!(ran.code, 1);
    assert_eq!(
        ran.stdout.lines().next(),
        Some("ha-preflight boot: WARN (exit 1: --fail-on warning)"),
        "{}",
        ran.stdout
    );
    let ran = run_captured("lo-up", &["--spec", &spec]);
    assert_eq!(ran.stdout.lines().next(), Some("ha-preflight boot: WARN"));
    let ran = run_captured("lo-down", &["--only", "lo-up"]);
    assert_eq!(ran.code, 1);
    assert!(!ran.stdout.contains("\n\n\n"), "{}", ran.stdout);
    assert!(
        ran.stdout.contains("explain lo-up\n\nverdict: fail"),
        "{}",
        ran.stdout
    );
}

#[test]
fn fail_on_decides_which_findings_exit_1() {
    let (_dir, spec) = warning_spec("fail-on");
    let code = |extra: &[&str]| {
        let mut args = vec!["--spec", spec.as_str()];
        args.extend_from_slice(extra);
        run_captured("lo-up", &args).code
    };
    assert_eq!(code(&[]), 0, "a warning passes by default");
    assert_eq!(code(&["--fail-on", "error"]), 0);
    assert_eq!(code(&["--fail-on", "warning"]), 1);
    assert_eq!(code(&["--fail-on", "none"]), 0);
    // A real failure: 1, unless nothing may fail the run.
    let failing = run_captured("lo-down", &["--only", "lo-up", "--fail-on", "none"]);
    assert_eq!(failing.code, 0, "{}", failing.stdout);
    assert_eq!(run_captured("lo-down", &["--only", "lo-up"]).code, 1);
}

#[test]
fn junit_failures_are_what_fails_the_run() {
    let (_dir, spec) = warning_spec("junit-fail-on");
    let junit = |fail_on: &str| {
        run_captured(
            "lo-up",
            &["--spec", &spec, "--format", "junit", "--fail-on", fail_on],
        )
    };
    let by_default = junit("error");
    assert_eq!(by_default.code, 0);
    assert!(
        !by_default.stdout.contains("<failure"),
        "{}",
        by_default.stdout
    );
    assert!(
        by_default
            .stdout
            .contains("warn (does not fail the run): nosuch0"),
        "{}",
        by_default.stdout
    );
    assert!(
        by_default.stdout.contains("failures=\"0\""),
        "{}",
        by_default.stdout
    );
    let strict = junit("warning");
    assert_eq!(strict.code, 1);
    assert!(
        strict.stdout.contains("<failure message=\"nosuch0")
            && strict.stdout.contains("type=\"warn\""),
        "{}",
        strict.stdout
    );
    assert!(
        strict.stdout.contains("failures=\"1\""),
        "{}",
        strict.stdout
    );
}

#[test]
fn list_and_explain_speak_json() {
    let ran = run(&["list", "--format", "json"]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let catalog = ran.json();
    assert_eq!(catalog["schema"], 1);
    let checks = catalog["checks"].as_array().expect("checks");
    let lo = checks.iter().find(|c| c["id"] == "lo-up").expect("lo-up");
    let mut keys: Vec<&str> = lo
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    keys.sort();
    assert_eq!(
        keys,
        [
            "after", "from", "id", "kind", "modes", "requires", "severity", "title"
        ]
    );
    assert_eq!(lo["kind"], "interface");
    assert_eq!(lo["modes"], serde_json::json!(["boot"]));
    assert_eq!(lo["after"], serde_json::json!(["netrun-stale"]));
    let rpc = checks
        .iter()
        .find(|c| c["id"] == "xcbdaemon-rpc")
        .expect("rpc");
    assert_eq!(rpc["requires"], serde_json::json!(["lo-up"]));
    assert!(
        checks
            .iter()
            .all(|c| c["title"].as_str().is_some_and(|t| !t.is_empty()))
    );

    let ran = run(&["explain", "netrun-layout", "--format", "json"]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let one = ran.json();
    let c = &one["checks"][0];
    assert_eq!(c["id"], "netrun-layout");
    assert!(
        c["fix"]
            .as_str()
            .is_some_and(|f| f.contains("/run/network")),
        "{c:#}"
    );
    assert!(c["why"].as_str().is_some(), "{c:#}");
    // Whole milliseconds, an integer.
    assert_eq!(c["timeout_ms"].as_u64(), Some(5000), "{c:#}");
}

/// A tree walk takes as long as the image is big (a million entries: 13.5 s from a cold
/// cache on the benchmark machine), so the tree checks' own timeout must not cut it
/// short before the run's --timeout does (30 s by default).
#[test]
fn tree_checks_are_bounded_by_the_run_deadline_not_a_local_guess() {
    let ran = run(&["list", "--format", "json"]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let listed = ran.json();
    let trees: Vec<&str> = listed["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["kind"] == "tree")
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert!(!trees.is_empty(), "{listed:#}");
    for id in trees {
        let ran = run(&["explain", id, "--format", "json"]);
        assert_eq!(ran.code, 0, "{}", ran.stderr);
        let ms = ran.json()["checks"][0]["timeout_ms"]
            .as_f64()
            .expect("timeout_ms");
        assert!(ms >= 30_000.0, "{id}: {ms} ms");
    }
}

#[test]
fn an_option_the_command_does_not_take_is_a_usage_error() {
    for (args, words) in [
        (
            vec!["image", "--root", "/", "--wait", "5m"],
            "--wait does not apply to the image command",
        ),
        (
            vec!["list", "--only", "lo-up"],
            "--only does not apply to the list command",
        ),
        (
            vec!["--root", "/"],
            "--root does not apply to the boot command",
        ),
        (
            vec!["build-host", "--root", "/"],
            "--root does not apply to the build-host command",
        ),
        (
            vec!["collect", "--root", "/"],
            "--root does not apply to the collect command",
        ),
        (
            vec!["explain", "lo-up", "--skip", "lo-up"],
            "--skip does not apply to the explain command",
        ),
    ] {
        let ran = run(&args);
        assert_eq!(ran.code, 2, "{args:?}: {}", ran.stderr);
        assert!(ran.stderr.contains(words), "{args:?}: {}", ran.stderr);
    }
}

#[test]
fn nagios_usage_and_spec_errors_are_unknown() {
    for args in [
        vec!["--format", "nagios", "--bogus"],
        vec!["--format", "nagios", "--spec", "/nonexistent/spec.toml"],
        vec!["--format", "nagios", "--only", "nope"],
    ] {
        let ran = run(&args);
        assert_eq!(ran.code, 3, "{args:?}: {}", ran.stdout);
        let lines: Vec<&str> = ran.stdout.lines().collect();
        assert_eq!(lines.len(), 1, "{args:?}: {}", ran.stdout);
        assert!(
            lines[0].starts_with("HA-PREFLIGHT UNKNOWN - cannot run: "),
            "{args:?}: {}",
            ran.stdout
        );
    }
}

#[test]
fn an_override_for_a_check_the_spec_lacks_is_an_error_at_its_id() {
    let dir = common::scratch("override-unknown-id");
    let file = dir.join("overrides.toml");
    std::fs::write(
        &file,
        "# accepted findings\n[[override]]\nid = \"lo-upp\"\nreason = \"a typo\"\n",
    )
    .expect("write");
    let shown = file.display().to_string();
    let ran = run_captured("lo-up", &["--only", "lo-up", "--overrides", &shown]);
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(
        ran.stderr.contains(&format!(
            "{shown}:3:6: override for `lo-upp`, which is not a check of the spec"
        )),
        "{}",
        ran.stderr
    );
    // A known id that matches nothing stays a warning (lintian's unused override).
    std::fs::write(
        &file,
        "[[override]]\nid = \"lo-up\"\nreason = \"accepted\"\n",
    )
    .expect("write");
    let ran = run_captured("lo-up", &["--only", "lo-up", "--overrides", &shown]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(
        ran.stderr.contains("override matched nothing"),
        "{}",
        ran.stderr
    );
}

/// `ha-preflight --version | head -1`: a reader that goes away before the answer is
/// written is not an internal error. Each command's stdout is a pipe whose reading end
/// is already closed; the command exits with its own code and says nothing of a panic.
#[test]
fn a_closed_stdout_is_not_a_panic() {
    for (args, code) in [
        (&["--version"][..], 0),
        (&["--help"][..], 0),
        (&["list"][..], 0),
        (&["explain", "lo-up"][..], 0),
        (&["--bogus"][..], 2),
    ] {
        let (read, write) = nix::unistd::pipe().expect("a pipe");
        drop(read);
        let ran = std::process::Command::new(common::bin())
            .args(args)
            .stdout(std::process::Stdio::from(write))
            .stderr(std::process::Stdio::piped())
            .output()
            .expect("the binary runs");
        let stderr = String::from_utf8_lossy(&ran.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(ran.status.code(), Some(code), "{args:?}: {stderr}");
    }
}
