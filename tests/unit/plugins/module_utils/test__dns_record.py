# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""dns_record logic against an in-memory Alidns: input checks, reconciliation, check/diff mode."""

from __future__ import annotations

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils._alidns import AlidnsClient
from ansible_collections.alicloud.cas.plugins.module_utils._dns_record import (
    check_params,
    parse_value,
    run,
    unquote_txt,
)
from ansible_collections.alicloud.cas.plugins.module_utils._errors import ConfigurationError
from ansible_collections.alicloud.cas.tests.unit.plugins.module_utils.fake_alidns import FakeAlidns

Z = "example.com"


def params(**overrides):
    base = dict(record=None, zone=None, rr=None, type="TXT", values=None, ttl=600, line="default",
                priority=None, state="present", on_existing="replace")
    base.update(overrides)
    return base


def run_on(fake, check_mode=False, diff_mode=False, **overrides):
    return run(params(**overrides), lambda: AlidnsClient(fake), check_mode=check_mode, diff_mode=diff_mode)


def no_client():
    raise AssertionError("input checks must fail before a client is built")


def without_status(records):
    """Records as compared between a run that wrote them (Alidns answers no status to a
    write) and one that read them."""
    return [{k: v for k, v in r.items() if k != "status"} for r in records]


# --- values ---------------------------------------------------------------------------------

@pytest.mark.parametrize("given, content", [
    ("abc", "abc"),
    ('"abc"', "abc"),
    ('"v=spf1 include:spf.example.net -all"', "v=spf1 include:spf.example.net -all"),
    ('"part one " "part two"', "part one part two"),
    (r'"say \"hi\""', 'say "hi"'),
    ('a "quoted" word', 'a "quoted" word'),  # not made of quoted strings: content as it is
    ('"unbalanced', '"unbalanced'),
])
def test_unquote_txt(given, content):
    assert unquote_txt(given) == content


@pytest.mark.parametrize("record_type, given, canonical", [
    ("A", " 192.0.2.1 ", "192.0.2.1"),
    ("AAAA", "2001:DB8:0:0::1", "2001:db8::1"),
    ("CNAME", "Target.Example.NET.", "target.example.net"),
    ("CNAME", "bücher.example", "xn--bcher-kva.example"),
    ("NS", "ns1.example.net", "ns1.example.net"),
    ("MX", "mx.example.net", "mx.example.net"),
    ("SRV", "10  5 5060 SIP.example.com.", "10 5 5060 sip.example.com"),
    ("CAA", '0 issue "digicert.com"', '0 issue "digicert.com"'),
    ("CAA", "0 ISSUE digicert.com", '0 issue "digicert.com"'),
    ("TXT", '"abc"', "abc"),
])
def test_parse_value_canonical_forms(record_type, given, canonical):
    assert parse_value(record_type, given) == canonical


@pytest.mark.parametrize("record_type, given, reason", [
    ("A", "2001:db8::1", "not an IPv4 address"),
    ("A", "192.0.2", "not an IPv4 address"),
    ("AAAA", "192.0.2.1", "not an IPv6 address"),
    ("AAAA", "fe80::1%eth0", "not an IPv6 address"),
    ("CNAME", "http://example.com", "scheme"),
    ("CNAME", "localhost", "fully qualified"),
    ("MX", "10 mx.example.net", "priority"),
    ("SRV", "10 5 sip.example.com", "priority weight port target"),
    ("SRV", "10 5 70000 sip.example.com", "0 to 65535"),
    ("CAA", "issue digicert.com", "flags tag"),
    ("CAA", "0 contactemail x@example.com", "tag 'contactemail'"),
    ("CAA", "256 issue \"x\"", "flags tag"),
    ("TXT", '""', "must not be empty"),
    ("TXT", "x" * 513, "513 characters is too long; Alidns accepts at most 512"),
])
def test_parse_value_rejects_values_that_do_not_fit(record_type, given, reason):
    with pytest.raises(ValueError, match=reason):
        parse_value(record_type, given)


def test_txt_of_512_characters_is_accepted():
    assert parse_value("TXT", "x" * 512) == "x" * 512


# --- input checks ---------------------------------------------------------------------------

@pytest.mark.parametrize("overrides, option, text", [
    (dict(record="www.example.com", type="A", values=["not-an-ip"]), "values", "IPv4"),
    (dict(record="www.example.com", type="MX", values=["mx.example.net"]), "priority", "need priority"),
    (dict(record="www.example.com", type="MX", values=["mx.example.net"], priority=51), "priority", "1 to 50"),
    (dict(record="www.example.com", type="A", values=["192.0.2.1"], priority=10), "priority", "only applies to MX"),
    (dict(record="www.example.com", values=["x"], ttl=0), "ttl", "not a DNS TTL"),
    (dict(record="www.example.com", values=["x"], ttl=2 ** 31), "ttl", "not a DNS TTL"),
    (dict(record="www.example.com", values=[]), "values", "at least one value"),
    (dict(record="www.example.com"), "values", "at least one value"),
    (dict(record="www..example.com", values=["x"]), "record", "empty label"),
    (dict(record="https://www.example.com", values=["x"]), "record", "scheme"),
    (dict(record="www.example.com", zone="example.org", values=["x"]), "record", "not inside zone"),
    (dict(zone="example.com", rr="bad!label", values=["x"]), "rr", "letters, digits"),
    (dict(values=["x"]), "record", "Set record"),
    (dict(rr="www", values=["x"]), "rr", "together with zone"),
    (dict(record="www.example.com", zone="example.com", rr="www", values=["x"]), "rr", "without record"),
    (dict(record="www.example.com", values=["x"], line=" "), "line", "must not be empty"),
])
def test_input_checks_fail_before_any_call(overrides, option, text):
    with pytest.raises(ConfigurationError) as info:
        run(params(**overrides), no_client)
    assert info.value.option == option
    assert text in str(info.value)


def test_check_params_normalises_names_and_values():
    wanted = check_params(params(record="_DNSAuth.Bücher.Example.", values=['"a"', "a", "b"]))
    assert wanted["record"] == "_dnsauth.xn--bcher-kva.example"
    assert wanted["values"] == ["a", "b"]
    assert check_params(params(zone="Example.com", rr="@", values=["x"]))["rr"] == "@"


def test_absent_mx_needs_no_priority():
    assert check_params(params(record="example.com", type="MX", state="absent"))["priority"] is None


# --- naming and zone discovery --------------------------------------------------------------

def test_record_finds_the_longest_zone():
    fake = FakeAlidns(zones=["example.com", "sub.example.com"])
    result = run_on(fake, record="_dnsauth.www.sub.example.com", values=["token"])
    assert (result["zone"], result["rr"], result["fqdn"]) == ("sub.example.com", "_dnsauth.www", "_dnsauth.www.sub.example.com")
    assert fake.values("sub.example.com", "_dnsauth.www", "TXT") == ["token"]


def test_apex_by_record_and_by_rr():
    fake = FakeAlidns()
    first = run_on(fake, record="example.com", values=["apex"])
    assert (first["rr"], first["fqdn"], first["changed"]) == ("@", Z, True)
    second = run_on(fake, zone=Z, rr="@", values=["apex"])
    assert (second["rr"], second["fqdn"], second["changed"]) == ("@", Z, False)
    assert fake.values(Z, "@", "TXT") == ["apex"]


def test_idn_record_is_written_in_punycode():
    fake = FakeAlidns(zones=["xn--bcher-kva.example"])
    result = run_on(fake, record="www.bücher.example", type="A", values=["192.0.2.1"])
    assert (result["zone"], result["rr"]) == ("xn--bcher-kva.example", "www")
    assert fake.values("xn--bcher-kva.example", "www", "A") == ["192.0.2.1"]


def test_explicit_zone_skips_discovery():
    fake = FakeAlidns()
    run_on(fake, record="www.example.com", zone=Z, type="A", values=["192.0.2.1"])
    assert "DescribeDomains" not in fake.actions()


def test_zone_not_in_account_is_a_clear_error():
    with pytest.raises(ConfigurationError, match="not an Alidns zone of this account") as info:
        run_on(FakeAlidns(), zone="example.org", rr="www", type="A", values=["192.0.2.1"])
    assert info.value.option == "zone"


def test_no_matching_zone_names_the_nearest_zones():
    with pytest.raises(ConfigurationError, match="has 1 zone; the nearest: example.com"):
        run_on(FakeAlidns(), record="www.example.org", values=["x"])


@pytest.mark.parametrize("floor", [1, 600])
def test_ttl_below_600_is_decided_by_alidns(floor):
    fake = FakeAlidns(ttl_floor=floor)
    if floor == 1:  # a paid edition
        result = run_on(fake, record="www.example.com", type="A", values=["192.0.2.1"], ttl=60)
        assert [r["ttl"] for r in result["records"]] == [60]
        return
    with pytest.raises(ConfigurationError) as info:
        run_on(fake, record="www.example.com", type="A", values=["192.0.2.1"], ttl=60)
    assert info.value.option == "ttl" and "refused ttl 60" in str(info.value)
    assert fake.records == {}


# --- present: replace -----------------------------------------------------------------------

def test_create_then_idempotent():
    fake = FakeAlidns()
    first = run_on(fake, record="www.example.com", type="A", values=["192.0.2.2", "192.0.2.1"])
    assert first["changed"] is True
    assert [r["value"] for r in first["records"]] == ["192.0.2.1", "192.0.2.2"]
    assert all(r["id"] and r["status"] is None and r["ttl"] == 600 for r in first["records"])
    fake.calls.clear()
    second = run_on(fake, record="www.example.com", type="A", values=["192.0.2.1", "192.0.2.2", "192.0.2.1"])
    assert second["changed"] is False
    assert fake.writes() == []
    assert without_status(second["records"]) == without_status(first["records"])
    assert {r["status"] for r in second["records"]} == {"ENABLE"}


def test_replace_equal_sizes_updates_in_place():
    fake = FakeAlidns()
    ids = [fake.seed(Z, "www", "A", "192.0.2.1"), fake.seed(Z, "www", "A", "192.0.2.2")]
    result = run_on(fake, record="www.example.com", type="A", values=["192.0.2.2", "192.0.2.3"])
    assert result["changed"] is True
    assert fake.write_actions() == ["UpdateDomainRecord"]
    assert fake.writes()[0][1]["RecordId"] == ids[0]
    assert fake.writes()[0][1]["Value"] == "192.0.2.3"
    assert fake.values(Z, "www", "A") == ["192.0.2.2", "192.0.2.3"]
    assert sorted(r["id"] for r in result["records"]) == sorted(ids)


def test_replace_growing_adds_after_updates_and_never_deletes():
    fake = FakeAlidns()
    fake.seed(Z, "www", "A", "192.0.2.1")
    run_on(fake, record="www.example.com", type="A", values=["192.0.2.5", "192.0.2.6", "192.0.2.7"])
    assert fake.write_actions() == ["UpdateDomainRecord", "AddDomainRecord", "AddDomainRecord"]
    assert fake.values(Z, "www", "A") == ["192.0.2.5", "192.0.2.6", "192.0.2.7"]


def test_replace_shrinking_deletes_last():
    fake = FakeAlidns()
    for i in range(1, 4):
        fake.seed(Z, "www", "A", "192.0.2.%d" % i)
    run_on(fake, record="www.example.com", type="A", values=["192.0.2.9"])
    assert fake.write_actions() == ["UpdateDomainRecord", "DeleteDomainRecord", "DeleteDomainRecord"]
    assert fake.values(Z, "www", "A") == ["192.0.2.9"]


def test_ttl_and_priority_changes_update_in_place():
    fake = FakeAlidns()
    txt = fake.seed(Z, "www", "TXT", "x", ttl=600)
    mx = fake.seed(Z, "@", "MX", "mx.example.net", priority=10)
    assert run_on(fake, record="www.example.com", values=["x"], ttl=3600)["changed"] is True
    assert fake.records[txt]["TTL"] == 3600
    assert run_on(fake, record=Z, type="MX", values=["mx.example.net"], priority=20)["changed"] is True
    assert fake.records[mx]["Priority"] == 20
    assert fake.write_actions() == ["UpdateDomainRecord", "UpdateDomainRecord"]
    fake.calls.clear()
    result = run_on(fake, record=Z, type="MX", values=["mx.example.net"], priority=20)
    assert result["changed"] is False and fake.writes() == []
    assert result["records"][0]["priority"] == 20


def test_txt_is_compared_and_stored_unquoted():
    fake = FakeAlidns()
    fake.seed(Z, "_dnsauth", "TXT", "token")
    result = run_on(fake, record="_dnsauth.example.com", values=['"token"'])
    assert result["changed"] is False
    run_on(fake, record="_dnsauth.example.com", values=['"other token"'], on_existing="keep")
    assert fake.values(Z, "_dnsauth", "TXT") == ["other token", "token"]


def test_txt_stored_quoted_by_another_tool_matches_unquoted_value():
    fake = FakeAlidns()
    fake.seed(Z, "_dnsauth", "TXT", '"token"')
    assert run_on(fake, record="_dnsauth.example.com", values=["token"])["changed"] is False


def test_replace_removes_a_same_value_duplicate():
    fake = FakeAlidns()
    fake.seed(Z, "t", "TXT", "token")
    fake.seed(Z, "t", "TXT", '"token"')
    result = run_on(fake, record="t.example.com", values=["token"])
    assert result["changed"] is True
    assert fake.values(Z, "t", "TXT") == ["token"]


def test_other_types_lines_and_names_are_never_touched():
    fake = FakeAlidns()
    fake.seed(Z, "www", "TXT", "keep-me")
    fake.seed(Z, "www", "A", "192.0.2.1", line="telecom")
    fake.seed(Z, "www2", "A", "192.0.2.1")
    fake.seed(Z, "www", "A", "192.0.2.1")
    run_on(fake, record="www.example.com", type="A", values=["192.0.2.2"])
    run_on(fake, record="www.example.com", type="A", state="absent")
    assert fake.values(Z, "www", "TXT") == ["keep-me"]
    assert fake.values(Z, "www", "A", line="telecom") == ["192.0.2.1"]
    assert fake.values(Z, "www2", "A") == ["192.0.2.1"]
    assert fake.values(Z, "www", "A") == []


def test_record_set_spanning_pages():
    fake = FakeAlidns()
    for i in range(600):  # more than one page of 500, at names and types the search also returns
        fake.seed(Z, "big", "TXT" if i % 2 else "A", "v%d" % i if i % 2 else "192.0.2.%d" % (i % 250))
    ours = [fake.seed(Z, "big", "CAA", '0 issue "ca%d.example"' % i) for i in range(3)]
    result = run_on(fake, record="big.example.com", type="CAA", values=['0 issue "ca0.example"', '0 issue "ca1.example"'])
    assert fake.write_actions() == ["DeleteDomainRecord"]
    assert fake.writes()[0][1]["RecordId"] == ours[2]
    assert [p["PageNumber"] for a, p in fake.calls if a == "DescribeDomainRecords"][:2] == [1, 2]
    assert len(result["records"]) == 2


# --- present: keep and keep_and_fail --------------------------------------------------------

def test_keep_adds_and_leaves_other_values():
    fake = FakeAlidns()
    fake.seed(Z, "_dnsauth", "TXT", "theirs")
    result = run_on(fake, record="_dnsauth.example.com", values=["ours"], on_existing="keep")
    assert result["changed"] is True
    assert fake.actions() == ["DescribeDomains", "AddDomainRecord"]  # added first, nothing read
    assert fake.values(Z, "_dnsauth", "TXT") == ["ours", "theirs"]
    assert [r["value"] for r in result["records"]] == ["ours"]
    ours = result["records"][0]["id"]
    fake.calls.clear()
    again = run_on(fake, record="_dnsauth.example.com", values=["ours"], on_existing="keep")
    assert again["changed"] is False
    # The add is refused as a duplicate, so the set is read: both values, ours with its id.
    assert fake.actions() == ["DescribeDomains", "AddDomainRecord", "DescribeDomainRecords"]
    assert fake.values(Z, "_dnsauth", "TXT") == ["ours", "theirs"]
    assert [(r["value"], r["id"]) for r in again["records"]][0] == ("ours", ours)
    assert [r["value"] for r in again["records"]] == ["ours", "theirs"]


def test_keep_updates_ttl_of_our_values_only():
    fake = FakeAlidns()
    theirs = fake.seed(Z, "t", "TXT", "theirs", ttl=600)
    ours = fake.seed(Z, "t", "TXT", "ours", ttl=600)
    run_on(fake, record="t.example.com", values=["ours"], ttl=1200, on_existing="keep")
    assert fake.records[ours]["TTL"] == 1200 and fake.records[theirs]["TTL"] == 600


def test_keep_and_fail_fails_without_writing_when_other_values_exist():
    fake = FakeAlidns()
    fake.seed(Z, "_dnsauth", "TXT", "theirs")
    with pytest.raises(ConfigurationError, match="theirs") as info:
        run_on(fake, record="_dnsauth.example.com", values=["ours"], on_existing="keep_and_fail")
    assert info.value.option == "on_existing"
    assert fake.writes() == []


def test_keep_and_fail_adds_when_only_our_values_exist():
    fake = FakeAlidns()
    fake.seed(Z, "t", "TXT", "a")
    result = run_on(fake, record="t.example.com", values=["a", "b"], on_existing="keep_and_fail")
    assert result["changed"] is True
    assert fake.values(Z, "t", "TXT") == ["a", "b"]


def test_keep_never_deletes_a_value_added_meanwhile():
    fake = FakeAlidns()
    fake.seed(Z, "_dnsauth", "TXT", "old")
    fake.before["AddDomainRecord"] = lambda: fake.seed(Z, "_dnsauth", "TXT", "racer")
    result = run_on(fake, record="_dnsauth.example.com", values=["ours", "more"], on_existing="keep")
    assert fake.values(Z, "_dnsauth", "TXT") == ["more", "old", "ours", "racer"]
    assert "DeleteDomainRecord" not in fake.actions()
    # Nothing was read: the records are the values added, with the ids Alidns answered.
    assert [r["value"] for r in result["records"]] == ["more", "ours"]
    assert all(r["id"] for r in result["records"]) and "warnings" not in result


def test_replace_rereads_before_deleting_and_spares_a_record_changed_meanwhile():
    fake = FakeAlidns()
    first = fake.seed(Z, "t", "TXT", "a")
    second = fake.seed(Z, "t", "TXT", "b")
    third = fake.seed(Z, "t", "TXT", "c")

    def someone_else_edits():
        fake.records[third]["Value"] = "theirs"
    fake.before["UpdateDomainRecord"] = someone_else_edits
    result = run_on(fake, record="t.example.com", values=["z"])
    # "a" became "z" in place; "b" was still as read and went; the edited record stayed.
    assert fake.records[first]["Value"] == "z"
    assert second not in fake.records
    assert fake.records[third]["Value"] == "theirs"
    assert result["warnings"]


def test_concurrent_add_of_the_same_value_counts_as_done():
    fake = FakeAlidns()
    fake.before["AddDomainRecord"] = lambda: fake.seed(Z, "t", "TXT", "ours")
    result = run_on(fake, record="t.example.com", values=["ours"])
    assert result["changed"] is True and "warnings" not in result
    assert fake.values(Z, "t", "TXT") == ["ours"]
    # The add answered no id (a duplicate): the set is read once more to learn it.
    assert [r["id"] for r in result["records"]] == list(fake.records)


# --- absent -----------------------------------------------------------------------------------

def test_absent_with_values_removes_only_those():
    fake = FakeAlidns()
    fake.seed(Z, "_dnsauth", "TXT", "ours")
    fake.seed(Z, "_dnsauth", "TXT", "theirs")
    result = run_on(fake, record="_dnsauth.example.com", values=['"ours"', "never-there"], state="absent")
    assert result["changed"] is True
    assert fake.values(Z, "_dnsauth", "TXT") == ["theirs"]
    fake.calls.clear()
    again = run_on(fake, record="_dnsauth.example.com", values=["ours"], state="absent")
    assert again["changed"] is False and fake.writes() == []
    assert [r["value"] for r in again["records"]] == ["theirs"]


def test_absent_without_values_removes_the_whole_set():
    fake = FakeAlidns()
    for value in ("a", "b"):
        fake.seed(Z, "t", "TXT", value)
    fake.seed(Z, "t", "A", "192.0.2.1")
    assert run_on(fake, record="t.example.com", state="absent")["changed"] is True
    assert fake.values(Z, "t", "TXT") == [] and fake.values(Z, "t", "A") == ["192.0.2.1"]
    assert run_on(fake, record="t.example.com", state="absent")["changed"] is False


def test_absent_deletes_without_a_second_read():
    fake = FakeAlidns()
    fake.seed(Z, "t", "TXT", "a")
    run_on(fake, record="t.example.com", state="absent")
    assert fake.actions() == ["DescribeDomains", "DescribeDomainRecords", "DeleteDomainRecord"]


# --- CNAME coexistence ------------------------------------------------------------------------

def test_cname_cannot_join_other_types():
    fake = FakeAlidns()
    fake.seed(Z, "www", "A", "192.0.2.1")
    with pytest.raises(ConfigurationError, match="already has A records"):
        run_on(fake, record="www.example.com", type="CNAME", values=["target.example.net"])
    assert fake.writes() == []


def test_other_types_cannot_join_a_cname():
    fake = FakeAlidns()
    fake.seed(Z, "www", "CNAME", "target.example.net")
    with pytest.raises(ConfigurationError, match="is a CNAME"):
        run_on(fake, record="www.example.com", type="TXT", values=["x"])
    assert fake.writes() == []


def test_cname_on_another_line_is_no_conflict():
    fake = FakeAlidns()
    fake.seed(Z, "www", "A", "192.0.2.1", line="telecom")
    assert run_on(fake, record="www.example.com", type="CNAME", values=["target.example.net"])["changed"] is True


def test_absent_is_allowed_next_to_a_cname():
    fake = FakeAlidns()
    fake.seed(Z, "www", "CNAME", "target.example.net")
    assert run_on(fake, record="www.example.com", type="TXT", state="absent")["changed"] is False


# --- check mode and diff mode -----------------------------------------------------------------

@pytest.mark.parametrize("overrides", [
    dict(values=["new"]),
    dict(values=["a", "new", "more"]),
    dict(values=["a"], ttl=900),
    dict(values=["new"], on_existing="keep"),
    dict(values=["a"], state="absent"),
    dict(state="absent"),
])
def test_check_mode_writes_nothing_and_predicts_the_real_run(overrides):
    fake = FakeAlidns()
    fake.seed(Z, "t", "TXT", "a")
    fake.seed(Z, "t", "TXT", "b")
    predicted = run_on(fake, check_mode=True, diff_mode=True, record="t.example.com", **overrides)
    assert predicted["changed"] is True
    assert fake.writes() == []
    assert fake.actions() == ["DescribeDomains", "DescribeDomainRecords"]
    real = run_on(fake, diff_mode=True, record="t.example.com", **overrides)
    assert real["diff"] == predicted["diff"]
    assert [(r["value"], r["ttl"]) for r in real["records"]] == [(r["value"], r["ttl"]) for r in predicted["records"]]
    again = run_on(fake, check_mode=True, record="t.example.com", **overrides)
    assert again["changed"] is False


def test_check_mode_new_records_have_no_id():
    result = run_on(FakeAlidns(), check_mode=True, record="t.example.com", values=["x"])
    assert result["records"] == [{"id": None, "value": "x", "ttl": 600, "line": "default", "status": None}]


def test_diff_shows_sorted_sets_before_and_after():
    fake = FakeAlidns()
    fake.seed(Z, "@", "MX", "mx2.example.net", priority=10)
    fake.seed(Z, "@", "MX", "mx1.example.net", priority=10)
    result = run_on(fake, check_mode=True, diff_mode=True, record=Z, type="MX",
                    values=["mx3.example.net", "mx1.example.net"], priority=10)
    assert result["diff"]["before"] == {"record": Z, "type": "MX", "line": "default", "records": [
        {"value": "mx1.example.net", "ttl": 600, "line": "default", "priority": 10},
        {"value": "mx2.example.net", "ttl": 600, "line": "default", "priority": 10}]}
    assert [r["value"] for r in result["diff"]["after"]["records"]] == ["mx1.example.net", "mx3.example.net"]


def test_no_diff_without_diff_mode():
    assert "diff" not in run_on(FakeAlidns(), record="t.example.com", values=["x"])


# --- through a real client against the emulator, under each unconfirmed Alidns behaviour -----

EMULATOR_KEY = "LTAI5tEmulatorDemoKey01"
EMULATOR_SECRET = "EmulatorDemoSecret0123456789abc"
EMULATOR_ACCOUNT = "1234567890123456"
# One switch at a time, each of its values (tests/emulator/README.md, "Choices for
# unconfirmed behaviour"): none of them may change what dns_record does.
ALIDNS_SWITCHES = [
    {"dns_visibility_delay": 0.0}, {"dns_visibility_delay": 0.5},
    {"ttl_floor": 600}, {"ttl_floor": 1},
    {"show_size_cap": None}, {"show_size_cap": 50}, {"show_size_cap": 100},
]
VALUES = ["token-%03d" % i for i in range(55)]  # more than a capped page holds


@pytest.fixture(scope="module")
def emu():
    from tests.emulator import running_emulator

    yield from running_emulator(seed="demo")


def _emulated(emu, settings):
    from ansible_collections.alicloud.cas.plugins.module_utils._credentials import Credentials
    from ansible_collections.alicloud.cas.plugins.module_utils._transport import ALIDNS_VERSION, RetryPolicy, RpcClient

    emu.control.reset("demo")
    emu.control.settings(**settings)
    # More zones than a DescribeDomains page holds, so zone discovery pages too.
    for index in range(110):
        emu.control.add_zone(EMULATOR_ACCOUNT, "zone%03d.example.net" % index)
    rpc = RpcClient(emu.base_url, ALIDNS_VERSION, Credentials(EMULATOR_KEY, EMULATOR_SECRET), verify=emu.ca_path,
                    retry_policy=RetryPolicy(max_attempts=1))
    return lambda: AlidnsClient(rpc)


def _writes(emu):
    writes = ("AddDomainRecord", "UpdateDomainRecord", "DeleteDomainRecord")
    return [c["action"] for c in emu.control.calls() if c["action"] in writes]


@pytest.mark.parametrize("settings", ALIDNS_SWITCHES, ids=lambda s: "%s=%s" % next(iter(s.items())))
def test_record_set_is_idempotent_through_the_emulator(emu, settings):
    client = _emulated(emu, settings)
    ttl = 60 if settings.get("ttl_floor") == 1 else 600
    wanted = dict(record="_dnsauth.www.example.com", values=VALUES, ttl=ttl, on_existing="replace")
    first = run(params(**wanted), client)
    assert first["changed"] is True and [r["value"] for r in first["records"]] == VALUES
    assert {r["ttl"] for r in first["records"]} == {ttl}

    emu.control.clear_calls()
    second = run(params(**wanted), client)
    assert second["changed"] is False and without_status(second["records"]) == without_status(first["records"])
    assert _writes(emu) == []
    # Pages actually served: 111 zones and 55 records, in pages of 100 / 500 unless capped.
    cap = settings.get("show_size_cap") or 500
    reads = [c["action"] for c in emu.control.calls()]
    assert reads.count("DescribeDomains") == -(-111 // min(100, cap))
    assert reads.count("DescribeDomainRecords") == -(-55 // cap)

    shrunk = run(params(**{**wanted, "values": VALUES[:3]}), client)
    assert shrunk["changed"] is True and [r["value"] for r in shrunk["records"]] == VALUES[:3]
    emu.control.clear_calls()
    assert run(params(**{**wanted, "values": VALUES[:3]}), client)["changed"] is False
    assert run(params(**{**wanted, "values": None, "state": "absent"}), client)["records"] == []
    assert run(params(**{**wanted, "values": None, "state": "absent"}), client)["changed"] is False


@pytest.mark.parametrize("floor", [600, 1])
def test_ttl_floor_of_the_zone_decides_through_the_emulator(emu, floor):
    client = _emulated(emu, {"ttl_floor": floor})
    wanted = params(record="www.example.com", type="A", values=["192.0.2.1"], ttl=60)
    if floor == 1:
        assert [r["ttl"] for r in run(wanted, client)["records"]] == [60]
        return
    with pytest.raises(ConfigurationError) as info:
        run(wanted, client)
    assert info.value.option == "ttl" and "refused ttl 60" in str(info.value)
    assert run(dict(wanted, state="absent", values=None), client)["changed"] is False  # nothing was written


# --- few calls: add first, delete by record id, record_sets, no re-read after writes --------

def _demo(emu, **settings):
    """A client factory on the demo seed (zone example.com), the call log cleared."""
    from ansible_collections.alicloud.cas.plugins.module_utils._credentials import Credentials
    from ansible_collections.alicloud.cas.plugins.module_utils._transport import ALIDNS_VERSION, RetryPolicy, RpcClient

    emu.control.reset("demo")
    if settings:
        emu.control.settings(**settings)
    rpc = RpcClient(emu.base_url, ALIDNS_VERSION, Credentials(EMULATOR_KEY, EMULATOR_SECRET), verify=emu.ca_path,
                    retry_policy=RetryPolicy(max_attempts=1))
    return lambda: AlidnsClient(rpc)


def _calls(emu):
    return [c["action"] for c in emu.control.calls()]


def _emulated_records(emu, rr):
    zone = emu.control.state()["zones"][EMULATOR_ACCOUNT]["example.com"]
    return sorted((r["value"], r["record_id"], r["ttl"]) for r in zone if r["rr"] == rr)


def _seed(client, rr, value, record_type="TXT", ttl=600):
    return client().add(Z, rr, record_type, value, ttl, "default")


def test_first_publish_adds_without_reading(emu):
    client = _demo(emu)
    result = run(params(record="_dnsauth.www.example.com", values=["token"], on_existing="keep"), client)
    assert _calls(emu) == ["DescribeDomains", "AddDomainRecord"]
    [(value, record_id, ttl)] = _emulated_records(emu, "_dnsauth.www")
    assert result["changed"] is True
    assert result["records"] == [{"id": record_id, "value": "token", "ttl": 600, "line": "default", "status": None}]
    assert (result["zone"], result["rr"], result["fqdn"]) == (Z, "_dnsauth.www", "_dnsauth.www.example.com")


def test_value_already_there_falls_back_to_reading_the_set(emu):
    client = _demo(emu)
    theirs, ours = _seed(client, "_dnsauth", "theirs"), _seed(client, "_dnsauth", "token")
    emu.control.clear_calls()
    result = run(params(record="_dnsauth.example.com", values=["token"], ttl=1200, on_existing="keep"), client)
    # Refused as a duplicate: read to learn the record's id, then its TTL is put right.
    assert _calls(emu) == ["DescribeDomains", "AddDomainRecord", "DescribeDomainRecords", "UpdateDomainRecord"]
    assert result["changed"] is True
    assert [(r["value"], r["id"], r["ttl"]) for r in result["records"]] == [("theirs", theirs, 600), ("token", ours, 1200)]
    assert _emulated_records(emu, "_dnsauth") == [("theirs", theirs, 600), ("token", ours, 1200)]


def test_add_first_refused_for_a_cname_fails_with_the_read_paths_error(emu):
    client = _demo(emu)
    _seed(client, "www", "target.example.net", record_type="CNAME")
    emu.control.clear_calls()
    with pytest.raises(ConfigurationError, match="is a CNAME") as info:
        run(params(record="www.example.com", values=["x"], on_existing="keep"), client)
    assert info.value.option == "type"
    assert _calls(emu) == ["DescribeDomains", "AddDomainRecord", "DescribeDomainRecords"]
    assert [v for v, _i, _t in _emulated_records(emu, "www")] == ["target.example.net"]


def test_replace_writes_without_reading_again(emu):
    client = _demo(emu)
    old = _seed(client, "www", "192.0.2.1", record_type="A")
    emu.control.clear_calls()
    result = run(params(record="www.example.com", type="A", values=["192.0.2.7", "192.0.2.8"]), client)
    assert _calls(emu) == ["DescribeDomains", "DescribeDomainRecords", "UpdateDomainRecord", "AddDomainRecord"]
    assert [(r["value"], r["id"]) for r in result["records"]] == [
        (value, record_id) for value, record_id, _ttl in _emulated_records(emu, "www")]
    assert result["records"][0]["id"] == old


@pytest.mark.parametrize("gone_code", ["InvalidRR.NoExist", "DomainRecordNotBelongToUser"])
def test_delete_by_record_id(emu, gone_code):
    client = _demo(emu, record_info_gone_code=gone_code)
    record_id = _seed(client, "_dnsauth", "token")
    emu.control.clear_calls()
    result = run(params(type=None, record_id=record_id, state="absent"), client)
    assert _calls(emu) == ["DeleteDomainRecord"]
    assert result == {"changed": True, "zone": None, "rr": None, "fqdn": None, "type": None, "records": []}
    assert _emulated_records(emu, "_dnsauth") == []
    emu.control.clear_calls()
    again = run(params(type=None, record_id=record_id, state="absent"), client)
    assert _calls(emu) == ["DeleteDomainRecord"] and again["changed"] is False
    # Check and diff mode read the record to predict; a record gone predicts no change.
    emu.control.clear_calls()
    assert run(params(type=None, record_id=record_id, state="absent"), client, check_mode=True,
               diff_mode=True)["changed"] is False
    assert _calls(emu) == ["DescribeDomainRecordInfo"]


def test_delete_by_record_id_in_check_and_diff_mode(emu):
    client = _demo(emu)
    keep = _seed(client, "_dnsauth", "theirs")
    record_id = _seed(client, "_dnsauth", "token")
    emu.control.clear_calls()
    check = run(params(type=None, record_id=record_id, state="absent"), client, check_mode=True, diff_mode=True)
    assert _calls(emu) == ["DescribeDomainRecordInfo"]
    assert check["changed"] is True and (check["zone"], check["rr"], check["fqdn"], check["type"]) == (
        Z, "_dnsauth", "_dnsauth.example.com", "TXT")
    assert check["diff"] == {
        "before": {"record": "_dnsauth.example.com", "type": "TXT", "line": "default",
                   "records": [{"value": "token", "ttl": 600, "line": "default"}]},
        "after": {"record": "_dnsauth.example.com", "type": "TXT", "line": "default", "records": []}}
    assert len(_emulated_records(emu, "_dnsauth")) == 2
    emu.control.clear_calls()
    real = run(params(type=None, record_id=record_id, state="absent"), client, diff_mode=True)
    assert _calls(emu) == ["DescribeDomainRecordInfo", "DeleteDomainRecord"]
    assert real["diff"] == check["diff"] and real["changed"] is True
    assert [i for _v, i, _t in _emulated_records(emu, "_dnsauth")] == [keep]


@pytest.mark.parametrize("naming", [
    dict(record="_other.example.com"), dict(zone=Z, rr="_other"), dict(zone="example.net"), dict(type="CNAME"),
    dict(type="TXT", values=["other"]),
])
def test_delete_by_record_id_leaves_a_record_the_task_does_not_name(emu, naming):
    client = _demo(emu)
    record_id = _seed(client, "_dnsauth", "token")
    emu.control.clear_calls()
    result = run(params(**dict(dict(type=None), **naming, record_id=record_id, state="absent")), client)
    assert _calls(emu) == ["DescribeDomainRecordInfo"]
    assert result["changed"] is False and "left alone" in result["warnings"][0]
    assert [r["id"] for r in result["records"]] == [record_id]
    assert len(_emulated_records(emu, "_dnsauth")) == 1


def test_delete_by_record_id_when_the_task_names_the_record_checks_it_first(emu):
    client = _demo(emu)
    record_id = _seed(client, "_dnsauth", "token")
    emu.control.clear_calls()
    result = run(params(record="_dnsauth.example.com", values=['"token"'], record_id=record_id, state="absent"), client)
    assert _calls(emu) == ["DescribeDomainRecordInfo", "DeleteDomainRecord"]
    assert result["changed"] is True and "warnings" not in result


@pytest.mark.parametrize("overrides, option, text", [
    (dict(record_id="1", state="present", values=["x"]), "record_id", "state=absent"),
    (dict(record_id=" ", state="absent"), "record_id", "must not be empty"),
    (dict(record_id="1", state="absent", type=None, values=["x"]), "values", "need type"),
    (dict(record_id="1", state="absent", type="MX", priority=10), "priority", "record_id"),
    (dict(record_id="1", state="absent", rr="www"), "rr", "together with zone"),
    (dict(type=None, record="www.example.com", values=["x"]), "type", "type is required"),
])
def test_record_id_input_checks_fail_before_any_call(overrides, option, text):
    with pytest.raises(ConfigurationError) as info:
        run(params(**overrides), no_client)
    assert info.value.option == option and text in str(info.value)


def test_record_sets_publish_and_clean_up_in_two_runs(emu):
    client = _demo(emu)
    emu.control.add_zone(EMULATOR_ACCOUNT, "example.net")
    batch = dict(params(type="TXT", on_existing="keep"), record_sets=[
        {"name": "www", "record": "_dnsauth.www.example.com", "values": ["t1"]},
        {"name": "net", "record": "_dnsauth.example.net", "values": ["t2"]},
        {"name": "apex", "zone": Z, "rr": "_dnsauth", "values": ["t3"], "ttl": 1200},
    ])
    published = run(batch, client)
    assert _calls(emu) == ["DescribeDomains"] + ["AddDomainRecord"] * 3
    assert published["changed"] is True
    assert [(i["name"], i["failed"], i["zone"], i["fqdn"]) for i in published["record_sets"]] == [
        ("www", False, Z, "_dnsauth.www.example.com"), ("net", False, "example.net", "_dnsauth.example.net"),
        ("apex", False, Z, "_dnsauth.example.com")]
    assert published["record_sets"][2]["records"][0]["ttl"] == 1200
    assert [i["canonical_values"] for i in published["record_sets"]] == [["t1"], ["t2"], ["t3"]]
    emu.control.clear_calls()
    cleanup = dict(params(type="TXT"), record_sets=[
        {"name": item["name"], "record_id": item["records"][0]["id"], "state": "absent"}
        for item in published["record_sets"]])
    removed = run(cleanup, client)
    assert _calls(emu) == ["DeleteDomainRecord"] * 3
    assert [i["changed"] for i in removed["record_sets"]] == [True] * 3
    assert emu.control.state()["zones"][EMULATOR_ACCOUNT]["example.net"] == []


def test_record_sets_one_failing_item_fails_the_task_with_every_item(emu):
    from ansible_collections.alicloud.cas.plugins.module_utils._dns_record import RecordSetsError

    client = _demo(emu)
    batch = dict(params(type="TXT", on_existing="keep"), record_sets=[
        {"name": "ok", "record": "_dnsauth.www.example.com", "values": ["t1"]},
        {"name": "no-zone", "record": "_dnsauth.www.example.org", "values": ["t2"]},
        {"name": "bad-line", "record": "_dnsauth.api.example.com", "values": ["t3"], "line": "nosuchline"},
        {"name": "ok-too", "record": "_dnsauth.example.com", "values": ["t4"]},
    ])
    with pytest.raises(RecordSetsError, match="2 of 4 record sets failed: no-zone, bad-line") as info:
        run(batch, client)
    items = info.value.to_result()["record_sets"]
    assert [(i["name"], i["failed"], i["changed"]) for i in items] == [
        ("ok", False, True), ("no-zone", True, False), ("bad-line", True, False), ("ok-too", False, True)]
    assert "No Alidns zone of this account holds" in items[1]["msg"]
    assert items[2]["code"] == "InvalidParameter" and items[2]["request_id"]
    assert info.value.to_result()["changed"] is True
    assert _calls(emu).count("DescribeDomains") == 1
    assert [v for v, _i, _t in _emulated_records(emu, "_dnsauth.www")] == ["t1"]
    assert [v for v, _i, _t in _emulated_records(emu, "_dnsauth")] == ["t4"]


@pytest.mark.parametrize("item, option, text", [
    ({"record": "www.example.com", "values": ["not-an-ip"], "type": "A"}, "record_sets[1].values", "IPv4"),
    ({"record": "www.example.com", "values": ["x"], "ttl": 0}, "record_sets[1].ttl", "not a DNS TTL"),
    ({"values": ["x"]}, "record_sets[1].record", "Set record"),
    ({"record_id": "1", "values": ["x"]}, "record_sets[1].record_id", "state=absent"),
    ({"record": "www.example.com", "values": ["x"], "type": "SOA"}, "record_sets[1].type", "type must be one of"),
])
def test_record_sets_bad_input_in_any_item_makes_no_call(item, option, text):
    batch = dict(params(), record_sets=[{"record": "ok.example.com", "values": ["x"]}, item])
    with pytest.raises(ConfigurationError) as info:
        run(batch, no_client)
    assert info.value.option == option
    assert str(info.value).startswith(option + ": ") and text in str(info.value)


@pytest.mark.parametrize("overrides, option", [
    (dict(record="www.example.com"), "record"), (dict(values=["x"]), "values"), (dict(record_id="1"), "record_id"),
    (dict(record_sets=[]), "record_sets"),
])
def test_record_sets_refuses_single_record_options(overrides, option):
    batch = dict(params(), record_sets=[{"record": "ok.example.com", "values": ["x"]}])
    batch.update(overrides)
    with pytest.raises(ConfigurationError) as info:
        run(batch, no_client)
    assert info.value.option == option


def test_record_sets_check_and_diff_mode_per_item():
    fake = FakeAlidns()
    gone = fake.seed(Z, "old", "TXT", "x")
    batch = dict(params(type=None), record_sets=[
        {"name": "new", "record": "_dnsauth.example.com", "type": "TXT", "values": ["t"], "on_existing": "keep"},
        {"name": "old", "record_id": gone, "state": "absent"},
    ])
    result = run(batch, lambda: AlidnsClient(fake), check_mode=True, diff_mode=True)
    assert fake.writes() == []
    assert [(i["name"], i["changed"]) for i in result["record_sets"]] == [("new", True), ("old", True)]
    assert [d["before_header"] for d in result["diff"]] == ["new", "old"]
    assert result["record_sets"][1]["diff"]["before"]["records"][0]["value"] == "x"
    assert result["record_sets"][0]["diff"]["after"]["records"][0]["value"] == "t"
