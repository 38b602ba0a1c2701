//! Kind `filesystem`: the filesystems HA keeps its data on are mounted as configured, have
//! no recorded errors, and have room left. fs-errors uses it (a field report: a master that
//! seized repeatedly, whose root filesystem needed a manual fsck).
//!
//! Three signs of a damaged filesystem, each cheap to read:
//! - read-only where `rw` is expected: with `errors=remount-ro` the kernel makes the
//!   superblock read-only at the first error, and only mountinfo's super options show it
//!   (`ro`; `emergency_ro` since Linux 6.15; nothing at all in 6.12 to 6.14, where only
//!   the error record below tells). The mount's own options still say `rw`;
//! - ext2/3/4's error record, which the kernel keeps in the superblock until fsck clears it
//!   and shows in `/sys/fs/ext4/DEV/` (count, first and last error: time, function, line);
//! - no free blocks or inodes (statfs; live only).
//!
//! A configured path is looked up where the kernel's path walk ends (every link followed,
//! as for shm-tmpfs): `/data` that is a link to `/srv/data` is the mount at `/srv/data`,
//! which mount(8) made from fstab's `/data` line.
//!
//! A filesystem that is neither mounted nor in /etc/fstab is not configured on this box (a
//! standalone node without a data partition): its entry is skipped with that reason. One
//! that fstab lists but that is not mounted failed to mount, and fails.

pub mod ext;

use super::{BOOT, Context, Evaluate, KindDef, LOCAL, boxed};
use crate::config::{Params, SpecError, fields};
use crate::model::{Outcome, clock};
use crate::world::mounts::MountEntry;
use crate::world::{DoorError, Target};
use std::path::{Path, PathBuf};

/// What the spec loader knows of this kind; [`super::KINDS`] lists it.
pub const DEF: KindDef = KindDef {
    name: "filesystem",
    modes: BOOT,
    default_timeout: LOCAL,
    // It reads a block device (a dying disk's read can sleep in the kernel long past any
    // deadline) and the kernel's whole log ring (READ_ALL formats every record: a
    // millisecond or two): on a thread of its own, neither holds up the checks that only
    // read files, and the log is read while they run.
    waits: true,
    params: PARAMS,
    parse: |p| Filesystem::parse(p).map(boxed),
};

pub const PARAMS: &[&str] = &["mounts", "fstab", "min_free_bytes", "min_free_inodes"];

/// One filesystem the spec names.
#[derive(Debug)]
pub struct Expected {
    pub path: PathBuf,
    /// Options that must be in effect: `rw`, `ro`, or any option the kernel lists
    /// (`nosuid`, `errors=remount-ro`), looked up in the mount's and the superblock's.
    pub options: Vec<String>,
    /// Mounted or not, this filesystem must be there (otherwise: only if fstab lists it).
    pub required: bool,
}

impl Expected {
    const KEYS: &[&str] = &["path", "options", "required"];

    fn read(v: toml::Value) -> Result<Expected, String> {
        let mut f = fields::Fields::new(v, Expected::KEYS)?;
        let expected = Expected {
            path: f.require_string("path")?.into(),
            options: f.strings("options")?.unwrap_or_default(),
            required: f.bool("required")?.unwrap_or(false),
        };
        f.finish()?;
        Ok(expected)
    }
}

#[derive(Debug)]
pub struct Filesystem {
    pub mounts: Vec<Expected>,
    pub fstab: PathBuf,
    pub min_free_bytes: u64,
    pub min_free_inodes: u64,
}

impl Filesystem {
    pub fn parse(p: &mut Params) -> Result<Self, SpecError> {
        let mounts: Vec<Expected> = p
            .require_with(
                "mounts",
                "a list of { path = \"/\", options = [\"rw\"] } tables",
                |v| fields::list(v, Expected::read),
            )?
            .into_inner();
        if let Some(bad) = mounts.iter().find(|m| !m.path.is_absolute()) {
            return Err(p.error_here(format!(
                "`mounts`: {} is not an absolute path",
                bad.path.display()
            )));
        }
        Ok(Filesystem {
            mounts,
            fstab: p.path("fstab")?.unwrap_or_else(|| "/etc/fstab".into()),
            min_free_bytes: p.integer::<u64>("min_free_bytes", "u64")?.unwrap_or(1),
            min_free_inodes: p.integer::<u64>("min_free_inodes", "u64")?.unwrap_or(1),
        })
    }
}

impl Evaluate for Filesystem {
    fn evaluate(&self, cx: &Context) -> Outcome {
        let table = match cx.facts.mounts(cx.target) {
            Ok(t) => t,
            Err(e) => return Outcome::error(format!("cannot read the mount table: {e}")),
        };
        // fstab belongs to the box; a captured /proc comes from another one.
        let fstab = if !cx.target.has_box_files() {
            Fstab::NotConsulted
        } else {
            match cx.target.root.read_text(&self.fstab, 1 << 20) {
                Ok(text) => Fstab::Read(parse_fstab(&text)),
                Err(e) if e.is_not_found() => Fstab::Read(Vec::new()),
                Err(e) => return Outcome::error(format!("cannot read {e}")),
            }
        };
        let mut problems = Vec::new();
        let mut evidence = Vec::new();
        let mut judged = Vec::new();
        // One read of the kernel log for all the mounts, on first need.
        let mut klog: Option<Result<Vec<String>, DoorError>> = None;
        for want in &self.mounts {
            // Looked up where the kernel's path walk ends, as mount(8) mounted it: a
            // configured /data that is a link to /srv/data is the mount at /srv/data.
            let (real, link) = resolved(cx.target, &want.path);
            evidence.extend(link);
            let shown = if real == want.path {
                want.path.display().to_string()
            } else {
                format!("{} -> {}", want.path.display(), real.display())
            };
            let Some(m) = table.at(&real) else {
                match fstab.lists(&want.path).or_else(|| fstab.lists(&real)) {
                    Some(line) => {
                        problems.push(format!("{shown} is not mounted"));
                        evidence.push(format!(
                            "{}: {line} (listed, not noauto, yet not mounted)",
                            self.fstab.display()
                        ));
                    }
                    None if want.required => {
                        problems.push(format!("{shown} is not mounted"));
                        evidence.push(format!("{}: no entry for {shown}", table.path.display()));
                    }
                    None => evidence.push(format!(
                        "{shown}: not mounted and {}: not configured on this box",
                        fstab.describe_absent(&self.fstab)
                    )),
                }
                continue;
            };
            judged.push(shown.to_string());
            evidence.push(format!(
                "{}: {shown} is {}, options {}, superblock {}",
                table.path.display(),
                m.describe(),
                m.options.join(","),
                m.super_options.join(",")
            ));
            problems.extend(option_problems(m, &want.options));
            if matches!(m.fs_type.as_str(), "ext2" | "ext3" | "ext4") {
                let name = block_name(cx.target, m);
                let counted = ext4_errors(cx.target, &name);
                let sysfs_counted = counted.is_ok();
                match counted {
                    Ok(record) if record.count == 0 => evidence.extend(record.evidence),
                    Ok(record) => {
                        problems.push(format!(
                            "{shown} has {} recorded filesystem error{} ({})",
                            record.count,
                            if record.count == 1 { "" } else { "s" },
                            record.describe()
                        ));
                        evidence.extend(record.evidence);
                    }
                    Err(why) => evidence.push(why),
                }
                let found = ext_damage(cx, m, &name, sysfs_counted, &mut klog);
                problems.extend(found.problems.into_iter().map(|p| format!("{shown}: {p}")));
                evidence.extend(found.evidence);
            }
            if let Ok(live) = cx.target.kernel() {
                match live.space(&real) {
                    Ok(s) => {
                        evidence.push(format!(
                            "statfs {shown}: {} of {} bytes free, {} of {} inodes free",
                            s.free_bytes, s.total_bytes, s.free_inodes, s.total_inodes
                        ));
                        if s.free_bytes < self.min_free_bytes {
                            problems.push(format!(
                                "{shown} has {} free (needs {})",
                                crate::model::human_bytes(s.free_bytes),
                                crate::model::human_bytes(self.min_free_bytes)
                            ));
                        }
                        // btrfs and some network filesystems report no inode count at all.
                        if s.total_inodes > 0 && s.free_inodes < self.min_free_inodes {
                            problems.push(format!(
                                "{shown} has {} free inodes (needs {})",
                                s.free_inodes, self.min_free_inodes
                            ));
                        }
                    }
                    Err(e) => problems.push(format!("statfs {shown}: {e}")),
                }
            }
        }
        if let Some(first) = problems.first() {
            let more = match problems.len() {
                1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            };
            return Outcome::fail(format!("{first}{more}"))
                .with_all(problems.iter().skip(1).cloned())
                .with_all(evidence);
        }
        if judged.is_empty() {
            return Outcome::skip("none of the filesystems it looks at is configured on this box")
                .with_all(evidence);
        }
        Outcome::pass(format!(
            "{}: mounted as configured, no recorded errors, room left",
            judged.join(", ")
        ))
        .with_all(evidence)
    }
}

/// `path` with every link followed inside the box's root, and a line of evidence when
/// that changed it or could not be done. A path that does not exist is looked up as it
/// is (nothing is mounted there); a captured /proc's paths are not looked up here at all.
fn resolved(target: &Target, path: &Path) -> (PathBuf, Option<String>) {
    if !target.has_box_files() {
        return (path.to_path_buf(), None);
    }
    match target.root.resolve(path, true) {
        Ok(real) if real == path => (real, None),
        Ok(real) => {
            let line = format!("{}: a link, resolved to {}", path.display(), real.display());
            (real, Some(line))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (path.to_path_buf(), None),
        Err(e) => (
            path.to_path_buf(),
            Some(format!("{}: cannot resolve: {e}", path.display())),
        ),
    }
}

/// What the expected options say that the mount does not do.
fn option_problems(m: &MountEntry, expected: &[String]) -> Vec<String> {
    let shown = m.mount_point.display();
    let super_ro = m
        .super_options
        .iter()
        .any(|o| o == "ro" || o == "emergency_ro");
    let mount_ro = m.options.iter().any(|o| o == "ro");
    let mut out = Vec::new();
    for opt in expected {
        match opt.as_str() {
            "rw" if m.read_only => {
                let why = if super_ro && !mount_ro {
                    if m.super_options.iter().any(|o| o == "errors=remount-ro") {
                        ": the superblock is read-only while the mount says rw, the kernel's errors=remount-ro fallback after a filesystem error"
                    } else {
                        ": the superblock is read-only while the mount says rw"
                    }
                } else {
                    ""
                };
                out.push(format!("{shown}: rw expected, found ro{why}"));
            }
            "ro" if !m.read_only => out.push(format!("{shown}: ro expected, found rw")),
            "rw" | "ro" => {}
            other if !m.options.iter().chain(&m.super_options).any(|o| o == other) => {
                out.push(format!("{shown}: option {other} expected, not in effect"));
            }
            _ => {}
        }
    }
    out
}

/// ext2/3/4's error record for a mount, from `/sys/fs/ext4/DEV/`.
struct ErrorRecord {
    count: u64,
    first: Option<String>,
    last: Option<String>,
    evidence: Vec<String>,
}

impl ErrorRecord {
    fn describe(&self) -> String {
        match (&self.first, &self.last) {
            (Some(f), Some(l)) if f != l => format!("first {f}; last {l}"),
            (Some(f), _) => format!("first {f}"),
            (None, Some(l)) => format!("last {l}"),
            (None, None) => "no time recorded".into(),
        }
    }
}

/// The record (a count of 0 when clean); Err with a line of evidence when it cannot be
/// found (an old kernel, a captured bundle without it).
fn ext4_errors(target: &Target, name: &str) -> Result<ErrorRecord, String> {
    let rel = format!("fs/ext4/{name}");
    let dir = target
        .sys_path(&rel)
        .map_err(|e| format!("no ext4 error record for {name}: {e}"))?;
    let read = |file: &str| -> Option<String> {
        target
            .sys_text(&format!("{rel}/{file}"), 4096)
            .ok()
            .map(|s| s.trim().to_string())
    };
    let count_path = dir.join("errors_count");
    let count = match target.sys_text(&format!("{rel}/errors_count"), 64) {
        Ok(text) => text.trim().parse::<u64>().map_err(|_| {
            format!(
                "{}: {:?} is not a count; error record not judged",
                count_path.display(),
                text.trim()
            )
        })?,
        Err(e) => return Err(format!("no ext4 error record for {name}: {e}")),
    };
    let mut evidence = vec![format!("{}: {count}", count_path.display())];
    if count == 0 {
        return Ok(ErrorRecord {
            count,
            first: None,
            last: None,
            evidence,
        });
    }
    let mut when = |which: &str| -> Option<String> {
        let time: i64 = read(&format!("{which}_error_time"))?.parse().ok()?;
        if time == 0 {
            return None;
        }
        let mut text = clock::format_utc(time);
        if let Some(func) = read(&format!("{which}_error_func")).filter(|f| !f.is_empty()) {
            text.push_str(&format!(" in {func}"));
            if let Some(line) = read(&format!("{which}_error_line")).filter(|l| l != "0") {
                text.push_str(&format!(":{line}"));
            }
        }
        for (file, label) in [("ino", "inode"), ("block", "block")] {
            if let Some(v) = read(&format!("{which}_error_{file}")).filter(|v| v != "0") {
                text.push_str(&format!(", {label} {v}"));
            }
        }
        evidence.push(format!("{}/{which}_error_*: {text}", dir.display()));
        Some(text)
    };
    let first = when("first");
    let last = when("last");
    Ok(ErrorRecord {
        count,
        first,
        last,
        evidence,
    })
}

/// Problems and evidence found beyond the error record.
#[derive(Default)]
struct Found {
    problems: Vec<String>,
    evidence: Vec<String>,
}

/// At most this many kernel log lines are quoted per filesystem (ext4 rate-limits its
/// error lines, 10 in 5 s, but a long-running box can hold many).
const QUOTED_LINES: usize = 6;

/// The superblock's state and journal flags (one read of the block device) and the
/// kernel log's lines about the device since it was last unmounted (see `ext`). Only on
/// the running system or its bundle: a capture holds neither.
fn ext_damage(
    cx: &Context,
    m: &MountEntry,
    name: &str,
    sysfs_counted: bool,
    klog: &mut Option<Result<Vec<String>, DoorError>>,
) -> Found {
    use crate::model::text::visible;
    let mut found = Found::default();
    let live = match cx.target.kernel() {
        Ok(live) => live,
        Err(why) => {
            found
                .evidence
                .push(format!("superblock and kernel log not read: {why}"));
            return found;
        }
    };
    // The device by the kernel's own name first (devtmpfs makes /dev/NAME), then by
    // the mount's source; either must be the mount's device number to be read.
    let mut paths = vec![PathBuf::from(format!("/dev/{}", name.replace('!', "/")))];
    if m.source.starts_with("/dev/") && Path::new(&m.source) != paths[0] {
        paths.push(PathBuf::from(&m.source));
    }
    let device = format!("{} ({})", m.source, m.majmin);
    let how = ext::MountState {
        read_only: m
            .super_options
            .iter()
            .any(|o| o == "ro" || o == "emergency_ro"),
        emergency: m.super_options.iter().any(|o| o == "emergency_ro"),
    };
    let mut read = None;
    match live.superblock(&m.majmin, &paths) {
        Ok(bytes) => match ext::Superblock::parse(&bytes) {
            Ok(sb) => {
                found
                    .evidence
                    .push(format!("{device} superblock: {}", sb.describe()));
                let (problems, note) = ext::judge_superblock(&sb, how);
                found.problems.extend(problems);
                found.evidence.extend(note);
                if !sysfs_counted && sb.error_count > 0 {
                    found.problems.push(format!(
                        "{} recorded filesystem error{} (superblock's error count)",
                        sb.error_count,
                        if sb.error_count == 1 { "" } else { "s" }
                    ));
                }
                read = Some(sb);
            }
            Err(e) => found
                .evidence
                .push(format!("{device} superblock not judged: {e}")),
        },
        Err(e) => found
            .evidence
            .push(format!("{device} superblock not read: {e}")),
    }
    match klog.get_or_insert_with(|| live.kernel_log(ext::KLOG_NEEDLES)) {
        Ok(lines) => {
            let log = ext::judge_kernel_log(lines, name, read.as_ref(), how);
            if let Some(first) = log.damage.first() {
                found
                    .problems
                    .push(format!("the kernel logged: {}", visible(first, false)));
            }
            let said = |prefix: &str, l: &String| format!("{prefix}{}", visible(l, false));
            let all: Vec<String> = (log.damage.iter().skip(1).map(|l| said("kernel log: ", l)))
                .chain(log.quoted.iter().map(|l| said("kernel log: ", l)))
                .chain(log.earlier.iter().map(|l| {
                    said(
                        "kernel log, an earlier mount's (the superblock no longer shows it): ",
                        l,
                    )
                }))
                .collect();
            found
                .evidence
                .extend(all.iter().take(QUOTED_LINES).cloned());
            if all.len() > QUOTED_LINES {
                found.evidence.push(format!(
                    "kernel log: {} more lines about {name}",
                    all.len() - QUOTED_LINES
                ));
            }
            if log.damage.is_empty() && all.is_empty() {
                found.evidence.push(format!(
                    "kernel log: no damage reported for {name} since it was last unmounted"
                ));
            }
        }
        Err(e) => found.evidence.push(format!("kernel log not read: {e}")),
    }
    found
}

/// The kernel's name for a mount's block device (`vda1`, `dm-0`, `loop0`): the target of
/// /sys/dev/block/MAJ:MIN, else the last part of the mount's source.
fn block_name(target: &Target, m: &MountEntry) -> String {
    target
        .sys_link(&format!("dev/block/{}", m.majmin))
        .ok()
        .and_then(|l| l.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| {
            Path::new(&m.source)
                .file_name()
                .map_or_else(|| m.source.clone(), |n| n.to_string_lossy().into_owned())
        })
}

/// Free space for unprivileged users (f_bavail), which is what the HA daemons get.
enum Fstab {
    /// The mount points fstab mounts at boot, with their lines.
    Read(Vec<(PathBuf, String)>),
    NotConsulted,
}

impl Fstab {
    fn lists(&self, path: &Path) -> Option<&str> {
        match self {
            Fstab::Read(entries) => entries
                .iter()
                .find(|(p, _)| p == path)
                .map(|(_, l)| l.as_str()),
            Fstab::NotConsulted => None,
        }
    }

    fn describe_absent(&self, fstab: &Path) -> String {
        match self {
            Fstab::Read(_) => format!("not in {}", fstab.display()),
            Fstab::NotConsulted => {
                format!("{} not consulted for a captured /proc", fstab.display())
            }
        }
    }
}

/// Mount points of fstab's entries that are mounted at boot (not `noauto`).
fn parse_fstab(text: &str) -> Vec<(PathBuf, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let point = f.get(1)?;
            let noauto = f
                .get(3)
                .is_some_and(|o| o.split(',').any(|o| o == "noauto"));
            (!noauto).then(|| (PathBuf::from(point.replace("\\040", " ")), line.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod run_tests;

#[cfg(test)]
mod tests {
    use super::*;

    fn mount(options: &str, super_options: &str) -> MountEntry {
        let split = |s: &str| s.split(',').map(str::to_string).collect::<Vec<_>>();
        let (options, super_options) = (split(options), split(super_options));
        MountEntry {
            id: 30,
            parent: 22,
            mount_point: "/data".into(),
            fs_type: "ext4".into(),
            source: "/dev/vdb1".into(),
            read_only: options.iter().chain(&super_options).any(|o| o == "ro"),
            options,
            super_options,
            majmin: "254:17".into(),
        }
    }

    #[test]
    fn a_remount_ro_fallback_is_named() {
        let m = mount("rw,relatime", "ro,errors=remount-ro");
        let p = option_problems(&m, &["rw".into()]);
        assert_eq!(p.len(), 1);
        assert!(p[0].starts_with("/data: rw expected, found ro"), "{p:?}");
        assert!(p[0].contains("errors=remount-ro fallback"), "{p:?}");
        let plain = option_problems(&mount("ro,relatime", "ro"), &["rw".into()]);
        assert_eq!(plain, ["/data: rw expected, found ro"]);
    }

    #[test]
    fn other_options_are_looked_up_in_both_lists() {
        let m = mount("rw,nosuid", "rw,errors=remount-ro");
        assert!(option_problems(&m, &["rw".into(), "nosuid".into()]).is_empty());
        assert!(option_problems(&m, &["errors=remount-ro".into()]).is_empty());
        assert_eq!(
            option_problems(&m, &["noexec".into(), "ro".into()]),
            [
                "/data: option noexec expected, not in effect",
                "/data: ro expected, found rw"
            ]
        );
    }

    #[test]
    fn fstab_entries_that_mount_at_boot() {
        let t = "# comment\n/dev/vda1 / ext4 errors=remount-ro 0 1\n\
                 LABEL=data /data ext4 defaults 0 2\n/dev/sr0 /media/cd iso9660 ro,noauto 0 0\n\
                 /dev/vdc /srv/my\\040disk ext4 defaults\n";
        let points: Vec<PathBuf> = parse_fstab(t).into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            points,
            [PathBuf::from("/"), "/data".into(), "/srv/my disk".into()]
        );
    }
}
