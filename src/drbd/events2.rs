//! `drbdsetup events2 --now` (DRBD 9): one object per line, `<action> <object> key:value
//! ...`, ending with `exists -`. Values may hold colons (`ipv4:10.0.0.1:7789`), so each
//! token is split at its first colon; unknown keys are ignored, as drbd-reactor does.

use super::{ParseError, Progress, Volume, parse_error};
use std::collections::BTreeMap;

#[derive(Default)]
struct Resource {
    role: String,
    /// volume -> (disk, client, minor)
    devices: BTreeMap<u32, (String, bool, Option<u32>)>,
    /// peer name -> (connection state, peer role)
    connections: BTreeMap<String, (String, String)>,
    /// (peer, volume) -> (replication, peer disk, done %)
    peer_devices: BTreeMap<(String, u32), (String, String, Option<f64>)>,
}

pub fn parse(text: &str) -> Result<Vec<Volume>, ParseError> {
    let mut resources: BTreeMap<String, Resource> = BTreeMap::new();
    let mut ended = false;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let mut tokens = line.split_whitespace();
        let action = tokens.next().unwrap_or_default();
        // --timestamps puts an ISO time first.
        let action = if action.contains('T') && action.contains(':') {
            tokens.next().unwrap_or_default()
        } else {
            action
        };
        let object = tokens
            .next()
            .ok_or_else(|| parse_error(n, format!("no object in {line:?}")))?;
        if !matches!(
            action,
            "exists" | "create" | "change" | "destroy" | "call" | "response" | "rename"
        ) {
            return Err(parse_error(n, format!("unknown events2 action {action:?}")));
        }
        if object == "-" {
            ended = true;
            continue;
        }
        let kv: BTreeMap<&str, &str> = tokens.filter_map(|t| t.split_once(':')).collect();
        let Some(&name) = kv.get("name") else {
            continue; // helpers and paths without a resource name
        };
        let res = resources.entry(name.to_string()).or_default();
        let get = |k: &str| kv.get(k).copied().unwrap_or_default().to_string();
        let volume = || {
            kv.get("volume")
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(0)
        };
        let peer = || kv.get("conn-name").copied().unwrap_or("peer").to_string();
        if action == "destroy" {
            continue;
        }
        match object {
            "resource" => {
                if let Some(role) = kv.get("role") {
                    res.role = role.to_string();
                }
            }
            "device" => {
                let entry = res.devices.entry(volume()).or_default();
                if let Some(d) = kv.get("disk") {
                    entry.0 = d.to_string();
                }
                if let Some(c) = kv.get("client") {
                    entry.1 = *c == "yes";
                }
                if let Some(m) = kv.get("minor") {
                    entry.2 = m.parse().ok();
                }
            }
            "connection" => {
                let entry = res.connections.entry(peer()).or_default();
                if kv.contains_key("connection") {
                    entry.0 = get("connection");
                }
                if kv.contains_key("role") {
                    entry.1 = get("role");
                }
            }
            "peer-device" => {
                let entry = res.peer_devices.entry((peer(), volume())).or_default();
                if kv.contains_key("replication") {
                    entry.0 = get("replication");
                }
                if kv.contains_key("peer-disk") {
                    entry.1 = get("peer-disk");
                }
                if let Some(done) = kv.get("done") {
                    entry.2 = done.parse().ok();
                }
            }
            _ => {}
        }
    }
    if !ended && !resources.is_empty() {
        return Err(parse_error(
            text.lines().count(),
            "no closing `exists -` line: output cut short",
        ));
    }
    if !ended && text.trim().is_empty() {
        return Err(parse_error(1, "empty: no `exists -` line"));
    }
    let mut out = Vec::new();
    for (name, res) in &resources {
        let many = res.devices.len() > 1;
        for (&vol, (disk, client, minor)) in &res.devices {
            let base = Volume {
                resource: name.clone(),
                volume: many.then_some(vol),
                minor: *minor,
                role: res.role.clone(),
                disk: if disk.is_empty() {
                    "Unknown".into()
                } else {
                    disk.clone()
                },
                client: *client,
                quote: format!("{name} volume:{vol} role:{} disk:{disk}", res.role),
                ..Volume::default()
            };
            if res.connections.is_empty() {
                out.push(base);
                continue;
            }
            for (peer, (state, peer_role)) in &res.connections {
                let (replication, peer_disk, done) = res
                    .peer_devices
                    .get(&(peer.clone(), vol))
                    .cloned()
                    .unwrap_or_else(|| ("Off".into(), "DUnknown".into(), None));
                let mut v = base.clone();
                v.peer = Some(peer.clone());
                v.conn = if state == "Connected" {
                    replication.clone()
                } else {
                    state.clone()
                };
                v.peer_role = peer_role.clone();
                v.peer_disk = peer_disk.clone();
                v.progress = done.map(|percent| Progress {
                    percent,
                    eta_seconds: None,
                    stalled: false,
                });
                v.quote.push_str(&format!(
                    " | {peer} connection:{state} replication:{replication} peer-disk:{peer_disk}"
                ));
                out.push(v);
            }
        }
    }
    Ok(out)
}
