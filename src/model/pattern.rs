//! Shell-style patterns: `*` any run, `?` any one character, within one name; paths
//! matched name by name. Used by globs in image roots, `when` conditions and overrides.

/// Shell-style matching of one name: `*` any run, `?` any one character.
pub fn wildcard(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Component-wise wildcard matching of absolute paths.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').collect();
    let q: Vec<&str> = path.split('/').collect();
    p.len() == q.len() && p.iter().zip(&q).all(|(a, b)| wildcard(a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_like_a_shell() {
        assert!(wildcard("ifstate.*", "ifstate.lo"));
        assert!(wildcard("*", ""));
        assert!(wildcard("drbd?", "drbd0"));
        assert!(!wildcard("drbd?", "drbd10"));
        assert!(wildcard("*.res", "r0.res"));
        assert!(!wildcard("*.res", "r0.res.bak"));
    }

    #[test]
    fn paths_match_component_wise() {
        assert!(path_matches("/etc/resolv.conf", "/etc/resolv.conf"));
        assert!(path_matches("/usr/lib/vendor/*", "/usr/lib/vendor/tool"));
        assert!(!path_matches("/usr/lib/vendor/*", "/usr/lib/vendor/a/b"));
    }
}
