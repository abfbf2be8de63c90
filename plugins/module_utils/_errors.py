# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""Typed errors raised by the client layers and turned into fail_json in one place."""

from __future__ import annotations

import json
import re
from urllib.parse import quote, quote_plus

# Messages for the codes users meet first, saying what to fix rather than what broke.
HINTS = {
    "InvalidAccessKeyId.NotFound": (
        "The access key ID is not known to Alibaba Cloud. Check access_key_id (or the"
        " ALIBABA_CLOUD_ACCESS_KEY_ID environment variable / profile) and that the key was"
        " not deleted. A key of an international-site account needs site=international."
    ),
    "InvalidAccessKeyId.Inactive": "The access key is disabled. Enable it in the RAM console or use another key.",
    "SignatureDoesNotMatch": (
        "The request signature was rejected. The access key secret does not belong to this"
        " access key ID: check access_key_secret."
    ),
    "IncompleteSignature": "The request signature was rejected. Check access_key_secret.",
    "Forbidden.RAM": (
        "The RAM user or role is not allowed to call this action. Grant it the"
        " AliyunYundunCertFullAccess (CAS) or AliyunDNSFullAccess (Alidns) policy, or a"
        " custom policy with this action."
    ),
    "InvalidTimeStamp.Expired": (
        "The request timestamp is more than 15 minutes away from Alibaba Cloud's clock."
        " Synchronise this host's clock (NTP) and retry."
    ),
    "InvalidSecurityToken.Expired": (
        "The STS security token has expired. Request new STS credentials and pass them as"
        " security_token."
    ),
    "InvalidSecurityToken.Malformed": "The STS security token is malformed. Check security_token.",
    "InvalidSecurityToken.MismatchWithAccessKey": (
        "The STS security token does not belong to this access key. Pass the token issued"
        " together with access_key_id."
    ),
    "SignatureNonceUsed": "A request nonce was reused; this is a client bug or a replayed request.",
    "NotFoundPackage": (
        "This account has no certificate resource plan for the product code. Buy one, or"
        " choose a product_code that has quota (see alicloud.cas.package_info)."
    ),
    "NotRemainCount": (
        "The certificate resource plan for this product code is used up. Buy more quota or"
        " delete failed orders (deleted orders give their quota back)."
    ),
}

# Parameters, headers and fields whose values are secret, as the signer, the gateway and
# the credential sources spell them.
_SECRET_NAMES = (
    "AccessKeySecret", "SecurityToken", "Signature", "PrivateKey", "access_key_secret", "security_token",
    "sts_token", "private_key", "x-acs-security-token", "X-aliyun-ecs-metadata-token",
)
# A name, then what separates it from its value: "=" or ":" (optionally quoted, as in JSON or a
# Python repr), "=" URL-encoded once or more (%3D, %253D: the gateway's string to sign encodes
# the query a second time), or the ">" of an XML element. The value ends at a delimiter of any
# of these forms, "&" URL-encoded included. A letter before the name means another word
# (IncompleteSignature: ...), not a parameter.
_SECRET_VALUE = re.compile(
    r"((?<![A-Za-z])(?:%s)(?:[\"']?\s*[:=]\s*[\"']?|%%(?:25)*3[dD]|>))(?:(?!%%(?:25)*26)[^&\s,;\"'<>])+"
    % "|".join(re.escape(name) for name in _SECRET_NAMES)
)
# SignatureDoesNotMatch quotes what the gateway signed: for V2 its string to sign (the whole
# query, token included), for V3 also its canonical request (one header a line, the token's
# among them) and a two-line string to sign. That only helps someone who also has the
# client's, so it is dropped rather than redacted.
_CANONICAL_REQUEST = re.compile(
    r"((?:server )?canonical request is:?)[\s\S]*?(?=\s+(?:server )?string to sign is|$)", re.IGNORECASE)
_STRING_TO_SIGN = re.compile(
    r"((?:server )?string to sign is:?)\s*[^\s\"'<]*(?:\n[0-9a-fA-F]{64}(?![0-9a-fA-F]))?", re.IGNORECASE)
STRING_TO_SIGN_REMOVED = "<removed: it quotes the request>"


def scrub(text):
    """Remove secret values, and the echo of what the server signed, from text that may quote a request."""
    text = _CANONICAL_REQUEST.sub(r"\1 " + STRING_TO_SIGN_REMOVED, str(text))
    text = _STRING_TO_SIGN.sub(r"\1 " + STRING_TO_SIGN_REMOVED, text)
    return _SECRET_VALUE.sub(r"\1********", text)


def secret_forms(secret):
    """The spellings under which a secret can appear in text: as is, URL-encoded once (with
    %20 or +) and twice, and JSON-escaped."""
    once = quote(secret, safe="")
    return {secret, once, quote(once, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}


# Codes that mean "the RAM policy does not allow this action", as the services spell them
# (Forbidden.RAM from the gateway; NoPermission / Forbidden.NoPermission from the products;
# ALB/NLB's historical "Forbbiden" spelling included).
PERMISSION_CODES = frozenset((
    "Forbidden.RAM", "Forbidden.NoPermission", "Forbbiden.NoPermission", "NoPermission", "Forbidden",
    "Forbidden.AccessDenied", "Forbidden.Unauthorized", "UnauthorizedOperation", "Forbidden.NoRamPermission",
    "Forbidden.SubUser", "Forbidden.RAMUserNotAuthorized",
))


def is_permission_error(error):
    """True when ``error`` is a refusal by the caller's RAM policy."""
    code = getattr(error, "code", None) or ""
    return code in PERMISSION_CODES or code.startswith("NoPermission.") or code.startswith("Forbidden.RAM")


class AlicloudCasError(Exception):
    """Base class of every error this collection raises deliberately."""

    def to_result(self):
        """Structured fields for fail_json; secret-free."""
        return {}


class PartialResultError(AlicloudCasError):
    """A task that failed after doing part of its work: the result still says what was done."""

    def __init__(self, message, result):
        super().__init__(message)
        self.result = result

    def to_result(self):
        return dict(self.result)


class ConfigurationError(AlicloudCasError):
    """Bad or missing user input, found before any call."""

    def __init__(self, message, option=None):
        super().__init__(message)
        self.option = option

    def to_result(self):
        return {"option": self.option} if self.option else {}


class CredentialsError(AlicloudCasError):
    """No usable credentials, or a credential source that could not be read."""

    def __init__(self, message, tried=()):
        super().__init__(message)
        self.tried = list(tried)

    def to_result(self):
        return {"credential_sources_tried": self.tried}


class AlibabaCloudError(AlicloudCasError):
    """An API call that failed: an error answer from the service, or no answer at all."""

    def __init__(self, message, code=None, request_id=None, http_status=None, action=None,
                 host_id=None, recommend=None, retry_after=None, attempts=1):
        super().__init__(scrub(message))
        self.code = code
        self.request_id = request_id
        self.http_status = http_status
        self.action = action
        self.host_id = host_id
        self.recommend = recommend
        self.retry_after = retry_after
        self.attempts = attempts

    @property
    def message(self):
        return self.args[0]

    @property
    def hint(self):
        return HINTS.get(self.code)

    def __str__(self):
        parts = []
        if self.action:
            parts.append("%s failed" % self.action)
        if self.code:
            parts.append("with %s" % self.code)
        head = " ".join(parts) if parts else "Alibaba Cloud call failed"
        text = "%s: %s" % (head, self.message)
        if self.hint:
            text += " " + self.hint
        if self.request_id:
            text += " (RequestId %s)" % self.request_id
        return text

    def to_result(self):
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "request_id": self.request_id,
                "http_status": self.http_status,
                "action": self.action,
                "recommend": self.recommend,
                "attempts": self.attempts,
            }
        }


class NetworkError(AlibabaCloudError):
    """The request got no HTTP answer: connection refused or reset, timeout."""


class RequestNotSentError(NetworkError):
    """No connection was made (refused, unreachable, connect timeout): the service never saw
    the request, so even a chargeable call may be sent again."""


class CertificateVerificationError(AlibabaCloudError):
    """The endpoint's TLS certificate was not trusted. Retrying cannot help, so it is not retried."""


def parse_error_body(body, content_type=""):
    """Read Code/Message/RequestId/HostId/Recommend from a JSON or XML error body.

    Returns a dict with lower-case keys (values may be None). Gateways and SDKs differ in
    key case, so both spellings are accepted.
    """
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    fields = {}
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except ValueError:
            data = {}
        if isinstance(data, dict):
            fields = {k.lower(): v for k, v in data.items()}
    elif stripped.startswith("<") or "xml" in content_type:
        # Imported here: only an error answer without Format=JSON is XML, and every task
        # is a fresh process that would otherwise pay for the import.
        import xml.etree.ElementTree as ET

        try:
            root = ET.fromstring(stripped)
        except ET.ParseError:
            root = None
        if root is not None:
            fields = {child.tag.lower(): (child.text or "") for child in root}
    return {
        "code": fields.get("code"),
        "message": fields.get("message") or fields.get("description") or fields.get("detail"),
        "request_id": fields.get("requestid"),
        "host_id": fields.get("hostid"),
        "recommend": fields.get("recommend"),
    }
