//! Kind `sequence`: this node's replication sequence numbers against those of the node it
//! follows. peer-sequence uses it (a field report: a replica whose sequence numbers had
//! got ahead of the master's while it briefly acted as master; replication never
//! corrected it, and three tables silently stopped updating).
//!
//! Local numbers come from a file: `NAME VALUE` or `NAME=VALUE` lines (`#` comments), or
//! one bare number. The leader's come from its xcbdaemon over XML-RPC: a struct of
//! NAME -> number, or one number. Per name:
//! - ahead of the leader: `fail` (it never heals; the runbook's cure is to drop the data
//!   and sequence files and resync);
//! - behind by more than `max_lag`: a warning (replication is slow or stuck);
//! - otherwise in step.
//!
//! The leader is another machine, so its address is an IP literal (no name lookup at
//! boot) from the spec or from a `KEY=value` line of the node's own config; a node
//! configured to follow no one is `skip`. An unreachable leader is `error` by default,
//! within the check's timeout; `unreachable = "warn"` lets a follower start while its
//! leader is down, which an HA pair may well want.
//!
//! Two masters: seeds 000 and 001 began with a node converted to master whose config
//! still named the leader it used to follow. Its numbers were in step at first, so the
//! comparison alone passed. With `role_env` (the node's own role, a `KEY=value` line)
//! a node in `leader_role` ("master") that names a leader fails, naming both settings,
//! before anything is read or asked. With `leader_role_method` the leader is asked its
//! role too (a method of its xcbdaemon that returns the role's name): a leader that is
//! not in `leader_role` fails, since this node then replicates from a node that leads
//! no one.

use super::{BOOT, Context, Evaluate, KindDef, boxed};
use crate::config::SpecError;
use crate::config::{Params, fields};
use crate::model::{Finding, Outcome};
use crate::world::read::ReadError;
use crate::world::root::Root;
use crate::world::xmlrpc::Value;
use crate::world::xmlrpc::{self as rpc, Endpoint};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

/// What the spec loader knows of this kind; [`super::KINDS`] lists it.
pub const DEF: KindDef = KindDef {
    name: "sequence",
    modes: BOOT,
    // Another machine, over the network: long enough for a busy leader, short
    // enough that a dead one costs little.
    default_timeout: std::time::Duration::from_secs(3),
    waits: true,
    params: PARAMS,
    parse: |p| Sequence::parse(p).map(boxed),
};

pub const PARAMS: &[&str] = &[
    "local",
    "peer",
    "peer_env",
    "port",
    "rpc_path",
    "method",
    "max_lag",
    "unreachable",
    "role_env",
    "leader_role",
    "leader_role_method",
];

/// Where the leader's address comes from.
#[derive(Debug)]
pub enum Peer {
    Fixed(Endpoint),
    /// `KEY=value` in an env file; the value is an IP, `IP:PORT` or a URL.
    Env {
        path: PathBuf,
        key: String,
    },
}

/// `peer_env = { path, key }` as written.
#[derive(Debug)]
struct PeerEnv {
    path: PathBuf,
    key: String,
}

impl PeerEnv {
    fn read(v: toml::Value) -> Result<PeerEnv, String> {
        let mut f = fields::Fields::new(v, &["path", "key"])?;
        let env = PeerEnv {
            path: f.require_string("path")?.into(),
            key: f.require_string("key")?,
        };
        f.finish()?;
        Ok(env)
    }
}

#[derive(Debug)]
pub struct Sequence {
    pub local: PathBuf,
    pub peer: Peer,
    pub port: u16,
    pub rpc_path: String,
    pub method: String,
    pub max_lag: u64,
    /// The finding for a leader that cannot be asked.
    pub unreachable: Finding,
    /// Where this node's own role is (`KEY=value`), to tell two masters.
    pub role_env: Option<(PathBuf, String)>,
    /// The role a leader has, and a node in it follows no one.
    pub leader_role: String,
    /// The leader's method that returns its role; None: it is not asked.
    pub leader_role_method: Option<String>,
}

/// The leader as this node's config names it: the endpoint, the setting that names it
/// (`XCB_MASTER=10.0.0.1`, or the spec's `peer`), and the file it is in.
struct Leader {
    endpoint: Endpoint,
    setting: String,
    file: Option<PathBuf>,
}

/// Sequence numbers by name.
pub type Numbers = BTreeMap<String, u64>;

impl Sequence {
    pub fn parse(p: &mut Params) -> Result<Self, SpecError> {
        let local = super::require_abs_path(p, "local")?;
        let fixed = match p.take_raw("peer") {
            None => None,
            Some(raw) => {
                let url = raw.get_ref().as_str().unwrap_or_default();
                Some(
                    Endpoint::parse(url, true)
                        .map_err(|e| p.source().error_at(raw.span(), format!("`peer`: {e}")))?,
                )
            }
        };
        let env = p
            .take_with("peer_env", PeerEnv::read)?
            .map(|env| env.into_inner());
        let peer = match (fixed, env) {
            (Some(e), None) => Peer::Fixed(e),
            (None, Some(PeerEnv { path, key })) if path.is_absolute() => Peer::Env { path, key },
            (None, Some(_)) => {
                return Err(p.error_here("`peer_env`: `path` must be an absolute path"));
            }
            _ => {
                return Err(p.error_here(
                    "give one of `peer` (\"http://IP:PORT/RPC2\") or `peer_env` ({ path, key })",
                ));
            }
        };
        let role_env = match p.take_with("role_env", PeerEnv::read)? {
            None => None,
            Some(env) => {
                let PeerEnv { path, key } = env.into_inner();
                if !path.is_absolute() {
                    return Err(p.error_here("`role_env`: `path` must be an absolute path"));
                }
                Some((path, key))
            }
        };
        let unreachable = p
            .choice(
                "unreachable",
                &[
                    ("error", Finding::Error),
                    ("warn", Finding::Warn),
                    ("skip", Finding::Skip),
                ],
            )?
            .unwrap_or(Finding::Error);
        Ok(Sequence {
            local,
            peer,
            port: p.integer::<u16>("port", "u16")?.unwrap_or(8000),
            rpc_path: p.string("rpc_path")?.unwrap_or_else(|| "/RPC2".into()),
            method: p
                .string("method")?
                .unwrap_or_else(|| "xcb.sequence".to_string()),
            max_lag: p.integer::<u64>("max_lag", "u64")?.unwrap_or(1000),
            unreachable,
            role_env,
            leader_role: p.string("leader_role")?.unwrap_or_else(|| "master".into()),
            leader_role_method: p.string("leader_role_method")?,
        })
    }

    /// This node's role from `role_env`, and the `KEY=value` it was read from; None when
    /// no `role_env` is given, the file is absent or sets no role.
    fn own_role(&self, root: &Root) -> Result<Option<(String, String, PathBuf)>, String> {
        let Some((path, key)) = &self.role_env else {
            return Ok(None);
        };
        let text = match root.read_text(path, 64 << 10) {
            Ok(t) => t,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(format!("cannot read {e}")),
        };
        Ok(crate::world::envfile::value(&text, key)
            .filter(|v| !v.is_empty())
            .map(|role| (role.clone(), format!("{key}={role}"), path.clone())))
    }

    /// Calls `method` on the leader: the reply, or the outcome for a leader that cannot
    /// be asked (`unreachable`) or whose answer is unusable.
    fn ask(
        &self,
        cx: &Context,
        endpoint: &Endpoint,
        method: &str,
        max_reply: usize,
    ) -> Result<Value, Box<Outcome>> {
        let call = format!("{method}() at {}", endpoint.url);
        cx.target
            .call(endpoint, method, &[], cx.deadline, max_reply)
            .map_err(|e| {
                Box::new(match e {
                    rpc::CallError::Http(_)
                    | rpc::CallError::Replayed {
                        unreachable: true, ..
                    } => Outcome::new(
                        self.unreachable,
                        format!("the leader cannot be asked: {}", e.summary()),
                    )
                    .with(format!("{call}: {e}")),
                    e => {
                        Outcome::error(format!("the leader's answer is unusable: {}", e.summary()))
                            .with(format!("{call}: {e}"))
                    }
                })
            })
    }

    /// The leader's role, as its `leader_role_method` answers; Err with the outcome when
    /// it cannot be asked or answers no role name.
    fn leader_role(
        &self,
        cx: &Context,
        endpoint: &Endpoint,
        method: &str,
    ) -> Result<String, Box<Outcome>> {
        match self.ask(cx, endpoint, method, 64 << 10)? {
            Value::String(role) if !role.trim().is_empty() => Ok(role.trim().to_string()),
            other => Err(Box::new(
                Outcome::error(format!(
                    "the leader's answer is unusable: {method}() answered {}, not a role name",
                    rpc::show(&other)
                ))
                .with(format!("{method}() at {}", endpoint.url)),
            )),
        }
    }

    /// Two masters: this node is in the leader's role and its config names a leader.
    fn two_masters(
        &self,
        cx: &Context,
        (role, role_setting, role_file): (String, String, PathBuf),
        leader: &Leader,
    ) -> Outcome {
        let (r, l) = (&role_setting, &leader.setting);
        let wording = match &leader.file {
            Some(file) if *file == role_file => {
                format!(
                    "({r}) yet follows {} ({l}), both in {}",
                    leader.endpoint.addr,
                    file.display()
                )
            }
            Some(file) => format!(
                "({r} in {}) yet follows {} ({l} in {})",
                role_file.display(),
                leader.endpoint.addr,
                file.display()
            ),
            None => format!(
                "({r} in {}) yet follows {} ({l})",
                role_file.display(),
                leader.endpoint.addr
            ),
        };
        let mut summary = format!("two masters: this node is {role} {wording}");
        let mut asked = None;
        if let Some(method) = &self.leader_role_method {
            let call = format!("{method}() at {}", leader.endpoint.url);
            asked = Some(match self.leader_role(cx, &leader.endpoint, method) {
                Ok(theirs) => {
                    if theirs == role {
                        summary.push_str(&format!("; the leader says it is {role} too"));
                    } else {
                        summary.push_str(&format!("; the leader says it is {theirs:?}"));
                    }
                    format!("{call}: {theirs:?}")
                }
                Err(o) => format!("{call}: not answered ({})", o.summary),
            });
        }
        let mut o = Outcome::fail(summary)
            .with(format!("{}: {role_setting}", role_file.display()))
            .with(match &leader.file {
                Some(file) => format!("{}: {}", file.display(), leader.setting),
                None => leader.setting.clone(),
            });
        if let Some(line) = asked {
            o = o.with(line);
        }
        let where_leader = match &leader.file {
            Some(file) => format!("from $ROOT{}", file.display()),
            None => "from the spec's `peer`".to_string(),
        };
        o.fix(format!(
            "Only one node may be {role}, and it follows no one. If this node is the new \
             {role} (a fail-over), remove the leader setting ({l}) {where_leader}. If it was \
             demoted, set its role ({r} in $ROOT{}) to the one it has now, and drop the \
             data and sequence files of its time as {role} before it rejoins (see \
             role-leftovers). Then restart the HA services.",
            role_file.display()
        ))
    }

    /// The leader; None when the node's config names no leader.
    fn leader(&self, root: &Root) -> Result<Option<Leader>, String> {
        let (path, key) = match &self.peer {
            Peer::Fixed(e) => {
                return Ok(Some(Leader {
                    endpoint: e.clone(),
                    setting: format!("the spec's `peer` {}", e.url),
                    file: None,
                }));
            }
            Peer::Env { path, key } => (path, key),
        };
        let text = match root.read_text(path, 64 << 10) {
            Ok(t) => t,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(format!("cannot read {e}")),
        };
        let Some(value) = crate::world::envfile::value(&text, key).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        let url = if value.starts_with("http://") {
            value.clone()
        } else if let Ok(ip) = value.parse::<IpAddr>() {
            format!("http://{}{}", SocketAddr::new(ip, self.port), self.rpc_path)
        } else if let Ok(addr) = value.parse::<SocketAddr>() {
            format!("http://{addr}{}", self.rpc_path)
        } else {
            return Err(format!(
                "{}: {key}={value:?} is not an IP address, IP:PORT or http:// URL",
                path.display()
            ));
        };
        let endpoint = Endpoint::parse(&url, true)
            .map_err(|e| format!("{}: {key}={value:?}: {e}", path.display()))?;
        Ok(Some(Leader {
            endpoint,
            setting: format!("{key}={value}"),
            file: Some(path.clone()),
        }))
    }
}

/// A node's place in a pair, as its bundle holds it (`engine::fleet` pairs the bundles
/// of a fleet by it): read as the check reads it, each part None when it cannot be.
#[derive(Debug)]
pub struct Seat {
    /// Its own role (`role_env`).
    pub role: Option<String>,
    /// The address of the leader it names.
    pub leader: Option<IpAddr>,
    /// Its own sequence numbers (`local`).
    pub local: Option<Numbers>,
    pub max_lag: u64,
    pub leader_role: String,
}

impl Sequence {
    /// The local file's numbers: Err when it cannot be read, Ok(Err) when it is no list.
    fn local_numbers(&self, root: &Root) -> Result<Result<Numbers, String>, ReadError> {
        root.read_text(&self.local, 1 << 20)
            .map(|text| parse_numbers(&text))
    }

    /// This node's place in a pair, read through `root` (a bundle's replay).
    pub fn seat(&self, root: &Root) -> Seat {
        Seat {
            role: self.own_role(root).ok().flatten().map(|r| r.0),
            leader: self
                .leader(root)
                .ok()
                .flatten()
                .map(|l| l.endpoint.addr.ip()),
            local: self.local_numbers(root).ok().and_then(Result::ok),
            max_lag: self.max_lag,
            leader_role: self.leader_role.clone(),
        }
    }
}

impl Evaluate for Sequence {
    fn sequence(&self) -> Option<&Sequence> {
        Some(self)
    }

    fn evaluate(&self, cx: &Context) -> Outcome {
        // The config first: a master that names a leader is wrong whatever the numbers.
        let leader = self.leader(&cx.target.root);
        match self.own_role(&cx.target.root) {
            Ok(Some(own)) if own.0 == self.leader_role => {
                if let Ok(Some(leader)) = &leader {
                    return self.two_masters(cx, own, leader);
                }
            }
            Ok(_) => {}
            Err(e) => return Outcome::error(e),
        }
        let shown = self.local.display();
        let local = match self.local_numbers(&cx.target.root) {
            Ok(Ok(n)) => n,
            Ok(Err(e)) => return Outcome::error(format!("{shown}: {e}")),
            Err(e) if e.is_not_found() => {
                return Outcome::skip(format!(
                    "no {shown}: this node keeps no replicated data to compare"
                ));
            }
            Err(e) => return Outcome::error(format!("cannot read {e}")),
        };
        let leader = match leader {
            Ok(Some(l)) => l,
            Ok(None) => {
                let why = match &self.peer {
                    Peer::Env { path, key } => format!("{} sets no {key}", path.display()),
                    Peer::Fixed(e) => format!("no leader at {}", e.url),
                };
                return Outcome::skip(format!("this node follows no one ({why})"));
            }
            Err(e) => return Outcome::error(e),
        };
        let endpoint = &leader.endpoint;
        let mut asked = None;
        if let Some(method) = &self.leader_role_method {
            let theirs = match self.leader_role(cx, endpoint, method) {
                Ok(role) => role,
                Err(outcome) => return *outcome,
            };
            let said = format!("{method}() at {}: {theirs:?}", endpoint.url);
            if theirs != self.leader_role {
                let named = match &leader.file {
                    Some(_) => leader
                        .setting
                        .split('=')
                        .next()
                        .unwrap_or_default()
                        .to_string(),
                    None => "the spec's `peer`".to_string(),
                };
                return Outcome::fail(format!(
                    "the leader {} ({named}) says it is {theirs:?}, not {}",
                    endpoint.addr, self.leader_role
                ))
                .with(said)
                .fix(format!(
                    "This node follows a node that is not {role}: point {named} at the \
                     current {role} (ask each node: {method}), or make that node {role} \
                     first. Then restart the HA services.",
                    role = self.leader_role
                ));
            }
            asked = Some(said);
        }
        let call = format!("{}() at {}", self.method, endpoint.url);
        let reply = match self.ask(cx, endpoint, &self.method, 4 << 20) {
            Ok(v) => v,
            Err(outcome) => return *outcome,
        };
        let peer = match numbers_from_reply(&reply) {
            Ok(n) => n,
            Err(e) => {
                return Outcome::error(format!("the leader's answer is unusable: {e}"))
                    .with(format!("{call} answered {}", rpc::show(&reply)));
            }
        };
        let mut o = compare(&local, &peer, self.max_lag)
            .with(format!("{shown}: {}", render(&local)))
            .with(format!("{call}: {}", render(&peer)));
        if let Some(line) = asked {
            o = o.with(line);
        }
        o
    }
}

/// The verdict over the names both sides have.
pub fn compare(local: &Numbers, peer: &Numbers, max_lag: u64) -> Outcome {
    let only = |a: &Numbers, b: &Numbers| -> Vec<String> {
        a.keys().filter(|k| !b.contains_key(*k)).cloned().collect()
    };
    let (only_here, only_there) = (only(local, peer), only(peer, local));
    let mut notes = Vec::new();
    if !only_here.is_empty() {
        notes.push(format!("only here: {}", only_here.join(", ")));
    }
    if !only_there.is_empty() {
        notes.push(format!("only on the leader: {}", only_there.join(", ")));
    }
    let common: Vec<(&String, u64, u64)> = local
        .iter()
        .filter_map(|(k, &l)| peer.get(k).map(|&p| (k, l, p)))
        .collect();
    if common.is_empty() {
        return Outcome::error("this node and its leader have no sequence name in common")
            .with_all(notes);
    }
    let ahead: Vec<String> = common
        .iter()
        .filter(|(_, l, p)| l > p)
        .map(|(k, l, p)| format!("{k} {l} > {p}"))
        .collect();
    if !ahead.is_empty() {
        return Outcome::fail(format!(
            "ahead of its leader on {} of {}: {}",
            ahead.len(),
            common.len(),
            ahead.join(", ")
        ))
        .with_all(notes);
    }
    let (worst, lag) = common
        .iter()
        .map(|(k, l, p)| (*k, p - l))
        .max_by_key(|(_, lag)| *lag)
        .unwrap_or((common[0].0, 0));
    if lag > max_lag {
        return Outcome::new(
            Finding::Warn,
            format!("{lag} behind its leader on {worst} (max_lag {max_lag})"),
        )
        .with_all(notes);
    }
    let mut o = Outcome::pass(format!(
        "in step with its leader on {}, at most {lag} behind",
        common.len()
    ));
    if !notes.is_empty() {
        o.summary.push_str(&format!(" ({})", notes.join("; ")));
    }
    o
}

/// `NAME VALUE` / `NAME=VALUE` lines, or one bare number (named `sequence`).
/// A lone number: the one sequence, named "sequence". Built by insert, not
/// `BTreeMap::from`, which sorts in a compiled copy of its own.
fn unnamed(n: u64) -> Numbers {
    let mut out = Numbers::new();
    out.insert("sequence".to_string(), n);
    out
}

fn parse_numbers(text: &str) -> Result<Numbers, String> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .collect();
    if let [(_, only)] = lines.as_slice()
        && let Ok(n) = only.parse::<u64>()
    {
        return Ok(unnamed(n));
    }
    let mut out = BTreeMap::new();
    for (line, text) in lines {
        let (name, value) = text
            .split_once('=')
            .or_else(|| text.split_once(char::is_whitespace))
            .ok_or_else(|| format!("line {line}: {text:?} is not NAME VALUE"))?;
        let value: u64 = value
            .trim()
            .parse()
            .map_err(|_| format!("line {line}: {:?} is not a sequence number", value.trim()))?;
        out.insert(name.trim().to_string(), value);
    }
    if out.is_empty() {
        return Err("no sequence numbers in it".into());
    }
    Ok(out)
}

fn numbers_from_reply(v: &Value) -> Result<Numbers, String> {
    let number = |v: &Value| -> Option<u64> {
        match v {
            Value::Int(i) => u64::try_from(*i).ok(),
            Value::Int64(i) => u64::try_from(*i).ok(),
            // XML-RPC's int is 32 bits; daemons send larger numbers as strings.
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    };
    match v {
        Value::Struct(map) if !map.is_empty() => {
            let mut out = Numbers::new();
            for (k, v) in map {
                let n = number(v)
                    .ok_or_else(|| format!("{k} is {}, not a sequence number", rpc::show(v)))?;
                out.insert(k.clone(), n);
            }
            Ok(out)
        }
        other => number(other).map(unnamed).ok_or_else(|| {
            format!(
                "{} is neither a sequence number nor a struct of them",
                rpc::show(other)
            )
        }),
    }
}

fn render(n: &Numbers) -> String {
    n.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(pairs: &[(&str, u64)]) -> Numbers {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn the_seed_000_replica_is_ahead() {
        // boksdiag sequence on the replica vs the master (as in that report).
        let here = n(&[("T7", 6982), ("T9", 10258), ("T15", 2043)]);
        let master = n(&[("T7", 5053), ("T9", 7919), ("T15", 1865)]);
        let o = compare(&here, &master, 1000);
        assert_eq!(o.finding, Finding::Fail);
        assert_eq!(
            o.summary,
            "ahead of its leader on 3 of 3: T15 2043 > 1865, T7 6982 > 5053, T9 10258 > 7919"
        );
    }

    #[test]
    fn lag_within_and_beyond_the_threshold() {
        let master = n(&[("T7", 5053), ("T9", 7919)]);
        let o = compare(&n(&[("T7", 5053), ("T9", 7919)]), &master, 10);
        assert_eq!(
            (o.finding, o.summary.as_str()),
            (
                Finding::Pass,
                "in step with its leader on 2, at most 0 behind"
            )
        );
        let o = compare(&n(&[("T7", 5050), ("T9", 7900)]), &master, 100);
        assert_eq!(o.finding, Finding::Pass);
        let o = compare(&n(&[("T7", 53), ("T9", 7900)]), &master, 100);
        assert_eq!(
            (o.finding, o.summary.as_str()),
            (Finding::Warn, "5000 behind its leader on T7 (max_lag 100)")
        );
    }

    #[test]
    fn names_on_one_side_are_said_and_none_in_common_is_an_error() {
        let o = compare(&n(&[("T7", 1), ("T8", 1)]), &n(&[("T7", 1), ("T9", 1)]), 0);
        assert_eq!(o.finding, Finding::Pass);
        assert!(
            o.summary.contains("only here: T8; only on the leader: T9"),
            "{}",
            o.summary
        );
        let o = compare(&n(&[("A", 1)]), &n(&[("B", 1)]), 0);
        assert_eq!(o.finding, Finding::Error);
    }

    #[test]
    fn local_files() {
        assert_eq!(parse_numbers("4242\n"), Ok(n(&[("sequence", 4242)])));
        assert_eq!(
            parse_numbers("# tables\nT7 6982\nT9=10258\n\nT15\t2043\n"),
            Ok(n(&[("T7", 6982), ("T9", 10258), ("T15", 2043)]))
        );
        for bad in [
            "",
            "# nothing\n",
            "T7\n",
            "T7 -1\n",
            "T7 many\n",
            "T7 1 2\n",
        ] {
            assert!(parse_numbers(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn replies() {
        let s = Value::Struct(
            [
                ("T7".to_string(), Value::Int(5053)),
                ("T9".to_string(), Value::String("8589934592".into())),
            ]
            .into_iter()
            .collect(),
        );
        assert_eq!(
            numbers_from_reply(&s),
            Ok(n(&[("T7", 5053), ("T9", 8_589_934_592)]))
        );
        assert_eq!(
            numbers_from_reply(&Value::Int64(7)),
            Ok(n(&[("sequence", 7)]))
        );
        assert!(numbers_from_reply(&Value::Int(-1)).is_err());
        assert!(numbers_from_reply(&Value::Struct(BTreeMap::new())).is_err());
        assert!(numbers_from_reply(&Value::Array(vec![])).is_err());
    }
}
