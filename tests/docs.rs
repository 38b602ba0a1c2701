//! The man page and the shell completions against the CLI itself: every command, option
//! and `--format` value `ha-preflight --help` prints, and every check id `ha-preflight
//! list` prints, must be documented in doc/ha-preflight.8 and known to
//! doc/completions/ha-preflight.bash and doc/completions/_ha-preflight, and given in
//! doc/contracts.md's option list and check catalog (with the severity and modes `list`
//! prints). A new option added to `USAGE` without docs fails here, naming what is
//! missing from which file.

use crate::common;

use common::{bin, repo, run};
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

const MAN: &str = "doc/ha-preflight.8";
const BASH: &str = "doc/completions/ha-preflight.bash";
const ZSH: &str = "doc/completions/_ha-preflight";

fn read(rel: &str) -> String {
    let path = repo().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn help() -> String {
    let ran = run(&["--help"]);
    assert_eq!(ran.code, 0, "--help failed: {}", ran.stderr);
    ran.stdout
}

/// What `--help` defines: commands, options (long and short), `--format` values.
struct Cli {
    commands: BTreeSet<String>,
    long: BTreeSet<String>,
    short: BTreeSet<String>,
    formats: BTreeSet<String>,
}

fn cli() -> Cli {
    let help = help();
    // The usage block: "usage: ha-preflight [boot] [OPTIONS] ...", then one line per
    // command, "       ha-preflight image --root DIR ...", up to the first blank line.
    let mut commands = BTreeSet::new();
    for line in help.lines().take_while(|l| !l.trim().is_empty()) {
        let mut words = line.split_whitespace().skip_while(|w| *w != "ha-preflight");
        if let Some(command) = words.nth(1) {
            let command = command.trim_matches(|c| c == '[' || c == ']');
            if !command.starts_with('-') && command != "OPTIONS" {
                commands.insert(command.to_string());
            }
        }
    }
    // Option lines: "  --spec PATH   ...", "  -v, --verbose   ...".
    let (mut long, mut short) = (BTreeSet::new(), BTreeSet::new());
    for line in help.lines().filter(|l| l.trim_start().starts_with('-')) {
        for word in line
            .split_whitespace()
            .take_while(|w| w.starts_with('-'))
            .map(|w| w.trim_end_matches(','))
        {
            if word.starts_with("--") {
                long.insert(word.to_string());
            } else {
                short.insert(word.to_string());
            }
        }
    }
    // "  --format FMT         human (default) | json | junit | nagios | prometheus"
    let format_line = help
        .lines()
        .find(|l| l.trim_start().starts_with("--format"))
        .unwrap_or_else(|| panic!("no --format line in --help:\n{help}"));
    let values = format_line
        .split_once("FMT")
        .map_or("", |(_, rest)| rest)
        .split('|')
        .filter_map(|v| v.split_whitespace().next())
        .map(String::from)
        .collect();
    let cli = Cli {
        commands,
        long,
        short,
        formats: values,
    };
    // Guard against a parser that silently finds nothing.
    for (what, set, known) in [
        ("commands", &cli.commands, "explain"),
        ("long options", &cli.long, "--format"),
        ("short options", &cli.short, "-v"),
        ("--format values", &cli.formats, "json"),
    ] {
        assert!(
            set.contains(known),
            "could not read the {what} from --help (found {set:?}):\n{help}"
        );
    }
    cli
}

/// A check as `ha-preflight list` prints it: its severity and its modes column
/// ("boot,build-host").
#[derive(Debug, PartialEq)]
struct Listed {
    severity: String,
    modes: String,
}

/// The checks `ha-preflight list` shows over the repository's spec (all modes: boot,
/// image, build-host; the repository's, not whatever spec this machine has installed),
/// by id; each id in checks/*.toml's `id = "..."` lines must be among them.
fn listed() -> BTreeMap<String, Listed> {
    let checks = repo().join("checks");
    let ran = run(&["list", "--spec", checks.to_str().unwrap_or("checks")]);
    assert_eq!(ran.code, 0, "list failed: {}", ran.stderr);
    let mut listed = BTreeMap::new();
    for line in ran.stdout.lines().filter(|l| !l.starts_with('#')) {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [id, _kind, severity, modes, ..] = words[..] {
            if id != "ID" {
                let (severity, modes) = (severity.to_string(), modes.to_string());
                listed.insert(id.to_string(), Listed { severity, modes });
            }
        }
    }
    for mode in ["boot", "image", "build-host"] {
        assert!(
            listed
                .values()
                .any(|c| c.modes.split(',').any(|x| x == mode)),
            "`ha-preflight list` shows no {mode} check:\n{}",
            ran.stdout
        );
    }
    let mut in_files = BTreeSet::new();
    for entry in std::fs::read_dir(&checks).expect("checks/ is readable") {
        let path = entry.expect("a checks/ entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path).expect("a readable spec file");
            for line in text.lines() {
                if let Some(rest) = line.trim().strip_prefix("id") {
                    if let Some(value) = rest.trim_start().strip_prefix('=') {
                        in_files.insert(value.trim().trim_matches('"').to_string());
                    }
                }
            }
        }
    }
    let unlisted: Vec<&String> = in_files
        .iter()
        .filter(|id| !listed.contains_key(*id))
        .collect();
    assert!(
        unlisted.is_empty(),
        "checks/*.toml defines {unlisted:?}, but `ha-preflight list` does not show them:\n{}",
        ran.stdout
    );
    listed
}

/// Check ids, as [`listed`] finds them.
fn check_ids() -> BTreeSet<String> {
    listed().into_keys().collect()
}

/// Roff source as text: escapes that matter here resolved, comments dropped.
fn plain(roff: &str) -> String {
    roff.replace("\\-", "-")
        .replace("\\%", "")
        .replace("\\&", "")
        .replace("\\(dq", "\"")
        .replace("\\fB", "")
        .replace("\\fI", "")
        .replace("\\fR", "")
        .replace("\\fP", "")
        .replace("\\e", "\\")
}

/// The man page by section (`.SH NAME`): for each, the tags of its `.TP` items (the
/// line after `.TP`, as text) and its whole text.
struct Section {
    tags: Vec<String>,
    text: String,
}

fn man_sections() -> BTreeMap<String, Section> {
    let source = read(MAN);
    let mut sections: BTreeMap<String, Section> = BTreeMap::new();
    let mut current = String::new();
    let mut tag_next = false;
    for line in source.lines().filter(|l| !l.starts_with(".\\\"")) {
        if let Some(name) = line.strip_prefix(".SH ") {
            current = name.trim().trim_matches('"').to_string();
            sections.insert(
                current.clone(),
                Section {
                    tags: Vec::new(),
                    text: String::new(),
                },
            );
            continue;
        }
        let Some(section) = sections.get_mut(&current) else {
            continue;
        };
        let text = plain(&macro_args(line));
        if tag_next {
            section.tags.push(text.clone());
            tag_next = false;
        }
        if line == ".TP" || line.starts_with(".TP ") {
            tag_next = true;
        }
        section.text.push_str(&text);
        section.text.push('\n');
    }
    sections
}

/// A line's text: a macro's arguments, unquoted, or the line itself.
fn macro_args(line: &str) -> String {
    match line.strip_prefix('.') {
        Some(rest) => rest
            .split_once(char::is_whitespace)
            .map_or(String::new(), |(_, args)| args.replace('"', "")),
        None => line.to_string(),
    }
}

fn section<'a>(sections: &'a BTreeMap<String, Section>, name: &str) -> &'a Section {
    sections
        .get(name)
        .unwrap_or_else(|| panic!("{MAN} has no `.SH {name}` section"))
}

/// `word` occurs in `text` as a whole word (not as part of `--wait-for` or `lo-up2`).
fn has_word(text: &str, word: &str) -> bool {
    let part_of_word = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(part_of_word) && !after.is_some_and(part_of_word)
    })
}

fn tagged(section: &Section, word: &str) -> bool {
    section.tags.iter().any(|t| has_word(t, word))
}

/// A completion file without its comment lines, so a mention in a comment does not count.
fn completion(rel: &str) -> String {
    read(rel)
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Collects failures so one run names everything missing, not just the first.
#[derive(Default)]
struct Missing(Vec<String>);

impl Missing {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.0.push(what());
        }
    }

    #[track_caller]
    fn assert_none(self) {
        assert!(self.0.is_empty(), "\n{}\n", self.0.join("\n"));
    }
}

#[test]
fn man_page_documents_every_command_and_option() {
    let cli = cli();
    let sections = man_sections();
    let (commands, options) = (
        section(&sections, "COMMANDS"),
        section(&sections, "OPTIONS"),
    );
    let synopsis = section(&sections, "SYNOPSIS");
    let mut missing = Missing::default();
    for command in &cli.commands {
        missing.check(tagged(commands, command), || {
            format!("{MAN}: command `{command}` (from --help) has no .TP item in COMMANDS")
        });
        missing.check(has_word(&synopsis.text, command), || {
            format!("{MAN}: command `{command}` (from --help) is not in the SYNOPSIS")
        });
    }
    for option in cli.long.iter().chain(&cli.short) {
        missing.check(tagged(options, option), || {
            format!("{MAN}: option `{option}` (from --help) has no .TP item in OPTIONS")
        });
    }
    missing.assert_none();
}

#[test]
fn man_page_documents_every_format() {
    let cli = cli();
    let sections = man_sections();
    let (formats, options) = (
        section(&sections, "OUTPUT FORMATS"),
        section(&sections, "OPTIONS"),
    );
    let mut missing = Missing::default();
    for format in &cli.formats {
        missing.check(tagged(formats, format), || {
            format!("{MAN}: --format `{format}` (from --help) has no .TP item in OUTPUT FORMATS")
        });
        missing.check(has_word(&options.text, format), || {
            format!("{MAN}: --format `{format}` (from --help) is not named under OPTIONS")
        });
    }
    missing.assert_none();
}

#[test]
fn man_page_lists_every_check() {
    let ids = check_ids();
    let sections = man_sections();
    let checks = section(&sections, "CHECKS");
    let mut missing = Missing::default();
    for id in &ids {
        missing.check(tagged(checks, id), || {
            format!("{MAN}: check `{id}` (from `ha-preflight list`) has no .TP item in CHECKS")
        });
    }
    // And no check the spec no longer has.
    for tag in &checks.tags {
        let id = tag.split_whitespace().next().unwrap_or_default();
        missing.check(ids.contains(id), || {
            format!("{MAN}: CHECKS describes `{id}`, which `ha-preflight list` does not show")
        });
    }
    missing.assert_none();
}

#[test]
fn man_page_carries_the_crate_version() {
    let version = env!("CARGO_PKG_VERSION");
    let source = read(MAN);
    let th = source
        .lines()
        .find(|l| l.starts_with(".TH "))
        .unwrap_or_else(|| panic!("{MAN} has no .TH line"));
    assert!(
        th.split(['"', ' ']).any(|w| w == version),
        "{MAN}: the .TH line does not carry version {version} (Cargo.toml): {th}"
    );
    // The JSON example shows the version field too; keep it current.
    for (at, _) in source.match_indices("\"version\": \"") {
        let shown: String = source[at + 12..]
            .chars()
            .take_while(|c| *c != '"')
            .collect();
        assert_eq!(
            shown, version,
            "{MAN}: the JSON example shows version {shown}, Cargo.toml has {version}"
        );
    }
}

#[test]
fn completions_know_every_command_option_and_format() {
    let cli = cli();
    let mut missing = Missing::default();
    for file in [BASH, ZSH] {
        let text = completion(file);
        for command in &cli.commands {
            missing.check(has_word(&text, command), || {
                format!("{file}: command `{command}` (from --help) is missing")
            });
        }
        for option in cli.long.iter().chain(&cli.short) {
            missing.check(has_word(&text, option), || {
                format!("{file}: option `{option}` (from --help) is missing")
            });
        }
        for format in &cli.formats {
            missing.check(has_word(&text, format), || {
                format!("{file}: --format value `{format}` (from --help) is missing")
            });
        }
    }
    missing.assert_none();
}

/// Runs `SHELL -n FILE`; None (with the reason printed) if the shell is not installed.
fn syntax_check(shell: &str, rel: &str) -> Option<()> {
    let path = repo().join(rel);
    match Command::new(shell).arg("-n").arg(&path).output() {
        Ok(out) => {
            assert!(
                out.status.success(),
                "{rel}: `{shell} -n` finds it does not parse:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(())
        }
        // PermissionDenied: execvp met a PATH folder this user may not search and found
        // no shell elsewhere (a non-root run with root's PATH).
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
            ) =>
        {
            println!("skipped: {shell} cannot be run ({e}), so {rel} was not parsed");
            None
        }
        Err(e) => panic!("cannot run {shell}: {e}"),
    }
}

#[test]
fn completion_files_parse() {
    syntax_check("bash", BASH);
    syntax_check("zsh", ZSH);
}

const BASH_BC: &str = "/usr/share/bash-completion/bash_completion";

/// What the bash completion offers for the last of `words` (words[0] is the binary);
/// None if bash is missing. With `with_bash_completion`, bash-completion's own helpers
/// (_init_completion, _filedir) are loaded first, as on an installed system.
fn bash_complete(words: &[&str], with_bash_completion: bool) -> Option<Vec<String>> {
    let script = r#"
        [[ -n $BC ]] && source "$BC"
        source "$1"; shift
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
        _ha_preflight
        printf '%s\n' "${COMPREPLY[@]}"
    "#;
    let bc = if with_bash_completion { BASH_BC } else { "" };
    let out = match Command::new("bash")
        .arg("-c")
        .arg(script)
        .arg("bash")
        .arg(repo().join(BASH))
        .args(words)
        .env("BC", bc)
        .current_dir(repo())
        .output()
    {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!("skipped: bash is not installed, so {BASH} was not exercised");
            return None;
        }
        Err(e) => panic!("cannot run bash: {e}"),
    };
    assert!(
        out.status.success(),
        "{BASH}: completing {words:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect(),
    )
}

#[test]
fn bash_completion_completes_commands_formats_and_check_ids() {
    let cli = cli();
    let ids = check_ids();
    // Without --spec, `list` reads this machine's spec, which may not be the
    // repository's; pass the repository's along so the ids to expect are known.
    let spec = repo().join("checks");
    let spec = spec.to_str().unwrap_or("checks");
    let mut variants = vec![false];
    if std::path::Path::new(BASH_BC).exists() {
        variants.push(true);
    } else {
        println!("note: {BASH_BC} is absent; only the plain-bash fallback was exercised");
    }
    for with_bc in variants {
        let set = |words: &[&str]| -> Option<BTreeSet<String>> {
            bash_complete(words, with_bc).map(|v| v.into_iter().collect())
        };
        let Some(formats) = set(&[bin(), "--format", ""]) else {
            return;
        };
        assert_eq!(
            formats, cli.formats,
            "{BASH} (bash-completion loaded: {with_bc}): `--format` completes to other values than --help lists"
        );
        let commands = set(&[bin(), ""]).unwrap_or_default();
        assert_eq!(
            commands, cli.commands,
            "{BASH} (bash-completion loaded: {with_bc}): the commands it offers differ from --help's"
        );
        let offered = set(&[bin(), "--spec", spec, "explain", ""]).unwrap_or_default();
        assert_eq!(
            offered, ids,
            "{BASH} (bash-completion loaded: {with_bc}): `explain` completes to other ids than `ha-preflight list` shows"
        );
        let options = set(&[bin(), "--"]).unwrap_or_default();
        // --root is for image only, so plain `--` does not offer it.
        for option in cli.long.iter().filter(|o| o.as_str() != "--root") {
            assert!(
                options.contains(option),
                "{BASH} (bash-completion loaded: {with_bc}): `--` does not offer {option} (offered: {options:?})"
            );
        }
        let image = set(&[bin(), "image", "--r"]).unwrap_or_default();
        assert!(
            image.contains("--root"),
            "{BASH} (bash-completion loaded: {with_bc}): `image --r` does not offer --root (offered: {image:?})"
        );
        // A fleet: after `--bundle F`, another bundle (a file here: the test runs in the
        // repository); once the command is named, nothing more.
        let fleet = set(&[bin(), "--bundle", "Cargo.toml", "Cargo.l"]).unwrap_or_default();
        assert!(
            fleet.contains("Cargo.lock"),
            "{BASH} (bash-completion loaded: {with_bc}): `--bundle F` does not offer a second bundle (offered: {fleet:?})"
        );
        let named = set(&[bin(), "--bundle", "Cargo.toml", "boot", "Cargo.l"]).unwrap_or_default();
        assert!(
            named.is_empty(),
            "{BASH} (bash-completion loaded: {with_bc}): `--bundle F boot` took boot for a bundle (offered: {named:?})"
        );
    }
}

/// The man page's DRBD verdicts cover every state the verdict table (src/drbd/judge.rs)
/// names, and quorum.
#[test]
fn man_page_gives_the_drbd_verdict_of_every_state() {
    let man = read(MAN);
    let section = man
        .split_once(".SH \"DRBD STATES\"")
        .and_then(|(_, rest)| rest.split(".SH ").next())
        .unwrap_or_else(|| panic!("{MAN} has no DRBD states section"));
    let missing: Vec<&str> = [
        "quorum",
        "Connected",
        "Established",
        "VerifyS",
        "VerifyT",
        "Ahead",
        "SyncSource",
        "PausedSyncS",
        "WFConnection",
        "Connecting",
        "SyncTarget",
        "PausedSyncT",
        "WFBitMapS",
        "WFSyncUUID",
        "StartingSyncS",
        "WFReportParams",
        "Unconnected",
        "Timeout",
        "BrokenPipe",
        "NetworkFailure",
        "TearDown",
        "Disconnecting",
        "ProtocolError",
        "Attaching",
        "Negotiating",
        "Detaching",
        "Consistent",
        "StandAlone",
        "Behind",
        "Diskless",
        "Failed",
        "Outdated",
        "Inconsistent",
        "ETA unknown",
    ]
    .into_iter()
    .filter(|state| !section.contains(state))
    .collect();
    assert!(missing.is_empty(), "{MAN}'s DRBD states lack {missing:?}");
}

/// The README (a newcomer's page) and the user guide the package ships name every
/// command and long option `--help` has, and give the exit codes as `--help` does,
/// `--fail-on` included.
#[test]
fn readme_and_guide_keep_up_with_help() {
    let cli = cli();
    let flat = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    let help = flat(&help());
    for doc in ["README.md", "doc/guide.md"] {
        let text = flat(&read(doc).replace('`', ""));
        if doc == "README.md" {
            let missing: Vec<&String> = cli
                .commands
                .iter()
                .chain(cli.long.iter())
                .filter(|w| !["--help", "--version"].contains(&w.as_str()))
                .filter(|w| !text.contains(w.as_str()))
                .collect();
            assert!(missing.is_empty(), "{doc} does not mention {missing:?}");
        }
        for words in [
            "--fail-on warning",
            "2 usage or spec error",
            "3 a check could not",
            "4 the report or bundle could not be written",
        ] {
            assert!(help.contains(words), "--help lacks {words:?}");
            assert!(
                text.contains(words),
                "{doc} lacks {words:?}, which --help says"
            );
        }
        assert!(
            text.contains("ha-unit.service.d/10-ha-preflight.conf"),
            "{doc} does not give the HA unit's drop-in route"
        );
    }
}

/// Every script the READMEs tell a reader to run (`bash bench/run.sh 100`, `bash
/// packaging/build-deb.sh`) is in the repository, under that name.
#[test]
fn the_scripts_the_readmes_name_exist() {
    let mut missing = Missing::default();
    for doc in ["README.md", "bench/README.md", "systemd/README.md"] {
        let text = read(doc);
        let words: Vec<&str> = text
            .split(|c: char| c.is_whitespace() || c == '`')
            .collect();
        let mut named = 0;
        for pair in words.windows(2).filter(|w| w[0] == "bash") {
            let script = pair[1].trim_end_matches([',', '.', ')', ';']);
            if script.ends_with(".sh") {
                named += 1;
                missing.check(repo().join(script).is_file(), || {
                    format!("{doc} says to run `bash {script}`, which is not in the repository")
                });
            }
        }
        missing.check(named > 0, || format!("{doc} names no script to run"));
    }
    missing.assert_none();
}

/// The man page's KINDS section names exactly the kinds of the table in src/kinds/mod.rs.
#[test]
fn man_page_names_every_kind_of_the_table() {
    let sections = man_sections();
    let kinds = section(&sections, "KINDS");
    let mut missing = Missing::default();
    for kind in ha_preflight::kinds::KINDS {
        missing.check(tagged(kinds, kind.name), || {
            format!(
                "{MAN}: kind `{}` (src/kinds/mod.rs, KINDS) has no .TP item in KINDS",
                kind.name
            )
        });
    }
    for tag in &kinds.tags {
        let name = tag.split_whitespace().next().unwrap_or_default();
        missing.check(ha_preflight::kinds::named(name).is_some(), || {
            format!("{MAN}: KINDS describes `{name}`, which the table does not have")
        });
    }
    missing.assert_none();
}

const CONTRACTS: &str = "doc/contracts.md";

/// The lines of doc/contracts.md's section `heading` ("## Commands"), up to the next.
fn contracts_section(heading: &str) -> Vec<String> {
    let text = read(CONTRACTS);
    let lines: Vec<String> = text
        .lines()
        .skip_while(|l| *l != heading)
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .map(String::from)
        .collect();
    assert!(!lines.is_empty(), "{CONTRACTS}: no '{heading}' section");
    lines
}

/// doc/contracts.md's catalog, "## The catalog shipped in checks/": one table row per
/// check, `| `id` | severity | modes | verifies |`, with the severity and modes `list`
/// prints. Every check `list` shows has exactly one row, and every row is such a check.
/// (The catalog once missed `sync-age`, and nothing noticed.)
#[test]
fn the_contracts_catalog_gives_every_check_as_list_prints_it() {
    let listed = listed();
    let catalog = contracts_section("## The catalog shipped in checks/");
    let mut missing = Missing::default();
    let mut rows: BTreeMap<String, usize> = BTreeMap::new();
    for row in catalog.iter().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let [_, id, severity, modes, _verifies, ..] = cells[..] else {
            missing.check(false, || {
                format!(
                    "{CONTRACTS}: catalog row {row:?} is not `| id | severity | modes | verifies |`"
                )
            });
            continue;
        };
        let id = id.trim_matches('`');
        *rows.entry(id.to_string()).or_default() += 1;
        let Some(check) = listed.get(id) else {
            missing.check(false, || {
                format!(
                    "{CONTRACTS}: the catalog lists `{id}`, which `ha-preflight list` does not show"
                )
            });
            continue;
        };
        let shown = Listed {
            severity: severity.to_string(),
            modes: modes.to_string(),
        };
        missing.check(&shown == check, || {
            format!(
                "{CONTRACTS}: the catalog gives `{id}` as {} / {}, `ha-preflight list` as {} / {}",
                shown.severity, shown.modes, check.severity, check.modes
            )
        });
    }
    for id in listed.keys() {
        let n = rows.get(id).copied().unwrap_or(0);
        missing.check(n == 1, || {
            format!(
                "{CONTRACTS}: check `{id}` (from `ha-preflight list`) has {n} catalog rows, not one"
            )
        });
    }
    missing.assert_none();
}

/// doc/contracts.md's option list (the lines of "## Commands" that start with an option)
/// names exactly the options `--help` shows, long and short.
#[test]
fn the_contracts_option_list_is_the_one_help_shows() {
    let cli = cli();
    let in_help: BTreeSet<&String> = cli.long.iter().chain(&cli.short).collect();
    let mut in_contracts = BTreeSet::new();
    for line in contracts_section("## Commands")
        .iter()
        .filter(|l| l.trim_start().starts_with('-'))
    {
        for word in line
            .split_whitespace()
            .take_while(|w| w.starts_with('-'))
            .map(|w| w.trim_end_matches(','))
        {
            in_contracts.insert(word.to_string());
        }
    }
    assert!(
        in_contracts.contains("--format"),
        "could not read the option list of {CONTRACTS}'s Commands section"
    );
    let mut missing = Missing::default();
    for option in &in_help {
        missing.check(in_contracts.contains(*option), || {
            format!("{CONTRACTS}: option `{option}` (from --help) is not in the option list")
        });
    }
    for option in &in_contracts {
        missing.check(in_help.contains(option), || {
            format!("{CONTRACTS}: the option list has `{option}`, which --help does not show")
        });
    }
    missing.assert_none();
}

/// The code's comments say why in their own words: a tracker number ("issue 12") means
/// nothing to a reader without the tracker, and goes stale when it moves.
#[test]
fn no_comment_in_src_cites_a_tracker_number() {
    fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("src").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("read");
                for (n, line) in text.lines().enumerate() {
                    let Some((_, comment)) = line.split_once("//") else {
                        continue;
                    };
                    let words: Vec<&str> = comment.split_whitespace().collect();
                    if words.windows(2).any(|w| {
                        w[0].trim_start_matches('(').eq_ignore_ascii_case("issue")
                            && w[1].starts_with(|c: char| c.is_ascii_digit())
                    }) {
                        out.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                    }
                }
            }
        }
    }
    let mut found = Vec::new();
    walk(&repo().join("src"), &mut found);
    assert!(found.is_empty(), "\n{}\n", found.join("\n"));
}
