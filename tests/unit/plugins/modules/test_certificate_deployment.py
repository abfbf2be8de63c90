# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""certificate_deployment and certificate_deployment_info as Ansible runs them, with CAS from the
emulator and one fake product (the real adapters are tested by their own suites)."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.alicloud.cas.plugins.module_utils._deployment._base import Adapter, DeploymentRefusedError, Served
from ansible_collections.alicloud.cas.plugins.modules import certificate_deployment, certificate_deployment_info

from ..module_utils.test__cas_certificates import DEMO_KEY, DEMO_SECRET, upload


class FakeCdn(Adapter):
    product = "cdn"
    required_options = ("domain",)
    optional_options = ("enable_https",)
    served = {}
    writes = []
    regions = []
    refused = ()

    def identity(self, target):
        return target["domain"]

    def covered_names(self, target):
        return (target["domain"],)

    def describe(self, target):
        return "cdn domain %s" % target["domain"]

    def read(self, target):
        if target["domain"] in self.refused:
            raise DeploymentRefusedError("HTTPS is off; set enable_https: true on this target.")
        self.regions.append(self.clients(None).endpoint)
        return Served(self.served.get(target["domain"]), str(self.served.get(target["domain"])))

    def in_sync(self, target, served, certificate):
        return served.certificate_id == certificate.certificate_id

    def apply(self, plan):
        self.writes.append((plan.target["domain"], plan.certificate.certificate_id))
        self.served[plan.target["domain"]] = plan.certificate.certificate_id
        return {}


@pytest.fixture(scope="module")
def emu():
    from tests.emulator import running_emulator

    yield from running_emulator(seed="demo")


@pytest.fixture(autouse=True)
def setup(emu, monkeypatch, one_module_run):
    emu.control.reset("demo")
    FakeCdn.served, FakeCdn.writes, FakeCdn.regions, FakeCdn.refused = {}, [], [], ()
    for module in (certificate_deployment, certificate_deployment_info):
        monkeypatch.setattr(module, "ADAPTERS", {"cdn": FakeCdn})
    monkeypatch.setenv("ALIBABA_CLOUD_CAS_ENDPOINT", emu.base_url)
    monkeypatch.setenv("ALIBABA_CLOUD_CDN_ENDPOINT", "http://127.0.0.1:9")


def run(module, args, capsys, emu):
    args = dict(args, access_key_id=DEMO_KEY, access_key_secret=DEMO_SECRET, ca_path=emu.ca_path)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


def test_check_run_rerun_and_info(emu, capsys):
    upload(emu, 9501, ["www.example.com", "shop.example.com"])
    args = {"domain": "www.example.com", "targets": [{"product": "cdn", "domain": "www.example.com"},
                                                     {"product": "cdn", "domain": "shop.example.com"}]}
    FakeCdn.served = {"shop.example.com": 9501}
    checked = run(certificate_deployment, dict(args, _ansible_check_mode=True, _ansible_diff=True), capsys, emu)
    assert checked["changed"] and FakeCdn.writes == []
    assert [t["changed"] for t in checked["targets"]] == [True, False]
    assert checked["certificate"]["certificate_id"] == 9501 and "newest of 1" in checked["certificate"]["selected"]
    assert checked["diff"]["after"]["targets"][0]["certificate_id"] == 9501
    assert checked["diff"]["before"]["targets"][0]["certificate_id"] is None
    done = run(certificate_deployment, args, capsys, emu)
    assert done["changed"] and FakeCdn.writes == [("www.example.com", 9501)]
    assert FakeCdn.regions[0] == "http://127.0.0.1:9"
    again = run(certificate_deployment, args, capsys, emu)
    assert not again["changed"] and len(FakeCdn.writes) == 1
    info = run(certificate_deployment_info, {"targets": args["targets"]}, capsys, emu)
    # (names come from GetUserCertificateDetail, which the emulator does not serve for uploads yet)
    assert [(t["certificate_id"], t["failed"]) for t in info["targets"]] == [(9501, False)] * 2
    assert not info["changed"] and "previous" not in info["targets"][0]


def test_bad_target_fails_before_any_call_naming_it(emu, capsys):
    emu.control.clear_calls()
    result = run(certificate_deployment, {"certificate_id": "1", "targets": [
        {"product": "cdn", "domain": "a.example.com"}, {"product": "cdn", "listener_id": "lsn-1"}]}, capsys, emu)
    assert result["failed"] and "targets[1].listener_id" in result["msg"]
    assert emu.control.calls() == [] and FakeCdn.writes == []


def test_one_failing_target_fails_the_task_with_every_outcome(emu, capsys):
    upload(emu, 9502, ["*.example.com"])
    FakeCdn.refused = ("b.example.com",)
    result = run(certificate_deployment, {"domain": "a.example.com", "targets": [
        {"product": "cdn", "domain": "a.example.com"}, {"product": "cdn", "domain": "b.example.com"}]}, capsys, emu)
    assert result["failed"] and "1 of 2 target(s) failed: targets[1]" in result["msg"]
    assert [t["failed"] for t in result["targets"]] == [False, True]
    assert "cdn domain b.example.com: HTTPS is off" in result["targets"][1]["msg"]
    assert FakeCdn.writes == [("a.example.com", 9502)]
