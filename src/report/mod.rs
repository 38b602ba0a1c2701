//! Turning a run into what its reader needs: a person (`human`), a program (`json`), a CI
//! system (`junit`), a monitoring system (`nagios`, `prometheus`). Reports only format;
//! every decision was made by the engine.

pub mod catalog;
pub mod fleet;
pub mod human;
pub mod journal;
pub mod json;
pub mod junit;
pub mod layout;
pub mod nagios;
pub mod prometheus;

use crate::engine::Run;
use crate::engine::effective;
use crate::model::{FailOn, Status};

/// What a run judged, when it is not simply the machine it runs on: the report's header
/// says so, so that nobody takes a replayed bundle for the analyst's own machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum About {
    /// The running system.
    Here,
    /// A root tree (image mode).
    Image { root: String },
    /// Captured copies of /proc and /sys: kernel state only.
    Captured {
        proc: Option<String>,
        sys: Option<String>,
    },
    /// A support bundle, read back.
    Bundle {
        path: String,
        host: String,
        taken: String,
        taken_at: i64,
        /// What the box concluded when the bundle was taken: its verdict, then its
        /// root causes' ids (empty: an older bundle, which did not record it).
        said: Vec<String>,
        /// This replay's verdict.
        replayed: &'static str,
    },
}

impl About {
    /// The header line that says what was judged, if the mode line does not.
    pub fn line(&self) -> Option<String> {
        match self {
            About::Here | About::Image { .. } => None,
            About::Bundle {
                path,
                host,
                taken,
                said,
                replayed,
                ..
            } => {
                let mut line = format!("judged: bundle {path}, taken on {host} at {taken}");
                if let [verdict, causes @ ..] = said.as_slice() {
                    line.push_str("; the box said: ");
                    line.push_str(verdict);
                    if !causes.is_empty() {
                        line.push_str(", root cause ");
                        line.push_str(&causes.join(", "));
                    }
                    if verdict != replayed {
                        line.push_str("; this replay says ");
                        line.push_str(replayed);
                        line.push_str(", not what the box said");
                    }
                }
                Some(line)
            }
            About::Captured { proc, sys } => {
                let from: Vec<&str> = [proc, sys]
                    .into_iter()
                    .flatten()
                    .map(String::as_str)
                    .collect();
                Some(format!(
                    "judged: kernel state captured in {}; the box's files and daemons are not here, and checks of them skip",
                    from.join(" and ")
                ))
            }
        }
    }
}

/// The process exit code of a run: 1 when a result fails it (by `--fail-on`), else 3
/// when a check could not be evaluated, else 0.
/// The exit code of a run in which a check could not be evaluated and none failed.
pub const COULD_NOT_CHECK: i32 = 3;

pub fn exit_code(run: &Run, fail_on: FailOn) -> i32 {
    let statuses = || run.results.iter().map(|r| effective(&run.results, r));
    if statuses().any(|s| fail_on.fails(s)) {
        1
    } else if statuses().any(|s| s == Status::Error) {
        COULD_NOT_CHECK
    } else {
        0
    }
}

/// Milliseconds with microsecond precision, as the JSON schema and the summary show them.
pub fn millis(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}
