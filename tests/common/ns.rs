//! A box in fresh network and mount namespaces, for the tests of kernel state: the
//! namespace's lo starts really down, /dev/shm and /run are really tmpfs or really a
//! plain directory, and /etc is an overlay whose writes land in a scratch directory, so
//! the host's /etc and /dev/shm are never touched. xcbdaemon is played by
//! tests/xcbdaemon.py. Needs root; `Scenario::run` says why and returns None without it.

use super::{Ran, repo, scratch, skip_unless_root, time};
use std::fmt::Write as _;
use std::process::Command;
use std::time::Duration;

/// What is mounted on /dev/shm before the scenario's own commands run.
#[derive(Clone, Copy, PartialEq)]
pub enum Shm {
    Tmpfs,
    /// A bind of a directory on the disk: seed 004's build host.
    PlainDir,
    /// Nothing: the scenario's `extra` lays /dev/shm out itself.
    Unmounted,
}

/// Where ifupdown's state lives in a scenario.
#[derive(Clone, Copy, PartialEq)]
pub enum Layout {
    /// /etc/network/run -> /dev/shm/network (ifupdown 0.6)
    LinkToShm,
    /// /etc/network/run absent, state in /run/network (ifupdown 0.8)
    Modern,
    /// /etc/network/run a real directory on the (overlay, disk-backed) /etc: seed 004
    RealDir,
}

pub struct Scenario {
    pub name: &'static str,
    pub shm: Shm,
    pub layout: Layout,
    pub ifstate: &'static str,
    pub lo_up: bool,
    /// xcbdaemon.py mode, or None for no daemon at all.
    pub daemon: Option<&'static str>,
    /// Extra shell run after the layout is made (before the binary).
    pub extra: String,
    pub args: Vec<String>,
    /// A command the binary runs under (strace), or empty.
    pub prefix: String,
}

impl Scenario {
    pub fn healthy(name: &'static str) -> Self {
        Scenario {
            name,
            shm: Shm::Tmpfs,
            layout: Layout::LinkToShm,
            ifstate: "lo=lo\n",
            lo_up: true,
            daemon: Some("ok"),
            extra: String::new(),
            args: strs(&["--format", "json"]),
            prefix: String::new(),
        }
    }

    /// Runs the scenario; None (after saying why) when not root.
    pub fn run(&self) -> Option<(Ran, Duration)> {
        if skip_unless_root(self.name, "network and mount namespaces") {
            return None;
        }
        let dir = scratch(self.name);
        let w = dir.display();
        let mut sh = String::from("set -eu\nmount --make-rprivate /\n");
        for d in ["etc-upper", "etc-work", "plain-shm"] {
            let _ = writeln!(sh, "mkdir -p {w}/{d}");
        }
        let _ = writeln!(
            sh,
            "mount -t overlay overlay -o lowerdir=/etc,upperdir={w}/etc-upper,workdir={w}/etc-work /etc"
        );
        sh.push_str("mount -t tmpfs tmpfs /run\n");
        // The namespace starts with the host's mounts: drop those on /dev/shm, so that
        // /proc/mounts (which the build-host checks grep) shows only the scenario's.
        sh.push_str("while umount /dev/shm 2>/dev/null; do :; done\n");
        match self.shm {
            Shm::Tmpfs => sh.push_str("mount -t tmpfs tmpfs /dev/shm\n"),
            Shm::PlainDir => {
                let _ = writeln!(sh, "mount --bind {w}/plain-shm /dev/shm");
            }
            Shm::Unmounted => {}
        }
        sh.push_str("mkdir -p /etc/network\nrm -rf /etc/network/run\n");
        let state_dir = match self.layout {
            Layout::LinkToShm => {
                sh.push_str("mkdir -p /dev/shm/network\nln -s /dev/shm/network /etc/network/run\n");
                "/dev/shm/network"
            }
            Layout::Modern => {
                sh.push_str("mkdir -p /run/network\n");
                "/run/network"
            }
            Layout::RealDir => {
                sh.push_str("mkdir -p /etc/network/run\n");
                "/etc/network/run"
            }
        };
        let _ = writeln!(sh, "printf '%s' '{}' > {state_dir}/ifstate", self.ifstate);
        if self.lo_up {
            sh.push_str("ip link set lo up\n");
        }
        sh.push_str(&self.extra);
        sh.push('\n');
        if let Some(mode) = self.daemon {
            let _ = writeln!(
                sh,
                "python3 {}/tests/xcbdaemon.py --host 127.0.0.1 --port 8000 --mode {mode} --lifetime 20 > {w}/daemon.out 2>{w}/daemon.err &",
                repo().display()
            );
            let _ = writeln!(
                sh,
                "i=0; until grep -q ready {w}/daemon.out; do i=$((i+1)); [ $i -lt 200 ] || {{ echo 'xcbdaemon.py never got ready' >&2; cat {w}/daemon.err >&2; exit 99; }}; sleep 0.05; done"
            );
        }
        let args: Vec<String> = self.args.iter().map(|a| format!("'{a}'")).collect();
        let _ = writeln!(
            sh,
            "exec {} {} {}",
            self.prefix,
            super::bin(),
            args.join(" ")
        );

        let (ran, took) = time(
            Command::new("unshare")
                .args(["-n", "-m", "sh", "-c", &sh])
                .env("NO_COLOR", "1"),
        );
        assert_ne!(ran.code, 99, "{}: setup failed: {}", self.name, ran.stderr);
        Some((ran, took))
    }
}

pub fn strs(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}
