//! Kind `tree`: image checks that look at every file, over the one shared walk of the
//! tree (`crate::world::walk::Tree`). `rule` picks what is judged:
//!
//! - `unknown-owners`: every uid and gid exists in the image's passwd and group, and
//!   nothing under the system directories belongs to a uid at or above 1000 (the build
//!   user's files: the first account created on the box would own them);
//! - `runtime-leftovers`: no pid, lock, socket, lease, utmp files under /run, /var/run,
//!   /var/lock, /var/lib/dhcp; /var/run and /var/lock are links into /run;
//! - `tmp-leftovers`: /tmp and /var/tmp empty and mode 1777; no cached .deb/.bin, no
//!   /debootstrap, no bootstrap.log;
//! - `qemu-user-static`: no qemu-*-static or qemu-binfmt helpers that no installed
//!   package lists;
//! - `dev-nodes`: no block devices or device directories (disk/, mapper/) in /dev, no
//!   device node outside /dev, /proc /sys /dev/pts empty.
//!
//! Each rule is a file named after it, and reports a count and the first offenders, each
//! with its path.

mod dev_nodes;
mod qemu_user_static;
mod runtime_leftovers;
mod tmp_leftovers;
mod unknown_owners;

use super::{Context, Evaluate, IMAGE, KindDef, WALK, boxed};
use crate::config::{Params, SpecError};
use crate::model::{Evidence, Outcome};
use crate::world::walk::{Entry, Tree};
use std::path::Path;

/// "PATH (KIND) left by the build", about PATH.
fn left_by_build(path: &Path, e: &Entry) -> Evidence {
    Evidence::about(
        path,
        format!("{} ({}) left by the build", path.display(), e.kind.name()),
    )
}

/// What the spec loader knows of this kind; [`super::KINDS`] lists it.
pub const DEF: KindDef = KindDef {
    name: "tree",
    modes: IMAGE,
    default_timeout: WALK,
    waits: false,
    params: PARAMS,
    parse: |p| TreeCheck::parse(p).map(boxed),
};

pub const PARAMS: &[&str] = &["rule", "system_dirs", "first_user_uid"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeRule {
    UnknownOwners,
    RuntimeLeftovers,
    TmpLeftovers,
    QemuUserStatic,
    DevNodes,
}

impl TreeRule {
    /// The parts of the tree the rule looks at (None: all of it). A folder it could not
    /// list there means it could not look.
    fn scope(self) -> Option<&'static [&'static str]> {
        match self {
            TreeRule::UnknownOwners | TreeRule::QemuUserStatic | TreeRule::DevNodes => None,
            TreeRule::RuntimeLeftovers => Some(&["/run", "/var/run", "/var/lock", "/var/lib/dhcp"]),
            TreeRule::TmpLeftovers => Some(&[
                "/tmp",
                "/var/tmp",
                "/var/cache/apt",
                "/debootstrap",
                "/var/log/bootstrap.log",
            ]),
        }
    }
}

/// A rule over a tree it could not see all of (a folder it could not list, a walk cut
/// short) has not looked: `error`, naming where, so an unprivileged run never passes
/// what a root run fails. What it did find still fails, with the same note.
fn blind_spots(outcome: Outcome, tree: &Tree, scope: Option<&[&str]>) -> Outcome {
    let needed = |path: &Path| {
        scope.is_none_or(|prefixes| {
            prefixes
                .iter()
                .any(|p| path.starts_with(p) || Path::new(p).starts_with(path))
        })
    };
    let mut blind: Vec<Evidence> = tree
        .unwalked
        .iter()
        .filter(|u| needed(&u.path))
        .map(|u| Evidence::about(&u.path, format!("could not look into {u}")))
        .collect();
    if tree.truncated {
        blind.push(
            format!(
                "the walk stopped after {} entries, so the rest of the tree was not seen",
                tree.len()
            )
            .into(),
        );
    }
    let Some(first) = blind.first().map(|b| b.text.clone()) else {
        return outcome;
    };
    let more = crate::model::and_more(blind.len());
    let advice = "run as root, or as a user who can read the whole tree";
    if outcome.finding == crate::model::Finding::Fail {
        outcome.with_all(blind.into_iter().map(|b| Evidence {
            text: format!("{}: {advice}", b.text),
            ..b
        }))
    } else {
        Outcome::error(format!("{first}{more}: {advice}"))
            .with_all(blind)
            .with_all(outcome.evidence)
    }
}

#[derive(Debug)]
pub struct TreeCheck {
    pub rule: TreeRule,
    pub system_dirs: Vec<String>,
    pub first_user_uid: u32,
}

impl TreeCheck {
    pub fn parse(p: &mut Params) -> Result<Self, SpecError> {
        let name: String = p.require_string("rule", "which tree-wide rule")?;
        let rule = match name.as_str() {
            "unknown-owners" => TreeRule::UnknownOwners,
            "runtime-leftovers" => TreeRule::RuntimeLeftovers,
            "tmp-leftovers" => TreeRule::TmpLeftovers,
            "qemu-user-static" => TreeRule::QemuUserStatic,
            "dev-nodes" => TreeRule::DevNodes,
            other => {
                return Err(p.error_here(format!(
                    "unknown `rule` {other:?} (unknown-owners, runtime-leftovers, tmp-leftovers, qemu-user-static, dev-nodes)"
                )));
            }
        };
        let system_dirs = p.strings("system_dirs")?.unwrap_or_else(|| {
            [
                "/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt",
                "/var/lib", "/boot",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect()
        });
        Ok(TreeCheck {
            rule,
            system_dirs,
            first_user_uid: p.integer::<u32>("first_user_uid", "u32")?.unwrap_or(1000),
        })
    }
}

impl Evaluate for TreeCheck {
    fn evaluate(&self, cx: &Context) -> Outcome {
        let tree = cx.facts.tree(cx.target);
        let root = &cx.target.root;
        let outcome = match self.rule {
            TreeRule::UnknownOwners => {
                unknown_owners::evaluate(root, &tree, &self.system_dirs, self.first_user_uid)
            }
            TreeRule::RuntimeLeftovers => runtime_leftovers::evaluate(root, &tree),
            TreeRule::TmpLeftovers => tmp_leftovers::evaluate(root, &tree),
            TreeRule::QemuUserStatic => qemu_user_static::evaluate(root, &tree),
            TreeRule::DevNodes => dev_nodes::evaluate(&tree),
        };
        blind_spots(outcome, &tree, self.rule.scope())
    }
}

#[cfg(test)]
mod run_tests;
