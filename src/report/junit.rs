//! `--format junit`: one testcase per check, for CI dashboards. A failing check is a
//! `<failure>` whose message is the summary; evidence and fix go to `<system-out>`; skip
//! and blocked are `<skipped>`; error is `<error>`.

use crate::engine::{Run, check_of};
use crate::outcome::Status;
use crate::spec::{Mode, Spec};
use std::fmt::Write;

pub fn render(run: &Run, spec: &Spec, mode: Mode) -> String {
    let count = |f: &dyn Fn(Status) -> bool| run.results.iter().filter(|r| f(r.status)).count();
    let failures = count(&|s| matches!(s, Status::Fail | Status::Warn | Status::Wait));
    let errors = count(&|s| s == Status::Error);
    let skipped = count(&|s| matches!(s, Status::Skip | Status::Blocked));
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"ha-preflight\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{:.6}\">",
        run.results.len(),
        run.duration.as_secs_f64()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"ha-preflight.{mode}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{:.6}\">",
        run.results.len(),
        run.duration.as_secs_f64()
    );
    for r in &run.results {
        let check = check_of(spec, r);
        let _ = write!(
            out,
            "    <testcase classname=\"ha-preflight.{mode}.{}\" name=\"{}\" time=\"{:.6}\">",
            xml(check.kind.name()),
            xml(&check.id),
            r.duration.as_secs_f64()
        );
        let summary = xml(&r.summary);
        match r.status {
            Status::Pass => {}
            Status::Fail | Status::Warn | Status::Wait => {
                let _ = write!(
                    out,
                    "\n      <failure message=\"{summary}\" type=\"{}\">{summary}</failure>",
                    r.status.as_str()
                );
            }
            Status::Error => {
                let _ = write!(
                    out,
                    "\n      <error message=\"{summary}\" type=\"error\">{summary}</error>"
                );
            }
            Status::Skip | Status::Blocked => {
                let _ = write!(out, "\n      <skipped message=\"{summary}\"/>");
            }
        }
        let mut body = r.evidence.join("\n");
        if let Some(root) = &r.root_cause {
            body.push_str(&format!("\nroot cause: {root}"));
        }
        if !matches!(r.status, Status::Pass | Status::Skip) {
            body.push_str(&format!("\nfix: {}", check.fix));
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

/// Escapes text for XML content and attributes, dropping characters XML 1.0 forbids.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes() {
        assert_eq!(super::xml("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
    }
}
