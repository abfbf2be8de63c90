"""Benchmark 3: the role for 100 domains with 10 forks, the emulator throttled per account.

The fleet is 100 inventory hosts (ansible_connection=local), each applying the role to its
own domain; all of them share one account, whose token bucket allows ``qps`` calls per
second (Throttling.User beyond that). It runs once with the linear strategy and once with
``free``, under which Ansible runs run_once tasks on every host. Each run is bounded by
``timeout`` s.
"""

import collections
import os
import re
import shutil
import sys
import time

from tests.bench import _common

_RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def run(hosts=100, forks=10, qps=20, strategy="linear", keep=False, timeout=1200):
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
        done = _common.run_bounded(workdir, play, inventory, forks, timeout, {})
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
        "throttled": sum(1 for c in calls if c["fault"] == "throttle"),
    }
    result["bound_s"] = result["calls"] / float(qps)
    if done.returncode is None:
        result["failures"] = ["stopped at the bound of %d s" % timeout]
    elif done.returncode != 0:
        failures = [line for line in done.stdout.splitlines() if line.startswith("fatal:")]
        result["failures"] = failures[:10]
    if keep:
        result["workdir"] = workdir
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def run_strategies(hosts=100, forks=10, qps=20, strategies=("linear", "free")):
    return [run(hosts=hosts, forks=forks, qps=qps, strategy=strategy) for strategy in strategies]


def table(results):
    """The runs side by side, one column each."""
    def row(label, render):
        return "| %s | %s |" % (label, " | ".join(render(result) for result in results))

    lines = [
        "| figure | %s |" % " | ".join("strategy %s" % result["strategy"] for result in results),
        "|---|" + "---:|" * len(results),
        row("hosts (one domain each) / forks", lambda r: "%d / %d" % (r["hosts"], r["forks"])),
        row("throttle (calls/s per account)", lambda r: "%d" % r["qps"]),
        row("certificates issued (emulator state) / saved on disk", lambda r: "%d / %d" % (r["issued"], r["files"])),
        row("hosts failed", lambda r: "%d" % r["failed_hosts"]),
        row("duplicate orders", lambda r: "%d" % r["duplicate_orders"]),
        row("API calls (of which answered Throttling.User)", lambda r: "%d (%d)" % (r["calls"], r["throttled"])),
        row("wall time (s)", lambda r: "%.1f" % r["wall_s"]),
        row("throttle bound: calls / QPS (s)", lambda r: "%.1f" % r["bound_s"]),
        row("wall time / throttle bound", lambda r: "%.2f" % (r["wall_s"] / r["bound_s"]) if r["bound_s"] else "n/a"),
    ]
    for result in results:
        for failure in result.get("failures", []):
            lines.append("")
            lines.append("    %s: %s" % (result["strategy"], failure[:400]))
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run_strategies()))
