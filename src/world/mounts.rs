//! The mount table, from `/proc/self/mountinfo` (or a captured copy of it).
//!
//! mountinfo rather than /proc/mounts: it shows each mount's own options and its
//! superblock's options separately, so a read-only bind of a read-write filesystem is
//! seen for what it is; and it gives each mount's id and its parent's, so the mount that
//! really serves a path can be found as the kernel finds it (see [`MountTable::serving`]),
//! not by the longest matching mount point, which a mount hidden under a later one also
//! has.

use super::{KernelError, Target};
use procfs_core::process::MountInfo;
use std::path::{Component, Path, PathBuf};
use thiserror::Error;

/// Even a box with thousands of container mounts stays far below this.
const MAX_MOUNTINFO_BYTES: usize = 8 << 20;

#[derive(Debug, Error)]
pub enum MountError {
    #[error(transparent)]
    Read(#[from] KernelError),
    #[error("{}:{line}: malformed mountinfo line: {text:?}", path.display())]
    Malformed {
        path: PathBuf,
        line: usize,
        text: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountEntry {
    /// The mount's id, and the id of the mount it is attached to (mountinfo fields 1, 2).
    pub id: i32,
    pub parent: i32,
    pub mount_point: PathBuf,
    pub fs_type: String,
    pub source: String,
    /// Read-only by this mount's options or by its superblock's. ext4's errors=remount-ro
    /// fallback leaves the mount's own options `rw` and marks the superblock `ro` (before
    /// Linux 6.12) or `emergency_ro` (6.15 and later; 6.12 to 6.14 show nothing at all,
    /// and only ext4's error record tells).
    pub read_only: bool,
    /// This mount's own options (`rw`, `nosuid`, ...), in the kernel's order.
    pub options: Vec<String>,
    /// The superblock's options (`rw`, `errors=remount-ro`, ...), in the kernel's order.
    pub super_options: Vec<String>,
    /// The device's `MAJOR:MINOR`, which names it in /sys/dev/block.
    pub majmin: String,
}

impl MountEntry {
    /// "ext4 (/dev/vda1 mounted at /)", for evidence.
    pub fn describe(&self) -> String {
        format!(
            "{} ({} mounted at {})",
            self.fs_type,
            self.source,
            self.mount_point.display()
        )
    }
}

#[derive(Debug)]
pub struct MountTable {
    pub mounts: Vec<MountEntry>,
    /// The file the table was read from, for evidence.
    pub path: PathBuf,
}

impl MountTable {
    pub fn load(target: &Target) -> Result<Self, MountError> {
        let text = target.proc_text("self/mountinfo", MAX_MOUNTINFO_BYTES)?;
        let path = target
            .proc_path("self/mountinfo")
            .unwrap_or_else(|_| PathBuf::from("/proc/self/mountinfo"));
        Self::parse(&text, &path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Self, MountError> {
        let mut mounts = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let malformed = || MountError::Malformed {
                path: path.to_path_buf(),
                line: i + 1,
                text: line.chars().take(200).collect(),
            };
            // procfs-core parses the fields but leaves octal escapes (\040 for a space)
            // in place, and panics on nothing: it returns errors, which we locate.
            let info = MountInfo::from_line(line).map_err(|_| malformed())?;
            let raw_point = info.mount_point.to_str().ok_or_else(malformed)?;
            let read_only = info.mount_options.contains_key("ro")
                || info.super_options.contains_key("ro")
                || info.super_options.contains_key("emergency_ro");
            // procfs-core keeps options in hash maps; the raw fields keep the kernel's
            // order, which is what a person comparing with `findmnt` expects to read.
            let (options, super_options) = raw_options(line).ok_or_else(malformed)?;
            mounts.push(MountEntry {
                id: info.mnt_id,
                parent: info.pid,
                mount_point: PathBuf::from(unescape(raw_point)),
                fs_type: info.fs_type,
                source: info.mount_source.unwrap_or_else(|| "none".into()),
                read_only,
                options,
                super_options,
                majmin: info.majmin,
            });
        }
        Ok(MountTable {
            mounts,
            path: path.to_path_buf(),
        })
    }

    /// The mount that serves `path`, found as the kernel's path walk finds it: from the
    /// root mount, at each prefix of `path` (`/`, `/dev`, `/dev/shm`), into the mount
    /// attached last to the current one at exactly that place, and again while mounts
    /// stack there. A mount hidden under a later one (a tmpfs on /dev/shm covered by a
    /// new mount on /dev) is therefore never the answer, though its mount point matches.
    /// `path` should be absolute and free of symlinks and `..`.
    ///
    /// A table without a root mount (a partial capture) falls back to the longest
    /// matching mount point, the later of equals.
    pub fn serving(&self, path: &Path) -> Option<&MountEntry> {
        let Some(mut current) = self.root_mount() else {
            return self.longest_prefix(path);
        };
        let mut prefix = PathBuf::from("/");
        let mut parts = path.components().filter_map(|c| match c {
            Component::Normal(name) => Some(name),
            _ => None,
        });
        loop {
            // Stacked mounts at this place: each later one is attached to the one below.
            while let Some(top) =
                self.mounts.iter().rev().find(|m| {
                    m.parent == current.id && m.id != current.id && m.mount_point == prefix
                })
            {
                current = top;
            }
            match parts.next() {
                Some(name) => prefix.push(name),
                None => return Some(current),
            }
        }
    }

    /// The mount whose mount point is exactly `path` and which serves it.
    pub fn at(&self, path: &Path) -> Option<&MountEntry> {
        self.serving(path).filter(|m| m.mount_point == path)
    }

    /// Mounts at exactly `path` that do not serve it (hidden by a later mount), for
    /// evidence.
    pub fn covered_at(&self, path: &Path) -> Vec<&MountEntry> {
        let serving = self.serving(path).map(|m| m.id);
        self.mounts
            .iter()
            .filter(|m| m.mount_point == path && Some(m.id) != serving)
            .collect()
    }

    /// The root of the tree: the first mount at `/` whose parent is not in the table
    /// (it lies outside this process's root), else the first mount at `/`.
    fn root_mount(&self) -> Option<&MountEntry> {
        let at_root = || {
            self.mounts
                .iter()
                .filter(|m| m.mount_point == Path::new("/"))
        };
        at_root()
            .find(|m| m.parent == m.id || !self.mounts.iter().any(|p| p.id == m.parent))
            .or_else(|| at_root().next())
    }

    fn longest_prefix(&self, path: &Path) -> Option<&MountEntry> {
        let mut best: Option<&MountEntry> = None;
        for m in &self.mounts {
            if path.starts_with(&m.mount_point)
                && best.is_none_or(|b| depth(&m.mount_point) >= depth(&b.mount_point))
            {
                best = Some(m);
            }
        }
        best
    }
}

/// The mount options (field 6) and super options (the last field) of a mountinfo line.
fn raw_options(line: &str) -> Option<(Vec<String>, Vec<String>)> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let split = |s: &str| s.split(',').map(str::to_string).collect::<Vec<_>>();
    Some((split(fields.get(5)?), split(fields.last()?)))
}

fn depth(p: &Path) -> usize {
    p.components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .count()
}

/// Undoes the kernel's octal escapes of space, tab, newline and backslash.
fn unescape(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 3 < bytes.len()
            && bytes[i + 1..i + 4]
                .iter()
                .all(|b| (b'0'..=b'7').contains(b))
        {
            let v = (bytes[i + 1] - b'0') as u32 * 64
                + (bytes[i + 2] - b'0') as u32 * 8
                + (bytes[i + 3] - b'0') as u32;
            if let Ok(b) = u8::try_from(v) {
                out.push(b);
                i += 4;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = include_str!("../../tests/fixtures/mount/mountinfo/incident-build.txt");

    #[test]
    fn finds_mount_points_and_containing_mounts() {
        let t = MountTable::parse(SAMPLE, Path::new("mountinfo")).unwrap();
        assert_eq!(t.at(Path::new("/dev/shm")).unwrap().fs_type, "ext4");
        assert_eq!(
            t.serving(Path::new("/etc/network/run"))
                .unwrap()
                .mount_point,
            Path::new("/")
        );
        assert_eq!(
            t.serving(Path::new("/run/network")).unwrap().fs_type,
            "tmpfs"
        );
        assert!(
            t.at(Path::new("/srv/space dir")).is_some(),
            "octal escapes are undone"
        );
        assert!(t.at(Path::new("/mnt/ro")).unwrap().read_only);
        let root = t.at(Path::new("/")).unwrap();
        assert_eq!(root.options.first().map(String::as_str), Some("rw"));
        assert!(root.majmin.contains(':'));
    }

    /// A mount hidden by a later one, as `unshare -m` makes it (the namespace tests build
    /// them for real): a new mount on /dev hides the /dev/shm mounted before it.
    #[test]
    fn a_mount_covered_by_a_later_one_serves_nothing() {
        let ns = "\
22 1 254:1 / / rw,relatime - ext4 /dev/vda1 rw
25 22 0:5 / /dev rw,nosuid - devtmpfs udev rw,mode=755
27 25 0:26 / /dev/shm rw,nosuid,nodev - tmpfs tmpfs rw
30 25 0:40 / /dev rw,relatime - tmpfs tmpfs rw
";
        let t = MountTable::parse(ns, Path::new("mi")).unwrap();
        let m = t.serving(Path::new("/dev/shm")).unwrap();
        assert_eq!((m.id, m.mount_point.as_path()), (30, Path::new("/dev")));
        assert!(t.at(Path::new("/dev/shm")).is_none());
        assert_eq!(t.covered_at(Path::new("/dev/shm"))[0].id, 27);
        // /dev a plain directory of / before the new mount: both hang off the root
        // mount, and the one on /dev still hides the one beneath it.
        let plain = "\
22 1 254:1 / / rw,relatime - ext4 /dev/vda1 rw
27 22 0:26 / /dev/shm rw,nosuid,nodev - tmpfs tmpfs rw
30 22 0:40 / /dev rw,relatime - tmpfs tmpfs rw
";
        let t = MountTable::parse(plain, Path::new("mi")).unwrap();
        assert_eq!(t.serving(Path::new("/dev/shm")).unwrap().id, 30);
        // Stacked on the same place: the last one serves.
        let stacked = "\
22 1 254:1 / / rw,relatime - ext4 /dev/vda1 rw
27 22 0:26 / /dev/shm rw - tmpfs tmpfs rw
31 27 254:1 /srv/x /dev/shm rw - ext4 /dev/vda1 rw
";
        let t = MountTable::parse(stacked, Path::new("mi")).unwrap();
        assert_eq!(t.at(Path::new("/dev/shm")).unwrap().fs_type, "ext4");
    }

    #[test]
    fn a_mangled_line_is_an_error_with_its_line_number() {
        let text = format!("{SAMPLE}garbage line\n");
        let err = MountTable::parse(&text, Path::new("mi"))
            .unwrap_err()
            .to_string();
        let lines = SAMPLE.lines().count() + 1;
        assert!(err.starts_with(&format!("mi:{lines}: malformed")), "{err}");
    }
}
