//! What a run's results add up to: a finding's status by the check's severity, root
//! causes along `after`/`requires`, which failures a report names first, each result's
//! effective status, and the one verdict.

use crate::model::{CheckResult, Finding, Run, Severity, Status};
use crate::spec::Spec;
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
pub(super) fn attribute_root_causes(
    spec: &Spec,
    results: &mut [CheckResult],
    by_id: &HashMap<&str, usize>,
) {
    for i in 0..results.len() {
        if !results[i].status.is_failure() {
            continue;
        }
        let check = &spec.checks[results[i].index];
        let root = check
            .deps()
            .filter_map(|dep| by_id.get(dep.as_str()).copied())
            .filter(|&j| j < i && results[j].status.is_failure())
            .map(|j| {
                let root_id = results[j]
                    .root_cause
                    .clone()
                    .unwrap_or_else(|| spec.checks[results[j].index].id.clone());
                let order = by_id.get(root_id.as_str()).copied().unwrap_or(j);
                (order, root_id)
            })
            .min();
        results[i].root_cause = root.map(|(_, id)| id);
    }
}

/// The worst effective status (see [`effective`]).
pub fn verdict(spec: &Spec, results: &[CheckResult]) -> Status {
    results
        .iter()
        .map(|r| effective(spec, results, r))
        .max_by_key(|s| s.rank())
        .unwrap_or(Status::Pass)
}

/// What a result counts as in the verdict and the exit status. Skips add nothing; a
/// blocked check adds nothing when its blocker is itself counted as a failure, but a
/// critical check blocked behind a mere warning did not run, and that must not pass
/// quietly.
pub fn effective(spec: &Spec, results: &[CheckResult], r: &CheckResult) -> Status {
    match r.status {
        Status::Blocked => {
            let blocker = r.blocked_by.as_deref().and_then(|id| {
                results
                    .iter()
                    .find(|o| spec.checks[o.index].id == id)
                    .map(|o| o.status)
            });
            match blocker {
                Some(Status::Warn) => status_of(&Finding::Fail, spec.checks[r.index].severity),
                _ => Status::Pass,
            }
        }
        Status::Skip => Status::Pass,
        s => s,
    }
}

/// The failures no other failure explains, the worst first (a failure before a warning),
/// then in run order: what a report names first.
pub fn root_causes(run: &Run) -> Vec<&CheckResult> {
    let mut roots: Vec<&CheckResult> = run
        .results
        .iter()
        .filter(|r| r.status.is_failure() && r.status != Status::Blocked && r.root_cause.is_none())
        .collect();
    crate::model::sort::sort_by_key(&mut roots, |r| std::cmp::Reverse(r.status.rank()));
    roots
}
