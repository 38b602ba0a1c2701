#!/usr/bin/env bash
# Measures what the budgets in DEVELOPERS' guide talk about (a benchmark, not a test):
#   - the size of the static release binary (budget: well under 2 MiB);
#   - the wall time of a full boot run on a healthy box (budget: a few milliseconds).
# The healthy box is a fresh network + mount namespace set up as tests/boot_ns.rs does:
# lo up, tmpfs /dev/shm and /run, /etc/network/run -> /dev/shm/network holding lo=lo,
# and tests/xcbdaemon.py answering on 127.0.0.1:8000. Needs root for that part.
#
# usage: bench/run.sh [RUNS]   (default 200)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-200}

target=x86_64-unknown-linux-musl
if rustup target list --installed 2>/dev/null | grep -qx "$target" || rustup target add "$target" >/dev/null 2>&1; then
  cargo build --release --quiet --target "$target"
  bin=target/$target/release/ha-preflight
else
  echo "note: no musl target; building a static glibc binary instead" >&2
  RUSTFLAGS="-C target-feature=+crt-static" cargo build --release --quiet --target x86_64-unknown-linux-gnu
  bin=target/x86_64-unknown-linux-gnu/release/ha-preflight
fi
size=$(stat -c %s "$bin")
linkage=$(file -b "$bin" 2>/dev/null | grep -o 'statically linked\|static-pie linked\|dynamically linked' || echo "unknown linkage")
printf "binary: %s\n  size: %d bytes (%s MiB), %s\n" "$bin" "$size" "$(awk "BEGIN { printf \"%.2f\", $size / 1048576 }")" "$linkage"

if [ "$(id -u)" != 0 ]; then
  echo "boot run: skipped (needs root for namespaces)"
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/var/tmp}/ha-preflight-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/u" "$work/w"
unshare -n -m bash -s "$bin" "$runs" "$work" <<'NS'
set -euo pipefail
bin=$1 runs=$2 work=$3
mount --make-rprivate /
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$work/u,workdir=$work/w" /etc
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /dev/shm
mkdir -p /etc/network /dev/shm/network
rm -rf /etc/network/run
ln -s /dev/shm/network /etc/network/run
echo lo=lo > /dev/shm/network/ifstate
ip link set lo up
python3 tests/xcbdaemon.py --port 8000 --mode ok --lifetime 120 > "$work/daemon.out" &
until grep -q ready "$work/daemon.out"; do sleep 0.05; done
"$bin" --format json > "$work/one.json" || { cat "$work/one.json"; echo "the healthy box did not pass" >&2; exit 1; }
python3 - "$bin" "$runs" "$work/one.json" <<'PY'
import json, statistics, subprocess, sys, time
bin, runs = sys.argv[1], int(sys.argv[2])
wall, inner = [], []
for _ in range(runs):
    t = time.perf_counter()
    out = subprocess.run([bin, "--format", "json"], capture_output=True, check=True).stdout
    wall.append((time.perf_counter() - t) * 1000)
    inner.append(json.loads(out)["duration_ms"])
def show(name, xs):
    xs = sorted(xs)
    print(f"  {name}: median {statistics.median(xs):.2f} ms, p95 {xs[int(len(xs) * 0.95) - 1]:.2f} ms, max {xs[-1]:.2f} ms")
print(f"healthy boot run, {runs} runs, all checks passing, drbd-consistent not applicable:")
show("wall time (fork+exec to exit)", wall)
show("checks (the report's duration_ms)", inner)
PY
NS
