"""The emulator cannot meet the client's delayed ACK: each reply leaves in one write, on a
socket with Nagle's algorithm off.

A reply written in pieces stalls about 40 ms per call on loopback. That figure is measured
by `make bench` (tests/bench/emulator_speed.py); here the two causes are checked directly, so
the test does not depend on how loaded the machine is.
"""

import socket

import pytest

from tests.bench.emulator_speed import keep_alive_seconds
from tests.emulator import server


class _CountingWriter:
    def __init__(self, inner, writes):
        self._inner, self._writes = inner, writes

    def write(self, data):
        self._writes.append(len(data))
        return self._inner.write(data)

    def __getattr__(self, name):
        return getattr(self._inner, name)


@pytest.fixture
def observed(monkeypatch):
    seen = {"writes": [], "nodelay": []}
    setup = server._Handler.setup

    def counting_setup(handler):
        setup(handler)
        seen["nodelay"].append(handler.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        handler.wfile = _CountingWriter(handler.wfile, seen["writes"])

    monkeypatch.setattr(server._Handler, "setup", counting_setup)
    return seen


@pytest.mark.parametrize("signing", ["v2", "v3"])
def test_each_reply_is_one_write_on_a_nodelay_socket(emu, observed, signing):
    calls = 5
    keep_alive_seconds(emu, signing, calls)
    assert len(observed["writes"]) == calls  # one keep-alive connection, one write per reply
    assert all(size > 0 for size in observed["writes"])
    assert observed["nodelay"] and all(observed["nodelay"])
