//! The pipeline behind the command line: the target, the spec, the run, the report and
//! the exit code. `main` only parses arguments and exits.

use crate::cli::{self, Cli, Command, Format};
use crate::engine::{self, overrides};
use crate::model::{Mode, clock};
use crate::report::{self, human::Verbosity};
use crate::spec::{self, Location};
use crate::world::Target;
use crate::world::root::Root;
use std::io::{IsTerminal, Write};
use std::sync::Arc;

/// Exit code for usage and spec errors.
pub const USAGE_ERROR: i32 = 2;

/// Runs a parsed command line; returns the process's exit code.
pub fn main(cli: &Cli) -> i32 {
    match cli.command {
        Command::Help => {
            print!("{}", cli::USAGE);
            0
        }
        Command::Version => {
            println!(
                "ha-preflight {}\n{}",
                env!("CARGO_PKG_VERSION"),
                spec_source(cli)
            );
            0
        }
        _ => run(cli).unwrap_or_else(|e| usage_error(cli.format == Format::Nagios, &e)),
    }
}

/// Says what is wrong with the command line or the spec and returns the exit code: 2, or
/// for a monitoring plugin (`--format nagios`) UNKNOWN, 3, with its one status line on
/// stdout as the plugin convention wants.
pub fn usage_error(nagios: bool, e: &str) -> i32 {
    if nagios {
        println!(
            "HA-PREFLIGHT UNKNOWN - {}",
            report::nagios::plain(&format!("cannot run: {e}"))
        );
        eprintln!("ha-preflight: {e}");
        report::nagios::UNKNOWN
    } else {
        eprintln!("ha-preflight: {e}\n\n{}", cli::USAGE);
        USAGE_ERROR
    }
}

/// Everything after argument parsing. Err is a usage or spec error (exit 2).
fn run(cli: &Cli) -> Result<i32, String> {
    let mode = match cli.command {
        Command::Image => Mode::Image,
        Command::BuildHost => Mode::BuildHost,
        _ => Mode::Boot,
    };
    let target = target_for(cli, mode)?;
    let location = match &cli.spec {
        Some(path) => Location::Path(path.clone()),
        None => Location::Default,
    };
    let spec =
        Arc::new(spec::load(&location, &target.root).map_err(|e| format!("spec error: {e}"))?);
    let catalog = match &cli.command {
        Command::List => Some(match cli.format {
            Format::Json => report::catalog::list_json(&spec),
            _ => report::catalog::list_human(&spec),
        }),
        Command::Explain(id) => {
            let Some(check) = spec.get(id) else {
                let known: Vec<&str> = spec.checks.iter().map(|c| c.id.as_str()).collect();
                return Err(format!(
                    "no check named `{id}`; known: {}",
                    known.join(", ")
                ));
            };
            Some(match cli.format {
                Format::Json => report::catalog::explain_json(&spec, check),
                _ => report::catalog::explain_human(check),
            })
        }
        _ => None,
    };
    if let Some(text) = catalog {
        emit(cli, &text)?;
        return Ok(0);
    }
    let mut overrides =
        overrides::load_all(cli.overrides.as_deref(), &target).map_err(|e| e.to_string())?;
    overrides.check_ids(&spec).map_err(|e| e.to_string())?;
    let selected = engine::select(&spec, mode, &cli.only, &cli.skip)?;
    let target = Arc::new(target);
    let opts = engine::Options {
        timeout: cli.timeout,
        wait: cli.wait,
    };
    let run = engine::run(&spec, &selected, &target, &opts, &mut overrides);
    for unused in overrides.unused() {
        log::warn!("override matched nothing: {unused}");
    }
    let root = target.root.dir.display().to_string();
    let text = match cli.format {
        Format::Json => report::json::render(&run, &spec, mode, &root) + "\n",
        Format::Junit => report::junit::render(&run, &spec, mode, cli.fail_on),
        Format::Nagios => report::nagios::render(&run, &spec),
        Format::Prometheus => report::prometheus::render(&run, &spec, mode, clock::now_f64()),
        Format::Human => {
            let verbosity = if cli.quiet {
                Verbosity::Quiet
            } else if cli.verbose {
                Verbosity::Verbose
            } else {
                Verbosity::Normal
            };
            let color = cli.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none();
            report::human::render(&run, &spec, mode, verbosity, color)
        }
    };
    emit(cli, &text)?;
    Ok(match cli.format {
        Format::Nagios => report::nagios::exit_code(&run),
        _ => report::exit_code(&run, &spec, cli.fail_on),
    })
}

/// Where the spec of a run with these options would come from, for `--version`: the files
/// it would load (loaded, so a broken spec shows here too).
fn spec_source(cli: &Cli) -> String {
    let root = cli.root.as_deref().unwrap_or(std::path::Path::new("/"));
    let location = match &cli.spec {
        Some(path) => Location::Path(path.clone()),
        None => Location::Default,
    };
    let loaded = Root::open(root)
        .map_err(|e| format!("{}: {e}", root.display()))
        .and_then(|r| spec::load(&location, &r).map_err(|e| e.to_string()));
    match loaded {
        Ok(spec) => {
            let files: Vec<String> = spec.files.iter().map(|f| f.display().to_string()).collect();
            format!("spec: {} ({} checks)", files.join(", "), spec.checks.len())
        }
        Err(e) => format!("spec: cannot be loaded: {e}"),
    }
}

/// The system or tree the command looks at.
fn target_for(cli: &Cli, mode: Mode) -> Result<Target, String> {
    if let Some(dir) = &cli.root {
        return Target::image(dir).map_err(|e| format!("--root {}: {e}", dir.display()));
    }
    if cli.proc_dir.is_none() && cli.sys_dir.is_none() {
        return Target::live(mode).map_err(|e| format!("cannot open /: {e}"));
    }
    for dir in [&cli.proc_dir, &cli.sys_dir].into_iter().flatten() {
        if !dir.is_dir() {
            return Err(format!("{} is not a directory", dir.display()));
        }
    }
    Target::captured(cli.proc_dir.clone(), cli.sys_dir.clone())
        .map_err(|e| format!("cannot open /: {e}"))
}

/// Writes a report to `--output` (atomically) or stdout.
fn emit(cli: &Cli, text: &str) -> Result<(), String> {
    match &cli.output {
        Some(path) => report::write_atomic(path, text)
            .map_err(|e| format!("--output {}: {e}", path.display())),
        // A closed stdout (a pipe to `head`) must not turn a verdict into a panic.
        None => {
            let _ = std::io::stdout().write_all(text.as_bytes());
            Ok(())
        }
    }
}
