"""Benchmark 4: time from the emulator's issuance to the role seeing the certificate.

The emulator issues lazily: validation passes at the first DescribeCertificateState after
the TXT record exists (the order enters ``process``), and the certificate is issued
``issue_delay`` seconds later. It keeps no issued-at time, so the moment of issuance is
derived from its call log: the first DescribeCertificateState after AddDomainRecord, plus
``issue_delay``. The role sees the certificate at the DescribeCertificateState that
returned it: the last one before the validation record is deleted.
"""

import datetime
import os
import shutil

from tests.bench import _common

# certificate_request_info's defaults, which the role uses: the first poll at once, then
# pauses of 5, 10, 20, 40, 60, 60, ... s.
POLL_INTERVAL = 5.0
POLL_INTERVAL_MAX = 60.0


def _t(call):
    return datetime.datetime.fromisoformat(call["time"]).timestamp()


def poll_schedule(limit):
    """Poll times (s from the first poll) of certificate_request_info up to ``limit``."""
    times, now, pause = [0.0], 0.0, POLL_INTERVAL
    while now < limit:
        now += pause
        times.append(now)
        pause = min(pause * 2, POLL_INTERVAL_MAX)
    return times


def predicted_latency(delay):
    """Latency the schedule implies when issuance is ``delay`` s after the first poll."""
    return min(t for t in poll_schedule(delay + POLL_INTERVAL_MAX) if t >= delay) - delay


def run(delays=(5, 20, 45), keep=False):
    _common.setup_paths()
    from tests.emulator import Emulator

    rows = []
    for delay in delays:
        workdir = _common.new_workdir("polling")
        inventory = _common.localhost_inventory(workdir)
        play = _common.write_role_play(workdir)
        with Emulator(tls=True, seed="demo", issue_delay=delay) as emu:
            variables = _common.write_json(workdir, "vars.json", _common.role_vars(
                emu, os.path.join(workdir, "certs"), ["poll.example.com"]))
            done = _common.run_playbook(workdir, play, inventory, variables)
            calls = emu.control.calls()
        shutil.rmtree(workdir, ignore_errors=True) if not keep else None
        added = next(i for i, c in enumerate(calls) if c["action"] == "AddDomainRecord")
        deleted = next(i for i, c in enumerate(calls) if c["action"] == "DeleteDomainRecord")
        polls = [c for c in calls[added:deleted] if c["action"] == "DescribeCertificateState"]
        issued_at = _t(polls[0]) + delay
        seen_at = _t(polls[-1])
        rows.append({"delay": delay, "rc": done.returncode, "polls": len(polls),
                     "latency": seen_at - issued_at, "predicted": predicted_latency(delay),
                     "wait": seen_at - _t(polls[0])})
    return rows


def table(rows):
    lines = ["| issue delay (s) | polls | issuance -> seen (s) | schedule predicts (s) | wait in the role (s) |",
             "|---:|---:|---:|---:|---:|"]
    for row in rows:
        failed = "" if row["rc"] == 0 else " (play FAILED)"
        lines.append("| %d%s | %d | %.1f | %.1f | %.1f |" % (
            row["delay"], failed, row["polls"], row["latency"], row["predicted"], row["wait"]))
    lines.append("")
    lines.append(
        "Back-off: certificate_request_info polls at once, then after %g s, doubling up to %g s (polls at %s s)."
        " Until the cap, the pause after a poll equals the time waited so far plus %g s. Worst case: a"
        " certificate issued just after a poll at t s into the wait is seen one pause later, so at most"
        " min(t + %g, %g) s late; the wait itself ends at wait_timeout (role default 900 s)." % (
            POLL_INTERVAL, POLL_INTERVAL_MAX, ", ".join("%g" % t for t in poll_schedule(200)),
            POLL_INTERVAL, POLL_INTERVAL, POLL_INTERVAL_MAX))
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
