//! What the kind tests share: running the binary on a spec of their own, and reading the
//! one check's result.

use crate::common;
use ha_preflight::world::question::Question;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

/// Runs `boot --spec SPEC --format json` with `spec` written to `dir/spec.toml`.
pub fn run_spec(dir: &Path, spec: &str, extra: &[&str]) -> Value {
    let path = dir.join("spec.toml");
    fs::write(&path, spec).expect("write spec");
    let spec_arg = path.display().to_string();
    let mut args = vec!["boot", "--spec", &spec_arg, "--format", "json"];
    args.extend_from_slice(extra);
    common::run(&args).json()
}

/// The one check's result in a run of a one-check spec.
pub fn only(dir: &Path, spec: &str, extra: &[&str]) -> Value {
    let report = run_spec(dir, spec, extra);
    report["checks"][0].clone()
}

pub fn summary(c: &Value) -> &str {
    c["summary"].as_str().unwrap_or_default()
}

pub fn evidence(c: &Value) -> String {
    c["evidence"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

pub fn skip_unless_root(test: &str, why: &str) -> bool {
    if common::is_root() {
        return false;
    }
    eprintln!("SKIP {test}: needs root ({why})");
    true
}

/// `image --format json` over a tree image-tests/make_tree.py plants `case` in; the
/// scratch folder with the tree lives as long as the guard. None, after saying why, for
/// a case that needs root (chown, mknod) when not root.
pub fn planted(case: &str) -> Option<(common::Scratch, Value)> {
    let dir = common::scratch(&format!("planted-{case}"));
    let root = dir.join("root");
    let out = std::process::Command::new("python3")
        .arg(common::repo().join("image-tests/make_tree.py"))
        .arg(case)
        .arg(&root)
        .output()
        .expect("python3 runs");
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        if out.status.code() == Some(77) {
            eprintln!("SKIP planted case {case}: needs root (chown or mknod)");
            return None;
        }
        panic!("make_tree.py {case}: {err}");
    }
    let report = common::run(&["image", "--format", "json", "--root", root.to_str()?]).json();
    Some((dir, report))
}

/// For each (planted case, check id, status, words of its summary): the check ends so.
pub fn assert_planted(rows: &[(&str, &str, &str, &str)]) {
    let mut wrong = Vec::new();
    for &(case, id, want, words) in rows {
        let Some((_dir, report)) = planted(case) else {
            continue;
        };
        let c = common::check(&report, id);
        if c["status"] != want || !summary(c).contains(words) {
            wrong.push(format!(
                "{case}: {id} expected {want} with {words:?}, got {} {:?}",
                c["status"],
                summary(c)
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

/// A box as a support bundle holds it, written by hand: the answers to the questions
/// the checks ask, keyed by the tool's own `Question` (as `man ha-preflight` lists them
/// under SUPPORT BUNDLES), so this fake and a recorded bundle cannot spell a question
/// differently. A question the box has no answer for is "not in the bundle" on replay,
/// and the check skips naming it, so a test missing an answer says which.
#[derive(Default)]
pub struct FakeBox {
    tape: serde_json::Map<String, Value>,
}

impl FakeBox {
    pub fn new() -> Self {
        Self::default()
    }

    /// `/proc/REL` holds `text`, or does not exist.
    pub fn proc(mut self, rel: &str, text: Option<&str>) -> Self {
        let answer = match text {
            Some(t) => serde_json::json!({ "ok": t }),
            None => serde_json::json!({ "errno": 2 }),
        };
        self.tape
            .insert(Question::Proc(rel.to_string()).to_string(), answer);
        self
    }

    /// A regular file of the box, with its folder listing it.
    pub fn file(mut self, path: &str, text: &str) -> Self {
        let stat = serde_json::json!({ "ok": {
            "kind": "file", "mode": 0o644, "uid": 0, "gid": 0, "size": text.len(),
            "rdev": 0, "dev": 2049, "ino": 1000 + self.tape.len(), "mtime": 1_764_000_000,
        }});
        let p = PathBuf::from(path);
        for q in [Question::Lstat(p.clone()), Question::Stat(p.clone())] {
            self.tape.insert(q.to_string(), stat.clone());
        }
        for q in [Question::Read(p.clone()), Question::Tail(p.clone())] {
            self.tape
                .insert(q.to_string(), serde_json::json!({ "ok": text }));
        }
        self.tape
            .insert(resolve(&p).to_string(), serde_json::json!({ "ok": path }));
        let (dir, name) = path.rsplit_once('/').expect("an absolute path");
        let dir = if dir.is_empty() { "/" } else { dir };
        let listing = self
            .tape
            .entry(Question::ReadDir(PathBuf::from(dir)).to_string())
            .or_insert_with(|| serde_json::json!({ "ok": [] }));
        if let Some(names) = listing["ok"].as_array_mut() {
            names.push(Value::from(name));
            names.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        }
        self
    }

    /// Paths the box does not have (every question about them says ENOENT).
    pub fn absent(mut self, paths: &[&str]) -> Self {
        for path in paths {
            let p = PathBuf::from(path);
            for q in [
                Question::Lstat(p.clone()),
                Question::Stat(p.clone()),
                Question::Read(p.clone()),
                Question::Tail(p.clone()),
                Question::ReadDir(p.clone()),
                resolve(&p),
                Question::ReadLink(p.clone()),
            ] {
                self.tape
                    .insert(q.to_string(), serde_json::json!({ "errno": 2 }));
            }
        }
        self
    }

    /// What `program args` printed on the box (Ok) or how it failed (Err).
    pub fn ran(mut self, program: &str, args: &[&str], result: Result<&str, &str>) -> Self {
        let answer = match result {
            Ok(out) => serde_json::json!({ "stdout": out }),
            Err(e) => serde_json::json!({ "failed": e }),
        };
        let question = Question::Run {
            program: PathBuf::from(program),
            args: args.iter().map(|a| a.to_string()).collect(),
        };
        self.tape.insert(question.to_string(), answer);
        self
    }

    /// Writes the bundle (a folder) with `spec` as its spec, and replays it with
    /// `--bundle --format json` and `extra` arguments.
    pub fn replay(self, dir: &Path, spec: &str, extra: &[&str]) -> common::Ran {
        let top = dir.join("bundle/ha-preflight-bundle");
        fs::create_dir_all(top.join("spec")).expect("mkdir bundle");
        fs::write(top.join("spec/test.toml"), spec).expect("write spec");
        let meta = serde_json::json!({
            "tool": "ha-preflight", "version": "0.1.0", "host": "fake-box",
            "taken_at": 1_764_000_000, "taken": "2025-11-24 16:00:00 UTC",
            "spec": ["/etc/ha-preflight/checks.d/test.toml"],
        });
        fs::write(top.join("meta.json"), meta.to_string()).expect("write meta");
        fs::write(top.join("tape.json"), Value::Object(self.tape).to_string()).expect("write tape");
        let bundle = dir.join("bundle").display().to_string();
        let mut args = vec!["--bundle", bundle.as_str(), "--format", "json"];
        args.extend_from_slice(extra);
        common::run(&args)
    }
}

/// Where a path leads, every link followed: what a read resolves first.
fn resolve(path: &Path) -> Question {
    Question::Resolve {
        path: path.to_path_buf(),
        follow_last: true,
    }
}
