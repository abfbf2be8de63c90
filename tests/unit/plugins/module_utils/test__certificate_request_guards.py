# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Issue 17's guards in certificate_request: a renew_before_days at least the certificate's
lifetime is refused (it bought a certificate on every run), state=absent with order_id
withdraws exactly one V1.0 order so that its quota unit comes back, and after ApplyCertificate
the names the instance holds are checked. With the in-memory fake, then against the emulator."""

from __future__ import annotations

import threading
import time

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils._cas import CasClient
from ansible_collections.alicloud.cas.plugins.module_utils._cas_instances import CasInstancesClient
from ansible_collections.alicloud.cas.plugins.module_utils._certificate_request import (
    BatchError,
    InstanceNamesMismatchError,
    run,
)
from ansible_collections.alicloud.cas.plugins.module_utils._credentials import Credentials
from ansible_collections.alicloud.cas.plugins.module_utils._errors import ConfigurationError
from ansible_collections.alicloud.cas.plugins.module_utils._transport import CAS_VERSION, RpcClient
from tests.emulator import running_emulator
from tests.unit.plugins.module_utils.emulator_run import DEMO_KEY as KEY, DEMO_SECRET as SECRET, run_against_emulator
from tests.unit.plugins.module_utils.cas_fake import NOW_MS, FakeCasApi

ACCOUNT = "1234567890123456"
APPLICANT = {"username": "Jane Doe", "email": "jane@example.com", "phone": "+86 138 0000 0000"}


def options(**overrides):
    params = {"domain": "www.example.com", "state": "present", "renew_before_days": 30}
    params.update(APPLICANT)
    params.update(overrides)
    return params


def converge(api, check_mode=False, diff_mode=True, **overrides):
    return run(options(**overrides), lambda: CasClient(api), check_mode=check_mode, diff_mode=diff_mode,
               now_ms=NOW_MS, instances_factory=lambda cas: CasInstancesClient(api))


def refuse_connection():
    raise AssertionError("no client may be built before the options are checked")


# --- renew_before_days and the lifetime -------------------------------------------------------------

@pytest.mark.parametrize("overrides, lifetime", [
    ({"renew_before_days": 120}, "3 months (90 days)"),
    ({"renew_before_days": 90, "source": "package"}, "3 months (90 days)"),
    ({"renew_before_days": 400, "product_code": "symantec-free-1-free"}, "1 year (365 days)"),
])
def test_a_window_at_least_the_products_lifetime_is_refused_before_any_call(overrides, lifetime):
    with pytest.raises(ConfigurationError) as caught:
        run(options(**overrides), refuse_connection)
    assert caught.value.option == "renew_before_days"
    assert "renew_before_days is %d" % overrides["renew_before_days"] in str(caught.value)
    assert lifetime in str(caught.value)


@pytest.mark.parametrize("overrides", [
    {"renew_before_days": 89},
    {"renew_before_days": 364, "product_code": "symantec-free-1-free"},
    # Lifetimes not documented: nothing is assumed before a certificate is issued.
    {"renew_before_days": 400, "product_code": "geotrust-dv-1-starter"},
    {"renew_before_days": 400, "source": "instance"},
    {"renew_before_days": 400, "domain": None, "domains": ["www.example.com", "api.example.com"]},
    {"renew_before_days": 400, "state": "absent"},
])
def test_a_window_shorter_than_the_lifetime_or_of_an_unknown_lifetime_goes_on(overrides):
    api = FakeCasApi()
    api.add_instance(full=2)
    converge(api, **overrides)


def test_the_batch_names_the_item_whose_product_refuses_the_window():
    params = options(domain=None, renew_before_days=200, certificates=[
        {"domain": "a.example.com", "product_code": "symantec-free-1-free"},
        {"domain": "b.example.com"}])
    with pytest.raises(ConfigurationError) as caught:
        run(params, refuse_connection)
    assert caught.value.option == "certificates[1].renew_before_days"
    assert "3 months (90 days)" in str(caught.value)


def test_an_item_may_set_its_own_window():
    api = FakeCasApi()
    api.packages["symantec-free-1-free"] = (20, 0, 0)
    result = run(options(domain=None, renew_before_days=120, certificates=[
        {"domain": "a.example.com", "product_code": "symantec-free-1-free"},
        {"domain": "b.example.com", "renew_before_days": 20}]), lambda: CasClient(api), now_ms=NOW_MS)
    assert [item["changed"] for item in result["certificates"]] == [True, True]


def test_an_issued_order_whose_lifetime_is_within_the_window_is_refused_before_any_write():
    """geotrust-dv-1-starter has no documented lifetime; its issued certificate (90 days, 60
    left) shows it. The old code ordered a new one, and would on every run."""
    api = FakeCasApi()
    api.packages["geotrust-dv-1-starter"] = (20, 1, 1)
    order_id = api.add_order("www.example.com", kind="certificate", days_left=60, product_code="geotrust-dv-1-starter")
    with pytest.raises(ConfigurationError) as caught:
        converge(api, product_code="geotrust-dv-1-starter", renew_before_days=100)
    assert caught.value.option == "renew_before_days"
    assert "order %d is valid for 90 days" % order_id in str(caught.value)
    assert api.writes() == []


def test_an_issued_instance_whose_lifetime_is_within_the_window_is_refused_before_any_write():
    api = FakeCasApi()
    instance_id = api.add_instance(domains=["www.example.com"], status="pending")
    api.issue_instance(instance_id, days_left=60)
    api.add_instance()
    with pytest.raises(ConfigurationError) as caught:
        converge(api, source="instance", renew_before_days=120)
    assert "instance %s is valid for 90 days" % instance_id in str(caught.value)
    assert api.writes() == []


# --- state=absent with order_id ---------------------------------------------------------------------

@pytest.mark.parametrize("kind, writes", [
    ("domain_verify", ["CancelOrderRequest", "DeleteCertificateRequest"]),
    ("process", ["CancelOrderRequest", "DeleteCertificateRequest"]),
    ("verify_fail", ["DeleteCertificateRequest"]),
    ("payed", ["DeleteCertificateRequest"]),
])
def test_order_id_withdraws_exactly_that_order(kind, writes):
    api = FakeCasApi()
    other = api.add_order("www.example.com")
    order_id = api.add_order("www.example.com", kind=kind)
    result = converge(api, state="absent", order_id=order_id)
    assert result["changed"] is True and result["order_id"] == order_id
    assert api.writes() == writes
    assert [params["OrderId"] for action, params in api.calls if action in writes] == [order_id] * len(writes)
    assert list(api.orders) == [other]
    assert "was %s" % ("cancelled" if len(writes) == 2 else "deleted") in result["msg"]
    assert [item["order_id"] for item in result["withdrawn"]] == [order_id]
    assert result["diff"]["after"] == {"orders": []}


def test_order_id_in_check_mode_says_what_would_be_done_and_writes_nothing():
    api = FakeCasApi()
    order_id = api.add_order("www.example.com", kind="verify_fail")
    result = converge(api, check_mode=True, state="absent", order_id=order_id)
    assert result["changed"] is True and "would be deleted" in result["msg"]
    assert result["diff"]["before"]["orders"][0]["status"] == "verify_fail"
    assert api.writes() == [] and order_id in api.orders


def test_order_id_never_withdraws_an_issued_order():
    api = FakeCasApi()
    order_id = api.add_order("www.example.com", kind="certificate", days_left=60)
    with pytest.raises(ConfigurationError) as caught:
        converge(api, state="absent", order_id=order_id)
    assert caught.value.option == "order_id" and "holds an issued certificate" in str(caught.value)
    assert api.writes() == []


def test_order_id_of_an_order_that_is_gone_changes_nothing():
    api = FakeCasApi()
    result = converge(api, state="absent", order_id=12345, domain=None)
    assert result["changed"] is False and "does not exist" in result["msg"]
    assert api.writes() == []


@pytest.mark.parametrize("overrides, option", [
    ({"order_id": 5}, "order_id"),  # state present
    ({"state": "absent", "order_id": 0}, "order_id"),
    ({"state": "absent", "order_id": 5, "source": "instance"}, "source"),
    ({"state": "absent", "order_id": 5, "instance_id": "cas-cn-x"}, "instance_id"),
    ({"state": "absent", "order_id": 5, "domain": None, "domains": ["a.example.com", "b.example.com"]}, "domains"),
])
def test_order_id_misuse_is_refused_before_any_call(overrides, option):
    with pytest.raises(ConfigurationError) as caught:
        run(options(**overrides), refuse_connection)
    assert caught.value.option == option


def test_order_id_as_a_batch_item_key():
    api = FakeCasApi()
    failed = api.add_order("www.example.com", kind="verify_fail")
    issued = api.add_order("api.example.com", kind="certificate", days_left=60)
    with pytest.raises(BatchError) as caught:
        run(options(domain=None, state="absent", certificates=[{"order_id": failed}, {"order_id": issued}]),
            lambda: CasClient(api), now_ms=NOW_MS)
    first, second = caught.value.result["certificates"]
    assert (first["name"], first["changed"], first["failed"]) == ("order %d" % failed, True, False)
    assert "deleted" in first["msg"]
    assert second["failed"] is True and "holds an issued certificate" in second["msg"]
    assert list(api.orders) == [issued]


# --- the emulator ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def emu():
    yield from running_emulator(seed="demo")


def request(emu, **overrides):
    return run_against_emulator(emu, options(**overrides), diff_mode=True)


def publish(emu, result):
    validation = result["validation"]
    emu.control.add_record(ACCOUNT, "example.com", validation["fqdn"][:-len(".example.com")], "TXT",
                           validation["value"], ttl=600)


def test_emulator_renew_before_days_120_no_longer_buys_a_certificate_on_every_run(emu):
    """The issue's reproduction: two runs with renew_before_days 120 placed two orders (the
    second because the fresh 90-day certificate was already due). Now the first is refused
    before any call."""
    emu.control.reset("demo")
    emu.control.clear_calls()
    with pytest.raises(ConfigurationError) as caught:
        request(emu, source="package", renew_before_days=120)
    assert "3 months (90 days)" in str(caught.value)
    assert emu.control.calls() == [] and emu.control.state()["orders"] == []


def test_emulator_an_issued_certificate_shorter_than_the_window_stops_the_next_order(emu):
    """geotrust-dv-1-starter's lifetime is not documented, so the first order goes through; once
    it is issued (90 days in the emulator), the next run refuses instead of ordering again."""
    emu.control.reset("demo")
    emu.control.set_quota(ACCOUNT, "geotrust-dv-1-starter", total=5, used=0)
    first = request(emu, product_code="geotrust-dv-1-starter", renew_before_days=100)
    publish(emu, first)
    with pytest.raises(ConfigurationError) as caught:
        request(emu, product_code="geotrust-dv-1-starter", renew_before_days=100)
    assert "is valid for 90 days" in str(caught.value)
    assert len(emu.control.state()["orders"]) == 1


def test_emulator_a_rejected_order_is_withdrawn_by_id_and_its_quota_unit_comes_back(emu):
    emu.control.reset("demo")
    emu.control.settings(verify_fail_domains=["www.example.com"], list_lag=30)
    first = request(emu, source="package")
    publish(emu, first)
    assert request(emu, state="absent", order_id=first["order_id"], check_mode=False)["changed"] is True
    state = emu.control.state()
    assert state["orders"] == []
    quota = [q for q in state["quotas"] if q["product_code"] == "digicert-free-1-free"][0]
    assert quota["used"] == 0
    again = request(emu, state="absent", order_id=first["order_id"])
    assert again["changed"] is False


def test_emulator_v2_names_held_after_apply_are_checked(emu):
    """The issue's reproduction: list_lag 4 and a slow ApplyCertificate. The run for www fills in
    instance A and submits; while its submission is under way, a run for shop (the list still
    shows A blank) fills A in with shop. The submission then holds shop. The www run used to
    return changed with "holds ['shop.example.com']" and shop's validations; now it fails, naming
    both, with no validations."""
    emu.control.reset("v2")
    emu.control.settings(instance_validation_delay=0, list_lag=4)
    rpc = RpcClient(emu.base_url, CAS_VERSION, Credentials(KEY, SECRET), verify=emu.ca_path)
    CasInstancesClient(rpc).create_contact("Jane Doe", "+8613800000000", "jane@example.com", known_contact_ids=[])
    # Both submissions take 3 s: www's, sent first, is carried out first, on what A holds by then.
    emu.control.set_faults(slow={"count": 2, "delay": 3.0, "actions": ["ApplyCertificate"]})
    emu.control.clear_calls()
    outcome = {}

    def www():
        try:
            outcome["www"] = request(emu, source="instance")
        except Exception as error:  # pylint: disable=broad-except
            outcome["www"] = error

    thread = threading.Thread(target=www)
    thread.start()
    deadline = time.monotonic() + 10
    while not any(call["action"] == "UpdateInstance" for call in emu.control.calls()):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.3)  # the ApplyCertificate is now on its way, held by the fault
    try:
        request(emu, source="instance", domain="shop.example.com")
    except Exception as error:  # pylint: disable=broad-except
        outcome["shop"] = error
    thread.join(30)
    emu.control.clear_faults()
    error = outcome["www"]
    assert isinstance(error, InstanceNamesMismatchError), error
    assert "holds an application for shop.example.com, not for www.example.com" in str(error)
