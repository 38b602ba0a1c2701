//! `list` and `explain`: the spec itself, for a person (a table, a page) or a program
//! (`--format json`: one object, `schema` 1, the checks as data).

use crate::model::Mode;
use crate::model::duration;
use crate::model::text::visible;
use crate::spec::{Check, Spec};
use serde::Serialize;
use std::fmt::Write;

#[derive(Serialize)]
struct Catalog<'a> {
    tool: &'static str,
    version: &'static str,
    schema: u32,
    spec: Vec<String>,
    checks: Vec<Entry<'a>>,
}

/// One check as `list --format json` and `explain --format json` give it.
#[derive(Serialize)]
struct Entry<'a> {
    id: &'a str,
    kind: &'static str,
    modes: &'a [Mode],
    severity: String,
    after: &'a [String],
    requires: &'a [String],
    title: &'a str,
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

fn entry(c: &Check, details: bool) -> Entry<'_> {
    Entry {
        id: &c.id,
        kind: c.kind.name,
        modes: &c.modes,
        severity: c.severity.to_string(),
        after: &c.after,
        requires: &c.requires,
        title: &c.title,
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

fn json(spec: &Spec, checks: Vec<Entry>) -> String {
    let catalog = Catalog {
        tool: "ha-preflight",
        version: env!("CARGO_PKG_VERSION"),
        schema: 1,
        spec: spec.files.iter().map(|f| f.display().to_string()).collect(),
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

/// `list`: a table of the checks. The spec may come from a bundle or an image: its file
/// names are escaped (`text::visible`); ids were checked when it loaded.
pub fn list_human(spec: &Spec) -> String {
    let width = spec.checks.iter().map(|c| c.id.len()).max().unwrap_or(2);
    let files: Vec<String> = spec.files.iter().map(|f| f.display().to_string()).collect();
    let mut out = format!("# spec: {}\n", visible(&files.join(", "), false));
    let _ = writeln!(
        out,
        "{:<width$}  {:<12}  {:<8}  MODES",
        "ID", "KIND", "SEVERITY"
    );
    for c in &spec.checks {
        let modes: Vec<String> = c.modes.iter().map(Mode::to_string).collect();
        let _ = writeln!(
            out,
            "{:<width$}  {:<12}  {:<8}  {}",
            c.id,
            c.kind.name,
            c.severity.to_string(),
            modes.join(",")
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
    visible(&out, true)
}

fn block(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {}", visible(l.trim(), false)))
        .collect::<Vec<_>>()
        .join("\n")
}
