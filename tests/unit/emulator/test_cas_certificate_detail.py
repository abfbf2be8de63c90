"""GetUserCertificateDetail for V1.0 orders: the certificate of an issued order by its CertId."""

import datetime

from cryptography import x509

OTHER_ACCOUNT, OTHER_KEY, OTHER_SECRET = "9999999999999999", "LTAIOtherAccount01", "other-secret"


def _issued(api, order_factory) -> tuple[int, dict]:
    order_id = order_factory("detail.example.com")
    pending = api.ok(api.cas("DescribeCertificateState", OrderId=order_id))
    api.ok(api.dns("AddDomainRecord", DomainName="example.com", RR=pending["RecordDomain"], Type="TXT",
                   Value=pending["RecordValue"]))
    return order_id, api.ok(api.cas("DescribeCertificateState", OrderId=order_id))


def test_detail_of_an_issued_order(api, order_factory):
    order_id, issued = _issued(api, order_factory)
    detail = api.ok(api.cas("GetUserCertificateDetail", CertId=issued["CertId"]))
    assert (detail["Id"], detail["OrderId"], detail["Cert"], detail["Key"]) == \
        (int(issued["CertId"]), order_id, issued["Certificate"], issued["PrivateKey"])
    leaf = x509.load_pem_x509_certificate(detail["Cert"].encode())
    assert detail["NotAfter"] == int(leaf.not_valid_after_utc.timestamp() * 1000)
    assert detail["EndDate"] == leaf.not_valid_after_utc.strftime("%Y-%m-%d")
    assert [link["CommonName"] for link in detail["CertChain"]][0] == "detail.example.com"
    assert len(detail["CertChain"]) == 2 and detail["Expired"] is False


def test_expired_flag_follows_the_certificate(emu, api, order_factory):
    order_id, issued = _issued(api, order_factory)
    emu.control.expire_order(order_id, days_left=-1)
    detail = api.ok(api.cas("GetUserCertificateDetail", CertId=issued["CertId"], CertFilter="true"))
    assert detail["Expired"] is True and detail["CertChain"][0]["RemainDay"] == 0
    assert "Cert" not in detail and "Key" not in detail
    assert detail["NotAfter"] < int(datetime.datetime.now(datetime.timezone.utc).timestamp() * 1000)


def test_cert_id_errors(emu, api, make_api, order_factory):
    _order_id, issued = _issued(api, order_factory)
    assert api.error(api.cas("GetUserCertificateDetail"), 400) == "MissingParameter"
    assert api.error(api.cas("GetUserCertificateDetail", CertId="abc"), 400) == "InvalidParameter"
    assert api.error(api.cas("GetUserCertificateDetail", CertId="1"), 404) == "NotFound"
    # Another account's certificate is not found either.
    emu.control.add_account(OTHER_ACCOUNT, OTHER_KEY, OTHER_SECRET)
    other = make_api(OTHER_KEY, OTHER_SECRET)
    assert other.error(other.cas("GetUserCertificateDetail", CertId=issued["CertId"]), 404) == "NotFound"
