# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""Alibaba Cloud RPC request signing: V2 (SignatureVersion 1.0, HMAC-SHA1) and V3 (ACS3-HMAC-SHA256)."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import uuid

from urllib.parse import quote

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
    """UTC time as both signatures want it (V2 Timestamp, V3 x-acs-date): 2026-01-02T03:04:05Z."""
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


# --- V3: ACS3-HMAC-SHA256 -------------------------------------------------------------

V3_ALGORITHM = "ACS3-HMAC-SHA256"


def hashed_payload(body=b""):
    """Lower-case hex SHA-256 of the exact body bytes (an empty body has a fixed hash)."""
    return hashlib.sha256(body).hexdigest()


def _signed_header_names(headers):
    """Names V3 signs: host, content-type and every x-acs-* header, lower-cased and sorted."""
    return sorted(name for name in headers if name == "host" or name == "content-type" or name.startswith("x-acs-"))


def canonical_request_v3(method, query, headers, payload_hash, path="/"):
    """The V3 canonical request; ``headers`` have lower-case names."""
    names = _signed_header_names(headers)
    canonical_headers = "".join("%s:%s\n" % (name, str(headers[name]).strip()) for name in names)
    return "\n".join((method.upper(), path, canonical_query(query), canonical_headers, ";".join(names), payload_hash))


def sign_v3(method, query, headers, payload_hash, secret):
    """Lower-case hex HMAC-SHA256 (keyed with the bare secret) of the V3 string to sign."""
    canonical = canonical_request_v3(method, query, headers, payload_hash)
    to_sign = "%s\n%s" % (V3_ALGORITHM, hashlib.sha256(canonical.encode("utf-8")).hexdigest())
    return hmac.new(secret.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def authorization_v3(method, query, headers, payload_hash, credentials):
    """The Authorization header value for a V3 request with these (lower-case) headers."""
    return "%s Credential=%s,SignedHeaders=%s,Signature=%s" % (
        V3_ALGORITHM, credentials.access_key_id, ";".join(_signed_header_names(headers)),
        sign_v3(method, query, headers, payload_hash, credentials.access_key_secret))


def signed_v3_request(method, host, action, version, params, credentials, now=None, nonce=None):
    """(query string, headers) of one V3 attempt, with a fresh nonce and date unless given.

    The operation parameters go in the query and the body stays empty, as the official
    SDKs send these RPC-style operations; Action and Version travel as headers. ``host``
    must be the Host header the request carries (with the port when it is not the default).
    """
    query = dict((name, _wire_value(value)) for name, value in params.items() if value is not None)
    payload_hash = hashed_payload(b"")
    headers = {
        "host": host,
        "x-acs-action": action,
        "x-acs-version": version,
        "x-acs-date": utc_timestamp(now),
        "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
        "x-acs-content-sha256": payload_hash,
    }
    if credentials.security_token:
        headers["x-acs-security-token"] = credentials.security_token
    headers["Authorization"] = authorization_v3(method, query, headers, payload_hash, credentials)
    return canonical_query(query), headers
