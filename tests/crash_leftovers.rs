//! Crash leftovers and replication state (issue 5): stale-locks, fs-errors, sync-age,
//! role-leftovers and peer-sequence, each against real processes, locks, mounts, files
//! and XML-RPC servers.
//!
//! Every test writes its own spec whose paths point into a scratch directory, and runs
//! the built binary in boot mode against it. Tests that need root (mounts, loop devices,
//! namespaces, a non-loopback peer address) say why and return when not root.

mod common;

use common::{Ran, Running, check, free_port, is_root, repo, scratch, xcbdaemon};
use serde_json::Value;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Runs `boot --spec SPEC --format json` with `spec` written to `dir/spec.toml`.
fn run_spec(dir: &Path, spec: &str, extra: &[&str]) -> Value {
    let path = dir.join("spec.toml");
    fs::write(&path, spec).expect("write spec");
    let spec_arg = path.display().to_string();
    let mut args = vec!["boot", "--spec", &spec_arg, "--format", "json"];
    args.extend_from_slice(extra);
    common::run(&args).json()
}

/// The one check's result in a run of a one-check spec.
fn only(dir: &Path, spec: &str, extra: &[&str]) -> Value {
    let report = run_spec(dir, spec, extra);
    report["checks"][0].clone()
}

fn summary(c: &Value) -> &str {
    c["summary"].as_str().unwrap_or_default()
}

fn evidence(c: &Value) -> String {
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

fn skip_unless_root(test: &str, why: &str) -> bool {
    if is_root() {
        return false;
    }
    eprintln!("SKIP {test}: needs root ({why})");
    true
}

// --- stale-locks -----------------------------------------------------------------

fn locks_spec(dir: &Path) -> String {
    format!(
        r#"[[check]]
id = "stale-locks"
kind = "locks"
modes = ["boot"]
why = "test"
fix = "test"
pid_files = ["{d}/run/*.pid", {{ path = "{d}/run/named/db.pid", process = "xcbdaemon" }}]
lock_files = ["{d}/lock/*.lock"]
"#,
        d = dir.display()
    )
}

fn locks_dir(name: &str) -> common::Scratch {
    let dir = scratch(name);
    for sub in ["run/named", "lock"] {
        fs::create_dir_all(dir.join(sub)).expect("mkdir");
    }
    dir
}

/// A long-running process whose program name is `name` (a copy of sleep).
fn program_named(dir: &Path, name: &str) -> Running {
    let exe = dir.join(name);
    fs::copy("/bin/sleep", &exe).expect("copy sleep");
    Running(Command::new(&exe).arg("30").spawn().expect("spawn"))
}

#[test]
fn a_pid_file_of_a_live_daemon_passes() {
    let dir = locks_dir("locks-live");
    let daemon = program_named(&dir, "xcbdaemon");
    fs::write(dir.join("run/xcbdaemon.pid"), format!("{}\n", daemon.pid())).unwrap();
    fs::write(dir.join("run/named/db.pid"), format!("{}\n", daemon.pid())).unwrap();
    let c = only(&dir, &locks_spec(&dir), &[]);
    assert_eq!(c["status"], "pass", "{c:#}");
    assert!(summary(&c).starts_with("2 pid or lock files"), "{c:#}");
}

#[test]
fn a_pid_file_of_a_reaped_process_is_stale() {
    let dir = locks_dir("locks-reaped");
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    fs::write(dir.join("run/xcbdaemon.pid"), format!("{pid}\n")).unwrap();
    let c = only(&dir, &locks_spec(&dir), &[]);
    assert_eq!(c["status"], "fail", "{c:#}");
    assert!(
        summary(&c).contains(&format!("pid {pid} is not running")),
        "{c:#}"
    );
}

#[test]
fn a_pid_file_of_an_unreaped_zombie_is_stale() {
    let dir = locks_dir("locks-zombie");
    // Spawned and never waited for until the end: it stays a zombie meanwhile.
    let zombie = Running(Command::new("true").spawn().unwrap());
    let stat = format!("/proc/{}/stat", zombie.pid());
    let t0 = Instant::now();
    while !fs::read_to_string(&stat)
        .unwrap_or_default()
        .contains(") Z")
    {
        assert!(t0.elapsed() < Duration::from_secs(5), "never a zombie");
        std::thread::sleep(Duration::from_millis(10));
    }
    fs::write(dir.join("run/true.pid"), format!("{}\n", zombie.pid())).unwrap();
    let c = only(&dir, &locks_spec(&dir), &[]);
    assert_eq!(c["status"], "fail", "{c:#}");
    assert!(summary(&c).contains("has exited (zombie)"), "{c:#}");
}

#[test]
fn a_pid_reused_by_another_program_is_stale() {
    let dir = locks_dir("locks-reused");
    let other = Running(Command::new("sleep").arg("30").spawn().unwrap());
    fs::write(dir.join("run/named/db.pid"), format!("{}\n", other.pid())).unwrap();
    let c = only(&dir, &locks_spec(&dir), &[]);
    assert_eq!(c["status"], "fail", "{c:#}");
    assert!(
        summary(&c).contains("now belongs to `sleep`, not `xcbdaemon`"),
        "{c:#}"
    );
}

#[test]
fn a_pid_file_with_garbage_is_an_error_that_says_so() {
    let dir = locks_dir("locks-garbage");
    fs::write(dir.join("run/xcbdaemon.pid"), "started\n").unwrap();
    let c = only(&dir, &locks_spec(&dir), &[]);
    assert_eq!(c["status"], "error", "{c:#}");
    assert!(
        summary(&c).contains("xcbdaemon.pid: content \"started\" is not a pid"),
        "{c:#}"
    );
    // A huge file is not read whole.
    fs::write(dir.join("run/xcbdaemon.pid"), "1".repeat(1 << 20)).unwrap();
    let c = only(&dir, &locks_spec(&dir), &[]);
    assert_eq!(c["status"], "error", "{c:#}");
    assert!(summary(&c).contains("not a pid file"), "{c:#}");
}

#[test]
fn no_pid_or_lock_files_pass() {
    let dir = locks_dir("locks-none");
    let c = only(&dir, &locks_spec(&dir), &[]);
    assert_eq!(c["status"], "pass", "{c:#}");
    assert_eq!(
        summary(&c),
        "no pid or lock file present (3 patterns looked at)"
    );
}

/// A python3 child holding a POSIX (fcntl) lock on `file` until killed.
fn fcntl_holder(file: &Path) -> Running {
    let mut cmd = Command::new("python3");
    cmd.args([
        "-c",
        "import fcntl,sys,time\nf=open(sys.argv[1],'a')\nfcntl.lockf(f,fcntl.LOCK_EX)\nprint('locked',flush=True)\ntime.sleep(30)",
    ])
    .arg(file);
    Running::until_line(cmd).0
}

#[test]
fn a_lock_held_by_a_live_process_passes_and_is_stale_once_it_died() {
    let dir = locks_dir("locks-fcntl");
    let file = dir.join("lock/db.lock");
    let holder = fcntl_holder(&file);
    let c = only(&dir, &locks_spec(&dir), &[]);
    assert_eq!(c["status"], "pass", "{c:#}");
    assert!(
        evidence(&c).contains(&format!("POSIX lock held by pid {}", holder.pid())),
        "{c:#}"
    );
    drop(holder);
    let c = only(&dir, &locks_spec(&dir), &[]);
    assert_eq!(c["status"], "fail", "{c:#}");
    assert!(
        summary(&c).contains("db.lock: no process holds a lock"),
        "{c:#}"
    );
}

#[test]
fn a_flock_lock_is_seen_too() {
    let dir = locks_dir("locks-flock");
    let file = dir.join("lock/queue.lock");
    let mut cmd = Command::new("python3");
    cmd.args([
        "-c",
        "import fcntl,sys,time\nf=open(sys.argv[1],'a')\nfcntl.flock(f,fcntl.LOCK_EX)\nprint('locked',flush=True)\ntime.sleep(30)",
    ])
    .arg(&file);
    let holder = Running::until_line(cmd).0;
    let c = only(&dir, &locks_spec(&dir), &[]);
    assert_eq!(c["status"], "pass", "{c:#}");
    assert!(
        evidence(&c).contains(&format!("FLOCK lock held by pid {}", holder.pid())),
        "{c:#}"
    );
}

/// Seen from a PID namespace of its own, a holder outside it does not run "here": that is
/// the position of a rebooted NFS client whose crashed predecessor's lock the server still
/// keeps (seed 003). /proc/locks hides the holder; F_GETLK still finds the lock.
#[test]
fn a_lock_whose_holder_does_not_run_here_is_stale() {
    if skip_unless_root(
        "a_lock_whose_holder_does_not_run_here_is_stale",
        "PID namespace",
    ) {
        return;
    }
    let dir = locks_dir("locks-elsewhere");
    let file = dir.join("lock/db.lock");
    let _holder = fcntl_holder(&file);
    fs::write(dir.join("spec.toml"), locks_spec(&dir)).unwrap();
    let ran: Ran = Command::new("unshare")
        .args(["-p", "-f", "--mount-proc"])
        .arg(common::bin())
        .args(["boot", "--format", "json", "--spec"])
        .arg(dir.join("spec.toml"))
        .output()
        .expect("unshare")
        .into();
    let c = ran.json()["checks"][0].clone();
    assert_eq!(c["status"], "fail", "{c:#}\n{}", ran.stderr);
    assert!(summary(&c).contains("which does not run here"), "{c:#}");
}

// --- fs-errors -------------------------------------------------------------------

fn fs_spec(dir: &Path, mounts: &str, extra: &str) -> String {
    format!(
        r#"[[check]]
id = "fs-errors"
kind = "filesystem"
modes = ["boot"]
why = "test"
fix = "test"
mounts = [{mounts}]
fstab = "{d}/fstab"
{extra}
"#,
        d = dir.display()
    )
}

#[test]
fn a_filesystem_in_fstab_but_not_mounted_fails_and_one_not_configured_skips() {
    let dir = scratch("fs-fstab");
    let data = dir.join("data");
    fs::create_dir_all(&data).unwrap();
    let spec = fs_spec(
        &dir,
        &format!(r#"{{ path = "{}", options = ["rw"] }}"#, data.display()),
        "",
    );
    let c = only(&dir, &spec, &[]);
    assert_eq!(c["status"], "skip", "{c:#}");
    assert!(evidence(&c).contains("not configured on this box"), "{c:#}");

    fs::write(
        dir.join("fstab"),
        format!("LABEL=data {} ext4 defaults 0 2\n", data.display()),
    )
    .unwrap();
    let c = only(&dir, &spec, &[]);
    assert_eq!(c["status"], "fail", "{c:#}");
    assert_eq!(summary(&c), format!("{} is not mounted", data.display()));

    fs::write(
        dir.join("fstab"),
        format!("LABEL=data {} ext4 noauto 0 2\n", data.display()),
    )
    .unwrap();
    assert_eq!(only(&dir, &spec, &[])["status"], "skip");
}

#[test]
fn recorded_ext4_errors_from_a_captured_bundle() {
    let dir = scratch("fs-captured");
    let bundle = common::fixture("captured/ext4-errors");
    let spec = fs_spec(
        &dir,
        r#"{ path = "/", options = ["rw"] }, { path = "/data", options = ["rw"] }"#,
        "",
    );
    let proc_dir = bundle.join("proc").display().to_string();
    let sys_dir = bundle.join("sys").display().to_string();
    let c = only(&dir, &spec, &["--proc", &proc_dir, "--sys", &sys_dir]);
    assert_eq!(c["status"], "fail", "{c:#}");
    assert_eq!(
        summary(&c),
        "/data: rw expected, found ro: the superblock is read-only while the mount says rw, \
         the kernel's errors=remount-ro fallback after a filesystem error (and 1 more)"
    );
    let ev = evidence(&c);
    assert!(
        ev.contains(
            "/data has 3 recorded filesystem errors (first 2026-11-19 03:12:45 UTC in \
             ext4_lookup:1855, inode 131074; last 2026-11-20 21:40:02 UTC in \
             ext4_journal_check_start:83)"
        ),
        "{ev}"
    );
    assert!(
        !ev.contains("statfs"),
        "a captured bundle is not statfs-ed: {ev}"
    );
}

/// Runs `script` (sh) in a new mount namespace with the scratch dir as $D.
fn in_mount_ns(dir: &Path, script: &str) -> Ran {
    Command::new("unshare")
        .args(["-m", "sh", "-euc"])
        .arg(format!("mount --make-rprivate /\n{script}"))
        .env("D", dir)
        .env("BIN", common::bin())
        .env("NO_COLOR", "1")
        .output()
        .expect("unshare")
        .into()
}

#[test]
fn a_read_only_tmpfs_where_rw_is_expected_fails() {
    if skip_unless_root("a_read_only_tmpfs_where_rw_is_expected_fails", "mounts") {
        return;
    }
    let dir = scratch("fs-ro");
    fs::create_dir_all(dir.join("data")).unwrap();
    let spec = fs_spec(
        &dir,
        &format!(
            r#"{{ path = "{}/data", options = ["rw", "nosuid"] }}"#,
            dir.display()
        ),
        "",
    );
    fs::write(dir.join("spec.toml"), spec).unwrap();
    let run = |opts: &str| {
        let ran = in_mount_ns(
            &dir,
            &format!(
                "mount -t tmpfs -o {opts} tmpfs $D/data\n\"$BIN\" boot --format json --spec $D/spec.toml"
            ),
        );
        ran.json()["checks"][0].clone()
    };
    let c = run("ro,nosuid");
    assert_eq!(c["status"], "fail", "{c:#}");
    assert_eq!(
        summary(&c),
        format!("{}/data: rw expected, found ro", dir.display())
    );
    let c = run("rw,nosuid");
    assert_eq!(c["status"], "pass", "{c:#}");
    let c = run("rw");
    assert_eq!(c["status"], "fail", "{c:#}");
    assert!(
        summary(&c).contains("option nosuid expected, not in effect"),
        "{c:#}"
    );
}

#[test]
fn a_full_filesystem_fails_on_space_and_on_inodes() {
    if skip_unless_root("a_full_filesystem_fails_on_space_and_on_inodes", "mounts") {
        return;
    }
    let dir = scratch("fs-full");
    fs::create_dir_all(dir.join("data")).unwrap();
    let spec = fs_spec(
        &dir,
        &format!(r#"{{ path = "{}/data" }}"#, dir.display()),
        "min_free_bytes = 1\nmin_free_inodes = 1",
    );
    fs::write(dir.join("spec.toml"), spec).unwrap();
    let ran = in_mount_ns(
        &dir,
        "mount -t tmpfs -o size=256k tmpfs $D/data\n\
         dd if=/dev/zero of=$D/data/fill bs=4k 2>/dev/null || true\n\
         \"$BIN\" boot --format json --spec $D/spec.toml",
    );
    let c = ran.json()["checks"][0].clone();
    assert_eq!(c["status"], "fail", "{c:#}");
    assert!(
        summary(&c).ends_with("data has 0 B free (needs 1 B)"),
        "{c:#}"
    );

    let ran = in_mount_ns(
        &dir,
        "mount -t tmpfs -o nr_inodes=8 tmpfs $D/data\n\
         i=0; while touch $D/data/f$i 2>/dev/null; do i=$((i+1)); done\n\
         \"$BIN\" boot --format json --spec $D/spec.toml",
    );
    let c = ran.json()["checks"][0].clone();
    assert_eq!(c["status"], "fail", "{c:#}");
    assert!(
        summary(&c).ends_with("data has 0 free inodes (needs 1)"),
        "{c:#}"
    );
}

/// The real thing: an ext4 filesystem on a loop device, mounted errors=remount-ro, made
/// to record an error by the kernel's own test hook. The kernel remounts it read-only
/// and counts the error; fs-errors must name both.
#[test]
fn an_ext4_error_remounts_read_only_and_is_reported() {
    let test = "an_ext4_error_remounts_read_only_and_is_reported";
    if skip_unless_root(test, "loop devices and mounts") {
        return;
    }
    let dir = scratch("fs-ext4");
    fs::create_dir_all(dir.join("data")).unwrap();
    let spec = fs_spec(
        &dir,
        &format!(r#"{{ path = "{}/data", options = ["rw"] }}"#, dir.display()),
        "",
    );
    fs::write(dir.join("spec.toml"), spec).unwrap();
    let ran = in_mount_ns(
        &dir,
        "truncate -s 16M $D/ext4.img\n\
         mkfs.ext4 -q -F $D/ext4.img\n\
         if ! mount -o loop,errors=remount-ro $D/ext4.img $D/data 2>$D/mount.err; then\n\
           echo SKIP; cat $D/mount.err; exit 0; fi\n\
         \"$BIN\" boot --format json --spec $D/spec.toml > $D/before.json || true\n\
         dev=$(basename $(findmnt -no SOURCE $D/data))\n\
         echo ha-preflight-test > /sys/fs/ext4/$dev/trigger_fs_error\n\
         \"$BIN\" boot --format json --spec $D/spec.toml || true\n\
         umount $D/data",
    );
    if ran.stdout.starts_with("SKIP") || ran.stderr.contains("mkfs.ext4: not found") {
        eprintln!(
            "SKIP {test}: no loop mount here: {}{}",
            ran.stdout, ran.stderr
        );
        return;
    }
    let before: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("before.json")).unwrap()).unwrap();
    assert_eq!(before["checks"][0]["status"], "pass", "{before:#}");
    let c = ran.json()["checks"][0].clone();
    assert_eq!(c["status"], "fail", "{c:#}\n{}", ran.stderr);
    assert!(summary(&c).contains("rw expected, found ro"), "{c:#}");
    assert!(summary(&c).contains("errors=remount-ro fallback"), "{c:#}");
    let ev = evidence(&c);
    assert!(
        ev.contains("has 1 recorded filesystem error (first "),
        "{ev}"
    );
    assert!(ev.contains("errors_count: 1"), "{ev}");
}

// --- sync-age --------------------------------------------------------------------

fn age_spec(dir: &Path, severity: &str, extra: &str) -> String {
    format!(
        r#"[[check]]
id = "sync-age"
kind = "file-age"
modes = ["boot"]
why = "test"
fix = "test"
severity = "{severity}"
path = "{d}/last-sync"
max_age = "26h"
{extra}
"#,
        d = dir.display()
    )
}

fn touch(path: &Path, ago: &str) {
    let ok = Command::new("touch")
        .arg("-d")
        .arg(ago)
        .arg(path)
        .status()
        .expect("touch");
    assert!(ok.success());
}

#[test]
fn an_old_sync_is_a_warning_or_a_failure_by_severity() {
    let dir = scratch("age-mtime");
    let file = dir.join("last-sync");
    fs::write(&file, "").unwrap();
    touch(&file, "2 hours ago");
    let c = only(&dir, &age_spec(&dir, "warning", ""), &[]);
    assert_eq!(c["status"], "pass", "{c:#}");
    assert!(summary(&c).starts_with("last run 2h 0m ago"), "{c:#}");

    touch(&file, "3 days ago");
    let c = only(&dir, &age_spec(&dir, "warning", ""), &[]);
    assert_eq!(c["status"], "warn", "{c:#}");
    assert_eq!(summary(&c), "last run 3d 0h ago, longer than max_age 26h");
    let c = only(&dir, &age_spec(&dir, "critical", ""), &[]);
    assert_eq!(c["status"], "fail", "{c:#}");
}

#[test]
fn a_timestamp_inside_the_file() {
    let dir = scratch("age-content");
    let file = dir.join("last-sync");
    let spec = age_spec(
        &dir,
        "critical",
        "timestamp = \"content\"\nkey = \"LAST_SYNC\"",
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    fs::write(&file, format!("PEER=10.0.0.2\nLAST_SYNC={}\n", now - 600)).unwrap();
    let c = only(&dir, &spec, &[]);
    assert_eq!(c["status"], "pass", "{c:#}");
    assert!(summary(&c).starts_with("last run 10m"), "{c:#}");

    fs::write(&file, "LAST_SYNC=2020-01-01T00:00:00+01:00\n").unwrap();
    let c = only(&dir, &spec, &[]);
    assert_eq!(c["status"], "fail", "{c:#}");
    assert!(evidence(&c).contains("2019-12-31 23:00:00 UTC"), "{c:#}");

    fs::write(&file, format!("LAST_SYNC={}\n", now + 86_400)).unwrap();
    let c = only(&dir, &spec, &[]);
    assert_eq!(c["status"], "error", "{c:#}");
    assert!(
        summary(&c).contains("in the future; the clock is wrong"),
        "{c:#}"
    );

    fs::write(&file, "LAST_SYNC=last tuesday\n").unwrap();
    let c = only(&dir, &spec, &[]);
    assert_eq!(c["status"], "error", "{c:#}");
    assert!(
        summary(&c).contains("neither Unix seconds nor a date"),
        "{c:#}"
    );

    fs::write(&file, "OTHER=1\n").unwrap();
    let c = only(&dir, &spec, &[]);
    assert_eq!(c["status"], "error", "{c:#}");
    assert!(summary(&c).ends_with("has no `LAST_SYNC=` line"), "{c:#}");
}

#[test]
fn no_sync_record_skips_unless_the_spec_requires_one() {
    let dir = scratch("age-missing");
    let c = only(&dir, &age_spec(&dir, "critical", ""), &[]);
    assert_eq!(c["status"], "skip", "{c:#}");
    let c = only(&dir, &age_spec(&dir, "critical", "missing = \"fail\""), &[]);
    assert_eq!(c["status"], "fail", "{c:#}");
}

// --- role-leftovers --------------------------------------------------------------

fn role_spec(dir: &Path, source: &str) -> String {
    format!(
        r#"[[check]]
id = "role-leftovers"
kind = "role"
modes = ["boot"]
why = "test"
fix = "test"
{source}
leftovers.master = []
leftovers.replica = ["{d}/master/*"]
leftovers.client = ["{d}/data/*.dat", "{d}/data/sequence"]
"#,
        d = dir.display()
    )
}

fn env_source(dir: &Path) -> String {
    format!(
        "source = \"env\"\npath = \"{}/xcbdaemon.env\"\nkey = \"XCB_ROLE\"",
        dir.display()
    )
}

#[test]
fn leftovers_of_another_role_fail_per_role() {
    let dir = scratch("role-env");
    fs::create_dir_all(dir.join("data")).unwrap();
    for f in ["T7.dat", "T9.dat", "sequence"] {
        fs::write(dir.join("data").join(f), "x").unwrap();
    }
    let spec = role_spec(&dir, &env_source(&dir));
    let env = dir.join("xcbdaemon.env");

    let c = only(&dir, &spec, &[]);
    assert_eq!(c["status"], "skip", "{c:#}");

    fs::write(&env, "XCB_ROLE=master\n").unwrap();
    assert_eq!(only(&dir, &spec, &[])["status"], "pass");
    fs::write(&env, "XCB_ROLE=replica\n").unwrap();
    assert_eq!(only(&dir, &spec, &[])["status"], "pass");

    // Seed 001: a demoted master that kept its data and sequence files.
    fs::write(&env, "# demoted\nXCB_ROLE=\"client\"\n").unwrap();
    let c = only(&dir, &spec, &[]);
    assert_eq!(c["status"], "fail", "{c:#}");
    let d = dir.display();
    assert_eq!(
        summary(&c),
        format!(
            "a client node keeps state of another role (master or replica): \
             {d}/data/T7.dat, {d}/data/T9.dat, {d}/data/sequence"
        )
    );
    assert!(
        evidence(&c).contains("xcbdaemon.env: XCB_ROLE=client"),
        "{c:#}"
    );

    fs::write(&env, "XCB_ROLE=mastre\n").unwrap();
    let c = only(&dir, &spec, &[]);
    assert_eq!(c["status"], "fail", "{c:#}");
    assert_eq!(
        summary(&c),
        "role \"mastre\" is not one this check knows (client, master, replica)"
    );
}

#[test]
fn the_role_can_come_from_a_file_or_from_xcbdaemon() {
    let dir = scratch("role-sources");
    fs::create_dir_all(dir.join("master")).unwrap();
    fs::write(dir.join("master/queue"), "x").unwrap();
    let file_source = format!("source = \"file\"\npath = \"{}/role\"", dir.display());
    fs::write(dir.join("role"), "replica\n").unwrap();
    let c = only(&dir, &role_spec(&dir, &file_source), &[]);
    assert_eq!(c["status"], "fail", "{c:#}");
    assert!(
        summary(&c).starts_with("a replica node keeps state"),
        "{c:#}"
    );

    let port = free_port();
    let _daemon = xcbdaemon("127.0.0.1", port, "ok", &["--role", "replica"]);
    let rpc_source = format!(
        "source = \"xmlrpc\"\nurl = \"http://127.0.0.1:{port}/RPC2\"\nmethod = \"xcb.role\""
    );
    let c = only(&dir, &role_spec(&dir, &rpc_source), &[]);
    assert_eq!(c["status"], "fail", "{c:#}");
    assert!(evidence(&c).contains("xcb.role() at"), "{c:#}");
    fs::remove_file(dir.join("master/queue")).unwrap();
    assert_eq!(
        only(&dir, &role_spec(&dir, &rpc_source), &[])["status"],
        "pass"
    );
}

// --- peer-sequence ---------------------------------------------------------------

fn seq_spec(dir: &Path, peer: &str, extra: &str) -> String {
    format!(
        r#"[[check]]
id = "peer-sequence"
kind = "sequence"
modes = ["boot"]
why = "test"
fix = "test"
local = "{d}/sequence"
{peer}
max_lag = 1000
timeout = "1s"
{extra}
"#,
        d = dir.display()
    )
}

/// The master's numbers in seed 000 (boksdiag sequence on the master).
const MASTER: &str = r#"{"T7": 5053, "T9": 7919, "T15": 1865}"#;

#[test]
fn sequence_numbers_against_a_leader_over_xml_rpc() {
    let dir = scratch("seq-loopback");
    fs::write(dir.join("master.json"), MASTER).unwrap();
    let port = free_port();
    let master_json = dir.join("master.json").display().to_string();
    let _leader = xcbdaemon("127.0.0.1", port, "ok", &["--sequence", &master_json]);
    let spec = seq_spec(
        &dir,
        &format!("peer = \"http://127.0.0.1:{port}/RPC2\""),
        "",
    );
    let local = dir.join("sequence");
    let cases = [
        (
            "T7 5053\nT9 7919\nT15 1865\n",
            "pass",
            "in step with its leader on 3, at most 0 behind",
        ),
        (
            "T7 5000\nT9 7900\nT15 1865\n",
            "pass",
            "in step with its leader on 3, at most 53 behind",
        ),
        (
            "T7 53\nT9 7919\nT15 1865\n",
            "warn",
            "5000 behind its leader on T7 (max_lag 1000)",
        ),
        (
            "T7 6982\nT9 10258\nT15 2043\n",
            "fail",
            "ahead of its leader on 3 of 3: T15 2043 > 1865, T7 6982 > 5053, T9 10258 > 7919",
        ),
    ];
    for (numbers, status, want) in cases {
        fs::write(&local, numbers).unwrap();
        let c = only(&dir, &spec, &[]);
        assert_eq!(c["status"], status, "{numbers}{c:#}");
        assert_eq!(summary(&c), want, "{c:#}");
    }
    fs::write(&local, "T7 five thousand\n").unwrap();
    let c = only(&dir, &spec, &[]);
    assert_eq!(c["status"], "error", "{c:#}");
    assert!(
        summary(&c).contains("line 1: \"five thousand\" is not a sequence number"),
        "{c:#}"
    );
}

#[test]
fn a_node_without_data_or_without_a_leader_skips() {
    let dir = scratch("seq-skip");
    let env = format!(
        "peer_env = {{ path = \"{}/xcbdaemon.env\", key = \"XCB_MASTER\" }}",
        dir.display()
    );
    let spec = seq_spec(&dir, &env, "");
    let c = only(&dir, &spec, &[]);
    assert_eq!(c["status"], "skip", "{c:#}");
    assert!(summary(&c).contains("keeps no replicated data"), "{c:#}");
    fs::write(dir.join("sequence"), "T7 1\n").unwrap();
    let c = only(&dir, &spec, &[]);
    assert_eq!(c["status"], "skip", "{c:#}");
    assert!(summary(&c).contains("follows no one"), "{c:#}");
    fs::write(dir.join("xcbdaemon.env"), "XCB_MASTER=peer.example\n").unwrap();
    let c = only(&dir, &spec, &[]);
    assert_eq!(c["status"], "error", "{c:#}");
    assert!(summary(&c).contains("is not an IP address"), "{c:#}");
}

/// The leader on another address, in a network namespace of its own: a bridge with no
/// ports holds the leader's address 192.0.2.2, and 192.0.2.99 is an address on its
/// segment that nobody answers for (ARP goes out and nothing comes back).
#[test]
fn a_leader_that_answers_refuses_hangs_or_is_not_there() {
    let test = "a_leader_that_answers_refuses_hangs_or_is_not_there";
    if skip_unless_root(test, "a network namespace with a non-loopback address") {
        return;
    }
    let dir = scratch("seq-netns");
    fs::write(dir.join("master.json"), MASTER).unwrap();
    fs::write(dir.join("sequence"), "T7 5050\nT9 7919\nT15 1865\n").unwrap();
    let env = format!(
        "peer_env = {{ path = \"{}/xcbdaemon.env\", key = \"XCB_MASTER\" }}",
        dir.display()
    );
    fs::write(dir.join("error.toml"), seq_spec(&dir, &env, "")).unwrap();
    fs::write(
        dir.join("warn.toml"),
        seq_spec(&dir, &env, "unreachable = \"warn\""),
    )
    .unwrap();
    let script = r#"
ip link set lo up
ip link add leader0 type bridge
ip addr add 192.0.2.2/24 dev leader0
ip link set leader0 up
daemon() { python3 "$REPO/tests/xcbdaemon.py" --host 192.0.2.2 --port "$1" --mode "$2" \
             --sequence "$D/master.json" --lifetime 20 > "$D/daemon-$1.out" 2>&1 &
           i=0; until grep -q ready "$D/daemon-$1.out"; do i=$((i+1)); [ $i -lt 200 ] || exit 99; sleep 0.05; done; }
daemon 8000 ok
daemon 8001 silent
run() { echo "XCB_MASTER=$2" > "$D/xcbdaemon.env"
        start=$(date +%s%N)
        "$BIN" boot --format json --spec "$D/$3.toml" > "$D/$1.json" || true
        echo $(( ($(date +%s%N) - start) / 1000000 )) > "$D/$1.ms"; }
run answers 192.0.2.2 error
run port 192.0.2.2:8000 error
run url http://192.0.2.2:8000/RPC2 error
run refused 192.0.2.2:8002 error
run hangs 192.0.2.2:8001 error
run absent 192.0.2.99 error
run absent-warn 192.0.2.99 warn
"#;
    let ran: Ran = Command::new("unshare")
        .args(["-n", "sh", "-eu", "-c", script])
        .env("D", &dir)
        .env("BIN", common::bin())
        .env("REPO", repo())
        .output()
        .expect("unshare")
        .into();
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    let result = |name: &str| -> (Value, u64) {
        let text = fs::read_to_string(dir.join(format!("{name}.json"))).unwrap();
        let report: Value = serde_json::from_str(&text).unwrap();
        let ms = fs::read_to_string(dir.join(format!("{name}.ms")))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        (check(&report, "peer-sequence").clone(), ms)
    };
    for name in ["answers", "port", "url"] {
        let (c, _) = result(name);
        assert_eq!(c["status"], "pass", "{name}: {c:#}");
        assert!(evidence(&c).contains("http://192.0.2.2:8000/RPC2"), "{c:#}");
    }
    let (c, _) = result("refused");
    assert_eq!(c["status"], "error", "{c:#}");
    assert!(summary(&c).contains("refused"), "{c:#}");
    // The check's timeout is 1s; the process, with start-up, well within 2s.
    for name in ["hangs", "absent"] {
        let (c, ms) = result(name);
        assert_eq!(c["status"], "error", "{name}: {c:#}");
        assert!(summary(&c).contains("no answer from"), "{name}: {c:#}");
        assert!(ms < 2000, "{name} took {ms} ms");
    }
    let (c, _) = result("absent-warn");
    assert_eq!(c["status"], "warn", "{c:#}");
}
