import datetime
import hashlib
import hmac
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


def test_no_python2_import_fallback():
    # Python 2 is not supported anywhere (targets are 3.9+); the fallback import was dead code.
    import ast
    import inspect
    tree = ast.parse(inspect.getsource(_signer))
    guarded = [node for node in ast.walk(tree) if isinstance(node, ast.Try)
               and any(isinstance(handler.type, ast.Name) and handler.type.id == "ImportError"
                       for handler in node.handlers)]
    assert guarded == []


# --- V3 (ACS3-HMAC-SHA256) -----------------------------------------------------------------

# The official V3 example (alibaba-cloud-api.md §4.2): RunInstances, empty body.
V3_QUERY = {"ImageId": "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd", "RegionId": "cn-shanghai"}
V3_HEADERS = {
    "host": "ecs.cn-shanghai.aliyuncs.com", "x-acs-action": "RunInstances", "x-acs-version": "2014-05-26",
    "x-acs-date": "2023-10-26T10:22:32Z", "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d",
    "x-acs-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
}
V3_SIGNED_HEADERS = "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version"
V3_SIGNATURE = "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
V3_NOW = datetime.datetime(2023, 10, 26, 10, 22, 32, tzinfo=datetime.timezone.utc)


def test_v3_empty_payload_hash():
    assert _signer.hashed_payload(b"") == V3_HEADERS["x-acs-content-sha256"]


def test_v3_canonical_request_of_the_official_vector():
    canonical = _signer.canonical_request_v3("POST", V3_QUERY, V3_HEADERS, V3_HEADERS["x-acs-content-sha256"])
    assert canonical == "\n".join([
        "POST", "/", "ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai",
        "host:ecs.cn-shanghai.aliyuncs.com", "x-acs-action:RunInstances",
        "x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "x-acs-date:2023-10-26T10:22:32Z", "x-acs-signature-nonce:3156853299f313e23d1673dc12e1703d",
        "x-acs-version:2014-05-26", "", V3_SIGNED_HEADERS,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"])
    assert hashlib.sha256(canonical.encode()).hexdigest() == (
        "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259")


def test_v3_official_vector_signature_and_authorization():
    creds = Credentials("YourAccessKeyId", "YourAccessKeySecret")
    query, headers = _signer.signed_v3_request("POST", "ecs.cn-shanghai.aliyuncs.com", "RunInstances", "2014-05-26",
                                               V3_QUERY, creds, now=V3_NOW, nonce="3156853299f313e23d1673dc12e1703d")
    assert query == "ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai"
    authorization = headers.pop("Authorization")
    assert headers == V3_HEADERS
    assert authorization == "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=%s,Signature=%s" % (
        V3_SIGNED_HEADERS, V3_SIGNATURE)


def test_v3_sts_token_is_a_signed_header_and_not_in_the_query():
    creds = Credentials("STS.AKID", "sts-secret", "token/with+special=chars", "test")
    query, headers = _signer.signed_v3_request("POST", "cas.aliyuncs.com", "DescribeCertificateState", "2020-04-07",
                                               {"OrderId": 7, "Skipped": None, "Flag": True}, creds,
                                               now=V3_NOW, nonce="n-1")
    assert _decode(query) == {"OrderId": "7", "Flag": "true"}
    assert headers["x-acs-security-token"] == "token/with+special=chars"
    signed_names = "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version"
    # Recomputed from the formula of §4.2 (independently of the signer's helpers).
    canonical = "\n".join(["POST", "/", "Flag=true&OrderId=7"] + [
        "%s:%s" % (name, headers[name]) for name in signed_names.split(";")] + ["", signed_names, _signer.hashed_payload()])
    expected = hmac.new(b"sts-secret", ("ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()).encode(),
                        hashlib.sha256).hexdigest()
    assert headers["Authorization"] == (
        "ACS3-HMAC-SHA256 Credential=STS.AKID,SignedHeaders=%s,Signature=%s" % (signed_names, expected))
    without_token = _signer.signed_v3_request("POST", "cas.aliyuncs.com", "DescribeCertificateState", "2020-04-07",
                                              {"OrderId": 7, "Flag": True}, Credentials("STS.AKID", "sts-secret"),
                                              now=V3_NOW, nonce="n-1")[1]
    assert "x-acs-security-token" not in without_token
    assert without_token["Authorization"] != headers["Authorization"]


def test_v3_each_attempt_gets_a_fresh_nonce():
    creds = Credentials("AKID", "secret")
    first = _signer.signed_v3_request("POST", "h", "A", "v", {}, creds)[1]
    second = _signer.signed_v3_request("POST", "h", "A", "v", {}, creds)[1]
    assert first["x-acs-signature-nonce"] != second["x-acs-signature-nonce"]
