# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""CAS 2020-04-07 operations with normalised results."""

from __future__ import annotations

import datetime
import posixpath
import re
import time

from ansible_collections.alicloud.cas.plugins.module_utils import _x509
from ansible_collections.alicloud.cas.plugins.module_utils._errors import (
    AlibabaCloudError,
    AlicloudCasError,
    ConfigurationError,
    is_permission_error,
)
from ansible_collections.alicloud.cas.plugins.module_utils._transport import RetryPolicy
from ansible_collections.alicloud.cas.plugins.module_utils._paging import read_all_pages
from ansible_collections.alicloud.cas.plugins.module_utils._validation import (
    base_domain,
    normalize_domain,
    product_refusal,
    unicode_name,
)

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
# One vocabulary for both CAS flows, so that playbooks and the role read ``phase`` and never
# a flow's own status names. _cas_instances maps V2.0 instance states onto the same phases.
PHASE_MEANINGS = {
    "inactive": "the instance is unused: no application has been submitted on it",
    "validating": "waiting for domain validation: publish the validation records",
    "reviewing": "submitted; the CA is checking it and shows no records to publish right now",
    "issued": "the certificate is issued",
    "withdrawn": "the application was withdrawn; it holds no certificate",
    "failed": "no usable certificate: the review failed, or it was revoked or expired, or the instance"
              " expired, was refunded or closed",
    "unknown": "unknown state",
}
ORDER_PHASES = {
    "domain_verify": "validating",
    "process": "reviewing",
    "certificate": "issued",
    "verify_fail": "failed",
    "payed": "withdrawn",
}
IN_PROGRESS_STATES = ("domain_verify", "process")
# States an order never leaves by itself, so waiting for another one is pointless.
FINAL_STATES = ("certificate", "verify_fail", "payed")
# States from which DeleteCertificateRequest removes an order.
DELETABLE_STATES = ("verify_fail", "payed")

# ListUserCertificateOrder Status values. Which one a fresh order is listed with (CHECKING
# or PAYED, "pending application") is UNCONFIRMED, and a list may trail the orders' real
# state, so the list only rules out orders that can never become usable again: expired,
# revoked, and failed ones (a failed order is only deleted, never resumed). Every other
# status, unknown ones included, is decided on DescribeCertificateState's Type.
LIST_FINAL = ("EXPIRED", "REVOKED", "CHECKED_FAIL")
# An issued certificate stays issued, whatever the list's lag.
LIST_ISSUED = ("ISSUED", "WILLEXPIRED")
LIST_STATUSES = ("PAYED", "CHECKING", "CHECKED_FAIL", "ISSUED", "WILLEXPIRED", "EXPIRED", "NOTACTIVATED", "REVOKED")
LIST_ORDER_TYPES = ("CPACK", "BUY", "UPLOAD", "CERT")

# Where FILE validation content must be served (CA/Browser Forum, section 3.2.2.4.18).
FILE_VALIDATION_PREFIX = "/.well-known/pki-validation/"

# An order adopted after a lost create must have been bought after the create started. Its
# BuyDate is stamped by CAS's clock and compared with this host's, so a little skew is
# allowed. A host whose clock runs ahead by more finds nothing, fails safely, and its next
# run reuses the order; a wider window would let it take another host's order placed
# just before its own.
ADOPTION_CLOCK_SKEW_SECONDS = 60


class OrderOutcomeUnknownError(AlibabaCloudError):
    """A create whose answer was lost, and whose order the list never showed: it may exist."""

    def to_result(self):
        result = super().to_result()
        result["order_may_exist"] = True
        return result


class UnsafeValidationPathError(AlicloudCasError):
    """A FILE validation path from the API that would lead outside the validation directory."""


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


def validation_path(uri):
    """The FILE validation path of the API, refused unless it names a file directly in
    /.well-known/pki-validation/: callers write it under a web root."""
    path = uri if uri.startswith("/") else "/" + uri
    segments = path.split("/")
    unsafe = (
        not path.startswith(FILE_VALIDATION_PREFIX)
        or any(segment in ("..", ".") for segment in segments)
        or posixpath.normpath(path) != path
        or any(char in path for char in "\\%?#\x00")
        or len(segments) != FILE_VALIDATION_PREFIX.count("/") + 1
    )
    if unsafe:
        raise UnsafeValidationPathError(
            "CAS asked for the FILE validation content at %r, which is not a file name directly under %s;"
            " it was not used. Serve the file by hand after checking the order in the CAS console, or use"
            " validate_type=DNS." % (uri, FILE_VALIDATION_PREFIX))
    return path


def file_validation(host, uri, content):
    """FILE validation instructions, in the shape both CAS flows return; the path is checked."""
    path = validation_path(uri)
    return {
        "method": "FILE",
        "domain": host,
        "uri": path,
        "content": content,
        "url": "http://%s%s" % (host, path) if host else None,
    }


def validation_from_state(state, domain):
    """The validation instructions of a DescribeCertificateState answer, or None."""
    if state.get("Type") != "domain_verify":
        return None
    if validate_type_of(state) == "FILE":
        host = state.get("Domain") or (base_domain(domain) if domain else None)
        return file_validation(host, state.get("Uri") or "", state.get("Content"))
    record = state.get("RecordDomain") or ""
    return {
        "method": "DNS",
        "record_type": state.get("RecordType") or "TXT",
        "record": record,
        "fqdn": validation_fqdn(record, domain) if record else None,
        "value": state.get("RecordValue"),
    }


def validate_type_of(state):
    """The validation method of a pending order; CAS names it only in domain_verify, DNS by default."""
    return (state.get("ValidateType") or "DNS").upper()


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
    if not leaf_pem or _x509.cryptography_import_error() is not None:
        return None, None
    cert = _x509.load_pem_certificate(leaf_pem)
    if cert is None:
        return None, None
    not_before, not_after = _x509.validity(cert)
    return _x509.iso(not_before), _x509.iso(not_after)


def certificate_ids(certificate_id=None, identifier=None):
    """The ids of an issued certificate under the collection's names: ``certificate_id``, CAS's
    numeric id as an int (None when there is none), and ``certificate_identifier``, CAS's
    ``CertIdentifier`` (``<id>-<region>``) exactly as CAS gave it. Its region depends on the
    CAS site, so it is always read from CAS, never built here."""
    return {
        "certificate_id": certificate_id_of(certificate_id),
        "certificate_identifier": identifier or None,
    }


def certificate_id_of(value):
    """A CAS certificate id as an int: DescribeCertificateState sends ``CertId`` and
    ListCertificates ``CertificateId`` as strings, GetInstanceDetail an int. None for no id."""
    if value in (None, "", 0, "0"):
        return None
    return int(value)


def normalize_state(state, domain=None):
    """A DescribeCertificateState answer as returned by the modules (private key excluded).

    Without ``domain`` the DNS validation record cannot be anchored, so its fqdn is None.
    """
    status = state.get("Type") or "unknow"
    leaf, chain, fullchain = split_chain(state.get("Certificate"))
    not_before, not_after = certificate_dates(leaf)
    phase = ORDER_PHASES.get(status, "unknown")
    return {
        "status": status,
        "status_meaning": STATUS_MEANINGS.get(status, STATUS_MEANINGS["unknow"]),
        "phase": phase,
        "phase_meaning": PHASE_MEANINGS[phase],
        "validation": validation_from_state(state, domain),
        "certificate": leaf,
        "chain": chain,
        "fullchain": fullchain,
        "not_before": not_before,
        "not_after": not_after,
        # Deprecated, removed in 1.0.0: the string CertId, kept as it was beside certificate_id.
        "cert_id": state.get("CertId"),
        # The identifier is not in DescribeCertificateState: CasClient.certificate_identifier reads it.
        **certificate_ids(state.get("CertId") if status == "certificate" else None)
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
    spelled = unicode_name(name)  # None when not decodable: the punycode search is all there is
    if spelled and spelled != name:
        keywords.append(spelled)
    return keywords


class CasClient:
    """The CAS actions the collection uses, over an RpcClient.

    ``clock`` is the wall clock (epoch seconds) that an adopted order's BuyDate is checked against.
    """

    def __init__(self, rpc, clock=time.time):
        self.rpc = rpc
        self._clock = clock
        # What the caller should hear about without the task failing; the module glue shows them.
        self.warnings = []

    def list_orders(self, keyword=None, status=None, order_type="CPACK"):
        """Every order matching the filters, all pages read."""
        return read_all_pages(
            lambda page: self.rpc.call("ListUserCertificateOrder", {
                "OrderType": order_type, "Status": status, "Keyword": keyword,
                "CurrentPage": page, "ShowSize": PAGE_SIZE,
            }),
            lambda answer: answer.get("CertificateOrderList") or [],
            key=lambda item: item.get("OrderId"))

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

        The request is sent again only if it never reached the service. If its answer is
        lost otherwise (read timeout, dropped connection, 5xx), the orders for the domain
        are read again over the retry policy's confirmation window, and an order bought
        since this call started and not among ``known_order_ids`` (the orders that existed
        before; listed here when not given) is adopted; ``adopted`` tells the caller. If none
        shows up, OrderOutcomeUnknownError says so: the next run finds the order if it exists.
        """
        started = self._clock()
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
        bought_since_ms = (started - ADOPTION_CLOCK_SKEW_SECONDS) * 1000

        def adopt_lost_order():
            # An order without a BuyDate cannot be shown to be this call's, so it is not taken.
            fresh = [item for item in self.orders_for_domain(domain)
                     if item.get("OrderId") not in known and int(item.get("BuyDate") or 0) >= bought_since_ms
                     and (product_code is None or item.get("ProductCode") == product_code)]
            return {"OrderId": fresh[0]["OrderId"], "Adopted": True} if fresh else None

        try:
            answer = self.rpc.call(action, params, reconcile=adopt_lost_order)
        except AlibabaCloudError as error:
            if not RetryPolicy.may_have_been_applied(error):
                raise product_refusal(error, domain, product_code) or error
            raise OrderOutcomeUnknownError(
                "The answer to %s for %s was lost (%s), and the order list still showed no new order after"
                " waiting for it. The order may have been created and its quota spent: do not submit it by"
                " hand. Run the task again later; it reuses the order once the list shows it, and submits one"
                " only if none exists." % (action, domain, error.message),
                code=error.code, request_id=error.request_id, http_status=error.http_status, action=action,
                attempts=error.attempts) from error
        return {"order_id": answer["OrderId"], "adopted": bool(answer.get("Adopted"))}

    def wait_listed(self, domain, order_id):
        """The list item of a new order, read until the list shows it (it may trail the create); or None."""
        def listed():
            return next((item for item in self.orders_for_domain(domain) if item.get("OrderId") == order_id), None)
        return self.rpc.poll(listed)

    def describe_state(self, order_id):
        return self.rpc.call("DescribeCertificateState", {"OrderId": order_id})

    def cancel(self, order_id):
        """Withdraw a pending request; an order found already withdrawn counts as done.

        A retried cancel whose first answer was lost meets OrderStateError, because the
        first one did its work: the order's state, not the error, decides.
        """
        try:
            self.rpc.call("CancelOrderRequest", {"OrderId": order_id})
        except AlibabaCloudError as error:
            if error.code != "OrderStateError" or self.describe_state(order_id).get("Type") != "payed":
                raise

    def delete(self, order_id):
        """Delete an order request; True if it was deleted now, False if it was already gone."""
        try:
            self.rpc.call("DeleteCertificateRequest", {"OrderId": order_id})
        except AlibabaCloudError as error:
            if error.code == "NotFoundOrder":
                return False
            raise
        return True

    def withdraw(self, order_id, pending):
        """Cancel (when ``pending``) and delete an order; False if it was already gone.

        Whether CAS applies a cancel before answering it is UNCONFIRMED (the emulator's
        cancel_mode switch tests both): if the delete finds the order still pending, the
        order is described until the cancel shows, then deleted.
        """
        if pending:
            self.cancel(order_id)
        try:
            return self.delete(order_id)
        except AlibabaCloudError as error:
            if not pending or error.code != "OrderStateError":
                raise
            refused = error

        def cancelled():
            try:
                kind = self.describe_state(order_id).get("Type")
            except AlibabaCloudError as error:
                if error.code == "NotFoundOrder":
                    return "gone"
                raise
            return kind if kind in DELETABLE_STATES else None

        outcome = self.rpc.poll(cancelled)
        if outcome is None:
            raise refused
        return outcome != "gone" and self.delete(order_id)

    def certificate_identifier(self, cert_id):
        """The ``CertIdentifier`` of an issued V1.0 order's certificate, by the ``CertId`` that
        DescribeCertificateState gave, or None when CAS does not know it (yet).

        One GetUserCertificateDetail with CertFilter=true, which leaves out the certificate
        and the key: DescribeCertificateState already gave both, and no other V1.0 answer
        carries the identifier, whose region part depends on the site."""
        try:
            answer = self.rpc.call("GetUserCertificateDetail", {"CertId": cert_id, "CertFilter": "true"})
        except AlibabaCloudError as error:
            if error.code == "NotFound":
                return None
            if not is_permission_error(error):
                raise
            # Issuing and downloading never needed this action before the identifier was
            # returned: a RAM policy written for them must keep working.
            warning = ("certificate_identifier is null: the RAM policy does not allow"
                       " yundun-cert:GetUserCertificateDetail (%s). Grant it to get the identifier; deploying"
                       " the certificate with alicloud.cas.certificate_deployment needs it too." % error.code)
            if warning not in self.warnings:
                self.warnings.append(warning)
            return None
        return answer.get("CertIdentifier") or None

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
