//! A minimal `log` backend for stderr that journald understands: when stderr is the
//! journal (JOURNAL_STREAM names it, `world::journal::is_stream`), each line starts with
//! a syslog priority (`<4>` for warnings), which journald turns into the message's
//! priority. A message longer than a console line goes on as many as it needs, each a
//! line of its own. Log lines stay on stderr even then: they are progress for the
//! console, and the run's results reach the journal as entries of their own (`app`).

use crate::report::human::WIDTH;
use crate::report::layout::wrap;
use log::{Level, LevelFilter, Log, Metadata, Record};
use std::io::Write;

/// What a log line starts with on a terminal or in a file.
const PREFIX: &str = "ha-preflight: ";

struct Logger {
    journal: bool,
}

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        // Messages quote what the checks saw (a summary, an override's file): escaped
        // (by `wrap`), no raw line end, so a log line can neither drive the terminal nor
        // forge another. Wrapped to 80 columns with what goes before it: the progress of
        // `--wait` reaches the serial console.
        let text = record.args().to_string();
        let mut out = String::new();
        if self.journal {
            let priority = match record.level() {
                Level::Error => 3,
                Level::Warn => 4,
                Level::Info => 6,
                Level::Debug | Level::Trace => 7,
            };
            // The console shows a journal line after "ha-preflight[PID]: " (journald's
            // forwarding of a unit's stream).
            let room =
                WIDTH.saturating_sub(format!("ha-preflight[{}]: ", std::process::id()).len());
            for line in wrap(&text, "", "  ", room) {
                out.push_str(&format!("<{priority}>{line}\n"));
            }
        } else {
            let room = WIDTH - PREFIX.len();
            for line in wrap(&text, "", "  ", room) {
                out.push_str(&format!("{PREFIX}{line}\n"));
            }
        }
        // Progress is best effort: a closed stderr must not stop the checks.
        let _ = std::io::stderr().write_all(out.as_bytes());
    }

    fn flush(&self) {}
}

pub fn init(level: LevelFilter) {
    static JOURNAL: Logger = Logger { journal: true };
    static PLAIN: Logger = Logger { journal: false };
    let logger = if crate::world::journal::is_stream(std::io::stderr()) {
        &JOURNAL
    } else {
        &PLAIN
    };
    if log::set_logger(logger).is_ok() {
        log::set_max_level(level);
    }
}
