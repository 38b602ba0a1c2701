//! The shared words, at the bottom of the house: every other floor may use them, and
//! they use nothing of the crate. What a check is for (`Mode`, `Severity`), what it found
//! (`Finding`, `Outcome`, `Evidence`), how it ended (`Status`), patterns, durations and
//! clock times, outside text made safe to show (`text::visible`), and the nearest known
//! word to a mistyped one (`suggest`). A run's results carry their checks, so they live
//! with the engine (`crate::engine::CheckResult`).

mod bytes;
pub mod clock;
pub mod duration;
pub mod fix;
mod mode;
mod outcome;
pub mod pattern;
pub mod sort;
mod status;
pub mod suggest;
pub mod text;

pub use bytes::human_bytes;
pub use mode::{FailOn, Mode, Severity};
pub use outcome::{Evidence, Finding, Outcome, SHOWN, and_more, summarize};
pub use status::Status;
