//! Durations as people write them on a command line or in a spec: `500ms`, `2s`, `5m`, `1h`,
//! `2d`.
//!
//! In a spec a bare number is refused rather than guessed at: `timeout = "30"` could mean
//! seconds or milliseconds, and a boot gate that waits a thousand times too long is a real
//! outage. On the command line a bare number is seconds ([`parse_arg`]), as in systemd's
//! time spans (systemd.time(7)) and as the unit writes `--wait 300`.

use std::time::Duration;

/// How a duration is written, in every error that refuses one and in `--help`: one set
/// of examples, a value of each unit.
pub const EXAMPLES: &str = "500ms, 30s, 5m, 1h or 2d";

/// Parses `N` followed by one of `ms`, `s`, `m`, `h`, `d`. `N` may have a fractional part
/// (`1.5s`).
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("`{text}` has no unit: write it as {EXAMPLES}"))?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: write it as {EXAMPLES}"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        "d" => value * 86_400.0,
        _ => {
            return Err(format!(
                "`{text}` has an unknown unit `{unit}`: write it as {EXAMPLES}"
            ));
        }
    };
    // Ages in a spec (sync-age's max_age) are days; a month is past any of them, and the
    // cap keeps Duration arithmetic safe.
    if !(0.0..=MAX_SECONDS).contains(&seconds) {
        return Err(format!("`{text}` is out of range (0 to 31d)"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// A command-line duration: as [`parse`], and a bare number is seconds.
pub fn parse_arg(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        // Said in the user's own words: they typed no `s`.
        return parse(&format!("{t}s")).map_err(|e| {
            if e.contains("out of range") {
                format!("`{t}` seconds is out of range (0 to 31d)")
            } else {
                format!("`{t}` is not a number of seconds: write it as {EXAMPLES}")
            }
        });
    }
    parse(t)
}

const MAX_SECONDS: f64 = 31.0 * 86_400.0;

/// An age for people, to the two largest units: `3d 4h`, `5h 12m`, `7m 3s`, `42s`.
pub fn age(seconds: u64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds / 3600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

/// Formats a duration for people, in a form `parse` reads back: `500ms`, `2s`, `90s`, `5m`,
/// `26h`, `2d`.
pub fn display(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms % 1000 != 0 {
        format!("{:.1}s", d.as_secs_f64())
    } else if ms % 86_400_000 == 0 {
        format!("{}d", ms / 86_400_000)
    } else if ms % 3_600_000 == 0 {
        format!("{}h", ms / 3_600_000)
    } else if ms % 60_000 == 0 {
        format!("{}m", ms / 60_000)
    } else {
        format!("{}s", ms / 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_number_out_of_range_is_quoted_as_typed() {
        let e = parse_arg("99999999999999999999").unwrap_err();
        assert_eq!(
            e,
            "`99999999999999999999` seconds is out of range (0 to 31d)"
        );
        assert!(
            parse_arg("1.2.3")
                .unwrap_err()
                .starts_with("`1.2.3` is not")
        );
    }

    #[test]
    fn parses_the_units_people_write() {
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse("2d"), Ok(Duration::from_secs(172_800)));
    }

    #[test]
    fn a_bare_number_on_the_command_line_is_seconds() {
        assert_eq!(parse_arg("300"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_arg("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_arg("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse_arg("").is_err());
        assert!(parse_arg("1.2.3").is_err());
    }

    #[test]
    fn ages_read_in_two_units() {
        assert_eq!(age(42), "42s");
        assert_eq!(age(7 * 60 + 3), "7m 3s");
        assert_eq!(age(5 * 3600 + 12 * 60 + 9), "5h 12m");
        assert_eq!(age(3 * 86_400 + 4 * 3600 + 59), "3d 4h");
    }

    #[test]
    fn refuses_what_it_would_have_to_guess() {
        assert!(parse("30").is_err());
        assert!(parse("s").is_err());
        assert!(parse("10 parsecs").is_err());
        assert!(parse("9999h").is_err());
        assert!(parse("32d").is_err());
        assert!(parse("").is_err());
    }

    /// The errors and `--help` give the same examples, each of which parses.
    #[test]
    fn every_refusal_gives_the_one_set_of_examples() {
        for bad in ["30", "soon", "5x", "1.2.3s"] {
            let e = parse(bad).unwrap_err();
            assert!(
                e.ends_with(&format!("write it as {EXAMPLES}")),
                "{bad}: {e}"
            );
        }
        assert!(parse_arg("1.2.3").unwrap_err().ends_with(EXAMPLES));
        for example in EXAMPLES
            .split([',', ' '])
            .filter(|w| !w.is_empty() && *w != "or")
        {
            assert!(parse(example).is_ok(), "{example}");
        }
    }

    #[test]
    fn displays_round_trip() {
        for text in ["500ms", "2s", "5m", "90s", "1.5s", "26h", "2d"] {
            assert_eq!(display(parse(text).unwrap()), text);
        }
    }
}
