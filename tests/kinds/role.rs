//! Kind `role` (check role-leftovers): the role from an env file, a file or xcbdaemon, and
//! the planted state of another role.

use crate::common::{free_port, scratch, xcbdaemon};
use crate::support::{evidence, only, summary};
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

fn env_source(dir: &Path) -> String {
    format!(
        "source = \"env\"\npath = \"{}/xcbdaemon.env\"\nkey = \"XCB_ROLE\"",
        dir.display()
    )
}

#[test]
fn leftovers_of_another_role_fail_per_role() {
    let dir = scratch("role-env");
    fs::create_dir_all(dir.join("data")).unwrap();
    for f in ["T7.dat", "T9.dat", "sequence"] {
        fs::write(dir.join("data").join(f), "x").unwrap();
    }
    let spec = role_spec(&dir, &env_source(&dir));
    let env = dir.join("xcbdaemon.env");

    let c = only(&dir, &spec, &[]);
    assert_eq!(c["status"], "skip", "{c:#}");

    fs::write(&env, "XCB_ROLE=master\n").unwrap();
    assert_eq!(only(&dir, &spec, &[])["status"], "pass");
    fs::write(&env, "XCB_ROLE=replica\n").unwrap();
    assert_eq!(only(&dir, &spec, &[])["status"], "pass");

    // Seed 001: a demoted master that kept its data and sequence files.
    fs::write(&env, "# demoted\nXCB_ROLE=\"client\"\n").unwrap();
    let c = only(&dir, &spec, &[]);
    assert_eq!(c["status"], "fail", "{c:#}");
    let d = dir.display();
    assert_eq!(
        summary(&c),
        format!(
            "a client node keeps state of another role (master or replica): \
             {d}/data/T7.dat, {d}/data/T9.dat, {d}/data/sequence"
        )
    );
    assert!(
        evidence(&c).contains("xcbdaemon.env: XCB_ROLE=client"),
        "{c:#}"
    );

    fs::write(&env, "XCB_ROLE=mastre\n").unwrap();
    let c = only(&dir, &spec, &[]);
    assert_eq!(c["status"], "fail", "{c:#}");
    assert_eq!(
        summary(&c),
        "role \"mastre\" is not one this check knows (client, master, replica)"
    );
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
