//! ha-preflight as a library: the binary (`src/main.rs`) is a thin command line over it,
//! and the fuzz targets (`fuzz/`) reach the parsers of outside input through it. The
//! modules are public for those two users; nothing here is a stable API.

pub mod checks;
pub mod cli;
pub mod clock;
pub mod command;
pub mod drbd;
pub mod duration;
pub mod engine;
pub mod envfile;
pub mod facts;
pub mod http;
pub mod logger;
pub mod notify;
pub mod outcome;
pub mod overrides;
pub mod report;
pub mod root;
pub mod spec;
pub mod target;
