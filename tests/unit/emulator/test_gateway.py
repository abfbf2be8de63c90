"""Gateway behaviour: common parameters, authentication order, error shapes and formats."""

import datetime
import http.client
import json
import ssl
import urllib.parse
import xml.etree.ElementTree as ET

import pytest
import requests

CAS = "2020-04-07"


def test_json_error_shape_status_and_request_id_header(make_api):
    api = make_api(key_id="LTAINoSuchKey", secret="x")
    response = api.cas("DescribePackageState")
    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"RequestId", "HostId", "Code", "Message", "Recommend"}
    assert body["Code"] == "InvalidAccessKeyId.NotFound"
    assert body["HostId"] == "cas.aliyuncs.com"
    assert response.headers["x-acs-request-id"] == body["RequestId"]
    assert body["Recommend"] == (f"https://api.aliyun.com/troubleshoot?q=InvalidAccessKeyId.NotFound"
                                 f"&product=Cas&requestId={body['RequestId']}")
    assert response.headers["Content-Type"].startswith("application/json")


def test_alidns_errors_name_alidns_host(make_api):
    body = make_api(key_id="LTAINoSuchKey", secret="x").dns("DescribeDomains").json()
    assert body["HostId"] == "alidns.aliyuncs.com"
    assert "product=Alidns" in body["Recommend"]


@pytest.mark.parametrize("missing", ["Action", "Version", "AccessKeyId", "Signature", "SignatureMethod",
                                     "SignatureVersion", "SignatureNonce", "Timestamp"])
def test_missing_common_parameter(api, missing):
    params = api.signed_params("DescribePackageState", CAS, {})
    del params[missing]
    response = api.send(params)
    assert api.error(response, 400) == "MissingParameter"
    assert f'"{missing}"' in response.json()["Message"]


def test_signature_method_must_be_hmac_sha1(api):
    params = api.signed_params("DescribePackageState", CAS, {})
    params["SignatureMethod"] = "HMAC-SHA256"
    assert api.error(api.send(params), 400) == "IncompleteSignature"


def test_bad_signature_reports_server_string_to_sign(api):
    params = api.signed_params("DescribePackageState", CAS, {})
    params["Signature"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAA="
    response = api.send(params)
    assert api.error(response, 400) == "SignatureDoesNotMatch"
    message = response.json()["Message"]
    server_string = message.split("server string to sign is:", 1)[1]
    assert server_string.startswith("POST&%2F&AccessKeyId%3DLTAI5tEmulatorDemoKey01%26Action%3DDescribePackageState")
    assert "Signature%3D" not in server_string


def test_wrong_secret_and_wrong_method_fail_signature(make_api, api):
    assert api.error(make_api(secret="wrong").cas("DescribePackageState"), 400) == "SignatureDoesNotMatch"
    # Signed for GET but sent as POST: the method is part of the string to sign.
    params = api.signed_params("DescribePackageState", CAS, {}, method="GET")
    assert api.error(api.send(params, method="POST"), 400) == "SignatureDoesNotMatch"


def test_get_and_form_body_both_accepted(api):
    assert api.ok(api.call("DescribePackageState", CAS, method="GET"))["TotalCount"] == 20
    params = api.signed_params("DescribePackageState", CAS, {"ProductCode": "geotrust-dv-w-starter"})
    query = {k: params[k] for k in ("Action", "Version", "Format")}
    body = {k: v for k, v in params.items() if k not in query}
    assert api.ok(api.send(query, body=body))["TotalCount"] == 5


@pytest.mark.parametrize("skew_minutes", [16, -16])
def test_timestamp_outside_15_minutes(api, skew_minutes):
    stamp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=skew_minutes)
    params = api.signed_params("DescribePackageState", CAS, {}, timestamp=stamp)
    assert api.error(api.send(params), 400) == "InvalidTimeStamp.Expired"


def test_timestamp_within_window_and_bad_format(api):
    stamp = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=14)
    api.ok(api.send(api.signed_params("DescribePackageState", CAS, {}, timestamp=stamp)))
    params = api.signed_params("DescribePackageState", CAS, {"Timestamp": "2024-01-01 10:00:00"})
    assert api.error(api.send(params), 400) == "InvalidTimeStamp.Format"


def test_reused_nonce(api):
    api.ok(api.send(api.signed_params("DescribePackageState", CAS, {}, nonce="fixed-nonce-1")))
    response = api.send(api.signed_params("DescribePackageState", CAS, {}, nonce="fixed-nonce-1"))
    assert api.error(response, 400) == "SignatureNonceUsed"


def test_unknown_action_and_version(api):
    assert api.error(api.cas("DescribeNothing"), 404) == "InvalidAction.NotFound"
    assert api.error(api.call("DescribePackageState", "2019-01-01"), 400) == "InvalidVersion"
    # An Alidns action under the CAS version does not exist either.
    assert api.error(api.cas("DescribeDomains"), 404) == "InvalidAction.NotFound"


def test_checks_run_in_gateway_order(api, make_api):
    # Unknown key wins over a bad timestamp; a bad timestamp wins over a bad signature.
    stale = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
    stranger = make_api(key_id="LTAINoSuchKey", secret="x")
    assert stranger.error(stranger.send(stranger.signed_params("X", CAS, {}, timestamp=stale)), 404) == \
        "InvalidAccessKeyId.NotFound"
    params = api.signed_params("DescribePackageState", CAS, {}, timestamp=stale)
    params["Signature"] = "bad"
    assert api.error(api.send(params), 400) == "InvalidTimeStamp.Expired"
    # A bad signature is reported before an unknown action.
    params = api.signed_params("NoSuchAction", CAS, {})
    params["Signature"] = "bad"
    assert api.error(api.send(params), 400) == "SignatureDoesNotMatch"


def test_sts_tokens(emu, make_api):
    emu.control.add_sts("1234567890123456", "STS.Good", "sts-secret", "token-good")
    emu.control.add_sts("1234567890123456", "STS.Other", "sts-secret-2", "token-other")
    emu.control.add_sts("1234567890123456", "STS.Old", "sts-secret-3", "token-old", expired=True)
    good = make_api("STS.Good", "sts-secret", "token-good")
    assert good.ok(good.cas("DescribePackageState"))["TotalCount"] == 20
    cases = [
        (make_api("STS.Good", "sts-secret"), "InvalidSecurityToken.MismatchWithAccessKey"),
        (make_api("STS.Good", "sts-secret", "token-other"), "InvalidSecurityToken.MismatchWithAccessKey"),
        (make_api("STS.Good", "sts-secret", "garbage"), "InvalidSecurityToken.Malformed"),
        (make_api("STS.Old", "sts-secret-3", "token-old"), "InvalidSecurityToken.Expired"),
    ]
    for client, code in cases:
        assert client.error(client.cas("DescribePackageState"), 400) == code


def test_xml_when_format_omitted(api):
    response = api.call("DescribePackageState", CAS, fmt=None)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml;charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == "DescribePackageStateResponse"
    assert root.findtext("TotalCount") == "20"
    assert root.findtext("RequestId") == response.headers["x-acs-request-id"]


def test_xml_error_and_lists(api):
    response = api.call("DescribeCertificateState", CAS, fmt="XML", OrderId="1")
    assert response.status_code == 404
    root = ET.fromstring(response.content)
    assert root.tag == "Error"
    assert root.findtext("Code") == "NotFoundOrder"
    assert root.findtext("HostId") == "cas.aliyuncs.com"
    for rr in ("a", "b"):
        api.ok(api.dns("AddDomainRecord", DomainName="example.com", RR=rr, Type="A", Value="192.0.2.1"))
    root = ET.fromstring(api.call("DescribeDomainRecords", "2015-01-09", fmt=None,
                                  DomainName="example.com").content)
    assert [r.findtext("RR") for r in root.find("DomainRecords").findall("Record")] == ["b", "a"]


def test_format_is_case_insensitive(api):
    response = api.call("DescribePackageState", CAS, fmt="json")
    assert response.json()["ProductCode"] == "digicert-free-1-free"


def test_unknown_control_path(emu):
    response = requests.get(emu.base_url + "/__emulator__/nope", verify=emu.ca_path, timeout=10)
    assert response.status_code == 404


def test_keep_alive_connection_serves_many_correct_replies(emu, api):
    """One TCP connection, many requests: every reply must be complete and correctly framed."""
    context = ssl.create_default_context(cafile=emu.ca_path)
    connection = http.client.HTTPSConnection("127.0.0.1", emu.port, context=context, timeout=10)
    seen_ids = set()
    try:
        for index in range(25):
            action, version = ("DescribePackageState", CAS) if index % 2 else ("DescribeDomains", "2015-01-09")
            params = api.signed_params(action, version, {})
            connection.request("POST", "/?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote))
            if index == 0:
                first_socket = connection.sock
            response = connection.getresponse()
            body = json.loads(response.read())
            assert response.status == 200, body
            assert response.getheader("Connection") == "keep-alive"
            assert connection.sock is first_socket  # never reconnected
            if index % 2:
                assert body["TotalCount"] == 20
            else:
                assert body["Domains"]["Domain"][0]["DomainName"] == "example.com"
            seen_ids.add(body["RequestId"])
    finally:
        connection.close()
    assert len(seen_ids) == 25
