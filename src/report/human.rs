//! `--format human`, for the person at the serial console: the root cause first, with the
//! chain from it to the symptoms, its evidence and the fix for its own case; then a line
//! for each check that did not pass, the passes as a count, and a last line that names
//! the root cause again.
//!
//! Every line fits 80 columns, wherever the report goes (a terminal, a serial console,
//! the journal), and a failing run fits an 80x24 screen: when it would not, the evidence
//! and the list shrink, never the root cause or the verdict. `-v` shows everything, still
//! wrapped at 80. Colour only on a terminal whose TERM is not `dumb`, and never when
//! NO_COLOR is set (no-color.org).

use super::About;
use crate::engine::{CheckResult, Run};
use crate::model::text::visible;
use crate::model::{FailOn, Mode, Status};
use crate::spec::Spec;
use std::io::IsTerminal;

/// The width every line keeps to.
pub const WIDTH: usize = 80;
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

/// Where the report is shown: whether it may use colour.
#[derive(Debug, Clone, Copy)]
pub struct Screen {
    pub color: bool,
}

impl Screen {
    /// Standard output as it is: colour only on a terminal that can show it.
    pub fn of_stdout(to_file: bool) -> Screen {
        let term_ok = std::env::var("TERM").is_ok_and(|t| !t.is_empty() && t != "dumb");
        Screen {
            color: !to_file
                && term_ok
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal(),
        }
    }

    /// No colour (a file, a bundle's report).
    pub fn plain() -> Screen {
        Screen { color: false }
    }
}

/// One line of the report, and the part of it (a byte range) painted, if any.
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

    /// The line as printed. Outside text was escaped where it entered (`wrap`,
    /// `truncate`), so that the layout counts what is shown; escaping again here, around
    /// the painted part, is the last guard: nothing but the report's own colour codes
    /// and line ends reaches the terminal raw.
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

fn status_word(s: Status) -> String {
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

    if verbosity == Verbosity::Quiet {
        let cause = roots
            .first()
            .map(|r| format!(": {}: {}", r.check.id, r.outcome.summary))
            .unwrap_or_default();
        return truncate(&format!("{head}{cause}"), WIDTH) + "\n";
    }

    let mut top = vec![Line::painted(head.clone(), head.len(), "1")];
    if let Some(line) = about.line() {
        top.extend(wrap(&line, "", "  ", WIDTH).into_iter().map(Line::plain));
    }
    top.extend(overlay_lines(spec, mode, verbosity));
    let last = verdict_line(run, &roots);
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
            ));
            lines.push(Line::plain(String::new()));
        }
        let width = id_width(run.results.iter());
        for r in &run.results {
            lines.push(result_line(r, width, false));
            for e in &r.outcome.evidence {
                let pad = " ".repeat(width + 13);
                lines.extend(
                    wrap(&e.text, &pad, &pad, WIDTH)
                        .into_iter()
                        .map(Line::plain),
                );
            }
        }
        lines.push(Line::plain(String::new()));
        lines.push(Line::plain(last));
        return finish(&lines, screen);
    }

    // The default view: shrink the root cause's evidence, then the list, until the
    // report fits the screen; the first root cause and the verdict always stay.
    // Every check that did not pass and is not a root cause shown above; skips last,
    // so that when the screen is short it is skips that are cut: those not applicable
    // first, before the checks the operator turned off (--skip).
    let mut others: Vec<&CheckResult> = run
        .results
        .iter()
        .filter(|r| r.status != Status::Pass && !roots.iter().any(|root| std::ptr::eq(*root, *r)))
        .collect();
    crate::model::sort::sort_by_key(&mut others, |r| {
        (r.status == Status::Skip, !r.skipped_by_operator)
    });
    let width = id_width(others.iter().copied());
    let mut evidence = EVIDENCE;
    loop {
        let mut lines: Vec<Line> = top
            .iter()
            .map(|l| Line {
                text: l.text.clone(),
                paint: l.paint,
            })
            .collect();
        if let Some(first) = roots.first() {
            lines.extend(root_block(run, first, roots.len() == 1, evidence));
            for more in &roots[1..] {
                let label = label(more.status, false);
                let text = format!("{label}: {}: {}", more.check.id, more.outcome.summary);
                lines.push(Line::painted(truncate(&text, WIDTH), label.len() + 1, "1"));
            }
            lines.push(Line::plain(String::new()));
        }
        let tail = 3; // the passes line, a blank, the verdict
        let room = HEIGHT.saturating_sub(lines.len() + tail);
        let fits = others.len() <= room;
        if !fits && evidence > 1 {
            evidence -= 1;
            continue;
        }
        let shown = if fits {
            others.len()
        } else {
            room.saturating_sub(1)
        };
        for r in &others[..shown] {
            lines.push(result_line(r, width, true));
        }
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
        if passed > 0 {
            let word = if passed == 1 { "check" } else { "checks" };
            lines.push(Line::plain(format!(
                "  {passed} {word} passed (-v lists them, with evidence)"
            )));
        }
        // One blank line before the verdict, also when nothing but a root cause (which
        // ends in one) came before it.
        if lines.last().is_some_and(|l| !l.text.is_empty()) {
            lines.push(Line::plain(String::new()));
        }
        lines.push(Line::plain(last));
        return finish(&lines, screen);
    }
}

/// What the spec's layers did to the checks of this mode, under the header: a check
/// replaced, changed or removed by a higher layer is never a silent difference. The
/// default view shows three such lines at most, `-v` every one.
fn overlay_lines(spec: &Spec, mode: Mode, verbosity: Verbosity) -> Vec<Line> {
    const SHOWN: usize = 3;
    let notes: Vec<String> = spec.overlay_for(mode).map(|n| n.text()).collect();
    let cut = notes.len() > SHOWN && verbosity != Verbosity::Verbose;
    let mut lines = Vec::new();
    for text in notes.iter().take(if cut { SHOWN - 1 } else { notes.len() }) {
        let text = format!("spec: {text}");
        lines.extend(wrap(&text, "", "  ", WIDTH).into_iter().map(Line::plain));
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

/// The block for one root cause: what, what it leads to, evidence, the fix for its own
/// case, and where to read why it matters.
fn root_block(run: &Run, root: &CheckResult, only: bool, evidence: usize) -> Vec<Line> {
    let check = root.check;
    let label = label(root.status, only);
    let mut lines: Vec<Line> = Vec::new();
    let head = format!("{label}: {}: {}", check.id, root.outcome.summary);
    for (i, text) in wrap(&head, "", "  ", WIDTH).into_iter().enumerate() {
        lines.push(if i == 0 {
            Line::painted(text, label.len() + 1, "1")
        } else {
            Line::plain(text)
        });
    }
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
            wrap(&text, "  leads to: ", "            ", WIDTH)
                .into_iter()
                .map(Line::plain),
        );
    }
    for e in root.outcome.evidence.iter().take(evidence) {
        lines.extend(
            wrap(&e.text, "  evidence: ", "            ", WIDTH)
                .into_iter()
                .map(Line::plain),
        );
    }
    if root.outcome.evidence.len() > evidence {
        let more = root.outcome.evidence.len() - evidence;
        lines.push(Line::plain(format!(
            "  ({more} more line{} of evidence with -v)",
            if more == 1 { "" } else { "s" }
        )));
    }
    if let Some(fix) = &root.outcome.fix {
        lines.extend(fix_lines(fix).into_iter().map(Line::plain));
    }
    lines.push(Line::plain(format!(
        "  why it matters: ha-preflight explain {}",
        check.id
    )));
    lines
}

/// A fix text, reflowed: source lines join into paragraphs, but an indented line (a
/// command to paste) stays a line of its own.
fn fix_lines(fix: &str) -> Vec<String> {
    let mut paragraphs: Vec<(bool, String)> = Vec::new();
    for raw in fix.lines() {
        let code = raw.starts_with(' ') || raw.starts_with('\t');
        let text = raw.trim();
        if text.is_empty() {
            continue;
        }
        match paragraphs.last_mut() {
            Some((false, para)) if !code => {
                para.push(' ');
                para.push_str(text);
            }
            _ => paragraphs.push((code, text.to_string())),
        }
    }
    let mut out = Vec::new();
    for (i, (code, para)) in paragraphs.iter().enumerate() {
        let first = if i == 0 { "  fix: " } else { "       " };
        let rest = if *code { "         " } else { "       " };
        let first = if *code && i > 0 { "         " } else { first };
        out.extend(wrap(para, first, rest, WIDTH));
    }
    out
}

fn id_width<'r, 'a: 'r>(results: impl Iterator<Item = &'r CheckResult<'a>>) -> usize {
    results.map(|r| r.check.id.len()).max().unwrap_or(0)
}

/// `  FAIL    lo-up        lo is down ...  [root cause: netrun-stale]`, one line (cut to
/// the width) in the default view, wrapped under -v.
fn result_line(r: &CheckResult, width: usize, one_line: bool) -> Line {
    let check = r.check;
    let word = format!("{:<7}", status_word(r.status));
    let mut rest = r.outcome.summary.clone();
    if let Some(root) = r.root_cause {
        rest.push_str(&format!(" [root cause: {}]", root.id));
    }
    let lead = format!("  {word} {:<width$}  ", check.id);
    let text = if one_line {
        truncate(&format!("{lead}{rest}"), WIDTH)
    } else {
        let pad = " ".repeat(lead.len().min(WIDTH / 2));
        wrap(&rest, &lead, &pad, WIDTH).join("\n")
    };
    Line {
        paint: Some((2, 2 + word.trim_end().len(), status_code(r.status))),
        text,
    }
}

/// The last line: the verdict, the first root cause by id, the tally; cut to fit.
fn verdict_line(run: &Run, roots: &[&CheckResult]) -> String {
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
    let line = format!(
        "verdict: {}{cause} ({})",
        run.verdict.as_str(),
        tally.join(", ")
    );
    // The time always shows: in fewer words when the line is long, then without the
    // tally, and last with the line cut for it.
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
    for time in &times {
        if line.chars().count() + time.chars().count() <= WIDTH {
            return format!("{line}{time}");
        }
    }
    let time = times.last().map_or("", String::as_str);
    let line = format!("verdict: {}{cause}", run.verdict.as_str());
    truncate(&line, WIDTH.saturating_sub(time.chars().count())) + time
}

/// Cuts a line to `width` characters, ending in "..." when cut (plain ASCII: a serial
/// console may not show an ellipsis). Control characters are escaped first
/// (`text::visible`): the width is that of what the terminal shows.
pub fn truncate(text: &str, width: usize) -> String {
    let text = visible(text, false);
    if text.chars().count() <= width {
        return text;
    }
    let kept: String = text.chars().take(width.saturating_sub(3)).collect();
    format!("{}...", kept.trim_end())
}

/// Wraps `text` at spaces to `width` columns: the first line after `first`, the others
/// after `rest`. A word longer than a line is cut where the line ends. Control
/// characters in `text` are escaped first, as in `truncate`.
pub fn wrap(text: &str, first: &str, rest: &str, width: usize) -> Vec<String> {
    let text = visible(text, false);
    let mut lines = Vec::new();
    let mut line = first.to_string();
    let mut fresh = true; // nothing but the prefix on the line yet
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let used = line.chars().count();
            let gap = usize::from(!fresh);
            if used + gap + word.len() <= width {
                if !fresh {
                    line.push(' ');
                }
                line.extend(word.iter());
                fresh = false;
                break;
            }
            if fresh {
                // Longer than a whole line: cut it.
                let take = width.saturating_sub(used).max(1);
                let (head, tail) = word.split_at(take.min(word.len()));
                line.extend(head.iter());
                lines.push(std::mem::replace(&mut line, rest.to_string()));
                word = tail.to_vec();
                if word.is_empty() {
                    break;
                }
                continue;
            }
            lines.push(std::mem::replace(&mut line, rest.to_string()));
            fresh = true;
        }
    }
    if !fresh || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_spaces_and_cuts_long_words() {
        let lines = wrap("aaa bbb ccc", "> ", "  ", 9);
        assert_eq!(lines, ["> aaa bbb", "  ccc"]);
        let lines = wrap(&"x".repeat(25), "", "", 10);
        assert_eq!(lines, ["x".repeat(10), "x".repeat(10), "x".repeat(5)]);
        for l in wrap(&"word ".repeat(100), "  evidence: ", "            ", WIDTH) {
            assert!(l.chars().count() <= WIDTH, "{l}");
        }
    }

    #[test]
    fn fixes_keep_their_commands_on_lines_of_their_own() {
        let fix = "A real directory: remove it\nand link it,\n  rm -rf /x && ln -s /run/x /x\nthen rebuild.";
        let lines = fix_lines(fix);
        assert_eq!(lines[0], "  fix: A real directory: remove it and link it,");
        assert_eq!(lines[1], "         rm -rf /x && ln -s /run/x /x");
        assert_eq!(lines[2], "       then rebuild.");
    }

    #[test]
    fn truncation_is_plain_ascii() {
        assert_eq!(truncate("abcdef", 5), "ab...");
        assert_eq!(truncate("abc", 5), "abc");
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

    #[test]
    fn the_verdict_keeps_its_time_when_the_line_is_long() {
        let spec = one_check("drbd-consistent-on-the-replication-link", "critical");
        let run = run_of(&spec, Status::Wait, 12, 300.04);
        let text = shown(&run, &spec, FailOn::Error);
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
        let text = shown(&run_of(&spec, Status::Fail, 1, 0.5), &spec, FailOn::Error);
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
