#!/usr/bin/env bash
# What ha-preflight's tree-wide image checks would be as a find-and-awk script: one
# walk of ROOT (never following links) judged by awk against the image's own passwd and
# group, for unknown-owners, runtime-leftovers, tmp-leftovers, qemu-user-static and
# dev-nodes. bench/scan.sh times it against `ha-preflight image`, which runs these and
# every other image check. A yardstick, not a supported tool.
# usage: bench/baseline-scan.sh ROOT    (prints one line per finding and a count)
set -euo pipefail
root=${1:?usage: baseline-scan.sh ROOT}
find "$root" -xdev -mindepth 1 -printf '%U %G %y %P\n' |
awk -v passwd="$root/etc/passwd" -v group="$root/etc/group" '
  BEGIN {
    FS = ":"; while ((getline l < passwd) > 0) { split(l, f, ":"); users[f[3]] = 1 }
    while ((getline l < group) > 0) { split(l, f, ":"); groups[f[3]] = 1 }
    FS = " "
  }
  {
    uid = $1; gid = $2; type = $3; path = substr($0, length($1 $2 $3) + 4)
    if (!(uid in users)) { print "unknown-owners: " path " uid " uid; n++ }
    else if (!(gid in groups)) { print "unknown-owners: " path " gid " gid; n++ }
    if (type != "d" && (path ~ /^run\// || path ~ /^var\/run\//)) { print "runtime-leftovers: " path; n++ }
    if (path ~ /^tmp\// || path ~ /^var\/tmp\//) { print "tmp-leftovers: " path; n++ }
    if (path ~ /(^|\/)qemu-[^\/]*-static$/) { print "qemu-user-static: " path; n++ }
    if ((type == "b" || type == "c") && path !~ /^dev\//) { print "dev-nodes: " path; n++ }
  }
  END { print n + 0 " findings" }'
