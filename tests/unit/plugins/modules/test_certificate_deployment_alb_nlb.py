# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""certificate_deployment and certificate_deployment_info end to end for ALB and NLB: the real
modules (main()), the real adapters and transport, and the emulator's CAS, ALB and NLB."""

from __future__ import annotations

import json
import socket
import ssl
import time

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.alicloud.cas.plugins.module_utils._deployment._listener import ListenerAdapter
from ansible_collections.alicloud.cas.plugins.modules import certificate_deployment, certificate_deployment_info

from tests.unit.emulator.lb_support import plant_certificate, product_settings, product_view, seed_listener
from tests.unit.plugins.module_utils.emulator_run import DEMO_KEY, DEMO_SECRET

REGION = "cn-hangzhou"
WRITES = ("UpdateListenerAttribute", "AssociateAdditionalCertificatesWithListener",
          "DissociateAdditionalCertificatesFromListener", "DisassociateAdditionalCertificatesWithListener")


@pytest.fixture(scope="module")
def emu():
    from tests.emulator import running_emulator

    yield from running_emulator(seed="demo")


@pytest.fixture(autouse=True)
def setup(emu, monkeypatch, one_module_run):
    emu.control.reset("demo")
    for product in ("alb", "nlb"):
        product_settings(emu, product, configuring_seconds=0.2)
        emu.control._call("POST", "products/%s/settings" % product, {"qps": 0})
    # A fast emulator: poll a Configuring listener every 20 ms instead of every 2 s.
    monkeypatch.setattr(ListenerAdapter, "poll_interval", 0.02)
    monkeypatch.setenv("ALIBABA_CLOUD_CAS_ENDPOINT", emu.base_url)
    for product in ("cdn", "dcdn", "clb", "alb", "nlb"):
        monkeypatch.setenv("ALIBABA_CLOUD_%s_ENDPOINT" % product.upper(), emu.base_url)


def run(module, args, capsys, emu):
    args = dict(args, access_key_id=DEMO_KEY, access_key_secret=DEMO_SECRET, ca_path=emu.ca_path)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


def deploy(args, capsys, emu, **flags):
    extra = {"_ansible_check_mode": flags.get("check", False), "_ansible_diff": flags.get("diff", True)}
    return run(certificate_deployment, dict(args, **extra), capsys, emu)


def writes(emu):
    return [(call["action"], call["status"]) for call in emu.control.calls() if call["action"] in WRITES]


def listener(emu, product, listener_id):
    return next(item for item in product_view(emu, product)["listeners"] if item["listener_id"] == listener_id)


def settle(emu, product, listener_id):
    deadline = time.monotonic() + 5
    while listener(emu, product, listener_id)["status"] == "Configuring" and time.monotonic() < deadline:
        time.sleep(0.02)
    return listener(emu, product, listener_id)


def ident(certificate_id):
    return "%d-%s" % (certificate_id, REGION)


def check_run_rerun_check(emu, capsys, args):
    """check -> run -> rerun (no write) -> check; returns the run's result."""
    emu.control.clear_calls()
    checked = deploy(args, capsys, emu, check=True)
    assert checked["changed"] and not checked.get("failed"), json.dumps(checked, indent=1)
    assert writes(emu) == []
    done = deploy(args, capsys, emu)
    assert done["changed"] and not done.get("failed"), done
    assert writes(emu), "the run wrote nothing"
    emu.control.clear_calls()
    again = deploy(args, capsys, emu)
    assert not again["changed"] and not again.get("failed"), again
    assert writes(emu) == []
    checked_again = deploy(args, capsys, emu, check=True)
    assert not checked_again["changed"]
    assert checked["diff"]["after"] == done["diff"]["after"]
    return checked, done


# --- per product, default and additional -----------------------------------------------------

@pytest.mark.parametrize("product,protocol", [("alb", "HTTPS"), ("nlb", "TCPSSL")])
def test_default_certificate_check_run_rerun_check(emu, capsys, product, protocol):
    plant_certificate(emu, 9601, ["www.example.com"])
    plant_certificate(emu, 9602, ["www.example.com", "example.com"])
    seeded = seed_listener(emu, product, region=REGION, protocol=protocol, certificate_id=9601)
    lid = seeded["listener_id"]
    args = {"certificate_id": "9602", "targets": [{"product": product, "region": REGION, "listener_id": lid}]}
    checked, done = check_run_rerun_check(emu, capsys, args)
    target = done["targets"][0]
    assert target["certificate_id"] == 9602
    assert target["previous"] == {"certificate_id": 9601, "product_reference": ident(9601)}
    assert checked["diff"]["before"]["targets"][0]["certificate_id"] == 9601
    assert checked["diff"]["before"]["targets"][0]["names"] == ["www.example.com"]
    assert checked["diff"]["after"]["targets"][0]["certificate_id"] == 9602
    assert settle(emu, product, lid)["certificate_id"] == ident(9602)
    info = run(certificate_deployment_info, {"targets": args["targets"]}, capsys, emu)
    reported = info["targets"][0]
    assert not info["changed"] and reported["certificate_id"] == 9602
    assert reported["product_reference"] == ident(9602) and reported["certificate_identifier"] == ident(9602)
    assert sorted(reported["names"]) == ["example.com", "www.example.com"]


@pytest.mark.parametrize("product,protocol", [("alb", "HTTPS"), ("nlb", "TCPSSL")])
def test_additional_certificate_check_run_rerun_check(emu, capsys, product, protocol):
    plant_certificate(emu, 9611, ["default.example.com"])
    plant_certificate(emu, 9612, ["shop.example.com"])                       # covered by the new one
    plant_certificate(emu, 9613, ["blog.example.com", "other.test"])         # other.test is not
    plant_certificate(emu, 9614, ["shop.example.com", "blog.example.com"])
    seeded = seed_listener(emu, product, region=REGION, protocol=protocol, certificate_id=9611,
                           additional=[9612, 9613])
    lid = seeded["listener_id"]
    args = {"certificate_id": "9614",
            "targets": [{"product": product, "region": REGION, "listener_id": lid, "additional": True}]}
    emu.control.clear_calls()
    _checked, done = check_run_rerun_check(emu, capsys, args)
    target = done["targets"][0]
    assert target["dissociated"] == [{"certificate_id": 9612, "product_reference": ident(9612)}]
    state = settle(emu, product, lid)
    assert state["certificate_id"] == ident(9611)                 # the default is left alone
    assert state["additional"] == {ident(9613): "Associated", ident(9614): "Associated"}


@pytest.mark.parametrize("product,protocol", [("alb", "HTTPS"), ("nlb", "TCPSSL")])
def test_additional_dissociates_only_after_the_new_one_is_associated(emu, capsys, product, protocol):
    plant_certificate(emu, 9621, ["default.example.com"])
    plant_certificate(emu, 9622, ["shop.example.com"])
    plant_certificate(emu, 9623, ["shop.example.com"])
    lid = seed_listener(emu, product, region=REGION, protocol=protocol, certificate_id=9621,
                        additional=[9622])["listener_id"]
    emu.control.clear_calls()
    done = deploy({"certificate_id": "9623", "targets": [
        {"product": product, "region": REGION, "listener_id": lid, "additional": True}]}, capsys, emu)
    assert done["changed"] and not done.get("failed"), done
    calls = [c["action"] for c in emu.control.calls() if c["status"] == 200]
    associate = calls.index("AssociateAdditionalCertificatesWithListener")
    dissociate = max(i for i, a in enumerate(calls) if a in WRITES[2:])
    # Between the two: a listing that saw the new certificate Associated.
    assert "ListListenerCertificates" in calls[associate + 1:dissociate]
    assert settle(emu, product, lid)["additional"] == {ident(9623): "Associated"}


@pytest.mark.parametrize("product,protocol", [("alb", "HTTPS"), ("nlb", "TCPSSL")])
def test_listener_whose_certificate_holds_a_name_the_new_one_lacks_is_not_written_unless_forced(
        emu, capsys, product, protocol):
    plant_certificate(emu, 9631, ["shop.example.com", "www.example.com"])
    plant_certificate(emu, 9632, ["www.example.com"])
    lid = seed_listener(emu, product, region=REGION, protocol=protocol, certificate_id=9631)["listener_id"]
    target = {"product": product, "region": REGION, "listener_id": lid}
    emu.control.clear_calls()
    refused = deploy({"certificate_id": "9632", "targets": [target]}, capsys, emu)
    assert refused["failed"] and refused["targets"][0]["failed"]
    assert "shop.example.com" in refused["targets"][0]["msg"] and "force: true" in refused["targets"][0]["msg"]
    assert lid in refused["targets"][0]["msg"]
    assert writes(emu) == []
    forced = deploy({"certificate_id": "9632", "targets": [dict(target, force=True)]}, capsys, emu)
    assert forced["changed"] and not forced.get("failed"), forced
    assert settle(emu, product, lid)["certificate_id"] == ident(9632)


# --- ALB specifics -----------------------------------------------------------------------------

def test_alb_configuring_is_waited_out_before_and_after_the_write(emu, capsys):
    plant_certificate(emu, 9641, ["www.example.com"])
    plant_certificate(emu, 9642, ["www.example.com"])
    product_settings(emu, "alb", configuring_seconds=0.6)
    lid = seed_listener(emu, "alb", region=REGION, certificate_id=9641)["listener_id"]
    # Another write just put the listener into Configuring.
    other = seed_listener(emu, "alb", region=REGION, certificate_id=9641)["listener_id"]
    del other
    from ansible_collections.alicloud.cas.plugins.module_utils._credentials import Credentials
    from ansible_collections.alicloud.cas.plugins.module_utils._transport import RpcClient

    RpcClient(emu.base_url, "2020-06-16", Credentials(DEMO_KEY, DEMO_SECRET), verify=emu.ca_path).call(
        "UpdateListenerAttribute", {"ListenerId": lid, "Certificates.1.CertificateId": ident(9641)})
    assert listener(emu, "alb", lid)["status"] == "Configuring"
    emu.control.clear_calls()
    started = time.monotonic()
    done = deploy({"certificate_id": "9642", "targets": [
        {"product": "alb", "region": REGION, "listener_id": lid}]}, capsys, emu)
    assert done["changed"] and not done.get("failed"), done
    assert time.monotonic() - started >= 1.0   # both windows waited out
    assert writes(emu) == [("UpdateListenerAttribute", 200)]       # never refused as Configuring
    assert listener(emu, "alb", lid)["status"] != "Configuring"   # waited after the write too


def test_alb_configuring_longer_than_wait_timeout_fails_naming_the_listener(emu, capsys):
    plant_certificate(emu, 9651, ["www.example.com"])
    plant_certificate(emu, 9652, ["www.example.com"])
    product_settings(emu, "alb", configuring_seconds=30)
    lid = seed_listener(emu, "alb", region=REGION, certificate_id=9651)["listener_id"]
    started = time.monotonic()
    done = deploy({"certificate_id": "9652", "wait_timeout": 1, "targets": [
        {"product": "alb", "region": REGION, "listener_id": lid}]}, capsys, emu)
    assert time.monotonic() - started < 10
    assert done["failed"] and done["targets"][0]["failed"]
    message = done["targets"][0]["msg"]
    assert lid in message and "Configuring" in message and "wait_timeout" in message


@pytest.mark.parametrize("keeps_own", [True, False])
def test_alb_quic_paired_listener_is_not_left_on_the_old_certificate(emu, capsys, keeps_own):
    plant_certificate(emu, 9661, ["www.example.com"])
    plant_certificate(emu, 9662, ["www.example.com"])
    product_settings(emu, "alb", quic_keeps_own_certificate=keeps_own)
    seeded = seed_listener(emu, "alb", region=REGION, certificate_id=9661, quic={})
    lid, quic_id = seeded["listener_id"], seeded["quic_listener_id"]
    args = {"certificate_id": "9662", "targets": [{"product": "alb", "region": REGION, "listener_id": lid}]}
    _checked, done = check_run_rerun_check(emu, capsys, args)
    target = done["targets"][0]
    assert quic_id in target["quic"]
    assert ("updated it too" in target["quic"]) is keeps_own
    assert settle(emu, "alb", lid)["certificate_id"] == ident(9662)
    assert settle(emu, "alb", quic_id)["certificate_id"] == ident(9662)


@pytest.mark.parametrize("product,protocol", [("alb", "HTTP"), ("nlb", "TCP")])
def test_wrong_listener_protocol_is_refused_naming_it(emu, capsys, product, protocol):
    plant_certificate(emu, 9671, ["www.example.com"])
    lid = seed_listener(emu, product, region=REGION, protocol=protocol)["listener_id"]
    emu.control.clear_calls()
    done = deploy({"certificate_id": "9671", "targets": [
        {"product": product, "region": REGION, "listener_id": lid}]}, capsys, emu)
    assert done["failed"]
    message = done["targets"][0]["msg"]
    assert lid in message and "a %s listener" % protocol in message
    assert writes(emu) == []
    assert "Traceback" not in json.dumps(done)


@pytest.mark.parametrize("product,protocol", [("alb", "HTTPS"), ("nlb", "TCPSSL")])
def test_ack_managed_listener_is_a_clear_error(emu, capsys, product, protocol):
    plant_certificate(emu, 9681, ["www.example.com"])
    plant_certificate(emu, 9682, ["www.example.com"])
    lid = seed_listener(emu, product, region=REGION, protocol=protocol, certificate_id=9681,
                        service_managed=True)["listener_id"]
    done = deploy({"certificate_id": "9682", "targets": [
        {"product": product, "region": REGION, "listener_id": lid}]}, capsys, emu)
    assert done["failed"]
    message = done["targets"][0]["msg"]
    assert lid in message and "ACK" in message and "Ingress" in message
    assert settle(emu, product, lid)["certificate_id"] == ident(9681)


# --- NLB specifics -----------------------------------------------------------------------------

def test_nlb_sends_its_writes_in_the_form_body(emu, capsys, monkeypatch):
    import requests

    sent = []
    original = requests.Session.post

    def recording(self, url, **kwargs):
        sent.append((url, kwargs.get("data"), kwargs.get("params")))
        return original(self, url, **kwargs)
    monkeypatch.setattr(requests.Session, "post", recording)
    plant_certificate(emu, 9691, ["www.example.com"])
    plant_certificate(emu, 9692, ["www.example.com"])
    lid = seed_listener(emu, "nlb", region=REGION, certificate_id=9691)["listener_id"]
    done = deploy({"certificate_id": "9692", "targets": [
        {"product": "nlb", "region": REGION, "listener_id": lid}]}, capsys, emu)
    assert done["changed"] and not done.get("failed"), done
    updates = [(url, data) for url, data, _params in sent if "UpdateListenerAttribute" in (url + str(data))]
    assert updates, sent
    for url, data in updates:
        assert "CertificateIds.1" not in url and "ListenerId" not in url
        assert "CertificateIds.1" in str(data) and "ListenerId" in str(data)


# --- the edge ------------------------------------------------------------------------------------

def _edge_names(emu, server_name):
    from cryptography import x509

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", emu.edge_port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=server_name) as tls:
            der = tls.getpeercert(binary_form=True)
    leaf = x509.load_der_x509_certificate(der)
    return sorted(leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName))


@pytest.mark.parametrize("product,protocol", [("alb", "HTTPS"), ("nlb", "TCPSSL")])
def test_edge_handshake_serves_the_deployed_certificate(emu, capsys, product, protocol):
    plant_certificate(emu, 9701, ["old.example.com"])
    plant_certificate(emu, 9702, ["new.example.com", "old.example.com"])
    lid = seed_listener(emu, product, region=REGION, protocol=protocol, certificate_id=9701)["listener_id"]
    server_name = "%s.%s.edge.test" % (lid.replace("@", "-"), product)
    assert _edge_names(emu, server_name) == ["old.example.com"]
    done = deploy({"certificate_id": "9702", "targets": [
        {"product": product, "region": REGION, "listener_id": lid}]}, capsys, emu)
    assert done["changed"] and not done.get("failed"), done
    assert _edge_names(emu, server_name) == ["new.example.com", "old.example.com"]


@pytest.mark.parametrize("product,protocol", [("alb", "HTTPS"), ("nlb", "TCPSSL")])
def test_additional_rerun_finishes_a_dissociation_an_earlier_run_lost(emu, capsys, product, protocol):
    """An earlier run associated the new certificate and lost its dissociation of the old one:
    the target is not in sync while a dissociable old certificate remains."""
    plant_certificate(emu, 9711, ["default.example.com"])
    plant_certificate(emu, 9712, ["shop.example.com"])
    plant_certificate(emu, 9713, ["shop.example.com", "www.example.com"])
    lid = seed_listener(emu, product, region=REGION, protocol=protocol, certificate_id=9711,
                        additional=[9712, 9713])["listener_id"]
    args = {"certificate_id": "9713",
            "targets": [{"product": product, "region": REGION, "listener_id": lid, "additional": True}]}
    emu.control.clear_calls()
    checked = deploy(args, capsys, emu, check=True)
    assert checked["changed"] and writes(emu) == []
    done = deploy(args, capsys, emu)
    assert done["changed"] and not done.get("failed"), done
    assert done["targets"][0]["dissociated"] == [{"certificate_id": 9712, "product_reference": ident(9712)}]
    assert [action for action, status in writes(emu)] == [
        "DissociateAdditionalCertificatesFromListener" if product == "alb"
        else "DisassociateAdditionalCertificatesWithListener"]
    assert settle(emu, product, lid)["additional"] == {ident(9713): "Associated"}
    emu.control.clear_calls()
    again = deploy(args, capsys, emu)
    assert not again["changed"] and writes(emu) == []


# --- batches across products -------------------------------------------------------------------

def _batch(emu):
    plant_certificate(emu, 9801, ["www.example.com"])
    plant_certificate(emu, 9802, ["www.example.com"])
    alb = seed_listener(emu, "alb", region=REGION, certificate_id=9801)["listener_id"]
    nlb = seed_listener(emu, "nlb", region=REGION, certificate_id=9801)["listener_id"]
    emu.control._call("POST", "products/cdn/domains", {"domain": "www.example.com", "https": True,
                                                       "certificate_id": 9801})
    return alb, nlb


def test_batch_with_an_unknown_listener_changes_the_others_and_fails_at_the_end(emu, capsys):
    alb, nlb = _batch(emu)
    targets = [{"product": "alb", "region": REGION, "listener_id": alb},
               {"product": "alb", "region": REGION, "listener_id": "lsn-doesnotexist"},
               {"product": "nlb", "region": REGION, "listener_id": nlb},
               {"product": "cdn", "domain": "www.example.com"}]
    done = deploy({"certificate_id": "9802", "targets": targets}, capsys, emu)
    assert done["failed"] and "1 of 4 target(s) failed: targets[1]" in done["msg"]
    assert [(t["changed"], t["failed"]) for t in done["targets"]] == [
        (True, False), (False, True), (True, False), (True, False)]
    assert "lsn-doesnotexist" in done["targets"][1]["msg"]
    assert done["targets"][1]["error"]["code"] == "ResourceNotFound.Listener"
    assert settle(emu, "alb", alb)["certificate_id"] == ident(9802)
    assert settle(emu, "nlb", nlb)["certificate_id"] == ident(9802)


def test_batch_with_a_permission_refusal_names_the_ram_action_and_the_target(emu, capsys):
    alb, nlb = _batch(emu)
    emu.control._call("POST", "deny", {"product": "alb", "action": "UpdateListenerAttribute"})
    targets = [{"product": "alb", "region": REGION, "listener_id": alb},
               {"product": "nlb", "region": REGION, "listener_id": nlb}]
    done = deploy({"certificate_id": "9802", "targets": targets}, capsys, emu)
    assert done["failed"] and "1 of 2 target(s) failed: targets[0]" in done["msg"]
    refused, other = done["targets"]
    assert refused["failed"] and not refused["changed"]
    assert "alb:UpdateListenerAttribute" in refused["msg"] and alb in refused["msg"]
    assert other["changed"] and not other["failed"]
    assert settle(emu, "alb", alb)["certificate_id"] == ident(9801)
    assert settle(emu, "nlb", nlb)["certificate_id"] == ident(9802)


def test_duplicate_targets_are_refused_before_any_call(emu, capsys):
    emu.control.clear_calls()
    done = deploy({"certificate_id": "9802", "targets": [
        {"product": "alb", "region": REGION, "listener_id": "lsn-1"},
        {"product": "nlb", "region": REGION, "listener_id": "lsn-1"},
        {"product": "alb", "region": "CN-Hangzhou", "listener_id": " lsn-1"}]}, capsys, emu)
    assert done["failed"] and "targets[0] and targets[2] name the same target" in done["msg"]
    assert emu.control.calls() == []
    assert "exception" not in done


@pytest.mark.parametrize("target,option", [
    ({"product": "alb", "region": REGION}, "targets[2].listener_id"),
    ({"product": "nlb", "listener_id": "lsn-1"}, "targets[2].region"),
    ({"product": "alb", "region": REGION, "listener_id": "lsn-2", "domain": "www.example.com"}, "targets[2].domain"),
    ({"product": "nlb", "region": REGION, "listener_id": "lsn-2", "listener_port": 443}, "targets[2].listener_port"),
    ({"product": "alb", "region": REGION, "listener_id": "lsn-2", "enable_https": True}, "targets[2].enable_https"),
    ({"product": "alb", "region": "cn hangzhou", "listener_id": "lsn-2"}, "targets[2].region"),
])
def test_bad_input_names_the_option_with_no_traceback_and_no_call(emu, capsys, target, option):
    emu.control.clear_calls()
    done = deploy({"certificate_id": "9802", "targets": [
        {"product": "alb", "region": REGION, "listener_id": "lsn-a"},
        {"product": "nlb", "region": REGION, "listener_id": "lsn-b"}, target]}, capsys, emu)
    assert done["failed"] and option in done["msg"], done["msg"]
    assert "exception" not in done and "Traceback" not in json.dumps(done)
    assert emu.control.calls() == []


def test_bad_input_under_deployments_names_the_path(emu, capsys):
    emu.control.clear_calls()
    done = deploy({"deployments": [
        {"certificate_id": "9802", "targets": [{"product": "alb", "region": REGION, "listener_id": "lsn-a"}]},
        {"certificate_id": "9803", "targets": [{"product": "nlb", "region": REGION, "listener_id": "lsn-b"},
                                               {"product": "nlb", "region": REGION, "additional": "yes"}]}]},
        capsys, emu)
    assert done["failed"] and "deployments[1].targets[1].listener_id" in done["msg"], done["msg"]
    assert emu.control.calls() == []


@pytest.mark.parametrize("keeps_own", [True, False])
def test_alb_quic_paired_listener_gets_the_additional_certificate_too(emu, capsys, keeps_own):
    plant_certificate(emu, 9721, ["default.example.com"])
    plant_certificate(emu, 9722, ["shop.example.com"])
    plant_certificate(emu, 9723, ["shop.example.com"])
    product_settings(emu, "alb", quic_keeps_own_certificate=keeps_own)
    seeded = seed_listener(emu, "alb", region=REGION, certificate_id=9721, additional=[9722],
                           quic={"additional": [9722]})
    lid, quic_id = seeded["listener_id"], seeded["quic_listener_id"]
    args = {"certificate_id": "9723",
            "targets": [{"product": "alb", "region": REGION, "listener_id": lid, "additional": True}]}
    _checked, done = check_run_rerun_check(emu, capsys, args)
    assert quic_id in done["targets"][0]["quic"]
    assert ("keeps certificates of its own" in done["targets"][0]["quic"]) is keeps_own
    assert settle(emu, "alb", lid)["additional"] == {ident(9723): "Associated"}
    assert settle(emu, "alb", quic_id)["additional"] == {ident(9723): "Associated"}


@pytest.mark.parametrize("product,protocol,additional,action", [
    ("alb", "HTTPS", False, "UpdateListenerAttribute"),
    ("nlb", "TCPSSL", False, "UpdateListenerAttribute"),
    ("alb", "HTTPS", True, "AssociateAdditionalCertificatesWithListener"),
    ("nlb", "TCPSSL", True, "AssociateAdditionalCertificatesWithListener")])
def test_a_lost_answer_to_a_write_is_confirmed_by_a_read_not_sent_twice(emu, capsys, product, protocol, additional,
                                                                        action):
    plant_certificate(emu, 9731, ["www.example.com"])
    plant_certificate(emu, 9732, ["www.example.com"])
    lid = seed_listener(emu, product, region=REGION, protocol=protocol, certificate_id=9731)["listener_id"]
    emu.control.set_faults(lose_response={"count": 1, "actions": [action]})
    emu.control.clear_calls()
    done = deploy({"certificate_id": "9732", "targets": [
        {"product": product, "region": REGION, "listener_id": lid, "additional": additional}]}, capsys, emu)
    emu.control.clear_faults()
    assert done["changed"] and not done.get("failed"), done
    assert [entry for entry in writes(emu) if entry[0] == action] == [(action, 200)]
    state = settle(emu, product, lid)
    if additional:
        assert state["additional"] == {ident(9732): "Associated"}
    else:
        assert state["certificate_id"] == ident(9732)


@pytest.mark.parametrize("product,protocol", [("alb", "HTTPS"), ("nlb", "TCPSSL")])
def test_listeners_of_one_load_balancer_are_written_one_after_the_other(emu, capsys, product, protocol):
    """With the whole load balancer Configuring after a write, the second listener is written
    only once the first write is done: no IncorrectStatus refusal is ever provoked."""
    plant_certificate(emu, 9741, ["www.example.com"])
    plant_certificate(emu, 9742, ["www.example.com"])
    product_settings(emu, product, configuring_scope="load_balancer", configuring_seconds=0.3)
    first = seed_listener(emu, product, region=REGION, protocol=protocol, certificate_id=9741, port=443)
    second = seed_listener(emu, product, region=REGION, protocol=protocol, certificate_id=9741, port=8443,
                           load_balancer_id=first["load_balancer_id"])
    emu.control.clear_calls()
    done = deploy({"certificate_id": "9742", "targets": [
        {"product": product, "region": REGION, "listener_id": first["listener_id"]},
        {"product": product, "region": REGION, "listener_id": second["listener_id"]}]}, capsys, emu)
    assert done["changed"] and not done.get("failed"), done
    assert writes(emu) == [("UpdateListenerAttribute", 200)] * 2
    assert settle(emu, product, second["listener_id"])["certificate_id"] == ident(9742)


def test_rerun_costs_only_the_reads(emu, capsys):
    """The issue's budget: 1 read per default target, 2 per target with additional, and no CAS
    call when certificate_id is the identifier and every target is in sync."""
    plant_certificate(emu, 9751, ["www.example.com"])
    plant_certificate(emu, 9752, ["www.example.com"])
    targets = []
    for product, protocol in (("alb", "HTTPS"), ("nlb", "TCPSSL")):
        lid = seed_listener(emu, product, region=REGION, protocol=protocol, certificate_id=9751)["listener_id"]
        targets.append({"product": product, "region": REGION, "listener_id": lid})
        lid = seed_listener(emu, product, region=REGION, protocol=protocol, certificate_id=9751)["listener_id"]
        targets.append({"product": product, "region": REGION, "listener_id": lid, "additional": True})
    args = {"certificate_id": ident(9752), "targets": targets}
    assert deploy(args, capsys, emu)["changed"]
    emu.control.clear_calls()
    again = deploy(args, capsys, emu)
    assert not again["changed"] and not again.get("failed"), again
    actions = sorted(call["action"] for call in emu.control.calls())
    assert actions == ["GetListenerAttribute"] * 4 + ["ListListenerCertificates"] * 2, actions
