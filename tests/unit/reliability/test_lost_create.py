"""A CreateCertificateRequest whose answer never arrived must not lead to a second order,
even when the order list trails writes (emulator setting list_lag): the certificate_request
module adopts the order it created, or fails saying the order may exist, and never sends the
create again unless it provably never reached the service. Real module runs through
ansible-playbook."""

import json
import os

import pytest

from tests.unit.reliability._support import crash_markers

pytestmark = pytest.mark.slow

CONTACT = {"username": "Jane Doe", "email": "jane@example.com", "phone": "+86 138 0000 0000"}


def _request(ansible, connection, domain, repeat=1, expect_failure=False):
    tasks = [{"name": "request %s" % domain, "register": "r%d" % n, "ignore_errors": expect_failure,
              "alicloud.cas.certificate_request": dict(connection, domain=domain, **CONTACT)} for n in range(repeat)]
    path = os.path.join(ansible.workdir, "results.json")
    tasks.append({"name": "save", "ansible.builtin.copy": {
        "dest": path, "content": "{{ [%s] | to_json }}" % ", ".join("r%d" % n for n in range(repeat))}})
    done = ansible.playbook([{"name": "lost", "hosts": "localhost", "gather_facts": False, "tasks": tasks}])
    assert done.returncode == 0, done.stdout[-3000:]
    assert crash_markers(done.stdout) == []
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _orders(emu, domain):
    return [order for order in emu.control.state()["orders"] if order["domain"] == domain]


def _creates(emu):
    return [c for c in emu.control.calls() if c["action"] == "CreateCertificateRequest"]


def test_lost_create_answer_with_a_lagging_list_leaves_exactly_one_order(emu, ansible, connection):
    emu.control.reset("demo")
    emu.control.settings(list_lag=1)
    emu.control.set_faults(lose_response={"count": 1, "actions": ["CreateCertificateRequest"]})
    first, again = _request(ansible, connection, "lost.example.com", repeat=2)

    orders = _orders(emu, "lost.example.com")
    assert len(orders) == 1
    # The one create was applied and its answer lost; the module never sent another, although
    # the first list it read afterwards did not show the order yet.
    assert [c["fault"] for c in _creates(emu)] == ["lose"]
    assert first["changed"] and first["order_id"] == orders[0]["order_id"]
    assert any("adopted" in warning for warning in first.get("warnings", []))
    # A later run reuses the adopted order.
    assert not again["changed"] and again["order_id"] == first["order_id"]


def test_dropped_create_is_not_sent_again_and_the_rerun_submits_it(emu, ansible, connection):
    emu.control.reset("demo")
    emu.control.settings(list_lag=1)
    # The connection drops after the request went out, here before CAS ran it. The module
    # cannot tell that from a lost answer: it looks for the order (about 15 s), finds none,
    # fails saying the order may exist, and sends nothing more.
    emu.control.set_faults(drop_connections={"count": 1, "actions": ["CreateCertificateRequest"]})
    (failed,) = _request(ansible, connection, "dropped.example.com", expect_failure=True)
    assert failed["failed"] and "may have been created" in failed["msg"] and "Run the task again" in failed["msg"]
    assert failed["order_may_exist"] is True
    assert _orders(emu, "dropped.example.com") == []
    assert [c["fault"] for c in _creates(emu)] == ["drop"]

    (rerun,) = _request(ansible, connection, "dropped.example.com")
    orders = _orders(emu, "dropped.example.com")
    assert len(orders) == 1 and rerun["changed"] and rerun["order_id"] == orders[0]["order_id"]
    assert [c["fault"] for c in _creates(emu)] == ["drop", None]
    assert not rerun.get("warnings")
