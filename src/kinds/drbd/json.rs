//! `drbdsetup status --json` (DRBD 9): an array of resources, each with `devices` and
//! `connections`, each connection with `peer_devices`. Field sets vary between releases,
//! so every field is optional and read by name; a missing state is "Unknown" rather than
//! a guess. Sizes are KiB; `resync-suspended` is a string.
//!
//! drbdsetup writes its JSON with printf, not a JSON library, and some releases print
//! what strict JSON rejects: a double that is not a number, as C prints it
//! (`"estimated-seconds-to-finish": nan` in 9.4 and 9.5, while a resync's rate is not
//! known yet), and a comma before a closing bracket (8.9.8 to 8.9.10, a device without
//! statistics). [`lenient`] reads `nan`, `inf` and their signed forms as `null`, and
//! drops such commas, before the JSON parser sees the text.
//!
//! Other differences between releases, all read here:
//! - drbd-utils 9.2 and 9.3 print `client`, `peer-client` and `quorum` as strings
//!   (`"quorum": "false"`, `"client": "no"`); later releases print JSON booleans;
//! - 9.0 to 9.3 name the resync's progress `resync-done`, later ones
//!   `percent-resync-done`;
//! - 8.9.8 to 8.9.10 misspell the device's state key as `"disk-state:"`;
//! - quorum: a device's `quorum` (DRBD 9.0.8 and later), and the resource's
//!   `suspended-quorum` (9.21 and later: `on-no-quorum suspend-io` froze it).

use super::{Eta, ParseError, Progress, Volume, parse_error};
use serde_json::Value;
use std::borrow::Cow;

pub fn parse(text: &str) -> Result<Vec<Volume>, ParseError> {
    // From the bytes, as the bundle reader's from_slice: one copy of serde_json's parser
    // in the binary, not a second one for str input (4 KiB).
    let doc: Value = serde_json::from_slice(lenient(text).as_bytes())
        .map_err(|e| parse_error(e.line(), format!("not JSON: {e}")))?;
    let resources = doc
        .as_array()
        .ok_or_else(|| parse_error(1, "not a JSON array of resources"))?;
    let mut out = Vec::new();
    for res in resources {
        let name =
            str_of(res, "name").ok_or_else(|| parse_error(1, "a resource without a name"))?;
        let role = str_of(res, "role").unwrap_or("Unknown");
        let suspended_for_quorum = bool_of(res, "suspended-quorum") == Some(true);
        let devices = res["devices"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let connections = res["connections"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let many = devices.len() > 1;
        for dev in devices {
            let volume = dev["volume"].as_u64().map(|v| v as u32);
            let disk = str_of(dev, "disk-state").or_else(|| str_of(dev, "disk-state:"));
            let quorum = match bool_of(dev, "quorum") {
                _ if suspended_for_quorum => Some(false),
                q => q,
            };
            let base = Volume {
                resource: name.to_string(),
                volume: volume.filter(|_| many),
                minor: dev["minor"].as_u64().map(|m| m as u32),
                role: role.to_string(),
                disk: disk.unwrap_or("Unknown").to_string(),
                client: bool_of(dev, "client").unwrap_or(false),
                quorum,
                quote: format!(
                    "{name}{} role:{role} disk:{}{}",
                    volume
                        .filter(|_| many)
                        .map(|v| format!(" volume:{v}"))
                        .unwrap_or_default(),
                    disk.unwrap_or("?"),
                    match quorum {
                        Some(false) => " quorum:no",
                        _ => "",
                    }
                ),
                ..Volume::default()
            };
            if connections.is_empty() {
                out.push(base);
                continue;
            }
            for conn in connections {
                let peer = str_of(conn, "name").unwrap_or("peer").to_string();
                let state = str_of(conn, "connection-state").unwrap_or("Unknown");
                let pd = conn["peer_devices"].as_array().and_then(|pds| {
                    pds.iter()
                        .find(|pd| pd["volume"].as_u64().map(|v| v as u32) == volume)
                });
                let replication = pd
                    .and_then(|pd| str_of(pd, "replication-state"))
                    .unwrap_or("Off");
                let peer_disk = pd
                    .and_then(|pd| str_of(pd, "peer-disk-state"))
                    .unwrap_or("DUnknown");
                let progress = pd.and_then(|pd| {
                    let done = pd["percent-resync-done"]
                        .as_f64()
                        .or_else(|| pd["resync-done"].as_f64())?;
                    Some(Progress {
                        percent: done,
                        // null is what a printed `nan` becomes.
                        eta: match pd.get("estimated-seconds-to-finish") {
                            None => Eta::NotGiven,
                            Some(v) => v.as_u64().map_or(Eta::Unknown, Eta::from_seconds),
                        },
                        stalled: false,
                    })
                });
                let mut v = base.clone();
                v.peer = Some(peer.clone());
                v.conn = if state == "Connected" {
                    replication.to_string()
                } else {
                    state.to_string()
                };
                v.peer_role = str_of(conn, "peer-role").unwrap_or("Unknown").to_string();
                v.peer_disk = peer_disk.to_string();
                v.progress = progress;
                v.oos = pd.and_then(|pd| pd["out-of-sync"].as_u64());
                v.quote.push_str(&format!(
                    " | {peer} connection:{state} replication:{replication} peer-disk:{peer_disk}"
                ));
                out.push(v);
            }
        }
    }
    Ok(out)
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// A flag as any release prints it: a JSON boolean, or "yes"/"no"/"true"/"false".
/// Anything else is not a flag (None), never "set".
fn bool_of(v: &Value, key: &str) -> Option<bool> {
    match v.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.as_str() {
            "yes" | "true" => Some(true),
            "no" | "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// `text` with every bare `nan`, `inf` or `infinity` (any case, either sign) outside a
/// string replaced by `null`, and every comma that only whitespace separates from a
/// closing `}` or `]` removed: what drbdsetup's printf-made JSON needs to parse. Strings
/// are never touched; the text is borrowed when there is nothing to change.
pub fn lenient(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let replace = |out: &mut Option<String>, copied: &mut usize, at: usize, end, with| {
        let s = out.get_or_insert_with(|| String::with_capacity(text.len()));
        s.push_str(&text[*copied..at]);
        s.push_str(with);
        *copied = end;
    };
    let (mut i, mut in_string, mut escaped) = (0, false, false);
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        match b {
            b'"' => in_string = true,
            b',' => {
                let next = bytes[i + 1..].iter().find(|c| !c.is_ascii_whitespace());
                if matches!(next, Some(b'}' | b']')) {
                    replace(&mut out, &mut copied, i, i + 1, "");
                }
            }
            _ => {
                let sign = usize::from(matches!(b, b'-' | b'+'));
                if bytes.get(i + sign).is_some_and(u8::is_ascii_alphabetic) {
                    let mut end = i + sign;
                    while bytes.get(end).is_some_and(u8::is_ascii_alphabetic) {
                        end += 1;
                    }
                    let word = text[i + sign..end].to_ascii_lowercase();
                    if matches!(word.as_str(), "nan" | "inf" | "infinity") {
                        replace(&mut out, &mut copied, i, end, "null");
                    }
                    i = end;
                    continue;
                }
            }
        }
        i += 1;
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut s) => {
            s.push_str(&text[copied..]);
            Cow::Owned(s)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printf_json_is_mended_outside_strings() {
        assert_eq!(
            lenient(r#"{"a": nan, "b": -nan, "c": inf, "d": "nan"}"#),
            r#"{"a": null, "b": null, "c": null, "d": "nan"}"#
        );
        assert_eq!(
            lenient(r#"{"x\"nan": true, "y": NaN}"#),
            r#"{"x\"nan": true, "y": null}"#
        );
        assert_eq!(
            lenient("[{\"a\": 1,\n }, \"b,]\",\n]"),
            "[{\"a\": 1\n }, \"b,]\"\n]"
        );
        assert!(matches!(lenient("[1, true, null]"), Cow::Borrowed(_)));
    }
}
