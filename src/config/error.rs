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

impl SpecError {
    /// The file the error is in.
    pub fn path(&self) -> &Path {
        match self {
            SpecError::At { path, .. }
            | SpecError::Io { path, .. }
            | SpecError::File { path, .. } => path,
        }
    }
}

/// One spec file's text, for turning byte offsets into line and column.
///
/// A check that a higher layer's `[[change]]` amends is read from the text of its own
/// file with the change's text joined on ([`SpecText::concat`]): each part keeps its own
/// path, so a mistake in the changed keys is placed in the file that wrote them.
#[derive(Debug, Clone)]
pub struct SpecText {
    pub path: PathBuf,
    pub text: String,
    /// Byte offsets where each line starts, so that placing every check of a large spec
    /// costs a binary search each, not a scan from the top (which made a 5000-check spec
    /// take seconds to load).
    line_starts: Vec<usize>,
    /// Where each joined part starts (a byte offset at a line start), and its file;
    /// empty for a plain file.
    parts: Vec<(usize, PathBuf)>,
}

impl SpecText {
    pub fn new(path: PathBuf, text: String) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SpecText {
            path,
            text,
            line_starts,
            parts: Vec::new(),
        }
    }

    /// The texts of `files` one after the other, each part keeping its own path, and
    /// the offset each one's byte positions move by in the whole. Built once: the whole
    /// costs one copy of the files, however many checks are placed in it.
    pub fn concat(files: &[&SpecText]) -> (SpecText, Vec<usize>) {
        let mut text = String::with_capacity(files.iter().map(|f| f.text.len() + 1).sum());
        let mut parts = Vec::with_capacity(files.len());
        let mut offsets = Vec::with_capacity(files.len());
        for f in files {
            offsets.push(text.len());
            parts.push((text.len(), f.path.clone()));
            text.push_str(&f.text);
            // Each part starts a line, so its lines count from its own start.
            text.push('\n');
        }
        let path = files.first().map(|f| f.path.clone()).unwrap_or_default();
        let mut whole = SpecText::new(path, text);
        whole.parts = parts;
        (whole, offsets)
    }

    /// The file a byte offset is in, and where that file's text starts.
    fn part(&self, offset: usize) -> (&Path, usize) {
        let i = self.parts.partition_point(|(start, _)| *start <= offset);
        match i.checked_sub(1).and_then(|i| self.parts.get(i)) {
            Some((start, path)) => (path, *start),
            None => (&self.path, 0),
        }
    }

    /// The 1-based line and column of a byte offset, in the file it is in.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let (_, start) = self.part(offset);
        let (line, col) = self.global_position(offset);
        (line + 1 - self.global_position(start).0, col)
    }

    fn global_position(&self, offset: usize) -> (usize, usize) {
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

    /// "FILE:LINE" of a byte offset, in the file it is in.
    pub fn place(&self, offset: usize) -> String {
        let (line, _) = self.position(offset);
        format!("{}:{line}", self.part(offset).0.display())
    }

    pub fn error_at(&self, span: Range<usize>, message: impl Into<String>) -> SpecError {
        error_at(self.part(span.start).0, self.position(span.start), message)
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
        let s = SpecText::new("x.toml".into(), "a = 1\nbé = 2\n".into());
        assert_eq!(s.position(0), (1, 1));
        assert_eq!(s.position(6), (2, 1));
        // Columns count characters, not bytes.
        assert_eq!(s.position("a = 1\nbé".len()), (2, 3));
        assert_eq!(s.position(5), (1, 6));
        assert_eq!(s.position(1000), (3, 1));
    }

    #[test]
    fn a_concatenated_text_places_each_part_in_its_own_file() {
        let base = SpecText::new("base.toml".into(), "a = 1\nb = 2".into());
        let change = SpecText::new("change.toml".into(), "\n  c = 3\n".into());
        let more = SpecText::new("more.toml".into(), "d = 4".into());
        let (all, offsets) = SpecText::concat(&[&base, &change, &more]);
        assert_eq!(all.position(6), (2, 1));
        let at = offsets[1] + 3;
        assert_eq!(all.position(at), (2, 3));
        assert_eq!(all.error_at(at..at, "x").to_string(), "change.toml:2:3: x");
        assert_eq!(all.place(at), "change.toml:2");
        assert_eq!(all.error_at(0..0, "x").to_string(), "base.toml:1:1: x");
        let third = offsets[2];
        assert_eq!(
            all.error_at(third..third, "x").to_string(),
            "more.toml:1:1: x"
        );
        assert_eq!(&all.text[third..third + 5], "d = 4");
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
