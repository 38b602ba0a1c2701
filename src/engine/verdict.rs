//! What a run's results add up to: a finding's status by the check's severity, root
//! causes along `after`/`requires`, which failures a report names first, each result's
//! effective status, and the one verdict.

use super::{CheckResult, Run};
use crate::model::{Finding, Severity, Status};
use std::collections::HashMap;

pub(super) fn status_of(finding: &Finding, severity: Severity) -> Status {
    match (finding, severity) {
        (Finding::Pass, _) => Status::Pass,
        (Finding::Warn, _) => Status::Warn,
        (Finding::Fail, Severity::Critical) => Status::Fail,
        (Finding::Fail, Severity::Warning) => Status::Warn,
        (Finding::Wait, _) => Status::Wait,
        (Finding::Skip, _) => Status::Skip,
        (Finding::Error, _) => Status::Error,
    }
}

/// A failing check whose `after`/`requires` dep failed too is attributed to that dep's
/// root cause (or to the dep itself); with several, to the one that ran first.
pub(super) fn attribute_root_causes(results: &mut [CheckResult], by_id: &HashMap<&str, usize>) {
    for i in 0..results.len() {
        if !results[i].status.is_failure() {
            continue;
        }
        let root = results[i]
            .check
            .deps()
            .filter_map(|dep| by_id.get(dep.as_str()).copied())
            .filter(|&j| j < i && results[j].status.is_failure())
            .map(|j| {
                let root = results[j].root_cause.unwrap_or(results[j].check);
                let order = by_id.get(root.id.as_str()).copied().unwrap_or(j);
                (order, root)
            })
            .min_by_key(|&(order, _)| order);
        results[i].root_cause = root.map(|(_, check)| check);
    }
}

/// The worst effective status (see [`effective`]).
pub fn verdict(results: &[CheckResult]) -> Status {
    results
        .iter()
        .map(|r| effective(results, r))
        .max_by_key(|s| s.rank())
        .unwrap_or(Status::Pass)
}

/// What a result counts as in the verdict and the exit status. Skips add nothing; a
/// blocked check adds nothing when its blocker is itself counted as a failure, but a
/// critical check blocked behind a mere warning did not run, and that must not pass
/// quietly.
pub fn effective(results: &[CheckResult], r: &CheckResult) -> Status {
    match r.status {
        Status::Blocked => {
            let blocker = r
                .blocked_by
                .and_then(|dep| results.iter().find(|o| o.is_of(dep)).map(|o| o.status));
            match blocker {
                Some(Status::Warn) => status_of(&Finding::Fail, r.check.severity),
                _ => Status::Pass,
            }
        }
        Status::Skip => Status::Pass,
        s => s,
    }
}

/// The failures no other failure explains, the worst first (a failure before a warning),
/// then in run order: what a report names first.
pub fn root_causes<'r, 'a>(run: &'r Run<'a>) -> Vec<&'r CheckResult<'a>> {
    let mut roots: Vec<&CheckResult> = run
        .results
        .iter()
        .filter(|r| r.status.is_failure() && r.status != Status::Blocked && r.root_cause.is_none())
        .collect();
    crate::model::sort::sort_by_key(&mut roots, |r| std::cmp::Reverse(r.status.rank()));
    roots
}
