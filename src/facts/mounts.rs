//! The mount table, from `/proc/self/mountinfo` (or a captured copy of it).
//!
//! mountinfo rather than /proc/mounts: it shows each mount's own options and its
//! superblock's options separately, so a read-only bind of a read-write filesystem is
//! seen for what it is.

use crate::target::{ReadError, Target, read_text};
use procfs_core::process::MountInfo;
use std::path::{Component, Path, PathBuf};
use thiserror::Error;

/// Even a box with thousands of container mounts stays far below this.
const MAX_MOUNTINFO_BYTES: usize = 8 << 20;

#[derive(Debug, Error)]
pub enum MountError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("{}:{line}: malformed mountinfo line: {text:?}", path.display())]
    Malformed {
        path: PathBuf,
        line: usize,
        text: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
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

impl Mount {
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
    pub mounts: Vec<Mount>,
    /// The file the table was read from, for evidence.
    pub path: PathBuf,
}

impl MountTable {
    pub fn load(target: &Target) -> Result<Self, MountError> {
        let path = target.proc_path("self/mountinfo");
        let text = read_text(&path, MAX_MOUNTINFO_BYTES)?;
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
            mounts.push(Mount {
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

    /// The mount whose mount point is exactly `path`; with stacked mounts, the top one.
    pub fn at(&self, path: &Path) -> Option<&Mount> {
        self.mounts.iter().rev().find(|m| m.mount_point == path)
    }

    /// The mount `path` lives on: the longest mount point that is a prefix of it. `path`
    /// should be absolute and free of symlinks and `..`.
    pub fn containing(&self, path: &Path) -> Option<&Mount> {
        let mut best: Option<&Mount> = None;
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

    const SAMPLE: &str = include_str!("../../tests/fixtures/mountinfo/incident-build.txt");

    #[test]
    fn finds_mount_points_and_containing_mounts() {
        let t = MountTable::parse(SAMPLE, Path::new("mountinfo")).unwrap();
        assert_eq!(t.at(Path::new("/dev/shm")).unwrap().fs_type, "ext4");
        assert_eq!(
            t.containing(Path::new("/etc/network/run"))
                .unwrap()
                .mount_point,
            Path::new("/")
        );
        assert_eq!(
            t.containing(Path::new("/run/network")).unwrap().fs_type,
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
