#!/usr/bin/env bash
# Runs the fuzz targets (fuzz/fuzz_targets/, one per parser of outside input) with
# cargo fuzz, each for SECONDS, from seed corpora made from the test fixtures, and prints
# one line per target. Exits 1 if any target found a crash (its input is then in
# fuzz/artifacts/TARGET/, and `cargo fuzz run TARGET FILE` replays it).
#
# usage: fuzz/run.sh [SECONDS] [TARGET...]   (default: 20 s each, every target)
# CI runs a 20-second smoke of each; the long runs (600 s each) are in fuzz/README.md.
#
# Works on the stable toolchain: RUSTC_BOOTSTRAP=1 lets it take the -Z sanitizer flags
# cargo fuzz passes. Needs cargo-fuzz (`cargo install cargo-fuzz --locked`).
set -euo pipefail
cd "$(dirname "$0")"
FUZZ=$PWD
REPO=$(cd .. && pwd)
export RUSTC_BOOTSTRAP=1

seconds=${1:-20}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v '^ha-preflight-fuzz$')
fi

# seed TARGET FILE...: copies readable regular files into the target's corpus, named by
# content so reseeding never duplicates.
seed() {
  local t=$1
  shift
  mkdir -p "corpus/$t"
  local f
  for f in "$@"; do
    [ -f "$f" ] && [ -r "$f" ] || continue
    cp "$f" "corpus/$t/seed-$(sha1sum < "$f" | cut -c1-16)"
  done
}

seeds() {
  local fx=$REPO/tests/fixtures
  seed spec "$REPO"/checks/*.toml "$REPO"/tests/specs/*.toml "$REPO"/tests/specs/bad/*.toml
  seed proc_drbd "$fx"/drbd/proc-drbd/*
  seed drbdsetup_json "$fx"/drbd/drbdsetup-json/*
  seed drbd_events2 "$fx"/drbd/drbd-events2/*
  seed mountinfo "$fx"/mount/mountinfo/* "$fx"/captured/*/proc/self/mountinfo /proc/self/mountinfo
  seed accounts /etc/passwd /etc/group
  # A real ext4 superblock (mkfs.ext4 of a scratch image) followed by real ext4 lines
  # of this machine's kernel log, where they can be read.
  local sbdir
  sbdir=$(mktemp -d)
  if truncate -s 8M "$sbdir/img" && mkfs.ext4 -q -F "$sbdir/img" >/dev/null 2>&1; then
    dd if="$sbdir/img" bs=1024 skip=1 count=1 of="$sbdir/sb" 2>/dev/null
    { cat "$sbdir/sb"; (dmesg 2>/dev/null | grep -E 'EXT[234]-fs' | head -200) || true; } > "$sbdir/sb-log"
    seed ext_superblock "$sbdir/sb" "$sbdir/sb-log"
  fi
  rm -rf "$sbdir"
  seed dpkg /var/lib/dpkg/diversions
  # The appliance tree the image tests use holds real passwd, group, dpkg status and
  # diversions files (tests/fixtures/image/clean holds them as Debian writes them).
  local tree
  tree=$(mktemp -d)
  python3 "$REPO/image-tests/make_tree.py" clean "$tree/root" >/dev/null
  seed accounts "$tree"/root/etc/passwd "$tree"/root/etc/group
  seed dpkg "$tree"/root/var/lib/dpkg/status "$tree"/root/var/lib/dpkg/diversions
  # A bounded head of this machine's dpkg status: a real, large one.
  head -c 200000 /var/lib/dpkg/status > "$tree/status" 2>/dev/null && seed dpkg "$tree/status"
  # ifupdown state as 0.6 and 0.8 write it (the incident's "lo=lo").
  seed ifstate "$fx"/ifstate/*/*
  # XML-RPC replies written by Python's xmlrpc.client (a separate implementation), with
  # the HTTP head xcbdaemon's server sends.
  python3 - "$tree" <<'PY'
import sys, xmlrpc.client as x
out = sys.argv[1]
bodies = [
    x.dumps(({"state": "ready", "role": "master", "sequence": {"T7": 6982}},), methodresponse=True),
    x.dumps((["xcb.status", "xcb.role", "system.listMethods"],), methodresponse=True),
    x.dumps(x.Fault(3, "not ready"), methodresponse=True),
    x.dumps(([1.5, True, x.DateTime("20261202T04:00:00"), x.Binary(b"\0\1"), None],), methodresponse=True, allow_none=True),
]
for i, b in enumerate(bodies):
    data = b.encode()
    head = f"HTTP/1.0 200 OK\r\nServer: BaseHTTP/0.6 Python/3\r\nContent-Type: text/xml\r\nContent-Length: {len(data)}\r\n\r\n"
    open(f"{out}/xml{i}", "wb").write(head.encode() + data)
PY
  seed xmlrpc_reply "$tree"/xml*
  # Deep nesting, which recursive decoders must refuse by a limit, not by overflowing the
  # stack (each within -max_len): XML-RPC values at, just past and far past the 64
  # elements world/xmlrpc.rs reads, one unclosed, and markup the depth count must see
  # through (comments, CDATA, a PI, a quoted `>`, self-closing tags, a DOCTYPE); JSON
  # for drbdsetup; TOML arrays, inline tables and dotted keys for the spec.
  python3 - "$tree" <<'PY'
import sys
out = sys.argv[1]
def reply(value):
    return ('<?xml version="1.0"?><methodResponse><params><param>' + value
            + "</param></params></methodResponse>\n")
def nest(n, close=True):
    inner = "<value><nil/></value>" if close else ""
    return ("<value><array><data>" * n + inner
            + ("</data></array></value>" * n if close else ""))
xml = {
    "deep20": reply(nest(20)), "deep21": reply(nest(21)), "deep1000": reply(nest(1000)),
    "deep-unclosed": reply(nest(3000, close=False)),
    "deep-hidden": reply("<!-- <value><array><data> --><![CDATA[<a><b>]]><?pi <a> ?>"
                         "<value a='>' b=\">\"><array><data><value/></data></array></value>"),
    "doctype": '<!DOCTYPE m [<!ENTITY e "<value><array><data>">]>' + reply("&e;&e;&e;"),
}
for name, body in xml.items():
    open(f"{out}/xml-{name}", "w").write(body)
open(f"{out}/json-deep", "w").write("[" * 20000 + "]" * 20000)
open(f"{out}/json-deep-objects", "w").write('{"a":' * 10000 + "1" + "}" * 10000)
open(f"{out}/toml-deep-arrays", "w").write("x = " + "[" * 20000 + "]" * 20000 + "\n")
open(f"{out}/toml-deep-tables", "w").write("x = " + "{a=" * 10000 + "1" + "}" * 10000 + "\n")
open(f"{out}/toml-deep-keys", "w").write("x." + ".".join(["a"] * 20000) + " = 1\n")
PY
  seed xmlrpc_reply "$tree"/xml-*
  seed drbdsetup_json "$tree"/json-*
  seed spec "$tree"/toml-*
  rm -rf "$tree"
}

seeds
cargo fuzz build
printf '%-16s %8s %12s %10s  %s\n' TARGET SECONDS EXECS CORPUS RESULT
failed=0
for t in "${targets[@]}"; do
  log=$FUZZ/target/$t.log
  mkdir -p "$FUZZ/target" "artifacts/$t"
  # -rss_limit_mb and -timeout make a leak or a hang a finding, not a stuck run.
  if cargo fuzz run "$t" "corpus/$t" -- -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 >"$log" 2>&1; then
    result=ok
  else
    result="CRASH (see $log and fuzz/artifacts/$t/)"
    failed=1
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  printf '%-16s %8s %12s %10s  %s\n' "$t" "$seconds" "${execs:-?}" "$(ls "corpus/$t" | wc -l)" "$result"
done
exit $failed
