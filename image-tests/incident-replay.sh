#!/usr/bin/env bash
# Seed 004, replayed on a real root tree: a build host whose /dev/shm is a plain
# directory, not a tmpfs, makes ifupdown 0.6's postinst choose "owndir", so
# /etc/network/run becomes a real directory on the root filesystem; the "lo=lo" that
# ifup writes there survives every reboot and ifup skips lo ("already configured").
#
# For each case, in a private mount namespace (`unshare -m`, so nothing here can touch the
# host's mounts or its real /dev/shm):
#   plain: /dev/shm is bind-mounted from an ordinary directory (the broken build host);
#   tmpfs: /dev/shm is a fresh tmpfs (a correct build host).
# The tree gets /proc and the host's /dev (rbind, which carries that /dev/shm along), and
# the postinst's /etc/network/run decision runs INSIDE the chroot, verbatim from the seed,
# so it sees what a package script sees. Then ifup's "lo=lo" is written into the state
# dir, everything is unmounted (the namespace ends), and `ha-preflight image` judges
# the tree:
#   plain: netrun-layout fail, netrun-stale fail naming lo, nothing else new;
#   tmpfs: /etc/network/run -> /dev/shm/network, netrun-layout and netrun-stale pass (the
#          state died with the tmpfs, as at a reboot).
#
# The tree: the clean debootstrapped tree (debootstrap.sh's cache, cleaned the same way),
# or, when there is no cache, `make_tree.py clean` with the host's /usr bound in read-only
# for the duration of the replay (its own binaries are stubs that cannot run).
#
# usage: image-tests/incident-replay.sh    (as root)
# env: HA_PREFLIGHT (default target/release/ha-preflight), HA_PREFLIGHT_DEBOOTSTRAP_CACHE,
#      KEEP=1 to keep the trees.
# Prints PASS/FAIL lines; exits 1 if an assertion failed, 2 on a setup error.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF=$HERE/$(basename "${BASH_SOURCE[0]}")
# raw_tree, clean_tree, cache_file, run_image, STATUS/SUMMARY, pass/fail/die/note
# shellcheck source=image-tests/debootstrap.sh
. "$HERE/debootstrap.sh"

# The /etc/network/run block of ifupdown 0.6's debian/postinst, exactly as quoted in
# seeds/004 (the same logic since 0.6.7; research/image-hygiene.md 1.1). Run as
# `sh -c "$POSTINST" postinst configure`, so $1 is "configure" as dpkg passes it.
# Only the last line is ours: it reports the decision.
POSTINST='
# Create /etc/network/run
if [ "$1" = configure -a ! -d /etc/network/run ]; then
  if [ -e /etc/network/run -o -L /etc/network/run ]; then
    echo "Renaming non-directory /etc/network/run to run.dpkg-old..."
    mv /etc/network/run /etc/network/run.dpkg-old
  fi

  # The best choice is to use /dev/shm/network
  #
  # If we can'"'"'t use that, we'"'"'ll just make /etc/network/run a directory,
  # unless we'"'"'re upgrading, in which case we'"'"'ll just keep ifstate where it
  # is, by making /etc/network/run a symlink to /etc/network.

  WHAT_TO_USE=devshm

  if [ ! -d /dev/shm -o ! -w /dev/shm -o ! -r /proc/mounts ]; then
    WHAT_TO_USE=owndir
  elif ! grep -qs "^tmpfs[[:space:]]\+/dev/shm[[:space:]]\+tmpfs[[:space:]]\+\([^[:space:]]\+,\)\?rw" /proc/mounts
  then
    WHAT_TO_USE=owndir
  elif grep -qs '"'"'[[:space:]]/dev[[:space:]]devfs[[:space:]]'"'"' /proc/mounts; then
    WHAT_TO_USE=owndir
  fi

  # Check for available space if we are using devshm
  if [ "$WHAT_TO_USE" = devshm ]; then
    SPACE=`df -k /dev/shm | tail -1 | awk '"'"'{if ($4 ~ /%/) { print $3 } else { print $4 } }'"'"'`
    if [ "$SPACE" -le 0 ]; then
      WHAT_TO_USE=owndir
    fi
  fi

  if [ "$WHAT_TO_USE" = owndir -a -e /etc/network/ifstate ]; then
    WHAT_TO_USE=etcnetwork
  fi

  if [ "$WHAT_TO_USE" = devshm ]
  then
    [ -d /dev/shm/network ] || mkdir /dev/shm/network
    ln -s /dev/shm/network /etc/network/run
  elif [ "$WHAT_TO_USE" = "owndir" ]; then
    mkdir /etc/network/run
  else
    ln -s . /etc/network/run
  fi
fi
echo "postinst: WHAT_TO_USE=$WHAT_TO_USE"
'

# What ifup 0.6 does once lo is up: the state file is written via .ifstate.tmp and renamed
# (ifupdown.nw; the state path /etc/network/run/ifstate is hard-coded).
# The host's directories lent to a make_tree.py tree (etc/alternatives: awk is a link
# through it).
TOOLBOX_DIRS=(bin sbin lib lib64 usr etc/alternatives)

IFUP='printf "lo=lo\n" > /etc/network/run/.ifstate.tmp && mv /etc/network/run/.ifstate.tmp /etc/network/run/ifstate'

# ---------------------------------------------------------------------------------------
# Inside the namespace (the script re-runs itself under unshare -m with --in-namespace).

in_namespace() {  # SHM(plain|tmpfs) DIR FAKESHM TOOLBOX(tree|host)
    local shm=$1 dir=$2 fakeshm=$3 toolbox=$4
    # unshare -m already makes everything private; say it again so a bind below can
    # never propagate back to the host whatever its defaults are.
    mount --make-rprivate /
    # /proc/mounts lists every mount stacked on /dev/shm, shadowed ones included, and the
    # postinst's grep would find the host's tmpfs under a bind and choose devshm (tried:
    # it did). So take the host's /dev/shm mounts off first (only in this namespace), the
    # way the seed's build host had none.
    while mountpoint -q /dev/shm; do umount /dev/shm; done
    case $shm in
        plain) mount --bind "$fakeshm" /dev/shm ;;   # the broken build host
        tmpfs) mount -t tmpfs -o mode=1777,size=16m tmpfs /dev/shm ;;  # a private one: the
               # devshm branch mkdirs /dev/shm/network, which must not land in the host's
    esac
    # The host's /dev, with the /dev/shm just set up, and a /proc of the chroot's own.
    mount --rbind /dev "$dir/dev"
    mount -t proc proc "$dir/proc"
    if [ "$toolbox" = host ]; then
        # The clean case's binaries are stubs: lend the host's, read-only, for the replay.
        local d
        for d in "${TOOLBOX_DIRS[@]}"; do
            [ -e "/$d" ] || continue
            mkdir -p "$dir/$d"
            mount --bind "/$d" "$dir/$d"
            mount -o remount,bind,ro "$dir/$d"
        done
    fi
    # A missing tool would silently steer the postinst (an empty $SPACE, a failed grep).
    chroot "$dir" /bin/sh -c '
        for c in grep df tail mkdir ln mv; do
            $c --version >/dev/null 2>&1 || { echo "no working $c in the chroot" >&2; exit 1; }
        done
        echo | awk "{}" || { echo "no working awk in the chroot" >&2; exit 1; }'
    echo "  /dev/shm as the chroot's /proc/mounts shows it:"
    chroot "$dir" /bin/sh -c 'grep "[[:space:]]/dev/shm[[:space:]]" /proc/mounts || echo "(no /dev/shm mount)"' | sed 's/^/    /'
    local env=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C)
    "${env[@]}" chroot "$dir" /bin/sh -c "$POSTINST" postinst configure | sed 's/^/  /'
    "${env[@]}" chroot "$dir" /bin/sh -c "$IFUP"
    echo "  ifup wrote lo=lo to /etc/network/run/ifstate"
    # Unmount before the namespace goes, deepest first; the trap in the parent checks
    # that nothing is left.
    if [ "$toolbox" = host ]; then
        for d in "${TOOLBOX_DIRS[@]}"; do mountpoint -q "$dir/$d" && umount "$dir/$d"; done
    fi
    umount "$dir/proc"
    umount -R "$dir/dev"
}

# ---------------------------------------------------------------------------------------
# Outside

# The clean tree into DIR. Prints which source it came from.
clean_tree_into() {  # DIR
    local dir=$1
    if [ -s "$(cache_file)" ]; then
        raw_tree "$dir" >&2
        clean_tree "$dir" >&2
        echo tree
    else
        echo "note: no debootstrap cache at $(cache_file) (run image-tests/debootstrap.sh);" \
             "using make_tree.py clean" >&2
        python3 "$HERE/make_tree.py" clean "$dir" >/dev/null
        echo host
    fi
}

# The replayed postinst is 0.6's, so the tree says so too, as such an image would
# (the netrun cases of tests/fixtures/image do the same); netrun-layout then names seed 004's layout.
pretend_ifupdown_06() {  # DIR
    local status=$1/var/lib/dpkg/status
    awk '/^Package: / { pkg = $2 } pkg == "ifupdown" && /^Version: / { $0 = "Version: 0.6.10" } { print }' \
        "$status" > "$status.new"
    mv "$status.new" "$status"
    awk '/^Package: / { pkg = $2 } pkg == "ifupdown" && $0 == "Version: 0.6.10" { ok = 1 } END { exit !ok }' "$status" \
        || die "could not set ifupdown's version in var/lib/dpkg/status"
}

# Statuses other than pass, as "id=status" words, from the last run_image.
non_pass() {
    local id
    for id in $(printf '%s\n' "${!STATUS[@]}" | sort); do
        [ "${STATUS[$id]}" = pass ] || printf '%s=%s ' "$id" "${STATUS[$id]}"
    done
}

replay() {  # CASE(plain|tmpfs)
    local case=$1 dir=$WORK/$1/root fakeshm=$WORK/$1/fakeshm toolbox before
    note "case $case: /dev/shm is $([ "$case" = plain ] && echo 'a plain directory (the broken build host)' || echo 'a tmpfs')"
    mkdir -p "$dir" "$fakeshm"
    toolbox=$(clean_tree_into "$dir")
    pretend_ifupdown_06 "$dir"
    [ ! -e "$dir/etc/network/run" ] || die "$dir/etc/network/run exists before the postinst"

    run_image "$dir" "$WORK/$case/before.json"
    before=$(non_pass)
    echo "  before the replay, not passing: ${before:-none}"

    # Mount points the host toolbox may create in a make_tree.py tree, removed afterwards.
    local d made=()
    if [ "$toolbox" = host ]; then
        for d in "${TOOLBOX_DIRS[@]}"; do [ -e "$dir/$d" ] || made+=("$dir/$d"); done
    fi
    unshare -m --propagation private "$BASH" "$SELF" --in-namespace "$case" "$dir" "$fakeshm" "$toolbox" \
        || { assert_unmounted "$dir"; fail "$case: the replay in the namespace failed"; return; }
    assert_unmounted "$dir"
    for d in ${made[@]+"${made[@]}"}; do rmdir "$d" 2>/dev/null || true; done

    run_image "$dir" "$WORK/$case/after.json"
    local after
    after=$(non_pass)
    echo "  after the replay, not passing: ${after:-none}"
    echo "  netrun-layout: ${STATUS[netrun-layout]}: ${SUMMARY[netrun-layout]}"
    echo "  netrun-stale:  ${STATUS[netrun-stale]}: ${SUMMARY[netrun-stale]}"

    local run=$dir/etc/network/run
    if [ "$case" = plain ]; then
        if [ -d "$run" ] && [ ! -L "$run" ] && grep -qx 'lo=lo' "$run/ifstate"; then
            pass "plain: the postinst chose owndir: etc/network/run is a real directory holding lo=lo"
        else
            fail "plain: etc/network/run is not a real directory with lo=lo ($(ls -ld "$run" 2>&1))"
        fi
        expect_status plain netrun-layout fail
        expect_status plain netrun-stale fail
        if [[ " ${SUMMARY[netrun-stale]} " =~ [^[:alnum:]]lo[^[:alnum:]] ]]; then
            pass "plain: netrun-stale names lo"
        else
            fail "plain: netrun-stale does not name lo: ${SUMMARY[netrun-stale]}"
        fi
        expect_new plain "$before" "$after" "netrun-layout=fail netrun-stale=fail"
    else
        if [ -L "$run" ] && [ "$(readlink "$run")" = /dev/shm/network ]; then
            pass "tmpfs: the postinst chose devshm: etc/network/run -> /dev/shm/network"
        else
            fail "tmpfs: etc/network/run is not a link to /dev/shm/network ($(ls -ld "$run" 2>&1))"
        fi
        expect_status tmpfs netrun-layout pass
        expect_status tmpfs netrun-stale pass   # lo=lo went with the tmpfs, as at a reboot
        expect_new tmpfs "$before" "$after" ""
    fi
    if [ -n "$(ls -A "$fakeshm")" ]; then
        fail "$case: something was written to the plain /dev/shm: $(ls -A "$fakeshm")"
    fi
}

expect_status() {  # CASE ID STATUS
    if [ "${STATUS[$2]:-missing}" = "$3" ]; then
        pass "$1: $2 is $3"
    else
        fail "$1: $2 is ${STATUS[$2]:-missing}, not $3: ${SUMMARY[$2]:-}"
    fi
}

# The replay must change exactly the expected checks, no more.
expect_new() {  # CASE BEFORE AFTER EXPECTED-NEW
    local new w
    new=$(for w in $3; do [[ " $2 " == *" $w "* ]] || printf '%s ' "$w"; done)
    if [ "${new% }" = "$4" ]; then
        pass "$1: the replay changed exactly: ${4:-nothing}"
    else
        fail "$1: the replay changed ${new:-nothing}, expected ${4:-nothing}"
    fi
}

# Mounts made in the namespace die with it; check, before anything reads or deletes the
# tree, that none of them is visible here.
assert_unmounted() {  # DIR
    if findmnt -rn -o TARGET | grep -q "^$1"; then
        die "mounts left under $1 after the namespace ended: refusing to go on"
    fi
}

# cleanup() comes from debootstrap.sh, sourced above.

replay_main() {
    preflight
    local shm_network_before=no
    [ -e /dev/shm/network ] && shm_network_before=yes
    WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/ha-preflight-replay.XXXXXX")
    trap cleanup EXIT
    replay plain
    replay tmpfs
    if [ "$shm_network_before" = no ] && [ -e /dev/shm/network ]; then
        fail "the host's /dev/shm/network appeared: the replay leaked out of its namespace"
    fi
    if [ "$failures" -gt 0 ]; then
        echo "FAIL: $failures assertion(s) failed"
        exit 1
    fi
    echo "PASS: seed-004 incident replay"
}

if [ "${1:-}" = --in-namespace ]; then
    shift
    in_namespace "$@"
else
    replay_main "$@"
fi
