//! `list` and `explain`: the spec itself, for a person (a table, a page) or a program
//! (`--format json`: one object, `schema` 1, the checks as data).

use crate::model::Mode;
use crate::model::duration;
use crate::model::text::visible;
use crate::spec::{Check, Note, Spec};
use serde::Serialize;
use std::fmt::Write;

#[derive(Serialize)]
struct Catalog<'a> {
    tool: &'static str,
    version: &'static str,
    schema: u32,
    spec: Vec<String>,
    /// What the spec's higher layers did to the lower ones (see [`NoteJson`]); absent
    /// when they changed nothing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    overlay: Vec<NoteJson<'a>>,
    checks: Vec<CatalogEntry<'a>>,
}

/// One note of the spec's overlay, as `list --format json` and the JSON report give it.
#[derive(Serialize)]
pub struct NoteJson<'a> {
    /// "file-replaced", "replaced", "changed" or "removed".
    action: &'static str,
    check: Option<&'a str>,
    by: &'a str,
    of: &'a str,
    /// A removal's reason, a change's keys, the ids a replaced file took with it.
    detail: Option<&'a str>,
    text: String,
}

pub fn overlay_json<'a>(notes: impl Iterator<Item = &'a Note>) -> Vec<NoteJson<'a>> {
    notes
        .map(|n| NoteJson {
            action: n.kind.as_str(),
            check: n.check.as_deref(),
            by: &n.by,
            of: &n.of,
            detail: n.reason.as_deref(),
            text: n.text(),
        })
        .collect()
}

/// `--version`'s account of the spec: its files on one line with the count of checks,
/// then each file with its layer and what it contributes, then what the layers did.
pub fn version_spec(spec: &Spec) -> String {
    let files: Vec<String> = spec.files.iter().map(|f| f.display().to_string()).collect();
    let mut out = format!(
        "spec: {} ({} checks)",
        visible(&files.join(", "), false),
        spec.checks.len()
    );
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    for f in &spec.layers {
        let what = match &f.replaced_by {
            Some(by) => format!("replaced by {}", by.display()),
            None => {
                let mut parts = vec![plural(f.checks, "check", "checks")];
                if f.changes > 0 {
                    parts.push(plural(f.changes, "change", "changes"));
                }
                if f.removes > 0 {
                    parts.push(plural(f.removes, "removal", "removals"));
                }
                parts.join(", ")
            }
        };
        let line = format!("{}: {what}", f.path.display());
        let _ = write!(out, "\n  {:<8}  {}", f.layer, visible(&line, false));
    }
    // An image's file names and removal reasons are outside text: one line each.
    for n in &spec.overlay {
        let _ = write!(out, "\n  overlay: {}", visible(&n.text(), false));
    }
    out
}

/// One check as `list --format json` and `explain --format json` give it.
#[derive(Serialize)]
struct CatalogEntry<'a> {
    id: &'a str,
    kind: &'static str,
    modes: &'a [Mode],
    severity: String,
    after: &'a [String],
    requires: &'a [String],
    title: &'a str,
    /// "FILE:LINE" of its `[[check]]`: which layer's file it comes from.
    from: &'a str,
    /// "FILE:LINE" of each `[[change]]` that set some of its keys; absent if none.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    changed_by: &'a [String],
    /// `explain` only: the texts and settings a person reads there.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    details: Option<Details<'a>>,
}

#[derive(Serialize)]
struct Details<'a> {
    why: &'a str,
    fix: &'a str,
    when: Option<String>,
    timeout_ms: f64,
    defined_at: &'a str,
}

fn entry(c: &Check, details: bool) -> CatalogEntry<'_> {
    CatalogEntry {
        id: &c.id,
        kind: c.kind.name,
        modes: &c.modes,
        severity: c.severity.to_string(),
        after: &c.after,
        requires: &c.requires,
        title: &c.title,
        from: &c.defined_at,
        changed_by: &c.changed_by,
        details: details.then(|| Details {
            why: &c.why,
            fix: &c.fix,
            when: c.when.as_ref().map(|w| {
                format!(
                    "{} {}",
                    w.pattern,
                    if w.exists { "exists" } else { "does not exist" }
                )
            }),
            timeout_ms: super::millis(c.timeout),
            defined_at: &c.defined_at,
        }),
    }
}

fn json(spec: &Spec, checks: Vec<CatalogEntry>) -> String {
    let catalog = Catalog {
        tool: "ha-preflight",
        version: env!("CARGO_PKG_VERSION"),
        schema: 1,
        spec: spec.files.iter().map(|f| f.display().to_string()).collect(),
        overlay: overlay_json(spec.overlay.iter()),
        checks,
    };
    super::json::inert(serde_json::to_string_pretty(&catalog).unwrap_or_else(|e| {
        format!("{{\"tool\":\"ha-preflight\",\"schema\":1,\"error\":\"{e}\"}}")
    })) + "\n"
}

/// `list --format json`.
pub fn list_json(spec: &Spec) -> String {
    json(spec, spec.checks.iter().map(|c| entry(c, false)).collect())
}

/// `explain ID --format json`: the catalog with that one check, in full.
pub fn explain_json(spec: &Spec, check: &Check) -> String {
    json(spec, vec![entry(check, true)])
}

/// `list`: a table of the checks, each with the file (and line) it comes from and the
/// changes made to it, after what the layers did. The spec may come from a bundle or an
/// image: its file names are escaped (`text::visible`); ids were checked when it loaded.
pub fn list_human(spec: &Spec) -> String {
    let width = spec.checks.iter().map(|c| c.id.len()).max().unwrap_or(2);
    let files: Vec<String> = spec.files.iter().map(|f| f.display().to_string()).collect();
    let mut out = format!("# spec: {}\n", visible(&files.join(", "), false));
    for n in &spec.overlay {
        let _ = writeln!(out, "# overlay: {}", visible(&n.text(), false));
    }
    let _ = writeln!(
        out,
        "{:<width$}  {:<12}  {:<8}  {:<17}  FROM",
        "ID", "KIND", "SEVERITY", "MODES"
    );
    for c in &spec.checks {
        let modes: Vec<String> = c.modes.iter().map(Mode::to_string).collect();
        let changed = if c.changed_by.is_empty() {
            String::new()
        } else {
            format!(" (changed by {})", c.changed_by.join(", "))
        };
        let _ = writeln!(
            out,
            "{:<width$}  {:<12}  {:<8}  {:<17}  {}{}",
            c.id,
            c.kind.name,
            c.severity.to_string(),
            modes.join(","),
            visible(&c.defined_at, false),
            visible(&changed, false)
        );
    }
    visible(&out, true)
}

/// `explain ID`: what a check verifies, why, how to fix it, and how it is run. Its texts
/// may come from a bundle or an image: each is escaped as it goes in, line by line for
/// `why` and `fix`, and the page as a whole once more at the end.
pub fn explain_human(c: &Check) -> String {
    let modes: Vec<String> = c.modes.iter().map(Mode::to_string).collect();
    let mut out = format!(
        "{}  ({} check, kind {}, modes {})\n{}\n\n",
        c.id,
        c.severity,
        c.kind.name,
        modes.join(", "),
        visible(&c.title, false)
    );
    let _ = write!(out, "WHY\n{}\n\nFIX\n{}\n", block(&c.why), block(&c.fix));
    if c.fix.contains("$ROOT") {
        out.push_str(
            "  ($ROOT is the tree `image --root` checks, and empty on a running box: a run's\n  \
             report shows it filled in.)\n",
        );
    }
    if !c.requires.is_empty() {
        let _ = write!(
            out,
            "\nREQUIRES {} (not run unless they pass)\n",
            c.requires.join(", ")
        );
    }
    if !c.after.is_empty() {
        let _ = write!(
            out,
            "\nAFTER {} (a failure there is this check's root cause)\n",
            c.after.join(", ")
        );
    }
    if let Some(w) = &c.when {
        let cond = if w.exists { "exists" } else { "does not exist" };
        let _ = write!(
            out,
            "\nAPPLIES WHEN {} {cond}\n",
            visible(&w.pattern, false)
        );
    }
    let _ = write!(
        out,
        "\nTIMEOUT {}\nDEFINED AT {}\n",
        duration::display(c.timeout),
        visible(&c.defined_at, false)
    );
    for by in &c.changed_by {
        let _ = writeln!(out, "CHANGED BY {}", visible(by, false));
    }
    visible(&out, true)
}

fn block(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {}", visible(l.trim(), false)))
        .collect::<Vec<_>>()
        .join("\n")
}
