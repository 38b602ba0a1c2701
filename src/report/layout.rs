//! Laying text out in lines for a person: prose wrapped at spaces, one-line entries cut
//! to a terminal's width, and commands broken only where a shell still reads them whole.
//!
//! Outside text is escaped where it enters (`text::visible`), so that every count here
//! is of what the terminal shows.
//!
//! No word is ever cut: a word longer than a line (a path under a long `--root`) gets a
//! line of its own and runs past the width, for the terminal to fold. Cut, a path could
//! not be copied, and a command could not be pasted.

use crate::model::fix::prose_words;
use crate::model::text::visible;

/// Wraps `text` at spaces to `width` columns: the first line after `first`, the others
/// after `rest`.
pub fn wrap(text: &str, first: &str, rest: &str, width: usize) -> Vec<String> {
    let text = visible(text, false);
    fill(
        text.split(' ')
            .filter(|w| !w.is_empty())
            .map(str::to_string),
        first,
        rest,
        width,
    )
}

/// Wraps the prose of a fix as [`wrap`] does, but never inside a `backquoted` command
/// ([`prose_words`]).
pub fn wrap_prose(text: &str, first: &str, rest: &str, width: usize) -> Vec<String> {
    fill(
        prose_words(&visible(text, false)).into_iter(),
        first,
        rest,
        width,
    )
}

fn fill(words: impl Iterator<Item = String>, first: &str, rest: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = first.to_string();
    let mut fresh = true; // nothing but the prefix on the line yet
    for word in words {
        if !fresh && columns(&line) + 1 + columns(&word) > width {
            lines.push(std::mem::replace(&mut line, rest.to_string()));
            fresh = true;
        }
        if !fresh {
            line.push(' ');
        }
        line.push_str(&word);
        fresh = false;
    }
    if !fresh || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// One command of a fix, on as many lines as it needs at `width`: the first after
/// `first`, each further one after `rest`, every line but the last ending in ` \`, so
/// that pasted into a shell it is still one command. It is broken only between shell
/// words (quotes respected), never between a command and its options and first
/// operand, nor between a redirection and its file; a `&&`, `||` or `;` ends a line
/// rather than starting one. A piece longer than a line runs past the width.
pub fn command(cmd: &str, first: &str, rest: &str, width: usize) -> Vec<String> {
    let units = units(shell_words(&visible(cmd, false)));
    let mut lines = Vec::new();
    let mut line = first.to_string();
    let count = units.len();
    for (i, unit) in units.into_iter().enumerate() {
        if i > 0 {
            // Room for the ` \` this line needs if a later piece breaks after this one.
            let room = if i + 1 == count {
                width
            } else {
                width.saturating_sub(2)
            };
            if columns(&line) + 1 + columns(&unit) <= room {
                line.push(' ');
            } else {
                line.push_str(" \\");
                lines.push(std::mem::replace(&mut line, rest.to_string()));
            }
        }
        line.push_str(&unit);
    }
    lines.push(line);
    lines
}

/// A command's words as a shell splits them: at spaces and tabs outside quotes and not
/// escaped by a backslash. Each keeps its text (quotes and backslashes included).
fn shell_words(cmd: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in cmd.chars() {
        if escaped {
            escaped = false;
        } else if quote == Some(c) {
            quote = None;
        } else if quote.is_none() && (c == '\'' || c == '"') {
            quote = Some(c);
        } else if c == '\\' && quote != Some('\'') {
            escaped = true;
        } else if quote.is_none() && (c == ' ' || c == '\t') {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        word.push(c);
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// The pieces a command line may be broken between: the command's name with its
/// options and first operand (`rm -f PATH`, `: > PATH`), then each further word, a
/// redirection kept with its file and a `&&`, `||`, `|` or `;` with the word before it.
fn units(words: Vec<String>) -> Vec<String> {
    #[derive(PartialEq)]
    enum At {
        /// The next word names a command.
        Name,
        /// After the name: options, up to the first operand.
        Head,
        /// Operands.
        Operands,
    }
    let mut out = Vec::new();
    let mut unit = String::new();
    let mut at = At::Name;
    let mut redirect = false; // the word before was a redirection: this is its file
    for word in words {
        let operator = matches!(word.as_str(), "&&" | "||" | "|" | ";");
        if unit.is_empty() {
            unit = word.clone();
        } else if redirect || operator || at == At::Head {
            unit.push(' ');
            unit.push_str(&word);
        } else {
            out.push(std::mem::replace(&mut unit, word.clone()));
        }
        if operator || (word.ends_with(';') && !word.ends_with("\\;")) {
            out.push(std::mem::take(&mut unit));
            at = At::Name;
            redirect = false;
            continue;
        }
        let was_redirect = redirect;
        redirect = is_redirection(&word);
        at = match at {
            At::Name => At::Head,
            At::Head if !redirect && (was_redirect || !word.starts_with('-')) => At::Operands,
            other => other,
        };
    }
    if !unit.is_empty() {
        out.push(unit);
    }
    out
}

/// `>`, `>>`, `<`, `2>`, `&>`: an operator that takes the next word as its file.
fn is_redirection(word: &str) -> bool {
    let op = word.trim_start_matches(|c: char| c.is_ascii_digit() || c == '&');
    matches!(op, ">" | ">>" | "<" | ">|" | "<>")
}

/// Cuts a line to `width` characters, ending in "..." when cut (plain ASCII: a serial
/// console may not show an ellipsis), but never inside its first `keep` characters
/// (what names the check). Control characters are escaped first.
pub fn cut(text: &str, width: usize, keep: usize) -> String {
    let text = visible(text, false);
    let width = width.max(keep + 3);
    if columns(&text) <= width {
        return text;
    }
    let kept: String = text.chars().take(width - 3).collect();
    format!("{}...", kept.trim_end())
}

/// The screen rows a line takes on a terminal `width` columns wide (a line longer than
/// that is folded by the terminal); one when there is no terminal to fold it.
pub fn rows(text: &str, width: Option<usize>) -> usize {
    text.split('\n')
        .map(|l| match width {
            Some(w) if w > 0 => columns(l).div_ceil(w).max(1),
            _ => 1,
        })
        .sum()
}

/// The columns a line takes: one a character (the report shows no wide characters of
/// its own, and outside text is escaped).
pub fn columns(text: &str) -> usize {
    text.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_spaces_and_never_cuts_a_word() {
        assert_eq!(wrap("aaa bbb ccc", "> ", "  ", 9), ["> aaa bbb", "  ccc"]);
        let long = "x".repeat(25);
        assert_eq!(
            wrap(&format!("a {long} b"), "", "", 10),
            ["a".to_string(), long.clone(), "b".to_string()]
        );
        for l in wrap(&"word ".repeat(100), "  evidence: ", "            ", 80) {
            assert!(columns(&l) <= 80, "{l}");
        }
        assert_eq!(wrap("", "  fix: ", "", 80), ["  fix: "]);
    }

    #[test]
    fn prose_keeps_an_inline_command_on_one_line() {
        let lines = wrap_prose(
            "Delete them, `rm -f /a/very/long/root/etc/ssh/ssh_host_*`, then boot.",
            "  fix: ",
            "       ",
            40,
        );
        assert_eq!(
            lines,
            [
                "  fix: Delete them,",
                "       `rm -f /a/very/long/root/etc/ssh/ssh_host_*`,",
                "       then boot."
            ]
        );
    }

    #[test]
    fn a_command_breaks_between_arguments_with_a_backslash() {
        let root = "/b/rootfs";
        let cmd = format!(
            "rm -f {root}/var/lib/dbus/machine-id {root}/var/lib/systemd/random-seed {root}/x"
        );
        assert_eq!(
            command(&cmd, "    ", "      ", 80),
            [
                format!("    rm -f {root}/var/lib/dbus/machine-id \\"),
                format!("      {root}/var/lib/systemd/random-seed {root}/x"),
            ]
        );
        // A redirection stays with its file, the command with its first operand, even
        // when that runs past the line; `&&` ends a line.
        let long = format!("/{}", "d".repeat(90));
        assert_eq!(
            command(&format!(": > {long}"), "", "  ", 80),
            [format!(": > {long}")]
        );
        assert_eq!(
            command(
                &format!("rm -rf {long} && ln -s /run/network {long}"),
                "",
                "  ",
                80
            ),
            [
                format!("rm -rf {long} && \\"),
                "  ln -s /run/network \\".to_string(),
                format!("  {long}"),
            ]
        );
        // Quotes are one word; a short command is one line.
        assert_eq!(
            command("rm -f '/srv/my tree/a' '/srv/my tree/b'", "", "  ", 26),
            ["rm -f '/srv/my tree/a' \\", "  '/srv/my tree/b'"]
        );
        assert_eq!(
            command("ifdown --force lo; ifup lo", "  ", "    ", 80),
            ["  ifdown --force lo; ifup lo"]
        );
        assert_eq!(
            units(shell_words("ifdown --force lo; ifup lo")),
            ["ifdown --force lo;", "ifup lo"]
        );
        assert_eq!(
            units(shell_words("install -D -m 644 a b")),
            ["install -D -m 644", "a", "b"]
        );
        assert_eq!(
            units(shell_words("cat x 2> /dev/null")),
            ["cat x", "2> /dev/null"]
        );
    }

    #[test]
    fn a_cut_is_plain_ascii_and_keeps_what_names_the_check() {
        assert_eq!(cut("abcdef", 5, 0), "ab...");
        assert_eq!(cut("abc", 5, 0), "abc");
        assert_eq!(cut("FAIL: some-id: a summary", 10, 13), "FAIL: some-id...");
    }

    #[test]
    fn rows_count_what_a_terminal_folds() {
        assert_eq!(rows("", Some(80)), 1);
        assert_eq!(rows(&"x".repeat(80), Some(80)), 1);
        assert_eq!(rows(&"x".repeat(81), Some(80)), 2);
        assert_eq!(rows(&"x".repeat(300), None), 1);
        assert_eq!(rows("a\nb", Some(80)), 2);
    }
}
