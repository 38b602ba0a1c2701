#!/usr/bin/env bash
# The healthy box the benchmark and the live read-only test judge: run inside fresh
# network and mount namespaces (`unshare -n -m bash tests/healthy-box.sh WORK CMD...`),
# it puts an overlay on /etc (upper directory in WORK, so nothing reaches the host's),
# fresh tmpfs on /run and /dev/shm, /etc/network/run -> /dev/shm/network holding
# lo=lo (ifupdown 0.6's layout), lo up, and tests/xcbdaemon.py answering on
# 127.0.0.1:8000; then it runs CMD. tests/boot_ns.rs builds its variations itself.
set -euo pipefail
work=${1:?usage: healthy-box.sh WORK CMD...}
shift
repo=$(cd "$(dirname "$0")/.." && pwd)
mount --make-rprivate /
mkdir -p "$work/u" "$work/w"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$work/u,workdir=$work/w" /etc
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /dev/shm
mkdir -p /etc/network /dev/shm/network
rm -rf /etc/network/run
ln -s /dev/shm/network /etc/network/run
echo lo=lo > /dev/shm/network/ifstate
ip link set lo up
python3 "$repo/tests/xcbdaemon.py" --port 8000 --mode ok --lifetime 600 > "$work/daemon.out" 2>&1 &
# The daemon goes with the box: left to its lifetime, each benchmark run's daemon would
# idle on in a namespace nobody can reach, 25 MiB each.
daemon=$!
trap 'kill "$daemon" 2>/dev/null || true' EXIT
i=0
until grep -q ready "$work/daemon.out"; do
  i=$((i + 1))
  [ $i -lt 200 ] || { echo "xcbdaemon.py never got ready" >&2; cat "$work/daemon.out" >&2; exit 99; }
  sleep 0.05
done
"$@"
