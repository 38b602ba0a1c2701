//! In-process tests of the kinds: a check parsed from TOML by the real spec loader, run
//! by the real engine against a [`Target`] (a [`FakeBox`]'s bundle, a capture, a tree),
//! and its result read as typed fields, with no binary spawned and no JSON in between.
//! A kind's test then fails at its own `assert_eq!` line, and takes milliseconds.
//!
//! The end-to-end suites (tests/) keep what only the real thing can show: namespaces,
//! real servers and programs, real terminals, `--wait` and deadlines in wall time.
//!
//! Always compiled, so the kinds' `#[cfg(test)]` modules and the integration tests both
//! reach it; nothing the binary runs calls it, and the release build's LTO drops it.
//! It sits on the top floor: it uses the spec loader, the engine and the report's exit
//! code, the same ones `app` uses.

pub mod image_tree;
pub mod journald;

use crate::engine::{self, Overrides};
use crate::model::{FailOn, Status};
use crate::spec::{self, Spec};
use crate::world::question::Question;
use crate::world::read::{FileKind, ReadError};
use crate::world::root::{self, Stat};
use crate::world::tape::Tape;
use crate::world::{self, Target};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Where `path` leads, every link followed.
fn resolve(path: &str) -> Question {
    Question::Resolve {
        path: path.into(),
        follow_last: true,
    }
}

/// ENOENT, as a live question about a missing path gets it.
fn enoent() -> io::Error {
    io::Error::from_raw_os_error(2)
}

/// A box as a support bundle holds it, written by hand: the answers to the questions
/// the checks ask. A question the box has no answer for is "not in the bundle", and the
/// check skips naming it, so a test missing an answer says which. Every answer is
/// written by the recorder's own functions (`root::*_to_value`,
/// `world::run_to_value`), so a fake box and a collected bundle have one shape.
#[derive(Debug, Default)]
pub struct FakeBox {
    tape: BTreeMap<String, Value>,
    /// The names in each folder that holds a file of the box.
    folders: BTreeMap<String, Vec<String>>,
}

impl FakeBox {
    pub fn new() -> Self {
        Self::default()
    }

    /// The tape's key is the question's own (`Question`'s Display), as the recorder
    /// writes it: a fake box and a collected bundle cannot spell a question apart.
    fn answer(&mut self, question: Question, value: Value) {
        self.tape.insert(question.to_string(), value);
    }

    /// `/proc/REL` holds `text`, or does not exist.
    pub fn proc(mut self, rel: &str, text: Option<&str>) -> Self {
        let path = Path::new("/proc").join(rel);
        let read = match text {
            Some(t) => Ok(t.to_string()),
            None => Err(ReadError::Io {
                path,
                source: enoent(),
            }),
        };
        self.answer(Question::Proc(rel.to_string()), root::text_to_value(&read));
        self
    }

    /// A regular file of the box (mode 0644, root's), with its folder listing it.
    pub fn file(mut self, path: &str, text: &str) -> Self {
        let stat = Stat {
            kind: FileKind::File,
            mode: 0o644,
            uid: 0,
            gid: 0,
            size: text.len() as u64,
            rdev: 0,
            dev: 2049,
            ino: 1000 + self.tape.len() as u64,
            mtime: 1_764_000_000,
        };
        let stat = root::stat_result_to_value(&Ok(stat));
        self.answer(Question::Lstat(path.into()), stat.clone());
        self.answer(Question::Stat(path.into()), stat);
        let text = root::text_to_value(&Ok(text.to_string()));
        self.answer(Question::Read(path.into()), text.clone());
        self.answer(Question::Tail(path.into()), text);
        self.answer(resolve(path), root::path_to_value(&Ok(PathBuf::from(path))));
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let dir = if dir.is_empty() { "/" } else { dir };
        let names = self.folders.entry(dir.to_string()).or_default();
        names.push(name.to_string());
        crate::model::sort::sort(names);
        self
    }

    /// Paths the box does not have: every question about them says ENOENT.
    pub fn absent(mut self, paths: &[&str]) -> Self {
        for &path in paths {
            let read = || {
                Err(ReadError::Io {
                    path: PathBuf::from(path),
                    source: enoent(),
                })
            };
            self.answer(
                Question::Lstat(path.into()),
                root::stat_result_to_value(&Err(enoent())),
            );
            self.answer(
                Question::Stat(path.into()),
                root::stat_result_to_value(&Err(enoent())),
            );
            self.answer(Question::Read(path.into()), root::text_to_value(&read()));
            self.answer(Question::Tail(path.into()), root::text_to_value(&read()));
            self.answer(
                Question::ReadDir(path.into()),
                root::names_to_value(&Err(enoent())),
            );
            self.answer(resolve(path), root::path_to_value(&Err(enoent())));
            self.answer(
                Question::ReadLink(path.into()),
                root::path_to_value(&Err(enoent())),
            );
        }
        self
    }

    /// What `PROGRAM ARGS` printed on the box (Ok) or how it failed (Err).
    pub fn ran(mut self, program: &str, args: &[&str], result: Result<&str, &str>) -> Self {
        let result = result
            .map(str::to_string)
            .map_err(|text| world::DoorError::Replayed {
                text: text.to_string(),
                errno: None,
            });
        let question = Question::Run {
            program: program.into(),
            args: args.iter().map(|a| a.to_string()).collect(),
        };
        self.answer(question, world::run_to_value(&result));
        self
    }

    /// The tape a bundle of this box would hold.
    pub fn entries(&self) -> BTreeMap<String, Value> {
        let mut entries = self.tape.clone();
        for (dir, names) in &self.folders {
            entries.insert(
                Question::ReadDir(dir.into()).to_string(),
                root::names_to_value(&Ok(names.clone())),
            );
        }
        entries
    }

    /// The box as `--bundle` replays it: every answer from its tape.
    #[track_caller]
    pub fn target(&self) -> Target {
        let tape = Tape::playing(self.entries(), world::BUNDLE_MISS);
        Target::bundle(Arc::new(tape))
            .unwrap_or_else(|e| panic!("cannot open / for the fake box's root: {e}"))
    }
}

/// A box's kernel state captured as `--proc DIR --sys DIR` gives it.
#[track_caller]
pub fn captured(proc: Option<&Path>, sys: Option<&Path>) -> Target {
    Target::captured(proc.map(Path::to_path_buf), sys.map(Path::to_path_buf))
        .unwrap_or_else(|e| panic!("cannot open / for a capture's target: {e}"))
}

/// This machine, as `boot` sees it.
#[track_caller]
pub fn live() -> Target {
    Target::live().unwrap_or_else(|e| panic!("cannot open /: {e}"))
}

/// One check's result, as the binary's report gives it.
#[derive(Debug, Clone)]
pub struct Checked {
    pub id: String,
    pub status: Status,
    pub summary: String,
    pub evidence: Vec<String>,
    pub fix: Option<String>,
    pub root_cause: Option<String>,
}

impl Checked {
    /// The evidence lines as one text, for `contains`.
    pub fn evidence_text(&self) -> String {
        self.evidence.join("\n")
    }
}

/// A run's results and the exit code the binary would end with (`--fail-on` default).
#[derive(Debug)]
pub struct Ran {
    pub checks: Vec<Checked>,
    pub code: i32,
}

impl Ran {
    /// The result of check `id`.
    #[track_caller]
    pub fn check(&self, id: &str) -> &Checked {
        self.checks
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no check {id} in {:#?}", self.checks))
    }

    /// The one check's result of a one-check run.
    #[track_caller]
    pub fn only(&self) -> &Checked {
        match self.checks.as_slice() {
            [one] => one,
            all => panic!("{} checks ran, not one: {all:#?}", all.len()),
        }
    }
}

/// Runs the one `[[check]]` of `toml` (parsed by the spec loader, as `--spec` would)
/// against `target`, through the engine, with no `--wait`.
#[track_caller]
pub fn check(toml: &str, target: Target) -> Ran {
    let spec = spec::parse_text(Path::new("test.toml"), toml)
        .unwrap_or_else(|e| panic!("the test's spec does not load: {e}"));
    let [one] = spec.checks.as_slice() else {
        panic!("the test's spec has {} checks, not one", spec.checks.len());
    };
    let id = one.id.clone();
    run(spec, &[id.as_str()], target)
}

/// Runs the built-in spec's checks `only` (as `--only A,B`) against `target`.
#[track_caller]
pub fn shipped(only: &[&str], target: Target) -> Ran {
    let spec = spec::built_in().unwrap_or_else(|e| panic!("the built-in spec: {e}"));
    run(spec, only, target)
}

/// How long a pass may take: the command line's default `--timeout`.
const TIMEOUT: Duration = Duration::from_secs(30);

#[track_caller]
fn run(spec: Spec, only: &[&str], target: Target) -> Ran {
    let spec = Arc::new(spec);
    let only: Vec<String> = only.iter().map(|s| s.to_string()).collect();
    let selected = engine::select(&spec, target.mode(), &only, &[])
        .unwrap_or_else(|e| panic!("selecting the checks: {e}"));
    let opts = engine::Options {
        timeout: TIMEOUT,
        wait: None,
    };
    let run = engine::run(
        &spec,
        &selected,
        &Arc::new(target),
        &opts,
        &mut Overrides::default(),
    );
    let code = crate::report::exit_code(&run, FailOn::default());
    let checks = run
        .results
        .iter()
        .map(|r| Checked {
            id: r.check.id.clone(),
            status: r.status,
            summary: r.outcome.summary.clone(),
            evidence: r.outcome.evidence.iter().map(|e| e.text.clone()).collect(),
            fix: r.outcome.fix.clone(),
            root_cause: r.root_cause.map(|c| c.id.clone()),
        })
        .collect();
    Ran { checks, code }
}

/// The image tree of a case of tests/fixtures/image ([`image_tree`]), at `root` in a
/// scratch folder that lives as long as the guard.
#[cfg(test)]
pub struct Planted {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
}

/// The tree of `case`; None, after saying why, for a case that needs root (chown,
/// mknod) when not root.
#[cfg(test)]
#[track_caller]
pub fn planted(case: &str) -> Option<Planted> {
    let dir = scratch(&format!("planted-{case}"));
    let root = dir.path().join("root");
    match image_tree::build(case, &root) {
        Ok(()) => Some(Planted { _dir: dir, root }),
        Err(image_tree::TreeError::NeedsRoot { .. }) => {
            eprintln!("SKIP planted case {case}: needs root (chown or mknod)");
            None
        }
        Err(e) => panic!("image case {case}: {e}"),
    }
}

/// An image tree as `image --root DIR` looks at it.
#[track_caller]
pub fn image(root: &Path) -> Target {
    Target::image(root).unwrap_or_else(|e| panic!("{}: {e}", root.display()))
}

/// For each (planted case, check id, status, words of its summary): the check ends so,
/// in a run of every built-in image check over the case's tree, as `image --root`.
/// Every row is looked at, and the wrong ones reported together.
#[cfg(test)]
#[track_caller]
pub fn assert_planted(rows: &[(&str, &str, &str, &str)]) {
    let mut runs: BTreeMap<&str, Option<Ran>> = BTreeMap::new();
    let mut wrong = Vec::new();
    for &(case, id, want, words) in rows {
        let ran = runs
            .entry(case)
            .or_insert_with(|| planted(case).map(|tree| shipped(&[], image(&tree.root))));
        let Some(ran) = ran else { continue };
        let c = ran.check(id);
        if c.status.as_str() != want || !c.summary.contains(words) {
            wrong.push(format!(
                "{case}: {id} expected {want} with {words:?}, got {} {:?}",
                c.status.as_str(),
                c.summary
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

/// A file or folder of tests/fixtures/.
#[cfg(test)]
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// The kernel state captured in tests/fixtures/captured/NAME, as `--proc NAME/proc --sys
/// NAME/sys`.
#[cfg(test)]
#[track_caller]
pub fn captured_fixture(name: &str) -> Target {
    let base = fixture(&format!("captured/{name}"));
    captured(Some(&base.join("proc")), Some(&base.join("sys")))
}

/// A scratch folder named after the test (`name-XXXXXX` in the temporary folder), removed
/// when the guard drops, also when the test fails.
#[cfg(test)]
#[track_caller]
pub fn scratch(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("{name}-"))
        .tempdir()
        .unwrap_or_else(|e| panic!("a scratch folder for {name}: {e}"))
}

/// The one check of `toml`, run on this machine as `boot --spec` runs it.
#[cfg(test)]
#[track_caller]
pub fn on_this_machine(toml: &str) -> Checked {
    check(toml, live()).only().clone()
}
