"""The emulator's own issuing CA (root -> intermediate -> leaf), built with ``cryptography``.

Separate from the trustme CA that secures the HTTPS listener: this one stands in for
DigiCert/GeoTrust/GlobalSign, so the tests control its validity periods and extensions.
"""

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DAY = datetime.timedelta(days=1)


def generate_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_key_pem(key: rsa.RSAPrivateKey) -> str:
    """PKCS#1 (``BEGIN RSA PRIVATE KEY``), the form CAS-generated keys are commonly delivered in."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def cert_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _name(common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Alibaba Cloud Emulator Trust"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


class IssuingCA:
    """Root and intermediate created once per emulator instance (key generation is slow)."""

    def __init__(self) -> None:
        now = datetime.datetime.now(datetime.timezone.utc)
        # Back-dated by years so leaves re-issued "in the past" (control expire) still nest.
        not_before, not_after = now - 3650 * DAY, now + 7300 * DAY

        self._root_key = generate_rsa_key()
        root_name = _name("Emulator Test Root CA")
        self.root = (
            x509.CertificateBuilder()
            .subject_name(root_name)
            .issuer_name(root_name)
            .public_key(self._root_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_ca_key_usage(), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self._root_key.public_key()), critical=False)
            .sign(self._root_key, hashes.SHA256())
        )

        self._intermediate_key = generate_rsa_key()
        self.intermediate = (
            x509.CertificateBuilder()
            .subject_name(_name("Emulator DV TLS Issuing CA"))
            .issuer_name(root_name)
            .public_key(self._intermediate_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_ca_key_usage(), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self._intermediate_key.public_key()), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._root_key.public_key()), critical=False)
            .sign(self._root_key, hashes.SHA256())
        )
        self.root_pem = cert_pem(self.root)
        self.intermediate_pem = cert_pem(self.intermediate)

    def issue(self, public_key, domain: str, not_before: datetime.datetime,
              not_after: datetime.datetime, extra_names=()) -> x509.Certificate:
        """A DV server certificate: CN = domain, SAN = domain (+ the bare name for ``*.x``)
        and ``extra_names`` (multi-domain certificates on V2.0 instances)."""
        names = [domain]
        if domain.startswith("*."):
            names.append(domain[2:])
        names += [name for name in extra_names if name not in names]
        # RSA keys also encipher (TLS RSA key exchange); EC keys only sign.
        is_rsa = isinstance(public_key, rsa.RSAPublicKey)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)]))
            .issuer_name(self.intermediate.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=is_rsa,
                data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._intermediate_key.public_key()),
                critical=False)
        )
        return builder.sign(self._intermediate_key, hashes.SHA256())


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
        encipher_only=False, decipher_only=False)


def csr_public_key_ok(public_key) -> bool:
    """CAS accepts RSA keys of 2048 bits or more, and ECC keys."""
    if isinstance(public_key, rsa.RSAPublicKey):
        return public_key.key_size >= 2048
    return isinstance(public_key, ec.EllipticCurvePublicKey)
