#!/usr/bin/env bash
# A real image, not a fixture: debootstrap a minimal Debian root and check it with
# `ha-preflight image`.
#
#   (a) the raw tree, exactly as debootstrap left it: every build leftover this script
#       finds in it by looking (host keys, the build host's resolv.conf, a filled
#       machine-id, cached .debs, ...) must come out of its check as non-pass;
#   (b) a cleaned copy, made the way a firmware build should finish: every image check
#       must pass.
#
# The fixtures of tests/fixtures/image say what we think a tree looks like; this says what debootstrap
# really leaves, so the two cannot drift apart unnoticed.
#
# usage: image-tests/debootstrap.sh        (as root; needs apt's configured mirror)
#
# env:
#   HA_PREFLIGHT                     the binary (default: target/release/ha-preflight)
#   HA_PREFLIGHT_DEBOOTSTRAP_CACHE   where the tarball of the raw tree is kept, so a
#                                    second run does not download again
#                                    (default: ${XDG_CACHE_HOME:-$HOME/.cache}/ha-preflight/debootstrap)
#   SUITE                            Debian suite (default: bookworm)
#   KEEP=1                           keep the work directory (raw/ and clean/) for a look
#
# Prints PASS/FAIL lines; exits 1 if any assertion failed, 2 on a setup error.
# incident-replay.sh sources this file for raw_tree and clean_tree (main does not run then).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${HA_PREFLIGHT:-$REPO/target/release/ha-preflight}
CACHE_DIR=${HA_PREFLIGHT_DEBOOTSTRAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ha-preflight/debootstrap}
SUITE=${SUITE:-bookworm}
VARIANT=minbase
# ifupdown: the netrun checks have something real to look at; openssh-server: its postinst
# makes host keys in the chroot; systemd: machine-id and the unit directories.
INCLUDE=ifupdown,openssh-server,systemd
APPLIANCE=appliance

# shellcheck source=image-tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ---------------------------------------------------------------------------------------
# Setup

preflight() {
    [ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, device nodes in the tree)"
    case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
    [ -x "$BIN" ] || die "no binary at $BIN (cargo build --release, or set HA_PREFLIGHT)"
    command -v python3 >/dev/null || die "python3 is needed to read the JSON report"
}

# The raw debootstrapped tree in DIR (apt_mirror, cached_tree: lib.sh).
raw_tree() {  # DIR
    cached_tree "$1"
}

# ---------------------------------------------------------------------------------------
# Running ha-preflight

declare -A STATUS SUMMARY

# Fill STATUS[id], SUMMARY[id] and IMAGE_RC from `image --root DIR --format json`.
# (Not called in $(...): the arrays must be set in this shell, not a subshell.)
IMAGE_RC=
run_image() {  # DIR REPORT
    local rc=0
    "$BIN" image --root "$1" --format json > "$2" 2> "$2.err" || rc=$?
    IMAGE_RC=$rc
    case $rc in
        0|1) ;;
        *) cat "$2.err"; die "ha-preflight image --root $1 exited $rc (2 = usage/spec, 3 = not evaluated)" ;;
    esac
    STATUS=() SUMMARY=()
    local id status summary
    while IFS=$'\t' read -r id status summary; do
        STATUS[$id]=$status SUMMARY[$id]=$summary
    done < <(python3 -c '
import json, sys
for c in json.load(open(sys.argv[1]))["checks"]:
    print(c["id"], c["status"], " ".join(c["summary"].split()), sep="\t")
' "$2")
    [ "${#STATUS[@]}" -gt 0 ] || die "no checks in $2"
}

# ---------------------------------------------------------------------------------------
# What is really in the raw tree. Each finder looks at the tree with plain shell tools,
# independently of ha-preflight, and prints what it found (nothing when the tree is clean
# of that leftover).

find_ssh_host_keys() { (cd "$1" && ls -1 etc/ssh/ssh_host_*_key 2>/dev/null | tr '\n' ' ') || true; }

find_resolv_conf() {
    local f=$1/etc/resolv.conf
    if [ -f "$f" ] && [ ! -L "$f" ] && grep -Eq '^[[:space:]]*(nameserver|search|domain)' "$f"; then
        echo "etc/resolv.conf is a file: $(grep -E '^[[:space:]]*(nameserver|search|domain)' "$f" | head -n2 | tr '\n' ' ')"
    fi
}

# The build host's name: /etc/hostname copied from this machine, a 127.0.1.1 line that
# disagrees with it, /etc/mailname, or key comments naming another host.
find_build_hostname() {
    local dir=$1 name out=()
    name=$(cat "$dir/etc/hostname" 2>/dev/null || true)
    if [ -n "$name" ] && [ "$name" = "$(hostname)" ]; then
        out+=("etc/hostname is this build host's name ($name)")
    fi
    [ -e "$dir/etc/mailname" ] && out+=("etc/mailname exists")
    if [ -n "$name" ] && grep -Eq '^127\.0\.1\.1[[:space:]]' "$dir/etc/hosts" 2>/dev/null \
        && ! grep -Eq "^127\.0\.1\.1[[:space:]].*[[:space:]]$name([[:space:]]|$)" "$dir/etc/hosts"; then
        out+=("etc/hosts 127.0.1.1 line lacks $name")
    fi
    local pub host
    for pub in "$dir"/etc/ssh/ssh_host_*_key.pub; do
        [ -f "$pub" ] || continue
        host=$(awk '{print $3}' "$pub"); host=${host#*@}
        [ -n "$host" ] && [ "$host" != "$name" ] && out+=("${pub#"$dir"/} comment names $host")
    done
    [ ${#out[@]} -eq 0 ] || echo "${out[*]}"
}

find_machine_id() {
    local dir=$1 id out=()
    id=$(cat "$dir/etc/machine-id" 2>/dev/null || true)
    [ -n "$id" ] && [ "$id" != uninitialized ] && out+=("etc/machine-id=$id")
    [ -f "$dir/var/lib/dbus/machine-id" ] && [ ! -L "$dir/var/lib/dbus/machine-id" ] \
        && out+=("var/lib/dbus/machine-id")
    [ -e "$dir/var/lib/systemd/random-seed" ] && out+=("var/lib/systemd/random-seed")
    [ ${#out[@]} -eq 0 ] || echo "${out[*]}"
}

find_tmp_leftovers() {
    local dir=$1 n out=()
    n=$(find "$dir/var/cache/apt" -name '*.deb' 2>/dev/null | wc -l || true)
    [ "$n" -gt 0 ] && out+=("$n cached .deb")
    n=$(find "$dir/var/cache/apt" -maxdepth 1 -name '*.bin' 2>/dev/null | wc -l || true)
    [ "$n" -gt 0 ] && out+=("$n apt .bin caches")
    [ -e "$dir/var/log/bootstrap.log" ] && out+=("var/log/bootstrap.log")
    [ -e "$dir/debootstrap" ] && out+=("/debootstrap")
    local t
    for t in tmp var/tmp; do
        [ -n "$(ls -A "$dir/$t" 2>/dev/null)" ] && out+=("$t not empty")
        [ "$(stat -c %a "$dir/$t")" = 1777 ] || out+=("$t mode $(stat -c %a "$dir/$t")")
    done
    [ ${#out[@]} -eq 0 ] || echo "${out[*]}"
}

find_policy_rc_d() { [ -e "$1/usr/sbin/policy-rc.d" ] && echo "usr/sbin/policy-rc.d" || true; }

# Packages divert files legitimately (dash diverts /bin/sh); a build's diversions are
# local ones (diverted by ":") or of the stubbed tools.
find_dpkg_diversions() {
    local dir=$1 out=() div=$1/var/lib/dpkg/diversions
    if [ -s "$div" ]; then
        local found
        found=$(awk 'NR % 3 == 1 { from = $0 } NR % 3 == 0 && ($0 == ":" ||
                 from ~ /\/(start-stop-daemon|initctl|ldconfig|hostname)$/) { print from }' "$div" | tr '\n' ' ')
        [ -n "$found" ] && out+=("build diversion(s): $found")
    fi
    local real
    real=$(cd "$dir" && find usr/bin usr/sbin bin sbin -maxdepth 1 -name '*.REAL' 2>/dev/null | head -n3 | tr '\n' ' ' || true)
    [ -n "$real" ] && out+=("$real")
    [ ${#out[@]} -eq 0 ] || echo "${out[*]}"
}

find_mtab_link() {
    local link
    link=$(readlink "$1/etc/mtab" 2>/dev/null || true)
    case $link in
        ../proc/self/mounts|/proc/self/mounts|../proc/mounts|/proc/mounts) ;;
        *) if [ -e "$1/etc/mtab" ] || [ -L "$1/etc/mtab" ]; then echo "etc/mtab -> ${link:-(a regular file)}"; else echo "no etc/mtab"; fi ;;
    esac
}

find_runtime_leftovers() {
    local dir=$1 out=() d
    for d in var/run var/lock; do
        [ -d "$dir/$d" ] && [ ! -L "$dir/$d" ] && out+=("$d is a real directory")
    done
    local files
    files=$(cd "$dir" && find run var/lib/dhcp \( -type s -o -name '*.pid' -o -name '*.lock' \
        -o -name '*.lease' -o -name '*.leases' -o -name utmp \) ! -type d ! -type l 2>/dev/null | head -n3 | tr '\n' ' ' || true)
    [ -n "$files" ] && out+=("$files")
    [ ${#out[@]} -eq 0 ] || echo "${out[*]}"
}

find_dev_nodes() {
    local dir=$1 out=()
    local blk
    blk=$(find "$dir/dev" -type b 2>/dev/null | wc -l || true)
    [ "$blk" -gt 0 ] && out+=("$blk block device(s) in dev")
    local d
    for d in proc sys dev/pts; do
        [ -n "$(ls -A "$dir/$d" 2>/dev/null)" ] && out+=("$d not empty")
    done
    [ ${#out[@]} -eq 0 ] || echo "${out[*]}"
}

find_unit_wiring() {
    local d
    for d in etc/systemd/system usr/lib/systemd/system lib/systemd/system; do
        [ -e "$1/$d/ha-preflight.service" ] && return
    done
    echo "no ha-preflight.service"
}

find_netrun_layout() {
    local r=$1/etc/network/run
    if [ -d "$r" ] && [ ! -L "$r" ]; then echo "etc/network/run is a real directory"; fi
    if [ -L "$r" ]; then
        case $(readlink "$r") in /run/network|/dev/shm/network) ;; *) echo "etc/network/run -> $(readlink "$r")" ;; esac
    fi
}

find_netrun_stale() {
    (cd "$1" && find etc/network run/network dev/shm/network lib/init/rw/network \
        -name 'ifstate*' -size +0 2>/dev/null | head -n3 | tr '\n' ' ') || true
}

# Checks whose leftovers the finders above can see. The rest (unknown-owners,
# apt-proxy, qemu-user-static) are shown in the table with their status only.
FOUND_BY=(ssh-host-keys resolv-conf build-hostname machine-id tmp-leftovers policy-rc-d
          dpkg-diversions mtab-link runtime-leftovers dev-nodes unit-wiring netrun-layout
          netrun-stale)

# (a) Every leftover found in the tree must be caught (non-pass); ssh-host-keys must fail
# outright, because openssh-server's postinst always makes keys.
assert_raw() {  # DIR
    local dir=$1 report=$WORK/raw.json rc
    note "(a) raw debootstrap tree: ha-preflight image --root ${dir#"$WORK"/}"
    run_image "$dir" "$report"; rc=$IMAGE_RC
    printf '%-18s %-7s %-8s %s\n' CHECK STATUS CAUGHT "LEFTOVER FOUND IN THE TREE / ha-preflight's summary"
    local id found status caught caught_n=0 misses=()
    for id in "${FOUND_BY[@]}" unknown-owners apt-proxy qemu-user-static; do
        status=${STATUS[$id]:-missing}
        found=""
        if declare -F "find_${id//-/_}" >/dev/null; then
            found=$("find_${id//-/_}" "$dir")
        fi
        if [ -n "$found" ]; then
            if [ "$status" != pass ]; then
                caught=yes caught_n=$((caught_n + 1))
            else
                caught=MISSED
            fi
        elif [ "$status" = pass ]; then
            caught=-
        else
            caught="(extra)"   # flagged, though this script found nothing: see the summary
        fi
        printf '%-18s %-7s %-8s %s\n' "$id" "$status" "$caught" "${found:--}"
        [ "$status" = pass ] || printf '%-18s %-7s %-8s   ha-preflight: %s\n' "" "" "" "${SUMMARY[$id]:-}"
        if [ "$status" = missing ]; then
            misses+=("raw tree: check $id is not in the report")
        elif [ "$caught" = MISSED ]; then
            misses+=("raw tree: $id passed although the tree has: $found")
        fi
    done
    local m
    for m in ${misses[@]+"${misses[@]}"}; do fail "$m"; done
    if [ "${STATUS[ssh-host-keys]:-}" = fail ]; then
        pass "raw tree: ssh-host-keys fails (openssh-server's postinst made host keys in the chroot)"
    else
        fail "raw tree: ssh-host-keys is ${STATUS[ssh-host-keys]:-missing}, not fail"
    fi
    if [ "$rc" = 1 ]; then pass "raw tree: exit code 1"; else fail "raw tree: exit code $rc, not 1"; fi
    if [ "$failures" -eq 0 ]; then
        pass "raw tree: all $caught_n kinds of leftover found in the tree were caught"
    fi
}

# ---------------------------------------------------------------------------------------
# (b) The cleaning a firmware build should end with. Plain file operations: nothing in
# the image is run, so this works for a foreign-architecture tree too.

HA_SERVICE='[Unit]
Description=HA service (stand-in for the appliance'"'"'s HA unit)

[Service]
ExecStart=/usr/sbin/ha-daemon

[Install]
WantedBy=multi-user.target
'

# With the host keys gone sshd needs new ones on first boot (ssh-host-keys' fix).

clean_tree() {  # DIR
    local dir=$1
    # ssh-host-keys (and their root@BUILDHOST comments: build-hostname)
    rm -f "$dir"/etc/ssh/ssh_host_*
    # machine-id: empty, so systemd makes one on first boot (machine-id(5))
    : > "$dir/etc/machine-id"
    rm -f "$dir/var/lib/dbus/machine-id" "$dir/var/lib/systemd/random-seed" \
          "$dir/var/lib/systemd/credential.secret"
    # resolv-conf: not the build host's nameservers
    rm -f "$dir/etc/resolv.conf"
    ln -s ../run/systemd/resolve/stub-resolv.conf "$dir/etc/resolv.conf"
    # build-hostname
    echo "$APPLIANCE" > "$dir/etc/hostname"
    # debootstrap writes no /etc/hosts (the installer does); give it Debian's usual one.
    [ -e "$dir/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n' > "$dir/etc/hosts"
    sed -i '/^127\.0\.1\.1[[:space:]]/d' "$dir/etc/hosts"
    echo "127.0.1.1	$APPLIANCE" >> "$dir/etc/hosts"
    rm -f "$dir/etc/mailname" "$dir/etc/hostname.orig" "$dir/etc/hosts.orig"
    # tmp-leftovers: what `apt-get clean` removes, debootstrap's log, /tmp
    find "$dir/var/cache/apt" \( -name '*.deb' -o -name '*.bin' \) -type f -delete
    rm -rf "$dir/debootstrap" "$dir/var/log/bootstrap.log"
    find "$dir/tmp" "$dir/var/tmp" -mindepth 1 -delete
    chmod 1777 "$dir/tmp" "$dir/var/tmp"
    # mtab-link
    ln -sfn ../proc/self/mounts "$dir/etc/mtab"
    # unit-wiring: the repo's unit, a stand-in HA unit gated by the packaged drop-in
    # installed in its folder (the documented route), the binary, and what
    # `systemctl enable` makes
    local units=$dir/usr/lib/systemd/system
    install -D -m 644 "$REPO/systemd/ha-preflight.service" "$units/ha-preflight.service"
    install -D -m 644 "$REPO/systemd/examples/ha-unit.service.d/10-ha-preflight.conf" \
        "$units/appliance-ha.service.d/10-ha-preflight.conf"
    printf '%s' "$HA_SERVICE" > "$units/appliance-ha.service"
    cp "$(dirname "${BASH_SOURCE[0]}")/units/regenerate-ssh-host-keys.service" "$units/"
    install -D -m 755 "$BIN" "$dir/usr/sbin/ha-preflight"
    enable_units "$dir" ha-preflight.service appliance-ha.service regenerate-ssh-host-keys.service
}

# `systemctl --root` reads [Install] and makes the links without running anything from
# the image (systemd/README.md); without systemctl, make the same links by hand.
enable_units() {  # DIR UNIT...
    local dir=$1; shift
    if command -v systemctl >/dev/null; then
        systemctl --root="$dir" enable "$@" >/dev/null 2>&1 && return
        echo "note: systemctl --root enable failed; making the links by hand"
    fi
    local etc=$dir/etc/systemd/system lib=/usr/lib/systemd/system u
    mkdir -p "$etc/multi-user.target.wants"
    for u in "$@"; do ln -sfn "$lib/$u" "$etc/multi-user.target.wants/$u"; done
}

assert_clean() {  # DIR
    local dir=$1 rc id bad=0
    note "(b) cleaned copy: ha-preflight image --root ${dir#"$WORK"/}"
    run_image "$dir" "$WORK/clean.json"; rc=$IMAGE_RC
    for id in $(printf '%s\n' "${!STATUS[@]}" | sort); do
        if [ "${STATUS[$id]}" = pass ]; then
            printf '  %-18s pass  %s\n' "$id" "${SUMMARY[$id]}"
        else
            fail "clean tree: $id is ${STATUS[$id]}: ${SUMMARY[$id]}"
            bad=$((bad + 1))
        fi
    done
    if [ "$bad" -eq 0 ]; then pass "clean tree: all ${#STATUS[@]} image checks pass"; fi
    if [ "$rc" = 0 ]; then pass "clean tree: exit code 0"; else fail "clean tree: exit code $rc, not 0"; fi
}

# ---------------------------------------------------------------------------------------

# Refuse to delete a tree that still has something mounted in it: rm -rf through a bind
# of the host's /dev or /proc would be a disaster. Mounts made in unshare'd namespaces
# are gone with them, so this is belt and braces.
cleanup() {
    [ -n "${WORK:-}" ] && [ -d "$WORK" ] || return 0
    if findmnt -rn -o TARGET | grep -q "^$WORK"; then
        echo "FAIL: mounts left under $WORK; not deleting it" >&2
        return
    fi
    if [ -n "${KEEP:-}" ]; then echo "kept $WORK"; return; fi
    rm -rf --one-file-system "$WORK"
}

main() {
    preflight
    WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/ha-preflight-debootstrap.XXXXXX")
    trap cleanup EXIT
    local t0=$SECONDS
    raw_tree "$WORK/raw"
    note "raw tree ready in $((SECONDS - t0)) s ($(du -sh "$WORK/raw" | cut -f1))"
    assert_raw "$WORK/raw"
    cp -a "$WORK/raw" "$WORK/clean"
    clean_tree "$WORK/clean"
    assert_clean "$WORK/clean"
    note "total $((SECONDS - t0)) s"
    if [ "$failures" -gt 0 ]; then
        echo "FAIL: $failures assertion(s) failed"
        exit 1
    fi
    echo "PASS: debootstrap image test"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    main "$@"
fi
