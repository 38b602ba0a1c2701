#!/usr/bin/python3
# Test only, run by boottest-report.sh in the booted image: what the gate's run wrote to
# the real journald, read back with `journalctl -o json`. Every line starts with
# "BOOTTEST journal" for run.sh to find. The checks are run.sh's; this only reads.
import json
import subprocess
import sys
import time

UNIT = "ha-preflight.service"
FIELDS = ["CHECK", "STATUS", "SEVERITY", "ROOT_CAUSE", "MODE", "BLOCKED_BY", "KIND"]


def say(what, text):
    print(f"BOOTTEST journal {what}: {text}", flush=True)


def entries(*args):
    out = subprocess.run(
        ["journalctl", "-b", "--no-pager", "-o", "json", *args],
        capture_output=True, text=True, check=False,
    ).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def value(entry, name):
    """A field's value as text: journalctl gives a repeated field as a list, and a
    value it does not take for text (control characters) as a list of byte values."""
    v = entry.get(name)
    if isinstance(v, list) and v and all(isinstance(b, int) for b in v):
        return "<bytes:" + bytes(v).decode("utf-8", "replace") + ">"
    if isinstance(v, list):
        return ",".join(str(x) for x in v)
    return v


def main():
    # journald reads its sockets on its own time: ask it to catch up, then wait for the
    # gate's verdict entry (a few seconds at most).
    subprocess.run(["journalctl", "--sync"], check=False)
    ours = []
    for _ in range(20):
        ours = entries("-u", UNIT)
        if any("HA_PREFLIGHT_VERDICT" in e for e in ours):
            break
        time.sleep(0.5)
    ours = [e for e in ours if e.get("_SYSTEMD_UNIT") == UNIT]
    native = [e for e in ours if e.get("_TRANSPORT") == "journal"]
    stdout = [e for e in ours if e.get("_TRANSPORT") == "stdout"]
    say("transports", f"journal={len(native)} stdout={len(stdout)} "
        f"stdout-priorities={','.join(sorted({str(value(e, 'PRIORITY')) for e in stdout}))}")

    # What a fleet reads: one line per structured entry, its fields.
    checks = []
    verdicts = []
    for e in native:
        if "HA_PREFLIGHT_VERDICT" in e:
            verdicts.append(e)
            say("verdict", " ".join([
                f"VERDICT={value(e, 'HA_PREFLIGHT_VERDICT')}",
                f"MODE={value(e, 'HA_PREFLIGHT_MODE')}",
                f"ROOT_CAUSE={value(e, 'HA_PREFLIGHT_ROOT_CAUSE') or ''}",
                f"PRIORITY={value(e, 'PRIORITY')}",
                f"MESSAGE_ID={value(e, 'MESSAGE_ID')}",
                f"IDENTIFIER={value(e, 'SYSLOG_IDENTIFIER')}",
            ]))
            say("verdict message", value(e, "MESSAGE"))
        else:
            checks.append(e)
            parts = [f"{f}={value(e, 'HA_PREFLIGHT_' + f)}" for f in FIELDS
                     if ("HA_PREFLIGHT_" + f) in e]
            parts += [f"PRIORITY={value(e, 'PRIORITY')}",
                      f"MESSAGE_ID={value(e, 'MESSAGE_ID')}",
                      f"IDENTIFIER={value(e, 'SYSLOG_IDENTIFIER')}",
                      f"evidence={'yes' if 'HA_PREFLIGHT_EVIDENCE' in e else 'no'}",
                      f"fix={'yes' if 'HA_PREFLIGHT_FIX' in e else 'no'}"]
            say("check", " ".join(parts))

    # The shape: one verdict per run of the gate, each check at most once per run, and
    # every structured entry either a check's or a verdict.
    bad = []
    runs = {}
    for e in native:
        runs.setdefault(e.get("_PID"), []).append(e)
    for pid, es in runs.items():
        ids = [value(e, "HA_PREFLIGHT_CHECK") for e in es if "HA_PREFLIGHT_CHECK" in e]
        if len(ids) != len(set(ids)):
            bad.append(f"pid {pid}: a check twice: {ids}")
        if sum("HA_PREFLIGHT_VERDICT" in e for e in es) != 1:
            bad.append(f"pid {pid}: not one verdict entry")
        if es and "HA_PREFLIGHT_VERDICT" not in es[-1]:
            bad.append(f"pid {pid}: the verdict is not the last entry")
    for e in native:
        if ("HA_PREFLIGHT_CHECK" in e) == ("HA_PREFLIGHT_VERDICT" in e):
            bad.append(f"an entry neither a check's nor a verdict: {value(e, 'MESSAGE')}")
    say("shape", "ok" if not bad else "BAD " + "; ".join(bad))
    say("runs", str(len(runs)))

    # journalctl -p err: the checks that shut the gate, each once; what else is there
    # (systemd's own "Failed to start" for the unit), by who said it.
    err = entries("-u", UNIT, "-p", "err")
    ids = sorted(value(e, "HA_PREFLIGHT_CHECK") for e in err if "HA_PREFLIGHT_CHECK" in e)
    say("-p err checks", " ".join(ids))
    others = [f"{value(e, 'SYSLOG_IDENTIFIER')}[{value(e, '_PID')}]: {value(e, 'MESSAGE')}"
              for e in err if "HA_PREFLIGHT_CHECK" not in e]
    say("-p err others", " | ".join(others))
    err_own = entries("-u", UNIT, "-t", "ha-preflight", "-p", "err")
    say("-p err -t ha-preflight", " ".join(sorted(
        value(e, "HA_PREFLIGHT_CHECK") or f"<no check: {value(e, 'MESSAGE')}>" for e in err_own)))

    # One check's history by its field, as a fleet would ask.
    for e in checks[:1]:
        cid = value(e, "HA_PREFLIGHT_CHECK")
        found = entries(f"HA_PREFLIGHT_CHECK={cid}")
        say("by field", f"HA_PREFLIGHT_CHECK={cid}: {len(found)} entries")

    # The catalog, as journalctl -x shows it under an entry.
    if checks:
        first = checks[0]
        out = subprocess.run(
            ["journalctl", "-b", "--no-pager", "-x", "-u", UNIT,
             f"MESSAGE_ID={value(first, 'MESSAGE_ID')}", "-n", "1"],
            capture_output=True, text=True, check=False,
        ).stdout
        # "░░ " since systemd 246; "-- " before it.
        lines = [l for l in out.splitlines()
                 if l.startswith("\u2591\u2591") or l.startswith("-- Subject:")]
        say("catalog", lines[0] if lines else "none (no explanation lines from journalctl -x)")
        say("catalog lines", str(len(lines)))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # the report must go on to BOOTTEST DONE whatever happens
        say("error", f"{type(e).__name__}: {e}")
        sys.exit(0)
