"""The documented (ALB) and assumed (NLB, UNCONFIRMED) per-account QPS limits of the listener writes."""

from __future__ import annotations

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils._credentials import Credentials
from ansible_collections.alicloud.cas.plugins.module_utils._transport import RetryPolicy, RpcClient

from tests.unit.emulator.lb_support import plant_certificate, seed_listener
from tests.unit.plugins.module_utils.emulator_run import DEMO_KEY, DEMO_SECRET


@pytest.fixture(scope="module")
def emu():
    from tests.emulator import running_emulator

    yield from running_emulator(seed="demo")


@pytest.mark.parametrize("product,version,parameter", [
    ("alb", "2020-06-16", "Certificates.1.CertificateId"), ("nlb", "2022-04-30", "CertificateIds.1")])
def test_listener_writes_are_throttled_past_200_per_minute_and_reads_are_not(emu, product, version, parameter):
    emu.control.reset("demo")
    emu.control._call("POST", "products/%s/settings" % product, {"configuring_seconds": 0})
    plant_certificate(emu, 9901, ["www.example.com"])
    listener_id = seed_listener(emu, product, region="cn-hangzhou", certificate_id=9901)["listener_id"]
    rpc = RpcClient(emu.base_url, version, Credentials(DEMO_KEY, DEMO_SECRET), verify=emu.ca_path,
                    retry_policy=RetryPolicy(max_attempts=1))
    params = {"ListenerId": listener_id, "RegionId": "cn-hangzhou"}
    emu.control.clear_calls()
    for _attempt in range(20):
        rpc.call("GetListenerAttribute", params)
    assert all(call["status"] == 200 for call in emu.control.calls())
    emu.control.clear_calls()
    for _attempt in range(6):
        # (the transport waits and retries a throttled call; the call log shows each refusal)
        rpc.call("UpdateListenerAttribute", dict(params, **{parameter: "9901-cn-hangzhou"}), reconcile=lambda: None)
    log = [(call["status"], call["error_code"]) for call in emu.control.calls()
           if call["action"] == "UpdateListenerAttribute"]
    assert log[:3] == [(200, None)] * 3 and (400, "Throttling.User") in log, log
    view = emu.control._call("GET", "products/%s" % product)
    assert view["guards"]["documented_qps"]["UpdateListenerAttribute"] == pytest.approx(200 / 60)
    emu.control._call("POST", "products/%s/settings" % product, {"qps": 0})
    emu.control.clear_calls()
    for _attempt in range(6):
        rpc.call("UpdateListenerAttribute", dict(params, **{parameter: "9901-cn-hangzhou"}), reconcile=lambda: None)
    assert all(call["status"] == 200 for call in emu.control.calls())
