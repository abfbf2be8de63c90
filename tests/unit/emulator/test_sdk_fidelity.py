"""Fidelity: Alibaba's own Python SDKs (tea-openapi, V2 signing) must work against the emulator."""

import pytest
from alibabacloud_alidns20150109 import models as dns_models
from alibabacloud_alidns20150109.client import Client as AlidnsClient
from alibabacloud_cas20200407 import models as cas_models
from alibabacloud_cas20200407.client import Client as CasClient
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_tea_openapi.models import Config

# The SDK itself calls datetime.utcnow(); that is not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")


@pytest.fixture
def sdk_config(emu):
    def make() -> Config:
        return Config(access_key_id="LTAI5tEmulatorDemoKey01", access_key_secret="EmulatorDemoSecret0123456789abc",
                      endpoint=f"127.0.0.1:{emu.port}", protocol="https", signature_algorithm="v2",
                      ca=emu.ca_path)  # the tea runtime verifies TLS against Config.ca
    return make


def test_official_sdks_run_the_dns_flow(emu, sdk_config):
    cas = CasClient(sdk_config())
    dns = AlidnsClient(sdk_config())

    created = cas.create_certificate_request(cas_models.CreateCertificateRequestRequest(
        domain="sdk.example.com", email="ops@example.com", phone="13800000000", username="Ops",
        validate_type="DNS"))
    order_id = created.body.order_id
    assert isinstance(order_id, int)

    pending = cas.describe_certificate_state(cas_models.DescribeCertificateStateRequest(order_id=order_id)).body
    assert (pending.type, pending.record_type, pending.record_domain) == ("domain_verify", "TXT", "_dnsauth.sdk")

    added = dns.add_domain_record(dns_models.AddDomainRecordRequest(
        domain_name="example.com", rr=pending.record_domain, type="TXT", value=pending.record_value))
    assert added.body.record_id

    issued = cas.describe_certificate_state(cas_models.DescribeCertificateStateRequest(order_id=order_id)).body
    assert issued.type == "certificate" and issued.certificate.startswith("-----BEGIN CERTIFICATE-----")

    listed = cas.list_user_certificate_order(cas_models.ListUserCertificateOrderRequest()).body
    assert listed.total_count == 1
    assert listed.certificate_order_list[0].order_id == order_id

    records = dns.describe_domain_records(dns_models.DescribeDomainRecordsRequest(domain_name="example.com")).body
    assert records.domain_records.record[0].value == pending.record_value

    calls = emu.control.calls()
    assert all(call["status"] == 200 for call in calls)
    assert {call["method"] for call in calls} == {"POST"}


def test_official_sdk_sees_emulator_errors(sdk_config):
    dns = AlidnsClient(sdk_config())
    with pytest.raises(ClientException) as caught:
        dns.delete_domain_record(dns_models.DeleteDomainRecordRequest(record_id="1"))
    assert caught.value.code == "DomainRecordNotBelongToUser"
    assert caught.value.status_code == 400


def test_official_sdk_wrong_secret_is_a_signature_error(sdk_config):
    config = sdk_config()
    config.access_key_secret = "wrong"
    with pytest.raises(ClientException) as caught:
        CasClient(config).describe_package_state(cas_models.DescribePackageStateRequest())
    assert caught.value.code == "SignatureDoesNotMatch"
