//! Kind `path`: rules about paths in the root, for the image checks that come down to
//! "this must not exist", "this must be a link to that", "this file must say one of
//! these", "these files must not mention that". Each rule names paths (globs, resolved
//! inside the root) and one requirement:
//!
//! ```toml
//! rules = [
//!   { paths = ["/usr/sbin/policy-rc.d"], absent = true },
//!   { paths = ["/etc/mtab"], link_to = ["../proc/self/mounts", "/proc/self/mounts"] },
//!   { paths = ["/etc/machine-id"], content = ["", "uninitialized"] },
//!   { paths = ["/var/lib/dbus/machine-id"], not_regular = true },
//!   { paths = ["/etc/apt/apt.conf.d/*"], forbid = ["::proxy"] },
//!   { paths = ["/usr/sbin/start-stop-daemon"], elf = true },
//! ]
//! ```

use super::{ANY, Context, Evaluate, KindDef, LOCAL, boxed};
use crate::config::{Params, SpecError, fields};
use crate::model::{Evidence, Outcome, summarize};
use crate::world::read::{FileKind, ReadError};
use crate::world::root::Root;
use std::path::Path;

/// What the spec loader knows of this kind; [`super::KINDS`] lists it.
pub const DEF: KindDef = KindDef {
    name: "path",
    modes: ANY,
    default_timeout: LOCAL,
    waits: false,
    params: PARAMS,
    parse: |p| PathRules::parse(p).map(boxed),
};

pub const PARAMS: &[&str] = &["rules"];

/// Text files judged by content are config files; bigger ones are not what we expect.
const MAX_TEXT: usize = 256 << 10;

/// One rule as written; read by [`RawRule::read`].
#[derive(Debug)]
struct RawRule {
    paths: Vec<String>,
    absent: Option<bool>,
    link_to: Option<Vec<String>>,
    content: Option<Vec<String>>,
    not_regular: Option<bool>,
    forbid: Option<Vec<String>>,
    elf: Option<bool>,
    /// With link_to: a missing path passes.
    optional: Option<bool>,
}

/// The keys of a rule.
const RULE_KEYS: &[&str] = &[
    "paths",
    "absent",
    "link_to",
    "content",
    "not_regular",
    "forbid",
    "elf",
    "optional",
];

impl RawRule {
    fn read(v: toml::Value) -> Result<RawRule, String> {
        let mut f = fields::Fields::new(v, RULE_KEYS)?;
        let rule = RawRule {
            paths: f.require_strings("paths")?,
            absent: f.bool("absent")?,
            link_to: f.strings("link_to")?,
            content: f.strings("content")?,
            not_regular: f.bool("not_regular")?,
            forbid: f.strings("forbid")?,
            elf: f.bool("elf")?,
            optional: f.bool("optional")?,
        };
        f.finish()?;
        Ok(rule)
    }
}

#[derive(Debug)]
pub enum Require {
    Absent,
    LinkTo {
        targets: Vec<String>,
        optional: bool,
    },
    Content(Vec<String>),
    NotRegular,
    Forbid(Vec<String>),
    Elf,
}

#[derive(Debug)]
pub struct PathRule {
    pub paths: Vec<String>,
    pub require: Require,
}

#[derive(Debug)]
pub struct PathRules {
    pub rules: Vec<PathRule>,
}

impl PathRules {
    pub fn parse(p: &mut Params) -> Result<Self, SpecError> {
        let list = p.require_with("rules", "a list of { paths = [...], REQUIREMENT }", |v| {
            fields::list(v, RawRule::read)
        })?;
        let span = list.span();
        let mut rules = Vec::new();
        for r in list.into_inner() {
            if r.paths.is_empty() || r.paths.iter().any(|x| !x.starts_with('/')) {
                return Err(p
                    .source()
                    .error_at(span.clone(), "`rules`: each rule needs absolute `paths`"));
            }
            let mut found = Vec::new();
            if r.absent == Some(true) {
                found.push(Require::Absent);
            }
            if let Some(targets) = r.link_to {
                found.push(Require::LinkTo {
                    targets,
                    optional: r.optional.unwrap_or(false),
                });
            }
            if let Some(c) = r.content {
                found.push(Require::Content(c));
            }
            if r.not_regular == Some(true) {
                found.push(Require::NotRegular);
            }
            if let Some(words) = r.forbid {
                found.push(Require::Forbid(
                    words.into_iter().map(|w| w.to_lowercase()).collect(),
                ));
            }
            if r.elf == Some(true) {
                found.push(Require::Elf);
            }
            if found.len() != 1 {
                return Err(p.source().error_at(
                    span.clone(),
                    "`rules`: each rule needs exactly one of absent, link_to, content, not_regular, forbid, elf",
                ));
            }
            rules.push(PathRule {
                paths: r.paths,
                require: found.remove(0),
            });
        }
        Ok(PathRules { rules })
    }
}

impl Evaluate for PathRules {
    fn evaluate(&self, cx: &Context) -> Outcome {
        let root = &cx.target.root;
        let mut offenders = Vec::new();
        let mut errors = Vec::new();
        for rule in &self.rules {
            for pattern in &rule.paths {
                let matches = match root.glob(pattern, 4096) {
                    Ok(matches) => matches,
                    Err(e) => {
                        errors.push(e.to_string());
                        continue;
                    }
                };
                if matches.is_empty()
                    && let Require::LinkTo {
                        optional: false,
                        targets,
                    } = &rule.require
                {
                    offenders.push(Evidence::about(
                        pattern,
                        format!(
                            "{pattern} is missing (expected a link to {})",
                            targets.join(" or ")
                        ),
                    ));
                }
                for path in matches {
                    match problem(root, &path, &rule.require) {
                        Ok(Some(problem)) => offenders.push(Evidence::about(&path, problem)),
                        Ok(None) => {}
                        Err(e) => errors.push(e),
                    }
                }
            }
        }
        let described: Vec<String> = self.rules.iter().map(PathRule::describe).collect();
        summarize(offenders, errors, described.join("; "))
    }
}

impl PathRule {
    /// What the rule asks, for a passing summary.
    fn describe(&self) -> String {
        let paths = self.paths.join(", ");
        match &self.require {
            Require::Absent => format!("no {paths}"),
            Require::LinkTo { targets, .. } => format!(
                "{paths} -> {}",
                targets.first().map(String::as_str).unwrap_or("?")
            ),
            Require::Content(allowed) => {
                let shown: Vec<String> = allowed
                    .iter()
                    .map(|a| {
                        if a.is_empty() {
                            "empty".into()
                        } else {
                            format!("{a:?}")
                        }
                    })
                    .collect();
                format!("{paths} absent or {}", shown.join(" or "))
            }
            Require::NotRegular => format!("{paths} not a regular file"),
            Require::Forbid(_) => format!("nothing forbidden in {paths}"),
            Require::Elf => format!("{paths} ELF binaries"),
        }
    }
}

fn problem(root: &Root, path: &Path, require: &Require) -> Result<Option<String>, String> {
    let shown = path.display();
    let st = match root.lstat(path) {
        Ok(st) => st,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{shown}: {e}")),
    };
    Ok(match require {
        Require::Absent => Some(format!("{shown} exists ({})", st.kind.name())),
        Require::LinkTo { targets, .. } => {
            if st.kind != FileKind::Symlink {
                Some(format!(
                    "{shown} is a {}, not a link to {}",
                    st.kind.name(),
                    targets.join(" or ")
                ))
            } else {
                let target = root
                    .read_link(path)
                    .map_err(|e| format!("readlink {shown}: {e}"))?;
                let written = target.display().to_string();
                (!targets.contains(&written))
                    .then(|| format!("{shown} -> {written}, not {}", targets.join(" or ")))
            }
        }
        Require::NotRegular => {
            (st.kind == FileKind::File).then(|| format!("{shown} is a regular file"))
        }
        Require::Content(_) if !matches!(st.kind, FileKind::File | FileKind::Symlink) => Some(
            format!("{shown} is a {}, not a regular file", st.kind.name()),
        ),
        Require::Content(allowed) => match read(root, path)? {
            None => None,
            Some(text) => {
                let trimmed = text.trim();
                (!allowed.iter().any(|a| a.trim() == trimmed)).then(|| {
                    let quoted: String = trimmed.chars().take(60).collect();
                    format!("{shown} holds {quoted:?}")
                })
            }
        },
        Require::Forbid(words) => match read(root, path)? {
            None => None,
            Some(text) => text.lines().enumerate().find_map(|(i, line)| {
                let code = line.split('#').next().unwrap_or_default();
                let code = code.split("//").next().unwrap_or_default().to_lowercase();
                words
                    .iter()
                    .find(|w| code.contains(w.as_str()))
                    .map(|_| format!("{shown}:{}: {}", i + 1, line.trim()))
            }),
        },
        Require::Elf => match root.read_head(path, 4) {
            Ok(head) => (head != b"\x7fELF")
                .then(|| format!("{shown} is not an ELF binary (a stub left by the build?)")),
            Err(ReadError::NotRegular { .. }) => None,
            Err(e) => return Err(e.to_string()),
        },
    })
}

/// A regular file's text; None for anything else (a link is followed inside the root).
fn read(root: &Root, path: &Path) -> Result<Option<String>, String> {
    match root.read_text(path, MAX_TEXT) {
        Ok(t) => Ok(Some(t)),
        Err(ReadError::NotRegular { .. }) => Ok(None),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod run_tests;
