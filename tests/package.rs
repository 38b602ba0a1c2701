//! The Debian package (issue 6): built by packaging/build-deb.sh from Cargo.toml's
//! `[package.metadata.deb]`, then inspected the way a reviewer would, with dpkg-deb:
//! its control data, its maintainer scripts, its file list, and its contents unpacked
//! (a static binary that runs and loads the packaged spec).
//!
//! Needs cargo-deb and dpkg-deb; without them the test says so and returns (CI installs
//! cargo-deb). The real install into a booted Debian is image-tests/boot/run.sh.

mod common;

use common::{repo, scratch};
use std::fs;
use std::path::Path;
use std::process::Command;

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn dpkg_deb(args: &[&str], deb: &Path) -> String {
    let out = Command::new("dpkg-deb")
        .args(args)
        .arg(deb)
        .output()
        .expect("dpkg-deb runs");
    assert!(
        out.status.success(),
        "dpkg-deb {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// True when the ELF file has no program interpreter (PT_INTERP): statically linked.
fn is_static_elf(bytes: &[u8]) -> bool {
    let u16_at = |o: usize| u16::from_le_bytes([bytes[o], bytes[o + 1]]) as usize;
    let u64_at = |o: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&bytes[o..o + 8]);
        u64::from_le_bytes(b) as usize
    };
    assert_eq!(&bytes[..4], b"\x7fELF", "not an ELF file");
    assert_eq!(bytes[4], 2, "not a 64-bit ELF");
    let (phoff, phentsize, phnum) = (u64_at(0x20), u16_at(0x36), u16_at(0x38));
    (0..phnum).all(|i| {
        let p_type = u32::from_le_bytes(bytes[phoff + i * phentsize..][..4].try_into().unwrap());
        p_type != 3
    })
}

#[test]
fn the_deb_holds_what_a_firmware_team_installs() {
    if !have("cargo-deb") || !have("dpkg-deb") {
        eprintln!(
            "SKIP the_deb_holds_what_a_firmware_team_installs: needs cargo-deb \
             (cargo install cargo-deb) and dpkg-deb"
        );
        return;
    }
    let dir = scratch("package");
    let out = Command::new("bash")
        .arg(repo().join("packaging/build-deb.sh"))
        .arg(&dir)
        .output()
        .expect("build-deb.sh runs");
    assert!(
        out.status.success(),
        "build-deb.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let deb = Path::new(stdout.lines().last().unwrap_or_default().trim()).to_path_buf();
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        deb.file_name().and_then(|n| n.to_str()),
        Some(format!("ha-preflight_{version}-1_amd64.deb").as_str())
    );

    // Control data.
    let info = dpkg_deb(&["-I"], &deb);
    for field in [
        "Package: ha-preflight".to_string(),
        format!("Version: {version}-1"),
        "Architecture: amd64".into(),
        "Section: admin".into(),
        "Depends: init-system-helpers".into(),
    ] {
        assert!(info.contains(&field), "control lacks {field:?}:\n{info}");
    }

    // Maintainer scripts: enabled the Debian way, never started by an install.
    let control = dir.join("control");
    let ok = Command::new("dpkg-deb")
        .arg("-e")
        .arg(&deb)
        .arg(&control)
        .status()
        .unwrap();
    assert!(ok.success());
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

    // The file list.
    let list = dpkg_deb(&["-c"], &deb);
    let entry = |path: &str| list.lines().find(|l| l.ends_with(&format!(" ./{path}")));
    for (path, mode) in [
        ("usr/sbin/ha-preflight", "-rwxr-xr-x"),
        ("usr/lib/ha-preflight/checks.d/boot.toml", "-rw-r--r--"),
        ("usr/lib/ha-preflight/checks.d/image.toml", "-rw-r--r--"),
        ("usr/lib/systemd/system/ha-preflight.service", "-rw-r--r--"),
        ("usr/share/man/man1/ha-preflight.1.gz", "-rw-r--r--"),
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
            "usr/share/doc/ha-preflight/examples/ha.service.d/10-ha-preflight.conf",
            "-rw-r--r--",
        ),
        ("usr/share/doc/ha-preflight/copyright", "-rw-r--r--"),
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
    let ok = Command::new("dpkg-deb")
        .arg("-x")
        .arg(&deb)
        .arg(&tree)
        .status()
        .unwrap();
    assert!(ok.success());
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
    let man = fs::read(tree.join("usr/share/man/man1/ha-preflight.1.gz")).unwrap();
    assert_eq!(&man[..2], [0x1f, 0x8b], "the man page is gzipped");
    assert!(man.len() > 200, "the man page is empty");
}
