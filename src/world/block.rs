//! The one read of a block device the tool makes: 1024 bytes at byte 1024 of a mounted
//! ext2/3/4 filesystem's device, where its superblock lies (the kernel's
//! fs/ext4/ext4.h, `struct ext4_super_block`; e2fsprogs' lib/ext2fs/ext2_fs.h).
//!
//! The device is opened by a name, but trusted by what it is: O_NOFOLLOW (a link in its
//! place is refused), O_NONBLOCK (a driver that would wait for media does not), then
//! fstat must say it is a block device whose number is the mount's own MAJOR:MINOR from
//! mountinfo. The read goes through the device's page cache, where the mounted
//! filesystem keeps its superblock, so it sees what the kernel last put there (an error
//! just recorded, not only what reached the disk). A hung disk can block it: it runs in
//! a check's evaluation, which the engine abandons at its deadline, as a statfs on a
//! hung mount.

use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Where the superblock starts, and how long it is.
pub const SUPERBLOCK_OFFSET: u64 = 1024;
pub const SUPERBLOCK_LEN: usize = 1024;

#[derive(Debug, Error)]
pub enum BlockError {
    #[error("{}: {source}", path.display())]
    Open { path: PathBuf, source: io::Error },
    #[error("{}: not a block device", path.display())]
    NotBlock { path: PathBuf },
    #[error("{}: is device {found}, not the mount's {want}", path.display())]
    OtherDevice {
        path: PathBuf,
        found: String,
        want: String,
    },
    #[error("{}: reading {SUPERBLOCK_LEN} bytes at {SUPERBLOCK_OFFSET}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
}

/// The superblock's 1024 bytes from the block device at `path`, which must be device
/// `major:minor`.
pub fn read_superblock(path: &Path, major: u64, minor: u64) -> Result<Vec<u8>, BlockError> {
    use nix::fcntl::{OFlag, open};
    let fd = open(
        path,
        OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )
    .map_err(|e| BlockError::Open {
        path: path.to_path_buf(),
        source: e.into(),
    })?;
    let file = File::from(fd);
    let meta = file.metadata().map_err(|source| BlockError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    if !meta.file_type().is_block_device() {
        return Err(BlockError::NotBlock {
            path: path.to_path_buf(),
        });
    }
    let rdev = meta.rdev();
    let found = (nix::sys::stat::major(rdev), nix::sys::stat::minor(rdev));
    if found != (major, minor) {
        return Err(BlockError::OtherDevice {
            path: path.to_path_buf(),
            found: format!("{}:{}", found.0, found.1),
            want: format!("{major}:{minor}"),
        });
    }
    let mut buf = vec![0u8; SUPERBLOCK_LEN];
    file.read_exact_at(&mut buf, SUPERBLOCK_OFFSET)
        .map_err(|source| BlockError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(buf)
}

/// "7:3" as numbers.
pub fn parse_majmin(majmin: &str) -> Option<(u64, u64)> {
    let (a, b) = majmin.split_once(':')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_block_device_of_the_right_number_is_read() {
        // /dev/null is a character device: refused before any read.
        let e = read_superblock(Path::new("/dev/null"), 1, 3).unwrap_err();
        assert!(matches!(e, BlockError::NotBlock { .. }), "{e}");
        let e = read_superblock(Path::new("/nonexistent/dev"), 7, 0).unwrap_err();
        assert!(matches!(e, BlockError::Open { .. }), "{e}");
        assert_eq!(parse_majmin("254:17"), Some((254, 17)));
        assert_eq!(parse_majmin("254"), None);
    }
}
