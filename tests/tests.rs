//! The integration tests, one crate (as ripgrep's tests/tests.rs): one link step, and the
//! helpers of `common` compiled once for all. Each module is one suite, named after what
//! it proves; `cargo test --test integration MODULE::` runs one (`kinds::` for the kinds'
//! end-to-end tests, `boot_ns::` for whole boots in namespaces, ...). The kinds'
//! in-process tests are in the library: `cargo test --lib run_tests`.

// std's sorts are fine in tests: clippy.toml keeps them out of the binary only.
#![allow(clippy::disallowed_methods)]

mod common;

mod boot_ns;
mod bundle;
mod bundle_secrets;
mod cli;
mod console;
mod docs;
mod escapes;
mod fleet;
mod hostile;
mod image;
mod journal;
mod junit;
mod kinds;
mod layers;
mod monitoring;
mod overlay;
mod package;
mod read_only;
mod spec_errors;
mod withheld;
mod writes;
