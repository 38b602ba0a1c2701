//! The engine thread's bookkeeping for one pass: where each check stands, which can
//! start, when to wake up, what a worker's word means, what to give up on, and the
//! results in spec order at the end.
//!
//! It starts no thread and reads no channel (`pass` does both), so each step can be
//! driven and checked on its own, without a check ever running: the decisions that make
//! the run's deadline hold are the ones most in need of a test that can fail.

use super::CheckResult;
use super::verdict::{attribute_root_causes, status_of};
use crate::model::duration::display as show_duration;
use crate::model::{Outcome, Status};
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
        /// Its position in the selection.
        dep: usize,
        status: Status,
    },
    Ready,
}

/// The state of one pass, by the check's position in the selection. Its results borrow
/// the spec (`'a`); an earlier pass's, kept from one pass to the next, are borrowed for
/// this pass only (`'p`), as are the selection and the target.
pub(super) struct Scheduler<'a, 'p> {
    spec: &'a Spec,
    selected: &'p [usize],
    target: &'p Target,
    /// The pass's deadline: no check starts at or after it.
    deadline: Instant,
    /// The earlier pass's results under `--wait`, to keep those that are settled.
    previous: Option<&'p [CheckResult<'a>]>,
    by_id: HashMap<&'a str, usize>,
    slots: Vec<Option<CheckResult<'a>>>,
    stages: Vec<Stage>,
    /// The lane's checks in the order handed to it: the first is running or next.
    lane_queue: VecDeque<usize>,
}

impl<'a, 'p> Scheduler<'a, 'p> {
    pub(super) fn new(
        spec: &'a Spec,
        selected: &'p [usize],
        target: &'p Target,
        deadline: Instant,
        previous: Option<&'p [CheckResult<'a>]>,
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
    fn reuse(&self, pos: usize) -> Option<CheckResult<'a>> {
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
        let dep_result = |dep: &String| self.by_id.get(dep.as_str()).map(|&j| (j, &self.slots[j]));
        if requires
            .iter()
            .any(|dep| dep_result(dep).is_some_and(|(_, r)| r.is_none()))
        {
            return Readiness::NotYet;
        }
        let blocker = requires.iter().find_map(|dep| {
            let (j, r) = dep_result(dep)?;
            let r = r.as_ref()?;
            (!matches!(r.status, Status::Pass | Status::Skip)).then_some((j, r.status))
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
                let check = self.check(pos);
                match self.readiness(pos) {
                    Readiness::NotYet => {}
                    Readiness::Blocked { dep, status } => {
                        self.slots[pos] =
                            Some(blocked(check, self.target, self.check(dep), status));
                        changed = true;
                    }
                    Readiness::Ready if Instant::now() >= self.deadline => {
                        self.slots[pos] = Some(too_late(check, self.target));
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
                                Some(judged(check, self.target, outcome, Duration::ZERO));
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
            let check = self.check(pos);
            match self.stages[pos] {
                Stage::Running {
                    started,
                    deadline: own,
                } if now >= own + GRACE => {
                    lane_stuck |= self.lane_queue.front() == Some(&pos);
                    let ran = (started, own, now);
                    self.slots[pos] = Some(abandoned(check, self.target, ran));
                }
                Stage::Queued if now >= self.deadline + GRACE => {
                    self.slots[pos] = Some(too_late(check, self.target));
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
    pub(super) fn finish(self) -> Vec<CheckResult<'a>> {
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
                        Status::Error,
                        Outcome::error("internal error: the check ended without a result"),
                        None,
                        Duration::ZERO,
                    )
                })
            })
            .collect();
        attribute_root_causes(&mut results, &self.by_id);
        results
    }
}

/// The result of a check not run because `dep`, which it requires, ended `status`.
fn blocked<'a>(
    check: &'a Check,
    target: &Target,
    dep: &'a Check,
    status: Status,
) -> CheckResult<'a> {
    let outcome = Outcome::skip(format!(
        "not run: requires {}, which ended {}",
        dep.id,
        status.as_str()
    ));
    let duration = Duration::ZERO;
    result(check, target, Status::Blocked, outcome, Some(dep), duration)
}

/// The result of a check started at `started`, still running at `now`, past its
/// deadline `own` and `GRACE`. It names the time it was given: its own timeout, or less
/// when the run's deadline cut it short.
fn abandoned<'a>(
    check: &'a Check,
    target: &Target,
    (started, own, now): (Instant, Instant, Instant),
) -> CheckResult<'a> {
    let given = check
        .timeout
        .min(own.saturating_duration_since(started) + GRACE);
    let outcome = Outcome::error(format!(
        "timed out after {}: the check was still running and was abandoned",
        show_duration(given)
    ));
    let duration = now.saturating_duration_since(started);
    result(check, target, Status::Error, outcome, None, duration)
}

/// The result of a check the run's deadline (--timeout) left no time for.
fn too_late<'a>(check: &'a Check, target: &Target) -> CheckResult<'a> {
    result(
        check,
        target,
        Status::Error,
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
fn judged<'a>(
    check: &'a Check,
    target: &Target,
    outcome: Outcome,
    duration: Duration,
) -> CheckResult<'a> {
    let status = status_of(&outcome.finding, check.severity);
    result(check, target, status, outcome, None, duration)
}

/// The result of `outcome` as `status`: the fix to show chosen and resolved, and
/// `transient` kept only for a result that did not pass.
fn result<'a>(
    check: &'a Check,
    target: &Target,
    status: Status,
    mut outcome: Outcome,
    blocked_by: Option<&'a Check>,
    duration: Duration,
) -> CheckResult<'a> {
    outcome.fix = super::fixes::fix_for(check, status, &outcome, target);
    outcome.transient &= status != Status::Pass;
    CheckResult {
        check,
        status,
        outcome,
        root_cause: None,
        blocked_by,
        duration,
        skipped_by_operator: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::{Context, Evaluate, KindDef};
    use crate::model::{Mode, Severity};
    use std::cell::Cell;

    /// Never evaluated: the scheduler only reads a check's `requires`, kind and timeout.
    #[derive(Debug)]
    struct Unused;

    impl Evaluate for Unused {
        fn evaluate(&self, _: &Context) -> Outcome {
            Outcome::error("the scheduler evaluated a check")
        }
    }

    const LOCAL: KindDef = KindDef {
        name: "local",
        modes: &[Mode::Boot],
        default_timeout: Duration::from_secs(5),
        waits: false,
        params: &[],
        parse: |_| Ok(Box::new(Unused)),
    };

    const WAITS: KindDef = KindDef {
        name: "waits",
        waits: true,
        ..LOCAL
    };

    fn check(id: &str, kind: &'static KindDef, requires: &[&str]) -> Check {
        Check {
            id: id.into(),
            kind,
            params: Box::new(Unused),
            modes: vec![Mode::Boot],
            severity: Severity::Critical,
            after: Vec::new(),
            requires: requires.iter().map(|s| s.to_string()).collect(),
            when: None,
            title: String::new(),
            why: String::new(),
            fix: String::new(),
            timeout: Duration::from_millis(200),
            defined_at: "test".into(),
            changed_by: Vec::new(),
        }
    }

    fn spec(checks: Vec<Check>) -> Spec {
        Spec {
            checks,
            files: Vec::new(),
            redact: Vec::new(),
            overlay: Vec::new(),
            layers: Vec::new(),
        }
    }

    fn target() -> Target {
        Target::live().expect("/ opens")
    }

    /// A deadline no test reaches.
    fn far() -> Instant {
        Instant::now() + Duration::from_secs(3600)
    }

    fn settled<'a>(check: &'a Check, status: Status, summary: &str) -> CheckResult<'a> {
        CheckResult {
            check,
            status,
            outcome: Outcome::new(crate::model::Finding::Pass, summary),
            root_cause: None,
            blocked_by: None,
            duration: Duration::from_millis(7),
            skipped_by_operator: false,
        }
    }

    /// Places every check it is given where its kind says, recording (pos, waits).
    fn placer(log: &mut Vec<(usize, bool)>) -> impl FnMut(usize, bool) -> Result<Placed, Outcome> {
        move |pos, waits| {
            log.push((pos, waits));
            Ok(if waits { Placed::Alone } else { Placed::Lane })
        }
    }

    #[test]
    fn readiness_follows_the_results_of_requires() {
        let spec = spec(vec![
            check("a", &LOCAL, &[]),
            check("b", &LOCAL, &[]),
            check("c", &LOCAL, &["a", "b"]),
        ]);
        let (selected, target) = ([0, 1, 2], target());
        let mut s = Scheduler::new(&spec, &selected, &target, far(), None);
        assert_eq!(s.readiness(0), Readiness::Ready);
        assert_eq!(s.readiness(2), Readiness::NotYet);
        s.slots[0] = Some(settled(&spec.checks[0], Status::Pass, "ok"));
        assert_eq!(s.readiness(2), Readiness::NotYet, "b has no result yet");
        s.slots[1] = Some(settled(&spec.checks[1], Status::Skip, "n/a"));
        assert_eq!(s.readiness(2), Readiness::Ready, "a skip does not block");
        s.slots[1] = Some(settled(&spec.checks[1], Status::Warn, "meh"));
        assert_eq!(
            s.readiness(2),
            Readiness::Blocked {
                dep: 1,
                status: Status::Warn
            }
        );
        s.slots[0] = Some(settled(&spec.checks[0], Status::Fail, "bad"));
        assert_eq!(
            s.readiness(2),
            Readiness::Blocked {
                dep: 0,
                status: Status::Fail
            },
            "the first blocker in `requires` order is named"
        );
    }

    #[test]
    fn a_dep_outside_the_selection_does_not_hold_a_check_back() {
        let spec = spec(vec![check("a", &LOCAL, &[]), check("c", &LOCAL, &["a"])]);
        let (selected, target) = ([1], target());
        let s = Scheduler::new(&spec, &selected, &target, far(), None);
        assert_eq!(s.readiness(0), Readiness::Ready);
    }

    #[test]
    fn start_ready_places_by_kind_and_only_what_is_ready() {
        let spec = spec(vec![
            check("local", &LOCAL, &[]),
            check("remote", &WAITS, &[]),
            check("after-local", &LOCAL, &["local"]),
        ]);
        let (selected, target) = ([0, 1, 2], target());
        let mut s = Scheduler::new(&spec, &selected, &target, far(), None);
        let mut log = Vec::new();
        s.start_ready(placer(&mut log));
        assert_eq!(log, [(0, false), (1, true)]);
        assert_eq!(s.lane_queue, [0], "only the lane's check is in its queue");
        assert_eq!(s.stages[..2], [Stage::Queued, Stage::Queued]);
        assert_eq!(s.stages[2], Stage::Waiting);
        assert!(!s.all_done());
        // Once its dep has its result, the waiting check goes to the lane too; the
        // ones placed already are not placed again.
        s.slots[0] = Some(settled(&spec.checks[0], Status::Pass, "ok"));
        s.lane_queue.pop_front();
        let mut log = Vec::new();
        s.start_ready(placer(&mut log));
        assert_eq!(log, [(2, false)]);
        assert_eq!(s.lane_queue, [2]);
    }

    #[test]
    fn a_check_not_placed_is_an_error_and_blocks_a_chain_in_one_call() {
        let spec = spec(vec![
            check("a", &WAITS, &[]),
            check("b", &LOCAL, &["a"]),
            check("c", &LOCAL, &["b"]),
        ]);
        let (selected, target) = ([0, 1, 2], target());
        let mut s = Scheduler::new(&spec, &selected, &target, far(), None);
        let calls = Cell::new(0);
        s.start_ready(|_, _| {
            calls.set(calls.get() + 1);
            Err(Outcome::error(
                "cannot start a thread for the check: EAGAIN",
            ))
        });
        assert_eq!(calls.get(), 1, "b and c are never placed");
        assert!(s.all_done());
        let results = s.finish();
        assert_eq!(results[0].status, Status::Error);
        assert_eq!(
            results[0].outcome.summary,
            "cannot start a thread for the check: EAGAIN"
        );
        assert_eq!(results[1].status, Status::Blocked);
        assert_eq!(
            results[1].outcome.summary,
            "not run: requires a, which ended error"
        );
        assert_eq!(results[1].blocked_by.map(|c| c.id.as_str()), Some("a"));
        assert_eq!(
            results[2].outcome.summary,
            "not run: requires b, which ended blocked"
        );
        assert_eq!(results[2].root_cause.map(|c| c.id.as_str()), Some("a"));
        assert_eq!(results[2].duration, Duration::ZERO);
    }

    #[test]
    fn nothing_starts_at_the_pass_deadline() {
        let spec = spec(vec![check("a", &LOCAL, &[]), check("b", &WAITS, &["a"])]);
        let (selected, target) = ([0, 1], target());
        let mut s = Scheduler::new(&spec, &selected, &target, Instant::now(), None);
        let mut log = Vec::new();
        s.start_ready(placer(&mut log));
        assert_eq!(log, []);
        let results = s.finish();
        assert_eq!(results[0].status, Status::Error);
        assert_eq!(
            results[0].outcome.summary,
            "not run: the run's deadline (--timeout) had passed"
        );
        // Its dep's error blocks it before the deadline is even looked at.
        assert_eq!(results[1].status, Status::Blocked);
    }

    #[test]
    fn an_earlier_pass_keeps_only_settled_results() {
        let spec = spec(vec![
            check("pass", &LOCAL, &[]),
            check("wait", &LOCAL, &[]),
            check("transient", &LOCAL, &[]),
            check("blocked", &LOCAL, &["wait"]),
        ]);
        let previous = [
            CheckResult {
                root_cause: Some(&spec.checks[3]),
                ..settled(&spec.checks[0], Status::Pass, "kept")
            },
            settled(&spec.checks[1], Status::Wait, "resyncing"),
            CheckResult {
                outcome: Outcome {
                    transient: true,
                    ..Outcome::fail("peer down")
                },
                ..settled(&spec.checks[2], Status::Fail, "peer down")
            },
            settled(&spec.checks[3], Status::Blocked, "not run"),
        ];
        let (selected, target) = ([0, 1, 2, 3], target());
        let mut s = Scheduler::new(&spec, &selected, &target, far(), Some(&previous));
        let kept = s.reuse(0).expect("a pass is kept");
        assert_eq!(kept.outcome.summary, "kept");
        assert_eq!(kept.duration, Duration::from_millis(7));
        assert!(
            kept.root_cause.is_none(),
            "root causes are attributed afresh"
        );
        assert!(s.reuse(1).is_none());
        assert!(s.reuse(2).is_none());
        assert!(s.reuse(3).is_none());
        let mut log = Vec::new();
        s.start_ready(placer(&mut log));
        assert_eq!(
            log,
            [(1, false), (2, false)],
            "the blocked one waits for its dep"
        );
        assert_eq!(
            s.slots[0].as_ref().map(|r| r.outcome.summary.as_str()),
            Some("kept")
        );
    }

    #[test]
    fn the_next_wake_up_is_the_first_deadline_or_the_lanes_patience() {
        let spec = spec(vec![
            check("head", &LOCAL, &[]),
            check("behind", &LOCAL, &[]),
            check("alone", &WAITS, &[]),
        ]);
        let (selected, target, t0) = ([0, 1, 2], target(), Instant::now());
        let pass_deadline = t0 + Duration::from_secs(10);
        let mut s = Scheduler::new(&spec, &selected, &target, pass_deadline, None);
        assert_eq!(s.next_wake(), None, "nothing under way");
        s.start_ready(placer(&mut Vec::new()));
        assert_eq!(s.next_wake(), Some(pass_deadline + GRACE), "queued only");
        s.started(2, t0, t0 + Duration::from_secs(3));
        assert_eq!(s.next_wake(), Some(t0 + Duration::from_secs(3) + GRACE));
        // The lane's head holds up the check behind it: patience comes first.
        s.started(0, t0, t0 + Duration::from_secs(5));
        assert_eq!(s.next_wake(), Some(t0 + PATIENCE));
        // The head is done; alone on the lane, the next holds nobody up: only
        // deadlines count.
        let at = t0 + Duration::from_millis(1);
        s.done(0, Ok(Outcome::pass("ok")), at);
        s.started(1, at, at + Duration::from_secs(5));
        assert_eq!(s.next_wake(), Some(t0 + Duration::from_secs(3) + GRACE));
        // A running check with a deadline short of its patience wakes at the deadline.
        s.started(2, t0, t0 + Duration::from_millis(10));
        assert_eq!(s.next_wake(), Some(t0 + Duration::from_millis(10) + GRACE));
    }

    #[test]
    fn done_judges_the_outcome_over_the_time_it_ran() {
        let spec = spec(vec![check("a", &LOCAL, &[]), check("b", &LOCAL, &[])]);
        let (selected, target, t0) = ([0, 1], target(), Instant::now());
        let mut s = Scheduler::new(&spec, &selected, &target, far(), None);
        s.start_ready(placer(&mut Vec::new()));
        s.started(0, t0, t0 + Duration::from_millis(200));
        s.done(0, Ok(Outcome::fail("bad")), t0 + Duration::from_millis(30));
        assert_eq!(s.lane_queue, [1], "the lane's head is done");
        let r = s.slots[0].as_ref().expect("a result");
        assert_eq!(r.status, Status::Fail);
        assert_eq!(r.duration, Duration::from_millis(30));
        // Done without a word of its start: it took no time.
        s.done(1, Ok(Outcome::pass("ok")), t0);
        assert_eq!(
            s.slots[1].as_ref().map(|r| r.duration),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn a_panic_is_an_error_naming_it() {
        let spec = spec(vec![check("a", &WAITS, &[])]);
        let (selected, target, t0) = ([0], target(), Instant::now());
        let mut s = Scheduler::new(&spec, &selected, &target, far(), None);
        s.start_ready(placer(&mut Vec::new()));
        s.done(0, Err(Box::new("index out of bounds")), t0);
        let results = s.finish();
        assert_eq!(results[0].status, Status::Error);
        assert_eq!(
            results[0].outcome.summary,
            "internal error: the check panicked (index out of bounds); please report this"
        );
    }

    #[test]
    fn a_check_past_its_deadline_is_abandoned_naming_it() {
        let spec = spec(vec![check("stuck", &WAITS, &[])]);
        let (selected, target, t0) = ([0], target(), Instant::now());
        let mut s = Scheduler::new(&spec, &selected, &target, far(), None);
        s.start_ready(placer(&mut Vec::new()));
        let own = t0 + Duration::from_millis(200);
        s.started(0, t0, own);
        let gave_up = Cell::new(false);
        s.timed_out(own + GRACE - Duration::from_millis(1), || gave_up.set(true));
        assert!(s.slots[0].is_none(), "still within its grace");
        s.timed_out(own + GRACE, || gave_up.set(true));
        assert!(!gave_up.get(), "it was not on the lane");
        let r = s.slots[0].as_ref().expect("abandoned");
        assert_eq!(r.status, Status::Error);
        assert_eq!(
            r.outcome.summary,
            "timed out after 200ms: the check was still running and was abandoned"
        );
        assert_eq!(r.duration, Duration::from_millis(300));
        // Its late word changes nothing.
        s.started(0, own, own);
        s.done(0, Ok(Outcome::pass("late")), own + GRACE * 2);
        let r = s.slots[0].as_ref().expect("still abandoned");
        assert_eq!(r.status, Status::Error);
        assert_eq!(
            s.stages[0],
            Stage::Running {
                started: t0,
                deadline: own
            }
        );
    }

    #[test]
    fn an_abandoned_deadline_shorter_than_the_checks_timeout_is_named() {
        // The pass's deadline cut the check's own 200 ms to 50.
        let spec = spec(vec![check("stuck", &WAITS, &[])]);
        let (selected, target, t0) = ([0], target(), Instant::now());
        let mut s = Scheduler::new(&spec, &selected, &target, far(), None);
        s.start_ready(placer(&mut Vec::new()));
        s.started(0, t0, t0 + Duration::from_millis(50));
        s.timed_out(t0 + Duration::from_secs(1), || {});
        let r = s.slots[0].as_ref().expect("abandoned");
        assert_eq!(
            r.outcome.summary,
            "timed out after 150ms: the check was still running and was abandoned"
        );
    }

    #[test]
    fn a_check_never_started_is_too_late_past_the_pass_deadline() {
        let spec = spec(vec![check("a", &WAITS, &[])]);
        let (selected, target, t0) = ([0], target(), Instant::now());
        let pass_deadline = t0 + Duration::from_secs(1);
        let mut s = Scheduler::new(&spec, &selected, &target, pass_deadline, None);
        s.start_ready(placer(&mut Vec::new()));
        s.timed_out(pass_deadline, || {});
        assert!(s.slots[0].is_none());
        s.timed_out(pass_deadline + GRACE, || {});
        assert_eq!(
            s.slots[0].as_ref().map(|r| r.outcome.summary.as_str()),
            Some("not run: the run's deadline (--timeout) had passed")
        );
    }

    #[test]
    fn a_lane_head_past_its_patience_is_left_alone_and_the_queue_moves() {
        let spec = spec(vec![
            check("hung", &LOCAL, &[]),
            check("next", &LOCAL, &[]),
            check("last", &LOCAL, &[]),
        ]);
        let (selected, target, t0) = ([0, 1, 2], target(), Instant::now());
        let mut s = Scheduler::new(&spec, &selected, &target, far(), None);
        s.start_ready(placer(&mut Vec::new()));
        s.started(0, t0, t0 + Duration::from_secs(5));
        let gave_up = Cell::new(0);
        s.timed_out(t0 + PATIENCE - Duration::from_millis(1), || {
            gave_up.set(gave_up.get() + 1)
        });
        assert_eq!(gave_up.get(), 0);
        assert_eq!(s.lane_queue, [0, 1, 2]);
        s.timed_out(t0 + PATIENCE, || gave_up.set(gave_up.get() + 1));
        assert_eq!(gave_up.get(), 1);
        assert!(s.lane_queue.is_empty());
        assert!(s.slots[0].is_none(), "it runs on, alone");
        assert!(matches!(s.stages[0], Stage::Running { .. }));
        assert_eq!(s.stages[1..], [Stage::Waiting, Stage::Waiting]);
        // They go to the fresh lane, in order; the one left alone is not placed again.
        let mut log = Vec::new();
        s.start_ready(placer(&mut log));
        assert_eq!(log, [(1, false), (2, false)]);
        assert_eq!(s.lane_queue, [1, 2]);
        // It is no longer the lane's: its done does not touch the new queue.
        s.done(0, Ok(Outcome::pass("ok")), t0 + Duration::from_secs(1));
        assert_eq!(s.lane_queue, [1, 2]);
    }

    #[test]
    fn a_slow_lane_head_with_nobody_behind_keeps_the_lane() {
        let spec = spec(vec![check("slow", &LOCAL, &[])]);
        let (selected, target, t0) = ([0], target(), Instant::now());
        let mut s = Scheduler::new(&spec, &selected, &target, far(), None);
        s.start_ready(placer(&mut Vec::new()));
        s.started(0, t0, t0 + Duration::from_secs(5));
        let gave_up = Cell::new(false);
        s.timed_out(t0 + PATIENCE * 10, || gave_up.set(true));
        assert!(!gave_up.get(), "it holds nobody up");
        assert_eq!(s.lane_queue, [0]);
        assert!(s.slots[0].is_none());
    }

    #[test]
    fn a_lane_head_abandoned_gives_the_lane_up() {
        let spec = spec(vec![check("hung", &LOCAL, &[]), check("next", &LOCAL, &[])]);
        let (selected, target, t0) = ([0, 1], target(), Instant::now());
        let mut s = Scheduler::new(&spec, &selected, &target, far(), None);
        s.start_ready(placer(&mut Vec::new()));
        let own = t0 + Duration::from_millis(10);
        s.started(0, t0, own);
        // The check behind is placed again only after the lane is given up.
        let gave_up = Cell::new(false);
        s.timed_out(own + GRACE, || gave_up.set(true));
        assert!(gave_up.get());
        assert_eq!(s.slots[0].as_ref().map(|r| r.status), Some(Status::Error));
        assert_eq!(s.stages[1], Stage::Waiting);
        // Alone on the lane and abandoned: the lane is given up all the same.
        s.start_ready(placer(&mut Vec::new()));
        s.started(1, own, own);
        gave_up.set(false);
        s.timed_out(own + GRACE, || gave_up.set(true));
        assert!(gave_up.get());
    }

    #[test]
    fn finish_fills_a_missing_result_and_keeps_spec_order() {
        let spec = spec(vec![check("a", &LOCAL, &[]), check("b", &LOCAL, &["a"])]);
        let (selected, target) = ([0, 1], target());
        let mut s = Scheduler::new(&spec, &selected, &target, far(), None);
        s.slots[1] = Some(settled(&spec.checks[1], Status::Fail, "bad"));
        let results = s.finish();
        assert_eq!(results.len(), 2);
        assert!(results[0].is_of(&spec.checks[0]));
        assert_eq!(results[0].status, Status::Error);
        assert_eq!(
            results[0].outcome.summary,
            "internal error: the check ended without a result"
        );
        assert_eq!(results[1].outcome.summary, "bad");
        assert_eq!(results[1].root_cause.map(|c| c.id.as_str()), Some("a"));
    }
}
