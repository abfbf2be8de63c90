# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""CAS 2020-04-07 operations with normalised results."""

from __future__ import annotations

import datetime
import re

from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlibabaCloudError, ConfigurationError
from ansible_collections.alicloud.cas.plugins.module_utils._validation import base_domain, normalize_domain

try:
    from cryptography import x509
    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover
    HAS_CRYPTOGRAPHY = False

try:
    import idna
    HAS_IDNA = True
except ImportError:  # pragma: no cover - requests depends on idna
    HAS_IDNA = False

PAGE_SIZE = 50

# DescribeCertificateState Type values and what they mean to a person.
STATUS_MEANINGS = {
    "domain_verify": "waiting for domain validation: publish the validation record or file",
    "process": "validation passed; the CA is reviewing and issuing the certificate",
    "certificate": "the certificate is issued",
    "verify_fail": "the CA's review failed; delete the order and submit a new one",
    "payed": "pending application: the order was withdrawn or not yet submitted",
    "unknow": "unknown state",
}
IN_PROGRESS_STATES = ("domain_verify", "process")
# States an order never leaves by itself, so waiting for another one is pointless.
FINAL_STATES = ("certificate", "verify_fail", "payed")

# ListUserCertificateOrder Status values, grouped by what certificate_request does with them.
LIST_IN_PROGRESS = ("CHECKING",)
LIST_ISSUED = ("ISSUED", "WILLEXPIRED")
LIST_WITHDRAWABLE = ("CHECKING", "CHECKED_FAIL", "PAYED")
LIST_STATUSES = ("PAYED", "CHECKING", "CHECKED_FAIL", "ISSUED", "WILLEXPIRED", "EXPIRED", "NOTACTIVATED", "REVOKED")
LIST_ORDER_TYPES = ("CPACK", "BUY", "UPLOAD", "CERT")

_PEM_BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


def iso_from_ms(value):
    """ISO 8601 UTC from a millisecond epoch, or None."""
    if value in (None, "", 0):
        return None
    return datetime.datetime.fromtimestamp(int(value) / 1000.0, tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def normalize_order(item):
    """A CPACK/BUY ListUserCertificateOrder item in the collection's snake_case shape."""
    return {
        "order_id": item.get("OrderId"),
        "domain": item.get("Domain"),
        "product_code": item.get("ProductCode"),
        "product_name": item.get("ProductName"),
        "status": item.get("Status"),
        "cert_type": item.get("CertType"),
        "domain_type": item.get("DomainType"),
        "instance_id": item.get("InstanceId"),
        "buy_date": iso_from_ms(item.get("BuyDate")),
        "cert_start_time": iso_from_ms(item.get("CertStartTime")),
        "cert_end_time": iso_from_ms(item.get("CertEndTime")),
    }


def normalize_certificate_item(item):
    """A CERT/UPLOAD ListUserCertificateOrder item (an issued or uploaded certificate)."""
    sans = item.get("Sans")
    return {
        "certificate_id": item.get("CertificateId"),
        "name": item.get("Name"),
        "common_name": item.get("CommonName"),
        "sans": [name.strip() for name in sans.split(",") if name.strip()] if sans else [],
        "issuer": item.get("Issuer"),
        "start_date": item.get("StartDate"),
        "end_date": item.get("EndDate"),
        "expired": item.get("Expired"),
        "upload": item.get("Upload"),
        "fingerprint": item.get("Fingerprint"),
        "serial_no": item.get("SerialNo"),
        "instance_id": item.get("InstanceId"),
    }


def days_left(item, now_ms):
    """Whole days until the certificate of an order item expires (negative once expired), or None."""
    end = item.get("CertEndTime")
    if not end:
        return None
    return (int(end) - now_ms) // 86400000


def validation_fqdn(record_domain, domain):
    """The full name of the DNS validation record.

    CAS documents RecordDomain as a host record, but not relative to what: ``_dnsauth``
    (relative to the certificate's domain) and ``_dnsauth.www`` (relative to the zone
    example.com) both name ``_dnsauth.www.example.com`` for www.example.com. Both forms
    are recognised: if the labels after the first one are the leading labels of the
    domain, the record is zone-relative.
    """
    if not domain:
        return None
    record = record_domain.rstrip(".").lower()
    base = base_domain(domain)
    if record == base or record.endswith("." + base):
        return record
    rest = record.partition(".")[2]
    if rest and base.startswith(rest + "."):
        return "%s.%s" % (record, base[len(rest) + 1:])
    return "%s.%s" % (record, base)


def validation_from_state(state, domain):
    """The validation instructions of a DescribeCertificateState answer, or None."""
    if state.get("Type") != "domain_verify":
        return None
    if (state.get("ValidateType") or "DNS").upper() == "FILE":
        host = state.get("Domain") or (base_domain(domain) if domain else None)
        uri = state.get("Uri") or ""
        if uri and not uri.startswith("/"):
            uri = "/" + uri
        return {
            "method": "FILE",
            "domain": host,
            "uri": uri,
            "content": state.get("Content"),
            "url": "http://%s%s" % (host, uri) if host else None,
        }
    record = state.get("RecordDomain") or ""
    return {
        "method": "DNS",
        "record_type": state.get("RecordType") or "TXT",
        "record": record,
        "fqdn": validation_fqdn(record, domain) if record else None,
        "value": state.get("RecordValue"),
    }


def split_chain(pem):
    """(leaf, chain, fullchain) PEM strings from CAS's Certificate field."""
    blocks = _PEM_BLOCK.findall(pem or "")
    if not blocks:
        return None, None, None
    leaf = blocks[0] + "\n"
    chain = "".join(block + "\n" for block in blocks[1:]) or None
    return leaf, chain, "".join(block + "\n" for block in blocks)


def certificate_dates(leaf_pem):
    """(not_before, not_after) of a PEM certificate as ISO 8601 UTC strings."""
    if not leaf_pem or not HAS_CRYPTOGRAPHY:
        return None, None
    cert = x509.load_pem_x509_certificate(leaf_pem.encode("ascii"))
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    # The *_utc properties appeared in cryptography 42; targets may run an older one.
    not_before = getattr(cert, "not_valid_before_utc", None) or cert.not_valid_before
    not_after = getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after
    return not_before.strftime(fmt), not_after.strftime(fmt)


def normalize_state(state, domain=None):
    """A DescribeCertificateState answer as returned by the modules (private key excluded).

    Without ``domain`` the DNS validation record cannot be anchored, so its fqdn is None.
    """
    status = state.get("Type") or "unknow"
    leaf, chain, fullchain = split_chain(state.get("Certificate"))
    not_before, not_after = certificate_dates(leaf)
    return {
        "status": status,
        "status_meaning": STATUS_MEANINGS.get(status, STATUS_MEANINGS["unknow"]),
        "validation": validation_from_state(state, domain),
        "certificate": leaf,
        "chain": chain,
        "fullchain": fullchain,
        "not_before": not_before,
        "not_after": not_after,
        "cert_id": state.get("CertId"),
    }


def same_domain(order_domain, domain):
    """Exact, case-insensitive match of an order's domain, IDN compared in punycode."""
    if not order_domain:
        return False
    try:
        return normalize_domain(order_domain) == domain
    except ConfigurationError:  # an order for a name we would refuse is not ours to manage
        return False


def search_keywords(name):
    """The punycode name, then its Unicode spelling when it differs."""
    keywords = [name]
    if HAS_IDNA and "xn--" in name:
        try:
            keywords.append(idna.decode(name))
        except idna.IDNAError:
            pass  # not decodable: the punycode search is all there is
    return keywords


class CasClient:
    """The CAS actions the collection uses, over an RpcClient."""

    def __init__(self, rpc):
        self.rpc = rpc

    def list_orders(self, keyword=None, status=None, order_type="CPACK"):
        """Every order matching the filters, all pages read."""
        orders = []
        page = 1
        while True:
            answer = self.rpc.call("ListUserCertificateOrder", {
                "OrderType": order_type, "Status": status, "Keyword": keyword,
                "CurrentPage": page, "ShowSize": PAGE_SIZE,
            })
            items = answer.get("CertificateOrderList") or []
            orders.extend(items)
            total = int(answer.get("TotalCount") or 0)
            if not items or len(orders) >= total:
                return orders
            page += 1

    def orders_for_domain(self, domain):
        """This account's orders for exactly ``domain``, newest first.

        The service's keyword search is a substring match on the domain as it was stored,
        which for an internationalised name may be either spelling: both are searched.
        """
        found = {}
        for keyword in search_keywords(base_domain(domain)):
            for item in self.list_orders(keyword=keyword):
                if same_domain(item.get("Domain"), domain):
                    found[item.get("OrderId")] = item
        return sorted(found.values(), key=lambda item: (item.get("BuyDate") or 0, item.get("OrderId") or 0), reverse=True)

    def create(self, domain, email, phone, username, validate_type, product_code=None, tags=None, csr=None,
               known_order_ids=None):
        """Submit a DV request, never creating two orders; returns ``{"order_id", "adopted"}``.

        If the answer is lost (network error, timeout, 5xx), the orders for the domain
        are listed again and an order not among ``known_order_ids`` (the orders that
        existed before; listed here when not given) is adopted instead of submitting
        again. ``adopted`` tells the caller that happened.
        """
        if known_order_ids is None:
            known_order_ids = [item.get("OrderId") for item in self.orders_for_domain(domain)]
        known = set(known_order_ids)
        params = {
            "Email": email, "Phone": phone, "Username": username,
            "ValidateType": validate_type, "ProductCode": product_code,
        }
        if csr:
            action = "CreateCertificateWithCsrRequest"
            params["Csr"] = csr
        else:
            action = "CreateCertificateRequest"
            params["Domain"] = domain
        for index, (key, value) in enumerate(sorted((tags or {}).items()), start=1):
            params["Tags.%d.Key" % index] = key
            params["Tags.%d.Value" % index] = value

        def adopt_lost_order():
            fresh = [item for item in self.orders_for_domain(domain) if item.get("OrderId") not in known]
            return {"OrderId": fresh[0]["OrderId"], "Adopted": True} if fresh else None

        answer = self.rpc.call(action, params, reconcile=adopt_lost_order)
        return {"order_id": answer["OrderId"], "adopted": bool(answer.get("Adopted"))}

    def describe_state(self, order_id):
        return self.rpc.call("DescribeCertificateState", {"OrderId": order_id})

    def cancel(self, order_id):
        self.rpc.call("CancelOrderRequest", {"OrderId": order_id})

    def delete(self, order_id):
        """Delete an order request; True if it was deleted now, False if it was already gone."""
        try:
            self.rpc.call("DeleteCertificateRequest", {"OrderId": order_id})
        except AlibabaCloudError as error:
            if error.code == "NotFoundOrder":
                return False
            raise
        return True

    def package_state(self, product_code):
        """Quota of one product code; a code the account never bought reads as all zeros."""
        try:
            answer = self.rpc.call("DescribePackageState", {"ProductCode": product_code})
        except AlibabaCloudError as error:
            if error.code != "NotFoundPackage":
                raise
            answer = {}
        total = int(answer.get("TotalCount") or 0)
        used = int(answer.get("UsedCount") or 0)
        return {
            "product_code": answer.get("ProductCode") or product_code,
            "has_package": total > 0,
            "total": total,
            "used": used,
            "issued": int(answer.get("IssuedCount") or 0),
            "remaining": max(total - used, 0),
        }
