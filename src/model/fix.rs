//! A fix text's structure: prose to read, and commands to paste. Fix texts are written
//! in one layout, by the spec (`fix` in checks/*.toml) and by the kinds alike
//! ([`crate::model::Outcome::fix`]):
//!
//! - a line that starts with a space or a tab is a command (or a line for a file, such
//!   as an fstab line) to paste as it is, one command a line; a command line that ends
//!   in ` \` goes on with the next line, as in a shell;
//! - every other line is prose: the lines of a paragraph are joined, and a report may
//!   reflow them;
//! - in prose, a `backquoted` span is a command too, inline.
//!
//! [`Fix::parse`] reads that layout into typed parts, so that a report reflows the prose
//! and never breaks a command: a command broken mid-word, or its arguments put on lines
//! of their own, runs each piece as a command of its own when pasted into a shell. The
//! text itself stays as written: it is what JSON's `fix` carries.

/// One part of a fix, in the order written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// A paragraph: its source lines joined by a space, leading and trailing blanks
    /// removed. It may hold `backquoted` commands ([`Fix::commands`]).
    Prose(String),
    /// One command line, without its indentation; the lines its ` \` continued to are
    /// joined to it by a space (the backslash and the line end removed).
    Command(String),
}

/// A fix text, parsed: see the module's doc for the layout.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fix {
    pub parts: Vec<Part>,
}

impl Fix {
    pub fn parse(text: &str) -> Fix {
        let mut parts: Vec<Part> = Vec::new();
        // A command line ended in ` \`: the next line is more of it, however indented.
        let mut continued = false;
        for raw in text.lines() {
            let line = raw.trim();
            if continued {
                continued = false;
                if let Some(Part::Command(cmd)) = parts.last_mut() {
                    let (more, goes_on) = continuation(line);
                    if !more.is_empty() {
                        cmd.push(' ');
                        cmd.push_str(more);
                    }
                    continued = goes_on;
                    continue;
                }
            }
            if line.is_empty() {
                continue;
            }
            if raw.starts_with([' ', '\t']) {
                let (cmd, goes_on) = continuation(line);
                parts.push(Part::Command(cmd.to_string()));
                continued = goes_on;
                continue;
            }
            match parts.last_mut() {
                Some(Part::Prose(para)) => {
                    para.push(' ');
                    para.push_str(line);
                }
                _ => parts.push(Part::Prose(line.to_string())),
            }
        }
        Fix { parts }
    }

    /// Every command of the fix, in order: each command line, and each `backquoted`
    /// span of its prose (without the backquotes).
    pub fn commands(&self) -> Vec<String> {
        let mut out = Vec::new();
        for part in &self.parts {
            match part {
                Part::Command(cmd) => out.push(cmd.clone()),
                Part::Prose(text) => out.extend(
                    prose_words(text)
                        .iter()
                        .flat_map(|w| inline_commands(w))
                        .map(str::to_string),
                ),
            }
        }
        out
    }
}

/// A command line's text without its ` \`, and whether it goes on with the next line.
fn continuation(line: &str) -> (&str, bool) {
    match line.strip_suffix('\\') {
        Some(rest) if rest.is_empty() || rest.ends_with([' ', '\t']) => (rest.trim_end(), true),
        _ => (line, false),
    }
}

/// The words of a paragraph, split at spaces, except that a `backquoted` span (with the
/// punctuation around it, up to the next space) stays one word: a reflow never breaks
/// an inline command. A backquote with no partner is an ordinary character.
pub fn prose_words(text: &str) -> Vec<String> {
    let ticks: Vec<usize> = text.match_indices('`').map(|(i, _)| i).collect();
    // Only paired backquotes open a span: the last one of an odd count is a character.
    let paired = ticks.len() - ticks.len() % 2;
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_span = false;
    let mut seen = 0;
    for (i, c) in text.char_indices() {
        if c == '`' && seen < paired && ticks.get(seen) == Some(&i) {
            seen += 1;
            in_span = !in_span;
        }
        if c == ' ' && !in_span {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
        } else {
            word.push(c);
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// The `backquoted` spans of one word of prose ([`prose_words`]).
fn inline_commands(word: &str) -> impl Iterator<Item = &str> {
    word.split('`')
        .enumerate()
        .filter(|(i, s)| i % 2 == 1 && !s.trim().is_empty())
        .map(|(_, s)| s.trim())
        .take(word.matches('`').count() / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indented_lines_are_commands_and_prose_joins() {
        let fix = Fix::parse(
            "\nEmpty it and remove the seeds:\n  : > $ROOT/etc/machine-id\n\
             \t rm -f $ROOT/a $ROOT/b\n(a link is fine,\nas is none).\n",
        );
        assert_eq!(
            fix.parts,
            [
                Part::Prose("Empty it and remove the seeds:".into()),
                Part::Command(": > $ROOT/etc/machine-id".into()),
                Part::Command("rm -f $ROOT/a $ROOT/b".into()),
                Part::Prose("(a link is fine, as is none).".into()),
            ]
        );
    }

    #[test]
    fn a_backslash_continues_a_command() {
        let fix = Fix::parse("Run:\n  install -D a \\\n      b \\\n  c\nthen\n  echo x\\\n");
        assert_eq!(
            fix.parts,
            [
                Part::Prose("Run:".into()),
                Part::Command("install -D a b c".into()),
                Part::Prose("then".into()),
                // Not ` \`: a backslash that ends a word, kept.
                Part::Command("echo x\\".into()),
            ]
        );
    }

    #[test]
    fn backquoted_spans_are_inline_commands_and_stay_one_word() {
        let text =
            "Mount /proc (`mount -t proc proc\n/proc`) and run `ha-preflight` again; a ` alone.";
        let fix = Fix::parse(text);
        assert_eq!(fix.commands(), ["mount -t proc proc /proc", "ha-preflight"]);
        let Part::Prose(para) = &fix.parts[0] else {
            panic!("{fix:?}")
        };
        assert_eq!(
            prose_words(para),
            [
                "Mount",
                "/proc",
                "(`mount -t proc proc /proc`)",
                "and",
                "run",
                "`ha-preflight`",
                "again;",
                "a",
                "`",
                "alone."
            ]
        );
    }
}
