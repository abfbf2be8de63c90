"""Fixtures of the reliability and security tests: one HTTPS emulator per module, and a
runner for real ansible-playbook runs of this checkout (see _support.py)."""

import pytest

from tests.emulator import running_emulator
from tests.unit.reliability._support import DEMO_KEY, DEMO_SECRET, AnsibleRunner


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: runs ansible-playbook; part of the suite, bounded in count and time")


@pytest.fixture(scope="module")
def emu():
    yield from running_emulator(seed="demo")


@pytest.fixture
def ansible(tmp_path):
    return AnsibleRunner(tmp_path)


@pytest.fixture
def connection(emu):
    """Connection options of the CAS modules for the emulator with the demo key."""
    return {"access_key_id": DEMO_KEY, "access_key_secret": DEMO_SECRET,
            "cas_endpoint": emu.base_url, "ca_path": emu.ca_path}
