//! Kind `role` (check role-leftovers): the role from a file or a real xcbdaemon. The role
//! from an env file, and the planted state of another role, are judged in-process, in
//! src/kinds/role/run_tests.rs.

use crate::common::{evidence, free_port, scratch, summary, xcbdaemon};
use crate::kinds::support::only;
use std::fs;
use std::path::Path;

// --- role-leftovers --------------------------------------------------------------

fn role_spec(dir: &Path, source: &str) -> String {
    format!(
        r#"[[check]]
id = "role-leftovers"
kind = "role"
modes = ["boot"]
why = "test"
fix = "test"
{source}
leftovers.master = []
leftovers.replica = ["{d}/master/*"]
leftovers.client = ["{d}/data/*.dat", "{d}/data/sequence"]
"#,
        d = dir.display()
    )
}

#[test]
fn the_role_can_come_from_a_file_or_from_xcbdaemon() {
    let dir = scratch("role-sources");
    fs::create_dir_all(dir.join("master")).unwrap();
    fs::write(dir.join("master/queue"), "x").unwrap();
    let file_source = format!("source = \"file\"\npath = \"{}/role\"", dir.display());
    fs::write(dir.join("role"), "replica\n").unwrap();
    let c = only(&dir, &role_spec(&dir, &file_source), &[]);
    assert_eq!(c["status"], "fail", "{c:#}");
    assert!(
        summary(&c).starts_with("a replica node keeps state"),
        "{c:#}"
    );

    let port = free_port();
    let _daemon = xcbdaemon("127.0.0.1", port, "ok", &["--role", "replica"]);
    let rpc_source = format!(
        "source = \"xmlrpc\"\nurl = \"http://127.0.0.1:{port}/RPC2\"\nmethod = \"xcb.role\""
    );
    let c = only(&dir, &role_spec(&dir, &rpc_source), &[]);
    assert_eq!(c["status"], "fail", "{c:#}");
    assert!(evidence(&c).contains("xcb.role() at"), "{c:#}");
    fs::remove_file(dir.join("master/queue")).unwrap();
    assert_eq!(
        only(&dir, &role_spec(&dir, &rpc_source), &[])["status"],
        "pass"
    );
}
