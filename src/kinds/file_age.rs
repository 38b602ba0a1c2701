//! Kind `file-age`: a record of the last successful run of something is recent enough.
//! sync-age uses it for a standby's last successful sync (a field report: the database sync to
//! the standby ran only daily, so when the master died the standby's copy was a day old
//! and nobody had known).
//!
//! The time is the file's mtime (a sync job that touches a file when it succeeds) or a
//! timestamp inside it: the whole content, or the value of one `KEY=value` line; Unix
//! seconds or an RFC 3339 date. A severity of `warning` makes an old record a warning.
//!
//! A time in the future is `error`: the clock is wrong (an appliance without a battery-
//! backed clock boots in 1970 or at its build date), so no age can be judged.

use super::{BOOT, Context, Evaluate, KindDef, LOCAL, boxed};
use crate::config::Params;
use crate::config::SpecError;
use crate::model::Outcome;
use crate::model::clock;
use crate::model::duration;
use std::path::PathBuf;
use std::time::Duration;

/// What the spec loader knows of this kind; [`super::KINDS`] lists it.
pub const DEF: KindDef = KindDef {
    name: "file-age",
    modes: BOOT,
    default_timeout: LOCAL,
    waits: false,
    params: PARAMS,
    parse: |p| FileAge::parse(p).map(boxed),
};

pub const PARAMS: &[&str] = &["path", "timestamp", "key", "max_age", "missing"];

/// Clocks of two machines disagree by this much without anything being wrong.
const FUTURE_SLACK: i64 = 300;

/// Which time the age is counted from (`timestamp`): the file's mtime, or one written in it.
#[derive(Debug, PartialEq)]
pub enum TimestampSource {
    Mtime,
    /// The file's content, or the value of the line `KEY=...`.
    Content {
        key: Option<String>,
    },
}

#[derive(Debug)]
pub struct FileAge {
    pub path: PathBuf,
    pub timestamp: TimestampSource,
    pub max_age: Duration,
    /// No record at all: not configured here (`skip`) or never happened (`fail`).
    pub missing_fails: bool,
}

impl FileAge {
    pub fn parse(p: &mut Params) -> Result<Self, SpecError> {
        let path = super::require_abs_path(p, "path")?;
        let key: Option<String> = p.string("key")?;
        let content = p.choice("timestamp", &[("mtime", false), ("content", true)])?;
        let timestamp = match content {
            Some(true) => TimestampSource::Content { key },
            None if key.is_some() => TimestampSource::Content { key },
            Some(false) if key.is_some() => {
                return Err(p.error_here("`key` needs timestamp = \"content\""));
            }
            _ => TimestampSource::Mtime,
        };
        let max_age = p
            .take_duration("max_age")?
            .ok_or_else(|| p.error_here("missing `max_age` (such as \"26h\")"))?;
        let missing_fails = p
            .choice("missing", &[("skip", false), ("fail", true)])?
            .unwrap_or(false);
        Ok(FileAge {
            path,
            timestamp,
            max_age,
            missing_fails,
        })
    }
}

impl Evaluate for FileAge {
    fn evaluate(&self, cx: &Context) -> Outcome {
        self.look(cx).about(&self.path)
    }
}

impl FileAge {
    fn look(&self, cx: &Context) -> Outcome {
        let shown = self.path.display();
        let st = match cx.target.root.stat(&self.path) {
            Ok(st) => st,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let why = format!("{shown} does not exist");
                return if self.missing_fails {
                    Outcome::fail(format!("no record of a last run: {why}"))
                } else {
                    Outcome::skip(format!("{why}: nothing records a last run on this node"))
                };
            }
            Err(e) => return Outcome::error(format!("cannot stat {shown}: {e}")),
        };
        let (at, source) = match &self.timestamp {
            TimestampSource::Mtime => (st.mtime, format!("{shown}: modified")),
            TimestampSource::Content { key } => {
                let text = match cx.target.root.read_text(&self.path, 64 << 10) {
                    Ok(t) => t,
                    Err(e) => return Outcome::error(format!("cannot read {e}")),
                };
                let value = match key {
                    None => text.trim().to_string(),
                    Some(k) => match crate::world::envfile::value(&text, k) {
                        Some(v) => v,
                        None => {
                            return Outcome::error(format!("{shown} has no `{k}=` line"));
                        }
                    },
                };
                match clock::parse(&value) {
                    Ok(ts) => (
                        ts.secs,
                        format!(
                            "{shown}: {}{value}{}",
                            key.as_ref().map(|k| format!("{k}=")).unwrap_or_default(),
                            if ts.zoned {
                                ""
                            } else {
                                " (no zone; read as UTC)"
                            }
                        ),
                    ),
                    Err(e) => return Outcome::error(format!("{shown}: {e}")),
                }
            }
        };
        let now = cx.target.now();
        let evidence = format!("{source} {}", clock::format_utc(at));
        let clock_line = if cx.target.is_bundle() {
            format!(
                "clock when the bundle was taken: {}",
                clock::format_utc(now)
            )
        } else {
            format!("clock now: {}", clock::format_utc(now))
        };
        if at > now + FUTURE_SLACK {
            return Outcome::error(format!(
                "{shown} records a time {} in the future; the clock is wrong, so no age can be judged",
                duration::age((at - now) as u64)
            ))
            .with(evidence)
            .with(clock_line);
        }
        let age = (now - at).max(0) as u64;
        let limit = duration::display(self.max_age);
        if age > self.max_age.as_secs() {
            return Outcome::fail(format!(
                "last run {} ago, longer than max_age {limit}",
                duration::age(age)
            ))
            .with(evidence)
            .with(clock_line);
        }
        Outcome::pass(format!(
            "last run {} ago (max_age {limit})",
            duration::age(age)
        ))
        .with(evidence)
        .with(clock_line)
    }
}

#[cfg(test)]
mod run_tests;
