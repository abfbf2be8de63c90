# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""AlidnsClient against an in-memory Alidns: pages, zone matching, tolerated error codes."""

from __future__ import annotations

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils._alidns import (
    AlidnsClient,
    longest_zone,
    nearest_zones,
    relative_name,
)
from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlibabaCloudError, ConfigurationError
from ansible_collections.alicloud.cas.tests.unit.plugins.module_utils.fake_alidns import FakeAlidns


@pytest.mark.parametrize("fqdn, zones, expected", [
    ("www.example.com", ["example.com"], "example.com"),
    ("example.com", ["example.com"], "example.com"),
    ("a.b.example.com", ["example.com", "b.example.com"], "b.example.com"),
    ("b.example.com", ["example.com", "b.example.com"], "b.example.com"),
    ("ab.example.com", ["b.example.com", "example.com"], "example.com"),  # a suffix, not a label boundary
    ("www.example.org", ["example.com"], None),
    ("_dnsauth.www.example.com.cn", ["com.cn", "example.com.cn"], "example.com.cn"),
])
def test_longest_zone(fqdn, zones, expected):
    assert longest_zone(fqdn, zones) == expected


def test_relative_name_apex_and_sub():
    assert relative_name("example.com", "example.com") == "@"
    assert relative_name("_dnsauth.www.example.com", "example.com") == "_dnsauth.www"


def test_zones_reads_every_page_and_uses_punycode():
    fake = FakeAlidns(zones=["zone%03d.com" % i for i in range(250)])
    fake.zones.append({"DomainName": "bücher.example", "PunyCode": "xn--bcher-kva.example"})
    zones = AlidnsClient(fake).zones()
    assert len(zones) == 251
    assert "xn--bcher-kva.example" in zones
    assert [p["PageNumber"] for a, p in fake.calls] == [1, 2, 3]
    assert all(p["PageSize"] == 100 for a, p in fake.calls)


def test_zones_converts_unicode_name_without_punycode_field():
    fake = FakeAlidns(zones=[])
    fake.zones.append({"DomainName": "Bücher.Example"})
    assert AlidnsClient(fake).zones() == ["xn--bcher-kva.example"]


def test_find_zone_longest_suffix_and_idn():
    fake = FakeAlidns(zones=["example.com", "sub.example.com", "xn--bcher-kva.example"])
    client = AlidnsClient(fake)
    assert client.find_zone("_dnsauth.www.sub.example.com") == "sub.example.com"
    assert client.find_zone("www.example.com") == "example.com"
    assert client.find_zone("xn--bcher-kva.example") == "xn--bcher-kva.example"
    assert fake.actions() == ["DescribeDomains"]  # the zones are listed once per client


def test_zones_are_listed_once_per_client():
    fake = FakeAlidns(zones=["zone%03d.com" % i for i in range(150)])
    client = AlidnsClient(fake)
    for index in (1, 120, 149):
        assert client.find_zone("www.zone%03d.com" % index) == "zone%03d.com" % index
    assert fake.actions() == ["DescribeDomains", "DescribeDomains"]  # two pages, once
    assert AlidnsClient(fake).zones() == client.zones()


def test_find_zone_failure_names_the_zones_considered():
    client = AlidnsClient(FakeAlidns(zones=["example.com", "example.net"]))
    with pytest.raises(ConfigurationError) as info:
        client.find_zone("www.example.org")
    assert "has 2 zones; the nearest: example.com, example.net." in str(info.value)
    assert info.value.option == "record"
    with pytest.raises(ConfigurationError, match="no zones"):
        AlidnsClient(FakeAlidns(zones=[])).find_zone("www.example.org")


def test_find_zone_failure_in_a_large_account_counts_and_names_the_nearest_few():
    zones = ["zone%04d.com" % i for i in range(2000)] + ["example.com", "exampel.org", "shop.example.co"]
    with pytest.raises(ConfigurationError) as info:
        AlidnsClient(FakeAlidns(zones=zones)).find_zone("www.example.org")
    text = str(info.value)
    assert "has 2003 zones; the nearest: exampel.org, example.com, " in text
    assert "zone0001.com" not in text
    assert len(text) < 300


@pytest.mark.parametrize("fqdn, zones, nearest", [
    ("_dnsauth.www.example.com", ["example.net", "example.co", "other.com"], ["example.co", "example.net", "other.com"]),
    ("a.b.example.com.cn", ["x.com", "example.com.cn.org", "sample.com.cn", "example.cn"],
     ["sample.com.cn", "example.com.cn.org", "x.com"]),
])
def test_nearest_zones_are_the_closest_spellings(fqdn, zones, nearest):
    assert nearest_zones(fqdn, zones) == nearest


def test_records_reads_every_page():
    fake = FakeAlidns()
    for i in range(1200):
        fake.seed("example.com", "_dnsauth", "TXT", "value-%04d" % i)
    records = AlidnsClient(fake).records("example.com", "_dnsauth", "TXT")
    assert len(records) == 1200
    assert len({r["id"] for r in records}) == 1200
    assert [p["PageNumber"] for a, p in fake.calls] == [1, 2, 3]
    assert all(p["PageSize"] == 500 and p["SearchMode"] == "COMBINATION" for a, p in fake.calls)


def test_records_filters_exactly_even_when_the_service_matches_fuzzily():
    fake = FakeAlidns(fuzzy_rr=True)
    fake.seed("example.com", "www", "A", "192.0.2.1")
    fake.seed("example.com", "www2", "A", "192.0.2.2")
    fake.seed("example.com", "WWW", "TXT", "x")
    records = AlidnsClient(fake).records("example.com", "WWW")
    assert sorted(r["value"] for r in records) == ["192.0.2.1", "x"]
    assert [r["value"] for r in AlidnsClient(fake).records("example.com", "www", "A")] == ["192.0.2.1"]


def test_normalized_record_fields():
    fake = FakeAlidns()
    record_id = fake.seed("example.com", "@", "MX", "mx.example.net", priority=10)
    (record,) = AlidnsClient(fake).records("example.com", "@")
    assert record == {"id": record_id, "rr": "@", "type": "MX", "value": "mx.example.net", "ttl": 600,
                      "line": "default", "priority": 10, "status": "ENABLE", "locked": False}


def test_add_duplicate_counts_as_added():
    fake = FakeAlidns()
    client = AlidnsClient(fake)
    assert client.add("example.com", "www", "A", "192.0.2.1", 600, "default") is not None
    assert client.add("example.com", "www", "A", "192.0.2.1", 600, "default") is None
    assert fake.values("example.com", "www", "A") == ["192.0.2.1"]


def test_update_takes_duplicate_as_done_and_raises_other_errors():
    fake = FakeAlidns()
    record_id = fake.seed("example.com", "www", "A", "192.0.2.1")
    client = AlidnsClient(fake)
    # Nothing to report: the value is there either way.
    assert client.update(record_id, "www", "A", "192.0.2.2", 600, "default") is None
    assert client.update(record_id, "www", "A", "192.0.2.2", 600, "default") is None
    assert fake.values("example.com", "www", "A") == ["192.0.2.2"]
    with pytest.raises(AlibabaCloudError) as info:
        client.update("404", "www", "A", "192.0.2.3", 600, "default")
    assert info.value.code == "DomainRecordNotBelongToUser"


def test_delete_of_a_record_already_gone_succeeds():
    fake = FakeAlidns()
    record_id = fake.seed("example.com", "www", "A", "192.0.2.1")
    client = AlidnsClient(fake)
    assert client.delete(record_id) is True
    assert client.delete(record_id) is False
    assert fake.records == {}


@pytest.mark.parametrize("gone_code", ["InvalidRR.NoExist", "DomainRecordNotBelongToUser"])
def test_record_by_id_and_a_record_gone(gone_code):
    fake = FakeAlidns(zones=["xn--bcher-kva.example"], gone_code=gone_code)
    record_id = fake.seed("xn--bcher-kva.example", "_dnsauth", "TXT", "token")
    client = AlidnsClient(fake)
    record = client.record(record_id)
    assert (record["id"], record["zone"], record["rr"], record["type"], record["value"]) == (
        record_id, "xn--bcher-kva.example", "_dnsauth", "TXT", "token")
    assert client.record("404") is None
    fake.gone_code = "InvalidParameter"
    with pytest.raises(AlibabaCloudError):
        client.record("404")


@pytest.mark.parametrize("floor", [1, 600])
def test_ttl_below_the_free_floor_is_left_to_alidns(floor):
    # Paid editions accept TTLs down to 1 s: nothing below 600 is refused before Alidns says so.
    fake = FakeAlidns(ttl_floor=floor)
    client = AlidnsClient(fake)
    if floor <= 300:
        record_id = client.add("example.com", "www", "A", "192.0.2.1", 300, "default")
        assert fake.records[record_id]["TTL"] == 300
        client.update(record_id, "www", "A", "192.0.2.1", 60, "default")
        assert fake.records[record_id]["TTL"] == 60
        return
    with pytest.raises(ConfigurationError) as info:
        client.add("example.com", "www", "A", "192.0.2.1", 300, "default")
    assert info.value.option == "ttl"
    assert "refused ttl 300" in str(info.value) and "dv_certificate_dns_ttl" in str(info.value)
    assert fake.records == {}
    record_id = fake.seed("example.com", "www", "A", "192.0.2.1")
    with pytest.raises(ConfigurationError, match="refused ttl 60"):
        client.update(record_id, "www", "A", "192.0.2.1", 60, "default")


def test_other_invalid_parameters_are_not_blamed_on_the_ttl():
    fake = FakeAlidns()
    fake.before["AddDomainRecord"] = lambda: (never for never in ()).throw(AlibabaCloudError(
        'The specified parameter "Line" is not valid.', code="InvalidParameter", action="AddDomainRecord"))
    with pytest.raises(AlibabaCloudError, match="Line"):
        AlidnsClient(fake).add("example.com", "www", "A", "192.0.2.1", 600, "nowhere")


@pytest.mark.parametrize("cap", [50, 100])
def test_every_list_reads_all_items_when_the_service_serves_smaller_pages(cap):
    fake = FakeAlidns(zones=["zone%03d.com" % i for i in range(230)], page_cap=cap)
    client = AlidnsClient(fake)
    assert len(client.zones()) == 230
    for i in range(1100):
        fake.seed("zone000.com", "_dnsauth", "TXT", "value-%04d" % i)
    assert len({r["id"] for r in client.records("zone000.com", "_dnsauth", "TXT")}) == 1100


def test_pager_ends_against_a_service_that_ignores_the_page_number():
    fake = FakeAlidns()
    for i in range(10):
        fake.seed("example.com", "www", "TXT", "v%d" % i)
    answer = fake.call("DescribeDomainRecords", {"DomainName": "example.com", "RRKeyWord": "www", "PageSize": 4})
    answer["TotalCount"] = 10
    stuck = type("Stuck", (), {"calls": 0})()

    def call(action, params=None, reconcile=None):
        stuck.calls += 1
        return answer

    stuck.call = call
    assert len(AlidnsClient(stuck).records("example.com", "www")) == 4
    assert stuck.calls == 2
