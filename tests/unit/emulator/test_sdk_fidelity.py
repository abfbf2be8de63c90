"""Fidelity: Alibaba's own Python SDKs must work against the emulator, with V2 and V3 signing.

Every action the collection calls, plus GetUserCertificateDetail, goes through
``alibabacloud_cas20200407`` / ``alibabacloud_alidns20150109`` with ``signature_algorithm='v2'``
and with the SDK's default (V3, ``ACS3-HMAC-SHA256``). Each parsed answer is checked against
the SDK's own model: the raw JSON must round-trip through the model unchanged (so every field
name is one the model knows) and every value must have the type the model declares.
"""

import typing

import pytest
from alibabacloud_alidns20150109 import models as dns_models
from alibabacloud_alidns20150109.client import Client as AlidnsClient
from alibabacloud_cas20200407 import models as cas_models
from alibabacloud_cas20200407.client import Client as CasClient
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_tea_openapi.models import Config
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DEMO_ACCOUNT = "1234567890123456"
DEMO_KEY = "LTAI5tEmulatorDemoKey01"
DEMO_SECRET = "EmulatorDemoSecret0123456789abc"
CONTACT = {"email": "ops@example.com", "phone": "13800000000", "username": "Ops"}
EPOCH_MS_2020 = 1_577_836_800_000  # any millisecond timestamp of an issued certificate is above this

# The SDK itself calls datetime.utcnow(); that is not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")


# --- checking answers against the SDK's models ----------------------------------------------------
def _without_empty_lists(value):
    """The models' to_map() writes [] for absent list fields; the wire may omit them."""
    if isinstance(value, dict):
        return {k: _without_empty_lists(v) for k, v in value.items() if v != []}
    if isinstance(value, list):
        return [_without_empty_lists(v) for v in value]
    return value


def type_problems(model, path: str = "body") -> list[str]:
    """Values whose type differs from the annotation in the model's __init__ (recursively)."""
    problems = []
    hints = typing.get_type_hints(type(model).__init__)
    for attribute, hint in hints.items():
        if attribute == "return":
            continue
        value = getattr(model, attribute, None)
        if value is not None:
            problems += _value_problems(value, hint, f"{path}.{attribute}")
    return problems


def _value_problems(value, hint, path: str) -> list[str]:
    origin = typing.get_origin(hint)
    if origin in (list, typing.List):
        if not isinstance(value, list):
            return [f"{path}: {type(value).__name__} where the model has a list"]
        (item_hint,) = typing.get_args(hint)
        return [problem for index, item in enumerate(value)
                for problem in _value_problems(item, item_hint, f"{path}[{index}]")]
    if origin in (dict, typing.Dict):
        return [] if isinstance(value, dict) else [f"{path}: {type(value).__name__} where the model has a dict"]
    if isinstance(hint, type) and hasattr(hint, "from_map"):
        if not isinstance(value, hint):
            return [f"{path}: {type(value).__name__} where the model has {hint.__name__}"]
        return type_problems(value, path)
    # bool is an int in Python; the models keep the two apart (ids are never booleans).
    if hint is int and (isinstance(value, bool) or not isinstance(value, int)):
        return [f"{path}: {value!r} is not an int"]
    if hint is float and not isinstance(value, (int, float)):
        return [f"{path}: {value!r} is not a number"]
    if hint in (str, bool) and not isinstance(value, hint):
        return [f"{path}: {value!r} is not a {hint.__name__}"]
    return []


def assert_matches_model(response, raw: dict) -> None:
    body = response.body
    assert _without_empty_lists(body.to_map()) == _without_empty_lists(raw), \
        "fields the model does not know (or renders differently)"
    assert type_problems(body) == []


class Sdk:
    """Both SDK clients with one signing method; remembers each raw JSON body they parsed."""

    def __init__(self, emu, signing: str, key_id: str = DEMO_KEY, secret: str = DEMO_SECRET,
                 token: str | None = None) -> None:
        self.raw: list[dict] = []
        self.signing = signing
        config = {"access_key_id": key_id, "access_key_secret": secret, "security_token": token,
                  "endpoint": f"127.0.0.1:{emu.port}", "protocol": "https",
                  "ca": emu.ca_path}  # the tea runtime verifies TLS against Config.ca
        if signing == "v2":
            config["signature_algorithm"] = "v2"
        self.cas = self._recording(CasClient(Config(**config)))
        self.dns = self._recording(AlidnsClient(Config(**config)))

    def _recording(self, client):
        call_api = client.call_api

        def recorded(params, request, runtime):
            result = call_api(params, request, runtime)
            self.raw.append(result["body"])
            return result
        client.call_api = recorded
        return client

    def checked(self, response):
        """The response, after its body was checked against its model."""
        assert_matches_model(response, self.raw[-1])
        return response.body


@pytest.fixture(params=["v2", "v3"])
def signing(request):
    return request.param


@pytest.fixture
def sdk(emu, signing):
    return Sdk(emu, signing)


def make_csr(common_name: str) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def assert_signed_with(emu, signing: str) -> None:
    calls = emu.control.calls()
    assert calls and {call["signature_version"] for call in calls} == {signing}
    assert {call["method"] for call in calls} == {"POST"}


# --- the model checker itself ---------------------------------------------------------------------
def test_model_check_catches_wrong_types_and_unknown_names():
    body = cas_models.ListUserCertificateOrderResponseBody().from_map({
        "TotalCount": "1", "CertificateOrderList": [{"OrderId": 1, "CertEndTime": True}]})
    assert type_problems(body) == ["body.certificate_order_list[0].cert_end_time: True is not an int",
                                   "body.total_count: '1' is not an int"]
    response = cas_models.DescribePackageStateResponse().from_map(
        {"body": {"TotalCount": 1, "Totalcount": 2}})
    with pytest.raises(AssertionError, match="fields the model does not know"):
        assert_matches_model(response, {"TotalCount": 1, "Totalcount": 2})


# --- CAS ------------------------------------------------------------------------------------------
def test_cas_dns_order_from_quota_to_certificate_detail(emu, sdk, signing):
    package = sdk.checked(sdk.cas.describe_package_state(cas_models.DescribePackageStateRequest()))
    assert (package.product_code, package.total_count, package.used_count) == ("digicert-free-1-free", 20, 0)

    created = sdk.checked(sdk.cas.create_certificate_request(cas_models.CreateCertificateRequestRequest(
        domain="sdk.example.com", validate_type="DNS", **CONTACT,
        tags=[cas_models.CreateCertificateRequestRequestTags(key="team", value="web ops")])))
    order_id = created.order_id
    assert isinstance(order_id, int) and order_id > 2 ** 53  # 17 digits: an int, never a float

    request = cas_models.DescribeCertificateStateRequest(order_id=order_id)
    pending = sdk.checked(sdk.cas.describe_certificate_state(request))
    assert (pending.type, pending.validate_type, pending.record_type, pending.record_domain) == \
        ("domain_verify", "DNS", "TXT", "_dnsauth.sdk")

    added = sdk.checked(sdk.dns.add_domain_record(dns_models.AddDomainRecordRequest(
        domain_name="example.com", rr=pending.record_domain, type="TXT", value=pending.record_value)))
    assert isinstance(added.record_id, str) and added.record_id

    issued = sdk.checked(sdk.cas.describe_certificate_state(request))
    assert issued.type == "certificate"
    assert issued.certificate.count("-----BEGIN CERTIFICATE-----") == 2
    assert issued.private_key.startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert isinstance(issued.cert_id, str) and issued.cert_id.isdigit()

    listed = sdk.checked(sdk.cas.list_user_certificate_order(cas_models.ListUserCertificateOrderRequest(
        keyword="sdk.example.com", status="ISSUED")))
    assert (listed.total_count, listed.current_page, listed.show_size) == (1, 1, 50)
    (item,) = listed.certificate_order_list
    assert (item.order_id, item.domain, item.status, item.instance_id) == \
        (order_id, "sdk.example.com", "ISSUED", item.instance_id)
    assert item.cert_start_time > EPOCH_MS_2020 and item.cert_end_time > item.cert_start_time

    detail = sdk.checked(sdk.cas.get_user_certificate_detail(
        cas_models.GetUserCertificateDetailRequest(cert_id=int(issued.cert_id))))
    assert (detail.id, detail.order_id, detail.common, detail.sans) == \
        (int(issued.cert_id), order_id, "sdk.example.com", "sdk.example.com")
    assert (detail.cert, detail.key) == (issued.certificate, issued.private_key)
    assert (detail.not_before, detail.not_after) == (item.cert_start_time, item.cert_end_time)
    assert detail.expired is False and detail.buy_in_aliyun is True
    leaf = x509.load_pem_x509_certificate(detail.cert.encode())
    assert detail.sha_2 == leaf.fingerprint(hashes.SHA256()).hex()
    assert int(detail.serial_no, 16) == leaf.serial_number
    assert [(c.common_name, c.remain_day > 80) for c in detail.cert_chain][0] == ("sdk.example.com", True)
    assert [(t.tag_key, t.tag_value) for t in detail.tags] == [("team", "web ops")]

    filtered = sdk.checked(sdk.cas.get_user_certificate_detail(
        cas_models.GetUserCertificateDetailRequest(cert_id=int(issued.cert_id), cert_filter=True)))
    assert (filtered.cert, filtered.key, filtered.id) == (None, None, detail.id)

    package = sdk.checked(sdk.cas.describe_package_state(cas_models.DescribePackageStateRequest()))
    assert (package.used_count, package.issued_count) == (1, 1)
    assert_signed_with(emu, signing)


def test_cas_csr_order_cancel_delete_and_detail_without_key(emu, sdk, signing):
    csr = make_csr("csr.example.com")
    cancelled = sdk.checked(sdk.cas.create_certificate_with_csr_request(
        cas_models.CreateCertificateWithCsrRequestRequest(csr=csr, validate_type="DNS", **CONTACT))).order_id
    assert isinstance(cancelled, int)
    assert sdk.checked(sdk.cas.cancel_order_request(cas_models.CancelOrderRequestRequest(order_id=cancelled))) \
        .request_id
    state = sdk.checked(sdk.cas.describe_certificate_state(
        cas_models.DescribeCertificateStateRequest(order_id=cancelled)))
    assert state.type == "payed"
    listed = sdk.checked(sdk.cas.list_user_certificate_order(cas_models.ListUserCertificateOrderRequest()))
    assert [(o.order_id, o.status) for o in listed.certificate_order_list] == [(cancelled, "PAYED")]
    sdk.checked(sdk.cas.delete_certificate_request(cas_models.DeleteCertificateRequestRequest(order_id=cancelled)))
    listed = sdk.checked(sdk.cas.list_user_certificate_order(cas_models.ListUserCertificateOrderRequest()))
    assert (listed.total_count, listed.certificate_order_list) == (0, [])

    kept = sdk.checked(sdk.cas.create_certificate_with_csr_request(
        cas_models.CreateCertificateWithCsrRequestRequest(csr=csr, validate_type="DNS", **CONTACT))).order_id
    emu.control.set_order_state(kept, "certificate")
    issued = sdk.checked(sdk.cas.describe_certificate_state(cas_models.DescribeCertificateStateRequest(order_id=kept)))
    assert issued.private_key is None
    detail = sdk.checked(sdk.cas.get_user_certificate_detail(
        cas_models.GetUserCertificateDetailRequest(cert_id=int(issued.cert_id))))
    assert (detail.cert, detail.key, detail.algorithm) == (issued.certificate, None, "ECC")
    assert_signed_with(emu, signing)


# --- Alidns ---------------------------------------------------------------------------------------
def test_alidns_record_life_cycle(emu, sdk, signing):
    zones = sdk.checked(sdk.dns.describe_domains(dns_models.DescribeDomainsRequest()))
    assert (zones.total_count, [d.domain_name for d in zones.domains.domain]) == (1, ["example.com"])

    main = sdk.checked(sdk.dns.get_main_domain_name(dns_models.GetMainDomainNameRequest(
        input_string="www.example.com")))
    assert (main.domain_name, main.rr, main.domain_level) == ("example.com", "www", 2)

    record_id = sdk.checked(sdk.dns.add_domain_record(dns_models.AddDomainRecordRequest(
        domain_name="example.com", rr="www", type="A", value="192.0.2.1", ttl=600))).record_id
    updated = sdk.checked(sdk.dns.update_domain_record(dns_models.UpdateDomainRecordRequest(
        record_id=record_id, rr="www", type="A", value="192.0.2.2", ttl=1200)))
    assert updated.record_id == record_id

    records = sdk.checked(sdk.dns.describe_domain_records(dns_models.DescribeDomainRecordsRequest(
        domain_name="example.com")))
    (record,) = records.domain_records.record
    assert (record.record_id, record.rr, record.value, record.ttl, record.locked, record.status) == \
        (record_id, "www", "192.0.2.2", 1200, False, "ENABLE")
    assert record.update_timestamp >= record.create_timestamp > EPOCH_MS_2020
    assert (records.total_count, records.page_number, records.page_size) == (1, 1, 20)

    sub = sdk.checked(sdk.dns.describe_sub_domain_records(dns_models.DescribeSubDomainRecordsRequest(
        sub_domain="www.example.com")))
    assert (sub.total_count, [r.record_id for r in sub.domain_records.record]) == (1, [record_id])

    deleted = sdk.checked(sdk.dns.delete_domain_record(dns_models.DeleteDomainRecordRequest(record_id=record_id)))
    assert deleted.record_id == record_id

    for value in ("token-one", "token-two"):
        sdk.checked(sdk.dns.add_domain_record(dns_models.AddDomainRecordRequest(
            domain_name="example.com", rr="_acme-challenge", type="TXT", value=value)))
    swept = sdk.checked(sdk.dns.delete_sub_domain_records(dns_models.DeleteSubDomainRecordsRequest(
        domain_name="example.com", rr="_acme-challenge", type="TXT")))
    assert (swept.rr, swept.total_count) == ("_acme-challenge", "2")  # TotalCount is a str in this model
    empty = sdk.checked(sdk.dns.describe_domain_records(dns_models.DescribeDomainRecordsRequest(
        domain_name="example.com")))
    assert empty.total_count == 0
    assert_signed_with(emu, signing)


# --- errors ---------------------------------------------------------------------------------------
def _new_order(sdk) -> int:
    return sdk.cas.create_certificate_request(cas_models.CreateCertificateRequestRequest(
        domain="err.example.com", validate_type="DNS", **CONTACT)).body.order_id


def _other_account_zone(emu):
    emu.control.add_account("9999999999999999", "LTAIOtherAccount01", "other-secret")
    emu.control.add_zone("9999999999999999", "example.net")


ERROR_CASES = {
    "NotFoundOrder": (404, lambda emu, sdk: sdk.cas.describe_certificate_state(
        cas_models.DescribeCertificateStateRequest(order_id=1))),
    "OrderStateError": (403, lambda emu, sdk: sdk.cas.delete_certificate_request(
        cas_models.DeleteCertificateRequestRequest(order_id=_new_order(sdk)))),
    "NotFoundPackage": (404, lambda emu, sdk: sdk.cas.create_certificate_request(
        cas_models.CreateCertificateRequestRequest(domain="x.example.com", validate_type="DNS",
                                                   product_code="geotrust-dv-1-starter", **CONTACT))),
    "NotRemainCount": (404, lambda emu, sdk: (
        emu.control.set_quota(DEMO_ACCOUNT, "digicert-free-1-free", total=1, used=1),
        sdk.cas.create_certificate_request(cas_models.CreateCertificateRequestRequest(
            domain="x.example.com", validate_type="DNS", **CONTACT)))),
    "MissingParameter": (400, lambda emu, sdk: sdk.cas.create_certificate_request(
        cas_models.CreateCertificateRequestRequest(validate_type="DNS", **CONTACT))),
    "InvalidParameter": (400, lambda emu, sdk: sdk.cas.create_certificate_request(
        cas_models.CreateCertificateRequestRequest(domain="x.example.com", validate_type="EMAIL", **CONTACT))),
    "NotFound": (404, lambda emu, sdk: sdk.cas.get_user_certificate_detail(
        cas_models.GetUserCertificateDetailRequest(cert_id=1))),
    "DomainRecordNotBelongToUser": (400, lambda emu, sdk: sdk.dns.delete_domain_record(
        dns_models.DeleteDomainRecordRequest(record_id="1"))),
    "DomainRecordDuplicate": (400, lambda emu, sdk: [sdk.dns.add_domain_record(dns_models.AddDomainRecordRequest(
        domain_name="example.com", rr="dup", type="TXT", value="same")) for _attempt in range(2)]),
    "InvalidDomainName.NoExist": (400, lambda emu, sdk: sdk.dns.describe_domain_records(
        dns_models.DescribeDomainRecordsRequest(domain_name="nowhere-hosted.org"))),
    "IncorrectDomainUser": (400, lambda emu, sdk: (_other_account_zone(emu), sdk.dns.add_domain_record(
        dns_models.AddDomainRecordRequest(domain_name="example.net", rr="www", type="A", value="192.0.2.1")))),
    "SignatureDoesNotMatch": (400, lambda emu, sdk: Sdk(emu, sdk.signing, secret="wrong").cas.describe_package_state(
        cas_models.DescribePackageStateRequest())),
    "InvalidAccessKeyId.NotFound": (404, lambda emu, sdk: Sdk(emu, sdk.signing, key_id="LTAINoSuchKey").dns
                                    .describe_domains(dns_models.DescribeDomainsRequest())),
    "InvalidSecurityToken.Expired": (400, lambda emu, sdk: (
        emu.control.add_sts(DEMO_ACCOUNT, "STS.Old", "sts-secret", "token-old", expired=True),
        Sdk(emu, sdk.signing, "STS.Old", "sts-secret", "token-old").cas.describe_package_state(
            cas_models.DescribePackageStateRequest()))),
}


@pytest.mark.parametrize("code", sorted(ERROR_CASES))
def test_sdk_raises_the_documented_error(emu, sdk, signing, code):
    status, action = ERROR_CASES[code]
    with pytest.raises(ClientException) as caught:
        action(emu, sdk)
    error = caught.value
    assert (error.code, error.status_code) == (code, status)
    last = emu.control.calls()[-1]
    assert (last["error_code"], last["signature_version"]) == (code, signing)
    assert error.request_id == last["request_id"]
    assert error.data["HostId"] in ("cas.aliyuncs.com", "alidns.aliyuncs.com")


def test_sts_credentials_work_with_the_sdk(emu, signing):
    emu.control.add_sts(DEMO_ACCOUNT, "STS.Good", "sts-secret", "token-good")
    sts = Sdk(emu, signing, "STS.Good", "sts-secret", "token-good")
    assert sts.checked(sts.cas.describe_package_state(cas_models.DescribePackageStateRequest())).total_count == 20
    assert emu.control.calls()[-1]["access_key_id"] == "STS.Good"
