# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The ids of an issued certificate, as the modules return them (issue 18, section 3), run as
Ansible runs them against the HTTPS emulator: ``certificate_id`` (an int) and
``certificate_identifier`` (CAS's CertIdentifier) for a V1.0 order and a V2.0 instance, single and
batch, on both CAS sites; the deprecated ``cert_id`` and ``cert_identifier`` are still there.

The identifier's region is the site's, which only CAS knows: every test runs with the emulator
on the China site and on the international one, so a client that builds the suffix fails."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.alicloud.cas.plugins.modules import (
    certificate_download,
    certificate_instance_info,
    certificate_request,
    certificate_request_info,
)
from tests.emulator import running_emulator
from tests.emulator.seeds import DEMO_ACCOUNT_ID, DEMO_ZONE
from tests.unit.plugins.module_utils.emulator_run import DEMO_KEY, DEMO_SECRET

SITES = {"china": "cn-hangzhou", "international": "ap-southeast-1"}
APPLICANT = {"username": "Jane Doe", "email": "jane@example.com", "phone": "+86 138 0000 0000"}
ORDER_DOMAIN = "order.example.com"
INSTANCE_DOMAIN = "instance.example.com"


@pytest.fixture(scope="module")
def emulator():
    yield from running_emulator(seed="v2")


@pytest.fixture(params=sorted(SITES))
def site(request, emulator, one_module_run):
    """The ``v2`` account (instances) with V1.0 quota too, on the site of the parameter."""
    emulator.control.reset("v2")
    emulator.control.set_quota(DEMO_ACCOUNT_ID, "digicert-free-1-free", 5)
    emulator.control.settings(instance_validation_delay=0, cas_site=request.param)
    return request.param


def module_run(module, emu, **args):
    args.update(access_key_id=DEMO_KEY, access_key_secret=DEMO_SECRET, cas_endpoint=emu.base_url,
                ca_path=emu.ca_path)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()


def result_of(module, emu, capsys, **args):
    module_run(module, emu, **args)
    result = json.loads(capsys.readouterr().out)
    assert not result.get("failed"), result.get("msg")
    return result


def publish(emu, validations):
    for validation in validations:
        record = validation["fqdn"][:-len("." + DEMO_ZONE)]
        emu.control.add_record(DEMO_ACCOUNT_ID, DEMO_ZONE, record, "TXT", validation["value"])


def issue(emu, capsys, domain, source):
    """Request, publish the records, and return the order id or instance id once issued."""
    placed = result_of(certificate_request, emu, capsys, domain=domain, source=source, **APPLICANT)
    assert placed["changed"] and placed["phase"] == "validating"
    # Not issued yet: no id under either name.
    assert (placed["certificate_id"], placed["certificate_identifier"]) == (None, None)
    publish(emu, placed["validations"])
    return placed["order_id"] or placed["instance_id"]


def cas_truth(emu):
    """``{certificate_id: identifier}`` of every issued certificate, as the emulator's state has it."""
    state = emu.control.state()
    ids = [int(order["cert_id"]) for order in state["orders"] if order.get("cert_id")]
    ids += [instance["certificate_id"] for instance in state["instances"] if instance.get("certificate_id")]
    return ids


def assert_ids(item, site, deprecated=None):
    """The new keys, typed, with the site's region; ``deprecated`` names the old key that must be there too."""
    assert isinstance(item["certificate_id"], int) and not isinstance(item["certificate_id"], bool)
    assert item["certificate_identifier"] == "%d-%s" % (item["certificate_id"], SITES[site])
    if deprecated == "cert_id":
        assert item["cert_id"] == str(item["certificate_id"])
    elif deprecated == "cert_identifier":
        assert item["cert_identifier"] == item["certificate_identifier"]


def calls(emu):
    return [call["action"] for call in emu.control.calls()]


@pytest.fixture
def issued(site, emulator, capsys):
    """One issued V1.0 order and one issued V2.0 instance: ``(order_id, instance_id)``."""
    order_id = issue(emulator, capsys, ORDER_DOMAIN, "package")
    instance_id = issue(emulator, capsys, INSTANCE_DOMAIN, "instance")
    return order_id, instance_id


def test_certificate_request_returns_the_ids_of_the_reused_certificate(site, emulator, capsys, issued):
    # The runs after issuance reuse the certificate and say which one it is.
    for domain, source in ((ORDER_DOMAIN, "package"), (INSTANCE_DOMAIN, "instance")):
        # The first run after the records appear may still be the one that sees the issuance.
        result_of(certificate_request_info, emulator, capsys, domain=domain, wait=True)
        result = result_of(certificate_request, emulator, capsys, domain=domain, source=source, **APPLICANT)
        assert (result["changed"], result["phase"], result["source"]) == (False, "issued", source)
        assert_ids(result, site)
        assert result["certificate_id"] in cas_truth(emulator)


def test_certificate_request_batch_returns_the_ids_of_each_item(site, emulator, capsys, issued):
    result_of(certificate_request_info, emulator, capsys, certificates=[{"domain": ORDER_DOMAIN},
                                                                        {"domain": INSTANCE_DOMAIN}], wait=True)
    result = result_of(certificate_request, emulator, capsys, certificates=[
        {"domain": ORDER_DOMAIN, "source": "package"}, {"domain": INSTANCE_DOMAIN, "source": "instance"},
        {"domain": "pending.example.com", "source": "package"}], **APPLICANT)
    done, instance, pending = result["certificates"]
    assert (done["source"], instance["source"]) == ("package", "instance")
    assert_ids(done, site)
    assert_ids(instance, site)
    assert done["certificate_id"] != instance["certificate_id"]
    assert (pending["phase"], pending["certificate_id"], pending["certificate_identifier"]) == (
        "validating", None, None)


def test_certificate_request_info_single_returns_the_ids_and_the_old_cert_id(site, emulator, capsys, issued):
    order_id, instance_id = issued
    emulator.control.clear_calls()
    by_order = result_of(certificate_request_info, emulator, capsys, order_id=order_id, wait=True)
    # One GetUserCertificateDetail for the identifier, once.
    assert calls(emulator) == ["ListUserCertificateOrder", "DescribeCertificateState", "GetUserCertificateDetail"]
    assert by_order["phase"] == "issued"
    assert_ids(by_order, site, deprecated="cert_id")
    emulator.control.clear_calls()
    by_instance = result_of(certificate_request_info, emulator, capsys, instance_id=instance_id, wait=True)
    # V2.0: GetInstanceDetail carries both ids: no call beyond the download of the PEM.
    assert calls(emulator) == ["GetInstanceDetail", "GetUserCertificateDetail"]
    assert_ids(by_instance, site, deprecated="cert_id")
    by_domain = result_of(certificate_request_info, emulator, capsys, domain=INSTANCE_DOMAIN)
    assert by_domain["certificate_id"] == by_instance["certificate_id"]
    assert sorted([by_order["certificate_id"], by_instance["certificate_id"]]) == sorted(cas_truth(emulator))


def test_certificate_request_info_batch_returns_the_ids_of_each_item(site, emulator, capsys, issued):
    order_id, instance_id = issued
    result = result_of(certificate_request_info, emulator, capsys, wait=True, certificates=[
        {"order_id": order_id}, {"instance_id": instance_id}, {"domain": ORDER_DOMAIN, "name": "by-domain"}])
    by_order, by_instance, by_domain = result["certificates"]
    for item in result["certificates"]:
        assert_ids(item, site, deprecated="cert_id")
    assert by_domain["certificate_id"] == by_order["certificate_id"] != by_instance["certificate_id"]


def test_a_request_that_is_not_issued_has_no_ids(site, emulator, capsys):
    placed = result_of(certificate_request, emulator, capsys, domain="later.example.com", source="package",
                       **APPLICANT)
    emulator.control.clear_calls()
    single = result_of(certificate_request_info, emulator, capsys, order_id=placed["order_id"])
    batch = result_of(certificate_request_info, emulator, capsys, certificates=[{"order_id": placed["order_id"]}])
    for item in (single, batch["certificates"][0]):
        assert (item["phase"], item["certificate_id"], item["certificate_identifier"], item["cert_id"]) == (
            "validating", None, None, None)
    assert "GetUserCertificateDetail" not in calls(emulator)


def test_certificate_download_returns_the_ids(site, emulator, capsys, issued, tmp_path):
    order_id, instance_id = issued
    single = result_of(certificate_download, emulator, capsys, order_id=order_id, wait=True,
                       fullchain_dest=str(tmp_path / "order.pem"))
    assert single["changed"] and (tmp_path / "order.pem").exists()
    assert_ids(single, site, deprecated="cert_id")
    batch = result_of(certificate_download, emulator, capsys, wait=True, certificates=[
        {"order_id": order_id, "fullchain_dest": str(tmp_path / "o.pem")},
        {"instance_id": instance_id, "fullchain_dest": str(tmp_path / "i.pem")}])
    for item in batch["certificates"]:
        assert_ids(item, site, deprecated="cert_id")
    assert batch["certificates"][0]["certificate_id"] == single["certificate_id"]


def test_certificate_instance_info_returns_the_new_name_beside_the_old(site, emulator, capsys, issued):
    _order_id, instance_id = issued
    detail = result_of(certificate_instance_info, emulator, capsys, instance_id=instance_id)
    listed = result_of(certificate_instance_info, emulator, capsys, status="normal")
    for instance in detail["instances"] + listed["instances"]:
        assert_ids(instance, site, deprecated="cert_identifier")


def test_a_policy_without_get_user_certificate_detail_still_issues_and_downloads(site, emulator, capsys, issued, tmp_path):
    # A RAM policy written for issuing and downloading V1.0 certificates never needed
    # GetUserCertificateDetail: the identifier is then null, with a warning naming the action.
    order_id, _instance_id = issued
    emulator.control._call("POST", "deny", {"action": "GetUserCertificateDetail"})
    info = result_of(certificate_request_info, emulator, capsys, order_id=order_id, wait=True)
    download = result_of(certificate_download, emulator, capsys, order_id=order_id, wait=True,
                         fullchain_dest=str(tmp_path / "fullchain.pem"), privatekey_dest=str(tmp_path / "key.pem"))
    for result in (info, download):
        assert result["phase"] == "issued" and isinstance(result["certificate_id"], int)
        assert result["certificate_identifier"] is None
        assert "yundun-cert:GetUserCertificateDetail" in json.dumps(result["warnings"])
    assert (tmp_path / "fullchain.pem").exists()
