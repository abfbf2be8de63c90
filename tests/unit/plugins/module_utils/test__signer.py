import datetime
import urllib.parse

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils import _signer
from ansible_collections.alicloud.cas.plugins.module_utils._credentials import Credentials

VECTOR_A = {
    "AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML",
    "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    "SignatureVersion": "1.0", "Timestamp": "2016-02-23T12:46:24Z", "Version": "2014-05-26",
}
VECTOR_B = {
    "AccessKeyId": "testid", "Action": "DescribeDedicatedHosts", "Format": "JSON", "RegionId": "cn-beijing",
    "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "edb2b34af0af9a6d14deaf7c1a5315eb",
    "SignatureVersion": "1.0", "Timestamp": "2023-03-13T08:34:30Z", "Version": "2014-05-26",
}


@pytest.mark.parametrize("params, method, expected", [
    (VECTOR_A, "GET", "OLeaidS1JvxuMvnyHOwuJ+uX5qY="),
    (VECTOR_A, "POST", "MxbnVAM4w6sft9xjVpe/GCKueuk="),
    (VECTOR_B, "GET", "9NaGiOspFP5UPcwX8Iwt2YJXXuk="),
    (VECTOR_B, "POST", "ZvQ9xGiFnquSJRvj+WE6kdSpTwU="),
    ({"query": "test", "body": "test"}, "GET", "XlUyV4sXjOuX5FnjUz9IF9tm5rU="),
])
def test_official_vectors(params, method, expected):
    assert _signer.sign_rpc(method, params, "testsecret" if "Action" in params else "secret") == expected


def test_string_to_sign_of_vector_a():
    assert _signer.string_to_sign("GET", VECTOR_A) == (
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1"
        "%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0"
        "%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26")


def test_canonical_query_of_vector_b():
    assert _signer.canonical_query(VECTOR_B) == (
        "AccessKeyId=testid&Action=DescribeDedicatedHosts&Format=JSON&RegionId=cn-beijing&SignatureMethod=HMAC-SHA1"
        "&SignatureNonce=edb2b34af0af9a6d14deaf7c1a5315eb&SignatureVersion=1.0&Timestamp=2023-03-13T08%3A34%3A30Z"
        "&Version=2014-05-26")


@pytest.mark.parametrize("raw, encoded", [(" ", "%20"), ("*", "%2A"), ("~", "~"), ("/", "%2F"), ("+", "%2B"),
                                          ("中", "%E4%B8%AD"), ("a-b_c.d", "a-b_c.d")])
def test_percent_encode(raw, encoded):
    assert _signer.percent_encode(raw) == encoded


def _decode(query):
    return dict(urllib.parse.parse_qsl(query, keep_blank_values=True))


def test_signed_query_adds_common_parameters_and_verifies():
    creds = Credentials("AKID", "secret", "sts-token", "test")
    now = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    params = _decode(_signer.signed_query("POST", "DescribeCertificateState", "2020-04-07",
                                          {"OrderId": 7, "Skipped": None, "Flag": True}, creds, now=now, nonce="n1"))
    signature = params.pop("Signature")
    assert params == {
        "Action": "DescribeCertificateState", "Version": "2020-04-07", "Format": "JSON", "AccessKeyId": "AKID",
        "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "SignatureNonce": "n1",
        "Timestamp": "2026-01-02T03:04:05Z", "SecurityToken": "sts-token", "OrderId": "7", "Flag": "true",
    }
    assert signature == _signer.sign_rpc("POST", params, "secret")


def test_each_attempt_gets_a_fresh_nonce_and_timestamp():
    creds = Credentials("AKID", "secret", None, "test")
    first = _decode(_signer.signed_query("POST", "A", "v", {}, creds))
    second = _decode(_signer.signed_query("POST", "A", "v", {}, creds))
    assert first["SignatureNonce"] != second["SignatureNonce"]
    assert "SecurityToken" not in first
