//! Kind `diversions`: no fake binaries or diversions left by the build. debootstrap,
//! mmdebstrap, live-build and FAI replace start-stop-daemon, initctl, ldconfig or
//! hostname with stubs ("Warning: Fake start-stop-daemon called, doing nothing") and
//! divert the real one to `*.REAL`; an aborted or careless build ships the stub, and
//! daemons then "start" without running.

use super::{ANY, Context, Evaluate, KindDef, LOCAL, boxed};
use crate::config::{Params, SpecError};
use crate::model::{Evidence, Outcome, summarize};
use crate::world::dpkg;
use crate::world::read::ReadError;
use std::path::Path;

/// What the spec loader knows of this kind; [`super::KINDS`] lists it.
pub const DEF: KindDef = KindDef {
    name: "diversions",
    modes: ANY,
    default_timeout: LOCAL,
    waits: false,
    params: PARAMS,
    parse: |p| Diversions::parse(p).map(boxed),
};

pub const PARAMS: &[&str] = &["binaries", "packages", "real_globs"];

#[derive(Debug)]
pub struct Diversions {
    /// Binaries builds fake: they must be ELF, and not diverted.
    pub binaries: Vec<String>,
    /// Packages whose diversions are build tooling (fai, live-build).
    pub packages: Vec<String>,
    pub real_globs: Vec<String>,
}

impl Diversions {
    pub fn parse(p: &mut Params) -> Result<Self, SpecError> {
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        Ok(Diversions {
            binaries: p.strings("binaries")?.unwrap_or_else(|| {
                strings(&[
                    "/sbin/start-stop-daemon",
                    "/usr/sbin/start-stop-daemon",
                    "/sbin/initctl",
                    "/sbin/ldconfig",
                    "/usr/sbin/ldconfig",
                    "/bin/hostname",
                    "/usr/bin/hostname",
                    "/usr/sbin/flash-kernel",
                ])
            }),
            packages: p
                .strings("packages")?
                .unwrap_or_else(|| strings(&["fai", "live-build", "fakechroot"])),
            real_globs: p.strings("real_globs")?.unwrap_or_else(|| {
                strings(&[
                    "/sbin/*.REAL",
                    "/usr/sbin/*.REAL",
                    "/bin/*.REAL",
                    "/usr/bin/*.REAL",
                ])
            }),
        })
    }
}

impl Evaluate for Diversions {
    fn evaluate(&self, cx: &Context) -> Outcome {
        let root = &cx.target.root;
        let mut offenders = Vec::new();
        let mut errors = Vec::new();
        for pattern in &self.real_globs {
            match root.glob(pattern, 1000) {
                Ok(paths) => offenders.extend(paths.iter().map(|path| {
                    Evidence::about(
                        path,
                        format!(
                            "{} is a diverted original: the binary in its place is a build stub",
                            path.display()
                        ),
                    )
                })),
                Err(e) => errors.push(e.to_string()),
            }
        }
        for bin in &self.binaries {
            match root.read_head(Path::new(bin), 4) {
                Ok(head) if head != b"\x7fELF" => offenders.push(Evidence::about(
                    bin,
                    format!("{bin} is not an ELF binary: a build stub?"),
                )),
                Ok(_) | Err(ReadError::NotRegular { .. }) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => errors.push(e.to_string()),
            }
        }
        match root.read_text(Path::new(dpkg::DIVERSIONS), 4 << 20) {
            Ok(text) => {
                let (entries, error) = dpkg::diversions(&text);
                errors.extend(error.map(|e| e.to_string()));
                for d in entries {
                    if self.binaries.iter().any(|b| b == d.from)
                        || self.packages.iter().any(|p| p == d.package)
                    {
                        let by = if d.package == ":" {
                            "a local admin"
                        } else {
                            d.package
                        };
                        offenders.push(Evidence::about(
                            d.from,
                            format!(
                                "{}: {} diverted to {} by {by}",
                                dpkg::DIVERSIONS,
                                d.from,
                                d.to
                            ),
                        ));
                    }
                }
            }
            Err(e) if e.is_not_found() => {}
            Err(e) => errors.push(e.to_string()),
        }
        summarize(
            offenders,
            errors,
            "no build stubs or build diversions".into(),
        )
    }
}

#[cfg(test)]
mod run_tests;
