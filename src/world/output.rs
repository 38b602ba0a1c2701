//! Every file the tool writes goes through here: `--output` reports and support bundles.
//! The tool runs as root, often into folders other users can write (node_exporter's
//! textfile folder, /tmp, a CI workspace), so nothing is written into or through what
//! was already there:
//!
//! - a regular file (or no file yet) is replaced whole: a temporary file in the target's
//!   own folder (O_CREAT|O_EXCL|O_NOFOLLOW under an unpredictable name that starts with a
//!   dot, so node_exporter, which reads only `*.prom`, skips it), written, given its mode,
//!   flushed to disk, then renamed over the target. A reader sees the old file or the new
//!   one, and on any failure the temporary file is removed. The name and its retries are
//!   the `tempfile` crate's (random from the kernel's getrandom, re-seeded when a name is
//!   taken, as a planted one would be); the open is ours, so that it has O_NOFOLLOW.
//! - a FIFO or a character device (a terminal, `/dev/stdout`) is a stream: written in
//!   place, never created or truncated, within a time limit;
//! - a symbolic link is followed only to such a stream (or to this process's own stdout
//!   or stderr); to anything else it is refused and kept;
//! - a socket, a block device, a folder (where a file is wanted) are refused;
//! - a folder bundle is built in a fresh private folder and renamed into place whole,
//!   never over anything already there.

use std::fs::{self, DirBuilder, File, Metadata, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use thiserror::Error;

/// A report file: node_exporter and other readers that are not root must read it.
pub const REPORT_MODE: u32 = 0o644;
/// A support bundle: it holds what the box's files said, so only its owner reads it.
pub const BUNDLE_MODE: u32 = 0o600;

/// A write that did not happen, and why; the target was left as it was.
#[derive(Debug, Error)]
#[error("cannot write {}: {why}", path.display())]
pub struct WriteError {
    pub path: PathBuf,
    pub why: Why,
}

#[derive(Debug, Error)]
pub enum Why {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("it is a folder; name a file in it")]
    Folder,
    /// A report's name that ends in `/`: a folder, there or not.
    #[error("a name that ends in / is a folder; name a file (DIR/report.txt)")]
    NamesFolder,
    /// `collect --output DIR/` where DIR is something else.
    #[error("it is not a folder; name a folder (DIR/) or a file (FILE.tar)")]
    NotFolder,
    #[error("it is a socket; name a file, a FIFO or a terminal")]
    Socket,
    #[error("it is a block device; not written")]
    BlockDevice,
    #[error("it is a symbolic link to {}; not written through (name the file itself)", .0.display())]
    Link(PathBuf),
    #[error(
        "it is a symbolic link owned by uid {0} to a stream that uid does not own; not followed"
    )]
    ForeignLink(u32),
    #[error("the FIFO has no reader")]
    NoReader,
    #[error("the reader took no more for {}; it may have read part of it", crate::model::duration::display(*.0))]
    Stalled(Duration),
    #[error("something is already there; not replaced (move it away, or name another folder)")]
    Exists,
}

/// Writes `bytes` to `path`: a regular file replaced whole with `mode`, or a stream
/// written within `limit` (see the module's text).
pub fn file(path: &Path, bytes: &[u8], mode: u32, limit: Duration) -> Result<(), WriteError> {
    let written = if path.as_os_str().as_encoded_bytes().ends_with(b"/") {
        // Not a file's name, whatever is there: said so, where the kernel would answer
        // "Not a directory" (ENOTDIR) for a folder not yet made.
        Err(if path.is_dir() {
            Why::Folder
        } else {
            Why::NamesFolder
        })
    } else {
        match target(path) {
            Ok(OutputTarget::Replace) => replace(path, bytes, mode),
            Ok(OutputTarget::Stream(id)) => stream(path, id, bytes, limit),
            Ok(OutputTarget::Own(mut file)) => file.write_all(bytes).map_err(Why::Io),
            Err(why) => Err(why),
        }
    };
    written.map_err(|why| WriteError {
        path: path.to_path_buf(),
        why,
    })
}

/// Writes `files` (names relative to the folder, `spec/x.toml` included) as the new
/// folder `dir/top`: built in a private 0700 folder in `dir` (files 0600, each created
/// O_EXCL), then renamed into place with RENAME_NOREPLACE, so that nothing already at
/// `dir/top` (a planted link, an older bundle) is written into, through or over. On any
/// failure the private folder is removed and nothing is left behind.
pub fn folder(dir: &Path, top: &str, files: &[(String, Vec<u8>)]) -> Result<(), WriteError> {
    let place = dir.join(top);
    let fail = |path: &Path| {
        let path = path.to_path_buf();
        move |e| WriteError {
            path,
            why: Why::Io(e),
        }
    };
    // A missing DIR/ is made (one level, as mkdir would), and removed again if the
    // bundle fails; what was there is used as is.
    let made = match DirBuilder::new().create(dir) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(fail(dir)(e)),
        made => made.is_ok(),
    };
    if !made && !dir.is_dir() {
        return Err(WriteError {
            path: dir.to_path_buf(),
            why: Why::NotFolder,
        });
    }
    let made_dir = Made(made.then(|| dir.to_path_buf()));
    // 0700, under `.TOP.` and random letters; removed whole if the bundle fails.
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{top}."))
        .rand_bytes(RANDOM)
        .permissions(fs::Permissions::from_mode(0o700))
        .tempdir_in(dir)
        .map_err(fail(dir))?;
    let base = tmp.path();
    for (name, bytes) in files {
        let path = base.join(name);
        let written = (|| {
            // Members are one level deep at most (spec/NAME).
            if let Some(parent) = path.parent().filter(|p| *p != base && !p.exists()) {
                DirBuilder::new().mode(0o700).create(parent)?;
            }
            let mut file = create(&path, BUNDLE_MODE)?;
            file.write_all(bytes)?;
            file.sync_all()
        })();
        // Named as the bundle, not by the private folder that goes away.
        written.map_err(fail(&place))?;
    }
    match rename_noreplace(base, &place) {
        Ok(()) => {
            // Renamed away: nothing is left at the temporary name to remove.
            let _ = tmp.keep();
            made_dir.keep();
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(WriteError {
            path: place,
            why: Why::Exists,
        }),
        Err(e) => Err(fail(&place)(e)),
    }
}

/// A new file, O_CREAT|O_EXCL|O_NOFOLLOW: never one that was there, never through a link.
fn create(path: &Path, mode: u32) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)
}

/// Random letters in a temporary name: 12 of 62 (over 70 bits), more than tempfile's
/// default 6, for a name another user must not guess.
const RANDOM: usize = 12;

/// A folder this run made for the bundle (`DIR/` that was not there), removed when
/// dropped unless kept.
struct Made(Option<PathBuf>);

impl Made {
    fn keep(mut self) {
        self.0 = None;
    }
}

impl Drop for Made {
    fn drop(&mut self) {
        if let Some(dir) = &self.0 {
            let _ = fs::remove_dir(dir);
        }
    }
}

/// renameat2(RENAME_NOREPLACE): fails with EEXIST when anything is at `to`, a planted
/// link included. nix has it on glibc only, and the musl Rust links has no wrapper: the
/// system call itself.
fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    use nix::NixPath;
    use nix::libc::{AT_FDCWD, RENAME_NOREPLACE, SYS_renameat2, syscall};
    let done = from.with_nix_path(|from| {
        to.with_nix_path(|to| {
            // SAFETY: two NUL-terminated paths that live across the call.
            unsafe {
                syscall(
                    SYS_renameat2,
                    AT_FDCWD,
                    from.as_ptr(),
                    AT_FDCWD,
                    to.as_ptr(),
                    RENAME_NOREPLACE,
                )
            }
        })
    })??;
    if done == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// What is at the target's name, and so how it is written.
enum OutputTarget {
    /// A regular file, or nothing yet.
    Replace,
    /// A FIFO or a character device, named or linked to: its (device, inode).
    Stream((u64, u64)),
    /// A link to this process's own stdout or stderr (`/dev/stdout > file`).
    Own(File),
}

fn target(path: &Path) -> Result<OutputTarget, Why> {
    let here = match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(OutputTarget::Replace),
        other => other?,
    };
    if !here.file_type().is_symlink() {
        let id = (here.dev(), here.ino());
        return kind(&here).map(|stream| {
            if stream {
                OutputTarget::Stream(id)
            } else {
                OutputTarget::Replace
            }
        });
    }
    let link = || fs::read_link(path).map(Why::Link).unwrap_or_else(Why::Io);
    let Ok(end) = fs::metadata(path) else {
        return Err(link());
    };
    let ft = end.file_type();
    if ft.is_fifo() || ft.is_char_device() {
        // The tool's own rule for links (design: careful with files), as the kernel's
        // protected_symlinks has it: a link a user planted to a stream that user does
        // not own (a watchdog, a console) is not followed. Root's links (/dev/stdout)
        // and the runner's own are.
        let owner = here.uid();
        if owner != 0 && owner != nix::unistd::geteuid().as_raw() && owner != end.uid() {
            return Err(Why::ForeignLink(owner));
        }
        return Ok(OutputTarget::Stream((end.dev(), end.ino())));
    }
    let same = |fd: std::os::fd::BorrowedFd| {
        super::lfs::fstat(fd).is_ok_and(|st| st.st_dev == end.dev() && st.st_ino == end.ino())
    };
    for fd in [io::stdout().as_fd(), io::stderr().as_fd()] {
        if same(fd) {
            return Ok(OutputTarget::Own(File::from(fd.try_clone_to_owned()?)));
        }
    }
    Err(link())
}

/// Whether a thing that is not a link is a stream (true) or a regular file (false); the
/// rest is refused.
fn kind(meta: &Metadata) -> Result<bool, Why> {
    let ft = meta.file_type();
    if ft.is_file() {
        Ok(false)
    } else if ft.is_fifo() || ft.is_char_device() {
        Ok(true)
    } else if ft.is_dir() {
        Err(Why::Folder)
    } else if ft.is_socket() {
        Err(Why::Socket)
    } else {
        Err(Why::BlockDevice)
    }
}

/// The temporary file, then the rename (see the module's text).
fn replace(path: &Path, bytes: &[u8], mode: u32) -> Result<(), Why> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().ok_or(Why::Folder)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{}.", name.to_string_lossy()))
        .rand_bytes(RANDOM)
        .make_in(dir, |p| create(p, 0o600))?;
    let file = tmp.as_file_mut();
    file.write_all(bytes)?;
    // fchmod, so that the umask does not decide whether node_exporter can read it.
    file.set_permissions(fs::Permissions::from_mode(mode))?;
    file.sync_all()?;
    // rename(2); on failure the temporary file is removed when `tmp` drops.
    tmp.persist(path).map_err(|e| Why::Io(e.error))?;
    Ok(())
}

/// Writes into a FIFO or character device: resolved first with O_PATH (which opens
/// nothing), checked to be a stream still, then reopened through /proc/self/fd for
/// writing, without O_CREAT or O_TRUNC, O_NONBLOCK so that a FIFO without a reader
/// fails at once and a reader that stops reading cannot hold the run past `limit`.
fn stream(path: &Path, id: (u64, u64), bytes: &[u8], limit: Duration) -> Result<(), Why> {
    let resolved = OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_PATH)
        .open(path)?;
    let meta = resolved.metadata()?;
    if (meta.dev(), meta.ino()) != id {
        // Swapped since it was looked at (for a link to something else, a regular file):
        // what was judged is what is written, or nothing.
        return Err(Why::Io(io::Error::other("it changed while it was opened")));
    }
    let opened = OpenOptions::new()
        .write(true)
        .custom_flags(nix::libc::O_NOCTTY | nix::libc::O_NONBLOCK)
        .open(format!(
            "/proc/self/fd/{}",
            std::os::fd::AsRawFd::as_raw_fd(&resolved)
        ));
    let mut out = match opened {
        Err(e) if e.raw_os_error() == Some(nix::libc::ENXIO) => return Err(Why::NoReader),
        other => other?,
    };
    let deadline = Instant::now() + limit;
    let mut rest = bytes;
    while !rest.is_empty() {
        match out.write(rest) {
            Ok(0) => return Err(Why::Io(io::ErrorKind::WriteZero.into())),
            Ok(n) => rest = &rest[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(Why::Stalled(limit));
                }
                use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
                let mut fds = [PollFd::new(out.as_fd(), PollFlags::POLLOUT)];
                let wait = PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX);
                match poll(&mut fds, wait) {
                    Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                    Err(e) => return Err(Why::Io(e.into())),
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Why::Io(e)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A name that ends in `/` is a folder's, whether or not one is there: a report is
    /// refused in those words, not with the kernel's "Not a directory"; and a bundle's
    /// DIR/ that is a file is named as one.
    #[test]
    fn a_folders_name_is_refused_as_one() {
        let dir = tempfile::tempdir().expect("a scratch folder");
        let write = |name: &str| {
            let path = PathBuf::from(format!("{}/{name}", dir.path().display()));
            file(&path, b"report", REPORT_MODE, Duration::from_secs(1))
                .unwrap_err()
                .to_string()
        };
        assert!(
            write("new/")
                .ends_with("new/: a name that ends in / is a folder; name a file (DIR/report.txt)"),
            "{}",
            write("new/")
        );
        assert!(!dir.path().join("new").exists());
        fs::create_dir(dir.path().join("there")).expect("mkdir");
        assert!(write("there/").ends_with("there/: it is a folder; name a file in it"));
        fs::write(dir.path().join("f"), "x").expect("write");
        let e = folder(&dir.path().join("f/"), "b", &[("x".into(), b"x".to_vec())])
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with("f/: it is not a folder; name a folder (DIR/) or a file (FILE.tar)"),
            "{e}"
        );
    }
}
