//! The hostile cases, gathered in one place so they are easy to see and to extend: each
//! is a row of a table below. A hostile input must give a clear status (the one in its
//! row, with its words in the summary), the run must end within its deadline plus
//! 100 ms, and nothing may panic.
//!
//! - misbehaving daemons (refusing, hanging, dribbling headers, a slow body, a fault,
//!   malformed XML, HTTP 500, 256 MiB replies, entity expansion, resets, interim 1xx
//!   replies, an unasked-for gzip body): the xmlrpc kind's own table, tests/kinds/xmlrpc.rs,
//!   which also has a reply nested 20,000 deep (from the daemon, a leader and a bundle).
//! - hostile trees: image-tests/hostile.py's links out of the root, FIFOs, a socket,
//!   device nodes, link loops, an 8 GiB sparse file, names that are not UTF-8 and a
//!   directory 10,000 levels deep (walked whole), through both path resolvers; the tree
//!   is unchanged.
//! - `SPECS`: broken spec files beyond the classes of tests/specs/bad (which
//!   tests/spec_errors.rs checks message by message): huge, deeply nested (arrays, inline
//!   tables, dotted keys), binary, a FIFO, long dependency chains and cycles, a directory
//!   of thousands of files. (The chain found that loading was quadratic in the number of
//!   checks: 19 s for 5000.)

use crate::common;

use common::{check, problems, repo, scratch, timed};
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn assert_none(problems: Vec<String>) {
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

// --- hostile trees ------------------------------------------------------------------

/// Where the hostile tree is built: on tmpfs when there is one, because ext4 takes
/// about 25 s to make and remove a directory 10,000 levels deep, and tmpfs half a second.
fn tree_base() -> common::Scratch {
    let shm = Path::new("/dev/shm");
    let probe = shm.join(format!("ha-preflight-probe-{}", std::process::id()));
    if std::fs::create_dir(&probe).is_ok() {
        let _ = std::fs::remove_dir(&probe);
        return common::scratch_in(shm, "ha-preflight-hostile-tree");
    }
    scratch("hostile-tree")
}

/// The image run's own deadline (--timeout).
const IMAGE_DEADLINE: Duration = Duration::from_secs(10);

#[test]
fn hostile_trees_give_clear_results_without_escaping_hanging_or_changing_anything() {
    let dir = tree_base();
    let (root, host) = (dir.join("root"), dir.join("host"));
    std::fs::create_dir_all(&host).expect("mkdir");
    let script = repo().join("image-tests/hostile.py");
    let out = common::python_run("python3", &[&script, &root, &host], "hostile.py");
    let plants: serde_json::Value = serde_json::from_str(&out).expect("plants");
    let secret = plants["host_secret_text"].as_str().unwrap_or("host secret");
    let before = common::fingerprint(&root);
    let host_before = common::fingerprint(&host);
    let root_arg = root.display().to_string();
    let deadline = format!("{}s", IMAGE_DEADLINE.as_secs());
    let mut found = Vec::new();
    for resolver in ["openat2", "walk"] {
        for format in ["json", "human", "junit", "nagios", "prometheus"] {
            let name = format!("{resolver}/{format}");
            let (ran, took) = timed(
                &[
                    "image",
                    "--root",
                    &root_arg,
                    "--format",
                    format,
                    "--timeout",
                    &deadline,
                ],
                &[("HA_PREFLIGHT_RESOLVER", resolver)],
            );
            found.extend(problems(&name, &ran, took, IMAGE_DEADLINE));
            if ran.stdout.contains(secret) {
                found.push(format!("{name}: the host secret leaked:\n{}", ran.stdout));
            }
            // Nagios speaks its own exit codes (2 = CRITICAL).
            let codes: &[i32] = if format == "nagios" {
                &[0, 1, 2, 3]
            } else {
                &[0, 1, 3]
            };
            if !codes.contains(&ran.code) {
                found.push(format!("{name}: exit {}: {}", ran.code, ran.stderr));
            }
            if format != "json" {
                continue;
            }
            // Valid JSON even with names that are not UTF-8.
            let report: serde_json::Value = match serde_json::from_str(&ran.stdout) {
                Ok(r) => r,
                Err(e) => {
                    found.push(format!("{name}: not JSON ({e})"));
                    continue;
                }
            };
            let text = |id: &str| check(&report, id).to_string();
            if !text("machine-id").contains("FIFO") {
                found.push(format!(
                    "{name}: the FIFO is not named: {}",
                    text("machine-id")
                ));
            }
            if !text("tmp-leftovers").contains("build-\u{fffd}\u{fffd}.log") {
                found.push(format!(
                    "{name}: the non-UTF-8 name is not shown: {}",
                    text("tmp-leftovers")
                ));
            }
            // The walk goes by directory descriptors, so the directory 10,000 levels
            // deep (paths far past PATH_MAX) is walked whole, not given up on.
            let owners = check(&report, "unknown-owners");
            let counted: usize = owners["summary"]
                .as_str()
                .and_then(|s| s.split(' ').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            if owners["status"] != "pass" || counted < 10_000 {
                found.push(format!(
                    "{name}: the deep directory was not walked whole: {owners}"
                ));
            }
        }
    }
    let after = common::fingerprint(&root);
    if before != after {
        found.push(format!(
            "the run changed the tree: {}",
            common::first_difference(&before, &after)
        ));
    }
    if host_before != common::fingerprint(&host) {
        found.push("the run changed the host folder".into());
    }
    assert_none(found);
}

// --- broken specs -------------------------------------------------------------------

/// (name, how to make it in DIR (returns the --spec path), words of the error).
type MakeSpec = fn(&Path) -> std::path::PathBuf;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

fn check_table(id: &str, extra: &str) -> String {
    format!(
        "[[check]]\nid = \"{id}\"\nkind = \"interface\"\nmodes = [\"boot\"]\nname = \"lo\"\nwhy = \"w\"\nfix = \"f\"\n{extra}\n"
    )
}

const SPECS: &[(&str, MakeSpec, &str)] = &[
    (
        "larger than the 1 MiB limit",
        |d| write(d, "huge.toml", &vec![b'#'; 2 << 20]),
        "larger",
    ),
    (
        "arrays nested 100,000 deep",
        |d| {
            let mut s = String::from("x = ");
            s.push_str(&"[".repeat(100_000));
            s.push_str(&"]".repeat(100_000));
            write(d, "nested.toml", s.as_bytes())
        },
        "nested.toml:1:",
    ),
    (
        "inline tables nested 100,000 deep",
        |d| {
            let mut s = String::from("x = ");
            s.push_str(&"{a=".repeat(100_000));
            s.push('1');
            s.push_str(&"}".repeat(100_000));
            write(d, "tables.toml", s.as_bytes())
        },
        "tables.toml:1:",
    ),
    (
        // No nesting in the syntax, but a table 20,000 deep all the same.
        "dotted keys 20,000 deep",
        |d| {
            let s = format!("x.{} = 1\n", ["a"; 20_000].join("."));
            write(d, "keys.toml", s.as_bytes())
        },
        "keys.toml:",
    ),
    (
        "binary, not UTF-8",
        |d| {
            write(
                d,
                "binary.toml",
                &[0x7f, b'E', b'L', b'F', 0xff, 0xfe, 0, 0],
            )
        },
        "binary.toml",
    ),
    (
        "a FIFO where the spec file is",
        |d| {
            let path = d.join("fifo.toml");
            let ok = Command::new("mkfifo").arg(&path).status();
            assert!(ok.is_ok_and(|s| s.success()), "mkfifo");
            path
        },
        "FIFO",
    ),
    (
        "a 3000-check dependency chain",
        |d| {
            let mut s = check_table("c0", "");
            for i in 1..3000 {
                let _ = write!(
                    s,
                    "{}",
                    check_table(&format!("c{i}"), &format!("after = [\"c{}\"]", i - 1))
                );
            }
            write(d, "chain.toml", s.as_bytes())
        },
        "",
    ),
    (
        "a 3000-check dependency cycle",
        |d| {
            let mut s = String::new();
            for i in 0..3000 {
                let _ = write!(
                    s,
                    "{}",
                    check_table(
                        &format!("c{i}"),
                        &format!("requires = [\"c{}\"]", (i + 1) % 3000)
                    )
                );
            }
            write(d, "cycle.toml", s.as_bytes())
        },
        "(3000 checks)",
    ),
    (
        "a directory of 5000 spec files, one broken",
        |d| {
            let sub = d.join("many");
            std::fs::create_dir_all(&sub).expect("mkdir");
            for i in 0..5000 {
                write(
                    &sub,
                    &format!("{i:04}.toml"),
                    check_table(&format!("c{i}"), "").as_bytes(),
                );
            }
            write(&sub, "4999.toml", b"[[check]\n");
            sub
        },
        "4999.toml:1:",
    ),
];

/// A spec is read before any deadline starts; it must still be over quickly.
const SPEC_DEADLINE: Duration = Duration::from_secs(2);

#[test]
fn broken_specs_are_usage_errors_never_panics_or_hangs() {
    let dir = scratch("hostile-specs");
    let mut found = Vec::new();
    for &(name, make, words) in SPECS {
        let path = make(&dir).display().to_string();
        let (ran, took) = timed(&["list", "--spec", &path], &[]);
        found.extend(problems(name, &ran, took, SPEC_DEADLINE));
        // The chain is valid: it lists; everything else is a spec error, exit 2.
        let (want, stream) = if words.is_empty() {
            (0, &ran.stdout)
        } else {
            (2, &ran.stderr)
        };
        if ran.code != want || !stream.contains(words) {
            found.push(format!(
                "{name}: expected exit {want} with {words:?}, got {}: {}",
                ran.code,
                ran.stderr.chars().take(300).collect::<String>()
            ));
        }
    }
    assert_none(found);
}
