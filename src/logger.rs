//! A minimal `log` backend for stderr that journald understands: when stderr is the
//! journal (systemd sets JOURNAL_STREAM), each line starts with a syslog priority
//! (`<4>` for warnings), which journald turns into the message's priority.

use log::{Level, LevelFilter, Log, Metadata, Record};
use std::io::Write;

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
        // Messages quote what the checks saw (a summary, an override's file): escaped,
        // one line each, so a log line can neither drive the terminal nor forge another.
        let text = crate::model::text::visible(&record.args().to_string(), false);
        let line = if self.journal {
            let priority = match record.level() {
                Level::Error => 3,
                Level::Warn => 4,
                Level::Info => 6,
                Level::Debug | Level::Trace => 7,
            };
            format!("<{priority}>{text}\n")
        } else {
            format!("ha-preflight: {text}\n")
        };
        // Progress is best effort: a closed stderr must not stop the checks.
        let _ = std::io::stderr().write_all(line.as_bytes());
    }

    fn flush(&self) {}
}

pub fn init(level: LevelFilter) {
    static JOURNAL: Logger = Logger { journal: true };
    static PLAIN: Logger = Logger { journal: false };
    let logger = if std::env::var_os("JOURNAL_STREAM").is_some() {
        &JOURNAL
    } else {
        &PLAIN
    };
    if log::set_logger(logger).is_ok() {
        log::set_max_level(level);
    }
}
