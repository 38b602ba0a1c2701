//! A support bundle on disk: a tar file (or a folder) holding
//!
//! ```text
//! ha-preflight-bundle/README.txt   what the bundle holds, in words
//! ha-preflight-bundle/meta.json    the box's name, when it was taken, by which version
//! ha-preflight-bundle/tape.json    every question the checks asked and its answer
//! ha-preflight-bundle/spec/*.toml  the spec in force
//! ha-preflight-bundle/report.txt   what the checks said on the box, as it was taken
//! ```
//!
//! The tar is plain ustar, written and read here (a few dozen lines, no dependency):
//! regular files only, names under 100 bytes. Reading is bounded: a bundle is at most
//! 64 MiB and a member at most `tape::MAX_TAPE_BYTES` plus a margin.

use super::output;
use nix::errno::Errno;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use thiserror::Error;

const TOP: &str = "ha-preflight-bundle";
const MAX_BUNDLE_BYTES: u64 = 64 << 20;

/// Who took a bundle, and when.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Meta {
    pub tool: String,
    pub version: String,
    pub host: String,
    /// Seconds since the epoch.
    pub taken_at: i64,
    /// The same, as people read it (UTC).
    pub taken: String,
    /// The spec files, by name, in `spec/`.
    pub spec: Vec<String>,
    /// What the box itself concluded when the bundle was taken: its verdict, then its
    /// root causes' check ids (a replay's header says it, and says so when the replay
    /// differs). Empty in older bundles, which did not record it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub said: Vec<String>,
    /// Each setting whose value was replaced by `redact::PLACEHOLDER`, as "FILE: KEY"
    /// (FILE: what was read, a path or a program's command line), never the value.
    /// Absent in bundles taken before redaction: read as none.
    #[serde(default)]
    pub redacted: Vec<String>,
}

/// A bundle read back.
#[derive(Debug)]
pub struct Bundle {
    pub meta: Meta,
    pub tape: BTreeMap<String, Value>,
    /// (name, text) of each spec file.
    pub spec: Vec<(String, String)>,
}

#[derive(Debug, Error)]
pub enum BundleError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: not a support bundle: {why}", path.display())]
    Malformed { path: PathBuf, why: BundleFlaw },
}

/// What is wrong with what `--bundle` names, by the member it is about.
#[derive(Debug, Error)]
pub enum BundleFlaw {
    /// Not a ustar archive: a report in JSON, a compressed tar.
    #[error(
        "not a tar archive (a bundle is the FILE.tar, uncompressed, or the DIR/ that \
         `collect` writes)"
    )]
    NotTar,
    #[error("member `{name}`: bad size")]
    BadSize { name: String },
    #[error("member `{name}` runs past the end")]
    PastEnd { name: String },
    /// See `bad_name`.
    #[error("member `{name}`: {why}; refused")]
    BadName { name: String, why: &'static str },
    #[error("member `{name}`: larger than {limit} bytes")]
    TooLarge { name: String, limit: usize },
    /// The folder itself could not be opened as one.
    #[error("{}", errno.desc())]
    Folder { errno: Errno },
    /// A member of a folder bundle could not be opened (a link is named as one).
    #[error("member `{member}`: {}", refused(*errno))]
    Refused { member: String, errno: Errno },
    /// A member of a folder bundle could not be read: not a regular file, too large.
    #[error("member `{member}`: {source}")]
    Unread { member: String, source: io::Error },
    #[error("no {0}")]
    Missing(&'static str),
    #[error("{member}: {source}")]
    Json {
        member: &'static str,
        source: serde_json::Error,
    },
    #[error("no spec/*.toml: the bundle carries the spec it was taken with")]
    NoSpec,
    /// An entry of a folder of bundles that is a link: not followed.
    #[error("a symlink; not followed")]
    Link,
    /// A folder of bundles with none in it, or more than [`MAX_FLEET`].
    #[error("a folder of bundles holds 1 to {MAX_FLEET}, not {0}")]
    Count(usize),
}

/// The most bundles a folder of bundles may hold.
pub const MAX_FLEET: usize = 256;

/// What README.txt says.
fn readme(meta: &Meta, entries: usize) -> String {
    let mut text = format!(
        "A support bundle of ha-preflight {version}, taken on {host} at {taken}.\n\n\
         It holds what the checks read on that box, and nothing else: the kernel state\n\
         (/proc and /sys files), the box's files the spec names (read bounded; private\n\
         keys and shadow files are withheld), ifupdown's state, DRBD's status output, the\n\
         answers of xcbdaemon, statfs and lock probes, and the spec in force (spec/).\n\
         report.txt is what the checks said on the box when it was taken.\n\
         tape.json lists every question and its answer ({entries} of them).\n\n\
         Secret values are replaced by {placeholder} where they were read, and in\n\
         report.txt: DRBD's shared-secret, every NAME=VALUE setting whose name holds\n\
         PASS, SECRET, TOKEN, KEY, CREDENTIAL or AUTH (in any case), and the names the\n\
         spec's [bundle] redact lists. Redacted (file: setting):\n",
        version = meta.version,
        host = meta.host,
        taken = meta.taken,
        placeholder = super::redact::PLACEHOLDER,
    );
    for r in &meta.redacted {
        text = text + "  " + r + "\n";
    }
    if meta.redacted.is_empty() {
        text.push_str("  nothing\n");
    }
    text + "\nReplay it anywhere with: ha-preflight --bundle THIS-FILE\n"
}

/// The members of a bundle: (name under the top folder, content).
fn members(
    meta: &Meta,
    tape: &BTreeMap<String, Value>,
    spec: &[(String, String)],
    report: &str,
) -> Vec<(String, Vec<u8>)> {
    let json = |v: &dyn erased::Ser| v.to_json();
    let mut out = vec![
        (
            "README.txt".to_string(),
            readme(meta, tape.len()).into_bytes(),
        ),
        ("meta.json".to_string(), json(meta)),
        ("tape.json".to_string(), json(tape)),
        ("report.txt".to_string(), report.as_bytes().to_vec()),
    ];
    for (name, text) in spec {
        out.push((format!("spec/{name}"), text.clone().into_bytes()));
    }
    out
}

mod erased {
    pub trait Ser {
        fn to_json(&self) -> Vec<u8>;
    }
    impl<T: serde::Serialize> Ser for T {
        fn to_json(&self) -> Vec<u8> {
            // Plain maps and strings: serialization cannot fail; if it ever did, the
            // member is an empty object and reading it back says the bundle is broken.
            serde_json::to_vec_pretty(self).unwrap_or_else(|_| b"{}".to_vec())
        }
    }
}

/// Writes a bundle to `path`: a folder `path/ha-preflight-bundle` when `path` ends in `/`
/// or is a folder (not a link to one), else a tar file. Either is written whole or not at
/// all, and never into or through what was already there (`output`); a stream target
/// (a FIFO) is given `limit` to take the tar.
pub fn write(
    path: &Path,
    meta: &Meta,
    tape: &BTreeMap<String, Value>,
    spec: &[(String, String)],
    report: &str,
    limit: std::time::Duration,
) -> Result<u64, output::WriteError> {
    let members = members(meta, tape, spec, report);
    let as_dir = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
        || path.as_os_str().to_string_lossy().ends_with('/');
    if as_dir {
        output::folder(path, TOP, &members)?;
        return Ok(members.iter().map(|(_, b)| b.len() as u64).sum());
    }
    let mut tar = Vec::new();
    for (name, bytes) in &members {
        tar_member(&mut tar, &format!("{TOP}/{name}"), bytes, meta.taken_at).map_err(|e| {
            output::WriteError {
                path: path.to_path_buf(),
                why: e.into(),
            }
        })?;
    }
    tar.extend_from_slice(&[0u8; 1024]);
    output::file(path, &tar, output::BUNDLE_MODE, limit)?;
    Ok(tar.len() as u64)
}

/// One ustar member: a 512-byte header, the content, padding to 512.
fn tar_member(out: &mut Vec<u8>, name: &str, bytes: &[u8], mtime: i64) -> io::Result<()> {
    if name.len() >= 100 {
        return Err(io::Error::other(format!("member name too long: {name}")));
    }
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    let octal = |h: &mut [u8; 512], at: usize, len: usize, v: u64| {
        let s = format!("{v:0width$o}", width = len - 1);
        h[at..at + len - 1].copy_from_slice(s.as_bytes());
    };
    octal(&mut h, 100, 8, output::BUNDLE_MODE as u64);
    octal(&mut h, 108, 8, 0);
    octal(&mut h, 116, 8, 0);
    octal(&mut h, 124, 12, bytes.len() as u64);
    octal(&mut h, 136, 12, mtime.max(0) as u64);
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| b as u32).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
    out.extend_from_slice(&h);
    out.extend_from_slice(bytes);
    out.resize(out.len().div_ceil(512) * 512, 0);
    Ok(())
}

/// The most a member other than tape.json holds (meta.json, README.txt, a spec file).
const MAX_MEMBER_BYTES: usize = 1 << 20;
/// The most tape.json holds: a full tape, pretty-printed.
const MAX_TAPE_MEMBER: usize = super::tape::MAX_TAPE_BYTES + super::tape::MAX_TAPE_BYTES / 4;

/// The limit of a member, by its name under the top folder.
fn member_limit(name: &str) -> usize {
    if name == "tape.json" {
        MAX_TAPE_MEMBER
    } else {
        MAX_MEMBER_BYTES
    }
}

/// Why a member's name is refused: a bundle names its members plainly, so `..`, an
/// absolute name or a folder inside spec/ is an attempt to have something else read
/// as (or blamed on) a spec file.
fn bad_name(name: &str) -> Option<&'static str> {
    if name.starts_with('/') || name.split('/').any(|c| c == "..") {
        return Some("an absolute name or `..`");
    }
    let spec = name.strip_prefix(TOP)?.strip_prefix("/spec/")?;
    spec.contains('/').then_some("a folder inside spec/")
}

/// The members of a ustar archive (regular files), by name.
fn untar(bytes: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, BundleFlaw> {
    // A tar's first header says "ustar" (POSIX and GNU alike); anything else (a report
    // in JSON, a gzipped tar) is named for what it is not, not read as member names.
    let empty = bytes.len() >= 512 && bytes[..512].iter().all(|&b| b == 0);
    if !empty && bytes.get(257..262) != Some(b"ustar".as_slice()) {
        return Err(BundleFlaw::NotTar);
    }
    let mut out = BTreeMap::new();
    let mut at = 0;
    while at + 512 <= bytes.len() {
        let h = &bytes[at..at + 512];
        if h.iter().all(|&b| b == 0) {
            break;
        }
        let field = |from: usize, len: usize| {
            let raw = &h[from..from + len];
            let end = raw.iter().position(|&b| b == 0).unwrap_or(len);
            String::from_utf8_lossy(&raw[..end]).trim().to_string()
        };
        let name = field(0, 100);
        let size = u64::from_str_radix(&field(124, 12), 8)
            .map_err(|_| BundleFlaw::BadSize { name: name.clone() })?;
        let start = at + 512;
        // A size past usize (above 4 GiB on a 32-bit target) is past the end too, not
        // cut down to its low bits.
        let size = usize::try_from(size).map_err(|_| BundleFlaw::PastEnd { name: name.clone() })?;
        let end = start
            .checked_add(size)
            .filter(|&e| e <= bytes.len())
            .ok_or_else(|| BundleFlaw::PastEnd { name: name.clone() })?;
        if let Some(why) = bad_name(&name) {
            return Err(BundleFlaw::BadName { name, why });
        }
        if matches!(h[156], b'0' | 0) {
            let limit = member_limit(name.strip_prefix(&format!("{TOP}/")).unwrap_or(""));
            if end - start > limit {
                return Err(BundleFlaw::TooLarge { name, limit });
            }
            out.insert(name, bytes[start..end].to_vec());
        }
        at = start + size.div_ceil(512) * 512;
    }
    Ok(out)
}

/// Reads a bundle from a tar file or a folder (the folder that holds
/// `ha-preflight-bundle/`, or that folder itself).
pub fn read(path: &Path) -> Result<Bundle, BundleError> {
    read_as(path, true)
}

/// Whether the folder `path` is a bundle (holds `ha-preflight-bundle/` or `meta.json`)
/// rather than a folder of bundles.
pub fn is_bundle_folder(path: &Path) -> bool {
    [TOP, "meta.json"]
        .iter()
        .any(|name| std::fs::symlink_metadata(path.join(name)).is_ok())
}

/// The entries of a folder of bundles, in name order, each to be read with
/// [`read_entry`]: what each is, its content says.
pub fn entries(path: &Path) -> Result<Vec<PathBuf>, BundleError> {
    let io = |source| BundleError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(path).map_err(io)? {
        out.push(path.join(entry.map_err(io)?.file_name()));
        if out.len() > MAX_FLEET {
            break;
        }
    }
    if out.is_empty() || out.len() > MAX_FLEET {
        return Err(BundleError::Malformed {
            path: path.to_path_buf(),
            why: BundleFlaw::Count(out.len()),
        });
    }
    use std::os::unix::ffi::OsStrExt;
    crate::model::sort::sort_by(&mut out, |a, b| {
        a.as_os_str().as_bytes().cmp(b.as_os_str().as_bytes())
    });
    Ok(out)
}

/// Reads an entry of a folder of bundles as [`read`] does, not following it if it is a
/// link.
pub fn read_entry(path: &Path) -> Result<Bundle, BundleError> {
    read_as(path, false)
}

fn read_as(path: &Path, follow: bool) -> Result<Bundle, BundleError> {
    let malformed = |why: BundleFlaw| BundleError::Malformed {
        path: path.to_path_buf(),
        why,
    };
    let io = |source| BundleError::Io {
        path: path.to_path_buf(),
        source,
    };
    let is_dir = match follow {
        true => path.is_dir(),
        false => std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()),
    };
    let files: BTreeMap<String, Vec<u8>> = if is_dir {
        read_folder(path, follow).map_err(malformed)?
    } else {
        let nofollow = if follow { 0 } else { nix::libc::O_NOFOLLOW };
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::libc::O_NONBLOCK | nix::libc::O_NOCTTY | nofollow)
            .open(path)
            .map_err(|e| match e.raw_os_error() {
                Some(nix::libc::ELOOP) if !follow => malformed(BundleFlaw::Link),
                _ => io(e),
            })?;
        untar(&bounded(file, MAX_BUNDLE_BYTES as usize).map_err(io)?).map_err(malformed)?
    };
    let member = |name: &'static str| {
        files
            .get(&format!("{TOP}/{name}"))
            .ok_or_else(|| malformed(BundleFlaw::Missing(name)))
    };
    let json = |member: &'static str| move |source| malformed(BundleFlaw::Json { member, source });
    let meta: Meta = serde_json::from_slice(member("meta.json")?).map_err(json("meta.json"))?;
    let tape: BTreeMap<String, Value> =
        serde_json::from_slice(member("tape.json")?).map_err(json("tape.json"))?;
    let prefix = format!("{TOP}/spec/");
    let spec: Vec<(String, String)> = files
        .iter()
        .filter_map(|(n, b)| {
            let name = n.strip_prefix(&prefix)?;
            Some((name.to_string(), String::from_utf8_lossy(b).into_owned()))
        })
        .collect();
    if spec.is_empty() {
        return Err(malformed(BundleFlaw::NoSpec));
    }
    Ok(Bundle { meta, tape, spec })
}

/// A folder bundle's members, by their names in a tar. Each is opened from its folder's
/// descriptor with O_NOFOLLOW, and must be a regular file within its limit: a link in
/// a bundle (to the analyst's files, /etc/shadow, a host folder) is refused, naming it.
/// With `follow` false, `path` itself is not followed either.
fn read_folder(path: &Path, follow: bool) -> Result<BTreeMap<String, Vec<u8>>, BundleFlaw> {
    use nix::fcntl::{OFlag, openat};
    use nix::sys::stat::Mode;
    let dir_flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let open_dir = |at: &std::os::fd::OwnedFd, name: &str| {
        openat(at, name, dir_flags, Mode::empty()).map_err(|e| {
            // O_DIRECTORY answers ENOTDIR for a link too: say which it is.
            let link = super::lfs::fstatat(at, name, nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW)
                .is_ok_and(|st| st.st_mode & nix::libc::S_IFMT == nix::libc::S_IFLNK);
            let errno = if link { Errno::ELOOP } else { e };
            BundleFlaw::Refused {
                member: name.to_string(),
                errno,
            }
        })
    };
    let given_flags = match follow {
        true => dir_flags & !OFlag::O_NOFOLLOW,
        false => dir_flags,
    };
    let given = openat(nix::fcntl::AT_FDCWD, path, given_flags, Mode::empty())
        .map_err(|errno| BundleFlaw::Folder { errno })?;
    let top = match open_dir(&given, TOP) {
        Ok(fd) => fd,
        Err(_)
            if super::lfs::fstatat(&given, TOP, nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW)
                .is_err() =>
        {
            given
        }
        Err(e) => return Err(e),
    };
    let mut files = BTreeMap::new();
    let mut take =
        |at: &std::os::fd::OwnedFd, name: &str, member: String| -> Result<(), BundleFlaw> {
            let flags = OFlag::O_RDONLY
                | OFlag::O_NOFOLLOW
                | OFlag::O_NONBLOCK
                | OFlag::O_NOCTTY
                | OFlag::O_CLOEXEC
                | super::lfs::LARGEFILE;
            let fd = match openat(at, name, flags, Mode::empty()) {
                Err(Errno::ENOENT) => return Ok(()),
                Err(errno) => return Err(BundleFlaw::Refused { member, errno }),
                Ok(fd) => fd,
            };
            let bytes = match bounded(std::fs::File::from(fd), member_limit(&member)) {
                Ok(bytes) => bytes,
                Err(source) => return Err(BundleFlaw::Unread { member, source }),
            };
            files.insert(format!("{TOP}/{member}"), bytes);
            Ok(())
        };
    for name in ["README.txt", "meta.json", "tape.json"] {
        take(&top, name, name.to_string())?;
    }
    let spec = match open_dir(&top, "spec") {
        Ok(fd) => fd,
        Err(_)
            if super::lfs::fstatat(&top, "spec", nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW)
                .is_err() =>
        {
            return Ok(files);
        }
        Err(e) => return Err(e),
    };
    // Listed through the descriptor: the folder that was opened, not a name again.
    use std::os::fd::AsRawFd;
    let listed =
        std::fs::read_dir(format!("/proc/self/fd/{}", spec.as_raw_fd())).map_err(|source| {
            BundleFlaw::Unread {
                member: "spec".into(),
                source,
            }
        })?;
    let names: Vec<String> = listed
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .take(256)
        .collect();
    for name in names {
        take(&spec, &name, format!("spec/{name}"))?;
    }
    Ok(files)
}

/// Words for a member that could not be opened: a link is named as one.
fn refused(e: Errno) -> &'static str {
    match e {
        Errno::ELOOP => "a symlink; not followed",
        Errno::ENOTDIR => "not a folder",
        e => e.desc(),
    }
}

/// An open file's bytes, if it is a regular file of at most `limit` bytes (FIFOs and
/// devices refused).
fn bounded(file: std::fs::File, limit: usize) -> io::Result<Vec<u8>> {
    if !file.metadata()?.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1).read_to_end(&mut bytes)?;
    if bytes.len() > limit {
        return Err(io::Error::other(format!("larger than {limit} bytes")));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file that is no tar (a JSON report given as a bundle) is named for what it is
    /// not; its bytes are not shown as a member's name.
    #[test]
    fn what_is_not_a_tar_is_said_to_be_none() {
        let mut json = b"{\"tool\": \"ha-preflight\", \"schema\": 1}\n".to_vec();
        json.resize(2048, b' ');
        for bytes in [&json[..], b"", b"short"] {
            let e = untar(bytes).unwrap_err();
            assert!(matches!(e, BundleFlaw::NotTar), "{e}");
            let e = e.to_string();
            assert!(e.starts_with("not a tar archive"), "{e}");
            assert!(!e.contains("tool"), "{e}");
        }
        assert_eq!(untar(&[0u8; 1024]).map(|m| m.len()).ok(), Some(0));
    }

    #[test]
    fn a_tar_reads_back_and_tar_reads_it_too() {
        let meta = Meta {
            tool: "ha-preflight".into(),
            version: "0.1.0".into(),
            host: "node-a".into(),
            taken_at: 1_764_000_000,
            taken: "2025-11-24 16:00:00 UTC".into(),
            spec: vec!["boot.toml".into()],
            said: vec!["fail".into(), "netrun-layout".into()],
            redacted: vec!["/etc/drbd.conf: shared-secret".into()],
        };
        let mut tape = BTreeMap::new();
        tape.insert(
            super::super::question::Question::Proc("drbd".into()).to_string(),
            serde_json::json!({"ok": "version: 8.4.11\n"}),
        );
        let spec = vec![("boot.toml".to_string(), "[[check]]\n".to_string())];
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("b.tar");
        write(
            &file,
            &meta,
            &tape,
            &spec,
            "report\n",
            std::time::Duration::from_secs(1),
        )
        .unwrap();
        let back = read(&file).unwrap();
        assert_eq!(back.meta, meta);
        let said = readme(&meta, 1);
        assert!(
            said.contains("Redacted (file: setting):\n  /etc/drbd.conf: shared-secret\n\n"),
            "{said}"
        );
        // A bundle taken before redaction has no `redacted`: none.
        let mut old = serde_json::to_value(&meta).unwrap();
        old.as_object_mut().unwrap().remove("redacted");
        let old: Meta = serde_json::from_value(old).unwrap();
        assert!(old.redacted.is_empty());
        assert!(readme(&old, 1).contains("Redacted (file: setting):\n  nothing\n"));
        assert_eq!(back.tape, tape);
        assert_eq!(back.spec, spec);
        // GNU tar reads what we write.
        let listed = std::process::Command::new("tar")
            .arg("tf")
            .arg(&file)
            .output()
            .unwrap();
        assert!(listed.status.success());
        let names = String::from_utf8_lossy(&listed.stdout);
        assert!(names.contains("ha-preflight-bundle/tape.json"), "{names}");
        // And a folder bundle reads back the same.
        let folder = dir.path().join("b/");
        std::fs::create_dir_all(&folder).unwrap();
        write(
            &folder,
            &meta,
            &tape,
            &spec,
            "report\n",
            std::time::Duration::from_secs(1),
        )
        .unwrap();
        assert_eq!(read(&folder).unwrap().tape, tape);
        assert!(read(&dir.path().join("missing.tar")).is_err());
    }

    #[test]
    fn what_is_wrong_with_a_bundle_is_typed_and_names_the_member() {
        let mut tar = Vec::new();
        tar_member(&mut tar, "ha-preflight-bundle/spec/../x.toml", b"", 0).unwrap();
        let e = untar(&tar).unwrap_err();
        assert!(matches!(e, BundleFlaw::BadName { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            "member `ha-preflight-bundle/spec/../x.toml`: an absolute name or `..`; refused"
        );
        // A folder bundle's member that is a link: refused as one, by its errno.
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path().join(TOP);
        std::fs::create_dir(&top).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", top.join("meta.json")).unwrap();
        let e = read_folder(dir.path(), true).unwrap_err();
        assert!(
            matches!(
                &e,
                BundleFlaw::Refused {
                    errno: Errno::ELOOP,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(e.to_string(), "member `meta.json`: a symlink; not followed");
    }

    /// A member whose size is 4 GiB and 16 bytes, followed by 16 bytes: past the end,
    /// also where usize has 32 bits and the size's low bits alone would say 16.
    #[test]
    fn a_size_past_4_gib_is_past_the_end_on_every_target() {
        let mut tar = Vec::new();
        tar_member(&mut tar, "ha-preflight-bundle/meta.json", &[b'x'; 16], 0).unwrap();
        tar[124..135].copy_from_slice(format!("{:011o}", (1u64 << 32) + 16).as_bytes());
        let e = untar(&tar).unwrap_err();
        assert!(matches!(e, BundleFlaw::PastEnd { .. }), "{e:?}");
    }
}
