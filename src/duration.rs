//! Durations as people write them on a command line or in a spec: `500ms`, `2s`, `5m`, `1h`.
//!
//! A bare number is refused rather than guessed at: `--timeout 30` could mean seconds or
//! milliseconds, and a boot gate that waits a thousand times too long is a real outage.

use std::time::Duration;

/// Parses `N` followed by one of `ms`, `s`, `m`, `h`. `N` may have a fractional part (`1.5s`).
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("`{text}` has no unit: write it as 500ms, 30s, 2m or 1h"))?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: write it as 500ms, 30s, 2m or 1h"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        _ => {
            return Err(format!(
                "`{text}` has an unknown unit `{unit}`: use ms, s, m or h"
            ));
        }
    };
    // A week is far past any boot gate's patience; the cap keeps Duration arithmetic safe.
    if !(0.0..=604_800.0).contains(&seconds) {
        return Err(format!("`{text}` is out of range (0 to 168h)"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Formats a duration for people, in a form `parse` reads back: `500ms`, `2s`, `90s`, `5m`.
pub fn display(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms % 1000 != 0 {
        format!("{:.1}s", d.as_secs_f64())
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
    fn parses_the_units_people_write() {
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse("1.5s"), Ok(Duration::from_millis(1500)));
    }

    #[test]
    fn refuses_what_it_would_have_to_guess() {
        assert!(parse("30").is_err());
        assert!(parse("s").is_err());
        assert!(parse("10 parsecs").is_err());
        assert!(parse("9999h").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn displays_round_trip() {
        for text in ["500ms", "2s", "5m", "90s", "1.5s"] {
            assert_eq!(display(parse(text).unwrap()), text);
        }
    }
}
