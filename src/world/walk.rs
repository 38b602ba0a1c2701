//! One walk of a root tree, shared by every tree-wide image check (owners, device nodes,
//! runtime and tmp leftovers, foreign binaries): linear in the number of entries, never
//! following a link, lstat only (nothing is opened but directories).
//!
//! The walk does not descend into a virtual filesystem mounted inside the tree (proc,
//! sysfs, devpts, a tmpfs or devtmpfs, ...): what is there is the running kernel's, not
//! the image's (`image --root /` would list /proc's 47,000 entries), so it is recorded
//! once in [`Tree::mounted`]. A folder it cannot list is recorded with why in
//! [`Tree::unwalked`], so a check that needed it can say it could not look.

use crate::world::root::{Root, Stat};
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::thread;

/// An image of millions of files is a mistake; stop there rather than exhaust memory.
const MAX_ENTRIES: usize = 5_000_000;

#[derive(Debug)]
pub struct Entry {
    /// The in-image path.
    pub path: PathBuf,
    pub stat: Stat,
}

#[derive(Debug, Default)]
pub struct Tree {
    pub entries: Vec<Entry>,
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

impl Tree {
    /// Walks the whole tree with a few threads (directory listing and lstat are kernel
    /// work that two cores do in about 70% of the time of one), then sorts the entries
    /// by path so reports come out the same on every run.
    pub fn walk(root: &Root) -> Tree {
        let workers = thread::available_parallelism().map_or(1, |n| n.get().min(MAX_WORKERS));
        let root_dev = fs::symlink_metadata(&root.dir).map_or(0, |m| m.dev());
        let shared = Shared {
            queue: Mutex::new(Queue {
                dirs: vec![(PathBuf::from("/"), root_dev)],
                busy: 0,
            }),
            more: Condvar::new(),
            entries: AtomicUsize::new(0),
        };
        let parts: Vec<Part> = thread::scope(|scope| {
            let helpers: Vec<_> = (1..workers)
                .filter_map(|_| {
                    thread::Builder::new()
                        .name("tree-walk".into())
                        .spawn_scoped(scope, || work(root, &shared))
                        .ok()
                })
                .collect();
            let mut parts = vec![work(root, &shared)];
            // A helper that panicked loses its part; the walk says it is incomplete.
            parts.extend(helpers.into_iter().map(|h| {
                h.join().unwrap_or_else(|_| Part {
                    truncated: true,
                    ..Part::default()
                })
            }));
            parts
        });
        let mut tree = Tree::default();
        for part in parts {
            tree.entries.extend(part.entries);
            tree.unwalked.extend(part.unwalked);
            tree.mounted.extend(part.mounted);
            tree.truncated |= part.truncated;
        }
        tree.entries.sort_unstable_by(|a, b| {
            a.path
                .as_os_str()
                .as_bytes()
                .cmp(b.path.as_os_str().as_bytes())
        });
        tree.unwalked.sort_by(|a, b| a.path.cmp(&b.path));
        tree.mounted.sort_by(|a, b| a.path.cmp(&b.path));
        tree
    }
}

impl Tree {
    /// The entries whose in-image path starts with `prefix` (as bytes: `"/run/"` is
    /// what is inside /run). The entries are sorted, so these are one run of them,
    /// found by binary search instead of a pass over a tree of 100k entries per check.
    pub fn under(&self, prefix: &str) -> &[Entry] {
        let prefix = prefix.as_bytes();
        fn key(e: &Entry) -> &[u8] {
            e.path.as_os_str().as_bytes()
        }
        let start = self.entries.partition_point(|e| key(e) < prefix);
        let len = self.entries[start..].partition_point(|e| key(e).starts_with(prefix));
        &self.entries[start..start + len]
    }

    /// The entry at exactly `path`, if the walk saw it.
    pub fn get(&self, path: &str) -> Option<&Entry> {
        let path = path.as_bytes();
        self.entries
            .binary_search_by(|e| e.path.as_os_str().as_bytes().cmp(path))
            .ok()
            .map(|i| &self.entries[i])
    }
}

/// More threads than this only queue on the same disk.
const MAX_WORKERS: usize = 4;

/// Directories waiting to be listed (with the device they are on), and how many are
/// being listed now: the walk is over when both are zero.
struct Queue {
    dirs: Vec<(PathBuf, u64)>,
    busy: usize,
}

struct Shared {
    queue: Mutex<Queue>,
    more: Condvar,
    entries: AtomicUsize,
}

/// What one thread found.
#[derive(Default)]
struct Part {
    entries: Vec<Entry>,
    unwalked: Vec<Unwalked>,
    mounted: Vec<Mounted>,
    truncated: bool,
}

/// One thread's share: take a directory, list it, hand its subdirectories back.
fn work(root: &Root, shared: &Shared) -> Part {
    let mut part = Part::default();
    loop {
        let dir = {
            let mut q = shared.queue.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if let Some(dir) = q.dirs.pop() {
                    q.busy += 1;
                    break dir;
                }
                if q.busy == 0 {
                    shared.more.notify_all();
                    return part;
                }
                q = shared.more.wait(q).unwrap_or_else(|e| e.into_inner());
            }
        };
        let subdirs = list(root, &dir.0, dir.1, &mut part, &shared.entries);
        let mut q = shared.queue.lock().unwrap_or_else(|e| e.into_inner());
        q.busy -= 1;
        if part.truncated {
            // Enough: stop everyone.
            q.dirs.clear();
        } else {
            q.dirs.extend(subdirs);
        }
        shared.more.notify_all();
    }
}

/// Lists one directory (on device `dev`) into `part`; returns its subdirectories, less
/// the virtual filesystems mounted on any of them.
fn list(
    root: &Root,
    dir: &Path,
    dev: u64,
    part: &mut Part,
    count: &AtomicUsize,
) -> Vec<(PathBuf, u64)> {
    let mut subdirs = Vec::new();
    let host = host_path(&root.dir, dir);
    let entries = match fs::read_dir(&host) {
        Ok(e) => e,
        Err(e) => {
            part.unwalked.push(Unwalked {
                path: dir.to_path_buf(),
                error: e.to_string(),
            });
            return subdirs;
        }
    };
    for entry in entries {
        let Ok(entry) = entry else { continue };
        // DirEntry::metadata is lstat relative to the open directory: no link is
        // followed, and the path cannot leave the tree.
        let Ok(meta) = entry.metadata() else { continue };
        let path = dir.join(entry.file_name());
        let ft = meta.file_type();
        let stat = Stat {
            kind: if ft.is_dir() {
                crate::world::read::FileKind::Dir
            } else if ft.is_symlink() {
                crate::world::read::FileKind::Symlink
            } else if ft.is_fifo() {
                crate::world::read::FileKind::Fifo
            } else if ft.is_socket() {
                crate::world::read::FileKind::Socket
            } else if ft.is_block_device() {
                crate::world::read::FileKind::BlockDevice
            } else if ft.is_char_device() {
                crate::world::read::FileKind::CharDevice
            } else {
                crate::world::read::FileKind::File
            },
            mode: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
            size: meta.size(),
            rdev: meta.rdev(),
            dev: meta.dev(),
            ino: meta.ino(),
            mtime: meta.mtime(),
        };
        if ft.is_dir() {
            // Another device below a folder: a mount point. Only a virtual filesystem
            // is left out; a btrfs subvolume, say, is part of the image.
            match (meta.dev() != dev)
                .then(|| virtual_fs(&host.join(entry.file_name())))
                .flatten()
            {
                Some(fstype) => part.mounted.push(Mounted {
                    path: path.clone(),
                    fstype,
                }),
                None => subdirs.push((path.clone(), meta.dev())),
            }
        }
        part.entries.push(Entry { path, stat });
        if count.fetch_add(1, Ordering::Relaxed) + 1 >= MAX_ENTRIES {
            part.truncated = true;
            break;
        }
    }
    subdirs
}

/// The name of the virtual filesystem mounted at `host`, if it is one.
fn virtual_fs(host: &Path) -> Option<&'static str> {
    let magic = nix::sys::statfs::statfs(host).ok()?.filesystem_type().0 as i64;
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

fn host_path(root: &Path, inimage: &Path) -> PathBuf {
    match inimage.strip_prefix("/") {
        Ok(rel) if !rel.as_os_str().is_empty() => root.join(rel),
        _ => root.to_path_buf(),
    }
}
