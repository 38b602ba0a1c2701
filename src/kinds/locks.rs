//! Kind `locks`: pid files and lock files point at live owners. stale-locks uses it (in a field
//! report, a crash left database files locked on a NAS; nothing would start until someone
//! found and cleared the locks by hand).
//!
//! A pid file is stale when its process is gone (or a zombie), or when its pid now belongs
//! to a different program: pids are reused, and a daemon that trusts a stale pid file may
//! refuse to start ("already running") or signal a stranger. The program is compared by
//! the name in /proc/PID/stat, then by the base name of argv[0] and argv[1] (a daemon run
//! by an interpreter); `process` defaults to the file's name without `.pid`.
//!
//! A lock file is stale when no live process holds a lock on it. /proc/locks (matched by
//! device and inode) shows every flock, POSIX and OFD lock held on this machine. A file
//! that /proc/locks does not show is also probed with F_GETLK, which asks the filesystem
//! (on NFS, the server) whether a lock could be taken without taking one: a lock held by a
//! holder that no longer runs here is what that report found.
//!
//! Pid files are read and lock files probed on the check's worker thread, so a hung NFS
//! mount costs this check its deadline and nothing more.

use super::{BOOT, Context, Evaluate, KindDef, LOCAL, boxed};
use crate::config::{Params, SpecError, fields};
use crate::model::{Evidence, Outcome, and_more};
use crate::world::read::{FileKind, ReadError};
use crate::world::{KernelError, Target};
use std::path::{Path, PathBuf};

/// What the spec loader knows of this kind; [`super::KINDS`] lists it.
pub const DEF: KindDef = KindDef {
    name: "locks",
    modes: BOOT,
    default_timeout: LOCAL,
    waits: false,
    params: PARAMS,
    parse: |p| Locks::parse(p).map(boxed),
};

pub const PARAMS: &[&str] = &["pid_files", "lock_files"];

/// At most this many files per pattern are looked at.
const MAX_MATCHES: usize = 256;
/// A pid file holds a number and a newline; anything much longer is not a pid file.
const MAX_PID_FILE: usize = 64;
const MAX_PROC_LOCKS: usize = 4 << 20;

/// A pid file pattern, with the program its pid must belong to.
#[derive(Debug)]
pub enum PidFile {
    Path(String),
    Named {
        path: String,
        process: Option<String>,
    },
}

impl PidFile {
    /// `"/run/x.pid"` or `{ path = "/run/x.pid", process = "x" }`.
    fn read(v: toml::Value) -> Result<PidFile, String> {
        if let toml::Value::String(path) = v {
            return Ok(PidFile::Path(path));
        }
        if !v.is_table() {
            return Err(fields::wrong(&v, "a path or a table { path, process }"));
        }
        let mut f = fields::Fields::new(v, &["path", "process"])?;
        let named = PidFile::Named {
            path: f.require_string("path")?,
            process: f.string("process")?,
        };
        f.finish()?;
        Ok(named)
    }

    fn pattern(&self) -> &str {
        match self {
            PidFile::Path(p) | PidFile::Named { path: p, .. } => p,
        }
    }
}

#[derive(Debug)]
pub struct Locks {
    pub pid_files: Vec<PidFile>,
    pub lock_files: Vec<String>,
}

impl Locks {
    pub fn parse(p: &mut Params) -> Result<Self, SpecError> {
        let pid_files: Vec<PidFile> = p
            .take_with("pid_files", |v| fields::list(v, PidFile::read))?
            .map(|list| list.into_inner())
            .unwrap_or_default();
        let lock_files: Vec<String> = p.strings("lock_files")?.unwrap_or_default();
        if pid_files.is_empty() && lock_files.is_empty() {
            return Err(p.error_here("give `pid_files` or `lock_files` (paths; globs allowed)"));
        }
        let patterns = pid_files
            .iter()
            .map(PidFile::pattern)
            .chain(lock_files.iter().map(String::as_str));
        for pattern in patterns {
            if !pattern.starts_with('/') {
                return Err(p.error_here(format!("`{pattern}` is not an absolute path")));
            }
        }
        Ok(Locks {
            pid_files,
            lock_files,
        })
    }
}

impl Evaluate for Locks {
    fn evaluate(&self, cx: &Context) -> Outcome {
        let mut verdicts = Vec::new();
        // /var/run and /var/lock are usually links into /run: one file, two names.
        let mut seen = std::collections::HashSet::new();
        let mut first_time = |path: &Path| match cx.target.root.stat(path) {
            Ok(st) => seen.insert((st.dev, st.ino)),
            Err(_) => true,
        };
        let unknown = |e: crate::world::root::GlobError| {
            let what = format!("cannot look into it: {}", e.source);
            (e.path, FileState::Unknown(what))
        };
        for entry in &self.pid_files {
            let paths = match cx.target.root.glob(entry.pattern(), MAX_MATCHES) {
                Ok(paths) => paths,
                Err(e) => {
                    verdicts.push(unknown(e));
                    continue;
                }
            };
            for path in paths {
                if !first_time(&path) {
                    continue;
                }
                let expected = match entry {
                    PidFile::Named {
                        process: Some(name),
                        ..
                    } => name.clone(),
                    _ => default_process(&path),
                };
                verdicts.push((path.clone(), pid_file(cx.target, &path, &expected)));
            }
        }
        let mut held = None;
        for pattern in &self.lock_files {
            let paths = match cx.target.root.glob(pattern, MAX_MATCHES) {
                Ok(paths) => paths,
                Err(e) => {
                    verdicts.push(unknown(e));
                    continue;
                }
            };
            for path in paths {
                if !first_time(&path) {
                    continue;
                }
                let locks = held.get_or_insert_with(|| {
                    cx.target
                        .proc_text("locks", MAX_PROC_LOCKS)
                        .map(|text| parse_proc_locks(&text))
                });
                verdicts.push((path.clone(), lock_file(cx.target, &path, locks)));
            }
        }
        report(verdicts, self.pid_files.len() + self.lock_files.len())
    }
}

/// What one file was found to be.
#[derive(Debug, PartialEq)]
enum FileState {
    Live(String),
    Stale(String),
    /// Could not be judged: unreadable, malformed.
    Unknown(String),
}

fn report(verdicts: Vec<(PathBuf, FileState)>, patterns: usize) -> Outcome {
    let line = |path: &Path, why: &str| format!("{}: {why}", path.display());
    let lines = |keep: fn(&FileState) -> Option<&String>| -> Vec<String> {
        verdicts
            .iter()
            .filter_map(|(p, v)| keep(v).map(|why| line(p, why)))
            .collect()
    };
    let stale = lines(|v| match v {
        FileState::Stale(why) => Some(why),
        _ => None,
    });
    let unknown = lines(|v| match v {
        FileState::Unknown(why) => Some(why),
        _ => None,
    });
    let evidence: Vec<Evidence> = verdicts
        .iter()
        .map(|(p, v)| match v {
            FileState::Live(why) | FileState::Stale(why) | FileState::Unknown(why) => {
                Evidence::about(p, line(p, why))
            }
        })
        .collect();
    let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    if let Some(first) = stale.first() {
        let more = and_more(stale.len());
        return Outcome::fail(format!("stale: {first}{more}")).with_all(evidence);
    }
    if let Some(first) = unknown.first() {
        return Outcome::error(format!("cannot judge {first}")).with_all(evidence);
    }
    if verdicts.is_empty() {
        return Outcome::pass(format!(
            "no pid or lock file present ({} looked at)",
            count(patterns, "pattern")
        ));
    }
    Outcome::pass(format!(
        "{}, each with a live owner",
        count(verdicts.len(), "pid or lock file")
    ))
    .with_all(evidence)
}

/// `/run/xcbdaemon.pid` is xcbdaemon's.
fn default_process(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.strip_suffix(".pid").unwrap_or(&name).to_string()
}

fn pid_file(target: &Target, path: &Path, expected: &str) -> FileState {
    let text = match target.root.read_text(path, MAX_PID_FILE) {
        Ok(t) => t,
        Err(ReadError::TooLarge { limit, .. }) => {
            return FileState::Unknown(format!("longer than {limit} bytes; not a pid file"));
        }
        Err(e) => return FileState::Unknown(format!("unreadable: {}", cause(&e))),
    };
    let Some(pid) = parse_pid(&text) else {
        let shown: String = text.trim().chars().take(40).collect();
        return FileState::Unknown(format!("content {shown:?} is not a pid"));
    };
    match process(target, pid) {
        Ok(Some(p)) if p.state == 'Z' || p.state == 'X' => {
            FileState::Stale(format!("pid {pid} ({}) has exited (zombie)", p.comm))
        }
        Ok(Some(p)) if p.is(expected) => {
            FileState::Live(format!("pid {pid} is {expected}, running"))
        }
        Ok(Some(p)) => FileState::Stale(format!(
            "pid {pid} now belongs to `{}`, not `{expected}`: the pid was reused",
            p.describe()
        )),
        Ok(None) => FileState::Stale(format!("pid {pid} is not running")),
        Err(why) => FileState::Unknown(why),
    }
}

/// A positive decimal pid, alone on its line (daemons write `1234\n`; some add more lines).
fn parse_pid(text: &str) -> Option<u32> {
    let first = text.lines().next()?.trim();
    first.parse::<u32>().ok().filter(|&p| p > 0)
}

/// A process as /proc shows it.
struct Process {
    comm: String,
    state: char,
    argv: Vec<String>,
}

impl Process {
    fn is(&self, name: &str) -> bool {
        // comm is cut to 15 bytes (TASK_COMM_LEN); a longer name matches by its prefix.
        let cut = name.get(..15).unwrap_or(name);
        let base = |arg: &String| {
            Path::new(arg)
                .file_name()
                .is_some_and(|b| b.to_string_lossy() == name)
        };
        self.comm == name
            || (name.len() > 15 && self.comm == cut)
            || self.argv.iter().take(2).any(base)
    }

    fn describe(&self) -> String {
        match self.argv.first() {
            Some(argv0) if *argv0 != self.comm => format!("{} ({argv0})", self.comm),
            _ => self.comm.clone(),
        }
    }
}

/// The process with this pid, or None when there is none.
fn process(target: &Target, pid: u32) -> Result<Option<Process>, String> {
    let stat_path = format!("/proc/{pid}/stat");
    let stat = match target.proc_text(&format!("{pid}/stat"), 4096) {
        Ok(s) => s,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(format!("cannot read {e}")),
    };
    // `PID (COMM) S ...`: comm may itself hold spaces and parentheses; it ends at the last ')'.
    let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
        return Err(format!("{stat_path}: malformed"));
    };
    let comm = stat.get(open + 1..close).unwrap_or_default().to_string();
    let state = stat
        .get(close + 1..)
        .and_then(|rest| rest.trim_start().chars().next())
        .ok_or_else(|| format!("{stat_path}: malformed"))?;
    // A kernel thread or a process that has just exited has an empty cmdline.
    let argv = target
        .proc_text(&format!("{pid}/cmdline"), 64 << 10)
        .map(|c| {
            c.split('\0')
                .filter(|a| !a.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Ok(Some(Process { comm, state, argv }))
}

/// One lock from /proc/locks.
#[derive(Debug, PartialEq)]
struct HeldLock {
    /// FLOCK, POSIX, OFDLCK, LEASE, DELEG.
    class: String,
    /// -1 for an OFD lock, which belongs to an open file, not a process.
    pid: i64,
    major: u64,
    minor: u64,
    ino: u64,
}

/// Parses /proc/locks. Waiters (`->` lines) hold nothing and are left out, as are lines
/// this version does not understand.
fn parse_proc_locks(text: &str) -> Vec<HeldLock> {
    text.lines()
        .filter_map(|line| {
            let mut f = line.split_whitespace().skip(1);
            let class = f.next()?;
            if class == "->" {
                return None;
            }
            let mut f = f.skip(2);
            let pid = f.next()?.parse().ok()?;
            let mut dev = f.next()?.split(':');
            let major = u64::from_str_radix(dev.next()?, 16).ok()?;
            let minor = u64::from_str_radix(dev.next()?, 16).ok()?;
            let ino = dev.next()?.parse().ok()?;
            Some(HeldLock {
                class: class.to_string(),
                pid,
                major,
                minor,
                ino,
            })
        })
        .collect()
}

fn lock_file(target: &Target, path: &Path, held: &Result<Vec<HeldLock>, KernelError>) -> FileState {
    let st = match target.root.stat(path) {
        Ok(st) => st,
        Err(e) => return FileState::Unknown(format!("cannot stat: {e}")),
    };
    if st.kind != FileKind::File {
        return FileState::Unknown(format!("is a {}, not a lock file", st.kind.name()));
    }
    let (major, minor) = (nix::sys::stat::major(st.dev), nix::sys::stat::minor(st.dev));
    let held = match held {
        Ok(h) => h,
        Err(e) => return FileState::Unknown(format!("cannot read {e}")),
    };
    if let Some(lock) = held
        .iter()
        .find(|l| l.major == major && l.minor == minor && l.ino == st.ino)
    {
        let by = match lock.pid {
            p if p > 0 => match process(target, p as u32) {
                Ok(Some(proc)) => format!("pid {p} ({})", proc.describe()),
                _ => format!("pid {p}"),
            },
            _ => "an open file description".into(),
        };
        return FileState::Live(format!("{} lock held by {by}", lock.class));
    }
    // Beyond /proc/locks, only this machine's kernel can be asked (F_GETLK).
    let Ok(live) = target.kernel() else {
        return FileState::Stale(format!(
            "no process holds a lock on it (/proc/locks lists none for inode {major:x}:{minor:x}:{})",
            st.ino
        ));
    };
    match live.lock_holder(path) {
        Ok(None) => FileState::Stale(
            "no process holds a lock on it: left behind by a crash or an unclean stop".into(),
        ),
        Ok(Some(pid)) if pid > 0 && matches!(process(target, pid as u32), Ok(Some(_))) => {
            FileState::Live(format!("POSIX lock held by pid {pid}"))
        }
        Ok(Some(pid)) => FileState::Stale(format!(
            "locked by {}, which does not run here: a lock left by a crashed holder (on NFS the server still keeps it)",
            if pid > 0 {
                format!("pid {pid}")
            } else {
                "a holder with no local pid".into()
            }
        )),
        Err(why) => FileState::Unknown(why.to_string()),
    }
}

/// The reason of a read error, without its path (the evidence line already names it).
fn cause(e: &ReadError) -> String {
    match e {
        ReadError::Io { source, .. } => source.to_string(),
        ReadError::NotRegular { kind, .. } => format!("a {kind}, not a regular file; not opened"),
        ReadError::TooLarge { limit, .. } => format!("larger than {limit} bytes"),
        ReadError::NotText { .. } => "not text".into(),
        ReadError::Withheld { .. } => e.cause(),
    }
}

#[cfg(test)]
mod run_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_locks_holders_not_waiters() {
        let text = "1: POSIX  ADVISORY  WRITE 1234 08:01:123456 0 EOF\n\
                    1: -> POSIX  ADVISORY  WRITE 999 08:01:123456 0 EOF\n\
                    2: FLOCK  ADVISORY  WRITE 5678 00:1f:99 0 EOF\n\
                    3: OFDLCK ADVISORY  READ  -1 fd:02:7 0 EOF\n\
                    4: LEASE  ACTIVE    READ  42 00:2a:8 0 EOF\n\
                    5: POSIX  ADVISORY  WRITE 1 <none>:0 0 EOF\n\
                    garbage\n";
        let held = parse_proc_locks(text);
        assert_eq!(held.len(), 4, "{held:?}");
        assert_eq!(
            held[0],
            HeldLock {
                class: "POSIX".into(),
                pid: 1234,
                major: 8,
                minor: 1,
                ino: 123456
            }
        );
        assert_eq!((held[1].minor, held[1].ino), (0x1f, 99));
        assert_eq!((held[2].pid, held[2].major, held[2].minor), (-1, 0xfd, 2));
        assert_eq!(held[3].class, "LEASE");
    }

    #[test]
    fn pid_file_content() {
        assert_eq!(parse_pid("1234\n"), Some(1234));
        assert_eq!(parse_pid(" 77 \nextra\n"), Some(77));
        for bad in ["", "\n", "0\n", "-5", "12ab", "pid=12", "99999999999"] {
            assert_eq!(parse_pid(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn program_names_match_as_the_kernel_cuts_them() {
        let p = |comm: &str, argv: &[&str]| Process {
            comm: comm.into(),
            state: 'S',
            argv: argv.iter().map(|s| s.to_string()).collect(),
        };
        assert!(p("xcbdaemon", &[]).is("xcbdaemon"));
        assert!(p("ha-replicationd", &[]).is("ha-replicationd-main"));
        assert!(p("python3", &["/usr/bin/python3", "/usr/sbin/xcbdaemon"]).is("xcbdaemon"));
        assert!(!p("sleep", &["sleep", "100"]).is("xcbdaemon"));
        assert!(!p("python3", &["python3", "-u", "xcbdaemon"]).is("xcbdaemon"));
    }

    #[test]
    fn default_process_names() {
        assert_eq!(
            default_process(Path::new("/run/xcbdaemon.pid")),
            "xcbdaemon"
        );
        assert_eq!(default_process(Path::new("/run/sshd")), "sshd");
    }

    #[test]
    fn stale_outranks_unknown_outranks_live() {
        let v = |s: FileState| (PathBuf::from("/run/a.pid"), s);
        let o = report(
            vec![
                v(FileState::Live("ok".into())),
                v(FileState::Unknown("garbage".into())),
                v(FileState::Stale("gone".into())),
            ],
            1,
        );
        assert_eq!(o.finding, crate::model::Finding::Fail);
        assert_eq!(o.summary, "stale: /run/a.pid: gone");
        let o = report(vec![v(FileState::Unknown("garbage".into()))], 1);
        assert_eq!(o.finding, crate::model::Finding::Error);
        assert_eq!(
            report(vec![], 3).summary,
            "no pid or lock file present (3 patterns looked at)"
        );
    }
}
