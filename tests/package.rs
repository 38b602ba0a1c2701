//! The Debian package (issue 6): built by packaging/build-deb.sh from Cargo.toml's
//! `[package.metadata.deb]`, then inspected the way a reviewer would, with dpkg-deb:
//! its control data, its maintainer scripts, its file list, and its contents unpacked
//! (a static binary that runs and loads the packaged spec).
//!
//! Needs cargo-deb and dpkg-deb; without them the test says so and returns (CI installs
//! cargo-deb). The real install into a booted Debian is image-tests/boot/run.sh.

use crate::common;

use common::{have, repo, scratch, skip, skip_outside_ci, summary};
use std::fs;
use std::path::Path;
use std::process::Command;

/// `dpkg-deb FLAG DEB [DIR]` (DIR for -e and -x, which unpack into it); its stdout.
fn dpkg_deb(flag: &str, deb: &Path, dir: Option<&Path>) -> String {
    let out = Command::new("dpkg-deb")
        .arg(flag)
        .arg(deb)
        .args(dir)
        .output()
        .expect("dpkg-deb runs");
    assert!(
        out.status.success(),
        "dpkg-deb {flag}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// True when the ELF file has no program interpreter (PT_INTERP): statically linked.
/// 64-bit ELF, or 32-bit (armhf).
fn is_static_elf(bytes: &[u8]) -> bool {
    let u16_at = |o: usize| u16::from_le_bytes([bytes[o], bytes[o + 1]]) as usize;
    let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap()) as usize;
    let u64_at = |o: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&bytes[o..o + 8]);
        u64::from_le_bytes(b) as usize
    };
    assert_eq!(&bytes[..4], b"\x7fELF", "not an ELF file");
    let (phoff, phentsize, phnum) = match bytes[4] {
        2 => (u64_at(0x20), u16_at(0x36), u16_at(0x38)),
        1 => (u32_at(0x1c), u16_at(0x2a), u16_at(0x2c)),
        class => panic!("ELF class {class}"),
    };
    (0..phnum).all(|i| u32_at(phoff + i * phentsize) != 3)
}

/// The ELF file's machine (e_machine): 62 x86_64, 183 aarch64, 40 32-bit ARM.
fn elf_machine(bytes: &[u8]) -> u16 {
    u16::from_le_bytes([bytes[0x12], bytes[0x13]])
}

/// The arm64 and armhf packages (README, "Other architectures"), as build-deb.sh makes
/// them with DEB_TARGET: named and marked for their architecture, holding that
/// architecture's static binary, which runs under qemu-user and loads the packaged
/// spec; lintian-clean. The rest of the package is amd64's, checked above. Needs each
/// Rust target, its linker and qemu-user-static: skipped without them, except under CI
/// (.ci/run installs them).
#[test]
fn the_arm64_and_armhf_debs_hold_their_architectures_binary() {
    if !have("cargo-deb") || !have("dpkg-deb") {
        skip(
            "the_arm64_and_armhf_debs_hold_their_architectures_binary",
            "cargo-deb (cargo install cargo-deb) or dpkg-deb",
        );
        return;
    }
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let version = env!("CARGO_PKG_VERSION");
    for (target, arch, linker, qemu, machine) in [
        (
            "aarch64-unknown-linux-musl",
            "arm64",
            None,
            "qemu-aarch64-static",
            183,
        ),
        (
            "armv7-unknown-linux-gnueabihf",
            "armhf",
            Some("arm-linux-gnueabihf-gcc"),
            "qemu-arm-static",
            40,
        ),
    ] {
        let test = format!("the {arch} package");
        if !installed.lines().any(|l| l.trim() == target) {
            skip_outside_ci(&test, &format!("{target} (rustup target add {target})"));
            continue;
        }
        if linker.is_some_and(|l| !have(l)) || !have(qemu) {
            skip_outside_ci(
                &test,
                &format!(
                    "{} or {qemu} (apt-get install gcc-arm-linux-gnueabihf \
                     libc6-dev-armhf-cross qemu-user-static)",
                    linker.unwrap_or("rust-lld")
                ),
            );
            continue;
        }
        let dir = scratch(&format!("package-{arch}"));
        let deb = build_deb(&dir, Some(target));
        assert_eq!(
            deb.file_name().and_then(|n| n.to_str()),
            Some(format!("ha-preflight_{version}-1_{arch}.deb").as_str())
        );
        let info = dpkg_deb("-I", &deb, None);
        assert!(
            info.contains(&format!("Architecture: {arch}\n")),
            "control lacks Architecture: {arch}:\n{info}"
        );
        let tree = dir.join("tree");
        dpkg_deb("-x", &deb, Some(&tree));
        let bin = tree.join("usr/sbin/ha-preflight");
        let bytes = fs::read(&bin).unwrap();
        assert_eq!(
            elf_machine(&bytes),
            machine,
            "{arch}: the binary of another machine"
        );
        assert!(
            is_static_elf(&bytes),
            "{arch}: the packaged binary is dynamically linked"
        );
        let checks = tree.join("usr/lib/ha-preflight/checks.d");
        let ran = Command::new(qemu)
            .arg(&bin)
            .args(["--version", "--spec"])
            .arg(&checks)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&ran.stdout);
        assert!(
            text.starts_with(&format!("ha-preflight {version}\n"))
                && text.contains("checks.d/boot.toml")
                && text.contains("checks.d/image.toml"),
            "{arch} under {qemu}: {text}{}",
            String::from_utf8_lossy(&ran.stderr)
        );
        lintian_is_clean(&deb, &dir);
    }
}

/// Builds the package into `dir` with packaging/build-deb.sh (`DEB_TARGET=target` for
/// another architecture's) and returns the .deb it names on its last line.
fn build_deb(dir: &Path, target: Option<&str>) -> std::path::PathBuf {
    let mut build = Command::new("bash");
    build.arg(repo().join("packaging/build-deb.sh")).arg(dir);
    if let Some(target) = target {
        build.env("DEB_TARGET", target);
    }
    let out = build.output().expect("build-deb.sh runs");
    assert!(
        out.status.success(),
        "build-deb.sh for {}: {}",
        target.unwrap_or("amd64"),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    Path::new(stdout.lines().last().unwrap_or_default().trim()).to_path_buf()
}

#[test]
fn the_deb_holds_what_a_firmware_team_installs() {
    if !have("cargo-deb") || !have("dpkg-deb") {
        skip(
            "the_deb_holds_what_a_firmware_team_installs",
            "cargo-deb (cargo install cargo-deb) or dpkg-deb",
        );
        return;
    }
    let dir = scratch("package");
    let deb = build_deb(&dir, None);
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        deb.file_name().and_then(|n| n.to_str()),
        Some(format!("ha-preflight_{version}-1_amd64.deb").as_str())
    );

    // Control data.
    let info = dpkg_deb("-I", &deb, None);
    for field in [
        "Package: ha-preflight".to_string(),
        format!("Version: {version}-1"),
        "Architecture: amd64".into(),
        "Section: admin".into(),
        "Depends: init-system-helpers (>= 1.54~)".into(),
    ] {
        assert!(info.contains(&field), "control lacks {field:?}:\n{info}");
    }

    // Maintainer scripts: enabled the Debian way, never started by an install.
    let control = dir.join("control");
    dpkg_deb("-e", &deb, Some(&control));
    let postinst = fs::read_to_string(control.join("postinst")).expect("a postinst");
    assert!(
        postinst.contains("deb-systemd-helper enable ha-preflight.service"),
        "{postinst}"
    );
    assert!(
        !postinst.contains("deb-systemd-invoke start"),
        "an install must not run the gate:\n{postinst}"
    );
    let postrm = fs::read_to_string(control.join("postrm")).expect("a postrm");
    assert!(
        postrm.contains("deb-systemd-helper purge ha-preflight.service"),
        "{postrm}"
    );
    // No maintainer script stops, starts or restarts the gate (issue 22): the HA unit
    // Requires= it, so systemd stops or restarts the HA unit with it. The only systemctl
    // call allowed is daemon-reload, which keeps every unit's state. image-tests/boot
    // (variant lifecycle) shows it on a running HA unit.
    for name in ["preinst", "postinst", "prerm", "postrm"] {
        let Ok(text) = fs::read_to_string(control.join(name)) else {
            continue;
        };
        for line in text.lines().map(str::trim) {
            if line.starts_with('#') {
                continue;
            }
            assert!(
                !line.contains("deb-systemd-invoke")
                    && (!line.contains("systemctl") || line.contains("daemon-reload")),
                "{name} acts on a unit: {line:?}\n{text}"
            );
        }
    }

    // The file list.
    let list = dpkg_deb("-c", &deb, None);
    let entry = |path: &str| list.lines().find(|l| l.ends_with(&format!(" ./{path}")));
    for (path, mode) in [
        ("usr/sbin/ha-preflight", "-rwxr-xr-x"),
        ("usr/lib/ha-preflight/checks.d/boot.toml", "-rw-r--r--"),
        ("usr/lib/ha-preflight/checks.d/image.toml", "-rw-r--r--"),
        ("usr/lib/systemd/system/ha-preflight.service", "-rw-r--r--"),
        // The explanations of its journal entries (journalctl -x).
        ("usr/lib/systemd/catalog/ha-preflight.catalog", "-rw-r--r--"),
        ("usr/share/man/man8/ha-preflight.8.gz", "-rw-r--r--"),
        (
            "usr/share/bash-completion/completions/ha-preflight",
            "-rw-r--r--",
        ),
        (
            "usr/share/zsh/vendor-completions/_ha-preflight",
            "-rw-r--r--",
        ),
        (
            "usr/share/doc/ha-preflight/examples/ha-preflight-textfile.timer",
            "-rw-r--r--",
        ),
        (
            "usr/share/doc/ha-preflight/examples/ha-unit.service.d/10-ha-preflight.conf",
            "-rw-r--r--",
        ),
        ("usr/share/doc/ha-preflight/copyright", "-rw-r--r--"),
        (
            "usr/share/doc/ha-preflight/changelog.Debian.gz",
            "-rw-r--r--",
        ),
        ("usr/share/doc/ha-preflight/README.md", "-rw-r--r--"),
        ("usr/share/doc/ha-preflight/incident.md", "-rw-r--r--"),
        ("usr/share/doc/ha-preflight/security.md", "-rw-r--r--"),
        ("usr/share/doc/ha-preflight/monitoring.md", "-rw-r--r--"),
        (
            "usr/share/ha-preflight/prometheus/ha-preflight.rules.yml",
            "-rw-r--r--",
        ),
        (
            "usr/share/ha-preflight/prometheus/ha-preflight.rules.test.yml",
            "-rw-r--r--",
        ),
        ("usr/share/lintian/overrides/ha-preflight", "-rw-r--r--"),
    ] {
        let line = entry(path).unwrap_or_else(|| panic!("no {path} in the package:\n{list}"));
        assert!(line.starts_with(mode), "{path}: {line}");
        assert!(
            line.contains(" root/root ") || line.contains(" 0/0 "),
            "{path} not root-owned: {line}"
        );
    }

    // The contents, unpacked: the unit runs the packaged binary, which is static, runs,
    // and loads the packaged spec.
    let tree = dir.join("tree");
    dpkg_deb("-x", &deb, Some(&tree));
    let unit =
        fs::read_to_string(tree.join("usr/lib/systemd/system/ha-preflight.service")).unwrap();
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .and_then(|l| l.split_whitespace().next())
        .expect("an ExecStart");
    assert!(
        tree.join(exec.trim_start_matches('/')).is_file(),
        "ExecStart={exec} is not in the package"
    );
    let bin = tree.join("usr/sbin/ha-preflight");
    assert!(
        is_static_elf(&fs::read(&bin).unwrap()),
        "the packaged binary is dynamically linked"
    );
    let checks = tree.join("usr/lib/ha-preflight/checks.d");
    let ran = Command::new(&bin)
        .args(["--version", "--spec"])
        .arg(&checks)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&ran.stdout);
    assert!(
        text.starts_with(&format!("ha-preflight {version}\n")),
        "{text}"
    );
    assert!(
        text.contains("checks.d/boot.toml") && text.contains("checks.d/image.toml"),
        "{text}"
    );
    // md5sums (packaging/build-deb.sh adds them; cargo-deb writes none): one line per
    // regular file, each sum that file's, so `dpkg --verify` checks what was built.
    let md5sums = fs::read_to_string(control.join("md5sums")).expect("an md5sums");
    let files = list.lines().filter(|l| l.starts_with('-')).count();
    assert_eq!(md5sums.lines().count(), files, "{md5sums}\n{list}");
    let ok = Command::new("md5sum")
        .args(["--check", "--quiet", "--strict"])
        .arg(control.join("md5sums"))
        .current_dir(&tree)
        .status()
        .expect("md5sum runs");
    assert!(ok.success(), "md5sums do not match the package's files");
    let man = fs::read(tree.join("usr/share/man/man8/ha-preflight.8.gz")).unwrap();
    assert_eq!(&man[..2], [0x1f, 0x8b], "the man page is gzipped");
    assert!(man.len() > 200, "the man page is empty");
    // The user's documentation, not the developers' (no cargo commands, no links into a
    // source tree), and no unit names an HA unit the box may not have.
    let readme = fs::read_to_string(tree.join("usr/share/doc/ha-preflight/README.md")).unwrap();
    assert!(!readme.contains("cargo "), "{readme}");
    assert!(
        !unit.contains("ha.service") && !unit.contains("RequiredBy="),
        "{unit}"
    );
    // A manual stop or restart of the gate would reach the HA unit (issue 22): refused.
    assert!(
        unit.lines().any(|l| l.trim() == "RefuseManualStop=yes")
            && !unit.contains("RefuseManualStart=yes"),
        "the gate must refuse a manual stop/restart and allow a manual start:\n{unit}"
    );

    rule_tests_pass_where_installed(&tree);
    lintian_is_clean(&deb, &dir);
    wired_by_the_documented_route(&dir, &deb);
}

/// The packaged alert rules' unit tests pass where the package puts them: they name the
/// rules file beside them, as monitoring.md tells an admin to run them on a copy.
fn rule_tests_pass_where_installed(tree: &Path) {
    if !have("promtool") {
        skip_outside_ci(
            "the packaged alert rules' tests",
            "promtool (apt-get install prometheus)",
        );
        return;
    }
    let out = Command::new("promtool")
        .args(["test", "rules"])
        .arg(tree.join("usr/share/ha-preflight/prometheus/ha-preflight.rules.test.yml"))
        .output()
        .expect("promtool runs");
    assert!(
        out.status.success(),
        "promtool test rules, packaged: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// lintian on the .deb, every level shown (`-EI --pedantic`: experimental, info and
/// pedantic too): no tag that the package does not override with a reason
/// (debian/lintian-overrides). CI installs lintian; elsewhere its absence skips.
fn lintian_is_clean(deb: &Path, tmp: &Path) {
    if !have("lintian") {
        skip_outside_ci(
            "lintian on the package",
            "lintian (apt-get install lintian)",
        );
        return;
    }
    // lintian leaves cache files behind in TMPDIR: keep them in the test's scratch.
    let out = Command::new("lintian")
        .env("TMPDIR", tmp)
        .args([
            "-EI",
            "--pedantic",
            "--fail-on",
            "error,warning,info,pedantic",
        ])
        .arg(deb)
        .output()
        .expect("lintian runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let tags: Vec<&str> = text
        .lines()
        .filter(|l| {
            ["E: ", "W: ", "I: ", "P: ", "X: "]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .collect();
    assert!(
        out.status.success() && tags.is_empty(),
        "lintian: {tags:#?}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The CI path end to end: the .deb unpacked into an image tree and enabled there as an
/// image build does it; unit-wiring fails while no HA unit is gated, and passes once the
/// firmware's HA unit (named otherwise than any placeholder) gets the packaged drop-in,
/// with `--format junit --fail-on warning` read back by a JUnit parser.
fn wired_by_the_documented_route(dir: &Path, deb: &Path) {
    if !have("systemctl") {
        skip_outside_ci(
            "the wiring route",
            "systemctl for `systemctl --root` (apt-get install systemd)",
        );
        return;
    }
    let tree = dir.join("image");
    dpkg_deb("-x", deb, Some(&tree));
    let unit_dir = tree.join("usr/lib/systemd/system");
    fs::write(
        unit_dir.join("appliance-ha.service"),
        "[Unit]\nDescription=the appliance's HA scripts\n\n[Service]\nType=oneshot\n\
         ExecStart=/bin/true\n\n[Install]\nWantedBy=multi-user.target\n",
    )
    .unwrap();
    common::systemctl(
        &tree,
        &["enable", "ha-preflight.service", "appliance-ha.service"],
    );
    let bin = tree.join("usr/sbin/ha-preflight");
    let unit_wiring = |extra: &[&str]| {
        let out = Command::new(&bin)
            .args(["image", "--root"])
            .arg(&tree)
            .args(["--only", "unit-wiring", "--format", "json"])
            .args(extra)
            .output()
            .unwrap();
        let ran = common::Ran::from(out);
        (ran.code, ran.json()["checks"][0].clone())
    };
    // Enabled, but nothing requires it: it gates nothing.
    let (code, c) = unit_wiring(&[]);
    assert_eq!((code, c["status"].as_str()), (1, Some("fail")), "{c:#}");
    assert!(
        summary(&c).contains("no unit in the image requires ha-preflight.service"),
        "{c:#}"
    );
    // The documented route: the packaged example drop-in, in the HA unit's folder.
    let dropin = unit_dir.join("appliance-ha.service.d");
    fs::create_dir_all(&dropin).unwrap();
    fs::copy(
        tree.join("usr/share/doc/ha-preflight/examples/ha-unit.service.d/10-ha-preflight.conf"),
        dropin.join("10-ha-preflight.conf"),
    )
    .unwrap();
    let (code, c) = unit_wiring(&[]);
    assert_eq!(code, 0, "{c:#}");
    assert_eq!(
        c["summary"],
        "ha-preflight.service is installed, enabled, and gates appliance-ha.service (Requires= and After=)"
    );
    // The JUnit file a CI job keeps, strict about warnings, read by a real parser.
    let junit = dir.join("preflight.xml");
    let out = Command::new(&bin)
        .args(["image", "--root"])
        .arg(&tree)
        .args(["--format", "junit", "--fail-on", "warning", "--output"])
        .arg(&junit)
        .output()
        .unwrap();
    let code = out.status.code();
    let Some(py) = common::python_with(&["junitparser"]) else {
        skip_outside_ci(
            "reading the JUnit file",
            "python3 with junitparser (apt-get install python3-junitparser)",
        );
        return;
    };
    let report = common::junit_read(py, &junit);
    let cases = report["suites"][0]["cases"].as_array().expect("cases");
    let wiring = cases
        .iter()
        .find(|c| c["name"] == "unit-wiring")
        .expect("a unit-wiring testcase");
    assert_eq!(wiring["results"], serde_json::json!([]), "{wiring:#}");
    // The unpacked package is no finished image: what fails there fails the job, and
    // every failure counted in the file is one the exit status counted too.
    let failures = report["suites"][0]["failures"].as_u64().unwrap_or(0);
    assert_eq!(code, Some(if failures > 0 { 1 } else { 0 }), "{report:#}");
}
