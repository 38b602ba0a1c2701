//! Spec errors: always a file, a line and a column, so an admin can go straight to the
//! mistake from the boot log.

use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum SpecError {
    #[error("{}:{line}:{col}: {message}", path.display())]
    At {
        path: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: {message}", path.display())]
    File { path: PathBuf, message: String },
}

/// One spec file's text, for turning byte offsets into line and column.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub text: String,
    /// Byte offsets where each line starts, so that placing every check of a large spec
    /// costs a binary search each, not a scan from the top (which made a 5000-check spec
    /// take seconds to load).
    line_starts: Vec<usize>,
}

impl Source {
    pub fn new(path: PathBuf, text: String) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Source {
            path,
            text,
            line_starts,
        }
    }

    /// The 1-based line and column of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        // line_starts begins with 0, so at least one start is <= offset: line >= 1.
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let line_start = self
            .line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(0);
        let col = self
            .text
            .get(line_start..offset)
            .map_or(0, |s| s.chars().count())
            + 1;
        (line, col)
    }

    pub fn error_at(&self, span: Range<usize>, message: impl Into<String>) -> SpecError {
        error_at(&self.path, self.position(span.start), message)
    }
}

pub fn error_at(path: &Path, (line, col): (usize, usize), message: impl Into<String>) -> SpecError {
    SpecError::At {
        path: path.to_path_buf(),
        line,
        col,
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let s = Source::new("x.toml".into(), "a = 1\nbé = 2\n".into());
        assert_eq!(s.position(0), (1, 1));
        assert_eq!(s.position(6), (2, 1));
        // Columns count characters, not bytes.
        assert_eq!(s.position("a = 1\nbé".len()), (2, 3));
        assert_eq!(s.position(5), (1, 6));
        assert_eq!(s.position(1000), (3, 1));
    }
}

/// A TOML or serde message in the spec's own words: "keys", "lists" and "tables", not
/// serde's "fields", "sequences" and "maps"; `at` is the text where the error points, so
/// that `[override]` written for `[[override]]` is named for what it is.
pub fn in_words(message: &str, at: &str) -> String {
    let message = message.trim();
    let header = at
        .strip_prefix('[')
        .filter(|rest| !rest.starts_with('['))
        .and_then(|rest| rest.split_once(']'))
        .map(|(name, _)| name.trim());
    if message.starts_with("invalid type: map, expected a sequence")
        && let Some(name) = header
    {
        return format!(
            "`[{name}]` is a single table here: write `[[{name}]]` (double brackets), once for each {name}"
        );
    }
    let nouns = |s: &str| {
        s.replace("a sequence", "a list [...]")
            .replace("sequence", "list")
            .replace("a map", "a table")
            .replace("map", "a table")
    };
    if let Some(rest) = message.strip_prefix("invalid type: ")
        && let Some((found, expected)) = rest.split_once(", expected ")
    {
        return format!(
            "found {}, where {} is expected",
            nouns(found),
            nouns(expected)
        );
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        return match rest.split_once(", expected ") {
            Some((key, known)) => format!(
                "unknown key {key} (the keys here: {})",
                known.trim_start_matches("one of ")
            ),
            None => format!("unknown key {rest}"),
        };
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        return format!("missing key {rest}");
    }
    nouns(message)
}

#[cfg(test)]
mod words {
    use super::in_words;

    #[test]
    fn serde_wording_becomes_the_spec_s() {
        assert_eq!(
            in_words(
                "invalid type: map, expected a sequence",
                "[override]\nid = 1"
            ),
            "`[override]` is a single table here: write `[[override]]` (double brackets), once for each override"
        );
        assert_eq!(
            in_words("invalid type: string \"x\", expected a sequence", "\"x\""),
            "found string \"x\", where a list [...] is expected"
        );
        assert_eq!(
            in_words(
                "unknown field `ids`, expected one of `id`, `path`, `reason`",
                ""
            ),
            "unknown key `ids` (the keys here: `id`, `path`, `reason`)"
        );
        assert_eq!(
            in_words("missing field `reason`", ""),
            "missing key `reason`"
        );
    }
}
