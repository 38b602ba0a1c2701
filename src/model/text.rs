//! Text from outside (a bundle, an image's files and names, a daemon's reply, a
//! program's output) on its way to a terminal: a control character there is not text
//! but a command (clear the screen, set the window title, move the cursor back over a
//! verdict), so every one is written as an escape a person can read.

use std::fmt::Write;

/// `text` with every control character (C0, even tab and carriage return; DEL; C1) and
/// every bidirectional override or isolate (U+202A..U+202E, U+2066..U+2069: text that
/// reads differently from what it is, "Trojan Source") written visibly: `\t`, `\r`,
/// `\n`, `\x1b`, `\u{9b}`, `\u{202e}`. With `lines`, a newline stays one: for text
/// whose lines are the program's own. A backslash stays as it is: the escapes are for
/// reading, not for decoding.
pub fn visible(text: &str, lines: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' if lines => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0'..='\x7f' if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            '\u{80}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::visible;

    #[test]
    fn controls_are_shown_not_obeyed() {
        assert_eq!(
            visible("a\x1b[2J\x1b]0;t\x07\r\tb\x7f\u{9b}\u{202e}é\\", false),
            "a\\x1b[2J\\x1b]0;t\\x07\\r\\tb\\x7f\\u{9b}\\u{202e}é\\"
        );
        assert_eq!(visible("one\ntwo", false), "one\\ntwo");
        assert_eq!(visible("one\ntwo\x1b", true), "one\ntwo\\x1b");
        assert_eq!(visible("plain text: 100%", false), "plain text: 100%");
    }
}
