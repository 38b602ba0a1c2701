//! Finding and parsing spec files.
//!
//! The default search path is systemd's vendor/admin overlay: every `*.toml` in
//! `/usr/lib/ha-preflight/checks.d/`, where a file of the same name in
//! `/etc/ha-preflight/checks.d/` replaces the vendor one. If neither directory exists the
//! copy of the repository's `checks/` compiled into the binary is used, so a bare binary
//! dropped on a box still knows what to check.

use super::{Check, Spec, When, graph};
use crate::config::{Params, RawTable, Source, SpecError};
use crate::kinds::{self, KINDS};
use crate::model::{Mode, Severity};
use crate::world::read::FileKind;
use crate::world::root::Root;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

pub const VENDOR_DIR: &str = "/usr/lib/ha-preflight/checks.d";
pub const ADMIN_DIR: &str = "/etc/ha-preflight/checks.d";

/// The spec compiled into the binary: the repository's `checks/` folder.
const BUILTIN: &[(&str, &str)] = &[
    ("boot.toml", include_str!("../../checks/boot.toml")),
    ("image.toml", include_str!("../../checks/image.toml")),
];

/// Spec files are small; a larger one is a mistake, not something to read into memory.
const MAX_SPEC_BYTES: usize = 1 << 20;

/// Where to load the spec from.
#[derive(Debug, Clone)]
pub enum Location {
    /// `--spec PATH`: a file, or a directory of `*.toml`.
    Path(PathBuf),
    /// The vendor/admin directories of the target's root (in image mode, the image's own
    /// spec, read confined to the image), else the built-in copy.
    Default,
    /// Spec files already read, each with the name it is shown by: a support bundle's.
    Texts(Vec<(PathBuf, String)>),
}

/// Loads the spec. `root` is the target's root: the default directories are looked up in
/// it, so an image is checked with the spec it ships.
pub fn load(location: &Location, root: &Root) -> Result<Spec, SpecError> {
    parse_sources(&sources(location, root)?)
}

/// Reads the spec files `load` would parse, for a support bundle to carry.
pub fn sources(location: &Location, root: &Root) -> Result<Vec<Source>, SpecError> {
    Ok(match location {
        Location::Texts(texts) => texts
            .iter()
            .map(|(path, text)| Source::new(path.clone(), text.clone()))
            .collect(),
        Location::Path(path) => {
            let host = Root::open(Path::new("/")).map_err(|source| SpecError::Io {
                path: PathBuf::from("/"),
                source,
            })?;
            let absolute = std::path::absolute(path).map_err(|source| SpecError::Io {
                path: path.clone(),
                source,
            })?;
            let st = host.stat(&absolute).map_err(|source| SpecError::Io {
                path: path.clone(),
                source,
            })?;
            if st.kind == FileKind::Dir {
                read_dir_sources(&host, std::slice::from_ref(&absolute))?
            } else {
                vec![read_source(&host, &absolute)?]
            }
        }
        Location::Default => {
            let dirs = [PathBuf::from(VENDOR_DIR), PathBuf::from(ADMIN_DIR)];
            let present = dirs
                .iter()
                .any(|d| root.stat(d).is_ok_and(|st| st.kind == FileKind::Dir));
            if present {
                read_dir_sources(root, &dirs)?
            } else {
                BUILTIN
                    .iter()
                    .map(|(name, text)| {
                        Source::new(
                            PathBuf::from(format!("built-in:{name}")),
                            (*text).to_string(),
                        )
                    })
                    .collect()
            }
        }
    })
}

/// Parses one spec file's text as if it had been read from `path`: what `load` does
/// after reading, for callers that hold the text already (the fuzz targets).
pub fn parse_text(path: &Path, text: &str) -> Result<Spec, SpecError> {
    parse_sources(&[Source::new(path.to_path_buf(), text.to_string())])
}

/// How a path inside `root` is shown: as the host sees it.
fn shown(root: &Root, path: &Path) -> PathBuf {
    if root.dir == Path::new("/") {
        path.to_path_buf()
    } else {
        root.dir.join(path.strip_prefix("/").unwrap_or(path))
    }
}

/// `*.toml` files of the directories, later directories replacing same-named files of
/// earlier ones, read in file-name order.
fn read_dir_sources(root: &Root, dirs: &[PathBuf]) -> Result<Vec<Source>, SpecError> {
    let mut by_name: BTreeMap<String, PathBuf> = BTreeMap::new();
    for dir in dirs {
        let names = match root.read_dir(dir, 4096) {
            Ok(names) => names,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => {
                return Err(SpecError::Io {
                    path: shown(root, dir),
                    source,
                });
            }
        };
        for name in names {
            if name.ends_with(".toml") && !name.starts_with('.') {
                by_name.insert(name.clone(), dir.join(&name));
            }
        }
    }
    if by_name.is_empty() {
        let listed: Vec<String> = dirs
            .iter()
            .map(|d| shown(root, d).display().to_string())
            .collect();
        return Err(SpecError::File {
            path: dirs.first().map(|d| shown(root, d)).unwrap_or_default(),
            message: format!("no *.toml spec files in {}", listed.join(" or ")),
        });
    }
    by_name.values().map(|p| read_source(root, p)).collect()
}

fn read_source(root: &Root, path: &Path) -> Result<Source, SpecError> {
    let text = root
        .read_text(path, MAX_SPEC_BYTES)
        .map_err(|e| SpecError::File {
            path: shown(root, path),
            message: e.cause(),
        })?;
    Ok(Source::new(shown(root, path), text))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecFile {
    #[serde(default)]
    check: Vec<Spanned<RawTable>>,
    /// `[bundle]`: settings of `collect` (`redact`).
    bundle: Option<Spanned<RawTable>>,
}

/// A parsed check with the positions validation needs.
pub(super) struct Parsed {
    pub check: Check,
    pub source: usize,
    pub id_span: std::ops::Range<usize>,
    pub edges: Vec<Spanned<String>>,
}

/// Parses spec files already read (see [`sources`]).
pub fn parse_sources(sources: &[Source]) -> Result<Spec, SpecError> {
    let mut parsed = Vec::new();
    let mut redact = Vec::new();
    for (index, source) in sources.iter().enumerate() {
        let file: SpecFile = toml::from_str(&source.text).map_err(|e| {
            let at = e.span().map_or(0, |s| s.start);
            let here = source.text.get(at..).unwrap_or_default();
            source.error_at(at..at, crate::config::in_words(e.message(), here))
        })?;
        for table in file.check {
            parsed.push(parse_check(source, index, table)?);
        }
        if let Some(table) = file.bundle {
            parse_bundle(source, table, &mut redact)?;
        }
    }
    if parsed.is_empty() {
        let path = sources.first().map(|s| s.path.clone()).unwrap_or_default();
        return Err(SpecError::File {
            path,
            message: "the spec defines no checks (a `[[check]]` table is needed)".into(),
        });
    }
    let checks = graph::validate_and_order(sources, parsed)?;
    Ok(Spec {
        checks,
        files: sources.iter().map(|s| s.path.clone()).collect(),
        redact,
    })
}

/// `[bundle] redact = ["NAME", ...]`: setting names whose values a support bundle must
/// not carry, beyond those `world::redact` knows, added to `into`. Every file's list
/// counts: a layer can add names, never take one back. Read by hand, not with `Params`:
/// one key, and every byte counts in the binary.
fn parse_bundle(
    source: &Source,
    table: Spanned<RawTable>,
    into: &mut Vec<String>,
) -> Result<(), SpecError> {
    for (key, value) in table.into_inner() {
        let at = value.span();
        let toml::Value::Array(names) = value.into_inner() else {
            return Err(source.error_at(key.span(), BUNDLE_KEYS));
        };
        if key.get_ref() != "redact" {
            return Err(source.error_at(key.span(), BUNDLE_KEYS));
        }
        for name in names {
            match name.as_str() {
                Some(n)
                    if !n.is_empty()
                        && n.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b)) =>
                {
                    if !into.iter().any(|x| x == n) {
                        into.push(n.to_string());
                    }
                }
                _ => {
                    return Err(source.error_at(
                        at,
                        "`redact`: a list of setting names (letters, digits, '_', '-', '.')",
                    ));
                }
            }
        }
    }
    Ok(())
}

const BUNDLE_KEYS: &str = "`[bundle]` takes one setting: `redact = [\"NAME\", ...]`";

const COMMON: &[&str] = &[
    "id", "kind", "title", "modes", "severity", "after", "requires", "when", "why", "fix",
    "timeout",
];

fn parse_check(
    source: &Source,
    index: usize,
    table: Spanned<RawTable>,
) -> Result<Parsed, SpecError> {
    let mut p = Params::new(source, table);
    let id_raw = p
        .take_raw("id")
        .ok_or_else(|| p.error_here("missing `id`"))?;
    let id_span = id_raw.span();
    let id = match id_raw.get_ref().as_str() {
        Some(id) if valid_id(id) => id.to_string(),
        _ => {
            return Err(source.error_at(
                id_span,
                "`id` must be a string of lowercase letters, digits and '-', starting with a letter",
            ));
        }
    };
    let kind_raw = p
        .take_raw("kind")
        .ok_or_else(|| p.error_here(format!("check `{id}`: missing `kind`")))?;
    let kind_name = kind_raw.get_ref().as_str().unwrap_or_default().to_string();
    let Some(kind) = kinds::named(&kind_name) else {
        let names: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
        return Err(source.error_at(
            kind_raw.span(),
            format!(
                "check `{id}`: unknown kind `{kind_name}` (known kinds: {})",
                names.join(", ")
            ),
        ));
    };
    let modes: Vec<Mode> = p.require("modes", "a list of boot, image, build-host")?;
    if modes.is_empty() {
        return Err(p.error_here(format!(
            "check `{id}`: `modes` is empty, so it would never run"
        )));
    }
    let severity = p.take("severity")?.unwrap_or(Severity::Critical);
    let requires = p.take_ids("requires")?;
    let after = p.take_ids("after")?;
    let when = parse_when(&mut p)?;
    let title: Option<String> = p.take("title")?;
    let why: String = p.require("why", "why the check matters, for `explain`")?;
    let fix: String = p.require("fix", "how to fix a failure, for `explain` and reports")?;
    let timeout = p.take_duration("timeout")?;
    let params = (kind.parse)(&mut p)?;
    if let Some(mode) = modes.iter().find(|m| !kind.modes.contains(m)) {
        return Err(p.error_here(format!(
            "check `{id}`: kind `{kind_name}` cannot run in {mode} mode (it runs in: {})",
            kind.modes
                .iter()
                .map(Mode::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let known: Vec<&str> = COMMON.iter().chain(kind.params).copied().collect();
    p.finish(&kind_name, &known)?;

    let edges: Vec<Spanned<String>> = requires.iter().chain(after.iter()).cloned().collect();
    let (line, _) = source.position(id_span.start);
    let check = Check {
        timeout: timeout.unwrap_or(kind.default_timeout),
        id,
        kind,
        params,
        modes,
        severity,
        after: after.into_iter().map(Spanned::into_inner).collect(),
        requires: requires.into_iter().map(Spanned::into_inner).collect(),
        when,
        title: title.map_or_else(|| first_sentence(&why), |t| t.trim().to_string()),
        why: why.trim().to_string(),
        fix: fix.trim().to_string(),
        defined_at: format!("{}:{line}", source.path.display()),
    };
    Ok(Parsed {
        check,
        source: index,
        id_span,
        edges,
    })
}

/// A title for a check that has none: the first sentence of its `why`, on one line.
fn first_sentence(why: &str) -> String {
    let text = why.split_whitespace().collect::<Vec<_>>().join(" ");
    match text.find(". ") {
        Some(end) => text[..end].to_string(),
        None => text.trim_end_matches('.').to_string(),
    }
}

fn valid_id(id: &str) -> bool {
    id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// `when = { exists = "/proc/drbd" }` or `when = { missing = "/etc/ha/standalone" }`.
fn parse_when(p: &mut Params) -> Result<Option<When>, SpecError> {
    let Some(raw) = p.take_raw("when") else {
        return Ok(None);
    };
    let span = raw.span();
    let bad = || {
        p.source().error_at(
            span.clone(),
            "`when` must be { exists = \"PATH or GLOB\" } or { missing = \"PATH or GLOB\" }",
        )
    };
    let table = raw.get_ref().as_table().ok_or_else(bad)?;
    if table.len() != 1 {
        return Err(bad());
    }
    let (key, value) = table.iter().next().ok_or_else(bad)?;
    let pattern = value.as_str().ok_or_else(bad)?;
    if !pattern.starts_with('/') {
        return Err(p
            .source()
            .error_at(span.clone(), "`when` paths must be absolute"));
    }
    let exists = match key.as_str() {
        "exists" => true,
        "missing" => false,
        _ => return Err(bad()),
    };
    Ok(Some(When {
        pattern: pattern.to_string(),
        exists,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_redact_lists_of_every_file_add_up() {
        let check = "[[check]]\nid = \"lo-up\"\nkind = \"interface\"\nmodes = [\"boot\"]\nname = \"lo\"\nwhy = \"w\"\nfix = \"f\"\n";
        let sources = [
            Source::new(
                "vendor.toml".into(),
                format!("[bundle]\nredact = [\"A_PIN\"]\n{check}"),
            ),
            Source::new(
                "admin.toml".into(),
                "[bundle]\nredact = [\"a.b-c\", \"A_PIN\"]\n".into(),
            ),
        ];
        let spec = parse_sources(&sources).unwrap();
        assert_eq!(spec.redact, ["A_PIN", "a.b-c"]);
        assert!(
            parse_text(Path::new("x.toml"), check)
                .unwrap()
                .redact
                .is_empty()
        );
    }
}
