//! `STATUS=` lines to systemd (sd_notify), so `systemctl status ha-preflight` shows what
//! the boot is waiting for. Written by hand: one datagram on the socket named by
//! NOTIFY_SOCKET (a path, or an abstract name starting with '@'), sent non-blocking so a
//! full socket buffer can never hold the run. The unit needs NotifyAccess=main.

use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};

pub fn status(text: &str) {
    let Some(target) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    let target = target.to_string_lossy().into_owned();
    let addr = match target.strip_prefix('@') {
        Some(name) => SocketAddr::from_abstract_name(name.as_bytes()),
        None => SocketAddr::from_pathname(&target),
    };
    let Ok(addr) = addr else {
        return;
    };
    // Best effort: a status line that cannot be sent changes nothing about the checks.
    if let Ok(sock) = UnixDatagram::unbound() {
        let _ = sock.set_nonblocking(true);
        // One line (a newline would start another assignment), and shown by
        // `systemctl status` on a terminal: control characters escaped.
        let line: String = crate::model::text::visible(text, false)
            .chars()
            .take(400)
            .collect();
        let _ = sock.send_to_addr(format!("STATUS={line}\n").as_bytes(), &addr);
    }
}
