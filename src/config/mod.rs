//! Reading TOML with positions: the primitives the spec and the overrides are read with
//! (a file's text and its line starts, typed errors at FILE:LINE:COL, a check table's
//! fields taken one by one so an unknown one is an error).

mod error;
pub mod fields;
mod params;

pub use error::{Source, SpecError, error_at, in_words};
pub use params::{Params, RawTable};
