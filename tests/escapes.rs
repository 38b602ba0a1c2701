//! Terminal injection: text from outside (a bundle's metadata and spec, an image's files
//! and file names) reaches the person's terminal with every control character escaped,
//! in every format a person reads; the machine formats keep it whole where they can.
//! The bundles are the real incident bundle with its meta.json edited (Python's tarfile),
//! the tree is the clean tree of tests/fixtures/image with hostile text planted in it.
//! That the terminal itself is left alone (title, screen) is in tests/console.rs.

use crate::common;

use common::{EVIL, Ran, SHOWN, bundle, bundle_named, make_tree, python, repo, run, scratch};
use serde_json::Value;
use std::path::Path;

/// Text a terminal may show: no control character but the newline, no bidi override,
/// and no line that a hostile text made up.
fn assert_inert(what: &str, text: &str) {
    assert_no_controls(what, text);
    assert!(
        !text.lines().any(|l| l.starts_with("verdict: pass")),
        "{what}: a forged verdict line:\n{text}"
    );
}

/// No control character but the newline, no bidi override: for the machine formats,
/// whose lines may be the hostile text's own (a spec's fix, kept whole).
fn assert_no_controls(what: &str, text: &str) {
    let bad: Vec<char> = text
        .chars()
        .filter(|&c| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    assert!(bad.is_empty(), "{what}: raw {bad:?} in:\n{text}");
}

/// A human report: inert, its prose in 80 columns (a check's one line, a command and a
/// word no line holds are kept whole, in a pipe), the hostile text shown as escapes.
fn assert_report(what: &str, ran: &Ran) {
    assert_inert(what, &ran.stdout);
    assert_inert(&format!("{what} (stderr)"), &ran.stderr);
    let wide = common::human::too_wide(&ran.stdout);
    assert!(wide.is_empty(), "{what}: too wide: {wide:#?}");
}

#[test]
fn a_bundles_host_and_taken_are_shown_escaped_and_kept_whole_in_json() {
    let dir = scratch("escapes-bundle");
    let tar = dir.join("evil.tar");
    bundle(
        &tar,
        "meta['host'] = 'node-a' + evil; meta['taken'] = '2026-12-02' + evil",
        "",
    );
    let tar = tar.to_str().unwrap_or_default();
    for extra in [&[][..], &["-v"], &["-q"]] {
        let ran = run(&[&["--bundle", tar][..], extra].concat());
        assert_eq!(ran.code, 1, "{extra:?}: {}{}", ran.stdout, ran.stderr);
        assert_report(&format!("{extra:?}"), &ran);
        assert!(
            ran.stdout.starts_with("ha-preflight boot: FAIL"),
            "{}",
            ran.stdout
        );
        if extra.is_empty() {
            // The header says whose bundle it is, in characters a person can read.
            let flat = ran.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(
                flat.contains(&format!("taken on node-a{SHOWN} at 2026-12-02{SHOWN}")),
                "{}",
                ran.stdout
            );
        }
    }
    // JSON escapes by its own rules, and reads back as the bundle said, byte for byte.
    let ran = run(&["--bundle", tar, "--format", "json"]);
    assert_no_controls("json", &ran.stdout);
    let report: Value = ran.json();
    assert_eq!(report["bundle"]["host"], format!("node-a{EVIL}"));
    assert_eq!(report["bundle"]["taken"], format!("2026-12-02{EVIL}"));
}

#[test]
fn a_spec_error_in_a_bundle_names_its_file_escaped_on_one_line() {
    let dir = scratch("escapes-spec-error");
    let tar = dir.join("evil.tar");
    // The error names the member the broken spec came from, and that name is the
    // bundle's own: hostile bytes in it, with a line break that would forge a second
    // message.
    bundle_named(
        &tar,
        "meta['spec'] = [evil + s for s in meta['spec']]",
        "\n[[check]]\nid = 7\n",
        &format!("boot{EVIL}\nha-preflight: fake.toml"),
    );
    for format in ["human", "nagios"] {
        let ran = run(&[
            "--bundle",
            tar.to_str().unwrap_or_default(),
            "--format",
            format,
        ]);
        assert_inert(format, &ran.stdout);
        assert_inert(format, &ran.stderr);
        assert!(ran.stderr.contains("spec error"), "{}", ran.stderr);
        assert!(ran.stderr.contains(SHOWN), "{format}: {}", ran.stderr);
        let want = if format == "human" { 2 } else { 1 };
        assert_eq!(ran.stderr.lines().count(), want, "{}", ran.stderr);
        if format == "nagios" {
            assert_eq!(ran.stdout.lines().count(), 1, "{}", ran.stdout);
            assert!(ran.stdout.contains(SHOWN), "{}", ran.stdout);
        }
    }
}

/// The clean tree with hostile text in a file a check quotes (resolv.conf's nameserver
/// line), in a file's name (a leftover in /tmp) and in the image's own spec (its
/// title, why, fix and file name).
fn hostile_tree(dir: &Path) {
    make_tree("clean", dir);
    let plant = r#"
import json, os, shutil, sys
root, evil, spec, checks = sys.argv[1:5]
os.chdir(root)
os.unlink("etc/resolv.conf")
open("etc/resolv.conf", "w").write("nameserver 10.0.0.1" + evil + "\n")
open("tmp/left" + evil, "w").write("x")
os.makedirs("etc/ha-preflight/checks.d")
for name in ("boot.toml", "image.toml"):
    shutil.copy(os.path.join(checks, name), "etc/ha-preflight/checks.d")
open("etc/ha-preflight/checks.d/zz" + evil + ".toml", "w").write(spec)
os.makedirs("usr/lib/ha-preflight/overrides")
with open("usr/lib/ha-preflight/overrides/zz" + evil + ".toml", "w") as f:
    f.write("[[override]]\nid = 'resolv-conf'\npath = %s\nreason = %s\n"
            % (json.dumps("/nowhere" + evil), json.dumps("r" + evil)))
"#;
    let text = serde_json::to_string(&format!("title{EVIL}\nverdict: pass")).unwrap_or_default();
    let spec = format!(
        "[[check]]\nid = \"evil-title\"\nkind = \"path\"\nmodes = [\"image\"]\n\
         rules = [{{ paths = [\"/etc/hostname\"], absent = true }}]\n\
         title = {text}\nwhy = {text}\nfix = {text}\n"
    );
    let checks = repo().join("checks");
    python(
        plant,
        &[
            dir.to_str().unwrap_or_default(),
            EVIL,
            &spec,
            checks.to_str().unwrap_or_default(),
        ],
    );
}

#[test]
fn an_images_file_contents_file_names_and_spec_are_shown_escaped() {
    let dir = scratch("escapes-tree");
    let root = dir.join("root");
    hostile_tree(&root);
    let root = root.to_str().unwrap_or_default();
    for extra in [&[][..], &["-v"], &["-q"]] {
        let ran = run(&[&["image", "--root", root][..], extra].concat());
        assert_report(&format!("image {extra:?}"), &ran);
        if extra.is_empty() {
            assert!(ran.stdout.contains("\\x1b]0;pwned"), "{}", ran.stdout);
            // The log line about the image's stale override quotes its file and path,
            // wrapped to 80 columns (at its spaces, or inside a word longer than a line).
            let squashed = |t: &str| {
                t.replace("\nha-preflight:   ", "")
                    .split_whitespace()
                    .collect::<String>()
            };
            assert!(
                ran.stderr.contains("override matched nothing")
                    && squashed(&ran.stderr).contains(&squashed(SHOWN)),
                "{}",
                ran.stderr
            );
        }
    }
    let ran = run(&["image", "--root", root, "-v"]);
    let flat = ran.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    for what in ["/tmp/left", "nameserver 10.0.0.1"] {
        assert!(
            flat.contains(&format!("{what}\\x1b[2J")),
            "{what} not shown:\n{}",
            ran.stdout
        );
    }
    // `list` and `explain` read the image's spec where it is: its file name, title, why
    // and fix are the image's.
    let spec = format!("{root}/etc/ha-preflight/checks.d");
    for args in [&["list"][..], &["explain", "evil-title"]] {
        let ran = run(&[args, &["--spec", &spec]].concat());
        assert_eq!(ran.code, 0, "{args:?}: {}", ran.stderr);
        assert_inert(&format!("{args:?}"), &ran.stdout);
        assert!(
            ran.stdout.contains("\\x1b]0;pwned"),
            "{args:?}: {}",
            ran.stdout
        );
    }
    let ran = run(&["list", "--spec", &spec, "--format", "json"]);
    assert_no_controls("list json", &ran.stdout);
    let report = ran.json();
    assert!(
        report["spec"]
            .as_array()
            .is_some_and(|files| files.iter().any(|f| f
                .as_str()
                .is_some_and(|f| f.ends_with(&format!("/zz{EVIL}.toml"))))),
        "{report}"
    );
    let ran = run(&["image", "--root", root, "--format", "nagios"]);
    assert_inert("nagios", &ran.stdout);
}

#[test]
fn machine_formats_keep_an_images_hostile_text_whole_where_they_can() {
    let dir = scratch("escapes-machine");
    let root = dir.join("root");
    hostile_tree(&root);
    let root = root.to_str().unwrap_or_default();
    // JSON: the evidence as it was, every character.
    let ran = run(&["image", "--root", root, "--format", "json"]);
    assert_no_controls("json", &ran.stdout);
    let report = ran.json();
    let evidence = &common::check(&report, "tmp-leftovers")["evidence"];
    assert!(
        evidence.as_array().is_some_and(|es| es.iter().any(|e| e
            .as_str()
            .is_some_and(|e| e.starts_with(&format!("/tmp/left{EVIL} ("))))),
        "{evidence}"
    );
    // JUnit: well-formed XML 1.0, with what XML can hold kept and the rest shown.
    let ran = run(&["image", "--root", root, "--format", "junit"]);
    assert_no_controls("junit", &ran.stdout);
    let xml = dir.join("report.xml");
    std::fs::write(&xml, &ran.stdout).expect("write");
    let text = python(
        "import sys, xml.etree.ElementTree as E\n\
         print(''.join(e.text or '' for e in E.parse(sys.argv[1]).iter('system-out')).encode('unicode_escape').decode())",
        &[&xml.display().to_string()],
    );
    // ESC and BEL have no place in XML 1.0: shown. CR, C1 and bidi read back as they were.
    assert!(
        text.contains(r"/tmp/left\\x1b[2J\\x1b]0;pwned\\x07\rverdict: pass\\x1b[0m\x9b2J\u202e"),
        "{text}"
    );
}
