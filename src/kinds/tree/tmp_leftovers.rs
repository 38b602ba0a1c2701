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
    for dir in ["/tmp", "/var/tmp"] {
        tree.each_under(dir, |path, e| offenders.push(left_by_build(path, e)));
    }
    tree.each_under("/var/cache/apt", |path, e| {
        let p = path.as_os_str().as_bytes();
        if p.ends_with(b".deb") || p.ends_with(b".bin") {
            offenders.push(left_by_build(path, e));
        }
    });
    for path in ["/debootstrap", "/var/log/bootstrap.log"] {
        if let Some(e) = tree.get(path) {
            offenders.push(left_by_build(Path::new(path), e));
        }
    }
    summarize(
        offenders,
        Vec::new(),
        "/tmp and /var/tmp empty and 1777; no build caches or debris".into(),
    )
}
