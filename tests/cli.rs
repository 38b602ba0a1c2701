//! The command line without root: list, explain, usage errors, JSON shape, and boot mode
//! over captured /proc and /sys (as from a support bundle).

mod common;

use common::{check, fixture, run, status};

/// Runs boot mode over the captured /proc and /sys of `tests/fixtures/captured/NAME`.
fn run_captured(name: &str, args: &[&str]) -> common::Ran {
    let base = fixture(&format!("captured/{name}"));
    let (proc_dir, sys_dir) = (base.join("proc"), base.join("sys"));
    let mut all = vec![
        "--proc",
        proc_dir.to_str().unwrap_or_default(),
        "--sys",
        sys_dir.to_str().unwrap_or_default(),
    ];
    all.extend_from_slice(args);
    run(&all)
}

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
            rows.iter().any(|r| r.as_slice() == want),
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
        ran.stdout.contains("ln -s /run/network /etc/network/run"),
        "{}",
        ran.stdout
    );
    let unknown = run(&["explain", "lo-upp"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("no check named `lo-upp`"),
        "{}",
        unknown.stderr
    );
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
fn captured_box_with_lo_down() {
    let ran = run_captured(
        "lo-down",
        &["--only", "shm-tmpfs,lo-up", "--format", "json"],
    );
    assert_eq!(ran.code, 1, "{}", ran.stdout);
    let report = ran.json();
    assert_eq!(status(&report, "shm-tmpfs"), "pass");
    let shm = check(&report, "shm-tmpfs");
    assert!(
        shm["evidence"].to_string().contains("statfs not run"),
        "{shm:#}"
    );
    let lo = check(&report, "lo-up");
    assert_eq!(lo["status"], "fail");
    assert_eq!(lo["summary"], "lo is down (IFF_UP not set)");
    // --only drops the edge to netrun-stale: no root cause from outside the selection.
    assert_eq!(lo["root_cause"], serde_json::Value::Null);
    assert!(
        lo["fix"]
            .as_str()
            .is_some_and(|f| f.contains("ip link set lo up"))
    );
}

#[test]
fn captured_box_with_lo_up() {
    let ran = run_captured("lo-up", &["--only", "lo-up", "--format", "json"]);
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    let report = ran.json();
    let lo = check(&report, "lo-up");
    assert_eq!(lo["status"], "pass", "{lo:#}");
    assert_eq!(lo["fix"], serde_json::Value::Null);
}

#[test]
fn json_has_exactly_the_schema_1_fields() {
    let report = run_captured("lo-up", &["--only", "lo-up", "--format", "json"]).json();
    let mut top: Vec<&str> = report
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    top.sort();
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
    let ran = run_captured("lo-up", &["--spec", &shown, "--format", "json"]);
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
    assert!(
        shm["summary"]
            .as_str()
            .is_some_and(|s| s.contains("mountinfo")),
        "{shm:#}"
    );
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
