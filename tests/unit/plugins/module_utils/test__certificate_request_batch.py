# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""certificate_request's batch mode (``certificates``) against an in-memory CAS: items in
order over one client, each item's error its own, bad input refused before any call."""

from __future__ import annotations

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils._cas import CasClient
from ansible_collections.alicloud.cas.plugins.module_utils._cas_instances import CasInstancesClient
from ansible_collections.alicloud.cas.plugins.module_utils._certificate_request import BatchError, run
from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlibabaCloudError, ConfigurationError
from tests.unit.plugins.module_utils.cas_fake import NOW_MS, FakeCasApi, make_csr

APPLICANT = {"username": "Jane Doe", "email": "jane@example.com", "phone": "+86 138 0000 0000"}


def options(certificates, **overrides):
    params = {"state": "present", "source": "auto", "validate_type": "DNS", "instance_type": "TEST",
              "key_algorithm": "RSA_2048", "force": False, "renew_before_days": 30, "certificates": certificates}
    params.update(APPLICANT)
    params.update(overrides)
    return params


def batch(api, certificates, check_mode=False, clients=None, **overrides):
    def cas():
        if clients is not None:
            clients.append(1)
        return CasClient(api)
    return run(options(certificates, **overrides), cas, check_mode=check_mode, diff_mode=True, now_ms=NOW_MS,
               instances_factory=lambda client: CasInstancesClient(api, sleep=lambda _s: None, clock=lambda: 0.0))


def refuse_connection():
    raise AssertionError("no client may be built before every item is checked")


def test_items_run_in_order_over_one_client_and_return_in_order():
    api = FakeCasApi()
    clients = []
    result = batch(api, [{"domain": "b.example.com"}, {"name": "first", "domain": "a.example.com"}], clients=clients)
    assert clients == [1]
    assert [item["name"] for item in result["certificates"]] == ["b.example.com", "first"]
    creates = [params["Domain"] for action, params in api.calls if action == "CreateCertificateRequest"]
    assert creates == ["b.example.com", "a.example.com"]
    assert result["changed"] is True
    for item in result["certificates"]:
        assert (item["failed"], item["msg"], item["changed"], item["source"]) == (False, "", True, "package")
        assert item["order_id"] and item["phase"] == "validating" and item["validations"] == [item["validation"]]
    assert sorted(result["diff"]["after"]) == ["b.example.com", "first"]
    again = batch(api, [{"domain": "b.example.com"}, {"name": "first", "domain": "a.example.com"}])
    assert again["changed"] is False and [i["changed"] for i in again["certificates"]] == [False, False]


def test_one_items_api_error_is_its_own_and_the_others_go_on():
    api = FakeCasApi()
    api.errors["CreateCertificateRequest"] = AlibabaCloudError(
        "refused", code="CreateCertificateRequestFailed", http_status=403, request_id="req-1",
        action="CreateCertificateRequest")
    with pytest.raises(BatchError) as caught:
        batch(api, [{"domain": "a.example.com"}, {"domain": "b.example.com"}])
    assert "1 of 2 certificates failed: a.example.com" in str(caught.value)
    first, second = caught.value.to_result()["certificates"]
    assert (first["failed"], first["code"], first["request_id"]) == (True, "CreateCertificateRequestFailed", "req-1")
    assert "refused" in first["msg"] and first["changed"] is False
    assert (second["failed"], second["changed"], second["source"]) == (False, True, "package")
    assert caught.value.to_result()["changed"] is True


def test_a_missing_applicant_fails_only_the_item_that_needs_one():
    api = FakeCasApi()
    api.add_order("kept.example.com", kind="domain_verify")
    with pytest.raises(BatchError) as caught:
        batch(api, [{"domain": "kept.example.com"}, {"domain": "new.example.com"}], username=None)
    kept, new = caught.value.to_result()["certificates"]
    assert (kept["failed"], kept["changed"]) == (False, False)
    assert new["failed"] is True and new["option"] == "username" and "missing: username" in new["msg"]
    assert api.writes() == []


@pytest.mark.parametrize("certificates, overrides, option, fragment", [
    ([{"domain": "a.example.com"}, {"domain": "https://b.example.com"}], {}, "certificates[1].domain",
     "without a scheme"),
    ([{"domain": "a.example.com"}, {}], {}, "certificates[1].domain", "exactly one of domain"),
    ([{"domain": "a.example.com", "domains": ["a.example.com"]}], {}, "certificates[0].domain",
     "exactly one of domain"),
    ([{"domain": "a.example.com"}, {"domain": "*.example.com", "validate_type": "FILE"}], {},
     "certificates[1].validate_type", "FILE cannot validate wildcard"),
    ([{"domain": "a.example.com", "source": "package", "instance_id": "cas-cn-1"}], {}, "certificates[0].instance_id",
     "Drop one of them"),
    ([{"domain": "a.example.com", "csr": make_csr("other.example.com")}], {}, "certificates[0].csr", "has CN"),
    ([{"domain": "a.example.com"}, {"name": "a.example.com", "domain": "b.example.com"}], {}, "certificates[1].name",
     "its own name"),
    ([{"domain": "a.example.com"}], {"email": "not-an-address"}, "email", "not an email address"),
    ([{"domain": "a.example.com"}], {"domain": "b.example.com"}, "domain", "cannot be combined with certificates"),
    ([], {}, "certificates", "is empty"),
])
def test_bad_input_in_any_item_fails_before_any_call(certificates, overrides, option, fragment):
    with pytest.raises(ConfigurationError) as caught:
        run(options(certificates, **overrides), refuse_connection)
    assert caught.value.option == option
    assert fragment in str(caught.value)
    if option.startswith("certificates["):
        assert str(caught.value).startswith(option + ": ")


def test_check_mode_predicts_each_item_and_writes_nothing():
    api = FakeCasApi()
    api.add_order("kept.example.com", kind="domain_verify")
    result = batch(api, [{"domain": "kept.example.com"}, {"domain": "new.example.com", "source": "package"}],
                   check_mode=True)
    kept, new = result["certificates"]
    assert (kept["changed"], new["changed"], new["order_id"]) == (False, True, None)
    assert new["request"]["domain"] == "new.example.com"
    assert result["diff"]["before"]["new.example.com"] == {}
    assert api.writes() == []


def test_items_take_the_modules_options_as_defaults_and_may_set_their_own():
    api = FakeCasApi()
    api.packages["geotrust-dv-1-starter"] = (5, 0, 0)
    batch(api, [{"domain": "a.example.com"}, {"domain": "b.example.com", "validate_type": "FILE",
                                              "product_code": "geotrust-dv-1-starter"}],
          tags={"team": "web"})
    first, second = [params for action, params in api.calls if action == "CreateCertificateRequest"]
    assert (first["ValidateType"], first.get("ProductCode")) == ("DNS", None)
    assert (second["ValidateType"], second["ProductCode"]) == ("FILE", "geotrust-dv-1-starter")
    assert first["Tags.1.Key"] == second["Tags.1.Key"] == "team"


def test_state_absent_withdraws_each_item():
    api = FakeCasApi()
    pending = api.add_order("a.example.com", kind="domain_verify")
    items = [{"domain": "a.example.com", "source": "package"}, {"domain": "b.example.com", "source": "package"}]
    result = batch(api, items, state="absent")
    first, second = result["certificates"]
    assert (first["changed"], [o["order_id"] for o in first["withdrawn"]]) == (True, [pending])
    assert (second["changed"], second["withdrawn"]) == (False, [])
