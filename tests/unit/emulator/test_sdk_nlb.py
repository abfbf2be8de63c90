"""Fidelity: alibabacloud_nlb20220430 (which sends most parameters in the form body) runs every
NLB action the deployment calls against the emulator, V2 and V3; answers match its models."""

import time

import pytest
from alibabacloud_nlb20220430 import models
from alibabacloud_nlb20220430.client import Client as NlbClient
from alibabacloud_tea_openapi.exceptions import ClientException

from tests.unit.emulator.lb_support import plant_certificate, product_settings, seed_listener
from tests.unit.emulator.sdk_lb import CheckedSdk

pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")
REGION = "cn-shanghai"


@pytest.fixture(params=["v2", "v3"])
def signing(request):
    return request.param


@pytest.fixture
def nlb(emu, signing):
    return CheckedSdk(emu, NlbClient, signing)


def wait_running(nlb, listener_id):
    for _attempt in range(300):
        body = nlb("get_listener_attribute", models.GetListenerAttributeRequest(listener_id=listener_id,
                                                                                region_id=REGION))
        if body.listener_status == "Running":
            return body
        time.sleep(0.02)
    raise AssertionError("still Configuring")


def test_every_nlb_action_through_the_sdk(emu, nlb, signing):
    for certificate_id in (1001, 1002, 1003):
        plant_certificate(emu, certificate_id)
    product_settings(emu, "nlb", configuring_seconds=1.0)
    listener_id = seed_listener(emu, "nlb", region=REGION, protocol="TCPSSL", certificate_id=1001,
                                additional=[1003])["listener_id"]

    body = nlb("get_listener_attribute", models.GetListenerAttributeRequest(listener_id=listener_id,
                                                                            region_id=REGION))
    assert (body.listener_protocol, body.listener_status, body.certificate_ids) == (
        "TCPSSL", "Running", ["1001-cn-hangzhou"])

    updated = nlb("update_listener_attribute", models.UpdateListenerAttributeRequest(
        listener_id=listener_id, region_id=REGION, client_token=f"sdk-{signing}",
        certificate_ids=["1002-cn-hangzhou"]))
    assert updated.job_id
    with pytest.raises(ClientException) as refused:
        nlb.client.update_listener_attribute(models.UpdateListenerAttributeRequest(
            listener_id=listener_id, region_id=REGION, certificate_ids=["1001-cn-hangzhou"]))
    assert refused.value.code == "IncorrectStatus.listener"
    assert wait_running(nlb, listener_id).certificate_ids == ["1002-cn-hangzhou"]

    associated = nlb("associate_additional_certificates_with_listener",
                     models.AssociateAdditionalCertificatesWithListenerRequest(
                         listener_id=listener_id, region_id=REGION, additional_certificate_ids=["1001-cn-hangzhou"]))
    assert associated.job_id
    wait_running(nlb, listener_id)
    removed = nlb("disassociate_additional_certificates_with_listener",
                  models.DisassociateAdditionalCertificatesWithListenerRequest(
                      listener_id=listener_id, region_id=REGION, additional_certificate_ids=["1003-cn-hangzhou"]))
    assert removed.job_id
    wait_running(nlb, listener_id)

    page = nlb("list_listener_certificates", models.ListListenerCertificatesRequest(
        listener_id=listener_id, region_id=REGION, cert_type="Server", max_results=50))
    assert {c.certificate_id: (c.is_default, c.status) for c in page.certificates} == {
        "1002-cn-hangzhou": (True, "Associated"), "1001-cn-hangzhou": (False, "Associated")}
    assert page.total_count == 2 and page.next_token is None

    calls = emu.control.calls()
    assert {c["signature_version"] for c in calls} == {signing}
    assert {c["action"] for c in calls} >= {
        "GetListenerAttribute", "UpdateListenerAttribute", "ListListenerCertificates",
        "AssociateAdditionalCertificatesWithListener", "DisassociateAdditionalCertificatesWithListener"}


def test_ack_managed_reaches_the_sdk(emu, nlb):
    plant_certificate(emu, 1001)
    managed = seed_listener(emu, "nlb", region=REGION, protocol="TCPSSL", certificate_id=1001,
                            service_managed=True)["listener_id"]
    with pytest.raises(ClientException) as refused:
        nlb.client.update_listener_attribute(models.UpdateListenerAttributeRequest(
            listener_id=managed, region_id=REGION, certificate_ids=["1001-cn-hangzhou"]))
    assert refused.value.code == "OperationDenied.ServiceManagedResource"
