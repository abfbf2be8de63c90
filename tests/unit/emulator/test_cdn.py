"""CDN (2018-05-10) and DCDN (2018-01-15) domain certificates, and the generic product guards
(documented QPS limits, RAM refusals) that the gateway applies to every product service."""

import time

import pytest
import requests

CDN_VERSION = "2018-05-10"
DCDN_VERSION = "2018-01-15"
ACCOUNT = "1234567890123456"

# (service name, version, describe action, set action, on/off field, PEM field)
PRODUCTS = {
    "cdn": (CDN_VERSION, "DescribeDomainCertificateInfo", "SetCdnDomainSSLCertificate",
            "ServerCertificateStatus", "ServerCertificate"),
    "dcdn": (DCDN_VERSION, "DescribeDcdnDomainCertificateInfo", "SetDcdnDomainSSLCertificate",
             "SSLProtocol", "SSLPub"),
}


def control(emu, path, body=None, method="POST", status=200):
    response = requests.request(method, f"{emu.control_url}/{path}", json=body, verify=emu.ca_path, timeout=10)
    assert response.status_code == status, response.text
    return response.json()


def issued_certificate(emu, order_factory, domain="www.example.com") -> int:
    view = emu.control.set_order_state(order_factory(domain), "certificate")
    return int(view["cert_id"])


@pytest.fixture(params=sorted(PRODUCTS))
def product(request):
    return request.param


class Product:
    def __init__(self, emu, api, name):
        self.emu, self.api, self.name = emu, api, name
        self.version, self.describe_action, self.set_action, self.status_field, self.pem_field = PRODUCTS[name]

    def seed(self, domain, https=False, certificate_id=None, status=200):
        body = {"domain": domain, "https": https}
        if certificate_id is not None:
            body["certificate_id"] = certificate_id
        return control(self.emu, f"products/{self.name}/domains", body, status=status)

    def describe(self, domain):
        return self.api.call(self.describe_action, self.version, DomainName=domain)

    def info(self, domain):
        (info,) = self.api.ok(self.describe(domain))["CertInfos"]["CertInfo"]
        return info

    def set(self, domain, **params):
        return self.api.call(self.set_action, self.version, DomainName=domain, **params)

    def set_cas(self, domain, cert_id, region="cn-hangzhou", **params):
        return self.set(domain, SSLProtocol="on", CertType="cas", CertId=cert_id, CertRegion=region, **params)


@pytest.fixture
def prod(emu, api, product):
    return Product(emu, api, product)


@pytest.fixture
def www(prod):
    """www.example.com with HTTPS off: the demo seed's CDN domain; seeded for DCDN."""
    if prod.name == "dcdn":
        prod.seed("www.example.com")
    return "www.example.com"


def test_describe_a_domain_without_certificate(prod):
    prod.seed("plain.example.com")
    assert prod.info("plain.example.com") == {"DomainName": "plain.example.com", prod.status_field: "off"}


def test_set_cas_certificate_then_describe(emu, prod, order_factory):
    cert_id = issued_certificate(emu, order_factory, "shop.example.com")
    prod.seed("shop.example.com")
    assert prod.api.ok(prod.set_cas("shop.example.com", cert_id))["RequestId"]
    info = prod.info("shop.example.com")
    assert (info["CertType"], info["CertId"], info["CertRegion"], info[prod.status_field], info["Status"]) == \
        ("cas", str(cert_id), "cn-hangzhou", "on", "success")
    assert info["CertDomainName"] == "shop.example.com" and info["CertName"] == f"cert-{cert_id}"
    assert info["CertExpireTime"].endswith("Z") and info["CertLife"] == "3 months"
    assert info[prod.pem_field].startswith("-----BEGIN CERTIFICATE-----")
    assert all(isinstance(value, str) for value in info.values())  # CertId too: a string in both models
    assert ("CertStartTime" in info) is (prod.name == "cdn")


def test_https_off_keeps_the_certificate_and_on_again_reuses_it(emu, prod, order_factory, www):
    cert_id = issued_certificate(emu, order_factory)
    domain = www
    prod.api.ok(prod.set_cas(domain, cert_id))
    prod.api.ok(prod.set(domain, SSLProtocol="off"))
    info = prod.info(domain)
    assert (info[prod.status_field], info["CertId"]) == ("off", str(cert_id))
    prod.api.ok(prod.set(domain, SSLProtocol="on"))
    assert prod.info(domain)[prod.status_field] == "on"


def test_documented_errors(emu, prod, order_factory, make_api, www):
    cert_id = issued_certificate(emu, order_factory)
    api = prod.api
    assert api.error(prod.describe("nowhere.example.com"), 404) == "InvalidDomain.NotFound"
    assert api.error(prod.set_cas("nowhere.example.com", cert_id), 404) == "InvalidDomain.NotFound"
    assert api.error(prod.set("www.example.com"), 400) == "MissingParameter"
    assert api.error(prod.set("www.example.com", SSLProtocol="maybe"), 400) == "Abs.sslProtocol.ValueNotSupported"
    assert api.error(prod.set_cas("www.example.com", cert_id, region="us-east-1"), 400) == \
        "Abs.CertRegion.ValueNotSupported"
    # The other site's region: the certificate is not there (UNCONFIRMED code).
    assert api.error(prod.set_cas("www.example.com", cert_id, region="ap-southeast-1"), 404) == \
        "InvalidCertificate.NotFound"
    assert api.error(prod.set_cas("www.example.com", 999999), 404) == "InvalidCertificate.NotFound"
    assert api.error(prod.set_cas("www.example.com", "abc"), 400) == "InvalidParameter"
    assert api.error(prod.set("www.example.com", SSLProtocol="on"), 400) == "MissingParameter"  # no cert ever
    assert api.error(prod.set("www.example.com", SSLProtocol="on", CertType="upload"), 400) == \
        "SSLPub.MissingParameter"
    pem = emu.control.state()["orders"][0]["certificate"]
    assert api.error(prod.set("www.example.com", SSLProtocol="on", CertType="upload", SSLPub=pem), 400) == \
        "SSLPri.MissingParameter"
    assert api.error(prod.set("www.example.com", SSLProtocol="on", CertType="free"), 400) == "InvalidParameter"
    # Another account sees neither the domain nor the certificate.
    emu.control.add_account("9999999999999999", "LTAIOtherAccount01", "other-secret")
    other = make_api("LTAIOtherAccount01", "other-secret")
    assert other.error(other.call(prod.describe_action, prod.version, DomainName="www.example.com"), 404) == \
        "InvalidDomain.NotFound"
    control(emu, f"products/{prod.name}/domains", {"domain": "theirs.example.com", "account_id": "9999999999999999"})
    response = other.call(prod.set_action, prod.version, DomainName="theirs.example.com", SSLProtocol="on",
                          CertType="cas", CertId=cert_id)
    assert other.error(response, 404) == "InvalidCertificate.NotFound"
    assert prod.info("www.example.com")[prod.status_field] == "off"  # nothing changed


def test_international_site_takes_ap_southeast_1(emu, prod, order_factory, www):
    cert_id = issued_certificate(emu, order_factory)
    emu.control.settings(cas_site="international")
    domain = www
    assert prod.api.error(prod.set_cas(domain, cert_id), 404) == "InvalidCertificate.NotFound"  # default region
    prod.api.ok(prod.set_cas(domain, cert_id, region="ap-southeast-1"))
    assert prod.info(domain)["CertRegion"] == "ap-southeast-1"


@pytest.mark.parametrize("refused", [True, False])
def test_mismatch_switch(emu, prod, order_factory, refused):
    """UNCONFIRMED: whether the product refuses a certificate that does not cover the domain."""
    cert_id = issued_certificate(emu, order_factory, "shop.example.com")
    prod.seed("blog.example.com")
    assert control(emu, f"products/{prod.name}/settings", {"mismatch_refused": refused})["settings"] == \
        {"mismatch_refused": refused}
    response = prod.set_cas("blog.example.com", cert_id)
    if refused:
        assert prod.api.error(response, 400) == "Certificate.DomainMismatch"
        assert prod.info("blog.example.com")[prod.status_field] == "off"
    else:
        prod.api.ok(response)
        assert prod.info("blog.example.com")["CertId"] == str(cert_id)
    emu.control.reset()
    assert control(emu, f"products/{prod.name}", method="GET")["settings"] == {"mismatch_refused": True}


def test_wildcard_covers_one_label(emu, prod, order_factory):
    cert_id = issued_certificate(emu, order_factory, "shop.example.com")
    for domain in ("a.shop.example.com", "b.a.shop.example.com"):
        prod.seed(domain)
    # An order for *.shop.example.com needs the wildcard product.
    view = emu.control.set_order_state(order_factory("*.shop.example.com", ProductCode="geotrust-dv-w-starter"),
                                       "certificate")
    wildcard_id = int(view["cert_id"])
    prod.api.ok(prod.set_cas("a.shop.example.com", wildcard_id))
    assert prod.api.error(prod.set_cas("b.a.shop.example.com", wildcard_id), 400) == "Certificate.DomainMismatch"
    assert prod.api.error(prod.set_cas("a.shop.example.com", cert_id), 400) == "Certificate.DomainMismatch"


def test_upload_certificate(emu, prod, order_factory, www):
    issued_certificate(emu, order_factory)
    order = emu.control.state()["orders"][0]
    domain = www
    prod.api.ok(prod.set(domain, SSLProtocol="on", CertType="upload", SSLPub=order["certificate"],
                         SSLPri=order["private_key"], CertName="mine"))
    info = prod.info(domain)
    assert (info["CertType"], info["CertName"], "CertId" in info) == ("upload", "mine", False)
    view = control(emu, f"products/{prod.name}", method="GET")
    assert "-----BEGIN" not in str(view)  # the key (and PEMs) never appear in the control view


def test_seeding_validation(emu, prod, order_factory):
    assert "unknown field" in control(emu, f"products/{prod.name}/domains", {"domain": "x.example.com", "colour": 1},
                                      status=400)["error"]
    assert "missing" in control(emu, f"products/{prod.name}/domains", {}, status=400)["error"]
    assert "certificate_id" in control(emu, f"products/{prod.name}/domains",
                                       {"domain": "x.example.com", "https": True}, status=400)["error"]
    assert "not a CAS certificate" in control(emu, f"products/{prod.name}/domains",
                                              {"domain": "x.example.com", "certificate_id": 1}, status=400)["error"]
    cert_id = issued_certificate(emu, order_factory)
    seeded = control(emu, f"products/{prod.name}/domains",
                     {"domain": "WWW.example.com", "https": True, "certificate_id": cert_id})["domain"]
    assert (seeded["domain"], seeded["https"], seeded["certificate_id"]) == ("www.example.com", True, cert_id)
    assert "unknown" in control(emu, f"products/{prod.name}/settings", {"colour": True}, status=400)["error"]
    assert "true or false" in control(emu, f"products/{prod.name}/settings", {"mismatch_refused": 1},
                                      status=400)["error"]


def test_xml_answers(prod, emu, www):
    response = prod.api.call(prod.describe_action, prod.version, fmt=None, DomainName="www.example.com")
    assert response.status_code == 200 and "<CertInfos><CertInfo><DomainName>www.example.com" in response.text


# --- generic guards: RAM refusals and QPS limits --------------------------------------------------
def test_deny_an_action_answers_forbidden_ram_until_reset(emu, api):
    control(emu, "deny", {"action": "SetCdnDomainSSLCertificate"})
    assert api.ok(api.call("DescribeDomainCertificateInfo", CDN_VERSION, DomainName="www.example.com"))
    response = api.call("SetCdnDomainSSLCertificate", CDN_VERSION, DomainName="www.example.com", SSLProtocol="off")
    assert api.error(response, 403) == "Forbidden.RAM"
    body = response.json()
    assert body["Message"].startswith("User not authorized to operate on the specified resource")
    detail = body["AccessDeniedDetail"]
    assert (detail["AuthAction"], detail["AuthPrincipalOwnerId"], detail["NoPermissionType"]) == \
        ("cdn:SetCdnDomainSSLCertificate", ACCOUNT, "ImplicitDeny")
    call = emu.control.calls()[-1]
    assert (call["error_code"], call["fault"], call["status"]) == ("Forbidden.RAM", "ram_denied", 403)
    emu.control.reset()
    assert api.ok(api.call("SetCdnDomainSSLCertificate", CDN_VERSION, DomainName="www.example.com",
                           SSLProtocol="off"))


def test_deny_a_product_and_xml_error(emu, api):
    control(emu, "deny", {"product": "dcdn"})
    assert api.error(api.call("DescribeDcdnDomainCertificateInfo", DCDN_VERSION, DomainName="x.example.com"),
                     403) == "Forbidden.RAM"
    xml = api.call("DescribeDcdnDomainCertificateInfo", DCDN_VERSION, fmt=None, DomainName="x.example.com").text
    assert "<AuthAction>dcdn:DescribeDcdnDomainCertificateInfo</AuthAction>" in xml
    assert api.ok(api.call("DescribeDomainCertificateInfo", CDN_VERSION, DomainName="www.example.com"))
    assert api.ok(api.cas("DescribePackageState"))
    view = control(emu, "products/dcdn", method="GET")
    assert view["guards"]["denied"] == [{"product": "dcdn"}]


def test_deny_validation_and_account_scope(emu, api):
    assert "needs an action" in control(emu, "deny", {}, status=400)["error"]
    assert "unknown" in control(emu, "deny", {"verb": "x"}, status=400)["error"]
    control(emu, "deny", {"product": "cdn", "account_id": "42"})
    assert api.ok(api.call("DescribeDomainCertificateInfo", CDN_VERSION, DomainName="www.example.com"))


def test_documented_qps_limit_of_set(emu, api):
    """SetCdnDomainSSLCertificate: 30 calls per second per account (API page)."""
    codes = []
    started = time.monotonic()
    while len(codes) < 300 and "Throttling.User" not in codes:  # until the first refusal
        response = api.call("SetCdnDomainSSLCertificate", CDN_VERSION, DomainName="www.example.com",
                            SSLProtocol="off")
        codes.append(response.json().get("Code"))
    elapsed = time.monotonic() - started
    # A full bucket of 30, plus what refilled at 30/s while the calls ran (a slow machine
    # refills more), then the refusal.
    allowed = codes.count(None)
    assert codes[-1] == "Throttling.User" and set(codes[:-1]) == {None}
    assert 30 <= allowed <= 30 + int(elapsed * 30) + 1, (allowed, elapsed)
    throttled = [c for c in emu.control.calls() if c["error_code"] == "Throttling.User"]
    assert throttled[0]["fault"] == "qps" and throttled[0]["status"] == 400
    # Reads have their own (higher) limit and are not affected.
    assert api.ok(api.call("DescribeDomainCertificateInfo", CDN_VERSION, DomainName="www.example.com"))


def test_qps_setting(emu, api):
    answer = control(emu, "products/cdn/settings", {"qps": 2})
    assert answer["guards"]["qps"] == 2.0
    codes = [api.call("DescribeDomainCertificateInfo", CDN_VERSION, DomainName="www.example.com").status_code
             for _attempt in range(4)]
    assert codes[:2] == [200, 200] and 400 in codes[2:]
    control(emu, "products/cdn/settings", {"qps": 0})  # no limit at all
    assert {api.call("SetCdnDomainSSLCertificate", CDN_VERSION, DomainName="www.example.com",
                     SSLProtocol="off").status_code for _attempt in range(40)} == {200}
    # qps together with a product setting: both applied.
    answer = control(emu, "products/cdn/settings", {"qps": None, "mismatch_refused": False})
    assert answer["settings"] == {"mismatch_refused": False}
    assert control(emu, "products/cdn", method="GET")["guards"]["qps"] is None
    assert "qps must be" in control(emu, "products/cdn/settings", {"qps": "fast"}, status=400)["error"]
    assert "qps must be" in control(emu, "products/cdn/settings", {"qps": -1}, status=400)["error"]
    emu.control.reset()
    assert control(emu, "products/cdn", method="GET")["guards"]["qps"] is None
