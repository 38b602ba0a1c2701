//! One walk of a root tree, shared by every tree-wide image check (owners, device nodes,
//! runtime and tmp leftovers, foreign binaries): linear in the number of entries, never
//! following a link, lstat only (nothing is opened but directories).

use crate::root::{Root, Stat};
use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

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
    pub fn walk(root: &Root) -> Tree {
        let mut tree = Tree::default();
        let mut stack = vec![PathBuf::from("/")];
        while let Some(dir) = stack.pop() {
            let host = host_path(&root.dir, &dir);
            let entries = match fs::read_dir(&host) {
                Ok(e) => e,
                Err(e) => {
                    tree.unreadable.push(format!("{}: {e}", dir.display()));
                    continue;
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
                    stack.push(path.clone());
                }
                tree.entries.push(Entry { path, stat });
                if tree.entries.len() >= MAX_ENTRIES {
                    tree.truncated = true;
                    return tree;
                }
            }
        }
        tree
    }
}

fn host_path(root: &Path, inimage: &Path) -> PathBuf {
    match inimage.strip_prefix("/") {
        Ok(rel) if !rel.as_os_str().is_empty() => root.join(rel),
        _ => root.to_path_buf(),
    }
}
