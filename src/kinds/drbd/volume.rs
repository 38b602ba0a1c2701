//! The one model every DRBD generation is brought to: [`Volume`], one replicated volume as
//! this node sees it, towards one peer; its resync [`Progress`]; and the parsers' error.

use std::fmt;

/// One replicated volume, as this node sees it, towards one peer (or none).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Volume {
    /// The resource name (DRBD 9) or `drbdN` for a /proc/drbd minor.
    pub resource: String,
    /// Set when the resource has more than one volume, so names stay short otherwise.
    pub volume: Option<u32>,
    pub minor: Option<u32>,
    /// The peer's name, when the source names it (DRBD 9).
    pub peer: Option<String>,
    /// The connection state in 8.x terms: 8.x `cs:`; for DRBD 9 the connection state, or
    /// the replication state once Connected (Established for a plain connection). Empty
    /// when the resource has no peer configured.
    pub conn: String,
    pub role: String,
    pub peer_role: String,
    pub disk: String,
    pub peer_disk: String,
    /// Diskless by design (a DRBD 9 client), not by failure.
    pub client: bool,
    pub progress: Option<Progress>,
    /// Out-of-sync KiB, when reported.
    pub oos: Option<u64>,
    /// DRBD 9's quorum for this volume, when the source reports it (8.x has none).
    /// Without quorum the volume freezes or fails I/O and cannot be promoted.
    pub quorum: Option<bool>,
    /// The source's own words for this volume, quoted as evidence.
    pub quote: String,
}

impl Volume {
    /// `r0`, `r0/1` (volume 1), `r0 to peer-b`: how reports name it.
    pub fn name(&self) -> String {
        let mut name = self.resource.clone();
        if let Some(v) = self.volume {
            name.push_str(&format!("/{v}"));
        }
        if let Some(peer) = &self.peer {
            name.push_str(&format!(" to {peer}"));
        }
        name
    }
}

/// Resync or verify progress.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Progress {
    pub percent: f64,
    pub eta: Eta,
    pub stalled: bool,
}

/// How long a resync has left, as DRBD estimates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Eta {
    /// The source gives no estimate at all (events2 prints only `done:`).
    #[default]
    NotGiven,
    /// DRBD says it cannot estimate yet: a `nan`, or drbd-utils' sentinel (see
    /// [`Eta::from_seconds`]).
    Unknown,
    Seconds(u64),
}

impl Eta {
    /// drbd-utils prints this many seconds when the resync rate is not known yet
    /// (a sentinel, not an estimate: it would be over 31 years).
    pub const SENTINEL: u64 = 987_654_321;

    /// An estimate in seconds, with drbd-utils' sentinel read as unknown.
    pub fn from_seconds(seconds: u64) -> Eta {
        if seconds == Self::SENTINEL {
            Eta::Unknown
        } else {
            Eta::Seconds(seconds)
        }
    }
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.1}%", self.percent)?;
        if self.stalled {
            write!(f, ", stalled")?;
        } else {
            match self.eta {
                Eta::Seconds(s) => write!(
                    f,
                    ", about {}:{:02}:{:02} left",
                    s / 3600,
                    s / 60 % 60,
                    s % 60
                )?,
                Eta::Unknown => write!(f, ", ETA unknown")?,
                Eta::NotGiven => {}
            }
        }
        Ok(())
    }
}

/// A DRBD text that could not be read, with where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

pub fn parse_error(line: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        line,
        message: message.into(),
    }
}

/// Every parser over every fixture, and over thousands of damaged copies of them
/// (truncated at each line, bytes flipped, lines swapped): a result or an error, never a
/// panic. A deterministic generator keeps failures reproducible; CI runs this on every
/// change, so it is the parsers' fuzz run, bounded in time.
#[cfg(test)]
mod robustness {
    use crate::kinds::drbd::judge::{Policy, judge};
    use std::path::PathBuf;

    fn fixtures(dir: &str) -> Vec<(String, String)> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/drbd")
            .join(dir);
        let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .flatten()
            .filter_map(|e| {
                let text = std::fs::read(e.path()).ok()?;
                Some((
                    e.file_name().to_string_lossy().into_owned(),
                    String::from_utf8_lossy(&text).into_owned(),
                ))
            })
            .collect();
        crate::model::sort::sort(&mut out);
        assert!(!out.is_empty(), "no fixtures in {}", dir.display());
        out
    }

    /// xorshift64*: small, fast, and the same sequence on every machine.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    const ALPHABET: &[u8] = b" \t\n:/%.0123456789-[]>=|{}\",csrodsUpToDateSyncTargetStandAlone";

    fn mutants(text: &str, rng: &mut Rng) -> Vec<String> {
        let mut out = Vec::new();
        let lines: Vec<&str> = text.lines().collect();
        for cut in 0..=lines.len() {
            out.push(lines[..cut].join("\n"));
        }
        let bytes = text.as_bytes();
        for _ in 0..300 {
            let mut b = bytes.to_vec();
            for _ in 0..=rng.below(4) {
                if b.is_empty() {
                    break;
                }
                let i = rng.below(b.len());
                match rng.below(3) {
                    0 => b[i] = ALPHABET[rng.below(ALPHABET.len())],
                    1 => {
                        b.remove(i);
                    }
                    _ => b.insert(i, ALPHABET[rng.below(ALPHABET.len())]),
                }
            }
            out.push(String::from_utf8_lossy(&b).into_owned());
        }
        if lines.len() > 1 {
            let mut shuffled = lines.clone();
            for _ in 0..lines.len() {
                let (a, c) = (rng.below(lines.len()), rng.below(lines.len()));
                shuffled.swap(a, c);
            }
            out.push(shuffled.join("\n"));
        }
        out
    }

    fn judge_all(volumes: &[crate::kinds::drbd::Volume]) {
        for v in volumes {
            let _ = judge(v, &Policy::default());
            let _ = v.name();
            let _ = v.progress.as_ref().map(ToString::to_string);
        }
    }

    /// Feeds every fixture in `dir`, and its damaged copies, to `parse`; judges what
    /// parses. The seed keeps each run's inputs the same.
    fn never_panics(
        dir: &str,
        seed: u64,
        parse: impl Fn(&str) -> Option<Vec<crate::kinds::drbd::Volume>>,
    ) {
        let mut rng = Rng(seed);
        for (_, text) in fixtures(dir) {
            for m in mutants(&text, &mut rng) {
                if let Some(volumes) = parse(&m) {
                    judge_all(&volumes);
                }
            }
        }
    }

    #[test]
    fn proc_drbd_never_panics() {
        never_panics("proc-drbd", 0x9E37_79B9_7F4A_7C15, |t| {
            crate::kinds::drbd::proc::parse(t).ok().map(|p| p.volumes)
        });
    }

    #[test]
    fn drbdsetup_json_never_panics() {
        never_panics("drbdsetup-json", 0xD1B5_4A32_D192_ED03, |t| {
            crate::kinds::drbd::json::parse(t).ok()
        });
    }

    #[test]
    fn events2_never_panics() {
        never_panics("drbd-events2", 0x94D0_49BB_1331_11EB, |t| {
            crate::kinds::drbd::events2::parse(t).ok()
        });
    }

    #[test]
    fn config_never_panics() {
        let mut rng = Rng(42);
        let text = "global { usage-count no; }\nresource r0 { on a { device /dev/drbd0; } }\n# resource x {\n";
        for m in mutants(text, &mut rng) {
            let _ = crate::kinds::drbd::config::resource_names(&m);
        }
    }
}
