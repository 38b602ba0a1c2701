//! Running a helper program (drbdsetup) so that it cannot hold the run: a hard deadline,
//! bounded output, and on timeout the whole process group is killed, since drbdsetup's
//! netlink waits (120 s per poll, or none at all for events2) and anything it spawned
//! would otherwise outlive us.

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum CommandError {
    #[error("{}: cannot start: {source}", path.display())]
    Spawn {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: still running at the deadline; killed it and its process group", path.display())]
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
    let group = Pid::from_raw(child.id() as i32);
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

    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                kill_group();
                let _ = child.wait();
                return Err(CommandError::TimedOut { path });
            }
            Ok(None) => thread::sleep(Duration::from_millis(2)),
            Err(source) => {
                kill_group();
                return Err(CommandError::Spawn { path, source });
            }
        }
    };
    // The child is gone, but something it started may still hold the pipes open.
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
    kill_group();
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
        let e = sh("yes", Duration::from_secs(5)).unwrap_err();
        assert!(matches!(e, CommandError::TooLarge { .. }), "{e}");
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
