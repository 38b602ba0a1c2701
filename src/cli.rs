//! The command line, as design.md fixes it.

use crate::duration;
use lexopt::prelude::*;
use std::path::PathBuf;
use std::time::Duration;

pub const USAGE: &str = "\
usage: ha-preflight [boot] [OPTIONS]     check the running system (default)
       ha-preflight image --root DIR     check a built root tree (nothing in it is run)
       ha-preflight build-host           check the machine an image is built on
       ha-preflight list [--spec PATH]   the checks, with kind, modes and severity
       ha-preflight explain ID           what a check verifies, why, and how to fix it

options:
  --spec PATH          a TOML file or a directory of *.toml
                       (default: /usr/lib/ha-preflight/checks.d overlaid by
                       /etc/ha-preflight/checks.d, else the built-in spec)
  --format FMT         human (default) | json | junit | nagios | prometheus
  --output FILE        write the report to FILE (atomically: a temporary file in the
                       same folder, then renamed) instead of stdout
  --root DIR           (image) the root tree to check; its own spec is used
  --overrides FILE     accepted findings, each with a reason (TOML [[override]])
  --only ID,...        run exactly these checks
  --skip ID,...        leave these out
  --timeout DURATION   deadline for one pass over the checks (default 30s);
                       DURATION is 500ms, 30s, 5m, 1h, or a bare number of seconds
  --wait DURATION      re-check transient results until they settle or DURATION ends
  --proc DIR           read /proc from a captured copy (a support bundle)
  --sys DIR            read /sys from a captured copy
  -v, --verbose        evidence for every check
  -q, --quiet          only the verdict
  -h, --help           this text
  -V, --version        the version, and where the spec would be read from

exit codes: 0 pass (warnings allowed), 1 a check failed or is still waiting,
            2 usage or spec error, 3 a check could not be evaluated and none failed;
            with --format nagios: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Boot,
    Image,
    BuildHost,
    List,
    Explain(String),
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
    };
    let mut command: Option<String> = None;
    let mut parser = lexopt::Parser::from_args(args);
    let err = |e: lexopt::Error| e.to_string();
    while let Some(arg) = parser.next().map_err(err)? {
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
            Long("proc") => cli.proc_dir = Some(parser.value().map_err(err)?.into()),
            Long("sys") => cli.sys_dir = Some(parser.value().map_err(err)?.into()),
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
        (Some(other), _) => return Err(format!("unknown command `{other}`")),
    };
    match (&cli.command, &cli.root) {
        (Command::Image, None) => return Err("image needs --root DIR".into()),
        (Command::Image, Some(_)) | (_, None) => {}
        (_, Some(_)) => return Err("--root is for the image command".into()),
    }
    if (cli.proc_dir.is_some() || cli.sys_dir.is_some()) && cli.command != Command::Boot {
        return Err("--proc and --sys are for boot mode".into());
    }
    if cli.verbose && cli.quiet {
        return Err("-v and -q contradict each other".into());
    }
    Ok(cli)
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
}
