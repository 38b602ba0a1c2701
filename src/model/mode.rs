//! The words every floor shares about a check: which user it serves (`Mode`), how much a
//! failure counts (`Severity`), and which findings fail a run (`FailOn`).

use super::Status;
use serde::Serialize;
use std::fmt;

/// Which of the three users a check serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    Boot,
    Image,
    BuildHost,
}

impl Mode {
    /// The words a spec writes the modes with.
    pub const WORDS: &[(&str, Mode)] = &[
        ("boot", Mode::Boot),
        ("image", Mode::Image),
        ("build-host", Mode::BuildHost),
    ];
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Boot => "boot",
            Mode::Image => "image",
            Mode::BuildHost => "build-host",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    Warning,
}

impl Severity {
    /// The words a spec writes the severities with.
    pub const WORDS: &[(&str, Severity)] = &[
        ("critical", Severity::Critical),
        ("warning", Severity::Warning),
    ];
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
        })
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
