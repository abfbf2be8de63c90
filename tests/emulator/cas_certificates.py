"""CAS's certificate views over every certificate of an account (orders, V2.0 instances,
uploads): ListCertificates and GetCertificateDetail, as the cas20200407 SDK models shape them
(CertificateId a string in the list and an integer in the detail, NotBefore/NotAfter in
milliseconds, ExistPrivateKey a boolean).

UNCONFIRMED: the willExpire threshold (30 days here), which source an order or instance is
listed under (orders BUY, instances TEST, uploads UPLOAD), and that the CertificateStatus
filter matches the status exactly.
"""

from __future__ import annotations

import datetime

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from . import certificates as certificates_module
from .errors import ApiError, int_param, invalid_parameter, require
from .state import Caller, State

WILL_EXPIRE_DAYS = 30
SOURCES = {"order": "BUY", "instance": "TEST", "upload": "UPLOAD"}


def _ms(moment: datetime.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _status(certificate, now: datetime.datetime) -> str:
    if certificate.not_after <= now:
        return "expired"
    if certificate.not_after - now <= datetime.timedelta(days=WILL_EXPIRE_DAYS):
        return "willExpire"
    return "issued"


def _algorithm(certificate) -> tuple[str, int]:
    key = certificate.leaf.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return ("SM2" if certificate.algorithm == "SM2" else "ECC"), key.key_size
    return certificate.algorithm, 0


def _common_name(certificate) -> str:
    from cryptography import x509

    found = certificate.leaf.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(found[0].value) if found else ""


def _view(certificate, region: str, now: datetime.datetime) -> dict:
    algorithm, key_size = _algorithm(certificate)
    if certificate.algorithm == "SM2":
        algorithm = "SM2"
    leaf = certificate.leaf
    return {
        "Algorithm": algorithm, "KeySize": key_size,
        "CertIdentifier": certificate.identifier(region),
        "CertificateName": certificate.name,
        "CertificateSource": SOURCES.get(certificate.source, "UPLOAD"),
        "CertificateStatus": _status(certificate, now),
        "CommonName": _common_name(certificate),
        "Domain": ",".join(certificate.names),
        "SubjectAlternativeNames": list(certificate.names),
        "ExistPrivateKey": certificate.private_key_pem is not None,
        "FingerPrint": leaf.fingerprint(hashes.SHA1()).hex(),
        "Serial": format(leaf.serial_number, "x"),
        "Issuer": str(leaf.issuer.rfc4514_string()),
        "NotBefore": _ms(certificate.not_before), "NotAfter": _ms(certificate.not_after),
        "UsingProductList": [],
    }


class CasCertificateViews:
    """``register`` adds the actions to the CAS service's action table."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.actions = {"ListCertificates": self.list_certificates, "GetCertificateDetail": self.get_certificate_detail}

    def register(self, actions: dict) -> None:
        actions.update(self.actions)
        # GetUserCertificateDetail answers for every certificate id of the account, uploads
        # included (CAS's API page); the order and instance handlers know only their own, so
        # an uploaded one is answered here and any other id goes on to them.
        self._user_certificate_detail = actions.get("GetUserCertificateDetail")
        actions["GetUserCertificateDetail"] = self.get_user_certificate_detail

    def get_user_certificate_detail(self, caller: Caller, params: dict) -> dict:
        raw = params.get("CertId", "")
        with self.state.lock:
            uploaded = getattr(self.state, "uploaded_certificates", {})
            certificate = uploaded.get(int(raw)) if str(raw).isdigit() else None
            if certificate is None or certificate.account_id != caller.account_id:
                certificate = None
            else:
                region = certificates_module.cert_region(self.state)
        if certificate is None:
            if self._user_certificate_detail is None:
                raise ApiError(404, "NotFound", "The certificate does not exist.")
            return self._user_certificate_detail(caller, params)
        leaf = certificate.leaf
        not_before, not_after = certificate.not_before, certificate.not_after
        detail = {
            "Id": certificate.certificate_id, "Name": certificate.name, "Common": _common_name(certificate),
            "Sans": ",".join(certificate.names), "Issuer": str(leaf.issuer.rfc4514_string()),
            "CertIdentifier": certificate.identifier(region),
            "StartDate": not_before.strftime("%Y-%m-%d"), "EndDate": not_after.strftime("%Y-%m-%d"),
            "NotBefore": _ms(not_before), "NotAfter": _ms(not_after),
            "Expired": not_after <= datetime.datetime.now(datetime.timezone.utc), "BuyInAliyun": False,
            "Algorithm": _algorithm(certificate)[0] if certificate.algorithm != "SM2" else "SM2",
            "Fingerprint": leaf.fingerprint(hashes.SHA1()).hex(), "CertSha2": leaf.fingerprint(hashes.SHA256()).hex(),
            "SerialNo": format(leaf.serial_number, "x"),
        }
        if params.get("CertFilter", "").lower() != "true":
            detail["Cert"] = certificate.certificate_pem
            if certificate.private_key_pem is not None:
                detail["Key"] = certificate.private_key_pem
        return detail

    def list_certificates(self, caller: Caller, params: dict) -> dict:
        page = int_param(params, "CurrentPage", 1, minimum=1)
        size = int_param(params, "ShowSize", 10, minimum=1, maximum=100)
        status, source = params.get("CertificateStatus", ""), params.get("CertificateSource", "")
        keyword = params.get("Keyword", "").lower()
        now = datetime.datetime.now(datetime.timezone.utc)
        with self.state.lock:
            region = certificates_module.cert_region(self.state)
            views = [(c.certificate_id, _view(c, region, now))
                     for c in certificates_module.all_certificates(self.state, caller.account_id)]
        views.sort(key=lambda entry: -entry[0])  # newest id first
        selected = [view for certificate_id, view in views
                    if (not status or view["CertificateStatus"] == status)
                    and (not source or view["CertificateSource"] == source)
                    and (not keyword or keyword in view["Domain"] or keyword in view["CertificateName"].lower()
                         or keyword == str(certificate_id))]
        for certificate_id, view in views:
            view["CertificateId"] = str(certificate_id)
        start = (page - 1) * size
        return {"CertificateList": selected[start:start + size], "CurrentPage": page, "ShowSize": size,
                "TotalCount": len(selected)}

    def get_certificate_detail(self, caller: Caller, params: dict) -> dict:
        (raw,) = require(params, "CertificateId")
        try:
            wanted = int(raw)
        except ValueError:
            raise invalid_parameter("CertificateId", "It must be an integer.") from None
        now = datetime.datetime.now(datetime.timezone.utc)
        with self.state.lock:
            certificate = certificates_module.find_certificate(self.state, caller.account_id, wanted)
            region = certificates_module.cert_region(self.state)
            if certificate is None:
                raise ApiError(404, "NotFound", "The certificate does not exist.")
            detail = _view(certificate, region, now)
        detail["CertificateId"] = wanted
        return detail
