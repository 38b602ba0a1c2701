//! Turning a run into what its reader needs: a person (`human`) or a program (`json`).
//! Reports only format; every decision was made by the engine.

pub mod human;
pub mod json;
pub mod junit;

use crate::engine::Run;
use crate::outcome::Status;

/// The process exit code for a verdict (design.md, "Exit codes").
pub fn exit_code(run: &Run) -> i32 {
    match run.verdict {
        Status::Pass | Status::Warn | Status::Skip | Status::Blocked => 0,
        Status::Fail | Status::Wait => 1,
        Status::Error => 3,
    }
}

/// Milliseconds with microsecond precision, as the JSON schema and the summary show them.
pub fn millis(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}
