//! Kind `drbd`: every configured DRBD volume is in a state HA may start on.
//!
//! drbd-consistent uses it. In the incident (doc/incident.md) a boot waited forever "for DRBD to become
//! consistent" on a node that was not in a cluster: here a node with no DRBD is `skip` at
//! once, a resync is `wait` (with progress, re-checked under `--wait`), and a split brain
//! fails at once. Sources:
//! - `proc` (default): /proc/drbd; for DRBD 9, whose /proc/drbd holds only the version,
//!   `drbdsetup status --json` (or `events2 --now`), run only when /proc/drbd exists
//!   (drbdsetup would otherwise try to load the module) and killed at the deadline;
//! - `xmlrpc`: ask xcbdaemon (the reply is /proc/drbd text, or a struct of resource ->
//!   {cs, ro, ds, done, eta, quorum}); the shipped spec would then require xcbdaemon-rpc.
//!
//! The room holds the whole path from text to words: the parsers of every DRBD output
//! (`proc`: /proc/drbd of 8.0 to 8.4 and 9.3's compatible lines; `json`: `drbdsetup
//! status --json`; `events2`: `drbdsetup events2 --now`; `config`: resource names from
//! drbd.conf, to tell "no DRBD" from "DRBD not loaded"), the one model they produce
//! (`volume`), the pure verdict per volume (`judge`), and here, gathering and wording.

pub mod config;
pub mod events2;
pub mod json;
pub mod judge;
pub mod proc;
mod volume;

pub use volume::{Eta, ParseError, Progress, Volume, parse_error};

use super::{BOOT, Context, Evaluate, KindDef, LOCAL, boxed};
use crate::config::{Params, SpecError};
use crate::model::{Finding, Outcome, and_more};
use crate::world::DoorError;
use crate::world::command::CommandError;
use crate::world::root::Root;
use crate::world::xmlrpc::{self as rpc, Endpoint};
use judge::{Policy, Verdict, judge};
use std::path::{Path, PathBuf};

/// What the spec loader knows of this kind; [`super::KINDS`] lists it.
pub const DEF: KindDef = KindDef {
    name: "drbd",
    modes: BOOT,
    default_timeout: LOCAL,
    waits: true,
    params: PARAMS,
    parse: |p| Drbd::parse(p).map(boxed),
};

pub const PARAMS: &[&str] = &[
    "source",
    "config",
    "drbdsetup",
    "drbdsetup_output",
    "degraded",
    "sync_source",
    "kernel_log",
    "url",
    "method",
    "reply",
];

const MAX_PROC_BYTES: usize = 1 << 20;
const MAX_TOOL_OUTPUT: usize = 4 << 20;
const MAX_LOG_TAIL: usize = 1 << 20;

/// Where the volumes' state is read from (`source`): /proc/drbd, or an xcbdaemon method.
#[derive(Debug)]
pub enum StateSource {
    Proc,
    Xmlrpc {
        endpoint: Endpoint,
        method: String,
        reply: Reply,
    },
}

/// The shape of xcbdaemon's reply.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reply {
    ProcText,
    Struct,
}

#[derive(Debug)]
pub struct Drbd {
    pub source: StateSource,
    pub config: Vec<String>,
    pub drbdsetup: PathBuf,
    /// `status --json` or `events2 --now`.
    pub events2: bool,
    pub policy: Policy,
    pub kernel_log: Vec<PathBuf>,
}

impl Drbd {
    pub fn parse(p: &mut Params) -> Result<Self, SpecError> {
        let xmlrpc = p
            .choice("source", &[("proc", false), ("xmlrpc", true)])?
            .unwrap_or(false);
        let source = if xmlrpc {
            StateSource::Xmlrpc {
                endpoint: super::require_endpoint(p)?,
                method: p
                    .require_string("method", "the xcbdaemon method that returns DRBD state")?,
                reply: p
                    .choice(
                        "reply",
                        &[("proc-drbd", Reply::ProcText), ("struct", Reply::Struct)],
                    )?
                    .unwrap_or(Reply::ProcText),
            }
        } else {
            StateSource::Proc
        };
        let config = p.strings("config")?.unwrap_or_else(|| {
            vec![
                "/etc/drbd.conf".to_string(),
                "/etc/drbd.d/*.res".to_string(),
            ]
        });
        let drbdsetup: String = p
            .string("drbdsetup")?
            .unwrap_or_else(|| "/usr/sbin/drbdsetup".into());
        if !drbdsetup.starts_with('/') {
            return Err(
                p.error_here("`drbdsetup` must be an absolute path (no PATH lookup at boot)")
            );
        }
        let events2 = p
            .choice("drbdsetup_output", &[("json", false), ("events2", true)])?
            .unwrap_or(false);
        let verdict = |p: &mut Params, key: &str, default: Verdict, allowed: &[(&str, Verdict)]| {
            p.choice(key, allowed).map(|v| v.unwrap_or(default))
        };
        let policy = Policy {
            degraded: verdict(
                p,
                "degraded",
                Verdict::Warn,
                &[
                    ("pass", Verdict::Pass),
                    ("warn", Verdict::Warn),
                    ("fail", Verdict::Fail),
                ],
            )?,
            sync_source: verdict(
                p,
                "sync_source",
                Verdict::Pass,
                &[("pass", Verdict::Pass), ("wait", Verdict::Wait)],
            )?,
        };
        let kernel_log: Vec<String> = p
            .strings("kernel_log")?
            .unwrap_or_else(|| vec!["/var/log/kern.log".into(), "/var/log/messages".into()]);
        Ok(Drbd {
            source,
            config,
            drbdsetup: drbdsetup.into(),
            events2,
            policy,
            kernel_log: kernel_log.into_iter().map(PathBuf::from).collect(),
        })
    }

    /// Volumes from /proc/drbd, or from drbdsetup for DRBD 9.
    fn read_proc(&self, cx: &Context) -> Result<(Vec<Volume>, Vec<String>), Box<Outcome>> {
        let path = Path::new("/proc/drbd");
        let text = match cx.target.proc_text("drbd", MAX_PROC_BYTES) {
            Ok(t) => t,
            Err(e) if e.is_not_found() => {
                let configured = self.configured(&cx.target.root);
                return Err(Box::new(if configured.is_empty() {
                    Outcome::skip(
                        "not applicable: no DRBD on this node (no /proc/drbd, no resource configured)",
                    )
                } else {
                    Outcome::fail(format!(
                        "DRBD resources {} are configured, but the DRBD module is not loaded ({} is missing)",
                        configured.join(", "),
                        path.display()
                    ))
                }));
            }
            Err(e) => {
                return Err(Box::new(Outcome::error(format!(
                    "cannot read DRBD state: {e}"
                ))));
            }
        };
        let proc = proc::parse(&text)
            .map_err(|e| Box::new(Outcome::error(format!("{}: {e}", path.display()))))?;
        let mut evidence = vec![format!("{}: DRBD {}", path.display(), proc.version)];
        if !proc.unconfigured.is_empty() {
            let minors: Vec<String> = proc
                .unconfigured
                .iter()
                .map(|m| format!("drbd{m}"))
                .collect();
            evidence.push(format!(
                "unconfigured minors (ignored): {}",
                minors.join(", ")
            ));
        }
        if proc.major < 9 || !proc.volumes.is_empty() {
            return Ok((proc.volumes, evidence));
        }
        // DRBD 9 keeps its state out of /proc: ask drbdsetup, bounded.
        let args: &[&str] = if self.events2 {
            &["events2", "--now", "all"]
        } else {
            &["status", "--json"]
        };
        let shown = format!("{} {}", self.drbdsetup.display(), args.join(" "));
        let out = cx
            .target
            .run(&self.drbdsetup, args, cx.deadline, MAX_TOOL_OUTPUT)
            .map_err(|e| Box::new(drbdsetup_failed(&e)))?;
        let parsed = if self.events2 {
            events2::parse(&out)
        } else {
            json::parse(&out)
        };
        let mut volumes =
            parsed.map_err(|e| Box::new(Outcome::error(format!("{shown}: output {e}"))))?;
        evidence.push(format!("{shown}: {} volume(s)", volumes.len()));
        if !kernel_reports_quorum(&proc.version) {
            // drbdsetup starts from a zeroed device and the kernel sends dev_has_quorum
            // only since 9.0.10: before that every device would read "quorum lost".
            for v in &mut volumes {
                v.quorum = None;
            }
            evidence.push(format!(
                "quorum not judged: DRBD {} reports none (9.0.10 and later do)",
                proc.version
            ));
        }
        Ok((volumes, evidence))
    }

    fn ask_xcbdaemon(
        &self,
        cx: &Context,
        endpoint: &Endpoint,
        method: &str,
        reply: Reply,
    ) -> Result<(Vec<Volume>, Vec<String>), Box<Outcome>> {
        let call_name = format!("{method}() at {}", endpoint.url);
        let value = rpc::call(endpoint, method, &[], cx.deadline, MAX_PROC_BYTES).map_err(|e| {
            let mut o = Outcome::error(format!(
                "cannot ask xcbdaemon for DRBD state: {}",
                e.summary()
            ));
            o.transient = e.is_transient();
            Box::new(o)
        })?;
        let evidence = vec![format!("{call_name} answered")];
        let volumes = match (reply, &value) {
            (Reply::ProcText, rpc::Value::String(text)) => {
                let proc = proc::parse(text).map_err(|e| {
                    Box::new(Outcome::error(format!("{call_name}: /proc/drbd text {e}")))
                })?;
                proc.volumes
            }
            (Reply::Struct, rpc::Value::Struct(map)) => map
                .iter()
                .map(|(name, fields)| volume_from_struct(name, fields))
                .collect::<Result<_, _>>()
                .map_err(|e| Box::new(Outcome::error(format!("{call_name}: {e}"))))?,
            (_, other) => {
                return Err(Box::new(Outcome::error(format!(
                    "{call_name}: unexpected reply shape: {}",
                    rpc::show(other)
                ))));
            }
        };
        Ok((volumes, evidence))
    }

    /// Resource names in the DRBD configuration.
    fn configured(&self, root: &Root) -> Vec<String> {
        let mut names = Vec::new();
        for pattern in &self.config {
            // Boot mode runs as root; a configuration it cannot read is as good as none,
            // and the verdict then rests on what DRBD itself reports.
            // A bundle or capture without the files says so in the check's result.
            let paths = root.glob(pattern, 4096).unwrap_or_else(|e| {
                if !crate::world::tape::is_missed(&e.source) {
                    log::warn!("drbd configuration: {e}");
                }
                Vec::new()
            });
            for path in paths {
                if let Ok(text) = root.read_text(&path, MAX_PROC_BYTES) {
                    for name in config::resource_names(&text) {
                        if !names.contains(&name) {
                            names.push(name);
                        }
                    }
                }
            }
        }
        names
    }

    /// The last "Split-Brain detected" kernel log line about this volume, if a log file
    /// can be read (regular files only: /dev/kmsg is a device, which we never open).
    fn split_brain_line(&self, root: &Root, v: &Volume) -> Option<String> {
        let needles: Vec<String> = [
            v.minor.map(|m| format!("drbd{m}:")),
            Some(format!("drbd {}", v.resource)),
            Some(format!("{}: ", v.resource)),
        ]
        .into_iter()
        .flatten()
        .collect();
        self.kernel_log.iter().find_map(|path| {
            let text = root.read_tail(path, MAX_LOG_TAIL).ok()?;
            text.lines()
                .rev()
                .find(|l| {
                    l.contains("Split-Brain detected")
                        && needles.iter().any(|n| l.contains(n.as_str()))
                })
                .map(|l| format!("{}: {}", path.display(), l.trim()))
        })
    }
}

impl Evaluate for Drbd {
    fn evaluate(&self, cx: &Context) -> Outcome {
        let gathered = match &self.source {
            StateSource::Proc => self.read_proc(cx),
            StateSource::Xmlrpc {
                endpoint,
                method,
                reply,
            } => self.ask_xcbdaemon(cx, endpoint, method, *reply),
        };
        let (volumes, mut evidence) = match gathered {
            Ok(v) => v,
            Err(outcome) => return *outcome,
        };
        if volumes.is_empty() {
            let configured = self.configured(&cx.target.root);
            return if configured.is_empty() {
                Outcome::skip("not applicable: DRBD is loaded but no resource is configured (a standalone node)")
                    .with_all(evidence)
            } else {
                Outcome::fail(format!(
                    "DRBD resources {} are configured but none is up",
                    configured.join(", ")
                ))
                .with_all(evidence)
            };
        }
        let mut worst = Verdict::Pass;
        let mut lines: Vec<(Verdict, String)> = Vec::new();
        // Every failure may heal by itself (quorum lost while a peer connects).
        let mut all_heal = true;
        for v in &volumes {
            let judged = judge(v, &self.policy);
            let (verdict, why) = (judged.verdict, judged.why);
            if verdict == Verdict::Fail {
                all_heal &= judged.may_heal;
            }
            worst = worst.max(verdict);
            evidence.push(v.quote.clone());
            if verdict != Verdict::Pass {
                evidence.push(format!("  -> {}: {why}", v.name()));
            }
            // The kernel log is evidence, not input: a capture of /proc and /sys does not
            // hold it, and the verdict stands without it.
            if v.conn == "StandAlone"
                && cx.target.has_box_files()
                && let Some(line) = self.split_brain_line(&cx.target.root, v)
            {
                evidence.push(format!("  kernel log: {line}"));
            }
            lines.push((verdict, format!("{} {why}", v.name())));
        }
        let worst_lines: Vec<&String> = lines
            .iter()
            .filter(|(v, _)| *v == worst)
            .map(|(_, l)| l)
            .collect();
        let more = and_more(worst_lines.len());
        let summary = match worst {
            Verdict::Pass => lines
                .iter()
                .map(|(_, l)| l.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            _ => format!(
                "{}{more}",
                worst_lines.first().map(|s| s.as_str()).unwrap_or_default()
            ),
        };
        let finding = match worst {
            Verdict::Pass => Finding::Pass,
            Verdict::Warn => Finding::Warn,
            Verdict::Wait => Finding::Wait,
            Verdict::Fail => Finding::Fail,
        };
        let mut outcome = Outcome::new(finding, summary).with_all(evidence);
        outcome.transient = worst == Verdict::Fail && all_heal;
        outcome
    }
}

/// What drbdsetup's stderr says when the kernel has no DRBD to talk to (both exit 20;
/// drbd-utils 9.22 as captured in tests/fixtures/drbd/drbdsetup-stderr/): /proc/drbd was
/// there but no `drbd` generic netlink family is, or drbdsetup found no /proc/drbd and
/// modprobe could not load the module.
const NO_MODULE: &[&str] = &[
    "Could not connect to 'drbd' generic netlink family",
    "Failed to modprobe drbd",
];

/// The outcome of a drbdsetup that failed: a DRBD module that is not there is said so,
/// with the fix for it, instead of the general "make what is named readable". Told by
/// what drbdsetup itself wrote (its stderr; in a bundle, the words kept of its failure),
/// never by our own words for a program that did not start or did not finish.
fn drbdsetup_failed(e: &DoorError) -> Outcome {
    let outcome = Outcome::error(format!("cannot read DRBD 9 state: {e}"));
    let said = match e {
        DoorError::Command(CommandError::Failed { stderr, .. }) => stderr,
        DoorError::Replayed { text, .. } => text,
        _ => return outcome,
    };
    if !NO_MODULE.iter().any(|words| said.contains(words)) {
        return outcome;
    }
    Outcome::error(format!(
        "cannot read DRBD 9 state: the DRBD kernel module is not loaded ({e})"
    ))
    .fix(
        "Load the DRBD module, `modprobe drbd`, and make it load at boot (a line `drbd` in \
         /etc/modules-load.d/drbd.conf). If modprobe finds none, no module is built for the \
         running kernel (`modinfo drbd`, `uname -r`): install the one of this kernel (drbd-dkms \
         builds it). If /proc/drbd shows it loaded, ha-preflight runs in another network \
         namespace (a container): DRBD's netlink family is only in the host's.",
    )
}

/// True when a DRBD 9 kernel of this version tells drbdsetup its quorum (9.0.10 on).
fn kernel_reports_quorum(version: &str) -> bool {
    let mut parts = version.split(['.', '-']).map(|p| p.parse::<u32>().ok());
    match (
        parts.next().flatten(),
        parts.next().flatten(),
        parts.next().flatten(),
    ) {
        (Some(9), Some(0), Some(patch)) => patch >= 10,
        (Some(major), _, _) => major >= 9,
        _ => true,
    }
}

/// `{ cs = "SyncTarget", ro = "Secondary/Primary", ds = "Inconsistent/UpToDate", done = 44.4, eta = 8, quorum = false }`
fn volume_from_struct(name: &str, fields: &rpc::Value) -> Result<Volume, String> {
    let get = |key: &str| fields.get(key).and_then(|v| v.as_str()).map(str::to_string);
    let pair = |key: &str| -> Result<(String, String), String> {
        let text = get(key).ok_or_else(|| format!("resource {name}: no `{key}` string"))?;
        text.split_once('/')
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .ok_or_else(|| format!("resource {name}: `{key}` {text:?} is not local/peer"))
    };
    let conn = get("cs").ok_or_else(|| format!("resource {name}: no `cs` string"))?;
    let (role, peer_role) = pair("ro")?;
    let (disk, peer_disk) = pair("ds")?;
    let progress = fields
        .get("done")
        .and_then(|d| d.as_f64().or_else(|| d.as_i64().map(|i| i as f64)))
        .map(|percent| Progress {
            percent,
            eta: fields
                .get("eta")
                .and_then(|e| e.as_i64())
                .and_then(|e| u64::try_from(e).ok())
                .map_or(Eta::NotGiven, Eta::from_seconds),
            stalled: false,
        });
    let quorum = fields.get("quorum").and_then(|q| q.as_bool());
    Ok(Volume {
        resource: name.to_string(),
        quote: format!(
            "{name}: cs:{conn} ro:{role}/{peer_role} ds:{disk}/{peer_disk}{}",
            if quorum == Some(false) {
                " quorum:false"
            } else {
                ""
            }
        ),
        quorum,
        conn,
        role,
        peer_role,
        disk,
        peer_disk,
        progress,
        ..Volume::default()
    })
}

#[cfg(test)]
mod run_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quorum_is_reported_from_drbd_9_0_10() {
        for (version, reports) in [
            ("9.0.9", false),
            ("9.0.9-1", false),
            ("9.0.10", true),
            ("9.0.32-1", true),
            ("9.1.0", true),
            ("9.2.9", true),
            ("8.4.11", false),
        ] {
            assert_eq!(kernel_reports_quorum(version), reports, "{version}");
        }
    }
}
