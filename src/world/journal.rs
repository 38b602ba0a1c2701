//! Structured entries to systemd's journal, in its native protocol
//! (systemd.io/JOURNAL_NATIVE_PROTOCOL): one datagram per entry on journald's socket,
//! its fields `NAME=value` lines, or `NAME`, a newline, the value's length as a
//! little-endian u64, the value and a newline when the value has newlines of its own. An
//! entry too big for a datagram goes in a sealed memfd whose descriptor is the
//! datagram's only content. Written by hand, like `notify`: a few system calls the
//! `nix` crate already wraps, where a client library would add its own copies of them to
//! a binary with a size budget.
//!
//! Which entries the run makes is `report::journal`'s; this only encodes and sends them.
//! Whether there is a journal to send to at all: [`is_stream`].

use nix::fcntl::{FcntlArg, SealFlag, fcntl};
use nix::sys::memfd::{MFdFlags, memfd_create};
use nix::sys::socket::{ControlMessage, MsgFlags, sendmsg};
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::time::Duration;
use thiserror::Error;

/// Where journald listens for native entries.
pub const SOCKET: &str = "/run/systemd/journal/socket";

/// How long one entry may wait for room in journald's queue. A journald that is busy at
/// boot drains its socket in milliseconds; one that is stuck must not hold the gate: the
/// run's verdict is on the console and in its exit status already.
const SEND_TIMEOUT: Duration = Duration::from_secs(1);

/// Whether `fd` is the stream systemd connected to the journal. systemd says which in
/// JOURNAL_STREAM, as `DEVICE:INODE` of that stream; a program started by such a service
/// inherits the variable with its own output elsewhere (a pipe, a file), so the numbers
/// are held against what `fd` really is.
pub fn is_stream(fd: impl AsFd) -> bool {
    names(std::env::var_os("JOURNAL_STREAM").as_deref(), fd)
}

/// Whether JOURNAL_STREAM's `value` names `fd`.
fn names(value: Option<&std::ffi::OsStr>, fd: impl AsFd) -> bool {
    let Some((dev, ino)) = value
        .and_then(|v| v.to_str())
        .and_then(|v| v.split_once(':'))
    else {
        return false;
    };
    let (Ok(dev), Ok(ino)) = (dev.parse::<u64>(), ino.parse::<u64>()) else {
        return false;
    };
    super::lfs::fstat(fd).is_ok_and(|st| st.st_dev == dev && st.st_ino == ino)
}

/// One entry, its fields encoded as they are added.
#[derive(Debug, Clone, Default)]
pub struct Entry {
    bytes: Vec<u8>,
}

impl Entry {
    pub fn new() -> Entry {
        Entry::default()
    }

    /// Adds the field `name` (the program's own: upper-case letters, digits and `_`, not
    /// first, as journald requires) with `value`. A field may come more than once in an
    /// entry (journalctl's JSON gives such a field as an array).
    pub fn field(&mut self, name: &str, value: &str) -> &mut Entry {
        debug_assert!(is_field_name(name), "not a journal field name: {name:?}");
        self.bytes.extend_from_slice(name.as_bytes());
        if value.contains('\n') {
            self.bytes.push(b'\n');
            self.bytes
                .extend_from_slice(&(value.len() as u64).to_le_bytes());
        } else {
            self.bytes.push(b'=');
        }
        self.bytes.extend_from_slice(value.as_bytes());
        self.bytes.push(b'\n');
        self
    }

    /// The entry as the protocol carries it.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// What journald takes as a field a client may set: at most 64 bytes of `A-Z`, `0-9` and
/// `_`, not starting with `_` (those are the fields journald sets itself) or a digit.
pub fn is_field_name(name: &str) -> bool {
    name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && name.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
}

/// Why an entry did not reach the journal: the socket, and what the kernel said.
#[derive(Debug, Error)]
pub enum JournalError {
    /// Nothing listens there (no journald: not under systemd, or early in a boot).
    #[error("{}: {source}", path.display())]
    Connect { path: PathBuf, source: io::Error },
    #[error("{}: cannot send an entry of {len} bytes: {source}", path.display())]
    Send {
        path: PathBuf,
        len: usize,
        source: io::Error,
    },
    /// Too big for a datagram, and the memfd that would have carried it failed.
    #[error("{}: cannot pass an entry of {len} bytes in a memfd: {source}", path.display())]
    Memfd {
        path: PathBuf,
        len: usize,
        source: io::Error,
    },
}

/// A datagram socket connected to journald's (or, in tests, to a stand-in's).
#[derive(Debug)]
pub struct Journal {
    socket: UnixDatagram,
    path: PathBuf,
}

impl Journal {
    /// Connected to the socket at `path`: [`SOCKET`] in the program. Err when nothing
    /// listens there.
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        let connect = || -> io::Result<UnixDatagram> {
            let socket = UnixDatagram::unbound()?;
            socket.connect(path)?;
            socket.set_write_timeout(Some(SEND_TIMEOUT))?;
            Ok(socket)
        };
        let socket = connect().map_err(|source| JournalError::Connect {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Journal {
            socket,
            path: path.to_path_buf(),
        })
    }

    /// Sends one entry: as a datagram, or, when it is too big for one (EMSGSIZE, or
    /// ENOBUFS for a socket buffer smaller than it, as sd_journal_sendv takes both), as a
    /// sealed memfd.
    pub fn send(&self, entry: &Entry) -> Result<(), JournalError> {
        let bytes = entry.as_bytes();
        match self.socket.send(bytes) {
            Ok(_) => Ok(()),
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(nix::libc::EMSGSIZE | nix::libc::ENOBUFS)
                ) =>
            {
                self.send_memfd(bytes)
                    .map_err(|source| JournalError::Memfd {
                        path: self.path.clone(),
                        len: bytes.len(),
                        source,
                    })
            }
            Err(source) => Err(JournalError::Send {
                path: self.path.clone(),
                len: bytes.len(),
                source,
            }),
        }
    }

    /// The entry written to a memfd, sealed against every change (journald refuses a
    /// memfd that is not: the sender could change it while it is read), and its
    /// descriptor sent as SCM_RIGHTS with no payload, the protocol's other form.
    fn send_memfd(&self, bytes: &[u8]) -> io::Result<()> {
        let fd = memfd_create(
            c"ha-preflight-journal",
            MFdFlags::MFD_CLOEXEC | MFdFlags::MFD_ALLOW_SEALING,
        )?;
        let mut file = std::fs::File::from(fd);
        file.write_all(bytes)?;
        fcntl(
            &file,
            FcntlArg::F_ADD_SEALS(
                SealFlag::F_SEAL_SHRINK
                    | SealFlag::F_SEAL_GROW
                    | SealFlag::F_SEAL_WRITE
                    | SealFlag::F_SEAL_SEAL,
            ),
        )?;
        let fds = [file.as_raw_fd()];
        sendmsg::<()>(
            self.socket.as_raw_fd(),
            &[],
            &[ControlMessage::ScmRights(&fds)],
            MsgFlags::empty(),
            None,
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Sending, and reading back what was sent (a datagram, a memfd): tests/journal.rs,
    // with the stand-in journald of `testing::journald`.

    #[test]
    fn fields_are_encoded_as_the_protocol_says() {
        let mut entry = Entry::new();
        entry
            .field("MESSAGE", "lo is down")
            .field("HA_PREFLIGHT_EVIDENCE", "one\ntwo")
            .field("HA_PREFLIGHT_ROOT_CAUSE", "a")
            .field("HA_PREFLIGHT_ROOT_CAUSE", "b");
        let mut want = b"MESSAGE=lo is down\nHA_PREFLIGHT_EVIDENCE\n".to_vec();
        want.extend_from_slice(&7u64.to_le_bytes());
        want.extend_from_slice(b"one\ntwo\nHA_PREFLIGHT_ROOT_CAUSE=a\nHA_PREFLIGHT_ROOT_CAUSE=b\n");
        assert_eq!(entry.as_bytes(), want);
    }

    #[test]
    fn field_names_are_what_journald_takes() {
        for ok in ["MESSAGE", "HA_PREFLIGHT_CHECK", "A1"] {
            assert!(is_field_name(ok), "{ok}");
        }
        for bad in ["", "_PID", "1A", "message", "HA-PREFLIGHT", &"A".repeat(65)] {
            assert!(!is_field_name(bad), "{bad}");
        }
    }

    #[test]
    fn no_listener_is_an_error_naming_the_socket() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("socket");
        let e = Journal::open(&path).expect_err("nothing listens");
        assert!(matches!(e, JournalError::Connect { .. }), "{e:?}");
        assert!(
            e.to_string().starts_with(&path.display().to_string()),
            "{e}"
        );
    }

    /// JOURNAL_STREAM names a stream by device and inode: another file, or a value that
    /// is not two numbers, is not the journal.
    #[test]
    fn the_stream_is_told_by_its_device_and_inode() {
        let file = tempfile::tempfile().expect("a file");
        let st = crate::world::lfs::fstat(&file).expect("fstat");
        let value = std::ffi::OsString::from(format!("{}:{}", st.st_dev, st.st_ino));
        assert!(names(Some(&value), &file));
        let other = tempfile::tempfile().expect("another file");
        assert!(!names(Some(&value), &other));
        for bad in ["garbage", "1:", ":2", ""] {
            assert!(!names(Some(std::ffi::OsStr::new(bad)), &file), "{bad}");
        }
        assert!(!names(None, &file));
    }
}
