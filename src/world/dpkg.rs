//! The two dpkg databases image mode reads: `var/lib/dpkg/status` (which version of a
//! package is installed) and `var/lib/dpkg/diversions` (which files a package moved
//! aside). Parsing only; what a version or a diversion means is the checks' business.
//!
//! Both files come from the image under test, so nothing here trusts their shape: an
//! odd stanza or a short entry is skipped or reported, never a panic.

use thiserror::Error;

/// Where `diversions` errors point.
pub const DIVERSIONS: &str = "/var/lib/dpkg/diversions";

/// The `Version:` of `package` if its `Status:` says it is installed. Stanzas are
/// separated by blank lines; field names are matched without case, as dpkg does, and
/// continuation lines (starting with a space) are never taken for fields.
pub fn installed_version<'a>(status: &'a str, package: &str) -> Option<&'a str> {
    stanzas(status).find_map(|stanza| {
        let field = |name: &str| field(stanza, name);
        (field("Package")? == package && field("Status")?.ends_with(" installed"))
            .then(|| field("Version"))
            .flatten()
    })
}

fn stanzas(text: &str) -> impl Iterator<Item = &str> {
    text.split("\n\n").filter(|s| !s.trim().is_empty())
}

fn field<'a>(stanza: &'a str, name: &str) -> Option<&'a str> {
    stanza.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (!key.starts_with([' ', '\t']) && key.eq_ignore_ascii_case(name)).then(|| value.trim())
    })
}

/// One entry of the diversions file: three lines, the diverted path, where the original
/// went, and the package that diverted it (`:` for a local admin's `dpkg-divert`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diversion<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub package: &'a str,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum DpkgError {
    #[error("{DIVERSIONS}:{line}: an incomplete entry (each diversion is three lines)")]
    IncompleteDiversion { line: usize },
}

/// Every complete entry, and an error for a trailing incomplete one (the entries before
/// it are still good: dpkg appends, so a truncated file loses only its end).
pub fn diversions(text: &str) -> (Vec<Diversion<'_>>, Option<DpkgError>) {
    let lines: Vec<&str> = text.lines().collect();
    let mut entries = Vec::with_capacity(lines.len() / 3);
    let mut error = None;
    for (i, entry) in lines.chunks(3).enumerate() {
        match entry {
            [from, to, package] => entries.push(Diversion {
                from: from.trim(),
                to: to.trim(),
                package: package.trim(),
            }),
            _ => error = Some(DpkgError::IncompleteDiversion { line: i * 3 + 1 }),
        }
    }
    (entries, error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_an_installed_version_and_ignores_the_rest() {
        let status = "Package: ifupdown\nStatus: deinstall ok config-files\nVersion: 0.6\n\n\
                      Package: other\nDescription: x\n Package: ifupdown\n\n\
                      package: ifupdown\nstatus: install ok installed\nversion: 0.8.41\n";
        assert_eq!(installed_version(status, "ifupdown"), Some("0.8.41"));
        assert_eq!(installed_version(status, "other"), None);
        assert_eq!(installed_version("", "x"), None);
    }

    #[test]
    fn reads_diversions_and_names_a_short_tail() {
        let text = "/sbin/start-stop-daemon\n/sbin/start-stop-daemon.REAL\n:\n/usr/bin/x\n";
        let (entries, error) = diversions(text);
        assert_eq!(
            entries,
            [Diversion {
                from: "/sbin/start-stop-daemon",
                to: "/sbin/start-stop-daemon.REAL",
                package: ":"
            }]
        );
        assert_eq!(error, Some(DpkgError::IncompleteDiversion { line: 4 }));
    }
}
