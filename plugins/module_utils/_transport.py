# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""Signed RPC calls over one requests.Session, with the collection's single retry policy."""

from __future__ import annotations

import ipaddress
import random
import re
import sys
import time
import uuid

from ansible_collections.alicloud.cas.plugins.module_utils._errors import (
    AlibabaCloudError,
    CertificateVerificationError,
    ConfigurationError,
    NetworkError,
    RequestNotSentError,
    parse_error_body,
)
from ansible_collections.alicloud.cas.plugins.module_utils._signer import (
    SIGNATURE_METHOD,
    SIGNATURE_VERSION,
    authorization_v3,
    canonical_query,
    hashed_payload,
    sign_rpc,
    signed_query,
    signed_v3_request,
    utc_timestamp,
)

try:
    import requests
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the module glue
    requests = None
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc

# galaxy.yml holds the version; scripts/release.sh writes it here too (modules cannot read galaxy.yml
# at run time) and `make galaxy` fails when the two differ.
COLLECTION_VERSION = "0.5.0"

_QUERY = re.compile(r"\?[^\s)'\"]*")

CAS_VERSION = "2020-04-07"
ALIDNS_VERSION = "2015-01-09"
CAS_HOST = "cas.aliyuncs.com"
CAS_INTERNATIONAL_HOST = "cas.ap-southeast-1.aliyuncs.com"
# The site is the account's, not a region's: an international-site account uses its host
# whatever region it works in, so it is asked for rather than guessed.
CAS_SITE_HOSTS = {"china": CAS_HOST, "international": CAS_INTERNATIONAL_HOST}
ALIDNS_HOST = "alidns.aliyuncs.com"
CAS_ENDPOINT_ENV = "ALIBABA_CLOUD_CAS_ENDPOINT"
DNS_ENDPOINT_ENV = "ALIBABA_CLOUD_DNS_ENDPOINT"

# The deployment products (issue 18). API versions as the pinned SDKs send them.
CDN_VERSION = "2018-05-10"
DCDN_VERSION = "2018-01-15"
SLB_VERSION = "2014-05-15"
ALB_VERSION = "2020-06-16"
NLB_VERSION = "2022-04-30"
PRODUCT_VERSIONS = {"cdn": CDN_VERSION, "dcdn": DCDN_VERSION, "clb": SLB_VERSION, "alb": ALB_VERSION,
                    "nlb": NLB_VERSION}
# CDN's host follows the site, as the SDK's _endpoint_map sends every international region to
# the ap-southeast-1 host; DCDN has one host.
CDN_SITE_HOSTS = {"china": "cdn.aliyuncs.com", "international": "cdn.ap-southeast-1.aliyuncs.com"}
DCDN_HOST = "dcdn.aliyuncs.com"
# alibabacloud_slb20140515 client._endpoint_map: these regions answer on the central host;
# every other region on slb.<region>.aliyuncs.com (the SDK's "regional" rule).
SLB_CENTRAL_REGIONS = frozenset((
    "cn-qingdao", "cn-beijing", "cn-hangzhou", "cn-shanghai", "cn-shenzhen", "cn-hongkong", "ap-southeast-1",
    "us-east-1", "us-west-1", "cn-shanghai-finance-1", "cn-shenzhen-finance-1", "cn-north-2-gov-1",
    "ap-northeast-2-pop", "cn-beijing-finance-pop", "cn-beijing-gov-1", "cn-beijing-nu16-b01", "cn-edge-1",
    "cn-fujian", "cn-haidian-cm12-c01", "cn-hangzhou-bj-b01", "cn-hangzhou-finance", "cn-hangzhou-internal-prod-1",
    "cn-hangzhou-internal-test-1", "cn-hangzhou-internal-test-2", "cn-hangzhou-internal-test-3",
    "cn-hangzhou-test-306", "cn-hongkong-finance-pop", "cn-shanghai-et15-b01", "cn-shanghai-et2-b01",
    "cn-shanghai-inner", "cn-shanghai-internal-test-1", "cn-shenzhen-inner", "cn-shenzhen-st4-d01",
    "cn-shenzhen-su18-b01", "cn-wuhan", "cn-yushanfang", "cn-zhangbei", "cn-zhangbei-na61-b01",
    "cn-zhangjiakou-na62-a01", "cn-zhengzhou-nebula-1", "eu-west-1-oxs", "rus-west-1-pop",
))
SLB_SPECIAL_HOSTS = {"cn-huhehaote-nebula-1": "slb-api.cn-qingdao-nebula.aliyuncs.com"}
REGIONAL_PRODUCTS = ("clb", "alb", "nlb")
DEPLOYMENT_PRODUCTS = ("cdn", "dcdn", "clb", "alb", "nlb")
_REGION = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def product_endpoint_env(product):
    """ALIBABA_CLOUD_CDN_ENDPOINT and so on."""
    return "ALIBABA_CLOUD_%s_ENDPOINT" % product.upper()


def _default_product_host(product, site, region):
    if product == "cdn":
        return CDN_SITE_HOSTS[site]
    if product == "dcdn":
        return DCDN_HOST
    if product == "clb":
        if region in SLB_SPECIAL_HOSTS:
            return SLB_SPECIAL_HOSTS[region]
        return "slb.aliyuncs.com" if region in SLB_CENTRAL_REGIONS else "slb.%s.aliyuncs.com" % region
    return "%s.%s.aliyuncs.com" % (product, region)


def product_endpoint(product, value=None, site="china", region=None, environ=None):
    """The endpoint of a deployment product: the option ``<product>_endpoint``, then
    ALIBABA_CLOUD_<PRODUCT>_ENDPOINT, then the real host (for clb, alb and nlb the region's).

    A set value may hold ``{region}``, replaced by the target's region, so that one setting
    serves several regions; a value without it serves every region.
    """
    if product not in DEPLOYMENT_PRODUCTS:
        raise ConfigurationError("Unknown product %r; use one of %s." % (product, ", ".join(DEPLOYMENT_PRODUCTS)))
    if site not in CAS_SITE_HOSTS:
        raise ConfigurationError("site must be one of %s, got %r." % (", ".join(CAS_SITE_HOSTS), site), "site")
    regional = product in REGIONAL_PRODUCTS
    if regional and (not region or not _REGION.match(region)):
        raise ConfigurationError("A %s target needs a region such as cn-hangzhou, got %r." % (product, region))
    option, env_name = "%s_endpoint" % product, product_endpoint_env(product)
    setting, name = (value, option) if value else ((environ or {}).get(env_name), env_name)
    if not setting:
        return Endpoint("https://" + _default_product_host(product, site, region))
    if "{region}" in setting:
        if not regional:
            raise ConfigurationError(
                "%s is a global API; remove the {region} placeholder from %s." % (product, name), option=option)
        setting = setting.replace("{region}", region)
    return Endpoint(normalize_endpoint(setting, option=name), name)


# Codes that mean "not done, try again later". Throttling is matched by prefix because
# the gateway uses several spellings (Throttling, Throttling.User, Throttling.Api ...).
RETRYABLE_CODES = frozenset((
    "ServiceUnavailable", "InternalError", "UnknownError", "LastOperationNotFinished", "DnsSystemBusyness",
))


def _is_throttling(code):
    return bool(code) and (code.startswith("Throttling") or code == "Rejected.Throttling")


def user_agent():
    return "alicloud.cas/%s (requests/%s; python/%s)" % (
        COLLECTION_VERSION, getattr(requests, "__version__", "?"), "%d.%d.%d" % sys.version_info[:3])


def normalize_endpoint(endpoint, option="endpoint"):
    """A base URL with scheme, host and optional port; a bare host means HTTPS."""
    value = endpoint.strip().rstrip("/")
    if "://" not in value:
        value = "https://" + value
    scheme, rest = value.split("://", 1)
    if scheme.lower() not in ("https", "http"):
        raise ConfigurationError(
            "%s must be an http:// or https:// URL, got scheme %r. Use for example"
            " https://cas.aliyuncs.com." % (option, scheme), option=option)
    if not rest or "/" in rest or "?" in rest or "@" in rest:
        raise ConfigurationError(
            "%s must be a base URL with only scheme, host and port (no path, query or user"
            " info), got %r." % (option, endpoint), option=option)
    return "%s://%s" % (scheme.lower(), rest)


class Endpoint:
    """A normalised base URL and the setting it came from (None for the built-in default)."""

    def __init__(self, url, setting=None):
        self.url = url
        self.setting = setting

    def cleartext_warning(self):
        """Why this endpoint is unsafe, for a module warning, or None.

        Plain HTTP to another host carries every signed request, the STS token with it, and
        every answer (private keys included) readable by anyone on the path. Loopback stays
        silent: that is an emulator or a local TLS-terminating proxy.
        """
        scheme, host = self.url.split("://", 1)
        if scheme != "http" or _is_loopback(host):
            return None
        return ("%s is %s: plain HTTP sends the signed requests, any STS security token and the"
                " answers (private keys included) in clear text. Use an https:// endpoint."
                % (self.setting, self.url))


def _is_loopback(netloc):
    host = netloc.rsplit("]", 1)[0].lstrip("[") if netloc.startswith("[") else netloc.rsplit(":", 1)[0]
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _endpoint(value, option, environ, env_name, default_url):
    if value:
        return Endpoint(normalize_endpoint(value, option=option), option)
    if (environ or {}).get(env_name):
        return Endpoint(normalize_endpoint(environ[env_name], option=env_name), env_name)
    return Endpoint(default_url)


def cas_endpoint(endpoint=None, site="china", environ=None):
    """The CAS endpoint: the option, then ALIBABA_CLOUD_CAS_ENDPOINT, then the site's host."""
    if site not in CAS_SITE_HOSTS:
        raise ConfigurationError("site must be one of %s, got %r." % (", ".join(CAS_SITE_HOSTS), site), "site")
    return _endpoint(endpoint, "cas_endpoint", environ, CAS_ENDPOINT_ENV, "https://" + CAS_SITE_HOSTS[site])


def alidns_endpoint(endpoint=None, environ=None):
    """The Alidns endpoint: the option, then ALIBABA_CLOUD_DNS_ENDPOINT, then the one host of both sites."""
    return _endpoint(endpoint, "dns_endpoint", environ, DNS_ENDPOINT_ENV, "https://" + ALIDNS_HOST)


class RetryPolicy:
    """Exponential backoff with full jitter, bounded in attempts and in total time.

    The wait before attempt n+1 is uniform in [0, min(max_delay, base_delay * 2**(n-1))].
    A server's x-acs-retry-after is honoured as a lower bound, still capped by max_delay.
    Throttling gets more attempts than other failures: under a sustained per-account limit
    (many hosts sharing one key) six jittered attempts give up within seconds while the
    limit would have let the call through, and a throttled call was never applied.

    A chargeable call whose answer was lost is never sent again (see ``RpcClient.call``);
    its effect is looked for instead, with ``confirm_reads`` reads spread over about
    ``confirm_window`` seconds: lists are eventually consistent and may trail a write.
    """

    def __init__(self, max_attempts=6, max_throttled_attempts=12, base_delay=0.5, max_delay=10.0,
                 total_timeout=90.0, rng=None, confirm_reads=5, confirm_window=15.0):
        self.max_attempts = max_attempts
        self.max_throttled_attempts = max_throttled_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.total_timeout = total_timeout
        self.confirm_reads = confirm_reads
        self.confirm_window = confirm_window
        self._rng = rng or random.random

    def delay(self, attempt, retry_after=None):
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        wait = self._rng() * ceiling
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_delay))
        return wait

    @staticmethod
    def is_retryable(error):
        """Whether a failed attempt may be repeated as it is."""
        if isinstance(error, NetworkError):
            return True
        if _is_throttling(error.code) or error.code in RETRYABLE_CODES:
            return True
        return error.http_status is not None and error.http_status >= 500

    def attempts_for(self, error):
        """How many attempts a call may make, given the failure it has just met."""
        return self.max_throttled_attempts if self.was_rejected(error) else self.max_attempts

    @staticmethod
    def was_rejected(error):
        """True when the service certainly did not apply the request (it was throttled)."""
        return not isinstance(error, NetworkError) and _is_throttling(error.code)

    @staticmethod
    def may_have_been_applied(error):
        """True when a failed attempt may still have taken effect, so that it must not be repeated.

        Only a connection that was never made and a throttled request are known not to
        have reached the service. A read timeout, a connection dropped after the request
        was written and a 5xx answer all leave the outcome unknown.
        """
        if isinstance(error, RequestNotSentError) or RetryPolicy.was_rejected(error):
            return False
        return RetryPolicy.is_retryable(error)

    def confirm_waits(self):
        """The pauses between the reads that look for a write's effect: doubling from 1 s
        (with the default base_delay) and together filling ``confirm_window``.

        Not jittered: these are reads of the caller's own account, not a retry storm."""
        waits, total = [], 0.0
        for read in range(1, self.confirm_reads):
            wait = min(self.max_delay, self.base_delay * (2 ** read), self.confirm_window - total)
            if wait <= 0:
                break
            waits.append(wait)
            total += wait
        return waits


SIGNATURE_VERSIONS = ("v2", "v3")
_EXPIRED_TOKEN = "InvalidSecurityToken.Expired"


class RpcClient:
    """One product's API at one base URL, signed with one identity.

    ``credentials`` is a Credentials, or a CredentialsProvider that is asked for current
    credentials at each attempt (and renews those that can be renewed).
    ``signature_version`` is ``v2`` (HMAC-SHA1, everything in the query) or ``v3``
    (ACS3-HMAC-SHA256, parameters in the query, Action, Version and signature in headers).
    """

    def __init__(self, endpoint, version, credentials, session=None, timeout=30, verify=True,
                 retry_policy=None, sleep=time.sleep, clock=time.monotonic, signature_version="v2", form_body=False):
        if signature_version not in SIGNATURE_VERSIONS:
            raise ConfigurationError(
                "signature_version must be v2 or v3, got %r." % (signature_version,), option="signature_version")
        self.endpoint = endpoint
        self.version = version
        self.signature_version = signature_version
        # form_body: the action's parameters travel in an application/x-www-form-urlencoded body
        # instead of the query, as NLB's SDK sends them; also keeps a private key out of URLs.
        self.form_body = form_body
        if not hasattr(credentials, "current"):
            # Imported here because _credentials imports this module (for requests).
            from ansible_collections.alicloud.cas.plugins.module_utils._credentials import CredentialsProvider
            credentials = CredentialsProvider(credentials)
        self.credentials_provider = credentials
        self.timeout = timeout
        self.verify = verify
        self.retry_policy = retry_policy or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        if session is None:
            session = requests.Session()
            session.headers["User-Agent"] = user_agent()
        self.session = session

    def call(self, action, params=None, reconcile=None, form_body=None):
        """Call ``action`` and return the decoded JSON answer.

        Without ``reconcile`` the call is treated as idempotent and retried under the
        policy. With ``reconcile`` (for calls that create something chargeable) the call
        is sent again only when it provably never reached the service (no connection was
        made, or it was throttled). After any other failure it is never sent again:
        ``reconcile()`` is asked, over the policy's confirmation window, for the effect of
        the lost call, and its first non-None answer is the result. When it finds nothing,
        the failure is raised; the caller must report that the outcome is unknown.

        ``form_body`` (default: the client's) sends the parameters in the form body; pass True
        for a call that carries a private key, whatever the product.
        """
        params = params or {}
        in_body = self.form_body if form_body is None else form_body
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(action, params, in_body)
            except AlibabaCloudError as error:
                error.attempts = attempt
                if not self.retry_policy.is_retryable(error):
                    raise
                if reconcile is not None and self.retry_policy.may_have_been_applied(error):
                    found = self.poll(reconcile)
                    if found is not None:
                        return found
                    raise
                wait = self.retry_policy.delay(attempt, error.retry_after)
                out_of_attempts = attempt >= self.retry_policy.attempts_for(error)
                out_of_time = self._clock() - started + wait > self.retry_policy.total_timeout
                if out_of_attempts or out_of_time:
                    if attempt > 1:
                        error.args = ("%s (gave up after %d attempts in %.1f s)" % (
                            error.message, attempt, self._clock() - started),)
                    raise
                self._sleep(wait)

    def poll(self, probe):
        """``probe()`` until it returns something other than None, over the policy's
        confirmation window; its answer, or None. A probe that fails counts as "not yet"."""
        waits = self.retry_policy.confirm_waits()
        for read in range(len(waits) + 1):
            try:
                found = probe()
            except AlibabaCloudError:
                found = None
            if found is not None:
                return found
            if read < len(waits):
                self._sleep(waits[read])
        return None

    @property
    def credentials(self):
        """The credentials the next attempt is signed with."""
        return self.credentials_provider.current()

    def _attempt(self, action, params, in_body=False):
        credentials = self.credentials_provider.current()
        try:
            return self._send(action, params, credentials, in_body)
        except AlibabaCloudError as error:
            if error.code != _EXPIRED_TOKEN:
                raise
            # The gateway refused the request, so nothing was applied and sending it once
            # more with renewed credentials is safe, even for a create.
            renewed = self.credentials_provider.renew_rejected(credentials)
            if renewed is None:
                raise
            return self._send(action, params, renewed, in_body)

    def _signed_request(self, action, params, credentials, in_body=False):
        """(url, extra keyword arguments for post) of one freshly signed attempt."""
        if in_body:
            return self._signed_form_request(action, params, credentials)
        if self.signature_version == "v3":
            query, headers = signed_v3_request("POST", self.endpoint.split("://", 1)[1], action, self.version,
                                               params, credentials)
            return ("%s/?%s" % (self.endpoint, query) if query else self.endpoint + "/"), {"headers": headers}
        return "%s/?%s" % (self.endpoint, signed_query("POST", action, self.version, params, credentials)), {}

    def _signed_form_request(self, action, params, credentials):
        """A request whose action parameters are an application/x-www-form-urlencoded body.

        V2 signs every parameter, query and body alike (the gateway merges them), and the
        query carries only the common ones and the signature. V3 signs the body through its
        SHA-256 in x-acs-content-sha256, and the Content-Type header with the x-acs-* ones.
        """
        body_params = dict((name, _wire(value)) for name, value in params.items() if value is not None)
        body = canonical_query(body_params).encode("ascii")
        content_type = "application/x-www-form-urlencoded"
        if self.signature_version == "v3":
            payload_hash = hashed_payload(body)
            headers = {
                "host": self.endpoint.split("://", 1)[1],
                "content-type": content_type,
                "x-acs-action": action,
                "x-acs-version": self.version,
                "x-acs-date": utc_timestamp(),
                "x-acs-signature-nonce": uuid.uuid4().hex,
                "x-acs-content-sha256": payload_hash,
            }
            if credentials.security_token:
                headers["x-acs-security-token"] = credentials.security_token
            headers["Authorization"] = authorization_v3("POST", {}, headers, payload_hash, credentials)
            headers["Content-Type"] = headers.pop("content-type")
            return self.endpoint + "/", {"headers": headers, "data": body}
        common = {
            "Action": action, "Version": self.version, "Format": "JSON",
            "AccessKeyId": credentials.access_key_id, "SignatureMethod": SIGNATURE_METHOD,
            "SignatureVersion": SIGNATURE_VERSION, "SignatureNonce": uuid.uuid4().hex, "Timestamp": utc_timestamp(),
        }
        if credentials.security_token:
            common["SecurityToken"] = credentials.security_token
        common["Signature"] = sign_rpc("POST", dict(body_params, **common), credentials.access_key_secret)
        return ("%s/?%s" % (self.endpoint, canonical_query(common)),
                {"headers": {"Content-Type": content_type}, "data": body})

    def _send(self, action, params, credentials, in_body=False):
        url, extra = self._signed_request(action, params, credentials, in_body)
        try:
            response = self.session.post(url, timeout=self.timeout, verify=self.verify, **extra)
        except requests.exceptions.SSLError as exc:
            raise CertificateVerificationError(
                "TLS verification of %s failed: %s. Pass ca_path with the CA bundle that signed"
                " the endpoint's certificate; set validate_certs=false only for testing."
                % (self.endpoint, _reason(exc)), action=action)
        except requests.exceptions.ConnectTimeout as exc:
            raise RequestNotSentError("Could not connect to %s within %s s: %s" % (
                self.endpoint, self.timeout, _reason(exc)), action=action)
        except requests.exceptions.Timeout as exc:
            raise NetworkError("No answer from %s within %s s: %s" % (self.endpoint, self.timeout, _reason(exc)),
                               action=action)
        except requests.exceptions.RequestException as exc:
            error_class = RequestNotSentError if _never_connected(exc) else NetworkError
            raise error_class("Could not reach %s: %s" % (self.endpoint, _reason(exc)), action=action)
        return self._decode(action, response)

    @staticmethod
    def _decode(action, response):
        request_id = response.headers.get("x-acs-request-id")
        if response.status_code < 300:
            try:
                return response.json()
            except ValueError:
                raise AlibabaCloudError("The answer was not JSON", http_status=response.status_code,
                                        action=action, request_id=request_id)
        fields = parse_error_body(response.content, response.headers.get("Content-Type", ""))
        retry_after = response.headers.get("x-acs-retry-after")
        retry_after_seconds = None
        if retry_after and retry_after.isdigit():
            retry_after_seconds = int(retry_after) / 1000.0  # darabonba reads it as milliseconds
        raise AlibabaCloudError(
            fields["message"] or "HTTP %d" % response.status_code,
            code=fields["code"], request_id=fields["request_id"] or request_id,
            http_status=response.status_code, action=action, host_id=fields["host_id"],
            recommend=fields["recommend"], retry_after=retry_after_seconds)


def _wire(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _never_connected(exc):
    """True when requests failed before a connection existed (refused, unreachable, DNS):
    urllib3's NewConnectionError, which requests wraps in a ConnectionError."""
    from urllib3.exceptions import NewConnectionError

    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


def _reason(exc):
    """The text of a requests exception with every query string removed.

    requests and urllib3 quote the request URL in their messages, and its query carries the
    signature and any STS token.
    """
    return _QUERY.sub("?<query removed>", str(exc) or type(exc).__name__)
