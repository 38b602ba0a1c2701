#!/usr/bin/env bash
# Where the static binary's size goes (a measurement, not a test): cargo bloat
# (crates.io: cargo install cargo-bloat) by crate, then the largest functions, of the
# same release build bench/run.sh measures, unstripped so that it can name symbols.
# usage: bench/bloat.sh [N]   (default 25 rows each)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-25}
command -v cargo-bloat >/dev/null || { echo "needs cargo-bloat: cargo install cargo-bloat" >&2; exit 2; }
export CARGO_PROFILE_RELEASE_STRIP=false CARGO_TARGET_DIR=target/bloat
cargo bloat --release --target x86_64-unknown-linux-musl --crates -n "$n"
cargo bloat --release --target x86_64-unknown-linux-musl -n "$n"
