//! Rule `runtime-leftovers`: no pid, lock, socket, lease or utmp files under /run,
//! /var/run, /var/lock and /var/lib/dhcp, and /var/run and /var/lock links into /run.
//! What a build's daemons left there is believed at the first boot.

use super::left_by_build;
use crate::model::{Evidence, Outcome, summarize};
use crate::world::read::FileKind;
use crate::world::root::Root;
use crate::world::walk::Tree;
use std::path::Path;

pub(super) fn evaluate(root: &Root, tree: &Tree) -> Outcome {
    let mut offenders = Vec::new();
    for (path, want) in [("/var/run", "../run"), ("/var/lock", "../run/lock")] {
        match root.lstat(Path::new(path)) {
            Ok(st) if st.kind == FileKind::Dir => offenders.push(Evidence::about(
                path,
                format!(
                    "{path} is a real directory, not a link to {want}: its contents survive reboots"
                ),
            )),
            _ => {}
        }
    }
    let scanned = ["/run/", "/var/run/", "/var/lock/", "/var/lib/dhcp/"];
    for e in scanned.iter().flat_map(|d| tree.under(d)) {
        let p = e.path.to_string_lossy();
        // ifupdown's state is netrun-stale's business.
        if p.starts_with("/run/network/ifstate")
            || e.stat.kind == FileKind::Dir
            || e.stat.kind == FileKind::Symlink
        {
            continue;
        }
        let name = e
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stale = e.stat.kind == FileKind::Socket
            || name.ends_with(".pid")
            || name.ends_with(".lock")
            || name.ends_with(".leases")
            || name.ends_with(".lease")
            || name == "utmp"
            || name == "reboot-required";
        if stale {
            offenders.push(left_by_build(e));
        }
    }
    summarize(
        offenders,
        Vec::new(),
        "no runtime state in the image; /var/run and /var/lock link into /run".into(),
    )
}
