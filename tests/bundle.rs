//! Support bundles end to end: `collect` on a box in the incident's state (in fresh
//! network and mount namespaces), the archive carried into another namespace in a
//! healthy state, `--bundle` there. The replay must give the incident's verdicts, check
//! by check, and strace must show that it read nothing of the machine it ran on: no
//! file but the bundle (and the dynamic loader's), no socket, no program.
//!
//! Needs root (namespaces) and strace; without root each test says why and returns.

mod common;

use common::ns::{Layout, Scenario, strs};
use common::{scratch, status};
use std::collections::BTreeMap;

/// The incident: /etc/network/run a real directory holding a stale lo=lo, lo down, no
/// xcbdaemon.
fn incident(name: &'static str, args: &[&str]) -> Scenario {
    Scenario {
        layout: Layout::RealDir,
        lo_up: false,
        daemon: None,
        args: strs(args),
        ..Scenario::healthy(name)
    }
}

/// (status, summary) of every check of a JSON report.
fn verdicts(report: &serde_json::Value) -> BTreeMap<String, (String, String)> {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap_or_default().to_string(),
                (
                    c["status"].as_str().unwrap_or_default().to_string(),
                    c["summary"].as_str().unwrap_or_default().to_string(),
                ),
            )
        })
        .collect()
}

#[test]
fn a_bundle_of_the_incident_replays_as_the_incident_on_a_healthy_box() {
    let carried = scratch("bundle-carried");
    let tar = carried.join("incident.tar").display().to_string();
    let Some((taken, _)) = incident("bundle-take", &["collect", "--output", &tar]).run() else {
        return;
    };
    assert_eq!(taken.code, 0, "{}\n{}", taken.stdout, taken.stderr);
    assert!(
        taken
            .stdout
            .contains("this box: fail, root cause netrun-layout"),
        "{}",
        taken.stdout
    );
    let listed = std::process::Command::new("tar")
        .args(["tf", &tar])
        .output()
        .expect("tar runs");
    let members = String::from_utf8_lossy(&listed.stdout).into_owned();
    for m in [
        "meta.json",
        "tape.json",
        "README.txt",
        "report.txt",
        "spec/boot.toml",
    ] {
        assert!(
            members.contains(&format!("ha-preflight-bundle/{m}")),
            "{m}: {members}"
        );
    }

    // What the box itself said, judged directly.
    let (direct, _) = incident("bundle-direct", &["--format", "json"])
        .run()
        .expect("root");
    let direct = verdicts(&direct.json());
    assert_eq!(direct["netrun-layout"].0, "fail");

    // The place the bundle is carried to is healthy: judged directly, it passes.
    let (here, _) = Scenario::healthy("bundle-healthy").run().expect("root");
    assert_eq!(here.json()["verdict"], "pass", "{}", here.stdout);

    // Replayed there, under strace: the incident again, from the bundle alone.
    let log = carried.join("replay.strace").display().to_string();
    let replay = Scenario {
        args: strs(&["--bundle", &tar, "--format", "json"]),
        // Not exec'd: the shell, parent of the daemon, waits for strace alone (strace
        // would otherwise wait for the daemon it inherited as a child).
        prefix: format!(
            "sh -c 'env -u LD_LIBRARY_PATH strace -f -qq -e trace=%file,%network,%process -o {log} \"$@\"; exit $?' sh"
        ),
        ..Scenario::healthy("bundle-replay")
    };
    let (ran, _) = replay.run().expect("root");
    assert_eq!(ran.code, 1, "{}\n{}", ran.stdout, ran.stderr);
    let report = ran.json();
    assert_eq!(report["bundle"]["path"], tar.as_str());
    assert!(report["bundle"]["taken"].is_string(), "{report:#}");
    assert_eq!(status(&report, "lo-up"), "fail");
    assert_eq!(verdicts(&report), direct, "the replay differs from the box");

    // What the replay touched: the bundle, the loader's files, its own /proc/self/maps
    // (std asks where its stack is), the root directory it opens without reading.
    let trace = std::fs::read_to_string(&log).expect("strace wrote its log");
    let bin = common::bin().to_string();
    let allowed = |path: &str| {
        path == tar
            || path == bin
            || path.is_empty()
            || path == "/"
            || path == "."
            || path == "/proc/self/maps"
            || path.starts_with("/etc/ld.so.")
            || ["/lib/", "/lib64/", "/usr/lib/"]
                .iter()
                .any(|p| path.starts_with(p))
    };
    let mut touched = Vec::new();
    for line in trace.lines() {
        let call = line.split_once(' ').map_or(line, |(_, c)| c).trim_start();
        let name = call.split('(').next().unwrap_or_default();
        if matches!(name, "connect" | "socket" | "bind" | "sendto" | "sendmsg") {
            touched.push(format!("network: {call}"));
        }
        if name == "execve" && !call.contains(&format!("\"{bin}\"")) {
            touched.push(format!("program: {call}"));
        }
        // Every quoted path argument of a file call.
        for path in call.split('"').skip(1).step_by(2) {
            if call.contains('/') && !allowed(path) && name != "execve" {
                touched.push(format!("{path} ({name})"));
            }
        }
    }
    assert!(
        touched.is_empty(),
        "the replay read the machine it ran on:\n{}",
        touched.join("\n")
    );
}

#[test]
fn a_capture_of_proc_and_sys_says_what_it_cannot_judge() {
    // Kernel state copied from a box, judged somewhere whose own files must not count:
    // here, a healthy namespace whose /etc/network/run and daemon would pass.
    let dir = scratch("capture-only");
    let proc_dir = dir.join("proc");
    std::fs::create_dir_all(proc_dir.join("self")).expect("mkdir");
    std::fs::copy("/proc/self/mountinfo", proc_dir.join("self/mountinfo")).expect("copy");
    let shown = proc_dir.display().to_string();
    let Some((ran, _)) = Scenario {
        args: strs(&["--proc", &shown, "--format", "json"]),
        ..Scenario::healthy("capture-judged")
    }
    .run() else {
        return;
    };
    let report = ran.json();
    assert_eq!(report["captured"]["proc"], shown.as_str(), "{report:#}");
    // /sys was not captured: lo cannot be judged, and the capture says why.
    let lo = common::check(&report, "lo-up");
    assert_eq!(lo["status"], "error", "{lo:#}");
    assert!(lo["summary"].to_string().contains("/sys"), "{lo:#}");
    for id in [
        "netrun-layout",
        "netrun-stale",
        "stale-locks",
        "role-leftovers",
    ] {
        let c = common::check(&report, id);
        assert_eq!(c["status"], "skip", "{id}: {c:#}");
        assert!(
            c["summary"]
                .as_str()
                .unwrap_or_default()
                .starts_with("not in the capture"),
            "{id}: {c:#}"
        );
    }
}
