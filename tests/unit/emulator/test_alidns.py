"""Alidns record management: CRUD, the real error codes, filters and paging."""

import pytest

ACCOUNT = "1234567890123456"


def add(api, rr="www", type_="A", value="192.0.2.10", zone="example.com", **extra):
    return api.dns("AddDomainRecord", DomainName=zone, RR=rr, Type=type_, Value=value, **extra)


def records(api, **params) -> dict:
    return api.ok(api.dns("DescribeDomainRecords", DomainName="example.com", **params))


def test_add_describe_update_delete(api):
    record_id = api.ok(add(api))["RecordId"]
    assert isinstance(record_id, str)
    listed = records(api)
    assert listed["TotalCount"] == 1 and listed["PageNumber"] == 1 and listed["PageSize"] == 20
    record = listed["DomainRecords"]["Record"][0]
    assert record == {**record, "RecordId": record_id, "DomainName": "example.com", "RR": "www", "Type": "A",
                      "Value": "192.0.2.10", "TTL": 600, "Line": "default", "Status": "ENABLE", "Locked": False}

    api.ok(api.dns("UpdateDomainRecord", RecordId=record_id, RR="www", Type="A", Value="192.0.2.11", TTL=1200))
    record = records(api)["DomainRecords"]["Record"][0]
    assert (record["Value"], record["TTL"]) == ("192.0.2.11", 1200)
    same = api.dns("UpdateDomainRecord", RecordId=record_id, RR="www", Type="A", Value="192.0.2.11", TTL=1200)
    assert api.error(same, 400) == "DomainRecordDuplicate"

    assert api.ok(api.dns("DeleteDomainRecord", RecordId=record_id))["RecordId"] == record_id
    assert api.error(api.dns("DeleteDomainRecord", RecordId=record_id), 400) == "DomainRecordNotBelongToUser"
    assert records(api)["TotalCount"] == 0


def test_apex_and_mx_records(api):
    api.ok(add(api, rr="@", value="192.0.2.1"))
    assert api.error(add(api, rr="@", type_="MX", value="mail.example.com"), 400) == "MissingParameter"
    assert api.error(add(api, rr="@", type_="MX", value="mail.example.com", Priority=51), 400) == \
        "InvalidParameter"
    api.ok(add(api, rr="@", type_="MX", value="mail.example.com", Priority=10))
    mx = records(api, Type="MX")["DomainRecords"]["Record"][0]
    assert (mx["RR"], mx["Priority"]) == ("@", 10)


def test_duplicate_and_conflict(api):
    api.ok(add(api, rr="_dnsauth", type_="TXT", value="token"))
    assert api.error(add(api, rr="_dnsauth", type_="TXT", value="token"), 400) == "DomainRecordDuplicate"
    api.ok(add(api, rr="_dnsauth", type_="TXT", value="other-token"))
    api.ok(add(api, rr="_dnsauth", type_="TXT", value="token", Line="telecom"))
    # CNAME cannot share an RR/line with other types, in either direction.
    api.ok(add(api, rr="alias", type_="CNAME", value="target.example.net"))
    assert api.error(add(api, rr="alias", type_="TXT", value="x"), 400) == "DomainRecordConflict"
    assert api.error(add(api, rr="_dnsauth", type_="CNAME", value="target.example.net"), 400) == \
        "DomainRecordConflict"


@pytest.mark.parametrize(("type_", "value"), [
    ("A", "2001:db8::1"), ("A", "300.1.1.1"), ("AAAA", "192.0.2.1"), ("CNAME", "not a host"),
    ("SRV", "10 5 sip.example.com"), ("CAA", "0 issue letsencrypt.org"),
])
def test_value_validation(api, type_, value):
    assert api.error(add(api, rr="v", type_=type_, value=value), 400) == "SubDomainInvalid.Value"


@pytest.mark.parametrize(("params", "code"), [
    ({"Type": "SPF"}, "InvalidParameter"),
    ({"TTL": 599}, "InvalidParameter"),
    ({"TTL": 86401}, "InvalidParameter"),
    ({"Line": "mars"}, "InvalidParameter"),
    ({"RR": "bad rr"}, "InvalidParameter"),
    ({"RR": ""}, "MissingParameter"),
])
def test_parameter_validation(api, params, code):
    request = {"DomainName": "example.com", "RR": "www", "Type": "A", "Value": "192.0.2.1", **params}
    assert api.error(api.dns("AddDomainRecord", **request), 400) == code


def test_valid_special_types(api):
    api.ok(add(api, rr="_sip._tcp", type_="SRV", value="10 5 5060 sip.example.com"))
    api.ok(add(api, rr="@", type_="CAA", value='0 issue "letsencrypt.org"'))
    api.ok(add(api, rr="v6", type_="AAAA", value="2001:db8::1"))
    api.ok(add(api, rr="sub", type_="NS", value="ns1.example.net"))


def test_zone_ownership_errors(api, emu, make_api):
    assert api.error(add(api, zone="not-hosted.com"), 400) == "InvalidDomainName.NoExist"
    assert api.error(add(api, zone="bad_zone!"), 400) == "InvalidDomainName.Format"
    emu.control.add_account("999", "LTAIOther", "other-secret")
    emu.control.add_zone("999", "partner.net")
    assert api.error(add(api, zone="partner.net"), 400) == "IncorrectDomainUser"
    record_id = api.ok(add(api))["RecordId"]
    other = make_api("LTAIOther", "other-secret")
    assert other.error(other.dns("DeleteDomainRecord", RecordId=record_id), 400) == "DomainRecordNotBelongToUser"
    assert other.error(other.dns("UpdateDomainRecord", RecordId=record_id, RR="www", Type="A",
                                 Value="192.0.2.99"), 400) == "DomainRecordNotBelongToUser"


def test_quota_exceeded_record(emu, api):
    for index in range(90):
        emu.control.add_record(ACCOUNT, "example.com", "many", "TXT", f"value-{index}")
    assert api.error(add(api, rr="many", type_="TXT", value="one-too-many"), 400) == "QuotaExceeded.Record"
    api.ok(add(api, rr="many", type_="TXT", value="other-line", Line="unicom"))


def test_paging_filters_and_limits(emu, api):
    for index in range(45):
        emu.control.add_record(ACCOUNT, "example.com", f"host{index:02d}", "A", f"192.0.2.{index + 1}")
    emu.control.add_record(ACCOUNT, "example.com", "_dnsauth.www", "TXT", "abc")
    first, second, third = (records(api, PageNumber=n) for n in (1, 2, 3))
    assert [len(p["DomainRecords"]["Record"]) for p in (first, second, third)] == [20, 20, 6]
    seen = {r["RecordId"] for p in (first, second, third) for r in p["DomainRecords"]["Record"]}
    assert len(seen) == 46 and first["TotalCount"] == 46
    assert records(api, PageSize=500)["TotalCount"] == 46
    assert api.error(api.dns("DescribeDomainRecords", DomainName="example.com", PageSize=501), 400) == \
        "InvalidParameter"
    assert records(api, RRKeyWord="HOST0")["TotalCount"] == 10
    assert records(api, TypeKeyWord="txt")["TotalCount"] == 1
    assert records(api, ValueKeyWord="192.0.2.4")["TotalCount"] == 7  # .4 and .40-.45
    assert records(api, RRKeyWord="host01", SearchMode="COMBINATION")["TotalCount"] == 1
    assert records(api, KeyWord="host1", SearchMode="LIKE")["TotalCount"] == 10
    assert records(api, KeyWord="host10", SearchMode="EXACT")["TotalCount"] == 1
    assert records(api, Type="TXT")["DomainRecords"]["Record"][0]["RR"] == "_dnsauth.www"


def test_describe_sub_domain_records(emu, api):
    emu.control.add_record(ACCOUNT, "example.com", "_dnsauth.www", "TXT", "one")
    emu.control.add_record(ACCOUNT, "example.com", "_dnsauth.www", "TXT", "two")
    emu.control.add_record(ACCOUNT, "example.com", "www", "A", "192.0.2.1")
    body = api.ok(api.dns("DescribeSubDomainRecords", SubDomain="_dnsauth.www.example.com"))
    assert body["TotalCount"] == 2
    assert {r["Value"] for r in body["DomainRecords"]["Record"]} == {"one", "two"}
    body = api.ok(api.dns("DescribeSubDomainRecords", SubDomain="www.example.com", DomainName="example.com",
                          Type="A"))
    assert [r["RR"] for r in body["DomainRecords"]["Record"]] == ["www"]
    assert api.ok(api.dns("DescribeSubDomainRecords", SubDomain="example.com"))["TotalCount"] == 0
    assert api.error(api.dns("DescribeSubDomainRecords"), 400) == "MissingParameter"
    assert api.error(api.dns("DescribeSubDomainRecords", SubDomain="www.nothere.org"), 400) == \
        "InvalidDomainName.NoExist"


def test_delete_sub_domain_records(emu, api):
    emu.control.add_record(ACCOUNT, "example.com", "_dnsauth", "TXT", "one")
    emu.control.add_record(ACCOUNT, "example.com", "_dnsauth", "TXT", "two")
    emu.control.add_record(ACCOUNT, "example.com", "www", "A", "192.0.2.1")
    body = api.ok(api.dns("DeleteSubDomainRecords", DomainName="example.com", RR="_dnsauth", Type="TXT"))
    assert (body["RR"], body["TotalCount"]) == ("_dnsauth", "2")
    assert records(api)["TotalCount"] == 1
    assert api.error(api.dns("DeleteSubDomainRecords", DomainName="example.com"), 400) == "MissingParameter"


def test_describe_domains_paging_and_keyword(emu, api):
    for index in range(3):
        emu.control.add_zone(ACCOUNT, f"zone{index}.org")
    body = api.ok(api.dns("DescribeDomains", PageSize=2, PageNumber=2))
    assert body["TotalCount"] == 4 and len(body["Domains"]["Domain"]) == 2
    zone = body["Domains"]["Domain"][0]
    assert zone["DomainName"] == "zone1.org" and zone["DnsServers"]["DnsServer"]
    assert api.ok(api.dns("DescribeDomains", KeyWord="zone"))["TotalCount"] == 3
    assert api.ok(api.dns("DescribeDomains", KeyWord="zone2.org", SearchMode="EXACT"))["TotalCount"] == 1
    assert api.error(api.dns("DescribeDomains", PageSize=101), 400) == "InvalidParameter"


@pytest.mark.parametrize(("name", "main", "rr", "level"), [
    ("www.example.com", "example.com", "www", 2),
    ("example.com", "example.com", "@", 1),
    ("a.b.example.com.cn", "example.com.cn", "a.b", 3),
])
def test_get_main_domain_name(api, name, main, rr, level):
    body = api.ok(api.dns("GetMainDomainName", InputString=name))
    assert (body["DomainName"], body["RR"], body["DomainLevel"]) == (main, rr, level)


def test_get_main_domain_name_rejects_garbage(api):
    assert api.error(api.dns("GetMainDomainName", InputString="no spaces.com"), 400) == "InvalidDomainName.Format"


def test_describe_domain_record_info(api, emu, make_api):
    record_id = api.ok(add(api, rr="@", type_="MX", value="mx.example.net", Priority=10, TTL=1200))["RecordId"]
    info = api.ok(api.dns("DescribeDomainRecordInfo", RecordId=record_id))
    assert info == {**info, "RecordId": record_id, "DomainName": "example.com", "PunyCode": "example.com", "RR": "@",
                    "Type": "MX", "Value": "mx.example.net", "TTL": 1200, "Priority": 10, "Line": "default",
                    "Status": "ENABLE", "Locked": False}
    assert info["DomainId"] and "DomainRecords" not in info
    assert api.error(api.dns("DescribeDomainRecordInfo"), 400) == "MissingParameter"
    emu.control.add_account("999", "LTAIOther", "other-secret")
    other = make_api("LTAIOther", "other-secret")
    assert other.error(other.dns("DescribeDomainRecordInfo", RecordId=record_id), 400) == "InvalidRR.NoExist"
    bad = make_api("LTAIOther", "wrong-secret")
    assert bad.error(bad.dns("DescribeDomainRecordInfo", RecordId=record_id), 400) == "SignatureDoesNotMatch"
