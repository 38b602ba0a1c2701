#!/usr/bin/env bash
# The boot run of each architecture's static release binary on the healthy box
# (tests/healthy-box.sh in fresh network and mount namespaces, as bench/run.sh): x86_64
# natively, aarch64 and armhf under qemu-user (qemu-aarch64-static, qemu-arm-static).
# Each must pass, with every check's status the same as x86_64's; then RUNS interleaved
# runs of each give the median wall time. CI runs it with a few runs (.ci/run); under
# emulation the times say what qemu costs, not what an ARM box takes.
#
# usage: sudo bash bench/foreign.sh [RUNS]   (default 50)
# Builds the three binaries (.cargo/config.toml has the cross links; README, "Other
# architectures"). Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-50}
[ "$(id -u)" = 0 ] || { echo "bench/foreign.sh needs root (network and mount namespaces)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/var/tmp}/ha-preflight-foreign.XXXXXX")
trap 'rm -rf "$work"' EXIT

# target, the emulator that runs it here (none: natively)
rows=(
  "x86_64-unknown-linux-musl -"
  "aarch64-unknown-linux-musl qemu-aarch64-static"
  "armv7-unknown-linux-gnueabihf qemu-arm-static"
)
: > "$work/argv"
for row in "${rows[@]}"; do
  read -r target emu <<< "$row"
  cargo build --release --quiet --target "$target"
  bin=$PWD/target/$target/release/ha-preflight
  printf '%s\t%s\t%s\t%s\n' "$target" "$(stat -c %s "$bin")" "$emu" "$bin" >> "$work/argv"
done

unshare -n -m bash tests/healthy-box.sh "$work" python3 - "$work/argv" "$runs" <<'PY'
import json, statistics, subprocess, sys, time
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
runs = int(sys.argv[2])
argvs = {t: ([] if emu == "-" else [emu]) + [b, "--format", "json"] for t, _, emu, b in rows}

def once(argv):
    """Wall time (ms) of one run, and its result; a run that hangs (qemu-user can
    deadlock a forked child) fails the script after 60 s rather than holding it."""
    t = time.perf_counter()
    try:
        p = subprocess.run(argv, capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        sys.exit(f"{argv[0]} {argv[1] if len(argv) > 1 else ''}: no end within 60 s")
    return (time.perf_counter() - t) * 1000, p

native, failed = None, False
for target, size, emu, _ in rows:
    _, p = once(argvs[target])
    try:
        report = json.loads(p.stdout)
    except ValueError:
        sys.exit(f"{target}: no JSON report (exit {p.returncode}): {p.stderr.decode(errors='replace')}")
    statuses = [(c["id"], c["status"]) for c in report["checks"]]
    native = native or statuses
    ok = p.returncode == 0 and report["verdict"] == "pass" and statuses == native
    failed |= not ok
    print(f"{target}: {'PASS' if ok else 'FAILED'} (verdict {report['verdict']}, exit {p.returncode}"
          f"{'' if statuses == native else ', statuses differ from x86_64: ' + repr(statuses)})")
if failed:
    sys.exit("a boot run did not pass on the healthy box")

times = {t: [] for t, *_ in rows}
for _ in range(runs):  # interleaved, so all see the same machine
    for target, *_ in rows:
        ms, p = once(argvs[target])
        if p.returncode != 0:
            sys.exit(f"{target} failed on the healthy box")
        times[target].append(ms)
print(f"\n| target | binary | runs under | boot run, median wall ({runs} interleaved) |")
print("|---|---:|---|---:|")
for target, size, emu, _ in rows:
    print(f"| {target} | {int(size):,} bytes ({int(size) / 1048576:.2f} MiB) | "
          f"{'native' if emu == '-' else emu} | {statistics.median(times[target]):.2f} ms |")
PY
