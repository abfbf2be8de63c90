"""The NLB adapter against the emulator: NLB's own names (CertificateIds.N,
AdditionalCertificateIds.N, DisassociateAdditionalCertificatesWithListener, CertType, pages of
50, RegionId), the Configuring waits, refusals."""

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils._deployment._base import DeploymentRefusedError
from ansible_collections.alicloud.cas.plugins.module_utils._deployment._nlb import ADAPTERS, NLB_VERSION, NlbAdapter

from tests.emulator import running_emulator
from tests.unit.plugins.module_utils.lb_emulator import (
    Plan, deployable, make_adapter, product_settings, product_view, seed_listener, writes)

REGION = "cn-shanghai"
WRITES = ("UpdateListenerAttribute", "AssociateAdditionalCertificatesWithListener",
          "DisassociateAdditionalCertificatesWithListener")


@pytest.fixture(scope="module")
def emulator():
    yield from running_emulator(seed="demo", tls=True)


@pytest.fixture
def emu(emulator):
    emulator.control.reset("demo")
    product_settings(emulator, "nlb", configuring_seconds=0.2)
    return emulator


@pytest.fixture
def adapter(emu):
    return make_adapter(emu, NlbAdapter, NLB_VERSION)


def target(listener_id, additional=False, region=REGION):
    return {"product": "nlb", "region": region, "listener_id": listener_id, "additional": additional}


def run(adapter, item, certificate):
    served = adapter.read(item)
    if adapter.in_sync(item, served, certificate):
        return served, None
    return served, adapter.apply(Plan(item, served, certificate))


def test_registry():
    assert ADAPTERS == {"nlb": NlbAdapter}
    assert NlbAdapter.required_options == ("region", "listener_id")
    assert NlbAdapter(lambda region: None).describe(target("lsn-1@443")) == "nlb listener lsn-1@443 (cn-shanghai)"


def test_read_in_sync_apply_rerun(emu, adapter):
    old, new = deployable(emu, 1001), deployable(emu, 1002)
    listener_id = seed_listener(emu, "nlb", region=REGION, protocol="TCPSSL", certificate_id=1001)["listener_id"]
    item = target(listener_id)
    served = adapter.read(item)
    assert (served.certificate_id, served.product_reference) == (1001, "1001-cn-hangzhou")
    assert adapter.in_sync(item, served, old) and not adapter.in_sync(item, served, new)
    _served, extras = run(adapter, item, new)
    assert extras == {}
    assert writes(emu, *WRITES) == ["UpdateListenerAttribute"]
    listener = product_view(emu, "nlb")["listeners"][0]
    assert (listener["certificate_id"], listener["status"]) == ("1002-cn-hangzhou", "Running")
    emu.control.clear_calls()
    assert run(adapter, item, new)[1] is None
    assert [c["action"] for c in emu.control.calls()] == ["GetListenerAttribute"]


def test_region_is_sent(emu, adapter):
    deployable(emu, 1001)
    listener_id = seed_listener(emu, "nlb", region=REGION, protocol="TCPSSL", certificate_id=1001)["listener_id"]
    with pytest.raises(Exception) as raised:
        adapter.read(target(listener_id, region="cn-beijing"))
    assert getattr(raised.value, "code", None) == "ResourceNotFound.listener"


def test_configuring_waited_out_and_timeout_names_the_listener(emu):
    deployable(emu, 1001)
    new = deployable(emu, 1002)
    product_settings(emu, "nlb", configuring_seconds=1.5)
    listener_id = seed_listener(emu, "nlb", region=REGION, protocol="TCPSSL", certificate_id=1001)["listener_id"]
    item = target(listener_id)
    adapter = make_adapter(emu, NlbAdapter, NLB_VERSION)
    served = adapter.read(item)
    make_adapter(emu, NlbAdapter, NLB_VERSION).set_default(REGION, listener_id, "1001-cn-hangzhou")
    adapter.apply(Plan(item, served, new))
    assert [c for c in emu.control.calls() if c["error_code"]] == []
    assert product_view(emu, "nlb")["listeners"][0]["certificate_id"] == "1002-cn-hangzhou"

    product_settings(emu, "nlb", configuring_seconds=60)
    make_adapter(emu, NlbAdapter, NLB_VERSION).set_default(REGION, listener_id, "1001-cn-hangzhou")
    now = [0.0]
    slow = make_adapter(emu, NlbAdapter, NLB_VERSION, wait_timeout=10, poll_interval=3,
                        sleep=lambda s: now.__setitem__(0, now[0] + s), clock=lambda: now[0])
    with pytest.raises(DeploymentRefusedError, match=r"nlb listener %s \(cn-shanghai\) is still Configuring after 10 s"
                       % listener_id):
        slow.apply(Plan(item, slow.read(item), new))
    assert now[0] == 10


def test_additional_association_then_disassociation(emu, adapter):
    deployable(emu, 1001)
    old_extra, new_extra = deployable(emu, 1003), deployable(emu, 1004)
    listener_id = seed_listener(emu, "nlb", region=REGION, protocol="TCPSSL", certificate_id=1001,
                                additional=[1003])["listener_id"]
    item = target(listener_id, additional=True)
    served = adapter.read(item)
    assert [s.product_reference for s in served.additional] == ["1003-cn-hangzhou"]
    assert adapter.in_sync(item, served, old_extra) and not adapter.in_sync(item, served, new_extra)
    emu.control.clear_calls()
    assert adapter.apply(Plan(item, served, new_extra, dissociate=served.additional)) == {
        "dissociated": ["1003-cn-hangzhou"]}
    assert writes(emu, *WRITES) == ["AssociateAdditionalCertificatesWithListener",
                                    "DisassociateAdditionalCertificatesWithListener"]
    assert product_view(emu, "nlb")["listeners"][0]["additional"] == {"1004-cn-hangzhou": "Associated"}
    emu.control.clear_calls()
    assert run(adapter, item, new_extra)[1] is None
    assert [c["action"] for c in emu.control.calls()] == ["GetListenerAttribute", "ListListenerCertificates"]


def test_pages_of_fifty(emu, adapter):
    deployable(emu, 1001)
    extras = [deployable(emu, 2000 + n) for n in range(60)]
    listener_id = seed_listener(emu, "nlb", region=REGION, protocol="TCPSSL", certificate_id=1001,
                                additional=[c.certificate_id for c in extras])["listener_id"]
    served = adapter.read(target(listener_id, additional=True))
    assert len(served.additional) == 60
    assert len([c for c in emu.control.calls() if c["action"] == "ListListenerCertificates"]) == 2


def test_tcp_listener_and_ack_refused(emu, adapter):
    deployable(emu, 1001)
    new = deployable(emu, 1002)
    tcp = seed_listener(emu, "nlb", region=REGION, protocol="TCP")["listener_id"]
    with pytest.raises(DeploymentRefusedError, match="is a TCP listener.*only TCPSSL"):
        adapter.read(target(tcp))
    managed = seed_listener(emu, "nlb", region=REGION, protocol="TCPSSL", certificate_id=1001,
                            service_managed=True)["listener_id"]
    item = target(managed)
    with pytest.raises(DeploymentRefusedError, match="nlb listener %s .*ACK" % managed):
        adapter.apply(Plan(item, adapter.read(item), new))
