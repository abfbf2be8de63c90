"""The emulator's CAS V2.0 instances: seeding, the state machine, contacts, errors, switches.

Every answer is also checked against the official SDK's model of it (types included).
"""

import datetime
import time

import pytest
from alibabacloud_cas20200407 import models
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.emulator.instances import InstanceService, mask_email, mask_mobile
from tests.emulator.state import Caller, State
from tests.unit.emulator.sdk_models import assert_matches

ACCOUNT = "1234567890123456"


@pytest.fixture
def v2(emu):
    """The demo keys on seed ``v2``, with no waiting unless a test asks for it."""
    emu.control.reset("v2")
    emu.control.settings(instance_validation_delay=0, instance_cancel_delay=0)
    return emu


def instances(api, **filters):
    body = api.ok(api.cas("ListInstances", ShowSize=100, **filters))
    assert_matches(body, models.ListInstancesResponseBody)
    return body["InstanceList"]


def inactive(api, instance_type="TEST", wildcard=False):
    for item in instances(api, Status="inactive", InstanceType=instance_type):
        if (item["WildcardDomainCount"] > 0) == wildcard:
            return item["InstanceId"]
    raise AssertionError("no such inactive instance")


def detail(api, instance_id):
    body = api.ok(api.cas("GetInstanceDetail", InstanceId=instance_id))
    assert_matches(body, models.GetInstanceDetailResponseBody)
    return body


def contact(api, name="Ops", mobile="13800000078", email="ops@example.com", **extra):
    body = api.ok(api.cas("CreateContact", Name=name, Mobile=mobile, Email=email, **extra))
    assert_matches(body, models.CreateContactResponseBody)
    return body["ContactId"]


def prepare(api, instance_id, domain="www.example.com", **params):
    params.setdefault("ContactIdList.1", contact(api, name=f"Ops {instance_id}"))
    body = api.ok(api.cas("UpdateInstance", InstanceId=instance_id, Domain=domain, **params))
    assert_matches(body, models.UpdateInstanceResponseBody)


def apply(api, instance_id, **params):
    body = api.ok(api.cas("ApplyCertificate", InstanceId=instance_id, **params))
    assert_matches(body, models.ApplyCertificateResponseBody)


def publish(api, validations):
    for item in validations:
        api.ok(api.dns("AddDomainRecord", DomainName=item["RootDomain"], RR=item["ValidationKey"],
                       Type=item["ValidationType"], Value=item["ValidationValue"]))


def issue(api, instance_id, domain="www.example.com", **params):
    prepare(api, instance_id, domain, **params)
    apply(api, instance_id)
    publish(api, detail(api, instance_id)["DomainValidationList"])
    issued = detail(api, instance_id)
    assert (issued["Status"], issued["CertificateStatus"]) == ("normal", "issued")
    return issued


def user_certificate(api, certificate_id, **params):
    body = api.ok(api.cas("GetUserCertificateDetail", CertId=certificate_id, **params))
    assert_matches(body, models.GetUserCertificateDetailResponseBody)
    return body


def error(api, action, status=400, **params):
    return api.error(api.cas(action, **params), status)


# --- seeding ------------------------------------------------------------------------------------
def test_seed_v2_has_instances_of_both_types_and_specs_and_no_v1_quota(v2, api):
    listed = instances(api)
    kinds = sorted((i["InstanceType"], i["FullDomainCount"], i["WildcardDomainCount"]) for i in listed)
    assert kinds == [("BUY", 0, 1), ("BUY", 1, 0), ("TEST", 1, 0), ("TEST", 1, 0)]
    assert all(i["Status"] == "inactive" and i["InstanceStartTime"] < i["InstanceEndTime"] for i in listed)
    assert api.ok(api.cas("DescribePackageState"))["TotalCount"] == 0
    assert error(api, "CreateCertificateRequest", 404, Domain="www.example.com", Email="ops@example.com",
                 Phone="13800000000", Username="Ops", ValidateType="DNS") == "NotFoundPackage"
    state = v2.control.state()
    assert sorted(i["instance_id"] for i in state["instances"]) == sorted(i["InstanceId"] for i in listed)


def test_demo_seed_has_no_instances(emu, api):
    assert instances(api) == []


def test_control_seeds_an_instance_with_dates(v2, api):
    start = datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc)
    seeded = v2.control.add_instance(ACCOUNT, "BUY", "wildcard", start=start.isoformat(), end=1830000000)
    listed = {i["InstanceId"]: i for i in instances(api)}[seeded["instance_id"]]
    assert listed["InstanceStartTime"] == int(start.timestamp()) * 1000
    assert listed["InstanceEndTime"] == 1830000000 * 1000
    assert (listed["InstanceType"], listed["WildcardDomainCount"]) == ("BUY", 1)


@pytest.mark.parametrize("body", [{"instance_type": "GIFT"}, {"spec": "multi"}, {"colour": "red"},
                                  {"status": "pending"}])
def test_control_refuses_bad_instances(v2, body):
    response = v2.control._session.post(f"{v2.control_url}/instances", json={"account_id": ACCOUNT, **body},
                                        verify=v2.ca_path, timeout=10)
    assert response.status_code == 400


@pytest.mark.parametrize("setting", [{"instance_time_unit": "us"}, {"instance_cancel_status": "refund"},
                                     {"instance_validation_delay": -1}])
def test_control_refuses_bad_instance_settings(v2, setting):
    response = v2.control._session.post(f"{v2.control_url}/settings", json=setting, verify=v2.ca_path, timeout=10)
    assert response.status_code == 400


def test_an_instance_past_its_end_is_expired(v2, api):
    seeded = v2.control.add_instance(ACCOUNT, "TEST", start=time.time() - 200 * 86400, end=time.time() - 10)
    assert detail(api, seeded["instance_id"])["Status"] == "expired"


# --- the state machine ----------------------------------------------------------------------------
def test_apply_publish_issue(v2, api):
    instance_id = inactive(api)
    before = detail(api, instance_id)
    assert "DomainValidationList" not in before and before["CertificateStatus"] == ""
    prepare(api, instance_id, "WWW.example.com")
    apply(api, instance_id)
    pending = detail(api, instance_id)
    assert pending["Status"] == "pending" and pending["Domain"] == "www.example.com"
    (record,) = pending["DomainValidationList"]
    assert (record["Domain"], record["RootDomain"], record["ValidationType"], record["ValidationKey"]) == (
        "www.example.com", "example.com", "TXT", "_dnsauth.www")
    publish(api, [record])
    issued = detail(api, instance_id)
    assert (issued["Status"], issued["CertificateStatus"]) == ("normal", "issued")
    assert "DomainValidationList" not in issued
    assert issued["CertIdentifier"] == f"{issued['CertificateId']}-cn-hangzhou"

    cert = user_certificate(api, issued["CertificateId"])
    leaf = x509.load_pem_x509_certificate(cert["Cert"].encode())
    issuer = x509.load_pem_x509_certificate(v2.ca.intermediate_pem.encode())
    leaf.verify_directly_issued_by(issuer)
    assert leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName) == ["www.example.com"]
    key = serialization.load_pem_private_key(cert["Key"].encode(), None)
    assert key.public_key().public_numbers() == leaf.public_key().public_numbers()
    assert cert["InstanceId"] == instance_id and cert["NotAfter"] == issued["CertificateNotAfter"]
    assert cert["NotAfter"] == int(leaf.not_valid_after_utc.timestamp()) * 1000
    assert [c["CommonName"] for c in cert["CertChain"]] == ["www.example.com", "Emulator DV TLS Issuing CA"]
    assert cert["Cert"].endswith(v2.ca.intermediate_pem)


def test_fractional_validity_days_for_instances(v2, api):
    # 30.0003 days is 30 days and 25.92 s, which X.509 time holds as 26 s.
    # Not issue(): whether the certificate counts as willExpire depends on the seconds the
    # test takes, and is not the point here.
    v2.control.settings(validity_days=30.0003)
    instance_id = inactive(api)
    prepare(api, instance_id)
    apply(api, instance_id)
    publish(api, detail(api, instance_id)["DomainValidationList"])
    issued = detail(api, instance_id)
    leaf = x509.load_pem_x509_certificate(user_certificate(api, issued["CertificateId"])["Cert"].encode())
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc == datetime.timedelta(days=30, seconds=26)


def test_records_appear_only_after_the_delay(v2, api):
    v2.control.settings(instance_validation_delay=0.4)
    instance_id = inactive(api)
    prepare(api, instance_id)
    apply(api, instance_id)
    early = detail(api, instance_id)
    assert early["Status"] == "pending" and "DomainValidationList" not in early
    time.sleep(0.45)
    assert len(detail(api, instance_id)["DomainValidationList"]) == 1


@pytest.mark.parametrize("where", ["wrong value", "wrong name"])
def test_a_wrong_record_does_not_validate(v2, api, where):
    instance_id = inactive(api)
    prepare(api, instance_id)
    apply(api, instance_id)
    (record,) = detail(api, instance_id)["DomainValidationList"]
    if where == "wrong value":
        record = {**record, "ValidationValue": "not-the-token"}
    else:
        record = {**record, "ValidationKey": "_dnsauth"}
    publish(api, [record])
    assert detail(api, instance_id)["Status"] == "pending"


def test_review_hides_the_records_until_issuance(v2, api):
    v2.control.settings(issue_delay=0.4)
    instance_id = inactive(api)
    prepare(api, instance_id)
    apply(api, instance_id)
    publish(api, detail(api, instance_id)["DomainValidationList"])
    reviewing = detail(api, instance_id)
    assert reviewing["Status"] == "pending" and "DomainValidationList" not in reviewing
    time.sleep(0.45)
    assert detail(api, instance_id)["CertificateStatus"] == "issued"


def test_wildcard_with_its_bare_name_validates_once_and_covers_both(v2, api):
    instance_id = inactive(api, "BUY", wildcard=True)
    prepare(api, instance_id, "*.example.com,example.com")
    apply(api, instance_id)
    (record,) = detail(api, instance_id)["DomainValidationList"]
    assert (record["Domain"], record["ValidationKey"]) == ("*.example.com", "_dnsauth")
    publish(api, [record])
    issued = detail(api, instance_id)
    cert = user_certificate(api, issued["CertificateId"])
    assert cert["Sans"] == "*.example.com,example.com" and cert["Common"] == "*.example.com"


def test_multi_domain_spec_validates_every_name(v2, api):
    seeded = v2.control.add_instance(ACCOUNT, "BUY", full_domain_count=2)
    prepare(api, seeded["instance_id"], "a.example.com,b.example.com")
    apply(api, seeded["instance_id"])
    records = detail(api, seeded["instance_id"])["DomainValidationList"]
    assert [r["ValidationKey"] for r in records] == ["_dnsauth.a", "_dnsauth.b"]
    publish(api, records[:1])
    assert detail(api, seeded["instance_id"])["Status"] == "pending"
    publish(api, records[1:])
    issued = detail(api, seeded["instance_id"])
    assert user_certificate(api, issued["CertificateId"])["Sans"] == "a.example.com,b.example.com"


def test_http_validation_passes_on_the_published_file(v2, api):
    instance_id = inactive(api)
    prepare(api, instance_id, ValidationMethod="HTTP")
    apply(api, instance_id)
    (record,) = detail(api, instance_id)["DomainValidationList"]
    assert (record["ValidationType"], record["ValidationKey"]) == ("HTTP", "/.well-known/pki-validation/fileauth.txt")
    v2.control.publish_file("www.example.com", record["ValidationKey"], record["ValidationValue"])
    assert detail(api, instance_id)["CertificateStatus"] == "issued"


def test_http_validation_passes_on_the_file_under_a_web_root(v2, api, tmp_path):
    instance_id = inactive(api)
    prepare(api, instance_id, ValidationMethod="HTTP")
    apply(api, instance_id)
    (record,) = detail(api, instance_id)["DomainValidationList"]
    v2.control.add_webroot("www.example.com", str(tmp_path))
    served = tmp_path / record["ValidationKey"].lstrip("/")
    served.parent.mkdir(parents=True)
    served.write_text("someone else's token\n", encoding="utf-8")
    assert detail(api, instance_id)["Status"] == "pending"
    served.write_text(record["ValidationValue"] + "\n", encoding="utf-8")
    assert detail(api, instance_id)["CertificateStatus"] == "issued"


def test_ecc_key_and_cert_filter(v2, api):
    issued = issue(api, inactive(api), KeyAlgorithm="ECC_256")
    cert = user_certificate(api, issued["CertificateId"])
    assert cert["Algorithm"] == "ECC"
    assert isinstance(serialization.load_pem_private_key(cert["Key"].encode(), None), ec.EllipticCurvePrivateKey)
    filtered = user_certificate(api, issued["CertificateId"], CertFilter="true")
    assert "Cert" not in filtered and "Key" not in filtered


def _csr(common_name):
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
           .sign(key, hashes.SHA256()))
    return key, csr.public_bytes(serialization.Encoding.PEM).decode()


def test_uploaded_csr_keeps_its_key_and_returns_none(v2, api):
    instance_id = inactive(api)
    key, csr = _csr("csr.example.com")
    ops = contact(api)
    api.ok(api.cas("UpdateInstance", InstanceId=instance_id, GenerateCsrMethod="upload", Csr=csr,
                   **{"ContactIdList.1": ops}))
    assert detail(api, instance_id)["Domain"] == "csr.example.com"
    apply(api, instance_id)
    publish(api, detail(api, instance_id)["DomainValidationList"])
    cert = user_certificate(api, detail(api, instance_id)["CertificateId"])
    leaf = x509.load_pem_x509_certificate(cert["Cert"].encode())
    assert leaf.public_key().public_numbers() == key.public_key().public_numbers()
    assert "Key" not in cert


def test_csr_contradicting_the_domain_is_refused(v2, api):
    _key, csr = _csr("other.example.com")
    assert error(api, "UpdateInstance", InstanceId=inactive(api), GenerateCsrMethod="upload", Csr=csr,
                 Domain="www.example.com") == "InvalidParameter"


@pytest.mark.parametrize("domain", ["*.example.com", "a.example.com,b.example.com", "192.0.2.1"])
def test_names_outside_the_spec_are_refused(v2, api, domain):
    assert error(api, "UpdateInstance", InstanceId=inactive(api), Domain=domain) == "InvalidParameter"


@pytest.mark.parametrize("params", [{"KeyAlgorithm": "SM2"}, {"ValidationMethod": "EMAIL"},
                                    {"ContactIdList.1": "999"}, {"GenerateCsrMethod": "upload"}])
def test_bad_application_fields_are_refused(v2, api, params):
    assert error(api, "UpdateInstance", InstanceId=inactive(api), Domain="www.example.com", **params) == \
        "InvalidParameter"


def test_update_is_refused_outside_inactive(v2, api):
    instance_id = inactive(api)
    prepare(api, instance_id)
    apply(api, instance_id)
    assert error(api, "UpdateInstance", InstanceId=instance_id, Domain="shop.example.com") == \
        "OperationDenied.StatusNotSupport"
    publish(api, detail(api, instance_id)["DomainValidationList"])
    assert detail(api, instance_id)["Status"] == "normal"
    assert error(api, "UpdateInstance", InstanceId=instance_id, Domain="shop.example.com") == \
        "OperationDenied.StatusNotSupport"
    assert detail(api, instance_id)["Domain"] == "www.example.com"


def test_update_protection_is_transient(v2, api):
    seeded = v2.control.add_instance(ACCOUNT, "TEST", update_protection=2)
    for _attempt in range(2):
        assert error(api, "UpdateInstance", InstanceId=seeded["instance_id"], Domain="www.example.com") == \
            "InvalidStatus.UpdateProtection"
    assert detail(api, seeded["instance_id"])["Domain"] == ""
    prepare(api, seeded["instance_id"])
    assert detail(api, seeded["instance_id"])["Domain"] == "www.example.com"


def test_update_changes_only_what_it_names(v2, api):
    instance_id = inactive(api)
    prepare(api, instance_id, KeyAlgorithm="RSA_3072", CertificateName="web",
            **{"Tags.1.TagKey": "env", "Tags.1.TagValue": "test"})
    api.ok(api.cas("UpdateInstance", InstanceId=instance_id, ValidationMethod="HTTP"))
    now = detail(api, instance_id)
    assert (now["Domain"], now["KeyAlgorithm"], now["CertificateName"], now["ValidationMethod"]) == (
        "www.example.com", "RSA_3072", "web", "HTTP")
    assert now["Tags"] == [{"TagKey": "env", "TagValue": "test"}] and len(now["ContactIdList"]) == 1


@pytest.mark.parametrize("missing", ["Domain", "ContactIdList"])
def test_an_incomplete_application_is_refused(v2, api, missing):
    instance_id = inactive(api)
    if missing == "ContactIdList":
        api.ok(api.cas("UpdateInstance", InstanceId=instance_id, Domain="www.example.com"))
    else:
        api.ok(api.cas("UpdateInstance", InstanceId=instance_id, **{"ContactIdList.1": contact(api)}))
    assert error(api, "ApplyCertificate", InstanceId=instance_id) == "InvalidParameter"
    assert detail(api, instance_id)["Status"] == "inactive"


def test_apply_on_a_pending_instance_is_refused(v2, api):
    instance_id = inactive(api)
    prepare(api, instance_id)
    apply(api, instance_id)
    assert error(api, "ApplyCertificate", InstanceId=instance_id) == "OperationDenied.StatusNotSupport"


@pytest.mark.parametrize("action", ["GetInstanceDetail", "UpdateInstance", "ApplyCertificate",
                                    "CancelPendingCertificate"])
def test_unknown_or_foreign_instance_is_not_found(v2, api, make_api, action):
    assert error(api, action, 404, InstanceId="cas-cn-nonexistent") == "NotFound"
    v2.control.add_account("999", "LTAI5tOtherAccountKey", "OtherSecret")
    other = make_api("LTAI5tOtherAccountKey", "OtherSecret")
    assert error(other, action, 404, InstanceId=inactive(api)) == "NotFound"


def test_unknown_certificate_is_not_found(v2, api, make_api):
    assert error(api, "GetUserCertificateDetail", 404, CertId=424242) == "NotFound"
    issued = issue(api, inactive(api))
    v2.control.add_account("999", "LTAI5tOtherAccountKey", "OtherSecret")
    other = make_api("LTAI5tOtherAccountKey", "OtherSecret")
    assert error(other, "GetUserCertificateDetail", 404, CertId=issued["CertificateId"]) == "NotFound"


def test_a_v1_user_certificate_detail_keeps_serving_its_own_ids():
    service = InstanceService(State(), issuing_ca=None)
    seen = []
    actions = {"GetUserCertificateDetail": lambda caller, params: seen.append(params["CertId"]) or {"Id": 7}}
    service.register(actions)
    assert actions["GetUserCertificateDetail"](Caller(ACCOUNT, "key"), {"CertId": "7"}) == {"Id": 7}
    assert seen == ["7"] and actions["ListInstances"] == service.list_instances


# --- cancel ------------------------------------------------------------------------------------
@pytest.mark.parametrize("after", ["normal", "inactive"])
def test_cancel_is_asynchronous_and_ends_in_the_configured_status(v2, api, after):
    v2.control.settings(instance_cancel_delay=0.4, instance_cancel_status=after)
    instance_id = inactive(api)
    prepare(api, instance_id)
    apply(api, instance_id)
    body = api.ok(api.cas("CancelPendingCertificate", InstanceId=instance_id))
    assert_matches(body, models.CancelPendingCertificateResponseBody)
    assert detail(api, instance_id)["Status"] == "pending"
    assert error(api, "CancelPendingCertificate", InstanceId=instance_id) == "OperationDenied.StatusNotSupport"
    time.sleep(0.45)
    withdrawn = detail(api, instance_id)
    assert withdrawn["Status"] == after and "DomainValidationList" not in withdrawn
    assert withdrawn["CertificateStatus"] == ""
    if after == "inactive":
        apply(api, instance_id)
        assert detail(api, instance_id)["Status"] == "pending"
    else:
        assert error(api, "ApplyCertificate", InstanceId=instance_id) == "OperationDenied.StatusNotSupport"


def test_cancel_is_refused_right_after_apply_and_when_nothing_is_pending(v2, api):
    v2.control.settings(instance_validation_delay=0.4)
    instance_id = inactive(api)
    assert error(api, "CancelPendingCertificate", InstanceId=instance_id) == "OperationDenied.StatusNotSupport"
    prepare(api, instance_id)
    apply(api, instance_id)
    assert error(api, "CancelPendingCertificate", InstanceId=instance_id) == "OperationDenied.StatusNotSupport"
    time.sleep(0.45)
    api.ok(api.cas("CancelPendingCertificate", InstanceId=instance_id))


def test_cancel_after_issuance_is_refused(v2, api):
    issued = issue(api, inactive(api))
    assert error(api, "CancelPendingCertificate", InstanceId=issued["InstanceId"]) == \
        "OperationDenied.StatusNotSupport"


# --- switches ----------------------------------------------------------------------------------
@pytest.mark.parametrize("unit, factor", [("ms", 1000), ("s", 1)])
def test_time_unit_switch(v2, api, unit, factor):
    v2.control.settings(instance_time_unit=unit)
    seeded = v2.control.add_instance(ACCOUNT, "TEST", start=1790000000, end=1800000000)
    issued = issue(api, seeded["instance_id"])
    assert (issued["InstanceStartTime"], issued["OrderEndTime"]) == (1790000000 * factor, 1800000000 * factor)
    cert = user_certificate(api, issued["CertificateId"])
    leaf = x509.load_pem_x509_certificate(cert["Cert"].encode())
    assert issued["CertificateNotAfter"] == cert["NotAfter"] == int(leaf.not_valid_after_utc.timestamp()) * factor


@pytest.mark.parametrize("honoured", [True, False])
def test_client_token_switch(v2, api, honoured):
    v2.control.settings(client_token_honoured=honoured)
    instance_id = inactive(api)
    prepare(api, instance_id)
    apply(api, instance_id, ClientToken="run-1")
    repeat = api.cas("ApplyCertificate", InstanceId=instance_id, ClientToken="run-1")
    if honoured:
        api.ok(repeat)
    else:
        assert api.error(repeat, 400) == "OperationDenied.StatusNotSupport"
    assert error(api, "ApplyCertificate", InstanceId=instance_id, ClientToken="run-2") == \
        "OperationDenied.StatusNotSupport"

    first = contact(api, name="Token", ClientToken="contact-1")
    again = api.cas("CreateContact", Name="Token", Mobile="13800000078", ClientToken="contact-1")
    if honoured:
        assert api.ok(again)["ContactId"] == first
    else:
        assert api.error(again, 400) == "AlreadyExists.Name"
    assert len(api.ok(api.cas("ListContact", Keyword="Token"))["ContactList"]) == 1


# --- contacts ----------------------------------------------------------------------------------
def test_contacts_are_listed_masked_with_paging_and_keyword(v2, api):
    first = contact(api, "Ops", "13800000078", "ops@example.com",
                    Webhooks='["https://oapi.dingtalk.com/robot/send?access_token=x"]')
    contact(api, "Dev", "13900000011", "dev@example.com")
    body = api.ok(api.cas("ListContact", ShowSize=1))
    assert_matches(body, models.ListContactResponseBody)
    assert body["TotalCount"] == 2 and len(body["ContactList"]) == 1
    (ops,) = api.ok(api.cas("ListContact", Keyword="op"))["ContactList"]
    assert (ops["ContactId"], ops["Mobile"], ops["Email"]) == (first, "138******78", "o**@example.com")
    assert ops["WebhookList"] == ["https://oapi.dingtalk.com/robot/send?access_token=x"]
    assert v2.control.state()["contacts"][0]["mobile"] == "13800000078"


@pytest.mark.parametrize("params, code", [
    ({"Mobile": "call me"}, "IncorrectFormat.Mobile"),
    ({"Email": "nobody"}, "IncorrectFormat.Email"),
    ({"Webhooks": "https://example.com/hook"}, "IncorrectFormat.Webhooks"),
    ({"Name": "Ops"}, "AlreadyExists.Name"),
])
def test_create_contact_errors(v2, api, params, code):
    contact(api, "Ops")
    fields = {"Name": "New", "Mobile": "13800000078", "Email": "new@example.com", **params}
    assert error(api, "CreateContact", **fields) == code


def test_contact_limit(v2, api):
    v2.control.settings(contact_limit=1)
    contact(api, "Ops")
    assert error(api, "CreateContact", Name="Dev", Mobile="13800000078") == "LimitExceeded.Contact"


def test_mask_helpers():
    assert mask_mobile("13312345678") == "133******78"
    assert mask_email("a@example.com") == "a**@example.com"


# --- lists and summary -------------------------------------------------------------------------
def test_list_filters_and_paging(v2, api):
    issued = issue(api, inactive(api), "shop.example.com")
    assert [i["InstanceId"] for i in instances(api, Keyword="SHOP")] == [issued["InstanceId"]]
    assert [i["InstanceId"] for i in instances(api, CertificateStatus="issued")] == [issued["InstanceId"]]
    assert len(instances(api, Status="inactive")) == 3
    assert {i["InstanceType"] for i in instances(api, InstanceType="BUY")} == {"BUY"}
    listed = {i["InstanceId"]: i for i in instances(api)}[issued["InstanceId"]]
    assert listed["CertificateDomain"] == "shop.example.com" and listed["CertificateId"] == issued["CertificateId"]
    pages = [api.ok(api.cas("ListInstances", ShowSize=3, CurrentPage=page)) for page in (1, 2)]
    assert [len(p["InstanceList"]) for p in pages] == [3, 1] and pages[0]["TotalCount"] == 4
    assert error(api, "ListInstances", ShowSize=101) == "InvalidParameter"


def test_summary_counts_per_type(v2, api):
    issue(api, inactive(api))
    body = api.ok(api.cas("GetInstanceSummary", InstanceType="TEST"))
    assert_matches(body, models.GetInstanceSummaryResponseBody)
    assert (body["TotalCount"], body["InactiveCount"], body["CertificateCount"]) == (2, 1, 1)
    everything = api.ok(api.cas("GetInstanceSummary"))
    assert (everything["TotalCount"], everything["InactiveCount"]) == (4, 3)


def test_state_shows_validations_before_the_api_does(v2, api):
    v2.control.settings(instance_validation_delay=60)
    instance_id = inactive(api)
    prepare(api, instance_id)
    apply(api, instance_id)
    assert "DomainValidationList" not in detail(api, instance_id)
    (seen,) = [i for i in v2.control.state()["instances"] if i["instance_id"] == instance_id]
    assert seen["status"] == "pending" and seen["validations"][0]["key"] == "_dnsauth.www"


# --- forced states (control API) ---------------------------------------------------------------
def test_control_revokes_refunds_and_moves_the_end(v2, api):
    issued = issue(api, inactive(api))
    instance_id = issued["InstanceId"]
    v2.control.set_instance_state(instance_id, end=time.time() + 10 * 86400)
    assert detail(api, instance_id)["Status"] == "willExpire"
    v2.control.set_instance_state(instance_id, revoked=True)
    assert detail(api, instance_id)["CertificateStatus"] == "revoked"
    v2.control.set_instance_state(instance_id, status="refund")
    assert detail(api, instance_id)["Status"] == "refund"


@pytest.mark.parametrize("path, body, status", [
    ("instances/cas-cn-nonexistent/state", {"status": "refund"}, 404),
    ("instances/{id}/state", {"revoked": True}, 400),  # nothing issued yet
    ("instances/{id}/state", {"status": "pending"}, 400),
    ("instances/{id}/state", {"colour": "red"}, 400),
])
def test_control_refuses_bad_instance_states(v2, api, path, body, status):
    url = f"{v2.control_url}/{path.format(id=inactive(api))}"
    assert v2.control._session.post(url, json=body, verify=v2.ca_path, timeout=10).status_code == status


# --- lists that trail writes, capped pages (settings list_lag, show_size_cap) ------------------------
def test_instance_list_trails_writes_by_list_lag_calls(v2, api):
    v2.control.settings(list_lag=2)
    instance_id = inactive(api)  # one list call
    prepare(api, instance_id)
    apply(api, instance_id)
    seeded = v2.control.add_instance(ACCOUNT, "BUY")
    assert detail(api, instance_id)["Status"] == "pending"  # reads of one instance do not lag
    views = [{i["InstanceId"]: i["Status"] for i in instances(api)} for _call in range(3)]
    assert [view[instance_id] for view in views] == ["inactive", "inactive", "pending"]
    assert [seeded["instance_id"] in view for view in views] == [False, False, True]


def test_contact_list_trails_a_create(v2, api):
    v2.control.settings(list_lag=1)
    contact_id = contact(api)
    lists = [api.ok(api.cas("ListContact"))["ContactList"] for _call in range(2)]
    assert [[c["ContactId"] for c in page] for page in lists] == [[], [contact_id]]


def test_show_size_cap_serves_smaller_pages(v2, api):
    v2.control.settings(show_size_cap=3)
    first = api.ok(api.cas("ListInstances", ShowSize=50))
    assert (len(first["InstanceList"]), first["ShowSize"], first["TotalCount"]) == (3, 3, 4)
    contact(api, "A")
    contact(api, "B")
    v2.control.settings(show_size_cap=1)
    assert len(api.ok(api.cas("ListContact", ShowSize=20))["ContactList"]) == 1
