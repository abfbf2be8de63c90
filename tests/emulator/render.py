"""Response bodies in the two wire formats (JSON, and XML which is the default)."""

import json
from xml.sax.saxutils import escape

JSON_TYPE = "application/json;charset=utf-8"
XML_TYPE = "text/xml;charset=utf-8"
XML_DECLARATION = "<?xml version='1.0' encoding='UTF-8'?>"


def wants_json(params: dict, default: str = "XML") -> bool:
    """``Format`` is case-insensitive (the tea SDK sends ``json``); omitted means ``default``."""
    return (params.get("Format") or default).lower() == "json"


def _xml(tag: str, value) -> str:
    # A list repeats its element, as Alibaba's XML does: <Record>..</Record><Record>..</Record>.
    if isinstance(value, list):
        return "".join(_xml(tag, item) for item in value)
    if isinstance(value, dict):
        inner = "".join(_xml(key, item) for key, item in value.items() if item is not None)
        return f"<{tag}>{inner}</{tag}>"
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{tag}>{escape(str(value))}</{tag}>"


def body(root: str, payload: dict, as_json: bool) -> tuple[bytes, str]:
    """Serialised payload and its content type; ``root`` names the XML document element."""
    if as_json:
        return json.dumps(payload, ensure_ascii=False).encode(), JSON_TYPE
    return (XML_DECLARATION + _xml(root, payload)).encode(), XML_TYPE
