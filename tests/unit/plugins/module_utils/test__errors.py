# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The scrubber: secret values, in every encoding a gateway or a client may quote them in,
never survive into an error message."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils import _errors

# Real STS tokens are base64: "+", "/" and "=" change under URL encoding.
TOKEN = "CAIS+token/Zq9XvB3mK7wR2tY8pL5nD1sF4gH6jJ0=="


def _encode(value):
    return quote(value, safe="~")


def gateway_string_to_sign(params, method="GET"):
    """The V2 string to sign as the gateway builds it: the canonical query, encoded again."""
    canonical = "&".join("%s=%s" % (_encode(k), _encode(v)) for k, v in sorted(params.items()))
    return "%s&%%2F&%s" % (method, _encode(canonical))


def token_forms(token=TOKEN):
    """Written out here rather than taken from the code under test."""
    once = quote(token, safe="")
    return [token, once, quote(once, safe=""), json.dumps(token)[1:-1]]


def assert_no_token(text, token=TOKEN):
    leaked = [form for form in token_forms(token) if form in text]
    assert leaked == [], text


def test_signature_does_not_match_echo_is_cut_and_the_token_is_gone():
    params = {"AccessKeyId": "STS.Key", "Action": "DescribePackageState", "SecurityToken": TOKEN,
              "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "n-1", "Timestamp": "2026-01-01T00:00:00Z"}
    string_to_sign = gateway_string_to_sign(params)
    assert quote(quote(TOKEN, safe=""), safe="") in string_to_sign  # the gateway really encodes it twice
    message = "Specified signature does not match our calculation. server string to sign is:" + string_to_sign
    error = _errors.AlibabaCloudError(message, code="SignatureDoesNotMatch", action="DescribePackageState")
    for text in (str(error), json.dumps(error.to_result())):
        assert_no_token(text)
        assert "DescribePackageState" in text and "Timestamp" not in text
    assert error.message == ("Specified signature does not match our calculation. server string to sign is: "
                             + _errors.STRING_TO_SIGN_REMOVED)
    assert "check access_key_secret" in str(error)


@pytest.mark.parametrize("template", [
    "SecurityToken=%(raw)s&SignatureMethod=HMAC-SHA1",
    "GET&%%2F&SecurityToken%%3D%(once)s%%26SignatureMethod%%3DHMAC-SHA1",
    "GET&%%2F&AccessKeyId%%3DSTS.Key%%26SecurityToken%%253D%(twice)s%%2526Timestamp",
    '{"Code": "X", "SecurityToken": "%(json)s", "RequestId": "1"}',
    '{"security_token":"%(json)s"}',
    "{'security_token': '%(raw)s', 'region': None}",
    "<Credentials><SecurityToken>%(raw)s</SecurityToken></Credentials>",
    "x-acs-security-token: %(raw)s\nx-acs-date: now",
    "sts_token=%(raw)s",
], ids=["query", "url-once", "url-twice", "json", "json-compact", "python-repr", "xml", "v3-header",
        "profile-field"])
def test_token_is_removed_in_every_encoding(template):
    once = quote(TOKEN, safe="")
    text = template % {"raw": TOKEN, "once": once, "twice": quote(once, safe=""),
                       "json": json.dumps(TOKEN)[1:-1]}
    scrubbed = _errors.scrub(text)
    assert_no_token(scrubbed)
    assert "********" in scrubbed


def test_json_escaped_slashes_are_removed_too():
    escaped = TOKEN.replace("/", "\\/")
    scrubbed = _errors.scrub('{"SecurityToken": "%s"}' % escaped)
    assert "Zq9XvB3mK7wR2tY8pL5nD1sF4gH6jJ0" not in scrubbed


def test_words_that_contain_a_secret_name_are_kept():
    text = "IncompleteSignature: The request signature was rejected. SignatureNonce=abc"
    assert _errors.scrub(text) == text


def test_values_after_the_secret_are_kept():
    scrubbed = _errors.scrub("Signature=abc%2Fdef&SignatureNonce=n-1&Timestamp=t")
    assert scrubbed == "Signature=********&SignatureNonce=n-1&Timestamp=t"


def test_secret_forms_cover_raw_url_once_twice_plus_and_json():
    forms = _errors.secret_forms('a+b/c="d"')
    assert forms == {'a+b/c="d"', "a%2Bb%2Fc%3D%22d%22", "a%252Bb%252Fc%253D%2522d%2522", 'a+b/c=\\"d\\"'}


def test_v3_echo_of_canonical_request_and_string_to_sign_is_cut():
    """A V3 gateway quotes its canonical request: one header a line, the token among them."""
    canonical = "\n".join([
        "POST", "/", "", "host:127.0.0.1", "x-acs-action:DescribePackageState",
        "x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "x-acs-date:2026-01-01T00:00:00Z", "x-acs-security-token:" + TOKEN, "x-acs-signature-nonce:n-1",
        "x-acs-version:2020-04-07", "", "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"])
    string_to_sign = "ACS3-HMAC-SHA256\n" + "ab" * 32
    message = ("Specified signature does not match our calculation. server canonical request is:%s"
               " server string to sign is:%s" % (canonical, string_to_sign))
    scrubbed = _errors.scrub(message)
    assert_no_token(scrubbed)
    assert scrubbed == ("Specified signature does not match our calculation. server canonical request is: "
                        + _errors.STRING_TO_SIGN_REMOVED + " server string to sign is: "
                        + _errors.STRING_TO_SIGN_REMOVED)
