#!/usr/bin/env bash
# The systemd unit in a real boot: a debootstrapped Debian bookworm root with the
# project's .deb installed by dpkg, booted under qemu (TCG) four times, the serial
# console read for what ha-preflight.service, the HA unit and systemd said.
#
#   healthy          standalone node: the gate passes at once and the HA unit starts
#   incident         seed 004: /etc/network/run a real directory holding "lo=lo", lo
#                    down: the gate fails naming netrun-layout, the HA unit never starts
#   drbd-not-loaded  a DRBD resource configured, no DRBD module: the gate fails on
#                    drbd-consistent, the HA unit never starts
#   lifecycle        as drbd-not-loaded, then in the booted box: the admin's recovery
#                    (fix, `systemctl start` the gate, then the HA unit, a long-running
#                    stand-in), then an upgrade to a newer .deb, `systemctl restart`,
#                    `try-restart` and `stop` of the gate, `dpkg -r`, `dpkg --purge`:
#                    none may change the HA unit's MainPID or ActiveEnterTimestamp
#
# Every boot ends by itself (a test-only unit powers off) or is killed by `timeout`.
# See image-tests/boot/README.md.
#
# usage: bash image-tests/boot/run.sh          (as root; needs apt's configured mirror)
#
# env:
#   HA_PREFLIGHT_BOOT_WORK    work directory: console logs, images (default: a new
#                             ${TMPDIR:-/var/tmp}/ha-preflight-boot.XXXXXX)
#   HA_PREFLIGHT_BOOT_CACHE   where the tarball of the debootstrapped root is kept
#                             (default: ${XDG_CACHE_HOME:-~/.cache}/ha-preflight/boot)
#   VARIANTS                  which boots, in order (default: "healthy incident
#                             drbd-not-loaded lifecycle")
#   BOOT_TIMEOUT              seconds one qemu boot may take before it is killed (300)
#   QUIET=0                   no `quiet` on the kernel command line (kernel messages
#                             and every systemd status line on the console; slower)
#   BOOT_APPEND               more kernel command line (e.g. systemd.log_level=debug)
#   INCIDENT_LO_DOWN=0        incident: leave lo as bookworm brings it up (systemd and
#                             ifupdown 0.8 both do; see the README): only netrun-layout
#                             fails then, and lo-up passes
#   KEEP=1                    keep the root tree and the disk images in the work directory
#
# Prints PASS/FAIL per expectation, the console lines that matched, and timings; exits
# 1 if any expectation failed, 2 on a setup error.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SUITE=bookworm
VARIANT=minbase
# systemd-sysv: systemd as PID 1; udev: the initramfs loads the virtio modules through
# it; linux-image-amd64: the kernel and initrd qemu boots; ifupdown, iproute2: lo and
# the ifupdown state the netrun checks look at; python3: the stand-in xcbdaemon.
INCLUDE=systemd-sysv,udev,linux-image-amd64,ifupdown,iproute2,python3
CACHE_DIR=${HA_PREFLIGHT_BOOT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ha-preflight/boot}
VARIANTS=${VARIANTS:-healthy incident drbd-not-loaded lifecycle}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}
APPLIANCE=appliance

# pass, fail, die, note, apt_mirror, cached_tree: image-tests/lib.sh.
# shellcheck source=image-tests/lib.sh
source "$HERE/../lib.sh"

# Timings: seconds since an EPOCHREALTIME, and a table printed at the end.
TIMINGS=()
# (EPOCHREALTIME follows LC_NUMERIC: a decimal comma is made a point for awk.)
since() { awk -v a="${1/,/.}" -v b="${EPOCHREALTIME/,/.}" 'BEGIN { printf "%.1f", b - a }'; }
timed() {  # LABEL START
    local t
    t=$(since "$2")
    TIMINGS+=("$(printf '%-44s %7s s' "$1" "$t")")
    echo "     ($1: $t s)"
}

# ---------------------------------------------------------------------------------------
# Setup

preflight() {
    [ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, dpkg in the tree)"
    local need=()
    command -v debootstrap >/dev/null || need+=(debootstrap)
    command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
    command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
    if [ ${#need[@]} -gt 0 ]; then
        note "installing ${need[*]}"
        local out
        out=$(apt-get update -q 2>&1) || { echo "$out" | tail -n 20; die "apt-get update failed"; }
        # Note: on a machine with a backported qemu-utils, apt removes it here
        # (bookworm's qemu-system-common conflicts with it); nothing here needs it.
        out=$(DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" 2>&1) \
            || { echo "$out" | tail -n 20; die "apt-get install ${need[*]} failed"; }
    fi
}

# The debootstrapped tree in DIR, after `apt-get clean`: from the cache, or built and
# then cached (lib.sh).
base_tree() {  # DIR
    CLEAN=1 cached_tree "$1"
}

# ---------------------------------------------------------------------------------------
# The image every variant starts from

INTERFACES_LO='# interfaces(5) file used by ifup(8) and ifdown(8)
# Include files from /etc/network/interfaces.d:
source /etc/network/interfaces.d/*

# The loopback network interface
auto lo
iface lo inet loopback
'

prepare_root() {  # ROOT
    local root=$1 t
    # A small initramfs: only what mounting /dev/vda needs (36 MB -> 6.5 MB, a faster boot).
    t=$EPOCHREALTIME
    printf 'virtio_pci\nvirtio_blk\next4\n' >> "$root/etc/initramfs-tools/modules"
    sed -i 's/^MODULES=most/MODULES=list/' "$root/etc/initramfs-tools/initramfs.conf"
    chroot "$root" update-initramfs -u -k all > "$WORK/update-initramfs.out" 2>&1 \
        || { cat "$WORK/update-initramfs.out"; die "update-initramfs failed"; }
    timed "small initramfs (update-initramfs)" "$t"

    echo "$APPLIANCE" > "$root/etc/hostname"
    printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' \
        "$APPLIANCE" > "$root/etc/hosts"
    printf '/dev/vda / ext4 rw,errors=remount-ro 0 1\n' > "$root/etc/fstab"
    # ifupdown's postinst wrote only the `source` line: no lo stanza. Keep its text to
    # restore the incident variant's version from.
    cp "$root/etc/network/interfaces" "$WORK/interfaces.postinst"
    if grep -Eq '^[[:space:]]*(auto|iface)[[:space:]]+lo' "$WORK/interfaces.postinst"; then
        note "note: ifupdown's postinst already wrote a lo stanza"
    fi
    printf '%s' "$INTERFACES_LO" > "$root/etc/network/interfaces"

    # The project's package, installed by dpkg inside the tree, so its own maintainer
    # scripts (deb-systemd-helper) enable the unit.
    t=$EPOCHREALTIME
    local deb
    deb=$(cd "$REPO" && bash packaging/build-deb.sh "$WORK/deb" | tail -n1) \
        || die "packaging/build-deb.sh failed"
    [ -f "$deb" ] || die "packaging/build-deb.sh printed no .deb path (got: $deb)"
    timed "build the .deb (packaging/build-deb.sh)" "$t"
    note "package: $deb"
    if [[ " $VARIANTS " == *" lifecycle "* ]]; then
        # The lifecycle boot upgrades to this one: the same files, a higher version.
        t=$EPOCHREALTIME
        NEWER_DEB=$(cd "$REPO" && DEB_VERSION="$(dpkg-deb -f "$deb" Version)+boottest1" \
            bash packaging/build-deb.sh "$WORK/deb-newer" | tail -n1) \
            || die "packaging/build-deb.sh (DEB_VERSION) failed"
        [ -f "$NEWER_DEB" ] || die "no newer .deb (got: $NEWER_DEB)"
        timed "build the newer .deb (DEB_VERSION=...+boottest1)" "$t"
        note "newer package: $NEWER_DEB"
    fi
    t=$EPOCHREALTIME
    cp "$deb" "$root/tmp/ha-preflight.deb"
    chroot "$root" dpkg -i /tmp/ha-preflight.deb > "$WORK/dpkg-i.out" 2>&1 \
        || { cat "$WORK/dpkg-i.out"; die "dpkg -i in the tree failed"; }
    rm -f "$root/tmp/ha-preflight.deb"
    sed 's/^/     dpkg: /' "$WORK/dpkg-i.out"
    timed "dpkg -i in the tree" "$t"

    local f
    for f in usr/sbin/ha-preflight usr/lib/ha-preflight/checks.d/boot.toml \
             usr/lib/ha-preflight/checks.d/image.toml; do
        if [ -f "$root/$f" ]; then pass "package installed /$f"; else fail "package: no /$f"; fi
    done
    # ha-preflight.service's [Install]: WantedBy=multi-user.target, and no HA unit.
    for f in multi-user.target.wants; do
        local link=$root/etc/systemd/system/$f/ha-preflight.service
        if [ -L "$link" ]; then
            pass "postinst enabled the unit: /etc/systemd/system/$f/ha-preflight.service -> $(readlink "$link")"
        else
            fail "postinst did not make /etc/systemd/system/$f/ha-preflight.service"
        fi
    done

    # The stand-ins and the test-only finisher.
    local units=$root/etc/systemd/system
    install -m 644 "$HERE/units/appliance-ha.service" "$HERE/units/xcbdaemon.service" \
        "$HERE/units/boottest-done.service" "$HERE/units/boottest-lo-down.service" "$units/"
    install -D -m 755 "$REPO/tests/xcbdaemon.py" "$root/usr/local/lib/xcbdaemon.py"
    # More time for the stand-in to bind its port on a loaded host (the incident
    # variant takes this away again: there it is meant to fail fast).
    install -D -m 644 "$HERE/units/xcbdaemon-timeout.conf" \
        "$units/xcbdaemon.service.d/20-boottest-timeout.conf"
    install -m 755 "$HERE/units/boottest-report.sh" "$root/usr/local/lib/boottest-report.sh"
    install -m 755 "$HERE/units/boottest-journal.py" "$root/usr/local/lib/boottest-journal.py"
    # The documented route: the firmware installs the packaged drop-in for its HA unit.
    install -D -m 644 \
        "$root/usr/share/doc/ha-preflight/examples/ha-unit.service.d/10-ha-preflight.conf" \
        "$root/usr/lib/systemd/system/appliance-ha.service.d/10-ha-preflight.conf"
    chroot "$root" systemctl enable appliance-ha.service xcbdaemon.service boottest-done.service \
        > "$WORK/systemctl-enable.out" 2>&1 \
        || { cat "$WORK/systemctl-enable.out"; die "systemctl enable in the tree failed"; }
    # No login prompt on the serial console: while a getty holds the console, PID 1
    # prints no status lines there, and [FAILED]/[DEPEND] are among what is checked.
    ln -sfn /dev/null "$units/serial-getty@ttyS0.service"

    # The same wiring, judged from outside by the tool itself (image mode, read-only).
    local out rc=0
    out=$("$root/usr/sbin/ha-preflight" image --root "$root" --only unit-wiring -q 2>&1) || rc=$?
    if [ "$rc" = 0 ]; then pass "ha-preflight image --only unit-wiring: $out"; else fail "unit-wiring (exit $rc): $out"; fi
}

# ---------------------------------------------------------------------------------------
# Variants: each is the prepared tree plus a small change, made before mkfs and undone
# right after it.

apply_healthy() { :; }
revert_healthy() { :; }

# Seed 004 as the 0.6-era firmware build left it: /etc/network/run a real directory on
# the root filesystem, holding the record "lo=lo", and lo not brought up at boot.
apply_incident() {
    local root=$1
    mkdir "$root/etc/network/run"
    echo "lo=lo" > "$root/etc/network/run/ifstate"
    # No lo stanza, as ifupdown's postinst writes it. On bookworm that alone does not
    # keep lo down (PID 1 and ifupdown 0.8 bring it up anyway: README), so
    # boottest-lo-down.service takes it down after networking.service, standing for
    # the ifup that skipped lo because of the stale record.
    cp "$WORK/interfaces.postinst" "$root/etc/network/interfaces"
    if [ "${INCIDENT_LO_DOWN:-1}" != 0 ]; then
        ln -s ../boottest-lo-down.service "$root/etc/systemd/system/multi-user.target.wants/boottest-lo-down.service"
    fi
    # With lo down the stand-in's readiness probe can only time out: its own 8 s.
    mv "$root/etc/systemd/system/xcbdaemon.service.d/20-boottest-timeout.conf" "$WORK/xcbdaemon-timeout.conf"
}
revert_incident() {
    local root=$1
    rm -rf "$root/etc/network/run"
    printf '%s' "$INTERFACES_LO" > "$root/etc/network/interfaces"
    rm -f "$root/etc/systemd/system/multi-user.target.wants/boottest-lo-down.service"
    mv "$WORK/xcbdaemon-timeout.conf" "$root/etc/systemd/system/xcbdaemon.service.d/20-boottest-timeout.conf"
}

apply_drbd-not-loaded() {
    local root=$1
    mkdir -p "$root/etc/drbd.d"
    cat > "$root/etc/drbd.conf" <<'EOF'
# as drbd-utils ships it: the resources are in drbd.d
include "drbd.d/*.res";
EOF
    cat > "$root/etc/drbd.d/r0.res" <<EOF
resource r0 {
  device    /dev/drbd0;
  disk      /dev/vdb;
  meta-disk internal;
  on $APPLIANCE {
    address 192.168.100.1:7789;
  }
  on $APPLIANCE-peer {
    address 192.168.100.2:7789;
  }
}
EOF
}
revert_drbd-not-loaded() {
    rm -rf "$1/etc/drbd.d" "$1/etc/drbd.conf"
}

# The HA unit running, the gate wired to it: what an upgrade, a restart or stop of the
# gate and a removal do to it (units/boottest-lifecycle.sh, run by the finisher). The
# boot's gate fails as in drbd-not-loaded, so the same boot also shows the admin's
# recovery: the box fixed, the gate and then the HA unit started by hand. The HA
# stand-in is made a long-running daemon (a real MainPID) by a test-only drop-in.
apply_lifecycle() {
    local root=$1
    apply_drbd-not-loaded "$root"
    install -D -m 644 "$HERE/units/appliance-ha-lifecycle.conf" \
        "$root/etc/systemd/system/appliance-ha.service.d/20-boottest-lifecycle.conf"
    install -m 755 "$HERE/units/boottest-lifecycle.sh" "$root/usr/local/lib/boottest-lifecycle.sh"
    install -m 644 "$NEWER_DEB" "$root/root/ha-preflight-newer.deb"
}
revert_lifecycle() {
    local root=$1
    revert_drbd-not-loaded "$root"
    rm -rf "$root/etc/systemd/system/appliance-ha.service.d"
    rm -f "$root/usr/local/lib/boottest-lifecycle.sh" "$root/root/ha-preflight-newer.deb"
}

# ---------------------------------------------------------------------------------------
# Booting and reading the console

# Kernel command line. panic=-1: a kernel panic, or the initramfs failing to find the
# root, reboots at once, and -no-reboot turns that into qemu exiting (no 300 s wait).
append_line() {
    local a="console=ttyS0 root=/dev/vda rw systemd.status_unit_format=name panic=-1"
    # quiet: no kernel messages and no systemd status lines but the failures
    # ([FAILED], [DEPEND]), which the checks below look for.
    [ "${QUIET:-1}" = 0 ] || a="$a quiet systemd.show_status=error"
    a="$a ${BOOT_APPEND:-}"
    echo "$a"
}

image_size_mb() {  # ROOT: room for the tree, with margin (fs-errors wants free space)
    local used
    used=$(du -sm --apparent-size "$1" | cut -f1)
    echo $(( used * 13 / 10 + 256 > 1024 ? used * 13 / 10 + 256 : 1024 ))
}

boot_variant() {  # NAME
    local v=$1 root=$WORK/root dir=$WORK/$1 t rc=0
    mkdir -p "$dir"
    rm -f "$dir"/console.log "$dir"/console.txt "$dir"/qemu.out "$dir"/root.img
    note "variant $v: image"
    t=$EPOCHREALTIME
    "apply_$v" "$root"
    mkfs.ext4 -q -F -L root -d "$root" "$dir/root.img" "$(image_size_mb "$root")M" > "$dir/mkfs.out" 2>&1 \
        || { cat "$dir/mkfs.out"; "revert_$v" "$root"; die "mkfs.ext4 for $v failed"; }
    "revert_$v" "$root"
    timed "$v: mkfs.ext4 -d" "$t"

    note "variant $v: boot (qemu TCG, -smp 2 -m 1024, timeout ${BOOT_TIMEOUT}s)"
    t=$EPOCHREALTIME
    timeout -k 10 "$BOOT_TIMEOUT" qemu-system-x86_64 -accel tcg -smp 2 -m 1024 \
        -kernel "$KERNEL" -initrd "$INITRD" -append "$(append_line)" \
        -drive "file=$dir/root.img,format=raw,if=virtio,snapshot=on" \
        -nodefaults -display none -serial "file:$dir/console.log" -no-reboot \
        > "$dir/qemu.out" 2>&1 || rc=$?
    BOOT_WALL[$v]=$(since "$t")
    timed "$v: qemu boot to power-off" "$t"
    # The console without carriage returns and colour codes, for grep.
    tr -d '\r' < "$dir/console.log" | sed -E 's/\x1b\[[0-9;]*[A-Za-z]//g' > "$dir/console.txt"
    echo "     console: $dir/console.log"
    if [ "$rc" = 0 ]; then
        pass "$v: qemu exited by itself after ${BOOT_WALL[$v]} s"
    elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        fail "$v: qemu killed by timeout after ${BOOT_TIMEOUT}s: the boot did not end by itself"
        tail -n 20 "$dir/console.txt" | sed 's/^/     | /'
    else
        fail "$v: qemu exited $rc"
        sed 's/^/     qemu: /' "$dir/qemu.out"
    fi
    [ -n "$KEEP_IMAGES" ] || rm -f "$dir/root.img"
}

# expect VARIANT present|absent REGEX WHAT: grep the console, print the lines found.
expect() {
    local v=$1 how=$2 re=$3 what=$4 file=$WORK/$1/console.txt lines
    lines=$(grep -a -E -- "$re" "$file" || true)
    if [ "$how" = present ]; then
        if [ -n "$lines" ]; then
            pass "$v: $what"
        else
            fail "$v: $what: no console line matches /$re/"
        fi
    else
        if [ -z "$lines" ]; then
            pass "$v: $what (no line matches /$re/)"
        else
            fail "$v: $what: the console has it"
        fi
    fi
    [ -z "$lines" ] || printf '%s\n' "$lines" | head -n 8 | sed 's/^/     | /'
}

check_common() {  # VARIANT: every boot reports and powers off by itself
    local v=$1
    expect "$v" present 'BOOTTEST DONE' "the finisher ran (BOOTTEST DONE)"
    expect "$v" present 'reboot: Power down' "the guest powered off (reboot: Power down)"
    expect "$v" absent 'Kernel panic|Found ordering cycle|ordering cycle' "no kernel panic, no ordering cycle"
    # The gate's results as structured journal entries (boottest-journal.py reads them
    # back with journalctl -o json): one per check that did not pass, then the verdict;
    # the report's own lines stay plain stdout lines at info, none of them twice.
    expect "$v" present 'BOOTTEST journal shape: ok$' "journal: one verdict entry, last, and each check at most once"
    expect "$v" present 'BOOTTEST journal transports: journal=[1-9][0-9]* stdout=[1-9][0-9]* stdout-priorities=6$' "journal: structured entries beside the report's stdout lines, those all at info"
    expect "$v" present 'BOOTTEST journal verdict: .*MODE=boot .*MESSAGE_ID=05aa50d9dc9f439eb7902cb40ad9d1a7 IDENTIFIER=ha-preflight$' "journal: the verdict's entry, its MESSAGE_ID and identifier"
    expect "$v" present 'BOOTTEST journal verdict message: verdict: ' "journal: the verdict entry's MESSAGE is the report's verdict line"
    expect "$v" absent 'BOOTTEST journal error:' "journal: the reader ran without an error"
    GUEST_END[$v]=$(sed -nE 's/^\[ *([0-9]+\.[0-9]+)\] reboot: Power down.*/\1/p' "$WORK/$v/console.txt" | tail -n1)
    GATE[$v]=$(sed -nE 's/.*BOOTTEST gate: .*took ([0-9.]+) s.*/\1/p' "$WORK/$v/console.txt" | tail -n1)
}

check_healthy() {
    local v=healthy
    check_common "$v"
    expect "$v" present 'ha-preflight boot: PASS' "ha-preflight's verdict is PASS"
    expect "$v" present 'verdict: pass' "ha-preflight's tally"
    # The gate's report lists every check that did not pass (the passes are a count):
    # with nothing cut, a check it does not list passed.
    expect "$v" present '[0-9]+ checks passed \(-v lists them' "the gate counts its passes"
    expect "$v" absent '\.\.\. and [0-9]+ more' "the gate's list of checks that did not pass is whole (nothing cut)"
    expect "$v" absent '(FAIL|warn|ERROR|blocked|skip|wait) +(lo-up|xcbdaemon-rpc) ' "lo-up and xcbdaemon-rpc are not among the gate's checks that did not pass"
    expect "$v" present 'BOOTTEST checks again: .*lo-up=pass' "lo-up passes (asked again after the boot)"
    expect "$v" present 'BOOTTEST checks again: .*xcbdaemon-rpc=pass' "xcbdaemon-rpc passes (the stand-in answered over lo; asked again after the boot)"
    expect "$v" present 'skip +drbd-consistent .*standalone|skip +drbd-consistent .*no DRBD' "drbd-consistent skips: a standalone node does not wait for DRBD"
    expect "$v" present 'HA-STANDIN: started' "the HA unit started (its marker line)"
    expect "$v" present 'BOOTTEST is-active: ha-preflight.service=active appliance-ha.service=active' "both units active"
    expect "$v" present 'BOOTTEST appliance-ha.service: active at' "when the HA unit became active"
    expect "$v" present 'BOOTTEST gate: .*result=success' "the gate's run, from systemd's timestamps"
    expect "$v" present 'BOOTTEST failed units: *$' "no failed unit at all"
    expect "$v" present 'BOOTTEST journal verdict: VERDICT=pass MODE=boot ROOT_CAUSE= PRIORITY=6 ' "journal: verdict pass, at info, no root cause"
    expect "$v" present 'BOOTTEST journal check: CHECK=drbd-consistent STATUS=skip .*PRIORITY=6 MESSAGE_ID=adc1e0c2ea144191857e2dbf16cc1424 ' "journal: drbd-consistent's skip, at info, with the skip MESSAGE_ID"
    expect "$v" absent 'BOOTTEST journal check: .*PRIORITY=[0-5] ' "journal: no check entry above info (nothing failed or warned)"
    expect "$v" present 'BOOTTEST journal -p err checks: *$' "journal: journalctl -p err -u ha-preflight names no check"
    expect "$v" present 'BOOTTEST journal -p err others: *$' "journal: ... and holds nothing else"
    expect "$v" absent 'waiting for' "no waiting (no --wait progress line)"
    expect "$v" absent 'root cause:|ha-preflight boot: FAIL|Dependency failed|Failed to start (ha|ha-preflight|xcbdaemon)\.service' "no failure of the gate, the HA unit or xcbdaemon"
}

check_incident() {
    local v=incident
    check_common "$v"
    expect "$v" present 'ha-preflight boot: FAIL' "ha-preflight's verdict is FAIL"
    expect "$v" present 'root cause: netrun-layout: .*/etc/network/run' "the root cause is netrun-layout, naming /etc/network/run"
    if [ "${INCIDENT_LO_DOWN:-1}" != 0 ]; then
        expect "$v" present 'leads to: netrun-layout -> netrun-stale -> lo-up -> xcbdaemon-rpc \(blocked\)' "the chain from the root cause to the symptoms: netrun-stale, lo-up and xcbdaemon-rpc attributed to netrun-layout"
        expect "$v" present 'FAIL +netrun-stale +ifup will skip lo' "netrun-stale fails (lo=lo recorded, lo down)"
        expect "$v" present 'FAIL +lo-up +lo is down' "lo-up fails"
        expect "$v" present 'blocked +xcbdaemon-rpc ' "xcbdaemon-rpc is blocked (not run over a loopback that is down)"
        expect "$v" present 'BOOTTEST lo: lo DOWN' "lo was down when the finisher looked"
        expect "$v" present 'BOOTTEST journal check: CHECK=netrun-stale STATUS=fail SEVERITY=critical ROOT_CAUSE=netrun-layout MODE=boot .*PRIORITY=3 MESSAGE_ID=92ccb90a0d8b46ec843958a8aff0f5d0 ' "journal: netrun-stale fails, attributed to netrun-layout, at err"
        expect "$v" present 'BOOTTEST journal check: CHECK=lo-up STATUS=fail SEVERITY=critical ROOT_CAUSE=netrun-layout MODE=boot .*PRIORITY=3 MESSAGE_ID=92ccb90a0d8b46ec843958a8aff0f5d0 ' "journal: lo-up fails, attributed to netrun-layout, at err"
        expect "$v" present 'BOOTTEST journal check: CHECK=xcbdaemon-rpc STATUS=blocked .*ROOT_CAUSE=netrun-layout MODE=boot BLOCKED_BY=lo-up .*PRIORITY=5 MESSAGE_ID=85a4816943f641a2bbb9bc9c0ae765af ' "journal: xcbdaemon-rpc blocked by lo-up, at notice (its blocker has the err entry)"
        expect "$v" present 'BOOTTEST journal -p err checks: lo-up netrun-layout netrun-stale$' "journal: journalctl -p err -u ha-preflight names exactly the failing checks"
        expect "$v" present 'BOOTTEST journal -p err -t ha-preflight: lo-up netrun-layout netrun-stale$' "journal: ... and ha-preflight's own err entries are those, nothing else"
    else
        expect "$v" present 'BOOTTEST journal -p err checks: netrun-layout$' "journal: journalctl -p err -u ha-preflight names exactly the failing check"
        expect "$v" present 'BOOTTEST journal -p err -t ha-preflight: netrun-layout$' "journal: ... and ha-preflight's own err entries are that, nothing else"
    fi
    expect "$v" present 'BOOTTEST journal check: CHECK=netrun-layout STATUS=fail SEVERITY=critical ROOT_CAUSE=netrun-layout MODE=boot .*PRIORITY=3 MESSAGE_ID=92ccb90a0d8b46ec843958a8aff0f5d0 IDENTIFIER=ha-preflight evidence=yes fix=yes$' "journal: netrun-layout fails, its own root cause, at err, with evidence and fix"
    expect "$v" present 'BOOTTEST journal verdict: VERDICT=fail MODE=boot ROOT_CAUSE=netrun-layout PRIORITY=5 ' "journal: verdict fail, root cause netrun-layout, at notice"
    expect "$v" absent 'BOOTTEST journal -p err others: .*ha-preflight\[' "journal: the other err entries of the unit are systemd's own, none ha-preflight's"
    expect "$v" present 'BOOTTEST journal by field: HA_PREFLIGHT_CHECK=[a-z-]+: [1-9]' "journal: a check's entries found by its field"
    expect "$v" present 'BOOTTEST journal catalog: .*Subject: ha-preflight' "journal: journalctl -x explains the entry from the shipped catalog"
    expect "$v" present 'Failed to start ha-preflight.service' "systemd: the gate failed"
    expect "$v" present 'Dependency failed for appliance-ha.service' "systemd: appliance-ha.service's dependency failed"
    expect "$v" present 'BOOTTEST is-active: ha-preflight.service=failed appliance-ha.service=inactive' "gate failed, HA unit not started"
    expect "$v" absent 'HA-STANDIN: started' "the HA marker never appears"
    expect "$v" present 'BOOTTEST appliance-ha.service: never active' "appliance-ha.service was never active"
    expect "$v" absent 'waiting for' "no waiting: a settled failure ends the run at once"
}

check_drbd-not-loaded() {
    local v=drbd-not-loaded
    check_common "$v"
    expect "$v" present 'ha-preflight boot: FAIL' "ha-preflight's verdict is FAIL"
    # The root cause's line wraps at 80 columns: its head, then the rest.
    expect "$v" present 'root cause: drbd-consistent: DRBD resources r0 are configured, but' "the root cause is drbd-consistent: configured, ..."
    expect "$v" present 'module is not loaded' "... the DRBD module is not loaded"
    expect "$v" present 'verdict: fail, root cause drbd-consistent ' "the verdict line names drbd-consistent"
    expect "$v" present 'BOOTTEST journal check: CHECK=drbd-consistent STATUS=fail .*ROOT_CAUSE=drbd-consistent MODE=boot .*PRIORITY=3 MESSAGE_ID=92ccb90a0d8b46ec843958a8aff0f5d0 ' "journal: drbd-consistent fails, at err"
    expect "$v" present 'BOOTTEST journal -p err checks: drbd-consistent$' "journal: journalctl -p err -u ha-preflight names exactly the failing check"
    expect "$v" present 'BOOTTEST journal verdict: VERDICT=fail MODE=boot ROOT_CAUSE=drbd-consistent PRIORITY=5 ' "journal: verdict fail, root cause drbd-consistent"
    expect "$v" absent '(FAIL|warn|ERROR|blocked|skip|wait) +xcbdaemon-rpc ' "xcbdaemon-rpc is not among the gate's checks that did not pass"
    expect "$v" present 'BOOTTEST checks again: .*xcbdaemon-rpc=pass' "everything else is fine (xcbdaemon-rpc passes, asked again after the boot)"
    expect "$v" present 'Failed to start ha-preflight.service' "systemd: the gate failed"
    expect "$v" present 'Dependency failed for appliance-ha.service' "systemd: appliance-ha.service's dependency failed"
    expect "$v" present 'BOOTTEST is-active: ha-preflight.service=failed appliance-ha.service=inactive' "gate failed, HA unit not started"
    expect "$v" present 'BOOTTEST failed units: ha-preflight.service *$' "the gate is the only failed unit"
    expect "$v" absent 'HA-STANDIN: started' "the HA marker never appears"
    expect "$v" present 'BOOTTEST appliance-ha.service: never active' "appliance-ha.service was never active"
    expect "$v" absent 'waiting for' "no waiting: not loaded is not a resync to wait for"
}

check_lifecycle() {
    local v=lifecycle s
    check_common "$v"
    expect "$v" present 'BOOTTEST lifecycle END' "the lifecycle script ran to its end"
    # The boot: the gate failed (DRBD configured, no module), the HA unit did not start.
    expect "$v" present 'BOOTTEST is-active: ha-preflight.service=failed appliance-ha.service=inactive' "the boot's gate failed, the HA unit did not start"
    # Recovery, as the man page and systemd/README.md tell the admin.
    expect "$v" present 'BOOTTEST lifecycle recover-unfixed-ha: .* -> exit=[1-9]' "box not fixed: systemctl start appliance-ha fails"
    expect "$v" present 'BOOTTEST lifecycle recover-unfixed-ha: gate=\[loaded/failed/failed .*ha=\[MainPID=0 .* inactive/dead\]' "... it pulled the gate in, which failed again; the HA unit stays down"
    expect "$v" present 'BOOTTEST lifecycle recover-console: .*ha-preflight boot -q -> exit=0' "box fixed: ha-preflight boot on the console passes"
    expect "$v" present 'BOOTTEST lifecycle recover-console: gate=\[loaded/failed/failed .*ha=\[MainPID=0 .* inactive/dead\]' "... and changes nothing in systemd (gate still failed, HA unit down)"
    expect "$v" present 'BOOTTEST lifecycle recover-start-gate: .* -> exit=0' "systemctl start ha-preflight.service (a start of the failed gate) is allowed and passes"
    expect "$v" present 'BOOTTEST lifecycle recover-start-gate: gate=\[loaded/active/exited .*result=success\] ha=\[MainPID=0 .* inactive/dead\]' "... the gate active, the HA unit not started by it"
    expect "$v" present 'BOOTTEST lifecycle recover-start-ha: gate=\[loaded/active/exited .*ha=\[MainPID=[1-9][0-9]* .* active/running\]' "systemctl start appliance-ha.service: the HA unit runs (a real MainPID)"
    # The HA unit running: none of these may touch it.
    expect "$v" present 'BOOTTEST lifecycle upgraded: ha-preflight [^ ]*\+boottest1 install ok installed' "dpkg -i upgraded the package to the newer version"
    for s in upgrade restart try-restart stop console remove purge; do
        expect "$v" present "BOOTTEST lifecycle $s: ha=unchanged " "$s: the HA unit's MainPID and ActiveEnterTimestamp are unchanged, and it is active"
        expect "$v" absent "BOOTTEST lifecycle $s: ha=CHANGED" "$s: the HA unit was not stopped or restarted"
    done
    expect "$v" present 'BOOTTEST lifecycle upgrade: .* -> exit=0' "dpkg -i of the newer .deb succeeds"
    expect "$v" present 'BOOTTEST lifecycle upgrade: ha=unchanged .*gate=\[loaded/active/exited ' "... the gate stays active (not stopped, not re-run)"
    expect "$v" present 'BOOTTEST lifecycle restart: .* -> exit=[1-9]' "systemctl restart ha-preflight.service is refused"
    expect "$v" present 'BOOTTEST lifecycle restart output: .*Operation refused, unit ha-preflight.service may be requested by dependency only' "... with systemd's reason (RefuseManualStop=yes)"
    expect "$v" present 'BOOTTEST lifecycle try-restart: .* -> exit=[1-9]' "systemctl try-restart ha-preflight.service is refused"
    expect "$v" present 'BOOTTEST lifecycle stop: .* -> exit=[1-9]' "systemctl stop ha-preflight.service is refused"
    expect "$v" present 'BOOTTEST lifecycle stop: ha=unchanged .*gate=\[loaded/active/exited ' "... the gate stays active"
    expect "$v" present 'BOOTTEST lifecycle console: .* -> exit=0' "ha-preflight boot on the console re-runs the checks (pass)"
    expect "$v" present 'BOOTTEST lifecycle remove: .* -> exit=0' "dpkg -r ha-preflight succeeds"
    expect "$v" present 'BOOTTEST lifecycle remove: ha=unchanged .*gate=\[not-found/active/exited ' "... the gate's unit file is gone; it stays active (not-found)"
    expect "$v" present 'BOOTTEST lifecycle purge: .* -> exit=0' "dpkg --purge ha-preflight succeeds"
    # What is left: the drop-in Requires= a unit that is gone.
    expect "$v" present 'BOOTTEST lifecycle after-stop-removed-gate: gate=\[not-found/inactive/dead .*ha=\[MainPID=0 .* inactive/dead\]' "a removed gate no longer refuses a stop, and its stop stops the HA unit (the docs warn)"
    expect "$v" present 'BOOTTEST lifecycle after-restart-ha: .* -> exit=[1-9]' "package gone, drop-in still there: the HA unit's next start fails"
    expect "$v" present 'BOOTTEST lifecycle after-dropin-removed: .* -> exit=0' "with the drop-in removed, the HA unit starts"
    expect "$v" present 'BOOTTEST lifecycle after-dropin-removed: ha=\[MainPID=[1-9][0-9]* .* active/running\]' "... and runs"
}

# ---------------------------------------------------------------------------------------

cleanup() {
    [ -n "${WORK:-}" ] && [ -d "$WORK" ] || return 0
    if findmnt -rn -o TARGET | grep -q "^$WORK"; then
        echo "FAIL: mounts left under $WORK; not deleting anything" >&2
        return
    fi
    if [ -n "$KEEP_IMAGES" ]; then echo "kept the tree and images in $WORK"; return; fi
    # Only the big parts: the console logs stay for reading.
    rm -rf --one-file-system "$WORK/root" "$WORK/deb" "$WORK/deb-newer"
    rm -f "$WORK"/*/root.img
}

main() {
    local t0=$EPOCHREALTIME t
    KEEP_IMAGES=${KEEP:-}
    [ "$KEEP_IMAGES" != 0 ] || KEEP_IMAGES=
    local v
    for v in $VARIANTS; do
        declare -F "check_$v" >/dev/null || die "unknown variant $v (healthy, incident, drbd-not-loaded, lifecycle)"
    done

    t=$EPOCHREALTIME
    preflight
    timed "tools (debootstrap, qemu-system-x86, e2fsprogs)" "$t"

    if [ -n "${HA_PREFLIGHT_BOOT_WORK:-}" ]; then
        WORK=$HA_PREFLIGHT_BOOT_WORK
        mkdir -p "$WORK"
        WORK=$(cd "$WORK" && pwd)
        rm -rf --one-file-system "$WORK/root" "$WORK/deb" "$WORK/deb-newer"
    else
        WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/ha-preflight-boot.XXXXXX")
    fi
    trap cleanup EXIT
    note "work directory: $WORK"

    t=$EPOCHREALTIME
    base_tree "$WORK/root"
    timed "root tree (debootstrap, or the cache)" "$t"
    note "root tree: $(du -sh "$WORK/root" | cut -f1)"

    t=$EPOCHREALTIME
    prepare_root "$WORK/root"
    timed "prepare the tree (all of the above)" "$t"

    KERNEL=$(ls "$WORK"/root/boot/vmlinuz-* | sort -V | tail -n1)
    INITRD=$(ls "$WORK"/root/boot/initrd.img-* | sort -V | tail -n1)
    note "kernel $(basename "$KERNEL"), initrd $(du -h "$INITRD" | cut -f1)"
    note "kernel command line: $(append_line)"

    for v in $VARIANTS; do
        boot_variant "$v"
        note "variant $v: expectations"
        "check_$v"
    done

    echo
    note "timings"
    printf '%s\n' "${TIMINGS[@]}"
    printf '%-44s %7s s\n' "total" "$(since "$t0")"
    for v in $VARIANTS; do
        printf '%-17s qemu wall %6s s   guest power-down at %8s s   gate took %s s\n' \
            "$v" "${BOOT_WALL[$v]:-?}" "${GUEST_END[$v]:-?}" "${GATE[$v]:-?}"
    done
    echo
    note "console logs"
    for v in $VARIANTS; do echo "  $v: $WORK/$v/console.log"; done
    if [ "$failures" -gt 0 ]; then
        echo "FAIL: $failures expectation(s) failed"
        exit 1
    fi
    echo "PASS: boot test ($VARIANTS)"
}

declare -A BOOT_WALL GUEST_END GATE
main "$@"
