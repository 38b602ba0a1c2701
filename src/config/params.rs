//! A check table's fields, taken one by one so that every field is either used or
//! reported as unknown, with its position. This is what makes a typo in a spec an error
//! (`timout = "2s"`) instead of a silently ignored setting.

use super::error::{Source, SpecError};
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::ops::Range;
use std::time::Duration;
use toml::{Spanned, Value};

pub type RawTable = BTreeMap<Spanned<String>, Spanned<Value>>;

pub struct Params<'a> {
    source: &'a Source,
    /// The span of the `[[check]]` header, for errors about missing fields.
    table_span: Range<usize>,
    fields: RawTable,
    /// Every key a parser asked for, there or not: the kinds' tests compare it with the
    /// `params` their `KindDef` declares (only in unit tests; the binary keeps no list).
    #[cfg(test)]
    asked: Vec<String>,
}

impl<'a> Params<'a> {
    pub fn new(source: &'a Source, table: Spanned<RawTable>) -> Self {
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

    pub fn source(&self) -> &Source {
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

    /// Takes an optional field of type `T`; a value of the wrong type is an error at it.
    pub fn take<T: DeserializeOwned>(&mut self, key: &str) -> Result<Option<T>, SpecError> {
        let Some(raw) = self.take_raw(key) else {
            return Ok(None);
        };
        let span = raw.span();
        let value = raw.into_inner();
        let type_name = value.type_str();
        value.try_into::<T>().map(Some).map_err(|e| {
            self.source.error_at(
                span,
                format!(
                    "`{key}`: {} (found {type_name})",
                    super::in_words(e.message(), "")
                ),
            )
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

    /// Takes a required field.
    pub fn require<T: DeserializeOwned>(&mut self, key: &str, what: &str) -> Result<T, SpecError> {
        self.take(key)?.ok_or_else(|| self.missing(key, what))
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
    fn missing(&self, key: &str, what: &str) -> SpecError {
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
        let ids: Vec<String> = raw.into_inner().try_into().map_err(|_| {
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
