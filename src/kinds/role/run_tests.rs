//! Kind `role` (check role-leftovers) in-process (`crate::testing`): the role from an env
//! file on this machine, and the planted state of another role. The role from a real
//! xcbdaemon is end-to-end, in tests/kinds/role.rs.

use crate::testing::{self, Checked};
use std::path::Path;

/// The one check of `spec`, run on this machine.
#[track_caller]
fn run(spec: &str) -> Checked {
    testing::on_this_machine(spec)
}

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
    let scratch = testing::scratch("role-env");
    let dir = scratch.path();
    std::fs::create_dir_all(dir.join("data")).unwrap_or_else(|e| panic!("{e}"));
    for f in ["T7.dat", "T9.dat", "sequence"] {
        std::fs::write(dir.join("data").join(f), "x").unwrap_or_else(|e| panic!("{e}"));
    }
    let spec = role_spec(dir, &env_source(dir));
    let env = dir.join("xcbdaemon.env");

    let c = run(&spec);
    assert_eq!(c.status.as_str(), "skip", "{c:#?}");

    std::fs::write(&env, "XCB_ROLE=master\n").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(run(&spec).status.as_str(), "pass");
    std::fs::write(&env, "XCB_ROLE=replica\n").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(run(&spec).status.as_str(), "pass");

    // Seed 001: a demoted master that kept its data and sequence files.
    std::fs::write(&env, "# demoted\nXCB_ROLE=\"client\"\n").unwrap_or_else(|e| panic!("{e}"));
    let c = run(&spec);
    assert_eq!(c.status.as_str(), "fail", "{c:#?}");
    let d = dir.display();
    assert_eq!(
        c.summary,
        format!(
            "a client node keeps state of another role (master or replica): \
             {d}/data/T7.dat, {d}/data/T9.dat, {d}/data/sequence"
        )
    );
    assert!(
        c.evidence_text().contains("xcbdaemon.env: XCB_ROLE=client"),
        "{c:#?}"
    );

    std::fs::write(&env, "XCB_ROLE=mastre\n").unwrap_or_else(|e| panic!("{e}"));
    let c = run(&spec);
    assert_eq!(c.status.as_str(), "fail", "{c:#?}");
    assert_eq!(
        c.summary,
        "role \"mastre\" is not one this check knows (client, master, replica)"
    );
}
