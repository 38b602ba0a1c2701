//! A spec file's or an overrides file's tables, read from toml's own parse tree
//! (`toml::de::DeTable`) by hand.
//!
//! Why not `toml::from_str` into derived structs: each derived shape (the spec file,
//! `Spanned` tables, the overrides) compiled its own copy of toml's serde Deserializer,
//! and with `Params::take<T>` one per type read; 52 KiB of the release binary in all. The
//! parse tree already holds what the loader needs: every key and value with its span.
//!
//! The messages are the ones serde's derive gave, as [`in_words`] turns them: "unknown
//! key `x` (the keys here: ...)", "found integer `1`, where a list [...] is expected",
//! "`[check]` is a single table here: ...". Only a datetime written where a table is
//! expected is named for what it is now (serde's path said "found string
//! \"$__toml_private_datetime\", where a spanned value is expected").

use super::error::{SpecError, SpecText, in_words};
use super::params::RawTable;
use toml::de::{DeInteger, DeTable, DeValue};
use toml::{Spanned, Value};

/// The tables of one spec file, each with its span (the header for `[[check]]`).
#[derive(Default)]
pub struct SpecFile {
    pub check: Vec<Spanned<RawTable>>,
    /// `[[change]]`: keys of one check of a lower layer (or an earlier file), set anew.
    pub change: Vec<Spanned<RawTable>>,
    /// `[[remove]]`: one check taken out, with the reason.
    pub remove: Vec<Spanned<RawTable>>,
    /// `[bundle]`: settings of `collect` (`redact`).
    pub bundle: Option<Spanned<RawTable>>,
}

/// One `[[override]]` of an overrides file.
pub struct OverrideEntry {
    /// The `[[override]]` header's span.
    pub span: std::ops::Range<usize>,
    pub id: Spanned<String>,
    pub path: Option<String>,
    pub reason: String,
}

/// A mistake at a byte offset, in serde's words (made the spec's by [`in_words`]).
struct Bad {
    at: usize,
    message: String,
}

fn bad(at: usize, message: impl Into<String>) -> Bad {
    Bad {
        at,
        message: message.into(),
    }
}

/// A spec file's tables; an unknown top-level key is an error at it.
pub fn spec_file(source: &SpecText) -> Result<SpecFile, SpecError> {
    read_spec(&source.text).map_err(|b| located(source, b))
}

/// A spec file's tables, or None where it has a mistake: for a file read only for the
/// check ids it defines.
pub fn spec_file_lenient(text: &str) -> Option<SpecFile> {
    read_spec(text).ok()
}

/// An overrides file's `[[override]]` tables.
pub fn overrides(source: &SpecText) -> Result<Vec<OverrideEntry>, SpecError> {
    read_overrides(&source.text).map_err(|b| located(source, b))
}

/// The error at a mistake's place, worded as the loader has always worded toml's.
fn located(source: &SpecText, b: Bad) -> SpecError {
    let here = source.text.get(b.at..).unwrap_or_default();
    source.error_at(b.at..b.at, in_words(&b.message, here))
}

fn parse(text: &str) -> Result<Spanned<DeTable<'_>>, Bad> {
    DeTable::parse(text).map_err(|e| bad(e.span().map_or(0, |s| s.start), e.message()))
}

const SPEC_KEYS: &[&str] = &["check", "change", "remove", "bundle"];

fn read_spec(text: &str) -> Result<SpecFile, Bad> {
    let mut file = SpecFile::default();
    for (key, value) in parse(text)?.into_inner() {
        match key.get_ref().as_ref() {
            "check" => file.check = tables(value, "a map")?,
            "change" => file.change = tables(value, "a map")?,
            "remove" => file.remove = tables(value, "a map")?,
            "bundle" => file.bundle = Some(table(value, "a map")?),
            other => return Err(unknown_field(&key, other, SPEC_KEYS)),
        }
    }
    Ok(file)
}

fn read_overrides(text: &str) -> Result<Vec<OverrideEntry>, Bad> {
    let mut out = Vec::new();
    for (key, value) in parse(text)?.into_inner() {
        match key.get_ref().as_ref() {
            "override" => {
                for t in tables(value, "struct Entry")? {
                    out.push(override_entry(t)?);
                }
            }
            other => return Err(unknown_field(&key, other, &["override"])),
        }
    }
    Ok(out)
}

const ENTRY_KEYS: &[&str] = &["id", "path", "reason"];

fn override_entry(table: Spanned<RawTable>) -> Result<OverrideEntry, Bad> {
    let span = table.span();
    let (mut id, mut path, mut reason) = (None, None, None);
    for (key, value) in table.into_inner() {
        let name = key.get_ref().as_str();
        if !ENTRY_KEYS.contains(&name) {
            let message = format!("unknown field `{name}`, expected {}", one_of(ENTRY_KEYS));
            return Err(bad(key.span().start, message));
        }
        let at = value.span();
        let text = string(value.into_inner()).map_err(|m| bad(at.start, m))?;
        match name {
            "id" => id = Some(Spanned::new(at, text)),
            "path" => path = Some(text),
            _ => reason = Some(text),
        }
    }
    let missing = |key: &str| bad(span.start, format!("missing field `{key}`"));
    Ok(OverrideEntry {
        id: id.ok_or_else(|| missing("id"))?,
        reason: reason.ok_or_else(|| missing("reason"))?,
        path,
        span,
    })
}

/// A string of an overrides table, as serde's derive read one from toml.
fn string(v: Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(format!(
            "invalid type: {}, expected a string",
            unexpected_value(&other)
        )),
    }
}

fn unknown_field(key: &Spanned<toml::de::DeString<'_>>, name: &str, known: &[&str]) -> Bad {
    bad(
        key.span().start,
        format!("unknown field `{name}`, expected {}", one_of(known)),
    )
}

/// serde's list of the names it expected.
fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.as_slice() {
        [one] => one.clone(),
        [a, b] => format!("{a} or {b}"),
        _ => format!("one of {}", quoted.join(", ")),
    }
}

/// An array of tables (`[[check]]`); `element` is what serde expected of each item.
fn tables(v: Spanned<DeValue<'_>>, element: &str) -> Result<Vec<Spanned<RawTable>>, Bad> {
    let span = v.span();
    match v.into_inner() {
        DeValue::Array(items) => items.into_iter().map(|t| table(t, element)).collect(),
        other => Err(bad(
            span.start,
            format!(
                "invalid type: {}, expected a sequence",
                unexpected(&other, span.start)?
            ),
        )),
    }
}

/// One table, its keys and values with their spans, the values made `toml::Value`s.
fn table(v: Spanned<DeValue<'_>>, expected: &str) -> Result<Spanned<RawTable>, Bad> {
    let span = v.span();
    match v.into_inner() {
        DeValue::Table(t) => {
            let mut out = RawTable::new();
            for (key, value) in t {
                let key_span = key.span();
                let value_span = value.span();
                let value = to_value(value)?;
                out.insert(
                    Spanned::new(key_span, key.into_inner().into_owned()),
                    Spanned::new(value_span, value),
                );
            }
            Ok(Spanned::new(span, out))
        }
        DeValue::Datetime(d) => Err(bad(
            span.start,
            format!("invalid type: datetime `{d}`, expected a table"),
        )),
        other => Err(bad(
            span.start,
            format!(
                "invalid type: {}, expected {expected}",
                unexpected(&other, span.start)?
            ),
        )),
    }
}

/// A parsed value as a `toml::Value`; an integer or float out of its range is an error
/// at it, in toml's words.
fn to_value(v: Spanned<DeValue<'_>>) -> Result<Value, Bad> {
    let at = v.span().start;
    Ok(match v.into_inner() {
        DeValue::String(s) => Value::String(s.into_owned()),
        DeValue::Integer(i) => match integer(&i) {
            Integer::I64(n) => Value::Integer(n),
            Integer::U64(_) => return Err(bad(at, "u64 value was too large")),
            big => {
                return Err(bad(
                    at,
                    format!(
                        "invalid type: {}, expected any valid TOML value",
                        big.unexpected(at)?
                    ),
                ));
            }
        },
        DeValue::Float(f) => Value::Float(float(&f, at)?),
        DeValue::Boolean(b) => Value::Boolean(b),
        DeValue::Datetime(d) => Value::Datetime(d),
        DeValue::Array(items) => {
            Value::Array(items.into_iter().map(to_value).collect::<Result<_, _>>()?)
        }
        DeValue::Table(t) => {
            let mut out = toml::Table::new();
            for (key, value) in t {
                out.insert(key.into_inner().into_owned(), to_value(value)?);
            }
            Value::Table(out)
        }
    })
}

/// An integer as toml hands it to serde: the narrowest of i64, u64, i128, u128.
enum Integer {
    I64(i64),
    U64(u64),
    I128(i128),
    U128(u128),
    Overflow,
}

fn integer(i: &DeInteger<'_>) -> Integer {
    let (text, radix) = (i.as_str(), i.radix());
    if let Ok(n) = i64::from_str_radix(text, radix) {
        Integer::I64(n)
    } else if let Ok(n) = u64::from_str_radix(text, radix) {
        Integer::U64(n)
    } else if let Ok(n) = i128::from_str_radix(text, radix) {
        Integer::I128(n)
    } else if let Ok(n) = u128::from_str_radix(text, radix) {
        Integer::U128(n)
    } else {
        Integer::Overflow
    }
}

impl Integer {
    /// As serde names it in "invalid type: ..., expected ...".
    fn unexpected(&self, at: usize) -> Result<String, Bad> {
        Ok(match self {
            Integer::I64(n) => format!("integer `{n}`"),
            Integer::U64(n) => format!("integer `{n}`"),
            Integer::I128(n) => format!("integer `{n}` as i128"),
            Integer::U128(n) => format!("integer `{n}` as u128"),
            Integer::Overflow => return Err(bad(at, "integer number overflowed")),
        })
    }
}

/// A float as toml reads it: one too large to be finite, unless written `inf`, is an
/// error.
fn float(f: &toml::de::DeFloat<'_>, at: usize) -> Result<f64, Bad> {
    let text = f.as_str();
    match text.parse::<f64>() {
        Ok(x) if !x.is_infinite() || text.contains("inf") => Ok(x),
        _ => Err(bad(at, "floating-point number overflowed")),
    }
}

/// A value as serde names what it found (toml hands serde a datetime as a table of one
/// private key).
fn unexpected(v: &DeValue<'_>, at: usize) -> Result<String, Bad> {
    Ok(match v {
        DeValue::String(s) => format!("string {s:?}"),
        DeValue::Integer(i) => integer(i).unexpected(at)?,
        DeValue::Float(f) => format!("floating point `{}`", with_point(float(f, at)?)),
        DeValue::Boolean(b) => format!("boolean `{b}`"),
        DeValue::Datetime(_) | DeValue::Table(_) => "map".into(),
        DeValue::Array(_) => "sequence".into(),
    })
}

/// The same for a value already made a `toml::Value`.
fn unexpected_value(v: &Value) -> String {
    match v {
        Value::String(s) => format!("string {s:?}"),
        Value::Integer(n) => format!("integer `{n}`"),
        Value::Float(f) => format!("floating point `{}`", with_point(*f)),
        Value::Boolean(b) => format!("boolean `{b}`"),
        Value::Datetime(_) | Value::Table(_) => "map".into(),
        Value::Array(_) => "sequence".into(),
    }
}

/// A float as serde prints it: a finite one always with a decimal point (`1.0`).
pub fn with_point(f: f64) -> String {
    let text = f.to_string();
    if f.is_finite() && !text.contains('.') {
        text + ".0"
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_error(text: &str) -> String {
        match spec_file(&SpecText::new("s.toml".into(), text.into())) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn the_tables_come_with_their_spans_and_unknown_keys_are_errors() {
        let text = "[[check]]\nid = \"a\"\n[[remove]]\nid = \"b\"\n[bundle]\nredact = []\n";
        let file = spec_file(&SpecText::new("s.toml".into(), text.into())).expect("spec");
        assert_eq!((file.check.len(), file.remove.len()), (1, 1));
        assert_eq!(file.check[0].span().start, 0);
        let (key, value) = file.check[0].get_ref().iter().next().expect("id");
        assert_eq!((key.get_ref().as_str(), key.span().start), ("id", 10));
        assert_eq!(value.get_ref().as_str(), Some("a"));
        assert!(file.bundle.is_some());
        assert_eq!(
            spec_error("x = 1\n"),
            "s.toml:1:1: unknown key `x` (the keys here: `check`, `change`, `remove`, `bundle`)"
        );
        assert_eq!(
            spec_error("[check]\nid = \"a\"\n"),
            "s.toml:1:1: `[check]` is a single table here: write `[[check]]` (double brackets), once for each check"
        );
        assert_eq!(
            spec_error("check = [1]\n"),
            "s.toml:1:10: found integer `1`, where a table is expected"
        );
        assert_eq!(
            spec_error("bundle = 1979-05-27\n"),
            "s.toml:1:10: found datetime `1979-05-27`, where a table is expected"
        );
        assert_eq!(
            spec_error("[[check]]\nx = [99999999999999999999]\n"),
            "s.toml:2:6: found integer `99999999999999999999` as i128, where any valid TOML value is expected"
        );
        assert_eq!(
            spec_error("[[check]]\nx = 1e999\n"),
            "s.toml:2:5: floating-point number overflowed"
        );
    }

    #[test]
    fn overrides_need_an_id_and_a_reason() {
        let read = |text: &str| overrides(&SpecText::new("o.toml".into(), text.into()));
        let o = read("[[override]]\nid = \"a\"\nreason = \"r\"\n").expect("ok");
        assert_eq!(
            (o[0].id.get_ref().as_str(), o[0].id.span().start),
            ("a", 18)
        );
        let e = |text: &str| read(text).err().map(|e| e.to_string());
        assert_eq!(
            e("[[override]]\nid = \"a\"\n").as_deref(),
            Some("o.toml:1:1: missing key `reason`")
        );
        assert_eq!(
            e("[[override]]\nid = \"a\"\nreason = \"r\"\nx = 1\n").as_deref(),
            Some("o.toml:4:1: unknown key `x` (the keys here: `id`, `path`, `reason`)")
        );
        assert_eq!(
            e("[[override]]\nid = 1\nreason = \"r\"\n").as_deref(),
            Some("o.toml:2:6: found integer `1`, where a string is expected")
        );
        assert_eq!(
            e("y = 1\n").as_deref(),
            Some("o.toml:1:1: unknown key `y` (the keys here: `override`)")
        );
    }

    #[test]
    fn floats_are_shown_as_serde_shows_them() {
        assert_eq!(with_point(1.0), "1.0");
        assert_eq!(with_point(1.5), "1.5");
        assert_eq!(with_point(f64::NAN), "NaN");
        assert_eq!(with_point(f64::NEG_INFINITY), "-inf");
    }
}
