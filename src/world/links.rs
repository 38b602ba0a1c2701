//! Network links: administrative state (IFF_UP), carrier (IFF_RUNNING) and IPv4 addresses.
//!
//! Live, from the kernel over netlink (getifaddrs): this sees the caller's network
//! namespace even where /sys was mounted in another one. From a captured /sys, from
//! `class/net/*/flags` and `carrier`, with local addresses from the captured
//! `/proc/net/fib_trie`, the only place /proc lists IPv4 addresses.
//!
//! operstate is deliberately not used for "up": loopback has no operstate driver and
//! reads "unknown" even when it works.

use super::question::Question;
use super::read::ReadError;
use super::tape::taped;
use super::{DoorError, KernelError, Live, Target};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use thiserror::Error;

const IFF_UP: u32 = 0x1;

#[derive(Debug, Error)]
pub enum LinkError {
    #[error("reading interfaces from the kernel (getifaddrs): {0}")]
    Kernel(nix::Error),
    #[error(transparent)]
    Read(#[from] KernelError),
    /// How reading the links went wrong when the bundle was collected, or that the
    /// bundle has no answer.
    #[error(transparent)]
    Door(#[from] DoorError),
    #[error("{}: not a hexadecimal flags value: {text:?}", path.display())]
    Flags { path: PathBuf, text: String },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Link {
    pub up: bool,
    /// IFF_RUNNING live; `carrier` = 1 from a captured /sys.
    pub running: bool,
    /// IPv4 addresses with prefix length. From a captured /sys the prefix is unknown and
    /// recorded as 32 (fib_trie lists local addresses as /32 host routes).
    pub ipv4: Vec<(Ipv4Addr, u8)>,
}

#[derive(Debug, Default)]
pub struct Links {
    pub links: BTreeMap<String, Link>,
    /// Where the facts came from, for evidence.
    pub from: String,
    /// True when addresses are known per link; false when only the set of local addresses
    /// is known (captured /proc/net/fib_trie), and they are listed under every link.
    pub per_link_addresses: bool,
    /// Why addresses are not known at all (a capture without fib_trie).
    pub addresses_unknown: Option<String>,
}

impl LinkError {
    /// The errno the links could not be read with, live or as the bundle recorded it.
    pub fn errno(&self) -> Option<nix::errno::Errno> {
        match self {
            LinkError::Kernel(e) => Some(*e),
            LinkError::Read(KernelError::Read(ReadError::Io { source, .. })) => {
                source.raw_os_error().map(nix::errno::Errno::from_raw)
            }
            LinkError::Door(e) => e.errno(),
            LinkError::Read(_) | LinkError::Flags { .. } => None,
        }
    }
}

impl Links {
    pub fn load(target: &Target) -> Result<Self, LinkError> {
        match target.kernel() {
            Ok(live) => taped(
                target.tape.as_deref(),
                || Question::Links,
                || Self::from_kernel(live),
                |r| match r {
                    Ok(links) => links_to_value(links),
                    Err(e) => super::door::failed_value(&e.to_string(), e.errno()),
                },
                |v| match DoorError::from_value(v) {
                    Some(e) => Some(Err(e.into())),
                    None => links_from_value(v).map(Ok),
                },
                || Err(DoorError::Miss { program: None }.into()),
            ),
            Err(_) => Self::from_captured(target),
        }
    }

    fn from_kernel(_live: Live) -> Result<Self, LinkError> {
        use nix::net::if_::InterfaceFlags;
        let mut links: BTreeMap<String, Link> = BTreeMap::new();
        for ifa in nix::ifaddrs::getifaddrs().map_err(LinkError::Kernel)? {
            let link = links.entry(ifa.interface_name.clone()).or_default();
            link.up = ifa.flags.contains(InterfaceFlags::IFF_UP);
            link.running = ifa.flags.contains(InterfaceFlags::IFF_RUNNING);
            let addr = ifa
                .address
                .as_ref()
                .and_then(|a| a.as_sockaddr_in())
                .map(|a| a.ip());
            let mask = ifa
                .netmask
                .as_ref()
                .and_then(|a| a.as_sockaddr_in())
                .map(|a| a.ip());
            if let Some(addr) = addr {
                let prefix = mask.map_or(32, |m| u32::from(m).count_ones() as u8);
                link.ipv4.push((addr, prefix));
            }
        }
        Ok(Links {
            links,
            from: "the kernel (netlink)".into(),
            per_link_addresses: true,
            addresses_unknown: None,
        })
    }

    fn from_captured(target: &Target) -> Result<Self, LinkError> {
        let names = target.sys_list("class/net")?;
        let fib_trie = "net/fib_trie";
        let (local, addresses_unknown) = match target.proc_text(fib_trie, 4 << 20) {
            Ok(text) => (local_addresses(&text), None),
            Err(e) if e.is_not_found() || matches!(e, KernelError::NotHere(_)) => (
                Vec::new(),
                Some(format!("/proc/{fib_trie} was not captured")),
            ),
            Err(e) => return Err(e.into()),
        };
        let mut links = BTreeMap::new();
        for name in names.into_iter().take(4096) {
            let flags_rel = format!("class/net/{name}/flags");
            let text = target.sys_text(&flags_rel, 64)?;
            let flags =
                u32::from_str_radix(text.trim().trim_start_matches("0x"), 16).map_err(|_| {
                    LinkError::Flags {
                        path: PathBuf::from("/sys").join(&flags_rel),
                        text: text.trim().to_string(),
                    }
                })?;
            // carrier cannot be read while the link is down (EINVAL): that is "no carrier".
            let running = target
                .sys_text(&format!("class/net/{name}/carrier"), 64)
                .is_ok_and(|c| c.trim() == "1");
            links.insert(
                name,
                Link {
                    up: flags & IFF_UP != 0,
                    running,
                    ipv4: local.iter().map(|&a| (a, 32)).collect(),
                },
            );
        }
        Ok(Links {
            links,
            from: format!(
                "{} and {}",
                target
                    .sys_path("class/net")
                    .map_or_else(|e| e.to_string(), |p| p.display().to_string()),
                target
                    .proc_path(fib_trie)
                    .map_or_else(|e| e.to_string(), |p| p.display().to_string())
            ),
            per_link_addresses: false,
            addresses_unknown,
        })
    }
}

/// The kernel's links as a bundle's tape keeps them.
fn links_to_value(links: &Links) -> Value {
    // Inserted one by one: collecting a map sorts, in a compiled copy of its own.
    let mut map = serde_json::Map::new();
    for (name, l) in &links.links {
        let ipv4: Vec<String> = l.ipv4.iter().map(|(a, p)| format!("{a}/{p}")).collect();
        map.insert(
            name.clone(),
            json!({ "up": l.up, "running": l.running, "ipv4": ipv4 }),
        );
    }
    json!({ "links": map })
}

fn links_from_value(v: &Value) -> Option<Links> {
    let mut links = BTreeMap::new();
    for (name, l) in v.get("links")?.as_object()? {
        let mut ipv4 = Vec::new();
        for a in l.get("ipv4")?.as_array()? {
            let (addr, prefix) = a.as_str()?.split_once('/')?;
            ipv4.push((addr.parse().ok()?, prefix.parse().ok()?));
        }
        links.insert(
            name.clone(),
            Link {
                up: l.get("up")?.as_bool()?,
                running: l.get("running")?.as_bool()?,
                ipv4,
            },
        );
    }
    Some(Links {
        links,
        from: "the bundle (the kernel's links, over netlink, when it was taken)".into(),
        per_link_addresses: true,
        addresses_unknown: None,
    })
}

/// Local IPv4 addresses from /proc/net/fib_trie: a leaf line `|-- A.B.C.D` followed by a
/// `/32 host LOCAL` line.
pub fn local_addresses(fib_trie: &str) -> Vec<Ipv4Addr> {
    let mut out = Vec::new();
    let mut leaf: Option<Ipv4Addr> = None;
    for line in fib_trie.lines() {
        let line = line.trim();
        if let Some(addr) = line.strip_prefix("|-- ") {
            leaf = addr.trim().parse().ok();
        } else if line.starts_with("/32 host LOCAL")
            && let Some(addr) = leaf
            && !out.contains(&addr)
        {
            out.push(addr);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_local_addresses_from_fib_trie() {
        let text = include_str!("../../tests/fixtures/interface/fib_trie-lo-up.txt");
        assert_eq!(local_addresses(text), vec![Ipv4Addr::new(127, 0, 0, 1)]);
        assert!(local_addresses("").is_empty());
    }
}
