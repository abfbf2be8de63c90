"""Benchmark 3b: the fleet's API traffic without Ansible's process overhead.

On a small machine the role's fleet is bound by Ansible forking module processes, not by
the API, so the throttle is hardly reached. This replays the calls the role makes for each
domain (request, publish, wait, remove by record id) through the modules' own logic and
their default retry policy, from ``workers`` threads (the forks), against an emulator
process throttled at ``qps`` per account: it shows whether the retry budget carries a fleet
through sustained throttling.
"""

import collections
import json
import shutil
import signal
import subprocess
import sys
import threading
import time

from tests.bench import _common

CONTACT = {"username": "Fleet Ops", "email": "ops@example.com", "phone": "13800000000"}


def _start_emulator(workdir, qps):
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.emulator", "--seed", "demo", "--state-dir", workdir, "--throttle-qps", str(qps)],
        cwd=_common.REPO_ROOT, stdout=subprocess.PIPE, text=True)
    info = json.loads(process.stdout.readline())
    return process, info


def _domain_flow(domain, base_url, ca_path, retry=None):
    """The module runs of the role for one domain; raises AlicloudCasError on failure."""
    from ansible_collections.alicloud.cas.plugins.module_utils import _cas_info, _certificate_request, _dns_record
    from ansible_collections.alicloud.cas.plugins.module_utils._alidns import AlidnsClient
    from ansible_collections.alicloud.cas.plugins.module_utils._cas import CasClient
    from ansible_collections.alicloud.cas.plugins.module_utils._credentials import Credentials
    from ansible_collections.alicloud.cas.plugins.module_utils._transport import (
        ALIDNS_VERSION, CAS_VERSION, RetryPolicy, RpcClient)

    credentials = Credentials(_common.KEY, _common.SECRET)

    def policy():  # the modules' default policy unless an alternative is being evaluated
        return RetryPolicy(**retry) if retry else None

    def cas():  # a new client per module run, as in a module
        return CasClient(RpcClient(base_url, CAS_VERSION, credentials, verify=ca_path, retry_policy=policy()))

    def dns():
        return AlidnsClient(RpcClient(base_url, ALIDNS_VERSION, credentials, verify=ca_path, retry_policy=policy()))

    request = dict(domain=domain, state="present", product_code="digicert-free-1-free", validate_type="DNS", csr=None,
                   tags=None, force=False, renew_before_days=30, **CONTACT)
    created = _certificate_request.run(request, cas)
    found = created["validation"]
    record = dict(record=found["fqdn"], zone=None, rr=None, type="TXT", values=[found["value"]], ttl=600,
                  line="default", priority=None, state="present", on_existing="keep")
    published = _dns_record.run(record, dns)
    try:
        info = _cas_info.request_info(dict(order_id=created["order_id"], domain=None, wait=True,
                                           wait_for=["certificate", "verify_fail"], wait_timeout=900, poll_interval=5,
                                           poll_interval_max=60), cas)
    finally:
        for added in published["records"]:
            if added["value"] == found["value"]:
                _dns_record.run(dict(record_id=added["id"], state="absent"), dns)
    if info["status"] != "certificate":
        raise RuntimeError("%s ended in %s" % (domain, info["status"]))


def run(domains=100, workers=10, qps=20, retry=None):
    """``retry``: RetryPolicy keyword arguments to evaluate instead of the default policy."""
    _common.setup_paths()
    from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlicloudCasError
    from tests.emulator.control_client import EmulatorControl

    workdir = _common.new_workdir("fleet-api")
    process, info = _start_emulator(workdir, qps)
    try:
        control = EmulatorControl(info["control_url"], verify=info["ca_path"])
        control.set_quota(_common.ACCOUNT, "digicert-free-1-free", domains + 10, 0)
        pending = collections.deque("api%03d.example.com" % index for index in range(domains))
        lock = threading.Lock()
        failures = []

        def worker():
            while True:
                with lock:
                    if not pending:
                        return
                    domain = pending.popleft()
                try:
                    _domain_flow(domain, info["base_url"], info["ca_path"], retry)
                except (AlicloudCasError, RuntimeError) as error:
                    with lock:
                        failures.append("%s: %s" % (domain, error))

        threads = [threading.Thread(target=worker) for _worker in range(workers)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - started
        calls = control.calls()
        orders = control.state()["orders"]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)
    per_domain = collections.Counter(o["domain"] for o in orders)
    accepted = sum(1 for c in calls if c["fault"] is None)
    return {
        "domains": domains, "workers": workers, "qps": qps, "wall_s": wall, "retry": retry,
        "issued": sum(1 for o in orders if o["type"] == "certificate"), "failed": len(failures),
        "failures": failures[:5], "duplicates": sum(n - 1 for n in per_domain.values() if n > 1),
        "calls": len(calls), "accepted": accepted, "throttled": sum(1 for c in calls if c["fault"] == "throttle"),
        "bound_s": accepted / float(qps),
    }


def describe_default_policy():
    from ansible_collections.alicloud.cas.plugins.module_utils._transport import RetryPolicy
    default = RetryPolicy()
    return "%d attempts, %d when throttled, %g s base, %g s cap, %g s total" % (
        default.max_attempts, default.max_throttled_attempts, default.base_delay, default.max_delay,
        default.total_timeout)


def table(result):
    lines = [
        "| figure | value |", "|---|---:|",
        "| domains / worker threads | %d / %d |" % (result["domains"], result["workers"]),
        "| retry policy | %s |" % (", ".join("%s=%s" % kv for kv in sorted(result["retry"].items()))
                                   if result["retry"] else "default (%s)" % describe_default_policy()),
        "| throttle (calls/s per account) | %d |" % result["qps"],
        "| certificates issued / domains failed | %d / %d |" % (result["issued"], result["failed"]),
        "| duplicate orders | %d |" % result["duplicates"],
        "| API calls (answered Throttling.User) | %d (%d) |" % (result["calls"], result["throttled"]),
        "| wall time (s) | %.1f |" % result["wall_s"],
        "| throttle bound: accepted calls / QPS (s) | %.1f |" % result["bound_s"],
        "| wall time / throttle bound | %.2f |" % (result["wall_s"] / result["bound_s"]),
    ]
    for failure in result["failures"]:
        lines.append("")
        lines.append("    " + failure[:400])
    return "\n".join(lines)


if __name__ == "__main__":
    # e.g. python -m tests.bench.fleet_api domains=100 workers=10 qps=20 max_attempts=12
    _args = {k: float(v) for k, v in (a.split("=") for a in sys.argv[1:])}
    _retry = {k: (int(v) if k == "max_attempts" else v) for k, v in _args.items()
              if k in ("max_attempts", "base_delay", "max_delay", "total_timeout")}
    print(table(run(**{k: int(v) for k, v in _args.items() if k in ("domains", "workers", "qps")},
                    retry=_retry or None)))
