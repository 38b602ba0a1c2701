//! The read-only guarantee (design.md, safety rules): no mode of ha-preflight writes to
//! what it checks. Each test fingerprints a tree from lstat alone (tests/common: every
//! entry's type, mode, size, mtime, ctime, owner, inode and link target), runs every
//! command and format against it, and asserts the fingerprint is unchanged. ctime moves
//! on any change to an inode, so a write, chmod, chown, rename, create or delete shows.
//!
//! - fixtures: an image tree from make_tree.py, the captured /proc and /sys bundles
//!   and the `collect` bundle of tests/fixtures, as any user;
//! - the live system: in fresh network and mount namespaces (root), /etc (an overlay
//!   over the host's, so a write would land in its upper directory), /run and /dev/shm
//!   (fresh tmpfs) of tests/healthy-box.sh, with xcbdaemon answering, around boot, `--wait`,
//!   build-host, image of `/`, list, explain and --version.

use crate::common;

use common::{Ran, bin, fingerprint, first_difference, fixture, repo, scratch, skip_unless_root};
use std::path::Path;
use std::process::Command;

/// Every command line a person, the unit or CI would run, for a target given by `at`.
fn command_lines(at: &[&str]) -> Vec<Vec<String>> {
    let mut lines = Vec::new();
    for format in ["human", "json", "junit", "nagios", "prometheus"] {
        lines.push(["--format", format].to_vec());
    }
    lines.push(vec!["--verbose"]);
    lines.push(vec!["--quiet"]);
    lines.push(vec!["list"]);
    lines.push(vec!["explain", "lo-up"]);
    lines.push(vec!["--version"]);
    lines
        .into_iter()
        .map(|l| at.iter().chain(l.iter()).map(|s| s.to_string()).collect())
        .collect()
}

/// Runs each line, then checks that no tree of `trees` changed; every difference is
/// reported with the command that made it.
fn assert_untouched(trees: &[&Path], lines: &[Vec<String>]) {
    let mut found = Vec::new();
    for line in lines {
        let before: Vec<Vec<u8>> = trees.iter().map(|t| fingerprint(t)).collect();
        let ran = common::run(&line.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(!ran.stderr.contains("panicked"), "{line:?}: {}", ran.stderr);
        for (tree, was) in trees.iter().zip(&before) {
            let now = fingerprint(tree);
            if &now != was {
                found.push(format!(
                    "{line:?} changed {}: {}",
                    tree.display(),
                    first_difference(was, &now)
                ));
            }
        }
    }
    assert!(found.is_empty(), "\n{}", found.join("\n"));
}

#[test]
fn image_mode_leaves_the_tree_as_it_was() {
    let dir = scratch("read-only-image");
    let root = dir.join("root");
    let out = Command::new("python3")
        .arg(repo().join("image-tests/make_tree.py"))
        .arg("clean")
        .arg(&root)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let root_arg = root.display().to_string();
    let mut lines = command_lines(&["image", "--root", &root_arg]);
    lines.extend(command_lines(&["build-host", "--root", &root_arg]));
    assert_untouched(&[&root], &lines);
}

#[test]
fn captured_bundles_are_only_read() {
    let captured = fixture("captured");
    let mut lines = Vec::new();
    for bundle in ["lo-up", "lo-down", "ext4-errors"] {
        let proc_dir = captured.join(bundle).join("proc").display().to_string();
        let sys_dir = captured.join(bundle).join("sys").display().to_string();
        lines.extend(command_lines(&["--proc", &proc_dir, "--sys", &sys_dir]));
    }
    // A support bundle from `collect` (tests/fixtures/bundle): replayed, only read.
    let bundle = fixture("bundle");
    let tar = bundle.join("incident.tar").display().to_string();
    lines.extend(command_lines(&["--bundle", &tar]));
    assert_untouched(&[&captured, &bundle], &lines);
}

#[test]
fn the_live_system_is_only_read() {
    if skip_unless_root(
        "the_live_system_is_only_read",
        "network and mount namespaces",
    ) {
        return;
    }
    let dir = scratch("read-only-live");
    let w = dir.display();
    // The fingerprint of /etc, /run and /dev/shm after each command, the same find
    // format as tests/common's fingerprint, hashed so the output stays small; the
    // first line is before any command ran.
    let lines: Vec<String> = command_lines(&[])
        .into_iter()
        .chain(command_lines(&["build-host"]))
        .chain([
            // One image run of the live root: it walks the whole host, so once is enough.
            vec![
                "image".into(),
                "--root".into(),
                "/".into(),
                "--format".into(),
                "json".into(),
            ],
            vec!["boot".to_string(), "--wait".into(), "1s".into()],
            vec![
                "--only".into(),
                "xcbdaemon-rpc".into(),
                "--format".into(),
                "json".into(),
            ],
        ])
        .map(|l| {
            l.iter()
                .map(|a| format!("'{a}'"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let mut sh = String::from(
        r#"set -eu
fp() { find /etc /run /dev/shm -xdev -printf '%p\0%y %m %s %T@ %C@ %U %G %i %l\n' | sha256sum | cut -c1-16; }
echo "before $(fp)"
"#,
    );
    for (i, line) in lines.iter().enumerate() {
        sh.push_str(&format!(
            "{bin} {line} > {w}/out.{i} 2>&1 || true\necho \"{i} $(fp)\"\n",
            bin = bin()
        ));
    }
    let out = Command::new("unshare")
        .args(["-n", "-m", "bash"])
        .arg(repo().join("tests/healthy-box.sh"))
        .arg(&dir)
        .args(["sh", "-c", &sh])
        .output()
        .expect("unshare runs");
    let ran = Ran::from(out);
    assert_eq!(ran.code, 0, "setup failed: {}", ran.stderr);
    let prints: Vec<(&str, &str)> = ran
        .stdout
        .lines()
        .filter_map(|l| l.split_once(' '))
        .collect();
    assert_eq!(prints.len(), lines.len() + 1, "{}", ran.stdout);
    let mut previous = prints[0].1;
    let mut found = Vec::new();
    for ((_, print), line) in prints[1..].iter().zip(&lines) {
        if *print != previous {
            found.push(format!(
                "`ha-preflight {line}` changed /etc, /run or /dev/shm"
            ));
        }
        previous = print;
    }
    // The healthy box really was judged, so the runs did their reading.
    let boot = std::fs::read_to_string(dir.join("out.1")).unwrap_or_default();
    assert!(boot.contains("\"verdict\": \"pass\""), "{boot}");
    assert!(found.is_empty(), "\n{}", found.join("\n"));
}
