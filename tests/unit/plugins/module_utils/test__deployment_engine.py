# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The engine's read-compare-write, validation and batch rules, over fake adapters and a fake CAS."""

from __future__ import annotations

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils._cas_certificates import (
    CertificateNotUsableError,
    name_covers,
    usable_refusal,
)
from ansible_collections.alicloud.cas.plugins.module_utils._deployment import _engine
from ansible_collections.alicloud.cas.plugins.module_utils._deployment._base import (
    Adapter,
    DeployableCertificate,
    DeploymentRefusedError,
    Served,
)
from ansible_collections.alicloud.cas.plugins.module_utils._errors import (
    AlibabaCloudError,
    ConfigurationError,
    PartialResultError,
)

NOW = 1_800_000_000.0  # 2027-01-15


def cert(certificate_id, names, not_before="2026-12-01T00:00:00Z", not_after="2027-03-01T00:00:00Z"):
    return DeployableCertificate(certificate_id, "%d-cn-hangzhou" % certificate_id, "cn-hangzhou",
                                 "cert-%d" % certificate_id, names, not_before, not_after)


class FakeCertificates:
    def __init__(self, *certificates):
        self.known = dict((c.certificate_id, c) for c in certificates)
        self.reads = []
        self.clock = lambda: NOW

    def by_id(self, certificate_id):
        self.reads.append(certificate_id)
        if certificate_id not in self.known:
            raise CertificateNotUsableError("CAS certificate %d does not exist." % certificate_id)
        return self.known[certificate_id]

    def usable(self, certificate):
        refusal = usable_refusal(certificate, self.clock)
        if refusal:
            raise CertificateNotUsableError(refusal)
        return certificate

    def names_of(self, certificate_id):
        try:
            found = self.by_id(certificate_id)
        except CertificateNotUsableError:
            return None, None
        return found.names, found.not_after

    def newest_covering(self, names, domain):
        fits = [c for c in self.known.values() if not _engine.covers_all(c.names, names)]
        if not fits:
            raise CertificateNotUsableError("none covers %s" % names)
        best = max(fits, key=lambda c: (c.not_before, c.not_after, c.certificate_id))
        return best, "the newest"


class FakeAdapter(Adapter):
    """A product whose targets serve what ``state`` says; ``log`` records reads and writes."""

    product = "fake"
    state = {}
    log = []
    failures = {}

    def identity(self, target):
        return target.get("domain") or target.get("listener_id")

    def covered_names(self, target):
        return (target["domain"],) if target.get("domain") else ()

    def describe(self, target):
        return "%s %s" % (target["product"], self.identity(target))

    def read(self, target):
        self.log.append(("read", self.identity(target)))
        failure = self.failures.get(("read", self.identity(target)))
        if failure:
            raise failure
        return self.state.get(self.identity(target)) or Served()

    def in_sync(self, target, served, certificate):
        if target.get("additional"):
            return any(entry.certificate_id == certificate.certificate_id for entry in served.additional or [])
        return served.certificate_id == certificate.certificate_id

    def apply(self, plan):
        key = self.identity(plan.target)
        failure = self.failures.get(("apply", key))
        if failure:
            raise failure
        self.log.append(("apply", key, plan.certificate.certificate_id))
        for entry in plan.dissociate:
            self.log.append(("dissociate", key, entry.certificate_id))
        return {"extra": "from %s" % self.product}


class Cdn(FakeAdapter):
    product = "cdn"
    required_options = ("domain",)
    optional_options = ("enable_https",)


class Alb(FakeAdapter):
    product = "alb"
    required_options = ("region", "listener_id")
    optional_options = ("additional",)


class Clb(FakeAdapter):
    product = "clb"
    required_options = ("region", "load_balancer_id", "listener_port")
    optional_options = ("domain",)

    def identity(self, target):
        return (target["region"], target["load_balancer_id"], target["listener_port"], target.get("domain"))


CLASSES = {"cdn": Cdn, "alb": Alb, "clb": Clb}


@pytest.fixture(autouse=True)
def fresh_fakes():
    FakeAdapter.state = {}
    FakeAdapter.log = []
    FakeAdapter.failures = {}


def run(params, certificates, check_mode=False, diff_mode=False, write=True, site="china"):
    deployments = _engine.validate_deployments(params, CLASSES, site, with_certificate=write)
    adapters = dict((name, cls(None)) for name, cls in CLASSES.items())
    return _engine.deploy(deployments, adapters, certificates, check_mode=check_mode, diff_mode=diff_mode, write=write)


def writes():
    return [entry for entry in FakeAdapter.log if entry[0] != "read"]


# --- validation ---------------------------------------------------------------------------

@pytest.mark.parametrize("targets, option, text", [
    ([{"product": "cdn"}], "targets[0].domain", "required for a cdn target"),
    ([{"product": "cdn", "domain": "a.example.com"}, {"product": "alb", "region": "cn-hangzhou"}],
     "targets[1].listener_id", "required"),
    ([{"product": "cdn", "domain": "a.example.com", "listener_id": "lsn-1"}], "targets[0].listener_id",
     "does not apply to a cdn target"),
    ([{"product": "alb", "region": "cn-hangzhou", "listener_id": "lsn-1", "enable_https": True}],
     "targets[0].enable_https", "does not apply to a alb target"),
    ([{"product": "waf", "domain": "a.example.com"}], "targets[0].product", "must be one of"),
    ([{"product": "clb", "region": "cn-hangzhou", "load_balancer_id": "lb-1", "listener_port": 70000}],
     "targets[0].listener_port", "1 to 65535"),
    ([{"product": "cdn", "domain": "https://a.example.com/x"}], "targets[0].domain", ""),
])
def test_bad_items_are_refused_before_any_call_naming_the_option(targets, option, text):
    certificates = FakeCertificates(cert(1, ["a.example.com"]))
    with pytest.raises(ConfigurationError) as raised:
        run({"certificate_id": 1, "targets": targets}, certificates)
    assert raised.value.option == option and option in str(raised.value) and text in str(raised.value)
    assert FakeAdapter.log == [] and certificates.reads == []


def test_batch_errors_name_the_deployment_and_target():
    params = {"deployments": [
        {"certificate_id": 1, "targets": [{"product": "cdn", "domain": "a.example.com"}]},
        {"domain": "b.example.com", "targets": [{"product": "cdn", "domain": "b.example.com"},
                                                {"product": "alb", "listener_id": "lsn-1"}]},
    ]}
    with pytest.raises(ConfigurationError, match=r"deployments\[1\]\.targets\[1\]\.region is required"):
        run(params, FakeCertificates())


def test_two_items_naming_one_target_are_refused_naming_both():
    params = {"deployments": [
        {"certificate_id": 1, "targets": [{"product": "cdn", "domain": "a.example.com"}]},
        {"certificate_id": 2, "targets": [{"product": "cdn", "domain": "A.example.com."}]},
    ]}
    with pytest.raises(ConfigurationError) as raised:
        run(params, FakeCertificates())
    assert "deployments[0].targets[0] and deployments[1].targets[0] name the same target" in str(raised.value)


def test_certificate_id_and_domain_are_exclusive_and_the_site_suffix_is_checked():
    with pytest.raises(ConfigurationError, match="exactly one of certificate_id and domain"):
        run({"certificate_id": 1, "domain": "a.example.com", "targets": [{"product": "cdn", "domain": "a.example.com"}]},
            FakeCertificates())
    with pytest.raises(ConfigurationError, match="international CAS site, but site is china"):
        run({"certificate_id": "1-ap-southeast-1", "targets": [{"product": "cdn", "domain": "a.example.com"}]},
            FakeCertificates())
    FakeAdapter.state = {"a.example.com": Served(1, "1")}
    result = run({"certificate_id": "1-cn-hangzhou", "targets": [{"product": "cdn", "domain": "a.example.com"}]},
                 FakeCertificates(cert(1, ["a.example.com"])))
    assert result["certificate"]["certificate_id"] == 1 and not result["changed"]


# --- coverage and the listener rule -------------------------------------------------------

@pytest.mark.parametrize("pattern, name, covered", [
    ("*.example.com", "a.example.com", True),
    ("*.example.com", "example.com", False),
    ("*.example.com", "a.b.example.com", False),
    ("a.example.com", "A.example.com", True),
    ("*.example.com", "*.example.com", True),
    ("a.example.com", "*.example.com", False),
])
def test_wildcard_rules(pattern, name, covered):
    assert name_covers(pattern, name) is covered


def test_a_certificate_that_does_not_cover_a_domain_is_refused_without_a_write_and_others_go_on():
    certificates = FakeCertificates(cert(7, ["*.example.com"]))
    with pytest.raises(PartialResultError) as raised:
        run({"certificate_id": 7, "targets": [{"product": "cdn", "domain": "example.com"},
                                              {"product": "cdn", "domain": "www.example.com"}]}, certificates)
    first, second = raised.value.result["targets"]
    assert first["failed"] and "cdn example.com" in first["msg"] and "does not cover example.com" in first["msg"]
    assert not second["failed"] and second["changed"]
    assert writes() == [("apply", "www.example.com", 7)]
    assert "targets[0]" in str(raised.value)


def test_listener_keeps_a_certificate_with_names_the_new_one_lacks_unless_force():
    certificates = FakeCertificates(cert(1, ["shop.example.com"]), cert(2, ["www.example.com"]))
    FakeAdapter.state = {"lsn-1": Served(1, "1-cn-hangzhou"), "lsn-2": Served(1, "1-cn-hangzhou")}
    with pytest.raises(PartialResultError) as raised:
        run({"certificate_id": 2, "targets": [
            {"product": "alb", "region": "cn-hangzhou", "listener_id": "lsn-1"},
            {"product": "alb", "region": "cn-hangzhou", "listener_id": "lsn-2", "force": True}]}, certificates)
    refused, forced = raised.value.result["targets"]
    assert refused["failed"] and "shop.example.com" in refused["msg"] and "force: true" in refused["msg"]
    assert forced["changed"] and not forced["failed"]
    assert writes() == [("apply", "lsn-2", 2)]


def test_listener_names_come_from_the_product_when_it_reports_them():
    certificates = FakeCertificates(cert(2, ["*.example.com"]))
    FakeAdapter.state = {"lsn-1": Served(None, "uploaded-sc", names=["a.example.com"])}
    result = run({"certificate_id": 2, "targets": [{"product": "alb", "region": "cn-hangzhou", "listener_id": "lsn-1"}]},
                 certificates)
    assert result["targets"][0]["changed"] and certificates.reads == [2]


def test_expired_or_unknown_certificate_fails_every_target_without_a_read():
    certificates = FakeCertificates(cert(3, ["a.example.com"], not_after="2026-12-31T00:00:00Z"))
    with pytest.raises(PartialResultError) as raised:
        run({"certificate_id": 3, "targets": [{"product": "cdn", "domain": "a.example.com"}]}, certificates)
    assert "expired" in raised.value.result["targets"][0]["msg"]
    with pytest.raises(PartialResultError) as raised:
        run({"certificate_id": 4, "targets": [{"product": "cdn", "domain": "a.example.com"}]}, certificates)
    assert "does not exist" in raised.value.result["targets"][0]["msg"]
    assert FakeAdapter.log == []


# --- compare, check mode, diff ------------------------------------------------------------

def test_in_sync_makes_no_write_and_check_mode_makes_only_reads():
    certificates = FakeCertificates(cert(1, ["a.example.com"]), cert(2, ["a.example.com", "b.example.com"]))
    FakeAdapter.state = {"a.example.com": Served(2, "2"), "b.example.com": Served(1, "1")}
    params = {"certificate_id": 2, "targets": [{"product": "cdn", "domain": "a.example.com"},
                                               {"product": "cdn", "domain": "b.example.com"}]}
    result = run(params, certificates, check_mode=True, diff_mode=True)
    assert [t["changed"] for t in result["targets"]] == [False, True] and result["changed"]
    assert writes() == []
    assert result["diff"]["before"]["targets"][1] == {"target": "cdn b.example.com", "certificate_id": 1,
                                                      "names": ["a.example.com"], "not_after": "2027-03-01T00:00:00Z"}
    assert result["diff"]["after"]["targets"][1]["certificate_id"] == 2
    assert result["diff"]["after"]["targets"][0] == result["diff"]["before"]["targets"][0]
    result = run(params, certificates)
    assert writes() == [("apply", "b.example.com", 2)]
    assert result["targets"][1]["previous"] == {"certificate_id": 1, "product_reference": "1"}
    assert result["targets"][1]["extra"] == "from cdn" and result["targets"][1]["certificate_id"] == 2


def test_domain_selection_returns_the_choice_and_why():
    certificates = FakeCertificates(cert(5, ["a.example.com"]), cert(6, ["*.example.com"], not_before="2026-12-05T00:00:00Z"))
    result = run({"domain": "a.example.com", "targets": [{"product": "cdn", "domain": "b.example.com"}]}, certificates)
    assert result["certificate"]["certificate_id"] == 6 and result["certificate"]["selected"] == "the newest"


# --- additional certificates --------------------------------------------------------------

def test_additional_dissociates_only_covered_old_ones_after_associating():
    certificates = FakeCertificates(cert(1, ["a.example.com"]), cert(2, ["x.other.test"]),
                                    cert(3, ["a.example.com", "b.example.com"]))
    FakeAdapter.state = {"lsn-1": Served(9, "9-cn-hangzhou", names=["default.test"],
                                         additional=[Served(1, "1-cn-hangzhou"), Served(2, "2-cn-hangzhou")])}
    result = run({"certificate_id": 3, "targets": [
        {"product": "alb", "region": "cn-hangzhou", "listener_id": "lsn-1", "additional": True}]}, certificates)
    assert writes() == [("apply", "lsn-1", 3), ("dissociate", "lsn-1", 1)]
    assert result["targets"][0]["dissociated"] == [{"certificate_id": 1, "product_reference": "1-cn-hangzhou"}]


# --- failures -----------------------------------------------------------------------------

def test_permission_error_names_the_ram_action_and_the_target_and_the_batch_goes_on():
    certificates = FakeCertificates(cert(1, ["a.example.com", "b.example.com"]))
    FakeAdapter.failures = {("apply", "a.example.com"): AlibabaCloudError(
        "not authorized", code="Forbidden.RAM", action="SetCdnDomainSSLCertificate", request_id="R1")}
    with pytest.raises(PartialResultError) as raised:
        run({"certificate_id": 1, "targets": [{"product": "cdn", "domain": "a.example.com"},
                                              {"product": "cdn", "domain": "b.example.com"}]}, certificates)
    failed, done = raised.value.result["targets"]
    assert failed["failed"] and "cdn:SetCdnDomainSSLCertificate" in failed["msg"] and "cdn a.example.com" in failed["msg"]
    assert failed["error"]["request_id"] == "R1"
    assert done["changed"] and not done["failed"]
    assert "1 of 2 target(s) failed: targets[0]" in str(raised.value)


def test_clb_permission_prefix_is_slb_and_refusals_keep_their_message():
    certificates = FakeCertificates(cert(1, ["a.example.com"]))
    FakeAdapter.failures = {("read", ("cn-hangzhou", "lb-1", 443, None)): AlibabaCloudError(
        "no", code="NoPermission", action="DescribeLoadBalancerHTTPSListenerAttribute"),
        ("read", "lsn-1"): DeploymentRefusedError("listener is Configuring for too long")}
    with pytest.raises(PartialResultError) as raised:
        run({"certificate_id": 1, "targets": [
            {"product": "clb", "region": "cn-hangzhou", "load_balancer_id": "lb-1", "listener_port": 443},
            {"product": "alb", "region": "cn-hangzhou", "listener_id": "lsn-1"}]}, certificates)
    clb, alb = raised.value.result["targets"]
    assert "slb:DescribeLoadBalancerHTTPSListenerAttribute" in clb["msg"]
    assert alb["msg"] == "alb lsn-1: listener is Configuring for too long"


def test_info_reports_what_each_target_serves_and_writes_nothing():
    certificates = FakeCertificates(cert(1, ["a.example.com"]))
    FakeAdapter.state = {"a.example.com": Served(1, "1", https_enabled=True)}
    result = run({"targets": [{"product": "cdn", "domain": "a.example.com"}]}, certificates, write=False)
    target = result["targets"][0]
    assert (target["certificate_id"], target["certificate_identifier"], target["names"], target["days_left"]) == (
        1, "1-cn-hangzhou", ["a.example.com"], 44)
    assert writes() == []


def test_untyped_batch_items_take_boolean_strings_and_refuse_others():
    certificates = FakeCertificates(cert(1, ["a.example.com"]))
    params = {"deployments": [{"certificate_id": 1, "targets": [
        {"product": "alb", "region": "cn-hangzhou", "listener_id": "lsn-1", "additional": "yes"},
        {"product": "cdn", "domain": "a.example.com", "additional": "no"}]}]}
    result = run(params, certificates)
    assert result["deployments"][0]["targets"][0]["additional"] is True
    params["deployments"][0]["targets"][1]["additional"] = "maybe"
    with pytest.raises(ConfigurationError, match=r"deployments\[0\]\.targets\[1\]\.additional must be true or false"):
        run(params, certificates)


def test_identifier_form_costs_no_cas_read_when_every_target_is_in_sync():
    certificates = FakeCertificates(cert(4, ["a.example.com", "b.example.com"]))
    FakeAdapter.state = {"a.example.com": Served(4, "4"), "b.example.com": Served(4, "4")}
    targets = [{"product": "cdn", "domain": "a.example.com"}, {"product": "cdn", "domain": "b.example.com"}]
    params = {"certificate_id": "4-cn-hangzhou", "targets": targets}
    result = run(params, certificates)
    assert not result["changed"] and certificates.reads == []
    assert result["certificate"] == {"certificate_id": 4, "certificate_identifier": "4-cn-hangzhou", "names": None,
                                     "not_after": None}
    FakeAdapter.state["b.example.com"] = Served(3, "3")
    result = run(params, certificates)
    assert sorted(certificates.reads) == [3, 4] and writes() == [("apply", "b.example.com", 4)]
    assert result["certificate"]["names"] == ["a.example.com", "b.example.com"]


def test_identifier_form_of_an_unknown_certificate_fails_only_the_targets_that_need_it():
    certificates = FakeCertificates()
    FakeAdapter.state = {"a.example.com": Served(8, "8")}
    with pytest.raises(PartialResultError) as raised:
        targets = [{"product": "cdn", "domain": "a.example.com"}, {"product": "cdn", "domain": "b.example.com"}]
        run({"certificate_id": "8-cn-hangzhou", "targets": targets}, certificates)
    in_sync, unknown = raised.value.result["targets"]
    assert not in_sync["failed"] and unknown["failed"] and "does not exist" in unknown["msg"]
    assert unknown["previous"] == {"certificate_id": None, "product_reference": None}


def test_a_refused_cas_read_names_the_cas_ram_action():
    class Refusing(FakeCertificates):
        def by_id(self, certificate_id):
            raise AlibabaCloudError("denied", code="Forbidden.RAM", action="GetUserCertificateDetail")

    with pytest.raises(PartialResultError) as raised:
        run({"certificate_id": 1, "targets": [{"product": "alb", "region": "cn-hangzhou", "listener_id": "lsn-1"}]},
            Refusing())
    assert "yundun-cert:GetUserCertificateDetail" in raised.value.result["targets"][0]["msg"]
    assert FakeAdapter.log == []
