//! Rule `unknown-owners`: every uid and gid exists in the image's passwd and group, and
//! nothing under the system directories belongs to a uid at or above `first_user_uid`
//! (the build user's files: the first account created on the box would own them).

use crate::model::{Evidence, Outcome, summarize};
use crate::world::root::Root;
use crate::world::walk::Tree;
use std::collections::HashSet;
use std::path::Path;

pub(super) fn evaluate(
    root: &Root,
    tree: &Tree,
    system_dirs: &[String],
    first_user_uid: u32,
) -> Outcome {
    let ids = |file: &str| -> Result<HashSet<u32>, String> {
        let text = root
            .read_text(Path::new(file), 4 << 20)
            .map_err(|e| format!("cannot read the image's {file}: {e}"))?;
        Ok(crate::world::accounts::ids(&text))
    };
    let (users, groups) = match (ids("/etc/passwd"), ids("/etc/group")) {
        (Ok(u), Ok(g)) => (u, g),
        (Err(e), _) | (_, Err(e)) => return Outcome::error(e),
    };
    let mut offenders = Vec::new();
    tree.each(|path, e| {
        let (uid, gid) = (e.uid, e.gid);
        let shown = path.display();
        if !users.contains(&uid) {
            offenders.push(Evidence::about(
                path,
                format!("{shown} is owned by uid {uid}, which the image's passwd does not have"),
            ));
        } else if !groups.contains(&gid) {
            offenders.push(Evidence::about(
                path,
                format!("{shown} has gid {gid}, which the image's group does not have"),
            ));
        } else if uid >= first_user_uid && system_dirs.iter().any(|d| path.starts_with(d)) {
            offenders.push(Evidence::about(
                path,
                format!("{shown} is owned by uid {uid} (a user's, not the system's)"),
            ));
        }
    });
    summarize(
        offenders,
        Vec::new(),
        format!("{} entries, all owned by known system ids", tree.len()),
    )
}
