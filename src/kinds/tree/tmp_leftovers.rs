//! Rule `tmp-leftovers`: /tmp and /var/tmp empty and mode 1777; no cached .deb or .bin
//! files, no /debootstrap, no bootstrap.log.

use super::left_by_build;
use crate::model::{Evidence, Outcome, summarize};
use crate::world::read::FileKind;
use crate::world::root::Root;
use crate::world::walk::Tree;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

pub(super) fn evaluate(root: &Root, tree: &Tree) -> Outcome {
    let mut offenders = Vec::new();
    for dir in ["/tmp", "/var/tmp"] {
        match root.lstat(Path::new(dir)) {
            Ok(st) if st.kind == FileKind::Dir && st.mode != 0o1777 => offenders.push(
                Evidence::about(dir, format!("{dir} has mode {:o}, not 1777", st.mode)),
            ),
            Ok(st) if st.kind != FileKind::Dir => offenders.push(Evidence::about(
                dir,
                format!("{dir} is a {}, not a directory", st.kind.name()),
            )),
            _ => {}
        }
    }
    let in_tmp = tree.under("/tmp/").iter().chain(tree.under("/var/tmp/"));
    let cached = tree.under("/var/cache/apt/").iter().filter(|e| {
        let p = e.path.as_os_str().as_bytes();
        p.ends_with(b".deb") || p.ends_with(b".bin")
    });
    let debris = ["/debootstrap", "/var/log/bootstrap.log"]
        .into_iter()
        .filter_map(|p| tree.get(p));
    offenders.extend(in_tmp.chain(cached).chain(debris).map(left_by_build));
    summarize(
        offenders,
        Vec::new(),
        "/tmp and /var/tmp empty and 1777; no build caches or debris".into(),
    )
}
