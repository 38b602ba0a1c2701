//! An XML-RPC client over our own bounded HTTP (`http`): one call, all of it by a
//! deadline, with a reply of bounded size. xcbdaemon-rpc, drbd-consistent (source
//! "xmlrpc"), role-leftovers and peer-sequence all talk to xcbdaemon through it.
//!
//! Only IP literals are accepted as hosts (and `localhost`): a name lookup could hang on
//! DNS at boot. Loopback only, unless the caller allows another machine.
//!
//! The reply's parser (`codec`), `show` and the drop of a `Value` all recurse once per
//! nested value: a reply nested 20,000 deep once overflowed a check thread's stack and
//! aborted the run. So the parser refuses a reply that opens more than `MAX_DEPTH`
//! elements, and everything after it sees bounded values.

mod codec;

use super::http;
use codec::encode_call;
pub use codec::{Value, decode_reply};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// A loopback XML-RPC endpoint, parsed from a spec's `url`.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub url: String,
    pub addr: SocketAddr,
    pub host: String,
    pub path: String,
}

impl Endpoint {
    /// Parses `http://HOST[:PORT][/PATH]`; HOST is an IP literal (or `localhost`), never a
    /// name to look up, and must be loopback unless `remote` allows another machine.
    pub fn parse(url: &str, remote: bool) -> Result<Self, UrlError> {
        let (addr, host, path) = parse_url(url, remote)?;
        Ok(Endpoint {
            url: url.to_string(),
            addr,
            host,
            path,
        })
    }
}

/// Why a `url` is not one the client calls. The spec loader says it at the url's place
/// in the spec file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("only http:// URLs are supported (XML-RPC daemons speak plain HTTP)")]
    NotHttp,
    #[error("unclosed [ in the host")]
    Unclosed,
    #[error("bad port `{0}`")]
    BadPort(String),
    /// A name to look up could hang on DNS at boot.
    #[error("host `{0}` must be an IP literal or localhost (no name lookups at boot)")]
    NotLiteral(String),
    #[error("{0} is not a loopback address; this check only talks to local daemons")]
    NotLoopback(IpAddr),
}

/// How a call went wrong.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error(transparent)]
    Http(#[from] http::HttpError),
    #[error("XML-RPC fault {code}: {string}")]
    Fault { code: i32, string: String },
    #[error("malformed XML-RPC reply from {addr}: {message}")]
    Malformed { addr: SocketAddr, message: String },
    #[error(
        "the XML-RPC reply from {addr} nests {depth} elements deep, more than the {MAX_DEPTH} this tool reads"
    )]
    TooDeep { addr: SocketAddr, depth: usize },
    /// The call is not made here (a capture has no daemons; a bundle has no answer).
    #[error("{0}")]
    NotHere(String),
    /// How the call went wrong when the bundle was collected: its summary, its full
    /// words, whether it was worth waiting for, and whether the daemon was unreachable
    /// (an HTTP-level failure, which some checks judge apart from a bad answer).
    #[error("{detail}")]
    Replayed {
        summary: String,
        detail: String,
        transient: bool,
        unreachable: bool,
    },
}

impl CallError {
    /// The one-line summary for a report.
    pub fn summary(&self) -> String {
        use http::HttpError::*;
        match self {
            CallError::Http(Refused { addr }) => {
                format!("connection to {addr} refused: the daemon is not listening")
            }
            CallError::Http(TimedOut {
                addr,
                phase,
                waited,
            }) => format!(
                "no answer from {addr} within the {} timeout ({phase})",
                crate::model::duration::display(*waited)
            ),
            CallError::Replayed { summary, .. } => summary.clone(),
            other => other.to_string(),
        }
    }

    /// True for failures a daemon that is still starting would give: worth re-checking
    /// under `--wait`.
    pub fn is_transient(&self) -> bool {
        if let CallError::Replayed { transient, .. } = self {
            return *transient;
        }
        matches!(
            self,
            CallError::Http(http::HttpError::Refused { .. })
                | CallError::Http(http::HttpError::TimedOut {
                    phase: "connecting",
                    ..
                })
        )
    }
}

/// Calls `method(params)` at `endpoint`, all of it by `deadline`, with a reply of at most
/// `max_reply` bytes.
pub fn call(
    endpoint: &Endpoint,
    method: &str,
    params: &[Value],
    deadline: std::time::Instant,
    max_reply: usize,
) -> Result<Value, CallError> {
    let body = call_raw(endpoint, method, params, deadline, max_reply)?;
    decode_reply(&body, endpoint.addr)
}

/// The call's reply body, as the daemon sent it (what a support bundle keeps).
pub fn call_raw(
    endpoint: &Endpoint,
    method: &str,
    params: &[Value],
    deadline: std::time::Instant,
    max_reply: usize,
) -> Result<Vec<u8>, CallError> {
    Ok(http::post(
        endpoint.addr,
        &endpoint.host,
        &endpoint.path,
        "text/xml",
        encode_call(method, params).as_bytes(),
        deadline,
        max_reply,
    )?)
}

/// The parameters of a call as a key of a bundle's tape.
pub fn params_key(params: &[Value]) -> String {
    let shown: Vec<String> = params.iter().map(show).collect();
    format!("({})", shown.join(", "))
}

/// The deepest element nesting `decode_reply` reads. A real xcbdaemon
/// reply nests about ten (methodResponse, params, param, value, struct, member, value,
/// ...); each level of a nested value adds three.
pub const MAX_DEPTH: usize = 64;

/// A short rendering of a reply for evidence (long replies are cut).
pub fn show(v: &Value) -> String {
    let mut out = String::new();
    render(v, &mut out);
    if out.chars().count() > 200 {
        out = out.chars().take(200).collect::<String>() + "…";
    }
    out
}

fn render(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => out.push_str(&format!("{s:?}")),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Int64(i) => out.push_str(&i.to_string()),
        Value::Bool(b) => out.push_str(&b.to_string()),
        Value::Double(d) => out.push_str(&d.to_string()),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render(item, out);
            }
            out.push(']');
        }
        Value::Struct(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push_str(": ");
                render(item, out);
            }
            out.push('}');
        }
        Value::DateTime(d) => out.push_str(d),
        Value::Base64(b) => out.push_str(&format!("<{} bytes>", b.len())),
        Value::Nil => out.push_str("nil"),
    }
}

/// `http://HOST[:PORT][/PATH]` with HOST an IP literal or `localhost`, loopback unless
/// `remote`.
pub fn parse_url(url: &str, remote: bool) -> Result<(SocketAddr, String, String), UrlError> {
    let rest = url.strip_prefix("http://").ok_or(UrlError::NotHttp)?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or(UrlError::Unclosed)?;
        (h, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port: u16 = match port {
        Some(p) => p.parse().map_err(|_| UrlError::BadPort(p.to_string()))?,
        None => 80,
    };
    let ip: IpAddr = if host == "localhost" {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        host.parse()
            .map_err(|_| UrlError::NotLiteral(host.to_string()))?
    };
    if !remote && !ip.is_loopback() {
        return Err(UrlError::NotLoopback(ip));
    }
    Ok((SocketAddr::new(ip, port), authority.to_string(), path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_loopback_urls_only() {
        let (addr, host, path) = parse_url("http://127.0.0.1:8000/RPC2", false).unwrap();
        assert_eq!(addr, "127.0.0.1:8000".parse().unwrap());
        assert_eq!((host.as_str(), path.as_str()), ("127.0.0.1:8000", "/RPC2"));
        assert_eq!(parse_url("http://localhost", false).unwrap().0.port(), 80);
        assert!(parse_url("http://[::1]:9/", false).is_ok());
        let ip = "10.0.0.1".parse().unwrap();
        assert_eq!(
            parse_url("http://10.0.0.1:8000/", false),
            Err(UrlError::NotLoopback(ip))
        );
        let name = parse_url("http://xcb.example:8000/", false).unwrap_err();
        assert_eq!(name, UrlError::NotLiteral("xcb.example".into()));
        assert_eq!(
            name.to_string(),
            "host `xcb.example` must be an IP literal or localhost (no name lookups at boot)"
        );
        assert_eq!(
            parse_url("https://127.0.0.1/", false),
            Err(UrlError::NotHttp)
        );
    }

    #[test]
    fn remote_urls_still_take_ip_literals_only() {
        assert!(parse_url("http://10.0.0.1:8000/", true).is_ok());
        assert!(parse_url("http://[fd00::2]:8000/RPC2", true).is_ok());
        assert!(parse_url("http://peer.example:8000/", true).is_err());
    }
}
