"""Fidelity of the V2.0 instance actions: the official CAS and Alidns SDKs, V2 and V3 signing.

Each raw answer the SDK parsed is checked against the SDK's model (names and types), and
the parsed model is read back as a user of the SDK would.
"""

import time

import pytest
from alibabacloud_alidns20150109 import models as dns_models
from alibabacloud_alidns20150109.client import Client as AlidnsClient
from alibabacloud_cas20200407 import models
from alibabacloud_cas20200407.client import Client as CasClient
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_tea_openapi.models import Config
from cryptography import x509

from tests.unit.emulator.sdk_models import assert_matches

ACCOUNT = "1234567890123456"

# The SDK itself calls datetime.utcnow(); that is not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")


class Sdk:
    """Both SDK clients with one signing method; checks every raw body against its model."""

    def __init__(self, emu, signing: str) -> None:
        config = {"access_key_id": "LTAI5tEmulatorDemoKey01", "access_key_secret": "EmulatorDemoSecret0123456789abc",
                  "endpoint": f"127.0.0.1:{emu.port}", "protocol": "https", "ca": emu.ca_path}
        if signing == "v2":
            config["signature_algorithm"] = "v2"
        self.cas = CasClient(Config(**config))
        self.dns = AlidnsClient(Config(**config))
        self._raw = None
        call_api = self.cas.call_api

        def recorded(params, request, runtime):
            result = call_api(params, request, runtime)
            self._raw = result["body"]
            return result
        self.cas.call_api = recorded

    def __call__(self, operation: str, request):
        """Run ``operation`` (a snake_case client method) and return its checked body model."""
        response = getattr(self.cas, operation)(request)
        assert_matches(self._raw, type(response.body))
        return response.body


@pytest.fixture(params=["v2", "v3"])
def signing(request):
    return request.param


@pytest.fixture
def sdk(emu, signing):
    emu.control.reset("v2")
    emu.control.settings(instance_validation_delay=0, instance_cancel_delay=0.3)
    return Sdk(emu, signing)


def test_sdk_issues_on_an_instance(emu, sdk, signing):
    contact_id = sdk("create_contact", models.CreateContactRequest(
        name="Ops", mobile="13800000078", email="ops@example.com")).contact_id
    assert isinstance(contact_id, int)
    (listed_contact,) = sdk("list_contact", models.ListContactRequest(keyword="Ops")).contact_list
    assert (listed_contact.contact_id, listed_contact.mobile) == (contact_id, "138******78")

    summary = sdk("get_instance_summary", models.GetInstanceSummaryRequest(instance_type="TEST"))
    assert (summary.total_count, summary.inactive_count) == (2, 2)
    listed = sdk("list_instances", models.ListInstancesRequest(status="inactive", instance_type="TEST", show_size=1))
    assert listed.total_count == 2 and len(listed.instance_list) == 1
    instance = listed.instance_list[0]
    assert instance.instance_id.startswith("cas-cn-") and isinstance(instance.instance_end_time, int)

    sdk("update_instance", models.UpdateInstanceRequest(
        instance_id=instance.instance_id, domain="sdk.example.com", key_algorithm="RSA_2048",
        validation_method="DNS", contact_id_list=[contact_id],
        tags=[models.UpdateInstanceRequestTags(tag_key="team", tag_value="web")]))
    sdk("apply_certificate", models.ApplyCertificateRequest(instance_id=instance.instance_id))
    request = models.GetInstanceDetailRequest(instance_id=instance.instance_id)
    pending = sdk("get_instance_detail", request)
    assert (pending.status, pending.contact_id_list, pending.tags[0].tag_key) == ("pending", [contact_id], "team")
    (record,) = pending.domain_validation_list
    sdk.dns.add_domain_record(dns_models.AddDomainRecordRequest(
        domain_name=record.root_domain, rr=record.validation_key, type=record.validation_type,
        value=record.validation_value))

    issued = sdk("get_instance_detail", request)
    assert (issued.status, issued.certificate_status) == ("normal", "issued")
    assert isinstance(issued.certificate_id, int) and not issued.domain_validation_list
    detail = sdk("get_user_certificate_detail", models.GetUserCertificateDetailRequest(cert_id=issued.certificate_id))
    assert (detail.id, detail.instance_id, detail.common) == (
        issued.certificate_id, instance.instance_id, "sdk.example.com")
    assert detail.not_after == issued.certificate_not_after
    x509.load_pem_x509_certificate(detail.cert.encode())
    assert detail.key.startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert {call["signature_version"] for call in emu.control.calls()} == {signing}


def test_sdk_cancels_a_pending_application(emu, sdk):
    contact_id = sdk("create_contact", models.CreateContactRequest(name="Ops", mobile="13800000078")).contact_id
    instance_id = sdk("list_instances", models.ListInstancesRequest(instance_type="BUY")).instance_list[0].instance_id
    sdk("update_instance", models.UpdateInstanceRequest(
        instance_id=instance_id, domain="*.example.com", contact_id_list=[contact_id]))
    sdk("apply_certificate", models.ApplyCertificateRequest(instance_id=instance_id))
    sdk("cancel_pending_certificate", models.CancelPendingCertificateRequest(instance_id=instance_id))
    request = models.GetInstanceDetailRequest(instance_id=instance_id)
    assert sdk("get_instance_detail", request).status == "pending"
    time.sleep(0.35)
    assert sdk("get_instance_detail", request).status == "normal"


@pytest.mark.parametrize("operation, request_object, status, code", [
    ("get_instance_detail", models.GetInstanceDetailRequest(instance_id="cas-cn-missing"), 404, "NotFound"),
    ("get_user_certificate_detail", models.GetUserCertificateDetailRequest(cert_id=1), 404, "NotFound"),
    ("cancel_pending_certificate", models.CancelPendingCertificateRequest(instance_id="cas-cn-missing"), 404,
     "NotFound"),
    ("create_contact", models.CreateContactRequest(name="Ops", mobile="call me"), 400, "IncorrectFormat.Mobile"),
    ("list_instances", models.ListInstancesRequest(show_size=500), 400, "InvalidParameter"),
])
def test_sdk_sees_instance_errors(sdk, operation, request_object, status, code):
    with pytest.raises(ClientException) as caught:
        getattr(sdk.cas, operation)(request_object)
    assert (caught.value.status_code, caught.value.code) == (status, code)


def test_sdk_sees_update_protection_and_status_refusals(emu, sdk):
    seeded = emu.control.add_instance(ACCOUNT, "TEST", update_protection=1)
    request = models.UpdateInstanceRequest(instance_id=seeded["instance_id"], domain="www.example.com")
    with pytest.raises(ClientException) as caught:
        sdk.cas.update_instance(request)
    assert caught.value.code == "InvalidStatus.UpdateProtection"
    sdk("update_instance", request)
    with pytest.raises(ClientException) as caught:
        sdk.cas.cancel_pending_certificate(models.CancelPendingCertificateRequest(instance_id=seeded["instance_id"]))
    assert caught.value.code == "OperationDenied.StatusNotSupport"
