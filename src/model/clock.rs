//! Wall-clock times as people and files write them, without a date library: Unix seconds,
//! RFC 3339 (`2026-11-20T03:00:00Z`, `+01:00`), and the same with a space for the `T`.
//! Used by sync-age (a timestamp inside a file) and fs-errors (ext4's error times).

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the epoch, now; a clock before 1970 reads as 0.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Seconds since the epoch, now, with the fraction (for metrics' timestamps).
pub fn now_f64() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// `2026-11-20 03:00:00 UTC`.
pub fn format_utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Parses a timestamp: Unix seconds (fraction dropped), or
/// `YYYY-MM-DD[T ]HH:MM:SS[.frac][Z|±HH:MM]`. Without a zone the time is taken as UTC,
/// which the caller should say in its evidence.
pub fn parse(text: &str) -> Result<Timestamp, String> {
    let t = text.trim();
    let whole = t.split_once('.').map_or(t, |(w, f)| {
        if f.bytes().all(|b| b.is_ascii_digit()) {
            w
        } else {
            t
        }
    });
    if !whole.is_empty() && whole.bytes().all(|b| b.is_ascii_digit()) {
        let secs = whole
            .parse::<i64>()
            .map_err(|_| format!("{t:?} is too large for a Unix time"))?;
        return Ok(Timestamp { secs, zoned: true });
    }
    let bad = || format!("{t:?} is neither Unix seconds nor a date like 2026-11-20T03:00:00Z");
    let b = t.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return Err(bad());
    }
    if b[13] != b':' || b[16] != b':' {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Result<i64, String> {
        let s = t.get(r).ok_or_else(bad)?;
        if s.bytes().all(|c| c.is_ascii_digit()) {
            s.parse().map_err(|_| bad())
        } else {
            Err(bad())
        }
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=days_in_month(y, mo)).contains(&d) {
        return Err(format!("{t:?}: no such date"));
    }
    if h > 23 || mi > 59 || s > 60 {
        return Err(format!("{t:?}: no such time of day"));
    }
    let mut rest = &t[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        rest = &frac[digits..];
    }
    let (offset, zoned) = match rest {
        "" => (0, false),
        "Z" | "z" => (0, true),
        zone => {
            let zb = zone.as_bytes();
            let sign = match zb.first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return Err(bad()),
            };
            if zb.len() != 6 || zb[3] != b':' {
                return Err(bad());
            }
            let zh: i64 = zone[1..3].parse().map_err(|_| bad())?;
            let zm: i64 = zone[4..6].parse().map_err(|_| bad())?;
            (sign * (zh * 3600 + zm * 60), true)
        }
    };
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s - offset;
    Ok(Timestamp { secs, zoned })
}

/// A parsed point in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    pub secs: i64,
    /// False when the text named no zone and UTC was assumed.
    pub zoned: bool,
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_forms_files_hold() {
        let at = |t: &str| parse(t).map(|ts| ts.secs);
        assert_eq!(at("1700000000"), Ok(1_700_000_000));
        assert_eq!(at("1700000000.25\n"), Ok(1_700_000_000));
        assert_eq!(at("2023-11-14T22:13:20Z"), Ok(1_700_000_000));
        assert_eq!(at("2023-11-14T23:13:20+01:00"), Ok(1_700_000_000));
        assert_eq!(at("2023-11-14 22:13:20.5Z"), Ok(1_700_000_000));
        assert_eq!(at("2024-02-29T00:00:00Z"), Ok(1_709_164_800));
        assert!(!parse("2023-11-14 22:13:20").unwrap().zoned);
    }

    #[test]
    fn refuses_what_is_not_a_time() {
        for bad in [
            "",
            "yesterday",
            "2023-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2023-11-14T22:13:20+1",
            "2023-11-14T25:00:00Z",
            "2023-11-14T22:13:20.Z",
            "99999999999999999999999",
            "2023-11-14T22:13:2",
            "２０２３-11-14T22:13:20Z",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn formats_what_it_parses() {
        assert_eq!(format_utc(1_700_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(format_utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_utc(-1), "1969-12-31 23:59:59 UTC");
        for secs in [0, 951_782_400, 1_709_164_800, 4_102_444_800] {
            assert_eq!(
                parse(&format_utc(secs).replace(" UTC", "Z")).unwrap().secs,
                secs
            );
        }
    }
}
