"""The collection's client against the emulator over HTTPS: every emulated action with a
valid signature, and each documented gateway error when a credential or signature part is wrong,
under both signature versions (V2 HMAC-SHA1 and V3 ACS3-HMAC-SHA256).
"""

import datetime
import json
import urllib.parse

import pytest
import requests

from ansible_collections.alicloud.cas.plugins.module_utils._alidns import AlidnsClient
from ansible_collections.alicloud.cas.plugins.module_utils._cas import CasClient, normalize_state
from ansible_collections.alicloud.cas.plugins.module_utils._credentials import Credentials
from ansible_collections.alicloud.cas.plugins.module_utils._errors import (
    AlibabaCloudError,
    CertificateVerificationError,
    NetworkError,
)
from ansible_collections.alicloud.cas.plugins.module_utils._signer import signed_query, signed_v3_request
from ansible_collections.alicloud.cas.plugins.module_utils._transport import (
    ALIDNS_VERSION,
    CAS_VERSION,
    RetryPolicy,
    RpcClient,
)
from tests.emulator import running_emulator

KEY = "LTAI5tEmulatorDemoKey01"
SECRET = "EmulatorDemoSecret0123456789abc"
ACCOUNT = "1234567890123456"
NO_RETRY = RetryPolicy(max_attempts=1)


@pytest.fixture(scope="module")
def emu():
    yield from running_emulator(seed="demo")


@pytest.fixture(autouse=True)
def fresh(emu):
    emu.control.reset("demo")


@pytest.fixture(params=["v2", "v3"])
def signing(request):
    return request.param


def rpc(emu, version=CAS_VERSION, credentials=None, verify=None, policy=NO_RETRY, signing="v2"):
    return RpcClient(emu.base_url, version, credentials or Credentials(KEY, SECRET),
                     verify=emu.ca_path if verify is None else verify, retry_policy=policy, signature_version=signing)


def signed_by(emu, signing):
    """The signature version the gateway saw in every call so far."""
    return {call.get("signature_version") for call in emu.control.calls()} == {signing}


def test_every_cas_action_through_https(emu, signing):
    cas = CasClient(rpc(emu, signing=signing))
    dns = AlidnsClient(rpc(emu, ALIDNS_VERSION, signing=signing))
    assert cas.package_state("digicert-free-1-free")["remaining"] == 20
    order_id = cas.create("www.example.com", "admin@example.com", "13800000000", "Ops", "DNS",
                          tags={"env": "test"})["order_id"]
    pending = normalize_state(cas.describe_state(order_id), "www.example.com")
    assert pending["status"] == "domain_verify"
    validation = pending["validation"]
    assert validation["fqdn"] == "_dnsauth.www.example.com"
    zone = dns.find_zone(validation["fqdn"])
    rr = validation["fqdn"][: -len(zone) - 1]
    record_id = dns.add(zone, rr, "TXT", validation["value"], ttl=600)
    issued = normalize_state(cas.describe_state(order_id), "www.example.com")
    assert issued["status"] == "certificate" and issued["certificate"].startswith("-----BEGIN CERTIFICATE-----")
    assert issued["chain"] and issued["fullchain"].startswith(issued["certificate"])
    assert [o["OrderId"] for o in cas.orders_for_domain("www.example.com")] == [order_id]
    dns.delete(record_id)
    assert dns.records(zone, rr) == []

    second = cas.create("shop.example.com", "admin@example.com", "13800000000", "Ops", "DNS")["order_id"]
    cas.cancel(second)
    cas.delete(second)
    assert cas.package_state("digicert-free-1-free")["used"] == 1
    assert signed_by(emu, signing)


def test_every_alidns_action_through_https(emu, signing):
    api = rpc(emu, ALIDNS_VERSION, signing=signing)
    dns = AlidnsClient(api)
    assert dns.zones() == ["example.com"]
    first = dns.add("example.com", "www", "A", "192.0.2.1")
    assert dns.add("example.com", "www", "A", "192.0.2.1") is None  # DomainRecordDuplicate = already there
    dns.update(first, "www", "A", "192.0.2.2")
    assert [r["value"] for r in dns.records("example.com", "www", "A")] == ["192.0.2.2"]
    assert api.call("DescribeSubDomainRecords", {"SubDomain": "www.example.com"})["TotalCount"] == 1
    assert api.call("GetMainDomainName", {"InputString": "www.example.com"})["DomainName"] == "example.com"
    assert api.call("DeleteSubDomainRecords", {"DomainName": "example.com", "RR": "www"})["TotalCount"] == "1"
    dns.delete(first)  # already gone: DomainRecordNotBelongToUser counts as deleted
    assert signed_by(emu, signing)


def signed_post(emu, client, signing, **overrides):
    """One DescribePackageState sent by hand, signed with a chosen date or nonce."""
    if signing == "v3":
        query, headers = signed_v3_request("POST", emu.base_url.split("://", 1)[1], "DescribePackageState",
                                           CAS_VERSION, {}, client.credentials, **overrides)
        return client.session.post("%s/?%s" % (emu.base_url, query), headers=headers, verify=emu.ca_path, timeout=10)
    query = signed_query("POST", "DescribePackageState", CAS_VERSION, {}, client.credentials, **overrides)
    return client.session.post("%s/?%s" % (emu.base_url, query), verify=emu.ca_path, timeout=10)


def gateway_error(emu, credentials=None, signing="v2", **overrides):
    client = rpc(emu, credentials=credentials, signing=signing)
    with pytest.raises(AlibabaCloudError) as raised:
        if overrides:
            client._decode("DescribePackageState", signed_post(emu, client, signing, **overrides))
        else:
            client.call("DescribePackageState")
    assert signed_by(emu, signing)
    return raised.value


def test_wrong_secret_is_signature_does_not_match(emu, signing):
    err = gateway_error(emu, Credentials(KEY, "wrong-secret"), signing)
    assert (err.code, err.http_status) == ("SignatureDoesNotMatch", 400)
    assert "check access_key_secret" in str(err)


def test_sts_token_quoted_by_signature_does_not_match_is_removed(emu, signing):
    """The gateway echoes its string to sign (V2: the token URL-encoded twice in it; V3: its
    canonical request, with the token as a header value)."""
    token = "CAIS+live/token9XvB3mK7wR2tY8pL5nD1sF4gH6jJ0=="
    emu.control.add_sts(ACCOUNT, "STS.Quoted", "sts-secret", token, expired=False)
    err = gateway_error(emu, Credentials("STS.Quoted", "wrong-secret", token), signing)
    assert err.code == "SignatureDoesNotMatch"
    assert "string to sign is: <removed" in err.message
    if signing == "v3":
        assert "canonical request is: <removed" in err.message
    once = urllib.parse.quote(token, safe="")
    text = str(err) + json.dumps(err.to_result())
    assert [form for form in (token, once, urllib.parse.quote(once, safe="")) if form in text] == []


def test_unknown_key(emu, signing):
    err = gateway_error(emu, Credentials("LTAIunknown", SECRET), signing)
    assert (err.code, err.http_status) == ("InvalidAccessKeyId.NotFound", 404)
    assert err.request_id and err.action == "DescribePackageState"


def test_expired_and_mismatched_sts_token(emu, signing):
    emu.control.add_sts(ACCOUNT, "STS.Expired", "sts-secret", "token-one", expired=True)
    expired = gateway_error(emu, Credentials("STS.Expired", "sts-secret", "token-one"), signing)
    assert expired.code == "InvalidSecurityToken.Expired"
    assert "Request new STS credentials" in str(expired) and "token-one" not in str(expired)
    emu.control.add_sts(ACCOUNT, "STS.Live", "sts-secret", "token-two", expired=False)
    mismatched = gateway_error(emu, Credentials("STS.Live", "sts-secret"), signing)
    assert mismatched.code == "InvalidSecurityToken.MismatchWithAccessKey"
    live = rpc(emu, credentials=Credentials("STS.Live", "sts-secret", "token-two"), signing=signing)
    assert live.call("DescribePackageState")["TotalCount"] == 20
    assert signed_by(emu, signing)


def test_clock_skew_is_timestamp_expired(emu, signing):
    skewed = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=16)
    err = gateway_error(emu, signing=signing, now=skewed)
    assert err.code == "InvalidTimeStamp.Expired" and "Synchronise this host's clock" in str(err)


def test_reused_nonce(emu, signing):
    client = rpc(emu, signing=signing)
    nonce = "fixed-nonce-" + signing  # a reset keeps the gateway's used nonces
    signed_post(emu, client, signing, nonce=nonce).raise_for_status()
    assert gateway_error(emu, signing=signing, nonce=nonce).code == "SignatureNonceUsed"


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_untrusted_tls_fails_clearly_unless_ca_path_or_verification_off(emu):
    with pytest.raises(CertificateVerificationError, match="Pass ca_path"):
        rpc(emu, verify=True, policy=RetryPolicy()).call("DescribePackageState")
    assert rpc(emu, verify=False).call("DescribePackageState")["TotalCount"] == 20


def test_retries_ride_out_transient_faults(emu, signing):
    emu.control.set_faults(error_burst={"count": 2}, drop_connections={"count": 1})
    client = rpc(emu, policy=RetryPolicy(base_delay=0.01, max_delay=0.05), signing=signing)
    assert client.call("DescribePackageState")["TotalCount"] == 20
    faults = [call.get("fault") for call in emu.control.calls() if call.get("fault")]
    assert len(faults) == 3


def test_lost_create_answer_adopts_the_order_instead_of_creating_another(emu):
    emu.control.set_faults(lose_response={"count": 1, "actions": ["CreateCertificateRequest"]})
    cas = CasClient(rpc(emu, policy=RetryPolicy(base_delay=0.01, max_delay=0.05)))
    created = cas.create("www.example.com", "admin@example.com", "13800000000", "Ops", "DNS")
    assert created["adopted"] is True
    order_id = created["order_id"]
    orders = [o for o in emu.control.state()["orders"] if o["domain"] == "www.example.com"]
    assert [o["order_id"] for o in orders] == [order_id]
    creates = [c for c in emu.control.calls() if c["action"] == "CreateCertificateRequest"]
    assert len(creates) == 1


def test_connection_refused_is_a_network_error():
    client = RpcClient("https://127.0.0.1:9", CAS_VERSION, Credentials(KEY, SECRET), retry_policy=NO_RETRY, timeout=2)
    with pytest.raises(NetworkError, match="Could not reach https://127.0.0.1:9"):
        client.call("DescribePackageState")
    assert requests  # requests is the transport: the test would not import without it


def test_modules_take_the_signature_version_option(emu, tmp_path):
    from tests.unit.reliability._support import AnsibleRunner, crash_markers
    connection = {"access_key_id": KEY, "access_key_secret": SECRET, "cas_endpoint": emu.base_url,
                  "ca_path": emu.ca_path}
    tasks = [{"name": "quota, signed %s" % version, "alicloud.cas.package_info": dict(connection, signature_version=version),
              "register": "quota_" + version} for version in ("v3", "v2")]
    tasks.append({"name": "unknown version", "alicloud.cas.package_info": dict(connection, signature_version="v4"),
                  "ignore_errors": True, "register": "unknown"})
    tasks.append({"ansible.builtin.assert": {"that": [
        "quota_v3.packages[0].remaining == 20", "quota_v2.packages[0].remaining == 20",
        "unknown is failed", "'signature_version' in unknown.msg"]}})
    run = AnsibleRunner(tmp_path).playbook([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}])
    assert run.returncode == 0, run.stdout
    assert crash_markers(run.stdout) == []
    versions = [call["signature_version"] for call in emu.control.calls()]
    first_v2 = versions.index("v2")
    assert set(versions[:first_v2]) == {"v3"} and set(versions[first_v2:]) == {"v2"}
