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
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{self, Read};
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
    Malformed { path: PathBuf, why: String },
}

/// What README.txt says.
fn readme(meta: &Meta, entries: usize) -> String {
    format!(
        "A support bundle of ha-preflight {version}, taken on {host} at {taken}.\n\n\
         It holds what the checks read on that box, and nothing else: the kernel state\n\
         (/proc and /sys files), the box's files the spec names (read bounded; private\n\
         keys and shadow files are withheld), ifupdown's state, DRBD's status output, the\n\
         answers of xcbdaemon, statfs and lock probes, and the spec in force (spec/).\n\
         report.txt is what the checks said on the box when it was taken.\n\
         tape.json lists every question and its answer ({entries} of them).\n\n\
         Replay it anywhere with: ha-preflight --bundle THIS-FILE\n",
        version = meta.version,
        host = meta.host,
        taken = meta.taken,
    )
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

/// The members of a ustar archive (regular files), by name.
fn untar(bytes: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, String> {
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
            .map_err(|_| format!("member {name:?}: bad size"))?;
        let start = at + 512;
        let end = start
            .checked_add(size as usize)
            .filter(|&e| e <= bytes.len())
            .ok_or_else(|| format!("member {name:?} runs past the end"))?;
        if matches!(h[156], b'0' | 0) {
            out.insert(name, bytes[start..end].to_vec());
        }
        at = start + (size as usize).div_ceil(512) * 512;
    }
    Ok(out)
}

/// Reads a bundle from a tar file or a folder (the folder that holds
/// `ha-preflight-bundle/`, or that folder itself).
pub fn read(path: &Path) -> Result<Bundle, BundleError> {
    let malformed = |why: String| BundleError::Malformed {
        path: path.to_path_buf(),
        why,
    };
    let io = |source| BundleError::Io {
        path: path.to_path_buf(),
        source,
    };
    let files: BTreeMap<String, Vec<u8>> = if path.is_dir() {
        let top = if path.join(TOP).is_dir() {
            path.join(TOP)
        } else {
            path.to_path_buf()
        };
        let mut files = BTreeMap::new();
        for name in ["README.txt", "meta.json", "tape.json"] {
            if let Ok(bytes) = bounded(&top.join(name)) {
                files.insert(format!("{TOP}/{name}"), bytes);
            }
        }
        if let Ok(entries) = std::fs::read_dir(top.join("spec")) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.ends_with(".toml") {
                    files.insert(
                        format!("{TOP}/spec/{name}"),
                        bounded(&e.path()).map_err(io)?,
                    );
                }
            }
        }
        files
    } else {
        untar(&bounded(path).map_err(io)?).map_err(malformed)?
    };
    let get = |name: &str| {
        files
            .get(&format!("{TOP}/{name}"))
            .ok_or_else(|| malformed(format!("no {name}")))
    };
    let meta: Meta = serde_json::from_slice(get("meta.json")?)
        .map_err(|e| malformed(format!("meta.json: {e}")))?;
    let tape: BTreeMap<String, Value> = serde_json::from_slice(get("tape.json")?)
        .map_err(|e| malformed(format!("tape.json: {e}")))?;
    let prefix = format!("{TOP}/spec/");
    let spec: Vec<(String, String)> = files
        .iter()
        .filter_map(|(n, b)| {
            let name = n.strip_prefix(&prefix)?;
            Some((name.to_string(), String::from_utf8_lossy(b).into_owned()))
        })
        .collect();
    if spec.is_empty() {
        return Err(malformed(
            "no spec/*.toml: the bundle carries the spec it was taken with".into(),
        ));
    }
    Ok(Bundle { meta, tape, spec })
}

/// A regular file's bytes, at most the bundle limit (FIFOs and devices refused).
fn bounded(path: &Path) -> io::Result<Vec<u8>> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_BUNDLE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_BUNDLE_BYTES {
        return Err(io::Error::other(format!(
            "larger than {} MiB: not a bundle",
            MAX_BUNDLE_BYTES >> 20
        )));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tar_reads_back_and_tar_reads_it_too() {
        let meta = Meta {
            tool: "ha-preflight".into(),
            version: "0.1.0".into(),
            host: "node-a".into(),
            taken_at: 1_764_000_000,
            taken: "2025-11-24 16:00:00 UTC".into(),
            spec: vec!["boot.toml".into()],
        };
        let mut tape = BTreeMap::new();
        tape.insert(
            "proc drbd".to_string(),
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
}
