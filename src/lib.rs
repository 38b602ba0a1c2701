//! ha-preflight as a library: the binary (`src/main.rs`) is a thin command line over it,
//! and the fuzz targets (`fuzz/`) and the tests reach its parsers and its kind table
//! through it. Nothing here is a stable API.
//!
//! The floors, each using only those below it (tests/layers.rs checks this):
//!
//! | floor | module | what |
//! |---|---|---|
//! | 1 | `heap` | the binary's allocator: dlmalloc for small blocks, the C library's for large |
//! | 1 | `model` | shared words: mode, severity, finding, outcome, status, patterns, durations |
//! | 2 | `config` | TOML with positions: sources, spec errors, a check table's parameters |
//! | 3 | `world` | where facts come from: the root, the kernel door, caches, parsers of system files, HTTP and XML-RPC, subprocesses |
//! | 4 | `kinds` | one room per check kind, and the table of them |
//! | 5 | `spec` | loading and ordering the checks |
//! | 6 | `engine` | running them: each check as soon as its `requires` are done, deadlines, `when`, `--wait`, overrides, the verdict; a run's results, each carrying its check |
//! | 7 | `report` | human, JSON, JUnit, Nagios, Prometheus; list and explain; exit codes |
//! | 8 | `cli`, `logger` | the command line, and log lines on stderr |
//! | 9 | `app` | the pipeline: load, select, run, render |
//! | 10 | `testing` | the kinds' in-process tests: a fake box, and one check run by the real loader and engine |
//!
//! Above them all, the binary's own: `src/main.rs` and the modules it declares (the
//! release link's `no_unwinder`), which nothing here uses.

pub mod app;
pub mod cli;
pub mod config;
pub mod engine;
pub mod heap;
pub mod kinds;
pub mod logger;
pub mod model;
pub mod report;
pub mod spec;
pub mod testing;
pub mod world;
