//! xcbdaemon's whole reply as it comes off the socket: the HTTP head, then the XML-RPC
//! body (value, fault, or malformed), decoded by the same functions `call` uses.
#![no_main]
use ha_preflight::world::xmlrpc::{decode_reply, show};
use ha_preflight::world::http::{find_header_end, parse_head};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 8000));
    let body = match find_header_end(data) {
        Some((head_end, body_start)) => {
            let head = String::from_utf8_lossy(&data[..head_end]);
            if parse_head(&head).is_err() {
                return;
            }
            &data[body_start..]
        }
        None => data,
    };
    match decode_reply(body, addr) {
        Ok(v) => {
            let _ = show(&v);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
