//! Where facts come from, and nothing more: this floor reads, it decides nothing.
//!
//! A run looks at one [`Target`]: a root that every file path resolves in (`root`), and
//! a [`World`] that says what the kernel's state is, in one type: the running kernel, a
//! captured copy of its /proc and /sys (a support bundle), or none at all (an image). All
//! kernel reads go through the target's one door ([`Target::proc_text`],
//! [`Target::sys_text`], ...), which knows which world it is in; what only a running
//! kernel can answer (statfs, getifaddrs, a lock probe) needs [`Target::live`], which
//! says why not when it cannot. So no kind branches on flags, and a bundle replay is a
//! different world, not a different code path.

pub mod accounts;
pub mod command;
pub mod dpkg;
pub mod envfile;
pub mod facts;
pub mod http;
pub mod links;
pub mod mounts;
pub mod notify;
pub mod read;
pub mod root;
pub mod walk;
pub mod xmlrpc;

use crate::model::Mode;
use read::ReadError;
use root::Root;
use std::io;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// What the kernel state a run judges is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum World {
    /// The running system: /proc, /sys and the kernel's own answers.
    Live,
    /// Captured copies of /proc and /sys (`--proc`, `--sys`): read from there, and never
    /// from this machine; a tree not captured cannot be read at all.
    Captured {
        proc: Option<PathBuf>,
        sys: Option<PathBuf>,
    },
    /// A root tree looked at from outside (image mode): there is no kernel.
    Image,
}

/// The system a run looks at.
#[derive(Debug)]
pub struct Target {
    pub mode: Mode,
    /// The root every file path resolves in: "/" for the running system, the image's
    /// directory in image mode (see `root`).
    pub root: Root,
    pub world: World,
}

/// Why the kernel's state could not be read.
#[derive(Debug, Error)]
pub enum KernelError {
    #[error("{0}")]
    NotHere(NotLive),
    #[error(transparent)]
    Read(#[from] ReadError),
}

impl KernelError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, KernelError::Read(e) if e.is_not_found())
    }
}

/// Why a probe of the running kernel cannot be made here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum NotLive {
    #[error("an image has no running kernel")]
    Image,
    #[error("the kernel state is a captured copy, not this machine's")]
    Captured,
    #[error("the capture has no copy of {0}")]
    NotCaptured(&'static str),
}

/// Leave to probe the running kernel (statfs, getifaddrs, lock probes, /proc/PID).
#[derive(Debug, Clone, Copy)]
pub struct Live(());

impl Target {
    /// The running system (boot and build-host modes).
    pub fn live(mode: Mode) -> io::Result<Self> {
        Ok(Target {
            mode,
            root: Root::open(Path::new("/"))?,
            world: World::Live,
        })
    }

    /// A root tree looked at from outside (image mode): no kernel state applies.
    pub fn image(dir: &Path) -> io::Result<Self> {
        Ok(Target {
            mode: Mode::Image,
            root: Root::open(dir)?,
            world: World::Image,
        })
    }

    /// The running system's files, with its kernel state from captured copies.
    pub fn captured(proc: Option<PathBuf>, sys: Option<PathBuf>) -> io::Result<Self> {
        Ok(Target {
            mode: Mode::Boot,
            root: Root::open(Path::new("/"))?,
            world: World::Captured { proc, sys },
        })
    }

    /// Leave to probe the running kernel, or why there is none to probe.
    pub fn probe(&self) -> Result<Live, NotLive> {
        match self.world {
            World::Live => Ok(Live(())),
            World::Captured { .. } => Err(NotLive::Captured),
            World::Image => Err(NotLive::Image),
        }
    }

    /// Where `/proc/REL` is read from, for evidence and for the readers below.
    pub fn proc_path(&self, rel: &str) -> Result<PathBuf, NotLive> {
        match &self.world {
            World::Live => Ok(Path::new("/proc").join(rel)),
            World::Captured {
                proc: Some(dir), ..
            } => Ok(dir.join(rel)),
            World::Captured { proc: None, .. } => Err(NotLive::NotCaptured("/proc")),
            World::Image => Err(NotLive::Image),
        }
    }

    /// Where `/sys/REL` is read from.
    pub fn sys_path(&self, rel: &str) -> Result<PathBuf, NotLive> {
        match &self.world {
            World::Live => Ok(Path::new("/sys").join(rel)),
            World::Captured { sys: Some(dir), .. } => Ok(dir.join(rel)),
            World::Captured { sys: None, .. } => Err(NotLive::NotCaptured("/sys")),
            World::Image => Err(NotLive::Image),
        }
    }

    /// At most `limit` bytes of `/proc/REL`, as text.
    pub fn proc_text(&self, rel: &str, limit: usize) -> Result<String, KernelError> {
        let path = self.proc_path(rel).map_err(KernelError::NotHere)?;
        Ok(read::read_text(&path, limit)?)
    }

    /// At most `limit` bytes of `/sys/REL`, as text.
    pub fn sys_text(&self, rel: &str, limit: usize) -> Result<String, KernelError> {
        let path = self.sys_path(rel).map_err(KernelError::NotHere)?;
        Ok(read::read_text(&path, limit)?)
    }

    /// The target of the link `/sys/REL`.
    pub fn sys_link(&self, rel: &str) -> Result<PathBuf, KernelError> {
        let path = self.sys_path(rel).map_err(KernelError::NotHere)?;
        std::fs::read_link(&path)
            .map_err(|source| KernelError::Read(ReadError::Io { path, source }))
    }

    /// The names in the folder `/sys/REL`, sorted.
    pub fn sys_list(&self, rel: &str) -> Result<Vec<String>, KernelError> {
        let path = self.sys_path(rel).map_err(KernelError::NotHere)?;
        let io = |source| {
            KernelError::Read(ReadError::Io {
                path: path.clone(),
                source,
            })
        };
        let mut names: Vec<String> = std::fs::read_dir(&path)
            .map_err(io)?
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        Ok(names)
    }

    /// Whether `/proc/REL` exists where /proc is read from.
    pub fn proc_exists(&self, rel: &str) -> bool {
        self.proc_path(rel).is_ok_and(|p| p.exists())
    }
}

impl Live {
    /// statfs(2) of a path of the running system.
    pub fn statfs(self, path: &Path) -> Result<FsStat, nix::Error> {
        let st = nix::sys::statfs::statfs(path)?;
        let block_size = st.block_size() as u64;
        Ok(FsStat {
            magic: st.filesystem_type().0 as i64,
            blocks: st.blocks(),
            block_size,
            free: st.blocks_available().saturating_mul(block_size),
        })
    }

    /// access(2): whether this process may use `path` as `how` asks.
    pub fn access(self, path: &Path, how: nix::unistd::AccessFlags) -> bool {
        nix::unistd::access(path, how).is_ok()
    }
}

/// What statfs says of a filesystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FsStat {
    pub magic: i64,
    pub blocks: u64,
    pub block_size: u64,
    /// Bytes an unprivileged writer may still use (f_bavail), as df's "Available".
    pub free: u64,
}
