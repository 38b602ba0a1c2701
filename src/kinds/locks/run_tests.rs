//! Kind `locks` (check stale-locks) in-process (`crate::testing`): pid files on this
//! machine that hold no pid, and none at all. Pid files and locks against real processes
//! are end-to-end, in tests/kinds/locks.rs.

use crate::testing::{self, Checked};
use std::path::Path;

/// The one check of `spec`, run on this machine.
#[track_caller]
fn run(spec: &str) -> Checked {
    testing::on_this_machine(spec)
}

fn locks_spec(dir: &Path) -> String {
    format!(
        r#"[[check]]
id = "stale-locks"
kind = "locks"
modes = ["boot"]
why = "test"
fix = "test"
pid_files = ["{d}/run/*.pid", {{ path = "{d}/run/named/db.pid", process = "xcbdaemon" }}]
lock_files = ["{d}/lock/*.lock"]
"#,
        d = dir.display()
    )
}

fn locks_dir(name: &str) -> tempfile::TempDir {
    let dir = testing::scratch(name);
    for sub in ["run/named", "lock"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap_or_else(|e| panic!("mkdir: {e}"));
    }
    dir
}

#[test]
fn a_pid_file_with_garbage_is_an_error_that_says_so() {
    let scratch = locks_dir("locks-garbage");
    let dir = scratch.path();
    std::fs::write(dir.join("run/xcbdaemon.pid"), "started\n").unwrap_or_else(|e| panic!("{e}"));
    let c = run(&locks_spec(dir));
    assert_eq!(c.status.as_str(), "error", "{c:#?}");
    assert!(
        c.summary
            .contains("xcbdaemon.pid: content \"started\" is not a pid"),
        "{c:#?}"
    );
    // A huge file is not read whole.
    std::fs::write(dir.join("run/xcbdaemon.pid"), "1".repeat(1 << 20))
        .unwrap_or_else(|e| panic!("{e}"));
    let c = run(&locks_spec(dir));
    assert_eq!(c.status.as_str(), "error", "{c:#?}");
    assert!(c.summary.contains("not a pid file"), "{c:#?}");
}

#[test]
fn no_pid_or_lock_files_pass() {
    let scratch = locks_dir("locks-none");
    let dir = scratch.path();
    let c = run(&locks_spec(dir));
    assert_eq!(c.status.as_str(), "pass", "{c:#?}");
    assert_eq!(
        c.summary,
        "no pid or lock file present (3 patterns looked at)"
    );
}
