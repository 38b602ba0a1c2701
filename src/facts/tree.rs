//! One walk of a root tree, shared by every tree-wide image check (owners, device nodes,
//! runtime and tmp leftovers, foreign binaries): linear in the number of entries, never
//! following a link, lstat only (nothing is opened but directories).

use crate::root::{Root, Stat};
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
    pub unreadable: Vec<String>,
    pub truncated: bool,
}

impl Tree {
    /// Walks the whole tree with a few threads (directory listing and lstat are kernel
    /// work that two cores do in about 70% of the time of one), then sorts the entries
    /// by path so reports come out the same on every run.
    pub fn walk(root: &Root) -> Tree {
        let workers = thread::available_parallelism().map_or(1, |n| n.get().min(MAX_WORKERS));
        let shared = Shared {
            queue: Mutex::new(Queue {
                dirs: vec![PathBuf::from("/")],
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
            tree.unreadable.extend(part.unreadable);
            tree.truncated |= part.truncated;
        }
        tree.entries.sort_unstable_by(|a, b| {
            a.path
                .as_os_str()
                .as_bytes()
                .cmp(b.path.as_os_str().as_bytes())
        });
        tree.unreadable.sort();
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

/// Directories waiting to be listed, and how many are being listed now: the walk is
/// over when both are zero.
struct Queue {
    dirs: Vec<PathBuf>,
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
    unreadable: Vec<String>,
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
        let subdirs = list(root, &dir, &mut part, &shared.entries);
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

/// Lists one directory into `part`; returns its subdirectories.
fn list(root: &Root, dir: &Path, part: &mut Part, count: &AtomicUsize) -> Vec<PathBuf> {
    let mut subdirs = Vec::new();
    let host = host_path(&root.dir, dir);
    let entries = match fs::read_dir(&host) {
        Ok(e) => e,
        Err(e) => {
            part.unreadable.push(format!("{}: {e}", shorten(dir)));
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
                crate::root::Kind::Dir
            } else if ft.is_symlink() {
                crate::root::Kind::Symlink
            } else if ft.is_fifo() {
                crate::root::Kind::Fifo
            } else if ft.is_socket() {
                crate::root::Kind::Socket
            } else if ft.is_block_device() {
                crate::root::Kind::BlockDevice
            } else if ft.is_char_device() {
                crate::root::Kind::CharDevice
            } else {
                crate::root::Kind::File
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
            subdirs.push(path.clone());
        }
        part.entries.push(Entry { path, stat });
        if count.fetch_add(1, Ordering::Relaxed) + 1 >= MAX_ENTRIES {
            part.truncated = true;
            break;
        }
    }
    subdirs
}

/// A path for a message: whole, or its start and end around an ellipsis when it is
/// long (a directory thousands of levels deep is kilobytes of path).
fn shorten(path: &Path) -> String {
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
