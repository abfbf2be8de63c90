"""Benchmark 3: the role for 100 domains with 10 forks, the emulator throttled per account.

Forks parallelise hosts, so the fleet is 100 inventory hosts (ansible_connection=local),
each applying the role to its own domain; all of them share one account, whose token
bucket allows ``qps`` calls per second (Throttling.User beyond that).
"""

import collections
import os
import re
import shutil
import sys
import time

from tests.bench import _common

_RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def run(hosts=100, forks=10, qps=20, strategy="free", keep=False):
    _common.setup_paths()
    from tests.emulator import Emulator

    workdir = _common.new_workdir("fleet")
    cert_dir = os.path.join(workdir, "certs")
    play = _common.write_role_play(workdir, hosts="fleet", strategy=strategy)
    with Emulator(tls=True, seed="demo") as emu:
        # The demo plan holds 20 certificates; the fleet needs one per host.
        emu.control.set_quota(_common.ACCOUNT, "digicert-free-1-free", hosts + 10, 0)
        names = ["host%03d" % index for index in range(hosts)]
        common = _common.role_vars(emu, cert_dir, [])
        common.pop("dv_certificate_domains")
        inventory = _common.write_json(workdir, "inventory.json", {"fleet": {
            "vars": dict(common, ansible_connection="local", ansible_python_interpreter=sys.executable),
            "hosts": {name: {"dv_certificate_domains": ["%s.example.com" % name]} for name in names}}})
        emu.control.clear_calls()
        emu.control.set_faults(throttle_qps=qps)
        started = time.monotonic()
        done = _common.run_playbook(workdir, play, inventory, forks=forks)
        wall = time.monotonic() - started
        calls = emu.control.calls()
        orders = emu.control.state()["orders"]
    recap = {m.group(1): int(m.group(5)) + int(m.group(4)) for m in _RECAP.finditer(done.stdout)}
    issued = sum(1 for o in orders if o["type"] == "certificate")
    per_domain = collections.Counter(o["domain"] for o in orders)
    files = sum(1 for name in names if os.path.isfile(os.path.join(cert_dir, "%s.example.com" % name, "fullchain.pem")))
    result = {
        "hosts": hosts, "forks": forks, "qps": qps, "strategy": strategy, "wall_s": wall, "rc": done.returncode,
        "issued": issued, "files": files,
        "failed_hosts": sum(1 for name in names if recap.get(name, 1)),
        "duplicate_orders": sum(count - 1 for count in per_domain.values() if count > 1),
        "calls": len(calls),
        "accepted": sum(1 for c in calls if c["status"] == 200 or (c["status"] and c["fault"] is None)),
        "throttled": sum(1 for c in calls if c["fault"] == "throttle"),
    }
    result["bound_s"] = result["calls"] / float(qps)
    result["accepted_bound_s"] = result["accepted"] / float(qps)
    if done.returncode != 0:
        failures = [line for line in done.stdout.splitlines() if line.startswith("fatal:")]
        result["failures"] = failures[:10]
    if keep:
        result["workdir"] = workdir
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def table(result):
    lines = [
        "| figure | value |", "|---|---:|",
        "| hosts (one domain each) / forks / strategy | %d / %d / %s |" % (
            result["hosts"], result["forks"], result["strategy"]),
        "| throttle (calls/s per account) | %d |" % result["qps"],
        "| certificates issued (emulator state) / saved on disk | %d / %d |" % (result["issued"], result["files"]),
        "| hosts failed | %d |" % result["failed_hosts"],
        "| duplicate orders | %d |" % result["duplicate_orders"],
        "| API calls (of which answered Throttling.User) | %d (%d) |" % (result["calls"], result["throttled"]),
        "| wall time (s) | %.1f |" % result["wall_s"],
        "| throttle bound: calls / QPS (s); accepted calls / QPS (s) | %.1f; %.1f |" % (
            result["bound_s"], result["accepted_bound_s"]),
        "| wall time / throttle bound (all calls; accepted calls) | %.2f; %.2f |" % (
            result["wall_s"] / result["bound_s"], result["wall_s"] / result["accepted_bound_s"]),
    ]
    for failure in result.get("failures", []):
        lines.append("")
        lines.append("    " + failure[:400])
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
