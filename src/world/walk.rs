//! One walk of a root tree, shared by every tree-wide image check (owners, device nodes,
//! runtime and tmp leftovers, foreign binaries): linear in the number of entries, never
//! following a link, lstat only (nothing is opened but directories).
//!
//! The walk goes by directory descriptors: each folder is opened relative to its
//! parent's (openat with O_NOFOLLOW), listed with getdents and its entries looked at
//! with fstatat. So no path is ever resolved from the top: a tree 10,000 levels deep
//! is walked whole (no PATH_MAX), and a link swapped in for a folder while the walk
//! runs is refused, not followed out of the tree.
//!
//! The tree is kept compact: an entry is 28 bytes (its kind, owner, group, parent and
//! children) and its name lives once in one arena; a full path is put together only
//! while [`Tree::each`] visits, in one reused buffer. 100,000 entries take about 4 MiB.
//!
//! The walk does not descend into a virtual filesystem mounted inside the tree (proc,
//! sysfs, devpts, a tmpfs or devtmpfs, ...): what is there is the running kernel's, not
//! the image's (`image --root /` would list /proc's 47,000 entries), so it is recorded
//! once in [`Tree::mounted`]. A folder it cannot list is recorded with why in
//! [`Tree::unwalked`], so a check that needed it can say it could not look.

use crate::world::lfs::{self, fstat, fstatat};
use crate::world::read::FileKind;
use crate::world::root::{Root, Stat};
use nix::dir::Dir;
use nix::fcntl::{AtFlags, OFlag};
use nix::sys::stat::Mode;
use std::ffi::{CStr, OsStr};
use std::ops::ControlFlow;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// An image of millions of files is a mistake; stop there rather than exhaust memory.
const MAX_ENTRIES: usize = 5_000_000;

/// One entry of the tree: what the tree-wide rules judge, and where it sits.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub kind: FileKind,
    pub uid: u32,
    pub gid: u32,
    parent: u32,
    /// The name: `names[name..name + name_len]`, followed there by a NUL.
    name: u32,
    name_len: u16,
    /// The children, sorted by name: `entries[first_child..first_child + children]`.
    first_child: u32,
    children: u32,
}

/// The walked tree. Entry 0 is the root itself; [`Tree::each`] visits the others in
/// path order (component by component, as `Path` sorts), so reports come out the same
/// on every run.
#[derive(Debug, Default)]
pub struct Tree {
    entries: Vec<Entry>,
    names: Vec<u8>,
    /// Directories that could not be listed (permission denied...), with why.
    pub unwalked: Vec<Unwalked>,
    /// Virtual filesystems mounted in the tree, not descended into.
    pub mounted: Vec<Mounted>,
    pub truncated: bool,
}

/// A folder the walk could not list.
#[derive(Debug, Clone)]
pub struct Unwalked {
    /// The in-image path.
    pub path: PathBuf,
    pub error: String,
}

impl std::fmt::Display for Unwalked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", shorten(&self.path), self.error)
    }
}

/// A virtual filesystem mounted inside the tree.
#[derive(Debug, Clone)]
pub struct Mounted {
    /// The in-image mount point.
    pub path: PathBuf,
    pub fstype: &'static str,
}

/// statfs magic numbers of filesystems that hold no image content (linux/magic.h).
/// tmpfs covers devtmpfs too, which reports the same magic.
const VIRTUAL: &[(i64, &str)] = &[
    (0x9fa0, "proc"),
    (0x6265_6572, "sysfs"),
    (0x1cd1, "devpts"),
    (0x0102_1994, "tmpfs"),
    (0x8584_58f6, "ramfs"),
    (0x0027_e0eb, "cgroup"),
    (0x6367_7270, "cgroup2"),
    (0x7363_6673, "securityfs"),
    (0x6462_6720, "debugfs"),
    (0x7472_6163, "tracefs"),
    (0x6165_676c, "pstore"),
    (0xde5e_81e4, "efivarfs"),
    (0xcafe_4a11, "bpf"),
    (0x6265_6570, "configfs"),
    (0x1980_0202, "mqueue"),
    (0x9584_58f6, "hugetlbfs"),
    (0x6573_5543, "fusectl"),
    (0x4249_4e4d, "binfmt_misc"),
    (0x0187, "autofs"),
];

/// A folder waiting to be listed: its entry, its device, and its parent's open
/// descriptor (shared by its siblings, closed when the last of them is opened).
struct Pending {
    entry: u32,
    dev: u64,
    parent: Option<Rc<Dir>>,
    parent_dev: u64,
}

impl Tree {
    /// Walks the whole tree, depth first, one folder at a time.
    pub fn walk(root: &Root) -> Tree {
        let mut tree = Tree::default();
        tree.entries.push(Entry {
            kind: FileKind::Dir,
            uid: 0,
            gid: 0,
            parent: 0,
            name: 0,
            name_len: 0,
            first_child: 0,
            children: 0,
        });
        tree.names.push(0);
        let dev = fstat(root.dir_fd()).map_or(0, |st| st.st_dev);
        let mut pending = vec![Pending {
            entry: 0,
            dev,
            parent: None,
            parent_dev: dev,
        }];
        while let Some(next) = pending.pop() {
            let subdirs = tree.list(root, next);
            if tree.truncated {
                break;
            }
            // Reversed, so the first by name is listed first.
            pending.extend(subdirs.into_iter().rev());
        }
        tree
    }

    /// Opens and lists one folder; returns its subfolders to walk.
    fn list(&mut self, root: &Root, at: Pending) -> Vec<Pending> {
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        let opened = match &at.parent {
            None => Dir::openat(root.dir_fd(), c".", flags, Mode::empty()),
            Some(parent) => {
                Dir::openat(parent.as_ref(), self.c_name(at.entry), flags, Mode::empty())
            }
        };
        drop(at.parent);
        let mut dir = match opened {
            Ok(dir) => dir,
            Err(e) => {
                self.unwalked.push(Unwalked {
                    path: self.path(at.entry),
                    error: std::io::Error::from_raw_os_error(e as i32).to_string(),
                });
                return Vec::new();
            }
        };
        // Another device below a folder: a mount point. Only a virtual filesystem is
        // left out; a btrfs subvolume, say, is part of the image.
        if at.dev != at.parent_dev
            && let Some(fstype) = virtual_fs(&dir)
        {
            self.mounted.push(Mounted {
                path: self.path(at.entry),
                fstype,
            });
            return Vec::new();
        }
        // The names first (getdents), sorted; then one fstatat each.
        let mut names: Vec<(u32, u16)> = Vec::new();
        lfs::each_name(&mut dir, |name| {
            if name == b"." || name == b".." || name.len() > usize::from(u16::MAX) {
                return ControlFlow::Continue(());
            }
            let (Ok(off), Ok(len)) = (u32::try_from(self.names.len()), u16::try_from(name.len()))
            else {
                self.truncated = true;
                return ControlFlow::Break(());
            };
            self.names.extend_from_slice(name);
            self.names.push(0);
            names.push((off, len));
            ControlFlow::Continue(())
        });
        let arena = &self.names;
        // std's own sort, monomorphised once for this one type: the walk sorts every
        // folder of a tree, where model::sort's index indirection would cost time.
        #[allow(clippy::disallowed_methods)]
        names.sort_unstable_by(|a, b| {
            arena[a.0 as usize..a.0 as usize + a.1 as usize]
                .cmp(&arena[b.0 as usize..b.0 as usize + b.1 as usize])
        });
        let first_child = self.entries.len() as u32;
        let mut subdirs = Vec::new();
        let parent = Rc::new(dir);
        for (name, name_len) in names {
            if self.entries.len() > MAX_ENTRIES {
                self.truncated = true;
                break;
            }
            let c_name = c_name_in(&self.names, name, name_len);
            let Ok(st) = fstatat(parent.as_ref(), c_name, AtFlags::AT_SYMLINK_NOFOLLOW) else {
                continue;
            };
            let st = Stat::from(st);
            let index = self.entries.len() as u32;
            self.entries.push(Entry {
                kind: st.kind,
                uid: st.uid,
                gid: st.gid,
                parent: at.entry,
                name,
                name_len,
                first_child: 0,
                children: 0,
            });
            if st.kind == FileKind::Dir {
                subdirs.push(Pending {
                    entry: index,
                    dev: st.dev,
                    parent: Some(Rc::clone(&parent)),
                    parent_dev: at.dev,
                });
            }
        }
        let children = self.entries.len() as u32 - first_child;
        let parent_entry = &mut self.entries[at.entry as usize];
        parent_entry.first_child = first_child;
        parent_entry.children = children;
        subdirs
    }

    /// The name of entry `i`, NUL-terminated, for openat.
    fn c_name(&self, i: u32) -> &CStr {
        let e = &self.entries[i as usize];
        c_name_in(&self.names, e.name, e.name_len)
    }

    fn name(&self, e: &Entry) -> &[u8] {
        &self.names[e.name as usize..e.name as usize + e.name_len as usize]
    }

    fn children(&self, e: &Entry) -> std::ops::Range<usize> {
        e.first_child as usize..(e.first_child + e.children) as usize
    }

    /// The in-image path of entry `i`.
    fn path(&self, mut i: u32) -> PathBuf {
        let mut parts = Vec::new();
        while i != 0 {
            let e = &self.entries[i as usize];
            parts.push(self.name(e));
            i = e.parent;
        }
        let mut path = Vec::new();
        for part in parts.iter().rev() {
            path.push(b'/');
            path.extend_from_slice(part);
        }
        if path.is_empty() {
            path.push(b'/');
        }
        PathBuf::from(OsStr::from_bytes(&path))
    }

    /// How many entries the walk saw (the root itself not counted).
    pub fn len(&self) -> usize {
        self.entries.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The index of the entry at the in-image `path`, if the walk saw it.
    fn find(&self, path: &str) -> Option<usize> {
        let mut at = 0;
        for part in path.split('/').filter(|p| !p.is_empty()) {
            let range = self.children(self.entries.get(at)?);
            let siblings = &self.entries[range.clone()];
            let found = siblings
                .binary_search_by(|e| self.name(e).cmp(part.as_bytes()))
                .ok()?;
            at = range.start + found;
        }
        Some(at)
    }

    /// The entry at exactly `path`, if the walk saw it.
    pub fn get(&self, path: &str) -> Option<&Entry> {
        self.find(path)
            .filter(|&i| i != 0)
            .map(|i| &self.entries[i])
    }

    /// Calls `f` with every entry of the tree and its in-image path, in path order.
    pub fn each(&self, f: impl FnMut(&Path, &Entry)) {
        self.visit(0, Vec::new(), f);
    }

    /// Calls `f` with every entry inside the folder `dir` (not `dir` itself) and its
    /// in-image path, in path order; nothing when the walk did not see `dir`.
    pub fn each_under(&self, dir: &str, f: impl FnMut(&Path, &Entry)) {
        if let Some(i) = self.find(dir) {
            let base = dir.trim_end_matches('/').as_bytes().to_vec();
            self.visit(i, base, f);
        }
    }

    /// Depth first below entry `top`, whose path is `path` ("" for the root): one
    /// buffer, grown and cut back as the visit goes down and up.
    fn visit(&self, top: usize, mut path: Vec<u8>, mut f: impl FnMut(&Path, &Entry)) {
        let mut stack = vec![(self.children(&self.entries[top]), path.len())];
        while let Some((range, len)) = stack.last_mut() {
            let Some(i) = range.next() else {
                stack.pop();
                continue;
            };
            let len = *len;
            let e = &self.entries[i];
            path.truncate(len);
            path.push(b'/');
            path.extend_from_slice(self.name(e));
            f(Path::new(OsStr::from_bytes(&path)), e);
            if e.children > 0 {
                stack.push((self.children(e), path.len()));
            }
        }
    }
}

fn c_name_in(names: &[u8], name: u32, len: u16) -> &CStr {
    let bytes = &names[name as usize..=name as usize + len as usize];
    // Every name is stored with its NUL, and getdents names hold none.
    CStr::from_bytes_with_nul(bytes).unwrap_or(c".")
}

/// The name of the virtual filesystem the open folder `dir` is on, if it is one.
fn virtual_fs(dir: &Dir) -> Option<&'static str> {
    let magic = nix::sys::statfs::fstatfs(dir).ok()?.filesystem_type().0 as i64;
    VIRTUAL
        .iter()
        .find(|(m, _)| *m == magic)
        .map(|(_, name)| *name)
}

/// A path for a message: whole, or its start and end around an ellipsis when it is
/// long (a directory thousands of levels deep is kilobytes of path).
pub fn shorten(path: &Path) -> String {
    let s = path.display().to_string();
    if s.chars().count() <= 160 {
        return s;
    }
    let head: String = s.chars().take(60).collect();
    let tail: String = s
        .chars()
        .rev()
        .take(60)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!(
        "{head}…{tail} ({} levels)",
        path.components().count().saturating_sub(1)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn walked(files: &[&str], dirs: &[&str]) -> (tempfile::TempDir, Tree) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        for d in dirs {
            fs::create_dir_all(dir.path().join(d)).unwrap_or_else(|e| panic!("{d}: {e}"));
        }
        for f in files {
            fs::write(dir.path().join(f), "").unwrap_or_else(|e| panic!("{f}: {e}"));
        }
        std::os::unix::fs::symlink("/etc", dir.path().join("etc-link"))
            .unwrap_or_else(|e| panic!("symlink: {e}"));
        let root = Root::open(dir.path()).unwrap_or_else(|e| panic!("root: {e}"));
        let tree = Tree::walk(&root);
        (dir, tree)
    }

    #[test]
    fn visits_in_path_order_and_finds_by_path() {
        let (_dir, tree) = walked(&["a/x", "a-b", "a/y/z", "b"], &["a/y", "c"]);
        let mut seen = Vec::new();
        tree.each(|p, _| seen.push(p.display().to_string()));
        // Component by component, as Path sorts: /a's contents before /a-b.
        assert_eq!(
            seen,
            [
                "/a",
                "/a/x",
                "/a/y",
                "/a/y/z",
                "/a-b",
                "/b",
                "/c",
                "/etc-link"
            ]
        );
        assert_eq!(tree.len(), 8);
        assert_eq!(tree.get("/a/y/z").map(|e| e.kind), Some(FileKind::File));
        assert_eq!(
            tree.get("/etc-link").map(|e| e.kind),
            Some(FileKind::Symlink)
        );
        assert!(
            tree.get("/etc-link/passwd").is_none(),
            "a link is never followed"
        );
        assert!(tree.get("/a/nosuch").is_none() && tree.get("/").is_none());
        let mut under = Vec::new();
        tree.each_under("/a/", |p, _| under.push(p.display().to_string()));
        assert_eq!(under, ["/a/x", "/a/y", "/a/y/z"]);
        let mut none = 0;
        tree.each_under("/nosuch", |_, _| none += 1);
        assert_eq!(none, 0);
    }
}
