//! A root tree whose paths resolve inside it, never on the host: the confinement image
//! mode promises. `/etc/network/run -> /run/network` in an image means the image's
//! /run/network, and `../../../../etc/shadow` stops at the image's root, as it would for
//! a process chrooted there. Container-structure-test's tar driver resolves such links
//! against the host (container-structure-test issue reports); this is the fix for that class of bug.
//!
//! Two resolvers, chosen when the root is opened:
//! - openat2(2) with RESOLVE_IN_ROOT (Linux 5.6+): the kernel resolves, race-free;
//! - a walk of our own, component by component, with lstat and readlink and a limit of
//!   40 link hops (as the kernel's ELOOP), for kernels or sandboxes without openat2.
//!
//! Both are tested against the same hostile trees. Files are opened only after their
//! type is known to be regular (via an O_PATH descriptor, which opens nothing), so a FIFO
//! or device planted in an image is never opened; reads are bounded.
//!
//! Two rules hold for every read, whatever spells the path:
//! - withheld files (`tape::withheld`: shadow files, private keys) are refused by what
//!   was opened: its device and inode, the path it resolved to, a PEM private key in
//!   its content. No check gets their content, so no report or bundle can quote it.
//! - on the running system, a link that a non-root user owns is followed only to a file
//!   of that same user (the kernel's protected_symlinks idea, applied by the tool, as
//!   firmware may not set the sysctl): else uid 65534, owning a daemon's data folder,
//!   could point `sequence` at /etc/shadow for root to read.

use super::lfs::{FileStat, fstat, fstatat};
use super::question::Question;
use super::read::{FileKind, ReadError, holds_private_key, read_bounded};
use super::tape::{Tape, WITHHELD_FILES, io_result_from_value, io_result_to_value, missed, taped};
use nix::fcntl::{AtFlags, OFlag, OpenHow, ResolveFlag, openat2};
use nix::sys::stat::SFlag;
use serde_json::{Value, json};
use std::ffi::OsStr;
use std::fs;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// Link hops before a path counts as a loop (Linux's MAXSYMLINKS).
const MAX_HOPS: usize = 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolver {
    Openat2,
    Walk,
}

#[derive(Debug)]
pub struct Root {
    /// The root on the host.
    pub dir: PathBuf,
    fd: OwnedFd,
    pub resolver: Resolver,
    /// Records every answer (collect), or gives them instead of the filesystem (a
    /// bundle, or a capture that holds no files): see `tape`.
    tape: Option<Arc<Tape>>,
    /// Whether links of non-root users are held to the owner rule (`UnsafeLink`): when
    /// the root is the running system's `/`. Not in an image tree: its owners are what
    /// the build made them (a CI user's unpacking owns everything), nobody plants links
    /// in it while it is checked, every link already resolves inside the tree, and its
    /// secrets are withheld by identity all the same.
    protect: bool,
    /// (dev, ino) of `WITHHELD_FILES` in this root, stat'ed at the first read.
    secrets: OnceLock<Vec<(u64, u64)>>,
}

/// A link a non-root user owns, pointing at a file of someone else: not followed.
#[derive(Debug, thiserror::Error)]
#[error(
    "{} is a link owned by uid {link_uid} to a file of uid {target_uid}: not followed",
    link.display()
)]
pub struct UnsafeLink {
    /// The link, in the root.
    pub link: PathBuf,
    pub link_uid: u32,
    pub target_uid: u32,
}

/// What lstat says about a path, whichever resolver asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub kind: FileKind,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub rdev: u64,
    pub dev: u64,
    pub ino: u64,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
}

impl From<FileStat> for Stat {
    fn from(st: FileStat) -> Self {
        let fmt = SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits());
        let kind = match fmt {
            SFlag::S_IFDIR => FileKind::Dir,
            SFlag::S_IFLNK => FileKind::Symlink,
            SFlag::S_IFIFO => FileKind::Fifo,
            SFlag::S_IFSOCK => FileKind::Socket,
            SFlag::S_IFBLK => FileKind::BlockDevice,
            SFlag::S_IFCHR => FileKind::CharDevice,
            _ => FileKind::File,
        };
        Stat {
            kind,
            mode: st.st_mode & 0o7777,
            uid: st.st_uid,
            gid: st.st_gid,
            size: st.st_size.max(0) as u64,
            rdev: st.st_rdev,
            dev: st.st_dev,
            ino: st.st_ino,
            // time_t: 32 bits on a 32-bit glibc (see lfs).
            #[allow(clippy::useless_conversion)]
            mtime: i64::from(st.st_mtime),
        }
    }
}

fn errno(e: nix::Error) -> io::Error {
    io::Error::from_raw_os_error(e as i32)
}

impl Root {
    /// The root's directory (an O_PATH descriptor): the walk opens the tree from it.
    pub fn dir_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self.fd.as_fd()
    }

    /// Opens `dir` as a root, with openat2 when the kernel allows it.
    pub fn open(dir: &Path) -> io::Result<Root> {
        let want = match std::env::var("HA_PREFLIGHT_RESOLVER").as_deref() {
            Ok("walk") => Resolver::Walk,
            _ => Resolver::Openat2,
        };
        Self::open_with(dir, want)
    }

    /// Opens with a given resolver; falls back to the walk when openat2 is missing.
    pub fn open_with(dir: &Path, resolver: Resolver) -> io::Result<Root> {
        let file = fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::libc::O_PATH | nix::libc::O_DIRECTORY)
            .open(dir)?;
        let fd = OwnedFd::from(file);
        let mut root = Root {
            dir: dir.to_path_buf(),
            fd,
            resolver,
            tape: None,
            protect: dir == Path::new("/"),
            secrets: OnceLock::new(),
        };
        if resolver == Resolver::Openat2
            && root.open_in_root(Path::new("/"), OFlag::O_PATH).is_err()
        {
            root.resolver = Resolver::Walk;
        }
        Ok(root)
    }

    /// The same root, with every answer going through `tape`.
    pub fn with_tape(mut self, tape: Arc<Tape>) -> Root {
        self.tape = Some(tape);
        self
    }

    /// A root whose every answer comes from a playing tape: a bundle's files.
    pub fn played(tape: Arc<Tape>) -> io::Result<Root> {
        Ok(Self::open(Path::new("/"))?.with_tape(tape))
    }

    /// Resolves `path` inside the root: the in-image path with every link followed
    /// (the last one too when `follow_last`). An error when a component is missing, not a
    /// directory, or links loop.
    pub fn resolve(&self, path: &Path, follow_last: bool) -> io::Result<PathBuf> {
        taped(
            self.tape.as_deref(),
            || Question::Resolve {
                path: path.to_path_buf(),
                follow_last,
            },
            || self.resolve_real(path, follow_last),
            path_to_value,
            |v| io_result_from_value(v, |p| p.as_str().map(PathBuf::from)),
            || Err(self.missed()),
        )
    }

    /// The error for a question this root's tape has no answer to, in the tape's words:
    /// a capture of /proc and /sys is not a bundle.
    fn missed(&self) -> io::Error {
        self.tape.as_deref().map_or_else(missed, Tape::missed)
    }

    /// Whether this looks like a root tree at all: an etc/ or a usr/ folder (links
    /// followed inside the root). An empty folder, or a build's output folder, is not.
    pub fn is_root_tree(&self) -> bool {
        ["/etc", "/usr"].iter().any(|d| {
            self.stat(Path::new(d))
                .is_ok_and(|st| st.kind == FileKind::Dir)
        })
    }

    /// lstat: the parent's links are followed inside the root, the last component's not.
    pub fn lstat(&self, path: &Path) -> io::Result<Stat> {
        taped(
            self.tape.as_deref(),
            || Question::Lstat(path.to_path_buf()),
            || self.lstat_real(path),
            stat_result_to_value,
            |v| io_result_from_value(v, stat_from_value),
            || Err(self.missed()),
        )
    }

    /// stat: every link followed, inside the root.
    pub fn stat(&self, path: &Path) -> io::Result<Stat> {
        taped(
            self.tape.as_deref(),
            || Question::Stat(path.to_path_buf()),
            || self.stat_real(path),
            stat_result_to_value,
            |v| io_result_from_value(v, stat_from_value),
            || Err(self.missed()),
        )
    }

    /// The target of a link, as written in the image.
    pub fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        taped(
            self.tape.as_deref(),
            || Question::ReadLink(path.to_path_buf()),
            || self.read_link_real(path),
            path_to_value,
            |v| io_result_from_value(v, |p| p.as_str().map(PathBuf::from)),
            || Err(self.missed()),
        )
    }

    /// Names in a directory (following links to it inside the root), sorted, at most
    /// `limit` of them.
    pub fn read_dir(&self, path: &Path, limit: usize) -> io::Result<Vec<String>> {
        taped(
            self.tape.as_deref(),
            || Question::ReadDir(path.to_path_buf()),
            || self.read_dir_real(path, limit),
            names_to_value,
            |v| {
                io_result_from_value(v, |n| {
                    n.as_array().map(|a| {
                        a.iter()
                            .filter_map(|s| s.as_str().map(str::to_string))
                            .take(limit)
                            .collect()
                    })
                })
            },
            || Err(self.missed()),
        )
    }

    /// Reads at most `limit` bytes of a regular file, following links inside the root.
    /// Anything but a regular file is refused before it is opened.
    pub fn read_text(&self, path: &Path, limit: usize) -> Result<String, ReadError> {
        taped(
            self.tape.as_deref(),
            || Question::Read(path.to_path_buf()),
            || self.read_text_real(path, limit),
            text_to_value,
            |v| text_from_value(v, path, limit),
            || {
                Err(ReadError::Io {
                    path: path.to_path_buf(),
                    source: self.missed(),
                })
            },
        )
    }

    /// Reads the first `n` bytes of a regular file (to test for ELF magic, say).
    pub fn read_head(&self, path: &Path, n: usize) -> Result<Vec<u8>, ReadError> {
        taped(
            self.tape.as_deref(),
            || Question::Head(path.to_path_buf()),
            || self.read_head_real(path, n),
            |r| read_to_value(r, |b| json!(b)),
            |v| {
                read_from_value(v, path, |b| {
                    b.as_array().map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_u64().map(|x| x as u8))
                            .take(n)
                            .collect()
                    })
                })
            },
            || {
                Err(ReadError::Io {
                    path: path.to_path_buf(),
                    source: self.missed(),
                })
            },
        )
    }

    /// The last `limit` bytes of a regular file (a log), from a line boundary on.
    pub fn read_tail(&self, path: &Path, limit: usize) -> Result<String, ReadError> {
        taped(
            self.tape.as_deref(),
            || Question::Tail(path.to_path_buf()),
            || self.read_tail_real(path, limit),
            text_to_value,
            |v| text_from_value(v, path, limit),
            || {
                Err(ReadError::Io {
                    path: path.to_path_buf(),
                    source: self.missed(),
                })
            },
        )
    }

    /// The host path of an in-image path that has no symlinks left in it.
    fn host(&self, resolved: &Path) -> PathBuf {
        let rel = resolved.strip_prefix("/").unwrap_or(resolved);
        if rel.as_os_str().is_empty() {
            self.dir.clone()
        } else {
            self.dir.join(rel)
        }
    }

    fn open_in_root(&self, path: &Path, flags: OFlag) -> io::Result<OwnedFd> {
        // openat2 rejects O_PATH combined with flags that only matter for a real open.
        let extra = if flags.contains(OFlag::O_PATH) {
            OFlag::O_CLOEXEC
        } else {
            OFlag::O_CLOEXEC | OFlag::O_NOCTTY | OFlag::O_NONBLOCK | super::lfs::LARGEFILE
        };
        let how = OpenHow::new().flags(flags | extra).resolve(
            ResolveFlag::RESOLVE_IN_ROOT
                | ResolveFlag::RESOLVE_NO_MAGICLINKS
                | ResolveFlag::RESOLVE_NO_SYMLINKS,
        );
        let rel = relative(path);
        openat2(&self.fd, rel.as_path(), how).map_err(errno)
    }

    /// Opens `path` inside the root, and says what it resolved to. With no link on the
    /// way one openat2 call does it (RESOLVE_NO_SYMLINKS: the path is what it says once
    /// `.`, `..` and `//` are gone), which keeps boot reads fast; with a link (ELOOP),
    /// the walk resolves it, applying the link rule, and openat2 opens what it found,
    /// refusing a link swapped in meanwhile. In an image too, where the link rule does
    /// not apply: the withheld check needs the path a read truly resolved to (an image's
    /// `etc/x -> shadow`), which openat2 alone does not say.
    fn open_path(&self, path: &Path, flags: OFlag) -> io::Result<(OwnedFd, PathBuf)> {
        match self.open_in_root(path, flags) {
            Err(e) if e.raw_os_error() == Some(nix::libc::ELOOP) => {
                let resolved = self.resolve_real(path, true)?;
                Ok((self.open_in_root(&resolved, flags)?, resolved))
            }
            opened => opened.map(|fd| (fd, lexical(path))),
        }
    }

    /// Whether the opened file `st`, found at `resolved`, is withheld. A file that is not
    /// at a withheld path can be a withheld file only as another hard link to it, so
    /// the withheld files are stat'ed (once) only when the file has more than one
    /// link: on a boot that never happens, and costs no system call.
    fn is_secret(&self, st: &Stat, links: u64, resolved: &Path) -> bool {
        super::tape::withheld(&resolved.to_string_lossy())
            || links > 1
                && self
                    .secrets
                    .get_or_init(|| {
                        WITHHELD_FILES
                            .iter()
                            .filter_map(|f| self.stat_real(Path::new(f)).ok())
                            .map(|s| (s.dev, s.ino))
                            .collect()
                    })
                    .contains(&(st.dev, st.ino))
    }

    /// Resolves `path` inside the root: the in-image path with every link followed
    /// (the last one too when `follow_last`). An error when a component is missing, not a
    /// directory, or links loop.
    fn resolve_real(&self, path: &Path, follow_last: bool) -> io::Result<PathBuf> {
        self.walk(path, follow_last, &mut 0)
    }

    /// `resolve_real`, with the hops so far.
    fn walk(&self, path: &Path, follow_last: bool, hops: &mut usize) -> io::Result<PathBuf> {
        let mut todo: Vec<PathBuf> = relative(path)
            .components()
            .rev()
            .map(|c| PathBuf::from(c.as_os_str()))
            .collect();
        let mut current = PathBuf::from("/");
        while let Some(part) = todo.pop() {
            match part.as_os_str().as_bytes() {
                b"." | b"" => continue,
                b".." => {
                    current.pop();
                    continue;
                }
                _ => {}
            }
            let candidate = current.join(&part);
            let is_last = todo.is_empty();
            let st = self.lstat_resolved(&candidate)?;
            if st.kind == FileKind::Symlink && (!is_last || follow_last) {
                *hops += 1;
                if *hops > MAX_HOPS {
                    return Err(io::Error::from_raw_os_error(nix::libc::ELOOP));
                }
                let target = fs::read_link(self.host(&candidate))?;
                if self.protect && st.uid != 0 {
                    // The file the link designates, whole, must be its owner's.
                    let to = self.walk(&current.join(&target), true, hops)?;
                    let target_uid = self.lstat_resolved(&to)?.uid;
                    if target_uid != st.uid {
                        return Err(io::Error::other(UnsafeLink {
                            link: candidate,
                            link_uid: st.uid,
                            target_uid,
                        }));
                    }
                    current = to;
                    continue;
                }
                if target.is_absolute() {
                    current = PathBuf::from("/");
                }
                for c in target.components().rev() {
                    match c {
                        Component::RootDir | Component::Prefix(_) => {}
                        other => todo.push(PathBuf::from(other.as_os_str())),
                    }
                }
                continue;
            }
            if !is_last && st.kind != FileKind::Dir {
                return Err(io::Error::from_raw_os_error(nix::libc::ENOTDIR));
            }
            current = candidate;
        }
        Ok(current)
    }

    /// lstat of a path with no links in its directories.
    fn lstat_resolved(&self, resolved: &Path) -> io::Result<Stat> {
        fstatat(
            nix::fcntl::AT_FDCWD,
            self.host(resolved).as_path(),
            AtFlags::AT_SYMLINK_NOFOLLOW,
        )
        .map(Stat::from)
        .map_err(errno)
    }

    /// lstat: the parent's links are followed inside the root, the last component's not.
    fn lstat_real(&self, path: &Path) -> io::Result<Stat> {
        let (parent, name) = split(path);
        let Some(name) = name else {
            return self.stat(Path::new("/"));
        };
        match self.resolver {
            Resolver::Openat2 => {
                let (dir, _) = self.open_path(&parent, OFlag::O_PATH | OFlag::O_DIRECTORY)?;
                fstatat(&dir, name, AtFlags::AT_SYMLINK_NOFOLLOW)
                    .map(Stat::from)
                    .map_err(errno)
            }
            Resolver::Walk => {
                let parent = self.resolve(&parent, true)?;
                self.lstat_resolved(&parent.join(name))
            }
        }
    }

    /// stat: every link followed, inside the root.
    fn stat_real(&self, path: &Path) -> io::Result<Stat> {
        match self.resolver {
            Resolver::Openat2 => fstat(&self.open_path(path, OFlag::O_PATH)?.0)
                .map(Stat::from)
                .map_err(errno),
            Resolver::Walk => self.lstat_resolved(&self.resolve(path, true)?),
        }
    }

    pub fn exists(&self, path: &Path) -> bool {
        self.lstat(path).is_ok()
    }

    /// The target of a link, as written in the image.
    fn read_link_real(&self, path: &Path) -> io::Result<PathBuf> {
        let (parent, name) = split(path);
        let name = name.ok_or_else(|| io::Error::from_raw_os_error(nix::libc::EINVAL))?;
        let parent = self.resolve(&parent, true)?;
        fs::read_link(self.host(&parent).join(name))
    }

    /// Names in a directory (following links to it inside the root), sorted, at most
    /// `limit` of them.
    fn read_dir_real(&self, path: &Path, limit: usize) -> io::Result<Vec<String>> {
        let host = match self.resolver {
            Resolver::Openat2 => {
                let (fd, _) = self.open_path(path, OFlag::O_PATH | OFlag::O_DIRECTORY)?;
                // Read through the descriptor, so what is listed is what was resolved.
                let listed = fs::read_dir(format!("/proc/self/fd/{}", fd.as_raw_fd()));
                match listed {
                    Ok(entries) => return Ok(names(entries, limit)),
                    Err(_) => self.host(&self.resolve(path, true)?),
                }
            }
            Resolver::Walk => self.host(&self.resolve(path, true)?),
        };
        Ok(names(fs::read_dir(host)?, limit))
    }

    /// Opens a regular file for reading, following links inside the root. Anything but a
    /// regular file is refused before it is opened, and the open is non-blocking, so a
    /// FIFO swapped in between cannot hang it. A withheld file is refused once opened,
    /// by what it is, however the path spelled it.
    pub fn open_regular(&self, path: &Path) -> Result<fs::File, ReadError> {
        let shown = path.to_path_buf();
        let io_err = |source| ReadError::Io {
            path: shown.clone(),
            source,
        };
        let not_regular = |kind: FileKind| ReadError::NotRegular {
            path: shown.clone(),
            kind: kind.name(),
        };
        let (file, resolved) = match self.resolver {
            Resolver::Openat2 => {
                let (fd, resolved) = self.open_path(path, OFlag::O_PATH).map_err(io_err)?;
                let st = Stat::from(fstat(&fd).map_err(|e| io_err(errno(e)))?);
                if st.kind != FileKind::File {
                    return Err(not_regular(st.kind));
                }
                // Re-open the O_PATH descriptor for reading: the same file, no second lookup.
                let reopened = fs::OpenOptions::new()
                    .read(true)
                    .custom_flags(nix::libc::O_NONBLOCK | nix::libc::O_NOCTTY)
                    .open(format!("/proc/self/fd/{}", fd.as_raw_fd()));
                match reopened {
                    Ok(file) => (file, resolved),
                    // No /proc (a chroot, an early boot): look the path up again, and
                    // make sure it is still the file that was checked.
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        let again = self
                            .open_in_root(&resolved, OFlag::O_RDONLY | OFlag::O_NOFOLLOW)
                            .map_err(io_err)?;
                        let now = Stat::from(fstat(&again).map_err(|e| io_err(errno(e)))?);
                        if (now.dev, now.ino) != (st.dev, st.ino) || now.kind != FileKind::File {
                            return Err(io_err(io::Error::other(
                                "it changed while being opened; not read",
                            )));
                        }
                        (fs::File::from(again), resolved)
                    }
                    Err(e) => return Err(io_err(e)),
                }
            }
            Resolver::Walk => {
                let resolved = self.resolve_real(path, true).map_err(io_err)?;
                let st = self.lstat_resolved(&resolved).map_err(io_err)?;
                if st.kind != FileKind::File {
                    return Err(not_regular(st.kind));
                }
                let file = fs::OpenOptions::new()
                    .read(true)
                    .custom_flags(
                        nix::libc::O_NONBLOCK | nix::libc::O_NOCTTY | nix::libc::O_NOFOLLOW,
                    )
                    .open(self.host(&resolved))
                    .map_err(io_err)?;
                (file, resolved)
            }
        };
        let raw = fstat(&file).map_err(|e| io_err(errno(e)))?;
        let st = Stat::from(raw);
        if st.kind != FileKind::File {
            return Err(not_regular(st.kind));
        }
        if self.is_secret(&st, raw.st_nlink as u64, &resolved) {
            return Err(ReadError::Withheld { path: shown });
        }
        Ok(file)
    }

    /// Reads at most `limit` bytes of a regular file, following links inside the root.
    /// Anything but a regular file is refused before it is opened.
    fn read_text_real(&self, path: &Path, limit: usize) -> Result<String, ReadError> {
        unless_key(read_bounded(self.open_regular(path)?, path, limit)?, path)
    }

    /// Reads the first `n` bytes of a regular file (to test for ELF magic, say).
    fn read_head_real(&self, path: &Path, n: usize) -> Result<Vec<u8>, ReadError> {
        let mut bytes = Vec::new();
        self.open_regular(path)?
            .take(n as u64)
            .read_to_end(&mut bytes)
            .map_err(|source| ReadError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(bytes)
    }

    /// The last `limit` bytes of a regular file (a log), from a line boundary on.
    fn read_tail_real(&self, path: &Path, limit: usize) -> Result<String, ReadError> {
        use std::io::{Seek, SeekFrom};
        let io_err = |source| ReadError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = self.open_regular(path)?;
        let len = file.metadata().map_err(io_err)?.len();
        let start = len.saturating_sub(limit as u64);
        file.seek(SeekFrom::Start(start)).map_err(io_err)?;
        let mut bytes = Vec::new();
        file.take(limit as u64)
            .read_to_end(&mut bytes)
            .map_err(io_err)?;
        let text = String::from_utf8_lossy(&bytes);
        unless_key(
            match (start, text.find('\n')) {
                (0, _) | (_, None) => text.into_owned(),
                (_, Some(i)) => text[i + 1..].to_string(),
            },
            path,
        )
    }

    /// In-image paths matching an absolute pattern whose components may hold `*` and `?`
    /// (at most `limit`), in name order. Links are followed inside the root for the
    /// directories on the way; the matched names themselves are not followed.
    /// A folder or path the glob cannot look into (permission denied, an I/O error) is
    /// an error, not "nothing there": an ordinary user checking a root-built image must
    /// not pass a check because /etc/ssl/private is 0710.
    pub fn glob(&self, pattern: &str, limit: usize) -> Result<Vec<PathBuf>, GlobError> {
        let parts: Vec<&str> = pattern.split('/').filter(|p| !p.is_empty()).collect();
        let mut out = Vec::new();
        self.glob_walk(PathBuf::from("/"), &parts, &mut out, limit)?;
        Ok(out)
    }

    /// Every path matching any of `patterns`, in their order, at most `limit` per
    /// pattern; the first place one cannot look into is the error.
    pub fn glob_all<S: AsRef<str>>(
        &self,
        patterns: impl IntoIterator<Item = S>,
        limit: usize,
    ) -> Result<Vec<PathBuf>, GlobError> {
        let mut out = Vec::new();
        for pattern in patterns {
            out.extend(self.glob(pattern.as_ref(), limit)?);
        }
        Ok(out)
    }

    fn glob_walk(
        &self,
        base: PathBuf,
        parts: &[&str],
        out: &mut Vec<PathBuf>,
        limit: usize,
    ) -> Result<(), GlobError> {
        if out.len() >= limit {
            return Ok(());
        }
        let Some((first, rest)) = parts.split_first() else {
            return match self.lstat(&base) {
                Ok(_) => {
                    out.push(base);
                    Ok(())
                }
                Err(e) if is_absent(&e) => Ok(()),
                Err(source) => Err(GlobError { path: base, source }),
            };
        };
        if !first.contains(['*', '?']) {
            return self.glob_walk(base.join(first), rest, out, limit);
        }
        let names = match self.read_dir(&base, 4096) {
            Ok(names) => names,
            Err(e) if is_absent(&e) => return Ok(()),
            Err(source) => return Err(GlobError { path: base, source }),
        };
        for name in names
            .iter()
            .filter(|n| crate::model::pattern::wildcard(first, n))
        {
            self.glob_walk(base.join(name), rest, out, limit)?;
        }
        Ok(())
    }
}

/// A text read, unless it holds a private key: then withheld, wherever the file lies.
fn unless_key(text: String, path: &Path) -> Result<String, ReadError> {
    if holds_private_key(text.as_bytes()) {
        return Err(ReadError::Withheld {
            path: path.to_path_buf(),
        });
    }
    Ok(text)
}

/// `path` with `.`, `..` and `//` resolved as names (`..` stops at the root): where a
/// path with no links in it leads. (unit-wiring cleans a unit link's target with it too.)
pub(crate) fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for c in path.components() {
        match c {
            Component::Normal(name) => out.push(name),
            Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out
}

fn kind_name(kind: FileKind) -> &'static str {
    match kind {
        FileKind::File => "file",
        FileKind::Dir => "dir",
        FileKind::Symlink => "symlink",
        FileKind::Fifo => "fifo",
        FileKind::Socket => "socket",
        FileKind::BlockDevice => "block",
        FileKind::CharDevice => "char",
    }
}

/// A stat on tape (inside `{"ok": ..}`).
fn stat_to_value(st: &Stat) -> Value {
    json!({
        "kind": kind_name(st.kind), "mode": st.mode, "uid": st.uid, "gid": st.gid,
        "size": st.size, "rdev": st.rdev, "dev": st.dev, "ino": st.ino, "mtime": st.mtime,
    })
}

fn stat_from_value(v: &Value) -> Option<Stat> {
    let kind = match v.get("kind")?.as_str()? {
        "file" => FileKind::File,
        "dir" => FileKind::Dir,
        "symlink" => FileKind::Symlink,
        "fifo" => FileKind::Fifo,
        "socket" => FileKind::Socket,
        "block" => FileKind::BlockDevice,
        "char" => FileKind::CharDevice,
        _ => return None,
    };
    let n = |k: &str| v.get(k).and_then(Value::as_u64);
    Some(Stat {
        kind,
        mode: n("mode")? as u32,
        uid: n("uid")? as u32,
        gid: n("gid")? as u32,
        size: n("size")?,
        rdev: n("rdev")?,
        dev: n("dev")?,
        ino: n("ino")?,
        mtime: v.get("mtime")?.as_i64()?,
    })
}

/// A stat's answer on tape (lstat, stat): `{"ok": {kind, mode, ..}}` or the error. The
/// recorder and `testing`'s fake box both write it, so they cannot drift.
pub(crate) fn stat_result_to_value(r: &io::Result<Stat>) -> Value {
    io_result_to_value(r, stat_to_value)
}

/// A path's answer on tape (resolve, readlink): `{"ok": "/the/path"}` or the error.
pub(crate) fn path_to_value(r: &io::Result<PathBuf>) -> Value {
    io_result_to_value(r, |p| json!(p.display().to_string()))
}

/// A folder listing on tape: `{"ok": [names]}` or the error.
pub(crate) fn names_to_value(r: &io::Result<Vec<String>>) -> Value {
    io_result_to_value(r, |names| json!(names))
}

/// A text read on tape (a file's `read` and `tail`, a kernel file's `proc`/`sys`).
pub(crate) fn text_to_value(r: &Result<String, ReadError>) -> Value {
    read_to_value(r, |t| json!(t))
}

/// A read's result on tape: `{"ok": ...}`, or what kept it from being read.
pub fn read_to_value<T>(r: &Result<T, ReadError>, ok: impl Fn(&T) -> Value) -> Value {
    match r {
        Ok(t) => json!({ "ok": ok(t) }),
        Err(ReadError::Io { source, .. }) => super::tape::io_to_value(source),
        Err(ReadError::NotRegular { kind, .. }) => json!({ "not_regular": kind }),
        Err(ReadError::TooLarge { limit, .. }) => json!({ "too_large": limit }),
        Err(ReadError::NotText { .. }) => json!({ "not_text": true }),
        Err(ReadError::Withheld { .. }) => json!({ "withheld": true }),
    }
}

/// A recorded text read, held to the limit a live read has: a value over it gives the
/// same TooLarge error, before it is copied or parsed (a bundle is hostile input).
pub fn text_from_value(v: &Value, path: &Path, limit: usize) -> Option<Result<String, ReadError>> {
    if v.get("ok")
        .and_then(Value::as_str)
        .is_some_and(|t| t.len() > limit)
    {
        return Some(Err(ReadError::TooLarge {
            path: path.to_path_buf(),
            limit,
        }));
    }
    read_from_value(v, path, |t| t.as_str().map(str::to_string))
}

pub fn read_from_value<T>(
    v: &Value,
    path: &Path,
    ok: impl Fn(&Value) -> Option<T>,
) -> Option<Result<T, ReadError>> {
    let path = path.to_path_buf();
    if let Some(inner) = v.get("ok") {
        return ok(inner).map(Ok);
    }
    if let Some(kind) = v.get("not_regular").and_then(Value::as_str) {
        let kind = [
            "regular file",
            "directory",
            "symlink",
            "FIFO",
            "socket",
            "block device",
            "character device",
            "non-regular file",
        ]
        .into_iter()
        .find(|k| *k == kind)
        .unwrap_or("non-regular file");
        return Some(Err(ReadError::NotRegular { path, kind }));
    }
    if let Some(limit) = v.get("too_large").and_then(Value::as_u64) {
        return Some(Err(ReadError::TooLarge {
            path,
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
        }));
    }
    if v.get("not_text").is_some() {
        return Some(Err(ReadError::NotText { path }));
    }
    if v.get("withheld").is_some() {
        return Some(Err(ReadError::Withheld { path }));
    }
    super::tape::io_from_value(v).map(|source| Err(ReadError::Io { path, source }))
}

/// A place a glob could not look into.
#[derive(Debug, thiserror::Error)]
#[error("cannot look into {}: {source}", path.display())]
pub struct GlobError {
    /// The in-root path.
    pub path: PathBuf,
    pub source: io::Error,
}

/// Errors that mean "no such path" for a glob: missing, a file where a folder would be,
/// or a link loop on the way.
fn is_absent(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound
        || matches!(
            e.raw_os_error(),
            Some(nix::libc::ENOTDIR) | Some(nix::libc::ELOOP)
        )
}

fn names(entries: fs::ReadDir, limit: usize) -> Vec<String> {
    let mut out: Vec<String> = entries
        .take(limit)
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    crate::model::sort::sort(&mut out);
    out
}

/// `path` without its leading `/` (openat2 wants it relative to the root descriptor).
fn relative(path: &Path) -> PathBuf {
    let rel: PathBuf = path
        .components()
        .filter(|c| !matches!(c, Component::RootDir | Component::Prefix(_)))
        .collect();
    if rel.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        rel
    }
}

/// (parent, last name), with `..` and `.` in the last place kept in the parent.
fn split(path: &Path) -> (PathBuf, Option<&OsStr>) {
    match path.components().next_back() {
        Some(Component::Normal(name)) => (
            path.parent()
                .map_or_else(|| PathBuf::from("/"), Path::to_path_buf),
            Some(name),
        ),
        _ => (path.to_path_buf(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// A tree to resolve in, and a host folder beside it; removed when the guard drops.
    fn tree(name: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
        let guard = tempfile::Builder::new()
            .prefix(&format!("ha-preflight-root-{name}-"))
            .tempdir()
            .unwrap();
        let base = guard.path();
        let root = base.join("root");
        let host = base.join("host");
        fs::create_dir_all(root.join("etc/network")).unwrap();
        fs::create_dir_all(root.join("run/network")).unwrap();
        fs::create_dir_all(&host).unwrap();
        fs::write(host.join("secret"), "host secret").unwrap();
        fs::write(root.join("run/network/ifstate"), "lo=lo\n").unwrap();
        symlink("/run/network", root.join("etc/network/run")).unwrap();
        symlink(host.join("secret"), root.join("etc/abs-escape")).unwrap();
        symlink(
            "../../../../../../../../../../".to_string() + host.join("secret").to_str().unwrap(),
            root.join("etc/dotdot-escape"),
        )
        .unwrap();
        symlink("loop-b", root.join("etc/loop-a")).unwrap();
        symlink("loop-a", root.join("etc/loop-b")).unwrap();
        nix::unistd::mkfifo(
            &root.join("etc/fifo"),
            nix::sys::stat::Mode::S_IRUSR | nix::sys::stat::Mode::S_IWUSR,
        )
        .unwrap();
        (guard, root, host)
    }

    fn both(name: &str, f: impl Fn(&Root, &Path)) {
        let (_guard, root_dir, host) = tree(name);
        for r in [Resolver::Openat2, Resolver::Walk] {
            let root = Root::open_with(&root_dir, r).unwrap();
            if root.resolver != r
                && let Some(emulator) = crate::world::emulator()
            {
                eprintln!("SKIP {name} with openat2: {emulator} has none (the walk is tested)");
                continue;
            }
            // Both resolvers must really be exercised: this kernel has openat2.
            assert_eq!(
                root.resolver, r,
                "openat2 unavailable: the walk was tested twice"
            );
            f(&root, &host);
        }
    }

    #[test]
    fn absolute_links_resolve_inside_the_root() {
        both("abs", |root, _| {
            assert_eq!(
                root.read_text(Path::new("/etc/network/run/ifstate"), 100)
                    .unwrap(),
                "lo=lo\n",
                "{:?}",
                root.resolver
            );
            assert_eq!(
                root.resolve(Path::new("/etc/network/run"), true).unwrap(),
                Path::new("/run/network")
            );
        });
    }

    #[test]
    fn escapes_stay_inside() {
        both("escape", |root, host| {
            for link in ["/etc/abs-escape", "/etc/dotdot-escape"] {
                let err = root.read_text(Path::new(link), 100).unwrap_err();
                assert!(err.is_not_found(), "{:?} {link}: {err}", root.resolver);
                if let Ok(p) = root.resolve(Path::new(link), true) {
                    assert!(!p.starts_with(host), "{p:?}");
                }
            }
        });
    }

    #[test]
    fn loops_and_fifos_are_clear_errors() {
        both("loops", |root, _| {
            let err = root
                .read_text(Path::new("/etc/loop-a"), 100)
                .unwrap_err()
                .to_string();
            // ELOOP in glibc's words, and in musl's ("Symbolic link loop").
            assert!(
                err.contains("symbolic links")
                    || err.contains("Too many levels")
                    || err.contains("link loop"),
                "{:?}: {err}",
                root.resolver
            );
            let fifo = root.read_text(Path::new("/etc/fifo"), 100).unwrap_err();
            assert!(
                matches!(fifo, ReadError::NotRegular { kind: "FIFO", .. }),
                "{:?}: {fifo}",
                root.resolver
            );
            assert_eq!(
                root.lstat(Path::new("/etc/loop-a")).unwrap().kind,
                FileKind::Symlink
            );
            assert_eq!(
                root.read_link(Path::new("/etc/network/run")).unwrap(),
                Path::new("/run/network")
            );
        });
    }

    #[test]
    fn globs_stay_inside() {
        both("glob", |root, _| {
            assert_eq!(
                root.glob("/etc/network/run/ifstate*", 10).ok(),
                Some(vec![PathBuf::from("/etc/network/run/ifstate")])
            );
            assert_eq!(root.glob("/etc/loop-*", 10).map(|m| m.len()).ok(), Some(2));
            // A link loop on the way is "nothing there", not an error.
            assert_eq!(root.glob("/etc/loop-a/x", 10).ok(), Some(vec![]));
        });
    }
}
