"""CAS ``2020-04-07``, the V2.0 flow: subscription instances, applications on them, contacts.

An instance is bought elsewhere (BSS ``CreateInstance`` or the console), so here it is
seeded (control API ``POST instances``, seed ``v2``). Its life, as in the reference's
state diagram: ``inactive`` --UpdateInstance/ApplyCertificate--> ``pending`` (validation
records visible after ``instance_validation_delay``) --records published, CA review-->
``normal`` with ``CertificateStatus=issued``. Time moves on lazily when an instance is read.
Behaviour the reference marks UNCONFIRMED is chosen by settings (see README, "CAS V2.0
instances").
"""

import dataclasses
import datetime
import json
import re
import secrets
import string
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from . import ca as ca_module
from . import certificates, domains
from .errors import ApiError, indexed_tags, int_param, invalid_parameter, require
from .state import Caller, State

DNS_LABEL = "_dnsauth"
# The lists that setting list_lag makes trail writes (as ListUserCertificateOrder in cas.py).
INSTANCE_LIST = "ListInstances"
CONTACT_LIST = "ListContact"
FILE_URI = "/.well-known/pki-validation/fileauth.txt"
INSTANCE_TYPES = ("BUY", "TEST")
KEY_ALGORITHMS = ("RSA_2048", "RSA_3072", "RSA_4096", "ECC_256")
EXPIRY_WARNING_SECONDS = 30 * 86400
MAX_SHOW_SIZE = 100
DAY = 86400
_ALNUM = string.ascii_lowercase + string.digits
_MOBILE = re.compile(r"^\+?[0-9]{6,20}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
# Specs a seed can name; the Spec strings are the reference's hints (GetInstanceDetail
# example ``ss.dv.t``, BSS ``ws.dv.f``), not a documented catalogue.
SPECS = {
    ("TEST", "single"): ("ss.dv.t", "DigiCert", 1, 0),
    ("TEST", "wildcard"): ("ss.dv.w", "DigiCert", 0, 1),
    ("BUY", "single"): ("ws.dv.f", "WoSign", 1, 0),
    ("BUY", "wildcard"): ("ws.dv.w", "WoSign", 0, 1),
}


@dataclasses.dataclass
class Validation:
    domain: str
    root_domain: str
    validation_type: str  # TXT or HTTP
    key: str  # host record relative to root_domain, or the file path for HTTP
    value: str


@dataclasses.dataclass
class Instance:
    instance_id: str
    account_id: str
    instance_type: str
    spec: str
    brand: str
    full_domain_count: int
    wildcard_domain_count: int
    start: float  # epoch seconds; rendered per the instance_time_unit setting
    end: float
    status: str = "inactive"  # stored status; willExpire/expired are derived from the dates
    update_protection: int = 0  # how many more UpdateInstance calls answer UpdateProtection
    domains: list[str] = dataclasses.field(default_factory=list)
    csr_pem: str | None = None
    csr_public_key: object | None = None
    generate_csr_method: str = "online"
    key_algorithm: str = "RSA_2048"
    validation_method: str = "DNS"
    contact_ids: list[int] = dataclasses.field(default_factory=list)
    certificate_name: str = ""
    auto_reissue: str = "disable"
    tags: list[dict] = dataclasses.field(default_factory=list)
    applied_at: float | None = None
    validated_at: float | None = None
    cancel_requested_at: float | None = None
    validations: list[Validation] = dataclasses.field(default_factory=list)
    certificate_id: int | None = None
    certificate_revoked: bool = False


@dataclasses.dataclass
class InstanceCertificate:
    """A certificate issued on an instance, as GetUserCertificateDetail serves it."""

    certificate_id: int
    account_id: str
    instance_id: str
    name: str
    domains: list[str]
    leaf: x509.Certificate
    certificate_pem: str  # leaf + intermediate
    private_key_pem: str | None  # None when the CSR was uploaded
    algorithm: str


@dataclasses.dataclass
class Contact:
    contact_id: int
    account_id: str
    name: str
    mobile: str
    email: str
    webhooks: str


def parse_time(value, default: float) -> float:
    """Control API times: epoch seconds, or ISO 8601; absent means ``default``."""
    if value in (None, ""):
        return default
    if isinstance(value, (int, float)):
        return float(value)
    return datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def mask_mobile(mobile: str) -> str:
    """``13800000078`` -> ``138******78``: ListContact masks phone numbers (reference 3.12)."""
    if len(mobile) <= 5:
        return "*" * len(mobile)
    return mobile[:3] + "*" * (len(mobile) - 5) + mobile[-2:]


def mask_email(email: str) -> str:
    """``ops@example.com`` -> ``o**@example.com`` (the masking pattern for e-mail is a guess)."""
    local, _at, host = email.partition("@")
    return local[:1] + "*" * max(len(local) - 1, 2) + "@" + host


def _token() -> str:
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
    return stamp + "".join(secrets.choice(_ALNUM) for _position in range(40))


def not_found(what: str = "instance") -> ApiError:
    # UNCONFIRMED: the HTTP status; Terraform treats NotFound and any 404 alike.
    return ApiError(404, "NotFound", f"The {what} does not exist.")


def status_not_supported(detail: str) -> ApiError:
    return ApiError(400, "OperationDenied.StatusNotSupport",
                    f"The current status of the instance does not support this operation. {detail}".strip())


class InstanceService:
    """The V2.0 actions; ``register`` adds them to the CAS service's action table."""

    def __init__(self, state: State, issuing_ca: ca_module.IssuingCA) -> None:
        self.state = state
        self.ca = issuing_ca
        self._v1_user_certificate_detail = None
        self.actions = {
            "ListInstances": self.list_instances,
            "GetInstanceDetail": self.get_instance_detail,
            "UpdateInstance": self.update_instance,
            "ApplyCertificate": self.apply_certificate,
            "CancelPendingCertificate": self.cancel_pending_certificate,
            "ListContact": self.list_contact,
            "CreateContact": self.create_contact,
            "GetInstanceSummary": self.get_instance_summary,
            "GetUserCertificateDetail": self.get_user_certificate_detail,
        }

    def register(self, actions: dict) -> None:
        """Add the V2.0 actions; an existing (V1.0) GetUserCertificateDetail keeps serving its own ids."""
        self._v1_user_certificate_detail = actions.get("GetUserCertificateDetail")
        actions.update(self.actions)

    # --- seeding (control API and seeds) ------------------------------------------------------
    def add_instance(self, account_id: str, instance_type: str = "TEST", spec: str = "single",
                     start=None, end=None, status: str = "inactive", update_protection: int = 0,
                     full_domain_count: int | None = None, wildcard_domain_count: int | None = None,
                     instance_id: str | None = None) -> Instance:
        if (instance_type, spec) not in SPECS:
            raise ValueError(f"instance_type must be one of {INSTANCE_TYPES} and spec 'single' or 'wildcard'")
        if status not in ("inactive", "refund", "closed"):
            raise ValueError("a seeded instance starts inactive (or refund/closed)")
        spec_code, brand, full_count, wildcard_count = SPECS[(instance_type, spec)]
        now = time.time()
        begin = parse_time(start, now)
        # Test certificates are sold as 6-month subscriptions, paid ones yearly (reference 6).
        finish = parse_time(end, begin + (180 if instance_type == "TEST" else 365) * DAY)
        with self.state.lock:
            self.state.add_account(account_id)
            number = next(self.state.instance_ids)
            instance = Instance(
                instance_id=instance_id or f"cas-cn-emu{number:09d}", account_id=account_id,
                instance_type=instance_type, spec=spec_code, brand=brand,
                full_domain_count=full_count if full_domain_count is None else int(full_domain_count),
                wildcard_domain_count=wildcard_count if wildcard_domain_count is None else int(wildcard_domain_count),
                start=begin, end=finish, status=status, update_protection=int(update_protection))
            if instance.instance_id in self.state.instances:
                raise ValueError(f"instance {instance.instance_id} exists already")
            self.state.record_list_change(account_id, INSTANCE_LIST, instance.instance_id, None)
            self.state.instances[instance.instance_id] = instance
            return instance

    def _changing(self, instance: Instance) -> None:
        """Call before a change of what ListInstances shows, so that a lagging list can show the old entry."""
        self.state.record_list_change(instance.account_id, INSTANCE_LIST, instance.instance_id,
                                      self.list_item(instance))

    def force_state(self, instance: Instance, status: str | None = None, revoked: bool | None = None,
                    end=None) -> None:
        """Control API: what only the console, the CA or time can do (refund, close, revoke, expire)."""
        self._changing(instance)
        if status is not None:
            if status not in ("inactive", "normal", "refund", "closed"):
                raise ValueError("status must be inactive, normal, refund or closed")
            instance.status = status
            instance.validations = []
            instance.applied_at = instance.validated_at = instance.cancel_requested_at = None
        if revoked is not None:
            if instance.certificate_id is None:
                raise ValueError("the instance has no certificate to revoke")
            instance.certificate_revoked = bool(revoked)
        if end is not None:
            instance.end = parse_time(end, instance.end)

    # --- time ---------------------------------------------------------------------------------
    def stamp(self, seconds: float | None) -> int | None:
        """A time as the API renders it: milliseconds or seconds per ``instance_time_unit``."""
        if seconds is None:
            return None
        if self.state.settings.instance_time_unit == "s":
            return int(seconds)
        return int(seconds * 1000)

    def advance(self, instance: Instance) -> None:
        """What the CA has done since the last look: withdrawal, validation, issuance."""
        settings = self.state.settings
        now = time.time()
        if instance.status != "pending":
            return
        if instance.cancel_requested_at is not None:
            if now >= instance.cancel_requested_at + settings.instance_cancel_delay:
                self._changing(instance)
                instance.status = settings.instance_cancel_status
                instance.validations = []
                instance.applied_at = instance.validated_at = instance.cancel_requested_at = None
            return
        if instance.validated_at is None and self.validations_visible(instance) and all(
                self._passes(instance, item) for item in instance.validations):
            instance.validated_at = now
        if instance.validated_at is not None and now >= instance.validated_at + settings.issue_delay:
            self.issue(instance)

    def validations_visible(self, instance: Instance) -> bool:
        """DomainValidationList appears only a few seconds after ApplyCertificate (reference 2)."""
        return (instance.status == "pending" and instance.applied_at is not None
                and instance.validated_at is None
                and time.time() >= instance.applied_at + self.state.settings.instance_validation_delay)

    def _passes(self, instance: Instance, item: Validation) -> bool:
        if item.validation_type == "HTTP":
            return item.value in self.state.served_file_contents(domains.strip_wildcard(item.domain), FILE_URI)
        # As Terraform publishes it: an Alidns record in zone RootDomain with RR ValidationKey.
        fqdn = item.root_domain if item.key == "@" else f"{item.key}.{item.root_domain}"
        return item.value in self.state.public_txt_values(fqdn)

    def issue(self, instance: Instance) -> None:
        self._changing(instance)
        if instance.csr_public_key is not None:
            private_key, public_key, algorithm = None, instance.csr_public_key, _algorithm(instance.csr_public_key)
        else:
            private_key = _generate_key(instance.key_algorithm)
            public_key, algorithm = private_key.public_key(), _algorithm(private_key.public_key())
        not_before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        not_after = not_before + self.state.settings.validity()
        leaf = self.ca.issue(public_key, instance.domains[0], not_before, not_after,
                             extra_names=instance.domains[1:])
        certificate = InstanceCertificate(
            certificate_id=next(self.state.cert_ids), account_id=instance.account_id,
            instance_id=instance.instance_id, name=instance.certificate_name or f"cert-{instance.domains[0]}",
            domains=list(instance.domains), leaf=leaf,
            certificate_pem=ca_module.cert_pem(leaf) + self.ca.intermediate_pem,
            private_key_pem=ca_module.private_key_pem(private_key) if private_key is not None else None,
            algorithm=algorithm)
        self.state.instance_certificates[certificate.certificate_id] = certificate
        instance.certificate_id = certificate.certificate_id
        instance.certificate_revoked = False
        instance.status = "normal"
        instance.validations = []
        instance.applied_at = instance.validated_at = None

    def effective_status(self, instance: Instance) -> str:
        now = time.time()
        if instance.status in ("inactive", "normal") and now >= instance.end:
            return "expired"
        if instance.status == "normal" and instance.end - now <= EXPIRY_WARNING_SECONDS:
            return "willExpire"
        return instance.status

    def certificate_status(self, instance: Instance) -> str:
        certificate = self.state.instance_certificates.get(instance.certificate_id)
        if certificate is None:
            return ""
        if instance.certificate_revoked:
            return "revoked"
        left = _not_after(certificate.leaf).timestamp() - time.time()
        if left <= 0:
            return "expired"
        return "willExpire" if left <= EXPIRY_WARNING_SECONDS else "issued"

    # --- views --------------------------------------------------------------------------------
    def _summary_fields(self, instance: Instance) -> dict:
        """The fields ListInstances and GetInstanceDetail share, typed as the SDK models."""
        certificate = self.state.instance_certificates.get(instance.certificate_id)
        view = {
            "InstanceId": instance.instance_id, "InstanceType": instance.instance_type,
            "Status": self.effective_status(instance), "Spec": instance.spec, "Brand": instance.brand,
            "CertificateType": "DV", "VersionType": "basic", "Domain": ",".join(instance.domains),
            "KeyAlgorithm": instance.key_algorithm, "CertificateName": instance.certificate_name,
            "AutoReissue": instance.auto_reissue, "FullDomainCount": instance.full_domain_count,
            "WildcardDomainCount": instance.wildcard_domain_count, "ResourceGroupId": "rg-emulator-default",
            "InstanceStartTime": self.stamp(instance.start), "InstanceEndTime": self.stamp(instance.end),
            "OrderStartTime": self.stamp(instance.start), "OrderEndTime": self.stamp(instance.end),
            "PendingResult": "pending" if instance.status == "pending" else "",
            "CertificateStatus": self.certificate_status(instance),
        }
        if certificate is not None:
            view.update(
                CertificateId=certificate.certificate_id,
                CertIdentifier=f"{certificate.certificate_id}-{certificates.cert_region(self.state)}",
                CertificateNotBefore=self.stamp(_not_before(certificate.leaf).timestamp()),
                CertificateNotAfter=self.stamp(_not_after(certificate.leaf).timestamp()))
        return view

    def detail_view(self, instance: Instance) -> dict:
        view = self._summary_fields(instance)
        view.update(
            UpgradeStatus="none", GenerateCsrMethod=instance.generate_csr_method,
            ValidationMethod=instance.validation_method, ContactIdList=list(instance.contact_ids),
            CountryCode="CN", Province="Beijing", City="Beijing",
            AutoReissueFlag=1 if instance.auto_reissue == "enable" else 0, AverageWaitingTime="300",
            Tags=[dict(tag) for tag in instance.tags])
        if instance.csr_pem:
            view["Csr"] = instance.csr_pem
        if self.validations_visible(instance):
            view["DomainValidationList"] = [
                {"Domain": item.domain, "RootDomain": item.root_domain, "ValidationType": item.validation_type,
                 "ValidationKey": item.key, "ValidationValue": item.value, "Cname": "", "CnameKey": ""}
                for item in instance.validations]
        return view

    def list_item(self, instance: Instance) -> dict:
        view = self._summary_fields(instance)
        view["CertificateDomain"] = view["Domain"] if instance.certificate_id is not None else ""
        view["UsingProductList"] = []
        return view

    def control_view(self, instance: Instance) -> dict:
        """``GET state``: everything, including what the API only shows after the delay."""
        return {
            "instance_id": instance.instance_id, "account_id": instance.account_id,
            "instance_type": instance.instance_type, "spec": instance.spec,
            "status": self.effective_status(instance), "certificate_status": self.certificate_status(instance),
            "start": instance.start, "end": instance.end, "domains": list(instance.domains),
            "key_algorithm": instance.key_algorithm, "validation_method": instance.validation_method,
            "generate_csr_method": instance.generate_csr_method, "contact_ids": list(instance.contact_ids),
            "full_domain_count": instance.full_domain_count,
            "wildcard_domain_count": instance.wildcard_domain_count,
            "update_protection": instance.update_protection, "applied_at": instance.applied_at,
            "cancel_requested_at": instance.cancel_requested_at, "certificate_id": instance.certificate_id,
            "validations": [dataclasses.asdict(item) for item in instance.validations],
        }

    # --- instance actions ---------------------------------------------------------------------
    def _own_instance(self, caller: Caller, params: dict) -> Instance:
        (instance_id,) = require(params, "InstanceId")
        instance = self.state.instances.get(instance_id)
        if instance is None or instance.account_id != caller.account_id:
            raise not_found()
        self.advance(instance)
        return instance

    def list_instances(self, caller: Caller, params: dict) -> dict:
        current_page = int_param(params, "CurrentPage", 1, 1)
        show_size = self.state.served_page_size(int_param(params, "ShowSize", 10, 1, MAX_SHOW_SIZE))
        keyword = params.get("Keyword", "").lower()
        filters = {name: params.get(name, "") for name in
                   ("Status", "InstanceType", "CertificateStatus", "CertificateType", "Brand")}
        with self.state.lock:
            mine = [i for i in self.state.instances.values() if i.account_id == caller.account_id]
            for instance in mine:
                self.advance(instance)
            current = {instance.instance_id: self.list_item(instance) for instance in mine}
            shown = self.state.lagging_view(caller.account_id, INSTANCE_LIST, current)
            items = []
            for item in sorted(shown.values(), key=lambda i: (i["InstanceStartTime"], i["InstanceId"]), reverse=True):
                if keyword and not any(keyword in str(item[field]).lower()
                                       for field in ("Domain", "InstanceId", "CertificateName")):
                    continue
                if any(value and item[name] != value for name, value in filters.items()):
                    continue
                items.append(item)
            start = (current_page - 1) * show_size
            enabled = sum(1 for item in items if item["AutoReissue"] == "enable")
            return {"InstanceList": items[start:start + show_size], "TotalCount": len(items),
                    "CurrentPage": current_page, "ShowSize": show_size,
                    "EnableReissueCount": enabled, "DisableReissueCount": len(items) - enabled}

    def get_instance_detail(self, caller: Caller, params: dict) -> dict:
        with self.state.lock:
            return self.detail_view(self._own_instance(caller, params))

    def update_instance(self, caller: Caller, params: dict) -> dict:
        csr = None
        if params.get("Csr"):
            csr = _load_csr(params["Csr"])
        with self.state.lock:
            instance = self._own_instance(caller, params)
            if instance.update_protection > 0:
                instance.update_protection -= 1
                raise ApiError(400, "InvalidStatus.UpdateProtection",
                               "The instance is protected against updates for now. Try again later.")
            if instance.status != "inactive":
                # UNCONFIRMED: the code of this refusal (README); the reference only says it is refused.
                raise status_not_supported("Only an inactive instance can be updated.")
            changes = self._checked_update(caller, instance, params, csr)
            self._changing(instance)
            for name, value in changes.items():
                setattr(instance, name, value)
            return {}

    def _checked_update(self, caller: Caller, instance: Instance, params: dict, csr) -> dict:
        """The fields an UpdateInstance call changes, all checked before anything is stored."""
        changes = {}
        method = params.get("GenerateCsrMethod") or instance.generate_csr_method
        if method not in ("online", "upload"):
            raise invalid_parameter("GenerateCsrMethod", "Valid values: online, upload.")
        names = None
        if params.get("Domain"):
            names = [name.strip().lower() for name in params["Domain"].split(",") if name.strip()]
        if method == "upload":
            if csr is None and instance.csr_pem is None:
                raise invalid_parameter("Csr", "GenerateCsrMethod=upload needs a Csr.")
            if csr is not None:
                csr_names = _csr_names(csr)
                if names is not None and csr_names[0] not in names:
                    raise invalid_parameter("Domain", "The Domain contradicts the common name of the Csr.")
                names = names or csr_names
                changes.update(csr_pem=params["Csr"], csr_public_key=csr.public_key())
        else:
            changes.update(csr_pem=None, csr_public_key=None)
        changes["generate_csr_method"] = method
        if names is not None:
            self._check_names(instance, names)
            changes["domains"] = names
        validation_method = params.get("ValidationMethod") or instance.validation_method
        if validation_method not in ("DNS", "HTTP"):
            raise invalid_parameter("ValidationMethod", "Valid values: DNS, HTTP.")
        if validation_method == "HTTP" and any(n.startswith("*.") for n in names or instance.domains):
            raise invalid_parameter("ValidationMethod", "HTTP validation cannot be used for wildcard domains.")
        changes["validation_method"] = validation_method
        if params.get("KeyAlgorithm"):
            if params["KeyAlgorithm"] not in KEY_ALGORITHMS:
                raise invalid_parameter("KeyAlgorithm", f"Valid values: {', '.join(KEY_ALGORITHMS)}.")
            changes["key_algorithm"] = params["KeyAlgorithm"]
        contact_ids = _indexed(params, "ContactIdList")
        if contact_ids:
            try:
                ids = [int(value) for value in contact_ids]
            except ValueError:
                raise invalid_parameter("ContactIdList", "Contact ids are integers.") from None
            for contact_id in ids:
                contact = self.state.contacts.get(contact_id)
                if contact is None or contact.account_id != caller.account_id:
                    raise invalid_parameter("ContactIdList", f"No contact {contact_id} in this account.")
            changes["contact_ids"] = ids
        if params.get("AutoReissue"):
            if params["AutoReissue"] not in ("enable", "disable"):
                raise invalid_parameter("AutoReissue", "Valid values: enable, disable.")
            changes["auto_reissue"] = params["AutoReissue"]
        if "CertificateName" in params:
            changes["certificate_name"] = params["CertificateName"]
        tags = indexed_tags(params, "TagKey", "TagValue")
        if tags:
            changes["tags"] = tags
        return changes

    @staticmethod
    def _check_names(instance: Instance, names: list[str]) -> None:
        for name in names:
            if not domains.is_certificate_domain(name):
                raise invalid_parameter("Domain", f"'{name}' is not a valid domain name.")
        wildcards = [n for n in names if n.startswith("*.")]
        # The bare name of a wildcard comes with it (the first name decides the complimentary one).
        complimentary = {w[2:] for w in wildcards}
        singles = [n for n in names if not n.startswith("*.") and n not in complimentary]
        if len(wildcards) > instance.wildcard_domain_count or len(singles) > instance.full_domain_count:
            raise invalid_parameter(
                "Domain", f"The instance's spec {instance.spec} allows {instance.full_domain_count} single and "
                          f"{instance.wildcard_domain_count} wildcard name(s).")

    def apply_certificate(self, caller: Caller, params: dict) -> dict:
        with self.state.lock:
            replay = self._replayed(caller, "ApplyCertificate", params)
            if replay is not None:
                return replay
            instance = self._own_instance(caller, params)
            if instance.status != "inactive":
                # UNCONFIRMED: no code is documented for an apply on a busy instance (README).
                raise status_not_supported("The instance has an application in progress or is used up.")
            missing = [name for name, empty in (("Domain or Csr", not instance.domains),
                                                ("ContactIdList", not instance.contact_ids)) if empty]
            if missing:
                raise invalid_parameter(
                    missing[0], "The application is incomplete: set it with UpdateInstance before applying.")
            self._changing(instance)
            instance.status = "pending"
            instance.applied_at = time.time()
            instance.validated_at = instance.cancel_requested_at = None
            instance.validations = [self._validation(instance, name) for name in instance.domains
                                    if not _complimentary(name, instance.domains)]
            return self._remember(caller, "ApplyCertificate", params, {})

    @staticmethod
    def _validation(instance: Instance, name: str) -> Validation:
        base = domains.strip_wildcard(name)
        root = domains.registrable_domain(base)
        if instance.validation_method == "HTTP":
            return Validation(name, root, "HTTP", FILE_URI, _token())
        label = DNS_LABEL if base == root else f"{DNS_LABEL}.{domains.relative_name(base, root)}"
        return Validation(name, root, "TXT", label, _token())

    def cancel_pending_certificate(self, caller: Caller, params: dict) -> dict:
        with self.state.lock:
            replay = self._replayed(caller, "CancelPendingCertificate", params)
            if replay is not None:
                return replay
            instance = self._own_instance(caller, params)
            if instance.status != "pending" or instance.cancel_requested_at is not None:
                raise status_not_supported("There is no application to withdraw.")
            if instance.validated_at is None and not self.validations_visible(instance):
                # Observed by Terraform: refused for seconds right after ApplyCertificate.
                raise status_not_supported("The application is still being submitted.")
            instance.cancel_requested_at = time.time()
            return self._remember(caller, "CancelPendingCertificate", params, {})

    def get_instance_summary(self, caller: Caller, params: dict) -> dict:
        instance_type = params.get("InstanceType", "")
        with self.state.lock:
            mine = [i for i in self.state.instances.values() if i.account_id == caller.account_id
                    and (not instance_type or i.instance_type == instance_type)]
            for instance in mine:
                self.advance(instance)
            statuses = [self.effective_status(i) for i in mine]
            inactive = statuses.count("inactive")
            # UNCONFIRMED: "remaining certificate quota"; here the instances that can still apply.
            return {"TotalCount": len(mine), "InactiveCount": inactive,
                    "WillExpireCount": statuses.count("willExpire"), "CertificateCount": inactive,
                    "AutoReissueCount": sum(1 for i in mine if i.auto_reissue == "enable")}

    # --- certificates -------------------------------------------------------------------------
    def get_user_certificate_detail(self, caller: Caller, params: dict) -> dict:
        (raw,) = require(params, "CertId")
        try:
            certificate_id = int(raw)
        except ValueError:
            raise invalid_parameter("CertId", "It must be an integer.") from None
        with self.state.lock:
            certificate = self.state.instance_certificates.get(certificate_id)
            if certificate is None or certificate.account_id != caller.account_id:
                if self._v1_user_certificate_detail is not None:
                    return self._v1_user_certificate_detail(caller, params)
                raise not_found("certificate")
            return self.certificate_view(certificate, params.get("CertFilter", "").lower() == "true")

    def certificate_view(self, certificate: InstanceCertificate, filtered: bool) -> dict:
        leaf = certificate.leaf
        not_before, not_after = _not_before(leaf), _not_after(leaf)
        view = {
            "Id": certificate.certificate_id, "InstanceId": certificate.instance_id, "Name": certificate.name,
            "CertIdentifier": f"{certificate.certificate_id}-{certificates.cert_region(self.state)}",
            "Common": certificate.domains[0], "Sans": ",".join(_sans(leaf)),
            "Issuer": self.ca.intermediate.subject.get_attributes_for_oid(
                x509.NameOID.ORGANIZATION_NAME)[0].value,
            "Algorithm": certificate.algorithm, "BuyInAliyun": True,
            "StartDate": not_before.strftime("%Y-%m-%d"), "EndDate": not_after.strftime("%Y-%m-%d"),
            "NotBefore": self.stamp(not_before.timestamp()), "NotAfter": self.stamp(not_after.timestamp()),
            "Expired": not_after.timestamp() <= time.time(),
            "Fingerprint": leaf.fingerprint(hashes.SHA1()).hex(), "Sha2": leaf.fingerprint(hashes.SHA256()).hex(),
            "CertSha2": leaf.fingerprint(hashes.SHA256()).hex(), "SerialNo": format(leaf.serial_number, "x"),
            "Country": "CN", "Province": "Beijing", "City": "Beijing", "OrgName": "",
            "ResourceGroupId": "rg-emulator-default", "Tags": [],
            "CertChain": [self._chain_item(item) for item in (leaf, self.ca.intermediate)],
        }
        if not filtered:
            view["Cert"] = certificate.certificate_pem
            if certificate.private_key_pem is not None:
                view["Key"] = certificate.private_key_pem
        return view

    def _chain_item(self, certificate: x509.Certificate) -> dict:
        def common_name(name: x509.Name) -> str:
            return str(name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value)
        not_after = _not_after(certificate).timestamp()
        return {"CommonName": common_name(certificate.subject), "IssuerCommonName": common_name(certificate.issuer),
                "NotBefore": self.stamp(_not_before(certificate).timestamp()), "NotAfter": self.stamp(not_after),
                "RemainDay": max(0, int((not_after - time.time()) // DAY))}

    # --- contacts -----------------------------------------------------------------------------
    def list_contact(self, caller: Caller, params: dict) -> dict:
        current_page = int_param(params, "CurrentPage", 1, 1)
        show_size = self.state.served_page_size(int_param(params, "ShowSize", 20, 1, MAX_SHOW_SIZE))
        keyword = params.get("Keyword", "")
        with self.state.lock:
            current = {c.contact_id: c for c in self.state.contacts.values() if c.account_id == caller.account_id}
            shown = self.state.lagging_view(caller.account_id, CONTACT_LIST, current)
            mine = [shown[contact_id] for contact_id in sorted(shown)
                    if not keyword or keyword.lower() in shown[contact_id].name.lower()]
            start = (current_page - 1) * show_size
            items = [{"ContactId": c.contact_id, "Name": c.name, "Mobile": mask_mobile(c.mobile),
                      "MobileStatus": 1, "Email": mask_email(c.email), "EmailStatus": 1,
                      "Webhooks": c.webhooks, "WebhookList": json.loads(c.webhooks) if c.webhooks else []}
                     for c in mine[start:start + show_size]]
            result = {"ContactList": items, "TotalCount": len(mine), "CurrentPage": current_page,
                      "ShowSize": show_size}
            if keyword:
                result["Keyword"] = keyword
            return result

    def create_contact(self, caller: Caller, params: dict) -> dict:
        name, mobile = require(params, "Name", "Mobile")
        email = params.get("Email", "")
        webhooks = params.get("Webhooks", "")
        if not _MOBILE.match(mobile):
            raise ApiError(400, "IncorrectFormat.Mobile", "The format of the mobile number is incorrect.")
        if email and not _EMAIL.match(email):
            raise ApiError(400, "IncorrectFormat.Email", "The format of the email address is incorrect.")
        if webhooks:
            try:
                hooks = json.loads(webhooks)
            except ValueError:
                hooks = None
            if not isinstance(hooks, list) or not all(isinstance(h, str) and h.startswith("https://")
                                                      for h in hooks):
                raise ApiError(400, "IncorrectFormat.Webhooks", "Webhooks must be a JSON list of https URLs.")
        with self.state.lock:
            replay = self._replayed(caller, "CreateContact", params)
            if replay is not None:
                return replay
            mine = [c for c in self.state.contacts.values() if c.account_id == caller.account_id]
            if any(c.name == name for c in mine):
                raise ApiError(400, "AlreadyExists.Name", "A contact with this name already exists.")
            if len(mine) >= self.state.settings.contact_limit:
                raise ApiError(400, "LimitExceeded.Contact", "The maximum number of contacts is reached.")
            contact = Contact(next(self.state.contact_ids), caller.account_id, name, mobile, email, webhooks)
            self.state.record_list_change(caller.account_id, CONTACT_LIST, contact.contact_id, None)
            self.state.contacts[contact.contact_id] = contact
            return self._remember(caller, "CreateContact", params, {"ContactId": contact.contact_id})

    # --- ClientToken --------------------------------------------------------------------------
    def _replayed(self, caller: Caller, action: str, params: dict) -> dict | None:
        """The earlier answer to the same ClientToken, when the ``client_token_honoured`` switch is on."""
        token = params.get("ClientToken")
        if not token or not self.state.settings.client_token_honoured:
            return None
        return self.state.client_tokens.get((caller.account_id, action, token))

    def _remember(self, caller: Caller, action: str, params: dict, answer: dict) -> dict:
        if params.get("ClientToken"):
            self.state.client_tokens[(caller.account_id, action, params["ClientToken"])] = dict(answer)
        return answer


def _indexed(params: dict, name: str) -> list[str]:
    """``Name.1``, ``Name.2``, ... as the SDK and our client flatten a list."""
    values = []
    index = 1
    while f"{name}.{index}" in params:
        values.append(params[f"{name}.{index}"])
        index += 1
    return values


def _complimentary(name: str, names: list[str]) -> bool:
    """``example.com`` next to ``*.example.com`` is covered by the wildcard's validation."""
    return f"*.{name}" in names


def _load_csr(pem: str):
    try:
        csr = x509.load_pem_x509_csr(pem.encode())
    except ValueError:
        raise invalid_parameter("Csr", "The CSR is not a valid PEM certificate request.") from None
    if not csr.is_signature_valid:
        raise invalid_parameter("Csr", "The CSR signature is invalid.")
    if not ca_module.csr_public_key_ok(csr.public_key()):
        raise invalid_parameter("Csr", "The CSR key must be RSA (2048 bits or more) or ECC.")
    if not csr.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME):
        raise invalid_parameter("Csr", "The CSR has no common name (CN).")
    return csr


def _csr_names(csr) -> list[str]:
    common_name = str(csr.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value).lower()
    names = [common_name]
    try:
        san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names += [n.lower() for n in san.get_values_for_type(x509.DNSName) if n.lower() != common_name]
    except x509.ExtensionNotFound:
        pass
    return names


def _generate_key(algorithm: str):
    if algorithm == "ECC_256":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=int(algorithm.split("_")[1]))


def _algorithm(public_key) -> str:
    return "ECC" if isinstance(public_key, ec.EllipticCurvePublicKey) else "RSA"


def _sans(leaf: x509.Certificate) -> list[str]:
    return leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName)


def _not_before(leaf: x509.Certificate) -> datetime.datetime:
    value = getattr(leaf, "not_valid_before_utc", None)
    return value if value is not None else leaf.not_valid_before.replace(tzinfo=datetime.timezone.utc)


def _not_after(leaf: x509.Certificate) -> datetime.datetime:
    value = getattr(leaf, "not_valid_after_utc", None)
    return value if value is not None else leaf.not_valid_after.replace(tzinfo=datetime.timezone.utc)
