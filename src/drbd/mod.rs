//! DRBD state: reading it (parsers take text, so tests and fuzzing feed them directly)
//! and judging it. Every DRBD generation is brought to one model, [`Volume`]: one
//! replicated volume as this node sees it, towards one peer.
//!
//! - `proc`: /proc/drbd of DRBD 8.0 to 8.4, and 9.3's 8.4-compatible lines;
//! - `json`: `drbdsetup status --json` (DRBD 9);
//! - `events2`: `drbdsetup events2 --now` (DRBD 9);
//! - `config`: resource names from drbd.conf, to tell "no DRBD" from "DRBD not loaded";
//! - `judge`: the verdict per volume, as design.md sets it.

pub mod config;
pub mod events2;
pub mod json;
pub mod judge;
pub mod proc;

use std::fmt;

/// One replicated volume, as this node sees it, towards one peer (or none).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Volume {
    /// The resource name (DRBD 9) or `drbdN` for a /proc/drbd minor.
    pub resource: String,
    /// Set when the resource has more than one volume, so names stay short otherwise.
    pub volume: Option<u32>,
    pub minor: Option<u32>,
    /// The peer's name, when the source names it (DRBD 9).
    pub peer: Option<String>,
    /// The connection state in 8.x terms: 8.x `cs:`; for DRBD 9 the connection state, or
    /// the replication state once Connected (Established for a plain connection). Empty
    /// when the resource has no peer configured.
    pub conn: String,
    pub role: String,
    pub peer_role: String,
    pub disk: String,
    pub peer_disk: String,
    /// Diskless by design (a DRBD 9 client), not by failure.
    pub client: bool,
    pub progress: Option<Progress>,
    /// Out-of-sync KiB, when reported.
    pub oos: Option<u64>,
    /// The source's own words for this volume, quoted as evidence.
    pub quote: String,
}

impl Volume {
    /// `r0`, `r0/1` (volume 1), `r0 to peer-b`: how reports name it.
    pub fn name(&self) -> String {
        let mut name = self.resource.clone();
        if let Some(v) = self.volume {
            name.push_str(&format!("/{v}"));
        }
        if let Some(peer) = &self.peer {
            name.push_str(&format!(" to {peer}"));
        }
        name
    }
}

/// Resync or verify progress.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Progress {
    pub percent: f64,
    /// Seconds left, as DRBD estimates them.
    pub eta_seconds: Option<u64>,
    pub stalled: bool,
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.1}%", self.percent)?;
        if self.stalled {
            write!(f, ", stalled")?;
        } else if let Some(s) = self.eta_seconds {
            write!(
                f,
                ", about {}:{:02}:{:02} left",
                s / 3600,
                s / 60 % 60,
                s % 60
            )?;
        }
        Ok(())
    }
}

/// A DRBD text that could not be read, with where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

pub fn parse_error(line: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        line,
        message: message.into(),
    }
}
