//! `--format human`, for the person at the serial console: the root cause first, with the
//! chain from it to the symptoms, its evidence and the fix for its own case; then a line
//! for each check that did not pass, the passes as a count, and a last line that names
//! the root cause again.
//!
//! Prose wraps at 80 columns (at a terminal's width when it is narrower), wherever the
//! report goes. A command in a fix is never broken: one command a line, continued with
//! ` \` where it is long, and running past the width when a word of it is longer than a
//! line (`layout`). The one-line entries (the checks that did not pass, `-q`'s line, the
//! verdict) are cut only on a terminal, at its real width, and never inside the check's
//! id; in a pipe, a file or the journal every line is whole. A failing run fits an 80x24
//! screen, counted in the rows the terminal really shows: when it would not, the
//! evidence, the list and the count of passes shrink, then the other root causes are one
//! line each (cut on a terminal, after their id); the first root cause, its fix and the
//! verdict are never cut. `-v` shows everything, wrapped the same way. Colour only on a
//! terminal whose TERM is not `dumb`, and never when NO_COLOR is set (no-color.org).

use super::About;
use super::layout::{self, cut, wrap};
use crate::engine::{CheckResult, Run};
use crate::model::fix::{Fix, Part};
use crate::model::text::visible;
use crate::model::{FailOn, Mode, Status};
use crate::spec::Spec;
use std::io::IsTerminal;

/// The width prose wraps at.
pub const WIDTH: usize = 80;
/// The narrowest a terminal's width narrows the layout to: below it, the prefixes
/// (`  evidence: `) would leave no room for words.
const MIN_WIDTH: usize = 40;
/// The lines of an 80x24 screen a default (not -v) report may take: all but the one
/// the shell's prompt takes after it.
pub const HEIGHT: usize = 23;
/// Evidence lines the root cause shows when the screen has room.
const EVIDENCE: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

/// Where the report is shown: whether it may use colour, and the width of the terminal
/// it is on, if it is on one.
#[derive(Debug, Clone, Copy)]
pub struct Screen {
    pub color: bool,
    /// The terminal's columns when standard output is one: one-line entries are cut to
    /// it, and a line longer than it takes more than one row of the screen. None (a
    /// pipe, a file, the journal): nothing is cut, and a line is one line.
    pub columns: Option<usize>,
}

impl Screen {
    /// Standard output as it is: colour only on a terminal that can show it; its width
    /// when it is a terminal.
    pub fn of_stdout(to_file: bool) -> Screen {
        let term_ok = std::env::var("TERM").is_ok_and(|t| !t.is_empty() && t != "dumb");
        Screen {
            color: !to_file
                && term_ok
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal(),
            columns: if to_file {
                None
            } else {
                crate::world::terminal::stdout_columns()
            },
        }
    }

    /// No colour, no terminal (a file, a bundle's report).
    pub fn plain() -> Screen {
        Screen {
            color: false,
            columns: None,
        }
    }

    /// The width prose wraps at: 80 columns, or a narrower terminal's.
    fn width(&self) -> usize {
        self.columns.map_or(WIDTH, |c| c.clamp(MIN_WIDTH, WIDTH))
    }

    /// The rows `lines` take on this screen.
    fn rows(&self, lines: &[Line]) -> usize {
        lines
            .iter()
            .map(|l| layout::rows(&l.text, self.columns))
            .sum()
    }
}

/// One line of the report, and the part of it (a byte range) painted, if any.
#[derive(Clone)]
struct Line {
    text: String,
    paint: Option<(usize, usize, &'static str)>,
}

impl Line {
    fn plain(text: String) -> Line {
        Line { text, paint: None }
    }

    fn painted(text: String, len: usize, code: &'static str) -> Line {
        Line {
            paint: Some((0, len.min(text.len()), code)),
            text,
        }
    }

    /// The line as printed. Outside text was escaped where it entered (`layout`), so
    /// that the layout counts what is shown; escaping again here, around the painted
    /// part, is the last guard: nothing but the report's own colour codes and line ends
    /// reaches the terminal raw.
    fn show(&self, color: bool) -> String {
        let safe = |s: &str| visible(s, true);
        match self.paint {
            Some((from, to, code)) if color => format!(
                "{}\x1b[{code}m{}\x1b[0m{}",
                safe(&self.text[..from]),
                safe(&self.text[from..to]),
                safe(&self.text[to..])
            ),
            _ => safe(&self.text),
        }
    }
}

pub(super) fn status_word(s: Status) -> String {
    match s {
        Status::Fail | Status::Error => s.as_str().to_uppercase(),
        _ => s.as_str().to_string(),
    }
}

fn status_code(s: Status) -> &'static str {
    match s {
        Status::Pass => "32",
        Status::Warn => "33",
        Status::Fail | Status::Error => "1;31",
        Status::Wait => "36",
        Status::Skip | Status::Blocked => "2",
    }
}

/// The report. `fail_on` is the run's `--fail-on`: when it makes the exit code other
/// than the verdict's own (a warning that fails the run, a failure that does not), the
/// headline says so, so that the words on screen and the exit status agree.
pub fn render(
    run: &Run,
    spec: &Spec,
    mode: Mode,
    verbosity: Verbosity,
    screen: &Screen,
    about: &About,
    fail_on: FailOn,
) -> String {
    let roots = crate::engine::root_causes(run);
    let verdict = run.verdict.as_str().to_uppercase();
    let mut head = format!("ha-preflight {mode}: {verdict}");
    let code = super::exit_code(run, fail_on);
    if code != super::exit_code(run, FailOn::default()) {
        head.push_str(&format!(" (exit {code}: --fail-on {})", fail_on.name()));
    }
    let width = screen.width();

    if verbosity == Verbosity::Quiet {
        let (cause, keep) = match roots.first() {
            Some(r) => (
                format!(": {}: {}", r.check.id, r.outcome.summary),
                head.len() + 2 + r.check.id.len(),
            ),
            None => (String::new(), head.len()),
        };
        return one_line(&format!("{head}{cause}"), screen, keep) + "\n";
    }

    let mut top = vec![Line::painted(head.clone(), head.len(), "1")];
    if let Some(line) = about.line() {
        top.extend(wrap(&line, "", "  ", width).into_iter().map(Line::plain));
    }
    top.extend(overlay_lines(spec, mode, verbosity, width));
    let last = Line::plain(verdict_line(run, &roots, screen));
    let passed = run
        .results
        .iter()
        .filter(|r| r.status == Status::Pass)
        .count();

    if verbosity == Verbosity::Verbose {
        let mut lines = top;
        for (i, root) in roots.iter().enumerate() {
            lines.extend(root_block(
                run,
                root,
                i == 0 && roots.len() == 1,
                usize::MAX,
                width,
            ));
            lines.push(Line::plain(String::new()));
        }
        let id_width = id_width(run.results.iter());
        for r in &run.results {
            lines.push(result_line(r, id_width, None, width));
            for e in &r.outcome.evidence {
                let pad = " ".repeat(id_width + 13);
                lines.extend(
                    wrap(&e.text, &pad, &pad, width)
                        .into_iter()
                        .map(Line::plain),
                );
            }
        }
        lines.push(Line::plain(String::new()));
        lines.push(last);
        return finish(&lines, screen);
    }

    // The default view. Every check that did not pass and is not a root cause shown
    // above; skips last, so that when the screen is short it is skips that are cut:
    // those not applicable first, before the checks the operator turned off (--skip).
    let mut others: Vec<&CheckResult> = run
        .results
        .iter()
        .filter(|r| r.status != Status::Pass && !roots.iter().any(|root| std::ptr::eq(*root, *r)))
        .collect();
    crate::model::sort::sort_by_key(&mut others, |r| {
        (r.status == Status::Skip, !r.skipped_by_operator)
    });
    let id_width = id_width(others.iter().copied());
    let listed: Vec<Line> = others
        .iter()
        .map(|r| result_line(r, id_width, Some(screen), width))
        .collect();
    let passes = (passed > 0).then(|| {
        let word = if passed == 1 { "check" } else { "checks" };
        Line::plain(format!(
            "  {passed} {word} passed (-v lists them, with evidence)"
        ))
    });
    // The report in a shape: the evidence lines the first root cause shows, whether the
    // count of passes is shown, whether the other root causes are one line each, how
    // many of the list, and how many of the other root causes.
    let draw = |evidence: usize,
                with_passes: bool,
                short_roots: bool,
                shown: usize,
                roots_shown: usize| {
        let mut lines = top.clone();
        if let Some(first) = roots.first() {
            lines.extend(root_block(run, first, roots.len() == 1, evidence, width));
            for more in roots[1..].iter().take(roots_shown) {
                if short_roots {
                    lines.push(root_line(more, screen));
                } else {
                    lines.extend(root_head(more, false, width));
                }
            }
            let hidden = roots.len() - 1 - roots_shown.min(roots.len() - 1);
            if hidden > 0 {
                lines.push(Line::plain(format!(
                    "  ... and {hidden} more not passing (-v lists every check)"
                )));
            }
            lines.push(Line::plain(String::new()));
        }
        lines.extend(listed[..shown].iter().cloned());
        if shown < others.len() {
            let cut = &others[shown..];
            let skipped = cut.iter().filter(|r| r.status == Status::Skip).count();
            let what = if skipped == cut.len() {
                format!("{} more skipped", cut.len())
            } else {
                format!("{} more not passing", cut.len())
            };
            lines.push(Line::plain(format!(
                "  ... and {what} (-v lists every check)"
            )));
        }
        match &passes {
            Some(p) if with_passes => lines.push(p.clone()),
            // The count of passes left out, and nothing else between the blank after
            // the root causes and the one before the verdict: one blank will do.
            Some(_) if !roots.is_empty() && others.is_empty() => {
                lines.pop();
            }
            _ => {}
        }
        // One blank line before the verdict, also when nothing but a root cause (which
        // ends in one) came before it.
        if lines.last().is_some_and(|l| !l.text.is_empty()) {
            lines.push(Line::plain(String::new()));
        }
        lines.push(last.clone());
        lines
    };
    // Shrink until the report fits the screen: the root cause's evidence down to one
    // line, then the list (a line says how many more), then the count of passes goes
    // (the verdict's tally has it), then the other root causes are one line each, cut
    // to a terminal's width (never inside their id; in a pipe they stay whole), then
    // the evidence is a count, then the other root causes give way to a count too. The
    // first root cause, its fix and the verdict always stay whole.
    let all = usize::MAX;
    for evidence in (1..=EVIDENCE).rev() {
        let lines = draw(evidence, true, false, listed.len(), all);
        if screen.rows(&lines) <= HEIGHT {
            return finish(&lines, screen);
        }
    }
    let shapes = [
        (1, true, false),
        (1, false, false),
        (1, false, true),
        (0, false, true),
    ];
    for (evidence, with_passes, short_roots) in shapes {
        // As many of the list as fit, then a line that says how many more.
        let fit = (0..=listed.len()).rev().find(|&shown| {
            screen.rows(&draw(evidence, with_passes, short_roots, shown, all)) <= HEIGHT
        });
        if let Some(shown) = fit {
            return finish(
                &draw(evidence, with_passes, short_roots, shown, all),
                screen,
            );
        }
    }
    // Still too tall (many root causes under a long --root): of the other root causes
    // as many as fit, then a line that says how many more.
    let more_roots = roots.len().saturating_sub(1);
    for roots_shown in (0..more_roots).rev() {
        let lines = draw(0, false, true, 0, roots_shown);
        if screen.rows(&lines) <= HEIGHT {
            return finish(&lines, screen);
        }
    }
    finish(&draw(0, false, true, 0, 0), screen)
}

/// Another root cause in one line: `root cause: ID: summary`, cut on a terminal to its
/// width (never inside the id), whole anywhere else.
fn root_line(root: &CheckResult, screen: &Screen) -> Line {
    let label = label(root.status, false);
    let text = format!("{label}: {}: {}", root.check.id, root.outcome.summary);
    let keep = label.len() + 2 + root.check.id.len();
    Line::painted(one_line(&text, screen, keep), label.len() + 1, "1")
}

/// A line that is one line whatever its length: cut to the terminal's width on a
/// terminal, but never inside its first `keep` characters; whole anywhere else.
fn one_line(text: &str, screen: &Screen, keep: usize) -> String {
    match screen.columns {
        Some(columns) => cut(text, columns, keep),
        None => visible(text, false),
    }
}

/// What the spec's layers did to the checks of this mode, under the header: a check
/// replaced, changed or removed by a higher layer is never a silent difference. The
/// default view shows three such lines at most, `-v` every one.
fn overlay_lines(spec: &Spec, mode: Mode, verbosity: Verbosity, width: usize) -> Vec<Line> {
    const SHOWN: usize = 3;
    let notes: Vec<String> = spec.overlay_for(mode).map(|n| n.text()).collect();
    let cut = notes.len() > SHOWN && verbosity != Verbosity::Verbose;
    let mut lines = Vec::new();
    for text in notes.iter().take(if cut { SHOWN - 1 } else { notes.len() }) {
        let text = format!("spec: {text}");
        lines.extend(wrap(&text, "", "  ", width).into_iter().map(Line::plain));
    }
    if cut {
        lines.push(Line::plain(format!(
            "spec: and {} more changes by its layers (-v or `ha-preflight list` shows them)",
            notes.len() - (SHOWN - 1)
        )));
    }
    lines
}

fn finish(lines: &[Line], screen: &Screen) -> String {
    let mut out = String::new();
    for line in lines {
        out.push_str(&line.show(screen.color));
        out.push('\n');
    }
    out
}

fn label(status: Status, only: bool) -> &'static str {
    if only && status != Status::Warn {
        return "root cause";
    }
    match status {
        Status::Warn => "warning",
        Status::Wait => "waiting on",
        Status::Error => "could not check",
        _ => "root cause",
    }
}

/// `root cause: ID: summary`, wrapped: a root cause is never cut.
fn root_head(root: &CheckResult, only: bool, width: usize) -> Vec<Line> {
    let label = label(root.status, only);
    let head = format!("{label}: {}: {}", root.check.id, root.outcome.summary);
    wrap(&head, "", "  ", width)
        .into_iter()
        .enumerate()
        .map(|(i, text)| {
            if i == 0 {
                Line::painted(text, label.len() + 1, "1")
            } else {
                Line::plain(text)
            }
        })
        .collect()
}

/// The block for one root cause: what, what it leads to, evidence, the fix for its own
/// case, and where to read why it matters.
fn root_block(
    run: &Run,
    root: &CheckResult,
    only: bool,
    evidence: usize,
    width: usize,
) -> Vec<Line> {
    let check = root.check;
    let mut lines = root_head(root, only, width);
    let chain: Vec<String> = run
        .results
        .iter()
        .filter(|r| r.root_cause.is_some_and(|c| std::ptr::eq(c, check)))
        .map(|r| {
            let id = &r.check.id;
            if r.status == Status::Blocked {
                format!("{id} (blocked)")
            } else {
                id.clone()
            }
        })
        .collect();
    if !chain.is_empty() {
        let text = format!("{} -> {}", check.id, chain.join(" -> "));
        lines.extend(
            wrap(&text, "  leads to: ", "            ", width)
                .into_iter()
                .map(Line::plain),
        );
    }
    for e in root.outcome.evidence.iter().take(evidence) {
        lines.extend(
            wrap(&e.text, "  evidence: ", "            ", width)
                .into_iter()
                .map(Line::plain),
        );
    }
    if root.outcome.evidence.len() > evidence {
        let more = root.outcome.evidence.len() - evidence;
        lines.push(Line::plain(format!(
            "  ({more}{} line{} of evidence with -v)",
            if evidence == 0 { "" } else { " more" },
            if more == 1 { "" } else { "s" }
        )));
    }
    if let Some(fix) = &root.outcome.fix {
        lines.extend(fix_lines(fix, width).into_iter().map(Line::plain));
    }
    lines.push(Line::plain(format!(
        "  why it matters: ha-preflight explain {}",
        check.id
    )));
    lines
}

/// A fix, laid out: its prose reflowed under `fix:`, each command on a line of its own,
/// indented two more, and broken only as a shell still reads it whole
/// (`layout::command`); an inline `command` is never broken either.
fn fix_lines(fix: &str, width: usize) -> Vec<String> {
    const PROSE: &str = "       ";
    const COMMAND: &str = "         ";
    const CONTINUED: &str = "           ";
    let mut out = Vec::new();
    for (i, part) in Fix::parse(fix).parts.iter().enumerate() {
        let first = if i == 0 { "  fix: " } else { PROSE };
        match part {
            Part::Prose(text) => out.extend(layout::wrap_prose(text, first, PROSE, width)),
            Part::Command(cmd) => {
                let first = if i == 0 { first } else { COMMAND };
                out.extend(layout::command(cmd, first, CONTINUED, width));
            }
        }
    }
    out
}

fn id_width<'r, 'a: 'r>(results: impl Iterator<Item = &'r CheckResult<'a>>) -> usize {
    results.map(|r| r.check.id.len()).max().unwrap_or(0)
}

/// `  FAIL    lo-up        lo is down ...  [root cause: netrun-stale]`: one line in the
/// default view (`one_line`: cut to the terminal's width on a terminal, never inside
/// the id), wrapped under -v.
fn result_line(r: &CheckResult, id_width: usize, one_line: Option<&Screen>, width: usize) -> Line {
    let check = r.check;
    let word = format!("{:<7}", status_word(r.status));
    let mut rest = r.outcome.summary.clone();
    if let Some(root) = r.root_cause {
        rest.push_str(&format!(" [root cause: {}]", root.id));
    }
    let lead = format!("  {word} {:<id_width$}  ", check.id);
    let text = match one_line {
        Some(screen) => self::one_line(&format!("{lead}{rest}"), screen, lead.len()),
        None => {
            let pad = " ".repeat(lead.len().min(width / 2));
            wrap(&rest, &lead, &pad, width).join("\n")
        }
    };
    Line {
        paint: Some((2, 2 + word.trim_end().len(), status_code(r.status))),
        text,
    }
}

/// The last line: the verdict, the first root cause by id, the tally, the time; longer
/// than the layout's width, without the time, and then cut on a terminal to its width,
/// but never inside the root cause's id.
pub(super) fn verdict_line(run: &Run, roots: &[&CheckResult], screen: &Screen) -> String {
    let mut tally = Vec::new();
    for s in Status::TALLY {
        let n = run.results.iter().filter(|r| r.status == s).count();
        if n > 0 {
            tally.push(format!("{n} {}", s.as_str()));
        }
    }
    let cause = match roots.first() {
        Some(r) if run.verdict != Status::Pass => {
            let word = if r.status == Status::Error {
                "could not check"
            } else {
                "root cause"
            };
            format!(", {word} {}", r.check.id)
        }
        _ => String::new(),
    };
    let verdict = format!("verdict: {}{cause}", run.verdict.as_str());
    let line = format!("{verdict} ({})", tally.join(", "));
    // The time always shows: whole anywhere but on a terminal; there, in fewer words
    // when the line is long, then without the tally, and last with the line cut for it.
    let secs = run.duration.as_secs_f64();
    let times = if run.rounds > 1 {
        vec![
            format!(" after {secs:.1} s of waiting, {} rounds", run.rounds),
            format!(" after {secs:.1} s, {} rounds", run.rounds),
            format!(" after {secs:.1} s"),
        ]
    } else {
        vec![format!(" in {:.1} ms", super::millis(run.duration))]
    };
    let Some(columns) = screen.columns else {
        return format!("{line}{}", times[0]);
    };
    let width = columns.max(MIN_WIDTH);
    for time in &times {
        if layout::columns(&line) + layout::columns(time) <= width {
            return format!("{line}{time}");
        }
    }
    let time = times.last().map_or("", String::as_str);
    let room = width.saturating_sub(layout::columns(time));
    if layout::columns(&verdict) <= room {
        return format!("{verdict}{time}");
    }
    cut(&verdict, room, "verdict: ".len()) + time
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixes_keep_their_commands_on_lines_of_their_own() {
        let fix = "A real directory: remove it\nand link it,\n  rm -rf /x && ln -s /run/x /x\nthen rebuild.";
        let lines = fix_lines(fix, WIDTH);
        assert_eq!(lines[0], "  fix: A real directory: remove it and link it,");
        assert_eq!(lines[1], "         rm -rf /x && ln -s /run/x /x");
        assert_eq!(lines[2], "       then rebuild.");
    }

    #[test]
    fn a_long_command_is_continued_never_broken() {
        let root = "/builds/group/project/pipelines/1234567/appliance-image/rootfs";
        let fix = format!(
            "Empty it and remove the seeds:\n  : > {root}/etc/machine-id\n  rm -f {root}/var/lib/dbus/machine-id {root}/var/lib/systemd/random-seed\n(a link is fine)."
        );
        let lines = fix_lines(&fix, WIDTH);
        assert_eq!(
            lines,
            [
                "  fix: Empty it and remove the seeds:".to_string(),
                format!("         : > {root}/etc/machine-id"),
                format!("         rm -f {root}/var/lib/dbus/machine-id \\"),
                format!("           {root}/var/lib/systemd/random-seed"),
                "       (a link is fine).".to_string(),
            ]
        );
    }

    /// Every command in a shipped check's fix is a whole shell command: what the report
    /// keeps on its lines is worth pasting. `sh -n` only reads, it runs nothing.
    #[test]
    fn every_shipped_fix_command_parses_as_a_shell_command() {
        let spec = crate::spec::built_in().expect("the built-in spec loads");
        let mut seen = 0;
        for check in &spec.checks {
            for cmd in Fix::parse(&check.fix).commands() {
                seen += 1;
                let out = std::process::Command::new("sh")
                    .args(["-n", "-c", &cmd])
                    .output()
                    .expect("sh runs");
                assert!(
                    out.status.success(),
                    "{}: `{cmd}`: {}",
                    check.id,
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
        assert!(seen > 20, "only {seen} commands in the shipped fixes");
    }

    #[test]
    fn a_narrow_terminal_narrows_the_layout_a_wide_one_does_not_widen_it() {
        let at = |columns| Screen {
            color: false,
            columns,
        };
        assert_eq!(at(None).width(), 80);
        assert_eq!(at(Some(132)).width(), 80);
        assert_eq!(at(Some(60)).width(), 60);
        assert_eq!(at(Some(10)).width(), MIN_WIDTH);
    }

    /// A spec of one check, `id`, of `severity`.
    fn one_check(id: &str, severity: &str) -> Spec {
        let toml = format!(
            "[[check]]\nid = \"{id}\"\nkind = \"interface\"\nmodes = [\"boot\"]\n\
             severity = \"{severity}\"\nname = \"lo\"\nwhy = \"w\"\nfix = \"f\"\n"
        );
        crate::spec::parse_text(std::path::Path::new("t.toml"), &toml).expect("a spec")
    }

    /// Its one result, `status`, as a run of `rounds` over `secs` seconds.
    fn run_of(spec: &Spec, status: Status, rounds: u32, secs: f64) -> Run<'_> {
        let result = CheckResult {
            check: &spec.checks[0],
            status,
            outcome: crate::model::Outcome::fail("lo is down").fix("ip link set lo up"),
            root_cause: None,
            blocked_by: None,
            duration: std::time::Duration::ZERO,
            skipped_by_operator: false,
        };
        Run {
            results: vec![result],
            verdict: status,
            duration: std::time::Duration::from_secs_f64(secs),
            rounds,
        }
    }

    /// Many root causes under a long path, on an 80x24 terminal: the first root cause,
    /// its fix and the verdict whole, the other root causes given way to a count, and
    /// the whole in 23 rows (one left for the prompt).
    #[test]
    fn many_root_causes_still_fit_the_screen() {
        let long = format!("/builds/{}/rootfs", "x".repeat(80));
        let toml: String = (0..9)
            .map(|i| {
                format!(
                    "[[check]]\nid = \"c{i}\"\nkind = \"interface\"\nmodes = [\"boot\"]\n\
                     severity = \"critical\"\nname = \"lo\"\nwhy = \"w\"\nfix = \"f\"\n"
                )
            })
            .collect();
        let spec = crate::spec::parse_text(std::path::Path::new("t.toml"), &toml).expect("a spec");
        let fix =
            format!("Remove them:\n\n    rm -f {long}/a {long}/b {long}/c\n    : > {long}/d\n");
        let results = spec
            .checks
            .iter()
            .map(|check| CheckResult {
                check,
                status: Status::Fail,
                outcome: crate::model::Outcome::fail(format!("{long}/etc/x is wrong"))
                    .fix(fix.clone()),
                root_cause: None,
                blocked_by: None,
                duration: std::time::Duration::ZERO,
                skipped_by_operator: false,
            })
            .collect();
        let run = Run {
            results,
            verdict: Status::Fail,
            duration: std::time::Duration::from_millis(3),
            rounds: 1,
        };
        let screen = Screen {
            color: false,
            columns: Some(WIDTH),
        };
        let text = render(
            &run,
            &spec,
            Mode::Boot,
            Verbosity::Normal,
            &screen,
            &About::Here,
            FailOn::Error,
        );
        let rows: usize = text
            .lines()
            .map(|l| l.chars().count().div_ceil(WIDTH).max(1))
            .sum();
        assert!(rows <= HEIGHT, "{rows} rows:\n{text}");
        assert!(
            text.starts_with("ha-preflight boot: FAIL\nroot cause: c0:"),
            "{text}"
        );
        assert!(
            text.contains("more not passing (-v lists every check)"),
            "{text}"
        );
        assert!(text.contains(&format!("rm -f {long}/a")), "{text}");
        assert!(
            text.lines()
                .last()
                .is_some_and(|l| l.starts_with("verdict: fail")),
            "{text}"
        );
    }

    fn shown(run: &Run, spec: &Spec, fail_on: FailOn) -> String {
        render(
            run,
            spec,
            Mode::Boot,
            Verbosity::Normal,
            &Screen::plain(),
            &About::Here,
            fail_on,
        )
    }

    #[test]
    fn a_root_cause_alone_has_one_blank_line_before_the_verdict() {
        let spec = one_check("lo-up", "critical");
        let text = shown(&run_of(&spec, Status::Fail, 1, 0.01), &spec, FailOn::Error);
        assert!(!text.contains("\n\n\n"), "{text}");
        assert!(
            text.ends_with(
                "explain lo-up\n\nverdict: fail, root cause lo-up (1 fail) in 10.0 ms\n"
            ),
            "{text}"
        );
    }

    /// The report on an 80-column terminal (in a pipe nothing is cut).
    fn on_80_columns(run: &Run, spec: &Spec) -> String {
        let screen = Screen {
            color: false,
            columns: Some(WIDTH),
        };
        render(
            run,
            spec,
            Mode::Boot,
            Verbosity::Normal,
            &screen,
            &About::Here,
            FailOn::Error,
        )
    }

    #[test]
    fn the_verdict_keeps_its_time_when_the_line_is_long() {
        let spec = one_check("drbd-consistent-on-the-replication-link", "critical");
        let run = run_of(&spec, Status::Wait, 12, 300.04);
        // In a pipe, whole.
        let text = shown(&run, &spec, FailOn::Error);
        let last = text.lines().last().unwrap_or_default();
        assert_eq!(
            last,
            "verdict: wait, root cause drbd-consistent-on-the-replication-link (1 wait) after \
             300.0 s of waiting, 12 rounds"
        );
        // On 80 columns, the time in fewer words.
        let text = on_80_columns(&run, &spec);
        let last = text.lines().last().unwrap_or_default();
        assert_eq!(
            last,
            "verdict: wait, root cause drbd-consistent-on-the-replication-link after 300.0 s"
        );
        let spec = one_check("lo-up", "critical");
        let text = shown(
            &run_of(&spec, Status::Wait, 12, 300.04),
            &spec,
            FailOn::Error,
        );
        assert!(
            text.ends_with(
                "verdict: wait, root cause lo-up (1 wait) after 300.0 s of waiting, 12 rounds\n"
            ),
            "{text}"
        );
        // Longer than any line: the id is cut, and the time stays.
        let spec = one_check(&"x".repeat(90), "critical");
        let text = on_80_columns(&run_of(&spec, Status::Fail, 1, 0.5), &spec);
        let last = text.lines().last().unwrap_or_default();
        assert!(last.ends_with("... in 500.0 ms"), "{last}");
        assert!(last.chars().count() <= WIDTH, "{last}");
    }

    #[test]
    fn the_headline_says_when_fail_on_decides_the_exit() {
        let spec = one_check("spare-link", "warning");
        let run = run_of(&spec, Status::Warn, 1, 0.01);
        let head = |fail_on| shown(&run, &spec, fail_on).lines().next().map(String::from);
        assert_eq!(
            head(FailOn::Error).as_deref(),
            Some("ha-preflight boot: WARN")
        );
        assert_eq!(
            head(FailOn::Warning).as_deref(),
            Some("ha-preflight boot: WARN (exit 1: --fail-on warning)")
        );
        let spec = one_check("lo-up", "critical");
        let run = run_of(&spec, Status::Fail, 1, 0.01);
        assert_eq!(
            shown(&run, &spec, FailOn::None).lines().next(),
            Some("ha-preflight boot: FAIL (exit 0: --fail-on none)")
        );
        let quiet = render(
            &run,
            &spec,
            Mode::Boot,
            Verbosity::Quiet,
            &Screen::plain(),
            &About::Here,
            FailOn::None,
        );
        assert!(
            quiet.starts_with("ha-preflight boot: FAIL (exit 0: --fail-on none): lo-up"),
            "{quiet}"
        );
    }
}
