//! Every class of bad spec exits 2 with `FILE:LINE:COL: message`, never a panic and never
//! a silently dropped check. Each fixture in tests/specs/bad/ names its expected error in
//! its first line: `# expect: LINE:COL: fragment` (0:0 for errors about the whole file).

use crate::common;

use common::{repo, run};

#[test]
fn each_bad_spec_is_located_and_rejected() {
    let dir = repo().join("tests/specs/bad");
    let mut seen = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixture dir")
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let text = std::fs::read_to_string(&path).expect("fixture");
        let expect = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{} has no `# expect:` line", path.display()));
        let (pos, fragment) = expect.split_at(expect.find(": ").expect("LINE:COL: fragment"));
        let fragment = &fragment[2..];
        let shown = path.display().to_string();
        for args in [vec!["list", "--spec", &shown], vec!["--spec", &shown]] {
            let ran = run(&args);
            assert_eq!(
                ran.code, 2,
                "{shown}: exit {}; stderr: {}",
                ran.code, ran.stderr
            );
            assert!(
                ran.stdout.is_empty(),
                "{shown}: nothing on stdout: {}",
                ran.stdout
            );
            let located = if pos == "0:0" {
                format!("{shown}: ")
            } else {
                format!("{shown}:{pos}: ")
            };
            assert!(
                ran.stderr.contains(&located) && ran.stderr.contains(fragment),
                "{shown}: expected `{located}…{fragment}`, got: {}",
                ran.stderr
            );
            assert!(!ran.stderr.contains("panicked"), "{}", ran.stderr);
        }
        seen += 1;
    }
    assert!(seen >= 12, "only {seen} bad-spec fixtures found");
}

#[test]
fn the_shipped_spec_loads() {
    let ran = run(&[
        "list",
        "--spec",
        &repo().join("checks").display().to_string(),
    ]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    for id in [
        "shm-tmpfs",
        "netrun-layout",
        "netrun-stale",
        "lo-up",
        "xcbdaemon-rpc",
    ] {
        assert!(
            ran.stdout.contains(id),
            "{id} missing from:\n{}",
            ran.stdout
        );
    }
}

#[test]
fn a_directory_spec_reads_every_toml_file() {
    let dir = common::scratch("spec-dir");
    std::fs::write(
        dir.join("10-lo.toml"),
        "[[check]]\nid = \"lo-up\"\nkind = \"interface\"\nmodes = [\"boot\"]\nname = \"lo\"\nwhy = \"w\"\nfix = \"f\"\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("20-rpc.toml"),
        "[[check]]\nid = \"rpc\"\nkind = \"xmlrpc\"\nmodes = [\"boot\"]\nrequires = [\"lo-up\"]\nurl = \"http://127.0.0.1:9/\"\nwhy = \"w\"\nfix = \"f\"\n",
    )
    .expect("write");
    std::fs::write(dir.join("README"), "not a spec").expect("write");
    let ran = run(&["list", "--spec", &dir.display().to_string()]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(
        ran.stdout.contains("lo-up") && ran.stdout.contains("rpc"),
        "{}",
        ran.stdout
    );
}

/// The words of errors about files and arguments: the path once, the user's own input
/// quoted as typed, TOML's terms rather than serde's.
#[test]
fn errors_say_it_once_in_the_users_words() {
    let dir = common::scratch("error-words");
    let missing = dir.join("missing.toml").display().to_string();
    let ran = run(&["--spec", &missing]);
    assert_eq!(ran.code, 2);
    assert_eq!(
        ran.stderr.matches(missing.as_str()).count(),
        1,
        "{}",
        ran.stderr
    );
    let overrides = dir.join("o.toml");
    std::fs::write(&overrides, "[override]\nid = \"lo-up\"\nreason = \"x\"\n").expect("write");
    let ran = run(&["--overrides", &overrides.display().to_string()]);
    assert!(
        ran.stderr
            .contains("`[override]` is a single table here: write `[[override]]`"),
        "{}",
        ran.stderr
    );
    assert!(
        !ran.stderr.contains("expected a sequence"),
        "{}",
        ran.stderr
    );
    let ran = run(&["--timeout", "99999999999999999999"]);
    assert!(
        ran.stderr
            .contains("`99999999999999999999` seconds is out of range"),
        "{}",
        ran.stderr
    );
}
