#!/usr/bin/env python3
"""Build the root tree of an image-mode case of tests/fixtures/image/ for
`ha-preflight image --root DIR`, for the shell and Python scripts (hostile.py,
incident-replay.sh, bench/, fuzz/) and by hand.

    python3 image-tests/make_tree.py CASE DIR   build DIR (absent or empty) as CASE's tree
    python3 image-tests/make_tree.py --list     case names, one per line

The cases, their folder format and what each shows are in tests/fixtures/README.md. The
Rust tests build them with src/testing/image_tree.rs; this reads the same folders the same
way, and tests/image.rs checks that both build the same trees. Python 3.11 standard
library only.

Exit codes: 0 built; 2 usage error (unknown case, DIR not empty, a broken case folder);
77 the case needs root (chown, mknod) and we are not root (the automake "skipped" code).
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "image"
CLEAN = "clean"


class NeedsRoot(Exception):
    """The case chowns or mknods and we are not root."""


def is_root() -> bool:
    return os.geteuid() == 0


# ---------------------------------------------------------------------------------------
# Small helpers, also hostile.py's. Paths are relative to the tree's root; none of them
# follows a link.


def inside(root: Path, rel: str) -> Path:
    """ROOT/REL, refusing a REL that is absolute or climbs, and one whose existing parents
    include a symlink: writing through one (var/run -> ../run, or a planted absolute link)
    could land outside the tree."""
    parts = Path(rel).parts
    if not parts or Path(rel).is_absolute() or any(p in (".", "..") for p in parts):
        raise ValueError(f"{rel}: not a plain relative path")
    parent = root
    for part in parts[:-1]:
        parent = parent / part
        if parent.is_symlink():
            raise ValueError(f"{rel}: {parent} is a symlink; refusing to write through it")
    return root / rel


def mkdirs(root: Path, rel: str) -> Path:
    """ROOT/REL and the folders above it, each one made 0755 (whatever the umask)."""
    path = inside(root, rel)
    at = root
    for part in Path(rel).parts:
        at = at / part
        if at.is_symlink() or (at.exists() and not at.is_dir()):
            raise ValueError(f"{rel}: {at} is there and is not a folder")
        if not at.exists():
            at.mkdir()
            os.chmod(at, 0o755)
    return path


def replaceable(root: Path, rel: str) -> Path:
    """ROOT/REL with its folders made and nothing left at it."""
    path = inside(root, rel)
    parent = os.path.dirname(rel)
    if parent:
        mkdirs(root, parent)
    if path.is_symlink() or path.exists():
        remove(root, rel)
    return path


def write(root: Path, rel: str, content: str | bytes = "", mode: int = 0o644) -> Path:
    """A fresh regular file: whatever was at REL (a link, a read-only file) is replaced,
    never written through."""
    path = replaceable(root, rel)
    data = content.encode() if isinstance(content, str) else content
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, mode)
    return path


def symlink(root: Path, rel: str, target: str) -> Path:
    path = replaceable(root, rel)
    os.symlink(target, path)
    return path


def remove(root: Path, rel: str) -> None:
    path = inside(root, rel)
    if path.is_symlink() or not path.is_dir():
        path.unlink()
    else:
        shutil.rmtree(path)


# ---------------------------------------------------------------------------------------
# The cases.


def manifest(case: str) -> dict:
    file = FIXTURES / case / "case.toml"
    if not case or "/" in case or not file.is_file():
        raise KeyError(case)
    with open(file, "rb") as f:
        return tomllib.load(f)


def cases() -> list[str]:
    return sorted(p.name for p in FIXTURES.iterdir() if (p / "case.toml").is_file())


def needs_root(m: dict) -> bool:
    return bool(m.get("owner")) or bool(m.get("node"))


def stays_inside(rel: str, target: str) -> bool:
    """Whether the link at REL (in a case's tree/) to TARGET is one git may hold:
    relative, leading inside tree/, and not to a folder above it (a loop)."""
    if target.startswith("/"):
        return False
    at: list[str] = []
    for part in Path(os.path.dirname(rel)).parts + Path(target).parts:
        if part == "..":
            if not at:
                return False
            at.pop()
        elif part != ".":
            at.append(part)
    return Path(*at) not in (Path(rel), *Path(rel).parents) if at else False


def overlay(tree: Path, root: Path, rel: str = "") -> None:
    """Lay the case's tree/ over ROOT: folders merge, files and symlinks replace."""
    for name in sorted(os.listdir(tree / rel)):
        sub = os.path.join(rel, name)
        src = tree / sub
        st = os.lstat(src)
        if stat.S_ISDIR(st.st_mode):
            mkdirs(root, sub)
            overlay(tree, root, sub)
        elif stat.S_ISLNK(st.st_mode):
            target = os.readlink(src)
            if not stays_inside(sub, target):
                raise ValueError(f"{src}: a link that is absolute, climbs out of tree/ or loops "
                                 "belongs in the manifest's [link]")
            symlink(root, sub, target)
        elif stat.S_ISREG(st.st_mode):
            write(root, sub, src.read_bytes(), 0o755 if st.st_mode & 0o111 else 0o644)
        else:
            raise ValueError(f"{src}: neither file, folder nor symlink")


def without_line(data: bytes, prefix: str) -> bytes:
    lines = data.splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(prefix.encode())]
    if len(kept) + 1 != len(lines):
        raise ValueError(f"not exactly one line starts with {prefix!r}")
    return b"".join(kept)


def apply(case: str, root: Path) -> None:
    """CASE's folder over ROOT, in the order of tests/fixtures/README.md."""
    m = manifest(case)
    for rel in m.get("remove", []):
        remove(root, rel)
    tree = FIXTURES / case / "tree"
    if tree.is_dir():
        overlay(tree, root)
    for rel, target in m.get("link", {}).items():
        symlink(root, rel, target)
    for copy in m.get("copy", []):
        data = (REPO / copy["from"]).read_bytes()
        if "without" in copy:
            data = without_line(data, copy["without"])
        write(root, copy["path"], data)
    for rel in m.get("folders", []):
        mkdirs(root, rel)
    for node in m.get("node", []):
        kind = {"block": stat.S_IFBLK, "char": stat.S_IFCHR}[node["kind"]]
        path = replaceable(root, node["path"])
        os.mknod(path, 0o600 | kind, os.makedev(node["major"], node["minor"]))
        os.chmod(path, 0o644)
    for rel, mode in m.get("mode", {}).items():
        path = inside(root, rel)
        if path.is_symlink():
            raise ValueError(f"{rel}: a symlink has no mode of its own")
        os.chmod(path, mode)
    for rel, (uid, gid) in m.get("owner", {}).items():
        os.lchown(inside(root, rel), uid, gid)


def build(case: str, directory: str | os.PathLike[str]) -> Path:
    """Build CASE at DIRECTORY (absent or empty). Raises KeyError (unknown case),
    NeedsRoot, FileExistsError (DIRECTORY not empty)."""
    if (needs_root(manifest(CLEAN)) or needs_root(manifest(case))) and not is_root():
        raise NeedsRoot(f"case {case} needs root (chown or mknod)")
    root = Path(directory)
    if root.is_symlink() or (root.exists() and any(root.iterdir())):
        raise FileExistsError(f"{root} exists and is not an empty directory")
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    apply(CLEAN, root)
    if case != CLEAN:
        apply(case, root)
    return root


def main(argv: list[str]) -> int:
    usage = "usage: make_tree.py CASE DIR | --list"
    if argv == ["--list"]:
        print("\n".join(cases()))
        return 0
    if len(argv) != 2 or argv[0].startswith("-"):
        print(usage, file=sys.stderr)
        return 2
    case, directory = argv
    try:
        build(case, directory)
    except KeyError:
        print(f"make_tree.py: unknown case {case!r} (see --list)", file=sys.stderr)
        return 2
    except NeedsRoot as e:
        print(f"make_tree.py: skipped: {e}", file=sys.stderr)
        return 77
    except (FileExistsError, ValueError, tomllib.TOMLDecodeError) as e:
        print(f"make_tree.py: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
