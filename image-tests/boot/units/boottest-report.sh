#!/bin/bash
# Test only, run by boottest-done.service in the booted image: how the gate and the HA
# unit ended, and when the gate ran. Every line starts with BOOTTEST for run.sh to find.

# systemd's *TimestampMonotonic: microseconds since boot, as the console's [  s.us] stamps.
secs() { printf '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000)); }
show() { systemctl show -P "$1" "$2"; }

echo "BOOTTEST is-active: ha-preflight.service=$(systemctl is-active ha-preflight.service) appliance-ha.service=$(systemctl is-active appliance-ha.service)"
# What systemd said of the HA unit, from the journal: its status lines on the console
# ("[DEPEND] Dependency failed for ...") did not show in one boot of several, though the
# journal had them.
echo "BOOTTEST systemd on appliance-ha.service: $(journalctl -b --no-pager -o cat -u appliance-ha.service 2>/dev/null | grep -m1 'Dependency failed' || echo nothing failed)"
start=$(show ExecMainStartTimestampMonotonic ha-preflight.service)
end=$(show ExecMainExitTimestampMonotonic ha-preflight.service)
if [ "${start:-0}" -gt 0 ] && [ "${end:-0}" -ge "$start" ]; then
    d=$((end - start))
    echo "BOOTTEST gate: ha-preflight ran from $(secs "$start") s to $(secs "$end") s after boot, took $((d / 1000000)).$(printf '%03d' $((d / 1000 % 1000))) s (result=$(show Result ha-preflight.service), status=$(show ExecMainStatus ha-preflight.service))"
else
    echo "BOOTTEST gate: ha-preflight did not run (start=${start:-?} end=${end:-?})"
fi
# When a unit became active, or "never".
became_active() {
    local t
    t=$(show ActiveEnterTimestampMonotonic "$1")
    if [ "${t:-0}" -gt 0 ]; then echo "active at $(secs "$t") s"; else echo "never active"; fi
}
echo "BOOTTEST xcbdaemon: $(systemctl is-active xcbdaemon.service), $(became_active xcbdaemon.service)"
echo "BOOTTEST appliance-ha.service: $(became_active appliance-ha.service)"
echo "BOOTTEST lo: $(ip -brief address show dev lo | tr -s ' ')"
# The gate's console report lists only the checks that did not pass (the passes are a
# count), so ask once more, after the boot, for every check's status by id.
echo "BOOTTEST checks again: $(/usr/sbin/ha-preflight boot --format json 2>/dev/null | python3 -c 'import json, sys; print(" ".join(c["id"] + "=" + c["status"] for c in json.load(sys.stdin)["checks"]))' 2>&1 | tail -n1)"
# What the gate's run wrote to the journal as structured entries, read back with
# journalctl -o json ("BOOTTEST journal ..." lines).
python3 /usr/local/lib/boottest-journal.py
echo "BOOTTEST failed units: $(systemctl list-units --failed --plain --no-legend --no-pager | awk '{print $1}' | tr '\n' ' ')"
# The lifecycle variant's steps (run.sh installs the script only for it).
if [ -f /usr/local/lib/boottest-lifecycle.sh ]; then
    /bin/bash /usr/local/lib/boottest-lifecycle.sh
fi
echo "BOOTTEST DONE"
