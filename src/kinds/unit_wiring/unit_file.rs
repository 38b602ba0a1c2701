//! The dependency directives of a systemd unit file, as systemd reads them: only the
//! `[Unit]` section, `#` and `;` comments, a backslash continuing a line, and several
//! names to a line. A dependency list cannot be reset by an empty assignment
//! (systemd.unit(5): "Dependencies (After=, etc.) cannot be reset to an empty list"),
//! so drop-ins only ever add to it, and reading is a plain union. systemd 252's parser
//! agrees: `config_parse_unit_deps()` (src/core/load-fragment.c) adds each word and has
//! no branch for an empty value, unlike the lists that reset (`ExecStart=`).

/// The dependencies one unit file (or drop-in) adds.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Deps {
    /// `Requires=` and `BindsTo=`: started with this unit, and stopping it if they fail.
    pub requires: Vec<String>,
    pub after: Vec<String>,
    pub before: Vec<String>,
}

impl Deps {
    pub fn add(&mut self, other: Deps) {
        self.requires.extend(other.requires);
        self.after.extend(other.after);
        self.before.extend(other.before);
    }
}

pub fn parse(text: &str) -> Deps {
    let mut deps = Deps::default();
    let mut in_unit = false;
    let mut pending = String::new();
    for raw in text.lines() {
        let line = raw.trim();
        if pending.is_empty() && (line.starts_with('#') || line.starts_with(';')) {
            continue;
        }
        if let Some(cut) = line.strip_suffix('\\') {
            pending.push_str(cut);
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        let logical = std::mem::take(&mut pending);
        let logical = logical.trim();
        if logical.starts_with('[') {
            in_unit = logical == "[Unit]";
            continue;
        }
        if !in_unit {
            continue;
        }
        let Some((key, value)) = logical.split_once('=') else {
            continue;
        };
        let list = match key.trim() {
            "Requires" | "BindsTo" => &mut deps.requires,
            "After" => &mut deps.after,
            "Before" => &mut deps.before,
            _ => continue,
        };
        list.extend(value.split_whitespace().map(str::to_string));
    }
    deps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_only_the_unit_section_with_continuations() {
        let text = "\
# Requires=commented.service
[Unit]
Description=x
Requires=a.service \\
  b.service
BindsTo=c.service
After=a.service
; After=commented.service
Before=d.service

[Service]
Requires=not-a-unit-dependency.service
[Install]
RequiredBy=ha.service
";
        let deps = parse(text);
        assert_eq!(deps.requires, ["a.service", "b.service", "c.service"]);
        assert_eq!(deps.after, ["a.service"]);
        assert_eq!(deps.before, ["d.service"]);
    }

    /// An empty `Requires=` (in a drop-in, say) resets nothing: systemd.unit(5),
    /// "Dependencies (After=, etc.) cannot be reset to an empty list".
    #[test]
    fn an_empty_assignment_resets_no_dependency() {
        let mut deps = parse("[Unit]\nRequires=ha-preflight.service\nAfter=ha-preflight.service\n");
        deps.add(parse("[Unit]\nRequires=\nAfter=\n"));
        assert_eq!(deps.requires, ["ha-preflight.service"]);
        assert_eq!(deps.after, ["ha-preflight.service"]);
    }
}
