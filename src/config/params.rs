//! A check table's fields, taken one by one so that every field is either used or
//! reported as unknown, with its position. This is what makes a typo in a spec an error
//! (`timout = "2s"`) instead of a silently ignored setting.
//!
//! Each field is read by a typed taker (`string`, `bool`, `integer`, `path`, `strings`,
//! `word`, ...), not a generic one over serde's `DeserializeOwned`: that compiled toml's
//! value deserializer once per type read. The takers' messages are the ones serde gave
//! ("`writable`: found string \"yes\", where a boolean is expected (found string)").

use super::error::{SpecError, SpecText};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;
use toml::{Spanned, Value};

pub type RawTable = BTreeMap<Spanned<String>, Spanned<Value>>;

pub struct Params<'a> {
    source: &'a SpecText,
    /// The span of the `[[check]]` header, for errors about missing fields.
    table_span: Range<usize>,
    fields: RawTable,
    /// Every key a parser asked for, there or not: the kinds' tests compare it with the
    /// `params` their `KindDef` declares (only in unit tests; the binary keeps no list).
    #[cfg(test)]
    asked: Vec<String>,
}

impl<'a> Params<'a> {
    pub fn new(source: &'a SpecText, table: Spanned<RawTable>) -> Self {
        let table_span = table.span();
        Params {
            source,
            table_span,
            fields: table.into_inner(),
            #[cfg(test)]
            asked: Vec::new(),
        }
    }

    /// The keys asked for so far, in order, each once.
    #[cfg(test)]
    pub fn asked(&self) -> &[String] {
        &self.asked
    }

    pub fn source(&self) -> &SpecText {
        self.source
    }

    /// An error located at this check's `[[check]]` header.
    pub fn error_here(&self, message: impl Into<String>) -> SpecError {
        self.source.error_at(self.table_span.clone(), message)
    }

    /// Removes a field and returns its raw value and span.
    pub fn take_raw(&mut self, key: &str) -> Option<Spanned<Value>> {
        #[cfg(test)]
        if !self.asked.iter().any(|k| k == key) {
            self.asked.push(key.to_string());
        }
        // A `Spanned<String>` key is looked up by its text (it borrows as `str`).
        self.fields.remove(key)
    }

    /// Takes an optional field and reads it with `read`, a reader of this module: its
    /// error is put at the field, after its name, with the TOML type found.
    fn typed<T>(
        &mut self,
        key: &str,
        read: impl FnOnce(Value) -> Result<T, String>,
    ) -> Result<Option<T>, SpecError> {
        let Some(raw) = self.take_raw(key) else {
            return Ok(None);
        };
        let span = raw.span();
        let value = raw.into_inner();
        let type_name = value.type_str();
        read(value).map(Some).map_err(|e| {
            self.source
                .error_at(span, format!("`{key}`: {e} (found {type_name})"))
        })
    }

    /// An optional string (a datetime is taken as written).
    pub fn string(&mut self, key: &str) -> Result<Option<String>, SpecError> {
        self.typed(key, |v| string(v, "a string"))
    }

    /// A required string; `what` says what it should hold.
    pub fn require_string(&mut self, key: &str, what: &str) -> Result<String, SpecError> {
        self.string(key)?.ok_or_else(|| self.missing(key, what))
    }

    pub fn bool(&mut self, key: &str) -> Result<Option<bool>, SpecError> {
        self.typed(key, |v| match v {
            Value::Boolean(b) => Ok(b),
            other => Err(wrong(&other, "a boolean")),
        })
    }

    /// An optional integer that fits `T`, named `name` ("u64") in the error.
    pub fn integer<T: TryFrom<i64>>(
        &mut self,
        key: &str,
        name: &str,
    ) -> Result<Option<T>, SpecError> {
        self.typed(key, |v| match v {
            Value::Integer(i) => {
                T::try_from(i).map_err(|_| format!("invalid value: integer `{i}`, expected {name}"))
            }
            other => Err(wrong(&other, name)),
        })
    }

    pub fn path(&mut self, key: &str) -> Result<Option<PathBuf>, SpecError> {
        self.typed(key, |v| string(v, "path string").map(PathBuf::from))
    }

    /// An optional list of strings.
    pub fn strings(&mut self, key: &str) -> Result<Option<Vec<String>>, SpecError> {
        self.typed(key, strings)
    }

    /// An optional table of lists of strings (`leftovers = { standby = ["/x"] }`).
    pub fn string_lists(
        &mut self,
        key: &str,
    ) -> Result<Option<BTreeMap<String, Vec<String>>>, SpecError> {
        self.typed(key, |v| match v {
            Value::Table(t) => t.into_iter().map(|(k, v)| Ok((k, strings(v)?))).collect(),
            other => Err(wrong(&other, "a table")),
        })
    }

    /// An optional word of `words` (`severity = "warning"`).
    pub fn word<T: Copy>(
        &mut self,
        key: &str,
        words: &[(&str, T)],
    ) -> Result<Option<T>, SpecError> {
        self.typed(key, |v| word(v, words))
    }

    /// An optional string that must be one of `choices` (`source = "proc"`), each word
    /// with what it means to the kind. Any other word is an error at the value: "`source`
    /// is \"proc\" or \"xmlrpc\", not \"file\"". (`word` is for the common keys, whose
    /// messages are serde's.)
    pub fn choice<T: Copy>(
        &mut self,
        key: &str,
        choices: &[(&str, T)],
    ) -> Result<Option<T>, SpecError> {
        let Some(raw) = self.take_raw(key) else {
            return Ok(None);
        };
        let span = raw.span();
        let value = raw.into_inner();
        let type_name = value.type_str();
        let text = string(value, "a string").map_err(|e| {
            self.source
                .error_at(span.clone(), format!("`{key}`: {e} (found {type_name})"))
        })?;
        if let Some((_, t)) = choices.iter().find(|(w, _)| *w == text) {
            return Ok(Some(*t));
        }
        let words: Vec<String> = choices.iter().map(|(w, _)| format!("{w:?}")).collect();
        let listed = match words.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => words.join(""),
        };
        Err(self
            .source
            .error_at(span, format!("`{key}` is {listed}, not {text:?}")))
    }

    /// An optional list of words of `words` (`modes = ["boot", "image"]`).
    pub fn words<T: Copy>(
        &mut self,
        key: &str,
        words: &[(&str, T)],
    ) -> Result<Option<Vec<T>>, SpecError> {
        self.typed(key, |v| match v {
            Value::Array(items) => items.into_iter().map(|w| word(w, words)).collect(),
            other => Err(wrong(&other, "a list [...]")),
        })
    }

    /// Takes an optional field and reads it with `read` (see `config::fields`); an error
    /// of `read` is put at the field, after its name.
    pub fn take_with<T>(
        &mut self,
        key: &str,
        read: impl FnOnce(Value) -> Result<T, String>,
    ) -> Result<Option<Spanned<T>>, SpecError> {
        let Some(raw) = self.take_raw(key) else {
            return Ok(None);
        };
        let span = raw.span();
        match read(raw.into_inner()) {
            Ok(value) => Ok(Some(Spanned::new(span, value))),
            Err(e) => Err(self.source.error_at(span, format!("`{key}`: {e}"))),
        }
    }

    /// Takes a required field and reads it with `read`, as [`Params::take_with`].
    pub fn require_with<T>(
        &mut self,
        key: &str,
        what: &str,
        read: impl FnOnce(Value) -> Result<T, String>,
    ) -> Result<Spanned<T>, SpecError> {
        self.take_with(key, read)?
            .ok_or_else(|| self.missing(key, what))
    }

    /// A required field is not there: the error says what it should have held.
    pub fn missing(&self, key: &str, what: &str) -> SpecError {
        self.error_here(format!("missing `{key}` ({what})"))
    }

    /// Takes an optional duration written as "500ms", "2s", "1m".
    pub fn take_duration(&mut self, key: &str) -> Result<Option<Duration>, SpecError> {
        let Some(raw) = self.take_raw(key) else {
            return Ok(None);
        };
        let span = raw.span();
        let text = raw.get_ref().as_str().ok_or_else(|| {
            self.source.error_at(
                span.clone(),
                format!("`{key}` must be a string such as \"2s\""),
            )
        })?;
        crate::model::duration::parse(text)
            .map(Some)
            .map_err(|e| self.source.error_at(span, format!("`{key}`: {e}")))
    }

    /// Takes a list of check ids with the span of the list, for later validation.
    pub fn take_ids(&mut self, key: &str) -> Result<Vec<Spanned<String>>, SpecError> {
        let Some(raw) = self.take_raw(key) else {
            return Ok(Vec::new());
        };
        let span = raw.span();
        let ids = strings(raw.into_inner()).map_err(|_| {
            self.source
                .error_at(span.clone(), format!("`{key}` must be a list of check ids"))
        })?;
        Ok(ids
            .into_iter()
            .map(|id| Spanned::new(span.clone(), id))
            .collect())
    }

    /// Ends parsing: any field nobody took is unknown to this kind.
    pub fn finish(self, kind: &str, known: &[&str]) -> Result<(), SpecError> {
        if let Some((key, _)) = self.fields.iter().next() {
            return Err(self.source.error_at(
                key.span(),
                format!(
                    "unknown parameter `{}` for kind `{kind}` (it takes: {})",
                    key.get_ref(),
                    known.join(", ")
                ),
            ));
        }
        Ok(())
    }
}

/// What a value is, as serde named what it found when these fields were read through it
/// (the messages stay as they were): `string "x"`, `integer `1``, `floating point `1.0``,
/// `list`, `a table`; a datetime as the string it is written as.
fn found(v: &Value) -> String {
    match v {
        Value::String(s) => format!("string {s:?}"),
        Value::Datetime(d) => format!("string \"{d}\""),
        Value::Float(f) => format!("floating point `{}`", super::document::with_point(*f)),
        other => super::fields::found(other),
    }
}

/// "found X, where EXPECTED is expected".
fn wrong(v: &Value, expected: &str) -> String {
    format!("found {}, where {expected} is expected", found(v))
}

/// A string; a datetime is taken as written (`title = 1979-05-27`).
fn string(v: Value, expected: &str) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s),
        Value::Datetime(d) => Ok(d.to_string()),
        other => Err(wrong(&other, expected)),
    }
}

fn strings(v: Value) -> Result<Vec<String>, String> {
    match v {
        Value::Array(items) => items.into_iter().map(|s| string(s, "a string")).collect(),
        other => Err(wrong(&other, "a list [...]")),
    }
}

/// One of `words`, with serde's messages for an enum as toml handed it one: a word, or a
/// table of one key naming it (`{ warning = {} }`).
fn word<T: Copy>(v: Value, words: &[(&str, T)]) -> Result<T, String> {
    let pick = |name: &str| {
        words
            .iter()
            .find(|(w, _)| *w == name)
            .map(|(_, t)| *t)
            .ok_or_else(|| {
                let names: Vec<String> = words.iter().map(|(w, _)| format!("`{w}`")).collect();
                let expected = match names.as_slice() {
                    [a, b] => format!("{a} or {b}"),
                    _ => format!("one of {}", names.join(", ")),
                };
                format!("unknown variant `{name}`, expected {expected}")
            })
    };
    match v {
        Value::String(s) => pick(&s),
        Value::Table(t) => match t.len() {
            0 => Err("wanted exactly 1 element, found 0 elements".into()),
            1 => {
                let (name, inner) = t.iter().next().ok_or_else(String::new)?;
                let word = pick(name)?;
                match inner {
                    Value::Table(_) => Ok(word),
                    other => Err(format!("expected table, found {}", other.type_str())),
                }
            }
            _ => Err("wanted exactly 1 element, more than 1 element".into()),
        },
        _ => Err("found unit variant, where string only is expected".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Severity;

    /// Reads `key = value` of a `[[check]]` with `take`, the error as text.
    fn read<T>(
        value: &str,
        take: impl FnOnce(&mut Params, &str) -> Result<Option<T>, SpecError>,
    ) -> Result<Option<T>, String> {
        let source = SpecText::new("p.toml".into(), format!("[[check]]\nk = {value}\n"));
        let file = super::super::document::spec_file(&source).map_err(|e| e.to_string())?;
        let table = file.check.into_iter().next().ok_or("no table")?;
        let mut p = Params::new(&source, table);
        take(&mut p, "k").map_err(|e| e.to_string())
    }

    #[test]
    fn a_choice_is_one_of_its_words_and_a_wrong_one_is_an_error_at_the_value() {
        let words = &[("proc", 1), ("xmlrpc", 2), ("file", 3)];
        assert_eq!(read("\"xmlrpc\"", |p, k| p.choice(k, words)), Ok(Some(2)));
        assert_eq!(
            read("[]", |p, k| p.choice(k, &words[..1])).map_err(|e| e.contains("found list")),
            Err(true)
        );
        assert_eq!(
            read("\"env\"", |p, k| p.choice(k, words)),
            Err("p.toml:2:5: `k` is \"proc\", \"xmlrpc\" or \"file\", not \"env\"".into())
        );
        assert_eq!(
            read("\"env\"", |p, k| p.choice(k, &words[..2])),
            Err("p.toml:2:5: `k` is \"proc\" or \"xmlrpc\", not \"env\"".into())
        );
    }

    #[test]
    fn the_takers_say_what_they_found_as_serde_did() {
        assert_eq!(
            read("\"yes\"", |p, k| p.bool(k)),
            Err(
                "p.toml:2:5: `k`: found string \"yes\", where a boolean is expected (found string)"
                    .into()
            )
        );
        assert_eq!(
            read("1979-05-27", |p, k| p.string(k)),
            Ok(Some("1979-05-27".into()))
        );
        assert_eq!(
            read("70000", |p, k| p.integer::<u16>(k, "u16")),
            Err(
                "p.toml:2:5: `k`: invalid value: integer `70000`, expected u16 (found integer)"
                    .into()
            )
        );
        assert_eq!(
            read("8000", |p, k| p.integer::<u16>(k, "u16")),
            Ok(Some(8000))
        );
        assert_eq!(
            read("1.0", |p, k| p.path(k)),
            Err("p.toml:2:5: `k`: found floating point `1.0`, where path string is expected (found float)".into())
        );
        assert_eq!(
            read("[\"a\", 2]", |p, k| p.strings(k)),
            Err(
                "p.toml:2:5: `k`: found integer `2`, where a string is expected (found array)"
                    .into()
            )
        );
        assert_eq!(
            read("\"fatal\"", |p, k| p.word(k, Severity::WORDS)),
            Err("p.toml:2:5: `k`: unknown variant `fatal`, expected `critical` or `warning` (found string)".into())
        );
        assert_eq!(
            read("{ warning = {} }", |p, k| p.word(k, Severity::WORDS)),
            Ok(Some(Severity::Warning))
        );
        assert_eq!(
            read("{ a = [\"/x\"] }", |p, k| p.string_lists(k)),
            Ok(Some(BTreeMap::from([(
                "a".to_string(),
                vec!["/x".to_string()]
            )])))
        );
    }
}
