//! Kind `xmlrpc` (check xcbdaemon-rpc): xcbdaemon played by tests/xcbdaemon.py (Python's
//! standard-library XML-RPC server, a separate implementation) on loopback, healthy and
//! misbehaving: each row must end with its status and words within the check's timeout
//! plus 100 ms, without a panic.

use crate::common::{check, free_port, problems, run, scratch, summary, timed, xcbdaemon};
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
        let summary = summary(rpc);
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

// --- a reply nested 20,000 deep ---------------------------------------------------------

/// What every report says of the check that met a reply nested 20,000 arrays deep
/// (60,003 elements with methodResponse, params and param).
const DEEP: &str = "nests 60003 elements deep, more than the 64 this tool reads";

/// Runs `args` in every format: each must print its report with check `id` an `error`
/// naming the depth, and exit 3 (nagios: UNKNOWN, also 3), never SIGABRT.
fn deep_in_every_format(case: &str, args: &[&str], id: &str, found: &mut Vec<String>) {
    for format in ["json", "nagios", "human"] {
        let mut all = args.to_vec();
        all.extend(["--format", format]);
        let ran = run(&all);
        let said = match format {
            "json" => match serde_json::from_str::<serde_json::Value>(&ran.stdout) {
                Ok(report) => {
                    let c = check(&report, id);
                    if c["status"] != "error" {
                        found.push(format!("{case}: {id} is {}, not error", c["status"]));
                    }
                    summary(c).to_string()
                }
                Err(e) => format!("not JSON ({e})"),
            },
            "nagios" => ran.stdout.lines().next().unwrap_or_default().to_string(),
            _ => ran.stdout.clone(),
        };
        // The human report wraps its lines.
        let said = said.split_whitespace().collect::<Vec<_>>().join(" ");
        let nagios_ok = format != "nagios" || said.starts_with("HA-PREFLIGHT UNKNOWN");
        if ran.code != 3 || !said.contains(DEEP) || !nagios_ok {
            found.push(format!(
                "{case} --format {format}: exit {}, said {:?}, stderr {:?}",
                ran.code,
                said.chars().take(300).collect::<String>(),
                ran.stderr.chars().take(300).collect::<String>()
            ));
        }
    }
}

/// The body of xcbdaemon.py's `deep` mode.
fn deep_reply() -> String {
    format!(
        "<?xml version=\"1.0\"?><methodResponse><params><param>{}{}</param></params></methodResponse>\n",
        "<value><array><data>".repeat(20_000),
        "</data></array></value>".repeat(20_000)
    )
}

/// The hostile reply from the local daemon, from the leader XCB_MASTER names (any
/// address: loopback here) and in a bundle's tape: the XML-RPC parser recursed once per
/// level and overflowed a check thread's stack (SIGABRT, nothing on stdout). And a tape
/// nested as deep as JSON is a bundle that is not one, said so.
#[test]
fn a_reply_nested_20000_deep_is_an_error_naming_the_depth_in_every_format() {
    let dir = scratch("deep-reply");
    let mut found = Vec::new();
    let (_daemon, port) = xcbdaemon("127.0.0.1", 0, "deep", &[]);
    let url = format!("http://127.0.0.1:{port}/RPC2");
    let rpc = |url: &str| {
        format!(
            "[[check]]\nid = \"xcbdaemon-rpc\"\nkind = \"xmlrpc\"\nmodes = [\"boot\"]\n\
             url = \"{url}\"\ntimeout = \"2s\"\nwhy = \"w\"\nfix = \"f\"\n"
        )
    };
    let spec = dir.join("rpc.toml");
    std::fs::write(&spec, rpc(&url)).expect("write spec");
    let spec = spec.display().to_string();
    deep_in_every_format("xcbdaemon", &["--spec", &spec], "xcbdaemon-rpc", &mut found);

    std::fs::write(dir.join("sequence"), "T7 5053\n").expect("write sequence");
    std::fs::write(
        dir.join("xcbdaemon.env"),
        format!("XCB_MASTER=127.0.0.1:{port}\n"),
    )
    .expect("write env");
    let spec = dir.join("leader.toml");
    std::fs::write(
        &spec,
        format!(
            "[[check]]\nid = \"peer-sequence\"\nkind = \"sequence\"\nmodes = [\"boot\"]\n\
             local = \"{d}/sequence\"\n\
             peer_env = {{ path = \"{d}/xcbdaemon.env\", key = \"XCB_MASTER\" }}\n\
             timeout = \"2s\"\nwhy = \"w\"\nfix = \"f\"\n",
            d = dir.display()
        ),
    )
    .expect("write spec");
    let spec = spec.display().to_string();
    deep_in_every_format("leader", &["--spec", &spec], "peer-sequence", &mut found);

    // A bundle as `collect` writes it, by hand, with GNU tar.
    let top = dir.join("bundle/ha-preflight-bundle");
    std::fs::create_dir_all(top.join("spec")).expect("mkdir bundle");
    let bundle_url = "http://127.0.0.1:8000/RPC2";
    std::fs::write(top.join("spec/test.toml"), rpc(bundle_url)).expect("write spec");
    let meta = serde_json::json!({
        "tool": "ha-preflight", "version": "0.1.0", "host": "deep-box",
        "taken_at": 1_764_000_000, "taken": "2025-11-24 16:00:00 UTC",
        "spec": ["/etc/ha-preflight/checks.d/test.toml"],
    });
    std::fs::write(top.join("meta.json"), meta.to_string()).expect("write meta");
    let listed = ha_preflight::world::question::Question::Call {
        url: bundle_url.to_string(),
        method: "system.listMethods".to_string(),
        params: ha_preflight::world::xmlrpc::params_key(&[]),
    };
    let tape = serde_json::json!({
        listed.to_string(): { "reply": deep_reply() },
    });
    std::fs::write(top.join("tape.json"), tape.to_string()).expect("write tape");
    let tar = |name: &str| {
        let tar = dir.join(name).display().to_string();
        let made = std::process::Command::new("tar")
            .args(["--format=ustar", "-cf", &tar, "-C"])
            .arg(dir.join("bundle"))
            .arg("ha-preflight-bundle")
            .status();
        assert!(made.is_ok_and(|s| s.success()), "tar");
        tar
    };
    let bundle = tar("deep.tar");
    deep_in_every_format(
        "bundle",
        &["--bundle", &bundle],
        "xcbdaemon-rpc",
        &mut found,
    );

    // serde_json's own limit (128) holds for tape.json itself.
    let nested = format!("{{\"k\": {}{}}}", "[".repeat(20_000), "]".repeat(20_000));
    std::fs::write(top.join("tape.json"), nested).expect("write tape");
    let bundle = tar("deep-tape.tar");
    let ran = run(&["--bundle", &bundle, "--format", "json"]);
    if ran.code != 2
        || !ran
            .stderr
            .contains("not a support bundle: tape.json: recursion limit")
    {
        found.push(format!("deep tape.json: exit {}: {}", ran.code, ran.stderr));
    }
    assert!(found.is_empty(), "\n{}", found.join("\n"));
}
