//! Which fix a result shows: the kind's fix for its own case, else the check's general
//! `fix`; for a check that could not look, how to let it look. Never the fix of a failure
//! for a result that is not one.
//!
//! Fix texts write the box's paths as `$ROOT/...`. In image mode `$ROOT` becomes the tree
//! being checked (`--root`), so a fix pasted into a CI job that runs outside the chroot
//! acts on the image and never on the build host; on a running box it is empty.

use crate::model::{Mode, Outcome, Status};
use crate::spec::Check;
use crate::world::Target;

/// The fix shown for a result, `$ROOT` resolved.
pub fn fix_for(
    check: &Check,
    status: Status,
    outcome: &Outcome,
    target: &Target,
) -> Option<String> {
    let text = match status {
        Status::Pass | Status::Skip | Status::Blocked => return None,
        Status::Error => outcome
            .fix
            .clone()
            .unwrap_or_else(|| could_not_look(&outcome.summary, target.mode())),
        Status::Fail | Status::Warn | Status::Wait => {
            outcome.fix.clone().unwrap_or_else(|| check.fix.clone())
        }
    };
    Some(resolve_root(&text, target))
}

/// Replaces `$ROOT` with the tree an image run checks (shell-quoted), or with nothing.
pub fn resolve_root(text: &str, target: &Target) -> String {
    let root = if target.is_image() {
        shell_quote(&target.root.dir.display().to_string())
    } else {
        String::new()
    };
    text.replace("$ROOT", root.trim_end_matches('/'))
}

/// A path as a shell word: as it is when it needs no quoting, else in single quotes.
fn shell_quote(path: &str) -> String {
    let plain = path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._+-,:@%".contains(&b));
    if plain && !path.is_empty() {
        path.to_string()
    } else {
        format!("'{}'", path.replace('\'', r"'\''"))
    }
}

/// The fix for a check that could not evaluate: make what it names readable. The summary
/// already says what could not be read; this says how to let the check read it.
fn could_not_look(summary: &str, mode: Mode) -> String {
    let s = summary.to_ascii_lowercase();
    if s.contains("permission denied") || s.contains("eacces") || s.contains("eperm") {
        return match mode {
            Mode::Image => "Run `ha-preflight image` as root (or as the tree's owner), so it can read what is named; nothing in the tree is changed."
                .into(),
            _ => "Run ha-preflight as root (its unit does), or give it read access to what is named, then run it again."
                .into(),
        };
    }
    if s.contains("timed out") || s.contains("no answer") || s.contains("deadline") {
        return "What the check waited on did not answer in time: look at what is named (a hung mount, a stuck daemon: `ps`, `cat /proc/self/mountinfo`). Raise the check's `timeout` only if it is merely slow."
            .into();
    }
    if s.contains("not walked") || s.contains("could not walk") {
        return "Run `ha-preflight image` as root, so it can walk every folder of the tree; nothing in the tree is changed."
            .into();
    }
    "Make what is named readable to ha-preflight (it must exist, be a file of the kind named, and be readable by the user running the check; the unit runs as root), then run it again; `-v` shows every line of evidence."
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_quoted_when_it_must_be() {
        assert_eq!(shell_quote("/srv/build/rootfs"), "/srv/build/rootfs");
        assert_eq!(shell_quote("/srv/my tree"), "'/srv/my tree'");
        assert_eq!(shell_quote("/srv/it's"), r"'/srv/it'\''s'");
    }

    #[test]
    fn a_could_not_look_fix_says_how_to_look() {
        assert!(
            could_not_look("lstat /root: Permission denied (os error 13)", Mode::Image)
                .contains("as root")
        );
        assert!(
            could_not_look(
                "no answer from 127.0.0.1:8000 within the 2s timeout",
                Mode::Boot
            )
            .contains("did not answer in time")
        );
        assert!(
            could_not_look(
                "cannot read the mount table: /proc/self/mountinfo: No such file",
                Mode::Boot
            )
            .contains("readable")
        );
    }
}
