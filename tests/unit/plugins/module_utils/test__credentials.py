# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests for the credential chain, with a fake ECS metadata service on 127.0.0.1."""

from __future__ import annotations

import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
import requests

from ansible_collections.alicloud.cas.plugins.module_utils._credentials import (
    Credentials,
    CredentialsProvider,
    credentials_provider,
    resolve_credentials,
)
from ansible_collections.alicloud.cas.plugins.module_utils._errors import CredentialsError

# Distinctive values so a leak into any message is easy to spot.
SECRET = "SeCrEt-never-show-0001"
TOKEN = "ToKeN-never-show-0002"
ENV_SECRET = "SeCrEt-env-never-show-0003"
FILE_SECRET = "SeCrEt-file-never-show-0004"
FILE_TOKEN = "ToKeN-file-never-show-0005"
ECS_SECRET = "SeCrEt-ecs-never-show-0006"
ECS_TOKEN = "ToKeN-ecs-never-show-0007"
IMDS_TOKEN = "imds-session-token-0008"
ALL_SECRETS = (SECRET, TOKEN, ENV_SECRET, FILE_SECRET, FILE_TOKEN, ECS_SECRET, ECS_TOKEN, IMDS_TOKEN)

NO_SERVER_URL = "http://127.0.0.1:9"  # discard port: nothing answers, nothing is sent off-host


def assert_no_secrets(text):
    for secret in ALL_SECRETS:
        assert secret not in text


def assert_clean_error(exc):
    assert_no_secrets(str(exc))
    assert_no_secrets(repr(exc))
    assert_no_secrets(" ".join(exc.tried))
    assert_no_secrets(json.dumps(exc.to_result()))


@pytest.fixture(autouse=True)
def only_loopback(monkeypatch):
    """Fail any request that is not to 127.0.0.1, so the real 100.100.100.200 is never hit."""
    original = requests.Session.request

    def guarded(self, method, url, *args, **kwargs):
        host = urlsplit(url).hostname
        assert host == "127.0.0.1", "unexpected request to %s" % url
        return original(self, method, url, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "request", guarded)


class FakeMetadata:
    """What the fake metadata service answers, and what it received."""

    def __init__(self):
        self.token_status = 200
        self.roles = {
            "MyRole": (200, {
                "Code": "Success",
                "AccessKeyId": "STS.ecs-id",
                "AccessKeySecret": ECS_SECRET,
                "SecurityToken": ECS_TOKEN,
                "Expiration": "2099-01-01T00:00:00Z",
            }),
        }
        self.requests = []
        self.url = None


@pytest.fixture
def metadata():
    state = FakeMetadata()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, status, body):
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_PUT(self):
            state.requests.append(("PUT", self.path, dict(self.headers)))
            if self.path == "/latest/api/token" and state.token_status == 200:
                self._send(200, IMDS_TOKEN.encode())
            else:
                self._send(state.token_status if state.token_status != 200 else 404, b"")

        def do_GET(self):
            state.requests.append(("GET", self.path, dict(self.headers)))
            prefix = "/latest/meta-data/ram/security-credentials/"
            role = self.path[len(prefix):] if self.path.startswith(prefix) else None
            if role in state.roles:
                self._send(*state.roles[role])
            else:
                self._send(404, b"Not Found")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = "http://127.0.0.1:%d" % server.server_address[1]
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def home(tmp_path):
    path = tmp_path / "home"
    path.mkdir()
    return path


def write_config(home, profiles, current=None, name="config.json"):
    directory = home / ".aliyun"
    directory.mkdir(exist_ok=True)
    path = directory / name
    data = {"profiles": profiles, "meta_path": ""}
    if current is not None:
        data["current"] = current
    path.write_text(json.dumps(data))
    return path


def ak_profile(name, key_id="LTAI-file", secret=FILE_SECRET):
    return {"name": name, "mode": "AK", "access_key_id": key_id, "access_key_secret": secret}


def resolve(options=None, environ=None, home=None, metadata_url=NO_SERVER_URL, **kwargs):
    return resolve_credentials(
        options or {}, environ=environ or {}, home=str(home) if home is not None else "/nonexistent-home",
        metadata_url=metadata_url, timeout=2.0, **kwargs
    )


# --- Credentials object ---------------------------------------------------------------

def test_credentials_is_immutable_and_repr_hides_secrets():
    creds = Credentials("LTAI-id", SECRET, TOKEN, "module options")
    with pytest.raises(Exception):
        creds.access_key_secret = "x"
    for text in (repr(creds), str(creds), "%s" % (creds,)):
        assert "LTAI-id" in text
        assert "module options" in text
        assert_no_secrets(text)
    assert creds == Credentials("LTAI-id", SECRET, TOKEN, "module options")


def test_credentials_token_defaults_to_none():
    creds = Credentials("id", SECRET)
    assert creds.security_token is None
    assert "security_token=None" in repr(creds)


# --- module options -------------------------------------------------------------------

def test_options_win_over_everything(home, metadata):
    write_config(home, [ak_profile("default")], current="default")
    environ = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "env-id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ENV_SECRET}
    creds = resolve(
        {"access_key_id": "opt-id", "access_key_secret": SECRET, "security_token": TOKEN,
         "ecs_role_name": "MyRole"},
        environ, home, metadata.url,
    )
    assert creds == Credentials("opt-id", SECRET, TOKEN, "module options")
    assert metadata.requests == []


def test_options_without_token():
    creds = resolve({"access_key_id": "opt-id", "access_key_secret": SECRET, "security_token": None})
    assert creds.security_token is None


@pytest.mark.parametrize("given, missing", [
    ({"access_key_id": "opt-id"}, "access_key_secret"),
    ({"access_key_secret": SECRET}, "access_key_id"),
])
def test_partial_options_name_the_missing_option(given, missing):
    environ = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "env-id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ENV_SECRET}
    with pytest.raises(CredentialsError) as info:
        resolve(given, environ)
    assert "%s is not" % missing in str(info.value)
    assert_clean_error(info.value)


def test_token_option_alone_is_an_error():
    with pytest.raises(CredentialsError) as info:
        resolve({"security_token": TOKEN})
    assert "security_token" in str(info.value)
    assert_clean_error(info.value)


def test_empty_option_strings_count_as_unset():
    environ = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "env-id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ENV_SECRET}
    creds = resolve({"access_key_id": "", "access_key_secret": "  ", "security_token": ""}, environ)
    assert creds.access_key_id == "env-id"


# --- environment ----------------------------------------------------------------------

def test_env_alibaba_cloud_family():
    creds = resolve(environ={
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "env-id",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ENV_SECRET,
        "ALIBABA_CLOUD_SECURITY_TOKEN": TOKEN,
    })
    assert creds == Credentials("env-id", ENV_SECRET, TOKEN, "environment (ALIBABA_CLOUD_*)")


def test_env_alicloud_family():
    creds = resolve(environ={
        "ALICLOUD_ACCESS_KEY": "old-id",
        "ALICLOUD_SECRET_KEY": ENV_SECRET,
        "ALICLOUD_SECURITY_TOKEN": TOKEN,
    })
    assert creds == Credentials("old-id", ENV_SECRET, TOKEN, "environment (ALICLOUD_*)")


def test_env_alibaba_cloud_family_wins_and_token_is_not_borrowed():
    creds = resolve(environ={
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "env-id",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ENV_SECRET,
        "ALICLOUD_ACCESS_KEY": "old-id",
        "ALICLOUD_SECRET_KEY": SECRET,
        "ALICLOUD_SECURITY_TOKEN": TOKEN,
    })
    assert creds.access_key_id == "env-id"
    assert creds.access_key_secret == ENV_SECRET
    assert creds.security_token is None


@pytest.mark.parametrize("environ", [
    {"ALIBABA_CLOUD_ACCESS_KEY_ID": "env-id", "ALICLOUD_SECRET_KEY": ENV_SECRET},
    {"ALICLOUD_ACCESS_KEY": "old-id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ENV_SECRET},
])
def test_env_families_are_never_mixed(environ):
    with pytest.raises(CredentialsError) as info:
        resolve(environ=environ)
    assert "not combined" in str(info.value)
    assert_clean_error(info.value)


def test_env_beats_profile(home):
    write_config(home, [ak_profile("default")], current="default")
    creds = resolve(environ={"ALICLOUD_ACCESS_KEY": "old-id", "ALICLOUD_SECRET_KEY": ENV_SECRET}, home=home)
    assert creds.access_key_id == "old-id"


# --- profile file ---------------------------------------------------------------------

def test_profile_beats_ecs_role(home, metadata):
    write_config(home, [ak_profile("default")])
    creds = resolve({"ecs_role_name": "MyRole"}, home=home, metadata_url=metadata.url)
    assert creds.access_key_id == "LTAI-file"
    assert metadata.requests == []


def test_profile_default_when_no_current(home):
    path = write_config(home, [ak_profile("other", "other-id"), ak_profile("default")])
    creds = resolve(home=home)
    assert creds == Credentials("LTAI-file", FILE_SECRET, None, "profile 'default' in %s" % path)


def test_profile_from_file_current(home):
    write_config(home, [ak_profile("default"), ak_profile("work", "work-id")], current="work")
    assert resolve(home=home).access_key_id == "work-id"


def test_profile_option_beats_env_and_current(home):
    write_config(home, [ak_profile("a", "a-id"), ak_profile("b", "b-id"), ak_profile("c", "c-id"),
                        ak_profile("d", "d-id")], current="d")
    environ = {"ALIBABA_CLOUD_PROFILE": "b", "ALICLOUD_PROFILE": "c"}
    assert resolve({"profile": "a"}, environ, home).access_key_id == "a-id"
    assert resolve({}, environ, home).access_key_id == "b-id"
    assert resolve({}, {"ALICLOUD_PROFILE": "c"}, home).access_key_id == "c-id"
    assert resolve({}, {}, home).access_key_id == "d-id"


def test_credentials_file_option_and_env(tmp_path, home):
    write_config(home, [ak_profile("default", "home-id")])
    custom = tmp_path / "custom.json"
    custom.write_text(json.dumps({"profiles": [ak_profile("default", "custom-id")]}))
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"profiles": [ak_profile("default", "other-id")]}))
    environ = {"ALICLOUD_SHARED_CREDENTIALS_FILE": str(other)}
    assert resolve({"credentials_file": str(custom)}, environ, home).access_key_id == "custom-id"
    assert resolve({}, environ, home).access_key_id == "other-id"
    # ALIBABA_CLOUD_CREDENTIALS_FILE is the credentials library's INI file, not this one.
    assert resolve({}, {"ALIBABA_CLOUD_CREDENTIALS_FILE": str(other)}, home).access_key_id == "home-id"


def test_credentials_file_tilde_expands_against_home(home):
    write_config(home, [ak_profile("default", "tilde-id")], name="alt.json")
    assert resolve({"credentials_file": "~/.aliyun/alt.json"}, home=home).access_key_id == "tilde-id"


def test_sts_token_mode_is_case_insensitive(home):
    write_config(home, [{"name": "sts", "mode": "ststoken", "access_key_id": "STS.id",
                         "access_key_secret": FILE_SECRET, "sts_token": FILE_TOKEN}])
    creds = resolve({"profile": "sts"}, home=home)
    assert (creds.access_key_id, creds.access_key_secret, creds.security_token) == (
        "STS.id", FILE_SECRET, FILE_TOKEN)
    assert_no_secrets(repr(creds))


def test_ak_mode_ignores_stray_sts_token(home):
    profile = ak_profile("default")
    profile["sts_token"] = FILE_TOKEN
    write_config(home, [profile])
    assert resolve(home=home).security_token is None


def test_sts_token_mode_without_token_is_an_error(home):
    write_config(home, [{"name": "sts", "mode": "StsToken", "access_key_id": "STS.id",
                         "access_key_secret": FILE_SECRET}])
    with pytest.raises(CredentialsError) as info:
        resolve({"profile": "sts"}, home=home)
    assert "sts_token" in str(info.value)
    assert_clean_error(info.value)


def test_ak_profile_missing_secret_is_an_error(home):
    write_config(home, [{"name": "default", "mode": "AK", "access_key_id": "LTAI-file"}])
    with pytest.raises(CredentialsError) as info:
        resolve(home=home)
    assert "access_key_secret" in str(info.value)


def test_ecs_ram_role_mode_uses_metadata(home, metadata):
    path = write_config(home, [{"name": "ecs", "mode": "EcsRamRole", "ram_role_name": "MyRole"}],
                        current="ecs")
    creds = resolve(home=home, metadata_url=metadata.url)
    assert (creds.access_key_id, creds.access_key_secret, creds.security_token) == (
        "STS.ecs-id", ECS_SECRET, ECS_TOKEN)
    assert creds.source == "ECS RAM role 'MyRole' (from profile 'ecs' in %s)" % path


def test_ecs_ram_role_mode_without_role_name(home, metadata):
    write_config(home, [{"name": "default", "mode": "EcsRamRole"}])
    with pytest.raises(CredentialsError) as info:
        resolve(home=home, metadata_url=metadata.url)
    assert "ram_role_name" in str(info.value)
    assert metadata.requests == []


@pytest.mark.parametrize("mode", ["RamRoleArn", "ChainableRamRoleArn", "OIDC", "External"])
def test_unsupported_mode(home, mode):
    write_config(home, [{"name": "default", "mode": mode, "access_key_id": "LTAI-file",
                         "access_key_secret": FILE_SECRET, "ram_role_arn": "acs:ram::1:role/x"}])
    with pytest.raises(CredentialsError) as info:
        resolve(home=home)
    message = str(info.value)
    assert mode in message and "not support" in message
    assert "AK" in message and "StsToken" in message and "security_token" in message
    assert_clean_error(info.value)


@pytest.mark.parametrize("options, environ", [
    ({"profile": "missing"}, {}),
    ({}, {"ALIBABA_CLOUD_PROFILE": "missing"}),
    ({}, {"ALICLOUD_PROFILE": "missing"}),
])
def test_requested_profile_missing_from_file(home, options, environ):
    write_config(home, [ak_profile("default")])
    with pytest.raises(CredentialsError) as info:
        resolve(options, environ, home)
    assert "'missing'" in str(info.value)
    assert_clean_error(info.value)


def test_requested_profile_but_no_file(home, metadata):
    with pytest.raises(CredentialsError) as info:
        resolve({"profile": "work", "ecs_role_name": "MyRole"}, home=home, metadata_url=metadata.url)
    assert "does not exist" in str(info.value)
    assert "'work'" in str(info.value)
    assert metadata.requests == []


def test_explicit_credentials_file_missing_is_an_error(tmp_path, home):
    with pytest.raises(CredentialsError) as info:
        resolve({"credentials_file": str(tmp_path / "nope.json")}, home=home)
    assert str(tmp_path / "nope.json") in str(info.value)


def test_missing_default_file_falls_through_to_ecs(home, metadata):
    creds = resolve({"ecs_role_name": "MyRole"}, home=home, metadata_url=metadata.url)
    assert creds.source == "ECS RAM role 'MyRole'"


def test_file_without_usable_profile_falls_through(home, metadata):
    write_config(home, [], current="")
    creds = resolve({"ecs_role_name": "MyRole"}, home=home, metadata_url=metadata.url)
    assert creds.access_key_id == "STS.ecs-id"


@pytest.mark.parametrize("content", [
    '{"profiles": [{"name": "default", "access_key_secret": "%s"' % FILE_SECRET,
    "not json at all %s" % FILE_SECRET,
    json.dumps(["a", FILE_SECRET]),
    json.dumps({"profiles": {"default": FILE_SECRET}}),
    json.dumps({"profiles": [FILE_SECRET]}),
])
def test_malformed_file_names_the_file_not_the_content(home, content):
    directory = home / ".aliyun"
    directory.mkdir()
    path = directory / "config.json"
    path.write_text(content)
    with pytest.raises(CredentialsError) as info:
        resolve(home=home)
    assert str(path) in str(info.value)
    assert FILE_SECRET not in str(info.value)
    assert_clean_error(info.value)


def test_file_with_bom_is_accepted(home):
    directory = home / ".aliyun"
    directory.mkdir()
    (directory / "config.json").write_bytes(
        b"\xef\xbb\xbf" + json.dumps({"profiles": [ak_profile("default")]}).encode())
    assert resolve(home=home).access_key_id == "LTAI-file"


# --- ECS RAM role (fake metadata service) -----------------------------------------------

def test_no_metadata_request_without_role(home, metadata):
    with pytest.raises(CredentialsError):
        resolve(home=home, metadata_url=metadata.url)
    assert metadata.requests == []


def test_imdsv2_token_is_used(metadata):
    creds = resolve({"ecs_role_name": "MyRole"}, metadata_url=metadata.url + "/")
    assert creds == Credentials("STS.ecs-id", ECS_SECRET, ECS_TOKEN, "ECS RAM role 'MyRole'",
                                expiration=datetime.datetime(2099, 1, 1, tzinfo=datetime.timezone.utc),
                                renewable=True)
    (put_method, put_path, put_headers), (get_method, get_path, get_headers) = metadata.requests
    assert (put_method, put_path) == ("PUT", "/latest/api/token")
    assert put_headers["X-aliyun-ecs-metadata-token-ttl-seconds"] == "21600"
    assert (get_method, get_path) == ("GET", "/latest/meta-data/ram/security-credentials/MyRole")
    assert get_headers["X-aliyun-ecs-metadata-token"] == IMDS_TOKEN
    assert_no_secrets(repr(creds))


@pytest.mark.parametrize("environ", [
    {"ALIBABA_CLOUD_ECS_METADATA": "MyRole"},
    {"ALICLOUD_ECS_ROLE_NAME": "MyRole"},
])
def test_role_name_from_environment(metadata, environ):
    assert resolve(environ=environ, metadata_url=metadata.url).access_key_id == "STS.ecs-id"


@pytest.mark.parametrize("status", [403, 404, 500])
def test_imdsv1_fallback_when_token_request_fails(metadata, status):
    metadata.token_status = status
    creds = resolve({"ecs_role_name": "MyRole"}, metadata_url=metadata.url)
    assert creds.access_key_id == "STS.ecs-id"
    get_headers = metadata.requests[-1][2]
    assert metadata.requests[-1][0] == "GET"
    assert "X-aliyun-ecs-metadata-token" not in get_headers


def test_imdsv1_disabled_makes_token_failure_fatal(metadata):
    metadata.token_status = 403
    with pytest.raises(CredentialsError) as info:
        resolve({"ecs_role_name": "MyRole"}, {"ALIBABA_CLOUD_IMDSV1_DISABLED": "true"}, metadata_url=metadata.url)
    assert "ALIBABA_CLOUD_IMDSV1_DISABLED" in str(info.value)
    assert [r[0] for r in metadata.requests] == ["PUT"]


def test_imdsv1_disabled_still_works_with_token(metadata):
    creds = resolve({"ecs_role_name": "MyRole"}, {"ALIBABA_CLOUD_IMDSV1_DISABLED": "TRUE"},
                    metadata_url=metadata.url)
    assert creds.access_key_id == "STS.ecs-id"


def test_code_other_than_success_is_an_error(metadata):
    metadata.roles["MyRole"] = (200, {"Code": "Failed", "AccessKeyId": "x",
                                      "AccessKeySecret": ECS_SECRET, "SecurityToken": ECS_TOKEN})
    with pytest.raises(CredentialsError) as info:
        resolve({"ecs_role_name": "MyRole"}, metadata_url=metadata.url)
    assert "Code Failed" in str(info.value)
    assert_clean_error(info.value)


def test_answer_missing_fields_is_an_error(metadata):
    metadata.roles["MyRole"] = (200, {"Code": "Success", "AccessKeyId": "x", "AccessKeySecret": ECS_SECRET})
    with pytest.raises(CredentialsError) as info:
        resolve({"ecs_role_name": "MyRole"}, metadata_url=metadata.url)
    assert "SecurityToken" in str(info.value)
    assert_clean_error(info.value)


def test_answer_not_json_is_an_error(metadata):
    metadata.roles["MyRole"] = (200, ("garbage %s" % ECS_SECRET).encode())
    with pytest.raises(CredentialsError) as info:
        resolve({"ecs_role_name": "MyRole"}, metadata_url=metadata.url)
    assert "not JSON" in str(info.value)
    assert_clean_error(info.value)


def test_unknown_role_is_an_error(metadata):
    with pytest.raises(CredentialsError) as info:
        resolve({"ecs_role_name": "NoSuchRole"}, metadata_url=metadata.url)
    assert "NoSuchRole" in str(info.value) and "404" in str(info.value)
    assert info.value.tried[-1] == "ECS RAM role 'NoSuchRole'"


def test_role_name_is_quoted_into_one_path_segment(metadata):
    with pytest.raises(CredentialsError):
        resolve({"ecs_role_name": "../../api/token"}, metadata_url=metadata.url)
    assert metadata.requests[-1][1] == "/latest/meta-data/ram/security-credentials/..%2F..%2Fapi%2Ftoken"


def test_unreachable_metadata_service_is_an_error():
    with pytest.raises(CredentialsError) as info:
        resolve({"ecs_role_name": "MyRole"}, metadata_url=NO_SERVER_URL)
    assert "Could not reach" in str(info.value)


def test_given_session_is_used_and_left_open(metadata):
    session = requests.Session()
    calls = []
    original = session.request

    def recording(method, url, *args, **kwargs):
        calls.append(method)
        return original(method, url, *args, **kwargs)

    session.request = recording
    resolve({"ecs_role_name": "MyRole"}, metadata_url=metadata.url, session=session)
    assert calls == ["PUT", "GET"]
    session.close()


def test_proxy_environment_is_ignored_for_metadata(metadata, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert resolve({"ecs_role_name": "MyRole"}, metadata_url=metadata.url).access_key_id == "STS.ecs-id"


# --- nothing found --------------------------------------------------------------------

def test_nothing_found_lists_every_source_in_order(home, metadata):
    with pytest.raises(CredentialsError) as info:
        resolve(home=home, metadata_url=metadata.url)
    config = str(home / ".aliyun" / "config.json")
    expected = [
        "module options access_key_id/access_key_secret",
        "environment ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        "environment ALICLOUD_ACCESS_KEY/ALICLOUD_SECRET_KEY",
        "profile file %s (not found)" % config,
        "ECS RAM role (ecs_role_name not set)",
    ]
    assert info.value.tried == expected
    message = str(info.value)
    positions = [message.index(entry) for entry in expected]
    assert positions == sorted(positions)
    assert "aliyun configure" in message and "access_key_id" in message
    assert info.value.to_result() == {"credential_sources_tried": expected}
    assert metadata.requests == []


def test_nothing_found_notes_a_file_without_the_profile(home):
    path = write_config(home, [ak_profile("other")])
    with pytest.raises(CredentialsError) as info:
        resolve(home=home)
    assert "profile file %s (no profile 'default')" % path in info.value.tried
    assert_clean_error(info.value)


def test_default_environ_and_home_are_used(monkeypatch, tmp_path):
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "real-env-id")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ENV_SECRET)
    creds = resolve_credentials({}, metadata_url=NO_SERVER_URL)
    assert creds.access_key_id == "real-env-id"


# --- Expiring credentials: renewal -------------------------------------------------------

def _utc_in(**delta):
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + datetime.timedelta(**delta)


def _iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def role_answer(key_id, secret, token, expiration):
    return (200, {"Code": "Success", "AccessKeyId": key_id, "AccessKeySecret": secret, "SecurityToken": token,
                  "Expiration": _iso(expiration)})


def credential_reads(metadata):
    return [r for r in metadata.requests if r[0] == "GET"]


def provider_for_role(metadata, home, **kwargs):
    return credentials_provider({"ecs_role_name": "MyRole"}, environ={}, home=str(home),
                                metadata_url=metadata.url, timeout=2.0, **kwargs)


@pytest.mark.parametrize("expiration", [None, 42, "tomorrow", "2099-01-01 00:00:00"])
def test_unreadable_expiration_means_unknown_not_an_error(metadata, expiration):
    answer = dict(metadata.roles["MyRole"][1], Expiration=expiration)
    metadata.roles["MyRole"] = (200, answer)
    creds = resolve({"ecs_role_name": "MyRole"}, metadata_url=metadata.url)
    assert creds.expiration is None and creds.renewable


def test_static_sts_credentials_are_not_renewable(home):
    write_config(home, [{"name": "sts", "mode": "StsToken", "access_key_id": "STS.f", "access_key_secret": FILE_SECRET,
                         "sts_token": FILE_TOKEN}], current="sts")
    for creds in (resolve({"access_key_id": "STS.o", "access_key_secret": SECRET, "security_token": TOKEN}),
                  resolve(environ={"ALIBABA_CLOUD_ACCESS_KEY_ID": "STS.e", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ENV_SECRET,
                                   "ALIBABA_CLOUD_SECURITY_TOKEN": TOKEN}),
                  resolve(home=home)):
        assert (creds.renewable, creds.expiration) == (False, None)
        provider = CredentialsProvider(creds, resolve=pytest.fail)
        assert provider.current() is creds
        assert provider.renew_rejected(creds) is None


def test_provider_renews_metadata_credentials_that_are_about_to_expire(metadata, home):
    metadata.roles["MyRole"] = role_answer("STS.first", ECS_SECRET, ECS_TOKEN, _utc_in(minutes=5))
    seen = []
    provider = provider_for_role(metadata, home, on_resolved=seen.append)
    assert [c.access_key_id for c in seen] == ["STS.first"]
    metadata.roles["MyRole"] = role_answer("STS.second", "second-secret", "second-token", _utc_in(hours=6))
    assert provider.current().access_key_id == "STS.second"
    assert provider.current().access_key_id == "STS.second"
    assert len(credential_reads(metadata)) == 2  # the renewed ones are far from expiry: not read again
    assert [c.access_key_id for c in seen] == ["STS.first", "STS.second"]


def test_provider_does_not_read_credentials_far_from_expiry_again(metadata, home):
    provider = provider_for_role(metadata, home)  # the default answer expires in 2099
    for _read in range(3):
        assert provider.current().access_key_id == "STS.ecs-id"
    assert len(credential_reads(metadata)) == 1


def test_provider_asks_at_most_once_a_minute_while_the_service_gives_the_same(metadata):
    expiring = resolve({"ecs_role_name": "MyRole"}, metadata_url=metadata.url)
    clock = [expiring.expiration - datetime.timedelta(minutes=10)]
    calls = []

    def again():
        calls.append(clock[0])
        return expiring

    provider = CredentialsProvider(expiring, again, now=lambda: clock[0])
    provider.current()
    clock[0] += datetime.timedelta(seconds=30)
    provider.current()
    clock[0] += datetime.timedelta(seconds=31)
    provider.current()
    assert len(calls) == 2


def test_renewal_failure_keeps_credentials_until_they_expire(metadata, home):
    metadata.roles["MyRole"] = role_answer("STS.first", ECS_SECRET, ECS_TOKEN, _utc_in(minutes=5))
    seen = []
    provider = provider_for_role(metadata, home, on_resolved=seen.append)
    metadata.roles["MyRole"] = (500, b"busy")
    assert provider.current().access_key_id == "STS.first"
    assert len(credential_reads(metadata)) == 2

    expired = seen[0]
    lapsed = CredentialsProvider(expired, lambda: resolve({"ecs_role_name": "MyRole"}, metadata_url=metadata.url),
                                 now=lambda: expired.expiration)
    with pytest.raises(CredentialsError, match="HTTP 500") as raised:
        lapsed.current()
    assert_clean_error(raised.value)


def test_renew_rejected_reads_again_once_and_needs_new_credentials(metadata, home):
    provider = provider_for_role(metadata, home)
    rejected = provider.current()
    assert provider.renew_rejected(rejected) is None  # the service still hands out the same ones
    metadata.roles["MyRole"] = role_answer("STS.second", "second-secret", "second-token", _utc_in(hours=6))
    assert provider.renew_rejected(rejected) is None  # already read again for this rejection
    assert len(credential_reads(metadata)) == 2


# --- Renewal end to end: the client against the emulator, credentials from the fake metadata service

EMULATOR_ACCOUNT = "1234567890123456"


@pytest.fixture(scope="module")
def emu():
    from tests.emulator import running_emulator
    yield from running_emulator(seed="demo")


def emulated_client(emu, credentials, signature_version="v2"):
    from ansible_collections.alicloud.cas.plugins.module_utils._transport import CAS_VERSION, RetryPolicy, RpcClient
    return RpcClient(emu.base_url, CAS_VERSION, credentials, verify=emu.ca_path,
                     retry_policy=RetryPolicy(max_attempts=1), signature_version=signature_version)


@pytest.mark.parametrize("signature_version", ["v2", "v3"])
def test_long_wait_renews_metadata_credentials_before_the_service_refuses_them(emu, metadata, home,
                                                                               signature_version):
    emu.control.reset("demo")
    first_expiry = _utc_in(minutes=10)
    emu.control.add_sts(EMULATOR_ACCOUNT, "STS.first", "first-secret", "first-token", expired=_iso(first_expiry))
    emu.control.add_sts(EMULATOR_ACCOUNT, "STS.second", "second-secret", "second-token", expired=False)
    metadata.roles["MyRole"] = role_answer("STS.first", "first-secret", "first-token", first_expiry)
    provider = provider_for_role(metadata, home)
    # Time passes in a long poll: the service rotates the role's credentials and the old ones lapse.
    metadata.roles["MyRole"] = role_answer("STS.second", "second-secret", "second-token", _utc_in(hours=6))
    emu.control.add_sts(EMULATOR_ACCOUNT, "STS.first", "first-secret", "first-token", expired=True)
    assert emulated_client(emu, provider, signature_version).call("DescribePackageState")["TotalCount"] == 20
    used = [c.get("access_key_id") for c in emu.control.calls()]
    assert used == ["STS.second"]


@pytest.mark.parametrize("signature_version", ["v2", "v3"])
def test_expired_answer_renews_metadata_credentials_once_and_repeats_the_call(emu, metadata, home, signature_version):
    emu.control.reset("demo")
    # The metadata service says the first ones are good for hours, but the gateway has already
    # stopped accepting them (revoked, or this host's clock is behind).
    emu.control.add_sts(EMULATOR_ACCOUNT, "STS.first", "first-secret", "first-token", expired=True)
    emu.control.add_sts(EMULATOR_ACCOUNT, "STS.second", "second-secret", "second-token", expired=False)
    metadata.roles["MyRole"] = role_answer("STS.first", "first-secret", "first-token", _utc_in(hours=5))
    provider = provider_for_role(metadata, home)
    metadata.roles["MyRole"] = role_answer("STS.second", "second-secret", "second-token", _utc_in(hours=6))
    assert emulated_client(emu, provider, signature_version).call("DescribePackageState")["TotalCount"] == 20
    assert [c.get("access_key_id") for c in emu.control.calls()] == ["STS.first", "STS.second"]


def test_expired_static_token_is_not_renewed_and_keeps_its_hint(emu):
    from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlibabaCloudError
    emu.control.reset("demo")
    emu.control.add_sts(EMULATOR_ACCOUNT, "STS.first", "first-secret", "first-token", expired=True)
    static = resolve({"access_key_id": "STS.first", "access_key_secret": "first-secret",
                      "security_token": "first-token"})
    with pytest.raises(AlibabaCloudError) as raised:
        emulated_client(emu, static).call("DescribePackageState")
    assert raised.value.code == "InvalidSecurityToken.Expired"
    assert "Request new STS credentials" in str(raised.value) and "first-token" not in str(raised.value)
    assert len(emu.control.calls()) == 1


def test_metadata_credentials_rejected_twice_fail_after_one_renewal(emu, metadata, home):
    from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlibabaCloudError
    emu.control.reset("demo")
    for key_id in ("STS.first", "STS.second"):
        emu.control.add_sts(EMULATOR_ACCOUNT, key_id, "s-" + key_id, "t-" + key_id, expired=True)
    metadata.roles["MyRole"] = role_answer("STS.first", "s-STS.first", "t-STS.first", _utc_in(hours=5))
    provider = provider_for_role(metadata, home)
    metadata.roles["MyRole"] = role_answer("STS.second", "s-STS.second", "t-STS.second", _utc_in(hours=6))
    with pytest.raises(AlibabaCloudError) as raised:
        emulated_client(emu, provider).call("DescribePackageState")
    assert raised.value.code == "InvalidSecurityToken.Expired"
    assert len(emu.control.calls()) == 2


def test_certificate_wait_renews_metadata_credentials_before_they_lapse(emu, metadata, home):
    """A wait of about an hour (simulated clock) outlives the first role credentials."""
    from ansible_collections.alicloud.cas.plugins.module_utils._alidns import AlidnsClient
    from ansible_collections.alicloud.cas.plugins.module_utils._cas import CasClient, normalize_state
    from ansible_collections.alicloud.cas.plugins.module_utils._cas_info import request_info
    from ansible_collections.alicloud.cas.plugins.module_utils._transport import ALIDNS_VERSION, RpcClient
    from tests.emulator import seeds

    emu.control.reset("demo")
    start = _utc_in()
    first_expiry = start + datetime.timedelta(minutes=30)
    emu.control.add_sts(EMULATOR_ACCOUNT, "STS.first", "first-secret", "first-token", expired=False)
    emu.control.add_sts(EMULATOR_ACCOUNT, "STS.second", "second-secret", "second-token", expired=False)
    metadata.roles["MyRole"] = role_answer("STS.first", "first-secret", "first-token", first_expiry)
    fake = {"elapsed": 0.0, "rotated": False, "lapsed": False, "published": False}

    def now():
        return start + datetime.timedelta(seconds=fake["elapsed"])

    def again():
        return resolve({"ecs_role_name": "MyRole"}, metadata_url=metadata.url)

    provider = CredentialsProvider(again(), again, now=now)
    cas = CasClient(emulated_client(emu, provider))
    order_id = cas.create("www.example.com", "admin@example.com", "13800000000", "Ops", "DNS")["order_id"]
    validation = normalize_state(cas.describe_state(order_id), "www.example.com")["validation"]
    dns = AlidnsClient(RpcClient(emu.base_url, ALIDNS_VERSION,
                                 Credentials(seeds.DEMO_ACCESS_KEY_ID, seeds.DEMO_ACCESS_KEY_SECRET), verify=emu.ca_path))

    def sleep(seconds):
        fake["elapsed"] += seconds
        if not fake["rotated"] and now() >= first_expiry - datetime.timedelta(minutes=20):
            # The metadata service hands out the next credentials ahead of the old ones' expiry.
            metadata.roles["MyRole"] = role_answer("STS.second", "second-secret", "second-token",
                                                   first_expiry + datetime.timedelta(hours=6))
            fake["rotated"] = True
        if not fake["lapsed"] and now() >= first_expiry:
            emu.control.add_sts(EMULATOR_ACCOUNT, "STS.first", "first-secret", "first-token", expired=True)
            fake["lapsed"] = True
        if not fake["published"] and fake["elapsed"] >= 50 * 60:
            dns.add("example.com", validation["fqdn"][:-len(".example.com")], "TXT", validation["value"])
            fake["published"] = True

    result = request_info({"order_id": order_id, "wait": True, "wait_timeout": 7200, "poll_interval": 60,
                           "poll_interval_max": 300}, lambda: cas, clock=lambda: fake["elapsed"], sleep=sleep)
    assert result["status"] == "certificate" and fake["lapsed"]
    cas_calls = [c for c in emu.control.calls() if c["product"] == "Cas"]
    assert [c for c in cas_calls if c.get("error_code")] == []  # never refused: renewed ahead of time
    keys = [c["access_key_id"] for c in cas_calls]
    switch = keys.index("STS.second")
    assert set(keys[:switch]) == {"STS.first"} and set(keys[switch:]) == {"STS.second"}
