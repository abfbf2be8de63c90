"""Server-side check of Alibaba Cloud RPC signatures (V2: ``SignatureVersion=1.0``, HMAC-SHA1).

Deliberately written from the reference (section 4.1), not shared with the client under
``plugins/``: if both sides used the same code, a bug in it would go unnoticed.
"""

import base64
import hashlib
import hmac
from urllib.parse import quote


def percent_encode(value: str) -> str:
    """RFC 3986 encoding of the UTF-8 bytes; only ``A-Z a-z 0-9 - _ . ~`` stay literal."""
    return quote(value, safe="-_.~", encoding="utf-8")


def string_to_sign(http_method: str, params: dict[str, str]) -> str:
    """``METHOD&%2F&percentEncode(canonicalized query)`` over every parameter but ``Signature``."""
    canonical = "&".join(
        f"{percent_encode(name)}={percent_encode(value)}"
        for name, value in sorted(params.items())
        if name != "Signature"
    )
    return f"{http_method.upper()}&{percent_encode('/')}&{percent_encode(canonical)}"


def sign(string: str, access_key_secret: str) -> str:
    """Base64 HMAC-SHA1 keyed with ``secret + "&"`` (the empty token secret of the RPC scheme)."""
    digest = hmac.new(f"{access_key_secret}&".encode(), string.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signature_matches(provided: str, expected: str) -> bool:
    return hmac.compare_digest(provided.encode(), expected.encode())
