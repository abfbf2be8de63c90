"""Shared by the ALB and NLB SDK fidelity tests: one official SDK client with a signing method,
each raw answer checked against the SDK's model (names, types) and round-tripped through it."""

from __future__ import annotations

from alibabacloud_tea_openapi.models import Config

from tests.unit.emulator.sdk_models import assert_matches

DEMO_KEY = "LTAI5tEmulatorDemoKey01"
DEMO_SECRET = "EmulatorDemoSecret0123456789abc"


def _without_empty_lists(value):
    """The models' to_map() writes [] for absent list fields; the wire may omit them."""
    if isinstance(value, dict):
        return {k: _without_empty_lists(v) for k, v in value.items() if v != []}
    if isinstance(value, list):
        return [_without_empty_lists(v) for v in value]
    return value


class CheckedSdk:
    def __init__(self, emu, client_class, signing: str) -> None:
        config = {"access_key_id": DEMO_KEY, "access_key_secret": DEMO_SECRET,
                  "endpoint": f"127.0.0.1:{emu.port}", "protocol": "https", "ca": emu.ca_path}
        if signing == "v2":
            config["signature_algorithm"] = "v2"
        self.client = client_class(Config(**config))
        self.raw = None
        call_api = self.client.call_api

        def recorded(params, request, runtime):
            result = call_api(params, request, runtime)
            self.raw = result["body"]
            return result
        self.client.call_api = recorded

    def __call__(self, operation: str, request):
        """Run ``operation`` and return its body model, after checking the raw answer."""
        response = getattr(self.client, operation)(request)
        assert_matches(self.raw, type(response.body))
        assert _without_empty_lists(response.body.to_map()) == _without_empty_lists(self.raw)
        return response.body
