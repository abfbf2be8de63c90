"""Control API ``POST orders/bulk``: an account's order history in one call (bench of issue 13)."""

import pytest

from tests.emulator import ControlRequestError

ACCOUNT = "1234567890123456"


def test_bulk_orders_are_listed_issued_and_spend_no_quota(emu, api):
    seeded = emu.control._post("orders/bulk", account_id=ACCOUNT, count=60,  # noqa: SLF001
                               domain_format="old{index}.example.org")
    assert seeded["count"] == 60 and len(set(seeded["order_ids"])) == 60
    listed = api.ok(api.cas("ListUserCertificateOrder", ShowSize="50"))
    assert listed["TotalCount"] == 60 and len(listed["CertificateOrderList"]) == 50
    assert {item["Domain"] for item in listed["CertificateOrderList"]} <= {"old%d.example.org" % i for i in range(60)}
    state = api.ok(api.cas("DescribeCertificateState", OrderId=str(seeded["order_ids"][0])))
    assert state["Type"] == "certificate" and "BEGIN CERTIFICATE" in state["Certificate"]
    quota = api.ok(api.cas("DescribePackageState"))
    assert quota["UsedCount"] == 0


def test_bulk_orders_of_another_type_and_refusals(emu, api):
    seeded = emu.control._post("orders/bulk", account_id=ACCOUNT, count=2, type="verify_fail")  # noqa: SLF001
    state = api.ok(api.cas("DescribeCertificateState", OrderId=str(seeded["order_ids"][1])))
    assert state["Type"] == "verify_fail"
    for fields, message in (({"count": 0}, "count must be"), ({"count": 1, "type": "exploded"}, "type must be"),
                            ({"count": 1, "domain_format": "same.example.org"}, "must contain")):
        with pytest.raises(ControlRequestError, match=message):
            emu.control._post("orders/bulk", account_id=ACCOUNT, **fields)  # noqa: SLF001
