//! The width of the terminal standard output is, when it is one: the human report cuts
//! its one-line entries at the width a person really has, and nowhere else (a pipe, a
//! file, the journal keep every line whole). Asked of the terminal itself
//! (TIOCGWINSZ), not of `COLUMNS`, which a shell sets for itself and does not export.

use std::io::IsTerminal;

/// The columns of standard output's terminal; None when it is not a terminal, or one
/// that does not know its size (a serial line nobody set with `stty`: 0x0).
pub fn stdout_columns() -> Option<usize> {
    let stdout = std::io::stdout();
    if !stdout.is_terminal() {
        return None;
    }
    let mut ws = nix::libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one `struct winsize` to the pointer given, which points
    // at one that lives across the call.
    let rc = unsafe {
        nix::libc::ioctl(
            nix::libc::STDOUT_FILENO,
            nix::libc::TIOCGWINSZ,
            &mut ws as *mut nix::libc::winsize,
        )
    };
    (rc == 0 && ws.ws_col > 0).then_some(usize::from(ws.ws_col))
}
