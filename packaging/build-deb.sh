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
# The binary is static: musl when its Rust target is installed (rustup target add
# x86_64-unknown-linux-musl), else glibc linked with crt-static (glibc's static libc
# comes with the toolchain's gcc). cargo-deb is installed from crates.io if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/debian}

if ! command -v cargo-deb >/dev/null; then
  echo "cargo-deb not installed: installing it from crates.io (about a minute)" >&2
  cargo install cargo-deb --locked --quiet >&2
fi

if rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-linux-musl; then
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
echo "$deb"
