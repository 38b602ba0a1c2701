//! A support bundle is a tape of what a run read: every answer the world's doors gave
//! (kernel files, the box's files, statfs, lock probes, links, drbdsetup's output, the
//! daemon's replies), keyed by the question. `collect` runs the checks on the live box
//! with a recording tape; `--bundle` runs them again with the tape playing, so every
//! check reads only the bundle and a question the tape has no answer for is a *miss*:
//! the engine turns a check that missed into "skip: not in the bundle", never the
//! replaying machine's answer. `--proc`/`--sys` play an empty tape for the box's files,
//! so a check that would read the analyst's machine says so and skips.
//!
//! A few files are never read (private keys, shadow files: `withheld`): the tape says
//! they were withheld, and a replay gives the same error a live read gives.
//!
//! The text of every other file read (and a program's output) is recorded with its
//! secret values replaced (see `redact`): the check on the box reads the real text, the
//! tape keeps the redacted one, and remembers which setting of which file it redacted.

use super::question::Question;
use serde_json::{Value, json};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io;
use std::sync::{Mutex, OnceLock};

/// The most a tape holds; a recording past it drops what does not fit, and says so.
pub const MAX_TAPE_BYTES: usize = 48 << 20;

/// Files whose content no check gets: compared by what is opened (device and inode,
/// each stat'ed in the root once), so `/etc/./shadow`, `/etc//shadow`, a hard link or a
/// symlink to one is the same file.
pub const WITHHELD_FILES: &[&str] = &[
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/shadow-",
    "/etc/gshadow-",
];

/// Folders whose files no check gets, by resolved path.
const WITHHELD_UNDER: &[&str] = &["/etc/ssl/private/", "/root/.ssh/"];

#[derive(Debug)]
enum TapeMode {
    Recording,
    /// Playing, with the words a miss is reported in.
    Playing {
        miss: &'static str,
    },
}

/// The record of a run's questions and answers.
#[derive(Debug)]
pub struct Tape {
    mode: TapeMode,
    entries: Mutex<BTreeMap<String, Value>>,
    /// Setting names the spec adds to the secret ones (`[bundle] redact`).
    also: OnceLock<Vec<String>>,
    redacted: Mutex<Redacted>,
}

/// What a recording redacted: "what was read: setting" lines for the bundle's README,
/// sorted, and the values themselves, only in memory, to scrub from the bundle's report.
#[derive(Debug, Default)]
struct Redacted {
    settings: Vec<String>,
    values: Vec<String>,
}

thread_local! {
    /// The questions this thread (one check's worker) asked that the tape could not
    /// answer; the engine reads and clears them around each evaluation.
    static MISSES: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Takes the misses of the current thread's evaluation.
pub fn take_misses() -> Vec<String> {
    MISSES.with(|m| std::mem::take(&mut *m.borrow_mut()))
}

/// Notes misses on the current thread (a cached fact's, served again).
pub fn note_misses(misses: &[String]) {
    MISSES.with(|m| m.borrow_mut().extend_from_slice(misses));
}

/// Whether a path's content is withheld, by its name: one of `WITHHELD_FILES`, a file
/// under `WITHHELD_UNDER`, or an SSH host private key (`/etc/ssh/ssh_host_*`, not
/// `.pub`). `Root` asks this of the path a read resolved to (every link, `.`, `..`
/// and `//` gone), and compares what it opened with `WITHHELD_FILES` besides.
pub fn withheld(path: &str) -> bool {
    WITHHELD_FILES.contains(&path)
        || WITHHELD_UNDER.iter().any(|w| path.starts_with(w))
        || path
            .strip_prefix("/etc/ssh/ssh_host_")
            .is_some_and(|rest| !rest.contains('/') && !rest.ends_with(".pub"))
}

impl Tape {
    pub fn recording() -> Tape {
        Tape {
            mode: TapeMode::Recording,
            entries: Mutex::new(BTreeMap::new()),
            also: OnceLock::new(),
            redacted: Mutex::default(),
        }
    }

    /// A tape that plays `entries`; a question it has no answer for is a miss, reported
    /// as "`miss`: QUESTION".
    pub fn playing(entries: BTreeMap<String, Value>, miss: &'static str) -> Tape {
        Tape {
            mode: TapeMode::Playing { miss },
            entries: Mutex::new(entries),
            also: OnceLock::new(),
            redacted: Mutex::default(),
        }
    }

    /// The error for a question this tape has no answer to, in its own words.
    pub fn missed(&self) -> io::Error {
        match self.mode {
            TapeMode::Playing { miss } => io::Error::other(Missed(miss)),
            TapeMode::Recording => missed(),
        }
    }

    pub fn is_playing(&self) -> bool {
        matches!(self.mode, TapeMode::Playing { .. })
    }

    /// Everything recorded, for writing a bundle.
    pub fn entries(&self) -> BTreeMap<String, Value> {
        self.lock().clone()
    }

    /// Adds setting names whose values are secret too (the spec's `[bundle] redact`),
    /// before the checks run; only the first call counts.
    pub fn redact_also(&self, names: Vec<String>) {
        let _ = self.also.set(names);
    }

    /// "what was read: setting" of every value the recording redacted, sorted.
    pub fn redactions(&self) -> Vec<String> {
        self.redacted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .settings
            .clone()
    }

    /// The values the recording redacted: for scrubbing what the live run said.
    pub fn secret_values(&self) -> Vec<String> {
        self.redacted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values
            .clone()
    }

    /// Replaces the secret values in a recorded file text (`read`, `tail`) or program
    /// output (`run`), and notes what it replaced, by the question's subject.
    fn redact(&self, question: &Question, value: &mut Value) {
        let (Some(field), Some(what)) = (question.redactable_field(), question.subject()) else {
            return;
        };
        let Some(Value::String(text)) = value.get_mut(field) else {
            return;
        };
        let also = self.also.get().map_or(&[][..], Vec::as_slice);
        let (clean, found) = super::redact::redact(text, also);
        if found.is_empty() {
            return;
        }
        *text = clean;
        let mut r = self.redacted.lock().unwrap_or_else(|e| e.into_inner());
        for (name, secret) in found {
            let line = format!("{what}: {name}");
            if let Err(at) = r.settings.binary_search(&line) {
                r.settings.insert(at, line);
            }
            if !r.values.contains(&secret) {
                r.values.push(secret);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Value>> {
        // A check that panicked while holding the lock left the map whole.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Answers `question` from the tape when playing (Some(answer), or None after
    /// noting a miss), or asks `live` and records its answer when recording. The tape
    /// files the answer under the question's key (its `Display`).
    pub fn answer<T>(
        &self,
        question: &Question,
        live: impl FnOnce() -> T,
        to_value: impl Fn(&T) -> Value,
        from_value: impl Fn(&Value) -> Option<T>,
    ) -> Option<T> {
        let key = question.to_string();
        match self.mode {
            TapeMode::Playing { miss } => {
                // `{"withheld": true}` is a read's answer (`root::read_from_value` gives
                // the error a live read gives); any other question's, a miss.
                let found = self.lock().get(&key).and_then(&from_value);
                if found.is_none() {
                    MISSES.with(|m| m.borrow_mut().push(format!("{miss}: {key}")));
                }
                found
            }
            TapeMode::Recording => {
                let answer = live();
                // `Root` refuses withheld files by what it opened; this catches a read
                // by their plain names that came some other way. Only reads: an lstat of
                // /etc/shadow is no secret, and a replay must answer it as the box did.
                // The path as the key spells it (lossy where it is not UTF-8).
                let value = if question
                    .reads_content_of()
                    .is_some_and(|p| withheld(&p.display().to_string()))
                {
                    json!({ "withheld": true })
                } else {
                    let mut value = to_value(&answer);
                    self.redact(question, &mut value);
                    value
                };
                self.record(&key, value);
                Some(answer)
            }
        }
    }

    fn record(&self, key: &str, value: Value) {
        let mut map = self.lock();
        let used: usize = map.iter().map(|(k, v)| k.len() + v.to_string().len()).sum();
        let size = key.len() + value.to_string().len();
        let value = if used + size > MAX_TAPE_BYTES {
            json!({ "dropped": "the bundle is full" })
        } else {
            value
        };
        map.insert(key.to_string(), value);
    }
}

/// Answers `question` through `tape` (recorded or played), else by `real` when there is
/// no tape; `missed` is the answer when a played tape has none. The one way every door
/// (`Root`'s, `Target`'s) asks: the question is built only when there is a tape.
pub fn taped<T>(
    tape: Option<&Tape>,
    question: impl FnOnce() -> Question,
    real: impl FnOnce() -> T,
    to_value: impl Fn(&T) -> Value,
    from_value: impl Fn(&Value) -> Option<T>,
    missed: impl FnOnce() -> T,
) -> T {
    match tape {
        None => real(),
        Some(tape) => tape
            .answer(&question(), real, to_value, from_value)
            .unwrap_or_else(missed),
    }
}

/// An io::Error as the tape keeps it: its errno, else its kind's words.
pub fn io_to_value(e: &io::Error) -> Value {
    match e.raw_os_error() {
        Some(errno) => json!({ "errno": errno }),
        None => json!({ "error": e.to_string() }),
    }
}

pub fn io_from_value(v: &Value) -> Option<io::Error> {
    if let Some(errno) = v.get("errno").and_then(Value::as_i64) {
        return Some(io::Error::from_raw_os_error(errno as i32));
    }
    v.get("error")
        .and_then(Value::as_str)
        .map(|m| io::Error::other(m.to_string()))
}

/// `Result<T, io::Error>` on tape: `{"ok": T}` or the error.
pub fn io_result_to_value<T>(r: &io::Result<T>, ok: impl Fn(&T) -> Value) -> Value {
    match r {
        Ok(t) => json!({ "ok": ok(t) }),
        Err(e) => io_to_value(e),
    }
}

pub fn io_result_from_value<T>(
    v: &Value,
    ok: impl Fn(&Value) -> Option<T>,
) -> Option<io::Result<T>> {
    match v.get("ok") {
        Some(inner) => ok(inner).map(Ok),
        None => io_from_value(v).map(Err),
    }
}

/// A question a played tape has no answer to, in the words of that tape ("not in the
/// bundle", or a capture's).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Missed(&'static str);

/// The error a bundle's tape gives for a question it missed: callers see a plain error,
/// and the engine, which knows the check missed, reports it as not in the bundle.
pub fn missed() -> io::Error {
    io::Error::other(Missed(super::BUNDLE_MISS))
}

/// Whether an error is a tape's miss: the engine already says so of the check, so a
/// door's caller need not warn of it too.
pub fn is_missed(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<Missed>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn read(path: &str) -> Question {
        Question::Read(PathBuf::from(path))
    }

    /// A capture's tape misses in its own words, and a miss is told from other errors.
    #[test]
    fn a_miss_says_whose_it_is() {
        let capture = Tape::playing(BTreeMap::new(), "not in the capture");
        let e = capture.missed();
        assert_eq!(e.to_string(), "not in the capture");
        assert!(is_missed(&e));
        assert_eq!(missed().to_string(), "not in the bundle");
        assert!(!is_missed(&io::Error::from_raw_os_error(2)));
        assert!(!is_missed(&io::Error::other("not in the bundle")));
    }

    #[test]
    fn records_then_plays_and_notes_misses() {
        let rec = Tape::recording();
        let got = rec.answer(
            &read("/etc/hostname"),
            || 7u32,
            |n| json!(n),
            |v| v.as_u64().map(|n| n as u32),
        );
        assert_eq!(got, Some(7));
        rec.answer(
            &read("/etc/shadow"),
            || 1u32,
            |n| json!(n),
            |v| v.as_u64().map(|n| n as u32),
        );
        let entries = rec.entries();
        assert_eq!(entries["read /etc/shadow"], json!({ "withheld": true }));
        let play = Tape::playing(entries, "not in the bundle");
        let _ = take_misses();
        assert_eq!(
            play.answer(
                &read("/etc/hostname"),
                || 0u32,
                |n| json!(n),
                |v| v.as_u64().map(|n| n as u32)
            ),
            Some(7)
        );
        assert!(take_misses().is_empty());
        for path in ["/etc/shadow", "/etc/other"] {
            let key = &read(path);
            assert_eq!(
                play.answer(key, || 0u32, |n| json!(n), |v| v.as_u64().map(|n| n as u32)),
                None
            );
        }
        assert_eq!(
            take_misses(),
            [
                "not in the bundle: read /etc/shadow",
                "not in the bundle: read /etc/other"
            ]
        );
    }

    #[test]
    fn file_texts_are_recorded_redacted_and_checks_read_them_whole() {
        let rec = Tape::recording();
        rec.redact_also(vec!["XCB_PIN".into()]);
        let text = |t: &str| {
            let t = t.to_string();
            move || t
        };
        let ok = |t: &String| json!({ "ok": t });
        let back = |v: &Value| v["ok"].as_str().map(str::to_string);
        let live = rec.answer(
            &read("/etc/default/xcbdaemon"),
            text("XCB_ROLE=master\nXCB_PASSWORD=pw-one\nXCB_PIN=4321\n"),
            ok,
            back,
        );
        assert_eq!(
            live.as_deref(),
            Some("XCB_ROLE=master\nXCB_PASSWORD=pw-one\nXCB_PIN=4321\n")
        );
        rec.answer(
            &Question::Run {
                program: PathBuf::from("/usr/sbin/drbdsetup"),
                args: vec!["show".into()],
            },
            text("net { shared-secret \"s-two\"; }"),
            |t| json!({ "stdout": t }),
            |v| v["stdout"].as_str().map(str::to_string),
        );
        // Kernel state is not a file of the box: as it was.
        rec.answer(&Question::Proc("cmdline".into()), text("KEY=x\n"), ok, back);
        let entries = rec.entries();
        assert_eq!(
            entries["read /etc/default/xcbdaemon"]["ok"],
            "XCB_ROLE=master\nXCB_PASSWORD=REDACTED\nXCB_PIN=REDACTED\n"
        );
        assert_eq!(
            entries["run /usr/sbin/drbdsetup show"]["stdout"],
            "net { shared-secret \"REDACTED\"; }"
        );
        assert_eq!(entries["proc cmdline"]["ok"], "KEY=x\n");
        assert_eq!(
            rec.redactions(),
            [
                "/etc/default/xcbdaemon: XCB_PASSWORD",
                "/etc/default/xcbdaemon: XCB_PIN",
                "/usr/sbin/drbdsetup show: shared-secret",
            ]
        );
        assert_eq!(rec.secret_values(), ["pw-one", "4321", "s-two"]);
    }

    #[test]
    fn keys_and_paths_withheld() {
        assert!(withheld("/etc/shadow"));
        assert!(withheld("/etc/ssh/ssh_host_ed25519_key"));
        assert!(withheld("/etc/ssl/private/x.key"));
        assert!(!withheld("/etc/shadowsocks.conf"));
        assert!(!withheld("/etc/network/run"));
    }
}
