//! "Did you mean": the nearest of a few known words (commands, options, check ids) to
//! one a person typed, by edit distance. A typo at the console (`explian`, `lo_up`,
//! `--fromat`) gets the word it was meant to be, not a list to search by eye.

/// The candidate nearest to `typed`, if one is near enough to be what was meant: at
/// most one edit for a word of up to four letters, two up to eight, three beyond (an
/// edit is a letter added, dropped, changed, or two neighbours swapped), or the start of
/// it (three letters or more). On a tie the first in `candidates` wins. A word in the wrong case is near its own; the word
/// itself, when it is a candidate, is no suggestion.
pub fn closest<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = typed;
    let typed: Vec<char> = typed.to_lowercase().chars().collect();
    let limit = match typed.len() {
        0 => return None,
        1..=4 => 1,
        5..=8 => 2,
        _ => 3,
    };
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        if candidate == word {
            return None;
        }
        let chars: Vec<char> = candidate.to_lowercase().chars().collect();
        // A word cut short (`warn` for `warning`) is one edit away, whatever is left.
        let d = if typed.len() >= 3 && chars.starts_with(&typed) {
            1
        } else {
            distance(&typed, &chars)
        };
        if d <= limit && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// `; did you mean `WORD`?` for the nearest of `candidates`, or nothing: the tail of
/// an error about a word that is not known.
pub fn did_you_mean<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(typed, candidates)
        .map(|c| format!("; did you mean `{c}`?"))
        .unwrap_or_default()
}

/// The optimal string alignment distance (Damerau-Levenshtein, each substring edited at
/// most once): insertions, deletions, substitutions and transpositions of neighbours.
fn distance(a: &[char], b: &[char]) -> usize {
    // Three rows: the one before the previous, for transpositions.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            current[j] = d;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(a: &str, b: &str) -> usize {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        distance(&a, &b)
    }

    #[test]
    fn counts_edits_and_swaps() {
        assert_eq!(d("", ""), 0);
        assert_eq!(d("abc", ""), 3);
        assert_eq!(d("", "abc"), 3);
        assert_eq!(d("kitten", "sitting"), 3);
        assert_eq!(d("explian", "explain"), 1);
        assert_eq!(d("--fromat", "--format"), 1);
        assert_eq!(d("lo_up", "lo-up"), 1);
        assert_eq!(d("lst", "list"), 1);
        assert_eq!(d("ca", "abc"), 3);
    }

    #[test]
    fn suggests_only_what_is_near() {
        let commands = ["boot", "image", "build-host", "list", "explain", "collect"];
        assert_eq!(closest("explian", commands), Some("explain"));
        assert_eq!(closest("lst", commands), Some("list"));
        assert_eq!(closest("LIST", commands), Some("list"));
        assert_eq!(closest("list", commands), None, "the word itself");
        assert_eq!(closest("colect", commands), Some("collect"));
        assert_eq!(closest("frobnicate", commands), None);
        assert_eq!(closest("xy", commands), None);
        assert_eq!(
            closest("warn", ["error", "warning", "none"]),
            Some("warning")
        );
        assert_eq!(closest("col", commands), Some("collect"));
        assert_eq!(closest("", commands), None);
        assert_eq!(
            did_you_mean("lo_up", ["shm-tmpfs", "lo-up"]),
            "; did you mean `lo-up`?"
        );
        assert_eq!(did_you_mean("nope", ["shm-tmpfs", "lo-up"]), "");
    }
}
