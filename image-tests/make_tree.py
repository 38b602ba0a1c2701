#!/usr/bin/env python3
"""Build small root trees for `ha-preflight image --root DIR` tests.

    python3 image-tests/make_tree.py CASE DIR   build DIR as the tree for CASE
    python3 image-tests/make_tree.py --list     case names, one per line
    python3 image-tests/make_tree.py --json     the case table as JSON

Every case is the CLEAN tree (a plausible minimal Debian 12 appliance root that passes
every image check) plus one planted build mistake. The table at the end of this file maps
each case name to the function that plants it, the image-check ids expected to come out
fail or warn (exactly those), whether building it needs root (chown, mknod), and a
description. Nothing here needs anything beyond the Python 3.11 standard library.

Exit codes: 0 built; 2 usage error (unknown case, DIR not empty); 77 the case needs root
and we are not root (the automake "skipped" code).

Ownership: every file belongs to whoever runs this. As root (CI) that is 0:0, which the
image's passwd knows. As a normal user it is that user's uid, which the image's passwd does
not know and which is >= 1000 in system folders: `unknown-owners` then fails on every tree,
so a test run as non-root must ignore it (the table's "ignore_unless_root").
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import stat
import struct
import sys
from pathlib import Path
from typing import Callable, NamedTuple

REPO = Path(__file__).resolve().parent.parent
UNIT_SOURCE = REPO / "systemd" / "ha-preflight.service"
DROPIN_SOURCE = REPO / "systemd" / "examples" / "ha-unit.service.d" / "10-ha-preflight.conf"

UNIT_DIR = "usr/lib/systemd/system"
WANTS_LINK = "etc/systemd/system/multi-user.target.wants/ha-preflight.service"
# The appliance's HA unit, named as a firmware names it (no placeholder), gated by the
# packaged example drop-in installed in its folder: the documented route.
HA_UNIT = "appliance-ha.service"
DROPIN = f"{UNIT_DIR}/{HA_UNIT}.d/10-ha-preflight.conf"

# Ids that depend on who owns the files (see the module docstring).
OWNER_IDS = ("unknown-owners",)

EM_X86_64 = 62


# ---------------------------------------------------------------------------------------
# Small helpers. Paths are relative to the tree's root; none of them follows a link.


def inside(root: Path, rel: str) -> Path:
    """ROOT/REL, refusing a path whose existing parents include a symlink: writing through
    one (var/run -> ../run, or a planted absolute link) could land outside the tree."""
    path = root / rel
    parent = root
    for part in Path(rel).parent.parts:
        parent = parent / part
        if parent.is_symlink():
            raise ValueError(f"{rel}: {parent} is a symlink; refusing to write through it")
    return path


def write(root: Path, rel: str, content: str | bytes = "", mode: int = 0o644) -> Path:
    """A fresh regular file: whatever was at REL (a link, a read-only file) is replaced,
    never written through."""
    path = inside(root, rel)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink() or path.exists():
        remove(root, rel)
    data = content.encode() if isinstance(content, str) else content
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, mode)
    return path


def mkdir(root: Path, rel: str, mode: int = 0o755) -> Path:
    path = inside(root, rel)
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, mode)
    return path


def symlink(root: Path, rel: str, target: str) -> Path:
    path = inside(root, rel)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink() or path.exists():
        remove(root, rel)
    os.symlink(target, path)
    return path


def remove(root: Path, rel: str) -> None:
    path = inside(root, rel)
    if path.is_symlink() or not path.is_dir():
        path.unlink()
    else:
        shutil.rmtree(path)


def elf_stub(machine: int = EM_X86_64) -> bytes:
    """A 64-byte ELF64 header (ET_DYN, no program headers) and a marker line.

    It looks like a binary to anything that reads the magic or e_machine, and the kernel
    refuses to execute it (no program headers), so it is harmless if run by mistake."""
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)  # ELFCLASS64, LSB, EV_CURRENT
    header = ident + struct.pack("<HHIQQQIHHHHHH", 3, machine, 1, 0, 0, 0, 0, 64, 56, 0, 64, 0, 0)
    assert len(header) == 64
    return header + b"ha-preflight image-tests: fake binary, not executable\n"


def fake_bytes(n: int, seed: str) -> bytes:
    """Deterministic bytes, so two builds of a case are identical."""
    out = b""
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return out[:n]


# ---------------------------------------------------------------------------------------
# The clean tree.

PASSWD = """\
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
appliance:x:1000:1000::/home/appliance:/bin/sh
"""

GROUP = """\
root:x:0:
daemon:x:1:
netdev:x:101:appliance
appliance:x:1000:
"""

HOSTS = """\
127.0.0.1\tlocalhost
127.0.1.1\tappliance
::1\t\tlocalhost ip6-localhost ip6-loopback
"""

SSHD_CONFIG = """\
Include /etc/ssh/sshd_config.d/*.conf
KbdInteractiveAuthentication no
UsePAM yes
X11Forwarding no
PrintMotd no
AcceptEnv LANG LC_*
Subsystem\tsftp\t/usr/lib/openssh/sftp-server
"""

HA_SERVICE = """\
[Unit]
Description=the appliance's HA scripts

[Service]
ExecStart=/usr/sbin/ha-daemon

[Install]
WantedBy=multi-user.target
"""

# With the host keys removed from the image, something must make them on first boot or
# sshd will not start; an appliance ships a unit like this one (Raspberry Pi OS does).
SSH_REGEN_SERVICE = (Path(__file__).resolve().parent / "units/regenerate-ssh-host-keys.service").read_text()

# (package, version, files listed in var/lib/dpkg/info/PACKAGE.list)
PACKAGES = [
    ("ifupdown", "0.8.41", ["/etc/init.d/networking", "/sbin/ifup", "/sbin/ifdown", "/sbin/ifquery"]),
    (
        "systemd",
        "252.39-1~deb12u2",
        [
            "/bin/systemctl",
            "/lib/systemd/systemd",
            "/usr/lib/tmpfiles.d/debian.conf",
            "/usr/lib/tmpfiles.d/var.conf",
            "/usr/lib/systemd/system/multi-user.target",
        ],
    ),
    (
        "systemd-resolved",
        "252.39-1~deb12u2",
        ["/lib/systemd/systemd-resolved", "/lib/systemd/system/systemd-resolved.service"],
    ),
    ("openssh-server", "1:9.2p1-2", ["/usr/sbin/sshd", "/lib/systemd/system/ssh.service"]),
    ("dpkg", "1.21.22", ["/usr/bin/dpkg", "/usr/sbin/start-stop-daemon"]),
    ("libc-bin", "2.36-9+deb12u7", ["/sbin/ldconfig", "/usr/bin/ldd"]),
]

DESCRIPTIONS = {
    "ifupdown": "high level tools to configure network interfaces",
    "systemd": "system and service manager",
    "systemd-resolved": "systemd DNS resolver",
    "openssh-server": "secure shell (SSH) server, for secure access from remote machines",
    "dpkg": "Debian package management system",
    "libc-bin": "GNU C Library: Binaries",
    "qemu-user-static": "QEMU user mode emulation binaries (static version)",
}


def stanza(package: str, version: str) -> str:
    return (
        f"Package: {package}\n"
        "Status: install ok installed\n"
        "Architecture: amd64\n"
        f"Version: {version}\n"
        f"Description: {DESCRIPTIONS[package]}\n"
    )


def write_dpkg_status(root: Path, overrides: dict[str, str] | None = None,
                      extra: list[tuple[str, str]] | None = None) -> None:
    """var/lib/dpkg/status for PACKAGES, with versions overridden and stanzas added."""
    overrides = overrides or {}
    stanzas = [stanza(p, overrides.get(p, v)) for p, v, _ in PACKAGES]
    stanzas += [stanza(p, v) for p, v in (extra or [])]
    write(root, "var/lib/dpkg/status", "\n".join(stanzas))


def write_dpkg_list(root: Path, package: str, files: list[str]) -> None:
    dirs: set[str] = set()
    for f in files:
        parent = os.path.dirname(f)
        while parent not in ("/", ""):
            dirs.add(parent)
            parent = os.path.dirname(parent)
    lines = ["/."] + sorted(dirs | set(files))
    write(root, f"var/lib/dpkg/info/{package}.list", "\n".join(lines) + "\n")


def build_clean(root: Path) -> None:
    for d in ["bin", "sbin", "usr/bin", "usr/sbin", "usr/lib", "lib", "etc", "var/lib",
              "var/cache/apt/archives", "var/log", "proc", "sys", "dev", "dev/pts", "run",
              "home", "home/appliance", "etc/dpkg/dpkg.cfg.d", "etc/ssh"]:
        mkdir(root, d)
    mkdir(root, "root", 0o700)
    mkdir(root, "tmp", 0o1777)
    mkdir(root, "var/tmp", 0o1777)
    symlink(root, "var/run", "../run")
    symlink(root, "var/lock", "../run/lock")

    write(root, "etc/passwd", PASSWD)
    write(root, "etc/group", GROUP)
    write(root, "etc/hostname", "appliance\n")
    write(root, "etc/hosts", HOSTS)
    write(root, "etc/machine-id", "", 0o444)
    symlink(root, "etc/mtab", "../proc/self/mounts")
    symlink(root, "etc/resolv.conf", "../run/systemd/resolve/stub-resolv.conf")

    write(root, "etc/network/interfaces", "auto lo\niface lo inet loopback\n")
    write_dpkg_status(root)
    write(root, "var/lib/dpkg/diversions", "")
    write(root, "var/lib/dpkg/lock", "", 0o640)          # empty dpkg locks are normal
    write(root, "var/lib/dpkg/lock-frontend", "", 0o640)
    for package, _, files in PACKAGES:
        write_dpkg_list(root, package, files)
    write(root, "etc/apt/apt.conf.d/00no-recommends", 'APT::Install-Recommends "false";\n')
    write(root, "etc/ssh/sshd_config", SSHD_CONFIG)

    for rel in ["bin/sh", "sbin/ldconfig", "usr/sbin/start-stop-daemon",
                "usr/bin/ha-preflight", "usr/sbin/ha-daemon", "usr/sbin/sshd"]:
        write(root, rel, elf_stub(), 0o755)

    write(root, f"{UNIT_DIR}/ha-preflight.service", UNIT_SOURCE.read_text())
    write(root, f"{UNIT_DIR}/{HA_UNIT}", HA_SERVICE)
    write(root, DROPIN, DROPIN_SOURCE.read_text())
    write(root, f"{UNIT_DIR}/regenerate-ssh-host-keys.service", SSH_REGEN_SERVICE)
    symlink(root, WANTS_LINK, f"/{UNIT_DIR}/ha-preflight.service")
    wants = "etc/systemd/system/multi-user.target.wants"
    symlink(root, f"{wants}/{HA_UNIT}", f"/{UNIT_DIR}/{HA_UNIT}")
    symlink(root, f"{wants}/regenerate-ssh-host-keys.service",
            f"/{UNIT_DIR}/regenerate-ssh-host-keys.service")


# ---------------------------------------------------------------------------------------
# The planted mistakes: one function per case, each called on a finished clean tree.


def case_clean(root: Path) -> None:
    pass


def case_netrun_real_dir(root: Path) -> None:
    write_dpkg_status(root, {"ifupdown": "0.6.10"})
    mkdir(root, "etc/network/run")


def case_netrun_real_dir_with_lo(root: Path) -> None:
    case_netrun_real_dir(root)
    write(root, "etc/network/run/ifstate", "lo=lo\n")


def case_netrun_link_to_etc(root: Path) -> None:
    write_dpkg_status(root, {"ifupdown": "0.6.10"})
    symlink(root, "etc/network/run", ".")


def case_netrun_link_devshm(root: Path) -> None:
    write_dpkg_status(root, {"ifupdown": "0.6.10"})
    symlink(root, "etc/network/run", "/dev/shm/network")


def case_netrun_link_run(root: Path) -> None:
    symlink(root, "etc/network/run", "/run/network")


def case_ifstate_baked_run(root: Path) -> None:
    write(root, "run/network/ifstate", "lo=lo\n")


def case_ifstate_08_per_iface(root: Path) -> None:
    write(root, "run/network/ifstate.lo", "lo\n")


def case_policy_rc_d(root: Path) -> None:
    write(root, "usr/sbin/policy-rc.d", "#!/bin/sh\nexit 101\n", 0o755)


def case_fake_start_stop_daemon(root: Path) -> None:
    write(root, "usr/sbin/start-stop-daemon.REAL", elf_stub(), 0o755)
    write(root, "usr/sbin/start-stop-daemon",
          "#!/bin/sh\necho 'Warning: Fake start-stop-daemon called, doing nothing'\n", 0o755)


def case_stray_diversion(root: Path) -> None:
    write(root, "var/lib/dpkg/diversions", "/sbin/ldconfig\n/sbin/ldconfig.REAL\nfakechroot\n")


def case_machine_id_filled(root: Path) -> None:
    write(root, "etc/machine-id", "0123456789abcdef0123456789abcdef\n", 0o444)


def case_dbus_machine_id(root: Path) -> None:
    write(root, "var/lib/dbus/machine-id", "fedcba9876543210fedcba9876543210\n", 0o444)


def case_random_seed(root: Path) -> None:
    mkdir(root, "var/lib/systemd")
    write(root, "var/lib/systemd/random-seed", fake_bytes(512, "random-seed"), 0o600)


def case_ssh_host_keys(root: Path) -> None:
    # Not real keys: the right shapes (PEM armour, an ed25519 public blob) with fixed bytes.
    blob = struct.pack(">I", 11) + b"ssh-ed25519" + struct.pack(">I", 32) + fake_bytes(32, "pub")
    pub = "ssh-ed25519 " + _b64(blob) + " root@buildhost\n"
    body = _b64(b"openssh-key-v1\0" + fake_bytes(200, "priv"))
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    private = ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
               + "\n-----END OPENSSH PRIVATE KEY-----\n")
    write(root, "etc/ssh/ssh_host_ed25519_key", private, 0o600)
    write(root, "etc/ssh/ssh_host_ed25519_key.pub", pub, 0o644)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def case_resolv_conf_from_host(root: Path) -> None:
    write(root, "etc/resolv.conf", "nameserver 10.1.2.3\nsearch build.example\n")


def case_hostname_from_host(root: Path) -> None:
    write(root, "etc/hostname", "buildhost\n")


def case_mailname(root: Path) -> None:
    write(root, "etc/mailname", "buildhost.example\n")


def case_apt_proxy(root: Path) -> None:
    write(root, "etc/apt/apt.conf.d/99mmdebstrap", 'Acquire::http::Proxy "http://10.0.0.1:3142";\n')


def case_apt_unauthenticated(root: Path) -> None:
    write(root, "etc/apt/apt.conf.d/10fai", 'APT::Get::AllowUnauthenticated "true";\n')


def case_dpkg_unsafe_io(root: Path) -> None:
    write(root, "etc/dpkg/dpkg.cfg.d/unsafe_io", "force-unsafe-io\n")


def case_mtab_file(root: Path) -> None:
    remove(root, "etc/mtab")
    write(root, "etc/mtab", "/dev/sda1 / ext4 rw 0 0\n")


def case_unknown_owner(root: Path) -> None:
    path = write(root, "usr/lib/libvendor.so.1", elf_stub())
    os.lchown(path, 4242, 4242)


def case_build_user_owner(root: Path) -> None:
    path = write(root, "etc/appliance.conf", "# appliance settings\nmode=ha\n")
    os.lchown(path, 1000, 1000)


def case_pid_file_in_run(root: Path) -> None:
    write(root, "run/xcbdaemon.pid", "1234\n")


def case_var_run_real_dir(root: Path) -> None:
    remove(root, "var/run")
    mkdir(root, "var/run")


def case_dhcp_lease(root: Path) -> None:
    write(root, "var/lib/dhcp/dhclient.eth0.leases", """\
lease {
  interface "eth0";
  fixed-address 10.1.2.50;
  option subnet-mask 255.255.255.0;
  option routers 10.1.2.1;
  option domain-name-servers 10.1.2.3;
  option domain-name "build.example";
  renew 3 2024/05/01 10:00:00;
  rebind 3 2024/05/01 13:00:00;
  expire 3 2024/05/01 14:00:00;
}
""")


def case_tmp_not_empty(root: Path) -> None:
    write(root, "tmp/build.log", "I: Retrieving InRelease\nI: Checking Release signature\n")


def case_tmp_mode(root: Path) -> None:
    mkdir(root, "tmp", 0o755)


def case_apt_cache_debs(root: Path) -> None:
    write(root, "var/cache/apt/archives/foo_1.0_amd64.deb", b"!<arch>\ndebian-binary   " + bytes(40))


def case_debootstrap_dir(root: Path) -> None:
    write(root, "debootstrap/debootstrap.log", "gpgv: Good signature\n")
    write(root, "var/log/bootstrap.log", "Selecting previously unselected package base-files.\n")


def case_qemu_static(root: Path) -> None:
    # qemu-arm-static runs on the build host, so it is a host-architecture (x86-64) ELF.
    write(root, "usr/bin/qemu-arm-static", elf_stub(), 0o755)


def case_qemu_static_owned(root: Path) -> None:
    case_qemu_static(root)
    version = "1:7.2+dfsg-7+deb12u18+b3"
    write_dpkg_status(root, extra=[("qemu-user-static", version)])
    write_dpkg_list(root, "qemu-user-static",
                    ["/usr/bin/qemu-arm-static", "/usr/lib/binfmt.d/qemu-arm.conf"])


def case_dev_node_block(root: Path) -> None:
    os.mknod(root / "dev/sda", 0o660 | stat.S_IFBLK, os.makedev(8, 0))
    os.chmod(root / "dev/sda", 0o660)  # mknod applies the umask


def case_dev_node_outside_dev(root: Path) -> None:
    os.mknod(root / "etc/null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    os.chmod(root / "etc/null", 0o666)


def case_proc_not_empty(root: Path) -> None:
    write(root, "proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\n", 0o444)


def case_unit_not_enabled(root: Path) -> None:
    remove(root, WANTS_LINK)


def case_unit_not_enabled_not_required(root: Path) -> None:
    case_unit_not_enabled(root)
    _dropin_without(root, "Requires")


def case_unit_missing(root: Path) -> None:
    case_unit_not_enabled(root)
    remove(root, f"{UNIT_DIR}/ha-preflight.service")


def _dropin_without(root: Path, directive: str) -> None:
    lines = (root / DROPIN).read_text().splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(f"{directive}=")]
    assert len(kept) == len(lines) - 1, f"the drop-in has no {directive}= line"
    write(root, DROPIN, "".join(kept))


def case_unit_not_ordered(root: Path) -> None:
    _dropin_without(root, "After")


def case_ha_unit_not_required(root: Path) -> None:
    _dropin_without(root, "Requires")


def case_no_ha_unit_gated(root: Path) -> None:
    # The package enabled in a tree, and no drop-in: what `systemctl --root enable`
    # after unpacking the .deb gives.
    remove(root, f"{UNIT_DIR}/{HA_UNIT}.d")


def case_ha_unit_requires_link(root: Path) -> None:
    # Gated the other way systemd allows: a .requires/ link, ordering from the drop-in.
    _dropin_without(root, "Requires")
    symlink(root, f"etc/systemd/system/{HA_UNIT}.requires/ha-preflight.service",
            f"/{UNIT_DIR}/ha-preflight.service")


def case_unit_masked_empty_file(root: Path) -> None:
    # An empty unit file in /etc masks the unit (systemd's null_or_empty()).
    write(root, "etc/systemd/system/ha-preflight.service", "")


def case_ha_unit_masked_relative_link(root: Path) -> None:
    # A mask written by hand: relative, still /dev/null inside the image.
    symlink(root, f"etc/systemd/system/{HA_UNIT}", "../../../dev/null")


def case_ha_unit_template_instance(root: Path) -> None:
    # The HA unit as a template instance: no file of its own, loaded from the template;
    # the drop-in in the instance's folder, enabled as `systemctl enable` links one.
    template = HA_UNIT.replace(".service", "@.service")
    instance = HA_UNIT.replace(".service", "@main.service")
    wants = "etc/systemd/system/multi-user.target.wants"
    remove(root, f"{wants}/{HA_UNIT}")
    remove(root, f"{UNIT_DIR}/{HA_UNIT}.d")
    remove(root, f"{UNIT_DIR}/{HA_UNIT}")
    write(root, f"{UNIT_DIR}/{template}", HA_SERVICE)
    write(root, f"{UNIT_DIR}/{instance}.d/10-ha-preflight.conf", DROPIN_SOURCE.read_text())
    symlink(root, f"{wants}/{instance}", f"/{UNIT_DIR}/{template}")


# ---------------------------------------------------------------------------------------
# The table.


class Case(NamedTuple):
    build: Callable[[Path], None]
    expected: tuple[str, ...]  # ids that must come out fail or warn; every other id must not
    needs_root: bool
    description: str


CASES: dict[str, Case] = {
    "clean": Case(case_clean, (), False,
        "the clean appliance root: every image check passes"),
    "netrun-real-dir": Case(case_netrun_real_dir, ("netrun-layout",), False,
        "etc/network/run is a real, empty directory (ifupdown 0.6 'owndir' layout, seed-004); "
        "dpkg status says ifupdown 0.6.10"),
    "netrun-real-dir-with-lo": Case(case_netrun_real_dir_with_lo, ("netrun-layout", "netrun-stale"), False,
        "the same, holding ifstate 'lo=lo': lo would be skipped by ifup on every boot"),
    "netrun-link-to-etc": Case(case_netrun_link_to_etc, ("netrun-layout",), False,
        "etc/network/run -> . (ifupdown 0.6 'etcnetwork' layout: state on persistent storage)"),
    "netrun-link-devshm": Case(case_netrun_link_devshm, (), False,
        "etc/network/run -> /dev/shm/network (the good ifupdown 0.6 layout)"),
    "netrun-link-run": Case(case_netrun_link_run, (), False,
        "etc/network/run -> /run/network (ifupdown 0.7+, upgraded system)"),
    "ifstate-baked-run": Case(case_ifstate_baked_run, ("netrun-stale",), False,
        "run/network/ifstate 'lo=lo' baked into the image (ifupdown state, not a runtime leftover)"),
    "ifstate-0.8-per-iface": Case(case_ifstate_08_per_iface, ("netrun-stale",), False,
        "run/network/ifstate.lo 'lo' (ifupdown 0.8 per-interface state file)"),
    "policy-rc-d": Case(case_policy_rc_d, ("policy-rc-d",), False,
        "usr/sbin/policy-rc.d 'exit 101' left by the build: services never restart on upgrade"),
    "fake-start-stop-daemon": Case(case_fake_start_stop_daemon, ("dpkg-diversions",), False,
        "debootstrap's shell stub as usr/sbin/start-stop-daemon, the real one as .REAL"),
    "stray-diversion": Case(case_stray_diversion, ("dpkg-diversions",), False,
        "var/lib/dpkg/diversions holds fakechroot's /sbin/ldconfig -> /sbin/ldconfig.REAL"),
    "machine-id-filled": Case(case_machine_id_filled, ("machine-id",), False,
        "etc/machine-id holds an id: every unit would share it"),
    "dbus-machine-id": Case(case_dbus_machine_id, ("machine-id",), False,
        "var/lib/dbus/machine-id is a regular file with an id (systemd copies it on first boot)"),
    "random-seed": Case(case_random_seed, ("machine-id",), False,
        "var/lib/systemd/random-seed (512 bytes) baked in: every unit seeds the same"),
    "ssh-host-keys": Case(case_ssh_host_keys, ("ssh-host-keys", "build-hostname"), False,
        "etc/ssh/ssh_host_ed25519_key and .pub (comment root@buildhost) baked in"),
    "resolv-conf-from-host": Case(case_resolv_conf_from_host, ("resolv-conf",), False,
        "etc/resolv.conf is the build host's regular file (nameserver 10.1.2.3, search build.example)"),
    "hostname-from-host": Case(case_hostname_from_host, ("build-hostname",), False,
        "etc/hostname 'buildhost' while etc/hosts says 127.0.1.1 appliance"),
    "mailname": Case(case_mailname, ("build-hostname",), False,
        "etc/mailname 'buildhost.example' left by a postinst"),
    "apt-proxy": Case(case_apt_proxy, ("apt-proxy",), False,
        "etc/apt/apt.conf.d/99mmdebstrap sets Acquire::http::Proxy to the build LAN's cache"),
    "apt-unauthenticated": Case(case_apt_unauthenticated, ("apt-proxy",), False,
        "etc/apt/apt.conf.d/10fai sets APT::Get::AllowUnauthenticated \"true\""),
    "dpkg-unsafe-io": Case(case_dpkg_unsafe_io, ("apt-proxy",), False,
        "etc/dpkg/dpkg.cfg.d/unsafe_io says force-unsafe-io"),
    "mtab-file": Case(case_mtab_file, ("mtab-link",), False,
        "etc/mtab a regular file written by mount in the chroot"),
    "unknown-owner": Case(case_unknown_owner, ("unknown-owners",), True,
        "usr/lib/libvendor.so.1 owned by 4242:4242, which the image's passwd and group lack"),
    "build-user-owner": Case(case_build_user_owner, ("unknown-owners",), True,
        "etc/appliance.conf owned by 1000:1000 (the appliance user exists, but uid >= 1000 in /etc)"),
    "pid-file-in-run": Case(case_pid_file_in_run, ("runtime-leftovers",), False,
        "run/xcbdaemon.pid '1234' baked in"),
    "var-run-real-dir": Case(case_var_run_real_dir, ("runtime-leftovers",), False,
        "var/run a real directory instead of the link to ../run: pid files persist"),
    "dhcp-lease": Case(case_dhcp_lease, ("runtime-leftovers",), False,
        "var/lib/dhcp/dhclient.eth0.leases with the build LAN's lease"),
    "tmp-not-empty": Case(case_tmp_not_empty, ("tmp-leftovers",), False,
        "tmp/build.log left by the build"),
    "tmp-mode": Case(case_tmp_mode, ("tmp-leftovers",), False,
        "tmp has mode 0755 instead of 1777"),
    "apt-cache-debs": Case(case_apt_cache_debs, ("tmp-leftovers",), False,
        "var/cache/apt/archives/foo_1.0_amd64.deb: no apt-get clean"),
    "debootstrap-dir": Case(case_debootstrap_dir, ("tmp-leftovers",), False,
        "debootstrap/debootstrap.log and var/log/bootstrap.log left by debootstrap"),
    "qemu-static": Case(case_qemu_static, ("qemu-user-static",), False,
        "usr/bin/qemu-arm-static copied in by a cross-build, owned by no package"),
    "qemu-static-owned": Case(case_qemu_static_owned, (), False,
        "usr/bin/qemu-arm-static installed by the qemu-user-static package (listed in its .list)"),
    "dev-node-block": Case(case_dev_node_block, ("dev-nodes",), True,
        "dev/sda a block device (8,0) copied from the host's /dev"),
    "dev-node-outside-dev": Case(case_dev_node_outside_dev, ("dev-nodes",), True,
        "etc/null a character device (1,3) outside /dev"),
    "proc-not-empty": Case(case_proc_not_empty, ("dev-nodes",), False,
        "proc/cpuinfo a regular file: /proc captured while mounted"),
    "unit-not-enabled": Case(case_unit_not_enabled, (), False,
        "ha-preflight.service not enabled, but the HA unit's Requires= starts it first: gated"),
    "unit-not-enabled-not-required": Case(case_unit_not_enabled_not_required, ("unit-wiring",), False,
        "ha-preflight.service not enabled and nothing requires it: it never runs"),
    "unit-missing": Case(case_unit_missing, ("unit-wiring",), False,
        "ha-preflight.service and its link missing (the HA unit's drop-in still requires it)"),
    "unit-not-ordered": Case(case_unit_not_ordered, ("unit-wiring",), False,
        "the HA unit's drop-in without After=: Requires= without ordering does not gate"),
    "ha-unit-not-required": Case(case_ha_unit_not_required, ("unit-wiring",), False,
        "the HA unit's drop-in without Requires=: After= alone starts it whatever the gate says"),
    "no-ha-unit-gated": Case(case_no_ha_unit_gated, ("unit-wiring",), False,
        "the gate enabled but no unit requires it (the .deb unpacked and enabled, no drop-in)"),
    "ha-unit-requires-link": Case(case_ha_unit_requires_link, (), False,
        "the HA unit requires the gate through a .requires/ link, ordered by its drop-in"),
    "unit-masked-empty-file": Case(case_unit_masked_empty_file, ("unit-wiring",), False,
        "an empty etc/systemd/system/ha-preflight.service: systemd treats it as masked"),
    "ha-unit-masked-relative-link": Case(case_ha_unit_masked_relative_link, ("unit-wiring",), False,
        "the HA unit masked by a link to ../../../dev/null written by hand"),
    "ha-unit-template-instance": Case(case_ha_unit_template_instance, (), False,
        "the HA unit an instance of a template, its drop-in in the instance's folder"),
}


class NeedsRoot(Exception):
    """The case chowns or mknods and we are not root."""


def is_root() -> bool:
    return os.geteuid() == 0


def build(case: str, directory: str | os.PathLike[str]) -> Path:
    """Build CASE at DIRECTORY (absent or empty). Raises KeyError (unknown case),
    NeedsRoot, FileExistsError (DIRECTORY not empty)."""
    spec = CASES[case]
    if spec.needs_root and not is_root():
        raise NeedsRoot(f"case {case} needs root (chown or mknod)")
    root = Path(directory)
    if root.is_symlink() or (root.exists() and any(root.iterdir())):
        raise FileExistsError(f"{root} exists and is not an empty directory")
    old_umask = os.umask(0o022)
    try:
        root.mkdir(parents=True, exist_ok=True)
        os.chmod(root, 0o755)
        build_clean(root)
        spec.build(root)
    finally:
        os.umask(old_umask)
    return root


def table() -> list[dict]:
    return [
        {
            "name": name,
            "expected": list(case.expected),
            "needs_root": case.needs_root,
            "description": case.description,
            "ignore_unless_root": list(OWNER_IDS),
        }
        for name, case in CASES.items()
    ]


def main(argv: list[str]) -> int:
    usage = "usage: make_tree.py CASE DIR | --list | --json"
    if argv == ["--list"]:
        print("\n".join(CASES))
        return 0
    if argv == ["--json"]:
        print(json.dumps(table(), indent=2))
        return 0
    if len(argv) != 2 or argv[0].startswith("-"):
        print(usage, file=sys.stderr)
        return 2
    case, directory = argv
    if case not in CASES:
        print(f"make_tree.py: unknown case {case!r} (see --list)", file=sys.stderr)
        return 2
    try:
        build(case, directory)
    except NeedsRoot as e:
        print(f"make_tree.py: skipped: {e}", file=sys.stderr)
        return 77
    except FileExistsError as e:
        print(f"make_tree.py: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
