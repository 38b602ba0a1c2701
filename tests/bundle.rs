//! Support bundles end to end: `collect` on a box in the incident's state (in fresh
//! network and mount namespaces), the archive carried into another namespace in a
//! healthy state, `--bundle` there. The replay must give the incident's verdicts, check
//! by check, and strace must show that it read nothing of the machine it ran on: no
//! file but the bundle (and the dynamic loader's), no socket, no program.
//!
//! Needs root (namespaces) and strace; without root each test says why and returns.

use crate::common;

use common::ns::{Layout, Scenario, strs};
use common::{scratch, status, summary, verdicts};
use ha_preflight::world::question::Question;

/// The incident: /etc/network/run a real directory holding a stale lo=lo, lo down, no
/// xcbdaemon.
fn incident(name: &'static str, args: &[&str]) -> Scenario {
    Scenario {
        layout: Layout::RealDir,
        lo_up: false,
        daemon: None,
        args: strs(args),
        ..Scenario::healthy(name)
    }
}

#[test]
fn a_bundle_of_the_incident_replays_as_the_incident_on_a_healthy_box() {
    let carried = scratch("bundle-carried");
    let tar = carried.join("incident.tar").display().to_string();
    let Some((taken, _)) = incident("bundle-take", &["collect", "--output", &tar]).run() else {
        return;
    };
    assert_eq!(taken.code, 0, "{}\n{}", taken.stdout, taken.stderr);
    assert!(
        taken
            .stdout
            .contains("this box: fail, root cause netrun-layout"),
        "{}",
        taken.stdout
    );
    let listed = std::process::Command::new("tar")
        .args(["tf", &tar])
        .output()
        .expect("tar runs");
    let members = String::from_utf8_lossy(&listed.stdout).into_owned();
    for m in [
        "meta.json",
        "tape.json",
        "README.txt",
        "report.txt",
        "spec/boot.toml",
    ] {
        assert!(
            members.contains(&format!("ha-preflight-bundle/{m}")),
            "{m}: {members}"
        );
    }

    // What the box itself said, judged directly.
    let (direct, _) = incident("bundle-direct", &["--format", "json"])
        .run()
        .expect("root");
    let direct = verdicts(&direct.json());
    assert_eq!(direct["netrun-layout"].0, "fail");

    // The place the bundle is carried to is healthy: judged directly, it passes.
    let (here, _) = Scenario::healthy("bundle-healthy").run().expect("root");
    assert_eq!(here.json()["verdict"], "pass", "{}", here.stdout);

    // Replayed there, under strace: the incident again, from the bundle alone.
    let log = carried.join("replay.strace").display().to_string();
    let replay = Scenario {
        args: strs(&["--bundle", &tar, "--format", "json"]),
        // Not exec'd: the shell, parent of the daemon, waits for strace alone (strace
        // would otherwise wait for the daemon it inherited as a child).
        prefix: format!(
            "sh -c 'env -u LD_LIBRARY_PATH strace -f -qq -e trace=%file,%network,%process -o {log} \"$@\"; exit $?' sh"
        ),
        ..Scenario::healthy("bundle-replay")
    };
    let (ran, _) = replay.run().expect("root");
    assert_eq!(ran.code, 1, "{}\n{}", ran.stdout, ran.stderr);
    let report = ran.json();
    assert_eq!(report["bundle"]["path"], tar.as_str());
    assert!(report["bundle"]["taken"].is_string(), "{report:#}");
    // What the box concluded, recorded at collect and said by the replay.
    assert_eq!(report["bundle"]["said"]["verdict"], "fail", "{report:#}");
    assert_eq!(report["bundle"]["said"]["root_causes"][0], "netrun-layout");
    assert_eq!(status(&report, "lo-up"), "fail");
    assert_eq!(verdicts(&report), direct, "the replay differs from the box");

    // What the replay touched: the bundle, the loader's files, its own /proc/self/maps
    // (std asks where its stack is), the root directory it opens without reading.
    let trace = std::fs::read_to_string(&log).expect("strace wrote its log");
    let bin = common::bin().to_string();
    let allowed = |path: &str| {
        path == tar
            || path == bin
            || path.is_empty()
            || path == "/"
            || path == "."
            || path == "/proc/self/maps"
            || path.starts_with("/etc/ld.so.")
            || ["/lib/", "/lib64/", "/usr/lib/"]
                .iter()
                .any(|p| path.starts_with(p))
    };
    let mut touched = Vec::new();
    for line in trace.lines() {
        let call = line.split_once(' ').map_or(line, |(_, c)| c).trim_start();
        let name = call.split('(').next().unwrap_or_default();
        if matches!(name, "connect" | "socket" | "bind" | "sendto" | "sendmsg") {
            touched.push(format!("network: {call}"));
        }
        if name == "execve" && !call.contains(&format!("\"{bin}\"")) {
            touched.push(format!("program: {call}"));
        }
        // Every quoted path argument of a file call.
        for path in call.split('"').skip(1).step_by(2) {
            if call.contains('/') && !allowed(path) && name != "execve" {
                touched.push(format!("{path} ({name})"));
            }
        }
    }
    assert!(
        touched.is_empty(),
        "the replay read the machine it ran on:\n{}",
        touched.join("\n")
    );
}

#[test]
fn a_capture_of_proc_and_sys_says_what_it_cannot_judge() {
    // Kernel state copied from a box, judged somewhere whose own files must not count:
    // here, a healthy namespace whose /etc/network/run and daemon would pass.
    let dir = scratch("capture-only");
    let proc_dir = dir.join("proc");
    std::fs::create_dir_all(proc_dir.join("self")).expect("mkdir");
    std::fs::copy("/proc/self/mountinfo", proc_dir.join("self/mountinfo")).expect("copy");
    let shown = proc_dir.display().to_string();
    let Some((ran, _)) = Scenario {
        args: strs(&["--proc", &shown, "--format", "json"]),
        ..Scenario::healthy("capture-judged")
    }
    .run() else {
        return;
    };
    let report = ran.json();
    assert_eq!(report["captured"]["proc"], shown.as_str(), "{report:#}");
    // /sys was not captured: lo cannot be judged, and the capture says why.
    let lo = common::check(&report, "lo-up");
    assert_eq!(lo["status"], "error", "{lo:#}");
    assert!(lo["summary"].to_string().contains("/sys"), "{lo:#}");
    for id in [
        "netrun-layout",
        "netrun-stale",
        "stale-locks",
        "role-leftovers",
    ] {
        let c = common::check(&report, id);
        assert_eq!(c["status"], "skip", "{id}: {c:#}");
        assert!(summary(c).starts_with("not in the capture"), "{id}: {c:#}");
    }
}

// --- hostile bundles (issue 21, point 7): no root needed ----------------------------

/// A marker in the analyst's own files, which a replay must never read.
const VICTIM: &str = "MARKER-analysts-own-file-91b2";

/// The incident bundle unpacked into a fresh folder; returns (scratch, folder bundle).
fn unpacked(name: &str) -> (common::Scratch, std::path::PathBuf) {
    let dir = scratch(name);
    let out = std::process::Command::new("tar")
        .arg("-xf")
        .arg(common::fixture("bundle/incident.tar"))
        .arg("-C")
        .arg(dir.path())
        .output()
        .expect("tar runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let folder = dir.join("ha-preflight-bundle");
    (dir, folder)
}

/// A 0600 file of the analyst's, with the marker, valid as a tape and as a spec.
fn victim(dir: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("victim");
    std::fs::write(&path, format!("# {VICTIM}\n{{}}\n")).expect("victim");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    path
}

#[test]
fn a_folder_bundle_is_read_without_following_links() {
    use std::os::unix::fs::symlink;
    type Plant = fn(&std::path::Path, &std::path::Path);
    let cases: [(&str, &str, Plant); 5] = [
        ("tape-link", "tape.json", |b, v| {
            std::fs::remove_file(b.join("tape.json")).unwrap();
            symlink(v, b.join("tape.json")).unwrap();
        }),
        ("spec-file-link", "spec/boot.toml", |b, v| {
            std::fs::remove_file(b.join("spec/boot.toml")).unwrap();
            symlink(v, b.join("spec/boot.toml")).unwrap();
        }),
        ("spec-folder-link", "spec", |b, v| {
            // A whole folder of the analyst's, used as the spec.
            let host = v.parent().unwrap().join("host-folder");
            std::fs::create_dir_all(&host).unwrap();
            std::fs::copy(v, host.join("x.toml")).unwrap();
            std::fs::remove_dir_all(b.join("spec")).unwrap();
            symlink(&host, b.join("spec")).unwrap();
        }),
        ("top-link", "ha-preflight-bundle", |b, v| {
            let elsewhere = v.parent().unwrap().join("elsewhere");
            std::fs::rename(b, &elsewhere).unwrap();
            symlink(&elsewhere, b).unwrap();
        }),
        ("meta-fifo", "meta.json", |b, _| {
            std::fs::remove_file(b.join("meta.json")).unwrap();
            nix_mkfifo(&b.join("meta.json"));
        }),
    ];
    let mut wrong = Vec::new();
    for (name, member, plant) in cases {
        let (dir, folder) = unpacked(name);
        let victim = victim(dir.path());
        plant(&folder, &victim);
        let (ran, took) = common::timed(&["--bundle", &dir.display().to_string()], &[]);
        let said = format!("{}{}", ran.stdout, ran.stderr);
        if ran.code != 2
            || !said.contains(&format!("member `{member}`:"))
            || !(said.contains("not followed") || said.contains("not a regular file"))
            || said.contains(VICTIM)
            || took > std::time::Duration::from_secs(5)
        {
            wrong.push(format!("{name}: exit {} after {took:?}: {said}", ran.code));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

fn nix_mkfifo(path: &std::path::Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(ok.success());
}

/// Writes a ustar file of `members` (name, bytes) with Python's tarfile, which writes
/// any name it is given.
fn tar_of(path: &std::path::Path, members: &[(String, Vec<u8>)]) {
    let dir = path.with_extension("members");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let mut script = String::from(
        "import tarfile, sys\nt = tarfile.open(sys.argv[1], 'w', format=tarfile.USTAR_FORMAT)\n",
    );
    for (i, (name, bytes)) in members.iter().enumerate() {
        let file = dir.join(i.to_string());
        std::fs::write(&file, bytes).expect("member");
        script += &format!(
            "i = tarfile.TarInfo({name:?}); d = open({:?}, 'rb').read(); i.size = len(d)\nimport io; t.addfile(i, io.BytesIO(d))\n",
            file.display().to_string()
        );
    }
    script += "t.close()\n";
    common::python(&script, &[&path.display().to_string()]);
}

/// The incident bundle's members, by name.
fn incident_members() -> Vec<(String, Vec<u8>)> {
    let (_dir, folder) = unpacked("incident-members");
    [
        "README.txt",
        "meta.json",
        "tape.json",
        "report.txt",
        "spec/boot.toml",
        "spec/image.toml",
    ]
    .iter()
    .map(|m| {
        (
            format!("ha-preflight-bundle/{m}"),
            std::fs::read(folder.join(m)).expect("member"),
        )
    })
    .collect()
}

#[test]
fn a_spec_error_in_a_bundle_names_its_member_and_climbing_names_are_refused() {
    let dir = scratch("bundle-spec-names");
    let broken = b"[[check]]\nid = \n".to_vec();
    // A spec member of a plain name: the error is that member's.
    let tar = dir.join("named.tar");
    let mut members = incident_members();
    members.push(("ha-preflight-bundle/spec/aaa.toml".into(), broken.clone()));
    tar_of(&tar, &members);
    let ran = common::run(&["--bundle", &tar.display().to_string()]);
    assert_eq!(ran.code, 2, "{}{}", ran.stdout, ran.stderr);
    assert!(
        ran.stderr
            .contains(&format!("{}:spec/aaa.toml:2", tar.display())),
        "{}",
        ran.stderr
    );
    // A member that climbs out of spec/: refused, by its name.
    let tar = dir.join("climbing.tar");
    let mut members = incident_members();
    members.push((
        "ha-preflight-bundle/spec/../../../etc/y.toml".into(),
        broken,
    ));
    tar_of(&tar, &members);
    let ran = common::run(&["--bundle", &tar.display().to_string()]);
    assert_eq!(ran.code, 2, "{}{}", ran.stdout, ran.stderr);
    assert!(
        ran.stderr.contains("spec/../../../etc/y.toml") && ran.stderr.contains("refused"),
        "{}",
        ran.stderr
    );
    assert!(!ran.stderr.contains("boot.toml"), "{}", ran.stderr);
}

#[test]
fn recorded_values_get_the_limits_of_live_reads() {
    // One 40 MB mountinfo: the live read stops at its limit, and so must the replay.
    let (dir, folder) = unpacked("bundle-huge-value");
    let tape_path = folder.join("tape.json");
    let mut tape: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&tape_path).expect("tape")).expect("JSON");
    let line = "36 35 98:0 / /mnt rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n";
    let mountinfo = Question::Proc("self/mountinfo".into()).to_string();
    tape[mountinfo] = serde_json::json!({ "ok": line.repeat(40_000_000 / line.len()) });
    std::fs::write(&tape_path, serde_json::to_vec(&tape).expect("JSON")).expect("write");
    let (ran, took) = common::timed(
        &["--bundle", &dir.display().to_string(), "--format", "json"],
        &[],
    );
    let report = ran.json();
    let shm = common::check(&report, "shm-tmpfs");
    assert_eq!(shm["status"], "error", "{shm:#}");
    assert!(
        shm.to_string()
            .contains("larger than the 8388608-byte limit"),
        "{shm:#}"
    );
    assert!(took < std::time::Duration::from_secs(3), "took {took:?}");
}

#[test]
fn the_replay_header_says_what_the_box_said() {
    // An older bundle recorded no verdict: nothing is claimed.
    let old = common::run(&[
        "--bundle",
        &common::fixture("bundle/incident.tar").display().to_string(),
    ]);
    assert!(!old.stdout.contains("the box said"), "{}", old.stdout);
    // A bundle whose box said pass, replayed as a fail: said plainly.
    let (dir, folder) = unpacked("bundle-said");
    let meta_path = folder.join("meta.json");
    let mut meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&meta_path).expect("meta")).expect("JSON");
    meta["said"] = serde_json::json!(["pass"]);
    std::fs::write(&meta_path, serde_json::to_vec(&meta).expect("JSON")).expect("write");
    let bundle = dir.display().to_string();
    let ran = common::run(&["--bundle", &bundle]);
    let flat = ran.stdout.replace("\n  ", " ");
    assert!(
        flat.contains("the box said: pass; this replay says fail, not what the box said"),
        "{}",
        ran.stdout
    );
    assert!(
        common::human::too_wide(&ran.stdout).is_empty(),
        "{}",
        ran.stdout
    );
    let json = common::run(&["--bundle", &bundle, "--format", "json"]).json();
    assert_eq!(json["bundle"]["said"]["verdict"], "pass", "{json:#}");
}
