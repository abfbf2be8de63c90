"""The ALB adapter against the emulator: read, compare, write, rerun; the Configuring waits;
additional certificates; the paired QUIC listener under both switch values; refusals."""

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils._deployment._alb import ADAPTERS, ALB_VERSION, AlbAdapter
from ansible_collections.alicloud.cas.plugins.module_utils._deployment._base import DeploymentRefusedError, Served
from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlibabaCloudError

from tests.emulator import running_emulator
from tests.unit.plugins.module_utils.lb_emulator import (
    Plan, deployable, make_adapter, product_settings, product_view, seed_listener, writes)

REGION = "cn-hangzhou"
WRITES = ("UpdateListenerAttribute", "AssociateAdditionalCertificatesWithListener",
          "DissociateAdditionalCertificatesFromListener")


@pytest.fixture(scope="module")
def emulator():
    yield from running_emulator(seed="demo", tls=True)


@pytest.fixture
def emu(emulator):
    emulator.control.reset("demo")
    product_settings(emulator, "alb", configuring_seconds=0.2)
    return emulator


@pytest.fixture
def adapter(emu):
    return make_adapter(emu, AlbAdapter, ALB_VERSION)


def target(listener_id, additional=False):
    return {"product": "alb", "region": REGION, "listener_id": listener_id, "additional": additional}


def run(adapter, item, certificate):
    """The engine's sequence for one item: read, compare, write on a difference."""
    served = adapter.read(item)
    if adapter.in_sync(item, served, certificate):
        return served, None
    return served, adapter.apply(Plan(item, served, certificate))


def test_registry_and_options():
    assert ADAPTERS == {"alb": AlbAdapter}
    assert AlbAdapter.required_options == ("region", "listener_id")
    assert AlbAdapter.optional_options == ("additional",)
    adapter = AlbAdapter(lambda region: None)
    assert adapter.describe(target("lsn-1")) == "alb listener lsn-1 (cn-hangzhou)"
    assert adapter.covered_names(target("lsn-1")) == ()
    assert adapter.identity(target("lsn-1")) != adapter.identity(target("lsn-1", additional=True))


def test_read_in_sync_apply_rerun(emu, adapter):
    old, new = deployable(emu, 1001), deployable(emu, 1002)
    listener_id = seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id=1001)["listener_id"]
    item = target(listener_id)
    served = adapter.read(item)
    assert (served.certificate_id, served.product_reference) == (1001, "1001-cn-hangzhou")
    assert adapter.in_sync(item, served, old) and not adapter.in_sync(item, served, new)

    _served, extras = run(adapter, item, new)
    assert extras == {}
    assert writes(emu, *WRITES) == ["UpdateListenerAttribute"]
    # The wait after the write: the listener is Running again when apply returns.
    assert product_view(emu, "alb")["listeners"][0]["status"] == "Running"

    emu.control.clear_calls()
    served, extras = run(adapter, item, new)
    assert (served.certificate_id, extras) == (1002, None)
    assert writes(emu, *WRITES) == []
    assert [c["action"] for c in emu.control.calls()] == ["GetListenerAttribute"]


def test_a_configuring_listener_is_waited_out_before_the_write(emu, adapter):
    deployable(emu, 1001)
    new = deployable(emu, 1002)
    product_settings(emu, "alb", configuring_seconds=1.5)
    listener_id = seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id=1001,
                                additional=[])["listener_id"]
    item = target(listener_id)
    served = adapter.read(item)
    # Someone else's write: the listener is Configuring when ours comes.
    make_adapter(emu, AlbAdapter, ALB_VERSION).set_default(REGION, listener_id, "1001-cn-hangzhou")
    assert product_view(emu, "alb")["listeners"][0]["status"] == "Configuring"
    adapter.apply(Plan(item, served, new))
    refused = [c for c in emu.control.calls() if c["error_code"] == "IncorrectStatus.Listener"]
    assert refused == []
    assert product_view(emu, "alb")["listeners"][0]["certificate_id"] == "1002-cn-hangzhou"


def test_a_wait_that_times_out_names_the_listener(emu):
    new = deployable(emu, 1002)
    deployable(emu, 1001)
    product_settings(emu, "alb", configuring_seconds=60)
    listener_id = seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id=1001)["listener_id"]
    now = [0.0]
    adapter = make_adapter(emu, AlbAdapter, ALB_VERSION, wait_timeout=30, sleep=lambda s: now.__setitem__(0, now[0] + s),
                           clock=lambda: now[0], poll_interval=2)
    item = target(listener_id)
    served = adapter.read(item)
    make_adapter(emu, AlbAdapter, ALB_VERSION).set_default(REGION, listener_id, "1001-cn-hangzhou")
    with pytest.raises(DeploymentRefusedError, match=r"alb listener %s \(cn-hangzhou\) is still Configuring after 30 s"
                       % listener_id):
        adapter.apply(Plan(item, served, new))
    assert now[0] == 30  # bounded by wait_timeout, with the test's clock
    assert writes(emu, "UpdateListenerAttribute") == ["UpdateListenerAttribute"]  # only the other writer's


def test_additional_association_then_dissociation(emu, adapter):
    deployable(emu, 1001)
    old_extra, new_extra, other = deployable(emu, 1003), deployable(emu, 1004), deployable(emu, 1005)
    listener_id = seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id=1001,
                                additional=[1003, 1005])["listener_id"]
    item = target(listener_id, additional=True)
    served = adapter.read(item)
    assert served.certificate_id == 1001
    assert [(s.certificate_id, s.product_reference) for s in served.additional] == [
        (1003, "1003-cn-hangzhou"), (1005, "1005-cn-hangzhou")]
    assert adapter.in_sync(item, served, old_extra) and adapter.in_sync(item, served, other)
    assert not adapter.in_sync(item, served, new_extra)
    assert not adapter.in_sync(target(listener_id), adapter.read(target(listener_id)), old_extra)

    emu.control.clear_calls()
    extras = adapter.apply(Plan(item, served, new_extra, dissociate=[served.additional[0]]))
    assert extras == {"dissociated": ["1003-cn-hangzhou"]}
    assert writes(emu, *WRITES) == ["AssociateAdditionalCertificatesWithListener",
                                    "DissociateAdditionalCertificatesFromListener"]
    actions = [c["action"] for c in emu.control.calls()]
    associate, dissociate = actions.index(WRITES[1]), actions.index(WRITES[2])
    # Between the two writes: the listener was read until the new certificate was Associated.
    assert "ListListenerCertificates" in actions[associate + 1:dissociate]
    listener = product_view(emu, "alb")["listeners"][0]
    assert listener["additional"] == {"1004-cn-hangzhou": "Associated", "1005-cn-hangzhou": "Associated"}
    assert listener["certificate_id"] == "1001-cn-hangzhou"

    emu.control.clear_calls()
    served, extras = run(adapter, item, new_extra)
    assert extras is None and writes(emu, *WRITES) == []
    assert [c["action"] for c in emu.control.calls()] == ["GetListenerAttribute", "ListListenerCertificates"]


def test_additional_reads_every_page(emu, adapter):
    deployable(emu, 1001)
    extras = [deployable(emu, 2000 + n) for n in range(120)]
    listener_id = seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id=1001,
                                additional=[c.certificate_id for c in extras])["listener_id"]
    served = adapter.read(target(listener_id, additional=True))
    assert len(served.additional) == 120
    assert adapter.in_sync(target(listener_id, additional=True), served, extras[-1])
    assert len([c for c in emu.control.calls() if c["action"] == "ListListenerCertificates"]) == 2


@pytest.mark.parametrize("own", [True, False])
def test_paired_quic_listener_under_both_switch_values(emu, adapter, own):
    deployable(emu, 1001)
    new = deployable(emu, 1002)
    product_settings(emu, "alb", quic_keeps_own_certificate=own)
    seeded = seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id=1001, quic={})
    item = target(seeded["listener_id"])
    served = adapter.read(item)
    assert served.detail["quic_listener_id"] == seeded["quic_listener_id"]
    extras = adapter.apply(Plan(item, served, new))
    quic_id = seeded["quic_listener_id"]
    if own:
        assert extras["quic"].startswith("QUIC listener %s" % quic_id) and "updated it too" in extras["quic"]
        assert writes(emu, "UpdateListenerAttribute") == ["UpdateListenerAttribute"] * 2
    else:
        assert "not written" in extras["quic"]
        assert writes(emu, "UpdateListenerAttribute") == ["UpdateListenerAttribute"]
    listeners = {entry["listener_id"]: entry for entry in product_view(emu, "alb")["listeners"]}
    assert listeners[quic_id]["certificate_id"] == "1002-cn-hangzhou"
    emu.control.clear_calls()
    served, extras = run(adapter, item, new)
    assert extras is None and writes(emu, *WRITES) == []


def test_a_stale_quic_listener_alone_is_put_right(emu, adapter):
    """The HTTPS listener already serves the certificate (say an earlier run stopped half-way),
    its own-certificate QUIC listener does not: not in sync, and only the QUIC one is written."""
    deployable(emu, 1001)
    new = deployable(emu, 1002)
    seeded = seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id=1002,
                           quic={"certificate_id": 1001})
    item = target(seeded["listener_id"])
    served = adapter.read(item)
    assert served.certificate_id == 1002 and not adapter.in_sync(item, served, new)
    extras = adapter.apply(Plan(item, served, new))
    assert "updated it too" in extras["quic"]
    assert writes(emu, "UpdateListenerAttribute") == ["UpdateListenerAttribute"]


def test_quic_listener_as_the_target(emu, adapter):
    deployable(emu, 1001)
    new = deployable(emu, 1002)
    seeded = seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id=1001, quic={})
    item = target(seeded["quic_listener_id"])
    served = adapter.read(item)
    assert served.detail["protocol"] == "QUIC"
    assert adapter.apply(Plan(item, served, new)) == {}


def test_http_listener_is_refused_naming_the_protocol(emu, adapter):
    listener_id = seed_listener(emu, "alb", region=REGION, protocol="HTTP")["listener_id"]
    with pytest.raises(DeploymentRefusedError, match="alb listener %s .* is a HTTP listener.*HTTPS or QUIC"
                       % listener_id):
        adapter.read(target(listener_id))


def test_ack_managed_listener_is_a_clear_refusal(emu, adapter):
    deployable(emu, 1001)
    new = deployable(emu, 1002)
    listener_id = seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id=1001,
                                service_managed=True)["listener_id"]
    item = target(listener_id)
    served = adapter.read(item)
    with pytest.raises(DeploymentRefusedError, match="alb listener %s .*managed by Container Service for Kubernetes"
                       % listener_id):
        adapter.apply(Plan(item, served, new))


def test_unknown_listener_error_propagates_unchanged(emu, adapter):
    with pytest.raises(AlibabaCloudError) as raised:
        adapter.read(target("lsn-missing"))
    assert raised.value.code == "ResourceNotFound.Listener"
    assert not isinstance(raised.value, DeploymentRefusedError)


def test_lost_answer_is_confirmed_by_a_read_not_sent_again(emu, adapter):
    deployable(emu, 1001)
    new = deployable(emu, 1002)
    listener_id = seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id=1001)["listener_id"]
    item = target(listener_id)
    served = adapter.read(item)
    emu.control.set_faults(lose_response={"count": 1, "actions": ["UpdateListenerAttribute"]})
    adapter.apply(Plan(item, served, new))
    updates = [c for c in emu.control.calls() if c["action"] == "UpdateListenerAttribute"]
    assert len(updates) == 1 and updates[0]["fault"] == "lose"
    assert product_view(emu, "alb")["listeners"][0]["certificate_id"] == "1002-cn-hangzhou"


def test_transport_retries_keep_the_client_token(emu, adapter):
    deployable(emu, 1001)
    new = deployable(emu, 1002)
    listener_id = seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id=1001)["listener_id"]
    item = target(listener_id)
    served = adapter.read(item)
    emu.control.set_faults(error_burst={"count": 2, "actions": ["UpdateListenerAttribute"]})
    adapter.apply(Plan(item, served, new))
    assert len([c for c in emu.control.calls() if c["action"] == "UpdateListenerAttribute"]) == 3
    tokens = {key[2] for key in emu.products["alb"].client_tokens if key[1] == "UpdateListenerAttribute"}
    assert len(tokens) == 1


class _Refusing:
    """A client whose first UpdateListenerAttribute meets a listener that went Configuring."""

    def __init__(self):
        self.sent = []

    def call(self, action, params, reconcile=None):
        if action == "GetListenerAttribute":
            return {"ListenerProtocol": "HTTPS", "ListenerStatus": "Running", "Certificates": []}
        self.sent.append(dict(params))
        if len(self.sent) == 1:
            raise AlibabaCloudError("busy", code="IncorrectStatus.Listener")
        return {"JobId": "j"}


def test_a_write_refused_as_configuring_is_sent_again_with_the_same_token():
    client = _Refusing()
    adapter = AlbAdapter(lambda region: client, sleep=lambda s: None, clock=lambda: 0.0)
    adapter.set_default(REGION, "lsn-1", "1002-cn-hangzhou")
    assert len(client.sent) == 2
    assert client.sent[0] == client.sent[1] and client.sent[0]["ClientToken"]
    assert Served().certificate_id is None
