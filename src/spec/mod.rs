//! The spec: checks as data. `load` finds and parses the TOML files, `graph` validates
//! the `after`/`requires` edges and orders the checks; the check kinds parse their own
//! parameters (see `crate::kinds`).

mod graph;
mod load;

pub use crate::config::SpecError;
pub use load::{ADMIN_DIR, Location, VENDOR_DIR, load, parse_sources, parse_text, sources};

use crate::kinds::{Evaluate, KindDef};
use crate::model::{Mode, Severity};
use std::path::PathBuf;
use std::time::Duration;

/// A condition for a check to apply: a path (or a glob) exists, or does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct When {
    pub pattern: String,
    pub exists: bool,
}

/// One check of the spec, validated.
#[derive(Debug)]
pub struct Check {
    pub id: String,
    /// The kind, from the table of kinds.
    pub kind: &'static KindDef,
    /// The check's own parameters, as its kind parsed them.
    pub params: Box<dyn Evaluate>,
    pub modes: Vec<Mode>,
    pub severity: Severity,
    pub after: Vec<String>,
    pub requires: Vec<String>,
    pub when: Option<When>,
    /// What the check verifies, in one line (`list`).
    pub title: String,
    pub why: String,
    pub fix: String,
    /// How long one evaluation may take; also the kind's own network timeout.
    pub timeout: Duration,
    /// Where the check was defined, for `explain` and error messages.
    pub defined_at: String,
}

impl Check {
    /// Every check this one is ordered after (`after` and `requires`).
    pub fn deps(&self) -> impl Iterator<Item = &String> {
        self.requires.iter().chain(self.after.iter())
    }
}

/// A loaded spec: checks in an order that respects every `after` and `requires` edge,
/// otherwise in the order they were written.
#[derive(Debug)]
pub struct Spec {
    pub checks: Vec<Check>,
    /// The files the spec came from ("built-in:boot.toml" for the compiled-in copy).
    pub files: Vec<PathBuf>,
    /// Setting names whose values `collect` redacts, beyond the secret-sounding ones
    /// (`[bundle] redact`).
    pub redact: Vec<String>,
}

impl Spec {
    pub fn get(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }
}
