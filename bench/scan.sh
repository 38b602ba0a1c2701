#!/usr/bin/env bash
# How fast `ha-preflight image --root` gets through a big root tree (a benchmark, not a
# test). Image mode walks the whole tree once (lstat only, src/facts/tree.rs) for
# unknown-owners, runtime-/tmp-leftovers, qemu-user-static and dev-nodes, so its cost
# should grow linearly with the number of entries. Goals (issue 16): 100k files in at
# most 1.6x the time of find | awk, in at most 8 MiB; time linear in entries (10k to
# 100k, and 100k to 1M with `bench/scan.sh 100000 1000000`). Each run is timed against bench/baseline-scan.sh (the same
# tree-wide checks as one find | awk), interleaved, with the peak memory of each.
#
# The trees: the clean appliance root of tests/fixtures/image (so every check has its
# real files to read) plus N synthetic files under usr/share/bench, spread over nested
# directories, one in 20 a symlink (relative, absolute, or dangling: the walk must not
# follow any). They are kept in target/bench-trees and rebuilt only when this generator
# changes.
#
# usage: bench/scan.sh [SIZES...]       (default: 10000 100000)
# env:   HA_PREFLIGHT  the binary (default: target/release/ha-preflight, built if needed)
#        RESULTS       a TSV file bench/run.sh collects rows in (measure, ours, baseline,
#                      unit, budget); none by default
#        RUNS          timed runs per tree (default 5; the median is reported)
#        BENCH_STRICT=1  exit 1 when the goal is missed
# Only bash and the python3 standard library. Timings are with a warm page cache (one
# untimed run first): the walk's cost, not the disk's.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
TREES=$REPO/target/bench-trees
RUNS=${RUNS:-5}
# Bump when the generated trees would come out different, so cached ones are rebuilt.
GENERATOR=2

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000)

binary() {
    if [ -n "${HA_PREFLIGHT:-}" ]; then
        echo "$HA_PREFLIGHT"
        return
    fi
    # Others may be mid-edit: a failed build falls back to the binary already there.
    if ! cargo build --release --quiet 2>/dev/null; then
        echo "note: cargo build --release failed; timing the existing binary" >&2
    fi
    echo "$REPO/target/release/ha-preflight"
}

# target/bench-trees/N (the root) and N.json (what it holds), unless already there and
# made by this version of the generator. Built under a temporary name and renamed, so an
# interrupted build is never taken for a finished one.
ensure_tree() {  # N
    local n=$1 tree=$TREES/$1
    if [ -f "$tree.json" ] && python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["generator"] != int(sys.argv[2]))' "$tree.json" "$GENERATOR" 2>/dev/null; then
        return
    fi
    echo "building the $n-file tree in $tree ..." >&2
    local tmp=$tree.tmp.$$
    rm -rf "$tree" "$tree.json" "$tmp"
    mkdir -p "$TREES"
    trap 'rm -rf "$tmp" "$tmp.json"' EXIT
    python3 image-tests/make_tree.py clean "$tmp" >/dev/null
    python3 - "$tmp" "$n" "$GENERATOR" > "$tmp.json" <<'PY'
import json, os, sys

root, n, generator = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
base = os.path.join(root, "usr/share/bench")
PER_DIR = 40          # entries per leaf directory
FANOUT = 20           # subdirectories per level: 100k files -> 2500 leaves, 3 levels

def leaf(d):
    """Nested path of leaf directory number d: d=1234 -> l0-03/l1-01/l2-14."""
    parts = []
    for level in range(3):
        parts.append(f"l{level}-{d % FANOUT:02d}")
        d //= FANOUT
    return os.path.join(*reversed(parts))

made = set()
links = 0
for i in range(n):
    rel = leaf(i // PER_DIR)
    d = os.path.join(base, rel)
    if rel not in made:
        os.makedirs(d, exist_ok=True)
        made.add(rel)
    name = os.path.join(d, f"f{i:07d}")
    if i % 20 == 19:
        kind = (i // 20) % 3
        target = (f"f{i - 1:07d}" if kind == 0                        # a sibling
                  else f"/usr/share/bench/{leaf(0)}/f0000000" if kind == 1  # absolute, in-image
                  else "../../../../../nowhere")                        # dangling
        os.symlink(target, name)
        links += 1
    else:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        if i % 4 == 0:
            os.write(fd, b"x" * (i % 512))
        os.close(fd)

entries = 0
for _, dirs, files in os.walk(root):   # does not follow links to directories
    entries += len(dirs) + len(files)
json.dump({"generator": generator, "files": n, "symlinks": links,
           "dirs": len(made), "entries": entries}, sys.stdout)
PY
    mv "$tmp" "$tree"
    mv "$tmp.json" "$tree.json"
    trap - EXIT
}

main() {
    local bin n
    bin=$(binary)
    [ -x "$bin" ] || { echo "no binary at $bin" >&2; exit 2; }
    for n in "${sizes[@]}"; do ensure_tree "$n"; done
    python3 - "$bin" "$RUNS" "$TREES" "${BENCH_STRICT:-}" "$REPO/bench/baseline-scan.sh" "${RESULTS:-}" "${sizes[@]}" <<'PY'
import json, os, re, statistics, subprocess, sys, time

bin, runs, trees, strict, baseline, results_file = sys.argv[1:7]
runs, sizes = int(runs), sys.argv[7:]

def once(root):
    t = time.perf_counter()
    p = subprocess.run([bin, "image", "--root", root, "--format", "json"], capture_output=True)
    wall = time.perf_counter() - t
    if p.returncode not in (0, 1):
        sys.exit(f"{bin} image --root {root} exited {p.returncode}: {p.stderr.decode()[:500]}")
    return wall, json.loads(p.stdout)

def base(root):
    t = time.perf_counter()
    p = subprocess.run(["bash", baseline, root], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if p.returncode != 0:
        sys.exit(f"{baseline} {root} failed: {p.stderr.decode()[:500]}")
    return time.perf_counter() - t

def peak(argv):
    """Peak resident KiB from GNU time (wait4 here would count python's own pages: a
    forked child keeps its parent's high-water mark across exec). 0 without it."""
    if not os.path.exists("/usr/bin/time"):
        return 0
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + argv, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    return int(p.stderr.split()[-1])

rows = []
for n in sizes:
    root = f"{trees}/{n}"
    meta = json.load(open(f"{root}.json"))
    once(root)                                        # warm the page cache, untimed
    base(root)
    results, baselines = [], []
    for _ in range(runs):                             # interleaved
        results.append(once(root))
        baselines.append(base(root))
    walls = sorted(w for w, _ in results)
    inner = statistics.median(r["duration_ms"] for _, r in results) / 1000
    report = results[-1][1]
    owners = next((c for c in report["checks"] if c["id"] == "unknown-owners"), {})
    walked = re.match(r"(\d+) entries", owners.get("summary", ""))
    rows.append(dict(n=int(n), entries=meta["entries"], wall=statistics.median(walls),
                     lo=walls[0], hi=walls[-1], inner=inner, verdict=report["verdict"],
                     base=statistics.median(baselines),
                     rss=peak([bin, "image", "--root", root, "--format", "json"]),
                     base_rss=peak(["bash", baseline, root]),
                     walked=int(walked.group(1)) if walked else None))

print(f"ha-preflight image --root, median of {runs} runs (warm cache), {bin}")
print(f"{'files':>8} {'entries':>8} {'walked':>8} {'wall':>9} {'min..max':>17} {'checks':>9} {'entries/s':>10} {'find|awk':>9} {'peak':>8} {'find peak':>9}  verdict")
for r in rows:
    walked = r["walked"] if r["walked"] is not None else "?"
    print(f"{r['n']:>8} {r['entries']:>8} {walked:>8} {r['wall']:>8.3f}s "
          f"{r['lo']:>7.3f}..{r['hi']:.3f}s {r['inner']:>8.3f}s {r['entries'] / r['wall']:>10,.0f} "
          f"{r['base']:>8.3f}s {r['rss'] / 1024:>6.1f}Mi {r['base_rss'] / 1024:>7.1f}Mi  {r['verdict']}")
if results_file:
    with open(results_file, "a") as f:
        for r in rows:
            k = f"{r['n'] // 1000}k"
            big = r["n"] == 100000
            f.write(f"image scan, {k} files, median wall\t{r['wall']:.3f}\t{r['base']:.3f}\ts\t\n")
            if big:
                f.write(f"image scan, {k} files, ours / find's time\t{r['wall'] / r['base']:.2f}\t\tx\t1.6\n")
            f.write(f"image scan, {k} files, peak memory\t{r['rss'] / 1024:.1f}\t{r['base_rss'] / 1024:.1f}\tMiB\t{'8' if big else ''}\n")

ok = True
for r in rows:
    if r["walked"] is not None and r["walked"] != r["entries"]:
        print(f"note: {r['n']}: the walk saw {r['walked']} entries, the tree has {r['entries']}")
by = {r["n"]: r for r in rows}
if 10000 in by and 100000 in by:
    ratio = by[100000]["wall"] / by[10000]["wall"]
    entries_ratio = by[100000]["entries"] / by[10000]["entries"]
    print(f"scaling 10k -> 100k: {ratio:.1f}x the time for {entries_ratio:.1f}x the entries (linear: {entries_ratio:.1f}x)")
    base_ratio = by[100000]["base"] / by[10000]["base"]
    if results_file:
        with open(results_file, "a") as f:
            f.write(f"image scan, time 100k / time 10k\t{ratio:.1f}\t{base_ratio:.1f}\tx\t{entries_ratio * 1.5:.1f}\n")
    if ratio > entries_ratio * 1.5:
        print("goal: roughly linear: MISSED"); ok = False
    else:
        print("goal: roughly linear: met")
if 100000 in by and 1000000 in by:
    ratio = by[1000000]["wall"] / by[100000]["wall"]
    entries_ratio = by[1000000]["entries"] / by[100000]["entries"]
    print(f"scaling 100k -> 1M: {ratio:.1f}x the time for {entries_ratio:.1f}x the entries")
    if results_file:
        with open(results_file, "a") as f:
            base_ratio = by[1000000]["base"] / by[100000]["base"]
            f.write(f"image scan, time 1M / time 100k\t{ratio:.1f}\t{base_ratio:.1f}\tx\t{entries_ratio * 1.5:.1f}\n")
if 100000 in by:
    r = by[100000]
    if r["wall"] <= 1.6 * r["base"] and r["rss"] <= 8 * 1024:
        print(f"goal: 100k within 1.6x find's time, in 8 MiB: met ({r['wall']:.3f} s, {r['rss'] / 1024:.1f} MiB)")
    else:
        print(f"goal: 100k within 1.6x find's time, in 8 MiB: MISSED ({r['wall']:.3f} s against {r['base']:.3f} s, {r['rss'] / 1024:.1f} MiB)"); ok = False
sys.exit(0 if ok or not strict else 1)
PY
}

main
