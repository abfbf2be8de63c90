import json
import urllib.parse

import pytest
import requests
import urllib3

from ansible_collections.alicloud.cas.plugins.module_utils import _transport
from ansible_collections.alicloud.cas.plugins.module_utils._credentials import Credentials
from ansible_collections.alicloud.cas.plugins.module_utils._errors import (
    AlibabaCloudError,
    CertificateVerificationError,
    NetworkError,
    RequestNotSentError,
)
from ansible_collections.alicloud.cas.plugins.module_utils._signer import sign_rpc
from ansible_collections.alicloud.cas.plugins.module_utils._transport import RetryPolicy, RpcClient

SECRET = "s3cr3t-value-never-shown"
TOKEN = "sts-token-never-shown"


class FakeResponse:
    def __init__(self, status, body, headers=None):
        self.status_code = status
        self.content = body.encode() if isinstance(body, str) else body
        self.headers = {"Content-Type": "application/json"}
        self.headers.update(headers or {})

    def json(self):
        return json.loads(self.content)


class FakeSession:
    """Plays back answers (a FakeResponse or an exception to raise), recording each URL."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.urls = []
        self.headers = {}

    def post(self, url, timeout, verify):
        self.urls.append(url)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def params(self, index):
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.urls[index]).query))


def ok(body=None):
    return FakeResponse(200, json.dumps(dict({"RequestId": "R-OK"}, **(body or {}))))


def error(status, code, message="failed", headers=None):
    return FakeResponse(status, json.dumps({"RequestId": "R-ERR", "HostId": "cas.aliyuncs.com", "Code": code,
                                            "Message": message, "Recommend": "https://example/x"}), headers)


def client(answers, policy=None, sleeps=None, token=None):
    sleeps = [] if sleeps is None else sleeps
    session = FakeSession(answers)
    rpc = RpcClient("https://cas.example", "2020-04-07", Credentials("AKID", SECRET, token, "test"),
                    session=session, retry_policy=policy or RetryPolicy(rng=lambda: 1.0), sleep=sleeps.append)
    return rpc, session


def rpc_for(answers, policy=None, token=None):
    """A client whose session is of no interest to the test."""
    return client(answers, policy, token=token)[0]


def test_request_is_a_signed_post_with_parameters_in_the_query():
    rpc, session = client([ok({"OrderId": 5})])
    assert rpc.call("DescribeCertificateState", {"OrderId": 5}) == {"RequestId": "R-OK", "OrderId": 5}
    params = session.params(0)
    assert session.urls[0].startswith("https://cas.example/?")
    signature = params.pop("Signature")
    assert signature == sign_rpc("POST", params, SECRET)
    assert params["Action"] == "DescribeCertificateState" and params["Format"] == "JSON"


def test_user_agent_names_collection_and_version():
    assert _transport.user_agent().startswith("alicloud.cas/%s " % _transport.COLLECTION_VERSION)


def test_collection_version_matches_galaxy_yml():
    import os
    import re
    galaxy = open(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "galaxy.yml")).read()
    assert re.search(r"^version: (\S+)$", galaxy, re.M).group(1) == _transport.COLLECTION_VERSION


@pytest.mark.parametrize("failure", [
    error(503, "ServiceUnavailable"), error(500, "InternalError"), error(400, "Throttling.User"),
    error(400, "Throttling"), error(400, "Rejected.Throttling"), error(400, "LastOperationNotFinished"), error(502, "BadGateway"),
    requests.exceptions.ConnectionError("reset"), requests.exceptions.ReadTimeout("slow"),
])
def test_transient_failures_are_retried_with_fresh_nonce(failure):
    rpc, session = client([failure, ok()])
    assert rpc.call("ListUserCertificateOrder")["RequestId"] == "R-OK"
    assert len(session.urls) == 2
    assert session.params(0)["SignatureNonce"] != session.params(1)["SignatureNonce"]


@pytest.mark.parametrize("code, status", [("InvalidParameter", 400), ("NotRemainCount", 404),
                                          ("SignatureDoesNotMatch", 400), ("Forbidden.RAM", 403)])
def test_business_errors_are_not_retried(code, status):
    rpc, session = client([error(status, code), ok()])
    with pytest.raises(AlibabaCloudError) as raised:
        rpc.call("CreateCertificateRequest")
    assert raised.value.code == code and raised.value.http_status == status and raised.value.attempts == 1
    assert len(session.urls) == 1


def test_attempts_are_bounded_and_error_says_so():
    sleeps = []
    rpc, session = client([error(503, "ServiceUnavailable")] * 10, RetryPolicy(max_attempts=4, rng=lambda: 1.0),
                          sleeps)
    with pytest.raises(AlibabaCloudError) as raised:
        rpc.call("DescribePackageState")
    assert len(session.urls) == 4 and len(sleeps) == 3
    assert raised.value.attempts == 4
    assert "gave up after 4 attempts" in str(raised.value)


def test_throttling_has_its_own_larger_attempt_budget():
    policy = RetryPolicy(max_attempts=3, max_throttled_attempts=5, rng=lambda: 0.0)
    rpc, session = client([error(400, "Throttling.User")] * 10, policy)
    with pytest.raises(AlibabaCloudError, match="gave up after 5 attempts"):
        rpc.call("DescribePackageState")
    rpc, session = client([error(503, "ServiceUnavailable")] * 10, policy)
    with pytest.raises(AlibabaCloudError, match="gave up after 3 attempts"):
        rpc.call("DescribePackageState")
    assert len(session.urls) == 3


def test_backoff_is_exponential_capped_and_jittered():
    policy = RetryPolicy(base_delay=0.5, max_delay=3.0, rng=lambda: 1.0)
    assert [policy.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert RetryPolicy(rng=lambda: 0.0).delay(5) == 0.0
    draws = iter([0.25, 0.75])
    jittered = RetryPolicy(base_delay=1.0, max_delay=100, rng=lambda: next(draws))
    assert jittered.delay(3) == 1.0 and jittered.delay(3) == 3.0


def test_total_time_budget_stops_retries():
    now = [0.0]
    sleeps = []
    session = FakeSession([error(503, "ServiceUnavailable")] * 10)
    rpc = RpcClient("https://cas.example", "v", Credentials("AKID", SECRET), session=session,
                    retry_policy=RetryPolicy(max_attempts=10, base_delay=4, max_delay=4, total_timeout=10,
                                             rng=lambda: 1.0),
                    sleep=lambda s: (sleeps.append(s), now.__setitem__(0, now[0] + s)), clock=lambda: now[0])
    with pytest.raises(AlibabaCloudError):
        rpc.call("X")
    assert sum(sleeps) <= 10 and len(session.urls) == 3


def test_retry_after_header_is_honoured_within_cap():
    sleeps = []
    rpc, _session = client([error(400, "Throttling.User", headers={"x-acs-retry-after": "2500"}), ok()],
                           RetryPolicy(rng=lambda: 0.0, max_delay=10), sleeps)
    rpc.call("X")
    assert sleeps == [2.5]
    assert RetryPolicy(rng=lambda: 0.0, max_delay=1).delay(1, retry_after=30) == 1


def test_create_is_not_repeated_when_reconcile_adopts_the_lost_order():
    rpc, session = client([requests.exceptions.ConnectionError("lost"), ok({"OrderId": 99})])
    adopted = rpc.call("CreateCertificateRequest", {"Domain": "a.example.com"},
                       reconcile=lambda: {"OrderId": 7, "Adopted": True})
    assert adopted == {"OrderId": 7, "Adopted": True}
    assert len(session.urls) == 1


def refused():
    """What requests raises when nothing listens: a ConnectionError around NewConnectionError."""
    reason = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection: [Errno 111]")
    return requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/", reason))


def dropped_after_sending():
    reason = urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError(104, "reset"))
    return requests.exceptions.ConnectionError(reason)


@pytest.mark.parametrize("failure", [
    error(500, "InternalError"), error(503, "ServiceUnavailable"), requests.exceptions.ReadTimeout("read timed out"),
    dropped_after_sending(), requests.exceptions.ConnectionError("Connection reset by peer"),
])
def test_create_is_never_sent_again_once_it_may_have_reached_the_service(failure):
    checks, sleeps = [], []
    rpc, session = client([failure, ok({"OrderId": 99})], sleeps=sleeps)
    with pytest.raises(AlibabaCloudError) as raised:
        rpc.call("CreateCertificateRequest", reconcile=lambda: checks.append(1))
    assert not isinstance(raised.value, RequestNotSentError)
    assert len(session.urls) == 1
    # Five reads over 15 s, for a list that trails the write.
    assert len(checks) == 5 and sleeps == [1.0, 2.0, 4.0, 8.0]


@pytest.mark.parametrize("failure", [refused(), requests.exceptions.ConnectTimeout("connect timed out")])
def test_create_that_never_reached_the_service_is_sent_again_without_reconciling(failure):
    rpc, session = client([failure, ok({"OrderId": 99})])
    answer = rpc.call("CreateCertificateRequest", reconcile=lambda: pytest.fail("nothing was sent"))
    assert answer["OrderId"] == 99 and len(session.urls) == 2


@pytest.mark.parametrize("failure, not_sent", [
    (refused(), True), (requests.exceptions.ConnectTimeout("slow connect"), True),
    (requests.exceptions.ReadTimeout("slow answer"), False), (dropped_after_sending(), False),
])
def test_network_errors_say_whether_the_request_was_sent(failure, not_sent):
    with pytest.raises(NetworkError) as raised:
        rpc_for([failure], RetryPolicy(max_attempts=1)).call("DescribePackageState")
    assert isinstance(raised.value, RequestNotSentError) is not_sent


def test_reconcile_finding_the_effect_on_a_later_read_is_the_result():
    answers = iter([None, None, {"OrderId": 7, "Adopted": True}])
    sleeps = []
    rpc, session = client([error(503, "ServiceUnavailable")], sleeps=sleeps)
    assert rpc.call("CreateCertificateRequest", reconcile=lambda: next(answers)) == {"OrderId": 7, "Adopted": True}
    assert len(session.urls) == 1 and sleeps == [1.0, 2.0]


def test_a_failing_reconcile_read_counts_as_not_found_yet():
    reads = iter([AlibabaCloudError("busy", code="ServiceUnavailable", http_status=503), {"OrderId": 7}])

    def reconcile():
        answer = next(reads)
        if isinstance(answer, Exception):
            raise answer
        return answer

    rpc, _session = client([requests.exceptions.ReadTimeout("slow")])
    assert rpc.call("CreateCertificateRequest", reconcile=reconcile) == {"OrderId": 7}


def test_confirmation_waits_double_and_fill_the_window():
    assert RetryPolicy().confirm_waits() == [1.0, 2.0, 4.0, 8.0]
    assert RetryPolicy(confirm_window=5).confirm_waits() == [1.0, 2.0, 2.0]
    assert RetryPolicy(confirm_reads=1).confirm_waits() == []


def test_throttled_create_is_retried_without_reconcile():
    rpc, session = client([error(400, "Throttling.User"), ok({"OrderId": 1})])
    answer = rpc.call("CreateCertificateRequest", reconcile=lambda: pytest.fail("throttled calls were not applied"))
    assert answer["OrderId"] == 1 and len(session.urls) == 2


def test_error_fields_from_json_body():
    rpc = rpc_for([error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")])
    with pytest.raises(AlibabaCloudError) as raised:
        rpc.call("DescribePackageState")
    err = raised.value
    assert (err.code, err.request_id, err.http_status, err.action) == (
        "InvalidAccessKeyId.NotFound", "R-ERR", 404, "DescribePackageState")
    assert "Check access_key_id" in str(err) and "RequestId R-ERR" in str(err)
    assert err.to_result()["error"]["recommend"] == "https://example/x"


def test_error_fields_from_xml_body():
    body = ("<?xml version='1.0' encoding='UTF-8'?><Error><RequestId>R-X</RequestId><HostId>alidns.aliyuncs.com"
            "</HostId><Code>InvalidTimeStamp.Expired</Code><Message>Specified time stamp or date value is expired."
            "</Message></Error>")
    rpc = rpc_for([FakeResponse(400, body, {"Content-Type": "text/xml;charset=utf-8"})])
    with pytest.raises(AlibabaCloudError) as raised:
        rpc.call("DescribeDomains")
    assert raised.value.code == "InvalidTimeStamp.Expired" and raised.value.request_id == "R-X"
    assert "Synchronise this host's clock" in str(raised.value)


@pytest.mark.parametrize("code, advice", [
    ("SignatureDoesNotMatch", "check access_key_secret"), ("Forbidden.RAM", "Grant it"),
    ("InvalidSecurityToken.Expired", "Request new STS credentials"),
])
def test_common_codes_say_what_to_fix(code, advice):
    rpc = rpc_for([error(400, code)])
    with pytest.raises(AlibabaCloudError) as raised:
        rpc.call("X")
    assert advice in str(raised.value)


def test_request_id_falls_back_to_header_and_non_json_body():
    bad_gateway = FakeResponse(502, "<html>bad gateway</html>", {"x-acs-request-id": "R-H", "Content-Type": "text/html"})
    rpc = rpc_for([bad_gateway], RetryPolicy(max_attempts=1))
    with pytest.raises(AlibabaCloudError) as raised:
        rpc.call("X")
    assert raised.value.request_id == "R-H" and raised.value.message == "HTTP 502"


def test_network_errors_never_show_the_query():
    url = "https://cas.example/?AccessKeyId=AKID&SecurityToken=%s&Signature=abc" % TOKEN
    failure = requests.exceptions.ConnectionError("HTTPSConnectionPool(host='x', port=1): Max retries exceeded "
                                                  "with url: /?%s (Caused by X)" % url.split("?")[1])
    rpc = rpc_for([failure], RetryPolicy(max_attempts=1), token=TOKEN)
    with pytest.raises(NetworkError) as raised:
        rpc.call("X")
    text = str(raised.value) + repr(raised.value.to_result())
    assert TOKEN not in text and "Signature=abc" not in text and "Caused by X" in text


def test_tls_failure_explains_ca_path_and_is_not_retried():
    rpc, session = client([requests.exceptions.SSLError("certificate verify failed"), ok()])
    with pytest.raises(CertificateVerificationError, match="Pass ca_path"):
        rpc.call("X")
    assert len(session.urls) == 1


# --- Deployment products: endpoints and the form-body mode (issue 18) ------------------

@pytest.mark.parametrize("product, site, region, expected", [
    ("cdn", "china", None, "https://cdn.aliyuncs.com"),
    ("cdn", "international", None, "https://cdn.ap-southeast-1.aliyuncs.com"),
    ("dcdn", "international", None, "https://dcdn.aliyuncs.com"),
    ("clb", "china", "cn-hangzhou", "https://slb.aliyuncs.com"),
    ("clb", "china", "cn-chengdu", "https://slb.cn-chengdu.aliyuncs.com"),
    ("clb", "china", "cn-huhehaote-nebula-1", "https://slb-api.cn-qingdao-nebula.aliyuncs.com"),
    ("alb", "china", "cn-hangzhou", "https://alb.cn-hangzhou.aliyuncs.com"),
    ("nlb", "international", "eu-central-1", "https://nlb.eu-central-1.aliyuncs.com"),
])
def test_product_default_endpoints_are_the_real_hosts(product, site, region, expected):
    endpoint = _transport.product_endpoint(product, site=site, region=region, environ={})
    assert (endpoint.url, endpoint.setting) == (expected, None)


def test_product_endpoint_option_wins_over_environment_and_fills_region():
    environ = {"ALIBABA_CLOUD_ALB_ENDPOINT": "https://env.test"}
    option = _transport.product_endpoint("alb", "http://127.0.0.1:9", region="cn-beijing", environ=environ)
    assert (option.url, option.setting) == ("http://127.0.0.1:9", "alb_endpoint")
    env = _transport.product_endpoint("alb", None, region="cn-beijing", environ=environ)
    assert (env.url, env.setting) == ("https://env.test", "ALIBABA_CLOUD_ALB_ENDPOINT")
    placeholder = _transport.product_endpoint("nlb", "nlb.{region}.example.test", region="eu-west-1", environ={})
    assert placeholder.url == "https://nlb.eu-west-1.example.test"


def test_global_product_refuses_region_placeholder_and_regional_needs_region():
    from ansible_collections.alicloud.cas.plugins.module_utils._errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="cdn_endpoint"):
        _transport.product_endpoint("cdn", "cdn.{region}.test", environ={})
    with pytest.raises(ConfigurationError, match="needs a region"):
        _transport.product_endpoint("clb", None, region=None, environ={})


def test_product_versions_match_the_pinned_sdks():
    assert _transport.PRODUCT_VERSIONS == {"cdn": "2018-05-10", "dcdn": "2018-01-15", "clb": "2014-05-15",
                                           "alb": "2020-06-16", "nlb": "2022-04-30"}


class RecordingSession:
    """A real session that remembers what each post sent."""

    def __init__(self):
        self.session = requests.Session()
        self.sent = []

    def post(self, url, **kwargs):
        self.sent.append((url, kwargs))
        return self.session.post(url, **kwargs)


@pytest.fixture(scope="module")
def emu():
    from tests.emulator import running_emulator

    yield from running_emulator(seed="demo")


@pytest.mark.parametrize("signature_version", ["v2", "v3"])
def test_form_body_mode_is_accepted_by_the_gateway_and_keeps_parameters_out_of_the_url(emu, signature_version):
    recording = RecordingSession()
    credentials = Credentials("LTAI5tEmulatorDemoKey01", "EmulatorDemoSecret0123456789abc")
    rpc = RpcClient(emu.base_url, _transport.CAS_VERSION, credentials, session=recording, verify=emu.ca_path, retry_policy=RetryPolicy(max_attempts=1),
                    signature_version=signature_version, form_body=True)
    answer = rpc.call("ListUserCertificateOrder", {"OrderType": "CPACK", "Keyword": "no such name here", "ShowSize": 5})
    assert answer["TotalCount"] == 0
    url, kwargs = recording.sent[-1]
    assert "Keyword" not in url and "ShowSize" not in url
    body = urllib.parse.parse_qs(kwargs["data"].decode())
    assert body["Keyword"] == ["no such name here"] and body["ShowSize"] == ["5"]
    assert kwargs["headers"]["Content-Type"] == "application/x-www-form-urlencoded"


def test_form_body_v3_hashes_the_body():
    import hashlib

    rpc = RpcClient("https://nlb.example.test", "2022-04-30", Credentials("id", "secret"), session=object(),
                    signature_version="v3", form_body=True)
    url, extra = rpc._signed_request("ListListenerCertificates", {"ListenerId": "lsn-1", "MaxResults": 50},
                                     Credentials("id", "secret"), in_body=True)
    assert url == "https://nlb.example.test/"
    assert extra["headers"]["x-acs-content-sha256"] == hashlib.sha256(extra["data"]).hexdigest()
    assert "content-type" in extra["headers"]["Authorization"]


def test_form_body_per_call_override_for_a_private_key():
    rpc = RpcClient("https://slb.example.test", "2014-05-15", Credentials("id", "secret"), session=object())
    url, extra = rpc._signed_request("UploadServerCertificate", {"PrivateKey": "KEY"}, Credentials("id", "secret"),
                                     in_body=True)
    assert "PrivateKey" not in url and b"PrivateKey=KEY" in extra["data"]
