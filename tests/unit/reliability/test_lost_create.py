"""A CreateCertificateRequest that the service applied but whose answer never arrived must
not lead to a second order: the certificate_request module adopts the order it created.
Real module runs through ansible-playbook."""

import json
import os

import pytest

from tests.unit.reliability._support import crash_markers

pytestmark = pytest.mark.slow

CONTACT = {"username": "Jane Doe", "email": "jane@example.com", "phone": "+86 138 0000 0000"}


def _request(ansible, connection, domain, repeat=1):
    tasks = [{"name": "request %s" % domain, "register": "r%d" % n,
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


def test_lost_create_answer_leaves_exactly_one_order(emu, ansible, connection):
    emu.control.reset("demo")
    emu.control.set_faults(lose_response={"count": 1, "actions": ["CreateCertificateRequest"]})
    first, again = _request(ansible, connection, "lost.example.com", repeat=2)

    orders = _orders(emu, "lost.example.com")
    creates = [c for c in emu.control.calls() if c["action"] == "CreateCertificateRequest"]
    assert len(orders) == 1
    # The one create was applied and its answer lost; the module never sent another.
    assert len(creates) == 1 and creates[0]["fault"] in ("lose", "lose_response")
    assert first["changed"] and first["order_id"] == orders[0]["order_id"]
    assert any("adopted" in warning for warning in first.get("warnings", []))
    # A later run reuses the adopted order.
    assert not again["changed"] and again["order_id"] == first["order_id"]


def test_dropped_create_before_it_was_applied_creates_one_order(emu, ansible, connection):
    emu.control.reset("demo")
    # A connection dropped before the service ran the action: the module must find nothing
    # to adopt, submit again, and still end with one order.
    emu.control.set_faults(drop_connections={"count": 1, "actions": ["CreateCertificateRequest"]})
    (result,) = _request(ansible, connection, "dropped.example.com")

    orders = _orders(emu, "dropped.example.com")
    creates = [c for c in emu.control.calls() if c["action"] == "CreateCertificateRequest"]
    assert len(orders) == 1 and result["order_id"] == orders[0]["order_id"]
    assert [c["fault"] for c in creates] == ["drop", None]
    assert not result.get("warnings")
