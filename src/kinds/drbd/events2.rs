//! `drbdsetup events2 --now` (DRBD 9): one object per line, `<action> <object> key:value
//! ...`, ending with `exists -`. `--statistics` adds counters, among them a resync's
//! `eta:` (`nan` while its rate is unknown). Values may hold colons
//! (`ipv4:10.0.0.1:7789`), so each token is split at its first colon; unknown keys are
//! ignored, as drbd-reactor does. Lines are keyed by name, peer and volume, never by
//! their order, which changed in drbd-utils 9.14.

use super::{Eta, ParseError, Progress, Volume, parse_error};
use std::collections::BTreeMap;

/// What the lines about one resource said, the last word on each key kept.
#[derive(Default)]
struct Resource {
    role: String,
    /// `suspended:` lists `quorum` (on-no-quorum suspend-io froze the resource).
    suspended_for_quorum: bool,
    /// By volume.
    devices: BTreeMap<u32, Device>,
    /// peer name -> (connection state, peer role)
    connections: BTreeMap<String, (String, String)>,
    /// By (peer, volume).
    peer_devices: BTreeMap<(String, u32), PeerDevice>,
}

#[derive(Default)]
struct Device {
    disk: String,
    client: bool,
    minor: Option<u32>,
    quorum: Option<bool>,
}

#[derive(Clone)]
struct PeerDevice {
    replication: String,
    peer_disk: String,
    done: Option<f64>,
    /// `--statistics`' `eta:`.
    eta: Eta,
}

impl Default for PeerDevice {
    fn default() -> Self {
        PeerDevice {
            replication: "Off".into(),
            peer_disk: "DUnknown".into(),
            done: None,
            eta: Eta::NotGiven,
        }
    }
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
        let mut kv: BTreeMap<&str, &str> = BTreeMap::new();
        for (k, v) in tokens.filter_map(|t| t.split_once(':')) {
            kv.insert(k, v);
        }
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
                if let Some(suspended) = kv.get("suspended") {
                    res.suspended_for_quorum = suspended.split(',').any(|s| s == "quorum");
                }
            }
            "device" => {
                let dev = res.devices.entry(volume()).or_default();
                if let Some(d) = kv.get("disk") {
                    dev.disk = d.to_string();
                }
                if let Some(c) = kv.get("client") {
                    dev.client = *c == "yes";
                }
                if let Some(m) = kv.get("minor") {
                    dev.minor = m.parse().ok();
                }
                match kv.get("quorum") {
                    Some(&"yes") => dev.quorum = Some(true),
                    Some(&"no") => dev.quorum = Some(false),
                    _ => {}
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
                let pd = res.peer_devices.entry((peer(), volume())).or_default();
                if kv.contains_key("replication") {
                    pd.replication = get("replication");
                }
                if kv.contains_key("peer-disk") {
                    pd.peer_disk = get("peer-disk");
                }
                if let Some(done) = kv.get("done") {
                    pd.done = done.parse().ok();
                }
                // `eta:%.0f`, of NAN while the resync rate is not known yet.
                if let Some(eta) = kv.get("eta") {
                    pd.eta = eta.parse::<u64>().map_or(Eta::Unknown, Eta::from_seconds);
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
        for (&vol, dev) in &res.devices {
            let quorum = if res.suspended_for_quorum {
                Some(false)
            } else {
                dev.quorum
            };
            let disk = &dev.disk;
            let base = Volume {
                resource: name.clone(),
                volume: many.then_some(vol),
                minor: dev.minor,
                role: res.role.clone(),
                disk: if disk.is_empty() {
                    "Unknown".into()
                } else {
                    disk.clone()
                },
                client: dev.client,
                quorum,
                quote: format!(
                    "{name} volume:{vol} role:{} disk:{disk}{}",
                    res.role,
                    if quorum == Some(false) {
                        " quorum:no"
                    } else {
                        ""
                    }
                ),
                ..Volume::default()
            };
            if res.connections.is_empty() {
                out.push(base);
                continue;
            }
            for (peer, (state, peer_role)) in &res.connections {
                let PeerDevice {
                    replication,
                    peer_disk,
                    done,
                    eta,
                } = res
                    .peer_devices
                    .get(&(peer.clone(), vol))
                    .cloned()
                    .unwrap_or_default();
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
                    eta,
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
