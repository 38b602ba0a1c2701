//! The command line, as doc/contracts.md fixes it.

pub use crate::model::FailOn;
use crate::model::{duration, suggest};
use lexopt::prelude::*;
use std::path::PathBuf;
use std::time::Duration;

/// The `--help` text. Every line fits 80 columns: it is read on a serial console.
pub const USAGE: &str = "\
usage: ha-preflight [boot] [OPTIONS]   check the running system (the default)
       ha-preflight image --root DIR   check a built root tree (runs none of it)
       ha-preflight build-host         check the machine an image is built on
       ha-preflight list               the checks, with kind, modes and severity
       ha-preflight explain ID         what a check verifies, why, how to fix it
       ha-preflight collect --output F
                                       take a support bundle of this box (F.tar,
                                       or a directory DIR/)
       ha-preflight --bundle F         judge a support bundle, and nothing else
       ha-preflight --bundle F G ...   judge several bundles: each box, then how
                                       they pair (or F a folder of bundles)

options:
  --spec PATH         a TOML file or a directory of *.toml (default: the
                      built-in spec, overlaid by /usr/lib/ha-preflight/checks.d,
                      then by /etc/ha-preflight/checks.d; see ha-preflight(8),
                      SPEC OVERLAY)
  --format FMT        human (default) | json | junit | nagios | prometheus
  --output FILE       write the report to FILE instead of stdout: a file is
                      replaced whole (a new file in the same folder, then
                      renamed; 0644), a FIFO or terminal is written into within
                      --timeout, a link to a file, a socket or a folder is
                      refused; with collect, the bundle (0600): FILE.tar, or
                      DIR/ for a directory
  --root DIR          (image, list, explain) the root tree to check; its own
                      spec is used
  --overrides FILE    accepted findings, each with a reason (TOML [[override]])
  --only ID,...       run exactly these checks
  --skip ID,...       leave these out
  --timeout DURATION  deadline for one pass over the checks (default 30s);
                      DURATION is 500ms, 30s, 5m, 1h or 2d; a bare 300 is 300s
  --wait DURATION     (boot) re-check transient results until they settle or
                      DURATION ends
  --fail-on LEVEL     error (default) | warning | none: which findings exit 1;
                      with warning a warn fails the run, with none nothing does
  --bundle F ...      (boot) judge the box a support bundle was taken on: every
                      check reads only the bundle; what it lacks is skipped;
                      with several (or a folder of them), each box and each pair
  --proc DIR          (boot) read /proc from a captured copy: kernel state
                      only, checks of the box's files and daemons skip
  --sys DIR           (boot) read /sys from a captured copy
  -v, --verbose       evidence for every check
  -q, --quiet         only the verdict
  -h, --help          this text (so does the command `help`)
  -V, --version       the version, and where the spec would be read from

list and explain take --format human or json.

exit codes: 0 pass (warnings allowed), 1 a check failed or is still waiting
            (with --fail-on warning: or warned), 2 usage or spec error, 3 a
            check could not be evaluated and none failed, 4 the report or
            bundle could not be written (--output; the old file is left as it
            was); with --format nagios: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
            (usage, spec and write errors too)
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
    /// `--bundle F ...`: one bundle, or a fleet of them (several, or a folder of them).
    pub bundles: Vec<PathBuf>,
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

/// The commands, as typed: what a mistyped one is compared with.
const COMMANDS: &[&str] = &[
    "boot",
    "image",
    "build-host",
    "list",
    "explain",
    "collect",
    "help",
];

/// The long options, as typed: what a mistyped one is compared with.
const LONG_OPTIONS: &[&str] = &[
    "--spec",
    "--format",
    "--output",
    "--root",
    "--overrides",
    "--only",
    "--skip",
    "--timeout",
    "--wait",
    "--fail-on",
    "--bundle",
    "--proc",
    "--sys",
    "--verbose",
    "--quiet",
    "--help",
    "--version",
];

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

    /// The command as an error names it: "the image command", or "--version".
    fn what(&self) -> String {
        match self {
            Command::Help | Command::Version => self.name().to_string(),
            _ => format!("the {} command", self.name()),
        }
    }

    /// The command a word on the command line names, if any.
    fn of(word: &str) -> Option<Command> {
        Some(match word {
            "boot" => Command::Boot,
            "image" => Command::Image,
            "build-host" => Command::BuildHost,
            "list" => Command::List,
            // The id comes as the next word.
            "explain" => Command::Explain(String::new()),
            "collect" => Command::Collect,
            "help" => Command::Help,
            _ => return None,
        })
    }

    /// The options that mean something to this command. `--version` reads the spec
    /// (`--spec`, `--root`) and nothing else; collect's report is always verbose.
    fn takes(&self, option: &str) -> bool {
        let runs = matches!(self, Command::Boot | Command::Image | Command::BuildHost);
        if *self == Command::Version {
            return matches!(option, "--spec" | "--root");
        }
        match option {
            "--spec" | "--quiet" => true,
            "--verbose" => *self != Command::Collect,
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

/// A parser's complaint in this program's words: what the person typed in backquotes,
/// and for a mistyped long option the one it was likely meant to be.
fn words(e: lexopt::Error) -> String {
    use lexopt::Error as E;
    let lossy = |v: &std::ffi::OsStr| v.to_string_lossy().into_owned();
    match e {
        E::MissingValue {
            option: Some(option),
        } => format!("{option} needs a value"),
        E::MissingValue { option: None } => "an option needs a value".into(),
        E::UnexpectedOption(option) if option.starts_with("--") => {
            // `--fromat=json` is reported as `--fromat`.
            let name = option.split('=').next().unwrap_or(&option);
            format!(
                "unknown option `{option}`{}",
                suggest::did_you_mean(name, LONG_OPTIONS.iter().copied())
            )
        }
        E::UnexpectedOption(option) => format!("unknown option `{option}`"),
        E::UnexpectedArgument(value) => format!("unexpected argument `{}`", lossy(&value)),
        E::UnexpectedValue { option, value } => {
            format!("{option} takes no value (given `{}`)", lossy(&value))
        }
        E::NonUnicodeValue(value) => format!("`{}` is not UTF-8 text", lossy(&value)),
        E::ParsingFailed { value, error } => format!("`{value}`: {error}"),
        E::Custom(e) => e.to_string(),
    }
}

/// A choice among `choices`, or the error naming them and the one likely meant.
fn choose<T: Copy>(option: &str, value: &str, choices: &[(&str, T)]) -> Result<T, String> {
    if let Some((_, t)) = choices.iter().find(|(word, _)| *word == value) {
        return Ok(*t);
    }
    let names: Vec<&str> = choices.iter().map(|(word, _)| *word).collect();
    Err(format!(
        "unknown {option} `{value}` ({}){}",
        names.join(", "),
        suggest::did_you_mean(value, names.iter().copied())
    ))
}

/// A duration option's value: more than zero (to not wait, leave `--wait` out).
fn positive(option: &str, value: &str) -> Result<Duration, String> {
    let d = duration::parse_arg(value).map_err(|e| format!("{option}: {e}"))?;
    if d.is_zero() {
        return Err(format!(
            "{option} must be more than zero (leave it out for the default)"
        ));
    }
    Ok(d)
}

/// The value of the option just read, as text.
fn value(parser: &mut lexopt::Parser) -> Result<String, String> {
    parser.value().map_err(words)?.string().map_err(words)
}

/// The value of the option just read, as a path: any bytes, as the kernel takes them.
fn path(parser: &mut lexopt::Parser) -> Result<PathBuf, String> {
    parser.value().map(PathBuf::from).map_err(words)
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
        bundles: Vec::new(),
    };
    // The options given: their long names, to refuse those the command does not take,
    // and as typed (`-v` or `--verbose`), to say so in the person's own words.
    let mut given: Vec<(&'static str, String)> = Vec::new();
    let mut command: Option<Command> = None;
    let mut help = false;
    let mut version = false;
    // The last argument was a bundle.
    let mut bundles = false;
    let mut parser = lexopt::Parser::from_args(args);
    while let Some(arg) = parser.next().map_err(words)? {
        if let Some(name) = long_name(&arg) {
            let typed = match &arg {
                Short(c) => format!("-{c}"),
                _ => name.to_string(),
            };
            given.push((name, typed));
        }
        match arg {
            Long("spec") => cli.spec = Some(path(&mut parser)?),
            Long("format") => {
                cli.format = choose(
                    "--format",
                    &value(&mut parser)?,
                    &[
                        ("human", Format::Human),
                        ("json", Format::Json),
                        ("junit", Format::Junit),
                        ("nagios", Format::Nagios),
                        ("prometheus", Format::Prometheus),
                    ],
                )?
            }
            Long("only") => cli.only.extend(ids(&value(&mut parser)?)?),
            Long("skip") => cli.skip.extend(ids(&value(&mut parser)?)?),
            Long("timeout") => cli.timeout = positive("--timeout", &value(&mut parser)?)?,
            Long("wait") => cli.wait = Some(positive("--wait", &value(&mut parser)?)?),
            Long("root") => cli.root = Some(path(&mut parser)?),
            Long("output") => cli.output = Some(path(&mut parser)?),
            Long("overrides") => cli.overrides = Some(path(&mut parser)?),
            Long("fail-on") => {
                cli.fail_on = choose(
                    "--fail-on",
                    &value(&mut parser)?,
                    &[
                        ("error", FailOn::Error),
                        ("warning", FailOn::Warning),
                        ("none", FailOn::None),
                    ],
                )?
            }
            Long("proc") => cli.proc_dir = Some(path(&mut parser)?),
            Long("sys") => cli.sys_dir = Some(path(&mut parser)?),
            Long("bundle") => {
                cli.bundles.push(path(&mut parser)?);
                bundles = true;
                continue;
            }
            // The words after --bundle F that are no options are bundles too, but for
            // the command's own name where none was given yet (`--bundle F boot`, as
            // before there could be several; a bundle named so is given as `./boot`).
            Value(v)
                if bundles
                    && !(command.is_none()
                        && v.to_str().is_some_and(|w| Command::of(w).is_some())) =>
            {
                cli.bundles.push(v.into());
                continue;
            }
            Short('v') | Long("verbose") => cli.verbose = true,
            Short('q') | Long("quiet") => cli.quiet = true,
            Short('h') | Long("help") => help = true,
            Short('V') | Long("version") => version = true,
            Value(v) => {
                let v = v.string().map_err(words)?;
                command = Some(match command {
                    // The first word is the command: a mistyped one is said at once, not
                    // after the word that follows it.
                    None => Command::of(&v).ok_or_else(|| {
                        format!(
                            "unknown command `{v}`{}",
                            suggest::did_you_mean(&v, COMMANDS.iter().copied())
                        )
                    })?,
                    Some(Command::Explain(id)) if id.is_empty() => Command::Explain(v),
                    Some(Command::Explain(id)) => {
                        return Err(format!(
                            "explain takes one check id: `{id}`, then `{v}` too"
                        ));
                    }
                    // `help explain`: the one text says it all.
                    Some(Command::Help) => Command::Help,
                    Some(other) => {
                        return Err(format!(
                            "unexpected argument `{v}`: {} takes none",
                            other.name()
                        ));
                    }
                })
            }
            _ => return Err(words(arg.unexpected())),
        }
        bundles = false;
    }
    // --help wins over everything else on the line: whoever typed it wants the text.
    if help || command == Some(Command::Help) {
        cli.command = Command::Help;
        return Ok(cli);
    }
    // So does --version, after any command word: `image --version` is a version.
    cli.command = match command {
        _ if version => Command::Version,
        None => Command::Boot,
        Some(Command::Explain(id)) if id.is_empty() => {
            return Err("explain needs a check id (see `ha-preflight list`)".into());
        }
        Some(command) => command,
    };
    if let Some((_, typed)) = given.iter().find(|(o, _)| !cli.command.takes(o)) {
        let why = match (typed.as_str(), &cli.command) {
            ("-v" | "--verbose", Command::Collect) => " (the bundle's report is always verbose)",
            _ => "",
        };
        return Err(format!(
            "{typed} does not apply to {}{why}",
            cli.command.what()
        ));
    }
    let given = |option: &str| given.iter().any(|(o, _)| *o == option);
    if cli.command == Command::Collect && cli.output.is_none() {
        return Err("collect needs --output FILE.tar (or DIR/ for a directory)".into());
    }
    if !cli.bundles.is_empty() {
        // A bundle carries its spec and its kernel state, and is a moment, not a boot.
        for option in ["--spec", "--proc", "--sys", "--wait"] {
            if given(option) {
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
    if cli.format == Format::Nagios && given("--fail-on") {
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
            (
                &["--bundle", "a.tar", "b.tar", "--spec", "s.toml"],
                "--spec does not apply with --bundle",
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
    fn bundle_takes_the_words_after_it_and_may_be_repeated() {
        let cli = p(&[
            "--bundle", "a.tar", "b", "--format", "json", "--bundle", "c",
        ])
        .unwrap();
        let given: Vec<&str> = cli.bundles.iter().map(|b| b.to_str().unwrap()).collect();
        assert_eq!(given, ["a.tar", "b", "c"]);
        assert_eq!(cli.format, Format::Json);
        // One, as before; a value that looks like an option is taken when it is the first.
        assert_eq!(p(&["--bundle", "-a.tar"]).unwrap().bundles.len(), 1);
        assert_eq!(p(&["--bundle=a.tar", "-v"]).unwrap().bundles.len(), 1);
        // The command may still follow: `--bundle F boot` as with one bundle before.
        let cli = p(&["--bundle", "a.tar", "b.tar", "boot"]).unwrap();
        assert_eq!(cli.bundles.len(), 2);
        assert_eq!(cli.command, Command::Boot);
        let cli = p(&["boot", "--bundle", "a.tar", "./boot"]).unwrap();
        assert_eq!(cli.bundles.len(), 2);
    }

    #[test]
    fn a_near_miss_is_told_the_word_it_was_meant_to_be() {
        for (args, said) in [
            (
                &["explian", "lo-up"][..],
                "unknown command `explian`; did you mean `explain`?",
            ),
            (
                &["lst", "foo"],
                "unknown command `lst`; did you mean `list`?",
            ),
            (&["frobnicate"], "unknown command `frobnicate`"),
            (
                &["--fromat", "json"],
                "unknown option `--fromat`; did you mean `--format`?",
            ),
            (
                &["--fromat=json"],
                "unknown option `--fromat`; did you mean `--format`?",
            ),
            (&["-x"], "unknown option `-x`"),
            (
                &["--format", "jsno"],
                "unknown --format `jsno` (human, json, junit, nagios, prometheus); did you mean `json`?",
            ),
            (
                &["--fail-on", "warn"],
                "unknown --fail-on `warn` (error, warning, none); did you mean `warning`?",
            ),
            (
                &["list", "foo"],
                "unexpected argument `foo`: list takes none",
            ),
            (
                &["explain", "lo-up", "shm-tmpfs"],
                "explain takes one check id: `lo-up`, then `shm-tmpfs` too",
            ),
            (&["--spec"], "--spec needs a value"),
            (&["--verbose=yes"], "--verbose takes no value (given `yes`)"),
        ] {
            assert_eq!(p(args).unwrap_err(), said, "{args:?}");
        }
    }

    #[test]
    fn help_is_a_command_too() {
        for args in [
            &["help"][..],
            &["help", "explain"],
            &["image", "--help"],
            &["-h"],
        ] {
            assert_eq!(p(args).unwrap().command, Command::Help, "{args:?}");
        }
    }

    #[test]
    fn what_does_not_apply_is_refused() {
        for (args, said) in [
            (
                &["--wait", "0"][..],
                "--wait must be more than zero (leave it out for the default)",
            ),
            (
                &["--timeout", "0s"],
                "--timeout must be more than zero (leave it out for the default)",
            ),
            (
                &["collect", "-v", "--output", "b.tar"],
                "-v does not apply to the collect command (the bundle's report is always verbose)",
            ),
            (
                &["--version", "--only", "lo-up"],
                "--only does not apply to --version",
            ),
            (&["-V", "-v"], "-v does not apply to --version"),
        ] {
            assert_eq!(p(args).unwrap_err(), said, "{args:?}");
        }
        // --version reads the spec, an image's too (ha-preflight(8)).
        let cli = p(&["--version", "--root", "/x", "--spec", "s.toml"]).unwrap();
        assert_eq!(cli.command, Command::Version);
        assert!(p(&["collect", "-q", "--output", "b.tar"]).is_ok());
    }

    /// Every line of `--help` fits 80 columns, and its durations are the errors' ones.
    #[test]
    fn the_usage_fits_a_console_and_gives_the_one_set_of_durations() {
        for line in USAGE.lines() {
            assert!(
                line.chars().count() <= 80,
                "{} columns: {line}",
                line.chars().count()
            );
        }
        assert!(USAGE.contains(duration::EXAMPLES), "{USAGE}");
    }

    #[test]
    fn nagios_is_seen_in_broken_arguments() {
        let args = |a: &[&str]| a.iter().map(|s| s.into()).collect::<Vec<_>>();
        assert!(wants_nagios(&args(&["--bogus", "--format", "nagios"])));
        assert!(wants_nagios(&args(&["--format=nagios"])));
        assert!(!wants_nagios(&args(&["--format", "json"])));
    }
}
