"""Local certificate inspection: name coverage, key match and the renewal decision."""

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.alicloud.cas.plugins.module_utils import _certificate_files as cf
from ansible_collections.alicloud.cas.plugins.module_utils import _x509

NOW = datetime.datetime(2026, 11, 28, 12, 0, 0, tzinfo=datetime.timezone.utc)


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _cert(key, names, cn=None, days=90, start=None, san=True):
    start = start or NOW - datetime.timedelta(days=1)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn or names[0])])
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=days)))
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def _csr(key, name):
    return (x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))


@pytest.mark.parametrize("cert_name, domain, expected", [
    ("www.example.com", "www.example.com", True),
    ("*.example.com", "www.example.com", True),
    ("*.example.com", "*.example.com", True),
    ("*.example.com", "example.com", False),
    ("*.example.com", "a.b.example.com", False),
    ("www.example.com", "*.example.com", False),
    ("example.com", "www.example.com", False),
    ("www.example.com", "www.example.org", False),
    (None, "www.example.com", False),
])
def test_name_covers(cert_name, domain, expected):
    assert cf.name_covers(cert_name, domain) is expected


def test_covers_is_case_and_idn_insensitive():
    assert cf.covers(["WWW.Example.COM"], "www.example.com")
    assert cf.covers(["xn--bcher-kva.example"], "Bücher.example")
    assert cf.covers(["*.xn--mnchen-3ya.de"], "shop.münchen.de")
    # A name we cannot parse is simply no match, not an error.
    assert not cf.covers(["not a name", "1.2.3.4"], "www.example.com")


def test_missing_file_needs_issuance():
    result = cf.inspect(None, "www.example.com", now=NOW)
    assert result["exists"] is False
    assert result["needs_renewal"] is True
    assert result["reason"] == "no certificate file yet"


def test_garbage_file_needs_issuance():
    result = cf.inspect(b"not a certificate", "www.example.com", key_pem=b"x", now=NOW)
    assert result["exists"] is True
    assert result["needs_renewal"] is True
    assert "not a PEM certificate" in result["reason"]


def test_good_certificate_is_kept():
    key = _key()
    result = cf.inspect(_cert(key, ["www.example.com"]), "www.example.com", key_pem=_key_pem(key), now=NOW)
    assert result["needs_renewal"] is False
    assert result["covers_domain"] is True
    assert result["key_matches"] is True
    assert result["days_left"] == 89
    assert result["names"] == ["www.example.com"]
    assert result["subject"] == "CN=www.example.com"
    assert result["not_after"] == "2027-02-25T12:00:00Z"
    assert "89 days left" in result["reason"]


def test_fullchain_uses_the_leaf():
    key, other = _key(), _key()
    chain = _cert(key, ["www.example.com"]) + _cert(other, ["Intermediate CA"], san=False)
    result = cf.inspect(chain, "www.example.com", key_pem=_key_pem(key), now=NOW)
    assert result["needs_renewal"] is False


def test_result_has_no_key_material():
    key = _key()
    key_pem = _key_pem(key)
    result = cf.inspect(_cert(key, ["www.example.com"]), "www.example.com", key_pem=key_pem, now=NOW)
    text = repr(result)
    assert "PRIVATE KEY" not in text
    assert key_pem.decode() not in text


def test_other_key_means_renewal():
    key = _key()
    result = cf.inspect(_cert(key, ["www.example.com"]), "www.example.com", key_pem=_key_pem(_key()), now=NOW)
    assert result["key_matches"] is False
    assert result["needs_renewal"] is True
    assert result["reason"] == "the certificate does not belong to the private key"


@pytest.mark.parametrize("key_pem, fragment", [
    (b"", "missing or empty"),
    (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "not an unencrypted PEM"),
    (None, "no private key"),
])
def test_unusable_key_means_renewal(key_pem, fragment):
    result = cf.inspect(_cert(_key(), ["www.example.com"]), "www.example.com", key_pem=key_pem, now=NOW)
    assert result["key_matches"] is False
    assert fragment in result["reason"]


def test_encrypted_key_is_not_read():
    key = _key()
    encrypted = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.BestAvailableEncryption(b"secret"))
    result = cf.inspect(_cert(key, ["www.example.com"]), "www.example.com", key_pem=encrypted, now=NOW)
    assert result["key_matches"] is False


def test_csr_stands_in_for_the_key():
    key = _key()
    cert = _cert(key, ["www.example.com"])
    assert cf.inspect(cert, "www.example.com", csr_pem=_csr(key, "www.example.com"), now=NOW)["needs_renewal"] is False
    other = cf.inspect(cert, "www.example.com", csr_pem=_csr(_key(), "www.example.com"), now=NOW)
    assert other["reason"] == "the certificate was not issued for the CSR's key"
    assert "not a PEM certificate signing request" in cf.inspect(
        cert, "www.example.com", csr_pem=b"junk", now=NOW)["reason"]


def test_wrong_domain_means_renewal_and_names_both():
    key = _key()
    result = cf.inspect(_cert(key, ["shop.example.com"]), "www.example.com", key_pem=_key_pem(key), now=NOW)
    assert result["covers_domain"] is False
    assert result["reason"] == "the certificate does not name www.example.com (it names shop.example.com)"


def test_wildcard_certificate_covers_host():
    key = _key()
    result = cf.inspect(_cert(key, ["*.example.com"]), "api.example.com", key_pem=_key_pem(key), now=NOW)
    assert result["needs_renewal"] is False


def test_cn_is_used_only_without_san():
    key = _key()
    no_san = _cert(key, ["www.example.com"], san=False)
    assert cf.inspect(no_san, "www.example.com", key_pem=_key_pem(key), now=NOW)["covers_domain"] is True
    san_wins = _cert(key, ["shop.example.com"], cn="www.example.com")
    assert cf.inspect(san_wins, "www.example.com", key_pem=_key_pem(key), now=NOW)["covers_domain"] is False


@pytest.mark.parametrize("days, renew_before, needs, fragment", [
    (90, 30, False, "days left"),
    (31, 30, False, "days left"),  # exactly 30 days left is outside the window
    (30, 30, True, "within renew_before_days (30)"),
    (20, 30, True, "within renew_before_days (30)"),
    (20, 0, False, "days left"),
    (1, 0, True, "expired on"),
])
def test_renewal_window(days, renew_before, needs, fragment):
    key = _key()
    # Validity started a day ago, so `days` of validity leave days-1 days.
    result = cf.inspect(_cert(key, ["www.example.com"], days=days), "www.example.com",
                        key_pem=_key_pem(key), renew_before_days=renew_before, now=NOW)
    assert result["needs_renewal"] is needs
    assert fragment in result["reason"]


def test_expired_days_left_is_negative():
    key = _key()
    result = cf.inspect(_cert(key, ["www.example.com"], days=10, start=NOW - datetime.timedelta(days=15)),
                        "www.example.com", key_pem=_key_pem(key), now=NOW)
    assert result["days_left"] == -5
    assert result["needs_renewal"] is True


class _PreCryptography42Certificate:
    """A certificate as cryptography < 42 presents it: naive UTC validity, no ``*_utc``."""

    def __init__(self, cert):
        self._cert = cert

    def __getattr__(self, name):
        if name.endswith("_utc"):
            raise AttributeError(name)
        if name in ("not_valid_before", "not_valid_after"):
            aware = getattr(self._cert, name + "_utc", None)  # absent when the test runs on < 42
            return aware.replace(tzinfo=None) if aware is not None else getattr(self._cert, name)
        return getattr(self._cert, name)


def test_certificates_of_cryptography_before_42_are_read(monkeypatch):
    # RHEL 9 and Ubuntu 22.04 ship cryptography 3.4.8, Ubuntu 24.04 41.0.7: no *_utc there.
    key = _key()
    pem = _cert(key, ["www.example.com"])
    real_loader = x509.load_pem_x509_certificate
    monkeypatch.setattr(x509, "load_pem_x509_certificate",
                        lambda data, *args: _PreCryptography42Certificate(real_loader(data, *args)))
    result = cf.inspect(pem, "www.example.com", key_pem=_key_pem(key), now=NOW)
    assert result["needs_renewal"] is False
    assert result["not_after"] == "2027-02-25T12:00:00Z"
    assert result["not_before"] == "2026-11-27T12:00:00Z"


@pytest.mark.parametrize("hours_left", [30 * 24 - 1, 30 * 24, 30 * 24 + 12, 31 * 24])
def test_renewal_follows_the_one_shared_rule(hours_left):
    # The order side decides with the same _x509.renewal_due, so a restored chain.pem at
    # 30.5 days left is "keep" on both sides and never spends quota.
    key = _key()
    not_after = NOW + datetime.timedelta(hours=hours_left)
    pem = _cert(key, ["www.example.com"], days=hours_left / 24.0 + 1)
    result = cf.inspect(pem, "www.example.com", key_pem=_key_pem(key), renew_before_days=30, now=NOW)
    assert result["needs_renewal"] is _x509.renewal_due(not_after, 30, NOW)
    assert result["needs_renewal"] is (hours_left < 30 * 24)
