import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ansible_collections.alicloud.cas.plugins.module_utils import _validation as v
from ansible_collections.alicloud.cas.plugins.module_utils._errors import ConfigurationError


@pytest.mark.parametrize("raw, expected", [
    ("www.example.com", "www.example.com"),
    ("WWW.Example.COM.", "www.example.com"),
    ("  shop.example.com ", "shop.example.com"),
    ("*.example.com", "*.example.com"),
    ("bücher.example", "xn--bcher-kva.example"),
    ("*.München.de", "*.xn--mnchen-3ya.de"),
    ("xn--bcher-kva.example", "xn--bcher-kva.example"),
    ("a-b.c-d.example", "a-b.c-d.example"),
])
def test_domain_normalisation(raw, expected):
    assert v.normalize_domain(raw) == expected


@pytest.mark.parametrize("raw, fragment", [
    ("https://www.example.com", "without a scheme"),
    ("www.example.com:443", "without a port"),
    ("www.example.com/path", "without a path"),
    ("www example.com", "without spaces"),
    ("admin@example.com", "without user info"),
    ("example", "at least two labels"),
    ("www..example.com", "empty label"),
    (".example.com", "empty label"),
    ("-www.example.com", "letters, digits or hyphens"),
    ("www-.example.com", "letters, digits or hyphens"),
    ("under_score.example.com", "letters, digits or hyphens"),
    ("a" * 64 + ".example.com", "letters, digits or hyphens"),
    ("www.*.example.com", "whole first label"),
    ("*www.example.com", "whole first label"),
    ("**.example.com", "whole first label"),
    ("*", "at least two labels"),
    ("10.0.0.1", "IP address"),
    (".".join(["a" * 60] * 5), "longer than 253"),
    ("", "non-empty"),
])
def test_bad_domains_name_the_option(raw, fragment):
    with pytest.raises(ConfigurationError) as raised:
        v.normalize_domain(raw)
    assert raised.value.option == "domain"
    assert str(raised.value).startswith("domain")
    assert fragment in str(raised.value)


def test_wildcard_can_be_refused():
    with pytest.raises(ConfigurationError, match="wildcard is not allowed"):
        v.normalize_domain("*.example.com", allow_wildcard=False)


def test_dns_names_allow_underscores():
    assert v.normalize_dns_name("_dnsauth.WWW.example.com") == "_dnsauth.www.example.com"
    with pytest.raises(ConfigurationError) as raised:
        v.normalize_dns_name("bad!.example.com", option="record")
    assert raised.value.option == "record"


@pytest.mark.parametrize("domain, code", [
    ("www.example.com", None), ("www.example.com", "digicert-free-1-free"),
    ("*.example.com", "geotrust-dv-w-starter"), ("*.example.com", "globalsign-dv-w-advanced"),
])
def test_matching_product_codes(domain, code):
    v.check_product_code(domain, code)


@pytest.mark.parametrize("domain, code, fragment", [
    ("*.example.com", None, "default product code is for single domains"),
    ("*.example.com", "digicert-free-1-free", "single-domain plan"),
    ("www.example.com", "geotrust-dv-w-starter", "is a wildcard plan"),
])
def test_mismatched_product_codes(domain, code, fragment):
    with pytest.raises(ConfigurationError) as raised:
        v.check_product_code(domain, code)
    assert raised.value.option == "product_code" and fragment in str(raised.value)


def test_file_validation_refused_for_wildcards():
    v.check_validate_type("www.example.com", "FILE")
    with pytest.raises(ConfigurationError, match="validate_type FILE cannot validate wildcard"):
        v.check_validate_type("*.example.com", "FILE")


@pytest.mark.parametrize("good", ["admin@example.com", "first.last+tag@sub.example.co"])
def test_good_email(good):
    v.check_email(good)


@pytest.mark.parametrize("bad", ["", "admin", "admin@", "@example.com", "admin@example", "a b@example.com"])
def test_bad_email(bad):
    with pytest.raises(ConfigurationError, match="^email") as raised:
        v.check_email(bad)
    assert raised.value.option == "email"


@pytest.mark.parametrize("good", ["13800000000", "+86 138 0000 0000", "+1-415-555-0100"])
def test_good_phone(good):
    v.check_phone(good)


@pytest.mark.parametrize("bad", ["", "123", "phone", "+86 138 0000 000x", "1381111****"])
def test_bad_phone(bad):
    with pytest.raises(ConfigurationError, match="^phone"):
        v.check_phone(bad)


def _csr(common_name, key=None):
    key = key or ec.generate_private_key(ec.SECP256R1())
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]) if common_name else x509.Name([]))
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def test_csr_matching_domain_is_accepted():
    assert v.check_csr(_csr("WWW.example.com"), "www.example.com") == "WWW.example.com"


@pytest.mark.parametrize("pem, fragment", [
    ("not a csr", "is not a PEM certificate signing request"),
    (_csr("other.example.com"), "has CN 'other.example.com', but domain is 'www.example.com'"),
    (_csr(None), "has no common name"),
    (_csr("www.example.com", rsa.generate_private_key(public_exponent=65537, key_size=1024)), "1024-bit RSA key"),
])
def test_bad_csr(pem, fragment):
    with pytest.raises(ConfigurationError) as raised:
        v.check_csr(pem, "www.example.com")
    assert raised.value.option == "csr" and fragment in str(raised.value)


@pytest.mark.parametrize("raw", ["Bücher\u3002example", "bücher\uff0eexample", "BÜCHER\uff61example\u3002"])
def test_east_asian_full_stops_separate_labels(raw):
    # UTS 46 maps the ideographic, fullwidth and halfwidth full stops to "."
    assert v.normalize_domain(raw) == "xn--bcher-kva.example"
    assert v.normalize_dns_name("_dnsauth\u3002" + raw) == "_dnsauth.xn--bcher-kva.example"


@pytest.mark.parametrize("raw", ["xn--zz.example", "xn--a.example", "www.xn--ls8h.example", "XN--ZZ.example"])
def test_invalid_a_labels_are_refused(raw):
    with pytest.raises(ConfigurationError, match="not a valid internationalised") as raised:
        v.normalize_domain(raw)
    assert raised.value.option == "domain"


def test_valid_a_labels_pass_unchanged():
    assert v.normalize_domain("XN--55QX5D.example") == "xn--55qx5d.example"
    assert v.unicode_name("xn--bcher-kva.example") == "bücher.example"
    assert v.unicode_name("www.example.com") is None


def test_every_product_code_has_a_kind_entry():
    assert set(v.PRODUCT_KINDS) == set(v.PACKAGE_PRODUCT_CODES)
    assert v.DV_PRODUCT_CODES[0] == v.DEFAULT_PRODUCT_CODE


@pytest.mark.parametrize("domain", ["*.example.com", "www.example.com"])
def test_product_whose_sources_disagree_is_left_to_cas(domain):
    # The SDK text calls symantec-dv-1-starter a wildcard plan; its code says single.
    v.check_product_code(domain, "symantec-dv-1-starter")


class _ApiRefusal(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code, self.message = code, message


def test_cas_refusal_of_the_product_names_product_code():
    error = _ApiRefusal("InvalidParameter", 'The specified parameter "Domain" is not valid. The domain does not'
                        " match the product symantec-dv-1-starter, which requires a single domain.")
    mapped = v.product_refusal(error, "*.example.com", "symantec-dv-1-starter")
    assert isinstance(mapped, ConfigurationError) and mapped.option == "product_code"
    text = str(mapped)
    assert "product_code 'symantec-dv-1-starter'" in text and "*.example.com" in text
    assert "geotrust-dv-w-starter" in text and "InvalidParameter" in text


@pytest.mark.parametrize("code, message", [
    ("InvalidParameter", 'The specified parameter "Email" is not valid.'),
    ("NotRemainCount", "No quota left for this product."),
])
def test_other_refusals_are_not_blamed_on_the_product(code, message):
    assert v.product_refusal(_ApiRefusal(code, message), "*.example.com", "symantec-dv-1-starter") is None


def test_csr_with_a_broken_signature_is_refused():
    pem = _csr("www.example.com").encode()
    der = x509.load_pem_x509_csr(pem).public_bytes(serialization.Encoding.DER)
    tampered = der[:-1] + bytes([der[-1] ^ 0x01])  # the last byte belongs to the signature
    tampered_pem = x509.load_der_x509_csr(tampered).public_bytes(serialization.Encoding.PEM)
    with pytest.raises(ConfigurationError, match="invalid signature"):
        v.check_csr(tampered_pem, "www.example.com")


def test_csr_with_an_rsa_2048_key_is_accepted():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert v.check_csr(_csr("www.example.com", key), "www.example.com") == "www.example.com"


def test_csr_with_an_ed25519_key_is_refused():
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    pem = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "www.example.com")]))
           .sign(key, None).public_bytes(serialization.Encoding.PEM))
    with pytest.raises(ConfigurationError, match="must use an RSA"):
        v.check_csr(pem, "www.example.com")


def test_idna_is_imported_in_one_place():
    # One import guard per optional library: idna here, cryptography in _x509, requests in _transport.
    import os
    import re

    utils = os.path.join(os.path.dirname(os.path.abspath(v.__file__)))
    importers = []
    for name in sorted(os.listdir(utils)):
        if name.endswith(".py"):
            with open(os.path.join(utils, name), encoding="utf-8") as handle:
                if re.search(r"^\s*import idna\b", handle.read(), re.M):
                    importers.append(name)
    assert importers == ["_validation.py"]
