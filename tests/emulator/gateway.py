"""The API gateway: common-parameter checks, authentication, faults, dispatch, rendering.

Checks run in the order Alibaba's gateway applies them (see README), so a request with
several problems reports the same one the real service would.
"""

import dataclasses
import datetime
import time
import uuid

from . import render, signature
from .errors import ApiError, missing_parameter
from .faults import FaultInjector
from .state import Caller, State

COMMON_REQUIRED = ("Action", "Version", "AccessKeyId", "Signature", "SignatureMethod",
                   "SignatureVersion", "SignatureNonce", "Timestamp")
MAX_CLOCK_SKEW = datetime.timedelta(minutes=15)
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


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

    def handle(self, method: str, params: dict[str, str]) -> Reply:
        request_id = str(uuid.uuid4()).upper()
        action = params.get("Action", "")
        service = self._service_for(params)
        call = {
            "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds"),
            "method": method, "action": action, "version": params.get("Version"),
            "product": service.product, "access_key_id": params.get("AccessKeyId"), "account_id": None,
            "status": None, "error_code": None, "fault": None, "request_id": request_id,
        }
        lose_response = False
        try:
            caller = self._authenticate(method, params)
            call["account_id"] = caller.account_id
            handler = self._resolve(action, params["Version"])
            with self.state.lock:
                decision = self.faults.decide(caller.account_id, action)
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
                data, content_type = render.body(f"{action}Response", payload, render.wants_json(params))
                reply = Reply(200, {"Content-Type": content_type, "x-acs-request-id": request_id}, data)
        except ApiError as error:
            reply = self.error_reply(error, service, request_id, params)
            call["error_code"] = error.code
        # A lost response was processed (and is logged with its status) but never sent.
        reply.drop = reply.drop or lose_response
        call["status"] = reply.status or None
        with self.state.lock:
            self.state.log_call(call)
        return reply

    def _service_for(self, params: dict):
        """Product whose HostId/Recommend an error names, even before Version is checked."""
        service = self.by_version.get(params.get("Version", ""))
        if service is None:
            action = params.get("Action", "")
            service = next((s for s in self.by_version.values() if action in s.actions),
                           next(iter(self.by_version.values())))
        return service

    def _authenticate(self, method: str, params: dict) -> Caller:
        for name in COMMON_REQUIRED:
            if not params.get(name):
                raise missing_parameter(name)
        if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
            raise ApiError(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")

        with self.state.lock:
            key = self.state.keys.get(params["AccessKeyId"])
            if key is None:
                raise ApiError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
            self._check_security_token(key, params.get("SecurityToken", ""))

        try:
            stamp = datetime.datetime.strptime(params["Timestamp"], TIMESTAMP_FORMAT).replace(
                tzinfo=datetime.timezone.utc)
        except ValueError:
            raise ApiError(400, "InvalidTimeStamp.Format",
                           "Specified time stamp or date value is not well formatted.") from None
        if abs(datetime.datetime.now(datetime.timezone.utc) - stamp) > MAX_CLOCK_SKEW:
            raise ApiError(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")

        expected_string = signature.string_to_sign(method, params)
        expected = signature.sign(expected_string, key.access_key_secret)
        if not signature.signature_matches(params["Signature"], expected):
            raise ApiError(400, "SignatureDoesNotMatch",
                           "Specified signature does not match our calculation. "
                           f"server string to sign is:{expected_string}")

        with self.state.lock:
            if not self.state.use_nonce(key.access_key_id, params["SignatureNonce"]):
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
    def error_reply(error: ApiError, service, request_id: str, params: dict) -> Reply:
        payload = {
            "RequestId": request_id, "HostId": service.host_id, "Code": error.code, "Message": error.message,
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={error.code}&product={service.product}"
                         f"&requestId={request_id}",
        }
        data, content_type = render.body("Error", payload, render.wants_json(params))
        headers = {"Content-Type": content_type, "x-acs-request-id": request_id, **error.headers}
        return Reply(error.status, headers, data)
