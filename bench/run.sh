#!/usr/bin/env bash
# The benchmark (not a test): measures the budgets of the developers' guide and of
# issue 7 and prints one table.
#   - the static release binary (x86_64-unknown-linux-musl, stripped): size, budget
#     1.40 MiB (issue 16);
#   - a full boot run on a healthy box: median wall time of interleaved runs against
#     bench/baseline-boot.sh (the same eleven checks as shell and python), budget 35x
#     faster than it; and against the floor, bench/floor.c (statfs, mountinfo,
#     getifaddrs, the kernel log ring, one XML-RPC call, nothing else), goal within 2x;
#     peak memory;
#   - an image scan of generated trees of 10k and 100k files (bench/scan.sh): against
#     bench/baseline-scan.sh (the same tree-wide checks with find and awk), the scaling
#     from 10k to 100k, peak memory; budget (issue 16) 1.6x find's time and 8 MiB at 100k
#     (the 1M-file rows: bench/scan.sh 100000 1000000).
# The healthy box is tests/healthy-box.sh in fresh network and mount namespaces: lo up,
# tmpfs /dev/shm and /run, /etc/network/run -> /dev/shm/network holding lo=lo, and
# tests/xcbdaemon.py answering on 127.0.0.1:8000. That part needs root.
#
# usage: bench/run.sh [RUNS]   (default 200 boot runs of each; RUNS=... for the scans)
# env:   BENCH_STRICT=1  exit 1 when a budget is missed
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-200}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/ha-preflight-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
results=$work/results.tsv   # measure, ours, baseline, unit, budget
: > "$results"

target=x86_64-unknown-linux-musl
if rustup target list --installed 2>/dev/null | grep -qx "$target" || rustup target add "$target" >/dev/null 2>&1; then
  cargo build --release --quiet --target "$target"
  bin=$PWD/target/$target/release/ha-preflight
else
  echo "note: no musl target; building a static glibc binary instead" >&2
  RUSTFLAGS="-C target-feature=+crt-static" cargo build --release --quiet --target x86_64-unknown-linux-gnu
  bin=$PWD/target/x86_64-unknown-linux-gnu/release/ha-preflight
fi
size=$(stat -c %s "$bin")
linkage=$(file -b "$bin" 2>/dev/null | grep -o 'statically linked\|static-pie linked\|dynamically linked' || echo "unknown linkage")
printf "binary: %s (%s)\n" "$bin" "$linkage"
printf "binary size\t%s\t\tMiB\t1.40\n" "$(awk "BEGIN { printf \"%.2f\", $size / 1048576 }")" >> "$results"

floor=$work/floor
cc=$(command -v musl-gcc || echo gcc)
"$cc" -static -O2 -o "$floor" bench/floor.c

if [ "$(id -u)" = 0 ]; then
  unshare -n -m bash tests/healthy-box.sh "$work" bash -s "$bin" "$runs" "$work" "$PWD" "$floor" <<'NS'
set -euo pipefail
bin=$1 runs=$2 work=$3 repo=$4 floor=$5
"$floor" || { echo "the floor program did not pass on the healthy box" >&2; exit 1; }
"$bin" --format json > "$work/one.json" || { cat "$work/one.json"; echo "the healthy box did not pass" >&2; exit 1; }
bash "$repo/bench/baseline-boot.sh" > "$work/baseline.out" || { cat "$work/baseline.out"; echo "the baseline did not pass" >&2; exit 1; }
python3 - "$bin" "$runs" "$repo/bench/baseline-boot.sh" "$work/results.tsv" "$floor" <<'PY'
import os, statistics, subprocess, sys, time
bin, runs, baseline, results, floor = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]

def once(argv):
    """Wall time (ms) of one run."""
    t = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = (time.perf_counter() - t) * 1000
    if p.returncode != 0:
        sys.exit(f"{argv[0]} failed on the healthy box")
    return wall

def peak(argv):
    """Peak resident memory (MiB) of the largest process of a run, from GNU time: a
    child forked from python inherits python's RSS in its high-water mark (exec keeps
    it), so wait4 here would report python, not the program."""
    if not os.path.exists("/usr/bin/time"):
        return None
    out = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"bench-peak-{os.getpid()}")
    subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out] + argv,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out) as f:
        kib = int(f.read().split()[-1])
    os.unlink(out)
    return kib / 1024

ours, theirs, floors = [], [], []
for _ in range(runs):  # interleaved, so all three see the same machine
    ours.append(once([bin, "--format", "json"]))
    theirs.append(once(["bash", baseline]))
    floors.append(once([floor]))
p95 = lambda xs: sorted(xs)[int(len(xs) * 0.95) - 1]
# The baseline's peak is its largest process (python3 for the XML-RPC call: GNU time
# reports the peak over the process and the children it waited for).
mem = [peak([bin, "--format", "json"]), peak(["bash", baseline])]
with open(results, "a") as f:
    m, t, fl = statistics.median(ours), statistics.median(theirs), statistics.median(floors)
    f.write(f"boot run, median wall ({runs} interleaved)\t{m:.2f}\t{t:.2f}\tms\t\n")
    f.write(f"boot run, script's time / ours\t{t / m:.1f}\t\tx\t>=35\n")
    f.write(f"boot run, floor program, median wall\t{fl:.2f}\t\tms\t\n")
    f.write(f"boot run, ours / floor's time\t{m / fl:.1f}\t\tx\t2\n")
    f.write(f"boot run, p95 wall\t{p95(ours):.2f}\t{p95(theirs):.2f}\tms\t\n")
    if None not in mem:
        f.write(f"boot run, peak memory\t{mem[0]:.1f}\t{mem[1]:.1f}\tMiB\t\n")
    else:
        print("peak memory: needs GNU time (apt-get install time)")
PY
NS
else
  echo "boot run: skipped (needs root for namespaces)"
fi

RESULTS=$results HA_PREFLIGHT=$bin bash bench/scan.sh

python3 - "$results" "${BENCH_STRICT:-}" <<'PY'
import platform, subprocess, sys, time
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"\n{time.strftime('%Y-%m-%d')}, {platform.machine()}, {cpu}, "
      f"{subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores, "
      f"Linux {platform.release()}")
print(f"| {'measure':<44} | {'ha-preflight':>12} | {'baseline':>9} | {'ratio':>6} | {'budget':>7} | met |")
print(f"|{'-' * 46}|{'-' * 14}|{'-' * 11}|{'-' * 8}|{'-' * 9}|-----|")
missed = False
for measure, ours, theirs, unit, budget in rows:
    ratio = f"{float(theirs) / float(ours):.1f}x" if theirs and float(ours) > 0 else ""
    met = ""
    if budget.startswith(">="):  # a ratio to reach, not a ceiling
        met = "yes" if float(ours) >= float(budget[2:]) else "NO"
        missed |= met == "NO"
    elif budget:
        met = "yes" if float(ours) <= float(budget) else "NO"
        missed |= met == "NO"
    print(f"| {measure:<44} | {ours + ' ' + unit:>12} | {(theirs + ' ' + unit) if theirs else '':>9} | "
          f"{ratio:>6} | {(budget + ' ' + unit) if budget else '':>7} | {met:>3} |")
print("(ratio: the baseline's figure over ha-preflight's)")
sys.exit(1 if missed and sys.argv[2] else 0)
PY
