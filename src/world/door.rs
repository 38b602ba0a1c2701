//! Why a door to what only the box can answer (statfs, a lock probe, the kernel log, a
//! block device's superblock, a helper program) gave no answer.
//!
//! A kind asks the error what went wrong ([`DoorError::errno`], [`DoorError::is_not_found`],
//! [`DoorError::is_permission`], [`DoorError::is_miss`]) instead of reading its words, so
//! an EACCES, an ENOENT and a question the bundle has no answer for stay apart. The words
//! ([`Display`](std::fmt::Display)) are what the report says, and a replay says them again:
//! the tape keeps them as `"failed"`, with the errno beside them as `"errno"` where there
//! is one. A bundle taken before the errno was kept replays with its words alone.

use super::block::BlockError;
use super::command::CommandError;
use super::read::ReadError;
use super::{BUNDLE_MISS, NotLive};
use nix::errno::Errno;
use serde_json::{Value, json};
use std::io;
use std::path::PathBuf;
use thiserror::Error;

/// The system call a door made, for the words its failure is said in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syscall {
    /// statfs(2).
    Statfs,
    /// statvfs(3).
    Statvfs,
    /// fcntl(2) F_GETLK.
    Getlk,
    /// syslog(2) SYSLOG_ACTION_READ_ALL.
    Syslog,
}

/// Why a door gave no answer.
#[derive(Debug, Error)]
pub enum DoorError {
    /// A system call failed: which, about what (no path for the kernel log), and its
    /// errno.
    #[error("{}", os_words(*call, *errno))]
    Os {
        call: Syscall,
        path: Option<PathBuf>,
        errno: Errno,
    },
    /// The file a lock probe asks about could not be opened.
    #[error("cannot open to probe: {0}")]
    Probe(#[source] ReadError),
    /// A superblock's device number, as mountinfo gave it, is not MAJOR:MINOR.
    #[error("{majmin:?} is not a device number")]
    NotADevice { majmin: String },
    /// None of the paths tried for a device held its superblock: why not, path by path.
    #[error("{}", joined(.0))]
    Block(Vec<BlockError>),
    /// A helper program did not give its output.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// The program is not run in this world: a capture's or an image's box is not here.
    #[error("{} is not run here: {why}", program.display())]
    NotHere { program: PathBuf, why: NotLive },
    /// A played tape has no answer (the program, for a run). The engine, which learns
    /// of the miss from the tape, says the check's answer is not in the bundle.
    #[error("{BUNDLE_MISS}{}", program.as_ref().map(|p| format!(": run {}", p.display())).unwrap_or_default())]
    Miss { program: Option<PathBuf> },
    /// How the door failed when the bundle was taken: its words, and its errno when the
    /// bundle recorded one.
    #[error("{text}")]
    Replayed { text: String, errno: Option<Errno> },
}

/// The words of a failed call, as the report has always said them: the errno's for
/// statfs and statvfs, with the call's name for F_GETLK and the kernel log (which says
/// the errno as an io::Error does).
fn os_words(call: Syscall, errno: Errno) -> String {
    match call {
        Syscall::Statfs | Syscall::Statvfs => errno.to_string(),
        Syscall::Getlk => format!("F_GETLK: {errno}"),
        Syscall::Syslog => format!("syslog(2) READ_ALL: {}", io::Error::from(errno)),
    }
}

fn joined(errors: &[BlockError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn io_errno(e: &io::Error) -> Option<Errno> {
    e.raw_os_error().map(Errno::from_raw)
}

impl DoorError {
    /// A system call's failure.
    pub fn os(call: Syscall, path: Option<PathBuf>, errno: Errno) -> Self {
        DoorError::Os { call, path, errno }
    }

    /// The errno the door failed with, live or as the bundle recorded it; None when it
    /// failed otherwise (a bad answer, a deadline, a miss) or the bundle kept none. For
    /// a superblock, the first path's that has one.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            DoorError::Os { errno, .. } => Some(*errno),
            DoorError::Probe(ReadError::Io { source, .. }) => io_errno(source),
            DoorError::Block(errors) => errors.iter().find_map(|e| match e {
                BlockError::Open { source, .. } | BlockError::Read { source, .. } => {
                    io_errno(source)
                }
                BlockError::NotBlock { .. } | BlockError::OtherDevice { .. } => None,
            }),
            DoorError::Command(CommandError::Spawn { source, .. }) => io_errno(source),
            DoorError::Replayed { errno, .. } => *errno,
            _ => None,
        }
    }

    /// What was asked about does not exist (ENOENT).
    pub fn is_not_found(&self) -> bool {
        self.errno() == Some(Errno::ENOENT)
    }

    /// This process may not ask (EACCES, EPERM): not as root, or not with the
    /// capability the call needs.
    pub fn is_permission(&self) -> bool {
        matches!(self.errno(), Some(Errno::EACCES | Errno::EPERM))
    }

    /// The bundle has no answer to the question.
    pub fn is_miss(&self) -> bool {
        matches!(self, DoorError::Miss { .. })
    }

    /// The door is not opened in this world (a capture, an image).
    pub fn is_not_here(&self) -> bool {
        matches!(self, DoorError::NotHere { .. })
    }

    /// The failure as the tape keeps it: `{"failed": words}`, and `"errno"` beside
    /// them when there is one.
    pub fn to_value(&self) -> Value {
        failed_value(&self.to_string(), self.errno())
    }

    /// A recorded failure, from `{"failed": words[, "errno": N]}`; None when `v` holds
    /// no failure.
    pub fn from_value(v: &Value) -> Option<Self> {
        let (text, errno) = failed_from_value(v)?;
        Some(DoorError::Replayed { text, errno })
    }
}

/// `{"failed": text}`, with `"errno": N` when there is one: how every door's failure
/// is recorded.
pub fn failed_value(text: &str, errno: Option<Errno>) -> Value {
    match errno {
        Some(errno) => json!({ "failed": text, "errno": errno as i32 }),
        None => json!({ "failed": text }),
    }
}

/// The words and errno of a recorded failure; an errno that is not a number, or not
/// one that fits, is read as none (the words still say it).
pub fn failed_from_value(v: &Value) -> Option<(String, Option<Errno>)> {
    let text = v.get("failed")?.as_str()?.to_string();
    let errno = v
        .get("errno")
        .and_then(Value::as_i64)
        .and_then(|n| i32::try_from(n).ok())
        .map(Errno::from_raw);
    Some((text, errno))
}

#[cfg(test)]
mod tests {
    use super::super::Target;
    use super::super::tape::Tape;
    use super::*;
    use std::path::Path;
    use std::sync::Arc;

    #[test]
    fn a_door_tells_enoent_from_enotdir() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, "x").unwrap();
        let target = Target::live().unwrap();
        let live = target.kernel().unwrap();

        let missing = live.statfs(&dir.path().join("missing")).unwrap_err();
        assert_eq!(missing.errno(), Some(Errno::ENOENT), "{missing}");
        assert!(missing.is_not_found() && !missing.is_permission() && !missing.is_miss());
        assert_eq!(missing.to_string(), "ENOENT: No such file or directory");
        let under_a_file = live.space(&file.join("child")).unwrap_err();
        assert_eq!(under_a_file.errno(), Some(Errno::ENOTDIR), "{under_a_file}");
        assert!(!under_a_file.is_not_found());

        let missing = live.lock_holder(&dir.path().join("missing")).unwrap_err();
        assert!(matches!(missing, DoorError::Probe(_)), "{missing}");
        assert!(missing.is_not_found(), "{missing}");
        let under_a_file = live.lock_holder(&file.join("child")).unwrap_err();
        assert_eq!(under_a_file.errno(), Some(Errno::ENOTDIR), "{under_a_file}");
        assert_eq!(live.lock_holder(&file).unwrap(), None);
    }

    #[test]
    fn a_recorded_failure_replays_with_its_words_and_errno() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        let tape = Arc::new(Tape::recording());
        let recording = Target::recording(Arc::clone(&tape)).unwrap();
        let live = recording.kernel().unwrap().statfs(&missing).unwrap_err();
        let mut entries = tape.entries();
        let key = format!("statfs {}", missing.display());
        assert_eq!(
            entries[&key],
            json!({ "failed": "ENOENT: No such file or directory", "errno": 2 })
        );

        let replay = |entries| {
            let tape = Tape::playing(entries, BUNDLE_MISS);
            let target = Target::bundle(Arc::new(tape)).unwrap();
            let kernel = target.kernel().unwrap();
            (
                kernel.statfs(&missing).unwrap_err(),
                kernel.statfs(Path::new("/not/asked")).unwrap_err(),
            )
        };
        let (played, miss) = replay(entries.clone());
        assert!(matches!(played, DoorError::Replayed { .. }), "{played:?}");
        assert_eq!(played.to_string(), live.to_string());
        assert!(played.is_not_found());
        assert!(miss.is_miss() && miss.errno().is_none());
        assert_eq!(miss.to_string(), BUNDLE_MISS);

        // A bundle taken before the errno was kept says the same, and knows no errno.
        entries
            .get_mut(&key)
            .unwrap()
            .as_object_mut()
            .unwrap()
            .remove("errno");
        let (played, _) = replay(entries);
        assert_eq!(played.to_string(), live.to_string());
        assert_eq!(played.errno(), None);
    }

    #[test]
    fn a_failure_round_trips_through_the_tape_with_and_without_its_errno() {
        let live = DoorError::os(Syscall::Getlk, Some("/run/x.lock".into()), Errno::EACCES);
        let v = live.to_value();
        assert_eq!(
            v,
            json!({ "failed": "F_GETLK: EACCES: Permission denied", "errno": 13 })
        );
        let back = DoorError::from_value(&v).unwrap();
        assert_eq!(back.to_string(), live.to_string());
        assert_eq!(back.errno(), Some(Errno::EACCES));
        assert!(back.is_permission() && !back.is_not_found() && !back.is_miss());

        // A bundle taken before the errno was kept: its words, and no errno.
        let old = json!({ "failed": "ENOENT: No such file or directory" });
        let back = DoorError::from_value(&old).unwrap();
        assert_eq!(back.to_string(), "ENOENT: No such file or directory");
        assert_eq!(back.errno(), None);
        assert!(!back.is_not_found());
        assert_eq!(back.to_value(), old);

        // A failure with no errno is recorded without one.
        let miss = DoorError::Miss { program: None };
        assert_eq!(miss.to_value(), json!({ "failed": "not in the bundle" }));
        assert!(DoorError::from_value(&json!({ "holder": null })).is_none());
    }

    #[test]
    fn the_words_are_the_reports_own() {
        let statfs = DoorError::os(Syscall::Statfs, Some("/x".into()), Errno::ENOENT);
        assert_eq!(statfs.to_string(), "ENOENT: No such file or directory");
        let klog = DoorError::os(Syscall::Syslog, None, Errno::EPERM);
        assert_eq!(
            klog.to_string(),
            "syslog(2) READ_ALL: Operation not permitted (os error 1)"
        );
        let run = DoorError::Miss {
            program: Some("/usr/sbin/drbdsetup".into()),
        };
        assert_eq!(
            run.to_string(),
            "not in the bundle: run /usr/sbin/drbdsetup"
        );
        let here = DoorError::NotHere {
            program: "/usr/sbin/drbdsetup".into(),
            why: NotLive::Captured,
        };
        assert_eq!(
            here.to_string(),
            "/usr/sbin/drbdsetup is not run here: the kernel state is a captured copy, not this machine's"
        );
        assert!(here.is_not_here() && here.errno().is_none());
        assert_eq!(
            DoorError::NotADevice { majmin: "x".into() }.to_string(),
            "\"x\" is not a device number"
        );
    }
}
