//! Withheld files stay unread, however they are reached: by another spelling of their
//! path, or by a link a non-root user planted (issue 21, point 4). Each test builds a
//! fake box in fresh mount namespaces (`Scenario`): a fake /etc/shadow bind-mounted over
//! the real one, whose content is a marker this test owns, and an overlay on /var/lib
//! where uid 65534 owns the daemon's data folder. Every output (stdout and stderr in
//! every format, a bundle's bytes, its replay) is searched for the marker.
//!
//! Needs root (namespaces, setpriv); without root each test says why and returns.

use crate::common;

use common::ns::{Scenario, strs};
use common::{Scratch, check, run, scratch, summary};
use std::fmt::Write as _;

/// The fake shadow file's secret: must never appear in any output.
const MARKER: &str = "MARKER-fake-shadow-hash-7f3a9c";
const FORMATS: [&str; 5] = ["human", "json", "junit", "nagios", "prometheus"];

/// Shell that lays out the fake box: the fake /etc/shadow, and `plant` run after
/// /var/lib is an overlay with /var/lib/xcbdaemon/data owned by uid 65534.
fn fake_box(dir: &Scratch, plant: &str) -> String {
    let d = dir.display();
    std::fs::write(
        dir.join("shadow"),
        format!("root:{MARKER}:19000:0:99999:7:::\n"),
    )
    .expect("fake shadow");
    let mut sh = String::new();
    let _ = writeln!(sh, "mount --bind {d}/shadow /etc/shadow");
    // A fresh upper layer per run: each run is a box of its own.
    let _ = writeln!(sh, "u=$(mktemp -d {d}/varlib.XXXXXX); mkdir $u/up $u/work");
    sh.push_str(
        "mount -t overlay overlay -o lowerdir=/var/lib,upperdir=$u/up,workdir=$u/work /var/lib\n",
    );
    sh.push_str("mkdir -p /var/lib/xcbdaemon/data /etc/default\n");
    sh.push_str("chown 65534:65534 /var/lib/xcbdaemon/data\n");
    sh.push_str("printf 'XCB_ROLE=replica\\nXCB_MASTER=127.0.0.1\\n' > /etc/default/xcbdaemon\n");
    sh.push_str(plant);
    sh
}

/// Runs the binary with `args` in the fake box; None when not root.
fn in_box(name: &'static str, extra: &str, args: &[&str]) -> Option<common::Ran> {
    Scenario {
        daemon: None,
        extra: extra.to_string(),
        args: strs(args),
        ..Scenario::healthy(name)
    }
    .run()
    .map(|(ran, _)| ran)
}

/// Every output of a run, for the marker search.
fn outputs(what: &str, ran: &common::Ran) -> String {
    format!("--- {what}\n{}\n{}", ran.stdout, ran.stderr)
}

/// Runs every format live and `collect` in the box, then replays the bundle in every
/// format; returns (live JSON report, everything said, the bundle's bytes).
fn everything(
    name: &'static str,
    extra: &str,
    spec: &[&str],
) -> Option<(serde_json::Value, String, Vec<u8>)> {
    let dir = scratch(name);
    let tar = dir.join("b.tar").display().to_string();
    let mut said = String::new();
    let mut json = None;
    for format in FORMATS {
        for verbose in [false, true] {
            let mut args = vec!["--format", format];
            args.extend_from_slice(spec);
            if verbose {
                args.push("-v");
            }
            let ran = in_box(name, extra, &args)?;
            said += &outputs(&args.join(" "), &ran);
            if format == "json" {
                json = Some(ran.json());
            }
        }
    }
    let mut args = vec!["collect", "--output", &tar];
    args.extend_from_slice(spec);
    let took = in_box(name, extra, &args)?;
    assert_eq!(took.code, 0, "{}\n{}", took.stdout, took.stderr);
    said += &outputs("collect", &took);
    for format in FORMATS {
        let ran = run(&["--bundle", &tar, "--format", format, "-v"]);
        said += &outputs(&format!("replay {format}"), &ran);
    }
    let bytes = std::fs::read(&tar).expect("the bundle");
    Some((json.expect("a JSON run"), said, bytes))
}

fn assert_no_marker(said: &str, bundle: &[u8]) {
    assert!(!said.contains(MARKER), "the fake shadow leaked:\n{said}");
    let text = String::from_utf8_lossy(bundle);
    assert!(
        !text.contains(MARKER),
        "the fake shadow is in the bundle:\n{text}"
    );
}

#[test]
fn a_link_planted_by_a_non_root_user_is_not_followed_to_the_shadow_file() {
    let dir = scratch("withheld-link");
    let plant = fake_box(
        &dir,
        "setpriv --reuid 65534 --regid 65534 --clear-groups ln -s /etc/shadow /var/lib/xcbdaemon/data/sequence\n",
    );
    let Some((report, said, bundle)) = everything("withheld-link", &plant, &[]) else {
        return;
    };
    assert_no_marker(&said, &bundle);
    let seq = check(&report, "peer-sequence");
    assert_eq!(seq["status"], "error", "{seq:#}");
    let summary = summary(seq);
    assert!(
        summary.contains("/var/lib/xcbdaemon/data/sequence is a link owned by uid 65534")
            && summary.contains("not followed"),
        "{seq:#}"
    );
}

#[test]
fn withheld_files_are_withheld_however_a_spec_spells_them() {
    let dir = scratch("withheld-spelling");
    let d = dir.display();
    std::fs::write(
        dir.join("key"),
        format!(
            "-----BEGIN OPENSSH PRIVATE KEY-----\n{MARKER}\n-----END OPENSSH PRIVATE KEY-----\n"
        ),
    )
    .expect("fake key");
    // A host key where the host has one is bind-mounted over (never copied up); a
    // private key in a folder not named for keys is withheld by its content.
    let plant = fake_box(
        &dir,
        &format!(
            "k=/etc/ssh/ssh_host_ed25519_key\n\
             if [ -e $k ]; then mount --bind {d}/key $k; else mkdir -p /etc/ssh; cp {d}/key $k; fi\n\
             mkdir -p /etc/ha-peek && cp {d}/key /etc/ha-peek/tls.pem\n"
        ),
    );
    // Another name of the same file (a hard link): withheld by device and inode.
    let hard = dir.join("hard-linked");
    std::fs::hard_link(dir.join("shadow"), &hard).expect("hard link");
    let hard = hard.display().to_string();
    let spec = dir.join("peek.toml");
    std::fs::write(
        &spec,
        format!(
            r#"[[check]]
id = "peek"
kind = "path"
title = "reads what no check may read"
modes = ["boot"]
rules = [{{ paths = ["/etc/./shadow", "/etc//shadow", "/etc/ssh//ssh_host_ed25519_key", "/etc/ha-peek/tls.pem", "{hard}"], forbid = ["MARKER"] }}]
why = "a test"
fix = "none"
"#
        ),
    )
    .expect("spec");
    let spec = spec.display().to_string();
    let Some((report, said, bundle)) = everything("withheld-spelling", &plant, &["--spec", &spec])
    else {
        return;
    };
    assert_no_marker(&said, &bundle);
    let peek = check(&report, "peek");
    assert_eq!(peek["status"], "error", "{peek:#}");
    // Each is named, as the check shows its path (`//` is shown as `/`).
    let text = peek.to_string();
    for path in [
        "/etc/./shadow",
        "/etc/shadow",
        "/etc/ssh/ssh_host_ed25519_key",
        "/etc/ha-peek/tls.pem",
        &hard,
    ] {
        assert!(
            text.contains(&format!("{path}: withheld: it holds secrets")),
            "{path}: {peek:#}"
        );
    }
    // Replayed, the same error: the verdict does not change by replaying.
    let tar = dir.join("replayed.tar");
    std::fs::write(&tar, &bundle).expect("copy");
    let replay = run(&["--bundle", &tar.display().to_string(), "--format", "json"]);
    let replayed = replay.json();
    assert_eq!(check(&replayed, "peek")["status"], "error", "{replayed:#}");
    assert_eq!(replayed["verdict"], report["verdict"]);
}
