"""CAS order flow: validation rules, quota, life cycle, issuance and listing."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from cryptography.x509.verification import PolicyBuilder, Store

ACCOUNT = "1234567890123456"
CONTACT = {"Email": "ops@example.com", "Phone": "13800000000", "Username": "Ops"}


def describe(api, order_id: int) -> dict:
    return api.ok(api.cas("DescribeCertificateState", OrderId=order_id))


def package(api, code: str = "digicert-free-1-free") -> dict:
    return api.ok(api.cas("DescribePackageState", ProductCode=code))


def publish_txt(api, state: dict, zone: str = "example.com") -> None:
    api.ok(api.dns("AddDomainRecord", DomainName=zone, RR=state["RecordDomain"], Type="TXT",
                   Value=state["RecordValue"]))


def split_chain(pem: str) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(pem.encode())


def assert_chains_to_issuer(emu, certificate_pem: str, hostname: str) -> x509.Certificate:
    leaf, intermediate = split_chain(certificate_pem)
    root = x509.load_pem_x509_certificate(emu.issuer_ca_pem.encode())
    verifier = PolicyBuilder().store(Store([root])).build_server_verifier(x509.DNSName(hostname))
    verifier.verify(leaf, [intermediate])  # raises unless the chain, SAN and EKU are right
    return leaf


def make_csr(common_name: str, key=None) -> tuple[str, object]:
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
           .sign(key, hashes.SHA256()))
    return csr.public_bytes(serialization.Encoding.PEM).decode(), key


def public_der(key) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


# --- request validation ------------------------------------------------------------------------

@pytest.mark.parametrize("missing", ["Domain", "Email", "Phone", "Username", "ValidateType"])
def test_required_parameters(api, missing):
    params = {"Domain": "www.example.com", "ValidateType": "DNS", **CONTACT}
    del params[missing]
    response = api.cas("CreateCertificateRequest", **params)
    assert api.error(response, 400) == "MissingParameter"
    assert missing in response.json()["Message"]


@pytest.mark.parametrize(("overrides", "param"), [
    ({"Domain": "not a domain"}, "Domain"),
    ({"Domain": "192.0.2.1"}, "Domain"),
    ({"Domain": "www.*.example.com"}, "Domain"),
    ({"ValidateType": "EMAIL"}, "ValidateType"),
    ({"ProductCode": "symantec-ov-1-personal"}, "ProductCode"),
    ({"Email": "nobody"}, "Email"),
])
def test_invalid_parameters(api, overrides, param):
    params = {"Domain": "www.example.com", "ValidateType": "DNS", **CONTACT, **overrides}
    response = api.cas("CreateCertificateRequest", **params)
    assert api.error(response, 400) == "InvalidParameter"
    assert param in response.json()["Message"]


def test_wildcard_must_match_product(api):
    single = api.cas("CreateCertificateRequest", Domain="*.example.com", ValidateType="DNS", **CONTACT)
    assert api.error(single, 400) == "InvalidParameter"
    wildcard = api.cas("CreateCertificateRequest", Domain="www.example.com", ValidateType="DNS",
                       ProductCode="geotrust-dv-w-starter", **CONTACT)
    assert api.error(wildcard, 400) == "InvalidParameter"
    assert "geotrust-dv-w-starter" in wildcard.json()["Message"]


def test_file_validation_refused_for_wildcard(api):
    response = api.cas("CreateCertificateRequest", Domain="*.example.com", ValidateType="FILE",
                       ProductCode="geotrust-dv-w-starter", **CONTACT)
    assert api.error(response, 400) == "InvalidParameter"
    assert "FILE" in response.json()["Message"]


def test_quota_errors_and_counts(api, emu, order_factory):
    no_package = api.cas("CreateCertificateRequest", Domain="www.example.com", ValidateType="DNS",
                         ProductCode="globalsign-dv-1-personal", **CONTACT)
    assert api.error(no_package, 404) == "NotFoundPackage"
    emu.control.set_quota(ACCOUNT, "geotrust-dv-1-starter", total=1, used=1)
    used_up = api.cas("CreateCertificateRequest", Domain="www.example.com", ValidateType="DNS",
                      ProductCode="geotrust-dv-1-starter", **CONTACT)
    assert api.error(used_up, 404) == "NotRemainCount"
    order_factory()
    counts = package(api)
    assert (counts["TotalCount"], counts["UsedCount"], counts["IssuedCount"]) == (20, 1, 0)
    assert package(api, "globalsign-dv-1-personal")["TotalCount"] == 0


def test_concurrent_creates_never_overspend_quota(api, emu, make_api):
    emu.control.set_quota(ACCOUNT, "geotrust-dv-1-starter", total=5)

    def create(index: int) -> int:
        client = make_api()  # one connection per thread
        return client.cas("CreateCertificateRequest", Domain=f"c{index}.example.com", ValidateType="DNS",
                          ProductCode="geotrust-dv-1-starter", **CONTACT).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(create, range(10)))
    assert sorted(statuses) == [200] * 5 + [404] * 5
    assert package(api, "geotrust-dv-1-starter")["UsedCount"] == 5


# --- DNS life cycle ----------------------------------------------------------------------------

def test_dns_life_cycle_issues_a_verifiable_chain(api, emu, order_factory):
    order_id = order_factory(**{"Tags.1.Key": "env", "Tags.1.Value": "test"})
    assert isinstance(order_id, int)
    state = describe(api, order_id)
    assert state["Type"] == "domain_verify"
    assert state["ValidateType"] == "DNS"
    assert state["RecordType"] == "TXT"
    assert state["RecordDomain"] == "_dnsauth.www"
    assert "Certificate" not in state
    assert describe(api, order_id)["Type"] == "domain_verify"  # nothing published yet

    publish_txt(api, state)
    issued = describe(api, order_id)
    assert issued["Type"] == "certificate"
    assert isinstance(issued["CertId"], str)
    leaf = assert_chains_to_issuer(emu, issued["Certificate"], "www.example.com")
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "www.example.com"
    assert (leaf.not_valid_after_utc - leaf.not_valid_before_utc).days == 90
    key = serialization.load_pem_private_key(issued["PrivateKey"].encode(), None)
    assert public_der(key.public_key()) == public_der(leaf.public_key())
    assert package(api)["IssuedCount"] == 1

    order = next(o for o in emu.control.state()["orders"] if o["order_id"] == order_id)
    assert order["tags"] == [{"Key": "env", "Value": "test"}]
    assert order["type"] == "certificate" and order["account_id"] == ACCOUNT


def test_wildcard_dns_order(api, emu):
    body = api.ok(api.cas("CreateCertificateRequest", Domain="*.example.com", ValidateType="DNS",
                          ProductCode="geotrust-dv-w-starter", **CONTACT))
    state = describe(api, body["OrderId"])
    assert state["RecordDomain"] == "_dnsauth"
    publish_txt(api, state)
    issued = describe(api, body["OrderId"])
    leaf = assert_chains_to_issuer(emu, issued["Certificate"], "api.example.com")
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["*.example.com", "example.com"]


def test_record_domain_style_domain(api, emu, order_factory):
    emu.control.settings(record_domain_style="domain")
    order_id = order_factory("shop.example.com")
    state = describe(api, order_id)
    assert state["RecordDomain"] == "_dnsauth"
    # The CA still looks for the TXT at _dnsauth.<domain>: a record at the zone apex is not it.
    publish_txt(api, state)
    assert describe(api, order_id)["Type"] == "domain_verify"
    api.ok(api.dns("AddDomainRecord", DomainName="example.com", RR="_dnsauth.shop", Type="TXT",
                   Value=state["RecordValue"]))
    assert describe(api, order_id)["Type"] == "certificate"


def test_zone_style_uses_hosted_sub_zone_or_last_two_labels(api, emu, order_factory):
    emu.control.add_zone(ACCOUNT, "dev.example.com")
    assert describe(api, order_factory("a.b.dev.example.com"))["RecordDomain"] == "_dnsauth.a.b"
    emu.control.set_quota(ACCOUNT, "digicert-free-1-free", total=20)
    assert describe(api, order_factory("x.y.unhosted.org"))["RecordDomain"] == "_dnsauth.x.y"


def test_validation_record_can_live_in_another_account(api, emu, make_api, order_factory):
    order_id = order_factory("www.partner.net")
    state = describe(api, order_id)
    emu.control.add_account("999", "LTAIOther", "other-secret")
    emu.control.add_zone("999", "partner.net")
    other = make_api("LTAIOther", "other-secret")
    publish_txt(other, state, zone="partner.net")
    assert describe(api, order_id)["Type"] == "certificate"


def test_wrong_txt_value_does_not_validate(api, order_factory):
    order_id = order_factory()
    api.ok(api.dns("AddDomainRecord", DomainName="example.com", RR="_dnsauth.www", Type="TXT", Value="nope"))
    assert describe(api, order_id)["Type"] == "domain_verify"


def test_issue_delay_shows_process(api, emu, order_factory):
    emu.control.settings(issue_delay=0.3)
    order_id = order_factory()
    publish_txt(api, describe(api, order_id))
    assert describe(api, order_id)["Type"] == "process"
    time.sleep(0.35)
    assert describe(api, order_id)["Type"] == "certificate"


def test_verify_fail_domains(api, emu, order_factory):
    emu.control.settings(verify_fail_domains=["bad.example.com"])
    order_id = order_factory("bad.example.com")
    publish_txt(api, describe(api, order_id))
    assert describe(api, order_id)["Type"] == "verify_fail"
    listed = api.ok(api.cas("ListUserCertificateOrder", Status="CHECKED_FAIL"))
    assert [o["OrderId"] for o in listed["CertificateOrderList"]] == [order_id]


def test_auto_dns_validation(api, emu, order_factory):
    emu.control.settings(auto_dns_validation=True)
    order_id = order_factory("auto.example.com")
    assert describe(api, order_id)["Type"] == "certificate"
    records = emu.control.state()["zones"][ACCOUNT]["example.com"]
    assert [(r["rr"], r["type"]) for r in records] == [("_dnsauth.auto", "TXT")]
    # Zone not in this account: the user still has to publish the record.
    assert describe(api, order_factory("www.elsewhere.org"))["Type"] == "domain_verify"


# --- FILE validation ---------------------------------------------------------------------------

def test_file_validation_via_control_files(api, emu, order_factory):
    order_id = order_factory("files.example.com", validate_type="FILE")
    state = describe(api, order_id)
    assert state["ValidateType"] == "FILE"
    assert state["Domain"] == "files.example.com"
    assert state["Uri"] == "/.well-known/pki-validation/fileauth.txt"
    assert "RecordDomain" not in state
    emu.control.publish_file("files.example.com", state["Uri"], "wrong")
    assert describe(api, order_id)["Type"] == "domain_verify"
    emu.control.publish_file("files.example.com", state["Uri"], state["Content"] + "\n")
    assert describe(api, order_id)["Type"] == "certificate"


def test_file_validation_via_webroot(api, emu, order_factory, tmp_path):
    order_id = order_factory("web.example.com", validate_type="FILE")
    state = describe(api, order_id)
    emu.control.add_webroot("web.example.com", str(tmp_path))
    assert describe(api, order_id)["Type"] == "domain_verify"
    target = tmp_path / ".well-known" / "pki-validation" / "fileauth.txt"
    target.parent.mkdir(parents=True)
    target.write_text(state["Content"])
    assert describe(api, order_id)["Type"] == "certificate"


# --- CSR flow ----------------------------------------------------------------------------------

def test_csr_flow_signs_the_supplied_key(api, emu):
    csr_pem, key = make_csr("csr.example.com")
    order_id = api.ok(api.cas("CreateCertificateWithCsrRequest", Csr=csr_pem, ValidateType="DNS",
                              **CONTACT))["OrderId"]
    state = describe(api, order_id)
    assert state["RecordDomain"] == "_dnsauth.csr"
    publish_txt(api, state)
    issued = describe(api, order_id)
    assert "PrivateKey" not in issued
    leaf = assert_chains_to_issuer(emu, issued["Certificate"], "csr.example.com")
    assert public_der(leaf.public_key()) == public_der(key.public_key())


def test_csr_with_ec_key_is_accepted(api):
    csr_pem = make_csr("ec.example.com", ec.generate_private_key(ec.SECP256R1()))[0]
    api.ok(api.cas("CreateCertificateWithCsrRequest", Csr=csr_pem, ValidateType="DNS", **CONTACT))


@pytest.mark.parametrize("problem", ["garbage", "weak_key", "wildcard_cn_single_product"])
def test_csr_rejections(api, problem):
    if problem == "garbage":
        csr_pem = "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"
    elif problem == "weak_key":
        csr_pem = make_csr("weak.example.com", rsa.generate_private_key(public_exponent=65537, key_size=1024))[0]
    else:
        csr_pem = make_csr("*.example.com")[0]
    response = api.cas("CreateCertificateWithCsrRequest", Csr=csr_pem, ValidateType="DNS", **CONTACT)
    assert api.error(response, 400) == "InvalidParameter"


def test_csr_is_required(api):
    assert api.error(api.cas("CreateCertificateWithCsrRequest", ValidateType="DNS", **CONTACT), 400) == \
        "MissingParameter"


# --- cancel / delete ---------------------------------------------------------------------------

def test_cancel_and_delete_rules_and_quota_give_back(api, order_factory):
    order_id = order_factory()
    assert package(api)["UsedCount"] == 1
    assert api.error(api.cas("DeleteCertificateRequest", OrderId=order_id), 403) == "OrderStateError"
    api.ok(api.cas("CancelOrderRequest", OrderId=order_id))
    assert describe(api, order_id)["Type"] == "payed"
    assert api.error(api.cas("CancelOrderRequest", OrderId=order_id), 403) == "OrderStateError"
    api.ok(api.cas("DeleteCertificateRequest", OrderId=order_id))
    assert package(api)["UsedCount"] == 0
    assert api.error(api.cas("DescribeCertificateState", OrderId=order_id), 404) == "NotFoundOrder"


def test_issued_orders_cannot_be_cancelled_or_deleted(api, order_factory):
    order_id = order_factory()
    publish_txt(api, describe(api, order_id))
    assert describe(api, order_id)["Type"] == "certificate"
    assert api.error(api.cas("CancelOrderRequest", OrderId=order_id), 403) == "OrderStateError"
    assert api.error(api.cas("DeleteCertificateRequest", OrderId=order_id), 403) == "OrderStateError"


def test_orders_are_per_account(api, emu, make_api, order_factory):
    order_id = order_factory()
    emu.control.add_account("999", "LTAIOther", "other-secret")
    other = make_api("LTAIOther", "other-secret")
    for action in ("DescribeCertificateState", "CancelOrderRequest", "DeleteCertificateRequest"):
        assert other.error(other.cas(action, OrderId=order_id), 404) == "NotFoundOrder"
    assert other.ok(other.cas("ListUserCertificateOrder"))["TotalCount"] == 0
    assert api.error(api.cas("DescribeCertificateState", OrderId="abc"), 400) == "InvalidParameter"


# --- listing -----------------------------------------------------------------------------------

def test_list_user_certificate_order(api, emu, order_factory):
    first = order_factory("one.example.com")
    second = order_factory("two.example.com")
    third = order_factory("three.example.com")
    publish_txt(api, describe(api, first))
    describe(api, first)
    api.ok(api.cas("CancelOrderRequest", OrderId=second))

    everything = api.ok(api.cas("ListUserCertificateOrder"))
    assert everything["TotalCount"] == 3 and everything["ShowSize"] == 50 and everything["CurrentPage"] == 1
    assert [o["OrderId"] for o in everything["CertificateOrderList"]] == [third, second, first]
    issued = everything["CertificateOrderList"][2]
    assert issued["Status"] == "ISSUED"
    assert isinstance(issued["CertStartTime"], int) and isinstance(issued["CertEndTime"], int)
    assert issued["CertEndTime"] - issued["CertStartTime"] == 90 * 86400 * 1000
    assert issued["ProductCode"] == "digicert-free-1-free"
    assert issued["DomainType"] == "ONE" and issued["CertType"] == "FREE"
    assert isinstance(issued["BuyDate"], int) and issued["InstanceId"].startswith("cas-")

    def ids(**params):
        return [o["OrderId"] for o in api.ok(api.cas("ListUserCertificateOrder", **params))["CertificateOrderList"]]

    assert ids(Status="PAYED") == [second]
    assert ids(Status="CHECKING") == [third]
    assert ids(Keyword="TWO.EXAMPLE") == [second]
    assert ids(ShowSize=2, CurrentPage=2) == [first]
    assert ids(OrderType="BUY") == []
    assert api.error(api.cas("ListUserCertificateOrder", OrderType="NOPE"), 400) == "InvalidParameter"

    emu.control.expire_order(first, days_left=10)
    assert ids(Status="WILLEXPIRED") == [first]
    emu.control.expire_order(first, days_left=-1)
    assert ids(Status="EXPIRED") == [first]
    leaf = split_chain(describe(api, first)["Certificate"])[0]
    assert leaf.not_valid_after_utc.timestamp() < time.time()


def test_switch_quota_refusal_generic_answers_the_generic_create_failure(api, emu):
    emu.control.settings(quota_refusal="generic")
    no_package = api.cas("CreateCertificateRequest", Domain="www.example.com", ValidateType="DNS",
                         ProductCode="globalsign-dv-1-personal", **CONTACT)
    assert api.error(no_package, 403) == "CreateCertificateRequestFailed"
    emu.control.set_quota(ACCOUNT, "geotrust-dv-1-starter", total=1, used=1)
    used_up = api.cas("CreateCertificateRequest", Domain="www.example.com", ValidateType="DNS",
                      ProductCode="geotrust-dv-1-starter", **CONTACT)
    assert api.error(used_up, 403) == "CreateCertificateRequestFailed"
    assert emu.control.state()["orders"] == []
    with pytest.raises(Exception, match="quota_refusal"):
        emu.control.settings(quota_refusal="sometimes")
