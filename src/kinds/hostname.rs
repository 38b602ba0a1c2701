//! Kind `hostname`: the image carries the appliance's name, not the build host's.
//! debootstrap copies the host's /etc/hostname, and postinsts running in a chroot see the
//! host's name (ssh-keygen puts `root@BUILDHOST` in key comments); HA node names are
//! often derived from it.
//!
//! In image mode the machine running the check is, in CI, the build host itself: its
//! name anywhere in the image is the leftover. `expected`, when the spec gives the
//! appliance's name, is checked too.

use super::{ANY, Context, Evaluate, KindDef, LOCAL, boxed};
use crate::config::{Params, SpecError};
use crate::model::{Evidence, Outcome, summarize};
use std::path::Path;

/// What the spec loader knows of this kind; [`super::KINDS`] lists it.
pub const DEF: KindDef = KindDef {
    name: "hostname",
    modes: ANY,
    default_timeout: LOCAL,
    waits: false,
    params: PARAMS,
    parse: |p| Hostname::parse(p).map(boxed),
};

pub const PARAMS: &[&str] = &["expected"];

#[derive(Debug)]
pub struct Hostname {
    /// The appliance's default name, when the spec knows it.
    pub expected: Option<String>,
}

impl Hostname {
    pub fn parse(p: &mut Params) -> Result<Self, SpecError> {
        Ok(Hostname {
            expected: p.string("expected")?,
        })
    }
}

impl Evaluate for Hostname {
    fn evaluate(&self, cx: &Context) -> Outcome {
        let root = &cx.target.root;
        let read = |p: &str| root.read_text(Path::new(p), 64 << 10);
        let mut offenders = Vec::new();
        let name = match read("/etc/hostname") {
            Ok(t) => t.trim().to_string(),
            Err(e) if e.is_not_found() => String::new(),
            Err(e) => return Outcome::error(e.to_string()),
        };
        // In image mode, this machine is the build host (CI runs us right after the build).
        let build_host = cx
            .target
            .is_image()
            .then(|| nix::unistd::gethostname().ok())
            .flatten()
            .map(|h| h.to_string_lossy().into_owned())
            .filter(|h| !h.is_empty() && h != "localhost");
        let is_build_host = |n: &str| {
            build_host
                .as_deref()
                .is_some_and(|b| b == n || b.split('.').next() == Some(n))
        };
        if !name.is_empty() && is_build_host(&name) {
            offenders.push(Evidence::about(
                "/etc/hostname",
                format!(
                    "/etc/hostname says {name:?}, the name of the machine that built the image"
                ),
            ));
        }
        if let Some(expected) = &self.expected
            && !name.is_empty()
            && &name != expected
        {
            offenders.push(Evidence::about(
                "/etc/hostname",
                format!("/etc/hostname says {name:?}, not the appliance's {expected:?}"),
            ));
        }
        if let Ok(hosts) = read("/etc/hosts") {
            for line in hosts.lines() {
                let mut fields = line
                    .split('#')
                    .next()
                    .unwrap_or_default()
                    .split_whitespace();
                if fields.next() == Some("127.0.1.1") {
                    let names: Vec<&str> = fields.collect();
                    if !name.is_empty() && !names.contains(&name.as_str()) {
                        offenders.push(Evidence::about(
                            "/etc/hosts",
                            format!(
                                "/etc/hosts maps 127.0.1.1 to {} but /etc/hostname says {name:?}",
                                names.join(" ")
                            ),
                        ));
                    }
                }
            }
        }
        for leftover in ["/etc/mailname", "/etc/hosts.orig", "/etc/hostname.orig"] {
            if root.exists(Path::new(leftover)) {
                offenders.push(Evidence::about(
                    leftover,
                    format!("{leftover} exists (the build host's?)"),
                ));
            }
        }
        let keys = match root.glob("/etc/ssh/ssh_host_*_key.pub", 64) {
            Ok(keys) => keys,
            Err(e) => return Outcome::error(e.to_string()),
        };
        for key in keys {
            let Ok(text) = root.read_text(&key, 64 << 10) else {
                continue;
            };
            let comment = text.split_whitespace().nth(2).unwrap_or_default();
            if let Some(host) = comment.split('@').nth(1)
                && (host != name || is_build_host(host))
            {
                offenders.push(Evidence::about(
                    &key,
                    format!("{} was made on {host:?} ({comment})", key.display()),
                ));
            }
        }
        let ok = if name.is_empty() {
            "no hostname baked in".to_string()
        } else {
            format!("the image is named {name:?} throughout")
        };
        summarize(offenders, Vec::new(), ok)
    }
}

#[cfg(test)]
mod run_tests;
