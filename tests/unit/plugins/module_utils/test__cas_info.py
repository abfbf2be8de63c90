# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The read-only CAS modules' logic: the status poller, the order list and the quota."""

from __future__ import annotations

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils._cas import CasClient
from ansible_collections.alicloud.cas.plugins.module_utils._cas_info import (
    OrderNotFoundError,
    WaitError,
    order_info,
    package_info,
    request_info,
)
from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlibabaCloudError, ConfigurationError
from ansible_collections.alicloud.cas.plugins.module_utils._validation import PACKAGE_PRODUCT_CODES
from tests.unit.plugins.module_utils.cas_fake import PRIVATE_KEY_PEM, FakeCasApi


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
    params = {"order_id": None, "domain": None, "wait": False, "wait_for": ["certificate"], "wait_timeout": 900,
              "poll_interval": 5, "poll_interval_max": 60, "return_private_key": False}
    params.update(overrides)
    return params


def poll(api, clock=None, **overrides):
    clock = clock or FakeClock()
    return request_info(info_options(**overrides), lambda: CasClient(api), clock=clock, sleep=clock.sleep)


def refuse_connection():
    raise AssertionError("no client may be built before the options are checked")


# --- certificate_request_info -------------------------------------------------------------------

@pytest.mark.parametrize("overrides, option", [
    ({}, "order_id"),
    ({"order_id": 1, "domain": "www.example.com"}, "order_id"),
    ({"order_id": -4}, "order_id"),
    ({"domain": "http://www.example.com"}, "domain"),
    ({"order_id": 1, "wait_for": ["issued"]}, "wait_for"),
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
    assert "No certificate order of this account is for www.example.com" in str(caught.value)


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
                                             "digicert-free-1-free"]}, lambda: CasClient(api))
    assert result["packages"] == [
        {"product_code": "digicert-free-1-free", "has_package": True, "total": 20, "used": 3, "issued": 2,
         "remaining": 17},
        {"product_code": "geotrust-dv-w-starter", "has_package": False, "total": 0, "used": 0, "issued": 0,
         "remaining": 0},
    ]


def test_package_info_reads_every_known_code_by_default():
    api = FakeCasApi()
    result = package_info({"product_codes": None}, lambda: CasClient(api))
    assert [package["product_code"] for package in result["packages"]] == list(PACKAGE_PRODUCT_CODES)


def test_package_info_other_errors_propagate():
    api = FakeCasApi()
    api.errors["DescribePackageState"] = AlibabaCloudError("denied", code="Forbidden.RAM", http_status=403)
    with pytest.raises(AlibabaCloudError):
        package_info({"product_codes": ["digicert-free-1-free"]}, lambda: CasClient(api))
