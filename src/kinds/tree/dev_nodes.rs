//! Rule `dev-nodes`: no block devices or device directories (disk/, mapper/) in /dev,
//! no device node outside /dev, /proc /sys /dev/pts empty, and no virtual filesystem
//! left mounted in the tree.

use crate::model::{Evidence, Outcome, summarize};
use crate::world::read::FileKind;
use crate::world::walk::{Entry, Tree};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

pub(super) fn evaluate(tree: &Tree) -> Outcome {
    let mut offenders = Vec::new();
    if !tree.mounted.is_empty() {
        let mounts: Vec<String> = tree
            .mounted
            .iter()
            .map(|m| format!("{} ({})", m.path.display(), m.fstype))
            .collect();
        let first = tree
            .mounted
            .first()
            .map(|m| m.path.clone())
            .unwrap_or_default();
        offenders.push(Evidence::about(
            first,
            format!(
                "virtual filesystems are mounted in the tree and were not walked: {}; unmount \
                 what the build mounted before packing (checking a running system? use \
                 `ha-preflight boot`)",
                mounts.join(", ")
            ),
        ));
    }
    // Only what is under /proc, /sys and /dev, and device nodes anywhere, is of interest.
    let is_device = |e: &Entry| matches!(e.kind, FileKind::BlockDevice | FileKind::CharDevice);
    let mut judge = |path: &Path, e: &Entry| {
        let p = path.as_os_str().as_bytes();
        let shown = path.display();
        if [&b"/proc/"[..], b"/sys/", b"/dev/pts/"]
            .iter()
            .any(|d| p.starts_with(d))
        {
            offenders.push(Evidence::about(
                path,
                format!("{shown}: captured from a mounted virtual filesystem"),
            ));
        } else if p.starts_with(b"/dev/") {
            if e.kind == FileKind::BlockDevice {
                offenders.push(Evidence::about(
                    path,
                    format!("{shown} is a block device (the build host's?)"),
                ));
            } else if e.kind == FileKind::Dir && [&b"/dev/disk"[..], b"/dev/mapper"].contains(&p) {
                offenders.push(Evidence::about(
                    path,
                    format!("{shown}: the build host's device directory"),
                ));
            }
        } else if is_device(e) {
            offenders.push(Evidence::about(
                path,
                format!("{shown} is a {} outside /dev", e.kind.name()),
            ));
        }
    };
    for dir in ["/proc", "/sys", "/dev"] {
        tree.each_under(dir, &mut judge);
    }
    tree.each(|path, e| {
        let p = path.as_os_str().as_bytes();
        if is_device(e)
            && !(p.starts_with(b"/proc/") || p.starts_with(b"/sys/") || p.starts_with(b"/dev/"))
        {
            judge(path, e);
        }
    });
    summarize(
        offenders,
        Vec::new(),
        "no host device nodes; /proc, /sys and /dev/pts empty".into(),
    )
}
