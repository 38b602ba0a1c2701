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
