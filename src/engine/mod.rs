//! Running the checks: selection, order, deadlines, `requires`/`after`, root causes, the
//! `--wait` loop, overrides, and the verdict, taken once, after the overrides.
//!
//! Each evaluation runs on a worker thread, not the engine's (see `pass`; what to start
//! and what to give up on is `scheduler`'s), and the engine waits for it only until that
//! check's deadline. A check stuck in the kernel (stat on a hung NFS mount) or on a peer
//! that never answers is reported as an error and left behind; the process exits
//! without waiting for it. That is what makes the run's deadline hold whatever a check
//! runs into. Checks that do not `require` one another run side by side (see `pass`).

mod fixes;
pub mod fleet;
pub mod overrides;
mod pass;
mod run;
mod scheduler;
mod verdict;
mod when;

pub use overrides::Overrides;
pub use pass::running_check;
pub use run::{CheckResult, Run};
pub use verdict::{effective, root_causes, verdict};

use crate::model::duration::display as show_duration;
use crate::model::{Mode, Outcome, Status};
use crate::spec::Spec;
use crate::world::Target;
use pass::run_pass;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Pauses between passes of `--wait`: short at first, so a resync that finishes is
/// noticed soon, then backing off.
const FIRST_PAUSE: Duration = Duration::from_millis(200);
const MAX_PAUSE: Duration = Duration::from_secs(2);
/// How often a progress line goes to stderr while waiting.
const PROGRESS_EVERY: Duration = Duration::from_secs(3);

#[derive(Debug, Clone)]
pub struct Options {
    /// Hard deadline for one pass over the checks.
    pub timeout: Duration,
    /// Re-check `wait` results until they settle or this much time has passed.
    pub wait: Option<Duration>,
}

/// The checks of `mode` minus `skip`, or exactly `only`; unknown ids are an error.
pub fn select(
    spec: &Spec,
    mode: Mode,
    only: &[String],
    skip: &[String],
) -> Result<Vec<usize>, String> {
    for id in only.iter().chain(skip) {
        if spec.get(id).is_none() {
            return Err(spec.no_such_check(id));
        }
    }
    let selected: Vec<usize> = spec
        .checks
        .iter()
        .enumerate()
        .filter(|(_, c)| c.modes.contains(&mode))
        .filter(|(_, c)| only.is_empty() || only.contains(&c.id))
        .filter(|(_, c)| !skip.contains(&c.id))
        .map(|(i, _)| i)
        .collect();
    if let Some(id) = only
        .iter()
        .find(|id| spec.get(id).is_some_and(|c| !c.modes.contains(&mode)))
    {
        return Err(format!("check `{id}` does not run in {mode} mode"));
    }
    if selected.is_empty() {
        return Err(format!("no checks selected for {mode} mode"));
    }
    Ok(selected)
}

/// The words of a check the operator left out (`--skip`), in every report.
pub const SKIPPED_BY_OPERATOR: &str = "skipped by the operator (--skip)";

/// The checks `--skip` leaves out of this run: those of `mode` (and of `only`, when it
/// is given) that `skip` names. A check of another mode would not have run anyway.
pub fn skipped(spec: &Spec, mode: Mode, only: &[String], skip: &[String]) -> Vec<usize> {
    spec.checks
        .iter()
        .enumerate()
        .filter(|(_, c)| c.modes.contains(&mode))
        .filter(|(_, c)| only.is_empty() || only.contains(&c.id))
        .filter(|(_, c)| skip.contains(&c.id))
        .map(|(i, _)| i)
        .collect()
}

/// Adds a `skip` result for each check the operator left out, in spec order among the
/// others: a CI dashboard or a monitor must see that a gate check was turned off. It
/// changes no verdict (a skip adds nothing), and nothing was run for it.
pub fn add_skipped<'a>(run: &mut Run<'a>, spec: &'a Spec, skipped: &[usize]) {
    if skipped.is_empty() {
        return;
    }
    // The results are in spec order: merged with the skipped ones, they stay so.
    let mut ran = std::mem::take(&mut run.results).into_iter().peekable();
    for (index, check) in spec.checks.iter().enumerate() {
        if ran.peek().is_some_and(|r| r.is_of(check)) {
            run.results.extend(ran.next());
        } else if skipped.contains(&index) {
            run.results.push(CheckResult {
                check,
                status: Status::Skip,
                outcome: Outcome::skip(SKIPPED_BY_OPERATOR),
                root_cause: None,
                blocked_by: None,
                duration: Duration::ZERO,
                skipped_by_operator: true,
            });
        }
    }
    run.results.extend(ran);
}

/// Runs the selected checks. With `--wait`, re-checks those still pending (`wait`, or a
/// failure its kind calls transient) with backoff until they settle, the time is up, or
/// another check has failed for good (then waiting could not change the verdict). The
/// overrides are applied to every pass, so an accepted finding neither gates nor ends
/// the waiting; the verdict is taken once, at the end.
pub fn run<'a>(
    spec: &'a Arc<Spec>,
    selected: &[usize],
    target: &Arc<Target>,
    opts: &Options,
    overrides: &mut Overrides,
) -> Run<'a> {
    let started = Instant::now();
    let wait_until = opts.wait.map(|w| started + w);
    let mut previous: Option<Vec<CheckResult>> = None;
    let mut rounds = 0;
    let mut pause = FIRST_PAUSE;
    let mut last_progress: Option<Instant> = None;
    loop {
        rounds += 1;
        let mut results = run_pass(
            spec,
            selected,
            target,
            Instant::now() + opts.timeout,
            previous.as_deref(),
        );
        overrides.apply(&mut results);
        let pending: Vec<&CheckResult> = results.iter().filter(|r| r.is_pending()).collect();
        let settled_failure = results
            .iter()
            .any(|r| !r.is_pending() && matches!(r.status, Status::Fail | Status::Error));
        let now = Instant::now();
        let keep_waiting =
            wait_until.filter(|&u| now < u && !pending.is_empty() && !settled_failure);
        let Some(until) = keep_waiting else {
            let verdict = verdict(&results);
            return Run {
                results,
                verdict,
                duration: started.elapsed(),
                rounds,
            };
        };
        let line = pending
            .iter()
            .map(|r| format!("{}: {}", r.check.id, r.outcome.summary))
            .collect::<Vec<_>>()
            .join("; ");
        let left = show_duration(Duration::from_secs((until - now).as_secs().max(1)));
        // The same words to the console (stderr, wrapped there to its width) and to
        // `systemctl status` (STATUS=), how long is left included.
        let progress = format!("waiting for {line} ({left} left of --wait)");
        if last_progress.is_none_or(|t| now - t >= PROGRESS_EVERY) {
            log::warn!("{progress}");
            last_progress = Some(now);
        }
        crate::world::notify::status(&progress);
        thread::sleep(pause.min(until - now));
        pause = (pause * 2).min(MAX_PAUSE);
        previous = Some(results);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::kinds::{Context, Evaluate, KindDef};
    use crate::model::Severity;
    use crate::spec::Check;

    /// Blocks for its duration, ignoring its deadline, as a check stuck in the kernel on
    /// a hung mount would: the engine's abandonment is tested for real.
    #[derive(Debug)]
    struct Stall(Duration);

    impl Evaluate for Stall {
        fn evaluate(&self, _: &Context) -> Outcome {
            thread::sleep(self.0);
            Outcome::pass("stalled")
        }
    }

    const STALL: KindDef = KindDef {
        name: "stall",
        modes: &[Mode::Boot],
        default_timeout: Duration::from_secs(5),
        waits: false,
        params: &[],
        parse: |_| Ok(Box::new(Stall(Duration::ZERO))),
    };

    /// The same, as a kind that waits on something outside: each such check runs on a
    /// thread of its own.
    const STALL_WAITS: KindDef = KindDef {
        name: "stall-waits",
        waits: true,
        ..STALL
    };

    fn stall(id: &str, stall: Duration, timeout: Duration, requires: &[&str]) -> Check {
        Check {
            id: id.into(),
            kind: &STALL,
            params: Box::new(Stall(stall)),
            modes: vec![Mode::Boot],
            severity: Severity::Critical,
            after: Vec::new(),
            requires: requires.iter().map(|s| s.to_string()).collect(),
            when: None,
            title: String::new(),
            why: String::new(),
            fix: String::new(),
            timeout,
            defined_at: "test".into(),
            changed_by: Vec::new(),
        }
    }

    /// The spec is leaked, so the run that borrows it can be returned: a test's few
    /// checks, for the test process's life.
    fn run_checks(checks: Vec<Check>, pass_timeout: Duration) -> (Run<'static>, Duration) {
        let spec: &'static Arc<Spec> = Box::leak(Box::new(Arc::new(Spec {
            checks,
            files: Vec::new(),
            redact: Vec::new(),
            overlay: Vec::new(),
            layers: Vec::new(),
        })));
        let selected: Vec<usize> = (0..spec.checks.len()).collect();
        let opts = Options {
            timeout: pass_timeout,
            wait: None,
        };
        let started = Instant::now();
        let target = Target::live().expect("/ opens");
        let run = run(
            spec,
            &selected,
            &Arc::new(target),
            &opts,
            &mut Overrides::default(),
        );
        (run, started.elapsed())
    }

    #[test]
    fn a_check_stuck_past_its_timeout_is_abandoned() {
        let (run, took) = run_checks(
            vec![
                stall(
                    "stuck",
                    Duration::from_secs(30),
                    Duration::from_millis(200),
                    &[],
                ),
                stall("next", Duration::ZERO, Duration::from_secs(1), &[]),
            ],
            Duration::from_secs(30),
        );
        assert_eq!(run.results[0].status, Status::Error);
        assert!(
            run.results[0]
                .outcome
                .summary
                .starts_with("timed out after 200ms"),
            "{}",
            run.results[0].outcome.summary
        );
        assert_eq!(
            run.results[1].status,
            Status::Pass,
            "later checks still run"
        );
        assert!(took < Duration::from_secs(5), "took {took:?}");
    }

    #[test]
    fn the_run_deadline_bounds_every_check() {
        let (run, took) = run_checks(
            vec![
                stall(
                    "slow",
                    Duration::from_secs(30),
                    Duration::from_secs(30),
                    &[],
                ),
                stall("independent", Duration::ZERO, Duration::from_secs(1), &[]),
                stall(
                    "needs-independent",
                    Duration::ZERO,
                    Duration::from_secs(1),
                    &["independent"],
                ),
                stall(
                    "needs-slow",
                    Duration::ZERO,
                    Duration::from_secs(1),
                    &["slow"],
                ),
            ],
            Duration::from_millis(300),
        );
        assert_eq!(run.results[0].status, Status::Error);
        // It was queued behind the slow check on the lane, and moved on without it: a
        // stuck check starves no other.
        assert_eq!(run.results[1].status, Status::Pass);
        // It starts as soon as its own requires are done, not once the slow check is
        // collected (which is past the run's deadline).
        assert_eq!(
            run.results[2].status,
            Status::Pass,
            "{}",
            run.results[2].outcome.summary
        );
        assert_eq!(run.results[3].status, Status::Blocked);
        assert_eq!(
            run.results[3].root_cause.map(|c| c.id.as_str()),
            Some("slow")
        );
        assert_eq!(run.verdict, Status::Error);
        assert!(took < Duration::from_secs(5), "took {took:?}");
    }

    #[test]
    fn independent_checks_that_wait_run_side_by_side() {
        let stalls: Vec<Check> = (0..4)
            .map(|i| Check {
                kind: &STALL_WAITS,
                ..stall(
                    &format!("s{i}"),
                    Duration::from_millis(200),
                    Duration::from_secs(5),
                    &[],
                )
            })
            .collect();
        let (run, took) = run_checks(stalls, Duration::from_secs(10));
        assert!(run.results.iter().all(|r| r.status == Status::Pass));
        // One after another they would take 800 ms.
        assert!(took < Duration::from_millis(600), "took {took:?}");
    }
}
