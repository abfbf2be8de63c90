# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""The logic of alicloud.cas.certificate_request, kept apart from AnsibleModule so it can be
tested with a fake CasClient."""

from __future__ import annotations

import time

from ansible_collections.alicloud.cas.plugins.module_utils._cas import (
    IN_PROGRESS_STATES,
    LIST_IN_PROGRESS,
    LIST_ISSUED,
    LIST_WITHDRAWABLE,
    days_left,
    normalize_order,
    normalize_state,
)
from ansible_collections.alicloud.cas.plugins.module_utils._errors import ConfigurationError
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


def find_reusable(cas, orders, renew_before_days, now_ms):
    """The newest order that makes a new one unnecessary, with its state; (None, None) if none.

    An order still in progress counts, and so does an issued one that is not expiring
    within ``renew_before_days``. The list's Status can lag behind, so an in-progress
    order is confirmed with DescribeCertificateState.
    """
    for item in orders:
        status = item.get("Status")
        if status in LIST_IN_PROGRESS:
            state = cas.describe_state(item["OrderId"])
            # "certificate" here means it was issued since the list was built: fresh, so reusable.
            if state.get("Type") in IN_PROGRESS_STATES + ("certificate",):
                return item, state
        elif status in LIST_ISSUED:
            left = days_left(item, now_ms)
            if left is None or left > renew_before_days:
                return item, cas.describe_state(item["OrderId"])
    return None, None


def why_create(orders, force, renew_before_days, now_ms):
    """A short reason for submitting a new order, shown in the result."""
    if force:
        return "force is true"
    if not orders:
        return "no order exists for the domain"
    newest = orders[0]
    left = days_left(newest, now_ms)
    if newest.get("Status") in LIST_ISSUED and left is not None:
        return "the certificate of order %s expires in %d days, within renew_before_days (%d)" % (
            newest.get("OrderId"), left, renew_before_days)
    return "the newest order (%s) is %s" % (newest.get("OrderId"), newest.get("Status"))


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
    domain = wanted["domain"]
    all_orders = cas.orders_for_domain(domain)
    orders = _for_product(all_orders, wanted["product_code"])
    reusable, state = (None, None) if wanted["force"] else find_reusable(cas, orders, wanted["renew_before_days"], now_ms)

    if reusable is not None:
        order = normalize_order(reusable)
        result = dict(changed=False, order_id=reusable["OrderId"], order=order, **_state_fields(state, domain))
        if diff_mode:
            result["diff"] = _diff(order, order)
        return result

    reason = why_create(orders, wanted["force"], wanted["renew_before_days"], now_ms)
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
    listed = [item for item in cas.orders_for_domain(domain) if item.get("OrderId") == order_id]
    # The list may lag behind a fresh create; what we sent is then the best description.
    order = normalize_order(listed[0] if listed else {
        "OrderId": order_id, "Domain": domain, "ProductCode": wanted["product_code"]})
    result = dict(changed=True, order_id=order_id, order=order, request=request, **_state_fields(state, domain))
    if created["adopted"]:
        result["warnings"] = [
            "The answer to %s was lost; order %s, which that request had created, was adopted instead of"
            " submitting again." % (action, order_id)]
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
    withdrawn, kept, warnings = [], [], []
    for item in orders:
        if item.get("Status") not in LIST_WITHDRAWABLE:
            if item.get("Status") in LIST_ISSUED:
                warnings.append(_issued_warning(item))
            kept.append(item)
            continue
        kind = cas.describe_state(item["OrderId"]).get("Type")
        if kind == "certificate":
            warnings.append(_issued_warning(item))
            kept.append(item)
            continue
        if kind not in IN_PROGRESS_STATES + ("verify_fail", "payed"):
            warnings.append("Order %s for %s is in state %r, which CAS does not let a request be withdrawn from;"
                            " it was left alone." % (item.get("OrderId"), item.get("Domain"), kind))
            kept.append(item)
            continue
        if not check_mode:
            # CAS deletes only failed or not-yet-submitted requests: withdraw pending ones first.
            if kind in IN_PROGRESS_STATES:
                cas.cancel(item["OrderId"])
            cas.delete(item["OrderId"])
        withdrawn.append(item)
    result = {
        "changed": bool(withdrawn),
        "withdrawn": [normalize_order(item) for item in withdrawn],
        "kept": [normalize_order(item) for item in kept],
        "warnings": warnings,
    }
    if diff_mode:
        result["diff"] = _diff({"orders": [normalize_order(item) for item in orders]},
                               {"orders": result["kept"]})
    return result


def run(params, cas_factory, check_mode=False, diff_mode=False, now_ms=None):
    """Check the options, then (and only then) connect and converge."""
    wanted = check_options(params)
    cas = cas_factory()
    if wanted["state"] == "absent":
        return ensure_absent(cas, wanted, check_mode, diff_mode)
    return ensure_present(cas, wanted, check_mode, diff_mode, now_ms)
