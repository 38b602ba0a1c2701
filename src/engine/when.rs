//! `when` conditions: a check applies only if a path (or glob) exists, or does not.
//! Paths are looked up in the target's root, so inside the image in image mode.

use crate::spec::When;
use crate::world::root::{GlobError, Root};

/// Why a `when` condition is not met, or None when it is. Paths are looked up in the
/// target's root (inside the image, in image mode); one that cannot be looked up is an
/// error, since the check can then be neither run nor skipped with reason.
pub(super) fn unmet(when: &When, root: &Root) -> Result<Option<String>, GlobError> {
    let found = !root.glob(&when.pattern, 1)?.is_empty();
    Ok(match (when.exists, found) {
        (true, false) => Some(format!("not applicable: {} does not exist", when.pattern)),
        (false, true) => Some(format!("not applicable: {} exists", when.pattern)),
        _ => None,
    })
}
