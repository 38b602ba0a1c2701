//! Overrides, as lintian has them: a finding the firmware team has looked at and
//! accepted, with the reason written down. An overridden result is shown as such (status
//! `skip`, "overridden: REASON", the original summary kept), so it no longer gates; an
//! override that matched nothing is reported, so stale ones do not pile up.
//!
//! A `path` matches the paths a finding's evidence is about, carried as data
//! (`Evidence::path`), never words cut out of its text: rewording a message neither
//! brings back an accepted finding nor hides another.
//!
//! ```toml
//! [[override]]
//! id = "resolv-conf"
//! path = "/etc/resolv.conf"        # optional: only findings naming a matching path
//! reason = "replaced at first boot by the provisioning agent"
//! ```
//!
//! Read from `--overrides FILE` and, in image mode, from the image's own
//! `/usr/lib/ha-preflight/overrides/*.toml` (confined to the image).

use super::CheckResult;
use crate::config::{SpecError, SpecText};
use crate::model::pattern::path_matches;
use crate::model::{Evidence, Status, suggest};
use crate::spec::Spec;
#[cfg(test)]
use crate::spec::parse_text;
use crate::world::Target;
use crate::world::read::read_text;
use std::path::Path;

pub const IMAGE_DIR: &str = "/usr/lib/ha-preflight/overrides";

#[derive(Debug)]
pub struct Override {
    pub id: String,
    pub path: Option<String>,
    pub reason: String,
    /// "FILE:LINE", for reports.
    pub at: String,
    /// Where the id is written, for the error when the spec has no such check.
    id_at: (std::path::PathBuf, usize, usize),
    pub used: bool,
}

#[derive(Debug, Default)]
pub struct Overrides(Vec<Override>);

/// Parses one overrides file.
pub fn parse(source: &SpecText) -> Result<Vec<Override>, SpecError> {
    let mut out = Vec::new();
    for e in crate::config::document::overrides(source)? {
        let span = e.span;
        let id_pos = source.position(e.id.span().start);
        let id = e.id.into_inner();
        if e.reason.trim().is_empty() {
            return Err(source.error_at(span, format!("override for `{id}` has an empty reason")));
        }
        let (line, _) = source.position(span.start);
        out.push(Override {
            id_at: (source.path.clone(), id_pos.0, id_pos.1),
            id,
            path: e.path,
            reason: e.reason.trim().to_string(),
            at: format!("{}:{line}", source.path.display()),
            used: false,
        });
    }
    Ok(out)
}

/// The overrides of a run: those of `--overrides FILE` and (in an image) the image's
/// own, each naming a check of `spec`.
pub fn for_run(file: Option<&Path>, target: &Target, spec: &Spec) -> Result<Overrides, SpecError> {
    let all = load_all(file, target)?;
    all.check_ids(spec)?;
    Ok(all)
}

/// `--overrides FILE` plus, in image mode, the image's own overrides.
fn load_all(file: Option<&Path>, target: &Target) -> Result<Overrides, SpecError> {
    let mut all = Vec::new();
    if let Some(path) = file {
        let text = read_text(path, 1 << 20).map_err(|e| SpecError::File {
            path: path.to_path_buf(),
            message: e.cause(),
        })?;
        all.extend(parse(&SpecText::new(path.to_path_buf(), text))?);
    }
    if target.is_image() {
        let found = target
            .root
            .glob(&format!("{IMAGE_DIR}/*.toml"), 256)
            .map_err(|e| SpecError::File {
                path: target.root.dir.join(IMAGE_DIR.trim_start_matches('/')),
                message: e.to_string(),
            })?;
        for path in found {
            let shown = target
                .root
                .dir
                .join(path.strip_prefix("/").unwrap_or(&path));
            let text = target
                .root
                .read_text(&path, 1 << 20)
                .map_err(|e| SpecError::File {
                    path: shown.clone(),
                    message: e.cause(),
                })?;
            all.extend(parse(&SpecText::new(shown, text))?);
        }
    }
    Ok(Overrides(all))
}

impl Overrides {
    /// An override for a check the spec does not have is an error, at its `id`: a typo
    /// there would otherwise accept nothing, silently (lintian makes it an error too).
    /// Says on stderr each override that matched nothing in the run.
    pub fn warn_unused(&self) {
        for unused in self.unused() {
            log::warn!("override matched nothing: {unused}");
        }
    }

    fn check_ids(&self, spec: &Spec) -> Result<(), SpecError> {
        match self.0.iter().find(|o| spec.get(&o.id).is_none()) {
            None => Ok(()),
            Some(o) => {
                let (path, line, col) = &o.id_at;
                Err(crate::config::error_at(
                    path,
                    (*line, *col),
                    match suggest::closest(&o.id, spec.checks.iter().map(|c| c.id.as_str())) {
                        Some(meant) => format!(
                            "override for `{}`, which is not a check of the spec; did you mean `{meant}`?",
                            o.id
                        ),
                        None => format!(
                            "override for `{}`, which is not a check of the spec (see `ha-preflight list`)",
                            o.id
                        ),
                    },
                ))
            }
        }
    }

    /// Marks the failing results an override covers.
    pub fn apply(&mut self, results: &mut [CheckResult]) {
        for r in results {
            if !matches!(r.status, Status::Fail | Status::Warn) {
                continue;
            }
            let id = &r.check.id;
            let Some(o) = self
                .0
                .iter_mut()
                .find(|o| &o.id == id && covers(o, &r.outcome.evidence))
            else {
                continue;
            };
            o.used = true;
            r.outcome.summary = format!(
                "overridden: {} (was {}: {})",
                o.reason,
                r.status.as_str(),
                r.outcome.summary
            );
            r.outcome
                .evidence
                .push(format!("override at {}", o.at).into());
            r.status = Status::Skip;
        }
    }

    /// Overrides that matched no finding, described for a warning.
    pub fn unused(&self) -> Vec<String> {
        self.0
            .iter()
            .filter(|o| !o.used)
            .map(|o| {
                let path = o
                    .path
                    .as_deref()
                    .map(|p| format!(" path {p}"))
                    .unwrap_or_default();
                format!("{} `{}`{path} ({})", o.at, o.id, o.reason)
            })
            .collect()
    }
}

/// Without a path, an override covers the check's finding; with one, only a finding
/// whose evidence is about a path matching it.
fn covers(o: &Override, evidence: &[Evidence]) -> bool {
    let Some(pattern) = &o.path else {
        return true;
    };
    evidence
        .iter()
        .filter_map(|e| e.path.as_deref())
        .any(|p| path_matches(pattern, &p.to_string_lossy()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> SpecText {
        SpecText::new("o.toml".into(), text.into())
    }

    #[test]
    fn parses_and_requires_a_reason() {
        let o = parse(&source(
            "[[override]]\nid = \"resolv-conf\"\nreason = \"agent\"\n",
        ))
        .unwrap();
        assert_eq!(
            (o[0].id.as_str(), o[0].at.as_str()),
            ("resolv-conf", "o.toml:1")
        );
        let e = parse(&source("[[override]]\nid = \"x\"\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing key `reason`"), "{e}");
        let e = parse(&source("[[override]]\nid = \"x\"\nreason = \" \"\n"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("o.toml:1:1: override for `x` has an empty reason"),
            "{e}"
        );
    }

    #[test]
    fn an_override_for_an_unknown_check_is_an_error_at_its_id() {
        let spec = parse_text(
            std::path::Path::new("s.toml"),
            "[[check]]\nid = \"lo-up\"\nkind = \"interface\"\nmodes = [\"boot\"]\nname = \"lo\"\nwhy = \"w\"\nfix = \"f\"\n",
        )
        .unwrap();
        let known =
            Overrides(parse(&source("[[override]]\nid = \"lo-up\"\nreason = \"r\"\n")).unwrap());
        assert!(known.check_ids(&spec).is_ok());
        let typo =
            Overrides(parse(&source("\n[[override]]\nid = \"lo-upp\"\nreason = \"r\"\n")).unwrap());
        let e = typo.check_ids(&spec).unwrap_err().to_string();
        assert_eq!(
            e,
            "o.toml:3:6: override for `lo-upp`, which is not a check of the spec; did you mean `lo-up`?"
        );
        let far =
            Overrides(parse(&source("[[override]]\nid = \"resolv\"\nreason = \"r\"\n")).unwrap());
        assert!(
            far.check_ids(&spec)
                .unwrap_err()
                .to_string()
                .ends_with("which is not a check of the spec (see `ha-preflight list`)")
        );
    }

    /// An override names a path; the finding it accepts carries that path as data. Words
    /// changed, the override still applies; the path merely written in the words of
    /// another finding is not matched.
    #[test]
    fn an_override_follows_the_path_not_the_words() {
        use crate::engine::CheckResult;
        use crate::model::{Evidence, Outcome, Status};
        use std::time::Duration;
        let spec = parse_text(
            std::path::Path::new("s.toml"),
            "[[check]]\nid = \"resolv-conf\"\nkind = \"path\"\nmodes = [\"image\"]\n\
             rules = [{ paths = [\"/etc/resolv.conf\"], absent = true }]\nwhy = \"w\"\nfix = \"f\"\n",
        )
        .unwrap();
        let result = |evidence: Evidence| CheckResult {
            check: &spec.checks[0],
            status: Status::Warn,
            outcome: Outcome::fail(evidence.text.clone()).with(evidence),
            root_cause: None,
            blocked_by: None,
            duration: Duration::ZERO,
            skipped_by_operator: false,
        };
        let overrides = || {
            Overrides(
                parse(&source(
                    "[[override]]\nid = \"resolv-conf\"\npath = \"/etc/resolv.conf\"\nreason = \"agent\"\n",
                ))
                .unwrap(),
            )
        };
        for words in [
            "/etc/resolv.conf:1: nameserver 10.1.2.3",
            "the build host's name servers are baked in",
        ] {
            let mut results = vec![result(Evidence::about("/etc/resolv.conf", words))];
            overrides().apply(&mut results);
            assert_eq!(results[0].status, Status::Skip, "{words}");
        }
        let mut results = vec![result(Evidence::from(
            "/etc/resolv.conf is named here, but the finding is about another file",
        ))];
        overrides().apply(&mut results);
        assert_eq!(results[0].status, Status::Warn);
    }
}
