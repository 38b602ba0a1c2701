//! The engine thread's bookkeeping for one pass: where each check stands, which can
//! start, when to wake up, what a worker's word means, what to give up on, and the
//! results in spec order at the end.
//!
//! It starts no thread and reads no channel (`pass` does both), so each step can be
//! driven and checked on its own, without a check ever running: the decisions that make
//! the run's deadline hold are the ones most in need of a test that can fail.

use super::verdict::{attribute_root_causes, status_of};
use crate::model::duration::display as show_duration;
use crate::model::{CheckResult, Outcome, Status};
use crate::spec::{Check, Spec};
use crate::world::Target;
use std::collections::{HashMap, VecDeque};
use std::thread;
use std::time::{Duration, Instant};

/// Time a check is given past its own deadline to report its own, more precise timeout.
pub(super) const GRACE: Duration = Duration::from_millis(100);
/// How long a check on the lane may run before the checks queued behind it move to a
/// fresh lane. Local checks take microseconds; one that takes this long is stuck on
/// something (a hung mount) and must not hold the others up. It keeps running and is
/// collected, or abandoned at its own deadline, like any other.
pub(super) const PATIENCE: Duration = Duration::from_millis(50);

/// Where a check that has no result yet stands.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Stage {
    Waiting,
    /// Handed to the lane or to a thread of its own, not started yet.
    Queued,
    /// Started: on the lane when it heads `lane_queue`, else on a thread of its own (or
    /// left alone on a lane given up).
    Running {
        started: Instant,
        deadline: Instant,
    },
}

/// Where the workers put a check that could start.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Placed {
    /// On the lane, behind the checks handed to it before.
    Lane,
    /// On a thread of its own.
    Alone,
}

/// Whether a waiting check's `requires` let it start.
#[derive(Debug, PartialEq)]
enum Readiness {
    /// A check it requires has no result yet.
    NotYet,
    /// A check it requires ended neither pass nor skip: it is not run.
    Blocked {
        dep: String,
        status: Status,
    },
    Ready,
}

/// The state of one pass, by the check's position in the selection.
pub(super) struct Scheduler<'a> {
    spec: &'a Spec,
    selected: &'a [usize],
    target: &'a Target,
    /// The pass's deadline: no check starts at or after it.
    deadline: Instant,
    /// The earlier pass's results under `--wait`, to keep those that are settled.
    previous: Option<&'a [CheckResult]>,
    by_id: HashMap<&'a str, usize>,
    slots: Vec<Option<CheckResult>>,
    stages: Vec<Stage>,
    /// The lane's checks in the order handed to it: the first is running or next.
    lane_queue: VecDeque<usize>,
}

impl<'a> Scheduler<'a> {
    pub(super) fn new(
        spec: &'a Spec,
        selected: &'a [usize],
        target: &'a Target,
        deadline: Instant,
        previous: Option<&'a [CheckResult]>,
    ) -> Self {
        let mut by_id: HashMap<&str, usize> = HashMap::new();
        for (pos, &index) in selected.iter().enumerate() {
            by_id.insert(&spec.checks[index].id, pos);
        }
        Scheduler {
            spec,
            selected,
            target,
            deadline,
            previous,
            by_id,
            slots: vec![None; selected.len()],
            stages: vec![Stage::Waiting; selected.len()],
            lane_queue: VecDeque::new(),
        }
    }

    fn check(&self, pos: usize) -> &'a Check {
        let spec = self.spec;
        &spec.checks[self.selected[pos]]
    }

    /// Whether every check has its result: the pass is over.
    pub(super) fn all_done(&self) -> bool {
        self.slots.iter().all(Option::is_some)
    }

    /// The earlier pass's result for the check at `pos`, if it is to be kept: one that
    /// is settled. A pending one is what `--wait` checks again, and a blocked one may
    /// run now that its blocker is checked again.
    fn reuse(&self, pos: usize) -> Option<CheckResult> {
        let old = self.previous?.get(pos)?;
        (!old.is_pending() && old.status != Status::Blocked).then(|| CheckResult {
            root_cause: None,
            ..old.clone()
        })
    }

    /// Whether the check at `pos` may start, by the results of its `requires`. A dep
    /// outside the selection (--only, --skip) does not hold a check back.
    fn readiness(&self, pos: usize) -> Readiness {
        let requires = &self.check(pos).requires;
        let dep_result = |dep: &String| self.by_id.get(dep.as_str()).map(|&j| &self.slots[j]);
        if requires
            .iter()
            .any(|dep| dep_result(dep).is_some_and(Option::is_none))
        {
            return Readiness::NotYet;
        }
        let blocker = requires.iter().find_map(|dep| {
            let r = dep_result(dep)?.as_ref()?;
            (!matches!(r.status, Status::Pass | Status::Skip)).then(|| (dep.clone(), r.status))
        });
        match blocker {
            Some((dep, status)) => Readiness::Blocked { dep, status },
            None => Readiness::Ready,
        }
    }

    /// Starts what can start: `place` hands a check to the workers (it is told whether
    /// the check's kind waits), or says why it could not. A check settled at once (kept,
    /// blocked, too late, not placed) may free others, so it goes round until nothing
    /// changes.
    pub(super) fn start_ready(
        &mut self,
        mut place: impl FnMut(usize, bool) -> Result<Placed, Outcome>,
    ) {
        let mut changed = true;
        while changed {
            changed = false;
            for pos in 0..self.slots.len() {
                if self.slots[pos].is_some() || self.stages[pos] != Stage::Waiting {
                    continue;
                }
                if let Some(kept) = self.reuse(pos) {
                    self.slots[pos] = Some(kept);
                    changed = true;
                    continue;
                }
                let (check, index) = (self.check(pos), self.selected[pos]);
                match self.readiness(pos) {
                    Readiness::NotYet => {}
                    Readiness::Blocked { dep, status } => {
                        let outcome = Outcome::skip(format!(
                            "not run: requires {dep}, which ended {}",
                            status.as_str()
                        ));
                        self.slots[pos] = Some(result(
                            check,
                            self.target,
                            (index, Status::Blocked),
                            outcome,
                            Some(dep),
                            Duration::ZERO,
                        ));
                        changed = true;
                    }
                    Readiness::Ready if Instant::now() >= self.deadline => {
                        self.slots[pos] = Some(too_late(check, self.target, index));
                        changed = true;
                    }
                    Readiness::Ready => match place(pos, check.kind.waits) {
                        Ok(placed) => {
                            if placed == Placed::Lane {
                                self.lane_queue.push_back(pos);
                            }
                            self.stages[pos] = Stage::Queued;
                        }
                        Err(outcome) => {
                            self.slots[pos] =
                                Some(judged(check, self.target, index, outcome, Duration::ZERO));
                            changed = true;
                        }
                    },
                }
            }
        }
    }

    /// When the engine must look again if no worker has said anything: a running
    /// check's deadline (past `GRACE`), or sooner, its `PATIENCE` if it holds up the
    /// lane; for a check not started yet, the pass's deadline past `GRACE`. None when
    /// nothing is under way.
    pub(super) fn next_wake(&self) -> Option<Instant> {
        self.stages
            .iter()
            .zip(&self.slots)
            .enumerate()
            .filter(|(_, (_, s))| s.is_none())
            .filter_map(|(pos, (stage, _))| match stage {
                Stage::Running { started, deadline } => {
                    let holds_up =
                        self.lane_queue.front() == Some(&pos) && self.lane_queue.len() > 1;
                    let own = *deadline + GRACE;
                    Some(if holds_up {
                        own.min(*started + PATIENCE)
                    } else {
                        own
                    })
                }
                Stage::Queued => Some(self.deadline + GRACE),
                Stage::Waiting => None,
            })
            .min()
    }

    /// A worker started the check at `pos` at `at`, to end by `deadline`.
    pub(super) fn started(&mut self, pos: usize, at: Instant, deadline: Instant) {
        if self.slots[pos].is_none() {
            self.stages[pos] = Stage::Running {
                started: at,
                deadline,
            };
        }
    }

    /// A worker finished the check at `pos` at `at`: its outcome (or its panic) is its
    /// result, unless it was given up on already.
    pub(super) fn done(&mut self, pos: usize, outcome: thread::Result<Outcome>, at: Instant) {
        if self.slots[pos].is_some() {
            return;
        }
        if self.lane_queue.front() == Some(&pos) {
            self.lane_queue.pop_front();
        }
        let started = match self.stages[pos] {
            Stage::Running { started, .. } => started,
            _ => at,
        };
        let outcome = outcome.unwrap_or_else(|panic| panicked(&*panic));
        self.slots[pos] = Some(judged(
            self.check(pos),
            self.target,
            self.selected[pos],
            outcome,
            at.saturating_duration_since(started),
        ));
    }

    /// Nothing came before `next_wake`: at `now`, a check past its deadline and `GRACE`
    /// is abandoned (an error naming its deadline), one never started is too late, and
    /// a lane whose head has held it past `PATIENCE` is left to that check alone. When
    /// the lane is held by a check given up on or left alone, `give_up_lane` is called:
    /// the lane starts nothing more, and what was queued behind it waits to be placed
    /// again, on a fresh lane (or alone, if no lane can start).
    pub(super) fn timed_out(&mut self, now: Instant, give_up_lane: impl FnOnce()) {
        let mut lane_stuck = false;
        for pos in 0..self.slots.len() {
            if self.slots[pos].is_some() {
                continue;
            }
            let (check, index) = (self.check(pos), self.selected[pos]);
            match self.stages[pos] {
                Stage::Running {
                    started,
                    deadline: own,
                } if now >= own + GRACE => {
                    lane_stuck |= self.lane_queue.front() == Some(&pos);
                    self.slots[pos] = Some(result(
                        check,
                        self.target,
                        (index, Status::Error),
                        Outcome::error(format!(
                            "timed out after {}: the check was still running and was abandoned",
                            show_duration(
                                check
                                    .timeout
                                    .min(own.saturating_duration_since(started) + GRACE)
                            )
                        )),
                        None,
                        now.saturating_duration_since(started),
                    ));
                }
                Stage::Queued if now >= self.deadline + GRACE => {
                    self.slots[pos] = Some(too_late(check, self.target, index));
                }
                _ => {}
            }
        }
        // The lane's head has held it too long: it finishes (or times out) on the old
        // lane alone, and the queue moves on.
        if let Some(&head) = self.lane_queue.front()
            && self.lane_queue.len() > 1
            && let Stage::Running { started, .. } = self.stages[head]
            && now >= started + PATIENCE
        {
            self.lane_queue.pop_front();
            lane_stuck = true;
        }
        if lane_stuck {
            give_up_lane();
            for pos in self.lane_queue.drain(..) {
                if self.slots[pos].is_none() {
                    self.stages[pos] = Stage::Waiting;
                }
            }
        }
    }

    /// The results in spec order, with root causes. A check without a result (the
    /// workers went away) is an internal error, never a silent gap.
    pub(super) fn finish(self) -> Vec<CheckResult> {
        let (spec, selected, target) = (self.spec, self.selected, self.target);
        let mut results: Vec<CheckResult> = self
            .slots
            .into_iter()
            .enumerate()
            .map(|(pos, slot)| {
                slot.unwrap_or_else(|| {
                    result(
                        &spec.checks[selected[pos]],
                        target,
                        (selected[pos], Status::Error),
                        Outcome::error("internal error: the check ended without a result"),
                        None,
                        Duration::ZERO,
                    )
                })
            })
            .collect();
        attribute_root_causes(spec, &mut results, &self.by_id);
        results
    }
}

/// The result of a check the run's deadline (--timeout) left no time for.
fn too_late(check: &Check, target: &Target, index: usize) -> CheckResult {
    result(
        check,
        target,
        (index, Status::Error),
        Outcome::error("not run: the run's deadline (--timeout) had passed"),
        None,
        Duration::ZERO,
    )
}

/// The outcome of a check that panicked: an error naming the panic, not a dead run.
fn panicked(panic: &(dyn std::any::Any + Send)) -> Outcome {
    let what = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    Outcome::error(format!(
        "internal error: the check panicked ({what}); please report this"
    ))
}

/// The result of an outcome the check itself gave: its status is what the finding
/// means at the check's severity.
fn judged(
    check: &Check,
    target: &Target,
    index: usize,
    outcome: Outcome,
    duration: Duration,
) -> CheckResult {
    let status = status_of(&outcome.finding, check.severity);
    result(check, target, (index, status), outcome, None, duration)
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
        skipped_by_operator: false,
    }
}
