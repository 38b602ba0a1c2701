//! The human report read back as its reader reads it: which lines are prose, that keep
//! to 80 columns; which are kept whole on purpose (a check's one line, a command of a
//! fix, a word no line can hold); which lines were cut; and the commands a person would
//! paste from each fix shown.

use ha_preflight::model::fix::prose_words;

/// The width prose keeps to.
pub const WIDTH: usize = 80;

const LABELS: [&str; 5] = [
    "verdict: ",
    "root cause: ",
    "warning: ",
    "waiting on: ",
    "could not check: ",
];
const STATUSES: [&str; 7] = ["FAIL", "ERROR", "warn", "wait", "skip", "blocked", "pass"];

/// A command line of a fix (`layout::command` indents them 9, their continuations 11).
fn is_command_line(line: &str) -> bool {
    let body = line.trim_start();
    let indent = line.len() - body.len();
    !body.is_empty() && (indent == 9 || indent == 11)
}

/// The lines of `text` that are longer than 80 columns without being a line kept whole
/// on purpose: a check's one line in the list (`  FAIL    id  ...`), a root cause in
/// one line, `-q`'s line, the verdict (its cause, tally and time), a command of a fix, or a line that holds a single word (or
/// `inline command`) after its indentation and label, which no line could hold.
pub fn too_wide(text: &str) -> Vec<String> {
    let mut bad = Vec::new();
    let mut in_fix = false;
    for line in text.lines() {
        if line.starts_with("  fix: ") {
            in_fix = true;
        } else if line.starts_with("  why it matters: ") || !line.starts_with(' ') {
            in_fix = false;
        }
        if line.chars().count() <= WIDTH {
            continue;
        }
        let body = line.trim_start();
        let indent = line.len() - body.len();
        let listed = indent == 2
            && STATUSES
                .iter()
                .any(|s| body.strip_prefix(s).is_some_and(|r| r.starts_with(' ')));
        let whole = listed
            || line.starts_with("ha-preflight ")
            || LABELS.iter().any(|l| line.starts_with(l))
            || (in_fix && is_command_line(line));
        let body = ["fix: ", "evidence: ", "leads to: "]
            .iter()
            .find_map(|l| body.strip_prefix(l))
            .unwrap_or(body);
        if !whole && prose_words(body).len() != 1 {
            bad.push(line.to_string());
        }
    }
    bad
}

/// The lines of `text` cut short: ending in "..." or "…" (the report's own "  ... and
/// N more" line starts with its dots).
pub fn cut_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| {
            let l = l.trim_end();
            l.ends_with("...") || l.ends_with('…')
        })
        .map(str::to_string)
        .collect()
}

/// One command of a fix as it is shown: what a person selects and pastes.
#[derive(Debug, Clone)]
pub struct Shown {
    /// The check whose fix it is (the block's `why it matters: ha-preflight explain ID`).
    pub check: String,
    /// Its lines as shown, joined by newlines (a command and its ` \` continuations), or
    /// the inside of an inline `command`.
    pub paste: String,
}

impl Shown {
    /// The command in one line, its continuations joined and spaces squeezed: to compare
    /// with the fix text the JSON carries.
    pub fn squeezed(&self) -> String {
        squeeze(&self.paste.replace("\\\n", " "))
    }
}

pub fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The commands of every fix block in `text`, in order, and the problems seen on the way:
/// an inline `command` whose backquotes do not close on its line (broken over lines),
/// or a command whose last line still ends in ` \` (cut off). Lines folded by a terminal
/// must have been joined (tmux's `capture-pane -J`).
pub fn fix_commands(text: &str) -> (Vec<Shown>, Vec<String>) {
    let mut shown = Vec::new();
    let mut problems = Vec::new();
    let mut block: Vec<String> = Vec::new(); // pastes of the fix being read
    let mut open: Option<String> = None; // a command whose last line ended in ` \`
    let mut in_fix = false;
    for line in text.lines().map(str::trim_end) {
        if let Some(rest) = line.strip_prefix("  why it matters: ha-preflight explain ") {
            if in_fix {
                if let Some(cmd) = open.take() {
                    problems.push(format!("{rest}: the command goes on past its fix: {cmd}"));
                    block.push(cmd);
                }
                shown.extend(block.drain(..).map(|paste| Shown {
                    check: rest.trim().to_string(),
                    paste,
                }));
            }
            in_fix = false;
            continue;
        }
        if line.starts_with("  fix: ") {
            in_fix = true;
        }
        if !in_fix {
            continue;
        }
        if let Some(cmd) = open.as_mut() {
            cmd.push('\n');
            cmd.push_str(line);
            if !line.ends_with(" \\") {
                block.push(open.take().unwrap_or_default());
            }
            continue;
        }
        if is_command_line(line) {
            if line.ends_with(" \\") {
                open = Some(line.to_string());
            } else {
                block.push(line.to_string());
            }
            continue;
        }
        // Prose: every inline command opens and closes on its line.
        if line.matches('`').count() % 2 == 1 {
            problems.push(format!("an inline command broken over lines: {line}"));
        }
        for word in prose_words(line) {
            block.extend(
                word.split('`')
                    .skip(1)
                    .step_by(2)
                    .take(word.matches('`').count() / 2)
                    .map(str::to_string),
            );
        }
    }
    (shown, problems)
}

/// The simple commands of a pasted command (split at `&&`, `||`, `;` and `|`), each as
/// its words.
pub fn simple_commands(command: &str) -> Vec<Vec<String>> {
    let joined = command.replace("\\\n", " ");
    joined
        .split("&&")
        .flat_map(|s| s.split("||"))
        .flat_map(|s| s.split([';', '|', '\n']))
        .map(|s| s.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Commands that act on the files they are given: pasted with no operand, each is
/// the "rm -f on a line of its own" that a broken fix gives.
pub const NEEDS_OPERAND: &[&str] = &[
    "rm", "ln", "install", "chmod", "chown", "mkdir", "mv", "cp", "umount", "touch",
];

/// What is wrong with one pasted command, beyond its syntax (`sh -n` sees that): a
/// simple command that is a path (an argument broken off its command), or one of
/// [`NEEDS_OPERAND`] with no operand.
pub fn incomplete(command: &str) -> Option<String> {
    for words in simple_commands(command) {
        let name = words[0].as_str();
        if name.starts_with('/') || name.starts_with('\'') {
            return Some(format!("a path run as a command: {}", words.join(" ")));
        }
        if NEEDS_OPERAND.contains(&name) && !words[1..].iter().any(|w| !w.starts_with('-')) {
            return Some(format!("{name} with no operand: {}", words.join(" ")));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_commands_back_as_pasted() {
        let text = "root cause: x: y\n  fix: Do `rm -f /r/a`, then\n         : > /r/b\n         rm -f /r/c \\\n           /r/d\n       done `ln -s\n       /x /y`.\n  why it matters: ha-preflight explain x\n";
        let (shown, problems) = fix_commands(text);
        let pastes: Vec<String> = shown.iter().map(Shown::squeezed).collect();
        assert_eq!(pastes, ["rm -f /r/a", ": > /r/b", "rm -f /r/c /r/d"]);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(incomplete("rm -f").is_some());
        assert!(incomplete("/r/var/lib/x").is_some());
        assert!(incomplete("rm -f /r/c \\\n  /r/d").is_none());
        assert!(too_wide(&format!("  evidence: {}\n", "x".repeat(90))).is_empty());
        assert_eq!(too_wide(&format!("{}\n", "x ".repeat(50))).len(), 1);
    }
}
