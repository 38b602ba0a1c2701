//! `--format nagios`: the monitoring-plugin convention. One status line,
//! `HA-PREFLIGHT CRITICAL - <root cause> | checks=N failed=N warned=N duration=Xms`, then
//! one line per check as long output; the exit code is the plugin's (0 OK, 1 WARNING,
//! 2 CRITICAL, 3 UNKNOWN), so Nagios, Icinga and their kin can run it as it is.

use crate::engine::Run;
use crate::model::Status;
use crate::spec::Spec;
use std::fmt::Write;

/// The plugin's exit code for "could not tell", also for usage and spec errors.
pub const UNKNOWN: i32 = 3;

/// The plugin state of a verdict.
fn state(verdict: Status) -> (&'static str, i32) {
    match verdict {
        Status::Pass | Status::Skip | Status::Blocked => ("OK", 0),
        Status::Warn => ("WARNING", 1),
        Status::Fail | Status::Wait => ("CRITICAL", 2),
        Status::Error => ("UNKNOWN", UNKNOWN),
    }
}

/// The plugin exit code for a run.
pub fn exit_code(run: &Run) -> i32 {
    state(run.verdict).1
}

pub fn render(run: &Run, spec: &Spec) -> String {
    let (word, _) = state(run.verdict);
    let count = |pred: fn(Status) -> bool| run.results.iter().filter(|r| pred(r.status)).count();
    let failed = count(|s| matches!(s, Status::Fail | Status::Wait | Status::Error));
    let warned = count(|s| s == Status::Warn);
    let headline = match crate::engine::root_causes(run).first() {
        Some(root) => format!("{}: {}", root.check.id, root.outcome.summary),
        None => {
            let skipped = count(|s| s == Status::Skip);
            let by_operator = run.results.iter().filter(|r| r.skipped_by_operator).count();
            let passed = run.results.len() - skipped;
            let mut line = format!(
                "{passed} {} passed",
                if passed == 1 { "check" } else { "checks" }
            );
            if skipped > by_operator {
                line.push_str(&format!(", {} not applicable", skipped - by_operator));
            }
            if by_operator > 0 {
                line.push_str(&format!(", {by_operator} skipped by the operator (--skip)"));
            }
            line
        }
    };
    let mut out = format!(
        "HA-PREFLIGHT {word} - {} | checks={} failed={failed} warned={warned} duration={:.3}ms\n",
        plain(&headline),
        run.results.len(),
        super::millis(run.duration)
    );
    for r in &run.results {
        let _ = writeln!(
            out,
            "{:<7} {}: {}",
            r.status.as_str(),
            r.check.id,
            plain(&r.outcome.summary)
        );
    }
    // What the spec's layers did, as long output after the checks. Every mode's notes:
    // the plugin's render does not know the mode, and a removed check matters to all.
    for note in &spec.overlay {
        let _ = writeln!(out, "spec    {}", plain(&note.text()));
    }
    out
}

/// Text safe in plugin output: `|` starts performance data, so it may not appear in
/// the text, each result is one line, and control characters are escaped
/// (`text::visible`): the plugin is run by hand on a terminal too.
pub fn plain(text: &str) -> String {
    crate::model::text::visible(&text.replace('|', "/").replace(['\n', '\r'], " "), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_follow_the_plugin_convention() {
        assert_eq!(state(Status::Pass), ("OK", 0));
        assert_eq!(state(Status::Warn), ("WARNING", 1));
        assert_eq!(state(Status::Fail), ("CRITICAL", 2));
        assert_eq!(state(Status::Wait), ("CRITICAL", 2));
        assert_eq!(state(Status::Error), ("UNKNOWN", 3));
        assert_eq!(plain("a | b\nc"), "a / b c");
        assert_eq!(plain("a\x1b]0;t\x07"), "a\\x1b]0;t\\x07");
    }
}
