//! Units of an image tree resolved the way systemd 252's manager resolves them at boot:
//! reading the tree, nothing decided here. What is followed, with where systemd does it
//! (v252 sources, as Debian 12 ships them):
//!
//! - The unit search path, most important first (`lookup_paths_init()` in
//!   src/basic/path-lookup.c; the order `systemd-analyze unit-paths` prints on Debian 12,
//!   whose `SYSTEM_DATA_UNIT_DIR` is /lib/systemd/system). A folder reached twice
//!   (/lib -> usr/lib on a merged-/usr image) counts once, at its first place.
//! - Names (`unit_file_build_name_map()` in src/basic/unit-file.c): the first folder with
//!   an entry of a name decides it. A regular file is the unit file. A symlink whose
//!   target lies in a search folder and has another name is an alias (of the same type;
//!   a template only to a template), one with the same name is ignored (a "self-alias":
//!   the next folder decides), one pointing outside the search path is a linked unit
//!   file. Aliases are followed at most 8 hops (`FOLLOW_MAX`); an instance with no file
//!   of its own uses its template's (`unit_file_find_fragment()`).
//! - Masks (`null_or_empty_path()`): a unit file that is, or links to, /dev/null
//!   (absolute or relative, `../../../dev/null`, resolved inside the root), an empty
//!   regular file, or a device node.
//! - A unit's names: its own, every alias pointing to it, and its fragment's name with
//!   that one's aliases (`add_names()`), with an instance's name carried over to aliases
//!   of its template.
//! - Drop-ins (`unit_file_find_dirs()` and `unit_file_find_dropin_paths()` in
//!   src/shared/dropin.c): for every name, in every search folder, `NAME.d/`, the
//!   template's `foo@.service.d/` for an instance, the dash prefixes' (`foo-.service.d/`
//!   for foo-bar.service), and last the type's `service.d/`. The `*.conf` files of all of
//!   them apply in file-name order; of files with the same name, the one in the more
//!   important folder wins (systemd.unit(5): /etc over /run over /usr/lib), and one that
//!   is empty or links to /dev/null masks the name. `.requires/` and `.wants/` folders
//!   are found the same way (src/core/load-dropin.c).
//!
//! Every read is bounded: folder listings, file sizes, link hops and the prefix walk.

use super::unit_file::{self, Deps};
use crate::world::read::FileKind;
// `lexical`: `.` and `..` taken as names, as systemd's `chase_symlinks(CHASE_NOFOLLOW)`
// cleans a link target.
use crate::world::root::{GlobError, Root, lexical};
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};

/// The system manager's unit search path on Debian 12, most important first. In an image
/// /run is normally empty, and /lib is usually a link to usr/lib.
pub const SEARCH_PATH: &[&str] = &[
    "/etc/systemd/system.control",
    "/run/systemd/system.control",
    "/run/systemd/transient",
    "/run/systemd/generator.early",
    "/etc/systemd/system",
    "/etc/systemd/system.attached",
    "/run/systemd/system",
    "/run/systemd/system.attached",
    "/run/systemd/generator",
    "/usr/local/lib/systemd/system",
    "/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/run/systemd/generator.late",
];

/// Unit files and drop-ins are small; a larger one is not read.
pub const MAX_UNIT_BYTES: usize = 256 << 10;
/// Entries read from one search folder (Debian's /lib/systemd/system holds a few hundred).
const MAX_DIR_ENTRIES: usize = 16384;
/// Files read from one drop-in or dependency folder.
const MAX_DROPINS: usize = 1024;
/// Alias hops (`FOLLOW_MAX` in src/basic/unit-file.c).
const FOLLOW_MAX: usize = 8;
/// Symlink hops when looking for /dev/null (the kernel's ELOOP limit).
const MAX_HOPS: usize = 40;
/// systemd's unit name limit (`UNIT_NAME_MAX`).
const UNIT_NAME_MAX: usize = 255;

const UNIT_TYPES: &[&str] = &[
    "service",
    "socket",
    "target",
    "device",
    "mount",
    "automount",
    "swap",
    "timer",
    "path",
    "slice",
    "scope",
];

/// What a name leads to in the tree, before aliases are followed.
#[derive(Debug, Clone)]
enum UnitEntry {
    /// A unit file (or a linked one, to be followed): its in-image path.
    File(PathBuf),
    /// An alias: another name.
    Alias(String),
}

/// How a unit loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Loaded,
    /// Masked by this file (a link to /dev/null, an empty file, a device node).
    Masked(PathBuf),
    /// No unit file for any of its names (or an alias or link that leads nowhere).
    NotFound,
}

/// A unit as the manager would load it.
#[derive(Debug, Clone)]
pub struct Unit {
    /// The name asked for.
    pub name: String,
    /// Every name of the unit, the one asked for first.
    pub names: Vec<String>,
    pub state: State,
    /// The unit file used (the entry in the search folder, a link or a file).
    pub fragment: Option<PathBuf>,
    /// Drop-ins applied, in the order systemd applies them.
    pub dropins: Vec<PathBuf>,
    /// What the unit file and its drop-ins say.
    pub deps: Deps,
    /// Units linked from its `.requires/` folders.
    pub requires_links: Vec<String>,
}

impl Unit {
    pub fn has_name(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }
}

/// The search folders of one tree and the names in them.
pub struct Units<'r> {
    root: &'r Root,
    /// The search folders that exist, as listed in `SEARCH_PATH` (in-image).
    dirs: Vec<PathBuf>,
    /// Entries of each folder: (folder, name, lstat kind).
    listing: Vec<(PathBuf, String, FileKind)>,
    ids: BTreeMap<String, UnitEntry>,
}

impl<'r> Units<'r> {
    /// Lists the search folders of `root` and maps every unit name in them.
    pub fn read(root: &'r Root) -> Result<Self, GlobError> {
        let mut dirs = Vec::new();
        let mut seen = BTreeSet::new();
        for dir in SEARCH_PATH {
            let dir = PathBuf::from(dir);
            match root.resolve(&dir, true) {
                Ok(real) => {
                    let is_dir = root.stat(&dir).is_ok_and(|st| st.kind == FileKind::Dir);
                    if is_dir && seen.insert(real) {
                        dirs.push(dir);
                    }
                }
                Err(e) if absent(&e) => {}
                Err(source) => return Err(GlobError { path: dir, source }),
            }
        }
        let mut units = Units {
            root,
            dirs,
            listing: Vec::new(),
            ids: BTreeMap::new(),
        };
        for dir in units.dirs.clone() {
            let names = match root.read_dir(&dir, MAX_DIR_ENTRIES) {
                Ok(names) => names,
                Err(e) if absent(&e) => continue,
                Err(source) => return Err(GlobError { path: dir, source }),
            };
            for name in names {
                let path = dir.join(&name);
                let Ok(st) = root.lstat(&path) else {
                    continue;
                };
                units.listing.push((dir.clone(), name.clone(), st.kind));
                if !valid_name(&name) || units.ids.contains_key(&name) {
                    continue;
                }
                let entry = match st.kind {
                    FileKind::File => Some(UnitEntry::File(path)),
                    FileKind::Symlink => units.symlink_entry(&dir, &name),
                    // A device node named like a unit masks it; a folder is no unit.
                    FileKind::CharDevice | FileKind::BlockDevice => Some(UnitEntry::File(path)),
                    _ => None,
                };
                if let Some(entry) = entry {
                    units.ids.insert(name, entry);
                }
            }
        }
        Ok(units)
    }

    /// `unit_file_resolve_symlink()`: an alias when the target (made absolute against
    /// the link's folder, `..` taken lexically) is in a search folder under another
    /// name; a linked unit file when it is outside them; nothing for a self-alias or an
    /// alias systemd rejects.
    fn symlink_entry(&self, dir: &Path, name: &str) -> Option<UnitEntry> {
        let target = self.root.read_link(&dir.join(name)).ok()?;
        let target = lexical(&dir.join(target));
        if !SEARCH_PATH.iter().any(|d| target.starts_with(d)) {
            return Some(UnitEntry::File(dir.join(name)));
        }
        let target_name = target.file_name()?.to_str()?.to_string();
        if target_name == name || !alias_allowed(name, &target_name) {
            return None;
        }
        Some(UnitEntry::Alias(target_name))
    }

    /// `unit_ids_map_get()`: follows aliases to a unit file, switching from an instance
    /// to its template where the instance has no entry. The final name and the file.
    fn fragment_of(&self, name: &str) -> Option<(String, PathBuf)> {
        let mut id = name.to_string();
        for _ in 0..FOLLOW_MAX {
            let entry = match self.ids.get(&id) {
                Some(e) => e,
                None => self.ids.get(&template_of(&id)?)?,
            };
            match entry {
                UnitEntry::File(path) => return Some((id, path.clone())),
                UnitEntry::Alias(next) => id = with_instance(next, &id),
            }
        }
        None
    }

    /// Loads `name` as the manager would: its unit file (or its template's), its names,
    /// drop-ins and `.requires/` links.
    pub fn load(&self, name: &str) -> Result<Unit, GlobError> {
        let found = self
            .fragment_of(name)
            .or_else(|| self.fragment_of(&template_of(name)?));
        let names = self.names_of(name, found.as_ref().map(|(_, p)| p.as_path()));
        let mut unit = Unit {
            name: name.to_string(),
            names,
            state: State::NotFound,
            fragment: None,
            dropins: Vec::new(),
            deps: Deps::default(),
            requires_links: Vec::new(),
        };
        let Some((_, fragment)) = found else {
            return Ok(unit);
        };
        unit.fragment = Some(fragment.clone());
        match self.chase(&fragment) {
            Chased::Masked(by) => {
                unit.state = State::Masked(by);
                return Ok(unit);
            }
            Chased::Missing => return Ok(unit),
            Chased::File => unit.state = State::Loaded,
        }
        unit.deps = self.parse(&fragment);
        // Drop-ins by file name; the first (most important) folder's file wins.
        let mut by_name: BTreeMap<String, PathBuf> = BTreeMap::new();
        for dir in self.folders(&unit.names, ".d") {
            for file in self.entries(&dir)? {
                // Files and links only (`dirent_is_file_with_suffix()`): a folder named
                // x.conf hides nothing.
                let path = dir.join(&file);
                let is_file = self
                    .root
                    .lstat(&path)
                    .is_ok_and(|st| !matches!(st.kind, FileKind::Dir));
                if file.ends_with(".conf") && is_file {
                    by_name.entry(file).or_insert(path);
                }
            }
        }
        for path in by_name.into_values() {
            if let Chased::File = self.chase(&path) {
                unit.deps.add(self.parse(&path));
                unit.dropins.push(path);
            }
        }
        for dir in self.folders(&unit.names, ".requires") {
            for link in self.entries(&dir)? {
                if !unit.requires_links.contains(&link) {
                    unit.requires_links.push(link);
                }
            }
        }
        Ok(unit)
    }

    /// The names of the unit `name` is (`add_names()` in src/basic/unit-file.c): itself,
    /// every alias of it, and its fragment's name with that one's aliases.
    fn names_of(&self, name: &str, fragment: Option<&Path>) -> Vec<String> {
        let mut names = vec![name.to_string()];
        let add = |n: String, names: &mut Vec<String>| {
            if !names.contains(&n) {
                names.push(n);
            }
        };
        let base = fragment
            .and_then(Path::file_name)
            .and_then(|n| n.to_str())
            .map(|n| with_instance(n, name));
        if let Some(base) = base {
            add(base, &mut names);
        }
        // Every other name that leads to the same unit file is an alias of it.
        let mine = self
            .fragment_of(name)
            .map(|(_, p)| p)
            .or(fragment.map(Path::to_path_buf));
        for (alias, entry) in &self.ids {
            if !matches!(entry, UnitEntry::Alias(_)) {
                continue;
            }
            let alias = if is_template(alias) && instance_of(name).is_some() {
                with_instance(alias, name)
            } else {
                alias.clone()
            };
            if names.contains(&alias) {
                continue;
            }
            let same = self.fragment_of(&alias).map(|(_, p)| p);
            if same.is_some() && same == mine {
                add(alias, &mut names);
            }
        }
        names
    }

    /// The folders `NAME<suffix>` that apply to a unit with `names`, in precedence
    /// order: for each search folder, each name's own, its template's and its dash
    /// prefixes'; then the type's (`service.d`) in each search folder. systemd walks the
    /// names outermost, in its hash set's order, so which of two same-named drop-ins
    /// under two names of one unit wins is not defined there; this takes the folder's
    /// rank first, as systemd.unit(5) states the rule (/etc over /run over /usr/lib),
    /// and is systemd's own order for a unit of one name.
    fn folders(&self, names: &[String], suffix: &str) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = Vec::new();
        for dir in &self.dirs {
            for name in names {
                for folder in hierarchy(name) {
                    let path = dir.join(format!("{folder}{suffix}"));
                    if !out.contains(&path) {
                        out.push(path);
                    }
                }
            }
        }
        if let Some(kind) = names
            .first()
            .and_then(|n| n.rsplit_once('.'))
            .map(|(_, k)| k)
        {
            for dir in &self.dirs {
                out.push(dir.join(format!("{kind}{suffix}")));
            }
        }
        out
    }

    /// Names in a folder of the tree; none when it is not there.
    fn entries(&self, dir: &Path) -> Result<Vec<String>, GlobError> {
        match self.root.read_dir(dir, MAX_DROPINS) {
            Ok(names) => Ok(names),
            Err(e) if absent(&e) => Ok(Vec::new()),
            Err(source) => Err(GlobError {
                path: dir.to_path_buf(),
                source,
            }),
        }
    }

    /// What a unit file or drop-in says; one that cannot be read says nothing.
    fn parse(&self, path: &Path) -> Deps {
        unit_file::parse(
            &self
                .root
                .read_text(path, MAX_UNIT_BYTES)
                .unwrap_or_default(),
        )
    }

    /// Follows `path`'s links inside the root (at most `MAX_HOPS`), to see whether it is
    /// /dev/null, empty, a device (masked), missing, or a file. /dev/null is recognised
    /// by name: an image's /dev is empty, as systemd's `null_or_empty_path_with_root()`
    /// expects under a root.
    fn chase(&self, path: &Path) -> Chased {
        let mut at = path.to_path_buf();
        for _ in 0..MAX_HOPS {
            if at == Path::new("/dev/null") {
                return Chased::Masked(path.to_path_buf());
            }
            let Ok(st) = self.root.lstat(&at) else {
                return Chased::Missing;
            };
            match st.kind {
                FileKind::Symlink => {
                    let Ok(target) = self.root.read_link(&at) else {
                        return Chased::Missing;
                    };
                    let parent = at.parent().unwrap_or(Path::new("/"));
                    let parent = self
                        .root
                        .resolve(parent, true)
                        .unwrap_or_else(|_| parent.to_path_buf());
                    at = lexical(&parent.join(target));
                }
                FileKind::File if st.size == 0 => return Chased::Masked(path.to_path_buf()),
                FileKind::File => return Chased::File,
                FileKind::CharDevice | FileKind::BlockDevice => {
                    return Chased::Masked(path.to_path_buf());
                }
                _ => return Chased::Missing,
            }
        }
        Chased::Missing
    }

    /// Links named after any of `names` in a `.wants/` or `.requires/` folder of any
    /// search folder: what pulls the unit in when another starts (enablement).
    pub fn pulled_in_by(&self, names: &[String]) -> Vec<PathBuf> {
        self.listing
            .iter()
            .filter(|(_, n, kind)| {
                matches!(kind, FileKind::Dir | FileKind::Symlink)
                    && (n.ends_with(".wants") || n.ends_with(".requires"))
            })
            .flat_map(|(dir, folder, _)| {
                names
                    .iter()
                    .map(move |n| dir.join(folder).join(n))
                    .filter(|p| self.root.lstat(p).is_ok())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Names of units in the tree that may require `gate`: folders `UNIT.requires/`
    /// holding it, drop-in folders `UNIT.d/` with a `*.conf` that requires it (a type's
    /// or dash prefix's folder names no unit), unit files that require it. Templates
    /// stay templates: every instance gets what they say.
    pub fn requiring(&self, gate: &Unit) -> Result<Vec<String>, GlobError> {
        let mut found: Vec<String> = Vec::new();
        let mut add = |n: &str| {
            if !gate.has_name(n) && !found.iter().any(|f| f == n) {
                found.push(n.to_string());
            }
        };
        let says_requires =
            |path: &Path| self.parse(path).requires.iter().any(|u| gate.has_name(u));
        for (dir, folder, kind) in &self.listing {
            if !matches!(kind, FileKind::Dir | FileKind::Symlink) {
                continue;
            }
            if let Some(unit) = folder.strip_suffix(".requires") {
                if valid_name(unit) {
                    let entries = self.entries(&dir.join(folder))?;
                    if entries.iter().any(|e| gate.has_name(e)) {
                        add(unit);
                    }
                }
            } else if let Some(unit) = folder.strip_suffix(".d") {
                if valid_name(unit) && !unit.contains("-.") && !unit.contains("-@") {
                    let path = dir.join(folder);
                    for file in self.entries(&path)? {
                        if file.ends_with(".conf") && says_requires(&path.join(&file)) {
                            add(unit);
                        }
                    }
                }
            }
        }
        for (name, entry) in &self.ids {
            if let UnitEntry::File(path) = entry {
                if name.ends_with(".service") && says_requires(path) {
                    add(name);
                }
            }
        }
        // One unit under several names is one HA unit: keep the first name of each.
        let mut units: Vec<(String, Vec<String>)> = Vec::new();
        for name in found {
            if units.iter().any(|(_, names)| names.contains(&name)) {
                continue;
            }
            let loaded = self.load(&name)?;
            units.push((name, loaded.names));
        }
        Ok(units.into_iter().map(|(n, _)| n).collect())
    }

    /// Where a unit of this name would be looked for, for a report.
    pub fn searched(&self) -> String {
        self.dirs
            .iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Where a unit file or drop-in's links end.
enum Chased {
    Masked(PathBuf),
    Missing,
    File,
}

fn absent(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound
        || matches!(
            e.raw_os_error(),
            Some(nix::libc::ENOTDIR) | Some(nix::libc::ELOOP)
        )
}

/// `unit_name_is_valid(UNIT_NAME_ANY)`: a prefix of allowed characters, at most one
/// `@`, a known type.
pub fn valid_name(name: &str) -> bool {
    let Some((stem, kind)) = name.rsplit_once('.') else {
        return false;
    };
    name.len() <= UNIT_NAME_MAX
        && UNIT_TYPES.contains(&kind)
        && !stem.is_empty()
        && !stem.starts_with('@')
        && stem.matches('@').count() <= 1
        && stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ":-_.\\@".contains(c))
}

pub fn is_template(name: &str) -> bool {
    name.split_once('@')
        .is_some_and(|(_, rest)| rest.starts_with('.'))
}

/// The instance of `foo@bar.service`: `bar`.
fn instance_of(name: &str) -> Option<&str> {
    let (_, rest) = name.split_once('@')?;
    let (inst, _) = rest.rsplit_once('.')?;
    (!inst.is_empty()).then_some(inst)
}

/// `foo@.service` for `foo@bar.service`.
pub fn template_of(name: &str) -> Option<String> {
    let inst = instance_of(name)?;
    let (prefix, _) = name.split_once('@')?;
    let kind = name.rsplit_once('.')?.1;
    (!inst.is_empty()).then(|| format!("{prefix}@.{kind}"))
}

/// `template` with the instance of `like` filled in, when `template` is a template and
/// `like` an instance; else `template` as it is.
fn with_instance(template: &str, like: &str) -> String {
    match (is_template(template), instance_of(like)) {
        (true, Some(inst)) => {
            let (prefix, kind) = template.split_once("@.").unwrap_or((template, ""));
            format!("{prefix}@{inst}.{kind}")
        }
        _ => template.to_string(),
    }
}

/// Plain, template or instance (`UnitNameFlags`).
#[derive(PartialEq, Eq)]
enum NameType {
    Plain,
    Template,
    Instance,
}

fn name_type(name: &str) -> NameType {
    if is_template(name) {
        NameType::Template
    } else if instance_of(name).is_some() {
        NameType::Instance
    } else {
        NameType::Plain
    }
}

/// `unit_validate_alias_symlink_or_warn()`: an alias has its target's type and kind of
/// name, except that an instance may alias a template; two instances share theirs.
fn alias_allowed(name: &str, target: &str) -> bool {
    let kind = |n: &str| n.rsplit_once('.').map(|(_, k)| k.to_string());
    let (a, b) = (name_type(name), name_type(target));
    valid_name(target)
        && kind(name) == kind(target)
        && (a == b || (a == NameType::Instance && b == NameType::Template))
        && (a != NameType::Instance
            || b != NameType::Instance
            || instance_of(name) == instance_of(target))
}

/// The names whose drop-in folders apply to `name`, most specific first, as
/// `unit_file_find_dirs()` walks them: the name, its template, then each dash prefix
/// (`foo-bar-.service`, `foo-.service`, each with its template for an instance).
pub fn hierarchy(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut next = Some(name.to_string());
    // Each step drops at least one character of the prefix: bounded by the name's length.
    for _ in 0..=UNIT_NAME_MAX {
        let Some(current) = next.take() else {
            break;
        };
        out.push(current.clone());
        if let Some(t) = template_of(&current) {
            out.push(t);
        }
        next = dash_parent(&current);
    }
    out
}

/// `foo-bar-.service` for `foo-bar-baz.service`, `foo-.service` for `foo-bar-.service`
/// (a trailing dash is chopped once), none for `foo.service` or `-foo.service`.
fn dash_parent(name: &str) -> Option<String> {
    let (stem, kind) = name.rsplit_once('.')?;
    let (prefix, inst) = match stem.split_once('@') {
        Some((p, i)) => (p, Some(i)),
        None => (stem, None),
    };
    let mut prefix = prefix;
    let mut chopped = false;
    let cut = loop {
        let dash = prefix.rfind('-')?;
        if dash == 0 {
            return None;
        }
        if dash + 1 < prefix.len() || chopped {
            break &prefix[..=dash];
        }
        prefix = &prefix[..dash];
        chopped = true;
    };
    Some(match inst {
        Some(i) => format!("{cut}@{i}.{kind}"),
        None => format!("{cut}.{kind}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drop_in_hierarchy_follows_unit_file_find_dirs() {
        assert_eq!(
            hierarchy("foo-bar-baz.service"),
            ["foo-bar-baz.service", "foo-bar-.service", "foo-.service"]
        );
        assert_eq!(
            hierarchy("drbd@r0.service"),
            ["drbd@r0.service", "drbd@.service"]
        );
        assert_eq!(
            hierarchy("foo-bar@x.service"),
            [
                "foo-bar@x.service",
                "foo-bar@.service",
                "foo-@x.service",
                "foo-@.service"
            ]
        );
        assert_eq!(hierarchy("-foo.service"), ["-foo.service"]);
    }

    #[test]
    fn names() {
        assert!(valid_name("drbd@r0.service") && valid_name("drbd@.service"));
        assert!(!valid_name("multi-user.target.wants") && !valid_name("x.conf"));
        assert_eq!(
            template_of("drbd@r0.service").as_deref(),
            Some("drbd@.service")
        );
        assert_eq!(template_of("drbd@.service"), None);
        assert_eq!(
            with_instance("ha@.service", "drbd@r0.service"),
            "ha@r0.service"
        );
        assert!(alias_allowed("ha.service", "pacemaker.service"));
        assert!(!alias_allowed("ha.service", "pacemaker.socket"));
        assert!(!alias_allowed("ha@.service", "pacemaker.service"));
        assert_eq!(
            lexical(Path::new("/etc/systemd/system/../../../dev/null")),
            Path::new("/dev/null")
        );
    }
}
