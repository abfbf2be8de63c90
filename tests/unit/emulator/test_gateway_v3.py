"""Gateway behaviour for V3 (``ACS3-HMAC-SHA256``) requests: the same checks as V2, in headers.

The signer below is a third implementation, written from the reference (section 4.2) apart
from the emulator's verifier and from any client's signer, so none of them can hide a bug
in another.
"""

import datetime
import hashlib
import hmac
import json
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

import pytest
import requests

CAS = "2020-04-07"
DNS = "2015-01-09"
KEY = "LTAI5tEmulatorDemoKey01"
SECRET = "EmulatorDemoSecret0123456789abc"


def encode(value: str) -> str:
    return urllib.parse.quote(str(value), safe="-_.~")


class V3Api:
    """Builds, signs and sends V3 RPC calls; every part can be spoiled before sending."""

    def __init__(self, emu, key_id: str = KEY, secret: str = SECRET, token: str | None = None):
        self.emu, self.key_id, self.secret, self.token = emu, key_id, secret, token

    def prepare(self, action: str, version: str = CAS, query: dict | None = None, form: dict | None = None,
                method: str = "POST", date: datetime.datetime | None = None, nonce: str | None = None) -> dict:
        query = {k: str(v) for k, v in (query or {}).items()}
        body = "&".join(f"{encode(k)}={encode(v)}" for k, v in (form or {}).items()).encode()
        stamp = date or datetime.datetime.now(datetime.timezone.utc)
        headers = {
            "host": f"127.0.0.1:{self.emu.port}", "x-acs-action": action, "x-acs-version": version,
            "x-acs-date": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"), "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
            "x-acs-content-sha256": hashlib.sha256(body).hexdigest(),
        }
        if form is not None:
            headers["content-type"] = "application/x-www-form-urlencoded"
        if self.token is not None:
            headers["x-acs-security-token"] = self.token
        return {"method": method, "query": query, "headers": headers, "body": body}

    def sign(self, prepared: dict) -> dict:
        headers = prepared["headers"]
        headers.pop("Authorization", None)
        names = sorted(headers)
        canonical = "\n".join([
            prepared["method"], "/",
            "&".join(f"{encode(k)}={encode(v)}" for k, v in sorted(prepared["query"].items())),
            "".join(f"{name}:{headers[name].strip()}\n" for name in names),
            ";".join(names), hashlib.sha256(prepared["body"]).hexdigest(),
        ])
        to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
        mac = hmac.new(self.secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
        headers["Authorization"] = (f"ACS3-HMAC-SHA256 Credential={self.key_id},"
                                    f"SignedHeaders={';'.join(names)},Signature={mac}")
        prepared["canonical"], prepared["string_to_sign"] = canonical, to_sign
        return prepared

    def send(self, prepared: dict) -> requests.Response:
        url = self.emu.base_url + "/"
        if prepared["query"]:
            url += "?" + "&".join(f"{encode(k)}={encode(v)}" for k, v in prepared["query"].items())
        return requests.request(prepared["method"], url, headers=prepared["headers"], data=prepared["body"] or None,
                                verify=self.emu.ca_path, timeout=30)

    def call(self, action: str, version: str = CAS, **kwargs) -> requests.Response:
        return self.send(self.sign(self.prepare(action, version, **kwargs)))

    @staticmethod
    def error(response: requests.Response, status: int) -> str:
        assert response.status_code == status, response.text
        return response.json()["Code"]


@pytest.fixture
def v3(emu):
    return V3Api(emu)


def test_query_call_answers_json_and_is_logged_as_v3(emu, v3):
    response = v3.call("DescribePackageState", query={"ProductCode": "geotrust-dv-w-starter"})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json;charset=utf-8"
    body = response.json()
    assert (body["ProductCode"], body["TotalCount"]) == ("geotrust-dv-w-starter", 5)
    assert response.headers["x-acs-request-id"] == body["RequestId"]
    (call,) = emu.control.calls()
    assert (call["signature_version"], call["access_key_id"], call["action"], call["status"]) == \
        ("v3", KEY, "DescribePackageState", 200)


def test_get_and_form_body_are_accepted(v3):
    assert v3.call("DescribePackageState", method="GET").json()["TotalCount"] == 20
    response = v3.call("GetMainDomainName", DNS, form={"InputString": "www.example.com"})
    assert response.status_code == 200, response.text
    assert response.json()["RR"] == "www"


def test_explicit_format_xml_is_honoured(v3):
    response = v3.call("DescribePackageState", query={"Format": "XML"})
    assert response.headers["Content-Type"] == "text/xml;charset=utf-8"
    assert ET.fromstring(response.content).findtext("TotalCount") == "20"


@pytest.mark.parametrize("header", ["x-acs-action", "x-acs-version", "Authorization", "x-acs-signature-nonce",
                                    "x-acs-date", "x-acs-content-sha256"])
def test_missing_header_is_missing_parameter(v3, header):
    prepared = v3.sign(v3.prepare("DescribePackageState"))
    del prepared["headers"][header]
    if header == "x-acs-action":
        prepared["headers"]["x-acs-version"] = CAS  # still V3 because of Authorization
    response = v3.send(prepared)
    assert v3.error(response, 400) == "MissingParameter"
    assert f'"{header}"' in response.json()["Message"]


@pytest.mark.parametrize("authorization", [
    "ACS3-HMAC-SM3 Credential=LTAI5tEmulatorDemoKey01,SignedHeaders=host,Signature=00",
    "ACS3-HMAC-SHA256 Credential=LTAI5tEmulatorDemoKey01,SignedHeaders=host",
    "ACS3-HMAC-SHA256 Credential=LTAI5tEmulatorDemoKey01 SignedHeaders=host Signature=00",
])
def test_malformed_authorization_is_incomplete_signature(v3, authorization):
    prepared = v3.sign(v3.prepare("DescribePackageState"))
    prepared["headers"]["Authorization"] = authorization
    assert v3.error(v3.send(prepared), 400) == "IncompleteSignature"


@pytest.mark.parametrize("header", ["x-acs-signature-nonce", "host", "content-type"])
def test_unsigned_required_header_is_incomplete_signature(v3, header):
    prepared = v3.prepare("GetMainDomainName", DNS, form={"InputString": "www.example.com"})
    value = prepared["headers"].pop(header)
    v3.sign(prepared)
    prepared["headers"][header] = value  # sent, but left out of SignedHeaders
    response = v3.send(prepared)
    assert v3.error(response, 400) == "IncompleteSignature"
    assert header in response.json()["Message"]


def test_unknown_key_is_404_with_product_host(emu):
    stranger = V3Api(emu, key_id="LTAINoSuchKey", secret="x")
    response = stranger.call("DescribeDomains", DNS)
    assert stranger.error(response, 404) == "InvalidAccessKeyId.NotFound"
    body = response.json()
    assert set(body) == {"RequestId", "HostId", "Code", "Message", "Recommend"}
    assert body["HostId"] == "alidns.aliyuncs.com"
    assert response.headers["Content-Type"] == "application/json;charset=utf-8"


def test_wrong_signature_reports_server_canonical_request_and_string_to_sign(emu, v3):
    prepared = v3.sign(v3.prepare("DescribePackageState", query={"ProductCode": "digicert-free-1-free"}))
    expected_canonical, expected_string = prepared["canonical"], prepared["string_to_sign"]
    wrong = V3Api(emu, secret="wrong")
    response = wrong.send(wrong.sign(prepared))
    assert wrong.error(response, 400) == "SignatureDoesNotMatch"
    message = response.json()["Message"]
    canonical = message.split("server canonical request is:", 1)[1].split(" server string to sign is:", 1)[0]
    assert canonical == expected_canonical
    assert message.endswith("server string to sign is:" + expected_string)


def test_tampering_after_signing_fails_the_signature(v3):
    prepared = v3.sign(v3.prepare("DescribePackageState", query={"ProductCode": "digicert-free-1-free"}))
    prepared["query"]["ProductCode"] = "geotrust-dv-w-starter"
    assert v3.error(v3.send(prepared), 400) == "SignatureDoesNotMatch"
    # The body is hashed by the server itself: a content hash for another body does not pass.
    prepared = v3.sign(v3.prepare("GetMainDomainName", DNS, form={"InputString": "www.example.com"}))
    prepared["body"] = b"InputString=evil.example.com"
    assert v3.error(v3.send(prepared), 400) == "SignatureDoesNotMatch"
    # The method is signed too.
    prepared = v3.sign(v3.prepare("DescribePackageState", method="GET"))
    prepared["method"] = "POST"
    assert v3.error(v3.send(prepared), 400) == "SignatureDoesNotMatch"


@pytest.mark.parametrize("skew_minutes", [16, -16])
def test_date_outside_15_minutes(v3, skew_minutes):
    stamp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=skew_minutes)
    assert v3.error(v3.call("DescribePackageState", date=stamp), 400) == "InvalidTimeStamp.Expired"


def test_date_within_window_and_bad_format(v3):
    stamp = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=14)
    assert v3.call("DescribePackageState", date=stamp).status_code == 200
    prepared = v3.prepare("DescribePackageState")
    prepared["headers"]["x-acs-date"] = "Tue, 01 Dec 2026 09:00:00 GMT"
    assert v3.error(v3.send(v3.sign(prepared)), 400) == "InvalidTimeStamp.Format"


def test_reused_nonce_also_across_signing_versions(v3, api):
    assert v3.call("DescribePackageState", nonce="v3-nonce-1").status_code == 200
    assert v3.error(v3.call("DescribePackageState", nonce="v3-nonce-1"), 400) == "SignatureNonceUsed"
    api.ok(api.send(api.signed_params("DescribePackageState", CAS, {}, nonce="shared-nonce")))
    assert v3.error(v3.call("DescribePackageState", nonce="shared-nonce"), 400) == "SignatureNonceUsed"


def test_unknown_action_and_version(v3):
    assert v3.error(v3.call("DescribeNothing"), 404) == "InvalidAction.NotFound"
    assert v3.error(v3.call("DescribePackageState", "2019-01-01"), 400) == "InvalidVersion"
    assert v3.error(v3.call("DescribeDomains", CAS), 404) == "InvalidAction.NotFound"


def test_checks_run_in_gateway_order(emu, v3):
    stale = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
    stranger = V3Api(emu, key_id="LTAINoSuchKey", secret="x")
    assert stranger.error(stranger.call("X", date=stale), 404) == "InvalidAccessKeyId.NotFound"
    wrong = V3Api(emu, secret="wrong")
    assert wrong.error(wrong.call("DescribePackageState", date=stale), 400) == "InvalidTimeStamp.Expired"
    assert wrong.error(wrong.call("NoSuchAction"), 400) == "SignatureDoesNotMatch"


def test_sts_tokens(emu):
    emu.control.add_sts("1234567890123456", "STS.Good", "sts-secret", "token-good")
    emu.control.add_sts("1234567890123456", "STS.Other", "sts-secret-2", "token-other")
    emu.control.add_sts("1234567890123456", "STS.Old", "sts-secret-3", "token-old", expired=True)
    good = V3Api(emu, "STS.Good", "sts-secret", "token-good")
    assert good.call("DescribePackageState").json()["TotalCount"] == 20
    cases = [
        (V3Api(emu, "STS.Good", "sts-secret"), "InvalidSecurityToken.MismatchWithAccessKey"),
        (V3Api(emu, "STS.Good", "sts-secret", "token-other"), "InvalidSecurityToken.MismatchWithAccessKey"),
        (V3Api(emu, "STS.Good", "sts-secret", "garbage"), "InvalidSecurityToken.Malformed"),
        (V3Api(emu, "STS.Old", "sts-secret-3", "token-old"), "InvalidSecurityToken.Expired"),
        (V3Api(emu, KEY, SECRET, "token-good"), "InvalidSecurityToken.MismatchWithAccessKey"),
    ]
    for client, code in cases:
        assert client.error(client.call("DescribePackageState"), 400) == code


def test_v2_request_with_sdk_action_headers_stays_v2(emu, api):
    """The tea SDK's V2 mode sends x-acs-action/x-acs-version next to the V2 parameters."""
    params = api.signed_params("DescribePackageState", CAS, {})
    url = emu.base_url + "/?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    response = requests.post(url, headers={"x-acs-action": "DescribePackageState", "x-acs-version": CAS},
                             verify=emu.ca_path, timeout=30)
    assert response.status_code == 200, response.text
    assert json.loads(response.text)["TotalCount"] == 20
    assert emu.control.calls()[-1]["signature_version"] == "v2"
