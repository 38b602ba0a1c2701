//! Check kinds: the Rust code a spec's `kind = "..."` names. One module (or folder) per
//! kind, owning its parameters, its parsers of outside input, its verdict and its
//! wording; each returns an [`Outcome`] and prints nothing.
//!
//! [`KINDS`] is the one table of them: a kind's name, the modes it can judge, its default
//! timeout, its parameters and its parser. The spec loader, `list`, the docs tests and the
//! "every check id has a test" test all read it; adding a kind is one module and one row.
//! Which check uses which kind is `ha-preflight list` (or `checks/*.toml`), and a check's
//! tests are `tests/kinds/<kind>.rs` (end-to-end, the binary) and
//! `src/kinds/<kind>/run_tests.rs` (in-process, through `crate::testing`).

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

use crate::config::{Params, SpecError};
use crate::model::{Mode, Outcome};
use crate::world::Target;
use crate::world::facts::Facts;
use crate::world::xmlrpc::Endpoint;
use std::time::{Duration, Instant};

/// What a kind gets to look at.
pub struct Context<'a> {
    pub target: &'a Target,
    pub facts: &'a Facts,
    /// When this evaluation must be finished; kinds that wait on I/O bound it by this.
    pub deadline: Instant,
}

/// A check's parameters, ready to be evaluated against a target.
pub trait Evaluate: std::fmt::Debug + Send + Sync {
    fn evaluate(&self, cx: &Context) -> Outcome;
}

/// One kind: what the spec loader needs to know of it.
pub struct KindDef {
    pub name: &'static str,
    /// The modes it can judge: kernel state exists only on a running system, and a tree
    /// walk only makes sense for an image.
    pub modes: &'static [Mode],
    /// How long an evaluation may take when the spec does not say.
    pub default_timeout: Duration,
    /// Whether an evaluation waits on something outside this process (a daemon, a peer,
    /// a program): such a check gets a thread of its own, so that nothing queues behind
    /// it. The others only read files and run one after another on one worker.
    pub waits: bool,
    /// The parameters it takes, beyond the common ones.
    pub params: &'static [&'static str],
    pub parse: fn(&mut Params) -> Result<Box<dyn Evaluate>, SpecError>,
}

impl std::fmt::Debug for KindDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

const BOOT: &[Mode] = &[Mode::Boot];
const IMAGE: &[Mode] = &[Mode::Image];
const BOOT_IMAGE: &[Mode] = &[Mode::Boot, Mode::Image];
const BOOT_BUILD_HOST: &[Mode] = &[Mode::Boot, Mode::BuildHost];
const ANY: &[Mode] = &[Mode::Boot, Mode::Image, Mode::BuildHost];
/// Local checks read a few small files; a hung network mount is the only way they take
/// longer.
const LOCAL: Duration = Duration::from_secs(5);
/// A tree walk's time grows with the image: a million entries took 2.5 s from a warm
/// page cache on the benchmark machine and 13.5 s cold (find's own time was the same),
/// where [`LOCAL`] timed every tree check out. Five minutes covers the walk's
/// 5,000,000-entry limit cold, with room; the run's `--timeout` (30 s unless raised
/// for a big image) bounds it first.
const WALK: Duration = Duration::from_secs(300);

fn boxed<E: Evaluate + 'static>(e: E) -> Box<dyn Evaluate> {
    Box::new(e)
}

/// Every kind, in the order `list` and the docs name them.
pub const KINDS: &[KindDef] = &[
    KindDef {
        name: "mount",
        modes: BOOT_BUILD_HOST,
        default_timeout: LOCAL,
        waits: false,
        params: mount::PARAMS,
        parse: |p| mount::Mount::parse(p).map(boxed),
    },
    KindDef {
        name: "volatile-dir",
        modes: BOOT_IMAGE,
        default_timeout: LOCAL,
        waits: false,
        params: volatile_dir::PARAMS,
        parse: |p| volatile_dir::VolatileDir::parse(p).map(boxed),
    },
    KindDef {
        name: "ifstate",
        modes: BOOT_IMAGE,
        default_timeout: LOCAL,
        waits: false,
        params: ifstate::PARAMS,
        parse: |p| ifstate::Ifstate::parse(p).map(boxed),
    },
    KindDef {
        name: "interface",
        modes: BOOT,
        default_timeout: LOCAL,
        waits: false,
        params: interface::PARAMS,
        parse: |p| interface::Interface::parse(p).map(boxed),
    },
    KindDef {
        name: "xmlrpc",
        modes: BOOT,
        default_timeout: Duration::from_secs(2),
        waits: true,
        params: xmlrpc::PARAMS,
        parse: |p| xmlrpc::Xmlrpc::parse(p).map(boxed),
    },
    KindDef {
        name: "drbd",
        modes: BOOT,
        default_timeout: LOCAL,
        waits: true,
        params: drbd::PARAMS,
        parse: |p| drbd::Drbd::parse(p).map(boxed),
    },
    KindDef {
        name: "path",
        modes: ANY,
        default_timeout: LOCAL,
        waits: false,
        params: path::PARAMS,
        parse: |p| path::PathRules::parse(p).map(boxed),
    },
    KindDef {
        name: "diversions",
        modes: ANY,
        default_timeout: LOCAL,
        waits: false,
        params: diversions::PARAMS,
        parse: |p| diversions::Diversions::parse(p).map(boxed),
    },
    KindDef {
        name: "hostname",
        modes: ANY,
        default_timeout: LOCAL,
        waits: false,
        params: hostname::PARAMS,
        parse: |p| hostname::Hostname::parse(p).map(boxed),
    },
    KindDef {
        name: "unit-wiring",
        modes: ANY,
        default_timeout: LOCAL,
        waits: false,
        params: unit_wiring::PARAMS,
        parse: |p| unit_wiring::UnitWiring::parse(p).map(boxed),
    },
    KindDef {
        name: "tree",
        modes: IMAGE,
        default_timeout: WALK,
        waits: false,
        params: tree::PARAMS,
        parse: |p| tree::TreeCheck::parse(p).map(boxed),
    },
    KindDef {
        name: "locks",
        modes: BOOT,
        default_timeout: LOCAL,
        waits: false,
        params: locks::PARAMS,
        parse: |p| locks::Locks::parse(p).map(boxed),
    },
    KindDef {
        name: "filesystem",
        modes: BOOT,
        default_timeout: LOCAL,
        waits: false,
        params: filesystem::PARAMS,
        parse: |p| filesystem::Filesystem::parse(p).map(boxed),
    },
    KindDef {
        name: "file-age",
        modes: BOOT,
        default_timeout: LOCAL,
        waits: false,
        params: file_age::PARAMS,
        parse: |p| file_age::FileAge::parse(p).map(boxed),
    },
    KindDef {
        name: "role",
        modes: BOOT,
        default_timeout: LOCAL,
        waits: false,
        params: role::PARAMS,
        parse: |p| role::Role::parse(p).map(boxed),
    },
    KindDef {
        name: "sequence",
        modes: BOOT,
        // Another machine, over the network: long enough for a busy leader, short
        // enough that a dead one costs little.
        default_timeout: Duration::from_secs(3),
        waits: true,
        params: sequence::PARAMS,
        parse: |p| sequence::Sequence::parse(p).map(boxed),
    },
];

/// The kind of that name.
pub fn named(name: &str) -> Option<&'static KindDef> {
    KINDS.iter().find(|k| k.name == name)
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

/// Takes the required `url` parameter of a kind that calls xcbdaemon over loopback.
pub(crate) fn require_endpoint(p: &mut Params) -> Result<Endpoint, SpecError> {
    let url_raw = p
        .take_raw("url")
        .ok_or_else(|| p.error_here("missing `url` (such as \"http://127.0.0.1:8000/RPC2\")"))?;
    let url = url_raw.get_ref().as_str().unwrap_or_default();
    Endpoint::parse(url, false)
        .map_err(|e| p.source().error_at(url_raw.span(), format!("`url`: {e}")))
}
