//! Kind `unit-wiring`: the gate is installed, enabled, and ordered before the HA unit it
//! gates, in the image's systemd configuration. A gate that is not wired in gates
//! nothing, and Requires= without ordering starts both at once (systemd.unit(5)).

use super::Context;
use super::path::summarize;
use crate::outcome::Outcome;
use crate::root::{Kind as FileKind, Root};
use crate::spec::SpecError;
use crate::spec::params::Params;
use std::path::{Path, PathBuf};

pub const PARAMS: &[&str] = &["unit", "ha_unit"];

/// systemd's unit search path, most specific first.
const UNIT_DIRS: &[&str] = &[
    "/etc/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
];

#[derive(Debug)]
pub struct UnitWiring {
    pub unit: String,
    pub ha_unit: String,
}

impl UnitWiring {
    pub fn parse(p: &mut Params) -> Result<Self, SpecError> {
        Ok(UnitWiring {
            unit: p
                .take("unit")?
                .unwrap_or_else(|| "ha-preflight.service".into()),
            ha_unit: p.require("ha_unit", "the HA unit the gate must start before")?,
        })
    }

    pub fn evaluate(&self, cx: &Context) -> Outcome {
        let root = &cx.target.root;
        let (unit, ha) = (&self.unit, &self.ha_unit);
        let Some(file) = find(root, unit) else {
            return Outcome::fail(format!(
                "{unit} is not installed (not in {})",
                UNIT_DIRS.join(", ")
            ));
        };
        if masked(root, &file) {
            return Outcome::fail(format!(
                "{unit} is masked ({} -> /dev/null)",
                file.display()
            ));
        }
        let mut offenders = Vec::new();
        let wants = ["*.wants", "*.requires"].map(|d| format!("/etc/systemd/system/{d}/{unit}"));
        let enabled = match root.glob_all(&wants, 64) {
            Ok(found) => found,
            Err(e) => return Outcome::error(e.to_string()),
        };
        if enabled.is_empty() {
            offenders.push(format!("{unit} is installed ({}) but not enabled: no .wants/.requires link in /etc/systemd/system", file.display()));
        }
        let text = root.read_text(&file, 256 << 10).unwrap_or_default();
        let before = directive_lists(&text, "Before").any(|u| u == ha);
        let ha_texts = match find(root, ha).map(|f| unit_and_dropins(root, ha, &f)) {
            Some(Ok(texts)) => texts,
            Some(Err(e)) => return Outcome::error(e.to_string()),
            None => Vec::new(),
        };
        let ha_after = ha_texts
            .iter()
            .any(|t| directive_lists(t, "After").any(|u| u == unit));
        if !before && !ha_after {
            offenders.push(format!("{unit} is not ordered before {ha}: neither Before={ha} in it nor After={unit} in {ha} or its drop-ins"));
        }
        let mut outcome = summarize(
            offenders,
            Vec::new(),
            format!("{unit} installed, enabled and ordered before {ha}"),
        );
        outcome
            .evidence
            .insert(0, format!("unit file: {}", file.display()));
        outcome.evidence.extend(
            enabled
                .iter()
                .map(|e| format!("enabled by {}", e.display())),
        );
        outcome
    }
}

/// The unit file systemd would use, most specific directory first.
fn find(root: &Root, unit: &str) -> Option<PathBuf> {
    UNIT_DIRS
        .iter()
        .map(|d| Path::new(d).join(unit))
        .find(|p| root.exists(p))
}

fn masked(root: &Root, file: &Path) -> bool {
    root.lstat(file)
        .is_ok_and(|st| st.kind == FileKind::Symlink)
        && root
            .read_link(file)
            .is_ok_and(|t| t == Path::new("/dev/null"))
}

/// The unit's text and its drop-ins' (`UNIT.d/*.conf` in every unit directory).
fn unit_and_dropins(
    root: &Root,
    unit: &str,
    file: &Path,
) -> Result<Vec<String>, crate::root::GlobError> {
    let mut texts: Vec<String> = root.read_text(file, 256 << 10).into_iter().collect();
    let dropins = UNIT_DIRS.iter().map(|dir| format!("{dir}/{unit}.d/*.conf"));
    for conf in root.glob_all(dropins, 64)? {
        texts.extend(root.read_text(&conf, 256 << 10));
    }
    Ok(texts)
}

/// The space-separated values of every `KEY=` line.
fn directive_lists<'a>(text: &'a str, key: &'a str) -> impl Iterator<Item = &'a str> {
    text.lines()
        .filter_map(move |l| l.trim().strip_prefix(key)?.trim_start().strip_prefix('='))
        .flat_map(str::split_whitespace)
}
