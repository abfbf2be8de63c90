# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The read-only CAS modules' logic: the status poller, the order list and the quota."""

from __future__ import annotations

import os

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils._cas import CasClient
from ansible_collections.alicloud.cas.plugins.module_utils._cas_info import (
    BatchError,
    OrderNotFoundError,
    WaitError,
    instance_info,
    order_info,
    package_info,
    request_info,
)
from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlibabaCloudError, ConfigurationError
from ansible_collections.alicloud.cas.plugins.module_utils._validation import PACKAGE_PRODUCT_CODES
from tests.unit.plugins.module_utils.cas_fake import NOW_MS, PRIVATE_KEY_PEM, FakeCasApi, make_certificate
from tests.unit.plugins.module_utils.test__certificate_files_write import FakeWriter


class FakeClock:
    """Monotonic time that only moves when the code under test sleeps."""

    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def info_options(**overrides):
    params = {"order_id": None, "instance_id": None, "domain": None, "certificates": None, "wait": False,
              "wait_for": ["certificate"], "wait_timeout": 900,
              "poll_interval": 5, "poll_interval_max": 60, "return_private_key": False}
    params.update(overrides)
    return params


def poll(api, clock=None, writer=None, check_mode=False, hide_secret=None, **overrides):
    clock = clock or FakeClock()
    if not hasattr(api, "instances"):
        api = FakeAccountApi.wrapping(api)
    return request_info(info_options(**overrides), lambda: CasClient(api), clock=clock, sleep=clock.sleep,
                        writer=writer, check_mode=check_mode, hide_secret=hide_secret)


INSTANCE_KEY_PEM = "-----BEGIN RSA PRIVATE KEY-----\nFAKE-INSTANCE-KEY-0077\n-----END RSA PRIVATE KEY-----\n"


class FakeAccountApi(FakeCasApi):
    """The order book of FakeCasApi plus V2.0 instances: GetInstanceDetail moves an instance through
    ``instance_progress`` (one list of field updates per read), GetUserCertificateDetail serves their PEM."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.instances = {}
        self.instance_progress = {}
        self.instance_certificates = {}

    @classmethod
    def wrapping(cls, api):
        """The same orders, with an account that has no instances."""
        api.__class__ = cls
        api.instances, api.instance_progress, api.instance_certificates = {}, {}, {}
        return api

    summary_extra = 0

    def add_instance(self, domain, status="pending", certificate_status="", validations=True, not_before_ms=None,
                     key=INSTANCE_KEY_PEM, instance_type="TEST", wildcard_domain_count=0):
        instance_id = "cas-cn-fake%03d" % (len(self.instances) + 1)
        self.instances[instance_id] = {
            "InstanceId": instance_id, "InstanceType": instance_type, "Domain": domain, "Status": status,
            "WildcardDomainCount": wildcard_domain_count,
            "CertificateStatus": certificate_status, "DomainValidationList": None, "key": key,
            "not_before_ms": not_before_ms or NOW_MS - 86400 * 1000}
        if validations:
            self.instances[instance_id]["DomainValidationList"] = [
                {"Domain": name, "RootDomain": "example.com", "ValidationType": "TXT",
                 "ValidationKey": "_dnsauth." + name[:-len(".example.com")], "ValidationValue": "v-" + name}
                for name in domain.split(",")]
        if certificate_status == "issued":
            self.issue(instance_id)
        return instance_id

    def issue(self, instance_id):
        instance = self.instances[instance_id]
        certificate_id = 30000000 + len(self.instance_certificates) + 1
        instance.update(Status="normal", CertificateStatus="issued", CertificateId=certificate_id,
                        CertIdentifier="%d-%s" % (certificate_id, self.site_region),
                        DomainValidationList=None, CertificateNotBefore=instance["not_before_ms"])
        self.instance_certificates[certificate_id] = (make_certificate(instance["Domain"].split(",")[0]), instance_id)

    def _public(self, instance):
        return {key: value for key, value in instance.items() if key not in ("key", "not_before_ms")}

    def _ListInstances(self, params):
        items = [self._public(i) for i in self.instances.values()
                 if params.get("Keyword", "") in i["Domain"] + i["InstanceId"]
                 and params.get("Status") in (None, i["Status"])
                 and params.get("InstanceType") in (None, i["InstanceType"])
                 and params.get("CertificateStatus") in (None, i["CertificateStatus"])]
        return {"InstanceList": items, "TotalCount": len(items)}

    def _GetInstanceSummary(self, params):
        mine = [i for i in self.instances.values() if i["InstanceType"] == params["InstanceType"]]
        inactive = len([i for i in mine if i["Status"] == "inactive"])
        # The service's own count, which may differ from what the list shows.
        return {"TotalCount": len(mine), "InactiveCount": inactive + self.summary_extra, "WillExpireCount": 0,
                "CertificateCount": inactive, "AutoReissueCount": 0}

    def _GetInstanceDetail(self, params):
        instance = self.instances.get(params["InstanceId"])
        if instance is None:
            raise AlibabaCloudError("gone", code="NotFound", http_status=404, action="GetInstanceDetail")
        steps = self.instance_progress.get(params["InstanceId"])
        if steps:
            step = steps.pop(0)
            if step == "issue":
                self.issue(params["InstanceId"])
            else:
                instance.update(step)
        return self._public(instance)

    def _GetUserCertificateDetail(self, params):
        if int(params["CertId"]) not in self.instance_certificates:
            answer = self.order_certificate_detail(params)
            if answer is None:
                raise AlibabaCloudError("gone", code="NotFound", http_status=404, action="GetUserCertificateDetail")
            return answer
        pem, instance_id = self.instance_certificates[int(params["CertId"])]
        return {"Cert": pem, "Key": self.instances[instance_id]["key"], "Id": int(params["CertId"]),
                "InstanceId": instance_id, "CertIdentifier": "%s-%s" % (params["CertId"], self.site_region)}


def refuse_connection():
    raise AssertionError("no client may be built before the options are checked")


# --- certificate_request_info -------------------------------------------------------------------

@pytest.mark.parametrize("overrides, option", [
    ({}, "order_id"),
    ({"order_id": 1, "domain": "www.example.com"}, "order_id"),
    ({"order_id": -4}, "order_id"),
    ({"domain": "http://www.example.com"}, "domain"),
    ({"order_id": 1, "wait_for": ["issuing"]}, "wait_for"),
    ({"order_id": 1, "wait_timeout": 0}, "wait_timeout"),
    ({"order_id": 1, "poll_interval": 0}, "poll_interval"),
    ({"order_id": 1, "poll_interval": 10, "poll_interval_max": 5}, "poll_interval_max"),
])
def test_bad_info_options_fail_before_any_call(overrides, option):
    with pytest.raises(ConfigurationError) as caught:
        request_info(info_options(**overrides), refuse_connection)
    assert caught.value.option == option


def test_order_by_id_learns_its_domain_for_the_validation_fqdn():
    api = FakeCasApi()
    order_id = api.add_order("www.example.com")
    result = poll(api, order_id=order_id)
    assert result["changed"] is False
    assert (result["order_id"], result["domain"], result["status"]) == (order_id, "www.example.com", "domain_verify")
    assert result["status_meaning"].startswith("waiting for domain validation")
    assert result["validation"]["fqdn"] == "_dnsauth.www.example.com"
    assert result["order"]["order_id"] == order_id
    assert result["certificate"] is None and result["polls"] == 1
    assert "private_key" not in result


def test_order_missing_from_the_list_is_still_described():
    api = FakeCasApi()
    order_id = api.add_order("www.example.com")
    api.calls.clear()
    listed = api._ListUserCertificateOrder
    api._ListUserCertificateOrder = lambda params: dict(listed(params), CertificateOrderList=[], TotalCount=0)
    result = poll(api, order_id=order_id)
    assert (result["domain"], result["order"]) == (None, None)
    assert result["validation"]["record"] == "_dnsauth.www" and result["validation"]["fqdn"] is None


def test_domain_selects_its_newest_order():
    api = FakeCasApi()
    api.add_order("www.example.com", kind="certificate", days_left=5)
    newest = api.add_order("www.example.com")
    assert poll(api, domain="WWW.example.com")["order_id"] == newest


def test_domain_without_orders_fails_clearly():
    with pytest.raises(OrderNotFoundError) as caught:
        poll(FakeCasApi(), domain="www.example.com")
    assert "No certificate order or V2.0 instance of this account is for www.example.com" in str(caught.value)


def test_waiting_polls_with_a_capped_backoff_until_issued():
    api = FakeCasApi()
    order_id = api.add_order("www.example.com")
    api.progress[order_id] = ["domain_verify"] * 5 + ["process", "certificate"]
    clock = FakeClock()
    result = poll(api, clock, order_id=order_id, wait=True, poll_interval=2, poll_interval_max=10)
    assert clock.sleeps == [2, 4, 8, 10, 10, 10]
    assert result["polls"] == 7 and result["elapsed"] == 44
    assert result["status"] == "certificate" and result["validation"] is None
    assert result["certificate"].count("BEGIN CERTIFICATE") == 1
    assert result["chain"].count("BEGIN CERTIFICATE") == 1
    assert result["fullchain"] == result["certificate"] + result["chain"]
    # The fake issues for 90 days, ending 90 days after its fixed "now".
    assert result["not_before"] == "2026-09-21T14:13:20Z" and result["not_after"] == "2026-12-20T14:13:20Z"
    assert result["cert_id"] == "12000001"
    assert (result["certificate_id"], result["certificate_identifier"]) == (12000001, "12000001-cn-hangzhou")
    # The identifier is asked once, when the order is issued, without the certificate and key.
    assert [params for action, params in api.calls if action == "GetUserCertificateDetail"] == [
        {"CertId": 12000001, "CertFilter": "true"}]
    assert "private_key" not in result and PRIVATE_KEY_PEM not in repr(result)
    assert api.writes() == []


def test_private_key_only_on_request():
    api = FakeCasApi()
    order_id = api.add_order("www.example.com", kind="certificate", days_left=60)
    assert "private_key" not in poll(api, order_id=order_id)
    assert poll(api, order_id=order_id, return_private_key=True)["private_key"] == PRIVATE_KEY_PEM


def test_private_key_is_null_before_issue():
    api = FakeCasApi()
    order_id = api.add_order("www.example.com")
    assert poll(api, order_id=order_id, return_private_key=True)["private_key"] is None


def test_wait_for_an_intermediate_state():
    api = FakeCasApi()
    order_id = api.add_order("www.example.com")
    api.progress[order_id] = ["domain_verify", "process"]
    assert poll(api, order_id=order_id, wait=True, wait_for=["process", "certificate"])["status"] == "process"


def test_verify_fail_fails_the_wait_with_what_the_api_said():
    api = FakeCasApi()
    order_id = api.add_order("www.example.com")
    api.progress[order_id] = ["domain_verify", "verify_fail"]
    with pytest.raises(WaitError) as caught:
        poll(api, order_id=order_id, wait=True)
    message = str(caught.value)
    assert "Order %d for www.example.com failed" % order_id in message
    assert "Type verify_fail" in message and "state=absent" in message
    result = caught.value.to_result()
    assert result["status"] == "verify_fail" and result["polls"] == 2


def test_verify_fail_is_a_result_when_waited_for_or_not_waiting():
    api = FakeCasApi()
    order_id = api.add_order("www.example.com", kind="verify_fail")
    assert poll(api, order_id=order_id)["status"] == "verify_fail"
    assert poll(api, order_id=order_id, wait=True, wait_for=["verify_fail"])["status"] == "verify_fail"


def test_final_state_outside_wait_for_ends_the_wait():
    api = FakeCasApi()
    order_id = api.add_order("www.example.com", kind="payed")
    with pytest.raises(WaitError) as caught:
        poll(api, order_id=order_id, wait=True)
    assert "reached status payed" in str(caught.value)


def test_timeout_fails_with_the_last_state_in_the_result():
    api = FakeCasApi()
    order_id = api.add_order("www.example.com")
    clock = FakeClock()
    with pytest.raises(WaitError) as caught:
        poll(api, clock, order_id=order_id, wait=True, wait_timeout=30, poll_interval=4, poll_interval_max=8)
    message = str(caught.value)
    assert message.startswith("Timed out after 30 s (wait_timeout) waiting for order %d" % order_id)
    assert "last status is domain_verify" in message and "The result holds that last state." in message
    result = caught.value.to_result()
    assert result["status"] == "domain_verify"
    assert result["validation"]["fqdn"] == "_dnsauth.www.example.com"
    assert result["elapsed"] == 30
    assert clock.sleeps == [4, 8, 8, 8, 2]  # never past the deadline


def test_api_errors_while_polling_propagate():
    api = FakeCasApi()
    with pytest.raises(AlibabaCloudError) as caught:
        poll(api, order_id=123)
    assert caught.value.code == "NotFoundOrder"


# --- certificate_request_info on V2.0 instances ----------------------------------------------------
def test_instance_by_id_returns_one_validation_per_name():
    api = FakeAccountApi()
    instance_id = api.add_instance("www.example.com,api.example.com")
    result = poll(api, instance_id=instance_id)
    assert (result["source"], result["instance_id"], result["order_id"]) == ("instance", instance_id, None)
    assert (result["status"], result["phase"], result["domain"]) == ("pending", "validating", "www.example.com")
    assert [v["fqdn"] for v in result["validations"]] == ["_dnsauth.www.example.com", "_dnsauth.api.example.com"]
    assert result["validation"] == result["validations"][0] and result["certificate"] is None
    assert result["instance"]["instance_id"] == instance_id and result["domains"] == [
        "www.example.com", "api.example.com"]
    assert api.actions() == ["GetInstanceDetail"]


def test_instance_wait_until_issued_downloads_by_certificate_id():
    api = FakeAccountApi()
    instance_id = api.add_instance("www.example.com")
    api.instance_progress[instance_id] = [{}, {"DomainValidationList": None}, "issue"]
    hidden = []
    clock = FakeClock()
    result = poll(api, clock, instance_id=instance_id, wait=True, wait_for=["issued"], hide_secret=hidden.append)
    assert clock.sleeps == [5, 10] and result["polls"] == 3  # validating, reviewing, issued
    assert (result["status"], result["phase"], result["validations"]) == ("normal", "issued", [])
    downloads = [params for action, params in api.calls if action == "GetUserCertificateDetail"]
    assert downloads == [{"CertId": api.instances[instance_id]["CertificateId"]}]
    assert result["cert_id"] == str(api.instances[instance_id]["CertificateId"])
    certificate_id = api.instances[instance_id]["CertificateId"]
    assert (result["certificate_id"], result["certificate_identifier"]) == (
        certificate_id, "%d-cn-hangzhou" % certificate_id)
    assert result["fullchain"] == result["certificate"] + result["chain"]
    assert result["not_after"] > result["not_before"]
    assert hidden == [INSTANCE_KEY_PEM]  # told as soon as read, so the glue can hide it
    assert "private_key" not in result and "FAKE-INSTANCE-KEY" not in repr(result)
    assert poll(api, instance_id=instance_id, return_private_key=True)["private_key"] == INSTANCE_KEY_PEM


def test_wait_for_certificate_means_issued_for_an_instance_too():
    api = FakeAccountApi()
    instance_id = api.add_instance("www.example.com")
    api.instance_progress[instance_id] = ["issue"]
    assert poll(api, instance_id=instance_id, wait=True)["phase"] == "issued"


def test_missing_instance_fails_clearly():
    with pytest.raises(OrderNotFoundError) as caught:
        poll(FakeAccountApi(), instance_id="cas-cn-nothere")
    assert "Instance cas-cn-nothere does not exist in this account" in str(caught.value)


def test_withdrawn_instance_ends_the_wait_unless_waited_for():
    api = FakeAccountApi()
    instance_id = api.add_instance("www.example.com", status="normal", validations=False)
    with pytest.raises(WaitError) as caught:
        poll(api, instance_id=instance_id, wait=True)
    message = str(caught.value)
    assert message.startswith("Instance %s for www.example.com reached phase withdrawn" % instance_id)
    assert "Status normal, CertificateStatus none" in message
    assert poll(api, instance_id=instance_id, wait=True, wait_for=["withdrawn"])["phase"] == "withdrawn"


def test_instance_timeout_keeps_the_last_state():
    api = FakeAccountApi()
    instance_id = api.add_instance("www.example.com")
    with pytest.raises(WaitError) as caught:
        poll(api, instance_id=instance_id, wait=True, wait_timeout=12, poll_interval=4)
    assert str(caught.value).startswith("Timed out after 12 s (wait_timeout) waiting for instance %s" % instance_id)
    assert caught.value.to_result()["phase"] == "validating"


def test_domain_reads_an_application_under_way_before_an_older_order():
    api = FakeAccountApi()
    api.add_order("www.example.com", kind="certificate", days_left=60)
    instance_id = api.add_instance("www.example.com")
    api.add_instance("www.example.com", status="inactive", validations=False)
    assert poll(api, domain="www.example.com")["instance_id"] == instance_id


def test_domain_reads_the_newer_of_an_order_and_an_issued_instance():
    api = FakeAccountApi()
    order_id = api.add_order("www.example.com", buy_ms=NOW_MS)
    old = api.add_instance("www.example.com", certificate_status="issued", not_before_ms=NOW_MS - 10 * 86400 * 1000)
    assert poll(api, domain="www.example.com")["order_id"] == order_id
    api.instances[old]["not_before_ms"] = NOW_MS + 1000
    api.issue(old)
    assert poll(api, domain="www.example.com")["instance_id"] == old


def test_domain_ignores_unused_instances():
    api = FakeAccountApi()
    api.add_instance("www.example.com", status="inactive", validations=False)
    with pytest.raises(OrderNotFoundError):
        poll(api, domain="www.example.com")


# --- files --------------------------------------------------------------------------------------------
def test_files_check_then_write_then_unchanged(tmp_path):
    api = FakeAccountApi()
    instance_id = api.add_instance("www.example.com", certificate_status="issued")
    writer = FakeWriter()
    dests = {"fullchain_dest": str(tmp_path / "f.pem"), "privatekey_dest": str(tmp_path / "k.pem")}
    checked = poll(api, writer=writer, check_mode=True, instance_id=instance_id, **dests)
    assert checked["changed"] and checked["files"]["privatekey"] == {"path": str(tmp_path / "k.pem"), "changed": True}
    assert writer.files == {}
    written = poll(api, writer=writer, instance_id=instance_id, **dests)
    assert written["changed"] and writer.files[str(tmp_path / "k.pem")] == INSTANCE_KEY_PEM.encode()
    assert writer.files[str(tmp_path / "f.pem")] == written["fullchain"].encode()
    assert "FAKE-INSTANCE-KEY" not in repr(written)
    again = poll(api, writer=writer, instance_id=instance_id, **dests)
    assert not again["changed"] and not any(item["changed"] for item in again["files"].values())


def test_files_are_written_only_once_issued(tmp_path):
    api = FakeCasApi()
    order_id = api.add_order("www.example.com")
    writer = FakeWriter()
    result = poll(api, writer=writer, order_id=order_id, cert_dest=str(tmp_path / "c.pem"))
    assert (result["files"], result["changed"], writer.files) == ({}, False, {})


def test_v1_order_files_and_key(tmp_path):
    api = FakeCasApi()
    order_id = api.add_order("www.example.com", kind="certificate", days_left=60)
    writer = FakeWriter()
    hidden = []
    result = poll(api, writer=writer, hide_secret=hidden.append, order_id=order_id,
                  cert_dest=str(tmp_path / "c.pem"), privatekey_dest=str(tmp_path / "k.pem"))
    assert result["changed"] and writer.files[str(tmp_path / "k.pem")] == PRIVATE_KEY_PEM.encode()
    assert hidden == [PRIVATE_KEY_PEM] and PRIVATE_KEY_PEM not in repr(result)


# --- batch --------------------------------------------------------------------------------------------
def batch_item(name, tmp_path, **identifier):
    return dict(identifier, name=name, fullchain_dest=str(tmp_path / (name + ".pem")),
                privatekey_dest=str(tmp_path / (name + ".key")))


def test_batch_polls_everything_with_one_back_off(tmp_path):
    api = FakeAccountApi()
    slow = api.add_instance("www.example.com")
    quick = api.add_instance("shop.example.com")
    api.instance_progress[slow] = [{}, {}, "issue"]
    api.instance_progress[quick] = ["issue"]
    order_id = api.add_order("api.example.com")
    api.progress[order_id] = ["domain_verify", "certificate"]
    clock = FakeClock()
    writer = FakeWriter()
    result = poll(api, clock, writer=writer, wait=True, certificates=[
        batch_item("www", tmp_path, instance_id=slow), batch_item("shop", tmp_path, instance_id=quick),
        batch_item("api", tmp_path, order_id=order_id)])
    assert clock.sleeps == [5, 10]  # one back-off for all: the sum of the waits is the slowest one's
    assert [item["name"] for item in result["certificates"]] == ["www", "shop", "api"]
    assert [item["polls"] for item in result["certificates"]] == [3, 1, 2]  # settled ones stop being polled
    assert all(item["phase"] == "issued" and not item["failed"] and item["changed"] for item in result["certificates"])
    assert result["changed"] and len(writer.files) == 6
    assert "ListUserCertificateOrder" not in api.actions()  # no order list read, however many orders exist
    assert "KEY" not in repr(result)


def test_batch_one_failure_neither_stops_nor_loses_the_others(tmp_path):
    api = FakeAccountApi()
    good = api.add_instance("www.example.com")
    api.instance_progress[good] = [{}, "issue"]
    bad = api.add_order("bad.example.com")
    api.progress[bad] = ["verify_fail"]
    writer = FakeWriter()
    with pytest.raises(BatchError) as caught:
        poll(api, writer=writer, wait=True, certificates=[
            batch_item("bad", tmp_path, order_id=bad), batch_item("good", tmp_path, instance_id=good),
            batch_item("gone", tmp_path, instance_id="cas-cn-nothere")])
    assert str(caught.value).startswith("2 of 3 certificates failed: bad, gone.")
    result = caught.value.to_result()
    bad_item, good_item, gone_item = result["certificates"]
    assert bad_item["failed"] and "verify_fail" in bad_item["msg"] and bad_item["files"] == {}
    assert gone_item["failed"] and "does not exist" in gone_item["msg"]
    assert not good_item["failed"] and good_item["changed"] and result["changed"]
    assert sorted(writer.files) == [str(tmp_path / "good.key"), str(tmp_path / "good.pem")]


def test_batch_timeout_fails_only_the_unfinished(tmp_path):
    api = FakeAccountApi()
    done = api.add_instance("www.example.com", certificate_status="issued")
    stuck = api.add_instance("shop.example.com")
    clock = FakeClock()
    with pytest.raises(BatchError) as caught:
        poll(api, clock, writer=FakeWriter(), wait=True, wait_timeout=20, certificates=[
            batch_item("done", tmp_path, instance_id=done), batch_item("stuck", tmp_path, instance_id=stuck)])
    done_item, stuck_item = caught.value.to_result()["certificates"]
    assert not done_item["failed"] and done_item["files"]["fullchain"]["changed"]
    assert stuck_item["failed"] and stuck_item["msg"].startswith("Timed out after 20 s")
    assert sum(clock.sleeps) == 20


def test_batch_api_errors_stay_with_their_item(tmp_path):
    api = FakeAccountApi()
    good = api.add_instance("www.example.com", certificate_status="issued")
    order_id = api.add_order("api.example.com")
    api.errors["DescribeCertificateState"] = AlibabaCloudError("busy", code="ServiceUnavailable", http_status=503,
                                                               action="DescribeCertificateState")
    with pytest.raises(BatchError) as caught:
        poll(api, writer=FakeWriter(), certificates=[batch_item("api", tmp_path, order_id=order_id),
                                                     batch_item("www", tmp_path, instance_id=good)])
    api_item, www_item = caught.value.to_result()["certificates"]
    assert api_item["failed"] and "busy" in api_item["msg"] and not www_item["failed"]


def test_batch_a_file_that_cannot_be_written_fails_only_its_item(tmp_path):
    from ansible_collections.alicloud.cas.plugins.module_utils._certificate_files_write import FileWriteError

    api = FakeAccountApi()
    first = api.add_instance("www.example.com", certificate_status="issued")
    second = api.add_instance("shop.example.com", certificate_status="issued")
    writer = FakeWriter()
    real_replace = writer.replace

    def replace(path, data, secret):
        if os.path.basename(path).startswith("www"):
            raise FileWriteError("Could not write %s: disk full" % path)
        real_replace(path, data, secret)

    writer.replace = replace
    with pytest.raises(BatchError) as caught:
        poll(api, writer=writer, certificates=[batch_item("www", tmp_path, instance_id=first),
                                               batch_item("shop", tmp_path, instance_id=second)])
    www_item, shop_item = caught.value.to_result()["certificates"]
    assert www_item["failed"] and "disk full" in www_item["msg"] and not shop_item["failed"]
    assert sorted(writer.files) == [str(tmp_path / "shop.key"), str(tmp_path / "shop.pem")]


@pytest.mark.parametrize("overrides, option", [
    ({"certificates": [], "wait": True}, "certificates"),
    ({"certificates": [{"order_id": 1}], "cert_dest": "/tmp/x.pem"}, "cert_dest"),
    ({"certificates": [{"order_id": 1}], "instance_id": "cas-cn-1"}, "instance_id"),
    ({"certificates": [{"order_id": 1}], "return_private_key": True}, "return_private_key"),
    ({"certificates": [{"order_id": 1, "instance_id": "cas-cn-1"}]}, "order_id"),
    ({"certificates": [{"name": "x"}]}, "order_id"),
    ({"certificates": [{"order_id": 1, "cert_dest": "/tmp/same.pem"}, {"order_id": 2, "cert_dest": "/tmp/same.pem"}]},
     "certificates"),
    ({"instance_id": "  "}, "instance_id"),
    ({"instance_id": "cas-cn-1", "privatekey_dest": "/nonexistent-dir/k.pem"}, "privatekey_dest"),
])
def test_bad_batch_and_file_options_fail_before_any_call(overrides, option):
    with pytest.raises(ConfigurationError) as caught:
        request_info(info_options(**overrides), refuse_connection)
    assert caught.value.option == option


# --- certificate_order_info ---------------------------------------------------------------------

def test_order_info_filters_exactly_by_domain_over_all_pages():
    api = FakeCasApi(page_size=2)
    wanted = [api.add_order("www.example.com", kind="certificate", days_left=40) for copy in range(3)]
    api.add_order("awww.example.com")
    result = order_info({"domain": "www.example.com"}, lambda: CasClient(api))
    assert sorted(order["order_id"] for order in result["orders"]) == sorted(wanted)
    assert result["orders"][0]["cert_end_time"].endswith("Z")
    assert result["changed"] is False


def test_order_info_passes_keyword_status_and_type():
    api = FakeCasApi()
    api.add_order("www.example.com", kind="verify_fail")
    api.add_order("mail.example.com")
    result = order_info({"keyword": "example", "status": "CHECKED_FAIL", "order_type": "CPACK"},
                        lambda: CasClient(api))
    assert [order["domain"] for order in result["orders"]] == ["www.example.com"]
    params = api.calls[0][1]
    assert (params["Keyword"], params["Status"], params["OrderType"]) == ("example", "CHECKED_FAIL", "CPACK")


def test_order_info_normalises_certificate_listings():
    api = FakeCasApi()

    def certificates(params):
        return {"TotalCount": 2, "CertificateOrderList": [
            {"CertificateId": 7, "CommonName": "example.com", "Sans": "example.com,www.example.com",
             "StartDate": "2026-01-01", "EndDate": "2026-04-01", "Expired": False, "Upload": True},
            {"CertificateId": 8, "CommonName": "other.com", "Sans": "other.com"}]}
    api._ListUserCertificateOrder = certificates
    result = order_info({"domain": "www.example.com", "order_type": "CERT"}, lambda: CasClient(api))
    assert [order["certificate_id"] for order in result["orders"]] == [7]
    assert result["orders"][0]["sans"] == ["example.com", "www.example.com"]


def test_order_info_refuses_domain_and_keyword_together():
    with pytest.raises(ConfigurationError):
        order_info({"domain": "a.example.com", "keyword": "a"}, refuse_connection)


# --- package_info ---------------------------------------------------------------------------------

def test_package_info_lists_codes_without_a_package_as_zeros():
    api = FakeCasApi()
    api.packages["digicert-free-1-free"] = (20, 3, 2)
    result = package_info({"product_codes": ["digicert-free-1-free", "geotrust-dv-w-starter",
                                             "digicert-free-1-free"], "include_instances": False},
                          lambda: CasClient(api))
    assert "instances" not in result and api.actions() == ["DescribePackageState"] * 2
    assert result["packages"] == [
        {"product_code": "digicert-free-1-free", "has_package": True, "total": 20, "used": 3, "issued": 2,
         "remaining": 17},
        {"product_code": "geotrust-dv-w-starter", "has_package": False, "total": 0, "used": 0, "issued": 0,
         "remaining": 0},
    ]


def test_package_info_reads_every_known_code_by_default():
    api = FakeCasApi()
    result = package_info({"product_codes": None, "include_instances": False}, lambda: CasClient(api))
    assert [package["product_code"] for package in result["packages"]] == list(PACKAGE_PRODUCT_CODES)


def test_package_info_other_errors_propagate():
    api = FakeCasApi()
    api.errors["DescribePackageState"] = AlibabaCloudError("denied", code="Forbidden.RAM", http_status=403)
    with pytest.raises(AlibabaCloudError):
        package_info({"product_codes": ["digicert-free-1-free"]}, lambda: CasClient(api))


def test_package_info_puts_instances_beside_the_quota():
    api = FakeAccountApi()
    api.packages["digicert-free-1-free"] = (20, 18, 18)
    api.add_instance("", status="inactive", validations=False)
    api.add_instance("", status="inactive", validations=False, instance_type="BUY", wildcard_domain_count=1)
    api.add_instance("", status="inactive", validations=False, instance_type="BUY")
    api.add_instance("www.example.com", certificate_status="issued")
    api.summary_extra = 1
    result = package_info({"product_codes": ["digicert-free-1-free"]}, lambda: CasClient(api))
    test, paid = result["instances"]
    assert (test["instance_type"], test["total"], test["inactive"], test["inactive_listed"]) == ("TEST", 2, 2, 1)
    assert (paid["instance_type"], paid["inactive_listed"], paid["inactive_wildcard"]) == ("BUY", 2, 1)
    assert result["can_issue"] == {"package": 2, "test_instances": 1, "paid_instances": 2}
    assert [params for action, params in api.calls if action == "GetInstanceSummary"] == [
        {"InstanceType": "TEST"}, {"InstanceType": "BUY"}]


# --- certificate_instance_info ----------------------------------------------------------------------

def instances_of(api, **params):
    return instance_info(params, lambda: CasClient(api))["instances"]


def test_instance_info_lists_with_filters_and_exact_domain():
    api = FakeAccountApi()
    unused = api.add_instance("", status="inactive", validations=False)
    www = api.add_instance("www.example.com", certificate_status="issued")
    api.add_instance("www.example.com.cn")
    assert [i["instance_id"] for i in instances_of(api, status="inactive")] == [unused]
    assert [i["instance_id"] for i in instances_of(api, domain="WWW.example.com")] == [www]
    assert [i["instance_id"] for i in instances_of(api, certificate_status="issued")] == [www]
    assert len(instances_of(api, instance_type="TEST")) == 3 and instances_of(api, instance_type="BUY") == []
    listed = instances_of(api, domain="www.example.com")[0]
    assert listed["phase"] == "issued" and listed["validations"] is None
    assert listed["certificate_not_before"].endswith("Z")


def test_instance_info_detail_by_id():
    api = FakeAccountApi()
    pending = api.add_instance("www.example.com")
    (detail,) = instances_of(api, instance_id=pending)
    assert detail["phase"] == "validating" and detail["validations"][0]["fqdn"] == "_dnsauth.www.example.com"
    assert instances_of(api, instance_id="cas-cn-nothere") == []
    assert api.actions() == ["GetInstanceDetail", "GetInstanceDetail"]


@pytest.mark.parametrize("params, option", [
    ({"instance_id": "cas-cn-1", "status": "inactive"}, "status"),
    ({"status": "active"}, "status"),
    ({"instance_type": "FREE"}, "instance_type"),
    ({"certificate_status": "ok"}, "certificate_status"),
    ({"domain": "http://x"}, "domain"),
])
def test_instance_info_bad_options_fail_before_any_call(params, option):
    with pytest.raises(ConfigurationError) as caught:
        instance_info(params, refuse_connection)
    assert caught.value.option == option


# --- against the emulator over HTTPS (so the fakes above are not the only witness) ------------------
@pytest.fixture(scope="module")
def emu():
    from tests.emulator import running_emulator

    yield from running_emulator(seed="v2")


def emulator_cas(emu):
    from ansible_collections.alicloud.cas.plugins.module_utils._credentials import Credentials
    from ansible_collections.alicloud.cas.plugins.module_utils._transport import CAS_VERSION, RetryPolicy, RpcClient

    credentials = Credentials("LTAI5tEmulatorDemoKey01", "EmulatorDemoSecret0123456789abc")
    rpc = RpcClient(emu.base_url, CAS_VERSION, credentials, verify=emu.ca_path,
                    retry_policy=RetryPolicy(base_delay=0.01))
    return CasClient(rpc)


def apply_on_test_instance(emu, cas, domain):
    from ansible_collections.alicloud.cas.plugins.module_utils._cas_instances import CasInstancesClient

    instances = CasInstancesClient(cas.rpc)
    instance_id = list(instances.list_instances(status="inactive", instance_type="TEST"))[0]["instance_id"]
    contact = instances.find_contact("Ops", "13800000078") or instances.create_contact("Ops", "13800000078")
    instances.update(instance_id, domains=[domain], contact_ids=[contact])
    instances.apply(instance_id)
    return instance_id


def publish(emu, validations):
    for item in validations:
        rr = item["fqdn"][: -len(item["zone"]) - 1]
        emu.control.add_record("1234567890123456", item["zone"], rr, item["record_type"], item["value"])


@pytest.mark.parametrize("unit", ["ms", "s"])
def test_instance_flow_and_batch_against_the_emulator(emu, tmp_path, unit):
    emu.control.reset("v2")
    emu.control.settings(instance_validation_delay=0, instance_time_unit=unit)
    cas = emulator_cas(emu)
    www = apply_on_test_instance(emu, cas, "www.example.com")
    slow = apply_on_test_instance(emu, cas, "slow.example.com")

    def run(writer=None, **overrides):
        return request_info(info_options(**overrides), lambda: cas, sleep=lambda seconds: None, writer=writer,
                            hide_secret=hidden.append)

    hidden = []
    pending = run(domain="www.example.com")
    assert (pending["instance_id"], pending["phase"]) == (www, "validating")
    publish(emu, pending["validations"])
    writer = FakeWriter()
    with pytest.raises(BatchError) as caught:
        run(writer, wait=True, wait_timeout=1, poll_interval=0.2, certificates=[
            batch_item("www", tmp_path, instance_id=www), batch_item("slow", tmp_path, instance_id=slow)])
    www_item, slow_item = caught.value.to_result()["certificates"]
    assert www_item["phase"] == "issued" and not www_item["failed"] and slow_item["failed"]
    state = {i["instance_id"]: i for i in emu.control.state()["instances"]}
    assert www_item["cert_id"] == str(state[www]["certificate_id"])
    assert (www_item["certificate_id"], www_item["certificate_identifier"]) == (
        state[www]["certificate_id"], "%d-cn-hangzhou" % state[www]["certificate_id"])
    assert (slow_item["certificate_id"], slow_item["certificate_identifier"]) == (None, None)
    key = writer.files[str(tmp_path / "www.key")].decode()
    assert "PRIVATE KEY" in key and hidden == [key] and key not in repr(caught.value.to_result())
    issued = run(instance_id=www)
    assert issued["not_after"] == issued["instance"]["certificate_not_after"]
    assert issued["fullchain"] == writer.files[str(tmp_path / "www.pem")].decode()


@pytest.mark.parametrize("region", ["cn-hangzhou", "ap-southeast-1"])
def test_the_identifier_is_the_one_cas_gives_in_both_flows_single_and_batch(region):
    api = FakeAccountApi(site_region=region)
    order_id = api.add_order("www.example.com", kind="certificate")
    instance_id = api.add_instance("api.example.com")
    api.issue(instance_id)
    single = poll(api, order_id=order_id)
    batch = poll(api, certificates=[{"order_id": order_id}, {"instance_id": instance_id}])
    by_order, by_instance = batch["certificates"]
    for item in (single, by_order):
        assert (item["certificate_id"], item["certificate_identifier"], item["cert_id"]) == (
            12000001, "12000001-" + region, "12000001")
    certificate_id = api.instances[instance_id]["CertificateId"]
    assert (by_instance["certificate_id"], by_instance["certificate_identifier"], by_instance["cert_id"]) == (
        certificate_id, "%d-%s" % (certificate_id, region), str(certificate_id))


def test_an_order_whose_identifier_cas_does_not_know_has_none():
    api = FakeCasApi()
    order_id = api.add_order("www.example.com", kind="certificate")
    api.errors["GetUserCertificateDetail"] = AlibabaCloudError("gone", code="NotFound", http_status=404,
                                                               action="GetUserCertificateDetail")
    result = poll(api, order_id=order_id)
    assert (result["phase"], result["certificate_id"], result["certificate_identifier"]) == (
        "issued", 12000001, None)
    # A refusal by the RAM policy leaves it null too (CasClient.warnings says why); any other error fails.
    api.errors["GetUserCertificateDetail"] = AlibabaCloudError("no", code="Forbidden.RAM", http_status=403,
                                                               action="GetUserCertificateDetail")
    assert poll(api, order_id=order_id)["certificate_identifier"] is None
    api.errors["GetUserCertificateDetail"] = AlibabaCloudError("busy", code="ServiceUnavailable", http_status=400,
                                                               action="GetUserCertificateDetail")
    with pytest.raises(AlibabaCloudError) as caught:
        poll(api, order_id=order_id)
    assert caught.value.code == "ServiceUnavailable"
