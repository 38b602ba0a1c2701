//! Kind `unit-wiring`: the gate is installed and enabled, and the HA unit it exists for
//! is in the image and really gated by it: the HA unit requires the gate (`Requires=` or
//! `BindsTo=` in its file or drop-ins, or a `.requires/` link) and is ordered after it
//! (`After=` there, or `Before=` in the gate's). Requires= without ordering starts both
//! at once, and ordering without Requires= starts the HA unit whatever the gate says
//! (systemd.unit(5)). A gate wired to a unit the image does not have gates nothing.
//!
//! Which unit is the HA unit: the spec's `ha_unit` when it names one; otherwise every
//! unit that requires the gate, found in the image (the firmware installs the packaged
//! drop-in for its HA unit, `ha-unit.service.d/10-ha-preflight.conf`), and there must be
//! one. Units and drop-ins are looked up as systemd does: the first unit directory that
//! has the unit file, then `NAME.d/`, `TYPE.d/` and prefix drop-ins (`a-b-.service.d`)
//! in every unit directory, a drop-in in a higher directory hiding the same name lower.

mod unit_file;

use super::{Context, Evaluate};
use crate::config::{Params, SpecError};
use crate::model::{Evidence, Outcome, summarize};
use crate::world::read::FileKind;
use crate::world::root::{GlobError, Root};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use unit_file::Deps;

pub const PARAMS: &[&str] = &["unit", "ha_unit"];

/// systemd's unit search path in an image, most specific first.
const UNIT_DIRS: &[&str] = &[
    "/etc/systemd/system",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
];

/// Unit files and drop-ins are small; a larger one is not read.
const MAX_UNIT_BYTES: usize = 256 << 10;
/// Where the man page tells a firmware how to name its HA unit.
const HOW: &str = "install the drop-in for the HA unit (see ha-preflight(8), UNIT WIRING; \
                   /usr/share/doc/ha-preflight/examples/ha-unit.service.d/)";

#[derive(Debug)]
pub struct UnitWiring {
    pub unit: String,
    /// The HA unit, when the spec names it; else every unit that requires `unit`.
    pub ha_unit: Option<String>,
}

impl UnitWiring {
    pub fn parse(p: &mut Params) -> Result<Self, SpecError> {
        let unit_name = |p: &mut Params, key: &str| -> Result<Option<String>, SpecError> {
            let name: Option<String> = p.take(key)?;
            match name {
                Some(n) if n.contains('/') || !n.contains('.') => Err(p.error_here(format!(
                    "`{key}` is a unit name such as \"appliance-ha.service\", not {n:?}"
                ))),
                other => Ok(other),
            }
        };
        Ok(UnitWiring {
            unit: unit_name(p, "unit")?.unwrap_or_else(|| "ha-preflight.service".into()),
            ha_unit: unit_name(p, "ha_unit")?,
        })
    }

    fn wiring(&self, root: &Root) -> Result<Outcome, GlobError> {
        let gate = &self.unit;
        let Some(gate_unit) = Unit::load(root, gate)? else {
            return Ok(Outcome::fail(format!(
                "{gate} is not installed (not in {})",
                UNIT_DIRS.join(", ")
            )));
        };
        let mut evidence = vec![Evidence::about(
            &gate_unit.fragment,
            format!("unit file: {}", gate_unit.shown()),
        )];
        if gate_unit.masked {
            return Ok(Outcome::fail(format!(
                "{gate} is masked ({})",
                gate_unit.shown()
            )));
        }
        let mut offenders = Vec::new();
        let wants = ["*.wants", "*.requires"].map(|d| format!("/etc/systemd/system/{d}/{gate}"));
        let enabled = root.glob_all(&wants, 64)?;
        if enabled.is_empty() {
            offenders.push(Evidence::about(
                &gate_unit.fragment,
                format!(
                    "{gate} is installed ({}) but not enabled: no .wants/.requires link in /etc/systemd/system",
                    gate_unit.shown()
                ),
            ));
        }
        evidence.extend(
            enabled
                .iter()
                .map(|e| Evidence::about(e, format!("enabled by {}", e.display()))),
        );
        let ha_units = match &self.ha_unit {
            Some(name) => vec![name.clone()],
            None => requiring(root, gate)?,
        };
        if ha_units.is_empty() {
            offenders.push(Evidence::about(
                &gate_unit.fragment,
                format!("no unit in the image requires {gate}, so it gates nothing: {HOW}"),
            ));
        }
        let mut gated = Vec::new();
        for ha in &ha_units {
            let named = if self.ha_unit.is_some() {
                " (the spec's ha_unit)"
            } else {
                ""
            };
            let Some(ha_unit) = Unit::load(root, ha)? else {
                offenders.push(Evidence::about(
                    Path::new(UNIT_DIRS[0]).join(ha),
                    format!(
                        "the HA unit {ha}{named} is not installed (not in {}): nothing is gated",
                        UNIT_DIRS.join(", ")
                    ),
                ));
                continue;
            };
            if ha_unit.masked {
                offenders.push(Evidence::about(
                    &ha_unit.fragment,
                    format!("the HA unit {ha} is masked ({})", ha_unit.shown()),
                ));
                continue;
            }
            evidence.push(Evidence::about(
                &ha_unit.fragment,
                format!("HA unit file: {}", ha_unit.shown()),
            ));
            evidence.extend(
                ha_unit
                    .dropins
                    .iter()
                    .map(|d| Evidence::about(d, format!("{ha} drop-in: {}", d.display()))),
            );
            let required = ha_unit.deps.requires.contains(gate);
            let linked = ha_unit.requires_links.contains(gate);
            if !required && !linked {
                offenders.push(Evidence::about(
                    &ha_unit.fragment,
                    format!(
                        "{ha}{named} does not require {gate}: no Requires= in it or its drop-ins, \
                         no {ha}.requires/ link, so it starts whatever the gate says; {HOW}"
                    ),
                ));
                continue;
            }
            let ordered = ha_unit.deps.after.contains(gate) || gate_unit.deps.before.contains(ha);
            if !ordered {
                offenders.push(Evidence::about(
                    &ha_unit.fragment,
                    format!(
                        "{ha} requires {gate} but is not ordered after it (no After={gate} in it \
                         or its drop-ins, no Before={ha} in {gate}): systemd starts both at once"
                    ),
                ));
                continue;
            }
            gated.push(ha.clone());
        }
        let mut outcome = summarize(
            offenders,
            Vec::new(),
            format!(
                "{gate} is installed, enabled, and gates {} (Requires= and After=)",
                gated.join(", ")
            ),
        );
        outcome.evidence.splice(0..0, evidence);
        Ok(outcome)
    }
}

impl Evaluate for UnitWiring {
    fn evaluate(&self, cx: &Context) -> Outcome {
        match self.wiring(&cx.target.root) {
            Ok(outcome) => outcome,
            Err(e) => Outcome::error(e.to_string()),
        }
    }
}

/// A unit as systemd would load it from the image.
struct Unit {
    /// The unit file used: the first unit directory's.
    fragment: PathBuf,
    masked: bool,
    /// Drop-ins applied, in the order systemd applies them.
    dropins: Vec<PathBuf>,
    deps: Deps,
    /// Units linked from `NAME.requires/` in any unit directory.
    requires_links: Vec<String>,
}

impl Unit {
    /// None when no unit directory has the unit file.
    fn load(root: &Root, name: &str) -> Result<Option<Unit>, GlobError> {
        let Some(fragment) = UNIT_DIRS
            .iter()
            .map(|d| Path::new(d).join(name))
            .find(|p| root.exists(p))
        else {
            return Ok(None);
        };
        let masked = is_masked(root, &fragment);
        let mut deps = if masked {
            Deps::default()
        } else {
            unit_file::parse(
                &root
                    .read_text(&fragment, MAX_UNIT_BYTES)
                    .unwrap_or_default(),
            )
        };
        // Drop-ins by file name; the first (most specific) directory's copy wins.
        let mut by_name: BTreeMap<String, PathBuf> = BTreeMap::new();
        for dir in UNIT_DIRS {
            for folder in dropin_folders(name) {
                for conf in root.glob(&format!("{dir}/{folder}/*.conf"), 256)? {
                    let file = conf
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    by_name.entry(file).or_insert(conf);
                }
            }
        }
        let dropins: Vec<PathBuf> = by_name
            .into_values()
            .filter(|p| !is_masked(root, p))
            .collect();
        for d in &dropins {
            deps.add(unit_file::parse(
                &root.read_text(d, MAX_UNIT_BYTES).unwrap_or_default(),
            ));
        }
        let links = root.glob_all(
            UNIT_DIRS.iter().map(|d| format!("{d}/{name}.requires/*")),
            256,
        )?;
        let requires_links = links
            .iter()
            .filter_map(|l| l.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        Ok(Some(Unit {
            fragment,
            masked,
            dropins,
            deps,
            requires_links,
        }))
    }

    fn shown(&self) -> String {
        self.fragment.display().to_string()
    }
}

/// The drop-in folders that apply to `name`, least specific first: the type's
/// (`service.d`), each dash prefix's (`a-.service.d`, `a-b-.service.d`), its own.
fn dropin_folders(name: &str) -> Vec<String> {
    let Some((stem, kind)) = name.rsplit_once('.') else {
        return vec![format!("{name}.d")];
    };
    let mut folders = vec![format!("{kind}.d")];
    let mut at = 0;
    while let Some(i) = stem[at..].find('-') {
        at += i + 1;
        folders.push(format!("{}.{kind}.d", &stem[..at]));
    }
    folders.push(format!("{name}.d"));
    folders
}

/// The units of the image that require `gate`: through a `.requires/` link, a drop-in
/// or their own file.
fn requiring(root: &Root, gate: &str) -> Result<Vec<String>, GlobError> {
    let mut found: Vec<String> = Vec::new();
    let mut add = |name: &str| {
        if name != gate && !name.is_empty() && !found.iter().any(|f| f == name) {
            found.push(name.to_string());
        }
    };
    for link in root.glob_all(
        UNIT_DIRS.iter().map(|d| format!("{d}/*.requires/{gate}")),
        256,
    )? {
        if let Some(dir) = link.parent().and_then(Path::file_name) {
            add(dir.to_string_lossy().trim_end_matches(".requires"));
        }
    }
    let requires = |path: &Path| {
        unit_file::parse(&root.read_text(path, MAX_UNIT_BYTES).unwrap_or_default())
            .requires
            .iter()
            .any(|u| u == gate)
    };
    for conf in root.glob_all(UNIT_DIRS.iter().map(|d| format!("{d}/*.d/*.conf")), 4096)? {
        let folder = conf
            .parent()
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().trim_end_matches(".d").to_string())
            .unwrap_or_default();
        // A unit's own drop-in folder names a unit; `service.d` and `a-.service.d` do
        // not name one.
        let names_a_unit = folder.contains('.') && !folder.contains("-.");
        if names_a_unit && requires(&conf) {
            add(&folder);
        }
    }
    for file in root.glob_all(UNIT_DIRS.iter().map(|d| format!("{d}/*.service")), 4096)? {
        let is_file = root.lstat(&file).is_ok_and(|st| st.kind == FileKind::File);
        if is_file && requires(&file) {
            add(&file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default());
        }
    }
    Ok(found)
}

fn is_masked(root: &Root, file: &Path) -> bool {
    root.lstat(file)
        .is_ok_and(|st| st.kind == FileKind::Symlink)
        && root
            .read_link(file)
            .is_ok_and(|t| t == Path::new("/dev/null"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropin_folders_follow_systemd() {
        assert_eq!(
            dropin_folders("appliance-ha.service"),
            [
                "service.d",
                "appliance-.service.d",
                "appliance-ha.service.d"
            ]
        );
        assert_eq!(dropin_folders("ha.service"), ["service.d", "ha.service.d"]);
    }
}
