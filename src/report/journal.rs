//! A run as journal entries, for a fleet to query across boxes and boots: one entry for
//! each check that did not pass, then one for the verdict. Each carries the check's id,
//! status, severity, root cause and the run's mode as fields of their own
//! (`journalctl HA_PREFLIGHT_CHECK=lo-up`), a PRIORITY that follows the status
//! (`journalctl -p err` lists the checks that shut the gate), and a MESSAGE_ID per status
//! that systemd/ha-preflight.catalog explains for `journalctl -x`.
//!
//! The human report still goes to standard output, which the unit sends to the journal
//! (at PRIORITY=6, info) and the console: these entries add the fields, not a second
//! copy of every line. A check that passed has no entry: the verdict's counts it.

use super::human;
use crate::engine::{CheckResult, Run, effective, root_causes};
use crate::model::text::visible;
use crate::model::{Mode, Status};
use crate::world::journal::Entry;

/// syslog(3)'s priorities, as PRIORITY= takes them.
const ERR: u8 = 3;
const WARNING: u8 = 4;
const NOTICE: u8 = 5;
const INFO: u8 = 6;

/// The MESSAGE_ID of a check's entry, one per status (a passed check has none: it has
/// no entry). Made once (`python3 -c 'import uuid; print(uuid.uuid4().hex)'`) and never
/// changed: fleets query them, and the catalog is keyed by them.
pub fn message_id(status: Status) -> Option<&'static str> {
    Some(match status {
        Status::Pass => return None,
        Status::Warn => "cf51304249e74f2a82a83d0c4078eb24",
        Status::Fail => "92ccb90a0d8b46ec843958a8aff0f5d0",
        Status::Wait => "25bcc56dcae94d77b37439a7204c3253",
        Status::Skip => "adc1e0c2ea144191857e2dbf16cc1424",
        Status::Blocked => "85a4816943f641a2bbb9bc9c0ae765af",
        Status::Error => "74d318ffbb1a4c66b665266b7ea3f817",
    })
}

/// The MESSAGE_ID of the verdict's entry, whatever the verdict.
pub const VERDICT_ID: &str = "05aa50d9dc9f439eb7902cb40ad9d1a7";

/// What SYSLOG_IDENTIFIER says, the same as journald gives the unit's stdout lines, so
/// `journalctl -t ha-preflight` shows both.
const IDENTIFIER: &str = "ha-preflight";

/// The entries of a run: the checks that did not pass, in the run's order, then the
/// verdict.
pub fn entries(run: &Run, mode: Mode) -> Vec<Entry> {
    let mut out: Vec<Entry> = run
        .results
        .iter()
        .filter(|r| r.status != Status::Pass)
        .map(|r| check_entry(run, r, mode))
        .collect();
    out.push(verdict_entry(run, mode));
    out
}

/// A check's PRIORITY: by what it counts as in the verdict (`effective`). err for a
/// failure that shuts the gate (fail, error, a wait that did not settle, a critical
/// check blocked behind a warning), warning for a warning, notice for a check blocked
/// behind a failure (the failure has its own err entry, so `-p err` names each broken
/// check once), info for a skip.
fn priority(run: &Run, r: &CheckResult) -> u8 {
    match effective(&run.results, r) {
        Status::Fail | Status::Error | Status::Wait => ERR,
        Status::Warn => WARNING,
        _ if r.status == Status::Blocked => NOTICE,
        _ => INFO,
    }
}

fn check_entry(run: &Run, r: &CheckResult, mode: Mode) -> Entry {
    let check = r.check;
    // The report's line for the check, unpadded: `FAIL lo-up: lo is down [root cause:
    // netrun-layout]`. Its summary may quote what the check saw: escaped, one line.
    let mut message = format!(
        "{} {}: {}",
        human::status_word(r.status),
        check.id,
        r.outcome.summary
    );
    if let Some(root) = r.root_cause {
        message.push_str(&format!(" [root cause: {}]", root.id));
    }
    let mut entry = Entry::new();
    entry
        .field("MESSAGE", &visible(&message, false))
        .field("PRIORITY", &priority(run, r).to_string())
        .field("SYSLOG_IDENTIFIER", IDENTIFIER)
        .field("HA_PREFLIGHT_CHECK", &check.id)
        .field("HA_PREFLIGHT_STATUS", r.status.as_str())
        .field("HA_PREFLIGHT_SEVERITY", &check.severity.to_string())
        .field("HA_PREFLIGHT_MODE", &mode.to_string())
        .field("HA_PREFLIGHT_KIND", check.kind.name);
    if let Some(id) = message_id(r.status) {
        entry.field("MESSAGE_ID", id);
    }
    // The failure this one follows from, or its own id when nothing else explains it: a
    // query for one root cause finds the failure and everything it led to.
    if r.status.is_failure() {
        entry.field("HA_PREFLIGHT_ROOT_CAUSE", &r.root_cause.unwrap_or(check).id);
    }
    if let Some(blocker) = r.blocked_by {
        entry.field("HA_PREFLIGHT_BLOCKED_BY", &blocker.id);
    }
    if !r.outcome.evidence.is_empty() {
        let lines: Vec<String> = r
            .outcome
            .evidence
            .iter()
            .map(|e| visible(&e.text, false))
            .collect();
        entry.field("HA_PREFLIGHT_EVIDENCE", &lines.join("\n"));
    }
    if let Some(fix) = r.outcome.fix.as_deref().filter(|f| !f.is_empty()) {
        entry.field("HA_PREFLIGHT_FIX", &visible(fix, true));
    }
    entry
}

/// The verdict: the report's last line as MESSAGE, every root cause as a field of its
/// own. At notice when the run did not pass, not err: the checks that shut the gate are
/// the err entries, each once.
fn verdict_entry(run: &Run, mode: Mode) -> Entry {
    let roots = root_causes(run);
    let line = human::verdict_line(run, &roots, &human::Screen::plain());
    let priority = if run.verdict == Status::Pass {
        INFO
    } else {
        NOTICE
    };
    let mut entry = Entry::new();
    entry
        .field("MESSAGE", &visible(&line, false))
        .field("PRIORITY", &priority.to_string())
        .field("SYSLOG_IDENTIFIER", IDENTIFIER)
        .field("MESSAGE_ID", VERDICT_ID)
        .field("HA_PREFLIGHT_VERDICT", run.verdict.as_str())
        .field("HA_PREFLIGHT_MODE", &mode.to_string());
    for root in roots {
        entry.field("HA_PREFLIGHT_ROOT_CAUSE", &root.check.id);
    }
    entry
}
