//! The status a check ends with in a run, as the contract names them, and how bad each
//! is for the verdict.

use serde::Serialize;

/// The status of one check in a run, as the contract names them (doc/contracts.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    /// A warning-severity check failed.
    Warn,
    Fail,
    /// Transient: worth re-checking (a resync in progress).
    Wait,
    /// Not applicable, with the reason in the summary.
    Skip,
    /// A required check did not pass, so this one was not run.
    Blocked,
    /// Could not be evaluated: permission denied, malformed input, timeout.
    Error,
}

impl Status {
    /// Every status, in the order the contract lists them.
    pub const ALL: [Status; 7] = [
        Status::Pass,
        Status::Warn,
        Status::Fail,
        Status::Wait,
        Status::Skip,
        Status::Blocked,
        Status::Error,
    ];

    /// The order a tally lists them (the human report's last line): the results of the
    /// checks that ran, then those that did not (blocked, skipped).
    pub const TALLY: [Status; 7] = [
        Status::Pass,
        Status::Warn,
        Status::Fail,
        Status::Wait,
        Status::Error,
        Status::Blocked,
        Status::Skip,
    ];

    /// Whether a run's verdict can be this status: never skip or blocked, which count as
    /// pass, or (blocked behind a warning) as a failure (engine::verdict::effective).
    pub fn can_be_verdict(self) -> bool {
        !matches!(self, Status::Skip | Status::Blocked)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Wait => "wait",
            Status::Skip => "skip",
            Status::Blocked => "blocked",
            Status::Error => "error",
        }
    }

    /// True for results that count against the run and can be another check's root cause.
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            Status::Warn | Status::Fail | Status::Wait | Status::Error | Status::Blocked
        )
    }

    /// How bad a status is for the verdict. Wait outranks error because a run that ends
    /// still waiting has not met its deadline (exit 1), while error means "could not tell"
    /// (exit 3) only when nothing failed.
    pub fn rank(self) -> u8 {
        match self {
            Status::Pass | Status::Skip => 0,
            Status::Warn => 1,
            Status::Error => 2,
            Status::Wait => 3,
            Status::Fail => 4,
            // A blocked check adds nothing of its own: its blocker is counted.
            Status::Blocked => 0,
        }
    }
}
