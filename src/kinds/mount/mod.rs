//! Kind `mount`: a path is served by a filesystem of the expected type, read-write, with
//! free space. shm-tmpfs uses it for /dev/shm, and host-proc for a build host's /proc.
//!
//! "Served" is meant as the kernel means it: symlinks on the way are followed (Debian
//! wheezy made /dev/shm a link to /run/shm), and the filesystem is the one the kernel's
//! path walk reaches, the last mount over the path (`MountTable::serving`), not an entry
//! that merely names the path: a tmpfs once mounted on /dev/shm and then hidden by a new
//! mount on /dev serves nothing. The evidence names the entry that serves.
//!
//! The type comes from mountinfo and, on a live system, is confirmed by statfs: the two
//! can disagree when something is mounted over the path after mountinfo was read, or in a
//! captured bundle that does not match the box. A tmpfs mounted with `size=0` has no
//! limit, and statfs reports it as 0 blocks of which 0 are free: that is unlimited, not
//! full.
//!
//! In build-host mode a check can instead ask what a package's maintainer script will
//! conclude (`build_host = "ifupdown-postinst"`): the build host is judged by the tests
//! that script really runs, because those, not the kernel's view, decide what gets baked
//! into the image. That judgment is an evaluator of its own, [`postinst::Postinst`], with
//! its own parameters and `evaluate`; [`Mount::evaluate`] hands over to it in one place,
//! its first lines. It is not a kind of its own because a check names one kind for all
//! its modes: shm-tmpfs is one check, of kind `mount`, in boot and build-host mode, and
//! splitting it would change its id or what a spec's `kind` means.

mod postinst;

use super::{BOOT_BUILD_HOST, Context, Evaluate, KindDef, LOCAL, boxed};
use crate::config::{Params, SpecError};
use crate::model::{Evidence, Outcome};
use crate::world::FsStat;
use crate::world::mounts::{MountEntry, MountTable};
use crate::world::read::FileKind;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// What the spec loader knows of this kind; [`super::KINDS`] lists it.
pub const DEF: KindDef = KindDef {
    name: "mount",
    modes: BOOT_BUILD_HOST,
    default_timeout: LOCAL,
    waits: false,
    params: PARAMS,
    parse: |p| Mount::parse(p).map(boxed),
};

pub const PARAMS: &[&str] = &["path", "fstype", "writable", "min_free_bytes", "build_host"];

/// statfs magic of tmpfs (linux/magic.h TMPFS_MAGIC).
const TMPFS_MAGIC: i64 = 0x0102_1994;

#[derive(Debug)]
pub struct Mount {
    pub path: PathBuf,
    pub fstype: Option<String>,
    pub writable: bool,
    pub min_free_bytes: u64,
    /// In build-host mode, judge by a maintainer script's tests instead.
    pub build_host: Option<postinst::Postinst>,
}

impl Mount {
    pub fn parse(p: &mut Params) -> Result<Self, SpecError> {
        let script = match p.string("build_host")? {
            None => None,
            Some(name) => Some(postinst::Script::named(&name).ok_or_else(|| {
                p.error_here(format!(
                    "`build_host` is {}, not {name:?}",
                    postinst::Script::NAMES.join(" or ")
                ))
            })?),
        };
        let path = super::require_abs_path(p, "path")?;
        Ok(Mount {
            fstype: p.string("fstype")?,
            writable: p.bool("writable")?.unwrap_or(true),
            min_free_bytes: p.integer::<u64>("min_free_bytes", "u64")?.unwrap_or(1),
            build_host: script.map(|script| postinst::Postinst {
                script,
                path: path.clone(),
            }),
            path,
        })
    }
}

/// The fix when the mount table cannot be read: where it comes from, and how to let the
/// check read it.
pub const MOUNT_TABLE_FIX: &str = "\
The mount table is read from /proc/self/mountinfo: mount /proc (`mount -t proc proc
/proc`) and run ha-preflight again. From a capture (--proc), copy
/proc/self/mountinfo into it, or take a bundle with `ha-preflight collect`.";

impl Evaluate for Mount {
    fn evaluate(&self, cx: &Context) -> Outcome {
        // The one place build-host mode is judged apart (see the module's doc).
        if cx.target.is_build_host()
            && let Some(postinst) = &self.build_host
        {
            return postinst.evaluate(cx);
        }
        let table = match cx.facts.mounts(cx.target) {
            Ok(t) => t,
            // On a running system, no /proc/self/mountinfo means /proc is not mounted:
            // that is a finding (a chroot build without /proc), not an inability to look.
            Err(e) if cx.target.is_running() && !cx.target.proc_exists("self") => {
                return Outcome::fail(format!(
                    "/proc is not mounted, so nothing can see the mounts: {e}"
                ))
                .fix("Mount /proc: `mount -t proc proc /proc` (in a chroot: `mount -t proc proc ROOTFS/proc`).");
            }
            Err(e) => {
                return Outcome::error(format!("cannot read the mount table: {e}"))
                    .fix(MOUNT_TABLE_FIX);
            }
        };
        let path = self.path.display();
        // A captured mount table belongs to another box: its paths are not looked up
        // here, so links are not followed and statfs is not run.
        let live = cx.target.kernel();
        let real = if cx.target.has_box_files() {
            match resolve(&cx.target.root, &self.path) {
                Ok(real) => real,
                Err(outcome) => return outcome.with_all(hidden(&table, &self.path)),
            }
        } else {
            self.path.clone()
        };
        let shown = if real == self.path {
            path.to_string()
        } else {
            format!("{path} -> {}", real.display())
        };
        let Some(m) = table.serving(&real) else {
            return Outcome::fail(format!("no mount serves {shown}")).with(Evidence::about(
                &self.path,
                format!("{}: no root mount", table.path.display()),
            ));
        };
        let own = m.mount_point == real;
        let mut evidence = vec![Evidence::about(&self.path, served_by(&table, &real, m))];
        evidence.extend(hidden(&table, &real));
        if let Some(want) = &self.fstype
            && &m.fs_type != want
        {
            let summary = if own {
                format!("{shown} is {}, not {want}", m.describe())
            } else {
                format!(
                    "{shown} is not a mount point: it is a directory on {}, not {want}",
                    m.describe()
                )
            };
            return Outcome::fail(summary).with_all(evidence);
        }
        if self.writable && m.read_only {
            return Outcome::fail(format!("{shown} is mounted read-only ({})", m.describe()))
                .with_all(evidence)
                .fix(format!(
                    "Remount it read-write: `mount -o remount,rw {}`, then find what mounted it\n\
                     read-only (its fstab line, or an error: `dmesg | grep -i {}`).",
                    m.mount_point.display(),
                    m.fs_type
                ));
        }
        let what = if own {
            format!("{shown} is {}", m.fs_type)
        } else {
            format!("{shown} is a directory on {}", m.describe())
        };
        let mut summary = format!("{what}{}", if self.writable { ", read-write" } else { "" });
        let live = match live {
            Ok(live) => live,
            Err(why) => {
                evidence.push(format!("statfs not run: {why}").into());
                return Outcome::pass(summary).with_all(evidence);
            }
        };
        let st = match live.statfs(&real) {
            Ok(st) => st,
            Err(e) => return Outcome::error(format!("statfs {shown}: {e}")).with_all(evidence),
        };
        evidence.push(Evidence::about(
            &real,
            format!(
                "statfs {}: type magic {:#x}, {} blocks of {} bytes, {} bytes free",
                real.display(),
                st.magic,
                st.blocks,
                st.block_size,
                st.free
            ),
        ));
        if let Some(expected) = magic_of(&m.fs_type)
            && st.magic != expected
        {
            return Outcome::fail(format!(
                "{shown}: mountinfo says {} but statfs says type {:#x}; something is mounted over it",
                m.fs_type, st.magic
            ))
            .with_all(evidence)
            .fix(format!(
                "See what is mounted over it (`findmnt -R {}`) and unmount that.",
                real.display()
            ));
        }
        if unlimited(&st) {
            summary.push_str(", unlimited (a tmpfs mounted with size=0)");
            return Outcome::pass(summary).with_all(evidence);
        }
        if st.free < self.min_free_bytes {
            return Outcome::fail(format!(
                "{shown} has {} bytes free (needs {})",
                st.free, self.min_free_bytes
            ))
            .with_all(evidence)
            .fix(format!(
                "Free space on it: see what fills it (`du -sh {}/*`), remove what is stale,\n\
                 or give it more room (a tmpfs: `mount -o remount,size=64M {}`).",
                real.display(),
                m.mount_point.display()
            ));
        }
        // A filesystem of no blocks (proc, sysfs) has no space to be free: "0 B free"
        // would read as full.
        if st.blocks > 0 {
            summary.push_str(&format!(", {} free", crate::model::human_bytes(st.free)));
        }
        Outcome::pass(summary).with_all(evidence)
    }
}

/// `path` with every link followed, or the failure to say when it does not exist.
fn resolve(root: &crate::world::root::Root, path: &Path) -> Result<PathBuf, Outcome> {
    let shown = path.display();
    match root.resolve(path, true) {
        Ok(real) => Ok(real),
        Err(e) if e.kind() == ErrorKind::NotFound => Err(match root.lstat(path) {
            Ok(st) if st.kind == FileKind::Symlink => {
                let target = root
                    .read_link(path)
                    .map_or_else(|_| "?".into(), |t| t.display().to_string());
                Outcome::fail(format!(
                    "{shown} -> {target}, which does not exist: nothing is mounted there"
                ))
                .with(Evidence::about(path, format!("readlink {shown}: {target}")))
            }
            _ => Outcome::fail(format!("{shown} does not exist: nothing is mounted there")),
        }),
        Err(e) => Err(Outcome::error(format!("cannot resolve {shown}: {e}"))),
    }
}

/// "…: /dev/shm is served by mount 27, tmpfs (tmpfs mounted at /dev/shm), rw".
fn served_by(table: &MountTable, real: &Path, m: &MountEntry) -> String {
    format!(
        "{}: {} is served by mount {}, {}{}",
        table.path.display(),
        real.display(),
        m.id,
        m.describe(),
        if m.read_only { ", ro" } else { ", rw" }
    )
}

/// Evidence for entries at `path` that serve nothing: a tmpfs mounted on /dev/shm and
/// then hidden by a later mount on /dev still shows in the table, but nothing reaches it.
fn hidden(table: &MountTable, path: &Path) -> Vec<Evidence> {
    table
        .covered_at(path)
        .into_iter()
        .map(|m| {
            Evidence::about(
                path,
                format!(
                    "{}: mount {}, {}, is hidden under a later mount and serves nothing",
                    table.path.display(),
                    m.id,
                    m.describe()
                ),
            )
        })
        .collect()
}

/// A tmpfs with no size limit (size=0) reports no blocks at all.
fn unlimited(st: &FsStat) -> bool {
    st.magic == TMPFS_MAGIC && st.blocks == 0
}

/// statfs magic numbers of the types a spec is likely to ask for (linux/magic.h).
fn magic_of(fstype: &str) -> Option<i64> {
    Some(match fstype {
        "tmpfs" => TMPFS_MAGIC,
        "ext2" | "ext3" | "ext4" => 0xEF53,
        "xfs" => 0x5846_5342,
        "btrfs" => 0x9123_683E,
        "proc" => 0x9fa0,
        "sysfs" => 0x6265_6572,
        "overlay" => 0x794c_7630,
        _ => return None,
    })
}

#[cfg(test)]
mod run_tests;
