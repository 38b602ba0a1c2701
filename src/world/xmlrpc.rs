//! An XML-RPC client over our own bounded HTTP (`http`): one call, all of it by a
//! deadline, with a reply of bounded size. xcbdaemon-rpc, drbd-consistent (source
//! "xmlrpc"), role-leftovers and peer-sequence all talk to xcbdaemon through it.
//!
//! Only IP literals are accepted as hosts (and `localhost`): a name lookup could hang on
//! DNS at boot. Loopback only, unless the caller allows another machine.
//!
//! The xmlrpc crate's parser recurses once per nested value, and so do `show` and the
//! drop of a `Value`: a reply nested 20,000 deep overflowed a check thread's stack and
//! aborted the run. So `decode_reply` first counts how deep the reply's elements nest
//! (`depth`) and refuses one deeper than `MAX_DEPTH`; everything after sees bounded values.

use super::http;
use std::io::Cursor;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
pub use xmlrpc::Value;
use xmlrpc::{Request, Transport};

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
    pub fn parse(url: &str, remote: bool) -> Result<Self, String> {
        let (addr, host, path) = parse_url(url, remote)?;
        Ok(Endpoint {
            url: url.to_string(),
            addr,
            host,
            path,
        })
    }
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
    #[error("cannot encode the request: {0}")]
    Encode(std::io::Error),
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
    decode(method, params, body, endpoint.addr)
}

fn request<'a>(method: &'a str, params: &[Value]) -> Request<'a> {
    params
        .iter()
        .fold(Request::new(method), |r, arg| r.arg(arg.clone()))
}

/// The call's reply body, as the daemon sent it (what a support bundle keeps).
pub fn call_raw(
    endpoint: &Endpoint,
    method: &str,
    params: &[Value],
    deadline: std::time::Instant,
    max_reply: usize,
) -> Result<Vec<u8>, CallError> {
    let mut xml = Vec::new();
    request(method, params)
        .write_as_xml(&mut xml)
        .map_err(CallError::Encode)?;
    Ok(http::post(
        endpoint.addr,
        &endpoint.host,
        &endpoint.path,
        "text/xml",
        &xml,
        deadline,
        max_reply,
    )?)
}

/// Decodes a reply body to `method(params)`.
pub fn decode(
    method: &str,
    params: &[Value],
    body: Vec<u8>,
    addr: SocketAddr,
) -> Result<Value, CallError> {
    decode_reply(request(method, params), body, addr)
}

/// The parameters of a call as a key of a bundle's tape.
pub fn params_key(params: &[Value]) -> String {
    let shown: Vec<String> = params.iter().map(show).collect();
    format!("({})", shown.join(", "))
}

/// Decodes the body of an XML-RPC reply from `addr`: a value, a fault, or malformed.
/// Separate from `call` so that the parser of the daemon's reply, the one piece of
/// outside input on this path past the HTTP head, can be fuzzed without a socket.
pub fn decode_reply(
    request: Request<'_>,
    body: Vec<u8>,
    addr: SocketAddr,
) -> Result<Value, CallError> {
    match depth(&body) {
        Err(message) => {
            return Err(CallError::Malformed {
                addr,
                message: message.into(),
            });
        }
        Ok(depth) if depth > MAX_DEPTH => return Err(CallError::TooDeep { addr, depth }),
        Ok(_) => {}
    }
    request.call(Replay(body)).map_err(|e| match e.fault() {
        Some(f) => CallError::Fault {
            code: f.fault_code,
            string: f.fault_string.clone(),
        },
        None => CallError::Malformed {
            addr,
            message: e.to_string(),
        },
    })
}

/// The deepest element nesting `decode_reply` hands to the parser. A real xcbdaemon
/// reply nests about ten (methodResponse, params, param, value, struct, member, value,
/// ...); each level of a nested value adds three.
pub const MAX_DEPTH: usize = 64;

/// How deep the elements of an XML body nest, counted as an XML parser sees them:
/// comments, CDATA and processing instructions hold no elements, a quoted attribute value
/// may hold `>`, `<x/>` opens nothing. Markup this byte count could not see is refused: a
/// DOCTYPE (xml-rs expands its entities into elements) and NUL bytes (UTF-16 or UTF-32,
/// which xml-rs decodes; XML-RPC replies are UTF-8). Unterminated markup ends the count:
/// the parser stops at it too.
fn depth(body: &[u8]) -> Result<usize, &'static str> {
    if body.contains(&0) {
        return Err("a NUL byte: XML-RPC replies are UTF-8 text");
    }
    let after = |from: usize, end: &[u8]| {
        body[from..]
            .windows(end.len())
            .position(|w| w == end)
            .map(|i| from + i + end.len())
    };
    let (mut depth, mut max, mut at) = (0usize, 0usize, 0usize);
    while let Some(i) = body[at..].iter().position(|&b| b == b'<') {
        let (start, rest) = (at + i, &body[at + i..]);
        let end = if rest.starts_with(b"<!--") {
            after(start + 4, b"-->")
        } else if rest.starts_with(b"<![CDATA[") {
            after(start + 9, b"]]>")
        } else if rest.starts_with(b"<?") {
            after(start + 2, b"?>")
        } else if rest.starts_with(b"<!") {
            return Err("a DOCTYPE: XML-RPC replies have none, and its entities could hide markup");
        } else {
            let mut quote = None;
            let close = rest.iter().position(|&b| {
                match quote {
                    Some(q) if b == q => quote = None,
                    None if b == b'"' || b == b'\'' => quote = Some(b),
                    None => return b == b'>',
                    _ => {}
                }
                false
            });
            let Some(close) = close else { break };
            if rest[1] == b'/' {
                depth = depth.saturating_sub(1);
            } else if rest[close - 1] != b'/' {
                depth += 1;
                max = max.max(depth);
            }
            Some(start + close + 1)
        };
        let Some(end) = end else { break };
        at = end;
    }
    Ok(max)
}

/// Hands a body already fetched over our own bounded HTTP to the xmlrpc crate's parser.
struct Replay(Vec<u8>);

impl Transport for Replay {
    type Stream = Cursor<Vec<u8>>;
    fn transmit(
        self,
        _: &Request<'_>,
    ) -> Result<Self::Stream, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Cursor::new(self.0))
    }
}

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
        Value::DateTime(d) => out.push_str(&format!("{d:?}")),
        Value::Base64(b) => out.push_str(&format!("<{} bytes>", b.len())),
        Value::Nil => out.push_str("nil"),
    }
}

/// `http://HOST[:PORT][/PATH]` with HOST an IP literal or `localhost`, loopback unless
/// `remote`.
pub fn parse_url(url: &str, remote: bool) -> Result<(SocketAddr, String, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or("only http:// URLs are supported (XML-RPC daemons speak plain HTTP)")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or("unclosed [ in the host")?;
        (h, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port: u16 = match port {
        Some(p) => p.parse().map_err(|_| format!("bad port `{p}`"))?,
        None => 80,
    };
    let ip: IpAddr = if host == "localhost" {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        host.parse().map_err(|_| {
            format!("host `{host}` must be an IP literal or localhost (no name lookups at boot)")
        })?
    };
    if !remote && !ip.is_loopback() {
        return Err(format!(
            "{ip} is not a loopback address; this check only talks to local daemons"
        ));
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
        assert!(parse_url("http://10.0.0.1:8000/", false).is_err());
        assert!(parse_url("http://xcb.example:8000/", false).is_err());
        assert!(parse_url("https://127.0.0.1/", false).is_err());
    }

    fn reply(value: &str) -> Vec<u8> {
        format!("<?xml version=\"1.0\"?><methodResponse><params><param>{value}</param></params></methodResponse>").into_bytes()
    }

    #[test]
    fn nesting_is_counted_as_xml_parsers_see_it() {
        assert_eq!(depth(&reply("<value><i4>1</i4></value>")), Ok(5));
        // Markup that holds no elements, and a `>` in an attribute value.
        let quiet =
            "<!-- <a><b><c> --><![CDATA[<a><b>]]><?pi <a><b> ?><value a='>' b=\">\"><nil/></value>";
        assert_eq!(depth(&reply(quiet)), Ok(4));
        assert!(depth(b"<!DOCTYPE x [<!ENTITY e \"<value>\">]><x>&e;</x>").is_err());
        assert!(depth(b"<\0v\0>\0").is_err());
        // Unterminated markup ends the count; nothing panics on a cut body.
        for cut in ["<", "<a", "<!--", "<![CDATA[", "<?", "<a x='>"] {
            assert_eq!(depth(cut.as_bytes()), Ok(0), "{cut}");
        }
    }

    #[test]
    fn a_reply_nested_too_deep_is_refused_before_the_parser_recurses() {
        let addr = "127.0.0.1:8000".parse().unwrap();
        let nest = |n: usize| {
            reply(&format!(
                "{}<value><nil/></value>{}",
                "<value><array><data>".repeat(n),
                "</data></array></value>".repeat(n)
            ))
        };
        // 20 levels of arrays (64 elements) decode; 21 (67) are refused, naming the depth.
        let v = decode_reply(Request::new("m"), nest(20), addr);
        assert!(v.is_ok(), "{v:?}");
        for (n, deep) in [(21, 67), (20_000, 60_004)] {
            let e = decode_reply(Request::new("m"), nest(n), addr).unwrap_err();
            assert!(
                matches!(e, CallError::TooDeep { depth, .. } if depth == deep),
                "{e}"
            );
            assert!(
                e.summary().contains(&format!("nests {deep} elements deep")),
                "{e}"
            );
        }
    }

    #[test]
    fn remote_urls_still_take_ip_literals_only() {
        assert!(parse_url("http://10.0.0.1:8000/", true).is_ok());
        assert!(parse_url("http://[fd00::2]:8000/RPC2", true).is_ok());
        assert!(parse_url("http://peer.example:8000/", true).is_err());
    }
}
