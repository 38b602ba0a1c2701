//! `--format junit`: one testcase per check, for CI dashboards, valid against the JUnit
//! schema Jenkins reads (`junit-10.xsd`: times with at most three decimals, no
//! `skipped` on `<testsuites>`), and in step with the exit status: a `<failure>` is
//! exactly a result that fails the run under `--fail-on`. So a warning is a failure with
//! `--fail-on warning` and, by default, a passing testcase that says it warned (a
//! `status` property and `<system-out>`). Errors are `<error>`; skip, and blocked behind
//! a failure, are `<skipped>`. Evidence and fix go to `<system-out>`.

use crate::engine::{Run, effective};
use crate::model::Mode;
use crate::model::{FailOn, Status};
use crate::spec::Spec;
use std::fmt::Write;

/// What a result is in JUnit's terms.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Case {
    Passed,
    /// Passed, but with a warning that does not fail the run.
    Warned,
    Failed,
    Errored,
    Skipped,
}

pub fn render(run: &Run, spec: &Spec, mode: Mode, fail_on: FailOn) -> String {
    let cases: Vec<Case> = run
        .results
        .iter()
        .map(|r| {
            let counted = effective(&run.results, r);
            if fail_on.fails(counted) {
                Case::Failed
            } else {
                match r.status {
                    Status::Pass => Case::Passed,
                    Status::Warn => Case::Warned,
                    Status::Error => Case::Errored,
                    Status::Skip | Status::Blocked => Case::Skipped,
                    // Not failing the run (--fail-on none): reported, not a failure.
                    Status::Fail | Status::Wait => Case::Warned,
                }
            }
        })
        .collect();
    let count = |c: Case| cases.iter().filter(|&&x| x == c).count();
    let (failures, errors, skipped) = (
        count(Case::Failed),
        count(Case::Errored),
        count(Case::Skipped),
    );
    let time = seconds(run.duration);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"ha-preflight\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{time}\">",
        run.results.len(),
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"ha-preflight.{mode}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{time}\">",
        run.results.len(),
    );
    let _ = writeln!(
        out,
        "    <properties>\n      <property name=\"fail-on\" value=\"{}\"/>\n      <property name=\"verdict\" value=\"{}\"/>",
        fail_on.name(),
        run.verdict.as_str()
    );
    // What the spec's layers did to this mode's checks, one property each.
    for note in spec.overlay_for(mode) {
        let _ = writeln!(
            out,
            "      <property name=\"spec-overlay\" value=\"{}\"/>",
            xml(&note.text())
        );
    }
    out.push_str("    </properties>\n");
    for (r, case) in run.results.iter().zip(&cases) {
        let check = r.check;
        let _ = write!(
            out,
            "    <testcase classname=\"ha-preflight.{mode}.{}\" name=\"{}\" time=\"{}\">",
            xml(check.kind.name),
            xml(&check.id),
            seconds(r.duration)
        );
        let summary = xml(&r.outcome.summary);
        let status = r.status.as_str();
        match case {
            Case::Passed => {}
            Case::Failed => {
                let _ = write!(
                    out,
                    "\n      <failure message=\"{summary}\" type=\"{status}\">{summary}</failure>"
                );
            }
            Case::Errored => {
                let _ = write!(
                    out,
                    "\n      <error message=\"{summary}\" type=\"error\">{summary}</error>"
                );
            }
            Case::Skipped => {
                let _ = write!(out, "\n      <skipped message=\"{summary}\"/>");
            }
            Case::Warned => {}
        }
        let mut body = String::new();
        if *case == Case::Warned {
            let _ = writeln!(
                body,
                "{status} (does not fail the run): {}",
                r.outcome.summary
            );
        }
        let lines: Vec<&str> = r.outcome.evidence.iter().map(|e| e.text.as_str()).collect();
        body.push_str(&lines.join("\n"));
        if let Some(root) = r.root_cause {
            body.push_str(&format!("\nroot cause: {}", root.id));
        }
        if !matches!(r.status, Status::Pass | Status::Skip) {
            if let Some(fix) = &r.outcome.fix {
                body.push_str(&format!("\nfix: {fix}"));
            }
        }
        if !body.trim().is_empty() {
            let _ = write!(
                out,
                "\n      <system-out>{}</system-out>\n    ",
                xml(body.trim())
            );
        }
        out.push_str("</testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// Seconds with three decimals: the schema's SUREFIRE_TIME allows no more.
fn seconds(d: std::time::Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

/// Escapes text for XML content and attributes, losing nothing XML 1.0 can hold: CR (which
/// a parser would turn into LF), DEL, C1 controls and bidi overrides as character
/// references, so the file carries them but a terminal showing it raw does not obey
/// them. The C0 controls XML 1.0 cannot hold at all are written as visible escapes
/// (`\x1b`, as `text::visible` does), not dropped.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' => out.push(c),
            '\r' | '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                let _ = write!(out, "&#x{:x};", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes() {
        assert_eq!(
            super::xml("a<b & \"c\"\u{1}\r\u{9b}\u{202e}"),
            "a&lt;b &amp; &quot;c&quot;\\x01&#xd;&#x9b;&#x202e;"
        );
    }
}
