# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""The logic of the read-only CAS modules (certificate_request_info, certificate_order_info,
package_info), kept apart from AnsibleModule so it can be tested with a fake CasClient."""

from __future__ import annotations

import time

from ansible_collections.alicloud.cas.plugins.module_utils._cas import (
    FINAL_STATES,
    STATUS_MEANINGS,
    normalize_certificate_item,
    normalize_order,
    normalize_state,
    same_domain,
)
from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlicloudCasError, ConfigurationError
from ansible_collections.alicloud.cas.plugins.module_utils._validation import (
    PACKAGE_PRODUCT_CODES,
    base_domain,
    normalize_domain,
)

WAITABLE_STATES = ("domain_verify", "process", "certificate", "verify_fail", "payed")


class OrderNotFoundError(AlicloudCasError):
    """No order matches what the task asked for."""


class WaitError(AlicloudCasError):
    """A wait that ended without reaching a wanted state; the last state goes into the result."""

    def __init__(self, message, result):
        super().__init__(message)
        self.result = result

    def to_result(self):
        return dict(self.result)


def _positive(params, option, default):
    value = params.get(option)
    if value is None:
        value = default
    if value <= 0:
        raise ConfigurationError("%s must be more than 0, got %s." % (option, value), option)
    return value


def check_request_info_options(params):
    """The options of certificate_request_info, validated before any call."""
    order_id = params.get("order_id")
    domain = params.get("domain")
    if (order_id is None) == (domain is None):
        raise ConfigurationError("Give exactly one of order_id and domain.", "order_id")
    if order_id is not None and order_id <= 0:
        raise ConfigurationError("order_id must be a positive order number, got %s." % order_id, "order_id")
    wait_for = list(params.get("wait_for") or ["certificate"])
    unknown = [state for state in wait_for if state not in WAITABLE_STATES]
    if unknown:
        raise ConfigurationError("wait_for has unknown states %s; use some of %s." % (
            ", ".join(unknown), ", ".join(WAITABLE_STATES)), "wait_for")
    poll_interval = _positive(params, "poll_interval", 5)
    poll_interval_max = _positive(params, "poll_interval_max", 60)
    if poll_interval_max < poll_interval:
        raise ConfigurationError("poll_interval_max (%s) must not be less than poll_interval (%s)." % (
            poll_interval_max, poll_interval), "poll_interval_max")
    return {
        "order_id": order_id,
        "domain": normalize_domain(domain) if domain is not None else None,
        "wait": bool(params.get("wait")),
        "wait_for": wait_for,
        "wait_timeout": _positive(params, "wait_timeout", 900),
        "poll_interval": poll_interval,
        "poll_interval_max": poll_interval_max,
        "return_private_key": bool(params.get("return_private_key")),
    }


def _order_domain(item):
    try:
        return normalize_domain(item.get("Domain") or "")
    except ConfigurationError:
        return None


def locate_order(cas, order_id=None, domain=None):
    """The list item of the order asked for: by id, or the newest for a domain.

    By id, None is returned when the order is not in the CPACK list; it may still be
    described, only its domain is then unknown.
    """
    if domain is not None:
        orders = cas.orders_for_domain(domain)
        if not orders:
            raise OrderNotFoundError(
                "No certificate order of this account is for %s. Submit one with alicloud.cas.certificate_request."
                % domain)
        return orders[0]
    for item in cas.list_orders():
        if str(item.get("OrderId")) == str(order_id):
            return item
    return None


def _view(order_id, item, domain, state):
    view = {"changed": False, "order_id": order_id, "domain": domain,
            "order": normalize_order(item) if item else None}
    view.update(normalize_state(state, domain))
    return view


def request_info(params, cas_factory, clock=time.monotonic, sleep=time.sleep):
    """Describe one order, optionally polling (with a capped backoff) until it reaches a wanted state."""
    wanted = check_request_info_options(params)
    cas = cas_factory()
    item = locate_order(cas, wanted["order_id"], wanted["domain"])
    order_id = item["OrderId"] if item else wanted["order_id"]
    domain = wanted["domain"] or (_order_domain(item) if item else None)
    started = clock()
    interval = wanted["poll_interval"]
    polls = 0
    while True:
        state = cas.describe_state(order_id)
        polls += 1
        status = state.get("Type") or "unknow"
        if not wanted["wait"] or status in wanted["wait_for"]:
            break
        elapsed = clock() - started
        view = _view(order_id, item, domain, state)
        view.update(elapsed=round(elapsed, 1), polls=polls)
        if status == "verify_fail":
            raise WaitError(
                "Order %s%s failed: DescribeCertificateState says Type verify_fail (%s). Remove it with"
                " alicloud.cas.certificate_request state=absent and submit a new one, or add verify_fail to"
                " wait_for to accept this state." % (order_id, _for(domain), STATUS_MEANINGS["verify_fail"]), view)
        if status in FINAL_STATES:
            raise WaitError(
                "Order %s%s reached status %s (%s), which it will not leave by itself, while waiting for %s."
                % (order_id, _for(domain), status, STATUS_MEANINGS[status], ", ".join(wanted["wait_for"])), view)
        remaining = wanted["wait_timeout"] - elapsed
        if remaining <= 0:
            raise WaitError(
                "Timed out after %d s (wait_timeout) waiting for order %s%s to reach %s; its last status is %s"
                " (%s). The result holds that last state." % (
                    wanted["wait_timeout"], order_id, _for(domain), ", ".join(wanted["wait_for"]), status,
                    STATUS_MEANINGS.get(status, STATUS_MEANINGS["unknow"])), view)
        sleep(min(interval, remaining))
        interval = min(interval * 2, wanted["poll_interval_max"])
    result = _view(order_id, item, domain, state)
    result.update(elapsed=round(clock() - started, 1), polls=polls)
    if wanted["return_private_key"]:
        result["private_key"] = state.get("PrivateKey")
    return result


def _for(domain):
    return " for %s" % domain if domain else ""


def order_info(params, cas_factory):
    """Every order (all pages) matching the filters, normalised."""
    domain = params.get("domain")
    keyword = params.get("keyword")
    if domain is not None and keyword is not None:
        raise ConfigurationError("Give at most one of domain and keyword.", "domain")
    if domain is not None:
        domain = normalize_domain(domain)
    order_type = params.get("order_type") or "CPACK"
    cas = cas_factory()
    items = cas.list_orders(keyword=base_domain(domain) if domain else keyword,
                            status=params.get("status"), order_type=order_type)
    certificates = order_type in ("CERT", "UPLOAD")
    if domain is not None:
        items = [item for item in items if _item_names_domain(item, domain, certificates)]
    normalize = normalize_certificate_item if certificates else normalize_order
    return {"changed": False, "orders": [normalize(item) for item in items]}


def _item_names_domain(item, domain, certificate):
    if not certificate:
        return same_domain(item.get("Domain"), domain)
    names = [item.get("CommonName")] + (item.get("Sans") or "").split(",")
    return any(same_domain(name.strip(), domain) for name in names if name and name.strip())


def package_info(params, cas_factory):
    """Quota of each asked product code (all known codes by default)."""
    codes = []
    for code in params.get("product_codes") or PACKAGE_PRODUCT_CODES:
        if code not in codes:
            codes.append(code)
    cas = cas_factory()
    return {"changed": False, "packages": [cas.package_state(code) for code in codes]}
