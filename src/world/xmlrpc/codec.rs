//! XML-RPC's encoding of values, written here rather than taken from the xmlrpc crate:
//! that crate and the XML parser under it were about 55 KiB of a binary with a hard size
//! budget, and they recursed once per nested value with no limit. This reads only what a
//! `methodResponse` holds, checks that the XML is well formed as it goes, and stops at
//! `MAX_DEPTH` open elements, so neither its recursion nor the values it builds can be
//! deeper than that.
//!
//! The XML it reads: the declaration and processing instructions (skipped), comments,
//! CDATA sections, the five predefined entities and character references, attributes
//! (ignored). A DOCTYPE is refused: XML-RPC replies have none, and its entities could
//! expand into markup or into a billion laughs.

use super::{CallError, MAX_DEPTH};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::net::SocketAddr;

/// An XML-RPC value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `<i4>` or `<int>`.
    Int(i32),
    /// `<i8>`, an extension some servers speak.
    Int64(i64),
    /// `<boolean>`: 0 or 1.
    Bool(bool),
    /// `<string>`, or a `<value>` with text and no type.
    String(String),
    /// `<double>`.
    Double(f64),
    /// `<dateTime.iso8601>`, as the text the server sent: XML-RPC leaves the time zone
    /// to the two ends, so there is nothing more to know of it without guessing.
    DateTime(String),
    /// `<base64>`, decoded.
    Base64(Vec<u8>),
    /// `<struct>`: a later member of the same name replaces an earlier one.
    Struct(BTreeMap<String, Value>),
    /// `<array>`.
    Array(Vec<Value>),
    /// `<nil/>`, an extension (Python's `allow_none`).
    Nil,
}

/// The accessors the kinds read replies with, as the xmlrpc crate had them.
impl Value {
    /// A struct's member.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Struct(map) => map.get(name),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// An `Int` or an `Int64`.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Int(i) => Some(i.into()),
            Value::Int64(i) => Some(i),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Double(d) => Some(d),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }
}

/// The body of a call of `method(params)`.
pub fn encode_call(method: &str, params: &[Value]) -> String {
    let mut x = String::from("<?xml version=\"1.0\"?><methodCall><methodName>");
    escape(method, &mut x);
    x.push_str("</methodName><params>");
    for p in params {
        x.push_str("<param>");
        encode(p, &mut x);
        x.push_str("</param>");
    }
    x.push_str("</params></methodCall>");
    x
}

/// Escapes text for an element's content. A CR is written as a reference, since an XML
/// parser turns a raw one into LF.
fn escape(s: &str, x: &mut String) {
    for c in s.chars() {
        match c {
            '&' => x.push_str("&amp;"),
            '<' => x.push_str("&lt;"),
            '>' => x.push_str("&gt;"),
            '\r' => x.push_str("&#13;"),
            c => x.push(c),
        }
    }
}

fn encode(v: &Value, x: &mut String) {
    x.push_str("<value>");
    let _ = match v {
        Value::Int(i) => write!(x, "<i4>{i}</i4>"),
        Value::Int64(i) => write!(x, "<i8>{i}</i8>"),
        Value::Bool(b) => write!(x, "<boolean>{}</boolean>", u8::from(*b)),
        Value::Double(d) => write!(x, "<double>{d}</double>"),
        Value::String(s) => {
            x.push_str("<string>");
            escape(s, x);
            x.push_str("</string>");
            Ok(())
        }
        Value::DateTime(d) => {
            x.push_str("<dateTime.iso8601>");
            escape(d, x);
            x.push_str("</dateTime.iso8601>");
            Ok(())
        }
        Value::Base64(data) => {
            x.push_str("<base64>");
            for chunk in data.chunks(3) {
                let n = chunk
                    .iter()
                    .enumerate()
                    .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
                for i in 0..4 {
                    x.push(if i <= chunk.len() {
                        char::from(B64[(n >> (18 - 6 * i) & 63) as usize])
                    } else {
                        '='
                    });
                }
            }
            x.push_str("</base64>");
            Ok(())
        }
        Value::Struct(map) => {
            x.push_str("<struct>");
            for (name, v) in map {
                x.push_str("<member><name>");
                escape(name, x);
                x.push_str("</name>");
                encode(v, x);
                x.push_str("</member>");
            }
            x.push_str("</struct>");
            Ok(())
        }
        Value::Array(items) => {
            x.push_str("<array><data>");
            for v in items {
                encode(v, x);
            }
            x.push_str("</data></array>");
            Ok(())
        }
        Value::Nil => {
            x.push_str("<nil/>");
            Ok(())
        }
    };
    x.push_str("</value>");
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64 with or without its `=` padding; whitespace (line breaks) is skipped.
fn unbase64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut n, mut bits, mut count, mut pad) = (0u32, 0, 0usize, 0usize);
    for b in text.bytes().filter(|b| !b.is_ascii_whitespace()) {
        if b == b'=' {
            pad += 1;
            continue;
        }
        if pad > 0 {
            return None;
        }
        n = n << 6 | B64.iter().position(|&c| c == b)? as u32;
        (bits, count) = (bits + 6, count + 1);
        if bits >= 8 {
            bits -= 8;
            out.push((n >> bits) as u8);
        }
    }
    (count % 4 != 1 && pad <= 2 && (pad == 0 || (count + pad) % 4 == 0)).then_some(out)
}

/// Decodes the body of an XML-RPC reply from `addr`: its value, its fault, or why it is
/// malformed (what, and at which byte) or nested deeper than `MAX_DEPTH` elements.
/// Apart from `call`, so that the one parser of outside input on this path past the HTTP
/// head can be fuzzed without a socket.
pub fn decode_reply(body: &[u8], addr: SocketAddr) -> Result<Value, CallError> {
    let bad = |at, what: &str| CallError::Malformed {
        addr,
        message: format!("{what} at byte {at}"),
    };
    if let Some(at) = body.iter().position(|&b| b == 0) {
        return Err(bad(at, "a NUL byte (XML-RPC replies are UTF-8 text)"));
    }
    let s = std::str::from_utf8(body).map_err(|e| bad(e.valid_up_to(), "text not in UTF-8"))?;
    let mut r = Reader {
        at: if s.starts_with('\u{feff}') { 3 } else { 0 },
        s,
        start: 0,
        open: Vec::new(),
        empty: None,
        addr,
    };
    r.want("methodResponse")?;
    let v = match r.next()? {
        Tok::Open("params") => {
            r.want("param")?;
            r.want("value")?;
            let v = r.value()?;
            r.want_close("param")?;
            r.want_close("params")?;
            Ok(v)
        }
        Tok::Open("fault") => {
            r.want("value")?;
            let at = r.start;
            let v = r.value()?;
            r.want_close("fault")?;
            let mut v = match v {
                Value::Struct(map) => map,
                _ => BTreeMap::new(),
            };
            match (v.remove("faultCode"), v.remove("faultString")) {
                (Some(Value::Int(code)), Some(Value::String(string))) => {
                    Err(CallError::Fault { code, string })
                }
                _ => {
                    return Err(r.bad(
                        at,
                        "a <fault> that is not a struct of an int faultCode and a string faultString",
                    ));
                }
            }
        }
        t => return Err(r.unexpected("<params> or <fault>", t)),
    };
    r.want_close("methodResponse")?;
    match r.next()? {
        Tok::End => v,
        t => Err(r.unexpected("the end of the reply", t)),
    }
}

/// A piece of XML: an element opened or closed, text (entities and CDATA resolved,
/// comments and processing instructions dropped), or the end of the body.
enum Tok<'a> {
    Open(&'a str),
    Close(&'a str),
    Text(String),
    End,
}

/// Reads a body piece by piece, checking that each closing tag closes the element open.
struct Reader<'a> {
    s: &'a str,
    /// The next byte to read.
    at: usize,
    /// Where the piece last read starts: where a message about it points.
    start: usize,
    /// The elements open, outermost first: at most `MAX_DEPTH`.
    open: Vec<&'a str>,
    /// The `<x/>` just read: its close comes next.
    empty: Option<&'a str>,
    addr: SocketAddr,
}

/// Appends text read as it is, its line ends made LF as XML says (a CR meant as such is
/// sent as `&#13;`).
fn push_text(text: &mut String, raw: &str) {
    if raw.contains('\r') {
        text.push_str(&raw.replace("\r\n", "\n").replace('\r', "\n"));
    } else {
        text.push_str(raw);
    }
}

fn blank(t: &str) -> bool {
    t.bytes().all(|b| b.is_ascii_whitespace())
}

impl<'a> Reader<'a> {
    fn bad(&self, at: usize, what: &str) -> CallError {
        CallError::Malformed {
            addr: self.addr,
            message: format!("{what} at byte {at}"),
        }
    }

    fn unexpected(&self, wanted: &str, found: Tok) -> CallError {
        let found = match found {
            Tok::Open(n) => format!("<{n}>"),
            Tok::Close(n) => format!("</{n}>"),
            Tok::Text(t) if t.chars().count() > 40 => {
                format!("text {:?}…", t.chars().take(40).collect::<String>())
            }
            Tok::Text(t) => format!("text {t:?}"),
            Tok::End => "the end of the reply".into(),
        };
        self.bad(self.start, &format!("expected {wanted}, found {found}"))
    }

    /// The next piece, unchecked, and whether an opening tag was `<x/>`.
    fn raw(&mut self) -> Result<(Tok<'a>, bool), CallError> {
        self.start = self.at;
        let mut text = String::new();
        loop {
            let rest = &self.s[self.at..];
            let skip = |open: &str, close: &str, what: &str| {
                let body = &rest[open.len()..];
                match body.find(close) {
                    Some(end) => Ok((&body[..end], open.len() + end + close.len())),
                    None => Err(self.bad(self.at, what)),
                }
            };
            if rest.starts_with("<!--") {
                self.at += skip("<!--", "-->", "an unclosed comment")?.1;
            } else if rest.starts_with("<![CDATA[") {
                let (cdata, len) = skip("<![CDATA[", "]]>", "an unclosed CDATA section")?;
                push_text(&mut text, cdata);
                self.at += len;
            } else if rest.starts_with("<?") {
                self.at += skip("<?", "?>", "an unclosed processing instruction")?.1;
            } else if rest.starts_with("<!") {
                return Err(self.bad(
                    self.at,
                    "a DOCTYPE (XML-RPC replies have none, and its entities could hide markup)",
                ));
            } else if rest.starts_with('<') || rest.is_empty() {
                break;
            } else if let Some(entity) = rest.strip_prefix('&') {
                let c = entity
                    .find(';')
                    .filter(|&end| end <= 10)
                    .and_then(|end| self.entity(&entity[..end]).map(|c| (c, end)));
                let Some((c, end)) = c else {
                    return Err(self.bad(self.at, "an unknown or unterminated entity"));
                };
                text.push(c);
                self.at += end + 2;
            } else {
                let n = rest.find(['<', '&']).unwrap_or(rest.len());
                push_text(&mut text, &rest[..n]);
                self.at += n;
            }
        }
        let rest = &self.s[self.at..];
        if self.at > self.start || rest.is_empty() {
            let tok = if self.at > self.start {
                Tok::Text(text)
            } else {
                Tok::End
            };
            return Ok((tok, false));
        }
        let mut quote = None;
        let end = rest.bytes().skip(1).position(|b| {
            match quote {
                Some(q) if b == q => quote = None,
                None if b == b'"' || b == b'\'' => quote = Some(b),
                None => return b == b'>' || b == b'<',
                _ => {}
            }
            false
        });
        let Some(end) = end.map(|i| i + 1).filter(|&i| rest.as_bytes()[i] == b'>') else {
            return Err(self.bad(self.at, "an unclosed tag"));
        };
        let close = rest.starts_with("</");
        let inner = &rest[1 + usize::from(close)..end];
        let (inner, empty) = match inner.strip_suffix('/') {
            Some(inner) if !close => (inner, true),
            _ => (inner, false),
        };
        let name = inner
            .split(|c: char| c.is_ascii_whitespace())
            .next()
            .unwrap_or_default();
        if name.is_empty() || close && name.len() != inner.trim_end().len() {
            return Err(self.bad(self.at, "a tag without a name, or a closing tag with more"));
        }
        self.at += end + 1;
        Ok((
            if close {
                Tok::Close(name)
            } else {
                Tok::Open(name)
            },
            empty,
        ))
    }

    /// The character an entity (between `&` and `;`) stands for.
    fn entity(&self, name: &str) -> Option<char> {
        let code = match name {
            "amp" => return Some('&'),
            "lt" => return Some('<'),
            "gt" => return Some('>'),
            "quot" => return Some('"'),
            "apos" => return Some('\''),
            _ => match name.strip_prefix("#x") {
                Some(hex) => u32::from_str_radix(hex, 16),
                None => name.strip_prefix('#')?.parse(),
            },
        };
        char::from_u32(code.ok()?).filter(|&c| c != '\0')
    }

    /// The next piece, checked: a closing tag closes the element open, the body does not
    /// end inside one, and no more than `MAX_DEPTH` are open.
    fn tok(&mut self) -> Result<Tok<'a>, CallError> {
        if let Some(name) = self.empty.take() {
            return Ok(Tok::Close(name));
        }
        let (tok, empty) = self.raw()?;
        match tok {
            Tok::Open(name) if empty => self.empty = Some(name),
            Tok::Open(_) if self.open.len() == MAX_DEPTH => return Err(self.too_deep()),
            Tok::Open(name) => self.open.push(name),
            Tok::Close(name) => match self.open.pop() {
                Some(open) if open == name => {}
                Some(open) => {
                    return Err(self.bad(self.start, &format!("</{name}> closes <{open}>")));
                }
                None => return Err(self.bad(self.start, &format!("</{name}> closes nothing"))),
            },
            Tok::End if !self.open.is_empty() => {
                let open = self.open.last().copied().unwrap_or_default();
                return Err(self.bad(self.at, &format!("the reply ends inside <{open}>")));
            }
            _ => {}
        }
        Ok(tok)
    }

    /// The reply opened one element more than `MAX_DEPTH`: how deep the rest of it
    /// nests, counted without building anything (up to markup that cannot be read).
    fn too_deep(&mut self) -> CallError {
        let (mut depth, mut deepest) = (MAX_DEPTH + 1, MAX_DEPTH + 1);
        while let Ok((tok, empty)) = self.raw() {
            match tok {
                Tok::Open(_) if !empty => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                Tok::Close(_) => depth = depth.saturating_sub(1),
                Tok::End => break,
                _ => {}
            }
        }
        CallError::TooDeep {
            addr: self.addr,
            depth: deepest,
        }
    }

    /// The next piece that is not whitespace between elements.
    fn next(&mut self) -> Result<Tok<'a>, CallError> {
        loop {
            match self.tok()? {
                Tok::Text(t) if blank(&t) => {}
                t => return Ok(t),
            }
        }
    }

    fn want(&mut self, name: &str) -> Result<(), CallError> {
        match self.next()? {
            Tok::Open(n) if n == name => Ok(()),
            t => Err(self.unexpected(&format!("<{name}>"), t)),
        }
    }

    fn want_close(&mut self, name: &str) -> Result<(), CallError> {
        match self.next()? {
            Tok::Close(_) => Ok(()),
            t => Err(self.unexpected(&format!("</{name}>"), t)),
        }
    }

    /// The text of an element just opened, up to its close.
    fn text(&mut self, name: &str) -> Result<String, CallError> {
        match self.tok()? {
            Tok::Close(_) => Ok(String::new()),
            Tok::Text(t) => self.want_close(name).map(|()| t),
            t => Err(self.unexpected(&format!("text or </{name}>"), t)),
        }
    }

    /// The value of a `<value>` just opened, up to its close.
    fn value(&mut self) -> Result<Value, CallError> {
        let mut tok = self.tok()?;
        let mut text = String::new();
        if let Tok::Text(t) = tok {
            text = t;
            tok = self.tok()?;
        }
        let ty = match tok {
            Tok::Close(_) => return Ok(Value::String(text)),
            Tok::Open(ty) if blank(&text) => ty,
            t => return Err(self.unexpected("a type or </value>", t)),
        };
        let at = self.start;
        let v = match ty {
            "struct" => {
                let mut map = BTreeMap::new();
                loop {
                    match self.next()? {
                        Tok::Close(_) => break,
                        Tok::Open("member") => {}
                        t => return Err(self.unexpected("<member> or </struct>", t)),
                    }
                    self.want("name")?;
                    let name = self.text("name")?;
                    self.want("value")?;
                    map.insert(name, self.value()?);
                    self.want_close("member")?;
                }
                Value::Struct(map)
            }
            "array" => {
                self.want("data")?;
                let mut items = Vec::new();
                loop {
                    match self.next()? {
                        Tok::Close(_) => break,
                        Tok::Open("value") => items.push(self.value()?),
                        t => return Err(self.unexpected("<value> or </data>", t)),
                    }
                }
                self.want_close("array")?;
                Value::Array(items)
            }
            "string" | "i4" | "int" | "i8" | "boolean" | "double" | "dateTime.iso8601"
            | "base64" | "nil" => {
                let t = self.text(ty)?;
                if ty == "string" {
                    return self.want_close("value").map(|()| Value::String(t));
                }
                let n = t.trim();
                let v = match ty {
                    "i4" | "int" => n.parse().ok().map(Value::Int),
                    "i8" => n.parse().ok().map(Value::Int64),
                    "boolean" => match n {
                        "0" | "1" => Some(Value::Bool(n == "1")),
                        _ => None,
                    },
                    "double" => n.parse().ok().map(Value::Double),
                    "dateTime.iso8601" => (n.contains('T')
                        && n.bytes()
                            .all(|b| b.is_ascii_digit() || b"-:.+TZ".contains(&b)))
                    .then(|| Value::DateTime(n.into())),
                    "base64" => unbase64(n).map(Value::Base64),
                    _ => n.is_empty().then_some(Value::Nil),
                };
                match v {
                    Some(v) => v,
                    None => {
                        let held: String = t.chars().take(40).collect();
                        return Err(self.bad(at, &format!("<{ty}> holding {held:?}")));
                    }
                }
            }
            _ => return Err(self.bad(at, &format!("<{ty}>, not an XML-RPC type,"))),
        };
        self.want_close("value")?;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;
    use std::process::{Command, Stdio};

    fn addr() -> SocketAddr {
        "127.0.0.1:8000".parse().unwrap()
    }

    /// Runs a Python script (Python's xmlrpc.client: a separate implementation) on
    /// `input`, returning what it prints.
    fn python(script: &str, input: &[u8]) -> Vec<u8> {
        let mut child = Command::new("python3")
            .args(["-c", script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3");
        child.stdin.take().unwrap().write_all(input).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "python3 failed on {}",
            String::from_utf8_lossy(input)
        );
        out.stdout
    }

    fn s(text: &str) -> Value {
        Value::String(text.into())
    }

    /// Every type, ours and as a Python literal.
    fn values() -> (Vec<Value>, &'static str) {
        let map = |kv: Vec<(&str, Value)>| {
            Value::Struct(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
        };
        let ours = vec![
            Value::Int(i32::MIN),
            Value::Int(i32::MAX),
            Value::Bool(true),
            Value::Bool(false),
            s("x&<>'\"é ]]> \n\t  "),
            s(""),
            s("   "),
            Value::Double(1.5),
            Value::Double(-0.1),
            Value::Double(1e300),
            Value::DateTime("20260203T17:23:05".into()),
            Value::Base64(vec![0, 255, b'h', b'i']),
            Value::Base64((0..=255).collect()),
            Value::Base64(vec![]),
            Value::Nil,
            map(vec![
                ("a", Value::Int(1)),
                ("k&<>", Value::Array(vec![])),
                ("", map(vec![])),
            ]),
            Value::Array(vec![s("a"), Value::Array(vec![Value::Nil, Value::Int(-5)])]),
        ];
        let python = r#"[-2147483648, 2147483647, True, False, 'x&<>\'"é ]]> \n\t  ', '', '   ',
            1.5, -0.1, 1e300, datetime.datetime(2026, 2, 3, 17, 23, 5), b'\x00\xffhi',
            bytes(range(256)), b'', None, {'a': 1, 'k&<>': [], '': {}}, ['a', [None, -5]]]"#;
        (ours, python)
    }

    #[test]
    fn decodes_every_type_as_python_encodes_it() {
        let (ours, literal) = values();
        let script = "import sys, datetime, xmlrpc.client as x\n\
            v = eval(sys.stdin.read())\n\
            sys.stdout.write(x.dumps((v,), methodresponse=True, allow_none=True))";
        let body = python(script, literal.as_bytes());
        assert_eq!(decode_reply(&body, addr()).unwrap(), Value::Array(ours));
    }

    #[test]
    fn python_decodes_every_type_as_we_encode_it() {
        let (mut ours, literal) = values();
        // Python encodes neither of these, but reads them.
        ours.extend([Value::Int64(-(1 << 40)), s("a\r\nb")]);
        let literal = format!("{literal} + [-(2**40), 'a\\r\\nb']");
        let script = format!(
            "import sys, datetime, xmlrpc.client as x\n\
             p, m = x.loads(sys.stdin.buffer.read(), use_builtin_types=True)\n\
             want = {literal}\n\
             assert (m, list(p)) == ('m&<>', want), (m, p)\n\
             print('ok')"
        );
        let body = encode_call("m&<>", &ours);
        assert_eq!(python(&script, body.as_bytes()), b"ok\n");
    }

    fn reply(value: &str) -> Vec<u8> {
        format!("<?xml version=\"1.0\"?><methodResponse><params><param>{value}</param></params></methodResponse>").into_bytes()
    }

    #[test]
    fn reads_the_xml_real_servers_send() {
        let body = "\u{feff}<?xml version='1.0' encoding='UTF-8'?>\r\n<!-- xmlrpc-c -->\n\
            <methodResponse xmlns:ex='http://ws.apache.org/xmlrpc/namespaces/extensions'>\n\
            <params>\n <param>\n  <value><struct>\n\
            <member><name>raw</name><value>\t a &amp; b </value></member>\n\
            <member><name>refs</name><value><string>&lt;&gt;&quot;&apos;&#65;&#x42;&#x1F600;</string></value></member>\n\
            <member><name>cdata</name><value><![CDATA[<i4>1</i4> & ]]>&amp;<!-- gone -->x</value></member>\n\
            <member><name>crlf</name><value>a\r\nb\rc&#13;<![CDATA[\r\n]]></value></member>\n\
            <member><name>empty</name><value/></member>\n\
            <member><name>empty2</name><value></value></member>\n\
            <member><name>es</name><value><string/></value></member>\n\
            <member><name>nil</name><value><nil></nil></value></member>\n\
            <member><name>int</name><value> <int> +7 </int> </value></member>\n\
            <member><name>i8</name><value><i8>-9000000000</i8></value></member>\n\
            <member><name a=\"x>y\" b='1'>attr</name><value type='ignored'><boolean>0</boolean></value></member>\n\
            <member><name>dbl</name><value><double>-1.25e-3</double></value></member>\n\
            <member><name>when</name><value><dateTime.iso8601>2026-02-03T17:23:05Z</dateTime.iso8601></value></member>\n\
            <member><name>b64</name><value><base64>aGk</base64></value></member>\n\
            <member><name>dup</name><value>first</value></member>\n\
            <member><name>dup</name><value>second</value></member>\n\
            </struct></value>\n  </param>\n </params>\n</methodResponse>\n<?pi after?>\n";
        let v = decode_reply(body.as_bytes(), addr()).unwrap();
        let get = |k: &str| v.get(k).cloned().unwrap();
        assert_eq!(get("raw"), s("\t a & b "));
        assert_eq!(get("refs"), s("<>\"'AB😀"));
        assert_eq!(get("cdata"), s("<i4>1</i4> & &x"));
        assert_eq!(get("crlf"), s("a\nb\nc\r\n"));
        for k in ["empty", "empty2", "es"] {
            assert_eq!(get(k), s(""), "{k}");
        }
        assert_eq!(get("nil"), Value::Nil);
        assert_eq!(get("int"), Value::Int(7));
        assert_eq!(get("i8"), Value::Int64(-9_000_000_000));
        assert_eq!(get("attr"), Value::Bool(false));
        assert_eq!(get("dbl"), Value::Double(-1.25e-3));
        assert_eq!(get("when"), Value::DateTime("2026-02-03T17:23:05Z".into()));
        assert_eq!(get("b64"), Value::Base64(b"hi".to_vec()));
        assert_eq!(get("dup"), s("second"));
    }

    #[test]
    fn a_fault_is_its_code_and_string() {
        let script = "import sys, xmlrpc.client as x\n\
            sys.stdout.write(x.dumps(x.Fault(42, 'locked & <x>'), methodresponse=True))";
        let body = python(script, b"");
        let e = decode_reply(&body, addr()).unwrap_err();
        assert!(
            matches!(&e, CallError::Fault { code: 42, string } if string == "locked & <x>"),
            "{e}"
        );
        // xmlrpc-c's form: <int>, and a string with no type.
        let body = "<methodResponse><fault><value><struct>\
            <member><name>faultCode</name><value><int>-501</int></value></member>\
            <member><name>faultString</name><value>no such method</value></member>\
            </struct></value></fault></methodResponse>";
        let e = decode_reply(body.as_bytes(), addr()).unwrap_err();
        assert!(matches!(e, CallError::Fault { code: -501, .. }), "{e}");
        let body = "<methodResponse><fault><value><struct>\
            <member><name>faultCode</name><value>42</value></member>\
            </struct></value></fault></methodResponse>";
        let e = decode_reply(body.as_bytes(), addr())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("a <fault> that is not a struct") && e.contains("at byte 23"),
            "{e}"
        );
    }

    #[test]
    fn malformed_replies_say_what_and_where() {
        let value = |v: &str| String::from_utf8(reply(v)).unwrap();
        let cases: Vec<(String, &str)> = vec![
            (
                "".into(),
                "expected <methodResponse>, found the end of the reply at byte 0",
            ),
            (
                "<methodResponse><params><param><value><i4>1</i4></value>".into(),
                "the reply ends inside <param> at byte 56",
            ),
            (
                value("<value><i4>1</int></value>"),
                "</int> closes <i4> at byte 64",
            ),
            (
                "<methodResponse>junk<params/></methodResponse>".into(),
                "expected <params> or <fault>, found text \"junk\" at byte 16",
            ),
            (
                format!("{}trailing", value("<value/>")),
                "expected the end of the reply, found text \"trailing\"",
            ),
            (
                format!("{}<x/>", value("<value/>")),
                "expected the end of the reply, found <x>",
            ),
            (
                "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e \"<value>\">]><x>&e;</x>".into(),
                "a DOCTYPE (XML-RPC replies have none, and its entities could hide markup) at byte 21",
            ),
            (
                value("<value>&e;</value>"),
                "an unknown or unterminated entity at byte 59",
            ),
            (
                value("<value>&#0;</value>"),
                "an unknown or unterminated entity",
            ),
            (
                value("<value>& b</value>"),
                "an unknown or unterminated entity",
            ),
            (
                value("<value><i4>bla</i4></value>"),
                "<i4> holding \"bla\" at byte 59",
            ),
            (value("<value><i4>2147483648</i4></value>"), "<i4> holding"),
            (
                value("<value><boolean>2</boolean></value>"),
                "<boolean> holding \"2\"",
            ),
            (
                value("<value><base64>A</base64></value>"),
                "<base64> holding \"A\"",
            ),
            (
                value("<value><base64>AA=A</base64></value>"),
                "<base64> holding",
            ),
            (value("<value><nil>x</nil></value>"), "<nil> holding"),
            (
                value("<value><dateTime.iso8601>soon</dateTime.iso8601></value>"),
                "<dateTime.iso8601> holding",
            ),
            (
                value("<value><SURPRISE/></value>"),
                "<SURPRISE>, not an XML-RPC type, at byte 59",
            ),
            (
                value("<value>text<i4>1</i4></value>"),
                "expected a type or </value>, found <i4>",
            ),
            (
                value("<value><i4>1</i4>x</value>"),
                "expected </value>, found text \"x\"",
            ),
            (
                value("<value><array><value/></array></value>"),
                "expected <data>, found <value>",
            ),
            (
                value("<value><struct><name/></struct></value>"),
                "expected <member> or </struct>",
            ),
            (
                "<methodResponse><params></params></methodResponse>".into(),
                "expected <param>, found </params> at byte 24",
            ),
            (
                value("<value><!-- x </value>"),
                "an unclosed comment at byte 59",
            ),
            (
                value("<value><![CDATA[x</value>"),
                "an unclosed CDATA section",
            ),
            (value("<value"), "an unclosed tag at byte 52"),
            (value("<value>< i4/></value>"), "a tag without a name"),
            (value("<value></value x>"), "a closing tag with more"),
            (
                "</methodResponse>".into(),
                "</methodResponse> closes nothing at byte 0",
            ),
        ];
        for (body, want) in cases {
            match decode_reply(body.as_bytes(), addr()) {
                Err(e @ CallError::Malformed { .. }) => {
                    assert!(e.to_string().contains(want), "{body}: {e}, not {want:?}")
                }
                other => panic!("{body}: {other:?}"),
            }
        }
        for (body, want) in [
            (
                &b"<methodResponse>\0"[..],
                "a NUL byte (XML-RPC replies are UTF-8 text) at byte 16",
            ),
            (b"<\0m\0>\0", "a NUL byte"),
            (b"<methodResponse>\xff", "text not in UTF-8 at byte 16"),
        ] {
            let e = decode_reply(body, addr()).unwrap_err().to_string();
            assert!(e.contains(want), "{e}");
        }
    }

    fn nest(n: usize, inner: &str) -> Vec<u8> {
        reply(&format!(
            "{}{inner}{}",
            "<value><array><data>".repeat(n),
            "</data></array></value>".repeat(n)
        ))
    }

    #[test]
    fn nesting_deeper_than_max_depth_is_refused_as_it_is_read() {
        // 20 levels of arrays and a <value> are 64 elements: read (`<nil/>` opens none).
        let v = decode_reply(&nest(20, "<value><nil/></value>"), addr());
        assert!(v.is_ok(), "{v:?}");
        // One element more is refused, naming its depth; so are 20,000 levels, counted to
        // the end, in a thread with a stack far too small for a parser that recursed.
        let deep = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(|| {
                [
                    (nest(20, "<value><string>x</string></value>"), 65),
                    (nest(21, "<value><nil/></value>"), 67),
                    (nest(20_000, "<value><nil/></value>"), 60_004),
                ]
                .map(|(body, want)| (decode_reply(&body, addr()), want))
            })
            .unwrap()
            .join()
            .unwrap();
        for (e, want) in deep {
            let e = e.unwrap_err();
            assert!(
                matches!(e, CallError::TooDeep { depth, .. } if depth == want),
                "{e}"
            );
            let words = format!("nests {want} elements deep, more than the 64 this tool reads");
            assert!(e.summary().contains(&words), "{e}");
        }
    }
}
