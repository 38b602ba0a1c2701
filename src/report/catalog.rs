//! `list` and `explain`: the spec itself, for a person (a table, a page) or a program
//! (`--format json`: one object, `schema` 1, the checks as data).

use super::human::WIDTH;
use super::layout::wrap;
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
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut out = format!(
        "spec: {} ({})",
        visible(&files.join(", "), false),
        plural(spec.checks.len(), "check", "checks")
    );
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
    /// Whole milliseconds: a timeout is written in a spec as `5s` or `500ms`.
    timeout_ms: u64,
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
            timeout_ms: u64::try_from(c.timeout.as_millis()).unwrap_or(u64::MAX),
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

/// `explain ID`: what a check verifies, why, how to fix it, and how it is run; every
/// line fits 80 columns (but a long FILE:LINE), for the console the report sent its
/// reader here from. Its
/// texts may come from a bundle or an image: `wrap` escapes each as it goes in, and the
/// page as a whole is escaped once more at the end.
pub fn explain_human(c: &Check) -> String {
    let modes: Vec<String> = c.modes.iter().map(Mode::to_string).collect();
    let mut lines: Vec<String> = Vec::new();
    let head = format!(
        "{}  ({} check, kind {}, modes {})",
        c.id,
        c.severity,
        c.kind.name,
        modes.join(", ")
    );
    lines.extend(wrap(&head, "", "  ", WIDTH));
    lines.extend(wrap(&c.title, "", "", WIDTH));
    lines.extend(["".into(), "WHY".into()]);
    lines.extend(block(&c.why));
    lines.extend(["".into(), "FIX".into()]);
    lines.extend(block(&c.fix));
    if c.fix.contains("$ROOT") {
        lines.extend(wrap(
            "($ROOT is the tree `image --root` checks, and empty on a running box: a \
             run's report shows it filled in.)",
            "  ",
            "   ",
            WIDTH,
        ));
    }
    let mut sections: Vec<String> = Vec::new();
    if !c.requires.is_empty() {
        sections.push(format!(
            "REQUIRES {} (not run unless they pass)",
            c.requires.join(", ")
        ));
    }
    if !c.after.is_empty() {
        sections.push(format!(
            "AFTER {} (a failure there is this check's root cause)",
            c.after.join(", ")
        ));
    }
    if let Some(w) = &c.when {
        let cond = if w.exists { "exists" } else { "does not exist" };
        sections.push(format!("APPLIES WHEN {} {cond}", w.pattern));
    }
    for section in &sections {
        lines.push(String::new());
        lines.extend(wrap(section, "", "  ", WIDTH));
    }
    lines.push(String::new());
    lines.push(format!("TIMEOUT {}", duration::display(c.timeout)));
    // FILE:LINE, whole, to be copied: never cut, so only a path longer than a line (an
    // image tree's, deep in a CI workspace) makes one longer.
    lines.push(format!("DEFINED AT {}", visible(&c.defined_at, false)));
    for by in &c.changed_by {
        lines.push(format!("CHANGED BY {}", visible(by, false)));
    }
    visible(&(lines.join("\n") + "\n"), true)
}

/// A `why` or `fix` text, reflowed under its heading: its lines join into paragraphs,
/// a blank line stays between two, and an indented line (a command to paste) stays a
/// line of its own, indented deeper.
fn block(text: &str) -> Vec<String> {
    // Each paragraph: a blank line before it, a command, its text.
    let mut paragraphs: Vec<(bool, bool, String)> = Vec::new();
    let mut gap = false;
    for raw in text.lines() {
        let code = raw.starts_with([' ', '\t']);
        let line = raw.trim();
        if line.is_empty() {
            gap = !paragraphs.is_empty();
            continue;
        }
        match paragraphs.last_mut() {
            Some((_, false, para)) if !gap && !code => {
                para.push(' ');
                para.push_str(line);
            }
            _ => paragraphs.push((gap, code, line.to_string())),
        }
        gap = false;
    }
    let mut out = Vec::new();
    for (gap, code, para) in &paragraphs {
        if *gap {
            out.push(String::new());
        }
        if *code {
            // A command too long for a line goes on the next with the shell's own
            // continuation, so that it still pastes as one.
            let mut command = wrap(para, "    ", "      ", WIDTH - 2);
            let last = command.len() - 1;
            for line in &mut command[..last] {
                line.push_str(" \\");
            }
            out.extend(command);
        } else {
            out.extend(wrap(para, "  ", "  ", WIDTH));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_of(toml: &str) -> Spec {
        crate::spec::parse_text(std::path::Path::new("t.toml"), toml).expect("a spec")
    }

    const LONG: &str = r#"[[check]]
id = "lo-up"
kind = "interface"
modes = ["boot"]
name = "lo"
title = "the loopback interface is up, so that the HA scripts reach the daemon on it"
why = '''
One line of a why text that runs on well past the eighty columns of a serial console.
The next line joins it.

A paragraph of its own.
'''
fix = '''
Bring it up:
  ip link set lo up && ip addr add 127.0.0.1/8 dev lo && ip link show lo && echo done here
then find what took it down.
'''
"#;

    /// `explain` reflows the spec's texts to 80 columns: lines join into paragraphs, a
    /// blank line stays, and a command stays a line of its own that still pastes as one.
    #[test]
    fn explain_fits_80_columns_and_keeps_commands_whole() {
        let spec = spec_of(LONG);
        let page = explain_human(&spec.checks[0]);
        for line in page.lines() {
            assert!(line.chars().count() <= 80, "{line}\n{page}");
        }
        assert!(
            page.contains(
                "WHY\n  One line of a why text that runs on well past the eighty columns of a \
                 serial\n  console. The next line joins it.\n\n  A paragraph of its own.\n"
            ),
            "{page}"
        );
        assert!(
            page.contains(
                "FIX\n  Bring it up:\n    ip link set lo up && ip addr add 127.0.0.1/8 dev lo && ip link show lo && \
                 \\\n      echo done here\n  then find what took it down.\n"
            ),
            "{page}"
        );
    }

    /// `explain --format json` gives the timeout in whole milliseconds, an integer.
    #[test]
    fn the_timeout_is_whole_milliseconds() {
        let spec = spec_of(LONG);
        let json: serde_json::Value =
            serde_json::from_str(&explain_json(&spec, &spec.checks[0])).expect("JSON");
        assert_eq!(
            json["checks"][0]["timeout_ms"].as_u64(),
            Some(5000),
            "{json}"
        );
        assert!(json["checks"][0]["timeout_ms"].is_u64(), "{json}");
    }

    #[test]
    fn one_check_is_one_check() {
        let spec = spec_of(LONG);
        assert!(
            version_spec(&spec).starts_with("spec: t.toml (1 check)"),
            "{}",
            version_spec(&spec)
        );
        assert_eq!(
            spec.no_such_check("lo_up"),
            "no check named `lo_up`; did you mean `lo-up`?"
        );
        assert_eq!(
            spec.no_such_check("shm"),
            "no check named `shm` (see `ha-preflight list`)"
        );
    }
}
