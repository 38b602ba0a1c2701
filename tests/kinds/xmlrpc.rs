//! Kind `xmlrpc` (check xcbdaemon-rpc): xcbdaemon played by tests/xcbdaemon.py (Python's
//! standard-library XML-RPC server, a separate implementation) on loopback, healthy and
//! misbehaving: each row must end with its status and words within the check's timeout
//! plus 100 ms, without a panic.

use crate::common::{check, free_port, problems, scratch, timed, xcbdaemon};
use std::time::Duration;

// --- misbehaving daemons ------------------------------------------------------------

/// (xcbdaemon.py mode, or "refuse" for no listener; the check's status; words of its
/// summary).
const DAEMONS: &[(&str, &str, &str)] = &[
    ("refuse", "fail", "refused"),
    ("silent", "fail", "no answer"),
    ("dribble", "fail", "no answer"),
    ("slow-body", "fail", "reply body"),
    (
        "fault",
        "fail",
        "XML-RPC fault 42: xcbdaemon: cluster database locked",
    ),
    ("malformed", "fail", "malformed XML-RPC reply"),
    ("http500", "fail", "HTTP 500"),
    (
        "huge",
        "fail",
        "larger than the 1048576-byte limit (Content-Length 268435456)",
    ),
    (
        "huge-nolength",
        "fail",
        "larger than the 1048576-byte limit",
    ),
    ("entities", "fail", "malformed XML-RPC reply"),
    ("reset", "fail", "reset"),
    ("reset-mid-body", "fail", "reset"),
    // RFC 9110 15.2: interim 1xx replies are skipped, then the 200 is read.
    ("continue", "pass", "system.listMethods() answered"),
    (
        "gzip",
        "fail",
        "is gzip-encoded (Content-Encoding: gzip), which was not asked for",
    ),
];

/// The check's own timeout: the run's deadline for these rows.
const RPC_TIMEOUT: Duration = Duration::from_secs(1);

#[test]
fn misbehaving_daemons_fail_clearly_within_the_deadline() {
    let dir = scratch("hostile-daemons");
    let mut found = Vec::new();
    for &(mode, want_status, want_words) in DAEMONS {
        let (_daemon, port) = if mode == "refuse" {
            // Nothing listens on it.
            (None, free_port())
        } else {
            let (d, port) = xcbdaemon("127.0.0.1", 0, mode, &[]);
            (Some(d), port)
        };
        let spec = dir.join(format!("{mode}.toml"));
        std::fs::write(
            &spec,
            format!(
                "[[check]]\nid = \"xcbdaemon-rpc\"\nkind = \"xmlrpc\"\nmodes = [\"boot\"]\n\
                 url = \"http://127.0.0.1:{port}/RPC2\"\ntimeout = \"1s\"\nwhy = \"w\"\nfix = \"f\"\n"
            ),
        )
        .expect("write spec");
        let spec = spec.display().to_string();
        let (ran, took) = timed(&["--format", "json", "--spec", &spec], &[]);
        found.extend(problems(mode, &ran, took, RPC_TIMEOUT));
        let report = ran.json();
        let rpc = check(&report, "xcbdaemon-rpc");
        let summary = rpc["summary"].as_str().unwrap_or_default();
        if rpc["status"] != want_status || !summary.contains(want_words) {
            found.push(format!(
                "{mode}: expected {want_status} with {want_words:?}, got {} {summary:?}",
                rpc["status"]
            ));
        }
        let want_code = if want_status == "pass" { 0 } else { 1 };
        if ran.code != want_code {
            found.push(format!("{mode}: exit {}, expected {want_code}", ran.code));
        }
    }
    assert!(found.is_empty(), "\n{}", found.join("\n"));
}
