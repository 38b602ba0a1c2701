//! ha-preflight: checks the assumptions a two-node HA appliance depends on and says, in
//! one line, which assumption broke first. The contracts are in doc/contracts.md; the
//! pipeline is `ha_preflight::app`.

use ha_preflight::{app, cli, logger};

#[cfg(all(panic = "abort", target_env = "musl"))]
mod no_unwinder;
use std::io::Write;

/// Small blocks from dlmalloc, large ones from the C library: src/heap.rs says why.
#[global_allocator]
static ALLOC: ha_preflight::heap::Split = ha_preflight::heap::Split;

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let nagios = cli::wants_nagios(&args);
    let code = match cli::parse(args) {
        Err(e) => app::usage_error(nagios, &e),
        Ok(cli) => {
            logger::init(if cli.verbose {
                log::LevelFilter::Debug
            } else if cli.quiet {
                log::LevelFilter::Error
            } else {
                log::LevelFilter::Warn
            });
            app::main(&cli)
        }
    };
    // Flush before exiting: std::process::exit would not, and abandoned check threads
    // (see engine) must not keep the process alive past its deadline. Nothing a program
    // started (drbdsetup) outlives the run.
    let _ = std::io::stdout().flush();
    ha_preflight::world::command::end_descendants();
    std::process::exit(code)
}
