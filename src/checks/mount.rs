//! Kind `mount`: a path is a mount point of the expected type, read-write, with free
//! space. shm-tmpfs uses it for /dev/shm, which ifupdown 0.6's postinst tests before it
//! decides where its state lives (seed 004).
//!
//! The type comes from mountinfo and, on a live system, is confirmed by statfs: the two
//! can disagree when something is mounted over the path after mountinfo was read, or in a
//! captured bundle that does not match the box.

use super::Context;
use crate::outcome::Outcome;
use crate::spec::SpecError;
use crate::spec::params::Params;
use std::path::PathBuf;

pub const PARAMS: &[&str] = &["path", "fstype", "writable", "min_free_bytes"];

#[derive(Debug)]
pub struct Mount {
    pub path: PathBuf,
    pub fstype: Option<String>,
    pub writable: bool,
    pub min_free_bytes: u64,
}

impl Mount {
    pub fn parse(p: &mut Params) -> Result<Self, SpecError> {
        Ok(Mount {
            path: super::require_abs_path(p, "path")?,
            fstype: p.take("fstype")?,
            writable: p.take("writable")?.unwrap_or(true),
            min_free_bytes: p.take("min_free_bytes")?.unwrap_or(1),
        })
    }

    pub fn evaluate(&self, cx: &Context) -> Outcome {
        let table = match cx.facts.mounts(cx.target) {
            Ok(t) => t,
            // On a running system, no /proc/self/mountinfo means /proc is not mounted:
            // that is a finding (a chroot build without /proc), not an inability to look.
            Err(e) if !cx.target.proc_captured && !cx.target.proc_path("self").exists() => {
                return Outcome::fail(format!(
                    "/proc is not mounted, so nothing can see the mounts: {e}"
                ));
            }
            Err(e) => return Outcome::error(format!("cannot read the mount table: {e}")),
        };
        let path = self.path.display();
        let Some(m) = table.at(&self.path) else {
            let under = table
                .containing(&self.path)
                .map_or_else(|| "no mount at all".to_string(), |m| m.describe());
            return Outcome::fail(format!(
                "{path} is not a mount point; it is a plain directory on {under}"
            ))
            .with(format!("{}: no entry for {path}", table.path.display()));
        };
        let seen = format!(
            "{}: {path} is {}{}",
            table.path.display(),
            m.describe(),
            if m.read_only { ", ro" } else { ", rw" }
        );
        if let Some(want) = &self.fstype
            && &m.fs_type != want
        {
            return Outcome::fail(format!("{path} is {}, not {want}", m.describe())).with(seen);
        }
        if self.writable && m.read_only {
            return Outcome::fail(format!("{path} is mounted read-only")).with(seen);
        }
        let mut outcome = Outcome::pass(format!(
            "{path} is {}{}",
            m.fs_type,
            if self.writable { ", read-write" } else { "" }
        ))
        .with(seen);
        if cx.target.proc_captured {
            outcome.evidence.push(
                "statfs not run: /proc is a captured copy, the filesystem is not here".into(),
            );
            return outcome;
        }
        match statfs(&self.path) {
            Err(e) => Outcome::error(format!("statfs {path}: {e}")).with_all(outcome.evidence),
            Ok((magic, free)) => {
                outcome.evidence.push(format!(
                    "statfs {path}: type magic {magic:#x}, {free} bytes free"
                ));
                if let Some(want) = &self.fstype
                    && let Some(expected) = magic_of(want)
                    && magic != expected
                {
                    return Outcome::fail(format!(
                        "{path}: mountinfo says {want} but statfs says type {magic:#x}; something is mounted over it"
                    ))
                    .with_all(outcome.evidence);
                }
                if free < self.min_free_bytes {
                    return Outcome::fail(format!(
                        "{path} has {free} bytes free (needs {})",
                        self.min_free_bytes
                    ))
                    .with_all(outcome.evidence);
                }
                outcome
                    .summary
                    .push_str(&format!(", {} free", human_bytes(free)));
                outcome
            }
        }
    }
}

fn statfs(path: &std::path::Path) -> Result<(i64, u64), nix::Error> {
    let st = nix::sys::statfs::statfs(path)?;
    let free = st.blocks_available().saturating_mul(st.block_size() as u64);
    Ok((st.filesystem_type().0 as i64, free))
}

/// statfs magic numbers of the types a spec is likely to ask for (linux/magic.h).
fn magic_of(fstype: &str) -> Option<i64> {
    Some(match fstype {
        "tmpfs" => 0x0102_1994,
        "ext2" | "ext3" | "ext4" => 0xEF53,
        "xfs" => 0x5846_5342,
        "btrfs" => 0x9123_683E,
        "proc" => 0x9fa0,
        "sysfs" => 0x6265_6572,
        "overlay" => 0x794c_7630,
        _ => return None,
    })
}

pub fn human_bytes(n: u64) -> String {
    const UNITS: &[&str] = &["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}
