//! drbd-consistent end-to-end: `--wait` against a /proc/drbd that changes while the
//! binary waits, and, as root, the live run of a drbdsetup stand-in on a DRBD 9 box (a
//! private /proc in a mount namespace shows it the version). The verdicts over captured
//! /proc/drbd files and over bundles of drbdsetup's output are in-process, in
//! src/kinds/drbd/run_tests.rs.

use crate::common::{Ran, Scratch, bin, check, fixture, scratch, skip_unless_root, summary, time};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A scratch /proc holding `drbd` (or not).
fn proc_with(name: &str, drbd: Option<&Path>) -> Scratch {
    let dir = scratch(name);
    if let Some(src) = drbd {
        std::fs::copy(src, dir.join("drbd")).expect("copy fixture");
    }
    dir
}

/// The binary's drbd-consistent check over the /proc at `proc_dir`, with `extra`.
fn drbd_command(proc_dir: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(bin());
    cmd.args(["--only", "drbd-consistent", "--format", "json", "--proc"])
        .arg(proc_dir)
        .args(extra);
    cmd
}

/// That run, to its end, timed.
fn run_drbd(proc_dir: &Path, extra: &[&str]) -> (Ran, Duration) {
    time(&mut drbd_command(proc_dir, extra))
}

#[test]
fn no_drbd_at_all_is_not_applicable_and_does_not_wait() {
    let proc_dir = proc_with("drbd-none", None);
    let (ran, took) = run_drbd(&proc_dir, &["--wait", "300s"]);
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    assert_eq!(check(&ran.json(), "drbd-consistent")["status"], "skip");
    assert!(
        took < Duration::from_secs(5),
        "a standalone node waited {took:?}"
    );
}

/// The text of a spec with one drbd check whose parameters the test sets.
fn drbd_spec_text(params: &str) -> String {
    format!(
        "[[check]]\nid = \"drbd-consistent\"\nkind = \"drbd\"\nmodes = [\"boot\"]\nwhy = \"w\"\nfix = \"f\"\n{params}\n"
    )
}

/// The same, written to `dir/drbd.toml`; its path.
fn drbd_spec(dir: &Path, params: &str) -> String {
    let path = dir.join("drbd.toml");
    std::fs::write(&path, drbd_spec_text(params)).expect("write spec");
    path.display().to_string()
}

/// A split brain in a capture of /proc, under --wait: it fails at once, without waiting.
/// (That the kernel log's line is quoted is in-process, src/kinds/drbd/run_tests.rs.)
#[test]
fn split_brain_fails_at_once_under_wait() {
    let proc_dir = proc_with(
        "drbd-split-brain-proc",
        Some(&fixture("drbd/proc-drbd/split-brain-standalone-8.4.txt")),
    );
    let (ran, took) = run_drbd(&proc_dir, &["--wait", "300s"]);
    assert_eq!(ran.code, 1);
    assert!(took < Duration::from_secs(5), "split brain waited {took:?}");
    assert_eq!(check(&ran.json(), "drbd-consistent")["status"], "fail");
}

#[test]
fn wait_follows_a_resync_to_its_end() {
    let proc_dir = proc_with(
        "drbd-wait",
        Some(&fixture("drbd/proc-drbd/sync-target-with-progress-8.3.txt")),
    );
    let started = Instant::now();
    let child = drbd_command(&proc_dir, &["--wait", "60s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(1500));
    // The resync finishes: replace the file in one step, as the kernel's view changes.
    let next = proc_dir.join("drbd.new");
    std::fs::copy(
        fixture("drbd/proc-drbd/healthy-connected-uptodate-8.4.txt"),
        &next,
    )
    .expect("copy");
    std::fs::rename(&next, proc_dir.join("drbd")).expect("rename");
    let changed = started.elapsed();
    let ran = Ran::from(child.wait_with_output().expect("wait"));
    let took = started.elapsed();
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    // One clean JSON document on stdout, progress on stderr.
    assert_eq!(check(&ran.json(), "drbd-consistent")["status"], "pass");
    // Wrapped to the console's width; each line a log line of its own.
    let progress = ran.stderr.replace("\nha-preflight:   ", " ");
    assert!(
        progress
            .contains("waiting for drbd-consistent: drbd0 SyncTarget 44.4%, about 0:00:08 left"),
        "{}",
        ran.stderr
    );
    assert!(
        took - changed < Duration::from_secs(4),
        "noticed the end {:?} after it",
        took - changed
    );
}

#[test]
fn wait_gives_up_at_its_end_still_waiting() {
    let proc_dir = proc_with(
        "drbd-wait-out",
        Some(&fixture("drbd/proc-drbd/sync-target-with-progress-8.3.txt")),
    );
    let (ran, took) = run_drbd(&proc_dir, &["--wait", "1s"]);
    assert_eq!(ran.code, 1, "still waiting at the deadline is a failure");
    assert_eq!(ran.json()["verdict"], "wait");
    assert!(
        took < Duration::from_secs(1) + Duration::from_secs(3),
        "took {took:?}"
    );
}

/// A DRBD 9 box, live: /proc/drbd holds only the version, drbdsetup (a stand-in) the
/// state. None, after saying why, when not root.
fn drbd9(name: &str, script: &str, params: &str) -> Option<(Ran, Duration, Scratch)> {
    let version =
        std::fs::read_to_string(fixture("drbd/proc-drbd/drbd9-version-only.txt")).expect("fixture");
    drbd9_with(name, script, params, &version, &[])
}

/// As `drbd9`, with the kernel's /proc/drbd text and extra arguments given. The run is
/// live, in a private mount namespace whose /proc is a tmpfs holding just `drbd`: the
/// only way to show a box without the DRBD module a DRBD 9 kernel.
fn drbd9_with(
    name: &str,
    script: &str,
    params: &str,
    proc_drbd: &str,
    extra: &[&str],
) -> Option<(Ran, Duration, Scratch)> {
    if skip_unless_root(
        name,
        "a private /proc in a mount namespace shows the run DRBD 9",
    ) {
        return None;
    }
    let dir = scratch(name);
    let tool = dir.join("drbdsetup");
    std::fs::write(&tool, format!("#!/bin/sh\n{script}\n")).expect("write stand-in");
    std::fs::set_permissions(&tool, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let spec = drbd_spec(
        &dir,
        &format!(
            "drbdsetup = \"{}\"\ntimeout = \"1s\"\n{params}",
            tool.display()
        ),
    );
    let drbd = dir.join("proc-drbd");
    std::fs::write(&drbd, proc_drbd).expect("write /proc/drbd");
    let (ran, took) = time(
        Command::new("unshare")
            .args(["-m", "--propagation", "private", "sh", "-c"])
            .arg(r#"mount -t tmpfs proc-drbd /proc && cp "$1" /proc/drbd && shift && exec "$@""#)
            .arg("sh")
            .arg(&drbd)
            .arg(bin())
            .args([
                "--only",
                "drbd-consistent",
                "--format",
                "json",
                "--spec",
                &spec,
            ])
            .args(extra),
    );
    Some((ran, took, dir))
}

/// Quorum lost while a peer is still connecting is what a cluster booting all at once
/// shows: `--wait` re-checks it and passes once the peer connects; a quorum loss with no
/// peer coming fails at once.
#[test]
fn lost_quorum_is_waited_for_only_while_a_peer_connects() {
    let dir = scratch("drbd9-quorum-state");
    let state = dir.join("status.json");
    std::fs::copy(
        fixture("drbd/drbdsetup-json/quorum-lost-string-false-9.2-9.3.json"),
        &state,
    )
    .expect("copy");
    let version = "version: 9.0.22-1 (api:2/proto:86-116)\n";
    let script = format!("cat '{}'", state.display());
    let swap = {
        let state = state.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(1200));
            let next = state.with_extension("new");
            std::fs::copy(fixture("drbd/drbdsetup-json/healthy-two-nodes.json"), &next)
                .expect("copy");
            std::fs::rename(&next, &state).expect("rename");
        })
    };
    let Some((ran, took, _)) = drbd9_with(
        "drbd9-quorum-wait",
        &script,
        "",
        version,
        &["--wait", "20s"],
    ) else {
        return;
    };
    swap.join().expect("swap");
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert!(
        ran.stderr
            .contains("waiting for drbd-consistent: r0 to bob quorum lost"),
        "{}",
        ran.stderr
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");

    let script = format!(
        "cat '{}'",
        fixture("drbd/drbd-events2/stream-quorum-lost-may-promote-no.txt").display()
    );
    let Some((ran, took, _)) = drbd9_with(
        "drbd9-quorum-no-peer",
        &script,
        "drbdsetup_output = \"events2\"",
        version,
        &["--wait", "20s"],
    ) else {
        return;
    };
    assert_eq!(ran.code, 1, "{}", ran.stdout);
    assert!(
        took < Duration::from_secs(3),
        "a quorum loss with no peer waited {took:?}"
    );
}

/// drbdsetup reports "no quorum" for every device of a kernel that does not send it.
#[test]
fn quorum_is_not_judged_on_kernels_that_do_not_report_it() {
    let script = format!(
        "cat '{}'",
        fixture("drbd/drbdsetup-json/quorum-false-uptodate-connected-hand-edited.json").display()
    );
    let Some((ran, _, _)) = drbd9_with(
        "drbd9-quorum-old-kernel",
        &script,
        "",
        "version: 9.0.9-1 (api:2/proto:86-112)\n",
        &[],
    ) else {
        return;
    };
    let report = ran.json();
    let c = check(&report, "drbd-consistent");
    assert_eq!(c["status"], "pass", "{c:#}");
    assert!(
        c["evidence"]
            .to_string()
            .contains("quorum not judged: DRBD 9.0.9-1 reports none"),
        "{c:#}"
    );
}

#[test]
fn drbdsetup_that_fails_is_an_error_naming_it() {
    let Some((ran, _, _)) = drbd9(
        "drbd9-exit",
        "echo 'Failed to modprobe drbd (No such file or directory)' >&2; exit 20",
        "",
    ) else {
        return;
    };
    let report = ran.json();
    let c = check(&report, "drbd-consistent");
    assert_eq!(c["status"], "error");
    assert!(summary(c).contains("Failed to modprobe drbd"), "{c:#}");
}

/// The real drbdsetup 9.22 on a kernel without the DRBD module (its stderr and exit code
/// captured in tests/fixtures/drbd/drbdsetup-stderr/, see the README there): an error
/// that says the module is not loaded, and a fix that says how to load it, not the
/// generic "make what is named readable".
#[test]
fn drbdsetup_without_the_module_says_the_module_is_not_loaded() {
    for name in ["no-genl-family-9.22.txt", "modprobe-fails-9.22.txt"] {
        let stderr = fixture(&format!("drbd/drbdsetup-stderr/{name}"));
        let Some((ran, _, _)) = drbd9(
            "drbd9-no-module",
            &format!("cat '{}' >&2; exit 20", stderr.display()),
            "",
        ) else {
            return;
        };
        let report = ran.json();
        let c = check(&report, "drbd-consistent");
        let said = std::fs::read_to_string(&stderr).unwrap();
        let last = said.trim().lines().last().unwrap_or_default();
        assert_eq!(c["status"], "error", "{name}: {c:#}");
        let summary = summary(c);
        assert!(
            summary.contains("the DRBD kernel module is not loaded"),
            "{name}: {c:#}"
        );
        assert!(summary.contains(last), "{name}: {c:#}");
        let fix = c["fix"].as_str().unwrap_or_default();
        assert!(fix.contains("modprobe drbd"), "{name}: {c:#}");
        assert!(!fix.contains("readable"), "{name}: {c:#}");
    }
}

#[test]
fn drbdsetup_that_never_exits_is_killed_with_its_children() {
    let dir = scratch("drbd9-hang-pids");
    let pidfile = dir.join("child.pid");
    let Some((ran, took, _)) = drbd9(
        "drbd9-hang",
        &format!("sleep 600 &\necho $! > '{}'\nsleep 600", pidfile.display()),
        "",
    ) else {
        return;
    };
    assert!(took < Duration::from_secs(4), "took {took:?}");
    let report = ran.json();
    let c = check(&report, "drbd-consistent");
    assert_eq!(c["status"], "error", "{c:#}");
    assert!(
        summary(c).contains("killed it and everything it started"),
        "{c:#}"
    );
    let pid = std::fs::read_to_string(&pidfile).expect("the stand-in wrote its child's pid");
    let stat = PathBuf::from(format!("/proc/{}/stat", pid.trim()));
    std::thread::sleep(Duration::from_millis(200));
    let alive = std::fs::read_to_string(&stat).is_ok_and(|s| !s.contains(") Z "));
    assert!(!alive, "the stand-in's child {} survived", pid.trim());
}

/// A drbdsetup whose child calls setsid(), leaving the process group the run kills, and
/// lives on: when drbdsetup hangs past the check's timeout, and when it exits having
/// printed its state (the child holding its output pipes open, which held the run to
/// its deadline). Once the run has ended, the child must be dead.
///
/// The run needs a /proc that has both a DRBD 9 `drbd` and the processes (the tool
/// finds what a program left behind among its own children there). So it runs in a PID
/// namespace of its own, whose pids are small, under a /proc that is a folder holding
/// `drbd` and links `1`..`512` into the namespace's procfs. The run is not the
/// namespace's first process: that one's end would kill everything in it, and hide a
/// survivor. The shell that is checks, after the run, whether the child still lives.
#[test]
fn a_drbdsetup_child_that_calls_setsid_ends_with_the_run() {
    let test = "a_drbdsetup_child_that_calls_setsid_ends_with_the_run";
    if skip_unless_root(test, "a PID namespace and a /proc of its own") {
        return;
    }
    let dir = scratch("drbd9-setsid");
    let (fake, real) = (dir.join("proc"), dir.join("procfs"));
    std::fs::create_dir_all(&real).expect("mkdir");
    std::fs::create_dir_all(&fake).expect("mkdir");
    std::fs::copy(
        fixture("drbd/proc-drbd/drbd9-version-only.txt"),
        fake.join("drbd"),
    )
    .expect("copy /proc/drbd");
    for name in (1..=512).map(|i| i.to_string()).chain(["self".into()]) {
        std::os::unix::fs::symlink(real.join(&name), fake.join(&name)).expect("symlink");
    }
    let healthy = fixture("drbd/drbdsetup-json/healthy-two-nodes.json");
    let cases = [
        ("hangs", "error", "sleep 600".to_string()),
        ("exits", "pass", format!("cat '{}'", healthy.display())),
    ];
    for (case, status, then) in cases {
        let pidfile = dir.join(format!("{case}.pid"));
        let tool = dir.join(format!("drbdsetup-{case}"));
        std::fs::write(
            &tool,
            format!(
                "#!/bin/sh\nsetsid sh -c 'echo $$ > \"{p}\"; exec sleep 600' &\n\
                 until [ -s '{p}' ]; do sleep 0.01; done\n{then}\n",
                p = pidfile.display()
            ),
        )
        .expect("write stand-in");
        std::fs::set_permissions(&tool, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
        let spec = drbd_spec(
            &dir,
            &format!("drbdsetup = \"{}\"\ntimeout = \"1s\"", tool.display()),
        );
        let script = r#"
mount -t proc proc "$REAL" && mount --bind "$FAKE" /proc || exit 99
"$BIN" --only drbd-consistent --format json --spec "$SPEC" > "$OUT"
stat="$REAL/$(cat "$PIDFILE")/stat"
if [ -e "$stat" ] && ! grep -q ') Z ' "$stat"; then echo alive; else echo gone; fi
"#;
        let out_file = dir.join(format!("{case}.json"));
        let (ran, took) = time(
            Command::new("unshare")
                .args([
                    "-m",
                    "-p",
                    "-f",
                    "--propagation",
                    "private",
                    "sh",
                    "-c",
                    script,
                ])
                .env("REAL", &real)
                .env("FAKE", &fake)
                .env("BIN", bin())
                .env("SPEC", &spec)
                .env("OUT", &out_file)
                .env("PIDFILE", &pidfile),
        );
        assert_eq!(ran.code, 0, "{case}: {}{}", ran.stdout, ran.stderr);
        assert!(took < Duration::from_secs(4), "{case}: took {took:?}");
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&out_file).expect("the report"))
                .expect("JSON");
        let c = check(&report, "drbd-consistent");
        assert_eq!(c["status"], status, "{case}: {c:#}");
        assert_eq!(
            ran.stdout.trim(),
            "gone",
            "{case}: the setsid child survived the run"
        );
    }
}

#[test]
fn waiting_is_reported_to_systemd() {
    let dir = scratch("drbd-notify");
    let socket_path = dir.join("notify.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&socket_path).expect("bind");
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let proc_dir = proc_with(
        "drbd-notify-proc",
        Some(&fixture("drbd/proc-drbd/sync-target-with-progress-8.3.txt")),
    );
    let (ran, _) =
        time(drbd_command(&proc_dir, &["--wait", "1s"]).env("NOTIFY_SOCKET", &socket_path));
    assert_eq!(ran.code, 1);
    let mut buf = [0u8; 1024];
    let n = socket.recv(&mut buf).expect("a STATUS= datagram");
    let msg = String::from_utf8_lossy(&buf[..n]);
    assert!(
        msg.starts_with("STATUS=waiting for drbd-consistent: drbd0 SyncTarget 44.4%"),
        "{msg}"
    );
    // How long is left, as the console's progress line says it.
    assert!(msg.trim_end().ends_with("s left of --wait)"), "{msg}");
}
