# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The CLB adapter against the emulator: read, compare, write, reuse of server certificates,
one DescribeServerCertificates per region, SNI extensions, the international fallback under
both values of the emulator's switch, and a lost UploadServerCertificate answer."""

from __future__ import annotations

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils._credentials import Credentials
from ansible_collections.alicloud.cas.plugins.module_utils._deployment._base import (
    DeployableCertificate,
    DeploymentRefusedError,
    Plan,
)
from ansible_collections.alicloud.cas.plugins.module_utils._deployment._clb import (
    ADAPTERS,
    CLB_VERSION,
    ClbAdapter,
    leaf_fingerprints,
)
from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlibabaCloudError
from ansible_collections.alicloud.cas.plugins.module_utils._transport import RetryPolicy, RpcClient
from tests.emulator import certificates, running_emulator
from tests.unit.plugins.module_utils.emulator_run import DEMO_KEY, DEMO_SECRET, NoWait

ACCOUNT = "1234567890123456"
WRITES = ("UploadServerCertificate", "SetLoadBalancerHTTPSListenerAttribute", "SetDomainExtensionAttribute")


@pytest.fixture(scope="module")
def emulator():
    yield from running_emulator(seed="demo")


@pytest.fixture
def emu(emulator):
    emulator.control.reset("demo")
    emulator.control.clear_calls()
    return emulator


@pytest.fixture
def cas_ids(emu):
    """Issued CAS certificates for www0..www3.example.com."""
    created = emu.control._post("orders/bulk", account_id=ACCOUNT, count=4, domain_format="www{index}.example.com")
    with emu.state.lock:
        return [int(emu.state.orders[order_id].cert_id) for order_id in created["order_ids"]]


class PemSource:
    """load_pem of a DeployableCertificate, counting its (CAS) reads."""

    def __init__(self, emu, certificate_id):
        self.emu, self.certificate_id, self.reads = emu, certificate_id, 0

    def __call__(self):
        self.reads += 1
        with self.emu.state.lock:
            found = certificates.find_certificate(self.emu.state, ACCOUNT, self.certificate_id)
        return found.certificate_pem, found.private_key_pem


def deployable(emu, certificate_id):
    with emu.state.lock:
        found = certificates.find_certificate(emu.state, ACCOUNT, certificate_id)
        region = certificates.cert_region(emu.state)
    return DeployableCertificate(found.certificate_id, found.identifier(region), region, found.name, found.names,
                                 found.not_before.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                 found.not_after.strftime("%Y-%m-%dT%H:%M:%SZ"), load_pem=PemSource(emu, certificate_id))


def adapter(emu):
    clock = NoWait()
    made = {}

    def clients(region):
        if region not in made:
            made[region] = RpcClient(emu.base_url, CLB_VERSION, Credentials(DEMO_KEY, DEMO_SECRET), verify=emu.ca_path,
                                     retry_policy=RetryPolicy(rng=lambda: 0.0), sleep=clock.sleep, clock=clock.monotonic)
        return made[region]
    return ClbAdapter(clients)


def seed(emu, **body):
    return emu.control._call("POST", "products/clb/load_balancers", body)


def actions(emu, name=None):
    called = [call["action"] for call in emu.control.calls()]
    return [a for a in called if a == name] if name else called


def server_certificates(emu, region):
    view = emu.control._call("GET", "products/clb")
    return [c for c in view["server_certificates"] if c["RegionId"] == region]


def edge_pem(emu, server_name):
    material = emu.products["clb"].edge_material(server_name)
    return material[0] if material else None


def target(lb="lb-one", port=443, region="cn-shanghai", domain=None):
    item = {"product": "clb", "region": region, "load_balancer_id": lb, "listener_port": port}
    if domain:
        item["domain"] = domain
    return item


def deploy(clb, item, certificate):
    """What the engine does for one target: read, compare, write on a difference."""
    served = clb.read(item)
    if clb.in_sync(item, served, certificate):
        return served, None
    return served, clb.apply(Plan(item, served, certificate))


@pytest.fixture
def listener(emu, cas_ids):
    return seed(emu, region="cn-shanghai", load_balancer_id="lb-one", listeners=[
        {"port": 443, "certificate_id": cas_ids[0],
         "domain_extensions": [{"domain": "www1.example.com", "certificate_id": cas_ids[1]}]}])


def test_registration_and_names():
    assert ADAPTERS == {"clb": ClbAdapter}
    clb = ClbAdapter(lambda region: None)
    assert (clb.required_options, clb.optional_options) == (("region", "load_balancer_id", "listener_port"), ("domain",))
    assert clb.identity(target(port="443")) == clb.identity(target(port=443))
    assert clb.identity(target(domain="WWW1.example.com")) == ("clb", "cn-shanghai", "lb-one", 443, "www1.example.com")
    assert clb.covered_names(target()) == ()
    assert clb.covered_names(target(domain="www1.example.com")) == ("www1.example.com",)
    assert "lb-one:443" in clb.describe(target()) and "www1.example.com" in clb.describe(target(domain="www1.example.com"))


def test_read_reports_the_wrapped_cas_certificate(emu, cas_ids, listener):
    served = adapter(emu).read(target())
    assert served.certificate_id == cas_ids[0] and isinstance(served.certificate_id, int)
    assert served.product_reference == listener["listeners"][0]["server_certificate_id"]
    assert served.names == ["www0.example.com"]
    assert served.not_after == deployable(emu, cas_ids[0]).not_after
    assert served.previous() == {"certificate_id": cas_ids[0], "product_reference": served.product_reference}


def test_in_sync_is_the_wrapped_id(emu, cas_ids, listener):
    clb = adapter(emu)
    served = clb.read(target())
    assert clb.in_sync(target(), served, deployable(emu, cas_ids[0])) is True
    assert clb.in_sync(target(), served, deployable(emu, cas_ids[2])) is False


def test_apply_wraps_once_then_a_rerun_only_reads(emu, cas_ids, listener):
    before = emu.control._call("GET", "products/clb")["load_balancers"][0]["listeners"][0]["settings"]
    new = deployable(emu, cas_ids[2])
    served, result = deploy(adapter(emu), target(), new)
    assert served.certificate_id == cas_ids[0]
    assert result["uploaded"] == "wrapper" and result["server_certificate_id"].endswith("-cn-shanghai")
    assert actions(emu) == ["DescribeLoadBalancerHTTPSListenerAttribute", "DescribeServerCertificates",
                            "UploadServerCertificate", "SetLoadBalancerHTTPSListenerAttribute"]
    with emu.state.lock:
        expected = certificates.find_certificate(emu.state, ACCOUNT, cas_ids[2]).certificate_pem
    assert edge_pem(emu, "lb-one-443.clb.edge.test") == expected
    after = emu.control._call("GET", "products/clb")["load_balancers"][0]["listeners"][0]["settings"]
    assert after == before

    emu.control.clear_calls()
    served, result = deploy(adapter(emu), target(), new)
    assert (served.certificate_id, result) == (cas_ids[2], None)
    assert actions(emu) == ["DescribeLoadBalancerHTTPSListenerAttribute", "DescribeServerCertificates"]


def test_an_existing_wrapper_is_reused(emu, cas_ids, listener):
    existing = emu.control._call("POST", "products/clb/server_certificates",
                                 {"region": "cn-shanghai", "certificate_id": cas_ids[2]})["server_certificate_id"]
    count = len(server_certificates(emu, "cn-shanghai"))
    _served, result = deploy(adapter(emu), target(), deployable(emu, cas_ids[2]))
    assert result == {"server_certificate_id": existing, "uploaded": False}
    assert actions(emu, "UploadServerCertificate") == []
    assert len(server_certificates(emu, "cn-shanghai")) == count


def test_a_wrapper_of_another_region_is_not_reused(emu, cas_ids, listener):
    emu.control._call("POST", "products/clb/server_certificates", {"region": "cn-beijing", "certificate_id": cas_ids[2]})
    _served, result = deploy(adapter(emu), target(), deployable(emu, cas_ids[2]))
    assert result["uploaded"] == "wrapper"


def test_one_server_certificate_listing_and_one_upload_per_region(emu, cas_ids):
    seed(emu, region="cn-shanghai", load_balancer_id="lb-one",
         listeners=[{"port": port, "certificate_id": cas_ids[0]} for port in (443, 8443, 9443)])
    seed(emu, region="cn-beijing", load_balancer_id="lb-two", listeners=[{"port": 443, "certificate_id": cas_ids[0]}])
    items = [target(port=port) for port in (443, 8443, 9443)] + [target("lb-two", region="cn-beijing")]
    clb, new = adapter(emu), deployable(emu, cas_ids[2])
    results = [deploy(clb, item, new)[1] for item in items]
    assert len(actions(emu, "DescribeServerCertificates")) == 2
    assert len(actions(emu, "UploadServerCertificate")) == 2
    assert [r["uploaded"] for r in results] == ["wrapper", False, False, "wrapper"]
    assert len(actions(emu, "SetLoadBalancerHTTPSListenerAttribute")) == 4
    assert {r["server_certificate_id"] for r in results[:3]} == {results[0]["server_certificate_id"]}


def test_sni_extension_target(emu, cas_ids, listener):
    item = target(domain="WWW1.example.com")
    clb = adapter(emu)
    served = clb.read(item)
    assert served.certificate_id == cas_ids[1]
    assert clb.in_sync(item, served, deployable(emu, cas_ids[1])) is True
    default_before = edge_pem(emu, "lb-one-443.clb.edge.test")
    _served, result = deploy(clb, item, deployable(emu, cas_ids[3]))
    assert result["uploaded"] == "wrapper"
    assert "SetDomainExtensionAttribute" in actions(emu)
    assert "SetLoadBalancerHTTPSListenerAttribute" not in actions(emu)
    with emu.state.lock:
        expected = certificates.find_certificate(emu.state, ACCOUNT, cas_ids[3]).certificate_pem
    assert edge_pem(emu, "www1.example.com") == expected
    assert edge_pem(emu, "lb-one-443.clb.edge.test") == default_before
    assert adapter(emu).read(item).certificate_id == cas_ids[3]


def test_a_missing_extension_is_refused_without_a_write(emu, cas_ids, listener):
    with pytest.raises(DeploymentRefusedError, match="no SNI domain extension for www9.example.com"):
        adapter(emu).read(target(domain="www9.example.com"))
    assert not set(actions(emu)) & set(WRITES)


def test_unknown_load_balancer_propagates_the_api_error(emu, cas_ids, listener):
    with pytest.raises(AlibabaCloudError) as caught:
        adapter(emu).read(target(lb="lb-nowhere"))
    assert caught.value.code == "InvalidLoadBalancerId.NotFound"


def international(emu, refused):
    emu.control.settings(cas_site="international")
    emu.control._call("POST", "products/clb/settings", {"international_wrap_refused": refused})


@pytest.mark.parametrize("refused", [True, False])
def test_international_site_under_both_switch_values(emu, cas_ids, refused):
    international(emu, refused)
    seed(emu, region="ap-southeast-1", load_balancer_id="lb-sg",
         listeners=[{"port": 443, "certificate_id": cas_ids[0]}, {"port": 8443, "certificate_id": cas_ids[0]}])
    emu.control.clear_calls()
    new = deployable(emu, cas_ids[2])
    assert new.cert_region == "ap-southeast-1"
    clb = adapter(emu)
    _served, first = deploy(clb, target("lb-sg", region="ap-southeast-1"), new)
    _served, second = deploy(clb, target("lb-sg", 8443, region="ap-southeast-1"), new)
    uploads = actions(emu, "UploadServerCertificate")
    if refused:
        assert first["uploaded"] == "pem" and "international site" in first["upload_note"]
        assert len(uploads) == 2  # the refused wrap, then the PEM; the second listener reuses the PEM copy
        assert second == {"server_certificate_id": first["server_certificate_id"], "uploaded": False}
        (uploaded,) = server_certificates(emu, "ap-southeast-1")[1:]
        assert uploaded["IsAliCloudCertificate"] == 0
        assert "PRIVATE KEY" not in repr(first) + repr(second)
    else:
        assert (first["uploaded"], second["uploaded"], len(uploads)) == ("wrapper", False, 1)
    with emu.state.lock:
        expected = certificates.find_certificate(emu.state, ACCOUNT, cas_ids[2]).certificate_pem
    assert edge_pem(emu, "lb-sg-443.clb.edge.test") == expected

    # A rerun is in sync (by the wrapped id, or by the PEM copy's fingerprint) and writes nothing.
    emu.control.clear_calls()
    rerun = adapter(emu)
    for item in (target("lb-sg", region="ap-southeast-1"), target("lb-sg", 8443, region="ap-southeast-1")):
        served, result = deploy(rerun, item, new)
        assert result is None
        assert served.certificate_id == (None if refused else cas_ids[2])
    assert not set(actions(emu)) & set(WRITES)


def test_pem_copy_rerun_reads_cas_once_and_only_for_a_likely_copy(emu, cas_ids):
    international(emu, True)
    seed(emu, region="ap-southeast-1", load_balancer_id="lb-sg", listeners=[{"port": 443, "certificate_id": cas_ids[0]}])
    deploy(adapter(emu), target("lb-sg", region="ap-southeast-1"), deployable(emu, cas_ids[2]))
    rerun, new, other = adapter(emu), deployable(emu, cas_ids[2]), deployable(emu, cas_ids[3])
    other.not_after = "2031-01-01T00:00:00Z"
    served = rerun.read(target("lb-sg", region="ap-southeast-1"))
    assert rerun.in_sync(target(), served, new) and rerun.in_sync(target(), served, new)
    assert new.load_pem.reads == 1
    assert rerun.in_sync(target(), served, other) is False
    assert other.load_pem.reads == 0  # other names and expiry: no CAS read needed to tell
    # An expiry written another way (or not at all) still finds the copy by its names.
    for not_after in (new.not_after.replace("Z", "+00:00"), "soon", None):
        renamed = deployable(emu, cas_ids[2])
        renamed.not_after = not_after
        assert adapter(emu).in_sync(target(), served, renamed) is True


def test_china_site_client_errors_are_not_taken_for_the_refusal(emu, cas_ids, listener):
    emu.control._call("POST", "products/clb/settings", {"international_wrap_refused": True})
    foreign = DeployableCertificate(424242, "424242-cn-hangzhou", "cn-hangzhou", "gone", ["www0.example.com"],
                                    "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", load_pem=lambda: ("x", "y"))
    with pytest.raises(AlibabaCloudError) as caught:
        deploy(adapter(emu), target(), foreign)
    assert caught.value.code == "InvalidParameter"
    assert actions(emu, "UploadServerCertificate") == ["UploadServerCertificate"]
    assert not {"SetLoadBalancerHTTPSListenerAttribute"} & set(actions(emu))


def test_refusal_without_a_key_in_cas_is_a_clear_refusal(emu, cas_ids):
    international(emu, True)
    seed(emu, region="ap-southeast-1", load_balancer_id="lb-sg", listeners=[{"port": 443, "certificate_id": cas_ids[0]}])
    new = deployable(emu, cas_ids[2])
    new.load_pem = lambda: (new.load_pem_chain, None)
    new.load_pem_chain = "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"
    with pytest.raises(DeploymentRefusedError, match="holds no private key"):
        deploy(adapter(emu), target("lb-sg", region="ap-southeast-1"), new)
    assert not {"SetLoadBalancerHTTPSListenerAttribute"} & set(actions(emu))


def test_a_lost_upload_answer_gives_one_server_certificate(emu, cas_ids, listener):
    emu.control.set_faults(lose_response={"count": 1, "actions": ["UploadServerCertificate"]})
    count = len(server_certificates(emu, "cn-shanghai"))
    _served, result = deploy(adapter(emu), target(), deployable(emu, cas_ids[2]))
    created = server_certificates(emu, "cn-shanghai")[count:]
    assert len(created) == 1 and created[0]["AliCloudCertificateId"] == str(cas_ids[2])
    assert result["server_certificate_id"] == created[0]["ServerCertificateId"]
    uploads = [c for c in emu.control.calls() if c["action"] == "UploadServerCertificate"]
    assert [c["fault"] for c in uploads] == ["lose"]  # confirmed by a read, never sent twice
    assert actions(emu, "DescribeServerCertificates") == ["DescribeServerCertificates"] * 2
    assert adapter(emu).read(target()).product_reference == created[0]["ServerCertificateId"]


def test_a_lost_pem_upload_answer_gives_one_server_certificate(emu, cas_ids):
    international(emu, True)
    seed(emu, region="ap-southeast-1", load_balancer_id="lb-sg", listeners=[{"port": 443, "certificate_id": cas_ids[0]}])
    seed(emu, region="eu-central-1", load_balancer_id="lb-eu", listeners=[{"port": 443, "certificate_id": cas_ids[0]}])
    clb, new = adapter(emu), deployable(emu, cas_ids[2])
    deploy(clb, target("lb-sg", region="ap-southeast-1"), new)  # learns the refusal: next time the PEM goes first
    emu.control.set_faults(lose_response={"count": 1, "actions": ["UploadServerCertificate"]})
    emu.control.clear_calls()
    _served, result = deploy(clb, target("lb-eu", region="eu-central-1"), new)
    (created,) = server_certificates(emu, "eu-central-1")[1:]
    assert (created["IsAliCloudCertificate"], result["uploaded"]) == (0, "pem")
    assert result["server_certificate_id"] == created["ServerCertificateId"]
    assert [c["fault"] for c in emu.control.calls() if c["action"] == "UploadServerCertificate"] == ["lose"]


def test_a_lost_answer_of_the_refused_wrap_is_an_unknown_outcome_not_a_fallback(emu, cas_ids):
    international(emu, True)
    seed(emu, region="ap-southeast-1", load_balancer_id="lb-sg", listeners=[{"port": 443, "certificate_id": cas_ids[0]}])
    emu.control.set_faults(lose_response={"count": 1, "actions": ["UploadServerCertificate"]})
    with pytest.raises(AlibabaCloudError):
        deploy(adapter(emu), target("lb-sg", region="ap-southeast-1"), deployable(emu, cas_ids[2]))
    assert actions(emu, "UploadServerCertificate") == ["UploadServerCertificate"]
    assert not {"SetLoadBalancerHTTPSListenerAttribute"} & set(actions(emu))


def test_leaf_fingerprints_take_the_first_certificate_of_a_chain(emu, cas_ids):
    with emu.state.lock:
        found = certificates.find_certificate(emu.state, ACCOUNT, cas_ids[0])
    wrapper = emu.control._call("POST", "products/clb/server_certificates",
                                {"region": "cn-shanghai", "certificate_id": cas_ids[0]})["server_certificate_id"]
    (listed,) = [c for c in server_certificates(emu, "cn-shanghai") if c["ServerCertificateId"] == wrapper]
    assert listed["Fingerprint"].replace(":", "") in leaf_fingerprints(found.certificate_pem)
    assert leaf_fingerprints("no pem") == frozenset()
