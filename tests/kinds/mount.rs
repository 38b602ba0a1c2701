//! Kind `mount` (checks shm-tmpfs and host-proc): /dev/shm laid out for real in mount
//! namespaces and judged as the kernel resolves it at boot, and as ifupdown 0.6's postinst
//! tests it on a build host; /proc missing on a build host. A captured mount table is
//! judged in-process, in src/kinds/mount/run_tests.rs.

use crate::common::ns::{Layout, Scenario, Shm, strs};
use crate::common::{check, status, summary};

#[test]
fn dev_shm_on_a_plain_directory_fails() {
    let s = Scenario {
        shm: Shm::PlainDir,
        layout: Layout::Modern,
        ..Scenario::healthy("plain-shm")
    };
    let Some((ran, _)) = s.run() else { return };
    let report = ran.json();
    assert_eq!(ran.code, 1);
    let shm = check(&report, "shm-tmpfs");
    assert_eq!(shm["status"], "fail", "{shm:#}");
    assert!(summary(shm).contains("not tmpfs"), "{shm:#}");
}

#[test]
fn build_host_mode_catches_a_dev_shm_that_is_not_tmpfs() {
    // Seed 004's build host: /dev/shm a plain directory; /proc is mounted.
    let s = Scenario {
        shm: Shm::PlainDir,
        daemon: None,
        args: strs(&["build-host", "--format", "json"]),
        ..Scenario::healthy("build-host-plain-shm")
    };
    let Some((ran, _)) = s.run() else { return };
    let report = ran.json();
    assert_eq!(report["mode"], "build-host");
    assert_eq!(status(&report, "shm-tmpfs"), "fail", "{}", ran.stdout);
    assert_eq!(status(&report, "host-proc"), "pass", "{}", ran.stdout);
    assert_eq!(ran.code, 1);
}

#[test]
fn build_host_mode_catches_a_missing_proc() {
    // A chroot build without /proc: package scripts cannot read /proc/mounts.
    let s = Scenario {
        daemon: None,
        extra: "umount -l /proc".into(),
        args: strs(&["build-host", "--format", "json"]),
        ..Scenario::healthy("build-host-no-proc")
    };
    let Some((ran, _)) = s.run() else { return };
    let report = ran.json();
    let proc = check(&report, "host-proc");
    assert_eq!(proc["status"], "fail", "{proc:#}");
    assert!(
        summary(proc).starts_with("/proc is not mounted"),
        "{proc:#}"
    );
    assert_eq!(ran.code, 1);
}

/// /dev/shm laid out for real in a mount namespace, judged at boot (what the booted box
/// needs: a tmpfs serves /dev/shm, links followed, the last mount over it counted) and on
/// a build host (what ifupdown 0.6's postinst tests: its /proc/mounts grep, `-w`, df).
/// Each row: name, what is mounted on /dev/shm first, the layout commands, the mode,
/// the status, words of the summary, and words of the evidence.
const SHM_LAYOUTS: &[(&str, Shm, &str, &str, &str, &str, &str)] = &[
    // A tmpfs on /dev/shm hidden by a later mount on /dev: /dev/shm is gone.
    (
        "shm-covered-missing",
        Shm::Tmpfs,
        "mount -t tmpfs tmpfs /dev",
        "boot",
        "fail",
        "/dev/shm does not exist",
        "is hidden under a later mount and serves nothing",
    ),
    // Hidden, and /dev/shm now a link to a directory on the tmpfs /run.
    (
        "shm-covered-link",
        Shm::Tmpfs,
        "mount -t tmpfs tmpfs /dev\nmkdir /run/shm\nln -s /run/shm /dev/shm",
        "boot",
        "pass",
        "/dev/shm -> /run/shm is a directory on tmpfs (tmpfs mounted at /run)",
        "/run/shm is served by mount",
    ),
    // Debian wheezy: /dev/shm -> /run/shm, a tmpfs of its own.
    (
        "shm-wheezy-boot",
        Shm::Unmounted,
        "mount -t tmpfs tmpfs /dev\nmkdir /run/shm\nmount -t tmpfs tmpfs /run/shm\nln -s /run/shm /dev/shm",
        "boot",
        "pass",
        "/dev/shm -> /run/shm is tmpfs, read-write",
        "(tmpfs mounted at /run/shm)",
    ),
    (
        "shm-wheezy-build-host",
        Shm::Unmounted,
        "mount -t tmpfs tmpfs /dev\nmkdir /run/shm\nmount -t tmpfs tmpfs /run/shm\nln -s /run/shm /dev/shm",
        "build-host",
        "fail",
        "would make /etc/network/run a real directory: its grep finds no `tmpfs /dev/shm tmpfs rw…` line in /proc/mounts: /proc/mounts has no line for /dev/shm at all",
        "/dev/shm -> /run/shm",
    ),
    // A container runtime's /dev/shm: a tmpfs whose source is `shm`.
    (
        "shm-source-shm-boot",
        Shm::Unmounted,
        "mount -t tmpfs shm /dev/shm",
        "boot",
        "pass",
        "/dev/shm is tmpfs, read-write",
        "(shm mounted at /dev/shm)",
    ),
    (
        "shm-source-shm-build-host",
        Shm::Unmounted,
        "mount -t tmpfs shm /dev/shm",
        "build-host",
        "fail",
        "/proc/mounts lists only `shm /dev/shm tmpfs rw",
        "/proc/mounts: shm /dev/shm tmpfs",
    ),
    // An unlimited tmpfs: df shows 0/0/0.
    (
        "shm-unlimited-boot",
        Shm::Unmounted,
        "mount -t tmpfs -o size=0 tmpfs /dev/shm",
        "boot",
        "pass",
        "unlimited (a tmpfs mounted with size=0)",
        "0 blocks of 4096 bytes",
    ),
    (
        "shm-unlimited-build-host",
        Shm::Unmounted,
        "mount -t tmpfs -o size=0 tmpfs /dev/shm",
        "build-host",
        "fail",
        "the tmpfs is unlimited (size=0), which df reports as 0 blocks, 0 free",
        "0 KiB available",
    ),
    // The healthy build host.
    (
        "shm-tmpfs-build-host",
        Shm::Tmpfs,
        "",
        "build-host",
        "pass",
        "would link /etc/network/run to /dev/shm/network",
        "/proc/mounts: tmpfs /dev/shm tmpfs rw",
    ),
    (
        "shm-read-only-build-host",
        Shm::Unmounted,
        "mount -t tmpfs -o ro tmpfs /dev/shm",
        "build-host",
        "fail",
        "`[ -w /dev/shm ]` fails: /dev/shm is not writable",
        "/proc/mounts: tmpfs /dev/shm tmpfs ro",
    ),
];

#[test]
fn dev_shm_is_judged_as_the_kernel_and_the_postinst_see_it() {
    let mut wrong = Vec::new();
    for &(name, shm, layout, mode, want, summary_words, evidence_words) in SHM_LAYOUTS {
        let s = Scenario {
            shm,
            layout: Layout::Modern,
            daemon: None,
            extra: layout.into(),
            args: strs(&[mode, "--format", "json", "--only", "shm-tmpfs"]),
            ..Scenario::healthy(name)
        };
        let Some((ran, _)) = s.run() else { return };
        let report = ran.json();
        let c = check(&report, "shm-tmpfs");
        let evidence = c["evidence"].to_string();
        if c["status"] != want
            || !summary(c).contains(summary_words)
            || !evidence.contains(evidence_words)
        {
            wrong.push(format!(
                "{name}: expected {want} with {summary_words:?} and evidence {evidence_words:?}, got {c:#}"
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n\n"));
}
