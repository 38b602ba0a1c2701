//! One pass over the selected checks, in waves of `requires`, each check on its own
//! thread and collected no later than its deadline.

use super::verdict::{attribute_root_causes, status_of};
use super::when::unmet;
use crate::kinds::Context;
use crate::model::duration::display as show_duration;
use crate::model::{CheckResult, Outcome, Status};
use crate::spec::{Check, Spec};
use crate::world::Target;
use crate::world::facts::Facts;
use crate::world::tape;
use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

/// Time a check is given past its own deadline to report its own, more precise timeout.
const GRACE: Duration = Duration::from_millis(100);
/// Runs one pass. With the previous pass's results, only pending and blocked checks are
/// evaluated again; the rest keep their result.
///
/// Checks run in waves: every check whose `requires` have results starts at once, each
/// on its own thread with its own deadline, and the wave is collected before the next
/// starts. A boot run is mostly waiting (a socket, /proc, netlink), so the pass takes
/// about as long as its longest chain of `requires`, not the sum of its checks. Results
/// stay in spec order, which is what root causes and reports go by.
pub(super) fn run_pass(
    spec: &Arc<Spec>,
    selected: &[usize],
    target: &Arc<Target>,
    deadline: Instant,
    previous: Option<&[CheckResult]>,
) -> Vec<CheckResult> {
    let facts = Arc::new(Facts::default());
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    for (pos, &index) in selected.iter().enumerate() {
        by_id.insert(&spec.checks[index].id, pos);
    }
    let mut slots: Vec<Option<CheckResult>> = vec![None; selected.len()];
    while slots.iter().any(Option::is_none) {
        let before = slots.iter().filter(|s| s.is_some()).count();
        let mut wave: Vec<(usize, Instant, Started)> = Vec::new();
        for (pos, &index) in selected.iter().enumerate() {
            if slots[pos].is_some() {
                continue;
            }
            let check = &spec.checks[index];
            if let Some(old) = previous.and_then(|p| p.get(pos))
                && !old.is_pending()
                && old.status != Status::Blocked
            {
                slots[pos] = Some(CheckResult {
                    root_cause: None,
                    ..old.clone()
                });
                continue;
            }
            // A dep outside the selection (--only, --skip) does not hold a check back.
            let dep_result = |dep: &String| by_id.get(dep.as_str()).map(|&j| &slots[j]);
            let waiting = check
                .requires
                .iter()
                .any(|dep| dep_result(dep).is_some_and(Option::is_none));
            if waiting {
                continue;
            }
            let started = Instant::now();
            let blocker = check.requires.iter().find_map(|dep| {
                let r = dep_result(dep)?.as_ref()?;
                (!matches!(r.status, Status::Pass | Status::Skip)).then(|| (dep.clone(), r.status))
            });
            let (status, outcome) = if let Some((dep, dep_status)) = &blocker {
                let outcome = Outcome::skip(format!(
                    "not run: requires {dep}, which ended {}",
                    dep_status.as_str()
                ));
                (Status::Blocked, outcome)
            } else if Instant::now() >= deadline {
                (
                    Status::Error,
                    Outcome::error("not run: the run's deadline (--timeout) had passed"),
                )
            } else {
                let check_deadline = deadline.min(started + check.timeout);
                wave.push((
                    pos,
                    started,
                    start(spec, index, target, &facts, check_deadline),
                ));
                continue;
            };
            slots[pos] = Some(result(
                check,
                target,
                (index, status),
                outcome,
                blocker.map(|(d, _)| d),
                started.elapsed(),
            ));
        }
        let filled = slots.iter().filter(|s| s.is_some()).count();
        if wave.is_empty() && filled == before {
            // Cannot happen with deps in spec order; never spin if it did.
            break;
        }
        for (pos, started, handle) in wave {
            let index = selected[pos];
            let (outcome, ended) = finish(&spec.checks[index], handle);
            let status = status_of(&outcome.finding, spec.checks[index].severity);
            slots[pos] = Some(result(
                &spec.checks[index],
                target,
                (index, status),
                outcome,
                None,
                ended.saturating_duration_since(started),
            ));
        }
    }
    let mut results: Vec<CheckResult> = slots.into_iter().flatten().collect();
    attribute_root_causes(spec, &mut results, &by_id);
    results
}

fn result(
    check: &Check,
    target: &Target,
    (index, status): (usize, Status),
    outcome: Outcome,
    blocked_by: Option<String>,
    duration: Duration,
) -> CheckResult {
    CheckResult {
        fix: super::fixes::fix_for(check, status, &outcome, target),
        index,
        status,
        transient: outcome.transient && status != Status::Pass,
        summary: outcome.summary,
        evidence: outcome.evidence,
        root_cause: None,
        blocked_by,
        duration,
    }
}

/// A check started on its worker thread, or the error that kept it from starting.
enum Started {
    Running {
        rx: mpsc::Receiver<(thread::Result<Outcome>, Instant)>,
        deadline: Instant,
    },
    Failed(Outcome),
}

/// Starts one check on a worker thread; `finish` collects it by its deadline.
fn start(
    spec: &Arc<Spec>,
    index: usize,
    target: &Arc<Target>,
    facts: &Arc<Facts>,
    deadline: Instant,
) -> Started {
    let check = &spec.checks[index];
    let (tx, rx) = mpsc::channel();
    let (spec_w, target_w, facts_w) = (Arc::clone(spec), Arc::clone(target), Arc::clone(facts));
    let spawned = thread::Builder::new()
        .name(check.id.clone())
        .spawn(move || {
            let check = &spec_w.checks[index];
            let cx = Context {
                target: &target_w,
                facts: &facts_w,
                deadline,
            };
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| evaluate(check, &cx)));
            // The receiver is gone if the engine gave up on this check: nothing to do.
            let _ = tx.send((outcome, Instant::now()));
        });
    match spawned {
        Ok(_) => Started::Running { rx, deadline },
        Err(e) => Started::Failed(Outcome::error(format!(
            "cannot start a thread for the check: {e}"
        ))),
    }
}

/// Evaluates one check where it stands: its `when`, then its kind. A check that asked a
/// bundle (or a capture) something it does not hold is judged on nothing it can trust,
/// so it skips and says what was missing, never mixing in the replaying machine.
fn evaluate(check: &Check, cx: &Context) -> Outcome {
    let _ = tape::take_misses();
    let judged = match check.when.as_ref().map(|w| unmet(w, &cx.target.root)) {
        Some(Ok(Some(reason))) => Outcome::skip(reason),
        Some(Err(e)) => Outcome::error(format!("its `when` condition: {e}")),
        Some(Ok(None)) | None => check.params.evaluate(cx),
    };
    let misses = tape::take_misses();
    let Some(first) = misses.first() else {
        return judged;
    };
    let mut skipped = Outcome::skip(first.clone());
    for miss in misses.iter().skip(1).take(SHOWN_MISSES) {
        skipped = skipped.with(miss.clone());
    }
    if misses.len() > SHOWN_MISSES + 1 {
        skipped = skipped.with(format!("and {} more", misses.len() - SHOWN_MISSES - 1));
    }
    skipped
}

/// How many missing inputs a skipped check lists besides the first.
const SHOWN_MISSES: usize = 4;

/// Waits for a started check no longer than its deadline (plus the grace it has to
/// report its own, more precise timeout); returns its outcome and when it ended.
fn finish(check: &Check, started: Started) -> (Outcome, Instant) {
    let (rx, deadline) = match started {
        Started::Running { rx, deadline } => (rx, deadline),
        Started::Failed(outcome) => return (outcome, Instant::now()),
    };
    let budget = deadline.saturating_duration_since(Instant::now()) + GRACE;
    match rx.recv_timeout(budget) {
        Ok((Ok(outcome), ended)) => (outcome, ended),
        Ok((Err(panic), ended)) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            let outcome = Outcome::error(format!(
                "internal error: the check panicked ({what}); please report this"
            ));
            (outcome, ended)
        }
        Err(mpsc::RecvTimeoutError::Timeout) => (
            Outcome::error(format!(
                "timed out after {}: the check was still running and was abandoned",
                show_duration(check.timeout.min(budget))
            )),
            Instant::now(),
        ),
        Err(mpsc::RecvTimeoutError::Disconnected) => (
            Outcome::error("internal error: the check ended without a result"),
            Instant::now(),
        ),
    }
}
