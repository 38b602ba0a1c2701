//! `--format human`, for the serial console: the root cause first, with the chain from it
//! to the symptoms, its evidence and its fix; then one line per check.
//!
//! Colour only on a terminal, and never when NO_COLOR is set (no-color.org).

use crate::engine::check_of;
use crate::model::Mode;
use crate::model::Run;
use crate::model::Status;
use crate::spec::Spec;
use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

struct Style {
    color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn status(&self, s: Status) -> String {
        let word = format!("{:<7}", s.as_str());
        match s {
            Status::Pass => self.paint("32", &word),
            Status::Warn => self.paint("33", &word),
            Status::Fail | Status::Error => self.paint("1;31", &word.to_uppercase()),
            Status::Wait => self.paint("36", &word),
            Status::Skip | Status::Blocked => self.paint("2", &word),
        }
    }

    fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }
}

pub fn render(run: &Run, spec: &Spec, mode: Mode, verbosity: Verbosity, color: bool) -> String {
    let st = Style { color };
    let mut out = String::new();
    let roots = crate::engine::root_causes(run);
    let verdict = run.verdict.as_str().to_uppercase();

    if verbosity == Verbosity::Quiet {
        let cause = roots
            .first()
            .map(|r| format!(": {}: {}", check_of(spec, r).id, r.summary))
            .unwrap_or_default();
        let _ = writeln!(out, "ha-preflight {mode}: {verdict}{cause}");
        return out;
    }

    let _ = writeln!(
        out,
        "{}",
        st.bold(&format!("ha-preflight {mode}: {verdict}"))
    );
    for root in &roots {
        let check = check_of(spec, root);
        let label = if roots.len() == 1 && root.status != Status::Warn {
            "root cause"
        } else {
            match root.status {
                Status::Warn => "warning",
                Status::Wait => "waiting on",
                Status::Error => "could not check",
                _ => "root cause",
            }
        };
        let _ = writeln!(
            out,
            "{} {}: {}",
            st.bold(&format!("{label}:")),
            st.bold(&check.id),
            root.summary
        );
        let chain: Vec<String> = run
            .results
            .iter()
            .filter(|r| r.root_cause.as_deref() == Some(check.id.as_str()))
            .map(|r| {
                let id = &check_of(spec, r).id;
                if r.status == Status::Blocked {
                    format!("{id} (blocked)")
                } else {
                    id.clone()
                }
            })
            .collect();
        if !chain.is_empty() {
            let _ = writeln!(out, "  leads to: {} -> {}", check.id, chain.join(" -> "));
        }
        for line in &root.evidence {
            let _ = writeln!(out, "  evidence: {line}");
        }
        let _ = writeln!(out, "  fix: {}", indent(&check.fix, "       "));
        let _ = writeln!(
            out,
            "  (ha-preflight explain {} for why it matters)",
            check.id
        );
        out.push('\n');
    }

    let width = run
        .results
        .iter()
        .map(|r| check_of(spec, r).id.len())
        .max()
        .unwrap_or(0);
    for r in &run.results {
        let check = check_of(spec, r);
        let mut line = format!(
            "  {} {:<width$}  {}",
            st.status(r.status),
            check.id,
            r.summary
        );
        if let Some(root) = &r.root_cause {
            let _ = write!(line, "  [root cause: {root}]");
        }
        let _ = writeln!(out, "{line}");
        let show_evidence = verbosity == Verbosity::Verbose
            || (r.status.is_failure() && r.status != Status::Blocked && r.root_cause.is_some());
        if show_evidence {
            for e in &r.evidence {
                let _ = writeln!(out, "  {:width$}           {e}", "");
            }
        }
    }
    let count = |s: Status| run.results.iter().filter(|r| r.status == s).count();
    let mut tally = Vec::new();
    for s in [
        Status::Pass,
        Status::Warn,
        Status::Fail,
        Status::Wait,
        Status::Error,
        Status::Blocked,
        Status::Skip,
    ] {
        let n = count(s);
        if n > 0 {
            tally.push(format!("{n} {}", s.as_str()));
        }
    }
    let passes = if run.passes > 1 {
        format!(", {} passes", run.passes)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "\nverdict: {} ({}) in {:.1} ms{passes}",
        run.verdict.as_str(),
        tally.join(", "),
        super::millis(run.duration)
    );
    out
}

fn indent(text: &str, prefix: &str) -> String {
    text.lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(&format!("\n{prefix}"))
}
