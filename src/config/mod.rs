//! Reading TOML with positions: the primitives the spec and the overrides are read with
//! (a file's text and its line starts, typed errors at FILE:LINE:COL, a file's tables
//! read from toml's parse tree, a check table's fields taken one by one so an unknown one
//! is an error).

pub mod document;
mod error;
pub mod fields;
mod params;

pub use error::{SpecError, SpecText, error_at, in_words};
pub use params::{Params, RawTable};
