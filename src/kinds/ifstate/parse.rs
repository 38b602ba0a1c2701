//! ifupdown's state files, as ifupdown writes them: `ifstate` with one `iface=logical`
//! line per configured interface (0.6 to 0.8), and `ifstate.IFACE` holding the logical
//! name while up and nothing while down (0.8). Pure text in, names out; what ifupdown
//! itself ignores is ignored here too, and reported.

/// What one `ifstate` file says: the interfaces it records as configured, with their
/// logical names, and the lines ifupdown would ignore, with their line numbers.
pub struct IfstateFile<'a> {
    pub recorded: Vec<(&'a str, &'a str)>,
    pub ignored: Vec<(usize, &'a str)>,
}

pub fn ifstate(text: &str) -> IfstateFile<'_> {
    let (mut recorded, mut ignored) = (Vec::new(), Vec::new());
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match parse_line(line) {
            Some(pair) => recorded.push(pair),
            None => ignored.push((i + 1, line)),
        }
    }
    IfstateFile { recorded, ignored }
}

/// What `ifstate.IFACE` records: the logical name while the interface is up, None while
/// it is down (empty) or when IFACE is no name an interface could have.
pub fn per_interface<'a>(iface: &str, text: &'a str) -> Option<&'a str> {
    let logical = text.trim();
    (!logical.is_empty() && valid_ifname(iface)).then_some(logical)
}

/// `iface=logical`, with a name the kernel could have.
pub fn parse_line(line: &str) -> Option<(&str, &str)> {
    let (iface, logical) = line.split_once('=')?;
    (valid_ifname(iface) && !logical.is_empty()).then_some((iface, logical))
}

/// A name ifupdown could have recorded: a Linux interface name (1 to 15 bytes, no '/',
/// no whitespace, not "." or ".."), optionally with an alias suffix (`eth0:1`).
pub fn valid_ifname(name: &str) -> bool {
    let base = name.split(':').next().unwrap_or(name);
    (1..16).contains(&base.len())
        && base != "."
        && base != ".."
        && name.len() < 32
        && !name.contains(|c: char| c == '/' || c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_state_lines() {
        assert_eq!(parse_line("lo=lo"), Some(("lo", "lo")));
        assert_eq!(parse_line("eth0=home"), Some(("eth0", "home")));
        assert_eq!(parse_line("eth0:1=eth0:1"), Some(("eth0:1", "eth0:1")));
        assert_eq!(parse_line("lo"), None);
        assert_eq!(parse_line("=lo"), None);
        assert_eq!(parse_line("../../etc=x"), None);
        assert_eq!(parse_line("averyveryverylongname=x"), None);
    }
}
