//! Rule `runtime-leftovers`: no pid, lock, socket, lease or utmp files under /run,
//! /var/run, /var/lock and /var/lib/dhcp, and /var/run and /var/lock links into /run.
//! What a build's daemons left there is believed at the first boot.

use super::left_by_build;
use crate::model::{Evidence, Outcome, summarize};
use crate::world::read::FileKind;
use crate::world::root::Root;
use crate::world::walk::Tree;
use std::os::unix::ffi::OsStrExt;
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
    for dir in ["/run", "/var/run", "/var/lock", "/var/lib/dhcp"] {
        tree.each_under(dir, |path, e| {
            // ifupdown's state is netrun-stale's business.
            if path
                .as_os_str()
                .as_bytes()
                .starts_with(b"/run/network/ifstate")
                || e.kind == FileKind::Dir
                || e.kind == FileKind::Symlink
            {
                return;
            }
            let name = path.file_name().map_or(&b""[..], |n| n.as_bytes());
            let stale = e.kind == FileKind::Socket
                || [&b".pid"[..], b".lock", b".leases", b".lease"]
                    .iter()
                    .any(|end| name.ends_with(end))
                || name == b"utmp"
                || name == b"reboot-required";
            if stale {
                offenders.push(left_by_build(path, e));
            }
        });
    }
    summarize(
        offenders,
        Vec::new(),
        "no runtime state in the image; /var/run and /var/lock link into /run".into(),
    )
}
