//! Kind `locks` (check stale-locks): pid files and lock files against real processes
//! (a copy of sleep under the daemon's name, a reaped pid, a zombie, a reused pid) and
//! real locks (fcntl and flock held by a python child; one whose holder runs in another
//! PID namespace, as a crashed NFS client's would). Pid files that hold no pid are judged
//! in-process, in src/kinds/locks/run_tests.rs.

use crate::common::{self, Ran, Running, evidence, scratch, skip_unless_root, summary};
use crate::kinds::support::only;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

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
