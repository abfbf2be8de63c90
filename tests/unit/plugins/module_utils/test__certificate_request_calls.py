# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The API calls one certificate_request run makes for a first issuance, flow by flow,
against the HTTPS emulator (issue 13's call economy). Each sequence is the whole of what the
run asks; the calls it saves must not cost a protection: the quota is never read (a create
without quota is refused and spends nothing), a pending V2.0 application is still looked
for before V1.0 quota is spent, and a new order or application is still waited for in the
list."""

from __future__ import annotations

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils._cas_instances import CasInstancesClient
from ansible_collections.alicloud.cas.plugins.module_utils._credentials import Credentials
from ansible_collections.alicloud.cas.plugins.module_utils._transport import CAS_VERSION, RetryPolicy, RpcClient
from tests.emulator import running_emulator
from tests.unit.plugins.module_utils.emulator_run import DEMO_KEY as KEY, DEMO_SECRET as SECRET, NoWait, run_against_emulator

APPLICANT = {"username": "Jane Doe", "email": "jane@example.com", "phone": "+86 138 0000 0000"}

V1_PACKAGE = ["ListUserCertificateOrder", "CreateCertificateRequest", "DescribeCertificateState",
              "ListUserCertificateOrder"]
V1_AUTO = ["ListUserCertificateOrder", "ListInstances", "CreateCertificateRequest", "DescribeCertificateState",
           "ListUserCertificateOrder"]
V2_APPLY = ["GetInstanceDetail", "ListContact", "CreateContact", "UpdateInstance", "ApplyCertificate",
            "GetInstanceDetail", "ListInstances"]


@pytest.fixture(scope="module")
def emu():
    yield from running_emulator(seed="demo")


def request(emu, check_mode=False, **overrides):
    params = {"domain": "www.example.com", "state": "present"}
    params.update(APPLICANT)
    params.update(overrides)
    emu.control.clear_calls()
    result = run_against_emulator(emu, params, check_mode=check_mode)
    return result, [(call["action"], call.get("error_code")) for call in emu.control.calls()]


def actions(calls):
    return [action for action, _code in calls]


@pytest.fixture
def v1(emu):
    emu.control.reset("demo")
    return emu


@pytest.fixture
def v2(emu):
    emu.control.reset("v2")
    emu.control.settings(instance_validation_delay=0)
    return emu


def test_v1_package_first_issuance(v1):
    result, calls = request(v1, source="package")
    assert (result["changed"], result["source"], result["phase"]) == (True, "package", "validating")
    assert actions(calls) == V1_PACKAGE


def test_v1_auto_with_quota_reads_no_quota(v1):
    result, calls = request(v1)
    assert (result["changed"], result["source"], result["phase"]) == (True, "package", "validating")
    assert actions(calls) == V1_AUTO


def test_v1_auto_check_mode_still_reads_the_quota_and_writes_nothing(v1):
    result, calls = request(v1, check_mode=True)
    assert (result["changed"], result["source"], result["order_id"]) == (True, "package", None)
    assert actions(calls) == ["ListUserCertificateOrder", "ListInstances", "DescribePackageState"]


def test_v1_auto_without_quota_goes_on_to_v2_after_a_refused_create(v2):
    result, calls = request(v2)
    assert (result["changed"], result["source"], result["phase"]) == (True, "instance", "validating")
    assert calls[2] == ("CreateCertificateRequest", "NotFoundPackage")
    assert actions(calls) == ["ListUserCertificateOrder", "ListInstances", "CreateCertificateRequest"] + V2_APPLY
    assert not [order for order in v2.control.state()["orders"] if order["domain"] == "www.example.com"]


def test_v1_auto_with_a_used_up_plan_goes_on_to_v2(v2):
    v2.control.set_quota("1234567890123456", "digicert-free-1-free", total=1, used=1)
    result, calls = request(v2)
    assert result["source"] == "instance"
    assert calls[2] == ("CreateCertificateRequest", "NotRemainCount")


def test_v2_first_issuance_creates_the_contact_with_one_contact_list(v2):
    result, calls = request(v2, source="instance")
    assert (result["changed"], result["source"], result["phase"]) == (True, "instance", "validating")
    assert actions(calls) == ["ListInstances"] + V2_APPLY


def test_v2_first_issuance_with_an_existing_contact(v2):
    request(v2, source="instance", domain="a.example.com")
    result, calls = request(v2, source="instance")
    assert (result["changed"], result["source"]) == (True, "instance")
    assert actions(calls) == ["ListInstances"] + [action for action in V2_APPLY if action != "CreateContact"]


@pytest.mark.parametrize("lag", [1, 2])
def test_v2_application_hidden_by_a_lagging_list_is_reused_not_paid_for_again(v2, lag):
    """An earlier run applied on the instance a moment ago and ended before the list showed it
    (or is still running): the list shows that instance inactive and blank. The fresh read
    before spending finds the application for the names, which is reused; the other test
    instance stays unused."""
    from ansible_collections.alicloud.cas.plugins.module_utils._certificate_request import choose_instance

    clock = NoWait()
    rpc = RpcClient(v2.base_url, CAS_VERSION, Credentials(KEY, SECRET), verify=v2.ca_path,
                    retry_policy=RetryPolicy(rng=lambda: 0.0), sleep=clock.sleep, clock=clock.monotonic)
    instances = CasInstancesClient(rpc, sleep=clock.sleep, clock=clock.monotonic)
    wanted = {"names": ["www.example.com"], "instance_type": "TEST"}
    first = choose_instance(instances.list_instances(status="inactive"), wanted)[0]["instance_id"]
    v2.control.settings(list_lag=lag)
    contact = instances.create_contact("Jane Doe", "+8613800000000", "jane@example.com", known_contact_ids=[])
    instances.update(first, domains=["www.example.com"], generate_csr_method="online", key_algorithm="RSA_2048",
                     validation_method="DNS", contact_ids=[contact])
    instances.apply(first)

    result, calls = request(v2, source="instance")
    assert (result["changed"], result["instance_id"]) == (False, first)
    assert "UpdateInstance" not in actions(calls) and "ApplyCertificate" not in actions(calls)
    used = [i["instance_id"] for i in v2.control.state()["instances"] if i["domains"]]
    assert used == [first]


def test_a_batch_makes_each_items_calls_in_turn_and_no_more(v2):
    result, calls = request(v2, domain=None, source="instance",
                            certificates=[{"domain": "a.example.com"}, {"domain": "b.example.com"}])
    assert [item["instance_id"] is not None and item["changed"] for item in result["certificates"]] == [True, True]
    second_contact = [action for action in V2_APPLY if action != "CreateContact"]
    # One ListInstances for the run (issue 17): the second item reads the list the first one read,
    # with the first item's instance as its fresh read shows it. The ListInstances at the end of
    # each V2_APPLY is the wait until the list shows the new application, not a lookup.
    assert actions(calls) == ["ListInstances"] + V2_APPLY + second_contact


def test_a_batch_lists_the_instances_once_for_every_item(v2):
    """Six names already applied for: the run lists the instances once, not once per item
    (issue 17: 6 domains made 6 ListInstances calls)."""
    names = ["d%d.example.com" % index for index in range(6)]
    for index in range(4):
        v2.control.add_instance("1234567890123456", "TEST", "single")
    request(v2, domain=None, source="instance", certificates=[{"domain": name} for name in names])
    result, calls = request(v2, domain=None, source="instance", certificates=[{"domain": name} for name in names])
    assert [item["changed"] for item in result["certificates"]] == [False] * 6
    assert actions(calls).count("ListInstances") == 1
    assert actions(calls) == ["ListInstances"] + ["GetInstanceDetail"] * 6


@pytest.mark.parametrize("quota_refusal", ["documented", "generic"])
def test_auto_goes_on_to_v2_only_on_the_documented_quota_refusals(v2, quota_refusal):
    """UNCONFIRMED which code CreateCertificateRequest answers without quota (emulator switch
    quota_refusal): on the documented ones auto applies on an instance; on any other it fails,
    having spent nothing on either flow."""
    from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlibabaCloudError

    v2.control.settings(quota_refusal=quota_refusal)
    if quota_refusal == "documented":
        assert request(v2)[0]["source"] == "instance"
        return
    with pytest.raises(AlibabaCloudError) as caught:
        request(v2)
    assert caught.value.code == "CreateCertificateRequestFailed"
    state = v2.control.state()
    assert state["orders"] == [] and not [i for i in state["instances"] if i["domains"] or i["status"] != "inactive"]
