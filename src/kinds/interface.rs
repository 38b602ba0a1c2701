//! Kind `interface`: a network interface is administratively up, has carrier, and carries
//! the expected IPv4 addresses. lo-up uses it: in the incident (doc/incident.md) lo was never brought up, so
//! xcbdaemon, reached over loopback, was unreachable.
//!
//! Flags, not operstate: lo's operstate reads "unknown" even when it works.

use super::{BOOT, Context, Evaluate, KindDef, LOCAL, boxed};
use crate::config::Params;
use crate::config::SpecError;
use crate::model::Outcome;
use std::net::Ipv4Addr;

/// What the spec loader knows of this kind; [`super::KINDS`] lists it.
pub const DEF: KindDef = KindDef {
    name: "interface",
    modes: BOOT,
    default_timeout: LOCAL,
    waits: false,
    params: PARAMS,
    parse: |p| Interface::parse(p).map(boxed),
};

pub const PARAMS: &[&str] = &["name", "addresses"];

#[derive(Debug)]
pub struct Interface {
    pub name: String,
    /// `(address, prefix length)`, written `127.0.0.1/8` in the spec.
    pub addresses: Vec<(Ipv4Addr, u8)>,
}

impl Interface {
    pub fn parse(p: &mut Params) -> Result<Self, SpecError> {
        let name: String = p.require_string("name", "the interface name, such as lo")?;
        let raw = p.take_raw("addresses");
        let mut addresses = Vec::new();
        if let Some(raw) = raw {
            let span = raw.span();
            let list: Vec<String> = raw.into_inner().try_into().map_err(|_| {
                p.source().error_at(
                    span.clone(),
                    "`addresses` must be a list such as [\"127.0.0.1/8\"]",
                )
            })?;
            for text in list {
                let parsed = parse_cidr(&text).ok_or_else(|| {
                    p.source().error_at(
                        span.clone(),
                        format!("`{text}` is not an IPv4 address/prefix such as 127.0.0.1/8"),
                    )
                })?;
                addresses.push(parsed);
            }
        }
        Ok(Interface { name, addresses })
    }
}

impl Evaluate for Interface {
    fn evaluate(&self, cx: &Context) -> Outcome {
        let links = match cx.facts.links(cx.target) {
            Ok(l) => l,
            Err(e) => return Outcome::error(format!("cannot read interface state: {e}")),
        };
        let name = &self.name;
        let Some(link) = links.links.get(name) else {
            return Outcome::fail(format!("{name} does not exist"))
                .with(format!("{}: no interface named {name}", links.from))
                .fix(format!(
                    "No link named {name}: check the name in the spec against `ip link`, and\n\
                     that its driver is loaded."
                ));
        };
        let state = format!(
            "{}: {name} flags: {}{}",
            links.from,
            if link.up { "UP" } else { "not UP" },
            if link.running {
                ",RUNNING"
            } else {
                ",not RUNNING"
            }
        );
        if !link.up {
            return Outcome::fail(format!("{name} is down (IFF_UP not set)"))
                .with(state)
                .fix(format!(
                    "`ip link set {name} up` brings it up now{}. Then find out why ifupdown\n\
                     did not: a stale state file (netrun-stale), or {name} missing from\n\
                     /etc/network/interfaces (`auto {name}`).",
                    if name == "lo" {
                        " (the kernel adds 127.0.0.1/8 itself)"
                    } else {
                        ""
                    }
                ));
        }
        if !link.running {
            return Outcome::fail(format!(
                "{name} is up but has no carrier (IFF_RUNNING not set)"
            ))
            .with(state)
            .fix(format!(
                "{name} has no carrier: check its cable or its peer (`ip -s link show {name}`,\n\
                 `ethtool {name}`); a virtual link needs its other end up."
            ));
        }
        if let Some(why) = &links.addresses_unknown
            && !self.addresses.is_empty()
        {
            return Outcome::error(format!(
                "{name} is up, but its addresses cannot be checked: {why}"
            ))
            .with(state);
        }
        let have: Vec<String> = link.ipv4.iter().map(|(a, p)| format!("{a}/{p}")).collect();
        let addr_evidence = format!(
            "{name} IPv4 addresses: {}",
            if have.is_empty() {
                "none".into()
            } else {
                have.join(", ")
            }
        );
        for (addr, prefix) in &self.addresses {
            let present = link
                .ipv4
                .iter()
                .any(|(a, p)| a == addr && (p == prefix || !links.per_link_addresses));
            if !present {
                return Outcome::fail(format!("{name} is up but does not have {addr}/{prefix}"))
                    .with(state)
                    .with(addr_evidence)
                    .fix(format!(
                        "`ip addr add {addr}/{prefix} dev {name}` adds it now; then give {name}\n\
                         that address in /etc/network/interfaces so every boot does."
                    ));
            }
        }
        let mut outcome = Outcome::pass(if self.addresses.is_empty() {
            format!("{name} is up with carrier")
        } else {
            let want: Vec<String> = self
                .addresses
                .iter()
                .map(|(a, p)| format!("{a}/{p}"))
                .collect();
            format!("{name} is up with carrier and {}", want.join(", "))
        })
        .with(state)
        .with(addr_evidence);
        if !links.per_link_addresses && !self.addresses.is_empty() {
            outcome.evidence.push("captured state: addresses are the box's local addresses; prefix lengths and owning interface not recorded".into());
        }
        outcome
    }
}

fn parse_cidr(text: &str) -> Option<(Ipv4Addr, u8)> {
    let (addr, prefix) = text.split_once('/')?;
    let prefix: u8 = prefix.parse().ok()?;
    (prefix <= 32).then_some((addr.parse().ok()?, prefix))
}

#[cfg(test)]
mod run_tests;
