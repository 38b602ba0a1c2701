//! Kind `ifstate`: every interface ifupdown's state calls configured is really up.
//!
//! ifup consults its state before doing anything: an interface recorded as configured is
//! skipped ("ifup: interface lo already configured", silently under `ifup -a`). State
//! that survived a reboot (the incident, doc/incident.md) therefore keeps an interface down for good. Two
//! formats are read:
//! - `ifstate`, lines `iface=logical` (ifupdown 0.6 to 0.8);
//! - `ifstate.<iface>`, holding the logical name when up and empty when down (0.8).
//!
//! Boot mode compares the record with the kernel. Image mode has no kernel to compare
//! with: any interface recorded as configured in the image is state baked in by the build,
//! and fails (lo first: it is the one that took the incident's box down).

pub mod parse;

pub use parse::{parse_line, valid_ifname};

use super::{BOOT_IMAGE, Context, Evaluate, KindDef, LOCAL, boxed};
use crate::config::{Params, SpecError};
use crate::model::{Evidence, Outcome};
use crate::world::root::Root;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What the spec loader knows of this kind; [`super::KINDS`] lists it.
pub const DEF: KindDef = KindDef {
    name: "ifstate",
    modes: BOOT_IMAGE,
    default_timeout: LOCAL,
    waits: false,
    params: PARAMS,
    parse: |p| Ifstate::parse(p).map(boxed),
};

pub const PARAMS: &[&str] = &["dirs"];

/// A state file is a handful of lines; anything bigger is not ifupdown's.
const MAX_STATE_BYTES: usize = 64 << 10;
/// A state directory holds one file per interface; stop listing somewhere sane.
const MAX_ENTRIES: usize = 4096;

#[derive(Debug)]
pub struct Ifstate {
    pub dirs: Vec<PathBuf>,
}

/// One interface the state calls configured, and which file says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub logical: String,
    pub file: PathBuf,
}

impl Ifstate {
    pub fn parse(p: &mut Params) -> Result<Self, SpecError> {
        let dirs: Vec<String> = p
            .strings("dirs")?
            .unwrap_or_else(|| vec!["/etc/network/run".into(), "/run/network".into()]);
        if dirs.iter().any(|d| !d.starts_with('/')) {
            return Err(p.error_here("`dirs` must be absolute paths"));
        }
        Ok(Ifstate {
            dirs: dirs.into_iter().map(PathBuf::from).collect(),
        })
    }
}

impl Evaluate for Ifstate {
    fn evaluate(&self, cx: &Context) -> Outcome {
        let mut seen_dirs: Vec<PathBuf> = Vec::new();
        let mut recorded: BTreeMap<String, Recorded> = BTreeMap::new();
        let mut evidence = Vec::new();
        for dir in &self.dirs {
            // /etc/network/run usually links to /run/network: read each real dir once.
            let Ok(real) = cx.target.root.resolve(dir, true) else {
                continue;
            };
            if seen_dirs.contains(&real) {
                continue;
            }
            seen_dirs.push(real.clone());
            if let Err(e) = read_state_dir(&cx.target.root, &real, &mut recorded, &mut evidence) {
                return Outcome::error(e).with_all(evidence);
            }
        }
        if recorded.is_empty() {
            let looked: Vec<String> = self.dirs.iter().map(|d| d.display().to_string()).collect();
            return Outcome::pass("no interface is recorded as configured")
                .with(format!("looked in {}", looked.join(", ")))
                .with_all(evidence);
        }
        if cx.target.is_image() {
            return baked(&recorded).with_all(evidence);
        }
        let links = match cx.facts.links(cx.target) {
            Ok(l) => l,
            Err(e) => {
                return Outcome::error(format!("cannot read interface state: {e}"))
                    .with_all(evidence);
            }
        };
        let mut stale = Vec::new();
        for (iface, rec) in &recorded {
            evidence.push(Evidence::about(
                &rec.file,
                format!("{}: {iface}={}", rec.file.display(), rec.logical),
            ));
            // An alias (eth0:1) is an address on its base link, which is what must be up.
            let base = iface.split(':').next().unwrap_or(iface);
            match links.links.get(base) {
                Some(link) if link.up => {
                    evidence.push(format!("{}: {iface} is up", links.from).into())
                }
                Some(_) => {
                    evidence
                        .push(format!("{}: {iface} is down (IFF_UP not set)", links.from).into());
                    stale.push(iface.as_str());
                }
                None => {
                    evidence.push(format!("{}: no interface named {iface}", links.from).into());
                    stale.push(iface.as_str());
                }
            }
        }
        let mut files: Vec<String> = stale
            .iter()
            .filter_map(|i| recorded.get(*i))
            .map(|r| r.file.display().to_string())
            .collect();
        crate::model::sort::sort(&mut files);
        files.dedup();
        let fix = format!(
            "Bring {names} down in ifupdown's eyes and up again:\n{cmds}\n\
             (the stale record is in {files}). Then fix where the state lives (see\n\
             netrun-layout), so the record cannot survive the next reboot.",
            names = stale.join(", "),
            cmds = stale
                .iter()
                .map(|i| format!("  ifdown --force {i}; ifup {i}"))
                .collect::<Vec<_>>()
                .join("\n"),
            files = files.join(", "),
        );
        match stale.as_slice() {
            [] => Outcome::pass(format!(
                "{} recorded as configured, and up",
                recorded.keys().cloned().collect::<Vec<_>>().join(", ")
            )),
            [one] => Outcome::fail(format!(
                "ifup will skip {one} because its state file says it is already configured, but {one} is not up"
            ))
            .fix(fix),
            many => Outcome::fail(format!(
                "ifup will skip {} because their state files say they are already configured, but they are not up",
                many.join(", ")
            ))
            .fix(fix),
        }
        .with_all(evidence)
    }
}

/// The image-mode verdict: any recorded interface is state baked into the image.
fn baked(recorded: &BTreeMap<String, Recorded>) -> Outcome {
    let mut names: Vec<&String> = recorded.keys().collect();
    // lo first: in the incident it is the one whose baked state took the box down.
    crate::model::sort::sort_by_key(&mut names, |n| (n.as_str() != "lo", n.as_str()));
    let files: Vec<String> = names
        .iter()
        .filter_map(|n| recorded.get(*n))
        .map(|r| r.file.display().to_string())
        .collect();
    let mut outcome = match names.first() {
        None => Outcome::pass("no ifupdown state in the image"),
        Some(first) => Outcome::fail(format!(
            "ifupdown state is baked into the image: {} recorded as configured, so ifup will skip {} at every boot",
            names
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            if names.len() == 1 {
                first.as_str()
            } else {
                "them"
            }
        )),
    };
    if !files.is_empty() {
        let mut unique = files.clone();
        unique.dedup();
        outcome = outcome.fix(format!(
            "Delete the state files in the firmware build:\n  rm -f {}\n\
             and find the build step that ran ifup or networking in the chroot.",
            unique
                .iter()
                .map(|f| format!("$ROOT{f}"))
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    for (name, file) in names.iter().zip(files) {
        let rec = &recorded[*name];
        outcome.evidence.push(Evidence::about(
            &rec.file,
            format!("{file}: {name}={}", rec.logical),
        ));
    }
    outcome
}

/// Reads `ifstate` and `ifstate.<iface>` in one directory (an in-root path).
fn read_state_dir(
    root: &Root,
    dir: &Path,
    recorded: &mut BTreeMap<String, Recorded>,
    evidence: &mut Vec<Evidence>,
) -> Result<(), String> {
    let names = root
        .read_dir(dir, MAX_ENTRIES)
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    for name in names {
        let iface_from_name = match name.as_str() {
            "ifstate" => None,
            n => match n.strip_prefix("ifstate.") {
                Some(iface) => Some(iface.to_string()),
                None => continue,
            },
        };
        let path = dir.join(&name);
        let text = match root.read_text(&path, MAX_STATE_BYTES) {
            Ok(t) => t,
            Err(e) => return Err(e.to_string()),
        };
        let record = |recorded: &mut BTreeMap<String, Recorded>, iface: &str, logical: &str| {
            recorded.entry(iface.to_string()).or_insert(Recorded {
                logical: logical.to_string(),
                file: path.clone(),
            });
        };
        match iface_from_name {
            None => {
                let state = parse::ifstate(&text);
                for (iface, logical) in state.recorded {
                    record(recorded, iface, logical);
                }
                for (n, line) in state.ignored {
                    evidence.push(Evidence::about(
                        &path,
                        format!(
                            "{}:{n}: not an iface=logical line, ignored as ifupdown does: {line:?}",
                            path.display()
                        ),
                    ));
                }
            }
            Some(iface) => {
                if let Some(logical) = parse::per_interface(&iface, &text) {
                    record(recorded, &iface, logical);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod run_tests;
