//! Kind `volatile-dir`: a state directory lives on a filesystem that a reboot empties.
//!
//! netrun-layout uses it for /etc/network/run, ifupdown's state directory. In the incident
//! (doc/incident.md) it
//! was a plain directory on the root filesystem, so "lo=lo" survived every reboot and ifup
//! skipped lo.
//!
//! Boot mode judges the running system:
//! - `path` absent (ifupdown 0.8 and later keep state in `absent_dir`, /run/network), and
//!   `absent_dir` on the volatile filesystem;
//! - `path` a symlink resolving to a directory on the volatile filesystem (0.6 used
//!   /dev/shm/network, 0.7 /run/network); a dangling link is judged by where its target
//!   would be created, as ifupdown creates it at boot;
//! - a real directory (or a link into persistent storage) fails, naming its filesystem.
//!
//! Image mode cannot see filesystems, only the layout: `path` absent, or a link whose
//! target (as written, normalised) is one of `targets`, passes; a real directory or any
//! other link fails. Links resolve inside the image.

use super::{BOOT_IMAGE, Context, Evaluate, KindDef, LOCAL, boxed};
use crate::config::{Params, SpecError};
use crate::model::Outcome;
use crate::world::mounts::MountTable;
use crate::world::read::FileKind;
use crate::world::root::Root;
use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

/// What the spec loader knows of this kind; [`super::KINDS`] lists it.
pub const DEF: KindDef = KindDef {
    name: "volatile-dir",
    modes: BOOT_IMAGE,
    default_timeout: LOCAL,
    waits: false,
    params: PARAMS,
    parse: |p| VolatileDir::parse(p).map(boxed),
};

pub const PARAMS: &[&str] = &["path", "fstype", "absent_dir", "targets"];

#[derive(Debug)]
pub struct VolatileDir {
    pub path: PathBuf,
    pub fstype: String,
    pub absent_dir: Option<PathBuf>,
    /// Image mode: the link targets that are volatile on the booted box.
    pub targets: Vec<PathBuf>,
}

impl VolatileDir {
    pub fn parse(p: &mut Params) -> Result<Self, SpecError> {
        let path = super::require_abs_path(p, "path")?;
        let fstype = p.string("fstype")?.unwrap_or_else(|| "tmpfs".to_string());
        let absent_dir = match p.string("absent_dir")? {
            Some(d) if d.starts_with('/') => Some(PathBuf::from(d)),
            Some(_) => return Err(p.error_here("`absent_dir` must be an absolute path")),
            None => None,
        };
        let targets: Vec<String> = p.strings("targets")?.unwrap_or_default();
        if targets.iter().any(|t| !t.starts_with('/')) {
            return Err(p.error_here("`targets` must be absolute paths"));
        }
        Ok(VolatileDir {
            path,
            fstype,
            absent_dir,
            targets: targets.into_iter().map(PathBuf::from).collect(),
        })
    }

    fn evaluate_image(&self, root: &Root) -> Outcome {
        let path = self.path.display();
        let allowed: Vec<String> = self
            .targets
            .iter()
            .map(|t| t.display().to_string())
            .collect();
        let st = match root.lstat(&self.path) {
            Ok(st) => st,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Outcome::pass(format!(
                    "{path} is absent (ifupdown 0.8+ keeps its state in /run/network)"
                ));
            }
            Err(e) => return Outcome::error(format!("lstat {path} in the image: {e}")),
        };
        match st.kind {
            FileKind::Symlink => {
                let link = match root.read_link(&self.path) {
                    Ok(l) => l,
                    Err(e) => return Outcome::error(format!("readlink {path} in the image: {e}")),
                };
                let target = normalize(self.path.parent().unwrap_or(Path::new("/")), &link);
                let shown = format!("{path} -> {}", link.display());
                if self.targets.contains(&target) {
                    Outcome::pass(format!("{shown}, a volatile directory on the booted box"))
                } else {
                    Outcome::fail(format!(
                        "{shown}, which is not volatile: ifupdown state there survives reboots (expected a link to {})",
                        allowed.join(" or ")
                    ))
                    .with(format!("{path} resolves to {} in the image", target.display()))
                    .fix(self.relink_fix(true))
                }
            }
            FileKind::Dir => {
                let era = match installed_version(root, "ifupdown") {
                    Some(v) if v.starts_with("0.6") || v.starts_with("0.5") => {
                        format!(
                            "ifupdown {v} (var/lib/dpkg/status) keeps its state here: this is the layout that kept lo down in the incident"
                        )
                    }
                    Some(v) => format!(
                        "ifupdown {v} (var/lib/dpkg/status) keeps its state in /run/network; the directory is a 0.6-era artefact"
                    ),
                    None => "ifupdown's version is not in var/lib/dpkg/status".to_string(),
                };
                Outcome::fail(format!(
                    "{path} is a real directory in the image, so ifupdown state in it survives reboots; it must be absent or a link to {}",
                    allowed.join(" or ")
                ))
                .with(format!("lstat {path}: directory, mode {:o}", st.mode))
                .with(era)
                .fix(self.relink_fix(true))
            }
            other => Outcome::fail(format!(
                "{path} is a {} in the image, not absent or a link",
                other.name()
            ))
            .fix(self.relink_fix(true))
            .with(format!("lstat {path}: {}", other.name())),
        }
    }

    fn evaluate_live(&self, cx: &Context) -> Outcome {
        let table = match cx.facts.mounts(cx.target) {
            Ok(t) => t,
            Err(e) => {
                return Outcome::error(format!("cannot read the mount table: {e}"))
                    .fix(crate::kinds::mount::MOUNT_TABLE_FIX);
            }
        };
        let root = &cx.target.root;
        let path = self.path.display();
        let st = match root.lstat(&self.path) {
            Ok(st) => st,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                let Some(dir) = &self.absent_dir else {
                    return Outcome::pass(format!("{path} is absent"));
                };
                let (verdict, evidence) = self.filesystem_of(root, &table, dir);
                return match verdict {
                    Ok(fs) => Outcome::pass(format!(
                        "{path} is absent (ifupdown 0.8+ layout); {} is on {fs}",
                        dir.display()
                    )),
                    Err(fs) => Outcome::fail(format!(
                        "{path} is absent, but {} is on {fs}, not {}: state there survives reboots",
                        dir.display(),
                        self.fstype
                    ))
                    .fix(self.mount_volatile_fix(dir)),
                }
                .with(format!("lstat {path}: no such file"))
                .with_all(evidence);
            }
            Err(e) => return Outcome::error(format!("lstat {path}: {e}")),
        };
        if st.kind == FileKind::Symlink {
            let link = match root.read_link(&self.path) {
                Ok(l) => l,
                Err(e) => return Outcome::error(format!("readlink {path}: {e}")),
            };
            let shown = format!("{path} -> {}", link.display());
            let (verdict, mut evidence) = self.filesystem_of(root, &table, &self.path);
            evidence.insert(0, format!("readlink {shown}"));
            return match verdict {
                Ok(fs) => Outcome::pass(format!("{shown}, on {fs}")),
                Err(fs) => Outcome::fail(format!(
                    "{shown}, which is on {fs}, not {}: ifupdown state there survives reboots",
                    self.fstype
                ))
                .fix(self.mount_volatile_fix(&normalize(
                    self.path.parent().unwrap_or(Path::new("/")),
                    &link,
                ))),
            }
            .with_all(evidence);
        }
        if st.kind != FileKind::Dir {
            return Outcome::fail(format!(
                "{path} is a {}, not a link to a directory on {}",
                st.kind.name(),
                self.fstype
            ))
            .with(format!("lstat {path}: {}", st.kind.name()));
        }
        let (verdict, evidence) = self.filesystem_of(root, &table, &self.path);
        match verdict {
            Ok(fs) => Outcome::pass(format!("{path} is a directory on {fs}")),
            Err(fs) => Outcome::fail(format!(
                "{path} is a real directory on {fs}, not a link to {}: ifupdown state in it survives reboots",
                self.fstype
            ))
            .fix(self.relink_fix(false)),
        }
        .with(format!("lstat {path}: directory"))
        .with_all(evidence)
    }

    /// The fix when the state directory is where it should be, but that place is on disk:
    /// nothing to remove, the volatile filesystem is missing.
    fn mount_volatile_fix(&self, dir: &Path) -> String {
        let top = dir.components().nth(1).map_or_else(
            || "/run".to_string(),
            |c| format!("/{}", c.as_os_str().to_string_lossy()),
        );
        format!(
            "{} is where the state belongs, but {top} is not {fs}: mount a {fs} on {top}\n\
             (systemd does at boot; with sysvinit, initscripts' mountkernfs does), so every\n\
             boot empties it. In /etc/fstab:\n\
             \x20 {fs} {top} {fs} nosuid,nodev,mode=755 0 0\n\
             Nothing at {} needs removing.",
            dir.display(),
            self.path.display(),
            fs = self.fstype,
        )
    }

    /// The fix for a real directory (or a link onto disk) at `path`: remove it with its
    /// state and link it to the volatile place. In an image, under `$ROOT`, in the build.
    fn relink_fix(&self, image: bool) -> String {
        let to = self
            .absent_dir
            .clone()
            .or_else(|| self.targets.first().cloned())
            .unwrap_or_else(|| PathBuf::from("/run/network"));
        let path = self.path.display();
        if image {
            format!(
                "In the firmware build, remove it with its state and link it to tmpfs:\n\
                 \x20 rm -rf $ROOT{path} && ln -s {to} $ROOT{path}\n\
                 and make sure /dev/shm is a tmpfs before ifupdown is installed (see\n\
                 shm-tmpfs), then rebuild.",
                to = to.display()
            )
        } else {
            format!(
                "Remove it with its state and link it to tmpfs:\n\
                 \x20 rm -rf {path} && ln -s {to} {path}\n\
                 then fix the firmware build, which made it: /dev/shm must be a tmpfs\n\
                 before ifupdown is installed (see shm-tmpfs).",
                to = to.display()
            )
        }
    }

    /// Where `dir` really is and which filesystem holds it: Ok(description) when that is
    /// the volatile type, Err(description) when not.
    fn filesystem_of(
        &self,
        root: &Root,
        table: &MountTable,
        dir: &Path,
    ) -> (Result<String, String>, Vec<String>) {
        let (real, missing) = resolve_existing(root, dir);
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
        let Some(m) = table.serving(&real) else {
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

impl Evaluate for VolatileDir {
    fn evaluate(&self, cx: &Context) -> Outcome {
        // An image has no filesystems to look at, only the layout of its tree.
        let outcome = if cx.target.is_image() {
            self.evaluate_image(&cx.target.root)
        } else {
            self.evaluate_live(cx)
        };
        outcome.about(&self.path)
    }
}

/// The installed version of a package, from the image's dpkg status (bounded: an
/// oversized status file just leaves the version unknown).
fn installed_version(root: &Root, package: &str) -> Option<String> {
    let status = root
        .read_text(Path::new("/var/lib/dpkg/status"), 32 << 20)
        .ok()?;
    crate::world::dpkg::installed_version(&status, package).map(str::to_string)
}

/// Resolves `path`; if it (or its symlink's target) does not exist, resolves the nearest
/// existing ancestor of the target instead and says what was missing.
fn resolve_existing(root: &Root, path: &Path) -> (PathBuf, Option<PathBuf>) {
    if let Ok(real) = root.resolve(path, true) {
        return (real, None);
    }
    // A dangling symlink: follow it one hop lexically.
    let target = match root.read_link(path) {
        Ok(t) => normalize(path.parent().unwrap_or(Path::new("/")), &t),
        Err(_) => path.to_path_buf(),
    };
    let mut ancestor = target.as_path();
    while let Some(parent) = ancestor.parent() {
        if let Ok(real) = root.resolve(parent, true) {
            return (real, Some(target.clone()));
        }
        ancestor = parent;
    }
    (PathBuf::from("/"), Some(target))
}

/// `link` read in directory `dir`, made absolute, with `.` and `..` folded (never above /).
fn normalize(dir: &Path, link: &Path) -> PathBuf {
    let joined = if link.is_absolute() {
        link.to_path_buf()
    } else {
        dir.join(link)
    };
    let mut out = PathBuf::from("/");
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(n) => out.push(n),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod run_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_link_targets() {
        let d = Path::new("/etc/network");
        assert_eq!(
            normalize(d, Path::new("/run/network")),
            Path::new("/run/network")
        );
        assert_eq!(
            normalize(d, Path::new("../../run/network")),
            Path::new("/run/network")
        );
        assert_eq!(normalize(d, Path::new(".")), Path::new("/etc/network"));
        assert_eq!(normalize(d, Path::new("../../../../x")), Path::new("/x"));
    }
}
