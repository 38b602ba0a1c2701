//! Rule `qemu-user-static`: no qemu-*-static or qemu-binfmt helper that no installed
//! package lists (a cross-build's emulator copied in and left).

use crate::model::{Evidence, Outcome, summarize};
use crate::world::read::FileKind;
use crate::world::root::Root;
use crate::world::walk::Tree;
use std::collections::HashSet;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

pub(super) fn evaluate(root: &Root, tree: &Tree) -> Outcome {
    let mut suspects: Vec<PathBuf> = Vec::new();
    tree.each(|p, e| {
        let name = p.file_name().map_or(&b""[..], |n| n.as_bytes());
        if e.kind == FileKind::File
            && ((name.starts_with(b"qemu-") && name.ends_with(b"-static"))
                || p.as_os_str()
                    .as_bytes()
                    .starts_with(b"/usr/libexec/qemu-binfmt/"))
        {
            suspects.push(p.to_path_buf());
        }
    });
    if suspects.is_empty() {
        return Outcome::pass("no qemu user-mode emulators in the image");
    }
    let mut owned: HashSet<String> = HashSet::new();
    let lists = match root.glob("/var/lib/dpkg/info/*.list", 100_000) {
        Ok(lists) => lists,
        Err(e) => return Outcome::error(e.to_string()),
    };
    for list in lists {
        if let Ok(text) = root.read_text(&list, 16 << 20) {
            owned.extend(text.lines().map(str::to_string));
        }
    }
    let offenders: Vec<Evidence> = suspects
        .iter()
        .filter(|p| !owned.contains(&*p.to_string_lossy()))
        .map(|p| {
            Evidence::about(
                p,
                format!(
                    "{} is in the image but no installed package owns it (a cross-build leftover)",
                    p.display()
                ),
            )
        })
        .collect();
    summarize(
        offenders,
        Vec::new(),
        format!(
            "{} qemu file(s), all from installed packages",
            suspects.len()
        ),
    )
}
