//! The ids of an image's `etc/passwd` and `etc/group`: the third `:`-separated field of
//! each line. Parsing only; `unknown-owners` (checks/tree.rs) decides what a missing id
//! means. Lines without a numeric third field (comments, NIS `+` lines, damage) name no
//! id and are skipped: a file this broken shows up as owners that are "unknown".

use std::collections::HashSet;

pub fn ids(text: &str) -> HashSet<u32> {
    text.lines()
        .filter_map(|l| l.split(':').nth(2))
        .filter_map(|id| id.parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn takes_the_third_field() {
        let ids = super::ids(
            "root:x:0:0:root:/root:/bin/bash\n+::::::\n# c\nd:x:-1:\nu:x:1000:1000::/:\n",
        );
        assert_eq!(ids, [0, 1000].into_iter().collect());
    }
}
