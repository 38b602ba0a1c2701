//! The floor plan of src/, checked: every `crate::` path in a module names its own floor
//! or one below it, so the dependencies run one way, from the shared words up to the
//! command line, and no two floors import each other. The floors are the table in
//! src/lib.rs. A plain reading of the source text, no compiler needed.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

/// Top-level modules, lowest floor first; modules on one floor may use each other.
const FLOORS: &[&[&str]] = &[
    &["model", "heap"],
    &["config"],
    &["world"],
    &["kinds"],
    &["spec"],
    &["engine"],
    &["report"],
    &["cli", "logger"],
    &["app"],
];

fn floor(module: &str) -> Option<usize> {
    FLOORS.iter().position(|f| f.contains(&module))
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

/// Every top-level module a file names as `crate::NAME`, outside comments.
fn uses(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

#[test]
fn every_import_runs_down_the_floors() {
    let src = common::repo().join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut wrong = Vec::new();
    let mut seen_floors = BTreeSet::new();
    for file in &files {
        let rel = file.strip_prefix(&src).expect("under src");
        let Some(module) = module_of(rel) else {
            continue;
        };
        if matches!(module.as_str(), "lib" | "main") {
            continue;
        }
        let Some(own) = floor(&module) else {
            wrong.push(format!(
                "src/{}: module `{module}` is on no floor of FLOORS",
                rel.display()
            ));
            continue;
        };
        seen_floors.insert(module.clone());
        let text = std::fs::read_to_string(file).expect("read");
        for used in uses(&text) {
            match floor(&used) {
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
    for module in FLOORS.iter().flat_map(|f| f.iter()) {
        assert!(
            seen_floors.contains(*module),
            "no source file for module `{module}`"
        );
    }
}
