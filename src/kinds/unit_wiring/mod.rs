//! Kind `unit-wiring`: the gate is installed and not masked, and the HA unit it exists
//! for is in the image and really gated by it: the HA unit requires the gate
//! (`Requires=` or `BindsTo=` in its file or drop-ins, or a `.requires/` link) and is
//! ordered after it (`After=` there, or `Before=` in the gate's). Requires= without
//! ordering starts both at once, and ordering without Requires= starts the HA unit
//! whatever the gate says (systemd.unit(5)). A gate wired to a unit the image does not
//! have gates nothing.
//!
//! Enabled or not: a gate the HA unit requires and is ordered after is started by that
//! Requires= whenever the HA unit starts, and the HA unit's start waits for it and fails
//! when it fails (systemd.unit(5), Requires=: "If this unit gets activated, the units
//! listed will be activated as well ... if one of the other units fails to activate, and
//! an ordering dependency After= on the failing unit is set, this unit will not be
//! started"). So such a gate gates, with or without a `.wants/` link: "not enabled" is
//! a failure only while no HA unit requires the gate, when nothing would ever start it.
//!
//! Which unit is the HA unit: the spec's `ha_unit` when it names one; otherwise every
//! unit that requires the gate, found in the image (the firmware installs the packaged
//! drop-in for its HA unit, `ha-unit.service.d/10-ha-preflight.conf`), and there must be
//! one. Units are resolved as systemd 252 resolves them ([`resolve`]): search path,
//! aliases, templates, masks and drop-in precedence.

mod resolve;
mod unit_file;

use super::{ANY, Context, Evaluate, KindDef, LOCAL, boxed};
use crate::config::{Params, SpecError};
use crate::model::{Evidence, Outcome, summarize};
use crate::world::root::{GlobError, Root};
use resolve::{State, Unit, Units};
use std::path::{Path, PathBuf};

/// What the spec loader knows of this kind; [`super::KINDS`] lists it.
pub const DEF: KindDef = KindDef {
    name: "unit-wiring",
    modes: ANY,
    default_timeout: LOCAL,
    waits: false,
    params: PARAMS,
    parse: |p| UnitWiring::parse(p).map(boxed),
};

pub const PARAMS: &[&str] = &["unit", "ha_unit"];

/// Where the man page tells a firmware how to name its HA unit.
const HOW: &str = "install the drop-in for the HA unit (see ha-preflight(8), UNIT WIRING; \
                   /usr/share/doc/ha-preflight/examples/ha-unit.service.d/)";

#[derive(Debug)]
pub struct UnitWiring {
    pub unit: String,
    /// The HA unit, when the spec names it; else every unit that requires `unit`.
    pub ha_unit: Option<String>,
}

/// One thing wrong, with its own fix.
struct Offender {
    evidence: Evidence,
    fix: String,
}

impl UnitWiring {
    pub fn parse(p: &mut Params) -> Result<Self, SpecError> {
        let unit_name = |p: &mut Params, key: &str| -> Result<Option<String>, SpecError> {
            let name: Option<String> = p.string(key)?;
            match name {
                Some(n) if !resolve::valid_name(&n) => Err(p.error_here(format!(
                    "`{key}` is a unit name such as \"appliance-ha.service\" or \
                         \"drbd@r0.service\", not {n:?}"
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
        let units = Units::read(root)?;
        let gate = &self.unit;
        let gate_unit = units.load(gate)?;
        let searched = units.searched();
        match &gate_unit.state {
            State::NotFound => {
                return Ok(Outcome::fail(format!(
                    "{gate} is not installed (no unit file in {searched})"
                ))
                .fix(format!(
                    "Install ha-preflight's unit in the image (the Debian package does):\n    \
                     install -m 644 ha-preflight.service $ROOT/usr/lib/systemd/system/{gate}"
                )));
            }
            State::Masked(by) => {
                return Ok(Outcome::fail(format!(
                    "{gate} is masked ({}): systemd never starts it, and a unit that \
                     requires it does not start either",
                    masked_by(root, by)
                ))
                .with(Evidence::about(
                    by,
                    format!("mask: {}", masked_by(root, by)),
                ))
                .fix(unmask(gate, by)));
            }
            State::Loaded => {}
        }
        let fragment = gate_unit.fragment.clone().unwrap_or_default();
        let mut evidence = vec![Evidence::about(
            &fragment,
            format!("unit file: {}", fragment.display()),
        )];
        let enabled = units.pulled_in_by(&gate_unit.names);
        evidence.extend(
            enabled
                .iter()
                .map(|e| Evidence::about(e, format!("enabled by {}", e.display()))),
        );
        let mut offenders: Vec<Offender> = Vec::new();
        let ha_units = match &self.ha_unit {
            Some(name) => vec![name.clone()],
            None => units.requiring(&gate_unit)?,
        };
        if ha_units.is_empty() {
            offenders.push(Offender {
                evidence: Evidence::about(
                    &fragment,
                    format!("no unit in the image requires {gate}, so it gates nothing: {HOW}"),
                ),
                fix: "Install the drop-in for the HA unit:\n    \
                     install -D -m 644 $ROOT/usr/share/doc/ha-preflight/examples/ha-unit.service.d/10-ha-preflight.conf \
                     $ROOT/usr/lib/systemd/system/YOUR-HA-UNIT.service.d/10-ha-preflight.conf\n\
                     (or set ha_unit in the unit-wiring check to say which unit it is)"
                    .to_string(),
            });
        }
        let mut gated = Vec::new();
        for ha in &ha_units {
            let ha_unit = units.load(ha)?;
            match self.judge(&gate_unit, &ha_unit, &searched, root) {
                Ok(lines) => {
                    evidence.extend(lines);
                    gated.push(ha.clone());
                }
                Err(o) => offenders.push(o),
            }
        }
        if enabled.is_empty() && gated.is_empty() {
            offenders.push(Offender {
                evidence: Evidence::about(
                    &fragment,
                    format!(
                        "{gate} is installed ({}) but not enabled: no .wants/ or .requires/ \
                         link to it in {searched}, and no gated HA unit pulls it in",
                        fragment.display()
                    ),
                ),
                fix: format!(
                    "Enable the gate in the build:\n    systemctl --root=$ROOT enable {gate}"
                ),
            });
        }
        let ok = if enabled.is_empty() {
            format!(
                "{gate} is installed and gates {} (Requires= and After=); no .wants/ link \
                 enables it, but the Requires= starts it with the HA unit",
                gated.join(", ")
            )
        } else {
            format!(
                "{gate} is installed, enabled, and gates {} (Requires= and After=)",
                gated.join(", ")
            )
        };
        let mut fixes: Vec<String> = Vec::new();
        for o in &offenders {
            if !fixes.contains(&o.fix) {
                fixes.push(o.fix.clone());
            }
        }
        let mut outcome = summarize(
            offenders.into_iter().map(|o| o.evidence).collect(),
            Vec::new(),
            ok,
        );
        if !fixes.is_empty() {
            outcome = outcome.fix(fixes.join("\n"));
        }
        outcome.evidence.splice(0..0, evidence);
        Ok(outcome)
    }

    /// Whether `ha` is gated by `gate`: its evidence when it is, else what is wrong.
    fn judge(
        &self,
        gate: &Unit,
        ha_unit: &Unit,
        searched: &str,
        root: &Root,
    ) -> Result<Vec<Evidence>, Offender> {
        let ha = &ha_unit.name;
        let g = &gate.name;
        let named = if self.ha_unit.is_some() {
            " (the spec's ha_unit)"
        } else {
            ""
        };
        let first_dir = Path::new(resolve::SEARCH_PATH[4]).join(ha);
        let fragment = ha_unit.fragment.clone().unwrap_or(first_dir);
        match &ha_unit.state {
            State::NotFound => {
                return Err(Offender {
                    evidence: Evidence::about(
                        &fragment,
                        format!(
                            "the HA unit {ha}{named} is not installed (no unit file for it{} \
                             in {searched}): nothing is gated",
                            resolve::template_of(ha)
                                .map(|t| format!(" or its template {t}"))
                                .unwrap_or_default()
                        ),
                    ),
                    fix: format!(
                        "Install the HA unit {ha} in the image, or name the unit that is there \
                         (the drop-in's folder $ROOT/usr/lib/systemd/system/UNIT.d/, or ha_unit)"
                    ),
                });
            }
            State::Masked(by) => {
                return Err(Offender {
                    evidence: Evidence::about(
                        by,
                        format!(
                            "the HA unit {ha}{named} is masked ({}): it never starts, so the gate \
                             gates nothing",
                            masked_by(root, by)
                        ),
                    ),
                    fix: unmask(ha, by),
                });
            }
            State::Loaded => {}
        }
        let mut lines = vec![Evidence::about(
            &fragment,
            format!("HA unit file: {}", fragment.display()),
        )];
        let others: Vec<&String> = ha_unit.names.iter().filter(|n| *n != ha).collect();
        if !others.is_empty() {
            lines.push(Evidence::about(
                &fragment,
                format!(
                    "{ha} is also named {}",
                    others
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        lines.extend(
            ha_unit
                .dropins
                .iter()
                .map(|d| Evidence::about(d, format!("{ha} drop-in: {}", d.display()))),
        );
        let names_gate = |list: &[String]| list.iter().any(|u| gate.has_name(u));
        let required = names_gate(&ha_unit.deps.requires) || names_gate(&ha_unit.requires_links);
        if !required {
            return Err(Offender {
                evidence: Evidence::about(
                    &fragment,
                    format!(
                        "{ha}{named} does not require {g}: no Requires= in it or its drop-ins, \
                         no {ha}.requires/ link, so it starts whatever the gate says; {HOW}"
                    ),
                ),
                fix: format!(
                    "Add Requires={g} and After={g} to {ha} with the packaged drop-in:\n    \
                     install -D -m 644 $ROOT/usr/share/doc/ha-preflight/examples/ha-unit.service.d/10-ha-preflight.conf \
                     $ROOT/usr/lib/systemd/system/{ha}.d/10-ha-preflight.conf"
                ),
            });
        }
        let ordered =
            names_gate(&ha_unit.deps.after) || gate.deps.before.iter().any(|u| ha_unit.has_name(u));
        if !ordered {
            return Err(Offender {
                evidence: Evidence::about(
                    &fragment,
                    format!(
                        "{ha} requires {g} but is not ordered after it (no After={g} in it \
                         or its drop-ins, no Before={ha} in {g}): systemd starts both at once"
                    ),
                ),
                fix: format!(
                    "Add After={g} next to the Requires= (the packaged drop-in \
                     10-ha-preflight.conf has both), in $ROOT/usr/lib/systemd/system/{ha}.d/"
                ),
            });
        }
        Ok(lines)
    }
}

/// How a mask is spelled, for a report: the link and its target, or an empty file.
fn masked_by(root: &Root, by: &Path) -> String {
    match root.read_link(by) {
        Ok(target) => format!("{} -> {}", by.display(), target.display()),
        Err(_) => match root.lstat(by) {
            Ok(st) if st.size == 0 => format!("{} is an empty file", by.display()),
            _ => format!("{} is a device node", by.display()),
        },
    }
}

/// The fix for a mask: systemctl removes its own links in /etc; any other mask is a file
/// the build put there.
fn unmask(unit: &str, by: &Path) -> String {
    let etc: PathBuf = Path::new(resolve::SEARCH_PATH[4]).join(unit);
    if by == etc {
        format!(
            "Unmask it in the build:\n    systemctl --root=$ROOT unmask {unit}\n\
             (or remove $ROOT{}: an empty file or a link to /dev/null there masks the unit)",
            by.display()
        )
    } else {
        format!(
            "Remove the mask $ROOT{} (an empty file or a link to /dev/null masks the unit)",
            by.display()
        )
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

#[cfg(test)]
mod run_tests;
