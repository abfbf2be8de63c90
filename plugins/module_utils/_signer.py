# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""Alibaba Cloud RPC request signing (SignatureVersion 1.0, HMAC-SHA1)."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import uuid

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover - Python 2 is not supported, but sanity imports on it
    from urllib import quote  # type: ignore

SIGNATURE_METHOD = "HMAC-SHA1"
SIGNATURE_VERSION = "1.0"


def percent_encode(value):
    """RFC 3986 encoding as Alibaba Cloud expects it: space is %20, '*' is %2A, '~' stays."""
    return quote(str(value), safe="-_.~")


def canonical_query(params):
    """Parameters sorted by name and joined, each name and value percent-encoded."""
    return "&".join(
        "%s=%s" % (percent_encode(name), percent_encode(params[name])) for name in sorted(params)
    )


def string_to_sign(method, params):
    return "%s&%s&%s" % (method.upper(), percent_encode("/"), percent_encode(canonical_query(params)))


def sign_rpc(method, params, secret):
    """Signature of ``params`` (all request parameters except Signature) for ``method``."""
    digest = hmac.new(
        (secret + "&").encode("utf-8"), string_to_sign(method, params).encode("utf-8"), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def utc_timestamp(now=None):
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


def _wire_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def signed_query(method, action, version, params, credentials, now=None, nonce=None):
    """The full query string of one attempt, with a fresh nonce and timestamp unless given."""
    signed = {
        "Action": action,
        "Version": version,
        "Format": "JSON",
        "AccessKeyId": credentials.access_key_id,
        "SignatureMethod": SIGNATURE_METHOD,
        "SignatureVersion": SIGNATURE_VERSION,
        "SignatureNonce": nonce or uuid.uuid4().hex,
        "Timestamp": utc_timestamp(now),
    }
    if credentials.security_token:
        signed["SecurityToken"] = credentials.security_token
    signed.update((name, _wire_value(value)) for name, value in params.items() if value is not None)
    signed["Signature"] = sign_rpc(method, signed, credentials.access_key_secret)
    return canonical_query(signed)
