//! Image mode over the root trees of tests/fixtures/image (one clean tree, one per
//! planted build mistake), with both path resolvers. The hostile trees of
//! image-tests/hostile.py are in tests/hostile.rs. No root needed, except
//! for the cases that chown or mknod, which say why they skip.

use crate::common;

use common::{
    Ran, bin, check, is_root, make_tree, python_run, repo, scratch, skip_unless_root, summary,
};
use ha_preflight::model::fix::Fix;
use ha_preflight::testing::image_tree::{self, Case, IGNORE_UNLESS_ROOT};
use serde_json::Value;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Every case of tests/fixtures/image, clean among them.
fn every_case() -> Vec<Case> {
    image_tree::cases().unwrap_or_else(|e| panic!("the image cases: {e}"))
}

/// What a tree is, entry by entry, from lstat and the bytes: type and mode, owner,
/// device numbers, a file's content, a link's target. Not times or inodes.
fn facts(root: &Path) -> Vec<String> {
    use std::os::unix::fs::MetadataExt;
    let mut out = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(path) = todo.pop() {
        let meta = fs::symlink_metadata(&path).expect("lstat");
        let rel = path.strip_prefix(root).expect("under the root").display();
        let what = if meta.is_dir() {
            let mut names: Vec<_> = fs::read_dir(&path)
                .expect("read_dir")
                .map(|e| e.expect("entry").path())
                .collect();
            names.sort();
            todo.extend(names.into_iter().rev());
            String::new()
        } else if meta.file_type().is_symlink() {
            format!("-> {}", fs::read_link(&path).expect("readlink").display())
        } else if meta.is_file() {
            format!("{:?}", fs::read(&path).expect("read"))
        } else {
            format!("rdev {:#x}", meta.rdev())
        };
        out.push(format!(
            "{rel} {:o} {}:{} {what}",
            meta.mode(),
            meta.uid(),
            meta.gid()
        ));
    }
    out
}

/// image-tests/make_tree.py (for the shell and Python scripts) reads the case folders
/// as the library's builder does: every case comes out the same both ways.
#[test]
fn the_python_reader_builds_the_trees_the_rust_builder_builds() {
    let cases: Vec<String> = every_case()
        .into_iter()
        .filter(|c| {
            let skip = c.needs_root() && !is_root();
            if skip {
                eprintln!("SKIP image case {}: needs root (chown or mknod)", c.name);
            }
            !skip
        })
        .map(|c| c.name)
        .collect();
    assert!(cases.len() >= 30, "only {} cases", cases.len());
    let dir = scratch("image-both");
    // One interpreter for all of them: a python3 start is most of a case's time.
    let build_all = "import sys\n\
        sys.dont_write_bytecode = True\n\
        sys.path.insert(0, sys.argv[1])\n\
        import make_tree\n\
        for case in sys.argv[3:]:\n    make_tree.build(case, f'{sys.argv[2]}/{case}')\n";
    let (lib, out) = (repo().join("image-tests"), dir.join("python"));
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"-c", &build_all, &lib, &out];
    args.extend(cases.iter().map(|c| c as &dyn AsRef<std::ffi::OsStr>));
    python_run("python3", &args, "make_tree.py");
    for name in &cases {
        let rust = dir.join("rust").join(name);
        make_tree(name, &rust);
        let (rust, python) = (facts(&rust), facts(&dir.join("python").join(name)));
        for (r, p) in rust.iter().zip(&python) {
            assert_eq!(r, p, "case {name}: the Rust builder, then make_tree.py");
        }
        assert_eq!(
            rust.len(),
            python.len(),
            "case {name}: {rust:#?}\n{python:#?}"
        );
    }
}

/// tests/fixtures/README.md's table of the image cases is the folders': every case, its
/// expected ids and whether it needs root, and nothing else.
#[test]
fn the_fixtures_readme_lists_every_image_case() {
    let readme = common::fixture("README.md");
    let text = fs::read_to_string(&readme).expect("tests/fixtures/README.md");
    let listed: Vec<&str> = text
        .split("\n## image/")
        .nth(1)
        .expect("an image/ section")
        .lines()
        .filter(|l| l.starts_with("| `"))
        .collect();
    let want: Vec<String> = every_case()
        .iter()
        .map(|c| {
            let expected = match c.manifest.expected.join(", ") {
                none if none.is_empty() => "—".to_string(),
                ids => ids,
            };
            let root = if c.needs_root() { " yes" } else { "" };
            format!("| `{}` | {expected} |{root} |", c.name)
        })
        .collect();
    assert_eq!(listed, want, "{}", readme.display());
}

fn image(root: &Path, extra: &[&str], resolver: &str) -> (Ran, Duration) {
    image_as(None, root, extra, resolver)
}

/// The ordinary user the unprivileged runs drop to.
const NOBODY: u32 = 65534;

/// `image --root ROOT` as `uid` (and the same gid, no supplementary groups: std drops
/// them when it sets the uid), or as ourselves.
fn image_as(uid: Option<u32>, root: &Path, extra: &[&str], resolver: &str) -> (Ran, Duration) {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(bin());
    cmd.args(["image", "--format", "json", "--root"])
        .arg(root)
        .args(extra)
        .env("HA_PREFLIGHT_RESOLVER", resolver);
    if let Some(uid) = uid {
        cmd.uid(uid).gid(uid);
    }
    common::time(&mut cmd)
}

/// Every check's id, status and summary.
fn findings(report: &Value) -> Vec<(String, String, String)> {
    report["checks"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .map(|c| {
                    let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
                    (s("id"), s("status"), s("summary"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `uid` can reach and list `dir` (every folder above it must let it through).
fn reachable_by(uid: u32, dir: &Path) -> bool {
    use std::os::unix::process::CommandExt;
    Command::new("ls")
        .arg(dir)
        .uid(uid)
        .gid(uid)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn failing(report: &Value) -> Vec<String> {
    let mut ids: Vec<String> = report["checks"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .filter(|c| c["status"] != "pass" && c["status"] != "skip")
                .filter_map(|c| c["id"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

#[test]
fn each_planted_mistake_is_caught_by_its_check_and_only_it() {
    let cases = every_case();
    assert!(cases.len() >= 30, "only {} cases", cases.len());
    // As root, every case runs again as an ordinary user, where it can reach the trees.
    let unprivileged = is_root() && {
        let probe = scratch("image-unprivileged-probe");
        let ok = reachable_by(NOBODY, &probe);
        // CI runs as root and must run these: a checkout nobody can enter is its fault.
        assert!(
            ok || std::env::var_os("CI").is_none(),
            "CI: uid {NOBODY} cannot reach {}, so the unprivileged image runs cannot run",
            probe.display()
        );
        if !ok {
            eprintln!(
                "SKIP the unprivileged image runs: uid {NOBODY} cannot reach {}",
                probe.display()
            );
        }
        ok
    };
    if !is_root() {
        eprintln!("SKIP the unprivileged image runs: they drop from root to uid {NOBODY}");
    }
    for case in &cases {
        let name = case.name.as_str();
        if case.needs_root() && !is_root() {
            eprintln!("SKIP image case {name}: needs root (chown or mknod)");
            continue;
        }
        let dir = scratch(&format!("image-{name}"));
        make_tree(name, &dir.join("root"));
        let mut want = case.manifest.expected.clone();
        want.sort();
        for resolver in ["openat2", "walk"] {
            let (ran, _) = image(&dir.join("root"), &[], resolver);
            let report = ran.json();
            let mut got = failing(&report);
            if !is_root() {
                // As a normal user the tree's files are the user's own: owner checks
                // cannot be judged the way the image's real (root) owner would be.
                got.retain(|id| !IGNORE_UNLESS_ROOT.contains(&id.as_str()));
            }
            assert_eq!(got, want, "case {name} ({resolver}): {}", ran.stdout);
            let code = if report["verdict"] == "fail" { 1 } else { 0 };
            assert_eq!(ran.code, code, "case {name} ({resolver})");
            if unprivileged {
                // CI builds images as root and may check them as anyone: an ordinary
                // user must see the same findings, word for word, or say plainly that
                // it could not look (the tree keeps /root at 0700, as debootstrap does).
                let (as_nobody, _) = image_as(Some(NOBODY), &dir.join("root"), &[], resolver);
                let theirs = findings(&as_nobody.json());
                let ours = findings(&report);
                assert_eq!(theirs.len(), ours.len(), "case {name} ({resolver})");
                let mut blind = false;
                for (t, o) in theirs.iter().zip(&ours) {
                    if t != o {
                        assert!(
                            t.0 == o.0 && t.1 == "error" && t.2.starts_with("could not look into "),
                            "case {name} ({resolver}): as uid {NOBODY} {t:?}, as root {o:?}"
                        );
                        blind = true;
                    }
                }
                let code = if blind && ran.code == 0 { 3 } else { ran.code };
                assert_eq!(
                    as_nobody.code, code,
                    "case {name} ({resolver}) as uid {NOBODY}"
                );
            }
        }
    }
}

#[test]
fn the_image_ships_its_own_spec_and_overrides() {
    let dir = scratch("image-own-spec");
    let root = dir.join("root");
    make_tree("resolv-conf-from-host", &root);
    let checks_d = root.join("usr/lib/ha-preflight/checks.d");
    std::fs::create_dir_all(&checks_d).expect("mkdir");
    std::fs::write(
        checks_d.join("image.toml"),
        "[[check]]\nid = \"resolv-conf\"\nkind = \"path\"\nmodes = [\"image\"]\nseverity = \"warning\"\nrules = [{ paths = [\"/etc/resolv.conf\"], forbid = [\"nameserver\"] }]\nwhy = \"w\"\nfix = \"f\"\n",
    )
    .expect("write");
    let (ran, _) = image(&root, &[], "openat2");
    let report = ran.json();
    let ids: Vec<&str> = report["checks"]
        .as_array()
        .map(|cs| cs.iter().filter_map(|c| c["id"].as_str()).collect())
        .unwrap_or_default();
    // The image's image.toml replaces the built-in one (said in the report); the
    // built-in boot.toml's image checks stay, as the layer below.
    assert_eq!(
        ids,
        vec!["netrun-layout", "netrun-stale", "resolv-conf"],
        "the image's image.toml, not the built-in one"
    );
    assert_eq!(report["overlay"][0]["action"], "file-replaced");
    assert_eq!(report["overlay"][0]["of"], "built-in:image.toml");
    assert_eq!(check(&report, "resolv-conf")["status"], "warn");

    // An override shipped in the image accepts it, with its reason.
    let overrides = root.join("usr/lib/ha-preflight/overrides");
    std::fs::create_dir_all(&overrides).expect("mkdir");
    std::fs::write(
        overrides.join("site.toml"),
        "[[override]]\nid = \"resolv-conf\"\npath = \"/etc/resolv.conf\"\nreason = \"rewritten at first boot by the provisioning agent\"\n",
    )
    .expect("write");
    // And one from --overrides that matches nothing is reported.
    let extra = dir.join("extra.toml");
    std::fs::write(
        &extra,
        "[[override]]\nid = \"resolv-conf\"\npath = \"/etc/other\"\nreason = \"stale\"\n",
    )
    .expect("write");
    let (ran, _) = image(
        &root,
        &["--overrides", extra.to_str().unwrap_or_default()],
        "openat2",
    );
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    let report = ran.json();
    let c = check(&report, "resolv-conf");
    assert_eq!(c["status"], "skip");
    assert!(
        summary(c).starts_with(
            "overridden: rewritten at first boot by the provisioning agent (was warn: "
        ),
        "{c:#}"
    );
    assert!(
        ran.stderr.contains("override matched nothing") && ran.stderr.contains("/etc/other"),
        "{}",
        ran.stderr
    );
}

#[test]
fn an_override_without_a_reason_is_a_spec_error() {
    let dir = scratch("image-bad-override");
    make_tree("clean", &dir.join("root"));
    let file = dir.join("o.toml");
    std::fs::write(&file, "[[override]]\nid = \"resolv-conf\"\n").expect("write");
    let (ran, _) = image(
        &dir.join("root"),
        &["--overrides", file.to_str().unwrap_or_default()],
        "openat2",
    );
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr.contains("o.toml:1:1: missing key `reason`"),
        "{}",
        ran.stderr
    );
}

#[test]
fn junit_has_one_testcase_per_check_and_output_writes_a_file() {
    if common::skip_unless_root(
        "junit_has_one_testcase_per_check",
        "a tree built by another user is owned by it, and unknown-owners rightly fails it",
    ) {
        return;
    }
    let dir = scratch("image-junit");
    make_tree("policy-rc-d", &dir.join("root"));
    let out = dir.join("report.xml");
    let ran = Ran::from(
        Command::new(bin())
            .args(["image", "--format", "junit", "--output"])
            .arg(&out)
            .arg("--root")
            .arg(dir.join("root"))
            .output()
            .expect("runs"),
    );
    assert_eq!(ran.code, 1);
    assert!(
        ran.stdout.is_empty(),
        "the report went to --output: {}",
        ran.stdout
    );
    let xml = std::fs::read_to_string(&out).expect("report written");
    assert_eq!(xml.matches("<testcase ").count(), 16, "{xml}");
    assert!(xml.contains("name=\"policy-rc-d\""), "{xml}");
    assert!(
        xml.contains(
            "<failure message=\"/usr/sbin/policy-rc.d exists (regular file)\" type=\"fail\">"
        ),
        "{xml}"
    );
    assert!(xml.contains("failures=\"1\""), "{xml}");
}

#[test]
fn image_needs_a_root() {
    let ran = common::run(&["image"]);
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr.contains("image needs --root DIR"),
        "{}",
        ran.stderr
    );
    let ran = common::run(&["image", "--root", "/nonexistent/rootfs"]);
    assert_eq!(ran.code, 2);
}

/// A CI step whose build failed and left an empty rootfs folder, or one pointed at the
/// wrong folder, must not go green: a folder with neither etc/ nor usr/ is not a root
/// tree, and that is a usage error naming it (exit 2; UNKNOWN for nagios), whatever
/// the format and whatever checks are left.
#[test]
fn a_folder_that_is_not_a_root_tree_is_an_error_naming_it() {
    let dir = scratch("image-not-a-root");
    let empty = dir.join("rootfs");
    let other = dir.join("build-output");
    fs::create_dir_all(&empty).unwrap();
    fs::create_dir_all(other.join("boot")).unwrap();
    fs::write(other.join("build.log"), "E: debootstrap failed\n").unwrap();
    fs::write(other.join("etc"), "a file, not a folder\n").unwrap();
    for root in [&empty, &other] {
        let shown = root.display().to_string();
        for format in ["human", "json", "junit", "nagios", "prometheus"] {
            let ran = common::run(&[
                "image",
                "--root",
                &shown,
                "--format",
                format,
                "--skip",
                "unit-wiring",
            ]);
            let want = if format == "nagios" { 3 } else { 2 };
            assert_eq!(
                ran.code, want,
                "{shown} {format}: {}{}",
                ran.stdout, ran.stderr
            );
            assert!(
                ran.stderr.contains(&format!(
                    "--root {shown}: not a root tree (no etc/ and no usr/ in it)"
                )),
                "{shown} {format}: {}",
                ran.stderr
            );
            assert!(!ran.stdout.contains("passed"), "{format}: {}", ran.stdout);
            if format == "nagios" {
                assert!(
                    ran.stdout.starts_with("HA-PREFLIGHT UNKNOWN - "),
                    "{}",
                    ran.stdout
                );
                assert!(ran.stdout.contains(&shown), "{}", ran.stdout);
            }
        }
    }
    // Either of them is enough: a usr-merged tree being assembled has usr/ first.
    let usr_only = dir.join("usr-only");
    fs::create_dir_all(usr_only.join("usr")).unwrap();
    let ran = common::run(&[
        "image",
        "--root",
        &usr_only.display().to_string(),
        "--format",
        "json",
    ]);
    assert!(
        [0, 1, 3].contains(&ran.code),
        "{}{}",
        ran.stdout,
        ran.stderr
    );
    assert!(!ran.stderr.contains("not a root tree"), "{}", ran.stderr);
}

#[test]
fn the_ifupdown_era_comes_from_the_images_dpkg_status() {
    let dir = scratch("image-era");
    make_tree("netrun-real-dir", &dir.join("root"));
    let (ran, _) = image(&dir.join("root"), &[], "openat2");
    let report = ran.json();
    let c = check(&report, "netrun-layout");
    assert_eq!(c["status"], "fail");
    assert!(
        c["evidence"]
            .to_string()
            .contains("ifupdown 0.6.10 (var/lib/dpkg/status) keeps its state here"),
        "{c:#}"
    );
}

/// A folder an ordinary user cannot look into (Debian's /etc/ssl/private is 0710
/// root:ssl-cert) must not read as empty: as root the leftover key is found; as anyone
/// else the check cannot tell, and says so.
#[test]
fn a_folder_the_user_cannot_list_is_an_error_not_a_pass() {
    if skip_unless_root(
        "a_folder_the_user_cannot_list_is_an_error_not_a_pass",
        &format!("it drops from root to uid {NOBODY}"),
    ) {
        return;
    }
    let dir = scratch("image-private-dir");
    let root = dir.join("root");
    make_tree("clean", &root);
    if !reachable_by(NOBODY, &root) {
        eprintln!("SKIP: uid {NOBODY} cannot reach {}", root.display());
        return;
    }
    let private = root.join("etc/ssl/private");
    std::fs::create_dir_all(&private).expect("mkdir");
    std::fs::write(private.join("ssl-cert-snakeoil.key"), "key\n").expect("write");
    let chmod = |mode: u32| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(mode)).expect("chmod");
    };
    chmod(0o710);
    for resolver in ["openat2", "walk"] {
        let (as_root, _) = image(&root, &[], resolver);
        assert_eq!(
            check(&as_root.json(), "ssh-host-keys")["status"],
            "fail",
            "{resolver}"
        );
        let (as_nobody, _) = image_as(Some(NOBODY), &root, &[], resolver);
        let keys = check(&as_nobody.json(), "ssh-host-keys").clone();
        assert_eq!(keys["status"], "error", "{resolver}: {keys:#}");
        assert!(
            keys.to_string()
                .contains("/etc/ssl/private/ssl-cert-snakeoil.key"),
            "{resolver}: {keys:#}"
        );
        assert_eq!(as_nobody.code, 3, "{resolver}: {}", as_nobody.stdout);
    }
    chmod(0o755);
}

/// A debootstrapped root keeps /root at 0700 and apt's partial folders at 0700: an
/// ordinary user's walk cannot see into them. Every tree check that needed one says it
/// could not look, naming it, and the run is `error` (exit 3), not a pass.
#[test]
fn tree_checks_name_the_folders_they_could_not_walk() {
    if skip_unless_root(
        "tree_checks_name_the_folders_they_could_not_walk",
        &format!("it drops from root to uid {NOBODY}"),
    ) {
        return;
    }
    let dir = scratch("image-unwalked");
    let root = dir.join("root");
    make_tree("clean", &root);
    if !reachable_by(NOBODY, &root) {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI: uid {NOBODY} cannot reach {}",
            root.display()
        );
        eprintln!("SKIP: uid {NOBODY} cannot reach {}", root.display());
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    for private in ["root", "var/cache/apt/archives/partial"] {
        let path = root.join(private);
        std::fs::create_dir_all(&path).expect("mkdir");
        std::fs::write(path.join("kept"), "x\n").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    }
    let (as_root, _) = image(&root, &[], "openat2");
    assert_eq!(as_root.code, 0, "{}", as_root.stdout);
    let (ran, _) = image_as(Some(NOBODY), &root, &[], "openat2");
    let report = ran.json();
    for (id, folder) in [
        ("unknown-owners", "/root"),
        ("dev-nodes", "/root"),
        ("qemu-user-static", "/root"),
        ("tmp-leftovers", "/var/cache/apt/archives/partial"),
    ] {
        let c = check(&report, id);
        let summary = summary(c);
        assert_eq!(c["status"], "error", "{id}: {c:#}");
        assert!(
            summary.starts_with(&format!("could not look into {folder}: Permission denied")),
            "{id}: {summary}"
        );
    }
    // It needs neither folder.
    assert_eq!(check(&report, "runtime-leftovers")["status"], "pass");
    assert_eq!(ran.code, 3, "{}", ran.stdout);
}

/// A build that left /proc and /sys mounted in its tree, or `image --root /`: the walk
/// does not descend into them, and dev-nodes names them once.
#[test]
fn virtual_filesystems_mounted_in_the_tree_are_not_walked() {
    if skip_unless_root(
        "virtual_filesystems_mounted_in_the_tree_are_not_walked",
        "a mount namespace",
    ) {
        return;
    }
    let dir = scratch("image-mounted");
    let root = dir.join("root");
    make_tree("clean", &root);
    let sh = format!(
        "set -e; mount --make-rprivate /; mount -t proc proc '{r}/proc'; \
         mount -t sysfs sysfs '{r}/sys'; exec '{bin}' image --format json --root '{r}'",
        r = root.display(),
        bin = bin()
    );
    let out = Command::new("unshare")
        .args(["-m", "sh", "-c", &sh])
        .output()
        .expect("unshare runs");
    let ran = Ran::from(out);
    let report = ran.json();
    let dev = check(&report, "dev-nodes");
    let summary = summary(dev);
    assert!(
        summary.starts_with(
            "virtual filesystems are mounted in the tree and were not walked: /proc (proc), /sys (sysfs)"
        ) && summary.contains("use `ha-preflight boot`"),
        "{dev:#}"
    );
    // Once, not one line per /proc entry.
    assert!(ran.stdout.len() < 64 << 10, "{} bytes", ran.stdout.len());
    for id in [
        "unknown-owners",
        "runtime-leftovers",
        "tmp-leftovers",
        "qemu-user-static",
    ] {
        assert_eq!(check(&report, id)["status"], "pass", "{id}: {}", ran.stdout);
    }
}

/// Commands that change files: in an image-mode fix, every absolute path they are given
/// must be under the tree (`root`), never the build host's.
const DESTRUCTIVE: &[&str] = &[
    "rm",
    "ln",
    "mv",
    "cp",
    "chmod",
    "chown",
    "chgrp",
    "install",
    "truncate",
    ":",
    "tee",
    "mkdir",
    "rmdir",
    "touch",
    "umount",
    "mount",
    "dpkg-divert",
    "systemctl",
    "find",
    "sed",
];

/// The host-absolute paths `fix` would act on, where every path should start `root`.
fn host_paths(fix: &str, root: &str) -> Vec<String> {
    let mut bad = Vec::new();
    let commands = fix
        .split(['\n', ';', '`', '(', ')'])
        .flat_map(|s| s.split("&&"))
        .flat_map(|s| s.split("||"));
    for command in commands {
        let words: Vec<&str> = command
            .split_whitespace()
            .map(|w| w.trim_matches(|c| matches!(c, '\'' | '"' | ',' | '.')))
            .collect();
        let Some(&first) = words.first() else {
            continue;
        };
        if !DESTRUCTIVE.contains(&first) {
            continue;
        }
        // `dpkg-divert --root=R PATH`, `systemctl --root=R`: PATH is inside R.
        if words.contains(&format!("--root={root}").as_str()) {
            continue;
        }
        // `ln -s TARGET LINK`: TARGET is the link's content, not a path acted on.
        let mut skip_one = first == "ln";
        for word in &words[1..] {
            let path = word.split_once('=').map_or(*word, |(_, v)| v);
            let path = path.trim_start_matches('>');
            if word.starts_with('-') {
                if let Some((_, v)) = word.split_once('=')
                    && v.starts_with('/')
                    && !v.starts_with(root)
                {
                    bad.push(format!("{first} ... {word}"));
                }
                continue;
            }
            if skip_one {
                skip_one = false;
                continue;
            }
            if path.starts_with('/') && !path.starts_with(root) {
                bad.push(format!("{first} ... {path}"));
            }
        }
    }
    bad
}

#[test]
fn the_fix_checker_catches_host_paths() {
    assert_eq!(
        host_paths("`rm -rf /tmp/* /var/tmp/*`", "/r"),
        ["rm ... /tmp/*", "rm ... /var/tmp/*"]
    );
    assert_eq!(
        host_paths(
            "rm -rf /r/etc/network/run && ln -s /run/network /r/etc/network/run",
            "/r"
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        host_paths("ln -sf ../proc/self/mounts /etc/mtab", "/r"),
        ["ln ... /etc/mtab"]
    );
    assert_eq!(
        host_paths("systemctl --root=/ enable x", "/r"),
        ["systemctl ... --root=/"]
    );
    assert_eq!(
        host_paths("Remove /usr/sbin/policy-rc.d at the end", "/r"),
        Vec::<String>::new()
    );
    assert_eq!(
        host_paths(": > /etc/machine-id", "/r"),
        [": ... /etc/machine-id"]
    );
}

/// Every fix an image run shows, over every planted mistake, names paths under the tree
/// it checked: pasted into a CI job outside the chroot, none may touch the build host;
/// and each of its commands parses as shell (`sh -n`, nothing run).
/// And every image-mode check's own fix text writes them under `$ROOT`.
#[test]
fn image_fixes_act_on_the_tree_never_on_the_build_host() {
    let mut bad = Vec::new();
    let mut fixes = 0;
    for case in &every_case() {
        let name = case.name.as_str();
        if case.needs_root() && !is_root() {
            eprintln!("SKIP image case {name}: needs root (chown or mknod)");
            continue;
        }
        let dir = scratch(&format!("image-fix-{name}"));
        let root = dir.join("root");
        make_tree(name, &root);
        let (ran, _) = image(&root, &["--format", "json"], "openat2");
        let report = ran.json();
        let shown = root.display().to_string();
        for c in report["checks"].as_array().expect("checks") {
            let Some(fix) = c["fix"].as_str() else {
                continue;
            };
            fixes += 1;
            assert!(
                !fix.contains("$ROOT"),
                "{name}: {}: $ROOT left in: {fix}",
                c["id"]
            );
            for path in host_paths(fix, &shown) {
                bad.push(format!("{name}: {}: {path}", c["id"]));
            }
            // Each command (an indented line, or a `backquoted` one) is whole shell:
            // the human report keeps each on lines of its own, to be pasted.
            for cmd in Fix::parse(fix).commands() {
                let out = Command::new("sh")
                    .args(["-n", "-c", &cmd])
                    .output()
                    .expect("sh runs");
                if !out.status.success() {
                    bad.push(format!(
                        "{name}: {}: `{cmd}` does not parse: {}",
                        c["id"],
                        String::from_utf8_lossy(&out.stderr).trim()
                    ));
                }
            }
        }
    }
    assert!(fixes >= 30, "only {fixes} fixes seen");
    let list = Command::new(bin())
        .args(["list", "--format", "json"])
        .output()
        .expect("runs");
    let listed: Value = serde_json::from_slice(&list.stdout).expect("list json");
    for c in listed["checks"].as_array().expect("checks") {
        if !c["modes"].to_string().contains("image") {
            continue;
        }
        let id = c["id"].as_str().unwrap_or_default();
        let explained = Command::new(bin())
            .args(["explain", id, "--format", "json"])
            .output()
            .expect("runs");
        let e: Value = serde_json::from_slice(&explained.stdout).expect("explain json");
        let fix = e["checks"][0]["fix"].as_str().unwrap_or_default();
        assert!(!fix.is_empty(), "{id} has no fix");
        for path in host_paths(fix, "$ROOT") {
            bad.push(format!("spec {id}: {path}"));
        }
    }
    assert!(
        bad.is_empty(),
        "image-mode fixes that act on the host, or do not parse:\n{}",
        bad.join("\n")
    );
}
