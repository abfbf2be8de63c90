# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""The logic of alicloud.cas.certificate_request, kept apart from AnsibleModule so it can be
tested with fake clients.

One request serves both CAS flows: a V1.0 order on resource-package quota (``_cas``) and a
V2.0 application on a subscription instance (``_cas_instances``). This module decides which
one exists or is to be spent; the clients keep the two APIs apart.
"""

from __future__ import annotations

import datetime
import time

from ansible_collections.alicloud.cas.plugins.module_utils import _x509
from ansible_collections.alicloud.cas.plugins.module_utils._cas import (
    DELETABLE_STATES,
    IN_PROGRESS_STATES,
    LIST_FINAL,
    LIST_ISSUED,
    STATUS_MEANINGS,
    certificate_ids,
    normalize_order,
    normalize_state,
    split_chain,
    validate_type_of,
)
from ansible_collections.alicloud.cas.plugins.module_utils._cas_instances import (
    CasInstancesClient,
    matching_contact_id,
    new_client_token,
    normalize_instance,
)
from ansible_collections.alicloud.cas.plugins.module_utils._errors import (
    AlibabaCloudError,
    AlicloudCasError,
    ConfigurationError,
    PartialResultError,
)
from ansible_collections.alicloud.cas.plugins.module_utils._certificate_request_ledger import Ledger, ledger_identity
from ansible_collections.alicloud.cas.plugins.module_utils._validation import (
    DEFAULT_PRODUCT_CODE,
    RenewalWindowError,
    check_csr,
    check_email,
    check_phone,
    check_product_code,
    check_renewal_window,
    check_validate_type,
    is_wildcard,
    normalize_domain,
)

CONTACT_OPTIONS = ("username", "email", "phone")
SOURCES = ("auto", "package", "instance")
INSTANCE_TYPES = ("TEST", "BUY")
KEY_ALGORITHMS = ("RSA_2048", "RSA_3072", "RSA_4096", "ECC_256")
DEFAULT_KEY_ALGORITHM = "RSA_2048"
# validate_type keeps the V1.0 names; UpdateInstance calls file validation HTTP.
VALIDATION_METHODS = {"DNS": "DNS", "FILE": "HTTP"}
# Bounds of the waits inside one run: the records appear seconds after ApplyCertificate, a
# withdrawal takes effect minutes after CancelPendingCertificate (reference §2, §3.6).
VALIDATIONS_WAIT_SECONDS = 30
WITHDRAWAL_WAIT_SECONDS = 120
PENDING_PHASES = ("validating", "reviewing")
# How CAS refuses a V1.0 create for want of quota; the refused create spends nothing.
QUOTA_REFUSALS = ("NotRemainCount", "NotFoundPackage")


def _names(params):
    """The certificate's names from ``domain`` or ``domains``, normalised, duplicates dropped.

    With ``order_id`` (state=absent) the order is named by its id, and ``domain`` is optional.
    """
    domain, domains = params.get("domain"), params.get("domains")
    if params.get("order_id") is not None and domain is None and domains is None:
        return []
    if (domain is None) == (domains is None):
        raise ConfigurationError("Give exactly one of domain (one name) and domains (a list of names).", "domain")
    if domains is None:
        return [normalize_domain(domain)]
    if not domains:
        raise ConfigurationError("domains must list at least one name.", "domains")
    names = []
    for value in domains:
        name = normalize_domain(value, option="domains")
        if name not in names:
            names.append(name)
    return names


def _check_source(params, names, product_code, csr):
    """source, instance_id, instance_type and key_algorithm, checked against each other."""
    source = params.get("source") or "auto"
    instance_id = params.get("instance_id") or None
    if instance_id is not None:
        if source == "package":
            raise ConfigurationError(
                "instance_id names a V2.0 instance, but source is package (a V1.0 order). Drop one of them.",
                "instance_id")
        source = "instance"
    if source == "package" and len(names) > 1:
        raise ConfigurationError(
            "domains lists %d names, but a V1.0 order (source=package) holds one name. Request them one by one,"
            " or use source=instance (or auto) for a multi-domain certificate on a V2.0 instance." % len(names),
            "domains")
    if source == "instance" and product_code is not None:
        raise ConfigurationError(
            "product_code picks a V1.0 plan and does not apply to source=instance: remove it.", "product_code")
    key_algorithm = params.get("key_algorithm") or DEFAULT_KEY_ALGORITHM
    if csr and key_algorithm != DEFAULT_KEY_ALGORITHM:
        raise ConfigurationError(
            "key_algorithm %s applies to a key CAS generates; with csr the key is the CSR's own. Remove one of"
            " them." % key_algorithm, "key_algorithm")
    if source == "package" and key_algorithm != DEFAULT_KEY_ALGORITHM:
        raise ConfigurationError(
            "key_algorithm %s is a V2.0 setting: a V1.0 order (source=package) takes none. Use source=instance"
            " or auto, or remove key_algorithm." % key_algorithm, "key_algorithm")
    return {"source": source, "instance_id": instance_id,
            "instance_type": params.get("instance_type") or "TEST", "key_algorithm": key_algorithm}


def check_options(params):
    """The options validated and normalised, before any API call.

    Contact fields are checked for format here when given; whether they are needed at
    all is only known once the existing orders and instances have been read (see ensure_present).
    """
    _check_order_id(params)
    names = _names(params)
    domain = names[0] if names else None
    product_code = params.get("product_code")
    if product_code is not None:
        check_product_code(domain, product_code)
    flow = _check_source(params, names, product_code, params.get("csr"))
    validate_type = params.get("validate_type") or "DNS"
    for name in names:
        check_validate_type(name, validate_type)
    state = params.get("state") or "present"
    if params.get("email") is not None:
        check_email(params["email"])
    if params.get("phone") is not None:
        check_phone(params["phone"])
    username = params.get("username")
    if username is not None and not username.strip():
        raise ConfigurationError("username must not be empty: give the applicant's name.", "username")
    renew_before_days = params.get("renew_before_days")
    if renew_before_days is None:
        renew_before_days = 30
    if renew_before_days < 0:
        raise ConfigurationError(
            "renew_before_days must be 0 or more, got %d." % renew_before_days, "renew_before_days")
    if state == "present" and _may_order(flow["source"], names, product_code, flow["key_algorithm"]):
        # Before any call: a window at least as long as the product's documented lifetime makes
        # every certificate due at once. V2.0 lifetimes are not documented: checked once issued.
        check_renewal_window(renew_before_days, product_code or DEFAULT_PRODUCT_CODE)
    csr = params.get("csr")
    if csr:
        check_csr(csr, domain)
    tags = {}
    for key, value in (params.get("tags") or {}).items():
        if not str(key).strip():
            raise ConfigurationError("tags must not have an empty key.", "tags")
        tags[str(key)] = "" if value is None else str(value)
    wanted = {
        "state": state,
        "order_id": params.get("order_id"),
        "domain": domain,
        "names": names,
        "product_code": product_code,
        "validate_type": validate_type,
        "email": params.get("email"),
        "phone": params.get("phone"),
        "username": username,
        "csr": csr or None,
        "tags": tags,
        "force": bool(params.get("force")),
        "renew_before_days": renew_before_days,
    }
    wanted.update(flow)
    return wanted


def _check_order_id(params):
    """order_id names one V1.0 order to withdraw: only with state=absent, and alone."""
    order_id = params.get("order_id")
    if order_id is None:
        return
    if (params.get("state") or "present") != "absent":
        raise ConfigurationError(
            "order_id names one V1.0 order to withdraw and needs state=absent. To request a certificate, remove"
            " order_id.", "order_id")
    if order_id <= 0:
        raise ConfigurationError("order_id must be a positive order id, got %d." % order_id, "order_id")
    if params.get("domains") is not None:
        raise ConfigurationError(
            "order_id withdraws one V1.0 order, which holds one name: give domain (optional) instead of domains.",
            "domains")
    for option in ("instance_id", "product_code"):
        if params.get(option) is not None:
            raise ConfigurationError(
                "%s cannot be combined with order_id: order_id alone names the order to withdraw." % option, option)
    if params.get("source") == "instance":
        raise ConfigurationError(
            "order_id names a V1.0 order, but source is instance (V2.0). Remove one of them.", "source")


def _may_order(source, names, product_code, key_algorithm):
    """Whether a run may place a V1.0 order, whose product's lifetime is then known."""
    if source == "package":
        return True
    return source == "auto" and len(names) == 1 and key_algorithm == DEFAULT_KEY_ALGORITHM and (
        product_code is not None or not is_wildcard(names[0]))


def _for_product(orders, product_code):
    """Orders of the wanted product code; any product code matches when none was given."""
    if product_code is None:
        return list(orders)
    return [item for item in orders if item.get("ProductCode") == product_code]


def _csr_public_key(csr_pem):
    from cryptography import x509

    return _x509.public_key_der(x509.load_pem_x509_csr(csr_pem.encode("ascii")))


class _ReuseCriteria:
    """What an existing order must match to be reused; the CSR is parsed only if an issued order needs it."""

    def __init__(self, wanted, now):
        self.csr = wanted["csr"]
        self.validate_type = wanted["validate_type"]
        self.renew_before_days = wanted["renew_before_days"]
        self.now = now
        self._csr_key = None

    def csr_key(self):
        if self._csr_key is None:
            self._csr_key = _csr_public_key(self.csr)
        return self._csr_key


def _why_not_issued(order_id, state, criteria, label="order"):
    """Why the issued certificate cannot stand for the one asked for, or None when it can.

    ``state`` has the certificate PEM (``Certificate``) and ``PrivateKey``, true when CAS
    generated the key (only its presence is looked at). ``label`` names the family in the
    reasons: ``order`` or ``instance``.
    """
    leaf = split_chain(state.get("Certificate"))[0]
    cert = _x509.load_pem_certificate(leaf) if leaf else None
    if cert is None:
        return "%s %s is issued but CAS returned no certificate for it" % (label, order_id)
    check_issued_lifetime(cert, criteria.renew_before_days, label, order_id)
    if criteria.csr:
        if _x509.public_key_der(cert) != criteria.csr_key():
            return "the certificate of %s %s is for another key than the csr" % (label, order_id)
    elif not state.get("PrivateKey"):
        # CAS returns PrivateKey only when it generated the key: this one came from a CSR,
        # whose key the task, asking for a CAS-generated one, does not have.
        return "%s %s was issued for a CSR's key, and no csr is given (CAS is to generate the key)" % (
            label, order_id)
    not_after = _x509.validity(cert)[1]
    if _x509.renewal_due(not_after, criteria.renew_before_days, criteria.now):
        days = int((not_after - criteria.now).total_seconds() // 86400)
        return "the certificate of %s %s expires in %d days, within renew_before_days (%d)" % (
            label, order_id, days, criteria.renew_before_days)
    return None


def check_issued_lifetime(cert, renew_before_days, label, entry_id):
    """Refuse, before any write, a renew_before_days at least the lifetime of an issued
    certificate of these names: every certificate like it would be due at once."""
    not_before, not_after = _x509.validity(cert)
    lifetime_days = (not_after - not_before).total_seconds() / 86400.0
    if lifetime_days > renew_before_days:
        return
    raise ConfigurationError(
        "renew_before_days is %d, but the certificate of %s %s is valid for %.0f days (notBefore %s, notAfter %s):"
        " every certificate like it would be due for renewal at once, and every run would order a new one."
        " Nothing was written. Set renew_before_days below %d (30 is the default)." % (
            renew_before_days, label, entry_id, lifetime_days, _x509.iso(not_before), _x509.iso(not_after),
            int(lifetime_days)), "renew_before_days")


def why_not_reusable(order_id, state, criteria):
    """Why an order in ``state`` (a DescribeCertificateState answer) does not make a new
    one unnecessary, or None when it does.

    A pending order counts when it validates the way asked for. Its key cannot be checked:
    CAS does not say which CSR a pending order was made from, so a changed csr is only
    noticed once that order is issued, and a new order then follows.
    """
    kind = state.get("Type")
    if kind == "domain_verify":
        method = validate_type_of(state)
        if method != criteria.validate_type:
            return "order %s waits for %s validation, and validate_type is %s" % (
                order_id, method, criteria.validate_type)
        return None
    if kind == "process":  # validated already, so the method no longer matters
        return None
    if kind == "certificate":
        return _why_not_issued(order_id, state, criteria)
    return "order %s is in state %s (%s)" % (order_id, kind, STATUS_MEANINGS.get(kind, STATUS_MEANINGS["unknow"]))


def _current_state(cas, item):
    """The order's DescribeCertificateState, or None when it is gone: a lagging list still
    shows orders deleted a moment ago."""
    try:
        return cas.describe_state(item["OrderId"])
    except AlibabaCloudError as error:
        if error.code == "NotFoundOrder":
            return None
        raise


def find_reusable(cas, orders, criteria):
    """The newest order that makes a new one unnecessary, with its state, and why each
    newer one was passed over: ``(item, state, passed_over)``; item and state are None if none is.

    Every listed order that is not expired, revoked or failed is described: its list
    status may lag behind, and which status a fresh order is listed with is UNCONFIRMED.
    """
    passed_over = []
    for item in orders:
        status = item.get("Status")
        if status in LIST_FINAL:
            passed_over.append((item, "the newest order (%s) is %s" % (item.get("OrderId"), status)))
            continue
        state = _current_state(cas, item)
        if state is None:
            passed_over.append((item, "order %s is listed but no longer exists" % item.get("OrderId")))
            continue
        reason = why_not_reusable(item.get("OrderId"), state, criteria)
        if reason is None:
            return item, state, passed_over
        passed_over.append((item, reason))
    return None, None, passed_over


def why_create(orders, force, passed_over):
    """A short reason for submitting a new order, shown in the result."""
    if force:
        return "force is true"
    if not orders:
        return "no order exists for the domain"
    return passed_over[0][1]


def check_create_inputs(wanted, reason, family="package"):
    """What a new order or application needs beyond the pre-call checks; still raised before
    any write. The applicant means the same in both families (in V2.0 it becomes a contact)."""
    missing = [option for option in CONTACT_OPTIONS if not wanted[option]]
    what = {"package": "A new order", "instance": "A new application"}.get(family, "A new order or application")
    if missing:
        raise ConfigurationError(
            "%s must be submitted for %s (%s), and that needs the applicant: set %s (missing: %s)."
            % (what, ",".join(wanted["names"]), reason, ", ".join(CONTACT_OPTIONS), ", ".join(missing)), missing[0])
    if family == "package" and wanted["product_code"] is None:
        check_product_code(wanted["domain"], None)


def _state_fields(cas, state, domain):
    """The result fields of an order in ``state`` (a DescribeCertificateState answer). Once it is
    issued, its ids too: the identifier costs one GetUserCertificateDetail (CertFilter=true),
    the only V1.0 answer that carries it."""
    view = normalize_state(state, domain)
    validation = view["validation"]
    identifier = cas.certificate_identifier(view["certificate_id"]) if view["certificate_id"] is not None else None
    return {"status": view["status"], "status_meaning": view["status_meaning"], "phase": view["phase"],
            "phase_meaning": view["phase_meaning"], "validations": [validation] if validation else [],
            "validation": validation, **certificate_ids(view["certificate_id"], identifier)}


def _diff(before, after):
    return {"before": before or {}, "after": after or {}}


# --- V2.0: what an instance holds -------------------------------------------------------------------

def _application_mismatch(instance_id, detail, criteria, wanted):
    """Why a pending application on the instance is not the one asked for, or None.

    Unlike a V1.0 order, an instance shows what it was applied with (method, key
    algorithm, CSR), so a change is noticed while it is still pending. A field the
    instance does not return is not taken as a change.
    """
    method = detail.get("ValidationMethod")
    wanted_method = VALIDATION_METHODS[criteria.validate_type]
    if method and method.upper() != wanted_method:
        return "instance %s waits for %s validation, and validate_type is %s" % (
            instance_id, method, criteria.validate_type)
    generated = detail.get("GenerateCsrMethod")
    if criteria.csr:
        if generated and generated != "upload":
            return "instance %s was applied for with a key CAS generates, and a csr is given" % instance_id
        if detail.get("Csr") and _csr_public_key(detail["Csr"]) != criteria.csr_key():
            return "instance %s was applied for with another CSR's key than the csr" % instance_id
        return None
    if generated == "upload":
        return "instance %s was applied for with a CSR, and no csr is given (CAS is to generate the key)" % instance_id
    algorithm = detail.get("KeyAlgorithm")
    if algorithm and algorithm != wanted["key_algorithm"]:
        return "instance %s was applied for with key %s, and key_algorithm is %s" % (
            instance_id, algorithm, wanted["key_algorithm"])
    return None


def why_instance_not_reusable(instances, detail, criteria, wanted):
    """Why the instance (a GetInstanceDetail answer) does not make a new application
    unnecessary, or None when it does: pending for the same names, method and key, or
    issued for them with the key asked for and not due for renewal."""
    view = normalize_instance(detail)
    instance_id = view["instance_id"]
    if sorted(view["domains"]) != sorted(wanted["names"]):
        return "instance %s holds %s" % (instance_id, ",".join(view["domains"]) or "no names")
    if view["phase"] in PENDING_PHASES:
        return _application_mismatch(instance_id, detail, criteria, wanted)
    if view["phase"] != "issued":
        return "instance %s is %s (%s)" % (instance_id, view["phase"], view["status"])
    if not criteria.csr and detail.get("KeyAlgorithm") and detail["KeyAlgorithm"] != wanted["key_algorithm"]:
        return "the certificate of instance %s has a %s key, and key_algorithm is %s" % (
            instance_id, detail["KeyAlgorithm"], wanted["key_algorithm"])
    certificate, private_key = instances.download(view["certificate_id"]) if view["certificate_id"] else (None, None)
    # The key itself is never kept: whether CAS holds one is all that counts, as in V1.0.
    state = {"Certificate": certificate and certificate["fullchain"],
             "PrivateKey": bool(private_key) and detail.get("GenerateCsrMethod") != "upload"}
    return _why_not_issued(instance_id, state, criteria, label="instance")


class InstanceList:
    """The account's instances, listed once per run (ListInstances without filters, all pages)
    and only when first needed: the same list shows the applications to resume and the
    inactive instances to spend, so neither needs a list of its own."""

    def __init__(self, instances):
        self._instances = instances
        self._items = None

    def items(self):
        if self._items is None:
            self._items = self._instances.list_instances()
        return self._items

    def with_names(self, names):
        wanted = sorted(names)
        return [item for item in self.items() if sorted(item["domains"]) == wanted]

    def inactive(self):
        return [item for item in self.items() if item["status"] == "inactive"]

    def refresh(self, view):
        """Put a fresh read of one instance in place of its list item, so that the next item of
        a batch sees what this run did to it without listing again."""
        if self._items is None:
            return
        self._items = [view if item["instance_id"] == view["instance_id"] else item for item in self._items]


def find_reusable_instance(instances, wanted, criteria, listed):
    """The instance holding an application that makes a new one unnecessary, with its detail,
    and why each other instance with these names was passed over: ``(detail, passed_over)``.

    ``passed_over`` is a list of ``(detail, reason)``; ``listed`` an InstanceList. Every
    listed instance with exactly these names is read again (GetInstanceDetail), since the
    list may lag behind.
    """
    if wanted["instance_id"]:
        detail = instances.detail(wanted["instance_id"])
        if detail is None:
            raise ConfigurationError(
                "instance_id %s does not exist in this account (GetInstanceDetail answered NotFound). List the"
                " instances with alicloud.cas.certificate_instance_info." % wanted["instance_id"], "instance_id")
        candidates = [detail]
    else:
        candidates = []
        for item in listed.with_names(wanted["names"]):
            detail = instances.detail(item["instance_id"])
            if detail is not None:
                candidates.append(detail)
    passed_over = []
    for detail in candidates:
        reason = why_instance_not_reusable(instances, detail, criteria, wanted)
        if reason is None:
            return detail, passed_over
        passed_over.append((detail, reason))
    return None, passed_over


# --- V2.0: which instance to spend -------------------------------------------------------------------

def names_needed(names):
    """``(full, wildcard)``: the names an instance's spec must hold. The bare name next to its
    own wildcard (``*.example.com`` with ``example.com``) is complimentary."""
    wildcards = [name for name in names if is_wildcard(name)]
    free = set(name[2:] for name in wildcards)
    full = [name for name in names if not is_wildcard(name) and name not in free]
    return len(full), len(wildcards)


def spec_fits(instance, names):
    """Whether an instance's spec (FullDomainCount, WildcardDomainCount) holds ``names``.

    An instance that shows neither count is taken to hold one single name: test instances
    are single-domain only (reference §6); UNCONFIRMED which instances omit the counts.
    """
    full_count, wildcard_count = instance.get("full_domain_count"), instance.get("wildcard_domain_count")
    if full_count is None and wildcard_count is None:
        full_count, wildcard_count = 1, 0
    full, wildcard = names_needed(names)
    return full <= int(full_count or 0) and wildcard <= int(wildcard_count or 0)


def choose_instance(inactive, wanted):
    """The inactive instances that may be spent on the names, best first.

    Only instances of ``instance_type`` count: a paid (BUY) instance is never spent unless
    instance_type is BUY. One already prepared for these names (an earlier run filled it in
    but did not submit) comes first, then blank ones, then ones naming others (another
    task's preparation, or a withdrawal back to inactive); within each, the smallest spec
    and the earliest end, so a big instance is not used up on a small request.
    """
    names = sorted(wanted["names"])

    def rank(item):
        held = sorted(item["domains"])
        group = 0 if held == names else 1 if not held else 2
        size = int(item.get("full_domain_count") or 0) + int(item.get("wildcard_domain_count") or 0)
        return (group, size, item.get("instance_end_time") or "")

    fitting = [item for item in inactive
               if item["instance_type"] == wanted["instance_type"] and spec_fits(item, wanted["names"])]
    return sorted(fitting, key=rank)


def describe_nothing_fits(wanted, package, inactive):
    """What was looked at, for the failure when nothing can be spent."""
    parts = []
    if package is not None and "refusal" in package:
        parts.append("V1.0 quota: none left for %s (CreateCertificateRequest answered %s and spent nothing)"
                     % (wanted["product_code"] or DEFAULT_PRODUCT_CODE, package["refusal"]))
    elif package is not None:
        parts.append("V1.0 quota: %s has %d of %d left" % (package["product_code"], package["remaining"],
                                                           package["total"]))
    elif wanted["source"] == "auto":
        parts.append("V1.0 quota: not usable here (%s)" % _why_no_package(wanted))
    counts = []
    for kind in INSTANCE_TYPES:
        of_kind = [item for item in inactive if item["instance_type"] == kind]
        fitting = [item for item in of_kind if spec_fits(item, wanted["names"])]
        allowed = "" if kind == wanted["instance_type"] else ", not allowed by instance_type=%s" % (
            wanted["instance_type"])
        counts.append("%s %d inactive, %d fit %s%s" % (kind, len(of_kind), len(fitting), ",".join(wanted["names"]),
                                                       allowed))
    parts.append("V2.0 instances: " + "; ".join(counts))
    return "Nothing can be spent on a certificate for %s. Looked at %s. Nothing was written. Buy a certificate" \
           " (a TEST instance in the console, or quota), or set instance_type=BUY to allow a paid instance." % (
               ",".join(wanted["names"]), ". ".join(parts))


def _why_no_package(wanted):
    if len(wanted["names"]) > 1:
        return "a V1.0 order holds one name"
    if wanted["key_algorithm"] != DEFAULT_KEY_ALGORITHM:
        return "a V1.0 order takes no key_algorithm"
    if is_wildcard(wanted["domain"]) and wanted["product_code"] is None:
        return "a wildcard needs a wildcard product_code"
    return None


def package_quota(cas, wanted):
    """The V1.0 quota ``auto`` may spend (package_state of the product code), or None when a
    V1.0 order cannot serve the request at all. Read in check mode only, where no create can
    be tried."""
    if _why_no_package(wanted) is not None:
        return None
    return cas.package_state(wanted["product_code"] or DEFAULT_PRODUCT_CODE)


# --- V2.0: applying ----------------------------------------------------------------------------------

def _mobile(phone):
    """The phone as CreateContact takes it: digits with an optional leading ``+``, no spaces."""
    return "".join(char for char in phone if char.isdigit() or char == "+")


def resolve_contact(instances, wanted):
    """The id of the applicant's contact: an existing one that matches, else one created now.

    ListContact masks mobile and e-mail, so a match is on the name and the visible parts.
    A contact created a moment ago may be missing from a lagging list; the service then
    refuses the duplicate name, and the list is read again until it shows the contact.
    """
    name, mobile, email = wanted["username"], _mobile(wanted["phone"]), wanted["email"]
    listed = instances.contacts(keyword=name)
    found = matching_contact_id(listed, name, mobile, email)
    if found is not None:
        return found
    try:
        # The contacts just read are the ones that existed before: a lost answer is told apart
        # from them without listing again.
        return instances.create_contact(name, mobile, email, client_token=new_client_token("CreateContact"),
                                        known_contact_ids=[contact["contact_id"] for contact in listed])
    except AlibabaCloudError as error:
        if not (error.code or "").startswith("AlreadyExists"):
            raise
        found = instances.rpc.poll(lambda: instances.find_contact(name, mobile, email))
        if found is None:
            raise ConfigurationError(
                "CAS has a contact named %r whose phone or email differ from the ones given (CreateContact answered"
                " %s). Give that contact's phone and email, or another username." % (name, error.code),
                "username") from error
        return found


def _instance_request(wanted, instance, reason):
    return {
        "action": "ApplyCertificate",
        "instance_id": instance["instance_id"],
        "instance_type": instance["instance_type"],
        "domains": list(wanted["names"]),
        "validate_type": wanted["validate_type"],
        "generate_csr_method": "upload" if wanted["csr"] else "online",
        "key_algorithm": None if wanted["csr"] else wanted["key_algorithm"],
        "tags": wanted["tags"],
        "reason": reason,
    }


def _instance_fields(view):
    validations = view["validations"] or []
    issued = view["phase"] == "issued"  # a revoked or expired certificate's id is no certificate to use
    return {"status": view["status"], "phase": view["phase"], "phase_meaning": view["phase_meaning"],
            "validations": validations, "validation": validations[0] if validations else None,
            **certificate_ids(view["certificate_id"] if issued else None,
                              view["certificate_identifier"] if issued else None)}


def _instance_result(changed, view, **extra):
    result = dict(changed=changed, source="instance", order_id=None, instance_id=view["instance_id"],
                  instance=view, **_instance_fields(view))
    result.update(extra)
    return result


class InstanceNamesMismatchError(AlicloudCasError):
    """After ApplyCertificate the instance holds an application for other names than this run's."""


def check_applied_names(view, wanted):
    """The names the instance holds after the apply must be the ones asked for.

    Another run (another controller, or one that did not share the ledger) can fill in the same
    inactive instance between this run's UpdateInstance and ApplyCertificate; the application
    then submitted holds its names. Its records and certificate are not this run's to publish.
    """
    held = sorted(view["domains"])
    if held == sorted(wanted["names"]):
        return
    raise InstanceNamesMismatchError(
        "After ApplyCertificate, instance %s holds an application for %s, not for %s: another run filled in the"
        " same instance at the same time. Nothing was published or saved for %s, and the application on the"
        " instance (another run's names) was left alone. Run the task again: it applies on another instance."
        % (view["instance_id"], ",".join(held) or "no names", ",".join(wanted["names"]), ",".join(wanted["names"])))


def apply_on_instance(instances, wanted, detail, reason, check_mode=False, diff_mode=False, ledger=None,
                      listed=None):
    """Fill in the application on an inactive instance and submit it, once."""
    check_create_inputs(wanted, reason, family="instance")
    before = normalize_instance(detail)
    request = _instance_request(wanted, before, reason)
    if check_mode:
        predicted = dict(before, domains=list(wanted["names"]), domain=wanted["domain"])
        result = dict(changed=True, source="instance", order_id=None, instance_id=before["instance_id"],
                      instance=predicted, status=None, phase=None, phase_meaning=None, validations=[],
                      validation=None, request=request, **certificate_ids())
        if diff_mode:
            result["diff"] = _diff(before, predicted)
        return result
    instance_id = before["instance_id"]
    contact_id = resolve_contact(instances, wanted)
    instances.update(
        instance_id, domains=wanted["names"], csr=wanted["csr"],
        generate_csr_method="upload" if wanted["csr"] else "online",
        key_algorithm=None if wanted["csr"] else wanted["key_algorithm"],
        validation_method=VALIDATION_METHODS[wanted["validate_type"]], contact_ids=[contact_id],
        tags=wanted["tags"])
    # One token per run: sent with the one submission; a service that honours it answers a
    # repeat with the first answer. Whether it does is UNCONFIRMED (emulator switch
    # client_token_honoured), so a lost answer is still decided from GetInstanceDetail.
    applied = instances.apply(instance_id, client_token=new_client_token("ApplyCertificate"), domains=wanted["names"])
    view = normalize_instance(instances.wait_for_validations(instance_id, VALIDATIONS_WAIT_SECONDS))
    if listed is not None:
        listed.refresh(view)
    check_applied_names(view, wanted)
    if ledger is not None:
        ledger.record("instance", instance_id, wanted["names"])
    shown = instances.wait_listed(instance_id, wanted["names"])
    result = _instance_result(True, view, request=request)
    warnings = []
    if applied["adopted"]:
        warnings.append("The answer to ApplyCertificate on instance %s was lost; the instance shows the application,"
                        " so it was not submitted again." % instance_id)
    if view["phase"] in PENDING_PHASES and not view["validations"]:
        warnings.append("Instance %s shows no validation records %d seconds after the application; run the task"
                        " again (it changes nothing) or poll with alicloud.cas.certificate_request_info to get"
                        " them." % (instance_id, VALIDATIONS_WAIT_SECONDS))
    if shown is None:
        warnings.append("CAS's instance list does not show the application on instance %s yet. Until it does,"
                        " another run of this task cannot see it and could spend a second instance: let the"
                        " list catch up first." % instance_id)
    if warnings:
        result["warnings"] = warnings
    if diff_mode:
        result["diff"] = _diff(before, view)
    return result


def _inactive_detail(instances, ranked, criteria, wanted):
    """``(detail, reusable)``: the first ranked instance that a fresh read still shows inactive,
    unless a fresh read first shows one that already holds the application asked for.

    The list may lag behind an application made moments ago (a run that ended before the
    list showed it, or one still running): the instance then looks inactive, and the
    application on it is this task's own, to be reused rather than paid for again elsewhere.
    """
    for item in ranked:
        detail = instances.detail(item["instance_id"])
        if detail is None:
            continue
        if detail.get("Status") == "inactive":
            return detail, None
        if not wanted["force"] and why_instance_not_reusable(instances, detail, criteria, wanted) is None:
            return None, detail
    return None, None


def _reused_instance(detail, diff_mode):
    view = normalize_instance(detail)
    result = _instance_result(False, view)
    if diff_mode:
        result["diff"] = _diff(view, view)
    return result


def _check_named_instance(detail, wanted):
    """The instance named by instance_id may be spent, or a ConfigurationError says why not."""
    view = normalize_instance(detail)
    instance_id = view["instance_id"]
    if view["instance_type"] != wanted["instance_type"]:
        if view["instance_type"] == "BUY":
            raise ConfigurationError(
                "instance %s is a paid (BUY) instance, and instance_type is %s: a paid instance is spent only with"
                " instance_type=BUY. Nothing was written." % (instance_id, wanted["instance_type"]), "instance_type")
        raise ConfigurationError(
            "instance %s is a %s instance, and instance_type is %s. Set instance_type=%s." % (
                instance_id, view["instance_type"], wanted["instance_type"], view["instance_type"]), "instance_type")
    if view["status"] != "inactive":
        raise ConfigurationError(
            "instance %s cannot take a new application: it is %s (%s). Only an inactive instance can; pick another"
            " instance_id, or drop instance_id to let the module choose."
            % (instance_id, view["status"], view["phase_meaning"]), "instance_id")
    if not spec_fits(view, wanted["names"]):
        raise ConfigurationError(
            "instance %s holds %s full and %s wildcard names, too few for %s." % (
                instance_id, view["full_domain_count"], view["wildcard_domain_count"], ",".join(wanted["names"])),
            "instance_id")


# --- present -----------------------------------------------------------------------------------------

def _reused_order(cas, reusable, state, domain, diff_mode):
    order = normalize_order(reusable)
    result = dict(changed=False, source="package", order_id=reusable["OrderId"], instance_id=None, order=order,
                  **_state_fields(cas, state, domain))
    if diff_mode:
        result["diff"] = _diff(order, order)
    return result


def create_order(cas, wanted, all_orders, orders, reason, check_mode=False, diff_mode=False, ledger=None):
    """Submit a V1.0 order (or, in check mode, say what would be submitted)."""
    domain = wanted["domain"]
    check_create_inputs(wanted, reason)
    action = "CreateCertificateWithCsrRequest" if wanted["csr"] else "CreateCertificateRequest"
    request = {
        "action": action,
        "domain": domain,
        "product_code": wanted["product_code"],
        "validate_type": wanted["validate_type"],
        "tags": wanted["tags"],
        "reason": reason,
    }
    before = normalize_order(orders[0]) if orders else None
    if check_mode:
        predicted = normalize_order({"Domain": domain, "ProductCode": wanted["product_code"]})
        result = dict(changed=True, source="package", order_id=None, instance_id=None, order=predicted, status=None,
                      status_meaning=None, phase=None, phase_meaning=None, validations=[], validation=None,
                      request=request, **certificate_ids())
        if diff_mode:
            result["diff"] = _diff(before, predicted)
        return result

    created = cas.create(
        domain, wanted["email"], wanted["phone"], wanted["username"], wanted["validate_type"],
        product_code=wanted["product_code"], tags=wanted["tags"], csr=wanted["csr"],
        known_order_ids=[item.get("OrderId") for item in all_orders])
    order_id = created["order_id"]
    if ledger is not None:
        # At once: whatever happens next, a run that follows finds it without the list.
        ledger.record("order", order_id, wanted["names"], product_code=wanted["product_code"])
    state = cas.describe_state(order_id)
    # A run that starts before the list shows this order would submit another one, so the
    # task ends only once the list shows it, or warns.
    listed = cas.wait_listed(domain, order_id)
    order = normalize_order(listed or {"OrderId": order_id, "Domain": domain, "ProductCode": wanted["product_code"]})
    result = dict(changed=True, source="package", order_id=order_id, instance_id=None, order=order, request=request,
                  **_state_fields(cas, state, domain))
    warnings = []
    if created["adopted"]:
        warnings.append(
            "The answer to %s was lost; order %s, which that request had created, was adopted instead of"
            " submitting again." % (action, order_id))
    if listed is None:
        warnings.append(
            "CAS's order list does not show order %s yet. Until it does, another run of this task for %s"
            " cannot see the order and would submit a second one: let the list catch up first." % (order_id, domain))
    if warnings:
        result["warnings"] = warnings
    if diff_mode:
        result["diff"] = _diff(before, order)
    return result


def adopt_from_ledger(cas, instances, ledger, wanted, criteria, diff_mode=False):
    """The result of reusing an order or application the ledger holds for the names, or None.

    Each entry is read again by its id (DescribeCertificateState, GetInstanceDetail), which do
    not lag as the lists do, newest first; the first one that makes a new one unnecessary is
    reused, by the same rules as one found in a list. An entry that is gone or no longer usable
    (failed, withdrawn, due for renewal, for another key) is dropped: the lists decide then.
    """
    source = wanted["source"]
    kinds = ("order",) if source == "package" else ("instance",) if source == "instance" else ("order", "instance")
    for entry in ledger.entries_for(wanted["names"], kinds):
        if entry["kind"] == "order":
            if wanted["product_code"] is not None and entry.get("product_code") not in (None, wanted["product_code"]):
                continue
            item = {"OrderId": entry["id"], "Domain": wanted["domain"], "ProductCode": entry.get("product_code")}
            state = _current_state(cas, item)
            if state is not None and why_not_reusable(entry["id"], state, criteria) is None:
                return _reused_order(cas, item, state, wanted["domain"], diff_mode)
        else:
            if wanted["instance_id"] and entry["id"] != wanted["instance_id"]:
                continue
            detail = instances.detail(entry["id"])
            if detail is not None and why_instance_not_reusable(instances, detail, criteria, wanted) is None:
                return _reused_instance(detail, diff_mode)
        ledger.drop(entry)
    return None


def ensure_present(cas, wanted, check_mode=False, diff_mode=False, now_ms=None, instances=None, ledger=None,
                   listed=None):
    """Make sure an order or an instance holds an application for the names that is in
    progress, or a fresh certificate for them; else spend quota or an inactive instance.

    ``ledger`` (a Ledger, or None) is read before any list and told of what is placed;
    ``listed`` is the run's InstanceList, shared by the items of a batch.
    """
    if now_ms is None:
        now_ms = int(time.time() * 1000)
    now = datetime.datetime.fromtimestamp(now_ms / 1000.0, tz=datetime.timezone.utc)
    criteria = _ReuseCriteria(wanted, now)
    if ledger is not None and not wanted["force"]:
        adopted = adopt_from_ledger(cas, instances, ledger, wanted, criteria, diff_mode)
        if adopted is not None:
            return adopted
    source = wanted["source"]
    domain = wanted["domain"]
    package_family = source == "package" or (source == "auto" and len(wanted["names"]) == 1)
    all_orders, orders, passed_over = [], [], []

    if package_family:
        all_orders = cas.orders_for_domain(domain)
        orders = _for_product(all_orders, wanted["product_code"])
        if not wanted["force"]:
            reusable, state, passed_over = find_reusable(cas, orders, criteria)
            if reusable is not None:
                return _reused_order(cas, reusable, state, domain, diff_mode)
    if source == "package":
        return create_order(cas, wanted, all_orders, orders, why_create(orders, wanted["force"], passed_over),
                            check_mode, diff_mode, ledger)

    instances_passed_over = []
    named = None
    listed = listed or InstanceList(instances)
    if wanted["instance_id"] or not wanted["force"]:
        # Also with source auto before a V1.0 create: a V2.0 application for the names may be in
        # flight (an earlier run found no quota, or ran with source=instance), and V1.0 quota,
        # given back when an order is deleted, must not be spent on the same names again.
        reusable, instances_passed_over = find_reusable_instance(instances, wanted, criteria, listed)
        if wanted["instance_id"]:
            named = reusable or instances_passed_over[0][0]
        if reusable is not None and not wanted["force"]:
            return _reused_instance(reusable, diff_mode)
    reasons = [reason for _item, reason in passed_over + instances_passed_over]
    reason = "force is true" if wanted["force"] else reasons[0] if reasons else "nothing exists for %s" % (
        ",".join(wanted["names"]))

    if named is not None:
        _check_named_instance(named, wanted)
        return apply_on_instance(instances, wanted, named, reason, check_mode, diff_mode, ledger, listed)

    package = None
    if source == "auto" and _why_no_package(wanted) is None:
        order_reason = why_create(orders, wanted["force"], passed_over)
        check_create_inputs(wanted, order_reason, family="auto")
        if check_mode:
            # Check mode writes nothing, so it cannot learn from a refused create: it reads the quota.
            package = package_quota(cas, wanted)
            if package["remaining"] > 0:
                return create_order(cas, wanted, all_orders, orders, order_reason, check_mode, diff_mode, ledger)
        else:
            # No quota read first: a create without quota is refused (NotRemainCount, NotFoundPackage,
            # reference 2.6) and spends nothing, so the refusal itself sends auto on to V2.0. The table
            # is documented for CreateCertificateWithCsrRequest; that CreateCertificateRequest answers the
            # same codes is UNCONFIRMED. Any other refusal fails the task, nothing spent on either flow.
            try:
                return create_order(cas, wanted, all_orders, orders, order_reason, check_mode, diff_mode, ledger)
            except AlibabaCloudError as error:
                if error.code not in QUOTA_REFUSALS:
                    raise
                package = {"refusal": error.code}
    inactive = listed.inactive()
    chosen, reusable = _inactive_detail(instances, choose_instance(inactive, wanted), criteria, wanted)
    if reusable is not None:
        return _reused_instance(reusable, diff_mode)
    if chosen is None:
        raise ConfigurationError(describe_nothing_fits(wanted, package, inactive), "instance_type")
    return apply_on_instance(instances, wanted, chosen, reason, check_mode, diff_mode, ledger, listed)


# --- absent ------------------------------------------------------------------------------------------

def _issued_warning(item):
    return (
        "Order %s for %s holds an issued certificate (status %s, valid until %s) and was left alone:"
        " CAS only withdraws requests that are pending or failed, and revoking a certificate cannot be"
        " undone. Revoke it in the CAS console if it must go."
        % (item.get("OrderId"), item.get("Domain"), item.get("Status"), normalize_order(item)["cert_end_time"]))


def ensure_absent(cas, wanted, check_mode=False, diff_mode=False):
    """Withdraw the domain's pending and failed orders; issued ones stay, with a warning."""
    orders = _for_product(cas.orders_for_domain(wanted["domain"]), wanted["product_code"])
    withdrawn, kept, warnings, gone = [], [], [], []
    for item in orders:
        # Expired and revoked orders stay; every other status, unknown ones included, is
        # decided on the order's Type, as the list may lag and its statuses are not all known.
        if item.get("Status") in LIST_ISSUED + ("EXPIRED", "REVOKED"):
            if item.get("Status") in LIST_ISSUED:
                warnings.append(_issued_warning(item))
            kept.append(item)
            continue
        state = _current_state(cas, item)
        if state is None:
            gone.append(item)
            continue
        kind = state.get("Type")
        if kind == "certificate":
            warnings.append(_issued_warning(item))
            kept.append(item)
            continue
        if kind not in IN_PROGRESS_STATES + DELETABLE_STATES:
            warnings.append("Order %s for %s is in state %r, which CAS does not let a request be withdrawn from;"
                            " it was left alone." % (item.get("OrderId"), item.get("Domain"), kind))
            kept.append(item)
            continue
        if not check_mode:
            # CAS deletes only failed or not-yet-submitted requests: withdraw pending ones first.
            cas.withdraw(item["OrderId"], pending=kind in IN_PROGRESS_STATES)
        withdrawn.append(item)
    result = {
        "changed": bool(withdrawn),
        "withdrawn": [normalize_order(item) for item in withdrawn],
        "kept": [normalize_order(item) for item in kept],
        "warnings": warnings,
    }
    if diff_mode:
        result["diff"] = _diff({"orders": [normalize_order(item) for item in orders if item not in gone]},
                               {"orders": result["kept"]})
    return result


WITHDRAWAL_STEPS = {
    "domain_verify": "cancelled (CancelOrderRequest) and deleted (DeleteCertificateRequest)",
    "process": "cancelled (CancelOrderRequest) and deleted (DeleteCertificateRequest)",
    "verify_fail": "deleted (DeleteCertificateRequest)",
    "payed": "deleted (DeleteCertificateRequest)",
}


def withdraw_order(cas, wanted, check_mode=False, diff_mode=False):
    """state=absent with order_id: withdraw exactly that V1.0 order, so that its quota unit
    comes back; an issued one is refused.

    The order is read by its id (DescribeCertificateState), never through the lagging list. A
    pending order is cancelled (CancelOrderRequest) and deleted; a failed (verify_fail) or
    cancelled (payed) one is deleted (DeleteCertificateRequest), which gives its unit back.
    CancelCertificateForPackageRequest is not used: on an order issued in the meantime it
    would revoke the certificate.
    """
    order_id = wanted["order_id"]
    item = {"OrderId": order_id, "Domain": wanted["domain"]}
    state = _current_state(cas, item)
    result = {"changed": False, "order_id": order_id, "withdrawn": [], "kept": [], "warnings": []}
    if state is None:
        result["msg"] = "Order %s does not exist in this account (already withdrawn, or never placed): nothing" \
                        " to do." % order_id
        if diff_mode:
            result["diff"] = _diff({}, {})
        return result
    kind = state.get("Type")
    result["status"] = kind
    order = dict(normalize_order(item), status=kind)
    if kind == "certificate":
        raise ConfigurationError(
            "order_id %s holds an issued certificate: it is never withdrawn (CAS would revoke it, which cannot be"
            " undone, and gives no quota back). Nothing was written. Revoke it in the CAS console if it must go."
            % order_id, "order_id")
    if kind not in WITHDRAWAL_STEPS:
        raise ConfigurationError(
            "order_id %s is in state %r (%s), from which CAS does not let a request be withdrawn. Nothing was"
            " written." % (order_id, kind, STATUS_MEANINGS.get(kind, STATUS_MEANINGS["unknow"])), "order_id")
    done = True
    if not check_mode:
        done = cas.withdraw(order_id, pending=kind in IN_PROGRESS_STATES)
    if done:
        result.update(changed=True, withdrawn=[order])
        result["msg"] = "Order %s (%s, %s) %s %s; its quota unit is given back unless it was ever issued." % (
            order_id, kind, STATUS_MEANINGS.get(kind), "would be" if check_mode else "was", WITHDRAWAL_STEPS[kind])
    else:
        result["msg"] = "Order %s was already gone when it was to be deleted: nothing to do." % order_id
    if diff_mode:
        result["diff"] = _diff({"orders": [order]}, {"orders": []})
    return result


def withdraw_instances(instances, wanted, check_mode=False, listed=None):
    """Withdraw the pending applications for the names (or on instance_id).

    Never refunds, deletes or revokes: an issued certificate stays, with a warning.
    Returns ``(withdrawn, kept, warnings, before, after)`` with normalised instances.
    """
    if wanted["instance_id"]:
        detail = instances.detail(wanted["instance_id"])
        details = [detail] if detail is not None else []
    else:
        listed = listed or InstanceList(instances)
        details = [instances.detail(item["instance_id"]) for item in listed.with_names(wanted["names"])]
        details = [detail for detail in details if detail is not None]
    withdrawn, kept, warnings, before, after = [], [], [], [], []
    for detail in details:
        view = normalize_instance(detail)
        before.append(view)
        instance_id = view["instance_id"]
        if view["phase"] == "issued":
            warnings.append(
                "Instance %s holds an issued certificate for %s and was left alone: withdrawing applies to pending"
                " applications only, and this module never revokes, refunds or deletes." % (
                    instance_id, ",".join(view["domains"])))
            kept.append(view)
            after.append(view)
            continue
        if view["status"] != "pending":
            after.append(view)
            continue
        if check_mode:
            withdrawn.append(view)
            after.append(dict(view, status=None, phase="withdrawn", validations=[]))
            continue
        outcome = instances.withdraw(instance_id, WITHDRAWAL_WAIT_SECONDS,
                                     client_token=new_client_token("CancelPendingCertificate"))
        if outcome == "nothing":
            after.append(view)
            continue
        current = instances.instance(instance_id) or view
        if outcome == "pending":
            warnings.append(
                "The withdrawal of the application on instance %s was accepted but the instance is still pending"
                " after %d seconds; CAS completes it by itself." % (instance_id, WITHDRAWAL_WAIT_SECONDS))
        withdrawn.append(current)
        after.append(current)
    return withdrawn, kept, warnings, before, after


def ensure_absent_everywhere(cas, wanted, check_mode=False, diff_mode=False, instances=None, listed=None):
    """state=absent over the families the source covers, or on the one order order_id names."""
    if wanted["order_id"] is not None:
        return withdraw_order(cas, wanted, check_mode, diff_mode)
    source = wanted["source"]
    result = {"changed": False, "withdrawn": [], "kept": [], "warnings": []}
    diff_before, diff_after = {}, {}
    if source == "package" or (source == "auto" and len(wanted["names"]) == 1):
        result = ensure_absent(cas, wanted, check_mode, diff_mode)
        diff = result.pop("diff", None)
        if diff:
            diff_before, diff_after = diff["before"], diff["after"]
    if source != "package":
        withdrawn, kept, warnings, before, after = withdraw_instances(instances, wanted, check_mode, listed)
        result["changed"] = result["changed"] or bool(withdrawn)
        result["withdrawn_instances"] = withdrawn
        result["kept_instances"] = kept
        result["warnings"] = result["warnings"] + warnings
        diff_before["instances"], diff_after["instances"] = before, after
    if diff_mode:
        result["diff"] = _diff(diff_before, diff_after)
    return result


# --- batch mode (certificates) ------------------------------------------------------------------------

# The options an item of ``certificates`` may set; the module's other options are the items' defaults.
ITEM_OPTIONS = ("domain", "domains", "product_code", "validate_type", "csr", "source", "instance_id",
                "instance_type", "key_algorithm", "tags", "force", "order_id", "renew_before_days")
# What names one certificate, so it cannot be a default shared by every item.
ITEM_ONLY_OPTIONS = ("domain", "domains", "instance_id", "csr", "order_id")


class BatchError(PartialResultError):
    """Some items of a batch failed; the result still holds every item's outcome."""


def check_batch(params):
    """``[(name, wanted)]`` for every item of ``certificates``, all checked before any call.

    An error names the item and the option (``certificates[2].domain``) when the item set it,
    and the module's option when the item took it as a default.
    """
    batch = params["certificates"]
    given = [option for option in ITEM_ONLY_OPTIONS if params.get(option) is not None]
    if given:
        raise ConfigurationError(
            "%s cannot be combined with certificates: give it in each item of certificates instead." % given[0],
            given[0])
    if not batch:
        raise ConfigurationError("certificates is empty; list at least one certificate to request.", "certificates")
    defaults = {key: value for key, value in params.items() if key != "certificates"}
    items, names = [], {}
    for index, entry in enumerate(batch):
        entry = entry or {}
        merged = dict(defaults)
        merged.update((key, entry[key]) for key in ITEM_OPTIONS if entry.get(key) is not None)
        try:
            wanted = check_options(merged)
        except ConfigurationError as error:
            # The window is refused for the item's product: the item is named even when
            # renew_before_days is the module's.
            item_window = isinstance(error, RenewalWindowError)
            if error.option and entry.get(error.option) is None and error.option not in ITEM_ONLY_OPTIONS \
                    and not item_window:
                raise
            where = "certificates[%d].%s" % (index, error.option or "domain")
            raise ConfigurationError("%s: %s" % (where, error), where) from error
        name = entry.get("name") or ",".join(wanted["names"]) or "order %s" % wanted["order_id"]
        if name in names:
            raise ConfigurationError(
                "certificates[%d].name: %r is already the name of certificates[%d]; give each item its own name"
                " (or names)." % (index, name, names[name]), "certificates[%d].name" % index)
        names[name] = index
        items.append((name, wanted))
    return items


def _converge(cas, instances, wanted, check_mode, diff_mode, now_ms, ledger=None, listed=None):
    if wanted["state"] == "absent":
        return ensure_absent_everywhere(cas, wanted, check_mode, diff_mode, instances, listed)
    return ensure_present(cas, wanted, check_mode, diff_mode, now_ms, instances, ledger, listed)


def _failed_item(name, error):
    item = {"name": name, "failed": True, "msg": str(error), "changed": False, "source": None, "order_id": None,
            "instance_id": None, "status": None, "phase": None, "validations": [], "validation": None,
            "certificate_id": None, "certificate_identifier": None}
    item.update(error.to_result())
    for field in ("code", "request_id"):
        if getattr(error, field, None):
            item[field] = getattr(error, field)
    return item


def run_batch(items, cas, instances, check_mode=False, diff_mode=False, now_ms=None, ledger=None, listed=None):
    """Each item in input order over the one client; an item's error is that item's outcome.

    ``listed`` is one InstanceList for the run: the account's instances are listed once, when
    the first item needs them, and serve every item."""
    results, warnings, before, after = [], [], {}, {}
    if listed is None and instances is not None:
        listed = InstanceList(instances)
    for name, wanted in items:
        try:
            outcome = _converge(cas, instances, wanted, check_mode, diff_mode, now_ms, ledger, listed)
        except AlicloudCasError as error:
            results.append(_failed_item(name, error))
            continue
        warnings.extend("[%s] %s" % (name, warning) for warning in outcome.get("warnings", []))
        if "diff" in outcome:
            before[name], after[name] = outcome["diff"]["before"], outcome["diff"]["after"]
        results.append(dict(outcome, name=name, failed=False, msg=outcome.get("msg", "")))
    result = {"changed": any(item["changed"] for item in results), "certificates": results}
    if diff_mode:
        result["diff"] = _diff(before, after)
    failed = [item["name"] for item in results if item["failed"]]
    if failed:
        raise BatchError("%d of %d certificates failed: %s. Each item's msg says why; the others went on." % (
            len(failed), len(results), ", ".join(failed)), result)
    result["warnings"] = warnings
    return result


def run(params, cas_factory, check_mode=False, diff_mode=False, now_ms=None, instances_factory=None):
    """Check the options, then (and only then) connect and converge.

    ``instances_factory(cas)`` builds the V2.0 client; by default it shares the CAS client's
    connection. With ``certificates`` every item is checked first, then each is converged in
    turn over the same clients.
    """
    if params.get("certificates") is not None:
        items = check_batch(params)
    else:
        items = [(None, check_options(params))]
    cas = cas_factory()
    instances = None
    if any(wanted["source"] != "package" for _name, wanted in items):
        instances = (instances_factory or (lambda client: CasInstancesClient(client.rpc)))(cas)
    ledger = None
    if params.get("ledger_path") and any(wanted["state"] == "present" for _name, wanted in items):
        # Held until the run ends: runs sharing the file take turns, so each sees what the
        # one before it placed, however far the lists lag.
        ledger = Ledger.open(params["ledger_path"], ledger_identity(cas, params.get("site")), check_mode)
    try:
        if items[0][0] is None:
            return _converge(cas, instances, items[0][1], check_mode, diff_mode, now_ms, ledger)
        return run_batch(items, cas, instances, check_mode, diff_mode, now_ms, ledger)
    finally:
        if ledger is not None:
            ledger.close()
