//! Secret values out of a support bundle. A bundle is made to be sent to someone else,
//! but the files the checks read hold the box's secrets: DRBD's `shared-secret`, an
//! appliance's `XCB_PASSWORD=` in /etc/default/xcbdaemon. The tape records a file's
//! text only after [`redact`] has replaced every secret value in it by [`PLACEHOLDER`],
//! keeping the line's shape (`shared-secret "REDACTED";`, `XCB_PASSWORD="REDACTED"`), so
//! the parsers that read the text on replay see the same structure and give the same
//! verdict.
//!
//! The rules are applied to every file read, not only to files that look like DRBD or
//! shell configuration: a DRBD `include` can pull any file in, an env file can live
//! anywhere the spec says, and an option that names a secret is one in any file. They
//! are lexical, so they cannot fail on a file they do not understand; what they catch
//! beyond a secret is a value that now reads REDACTED, never a secret let through.

/// What a secret value becomes: a word that is a valid bare token in a shell
/// assignment and in DRBD's configuration grammar.
pub const PLACEHOLDER: &str = "REDACTED";

/// A setting whose name holds one of these (any case, any position) is secret when it is
/// written `NAME=VALUE`: XCB_PASSWORD, XCB_API_TOKEN, db_pass, apikey, Auth-Header.
const SECRET_WORDS: &[&str] = &["PASS", "SECRET", "TOKEN", "KEY", "CREDENTIAL", "AUTH"];

/// DRBD's one option whose value is secret: drbd-utils marks only `shared_secret` as
/// DRBD_F_SENSITIVE in its netlink tables (`tls-keyring`, `tls-privkey` and
/// `tls-certificate` name keys in the kernel keyring; they hold none). Written
/// `NAME VALUE;` in drbd.conf and `--NAME=VALUE` on drbdsetup's command line.
const DRBD_SECRET: &str = "shared-secret";

/// Shortest value [`scrub`] looks for: a shorter one (`AUTH=1`, `AUTH_MODE=no`) is
/// redacted where it is set, but cannot be told from the digits and words of a report.
pub const MIN_SCRUBBED: usize = 4;

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

fn blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `text` with every secret value replaced by [`PLACEHOLDER`], and (name, value) of each
/// one replaced. Secret are: the value of a DRBD secret option or of a name in `also`
/// (the spec's own list), after `=` or blanks; the value of a secret-sounding name after
/// `=`. A value is a quoted string (its quotes kept; it may run over lines), else the
/// rest of the line for a shell-style `[export] NAME=VALUE` line (commented out too),
/// else the token up to a blank or one of `;,{}"'&`.
pub fn redact(text: &str, also: &[String]) -> (String, Vec<(String, String)>) {
    let b = text.as_bytes();
    let mut out = String::new();
    let mut found = Vec::new();
    let (mut copied, mut i) = (0, 0);
    while i < b.len() {
        if !is_word(b[i]) || (i > 0 && is_word(b[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && is_word(b[i]) {
            i += 1;
        }
        let mut j = i;
        while j < b.len() && blank(b[j]) {
            j += 1;
        }
        let assigned = b.get(j) == Some(&b'=');
        if !assigned && j == i {
            continue;
        }
        let name = text[start..i].trim_start_matches('-');
        let exact = name.eq_ignore_ascii_case(DRBD_SECRET)
            || also.iter().any(|s| s.eq_ignore_ascii_case(name));
        let sounds_secret = || {
            SECRET_WORDS.iter().any(|w| {
                name.as_bytes()
                    .windows(w.len())
                    .any(|x| x.eq_ignore_ascii_case(w.as_bytes()))
            })
        };
        if !(exact || assigned && sounds_secret()) {
            continue;
        }
        if assigned {
            j += 1;
            while j < b.len() && blank(b[j]) {
                j += 1;
            }
        }
        let (from, to) = value_span(text, j, assigned && shell_line(text, start));
        let value = &text[from..to];
        if value.is_empty() || value == PLACEHOLDER {
            continue;
        }
        out.push_str(&text[copied..from]);
        out.push_str(PLACEHOLDER);
        found.push((name.to_string(), value.to_string()));
        copied = to;
        i = to;
    }
    if found.is_empty() {
        return (text.to_string(), found);
    }
    out.push_str(&text[copied..]);
    (out, found)
}

/// Whether what precedes `at` on its line is nothing, `#`s or `export`: a line a shell
/// (or envfile) reads as `NAME=VALUE`, whose value is the rest of the line.
fn shell_line(text: &str, at: usize) -> bool {
    let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
    let before = text[line_start..at].trim().trim_start_matches('#').trim();
    before.is_empty() || before == "export"
}

/// The byte range of the value that starts at `at` (quotes excluded).
fn value_span(text: &str, at: usize, rest_of_line: bool) -> (usize, usize) {
    let b = text.as_bytes();
    let line_end = text[at..].find('\n').map_or(b.len(), |n| at + n);
    match b.get(at) {
        Some(&q @ (b'"' | b'\'')) => {
            let mut k = at + 1;
            while k < b.len() && b[k] != q {
                // Only double quotes know escapes, in the shell and in DRBD's scanner.
                k += if q == b'"' && b[k] == b'\\' { 2 } else { 1 };
            }
            // An unclosed quote: the rest of the line, not the rest of the file.
            (at + 1, if k < b.len() { k } else { line_end })
        }
        _ if rest_of_line => (at, at + text[at..line_end].trim_end().len()),
        _ => {
            let len = text[at..line_end]
                .find(|c: char| c.is_whitespace() || ";,{}\"'&".contains(c))
                .unwrap_or(line_end - at);
            (at, at + len)
        }
    }
}

/// `text` with every occurrence of each of `secrets` of [`MIN_SCRUBBED`] bytes or more
/// replaced by [`PLACEHOLDER`] (the longest that matches at a place, so a secret that
/// holds a shorter one goes whole): for what a live run said about the box
/// (report.txt), which quotes what the checks read before the tape redacted it.
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let matched = secrets
            .iter()
            .filter(|s| s.len() >= MIN_SCRUBBED && rest.starts_with(s.as_str()))
            .map(String::len)
            .max();
        let n = match matched {
            Some(n) => {
                out.push_str(PLACEHOLDER);
                n
            }
            None => {
                out.push(c);
                c.len_utf8()
            }
        };
        rest = &rest[n..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(found: &[(String, String)]) -> Vec<&str> {
        found.iter().map(|(k, _)| k.as_str()).collect()
    }

    #[test]
    fn drbd_secrets_keep_the_shape_of_the_config() {
        // drbd-utils' tests/v9/man.res and an 8.4 `common` section, one line of net.
        let text = "resource r0 {\n\t  net {\n\t\t\t cram-hmac-alg sha1;\n\t\t\t shared-secret \"FooFunFactory\";\n\t  }\n}\ncommon { net { shared-secret gaeWoor7dawei3Oo; ko-count 0; } }\n# shared-secret \"old\\\"one\";\n";
        let (clean, found) = redact(text, &[]);
        assert_eq!(
            clean,
            "resource r0 {\n\t  net {\n\t\t\t cram-hmac-alg sha1;\n\t\t\t shared-secret \"REDACTED\";\n\t  }\n}\ncommon { net { shared-secret REDACTED; ko-count 0; } }\n# shared-secret \"REDACTED\";\n"
        );
        let values: Vec<&str> = found.iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(values, ["FooFunFactory", "gaeWoor7dawei3Oo", "old\\\"one"]);
        // drbdsetup's command line, as drbdadm -d prints it.
        let (clean, found) = redact(
            "drbdsetup new-peer r0 1 --_name=bob --shared-secret=EIUhGoz9e+FUY+XB/wX3 --protocol=C\n",
            &[],
        );
        assert_eq!(
            clean,
            "drbdsetup new-peer r0 1 --_name=bob --shared-secret=REDACTED --protocol=C\n"
        );
        assert_eq!(keys(&found), ["shared-secret"]);
    }

    #[test]
    fn secret_sounding_names_in_any_case_and_place() {
        let text = "XCB_ROLE=replica\nXCB_MASTER=10.0.0.1\nXCB_PASSWORD=hunter2hunter2\nexport XCB_API_TOKEN=\"tok en\" # c\n  db_pass = 'pw x'\n#Auth_Key=old secret\nMONKEY=\nXCB_PEER_PIN=4321\n";
        let (clean, found) = redact(text, &["xcb_peer_pin".to_string()]);
        assert_eq!(
            clean,
            "XCB_ROLE=replica\nXCB_MASTER=10.0.0.1\nXCB_PASSWORD=REDACTED\nexport XCB_API_TOKEN=\"REDACTED\" # c\n  db_pass = 'REDACTED'\n#Auth_Key=REDACTED\nMONKEY=\nXCB_PEER_PIN=REDACTED\n"
        );
        assert_eq!(
            keys(&found),
            [
                "XCB_PASSWORD",
                "XCB_API_TOKEN",
                "db_pass",
                "Auth_Key",
                "XCB_PEER_PIN"
            ]
        );
        for key in ["XCB_ROLE", "XCB_MASTER"] {
            assert_eq!(
                crate::world::envfile::value(&clean, key),
                crate::world::envfile::value(text, key)
            );
        }
        assert_eq!(
            crate::world::envfile::value(&clean, "XCB_PASSWORD").as_deref(),
            Some(PLACEHOLDER)
        );
        // Mid-line: an fstab's options, a URL's query; a value quoted over two lines.
        let (clean, _) = redact(
            "//srv/s /mnt cifs user=u,password=pw1,uid=0 0 0\nGET /x?token=abc&y=1\nAUTH=\"a\nb\"\nkey\n",
            &[],
        );
        assert_eq!(
            clean,
            "//srv/s /mnt cifs user=u,password=REDACTED,uid=0 0 0\nGET /x?token=REDACTED&y=1\nAUTH=\"REDACTED\"\nkey\n"
        );
        // Nothing secret: the text as it was, nothing found.
        let plain = "lo=lo\neth0=eth0\nkey word\n";
        assert_eq!(redact(plain, &[]), (plain.to_string(), Vec::new()));
    }

    /// A shipped check that reads a setting the rules redact would judge REDACTED on
    /// replay: none may (XCB_ROLE, XCB_MASTER are read; neither sounds secret).
    #[test]
    fn no_shipped_check_reads_a_redacted_setting() {
        fn keys(v: &toml::Value, out: &mut Vec<String>) {
            match v {
                toml::Value::Table(t) => {
                    for (k, v) in t {
                        match (k.as_str(), v) {
                            ("key", toml::Value::String(s)) => out.push(s.clone()),
                            _ => keys(v, out),
                        }
                    }
                }
                toml::Value::Array(a) => a.iter().for_each(|v| keys(v, out)),
                _ => {}
            }
        }
        let mut read = Vec::new();
        for text in [
            include_str!("../../checks/boot.toml"),
            include_str!("../../checks/image.toml"),
        ] {
            keys(&text.parse::<toml::Table>().unwrap().into(), &mut read);
        }
        assert!(read.contains(&"XCB_MASTER".to_string()), "{read:?}");
        for key in read {
            let (_, found) = redact(&format!("{key}=value\n"), &[]);
            assert!(
                found.is_empty(),
                "a shipped check reads {key}, which is redacted"
            );
        }
    }

    #[test]
    fn scrub_replaces_long_enough_values_longest_first() {
        let secrets = [
            "abc".to_string(),
            "s3cr3t".to_string(),
            "s3cr3tlonger".to_string(),
            "é-ü-ö".to_string(),
        ];
        assert_eq!(
            scrub("x=s3cr3tlonger y=s3cr3t z=abc ä=é-ü-ö", &secrets),
            "x=REDACTED y=REDACTED z=abc ä=REDACTED"
        );
    }
}
