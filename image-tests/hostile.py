#!/usr/bin/env python3
"""A clean root tree with hostile content, for the confinement and safety rules of
`ha-preflight image` (doc/contracts.md, "Safety rules"; doc/security.md, the threat model).

    python3 image-tests/hostile.py DIR HOSTDIR
        Build the clean tree (tests/fixtures/image/clean, by make_tree.py) at DIR, then
        plant links that escape to HOSTDIR if resolved against the host, link loops,
        FIFOs, a socket, an 8 GiB sparse file, an unreadable file, names that are not
        UTF-8, a directory 10,000 levels deep and (as root) a device node. HOSTDIR stands
        for a host folder that must never be opened: it gets `secret` ("host secret") and
        a decoy SSH host key. Prints one JSON object describing every plant.

What a test does with it: build, fingerprint, run `ha-preflight image --root DIR` under a
timeout (a FIFO opened for reading would block it forever; the sparse file would take
minutes to read), check it ended in time without a panic, that its output never contains
the host secret's text, and that the tree's fingerprint (tests/common, from lstat alone)
is unchanged. `rm -rf` removes it (the deep directory defeats recursive removers).
"""

from __future__ import annotations

import json
import os
import socket
import stat
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_tree  # noqa: E402
from make_tree import remove, symlink, write  # noqa: E402

SECRET_TEXT = "host secret"
SPARSE_SIZE = 8 << 30  # 8 GiB
DEEP = 10_000


def plant(plants: list[dict], path: str, kind: str, checks: list[str], hazard: str, **extra) -> None:
    plants.append({"path": path, "type": kind, "checks": checks, "hazard": hazard, **extra})


def build(directory: str, host_directory: str) -> dict:
    root = Path(os.path.realpath(directory))
    host = Path(os.path.realpath(host_directory))
    if host == root or root in host.parents:
        raise ValueError("HOSTDIR must lie outside DIR")
    host.mkdir(parents=True, exist_ok=True)
    secret = host / "secret"
    secret.write_text(SECRET_TEXT + "\n")
    decoy_key = host / "ssh_host_ed25519_key"
    decoy_key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n" + SECRET_TEXT
                         + "\n-----END OPENSSH PRIVATE KEY-----\n")

    make_tree.build("clean", root)
    as_root = make_tree.is_root()
    plants: list[dict] = []
    skipped: list[dict] = []

    # Links that escape if resolved against the host.
    symlink(root, "etc/hostname", str(secret))
    plant(plants, "etc/hostname", "symlink", ["build-hostname"],
          "absolute link to the host secret; in the image it dangles", target=str(secret))

    climb = "../" * (len((root / "etc").parts) + 3) + str(secret).lstrip("/")
    symlink(root, "etc/resolv.conf", climb)
    assert os.path.realpath(root / "etc/resolv.conf") == str(secret), "climb does not reach HOSTDIR"
    plant(plants, "etc/resolv.conf", "symlink", ["resolv-conf"],
          "relative link climbing out of DIR with .. to the host secret; in the image the "
          "..s stop at the root and it dangles", target=climb)

    remove(root, "etc/ssh")
    symlink(root, "etc/ssh", str(host))
    plant(plants, "etc/ssh", "symlink", ["ssh-host-keys", "build-hostname"],
          "absolute link to HOSTDIR, which holds a decoy ssh_host_ed25519_key: a checker that "
          "escapes reports a host key; in the image etc/ssh dangles", target=str(host))

    symlink(root, "home/appliance/host", str(host))
    plant(plants, "home/appliance/host", "symlink", ["unknown-owners"],
          "absolute directory link to HOSTDIR: a tree walk that follows links leaves the image",
          target=str(host))

    symlink(root, "usr/lib/cycle", "../..")
    plant(plants, "usr/lib/cycle", "symlink", ["unknown-owners", "dev-nodes", "qemu-user-static"],
          "directory link to the image's root: a tree walk that follows links never ends",
          target="../..")

    # Loops.
    symlink(root, "etc/mtab", "mtab")
    plant(plants, "etc/mtab", "symlink", ["mtab-link"], "links to itself (ELOOP)", target="mtab")
    symlink(root, "etc/loop-a", "loop-b")
    symlink(root, "etc/loop-b", "loop-a")
    plant(plants, "etc/loop-a", "symlink", [], "two-link loop with etc/loop-b (ELOOP)", target="loop-b")
    plant(plants, "etc/loop-b", "symlink", [], "two-link loop with etc/loop-a (ELOOP)", target="loop-a")

    # Files that must never be opened for reading.
    remove(root, "etc/machine-id")
    os.mkfifo(root / "etc/machine-id", 0o644)
    plant(plants, "etc/machine-id", "fifo", ["machine-id"],
          "a FIFO with no writer: opening it for reading blocks forever")
    os.mkfifo(root / "run/initctl", 0o600)
    plant(plants, "run/initctl", "fifo", ["runtime-leftovers"],
          "sysvinit's control FIFO left in run/: opening it blocks forever")
    if plant_socket(root / "run", "xcbdaemon.sock"):
        plant(plants, "run/xcbdaemon.sock", "socket", ["runtime-leftovers"],
              "a unix socket left in run/ (nobody listens): open() fails with ENXIO")
    else:
        skipped.append({"path": "run/xcbdaemon.sock", "reason": "could not bind a unix socket"})

    status = root / "var/lib/dpkg/status"
    os.truncate(status, SPARSE_SIZE)
    plant(plants, "var/lib/dpkg/status", "file", ["netrun-layout", "qemu-user-static"],
          "the real stanzas followed by a hole to 8 GiB: reading it whole exhausts memory or time",
          size=SPARSE_SIZE)

    os.chmod(root / "etc/passwd", 0)
    plant(plants, "etc/passwd", "file", ["unknown-owners"],
          "mode 000: unreadable (as non-root only; root reads it anyway)",
          meaningful=not as_root)

    # Names that are not UTF-8, where the tree checks name what they find.
    for rel in (b"tmp/build-\xff\xfe.log", b"run/xcb\xc3(.pid"):
        path = os.fsencode(root) + b"/" + rel
        with open(path, "wb") as f:
            f.write(b"left by the build\n")
        plant(plants, rel.decode("utf-8", "backslashreplace"), "file", ["tmp-leftovers", "runtime-leftovers"],
              "a file name that is not UTF-8: reports must stay valid JSON and XML")

    # A directory DEEP levels deep: its paths pass PATH_MAX (4096) from level ~2000, so a
    # walk by path must give up there, and a recursive one may exhaust its stack.
    deep_dir(root / "var/lib/deep", DEEP)
    plant(plants, "var/lib/deep", "dir", ["unknown-owners", "dev-nodes"],
          f"{DEEP} nested directories: paths longer than PATH_MAX", depth=DEEP)

    if as_root:
        remove(root, "etc/network/interfaces")
        os.mknod(root / "etc/network/interfaces", 0o644 | stat.S_IFCHR, os.makedev(1, 5))
        plant(plants, "etc/network/interfaces", "chardev", ["netrun-stale"],
              "character device 1,5 (/dev/zero's numbers): reading it never ends", rdev=[1, 5])
    else:
        skipped.append({"path": "etc/network/interfaces", "reason": "a device node needs root (mknod)"})

    return {
        "root": str(root),
        "host_dir": str(host),
        "host_secret": str(secret),
        "host_secret_text": SECRET_TEXT,
        "host_decoy_key": str(decoy_key),
        "as_root": as_root,
        "plants": plants,
        "skipped": skipped,
    }


def deep_dir(top: Path, depth: int) -> None:
    """TOP/d/d/.../d, DEPTH levels, made through directory descriptors (a path this long
    cannot be named whole)."""
    top.mkdir(parents=True)
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            child = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = child
    finally:
        os.close(fd)


def plant_socket(directory: Path, name: str) -> bool:
    """Bind (and close) a unix socket at DIRECTORY/NAME; the socket file stays. Binds by a
    relative name from DIRECTORY, so a long DIR cannot exceed sun_path's 108 bytes."""
    cwd = os.getcwd()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        os.chdir(directory)
        sock.bind(name)
        return True
    except OSError:
        return False
    finally:
        sock.close()
        os.chdir(cwd)


def main(argv: list[str]) -> int:
    usage = "usage: hostile.py DIR HOSTDIR"
    if len(argv) != 2 or argv[0].startswith("-") or argv[1].startswith("-"):
        print(usage, file=sys.stderr)
        return 2
    try:
        report = build(argv[0], argv[1])
    except (ValueError, FileExistsError) as e:
        print(f"hostile.py: {e}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
