//! The person at the console: the human report through real pseudo-terminals at 80x24,
//! for the incident (tests/fixtures/bundle/incident.tar, collected from a box in that
//! state: /etc/network/run a real directory on disk holding a stale lo=lo, lo down, no
//! xcbdaemon) and for a real debootstrapped root under a long `--root`, as CI's are.
//! tmux draws the screen as a terminal would, so what is on it is what the person sees
//! (and what they select and paste: tmux joins the rows it folded); `script` gives the
//! raw bytes a serial console would get. The journal's form is a pipe.

use crate::common;

use common::human::{Shown, cut_lines, fix_commands, incomplete, squeeze, too_wide};
use common::{bin, have, repo};
use ha_preflight::model::fix::Fix;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn incident() -> String {
    repo()
        .join("tests/fixtures/bundle/incident.tar")
        .display()
        .to_string()
}

/// The screen of an 80x24 tmux pane after `command` ran in it (with escapes when
/// `escapes`).
fn screen(name: &str, command: &str, escapes: bool) -> String {
    screen_and_title(name, command, escapes).0
}

/// The screen, and the pane's title (what an OSC 0/2 sequence sets) before and after.
fn screen_and_title(name: &str, command: &str, escapes: bool) -> (String, [String; 2]) {
    let drawn = draw(name, command, (80, 24), escapes);
    (drawn.rows, drawn.title)
}

/// What a tmux pane showed once `command` ran in it.
struct Drawn {
    /// The screen, row by row.
    rows: String,
    /// Everything written, the screen and what scrolled off it, with the rows tmux
    /// folded joined back into the lines they are: what a person selects and pastes.
    joined: String,
    /// The pane's title before and after.
    title: [String; 2],
}

/// `command` run in a tmux pane of `size` (columns, rows).
fn draw(name: &str, command: &str, (columns, rows): (u16, u16), escapes: bool) -> Drawn {
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
        &columns.to_string(),
        "-y",
        &rows.to_string(),
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
    let joined = tmux(&["capture-pane", "-p", "-J", "-S", "-", "-E", "-", "-t", name]);
    let joined = String::from_utf8_lossy(&joined.stdout)
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n");
    let after = title();
    tmux(&["kill-server"]);
    assert!(
        shown.contains("<end>"),
        "the report never finished:\n{shown}"
    );
    Drawn {
        rows: shown,
        joined,
        title: [before, after],
    }
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
    // Not a terminal (the journal, a pipe): no colour, prose in the same 80 columns (a
    // one-line entry, a command and the verdict kept whole).
    let piped = Command::new(bin())
        .args(["--bundle", &incident(), "-v"])
        .env("TERM", "xterm")
        .env_remove("NO_COLOR")
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&piped.stdout);
    assert!(!text.contains('\x1b'));
    let wide = common::human::too_wide(&text);
    assert!(wide.is_empty(), "{wide:#?}\n{text}");
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

/// The tarball image-tests/debootstrap.sh keeps its raw debootstrapped tree in (lib.sh's
/// `cache_file`, with the same defaults), if it made one on this machine.
fn debootstrap_cache() -> Option<PathBuf> {
    let dir = match std::env::var_os("HA_PREFLIGHT_DEBOOTSTRAP_CACHE") {
        Some(dir) => PathBuf::from(dir),
        None => std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?
            .join("ha-preflight/debootstrap"),
    };
    let arch = Command::new("dpkg")
        .arg("--print-architecture")
        .output()
        .ok()?;
    let arch = String::from_utf8_lossy(&arch.stdout).trim().to_string();
    let suite = std::env::var("SUITE").unwrap_or_else(|_| "bookworm".into());
    let file = dir.join(format!(
        "{suite}-{arch}-minbase-ifupdown+openssh-server+systemd.tar.zst"
    ));
    file.metadata().is_ok_and(|m| m.len() > 0).then_some(file)
}

/// A root tree in `dir` under a path of 90 characters, as CI's are
/// (`/builds/GROUP/PROJECT/.../rootfs`): the real debootstrapped tree when
/// image-tests/debootstrap.sh has cached one and we are root (its device nodes and
/// owners need it); else, said on stderr, make_tree.py's clean tree with what
/// debootstrap leaves planted in it (a filled machine-id and its seeds, host keys, no
/// unit, the build host's resolv.conf and name, cached .debs).
fn long_root(dir: &Path) -> (PathBuf, &'static str) {
    // 90 characters wherever the scratch folder is (unless it is itself long): the
    // rows the report takes depend on it.
    let used = format!("{}/builds/firmware/job-/image-build/rootfs", dir.display()).len();
    let job = format!("{:0>width$}", 1234567, width = 90usize.saturating_sub(used));
    let root = dir.join(format!("builds/firmware/job-{job}/image-build/rootfs"));
    assert!(root.display().to_string().len() >= 60, "{}", root.display());
    std::fs::create_dir_all(&root).expect("root folder");
    match debootstrap_cache() {
        Some(tarball) if common::is_root() => {
            let zstd = std::fs::read(&tarball)
                .map(|b| b.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]))
                .unwrap_or(false);
            let script = if zstd {
                r#"zstd -q -dc "$1" | tar --numeric-owner --xattrs -xpf - -C "$2""#
            } else {
                r#"tar --numeric-owner --xattrs -xpf "$1" -C "$2""#
            };
            let out = Command::new("sh")
                .args(["-c", script, "sh"])
                .arg(&tarball)
                .arg(&root)
                .output()
                .expect("tar runs");
            assert!(
                out.status.success(),
                "unpacking {}: {}",
                tarball.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            (root, "the debootstrapped root")
        }
        found => {
            assert!(
                std::env::var_os("CI").is_none() || !common::is_root(),
                "CI runs as root and must draw the real debootstrapped root: .ci/run runs \
                 image-tests/debootstrap.sh, which caches it, before the tests"
            );
            eprintln!(
                "NOTE console: {}; a stand-in: the clean image fixture with debootstrap's leftovers planted",
                match found {
                    Some(_) =>
                        "not root: the debootstrapped root's device nodes and owners cannot be unpacked",
                    None => "no debootstrapped root cached (image-tests/debootstrap.sh makes one)",
                }
            );
            std::fs::remove_dir(&root).expect("empty root folder");
            let leftovers = [
                "machine-id-filled",
                "dbus-machine-id",
                "random-seed",
                "ssh-host-keys",
                "unit-missing",
                "resolv-conf-from-host",
                "hostname-from-host",
                "apt-cache-debs",
                "debootstrap-dir",
            ];
            ha_preflight::testing::image_tree::build_all(&leftovers, &root)
                .unwrap_or_else(|e| panic!("the stand-in root: {e}"));
            (root, "a stand-in for a debootstrapped root")
        }
    }
}

/// Each check's fix in the JSON report of `args`: the text the human report lays out.
fn json_fixes(args: &[&str]) -> std::collections::BTreeMap<String, String> {
    let out = Command::new(bin())
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter_map(|c| {
            Some((
                c["id"].as_str()?.to_string(),
                c["fix"].as_str()?.to_string(),
            ))
        })
        .collect()
}

/// Every command of every fix in `text` (a report as a person selects it) pasted into
/// `sh -n`, which reads and runs nothing: each must parse, each must be whole (no
/// argument broken off as a command of its own, no `rm -f` without its paths), and
/// together they must be exactly the commands of the fixes the JSON report carries.
fn assert_pastes(what: &str, text: &str, fixes: &std::collections::BTreeMap<String, String>) {
    let (shown, problems) = fix_commands(text);
    assert!(problems.is_empty(), "{what}: {problems:#?}\n{text}");
    assert!(!shown.is_empty(), "{what}: no fix shown:\n{text}");
    for cmd in &shown {
        let out = Command::new("sh")
            .args(["-n", "-c", &cmd.paste])
            .output()
            .expect("sh runs");
        assert!(
            out.status.success(),
            "{what}: {}: does not parse: {}\n{}\n{text}",
            cmd.check,
            String::from_utf8_lossy(&out.stderr),
            cmd.paste
        );
        if let Some(why) = incomplete(&cmd.paste) {
            panic!("{what}: {}: {why}\n{}\n{text}", cmd.check, cmd.paste);
        }
    }
    let checks: std::collections::BTreeSet<&str> = shown.iter().map(|c| c.check.as_str()).collect();
    for id in checks {
        let on_screen: Vec<String> = shown
            .iter()
            .filter(|c| c.check == id)
            .map(Shown::squeezed)
            .collect();
        let fix = fixes
            .get(id)
            .unwrap_or_else(|| panic!("{what}: {id} has no fix in JSON"));
        let written: Vec<String> = Fix::parse(fix)
            .commands()
            .iter()
            .map(|c| squeeze(c))
            .collect();
        assert_eq!(on_screen, written, "{what}: {id}'s commands\n{text}");
    }
}

/// The two failing runs a person meets: an image under a long `--root`, and the incident.
fn failing_runs(dir: &Path) -> Vec<(String, Vec<String>)> {
    let (root, what) = long_root(dir);
    vec![
        (
            format!("{what} at {}", root.display()),
            vec!["image".into(), "--root".into(), root.display().to_string()],
        ),
        ("the incident".into(), vec!["--bundle".into(), incident()]),
    ]
}

#[test]
fn every_fix_on_an_80x24_screen_pastes_whole_into_a_shell() {
    let dir = common::scratch_in(&std::env::temp_dir(), "console-paste");
    for (what, args) in failing_runs(&dir) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let fixes = json_fixes(&args);
        let command = format!("TERM=dumb {} {}", bin(), args.join(" "));
        // The default view: the root cause first and last on one screen, in the rows
        // the terminal really shows (a command longer than a row takes two).
        let drawn = draw("paste", &command, (80, 24), false);
        let rows: Vec<&str> = drawn.rows.lines().collect();
        let first = rows
            .iter()
            .position(|l| l.starts_with("ha-preflight ") && l.contains(": FAIL"))
            .unwrap_or_else(|| panic!("{what}: the first line scrolled away:\n{}", drawn.rows));
        let end = rows
            .iter()
            .position(|l| l.starts_with("<end>"))
            .expect("marker");
        assert!(
            end - first <= 23,
            "{what}: the report is {} rows, and the prompt needs one:\n{}",
            end - first,
            drawn.rows
        );
        assert!(
            rows[first + 1..end]
                .iter()
                .take(4)
                .any(|l| l.starts_with("root cause: ")),
            "{what}: the root cause is not first:\n{}",
            drawn.rows
        );
        assert!(
            rows[end - 1].starts_with("verdict: fail, root cause "),
            "{what}: last row: {:?}\n{}",
            rows[end - 1],
            drawn.rows
        );
        assert_pastes(&format!("{what}, 80x24"), &drawn.joined, &fixes);
        // -v: every root cause with its fix, past the screen.
        let drawn = draw("paste-v", &format!("{command} -v"), (80, 24), false);
        assert_pastes(&format!("{what}, 80x24, -v"), &drawn.joined, &fixes);
    }
}

#[test]
fn the_journal_and_a_wide_terminal_get_lines_whole() {
    let dir = common::scratch_in(&std::env::temp_dir(), "console-whole");
    for (what, args) in failing_runs(&dir) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let fixes = json_fixes(&args);
        let report: Value = serde_json::from_slice(
            &Command::new(bin())
                .args(&args)
                .args(["--format", "json"])
                .output()
                .expect("runs")
                .stdout,
        )
        .expect("JSON");
        // A pipe, as the unit's StandardOutput=journal+console is: nothing cut, prose
        // still in 80 columns, and every fix pastes.
        for extra in [&[][..], &["-v"], &["-q"]] {
            let out = Command::new(bin())
                .args(&args)
                .args(extra)
                .env("TERM", "xterm")
                .output()
                .expect("runs");
            let text = String::from_utf8_lossy(&out.stdout);
            let what = format!("{what}, piped {extra:?}");
            assert!(cut_lines(&text).is_empty(), "{what}: cut:\n{text}");
            let wide = too_wide(&text);
            assert!(wide.is_empty(), "{what}: prose past 80 columns: {wide:#?}");
            if extra == ["-q"] {
                // One line, and it says what broke, whole: the check and its summary.
                assert_eq!(text.lines().count(), 1, "{what}: {text}");
                let line = text.trim_end();
                let (_, cause) = line.split_once(": FAIL: ").expect("a verdict and a cause");
                let (id, summary) = cause.split_once(": ").expect("an id and a summary");
                assert_eq!(
                    common::check(&report, id)["summary"].as_str(),
                    Some(summary),
                    "{what}: {text}"
                );
            } else {
                assert_pastes(&what, &text, &fixes);
            }
        }
        // A 132-column terminal: a check's line is cut at 132, not at 80.
        let command = format!("TERM=dumb {} {}", bin(), args.join(" "));
        let drawn = draw("wide", &command, (132, 24), false);
        let longest = drawn
            .rows
            .lines()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0);
        assert!(
            longest > 80 && longest <= 132,
            "{what}: 132 columns, the longest line is {longest}:\n{}",
            drawn.rows
        );
        for line in cut_lines(&drawn.rows) {
            assert!(
                line.chars().count() >= 130,
                "{what}: cut before the terminal's width: {line}"
            );
        }
    }
}

/// Each line of `text` wider than 80 columns (characters, not bytes), with its width.
/// A line that is one word after its indentation (a path no line can hold) runs past, as
/// in the report: cut, it could not be copied.
fn wider_than_80(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.chars().count() > 80 && l.trim().contains(' '))
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
    // The report itself is held to the report's rules (prose in 80 columns; a command
    // and the verdict whole).
    wide.extend(
        common::human::too_wide(&ran.stdout)
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
