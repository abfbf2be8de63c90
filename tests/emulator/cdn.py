"""CDN (``Version=2018-05-10``) and DCDN (``Version=2018-01-15``): the domain certificate calls.

Both products keep, per accelerated domain, whether HTTPS is on and which certificate it
serves: a CAS certificate by id and region (``CertType=cas``) or a PEM pair uploaded with
the call (``CertType=upload``). Answers follow the SDK models of
``alibabacloud_cdn20180510`` 9.2.0 and ``alibabacloud_dcdn20180115`` 3.1.0: every value a
string, ``CertId`` too. The two differ only in names (the action names, and DCDN says
``SSLProtocol``/``SSLPub`` where CDN says ``ServerCertificateStatus``/``ServerCertificate``),
so one class serves both.
"""

import dataclasses
import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .errors import ApiError, invalid_parameter, missing_parameter, require
from .products import PRODUCT_CLASSES

CERT_REGIONS = ("cn-hangzhou", "ap-southeast-1")  # SetCdnDomainSSLCertificate CertRegion (SDK docstring)
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # CertExpireTime example 2018-06-03T22:03:39Z
SETTINGS_DEFAULTS = {"mismatch_refused": True}


@dataclasses.dataclass
class Domain:
    account_id: str
    name: str
    https: bool = False
    cert_type: str | None = None  # "cas" or "upload"; None: never had a certificate
    cert_id: int | None = None  # CAS id (cas)
    cert_region: str | None = None
    cert_name: str | None = None
    upload_pem: str | None = None  # upload: SSLPub (leaf first)
    upload_key: str | None = None  # upload: SSLPri, never shown
    updated: datetime.datetime | None = None


def domain_not_found() -> ApiError:
    # Documented (CDN/DCDN error-code pages): 404 InvalidDomain.NotFound.
    return ApiError(404, "InvalidDomain.NotFound", "The domain does not exist, or it does not belong to you.")


def _covers(names: list[str], domain: str) -> bool:
    """RFC 6125 matching: ``*.example.com`` covers one label more, never the bare name."""
    domain = domain.lower()
    for name in names:
        if name == domain:
            return True
        if name.startswith("*.") and domain.count(".") >= 2 and domain.split(".", 1)[1] == name[2:]:
            return True
    return False


def _stamp(moment: datetime.datetime | None) -> str | None:
    return moment.astimezone(datetime.timezone.utc).strftime(TIME_FORMAT) if moment else None


class DomainCertificateService:
    """One accelerated-domain product; subclasses only name things."""

    name = ""
    version = ""
    host_id = ""
    product = ""
    describe_action = ""
    set_action = ""
    status_field = ""  # "on"/"off" field of a CertInfo
    pem_field = ""  # the certificate PEM field of a CertInfo
    with_times = False  # CDN also reports CertStartTime and CertUpdateTime
    # Documented per-account QPS limits (API pages); the gateway enforces them (gateway.py).
    qps_limits: dict = {}

    def __init__(self, state, certificates) -> None:
        self.state = state
        self.certificates = certificates
        self.actions = {self.describe_action: self.describe, self.set_action: self.set_certificate}
        self.clear()

    # --- product-service protocol ---------------------------------------------------------
    def clear(self) -> None:
        self.domains: dict[str, Domain] = {}
        self.settings = dict(SETTINGS_DEFAULTS)

    def view(self) -> dict:
        return {"domains": [self._domain_view(d) for d in self.domains.values()], "settings": dict(self.settings)}

    def control(self, method: str, path: str, body: dict) -> dict:
        from .control import ControlError  # here: control imports the services' modules

        if method == "POST" and path == "domains":
            return self._seed_domain(body, ControlError)
        if method == "POST" and path == "settings":
            unknown = set(body) - set(SETTINGS_DEFAULTS)
            if unknown:
                raise ControlError(400, f"unknown {self.name} setting(s): {', '.join(sorted(unknown))}")
            for key, value in body.items():
                if not isinstance(value, bool):
                    raise ControlError(400, f"{key} must be true or false")
            with self.state.lock:
                self.settings.update(body)
                return {"ok": True, "settings": dict(self.settings)}
        raise ControlError(404, f"no control endpoint {method} products/{self.name}/{path}")

    def edge_material(self, server_name: str):
        """The domain's certificate while its HTTPS is on. The caller holds ``state.lock``."""
        domain = self.domains.get(server_name.lower())
        if domain is None or not domain.https:
            return None
        if domain.cert_type == "upload":
            return domain.upload_pem, domain.upload_key
        certificate = self.certificates.find_certificate(self.state, domain.account_id, domain.cert_id)
        if certificate is None or certificate.private_key_pem is None:
            return None
        return certificate.certificate_pem, certificate.private_key_pem

    # --- seeding ----------------------------------------------------------------------------
    def add_domain(self, account_id: str, name: str, https: bool = False, certificate_id=None) -> Domain:
        """A domain of ``account_id`` (the caller holds ``state.lock``); ValueError on bad input."""
        name = str(name).strip().lower()
        if not name or " " in name:
            raise ValueError("domain must be a host name")
        domain = Domain(account_id=str(account_id), name=name, https=bool(https))
        if certificate_id is not None:
            certificate = self.certificates.find_certificate(self.state, domain.account_id, certificate_id)
            if certificate is None:
                raise ValueError(f"certificate_id {certificate_id} is not a CAS certificate of account {account_id}")
            domain.cert_type, domain.cert_id = "cas", certificate.certificate_id
            domain.cert_region = self.certificates.cert_region(self.state)
            domain.cert_name = certificate.name
            domain.updated = datetime.datetime.now(datetime.timezone.utc)
        elif domain.https:
            raise ValueError("a domain with https on needs a certificate_id")
        self.domains[name] = domain
        return domain

    def _seed_domain(self, body: dict, control_error) -> dict:
        from .seeds import DEMO_ACCOUNT_ID

        unknown = set(body) - {"domain", "https", "certificate_id", "account_id"}
        if unknown:
            raise control_error(400, f"unknown field(s): {', '.join(sorted(unknown))}")
        if not body.get("domain"):
            raise control_error(400, "missing field(s): domain")
        if not isinstance(body.get("https", False), bool):
            raise control_error(400, "https must be true or false")
        with self.state.lock:
            try:
                domain = self.add_domain(body.get("account_id", DEMO_ACCOUNT_ID), body["domain"],
                                         body.get("https", False), body.get("certificate_id"))
            except ValueError as error:
                raise control_error(400, str(error)) from None
            return {"ok": True, "domain": self._domain_view(domain)}

    def _domain_view(self, domain: Domain) -> dict:
        return {"account_id": domain.account_id, "domain": domain.name, "https": domain.https,
                "cert_type": domain.cert_type, "certificate_id": domain.cert_id, "cert_region": domain.cert_region,
                "cert_name": domain.cert_name, "updated": _stamp(domain.updated)}

    # --- actions ----------------------------------------------------------------------------
    def _domain(self, caller, params: dict) -> Domain:
        (name,) = require(params, "DomainName")
        domain = self.domains.get(name.strip().lower())
        if domain is None or domain.account_id != caller.account_id:
            raise domain_not_found()
        return domain

    def describe(self, caller, params: dict) -> dict:
        with self.state.lock:
            domain = self._domain(caller, params)
            return {"CertInfos": {"CertInfo": [self._cert_info(domain)]}}

    def _cert_info(self, domain: Domain) -> dict:
        """One CertInfo. UNCONFIRMED: a domain that never had a certificate reports only its
        name and HTTPS off; one switched off keeps showing its last certificate."""
        info = {"DomainName": domain.name, self.status_field: "on" if domain.https else "off"}
        pem = None
        if domain.cert_type == "cas":
            certificate = self.certificates.find_certificate(self.state, domain.account_id, domain.cert_id)
            pem = certificate.certificate_pem if certificate else None
            info.update({"CertType": "cas", "CertId": str(domain.cert_id), "CertRegion": domain.cert_region,
                         "CertName": certificate.name if certificate else (domain.cert_name or "")})
        elif domain.cert_type == "upload":
            pem = domain.upload_pem
            info.update({"CertType": "upload", "CertName": domain.cert_name or ""})
        if pem is None:
            return info
        leaf = x509.load_pem_x509_certificate(pem.encode())
        common_names = leaf.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        organisations = leaf.issuer.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)
        months = round((leaf.not_valid_after_utc - leaf.not_valid_before_utc).days / 30)
        info.update({
            "CertDomainName": str(common_names[0].value) if common_names else "",
            "CertExpireTime": _stamp(leaf.not_valid_after_utc),
            "CertLife": f"{months} months",
            "CertOrg": str(organisations[0].value) if organisations else "",
            "Status": "success",
            self.pem_field: leaf.public_bytes(serialization.Encoding.PEM).decode(),
        })
        if self.with_times:
            info["CertStartTime"] = _stamp(leaf.not_valid_before_utc)
            info["CertUpdateTime"] = _stamp(domain.updated)
        return info

    def set_certificate(self, caller, params: dict) -> dict:
        (protocol,) = require(params, "SSLProtocol")
        if protocol not in ("on", "off"):
            # DCDN error-code page: Abs.sslProtocol.ValueNotSupported; assumed for CDN too.
            raise ApiError(400, "Abs.sslProtocol.ValueNotSupported", "The specified SSLProtocol is invalid.")
        with self.state.lock:
            domain = self._domain(caller, params)
            if protocol == "off":
                # Switching off keeps the certificate (UNCONFIRMED); the edge stops serving it.
                domain.https = False
                domain.updated = datetime.datetime.now(datetime.timezone.utc)
                return {}
            cert_type = params.get("CertType", "")
            if cert_type == "":
                cert_type = "cas" if params.get("CertId") else ("upload" if params.get("SSLPub") else "")
            if cert_type == "":
                if domain.cert_type is None:
                    raise missing_parameter("CertType")
                domain.https = True  # on again with the certificate it had (UNCONFIRMED)
            elif cert_type == "cas":
                self._set_cas(caller, domain, params)
            elif cert_type == "upload":
                self._set_upload(domain, params)
            else:
                raise invalid_parameter("CertType", "Valid values: cas, upload.")
            domain.updated = datetime.datetime.now(datetime.timezone.utc)
            return {}

    def _set_cas(self, caller, domain: Domain, params: dict) -> None:
        (raw_id,) = require(params, "CertId")
        region = params.get("CertRegion") or "cn-hangzhou"  # the SDK docstring's default
        if region not in CERT_REGIONS:
            raise ApiError(400, "Abs.CertRegion.ValueNotSupported", "CertRegion is not supported.")
        try:
            cert_id = int(raw_id)
        except ValueError:
            raise invalid_parameter("CertId", "It must be an integer.") from None
        certificate = self.certificates.find_certificate(self.state, caller.account_id, cert_id)
        # A CAS id of another account, or asked for in the other site's region, is not found
        # there. UNCONFIRMED: the code and status (none is documented for this case).
        if certificate is None or region != self.certificates.cert_region(self.state):
            raise ApiError(404, "InvalidCertificate.NotFound",
                           f"The certificate {raw_id} does not exist in region {region}, or it does not belong to you.")
        self._check_covers(certificate.names, domain.name)
        domain.https, domain.cert_type, domain.cert_id, domain.cert_region = True, "cas", cert_id, region
        domain.cert_name = certificate.name
        domain.upload_pem = domain.upload_key = None

    def _set_upload(self, domain: Domain, params: dict) -> None:
        pem, key_pem = params.get("SSLPub", ""), params.get("SSLPri", "")
        # Terraform PR #8459 saw SSLPri.MissingParameter; the SSLPub twin is assumed.
        if not pem:
            raise ApiError(400, "SSLPub.MissingParameter", "The SSLPub parameter is required.")
        if not key_pem:
            raise ApiError(400, "SSLPri.MissingParameter", "The SSLPri parameter is required.")
        try:
            leaf = x509.load_pem_x509_certificate(pem.encode())
            key = serialization.load_pem_private_key(key_pem.encode(), password=None)
        except ValueError:
            raise invalid_parameter("SSLPub", "The certificate or the private key is not valid PEM.") from None
        if key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) \
                != leaf.public_key().public_bytes(serialization.Encoding.DER,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo):
            raise invalid_parameter("SSLPri", "The private key does not match the certificate.")
        try:
            sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            names = [name.lower() for name in sans.get_values_for_type(x509.DNSName)]
        except x509.ExtensionNotFound:
            names = []
        self._check_covers(names, domain.name)
        domain.https, domain.cert_type, domain.cert_id, domain.cert_region = True, "upload", None, None
        domain.cert_name = params.get("CertName") or f"upload-{domain.name}"
        domain.upload_pem, domain.upload_key = pem, key_pem

    def _check_covers(self, names: list[str], domain: str) -> None:
        # UNCONFIRMED (switch mismatch_refused): whether the product refuses a certificate whose
        # names do not cover the domain. Code and message are this emulator's choice.
        if self.settings["mismatch_refused"] and not _covers(names, domain):
            raise ApiError(400, "Certificate.DomainMismatch",
                           f"The certificate does not match the domain {domain}.")


class CdnService(DomainCertificateService):
    name = "cdn"
    version = "2018-05-10"
    host_id = "cdn.aliyuncs.com"
    product = "Cdn"
    describe_action = "DescribeDomainCertificateInfo"
    set_action = "SetCdnDomainSSLCertificate"
    status_field = "ServerCertificateStatus"
    pem_field = "ServerCertificate"
    with_times = True
    # API pages: DescribeDomainCertificateInfo 100/s, SetCdnDomainSSLCertificate 30/s per account.
    qps_limits = {"DescribeDomainCertificateInfo": 100, "SetCdnDomainSSLCertificate": 30}


class DcdnService(DomainCertificateService):
    name = "dcdn"
    version = "2018-01-15"
    host_id = "dcdn.aliyuncs.com"
    product = "dcdn"
    describe_action = "DescribeDcdnDomainCertificateInfo"
    set_action = "SetDcdnDomainSSLCertificate"
    status_field = "SSLProtocol"
    pem_field = "SSLPub"
    # DescribeDcdnDomainCertificateInfo: 100/s (API page). SetDcdnDomainSSLCertificate: 30/s
    # assumed like CDN's (UNCONFIRMED).
    qps_limits = {"DescribeDcdnDomainCertificateInfo": 100, "SetDcdnDomainSSLCertificate": 30}


PRODUCT_CLASSES.append(CdnService)
PRODUCT_CLASSES.append(DcdnService)
