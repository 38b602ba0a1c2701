//! The command line, as doc/contracts.md fixes it.

pub use crate::model::FailOn;
use crate::model::duration;
use lexopt::prelude::*;
use std::path::PathBuf;
use std::time::Duration;

pub const USAGE: &str = "\
usage: ha-preflight [boot] [OPTIONS]     check the running system (default)
       ha-preflight image --root DIR     check a built root tree (nothing in it is run)
       ha-preflight build-host           check the machine an image is built on
       ha-preflight list [--spec PATH]   the checks, with kind, modes and severity
       ha-preflight explain ID           what a check verifies, why, and how to fix it
       ha-preflight collect --output F   take a support bundle of this box (F.tar,
                                         or a directory DIR/)
       ha-preflight --bundle F           judge a support bundle, and nothing else

options:
  --spec PATH          a TOML file or a directory of *.toml (default: the built-in
                       spec, overlaid by /usr/lib/ha-preflight/checks.d, then by
                       /etc/ha-preflight/checks.d; see ha-preflight(8), SPEC OVERLAY)
  --format FMT         human (default) | json | junit | nagios | prometheus
  --output FILE        write the report to FILE instead of stdout: a file is replaced
                       whole (a new file in the same folder, then renamed; 0644), a
                       FIFO or terminal is written into within --timeout, a link to
                       a file, a socket or a folder is refused; with collect, the
                       bundle (0600): FILE.tar, or DIR/ for a directory
  --root DIR           (image, list, explain) the root tree to check; its own spec
                       is used
  --overrides FILE     accepted findings, each with a reason (TOML [[override]])
  --only ID,...        run exactly these checks
  --skip ID,...        leave these out
  --timeout DURATION   deadline for one pass over the checks (default 30s);
                       DURATION is 500ms, 30s, 5m, 1h, or a bare number of seconds
  --wait DURATION      (boot) re-check transient results until they settle or
                       DURATION ends
  --fail-on LEVEL      error (default) | warning | none: which findings exit 1;
                       warning makes a warn fail the run, none lets nothing fail it
  --bundle F           (boot) judge the box a support bundle was taken on: every
                       check reads only the bundle; what it lacks is skipped
  --proc DIR           (boot) read /proc from a captured copy: kernel state only,
                       checks of the box's files and daemons skip
  --sys DIR            (boot) read /sys from a captured copy
  -v, --verbose        evidence for every check
  -q, --quiet          only the verdict
  -h, --help           this text
  -V, --version        the version, and where the spec would be read from

list and explain take --format human or json.

exit codes: 0 pass (warnings allowed), 1 a check failed or is still waiting
            (with --fail-on warning: or warned), 2 usage or spec error, 3 a check
            could not be evaluated and none failed, 4 the report or bundle could
            not be written (--output; the old file is left as it was); with
            --format nagios: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (usage, spec
            and write errors too)
";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Boot,
    Image,
    BuildHost,
    List,
    Explain(String),
    Collect,
    Help,
    Version,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Junit,
    Nagios,
    Prometheus,
}

#[derive(Debug, Clone)]
pub struct Cli {
    pub command: Command,
    pub spec: Option<PathBuf>,
    pub format: Format,
    pub only: Vec<String>,
    pub skip: Vec<String>,
    pub timeout: Duration,
    pub wait: Option<Duration>,
    pub proc_dir: Option<PathBuf>,
    pub sys_dir: Option<PathBuf>,
    pub verbose: bool,
    pub quiet: bool,
    pub root: Option<PathBuf>,
    pub output: Option<PathBuf>,
    pub overrides: Option<PathBuf>,
    pub fail_on: FailOn,
    pub bundle: Option<PathBuf>,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Junit => "junit",
            Format::Nagios => "nagios",
            Format::Prometheus => "prometheus",
        }
    }
}

impl Command {
    fn name(&self) -> &'static str {
        match self {
            Command::Boot => "boot",
            Command::Image => "image",
            Command::BuildHost => "build-host",
            Command::List => "list",
            Command::Explain(_) => "explain",
            Command::Collect => "collect",
            Command::Help => "--help",
            Command::Version => "--version",
        }
    }

    /// The options that mean something to this command, beyond --spec, -v and -q.
    fn takes(&self, option: &str) -> bool {
        let runs = matches!(self, Command::Boot | Command::Image | Command::BuildHost);
        match option {
            "--spec" | "--verbose" | "--quiet" => true,
            "--format" => runs || matches!(self, Command::List | Command::Explain(_)),
            "--output" => {
                runs || matches!(self, Command::List | Command::Explain(_) | Command::Collect)
            }
            // list and explain of an image show the spec the image ships.
            "--root" => matches!(self, Command::Image | Command::List | Command::Explain(_)),
            "--wait" | "--proc" | "--sys" | "--bundle" => *self == Command::Boot,
            "--timeout" => runs || *self == Command::Collect,
            "--only" | "--skip" | "--overrides" | "--fail-on" => runs,
            _ => false,
        }
    }
}

/// True when the arguments ask for `--format nagios`, whatever else is wrong with them:
/// a plugin's usage error must still speak the plugin convention.
pub fn wants_nagios(args: &[std::ffi::OsString]) -> bool {
    args.iter().enumerate().any(|(i, a)| {
        a == "--format=nagios"
            || (a == "--format" && args.get(i + 1).is_some_and(|v| v == "nagios"))
    })
}

pub fn parse(args: impl IntoIterator<Item = std::ffi::OsString>) -> Result<Cli, String> {
    let mut cli = Cli {
        command: Command::Boot,
        spec: None,
        format: Format::Human,
        only: Vec::new(),
        skip: Vec::new(),
        timeout: Duration::from_secs(30),
        wait: None,
        proc_dir: None,
        sys_dir: None,
        verbose: false,
        quiet: false,
        root: None,
        output: None,
        overrides: None,
        fail_on: FailOn::default(),
        bundle: None,
    };
    // The long names of the options given, to refuse those the command does not take.
    let mut given: Vec<&'static str> = Vec::new();
    let mut command: Option<String> = None;
    let mut parser = lexopt::Parser::from_args(args);
    let err = |e: lexopt::Error| e.to_string();
    while let Some(arg) = parser.next().map_err(err)? {
        if let Some(name) = long_name(&arg) {
            given.push(name);
        }
        match arg {
            Long("spec") => cli.spec = Some(parser.value().map_err(err)?.into()),
            Long("format") => {
                let value = parser.value().map_err(err)?.string().map_err(err)?;
                cli.format = match value.as_str() {
                    "human" => Format::Human,
                    "json" => Format::Json,
                    "junit" => Format::Junit,
                    "nagios" => Format::Nagios,
                    "prometheus" => Format::Prometheus,
                    other => {
                        return Err(format!(
                            "unknown --format `{other}` (human, json, junit, nagios, prometheus)"
                        ));
                    }
                }
            }
            Long("only") => {
                cli.only
                    .extend(ids(&parser.value().map_err(err)?.string().map_err(err)?)?)
            }
            Long("skip") => {
                cli.skip
                    .extend(ids(&parser.value().map_err(err)?.string().map_err(err)?)?)
            }
            Long("timeout") => {
                let t = duration::parse_arg(&parser.value().map_err(err)?.string().map_err(err)?)
                    .map_err(|e| format!("--timeout: {e}"))?;
                if t.is_zero() {
                    return Err("--timeout must be more than zero".into());
                }
                cli.timeout = t;
            }
            Long("wait") => {
                cli.wait = Some(
                    duration::parse_arg(&parser.value().map_err(err)?.string().map_err(err)?)
                        .map_err(|e| format!("--wait: {e}"))?,
                )
            }
            Long("root") => cli.root = Some(parser.value().map_err(err)?.into()),
            Long("output") => cli.output = Some(parser.value().map_err(err)?.into()),
            Long("overrides") => cli.overrides = Some(parser.value().map_err(err)?.into()),
            Long("fail-on") => {
                let value = parser.value().map_err(err)?.string().map_err(err)?;
                cli.fail_on = match value.as_str() {
                    "error" => FailOn::Error,
                    "warning" => FailOn::Warning,
                    "none" => FailOn::None,
                    other => {
                        return Err(format!(
                            "unknown --fail-on `{other}` (error, warning, none)"
                        ));
                    }
                }
            }
            Long("proc") => cli.proc_dir = Some(parser.value().map_err(err)?.into()),
            Long("sys") => cli.sys_dir = Some(parser.value().map_err(err)?.into()),
            Long("bundle") => cli.bundle = Some(parser.value().map_err(err)?.into()),
            Short('v') | Long("verbose") => cli.verbose = true,
            Short('q') | Long("quiet") => cli.quiet = true,
            Short('h') | Long("help") => cli.command = Command::Help,
            Short('V') | Long("version") => cli.command = Command::Version,
            Value(v) if command.is_none() => command = Some(v.string().map_err(err)?),
            Value(v) => match (command.as_deref(), &cli.command) {
                (Some("explain"), Command::Boot) => {
                    cli.command = Command::Explain(v.string().map_err(err)?)
                }
                _ => return Err(format!("unexpected argument {v:?}")),
            },
            _ => return Err(arg.unexpected().to_string()),
        }
    }
    if matches!(cli.command, Command::Help | Command::Version) {
        return Ok(cli);
    }
    cli.command = match (command.as_deref(), &cli.command) {
        (None | Some("boot"), _) => Command::Boot,
        (Some("list"), _) => Command::List,
        (Some("explain"), Command::Explain(id)) => Command::Explain(id.clone()),
        (Some("explain"), _) => {
            return Err("explain needs a check id (see `ha-preflight list`)".into());
        }
        (Some("image"), _) => Command::Image,
        (Some("build-host"), _) => Command::BuildHost,
        (Some("collect"), _) => Command::Collect,
        (Some(other), _) => return Err(format!("unknown command `{other}`")),
    };
    if let Some(option) = given.iter().find(|o| !cli.command.takes(o)) {
        return Err(format!(
            "{option} does not apply to the {} command",
            cli.command.name()
        ));
    }
    if cli.command == Command::Collect && cli.output.is_none() {
        return Err("collect needs --output FILE.tar (or DIR/ for a directory)".into());
    }
    if cli.bundle.is_some() {
        // A bundle carries its spec and its kernel state, and is a moment, not a boot.
        for option in ["--spec", "--proc", "--sys", "--wait"] {
            if given.contains(&option) {
                return Err(format!(
                    "{option} does not apply with --bundle, which carries its own {}",
                    match option {
                        "--spec" => "spec",
                        "--wait" => "moment (it cannot change while waited on)",
                        _ => "kernel state",
                    }
                ));
            }
        }
    }
    if cli.command == Command::Image && cli.root.is_none() {
        return Err("image needs --root DIR".into());
    }
    if matches!(cli.command, Command::List | Command::Explain(_))
        && !matches!(cli.format, Format::Human | Format::Json)
    {
        return Err(format!(
            "--format {} does not apply to the {} command (human or json)",
            cli.format.name(),
            cli.command.name()
        ));
    }
    if cli.format == Format::Nagios && given.contains(&"--fail-on") {
        return Err(
            "--fail-on does not apply to --format nagios, whose exit status is the plugin's".into(),
        );
    }
    if cli.verbose && cli.quiet {
        return Err("-v and -q contradict each other".into());
    }
    Ok(cli)
}

/// The long name of an option argument, as the usage text spells it.
fn long_name(arg: &lexopt::Arg) -> Option<&'static str> {
    Some(match arg {
        Long("spec") => "--spec",
        Long("format") => "--format",
        Long("only") => "--only",
        Long("skip") => "--skip",
        Long("timeout") => "--timeout",
        Long("wait") => "--wait",
        Long("root") => "--root",
        Long("output") => "--output",
        Long("overrides") => "--overrides",
        Long("fail-on") => "--fail-on",
        Long("proc") => "--proc",
        Long("sys") => "--sys",
        Long("bundle") => "--bundle",
        Short('v') | Long("verbose") => "--verbose",
        Short('q') | Long("quiet") => "--quiet",
        _ => return None,
    })
}

fn ids(list: &str) -> Result<Vec<String>, String> {
    let ids: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    if ids.is_empty() {
        return Err(format!("`{list}` names no check ids"));
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Cli, String> {
        parse(args.iter().map(|a| a.into()))
    }

    #[test]
    fn boot_is_the_default() {
        assert_eq!(p(&[]).unwrap().command, Command::Boot);
        assert_eq!(p(&["--format", "json"]).unwrap().format, Format::Json);
    }

    #[test]
    fn explain_takes_an_id() {
        assert_eq!(
            p(&["explain", "lo-up"]).unwrap().command,
            Command::Explain("lo-up".into())
        );
        assert!(p(&["explain"]).is_err());
    }

    #[test]
    fn lists_and_durations() {
        let cli = p(&[
            "--only",
            "lo-up,shm-tmpfs",
            "--timeout",
            "500ms",
            "--wait",
            "5m",
        ])
        .unwrap();
        assert_eq!(cli.only, vec!["lo-up", "shm-tmpfs"]);
        assert_eq!(cli.timeout, Duration::from_millis(500));
        assert_eq!(cli.wait, Some(Duration::from_secs(300)));
        assert_eq!(
            p(&["--timeout", "30"]).unwrap().timeout,
            Duration::from_secs(30)
        );
        assert!(p(&["--timeout", "30 parsecs"]).is_err());
        assert!(p(&["--timeout", "0s"]).is_err());
        assert!(p(&["--bogus"]).is_err());
        assert!(p(&["reboot"]).is_err());
    }

    #[test]
    fn an_option_the_command_does_not_take_is_refused_by_name() {
        for (args, words) in [
            (
                &["image", "--root", "/x", "--wait", "5m"][..],
                "--wait does not apply to the image command",
            ),
            (
                &["list", "--only", "lo-up"],
                "--only does not apply to the list command",
            ),
            (
                &["--root", "/x"],
                "--root does not apply to the boot command",
            ),
            (
                &["build-host", "--proc", "/x"],
                "--proc does not apply to the build-host command",
            ),
            (
                &["explain", "lo-up", "--timeout", "1s"],
                "--timeout does not apply to the explain command",
            ),
            (
                &["list", "--format", "junit"],
                "--format junit does not apply to the list command",
            ),
            (
                &["--format", "nagios", "--fail-on", "warning"],
                "--fail-on does not apply to --format nagios",
            ),
            (&["collect"], "collect needs --output"),
            (
                &["collect", "--output", "b.tar", "--only", "lo-up"],
                "--only does not apply to the collect command",
            ),
            (
                &["image", "--root", "/x", "--bundle", "b.tar"],
                "--bundle does not apply to the image command",
            ),
            (
                &["--bundle", "b.tar", "--spec", "s.toml"],
                "--spec does not apply with --bundle",
            ),
            (
                &["--bundle", "b.tar", "--wait", "5m"],
                "--wait does not apply with --bundle",
            ),
        ] {
            let e = p(args).unwrap_err();
            assert!(e.contains(words), "{args:?}: {e}");
        }
        assert_eq!(
            p(&["image", "--root", "/x", "--fail-on", "warning"])
                .unwrap()
                .fail_on,
            FailOn::Warning
        );
        assert!(p(&["list", "--format", "json"]).is_ok());
        assert!(p(&["--fail-on", "info"]).is_err());
    }

    #[test]
    fn nagios_is_seen_in_broken_arguments() {
        let args = |a: &[&str]| a.iter().map(|s| s.into()).collect::<Vec<_>>();
        assert!(wants_nagios(&args(&["--bogus", "--format", "nagios"])));
        assert!(wants_nagios(&args(&["--format=nagios"])));
        assert!(!wants_nagios(&args(&["--format", "json"])));
    }
}
