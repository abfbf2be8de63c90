"""The emulator's switches for Alidns behaviours the reference leaves UNCONFIRMED:
DNS visibility for CAS validation, the TTL floor, and ShowSize/PageSize caps."""

import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.emulator.control_client import ControlRequestError

ACCOUNT = "1234567890123456"


def _txt(api, rr, value, **extra):
    return api.dns("AddDomainRecord", DomainName="example.com", RR=rr, Type="TXT", Value=value, **extra)


def _state(api, order_id):
    return api.ok(api.cas("DescribeCertificateState", OrderId=order_id))


@pytest.mark.parametrize("delay", [0.0, 0.4])
def test_dns_visibility_delay_holds_validation_back(emu, api, order_factory, delay):
    emu.control.settings(dns_visibility_delay=delay)
    order_id = order_factory("www.example.com")
    pending = _state(api, order_id)
    api.ok(_txt(api, "_dnsauth.www", pending["RecordValue"]))
    if delay:
        assert _state(api, order_id)["Type"] == "domain_verify"  # published, not yet seen
        time.sleep(delay + 0.1)
    assert _state(api, order_id)["Type"] == "certificate"


def test_dns_visibility_delay_counts_from_the_last_write(emu, api, order_factory):
    emu.control.settings(dns_visibility_delay=0.4)
    order_id = order_factory("www.example.com")
    value = _state(api, order_id)["RecordValue"]
    record_id = api.ok(_txt(api, "_dnsauth.www", "not-yet"))["RecordId"]
    time.sleep(0.5)
    api.ok(api.dns("UpdateDomainRecord", RecordId=record_id, RR="_dnsauth.www", Type="TXT", Value=value))
    assert _state(api, order_id)["Type"] == "domain_verify"
    time.sleep(0.5)
    assert _state(api, order_id)["Type"] == "certificate"


@pytest.mark.parametrize("floor, ttl, accepted", [
    (600, 599, False), (600, 600, True), (1, 1, True), (1, 60, True), (120, 60, False),
])
def test_ttl_floor(emu, api, floor, ttl, accepted):
    emu.control.settings(ttl_floor=floor)
    added = _txt(api, "t%d" % ttl, "x", TTL=ttl)
    if accepted:
        record_id = api.ok(added)["RecordId"]
        again = api.dns("UpdateDomainRecord", RecordId=record_id, RR="t%d" % ttl, Type="TXT", Value="y", TTL=ttl)
        api.ok(again)
    else:
        assert api.error(added, 400) == "InvalidParameter"
        assert "TTL" in added.json()["Message"] and "[%d, 86400]" % floor in added.json()["Message"]


def test_default_ttl_floor_is_the_free_editions(emu, api):
    assert emu.control.state()["settings"]["ttl_floor"] == 600
    assert api.error(_txt(api, "www", "x", TTL=300), 400) == "InvalidParameter"


@pytest.mark.parametrize("cap", [50, 100])
def test_show_size_cap_serves_smaller_pages_of_every_list(emu, api, cap):
    emu.control.settings(show_size_cap=cap)
    for index in range(cap + 5):
        emu.control.add_zone(ACCOUNT, "z%03d.example.net" % index)
        # Alidns keeps at most 90 records per name, type and line: part TXT, part A.
        record = ("TXT", "v%03d" % index) if index < 60 else ("A", "192.0.2.%d" % index)
        emu.control.add_record(ACCOUNT, "example.com", "_dnsauth", *record)
    emu.control.set_quota(ACCOUNT, "geotrust-dv-1-starter", cap + 5, 0)
    key = ec.generate_private_key(ec.SECP256R1())  # CSR orders: no RSA key generated per order
    for index in range(cap + 5):
        csr = (x509.CertificateSigningRequestBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "o%03d.example.com" % index)]))
               .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode("ascii"))
        api.ok(api.cas("CreateCertificateWithCsrRequest", Csr=csr, Email="ops@example.com", Phone="13800000000",
                       Username="Ops", ValidateType="DNS", ProductCode="geotrust-dv-1-starter"))

    zones = api.ok(api.dns("DescribeDomains", PageSize=100))
    assert len(zones["Domains"]["Domain"]) == min(cap, 100) and zones["PageSize"] == min(cap, 100)
    for action, params in (("DescribeDomainRecords", {"DomainName": "example.com"}),
                           ("DescribeSubDomainRecords", {"SubDomain": "_dnsauth.example.com"})):
        first = api.ok(api.dns(action, PageSize=500, **params))
        assert len(first["DomainRecords"]["Record"]) == cap and first["PageSize"] == cap
        assert first["TotalCount"] == cap + 5
        second = api.ok(api.dns(action, PageSize=500, PageNumber=2, **params))
        assert len(second["DomainRecords"]["Record"]) == 5  # pages count in the served size
    orders = api.ok(api.cas("ListUserCertificateOrder", ShowSize=500))
    assert len(orders["CertificateOrderList"]) == cap and orders["ShowSize"] == cap
    assert orders["TotalCount"] == cap + 5


def test_without_a_cap_pages_are_as_large_as_asked(emu, api):
    for index in range(60):
        emu.control.add_record(ACCOUNT, "example.com", "_dnsauth", "TXT", "v%03d" % index)
    assert len(api.ok(api.dns("DescribeDomainRecords", DomainName="example.com", PageSize=500))
               ["DomainRecords"]["Record"]) == 60


@pytest.mark.parametrize("setting, value", [
    ("dns_visibility_delay", -1), ("ttl_floor", 0), ("ttl_floor", 86401), ("show_size_cap", 0),
])
def test_bad_switch_values_are_refused(emu, setting, value):
    with pytest.raises(ControlRequestError, match=setting):
        emu.control.settings(**{setting: value})


def test_reset_restores_the_defaults(emu):
    emu.control.settings(dns_visibility_delay=2, ttl_floor=1, show_size_cap=50)
    emu.control.reset("demo")
    settings = emu.control.state()["settings"]
    assert (settings["dns_visibility_delay"], settings["ttl_floor"], settings["show_size_cap"]) == (0.0, 600, None)


@pytest.mark.parametrize("code", ["InvalidRR.NoExist", "DomainRecordNotBelongToUser"])
def test_record_info_gone_code(emu, api, code):
    emu.control.settings(record_info_gone_code=code)
    record_id = api.ok(_txt(api, "gone", "x"))["RecordId"]
    api.ok(api.dns("DeleteDomainRecord", RecordId=record_id))
    assert api.error(api.dns("DescribeDomainRecordInfo", RecordId=record_id), 400) == code
    # Deleting again answers the documented code whatever the switch says.
    assert api.error(api.dns("DeleteDomainRecord", RecordId=record_id), 400) == "DomainRecordNotBelongToUser"


def test_record_info_gone_code_is_checked(emu):
    with pytest.raises(ControlRequestError):
        emu.control.settings(record_info_gone_code="NotFound")
