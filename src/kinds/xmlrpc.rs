//! Kind `xmlrpc`: one XML-RPC call over loopback answers correctly in time.
//!
//! xcbdaemon-rpc uses it: the HA scripts ask xcbdaemon, over lo, for cluster and DRBD
//! state; in the incident (doc/incident.md) that call could not be made and the boot waited forever. The
//! summary tells apart the ways a call goes wrong, since each has a different fix:
//! refused (daemon not running), timed out (daemon hung, or lo not routing), an HTTP
//! error, an XML-RPC fault (the daemon answered "no"), a malformed or oversized reply.
//!
//! Only loopback URLs are accepted: a boot gate must not wait on another machine, and a
//! name lookup could hang on DNS, so hosts are IP literals or `localhost`.

use super::{BOOT, Context, Evaluate, KindDef, boxed};
use crate::config::Params;
use crate::config::SpecError;
use crate::model::Outcome;
use crate::world::xmlrpc::{CallError, Endpoint, Value, show};
use std::collections::BTreeMap;

/// What the spec loader knows of this kind; [`super::KINDS`] lists it.
pub const DEF: KindDef = KindDef {
    name: "xmlrpc",
    modes: BOOT,
    default_timeout: std::time::Duration::from_secs(2),
    waits: true,
    params: PARAMS,
    parse: |p| Xmlrpc::parse(p).map(boxed),
};

pub const PARAMS: &[&str] = &["url", "method", "params", "expect", "max_reply_bytes"];

#[derive(Debug)]
pub struct Xmlrpc {
    pub endpoint: Endpoint,
    pub method: String,
    pub params: Vec<Value>,
    pub expect: Option<Expect>,
    pub max_reply_bytes: usize,
}

/// What the reply must be, beyond "not a fault".
#[derive(Debug)]
pub enum Expect {
    /// An array reply has this element, a string contains it, a struct has it as a key.
    Contains(Value),
    Equals(Value),
}

impl Xmlrpc {
    pub fn parse(p: &mut Params) -> Result<Self, SpecError> {
        let endpoint = super::require_endpoint(p)?;
        let method = p
            .string("method")?
            .unwrap_or_else(|| "system.listMethods".to_string());
        let params = match p.take_raw("params") {
            None => Vec::new(),
            Some(raw) => {
                let span = raw.span();
                match raw.into_inner() {
                    toml::Value::Array(items) => items
                        .iter()
                        .map(to_xmlrpc)
                        .collect::<Result<_, _>>()
                        .map_err(|e| p.source().error_at(span, format!("`params`: {e}")))?,
                    _ => return Err(p.source().error_at(span, "`params` must be a list")),
                }
            }
        };
        let expect = match p.take_raw("expect") {
            None => None,
            Some(raw) => {
                let span = raw.span();
                let bad = "`expect` must be { contains = VALUE } or { equals = VALUE }";
                let table = raw.get_ref().as_table().filter(|t| t.len() == 1);
                let Some((key, value)) = table.and_then(|t| t.iter().next()) else {
                    return Err(p.source().error_at(span, bad));
                };
                let value = to_xmlrpc(value)
                    .map_err(|e| p.source().error_at(span.clone(), format!("`expect`: {e}")))?;
                Some(match key.as_str() {
                    "contains" => Expect::Contains(value),
                    "equals" => Expect::Equals(value),
                    _ => return Err(p.source().error_at(span, bad)),
                })
            }
        };
        let max_reply_bytes = p
            .integer::<usize>("max_reply_bytes", "usize")?
            .unwrap_or(1 << 20);
        Ok(Xmlrpc {
            endpoint,
            method,
            params,
            expect,
            max_reply_bytes,
        })
    }
}

impl Evaluate for Xmlrpc {
    fn evaluate(&self, cx: &Context) -> Outcome {
        let call_name = format!("{}() at {}", self.method, self.endpoint.url);
        let value = match cx.target.call(
            &self.endpoint,
            &self.method,
            &self.params,
            cx.deadline,
            self.max_reply_bytes,
        ) {
            Ok(v) => v,
            Err(e) => {
                // A reply nested past what is read was not judged at all: an error.
                let mut outcome = if matches!(e, CallError::TooDeep { .. }) {
                    Outcome::error(e.summary())
                } else {
                    Outcome::fail(e.summary())
                }
                .with(format!("{call_name}: {e}"))
                .fix(call_fix(&e, &self.endpoint));
                outcome.transient = e.is_transient();
                return outcome;
            }
        };
        let shown = show(&value);
        let answered = format!("{call_name} answered {shown}");
        match &self.expect {
            Some(Expect::Contains(want)) if !contains(&value, want) => Outcome::fail(format!(
                "{}() answered, but the reply does not contain {}",
                self.method,
                show(want)
            ))
            .with(answered),
            Some(Expect::Equals(want)) if &value != want => Outcome::fail(format!(
                "{}() answered {shown}, expected {}",
                self.method,
                show(want)
            ))
            .with(answered),
            _ => Outcome::pass(format!(
                "{}() answered at {}",
                self.method, self.endpoint.url
            ))
            .with(answered),
        }
    }
}

/// The fix for a call that went wrong, by how it went wrong.
pub fn call_fix(e: &CallError, endpoint: &Endpoint) -> String {
    use crate::world::http::HttpError;
    let addr = endpoint.addr;
    match e {
        CallError::Http(HttpError::Refused { .. }) => format!(
            "Nothing listens on {addr}: start the daemon, and check it listens on that\n\
             address (`ss -ltnp | grep :{}`) and that lo is up (see lo-up).",
            addr.port()
        ),
        CallError::Http(HttpError::TimedOut { waited, .. }) => format!(
            "The daemon took the connection but did not answer within {}: it is hung, or\n\
             blocked on something of its own. Look at its log and threads, and restart it.\n\
             Raise this check's `timeout` only if it is merely slow.",
            crate::model::duration::display(*waited)
        ),
        CallError::Fault { .. } => {
            "The daemon refused the call (the fault names why): look at its log, and at the\n\
             method and parameters this check sends."
                .into()
        }
        CallError::Http(HttpError::Status { .. })
        | CallError::Malformed { .. }
        | CallError::TooDeep { .. } => format!(
            "What answers at {} is not the XML-RPC service the check expects: check the\n\
             `url` of this check, and that the daemon there is the right one.",
            endpoint.url
        ),
        _ => format!(
            "The call to {} failed (see the evidence): check the daemon is running and its\n\
             log, then run again.",
            endpoint.url
        ),
    }
}

fn contains(reply: &Value, want: &Value) -> bool {
    match (reply, want) {
        (Value::Array(items), _) => items.contains(want),
        (Value::String(s), Value::String(w)) => s.contains(w.as_str()),
        (Value::Struct(map), Value::String(key)) => map.contains_key(key),
        _ => reply == want,
    }
}

pub fn to_xmlrpc(v: &toml::Value) -> Result<Value, String> {
    Ok(match v {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => i32::try_from(*i).map_or(Value::Int64(*i), Value::Int),
        toml::Value::Float(f) => Value::Double(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Array(items) => {
            Value::Array(items.iter().map(to_xmlrpc).collect::<Result<_, _>>()?)
        }
        toml::Value::Table(t) => {
            // Inserted one by one: collecting a map sorts, in a compiled copy of its own.
            let mut members = BTreeMap::new();
            for (k, v) in t {
                members.insert(k.clone(), to_xmlrpc(v)?);
            }
            Value::Struct(members)
        }
        toml::Value::Datetime(_) => {
            return Err("dates are not supported; pass them as strings".into());
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_means_element_substring_or_key() {
        let list = Value::Array(vec![Value::String("xcb.ping".into())]);
        assert!(contains(&list, &Value::String("xcb.ping".into())));
        assert!(!contains(&list, &Value::String("xcb".into())));
        assert!(contains(
            &Value::String("pong".into()),
            &Value::String("on".into())
        ));
    }
}
