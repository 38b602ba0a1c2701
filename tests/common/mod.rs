//! Helpers shared by the integration tests: run the built binary, read its JSON, say why
//! a test skips (not root, a tool or module missing), find the tools and the python3 with
//! the modules a test needs, and run Python. One of each, so every suite skips, probes
//! and fails alike.

pub mod human;
pub mod ns;

use ha_preflight::testing::image_tree;
use serde_json::Value;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_ha-preflight")
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    repo().join("tests/fixtures").join(rel)
}

/// Builds the image tree of `case` (a folder of tests/fixtures/image) at `dir`, absent or
/// empty, with the library's builder (`ha_preflight::testing::image_tree`).
#[track_caller]
pub fn make_tree(case: &str, dir: &Path) {
    image_tree::build(case, dir).unwrap_or_else(|e| panic!("image case {case}: {e}"));
}

pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr)
        })
    }
}

impl From<Output> for Ran {
    fn from(o: Output) -> Self {
        Ran {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

pub fn run(args: &[&str]) -> Ran {
    Command::new(bin())
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
        .into()
}

/// The result object of one check in a JSON report.
pub fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no check {id} in {report:#}"))
}

pub fn status<'a>(report: &'a Value, id: &str) -> &'a str {
    check(report, id)["status"].as_str().unwrap_or("?")
}

/// A check result's summary ("" when it has none).
pub fn summary(c: &Value) -> &str {
    c["summary"].as_str().unwrap_or_default()
}

/// A check result's evidence lines as one text, for `contains`.
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

/// (status, summary) of every check of a JSON report.
pub fn verdicts(report: &Value) -> std::collections::BTreeMap<String, (String, String)> {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
            (s("id"), (s("status"), s("summary")))
        })
        .collect()
}

pub fn is_root() -> bool {
    nix_uid() == 0
}

fn nix_uid() -> u32 {
    // /proc/self/status "Uid:\treal\teffective..."; no libc call needed in a test.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(str::to_string))
        })
        .and_then(|u| u.parse().ok())
        .unwrap_or(u32::MAX)
}

/// True, after saying why `test` skips, when this is not root.
pub fn skip_unless_root(test: &str, why: &str) -> bool {
    if is_root() {
        return false;
    }
    eprintln!("SKIP {test}: needs root ({why})");
    true
}

/// Says that `test` (or the part of it named) does not run for want of `missing` (a
/// tool, a module, a file, with how to get it), so that a run without it shows what it
/// did not prove.
pub fn skip(test: &str, missing: &str) {
    eprintln!("SKIP {test}: no {missing}");
}

/// As `skip`, for what .ci/run installs: under CI (CI set) its absence fails the test
/// instead, so that CI never goes green without having run it.
#[track_caller]
pub fn skip_outside_ci(test: &str, missing: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must have {missing} for {test} (.ci/run installs it)"
    );
    skip(test, missing);
}

/// Whether `tool` is a program a test can start: an executable file of that name in a
/// folder of PATH (at that path, when it has a slash), the search `Command` makes. Not
/// `tool --version`, which says no for a tool without that flag (tmux has -V), nor
/// `sh -c 'command -v tool'`, which says yes for a shell builtin `Command` cannot start.
pub fn have(tool: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let runnable = |p: &Path| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if tool.contains('/') {
        return runnable(Path::new(tool));
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| runnable(&dir.join(tool))))
}

/// `systemctl --root=ROOT ARGS...` on an image tree; its stdout, trimmed. It must
/// succeed, except `is-enabled`, whose answer (`masked`, `disabled`) comes with a
/// non-zero exit.
#[track_caller]
pub fn systemctl(root: &Path, args: &[&str]) -> String {
    let out = match Command::new("systemctl")
        .arg(format!("--root={}", root.display()))
        .args(args)
        .output()
    {
        Ok(out) => out,
        Err(e) => panic!("systemctl does not start: {e}"),
    };
    if args.first() != Some(&"is-enabled") {
        assert!(
            out.status.success(),
            "systemctl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The interpreters tried for a module, in order: the python3 on PATH (a venv's or
/// pyenv's, where pip installs) and the system's, where Debian's python3-* packages are
/// (.ci/run installs python3-prometheus-client and python3-junitparser) when the one on
/// PATH is another.
const PYTHONS: [&str; 2] = ["python3", "/usr/bin/python3"];

/// The first python3 that imports every one of `modules` (`prometheus_client.parser`,
/// `junitparser`); None when none does.
pub fn python_with(modules: &[&str]) -> Option<&'static str> {
    let imports: String = modules.iter().map(|m| format!("import {m}\n")).collect();
    PYTHONS.into_iter().find(|py| {
        Command::new(py)
            .arg("-c")
            .arg(&imports)
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// Runs `py` (a `python_with` interpreter, or plain "python3") on `args`: a script and
/// its arguments, or `-c`, code and its arguments. Its stdout; the test fails, naming
/// `what` and showing python's stderr, when python does not start or exits otherwise
/// than 0.
#[track_caller]
pub fn python_run(py: &str, args: &[&dyn AsRef<OsStr>], what: &str) -> String {
    let out = match Command::new(py)
        .args(args.iter().map(|a| a.as_ref()))
        .output()
    {
        Ok(out) => out,
        Err(e) => panic!("{what}: {py} does not start: {e}"),
    };
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Python `code` run by python3 with `args` (its sys.argv[1:]); its stdout.
#[track_caller]
pub fn python(code: &str, args: &[&str]) -> String {
    let mut all: Vec<&dyn AsRef<OsStr>> = vec![&"-c", &code];
    all.extend(args.iter().map(|a| a as &dyn AsRef<OsStr>));
    python_run("python3", &all, "python3 -c")
}

/// A JUnit XML file as junitparser reads it (tests/junit_read.py, run by `py`, a
/// `python_with(&["junitparser"])`): its suites, their counts and their cases' results.
#[track_caller]
pub fn junit_read(py: &str, file: &Path) -> Value {
    let script = repo().join("tests/junit_read.py");
    let out = python_run(py, &[&script, &file], "junitparser");
    match serde_json::from_str(&out) {
        Ok(report) => report,
        Err(e) => panic!("JSON from junit_read.py: {e}\n{out}"),
    }
}

/// A scratch folder for one test, removed when the guard is dropped, also when the test
/// fails (a panic unwinds through it): a run of the suite leaves nothing behind in
/// target/tmp or /tmp, where `image --root /` would find it.
pub struct Scratch(Option<tempfile::TempDir>);

impl Scratch {
    pub fn path(&self) -> &Path {
        self.0
            .as_ref()
            .map_or(Path::new("/nonexistent"), |d| d.path())
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        self.path()
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        self.path()
    }
}

impl AsRef<std::ffi::OsStr> for Scratch {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.path().as_os_str()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let Some(dir) = self.0.take() else { return };
        let path = dir.path().to_path_buf();
        // std's removal holds a descriptor per level, which a tree thousands of levels
        // deep runs out of; GNU rm walks any depth.
        if dir.close().is_err() {
            let _ = Command::new("rm").arg("-rf").arg(&path).status();
        }
    }
}

/// A fresh scratch folder under target/tmp, named after the test.
pub fn scratch(name: &str) -> Scratch {
    scratch_in(Path::new(env!("CARGO_TARGET_TMPDIR")), name)
}

/// A fresh scratch folder in `base`.
pub fn scratch_in(base: &Path, name: &str) -> Scratch {
    std::fs::create_dir_all(base).expect("scratch base");
    let dir = tempfile::Builder::new()
        .prefix(&format!("{name}-"))
        .tempdir_in(base)
        .expect("scratch dir");
    // Other users (the unprivileged image runs) must be able to reach what is inside.
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755));
    Scratch(Some(dir))
}

/// A fingerprint of the tree at `dir` from lstat alone (GNU find: no file opened, no link
/// followed, no FIFO touched, any depth): every entry's depth, name, type, mode, size,
/// mtime, ctime, owner, inode and link target, in find's walk order (a directory's
/// order only changes when the directory does). Equal before and after a run means the
/// run created, removed, wrote, renamed and chmod-ed nothing there (ctime moves on any
/// change to an inode). Access times are left out: reading is allowed. Names rather than
/// whole paths, because a tree 10,000 levels deep has 100 MB of paths.
pub fn fingerprint(dir: &Path) -> Vec<u8> {
    let out = Command::new("find")
        .arg(dir)
        .args([
            "-xdev",
            "-printf",
            "%d %f\\0%y %m %s %T@ %C@ %U %G %i %l\\n",
        ])
        .output()
        .expect("find runs");
    assert!(
        out.status.success(),
        "find {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The first line where two fingerprints differ, for an assertion message.
pub fn first_difference(before: &[u8], after: &[u8]) -> String {
    let (b, a): (Vec<&[u8]>, Vec<&[u8]>) = (
        before.split(|&c| c == b'\n').collect(),
        after.split(|&c| c == b'\n').collect(),
    );
    for i in 0..b.len().max(a.len()) {
        let (x, y) = (b.get(i), a.get(i));
        if x != y {
            let show = |r: Option<&&[u8]>| r.map(|r| String::from_utf8_lossy(r).into_owned());
            return format!("before: {:?}\n after: {:?}", show(x), show(y));
        }
    }
    "no difference".into()
}

/// A child process killed (and reaped) when dropped, so a failing test leaves no server.
pub struct Running(pub std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Running {
    pub fn pid(&self) -> u32 {
        self.0.id()
    }

    /// Starts `cmd` and waits for its first line of output (`ready`, `locked`), which
    /// it returns.
    pub fn until_line(mut cmd: Command) -> (Running, String) {
        use std::io::{BufRead, BufReader};
        let mut child = cmd
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("spawn");
        let out = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(out).read_line(&mut line).expect("read");
        assert!(!line.is_empty(), "child said nothing before exiting");
        (Running(child), line)
    }
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// tests/xcbdaemon.py in `mode` on host:port (port 0: any free one), ready when this
/// returns, with the port it listens on.
pub fn xcbdaemon(host: &str, port: u16, mode: &str, extra: &[&str]) -> (Running, u16) {
    let mut cmd = Command::new("python3");
    cmd.arg(repo().join("tests/xcbdaemon.py"))
        .args(["--host", host, "--port", &port.to_string(), "--mode", mode])
        .args(["--lifetime", "30"])
        .args(extra);
    let (running, line) = Running::until_line(cmd);
    let bound = line
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(port);
    (running, bound)
}

/// How far past its deadline a run may end: process start, report and exit.
pub const MARGIN: std::time::Duration = std::time::Duration::from_millis(100);

/// Runs the binary with `args` (and `env`), timed from spawn to exit.
pub fn timed(args: &[&str], env: &[(&str, &str)]) -> (Ran, std::time::Duration) {
    time(
        Command::new(bin())
            .args(args)
            .envs(env.iter().copied())
            .env("NO_COLOR", "1"),
    )
}

/// Runs `cmd` to its end, timed from spawn to exit.
#[track_caller]
pub fn time(cmd: &mut Command) -> (Ran, std::time::Duration) {
    let started = std::time::Instant::now();
    let out = match cmd.output() {
        Ok(out) => out,
        Err(e) => panic!("{:?} does not start: {e}", cmd.get_program()),
    };
    (Ran::from(out), started.elapsed())
}

/// What went wrong with one hostile row (a panic, or an end past the deadline); rows
/// are all run and their problems reported together, so one broken case does not hide
/// the others.
pub fn problems(
    name: &str,
    ran: &Ran,
    took: std::time::Duration,
    deadline: std::time::Duration,
) -> Vec<String> {
    let mut out = Vec::new();
    if ran.stderr.contains("panicked") {
        out.push(format!("{name}: panicked: {}", ran.stderr));
    }
    if took > deadline + MARGIN {
        out.push(format!(
            "{name}: took {took:?}, past its {deadline:?} deadline + {MARGIN:?}"
        ));
    }
    out
}

/// Boot mode over the captured /proc and /sys of `tests/fixtures/captured/NAME`.
pub fn run_captured(name: &str, args: &[&str]) -> Ran {
    let base = fixture(&format!("captured/{name}"));
    let (proc_dir, sys_dir) = (base.join("proc"), base.join("sys"));
    let mut all = vec![
        "--proc",
        proc_dir.to_str().unwrap_or_default(),
        "--sys",
        sys_dir.to_str().unwrap_or_default(),
    ];
    all.extend_from_slice(args);
    run(&all)
}

/// What a hostile bundle or tree carries: clear the screen, set the window title, go back
/// to the start of the line and paint a verdict, reverse the text that follows.
pub const EVIL: &str = "\x1b[2J\x1b]0;pwned\x07\rverdict: pass\x1b[0m\u{9b}2J\u{202e}";
/// The same as the report shows it.
pub const SHOWN: &str = "\\x1b[2J\\x1b]0;pwned\\x07\\rverdict: pass\\x1b[0m\\u{9b}2J\\u{202e}";

/// The incident bundle, its meta.json changed by `edit` (a Python statement on `meta`)
/// and, when `spec_tail` is not empty, that text added to spec/boot.toml.
pub fn bundle(out: &Path, edit: &str, spec_tail: &str) {
    bundle_named(out, edit, spec_tail, "boot.toml");
}

/// As `bundle`, with the spec member renamed `spec/NAME`.
pub fn bundle_named(out: &Path, edit: &str, spec_tail: &str, spec_name: &str) {
    let script = r#"
import io, json, sys, tarfile
src, dst, edit, tail, evil, spec_name = sys.argv[1:7]
with tarfile.open(src) as t, tarfile.open(dst, "w", format=tarfile.USTAR_FORMAT) as o:
    for m in t.getmembers():
        data = t.extractfile(m).read()
        if m.name.endswith("/meta.json"):
            meta = json.loads(data)
            exec(edit)
            data = json.dumps(meta).encode()
        if m.name.endswith("/spec/boot.toml"):
            data += tail.encode()
            m.name = m.name[: -len("boot.toml")] + spec_name
        m.size = len(data)
        o.addfile(m, io.BytesIO(data))
"#;
    let src = fixture("bundle/incident.tar");
    python(
        script,
        &[
            src.to_str().unwrap_or_default(),
            out.to_str().unwrap_or_default(),
            edit,
            spec_tail,
            EVIL,
            spec_name,
        ],
    );
}
