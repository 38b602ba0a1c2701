//! Each kind's declared `params` against what its `parse` really asks for. The loader
//! takes the declared list as the whole truth about a kind: a key outside it is an
//! "unknown parameter", and `list`, the man page and `explain` name it. A parser that
//! reads a key the list lacks, or a list that keeps a key the parser no longer reads,
//! is the drift these tests catch.
//!
//! The examples are the checks shipped in `checks/*.toml`, and [`EXTRA`] for keys those
//! do not use. `Params` records, in unit tests, every key a parser asked for, present
//! or not; over a kind's examples that must be exactly its `params`.

use super::{KINDS, KindDef};
use crate::config::{Params, RawTable, SpecText};
use std::collections::BTreeSet;
use std::path::PathBuf;
use toml::Spanned;

/// Checks of a kind using parameters the shipped specs do not, so that every declared
/// parameter is asked for by some example: `(kind, TOML of one [[check]])`.
const EXTRA: &[(&str, &str)] = &[
    (
        "drbd",
        r#"[[check]]
id = "drbd-from-daemon"
kind = "drbd"
modes = ["boot"]
why = "x"
fix = "x"
source = "xmlrpc"
url = "http://127.0.0.1:8000/RPC2"
method = "drbd.status"
reply = "struct"
"#,
    ),
    (
        "role",
        r#"[[check]]
id = "role-from-daemon"
kind = "role"
modes = ["boot"]
why = "x"
fix = "x"
source = "xmlrpc"
url = "http://127.0.0.1:8000/RPC2"
method = "node.role"
field = "role"
leftovers.master = []
"#,
    ),
];

#[derive(serde::Deserialize)]
struct File {
    #[serde(default)]
    check: Vec<Spanned<RawTable>>,
}

/// One example: where it is from, and its table.
struct Example {
    source: SpecText,
    table: Spanned<RawTable>,
}

fn examples() -> Vec<Example> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("checks");
    let mut texts: Vec<(PathBuf, String)> = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    crate::model::sort::sort(&mut names);
    for path in names {
        let text = std::fs::read_to_string(&path).unwrap();
        texts.push((path, text));
    }
    for (kind, text) in EXTRA {
        texts.push((PathBuf::from(format!("EXTRA ({kind})")), text.to_string()));
    }
    let mut out = Vec::new();
    for (path, text) in texts {
        let file: File =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let source = SpecText::new(path, text);
        for table in file.check {
            out.push(Example {
                source: source.clone(),
                table,
            });
        }
    }
    out
}

fn kind_of(e: &Example) -> &str {
    e.table
        .get_ref()
        .get("kind")
        .and_then(|k| k.get_ref().as_str())
        .unwrap_or_default()
}

/// What `kind.parse` asked for on this example; its error if it refused it.
fn asked(kind: &KindDef, e: &Example) -> Result<Vec<String>, String> {
    let mut p = Params::new(&e.source, e.table.clone());
    match (kind.parse)(&mut p) {
        Ok(_) => Ok(p.asked().to_vec()),
        Err(err) => Err(err.to_string()),
    }
}

#[test]
fn every_kinds_params_are_the_keys_its_parse_asks_for() {
    let examples = examples();
    let mut wrong = Vec::new();
    for kind in KINDS {
        let declared: BTreeSet<&str> = kind.params.iter().copied().collect();
        if declared.len() != kind.params.len() {
            wrong.push(format!("kind `{}` declares a parameter twice", kind.name));
        }
        for common in declared.intersection(&crate::spec::COMMON.iter().copied().collect()) {
            wrong.push(format!(
                "kind `{}` declares `{common}`, which every check takes already",
                kind.name
            ));
        }
        let mut union = BTreeSet::new();
        let mut seen = 0;
        for e in examples.iter().filter(|e| kind_of(e) == kind.name) {
            seen += 1;
            match asked(kind, e) {
                Ok(keys) => union.extend(keys),
                Err(err) => wrong.push(format!("kind `{}`: an example fails: {err}", kind.name)),
            }
        }
        if seen == 0 {
            wrong.push(format!(
                "kind `{}` has no check in checks/*.toml nor in EXTRA (src/kinds/tests.rs)",
                kind.name
            ));
            continue;
        }
        for key in union.iter().filter(|k| !declared.contains(k.as_str())) {
            wrong.push(format!(
                "kind `{}`: parse asks for `{key}`, which its DEF.params lacks",
                kind.name
            ));
        }
        for key in declared.iter().filter(|k| !union.contains(**k)) {
            wrong.push(format!(
                "kind `{}`: DEF.params has `{key}`, which parse never asked for on its examples \
                 (add one to EXTRA in src/kinds/tests.rs if the shipped checks do not use it)",
                kind.name
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

/// An example's table as a plain TOML table, without the edges to other checks (alone in
/// a spec, they would name checks it does not have).
fn plain(e: &Example) -> toml::Table {
    e.table
        .get_ref()
        .iter()
        .filter(|(k, _)| !["requires", "after"].contains(&k.get_ref().as_str()))
        .map(|(k, v)| (k.get_ref().clone(), v.get_ref().clone()))
        .collect()
}

/// The example, alone in a spec, through the whole loader.
fn load(table: toml::Table) -> Result<(), String> {
    let mut file = toml::Table::new();
    file.insert("check".into(), toml::Value::Array(vec![table.into()]));
    let text = toml::to_string(&file).map_err(|e| e.to_string())?;
    crate::spec::parse_text(std::path::Path::new("example.toml"), &text)
        .map(drop)
        .map_err(|e| format!("{e}\n{text}"))
}

#[test]
fn a_key_no_kind_declares_is_an_unknown_parameter_of_every_kind() {
    let examples = examples();
    let mut wrong = Vec::new();
    for kind in KINDS {
        let Some(e) = examples.iter().find(|e| kind_of(e) == kind.name) else {
            wrong.push(format!("kind `{}` has no example", kind.name));
            continue;
        };
        // Its declared keys are known to the loader: the example loads as it is.
        if let Err(err) = load(plain(e)) {
            wrong.push(format!(
                "kind `{}`: its example does not load: {err}",
                kind.name
            ));
            continue;
        }
        let mut table = plain(e);
        table.insert("made_up_key".into(), 1.into());
        let want = format!("unknown parameter `made_up_key` for kind `{}`", kind.name);
        match load(table) {
            Err(err) if err.contains(&want) => {}
            other => wrong.push(format!(
                "kind `{}`: {want} expected, got {other:?}",
                kind.name
            )),
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}
