//! A stand-in for journald, for the tests of the journal entries: a datagram socket in a
//! temporary folder that reads each entry as journald does (a datagram's payload, or the
//! content of the one sealed memfd a datagram carries), and a reader of the native
//! protocol's fields. One for the in-process tests and the binary's end-to-end test.

use nix::fcntl::{FcntlArg, SealFlag, fcntl};
use nix::sys::socket::{ControlMessageOwned, MsgFlags, recvmsg};
use std::collections::BTreeMap;
use std::io::{IoSliceMut, Read, Seek, SeekFrom};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The seals journald insists on: nothing may change the memfd while it is read.
fn sealed() -> SealFlag {
    SealFlag::F_SEAL_SHRINK | SealFlag::F_SEAL_GROW | SealFlag::F_SEAL_WRITE | SealFlag::F_SEAL_SEAL
}

/// How one entry came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carried {
    Datagram,
    Memfd,
}

/// A bound socket, standing in for /run/systemd/journal/socket.
pub struct Listener {
    socket: UnixDatagram,
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Listener {
    /// A socket named `socket` in a fresh temporary folder (under `in_dir`, or the
    /// system's), readable by anyone, as journald's is.
    pub fn new(in_dir: Option<&Path>) -> Listener {
        let dir = match in_dir {
            Some(d) => tempfile::tempdir_in(d),
            None => tempfile::tempdir(),
        }
        .expect("a temporary folder");
        let path = dir.path().join("socket");
        let socket = UnixDatagram::bind(&path).expect("bind the stand-in's socket");
        socket
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("a read timeout");
        Listener {
            socket,
            path,
            _dir: dir,
        }
    }

    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The folder that holds the socket (for a bind mount over /run/systemd/journal).
    pub fn dir(&self) -> &Path {
        self._dir.path()
    }

    /// The next entry's bytes and how they came; panics when the datagram breaks the
    /// protocol (a payload and a descriptor, several descriptors, an unsealed memfd), or
    /// when none comes within 10 s.
    pub fn receive(&self) -> (Vec<u8>, Carried) {
        self.try_receive().expect("an entry within 10 s")
    }

    /// The next entry, or None when none comes within `wait`.
    pub fn receive_within(&self, wait: Duration) -> Option<(Vec<u8>, Carried)> {
        self.socket
            .set_read_timeout(Some(wait))
            .expect("a read timeout");
        let got = self.try_receive();
        self.socket
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("a read timeout");
        got
    }

    fn try_receive(&self) -> Option<(Vec<u8>, Carried)> {
        let mut buf = vec![0u8; 1024 * 1024];
        let mut space = nix::cmsg_space!([RawFd; 4]);
        let (len, fds) = {
            let mut iov = [IoSliceMut::new(&mut buf)];
            let msg = recvmsg::<()>(
                self.socket.as_raw_fd(),
                &mut iov,
                Some(&mut space),
                MsgFlags::MSG_CMSG_CLOEXEC,
            )
            .ok()?;
            let mut fds = Vec::new();
            for c in msg.cmsgs().expect("control messages") {
                if let ControlMessageOwned::ScmRights(got) = c {
                    fds.extend(got);
                }
            }
            (msg.bytes, fds)
        };
        Some(match fds.as_slice() {
            [] => (buf[..len].to_vec(), Carried::Datagram),
            [fd] => {
                // SAFETY: the descriptor was just received, and nothing else owns it.
                let fd = unsafe { OwnedFd::from_raw_fd(*fd) };
                assert_eq!(len, 0, "a datagram with a memfd carries nothing else");
                let seals = fcntl(&fd, FcntlArg::F_GET_SEALS).expect("F_GET_SEALS");
                assert!(
                    SealFlag::from_bits_truncate(seals).contains(sealed()),
                    "the memfd is not sealed: {seals:#x}"
                );
                // From its start, as journald maps it: the sender's writes left the
                // offset (shared with the sender's descriptor) at the end.
                let mut file = std::fs::File::from(fd);
                file.seek(SeekFrom::Start(0)).expect("the memfd seeks");
                let mut bytes = Vec::new();
                file.read_to_end(&mut bytes).expect("the memfd reads");
                (bytes, Carried::Memfd)
            }
            more => panic!("{} descriptors in one datagram", more.len()),
        })
    }
}

/// An entry's fields, each with its values in the order they came.
pub type Fields = BTreeMap<String, Vec<String>>;

/// An entry read by the native protocol's rules: `NAME=value\n`, or `NAME\n`, a
/// little-endian u64 length, that many bytes, `\n`. Panics on anything else.
pub fn parse(mut bytes: &[u8]) -> Fields {
    let mut fields = Fields::new();
    while !bytes.is_empty() {
        let end = bytes
            .iter()
            .position(|&b| b == b'\n' || b == b'=')
            .expect("a field name ends in = or a newline");
        let name = String::from_utf8(bytes[..end].to_vec()).expect("a UTF-8 name");
        assert!(
            crate::world::journal::is_field_name(&name),
            "not a field name: {name:?}"
        );
        let rest = &bytes[end + 1..];
        let value = if bytes[end] == b'=' {
            let nl = rest.iter().position(|&b| b == b'\n').expect("a line end");
            bytes = &rest[nl + 1..];
            &rest[..nl]
        } else {
            let len = u64::from_le_bytes(rest[..8].try_into().expect("8 bytes of length"));
            let len = usize::try_from(len).expect("a length that fits");
            assert_eq!(rest[8 + len], b'\n', "a binary field ends in a newline");
            bytes = &rest[8 + len + 1..];
            &rest[8..8 + len]
        };
        fields
            .entry(name)
            .or_default()
            .push(String::from_utf8(value.to_vec()).expect("a UTF-8 value"));
    }
    fields
}

/// The one value of `name` in `fields`; panics when it is absent or repeated.
pub fn one<'f>(fields: &'f Fields, name: &str) -> &'f str {
    match fields.get(name).map(Vec::as_slice) {
        Some([value]) => value,
        other => panic!("{name}: {other:?} in {fields:#?}"),
    }
}
