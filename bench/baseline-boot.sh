#!/usr/bin/env bash
# What ha-preflight's boot checks would be as the shell-and-python an appliance's HA
# scripts usually carry: the same eleven checks of checks/boot.toml on the same box,
# each as the few commands a careful script would run. bench/run.sh times it against
# the binary; it is a yardstick, not a supported tool (no deadlines, no root causes).
# Exit 0 when every check passes, 1 otherwise; one line per check.
set -u
fail=0
ok() { echo "pass $1"; }
bad() { echo "FAIL $1: $2"; fail=1; }

fstype() { stat -f -c %T "$1" 2>/dev/null; }
# shm-tmpfs: a writable tmpfs with free space
if [ "$(fstype /dev/shm)" = tmpfs ] && [ -w /dev/shm ] && [ "$(stat -f -c %a /dev/shm)" -gt 0 ] \
   && ! awk '$5 == "/dev/shm" { split($6, o, ","); if (o[1] == "ro") exit 0; exit 1 } END { exit 1 }' /proc/self/mountinfo; then
  ok shm-tmpfs; else bad shm-tmpfs "/dev/shm is not a writable tmpfs"; fi
# netrun-layout: absent, or a link into tmpfs
if [ ! -e /etc/network/run ] && [ ! -L /etc/network/run ]; then ok netrun-layout
elif [ -L /etc/network/run ] && [ "$(fstype "$(readlink -f /etc/network/run)")" = tmpfs ]; then ok netrun-layout
else bad netrun-layout "/etc/network/run is not on tmpfs"; fi
# netrun-stale: every interface recorded up is up
stale=""
for f in /etc/network/run/ifstate* /run/network/ifstate* /dev/shm/network/ifstate*; do
  [ -f "$f" ] || continue
  while IFS='=' read -r iface _; do
    [ -n "$iface" ] || continue
    flags=$(cat "/sys/class/net/$iface/flags" 2>/dev/null || echo 0)
    [ $(( flags & 1 )) -eq 1 ] || stale="$stale $iface"
  done < "$f"
done
[ -z "$stale" ] && ok netrun-stale || bad netrun-stale "recorded up but down:$stale"
# lo-up: up, with 127.0.0.1/8
if [ $(( $(cat /sys/class/net/lo/flags) & 1 )) -eq 1 ] && ip -4 -o addr show dev lo | grep -q ' 127.0.0.1/8 '; then
  ok lo-up; else bad lo-up "lo is down or has no 127.0.0.1/8"; fi
# xcbdaemon-rpc: system.listMethods answers within 2 s
if python3 - <<'PY'
import socket, sys, xmlrpc.client
socket.setdefaulttimeout(2)
try:
    xmlrpc.client.ServerProxy("http://127.0.0.1:8000/RPC2").system.listMethods()
except Exception as e:
    sys.exit(f"{e}")
PY
then ok xcbdaemon-rpc; else bad xcbdaemon-rpc "no answer"; fi
# drbd-consistent: no resource configured, or every one Connected and UpToDate
if ! ls /etc/drbd.d/*.res >/dev/null 2>&1 && ! grep -qs '^ *resource' /etc/drbd.conf; then ok drbd-consistent
elif [ -r /proc/drbd ] && ! grep -E '^ *[0-9]+:' /proc/drbd | grep -vq 'cs:Connected.*ds:UpToDate/UpToDate'; then ok drbd-consistent
else bad drbd-consistent "not connected and up to date"; fi
# stale-locks: every pid file names a live process of its program
stale=""
for f in /run/xcbdaemon.pid /var/run/xcbdaemon.pid /run/ha/*.pid /var/run/ha/*.pid; do
  [ -f "$f" ] || continue
  pid=$(tr -dc 0-9 < "$f")
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || stale="$stale $f"
done
for f in /run/lock/xcbdaemon.lock /var/lock/xcbdaemon.lock /var/lock/ha/*.lock /var/lib/xcbdaemon/data/*.lck; do
  [ -f "$f" ] || continue
  ino=$(stat -c %i "$f"); grep -q ":$ino " /proc/locks || stale="$stale $f"
done
[ -z "$stale" ] && ok stale-locks || bad stale-locks "stale:$stale"
# fs-errors: / and /data (if mounted) rw, no ext4 errors, free space and inodes
err=""
for m in / /data; do
  line=$(awk -v m="$m" '$5 == m' /proc/self/mountinfo | tail -1)
  [ -n "$line" ] || continue
  case ",$(echo "$line" | awk '{print $6}')," in *,ro,*) err="$err $m:ro";; esac
  dev=$(echo "$line" | awk '{for (i = 7; $i != "-"; i++); print $(i + 2)}')
  n=$(cat "/sys/fs/ext4/$(basename "$dev")/errors_count" 2>/dev/null || echo 0)
  [ "$n" -eq 0 ] || err="$err $m:$n-errors"
  [ "$(stat -f -c %a "$m")" -gt 0 ] || err="$err $m:full"
done
# ... and the kernel's own lines about ext2/3/4 filesystems (fs-errors quotes them)
dmesg 2>/dev/null | grep -E 'EXT[234]-fs' > /dev/null || true
[ -z "$err" ] && ok fs-errors || bad fs-errors "$err"
# sync-age: the standby's sync record, if any, is under 26 h old
f=/var/lib/xcbdaemon/last-sync
if [ ! -e "$f" ] || [ $(( $(date +%s) - $(stat -c %Y "$f") )) -lt 93600 ]; then ok sync-age
else bad sync-age "$f is over 26 h old"; fi
# role-leftovers and peer-sequence: from /etc/default/xcbdaemon, if the box has one
role=$(sed -n 's/^XCB_ROLE=//p' /etc/default/xcbdaemon 2>/dev/null)
case "$role" in
  ""|master) ok role-leftovers ;;
  replica) ls /var/lib/xcbdaemon/master/* >/dev/null 2>&1 && bad role-leftovers "master queue" || ok role-leftovers ;;
  client) ls /var/lib/xcbdaemon/data/*.dat >/dev/null 2>&1 && bad role-leftovers "data" || ok role-leftovers ;;
  *) bad role-leftovers "unknown role $role" ;;
esac
leader=$(sed -n 's/^XCB_MASTER=//p' /etc/default/xcbdaemon 2>/dev/null)
if [ -z "$leader" ] || [ ! -f /var/lib/xcbdaemon/data/sequence ]; then ok peer-sequence
else
  python3 - "$leader" <<'PY' && ok peer-sequence || bad peer-sequence "ahead of its leader"
import socket, sys, xmlrpc.client
socket.setdefaulttimeout(3)
theirs = xmlrpc.client.ServerProxy(f"http://{sys.argv[1]}:8000/RPC2").xcb.sequence()
mine = dict(l.split() for l in open("/var/lib/xcbdaemon/data/sequence") if l.strip())
sys.exit(any(int(v) > int(theirs.get(k, 0)) for k, v in mine.items()))
PY
fi
exit $fail
