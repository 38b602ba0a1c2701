//! Kind `ifstate`: every interface ifupdown's state calls configured is really up.
//!
//! ifup consults its state before doing anything: an interface recorded as configured is
//! skipped ("ifup: interface lo already configured", silently under `ifup -a`). State
//! that survived a reboot (seed 004) therefore keeps an interface down for good. Two
//! formats are read:
//! - `ifstate`, lines `iface=logical` (ifupdown 0.6 to 0.8);
//! - `ifstate.<iface>`, holding the logical name when up and empty when down (0.8).

use super::Context;
use crate::outcome::Outcome;
use crate::spec::SpecError;
use crate::spec::params::Params;
use crate::target::read_text;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

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
            .take("dirs")?
            .unwrap_or_else(|| vec!["/etc/network/run".into(), "/run/network".into()]);
        if dirs.iter().any(|d| !d.starts_with('/')) {
            return Err(p.error_here("`dirs` must be absolute paths"));
        }
        Ok(Ifstate {
            dirs: dirs.into_iter().map(PathBuf::from).collect(),
        })
    }

    pub fn evaluate(&self, cx: &Context) -> Outcome {
        let mut seen_dirs: Vec<PathBuf> = Vec::new();
        let mut recorded: BTreeMap<String, Recorded> = BTreeMap::new();
        let mut evidence = Vec::new();
        for dir in &self.dirs {
            // /etc/network/run usually links to /run/network: read each real dir once.
            let Ok(real) = fs::canonicalize(dir) else {
                continue;
            };
            if seen_dirs.contains(&real) {
                continue;
            }
            seen_dirs.push(real.clone());
            if let Err(e) = read_state_dir(&real, &mut recorded, &mut evidence) {
                return Outcome::error(e).with_all(evidence);
            }
        }
        if recorded.is_empty() {
            let looked: Vec<String> = self.dirs.iter().map(|d| d.display().to_string()).collect();
            return Outcome::pass("no interface is recorded as configured")
                .with(format!("looked in {}", looked.join(", ")))
                .with_all(evidence);
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
            evidence.push(format!("{}: {iface}={}", rec.file.display(), rec.logical));
            // An alias (eth0:1) is an address on its base link, which is what must be up.
            let base = iface.split(':').next().unwrap_or(iface);
            match links.links.get(base) {
                Some(link) if link.up => evidence.push(format!("{}: {iface} is up", links.from)),
                Some(_) => {
                    evidence.push(format!("{}: {iface} is down (IFF_UP not set)", links.from));
                    stale.push(iface.as_str());
                }
                None => {
                    evidence.push(format!("{}: no interface named {iface}", links.from));
                    stale.push(iface.as_str());
                }
            }
        }
        match stale.as_slice() {
            [] => Outcome::pass(format!(
                "{} recorded as configured, and up",
                recorded.keys().cloned().collect::<Vec<_>>().join(", ")
            )),
            [one] => Outcome::fail(format!(
                "ifup will skip {one} because its state file says it is already configured, but {one} is not up"
            )),
            many => Outcome::fail(format!(
                "ifup will skip {} because their state files say they are already configured, but they are not up",
                many.join(", ")
            )),
        }
        .with_all(evidence)
    }
}

/// Reads `ifstate` and `ifstate.<iface>` in one directory.
fn read_state_dir(
    dir: &Path,
    recorded: &mut BTreeMap<String, Recorded>,
    evidence: &mut Vec<String>,
) -> Result<(), String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut names: Vec<String> = Vec::new();
    for entry in entries.take(MAX_ENTRIES) {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    for name in names {
        let iface_from_name = match name.as_str() {
            "ifstate" => None,
            n => match n.strip_prefix("ifstate.") {
                Some(iface) => Some(iface.to_string()),
                None => continue,
            },
        };
        let path = dir.join(&name);
        let text = match read_text(&path, MAX_STATE_BYTES) {
            Ok(t) => t,
            Err(e) => return Err(e.to_string()),
        };
        match iface_from_name {
            None => {
                for (i, line) in text.lines().enumerate() {
                    let line = line.trim();
                    if line.is_empty() {
                        continue;
                    }
                    match parse_line(line) {
                        Some((iface, logical)) => {
                            recorded.entry(iface.to_string()).or_insert(Recorded {
                                logical: logical.to_string(),
                                file: path.clone(),
                            });
                        }
                        None => evidence.push(format!(
                            "{}:{}: not an iface=logical line, ignored as ifupdown does: {line:?}",
                            path.display(),
                            i + 1
                        )),
                    }
                }
            }
            Some(iface) => {
                let logical = text.trim();
                // Empty means "down" in ifupdown 0.8's per-interface state.
                if !logical.is_empty() && valid_ifname(&iface) {
                    recorded.entry(iface).or_insert(Recorded {
                        logical: logical.to_string(),
                        file: path.clone(),
                    });
                }
            }
        }
    }
    Ok(())
}

/// `iface=logical`, with a name the kernel could have.
pub fn parse_line(line: &str) -> Option<(&str, &str)> {
    let (iface, logical) = line.split_once('=')?;
    (valid_ifname(iface) && !logical.is_empty()).then_some((iface, logical))
}

/// A name ifupdown could have recorded: a Linux interface name (1 to 15 bytes, no '/',
/// no whitespace, not "." or ".."), optionally with an alias suffix (`eth0:1`).
pub fn valid_ifname(name: &str) -> bool {
    let base = name.split(':').next().unwrap_or(name);
    (1..16).contains(&base.len())
        && base != "."
        && base != ".."
        && name.len() < 32
        && !name.contains(|c: char| c == '/' || c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_state_lines() {
        assert_eq!(parse_line("lo=lo"), Some(("lo", "lo")));
        assert_eq!(parse_line("eth0=home"), Some(("eth0", "home")));
        assert_eq!(parse_line("eth0:1=eth0:1"), Some(("eth0:1", "eth0:1")));
        assert_eq!(parse_line("lo"), None);
        assert_eq!(parse_line("=lo"), None);
        assert_eq!(parse_line("../../etc=x"), None);
        assert_eq!(parse_line("averyveryverylongname=x"), None);
    }
}
