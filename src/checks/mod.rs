//! Check kinds: the Rust code a spec's `kind = "..."` names. One module per kind, each
//! with its parameters (parsed from the spec) and an `evaluate` that looks at the target
//! and returns an [`Outcome`]. Kinds decide; they do not print.
//!
//! | kind           | module          | shipped checks                |
//! |----------------|-----------------|-------------------------------|
//! | `mount`        | `mount`         | shm-tmpfs                     |
//! | `volatile-dir` | `volatile_dir`  | netrun-layout                 |
//! | `ifstate`      | `ifstate`       | netrun-stale                  |
//! | `interface`    | `interface`     | lo-up                         |
//! | `xmlrpc`       | `xmlrpc`        | xcbdaemon-rpc                 |
//! | `drbd`         | `drbd`          | drbd-consistent               |
//! | `path`         | `path`          | policy-rc-d, machine-id, ssh-host-keys, resolv-conf, apt-proxy, mtab-link |
//! | `diversions`   | `diversions`    | dpkg-diversions               |
//! | `hostname`     | `hostname`      | build-hostname                |
//! | `unit-wiring`  | `unit_wiring`   | unit-wiring                   |
//! | `tree`         | `tree`          | unknown-owners, runtime-leftovers, tmp-leftovers, qemu-user-static, dev-nodes |
//! | `locks`        | `locks`         | stale-locks                   |
//! | `filesystem`   | `filesystem`    | fs-errors                     |
//! | `file-age`     | `file_age`      | sync-age                      |
//! | `role`         | `role`          | role-leftovers                |
//! | `sequence`     | `sequence`      | peer-sequence                 |

pub mod diversions;
pub mod drbd;
pub mod file_age;
pub mod filesystem;
pub mod hostname;
pub mod ifstate;
pub mod interface;
pub mod locks;
pub mod mount;
pub mod path;
pub mod role;
pub mod sequence;
pub mod tree;
pub mod unit_wiring;
pub mod volatile_dir;
pub mod xmlrpc;

use crate::facts::Facts;
use crate::outcome::Outcome;
use crate::spec::params::Params;
use crate::spec::{Mode, SpecError};
use crate::target::Target;
use std::time::{Duration, Instant};

/// What a kind gets to look at.
pub struct Context<'a> {
    pub target: &'a Target,
    pub facts: &'a Facts,
    /// When this evaluation must be finished; kinds that wait on I/O bound it by this.
    pub deadline: Instant,
}

#[derive(Debug)]
pub enum Kind {
    Mount(mount::Mount),
    VolatileDir(volatile_dir::VolatileDir),
    Ifstate(ifstate::Ifstate),
    Interface(interface::Interface),
    Xmlrpc(xmlrpc::Xmlrpc),
    Drbd(drbd::Drbd),
    Path(path::PathRules),
    Diversions(diversions::Diversions),
    Hostname(hostname::Hostname),
    UnitWiring(unit_wiring::UnitWiring),
    Tree(tree::TreeCheck),
    Locks(locks::Locks),
    Filesystem(filesystem::Filesystem),
    FileAge(file_age::FileAge),
    Role(role::Role),
    Sequence(sequence::Sequence),
    /// Test-only: blocks for the duration, ignoring its deadline, as a check stuck in the
    /// kernel on a hung mount would. Lets the engine's abandonment be tested for real.
    #[cfg(test)]
    Stall(Duration),
}

impl Kind {
    pub const NAMES: &[&str] = &[
        "mount",
        "volatile-dir",
        "ifstate",
        "interface",
        "xmlrpc",
        "drbd",
        "path",
        "diversions",
        "hostname",
        "unit-wiring",
        "tree",
        "locks",
        "filesystem",
        "file-age",
        "role",
        "sequence",
    ];

    /// Parses the kind's parameters; returns the kind and the names it accepts.
    pub fn parse(name: &str, p: &mut Params) -> Result<(Kind, &'static [&'static str]), SpecError> {
        Ok(match name {
            "mount" => (Kind::Mount(mount::Mount::parse(p)?), mount::PARAMS),
            "volatile-dir" => (
                Kind::VolatileDir(volatile_dir::VolatileDir::parse(p)?),
                volatile_dir::PARAMS,
            ),
            "ifstate" => (Kind::Ifstate(ifstate::Ifstate::parse(p)?), ifstate::PARAMS),
            "interface" => (
                Kind::Interface(interface::Interface::parse(p)?),
                interface::PARAMS,
            ),
            "xmlrpc" => (Kind::Xmlrpc(xmlrpc::Xmlrpc::parse(p)?), xmlrpc::PARAMS),
            "drbd" => (Kind::Drbd(drbd::Drbd::parse(p)?), drbd::PARAMS),
            "path" => (Kind::Path(path::PathRules::parse(p)?), path::PARAMS),
            "diversions" => (
                Kind::Diversions(diversions::Diversions::parse(p)?),
                diversions::PARAMS,
            ),
            "hostname" => (
                Kind::Hostname(hostname::Hostname::parse(p)?),
                hostname::PARAMS,
            ),
            "unit-wiring" => (
                Kind::UnitWiring(unit_wiring::UnitWiring::parse(p)?),
                unit_wiring::PARAMS,
            ),
            "tree" => (Kind::Tree(tree::TreeCheck::parse(p)?), tree::PARAMS),
            "locks" => (Kind::Locks(locks::Locks::parse(p)?), locks::PARAMS),
            "filesystem" => (
                Kind::Filesystem(filesystem::Filesystem::parse(p)?),
                filesystem::PARAMS,
            ),
            "file-age" => (
                Kind::FileAge(file_age::FileAge::parse(p)?),
                file_age::PARAMS,
            ),
            "role" => (Kind::Role(role::Role::parse(p)?), role::PARAMS),
            "sequence" => (
                Kind::Sequence(sequence::Sequence::parse(p)?),
                sequence::PARAMS,
            ),
            other => return Err(p.error_here(format!("unknown kind `{other}`"))),
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Kind::Mount(_) => "mount",
            Kind::VolatileDir(_) => "volatile-dir",
            Kind::Ifstate(_) => "ifstate",
            Kind::Interface(_) => "interface",
            Kind::Xmlrpc(_) => "xmlrpc",
            Kind::Drbd(_) => "drbd",
            Kind::Path(_) => "path",
            Kind::Diversions(_) => "diversions",
            Kind::Hostname(_) => "hostname",
            Kind::UnitWiring(_) => "unit-wiring",
            Kind::Tree(_) => "tree",
            Kind::Locks(_) => "locks",
            Kind::Filesystem(_) => "filesystem",
            Kind::FileAge(_) => "file-age",
            Kind::Role(_) => "role",
            Kind::Sequence(_) => "sequence",
            #[cfg(test)]
            Kind::Stall(_) => "stall",
        }
    }

    /// The modes this kind can judge: kernel state exists only on a running system, and
    /// a tree walk only makes sense for an image.
    pub fn modes(&self) -> &'static [Mode] {
        match self {
            Kind::Mount(_) => &[Mode::Boot, Mode::BuildHost],
            Kind::VolatileDir(_) | Kind::Ifstate(_) => &[Mode::Boot, Mode::Image],
            Kind::Interface(_)
            | Kind::Xmlrpc(_)
            | Kind::Drbd(_)
            | Kind::Locks(_)
            | Kind::Filesystem(_)
            | Kind::FileAge(_)
            | Kind::Role(_)
            | Kind::Sequence(_) => &[Mode::Boot],
            Kind::Path(_) | Kind::Diversions(_) | Kind::Hostname(_) | Kind::UnitWiring(_) => {
                &[Mode::Boot, Mode::Image, Mode::BuildHost]
            }
            Kind::Tree(_) => &[Mode::Image],
            #[cfg(test)]
            Kind::Stall(_) => &[Mode::Boot],
        }
    }

    /// How long an evaluation may take when the spec does not say. Local checks read a
    /// few small files; a hung network mount is the only way they take longer.
    pub fn default_timeout(&self) -> Duration {
        match self {
            Kind::Xmlrpc(_) => Duration::from_secs(2),
            // Another machine, over the network: long enough for a busy leader, short
            // enough that a dead one costs little.
            Kind::Sequence(_) => Duration::from_secs(3),
            _ => Duration::from_secs(5),
        }
    }

    pub fn evaluate(&self, cx: &Context) -> Outcome {
        match self {
            Kind::Mount(k) => k.evaluate(cx),
            Kind::VolatileDir(k) => k.evaluate(cx),
            Kind::Ifstate(k) => k.evaluate(cx),
            Kind::Interface(k) => k.evaluate(cx),
            Kind::Xmlrpc(k) => k.evaluate(cx),
            Kind::Drbd(k) => k.evaluate(cx),
            Kind::Path(k) => k.evaluate(cx),
            Kind::Diversions(k) => k.evaluate(cx),
            Kind::Hostname(k) => k.evaluate(cx),
            Kind::UnitWiring(k) => k.evaluate(cx),
            Kind::Tree(k) => k.evaluate(cx),
            Kind::Locks(k) => k.evaluate(cx),
            Kind::Filesystem(k) => k.evaluate(cx),
            Kind::FileAge(k) => k.evaluate(cx),
            Kind::Role(k) => k.evaluate(cx),
            Kind::Sequence(k) => k.evaluate(cx),
            #[cfg(test)]
            Kind::Stall(d) => {
                std::thread::sleep(*d);
                Outcome::pass("stalled")
            }
        }
    }
}

/// Takes a required absolute path parameter.
pub(crate) fn require_abs_path(p: &mut Params, key: &str) -> Result<std::path::PathBuf, SpecError> {
    let raw = p
        .take_raw(key)
        .ok_or_else(|| p.error_here(format!("missing `{key}` (an absolute path)")))?;
    match raw.get_ref().as_str() {
        Some(s) if s.starts_with('/') => Ok(s.into()),
        _ => Err(p
            .source()
            .error_at(raw.span(), format!("`{key}` must be an absolute path"))),
    }
}
