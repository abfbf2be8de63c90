# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The AnsibleModule glue, run through a real AnsibleModule: endpoints and site per product,
the clear-text warning, and secrets of every credential source kept out of the result.

No test here sends a request: building a client opens no connection.
"""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import pytest
import yaml

from ansible.module_utils.testing import patch_module_args

from ansible_collections.alicloud.cas.plugins.module_utils import _credentials, _transport
from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlibabaCloudError, ConfigurationError
from ansible_collections.alicloud.cas.plugins.module_utils._module import AlicloudModule

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
KEY = "STS.UnitTestKey"
SECRET = "UnitTestSecretNotInOptions0123"
TOKEN = "CAIS+unit/token9XvB3mK7wR2tY8pL5nD1sF4gH6jJ0=="
CREDENTIAL_ENV = (
    "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
    "ALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY", "ALICLOUD_SECURITY_TOKEN", "ALIBABA_CLOUD_PROFILE",
    "ALICLOUD_PROFILE", "ALICLOUD_SHARED_CREDENTIALS_FILE", "ALIBABA_CLOUD_ECS_METADATA", "ALICLOUD_ECS_ROLE_NAME",
    "ALIBABA_CLOUD_CAS_ENDPOINT", "ALIBABA_CLOUD_DNS_ENDPOINT", "ALIBABA_CLOUD_REGION_ID", "ALICLOUD_REGION",
)


def forms(secret):
    """Raw, URL-encoded once and twice, JSON-escaped: written out, not taken from the code."""
    once = quote(secret, safe="")
    return [secret, once, quote(once, safe=""), json.dumps(secret)[1:-1]]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path, one_module_run):
    for name in CREDENTIAL_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.aliyun/config.json to fall back on


def run(args, logic, api="cas", argument_spec=None):
    """Run ``logic`` in an AlicloudModule built from ``args``; (result, raw output)."""
    with patch_module_args(args):
        module = AlicloudModule(argument_spec=argument_spec or {}, api=api)
        with pytest.raises(SystemExit):
            module.run(logic)
    return module


def output(capsys):
    text = capsys.readouterr().out
    return json.loads(text), text


def messages(result, kind):
    """The texts of a result's warnings or deprecations (ansible-core 2.19+ may return events)."""
    texts = []
    for entry in result.get(kind, []):
        if isinstance(entry, dict):
            entry = entry.get("msg") or entry.get("event", {}).get("msg", "")
        texts.append(entry)
    return texts


def build_client(api):
    def logic(module):
        module.cas() if api == "cas" else module.alidns()
        return {}
    return logic


# -- endpoints and site -----------------------------------------------------------------------

@pytest.mark.parametrize("site, expected", [
    ("china", "https://cas.aliyuncs.com"), ("international", "https://cas.ap-southeast-1.aliyuncs.com"),
])
def test_cas_host_comes_from_the_site(site, expected):
    assert _transport.cas_endpoint(None, site, {}).url == expected


def test_region_in_the_environment_chooses_no_site(monkeypatch, capsys):
    monkeypatch.setenv("ALICLOUD_REGION", "ap-southeast-1")
    seen = {}

    def logic(module):
        seen["url"] = module.cas().rpc.endpoint
        return {}

    run({"access_key_id": "LTAIkey", "access_key_secret": "secret"}, logic)
    result, _text = output(capsys)
    assert seen["url"] == "https://cas.aliyuncs.com"
    assert messages(result, "deprecations") == []


def test_region_option_is_deprecated_and_chooses_nothing(capsys):
    seen = {}

    def logic(module):
        seen["url"] = module.cas().rpc.endpoint
        return {}

    run({"access_key_id": "LTAIkey", "access_key_secret": "secret", "region": "eu-central-1"}, logic)
    result, _text = output(capsys)
    assert seen["url"] == "https://cas.aliyuncs.com"
    assert any("site=international" in text for text in messages(result, "deprecations"))


def test_endpoint_option_beats_environment_and_keeps_port():
    env = {"ALIBABA_CLOUD_CAS_ENDPOINT": "https://127.0.0.1:9/", "ALIBABA_CLOUD_DNS_ENDPOINT": "http://127.0.0.1:8"}
    assert _transport.cas_endpoint(None, "international", env).url == "https://127.0.0.1:9"
    assert _transport.cas_endpoint(None, "china", env).setting == "ALIBABA_CLOUD_CAS_ENDPOINT"
    assert _transport.cas_endpoint("https://127.0.0.1:7", "china", env).url == "https://127.0.0.1:7"
    assert _transport.alidns_endpoint(None, env).url == "http://127.0.0.1:8"
    assert _transport.alidns_endpoint(None, {}).url == "https://alidns.aliyuncs.com"
    assert _transport.alidns_endpoint("alidns.example", {}).url == "https://alidns.example"


@pytest.mark.parametrize("bad", ["ftp://cas.aliyuncs.com", "https://cas.aliyuncs.com/path", "https://u@host",
                                 "https://host/?q=1"])
def test_bad_endpoint_names_the_option_of_its_product(bad):
    with pytest.raises(ConfigurationError) as raised:
        _transport.cas_endpoint(bad)
    assert raised.value.option == "cas_endpoint" and "cas_endpoint" in str(raised.value)
    with pytest.raises(ConfigurationError) as raised:
        _transport.alidns_endpoint(bad)
    assert raised.value.option == "dns_endpoint"


def test_each_product_has_its_own_endpoint_option(capsys):
    """The old single ``endpoint`` sent DNS calls to CAS when set for the whole group."""
    urls = {}

    def logic(module):
        urls["cas"] = module.cas().rpc.endpoint
        return {}

    run({"access_key_id": "LTAIkey", "access_key_secret": "secret", "cas_endpoint": "https://127.0.0.1:7"}, logic)
    output(capsys)

    def dns_logic(module):
        urls["alidns"] = module.alidns().rpc.endpoint
        return {}

    run({"access_key_id": "LTAIkey", "access_key_secret": "secret"}, dns_logic, api="alidns")
    output(capsys)
    assert urls == {"cas": "https://127.0.0.1:7", "alidns": "https://alidns.aliyuncs.com"}
    with patch_module_args({"access_key_id": "LTAIkey", "access_key_secret": "secret", "cas_endpoint": "x"}):
        with pytest.raises(SystemExit):
            AlicloudModule(argument_spec={}, api="alidns")
    result, _text = output(capsys)
    assert result["failed"] and "cas_endpoint" in result["msg"]


def test_old_endpoint_name_still_works_with_a_deprecation(capsys):
    seen = {}

    def logic(module):
        seen["url"] = module.alidns().rpc.endpoint
        return {}

    run({"access_key_id": "LTAIkey", "access_key_secret": "secret", "endpoint": "https://127.0.0.1:8"}, logic,
        api="alidns")
    result, _text = output(capsys)
    assert seen["url"] == "https://127.0.0.1:8"
    assert any("endpoint" in text for text in messages(result, "deprecations"))


def test_action_groups_follow_the_product_each_module_calls():
    with open(os.path.join(REPO_ROOT, "meta", "runtime.yml"), encoding="utf-8") as handle:
        groups = yaml.safe_load(handle)["action_groups"]
    assert groups == {"cas": ["certificate_request", "certificate_request_info", "certificate_download",
                              "certificate_order_info", "certificate_instance_info", "package_info",
                              "certificate_deployment", "certificate_deployment_info"],
                      "alidns": ["dns_record"]}
    # The deployment modules are in the cas group (they take its cas_endpoint and site) with
    # options of their own (the five product endpoints), documented by a fragment of their own.
    deployment = ("certificate_deployment", "certificate_deployment_info")
    for api, members in groups.items():
        for name in members:
            with open(os.path.join(REPO_ROOT, "plugins", "modules", name + ".py"), encoding="utf-8") as handle:
                source = handle.read()
            module_api = "deployment" if name in deployment else api
            assert 'api="%s"' % module_api in source and "  - alicloud.cas.connection.%s\n" % api in source, name
            assert ("  - alicloud.cas.deployment\n" in source) == (name in deployment), name


def test_deployment_clients_are_one_per_product_and_region_sharing_the_session(monkeypatch, capsys):
    monkeypatch.setenv("ALIBABA_CLOUD_CLB_ENDPOINT", "http://127.0.0.1:9")
    seen = {}

    def logic(module):
        alb, nlb, clb, cdn = (module.deployment_clients(p) for p in ("alb", "nlb", "clb", "cdn"))
        seen["alb"] = (alb("cn-hangzhou").endpoint, alb("cn-hangzhou") is alb("cn-hangzhou"),
                       alb("cn-beijing").endpoint)
        seen["nlb"] = (nlb("eu-west-1").endpoint, nlb("eu-west-1").form_body, nlb("eu-west-1").version)
        seen["clb"] = clb("cn-shanghai").endpoint
        seen["cdn"] = (cdn(None).endpoint, cdn(None).form_body)
        seen["shared"] = cdn(None).session is alb("cn-hangzhou").session is module.cas_rpc().session
        return {}

    run({"access_key_id": "LTAIkey", "access_key_secret": "secret", "site": "international",
         "alb_endpoint": "alb.{region}.example.test"}, logic, api="deployment")
    output(capsys)
    assert seen["alb"] == ("https://alb.cn-hangzhou.example.test", True, "https://alb.cn-beijing.example.test")
    assert seen["nlb"] == ("https://nlb.eu-west-1.aliyuncs.com", True, "2022-04-30")
    assert seen["clb"] == "http://127.0.0.1:9"
    assert seen["cdn"] == ("https://cdn.ap-southeast-1.aliyuncs.com", False)
    assert seen["shared"]


# -- clear-text transport ---------------------------------------------------------------------

@pytest.mark.parametrize("url", ["http://cas.example.net", "http://10.0.0.5:8080", "http://[2001:db8::1]:80"])
def test_plain_http_to_another_host_is_warned_about(url, capsys):
    run({"access_key_id": "LTAIkey", "access_key_secret": "secret", "cas_endpoint": url},
        build_client("cas"))
    result, _text = output(capsys)
    warnings = [w for w in messages(result, "warnings") if "clear text" in w]
    assert len(warnings) == 1 and warnings[0].startswith("cas_endpoint is %s" % url)


def test_plain_http_from_the_environment_names_the_variable(monkeypatch, capsys):
    monkeypatch.setenv("ALIBABA_CLOUD_DNS_ENDPOINT", "http://dns.example.net")
    run({"access_key_id": "LTAIkey", "access_key_secret": "secret"}, build_client("alidns"),
        api="alidns")
    result, _text = output(capsys)
    assert any(w.startswith("ALIBABA_CLOUD_DNS_ENDPOINT is http://dns.example.net") for w in messages(result, "warnings"))


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://127.8.9.10", "http://localhost:1", "http://[::1]:9",
                                 "https://cas.example.net", "cas.example.net"])
def test_loopback_and_https_stay_silent(url, capsys):
    run({"access_key_id": "LTAIkey", "access_key_secret": "secret", "cas_endpoint": url},
        build_client("cas"))
    result, _text = output(capsys)
    assert not [w for w in messages(result, "warnings") if "clear text" in w]


# -- secrets of every credential source --------------------------------------------------------

def leak_everything(module):
    """A failure whose message quotes the secrets in every form, in words no scrubber knows."""
    module.cas()
    quoted = " ".join(forms(SECRET) + forms(TOKEN))
    raise AlibabaCloudError("the server said: %s" % quoted, code="SignatureDoesNotMatch", action="X")


def assert_hidden(text):
    leaked = [form for form in forms(SECRET) + forms(TOKEN) if form in text]
    assert leaked == []


def test_secrets_from_the_environment_are_hidden(monkeypatch, capsys):
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN)
    run({}, leak_everything)
    result, text = output(capsys)
    assert result["failed"] and result["error"]["code"] == "SignatureDoesNotMatch"
    assert_hidden(text)


def test_secrets_from_a_profile_are_hidden(tmp_path, capsys):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"current": "sts", "profiles": [
        {"name": "sts", "mode": "StsToken", "access_key_id": KEY, "access_key_secret": SECRET, "sts_token": TOKEN}]}))
    run({"credentials_file": str(config)}, leak_everything)
    result, text = output(capsys)
    assert result["failed"]
    assert_hidden(text)


def test_secrets_from_options_are_hidden_in_every_encoding(capsys):
    run({"access_key_id": KEY, "access_key_secret": SECRET, "security_token": TOKEN}, leak_everything)
    result, text = output(capsys)
    assert result["failed"]
    assert_hidden(text)


@pytest.fixture
def metadata_service(monkeypatch):
    """An ECS metadata service on loopback that hands out the STS credentials of role Cert."""

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self):
            self._answer(b"imds-token")

        def do_GET(self):
            self._answer(json.dumps({"Code": "Success", "AccessKeyId": KEY, "AccessKeySecret": SECRET,
                                     "SecurityToken": TOKEN, "Expiration": "2099-01-01T00:00:00Z"}).encode())

        def _answer(self, body):
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(_credentials, "DEFAULT_METADATA_URL", "http://127.0.0.1:%d" % server.server_address[1])
    yield
    server.shutdown()
    server.server_close()


def test_secrets_from_the_ecs_metadata_service_are_hidden(metadata_service, capsys):
    run({"ecs_role_name": "Cert"}, leak_everything)
    result, text = output(capsys)
    assert result["failed"] and result["error"]["code"] == "SignatureDoesNotMatch"
    assert_hidden(text)


def test_a_private_key_read_for_a_deployment_never_reaches_the_output(capsys):
    key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n"

    def logic(module):
        module.hide_private_key(key)
        return {"msg": "uploaded %s" % key, "line": key.splitlines()[1]}

    run({"access_key_id": "LTAIkey", "access_key_secret": "secret"}, logic, api="deployment")
    _result, text = output(capsys)
    assert "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7" not in text
