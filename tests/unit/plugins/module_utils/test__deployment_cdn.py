# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The CDN and DCDN adapters against the HTTPS emulator: read, compare, write, rerun, the
HTTPS-off refusal, enable_https, and a lost answer to the set call (one write, not two)."""

from __future__ import annotations

import pytest
import requests
from cryptography import x509

from ansible_collections.alicloud.cas.plugins.module_utils._credentials import Credentials
from ansible_collections.alicloud.cas.plugins.module_utils._deployment._base import (
    DeployableCertificate,
    DeploymentRefusedError,
    Plan,
    Served,
)
from ansible_collections.alicloud.cas.plugins.module_utils._deployment._cdn import (
    ADAPTERS,
    CDN_VERSION,
    DCDN_VERSION,
    CdnAdapter,
    DcdnAdapter,
)
from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlibabaCloudError, NetworkError
from ansible_collections.alicloud.cas.plugins.module_utils._transport import CAS_VERSION, RetryPolicy, RpcClient
from tests.emulator import running_emulator
from tests.unit.plugins.module_utils.emulator_run import DEMO_KEY, DEMO_SECRET, NoWait

VERSIONS = {"cdn": CDN_VERSION, "dcdn": DCDN_VERSION}
SET_ACTIONS = {"cdn": "SetCdnDomainSSLCertificate", "dcdn": "SetDcdnDomainSSLCertificate"}
DESCRIBE_ACTIONS = {"cdn": "DescribeDomainCertificateInfo", "dcdn": "DescribeDcdnDomainCertificateInfo"}


@pytest.fixture(scope="module")
def emulator():
    yield from running_emulator(seed="demo")


@pytest.fixture
def emu(emulator):
    emulator.control.reset("demo")
    return emulator


def rpc(emu, version, clock):
    return RpcClient(emu.base_url, version, Credentials(DEMO_KEY, DEMO_SECRET), verify=emu.ca_path,
                     retry_policy=RetryPolicy(rng=lambda: 0.0), sleep=clock.sleep, clock=clock.monotonic)


@pytest.fixture(params=["cdn", "dcdn"])
def product(request):
    return request.param


@pytest.fixture
def adapter(emu, product):
    clock = NoWait()
    client = rpc(emu, VERSIONS[product], clock)
    return ADAPTERS[product](lambda region: client, sleep=clock.sleep, clock=clock.monotonic)


def control(emu, path, body):
    response = requests.post(f"{emu.control_url}/{path}", json=body, verify=emu.ca_path, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def issue(emu, domain="www.example.com") -> DeployableCertificate:
    """A CAS certificate of the demo account, as the engine describes it."""
    cas = rpc(emu, CAS_VERSION, NoWait())
    order_id = cas.call("CreateCertificateRequest", {"Domain": domain, "Email": "ops@example.com",
                                                     "Phone": "13800000000", "Username": "Ops",
                                                     "ValidateType": "DNS"})["OrderId"]
    view = emu.control.set_order_state(order_id, "certificate")
    leaf = x509.load_pem_x509_certificates(view["certificate"].encode())[0]
    cert_id = int(view["cert_id"])
    return DeployableCertificate(cert_id, "%d-cn-hangzhou" % cert_id, "cn-hangzhou", "cert-%d" % cert_id,
                                 [domain], leaf.not_valid_before_utc.isoformat(), leaf.not_valid_after_utc.isoformat())


def seed_domain(emu, product, domain, https=False, certificate_id=None):
    body = {"domain": domain, "https": https}
    if certificate_id is not None:
        body["certificate_id"] = certificate_id
    control(emu, "products/%s/domains" % product, body)


def writes(emu, product):
    return [c for c in emu.control.calls() if c["action"] == SET_ACTIONS[product]]


def deploy(adapter, target, certificate):
    """What the engine does for one target: read, compare, write on a difference."""
    served = adapter.read(target)
    if adapter.in_sync(target, served, certificate):
        return served, None
    return served, adapter.apply(Plan(target, served, certificate))


# --- naming ------------------------------------------------------------------------------------
def test_adapters_and_their_options():
    assert ADAPTERS == {"cdn": CdnAdapter, "dcdn": DcdnAdapter}
    for cls in (CdnAdapter, DcdnAdapter):
        assert (cls.required_options, cls.optional_options) == (("domain",), ("enable_https",))
    adapter = CdnAdapter(lambda region: None)
    target = {"product": "cdn", "domain": "WWW.Example.com."}
    assert adapter.identity(target) == ("cdn", "www.example.com")
    assert adapter.covered_names(target) == ("www.example.com",)
    assert adapter.describe(target) == "cdn domain www.example.com"
    assert DcdnAdapter(lambda region: None).identity({"domain": "www.example.com"}) != adapter.identity(target)


def test_in_sync_needs_cas_type_id_region_and_https():
    adapter = CdnAdapter(lambda region: None)
    certificate = DeployableCertificate(42, "42-cn-hangzhou", "cn-hangzhou", "cert-42", ["a.example.com"],
                                        "2026-01-01T00:00:00+00:00", "2026-04-01T00:00:00+00:00")
    target = {"domain": "a.example.com", "enable_https": True}

    def served(cert_type="cas", cert_id="42", region="cn-hangzhou", https=True):
        return Served(42 if https and cert_type == "cas" else None, cert_id, https,
                      detail={"cert_type": cert_type, "cert_id": cert_id, "cert_region": region})

    assert adapter.in_sync(target, served(), certificate) is True
    assert adapter.in_sync(target, served(cert_id="43"), certificate) is False
    assert adapter.in_sync(target, served(region="ap-southeast-1"), certificate) is False
    assert adapter.in_sync(target, served(cert_type="upload"), certificate) is False
    assert adapter.in_sync(target, served(https=False), certificate) is False  # enable_https: a write
    with pytest.raises(DeploymentRefusedError, match="enable_https: true"):
        adapter.in_sync({"domain": "a.example.com"}, served(https=False), certificate)


# --- against the emulator ----------------------------------------------------------------------
def test_https_off_is_refused_without_enable_https_and_nothing_is_written(emu, adapter, product):
    certificate = issue(emu)
    if product == "dcdn":
        seed_domain(emu, product, "www.example.com")  # the demo seed's domain is CDN's
    target = {"product": product, "domain": "www.example.com"}
    served = adapter.read(target)
    assert (served.certificate_id, served.product_reference, served.https_enabled) == (None, None, False)
    with pytest.raises(DeploymentRefusedError) as refused:
        adapter.in_sync(target, served, certificate)
    assert "%s domain www.example.com has HTTPS switched off" % product in str(refused.value)
    assert "enable_https: true" in str(refused.value)
    with pytest.raises(DeploymentRefusedError):
        adapter.apply(Plan(target, served, certificate))
    assert writes(emu, product) == []


def test_enable_https_then_rerun_reads_only(emu, adapter, product):
    certificate = issue(emu)
    if product == "dcdn":
        seed_domain(emu, product, "www.example.com")
    target = {"product": product, "domain": "www.example.com", "enable_https": True}
    before, extra = deploy(adapter, target, certificate)
    assert before.previous() == {"certificate_id": None, "product_reference": None}
    assert extra == {"https_enabled": True, "https_switched_on": True}
    assert len(writes(emu, product)) == 1

    after = adapter.read(target)
    assert (after.certificate_id, after.product_reference, after.https_enabled) == \
        (certificate.certificate_id, str(certificate.certificate_id), True)
    assert isinstance(after.certificate_id, int) and after.not_after.endswith("Z")
    assert adapter.in_sync(target, after, certificate) is True

    emu.control.clear_calls()
    served, extra = deploy(adapter, target, certificate)  # the rerun
    assert extra is None and served.certificate_id == certificate.certificate_id
    assert [c["action"] for c in emu.control.calls()] == [DESCRIBE_ACTIONS[product]]


def test_renewal_re_points_a_domain_with_https_on(emu, adapter, product):
    old, new = issue(emu), issue(emu)
    target = {"product": product, "domain": "www.example.com"}
    if product == "dcdn":
        seed_domain(emu, product, "www.example.com", https=True, certificate_id=old.certificate_id)
    else:
        deploy(adapter, {**target, "enable_https": True}, old)
    before, extra = deploy(adapter, target, new)
    assert before.previous() == {"certificate_id": old.certificate_id, "product_reference": str(old.certificate_id)}
    assert extra == {"https_enabled": True, "https_switched_on": False}
    assert adapter.read(target).certificate_id == new.certificate_id
    sent = writes(emu, product)[-1]
    assert sent["status"] == 200


def test_lost_answer_to_the_set_call_is_confirmed_by_a_read_one_write(emu, adapter, product):
    certificate = issue(emu)
    if product == "dcdn":
        seed_domain(emu, product, "www.example.com")
    emu.control.set_faults(lose_response={"count": 1, "actions": [SET_ACTIONS[product]]})
    emu.control.clear_calls()
    target = {"product": product, "domain": "www.example.com", "enable_https": True}
    _served, extra = deploy(adapter, target, certificate)
    assert extra["https_switched_on"] is True
    sets = writes(emu, product)
    assert [(c["fault"], c["status"]) for c in sets] == [("lose", 200)]  # applied, answer lost, never resent
    assert [c["action"] for c in emu.control.calls()] == \
        [DESCRIBE_ACTIONS[product], SET_ACTIONS[product], DESCRIBE_ACTIONS[product]]
    assert adapter.read(target).certificate_id == certificate.certificate_id


def test_dropped_set_call_that_never_applied_is_not_resent_and_fails(emu, adapter, product):
    certificate = issue(emu)
    if product == "dcdn":
        seed_domain(emu, product, "www.example.com")
    emu.control.set_faults(drop_connections={"count": 1, "actions": [SET_ACTIONS[product]]})
    emu.control.clear_calls()
    target = {"product": product, "domain": "www.example.com", "enable_https": True}
    with pytest.raises(NetworkError):
        deploy(adapter, target, certificate)
    assert len(writes(emu, product)) == 1  # the confirmation reads found nothing; no second write
    assert adapter.read(target).https_enabled is False


def test_product_errors_propagate_unchanged(emu, adapter, product):
    certificate = issue(emu, "shop.example.com")
    with pytest.raises(AlibabaCloudError) as missing:
        adapter.read({"product": product, "domain": "nowhere.example.com"})
    assert (missing.value.code, missing.value.http_status) == ("InvalidDomain.NotFound", 404)

    seed_domain(emu, product, "blog.example.com")
    target = {"product": product, "domain": "blog.example.com", "enable_https": True}
    with pytest.raises(AlibabaCloudError) as mismatch:
        deploy(adapter, target, certificate)  # the engine refuses this before; the product does too
    assert mismatch.value.code == "Certificate.DomainMismatch"
    control(emu, "products/%s/settings" % product, {"mismatch_refused": False})
    deploy(adapter, target, certificate)  # UNCONFIRMED switch, other value: the product takes it
    assert adapter.read(target).certificate_id == certificate.certificate_id

    control(emu, "deny", {"action": SET_ACTIONS[product]})
    other = issue(emu, "shop.example.com")
    with pytest.raises(AlibabaCloudError) as denied:
        deploy(adapter, target, other)
    assert (denied.value.code, denied.value.http_status) == ("Forbidden.RAM", 403)


def test_throttled_calls_are_retried_and_land_once(emu, product):
    """Per-product QPS (here 4/s for each action): a throttled call was never applied, so the
    transport sends it again after its backoff (real sleeps) and every write lands once."""
    certificate = issue(emu)
    domains = ["d%02d.example.com" % index for index in range(8)]
    for domain in domains:
        seed_domain(emu, product, domain)
    control(emu, "products/%s/settings" % product, {"qps": 4, "mismatch_refused": False})
    client = RpcClient(emu.base_url, VERSIONS[product], Credentials(DEMO_KEY, DEMO_SECRET), verify=emu.ca_path,
                       retry_policy=RetryPolicy(base_delay=0.2, max_delay=1.0))
    adapter = ADAPTERS[product](lambda region: client)
    emu.control.clear_calls()
    for domain in domains:
        deploy(adapter, {"product": product, "domain": domain, "enable_https": True}, certificate)
    calls = emu.control.calls()
    assert [c for c in calls if c["error_code"] == "Throttling.User"], "8 reads and 8 writes at 4/s must throttle"
    assert len([c for c in writes(emu, product) if c["status"] == 200]) == len(domains)
    control(emu, "products/%s/settings" % product, {"qps": 0})
    assert {adapter.read({"domain": d}).certificate_id for d in domains} == {certificate.certificate_id}
