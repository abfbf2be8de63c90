"""Injected faults: each kind fires exactly as configured, stays bounded, spares the control API."""

import time

import pytest
import requests


def package(api) -> requests.Response:
    return api.cas("DescribePackageState")


def test_error_burst_is_bounded_and_carries_retry_after(emu, api):
    emu.control.set_faults(error_burst={"count": 2}, retry_after_ms=250)
    for _attempt in range(2):
        response = package(api)
        assert api.error(response, 503) == "ServiceUnavailable"
        assert response.headers["x-acs-retry-after"] == "250"
    assert api.ok(package(api))["TotalCount"] == 20


def test_error_burst_custom_status_code_and_action_filter(emu, api):
    emu.control.set_faults(error_burst={"count": 1, "status": 500, "code": "InternalError",
                                        "actions": ["DescribeDomains"]})
    api.ok(package(api))
    response = api.dns("DescribeDomains")
    assert api.error(response, 500) == "InternalError"
    assert "x-acs-retry-after" not in response.headers
    api.ok(api.dns("DescribeDomains"))


def test_drop_connections(emu, api):
    emu.control.set_faults(drop_connections={"count": 1})
    with pytest.raises(requests.ConnectionError):
        package(api)
    api.ok(package(api))
    assert emu.control.calls()[-2]["fault"] == "drop"


def test_slow(emu, api):
    emu.control.set_faults(slow={"count": 1, "delay": 0.3})
    started = time.monotonic()
    api.ok(package(api))
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    api.ok(package(api))
    assert time.monotonic() - started < 0.3


def test_lose_response_applies_the_action(emu, api):
    emu.control.set_faults(lose_response={"count": 1, "actions": ["AddDomainRecord"]})
    api.ok(package(api))  # not in the action filter
    with pytest.raises(requests.ConnectionError):
        api.dns("AddDomainRecord", DomainName="example.com", RR="lost", Type="A", Value="192.0.2.1")
    assert [r["rr"] for r in emu.control.state()["zones"]["1234567890123456"]["example.com"]] == ["lost"]
    retry = api.dns("AddDomainRecord", DomainName="example.com", RR="lost", Type="A", Value="192.0.2.1")
    assert api.error(retry, 400) == "DomainRecordDuplicate"


def test_throttle_qps(emu, api):
    emu.control.set_faults(throttle_qps=2, retry_after_ms=1000)
    responses = [package(api) for _attempt in range(6)]
    throttled = [r for r in responses if r.status_code == 400]
    assert len(throttled) >= 3
    body = throttled[0].json()
    assert body["Code"] == "Throttling.User"
    assert body["Message"] == "Request was denied due to user flow control."
    assert throttled[0].headers["x-acs-retry-after"] == "1000"
    time.sleep(1.0)
    api.ok(package(api))


def test_random_faults_are_deterministic_and_capped(emu, api):
    def run() -> list:
        emu.control.set_faults(random={"seed": 7, "rate": 0.5, "kinds": ["error", "throttle"], "max_faults": 5})
        return [package(api).status_code for _attempt in range(20)]

    first, second = run(), run()
    assert first == second
    assert sum(status != 200 for status in first) == 5
    assert set(first) <= {200, 400, 503}


def test_random_kinds_are_validated(emu):
    with pytest.raises(RuntimeError, match="unknown random fault kinds"):
        emu.control.set_faults(random={"seed": 1, "kinds": ["meteor"]})


def test_faults_never_touch_the_control_api(emu, api):
    emu.control.set_faults(error_burst={"count": 1}, drop_connections={"count": 0})
    for _attempt in range(3):
        emu.control.state()
    assert emu.control.state()["faults"]["remaining"]["error_burst"]["count"] == 1
    assert api.error(package(api), 503) == "ServiceUnavailable"
    emu.control.clear_faults()
    assert emu.control.state()["faults"]["remaining"] == {}
