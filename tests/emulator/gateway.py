"""The API gateway: common-parameter checks, authentication, faults, dispatch, rendering.

Checks run in the order Alibaba's gateway applies them (see README), so a request with
several problems reports the same one the real service would. Two signing schemes are
accepted: V2 (everything in the parameters) and V3 (``ACS3-HMAC-SHA256``, in headers).
"""

import dataclasses
import datetime
import time
import uuid

from . import render, signature
from .errors import ApiError, missing_parameter
from .faults import FaultInjector, ProductGuards
from .state import AccessKey, Caller, State

COMMON_REQUIRED = ("Action", "Version", "AccessKeyId", "Signature", "SignatureMethod",
                   "SignatureVersion", "SignatureNonce", "Timestamp")
# V3 carries the common parameters as headers; checked in this order, like V2's.
V3_REQUIRED = ("x-acs-action", "x-acs-version", "authorization", "x-acs-signature-nonce", "x-acs-date",
               "x-acs-content-sha256")
MAX_CLOCK_SKEW = datetime.timedelta(minutes=15)
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@dataclasses.dataclass
class ApiRequest:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, list[str]]  # lower-case name -> every value sent
    body: bytes = b""

    @property
    def params(self) -> dict[str, str]:
        """Query and form parameters merged; the body wins on a clash."""
        return {**self.query, **self.form}

    def header(self, name: str) -> str:
        return signature.combined_header_value(self.headers[name]) if name in self.headers else ""

    @property
    def is_v3(self) -> bool:
        """An Authorization header, or V3's action header without a V2 signature (the tea
        SDK sends ``x-acs-action`` with V2 too, next to ``Signature``)."""
        return "authorization" in self.headers or ("x-acs-action" in self.headers and "Signature" not in self.params)


@dataclasses.dataclass(frozen=True)
class _Envelope:
    """What either signing scheme says about the call: who, which action, which nonce."""

    action: str
    version: str
    access_key_id: str | None
    signature_version: str


@dataclasses.dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    drop: bool = False  # close the connection without answering


class Gateway:
    def __init__(self, state: State, services: list, faults: FaultInjector) -> None:
        self.state = state
        self.faults = faults
        self.by_version = {service.version: service for service in services}
        # Documented QPS limits and RAM refusals of the deployment products (faults.py).
        self.guards = ProductGuards()

    def handle(self, request: ApiRequest) -> Reply:
        request_id = str(uuid.uuid4()).upper()
        params = request.params
        envelope = _envelope(request)
        action = envelope.action
        service = self._service_for(action, envelope.version)
        # V3 has no Format parameter and the SDK parses JSON; an explicit Format still counts.
        as_json = render.wants_json(params, default="JSON" if request.is_v3 else "XML")
        call = {
            "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds"),
            "method": request.method, "action": action, "version": envelope.version or None,
            "product": service.product, "access_key_id": envelope.access_key_id, "account_id": None,
            "signature_version": envelope.signature_version,
            "status": None, "error_code": None, "fault": None, "request_id": request_id,
            # Where each of the action's own parameters travelled (names only, never values, and
            # not the signing envelope): a private key must be in the form body, never in a URL.
            "query_params": _action_params(request.query), "body_params": _action_params(request.form),
        }
        lose_response = False
        try:
            caller = self._authenticate_v3(request) if request.is_v3 else self._authenticate(request.method, params)
            call["account_id"] = caller.account_id
            handler = self._resolve(action, envelope.version)
            with self.state.lock:
                refusal = self.guards.check(service, caller, action)
                decision = self.faults.decide(caller.account_id, action) if refusal is None else None
            if refusal is not None:
                call["fault"] = "ram_denied" if refusal.status == 403 else "qps"
                raise refusal
            call["fault"] = decision.kind
            lose_response = decision.lose_response
            if decision.delay:
                time.sleep(decision.delay)
            if decision.drop:
                reply = Reply(0, {}, b"", drop=True)
            else:
                if decision.error is not None:
                    raise decision.error
                payload = {"RequestId": request_id, **handler(caller, params)}
                data, content_type = render.body(f"{action}Response", payload, as_json)
                reply = Reply(200, {"Content-Type": content_type, "x-acs-request-id": request_id}, data)
        except ApiError as error:
            reply = self.error_reply(error, service, request_id, as_json)
            call["error_code"] = error.code
        # A lost response was processed (and is logged with its status) but never sent.
        reply.drop = reply.drop or lose_response
        call["status"] = reply.status or None
        with self.state.lock:
            self.state.log_call(call)
        return reply

    def _service_for(self, action: str, version: str):
        """Product whose HostId/Recommend an error names, even before Version is checked."""
        service = self.by_version.get(version)
        if service is None:
            service = next((s for s in self.by_version.values() if action in s.actions),
                           next(iter(self.by_version.values())))
        return service

    def _authenticate(self, method: str, params: dict) -> Caller:
        for name in COMMON_REQUIRED:
            if not params.get(name):
                raise missing_parameter(name)
        if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
            raise incomplete_signature()

        key = self._known_key(params["AccessKeyId"], params.get("SecurityToken", ""))
        _check_timestamp(params["Timestamp"])

        expected_string = signature.string_to_sign(method, params)
        expected = signature.sign(expected_string, key.access_key_secret)
        if not signature.signature_matches(params["Signature"], expected):
            raise ApiError(400, "SignatureDoesNotMatch",
                           "Specified signature does not match our calculation. "
                           f"server string to sign is:{expected_string}")
        return self._use_nonce(key, params["SignatureNonce"])

    def _authenticate_v3(self, request: ApiRequest) -> Caller:
        for name in V3_REQUIRED:
            if not request.header(name):
                raise missing_parameter(_V3_HEADER_NAMES.get(name, name))
        authorization = signature.parse_v3_authorization(request.header("authorization"))
        if authorization is None:
            raise incomplete_signature()
        must_sign = ["host"] + [name for name in request.headers
                                if name.startswith("x-acs-") or name == "content-type"]
        unsigned = [name for name in must_sign if name not in authorization.signed_headers]
        if unsigned:
            raise incomplete_signature(f"Header {unsigned[0]} must be in SignedHeaders.")

        key = self._known_key(authorization.access_key_id, request.header("x-acs-security-token"))
        _check_timestamp(request.header("x-acs-date"))

        # The body's own hash, not the x-acs-content-sha256 claim: a mismatch then fails here.
        canonical = signature.canonical_request_v3(
            request.method, request.path, request.query,
            {name: request.header(name) for name in authorization.signed_headers},
            authorization.signed_headers, signature.payload_hash(request.body))
        expected_string = signature.string_to_sign_v3(canonical)
        expected = signature.sign_v3(expected_string, key.access_key_secret)
        if not signature.signature_matches(authorization.signature, expected):
            raise ApiError(400, "SignatureDoesNotMatch",
                           "Specified signature does not match our calculation. "
                           f"server canonical request is:{canonical} "
                           f"server string to sign is:{expected_string}")
        return self._use_nonce(key, request.header("x-acs-signature-nonce"))

    def _known_key(self, access_key_id: str, security_token: str) -> AccessKey:
        with self.state.lock:
            key = self.state.keys.get(access_key_id)
            if key is None:
                raise ApiError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
            self._check_security_token(key, security_token)
        return key

    def _use_nonce(self, key: AccessKey, nonce: str) -> Caller:
        # One nonce space per key for both schemes: a V2 nonce cannot be replayed as V3.
        with self.state.lock:
            if not self.state.use_nonce(key.access_key_id, nonce):
                raise ApiError(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
        return Caller(account_id=key.account_id, access_key_id=key.access_key_id)

    def _check_security_token(self, key, token: str) -> None:
        mismatch = ApiError(400, "InvalidSecurityToken.MismatchWithAccessKey",
                            "Specified SecurityToken mismatch with the AccessKey.")
        if key.security_token is None:
            if token:
                raise mismatch
            return
        if not token:
            raise mismatch
        if token != key.security_token:
            known = any(k.security_token == token for k in self.state.keys.values())
            if known:
                raise mismatch
            raise ApiError(400, "InvalidSecurityToken.Malformed", "Specified SecurityToken is malformed.")
        if key.expiration is not None and key.expiration <= time.time():
            raise ApiError(400, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")

    def _resolve(self, action: str, version: str):
        if not any(action in s.actions for s in self.by_version.values()):
            raise ApiError(404, "InvalidAction.NotFound",
                           "Specified api is not found, please check your url and method.")
        service = self.by_version.get(version)
        if service is None:
            raise ApiError(400, "InvalidVersion", "Specified parameter Version is not valid.")
        if action not in service.actions:
            raise ApiError(404, "InvalidAction.NotFound",
                           "Specified api is not found, please check your url and method.")
        return service.actions[action]

    @staticmethod
    def error_reply(error: ApiError, service, request_id: str, as_json: bool) -> Reply:
        payload = {
            "RequestId": request_id, "HostId": service.host_id, "Code": error.code, "Message": error.message,
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={error.code}&product={service.product}"
                         f"&requestId={request_id}",
            **getattr(error, "body_fields", {}),
        }
        data, content_type = render.body("Error", payload, as_json)
        headers = {"Content-Type": content_type, "x-acs-request-id": request_id, **error.headers}
        return Reply(error.status, headers, data)


# Header names as the V3 documentation spells them, for MissingParameter messages.
_V3_HEADER_NAMES = {"authorization": "Authorization"}


def _envelope(request: ApiRequest) -> _Envelope:
    if not request.is_v3:
        params = request.params
        return _Envelope(params.get("Action", ""), params.get("Version", ""), params.get("AccessKeyId"), "v2")
    authorization = signature.parse_v3_authorization(request.header("authorization"))
    return _Envelope(request.header("x-acs-action"), request.header("x-acs-version"),
                     authorization.access_key_id if authorization else None, "v3")


def _check_timestamp(value: str) -> None:
    """V2's ``Timestamp`` and V3's ``x-acs-date`` share one format and one window."""
    try:
        stamp = datetime.datetime.strptime(value, TIMESTAMP_FORMAT).replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        raise ApiError(400, "InvalidTimeStamp.Format",
                       "Specified time stamp or date value is not well formatted.") from None
    if abs(datetime.datetime.now(datetime.timezone.utc) - stamp) > MAX_CLOCK_SKEW:
        raise ApiError(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")


def incomplete_signature(detail: str = "") -> ApiError:
    message = "The request signature does not conform to Aliyun standards."
    return ApiError(400, "IncompleteSignature", f"{message} {detail}".strip())


# The common parameters of a V2 request (its envelope), left out of the call log's parameter names.
_ENVELOPE_PARAMS = frozenset(("Action", "Version", "Format", "AccessKeyId", "SecurityToken", "Timestamp",
                              "SignatureMethod", "SignatureVersion", "SignatureNonce", "SignatureType", "Signature"))


def _action_params(params: dict) -> list:
    return sorted(name for name in params if name not in _ENVELOPE_PARAMS)
