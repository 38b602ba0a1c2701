#!/usr/bin/env bash
# Builds the Debian package from [package.metadata.deb] in Cargo.toml and prints its path
# on the last line of stdout.
#
#   bash packaging/build-deb.sh [OUTPUT_DIR]      (default: target/debian)
#
# DEB_VERSION=V sets the package's version (with revision) instead of Cargo.toml's, as
# cargo deb --deb-version does: image-tests/boot/run.sh builds a newer package that way
# to upgrade to.
#
# DEB_TARGET=T builds the package of another architecture from that Rust target's
# static binary (README, "Other architectures"; .cargo/config.toml links them):
# aarch64-unknown-linux-musl gives ha-preflight_VERSION-1_arm64.deb,
# armv7-unknown-linux-gnueabihf ha-preflight_VERSION-1_armhf.deb (cargo-deb names the
# Architecture from the target).
#
# Unset, the package is amd64's, and its binary static: musl when its Rust target is
# installed (rustup target add x86_64-unknown-linux-musl), else glibc linked with
# crt-static (glibc's static libc comes with the toolchain's gcc). cargo-deb is
# installed from crates.io if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/debian}

if ! command -v cargo-deb >/dev/null; then
  echo "cargo-deb not installed: installing it from crates.io (about a minute)" >&2
  cargo install cargo-deb --locked --quiet >&2
fi

if [ -n "${DEB_TARGET:-}" ]; then
  target=$DEB_TARGET
elif rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-linux-musl; then
  target=x86_64-unknown-linux-musl
else
  echo "note: no musl target; building a static glibc binary instead" >&2
  target=x86_64-unknown-linux-gnu
  export RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static"
fi

mkdir -p "$out"
# cargo-deb maps the assets' target/release/ paths to target/$target/release/.
version=()
[ -z "${DEB_VERSION:-}" ] || version=(--deb-version "$DEB_VERSION")
deb=$(cargo deb --quiet --target "$target" "${version[@]}" --output "$out" | tail -n1)

# cargo-deb (3.8) writes no md5sums. dpkg computes them at unpack when a package has
# none, but then `dpkg --verify` holds the files to what was unpacked, not to what was
# built. So the package is unpacked and packed again with them: the same files, modes,
# times and scripts, root-owned, as dh_md5sums would have listed them.
if command -v dpkg-deb >/dev/null; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  dpkg-deb --raw-extract "$deb" "$work/pkg"
  (cd "$work/pkg" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' |
    LC_ALL=C sort -z | xargs -0r md5sum) > "$work/pkg/DEBIAN/md5sums"
  chmod 644 "$work/pkg/DEBIAN/md5sums"
  # Every entry, and the archive's members, get the one time cargo-deb gave them all
  # (unpacking touched the folders), so a rebuild makes the same bytes.
  find "$work/pkg" -exec touch -h -r "$work/pkg/DEBIAN/control" {} +
  SOURCE_DATE_EPOCH=$(stat -c %Y "$work/pkg/DEBIAN/control") \
    dpkg-deb --root-owner-group --build "$work/pkg" "$deb" >/dev/null
else
  echo "note: no dpkg-deb here, so the package has no md5sums" >&2
fi
echo "$deb"
