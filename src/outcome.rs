//! What a check found, and how findings combine into a verdict.

use serde::Serialize;

/// The status of one check in a run, as design.md names them.
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
    /// Every status, in the order design.md lists them.
    pub const ALL: [Status; 7] = [
        Status::Pass,
        Status::Warn,
        Status::Fail,
        Status::Wait,
        Status::Skip,
        Status::Blocked,
        Status::Error,
    ];

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

/// Which findings make the exit status 1, as lintian's `--fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailOn {
    /// A failed check, or one still waiting at the deadline (the default).
    #[default]
    Error,
    /// Those, and a warning.
    Warning,
    /// Nothing: only "could not evaluate" (3) still shows in the exit status.
    None,
}

impl FailOn {
    pub fn name(self) -> &'static str {
        match self {
            FailOn::Error => "error",
            FailOn::Warning => "warning",
            FailOn::None => "none",
        }
    }

    /// Whether a result of this (effective) status fails the run.
    pub fn fails(self, status: Status) -> bool {
        match self {
            FailOn::Error => matches!(status, Status::Fail | Status::Wait),
            FailOn::Warning => matches!(status, Status::Fail | Status::Wait | Status::Warn),
            FailOn::None => false,
        }
    }
}

/// What a check kind reports; the engine turns it into a [`Status`] using the check's
/// severity (a failed warning-severity check is `warn`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    Pass,
    /// A failure that is only a warning whatever the check's severity (a degraded DRBD
    /// that policy allows to start).
    Warn,
    Fail,
    Wait,
    Skip,
    Error,
}

/// A finding with the one-line summary and the evidence behind it.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub finding: Finding,
    pub summary: String,
    pub evidence: Vec<String>,
    /// A failure that may heal by itself soon (a daemon still starting): `--wait`
    /// re-checks it; without `--wait`, or at the end of it, it stands as a failure.
    pub transient: bool,
}

impl Outcome {
    pub fn new(finding: Finding, summary: impl Into<String>) -> Self {
        Outcome {
            finding,
            summary: summary.into(),
            evidence: Vec::new(),
            transient: false,
        }
    }
    pub fn pass(summary: impl Into<String>) -> Self {
        Self::new(Finding::Pass, summary)
    }
    pub fn fail(summary: impl Into<String>) -> Self {
        Self::new(Finding::Fail, summary)
    }
    pub fn skip(summary: impl Into<String>) -> Self {
        Self::new(Finding::Skip, summary)
    }
    pub fn error(summary: impl Into<String>) -> Self {
        Self::new(Finding::Error, summary)
    }
    pub fn with(mut self, evidence: impl Into<String>) -> Self {
        self.evidence.push(evidence.into());
        self
    }
    pub fn with_all(mut self, evidence: impl IntoIterator<Item = String>) -> Self {
        self.evidence.extend(evidence);
        self
    }
}
