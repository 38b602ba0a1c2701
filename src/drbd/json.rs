//! `drbdsetup status --json` (DRBD 9): an array of resources, each with `devices` and
//! `connections`, each connection with `peer_devices`. Field sets vary between releases,
//! so every field is optional and read by name; a missing state is "Unknown" rather than
//! a guess. Sizes are KiB; `resync-suspended` is a string.

use super::{ParseError, Progress, Volume, parse_error};
use serde_json::Value;

pub fn parse(text: &str) -> Result<Vec<Volume>, ParseError> {
    let doc: Value =
        serde_json::from_str(text).map_err(|e| parse_error(e.line(), format!("not JSON: {e}")))?;
    let resources = doc
        .as_array()
        .ok_or_else(|| parse_error(1, "not a JSON array of resources"))?;
    let mut out = Vec::new();
    for res in resources {
        let name =
            str_of(res, "name").ok_or_else(|| parse_error(1, "a resource without a name"))?;
        let role = str_of(res, "role").unwrap_or("Unknown");
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
            let base = Volume {
                resource: name.to_string(),
                volume: volume.filter(|_| many),
                minor: dev["minor"].as_u64().map(|m| m as u32),
                role: role.to_string(),
                disk: str_of(dev, "disk-state").unwrap_or("Unknown").to_string(),
                client: dev["client"].as_bool().unwrap_or(false),
                quote: format!(
                    "{name}{} role:{role} disk:{}",
                    volume
                        .filter(|_| many)
                        .map(|v| format!(" volume:{v}"))
                        .unwrap_or_default(),
                    str_of(dev, "disk-state").unwrap_or("?")
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
                    let done = pd["percent-resync-done"].as_f64()?;
                    Some(Progress {
                        percent: done,
                        eta_seconds: pd["estimated-seconds-to-finish"].as_u64(),
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
