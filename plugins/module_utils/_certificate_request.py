# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""The logic of alicloud.cas.certificate_request, kept apart from AnsibleModule so it can be
tested with a fake CasClient."""

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
    normalize_order,
    normalize_state,
    split_chain,
    validate_type_of,
)
from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlibabaCloudError, ConfigurationError
from ansible_collections.alicloud.cas.plugins.module_utils._validation import (
    check_csr,
    check_email,
    check_phone,
    check_product_code,
    check_validate_type,
    normalize_domain,
)

CONTACT_OPTIONS = ("username", "email", "phone")


def check_options(params):
    """The options validated and normalised, before any API call.

    Contact fields are checked for format here when given; whether they are needed at
    all is only known once the existing orders have been read (see ensure_present).
    """
    domain = normalize_domain(params["domain"])
    product_code = params.get("product_code")
    if product_code is not None:
        check_product_code(domain, product_code)
    validate_type = params.get("validate_type") or "DNS"
    check_validate_type(domain, validate_type)
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
    csr = params.get("csr")
    if csr:
        check_csr(csr, domain)
    tags = {}
    for key, value in (params.get("tags") or {}).items():
        if not str(key).strip():
            raise ConfigurationError("tags must not have an empty key.", "tags")
        tags[str(key)] = "" if value is None else str(value)
    return {
        "state": params.get("state") or "present",
        "domain": domain,
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


def _why_not_issued(order_id, state, criteria):
    """Why the issued order cannot stand for the certificate asked for, or None when it can."""
    leaf = split_chain(state.get("Certificate"))[0]
    cert = _x509.load_pem_certificate(leaf) if leaf else None
    if cert is None:
        return "order %s is issued but CAS returned no certificate for it" % order_id
    if criteria.csr:
        if _x509.public_key_der(cert) != criteria.csr_key():
            return "the certificate of order %s is for another key than the csr" % order_id
    elif not state.get("PrivateKey"):
        # CAS returns PrivateKey only when it generated the key: this order came from a CSR,
        # whose key the task, asking for a CAS-generated one, does not have.
        return "order %s was issued for a CSR's key, and no csr is given (CAS is to generate the key)" % order_id
    not_after = _x509.validity(cert)[1]
    if _x509.renewal_due(not_after, criteria.renew_before_days, criteria.now):
        days = int((not_after - criteria.now).total_seconds() // 86400)
        return "the certificate of order %s expires in %d days, within renew_before_days (%d)" % (
            order_id, days, criteria.renew_before_days)
    return None


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


def check_create_inputs(wanted, reason):
    """What a create needs beyond the pre-call checks; still raised before any write."""
    missing = [option for option in CONTACT_OPTIONS if not wanted[option]]
    if missing:
        raise ConfigurationError(
            "A new order must be submitted for %s (%s), and that needs the applicant: set %s (missing: %s)."
            % (wanted["domain"], reason, ", ".join(CONTACT_OPTIONS), ", ".join(missing)), missing[0])
    if wanted["product_code"] is None:
        check_product_code(wanted["domain"], None)


def _state_fields(state, domain):
    view = normalize_state(state, domain)
    return {"status": view["status"], "status_meaning": view["status_meaning"], "validation": view["validation"]}


def _diff(before, after):
    return {"before": before or {}, "after": after or {}}


def ensure_present(cas, wanted, check_mode=False, diff_mode=False, now_ms=None):
    """Make sure an order for the domain exists that is in progress or issued and fresh."""
    if now_ms is None:
        now_ms = int(time.time() * 1000)
    now = datetime.datetime.fromtimestamp(now_ms / 1000.0, tz=datetime.timezone.utc)
    domain = wanted["domain"]
    all_orders = cas.orders_for_domain(domain)
    orders = _for_product(all_orders, wanted["product_code"])
    reusable, state, passed_over = (None, None, []) if wanted["force"] else find_reusable(
        cas, orders, _ReuseCriteria(wanted, now))

    if reusable is not None:
        order = normalize_order(reusable)
        result = dict(changed=False, order_id=reusable["OrderId"], order=order, **_state_fields(state, domain))
        if diff_mode:
            result["diff"] = _diff(order, order)
        return result

    reason = why_create(orders, wanted["force"], passed_over)
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
        result = dict(changed=True, order_id=None, order=predicted, status=None, status_meaning=None,
                      validation=None, request=request)
        if diff_mode:
            result["diff"] = _diff(before, predicted)
        return result

    created = cas.create(
        domain, wanted["email"], wanted["phone"], wanted["username"], wanted["validate_type"],
        product_code=wanted["product_code"], tags=wanted["tags"], csr=wanted["csr"],
        known_order_ids=[item.get("OrderId") for item in all_orders])
    order_id = created["order_id"]
    state = cas.describe_state(order_id)
    # A run that starts before the list shows this order would submit another one, so the
    # task ends only once the list shows it, or warns.
    listed = cas.wait_listed(domain, order_id)
    order = normalize_order(listed or {"OrderId": order_id, "Domain": domain, "ProductCode": wanted["product_code"]})
    result = dict(changed=True, order_id=order_id, order=order, request=request, **_state_fields(state, domain))
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


def run(params, cas_factory, check_mode=False, diff_mode=False, now_ms=None):
    """Check the options, then (and only then) connect and converge."""
    wanted = check_options(params)
    cas = cas_factory()
    if wanted["state"] == "absent":
        return ensure_absent(cas, wanted, check_mode, diff_mode)
    return ensure_present(cas, wanted, check_mode, diff_mode, now_ms)
