"""One view of every CAS certificate of an account, whatever produced it (a V1.0 order, a
V2.0 instance), for the product services that refer to CAS certificates by id.

A product (CDN, CLB, ALB, ...) accepts a CAS certificate id only when the certificate
exists in the caller's account; the edge serves its chain and key.
"""

import dataclasses
import datetime

from cryptography import x509

# CertIdentifier is <CertificateId>-<region>, the region being the CAS site's
# (alibaba-cloud-api.md / cas-v2-instance-flow.md: cn-hangzhou on the China site,
# ap-southeast-1 on the international site).
SITE_REGIONS = {"china": "cn-hangzhou", "international": "ap-southeast-1"}


@dataclasses.dataclass(frozen=True)
class CasCertificate:
    certificate_id: int
    account_id: str
    name: str
    certificate_pem: str  # leaf first, then the chain
    private_key_pem: str | None  # None: CAS holds no key (ExistPrivateKey false)
    source: str  # "order", "instance" (V2.0), "upload"
    algorithm: str = "RSA"

    @property
    def leaf(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.certificate_pem.encode())

    @property
    def names(self) -> list[str]:
        sans = self.leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        return [name.lower() for name in sans.get_values_for_type(x509.DNSName)]

    @property
    def not_before(self) -> datetime.datetime:
        return self.leaf.not_valid_before_utc

    @property
    def not_after(self) -> datetime.datetime:
        return self.leaf.not_valid_after_utc

    def identifier(self, region: str) -> str:
        return f"{self.certificate_id}-{region}"


def cert_region(state) -> str:
    """The region part of every CertIdentifier the emulator hands out (Settings.cas_site)."""
    return SITE_REGIONS[getattr(state.settings, "cas_site", "china")]


def all_certificates(state, account_id: str) -> list[CasCertificate]:
    """Every issued certificate of the account. The caller holds ``state.lock``."""
    found = []
    for order in state.orders.values():
        if order.account_id == account_id and order.cert_id and order.certificate:
            found.append(CasCertificate(int(order.cert_id), account_id, f"cert-{order.cert_id}", order.certificate,
                                        order.private_key_pem, "order"))
    for certificate in state.instance_certificates.values():
        if certificate.account_id == account_id:
            found.append(CasCertificate(int(certificate.certificate_id), account_id, certificate.name,
                                        certificate.certificate_pem, certificate.private_key_pem, "instance",
                                        certificate.algorithm))
    for certificate in getattr(state, "uploaded_certificates", {}).values():
        if certificate.account_id == account_id:
            found.append(certificate)
    return found


def find_certificate(state, account_id: str, certificate_id) -> CasCertificate | None:
    """The account's certificate with this id (int or numeric string), or None. The caller holds ``state.lock``."""
    try:
        wanted = int(certificate_id)
    except (TypeError, ValueError):
        return None
    return next((c for c in all_certificates(state, account_id) if c.certificate_id == wanted), None)
