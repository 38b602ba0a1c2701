//! The floor plan of src/, checked: every `crate::` path in a module names its own floor
//! or one below it, so the dependencies run one way, from the shared words up to the
//! command line, and no two floors import each other. The floors are the table in
//! src/lib.rs. A plain reading of the source text, no compiler needed.

use crate::common;

use std::collections::BTreeSet;
use std::path::Path;

/// Top-level modules, lowest floor first; modules on one floor may use each other. Read
/// from the table in src/lib.rs's doc ("| 2 | `config` | ..."), so the table a reader
/// sees and the one checked here are the same.
fn floors() -> Vec<Vec<String>> {
    let lib = std::fs::read_to_string(common::repo().join("src/lib.rs")).expect("src/lib.rs");
    let mut floors: Vec<Vec<String>> = Vec::new();
    for row in lib.lines().filter_map(|l| l.strip_prefix("//! | ")) {
        let mut cells = row.split(" | ");
        let (Some(n), Some(modules)) = (cells.next(), cells.next()) else {
            continue;
        };
        let Ok(n) = n.trim().parse::<usize>() else {
            continue;
        };
        assert!(
            n >= 1 && n <= floors.len() + 1,
            "src/lib.rs: floor {n} out of order"
        );
        if n > floors.len() {
            floors.push(Vec::new());
        }
        floors[n - 1].extend(modules.split('`').skip(1).step_by(2).map(str::to_string));
    }
    assert!(floors.len() > 3, "src/lib.rs: no floor table found");
    floors
}

fn floor(floors: &[Vec<String>], module: &str) -> Option<usize> {
    floors.iter().position(|f| f.iter().any(|m| m == module))
}

/// The top-level module a source file belongs to: `src/kinds/drbd/mod.rs` is `kinds`.
fn module_of(rel: &Path) -> Option<String> {
    let first = rel
        .components()
        .next()?
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    Some(first.trim_end_matches(".rs").to_string())
}

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src").flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every top-level module a file names as `crate::NAME`, or in a group as
/// `crate::{a, b::c}` (over lines too), outside comments.
fn uses(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut found = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // The names at the group's own depth: after `{` and after each `,` there.
            let mut depth = 0usize;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                if item_start && depth == 0 {
                    let name = ident(&group[i..]);
                    if !name.is_empty() {
                        if name != "self" {
                            found.insert(name);
                        }
                        item_start = false;
                    } else if !c.is_whitespace() {
                        item_start = false;
                    }
                }
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    _ => {}
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

/// What the kinds' own tests may use beyond their floor: the in-process harness
/// (`src/testing.rs`, the top floor) and the spec loader that reads their examples.
const FOR_TESTS: &[&str] = &["testing", "spec"];

/// Whether a file is the kinds' tests: a kind's in-process tests,
/// `src/kinds/<kind>/run_tests.rs`, or `src/kinds/tests.rs` (each a `#[cfg(test)]`
/// module, never in the binary): the one place a lower floor may use [`FOR_TESTS`].
fn is_run_tests(rel: &Path) -> bool {
    let parts: Vec<_> = rel.components().map(|c| c.as_os_str()).collect();
    matches!(parts.as_slice(), [k, _, f] if *k == "kinds" && *f == "run_tests.rs")
        || matches!(parts.as_slice(), [k, f] if *k == "kinds" && *f == "tests.rs")
}

/// Whether the kind that holds `run_tests.rs` declares it for tests only: in its
/// folder's mod.rs, or in `kinds/<kind>.rs` beside the folder.
fn declared_for_tests_only(run_tests: &Path) -> bool {
    let Some(dir) = run_tests.parent() else {
        return false;
    };
    let (parents, line) = if run_tests.ends_with("kinds/tests.rs") {
        (vec![dir.join("mod.rs")], "#[cfg(test)]\nmod tests;")
    } else {
        (
            vec![dir.join("mod.rs"), dir.with_extension("rs")],
            "#[cfg(test)]\nmod run_tests;",
        )
    };
    parents
        .iter()
        .any(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains(line)))
}

#[test]
fn only_a_kinds_run_tests_may_use_the_harness() {
    assert!(is_run_tests(Path::new("kinds/drbd/run_tests.rs")));
    assert!(!is_run_tests(Path::new("kinds/drbd/mod.rs")));
    assert!(!is_run_tests(Path::new("engine/run_tests.rs")));
    assert!(!is_run_tests(Path::new("kinds/run_tests.rs")));
    assert!(is_run_tests(Path::new("kinds/tests.rs")));
    assert!(!is_run_tests(Path::new("world/tests.rs")));
}

#[test]
fn a_grouped_import_names_each_module() {
    let found = uses(
        "use crate::{\n    model::Status, // a comment\n    world::{Root, read},\n    self,\n};",
    );
    assert_eq!(found.into_iter().collect::<Vec<_>>(), ["model", "world"]);
}

#[test]
fn every_import_runs_down_the_floors() {
    let src = common::repo().join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let floors = floors();
    let main = std::fs::read_to_string(src.join("main.rs")).expect("src/main.rs");
    let of_the_binary: BTreeSet<String> = main
        .lines()
        .filter_map(|l| l.trim().strip_prefix("mod ")?.strip_suffix(';'))
        .map(str::to_string)
        .collect();
    let mut wrong = Vec::new();
    let mut seen_floors = BTreeSet::new();
    for file in &files {
        let rel = file.strip_prefix(&src).expect("under src");
        let Some(module) = module_of(rel) else {
            continue;
        };
        // The binary and its own modules (src/main.rs declares them: the release link's
        // no_unwinder) stand above every floor; nothing of the library uses them.
        if matches!(module.as_str(), "lib" | "main") || of_the_binary.contains(&module) {
            continue;
        }
        let Some(own) = floor(&floors, &module) else {
            wrong.push(format!(
                "src/{}: module `{module}` is on no floor of src/lib.rs's table",
                rel.display()
            ));
            continue;
        };
        seen_floors.insert(module.clone());
        let text = std::fs::read_to_string(file).expect("read");
        let run_tests = is_run_tests(rel);
        if run_tests && !declared_for_tests_only(file) {
            wrong.push(format!(
                "src/{}: not declared `#[cfg(test)] mod run_tests;` by its kind",
                rel.display()
            ));
        }
        for used in uses(&text) {
            if run_tests && FOR_TESTS.contains(&used.as_str()) {
                continue;
            }
            match floor(&floors, &used) {
                None => wrong.push(format!(
                    "src/{}: uses crate::{used}, on no floor",
                    rel.display()
                )),
                Some(f) if f > own => wrong.push(format!(
                    "src/{}: `{module}` (floor {}) uses crate::{used} (floor {}), a higher floor",
                    rel.display(),
                    own + 1,
                    f + 1
                )),
                Some(_) => {}
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
    // Every floor is in use: the table is the house, not a wish.
    for module in floors.iter().flatten() {
        assert!(
            seen_floors.contains(module),
            "no source file for module `{module}`"
        );
    }
}
