//! The spec: checks as data. `load` finds and parses the TOML files, `graph` validates
//! the `after`/`requires` edges and orders the checks; the check kinds parse their own
//! parameters (see `crate::kinds`).

mod graph;
mod load;

pub use crate::config::SpecError;
/// The keys every check takes; the kinds' tests keep them out of a kind's own.
#[cfg(test)]
pub(crate) use load::COMMON;
pub use load::{
    ADMIN, ADMIN_DIR, BUILT_IN, Layer, Location, Shadowed, VENDOR, VENDOR_DIR, built_in, layers,
    load, member_name, parse_layers, parse_sources, parse_text,
};

use crate::kinds::{Evaluate, KindDef};
use crate::model::{Mode, Severity, suggest};
use std::path::PathBuf;
use std::time::Duration;

/// A condition for a check to apply: a path (or a glob) exists, or does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct When {
    pub pattern: String,
    pub exists: bool,
}

/// One check of the spec, validated. Its `Debug` shows the kind's name for its
/// parameters (see [`Evaluate`] for why they are not `Debug`).
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
    /// Where the check was defined ("FILE:LINE"), for `list`, `explain` and error
    /// messages.
    pub defined_at: String,
    /// "FILE:LINE" of each `[[change]]` of a higher layer that set some of its keys.
    pub changed_by: Vec<String>,
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Check")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("modes", &self.modes)
            .field("severity", &self.severity)
            .field("after", &self.after)
            .field("requires", &self.requires)
            .field("when", &self.when)
            .field("timeout", &self.timeout)
            .field("defined_at", &self.defined_at)
            .field("changed_by", &self.changed_by)
            .finish_non_exhaustive()
    }
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
    /// What higher layers did to lower ones: files and checks replaced, checks changed
    /// and removed, in the order the layers did it.
    pub overlay: Vec<Note>,
    /// Every file of the layers, layer by layer, with what it contributed (`--version`).
    pub layers: Vec<FileEntry>,
}

impl Spec {
    pub fn get(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// What to say of an id this spec has no check of: the id meant, when one is near
    /// (`lo_up` for `lo-up`), else where the ids are listed. One line, whatever the
    /// number of checks.
    pub fn no_such_check(&self, id: &str) -> String {
        match suggest::closest(id, self.checks.iter().map(|c| c.id.as_str())) {
            Some(meant) => format!("no check named `{id}`; did you mean `{meant}`?"),
            None => format!("no check named `{id}` (see `ha-preflight list`)"),
        }
    }

    /// The overlay's notes a run in `mode` reports: those about its checks, and the
    /// replaced files.
    pub fn overlay_for(&self, mode: Mode) -> impl Iterator<Item = &Note> {
        self.overlay
            .iter()
            .filter(move |n| n.modes.is_empty() || n.modes.contains(&mode))
    }
}

/// What a higher layer did to a lower one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteKind {
    /// A file of the same name replaced a lower layer's file whole.
    FileReplaced,
    /// A `[[check]]` replaced the one of the same id.
    Replaced,
    /// A `[[change]]` set some of a check's keys.
    Changed,
    /// A `[[remove]]` took a check out.
    Removed,
}

impl NoteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoteKind::FileReplaced => "file-replaced",
            NoteKind::Replaced => "replaced",
            NoteKind::Changed => "changed",
            NoteKind::Removed => "removed",
        }
    }
}

/// One line of the overlay, for `--version`, `list` and every report.
#[derive(Debug, Clone)]
pub struct Note {
    pub kind: NoteKind,
    /// The check concerned; None for a replaced file.
    pub check: Option<String>,
    /// Where it was done: "FILE:LINE" (a file, for a replaced file).
    pub by: String,
    /// What it was done to: the check's "FILE:LINE", or the replaced file.
    pub of: String,
    /// A removal's reason; a change's keys; the ids a replaced file took with it.
    pub reason: Option<String>,
    /// The modes of the check concerned (empty: every mode).
    pub modes: Vec<Mode>,
}

impl Note {
    /// The note in words, on one line.
    pub fn text(&self) -> String {
        let id = self.check.as_deref().unwrap_or_default();
        let (by, of) = (&self.by, &self.of);
        let reason = self.reason.as_deref().unwrap_or_default();
        match self.kind {
            NoteKind::FileReplaced if reason.is_empty() => format!("{by} replaces {of}"),
            NoteKind::FileReplaced => {
                format!("{by} replaces {of}; checks only it defined are gone: {reason}")
            }
            NoteKind::Replaced => format!("check {id} from {by} replaces the one from {of}"),
            NoteKind::Changed => format!("check {id} ({of}): {reason} changed by {by}"),
            NoteKind::Removed => format!("check {id} ({of}) removed by {by}: {reason}"),
        }
    }
}

/// One spec file of the layers, with what it contributed.
#[derive(Debug, Clone)]
pub struct FileEntry {
    pub layer: String,
    pub path: PathBuf,
    /// Checks defined here and in force.
    pub checks: usize,
    /// Its `[[change]]` and `[[remove]]` tables.
    pub changes: usize,
    pub removes: usize,
    /// The higher layer's file of the same name that replaces this one whole.
    pub replaced_by: Option<PathBuf>,
}
