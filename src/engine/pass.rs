//! One pass over the selected checks. Each check starts as soon as its own `requires`
//! have results, not when a whole wave before it is done.
//!
//! Where a check runs depends on what it may wait for. A check of a kind that waits on
//! something outside (a daemon, a peer, a program: `KindDef::waits`) gets a thread of
//! its own, so nothing queues behind it; a thread whose check is done takes the next
//! such check rather than a new thread being started (bench/ab.sh shows the boot run
//! faster so: a clone and its stack's mappings cost the lane time while it runs the
//! critical chain). The others read a few files and are done in microseconds, so they
//! run one after another on one worker, the local lane: a thread started per check cost
//! more than the check.
//!
//! No check runs on the engine's own thread, which only hands out work and collects
//! results, each no later than its check's deadline. A check stuck in the kernel (a
//! stat on a hung NFS mount) is reported as an error and left behind. A check that holds
//! the lane longer than `scheduler::PATIENCE` is left to finish there alone: the checks
//! queued behind it move to a fresh lane.
//! That is what makes the run's deadline hold whatever a check runs into.
//!
//! This module holds the threads and the channel; what to start, when to wake up and
//! what to give up on is decided by `scheduler::Scheduler`, one step per method.

use super::scheduler::{Placed, Scheduler};
use super::when::unmet;
use crate::kinds::Context;
use crate::model::{CheckResult, Outcome};
use crate::spec::{Check, Spec};
use crate::world::Target;
use crate::world::facts::Facts;
use crate::world::tape;
use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Instant;

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

/// The threads of one pass: the lane, if one was started, and the threads of their own
/// that are free.
struct Workers {
    shared: Shared,
    lane: Option<Lane>,
    /// Threads of their own whose check is done, for the next check that waits: a
    /// reused thread starts at once, and a new one costs a clone and its stack's
    /// mappings while the lane is running the critical chain.
    free: Vec<mpsc::Sender<usize>>,
}

impl Workers {
    /// Hands the check at `pos` to a worker. One that does not wait goes to the lane;
    /// one that waits, or one the lane cannot take (it has no thread), runs alone.
    fn place(&mut self, pos: usize, waits: bool) -> Result<Placed, Outcome> {
        let on_lane = !waits && {
            let shared = &self.shared;
            let on = self.lane.get_or_insert_with(|| start_lane(shared));
            on.jobs.send(pos).is_ok()
        };
        if on_lane {
            return Ok(Placed::Lane);
        }
        run_alone(&self.shared, pos, &mut self.free).map(|()| Placed::Alone)
    }

    /// Gives the lane up: it starts nothing more of what was sent to it.
    fn give_up_lane(&mut self) {
        if let Some(old) = self.lane.take() {
            old.given_up.store(true, Ordering::Relaxed);
        }
    }
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
    let mut workers = Workers {
        shared: Shared {
            spec: Arc::clone(spec),
            selected: selected.into(),
            target: Arc::clone(target),
            facts: Arc::new(Facts::default()),
            deadline,
            tx,
        },
        lane: None,
        free: Vec::new(),
    };
    let mut scheduler = Scheduler::new(spec, selected, target, deadline, previous);
    loop {
        scheduler.start_ready(|pos, waits| workers.place(pos, waits));
        if scheduler.all_done() {
            break;
        }
        // Wait for the next word from a worker, no later than the first deadline.
        let now = Instant::now();
        let Some(until) = scheduler.next_wake() else {
            // Nothing running and nothing can start: cannot happen with deps in spec
            // order; never spin if it did.
            break;
        };
        match rx.recv_timeout(until.saturating_duration_since(now)) {
            Ok(Msg::Started { pos, at, deadline }) => scheduler.started(pos, at, deadline),
            Ok(Msg::Done {
                pos,
                outcome,
                at,
                free,
            }) => {
                workers.free.extend(free);
                scheduler.done(pos, outcome, at);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                scheduler.timed_out(Instant::now(), || workers.give_up_lane());
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    scheduler.finish()
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
