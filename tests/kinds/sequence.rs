//! Kind `sequence` (check peer-sequence): a python XML-RPC leader over loopback with the
//! field report's numbers, and, in a network namespace, a leader that refuses, hangs or
//! is not there.

use crate::common::{
    self, Ran, check, evidence, free_port, repo, scratch, skip_unless_root, summary, xcbdaemon,
};
use crate::kinds::support::only;
use serde_json::Value;
use std::fs;
use std::path::Path;
use std::process::Command;

// --- peer-sequence ---------------------------------------------------------------

fn seq_spec(dir: &Path, peer: &str, extra: &str) -> String {
    format!(
        r#"[[check]]
id = "peer-sequence"
kind = "sequence"
modes = ["boot"]
why = "test"
fix = "test"
local = "{d}/sequence"
{peer}
max_lag = 1000
timeout = "1s"
{extra}
"#,
        d = dir.display()
    )
}

/// The master's numbers in seed 000 (boksdiag sequence on the master).
const MASTER: &str = r#"{"T7": 5053, "T9": 7919, "T15": 1865}"#;

#[test]
fn sequence_numbers_against_a_leader_over_xml_rpc() {
    let dir = scratch("seq-loopback");
    fs::write(dir.join("master.json"), MASTER).unwrap();
    let port = free_port();
    let master_json = dir.join("master.json").display().to_string();
    let _leader = xcbdaemon("127.0.0.1", port, "ok", &["--sequence", &master_json]);
    let spec = seq_spec(
        &dir,
        &format!("peer = \"http://127.0.0.1:{port}/RPC2\""),
        "",
    );
    let local = dir.join("sequence");
    let cases = [
        (
            "T7 5053\nT9 7919\nT15 1865\n",
            "pass",
            "in step with its leader on 3, at most 0 behind",
        ),
        (
            "T7 5000\nT9 7900\nT15 1865\n",
            "pass",
            "in step with its leader on 3, at most 53 behind",
        ),
        (
            "T7 53\nT9 7919\nT15 1865\n",
            "warn",
            "5000 behind its leader on T7 (max_lag 1000)",
        ),
        (
            "T7 6982\nT9 10258\nT15 2043\n",
            "fail",
            "ahead of its leader on 3 of 3: T15 2043 > 1865, T7 6982 > 5053, T9 10258 > 7919",
        ),
    ];
    for (numbers, status, want) in cases {
        fs::write(&local, numbers).unwrap();
        let c = only(&dir, &spec, &[]);
        assert_eq!(c["status"], status, "{numbers}{c:#}");
        assert_eq!(summary(&c), want, "{c:#}");
    }
    fs::write(&local, "T7 five thousand\n").unwrap();
    let c = only(&dir, &spec, &[]);
    assert_eq!(c["status"], "error", "{c:#}");
    assert!(
        summary(&c).contains("line 1: \"five thousand\" is not a sequence number"),
        "{c:#}"
    );
}

#[test]
fn a_node_without_data_or_without_a_leader_skips() {
    let dir = scratch("seq-skip");
    let env = format!(
        "peer_env = {{ path = \"{}/xcbdaemon.env\", key = \"XCB_MASTER\" }}",
        dir.display()
    );
    let spec = seq_spec(&dir, &env, "");
    let c = only(&dir, &spec, &[]);
    assert_eq!(c["status"], "skip", "{c:#}");
    assert!(summary(&c).contains("keeps no replicated data"), "{c:#}");
    fs::write(dir.join("sequence"), "T7 1\n").unwrap();
    let c = only(&dir, &spec, &[]);
    assert_eq!(c["status"], "skip", "{c:#}");
    assert!(summary(&c).contains("follows no one"), "{c:#}");
    fs::write(dir.join("xcbdaemon.env"), "XCB_MASTER=peer.example\n").unwrap();
    let c = only(&dir, &spec, &[]);
    assert_eq!(c["status"], "error", "{c:#}");
    assert!(summary(&c).contains("is not an IP address"), "{c:#}");
}

/// The leader on another address, in a network namespace of its own: a bridge with no
/// ports holds the leader's address 192.0.2.2, and 192.0.2.99 is an address on its
/// segment that nobody answers for (ARP goes out and nothing comes back).
#[test]
fn a_leader_that_answers_refuses_hangs_or_is_not_there() {
    let test = "a_leader_that_answers_refuses_hangs_or_is_not_there";
    if skip_unless_root(test, "a network namespace with a non-loopback address") {
        return;
    }
    let dir = scratch("seq-netns");
    fs::write(dir.join("master.json"), MASTER).unwrap();
    fs::write(dir.join("sequence"), "T7 5050\nT9 7919\nT15 1865\n").unwrap();
    let env = format!(
        "peer_env = {{ path = \"{}/xcbdaemon.env\", key = \"XCB_MASTER\" }}",
        dir.display()
    );
    fs::write(dir.join("error.toml"), seq_spec(&dir, &env, "")).unwrap();
    fs::write(
        dir.join("warn.toml"),
        seq_spec(&dir, &env, "unreachable = \"warn\""),
    )
    .unwrap();
    let script = r#"
ip link set lo up
ip link add leader0 type bridge
ip addr add 192.0.2.2/24 dev leader0
ip link set leader0 up
daemon() { python3 "$REPO/tests/xcbdaemon.py" --host 192.0.2.2 --port "$1" --mode "$2" \
             --sequence "$D/master.json" --lifetime 20 > "$D/daemon-$1.out" 2>&1 &
           i=0; until grep -q ready "$D/daemon-$1.out"; do i=$((i+1)); [ $i -lt 200 ] || exit 99; sleep 0.05; done; }
daemon 8000 ok
daemon 8001 silent
run() { echo "XCB_MASTER=$2" > "$D/xcbdaemon.env"
        start=$(date +%s%N)
        "$BIN" boot --format json --spec "$D/$3.toml" > "$D/$1.json" || true
        echo $(( ($(date +%s%N) - start) / 1000000 )) > "$D/$1.ms"; }
run answers 192.0.2.2 error
run port 192.0.2.2:8000 error
run url http://192.0.2.2:8000/RPC2 error
run refused 192.0.2.2:8002 error
run hangs 192.0.2.2:8001 error
run absent 192.0.2.99 error
run absent-warn 192.0.2.99 warn
"#;
    let ran: Ran = Command::new("unshare")
        .args(["-n", "sh", "-eu", "-c", script])
        .env("D", &dir)
        .env("BIN", common::bin())
        .env("REPO", repo())
        .output()
        .expect("unshare")
        .into();
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    let result = |name: &str| -> (Value, u64) {
        let text = fs::read_to_string(dir.join(format!("{name}.json"))).unwrap();
        let report: Value = serde_json::from_str(&text).unwrap();
        let ms = fs::read_to_string(dir.join(format!("{name}.ms")))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        (check(&report, "peer-sequence").clone(), ms)
    };
    for name in ["answers", "port", "url"] {
        let (c, _) = result(name);
        assert_eq!(c["status"], "pass", "{name}: {c:#}");
        assert!(evidence(&c).contains("http://192.0.2.2:8000/RPC2"), "{c:#}");
    }
    let (c, _) = result("refused");
    assert_eq!(c["status"], "error", "{c:#}");
    assert!(summary(&c).contains("refused"), "{c:#}");
    // The check's timeout is 1s; the process, with start-up, well within 2s.
    for name in ["hangs", "absent"] {
        let (c, ms) = result(name);
        assert_eq!(c["status"], "error", "{name}: {c:#}");
        assert!(summary(&c).contains("no answer from"), "{name}: {c:#}");
        assert!(ms < 2000, "{name} took {ms} ms");
    }
    let (c, _) = result("absent-warn");
    assert_eq!(c["status"], "warn", "{c:#}");
}

/// A leader that accepts the connection and never answers: the error names it every
/// time. The check's network timeout and its deadline in the engine are the same
/// instant; the engine gives a check 100 ms past it to report its own timeout. A socket
/// timeout (SO_RCVTIMEO) rides the kernel's timer wheel, whose slots at a few seconds
/// are 64 to 640 jiffies wide (HZ 1000 to 100 at 6 s): such a timeout fires up to a slot
/// late, so it lost that race, and the engine's bare "abandoned" message without the
/// leader's address won, two runs in three. Twelve runs started 45 ms apart land at
/// every point of a slot; all of them must name the leader.
#[test]
fn a_leader_that_accepts_and_never_answers_is_named_every_time() {
    let dir = scratch("seq-silent");
    fs::write(dir.join("sequence"), "T7 5050\n").unwrap();
    let port = free_port();
    let _leader = xcbdaemon("127.0.0.1", port, "silent", &[]);
    let spec = seq_spec(
        &dir,
        &format!("peer = \"http://127.0.0.1:{port}/RPC2\""),
        "",
    )
    .replace("timeout = \"1s\"", "timeout = \"6s\"");
    let path = dir.join("spec.toml");
    fs::write(&path, spec).unwrap();
    let runs: Vec<std::process::Child> = (0..12)
        .map(|i| {
            if i > 0 {
                std::thread::sleep(std::time::Duration::from_millis(45));
            }
            Command::new(common::bin())
                .args(["boot", "--format", "json", "--spec"])
                .arg(&path)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut wrong = Vec::new();
    for (i, child) in runs.into_iter().enumerate() {
        let ran: Ran = child.wait_with_output().unwrap().into();
        let report = ran.json();
        let c = check(&report, "peer-sequence");
        let want = format!("no answer from 127.0.0.1:{port} within the 6s timeout");
        if c["status"] != "error" || !summary(c).contains(&want) {
            wrong.push(format!("run {i}: {} {}", c["status"], summary(c)));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

/// role-leftovers and peer-sequence together, as checks/boot.toml has them, over one
/// env file holding both the node's role and the leader it follows.
fn two_checks(dir: &Path, extra: &str) -> String {
    let d = dir.display();
    format!(
        r#"[[check]]
id = "role-leftovers"
kind = "role"
modes = ["boot"]
why = "test"
fix = "test"
source = "env"
path = "{d}/xcbdaemon.env"
key = "XCB_ROLE"
leftovers.master = []
leftovers.replica = ["{d}/master/*"]

[[check]]
id = "peer-sequence"
kind = "sequence"
modes = ["boot"]
after = ["role-leftovers"]
why = "test"
fix = "test"
local = "{d}/sequence"
peer_env = {{ path = "{d}/xcbdaemon.env", key = "XCB_MASTER" }}
role_env = {{ path = "{d}/xcbdaemon.env", key = "XCB_ROLE" }}
timeout = "2s"
{extra}
"#
    )
}

/// Seeds 000 and 001 began here: a node converted to master whose config still names the
/// leader it used to follow (XCB_ROLE=master and XCB_MASTER in the same file). Its numbers
/// are still in step, so the sequence comparison alone passes; two masters must not.
#[test]
fn a_master_that_follows_a_leader_is_two_masters() {
    let dir = scratch("seq-two-masters");
    fs::write(dir.join("master.json"), MASTER).unwrap();
    fs::write(dir.join("sequence"), "T7 5053\nT9 7919\nT15 1865\n").unwrap();
    let port = free_port();
    let master_json = dir.join("master.json").display().to_string();
    let _leader = xcbdaemon(
        "127.0.0.1",
        port,
        "ok",
        &["--sequence", &master_json, "--role", "master"],
    );
    let env = dir.join("xcbdaemon.env");
    let leader = format!("127.0.0.1:{port}");
    let spec = two_checks(&dir, "");
    let report = |env_text: &str, spec: &str| {
        fs::write(&env, env_text).unwrap();
        crate::kinds::support::run_spec(&dir, spec, &[])
    };

    // A replica that follows its master: both pass.
    let r = report(&format!("XCB_ROLE=replica\nXCB_MASTER={leader}\n"), &spec);
    assert_eq!(r["verdict"], "pass", "{r:#}");

    let r = report(&format!("XCB_ROLE=master\nXCB_MASTER={leader}\n"), &spec);
    assert_eq!(r["verdict"], "fail", "{r:#}");
    assert_eq!(check(&r, "role-leftovers")["status"], "pass", "{r:#}");
    let c = check(&r, "peer-sequence");
    assert_eq!(c["status"], "fail", "{c:#}");
    let s = summary(c);
    assert!(s.starts_with("two masters: "), "{s}");
    assert!(s.contains("XCB_ROLE=master"), "{s}");
    assert!(s.contains(&format!("XCB_MASTER={leader}")), "{s}");
    assert!(
        evidence(c).contains("xcbdaemon.env: XCB_ROLE=master"),
        "{c:#}"
    );
    assert!(
        evidence(c).contains(&format!("xcbdaemon.env: XCB_MASTER={leader}")),
        "{c:#}"
    );
    assert!(
        c["fix"].as_str().unwrap_or_default().contains("XCB_MASTER"),
        "{c:#}"
    );

    // Even with no replicated data yet, and with the leader not asked.
    fs::remove_file(dir.join("sequence")).unwrap();
    let r = report(&format!("XCB_ROLE=master\nXCB_MASTER={leader}\n"), &spec);
    assert_eq!(check(&r, "peer-sequence")["status"], "fail", "{r:#}");

    // A master that follows no one skips as before.
    let r = report("XCB_ROLE=master\n", &spec);
    assert_eq!(check(&r, "peer-sequence")["status"], "skip", "{r:#}");

    // Where the leader can be asked its role, its answer is said too.
    let asked = two_checks(&dir, "leader_role_method = \"xcb.role\"");
    let r = report(&format!("XCB_ROLE=master\nXCB_MASTER={leader}\n"), &asked);
    let c = check(&r, "peer-sequence");
    assert_eq!(c["status"], "fail", "{c:#}");
    assert!(
        summary(c).contains("the leader says it is master too"),
        "{c:#}"
    );
    assert!(evidence(c).contains("xcb.role() at http://"), "{c:#}");
}

/// A node that follows a leader which, asked its role (`leader_role_method`), is not
/// master: it replicates from a node that leads no one.
#[test]
fn a_leader_that_is_not_master_is_reported() {
    let dir = scratch("seq-leader-role");
    fs::write(dir.join("master.json"), MASTER).unwrap();
    fs::write(dir.join("sequence"), "T7 5053\nT9 7919\nT15 1865\n").unwrap();
    let master_json = dir.join("master.json").display().to_string();
    let env = dir.join("xcbdaemon.env");
    let spec = two_checks(&dir, "leader_role_method = \"xcb.role\"");
    for (role, status) in [("master", "pass"), ("replica", "fail")] {
        let port = free_port();
        let _leader = xcbdaemon(
            "127.0.0.1",
            port,
            "ok",
            &["--sequence", &master_json, "--role", role],
        );
        fs::write(
            &env,
            format!("XCB_ROLE=replica\nXCB_MASTER=127.0.0.1:{port}\n"),
        )
        .unwrap();
        let r = crate::kinds::support::run_spec(&dir, &spec, &[]);
        let c = check(&r, "peer-sequence");
        assert_eq!(c["status"], status, "{role}: {c:#}");
        if status == "fail" {
            assert_eq!(
                summary(c),
                format!(
                    "the leader 127.0.0.1:{port} (XCB_MASTER) says it is \"replica\", not master"
                ),
                "{c:#}"
            );
            assert!(evidence(c).contains("xcb.role() at http://"), "{c:#}");
        }
    }
    // A leader without that method: its answer is unusable, an error naming the method.
    let port = free_port();
    let _leader = xcbdaemon("127.0.0.1", port, "ok", &["--sequence", &master_json]);
    fs::write(
        &env,
        format!("XCB_ROLE=replica\nXCB_MASTER=127.0.0.1:{port}\n"),
    )
    .unwrap();
    let c = check(
        &crate::kinds::support::run_spec(&dir, &spec, &[]),
        "peer-sequence",
    )
    .clone();
    assert_eq!(c["status"], "error", "{c:#}");
    assert!(evidence(&c).contains("xcb.role()"), "{c:#}");
}
