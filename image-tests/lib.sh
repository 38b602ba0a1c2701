# Shared by the scripts in image-tests/: PASS/FAIL lines, apt's own mirror, and a
# debootstrapped tree cached as a tarball. A caller sets SUITE, VARIANT, INCLUDE,
# CACHE_DIR and WORK, then calls cached_tree DIR (CLEAN=1 runs `apt-get clean` in the
# tree before it is cached).
# shellcheck shell=bash

failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
die() { echo "FAIL: $*" >&2; exit 2; }
note() { echo "---- $*"; }

# The Debian mirror apt itself uses for $SUITE (research/boot-test.md): this machine only
# reaches Debian's registry through it, and CI machines are configured the same way.
apt_mirror() {
    local uri
    uri=$(apt-get indextargets --format '$(REPO_URI)' 'Identifier: Packages' "Release: $SUITE" 2>/dev/null | head -n1)
    if [ -z "$uri" ]; then
        apt-get update -q >/dev/null       # no lists yet: Release: is only known after update
        uri=$(apt-get indextargets --format '$(REPO_URI)' 'Identifier: Packages' "Release: $SUITE" | head -n1)
    fi
    [ -n "$uri" ] || die "apt's sources have no Packages index for $SUITE"
    echo "$uri"
}

ensure_debootstrap() {
    command -v debootstrap >/dev/null && return
    note "installing debootstrap"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null
}

# The cache key names everything that changes the tree's contents.
cache_file() {
    echo "$CACHE_DIR/$SUITE-$(dpkg --print-architecture)-$VARIANT-${INCLUDE//,/+}.tar.zst"
}

# compress/decompress: zstd when present (the tree is ~200 MB raw), else plain tar.
pack() {   # DIR FILE
    if command -v zstd >/dev/null; then
        tar --numeric-owner --xattrs -C "$1" -cf - . | zstd -q -T0 -3 -o "$2"
    else
        tar --numeric-owner --xattrs -C "$1" -cf "$2" .
    fi
}
unpack() { # FILE DIR
    mkdir -p "$2"
    if command -v zstd >/dev/null; then
        zstd -q -dc "$1" | tar --numeric-owner --xattrs -xpf - -C "$2"
    else
        tar --numeric-owner --xattrs -xpf "$1" -C "$2"
    fi
}

# The debootstrapped tree in DIR: from the cache, or built and then cached.
cached_tree() {  # DIR
    local dir=$1 cache
    cache=$(cache_file)
    if [ -s "$cache" ]; then
        note "tree from the cache: $cache"
        unpack "$cache" "$dir"
        return
    fi
    ensure_debootstrap
    local mirror
    mirror=$(apt_mirror)
    note "debootstrap $SUITE ($INCLUDE) from $mirror (no cache yet: $cache)"
    # debootstrap mounts proc and sys inside the target; a private mount namespace
    # makes sure nothing it mounts can outlive it (or be seen) if it dies half-way.
    unshare -m --propagation private \
        debootstrap --variant="$VARIANT" --include="$INCLUDE" "$SUITE" "$dir" "$mirror" \
        > "$WORK/debootstrap.out" 2>&1 \
        || { tail -n 30 "$WORK/debootstrap.out"; die "debootstrap failed (log above)"; }
    if [ "${CLEAN:-0}" = 1 ]; then
        chroot "$dir" apt-get clean
    fi
    mkdir -p "$CACHE_DIR"
    # Write then rename: an interrupted run must not leave a truncated cache behind.
    pack "$dir" "$cache.tmp.$$" && mv -f "$cache.tmp.$$" "$cache"
    note "cached $(du -h "$cache" | cut -f1) at $cache"
}
