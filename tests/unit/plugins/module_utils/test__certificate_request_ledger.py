# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""certificate_request's ledger_path (issue 17, section 2): hosts of one controller never order
twice for one name, however far CAS's lists lag. First with the in-memory fake (what is read,
written and dropped), then against the HTTPS emulator with ``list_lag`` 30: two runs one after
the other, and two processes at once. Every "with the ledger" case has its twin without it,
which places the second order or application, so each test can fail."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import time

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils._cas import CasClient
from ansible_collections.alicloud.cas.plugins.module_utils._cas_instances import CasInstancesClient
from ansible_collections.alicloud.cas.plugins.module_utils._certificate_request import choose_instance, run
from ansible_collections.alicloud.cas.plugins.module_utils._certificate_request_ledger import (
    LEDGER_FORMAT,
    Ledger,
)
from ansible_collections.alicloud.cas.plugins.module_utils._credentials import Credentials
from ansible_collections.alicloud.cas.plugins.module_utils._errors import ConfigurationError
from ansible_collections.alicloud.cas.plugins.module_utils._transport import CAS_VERSION, RpcClient
from tests.emulator import running_emulator
from tests.unit.plugins.module_utils.emulator_run import DEMO_KEY as KEY, DEMO_SECRET as SECRET, run_against_emulator
from tests.unit.plugins.module_utils.cas_fake import NOW_MS, FakeCasApi

APPLICANT = {"username": "Jane Doe", "email": "jane@example.com", "phone": "+86 138 0000 0000"}
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


def options(**overrides):
    params = {"domain": "www.example.com", "state": "present", "renew_before_days": 30}
    params.update(APPLICANT)
    params.update(overrides)
    return params


def converge(api, check_mode=False, **overrides):
    return run(options(**overrides), lambda: CasClient(api), check_mode=check_mode, diff_mode=True, now_ms=NOW_MS,
               instances_factory=lambda cas: CasInstancesClient(api))


def entries(path):
    with open(path) as handle:
        return json.load(handle)["entries"]


# --- the fake: what the ledger reads, writes and drops ----------------------------------------------

@pytest.mark.parametrize("use_ledger, orders", [(True, 1), (False, 2)])
def test_a_second_run_reuses_the_order_the_lagging_list_hides(tmp_path, use_ledger, orders):
    api = FakeCasApi(list_lag=20)  # longer than the first run's wait for the list
    ledger = str(tmp_path / "ledger.json") if use_ledger else None
    first = converge(api, source="package", ledger_path=ledger)
    api.calls.clear()
    second = converge(api, source="package", ledger_path=ledger)
    assert len(api.orders) == orders
    if use_ledger:
        assert (second["changed"], second["order_id"]) == (False, first["order_id"])
        # Read by id; no list at all.
        assert api.actions() == ["DescribeCertificateState"]


def test_the_file_is_0600_in_a_new_0700_directory_and_holds_ids_not_secrets(tmp_path):
    api = FakeCasApi()
    path = tmp_path / "state" / "ledger.json"
    first = converge(api, source="package", ledger_path=str(path))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    (entry,) = entries(path)
    assert {key: entry[key] for key in ("names", "kind", "id", "site")} == {
        "names": ["www.example.com"], "kind": "order", "id": first["order_id"], "site": "china"}


def test_check_mode_neither_creates_nor_writes_the_ledger(tmp_path):
    api = FakeCasApi()
    path = tmp_path / "ledger.json"
    result = converge(api, check_mode=True, source="package", ledger_path=str(path))
    assert result["changed"] is True and not path.exists()
    first = converge(api, source="package", ledger_path=str(path))
    before = path.read_bytes()
    api.orders[first["order_id"]]["Type"] = "verify_fail"  # an entry check mode would drop
    converge(api, check_mode=True, source="package", ledger_path=str(path))
    assert path.read_bytes() == before


@pytest.mark.parametrize("field, value", [("account", "LTAIsomeoneElse"), ("site", "international"),
                                          ("endpoint", "https://cas.example.net")])
def test_an_entry_of_another_account_site_or_endpoint_is_not_adopted(tmp_path, field, value):
    api = FakeCasApi(list_lag=5)
    hidden = api.add_order("www.example.com", hidden_lists=5)
    entry = {"account": None, "site": "china", "endpoint": None, "names": ["www.example.com"], "kind": "order",
             "id": hidden, "created": "2026-12-07T00:00:00Z"}
    entry[field] = value
    path = tmp_path / "ledger.json"
    path.write_text(json.dumps({"format": LEDGER_FORMAT, "version": 1, "entries": [entry]}))
    result = converge(api, source="package", ledger_path=str(path))
    assert result["changed"] is True and result["order_id"] != hidden
    assert "DescribeCertificateState" not in api.actions()[:1]


def test_a_gone_or_failed_entry_is_dropped_and_the_list_decides(tmp_path):
    api = FakeCasApi()
    path = str(tmp_path / "ledger.json")
    first = converge(api, source="package", ledger_path=path)
    api.orders[first["order_id"]]["Type"] = "verify_fail"
    second = converge(api, source="package", ledger_path=path)
    assert second["changed"] is True and second["order_id"] != first["order_id"]
    assert [entry["id"] for entry in entries(path)] == [second["order_id"]]
    del api.orders[second["order_id"]]
    third = converge(api, source="package", ledger_path=path)
    assert [entry["id"] for entry in entries(path)] == [third["order_id"]]


def test_an_instance_entry_is_read_by_id_never_through_the_list(tmp_path):
    api = FakeCasApi()
    api.packages = {}
    for _index in range(2):
        api.add_instance()
    path = str(tmp_path / "ledger.json")
    first = converge(api, source="instance", ledger_path=path)
    api.calls.clear()
    second = converge(api, source="instance", ledger_path=path)
    assert (second["changed"], second["instance_id"]) == (False, first["instance_id"])
    assert api.actions() == ["GetInstanceDetail"]
    assert [(entry["kind"], entry["id"]) for entry in entries(path)] == [("instance", first["instance_id"])]


def test_something_else_at_ledger_path_fails_before_any_call(tmp_path):
    api = FakeCasApi()
    path = tmp_path / "ledger.json"
    path.write_text("not a ledger\n")
    with pytest.raises(ConfigurationError) as caught:
        converge(api, ledger_path=str(path))
    assert caught.value.option == "ledger_path" and "is not a certificate_request ledger" in str(caught.value)
    assert api.calls == []


def test_bytes_left_after_a_shorter_ledger_are_not_part_of_it(tmp_path):
    path = str(tmp_path / "ledger.json")
    ledger = Ledger.open(path, ("key", "china", "https://cas"))
    ledger.record("order", 1, ["a.example.com"])
    ledger.record("order", 2, ["b.example.com"])
    ledger.drop(ledger.entries_for(["b.example.com"])[0])
    ledger.close()
    with open(path, "ab") as handle:
        handle.write(b"leftover of a cut write")
    again = Ledger.open(path, ("key", "china", "https://cas"))
    assert [entry["id"] for entry in again.entries_for(["a.example.com"])] == [1]
    again.close()


# --- the emulator: list_lag 30 ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def emu():
    yield from running_emulator(seed="demo")


def request(emu, **overrides):
    return run_against_emulator(emu, options(**overrides))


def placed(emu):
    state = emu.control.state()
    return ([order["order_id"] for order in state["orders"]],
            [instance["instance_id"] for instance in state["instances"] if instance["status"] != "inactive"])


@pytest.mark.parametrize("use_ledger, orders", [(True, 1), (False, 2)])
def test_v1_two_runs_with_a_list_lagging_30_calls_place_one_order_with_the_ledger(
        emu, tmp_path, use_ledger, orders):
    emu.control.reset("demo")
    emu.control.settings(list_lag=30)
    ledger = str(tmp_path / "ledger.json") if use_ledger else None
    first = request(emu, source="package", ledger_path=ledger)
    assert "warnings" in first  # the list does not show the order yet
    second = request(emu, source="package", ledger_path=ledger)
    assert len(placed(emu)[0]) == orders
    if use_ledger:
        assert (second["changed"], second["order_id"]) == (False, first["order_id"])
        text = (tmp_path / "ledger.json").read_text()
        assert KEY in text and SECRET not in text


@pytest.mark.parametrize("use_ledger, spent", [(True, 1), (False, 2)])
def test_v2_two_runs_with_a_list_lagging_30_calls_spend_one_instance_with_the_ledger(
        emu, tmp_path, use_ledger, spent):
    """The first run applied on the instance it was given (the second in the module's own
    ranking); the next run for the name, with the list still showing that instance blank and
    inactive, would spend the first-ranked one too."""
    emu.control.reset("v2")
    emu.control.settings(instance_validation_delay=0)
    rpc = RpcClient(emu.base_url, CAS_VERSION, Credentials(KEY, SECRET), verify=emu.ca_path)
    instances = CasInstancesClient(rpc)
    ranked = choose_instance(instances.list_instances(status="inactive"),
                             {"names": ["www.example.com"], "instance_type": "TEST"})
    # The contact exists before the lag starts: ListContact lags too, and this is about instances.
    instances.create_contact("Jane Doe", "+8613800000000", "jane@example.com", known_contact_ids=[])
    emu.control.settings(list_lag=30)
    ledger = str(tmp_path / "ledger.json") if use_ledger else None
    first = request(emu, source="instance", instance_id=ranked[1]["instance_id"], ledger_path=ledger)
    second = request(emu, source="instance", ledger_path=ledger)
    assert len(placed(emu)[1]) == spent
    if use_ledger:
        assert (second["changed"], second["instance_id"]) == (False, first["instance_id"])


RUNNER = textwrap.dedent("""
    import json, sys
    sys.path[:0] = [sys.argv[1], sys.argv[1] + "/.cache/collections"]
    from ansible_collections.alicloud.cas.plugins.module_utils._cas import CasClient
    from ansible_collections.alicloud.cas.plugins.module_utils._certificate_request import run
    from ansible_collections.alicloud.cas.plugins.module_utils._credentials import Credentials
    from ansible_collections.alicloud.cas.plugins.module_utils._transport import CAS_VERSION, RetryPolicy, RpcClient
    base_url, ca_path, ledger = sys.argv[2], sys.argv[3], sys.argv[4] or None
    params = {"domain": "www.example.com", "state": "present", "source": "package", "username": "Jane Doe",
              "email": "jane@example.com", "phone": "+86 138 0000 0000", "ledger_path": ledger}
    # A short wait for the lagging list, which never catches up here.
    policy = RetryPolicy(confirm_reads=2, confirm_window=0.5)
    cas = lambda: CasClient(RpcClient(base_url, CAS_VERSION, Credentials(%r, %r), verify=ca_path,
                                      retry_policy=policy))
    result = run(params, cas)
    print(json.dumps({"changed": result["changed"], "order_id": result["order_id"]}))
""" % (KEY, SECRET))


@pytest.mark.parametrize("use_ledger, orders", [(True, 1), (False, 2)])
def test_two_processes_at_once_take_turns_on_the_ledger(emu, tmp_path, use_ledger, orders):
    """Two runs started together (two hosts under strategy free). The create is slowed so that
    without the lock both would be past their lists before either order exists."""
    emu.control.reset("demo")
    emu.control.settings(list_lag=30)
    emu.control.set_faults(slow={"count": 2, "delay": 1.0, "actions": ["CreateCertificateRequest"]})
    script = tmp_path / "runner.py"
    script.write_text(RUNNER)
    ledger = str(tmp_path / "ledger.json") if use_ledger else ""
    command = [sys.executable, str(script), REPO_ROOT, emu.base_url, emu.ca_path or "", ledger]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _run in range(2)]
    outcomes = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        outcomes.append(json.loads(out.strip().splitlines()[-1]))
    emu.control.clear_faults()
    assert len(placed(emu)[0]) == orders
    if use_ledger:
        assert sorted(outcome["changed"] for outcome in outcomes) == [False, True]
        assert len({outcome["order_id"] for outcome in outcomes}) == 1


def test_a_run_waits_for_the_lock_another_holds(tmp_path):
    path = str(tmp_path / "ledger.json")
    holder = Ledger.open(path, ("key", "china", "https://cas"))
    script = tmp_path / "waiter.py"
    script.write_text(textwrap.dedent("""
        import sys, time
        sys.path[:0] = [sys.argv[1], sys.argv[1] + "/.cache/collections"]
        from ansible_collections.alicloud.cas.plugins.module_utils._certificate_request_ledger import Ledger
        started = time.monotonic()
        Ledger.open(sys.argv[2], ("key", "china", "https://cas")).close()
        print(time.monotonic() - started)
    """))
    waiter = subprocess.Popen([sys.executable, str(script), REPO_ROOT, path], stdout=subprocess.PIPE, text=True)
    time.sleep(1.5)
    holder.close()
    out, _err = waiter.communicate(timeout=60)
    assert float(out) >= 1.0
