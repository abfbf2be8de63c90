"""Server-side check of Alibaba Cloud signatures: V2 (``SignatureVersion=1.0``, HMAC-SHA1,
in the parameters) and V3 (``ACS3-HMAC-SHA256``, in the ``Authorization`` header).

Deliberately written from the reference (sections 4.1 and 4.2), not shared with the client
under ``plugins/`` nor taken from an SDK: if both sides used the same code, a bug in it
would go unnoticed.
"""

import base64
import dataclasses
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


# --- V3: ACS3-HMAC-SHA256 (reference section 4.2) ------------------------------------------

V3_ALGORITHM = "ACS3-HMAC-SHA256"


@dataclasses.dataclass(frozen=True)
class V3Authorization:
    """The parts of ``Authorization: ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..``."""

    access_key_id: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_v3_authorization(value: str) -> V3Authorization | None:
    """None unless the header has the algorithm and all three fields, each non-empty."""
    algorithm, _space, rest = value.strip().partition(" ")
    if algorithm != V3_ALGORITHM:
        return None
    fields = {}
    for part in rest.split(","):
        name, sep, field_value = part.strip().partition("=")
        if sep:
            fields[name] = field_value
    credential, signed, provided = (fields.get(name, "") for name in ("Credential", "SignedHeaders", "Signature"))
    if not (credential and signed and provided):
        return None
    return V3Authorization(credential, tuple(signed.split(";")), provided)


def payload_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def combined_header_value(values: list[str]) -> str:
    """A header sent several times is signed once: trimmed values, sorted, joined with commas."""
    return ",".join(sorted(value.strip() for value in values))


def canonical_request_v3(method: str, path: str, query: dict[str, str], headers: dict[str, str],
                         signed_headers: tuple[str, ...], hashed_payload: str) -> str:
    """Method, URI, sorted RFC 3986 query, the signed headers (``name:value`` lines), their
    names, and the hex SHA-256 of the body, one per line. ``headers`` has lower-case names."""
    query_string = "&".join(
        f"{percent_encode(name)}={percent_encode(value)}" for name, value in sorted(query.items()))
    names = sorted(signed_headers)
    header_lines = "".join(f"{name}:{headers.get(name, '')}\n" for name in names)
    return "\n".join([method.upper(), path or "/", query_string, header_lines, ";".join(names), hashed_payload])


def string_to_sign_v3(canonical_request: str) -> str:
    return f"{V3_ALGORITHM}\n{hashlib.sha256(canonical_request.encode('utf-8')).hexdigest()}"


def sign_v3(string: str, access_key_secret: str) -> str:
    """Lower-case hex HMAC-SHA256 keyed with the bare secret (no ``&``, unlike V2)."""
    return hmac.new(access_key_secret.encode(), string.encode(), hashlib.sha256).hexdigest()
