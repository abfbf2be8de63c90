"""The engine's lanes, against the emulator: writes to one load balancer never overlap (and go in
item order), different load balancers are written at the same time, outcomes keep item order, a
failure in one lane stops no other, and a CLB region makes one server certificate however many
of its listeners run. Also the adaptive Configuring poll and the thread-safe certificate cache."""

from __future__ import annotations

import threading
import time

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils._cas_certificates import (
    CasCertificates,
    CertificateNotUsableError,
    usable_refusal,
)
from ansible_collections.alicloud.cas.plugins.module_utils._credentials import Credentials
from ansible_collections.alicloud.cas.plugins.module_utils._deployment import _engine
from ansible_collections.alicloud.cas.plugins.module_utils._deployment._alb import ALB_VERSION, AlbAdapter
from ansible_collections.alicloud.cas.plugins.module_utils._deployment._clb import CLB_VERSION, ClbAdapter
from ansible_collections.alicloud.cas.plugins.module_utils._errors import PartialResultError
from ansible_collections.alicloud.cas.plugins.module_utils._transport import RetryPolicy, RpcClient

from tests.emulator import running_emulator
from tests.unit.plugins.module_utils.emulator_run import DEMO_KEY, DEMO_SECRET, NoWait
from tests.unit.plugins.module_utils.lb_emulator import deployable, product_settings, product_view, seed_listener

REGION = "cn-hangzhou"
ALB_WRITES = ("UpdateListenerAttribute", "AssociateAdditionalCertificatesWithListener",
              "DissociateAdditionalCertificatesFromListener")


@pytest.fixture(scope="module")
def emulator():
    yield from running_emulator(seed="demo", tls=True)


@pytest.fixture
def emu(emulator):
    emulator.control.reset("demo")
    emulator.control.clear_calls()
    return emulator


class Recorder:
    """Every call the adapters make: (action, ListenerId or LoadBalancerId, thread, start, end)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.calls = []

    def client(self, rpc):
        recorder = self

        class Recording:
            def __getattr__(self, name):
                return getattr(rpc, name)

            def call(self, action, params=None, **kwargs):
                started = time.monotonic()
                try:
                    return rpc.call(action, params, **kwargs)
                finally:
                    where = (params or {}).get("ListenerId") or (params or {}).get("LoadBalancerId")
                    with recorder.lock:
                        recorder.calls.append((action, where, threading.get_ident(), started, time.monotonic()))
        return Recording()

    def span(self, where):
        """(first start, last end) of the calls about ``where``."""
        times = [(start, end) for _action, at, _thread, start, end in self.calls if at == where]
        return min(t[0] for t in times), max(t[1] for t in times)

    def writes(self, actions):
        return sorted((c for c in self.calls if c[0] in actions), key=lambda c: c[3])


def make_clients(emu, version, recorder):
    made = {}
    transport_clock = NoWait()
    lock = threading.Lock()

    def clients(region):
        with lock:
            if region not in made:
                made[region] = recorder.client(RpcClient(
                    emu.base_url, version, Credentials(DEMO_KEY, DEMO_SECRET), verify=emu.ca_path,
                    retry_policy=RetryPolicy(rng=lambda: 0.0), sleep=transport_clock.sleep,
                    clock=transport_clock.monotonic))
            return made[region]
    return clients


class Certificates:
    """The engine's certificate source, from certificates planted in the emulator."""

    def __init__(self, *known):
        self.known = dict((c.certificate_id, c) for c in known)
        self.clock = time.time

    def by_id(self, certificate_id):
        if certificate_id not in self.known:
            raise CertificateNotUsableError("CAS certificate %d does not exist." % certificate_id)
        return self.known[certificate_id]

    def usable(self, certificate):
        refusal = usable_refusal(certificate, self.clock)
        if refusal:
            raise CertificateNotUsableError(refusal)
        return certificate

    def names_of(self, certificate_id):
        found = self.by_id(certificate_id)
        return found.names, found.not_after


def run(emu, targets, recorder, certificates, adapter_classes):
    adapters = {}
    for name, (cls, version) in adapter_classes.items():
        adapter = cls(make_clients(emu, version, recorder), wait_timeout=30)
        adapter.first_poll = 0.05
        adapter.poll_interval = 0.2
        adapters[name] = adapter
    deployments = _engine.validate_deployments({"certificate_id": 1002, "targets": targets},
                                               dict((n, c) for n, (c, _v) in adapter_classes.items()), "china")
    return _engine.deploy(deployments, adapters, certificates)


def run_ok(*args):
    try:
        return run(*args)
    except PartialResultError as error:
        pytest.fail("; ".join(t["msg"] for t in error.result["targets"] if t["failed"]))


def alb_item(listener_id):
    return {"product": "alb", "region": REGION, "listener_id": listener_id}


def refusals(emu):
    return [call for call in emu.control.calls() if (call["error_code"] or "").lower().startswith("incorrectstatus")]


def test_listeners_of_one_load_balancer_are_written_one_after_the_other_in_item_order(emu):
    """With configuring_scope load_balancer a write to one listener puts every listener of the
    load balancer in Configuring: overlapping writes would meet IncorrectStatus."""
    certificates = Certificates(deployable(emu, 1001), deployable(emu, 1002))
    product_settings(emu, "alb", qps=0, configuring_seconds=0.3, configuring_scope="load_balancer")
    listeners = [seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id=1001,
                               load_balancer_id="alb-one", port=443 + index)["listener_id"] for index in range(4)]
    recorder = Recorder()
    result = run_ok(emu, [alb_item(lid) for lid in listeners], recorder, certificates, {"alb": (AlbAdapter, ALB_VERSION)})
    assert [t["listener_id"] for t in result["targets"]] == listeners
    assert all(t["changed"] and not t["failed"] for t in result["targets"])
    assert refusals(emu) == []
    written = recorder.writes(ALB_WRITES)
    assert [call[1] for call in written] == listeners
    # One lane: a listener is written only once the previous one's wait after its write is over.
    for (_a, before, _t, _s, _e), (_b, after, _u, next_start, _f) in zip(written, written[1:]):
        assert recorder.span(before)[1] <= next_start, (before, after)
    assert {entry["certificate_id"] for entry in product_view(emu, "alb")["listeners"]} == {"1002-cn-hangzhou"}


def test_listeners_of_different_load_balancers_are_written_at_the_same_time(emu):
    """Fails on the sequential engine: there, each listener's Configuring wait ends before the
    next listener is read, so no two spans overlap and the run takes a window per listener."""
    certificates = Certificates(deployable(emu, 1001), deployable(emu, 1002))
    product_settings(emu, "alb", qps=0, configuring_seconds=0.6, configuring_scope="load_balancer")
    listeners = [seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id=1001,
                               load_balancer_id="alb-%d" % index)["listener_id"] for index in range(4)]
    recorder = Recorder()
    started = time.monotonic()
    result = run_ok(emu, [alb_item(lid) for lid in listeners], recorder, certificates, {"alb": (AlbAdapter, ALB_VERSION)})
    elapsed = time.monotonic() - started
    assert [t["listener_id"] for t in result["targets"]] == listeners
    assert all(t["changed"] for t in result["targets"]) and refusals(emu) == []
    spans = [recorder.span(lid) for lid in listeners]
    overlapping = [(a, b) for i, a in enumerate(spans) for b in spans[i + 1:] if a[0] < b[1] and b[0] < a[1]]
    assert overlapping, spans
    assert len({call[2] for call in recorder.writes(ALB_WRITES)}) > 1  # written from more than one thread
    assert elapsed < 4 * 0.6, elapsed  # sequential: at least one window per listener


def test_a_failure_in_one_lane_stops_no_other_and_outcomes_keep_item_order(emu):
    certificates = Certificates(deployable(emu, 1001), deployable(emu, 1002))
    product_settings(emu, "alb", qps=0, configuring_seconds=0.2)
    managed = seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id=1001,
                            load_balancer_id="alb-ack", service_managed=True)["listener_id"]
    after_managed = seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id=1001,
                                  load_balancer_id="alb-ack", port=444)["listener_id"]
    others = [seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id=1001,
                            load_balancer_id="alb-%d" % index)["listener_id"] for index in range(3)]
    items = [alb_item(others[0]), alb_item(managed), alb_item("lsn-missing"), alb_item(after_managed),
             alb_item(others[1]), alb_item(others[2])]
    with pytest.raises(PartialResultError) as raised:
        run(emu, items, Recorder(), certificates, {"alb": (AlbAdapter, ALB_VERSION)})
    outcomes = raised.value.result["targets"]
    assert [t["listener_id"] for t in outcomes] == [item["listener_id"] for item in items]
    assert [t["failed"] for t in outcomes] == [False, True, True, False, False, False]
    assert "Container Service for Kubernetes" in outcomes[1]["msg"]
    assert "lsn-missing" in outcomes[2]["msg"]
    assert all(outcomes[index]["changed"] for index in (0, 3, 4, 5))
    assert "2 of 6 target(s) failed: targets[1], targets[2]." in str(raised.value)


def _clb_balancer(emu, load_balancer_id, ports, certificate_id):
    return emu.control._call("POST", "products/clb/load_balancers", {
        "region": "cn-shanghai", "load_balancer_id": load_balancer_id,
        "listeners": [{"port": port, "certificate_id": certificate_id} for port in ports]})


def test_a_clb_region_makes_one_server_certificate_for_all_its_listeners_and_runs_beside_alb(emu):
    certificates = Certificates(deployable(emu, 1001), deployable(emu, 1002))
    product_settings(emu, "alb", qps=0, configuring_seconds=0.2)
    product_settings(emu, "clb", qps=0)
    _clb_balancer(emu, "lb-one", (443, 8443, 9443), 1001)
    _clb_balancer(emu, "lb-two", (443, 8443), 1001)
    alb_listeners = [seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id=1001,
                                   load_balancer_id="alb-%d" % index)["listener_id"] for index in range(2)]
    items = [{"product": "clb", "region": "cn-shanghai", "load_balancer_id": lb, "listener_port": port}
             for lb, ports in (("lb-one", (443, 8443, 9443)), ("lb-two", (443, 8443))) for port in ports]
    items[2:2] = [alb_item(lid) for lid in alb_listeners]
    recorder = Recorder()
    result = run_ok(emu, items, recorder, certificates,
                    {"alb": (AlbAdapter, ALB_VERSION), "clb": (ClbAdapter, CLB_VERSION)})
    outcomes = result["targets"]
    assert [t["product"] for t in outcomes] == [item["product"] for item in items]
    assert all(t["changed"] and not t["failed"] for t in outcomes)
    called = [call["action"] for call in emu.control.calls()]
    assert called.count("DescribeServerCertificates") == 1
    assert called.count("UploadServerCertificate") == 1
    clb = [t for t in outcomes if t["product"] == "clb"]
    assert len({t["server_certificate_id"] for t in clb}) == 1
    assert [t["uploaded"] for t in clb] == ["wrapper", False, False, False, False]


def test_the_configuring_wait_reads_again_soon_then_backs_off_to_the_cap(emu):
    """Fails on the fixed 2 s poll: its first re-read came 2 s after the write."""
    deployable(emu, 1001)
    product_settings(emu, "alb", qps=0, configuring_seconds=60)
    listener_id = seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id=1001)["listener_id"]
    now, slept = [0.0], []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    adapter = AlbAdapter(make_clients(emu, ALB_VERSION, Recorder()), wait_timeout=30, sleep=sleep, clock=lambda: now[0])
    adapter.set_default(REGION, listener_id, "1001-cn-hangzhou")
    with pytest.raises(Exception, match="still Configuring after 30 s"):
        adapter.wait_ready(REGION, listener_id)
    assert slept[:6] == [0.25, 0.5, 1.0, 2.0, 4.0, 5.0]
    assert max(slept) == 5.0 and now[0] == 30


def test_certificates_are_read_once_by_concurrent_lanes():
    """Fails without CasCertificates' lock: eight threads each send GetUserCertificateDetail."""
    calls = []

    class SlowRpc:
        def call(self, action, params):
            calls.append(action)
            time.sleep(0.05)
            return {"CertIdentifier": "7-cn-hangzhou", "Name": "seven", "Common": "www.example.com", "Sans": "",
                    "NotBefore": 0, "NotAfter": 4102444800000}

    source = CasCertificates(SlowRpc(), "china")
    barrier = threading.Barrier(8)
    found = []

    def read():
        barrier.wait()
        found.append(source.by_id(7))

    threads = [threading.Thread(target=read) for _index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == ["GetUserCertificateDetail"]
    assert len({id(certificate) for certificate in found}) == 1
