//! The person at the console: the human report through real pseudo-terminals at 80x24,
//! for the incident (tests/fixtures/bundle/incident.tar, collected from a box in that
//! state: /etc/network/run a real directory on disk holding a stale lo=lo, lo down, no
//! xcbdaemon). tmux draws the screen as a terminal would, so what is on it is what the
//! person sees; `script` gives the raw bytes a serial console would get.

use crate::common;

use common::{bin, repo};
use std::process::Command;
use std::time::{Duration, Instant};

fn incident() -> String {
    repo()
        .join("tests/fixtures/bundle/incident.tar")
        .display()
        .to_string()
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The screen of an 80x24 tmux pane after `command` ran in it (with escapes when
/// `escapes`).
fn screen(name: &str, command: &str, escapes: bool) -> String {
    screen_and_title(name, command, escapes).0
}

/// The screen, and the pane's title (what an OSC 0/2 sequence sets) before and after.
fn screen_and_title(name: &str, command: &str, escapes: bool) -> (String, [String; 2]) {
    assert!(have("tmux"), "tmux is needed (.ci/run installs it)");
    let socket = format!("ha-preflight-test-{name}-{}", std::process::id());
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux runs")
    };
    let started = tmux(&[
        "new-session",
        "-d",
        "-x",
        "80",
        "-y",
        "24",
        "-s",
        name,
        &format!("{command}; printf '<end>'; sleep 30"),
    ]);
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    let title = || {
        let out = tmux(&["display-message", "-p", "-t", name, "#{pane_title}"]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let before = title();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut shown = String::new();
    while Instant::now() < deadline {
        let mut args = vec!["capture-pane", "-p", "-t", name];
        if escapes {
            args.push("-e");
        }
        shown = String::from_utf8_lossy(&tmux(&args).stdout).into_owned();
        if shown.contains("<end>") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let after = title();
    tmux(&["kill-server"]);
    assert!(
        shown.contains("<end>"),
        "the report never finished:\n{shown}"
    );
    (shown, [before, after])
}

#[test]
fn a_failing_run_fits_an_80x24_console_with_the_root_cause_on_screen_and_last() {
    let command = format!("TERM=dumb {} --bundle {}", bin(), incident());
    let shown = screen("fit", &command, false);
    // The screen holds 24 lines; the report and the marker after it must all be on it,
    // from its first line on.
    let lines: Vec<&str> = shown.lines().collect();
    let first = lines
        .iter()
        .position(|l| l.starts_with("ha-preflight boot: FAIL"))
        .unwrap_or_else(|| panic!("the first line scrolled away:\n{shown}"));
    let end = lines
        .iter()
        .position(|l| l.starts_with("<end>"))
        .expect("marker");
    assert!(
        end - first <= 23,
        "the report is {} lines, and the prompt needs one:\n{shown}",
        end - first
    );
    assert!(
        lines[first..end]
            .iter()
            .any(|l| l
                .starts_with("root cause: netrun-layout: /etc/network/run is a real directory")),
        "no root cause on screen:\n{shown}"
    );
    let last = lines[end - 1];
    assert!(
        last.starts_with("verdict: fail, root cause netrun-layout"),
        "last line: {last:?}\n{shown}"
    );
    assert!(
        lines[first..end]
            .iter()
            .any(|l| l.contains("rm -rf /etc/network/run && ln -s /run/network /etc/network/run")),
        "the real directory's fix is not shown:\n{shown}"
    );
    assert!(
        !lines[first..end].iter().any(|l| l.starts_with("  pass")),
        "passes are listed one by one:\n{shown}"
    );
}

#[test]
fn every_line_fits_80_columns_and_colour_only_where_wanted() {
    assert!(have("script"), "script(1) is needed (util-linux)");
    let raw = |env: &str, extra: &str| {
        let out = Command::new("script")
            .args(["-qec"])
            .arg(format!(
                "stty cols 80 rows 24; env {env} {} --bundle {} {extra}",
                bin(),
                incident()
            ))
            .arg("/dev/null")
            .output()
            .expect("script runs");
        String::from_utf8_lossy(&out.stdout).replace('\r', "")
    };
    let strip = |s: &str| {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    };
    for extra in ["", "-v", "-q"] {
        let text = raw("TERM=xterm", extra);
        assert!(text.contains("ha-preflight boot: FAIL"), "{extra}: {text}");
        for line in strip(&text).lines() {
            assert!(
                line.chars().count() <= 80,
                "{extra}: {} columns: {line}",
                line.chars().count()
            );
        }
    }
    assert!(
        raw("TERM=xterm", "").contains('\x1b'),
        "a terminal gets colour"
    );
    for env in ["TERM=dumb", "TERM=xterm NO_COLOR=1"] {
        assert!(!raw(env, "").contains('\x1b'), "{env} got colour");
    }
    // Not a terminal (the journal, a pipe): no colour, the same 80 columns.
    let piped = Command::new(bin())
        .args(["--bundle", &incident(), "-v"])
        .env("TERM", "xterm")
        .env_remove("NO_COLOR")
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&piped.stdout);
    assert!(!text.contains('\x1b'));
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
}

#[test]
fn a_usage_error_is_one_line_and_where_help_is() {
    for args in [
        &["--bogus"][..],
        &["image"],
        &["--wait", "soon"],
        &["collect"],
    ] {
        let ran = common::run(args);
        assert_eq!(ran.code, 2, "{args:?}");
        let lines: Vec<&str> = ran.stderr.lines().collect();
        assert_eq!(lines.len(), 2, "{args:?}: {}", ran.stderr);
        assert!(
            lines[0].starts_with("ha-preflight: "),
            "{args:?}: {}",
            ran.stderr
        );
        assert_eq!(lines[1], "try `ha-preflight --help`");
    }
}

#[test]
fn a_hostile_bundle_neither_retitles_nor_clears_the_terminal_nor_forges_a_verdict() {
    let dir = common::scratch("console-hostile");
    let tar = dir.join("hostile.tar");
    common::bundle(
        &tar,
        "meta['host'] = 'node-a' + evil; meta['taken'] = '2026-12-02' + evil",
        "",
    );
    // Colour on, as on a real console: the report's own escapes stay, the bundle's do not.
    let command = format!("TERM=xterm {} --bundle {}", bin(), tar.display());
    let (shown, [before, after]) = screen_and_title("hostile", &command, false);
    assert!(!before.contains("pwned"), "{before}");
    assert_eq!(before, after, "the bundle set the terminal's title");
    let lines: Vec<&str> = shown.lines().collect();
    // Not cleared: the report's first lines are still on screen, from its top.
    let first = lines
        .iter()
        .position(|l| l.starts_with("ha-preflight boot: FAIL"))
        .unwrap_or_else(|| panic!("the header was wiped:\n{shown}"));
    assert!(
        lines[first + 1].starts_with("judged: bundle "),
        "{}\n{shown}",
        lines[first + 1]
    );
    assert!(shown.contains("\\x1b]0;pwned\\x07"), "{shown}");
    assert!(
        !lines.iter().any(|l| l.starts_with("verdict: pass")),
        "a forged verdict:\n{shown}"
    );
    let end = lines
        .iter()
        .position(|l| l.starts_with("<end>"))
        .expect("marker");
    assert!(
        lines[end - 1].starts_with("verdict: fail, root cause netrun-layout"),
        "{shown}"
    );
    // The bytes a serial console gets: every ESC starts one of the report's colours.
    assert!(have("script"), "script(1) is needed (util-linux)");
    let out = Command::new("script")
        .args(["-qec"])
        .arg(format!("stty cols 80 rows 24; env TERM=xterm {command}"))
        .arg("/dev/null")
        .output()
        .expect("script runs");
    let raw = String::from_utf8_lossy(&out.stdout);
    assert!(raw.contains('\x1b'), "no colour on a terminal");
    for (at, _) in raw.match_indices('\x1b') {
        let rest = &raw[at + 1..];
        let sgr = rest
            .strip_prefix('[')
            .and_then(|r| r.split_once('m'))
            .is_some_and(|(codes, _)| codes.chars().all(|c| c.is_ascii_digit() || c == ';'));
        assert!(
            sgr,
            "an escape that is not a colour: {:?}",
            &rest[..rest.len().min(20)]
        );
    }
    assert!(!raw.contains('\x07') && !raw.contains('\u{9b}'), "{raw:?}");
}

/// Each line of `text` wider than 80 columns (characters, not bytes), with its width.
fn wider_than_80(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.chars().count() > 80)
        .map(|l| format!("{} columns: {l}", l.chars().count()))
        .collect()
}

/// What the person at the console is sent to or shown besides the report fits 80
/// columns: `explain` of every shipped check (each failure ends "why it matters:
/// ha-preflight explain ID"), `--help`, collect's status, and the `--wait` progress on
/// stderr, with the report that follows it.
#[test]
fn what_the_console_user_is_sent_to_fits_80_columns() {
    let checks = repo().join("checks").display().to_string();
    let mut wide = Vec::new();
    let listed = common::run(&["list", "--spec", &checks, "--format", "json"]).json();
    let ids: Vec<&str> = listed["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert!(ids.len() > 20, "{listed}");
    for id in &ids {
        let ran = common::run(&["explain", id, "--spec", &checks]);
        assert_eq!(ran.code, 0, "{id}: {}", ran.stderr);
        wide.extend(
            wider_than_80(&ran.stdout)
                .into_iter()
                .map(|l| format!("explain {id}: {l}")),
        );
    }
    for args in [&["--help"][..], &["help"]] {
        let ran = common::run(args);
        assert_eq!(ran.code, 0);
        wide.extend(
            wider_than_80(&ran.stdout)
                .into_iter()
                .map(|l| format!("{args:?}: {l}")),
        );
    }

    // Collect's status, for a bundle whose name alone takes most of a line.
    let dir = common::scratch("console-collect");
    let tar = dir
        .join(format!("{}.tar", "support-bundle-of-node-a-".repeat(2)))
        .display()
        .to_string();
    let ran = common::run(&["collect", "--output", &tar]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(
        ran.stdout.starts_with("ha-preflight collect: wrote"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains("replay with: ha-preflight --bundle"),
        "{}",
        ran.stdout
    );
    wide.extend(
        wider_than_80(&ran.stdout)
            .into_iter()
            .map(|l| format!("collect: {l}")),
    );

    // A resync that will not end within --wait: progress lines, then the report.
    let proc_dir = common::scratch("console-wait");
    std::fs::copy(
        common::fixture("drbd/proc-drbd/sync-target-with-progress-8.3.txt"),
        proc_dir.join("drbd"),
    )
    .expect("copy the fixture");
    let proc_dir = proc_dir.display().to_string();
    let ran = common::run(&[
        "--only",
        "drbd-consistent",
        "--wait",
        "4s",
        "--proc",
        &proc_dir,
    ]);
    assert_eq!(ran.code, 1, "{}{}", ran.stdout, ran.stderr);
    let progress: Vec<&str> = ran
        .stderr
        .lines()
        .filter(|l| l.starts_with("ha-preflight: "))
        .collect();
    assert!(
        progress.len() >= 2
            && progress[0].contains("waiting for drbd-consistent: drbd0 SyncTarget"),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains("left of --wait)"), "{}", ran.stderr);
    wide.extend(
        wider_than_80(&ran.stderr)
            .into_iter()
            .map(|l| format!("--wait stderr: {l}")),
    );
    wide.extend(
        wider_than_80(&ran.stdout)
            .into_iter()
            .map(|l| format!("--wait report: {l}")),
    );
    // The verdict line keeps its duration.
    let verdict = ran.stdout.lines().last().unwrap_or_default();
    assert!(
        verdict.starts_with("verdict: wait, root cause drbd-consistent") && verdict.contains(" s"),
        "{verdict}"
    );
    assert!(
        wide.is_empty(),
        "wider than 80 columns:\n{}",
        wide.join("\n")
    );
}
