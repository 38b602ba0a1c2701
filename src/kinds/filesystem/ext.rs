//! ext2/3/4 damage beyond the error count: the superblock's state and journal flags
//! (one read of the block device, `world::block`), and what the kernel logged about the
//! device since it was last unmounted (`world::klog`). Parsing and deciding only; the
//! words of each verdict are here too, the evidence is quoted as read.
//!
//! The superblock (fs/ext4/ext4.h, `struct ext4_super_block`; e2fsprogs
//! lib/ext2fs/ext2_fs.h): `s_magic` 0xEF53 at 0x38, `s_state` at 0x3A (EXT4_VALID_FS
//! 0x1 "unmounted cleanly", EXT4_ERROR_FS 0x2 "errors detected"),
//! `s_feature_compat` at 0x5C (HAS_JOURNAL 0x4), `s_feature_incompat` at 0x60 (RECOVER
//! 0x4, "needs_recovery"), `s_uuid` at 0x68, `s_error_count` at 0x194.
//!
//! What each means on a mounted filesystem, as the kernel keeps it (fs/ext4/super.c):
//! - ERROR_FS: an error was found and fsck has not cleared it. Damage, always.
//! - VALID_FS missing: the filesystem was mounted without having been checked after an
//!   unclean state ("not clean"). Damage on a journaled filesystem, where the kernel
//!   never clears the bit, and on a read-only mount, where it writes nothing. Not on a
//!   journal-less one mounted read-write: ext4_setup_super clears the bit on disk for
//!   as long as such a filesystem is mounted, so "not clean" is its normal state there.
//! - RECOVER: the journal holds transactions not yet written home. Normal while a
//!   journaled filesystem is mounted read-write (the kernel sets it when it loads the
//!   journal). On a read-only mount it means the journal was not replayed (`noload`,
//!   `norecovery`): what is read is not what was written. A filesystem fallen to
//!   read-only after an error (`emergency_ro`) keeps it too; ERROR_FS says that one.
//!
//! The kernel log: ext4 names the device as `EXT4-fs (DEV): ...`, `EXT4-fs error
//! (device DEV): ...` and `EXT4-fs warning (device DEV): ...` (EXT2-fs, EXT3-fs for the
//! old drivers), DEV being the kernel's name of the block device (`loop3`, `vda1`,
//! `dm-0`, a `/` in it written `!`). Only lines since the device was last unmounted
//! ("unmounting filesystem", as this machine's Linux 6.18 prints it) count: an earlier mount of
//! the same device may have been repaired since. Lines of a mount attempt that failed
//! just before this mount do count (nothing the kernel logs tells fsck ran in between).
//! Old kernels' lines that name no device ("EXT3-fs: recovery required on readonly file
//! system", as in seed 002) cannot be told apart by filesystem and are not judged.

/// Messages that say the filesystem is damaged or was mounted without being checked;
/// the strings of fs/ext4/super.c (Linux 6.18), as printed after "EXT4-fs (DEV): ".
const DAMAGE: &[&str] = &[
    // ext4_handle_error with errors=remount-ro
    "Remounting filesystem read-only",
    // ext4_setup_super: mounted read-write while not VALID_FS, or with ERROR_FS
    "mounting unchecked fs",
    "mounting fs with errors",
    // print_daily_error_info, every day (and 5 minutes after a mount) while errors
    // are recorded
    "error count since last fsck",
    // ext4_clear_journal_err: the journal carried an error from the last mount
    "Filesystem error recorded from previous mount",
    "Marking fs in need of filesystem check",
    // ext4_load_journal on a read-only device that needs recovery
    "write access unavailable, cannot proceed",
    // a journal aborted under the filesystem
    "Detected aborted journal",
];

/// ext4_load_journal on a read-only mount that needs recovery; followed by "recovery
/// complete" when the journal was replayed, which is the journal doing its job after
/// an unclean shutdown (quoted, not failed: a power cut of both nodes must not keep HA
/// down on both).
const RECOVERY_REQUIRED: &str = "recovery required on readonly filesystem";
const RECOVERY_COMPLETE: &str = "recovery complete";
const UNMOUNTED: &str = "unmounting filesystem";
const MOUNTED: &str = "mounted filesystem ";
const WRITE_UNAVAILABLE: &str = "write access unavailable, cannot proceed";

/// The kernel-log prefixes asked for: the drivers' names.
pub const KLOG_NEEDLES: &[&str] = &["EXT2-fs", "EXT3-fs", "EXT4-fs"];

const VALID_FS: u16 = 0x1;
const ERROR_FS: u16 = 0x2;
const COMPAT_HAS_JOURNAL: u32 = 0x4;
const INCOMPAT_RECOVER: u32 = 0x4;
const EXT4_SUPER_MAGIC: u16 = 0xEF53;

/// The fields of a superblock this check reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Superblock {
    pub state: u16,
    pub compat: u32,
    pub incompat: u32,
    pub uuid: [u8; 16],
    pub error_count: u32,
}

impl Superblock {
    /// Decodes the 1024 bytes at byte 1024 of the device.
    pub fn parse(bytes: &[u8]) -> Result<Superblock, String> {
        let u16_at = |o: usize| {
            bytes
                .get(o..o + 2)
                .map(|b| u16::from_le_bytes([b[0], b[1]]))
        };
        let u32_at = |o: usize| {
            bytes
                .get(o..o + 4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        };
        let short = || format!("{} bytes, too short for a superblock", bytes.len());
        let magic = u16_at(0x38).ok_or_else(short)?;
        if magic != EXT4_SUPER_MAGIC {
            return Err(format!("magic {magic:#06x}, not ext2/3/4's 0xef53"));
        }
        let mut uuid = [0u8; 16];
        uuid.copy_from_slice(bytes.get(0x68..0x78).ok_or_else(short)?);
        Ok(Superblock {
            state: u16_at(0x3A).ok_or_else(short)?,
            compat: u32_at(0x5C).ok_or_else(short)?,
            incompat: u32_at(0x60).ok_or_else(short)?,
            uuid,
            error_count: u32_at(0x194).ok_or_else(short)?,
        })
    }

    /// The state as dumpe2fs words it (e2fsprogs lib/e2p/ps.c, print_fs_state).
    pub fn state_words(&self) -> String {
        let mut s = String::from(if self.state & VALID_FS != 0 {
            "clean"
        } else {
            "not clean"
        });
        if self.state & ERROR_FS != 0 {
            s.push_str(" with errors");
        }
        s
    }

    pub fn has_journal(&self) -> bool {
        self.compat & COMPAT_HAS_JOURNAL != 0
    }

    pub fn needs_recovery(&self) -> bool {
        self.incompat & INCOMPAT_RECOVER != 0
    }

    /// "superblock state clean, has_journal, needs_recovery, 0 errors, uuid ...".
    pub fn describe(&self) -> String {
        let mut s = format!("state {}", self.state_words());
        if self.has_journal() {
            s.push_str(", has_journal");
        }
        if self.needs_recovery() {
            s.push_str(", needs_recovery");
        }
        s.push_str(&format!(
            ", error count {}, uuid {}",
            self.error_count,
            self.uuid_text()
        ));
        s
    }

    /// The UUID as the kernel prints it (%pU): 8-4-4-4-12 lowercase hex.
    pub fn uuid_text(&self) -> String {
        let mut s = String::with_capacity(36);
        for (i, b) in self.uuid.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                s.push('-');
            }
            s.push_str(&format!("{b:02x}"));
        }
        s
    }
}

/// How the superblock is mounted, for judging its flags.
#[derive(Debug, Clone, Copy)]
pub struct MountState {
    /// The superblock is read-only (`ro` or `emergency_ro` in its options).
    pub read_only: bool,
    /// Fallen to read-only after an error (`emergency_ro`, Linux 6.15 and later).
    pub emergency: bool,
}

/// What the superblock says is wrong, each as a problem; and a note for a state that
/// looks wrong and is not.
pub fn judge_superblock(sb: &Superblock, how: MountState) -> (Vec<String>, Option<String>) {
    let mut problems = Vec::new();
    let mut note = None;
    if sb.state & ERROR_FS != 0 {
        problems.push(format!(
            "superblock state \"{}\": the kernel found errors, and no fsck has cleared them",
            sb.state_words()
        ));
    }
    if sb.state & VALID_FS == 0 {
        if sb.has_journal() || how.read_only {
            problems.push(
                "superblock state \"not clean\": mounted without the check an unclean state needs (fsck)"
                    .to_string(),
            );
        } else {
            note = Some(
                "\"not clean\" is normal while a filesystem without a journal is mounted read-write"
                    .to_string(),
            );
        }
    }
    if sb.needs_recovery() && sb.has_journal() && how.read_only && !how.emergency {
        problems.push(
            "the journal needs recovery (needs_recovery) and was not replayed: mounted read-only without it, what is read is not what was written"
                .to_string(),
        );
    }
    (problems, note)
}

/// One line of the kernel log about a device: its text after the stamp, split into the
/// device and the message.
fn about<'a>(line: &'a str, dev: &str) -> Option<&'a str> {
    let text = match line.strip_prefix('[') {
        Some(rest) => rest.split_once("] ").map_or(line, |(_, t)| t),
        None => line,
    };
    let rest = ["EXT4-fs", "EXT3-fs", "EXT2-fs"]
        .iter()
        .find_map(|p| text.strip_prefix(p))?;
    let (named, message) = if let Some(r) = rest.strip_prefix(" (") {
        r.split_once("): ")?
    } else {
        let r = rest
            .strip_prefix(" error (device ")
            .or_else(|| rest.strip_prefix(" warning (device "))?;
        let (d, m) = r.split_once(')')?;
        (d, m.trim_start_matches(':').trim_start())
    };
    (named == dev).then_some(message)
}

/// What a damage line says the superblock must show if the line is this mount's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Implies {
    /// An error recorded: ERROR_FS or an error count (the kernel writes both, except on
    /// a read-only device).
    Errors,
    /// Mounted unchecked: VALID_FS missing, which only a journaled filesystem keeps so.
    Unchecked,
    /// A journal left unreplayed: needs_recovery.
    Unreplayed,
}

fn implies(line: &str, message: &str) -> Option<Implies> {
    if line.contains("-fs error (device ") {
        return Some(Implies::Errors);
    }
    if message.contains("mounting unchecked fs") {
        return Some(Implies::Unchecked);
    }
    if message.contains(WRITE_UNAVAILABLE) || message.contains(RECOVERY_REQUIRED) {
        return Some(Implies::Unreplayed);
    }
    DAMAGE
        .iter()
        .any(|d| message.contains(d))
        .then_some(Implies::Errors)
}

/// Whether the filesystem as mounted now can be what the line says. A journal left
/// unreplayed can only be a read-only mount's (a read-write mount replays it, and a
/// healthy one keeps needs_recovery set while it runs).
fn consistent(sb: Option<&Superblock>, how: MountState, what: Implies) -> bool {
    if what == Implies::Unreplayed && !how.read_only {
        return false;
    }
    let Some(sb) = sb else { return true };
    match what {
        Implies::Errors => sb.state & ERROR_FS != 0 || sb.error_count > 0,
        Implies::Unchecked => !sb.has_journal() || sb.state & VALID_FS == 0,
        Implies::Unreplayed => sb.needs_recovery(),
    }
}

/// The kernel log's lines about one device, sorted by what they mean now.
#[derive(Debug, Default)]
pub struct KernelLog {
    /// Lines that say this mount is damaged.
    pub damage: Vec<String>,
    /// Damage lines the superblock no longer shows: an earlier mount's, since repaired
    /// (its "unmounting filesystem" line can be missing: the kernel rate-limits it).
    pub earlier: Vec<String>,
    /// Lines worth quoting that are no damage: a journal replayed after a crash.
    pub quoted: Vec<String>,
}

/// What the kernel logged about device `dev` since it was last unmounted. With the
/// superblock read (`sb`), a damage line counts only if the superblock still shows what
/// the line implies; without it, every damage line counts.
pub fn judge_kernel_log(
    lines: &[String],
    dev: &str,
    sb: Option<&Superblock>,
    how: MountState,
) -> KernelLog {
    let mine: Vec<(&str, &str)> = lines
        .iter()
        .filter_map(|l| about(l, dev).map(|m| (l.as_str(), m)))
        .collect();
    // Since the last unmount; or since another filesystem was mounted on the device
    // (its "mounted filesystem UUID" line names a UUID not this superblock's).
    let ours = sb.map(|sb| sb.uuid_text());
    let start = mine
        .iter()
        .rposition(|(_, m)| {
            m.starts_with(UNMOUNTED)
                || m.strip_prefix(MOUNTED)
                    .is_some_and(|rest| ours.as_deref().is_some_and(|u| !rest.starts_with(u)))
        })
        .map_or(0, |i| i + 1);
    let window = &mine[start..];
    let mut log = KernelLog::default();
    for (i, (line, message)) in window.iter().enumerate() {
        let replayed = || {
            window[i + 1..]
                .iter()
                .any(|(_, m)| m.starts_with(RECOVERY_COMPLETE))
        };
        if message.starts_with(RECOVERY_COMPLETE)
            || (message.contains(RECOVERY_REQUIRED) && replayed())
        {
            log.quoted.push(line.to_string());
            continue;
        }
        let Some(what) = implies(line, message) else {
            continue;
        };
        if consistent(sb, how, what) {
            log.damage.push(line.to_string());
        } else {
            log.earlier.push(line.to_string());
        }
    }
    log
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sb(state: u16, compat: u32, incompat: u32) -> Superblock {
        Superblock {
            state,
            compat,
            incompat,
            uuid: [0; 16],
            error_count: 0,
        }
    }

    const RW: MountState = MountState {
        read_only: false,
        emergency: false,
    };
    const RO: MountState = MountState {
        read_only: true,
        emergency: false,
    };

    #[test]
    fn a_superblock_is_read_at_its_offsets() {
        let mut b = vec![0u8; 1024];
        b[0x38..0x3A].copy_from_slice(&0xEF53u16.to_le_bytes());
        b[0x3A..0x3C].copy_from_slice(&3u16.to_le_bytes());
        b[0x5C..0x60].copy_from_slice(&0x3cu32.to_le_bytes());
        b[0x60..0x64].copy_from_slice(&0x2c6u32.to_le_bytes());
        b[0x194..0x198].copy_from_slice(&7u32.to_le_bytes());
        let s = Superblock::parse(&b).unwrap();
        assert_eq!((s.state, s.error_count), (3, 7));
        assert!(s.has_journal() && s.needs_recovery());
        assert_eq!(s.state_words(), "clean with errors");
        assert!(
            Superblock::parse(&b[..0x100])
                .unwrap_err()
                .contains("too short")
        );
        b[0x38] = 0;
        assert!(Superblock::parse(&b).unwrap_err().contains("not ext2/3/4"));
    }

    #[test]
    fn flags_are_judged_by_how_the_filesystem_is_mounted() {
        let journaled = COMPAT_HAS_JOURNAL;
        // Healthy ext4 mounted rw: needs_recovery is set while the journal is loaded.
        let (p, _) = judge_superblock(&sb(1, journaled, INCOMPAT_RECOVER), RW);
        assert!(p.is_empty(), "{p:?}");
        // The same on a read-only mount: the journal was not replayed (noload).
        let (p, _) = judge_superblock(&sb(1, journaled, INCOMPAT_RECOVER), RO);
        assert_eq!(p.len(), 1, "{p:?}");
        // ext2 mounted rw: not clean on disk while mounted, by design.
        let (p, note) = judge_superblock(&sb(0, 0, 0), RW);
        assert!(p.is_empty() && note.is_some(), "{p:?}");
        // Not clean on a journaled filesystem, or on a read-only mount: unchecked.
        assert_eq!(judge_superblock(&sb(0, journaled, 0), RW).0.len(), 1);
        assert_eq!(judge_superblock(&sb(0, 0, 0), RO).0.len(), 1);
        // Errors, always.
        let (p, _) = judge_superblock(&sb(3, journaled, 0), RW);
        assert!(p[0].contains("\"clean with errors\""), "{p:?}");
    }

    #[test]
    fn only_this_devices_lines_since_it_was_last_unmounted_count() {
        let lines: Vec<String> = [
            "[ 1.0] EXT4-fs error (device loop0): ext4_lookup:1855: inode #2: comm ls: old",
            "[ 1.1] EXT4-fs (loop0): unmounting filesystem 80fe01c4.",
            "[ 2.0] EXT4-fs (loop0): INFO: recovery required on readonly filesystem",
            "[ 2.0] EXT4-fs (loop0): write access will be enabled during recovery",
            "[ 2.1] EXT4-fs (loop0): recovery complete",
            "[ 2.1] EXT4-fs (loop0): mounted filesystem 80fe01c4 ro with ordered data mode.",
            "[ 2.2] EXT4-fs error (device loop1): htree_dirblock_to_tree:1051: other device",
            "[ 2.3] EXT4-fs (loop10): Remounting filesystem read-only",
        ]
        .map(String::from)
        .to_vec();
        let log = judge_kernel_log(&lines, "loop0", None, RO);
        assert!(log.damage.is_empty(), "{log:?}");
        assert_eq!(log.quoted.len(), 2, "{log:?}");
        let mut more = lines.clone();
        more.push(
            "[ 3.0] EXT4-fs (loop0): warning: mounting unchecked fs, running e2fsck is recommended"
                .into(),
        );
        assert_eq!(judge_kernel_log(&more, "loop0", None, RO).damage.len(), 1);
        let log = judge_kernel_log(&lines, "loop1", None, RO);
        assert!(log.damage[0].contains("other device"), "{log:?}");
        // Recovery required and never completed: the mount failed, or went on without it.
        let failed: Vec<String> = [
            "[ 4.0] EXT4-fs (vda1): INFO: recovery required on readonly filesystem",
            "[ 4.0] EXT4-fs (vda1): write access unavailable, cannot proceed (try mounting with noload)",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(judge_kernel_log(&failed, "vda1", None, RO).damage.len(), 2);
        // The superblock says the journal was replayed since: an earlier attempt's.
        let clean = sb(VALID_FS, COMPAT_HAS_JOURNAL, 0);
        let log = judge_kernel_log(&failed, "vda1", Some(&clean), RO);
        assert_eq!((log.damage.len(), log.earlier.len()), (0, 2), "{log:?}");
        let unreplayed = sb(VALID_FS, COMPAT_HAS_JOURNAL, INCOMPAT_RECOVER);
        assert_eq!(
            judge_kernel_log(&failed, "vda1", Some(&unreplayed), RO)
                .damage
                .len(),
            2
        );
        // A healthy read-write mount keeps needs_recovery set: an earlier failed attempt.
        let log = judge_kernel_log(&failed, "vda1", Some(&unreplayed), RW);
        assert_eq!(log.earlier.len(), 2, "{log:?}");
        // Another filesystem mounted on the device since: what came before is its own.
        let mut other = failed.clone();
        other.push("[ 5.0] EXT4-fs (vda1): mounted filesystem 00000000-0000-0000-0000-000000000001 ro with ordered data mode.".into());
        assert!(
            judge_kernel_log(&other, "vda1", Some(&unreplayed), RO)
                .damage
                .is_empty()
        );
        // An error line while the superblock shows no error: not this mount's.
        let log = judge_kernel_log(&lines, "loop1", Some(&clean), RW);
        assert_eq!(log.earlier.len(), 1, "{log:?}");
        let errors = sb(VALID_FS | ERROR_FS, COMPAT_HAS_JOURNAL, 0);
        assert_eq!(
            judge_kernel_log(&lines, "loop1", Some(&errors), RW)
                .damage
                .len(),
            1
        );
        // Unchecked on ext2 mounted rw: only the line can tell.
        let ext2 = sb(0, 0, 0);
        assert_eq!(
            judge_kernel_log(&more, "loop0", Some(&ext2), RW)
                .damage
                .len(),
            1
        );
        assert_eq!(
            judge_kernel_log(&more, "loop0", Some(&clean), RW)
                .earlier
                .len(),
            1
        );
    }
}
