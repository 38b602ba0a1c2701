//! Just enough HTTP/1.0 to POST one request over loopback, with every wait bounded.
//!
//! Written over std's TcpStream instead of an HTTP crate so that a boot binary carries no
//! async runtime, and so that the one thing that matters here is explicit: the whole
//! exchange ends by a deadline. Per-read timeouts alone do not do that, because a peer
//! that sends one byte per second never trips them; each read's timeout is therefore the
//! time left to the deadline. And the wait for the socket is poll(2), not a socket timeout
//! (SO_RCVTIMEO): a socket timeout rides the kernel's timer wheel, whose slots at a few
//! seconds are 64 to 640 jiffies wide, so a 3 s read timeout fired up to a quarter of a
//! second late (HZ 250), after the engine had given up on the check and reported it
//! without the address it was waiting on. poll's timeout is a high-resolution timer: it
//! fires at the deadline, inside the engine's grace. HTTP/1.0 makes the server close the connection after the
//! reply, so there is no keep-alive or chunked encoding to handle; interim 1xx replies
//! are skipped, and a body encoding we did not ask for is named, not misread as XML.

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};
use thiserror::Error;

/// Reply headers are a few hundred bytes; a peer that sends more is not well.
const MAX_HEADER_BYTES: usize = 16 << 10;
/// Interim 1xx replies skipped before the final one; a peer that sends more is looping.
const MAX_INTERIM: usize = 8;

#[derive(Debug, Error)]
pub enum HttpError {
    #[error("connection to {addr} refused: nothing is listening there")]
    Refused { addr: SocketAddr },
    #[error("no answer from {addr} within {} ({phase})", crate::model::duration::display(*.waited))]
    TimedOut {
        addr: SocketAddr,
        phase: &'static str,
        /// The time the call was given: the check's timeout, as it stood at the call.
        waited: Duration,
    },
    #[error("{addr}: {phase}: {source}")]
    Io {
        addr: SocketAddr,
        phase: &'static str,
        source: io::Error,
    },
    #[error("HTTP {code} {reason} from {addr}")]
    Status {
        addr: SocketAddr,
        code: u16,
        reason: String,
    },
    #[error("reply from {addr} is larger than the {limit}-byte limit{}", declared.map(|d| format!(" (Content-Length {d})")).unwrap_or_default())]
    TooLarge {
        addr: SocketAddr,
        limit: usize,
        declared: Option<u64>,
    },
    #[error(
        "reply from {addr} is {encoding}-encoded (Content-Encoding: {encoding}), which was not asked for: the client reads plain XML only"
    )]
    Encoded { addr: SocketAddr, encoding: String },
    #[error("malformed HTTP reply from {addr}: {what}")]
    Malformed { addr: SocketAddr, what: BadReply },
}

/// What is wrong with a reply that is not HTTP as this client reads it. The status and
/// header lines it quotes are cut to 80 characters.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BadReply {
    #[error("no end of headers within {MAX_HEADER_BYTES} bytes")]
    NoHeaderEnd,
    #[error("connection closed without a reply")]
    ClosedBeforeReply,
    #[error("connection closed inside the headers")]
    ClosedInHeaders,
    #[error("more than {MAX_INTERIM} interim 1xx replies")]
    TooManyInterim,
    #[error("body ended after {got} of {declared} bytes")]
    ShortBody { got: usize, declared: u64 },
    #[error("not an HTTP status line: {0:?}")]
    NotStatusLine(String),
    #[error("no status code in {0:?}")]
    NoStatusCode(String),
    #[error("not a header line: {0:?}")]
    NotHeaderLine(String),
    #[error("bad Content-Length {0:?}")]
    BadLength(String),
    /// Chunked (or any other) transfer coding: HTTP/1.0 has none.
    #[error("Transfer-Encoding {0:?} in reply to an HTTP/1.0 request")]
    TransferEncoding(String),
}

/// POSTs `body` to `http://addr/path` and returns the reply body of a 200 answer.
pub fn post(
    addr: SocketAddr,
    host: &str,
    path: &str,
    content_type: &str,
    body: &[u8],
    deadline: Instant,
    max_body: usize,
) -> Result<Vec<u8>, HttpError> {
    // The time the call is given, to the 10 ms above it: the check's timeout as it was
    // written ("2s"), less the few microseconds spent before the call.
    let given = deadline
        .saturating_duration_since(Instant::now())
        .as_nanos();
    let waited = Duration::from_millis((given.div_ceil(10_000_000) * 10) as u64);
    let remaining = |phase| {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err(HttpError::TimedOut {
                addr,
                phase,
                waited,
            })
        } else {
            Ok(left)
        }
    };
    let io_err = |phase, source: io::Error| match source.kind() {
        io::ErrorKind::ConnectionRefused => HttpError::Refused { addr },
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => HttpError::TimedOut {
            addr,
            phase,
            waited,
        },
        _ => HttpError::Io {
            addr,
            phase,
            source,
        },
    };

    // std's connect_timeout waits in poll(2) too.
    let mut stream = TcpStream::connect_timeout(&addr, remaining("connecting")?)
        .map_err(|e| io_err("connecting", e))?;
    let _ = stream.set_nodelay(true);
    stream
        .set_nonblocking(true)
        .map_err(|e| io_err("connecting", e))?;
    let head = format!(
        "POST {path} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: ha-preflight/{}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        env!("CARGO_PKG_VERSION"),
        body.len()
    );
    // One write, so head and body leave in one segment (NODELAY sends each write at
    // once) and the server reads the whole request in one go.
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    let mut rest = &request[..];
    while !rest.is_empty() {
        let phase = "sending the request";
        match stream.write(rest) {
            Ok(0) => return Err(io_err(phase, io::ErrorKind::WriteZero.into())),
            Ok(n) => rest = &rest[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                wait_for(&stream, PollFlags::POLLOUT, remaining(phase)?)
                    .map_err(|e| io_err(phase, e))?;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_err(phase, e)),
        }
    }

    let mut read = |buf: &mut [u8], phase: &'static str| -> Result<usize, HttpError> {
        loop {
            match stream.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    wait_for(&stream, PollFlags::POLLIN, remaining(phase)?)
                        .map_err(|e| io_err(phase, e))?;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => return other.map_err(|e| io_err(phase, e)),
            }
        }
    };

    // Headers, up to the blank line. Interim 1xx replies (100 Continue, 103 Early
    // Hints) come before the final one and carry no body: RFC 9110 15.2 says a client
    // must skip them, even unasked. 101 would switch protocols, which we never ask for.
    let mut data = Vec::with_capacity(4096);
    let mut chunk = [0u8; 8192];
    let mut interim = 0;
    let (head, header_end) = loop {
        let header_end = loop {
            if let Some(end) = find_header_end(&data) {
                break end;
            }
            if data.len() > MAX_HEADER_BYTES {
                return Err(HttpError::Malformed {
                    addr,
                    what: BadReply::NoHeaderEnd,
                });
            }
            let n = read(&mut chunk, "waiting for the reply headers")?;
            if n == 0 {
                return Err(HttpError::Malformed {
                    addr,
                    what: if data.is_empty() {
                        BadReply::ClosedBeforeReply
                    } else {
                        BadReply::ClosedInHeaders
                    },
                });
            }
            data.extend_from_slice(&chunk[..n]);
        };
        let text = String::from_utf8_lossy(&data[..header_end.0]).into_owned();
        let head = parse_head(&text).map_err(|what| HttpError::Malformed { addr, what })?;
        if !head.is_interim() {
            break (head, header_end);
        }
        interim += 1;
        if interim > MAX_INTERIM {
            return Err(HttpError::Malformed {
                addr,
                what: BadReply::TooManyInterim,
            });
        }
        data.drain(..header_end.1);
    };
    if head.code != 200 {
        return Err(HttpError::Status {
            addr,
            code: head.code,
            reason: head.reason,
        });
    }
    if let Some(encoding) = head.encoding {
        return Err(HttpError::Encoded { addr, encoding });
    }
    let length = head.length;
    if let Some(declared) = length
        && declared > max_body as u64
    {
        return Err(HttpError::TooLarge {
            addr,
            limit: max_body,
            declared: Some(declared),
        });
    }

    let mut body = data.split_off(header_end.1);
    loop {
        if let Some(declared) = length
            && body.len() as u64 >= declared
        {
            body.truncate(declared as usize);
            return Ok(body);
        }
        if body.len() > max_body {
            return Err(HttpError::TooLarge {
                addr,
                limit: max_body,
                declared: length,
            });
        }
        let n = read(&mut chunk, "reading the reply body")?;
        if n == 0 {
            return match length {
                Some(declared) => Err(HttpError::Malformed {
                    addr,
                    what: BadReply::ShortBody {
                        got: body.len(),
                        declared,
                    },
                }),
                None => Ok(body),
            };
        }
        body.extend_from_slice(&chunk[..n]);
    }
}

/// Waits until the socket is ready for `what`, or `left` has passed (then the caller's
/// next `remaining` says the deadline is past). The timeout is rounded up to the next
/// millisecond, so that it never ends just short of the deadline and spins.
fn wait_for(stream: &TcpStream, what: PollFlags, left: Duration) -> io::Result<()> {
    let millis = left.as_micros().div_ceil(1000);
    let timeout = PollTimeout::try_from(millis).unwrap_or(PollTimeout::MAX);
    let mut fds = [PollFd::new(stream.as_fd(), what)];
    match poll(&mut fds, timeout) {
        Ok(_) | Err(nix::errno::Errno::EINTR) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// (end of the header text, start of the body).
pub fn find_header_end(data: &[u8]) -> Option<(usize, usize)> {
    if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
        return Some((i, i + 4));
    }
    data.windows(2)
        .position(|w| w == b"\n\n")
        .map(|i| (i, i + 2))
}

/// What a reply's head says, as far as a client of one POST needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub code: u16,
    pub reason: String,
    pub length: Option<u64>,
    /// A Content-Encoding other than `identity` (we never send Accept-Encoding).
    pub encoding: Option<String>,
}

impl Head {
    /// An interim reply (1xx but 101) that a final one follows.
    pub fn is_interim(&self) -> bool {
        (100..200).contains(&self.code) && self.code != 101
    }
}

/// Status code, reason, Content-Length and Content-Encoding of a reply head.
pub fn parse_head(head: &str) -> Result<Head, BadReply> {
    let mut lines = head.lines();
    let status = lines.next().unwrap_or_default();
    let mut parts = status.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(BadReply::NotStatusLine(truncate(status)));
    }
    let code: u16 = parts
        .next()
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| BadReply::NoStatusCode(truncate(status)))?;
    let reason = parts.next().unwrap_or_default().trim().to_string();
    let mut length = None;
    let mut encoding = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err(BadReply::NotHeaderLine(truncate(line)));
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(
                value
                    .parse::<u64>()
                    .map_err(|_| BadReply::BadLength(value.to_string()))?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding")
            && !value.eq_ignore_ascii_case("identity")
        {
            return Err(BadReply::TransferEncoding(value.to_string()));
        } else if name.eq_ignore_ascii_case("content-encoding")
            && !value.eq_ignore_ascii_case("identity")
            && !value.is_empty()
        {
            encoding = Some(truncate(value));
        }
    }
    Ok(Head {
        code,
        reason,
        length,
        encoding,
    })
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_reply_head() {
        let head = "HTTP/1.0 200 OK\r\nServer: x\r\nContent-Length: 12";
        assert_eq!(
            parse_head(head),
            Ok(Head {
                code: 200,
                reason: "OK".into(),
                length: Some(12),
                encoding: None
            })
        );
        let gzip = parse_head("HTTP/1.1 200 OK\r\nContent-Encoding: gzip").unwrap();
        assert_eq!(gzip.encoding.as_deref(), Some("gzip"));
        assert!(parse_head("HTTP/1.1 100 Continue").unwrap().is_interim());
        assert!(parse_head("HTTP/1.1 103 Early Hints").unwrap().is_interim());
        assert!(
            !parse_head("HTTP/1.1 101 Switching Protocols")
                .unwrap()
                .is_interim()
        );
        let ssh = parse_head("SSH-2.0-OpenSSH").unwrap_err();
        assert_eq!(ssh, BadReply::NotStatusLine("SSH-2.0-OpenSSH".into()));
        assert_eq!(
            ssh.to_string(),
            "not an HTTP status line: \"SSH-2.0-OpenSSH\""
        );
        assert_eq!(
            parse_head("HTTP/1.1 200 OK\r\nContent-Length: lots"),
            Err(BadReply::BadLength("lots".into()))
        );
        assert_eq!(
            parse_head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"),
            Err(BadReply::TransferEncoding("chunked".into()))
        );
    }
}
