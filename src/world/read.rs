//! Bounded reads of regular files, by host path. Every read here refuses anything that is
//! not a regular file (opening a FIFO blocks, opening a device can have side effects, and
//! a support bundle or a broken box can hold either where a text file is expected) and
//! reads at most a given number of bytes. `Root` reads paths inside a root through the
//! same [`read_bounded`].

use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why a file could not be read.
#[derive(Debug, Error)]
pub enum ReadError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: is a {kind}, not a regular file; not opened", path.display())]
    NotRegular { path: PathBuf, kind: &'static str },
    #[error("{}: larger than the {limit}-byte limit", path.display())]
    TooLarge { path: PathBuf, limit: usize },
    #[error("{}: not UTF-8 text", path.display())]
    NotText { path: PathBuf },
    /// The file is one of the secrets no check gets (see `tape::withheld`): the read is
    /// refused whatever the run, so no report, bundle or journal can quote it.
    #[error("{}: {WITHHELD}", path.display())]
    Withheld { path: PathBuf },
}

/// Why a withheld file was not read.
const WITHHELD: &str = "withheld: it holds secrets; ha-preflight does not read it";

impl ReadError {
    /// What went wrong, without the path (for messages that name the path already).
    pub fn cause(&self) -> String {
        match self {
            ReadError::Io { source, .. } => source.to_string(),
            ReadError::NotRegular { kind, .. } => {
                format!("is a {kind}, not a regular file; not opened")
            }
            ReadError::TooLarge { limit, .. } => format!("larger than the {limit}-byte limit"),
            ReadError::NotText { .. } => "not UTF-8 text".to_string(),
            ReadError::Withheld { .. } => WITHHELD.to_string(),
        }
    }

    /// True when the file simply does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io { source, .. } if source.kind() == io::ErrorKind::NotFound)
    }
}

/// What kind of file a path is, whichever way it was looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    File,
    Dir,
    Symlink,
    Fifo,
    Socket,
    BlockDevice,
    CharDevice,
}

impl FileKind {
    pub fn name(self) -> &'static str {
        match self {
            FileKind::File => "regular file",
            FileKind::Dir => "directory",
            FileKind::Symlink => "symlink",
            FileKind::Fifo => "FIFO",
            FileKind::Socket => "socket",
            FileKind::BlockDevice => "block device",
            FileKind::CharDevice => "character device",
        }
    }

    pub fn of(ft: &fs::FileType) -> FileKind {
        if ft.is_dir() {
            FileKind::Dir
        } else if ft.is_symlink() {
            FileKind::Symlink
        } else if ft.is_fifo() {
            FileKind::Fifo
        } else if ft.is_socket() {
            FileKind::Socket
        } else if ft.is_block_device() {
            FileKind::BlockDevice
        } else if ft.is_char_device() {
            FileKind::CharDevice
        } else {
            FileKind::File
        }
    }
}

/// Reads at most `limit` bytes of a regular file as UTF-8 text.
///
/// The type is checked before opening (following symlinks, as the caller asked for this
/// path) and again on the open descriptor, which is opened non-blocking so that a FIFO
/// swapped in between the two checks cannot hang the read.
pub fn read_text(path: &Path, limit: usize) -> Result<String, ReadError> {
    let io_err = |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let not_regular = |ft: &fs::FileType| ReadError::NotRegular {
        path: path.to_path_buf(),
        kind: FileKind::of(ft).name(),
    };
    let meta = fs::metadata(path).map_err(io_err)?;
    if !meta.file_type().is_file() {
        return Err(not_regular(&meta.file_type()));
    }
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK | nix::libc::O_NOCTTY)
        .open(path)
        .map_err(io_err)?;
    let meta = file.metadata().map_err(io_err)?;
    if !meta.file_type().is_file() {
        return Err(not_regular(&meta.file_type()));
    }
    // A capture's /proc is a folder of the analyst's, whose links may point anywhere:
    // a private key is withheld wherever it is found.
    let text = read_bounded(file, path, limit)?;
    if holds_private_key(text.as_bytes()) {
        return Err(ReadError::Withheld {
            path: path.to_path_buf(),
        });
    }
    Ok(text)
}

/// Whether `bytes` hold a PEM private key (`-----BEGIN ... PRIVATE KEY-----` at the
/// start of a line): a key is withheld wherever it lies, not only in the folders
/// named for keys.
pub fn holds_private_key(bytes: &[u8]) -> bool {
    bytes.split(|&b| b == b'\n').any(|line| {
        let line = line.trim_ascii();
        line.starts_with(b"-----BEGIN ") && line.ends_with(b"PRIVATE KEY-----")
    })
}

/// The buffer a bounded read starts with: the files read are small, most a few lines.
const FIRST_READ: usize = 8192;

/// Reads at most `limit` bytes of an open file as UTF-8 text.
pub fn read_bounded(file: File, path: &Path, limit: usize) -> Result<String, ReadError> {
    // /proc files report size 0, so the size cannot be trusted: read one byte past the
    // limit to tell "exactly at the limit" from "over it". Start with 8 KiB: from an
    // empty buffer read_to_end begins with 32 bytes and doubles, nine reads for a
    // mountinfo that one read (and one that finds the end) returns.
    let mut bytes = Vec::with_capacity(FIRST_READ.min(limit.saturating_add(1)));
    file.take((limit as u64).saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| ReadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if bytes.len() > limit {
        return Err(ReadError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    String::from_utf8(bytes).map_err(|_| ReadError::NotText {
        path: path.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch folder, removed when the guard drops.
    fn scratch(name: &str) -> tempfile::TempDir {
        tempfile::Builder::new()
            .prefix(&format!("ha-preflight-target-{name}-"))
            .tempdir()
            .unwrap()
    }

    #[test]
    fn reads_a_small_file_and_refuses_a_large_one() {
        let dir = scratch("size");
        let path = dir.path().join("f");
        fs::write(&path, "lo=lo\n").unwrap();
        assert_eq!(read_text(&path, 6).unwrap(), "lo=lo\n");
        assert!(matches!(
            read_text(&path, 5),
            Err(ReadError::TooLarge { .. })
        ));
    }

    #[test]
    fn never_opens_a_fifo() {
        let dir = scratch("fifo");
        let path = dir.path().join("fifo");
        nix::unistd::mkfifo(
            &path,
            nix::sys::stat::Mode::S_IRUSR | nix::sys::stat::Mode::S_IWUSR,
        )
        .unwrap();
        // Opening a FIFO for reading with no writer would block forever.
        let err = read_text(&path, 100).unwrap_err();
        assert!(
            matches!(err, ReadError::NotRegular { kind: "FIFO", .. }),
            "{err}"
        );
    }

    #[test]
    fn missing_is_not_found() {
        assert!(
            read_text(Path::new("/nonexistent/ha-preflight"), 10)
                .unwrap_err()
                .is_not_found()
        );
    }
}
