//! Tables inside a check's parameters (`rules = [{ paths = ["/x"], absent = true }]`,
//! `mounts = [{ path = "/", options = ["rw"] }]`), read by hand.
//!
//! Why not serde's derive: each derived struct read from a `toml::Value` compiles its own
//! copy of toml's value deserializer, 6 to 9 KiB each in the release binary (cargo
//! bloat); these readers are shared by every kind. The messages are the ones
//! [`in_words`](super::in_words) makes of serde's: "unknown key `x` (the keys here:
//! ...)", "missing key `paths`", "found integer `1`, where a string is expected".

use toml::{Table, Value};

/// What a value is, in serde's words as `in_words` turns them: `string "yes"`,
/// `integer `1``, `a table`, `list`.
pub fn found(v: &Value) -> String {
    match v {
        Value::String(s) => format!("string {s:?}"),
        Value::Integer(i) => format!("integer `{i}`"),
        Value::Float(f) => format!("floating point `{f}`"),
        Value::Boolean(b) => format!("boolean `{b}`"),
        Value::Datetime(d) => format!("datetime `{d}`"),
        Value::Array(_) => "list".into(),
        Value::Table(_) => "a table".into(),
    }
}

/// "found X, where EXPECTED is expected".
pub fn wrong(v: &Value, expected: &str) -> String {
    format!("found {}, where {expected} is expected", found(v))
}

/// A list, each item read by `read`.
pub fn list<T>(v: Value, read: impl FnMut(Value) -> Result<T, String>) -> Result<Vec<T>, String> {
    match v {
        Value::Array(items) => items.into_iter().map(read).collect(),
        other => Err(wrong(&other, "a list [...]")),
    }
}

/// A list of strings.
pub fn strings(v: Value) -> Result<Vec<String>, String> {
    list(v, |item| match item {
        Value::String(s) => Ok(s),
        other => Err(wrong(&other, "a string")),
    })
}

/// One inline table's fields, taken one by one; [`Fields::finish`] names any left over.
pub struct Fields {
    table: Table,
    known: &'static [&'static str],
}

impl Fields {
    /// `v` as a table whose keys may be `known`.
    pub fn new(v: Value, known: &'static [&'static str]) -> Result<Fields, String> {
        match v {
            Value::Table(table) => Ok(Fields { table, known }),
            other => Err(wrong(&other, "a table")),
        }
    }

    fn take(&mut self, key: &str) -> Option<Value> {
        self.table.remove(key)
    }

    pub fn string(&mut self, key: &str) -> Result<Option<String>, String> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(wrong(&other, "a string")),
        }
    }

    pub fn require_string(&mut self, key: &str) -> Result<String, String> {
        self.string(key)?.ok_or_else(|| missing(key))
    }

    pub fn bool(&mut self, key: &str) -> Result<Option<bool>, String> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Boolean(b)) => Ok(Some(b)),
            Some(other) => Err(wrong(&other, "a boolean")),
        }
    }

    pub fn strings(&mut self, key: &str) -> Result<Option<Vec<String>>, String> {
        self.take(key).map(strings).transpose()
    }

    pub fn require_strings(&mut self, key: &str) -> Result<Vec<String>, String> {
        self.strings(key)?.ok_or_else(|| missing(key))
    }

    /// Ends reading: a key nobody took is not one of this table's.
    pub fn finish(self) -> Result<(), String> {
        match self.table.keys().next() {
            None => Ok(()),
            Some(key) => {
                let known: Vec<String> = self.known.iter().map(|k| format!("`{k}`")).collect();
                Err(format!(
                    "unknown key `{key}` (the keys here: {})",
                    known.join(", ")
                ))
            }
        }
    }
}

fn missing(key: &str) -> String {
    format!("missing key `{key}`")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> Value {
        let t: Table = toml::from_str(&format!("v = {text}")).expect("toml");
        t["v"].clone()
    }

    const KNOWN: &[&str] = &["path", "options", "required"];

    #[test]
    fn reads_a_list_of_tables_and_names_what_is_wrong() {
        let table = |t| Fields::new(t, KNOWN);
        let mut rows = list(value(r#"[{ path = "/", options = ["rw"] }]"#), table).expect("ok");
        let mut row = rows.remove(0);
        assert_eq!(row.require_string("path").as_deref(), Ok("/"));
        assert_eq!(row.strings("options"), Ok(Some(vec!["rw".to_string()])));
        assert_eq!(row.bool("required"), Ok(None));
        assert!(row.finish().is_ok());

        let row = list(value(r#"[{ option = "rw" }]"#), table)
            .expect("ok")
            .remove(0);
        assert_eq!(
            row.finish().unwrap_err(),
            "unknown key `option` (the keys here: `path`, `options`, `required`)"
        );
        assert_eq!(
            Fields::new(value("{}"), KNOWN)
                .expect("table")
                .require_string("path")
                .unwrap_err(),
            "missing key `path`"
        );
        assert_eq!(
            list(value(r#""x""#), table).err().as_deref(),
            Some(r#"found string "x", where a list [...] is expected"#)
        );
        assert_eq!(
            Fields::new(value("{ required = \"yes\" }"), KNOWN)
                .expect("table")
                .bool("required")
                .unwrap_err(),
            r#"found string "yes", where a boolean is expected"#
        );
        assert_eq!(
            strings(value("[1]")).unwrap_err(),
            "found integer `1`, where a string is expected"
        );
        assert_eq!(
            Fields::new(value("[]"), KNOWN).err().as_deref(),
            Some("found list, where a table is expected")
        );
    }
}
