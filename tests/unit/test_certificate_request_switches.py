"""certificate_request's idempotence, adoption and withdrawal against the HTTPS emulator, under
every value of the CAS switches whose real behaviour is UNCONFIRMED (tests/emulator/README.md):
the list status of a fresh order, a list that trails writes, and a cancel that takes effect late;
for V2.0 instances, the time unit, the status after a withdrawal, whether ClientToken is honoured,
and a lagging instance list.

The module logic runs in-process (``_certificate_request.run``) over a real RpcClient and
CasClient, so the whole matrix takes seconds; waits between confirmation reads are recorded,
not slept, unless the test needs the emulator's clock to move.
"""

import itertools
import socket
import time

import pytest
import requests

from ansible_collections.alicloud.cas.plugins.module_utils import _cas_info
from ansible_collections.alicloud.cas.plugins.module_utils._cas import CasClient, OrderOutcomeUnknownError
from ansible_collections.alicloud.cas.plugins.module_utils._cas_instances import CasInstancesClient
from ansible_collections.alicloud.cas.plugins.module_utils._certificate_request import run
from ansible_collections.alicloud.cas.plugins.module_utils._credentials import Credentials
from ansible_collections.alicloud.cas.plugins.module_utils._errors import ConfigurationError
from ansible_collections.alicloud.cas.plugins.module_utils._transport import CAS_VERSION, RetryPolicy, RpcClient
from tests.emulator import running_emulator
from tests.unit.plugins.module_utils.cas_fake import make_csr

KEY = "LTAI5tEmulatorDemoKey01"
SECRET = "EmulatorDemoSecret0123456789abc"
DOMAIN = "www.example.com"
APPLICANT = {"username": "Jane Doe", "email": "jane@example.com", "phone": "+86 138 0000 0000"}

FRESH_STATUSES = ("CHECKING", "PAYED")
LAGS = (0, 1, 3)
CANCEL_MODES = ("sync", "async")
MATRIX = [dict(fresh_order_list_status=status, list_lag=lag, cancel_mode=mode)
          for status, lag, mode in itertools.product(FRESH_STATUSES, LAGS, CANCEL_MODES)]


def _name(switches):
    return "%(fresh_order_list_status)s-lag%(list_lag)d-%(cancel_mode)s" % switches


@pytest.fixture(scope="module")
def emu():
    yield from running_emulator(seed="demo")


@pytest.fixture(autouse=True)
def fresh(emu):
    emu.control.reset("demo")


class PausedClock:
    """Monotonic time that only moves when the client sleeps; the sleeps are recorded."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def monotonic(self):
        return self.now


def client_factory(emu, clock=None, timeout=10, session=None):
    clock = clock or PausedClock()

    def make():
        rpc = RpcClient(emu.base_url, CAS_VERSION, Credentials(KEY, SECRET), verify=emu.ca_path, timeout=timeout,
                        retry_policy=RetryPolicy(rng=lambda: 0.0), sleep=clock.sleep, clock=clock.monotonic,
                        session=session)
        return CasClient(rpc)
    return make


def request(emu, factory=None, **overrides):
    params = {"domain": DOMAIN, "state": "present", "product_code": None, "validate_type": "DNS", "csr": None,
              "tags": None, "force": False, "renew_before_days": 30}
    params.update(APPLICANT)
    params.update(overrides)
    return run(params, factory or client_factory(emu), diff_mode=True)


def orders(emu):
    return [order for order in emu.control.state()["orders"] if order["domain"] == DOMAIN]


def creates(emu):
    return [call for call in emu.control.calls() if call["action"].startswith("CreateCertificate")]


def publish_validation(emu, result):
    validation = result["validation"]
    emu.control.add_record("1234567890123456", "example.com", validation["fqdn"][:-len(".example.com")], "TXT",
                           validation["value"], ttl=600)


@pytest.mark.parametrize("switches", MATRIX, ids=_name)
def test_present_twice_submits_one_order_and_reuses_it_once_issued(emu, switches):
    emu.control.settings(**switches)
    first = request(emu)
    assert first["changed"] is True and "warnings" not in first
    # The run ended once the list showed the order, so lookups by domain find it at once.
    found = _cas_info.request_info({"domain": DOMAIN}, client_factory(emu))
    assert found["order_id"] == first["order_id"]
    second = request(emu)
    assert (second["changed"], second["order_id"]) == (False, first["order_id"])
    assert second["status"] == "domain_verify"
    publish_validation(emu, first)
    third = request(emu)
    assert (third["changed"], third["order_id"], third["status"]) == (False, first["order_id"], "certificate")
    assert len(orders(emu)) == 1 and len(creates(emu)) == 1


@pytest.mark.parametrize("switches", MATRIX, ids=_name)
def test_lost_create_answer_is_adopted_once_the_list_shows_the_order(emu, switches):
    emu.control.settings(**switches)
    emu.control.set_faults(lose_response={"count": 1, "actions": ["CreateCertificateRequest"]})
    clock = PausedClock()
    first = request(emu, client_factory(emu, clock))
    assert first["changed"] is True
    assert any("was adopted instead of submitting again" in warning for warning in first["warnings"])
    assert [order["order_id"] for order in orders(emu)] == [first["order_id"]]
    assert [call["fault"] for call in creates(emu)] == ["lose"]
    again = request(emu)
    assert (again["changed"], again["order_id"]) == (False, first["order_id"])
    assert len(creates(emu)) == 1


@pytest.mark.parametrize("switches", MATRIX, ids=_name)
def test_dropped_create_is_never_sent_again_and_the_rerun_submits_it(emu, switches):
    """The connection drops after the request went out (here: before CAS ran it). The module
    cannot know that, so it looks for the order, fails saying it may exist, and sends nothing."""
    emu.control.settings(**switches)
    emu.control.set_faults(drop_connections={"count": 1, "actions": ["CreateCertificateRequest"]})
    clock = PausedClock()
    with pytest.raises(OrderOutcomeUnknownError, match="may have been created") as caught:
        request(emu, client_factory(emu, clock))
    assert "Run the task again" in str(caught.value)
    assert [call["fault"] for call in creates(emu)] == ["drop"]
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0]  # five reads over 15 s
    rerun = request(emu)
    assert rerun["changed"] is True and [order["order_id"] for order in orders(emu)] == [rerun["order_id"]]


@pytest.mark.parametrize("lag", [0, 1])
def test_create_answered_after_the_read_timeout_is_adopted_not_resent(emu, lag):
    emu.control.settings(list_lag=lag)
    # CAS takes 0.8 s; the client gives up reading after 0.3 s. The confirmation reads are slept
    # (a quarter of the policy's waits) so that the order exists by the time one of them looks.
    emu.control.set_faults(slow={"count": 1, "delay": 0.8, "actions": ["CreateCertificateRequest"]})
    clock = PausedClock()
    clock.sleep = lambda seconds: time.sleep(seconds / 4)
    result = request(emu, client_factory(emu, clock, timeout=0.3))
    assert result["changed"] is True and "was adopted" in result["warnings"][0]
    assert [order["order_id"] for order in orders(emu)] == [result["order_id"]]
    assert len(creates(emu)) == 1


class FirstCreateRefused(requests.Session):
    """Sends the first create to a port where nothing listens, as a host whose network is down."""

    def __init__(self, base_url):
        super().__init__()
        self.base_url = base_url
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.closed_url = "https://127.0.0.1:%d" % probe.getsockname()[1]
        probe.close()
        self.refused = False

    def post(self, url, **kwargs):
        if "Action=CreateCertificateRequest" in url and not self.refused:
            self.refused = True
            url = url.replace(self.base_url, self.closed_url, 1)
        return super().post(url, **kwargs)


@pytest.mark.parametrize("lag", [0, 1])
def test_create_that_could_not_connect_is_sent_again(emu, lag):
    emu.control.settings(list_lag=lag)
    session = FirstCreateRefused(emu.base_url)
    result = request(emu, client_factory(emu, session=session))
    assert session.refused and result["changed"] is True and "warnings" not in result
    assert [order["order_id"] for order in orders(emu)] == [result["order_id"]]
    assert len(creates(emu)) == 1


@pytest.mark.parametrize("switches", MATRIX, ids=_name)
def test_absent_withdraws_the_pending_order(emu, switches):
    emu.control.settings(**switches)
    created = request(emu)
    gone = request(emu, state="absent")
    assert gone["changed"] is True and [o["order_id"] for o in gone["withdrawn"]] == [created["order_id"]]
    assert orders(emu) == []
    again = request(emu, state="absent")
    assert again["changed"] is False and again["withdrawn"] == []


@pytest.mark.parametrize("cancel_mode", CANCEL_MODES)
@pytest.mark.parametrize("lost", ["CancelOrderRequest", "DeleteCertificateRequest"])
def test_absent_survives_a_lost_answer_to_its_writes(emu, cancel_mode, lost):
    emu.control.settings(cancel_mode=cancel_mode)
    request(emu)
    emu.control.set_faults(lose_response={"count": 1, "actions": [lost]})
    gone = request(emu, state="absent")
    assert gone["changed"] is True and orders(emu) == []
    assert [call["fault"] for call in emu.control.calls() if call["action"] == lost][0] == "lose"


@pytest.mark.parametrize("fresh_order_list_status", FRESH_STATUSES)
def test_issued_orders_count_only_for_the_key_asked_for(emu, fresh_order_list_status):
    emu.control.settings(fresh_order_list_status=fresh_order_list_status, auto_dns_validation=True)
    cas_key = request(emu)
    assert request(emu)["order_id"] == cas_key["order_id"]
    csr = make_csr(DOMAIN)
    own_key = request(emu, csr=csr)
    assert own_key["changed"] is True and "another key than the csr" in own_key["request"]["reason"]
    assert (request(emu, csr=csr)["changed"], request(emu, csr=csr)["order_id"]) == (False, own_key["order_id"])
    # Back to a CAS-generated key: the newest order (the CSR's) is passed over, the older one still serves.
    back = request(emu)
    assert (back["changed"], back["order_id"]) == (False, cas_key["order_id"])
    assert len(creates(emu)) == 2


@pytest.mark.parametrize("fresh_order_list_status", FRESH_STATUSES)
def test_pending_order_counts_only_for_its_validation_method(emu, fresh_order_list_status):
    emu.control.settings(fresh_order_list_status=fresh_order_list_status)
    by_file = request(emu, validate_type="FILE")
    assert by_file["validation"]["uri"] == "/.well-known/pki-validation/fileauth.txt"
    by_dns = request(emu, validate_type="DNS")
    assert by_dns["changed"] is True and by_dns["validation"]["method"] == "DNS"
    assert request(emu, validate_type="DNS")["order_id"] == by_dns["order_id"]


# --- V2.0: applications on instances (seed v2: no V1.0 quota, two TEST and two BUY instances) -------

V2_WRITES = ("UpdateInstance", "ApplyCertificate", "CancelPendingCertificate", "CreateContact")
V2_MATRIX = [dict(instance_time_unit=unit, instance_cancel_status=after, client_token_honoured=honoured, list_lag=lag)
             for unit, after, honoured, lag in itertools.product(("ms", "s"), ("normal", "inactive"), (True, False),
                                                                 (0, 1))]


def _v2_name(switches):
    return "%(instance_time_unit)s-%(instance_cancel_status)s-token%(client_token_honoured)s-lag%(list_lag)d" % (
        switches)


@pytest.fixture
def v2(emu):
    emu.control.reset("v2")
    emu.control.settings(instance_validation_delay=0, instance_cancel_delay=0)
    return emu


def v2_request(emu, clock=None, check_mode=False, **overrides):
    clock = clock or PausedClock()
    params = {"domain": DOMAIN, "state": "present"}
    params.update(APPLICANT)
    params.update(overrides)
    return run(params, client_factory(emu, clock), check_mode=check_mode, diff_mode=True,
               instances_factory=lambda cas: CasInstancesClient(cas.rpc, sleep=clock.sleep, clock=clock.monotonic))


def v2_writes(emu):
    return [(call["action"], call.get("fault")) for call in emu.control.calls() if call["action"] in V2_WRITES]


def instances_of(emu, instance_type=None):
    return [i for i in emu.control.state()["instances"] if instance_type in (None, i["instance_type"])]


def publish_records(emu, result):
    for item in result["validations"]:
        emu.control.add_record("1234567890123456", item["zone"], item["fqdn"][:-len(item["zone"]) - 1], "TXT",
                               item["value"], ttl=600)


@pytest.mark.parametrize("switches", V2_MATRIX, ids=_v2_name)
def test_v2_check_run_rerun_check_then_absent(v2, switches):
    v2.control.settings(**switches)
    planned = v2_request(v2, check_mode=True)
    assert (planned["changed"], planned["source"]) == (True, "instance") and v2_writes(v2) == []
    first = v2_request(v2)
    assert (first["changed"], first["source"], first["instance_id"]) == (True, "instance", planned["instance_id"])
    assert first["phase"] == "validating" and "warnings" not in first
    (validation,) = first["validations"]
    assert validation == first["validation"] and validation["fqdn"] == "_dnsauth.www.example.com"
    assert first["instance"]["instance_end_time"].endswith("Z") and first["instance"]["instance_type"] == "TEST"
    writes = v2_writes(v2)
    assert [action for action, _fault in writes] == ["CreateContact", "UpdateInstance", "ApplyCertificate"]
    again = v2_request(v2)
    assert (again["changed"], again["instance_id"], again["validations"]) == (False, first["instance_id"],
                                                                              first["validations"])
    checked = v2_request(v2, check_mode=True)
    assert (checked["changed"], checked["instance_id"]) == (False, first["instance_id"])
    assert v2_writes(v2) == writes
    gone = v2_request(v2, state="absent")
    assert gone["changed"] is True and [i["instance_id"] for i in gone["withdrawn_instances"]] == [first["instance_id"]]
    assert gone["withdrawn_instances"][0]["status"] == switches["instance_cancel_status"]
    assert v2_request(v2, state="absent")["changed"] is False
    assert [action for action, _fault in v2_writes(v2)].count("CancelPendingCertificate") == 1
    # A withdrawal back to inactive leaves the instance prepared for the name, so it is applied on again;
    # one back to normal is spent, and the other test instance is used.
    renewed = v2_request(v2)
    same = switches["instance_cancel_status"] == "inactive"
    assert (renewed["instance_id"] == first["instance_id"]) is same
    assert renewed["changed"] is True and renewed["instance"]["instance_type"] == "TEST"
    assert not [i for i in instances_of(v2, "BUY") if i["domains"]]


@pytest.mark.parametrize("lag", [0, 1])
@pytest.mark.parametrize("unit", ["ms", "s"])
def test_v2_issued_certificate_is_reused_and_never_withdrawn(v2, lag, unit):
    v2.control.settings(list_lag=lag, instance_time_unit=unit)
    first = v2_request(v2)
    publish_records(v2, first)
    issued = v2_request(v2)
    assert (issued["changed"], issued["instance_id"], issued["phase"]) == (False, first["instance_id"], "issued")
    assert issued["validations"] == [] and issued["validation"] is None
    assert "PRIVATE KEY" not in repr(issued)
    kept = v2_request(v2, state="absent")
    assert kept["changed"] is False and [i["instance_id"] for i in kept["kept_instances"]] == [first["instance_id"]]
    assert not [c for c in v2.control.calls() if c["action"] in (
        "CancelPendingCertificate", "RefundInstance", "DeleteInstance", "RevokeCertificate")]


@pytest.mark.parametrize("lag", [0, 1])
@pytest.mark.parametrize("honoured", [True, False])
def test_v2_lost_apply_ends_with_one_application(v2, honoured, lag):
    v2.control.settings(client_token_honoured=honoured, list_lag=lag)
    v2.control.set_faults(lose_response={"count": 1, "actions": ["ApplyCertificate"]})
    first = v2_request(v2)
    assert first["changed"] is True and "was not submitted again" in first["warnings"][0]
    assert [fault for action, fault in v2_writes(v2) if action == "ApplyCertificate"] == ["lose"]
    pending = [i for i in instances_of(v2) if i["status"] == "pending"]
    assert [i["instance_id"] for i in pending] == [first["instance_id"]] and first["validations"]
    again = v2_request(v2)
    assert (again["changed"], again["instance_id"]) == (False, first["instance_id"])
    assert [action for action, _fault in v2_writes(v2)].count("ApplyCertificate") == 1


@pytest.mark.parametrize("check_mode", [True, False])
def test_v2_no_paid_instance_is_spent_unless_instance_type_is_buy(v2, check_mode):
    paid = {i["instance_id"] for i in instances_of(v2, "BUY")}
    for name in ("a.example.com", "b.example.com"):  # the two test instances
        assert v2_request(v2, domain=name)["instance"]["instance_type"] == "TEST"
    v2.control.clear_calls()
    with pytest.raises(ConfigurationError) as caught:
        v2_request(v2, check_mode=check_mode, domain="c.example.com")
    assert "TEST 0 inactive" in str(caught.value) and "BUY 2 inactive" in str(caught.value)
    for overrides in ({"source": "instance"}, {"instance_id": sorted(paid)[0]}):
        with pytest.raises(ConfigurationError, match="instance_type"):
            v2_request(v2, check_mode=check_mode, domain="c.example.com", **overrides)
    assert v2_writes(v2) == []
    assert all(i["status"] == "inactive" and not i["domains"] for i in instances_of(v2, "BUY"))
    allowed = v2_request(v2, check_mode=check_mode, domain="c.example.com", instance_type="BUY")
    assert allowed["instance_id"] in paid and allowed["request"]["instance_type"] == "BUY"
    assert bool(v2_writes(v2)) is not check_mode


def test_v2_multi_domain_on_the_paid_wildcard_instance(v2):
    result = v2_request(v2, domain=None, domains=["*.example.com", "example.com"], instance_type="BUY")
    assert result["instance"]["wildcard_domain_count"] == 1
    assert [v["domain"] for v in result["validations"]] == ["*.example.com"]
    assert sorted(result["instance"]["domains"]) == ["*.example.com", "example.com"]
    assert v2_request(v2, domain=None, domains=["example.com", "*.example.com"], instance_type="BUY")[
        "changed"] is False


def test_v2_validation_records_are_waited_for_in_the_same_run(v2):
    v2.control.settings(instance_validation_delay=0.6)
    clock = PausedClock()
    clock.sleep = time.sleep  # the emulator's delay is real time
    result = v2_request(v2, clock=clock)
    assert result["phase"] == "validating" and len(result["validations"]) == 1


def test_v2_absent_waits_for_a_late_withdrawal(v2):
    v2.control.settings(instance_cancel_delay=0.5)
    applied = v2_request(v2)
    clock = PausedClock()
    clock.sleep = time.sleep
    gone = v2_request(v2, clock=clock, state="absent")
    assert gone["withdrawn_instances"][0]["phase"] == "withdrawn" and gone["warnings"] == []
    assert gone["withdrawn_instances"][0]["instance_id"] == applied["instance_id"]


def test_auto_on_a_v1_account_still_spends_v1_quota(emu):
    result = request(emu)
    assert (result["source"], result["instance_id"], result["phase"]) == ("package", None, "validating")
    assert result["validations"] == [result["validation"]]


def test_v2_update_protection_is_waited_out_on_the_named_instance(v2):
    protected = v2.control.add_instance("1234567890123456", "TEST", update_protection=2)
    clock = PausedClock()
    result = v2_request(v2, clock=clock, instance_id=protected["instance_id"])
    assert (result["changed"], result["instance_id"]) == (True, protected["instance_id"])
    updates = [c["error_code"] for c in v2.control.calls() if c["action"] == "UpdateInstance"]
    assert updates == ["InvalidStatus.UpdateProtection"] * 2 + [None] and len(clock.sleeps) >= 2
