"""Fault soak: module runs under seeded random faults (5xx, throttling, dropped connections,
slow answers, lost responses) end in success or a clear error, and never duplicate an order.

Most runs go through the modules' logic in-process (the same functions the modules call,
with a short retry back-off so the soak stays fast); a smaller set runs the real modules
through ansible-playbook, with the modules' own retry policy.
"""

import collections
import json
import os

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils import _cas_info, _certificate_request, _dns_record
from ansible_collections.alicloud.cas.plugins.module_utils._alidns import AlidnsClient
from ansible_collections.alicloud.cas.plugins.module_utils._cas import CasClient, OrderOutcomeUnknownError
from ansible_collections.alicloud.cas.plugins.module_utils._credentials import Credentials
from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlicloudCasError
from ansible_collections.alicloud.cas.plugins.module_utils._transport import (
    ALIDNS_VERSION,
    CAS_VERSION,
    RetryPolicy,
    RpcClient,
)
from tests.unit.reliability._support import DEMO_ACCOUNT, DEMO_KEY, DEMO_SECRET, crash_markers

DOMAINS = ["soak%02d.example.com" % index for index in range(40)]
# Same attempts and time budget as the modules' default policy, only shorter waits.
FAST = dict(max_attempts=6, base_delay=0.01, max_delay=0.05)
ALL_KINDS = ["throttle", "error", "drop", "slow", "lose"]
CONTACT = {"username": "Soak Ops", "email": "ops@example.com", "phone": "13800000000"}


def _request_params(domain, **more):
    params = dict(domain=domain, state="present", product_code=None, validate_type="DNS", csr=None, tags=None,
                  force=False, renew_before_days=30, **CONTACT)
    params.update(more)
    return params


def _info_params(domain):
    return dict(order_id=None, domain=domain, wait=False, wait_for=None, wait_timeout=None, poll_interval=None,
                poll_interval_max=None, return_private_key=False)


def _record_params(fqdn, value, state):
    return dict(record=fqdn, zone=None, rr=None, type="TXT", values=[value], ttl=600, line="default",
                priority=None, state=state, on_existing="keep")


class Soak:
    """Runs module logic against the emulator and records every outcome."""

    def __init__(self, emu):
        self.emu = emu
        self.outcomes = []  # (domain, step, "ok" | error message)
        self.unconfirmed = []  # (domain, message) of request runs that ended "the order may have been created"

    def cas(self):
        return CasClient(RpcClient(self.emu.base_url, CAS_VERSION, Credentials(DEMO_KEY, DEMO_SECRET),
                                   verify=self.emu.ca_path, retry_policy=RetryPolicy(**FAST)))

    def dns(self):
        return AlidnsClient(RpcClient(self.emu.base_url, ALIDNS_VERSION, Credentials(DEMO_KEY, DEMO_SECRET),
                                      verify=self.emu.ca_path, retry_policy=RetryPolicy(**FAST)))

    def run(self, domain, step, logic):
        # Only AlicloudCasError is a clear error: _module.AlicloudModule turns it into
        # fail_json(msg). Anything else escapes this method and fails the test, as it would
        # be a bug reported with a traceback.
        try:
            result = logic()
        except AlicloudCasError as error:
            assert str(error).strip(), "an error without a message"
            self.outcomes.append((domain, step, str(error)))
            return None
        self.outcomes.append((domain, step, "ok"))
        return result

    def request(self, domain):
        """The request step. A create whose failure leaves its outcome unknown is never sent
        again by the run; the run fails saying so, and is run again, as its message asks.
        Those runs are counted apart."""
        for _run in range(3):
            try:
                result = _certificate_request.run(_request_params(domain), self.cas)
            except OrderOutcomeUnknownError as error:
                self.unconfirmed.append((domain, str(error)))
                continue
            except AlicloudCasError as error:
                self.outcomes.append((domain, "request", str(error)))
                return None
            self.outcomes.append((domain, "request", "ok"))
            return result
        self.outcomes.append((domain, "request", "the order stayed unconfirmed over three runs"))
        return None


def test_soak_200_module_runs_in_process(emu):
    emu.control.reset("demo")
    emu.control.set_quota(DEMO_ACCOUNT, "digicert-free-1-free", 100, 0)
    # 20% of calls get a fault, of any kind, reproducibly (seeded); slow answers take 0.2 s.
    emu.control.set_faults(random={"seed": 20261128, "rate": 0.2, "kinds": ALL_KINDS, "max_faults": 2000,
                                   "delay": 0.2})
    soak = Soak(emu)
    validation = {}

    def remember(domain, result):
        if result and result.get("validation"):
            validation[domain] = result["validation"]

    # Five runs per domain, 200 in all, in the order the role makes them: request, read the
    # validation, publish it, see the certificate, remove the record. A run that lacks its
    # input because an earlier run failed repeats the request instead (same intent: still
    # at most one order).
    for domain in DOMAINS:
        remember(domain, soak.request(domain))
    for domain in DOMAINS:
        remember(domain, soak.run(domain, "info", lambda: _cas_info.request_info(_info_params(domain), soak.cas)))
    for step, state in (("publish", "present"), ("seen", None), ("remove", "absent")):
        for domain in DOMAINS:
            found = validation.get(domain)
            if step == "seen":
                soak.run(domain, step, lambda: _cas_info.request_info(_info_params(domain), soak.cas))
            elif found:
                soak.run(domain, step, lambda: _dns_record.run(
                    _record_params(found["fqdn"], found["value"], state), soak.dns))
            else:
                remember(domain, soak.request(domain))

    calls = emu.control.calls()
    emu.control.clear_faults()
    faults = collections.Counter(call["fault"] for call in calls if call["fault"])
    failures = [outcome for outcome in soak.outcomes if outcome[2] != "ok"]

    assert len(soak.outcomes) == 200
    # The soak is only meaningful if every kind of fault was actually injected, often.
    assert set(faults) >= set(ALL_KINDS), faults
    assert sum(faults.values()) >= 100, faults
    # Every transient fault was ridden out within the retry budget (a clear error would be
    # recorded in failures; at a 20% fault rate, six attempts make giving up very unlikely).
    assert failures == [], failures
    # Each create that failed before CAS ran it (an injected 5xx or a dropped connection) made
    # its run end unconfirmed, never sent twice; the run after it submitted the order.
    unsent = [call for call in calls if call["action"] == "CreateCertificateRequest" and call["fault"] in ("error", "drop")]
    assert len(soak.unconfirmed) == len(unsent), (soak.unconfirmed, unsent)
    assert all("may have been created" in message for _domain, message in soak.unconfirmed)

    orders = collections.Counter(order["domain"] for order in emu.control.state()["orders"])
    assert {domain: orders[domain] for domain in DOMAINS} == {domain: 1 for domain in DOMAINS}, \
        "duplicate or missing orders: %s" % orders
    # Publish, then describe, issued every certificate; the records were removed afterwards.
    state = emu.control.state()
    assert {o["domain"]: o["type"] for o in state["orders"]} == {domain: "certificate" for domain in DOMAINS}
    assert [r for r in state["zones"][DEMO_ACCOUNT]["example.com"] if r["rr"].startswith("_dnsauth")] == []


@pytest.mark.slow
def test_soak_real_module_runs_through_ansible(emu, ansible, connection):
    emu.control.reset("demo")
    domains = ["real%02d.example.com" % index for index in range(4)]
    # A higher rate over fewer calls (12 module runs, about 50 calls); the modules' own
    # policy (0.5 s base back-off) applies.
    emu.control.set_faults(random={"seed": 7, "rate": 0.3, "kinds": ALL_KINDS, "max_faults": 20, "delay": 0.3})
    tasks = []
    for index, domain in enumerate(domains):
        for attempt in (1, 2):
            tasks.append({"name": "request %s (%d)" % (domain, attempt), "ignore_errors": True,
                          "register": "r_%d_%d" % (index, attempt),
                          "alicloud.cas.certificate_request": dict(connection, domain=domain, **CONTACT)})
        tasks.append({"name": "read %s" % domain, "ignore_errors": True, "register": "i_%d" % index,
                      "alicloud.cas.certificate_request_info": dict(connection, domain=domain)})
    names = [task["register"] for task in tasks]
    results_path = os.path.join(ansible.workdir, "results.json")
    tasks.append({"name": "Save the results", "ansible.builtin.copy": {
        "dest": results_path, "content": "{{ {%s} | to_json }}" % ", ".join("'%s': %s" % (n, n) for n in names)}})
    done = ansible.playbook([{"name": "soak", "hosts": "localhost", "gather_facts": False, "tasks": tasks}])
    calls = emu.control.calls()
    emu.control.clear_faults()

    assert done.returncode == 0, done.stdout[-3000:]
    assert crash_markers(done.stdout) == [], done.stdout[-3000:]
    with open(results_path, encoding="utf-8") as handle:
        results = json.load(handle)
    for name, result in results.items():
        if result.get("failed"):
            # A clear error: a message, no traceback (ansible-core 2.19+ puts "(traceback
            # unavailable)" in every registered failure's exception).
            assert result.get("msg") and "Traceback" not in str(result.get("exception", "")), (name, result)
    assert sum(1 for call in calls if call["fault"]) >= 5, "the soak injected almost no faults"
    orders = collections.Counter(order["domain"] for order in emu.control.state()["orders"])
    assert {domain: orders[domain] for domain in domains} == {domain: 1 for domain in domains}, orders
