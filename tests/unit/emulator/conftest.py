"""Fixtures for the emulator's own tests: one HTTPS emulator per session, reset per test.

The signing helper below is written here on purpose, independent of both the client in
``plugins/`` and the emulator's verifier, so neither can hide a bug in the other.
"""

import base64
import datetime
import hashlib
import hmac
import urllib.parse
import uuid

import pytest
import requests

from tests.emulator import Emulator

DEMO_ACCOUNT = "1234567890123456"
DEMO_KEY = "LTAI5tEmulatorDemoKey01"
DEMO_SECRET = "EmulatorDemoSecret0123456789abc"
CAS_VERSION = "2020-04-07"
DNS_VERSION = "2015-01-09"


def rfc3986(value: str) -> str:
    return urllib.parse.quote(str(value), safe="-_.~")


def v2_signature(method: str, params: dict, secret: str) -> str:
    query = "&".join(f"{rfc3986(k)}={rfc3986(params[k])}" for k in sorted(params))
    to_sign = method + "&" + rfc3986("/") + "&" + rfc3986(query)
    mac = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


class Api:
    """A minimal signed RPC client: POST with everything in the query, like the SDKs."""

    def __init__(self, base_url: str, verify, key_id: str, secret: str, token: str | None = None):
        self.base_url, self.key_id, self.secret, self.token = base_url, key_id, secret, token
        self.verify = verify  # per request: a session-level verify loses to REQUESTS_CA_BUNDLE
        self.session = requests.Session()

    def signed_params(self, action: str, version: str, params: dict, method: str = "POST",
                      fmt: str | None = "JSON", timestamp: datetime.datetime | None = None,
                      nonce: str | None = None) -> dict:
        stamp = timestamp or datetime.datetime.now(datetime.timezone.utc)
        common = {
            "Action": action, "Version": version, "AccessKeyId": self.key_id,
            "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
            "SignatureNonce": nonce or uuid.uuid4().hex, "Timestamp": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if fmt is not None:
            common["Format"] = fmt
        if self.token is not None:
            common["SecurityToken"] = self.token
        merged = {**common, **{k: str(v) for k, v in params.items()}}
        merged["Signature"] = v2_signature(method, merged, self.secret)
        return merged

    def send(self, params: dict, method: str = "POST", body: dict | None = None) -> requests.Response:
        url = self.base_url + "/?" + "&".join(f"{rfc3986(k)}={rfc3986(v)}" for k, v in params.items())
        data = None
        headers = {}
        if body is not None:
            data = "&".join(f"{rfc3986(k)}={rfc3986(v)}" for k, v in body.items())
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return self.session.request(method, url, data=data, headers=headers, timeout=30,
                                    verify=self.verify)

    def call(self, action: str, version: str, method: str = "POST", fmt: str | None = "JSON",
             **params) -> requests.Response:
        return self.send(self.signed_params(action, version, params, method, fmt), method)

    def cas(self, action: str, **params) -> requests.Response:
        return self.call(action, CAS_VERSION, **params)

    def dns(self, action: str, **params) -> requests.Response:
        return self.call(action, DNS_VERSION, **params)

    # Assertion helpers live here because test modules cannot import conftest.
    @staticmethod
    def ok(response: requests.Response) -> dict:
        assert response.status_code == 200, response.text
        return response.json()

    @staticmethod
    def error(response: requests.Response, status: int) -> str:
        assert response.status_code == status, response.text
        return response.json()["Code"]


@pytest.fixture(scope="session")
def emulator():
    with Emulator(tls=True, seed="demo") as emu:
        yield emu


@pytest.fixture
def emu(emulator):
    emulator.control.reset("demo")
    return emulator


@pytest.fixture
def make_api(emu):
    def factory(key_id: str = DEMO_KEY, secret: str = DEMO_SECRET, token: str | None = None) -> Api:
        return Api(emu.base_url, emu.ca_path, key_id, secret, token)
    return factory


@pytest.fixture
def api(make_api) -> Api:
    return make_api()


@pytest.fixture
def order_factory(api):
    """Creates a CAS order for the demo account and returns its OrderId."""
    def create(domain: str = "www.example.com", validate_type: str = "DNS", **params) -> int:
        body = api.ok(api.cas("CreateCertificateRequest", Domain=domain, Email="ops@example.com",
                              Phone="13800000000", Username="Ops", ValidateType=validate_type, **params))
        return body["OrderId"]
    return create
