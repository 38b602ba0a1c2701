//! The image-mode fixtures: root trees for `image --root DIR`, kept as files in
//! tests/fixtures/image/ and built into a scratch folder on demand. One builder for every
//! Rust test that needs such a tree (the kinds' in-process tests and the integration
//! tests); image-tests/make_tree.py reads the same folders for the shell and Python
//! scripts, and tests/image.rs checks that the two build the same trees.
//!
//! Each case is a folder, `tests/fixtures/image/CASE/`:
//!
//! - `tree/`: the files and symlinks the case adds over the clean tree, as they are to be
//!   in the image (git keeps a symlink's target and a file's exec bit);
//! - `case.toml`: what the case shows, the image-check ids expected to come out fail or
//!   warn, and what git cannot hold (see [`Manifest`]).
//!
//! The case `clean` is the base: every case is the clean tree, then what its own folder
//! says. Why not store whole trees: git keeps neither empty folders, modes other than
//! 0644 and 0755, owners nor device nodes, and forty copies of the clean tree would hide
//! the one change each case is about.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

/// The case every other one builds on.
pub const CLEAN: &str = "clean";

/// Check ids whose result depends on who owns the tree's files. Built as root (CI) they
/// are 0:0, which the image's passwd knows; built by a normal user they are that user's
/// uid, which the image lacks and which is >= 1000 in system folders, so
/// `unknown-owners` fails on every tree: a run that is not root ignores these ids.
pub const IGNORE_UNLESS_ROOT: &[&str] = &["unknown-owners"];

/// The folder of the cases, in this checkout.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/image")
}

/// Why a case could not be read or built; each names the path it is about.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: {source}", path.display())]
    Manifest {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("{}: no such image case (no case.toml there)", path.display())]
    UnknownCase { path: PathBuf },
    #[error("{}: {what}", path.display())]
    Bad { path: PathBuf, what: String },
    #[error("{}: goes through the symlink {}; refusing to write through it", path.display(), link.display())]
    ThroughLink { path: PathBuf, link: PathBuf },
    #[error("{}: exists and is not an empty folder", path.display())]
    NotEmpty { path: PathBuf },
    #[error("case {case} needs root (chown or mknod)")]
    NeedsRoot { case: String },
}

fn io(path: &Path) -> impl FnOnce(io::Error) -> TreeError + '_ {
    move |source| TreeError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A case's `case.toml`. Paths are relative to the tree's root. A case is applied over
/// the clean tree in the order of these fields, `tree/` laid over after `remove`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// What the case shows, in one line.
    pub description: String,
    /// Where what it shows was seen or is specified, when there is such a source.
    pub source: Option<String>,
    /// The image-check ids that must come out fail or warn; every other must not.
    pub expected: Vec<String>,
    /// Paths of the clean tree the case takes out (a folder with all in it), before its
    /// `tree/` is laid over.
    #[serde(default)]
    pub remove: Vec<String>,
    /// Symlinks git is not to hold: an absolute target (in the checkout it would point
    /// at the machine's own files, and cargo walks a link to a folder when it lists the
    /// package) or one that loops (`.`). A link relative and inside the tree is in
    /// `tree/`.
    #[serde(default)]
    pub link: BTreeMap<String, String>,
    /// Files copied from the repository (the shipped unit and drop-in), so that the tree
    /// holds what the package ships, not a copy that could drift from it.
    #[serde(default)]
    pub copy: Vec<Copy>,
    /// Empty folders (mode 0755 unless `mode` says otherwise).
    #[serde(default)]
    pub folders: Vec<String>,
    /// Device nodes (mode 0644 unless `mode` says otherwise).
    #[serde(default)]
    pub node: Vec<Node>,
    /// Modes other than git's: a file is 0755 when git has its exec bit, else 0644;
    /// a folder is 0755.
    #[serde(default)]
    pub mode: BTreeMap<String, u32>,
    /// Owners other than the user who builds the tree: `[uid, gid]`.
    #[serde(default)]
    pub owner: BTreeMap<String, (u32, u32)>,
}

/// A file of the tree copied from the repository.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Copy {
    pub path: String,
    /// Relative to the repository's root.
    pub from: String,
    /// The one line starting with this is left out (the drop-in without `After=`).
    pub without: Option<String>,
}

/// A device node of the tree.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    pub path: String,
    /// `block` or `char`.
    pub kind: String,
    pub major: u64,
    pub minor: u64,
}

/// One case: its folder and its manifest.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub folder: PathBuf,
    pub manifest: Manifest,
}

impl Case {
    /// Whether building it needs root: it chowns or makes device nodes.
    pub fn needs_root(&self) -> bool {
        !self.manifest.owner.is_empty() || !self.manifest.node.is_empty()
    }
}

/// The case `name`.
pub fn case(name: &str) -> Result<Case, TreeError> {
    let folder = fixtures().join(name);
    let file = folder.join("case.toml");
    if name.is_empty() || name.contains('/') || !file.is_file() {
        return Err(TreeError::UnknownCase { path: folder });
    }
    let text = fs::read_to_string(&file).map_err(io(&file))?;
    let manifest =
        toml::from_str(&text).map_err(|source| TreeError::Manifest { path: file, source })?;
    Ok(Case {
        name: name.to_string(),
        folder,
        manifest,
    })
}

/// Every case, by name, clean among them.
pub fn cases() -> Result<Vec<Case>, TreeError> {
    let dir = fixtures();
    let mut names = Vec::new();
    for entry in fs::read_dir(&dir).map_err(io(&dir))? {
        let entry = entry.map_err(io(&dir))?;
        if entry.path().join("case.toml").is_file() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    crate::model::sort::sort(&mut names);
    names.iter().map(|n| case(n)).collect()
}

/// Builds the tree of case `name` at `root`, which must be absent or an empty folder.
/// The files belong to whoever runs this, but for those the manifest gives an owner.
pub fn build(name: &str, root: &Path) -> Result<(), TreeError> {
    build_all(&[name], root)
}

/// Builds the clean tree with each of `names` planted in it, in order: a tree with
/// several mistakes at once, as a real build leaves them.
pub fn build_all(names: &[&str], root: &Path) -> Result<(), TreeError> {
    let clean = case(CLEAN)?;
    let mut planted = Vec::new();
    for &name in names.iter().filter(|&&n| n != CLEAN) {
        planted.push(case(name)?);
    }
    let needs_root = clean.needs_root() || planted.iter().any(Case::needs_root);
    if needs_root && !nix::unistd::geteuid().is_root() {
        return Err(TreeError::NeedsRoot {
            case: names.join("+"),
        });
    }
    match fs::symlink_metadata(root) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::create_dir_all(root).map_err(io(root))?;
        }
        Err(e) => return Err(io(root)(e)),
        Ok(m) if m.is_dir() && fs::read_dir(root).map_err(io(root))?.next().is_none() => {}
        Ok(_) => {
            return Err(TreeError::NotEmpty {
                path: root.to_path_buf(),
            });
        }
    }
    chmod(root, 0o755)?;
    apply(&clean, root)?;
    for case in &planted {
        apply(case, root)?;
    }
    Ok(())
}

fn apply(case: &Case, root: &Path) -> Result<(), TreeError> {
    let m = &case.manifest;
    for rel in &m.remove {
        remove(&inside(root, rel)?)?;
    }
    let tree = case.folder.join("tree");
    if tree.is_dir() {
        overlay(&tree, root, Path::new(""))?;
    }
    for (rel, target) in &m.link {
        let path = replaceable(root, rel)?;
        std::os::unix::fs::symlink(target, &path).map_err(io(&path))?;
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for copy in &m.copy {
        let from = repo.join(&copy.from);
        let mut data = fs::read(&from).map_err(io(&from))?;
        if let Some(prefix) = &copy.without {
            data = without_line(&data, prefix).ok_or_else(|| TreeError::Bad {
                path: from.clone(),
                what: format!("not exactly one line starts with {prefix:?}"),
            })?;
        }
        write(root, &copy.path, &data, 0o644)?;
    }
    for rel in &m.folders {
        mkdirs(root, rel)?;
    }
    for node in &m.node {
        make_node(root, node)?;
    }
    for (rel, &mode) in &m.mode {
        let path = inside(root, rel)?;
        let meta = fs::symlink_metadata(&path).map_err(io(&path))?;
        if meta.file_type().is_symlink() {
            return Err(TreeError::Bad {
                path,
                what: "a symlink has no mode of its own".into(),
            });
        }
        chmod(&path, mode)?;
    }
    for (rel, &(uid, gid)) in &m.owner {
        let path = inside(root, rel)?;
        std::os::unix::fs::lchown(&path, Some(uid), Some(gid)).map_err(io(&path))?;
    }
    Ok(())
}

/// Lays the fixture folder `from` (at `rel` under the case's `tree/`) over `root`:
/// folders merge, files and symlinks replace what is there.
fn overlay(from: &Path, root: &Path, rel: &Path) -> Result<(), TreeError> {
    let dir = from.join(rel);
    let mut names = Vec::new();
    for entry in fs::read_dir(&dir).map_err(io(&dir))? {
        names.push(entry.map_err(io(&dir))?.file_name());
    }
    crate::model::sort::sort(&mut names);
    for name in names {
        let rel = rel.join(&name);
        let src = from.join(&rel);
        let rel_text = rel.to_str().ok_or_else(|| TreeError::Bad {
            path: src.clone(),
            what: "not UTF-8: a name git may not keep belongs in the manifest".into(),
        })?;
        let meta = fs::symlink_metadata(&src).map_err(io(&src))?;
        let kind = meta.file_type();
        if kind.is_dir() {
            mkdirs(root, rel_text)?;
            overlay(from, root, &rel)?;
        } else if kind.is_symlink() {
            let target = fs::read_link(&src).map_err(io(&src))?;
            if !stays_inside(&rel, &target) {
                return Err(TreeError::Bad {
                    path: src,
                    what: "a link that is absolute, climbs out of tree/ or loops belongs in \
                           the manifest's [link]"
                        .into(),
                });
            }
            let path = replaceable(root, rel_text)?;
            std::os::unix::fs::symlink(&target, &path).map_err(io(&path))?;
        } else if kind.is_file() {
            let data = fs::read(&src).map_err(io(&src))?;
            let mode = if meta.permissions().mode() & 0o111 != 0 {
                0o755
            } else {
                0o644
            };
            write(root, rel_text, &data, mode)?;
        } else {
            return Err(TreeError::Bad {
                path: src,
                what: "neither file, folder nor symlink: a node belongs in the manifest".into(),
            });
        }
    }
    Ok(())
}

/// Whether the link at `rel` (in a case's `tree/`) to `target` is one git may hold:
/// relative, leading to somewhere inside `tree/`, and not to a folder above it (a loop
/// for anything that walks the checkout following links, as cargo does).
fn stays_inside(rel: &Path, target: &Path) -> bool {
    let mut at: Vec<&std::ffi::OsStr> = Vec::new();
    let folder = rel.parent().unwrap_or(Path::new(""));
    for part in folder.components().chain(target.components()) {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if at.pop().is_none() {
                    return false;
                }
            }
            Component::Normal(name) => at.push(name),
            Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    !rel.starts_with(at.iter().collect::<PathBuf>())
}

/// ROOT/REL, refusing a REL that is absolute or climbs (`..`), and one whose existing
/// folders include a symlink: writing through one (var/run -> ../run, or a link to the
/// host) could land outside the tree.
fn inside(root: &Path, rel: &str) -> Result<PathBuf, TreeError> {
    let bad = |what: &str| TreeError::Bad {
        path: root.join(rel),
        what: what.into(),
    };
    let rel = Path::new(rel);
    if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(bad("not a plain relative path"));
    }
    let mut at = root.to_path_buf();
    let mut parts = rel.components().peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            break;
        }
        at.push(part);
        if fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(TreeError::ThroughLink {
                path: root.join(rel),
                link: at,
            });
        }
    }
    Ok(root.join(rel))
}

/// ROOT/REL with its folders made and nothing left at it.
fn replaceable(root: &Path, rel: &str) -> Result<PathBuf, TreeError> {
    let path = inside(root, rel)?;
    if let Some(parent) = Path::new(rel).parent().and_then(Path::to_str)
        && !parent.is_empty()
    {
        mkdirs(root, parent)?;
    }
    if fs::symlink_metadata(&path).is_ok() {
        remove(&path)?;
    }
    Ok(path)
}

/// A fresh regular file: whatever was at REL (a symlink, a read-only file) is replaced,
/// never written through.
fn write(root: &Path, rel: &str, data: &[u8], mode: u32) -> Result<(), TreeError> {
    let path = replaceable(root, rel)?;
    // O_CREAT|O_EXCL follows no symlink.
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(io(&path))?;
    file.write_all(data).map_err(io(&path))?;
    drop(file);
    chmod(&path, mode)
}

/// ROOT/REL and the folders above it, each one made 0755 (whatever the umask).
fn mkdirs(root: &Path, rel: &str) -> Result<(), TreeError> {
    let path = inside(root, rel)?;
    let mut at = root.to_path_buf();
    for part in Path::new(rel).components() {
        at.push(part);
        match fs::symlink_metadata(&at) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(TreeError::Bad {
                    path,
                    what: format!("{} is there and is not a folder", at.display()),
                });
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir(&at).map_err(io(&at))?;
                chmod(&at, 0o755)?;
            }
            Err(e) => return Err(io(&at)(e)),
        }
    }
    Ok(())
}

fn make_node(root: &Path, node: &Node) -> Result<(), TreeError> {
    use nix::sys::stat::{Mode, SFlag, makedev, mknod};
    let path = replaceable(root, &node.path)?;
    let kind = match node.kind.as_str() {
        "block" => SFlag::S_IFBLK,
        "char" => SFlag::S_IFCHR,
        other => {
            return Err(TreeError::Bad {
                path,
                what: format!("node kind {other:?}: block or char"),
            });
        }
    };
    mknod(
        &path,
        kind,
        Mode::from_bits_truncate(0o600),
        makedev(node.major, node.minor),
    )
    .map_err(|e| io(&path)(e.into()))?;
    chmod(&path, 0o644)
}

fn chmod(path: &Path, mode: u32) -> Result<(), TreeError> {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(io(path))
}

/// Removes what is at `path`, a folder with all in it; a symlink itself, never its target.
fn remove(path: &Path) -> Result<(), TreeError> {
    let meta = fs::symlink_metadata(path).map_err(io(path))?;
    if meta.is_dir() {
        fs::remove_dir_all(path).map_err(io(path))
    } else {
        fs::remove_file(path).map_err(io(path))
    }
}

/// `data` without its one line that starts with `prefix`; None unless exactly one does.
fn without_line(data: &[u8], prefix: &str) -> Option<Vec<u8>> {
    let lines: Vec<&[u8]> = data.split_inclusive(|&b| b == b'\n').collect();
    let kept: Vec<&[u8]> = lines
        .iter()
        .copied()
        .filter(|l| !l.starts_with(prefix.as_bytes()))
        .collect();
    (kept.len() + 1 == lines.len()).then(|| kept.concat())
}
