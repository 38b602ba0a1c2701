//! A support bundle carries no secret. A fake box (network and mount namespaces, an
//! overlay on /etc) holds secrets as a real appliance does, in 0600 files: DRBD's
//! `shared-secret` in /etc/drbd.conf and /etc/drbd.d/r0.res (the syntax of drbd-utils'
//! own test configurations), passwords and tokens in /etc/default/xcbdaemon in every
//! shape a shell reads, and one setting only the admin's spec (`[bundle] redact`) calls
//! secret. `collect` takes a tar and a folder bundle there; a byte search of every
//! member for every secret value must find nothing, the README must name each redacted
//! setting, and the replay must give the box's own verdicts, check by check. Once on a
//! box in the incident's state, once on a healthy one.
//!
//! Needs root (namespaces); without root each test says why and returns.

use crate::common;

use common::ns::{Layout, Scenario, strs};
use common::{repo, scratch, verdicts};
use ha_preflight::world::question::Question;
use std::collections::BTreeMap;
use std::path::Path;

/// Every secret value the box holds.
const SECRETS: &[&str] = &[
    "FooFunFactory",
    "gaeWoor7dawei3Oo",
    "Zk4-hunter2-Qw",
    "eyJhbGciOiJIUzI1NiJ9.tok3n/with+chars=",
    "Pe3r Auth Value",
    "old-Pa55-from-2023",
    "80917364",
];

/// (file, setting) the README must list.
const REDACTED: &[(&str, &str)] = &[
    ("/etc/drbd.conf", "shared-secret"),
    ("/etc/default/xcbdaemon", "XCB_PASSWORD"),
    ("/etc/default/xcbdaemon", "XCB_API_TOKEN"),
    ("/etc/default/xcbdaemon", "xcb_peer_auth"),
    ("/etc/default/xcbdaemon", "XCB_OLD_PASS"),
    ("/etc/default/xcbdaemon", "XCB_PIN"),
];

/// Shell that lays out the box's secrets; `role_lines` are its XCB_ROLE (and XCB_MASTER)
/// settings, `res` whether it has a DRBD resource (r0, as in drbd-utils' tests/v9/man.res).
fn secrets(role_lines: &str, res: bool) -> String {
    let mut sh = format!(
        "umask 077\nmkdir -p /etc/drbd.d /etc/default /etc/ha-preflight/checks.d\n\
         cat > /etc/drbd.conf <<'EOF'\n\
         # /etc/drbd.conf\n\
         global {{\n  usage-count no;\n}}\n\
         common {{\n  net {{\n    cram-hmac-alg md5;\n    shared-secret \"gaeWoor7dawei3Oo\";\n    ko-count 0;\n  }}\n}}\n\
         include \"drbd.d/*.res\";\n\
         EOF\n\
         cat > /etc/default/xcbdaemon <<'EOF'\n\
         # Defaults for xcbdaemon, sourced by its init script.\n\
         {role_lines}\
         XCB_PASSWORD=Zk4-hunter2-Qw\n\
         export XCB_API_TOKEN=\"eyJhbGciOiJIUzI1NiJ9.tok3n/with+chars=\"\n\
         \x20 xcb_peer_auth = 'Pe3r Auth Value'\n\
         #XCB_OLD_PASS=old-Pa55-from-2023\n\
         XCB_PIN=80917364\n\
         EOF\n\
         cp {repo}/checks/boot.toml /etc/ha-preflight/checks.d/boot.toml\n\
         printf '[bundle]\\nredact = [\"XCB_PIN\"]\\n' > /etc/ha-preflight/checks.d/secrets.toml\n",
        repo = repo().display()
    );
    if res {
        sh.push_str(
            "cat > /etc/drbd.d/r0.res <<'EOF'\n\
             resource r0 {\n\
             \t  net {\n\
             \t\t\t cram-hmac-alg sha1;\n\
             \t\t\t shared-secret \"FooFunFactory\";\n\
             \t  }\n\
             \t  volume 0 {\n\
             \t\t\t device    /dev/drbd1;\n\
             \t\t\t disk      /dev/sda7;\n\
             \t\t\t meta-disk internal;\n\
             \t  }\n\
             \t  on undertest {\n\
             \t\t\t node-id   0;\n\
             \t\t\t address   10.1.1.31:7000;\n\
             \t  }\n\
             \t  on bob {\n\
             \t\t\t node-id   1;\n\
             \t\t\t address   10.1.1.32:7000;\n\
             \t  }\n\
             }\n\
             EOF\n",
        );
    }
    // The box's files are as a real box keeps them: readable by root alone.
    sh.push_str(
        "chmod 0600 /etc/drbd.conf /etc/default/xcbdaemon /etc/drbd.d/* 2>/dev/null || true\n",
    );
    sh
}

/// Every regular file under `dir`, with its bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("readdir").flatten() {
        let path = e.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push((
                path.display().to_string(),
                std::fs::read(&path).expect("read"),
            ));
        }
    }
    out
}

/// Which secret values appear in which of `members`.
fn leaks(members: &[(String, Vec<u8>)]) -> Vec<String> {
    let mut found = Vec::new();
    for (name, bytes) in members {
        for s in SECRETS {
            if bytes.windows(s.len()).any(|w| w == s.as_bytes()) {
                found.push(format!("{s:?} in {name}"));
            }
        }
    }
    found
}

/// Collects a tar and a folder bundle on the box `extra` lays out, judges the box
/// directly, and replays the tar: no secret in any member, the README lists each
/// redaction, the replay's verdicts are the box's.
fn no_secret_and_same_verdicts(
    names: [&'static str; 4],
    box_of: impl Fn(&'static str, Vec<String>) -> Scenario,
    res: bool,
) -> BTreeMap<String, (String, String)> {
    let dir = scratch(names[0]);
    let tar = dir.join("box.tar").display().to_string();
    let folder = format!("{}/folder/", dir.display());
    std::fs::create_dir_all(&folder).expect("mkdir");
    let Some((taken, _)) = box_of(names[1], strs(&["collect", "--output", &tar])).run() else {
        return BTreeMap::new();
    };
    assert_eq!(taken.code, 0, "{}\n{}", taken.stdout, taken.stderr);
    let (taken, _) = box_of(names[2], strs(&["collect", "--output", &folder]))
        .run()
        .expect("root");
    assert_eq!(taken.code, 0, "{}\n{}", taken.stdout, taken.stderr);

    // The tar as a whole (headers too), each of its members, each file of the folder.
    let unpacked = dir.join("unpacked");
    std::fs::create_dir_all(&unpacked).expect("mkdir");
    let untar = std::process::Command::new("tar")
        .arg("xf")
        .arg(&tar)
        .arg("-C")
        .arg(&unpacked)
        .status()
        .expect("tar runs");
    assert!(untar.success());
    let mut members = vec![(tar.clone(), std::fs::read(&tar).expect("tar"))];
    members.extend(files(&unpacked));
    let tar_count = members.len();
    members.extend(files(Path::new(&folder)));
    assert!(
        tar_count >= 6 && members.len() >= tar_count + 5,
        "{tar_count} {}",
        members.len()
    );
    let leaked = leaks(&members);
    assert!(
        leaked.is_empty(),
        "the bundle carries secrets:\n{}",
        leaked.join("\n")
    );

    let readme =
        std::fs::read_to_string(unpacked.join("ha-preflight-bundle/README.txt")).expect("README");
    let mut want: Vec<(&str, &str)> = REDACTED.to_vec();
    if res {
        want.push(("/etc/drbd.d/r0.res", "shared-secret"));
    }
    for (file, key) in want {
        assert!(
            readme.contains(&format!("\n  {file}: {key}\n")),
            "{file}: {key}\n{readme}"
        );
    }
    // The settings the checks read are read as they were.
    let tape =
        std::fs::read_to_string(unpacked.join("ha-preflight-bundle/tape.json")).expect("tape");
    let tape: serde_json::Value = serde_json::from_str(&tape).expect("tape is JSON");
    let env = tape[Question::Read("/etc/default/xcbdaemon".into()).to_string()]["ok"]
        .as_str()
        .expect("the env file is on the tape");
    assert!(
        env.contains("XCB_ROLE=") && env.contains("XCB_PASSWORD=REDACTED\n"),
        "{env}"
    );

    // The box judged directly, and the bundle replayed (it reads nothing of here).
    let (direct, _) = box_of(names[3], strs(&["--format", "json"]))
        .run()
        .expect("root");
    let direct = verdicts(&direct.json());
    let replay = common::run(&["--bundle", &tar, "--format", "json"]);
    assert_eq!(
        verdicts(&replay.json()),
        direct,
        "the replay differs from the box\n{}",
        replay.stdout
    );
    direct
}

#[test]
fn a_bundle_of_the_incident_box_carries_no_secret_and_replays_its_verdicts() {
    let judged = no_secret_and_same_verdicts(
        [
            "secrets-incident",
            "secrets-i-take",
            "secrets-i-dir",
            "secrets-i-direct",
        ],
        |name, args| Scenario {
            layout: Layout::RealDir,
            lo_up: false,
            daemon: None,
            extra: secrets("XCB_ROLE=replica\nXCB_MASTER=10.99.0.1\n", true),
            args,
            ..Scenario::healthy(name)
        },
        true,
    );
    if let Some((status, _)) = judged.get("netrun-layout") {
        assert_eq!(status, "fail", "{judged:?}");
    }
}

#[test]
fn a_bundle_of_a_healthy_box_carries_no_secret_and_replays_its_verdicts() {
    let judged = no_secret_and_same_verdicts(
        [
            "secrets-healthy",
            "secrets-h-take",
            "secrets-h-dir",
            "secrets-h-direct",
        ],
        |name, args| Scenario {
            extra: secrets("XCB_ROLE=master\n", false),
            args,
            ..Scenario::healthy(name)
        },
        false,
    );
    for (id, (status, summary)) in &judged {
        assert!(
            matches!(status.as_str(), "pass" | "skip"),
            "{id}: {status}: {summary}"
        );
    }
}
