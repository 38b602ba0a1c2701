//! Kind `tree`: image checks that look at every file, over the one shared walk of the
//! tree (`crate::facts::Tree`). `rule` picks what is judged:
//!
//! - `unknown-owners`: every uid and gid exists in the image's passwd and group, and
//!   nothing under the system directories belongs to a uid at or above 1000 (the build
//!   user's files: the first account created on the box would own them);
//! - `runtime-leftovers`: no pid, lock, socket, lease, utmp files under /run, /var/run,
//!   /var/lock, /var/lib/dhcp; /var/run and /var/lock are links into /run;
//! - `tmp-leftovers`: /tmp and /var/tmp empty and mode 1777; no cached .deb/.bin, no
//!   /debootstrap, no bootstrap.log;
//! - `qemu-user-static`: no qemu-*-static or qemu-binfmt helpers that no installed
//!   package lists;
//! - `dev-nodes`: no block devices or device directories (disk/, mapper/) in /dev, no
//!   device node outside /dev, /proc /sys /dev/pts empty.
//!
//! Each reports a count and the first offenders.

use super::Context;
use super::path::summarize;
use crate::facts::Tree;
use crate::facts::tree::Entry;
use crate::outcome::Outcome;
use crate::root::{Kind as FileKind, Root};
use crate::spec::SpecError;
use crate::spec::params::Params;
use std::collections::HashSet;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

pub const PARAMS: &[&str] = &["rule", "system_dirs", "first_user_uid"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    UnknownOwners,
    RuntimeLeftovers,
    TmpLeftovers,
    QemuUserStatic,
    DevNodes,
}

impl Rule {
    /// The parts of the tree the rule looks at (None: all of it). A folder it could not
    /// list there means it could not look.
    fn scope(self) -> Option<&'static [&'static str]> {
        match self {
            Rule::UnknownOwners | Rule::QemuUserStatic | Rule::DevNodes => None,
            Rule::RuntimeLeftovers => Some(&["/run", "/var/run", "/var/lock", "/var/lib/dhcp"]),
            Rule::TmpLeftovers => Some(&[
                "/tmp",
                "/var/tmp",
                "/var/cache/apt",
                "/debootstrap",
                "/var/log/bootstrap.log",
            ]),
        }
    }
}

/// A rule over a tree it could not see all of (a folder it could not list, a walk cut
/// short) has not looked: `error`, naming where, so an unprivileged run never passes
/// what a root run fails. What it did find still fails, with the same note.
fn blind_spots(outcome: Outcome, tree: &Tree, scope: Option<&[&str]>) -> Outcome {
    let needed = |path: &Path| {
        scope.is_none_or(|prefixes| {
            prefixes
                .iter()
                .any(|p| path.starts_with(p) || Path::new(p).starts_with(path))
        })
    };
    let mut blind: Vec<String> = tree
        .unwalked
        .iter()
        .filter(|u| needed(&u.path))
        .map(|u| format!("could not look into {u}"))
        .collect();
    if tree.truncated {
        blind.push(format!(
            "the walk stopped after {} entries, so the rest of the tree was not seen",
            tree.entries.len()
        ));
    }
    let Some(first) = blind.first().cloned() else {
        return outcome;
    };
    let more = if blind.len() > 1 {
        format!(" (and {} more)", blind.len() - 1)
    } else {
        String::new()
    };
    let advice = "run as root, or as a user who can read the whole tree";
    if outcome.finding == crate::outcome::Finding::Fail {
        outcome.with_all(blind.into_iter().map(|b| format!("{b}: {advice}")))
    } else {
        Outcome::error(format!("{first}{more}: {advice}"))
            .with_all(blind)
            .with_all(outcome.evidence)
    }
}

#[derive(Debug)]
pub struct TreeCheck {
    pub rule: Rule,
    pub system_dirs: Vec<String>,
    pub first_user_uid: u32,
}

impl TreeCheck {
    pub fn parse(p: &mut Params) -> Result<Self, SpecError> {
        let name: String = p.require("rule", "which tree-wide rule")?;
        let rule = match name.as_str() {
            "unknown-owners" => Rule::UnknownOwners,
            "runtime-leftovers" => Rule::RuntimeLeftovers,
            "tmp-leftovers" => Rule::TmpLeftovers,
            "qemu-user-static" => Rule::QemuUserStatic,
            "dev-nodes" => Rule::DevNodes,
            other => {
                return Err(p.error_here(format!(
                    "unknown `rule` {other:?} (unknown-owners, runtime-leftovers, tmp-leftovers, qemu-user-static, dev-nodes)"
                )));
            }
        };
        let system_dirs = p.take("system_dirs")?.unwrap_or_else(|| {
            [
                "/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt",
                "/var/lib", "/boot",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect()
        });
        Ok(TreeCheck {
            rule,
            system_dirs,
            first_user_uid: p.take("first_user_uid")?.unwrap_or(1000),
        })
    }

    pub fn evaluate(&self, cx: &Context) -> Outcome {
        let tree = cx.facts.tree(cx.target);
        let root = &cx.target.root;
        let outcome = match self.rule {
            Rule::UnknownOwners => self.owners(root, &tree),
            Rule::RuntimeLeftovers => runtime(root, &tree),
            Rule::TmpLeftovers => tmp(root, &tree),
            Rule::QemuUserStatic => qemu(root, &tree),
            Rule::DevNodes => dev_nodes(&tree),
        };
        blind_spots(outcome, &tree, self.rule.scope())
    }

    fn owners(&self, root: &Root, tree: &Tree) -> Outcome {
        let ids = |file: &str| -> Result<HashSet<u32>, String> {
            let text = root
                .read_text(Path::new(file), 4 << 20)
                .map_err(|e| format!("cannot read the image's {file}: {e}"))?;
            Ok(crate::facts::accounts::ids(&text))
        };
        let (users, groups) = match (ids("/etc/passwd"), ids("/etc/group")) {
            (Ok(u), Ok(g)) => (u, g),
            (Err(e), _) | (_, Err(e)) => return Outcome::error(e),
        };
        let mut offenders = Vec::new();
        for e in &tree.entries {
            let (uid, gid) = (e.stat.uid, e.stat.gid);
            let shown = e.path.display();
            if !users.contains(&uid) {
                offenders.push(format!(
                    "{shown} is owned by uid {uid}, which the image's passwd does not have"
                ));
            } else if !groups.contains(&gid) {
                offenders.push(format!(
                    "{shown} has gid {gid}, which the image's group does not have"
                ));
            } else if uid >= self.first_user_uid
                && self.system_dirs.iter().any(|d| e.path.starts_with(d))
            {
                offenders.push(format!(
                    "{shown} is owned by uid {uid} (a user's, not the system's)"
                ));
            }
        }
        summarize(
            offenders,
            Vec::new(),
            format!(
                "{} entries, all owned by known system ids",
                tree.entries.len()
            ),
        )
    }
}

fn runtime(root: &Root, tree: &Tree) -> Outcome {
    let mut offenders = Vec::new();
    for (path, want) in [("/var/run", "../run"), ("/var/lock", "../run/lock")] {
        match root.lstat(Path::new(path)) {
            Ok(st) if st.kind == FileKind::Dir => offenders.push(format!(
                "{path} is a real directory, not a link to {want}: its contents survive reboots"
            )),
            _ => {}
        }
    }
    let scanned = ["/run/", "/var/run/", "/var/lock/", "/var/lib/dhcp/"];
    for e in scanned.iter().flat_map(|d| tree.under(d)) {
        let p = e.path.to_string_lossy();
        // ifupdown's state is netrun-stale's business.
        if p.starts_with("/run/network/ifstate")
            || e.stat.kind == FileKind::Dir
            || e.stat.kind == FileKind::Symlink
        {
            continue;
        }
        let name = e
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stale = e.stat.kind == FileKind::Socket
            || name.ends_with(".pid")
            || name.ends_with(".lock")
            || name.ends_with(".leases")
            || name.ends_with(".lease")
            || name == "utmp"
            || name == "reboot-required";
        if stale {
            offenders.push(left_by_build(e));
        }
    }
    summarize(
        offenders,
        Vec::new(),
        "no runtime state in the image; /var/run and /var/lock link into /run".into(),
    )
}

fn left_by_build(e: &Entry) -> String {
    format!(
        "{} ({}) left by the build",
        e.path.display(),
        e.stat.kind.name()
    )
}

fn tmp(root: &Root, tree: &Tree) -> Outcome {
    let mut offenders = Vec::new();
    for dir in ["/tmp", "/var/tmp"] {
        match root.lstat(Path::new(dir)) {
            Ok(st) if st.kind == FileKind::Dir && st.mode != 0o1777 => {
                offenders.push(format!("{dir} has mode {:o}, not 1777", st.mode))
            }
            Ok(st) if st.kind != FileKind::Dir => {
                offenders.push(format!("{dir} is a {}, not a directory", st.kind.name()))
            }
            _ => {}
        }
    }
    let in_tmp = tree.under("/tmp/").iter().chain(tree.under("/var/tmp/"));
    let cached = tree.under("/var/cache/apt/").iter().filter(|e| {
        let p = e.path.as_os_str().as_bytes();
        p.ends_with(b".deb") || p.ends_with(b".bin")
    });
    let debris = ["/debootstrap", "/var/log/bootstrap.log"]
        .into_iter()
        .filter_map(|p| tree.get(p));
    offenders.extend(in_tmp.chain(cached).chain(debris).map(left_by_build));
    summarize(
        offenders,
        Vec::new(),
        "/tmp and /var/tmp empty and 1777; no build caches or debris".into(),
    )
}

fn qemu(root: &Root, tree: &Tree) -> Outcome {
    let suspects: Vec<&Path> = tree
        .entries
        .iter()
        .filter(|e| e.stat.kind == FileKind::File)
        .map(|e| e.path.as_path())
        .filter(|p| {
            let name = p.file_name().map_or(&b""[..], |n| n.as_bytes());
            (name.starts_with(b"qemu-") && name.ends_with(b"-static"))
                || p.as_os_str()
                    .as_bytes()
                    .starts_with(b"/usr/libexec/qemu-binfmt/")
        })
        .collect();
    if suspects.is_empty() {
        return Outcome::pass("no qemu user-mode emulators in the image");
    }
    let mut owned: HashSet<String> = HashSet::new();
    let lists = match root.glob("/var/lib/dpkg/info/*.list", 100_000) {
        Ok(lists) => lists,
        Err(e) => return Outcome::error(e.to_string()),
    };
    for list in lists {
        if let Ok(text) = root.read_text(&list, 16 << 20) {
            owned.extend(text.lines().map(str::to_string));
        }
    }
    let offenders: Vec<String> = suspects
        .iter()
        .filter(|p| !owned.contains(&*p.to_string_lossy()))
        .map(|p| {
            format!(
                "{} is in the image but no installed package owns it (a cross-build leftover)",
                p.display()
            )
        })
        .collect();
    summarize(
        offenders,
        Vec::new(),
        format!(
            "{} qemu file(s), all from installed packages",
            suspects.len()
        ),
    )
}

fn dev_nodes(tree: &Tree) -> Outcome {
    let mut offenders = Vec::new();
    if !tree.mounted.is_empty() {
        let mounts: Vec<String> = tree
            .mounted
            .iter()
            .map(|m| format!("{} ({})", m.path.display(), m.fstype))
            .collect();
        offenders.push(format!(
            "virtual filesystems are mounted in the tree and were not walked: {}; unmount \
             what the build mounted before packing (checking a running system? use \
             `ha-preflight boot`)",
            mounts.join(", ")
        ));
    }
    // Only what is under /proc, /sys and /dev, and device nodes anywhere, is of interest.
    let is_device =
        |e: &&Entry| matches!(e.stat.kind, FileKind::BlockDevice | FileKind::CharDevice);
    let looked_at = ["/proc/", "/sys/", "/dev/"]
        .iter()
        .flat_map(|d| tree.under(d))
        .chain(tree.entries.iter().filter(is_device).filter(|e| {
            let p = e.path.as_os_str().as_bytes();
            !(p.starts_with(b"/proc/") || p.starts_with(b"/sys/") || p.starts_with(b"/dev/"))
        }));
    for e in looked_at {
        let p = e.path.to_string_lossy();
        let device = is_device(&e);
        let shown = e.path.display();
        if ["/proc/", "/sys/", "/dev/pts/"]
            .iter()
            .any(|d| p.starts_with(d))
        {
            offenders.push(format!(
                "{shown}: captured from a mounted virtual filesystem"
            ));
        } else if p.starts_with("/dev/") {
            if e.stat.kind == FileKind::BlockDevice {
                offenders.push(format!("{shown} is a block device (the build host's?)"));
            } else if e.stat.kind == FileKind::Dir && ["/dev/disk", "/dev/mapper"].contains(&&*p) {
                offenders.push(format!("{shown}: the build host's device directory"));
            }
        } else if device {
            offenders.push(format!("{shown} is a {} outside /dev", e.stat.kind.name()));
        }
    }
    summarize(
        offenders,
        Vec::new(),
        "no host device nodes; /proc, /sys and /dev/pts empty".into(),
    )
}
