//! Kind `role`: a node carries no state of a role it no longer has. role-leftovers uses it
//! (in a field report, a replica that had once acted as master kept the master's
//! sequence file; its tables never updated again until the data files and the sequence file were
//! removed. The runbook says a demoted master must drop them before it rejoins).
//!
//! The node's current role comes from a file (its whole content), a `KEY=value` line of an
//! env file, or an XML-RPC call to the local daemon (a string reply, or one member of a
//! struct). The spec's `leftovers` table lists, per role, the paths (globs) that must not
//! exist on a node in that role. A role the table does not name fails: it is a typo or a
//! role this spec was not written for, and either way nothing could be checked.

use super::{BOOT, Context, Evaluate, KindDef, LOCAL, boxed};
use crate::config::Params;
use crate::config::SpecError;
use crate::model::{Evidence, Outcome};
use crate::world::xmlrpc::{self as rpc, Endpoint};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What the spec loader knows of this kind; [`super::KINDS`] lists it.
pub const DEF: KindDef = KindDef {
    name: "role",
    modes: BOOT,
    default_timeout: LOCAL,
    waits: false,
    params: PARAMS,
    parse: |p| Role::parse(p).map(boxed),
};

pub const PARAMS: &[&str] = &[
    "source",
    "path",
    "key",
    "url",
    "method",
    "field",
    "leftovers",
];

/// At most this many leftovers are listed per pattern.
const MAX_MATCHES: usize = 64;

/// Where the node's role is read from.
#[derive(Debug)]
pub enum RoleSource {
    File(PathBuf),
    Env {
        path: PathBuf,
        key: String,
    },
    Xmlrpc {
        endpoint: Endpoint,
        method: String,
        field: Option<String>,
    },
}

#[derive(Debug)]
pub struct Role {
    pub source: RoleSource,
    /// Role -> paths (globs) that must not exist on a node in that role.
    pub leftovers: BTreeMap<String, Vec<String>>,
}

impl Role {
    pub fn parse(p: &mut Params) -> Result<Self, SpecError> {
        #[derive(Clone, Copy)]
        enum From {
            File,
            Env,
            Xmlrpc,
        }
        let from = p
            .choice(
                "source",
                &[
                    ("file", From::File),
                    ("env", From::Env),
                    ("xmlrpc", From::Xmlrpc),
                ],
            )?
            .unwrap_or(From::File);
        let source = match from {
            From::File => RoleSource::File(super::require_abs_path(p, "path")?),
            From::Env => RoleSource::Env {
                path: super::require_abs_path(p, "path")?,
                key: p.require_string("key", "the variable that holds the role")?,
            },
            From::Xmlrpc => RoleSource::Xmlrpc {
                endpoint: super::require_endpoint(p)?,
                method: p.require_string("method", "the daemon's method that returns the role")?,
                field: p.string("field")?,
            },
        };
        let leftovers = p.string_lists("leftovers")?.ok_or_else(|| {
            p.missing(
                "leftovers",
                "a table of role = [paths that must not exist in that role]",
            )
        })?;
        if let Some(bad) = leftovers.values().flatten().find(|g| !g.starts_with('/')) {
            return Err(p.error_here(format!("`leftovers`: `{bad}` is not an absolute path")));
        }
        Ok(Role { source, leftovers })
    }

    /// The role and a line of evidence saying where it came from; None when nothing
    /// configures a role; Err with the outcome to report when it cannot be read.
    fn read_role(&self, cx: &Context) -> Result<Option<(String, String)>, Box<Outcome>> {
        let read = |path: &Path| match cx.target.root.read_text(path, 64 << 10) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(Box::new(Outcome::error(format!("cannot read {e}")))),
        };
        let bad = |what: String| Err(Box::new(Outcome::error(what)));
        match &self.source {
            RoleSource::File(path) => {
                let Some(text) = read(path)? else {
                    return Ok(None);
                };
                let role = text.trim();
                if role.is_empty() || role.lines().count() > 1 {
                    return bad(format!("{}: {role:?} is not one role name", path.display()));
                }
                Ok(Some((role.into(), format!("{}: {role}", path.display()))))
            }
            RoleSource::Env { path, key } => {
                let Some(text) = read(path)? else {
                    return Ok(None);
                };
                match crate::world::envfile::value(&text, key) {
                    None => Ok(None),
                    Some(role) if role.is_empty() => Ok(None),
                    Some(role) => {
                        let from = format!("{}: {key}={role}", path.display());
                        Ok(Some((role, from)))
                    }
                }
            }
            RoleSource::Xmlrpc {
                endpoint,
                method,
                field,
            } => {
                let reply = cx
                    .target
                    .call(endpoint, method, &[], cx.deadline, 1 << 20)
                    .map_err(|e| {
                        let mut o =
                            Outcome::error(format!("cannot ask for the role: {}", e.summary()))
                                .with(format!("{method}() at {}: {e}", endpoint.url));
                        o.transient = e.is_transient();
                        Box::new(o)
                    })?;
                let value = match (field, &reply) {
                    (None, v) => v,
                    (Some(f), rpc::Value::Struct(map)) => match map.get(f) {
                        Some(v) => v,
                        None => return bad(format!("{method}() reply has no member {f:?}")),
                    },
                    (Some(f), other) => {
                        return bad(format!(
                            "{method}() answered {}, not a struct with {f:?}",
                            rpc::show(other)
                        ));
                    }
                };
                match value {
                    rpc::Value::String(s) if s.is_empty() => Ok(None),
                    rpc::Value::String(s) => Ok(Some((
                        s.clone(),
                        format!("{method}() at {}: {s:?}", endpoint.url),
                    ))),
                    other => bad(format!(
                        "{method}() answered {}, not a role name",
                        rpc::show(other)
                    )),
                }
            }
        }
    }

    fn describe_missing(&self) -> String {
        match &self.source {
            RoleSource::File(path) => format!("no {}", path.display()),
            RoleSource::Env { path, key } => {
                format!("{} is absent or sets no {key}", path.display())
            }
            RoleSource::Xmlrpc { method, .. } => format!("{method}() names no role"),
        }
    }
}

impl Evaluate for Role {
    fn evaluate(&self, cx: &Context) -> Outcome {
        let (role, from) = match self.read_role(cx) {
            Ok(Some(found)) => found,
            Ok(None) => {
                return Outcome::skip(format!(
                    "{}: this node has no HA role configured",
                    self.describe_missing()
                ));
            }
            Err(outcome) => return *outcome,
        };
        let known: Vec<&str> = self.leftovers.keys().map(String::as_str).collect();
        let Some(forbidden) = self.leftovers.get(&role) else {
            return Outcome::fail(format!(
                "role {role:?} is not one this check knows ({})",
                known.join(", ")
            ))
            .with(from);
        };
        let found: Vec<PathBuf> = match cx.target.root.glob_all(forbidden, MAX_MATCHES) {
            Ok(found) => found,
            Err(e) => return Outcome::error(e.to_string()).with(from),
        };
        if found.is_empty() {
            return Outcome::pass(format!(
                "role {role}: none of its {} forbidden path{} exist",
                forbidden.len(),
                if forbidden.len() == 1 { "" } else { "s" }
            ))
            .with(from);
        }
        let other_roles: Vec<&str> = known.iter().copied().filter(|r| *r != role).collect();
        Outcome::fail(format!(
            "a {role} node keeps state of another role ({}): {}",
            other_roles.join(" or "),
            list(&found)
        ))
        .with(from)
        .with_all(
            found
                .iter()
                .map(|p| Evidence::about(p, format!("{}: exists", p.display()))),
        )
    }
}

/// `/a, /b and 3 more`.
fn list(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths
        .iter()
        .take(3)
        .map(|p| p.display().to_string())
        .collect();
    match paths.len() {
        n if n > 3 => format!("{} and {} more", shown.join(", "), n - 3),
        _ => shown.join(", "),
    }
}

#[cfg(test)]
mod run_tests;
