//! stat, statvfs, open and directory listings with 64-bit inode numbers, sizes, block
//! counts and directory offsets on every target, 32-bit ARM's glibc (the armhf build)
//! included.
//!
//! nix calls libc's `fstat`, `fstatat`, `statvfs`, `openat` and `readdir`. On a 64-bit
//! target, and on musl everywhere, those are the 64-bit interfaces already. On a 32-bit
//! glibc they are the old ones, which fail with EOVERFLOW where a value does not fit in
//! 32 bits: an inode number of XFS, btrfs, an overlay or a tmpfs with `inode64`, a file
//! of 2 GiB or more, a filesystem of more than 2^32 blocks or inodes, a directory offset
//! (ext4's hashed folders give 64-bit ones when a 64-bit kernel answers, as under
//! qemu-user, where nix's readdir failed at the first entry of every folder and the
//! image walk saw empty trees). There, this module calls glibc's large-file interfaces
//! instead (`fstat64`, `fstatat64`, `statvfs64`, O_LARGEFILE, and `getdents64` for the
//! names). libc offers them whole, as `_FILE_OFFSET_BITS=64`, only together with 64-bit
//! `time_t` (`libc_unstable_gnu_time_bits`), and nix does not build with that
//! (nix-rust/nix#2778): so on the armhf build a modification time past January 2038
//! still fails with EOVERFLOW.
//!
//! Everywhere else this module is nix's own functions, so those builds do what they did.

#[cfg(not(all(target_os = "linux", target_env = "gnu", target_pointer_width = "32")))]
pub use nix::sys::stat::{FileStat, fstat, fstatat};
#[cfg(not(all(target_os = "linux", target_env = "gnu", target_pointer_width = "32")))]
pub use nix::sys::statvfs::statvfs;

#[cfg(all(target_os = "linux", target_env = "gnu", target_pointer_width = "32"))]
pub use glibc32::{FileStat, Statvfs, fstat, fstatat, statvfs};

/// Added to the flags of an open (not O_PATH) that nix or openat2 makes: a 32-bit kernel
/// refuses a file of 2 GiB or more to an open without O_LARGEFILE (EOVERFLOW, where the
/// check expects to read a bounded part or say it is too large). glibc's own `openat`
/// leaves it out on a 32-bit target; a 64-bit kernel adds it itself. None elsewhere.
#[cfg(all(target_os = "linux", target_env = "gnu", target_pointer_width = "32"))]
pub const LARGEFILE: nix::fcntl::OFlag = nix::fcntl::OFlag::O_LARGEFILE;
#[cfg(not(all(target_os = "linux", target_env = "gnu", target_pointer_width = "32")))]
pub const LARGEFILE: nix::fcntl::OFlag = nix::fcntl::OFlag::empty();

/// Calls `each` with the name of every entry of the directory (`.` and `..` included),
/// in the order the kernel lists them, until it breaks. An entry that cannot be read is
/// left out: the walk judges what it could list.
#[cfg(not(all(target_os = "linux", target_env = "gnu", target_pointer_width = "32")))]
pub fn each_name(
    dir: &mut nix::dir::Dir,
    mut each: impl FnMut(&[u8]) -> std::ops::ControlFlow<()>,
) {
    for item in dir.iter() {
        let Ok(item) = item else { continue };
        if each(item.file_name().to_bytes()).is_break() {
            return;
        }
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu", target_pointer_width = "32"))]
pub use glibc32::each_name;

#[cfg(all(target_os = "linux", target_env = "gnu", target_pointer_width = "32"))]
mod glibc32 {
    use nix::NixPath;
    use nix::errno::Errno;
    use nix::fcntl::AtFlags;
    use nix::libc;
    use std::mem::MaybeUninit;
    use std::ops::ControlFlow;
    use std::os::fd::{AsFd, AsRawFd};

    /// `struct stat64`: the fields of `struct stat`, the inode number and size in 64 bits.
    pub type FileStat = libc::stat64;

    /// fstat(2) through glibc's `fstat64`.
    pub fn fstat<Fd: AsFd>(fd: Fd) -> nix::Result<FileStat> {
        let mut st = MaybeUninit::<FileStat>::uninit();
        // SAFETY: the buffer is a `struct stat64`, which fstat64 fills when it succeeds.
        let res = unsafe { libc::fstat64(fd.as_fd().as_raw_fd(), st.as_mut_ptr()) };
        // SAFETY: filled, as res says.
        Errno::result(res).map(|_| unsafe { st.assume_init() })
    }

    /// fstatat(2) through glibc's `fstatat64`.
    pub fn fstatat<Fd: AsFd, P: ?Sized + NixPath>(
        dirfd: Fd,
        path: &P,
        flags: AtFlags,
    ) -> nix::Result<FileStat> {
        let mut st = MaybeUninit::<FileStat>::uninit();
        let res = path.with_nix_path(|name| {
            // SAFETY: a NUL-terminated name and a `struct stat64` buffer.
            unsafe {
                libc::fstatat64(
                    dirfd.as_fd().as_raw_fd(),
                    name.as_ptr(),
                    st.as_mut_ptr(),
                    flags.bits(),
                )
            }
        })?;
        // SAFETY: filled, as res says.
        Errno::result(res).map(|_| unsafe { st.assume_init() })
    }

    /// What `statvfs64` says, with the accessors of nix's `Statvfs` that the checks use.
    pub struct Statvfs(libc::statvfs64);

    impl Statvfs {
        pub fn fragment_size(&self) -> u64 {
            self.0.f_frsize.into()
        }
        pub fn blocks(&self) -> u64 {
            self.0.f_blocks
        }
        pub fn blocks_available(&self) -> u64 {
            self.0.f_bavail
        }
        pub fn files(&self) -> u64 {
            self.0.f_files
        }
        pub fn files_available(&self) -> u64 {
            self.0.f_favail
        }
    }

    /// statvfs(3) through glibc's `statvfs64`.
    pub fn statvfs<P: ?Sized + NixPath>(path: &P) -> nix::Result<Statvfs> {
        let mut st = MaybeUninit::<libc::statvfs64>::uninit();
        // SAFETY: a NUL-terminated path and a `struct statvfs64` buffer.
        let res =
            path.with_nix_path(|p| unsafe { libc::statvfs64(p.as_ptr(), st.as_mut_ptr()) })?;
        // SAFETY: filled, as res says.
        Errno::result(res).map(|_| Statvfs(unsafe { st.assume_init() }))
    }

    /// The names, from getdents64(2) on the directory's descriptor: its entries are
    /// `struct linux_dirent64` (u64 inode, i64 offset, u16 record length, u8 type, the
    /// NUL-terminated name), the same on every architecture. The `Dir` is fresh, so its
    /// descriptor is at the start, and its own readdir buffer is never used.
    /// A failed getdents64 ends the listing.
    pub fn each_name(dir: &mut nix::dir::Dir, mut each: impl FnMut(&[u8]) -> ControlFlow<()>) {
        const NAME_AT: usize = 19; // 8 + 8 + 2 + 1
        let fd = dir.as_raw_fd();
        let mut buf = vec![0u8; 32 << 10];
        loop {
            // SAFETY: the kernel writes at most buf.len() bytes into buf.
            let n = unsafe {
                libc::syscall(
                    libc::SYS_getdents64,
                    fd,
                    buf.as_mut_ptr().cast::<libc::c_void>(),
                    buf.len(),
                )
            };
            let Ok(n) = usize::try_from(n) else { return };
            if n == 0 {
                return;
            }
            let mut at = 0;
            while at + NAME_AT <= n {
                let reclen = usize::from(u16::from_ne_bytes([buf[at + 16], buf[at + 17]]));
                if reclen < NAME_AT || at + reclen > n {
                    return;
                }
                let name = &buf[at + NAME_AT..at + reclen];
                let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
                if each(&name[..end]).is_break() {
                    return;
                }
                at += reclen;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::fcntl::{AtFlags, OFlag};
    use nix::sys::stat::Mode;
    use std::collections::BTreeSet;
    use std::ops::ControlFlow;

    /// Every name of a folder too big for one getdents64 buffer, each once.
    #[test]
    fn lists_every_name_of_a_big_folder() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let mut want = BTreeSet::new();
        for i in 0..3000 {
            let name = format!("entry-with-a-longish-name-{i:05}");
            std::fs::write(dir.path().join(&name), b"").expect("a file");
            want.insert(name.into_bytes());
        }
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
        let mut d = nix::dir::Dir::open(dir.path(), flags, Mode::empty()).expect("opened");
        let mut got = Vec::new();
        each_name(&mut d, |name| {
            if name != b"." && name != b".." {
                got.push(name.to_vec());
            }
            ControlFlow::Continue(())
        });
        assert_eq!(got.len(), want.len());
        assert_eq!(got.into_iter().collect::<BTreeSet<_>>(), want);

        let mut d = nix::dir::Dir::open(dir.path(), flags, Mode::empty()).expect("opened");
        let mut seen = 0;
        each_name(&mut d, |_| {
            seen += 1;
            if seen == 10 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        assert_eq!(seen, 10, "the listing stops where the caller breaks");
    }

    /// A file of 3 GiB (sparse) has its size, not EOVERFLOW, on every target.
    #[test]
    fn stat_gives_sizes_past_4_gib() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("big");
        let file = std::fs::File::create(&path).expect("a file");
        file.set_len(5 << 30).expect("a sparse 5 GiB file");
        let st = fstat(&file).expect("fstat");
        assert_eq!(st.st_size, 5 << 30);
        let at = nix::fcntl::open(dir.path(), OFlag::O_PATH, Mode::empty()).expect("opened");
        let st = fstatat(&at, "big", AtFlags::AT_SYMLINK_NOFOLLOW).expect("fstatat");
        assert_eq!(st.st_size, 5 << 30);
        let space = statvfs(dir.path()).expect("statvfs");
        assert!(space.blocks() >= space.blocks_available());
    }
}
