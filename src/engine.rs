//! Running the checks: selection, order, deadlines, `requires`/`after`, root causes, and
//! the `--wait` loop.
//!
//! Each evaluation runs on its own thread and the engine waits for it only until that
//! check's deadline. A check stuck in the kernel (stat on a hung NFS mount) or on a peer
//! that never answers is reported as an error and left behind; the process exits
//! without waiting for it. That is what makes the run's deadline hold whatever a check
//! runs into. Checks that do not `require` one another run side by side (see
//! `run_pass`).

use crate::checks::Context;
use crate::duration::display as show_duration;
use crate::facts::Facts;
use crate::outcome::{Finding, Outcome, Status};
use crate::spec::{Check, Mode, Severity, Spec, When};
use crate::target::Target;
use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

/// Time a check is given past its own deadline to report its own, more precise timeout.
const GRACE: Duration = Duration::from_millis(100);
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

/// One check's result in a run.
#[derive(Debug, Clone)]
pub struct CheckResult {
    /// Index into `Spec::checks`.
    pub index: usize,
    pub status: Status,
    pub summary: String,
    pub evidence: Vec<String>,
    pub root_cause: Option<String>,
    pub blocked_by: Option<String>,
    pub duration: Duration,
    /// A failure the kind expects may heal by itself (see `Outcome::transient`).
    pub transient: bool,
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
    /// How many passes `--wait` made (1 without it).
    pub passes: u32,
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
            return Err(format!("no check named `{id}` (see `ha-preflight list`)"));
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

/// Runs the selected checks. With `--wait`, re-checks those still pending (`wait`, or a
/// failure its kind calls transient) with backoff until they settle, the time is up, or
/// another check has failed for good (then waiting could not change the verdict).
pub fn run(spec: &Arc<Spec>, selected: &[usize], target: &Arc<Target>, opts: &Options) -> Run {
    let started = Instant::now();
    let wait_until = opts.wait.map(|w| started + w);
    let mut previous: Option<Vec<CheckResult>> = None;
    let mut passes = 0;
    let mut pause = FIRST_PAUSE;
    let mut last_progress: Option<Instant> = None;
    loop {
        passes += 1;
        let results = run_pass(
            spec,
            selected,
            target,
            Instant::now() + opts.timeout,
            previous.as_deref(),
        );
        let pending: Vec<&CheckResult> = results.iter().filter(|r| r.is_pending()).collect();
        let settled_failure = results
            .iter()
            .any(|r| !r.is_pending() && matches!(r.status, Status::Fail | Status::Error));
        let now = Instant::now();
        let keep_waiting =
            wait_until.filter(|&u| now < u && !pending.is_empty() && !settled_failure);
        let Some(until) = keep_waiting else {
            let verdict = verdict(spec, &results);
            return Run {
                results,
                verdict,
                duration: started.elapsed(),
                passes,
            };
        };
        let line = pending
            .iter()
            .map(|r| format!("{}: {}", spec.checks[r.index].id, r.summary))
            .collect::<Vec<_>>()
            .join("; ");
        let left = show_duration(Duration::from_secs((until - now).as_secs().max(1)));
        if last_progress.is_none_or(|t| now - t >= PROGRESS_EVERY) {
            log::warn!("waiting for {line} ({left} left of --wait)");
            last_progress = Some(now);
        }
        crate::notify::status(&format!("waiting for {line}"));
        thread::sleep(pause.min(until - now));
        pause = (pause * 2).min(MAX_PAUSE);
        previous = Some(results);
    }
}

/// Runs one pass. With the previous pass's results, only pending and blocked checks are
/// evaluated again; the rest keep their result.
///
/// Checks run in waves: every check whose `requires` have results starts at once, each
/// on its own thread with its own deadline, and the wave is collected before the next
/// starts. A boot run is mostly waiting (a socket, /proc, netlink), so the pass takes
/// about as long as its longest chain of `requires`, not the sum of its checks. Results
/// stay in spec order, which is what root causes and reports go by.
fn run_pass(
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
                index,
                status,
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
                index,
                status,
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
    index: usize,
    status: Status,
    outcome: Outcome,
    blocked_by: Option<String>,
    duration: Duration,
) -> CheckResult {
    CheckResult {
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
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
                match check.when.as_ref().map(|w| unmet(w, &target_w.root)) {
                    Some(Ok(Some(reason))) => Outcome::skip(reason),
                    Some(Err(e)) => Outcome::error(format!("its `when` condition: {e}")),
                    Some(Ok(None)) | None => check.kind.evaluate(&cx),
                }
            }));
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

fn status_of(finding: &Finding, severity: Severity) -> Status {
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
fn attribute_root_causes(spec: &Spec, results: &mut [CheckResult], by_id: &HashMap<&str, usize>) {
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

/// Why a `when` condition is not met, or None when it is. Paths are looked up in the
/// target's root (inside the image, in image mode); one that cannot be looked up is an
/// error, since the check can then be neither run nor skipped with reason.
fn unmet(when: &When, root: &crate::root::Root) -> Result<Option<String>, crate::root::GlobError> {
    let found = !root.glob(&when.pattern, 1)?.is_empty();
    Ok(match (when.exists, found) {
        (true, false) => Some(format!("not applicable: {} does not exist", when.pattern)),
        (false, true) => Some(format!("not applicable: {} exists", when.pattern)),
        _ => None,
    })
}

/// Shell-style matching of one name: `*` any run, `?` any one character.
pub fn wildcard(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// The checks of a result set, for reports.
pub fn check_of<'a>(spec: &'a Spec, r: &CheckResult) -> &'a Check {
    &spec.checks[r.index]
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::checks::Kind;
    use crate::spec::Check;

    fn stall(id: &str, stall: Duration, timeout: Duration, requires: &[&str]) -> Check {
        Check {
            id: id.into(),
            kind: Kind::Stall(stall),
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
        }
    }

    fn run_checks(checks: Vec<Check>, pass_timeout: Duration) -> (Run, Duration) {
        let spec = Arc::new(Spec {
            checks,
            files: Vec::new(),
        });
        let selected: Vec<usize> = (0..spec.checks.len()).collect();
        let opts = Options {
            timeout: pass_timeout,
            wait: None,
        };
        let started = Instant::now();
        let target = Target::live(Mode::Boot).expect("/ opens");
        let run = run(&spec, &selected, &Arc::new(target), &opts);
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
            run.results[0].summary.starts_with("timed out after 200ms"),
            "{}",
            run.results[0].summary
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
        // It ran beside the slow check, not after it: a stuck check starves no other.
        assert_eq!(run.results[1].status, Status::Pass);
        // Its wave starts once the first is collected, past the run's deadline.
        assert_eq!(run.results[2].status, Status::Error);
        assert!(
            run.results[2].summary.contains("deadline"),
            "{}",
            run.results[2].summary
        );
        assert_eq!(run.results[3].status, Status::Blocked);
        assert_eq!(run.results[3].root_cause.as_deref(), Some("slow"));
        assert_eq!(run.verdict, Status::Error);
        assert!(took < Duration::from_secs(5), "took {took:?}");
    }

    #[test]
    fn independent_checks_run_side_by_side() {
        let stalls: Vec<Check> = (0..4)
            .map(|i| {
                stall(
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

    #[test]
    fn wildcards_match_like_a_shell() {
        assert!(wildcard("ifstate.*", "ifstate.lo"));
        assert!(wildcard("*", ""));
        assert!(wildcard("drbd?", "drbd0"));
        assert!(!wildcard("drbd?", "drbd10"));
        assert!(wildcard("*.res", "r0.res"));
        assert!(!wildcard("*.res", "r0.res.bak"));
    }
}
