"""Control API, the Python wrapper and the ``python -m tests.emulator`` command line."""

import datetime
import json
import os
import signal
import subprocess
import sys

import pytest
import requests
from cryptography import x509

from tests.emulator import ControlRequestError, Emulator
from tests.emulator.__main__ import parse_args

ACCOUNT = "1234567890123456"
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def test_demo_seed(emu):
    state = emu.control.state()
    assert state["accounts"] == [ACCOUNT]
    assert state["access_keys"][0]["access_key_id"] == "LTAI5tEmulatorDemoKey01"
    assert "access_key_secret" not in json.dumps(state)
    assert state["zones"] == {ACCOUNT: {"example.com": []}}
    assert sorted((q["product_code"], q["total"]) for q in state["quotas"]) == [
        ("digicert-free-1-free", 20), ("geotrust-dv-w-starter", 5)]
    assert state["settings"] == {"issue_delay": 0.0, "auto_dns_validation": False, "record_domain_style": "zone",
                                 "verify_fail_domains": [], "validity_days": 90,
                                 "instance_validation_delay": 2.0, "instance_cancel_delay": 1.0,
                                 "instance_cancel_status": "normal", "instance_time_unit": "ms",
                                 "client_token_honoured": False, "contact_limit": 100,
                                 "fresh_order_list_status": "CHECKING", "list_lag": 0, "cancel_mode": "sync",
                                 "quota_refusal": "documented",
                                 "dns_visibility_delay": 0.0, "ttl_floor": 600, "show_size_cap": None,
                                 "record_info_gone_code": "InvalidRR.NoExist", "cas_site": "china"}
    cdn = requests.get(emu.control_url + "/products/cdn", verify=emu.ca_path, timeout=10).json()
    assert [(d["domain"], d["https"], d["certificate_id"]) for d in cdn["domains"]] == [("www.example.com", False, None)]
    dcdn = requests.get(emu.control_url + "/products/dcdn", verify=emu.ca_path, timeout=10).json()
    assert dcdn["domains"] == []


def test_other_seeds_have_no_cdn_domain(emu):
    for seed in ("empty", "v2"):
        emu.control.reset(seed)
        cdn = requests.get(emu.control_url + "/products/cdn", verify=emu.ca_path, timeout=10).json()
        assert cdn["domains"] == []


def test_reset_to_empty_and_back(emu):
    emu.control.reset("empty")
    assert emu.control.state()["accounts"] == []
    emu.control.reset()
    assert emu.control.state()["accounts"] == [ACCOUNT]


def test_calls_log_has_no_secrets(emu, api):
    emu.control.clear_calls()
    api.ok(api.cas("DescribePackageState"))
    api.error(api.cas("DescribeCertificateState", OrderId=1), 404)
    calls = emu.control.calls()
    assert [(c["action"], c["status"], c["error_code"]) for c in calls] == [
        ("DescribePackageState", 200, None), ("DescribeCertificateState", 404, "NotFoundOrder")]
    first = calls[0]
    assert first["version"] == "2020-04-07" and first["account_id"] == ACCOUNT
    assert first["access_key_id"] == "LTAI5tEmulatorDemoKey01" and first["time"]
    text = json.dumps(calls)
    assert "EmulatorDemoSecret" not in text and "Signature" not in text
    emu.control.clear_calls()
    assert emu.control.calls() == []


def test_seeding_endpoints(emu, make_api):
    emu.control.add_account("42", "LTAIFortyTwo", "secret-42")
    emu.control.add_zone("42", "forty-two.org")
    emu.control.add_record("42", "forty-two.org", "mail", "MX", "mx.forty-two.org", ttl=3600, priority=5)
    emu.control.set_quota("42", "geotrust-dv-1-starter", total=3, used=1)
    client = make_api("LTAIFortyTwo", "secret-42")
    record = client.ok(client.dns("DescribeDomainRecords", DomainName="forty-two.org"))["DomainRecords"]["Record"][0]
    assert (record["Type"], record["TTL"], record["Priority"]) == ("MX", 3600, 5)
    counts = client.ok(client.cas("DescribePackageState", ProductCode="geotrust-dv-1-starter"))
    assert (counts["TotalCount"], counts["UsedCount"]) == (3, 1)


def test_control_validation_errors(emu):
    with pytest.raises(ControlRequestError, match="missing field"):
        emu.control.add_zone(ACCOUNT, "")
    with pytest.raises(ControlRequestError, match="record_domain_style"):
        emu.control.settings(record_domain_style="fqdn")
    with pytest.raises(ControlRequestError, match="unknown setting"):
        emu.control.settings(colour="blue")
    with pytest.raises(ControlRequestError, match="duplicated"):
        for _attempt in range(2):
            emu.control.add_record(ACCOUNT, "example.com", "www", "A", "192.0.2.1")
    with pytest.raises(ControlRequestError, match="not found"):
        emu.control.expire_order(1, days_left=3)
    response = requests.post(emu.control_url + "/reset", data="[1]", verify=emu.ca_path, timeout=10)
    assert response.status_code == 400


def test_order_state_and_expire(emu, api, order_factory):
    order_id = order_factory()
    with pytest.raises(ControlRequestError, match="no issued certificate"):
        emu.control.expire_order(order_id, days_left=3)
    view = emu.control.set_order_state(order_id, "verify_fail")
    assert (view["type"], view["status"]) == ("verify_fail", "CHECKED_FAIL")
    view = emu.control.set_order_state(order_id, "certificate")
    assert view["type"] == "certificate" and view["cert_id"]
    view = emu.control.expire_order(order_id, days_left=-2)
    assert view["status"] == "EXPIRED"
    leaf = x509.load_pem_x509_certificates(view["certificate"].encode())[0]
    assert leaf.not_valid_after_utc.timestamp() == pytest.approx(view["cert_end_time"] / 1000)
    with pytest.raises(ControlRequestError, match="type must be"):
        emu.control.set_order_state(order_id, "exploded")


def test_issuer_ca_endpoint_matches_attribute(emu):
    assert emu.control.issuer_ca_pem() == emu.issuer_ca_pem
    assert x509.load_pem_x509_certificate(emu.issuer_ca_pem.encode()).subject.rfc4514_string()


def test_plain_http_emulator_with_state_dir(tmp_path):
    with Emulator(tls=False, seed="empty", state_dir=str(tmp_path), issue_delay=1.5) as emu:
        assert emu.base_url.startswith("http://127.0.0.1:") and emu.ca_path is None
        assert json.loads((tmp_path / "emulator.json").read_text()) == emu.info()
        assert emu.control.state()["settings"]["issue_delay"] == 1.5


def test_cli_prints_json_line_and_stops_on_sigterm(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.emulator", "--seed", "demo", "--state-dir", str(tmp_path),
         "--auto-dns-validation", "--throttle-qps", "50"],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(process.stdout.readline())
        assert set(info) == {"base_url", "ca_path", "control_url", "pid", "edge_port"}
        assert isinstance(info["edge_port"], int) and info["edge_port"] != int(info["base_url"].rsplit(":", 1)[1])
        assert info["pid"] == process.pid
        assert info["ca_path"].startswith(str(tmp_path))
        state = requests.get(info["control_url"] + "/state", verify=info["ca_path"], timeout=10).json()
        assert state["settings"]["auto_dns_validation"] is True
        assert state["faults"]["configured"] == {"throttle_qps": 50.0}
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


# 30.0003 days is 30 days and 25.92 s: a certificate just over a 30-day renewal window,
# which is inside it half a minute later (the role's renewal case relies on it).
FRACTIONAL_DAYS = 30.0003
FRACTIONAL_LIFETIME = datetime.timedelta(days=30, seconds=26)


def test_fractional_validity_days_for_orders(emu, order_factory):
    settings = emu.control.settings(validity_days=FRACTIONAL_DAYS)["settings"]
    view = emu.control.set_order_state(order_factory(), "certificate")
    leaf = x509.load_pem_x509_certificates(view["certificate"].encode())[0]
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc == FRACTIONAL_LIFETIME
    assert view["cert_end_time"] - view["cert_start_time"] == FRACTIONAL_LIFETIME.total_seconds() * 1000
    assert settings["validity_days"] == FRACTIONAL_DAYS


@pytest.mark.parametrize("days", [0, -1, 0.0, "thirty", True, None, 10 ** 9])
def test_validity_days_must_be_a_positive_number(emu, days):
    with pytest.raises(ControlRequestError, match=r"validity_days must be a number of days > 0"):
        emu.control.settings(validity_days=days)
    assert emu.control.state()["settings"]["validity_days"] == 90


def test_fractional_validity_days_from_the_wrapper_and_the_command_line():
    assert parse_args(["--validity-days", "30.0003"]).validity_days == FRACTIONAL_DAYS
    with pytest.raises(SystemExit):
        parse_args(["--validity-days", "0"])
    with pytest.raises(ValueError, match="validity_days must be a number of days > 0"):
        Emulator(tls=False, seed="empty", validity_days=-2)
    with Emulator(tls=False, seed="demo", validity_days=FRACTIONAL_DAYS) as emu:
        assert emu.control.state()["settings"]["validity_days"] == FRACTIONAL_DAYS
