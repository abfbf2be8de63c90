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


# The official V3 vector (reference section 4.2): RunInstances, POST, empty body.
V3_HEADERS = {
    "host": "ecs.cn-shanghai.aliyuncs.com", "x-acs-action": "RunInstances",
    "x-acs-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "x-acs-date": "2023-10-26T10:22:32Z", "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d",
    "x-acs-version": "2014-05-26",
}
V3_QUERY = {"RegionId": "cn-shanghai", "ImageId": "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"}
V3_SIGNED = ("x-acs-version", "host", "x-acs-date", "x-acs-action", "x-acs-signature-nonce", "x-acs-content-sha256")
V3_SIGNATURE = "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"


def test_v3_official_vector_canonical_request_hash_and_signature():
    canonical = signature.canonical_request_v3("POST", "/", V3_QUERY, V3_HEADERS, V3_SIGNED,
                                               signature.payload_hash(b""))
    assert canonical == (
        "POST\n/\nImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai\n"
        "host:ecs.cn-shanghai.aliyuncs.com\nx-acs-action:RunInstances\n"
        "x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        "x-acs-date:2023-10-26T10:22:32Z\nx-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\n"
        "x-acs-version:2014-05-26\n\n"
        "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    string = signature.string_to_sign_v3(canonical)
    assert string == "ACS3-HMAC-SHA256\n7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259"
    assert signature.sign_v3(string, "YourAccessKeySecret") == V3_SIGNATURE


def test_v3_official_authorization_header_parses():
    header = ("ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;"
              f"x-acs-date;x-acs-signature-nonce;x-acs-version,Signature={V3_SIGNATURE}")
    parsed = signature.parse_v3_authorization(header)
    assert parsed == signature.V3Authorization("YourAccessKeyId", tuple(sorted(V3_SIGNED)), V3_SIGNATURE)


@pytest.mark.parametrize("header", [
    "ACS3-HMAC-SM3 Credential=a,SignedHeaders=host,Signature=00",
    "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host",
    "ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=00",
    "Bearer abc",
    "",
])
def test_v3_malformed_authorization_is_rejected(header):
    assert signature.parse_v3_authorization(header) is None


def test_v3_sdk_unit_vector_with_repeated_header():
    # S6 test_get_authorization: x-acs-test sent twice is signed as "http,https"; the payload
    # hash is given, not computed, and no x-acs-content-sha256 header is signed.
    headers = {"x-acs-test": signature.combined_header_value(["https", " http "])}
    canonical = signature.canonical_request_v3(
        "GET", "/", {"test": "ok", "empty": ""}, headers, ("x-acs-test",),
        "55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23")
    assert signature.sign_v3(signature.string_to_sign_v3(canonical), "secret") == \
        "d16b30a7699ae9e43875b13195b2f81bcc3ed10c14a9b5eb780e51619aa50be1"


def test_v3_query_encoding():
    canonical = signature.canonical_request_v3("POST", "/", {"test": " ~/*-+", "Tags.1.Key": "中"}, {}, (), "x")
    assert canonical.split("\n")[2] == "Tags.1.Key=%E4%B8%AD&test=%20~%2F%2A-%2B"
