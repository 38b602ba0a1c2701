//! The questions a target can be asked: one variant per door of the world, and the key
//! a bundle's tape files each answer under. Every door builds its `Question`, the tape
//! writes it with `Display` and a test fake writes it the same way, so a recorded bundle
//! and a hand-built one cannot spell a question differently. A new door is a new variant.
//!
//! The keys are exactly the strings the tape had before this type existed ("lstat /etc",
//! "proc self/mountinfo", "run /usr/sbin/drbdsetup status --json"), so bundles collected
//! by earlier versions replay unchanged: the format is not versioned because it did not
//! change.
//!
//! A path is written as `Path::display` writes it, as it always was: a byte that is not
//! UTF-8 becomes U+FFFD in the key. So the key of a non-UTF-8 path is lossy (two such
//! paths can share a key), while the question itself holds the path byte-exact; JSON, the
//! tape's format, holds only UTF-8 text, which is why the key was lossy in the first
//! place.

use std::fmt;
use std::path::PathBuf;

/// One question a check's reading puts to the target, through the door that answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Question {
    /// Where a path leads inside the root, every link followed (`resolve PATH`), or the
    /// last component's not (`resolve-parent PATH`).
    Resolve { path: PathBuf, follow_last: bool },
    /// lstat(2) of a path inside the root: `lstat PATH`.
    Lstat(PathBuf),
    /// stat(2), links followed inside the root: `stat PATH`.
    Stat(PathBuf),
    /// A link's target as written: `readlink PATH`.
    ReadLink(PathBuf),
    /// A folder's names: `readdir PATH`.
    ReadDir(PathBuf),
    /// A file's text, bounded: `read PATH`.
    Read(PathBuf),
    /// A file's first bytes (ELF magic): `head PATH`.
    Head(PathBuf),
    /// A log's last bytes: `tail PATH`.
    Tail(PathBuf),
    /// `/proc/REL`'s text: `proc REL`.
    Proc(String),
    /// `/sys/REL`'s text: `sys REL`.
    Sys(String),
    /// The target of the link `/sys/REL`: `sys-link REL`.
    SysLink(String),
    /// The names in the folder `/sys/REL`: `sys-list REL`.
    SysList(String),
    /// Whether `/proc/REL` exists: `exists /proc/REL`.
    ProcExists(String),
    /// The box's clock: `clock`.
    Clock,
    /// A helper program's output: `run PROGRAM ARGS`, the arguments joined by spaces
    /// (so an argument holding a space reads back as two: the key is the same).
    Run { program: PathBuf, args: Vec<String> },
    /// One XML-RPC call: `call URL METHOD PARAMS`, PARAMS as `xmlrpc::params_key`
    /// renders them.
    Call {
        url: String,
        method: String,
        params: String,
    },
    /// statfs(2) of a path: `statfs PATH`.
    Statfs(PathBuf),
    /// statvfs(3) of a path: `statvfs PATH`.
    Statvfs(PathBuf),
    /// An ext2/3/4 superblock, by the device's MAJ:MIN: `superblock MAJ:MIN`.
    Superblock(String),
    /// The kernel log's lines holding one of the needles: `klog N1|N2|...`.
    KernelLog(Vec<String>),
    /// An F_GETLK probe of a file: `getlk PATH`.
    LockHolder(PathBuf),
    /// The kernel's links and addresses: `getifaddrs`.
    Links,
}

impl Question {
    /// The key's first word: which door.
    pub fn word(&self) -> &'static str {
        match self {
            Question::Resolve {
                follow_last: true, ..
            } => "resolve",
            Question::Resolve {
                follow_last: false, ..
            } => "resolve-parent",
            Question::Lstat(_) => "lstat",
            Question::Stat(_) => "stat",
            Question::ReadLink(_) => "readlink",
            Question::ReadDir(_) => "readdir",
            Question::Read(_) => "read",
            Question::Head(_) => "head",
            Question::Tail(_) => "tail",
            Question::Proc(_) => "proc",
            Question::Sys(_) => "sys",
            Question::SysLink(_) => "sys-link",
            Question::SysList(_) => "sys-list",
            Question::ProcExists(_) => "exists",
            Question::Clock => "clock",
            Question::Run { .. } => "run",
            Question::Call { .. } => "call",
            Question::Statfs(_) => "statfs",
            Question::Statvfs(_) => "statvfs",
            Question::Superblock(_) => "superblock",
            Question::KernelLog(_) => "klog",
            Question::LockHolder(_) => "getlk",
            Question::Links => "getifaddrs",
        }
    }

    /// What the question is about: the key after its first word (a path, a program's
    /// command line), or None for a question about nothing in particular (`clock`).
    /// The bundle's README names a redacted file by it.
    pub fn subject(&self) -> Option<String> {
        Some(match self {
            Question::Resolve { path, .. }
            | Question::Lstat(path)
            | Question::Stat(path)
            | Question::ReadLink(path)
            | Question::ReadDir(path)
            | Question::Read(path)
            | Question::Head(path)
            | Question::Tail(path)
            | Question::Statfs(path)
            | Question::Statvfs(path)
            | Question::LockHolder(path) => path.display().to_string(),
            Question::Proc(rel)
            | Question::Sys(rel)
            | Question::SysLink(rel)
            | Question::SysList(rel)
            | Question::Superblock(rel) => rel.clone(),
            Question::ProcExists(rel) => format!("/proc/{rel}"),
            Question::Run { program, args } => {
                format!("{} {}", program.display(), args.join(" "))
            }
            Question::Call {
                url,
                method,
                params,
            } => format!("{url} {method} {params}"),
            Question::KernelLog(needles) => needles.join("|"),
            Question::Clock | Question::Links => return None,
        })
    }

    /// The path a question reads the content of (`read`, `head`, `tail`): what the
    /// tape withholds when it is a secret. An lstat of /etc/shadow is no secret.
    pub fn reads_content_of(&self) -> Option<&std::path::Path> {
        match self {
            Question::Read(p) | Question::Head(p) | Question::Tail(p) => Some(p),
            _ => None,
        }
    }

    /// The field of the answer that holds text of the box a secret may be in: a file's
    /// text (`read`, `tail`) or a program's output (`run`). Kernel state is not redacted.
    pub fn redactable_field(&self) -> Option<&'static str> {
        match self {
            Question::Read(_) | Question::Tail(_) => Some("ok"),
            Question::Run { .. } => Some("stdout"),
            _ => None,
        }
    }

    /// The question a tape key asks, or None for a key no door writes. The inverse of
    /// `Display` on every key a door writes: `parse(k)` then `to_string()` gives `k`
    /// back. (The other way round it is exact too, but for what a key cannot tell
    /// apart: a non-UTF-8 path, a program path or an argument with a space in it.)
    pub fn parse(key: &str) -> Option<Question> {
        let (word, rest) = match key.split_once(' ') {
            Some((word, rest)) => (word, Some(rest)),
            None => (key, None),
        };
        let Some(rest) = rest else {
            return match word {
                "clock" => Some(Question::Clock),
                "getifaddrs" => Some(Question::Links),
                _ => None,
            };
        };
        let path = || PathBuf::from(rest);
        let list = |sep| {
            if rest.is_empty() {
                Vec::new()
            } else {
                rest.split(sep).map(str::to_string).collect()
            }
        };
        Some(match word {
            "resolve" => Question::Resolve {
                path: path(),
                follow_last: true,
            },
            "resolve-parent" => Question::Resolve {
                path: path(),
                follow_last: false,
            },
            "lstat" => Question::Lstat(path()),
            "stat" => Question::Stat(path()),
            "readlink" => Question::ReadLink(path()),
            "readdir" => Question::ReadDir(path()),
            "read" => Question::Read(path()),
            "head" => Question::Head(path()),
            "tail" => Question::Tail(path()),
            "proc" => Question::Proc(rest.to_string()),
            "sys" => Question::Sys(rest.to_string()),
            "sys-link" => Question::SysLink(rest.to_string()),
            "sys-list" => Question::SysList(rest.to_string()),
            "exists" => Question::ProcExists(rest.strip_prefix("/proc/")?.to_string()),
            "run" => {
                let (program, args) = rest.split_once(' ')?;
                let args = if args.is_empty() {
                    Vec::new()
                } else {
                    args.split(' ').map(str::to_string).collect()
                };
                Question::Run {
                    program: PathBuf::from(program),
                    args,
                }
            }
            "call" => {
                let mut parts = rest.splitn(3, ' ');
                let (url, method, params) = (parts.next()?, parts.next()?, parts.next()?);
                Question::Call {
                    url: url.to_string(),
                    method: method.to_string(),
                    params: params.to_string(),
                }
            }
            "statfs" => Question::Statfs(path()),
            "statvfs" => Question::Statvfs(path()),
            "superblock" => Question::Superblock(rest.to_string()),
            "klog" => Question::KernelLog(list('|')),
            "getlk" => Question::LockHolder(path()),
            _ => return None,
        })
    }
}

/// The tape's key: the question's word, then its subject.
impl fmt::Display for Question {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.subject() {
            Some(subject) => write!(f, "{} {subject}", self.word()),
            None => f.write_str(self.word()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first word of every key a door writes.
    const WORDS: &[&str] = &[
        "resolve",
        "resolve-parent",
        "lstat",
        "stat",
        "readlink",
        "readdir",
        "read",
        "head",
        "tail",
        "proc",
        "sys",
        "sys-link",
        "sys-list",
        "exists",
        "clock",
        "run",
        "call",
        "statfs",
        "statvfs",
        "superblock",
        "klog",
        "getlk",
        "getifaddrs",
    ];

    /// One of each variant, with the subjects real checks ask about.
    fn every() -> Vec<Question> {
        let p = |s: &str| PathBuf::from(s);
        vec![
            Question::Resolve {
                path: p("/etc/network/run"),
                follow_last: true,
            },
            Question::Resolve {
                path: p("/run/network/ifstate"),
                follow_last: false,
            },
            Question::Lstat(p("/etc/network/run")),
            Question::Stat(p("/dev/shm")),
            Question::ReadLink(p("/etc/network/run")),
            Question::ReadDir(p("/etc/ha-preflight/checks.d")),
            Question::Read(p("/etc/default/xcbdaemon")),
            Question::Head(p("/usr/sbin/drbdsetup")),
            Question::Tail(p("/var/log/ha.log")),
            Question::Proc("self/mountinfo".into()),
            Question::Sys("class/net/lo/flags".into()),
            Question::SysLink("class/net/eth0/device".into()),
            Question::SysList("class/net".into()),
            Question::ProcExists("drbd".into()),
            Question::Clock,
            Question::Run {
                program: p("/usr/sbin/drbdsetup"),
                args: vec!["status".into(), "--json".into()],
            },
            Question::Run {
                program: p("/usr/sbin/drbdsetup"),
                args: Vec::new(),
            },
            Question::Call {
                url: "http://127.0.0.1:8000/RPC2".into(),
                method: "system.listMethods".into(),
                params: "(\"a b\", 1)".into(),
            },
            Question::Statfs(p("/dev/shm")),
            Question::Statvfs(p("/var/lib/xcb")),
            Question::Superblock("8:1".into()),
            Question::KernelLog(vec!["EXT4-fs".into(), "EXT3-fs".into()]),
            Question::KernelLog(Vec::new()),
            Question::LockHolder(p("/var/lock/ha.lock")),
            Question::Links,
        ]
    }

    #[test]
    fn every_variant_reads_back_from_its_key() {
        let all = every();
        for q in &all {
            let key = q.to_string();
            assert_eq!(Question::parse(&key).as_ref(), Some(q), "{key}");
            assert!(WORDS.contains(&q.word()), "{} not in WORDS", q.word());
        }
        // And every word is some variant's.
        for w in WORDS {
            assert!(all.iter().any(|q| q.word() == *w), "no variant says {w}");
        }
    }

    #[test]
    fn keys_are_the_strings_the_tape_always_had() {
        let said: Vec<String> = every().iter().map(Question::to_string).collect();
        assert_eq!(
            said,
            [
                "resolve /etc/network/run",
                "resolve-parent /run/network/ifstate",
                "lstat /etc/network/run",
                "stat /dev/shm",
                "readlink /etc/network/run",
                "readdir /etc/ha-preflight/checks.d",
                "read /etc/default/xcbdaemon",
                "head /usr/sbin/drbdsetup",
                "tail /var/log/ha.log",
                "proc self/mountinfo",
                "sys class/net/lo/flags",
                "sys-link class/net/eth0/device",
                "sys-list class/net",
                "exists /proc/drbd",
                "clock",
                "run /usr/sbin/drbdsetup status --json",
                "run /usr/sbin/drbdsetup ",
                "call http://127.0.0.1:8000/RPC2 system.listMethods (\"a b\", 1)",
                "statfs /dev/shm",
                "statvfs /var/lib/xcb",
                "superblock 8:1",
                "klog EXT4-fs|EXT3-fs",
                "klog ",
                "getlk /var/lock/ha.lock",
                "getifaddrs",
            ]
        );
    }

    #[test]
    fn keys_no_door_writes_do_not_parse() {
        for key in [
            "",
            "lstat",
            "clock now",
            "getifaddrs lo",
            "exists /sys/x",
            "run /usr/sbin/drbdsetup",
            "call http://x/RPC2 system.listMethods",
            "open /etc/hostname",
            "LSTAT /etc",
        ] {
            assert_eq!(Question::parse(key), None, "{key:?}");
        }
    }

    #[test]
    fn a_non_utf8_path_keys_as_it_always_did() {
        use std::os::unix::ffi::OsStrExt;
        let path = PathBuf::from(std::ffi::OsStr::from_bytes(b"/etc/\xffx"));
        let q = Question::Lstat(path.clone());
        assert_eq!(q.to_string(), format!("lstat {}", path.display()));
        assert_eq!(q.to_string(), "lstat /etc/\u{fffd}x");
    }

    #[test]
    fn every_key_of_the_incident_bundle_parses_back_to_itself() {
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/bundle/incident.tar");
        let bundle = super::super::bundle::read(&file).expect("incident.tar reads");
        assert!(bundle.tape.len() > 10, "{} keys", bundle.tape.len());
        for key in bundle.tape.keys() {
            let q = Question::parse(key);
            assert_eq!(q.map(|q| q.to_string()).as_deref(), Some(key.as_str()));
        }
    }
}
