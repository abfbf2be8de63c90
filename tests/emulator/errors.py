"""The error type every emulated action raises, and helpers for the common gateway codes."""


class ApiError(Exception):
    """An Alibaba Cloud error response: HTTP status, ``Code`` and ``Message``."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def missing_parameter(name: str) -> ApiError:
    return ApiError(
        400,
        "MissingParameter",
        f'The input parameter "{name}" that is mandatory for processing this request is not supplied.',
    )


def invalid_parameter(name: str, detail: str = "") -> ApiError:
    message = f'The specified parameter "{name}" is not valid.'
    return ApiError(400, "InvalidParameter", f"{message} {detail}".strip())


def require(params: dict[str, str], *names: str) -> list[str]:
    """Values of required parameters, in order; an empty value counts as missing."""
    values = []
    for name in names:
        value = params.get(name, "")
        if value == "":
            raise missing_parameter(name)
        values.append(value)
    return values


def int_param(params: dict[str, str], name: str, default: int | None = None,
              minimum: int | None = None, maximum: int | None = None) -> int | None:
    """An optional integer parameter with bounds; anything unparsable is ``InvalidParameter``."""
    raw = params.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid_parameter(name, "It must be an integer.") from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        bounds = f"[{minimum if minimum is not None else ''}, {maximum if maximum is not None else ''}]"
        raise invalid_parameter(name, f"It must be within {bounds}.")
    return value


def indexed_tags(params: dict, key_field: str, value_field: str) -> list[dict]:
    """``Tags.N.<key_field>``/``Tags.N.<value_field>`` as the SDKs flatten a tag list (V1.0 orders
    say Key/Value, V2.0 instances TagKey/TagValue), in order, until the first gap."""
    tags = []
    index = 1
    while f"Tags.{index}.{key_field}" in params:
        tags.append({key_field: params[f"Tags.{index}.{key_field}"],
                     value_field: params.get(f"Tags.{index}.{value_field}", "")})
        index += 1
    return tags
