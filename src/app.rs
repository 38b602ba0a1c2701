//! The pipeline behind the command line: the target, the spec, the run, the report and
//! the exit code. `main` only parses arguments and exits.

use crate::cli::{self, Cli, Command, Format};
use crate::engine::{self, overrides};
use crate::model::text::visible;
use crate::model::{Mode, clock};
use crate::report::{self, human::Verbosity};
use crate::spec::{self, Location};
use crate::world::root::Root;
use crate::world::tape::Tape;
use crate::world::{self, Target, World, bundle};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;
use thiserror::Error;

/// Exit code for usage and spec errors.
pub const USAGE_ERROR: i32 = 2;

/// Exit code when the report or bundle could not be written (`--output`), whatever the
/// command: neither a usage error nor a verdict on the box, and the gate stays shut.
pub const WRITE_ERROR: i32 = 4;

/// Runs a parsed command line; returns the process's exit code.
pub fn main(cli: &Cli) -> i32 {
    if cfg!(panic = "abort") {
        report_panics(cli.format, mode_of(&cli.command));
    }
    match cli.command {
        Command::Help => {
            say_out(format_args!("{}", cli::USAGE));
            0
        }
        Command::Version => {
            say_out(format_args!(
                "ha-preflight {}\n{}\n",
                env!("CARGO_PKG_VERSION"),
                visible(&spec_source(cli), true)
            ));
            0
        }
        Command::Collect => collect(cli),
        _ => run(cli).unwrap_or_else(|e| failed(cli.format == Format::Nagios, e)),
    }
}

/// Why a command ended without its result: a usage or spec error, or a write that
/// failed.
enum Failed {
    Usage(String),
    Write(world::output::WriteError),
}

impl From<String> for Failed {
    fn from(e: String) -> Self {
        Failed::Usage(e)
    }
}

impl From<TargetError> for Failed {
    fn from(e: TargetError) -> Self {
        Failed::Usage(e.to_string())
    }
}

/// Why the system or tree the command names cannot be looked at: the option that named
/// it, and what is wrong with what it names.
#[derive(Debug, Error)]
enum TargetError {
    #[error("--bundle {0}")]
    Bundle(#[from] bundle::BundleError),
    /// / could not be opened as the root a bundle's box is replayed in.
    #[error("--bundle: {0}")]
    BundleRoot(#[source] io::Error),
    #[error("--root {}: {source}", dir.display())]
    Root { dir: PathBuf, source: io::Error },
    /// A build that failed and left an empty rootfs, or a CI step pointed at the wrong
    /// folder: every image check would find nothing wrong in nothing.
    #[error("--root {}: not a root tree (no etc/ and no usr/ in it); is it the build's output?", dir.display())]
    NotRootTree { dir: PathBuf },
    /// A `--proc` or `--sys` that is no directory: what it is instead, in words.
    #[error("{option} {}: {why}", dir.display())]
    NotADirectory {
        option: &'static str,
        dir: PathBuf,
        why: String,
    },
    #[error("cannot open /: {0}")]
    Slash(#[source] io::Error),
}

fn failed(nagios: bool, e: Failed) -> i32 {
    match e {
        Failed::Usage(e) => usage_error(nagios, &e),
        Failed::Write(e) => write_error(nagios, &e),
    }
}

/// Says what could not be written and why, and returns 4 (UNKNOWN, 3, with its status
/// line on stdout, for a monitoring plugin). No "try --help": nothing was wrong with the
/// command line. The target is as it was: `world::output` replaces a file only whole.
fn write_error(nagios: bool, e: &world::output::WriteError) -> i32 {
    let left = visible(&format!("{} was left as it was", e.path.display()), false);
    let e = visible(&e.to_string(), false);
    if nagios {
        say_out(format_args!(
            "HA-PREFLIGHT UNKNOWN - {}\n",
            report::nagios::plain(&e)
        ));
        say_err(format_args!("ha-preflight: {e}; {left}\n"));
        report::nagios::UNKNOWN
    } else {
        say_err(format_args!("ha-preflight: {e}\n{left}\n"));
        WRITE_ERROR
    }
}

/// Says what is wrong with the command line or the spec and returns the exit code: 2, or
/// for a monitoring plugin (`--format nagios`) UNKNOWN, 3, with its one status line on
/// stdout as the plugin convention wants. The message may quote a bundle's member or
/// spec names, an image's file names: its control characters are escaped, and it stays
/// one line.
pub fn usage_error(nagios: bool, e: &str) -> i32 {
    let e = &visible(e, false);
    if nagios {
        say_out(format_args!(
            "HA-PREFLIGHT UNKNOWN - {}\n",
            report::nagios::plain(&format!("cannot run: {e}"))
        ));
        say_err(format_args!("ha-preflight: {e}\n"));
        report::nagios::UNKNOWN
    } else {
        // One line (a spec error adds its place), then where help is: on a 24-line
        // console the line that says what was wrong must stay on screen.
        say_err(format_args!(
            "ha-preflight: {e}\ntry `ha-preflight --help`\n"
        ));
        USAGE_ERROR
    }
}

/// Everything after argument parsing. Err is a usage or spec error (exit 2), or a report
/// that could not be written (exit 4).
fn run(cli: &Cli) -> Result<i32, Failed> {
    if let Some(paths) = fleet_of(&cli.bundles)? {
        return fleet(cli, &paths);
    }
    let mode = mode_of(&cli.command);
    let (target, origin) = target_for(cli, mode)?;
    let location = match &origin {
        Origin::Bundle { spec, .. } => Location::Texts(spec.clone()),
        Origin::Here => spec_location(cli),
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
                return Err(Failed::Usage(spec.no_such_check(id)));
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
    let mut overrides = overrides_for(cli, &target, &spec)?;
    let target = Arc::new(target);
    let opts = engine::Options {
        timeout: cli.timeout,
        wait: cli.wait,
    };
    let run = judge(
        &spec,
        &target,
        mode,
        (&cli.only, &cli.skip),
        &opts,
        &mut overrides,
    )?;
    let about = origin.about(&target, run.verdict);
    overrides.warn_unused();
    let root = target.root.dir.display().to_string();
    let text = match cli.format {
        Format::Json => report::json::render(&run, &spec, mode, &root, &about) + "\n",
        Format::Junit => report::junit::render(&run, &spec, mode, cli.fail_on),
        Format::Nagios => report::nagios::render(&run, &spec),
        Format::Prometheus => report::prometheus::render(&run, mode, clock::now_f64()),
        Format::Human => {
            let verbosity = if cli.quiet {
                Verbosity::Quiet
            } else if cli.verbose {
                Verbosity::Verbose
            } else {
                Verbosity::Normal
            };
            let screen = report::human::Screen::of_stdout(cli.output.is_some());
            report::human::render(&run, &spec, mode, verbosity, &screen, &about, cli.fail_on)
        }
    };
    let emitted = emit(cli, &text);
    // Whether or not the report could be written: the run's results are what they are.
    // Only this box's, or an image's: a bundle's replay or captured /proc judged another
    // box, and a fleet reading this one's journal must not take it for this one.
    let of_here = matches!(about, report::About::Here | report::About::Image { .. });
    if of_here && cli.output.is_none() && world::journal::is_stream(io::stdout()) {
        to_journal(&run, mode, std::path::Path::new(world::journal::SOCKET));
    }
    emitted?;
    Ok(match cli.format {
        Format::Nagios => report::nagios::exit_code(&run),
        _ => report::exit_code(&run, cli.fail_on),
    })
}

/// The overrides of a run on `target`.
fn overrides_for(
    cli: &Cli,
    target: &Target,
    spec: &spec::Spec,
) -> Result<overrides::Overrides, String> {
    overrides::for_run(cli.overrides.as_deref(), target, spec).map_err(|e| {
        // The file given on the command line is named by its option; an image's own
        // (under /usr/lib/ha-preflight/overrides) by what it is.
        if cli.overrides.as_deref() == Some(e.path()) {
            format!("--overrides {e}")
        } else {
            format!("override error: {e}")
        }
    })
}

/// The bundles of a fleet, when `--bundle` names several, or one folder of them; None
/// for one bundle, which is judged as the box it is.
fn fleet_of(given: &[PathBuf]) -> Result<Option<Vec<PathBuf>>, TargetError> {
    match given {
        [] => Ok(None),
        [one] if !one.is_dir() || bundle::is_bundle_folder(one) => Ok(None),
        [folder] => Ok(Some(bundle::entries(folder)?)),
        several => Ok(Some(several.to_vec())),
    }
}

/// Several bundles: each box replayed as `--bundle F` replays it, then the pairs
/// (`engine::fleet`); its exit code is a single replay's, of the worst of them all. Out
/// of line: inlined into `run`, it took more room.
#[inline(never)]
fn fleet(cli: &Cli, paths: &[PathBuf]) -> Result<i32, Failed> {
    if !matches!(cli.format, Format::Human | Format::Json) {
        return Err(Failed::Usage(format!(
            "--format {} does not apply to several bundles (human or json)",
            cli.format.name()
        )));
    }
    if cli.verbose {
        return Err(Failed::Usage(
            "-v does not apply to several bundles: replay one for its evidence".into(),
        ));
    }
    let listed = cli.bundles.len() == 1;
    let mut boxes = Vec::new();
    for path in paths {
        let (target, meta, texts) = bundle_target(path, listed)?;
        let spec = spec::load(&Location::Texts(texts), &target.root)
            .map_err(|e| format!("spec error: {e}"))?;
        let spec = Arc::new(spec);
        let mut overrides = overrides_for(cli, &target, &spec)?;
        let target = Arc::new(target);
        let opts = engine::Options {
            timeout: cli.timeout,
            wait: None,
        };
        let only_skip = (&cli.only[..], &cli.skip[..]);
        let run = judge(&spec, &target, Mode::Boot, only_skip, &opts, &mut overrides)?;
        overrides.warn_unused();
        let mut member = engine::fleet::Member {
            path: path.display().to_string(),
            host: meta.host,
            taken: meta.taken,
            taken_at: meta.taken_at,
            verdict: run.verdict,
            root_causes: engine::root_causes(&run)
                .iter()
                .map(|r| r.check.id.clone())
                .collect(),
            code: report::exit_code(&run, cli.fail_on),
            addrs: Vec::new(),
            seat: None,
        };
        engine::fleet::place(&mut member, &spec, &target);
        boxes.push(member);
    }
    let fleet = engine::fleet::decide(boxes);
    emit(
        cli,
        &match cli.format {
            Format::Json => report::fleet::json(&fleet),
            _ => report::fleet::human(&fleet, cli.quiet),
        },
    )?;
    Ok(report::fleet::exit_code(&fleet, cli.fail_on))
}

/// The run's results as structured journal entries (`report::journal` says which), sent
/// to the socket at `socket` (journald's). `run` sends them where the report goes to the
/// journal: when systemd connected standard output to it (JOURNAL_STREAM names it, as
/// for ha-preflight.service) and no `--output` took the report elsewhere. On a console,
/// in a pipe, from a script, or with the report in a file (the textfile timer's, every
/// minute) nothing changes; nor for a bundle's replay or `--proc`/`--sys` copies. Best effort, after the report: without a
/// journald listening nothing is sent and nothing is said (the report reached the
/// console and, through standard output, the journal); an entry that cannot be sent is
/// one warning, and the rest are not tried. Neither changes the verdict or the exit
/// status.
fn to_journal(run: &engine::Run, mode: Mode, socket: &std::path::Path) {
    let journal = match world::journal::Journal::open(socket) {
        Ok(journal) => journal,
        Err(e) => {
            log::debug!("no structured journal entries: {e}");
            return;
        }
    };
    for entry in report::journal::entries(run, mode) {
        if let Err(e) = journal.send(&entry) {
            log::warn!("cannot write the results to the journal: {e}");
            return;
        }
    }
}

/// Where the spec comes from on this machine: `--spec PATH`, or the layers in their
/// folders (a bundle's replay brings its own, see `run`).
fn spec_location(cli: &Cli) -> Location {
    match &cli.spec {
        Some(path) => Location::Path(path.clone()),
        None => Location::Default,
    }
}

/// The run itself, the same for every command that judges: the checks of `mode` that
/// `--only`/`--skip` leave, run on the target, then those the operator skipped added as
/// such. `run` reports it; `collect` bundles it.
fn judge<'a>(
    spec: &'a Arc<spec::Spec>,
    target: &Arc<Target>,
    mode: Mode,
    (only, skip): (&[String], &[String]),
    opts: &engine::Options,
    overrides: &mut overrides::Overrides,
) -> Result<engine::Run<'a>, Failed> {
    let selected = engine::select(spec, mode, only, skip)?;
    let mut run = engine::run(spec, &selected, target, opts, overrides);
    engine::add_skipped(&mut run, spec, &engine::skipped(spec, mode, only, skip));
    Ok(run)
}

/// The mode a command judges in: `collect`, `list` and `explain` go with boot.
fn mode_of(command: &Command) -> Mode {
    match command {
        Command::Image => Mode::Image,
        Command::BuildHost => Mode::BuildHost,
        _ => Mode::Boot,
    }
}

/// The release build is `panic = "abort"`: 190 KiB smaller than one that unwinds, but a
/// panicking check can then no longer be caught and turned into its `error` result. What
/// the person at the console gets instead: a report that names the check and the panic,
/// and the exit code of a check that could not be evaluated (3; UNKNOWN for nagios).
/// The gate stays shut, as it would on that check's error.
fn report_panics(format: Format, mode: Mode) {
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let what = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("no message");
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let (stdout, stderr) = panic_report(
            format,
            mode,
            engine::running_check().as_deref(),
            &format!("{what}{place}"),
        );
        // Unlocked writes: the panicking thread may be the one holding a lock.
        let _ = nix::unistd::write(std::io::stdout(), stdout.as_bytes());
        let _ = nix::unistd::write(std::io::stderr(), stderr.as_bytes());
        // The same code as a check that could not be evaluated; UNKNOWN for nagios.
        std::process::exit(report::COULD_NOT_CHECK)
    }));
}

/// What a panic prints: on stdout the report's own first and last lines (for nagios its
/// one status line; nothing for the machine formats, whose readers see exit 3), and on
/// stderr the panic for the bug report.
fn panic_report(format: Format, mode: Mode, check: Option<&str>, what: &str) -> (String, String) {
    let whose = match check {
        Some(id) => format!("check {id} panicked"),
        None => "ha-preflight panicked outside any check".to_string(),
    };
    // A panic's message can quote the text it choked on.
    let stderr = format!(
        "ha-preflight: internal error: {whose} ({}); please report this\n",
        visible(what, false)
    );
    let stdout = match format {
        Format::Human => {
            let cause = check
                .map(|id| format!(", could not check {id}"))
                .unwrap_or_default();
            format!(
                "ha-preflight {}: ERROR\ninternal error: {whose}; the run stopped there\nverdict: error{cause} (the run stopped: a panic, see stderr)\n",
                mode
            )
        }
        Format::Nagios => format!(
            "HA-PREFLIGHT UNKNOWN - {}\n",
            report::nagios::plain(&format!("internal error: {whose}"))
        ),
        Format::Json | Format::Junit | Format::Prometheus => String::new(),
    };
    (stdout, stderr)
}

/// Where the spec of a run with these options would come from, for `--version`: the files
/// it would load, layer by layer, with what each contributes (loaded, so a broken spec
/// shows here too).
fn spec_source(cli: &Cli) -> String {
    let root = cli.root.as_deref().unwrap_or(std::path::Path::new("/"));
    let loaded = Root::open(root)
        .map_err(|e| format!("{}: {e}", root.display()))
        .and_then(|r| spec::load(&spec_location(cli), &r).map_err(|e| e.to_string()));
    match loaded {
        Ok(spec) => report::catalog::version_spec(&spec),
        Err(e) => format!("spec: cannot be loaded: {e}"),
    }
}

/// Where a run's facts come from, beyond the target itself: what the report's header
/// says the run judged.
enum Origin {
    Here,
    Bundle {
        path: std::path::PathBuf,
        meta: Box<bundle::Meta>,
        spec: Vec<(std::path::PathBuf, String)>,
    },
}

impl Origin {
    fn about(&self, target: &Target, verdict: crate::model::Status) -> report::About {
        match self {
            Origin::Bundle { path, meta, .. } => report::About::Bundle {
                path: path.display().to_string(),
                host: meta.host.clone(),
                taken: meta.taken.clone(),
                taken_at: meta.taken_at,
                said: meta.said.clone(),
                replayed: verdict.as_str(),
            },
            Origin::Here => match target.world() {
                World::Captured { proc, sys } => report::About::Captured {
                    proc: proc.as_ref().map(|p| p.display().to_string()),
                    sys: sys.as_ref().map(|p| p.display().to_string()),
                },
                World::Image => report::About::Image {
                    root: target.root.dir.display().to_string(),
                },
                _ => report::About::Here,
            },
        }
    }
}

/// A spec's files as a bundle carries them: (the name a spec error gives, the text).
type SpecTexts = Vec<(PathBuf, String)>;

/// A bundle's box, to replay: the target, who took it when, and its spec's files. An
/// entry of a folder of bundles (`listed`) is not followed if it is a link.
fn bundle_target(
    path: &std::path::Path,
    listed: bool,
) -> Result<(Target, bundle::Meta, SpecTexts), TargetError> {
    let b = match listed {
        true => bundle::read_entry(path)?,
        false => bundle::read(path)?,
    };
    let tape = Arc::new(Tape::playing(b.tape, world::BUNDLE_MISS));
    let target = Target::bundle(tape).map_err(TargetError::BundleRoot)?;
    // Named by the member it is, so a spec error blames the file that holds it.
    let spec = b
        .spec
        .into_iter()
        .map(|(name, text)| {
            let shown = format!("{}:spec/{name}", path.display());
            (PathBuf::from(shown), text)
        })
        .collect();
    Ok((target, b.meta, spec))
}

/// The system or tree the command looks at.
fn target_for(cli: &Cli, mode: Mode) -> Result<(Target, Origin), TargetError> {
    if let Some(path) = cli.bundles.first() {
        let (target, meta, spec) = bundle_target(path, false)?;
        let origin = Origin::Bundle {
            path: path.clone(),
            meta: Box::new(meta),
            spec,
        };
        return Ok((target, origin));
    }
    let target = if let Some(dir) = &cli.root {
        let target = Target::image(dir).map_err(|source| TargetError::Root {
            dir: dir.clone(),
            source,
        })?;
        if !target.root.is_root_tree() {
            return Err(TargetError::NotRootTree { dir: dir.clone() });
        }
        target
    } else if cli.proc_dir.is_none() && cli.sys_dir.is_none() {
        match mode {
            Mode::BuildHost => Target::build_host(),
            _ => Target::live(),
        }
        .map_err(TargetError::Slash)?
    } else {
        for (option, dir) in [("--proc", &cli.proc_dir), ("--sys", &cli.sys_dir)] {
            if let Some(dir) = dir {
                let why = match std::fs::metadata(dir) {
                    Ok(m) if m.is_dir() => continue,
                    Ok(_) => "not a directory".to_string(),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        "no such directory".to_string()
                    }
                    Err(e) => e.to_string(),
                };
                return Err(TargetError::NotADirectory {
                    option,
                    dir: dir.clone(),
                    why,
                });
            }
        }
        Target::captured(cli.proc_dir.clone(), cli.sys_dir.clone()).map_err(TargetError::Slash)?
    };
    Ok((target, Origin::Here))
}

/// `collect`: one boot run on this box with every answer recorded, written as a support
/// bundle with the spec in force and the run's own report. Exit 0 when the bundle is
/// written (whatever the box's verdict), 4 when it could not be, 1 when / could not be
/// opened to take it.
fn collect(cli: &Cli) -> i32 {
    let Some(output) = &cli.output else {
        return usage_error(false, "collect needs --output FILE.tar (or DIR/)");
    };
    match take_bundle(cli, output) {
        Ok(said) => {
            if !cli.quiet {
                say_out(format_args!("{}\n", visible(&said, true)));
            }
            0
        }
        Err(Some(e)) => failed(false, e),
        Err(None) => 1,
    }
}

/// Err(None): / could not be opened (said on stderr here).
fn take_bundle(cli: &Cli, output: &std::path::Path) -> Result<String, Option<Failed>> {
    let tape = Arc::new(Tape::recording());
    let target = Target::recording(Arc::clone(&tape)).map_err(|e| {
        say_err(format_args!("ha-preflight collect: cannot open /: {e}\n"));
        None
    })?;
    let spec_error = |e: spec::SpecError| Some(Failed::Usage(format!("spec error: {e}")));
    // Read past the tape: the bundle carries the spec files whole (spec/), and the
    // values of their own `key = "..."` settings are no secrets to hunt in report.txt.
    let unrecorded = Root::open(std::path::Path::new("/")).map_err(|e| {
        say_err(format_args!("ha-preflight collect: cannot open /: {e}\n"));
        None
    })?;
    let layers = spec::layers(&spec_location(cli), &unrecorded).map_err(spec_error)?;
    let spec = Arc::new(spec::parse_layers(&layers).map_err(spec_error)?);
    // Each file under the name that keeps its layer (`spec::member_name`), so that the
    // replay layers them as this box did.
    let files: Vec<(String, String)> = layers
        .iter()
        .enumerate()
        .flat_map(|(i, layer)| {
            let layers = &layers;
            layer
                .sources
                .iter()
                .map(move |s| (spec::member_name(i, layers, &s.path), s.text.clone()))
        })
        .collect();
    tape.redact_also(spec.redact.clone());
    let host = target
        .proc_text("sys/kernel/hostname", 256)
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown".into());
    let taken_at = clock::now();
    let target = Arc::new(target);
    let opts = engine::Options {
        timeout: cli.timeout,
        wait: None,
    };
    // Every boot check, whatever --only and --skip say: the bundle is the box's whole
    // state, and no override file: a replay judges what the box had.
    let run = judge(
        &spec,
        &target,
        Mode::Boot,
        (&[], &[]),
        &opts,
        &mut Default::default(),
    )
    .map_err(Some)?;
    let roots = engine::root_causes(&run);
    let meta = bundle::Meta {
        tool: "ha-preflight".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        host: host.clone(),
        taken_at,
        taken: clock::format_utc(taken_at),
        spec: spec.files.iter().map(|f| f.display().to_string()).collect(),
        said: std::iter::once(run.verdict.as_str().to_string())
            .chain(roots.iter().map(|r| r.check.id.clone()))
            .collect(),
        redacted: tape.redactions(),
    };
    let about = report::About::Here;
    // The live run read the real texts: what it quotes of them loses the secrets too.
    let report = world::redact::scrub(
        &report::human::render(
            &run,
            &spec,
            Mode::Boot,
            Verbosity::Verbose,
            &report::human::Screen::plain(),
            &about,
            crate::model::FailOn::default(),
        ),
        &tape.secret_values(),
    );
    let entries = tape.entries();
    let size = bundle::write(output, &meta, &entries, &files, &report, cli.timeout)
        .map_err(|e| Some(Failed::Write(e)))?;
    let cause = roots
        .first()
        .map(|r| format!(", root cause {}", r.check.id))
        .unwrap_or_default();
    Ok(collected(
        output,
        &format!(
            "{} answers, {}",
            entries.len(),
            crate::model::human_bytes(size)
        ),
        &format!("taken on {host} at {}", meta.taken),
        &format!("this box: {}{cause}", run.verdict.as_str()),
    ))
}

/// Collect's status: what was written, where and when it was taken and what the box
/// said, and the command that replays it; each line wrapped to 80 columns. The box's
/// name is the kernel's, set by whoever could: `wrap` escapes it.
fn collected(output: &std::path::Path, size: &str, taken: &str, said: &str) -> String {
    let shown = output.display();
    [
        format!("ha-preflight collect: wrote {shown} ({size})"),
        taken.to_string(),
        said.to_string(),
        format!("replay with: ha-preflight --bundle {shown}"),
    ]
    .iter()
    .flat_map(|line| report::layout::wrap(line, "", "  ", report::human::WIDTH))
    .collect::<Vec<_>>()
    .join("\n")
}

/// Writes a report to `--output` (see `world::output`: a file replaced whole, a stream
/// given one `--timeout` to take it) or stdout.
fn emit(cli: &Cli, text: &str) -> Result<(), Failed> {
    match &cli.output {
        Some(path) => world::output::file(
            path,
            text.as_bytes(),
            world::output::REPORT_MODE,
            cli.timeout,
        )
        .map_err(Failed::Write),
        // A closed stdout (a pipe to `head`) must not turn a verdict into a panic.
        None => {
            let _ = std::io::stdout().write_all(text.as_bytes());
            Ok(())
        }
    }
}

/// Writes to stdout. A reader that went away (`ha-preflight --version | head -1`) or a
/// full disk must not turn the answer into a panic, as std's `println!` would: what
/// could be said was said, and the exit code stays the command's own.
fn say_out(text: std::fmt::Arguments) {
    let _ = io::stdout().write_fmt(text);
}

/// The same for stderr, which `eprintln!` would panic on.
fn say_err(text: std::fmt::Arguments) {
    let _ = io::stderr().write_fmt(text);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Collect's status fits 80 columns, whatever the path and the box's name, and the
    /// name is escaped.
    #[test]
    fn collects_status_fits_a_console() {
        let long = format!("/var/tmp/{}/bundle.tar", "support-".repeat(6));
        let said = collected(
            std::path::Path::new(&long),
            "36 answers, 57.2 KiB",
            "taken on node-a\x1b]0;x\x07 at 2026-12-06 20:56:49 UTC",
            "this box: fail, root cause netrun-layout",
        );
        let lines: Vec<&str> = said.lines().collect();
        assert!(lines.len() > 3, "{said}");
        assert!(lines.iter().all(|l| l.chars().count() <= 80), "{said}");
        assert!(
            said.starts_with("ha-preflight collect: wrote\n  /var/tmp/"),
            "{said}"
        );
        assert!(said.contains("node-a\\x1b]0;x\\x07"), "{said}");
        assert!(!said.contains('\x1b'), "{said}");
        let said = collected(
            std::path::Path::new("b.tar"),
            "36 answers, 57.2 KiB",
            "taken on vm at 2026-12-06 20:56:49 UTC",
            "this box: pass",
        );
        assert_eq!(
            said,
            "ha-preflight collect: wrote b.tar (36 answers, 57.2 KiB)\n\
             taken on vm at 2026-12-06 20:56:49 UTC\n\
             this box: pass\n\
             replay with: ha-preflight --bundle b.tar"
        );
    }

    #[test]
    fn a_panic_report_names_the_check() {
        let (out, err) = panic_report(Format::Human, Mode::Boot, Some("lo-up"), "boom at x.rs:1");
        assert!(out.starts_with("ha-preflight boot: ERROR\n"), "{out}");
        assert!(out.contains("check lo-up panicked"), "{out}");
        assert!(
            out.ends_with(
                "verdict: error, could not check lo-up (the run stopped: a panic, see stderr)\n"
            ),
            "{out}"
        );
        assert!(err.contains("(boom at x.rs:1)"), "{err}");
        let (out, _) = panic_report(Format::Nagios, Mode::Boot, None, "boom");
        assert!(
            out.starts_with(
                "HA-PREFLIGHT UNKNOWN - internal error: ha-preflight panicked outside any check"
            ),
            "{out}"
        );
        let (out, _) = panic_report(Format::Json, Mode::Image, Some("tmp-leftovers"), "boom");
        assert!(out.is_empty());
    }
}
