//! One pass over the selected checks. Each check starts as soon as its own `requires`
//! have results, not when a whole wave before it is done.
//!
//! Where a check runs depends on what it may wait for. A check of a kind that waits on
//! something outside (a daemon, a peer, a program: `KindDef::waits`) gets a thread of
//! its own, so nothing queues behind it; a thread whose check is done takes the next
//! such check rather than a new thread being started (a boot run 0.95-0.97x, bench/ab.sh:
//! a clone and its stack's mappings cost the lane time while it runs the critical
//! chain). The others read a few files and are done in
//! microseconds, so they run one after another on one worker, the local lane: a thread
//! started per check cost more than the check (about 60 µs each, 11 of them at boot).
//!
//! No check runs on the engine's own thread, which only hands out work and collects
//! results, each no later than its check's deadline. A check stuck in the kernel (a
//! stat on a hung NFS mount) is reported as an error and left behind. A check that holds
//! the lane longer than `PATIENCE` is left to finish there alone: the checks queued
//! behind it move to a fresh lane.
//! That is what makes the run's deadline hold whatever a check runs into.

use super::verdict::{attribute_root_causes, status_of};
use super::when::unmet;
use crate::kinds::Context;
use crate::model::duration::display as show_duration;
use crate::model::{CheckResult, Outcome, Status};
use crate::spec::{Check, Spec};
use crate::world::Target;
use crate::world::facts::Facts;
use crate::world::tape;
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

/// Time a check is given past its own deadline to report its own, more precise timeout.
const GRACE: Duration = Duration::from_millis(100);
/// How long a check on the lane may run before the checks queued behind it move to a
/// fresh lane. Local checks take microseconds; one that takes this long is stuck on
/// something (a hung mount) and must not hold the others up. It keeps running and is
/// collected, or abandoned at its own deadline, like any other.
const PATIENCE: Duration = Duration::from_millis(50);

/// What workers tell the engine, by the check's position in the selection.
enum Msg {
    Started {
        pos: usize,
        at: Instant,
        deadline: Instant,
    },
    Done {
        pos: usize,
        outcome: thread::Result<Outcome>,
        at: Instant,
        /// A thread of its own that is free now: it runs the next check sent here, and
        /// ends when this is dropped.
        free: Option<mpsc::Sender<usize>>,
    },
}

/// Where a check that has no result yet stands.
#[derive(Clone, Copy)]
enum Stage {
    Waiting,
    /// Handed to the lane, not started yet.
    Queued,
    /// Started: on the lane when it heads `lane_queue`, else on a thread of its own (or
    /// left alone on a lane given up).
    Running {
        started: Instant,
        deadline: Instant,
    },
}

/// The worker that runs the checks that do not wait, one after another.
struct Lane {
    jobs: mpsc::Sender<usize>,
    /// Set when the engine gives the lane up: it then starts nothing more.
    given_up: Arc<AtomicBool>,
}

/// Everything the workers share, cloned into each.
#[derive(Clone)]
struct Shared {
    spec: Arc<Spec>,
    selected: Arc<[usize]>,
    target: Arc<Target>,
    facts: Arc<Facts>,
    deadline: Instant,
    tx: mpsc::Sender<Msg>,
}

/// Runs one pass. With the previous pass's results, only pending and blocked checks are
/// evaluated again; the rest keep their result. Results stay in spec order, which is
/// what root causes and reports go by.
pub(super) fn run_pass(
    spec: &Arc<Spec>,
    selected: &[usize],
    target: &Arc<Target>,
    deadline: Instant,
    previous: Option<&[CheckResult]>,
) -> Vec<CheckResult> {
    let (tx, rx) = mpsc::channel();
    let shared = Shared {
        spec: Arc::clone(spec),
        selected: selected.into(),
        target: Arc::clone(target),
        facts: Arc::new(Facts::default()),
        deadline,
        tx,
    };
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    for (pos, &index) in selected.iter().enumerate() {
        by_id.insert(&spec.checks[index].id, pos);
    }
    let mut slots: Vec<Option<CheckResult>> = vec![None; selected.len()];
    let mut stages = vec![Stage::Waiting; selected.len()];
    let mut lane: Option<Lane> = None;
    // The lane's checks in the order handed to it: the first is running or next.
    let mut lane_queue: VecDeque<usize> = VecDeque::new();
    // Threads of their own whose check is done, for the next check that waits: a reused
    // thread starts at once, and a new one costs a clone and its stack's mappings while
    // the lane is running the critical chain.
    let mut free: Vec<mpsc::Sender<usize>> = Vec::new();
    loop {
        // Start what can start; a check settled at once (kept, blocked, too late) may
        // free others, so go round until nothing changes.
        let mut changed = true;
        while changed {
            changed = false;
            for pos in 0..selected.len() {
                if slots[pos].is_some() || !matches!(stages[pos], Stage::Waiting) {
                    continue;
                }
                let check = &spec.checks[selected[pos]];
                if let Some(old) = previous.and_then(|p| p.get(pos))
                    && !old.is_pending()
                    && old.status != Status::Blocked
                {
                    slots[pos] = Some(CheckResult {
                        root_cause: None,
                        ..old.clone()
                    });
                    changed = true;
                    continue;
                }
                // A dep outside the selection (--only, --skip) does not hold a check back.
                let dep_result = |dep: &String| by_id.get(dep.as_str()).map(|&j| &slots[j]);
                if check
                    .requires
                    .iter()
                    .any(|dep| dep_result(dep).is_some_and(Option::is_none))
                {
                    continue;
                }
                let blocker = check.requires.iter().find_map(|dep| {
                    let r = dep_result(dep)?.as_ref()?;
                    (!matches!(r.status, Status::Pass | Status::Skip))
                        .then(|| (dep.clone(), r.status))
                });
                if let Some((dep, dep_status)) = blocker {
                    let outcome = Outcome::skip(format!(
                        "not run: requires {dep}, which ended {}",
                        dep_status.as_str()
                    ));
                    let (index, status) = (selected[pos], Status::Blocked);
                    slots[pos] = Some(result(
                        check,
                        target,
                        (index, status),
                        outcome,
                        Some(dep),
                        Duration::ZERO,
                    ));
                    changed = true;
                } else if Instant::now() >= deadline {
                    slots[pos] = Some(too_late(check, target, selected[pos]));
                    changed = true;
                } else {
                    // A check that does not wait goes to the lane; one that waits, or
                    // one the lane cannot take (it has no thread), runs alone.
                    let on_lane = !check.kind.waits && {
                        let on = lane.get_or_insert_with(|| start_lane(&shared));
                        on.jobs.send(pos).is_ok()
                    };
                    if on_lane {
                        lane_queue.push_back(pos);
                        stages[pos] = Stage::Queued;
                    } else if let Err(outcome) = run_alone(&shared, pos, &mut free) {
                        slots[pos] = Some(judged(
                            check,
                            target,
                            selected[pos],
                            outcome,
                            Duration::ZERO,
                        ));
                        changed = true;
                    } else {
                        stages[pos] = Stage::Queued;
                    }
                }
            }
        }
        if slots.iter().all(Option::is_some) {
            break;
        }
        // Wait for the next word from a worker, no later than the first deadline.
        let now = Instant::now();
        let until = stages
            .iter()
            .zip(&slots)
            .enumerate()
            .filter(|(_, (_, s))| s.is_none())
            .filter_map(|(pos, (stage, _))| match stage {
                Stage::Running { started, deadline } => {
                    let holds_up = lane_queue.front() == Some(&pos) && lane_queue.len() > 1;
                    let own = *deadline + GRACE;
                    Some(if holds_up {
                        own.min(*started + PATIENCE)
                    } else {
                        own
                    })
                }
                Stage::Queued => Some(deadline + GRACE),
                Stage::Waiting => None,
            })
            .min();
        let Some(until) = until else {
            // Nothing running and nothing can start: cannot happen with deps in spec
            // order; never spin if it did.
            break;
        };
        match rx.recv_timeout(until.saturating_duration_since(now)) {
            Ok(Msg::Started { pos, at, deadline }) => {
                if slots[pos].is_none() {
                    stages[pos] = Stage::Running {
                        started: at,
                        deadline,
                    };
                }
            }
            Ok(Msg::Done {
                pos,
                outcome,
                at,
                free: thread,
            }) => {
                free.extend(thread);
                if slots[pos].is_some() {
                    continue; // given up on already
                }
                if lane_queue.front() == Some(&pos) {
                    lane_queue.pop_front();
                }
                let started = match stages[pos] {
                    Stage::Running { started, .. } => started,
                    _ => at,
                };
                let check = &spec.checks[selected[pos]];
                let outcome = outcome.unwrap_or_else(|panic| panicked(&*panic));
                slots[pos] = Some(judged(
                    check,
                    target,
                    selected[pos],
                    outcome,
                    at.saturating_duration_since(started),
                ));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let now = Instant::now();
                let mut lane_stuck = false;
                for pos in 0..selected.len() {
                    if slots[pos].is_some() {
                        continue;
                    }
                    let check = &spec.checks[selected[pos]];
                    match stages[pos] {
                        Stage::Running {
                            started,
                            deadline: own,
                        } if now >= own + GRACE => {
                            lane_stuck |= lane_queue.front() == Some(&pos);
                            slots[pos] = Some(result(
                                check,
                                target,
                                (selected[pos], Status::Error),
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
                        Stage::Queued if now >= deadline + GRACE => {
                            slots[pos] = Some(too_late(check, target, selected[pos]));
                        }
                        _ => {}
                    }
                }
                // The lane's head has held it too long: it finishes (or times out) on
                // the old lane alone, and the queue moves on.
                if let Some(&head) = lane_queue.front()
                    && lane_queue.len() > 1
                    && let Stage::Running { started, .. } = stages[head]
                    && now >= started + PATIENCE
                {
                    lane_queue.pop_front();
                    lane_stuck = true;
                }
                if lane_stuck {
                    // The lane is held by a check given up on or left alone: it starts
                    // nothing more, and what was queued behind it is placed again, on a
                    // fresh lane (or alone, if no lane can start).
                    if let Some(old) = lane.take() {
                        old.given_up.store(true, Ordering::Relaxed);
                    }
                    for pos in lane_queue.drain(..) {
                        if slots[pos].is_none() {
                            stages[pos] = Stage::Waiting;
                        }
                    }
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let mut results: Vec<CheckResult> = slots
        .into_iter()
        .enumerate()
        .map(|(pos, slot)| {
            slot.unwrap_or_else(|| {
                let check = &spec.checks[selected[pos]];
                result(
                    check,
                    target,
                    (selected[pos], Status::Error),
                    Outcome::error("internal error: the check ended without a result"),
                    None,
                    Duration::ZERO,
                )
            })
        })
        .collect();
    attribute_root_causes(spec, &mut results, &by_id);
    results
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

thread_local! {
    /// The id of the check this thread is evaluating, for the panic report.
    static RUNNING: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The id of the check the calling thread is evaluating, if any: what a panic report
/// names (see `app::report_panics`).
pub fn running_check() -> Option<String> {
    RUNNING.with(|r| r.borrow().clone())
}

/// Runs the check at `pos` on the calling thread, telling the engine when it starts and
/// how it ended (and, for a thread of its own, where to send it the next one).
fn run_one(shared: &Shared, pos: usize, free: Option<mpsc::Sender<usize>>) {
    let check = &shared.spec.checks[shared.selected[pos]];
    RUNNING.with(|r| *r.borrow_mut() = Some(check.id.clone()));
    let at = Instant::now();
    let deadline = shared.deadline.min(at + check.timeout);
    let _ = shared.tx.send(Msg::Started { pos, at, deadline });
    let cx = Context {
        target: &shared.target,
        facts: &shared.facts,
        deadline,
    };
    // In a build that unwinds (tests, debug) a panic becomes the check's error result;
    // the release build aborts instead, after app::report_panics has named the check.
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| evaluate(check, &cx)));
    RUNNING.with(|r| *r.borrow_mut() = None);
    // The engine may have given up on this check: then nobody reads this.
    let _ = shared.tx.send(Msg::Done {
        pos,
        outcome,
        at: Instant::now(),
        free,
    });
}

/// Runs the check at `pos` on a thread of its own: a free one if there is one, else a
/// new one. The thread offers itself again after each check, and ends when the engine
/// drops the offer (at the end of the pass).
fn run_alone(
    shared: &Shared,
    pos: usize,
    free: &mut Vec<mpsc::Sender<usize>>,
) -> Result<(), Outcome> {
    while let Some(thread) = free.pop() {
        if thread.send(pos).is_ok() {
            return Ok(());
        }
    }
    let mine = shared.clone();
    thread::Builder::new()
        .name("check".into())
        .spawn(move || {
            let mut next = Some(pos);
            while let Some(pos) = next.take() {
                // Named after the check it runs, as ps, gdb and core dumps show it
                // (the kernel keeps 15 bytes of it).
                let id = &mine.spec.checks[mine.selected[pos]].id;
                if let Ok(name) = std::ffi::CString::new(id.as_str()) {
                    let _ = nix::sys::prctl::set_name(&name);
                }
                let (offer, jobs) = mpsc::channel();
                run_one(&mine, pos, Some(offer));
                next = jobs.recv().ok();
            }
        })
        .map(drop)
        .map_err(|e| Outcome::error(format!("cannot start a thread for the check: {e}")))
}

/// Starts a lane: one thread that runs the checks sent to it in order, until the engine
/// drops its end or gives it up.
fn start_lane(shared: &Shared) -> Lane {
    let (jobs, queue) = mpsc::channel::<usize>();
    let given_up = Arc::new(AtomicBool::new(false));
    let (mine, stop) = (shared.clone(), Arc::clone(&given_up));
    let spawned = thread::Builder::new()
        .name("local-checks".into())
        .spawn(move || {
            while let Ok(pos) = queue.recv() {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                run_one(&mine, pos, None);
            }
        });
    if let Err(e) = spawned {
        // No thread: the job queue's other end went with it, so every send fails and
        // the check runs alone instead.
        log::warn!("cannot start the local checks' thread: {e}");
    }
    Lane { jobs, given_up }
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
