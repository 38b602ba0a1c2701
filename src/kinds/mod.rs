//! Check kinds: the Rust code a spec's `kind = "..."` names. One module (or folder) per
//! kind, owning its parameters, its parsers of outside input, its verdict and its
//! wording; each returns an [`Outcome`] and prints nothing. Each declares its own
//! [`KindDef`] as `pub const DEF` (name, modes, default timeout, waits, params, parse),
//! and [`KINDS`] lists references to them. The spec loader, `list`, the docs tests and
//! the kinds' tests all read [`KINDS`]. Which check uses which kind is `ha-preflight list`
//! (or `checks/*.toml`). A kind's tests are `src/kinds/<kind>/run_tests.rs` (in-process,
//! through `crate::testing`'s fake box and one-check harness) and, for what needs the
//! real thing (namespaces, servers, loop devices, wall time), `tests/kinds/<kind>.rs`.
//!
//! Adding a kind takes, and the tests fail until each is there:
//!
//! Below, `<kind>` is the kind's name with `-` written `_` (`clock-synced` is
//! `clock_synced`): the tests find a kind's files by it.
//!
//! 1. `src/kinds/<kind>.rs` (or `src/kinds/<kind>/mod.rs`): the module, its parameters'
//!    struct deriving `Debug` (the unit tests print it, see [`Shown`]), its `DEF` (the
//!    shared `LOCAL`, `WALK` and mode sets are here) and its `PARAMS` exactly the keys its
//!    `parse` asks for (`kinds::tests` compares them).
//! 2. Here, two lines: `pub mod <kind>;` and `&<kind>::DEF,` in [`KINDS`]. Without them
//!    nothing of the kind is compiled, its tests included; the docs test then says the
//!    man page describes a kind the table does not have.
//! 3. `doc/ha-preflight.8`: a `.TP` item in KINDS (tests/docs.rs).
//! 4. Its tests: `src/kinds/<kind>/run_tests.rs` (declared `#[cfg(test)] mod run_tests;`
//!    in the module) and/or `tests/kinds/<kind>.rs` with its `mod <kind>;` line in
//!    `tests/kinds.rs` (tests/kinds.rs and tests/layers.rs check these); fixtures, if
//!    any, in `tests/fixtures/<kind>/`.
//! 5. An example check: a shipped one in `checks/*.toml`, or else one in `EXTRA` of
//!    `src/kinds/tests.rs`, covering every parameter (some key only conditionally asked
//!    for, such as drbd's `url` when `source = "xmlrpc"`, needs one in `EXTRA`).
//!
//! Shipping a check of it takes, beyond the check in `checks/*.toml`: its `.TP` item in
//! the man page's CHECKS, its row in doc/contracts.md's catalog (tests/docs.rs), its id
//! named in the kind's tests, and, for a boot check, what makes it pass in the
//! healthy box (`tests/common/ns.rs` and `tests/healthy-box.sh`); `tests/overlay.rs`
//! still counts the built-in checks by hand. A kind reading a part of the system no kind
//! reads yet also needs its door in `src/world/`.

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

#[cfg(test)]
mod tests;

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
///
/// Not `Debug`: as a supertrait it put every kind's `Debug` impl into the vtable, kept
/// in the binary though nothing prints one (16 KiB). The unit tests, which do look at
/// parsed parameters, get it through [`Shown`].
pub trait Evaluate: Shown + Send + Sync {
    fn evaluate(&self, cx: &Context) -> Outcome;

    /// A `sequence` check's parameters, for pairing the bundles of a fleet
    /// (`engine::fleet`); None for every other kind.
    fn sequence(&self) -> Option<&sequence::Sequence> {
        None
    }
}

/// `Debug` of a check's parameters in the unit tests only (every kind derives it).
#[cfg(test)]
pub trait Shown: std::fmt::Debug {}
#[cfg(test)]
impl<T: std::fmt::Debug + ?Sized> Shown for T {}
/// Nothing outside the unit tests.
#[cfg(not(test))]
pub trait Shown {}
#[cfg(not(test))]
impl<T: ?Sized> Shown for T {}

/// One kind: what the spec loader needs to know of it. Each kind's module declares its
/// own as `pub const DEF`, beside the code it describes, so that a change to the kind's
/// parameters or modes is one file.
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

// The mode sets and timeouts kinds share, named once so that the `DEF`s read alike.
pub(crate) const BOOT: &[Mode] = &[Mode::Boot];
pub(crate) const IMAGE: &[Mode] = &[Mode::Image];
pub(crate) const BOOT_IMAGE: &[Mode] = &[Mode::Boot, Mode::Image];
pub(crate) const BOOT_BUILD_HOST: &[Mode] = &[Mode::Boot, Mode::BuildHost];
pub(crate) const ANY: &[Mode] = &[Mode::Boot, Mode::Image, Mode::BuildHost];
/// Local checks read a few small files; a hung network mount is the only way they take
/// longer.
pub(crate) const LOCAL: Duration = Duration::from_secs(5);
/// A tree walk's time grows with the image: a million entries took 2.5 s from a warm
/// page cache on the benchmark machine and 13.5 s cold (find's own time was the same),
/// where [`LOCAL`] timed every tree check out. Five minutes covers the walk's
/// 5,000,000-entry limit cold, with room; the run's `--timeout` (30 s unless raised
/// for a big image) bounds it first.
pub(crate) const WALK: Duration = Duration::from_secs(300);

/// Turns a kind's parsed parameters into the `Evaluate` the spec holds (for `DEF.parse`).
pub(crate) fn boxed<E: Evaluate + 'static>(e: E) -> Box<dyn Evaluate> {
    Box::new(e)
}

/// Every kind, in the order `list` and the docs name them: references to the kinds'
/// own `DEF`s, as ripgrep's `FLAGS` lists its flags.
pub const KINDS: &[&KindDef] = &[
    &mount::DEF,
    &volatile_dir::DEF,
    &ifstate::DEF,
    &interface::DEF,
    &xmlrpc::DEF,
    &drbd::DEF,
    &path::DEF,
    &diversions::DEF,
    &hostname::DEF,
    &unit_wiring::DEF,
    &tree::DEF,
    &locks::DEF,
    &filesystem::DEF,
    &file_age::DEF,
    &role::DEF,
    &sequence::DEF,
];

/// The kind of that name.
pub fn named(name: &str) -> Option<&'static KindDef> {
    KINDS.iter().find(|k| k.name == name).copied()
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
