//! ha-preflight: checks the assumptions a two-node HA appliance depends on and says, in
//! one line, which assumption broke first. See design.md for the contracts.

use cli::{Cli, Command, Format};
use ha_preflight::{cli, clock, duration, engine, logger, overrides, report, spec, target};
use report::human::Verbosity;
use spec::{Location, Mode, Spec};
use std::io::{IsTerminal, Write};

use std::process::ExitCode;
use std::sync::Arc;
use target::Target;

/// Exit code for usage and spec errors (design.md).
const USAGE_ERROR: i32 = 2;

fn main() -> ExitCode {
    let cli = match cli::parse(std::env::args_os().skip(1)) {
        Ok(cli) => cli,
        Err(e) => {
            eprintln!("ha-preflight: {e}\n\n{}", cli::USAGE);
            return ExitCode::from(USAGE_ERROR as u8);
        }
    };
    logger::init(if cli.verbose {
        log::LevelFilter::Debug
    } else if cli.quiet {
        log::LevelFilter::Error
    } else {
        log::LevelFilter::Warn
    });
    let code = match cli.command {
        Command::Help => {
            print!("{}", cli::USAGE);
            0
        }
        Command::Version => {
            println!(
                "ha-preflight {}\n{}",
                env!("CARGO_PKG_VERSION"),
                spec_source(&cli)
            );
            0
        }
        _ => run(&cli).unwrap_or_else(|e| {
            eprintln!("ha-preflight: {e}");
            USAGE_ERROR
        }),
    };
    // Flush before exiting: std::process::exit would not, and abandoned check threads
    // (see engine.rs) must not keep the process alive past its deadline.
    let _ = std::io::stdout().flush();
    std::process::exit(code)
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
    match &cli.command {
        Command::List => return Ok(list(&spec)),
        Command::Explain(id) => return explain(&spec, id),
        _ => {}
    }
    let mut overrides =
        overrides::load_all(cli.overrides.as_deref(), &target).map_err(|e| e.to_string())?;
    let selected = engine::select(&spec, mode, &cli.only, &cli.skip)?;
    let target = Arc::new(target);
    let opts = engine::Options {
        timeout: cli.timeout,
        wait: cli.wait,
    };
    let mut run = engine::run(&spec, &selected, &target, &opts);
    overrides.apply(&spec, &mut run);
    for unused in overrides.unused() {
        log::warn!("override matched nothing: {unused}");
    }
    let root = target.root.dir.display().to_string();
    let text = match cli.format {
        Format::Json => report::json::render(&run, &spec, mode, &root) + "\n",
        Format::Junit => report::junit::render(&run, &spec, mode),
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
    match &cli.output {
        Some(path) => report::write_atomic(path, &text)
            .map_err(|e| format!("--output {}: {e}", path.display()))?,
        // A closed stdout (a pipe to `head`) must not turn a verdict into a panic.
        None => {
            let _ = std::io::stdout().write_all(text.as_bytes());
        }
    }
    Ok(match cli.format {
        Format::Nagios => report::nagios::exit_code(&run),
        _ => report::exit_code(&run),
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
    let loaded = ha_preflight::root::Root::open(root)
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
    let mut target = Target::live(mode).map_err(|e| format!("cannot open /: {e}"))?;
    for (dir, slot, captured) in [
        (
            &cli.proc_dir,
            &mut target.proc_dir,
            &mut target.proc_captured,
        ),
        (&cli.sys_dir, &mut target.sys_dir, &mut target.sys_captured),
    ] {
        if let Some(dir) = dir {
            if !dir.is_dir() {
                return Err(format!("{} is not a directory", dir.display()));
            }
            *slot = dir.clone();
            *captured = true;
        }
    }
    Ok(target)
}

fn list(spec: &Spec) -> i32 {
    let width = spec.checks.iter().map(|c| c.id.len()).max().unwrap_or(2);
    let files: Vec<String> = spec.files.iter().map(|f| f.display().to_string()).collect();
    let mut out = format!("# spec: {}\n", files.join(", "));
    out.push_str(&format!(
        "{:<width$}  {:<12}  {:<8}  MODES\n",
        "ID", "KIND", "SEVERITY"
    ));
    for c in &spec.checks {
        let modes: Vec<String> = c.modes.iter().map(Mode::to_string).collect();
        out.push_str(&format!(
            "{:<width$}  {:<12}  {:<8}  {}\n",
            c.id,
            c.kind.name(),
            c.severity.to_string(),
            modes.join(",")
        ));
    }
    let _ = std::io::stdout().write_all(out.as_bytes());
    0
}

fn explain(spec: &Spec, id: &str) -> Result<i32, String> {
    let Some(c) = spec.get(id) else {
        let known: Vec<&str> = spec.checks.iter().map(|c| c.id.as_str()).collect();
        return Err(format!(
            "no check named `{id}`; known: {}",
            known.join(", ")
        ));
    };
    let modes: Vec<String> = c.modes.iter().map(Mode::to_string).collect();
    let mut out = format!(
        "{}  ({} check, kind {}, modes {})\n\n",
        c.id,
        c.severity,
        c.kind.name(),
        modes.join(", ")
    );
    out.push_str(&format!(
        "WHY\n{}\n\nFIX\n{}\n",
        block(&c.why),
        block(&c.fix)
    ));
    if !c.requires.is_empty() {
        out.push_str(&format!(
            "\nREQUIRES {} (not run unless they pass)\n",
            c.requires.join(", ")
        ));
    }
    if !c.after.is_empty() {
        out.push_str(&format!(
            "\nAFTER {} (a failure there is this check's root cause)\n",
            c.after.join(", ")
        ));
    }
    if let Some(w) = &c.when {
        let cond = if w.exists { "exists" } else { "does not exist" };
        out.push_str(&format!("\nAPPLIES WHEN {} {cond}\n", w.pattern));
    }
    out.push_str(&format!(
        "\nTIMEOUT {}\nDEFINED AT {}\n",
        duration::display(c.timeout),
        c.defined_at
    ));
    let _ = std::io::stdout().write_all(out.as_bytes());
    Ok(0)
}

fn block(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {}", l.trim()))
        .collect::<Vec<_>>()
        .join("\n")
}
