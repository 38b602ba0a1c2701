//! Kind `volatile-dir`: a state directory lives on a filesystem that a reboot empties.
//!
//! netrun-layout uses it for /etc/network/run, ifupdown's state directory. In seed 004 it
//! was a plain directory on the root filesystem, so "lo=lo" survived every reboot and ifup
//! skipped lo. Accepted layouts:
//! - `path` absent (ifupdown 0.8 and later keep state in `absent_dir`, /run/network), and
//!   `absent_dir` on the volatile filesystem;
//! - `path` a symlink resolving to a directory on the volatile filesystem (0.6 used
//!   /dev/shm/network, 0.7 /run/network); a dangling link is judged by where its target
//!   would be created, as ifupdown creates it at boot.
//!
//! A real directory (or a link into persistent storage) fails, naming its filesystem.

use super::Context;
use crate::facts::MountTable;
use crate::outcome::Outcome;
use crate::spec::SpecError;
use crate::spec::params::Params;
use crate::target::type_name;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

pub const PARAMS: &[&str] = &["path", "fstype", "absent_dir"];

#[derive(Debug)]
pub struct VolatileDir {
    pub path: PathBuf,
    pub fstype: String,
    pub absent_dir: Option<PathBuf>,
}

impl VolatileDir {
    pub fn parse(p: &mut Params) -> Result<Self, SpecError> {
        let path = super::require_abs_path(p, "path")?;
        let fstype = p.take("fstype")?.unwrap_or_else(|| "tmpfs".to_string());
        let absent_dir = match p.take::<String>("absent_dir")? {
            Some(d) if d.starts_with('/') => Some(PathBuf::from(d)),
            Some(_) => return Err(p.error_here("`absent_dir` must be an absolute path")),
            None => None,
        };
        Ok(VolatileDir {
            path,
            fstype,
            absent_dir,
        })
    }

    pub fn evaluate(&self, cx: &Context) -> Outcome {
        let table = match cx.facts.mounts(cx.target) {
            Ok(t) => t,
            Err(e) => return Outcome::error(format!("cannot read the mount table: {e}")),
        };
        let path = self.path.display();
        let meta = match fs::symlink_metadata(&self.path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                let Some(dir) = &self.absent_dir else {
                    return Outcome::pass(format!("{path} is absent"));
                };
                let (verdict, evidence) = self.judge(&table, dir);
                return match verdict {
                    Ok(fs) => Outcome::pass(format!(
                        "{path} is absent (ifupdown 0.8+ layout); {} is on {fs}",
                        dir.display()
                    )),
                    Err(fs) => Outcome::fail(format!(
                        "{path} is absent, but {} is on {fs}, not {}: state there survives reboots",
                        dir.display(),
                        self.fstype
                    )),
                }
                .with(format!("lstat {path}: no such file"))
                .with_all(evidence);
            }
            Err(e) => return Outcome::error(format!("lstat {path}: {e}")),
        };
        let ft = meta.file_type();
        if ft.is_symlink() {
            let link = match fs::read_link(&self.path) {
                Ok(l) => l,
                Err(e) => return Outcome::error(format!("readlink {path}: {e}")),
            };
            let shown = format!("{path} -> {}", link.display());
            let (verdict, mut evidence) = self.judge(&table, &self.path);
            evidence.insert(0, format!("readlink {shown}"));
            return match verdict {
                Ok(fs) => Outcome::pass(format!("{shown}, on {fs}")),
                Err(fs) => Outcome::fail(format!(
                    "{shown}, which is on {fs}, not {}: ifupdown state there survives reboots",
                    self.fstype
                )),
            }
            .with_all(evidence);
        }
        if !ft.is_dir() {
            return Outcome::fail(format!(
                "{path} is a {}, not a link to a directory on {}",
                type_name(&ft),
                self.fstype
            ));
        }
        let (verdict, evidence) = self.judge(&table, &self.path);
        match verdict {
            Ok(fs) => Outcome::pass(format!("{path} is a directory on {fs}")),
            Err(fs) => Outcome::fail(format!(
                "{path} is a real directory on {fs}, not a link to {}: ifupdown state in it survives reboots",
                self.fstype
            )),
        }
        .with(format!("lstat {path}: directory"))
        .with_all(evidence)
    }

    /// Where `dir` really is and which filesystem holds it: Ok(description) when that is
    /// the volatile type, Err(description) when not.
    fn judge(&self, table: &MountTable, dir: &Path) -> (Result<String, String>, Vec<String>) {
        let (real, missing) = resolve_existing(dir);
        let mut evidence = Vec::new();
        if let Some(missing) = &missing {
            evidence.push(format!(
                "{} does not exist yet; judged by {}, where it would be created",
                missing.display(),
                real.display()
            ));
        } else if real != dir {
            evidence.push(format!("{} resolves to {}", dir.display(), real.display()));
        }
        let Some(m) = table.containing(&real) else {
            evidence.push(format!(
                "{}: no mount contains {}",
                table.path.display(),
                real.display()
            ));
            return (Err("no known filesystem".into()), evidence);
        };
        evidence.push(format!(
            "{}: {} is on {}",
            table.path.display(),
            real.display(),
            m.describe()
        ));
        let described = m.describe();
        if m.fs_type == self.fstype {
            (Ok(described), evidence)
        } else {
            (Err(described), evidence)
        }
    }
}

/// Canonicalizes `path`; if it (or its symlink's target) does not exist, canonicalizes the
/// nearest existing ancestor of the target instead and says what was missing.
fn resolve_existing(path: &Path) -> (PathBuf, Option<PathBuf>) {
    if let Ok(real) = fs::canonicalize(path) {
        return (real, None);
    }
    // A dangling symlink: follow it one hop lexically (relative to its parent).
    let target = match fs::read_link(path) {
        Ok(t) if t.is_absolute() => t,
        Ok(t) => path.parent().unwrap_or(Path::new("/")).join(t),
        Err(_) => path.to_path_buf(),
    };
    let mut ancestor = target.as_path();
    while let Some(parent) = ancestor.parent() {
        if let Ok(real) = fs::canonicalize(parent) {
            return (real, Some(target.clone()));
        }
        ancestor = parent;
    }
    (PathBuf::from("/"), Some(target))
}
