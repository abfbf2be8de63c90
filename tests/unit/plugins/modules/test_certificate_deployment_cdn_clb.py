# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""certificate_deployment and certificate_deployment_info end to end, through main(), with the
real CDN, DCDN and CLB adapters against the emulator: check, run, rerun (no writes, from the
emulator's call log), check again; refusals that make no write; lost answers; the
international CLB fallback; domain selection; and a TLS handshake on the edge port."""

from __future__ import annotations

import json
import socket
import ssl

import pytest
from ansible.module_utils.testing import patch_module_args
from cryptography import x509

from ansible_collections.alicloud.cas.plugins.modules import certificate_deployment, certificate_deployment_info

from ..module_utils.test__cas_certificates import DEMO_ACCOUNT, DEMO_KEY, DEMO_SECRET, upload

WRITES = frozenset(("SetCdnDomainSSLCertificate", "SetDcdnDomainSSLCertificate", "UploadServerCertificate",
                    "SetLoadBalancerHTTPSListenerAttribute", "SetDomainExtensionAttribute"))
REGION = "cn-shanghai"


@pytest.fixture(scope="module")
def emu():
    from tests.emulator import running_emulator

    yield from running_emulator(seed="demo")


@pytest.fixture(autouse=True)
def setup(emu, monkeypatch, one_module_run):
    emu.control.reset("demo")
    emu.control.clear_calls()
    for product in ("CAS", "CDN", "DCDN", "CLB"):
        monkeypatch.setenv("ALIBABA_CLOUD_%s_ENDPOINT" % product, emu.base_url)


def run(module, args, capsys, emu, check=False, diff=False):
    args = dict(args, access_key_id=DEMO_KEY, access_key_secret=DEMO_SECRET, ca_path=emu.ca_path,
                _ansible_check_mode=check, _ansible_diff=diff)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


def writes(emu):
    return [c["action"] for c in emu.control.calls() if c["action"] in WRITES]


def product(emu, name, path, **body):
    return emu.control._call("POST", "products/%s/%s" % (name, path), body)


def handshake(emu, server_name):
    """The leaf the edge presents for ``server_name``, verified against the issuing CA."""
    context = ssl.create_default_context(cadata=emu.issuer_ca_pem)
    # A CLB listener's edge name (<lb>-<port>.clb.edge.test) is in no certificate: the chain is checked.
    context.check_hostname = server_name.endswith(".edge.test") is False
    with socket.create_connection(("127.0.0.1", emu.edge_port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=server_name) as tls:
            return x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))


def leaf(emu, certificate_id):
    from tests.emulator import certificates

    with emu.state.lock:
        found = certificates.find_certificate(emu.state, DEMO_ACCOUNT, certificate_id)
    return x509.load_pem_x509_certificates(found.certificate_pem.encode())[0]


def server_certificates(emu, region=REGION):
    return [c for c in emu.control._call("GET", "products/clb")["server_certificates"] if c["RegionId"] == region]


def clb_target(port=443, domain=None, lb="lb-e2e", region=REGION, **extra):
    item = dict({"product": "clb", "region": region, "load_balancer_id": lb, "listener_port": port}, **extra)
    if domain:
        item["domain"] = domain
    return item


def seed_lb(emu, certificate_id, extension_certificate_id=None, lb="lb-e2e", region=REGION):
    listener = {"port": 443, "certificate_id": certificate_id}
    if extension_certificate_id:
        listener["domain_extensions"] = [{"domain": "shop.example.com", "certificate_id": extension_certificate_id}]
    return product(emu, "clb", "load_balancers", region=region, load_balancer_id=lb, listeners=[listener])


SCENARIOS = {
    "cdn": lambda emu: product(emu, "cdn", "domains", domain="www.example.com", https=True, certificate_id=8801),
    "dcdn": lambda emu: product(emu, "dcdn", "domains", domain="www.example.com", https=True, certificate_id=8801),
    "clb": lambda emu: seed_lb(emu, 8801),
    "clb-sni": lambda emu: seed_lb(emu, 8801, extension_certificate_id=8801),
}
TARGETS = {
    "cdn": {"product": "cdn", "domain": "www.example.com"},
    "dcdn": {"product": "dcdn", "domain": "www.example.com"},
    "clb": clb_target(),
    "clb-sni": clb_target(domain="shop.example.com"),
}
EDGE_NAMES = {"cdn": "www.example.com", "dcdn": "www.example.com", "clb": "lb-e2e-443.clb.edge.test",
              "clb-sni": "shop.example.com"}


@pytest.mark.parametrize("kind", sorted(SCENARIOS))
def test_check_run_rerun_check_and_info(emu, capsys, kind):
    upload(emu, 8801, ["www.example.com", "shop.example.com"], days_before=30)
    upload(emu, 8802, ["www.example.com", "shop.example.com", "example.com"], days_before=1)
    SCENARIOS[kind](emu)
    args = {"certificate_id": "8802", "targets": [TARGETS[kind]]}
    emu.control.clear_calls()

    checked = run(certificate_deployment, args, capsys, emu, check=True, diff=True)
    assert checked["changed"] and not checked.get("failed"), json.dumps(checked, indent=1)
    assert writes(emu) == []
    (outcome,) = checked["targets"]
    assert outcome["changed"] and outcome["certificate_id"] == 8802 and outcome["previous"]["certificate_id"] == 8801
    before, after = checked["diff"]["before"]["targets"][0], checked["diff"]["after"]["targets"][0]
    assert (before["certificate_id"], after["certificate_id"]) == (8801, 8802)
    assert sorted(before["names"]) == ["shop.example.com", "www.example.com"]
    assert "example.com" in after["names"] and after["not_after"]

    done = run(certificate_deployment, args, capsys, emu, diff=True)
    assert done["changed"] and not done.get("failed"), done
    assert done["targets"][0]["certificate_id"] == 8802 and "now serves" in done["targets"][0]["msg"]
    assert done["diff"]["after"]["targets"][0]["certificate_id"] == 8802
    expected_writes = {"cdn": ["SetCdnDomainSSLCertificate"], "dcdn": ["SetDcdnDomainSSLCertificate"],
                       "clb": ["UploadServerCertificate", "SetLoadBalancerHTTPSListenerAttribute"],
                       "clb-sni": ["UploadServerCertificate", "SetDomainExtensionAttribute"]}[kind]
    assert writes(emu) == expected_writes
    assert handshake(emu, EDGE_NAMES[kind]) == leaf(emu, 8802)

    emu.control.clear_calls()
    again = run(certificate_deployment, args, capsys, emu, diff=True)
    assert not again["changed"] and not again.get("failed"), again
    assert writes(emu) == [] and emu.control.calls(), "a rerun reads and writes nothing"
    assert again["diff"]["before"] == again["diff"]["after"]
    assert "already serves" in again["targets"][0]["msg"]

    rechecked = run(certificate_deployment, args, capsys, emu, check=True)
    assert not rechecked["changed"] and writes(emu) == []

    info = run(certificate_deployment_info, {"targets": [TARGETS[kind]]}, capsys, emu)
    (served,) = info["targets"]
    assert not info["changed"] and not served["failed"], info
    assert served["certificate_id"] == 8802 and served["certificate_identifier"] == "8802-cn-hangzhou"
    assert "example.com" in served["names"] and served["days_left"] >= 79 and served["https_enabled"] is True
    assert served["product_reference"]
    assert writes(emu) == []


@pytest.mark.parametrize("kind, mismatch_refused", [("cdn", True), ("cdn", False), ("dcdn", False), ("clb-sni", None)])
def test_a_domain_mismatch_is_refused_without_a_write(emu, capsys, kind, mismatch_refused):
    """Refused by the module before any write, whether or not the product would refuse it
    (the CDN/DCDN emulator's UNCONFIRMED mismatch_refused switch, both ways)."""
    upload(emu, 8801, ["www.example.com", "shop.example.com"])
    upload(emu, 8803, ["other.example.com"])
    if mismatch_refused is not None:
        product(emu, kind, "settings", mismatch_refused=mismatch_refused)
    SCENARIOS[kind](emu)
    emu.control.clear_calls()
    result = run(certificate_deployment, {"certificate_id": "8803", "targets": [TARGETS[kind]]}, capsys, emu)
    assert result["failed"] and result["targets"][0]["failed"]
    assert "does not cover" in result["targets"][0]["msg"]
    assert writes(emu) == []


def test_a_listener_keeps_a_certificate_with_a_name_the_new_one_lacks_unless_forced(emu, capsys):
    upload(emu, 8801, ["www.example.com", "shop.example.com"])
    upload(emu, 8804, ["www.example.com"])
    seed_lb(emu, 8801)
    emu.control.clear_calls()
    refused = run(certificate_deployment, {"certificate_id": "8804", "targets": [clb_target()]}, capsys, emu)
    assert refused["failed"] and "shop.example.com" in refused["targets"][0]["msg"]
    assert "force: true" in refused["targets"][0]["msg"]
    assert writes(emu) == []
    forced = run(certificate_deployment, {"certificate_id": "8804", "targets": [clb_target(force=True)]}, capsys, emu)
    assert forced["changed"] and not forced.get("failed"), forced
    assert writes(emu) == ["UploadServerCertificate", "SetLoadBalancerHTTPSListenerAttribute"]
    assert handshake(emu, "lb-e2e-443.clb.edge.test") == leaf(emu, 8804)


@pytest.mark.parametrize("name", ["cdn", "dcdn"])
def test_https_off_is_refused_without_enable_https_and_switched_on_with_it(emu, capsys, name):
    upload(emu, 8801, ["www.example.com"])
    product(emu, name, "domains", domain="www.example.com", https=False)
    item = {"product": name, "domain": "www.example.com"}
    emu.control.clear_calls()
    refused = run(certificate_deployment, {"certificate_id": "8801", "targets": [item]}, capsys, emu)
    assert refused["failed"] and "enable_https: true" in refused["targets"][0]["msg"]
    assert writes(emu) == []
    checked = run(certificate_deployment, {"certificate_id": "8801", "targets": [dict(item, enable_https=True)]},
                  capsys, emu, check=True)
    assert checked["changed"] and writes(emu) == []
    done = run(certificate_deployment, {"certificate_id": "8801", "targets": [dict(item, enable_https=True)]},
               capsys, emu)
    assert done["changed"] and done["targets"][0]["https_switched_on"] is True
    assert handshake(emu, "www.example.com") == leaf(emu, 8801)
    again = run(certificate_deployment, {"certificate_id": "8801", "targets": [dict(item, enable_https=True)]},
                capsys, emu)
    assert not again["changed"]


@pytest.mark.parametrize("name, action", [("cdn", "SetCdnDomainSSLCertificate"), ("dcdn", "SetDcdnDomainSSLCertificate")])
def test_a_lost_set_answer_makes_one_write(emu, capsys, name, action):
    upload(emu, 8801, ["www.example.com"])
    upload(emu, 8802, ["www.example.com"])
    SCENARIOS[name](emu)
    emu.control.set_faults(lose_response={"count": 1, "actions": [action]})
    emu.control.clear_calls()
    done = run(certificate_deployment, {"certificate_id": "8802", "targets": [TARGETS[name]]}, capsys, emu)
    assert done["changed"] and not done.get("failed"), done
    sets = [c for c in emu.control.calls() if c["action"] == action]
    assert [c["fault"] for c in sets] == ["lose"]
    assert handshake(emu, "www.example.com") == leaf(emu, 8802)


def test_a_lost_upload_answer_leaves_one_server_certificate(emu, capsys):
    upload(emu, 8801, ["www.example.com"])
    upload(emu, 8802, ["www.example.com"])
    seed_lb(emu, 8801)
    emu.control.set_faults(lose_response={"count": 1, "actions": ["UploadServerCertificate"]})
    emu.control.clear_calls()
    done = run(certificate_deployment, {"certificate_id": "8802", "targets": [clb_target()]}, capsys, emu)
    assert done["changed"] and not done.get("failed"), done
    assert [c["fault"] for c in emu.control.calls() if c["action"] == "UploadServerCertificate"] == ["lose"]
    wrappers = [c for c in server_certificates(emu) if str(c.get("AliCloudCertificateId")) == "8802"]
    assert len(wrappers) == 1 and done["targets"][0]["server_certificate_id"] == wrappers[0]["ServerCertificateId"]
    assert handshake(emu, "lb-e2e-443.clb.edge.test") == leaf(emu, 8802)


@pytest.mark.parametrize("refused", [True, False])
def test_international_clb_fallback_both_ways(emu, capsys, refused):
    emu.control.settings(cas_site="international")
    product(emu, "clb", "settings", international_wrap_refused=refused)
    upload(emu, 8801, ["www.example.com"])
    upload(emu, 8802, ["www.example.com"])
    region = "ap-southeast-1"
    seed_lb(emu, 8801, region=region)
    args = {"site": "international", "certificate_id": "8802-ap-southeast-1",
            "targets": [clb_target(region=region)]}
    emu.control.clear_calls()
    done = run(certificate_deployment, args, capsys, emu)
    assert done["changed"] and not done.get("failed"), done
    (outcome,) = done["targets"]
    calls = [c for c in emu.control.calls() if c["action"] == "UploadServerCertificate"]
    if refused:
        assert outcome["uploaded"] == "pem" and "international site" in outcome["upload_note"]
        assert [c["error_code"] for c in calls] == ["InvalidParameter.AliCloudCertificateId", None]
        # The key travelled in the form body, never in a URL.
        assert "PrivateKey" in calls[1]["body_params"] and "PrivateKey" not in calls[1]["query_params"]
        assert "ServerCertificate" in calls[1]["body_params"]
    else:
        assert outcome["uploaded"] == "wrapper" and "upload_note" not in outcome
        assert len(calls) == 1
    assert "PRIVATE KEY" not in json.dumps(done)
    assert handshake(emu, "lb-e2e-443.clb.edge.test") == leaf(emu, 8802)
    emu.control.clear_calls()
    again = run(certificate_deployment, args, capsys, emu)
    assert not again["changed"] and not again.get("failed"), again
    assert writes(emu) == []


def test_domain_selects_the_newest_covering_certificate(emu, capsys):
    upload(emu, 8801, ["www.example.com"], days_before=30)
    upload(emu, 8805, ["*.example.com"], days_before=2)
    upload(emu, 8806, ["www.example.com"], days_before=1, key=False)      # no key in CAS: left out
    upload(emu, 8807, ["shop.example.com"], days_before=0)                # does not cover
    SCENARIOS["cdn"](emu)
    done = run(certificate_deployment, {"domain": "www.example.com", "targets": [TARGETS["cdn"]]}, capsys, emu)
    assert done["changed"] and done["certificate"]["certificate_id"] == 8805, done
    assert "www.example.com" in done["certificate"]["selected"]
    assert handshake(emu, "www.example.com") == leaf(emu, 8805)


def test_domain_selection_covers_every_target(emu, capsys):
    upload(emu, 8801, ["www.example.com", "shop.example.com"], days_before=30)
    upload(emu, 8805, ["*.example.com"], days_before=2)
    upload(emu, 8808, ["www.example.com"], days_before=0)                 # newest, but not for shop
    SCENARIOS["cdn"](emu)
    SCENARIOS["clb-sni"](emu)
    emu.control.clear_calls()
    done = run(certificate_deployment, {"domain": "www.example.com", "targets": [TARGETS["cdn"], TARGETS["clb-sni"]]},
               capsys, emu)
    assert done["changed"] and not done.get("failed"), done
    assert done["certificate"]["certificate_id"] == 8805 and [t["certificate_id"] for t in done["targets"]] == [8805] * 2
    assert handshake(emu, "www.example.com") == leaf(emu, 8805) == handshake(emu, "shop.example.com")


def test_info_reports_every_product_without_writing(emu, capsys):
    upload(emu, 8801, ["www.example.com", "shop.example.com"])
    SCENARIOS["cdn"](emu)
    product(emu, "dcdn", "domains", domain="www.example.com", https=False)
    SCENARIOS["clb-sni"](emu)
    emu.control.clear_calls()
    info = run(certificate_deployment_info, {"targets": [TARGETS["cdn"], TARGETS["dcdn"], TARGETS["clb"],
                                                         TARGETS["clb-sni"]]}, capsys, emu)
    assert not info["changed"] and not info.get("failed"), info
    got = [(t["product"], t["certificate_id"], t["https_enabled"]) for t in info["targets"]]
    assert got == [("cdn", 8801, True), ("dcdn", None, False), ("clb", 8801, True), ("clb", 8801, True)]
    assert writes(emu) == []


@pytest.mark.parametrize("signature_version", ["v2", "v3"])
def test_private_key_of_the_pem_fallback_is_not_in_the_result(emu, capsys, signature_version):
    emu.control.settings(cas_site="international")
    upload(emu, 8802, ["www.example.com"])
    from tests.emulator import certificates

    with emu.state.lock:
        key_pem = certificates.find_certificate(emu.state, DEMO_ACCOUNT, 8802).private_key_pem
    seed_lb(emu, None, region="ap-southeast-1")
    emu.control.clear_calls()
    done = run(certificate_deployment, {"site": "international", "certificate_id": "8802",
                                        "signature_version": signature_version,
                                        "targets": [clb_target(region="ap-southeast-1")]}, capsys, emu, diff=True)
    assert done["targets"][0]["uploaded"] == "pem", done
    (pem_upload,) = [c for c in emu.control.calls() if c["action"] == "UploadServerCertificate" and c["status"] == 200]
    assert pem_upload["signature_version"] == signature_version
    assert {"PrivateKey", "ServerCertificate"} <= set(pem_upload["body_params"])
    assert not {"PrivateKey", "ServerCertificate"} & set(pem_upload["query_params"])
    body = "".join(key_pem.splitlines()[1:-1])
    text = json.dumps(done)
    assert body[:40] not in text and "PRIVATE KEY" not in text


def test_a_permission_refusal_names_the_ram_action_and_writes_nothing_else(emu, capsys):
    upload(emu, 8801, ["www.example.com"])
    upload(emu, 8802, ["www.example.com"])
    seed_lb(emu, 8801)
    SCENARIOS["cdn"](emu)
    emu.control._post("deny", action="UploadServerCertificate")
    emu.control.clear_calls()
    result = run(certificate_deployment, {"certificate_id": "8802", "targets": [clb_target(), TARGETS["cdn"]]},
                 capsys, emu)
    assert result["failed"] and "1 of 2 target(s) failed: targets[0]" in result["msg"]
    clb, cdn = result["targets"]
    assert clb["failed"] and "slb:UploadServerCertificate" in clb["msg"] and "lb-e2e:443" in clb["msg"]
    assert not cdn["failed"] and cdn["changed"]
    assert writes(emu) == ["UploadServerCertificate", "SetCdnDomainSSLCertificate"]
    assert handshake(emu, "lb-e2e-443.clb.edge.test") == leaf(emu, 8801)


def test_deployments_batch_with_one_failing_target(emu, capsys):
    upload(emu, 8801, ["www.example.com", "shop.example.com"])
    upload(emu, 8802, ["www.example.com", "shop.example.com"])
    upload(emu, 8803, ["other.example.com"])
    SCENARIOS["clb-sni"](emu)
    product(emu, "dcdn", "domains", domain="other.example.com", https=True, certificate_id=8803)
    emu.control.clear_calls()
    result = run(certificate_deployment, {"deployments": [
        {"certificate_id": "8802", "targets": [clb_target(domain="shop.example.com"), clb_target()]},
        {"certificate_id": "8802", "targets": [{"product": "dcdn", "domain": "other.example.com"}]},
    ]}, capsys, emu)
    assert result["failed"] and "deployments[1].targets[0]" in result["msg"]
    first, second = result["deployments"]
    assert [t["changed"] for t in first["targets"]] == [True, True] and first["certificate"]["certificate_id"] == 8802
    assert second["targets"][0]["failed"] and "does not cover other.example.com" in second["targets"][0]["msg"]
    # One wrapper for both targets of the region, never one per target; nothing written to DCDN.
    assert writes(emu) == ["UploadServerCertificate", "SetDomainExtensionAttribute",
                           "SetLoadBalancerHTTPSListenerAttribute"]


def test_a_rerun_by_identifier_asks_cas_nothing(emu, capsys):
    upload(emu, 8801, ["www.example.com"])
    upload(emu, 8802, ["www.example.com", "shop.example.com"])
    SCENARIOS["cdn"](emu)
    seed_lb(emu, 8802)
    args = {"certificate_id": "8802-cn-hangzhou", "targets": [TARGETS["cdn"], clb_target()]}
    first = run(certificate_deployment, args, capsys, emu)
    assert first["changed"] and not first.get("failed"), first
    emu.control.clear_calls()
    again = run(certificate_deployment, args, capsys, emu)
    assert not again["changed"] and not again.get("failed"), again
    assert [c for c in emu.control.calls() if c["product"] == "Cas"] == []
    assert writes(emu) == []


def test_throttling_under_a_low_qps_limit_is_waited_out_with_one_upload(emu, capsys):
    upload(emu, 8801, ["www.example.com"])
    upload(emu, 8802, ["www.example.com"])
    product(emu, "clb", "load_balancers", region=REGION, load_balancer_id="lb-e2e",
            listeners=[{"port": 443, "certificate_id": 8801}, {"port": 8443, "certificate_id": 8801}])
    product(emu, "clb", "settings", qps=1)
    emu.control.clear_calls()
    done = run(certificate_deployment, {"certificate_id": "8802", "targets": [clb_target(), clb_target(8443)]},
               capsys, emu)
    assert done["changed"] and not done.get("failed"), done
    calls = emu.control.calls()
    assert any(c["fault"] == "qps" for c in calls), "the limit was really hit"
    assert [c["status"] for c in calls if c["action"] == "UploadServerCertificate"].count(200) == 1
    assert len([c for c in server_certificates(emu) if str(c.get("AliCloudCertificateId")) == "8802"]) == 1
