//! The kernel's log, read with syslog(2) SYSLOG_ACTION_READ_ALL (klogctl): no device is
//! opened (not /dev/kmsg), nothing is consumed (other readers see the same log), and the
//! call does not wait: it copies what the ring holds, newest last, into a buffer whose
//! size we choose, so the read is bounded by [`MAX_KLOG_BYTES`] (a ring larger than
//! that gives its newest part). It needs CAP_SYSLOG when kernel.dmesg_restrict is 1;
//! without it the error says so.

use nix::errno::Errno;

/// The most of the ring that is read: the default ring is 128 KiB to 1 MiB
/// (CONFIG_LOG_BUF_SHIFT); a boot's filesystem lines are near its start, and a ring
/// this large still holds them.
pub const MAX_KLOG_BYTES: usize = 4 << 20;

const SYSLOG_ACTION_READ_ALL: i32 = 3;
const SYSLOG_ACTION_SIZE_BUFFER: i32 = 10;

/// The log's lines that contain one of `needles`, without their `<level>` prefix (the
/// `[seconds]` stamp stays, as dmesg shows it).
pub fn lines_with(needles: &[&str]) -> Result<Vec<String>, Errno> {
    let text = read_all(MAX_KLOG_BYTES)?;
    Ok(text
        .lines()
        .filter(|l| needles.iter().any(|n| l.contains(n)))
        .map(|l| strip_level(l).to_string())
        .collect())
}

fn read_all(max: usize) -> Result<String, Errno> {
    use nix::libc::{c_char, c_int, klogctl};
    // SAFETY: SIZE_BUFFER takes no buffer.
    let size = unsafe { klogctl(SYSLOG_ACTION_SIZE_BUFFER, std::ptr::null_mut(), 0) };
    if size < 0 {
        return Err(Errno::last());
    }
    let len = (size as usize).min(max);
    let mut buf = vec![0u8; len];
    let len = c_int::try_from(len).unwrap_or(c_int::MAX);
    // SAFETY: the buffer is `len` bytes long and lives across the call, which writes at
    // most `len` bytes into it.
    let n = unsafe { klogctl(SYSLOG_ACTION_READ_ALL, buf.as_mut_ptr() as *mut c_char, len) };
    if n < 0 {
        return Err(Errno::last());
    }
    buf.truncate(n as usize);
    // Valid UTF-8 (the usual case) is taken as it is, without a second copy of the ring.
    Ok(String::from_utf8(buf)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// "<3>[ 12.5] EXT4-fs ..." -> "[ 12.5] EXT4-fs ...".
fn strip_level(line: &str) -> &str {
    line.strip_prefix('<')
        .and_then(|rest| rest.split_once('>'))
        .filter(|(level, _)| !level.is_empty() && level.bytes().all(|b| b.is_ascii_digit()))
        .map_or(line, |(_, rest)| rest)
}

#[cfg(test)]
mod tests {
    use super::strip_level;

    #[test]
    fn the_level_goes_and_the_stamp_stays() {
        assert_eq!(
            strip_level("<2>[ 9530.450222] EXT4-fs error (device loop0): x"),
            "[ 9530.450222] EXT4-fs error (device loop0): x"
        );
        assert_eq!(strip_level("<x>text"), "<x>text");
        assert_eq!(strip_level("plain"), "plain");
    }
}
