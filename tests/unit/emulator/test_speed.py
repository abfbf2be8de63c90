"""The emulator answers in a few ms per call with both signing schemes (no delayed-ACK stall).

A reply written in several pieces meets the client's delayed ACK and costs about 40 ms per
call on loopback; the bound below sits well under that and well above the usual ~1 ms, so a
loaded machine does not make it flaky.
"""

import pytest

from tests.bench.emulator_speed import keep_alive_seconds, sdk_seconds

MEDIAN_BOUND_SECONDS = 0.025


@pytest.mark.parametrize("signing", ["v2", "v3"])
def test_keep_alive_calls_take_a_few_ms(emu, signing):
    times = keep_alive_seconds(emu, signing, 40)
    assert sorted(times)[len(times) // 2] < MEDIAN_BOUND_SECONDS, times


@pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")
@pytest.mark.parametrize("signing", ["v2", "v3"])
def test_official_sdk_calls_take_a_few_ms(emu, signing):
    times = sdk_seconds(emu, signing, 20)
    assert sorted(times)[len(times) // 2] < MEDIAN_BOUND_SECONDS, times
