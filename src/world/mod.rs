//! Where facts come from, and nothing more: this floor reads, it decides nothing.
//!
//! A run looks at one [`Target`]: a root that every file path resolves in (`root`), and
//! a [`World`] that says what the kernel's state is, in one type: the running kernel, a
//! captured copy of its /proc and /sys, a support bundle, or none at all (an image). All
//! kernel reads go through the target's one door ([`Target::proc_text`],
//! [`Target::sys_text`], ...), which knows which world it is in; what only a running
//! kernel or the box's daemons can answer (statfs, a lock probe, drbdsetup, an XML-RPC
//! call) goes through [`Target::kernel`], which says why not when it cannot. So no kind
//! branches on flags, and a bundle replay is another world, not another code path: every
//! door then answers from the bundle's tape (`tape`).
//!
//! What a kind needs to know of the world it is in, it asks the target in plain
//! questions, the same in every kind, and never matches on [`World`] itself:
//! [`Target::kernel`] (may the kernel be asked), [`Target::has_box_files`] (are the
//! box's own files here), [`Target::is_image`], [`Target::is_build_host`],
//! [`Target::is_running`] (this machine, now) and [`Target::is_bundle`]. The run's mode
//! is not stored beside the world: [`Target::mode`] derives it, so the two cannot
//! disagree.

pub mod accounts;
pub mod block;
pub mod bundle;
pub mod command;
pub mod door;
pub mod dpkg;
pub mod envfile;
pub mod facts;
pub mod http;
pub mod journal;
pub mod klog;
pub mod lfs;
pub mod links;
pub mod mounts;
pub mod notify;
pub mod output;
pub mod question;
pub mod read;
pub mod redact;
pub mod root;
pub mod tape;
pub mod terminal;
pub mod walk;
pub mod xmlrpc;

use crate::model::Mode;
pub use door::DoorError;
use door::Syscall;
use nix::errno::Errno;
use question::Question;
use read::ReadError;
use root::Root;
use serde_json::{Value, json};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use tape::{Tape, taped};
use thiserror::Error;

/// What the kernel state a run judges is, and whose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum World {
    /// The running system of the appliance (boot mode, and `collect`): /proc, /sys and
    /// the kernel's own answers.
    Live,
    /// The running system of a machine an image is being built on (build-host mode):
    /// read as [`World::Live`] is, but it is not the appliance, so a check may judge it
    /// by what the build will conclude from it rather than by what a booted box needs.
    BuildHost,
    /// Captured copies of /proc and /sys (`--proc`, `--sys`): read from there, and never
    /// from this machine; what a capture does not hold (the box's files, its daemons) is
    /// not looked at, and the checks that need it skip.
    Captured {
        proc: Option<PathBuf>,
        sys: Option<PathBuf>,
    },
    /// A support bundle (`--bundle`): every answer from its tape.
    Bundle,
    /// A root tree looked at from outside (image mode): there is no kernel.
    Image,
}

/// The system a run looks at.
#[derive(Debug)]
pub struct Target {
    /// The root every file path resolves in: "/" for the running system, the image's
    /// directory in image mode (see `root`).
    pub root: Root,
    /// Private: kinds ask the questions below instead of matching on it, and
    /// [`Target::world`] gives it to the report, which names a capture's folders.
    world: World,
    /// The tape every door records to (collect) or answers from (a bundle).
    tape: Option<Arc<Tape>>,
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

/// Why the running kernel cannot be asked here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum NotLive {
    #[error("an image has no running kernel")]
    Image,
    #[error("the kernel state is a captured copy, not this machine's")]
    Captured,
    #[error("the capture has no copy of {0}")]
    NotCaptured(&'static str),
}

/// Leave to ask the running kernel (or, in a bundle, what it answered when collected).
#[derive(Debug, Clone, Copy)]
pub struct Live<'a> {
    target: &'a Target,
}

/// What a capture of /proc and /sys answers for the box's files: nothing.
const CAPTURE_MISS: &str =
    "not in the capture (--proc and --sys hold kernel state only, not this box's files)";
/// What a bundle answers for a question it has no answer for.
pub const BUNDLE_MISS: &str = "not in the bundle";

impl Target {
    /// The running system, as the appliance (boot mode).
    pub fn live() -> io::Result<Self> {
        Self::running(World::Live)
    }

    /// The running system, as a machine an image is built on (build-host mode).
    pub fn build_host() -> io::Result<Self> {
        Self::running(World::BuildHost)
    }

    fn running(world: World) -> io::Result<Self> {
        Ok(Target {
            root: Root::open(Path::new("/"))?,
            world,
            tape: None,
        })
    }

    /// The running system, recording every answer for a support bundle.
    pub fn recording(tape: Arc<Tape>) -> io::Result<Self> {
        Ok(Target {
            root: Root::open(Path::new("/"))?.with_tape(Arc::clone(&tape)),
            world: World::Live,
            tape: Some(tape),
        })
    }

    /// A support bundle's box: every answer from its tape.
    pub fn bundle(tape: Arc<Tape>) -> io::Result<Self> {
        Ok(Target {
            root: Root::played(Arc::clone(&tape))?,
            world: World::Bundle,
            tape: Some(tape),
        })
    }

    /// A root tree looked at from outside (image mode): no kernel state applies.
    pub fn image(dir: &Path) -> io::Result<Self> {
        Ok(Target {
            root: Root::open(dir)?,
            world: World::Image,
            tape: None,
        })
    }

    /// The kernel state of another box, from captured copies of /proc and /sys; its
    /// files are not here, and are not read from this machine.
    pub fn captured(proc: Option<PathBuf>, sys: Option<PathBuf>) -> io::Result<Self> {
        let nothing = Arc::new(Tape::playing(Default::default(), CAPTURE_MISS));
        Ok(Target {
            root: Root::played(nothing)?,
            world: World::Captured { proc, sys },
            tape: None,
        })
    }

    /// The tape of a recording run, for writing the bundle.
    pub fn tape(&self) -> Option<&Arc<Tape>> {
        self.tape.as_ref()
    }

    /// The world, for the report's account of what was looked at (a capture's folders,
    /// an image's root). Kinds ask the questions below instead.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// The mode the target is judged in: image for an image, build-host for a build
    /// host, boot for the rest (the running box, a bundle of it, a capture of it).
    pub fn mode(&self) -> Mode {
        match self.world {
            World::Image => Mode::Image,
            World::BuildHost => Mode::BuildHost,
            World::Live | World::Bundle | World::Captured { .. } => Mode::Boot,
        }
    }

    /// Leave to ask the running kernel (statfs, a lock probe, the kernel log), or why
    /// there is none to ask: on the running system (boot or build host) and in a bundle,
    /// which answers what the kernel answered when it was taken; not in a capture of
    /// another box's /proc and /sys, not in an image.
    pub fn kernel(&self) -> Result<Live<'_>, NotLive> {
        match self.world {
            World::Live | World::BuildHost | World::Bundle => Ok(Live { target: self }),
            World::Captured { .. } => Err(NotLive::Captured),
            World::Image => Err(NotLive::Image),
        }
    }

    /// Whether the root holds the files of the box the kernel state belongs to (its
    /// fstab, its /dev/shm, its kernel log): on the running system (boot or build host)
    /// and in a bundle; not in a capture, whose files are not here, and not in an image,
    /// which has files but no kernel state for them to belong to.
    pub fn has_box_files(&self) -> bool {
        matches!(self.world, World::Live | World::BuildHost | World::Bundle)
    }

    /// Whether the target is a root tree looked at from outside (image mode): nothing
    /// runs in it and there is no kernel, only the layout of its files. The machine
    /// running us is then the one that built it.
    pub fn is_image(&self) -> bool {
        self.world == World::Image
    }

    /// Whether the running system is a machine an image is being built on (build-host
    /// mode), not the appliance itself.
    pub fn is_build_host(&self) -> bool {
        self.world == World::BuildHost
    }

    /// Whether the target is this machine's running system, looked at now (boot,
    /// `collect` or build host): not a bundle's replay, a capture or an image. Only then
    /// does a missing /proc file say something about /proc itself.
    pub fn is_running(&self) -> bool {
        matches!(self.world, World::Live | World::BuildHost)
    }

    /// Whether every answer comes from a support bundle's tape: what the box said when
    /// the bundle was taken, its clock included, not what it says now.
    pub fn is_bundle(&self) -> bool {
        self.world == World::Bundle
    }

    /// Where `/proc/REL` is read from, for evidence.
    pub fn proc_path(&self, rel: &str) -> Result<PathBuf, NotLive> {
        match &self.world {
            World::Live | World::BuildHost | World::Bundle => Ok(Path::new("/proc").join(rel)),
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
            World::Live | World::BuildHost | World::Bundle => Ok(Path::new("/sys").join(rel)),
            World::Captured { sys: Some(dir), .. } => Ok(dir.join(rel)),
            World::Captured { sys: None, .. } => Err(NotLive::NotCaptured("/sys")),
            World::Image => Err(NotLive::Image),
        }
    }

    fn kernel_text(
        &self,
        ask: fn(String) -> Question,
        path: Result<PathBuf, NotLive>,
        rel: &str,
        limit: usize,
    ) -> Result<String, KernelError> {
        let path = path.map_err(KernelError::NotHere)?;
        taped(
            self.tape.as_deref(),
            || ask(rel.to_string()),
            || read::read_text(&path, limit),
            root::text_to_value,
            |v| root::text_from_value(v, &path, limit),
            || {
                Err(ReadError::Io {
                    path: path.clone(),
                    source: tape::missed(),
                })
            },
        )
        .map_err(KernelError::Read)
    }

    /// At most `limit` bytes of `/proc/REL`, as text.
    pub fn proc_text(&self, rel: &str, limit: usize) -> Result<String, KernelError> {
        self.kernel_text(Question::Proc, self.proc_path(rel), rel, limit)
    }

    /// At most `limit` bytes of `/sys/REL`, as text.
    pub fn sys_text(&self, rel: &str, limit: usize) -> Result<String, KernelError> {
        self.kernel_text(Question::Sys, self.sys_path(rel), rel, limit)
    }

    /// The target of the link `/sys/REL`.
    pub fn sys_link(&self, rel: &str) -> Result<PathBuf, KernelError> {
        let path = self.sys_path(rel).map_err(KernelError::NotHere)?;
        taped(
            self.tape.as_deref(),
            || Question::SysLink(rel.to_string()),
            || std::fs::read_link(&path),
            root::path_to_value,
            |v| tape::io_result_from_value(v, |p| p.as_str().map(PathBuf::from)),
            || Err(tape::missed()),
        )
        .map_err(|source| KernelError::Read(ReadError::Io { path, source }))
    }

    /// The names in the folder `/sys/REL`, sorted.
    pub fn sys_list(&self, rel: &str) -> Result<Vec<String>, KernelError> {
        let path = self.sys_path(rel).map_err(KernelError::NotHere)?;
        taped(
            self.tape.as_deref(),
            || Question::SysList(rel.to_string()),
            || {
                let mut names: Vec<String> = std::fs::read_dir(&path)?
                    .filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect();
                crate::model::sort::sort(&mut names);
                Ok(names)
            },
            |r| tape::io_result_to_value(r, |n| json!(n)),
            |v| {
                tape::io_result_from_value(v, |n| {
                    n.as_array().map(|a| {
                        a.iter()
                            .filter_map(|s| s.as_str().map(str::to_string))
                            .collect()
                    })
                })
            },
            || Err(tape::missed()),
        )
        .map_err(|source| KernelError::Read(ReadError::Io { path, source }))
    }

    /// Whether `/proc/REL` exists where /proc is read from.
    pub fn proc_exists(&self, rel: &str) -> bool {
        let Ok(path) = self.proc_path(rel) else {
            return false;
        };
        taped(
            self.tape.as_deref(),
            || Question::ProcExists(rel.to_string()),
            || path.exists(),
            |b| json!(b),
            Value::as_bool,
            || true,
        )
    }

    /// The box's clock, in seconds since the epoch: now, or when a bundle was taken.
    pub fn now(&self) -> i64 {
        taped(
            self.tape.as_deref(),
            || Question::Clock,
            crate::model::clock::now,
            |t| json!(t),
            Value::as_i64,
            crate::model::clock::now,
        )
    }

    /// Runs a helper program of the box (drbdsetup), by its deadline. In a capture there
    /// is none to run, and that is a miss: the check skips.
    pub fn run(
        &self,
        program: &Path,
        args: &[&str],
        deadline: Instant,
        max_output: usize,
    ) -> Result<String, DoorError> {
        let question = || Question::Run {
            program: program.to_path_buf(),
            args: args.iter().map(|a| a.to_string()).collect(),
        };
        if let World::Captured { .. } | World::Image = self.world {
            tape::note_misses(&[format!("{CAPTURE_MISS}: {}", question())]);
            return Err(DoorError::NotHere {
                program: program.to_path_buf(),
                why: NotLive::Captured,
            });
        }
        taped(
            self.tape.as_deref(),
            question,
            || Ok(command::run(program, args, deadline, max_output)?),
            run_to_value,
            |v| {
                // Held to the live limit: a bundle's output is no larger than a run's.
                if let Some(out) = v.get("stdout").and_then(Value::as_str) {
                    if out.len() > max_output {
                        let path = program.to_path_buf();
                        let limit = max_output;
                        return Some(Err(command::CommandError::TooLarge { path, limit }.into()));
                    }
                    Some(Ok(out.to_string()))
                } else {
                    DoorError::from_value(v).map(Err)
                }
            },
            || {
                Err(DoorError::Miss {
                    program: Some(program.to_path_buf()),
                })
            },
        )
    }

    /// One XML-RPC call to a daemon of the box (or its leader), by `deadline`. In a
    /// capture the daemons are not there: a miss, and the check skips.
    pub fn call(
        &self,
        endpoint: &xmlrpc::Endpoint,
        method: &str,
        params: &[xmlrpc::Value],
        deadline: Instant,
        max_reply: usize,
    ) -> Result<xmlrpc::Value, xmlrpc::CallError> {
        if let World::Captured { .. } | World::Image = self.world {
            tape::note_misses(&[format!(
                "{CAPTURE_MISS}: call {method}() at {}",
                endpoint.url
            )]);
            return Err(xmlrpc::CallError::NotHere(format!(
                "{method}() at {} is not called: the daemons of a captured box are not here",
                endpoint.url
            )));
        }
        let Some(tape) = &self.tape else {
            return xmlrpc::call(endpoint, method, params, deadline, max_reply);
        };
        let question = Question::Call {
            url: endpoint.url.clone(),
            method: method.to_string(),
            params: xmlrpc::params_key(params),
        };
        let recorded = tape.answer(
            &question,
            || xmlrpc::call_raw(endpoint, method, params, deadline, max_reply),
            |r| match r {
                Ok(body) => json!({ "reply": String::from_utf8_lossy(body) }),
                Err(e) => json!({
                    "failed": e.summary(),
                    "detail": e.to_string(),
                    "transient": e.is_transient(),
                    "unreachable": matches!(e, xmlrpc::CallError::Http(_)),
                }),
            },
            |v| {
                if let Some(body) = v.get("reply").and_then(Value::as_str) {
                    if body.len() > max_reply {
                        return Some(Err(xmlrpc::CallError::Http(http::HttpError::TooLarge {
                            addr: endpoint.addr,
                            limit: max_reply,
                            declared: None,
                        })));
                    }
                    Some(Ok(body.as_bytes().to_vec()))
                } else {
                    let summary = v.get("failed")?.as_str()?.to_string();
                    let flag = |k| v.get(k).and_then(Value::as_bool).unwrap_or(false);
                    Some(Err(xmlrpc::CallError::Replayed {
                        detail: v
                            .get("detail")
                            .and_then(Value::as_str)
                            .unwrap_or(&summary)
                            .to_string(),
                        summary,
                        transient: flag("transient"),
                        unreachable: flag("unreachable"),
                    }))
                }
            },
        );
        match recorded {
            None => Err(xmlrpc::CallError::NotHere(format!(
                "{BUNDLE_MISS}: {method}() at {}",
                endpoint.url
            ))),
            Some(Ok(body)) => xmlrpc::decode_reply(&body, endpoint.addr),
            Some(Err(e)) => Err(e),
        }
    }
}

impl Live<'_> {
    /// statfs(2) of a path of the box.
    pub fn statfs(self, path: &Path) -> Result<FsStat, DoorError> {
        taped(
            self.target.tape.as_deref(),
            || Question::Statfs(path.to_path_buf()),
            || {
                nix::sys::statfs::statfs(path)
                    .map(|st| {
                        // f_bsize: signed on glibc, an unsigned long on musl.
                        #[allow(clippy::unnecessary_cast)]
                        let block_size = st.block_size() as u64;
                        FsStat {
                            magic: fs_magic(st.filesystem_type()),
                            blocks: st.blocks(),
                            block_size,
                            free: st.blocks_available().saturating_mul(block_size),
                        }
                    })
                    .map_err(|e| DoorError::os(Syscall::Statfs, Some(path.to_path_buf()), e))
            },
            |r| match r {
                Ok(st) => {
                    json!({ "magic": st.magic, "blocks": st.blocks, "block_size": st.block_size, "free": st.free })
                }
                Err(e) => e.to_value(),
            },
            |v| {
                if let Some(e) = DoorError::from_value(v) {
                    return Some(Err(e));
                }
                Some(Ok(FsStat {
                    magic: v.get("magic")?.as_i64()?,
                    blocks: v.get("blocks")?.as_u64()?,
                    block_size: v.get("block_size")?.as_u64()?,
                    free: v.get("free")?.as_u64()?,
                }))
            },
            || Err(DoorError::Miss { program: None }),
        )
    }

    /// statvfs(3): free bytes and inodes of the filesystem a path is on.
    pub fn space(self, path: &Path) -> Result<Space, DoorError> {
        taped(
            self.target.tape.as_deref(),
            || Question::Statvfs(path.to_path_buf()),
            || -> Result<Space, DoorError> {
                let st = lfs::statvfs(path)
                    .map_err(|e| DoorError::os(Syscall::Statvfs, Some(path.to_path_buf()), e))?;
                let frag = st.fragment_size().max(1) as u64;
                Ok(Space {
                    free_bytes: (st.blocks_available() as u64).saturating_mul(frag),
                    total_bytes: (st.blocks() as u64).saturating_mul(frag),
                    free_inodes: st.files_available() as u64,
                    total_inodes: st.files() as u64,
                })
            },
            |r| match r {
                Ok(s) => {
                    json!({ "free_bytes": s.free_bytes, "total_bytes": s.total_bytes, "free_inodes": s.free_inodes, "total_inodes": s.total_inodes })
                }
                Err(e) => e.to_value(),
            },
            |v| {
                if let Some(e) = DoorError::from_value(v) {
                    return Some(Err(e));
                }
                let n = |k: &str| v.get(k).and_then(Value::as_u64);
                Some(Ok(Space {
                    free_bytes: n("free_bytes")?,
                    total_bytes: n("total_bytes")?,
                    free_inodes: n("free_inodes")?,
                    total_inodes: n("total_inodes")?,
                }))
            },
            || Err(DoorError::Miss { program: None }),
        )
    }

    /// The ext2/3/4 superblock of the mounted device `majmin` (see `block`): from the
    /// first of `paths` that is that block device. Recorded as hex, and held to exactly
    /// the live read's length when played.
    pub fn superblock(self, majmin: &str, paths: &[PathBuf]) -> Result<Vec<u8>, DoorError> {
        taped(
            self.target.tape.as_deref(),
            || Question::Superblock(majmin.to_string()),
            || {
                let (major, minor) =
                    block::parse_majmin(majmin).ok_or_else(|| DoorError::NotADevice {
                        majmin: majmin.to_string(),
                    })?;
                let mut why = Vec::new();
                for path in paths {
                    match block::read_superblock(path, major, minor) {
                        Ok(bytes) => return Ok(bytes),
                        Err(e) => why.push(e),
                    }
                }
                Err(DoorError::Block(why))
            },
            |r| match r {
                Ok(bytes) => json!({ "hex": hex(bytes) }),
                Err(e) => e.to_value(),
            },
            |v| {
                if let Some(e) = DoorError::from_value(v) {
                    return Some(Err(e));
                }
                let bytes = unhex(v.get("hex")?.as_str()?)?;
                (bytes.len() == block::SUPERBLOCK_LEN).then_some(Ok(bytes))
            },
            || Err(DoorError::Miss { program: None }),
        )
    }

    /// The kernel log's lines that hold one of `needles` (see `klog`).
    pub fn kernel_log(self, needles: &[&str]) -> Result<Vec<String>, DoorError> {
        taped(
            self.target.tape.as_deref(),
            || Question::KernelLog(needles.iter().map(|n| n.to_string()).collect()),
            || klog::lines_with(needles).map_err(|e| DoorError::os(Syscall::Syslog, None, e)),
            |r| match r {
                Ok(lines) => json!({ "lines": lines }),
                Err(e) => e.to_value(),
            },
            |v| {
                if let Some(e) = DoorError::from_value(v) {
                    return Some(Err(e));
                }
                let lines = v.get("lines")?.as_array()?;
                // Held to the live limit: a bundle's log is no larger than a read's.
                let size: usize = lines.iter().map(|l| l.as_str().map_or(0, str::len)).sum();
                if size > klog::MAX_KLOG_BYTES {
                    return None;
                }
                lines
                    .iter()
                    .map(|l| l.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .map(Ok)
            },
            || Err(DoorError::Miss { program: None }),
        )
    }

    /// access(2): whether this process may use `path` as `how` asks (build hosts only).
    pub fn access(self, path: &Path, how: nix::unistd::AccessFlags) -> bool {
        nix::unistd::access(path, how).is_ok()
    }

    /// Asks the filesystem whether a write lock on the whole file could be taken
    /// (F_GETLK): Some(holder's pid) when it could not. Takes no lock, changes nothing.
    pub fn lock_holder(self, path: &Path) -> Result<Option<i32>, DoorError> {
        taped(
            self.target.tape.as_deref(),
            || Question::LockHolder(path.to_path_buf()),
            || getlk(&self.target.root, path),
            |r| match r {
                Ok(pid) => json!({ "holder": pid }),
                Err(e) => e.to_value(),
            },
            |v| {
                if let Some(e) = DoorError::from_value(v) {
                    return Some(Err(e));
                }
                let holder = v.get("holder")?;
                Some(Ok(holder.as_i64().map(|p| p as i32)))
            },
            || Err(DoorError::Miss { program: None }),
        )
    }
}

/// A program's run on tape: `{"stdout": ..}`, or `{"failed": why}` (with its errno,
/// when it could not be started).
pub(crate) fn run_to_value(r: &Result<String, DoorError>) -> Value {
    match r {
        Ok(out) => json!({ "stdout": out }),
        Err(e) => e.to_value(),
    }
}

fn getlk(root: &Root, path: &Path) -> Result<Option<i32>, DoorError> {
    use std::os::fd::AsFd;
    let file = root.open_regular(path).map_err(DoorError::Probe)?;
    let mut lock = nix::libc::flock {
        l_type: nix::libc::F_WRLCK as i16,
        l_whence: nix::libc::SEEK_SET as i16,
        l_start: 0,
        l_len: 0,
        l_pid: 0,
    };
    nix::fcntl::fcntl(file.as_fd(), nix::fcntl::FcntlArg::F_GETLK(&mut lock))
        .map_err(|e: Errno| DoorError::os(Syscall::Getlk, Some(path.to_path_buf()), e))?;
    Ok((lock.l_type != nix::libc::F_UNLCK as i16).then_some(lock.l_pid))
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

/// statfs's f_type as linux/magic.h writes it, an unsigned 32-bit number. f_type is an
/// i64 on 64-bit glibc and an unsigned long on musl, but a signed 32-bit int on 32-bit
/// glibc (armhf), where btrfs's 0x9123683e would read as a negative number and match no
/// magic: there it is taken unsigned.
fn fs_magic(f_type: nix::sys::statfs::FsType) -> i64 {
    #[cfg(target_pointer_width = "32")]
    return i64::from(f_type.0 as u32);
    #[cfg(not(target_pointer_width = "32"))]
    #[allow(clippy::unnecessary_cast)]
    return f_type.0 as i64;
}

/// Free and total bytes and inodes of a filesystem (statvfs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Space {
    pub free_bytes: u64,
    pub total_bytes: u64,
    pub free_inodes: u64,
    pub total_inodes: u64,
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            use std::fmt::Write;
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The emulator the unit tests run under, when their runner says so: .cargo/config.toml
/// starts the foreign architectures' test binaries as `qemu-ARCH-static -E
/// HA_PREFLIGHT_EMULATOR=qemu-user`. qemu-user (7.2, Debian 12's) has no openat2, refuses
/// PR_SET_CHILD_SUBREAPER, and loses the error of a failed exec through glibc's
/// posix_spawn (it runs vfork as fork); a test that needs one of those skips that part
/// there, saying so. Natively, and on the real architecture, nothing is skipped.
#[cfg(test)]
pub(crate) fn emulator() -> Option<String> {
    std::env::var("HA_PREFLIGHT_EMULATOR").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A magic past 0x7fffffff (btrfs's) reads as linux/magic.h writes it, also where
    /// f_type is a signed 32-bit int.
    #[test]
    fn a_high_magic_reads_unsigned() {
        let btrfs = nix::sys::statfs::FsType(0x9123_683E_u32 as _);
        assert_eq!(fs_magic(btrfs), 0x9123_683E);
        let tmpfs = nix::sys::statfs::FsType(0x0102_1994 as _);
        assert_eq!(fs_magic(tmpfs), 0x0102_1994);
    }
}
