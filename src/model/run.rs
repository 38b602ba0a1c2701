//! A run's results: what reports render and overrides amend, so it sits below both.

use super::{Evidence, Status};
use std::time::Duration;

/// One check's result in a run.
#[derive(Debug, Clone)]
pub struct CheckResult {
    /// Index into `Spec::checks`.
    pub index: usize,
    pub status: Status,
    pub summary: String,
    pub evidence: Vec<Evidence>,
    pub root_cause: Option<String>,
    pub blocked_by: Option<String>,
    pub duration: Duration,
    /// A failure the kind expects may heal by itself (see `Outcome::transient`).
    pub transient: bool,
    /// What to do about this result, for its own case, with `$ROOT` resolved: None for
    /// a pass, a skip or a blocked check (whose fix is its blocker's).
    pub fix: Option<String>,
    /// Left out by the operator (`--skip`): not run, and reported as such, so that a
    /// gate check turned off shows in every report (status `skip`).
    pub skipped_by_operator: bool,
}

impl CheckResult {
    /// Still worth re-checking under `--wait`.
    pub fn is_pending(&self) -> bool {
        self.status == Status::Wait || self.transient
    }
}

#[derive(Debug)]
pub struct Run {
    pub results: Vec<CheckResult>,
    pub verdict: Status,
    pub duration: Duration,
    /// How many rounds over the checks `--wait` made (1 without it).
    pub rounds: u32,
}
