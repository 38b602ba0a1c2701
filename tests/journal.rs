//! The run's results as structured journal entries, read back as journald reads them:
//! from a real datagram socket in a temporary folder standing in for journald's
//! (`ha_preflight::testing::journald`), parsed by the native protocol's rules.
//!
//! In-process: the encoder and the socket (a datagram; an entry over 256 KiB through a
//! sealed memfd), the entries a run makes (which checks, their fields and priorities,
//! escaped text), and the catalog that explains their MESSAGE_IDs. End to end (root: a
//! mount namespace puts the stand-in at /run/systemd/journal/socket): the binary under a
//! JOURNAL_STREAM that names its stderr sends them, the same binary without it sends
//! nothing, and its report is the same either way. The real journald is image-tests/boot.

use crate::common;

use common::ns::{Layout, Scenario, strs};
use ha_preflight::engine::{self, CheckResult, Run};
use ha_preflight::model::{Finding, Mode, Outcome, Status};
use ha_preflight::report::journal::{VERDICT_ID, entries, message_id};
use ha_preflight::spec::{self, Spec};
use ha_preflight::testing::journald::{Carried, Fields, Listener, one, parse};
use ha_preflight::world::journal::{Entry, Journal};
use std::collections::BTreeSet;
use std::time::Duration;

#[test]
fn an_entry_reaches_the_socket_as_one_datagram() {
    let listener = Listener::new(None);
    let journal = Journal::open(listener.path()).expect("connects");
    let mut entry = Entry::new();
    entry
        .field("MESSAGE", "hello")
        .field("HA_PREFLIGHT_EVIDENCE", "one\ntwo");
    journal.send(&entry).expect("sent");
    let (bytes, carried) = listener.receive();
    assert_eq!(carried, Carried::Datagram);
    assert_eq!(bytes, entry.as_bytes());
    let fields = parse(&bytes);
    assert_eq!(one(&fields, "MESSAGE"), "hello");
    assert_eq!(one(&fields, "HA_PREFLIGHT_EVIDENCE"), "one\ntwo");
}

/// Larger than a datagram may be (the socket buffer's default is about 208 KiB): the
/// entry comes whole through a memfd, sealed against every change, as journald wants.
#[test]
fn a_large_entry_goes_through_a_sealed_memfd() {
    let listener = Listener::new(None);
    let journal = Journal::open(listener.path()).expect("connects");
    let big = "a line of evidence\n".repeat(300 * 1024 / 19);
    let mut entry = Entry::new();
    entry
        .field("MESSAGE", "big")
        .field("HA_PREFLIGHT_EVIDENCE", &big);
    assert!(entry.as_bytes().len() > 256 * 1024);
    journal.send(&entry).expect("sent");
    let (bytes, carried) = listener.receive();
    assert_eq!(carried, Carried::Memfd, "{} bytes", bytes.len());
    // Compared whole, but not printed whole when they differ.
    assert_eq!(bytes.len(), entry.as_bytes().len());
    assert!(bytes == entry.as_bytes(), "the memfd holds other bytes");
    assert!(one(&parse(&bytes), "HA_PREFLIGHT_EVIDENCE") == big);
}

fn result<'a>(spec: &'a Spec, id: &str, status: Status, summary: &str) -> CheckResult<'a> {
    let finding = match status {
        Status::Pass => Finding::Pass,
        Status::Warn => Finding::Warn,
        Status::Fail | Status::Blocked => Finding::Fail,
        Status::Wait => Finding::Wait,
        Status::Skip => Finding::Skip,
        Status::Error => Finding::Error,
    };
    CheckResult {
        check: spec.get(id).unwrap_or_else(|| panic!("no check {id}")),
        status,
        outcome: Outcome::new(finding, summary),
        root_cause: None,
        blocked_by: None,
        duration: Duration::from_millis(1),
        skipped_by_operator: false,
    }
}

fn run_of(results: Vec<CheckResult<'_>>) -> Run<'_> {
    let verdict = engine::verdict(&results);
    Run {
        results,
        verdict,
        duration: Duration::from_millis(42),
        rounds: 1,
    }
}

/// A run with every status a check can end with: the incident's chain (netrun-layout,
/// and netrun-stale, lo-up and xcbdaemon-rpc after it), a warning with a critical check
/// blocked behind it, a skip, a check that could not look and one still waiting.
fn incident(spec: &Spec) -> Run<'_> {
    let get = |id: &str| spec.get(id).expect("a shipped check");
    let mut layout = result(
        spec,
        "netrun-layout",
        Status::Fail,
        "/etc/network/run is a real directory\x1b]0;pwned\x07",
    );
    layout.outcome.evidence = vec![
        "/etc/network/run: directory on /dev/vda".into(),
        "ifstate holds lo=lo\x1b[2J".into(),
    ];
    layout.outcome.fix = Some("Make it a link again:\n  rm -rf /etc/network/run\x1b[1m".into());
    let mut stale = result(spec, "netrun-stale", Status::Fail, "ifup will skip lo");
    stale.root_cause = Some(get("netrun-layout"));
    stale.outcome.fix = Some("Remove the record.".into());
    let mut lo = result(spec, "lo-up", Status::Fail, "lo is down");
    lo.root_cause = Some(get("netrun-layout"));
    lo.outcome.fix = Some("ip link set lo up".into());
    let mut rpc = result(
        spec,
        "xcbdaemon-rpc",
        Status::Blocked,
        "not run: lo-up failed",
    );
    rpc.blocked_by = Some(get("lo-up"));
    rpc.root_cause = Some(get("netrun-layout"));
    let mut shm = result(
        spec,
        "shm-tmpfs",
        Status::Error,
        "cannot read /proc/self/mountinfo",
    );
    shm.outcome.fix = Some("Let it read /proc.".into());
    let drbd = result(spec, "drbd-consistent", Status::Skip, "no DRBD resources");
    let mut fs = result(spec, "fs-errors", Status::Wait, "fsck still running");
    fs.outcome.fix = Some("Wait for it.".into());
    let mut sync = result(spec, "sync-age", Status::Warn, "last sync 9 days ago");
    sync.outcome.fix = Some("Sync.".into());
    let mut peer = result(spec, "peer-sequence", Status::Blocked, "not run: sync-age");
    peer.blocked_by = Some(get("sync-age"));
    peer.root_cause = Some(get("sync-age"));
    let locks = result(spec, "stale-locks", Status::Pass, "no stale locks");
    // In the spec's order, as a run has them.
    let mut results = vec![shm, layout, stale, lo, rpc, drbd, locks, fs, sync, peer];
    results.sort_by_key(|r| spec.checks.iter().position(|c| r.is_of(c)));
    run_of(results)
}

/// The entries of a run, sent through the socket and read back.
fn sent_and_read(run: &Run, mode: Mode) -> Vec<Fields> {
    let listener = Listener::new(None);
    let journal = Journal::open(listener.path()).expect("connects");
    let made = entries(run, mode);
    for entry in &made {
        journal.send(entry).expect("sent");
    }
    (0..made.len())
        .map(|_| {
            let (bytes, carried) = listener.receive();
            assert_eq!(carried, Carried::Datagram);
            parse(&bytes)
        })
        .collect()
}

#[test]
fn a_run_gives_one_entry_per_check_that_did_not_pass_then_the_verdict() {
    let spec = spec::built_in().expect("the built-in spec");
    let run = incident(&spec);
    let got = sent_and_read(&run, Mode::Boot);
    let (verdict, checks) = got.split_last().expect("entries");

    let ids: Vec<&str> = checks
        .iter()
        .map(|f| one(f, "HA_PREFLIGHT_CHECK"))
        .collect();
    let not_passed: Vec<&str> = run
        .results
        .iter()
        .filter(|r| r.status != Status::Pass)
        .map(|r| r.check.id.as_str())
        .collect();
    assert_eq!(
        ids, not_passed,
        "the checks that did not pass, in the run's order"
    );

    let field = |id: &str, name: &str| -> String {
        let f = checks
            .iter()
            .find(|f| one(f, "HA_PREFLIGHT_CHECK") == id)
            .unwrap_or_else(|| panic!("no entry for {id}"));
        f.get(name).map(|v| v.join("|")).unwrap_or_default()
    };
    // PRIORITY by what each counts as: err for what shuts the gate, warning for a
    // warning, notice for a check blocked behind a failure, info for a skip.
    for (id, priority) in [
        ("shm-tmpfs", "3"),
        ("netrun-layout", "3"),
        ("netrun-stale", "3"),
        ("lo-up", "3"),
        ("xcbdaemon-rpc", "5"),
        ("drbd-consistent", "6"),
        ("fs-errors", "3"),
        ("sync-age", "4"),
        // A critical check blocked behind a mere warning did not run: that fails.
        ("peer-sequence", "3"),
    ] {
        assert_eq!(field(id, "PRIORITY"), priority, "{id}");
    }
    for f in checks {
        let id = one(f, "HA_PREFLIGHT_CHECK");
        let r = run
            .results
            .iter()
            .find(|r| r.check.id == id)
            .expect("a result");
        assert_eq!(one(f, "HA_PREFLIGHT_STATUS"), r.status.as_str(), "{id}");
        assert_eq!(
            one(f, "HA_PREFLIGHT_SEVERITY"),
            r.check.severity.to_string(),
            "{id}"
        );
        assert_eq!(one(f, "HA_PREFLIGHT_MODE"), "boot", "{id}");
        assert_eq!(one(f, "HA_PREFLIGHT_KIND"), r.check.kind.name, "{id}");
        assert_eq!(one(f, "SYSLOG_IDENTIFIER"), "ha-preflight", "{id}");
        assert_eq!(
            Some(one(f, "MESSAGE_ID")),
            message_id(r.status),
            "{id}: the status's MESSAGE_ID"
        );
    }
    assert_eq!(
        field("netrun-layout", "HA_PREFLIGHT_ROOT_CAUSE"),
        "netrun-layout"
    );
    assert_eq!(field("lo-up", "HA_PREFLIGHT_ROOT_CAUSE"), "netrun-layout");
    assert_eq!(
        field("xcbdaemon-rpc", "HA_PREFLIGHT_ROOT_CAUSE"),
        "netrun-layout"
    );
    assert_eq!(field("xcbdaemon-rpc", "HA_PREFLIGHT_BLOCKED_BY"), "lo-up");
    assert_eq!(
        field("drbd-consistent", "HA_PREFLIGHT_ROOT_CAUSE"),
        "",
        "a skip has none"
    );
    assert_eq!(
        field("drbd-consistent", "HA_PREFLIGHT_FIX"),
        "",
        "a skip has no fix"
    );
    assert_eq!(
        field("lo-up", "MESSAGE"),
        "FAIL lo-up: lo is down [root cause: netrun-layout]",
        "the report's line for the check"
    );

    // Outside text escaped as the report escapes it; evidence and fix keep their lines.
    assert_eq!(
        field("netrun-layout", "MESSAGE"),
        "FAIL netrun-layout: /etc/network/run is a real directory\\x1b]0;pwned\\x07"
    );
    assert_eq!(
        field("netrun-layout", "HA_PREFLIGHT_EVIDENCE"),
        "/etc/network/run: directory on /dev/vda\nifstate holds lo=lo\\x1b[2J"
    );
    assert_eq!(
        field("netrun-layout", "HA_PREFLIGHT_FIX"),
        "Make it a link again:\n  rm -rf /etc/network/run\\x1b[1m"
    );
    for f in &got {
        for (name, values) in f {
            for v in values {
                assert!(
                    !v.chars().any(|c| c.is_control() && c != '\n'),
                    "{name}={v:?}: a control character"
                );
                if name == "MESSAGE" {
                    assert!(!v.contains('\n'), "MESSAGE is one line: {v:?}");
                }
            }
        }
    }

    // The verdict: the report's last line, every root cause a field of its own, at
    // notice (the err entries are the checks').
    assert_eq!(one(verdict, "HA_PREFLIGHT_VERDICT"), "fail");
    assert_eq!(one(verdict, "MESSAGE_ID"), VERDICT_ID);
    assert_eq!(one(verdict, "PRIORITY"), "5");
    assert_eq!(one(verdict, "HA_PREFLIGHT_MODE"), "boot");
    assert!(!verdict.contains_key("HA_PREFLIGHT_CHECK"));
    let roots: Vec<&str> = engine::root_causes(&run)
        .iter()
        .map(|r| r.check.id.as_str())
        .collect();
    assert_eq!(verdict["HA_PREFLIGHT_ROOT_CAUSE"], roots);
    assert!(roots.contains(&"netrun-layout"), "{roots:?}");
    let message = one(verdict, "MESSAGE");
    assert!(
        message.starts_with("verdict: fail, root cause ") && message.ends_with(" in 42.0 ms"),
        "{message}"
    );
}

#[test]
fn a_run_that_passes_is_its_skips_and_the_verdict_at_info() {
    let spec = spec::built_in().expect("the built-in spec");
    let run = run_of(vec![
        result(&spec, "lo-up", Status::Pass, "lo is up"),
        result(&spec, "drbd-consistent", Status::Skip, "no DRBD resources"),
    ]);
    let got = sent_and_read(&run, Mode::Image);
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(one(&got[0], "HA_PREFLIGHT_CHECK"), "drbd-consistent");
    assert_eq!(one(&got[0], "PRIORITY"), "6");
    assert_eq!(one(&got[0], "HA_PREFLIGHT_MODE"), "image");
    assert_eq!(one(&got[1], "HA_PREFLIGHT_VERDICT"), "pass");
    assert_eq!(one(&got[1], "PRIORITY"), "6");
    assert!(!got[1].contains_key("HA_PREFLIGHT_ROOT_CAUSE"));
}

/// The catalog explains every MESSAGE_ID the entries carry, and no other; each of its
/// `@FIELD@`s is a field every entry of that id has, short enough for journalctl to
/// fill in (longer values it shows as the field's name).
#[test]
fn the_catalog_explains_every_message_id_with_fields_the_entries_carry() {
    let text = std::fs::read_to_string(common::repo().join("systemd/ha-preflight.catalog"))
        .expect("systemd/ha-preflight.catalog");
    let mut sections: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        if let Some(id) = line.strip_prefix("-- ") {
            sections.push((id.trim().to_string(), String::new()));
        } else if let Some((_, body)) = sections.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    let ids: BTreeSet<&str> = sections.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids.len(), sections.len(), "an id twice");
    let mut want: BTreeSet<&str> = Status::ALL.into_iter().filter_map(message_id).collect();
    want.insert(VERDICT_ID);
    assert_eq!(ids, want);
    for (id, body) in &sections {
        assert_eq!(id.len(), 32, "{id}");
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert!(body.starts_with("Subject: "), "{id}: {body}");
    }

    let spec = spec::built_in().expect("the built-in spec");
    let run = incident(&spec);
    let got = sent_and_read(&run, Mode::Boot);
    let mut seen = BTreeSet::new();
    for f in &got {
        let id = one(f, "MESSAGE_ID");
        seen.insert(id.to_string());
        let (_, body) = sections
            .iter()
            .find(|(i, _)| i == id)
            .expect("a catalog entry");
        for var in body.split('@').skip(1).step_by(2) {
            let value = one(f, var);
            assert!(value.len() < 256, "{id}: @{var}@ is {} bytes", value.len());
        }
    }
    // The run above has every status but pass, and a verdict.
    assert_eq!(seen.len(), want.len(), "{seen:?}");
}

/// The binary itself, in a box whose netrun-layout fails, under a JOURNAL_STREAM naming
/// its stdout (as systemd sets it for the unit), with the stand-in at journald's path:
/// it sends an entry per check that did not pass and the verdict. The same run without
/// the variable, with one naming another stream or only stderr, or with the report in
/// a file, sends nothing, and the report on stdout is the same in each; nor does a
/// bundle's replay under the stream (another box's verdict).
#[test]
fn the_binary_under_the_journal_sends_its_results_and_prints_the_same_report() {
    if common::skip_unless_root(
        "the_binary_under_the_journal_sends_its_results_and_prints_the_same_report",
        "a mount namespace to put the stand-in at /run/systemd/journal/socket",
    ) {
        return;
    }
    let listener = Listener::new(None);
    let dir = listener.dir().display().to_string();
    // /run is the namespace's own tmpfs by now (common::ns).
    let bind = format!("mkdir -p /run/systemd/journal\nmount --bind {dir} /run/systemd/journal\n");
    let scenario = |name, stream: &str, args: &[&str]| Scenario {
        layout: Layout::RealDir,
        extra: format!("{bind}{stream}"),
        args: strs(args),
        ..Scenario::healthy(name)
    };
    // What systemd sets: the device and inode of the stream it connected, here the
    // pipe the test reads stdout from (the shell's: $$ is it inside $(...) too).
    let stream = "export JOURNAL_STREAM=$(stat -L -c %d:%i /proc/$$/fd/1)\n";
    let Some((under, _)) = scenario("journal-under", stream, &["boot"]).run() else {
        return;
    };
    let mut got = Vec::new();
    while let Some((bytes, _)) = listener.receive_within(Duration::from_millis(500)) {
        got.push(parse(&bytes));
    }
    // Not where the report goes: no variable, one naming another stream (inherited by
    // a program whose output went elsewhere), or naming only stderr, or the report in
    // a file; or not this box's results.
    let (plain, _) = scenario("journal-plain", "unset JOURNAL_STREAM\n", &["boot"])
        .run()
        .expect("root");
    let (other, _) = scenario("journal-other", "export JOURNAL_STREAM=1:2\n", &["boot"])
        .run()
        .expect("root");
    let stderr_only = "export JOURNAL_STREAM=$(stat -L -c %d:%i /proc/$$/fd/2)\n";
    let (to_stderr, _) = scenario("journal-stderr", stderr_only, &["boot"])
        .run()
        .expect("root");
    let report = common::scratch("journal-output");
    let file = report.join("report.txt").display().to_string();
    let (to_file, _) = scenario("journal-output", stream, &["boot", "--output", &file])
        .run()
        .expect("root");
    assert_eq!(to_file.code, under.code, "{}", to_file.stderr);
    // Another box's results: a bundle's replay, under the same stream.
    let bundle = common::fixture("bundle/incident.tar").display().to_string();
    let (replay, _) = scenario("journal-bundle", stream, &["--bundle", &bundle])
        .run()
        .expect("root");
    assert!(
        replay.stdout.contains("judged: bundle"),
        "{}",
        replay.stdout
    );
    assert!(
        listener
            .receive_within(Duration::from_millis(500))
            .is_none(),
        "an entry from a run outside the journal"
    );
    let (json, _) = scenario("journal-json", "", &["boot", "--format", "json"])
        .run()
        .expect("root");

    // The same report, and the same exit status, whatever the journal got: only the
    // time the run took may differ.
    let untimed = |s: &str| -> String {
        s.lines()
            .map(|l| match l.rfind(" in ") {
                Some(at) if l.starts_with("verdict: ") => &l[..at],
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(untimed(&under.stdout), untimed(&plain.stdout));
    assert_eq!(untimed(&under.stdout), untimed(&other.stdout));
    assert_eq!(untimed(&under.stdout), untimed(&to_stderr.stdout));
    assert_eq!(under.code, plain.code);
    assert!(
        under.stdout.contains("root cause: netrun-layout"),
        "{}",
        under.stdout
    );

    let report = json.json();
    let not_passed: Vec<(String, String)> = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["status"] != "pass")
        .map(|c| {
            (
                c["id"].as_str().unwrap_or_default().to_string(),
                c["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let (verdict, checks) = got.split_last().expect("entries from the run");
    let sent: Vec<(String, String)> = checks
        .iter()
        .map(|f| {
            (
                one(f, "HA_PREFLIGHT_CHECK").to_string(),
                one(f, "HA_PREFLIGHT_STATUS").to_string(),
            )
        })
        .collect();
    assert_eq!(sent, not_passed, "one entry per check that did not pass");
    assert_eq!(one(verdict, "HA_PREFLIGHT_VERDICT"), "fail");
    assert_eq!(verdict["HA_PREFLIGHT_ROOT_CAUSE"], ["netrun-layout"]);
    let layout = checks
        .iter()
        .find(|f| one(f, "HA_PREFLIGHT_CHECK") == "netrun-layout")
        .expect("netrun-layout's entry");
    assert_eq!(one(layout, "PRIORITY"), "3");
    assert_eq!(one(layout, "HA_PREFLIGHT_ROOT_CAUSE"), "netrun-layout");
    assert!(layout.contains_key("HA_PREFLIGHT_FIX"), "{layout:#?}");
}
