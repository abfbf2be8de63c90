"""The emulator's V2 verifier against the official vectors (reference section 4.1)."""

import pytest

from tests.emulator import signature

VECTOR_A = {
    "AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML", "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "SignatureVersion": "1.0",
    "Timestamp": "2016-02-23T12:46:24Z", "Version": "2014-05-26",
}
VECTOR_B = {
    "AccessKeyId": "testid", "Action": "DescribeDedicatedHosts", "Format": "JSON", "RegionId": "cn-beijing",
    "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "edb2b34af0af9a6d14deaf7c1a5315eb",
    "SignatureVersion": "1.0", "Timestamp": "2023-03-13T08:34:30Z", "Version": "2014-05-26",
}


@pytest.mark.parametrize(("params", "method", "expected"), [
    (VECTOR_A, "GET", "OLeaidS1JvxuMvnyHOwuJ+uX5qY="),
    (VECTOR_A, "POST", "MxbnVAM4w6sft9xjVpe/GCKueuk="),
    (VECTOR_B, "GET", "9NaGiOspFP5UPcwX8Iwt2YJXXuk="),
    (VECTOR_B, "POST", "ZvQ9xGiFnquSJRvj+WE6kdSpTwU="),
])
def test_official_vectors(params, method, expected):
    assert signature.sign(signature.string_to_sign(method, params), "testsecret") == expected


def test_vector_a_string_to_sign_and_signature_param_excluded():
    expected = (
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1"
        "%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0"
        "%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
    )
    assert signature.string_to_sign("GET", {**VECTOR_A, "Signature": "ignored"}) == expected


def test_sdk_unit_vector_and_percent_encoding():
    assert signature.sign(signature.string_to_sign("GET", {"query": "test", "body": "test"}), "secret") == \
        "XlUyV4sXjOuX5FnjUz9IF9tm5rU="
    assert signature.percent_encode(" ~/*-+中") == "%20~%2F%2A-%2B%E4%B8%AD"


def test_signature_comparison():
    assert signature.signature_matches("abc=", "abc=")
    assert not signature.signature_matches("abc=", "abd=")
