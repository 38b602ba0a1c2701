//! Running a helper program (drbdsetup) so that it cannot hold the run: a hard deadline,
//! bounded output, and nothing it started outlives it, since drbdsetup's netlink waits
//! (120 s per poll, or none at all for events2) and anything it spawned would otherwise
//! outlive us.
//!
//! How every descendant ends. The program runs in a process group of its own, killed
//! whole (SIGKILL) as soon as the program has exited or timed out. A descendant that left
//! the group (setsid) escapes that, so before the first program starts the process makes
//! itself a child subreaper (PR_SET_CHILD_SUBREAPER): a descendant whose parent dies
//! becomes our child, not init's. After each program, `sweep` kills and reaps every
//! child of ours that no `run` still waits on: several checks run programs at once, on
//! their own threads, and `RUNNING` lists those programs. It goes round until none is
//! left (a killed orphan's own children are orphaned to us in turn), for at most 50 ms.
//! The sweep holds `RUNNING`'s lock throughout, and `run` holds it while it spawns, so a
//! sweep never sees a program before it is listed, and never kills a pid another sweep
//! reaped (which the kernel could have given to anything since). `end_descendants`, just
//! before the process exits, kills all that is left, waited on or not.

use nix::sys::signal::{Signal, kill, killpg};
use nix::sys::wait::{WaitPidFlag, waitpid};
use nix::unistd::Pid;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard, Once, PoisonError, mpsc};
use std::thread;
use std::time::{Duration, Instant};
use thiserror::Error;

/// The programs `run` has started and not yet reaped (their pids, which are also their
/// process groups).
static RUNNING: Mutex<Vec<i32>> = Mutex::new(Vec::new());
/// Done once, before the first program starts.
static SUBREAPER: Once = Once::new();

fn running() -> MutexGuard<'static, Vec<i32>> {
    RUNNING.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug, Error)]
pub enum CommandError {
    #[error("{}: cannot start: {source}", path.display())]
    Spawn {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: still running at the deadline; killed it and everything it started", path.display())]
    TimedOut { path: PathBuf },
    #[error("{}: more than {limit} bytes of output; killed", path.display())]
    TooLarge { path: PathBuf, limit: usize },
    #[error("{}: exited with {status}: {stderr}", path.display())]
    Failed {
        path: PathBuf,
        status: String,
        stderr: String,
    },
    #[error("{}: output is not UTF-8", path.display())]
    NotText { path: PathBuf },
}

/// Runs `program args` with stdin closed and LC_ALL=C, returning its stdout.
pub fn run(
    program: &Path,
    args: &[&str],
    deadline: Instant,
    max_output: usize,
) -> Result<String, CommandError> {
    let path = program.to_path_buf();
    SUBREAPER.call_once(|| {
        if let Err(e) = nix::sys::prctl::set_child_subreaper(true) {
            log::warn!("cannot become a child subreaper ({e}): a program's descendant that calls setsid() may outlive the run");
        }
    });
    let mut listed = running();
    let mut child = Command::new(program)
        .args(args)
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|source| CommandError::Spawn {
            path: path.clone(),
            source,
        })?;
    let pid = child.id() as i32;
    listed.push(pid);
    drop(listed);
    let group = Pid::from_raw(pid);
    let kill_group = || {
        // ESRCH (already gone) is the good case.
        let _ = killpg(group, Signal::SIGKILL);
    };
    let (tx, rx) = mpsc::channel();
    for (stream, is_out) in [
        (
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
            true,
        ),
        (
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
            false,
        ),
    ] {
        let Some(stream) = stream else { continue };
        let tx = tx.clone();
        thread::spawn(move || {
            let mut buf = Vec::new();
            let result = stream
                .take(max_output as u64 + 1)
                .read_to_end(&mut buf)
                .map(|_| buf);
            let _ = tx.send((is_out, result));
        });
    }
    drop(tx);

    let waited = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if Instant::now() >= deadline => {
                break Err(CommandError::TimedOut { path: path.clone() });
            }
            Ok(None) => thread::sleep(Duration::from_millis(2)),
            Err(source) => {
                break Err(CommandError::Spawn {
                    path: path.clone(),
                    source,
                });
            }
        }
    };
    // Exited or not, the program is done: so is everything it started, in its group or
    // out of it (the module comment says how).
    kill_group();
    if waited.is_err() {
        let _ = child.wait();
    }
    running().retain(|&p| p != pid);
    sweep(false);
    let status = waited?;
    // What the program started is gone too; one in uninterruptible sleep may still hold
    // the pipes open.
    let (mut stdout, mut stderr) = (None, None);
    for _ in 0..2 {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok((true, r)) => stdout = Some(r),
            Ok((false, r)) => stderr = Some(r),
            Err(_) => {
                kill_group();
                return Err(CommandError::TimedOut { path });
            }
        }
    }
    let stdout = stdout.and_then(Result::ok).unwrap_or_default();
    if stdout.len() > max_output {
        return Err(CommandError::TooLarge {
            path,
            limit: max_output,
        });
    }
    if !status.success() {
        let stderr = stderr.and_then(Result::ok).unwrap_or_default();
        let stderr = String::from_utf8_lossy(&stderr)
            .trim()
            .chars()
            .take(200)
            .collect();
        return Err(CommandError::Failed {
            path,
            status: status.to_string(),
            stderr,
        });
    }
    String::from_utf8(stdout).map_err(|_| CommandError::NotText { path })
}

/// Kills and reaps our children that no `run` waits on (all of them when `all`), round
/// after round until none is left, for at most 50 ms. A no-op before the first program.
fn sweep(all: bool) {
    if !SUBREAPER.is_completed() {
        return;
    }
    let listed = running();
    if all {
        for &group in listed.iter() {
            let _ = killpg(Pid::from_raw(group), Signal::SIGKILL);
        }
    }
    let end = Instant::now() + Duration::from_millis(50);
    loop {
        let left: Vec<i32> = children()
            .into_iter()
            .filter(|p| all || !listed.contains(p))
            .collect();
        if left.is_empty() || Instant::now() >= end {
            return;
        }
        for pid in left.into_iter().map(Pid::from_raw) {
            let _ = kill(pid, Signal::SIGKILL);
            let _ = waitpid(pid, Some(WaitPidFlag::WNOHANG));
        }
        thread::sleep(Duration::from_millis(1));
    }
}

/// Kills what is left of every program's descendants: called once, as the process ends.
pub fn end_descendants() {
    sweep(true);
}

/// Our children (zombies too). The kernel lists each thread's children in
/// /proc/self/task/TID/children (an orphan handed to a subreaper goes to one of its
/// threads): a few small reads. Where that file is missing (a kernel without
/// CONFIG_PROC_CHILDREN), every process in /proc is looked at for its parent pid (at
/// most 65,536 of them; an appliance at boot has a few hundred). Under `cargo test`,
/// children in our own process group are left alone: they are the test harness's
/// (`run` starts every program in a group of its own).
fn children() -> Vec<i32> {
    let me = nix::unistd::getpid().as_raw();
    let listed = listed_children();
    let mut out = Vec::new();
    let candidates: Vec<i32> = match &listed {
        Some(pids) => pids.clone(),
        None => std::fs::read_dir("/proc")
            .map(|dir| {
                dir.take(1 << 16)
                    .flatten()
                    .filter_map(|e| e.file_name().to_str()?.parse().ok())
                    .collect()
            })
            .unwrap_or_default(),
    };
    for pid in candidates {
        // Never 0 or less: kill(2) would take those for process groups.
        if pid <= 0 {
            continue;
        }
        let Some((ppid, _group)) = parent_and_group(pid) else {
            continue;
        };
        #[cfg(test)]
        if _group == nix::unistd::getpgrp().as_raw() {
            continue;
        }
        if ppid == me {
            out.push(pid);
        }
    }
    out
}

/// Every thread's children, from /proc/self/task/*/children; None where the kernel has
/// no such file.
fn listed_children() -> Option<Vec<i32>> {
    let mut out = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let text = super::read::read_text(&task.path().join("children"), 1 << 16).ok()?;
        out.extend(
            text.split_ascii_whitespace()
                .filter_map(|p| p.parse::<i32>().ok()),
        );
    }
    Some(out)
}

/// The parent pid and process group of `pid`, from /proc/PID/stat.
fn parent_and_group(pid: i32) -> Option<(i32, i32)> {
    let stat = super::read::read_text(Path::new(&format!("/proc/{pid}/stat")), 4096).ok()?;
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses.
    let mut fields = stat
        .get(stat.rfind(')')? + 2..)?
        .split(' ')
        .skip(1)
        .map(|f| f.parse::<i32>().ok());
    Some((fields.next()??, fields.next()??))
}

/// The runner against real programs (sh): what it prints, how it fails, and that a
/// program that never ends is killed with everything it started, by the deadline.
#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, within: Duration) -> Result<String, CommandError> {
        run(
            Path::new("/bin/sh"),
            &["-c", script],
            Instant::now() + within,
            1 << 20,
        )
    }

    #[test]
    fn prints_and_fails_in_words() {
        assert_eq!(sh("echo ok", Duration::from_secs(5)).unwrap(), "ok\n");
        let e = sh(
            "echo 'Failed to modprobe drbd (No such file or directory)' >&2; exit 20",
            Duration::from_secs(5),
        )
        .unwrap_err();
        assert!(matches!(e, CommandError::Failed { .. }), "{e}");
        assert!(e.to_string().contains("Failed to modprobe drbd"), "{e}");
        match crate::world::emulator() {
            Some(emulator) if cfg!(target_env = "gnu") => eprintln!(
                "SKIP prints_and_fails_in_words, a program that cannot start: under \
                 {emulator}, glibc's posix_spawn cannot report a failed exec"
            ),
            _ => {
                let e = run(
                    Path::new("/nonexistent/drbdsetup"),
                    &[],
                    Instant::now() + Duration::from_secs(1),
                    64,
                )
                .unwrap_err();
                assert!(
                    e.to_string()
                        .starts_with("/nonexistent/drbdsetup: cannot start"),
                    "{e}"
                );
            }
        }
        let e = sh("yes", Duration::from_secs(5)).unwrap_err();
        assert!(matches!(e, CommandError::TooLarge { .. }), "{e}");
    }

    /// True once `pid` is dead (gone, or a zombie not yet reaped).
    fn gone(pid: i32) -> bool {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        stat.is_empty() || stat.contains(") Z ")
    }

    /// A script whose child calls setsid() (leaving the program's process group) and
    /// writes its pid to `pidfile`; the script goes on once it is written.
    fn escapee(pidfile: &Path) -> String {
        format!(
            "setsid sh -c 'echo $$ > {p}; exec sleep 600' &\n\
             until [ -s {p} ]; do sleep 0.01; done\n",
            p = pidfile.display()
        )
    }

    #[test]
    fn a_descendant_that_left_the_process_group_ends_with_the_program() {
        if let Some(emulator) = crate::world::emulator()
            && nix::sys::prctl::set_child_subreaper(true).is_err()
        {
            eprintln!(
                "SKIP a_descendant_that_left_the_process_group_ends_with_the_program: \
                 {emulator} refuses PR_SET_CHILD_SUBREAPER"
            );
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        for (ending, script) in [("exits", "echo ok"), ("times out", "sleep 600")] {
            let pidfile = dir.path().join(format!("{}.pid", ending.len()));
            let started = Instant::now();
            let result = sh(
                &format!("{}{script}", escapee(&pidfile)),
                Duration::from_millis(1500),
            );
            match ending {
                // The escapee held the pipes open: the output is whole all the same, at once.
                "exits" => {
                    assert_eq!(result.unwrap(), "ok\n");
                    assert!(started.elapsed() < Duration::from_secs(1), "{ending}");
                }
                _ => assert!(matches!(result, Err(CommandError::TimedOut { .. }))),
            }
            let pid: i32 = std::fs::read_to_string(&pidfile)
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            assert!(gone(pid), "{ending}: the setsid child {pid} survived");
        }
    }

    #[test]
    fn a_program_that_never_ends_is_killed_with_its_children() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("child.pid");
        let started = Instant::now();
        let e = sh(
            &format!("sleep 600 & echo $! > '{}'; sleep 600", pidfile.display()),
            Duration::from_millis(500),
        )
        .unwrap_err();
        assert!(matches!(e, CommandError::TimedOut { .. }), "{e}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        std::thread::sleep(Duration::from_millis(200));
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        assert!(
            stat.is_empty() || stat.contains(") Z "),
            "the child {pid} survived: {stat}"
        );
    }
}
