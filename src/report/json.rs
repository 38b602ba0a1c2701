//! `--format json`: one object, schema 1, exactly as doc/contracts.md shows it.

use super::About;
use crate::engine::Run;
use crate::model::Mode;
use crate::model::Status;
use crate::spec::Spec;
use serde::Serialize;

#[derive(Serialize)]
struct Report<'a> {
    tool: &'static str,
    version: &'static str,
    schema: u32,
    mode: String,
    root: String,
    /// Present when the run judged a support bundle: which, whose, and when it was taken.
    #[serde(skip_serializing_if = "Option::is_none")]
    bundle: Option<BundleJson<'a>>,
    /// Present when the kernel state came from `--proc`/`--sys` copies.
    #[serde(skip_serializing_if = "Option::is_none")]
    captured: Option<CapturedJson<'a>>,
    verdict: Status,
    duration_ms: f64,
    /// What the spec's higher layers did to this mode's checks (`list --format json`
    /// gives the same for every mode): replaced, changed, removed, files replaced.
    /// Absent when the layers changed nothing, so a plain run keeps schema 1's keys.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    overlay: Vec<super::catalog::NoteJson<'a>>,
    checks: Vec<CheckJson<'a>>,
}

#[derive(Serialize)]
struct BundleJson<'a> {
    path: &'a str,
    host: &'a str,
    taken: &'a str,
    taken_at: i64,
    /// What the box concluded when the bundle was taken (absent for older bundles).
    #[serde(skip_serializing_if = "Option::is_none")]
    said: Option<SaidJson<'a>>,
}

#[derive(Serialize)]
struct SaidJson<'a> {
    verdict: &'a str,
    root_causes: &'a [String],
}

#[derive(Serialize)]
struct CapturedJson<'a> {
    proc: Option<&'a str>,
    sys: Option<&'a str>,
}

#[derive(Serialize)]
struct CheckJson<'a> {
    id: &'a str,
    kind: &'static str,
    severity: String,
    status: Status,
    summary: &'a str,
    evidence: Vec<&'a str>,
    root_cause: Option<&'a str>,
    blocked_by: Option<&'a str>,
    /// The fix text for results that need one; null for pass and skip.
    fix: Option<&'a str>,
    duration_ms: f64,
}

pub fn render(run: &Run, spec: &Spec, mode: Mode, root: &str, about: &About) -> String {
    let report = Report {
        bundle: match about {
            About::Bundle {
                path,
                host,
                taken,
                taken_at,
                said,
                ..
            } => Some(BundleJson {
                path,
                host,
                taken,
                taken_at: *taken_at,
                said: match said.as_slice() {
                    [verdict, root_causes @ ..] => Some(SaidJson {
                        verdict,
                        root_causes,
                    }),
                    [] => None,
                },
            }),
            _ => None,
        },
        captured: match about {
            About::Captured { proc, sys } => Some(CapturedJson {
                proc: proc.as_deref(),
                sys: sys.as_deref(),
            }),
            _ => None,
        },
        tool: "ha-preflight",
        version: env!("CARGO_PKG_VERSION"),
        schema: 1,
        mode: mode.to_string(),
        root: root.to_string(),
        verdict: run.verdict,
        duration_ms: super::millis(run.duration),
        overlay: super::catalog::overlay_json(spec.overlay_for(mode)),
        checks: run
            .results
            .iter()
            .map(|r| {
                let check = r.check;
                CheckJson {
                    id: &check.id,
                    kind: check.kind.name,
                    severity: check.severity.to_string(),
                    status: r.status,
                    summary: &r.outcome.summary,
                    evidence: r.outcome.evidence.iter().map(|e| e.text.as_str()).collect(),
                    root_cause: r.root_cause.map(|c| c.id.as_str()),
                    blocked_by: r.blocked_by.map(|c| c.id.as_str()),
                    fix: r.outcome.fix.as_deref(),
                    duration_ms: super::millis(r.duration),
                }
            })
            .collect(),
    };
    // Serializing plain structs of strings and numbers cannot fail; should it ever, the
    // report says so rather than printing nothing.
    inert(serde_json::to_string_pretty(&report).unwrap_or_else(|e| {
        format!("{{\"tool\":\"ha-preflight\",\"schema\":1,\"error\":\"{e}\"}}")
    }))
}

/// JSON that a terminal can show: serde_json escapes C0 controls, but writes DEL, C1
/// controls (U+009B is CSI to many terminals) and bidi overrides as they are. Outside a
/// string JSON is ASCII, so each of them is inside one, where `\uXXXX` reads back as
/// the same character: the text stays whole.
pub fn inert(json: String) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}
