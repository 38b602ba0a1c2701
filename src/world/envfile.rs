//! `KEY=value` files as shell scripts source them (/etc/default/*, an appliance's ENV
//! file): where a node's role and the node it follows are configured.

/// The value of `KEY=value` (or `export KEY=value`), quotes removed; the last one wins,
/// as in a shell.
pub fn value(text: &str, key: &str) -> Option<String> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
            let (k, v) = line.split_once('=')?;
            (k.trim_end() == key).then(|| {
                let v = v.trim();
                let unquoted = ['"', '\'']
                    .iter()
                    .find_map(|q| v.strip_prefix(*q).and_then(|r| r.strip_suffix(*q)));
                unquoted.unwrap_or(v).to_string()
            })
        })
        .next_back()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_as_a_shell_reads_them() {
        let text = "# role\nXCB_ROLE=master\nexport XCB_PEER=\"10.0.0.2\"\nXCB_ROLE='replica'\nXCB_ROLEX=x\n";
        assert_eq!(value(text, "XCB_ROLE").as_deref(), Some("replica"));
        assert_eq!(value(text, "XCB_PEER").as_deref(), Some("10.0.0.2"));
        assert_eq!(value(text, "XCB"), None);
        assert_eq!(value("A=\n", "A").as_deref(), Some(""));
    }
}
