//! Finding and parsing spec files, layered as systemd layers its unit directories.
//!
//! The default spec is three layers, lowest first: the copy of the repository's
//! `checks/` compiled into the binary (so a bare binary dropped on a box still knows what
//! to check), every `*.toml` of `/usr/lib/ha-preflight/checks.d/` (vendor), then of
//! `/etc/ha-preflight/checks.d/` (admin). A file of the same name in a higher layer
//! replaces the lower one whole. Within what is left, a higher layer's `[[check]]` whose
//! id a lower layer defines replaces that check, a `[[change]]` sets some keys of one
//! check without copying it, a `[[remove]]` takes one out with a reason. Every one of
//! these is written down in [`Spec::overlay`], so that `--version`, `list` and every
//! report can say what the layers did: nothing is dropped silently. Files are read in
//! name order within their layer; ids stay unique within one layer.

use super::{Check, FileEntry, Note, NoteKind, Spec, When, graph};
use crate::config::{Params, RawTable, SpecError, SpecText, document};
use crate::kinds::{self, KINDS};
use crate::model::{Mode, Severity};
use crate::world::read::FileKind;
use crate::world::root::Root;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use toml::Spanned;

pub const VENDOR_DIR: &str = "/usr/lib/ha-preflight/checks.d";
pub const ADMIN_DIR: &str = "/etc/ha-preflight/checks.d";

/// The layers' names, as `--version`, `list` and the bundle's member names give them.
pub const BUILT_IN: &str = "built-in";
pub const VENDOR: &str = "vendor";
pub const ADMIN: &str = "admin";

/// The spec compiled into the binary: the repository's `checks/` folder.
const BUILTIN: &[(&str, &str)] = &[
    ("boot.toml", include_str!("../../checks/boot.toml")),
    ("image.toml", include_str!("../../checks/image.toml")),
];

/// The built-in layer: `checks/*.toml` as compiled in.
fn built_in_layer() -> Layer {
    let sources = BUILTIN
        .iter()
        .map(|(name, text)| {
            SpecText::new(
                PathBuf::from(format!("built-in:{name}")),
                (*text).to_string(),
            )
        })
        .collect();
    Layer::new(BUILT_IN, sources)
}

/// The built-in spec alone, as a box without vendor or admin layers has it: what the
/// in-process kind tests (`testing::shipped`) run the shipped checks from.
pub fn built_in() -> Result<Spec, SpecError> {
    parse_layers(&[built_in_layer()])
}

/// Spec files are small; a larger one is a mistake, not something to read into memory.
const MAX_SPEC_BYTES: usize = 1 << 20;

/// Where to load the spec from.
#[derive(Debug, Clone)]
pub enum Location {
    /// `--spec PATH`: a file, or a directory of `*.toml`; one layer, the whole spec.
    Path(PathBuf),
    /// The built-in, vendor and admin layers of the target's root (in image mode, the
    /// image's own, read confined to the image).
    Default,
    /// Spec files already read, each with the name it is shown by: a support bundle's.
    /// A file named `vendor@NAME` or `admin@NAME` is of that layer (see [`member_name`]),
    /// any other of the lowest.
    Texts(Vec<(PathBuf, String)>),
}

/// One layer of the spec: its files in the order they are read.
#[derive(Debug, Clone)]
pub struct Layer {
    pub name: &'static str,
    pub sources: Vec<SpecText>,
    /// Lower layers' files that a file of this one replaces by name.
    pub shadowed: Vec<Shadowed>,
}

/// A lower layer's file that a higher layer's file of the same name replaces.
#[derive(Debug, Clone)]
pub struct Shadowed {
    pub file: SpecText,
    pub layer: &'static str,
    /// The path of the file replacing it.
    pub by: PathBuf,
}

impl Layer {
    fn new(name: &'static str, sources: Vec<SpecText>) -> Layer {
        Layer {
            name,
            sources,
            shadowed: Vec::new(),
        }
    }
}

/// Loads the spec. `root` is the target's root: the default directories are looked up in
/// it, so an image is checked with the spec it ships.
pub fn load(location: &Location, root: &Root) -> Result<Spec, SpecError> {
    parse_layers(&layers(location, root)?)
}

/// The name a support bundle gives a spec file in its `spec/` folder: the file's own for
/// the lowest layer, `LAYER@NAME` above it, so that a replay layers the files as the box
/// did (an admin's check that replaces a built-in one by id is no duplicate there).
pub fn member_name(layer: usize, layers: &[Layer], path: &Path) -> String {
    // "built-in:boot.toml" is the compiled-in copy: its name is boot.toml.
    let name = path
        .file_name()
        .map_or_else(|| "spec.toml".into(), |n| n.to_string_lossy().into_owned());
    let name = name.rsplit(':').next().unwrap_or("spec.toml").to_string();
    match layers.get(layer) {
        Some(l) if layer > 0 => format!("{}@{name}", l.name),
        _ => name,
    }
}

/// Reads the spec files `load` would parse, layer by layer, for a support bundle to
/// carry.
pub fn layers(location: &Location, root: &Root) -> Result<Vec<Layer>, SpecError> {
    Ok(match location {
        Location::Texts(texts) => {
            let mut layers = vec![
                Layer::new("bundle", Vec::new()),
                Layer::new(VENDOR, Vec::new()),
                Layer::new(ADMIN, Vec::new()),
            ];
            for (path, text) in texts {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let at = match name.split_once('@') {
                    Some((VENDOR, _)) => 1,
                    Some((ADMIN, _)) => 2,
                    _ => 0,
                };
                layers[at]
                    .sources
                    .push(SpecText::new(path.clone(), text.clone()));
            }
            layers.retain(|l| !l.sources.is_empty());
            layers
        }
        Location::Path(path) => {
            let host = Root::open(Path::new("/")).map_err(|source| SpecError::Io {
                path: PathBuf::from("/"),
                source,
            })?;
            let absolute = std::path::absolute(path).map_err(|source| SpecError::Io {
                path: path.clone(),
                source,
            })?;
            let st = host.stat(&absolute).map_err(|source| SpecError::Io {
                path: path.clone(),
                source,
            })?;
            let sources = if st.kind == FileKind::Dir {
                let found = read_dir_sources(&host, &absolute)?;
                if found.is_empty() {
                    return Err(SpecError::File {
                        path: absolute,
                        message: "no *.toml spec files in this directory".into(),
                    });
                }
                found
            } else {
                vec![read_source(&host, &absolute)?]
            };
            vec![Layer::new("--spec", sources)]
        }
        Location::Default => {
            let mut layers = vec![built_in_layer()];
            for (name, dir) in [(VENDOR, VENDOR_DIR), (ADMIN, ADMIN_DIR)] {
                let dir = Path::new(dir);
                // Absent (or not in a bundle's or capture's world): no layer. Present
                // but no directory: a mistake to say, not a layer to skip.
                let sources = match root.stat(dir) {
                    Ok(st) if st.kind == FileKind::Dir => read_dir_sources(root, dir)?,
                    Ok(_) => {
                        return Err(SpecError::File {
                            path: shown(root, dir),
                            message: "not a directory (the spec layer is a directory of *.toml)"
                                .into(),
                        });
                    }
                    Err(_) => Vec::new(),
                };
                layers.push(Layer::new(name, sources));
            }
            shadow(&mut layers);
            layers.retain(|l| !l.sources.is_empty());
            layers
        }
    })
}

/// The name a file is replaced and ordered by: "built-in:boot.toml" and a bundle's
/// "admin@boot.toml" answer to boot.toml.
fn file_name(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = name.rsplit(':').next().unwrap_or_default();
    let name = [VENDOR, ADMIN]
        .iter()
        .find_map(|l| name.strip_prefix(l)?.strip_prefix('@'))
        .unwrap_or(name);
    name.to_string()
}

/// A file of the same name in a higher layer replaces the lower one, as systemd's
/// /etc/systemd/system/x.service replaces /usr/lib/systemd/system/x.service. A lower
/// file with the very same text (a package's copy of the built-in spec) is replaced
/// without a word: nothing changed.
fn shadow(layers: &mut [Layer]) {
    for high in (1..layers.len()).rev() {
        let (lower, upper) = layers.split_at_mut(high);
        let upper = &mut upper[0];
        for source in &upper.sources {
            let name = file_name(&source.path);
            for low in lower.iter_mut() {
                if let Some(i) = low.sources.iter().position(|s| file_name(&s.path) == name) {
                    let gone = low.sources.remove(i);
                    if gone.text != source.text {
                        upper.shadowed.push(Shadowed {
                            file: gone,
                            layer: low.name,
                            by: source.path.clone(),
                        });
                    }
                }
            }
        }
    }
}

/// Parses one spec file's text as if it had been read from `path`: what `load` does
/// after reading, for callers that hold the text already (the fuzz targets).
pub fn parse_text(path: &Path, text: &str) -> Result<Spec, SpecError> {
    parse_sources(&[SpecText::new(path.to_path_buf(), text.to_string())])
}

/// How a path inside `root` is shown: as the host sees it.
fn shown(root: &Root, path: &Path) -> PathBuf {
    if root.dir == Path::new("/") {
        path.to_path_buf()
    } else {
        root.dir.join(path.strip_prefix("/").unwrap_or(path))
    }
}

/// The `*.toml` files of a directory, in file-name order; none if it does not exist.
fn read_dir_sources(root: &Root, dir: &Path) -> Result<Vec<SpecText>, SpecError> {
    let mut by_name: BTreeMap<String, PathBuf> = BTreeMap::new();
    let names = match root.read_dir(dir, 4096) {
        Ok(names) => names,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(SpecError::Io {
                path: shown(root, dir),
                source,
            });
        }
    };
    for name in names {
        if name.ends_with(".toml") && !name.starts_with('.') {
            by_name.insert(name.clone(), dir.join(&name));
        }
    }
    by_name.values().map(|p| read_source(root, p)).collect()
}

fn read_source(root: &Root, path: &Path) -> Result<SpecText, SpecError> {
    let text = root
        .read_text(path, MAX_SPEC_BYTES)
        .map_err(|e| SpecError::File {
            path: shown(root, path),
            message: e.cause(),
        })?;
    Ok(SpecText::new(shown(root, path), text))
}

/// A parsed check with the positions validation needs.
pub(super) struct Parsed {
    pub check: Check,
    pub source: usize,
    pub id_span: std::ops::Range<usize>,
    pub edges: Vec<Spanned<String>>,
}

/// Parses spec files already read, as one layer.
pub fn parse_sources(sources: &[SpecText]) -> Result<Spec, SpecError> {
    parse_layers(&[Layer::new("--spec", sources.to_vec())])
}

/// A check as the layers have left it so far.
struct Def {
    /// Its table as written, with the keys changes set: what a further change amends.
    table: Spanned<RawTable>,
    parsed: Parsed,
    /// The layer that defined it (a change does not move it).
    layer: usize,
    /// Its defining file, an index into the spec's `layers` entries.
    file: usize,
    /// "FILE:LINE" of the `[[remove]]` that took it out.
    removed: Option<String>,
    /// Where it stands in the written order: its file's name among all files in force,
    /// then its place in the file. A check replaced by id keeps its place.
    order: (usize, usize),
    /// "FILE:LINE" of the changes set in `table` since `parsed` was parsed: a check is
    /// parsed again once, when it is next needed, not once per change (a file of many
    /// changes to one large check would cost a parse of it each).
    pending: Vec<String>,
}

impl Def {
    /// Parses the check again if changes set keys of it since: their mistakes are
    /// errors now, at their places, even if a higher layer replaces the check next.
    fn settle(&mut self, all: &SpecText) -> Result<(), SpecError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut parsed = parse_check(all, self.table.clone())?;
        let old = &self.parsed.check;
        parsed.check.defined_at = old.defined_at.clone();
        parsed.check.changed_by = old.changed_by.clone();
        parsed.check.changed_by.append(&mut self.pending);
        self.parsed = parsed;
        Ok(())
    }
}

/// Parses the layers' files, lowest first (see the module's doc).
pub fn parse_layers(layers: &[Layer]) -> Result<Spec, SpecError> {
    // Every check is parsed from one text, all files one after the other, its spans
    // moved to its file's place there: a change's keys join the check's own table and
    // each error is still placed in the file that wrote it, without a copy per change.
    let files: Vec<&SpecText> = layers.iter().flat_map(|l| l.sources.iter()).collect();
    let (all, offsets) = SpecText::concat(&files);
    let mut offsets = offsets.into_iter();
    let mut defs: Vec<Def> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut notes: Vec<Note> = Vec::new();
    let mut entries: Vec<FileEntry> = Vec::new();
    let mut redact = Vec::new();
    // The written order is by file name across the layers, as systemd orders drop-ins:
    // an admin's copy of boot.toml keeps boot.toml's place.
    let mut names: Vec<String> = layers
        .iter()
        .flat_map(|l| l.sources.iter().map(|s| file_name(&s.path)))
        .collect();
    crate::model::sort::sort(&mut names);
    let rank = |path: &Path| names.partition_point(|n| *n < file_name(path));
    for (li, layer) in layers.iter().enumerate() {
        for lower in &layer.shadowed {
            entries.push(FileEntry {
                layer: lower.layer.to_string(),
                path: lower.file.path.clone(),
                checks: 0,
                changes: 0,
                removes: 0,
                replaced_by: Some(lower.by.clone()),
            });
        }
        for source in &layer.sources {
            let file = document::spec_file(source)?;
            let offset = offsets.next().unwrap_or_default();
            let entry = entries.len();
            entries.push(FileEntry {
                layer: layer.name.to_string(),
                path: source.path.clone(),
                checks: 0,
                changes: file.change.len(),
                removes: file.remove.len(),
                replaced_by: None,
            });
            for (seq, table) in file.check.into_iter().enumerate() {
                let table = moved(table, offset);
                let raw = table.clone();
                let parsed = parse_check(&all, table)?;
                let id = parsed.check.id.clone();
                let def = Def {
                    table: raw,
                    parsed,
                    layer: li,
                    file: entry,
                    removed: None,
                    order: (rank(&source.path), seq),
                    pending: Vec::new(),
                };
                match by_id.get(&id) {
                    Some(&d) if defs[d].layer == li && defs[d].removed.is_none() => {
                        return Err(all.error_at(
                            def.parsed.id_span.clone(),
                            format!(
                                "duplicate check id `{id}` (first defined at {}; a file of a \
                                 higher layer may replace it, one of the same layer may not)",
                                defs[d].parsed.check.defined_at
                            ),
                        ));
                    }
                    Some(&d) => {
                        defs[d].settle(&all)?;
                        let old = &defs[d].parsed.check;
                        notes.push(Note {
                            kind: NoteKind::Replaced,
                            check: Some(id.clone()),
                            by: def.parsed.check.defined_at.clone(),
                            of: old.defined_at.clone(),
                            reason: None,
                            modes: def.parsed.check.modes.clone(),
                        });
                        let order = defs[d].order;
                        defs[d] = Def { order, ..def };
                    }
                    None => {
                        by_id.insert(id, defs.len());
                        defs.push(def);
                    }
                }
            }
            for table in file.change {
                let table = moved(table, offset);
                change(&all, table, &by_id, &mut defs, &mut notes)?;
            }
            for table in file.remove {
                remove(&all, moved(table, offset), &by_id, &mut defs, &mut notes)?;
            }
            if let Some(table) = file.bundle {
                parse_bundle(source, table, &mut redact)?;
            }
        }
    }
    // The checks a replaced file defined that no file in force defines: gone, and said.
    for layer in layers {
        for lower in &layer.shadowed {
            let gone: Vec<String> = ids_in(&lower.file.text)
                .into_iter()
                .filter(|id| !by_id.contains_key(id))
                .collect();
            notes.push(Note {
                kind: NoteKind::FileReplaced,
                check: None,
                by: lower.by.display().to_string(),
                of: lower.file.path.display().to_string(),
                reason: (!gone.is_empty()).then(|| gone.join(", ")),
                modes: Vec::new(),
            });
        }
    }
    for d in defs.iter_mut().filter(|d| d.removed.is_none()) {
        d.settle(&all)?;
    }
    // A change's note goes with the modes the check has after every change.
    for n in notes.iter_mut().filter(|n| n.kind == NoteKind::Changed) {
        if let Some(d) = n.check.as_deref().and_then(|id| by_id.get(id)) {
            n.modes = defs[*d].parsed.check.modes.clone();
        }
    }
    // Where a check was removed, if it was: for the edges that still name it.
    let removed = |id: &str| by_id.get(id).and_then(|&d| defs[d].removed.as_deref());
    for d in defs.iter().filter(|d| d.removed.is_none()) {
        let edge = d
            .parsed
            .edges
            .iter()
            .find_map(|e| Some((e, removed(e.get_ref())?)));
        if let Some((edge, by)) = edge {
            return Err(all.error_at(
                edge.span(),
                format!(
                    "check `{}` is ordered after `{}`, which {by} removes (remove `{}` too, or \
                     change its `requires` and `after`)",
                    d.parsed.check.id,
                    edge.get_ref(),
                    d.parsed.check.id
                ),
            ));
        }
    }
    for d in defs.iter().filter(|d| d.removed.is_none()) {
        entries[d.file].checks += 1;
    }
    crate::model::sort::sort_by_key(&mut defs, |d| d.order);
    let parsed: Vec<Parsed> = defs
        .into_iter()
        .filter(|d| d.removed.is_none())
        .map(|d| d.parsed)
        .collect();
    if parsed.is_empty() {
        let path = files.first().map(|s| s.path.clone()).unwrap_or_default();
        return Err(SpecError::File {
            path,
            message: "the spec defines no checks (a `[[check]]` table is needed)".into(),
        });
    }
    let checks = graph::validate_and_order(std::slice::from_ref(&all), parsed)?;
    // Listed layer by layer, a replaced file among the files of its own layer.
    crate::model::sort::sort_by_key(&mut entries, |e| match e.layer.as_str() {
        VENDOR => 1,
        ADMIN => 2,
        _ => 0,
    });
    Ok(Spec {
        checks,
        files: layers
            .iter()
            .flat_map(|l| l.sources.iter().map(|s| s.path.clone()))
            .collect(),
        redact,
        overlay: notes,
        layers: entries,
    })
}

/// The check ids a file's text defines, read as far as it can be: a replaced file is
/// not in force, and a mistake in it is no error of the spec.
fn ids_in(text: &str) -> Vec<String> {
    let Some(file) = document::spec_file_lenient(text) else {
        return Vec::new();
    };
    file.check
        .iter()
        .filter_map(|t| Some(t.get_ref().get("id")?.get_ref().as_str()?.to_string()))
        .collect()
}

/// The `id` of a `[[change]]` or `[[remove]]`, and the check of the layers so far it
/// names: an unknown (or removed) one is an error at the id.
fn target(
    source: &SpecText,
    what: &str,
    span: std::ops::Range<usize>,
    fields: &mut RawTable,
    by_id: &HashMap<String, usize>,
    defs: &[Def],
) -> Result<usize, SpecError> {
    let Some(id) = fields.remove("id") else {
        return Err(source.error_at(
            span,
            format!("`[[{what}]]` needs the `id` of the check it {what}s"),
        ));
    };
    let name = id.get_ref().as_str().unwrap_or_default();
    match by_id.get(name) {
        Some(&d) if defs[d].removed.is_none() => Ok(d),
        _ => Err(source.error_at(
            id.span(),
            format!(
                "`[[{what}]]` of `{name}`: no such check in the layers below or the files before \
                 this one (see `ha-preflight list`)"
            ),
        )),
    }
}

/// `[[change]] id = "ID"` and keys of a `[[check]]`: those keys of the check set anew,
/// the check is parsed again as a whole before it is used (so a changed key is checked
/// as if written in the check), each error placed in the file that wrote the key.
fn change(
    all: &SpecText,
    table: Spanned<RawTable>,
    by_id: &HashMap<String, usize>,
    defs: &mut [Def],
    notes: &mut Vec<Note>,
) -> Result<(), SpecError> {
    let span = table.span();
    let mut fields = table.into_inner();
    let d = target(all, "change", span.clone(), &mut fields, by_id, defs)?;
    let id = defs[d].parsed.check.id.clone();
    if fields.is_empty() {
        return Err(all.error_at(
            span,
            format!("`[[change]]` of `{id}` changes nothing: add the keys to set, as its `[[check]]` writes them"),
        ));
    }
    if let Some((key, _)) = fields.get_key_value("kind") {
        return Err(all.error_at(
            key.span(),
            format!(
                "`[[change]]` cannot set `kind`: write a whole `[[check]]` with id `{id}` to replace the check"
            ),
        ));
    }
    let keys: Vec<String> = fields
        .keys()
        .map(|k| format!("`{}`", k.get_ref()))
        .collect();
    let def = &mut defs[d];
    let table = def.table.get_mut();
    for (key, value) in fields {
        // Removed first: an equal key inserted would keep the old key's span.
        table.remove(key.get_ref().as_str());
        table.insert(key, value);
    }
    let by = all.place(span.start);
    def.pending.push(by.clone());
    let check = &def.parsed.check;
    notes.push(Note {
        kind: NoteKind::Changed,
        check: Some(id),
        by,
        of: check.defined_at.clone(),
        reason: Some(keys.join(", ")),
        modes: check.modes.clone(),
    });
    Ok(())
}

/// A table of one file, its spans (its own and its keys' and values') moved by
/// `offset`: to where that file's text is in the concatenated whole.
fn moved(table: Spanned<RawTable>, offset: usize) -> Spanned<RawTable> {
    let shift = |r: std::ops::Range<usize>| r.start + offset..r.end + offset;
    let span = shift(table.span());
    let fields = table
        .into_inner()
        .into_iter()
        .map(|(k, v)| {
            (
                Spanned::new(shift(k.span()), k.into_inner()),
                Spanned::new(shift(v.span()), v.into_inner()),
            )
        })
        .collect();
    Spanned::new(span, fields)
}

/// `[[remove]] id = "ID"` and `reason = "..."`: the check taken out, said in every
/// report. The reason is required, as an override's is.
fn remove(
    source: &SpecText,
    table: Spanned<RawTable>,
    by_id: &HashMap<String, usize>,
    defs: &mut [Def],
    notes: &mut Vec<Note>,
) -> Result<(), SpecError> {
    let span = table.span();
    let mut fields = table.into_inner();
    let d = target(source, "remove", span.clone(), &mut fields, by_id, defs)?;
    defs[d].settle(source)?;
    let id = defs[d].parsed.check.id.clone();
    let reason = match fields.remove("reason") {
        Some(r) => match r.get_ref().as_str().map(str::trim) {
            Some(text) if !text.is_empty() => text.to_string(),
            _ => {
                return Err(source.error_at(
                    r.span(),
                    "`reason` must be a string saying why the check is removed",
                ));
            }
        },
        None => {
            return Err(source.error_at(
                span,
                format!("`[[remove]]` of `{id}`: missing `reason` (why the check is removed, for the reports)"),
            ));
        }
    };
    if let Some((key, _)) = fields.iter().next() {
        return Err(source.error_at(
            key.span(),
            format!(
                "unknown key `{}` in `[[remove]]` (the keys here: `id`, `reason`)",
                key.get_ref()
            ),
        ));
    }
    let by = source.place(span.start);
    let check = &defs[d].parsed.check;
    notes.push(Note {
        kind: NoteKind::Removed,
        check: Some(id),
        by: by.clone(),
        of: check.defined_at.clone(),
        reason: Some(reason),
        modes: check.modes.clone(),
    });
    defs[d].removed = Some(by);
    Ok(())
}

/// `[bundle] redact = ["NAME", ...]`: setting names whose values a support bundle must
/// not carry, beyond those `world::redact` knows, added to `into`. Every file's list
/// counts: a layer can add names, never take one back. Read by hand, not with `Params`:
/// one key, and every byte counts in the binary.
fn parse_bundle(
    source: &SpecText,
    table: Spanned<RawTable>,
    into: &mut Vec<String>,
) -> Result<(), SpecError> {
    for (key, value) in table.into_inner() {
        let at = value.span();
        let toml::Value::Array(names) = value.into_inner() else {
            return Err(source.error_at(key.span(), BUNDLE_KEYS));
        };
        if key.get_ref() != "redact" {
            return Err(source.error_at(key.span(), BUNDLE_KEYS));
        }
        for name in names {
            match name.as_str() {
                Some(n)
                    if !n.is_empty()
                        && n.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b)) =>
                {
                    if !into.iter().any(|x| x == n) {
                        into.push(n.to_string());
                    }
                }
                _ => {
                    return Err(source.error_at(
                        at,
                        "`redact`: a list of setting names (letters, digits, `_`, `-`, `.`)",
                    ));
                }
            }
        }
    }
    Ok(())
}

const BUNDLE_KEYS: &str = "`[bundle]` takes one setting: `redact = [\"NAME\", ...]`";

pub(crate) const COMMON: &[&str] = &[
    "id", "kind", "title", "modes", "severity", "after", "requires", "when", "why", "fix",
    "timeout",
];

fn parse_check(source: &SpecText, table: Spanned<RawTable>) -> Result<Parsed, SpecError> {
    let mut p = Params::new(source, table);
    let id_raw = p
        .take_raw("id")
        .ok_or_else(|| p.error_here("missing `id`"))?;
    let id_span = id_raw.span();
    let id = match id_raw.get_ref().as_str() {
        Some(id) if valid_id(id) => id.to_string(),
        _ => {
            return Err(source.error_at(
                id_span,
                "`id` must be a string of lowercase letters, digits and `-`, starting with a letter",
            ));
        }
    };
    let kind_raw = p
        .take_raw("kind")
        .ok_or_else(|| p.error_here(format!("check `{id}`: missing `kind`")))?;
    let kind_name = kind_raw.get_ref().as_str().unwrap_or_default().to_string();
    let Some(kind) = kinds::named(&kind_name) else {
        let names: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
        return Err(source.error_at(
            kind_raw.span(),
            format!(
                "check `{id}`: unknown kind `{kind_name}` (known kinds: {})",
                names.join(", ")
            ),
        ));
    };
    let modes = p
        .words("modes", Mode::WORDS)?
        .ok_or_else(|| p.missing("modes", "a list of boot, image, build-host"))?;
    if modes.is_empty() {
        return Err(p.error_here(format!(
            "check `{id}`: `modes` is empty, so it would never run"
        )));
    }
    let severity = p
        .word("severity", Severity::WORDS)?
        .unwrap_or(Severity::Critical);
    let requires = p.take_ids("requires")?;
    let after = p.take_ids("after")?;
    let when = parse_when(&mut p)?;
    let title = p.string("title")?;
    let why = p.require_string("why", "why the check matters, for `explain`")?;
    let fix = p.require_string("fix", "how to fix a failure, for `explain` and reports")?;
    let timeout = p.take_duration("timeout")?;
    let params = (kind.parse)(&mut p)?;
    if let Some(mode) = modes.iter().find(|m| !kind.modes.contains(m)) {
        return Err(p.error_here(format!(
            "check `{id}`: kind `{kind_name}` cannot run in {mode} mode (it runs in: {})",
            kind.modes
                .iter()
                .map(Mode::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let known: Vec<&str> = COMMON.iter().chain(kind.params).copied().collect();
    p.finish(&kind_name, &known)?;

    let edges: Vec<Spanned<String>> = requires.iter().chain(after.iter()).cloned().collect();
    let check = Check {
        timeout: timeout.unwrap_or(kind.default_timeout),
        id,
        kind,
        params,
        modes,
        severity,
        after: after.into_iter().map(Spanned::into_inner).collect(),
        requires: requires.into_iter().map(Spanned::into_inner).collect(),
        when,
        title: title.map_or_else(|| first_sentence(&why), |t| t.trim().to_string()),
        why: why.trim().to_string(),
        fix: fix.trim().to_string(),
        defined_at: source.place(id_span.start),
        changed_by: Vec::new(),
    };
    Ok(Parsed {
        check,
        source: 0,
        id_span,
        edges,
    })
}

/// A title for a check that has none: the first sentence of its `why`, on one line.
fn first_sentence(why: &str) -> String {
    let text = why.split_whitespace().collect::<Vec<_>>().join(" ");
    match text.find(". ") {
        Some(end) => text[..end].to_string(),
        None => text.trim_end_matches('.').to_string(),
    }
}

fn valid_id(id: &str) -> bool {
    id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// `when = { exists = "/proc/drbd" }` or `when = { missing = "/etc/ha/standalone" }`.
fn parse_when(p: &mut Params) -> Result<Option<When>, SpecError> {
    let Some(raw) = p.take_raw("when") else {
        return Ok(None);
    };
    let span = raw.span();
    let bad = || {
        p.source().error_at(
            span.clone(),
            "`when` must be { exists = \"PATH or GLOB\" } or { missing = \"PATH or GLOB\" }",
        )
    };
    let table = raw.get_ref().as_table().ok_or_else(bad)?;
    if table.len() != 1 {
        return Err(bad());
    }
    let (key, value) = table.iter().next().ok_or_else(bad)?;
    let pattern = value.as_str().ok_or_else(bad)?;
    if !pattern.starts_with('/') {
        return Err(p
            .source()
            .error_at(span.clone(), "`when` paths must be absolute"));
    }
    let exists = match key.as_str() {
        "exists" => true,
        "missing" => false,
        _ => return Err(bad()),
    };
    Ok(Some(When {
        pattern: pattern.to_string(),
        exists,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A root tree whose /etc/ha-preflight/checks.d holds `admin` files (and
    /// /usr/lib/ha-preflight/checks.d the `vendor` ones), loaded with the default layers.
    fn layered(vendor: &[(&str, &str)], admin: &[(&str, &str)]) -> Result<Spec, SpecError> {
        let dir = tempfile::tempdir().unwrap();
        for (layer, files) in [(VENDOR_DIR, vendor), (ADMIN_DIR, admin)] {
            let at = dir.path().join(layer.trim_start_matches('/'));
            for (name, text) in files {
                std::fs::create_dir_all(&at).unwrap();
                std::fs::write(at.join(name), text).unwrap();
            }
        }
        let root = Root::open(dir.path()).unwrap();
        // Shown as the host sees them: strip the temporary prefix for the asserts.
        let mut spec = load(&Location::Default, &root)?;
        let tmp = format!("{}/", dir.path().display());
        let strip = |s: &str| s.replace(&tmp, "/");
        for c in &mut spec.checks {
            c.defined_at = strip(&c.defined_at);
            c.changed_by = c.changed_by.iter().map(|b| strip(b)).collect();
        }
        for n in &mut spec.overlay {
            n.by = strip(&n.by);
            n.of = strip(&n.of);
        }
        for f in &mut spec.layers {
            f.path = strip(&f.path.display().to_string()).into();
        }
        Ok(spec)
    }

    fn error(vendor: &[(&str, &str)], admin: &[(&str, &str)]) -> String {
        let e = layered(vendor, admin).unwrap_err().to_string();
        // The error names the file as the host sees it, inside the tree.
        match e
            .find("/etc/ha-preflight/")
            .or_else(|| e.find("/usr/lib/ha-preflight/"))
        {
            Some(at) if !e.starts_with("built-in") => e[at..].to_string(),
            _ => e,
        }
    }

    fn builtin() -> Spec {
        layered(&[], &[]).unwrap()
    }

    const CORE: &str = "[[check]]\nid = \"no-core-files\"\nkind = \"path\"\nmodes = [\"image\"]\n\
        rules = [{ paths = [\"/core\"], absent = true }]\nwhy = \"w\"\nfix = \"f\"\n";

    #[test]
    fn an_admin_file_adds_its_checks_to_the_built_in_ones() {
        let all = builtin().checks.len();
        let spec = layered(&[], &[("local.toml", CORE)]).unwrap();
        assert_eq!(spec.checks.len(), all + 1);
        assert!(spec.get("policy-rc-d").is_some());
        let core = spec.get("no-core-files").unwrap();
        assert_eq!(core.defined_at, "/etc/ha-preflight/checks.d/local.toml:2");
        assert!(spec.overlay.is_empty(), "{:?}", spec.overlay);
        let layers: Vec<(&str, String, usize)> = spec
            .layers
            .iter()
            .map(|f| (f.layer.as_str(), f.path.display().to_string(), f.checks))
            .collect();
        assert_eq!(layers[0].0, BUILT_IN);
        assert_eq!(
            layers.last().unwrap(),
            &(ADMIN, "/etc/ha-preflight/checks.d/local.toml".into(), 1)
        );
    }

    #[test]
    fn a_check_of_a_higher_layer_replaces_the_one_of_its_id_and_says_so() {
        let mine = CORE.replace("no-core-files", "mtab-link");
        let spec = layered(&[], &[("local.toml", &mine)]).unwrap();
        assert_eq!(spec.checks.len(), builtin().checks.len());
        let mtab = spec.get("mtab-link").unwrap();
        assert_eq!(mtab.defined_at, "/etc/ha-preflight/checks.d/local.toml:2");
        let [note] = spec.overlay.as_slice() else {
            panic!("{:?}", spec.overlay)
        };
        assert_eq!(note.kind, NoteKind::Replaced);
        assert!(note.of.starts_with("built-in:image.toml:"), "{}", note.of);
        assert!(
            note.text().starts_with(
                "check mtab-link from /etc/ha-preflight/checks.d/local.toml:2 replaces the one from built-in:image.toml:"
            ),
            "{}",
            note.text()
        );
        // Within one layer, the same id twice stays an error.
        let e = error(&[], &[("a.toml", &mine), ("b.toml", &mine)]);
        assert!(
            e.starts_with("/etc/ha-preflight/checks.d/b.toml:2:6: duplicate check id `mtab-link`"),
            "{e}"
        );
        // A vendor's check is replaced by the admin's in turn.
        let spec = layered(&[("v.toml", &mine)], &[("a.toml", &mine)]).unwrap();
        assert_eq!(spec.overlay.len(), 2);
        assert_eq!(
            spec.get("mtab-link").unwrap().defined_at,
            "/etc/ha-preflight/checks.d/a.toml:2"
        );
    }

    #[test]
    fn a_change_sets_keys_of_one_check_and_its_mistakes_are_placed_in_its_file() {
        let change = "[[change]]\nid = \"fs-errors\"\ntimeout = \"7s\"\n\
            mounts = [{ path = \"/\", options = [\"rw\"] }, { path = \"/data\", required = true }]\n";
        let spec = layered(&[], &[("fs.toml", change)]).unwrap();
        let fs = spec.get("fs-errors").unwrap();
        assert_eq!(fs.timeout, std::time::Duration::from_secs(7));
        assert!(
            fs.defined_at.starts_with("built-in:boot.toml:"),
            "{}",
            fs.defined_at
        );
        assert_eq!(fs.changed_by, ["/etc/ha-preflight/checks.d/fs.toml:1"]);
        let params = format!("{:?}", fs.params);
        assert!(
            params.contains("\"/data\"") && params.contains("required: true"),
            "{params}"
        );
        // The keys it did not set are the built-in's.
        assert_eq!(fs.why, builtin().get("fs-errors").unwrap().why);
        let [note] = spec.overlay.as_slice() else {
            panic!("{:?}", spec.overlay)
        };
        assert_eq!(
            (note.kind, note.reason.as_deref()),
            (NoteKind::Changed, Some("`mounts`, `timeout`"))
        );
        // A second change of another layer amends the first.
        let spec = layered(
            &[("fs.toml", change)],
            &[(
                "more.toml",
                "[[change]]\nid = \"fs-errors\"\nseverity = \"warning\"\n",
            )],
        )
        .unwrap();
        let fs = spec.get("fs-errors").unwrap();
        assert_eq!((fs.timeout.as_secs(), fs.severity), (7, Severity::Warning));
        assert_eq!(fs.changed_by.len(), 2);

        // Mistakes: in the admin's file, at the admin's line and column, however far
        // down the built-in file the check is.
        let typo =
            "\n[[change]]\nid = \"fs-errors\"\nmounts = [{ path = \"/\", optoins = [\"rw\"] }]\n";
        let e = error(&[], &[("fs.toml", typo)]);
        assert!(
            e.starts_with(
                "/etc/ha-preflight/checks.d/fs.toml:4:10: `mounts`: unknown key `optoins`"
            ),
            "{e}"
        );
        let e = error(
            &[],
            &[("fs.toml", "[[change]]\nid = \"fs-errors\"\nmin_free = 1\n")],
        );
        assert!(
            e.starts_with("/etc/ha-preflight/checks.d/fs.toml:3:1: unknown parameter `min_free` for kind `filesystem`"),
            "{e}"
        );
        let e = error(
            &[],
            &[(
                "fs.toml",
                "[[change]]\nid = \"fs-error\"\ntimeout = \"1s\"\n",
            )],
        );
        assert!(
            e.starts_with(
                "/etc/ha-preflight/checks.d/fs.toml:2:6: `[[change]]` of `fs-error`: no such check"
            ),
            "{e}"
        );
        let e = error(
            &[],
            &[(
                "fs.toml",
                "[[change]]\nid = \"fs-errors\"\nafter = [\"nope\"]\n",
            )],
        );
        assert!(
            e.starts_with("/etc/ha-preflight/checks.d/fs.toml:3:9: check `fs-errors` refers to unknown check id `nope`"),
            "{e}"
        );
    }

    /// An image's spec is hostile input: a file of thousands of changes to one check of
    /// a large file costs a parse of that check each, not a copy of the texts each
    /// (joined texts grew with every change: quadratic).
    #[test]
    fn many_changes_of_one_check_stay_cheap() {
        let why = "x".repeat(200_000);
        let mut text = format!(
            "[[check]]\nid = \"lo-up\"\nkind = \"interface\"\nmodes = [\"boot\"]\nname = \"lo\"\nwhy = \"{why}\"\nfix = \"f\"\n"
        );
        for i in 0..3000 {
            text.push_str(&format!(
                "[[change]]\nid = \"lo-up\"\ntimeout = \"{}s\"\n",
                i + 1
            ));
        }
        let started = std::time::Instant::now();
        let spec = parse_text(Path::new("many.toml"), &text).unwrap();
        assert_eq!(spec.checks[0].timeout.as_secs(), 3000);
        assert_eq!(spec.overlay.len(), 3000);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        let last = text.len() - "[[change]]\nid = \"lo-up\"\ntimeout = \"3000s\"\n".len();
        let (line, _) = SpecText::new("m".into(), text.clone()).position(last);
        assert_eq!(
            spec.checks[0].changed_by.last().unwrap(),
            &format!("many.toml:{line}")
        );
    }

    #[test]
    fn a_removal_needs_a_reason_and_is_said() {
        let remove = "[[remove]]\nid = \"sync-age\"\nreason = \"no standby on this model\"\n";
        let spec = layered(&[], &[("r.toml", remove)]).unwrap();
        assert!(spec.get("sync-age").is_none());
        assert_eq!(spec.checks.len(), builtin().checks.len() - 1);
        let [note] = spec.overlay.as_slice() else {
            panic!("{:?}", spec.overlay)
        };
        assert_eq!(note.kind, NoteKind::Removed);
        assert_eq!(note.modes, [Mode::Boot]);
        assert!(
            note.text().ends_with(
                ") removed by /etc/ha-preflight/checks.d/r.toml:1: no standby on this model"
            ),
            "{}",
            note.text()
        );
        let e = error(&[], &[("r.toml", "[[remove]]\nid = \"sync-age\"\n")]);
        assert!(e.starts_with("/etc/ha-preflight/checks.d/r.toml:1:1: `[[remove]]` of `sync-age`: missing `reason`"), "{e}");
        // lo-up is required by xcbdaemon-rpc: removing it alone is an error, at the edge.
        let e = layered(
            &[],
            &[("r.toml", "[[remove]]\nid = \"lo-up\"\nreason = \"r\"\n")],
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("built-in:boot.toml:"), "{e}");
        assert!(
            e.contains("check `xcbdaemon-rpc` is ordered after `lo-up`, which "),
            "{e}"
        );
        assert!(
            e.contains("/etc/ha-preflight/checks.d/r.toml:1 removes"),
            "{e}"
        );
    }

    #[test]
    fn a_file_of_the_same_name_replaces_the_lower_one_and_names_what_went_with_it() {
        let spec = layered(&[], &[("image.toml", CORE)]).unwrap();
        assert!(spec.get("policy-rc-d").is_none());
        assert!(spec.get("lo-up").is_some());
        let [note] = spec.overlay.as_slice() else {
            panic!("{:?}", spec.overlay)
        };
        assert_eq!(note.kind, NoteKind::FileReplaced);
        assert!(note.of == "built-in:image.toml", "{}", note.of);
        let gone = note.reason.as_deref().unwrap_or_default();
        assert!(gone.starts_with("policy-rc-d, dpkg-diversions,"), "{gone}");
        let replaced = spec
            .layers
            .iter()
            .find(|f| f.replaced_by.is_some())
            .unwrap();
        assert_eq!(replaced.path, Path::new("built-in:image.toml"));
        // A package's copy of the built-in file, word for word, changes nothing.
        let (_, same) = BUILTIN[1];
        let spec = layered(&[("image.toml", same)], &[]).unwrap();
        assert!(spec.overlay.is_empty(), "{:?}", spec.overlay);
        assert_eq!(spec.checks.len(), builtin().checks.len());
    }

    #[test]
    fn checks_keep_the_order_of_their_file_names_across_layers() {
        // An admin's boot.toml keeps boot.toml's place, ahead of image.toml's checks.
        let (_, boot) = BUILTIN[0];
        let spec = layered(
            &[],
            &[(
                "boot.toml",
                &boot.replace("modes = [\"boot\"]\n", "modes = [\"boot\"]\n\n"),
            )],
        )
        .unwrap();
        assert_eq!(spec.checks[0].id, "shm-tmpfs");
        assert!(
            spec.checks[0]
                .defined_at
                .starts_with("/etc/ha-preflight/checks.d/boot.toml:")
        );
        let order: Vec<&str> = spec.checks.iter().map(|c| c.id.as_str()).collect();
        let builtin = builtin();
        let want: Vec<&str> = builtin.checks.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(order, want);
    }

    #[test]
    fn a_bundle_replays_the_layers_it_was_taken_with() {
        let (_, image) = BUILTIN[1];
        let mine = CORE.replace("no-core-files", "mtab-link");
        let texts = |name: &str| {
            Location::Texts(vec![
                ("b.tar:spec/image.toml".into(), image.to_string()),
                (format!("b.tar:spec/{name}").into(), mine.clone()),
            ])
        };
        let root = Root::open(Path::new("/")).unwrap();
        let spec = load(&texts("admin@local.toml"), &root).unwrap();
        assert_eq!(spec.overlay[0].kind, NoteKind::Replaced);
        let e = load(&texts("local.toml"), &root).unwrap_err().to_string();
        assert!(e.contains("duplicate check id `mtab-link`"), "{e}");
        // And collect names them so.
        let layers = layers(&Location::Default, &root).unwrap();
        assert_eq!(
            member_name(0, &layers, Path::new("built-in:boot.toml")),
            "boot.toml"
        );
        let two = [layers[0].clone(), Layer::new(ADMIN, Vec::new())];
        assert_eq!(
            member_name(1, &two, Path::new("/etc/ha-preflight/checks.d/x.toml")),
            "admin@x.toml"
        );
    }

    #[test]
    fn bundle_redact_lists_of_every_file_add_up() {
        let check = "[[check]]\nid = \"lo-up\"\nkind = \"interface\"\nmodes = [\"boot\"]\nname = \"lo\"\nwhy = \"w\"\nfix = \"f\"\n";
        let sources = [
            SpecText::new(
                "vendor.toml".into(),
                format!("[bundle]\nredact = [\"A_PIN\"]\n{check}"),
            ),
            SpecText::new(
                "admin.toml".into(),
                "[bundle]\nredact = [\"a.b-c\", \"A_PIN\"]\n".into(),
            ),
        ];
        let spec = parse_sources(&sources).unwrap();
        assert_eq!(spec.redact, ["A_PIN", "a.b-c"]);
        assert!(
            parse_text(Path::new("x.toml"), check)
                .unwrap()
                .redact
                .is_empty()
        );
    }
}
