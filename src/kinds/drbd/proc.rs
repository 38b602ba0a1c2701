//! /proc/drbd as DRBD 8.0 to 8.4 print it (and 9.x, which prints only its version, or
//! 8.4-style lines for resources in 9.3's compatibility mode).
//!
//! ```text
//! version: 8.4.2 (api:1/proto:86-101)
//! GIT-hash: 7ad5f850... build by root@example.com, 2013-04-10 07:45:25
//!  0: cs:SyncTarget ro:Secondary/Primary ds:Inconsistent/UpToDate C r-----
//!     ns:0 nr:460288 dw:460160 dr:0 al:0 bm:28 lo:2 pe:4 ua:1 ap:0 ep:1 wo:f oos:588416
//! \t[=======>............] sync'ed: 44.4% (588416/1048576)K
//! \tfinish: 0:00:08 speed: 65,736 (65,736) want: 61,440 K/sec
//!  1: cs:Unconfigured
//! ```
//!
//! Fields are split on whitespace (the protocol letter is a space when there is no
//! network config, and the I/O flags have 4 to 6 characters depending on the version).
//! 8.0/8.2 say `st:` where 8.3+ say `ro:`. State words are kept as written: judging
//! decides what an unknown one means.

use super::{ParseError, Progress, Volume, parse_error};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProcDrbd {
    /// "8.4.2", "9.2.9".
    pub version: String,
    pub major: u32,
    /// Configured minors.
    pub volumes: Vec<Volume>,
    /// Minors that exist but are not configured (`cs:Unconfigured`).
    pub unconfigured: Vec<u32>,
}

pub fn parse(text: &str) -> Result<ProcDrbd, ParseError> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    let (_, first) = lines
        .next()
        .ok_or_else(|| parse_error(1, "empty: no version line"))?;
    let version = first
        .strip_prefix("version: ")
        .and_then(|v| v.split_whitespace().next())
        .ok_or_else(|| {
            parse_error(
                1,
                format!("not a /proc/drbd version line: {:?}", cut(first)),
            )
        })?;
    let major: u32 = version
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .filter(|m| (8..=9).contains(m))
        .ok_or_else(|| parse_error(1, format!("unsupported DRBD version {version:?}")))?;
    let mut out = ProcDrbd {
        version: version.to_string(),
        major,
        ..ProcDrbd::default()
    };
    let mut current: Option<Volume> = None;
    for (n, line) in lines {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if let Some((minor, rest)) = minor_line(trimmed) {
            if let Some(v) = current.take() {
                out.volumes.push(v);
            }
            let minor: u32 = minor
                .parse()
                .map_err(|_| parse_error(n, format!("minor number {minor:?} out of range")))?;
            if rest.trim() == "cs:Unconfigured" {
                out.unconfigured.push(minor);
            } else {
                current = Some(parse_minor(n, minor, rest, trimmed)?);
            }
            continue;
        }
        let Some(v) = current.as_mut() else {
            // Before the first minor: the build tag (GIT-hash, srcversion, built-in, SVN
            // Revision), DRBD 9's Transports line, or a build tag's wrapped remainder.
            continue;
        };
        if trimmed.starts_with("ns:") {
            v.oos = field(trimmed, "oos:").and_then(|o| o.parse().ok());
        } else if trimmed.contains("sync'ed:")
            || trimmed.contains("verified:")
            || trimmed.starts_with("finish:")
        {
            // 8.4.3 glues "finish:" onto the progress line when sizes are in M.
            let p = v.progress.get_or_insert_with(Progress::default);
            if let Some(pos) = trimmed
                .find("sync'ed:")
                .or_else(|| trimmed.find("verified:"))
            {
                p.percent = trimmed[pos..]
                    .split_once(':')
                    .and_then(|(_, r)| r.trim_start().split('%').next())
                    .and_then(|pct| pct.trim().parse::<f64>().ok())
                    .ok_or_else(|| {
                        parse_error(n, format!("unreadable progress: {:?}", cut(trimmed)))
                    })?;
            }
            if let Some(pos) = trimmed.find("finish:") {
                p.eta = trimmed[pos + "finish:".len()..]
                    .split_whitespace()
                    .next()
                    .and_then(hms)
                    .map_or(super::Eta::NotGiven, super::Eta::Seconds);
                p.stalled |= trimmed.contains("stalled");
            }
            v.quote.push_str(&format!(" | {trimmed}"));
        } else if trimmed == "stalled" {
            v.progress.get_or_insert_with(Progress::default).stalled = true;
        } else if [
            "resync:",
            "act_log:",
            "delay_probe:",
            "queue_delay:",
            "[",
            "sector pos:",
            "bm_",
            "al_",
        ]
        .iter()
        .any(|p| trimmed.starts_with(p))
        {
            // 8.0/8.2's always-on details, 8.3.8's probe lines, proc_details output.
        } else {
            return Err(parse_error(
                n,
                format!(
                    "unrecognised line in minor {}: {:?}",
                    v.minor.unwrap_or(0),
                    cut(trimmed)
                ),
            ));
        }
    }
    if let Some(v) = current.take() {
        out.volumes.push(v);
    }
    Ok(out)
}

/// `N: rest` where N is a minor number.
fn minor_line(line: &str) -> Option<(&str, &str)> {
    let (num, rest) = line.split_once(':')?;
    (!num.is_empty()
        && num.chars().all(|c| c.is_ascii_digit())
        && rest.trim_start().starts_with("cs:"))
    .then_some((num, rest))
}

fn parse_minor(n: usize, minor: u32, rest: &str, whole: &str) -> Result<Volume, ParseError> {
    let cs = field(rest, "cs:").ok_or_else(|| parse_error(n, "minor line without cs:"))?;
    let roles = field(rest, "ro:").or_else(|| field(rest, "st:"));
    let disks = field(rest, "ds:");
    let (Some(roles), Some(disks)) = (roles, disks) else {
        return Err(parse_error(
            n,
            format!("minor {minor} (cs:{cs}) has no ro:/st: or ds: field; truncated?"),
        ));
    };
    let pair = |s: &str, what| {
        s.split_once('/')
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .ok_or_else(|| parse_error(n, format!("{what} {s:?} is not local/peer")))
    };
    let (role, peer_role) = pair(roles, "role")?;
    let (disk, peer_disk) = pair(disks, "disk state")?;
    Ok(Volume {
        resource: format!("drbd{minor}"),
        minor: Some(minor),
        conn: cs.to_string(),
        role,
        peer_role,
        disk,
        peer_disk,
        quote: whole.to_string(),
        ..Volume::default()
    })
}

/// The value of a `key:value` token.
fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.split_whitespace().find_map(|t| t.strip_prefix(key))
}

/// `H:MM:SS` to seconds.
fn hms(text: &str) -> Option<u64> {
    let mut total = 0u64;
    for part in text.split(':') {
        total = total.checked_mul(60)?.checked_add(part.parse().ok()?)?;
    }
    Some(total)
}

fn cut(s: &str) -> String {
    s.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_sync_target_with_progress() {
        let text = "version: 8.3.11 (api:88/proto:86-96)\nsrcversion: 2D876214BAAD53B31ADC1D6\n 0: cs:SyncTarget ro:Secondary/Primary ds:Inconsistent/UpToDate C r-----\n    ns:0 nr:460288 dw:460160 dr:0 al:0 bm:28 lo:2 pe:4 ua:1 ap:0 ep:1 wo:f oos:588416 \n\t[=======>............] sync'ed: 44.4% (588416/1048576)K\n\tfinish: 0:00:08 speed: 65,736 (65,736) want: 61,440 K/sec\n 1: cs:Unconfigured\n";
        let p = parse(text).unwrap();
        assert_eq!((p.major, p.unconfigured.as_slice()), (8, &[1][..]));
        let v = &p.volumes[0];
        assert_eq!(
            (v.conn.as_str(), v.disk.as_str(), v.peer_disk.as_str()),
            ("SyncTarget", "Inconsistent", "UpToDate")
        );
        let progress = v.progress.as_ref().unwrap();
        assert_eq!(
            (progress.percent, progress.eta),
            (44.4, crate::kinds::drbd::Eta::Seconds(8))
        );
        assert_eq!(v.oos, Some(588416));
    }

    #[test]
    fn reads_standalone_with_a_blank_protocol() {
        let text = "version: 8.4.2 (api:1/proto:86-101)\n 8: cs:StandAlone ro:Secondary/Unknown ds:UpToDate/DUnknown   r-----\n";
        let v = &parse(text).unwrap().volumes[0];
        assert_eq!((v.minor, v.conn.as_str()), (Some(8), "StandAlone"));
    }

    #[test]
    fn rejects_what_is_not_proc_drbd() {
        assert_eq!(parse("").unwrap_err().line, 1);
        assert!(parse("hello\n").is_err());
        assert!(parse("version: 7.0 (api:1)\n").is_err());
        assert!(parse("version: 8.4.2 (api:1/proto:86-101)\n 0: cs:Connected\n").is_err());
        assert!(parse("version: 8.4.2 (api:1/proto:86-101)\n 0: cs:Connected ro:Prim").is_err());
    }
}
