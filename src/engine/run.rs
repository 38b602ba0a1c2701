//! A run's results: what reports render and overrides amend. Each result carries the
//! check it is of, and the checks it names as its root cause and its blocker, as
//! references into the spec the run was made of, so a report reads everything about a
//! check from its result; and the kind's `Outcome` whole, rather than fields copied out.

use crate::model::{Outcome, Status};
use crate::spec::Check;
use std::time::Duration;

/// One check's result in a run, borrowing the run's spec.
#[derive(Debug, Clone)]
pub struct CheckResult<'a> {
    pub check: &'a Check,
    pub status: Status,
    /// What the kind found, as it said it (an override amends the summary and adds a
    /// line of evidence), with two things settled by the engine: `transient` only for a
    /// result that did not pass, and `fix` the one to show for this result, `$ROOT`
    /// resolved: None for a pass, a skip or a blocked check, whose fix is its blocker's
    /// (see `engine::fixes`).
    pub outcome: Outcome,
    /// The failure this one follows from along `after`/`requires`, if it is not its own.
    pub root_cause: Option<&'a Check>,
    /// The check it requires that kept it from running (status `blocked`).
    pub blocked_by: Option<&'a Check>,
    pub duration: Duration,
    /// Left out by the operator (`--skip`): not run, and reported as such, so that a
    /// gate check turned off shows in every report (status `skip`).
    pub skipped_by_operator: bool,
}

impl CheckResult<'_> {
    /// Still worth re-checking under `--wait`.
    pub fn is_pending(&self) -> bool {
        self.status == Status::Wait || self.outcome.transient
    }

    /// Whether this is the result of `check` (ids are unique in a spec, so the same
    /// check is the same place in it).
    pub fn is_of(&self, check: &Check) -> bool {
        std::ptr::eq(self.check, check)
    }
}

#[derive(Debug)]
pub struct Run<'a> {
    pub results: Vec<CheckResult<'a>>,
    pub verdict: Status,
    pub duration: Duration,
    /// How many rounds over the checks `--wait` made (1 without it).
    pub rounds: u32,
}
