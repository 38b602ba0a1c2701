//! Helpers shared by the integration tests: run the built binary, read its JSON.

pub mod human;
pub mod ns;

use serde_json::Value;
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
    let started = std::time::Instant::now();
    let out = Command::new(bin())
        .args(args)
        .envs(env.iter().copied())
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs");
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

pub fn python(script: &str, args: &[&str]) {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "python3: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

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
