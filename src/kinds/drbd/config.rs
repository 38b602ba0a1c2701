//! Resource names from DRBD's configuration (`/etc/drbd.conf`, `/etc/drbd.d/*.res`).
//! Only `resource NAME {` is looked for: enough to know that HA is configured on this
//! node, which is what separates "standalone, no DRBD" from "DRBD module not loaded".

/// Names of the `resource` sections, comments removed.
pub fn resource_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut tokens = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or_default();
        let spaced = line
            .replace('{', " { ")
            .replace('}', " } ")
            .replace(';', " ; ");
        tokens.extend(spaced.split_whitespace().map(str::to_string));
    }
    for w in tokens.windows(3) {
        if w[0] == "resource" && w[2] == "{" && !names.contains(&w[1]) {
            names.push(w[1].trim_matches('"').to_string());
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_resources_and_ignores_comments() {
        let text = "# resource old {\nglobal { usage-count no; }\nresource r0 {\n  on a { device /dev/drbd0; }\n}\nresource \"data\"{ }\n";
        assert_eq!(resource_names(text), vec!["r0", "data"]);
        assert!(resource_names("include \"drbd.d/*.res\";\n").is_empty());
    }

    #[test]
    fn redacted_config_names_the_same_resources() {
        // A bundle's copy has its secrets replaced (world::redact): same resources.
        let text = "resource r0 { net { shared-secret \"a b;{\"; } }\nresource r1 { net { shared-secret plain-Token.9; } }\n";
        let (clean, found) = crate::world::redact::redact(text, &[]);
        assert_eq!(found.len(), 2, "{clean}");
        assert_eq!(resource_names(&clean), ["r0", "r1"]);
    }
}
