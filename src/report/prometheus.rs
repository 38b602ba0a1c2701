//! `--format prometheus`: node_exporter's textfile collector format (the Prometheus text
//! exposition format, without timestamps). Statuses are written as one series per
//! possible status with the value 1 on the one that holds, as node_exporter's systemd
//! collector writes unit states, so an alert is `ha_preflight_check_status{status="fail"}
//! == 1` and a dashboard can count by status. Written with `--output`, the file is
//! replaced atomically (see `crate::report::write_atomic`).

use crate::engine::Run;
use crate::model::Mode;
use crate::model::Status;
use std::fmt::Write;

pub fn render(run: &Run, mode: Mode, now_unix: f64) -> String {
    let mut out = String::new();
    let mode = mode.to_string();
    header(
        &mut out,
        "ha_preflight_check_status",
        "Status of each check in the last run: 1 for the status it ended with, 0 for the others.",
    );
    for r in &run.results {
        let check = r.check;
        for s in Status::ALL {
            let _ = writeln!(
                out,
                "ha_preflight_check_status{{id=\"{}\",kind=\"{}\",status=\"{}\"}} {}",
                escape(&check.id),
                escape(check.kind.name),
                s.as_str(),
                u8::from(r.status == s)
            );
        }
    }
    header(
        &mut out,
        "ha_preflight_check_duration_seconds",
        "How long each check took in the last run.",
    );
    for r in &run.results {
        let _ = writeln!(
            out,
            "ha_preflight_check_duration_seconds{{id=\"{}\"}} {}",
            escape(&r.check.id),
            r.duration.as_secs_f64()
        );
    }
    header(
        &mut out,
        "ha_preflight_verdict",
        "The last run's verdict, the worst of its checks: 1 for the verdict, 0 for the others.",
    );
    // A verdict is never skip or blocked: those count as pass (engine::verdict).
    for s in Status::ALL.into_iter().filter(|s| s.can_be_verdict()) {
        let _ = writeln!(
            out,
            "ha_preflight_verdict{{mode=\"{mode}\",status=\"{}\"}} {}",
            s.as_str(),
            u8::from(run.verdict == s)
        );
    }
    header(
        &mut out,
        "ha_preflight_run_duration_seconds",
        "How long the last run took.",
    );
    let _ = writeln!(
        out,
        "ha_preflight_run_duration_seconds {}",
        run.duration.as_secs_f64()
    );
    header(
        &mut out,
        "ha_preflight_last_run_timestamp_seconds",
        "When the last run ended, in seconds since the epoch.",
    );
    let _ = writeln!(out, "ha_preflight_last_run_timestamp_seconds {now_unix:.3}");
    out
}

fn header(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
}

/// A label value as the exposition format wants it: `\`, `"` and newlines escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(escape("x\ny"), "x\\ny");
    }
}
