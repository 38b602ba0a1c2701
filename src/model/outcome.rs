//! What a kind found: a [`Finding`], a one-line summary, and the evidence behind it.
//! Evidence that is about a path carries the path as data ([`Evidence::path`]), so an
//! override can accept "this finding about /etc/resolv.conf" without reading English.

use std::fmt;
use std::path::{Path, PathBuf};

/// What a check kind reports; the engine turns it into a [`Status`] using the check's
/// severity (a failed warning-severity check is `warn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// One line of evidence, and the path it is about when it names one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub text: String,
    /// The path the line is about (in-image in image mode): what overrides match.
    pub path: Option<PathBuf>,
}

impl Evidence {
    /// A line about `path`.
    pub fn about(path: impl AsRef<Path>, text: impl Into<String>) -> Self {
        Evidence {
            text: text.into(),
            path: Some(path.as_ref().to_path_buf()),
        }
    }
}

impl From<String> for Evidence {
    fn from(text: String) -> Self {
        Evidence { text, path: None }
    }
}

impl From<&str> for Evidence {
    fn from(text: &str) -> Self {
        Evidence::from(text.to_string())
    }
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A finding with the one-line summary and the evidence behind it.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub finding: Finding,
    pub summary: String,
    pub evidence: Vec<Evidence>,
    /// A failure that may heal by itself soon (a daemon still starting): `--wait`
    /// re-checks it; without `--wait`, or at the end of it, it stands as a failure.
    pub transient: bool,
    /// The fix for this case, when the kind knows it better than the check's general
    /// `fix` text (an absent directory is not fixed as a real one is). Paths of the box
    /// are written `$ROOT/...`: in image mode `$ROOT` is the tree being checked, so a fix
    /// pasted into a build job acts on the image, never on the build host.
    pub fix: Option<String>,
}

impl Outcome {
    pub fn new(finding: Finding, summary: impl Into<String>) -> Self {
        Outcome {
            finding,
            summary: summary.into(),
            evidence: Vec::new(),
            transient: false,
            fix: None,
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
    pub fn with(mut self, evidence: impl Into<Evidence>) -> Self {
        self.evidence.push(evidence.into());
        self
    }
    /// The fix for this case (see [`Outcome::fix`]).
    pub fn fix(mut self, text: impl Into<String>) -> Self {
        self.fix = Some(text.into());
        self
    }
    pub fn with_all<E: Into<Evidence>>(mut self, evidence: impl IntoIterator<Item = E>) -> Self {
        self.evidence.extend(evidence.into_iter().map(Into::into));
        self
    }
    /// Says the finding is about `path`: every line of evidence that names no path of
    /// its own is about it.
    pub fn about(mut self, path: impl AsRef<Path>) -> Self {
        for e in self.evidence.iter_mut().filter(|e| e.path.is_none()) {
            e.path = Some(path.as_ref().to_path_buf());
        }
        self
    }
}

/// How many offenders a summary's evidence lists; the summary gives the count.
pub const SHOWN: usize = 20;

/// " (and N more)" after the first of `n` items; empty for one or none.
pub fn and_more(n: usize) -> String {
    if n > 1 {
        format!(" (and {} more)", n - 1)
    } else {
        String::new()
    }
}

/// One outcome from a list of offenders: pass, or fail with the first one as the
/// summary, a count, and the first ones as evidence (each with its path). With no
/// offender but errors, the first error.
pub fn summarize(offenders: Vec<Evidence>, errors: Vec<String>, ok: String) -> Outcome {
    if offenders.is_empty() && !errors.is_empty() {
        return Outcome::error(errors[0].clone()).with_all(errors.into_iter().skip(1).take(SHOWN));
    }
    let Some(first) = offenders.first() else {
        return Outcome::pass(ok);
    };
    Outcome::fail(format!("{}{}", first.text, and_more(offenders.len())))
        .with_all(offenders.into_iter().take(SHOWN))
        .with_all(errors.into_iter().take(SHOWN))
}
