//! Kind `filesystem` (check fs-errors): real mounts in mount namespaces (a ro tmpfs, a
//! missing option, a full tmpfs), a real ext4 on a loop device given an error by the
//! kernel's own hook. fstab-listed but not mounted, and a captured bundle's error record,
//! are judged in-process, in src/kinds/filesystem/run_tests.rs.

use crate::common::{self, Ran, evidence, scratch, skip_unless_root, summary};
use serde_json::Value;
use std::fs;
use std::path::Path;
use std::process::Command;

// --- fs-errors -------------------------------------------------------------------

fn fs_spec(dir: &Path, mounts: &str, extra: &str) -> String {
    format!(
        r#"[[check]]
id = "fs-errors"
kind = "filesystem"
modes = ["boot"]
why = "test"
fix = "test"
mounts = [{mounts}]
fstab = "{d}/fstab"
{extra}
"#,
        d = dir.display()
    )
}

/// Runs `script` (sh) in a new mount namespace with the scratch dir as $D.
fn in_mount_ns(dir: &Path, script: &str) -> Ran {
    Command::new("unshare")
        .args(["-m", "sh", "-euc"])
        .arg(format!("mount --make-rprivate /\n{script}"))
        .env("D", dir)
        .env("BIN", common::bin())
        .env("NO_COLOR", "1")
        .output()
        .expect("unshare")
        .into()
}

#[test]
fn a_read_only_tmpfs_where_rw_is_expected_fails() {
    if skip_unless_root("a_read_only_tmpfs_where_rw_is_expected_fails", "mounts") {
        return;
    }
    let dir = scratch("fs-ro");
    fs::create_dir_all(dir.join("data")).unwrap();
    let spec = fs_spec(
        &dir,
        &format!(
            r#"{{ path = "{}/data", options = ["rw", "nosuid"] }}"#,
            dir.display()
        ),
        "",
    );
    fs::write(dir.join("spec.toml"), spec).unwrap();
    let run = |opts: &str| {
        let ran = in_mount_ns(
            &dir,
            &format!(
                "mount -t tmpfs -o {opts} tmpfs $D/data\n\"$BIN\" boot --format json --spec $D/spec.toml"
            ),
        );
        ran.json()["checks"][0].clone()
    };
    let c = run("ro,nosuid");
    assert_eq!(c["status"], "fail", "{c:#}");
    assert_eq!(
        summary(&c),
        format!("{}/data: rw expected, found ro", dir.display())
    );
    let c = run("rw,nosuid");
    assert_eq!(c["status"], "pass", "{c:#}");
    let c = run("rw");
    assert_eq!(c["status"], "fail", "{c:#}");
    assert!(
        summary(&c).contains("option nosuid expected, not in effect"),
        "{c:#}"
    );
}

#[test]
fn a_full_filesystem_fails_on_space_and_on_inodes() {
    if skip_unless_root("a_full_filesystem_fails_on_space_and_on_inodes", "mounts") {
        return;
    }
    let dir = scratch("fs-full");
    fs::create_dir_all(dir.join("data")).unwrap();
    let spec = fs_spec(
        &dir,
        &format!(r#"{{ path = "{}/data" }}"#, dir.display()),
        "min_free_bytes = 1\nmin_free_inodes = 1",
    );
    fs::write(dir.join("spec.toml"), spec).unwrap();
    let ran = in_mount_ns(
        &dir,
        "mount -t tmpfs -o size=256k tmpfs $D/data\n\
         dd if=/dev/zero of=$D/data/fill bs=4k 2>/dev/null || true\n\
         \"$BIN\" boot --format json --spec $D/spec.toml",
    );
    let c = ran.json()["checks"][0].clone();
    assert_eq!(c["status"], "fail", "{c:#}");
    assert!(
        summary(&c).ends_with("data has 0 B free (needs 1 B)"),
        "{c:#}"
    );

    let ran = in_mount_ns(
        &dir,
        "mount -t tmpfs -o nr_inodes=8 tmpfs $D/data\n\
         i=0; while touch $D/data/f$i 2>/dev/null; do i=$((i+1)); done\n\
         \"$BIN\" boot --format json --spec $D/spec.toml",
    );
    let c = ran.json()["checks"][0].clone();
    assert_eq!(c["status"], "fail", "{c:#}");
    assert!(
        summary(&c).ends_with("data has 0 free inodes (needs 1)"),
        "{c:#}"
    );
}

/// The real thing: an ext4 filesystem on a loop device, mounted errors=remount-ro, made
/// to record an error by the kernel's own test hook. The kernel remounts it read-only
/// and counts the error; fs-errors must name both.
#[test]
fn an_ext4_error_remounts_read_only_and_is_reported() {
    let test = "an_ext4_error_remounts_read_only_and_is_reported";
    if skip_unless_root(test, "loop devices and mounts") {
        return;
    }
    let dir = scratch("fs-ext4");
    fs::create_dir_all(dir.join("data")).unwrap();
    let spec = fs_spec(
        &dir,
        &format!(r#"{{ path = "{}/data", options = ["rw"] }}"#, dir.display()),
        "",
    );
    fs::write(dir.join("spec.toml"), spec).unwrap();
    let ran = in_mount_ns(
        &dir,
        "truncate -s 16M $D/ext4.img\n\
         mkfs.ext4 -q -F $D/ext4.img\n\
         if ! mount -o loop,errors=remount-ro $D/ext4.img $D/data 2>$D/mount.err; then\n\
           echo SKIP; cat $D/mount.err; exit 0; fi\n\
         \"$BIN\" boot --format json --spec $D/spec.toml > $D/before.json || true\n\
         dev=$(basename $(findmnt -no SOURCE $D/data))\n\
         echo ha-preflight-test > /sys/fs/ext4/$dev/trigger_fs_error\n\
         \"$BIN\" boot --format json --spec $D/spec.toml || true\n\
         umount $D/data",
    );
    if ran.stdout.starts_with("SKIP") || ran.stderr.contains("mkfs.ext4: not found") {
        eprintln!(
            "SKIP {test}: no loop mount here: {}{}",
            ran.stdout, ran.stderr
        );
        return;
    }
    let before: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("before.json")).unwrap()).unwrap();
    assert_eq!(before["checks"][0]["status"], "pass", "{before:#}");
    let c = ran.json()["checks"][0].clone();
    assert_eq!(c["status"], "fail", "{c:#}\n{}", ran.stderr);
    assert!(summary(&c).contains("rw expected, found ro"), "{c:#}");
    assert!(summary(&c).contains("errors=remount-ro fallback"), "{c:#}");
    let ev = evidence(&c);
    assert!(
        ev.contains("has 1 recorded filesystem error (first "),
        "{ev}"
    );
    assert!(ev.contains("errors_count: 1"), "{ev}");
}

// --- real ext4 on loop devices (issue 22, points 3 and 4) -------------------------

/// Detaches, when dropped (a failed assertion too), every loop device backed by the
/// image: the mount namespace takes the mounts with it, the loop devices are global.
struct Loops(std::path::PathBuf);

impl Drop for Loops {
    fn drop(&mut self) {
        let Ok(out) = Command::new("losetup")
            .args(["-n", "-O", "NAME", "-j"])
            .arg(&self.0)
            .output()
        else {
            return;
        };
        for dev in String::from_utf8_lossy(&out.stdout).split_whitespace() {
            let _ = Command::new("losetup").args(["-d", dev]).status();
        }
    }
}

/// A real ext4 (or ext2) on a loop device, in a fresh mount namespace: `mkfs` makes
/// $IMG, `prepare` runs on it before it is attached ($IMG), the loop device ($LOOP,
/// `losetup_opts`) is mounted at $D/mnt with `mount_opts`, `$D/data` is a link to it,
/// then `after` runs and the binary judges the spec's mounts. The check's result, and
/// the scratch folder (live as long as it is held).
struct Ext4<'a> {
    name: &'a str,
    mkfs: &'a str,
    prepare: &'a str,
    losetup_opts: &'a str,
    /// Run after the loop device is attached, before it is mounted.
    pre_mount: &'a str,
    mount_opts: &'a str,
    after: &'a str,
    /// The spec's `mounts` entry ($D is the scratch folder).
    mounts: &'a str,
    /// Extra arguments of the binary.
    args: &'a str,
}

impl Default for Ext4<'_> {
    fn default() -> Self {
        Ext4 {
            name: "fs-ext4-box",
            mkfs: "mkfs.ext4 -q -F",
            prepare: "",
            losetup_opts: "",
            pre_mount: "",
            mount_opts: "rw",
            after: "",
            mounts: r#"{ path = "$D/data", options = ["rw"] }"#,
            args: "",
        }
    }
}

impl Ext4<'_> {
    /// None (after saying why) when not root or when this machine has no loop devices.
    fn run(&self) -> Option<(common::Scratch, Value, Ran)> {
        if skip_unless_root(self.name, "loop devices and mount namespaces") {
            return None;
        }
        let dir = scratch(self.name);
        let img = dir.join("fs.img");
        let _loops = Loops(img.clone());
        let mounts = self.mounts.replace("$D", &dir.display().to_string());
        fs::write(dir.join("spec.toml"), fs_spec(&dir, &mounts, "")).unwrap();
        let script = format!(
            "truncate -s 32M $IMG\n{mkfs} $IMG >/dev/null\n{prepare}\n\
             LOOP=$(losetup -f --show {lo} $IMG)\nmkdir -p $D/mnt\n{pre_mount}\n\
             if ! mount -o {opts} $LOOP $D/mnt 2>$D/mount.err; then echo SKIP; cat $D/mount.err; exit 0; fi\n\
             ln -sfn $D/mnt $D/data\n{after}\n\
             \"$BIN\" boot --format json --spec $D/spec.toml {args} || true",
            mkfs = self.mkfs,
            prepare = self.prepare,
            lo = self.losetup_opts,
            pre_mount = self.pre_mount,
            opts = self.mount_opts,
            after = self.after,
            args = self.args,
        );
        let ran = Command::new("unshare")
            .args(["-m", "sh", "-euc"])
            .arg(format!("mount --make-rprivate /\n{script}"))
            .env("D", dir.path())
            .env("IMG", &img)
            .env("BIN", common::bin())
            .env("NO_COLOR", "1")
            .output()
            .expect("unshare")
            .into();
        let ran: Ran = ran;
        if ran.stdout.starts_with("SKIP") {
            eprintln!("SKIP {}: no loop mount here: {}", self.name, ran.stdout);
            return None;
        }
        let c = ran.json()["checks"][0].clone();
        Some((dir, c, ran))
    }
}

/// Point 4: the configured /data is a link to the real mount point. The kernel records
/// an error on that filesystem (its own test hook); shipped as `required = false`, the
/// old lookup of "/data" in the mount table found nothing and skipped it as "not
/// configured on this box", hiding the damage.
#[test]
fn a_mount_point_reached_through_a_link_is_judged_with_its_errors() {
    let Some((dir, c, ran)) = (Ext4 {
        name: "fs-link-error",
        // The kernel counts the error in the superblock from a work queue: wait for it.
        after: "S=/sys/fs/ext4/$(basename $LOOP); echo ha-preflight-test > $S/trigger_fs_error\n\
            i=0; while [ \"$(cat $S/errors_count)\" = 0 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done",
        ..Ext4::default()
    })
    .run() else {
        return;
    };
    assert_eq!(c["status"], "fail", "{c:#}\n{}", ran.stderr);
    let shown = format!("{d}/data -> {d}/mnt", d = dir.display());
    assert!(
        summary(&c).starts_with(&format!("{shown} has 1 recorded filesystem error")),
        "{c:#}"
    );
    let ev = evidence(&c);
    assert!(
        ev.contains(&format!(
            "{d}/data: a link, resolved to {d}/mnt",
            d = dir.display()
        )),
        "{ev}"
    );
    assert!(ev.contains("errors_count: 1"), "{ev}");
}

/// Point 4, the other way: the same link to a healthy filesystem, `required = true`.
/// Looked up by the link's name, it was "not mounted" and kept HA down.
#[test]
fn a_required_mount_point_reached_through_a_link_passes_when_healthy() {
    let Some((dir, c, ran)) = (Ext4 {
        name: "fs-link-healthy",
        mounts: r#"{ path = "$D/data", options = ["rw"], required = true }"#,
        ..Ext4::default()
    })
    .run() else {
        return;
    };
    assert_eq!(c["status"], "pass", "{c:#}\n{}", ran.stderr);
    assert!(
        summary(&c).starts_with(&format!("{d}/data -> {d}/mnt: mounted", d = dir.display())),
        "{c:#}"
    );
}

/// The device's kernel name ("loop3") as the check quotes it, from its evidence.
fn loop_name(c: &Value) -> String {
    let ev = evidence(c);
    let at = ev.find("/dev/loop").expect("a loop device in the evidence");
    ev[at + 5..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

/// Point 3: a journaled ext4 whose superblock says "not clean" (debugfs sets the state,
/// as an interrupted fsck leaves it), mounted read-write. The kernel warns and mounts
/// it; errors_count is 0, so it passed.
#[test]
fn a_not_clean_ext4_mounted_unchecked_fails_with_the_kernels_line() {
    let Some((_dir, c, ran)) = (Ext4 {
        name: "fs-not-clean",
        prepare: "debugfs -w -R 'ssv state 0' $IMG 2>/dev/null",
        ..Ext4::default()
    })
    .run() else {
        return;
    };
    assert_eq!(c["status"], "fail", "{c:#}\n{}", ran.stderr);
    assert!(
        summary(&c).contains(
            "superblock state \"not clean\": mounted without the check an unclean state needs"
        ),
        "{c:#}"
    );
    let dev = loop_name(&c);
    let ev = evidence(&c);
    assert!(
        ev.contains(&format!("/dev/{dev} (7:")) && ev.contains("superblock: state not clean"),
        "{ev}"
    );
    assert!(
        format!("{}\n{ev}", summary(&c)).contains("the kernel logged: [")
            && ev.contains(&format!(
                "EXT4-fs ({dev}): warning: mounting unchecked fs, running e2fsck is recommended"
            )),
        "{ev}"
    );
}

/// Point 3: "not clean with errors" on a read-only mount, with no error counted: the
/// kernel logs nothing for a read-only mount, and only the superblock tells.
#[test]
fn a_superblock_with_errors_fails_on_a_read_only_mount() {
    let Some((_dir, c, ran)) = (Ext4 {
        name: "fs-state-errors",
        prepare: "debugfs -w -R 'ssv state 2' $IMG 2>/dev/null",
        mount_opts: "ro",
        mounts: r#"{ path = "$D/data", options = ["ro"] }"#,
        ..Ext4::default()
    })
    .run() else {
        return;
    };
    assert_eq!(c["status"], "fail", "{c:#}\n{}", ran.stderr);
    assert!(
        summary(&c).contains(
            "superblock state \"not clean with errors\": the kernel found errors, and no fsck has cleared them"
        ),
        "{c:#}"
    );
    assert!(evidence(&c).contains("errors_count: 0"), "{c:#}");
}

/// An ext4 image copied while mounted, as a crash leaves the disk: its journal needs
/// recovery. Run in `prepare`, before the test's own loop device is attached.
const CRASHED: &str = "L0=$(losetup -f --show $IMG); mkdir -p $D/pre; mount $L0 $D/pre\n\
    mkdir $D/pre/x; echo data > $D/pre/x/f; sync -f $D/pre/x/f\n\
    cp $IMG $D/crash.img; umount $D/pre; losetup -d $L0; cp $D/crash.img $IMG\n\
    dumpe2fs -h $IMG 2>/dev/null | grep -q needs_recovery";

/// Point 3, and the false alarm it must not raise: a crashed journal replayed by a
/// read-only mount ("recovery required on readonly filesystem", then "recovery
/// complete") is the journal doing its job, quoted and passed. The same disk on a
/// read-only device: the plain mount fails ("write access unavailable"), and the one
/// with `noload` mounts it unreplayed, which the superblock says: that fails.
#[test]
fn a_journal_that_needs_recovery_fails_only_when_it_was_not_replayed() {
    let Some((_dir, c, ran)) = (Ext4 {
        name: "fs-recovered",
        prepare: CRASHED,
        mount_opts: "ro",
        mounts: r#"{ path = "$D/data", options = ["ro"] }"#,
        ..Ext4::default()
    })
    .run() else {
        return;
    };
    assert_eq!(c["status"], "pass", "{c:#}\n{}", ran.stderr);
    let dev = loop_name(&c);
    let ev = evidence(&c);
    assert!(
        ev.contains(&format!(
            "EXT4-fs ({dev}): INFO: recovery required on readonly filesystem"
        )) && ev.contains(&format!("EXT4-fs ({dev}): recovery complete")),
        "{ev}"
    );
    let Some((_dir, c, ran)) = (Ext4 {
        name: "fs-noload",
        prepare: CRASHED,
        losetup_opts: "-r",
        pre_mount: "mount -o ro $LOOP $D/mnt 2>/dev/null && exit 97 || true",
        mount_opts: "ro,noload",
        mounts: r#"{ path = "$D/data", options = ["ro"] }"#,
        ..Ext4::default()
    })
    .run() else {
        return;
    };
    assert_eq!(c["status"], "fail", "{c:#}\n{}", ran.stderr);
    assert!(
        summary(&c).contains("the journal needs recovery (needs_recovery) and was not replayed"),
        "{c:#}"
    );
    let dev = loop_name(&c);
    let ev = evidence(&c);
    assert!(
        ev.contains(&format!(
            "EXT4-fs ({dev}): write access unavailable, cannot proceed (try mounting with noload)"
        )),
        "{ev}"
    );
}

/// Point 3, the journal-less case both ways: ext2 mounted read-write is "not clean" on
/// disk while mounted (the kernel clears the bit then): that passes. Mounted read-only
/// after an unclean shutdown, it is not clean and unchecked: that fails.
#[test]
fn an_ext2_is_not_clean_while_mounted_rw_and_that_is_no_damage() {
    let Some((_dir, c, ran)) = (Ext4 {
        name: "fs-ext2-rw",
        mkfs: "mkfs.ext2 -q -F",
        ..Ext4::default()
    })
    .run() else {
        return;
    };
    // Pass, unless another test's "mounting unchecked fs" on the same loop device lost
    // its "unmounting filesystem" line to the kernel's rate limit: for a journal-less
    // filesystem mounted read-write only the log can tell, and it cannot tell them apart.
    assert!(
        c["status"] == "pass" || summary(&c).contains("the kernel logged: "),
        "{c:#}\n{}",
        ran.stderr
    );
    assert!(!summary(&c).contains("superblock state"), "{c:#}");
    let ev = evidence(&c);
    assert!(ev.contains("superblock: state not clean"), "{ev}");
    assert!(
        ev.contains(
            "\"not clean\" is normal while a filesystem without a journal is mounted read-write"
        ),
        "{ev}"
    );
    let Some((_dir, c, ran)) = (Ext4 {
        name: "fs-ext2-ro",
        mkfs: "mkfs.ext2 -q -F",
        prepare: "debugfs -w -R 'ssv state 0' $IMG 2>/dev/null",
        mount_opts: "ro",
        mounts: r#"{ path = "$D/data", options = ["ro"] }"#,
        ..Ext4::default()
    })
    .run() else {
        return;
    };
    assert_eq!(c["status"], "fail", "{c:#}\n{}", ran.stderr);
    assert!(
        summary(&c).contains("superblock state \"not clean\""),
        "{c:#}"
    );
}

/// A directory block with a bad checksum, found by the kernel when `ls` reads it: a
/// real `EXT4-fs error (device loopN)` line, quoted. Then the image is repaired by fsck
/// and mounted again on a loop device: the earlier mount's lines are before its
/// "unmounting filesystem" and are not this mount's.
#[test]
fn a_kernel_error_line_is_quoted_and_an_earlier_mounts_lines_are_not() {
    let corrupt = "debugfs -w -R 'mkdir d' $IMG 2>/dev/null\n\
        B=$(debugfs -R 'blocks d' $IMG 2>/dev/null)\n\
        dd if=/dev/urandom of=$IMG bs=4096 seek=$B count=1 conv=notrunc 2>/dev/null";
    let Some((dir, c, ran)) = (Ext4 {
        name: "fs-dir-error",
        mkfs: "mkfs.ext4 -q -F -b 4096",
        prepare: corrupt,
        after: "ls $D/mnt/d >/dev/null 2>&1 || true\n\
            S=/sys/fs/ext4/$(basename $LOOP); i=0\n\
            while [ \"$(cat $S/errors_count)\" = 0 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done",
        ..Ext4::default()
    })
    .run() else {
        return;
    };
    assert_eq!(c["status"], "fail", "{c:#}\n{}", ran.stderr);
    let dev = loop_name(&c);
    let ev = evidence(&c);
    assert!(
        format!("{}\n{ev}", summary(&c)).contains("the kernel logged: [")
            && ev.contains(&format!(
                "EXT4-fs error (device {dev}): htree_dirblock_to_tree:"
            )),
        "{ev}"
    );
    drop(dir);
    // Repaired, and mounted again on whichever loop device is free (often the same).
    let Some((_dir, c, ran)) = (Ext4 {
        name: "fs-dir-repaired",
        mkfs: "mkfs.ext4 -q -F -b 4096",
        prepare: &format!(
            "{corrupt}\nL0=$(losetup -f --show $IMG); mkdir -p $D/pre\n\
            mount $L0 $D/pre; ls $D/pre/d >/dev/null 2>&1 || true; umount $D/pre; losetup -d $L0\n\
            e2fsck -fy $IMG >/dev/null 2>&1 || true"
        ),
        ..Ext4::default()
    })
    .run() else {
        return;
    };
    assert_eq!(c["status"], "pass", "{c:#}\n{}", ran.stderr);
}

/// The new facts travel in a bundle: `collect` on a box whose ext4 is mounted unchecked
/// (superblock "not clean", the kernel's warning), replayed with `--bundle` after the
/// loop device is gone, gives the box's verdict, its summary and its quoted line.
#[test]
fn a_bundle_of_a_damaged_filesystem_replays_its_verdict() {
    let Some((dir, live, ran)) = (Ext4 {
        name: "fs-bundle",
        prepare: "debugfs -w -R 'ssv state 0' $IMG 2>/dev/null",
        after: "\"$BIN\" collect --spec $D/spec.toml --output $D/box.tar >/dev/null 2>&1 || true",
        ..Ext4::default()
    })
    .run() else {
        return;
    };
    assert_eq!(live["status"], "fail", "{live:#}\n{}", ran.stderr);
    let tar = dir.join("box.tar").display().to_string();
    let replay = common::run(&["--bundle", &tar, "--format", "json"]).json();
    let c = common::check(&replay, "fs-errors");
    assert_eq!(c["status"], "fail", "{c:#}");
    assert_eq!(summary(c), summary(&live), "{c:#}");
    let dev = loop_name(&live);
    let quoted = format!("EXT4-fs ({dev}): warning: mounting unchecked fs");
    assert!(evidence(c).contains(&quoted), "{c:#}");
}
