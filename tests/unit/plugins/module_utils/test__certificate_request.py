# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The certificate_request state machine against an in-memory CAS."""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from ansible_collections.alicloud.cas.plugins.module_utils._cas import CasClient, OrderOutcomeUnknownError
from ansible_collections.alicloud.cas.plugins.module_utils._cas_instances import CasInstancesClient
from ansible_collections.alicloud.cas.plugins.module_utils._certificate_request import run
from ansible_collections.alicloud.cas.plugins.module_utils._credentials import Credentials
from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlibabaCloudError, ConfigurationError
from ansible_collections.alicloud.cas.plugins.module_utils._transport import RetryPolicy, RpcClient
from tests.unit.plugins.module_utils.cas_fake import NOW_MS, PRIVATE_KEY_PEM, FakeCasApi, FakeSession, make_csr

SECRET = "SeCrEt-never-show-0099"
APPLICANT = {"username": "Jane Doe", "email": "jane@example.com", "phone": "+86 138 0000 0000"}


def options(**overrides):
    params = {"domain": "www.example.com", "state": "present", "product_code": None, "validate_type": "DNS",
              "username": None, "email": None, "phone": None, "csr": None, "tags": None, "force": False,
              "renew_before_days": 30}
    params.update(overrides)
    return params


def converge(api, check_mode=False, diff_mode=True, **overrides):
    return run(options(**overrides), lambda: CasClient(api), check_mode=check_mode, diff_mode=diff_mode,
               now_ms=NOW_MS)


def refuse_connection():
    raise AssertionError("no client may be built before the options are checked")


# --- checks before any call -------------------------------------------------------------------

@pytest.mark.parametrize("overrides, option, fragment", [
    ({"domain": "https://www.example.com"}, "domain", "without a scheme"),
    ({"domain": "www.example.com:443"}, "domain", "without a port"),
    ({"domain": "www.example.com/path"}, "domain", "without a path"),
    ({"domain": "www.*.example.com"}, "domain", "whole first label"),
    ({"domain": "-bad-.example.com"}, "domain", "label '-bad-'"),
    ({"domain": "localhost"}, "domain", "at least two labels"),
    ({"domain": "*.example.com", "product_code": "digicert-free-1-free"}, "product_code", "single-domain plan"),
    ({"domain": "www.example.com", "product_code": "geotrust-dv-w-starter"}, "product_code", "wildcard plan"),
    ({"domain": "*.example.com", "product_code": "geotrust-dv-w-starter", "validate_type": "FILE"},
     "validate_type", "FILE cannot validate wildcard"),
    ({"email": "not-an-address"}, "email", "not an email address"),
    ({"phone": "call me"}, "phone", "not a phone number"),
    ({"username": "  "}, "username", "must not be empty"),
    ({"renew_before_days": -1}, "renew_before_days", "0 or more"),
    ({"tags": {"": "x"}}, "tags", "empty key"),
    ({"csr": make_csr("other.example.com")}, "csr", "has CN 'other.example.com'"),
    ({"csr": "not a csr"}, "csr", "not a PEM certificate signing request"),
])
def test_bad_options_fail_before_any_call(overrides, option, fragment):
    with pytest.raises(ConfigurationError) as caught:
        run(options(**overrides), refuse_connection)
    assert caught.value.option == option
    assert fragment in str(caught.value)


def test_idn_domain_is_sent_in_punycode():
    api = FakeCasApi(zone="xn--bcher-kva.example")
    result = converge(api, domain="www.Bücher.example", **APPLICANT)
    creates = [params for action, params in api.calls if action == "CreateCertificateRequest"]
    assert creates[0]["Domain"] == "www.xn--bcher-kva.example"
    assert result["order"]["domain"] == "www.xn--bcher-kva.example"
    assert result["validation"]["fqdn"] == "_dnsauth.www.xn--bcher-kva.example"


# --- present: reuse -----------------------------------------------------------------------------

def test_order_in_progress_is_reused_without_writes():
    api = FakeCasApi()
    order_id = api.add_order("www.example.com")
    result = converge(api)
    assert result["changed"] is False
    assert result["order_id"] == order_id
    assert result["status"] == "domain_verify"
    assert result["order"]["status"] == "CHECKING"
    assert result["validation"]["value"] == "token-%d" % order_id
    assert result["diff"]["before"] == result["diff"]["after"] == result["order"]
    assert "request" not in result
    assert api.writes() == []


def test_fresh_issued_certificate_is_reused():
    api = FakeCasApi()
    order_id = api.add_order("www.example.com", kind="certificate", days_left=60)
    result = converge(api)
    assert (result["changed"], result["order_id"], result["status"]) == (False, order_id, "certificate")
    assert result["validation"] is None
    assert (result["certificate_id"], result["certificate_identifier"]) == (12000001, "12000001-cn-hangzhou")
    assert [params for action, params in api.calls if action == "GetUserCertificateDetail"] == [
        {"CertId": 12000001, "CertFilter": "true"}]
    assert api.writes() == []


@pytest.mark.parametrize("region", ["cn-hangzhou", "ap-southeast-1"])
def test_the_ids_of_a_reused_certificate_are_cas_own_in_both_flows(region):
    api = FakeCasApi(site_region=region)
    api.packages = {"digicert-free-1-free": (5, 0, 0)}
    api.add_order("www.example.com", kind="certificate", days_left=60)
    pending = api.add_order("later.example.com")
    issued = api.add_instance("TEST", status="pending", domains=["api.example.com"], GenerateCsrMethod="online")
    api.issue_instance(issued)
    result = run(options(domain=None, certificates=[
        {"domain": "www.example.com", "source": "package"}, {"domain": "later.example.com", "source": "package"},
        {"domain": "api.example.com", "source": "instance"}]), lambda: CasClient(api), now_ms=NOW_MS,
        instances_factory=lambda cas: CasInstancesClient(api, sleep=lambda seconds: None, clock=lambda: 0.0))
    by_order, by_pending, by_instance = result["certificates"]
    assert (by_order["certificate_id"], by_order["certificate_identifier"]) == (12000001, "12000001-" + region)
    assert (by_pending["order_id"], by_pending["certificate_id"], by_pending["certificate_identifier"]) == (
        pending, None, None)
    certificate_id = api.instances[issued]["CertificateId"]
    assert (by_instance["phase"], by_instance["certificate_id"], by_instance["certificate_identifier"]) == (
        "issued", certificate_id, "%d-%s" % (certificate_id, region))
    assert api.writes() == []


def test_issued_certificate_without_list_dates_is_judged_on_its_own_notafter():
    api = FakeCasApi()
    order_id = api.add_order("www.example.com", kind="certificate", status="ISSUED")
    assert converge(api)["order_id"] == order_id
    assert api.writes() == []


def test_issued_order_without_a_certificate_is_not_fresh():
    api = FakeCasApi()
    old = api.add_order("www.example.com", kind="certificate", status="ISSUED", certificate=False)
    result = converge(api, **APPLICANT)
    assert result["changed"] is True and result["order_id"] != old
    assert "CAS returned no certificate" in result["request"]["reason"]


@pytest.mark.parametrize("fresh_list_status", ["CHECKING", "PAYED"])
def test_fresh_order_is_reused_whichever_status_the_list_gives_it(fresh_list_status):
    api = FakeCasApi(fresh_list_status=fresh_list_status)
    first = converge(api, **APPLICANT)
    second = converge(api, **APPLICANT)
    assert (second["changed"], second["order_id"]) == (False, first["order_id"])
    assert second["order"]["status"] == fresh_list_status
    assert api.writes() == ["CreateCertificateRequest"]


@pytest.mark.parametrize("status", ["NOTACTIVATED", "SOMETHING_NEW"])
def test_orders_with_unknown_list_statuses_are_examined(status):
    api = FakeCasApi()
    order_id = api.add_order("www.example.com", status=status)
    result = converge(api)
    assert (result["changed"], result["order_id"], result["status"]) == (False, order_id, "domain_verify")


def test_a_listed_pending_order_that_was_withdrawn_is_not_reused():
    api = FakeCasApi(fresh_list_status="PAYED")
    old = api.add_order("www.example.com", kind="payed")
    result = converge(api, **APPLICANT)
    assert result["changed"] is True and result["order_id"] != old
    assert "is in state payed" in result["request"]["reason"]


# --- present: the order must be for the key and validation method asked for ---------------------

def test_pending_order_with_another_validation_method_is_not_reused():
    api = FakeCasApi()
    old = api.add_order("www.example.com", validate_type="FILE")
    result = converge(api, validate_type="DNS", **APPLICANT)
    assert result["changed"] is True and result["order_id"] != old
    assert "waits for FILE validation, and validate_type is DNS" in result["request"]["reason"]
    assert converge(api, validate_type="DNS")["order_id"] == result["order_id"]


def test_order_under_review_is_reused_whatever_method_validated_it():
    api = FakeCasApi()
    order_id = api.add_order("www.example.com", kind="process", validate_type="FILE")
    assert converge(api, validate_type="DNS")["order_id"] == order_id


def test_certificate_with_a_cas_generated_key_is_not_reused_for_a_csr():
    api = FakeCasApi()
    api.add_order("www.example.com", kind="certificate", days_left=60)
    result = converge(api, csr=make_csr("www.example.com"), **APPLICANT)
    assert api.writes() == ["CreateCertificateWithCsrRequest"]
    assert "is for another key than the csr" in result["request"]["reason"]


def test_certificate_for_the_csr_key_is_reused_and_one_for_another_key_is_not():
    api = FakeCasApi()
    key = ec.generate_private_key(ec.SECP256R1())
    order_id = api.add_order("www.example.com", kind="certificate", days_left=60, csr_key=key.public_key())
    assert converge(api, csr=make_csr("www.example.com", key))["order_id"] == order_id
    assert converge(api, csr=make_csr("www.example.com"), **APPLICANT)["order_id"] != order_id
    assert api.writes() == ["CreateCertificateWithCsrRequest"]


def test_certificate_from_a_csr_is_not_reused_when_cas_is_to_generate_the_key():
    api = FakeCasApi()
    key = ec.generate_private_key(ec.SECP256R1())
    api.add_order("www.example.com", kind="certificate", days_left=60, csr_key=key.public_key())
    result = converge(api, **APPLICANT)
    assert api.writes() == ["CreateCertificateRequest"]
    assert "issued for a CSR's key, and no csr is given" in result["request"]["reason"]


def test_in_progress_order_issued_since_listing_is_reused():
    api = FakeCasApi()
    order_id = api.add_order("www.example.com", kind="certificate", status="CHECKING")
    result = converge(api)
    assert (result["changed"], result["order_id"], result["status"]) == (False, order_id, "certificate")


def test_listed_in_progress_order_that_failed_meanwhile_is_replaced():
    api = FakeCasApi()
    api.add_order("www.example.com", kind="verify_fail", status="CHECKING")
    result = converge(api, **APPLICANT)
    assert result["changed"] is True
    assert api.writes() == ["CreateCertificateRequest"]


def test_newest_usable_order_wins_over_older_ones():
    api = FakeCasApi()
    api.add_order("www.example.com", kind="certificate", days_left=80)
    newest = api.add_order("www.example.com")
    assert converge(api)["order_id"] == newest


def test_contact_fields_are_not_needed_when_nothing_is_created():
    api = FakeCasApi()
    api.add_order("www.example.com")
    assert converge(api)["changed"] is False


def test_wildcard_without_product_code_reuses_any_wildcard_order():
    api = FakeCasApi()
    order_id = api.add_order("*.example.com", product_code="geotrust-dv-w-starter")
    result = converge(api, domain="*.example.com")
    assert (result["changed"], result["order_id"]) == (False, order_id)


@pytest.mark.parametrize("stored, asked", [
    ("www.xn--bcher-kva.example", "WWW.Bücher.example"),
    ("www.bücher.example", "www.xn--bcher-kva.example"),
    ("WWW.EXAMPLE.COM", "www.example.com"),
])
def test_existing_order_matches_case_and_idn_insensitively(stored, asked):
    api = FakeCasApi()
    order_id = api.add_order(stored)
    api.add_order("x.%s" % stored)  # the keyword search is fuzzy; only the exact domain may match
    assert converge(api, domain=asked)["order_id"] == order_id


def test_orders_for_other_domains_found_by_the_fuzzy_keyword_do_not_match():
    api = FakeCasApi()
    for domain in ("awww.example.com", "www.example.com.cn", "*.www.example.com", "mail.www.example.com"):
        api.add_order(domain)
    result = converge(api, **APPLICANT)
    assert result["changed"] is True
    assert api.writes() == ["CreateCertificateRequest"]


def test_every_page_of_orders_is_read():
    api = FakeCasApi(page_size=2)
    order_id = api.add_order("www.example.com")
    for index in range(5):
        api.add_order("host%d.www.example.com" % index)
    result = converge(api)
    assert result["order_id"] == order_id
    pages = [int(params["CurrentPage"]) for action, params in api.calls if action == "ListUserCertificateOrder"]
    assert pages == [1, 2, 3]


# --- present: create ----------------------------------------------------------------------------

def test_no_order_creates_one_and_returns_its_validation():
    api = FakeCasApi()
    result = converge(api, tags={"team": "web", "env": 1}, **APPLICANT)
    assert result["changed"] is True
    assert api.writes() == ["CreateCertificateRequest"]
    order_id = result["order_id"]
    assert list(api.orders) == [order_id]
    assert result["status"] == "domain_verify"
    assert result["validation"] == {"method": "DNS", "record_type": "TXT", "record": "_dnsauth.www",
                                    "fqdn": "_dnsauth.www.example.com", "value": "token-%d" % order_id}
    assert result["order"]["order_id"] == order_id
    assert result["order"]["buy_date"].endswith("Z")
    assert result["request"] == {"action": "CreateCertificateRequest", "domain": "www.example.com",
                                 "product_code": None, "validate_type": "DNS", "tags": {"team": "web", "env": "1"},
                                 "reason": "no order exists for the domain"}
    create = dict(api.calls)["CreateCertificateRequest"]
    assert create["Tags.1.Key"] == "env" and create["Tags.1.Value"] == "1"
    assert create["Tags.2.Key"] == "team" and create["Tags.2.Value"] == "web"
    assert "ProductCode" not in create  # the service's default applies
    assert result["diff"] == {"before": {}, "after": result["order"]}
    assert "warnings" not in result


def test_second_run_changes_nothing_and_spends_no_quota():
    api = FakeCasApi()
    first = converge(api, **APPLICANT)
    second = converge(api, **APPLICANT)
    assert (second["changed"], second["order_id"]) == (False, first["order_id"])
    assert api.writes() == ["CreateCertificateRequest"]
    assert api.packages["digicert-free-1-free"][1] == 1


def test_check_mode_only_reads_and_predicts_the_create():
    api = FakeCasApi()
    result = converge(api, check_mode=True, product_code="geotrust-dv-1-starter", source="package", **APPLICANT)
    assert api.writes() == []
    assert set(api.actions()) == {"ListUserCertificateOrder"}
    assert result["changed"] is True
    assert (result["order_id"], result["status"], result["validation"]) == (None, None, None)
    assert result["order"]["domain"] == "www.example.com"
    assert result["order"]["product_code"] == "geotrust-dv-1-starter"
    assert result["request"]["action"] == "CreateCertificateRequest"
    assert result["diff"] == {"before": {}, "after": result["order"]}


def test_check_mode_with_a_usable_order_predicts_no_change():
    api = FakeCasApi()
    api.add_order("www.example.com")
    result = converge(api, check_mode=True)
    assert result["changed"] is False
    assert api.writes() == []


@pytest.mark.parametrize("setup, reason", [
    ({"kind": "certificate", "days_left": 10}, "expires in 10 days, within renew_before_days (30)"),
    ({"kind": "certificate", "days_left": 29.9}, "expires in 29 days"),
    ({"kind": "certificate", "days_left": -3}, "is EXPIRED"),
    ({"kind": "verify_fail"}, "is CHECKED_FAIL"),
    ({"kind": "certificate", "days_left": 60, "status": "REVOKED"}, "is REVOKED"),
    ({"kind": "payed"}, "is in state payed"),
    ({"kind": "verify_fail", "status": "CHECKING"}, "is in state verify_fail"),
])
def test_unusable_order_leads_to_a_new_one(setup, reason):
    api = FakeCasApi()
    old = api.add_order("www.example.com", **setup)
    result = converge(api, **APPLICANT)
    assert result["changed"] is True
    assert result["order_id"] != old
    assert reason in result["request"]["reason"]
    assert result["diff"]["before"]["order_id"] == old
    assert result["diff"]["after"]["order_id"] == result["order_id"]


def test_renew_before_days_moves_the_renewal_window():
    api = FakeCasApi()
    old = api.add_order("www.example.com", kind="certificate", days_left=10)
    assert converge(api, renew_before_days=5)["order_id"] == old
    assert converge(api, renew_before_days=11, **APPLICANT)["changed"] is True


@pytest.mark.parametrize("days_left, renewed", [(30.5, False), (30, False), (29.99, True)])
def test_renewal_follows_the_certificate_file_rule_to_the_second(days_left, renewed):
    """certificate_file_info renews once less than renew_before_days remain; so does the order check."""
    api = FakeCasApi()
    old = api.add_order("www.example.com", kind="certificate", days_left=days_left)
    result = converge(api, renew_before_days=30, **APPLICANT)
    assert result["changed"] is renewed and (result["order_id"] != old) is renewed


def test_renewal_is_decided_on_the_certificate_not_on_the_list_dates():
    api = FakeCasApi()
    old = api.add_order("www.example.com", kind="certificate", days_left=10)
    api.orders[old]["CertEndTime"] = NOW_MS + 80 * 86400 * 1000  # the list says fresh; the certificate does not
    assert converge(api, **APPLICANT)["order_id"] != old


def test_force_always_creates():
    api = FakeCasApi()
    api.add_order("www.example.com", kind="certificate", days_left=80)
    result = converge(api, force=True, **APPLICANT)
    assert result["changed"] is True
    assert result["request"]["reason"] == "force is true"
    assert len(api.orders) == 2


def test_order_of_another_product_does_not_match_an_explicit_product_code():
    api = FakeCasApi()
    api.packages["geotrust-dv-1-starter"] = (5, 0, 0)
    api.add_order("www.example.com", product_code="digicert-free-1-free")
    result = converge(api, product_code="geotrust-dv-1-starter", **APPLICANT)
    assert result["changed"] is True
    assert dict(api.calls)["CreateCertificateRequest"]["ProductCode"] == "geotrust-dv-1-starter"


def test_missing_contact_fields_fail_after_reading_but_before_writing():
    api = FakeCasApi()
    with pytest.raises(ConfigurationError) as caught:
        converge(api, username="Jane Doe")
    assert caught.value.option == "email"
    assert "missing: email, phone" in str(caught.value)
    assert "no order exists" in str(caught.value)
    assert api.writes() == []


def test_wildcard_create_without_product_code_fails_before_writing():
    api = FakeCasApi()
    with pytest.raises(ConfigurationError) as caught:
        converge(api, domain="*.example.com", source="package", **APPLICANT)
    assert caught.value.option == "product_code"
    assert "geotrust-dv-w-starter" in str(caught.value)
    assert api.writes() == []


def test_csr_goes_through_create_with_csr_and_sends_no_domain():
    api = FakeCasApi()
    csr = make_csr("www.example.com")
    result = converge(api, csr=csr, **APPLICANT)
    assert api.writes() == ["CreateCertificateWithCsrRequest"]
    params = dict(api.calls)["CreateCertificateWithCsrRequest"]
    assert params["Csr"] == csr and "Domain" not in params
    assert result["request"]["action"] == "CreateCertificateWithCsrRequest"
    assert result["order"]["domain"] == "www.example.com"


def test_quota_error_reaches_the_caller():
    api = FakeCasApi()
    api.packages["digicert-free-1-free"] = (1, 1, 1)
    with pytest.raises(AlibabaCloudError) as caught:
        converge(api, source="package", **APPLICANT)
    assert caught.value.code == "NotRemainCount"


def test_file_validation_is_returned_with_its_url():
    api = FakeCasApi()
    result = converge(api, validate_type="FILE", **APPLICANT)
    assert result["validation"] == {
        "method": "FILE", "domain": "www.example.com", "uri": "/.well-known/pki-validation/fileauth.txt",
        "content": "token-%d" % result["order_id"],
        "url": "http://www.example.com/.well-known/pki-validation/fileauth.txt"}


@pytest.mark.parametrize("style", ["zone", "domain"])
@pytest.mark.parametrize("domain, record, fqdn", [
    ("www.example.com", {"zone": "_dnsauth.www", "domain": "_dnsauth"}, "_dnsauth.www.example.com"),
    ("example.com", {"zone": "_dnsauth", "domain": "_dnsauth"}, "_dnsauth.example.com"),
    ("a.b.example.com", {"zone": "_dnsauth.a.b", "domain": "_dnsauth"}, "_dnsauth.a.b.example.com"),
    ("*.shop.example.com", {"zone": "_dnsauth.shop", "domain": "_dnsauth"}, "_dnsauth.shop.example.com"),
])
def test_validation_fqdn_is_right_for_both_record_domain_styles(style, domain, record, fqdn):
    api = FakeCasApi(record_domain_style=style)
    api.packages["geotrust-dv-w-starter"] = (5, 0, 0)
    product = "geotrust-dv-w-starter" if domain.startswith("*.") else None
    result = converge(api, domain=domain, product_code=product, **APPLICANT)
    assert result["validation"]["record"] == record[style]
    assert result["validation"]["fqdn"] == fqdn


# --- never two orders ---------------------------------------------------------------------------

def rpc_over(session):
    return RpcClient("https://127.0.0.1:1", "2020-04-07", Credentials("LTAIfake", SECRET), session=session,
                     retry_policy=RetryPolicy(rng=lambda: 0.0), sleep=lambda seconds: None)


def test_lost_create_answer_adopts_the_order_instead_of_submitting_again():
    api = FakeCasApi()
    api.add_order("www.example.com", kind="verify_fail")
    session = FakeSession(api, lose=["CreateCertificateRequest"])
    result = run(options(**APPLICANT), lambda: CasClient(rpc_over(session)), now_ms=NOW_MS)
    assert api.writes() == ["CreateCertificateRequest"]
    fresh = [order_id for order_id, order in api.orders.items() if order["Type"] == "domain_verify"]
    assert fresh == [result["order_id"]]
    assert result["changed"] is True
    assert "was adopted instead of submitting again" in result["warnings"][0]


def test_create_failing_with_5xx_is_not_submitted_again_and_says_the_order_may_exist():
    api = FakeCasApi()
    session = FakeSession(api)
    api.errors["CreateCertificateRequest"] = AlibabaCloudError("busy", code="ServiceUnavailable", http_status=503)
    with pytest.raises(OrderOutcomeUnknownError) as caught:
        run(options(**APPLICANT), lambda: CasClient(rpc_over(session)), now_ms=NOW_MS)
    assert api.writes() == ["CreateCertificateRequest"]
    assert "may have been created" in str(caught.value) and "Run the task again" in str(caught.value)
    assert caught.value.to_result()["order_may_exist"] is True


def test_lost_create_does_not_adopt_an_order_bought_before_it_started():
    """Another host's order for the domain, missing from the first (lagging) list, is not ours."""
    api = FakeCasApi(list_lag=1)
    session = FakeSession(api, lose=["CreateCertificateRequest"])
    # Bought two minutes ago elsewhere, and still missing from this run's first list.
    other = api.add_order("www.example.com", buy_ms=int(time.time() * 1000) - 120 * 1000, hidden_lists=1)
    result = run(options(**APPLICANT), lambda: CasClient(rpc_over(session)), now_ms=NOW_MS)
    mine = max(api.orders)
    assert (result["order_id"], result["changed"]) == (mine, True) and mine != other
    assert api.writes() == ["CreateCertificateRequest"]
    assert "was adopted" in result["warnings"][0]


# --- absent -------------------------------------------------------------------------------------

def test_absent_withdraws_pending_and_failed_orders_and_keeps_issued_ones():
    api = FakeCasApi()
    pending = api.add_order("www.example.com")
    reviewing = api.add_order("www.example.com", kind="process")
    failed = api.add_order("www.example.com", kind="verify_fail")
    payed = api.add_order("www.example.com", kind="payed")
    issued = api.add_order("www.example.com", kind="certificate", days_left=50)
    expired = api.add_order("www.example.com", kind="certificate", days_left=-5)
    other = api.add_order("mail.example.com")
    result = converge(api, state="absent")
    assert result["changed"] is True
    assert sorted(o["order_id"] for o in result["withdrawn"]) == sorted([pending, reviewing, failed, payed])
    assert sorted(o["order_id"] for o in result["kept"]) == sorted([issued, expired])
    assert sorted(api.orders) == sorted([issued, expired, other])
    writes = [(action, int(params["OrderId"])) for action, params in api.calls if action in (
        "CancelOrderRequest", "DeleteCertificateRequest")]
    for order_id in (pending, reviewing):
        assert writes.index(("CancelOrderRequest", order_id)) < writes.index(("DeleteCertificateRequest", order_id))
    for order_id in (failed, payed):
        assert ("CancelOrderRequest", order_id) not in writes
    assert len(result["warnings"]) == 1
    assert str(issued) in result["warnings"][0] and "revoking a certificate cannot be undone" in result["warnings"][0]
    assert len(result["diff"]["before"]["orders"]) == 6
    assert result["diff"]["after"]["orders"] == result["kept"]


def test_absent_twice_is_idempotent():
    api = FakeCasApi()
    api.add_order("www.example.com")
    assert converge(api, state="absent")["changed"] is True
    second = converge(api, state="absent")
    assert second["changed"] is False
    assert second["withdrawn"] == [] and second["warnings"] == []


def test_absent_in_check_mode_makes_no_writes():
    api = FakeCasApi()
    order_id = api.add_order("www.example.com")
    result = converge(api, state="absent", check_mode=True)
    assert result["changed"] is True
    assert [o["order_id"] for o in result["withdrawn"]] == [order_id]
    assert api.writes() == []
    assert order_id in api.orders


def test_absent_only_touches_the_given_product_code():
    api = FakeCasApi()
    kept = api.add_order("www.example.com", product_code="digicert-free-1-free")
    gone = api.add_order("www.example.com", product_code="geotrust-dv-1-starter")
    converge(api, state="absent", product_code="geotrust-dv-1-starter")
    assert kept in api.orders and gone not in api.orders


def test_absent_counts_an_order_deleted_meanwhile_as_withdrawn():
    api = FakeCasApi()
    order_id = api.add_order("www.example.com", kind="verify_fail")
    api.errors["DeleteCertificateRequest"] = AlibabaCloudError("gone", code="NotFoundOrder", http_status=404)
    result = converge(api, state="absent")
    assert [o["order_id"] for o in result["withdrawn"]] == [order_id]


@pytest.mark.parametrize("fresh_list_status", ["CHECKING", "PAYED"])
@pytest.mark.parametrize("cancel_mode", ["sync", "async"])
def test_absent_withdraws_pending_orders_whether_cancel_is_synchronous_or_not(cancel_mode, fresh_list_status):
    api = FakeCasApi(cancel_mode=cancel_mode, fresh_list_status=fresh_list_status)
    pending = api.add_order("www.example.com")
    result = converge(api, state="absent")
    assert [o["order_id"] for o in result["withdrawn"]] == [pending]
    assert api.orders == {}
    assert converge(api, state="absent")["changed"] is False


def test_absent_treats_a_retried_cancel_that_finds_the_order_cancelled_as_done():
    api = FakeCasApi()
    pending = api.add_order("www.example.com")
    session = FakeSession(api, lose=["CancelOrderRequest"])
    result = run(options(state="absent"), lambda: CasClient(rpc_over(session)), now_ms=NOW_MS)
    assert [o["order_id"] for o in result["withdrawn"]] == [pending]
    assert api.writes() == ["CancelOrderRequest", "CancelOrderRequest", "DeleteCertificateRequest"]
    assert api.orders == {}


def test_absent_leaves_orders_in_unknown_states_with_a_warning():
    api = FakeCasApi()
    order_id = api.add_order("www.example.com", kind="unknow", status="CHECKING")
    result = converge(api, state="absent")
    assert result["changed"] is False
    assert "'unknow'" in result["warnings"][0] and str(order_id) in result["warnings"][0]


# --- secrets ------------------------------------------------------------------------------------

def test_results_never_carry_the_private_key_or_the_secret():
    api = FakeCasApi()
    api.add_order("www.example.com", kind="certificate", days_left=60)
    session = FakeSession(api)
    result = run(options(**APPLICANT), lambda: CasClient(rpc_over(session)), diff_mode=True, now_ms=NOW_MS)
    text = repr(result)
    assert PRIVATE_KEY_PEM.strip().splitlines()[1] not in text
    assert SECRET not in text


# --- V2.0 instances and the choice between the flows ----------------------------------------------

def v2_converge(api, check_mode=False, diff_mode=True, sleeps=None, **overrides):
    sleeps = [] if sleeps is None else sleeps
    now = [0.0]

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds
    return run(options(**overrides), lambda: CasClient(api), check_mode=check_mode, diff_mode=diff_mode,
               now_ms=NOW_MS, instances_factory=lambda cas: CasInstancesClient(api, sleep=sleep, clock=lambda: now[0]))


def v2_account(quota=0):
    """An account after 2026-02-14: no V1.0 quota unless ``quota``, instances added by the test."""
    api = FakeCasApi()
    api.packages = {"digicert-free-1-free": (quota, 0, 0)} if quota else {}
    return api


@pytest.mark.parametrize("quota, instances, overrides, expected", [
    (5, [("TEST", 1, 0)], {}, "package"),
    (0, [("TEST", 1, 0)], {}, ("instance", 0)),
    (0, [("BUY", 1, 0), ("TEST", 1, 0)], {}, ("instance", 1)),
    (0, [("TEST", 1, 0), ("BUY", 1, 0)], {"instance_type": "BUY"}, ("instance", 1)),
    (0, [("BUY", 1, 0)], {}, "nothing fits"),
    (5, [("TEST", 1, 0), ("TEST", 2, 0)], {"domains": ["www.example.com", "api.example.com"], "domain": None},
     ("instance", 1)),
    (5, [("TEST", 1, 0), ("BUY", 1, 1)], {"domain": "*.example.com", "instance_type": "BUY"}, ("instance", 1)),
    (5, [("TEST", 1, 0)], {"key_algorithm": "ECC_256"}, ("instance", 0)),
    (0, [("TEST", 5, 0), ("TEST", 1, 0)], {}, ("instance", 1)),  # the smallest spec that fits
    (0, [("TEST", 1, 0)], {"domains": ["www.example.com", "api.example.com"], "domain": None}, "nothing fits"),
])
def test_auto_picks_quota_then_a_fitting_inactive_instance_of_the_allowed_type(quota, instances, overrides, expected):
    api = v2_account(quota)
    ids = [api.add_instance(kind, full=full, wildcard=wildcard) for kind, full, wildcard in instances]
    if expected == "nothing fits":
        with pytest.raises(ConfigurationError) as caught:
            v2_converge(api, **dict(APPLICANT, **overrides))
        assert "Nothing was written" in str(caught.value) and "V2.0 instances: TEST" in str(caught.value)
        assert "V1.0 quota" in str(caught.value)
        assert api.accepted_writes() == []
        return
    result = v2_converge(api, **dict(APPLICANT, **overrides))
    # auto reads no quota: it tries the V1.0 create, and a refusal for want of quota sends it on.
    assert "DescribePackageState" not in api.actions()
    if expected == "package":
        assert (result["source"], result["instance_id"]) == ("package", None)
        assert api.writes() == ["CreateCertificateRequest"]
        return
    assert (result["source"], result["instance_id"]) == ("instance", ids[expected[1]])
    assert [w for w in api.accepted_writes() if w != "CreateContact"] == ["UpdateInstance", "ApplyCertificate"]
    v1_possible = "domains" not in overrides and "key_algorithm" not in overrides and "*" not in overrides.get(
        "domain", "")
    assert api.writes().count("CreateCertificateRequest") == (1 if v1_possible and not quota else 0)


def test_nothing_fits_names_the_quota_and_the_instances_by_type():
    api = v2_account()
    api.packages = {"digicert-free-1-free": (3, 3, 3)}
    api.add_instance("BUY")
    api.add_instance("BUY", full=1, wildcard=1)
    with pytest.raises(ConfigurationError) as caught:
        v2_converge(api, check_mode=True, **APPLICANT)
    message = str(caught.value)
    assert "digicert-free-1-free has 0 of 3 left" in message
    assert "TEST 0 inactive, 0 fit www.example.com" in message
    assert "BUY 2 inactive, 2 fit www.example.com, not allowed by instance_type=TEST" in message
    assert caught.value.option == "instance_type"


@pytest.mark.parametrize("product_code", [None, "geotrust-dv-1-starter"])
def test_a_refused_create_names_the_product_whose_quota_is_gone(product_code):
    """Without a quota read, the refusal is all auto knows of V1.0: the message still says which
    product had no quota left, so the operator knows what to buy or which product_code to change."""
    api = v2_account()
    api.packages = {"digicert-free-1-free": (3, 3, 3), "geotrust-dv-1-starter": (1, 1, 1)}
    applicant = dict(APPLICANT, product_code=product_code) if product_code else APPLICANT
    with pytest.raises(ConfigurationError) as caught:
        v2_converge(api, **applicant)
    message = str(caught.value)
    assert "V1.0 quota: none left for %s (CreateCertificateRequest answered" % (
        product_code or "digicert-free-1-free") in message
    assert "Nothing was written" in message and api.accepted_writes() == []


@pytest.mark.parametrize("check_mode", [False, True])
@pytest.mark.parametrize("how", ["auto", "instance", "instance_id"])
def test_a_paid_instance_is_never_spent_unless_instance_type_is_buy(check_mode, how):
    api = v2_account()
    paid = api.add_instance("BUY")
    overrides = {"source": "instance"} if how == "instance" else {"instance_id": paid} if how == "instance_id" else {}
    with pytest.raises(ConfigurationError) as caught:
        v2_converge(api, check_mode=check_mode, **dict(APPLICANT, **overrides))
    assert caught.value.option == "instance_type"
    assert api.accepted_writes() == [] and api.instances[paid]["Status"] == "inactive"
    allowed = v2_converge(api, check_mode=check_mode, instance_type="BUY", **dict(APPLICANT, **overrides))
    assert allowed["instance_id"] == paid and allowed["request"]["instance_type"] == "BUY"
    assert bool(api.accepted_writes()) is not check_mode


@pytest.mark.parametrize("overrides, option, fragment", [
    ({"source": "package", "domains": ["a.example.com", "b.example.com"], "domain": None}, "domains",
     "a V1.0 order (source=package) holds one name"),
    ({"domains": ["a.example.com"]}, "domain", "exactly one of domain"),
    ({"domain": None}, "domain", "exactly one of domain"),
    ({"domains": [], "domain": None}, "domains", "at least one name"),
    ({"domains": ["a.example.com", "https://b.example.com"], "domain": None}, "domains", "without a scheme"),
    ({"domains": ["*.example.com"], "domain": None, "validate_type": "FILE"}, "validate_type", "wildcard"),
    ({"instance_id": "cas-cn-1", "source": "package"}, "instance_id", "Drop one of them"),
    ({"source": "instance", "product_code": "digicert-free-1-free"}, "product_code", "does not apply"),
    ({"csr": make_csr("www.example.com"), "key_algorithm": "ECC_256"}, "key_algorithm", "CSR's own"),
    ({"source": "package", "key_algorithm": "RSA_4096"}, "key_algorithm", "takes none"),
])
def test_bad_v2_options_fail_before_any_call(overrides, option, fragment):
    with pytest.raises(ConfigurationError) as caught:
        run(options(**overrides), refuse_connection)
    assert caught.value.option == option
    assert fragment in str(caught.value)


def test_apply_fills_in_the_instance_and_returns_every_validation():
    api = v2_account()
    instance_id = api.add_instance("TEST", full=2)
    result = v2_converge(api, domain=None, domains=["www.example.com", "api.example.com"], **APPLICANT)
    update = dict(api.calls)["UpdateInstance"]
    assert update["Domain"] == "www.example.com,api.example.com" and update["ValidationMethod"] == "DNS"
    assert (update["GenerateCsrMethod"], update["KeyAlgorithm"]) == ("online", "RSA_2048")
    assert update["ContactIdList.1"] == api.contacts[0]["ContactId"]
    assert api.contacts[0]["Mobile"] == "+8613800000000"
    assert dict(api.calls)["ApplyCertificate"]["ClientToken"].startswith("alicloud.cas-ApplyCertificate-")
    assert (result["changed"], result["source"], result["instance_id"], result["order_id"]) == (
        True, "instance", instance_id, None)
    assert (result["status"], result["phase"]) == ("pending", "validating")
    assert [v["fqdn"] for v in result["validations"]] == ["_dnsauth.www.example.com", "_dnsauth.api.example.com"]
    assert result["validation"] == result["validations"][0]
    assert result["diff"]["before"]["status"] == "inactive" and result["diff"]["after"]["status"] == "pending"
    assert "warnings" not in result


def test_rerun_reuses_the_pending_application_without_writes():
    api = v2_account()
    api.add_instance("TEST")
    api.add_instance("TEST")
    first = v2_converge(api, **APPLICANT)
    writes = api.writes()
    again = v2_converge(api, **APPLICANT)
    assert (again["changed"], again["instance_id"], again["phase"]) == (False, first["instance_id"], "validating")
    assert again["validations"] == first["validations"] and api.writes() == writes
    api.issue_instance(first["instance_id"])
    issued = v2_converge(api, **APPLICANT)
    assert (issued["changed"], issued["instance_id"], issued["phase"], issued["validations"]) == (
        False, first["instance_id"], "issued", [])
    assert api.writes() == writes
    assert PRIVATE_KEY_PEM not in repr(issued)


def test_an_existing_instance_is_reused_even_with_quota_left():
    api = v2_account(quota=5)
    instance_id = api.add_instance("TEST", status="pending", domains=["www.example.com"], ValidationMethod="DNS")
    result = v2_converge(api, **APPLICANT)
    assert (result["changed"], result["source"], result["instance_id"]) == (False, "instance", instance_id)
    assert api.writes() == []


def test_a_pending_order_is_reused_before_any_instance_is_looked_for():
    api = v2_account()
    api.add_order("www.example.com")
    api.add_instance("TEST")
    result = v2_converge(api, **APPLICANT)
    assert (result["changed"], result["source"], result["phase"]) == (False, "package", "validating")
    assert result["validations"] == [result["validation"]] and api.writes() == []


@pytest.mark.parametrize("held, overrides, reason", [
    ({"ValidationMethod": "HTTP"}, {}, "waits for HTTP validation, and validate_type is DNS"),
    ({"GenerateCsrMethod": "upload", "Csr": make_csr("www.example.com")}, {}, "with a CSR, and no csr is given"),
    ({"GenerateCsrMethod": "online"}, {"csr": make_csr("www.example.com")}, "key CAS generates, and a csr is given"),
    ({"GenerateCsrMethod": "upload", "Csr": make_csr("www.example.com")}, {"csr": make_csr("www.example.com")},
     "another CSR's key than the csr"),
    ({"KeyAlgorithm": "RSA_2048"}, {"key_algorithm": "ECC_256"}, "with key RSA_2048, and key_algorithm is ECC_256"),
])
def test_a_pending_application_for_another_method_or_key_is_a_mismatch(held, overrides, reason):
    api = v2_account()
    old = api.add_instance("TEST", status="pending", domains=["www.example.com"], **held)
    fresh = api.add_instance("TEST")
    result = v2_converge(api, **dict(APPLICANT, **overrides))
    assert (result["changed"], result["instance_id"]) == (True, fresh)
    assert reason in result["request"]["reason"] and old in result["request"]["reason"]


def test_a_pending_application_with_the_same_csr_is_reused():
    api = v2_account()
    csr = make_csr("www.example.com")
    held = api.add_instance("TEST", status="pending", domains=["www.example.com"], GenerateCsrMethod="upload", Csr=csr)
    api.add_instance("TEST")
    assert v2_converge(api, csr=csr, **APPLICANT)["instance_id"] == held and api.writes() == []


@pytest.mark.parametrize("csr_key, days_left, overrides, reason", [
    (False, 90, {}, None),
    (False, 10, {}, "expires in 10 days, within renew_before_days (30)"),
    (True, 90, {}, "was issued for a CSR's key, and no csr is given"),
    (False, 90, {"csr": "own"}, "for another key than the csr"),
    (True, 90, {"csr": "same"}, None),
    (False, 90, {"key_algorithm": "RSA_4096"}, "has a RSA_2048 key, and key_algorithm is RSA_4096"),
])
def test_an_issued_instance_counts_only_for_the_key_asked_for_and_while_fresh(csr_key, days_left, overrides, reason):
    api = v2_account()
    key = ec.generate_private_key(ec.SECP256R1())
    own_csr = make_csr("www.example.com", key)
    held = {"GenerateCsrMethod": "upload", "Csr": own_csr} if csr_key else {"GenerateCsrMethod": "online"}
    issued = api.add_instance("TEST", status="pending", domains=["www.example.com"], KeyAlgorithm="RSA_2048", **held)
    if csr_key:
        api.instance_material[issued]["public_key"] = key.public_key()
    api.issue_instance(issued, days_left=days_left)
    fresh = api.add_instance("TEST")
    if overrides.get("csr"):
        overrides = dict(overrides, csr=own_csr if overrides["csr"] == "same" else make_csr("www.example.com"))
    result = v2_converge(api, **dict(APPLICANT, **overrides))
    if reason is None:
        assert (result["changed"], result["instance_id"], result["phase"]) == (False, issued, "issued")
        assert api.writes() == []
    else:
        assert (result["changed"], result["instance_id"]) == (True, fresh)
        assert reason in result["request"]["reason"]


def test_an_existing_contact_is_reused_and_one_is_created_once():
    api = v2_account()
    for _count in range(3):
        api.add_instance("TEST")
    api.contacts.append({"ContactId": 42, "Name": "Jane Doe", "Mobile": "+8613800000000", "Email": "jane@example.com"})
    v2_converge(api, **APPLICANT)
    assert "CreateContact" not in api.writes() and dict(api.calls)["UpdateInstance"]["ContactIdList.1"] == 42
    api.contacts.clear()
    v2_converge(api, domain="api.example.com", **APPLICANT)
    v2_converge(api, domain="shop.example.com", **APPLICANT)
    assert api.writes().count("CreateContact") == 1 and len(api.contacts) == 1


def test_a_contact_with_the_same_name_and_another_phone_fails_clearly():
    api = v2_account()
    api.add_instance("TEST")
    api.contacts.append({"ContactId": 42, "Name": "Jane Doe", "Mobile": "+8613911111111", "Email": "jane@example.com"})
    api.retry_policy.confirm_reads = 1
    with pytest.raises(ConfigurationError) as caught:
        v2_converge(api, **APPLICANT)
    assert caught.value.option == "username" and "phone or email differ" in str(caught.value)
    assert api.accepted_writes() == []


def test_the_applicant_is_needed_for_an_application():
    api = v2_account()
    api.add_instance("TEST")
    with pytest.raises(ConfigurationError) as caught:
        v2_converge(api, username="Jane Doe")
    assert "A new order or application must be submitted" in str(caught.value) and caught.value.option == "email"
    assert api.writes() == []
    with pytest.raises(ConfigurationError) as caught:
        v2_converge(api, source="instance", username="Jane Doe")
    assert "A new application must be submitted" in str(caught.value) and caught.value.option == "email"


def test_check_mode_only_reads_and_names_the_instance_it_would_use():
    api = v2_account()
    api.add_instance("BUY")
    test_instance = api.add_instance("TEST")
    result = v2_converge(api, check_mode=True, **APPLICANT)
    assert api.writes() == []
    assert (result["changed"], result["source"], result["instance_id"]) == (True, "instance", test_instance)
    assert result["request"]["action"] == "ApplyCertificate" and result["phase"] is None
    assert result["diff"]["before"]["domains"] == [] and result["diff"]["after"]["domains"] == ["www.example.com"]


def test_the_validation_records_are_waited_for_within_a_bound():
    api = v2_account()
    api.add_instance("TEST")
    api.validation_reads = 2
    sleeps = []
    result = v2_converge(api, sleeps=sleeps, **APPLICANT)
    assert result["phase"] == "validating" and len(result["validations"]) == 1 and sleeps == [1.0, 2.0]
    api.add_instance("TEST")
    api.validation_reads = 1000
    sleeps.clear()
    late = v2_converge(api, sleeps=sleeps, domain="api.example.com", **APPLICANT)
    assert (late["phase"], late["validations"], late["validation"]) == ("reviewing", [], None)
    assert "shows no validation records" in late["warnings"][0]
    assert sum(sleeps) <= 30


def test_a_named_instance_that_is_not_inactive_is_refused():
    api = v2_account()
    busy = api.add_instance("TEST", status="pending", domains=["shop.example.com"])
    with pytest.raises(ConfigurationError) as caught:
        v2_converge(api, instance_id=busy, **APPLICANT)
    assert caught.value.option == "instance_id" and "only an inactive instance" in str(caught.value).lower()
    with pytest.raises(ConfigurationError, match="does not exist"):
        v2_converge(api, instance_id="cas-cn-missing", **APPLICANT)
    assert api.writes() == []


def test_an_instance_without_counts_holds_one_single_name():
    api = v2_account()
    api.add_instance("TEST", counts=False)
    assert v2_converge(api, **APPLICANT)["source"] == "instance"
    api.add_instance("TEST", counts=False)
    with pytest.raises(ConfigurationError, match="Nothing can be spent"):
        v2_converge(api, domain="*.example.com", **APPLICANT)


@pytest.mark.parametrize("cancel_status", ["normal", "inactive"])
def test_absent_withdraws_the_pending_application_and_waits(cancel_status):
    api = v2_account()
    api.cancel_status = cancel_status
    api.add_instance("TEST")
    applied = v2_converge(api, **APPLICANT)
    planned = v2_converge(api, check_mode=True, state="absent")
    assert planned["changed"] is True and [i["instance_id"] for i in planned["withdrawn_instances"]] == [
        applied["instance_id"]]
    assert "CancelPendingCertificate" not in api.writes()
    sleeps = []
    gone = v2_converge(api, state="absent", sleeps=sleeps)
    assert gone["changed"] is True and gone["withdrawn_instances"][0]["status"] == cancel_status
    assert api.writes().count("CancelPendingCertificate") == 1 and sleeps
    assert not {"RefundInstance", "DeleteInstance", "RevokeCertificate"} & set(api.actions())
    again = v2_converge(api, state="absent")
    assert again["changed"] is False and again["withdrawn_instances"] == []


def test_absent_leaves_an_issued_certificate_alone():
    api = v2_account()
    issued = api.add_instance("TEST", status="pending", domains=["www.example.com"])
    api.issue_instance(issued)
    result = v2_converge(api, state="absent")
    assert result["changed"] is False and [i["instance_id"] for i in result["kept_instances"]] == [issued]
    assert "left alone" in result["warnings"][0] and api.writes() == []


def test_an_instance_prepared_for_the_names_comes_first_then_blank_ones():
    api = v2_account()
    other = api.add_instance("TEST", domains=["shop.example.com"])
    blank = api.add_instance("TEST")
    prepared = api.add_instance("TEST", domains=["www.example.com"])
    assert v2_converge(api, check_mode=True, **APPLICANT)["instance_id"] == prepared
    del api.instances[prepared]
    assert v2_converge(api, check_mode=True, **APPLICANT)["instance_id"] == blank
    del api.instances[blank]
    assert v2_converge(api, check_mode=True, **APPLICANT)["instance_id"] == other


def test_auto_fails_on_a_create_refused_for_another_reason_and_spends_no_instance():
    api = v2_account(quota=5)
    instance_id = api.add_instance("TEST")
    api.errors["CreateCertificateRequest"] = AlibabaCloudError(
        "refused", code="CreateCertificateRequestFailed", http_status=403, action="CreateCertificateRequest")
    with pytest.raises(AlibabaCloudError) as caught:
        v2_converge(api, **APPLICANT)
    assert caught.value.code == "CreateCertificateRequestFailed"
    assert api.accepted_writes() == [] and api.instances[instance_id]["Status"] == "inactive"
