//! A build host judged by the tests a package's maintainer script runs on it.
//!
//! ifupdown 0.6's postinst (quoted whole in `doc/incident.md`) decides where ifupdown
//! keeps its state when it is installed, in the chroot of the firmware build:
//!
//! ```sh
//! if [ ! -d /dev/shm -o ! -w /dev/shm -o ! -r /proc/mounts ]; then WHAT_TO_USE=owndir
//! elif ! grep -qs "^tmpfs[[:space:]]\+/dev/shm[[:space:]]\+tmpfs[[:space:]]\+\([^[:space:]]\+,\)\?rw" /proc/mounts
//! then WHAT_TO_USE=owndir
//! elif grep -qs '[[:space:]]/dev[[:space:]]devfs[[:space:]]' /proc/mounts; then WHAT_TO_USE=owndir
//! fi
//! # and, for devshm: SPACE=`df -k /dev/shm | tail -1 | awk ...`; [ "$SPACE" -le 0 ] -> owndir
//! ```
//!
//! `owndir` makes /etc/network/run a real directory on the image's disk: the incident
//! this tool exists for. The tests are literal, and stricter than "a tmpfs serves
//! /dev/shm": the line must start with the source `tmpfs` (Docker's `shm /dev/shm tmpfs`
//! fails it), name /dev/shm itself (Debian wheezy's link to a tmpfs on /run/shm fails
//! it), and df must show free space (an unlimited `size=0` tmpfs shows 0 and fails it).
//! So each is run here as the script runs it, and the first that fails is named.
//!
//! `observe` gathers what the tests look at; `decide` is the script's logic over it;
//! [`Postinst`] is the evaluator of a check's build-host mode that runs both.

use super::super::{Context, Evaluate};
use crate::model::{Evidence, Outcome};
use crate::world::Live;
use crate::world::read::FileKind;
use nix::unistd::AccessFlags;
use std::path::{Path, PathBuf};

/// A build host judged by `script`'s tests of `path`: the mount check's `build_host`
/// parameter, evaluated in build-host mode in place of the mount itself.
#[derive(Debug)]
pub struct Postinst {
    pub script: Script,
    /// The path the script tests (shm-tmpfs: /dev/shm), the mount check's own `path`.
    pub path: PathBuf,
}

/// A maintainer script whose tests a build host is judged by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    /// ifupdown 0.6's postinst: /dev/shm decides where /etc/network/run points.
    IfupdownPostinst,
}

impl Script {
    pub const NAMES: &[&str] = &["\"ifupdown-postinst\""];

    pub fn named(name: &str) -> Option<Script> {
        (name == "ifupdown-postinst").then_some(Script::IfupdownPostinst)
    }
}

/// /proc/mounts can be long on a container host; the script greps all of it.
const MAX_MOUNTS_BYTES: usize = 8 << 20;

/// What the script's tests look at, as they would see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// `[ -d PATH ]` (links followed).
    pub is_dir: bool,
    /// `[ -w PATH ]`.
    pub writable: bool,
    /// `/proc/mounts`, when `[ -r /proc/mounts ]` holds and it could be read.
    pub mounts: Option<String>,
    /// `df -k PATH`: available bytes, and whether the filesystem reports no blocks at
    /// all (an unlimited tmpfs, which df shows as 0/0/0). None when statfs failed.
    pub df: Option<(u64, bool)>,
}

/// The script's conclusion: the state directory goes on tmpfs, or it does not, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Devshm,
    Owndir(String),
}

/// ifupdown 0.6's postinst over what it would see of `path` (/dev/shm).
pub fn decide(path: &Path, seen: &Observed) -> Decision {
    let p = path.display();
    if !seen.is_dir {
        return Decision::Owndir(format!("`[ -d {p} ]` fails: {p} is not a directory"));
    }
    if !seen.writable {
        return Decision::Owndir(format!("`[ -w {p} ]` fails: {p} is not writable"));
    }
    let Some(mounts) = &seen.mounts else {
        return Decision::Owndir(
            "`[ -r /proc/mounts ]` fails: /proc/mounts cannot be read (is /proc mounted?)".into(),
        );
    };
    let lines: Vec<Vec<&str>> = mounts
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let wanted = p.to_string();
    if !lines.iter().any(|f| grep_line(f, &wanted)) {
        let listed: Vec<String> = lines
            .iter()
            .filter(|f| f.get(1) == Some(&wanted.as_str()))
            .map(|f| format!("`{}`", f.join(" ")))
            .collect();
        let why = if listed.is_empty() {
            format!("/proc/mounts has no line for {p} at all")
        } else {
            format!("/proc/mounts lists only {}", listed.join(", "))
        };
        return Decision::Owndir(format!(
            "its grep finds no `tmpfs {p} tmpfs rw…` line in /proc/mounts: {why} (the source \
             must be `tmpfs`, the mount point {p} itself, the options read-write)"
        ));
    }
    if lines
        .iter()
        .any(|f| f.get(1) == Some(&"/dev") && f.get(2) == Some(&"devfs"))
    {
        return Decision::Owndir("/proc/mounts shows devfs on /dev".into());
    }
    match seen.df {
        None => Decision::Owndir(format!("`df -k {p}` fails")),
        Some((0, true)) => Decision::Owndir(format!(
            "`df -k {p}` shows 0 KiB available: the tmpfs is unlimited (size=0), which df \
             reports as 0 blocks, 0 free, so the script takes it for full"
        )),
        Some((0, false)) => {
            Decision::Owndir(format!("`df -k {p}` shows 0 KiB available: {p} is full"))
        }
        Some(_) => Decision::Devshm,
    }
}

/// `grep "^tmpfs[[:space:]]\+PATH[[:space:]]\+tmpfs[[:space:]]\+\([^[:space:]]\+,\)\?rw"`
/// on one line split into fields.
fn grep_line(fields: &[&str], path: &str) -> bool {
    let [source, point, fstype, options, ..] = fields else {
        return false;
    };
    // `\([^[:space:]]\+,\)\?rw`: "rw" at the start, or right after a comma that has at
    // least one character before it. Nothing anchors what follows "rw".
    let rw = options.starts_with("rw") || options.match_indices(",rw").any(|(at, _)| at > 0);
    *source == "tmpfs" && *point == path && *fstype == "tmpfs" && rw
}

/// Runs the script's tests on the live build host.
fn observe(live: Live, path: &Path, cx: &Context) -> (Observed, Vec<Evidence>) {
    let mut evidence = Vec::new();
    let is_dir = cx
        .target
        .root
        .stat(path)
        .is_ok_and(|st| st.kind == FileKind::Dir);
    let writable = live.access(path, AccessFlags::W_OK);
    let mounts_path = Path::new("/proc/mounts");
    let mounts = if live.access(mounts_path, AccessFlags::R_OK) {
        match cx.target.proc_text("mounts", MAX_MOUNTS_BYTES) {
            Ok(text) => Some(text),
            Err(e) => {
                evidence.push(format!("cannot read {}: {e}", mounts_path.display()).into());
                None
            }
        }
    } else {
        None
    };
    if let Some(text) = &mounts {
        for line in text.lines().filter(|l| {
            l.split_whitespace().nth(1) == Some(&path.display().to_string())
                || l.split_whitespace().nth(1) == Some("/dev")
        }) {
            evidence.push(Evidence::about(
                path,
                format!("{}: {line}", mounts_path.display()),
            ));
        }
    }
    let df = match live.statfs(path) {
        Ok(st) => {
            evidence.push(Evidence::about(
                path,
                format!(
                    "statfs {} (df -k): {} blocks, {} KiB available",
                    path.display(),
                    st.blocks,
                    st.free / 1024
                ),
            ));
            Some((st.free, st.blocks == 0))
        }
        Err(e) => {
            evidence.push(Evidence::about(
                path,
                format!("statfs {}: {e}", path.display()),
            ));
            None
        }
    };
    if let Ok(link) = cx.target.root.read_link(path) {
        evidence.insert(
            0,
            Evidence::about(path, format!("{} -> {}", path.display(), link.display())),
        );
    }
    (
        Observed {
            is_dir,
            writable,
            mounts,
            df,
        },
        evidence,
    )
}

impl Evaluate for Postinst {
    fn evaluate(&self, cx: &Context) -> Outcome {
        match self.script {
            Script::IfupdownPostinst => ifupdown(&self.path, cx),
        }
    }
}

/// ifupdown 0.6's postinst, run on the build host.
fn ifupdown(path: &Path, cx: &Context) -> Outcome {
    // A build host is judged live: build-host mode has no other world.
    let live = match cx.target.kernel() {
        Ok(live) => live,
        Err(why) => {
            return Outcome::error(format!("cannot run the postinst's tests: {why}"));
        }
    };
    let (seen, evidence) = observe(live, path, cx);
    match decide(path, &seen) {
        Decision::Devshm => Outcome::pass(format!(
            "ifupdown 0.6's postinst would link /etc/network/run to {}/network: \
             /proc/mounts lists a read-write tmpfs on {} and df shows free space",
            path.display(),
            path.display()
        )),
        Decision::Owndir(why) => Outcome::fail(format!(
            "ifupdown 0.6's postinst would make /etc/network/run a real directory: {why}"
        )),
    }
    .with_all(evidence)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(mounts: &str) -> Observed {
        Observed {
            is_dir: true,
            writable: true,
            mounts: Some(mounts.into()),
            df: Some((1 << 30, false)),
        }
    }

    const SHM: &str = "/dev/shm";

    #[test]
    fn the_grep_is_literal() {
        let ok = "tmpfs /dev/shm tmpfs rw,nosuid,nodev,inode64 0 0\n";
        assert_eq!(decide(Path::new(SHM), &seen(ok)), Decision::Devshm);
        // rw later in the options is found too.
        let later = "tmpfs /dev/shm tmpfs nosuid,rw 0 0\n";
        assert_eq!(decide(Path::new(SHM), &seen(later)), Decision::Devshm);
        for (mounts, words) in [
            // Docker names the source `shm`.
            (
                "shm /dev/shm tmpfs rw,nosuid 0 0\n",
                "lists only `shm /dev/shm",
            ),
            // Debian wheezy: /dev/shm -> /run/shm.
            (
                "tmpfs /run/shm tmpfs rw,nosuid 0 0\n",
                "no line for /dev/shm",
            ),
            ("tmpfs /dev/shm tmpfs ro,nosuid 0 0\n", "lists only"),
            ("/dev/vda1 /dev/shm ext4 rw 0 0\n", "lists only"),
            ("", "no line for /dev/shm"),
        ] {
            match decide(Path::new(SHM), &seen(mounts)) {
                Decision::Owndir(why) => assert!(why.contains(words), "{mounts}: {why}"),
                other => panic!("{mounts}: {other:?}"),
            }
        }
    }

    #[test]
    fn each_test_of_the_script_is_named() {
        let ok = "tmpfs /dev/shm tmpfs rw 0 0\n";
        let cases = [
            (
                Observed {
                    is_dir: false,
                    ..seen(ok)
                },
                "[ -d /dev/shm ]",
            ),
            (
                Observed {
                    writable: false,
                    ..seen(ok)
                },
                "[ -w /dev/shm ]",
            ),
            (
                Observed {
                    mounts: None,
                    ..seen(ok)
                },
                "[ -r /proc/mounts ]",
            ),
            (
                Observed {
                    df: Some((0, true)),
                    ..seen(ok)
                },
                "unlimited (size=0)",
            ),
            (
                Observed {
                    df: Some((0, false)),
                    ..seen(ok)
                },
                "is full",
            ),
            (
                seen("tmpfs /dev/shm tmpfs rw 0 0\nnone /dev devfs rw 0 0\n"),
                "devfs",
            ),
        ];
        for (observed, words) in cases {
            match decide(Path::new(SHM), &observed) {
                Decision::Owndir(why) => assert!(why.contains(words), "{why}"),
                other => panic!("{observed:?}: {other:?}"),
            }
        }
    }
}
