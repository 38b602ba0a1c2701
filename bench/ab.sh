#!/usr/bin/env bash
# Two builds of ha-preflight side by side on the healthy box (tests/healthy-box.sh in
# fresh namespaces): median wall of interleaved boot runs, and syscalls per run. For
# trying a change (an allocator, a profile setting) before bench/run.sh measures it.
# usage: sudo bench/ab.sh BINARY_A BINARY_B [RUNS]   (default 300)
set -euo pipefail
cd "$(dirname "$0")/.."
a=$(realpath "$1") b=$(realpath "$2") runs=${3:-300}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/ha-preflight-ab.XXXXXX")
trap 'rm -rf "$work"' EXIT
unshare -n -m bash tests/healthy-box.sh "$work" python3 - "$a" "$b" "$runs" <<'PY'
import statistics, subprocess, sys, time
a, b, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
def once(binary):
    t = time.perf_counter()
    p = subprocess.run([binary, "--format", "json"], stdout=subprocess.DEVNULL)
    if p.returncode != 0:
        sys.exit(f"{binary} did not pass on the healthy box")
    return (time.perf_counter() - t) * 1000
ta, tb = [], []
for _ in range(runs):
    ta.append(once(a)); tb.append(once(b))
ma, mb = statistics.median(ta), statistics.median(tb)
print(f"A {a}: median {ma:.2f} ms\nB {b}: median {mb:.2f} ms\nB/A {mb / ma:.2f}")
PY
