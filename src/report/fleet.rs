//! A fleet of bundles (`engine::fleet`) in words and as data: one line per box, then each
//! pair's chain, the notes and the fleet's verdict. Every host, time and path is the
//! bundle's own: escaped for the terminal (`layout::wrap`), kept whole in JSON. (Its
//! functions are kept out of line: inlined into their one caller they took more room.)

use super::human::{WIDTH, status_word};
use super::layout::wrap;
use crate::engine::fleet::Fleet;
use crate::model::{FailOn, Status};
use serde::Serialize;

#[inline(never)]
/// The report in words; `quiet`: its last line alone, the fleet's verdict.
pub fn human(f: &Fleet, quiet: bool) -> String {
    let mut lines = vec![format!("ha-preflight fleet: {}", status_word(f.verdict))];
    for b in &f.boxes {
        let mut line = format!("{}, taken {}: {}", b.host, b.taken, status_word(b.verdict));
        if !b.root_causes.is_empty() {
            line = line + ", root cause " + &b.root_causes.join(", ");
        }
        lines.push(line + " (" + &b.path + ")");
    }
    for p in &f.pairs {
        let cause = if p.status == Status::Fail {
            "root cause "
        } else {
            ""
        };
        lines.push(format!(
            "pair {} <- {}: {}, {cause}{}: {}",
            p.leader,
            p.replica,
            status_word(p.status),
            p.finding,
            p.detail
        ));
    }
    for n in &f.notes {
        lines.push(format!("note: {n}"));
    }
    let mut last = format!("fleet verdict: {}", f.verdict.as_str());
    if let Some((cause, of)) = &f.root_cause {
        last += &format!(", root cause {cause} ({of})");
    }
    if quiet {
        lines.clear();
    }
    lines.push(last);
    let mut out = String::new();
    for line in lines {
        for l in wrap(&line, "", "  ", WIDTH) {
            out += &l;
            out.push('\n');
        }
    }
    out
}

#[derive(Serialize)]
struct FleetJson<'a> {
    boxes: Vec<BoxJson<'a>>,
    pairs: Vec<PairJson<'a>>,
    notes: &'a [String],
    verdict: Status,
    root_cause: Option<CauseJson<'a>>,
}

#[derive(Serialize)]
struct BoxJson<'a> {
    path: &'a str,
    host: &'a str,
    taken: &'a str,
    taken_at: i64,
    verdict: Status,
    root_causes: &'a [String],
}

#[derive(Serialize)]
struct PairJson<'a> {
    leader: &'a str,
    replica: &'a str,
    finding: &'a str,
    status: Status,
    detail: &'a str,
}

#[derive(Serialize)]
struct CauseJson<'a> {
    id: &'a str,
    of: &'a str,
}

/// `--format json`, as doc/contracts.md shows it; made inert for a terminal as a single
/// run's report is.
#[inline(never)]
pub fn json(f: &Fleet) -> String {
    let fleet = FleetJson {
        boxes: f
            .boxes
            .iter()
            .map(|b| BoxJson {
                path: &b.path,
                host: &b.host,
                taken: &b.taken,
                taken_at: b.taken_at,
                verdict: b.verdict,
                root_causes: &b.root_causes,
            })
            .collect(),
        pairs: f
            .pairs
            .iter()
            .map(|p| PairJson {
                leader: &p.leader,
                replica: &p.replica,
                finding: p.finding,
                status: p.status,
                detail: &p.detail,
            })
            .collect(),
        notes: &f.notes,
        verdict: f.verdict,
        root_cause: f.root_cause.as_ref().map(|(id, of)| CauseJson { id, of }),
    };
    // Plain structs of strings and numbers cannot fail to serialize; should they ever,
    // the report says so rather than printing nothing.
    super::json::inert(
        serde_json::to_string_pretty(&fleet).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")),
    ) + "\n"
}

/// A single replay's exit code, of the worst of the boxes' replays and the pairs.
pub fn exit_code(f: &Fleet, fail_on: FailOn) -> i32 {
    let codes = || f.boxes.iter().map(|b| b.code);
    if codes().any(|c| c == 1) || f.pairs.iter().any(|p| fail_on.fails(p.status)) {
        1
    } else if codes().any(|c| c == super::COULD_NOT_CHECK) {
        super::COULD_NOT_CHECK
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::fleet::{Member, Pair};

    #[test]
    fn each_box_and_pair_one_line_escaped() {
        let member = |host: &str, verdict, causes: &[&str]| Member {
            path: format!("/b/{host}.tar"),
            host: host.into(),
            taken: "2026-12-06 20:56:49 UTC".into(),
            taken_at: 0,
            verdict,
            root_causes: causes.iter().map(|c| c.to_string()).collect(),
            code: 0,
            addrs: Vec::new(),
            seat: None,
        };
        let f = Fleet {
            boxes: vec![
                member("b\x1b]0;x\x07", Status::Error, &["peer-sequence"]),
                member("a", Status::Pass, &[]),
            ],
            pairs: vec![Pair {
                leader: "a".into(),
                replica: "b".into(),
                finding: "replica-ahead",
                status: Status::Fail,
                detail: "b: ahead".into(),
            }],
            notes: vec!["c: leader 10.0.0.9: no bundle given".into()],
            verdict: Status::Fail,
            root_cause: Some(("replica-ahead".into(), "pair a <- b".into())),
        };
        assert_eq!(
            human(&f, false),
            "ha-preflight fleet: FAIL\n\
             b\\x1b]0;x\\x07, taken 2026-12-06 20:56:49 UTC: ERROR, root cause peer-sequence\n  \
             (/b/b\\x1b]0;x\\x07.tar)\n\
             a, taken 2026-12-06 20:56:49 UTC: pass (/b/a.tar)\n\
             pair a <- b: FAIL, root cause replica-ahead: b: ahead\n\
             note: c: leader 10.0.0.9: no bundle given\n\
             fleet verdict: fail, root cause replica-ahead (pair a <- b)\n"
        );
        assert_eq!(
            human(&f, true),
            "fleet verdict: fail, root cause replica-ahead (pair a <- b)\n"
        );
        let data: serde_json::Value = serde_json::from_str(&json(&f)).unwrap();
        assert_eq!(data["boxes"][0]["host"], "b\x1b]0;x\x07");
        assert_eq!(data["boxes"][0]["root_causes"][0], "peer-sequence");
        assert_eq!(data["pairs"][0]["finding"], "replica-ahead");
        assert_eq!(data["verdict"], "fail");
        assert_eq!(data["root_cause"]["id"], "replica-ahead");
        assert_eq!(data["root_cause"]["of"], "pair a <- b");
        assert!(data["boxes"][0].get("code").is_none());
        assert_eq!(exit_code(&f, FailOn::Error), 1);
        // Every character a JSON string must escape, and those a terminal would obey.
        let nasty = "q\"b\\s\n\x01\x7f\u{9b}\u{202e}é";
        let g = Fleet {
            notes: vec![nasty.into()],
            root_cause: None,
            pairs: vec![],
            boxes: vec![],
            ..f
        };
        let text = json(&g);
        assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text}");
        let data: serde_json::Value = serde_json::from_str(&text).expect(&text);
        assert_eq!(data["notes"][0], nasty);
        assert_eq!(data["root_cause"], serde_json::Value::Null);
        assert_eq!(data["boxes"], serde_json::json!([]));
    }
}
