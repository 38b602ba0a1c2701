#!/bin/bash
# Test only, "lifecycle" variant: run by boottest-report.sh in the booted image (when
# run.sh installed this file). What a box's life does to a running HA unit that the
# gate is wired to (drop-in: Requires= + After=ha-preflight.service):
#
#   recovery   the boot's gate failed (a DRBD resource configured, no module), so the
#              HA unit did not start. The admin fixes the box and starts it by hand:
#              `ha-preflight boot` on the console, `systemctl start ha-preflight`,
#              `systemctl start appliance-ha`.
#   lifecycle  with the HA unit running: an upgrade of the .deb, `systemctl restart`
#              and `stop` of the gate, the gate re-run on the console, `dpkg -r`,
#              `dpkg --purge`. After each one the HA unit's MainPID and
#              ActiveEnterTimestamp must be what they were before (ha=unchanged).
#   aftermath  the package gone, the drop-in still there: a stop of the removed gate
#              is no longer refused and stops the HA unit; the HA unit's next start
#              fails; with the drop-in removed it starts.
#
# Every line starts with "BOOTTEST lifecycle" for run.sh to grep. A step that changed
# the HA unit is reported (ha=CHANGED) and the HA unit started again, so that every
# later step is judged on its own.
HA=appliance-ha.service
GATE=ha-preflight.service
NEWER_DEB=/root/ha-preflight-newer.deb

say() { echo "BOOTTEST lifecycle $*"; }
# One line: the properties that change when systemd stops, starts or restarts a unit
# (one systemctl call: under TCG each takes a while).
ha_state() {
    local k v
    declare -A p
    while IFS='=' read -r k v; do p[$k]=$v; done < <(systemctl show \
        -p MainPID -p ActiveEnterTimestamp -p ActiveEnterTimestampMonotonic \
        -p ActiveState -p SubState "$HA")
    echo "MainPID=${p[MainPID]} ActiveEnterTimestamp=\"${p[ActiveEnterTimestamp]}\" (monotonic ${p[ActiveEnterTimestampMonotonic]}) ${p[ActiveState]}/${p[SubState]}"
}
gate_state() {
    local k v
    declare -A p
    while IFS='=' read -r k v; do p[$k]=$v; done < <(systemctl show \
        -p LoadState -p ActiveState -p SubState -p ExecMainStartTimestampMonotonic \
        -p Result "$GATE")
    echo "${p[LoadState]}/${p[ActiveState]}/${p[SubState]} ran-at=${p[ExecMainStartTimestampMonotonic]} result=${p[Result]}"
}
# run STEP COMMAND...: run it (bounded), print its exit status and output.
run() {
    local step=$1 rc=0 out
    shift
    out=$(timeout 120 "$@" 2>&1) || rc=$?
    say "$step: \$ $* -> exit=$rc"
    printf '%s\n' "$out" | tail -n 6 | sed "s/^/BOOTTEST lifecycle $step output: /"
    return "$rc"
}

# step NAME COMMAND...: a step with the HA unit running; judges MainPID and
# ActiveEnterTimestamp before and after.
step() {
    local name=$1 before after verdict
    shift
    before=$(ha_state)
    run "$name" "$@"
    after=$(ha_state)
    if [ "$before" = "$after" ] && [ "$(systemctl is-active "$HA")" = active ]; then
        verdict=unchanged
    else
        verdict=CHANGED
    fi
    say "$name: ha=$verdict before=[$before] after=[$after] gate=[$(gate_state)]"
    if [ "$verdict" = CHANGED ]; then
        # Judge the next step on its own: the HA unit running again.
        timeout 120 systemctl start "$HA" >/dev/null 2>&1
        say "$name: HA unit started again for the next step: [$(ha_state)]"
    fi
}

# --- recovery: the boot's gate failed, the HA unit never started --------------------
say "boot: gate=[$(gate_state)] ha=[$(ha_state)]"
run recover-unfixed-ha systemctl start "$HA"
say "recover-unfixed-ha: gate=[$(gate_state)] ha=[$(ha_state)]"
# The fix for this box's failure (drbd-consistent): no DRBD resource configured.
rm -rf /etc/drbd.conf /etc/drbd.d
run recover-console /usr/sbin/ha-preflight boot -q
say "recover-console: gate=[$(gate_state)] ha=[$(ha_state)]"
run recover-start-gate systemctl start "$GATE"
say "recover-start-gate: gate=[$(gate_state)] ha=[$(ha_state)]"
run recover-start-ha systemctl start "$HA"
say "recover-start-ha: gate=[$(gate_state)] ha=[$(ha_state)]"

# --- lifecycle: the HA unit running -------------------------------------------------
say "installed: $(dpkg-query -W -f '${Package} ${Version} ${Status}' ha-preflight 2>&1)"
step upgrade dpkg --force-unsafe-io -i "$NEWER_DEB"
say "upgraded: $(dpkg-query -W -f '${Package} ${Version} ${Status}' ha-preflight 2>&1)"
step restart systemctl restart "$GATE"
step try-restart systemctl try-restart "$GATE"
step stop systemctl stop "$GATE"
step console /usr/sbin/ha-preflight boot -q
step remove dpkg --force-unsafe-io -r ha-preflight
say "removed: $(dpkg-query -W -f '${Package} ${Version} ${Status}' ha-preflight 2>&1)"
step purge dpkg --force-unsafe-io --purge ha-preflight
say "purged: $(dpkg-query -W -f '${Package} ${Status}' ha-preflight 2>&1); unit file $(ls /lib/systemd/system/ha-preflight.service 2>&1 | tail -n1)"

# --- aftermath: the drop-in still Requires= a unit that is gone -----------------------
# The removed gate has no unit file, so no RefuseManualStop= either: a stop is no longer
# refused, and it reaches the HA unit (why the docs say not to stop a removed gate).
run after-stop-removed-gate systemctl stop "$GATE"
say "after-stop-removed-gate: gate=[$(gate_state)] ha=[$(ha_state)]"
run after-restart-ha systemctl restart "$HA"
say "after-restart-ha: ha=[$(ha_state)]"
rm -f /usr/lib/systemd/system/appliance-ha.service.d/10-ha-preflight.conf
timeout 120 systemctl daemon-reload
run after-dropin-removed systemctl start "$HA"
say "after-dropin-removed: ha=[$(ha_state)]"
say "END"
