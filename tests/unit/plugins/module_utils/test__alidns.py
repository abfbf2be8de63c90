# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""AlidnsClient against an in-memory Alidns: pages, zone matching, tolerated error codes."""

from __future__ import annotations

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils._alidns import AlidnsClient, longest_zone, relative_name
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


def test_find_zone_failure_names_the_zones_considered():
    client = AlidnsClient(FakeAlidns(zones=["example.com", "example.net"]))
    with pytest.raises(ConfigurationError) as info:
        client.find_zone("www.example.org")
    assert "example.com, example.net" in str(info.value)
    assert info.value.option == "record"
    with pytest.raises(ConfigurationError, match="no zones"):
        AlidnsClient(FakeAlidns(zones=[])).find_zone("www.example.org")


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


def test_update_reports_duplicate_and_raises_other_errors():
    fake = FakeAlidns()
    record_id = fake.seed("example.com", "www", "A", "192.0.2.1")
    client = AlidnsClient(fake)
    assert client.update(record_id, "www", "A", "192.0.2.2", 600, "default") is True
    assert client.update(record_id, "www", "A", "192.0.2.2", 600, "default") is False
    with pytest.raises(AlibabaCloudError) as info:
        client.update("404", "www", "A", "192.0.2.3", 600, "default")
    assert info.value.code == "DomainRecordNotBelongToUser"


def test_delete_of_a_record_already_gone_succeeds():
    fake = FakeAlidns()
    record_id = fake.seed("example.com", "www", "A", "192.0.2.1")
    client = AlidnsClient(fake)
    client.delete(record_id)
    client.delete(record_id)
    assert fake.records == {}
