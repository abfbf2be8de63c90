# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The V2.0 instance client: pure normalisers, an in-memory fake, and the emulator over HTTPS."""

from __future__ import annotations

import inspect
import time

import pytest
from cryptography import x509

from ansible_collections.alicloud.cas.plugins.module_utils._cas_instances import (
    CLIENT_TOKEN_LENGTH,
    CasInstancesClient,
    certificate_id_of,
    contact_matches,
    instance_phase,
    iso_from_epoch,
    masked_match,
    new_client_token,
    normalize_instance,
    validation_from_item,
)
from ansible_collections.alicloud.cas.plugins.module_utils._cas import OrderOutcomeUnknownError, UnsafeValidationPathError
from ansible_collections.alicloud.cas.plugins.module_utils._credentials import Credentials
from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlibabaCloudError, NetworkError
from ansible_collections.alicloud.cas.plugins.module_utils._transport import CAS_VERSION, RetryPolicy, RpcClient
from tests.emulator import running_emulator

ACCOUNT = "1234567890123456"
KEY = "LTAI5tEmulatorDemoKey01"
SECRET = "EmulatorDemoSecret0123456789abc"


# --- pure functions -------------------------------------------------------------------------------
@pytest.mark.parametrize("value, iso", [
    (1801324800000, "2027-01-30T16:00:00Z"),  # the reference's example, read as milliseconds
    (1801324800, "2027-01-30T16:00:00Z"),  # the same instant in seconds
    ("1801324800000", "2027-01-30T16:00:00Z"),
    (100000000001, "1973-03-03T09:46:40Z"),  # above 10**11: milliseconds
    (100000000000, "5138-11-16T09:46:40Z"),  # 10**11 itself: still seconds
    (None, None), ("", None), (0, None),
])
def test_iso_from_epoch_reads_seconds_and_milliseconds(value, iso):
    assert iso_from_epoch(value) == iso


@pytest.mark.parametrize("value, expected", [(123, 123), ("123", 123), (None, None), ("", None), (0, None)])
def test_certificate_id_is_an_int_whatever_the_wire_type(value, expected):
    assert certificate_id_of(value) == expected


@pytest.mark.parametrize("key, root, record, fqdn", [
    ("_dnsauth.www", "example.com", "_dnsauth.www", "_dnsauth.www.example.com"),
    ("_dnsauth", "Example.COM", "_dnsauth", "_dnsauth.example.com"),
    ("@", "example.com", "@", "example.com"),
    ("_dnsauth.www.example.com", "example.com", "_dnsauth.www.example.com", "_dnsauth.www.example.com"),
])
def test_dns_validation_in_the_v1_shape(key, root, record, fqdn):
    item = {"Domain": "www.example.com", "RootDomain": root, "ValidationType": "TXT", "ValidationKey": key,
            "ValidationValue": "token"}
    assert validation_from_item(item) == {
        "method": "DNS", "record_type": "TXT", "record": record, "fqdn": fqdn, "value": "token",
        "domain": "www.example.com", "zone": "example.com"}


def test_cname_validation_keeps_its_type():
    item = {"Domain": "a.example.com", "RootDomain": "example.com", "ValidationType": "CNAME",
            "ValidationKey": "_dnsauth.a", "ValidationValue": "x.validation.example.net"}
    assert validation_from_item(item)["record_type"] == "CNAME"


@pytest.mark.parametrize("kind, key, uri", [
    ("HTTP", "/.well-known/pki-validation/fileauth.txt", "/.well-known/pki-validation/fileauth.txt"),
    ("FILE", "http://www.example.com/.well-known/pki-validation/abc.txt", "/.well-known/pki-validation/abc.txt"),
    ("HTTP", "abc.txt", "/.well-known/pki-validation/abc.txt"),
    ("HTTP", "", "/.well-known/pki-validation/fileauth.txt"),
])
def test_file_validation_in_the_v1_shape(kind, key, uri):
    item = {"Domain": "www.example.com", "RootDomain": "example.com", "ValidationType": kind,
            "ValidationKey": key, "ValidationValue": "content"}
    assert validation_from_item(item) == {"method": "FILE", "domain": "www.example.com", "uri": uri,
                                          "content": "content", "url": "http://www.example.com" + uri}


@pytest.mark.parametrize("key", [
    "/.well-known/pki-validation/../../etc/cron.d/job", "../../outside.txt", "/var/www/index.html",
    "http://www.example.com/.well-known/pki-validation/sub/dir.txt",
])
def test_a_file_validation_path_outside_pki_validation_is_refused(key):
    # The role writes this path under a web root: a V2.0 answer gets the same check as a V1.0 one.
    item = {"Domain": "www.example.com", "RootDomain": "example.com", "ValidationType": "HTTP",
            "ValidationKey": key, "ValidationValue": "content"}
    with pytest.raises(UnsafeValidationPathError):
        validation_from_item(item)


RECORDS = [{"Domain": "www.example.com", "RootDomain": "example.com", "ValidationKey": "_dnsauth.www",
            "ValidationType": "TXT", "ValidationValue": "v"}]


@pytest.mark.parametrize("body, detailed, phase", [
    ({"Status": "inactive"}, True, "inactive"),
    ({"Status": "pending", "DomainValidationList": RECORDS}, True, "validating"),
    ({"Status": "pending"}, True, "reviewing"),
    ({"Status": "pending", "DomainValidationList": []}, True, "reviewing"),
    ({"Status": "pending"}, False, "validating"),
    ({"Status": "pending", "CertificateStatus": "issued"}, True, "reviewing"),  # a new application wins
    ({"Status": "normal", "CertificateStatus": "issued"}, True, "issued"),
    ({"Status": "willExpire", "CertificateStatus": "willExpire"}, True, "issued"),
    ({"Status": "expired", "CertificateStatus": "issued"}, True, "issued"),
    ({"Status": "normal", "CertificateStatus": "revoked"}, True, "failed"),
    ({"Status": "normal", "CertificateStatus": "expired"}, True, "failed"),
    ({"Status": "refund"}, True, "failed"),
    ({"Status": "refund", "CertificateStatus": "issued"}, True, "failed"),
    ({"Status": "closed", "CertificateStatus": "willExpire"}, True, "failed"),
    ({"Status": "closed"}, True, "failed"),
    ({"Status": "expired"}, True, "failed"),
    ({"Status": "normal"}, True, "withdrawn"),
    ({"Status": "normal", "CertificateStatus": ""}, True, "withdrawn"),
    ({"Status": "mystery"}, True, "unknown"),
])
def test_phase(body, detailed, phase):
    assert instance_phase(body, detailed) == phase


def test_normalize_instance_detail_and_list_item():
    body = {"InstanceId": "cas-cn-1", "InstanceType": "TEST", "Status": "pending",
            "Domain": "WWW.example.com,b.example.com",
            "CertificateId": "77", "InstanceStartTime": 1790000000, "InstanceEndTime": 1800000000000,
            "ContactIdList": [5], "DomainValidationList": RECORDS, "CertificateStatus": ""}
    detail = normalize_instance(body)
    assert (detail["domains"], detail["domain"], detail["certificate_id"], detail["contact_ids"]) == (
        ["www.example.com", "b.example.com"], "www.example.com", 77, [5])
    assert (detail["instance_start_time"], detail["instance_end_time"]) == (
        "2026-09-21T14:13:20Z", "2027-01-15T08:00:00Z")
    assert detail["certificate_status"] is None and detail["phase"] == "validating"
    assert detail["validations"][0]["fqdn"] == "_dnsauth.www.example.com"
    listed = normalize_instance(body, detailed=False)
    assert listed["validations"] is None and "contact_ids" not in listed


@pytest.mark.parametrize("shown, clear, case_sensitive, matches", [
    ("138******78", "13800000078", True, True),
    ("138******78", "13900000078", True, False),
    ("138******78", "138", True, False),
    ("13800000078", "13800000078", True, True),
    ("o**@example.com", "OPS@Example.com", False, True),
    ("o**@example.com", "dev@example.com", False, False),
    ("", "13800000078", True, False),
])
def test_masked_match(shown, clear, case_sensitive, matches):
    assert masked_match(shown, clear, case_sensitive) is matches


def test_contact_matches_on_name_mobile_and_optional_email():
    listed = {"name": "Ops", "mobile": "138******78", "email": "o**@example.com"}
    assert contact_matches(listed, "Ops", "13800000078", "ops@example.com")
    assert contact_matches(listed, "Ops", "13800000078")
    assert not contact_matches(listed, "ops", "13800000078")
    assert not contact_matches(listed, "Ops", "13800000078", "dev@example.com")


def test_client_tokens_are_unique_and_short():
    first, second = new_client_token("ApplyCertificate"), new_client_token("ApplyCertificate")
    assert first != second and len(first) <= CLIENT_TOKEN_LENGTH and first.startswith("alicloud.cas-Apply")


# --- an in-memory fake ----------------------------------------------------------------------------
class FakeInstanceApi:
    """Answers like RpcClient.call: a few instances and contacts, scripted errors, a call log."""

    def __init__(self, page_size=None):
        self.calls = []
        self.errors = {}  # action -> list of AlibabaCloudError raised, one per call, before answering
        self.page_size = page_size
        self.instances = {}
        self.contacts = []
        self.retry_policy = RetryPolicy(max_attempts=4, base_delay=1.0, rng=lambda: 1.0)

    def call(self, action, params=None, reconcile=None):
        params = {k: v for k, v in (params or {}).items() if v is not None}
        self.calls.append((action, params))
        if self.errors.get(action):
            raise self.errors[action].pop(0)
        return getattr(self, "_" + action)(params)

    def _ListInstances(self, params):
        size = self.page_size or int(params["ShowSize"])
        items = [i for i in self.instances.values()
                 if params.get("Keyword", "") in i.get("Domain", "")
                 and params.get("Status") in (None, i["Status"])]
        start = (int(params["CurrentPage"]) - 1) * size
        return {"InstanceList": items[start:start + size], "TotalCount": len(items)}

    def _GetInstanceDetail(self, params):
        if params["InstanceId"] not in self.instances:
            raise AlibabaCloudError("gone", code="NotFound", http_status=404)
        return self.instances[params["InstanceId"]]

    def _UpdateInstance(self, params):
        return {}

    def _CancelPendingCertificate(self, params):
        return {}

    def _ListContact(self, params):
        size = self.page_size or int(params["ShowSize"])
        start = (int(params["CurrentPage"]) - 1) * size
        return {"ContactList": self.contacts[start:start + size], "TotalCount": len(self.contacts)}

    def _GetInstanceSummary(self, params):
        return {"TotalCount": 3, "InactiveCount": 2, "WillExpireCount": 0, "CertificateCount": 2,
                "AutoReissueCount": 1}


def protection_error():
    return AlibabaCloudError("protected", code="InvalidStatus.UpdateProtection", http_status=400,
                             action="UpdateInstance")


@pytest.fixture
def fake():
    api = FakeInstanceApi()
    for number, (domain, status) in enumerate([("www.example.com", "inactive"), ("shop.example.com", "pending"),
                                               ("www.example.com,api.example.com", "normal")], start=1):
        api.instances["cas-cn-%d" % number] = {
            "InstanceId": "cas-cn-%d" % number, "Domain": domain, "Status": status, "InstanceType": "TEST"}
    return api


def test_list_reads_every_page_and_filters_on_the_exact_name(fake):
    fake.page_size = 1
    client = CasInstancesClient(fake)
    assert [i["instance_id"] for i in client.list_instances()] == ["cas-cn-1", "cas-cn-2", "cas-cn-3"]
    assert [action for action, _params in fake.calls] == ["ListInstances"] * 3
    assert [i["instance_id"] for i in client.list_instances(domain="WWW.example.com")] == ["cas-cn-1", "cas-cn-3"]
    assert fake.calls[-1][1]["Keyword"] == "www.example.com"
    assert [i["instance_id"] for i in client.list_instances(domain="example.com")] == []
    assert [i["instance_id"] for i in client.list_instances(status="pending")] == ["cas-cn-2"]
    assert all(i["validations"] is None for i in client.list_instances())


def test_instance_is_none_when_not_found(fake):
    client = CasInstancesClient(fake)
    assert client.instance("cas-cn-1")["status"] == "inactive"
    assert client.instance("cas-cn-missing") is None
    fake.errors["GetInstanceDetail"] = [AlibabaCloudError("denied", code="Forbidden.RAM", http_status=403)]
    with pytest.raises(AlibabaCloudError):
        client.instance("cas-cn-1")


def test_update_flattens_lists_and_sends_only_what_is_given(fake):
    CasInstancesClient(fake).update("cas-cn-1", domains=["*.example.com", "example.com"], contact_ids=[7, 8],
                                    tags={"team": "web", "env": "test"}, key_algorithm="ECC_256")
    assert fake.calls == [("UpdateInstance", {
        "InstanceId": "cas-cn-1", "Domain": "*.example.com,example.com", "KeyAlgorithm": "ECC_256",
        "ContactIdList.1": 7, "ContactIdList.2": 8, "Tags.1.TagKey": "env", "Tags.1.TagValue": "test",
        "Tags.2.TagKey": "team", "Tags.2.TagValue": "web"})]


def test_update_protection_is_retried_with_the_policys_back_off(fake):
    waits = []
    fake.errors["UpdateInstance"] = [protection_error(), protection_error()]
    CasInstancesClient(fake, sleep=waits.append).update("cas-cn-1", domains=["www.example.com"])
    assert [action for action, _params in fake.calls] == ["UpdateInstance"] * 3
    assert waits == [1.0, 2.0]  # base_delay * 2**(n-1), with the jitter fixed at its top


def test_update_protection_gives_up_at_the_policys_bound(fake):
    waits = []
    fake.errors["UpdateInstance"] = [protection_error() for _attempt in range(10)]
    with pytest.raises(AlibabaCloudError) as caught:
        CasInstancesClient(fake, sleep=waits.append).update("cas-cn-1", domains=["www.example.com"])
    assert caught.value.code == "InvalidStatus.UpdateProtection" and caught.value.attempts == 4
    assert len(waits) == 3


def test_update_protection_gives_up_at_the_policys_total_time(fake):
    now = [0.0]
    fake.retry_policy.total_timeout = 2.5
    fake.errors["UpdateInstance"] = [protection_error() for _attempt in range(10)]

    def sleep(seconds):
        now[0] += seconds
    with pytest.raises(AlibabaCloudError):
        CasInstancesClient(fake, sleep=sleep, clock=lambda: now[0]).update("cas-cn-1", domains=["a.example.com"])
    assert len(fake.calls) == 2  # 1 s + 2 s would pass 2.5 s


def test_other_update_errors_are_not_retried(fake):
    fake.errors["UpdateInstance"] = [AlibabaCloudError("busy", code="OperationDenied.StatusNotSupport",
                                                       http_status=400)]
    with pytest.raises(AlibabaCloudError):
        CasInstancesClient(fake, sleep=pytest.fail).update("cas-cn-2", domains=["shop.example.com"])
    assert len(fake.calls) == 1


def refusal(attempts=1):
    error = AlibabaCloudError("no", code="OperationDenied.StatusNotSupport", http_status=400)
    error.attempts = attempts
    return error


@pytest.mark.parametrize("status, attempts, outcome", [
    ("normal", 1, False),  # nothing pending: nothing to withdraw
    ("pending", 2, True),  # an earlier attempt whose answer was lost started the withdrawal
    ("pending", 1, "raise"),  # refused while pending (just applied): the caller waits and asks again
])
def test_cancel_decides_a_refusal_from_a_fresh_read(fake, status, attempts, outcome):
    fake.instances["cas-cn-2"]["Status"] = status
    fake.errors["CancelPendingCertificate"] = [refusal(attempts)]
    client = CasInstancesClient(fake)
    if outcome == "raise":
        with pytest.raises(AlibabaCloudError):
            client.cancel("cas-cn-2")
    else:
        assert client.cancel("cas-cn-2") is outcome


def test_cancel_of_a_missing_instance_is_nothing_to_do(fake):
    fake.errors["CancelPendingCertificate"] = [AlibabaCloudError("gone", code="NotFound", http_status=404)]
    assert CasInstancesClient(fake).cancel("cas-cn-9") is False


def test_contacts_all_pages_and_find(fake):
    fake.page_size = 1
    fake.contacts = [{"ContactId": 1, "Name": "Dev", "Mobile": "139******11", "Email": "d**@example.com"},
                     {"ContactId": 2, "Name": "Ops", "Mobile": "138******78", "Email": "o**@example.com"}]
    client = CasInstancesClient(fake)
    assert [c["contact_id"] for c in client.contacts()] == [1, 2]
    assert client.find_contact("Ops", "13800000078", "ops@example.com") == 2
    assert client.find_contact("Ops", "13900000078") is None


def test_summary(fake):
    assert CasInstancesClient(fake).summary("TEST") == {
        "instance_type": "TEST", "total": 3, "inactive": 2, "will_expire": 0, "certificate_count": 2,
        "auto_reissue": 1}


# --- against the emulator over HTTPS --------------------------------------------------------------
@pytest.fixture(scope="module")
def emu():
    yield from running_emulator(seed="v2")


@pytest.fixture
def v2(emu):
    emu.control.reset("v2")
    emu.control.settings(instance_validation_delay=0, instance_cancel_delay=0)
    return emu


def quick_policy():
    policy = RetryPolicy(base_delay=0.01)
    # A lost answer's effect is looked for briefly: the emulator's lists never lag here.
    policy.confirm_reads, policy.confirm_window = 2, 0.1
    return policy


def client(emu, signature_version="v2"):
    signing = {}
    if signature_version != "v2":
        if "signature_version" not in inspect.signature(RpcClient.__init__).parameters:
            pytest.skip("this tree's RpcClient signs V2 only")
        signing["signature_version"] = signature_version
    rpc = RpcClient(emu.base_url, CAS_VERSION, Credentials(KEY, SECRET), verify=emu.ca_path,
                    retry_policy=quick_policy(), **signing)
    return CasInstancesClient(rpc)


def publish(emu, validations):
    for item in validations:
        zone = item["zone"]
        rr = "@" if item["fqdn"] == zone else item["fqdn"][: -len(zone) - 1]
        emu.control.add_record(ACCOUNT, zone, rr, item["record_type"], item["value"])


@pytest.mark.parametrize("signature_version, unit", [("v2", "ms"), ("v3", "ms"), ("v2", "s")])
def test_issue_on_a_test_instance_end_to_end(v2, signature_version, unit):
    v2.control.settings(instance_time_unit=unit)
    cas = client(v2, signature_version)
    (instance,) = list(cas.list_instances(status="inactive", instance_type="TEST"))[:1]
    assert instance["phase"] == "inactive" and instance["instance_end_time"].endswith("Z")
    contact_id = cas.create_contact("Ops", "13800000078", "ops@example.com")
    assert cas.find_contact("Ops", "13800000078", "ops@example.com") == contact_id
    cas.update(instance["instance_id"], domains=["www.example.com"], contact_ids=[contact_id],
               tags={"env": "test"})
    assert cas.apply(instance["instance_id"], client_token=new_client_token("ApplyCertificate")) == {"adopted": False}
    pending = cas.instance(instance["instance_id"])
    assert pending["phase"] == "validating" and pending["contact_ids"] == [contact_id]
    (validation,) = pending["validations"]
    assert (validation["fqdn"], validation["zone"]) == ("_dnsauth.www.example.com", "example.com")
    publish(v2, pending["validations"])
    issued = cas.instance(instance["instance_id"])
    assert (issued["phase"], issued["status"], issued["certificate_status"]) == ("issued", "normal", "issued")
    certificate, key = cas.download(issued["certificate_id"])
    leaf = x509.load_pem_x509_certificate(certificate["certificate"].encode())
    assert certificate["sans"] == ["www.example.com"] and certificate["instance_id"] == instance["instance_id"]
    assert certificate["not_after"] == issued["certificate_not_after"]
    assert certificate["not_after"] == leaf.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert certificate["chain"] and key.startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert "Key" not in certificate and "private_key" not in certificate
    assert cas.summary("TEST")["inactive"] == 1
    assert cas.download(424242) == (None, None)


@pytest.mark.parametrize("unit", ["ms", "s"])
def test_dates_are_the_same_in_either_unit(v2, unit):
    v2.control.settings(instance_time_unit=unit)
    seeded = v2.control.add_instance(ACCOUNT, "BUY", start=1790000000, end=1800000000)
    found = client(v2).instance(seeded["instance_id"])
    assert (found["instance_start_time"], found["order_end_time"]) == ("2026-09-21T14:13:20Z", "2027-01-15T08:00:00Z")
    listed = {i["instance_id"]: i for i in client(v2).list_instances(instance_type="BUY")}[seeded["instance_id"]]
    assert listed["instance_end_time"] == "2027-01-15T08:00:00Z"


def test_update_protection_against_the_emulator(v2):
    seeded = v2.control.add_instance(ACCOUNT, "TEST", update_protection=2)
    cas = client(v2)
    cas.update(seeded["instance_id"], domains=["www.example.com"])
    assert cas.instance(seeded["instance_id"])["domains"] == ["www.example.com"]
    updates = [c for c in v2.control.calls() if c["action"] == "UpdateInstance"]
    assert [c["error_code"] for c in updates] == ["InvalidStatus.UpdateProtection"] * 2 + [None]


@pytest.mark.parametrize("honoured", [True, False])
def test_a_lost_apply_is_adopted_not_sent_twice(v2, honoured):
    v2.control.settings(client_token_honoured=honoured)
    cas = client(v2)
    contact_id = cas.create_contact("Ops", "13800000078")
    instance_id = cas.list_instances(status="inactive", instance_type="TEST")[0]["instance_id"]
    cas.update(instance_id, domains=["www.example.com"], contact_ids=[contact_id])
    v2.control.set_faults(lose_response={"count": 1, "actions": ["ApplyCertificate"]})
    assert cas.apply(instance_id, client_token=new_client_token("ApplyCertificate")) == {"adopted": True}
    assert len([c for c in v2.control.calls() if c["action"] == "ApplyCertificate"]) == 1
    assert cas.instance(instance_id)["status"] == "pending"


@pytest.mark.parametrize("honoured", [True, False])
def test_a_lost_create_contact_is_adopted_not_created_twice(v2, honoured):
    v2.control.settings(client_token_honoured=honoured)
    cas = client(v2)
    v2.control.set_faults(lose_response={"count": 1, "actions": ["CreateContact"]})
    contact_id = cas.create_contact("Ops", "13800000078", "ops@example.com",
                                    client_token=new_client_token("CreateContact"))
    assert [c["contact_id"] for c in cas.contacts()] == [contact_id]
    assert len([c for c in v2.control.calls() if c["action"] == "CreateContact"]) == 1


def test_a_lost_create_contact_does_not_adopt_an_older_one(v2):
    cas = client(v2)
    older = cas.create_contact("Ops", "13800000078")
    v2.control.set_faults(drop_connections={"count": 1, "actions": ["CreateContact"]})
    try:
        adopted = cas.create_contact("Ops", "13800000078")
    except (NetworkError, AlibabaCloudError):
        adopted = None  # the outcome is reported unknown, or the repeat met the existing name
    assert adopted != older


@pytest.mark.parametrize("after, phase", [("normal", "withdrawn"), ("inactive", "inactive")])
def test_cancel_then_wait_for_the_instance_to_leave_pending(v2, after, phase):
    v2.control.settings(instance_cancel_delay=0.3, instance_cancel_status=after)
    cas = client(v2)
    contact_id = cas.create_contact("Ops", "13800000078")
    instance_id = cas.list_instances(status="inactive", instance_type="TEST")[0]["instance_id"]
    assert cas.cancel(instance_id) is False  # nothing pending yet
    cas.update(instance_id, domains=["www.example.com"], contact_ids=[contact_id])
    cas.apply(instance_id)
    assert cas.cancel(instance_id) is True
    assert cas.instance(instance_id)["status"] == "pending"
    with pytest.raises(AlibabaCloudError):  # a withdrawal is under way: refused, and this was a first attempt
        cas.cancel(instance_id)
    time.sleep(0.35)
    withdrawn = cas.instance(instance_id)
    assert (withdrawn["status"], withdrawn["phase"], withdrawn["validations"]) == (after, phase, [])
    assert cas.cancel(instance_id) is False


def test_a_lost_cancel_answer_counts_as_asked(v2):
    v2.control.settings(instance_cancel_delay=30)
    cas = client(v2)
    contact_id = cas.create_contact("Ops", "13800000078")
    instance_id = cas.list_instances(status="inactive", instance_type="TEST")[0]["instance_id"]
    cas.update(instance_id, domains=["www.example.com"], contact_ids=[contact_id])
    cas.apply(instance_id)
    v2.control.set_faults(lose_response={"count": 1, "actions": ["CancelPendingCertificate"]})
    assert cas.cancel(instance_id) is True
    assert [c["error_code"] for c in v2.control.calls() if c["action"] == "CancelPendingCertificate"] == [
        None, "OperationDenied.StatusNotSupport"]


def test_reviewing_then_issued(v2):
    v2.control.settings(issue_delay=0.3)
    cas = client(v2)
    contact_id = cas.create_contact("Ops", "13800000078")
    instance_id = cas.list_instances(status="inactive", instance_type="BUY")[0]["instance_id"]
    wildcard = cas.instance(instance_id)["wildcard_domain_count"] == 1
    names = ["*.example.com", "example.com"] if wildcard else ["shop.example.com"]
    cas.update(instance_id, domains=names, contact_ids=[contact_id])
    cas.apply(instance_id)
    publish(v2, cas.instance(instance_id)["validations"])
    assert cas.instance(instance_id)["phase"] == "reviewing"
    time.sleep(0.35)
    assert cas.instance(instance_id)["phase"] == "issued"


@pytest.mark.parametrize("change, phase", [({"revoked": True}, "failed"), ({"status": "refund"}, "failed"),
                                           ({"end": 1}, "issued")])
def test_failed_and_expired_instances(v2, change, phase):
    cas = client(v2)
    contact_id = cas.create_contact("Ops", "13800000078")
    instance_id = cas.list_instances(status="inactive", instance_type="TEST")[0]["instance_id"]
    cas.update(instance_id, domains=["www.example.com"], contact_ids=[contact_id])
    cas.apply(instance_id)
    publish(v2, cas.instance(instance_id)["validations"])
    v2.control.set_instance_state(instance_id, **change)
    found = cas.instance(instance_id)
    assert found["phase"] == phase
    if "end" in change:  # the subscription ended; the certificate itself is still valid
        assert (found["status"], found["certificate_status"]) == ("expired", "issued")


@pytest.mark.parametrize("cap", [1, 50])
def test_list_and_contacts_read_every_capped_page(v2, cap):
    v2.control.settings(show_size_cap=cap)
    cas = client(v2)
    for name in ("A", "B", "C"):
        cas.create_contact(name, "13800000078")
    assert len(cas.list_instances()) == 4
    assert [c["name"] for c in cas.contacts()] == ["A", "B", "C"]


@pytest.mark.parametrize("lag, adopted", [(1, True), (5, False)])
def test_a_lost_create_contact_under_a_lagging_list_is_never_created_twice(v2, lag, adopted):
    v2.control.settings(list_lag=lag)
    policy = RetryPolicy(base_delay=0.01)
    policy.confirm_reads, policy.confirm_window = 3, 0.2
    cas = CasInstancesClient(RpcClient(v2.base_url, CAS_VERSION, Credentials(KEY, SECRET), verify=v2.ca_path,
                                       retry_policy=policy))
    v2.control.set_faults(lose_response={"count": 1, "actions": ["CreateContact"]})
    try:
        contact_id = cas.create_contact("Ops", "13800000078")
    except NetworkError:
        contact_id = None  # the list lagged past the confirmation window: reported, not repeated
    creates = [c for c in v2.control.calls() if c["action"] == "CreateContact"]
    assert len(creates) == 1 and (contact_id is not None) is adopted
    assert len(v2.control.state()["contacts"]) == 1


# --- request side: withdrawal with a bound (helper P) ----------------------------------------------

def test_withdraw_asks_again_while_refused_then_waits_for_the_instance_to_leave_pending(fake):
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds
    fake.instances["cas-cn-2"]["Status"] = "pending"
    fake.errors["CancelPendingCertificate"] = [refusal(), refusal()]
    client = CasInstancesClient(fake, sleep=sleep, clock=lambda: now[0])
    reads = iter(["pending", "pending", "pending", "normal"])
    original = fake._GetInstanceDetail

    def detail(params):
        answer = dict(original(params))
        answer["Status"] = next(reads, "normal")
        return answer
    fake._GetInstanceDetail = detail
    assert client.withdraw("cas-cn-2", timeout=60) == "withdrawn"
    assert [a for a, _p in fake.calls].count("CancelPendingCertificate") == 3


def test_withdraw_raises_a_refusal_that_lasts_to_the_bound_and_reports_a_late_one(fake):
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds
    fake.instances["cas-cn-2"]["Status"] = "pending"
    fake.errors["CancelPendingCertificate"] = [refusal() for _attempt in range(20)]
    client = CasInstancesClient(fake, sleep=sleep, clock=lambda: now[0])
    with pytest.raises(AlibabaCloudError) as caught:
        client.withdraw("cas-cn-2", timeout=10)
    assert caught.value.code == "OperationDenied.StatusNotSupport" and now[0] <= 10
    fake.errors.clear()
    assert client.withdraw("cas-cn-2", timeout=10) == "pending"  # asked; the instance never left pending here


def test_apply_adopts_a_lost_answer_only_for_the_names_applied_for(fake):
    fake.instances["cas-cn-2"]["Domain"] = "shop.example.com"

    def lost(params):
        raise NetworkError("reset", code="ConnectionError")
    fake._ApplyCertificate = lost

    class Rpc:
        retry_policy = fake.retry_policy

        def call(self, action, params=None, reconcile=None):
            try:
                return fake.call(action, params)
            except NetworkError:
                found = reconcile() if reconcile else None
                if found is None:
                    raise
                return found
    client = CasInstancesClient(Rpc())
    assert client.apply("cas-cn-2", domains=["shop.example.com"]) == {"adopted": True}
    with pytest.raises(OrderOutcomeUnknownError, match="may have been submitted"):
        client.apply("cas-cn-2", domains=["www.example.com"])
