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

use super::{Context, Evaluate};
use crate::config::SpecError;
use crate::config::{Params, fields};
use crate::model::{Finding, Outcome};
use crate::world::xmlrpc::Value;
use crate::world::xmlrpc::{self as rpc, Endpoint};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

pub const PARAMS: &[&str] = &[
    "local",
    "peer",
    "peer_env",
    "port",
    "rpc_path",
    "method",
    "max_lag",
    "unreachable",
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
}

/// Sequence numbers by name.
type Numbers = BTreeMap<String, u64>;

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
        let unreachable = match p.take::<String>("unreachable")?.as_deref() {
            None | Some("error") => Finding::Error,
            Some("warn") => Finding::Warn,
            Some("skip") => Finding::Skip,
            Some(other) => {
                return Err(p.error_here(format!(
                    "`unreachable` is \"error\", \"warn\" or \"skip\", not {other:?}"
                )));
            }
        };
        Ok(Sequence {
            local,
            peer,
            port: p.take("port")?.unwrap_or(8000),
            rpc_path: p.take("rpc_path")?.unwrap_or_else(|| "/RPC2".into()),
            method: p
                .take("method")?
                .unwrap_or_else(|| "xcb.sequence".to_string()),
            max_lag: p.take("max_lag")?.unwrap_or(1000),
            unreachable,
        })
    }

    /// The leader's endpoint; None when the node's config names no leader.
    fn endpoint(&self, cx: &Context) -> Result<Option<Endpoint>, String> {
        let (path, key) = match &self.peer {
            Peer::Fixed(e) => return Ok(Some(e.clone())),
            Peer::Env { path, key } => (path, key),
        };
        let text = match cx.target.root.read_text(path, 64 << 10) {
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
        Endpoint::parse(&url, true)
            .map(Some)
            .map_err(|e| format!("{}: {key}={value:?}: {e}", path.display()))
    }
}

impl Evaluate for Sequence {
    fn evaluate(&self, cx: &Context) -> Outcome {
        let shown = self.local.display();
        let local = match cx.target.root.read_text(&self.local, 1 << 20) {
            Ok(text) => match parse_numbers(&text) {
                Ok(n) => n,
                Err(e) => return Outcome::error(format!("{shown}: {e}")),
            },
            Err(e) if e.is_not_found() => {
                return Outcome::skip(format!(
                    "no {shown}: this node keeps no replicated data to compare"
                ));
            }
            Err(e) => return Outcome::error(format!("cannot read {e}")),
        };
        let endpoint = match self.endpoint(cx) {
            Ok(Some(e)) => e,
            Ok(None) => {
                let why = match &self.peer {
                    Peer::Env { path, key } => format!("{} sets no {key}", path.display()),
                    Peer::Fixed(e) => format!("no leader at {}", e.url),
                };
                return Outcome::skip(format!("this node follows no one ({why})"));
            }
            Err(e) => return Outcome::error(e),
        };
        let call = format!("{}() at {}", self.method, endpoint.url);
        let reply = match cx
            .target
            .call(&endpoint, &self.method, &[], cx.deadline, 4 << 20)
        {
            Ok(v) => v,
            Err(
                e @ (rpc::CallError::Http(_)
                | rpc::CallError::Replayed {
                    unreachable: true, ..
                }),
            ) => {
                return Outcome::new(
                    self.unreachable.clone(),
                    format!("the leader cannot be asked: {}", e.summary()),
                )
                .with(format!("{call}: {e}"));
            }
            Err(e) => {
                return Outcome::error(format!("the leader's answer is unusable: {}", e.summary()))
                    .with(format!("{call}: {e}"));
            }
        };
        let peer = match numbers_from_reply(&reply) {
            Ok(n) => n,
            Err(e) => {
                return Outcome::error(format!("the leader's answer is unusable: {e}"))
                    .with(format!("{call} answered {}", rpc::show(&reply)));
            }
        };
        compare(&local, &peer, self.max_lag)
            .with(format!("{shown}: {}", render(&local)))
            .with(format!("{call}: {}", render(&peer)))
    }
}

/// The verdict over the names both sides have.
fn compare(local: &Numbers, peer: &Numbers, max_lag: u64) -> Outcome {
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
