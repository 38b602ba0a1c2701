//! Root writes only where it means to (issue 21): `--output` and `collect --output`
//! against the real binary, with the attacks built for real. A user (uid 65534, by
//! setpriv) owns the folder root writes into and plants links at every name it could
//! guess; the victims are files of the test's own scratch folder, and they must come out
//! byte for byte and mode for mode as they went in. FIFOs and sockets are made in the
//! scratch folder too, never a device node or /dev/stdout.

use crate::common;

use common::{Ran, bin, fingerprint, first_difference, repo, scratch, skip_unless_root};
use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The binary with the repo's spec, one check of it (that passes on any machine) when
/// the command runs checks, so a run is quick.
fn ha(args: &[&str]) -> Ran {
    let only: &[&str] = match args.first() {
        Some(&"list") => &[],
        _ => &["--only", "shm-tmpfs", "--timeout", "5s"],
    };
    let spec = repo().join("checks").display().to_string();
    let mut all = vec!["--spec", spec.as_str()];
    all.extend_from_slice(only);
    all.extend_from_slice(args);
    common::run(&all)
}

/// `collect`, whose spec is the built-in one.
fn collect(output: &Path, umask: &str) -> Ran {
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "umask {umask}; exec \"$0\" collect --timeout 5s -q --output \"$1\""
        ))
        .arg(bin())
        .arg(output)
        .output()
        .expect("the binary runs")
        .into()
}

/// Runs `script` as uid/gid 65534 (an ordinary user), which must succeed.
fn as_nobody(script: &str) {
    let out = Command::new("setpriv")
        .args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
        .args(["sh", "-c", script])
        .output()
        .expect("setpriv runs");
    assert!(
        out.status.success(),
        "as nobody: {script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A folder the attacker owns, and a victim file root owns beside it.
fn attacked(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let drop = dir.join("drop");
    fs::create_dir(&drop).unwrap();
    std::os::unix::fs::chown(&drop, Some(65534), Some(65534)).unwrap();
    let victim = dir.join("victim");
    fs::write(&victim, "the victim's own bytes\n").unwrap();
    fs::set_permissions(&victim, fs::Permissions::from_mode(0o600)).unwrap();
    (drop, victim)
}

/// The victim's bytes and mode.
fn state(path: &Path) -> (Vec<u8>, u32) {
    let meta = fs::symlink_metadata(path).unwrap();
    (fs::read(path).unwrap(), meta.mode())
}

/// The names the old writer used, `.NAME.tmp.PID` for the next few hundred PIDs, plus the
/// dot-name itself, each a link to `victim`: planted by one process (a shell loop of
/// `ln` would use up the very PIDs it plants).
fn plant_pid_names(drop: &Path, name: &str, victim: &Path) {
    let out = Command::new("setpriv")
        .args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
        .args(["/usr/bin/python3", "-c"])
        .arg(
            "import os, sys\n\
             d, name, v = sys.argv[1:]\n\
             last = int(open('/proc/sys/kernel/ns_last_pid').read())\n\
             os.symlink(v, f'{d}/.{name}')\n\
             for pid in range(last + 1, last + 400):\n    os.symlink(v, f'{d}/.{name}.tmp.{pid}')\n",
        )
        .arg(drop)
        .arg(name)
        .arg(victim)
        .output()
        .expect("setpriv runs");
    assert!(
        out.status.success(),
        "planting: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

macro_rules! root_only {
    ($name:expr) => {
        if skip_unless_root($name, "to be the root the attack is against") {
            return;
        }
    };
}

#[test]
fn planted_links_at_the_temporary_names_do_not_redirect_a_report() {
    root_only!("report-pid-links");
    let dir = scratch("report-pid-links");
    let (drop, victim) = attacked(&dir);
    let before = state(&victim);
    let out = drop.join("ha-preflight.prom");
    for format in ["prometheus", "json", "human"] {
        plant_pid_names(&drop, "ha-preflight.prom", &victim);
        let ran = ha(&["--format", format, "--output", &out.display().to_string()]);
        assert_eq!(ran.code, 0, "{format}: {}", ran.stderr);
        assert!(
            state(&victim) == before,
            "{format}: root wrote through a planted link"
        );
        let meta = fs::symlink_metadata(&out).unwrap();
        assert!(meta.is_file(), "{format}: the report is not a regular file");
        assert_eq!(
            meta.mode() & 0o7777,
            0o644,
            "{format}: node_exporter must read it"
        );
        assert!(
            fs::read_to_string(&out).unwrap().contains("ha"),
            "{format}: empty"
        );
        // Nothing of this run is left; every planted link is still a link.
        for name in names(&drop) {
            let p = drop.join(&name);
            assert!(
                name == "ha-preflight.prom" || fs::symlink_metadata(&p).unwrap().is_symlink(),
                "{format}: {name} left behind"
            );
            if name != "ha-preflight.prom" {
                fs::remove_file(&p).unwrap();
            }
        }
    }
}

#[test]
fn planted_links_at_the_temporary_names_do_not_redirect_a_tar_bundle() {
    root_only!("tar-pid-links");
    let dir = scratch("tar-pid-links");
    let (drop, victim) = attacked(&dir);
    let before = state(&victim);
    plant_pid_names(&drop, "box.tar", &victim);
    let tar = drop.join("box.tar");
    let ran = collect(&tar, "022");
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(
        state(&victim) == before,
        "root wrote through a planted link"
    );
    let meta = fs::symlink_metadata(&tar).unwrap();
    assert!(meta.is_file());
    assert_eq!(
        meta.mode() & 0o7777,
        0o600,
        "a bundle is for its owner only"
    );
    let listed = Command::new("tar").arg("tvf").arg(&tar).output().unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.contains("ha-preflight-bundle/tape.json"), "{listed}");
    assert!(
        listed.lines().all(|l| l.starts_with("-rw-------")),
        "members unpack 0600: {listed}"
    );
}

#[test]
fn a_planted_link_at_the_name_itself_is_refused_and_kept() {
    root_only!("link-at-output");
    let dir = scratch("link-at-output");
    let (drop, victim) = attacked(&dir);
    let before = state(&victim);
    let out = drop.join("ha-preflight.prom");
    as_nobody(&format!("ln -s {} {}", victim.display(), out.display()));
    let ran = ha(&[
        "--format",
        "prometheus",
        "--output",
        &out.display().to_string(),
    ]);
    assert_eq!(ran.code, 4, "{}", ran.stderr);
    assert!(
        ran.stderr.contains("is a symbolic link to") && ran.stderr.contains("not written through"),
        "{}",
        ran.stderr
    );
    assert!(
        !ran.stderr.contains("--help"),
        "not a usage error: {}",
        ran.stderr
    );
    assert!(state(&victim) == before, "root wrote through the link");
    assert_eq!(fs::read_link(&out).unwrap(), victim, "the link is kept");
    assert_eq!(
        names(&drop),
        ["ha-preflight.prom"],
        "a temporary file was left"
    );
    // collect's tar, the same.
    let tar = drop.join("box.tar");
    as_nobody(&format!("ln -s {} {}", victim.display(), tar.display()));
    let ran = collect(&tar, "022");
    assert_eq!(ran.code, 4, "{}", ran.stderr);
    assert!(state(&victim) == before, "root wrote through the link");
    assert!(fs::symlink_metadata(&tar).unwrap().is_symlink());
}

#[test]
fn a_folder_bundle_is_never_written_into_or_through_what_was_there() {
    root_only!("folder-bundle");
    let dir = scratch("folder-bundle");
    let (drop, victim) = attacked(&dir);
    let victim_dir = dir.join("root-only");
    fs::create_dir(&victim_dir).unwrap();
    fs::write(victim_dir.join("keep"), "mine\n").unwrap();
    fs::set_permissions(&victim_dir, fs::Permissions::from_mode(0o700)).unwrap();
    let before_victim = state(&victim);
    let before_dir = fingerprint(&victim_dir);
    let target = format!("{}/", drop.display());
    let top = drop.join("ha-preflight-bundle");

    // DIR/ha-preflight-bundle -> a folder only root may write.
    as_nobody(&format!("ln -s {} {}", victim_dir.display(), top.display()));
    let ran = collect(Path::new(&target), "022");
    assert_eq!(ran.code, 4, "{}", ran.stderr);
    assert!(ran.stderr.contains("already there"), "{}", ran.stderr);
    let after = fingerprint(&victim_dir);
    assert!(
        before_dir == after,
        "{}",
        first_difference(&before_dir, &after)
    );
    assert_eq!(
        names(&drop),
        ["ha-preflight-bundle"],
        "the private folder was left"
    );
    fs::remove_file(&top).unwrap();

    // A real folder of the attacker's, with report.txt -> victim and its own spec file.
    as_nobody(&format!(
        "mkdir -p {t}/spec && ln -s {v} {t}/report.txt && echo '[[check]]' > {t}/spec/zz.toml",
        t = top.display(),
        v = victim.display()
    ));
    let ran = collect(Path::new(&target), "022");
    assert_eq!(ran.code, 4, "{}", ran.stderr);
    assert!(
        state(&victim) == before_victim,
        "written through report.txt"
    );
    assert_eq!(
        names(&top),
        ["report.txt", "spec"],
        "written into the planted folder"
    );
    assert_eq!(names(&drop), ["ha-preflight-bundle"]);
    Command::new("rm").arg("-rf").arg(&top).status().unwrap();

    // Nothing there: the bundle appears whole, the folder 0700 and its files 0600.
    let ran = collect(Path::new(&target), "000");
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(names(&drop), ["ha-preflight-bundle"]);
    let mode = |p: &Path| fs::symlink_metadata(p).unwrap().mode() & 0o7777;
    assert_eq!(mode(&top), 0o700);
    assert_eq!(mode(&top.join("spec")), 0o700);
    for f in ["README.txt", "meta.json", "tape.json", "report.txt"] {
        assert_eq!(mode(&top.join(f)), 0o600, "{f}");
    }
    assert_eq!(fs::symlink_metadata(&top).unwrap().uid(), 0);
}

#[test]
fn a_fifo_is_written_as_a_stream_and_stays_a_fifo() {
    root_only!("fifo");
    let dir = scratch("fifo");
    let fifo = dir.join("report.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    // No reader: refused at once, no hang.
    let ran = ha(&["--output", &fifo.display().to_string()]);
    assert_eq!(ran.code, 4, "{}", ran.stderr);
    assert!(ran.stderr.contains("no reader"), "{}", ran.stderr);
    // A reader gets the report; a root-owned link to the FIFO is followed to it.
    let link = dir.join("link-to-fifo");
    std::os::unix::fs::symlink(&fifo, &link).unwrap();
    for name in [&fifo, &link] {
        let (tx, rx) = std::sync::mpsc::channel();
        let path = fifo.clone();
        std::thread::spawn(move || {
            let _ = tx.send(fs::read_to_string(&path));
        });
        std::thread::sleep(Duration::from_millis(100));
        let ran = ha(&["--output", &name.display().to_string()]);
        assert_eq!(ran.code, 0, "{}: {}", name.display(), ran.stderr);
        let got = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the reader got nothing: the FIFO was not written")
            .unwrap();
        assert!(got.contains("ha-preflight boot: PASS"), "{got}");
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    }
    assert!(fs::symlink_metadata(&link).unwrap().is_symlink());
}

#[test]
fn a_socket_a_folder_and_a_link_to_a_file_are_refused_and_kept() {
    root_only!("refused");
    let dir = scratch("refused");
    let sock = dir.join("s.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    let folder = dir.join("folder");
    fs::create_dir(&folder).unwrap();
    let victim = dir.join("victim");
    fs::write(&victim, "kept\n").unwrap();
    let link = dir.join("link");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    for (path, says) in [
        (&sock, "it is a socket"),
        (&folder, "it is a folder"),
        (&link, "is a symbolic link to"),
    ] {
        let shown = path.display().to_string();
        for args in [&["--output", &shown][..], &["list", "--output", &shown]] {
            let ran = ha(args);
            assert_eq!(ran.code, 4, "{args:?}: {}", ran.stderr);
            assert!(
                ran.stderr.contains(&format!("cannot write {shown}: "))
                    && ran.stderr.contains(says),
                "{}",
                ran.stderr
            );
            assert!(ran.stderr.contains("left as it was"), "{}", ran.stderr);
            assert!(!ran.stderr.contains("--help"), "{}", ran.stderr);
        }
    }
    assert!(fs::symlink_metadata(&sock).unwrap().file_type().is_socket());
    assert!(fs::symlink_metadata(&folder).unwrap().is_dir());
    assert!(names(&folder).is_empty());
    assert_eq!(fs::read_link(&link).unwrap(), victim);
    assert_eq!(fs::read_to_string(&victim).unwrap(), "kept\n");
    assert_eq!(
        names(&dir),
        ["folder", "link", "s.sock", "victim"],
        "temp left"
    );
    // A monitoring plugin's convention holds: UNKNOWN, its status line on stdout.
    let ran = ha(&[
        "--format",
        "nagios",
        "--output",
        &folder.display().to_string(),
    ]);
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    assert!(
        ran.stdout
            .starts_with("HA-PREFLIGHT UNKNOWN - cannot write"),
        "{}",
        ran.stdout
    );
}

#[test]
fn a_report_stays_readable_whatever_the_umask() {
    root_only!("umask");
    let dir = scratch("umask");
    let out = dir.join("r.prom");
    let ran: Ran = Command::new("sh")
        .arg("-c")
        .arg("umask 077; exec \"$0\" --spec \"$1\" --only shm-tmpfs --format prometheus --output \"$2\"")
        .arg(bin())
        .arg(repo().join("checks"))
        .arg(&out)
        .output()
        .unwrap()
        .into();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(fs::metadata(&out).unwrap().mode() & 0o7777, 0o644);
}

#[test]
fn on_a_full_filesystem_a_failed_write_exits_4_and_leaves_the_old_file() {
    root_only!("full-fs");
    let dir = scratch("full-fs");
    let m = dir.join("m");
    fs::create_dir(&m).unwrap();
    // A 16 KiB tmpfs in a mount namespace of its own, old files in it, then filled.
    let script = format!(
        "set -u
mount --make-rprivate /
mount -t tmpfs -o size=16k tmpfs {m}
echo old > {m}/out.prom
echo oldtar > {m}/box.tar
dd if=/dev/zero of={m}/fill bs=1k count=64 2>/dev/null
\"$0\" --spec \"$1\" --only shm-tmpfs --timeout 5s --output {m}/out.prom 2>{d}/err1; echo rc1=$?
\"$0\" collect --timeout 5s -q --output {m}/box.tar 2>{d}/err2; echo rc2=$?
\"$0\" collect --timeout 5s -q --output {m}/ 2>{d}/err3; echo rc3=$?
\"$0\" collect --timeout 5s -q --output {m}/new/ 2>{d}/err4; echo rc4=$?
echo names=$(ls -A {m} | tr '\\n' ' ')
echo prom=$(cat {m}/out.prom) tar=$(cat {m}/box.tar)
",
        m = m.display(),
        d = dir.display()
    );
    let out = Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .arg(bin())
        .arg(repo().join("checks"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    let err = |n| fs::read_to_string(dir.join(format!("err{n}"))).unwrap_or_default();
    for n in 1..=4 {
        assert!(said.contains(&format!("rc{n}=4")), "{said}\n{}", err(n));
        assert!(err(n).contains("cannot write"), "{}", err(n));
        assert!(err(n).contains("No space left"), "{}", err(n));
    }
    assert!(
        said.contains("names=box.tar fill out.prom\n"),
        "something left: {said}"
    );
    assert!(said.contains("prom=old tar=oldtar"), "{said}");
}

#[test]
fn a_reader_that_stops_reading_cannot_hold_the_run() {
    root_only!("stalled-fifo");
    let dir = scratch("stalled-fifo");
    let fifo = dir.join("slow.fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    // A reader that is there but never reads, with the smallest pipe (one page): the
    // JSON report (5 KiB) does not fit.
    use std::os::unix::fs::OpenOptionsExt;
    let reader = fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open(&fifo)
        .unwrap();
    nix::fcntl::fcntl(&reader, nix::fcntl::FcntlArg::F_SETPIPE_SZ(4096)).unwrap();
    let started = std::time::Instant::now();
    let ran: Ran = Command::new(bin())
        .args(["--spec", &repo().join("checks").display().to_string()])
        .args(["-v", "--format", "json", "--timeout", "1s", "--output"])
        .arg(&fifo)
        .output()
        .unwrap()
        .into();
    let took = started.elapsed();
    assert_eq!(ran.code, 4, "{}", ran.stderr);
    assert!(ran.stderr.contains("took no more for 1s"), "{}", ran.stderr);
    // One --timeout for the checks, one for the stream, and the start and exit.
    assert!(took < Duration::from_millis(2500), "took {took:?}");
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
}

#[test]
fn a_users_link_to_a_stream_it_does_not_own_is_not_followed() {
    root_only!("foreign-link");
    let dir = scratch("foreign-link");
    let (drop, _) = attacked(&dir);
    // Root's own FIFO (standing in for a console or a watchdog), with a reader.
    let fifo = dir.join("roots.fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    use std::os::unix::fs::OpenOptionsExt;
    let mut reader = fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open(&fifo)
        .unwrap();
    let out = drop.join("report.txt");
    as_nobody(&format!("ln -s {} {}", fifo.display(), out.display()));
    let ran = ha(&["--output", &out.display().to_string()]);
    assert_eq!(ran.code, 4, "{}", ran.stderr);
    assert!(ran.stderr.contains("owned by uid 65534"), "{}", ran.stderr);
    let mut got = Vec::new();
    let _ = std::io::Read::read_to_end(&mut reader, &mut got);
    assert!(got.is_empty(), "root wrote into the stream: {got:?}");
    assert!(
        fs::symlink_metadata(&out).unwrap().is_symlink(),
        "the link is kept"
    );
}
