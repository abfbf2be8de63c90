"""Fidelity: alibabacloud_alb20200616 runs every ALB action the deployment calls against the
emulator, with V2 and with its default V3 signing; answers match the SDK's models."""

import time

import pytest
from alibabacloud_alb20200616 import models
from alibabacloud_alb20200616.client import Client as AlbClient
from alibabacloud_tea_openapi.exceptions import ClientException

from tests.unit.emulator.lb_support import plant_certificate, product_settings, seed_listener
from tests.unit.emulator.sdk_lb import CheckedSdk

pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")


@pytest.fixture(params=["v2", "v3"])
def signing(request):
    return request.param


@pytest.fixture
def alb(emu, signing):
    return CheckedSdk(emu, AlbClient, signing)


def wait_running(alb, listener_id):
    for _attempt in range(300):
        body = alb("get_listener_attribute", models.GetListenerAttributeRequest(listener_id=listener_id))
        if body.listener_status == "Running":
            return body
        time.sleep(0.02)
    raise AssertionError("still Configuring")


def test_every_alb_action_through_the_sdk(emu, alb, signing):
    for certificate_id in (1001, 1002, 1003):
        plant_certificate(emu, certificate_id)
    product_settings(emu, "alb", configuring_seconds=1.0)
    seeded = seed_listener(emu, "alb", region="cn-hangzhou", protocol="HTTPS", certificate_id=1001,
                           additional=[1003], quic={})
    listener_id = seeded["listener_id"]

    body = alb("get_listener_attribute", models.GetListenerAttributeRequest(listener_id=listener_id))
    assert body.listener_protocol == "HTTPS" and body.listener_status == "Running"
    assert [c.certificate_id for c in body.certificates] == ["1001-cn-hangzhou"]
    assert body.quic_config.quic_upgrade_enabled is True
    assert body.quic_config.quic_listener_id == seeded["quic_listener_id"]

    updated = alb("update_listener_attribute", models.UpdateListenerAttributeRequest(
        listener_id=listener_id, client_token=f"sdk-{signing}",
        certificates=[models.UpdateListenerAttributeRequestCertificates(certificate_id="1002-cn-hangzhou")]))
    assert updated.job_id
    with pytest.raises(ClientException) as refused:
        alb.client.update_listener_attribute(models.UpdateListenerAttributeRequest(
            listener_id=listener_id,
            certificates=[models.UpdateListenerAttributeRequestCertificates(certificate_id="1001-cn-hangzhou")]))
    assert refused.value.code == "IncorrectStatus.Listener"
    assert wait_running(alb, listener_id).certificates[0].certificate_id == "1002-cn-hangzhou"

    associated = alb("associate_additional_certificates_with_listener",
                     models.AssociateAdditionalCertificatesWithListenerRequest(
                         listener_id=listener_id, client_token=f"assoc-{signing}",
                         certificates=[models.AssociateAdditionalCertificatesWithListenerRequestCertificates(
                             certificate_id="1001-cn-hangzhou")]))
    assert associated.job_id
    wait_running(alb, listener_id)
    dissociated = alb("dissociate_additional_certificates_from_listener",
                      models.DissociateAdditionalCertificatesFromListenerRequest(
                          listener_id=listener_id,
                          certificates=[models.DissociateAdditionalCertificatesFromListenerRequestCertificates(
                              certificate_id="1003-cn-hangzhou")]))
    assert dissociated.job_id
    wait_running(alb, listener_id)

    page = alb("list_listener_certificates", models.ListListenerCertificatesRequest(
        listener_id=listener_id, certificate_type="Server", max_results=1))
    assert page.total_count == 2 and page.max_results == 1 and page.next_token
    rest = alb("list_listener_certificates", models.ListListenerCertificatesRequest(
        listener_id=listener_id, certificate_type="Server", max_results=100, next_token=page.next_token))
    entries = {c.certificate_id: (c.is_default, c.status) for c in page.certificates + rest.certificates}
    assert entries == {"1002-cn-hangzhou": (True, "Associated"), "1001-cn-hangzhou": (False, "Associated")}
    assert rest.next_token is None

    calls = emu.control.calls()
    assert {c["signature_version"] for c in calls} == {signing}
    assert {c["action"] for c in calls} >= {
        "GetListenerAttribute", "UpdateListenerAttribute", "ListListenerCertificates",
        "AssociateAdditionalCertificatesWithListener", "DissociateAdditionalCertificatesFromListener"}


def test_documented_errors_reach_the_sdk(emu, alb):
    plant_certificate(emu, 1001)
    managed = seed_listener(emu, "alb", region="cn-hangzhou", protocol="HTTPS", certificate_id=1001,
                            service_managed=True)["listener_id"]
    with pytest.raises(ClientException) as refused:
        alb.client.update_listener_attribute(models.UpdateListenerAttributeRequest(
            listener_id=managed,
            certificates=[models.UpdateListenerAttributeRequestCertificates(certificate_id="1001-cn-hangzhou")]))
    assert refused.value.code == "OperationDenied.ServiceManagedResource"
    with pytest.raises(ClientException) as missing:
        alb.client.get_listener_attribute(models.GetListenerAttributeRequest(listener_id="lsn-missing"))
    assert missing.value.code == "ResourceNotFound.Listener"
