# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""CAS 2020-04-07, the V2.0 flow: applications on subscription instances, with normalised results.

An instance is bought (console or BSS); a certificate is obtained on it with UpdateInstance
(the application), ApplyCertificate, GetInstanceDetail (validation records, then the
certificate id) and GetUserCertificateDetail (the PEM). The V1.0 order calls stay in _cas.
"""

from __future__ import annotations

import datetime
import time
import uuid

from ansible_collections.alicloud.cas.plugins.module_utils import _x509
from ansible_collections.alicloud.cas.plugins.module_utils._cas import (
    FILE_VALIDATION_PREFIX,
    PHASE_MEANINGS,
    OrderOutcomeUnknownError,
    certificate_id_of,
    file_validation,
    split_chain,
)
from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlibabaCloudError
from ansible_collections.alicloud.cas.plugins.module_utils._paging import read_all_pages
from ansible_collections.alicloud.cas.plugins.module_utils._transport import RetryPolicy

PAGE_SIZE = 50  # as Terraform's data source; the documented maximum is 100
FILE_VALIDATION_URI = FILE_VALIDATION_PREFIX + "fileauth.txt"
# A value above this is in milliseconds: 10**11 s is in the year 5138, 10**11 ms in 1973.
MILLISECONDS_THRESHOLD = 10 ** 11
UPDATE_PROTECTION = "InvalidStatus.UpdateProtection"
STATUS_NOT_SUPPORTED = "OperationDenied.StatusNotSupport"
CLIENT_TOKEN_LENGTH = 64

ISSUED_CERTIFICATE_STATUSES = ("issued", "willExpire")
FAILED_CERTIFICATE_STATUSES = ("revoked", "expired")
GONE_INSTANCE_STATUSES = ("refund", "closed")


def iso_from_epoch(value):
    """ISO 8601 UTC from an epoch in seconds or milliseconds, or None.

    The unit is UNCONFIRMED: the API text says seconds, every documented example is in
    milliseconds. Both are read, telling them apart by size.
    """
    if value in (None, "", 0, "0"):
        return None
    number = int(value)
    seconds = number / 1000.0 if number > MILLISECONDS_THRESHOLD else float(number)
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def split_names(domain):
    """The names of a comma-separated Domain field, lower-cased, in order."""
    return [name.strip().lower() for name in (domain or "").split(",") if name.strip()]


def new_client_token(action):
    """A ClientToken for one module run's ``action``, shaped like Terraform's (at most 64 characters).

    Whether the service honours it is UNCONFIRMED, so callers still decide from a fresh
    read after a lost answer; the token only helps where the service does honour it.
    """
    return ("alicloud.cas-%s-%d-%s" % (action, int(time.time()), uuid.uuid4().hex))[:CLIENT_TOKEN_LENGTH]


def validation_from_item(item):
    """One DomainValidationList item in the shape of the V1.0 ``validation``."""
    kind = (item.get("ValidationType") or "TXT").upper()
    domain = (item.get("Domain") or "").lower() or None
    key = item.get("ValidationKey") or ""
    if kind in ("HTTP", "FILE"):  # P1 says HTTP, Terraform's docs FILE: both are read
        host = domain[2:] if domain and domain.startswith("*.") else domain
        return file_validation(host, _validation_uri(key), item.get("ValidationValue"))
    zone = (item.get("RootDomain") or "").lower().rstrip(".") or None
    return {
        "method": "DNS",
        "record_type": kind,
        "record": key,
        "fqdn": _record_fqdn(key, zone),
        "value": item.get("ValidationValue"),
        "domain": domain,
        "zone": zone,
    }


def _record_fqdn(key, zone):
    """The record's full name. Terraform publishes it as RR ``ValidationKey`` in zone ``RootDomain``."""
    if not zone:
        return None
    record = key.rstrip(".").lower()
    if record in ("", "@"):
        return zone
    if record == zone or record.endswith("." + zone):
        return record
    return "%s.%s" % (record, zone)


def _validation_uri(key):
    """The file path of HTTP validation. UNCONFIRMED how ValidationKey carries it: a URL, a path or a file name."""
    if "://" in key:
        key = "/" + key.split("://", 1)[1].partition("/")[2]
    if key.startswith("/"):
        return key
    if key:
        return FILE_VALIDATION_PREFIX + key
    return FILE_VALIDATION_URI


def validations_from_detail(detail):
    """One validation per name from GetInstanceDetail, or [] when the service lists none."""
    return [validation_from_item(item) for item in detail.get("DomainValidationList") or []]


def instance_phase(body, detailed=True):
    """The collection's phase of an instance, the same vocabulary for both flows.

    ``detailed`` says ``body`` is a GetInstanceDetail answer. A ListInstances item never
    carries validation records, so a pending instance there is ``validating``. In a detail,
    a pending instance without records is ``reviewing``: that is the CA review after
    validation, and also the first seconds after ApplyCertificate (UNCONFIRMED which
    records, if any, the real service shows during review).
    """
    status = body.get("Status") or ""
    certificate_status = body.get("CertificateStatus") or ""
    if status == "pending":
        if detailed and not body.get("DomainValidationList"):
            return "reviewing"
        return "validating"
    if status in GONE_INSTANCE_STATUSES:  # whatever the instance held is gone with it
        return "failed"
    if certificate_status in ISSUED_CERTIFICATE_STATUSES:
        return "issued"  # even on an expired subscription: the certificate runs to its own end
    if certificate_status in FAILED_CERTIFICATE_STATUSES or status == "expired":
        return "failed"
    if status == "inactive":
        return "inactive"
    if status in ("normal", "willExpire"):
        # Seen after CancelPendingCertificate: the instance is back to normal with no certificate.
        return "withdrawn"
    return "unknown"


def normalize_instance(body, detailed=True):
    """A ListInstances item or a GetInstanceDetail answer in snake_case; absent fields are None."""
    phase = instance_phase(body, detailed)
    names = split_names(body.get("Domain"))
    result = {
        "instance_id": body.get("InstanceId"),
        "instance_type": body.get("InstanceType"),
        "status": body.get("Status"),
        "phase": phase,
        "phase_meaning": PHASE_MEANINGS[phase],
        "certificate_status": body.get("CertificateStatus") or None,
        "certificate_id": certificate_id_of(body.get("CertificateId")),
        "certificate_identifier": body.get("CertIdentifier") or None,
        # Deprecated, removed in 1.0.0: certificate_identifier under its old name.
        "cert_identifier": body.get("CertIdentifier") or None,
        "domains": names,
        "domain": names[0] if names else None,
        "spec": body.get("Spec"),
        "brand": body.get("Brand"),
        "certificate_type": body.get("CertificateType"),
        "key_algorithm": body.get("KeyAlgorithm"),
        "full_domain_count": body.get("FullDomainCount"),
        "wildcard_domain_count": body.get("WildcardDomainCount"),
        "certificate_name": body.get("CertificateName") or None,
        "pending_result": body.get("PendingResult") or None,
        "auto_reissue": body.get("AutoReissue"),
        "instance_start_time": iso_from_epoch(body.get("InstanceStartTime")),
        "instance_end_time": iso_from_epoch(body.get("InstanceEndTime")),
        "order_start_time": iso_from_epoch(body.get("OrderStartTime")),
        "order_end_time": iso_from_epoch(body.get("OrderEndTime")),
        "certificate_not_before": iso_from_epoch(body.get("CertificateNotBefore")),
        "certificate_not_after": iso_from_epoch(body.get("CertificateNotAfter")),
        "validations": None,
    }
    if detailed:
        result.update(
            validations=validations_from_detail(body),
            validation_method=body.get("ValidationMethod"),
            generate_csr_method=body.get("GenerateCsrMethod"),
            contact_ids=[int(contact_id) for contact_id in body.get("ContactIdList") or []],
        )
    return result


def normalize_certificate(body):
    """A GetUserCertificateDetail answer (without its private key) in snake_case."""
    leaf, chain, fullchain = split_chain(body.get("Cert"))
    not_before = iso_from_epoch(body.get("NotBefore"))
    not_after = iso_from_epoch(body.get("NotAfter"))
    if leaf and _x509.cryptography_import_error() is None:
        cert = _x509.load_pem_certificate(leaf)
        if cert is not None:  # the PEM is the authority when it can be read
            not_before, not_after = (_x509.iso(moment) for moment in _x509.validity(cert))
    return {
        "certificate_id": certificate_id_of(body.get("Id")),
        "instance_id": body.get("InstanceId"),
        "certificate_identifier": body.get("CertIdentifier") or None,
        # Deprecated, removed in 1.0.0: certificate_identifier under its old name.
        "cert_identifier": body.get("CertIdentifier"),
        "name": body.get("Name"),
        "common_name": body.get("Common"),
        "sans": split_names(body.get("Sans")),
        "issuer": body.get("Issuer"),
        "algorithm": body.get("Algorithm"),
        "fingerprint": body.get("Fingerprint"),
        "serial_no": body.get("SerialNo"),
        "expired": body.get("Expired"),
        "certificate": leaf,
        "chain": chain,
        "fullchain": fullchain,
        "not_before": not_before,
        "not_after": not_after,
    }


def normalize_contact(item):
    return {
        "contact_id": int(item["ContactId"]) if item.get("ContactId") is not None else None,
        "name": item.get("Name"),
        "mobile": item.get("Mobile"),
        "email": item.get("Email"),
    }


def masked_match(shown, clear, case_sensitive=True):
    """Whether a value ListContact shows (masked, e.g. ``138******78``) can be ``clear``.

    The service masks with ``*`` (the exact pattern is UNCONFIRMED), so what is shown before
    the first and after the last ``*`` must match, and an unmasked value must be equal.
    """
    shown, clear = shown or "", clear or ""
    if not case_sensitive:
        shown, clear = shown.lower(), clear.lower()
    if "*" not in shown:
        return shown == clear
    head, tail = shown[:shown.index("*")], shown[shown.rindex("*") + 1:]
    return len(clear) >= len(head) + len(tail) and clear.startswith(head) and clear.endswith(tail)


def contact_matches(contact, name, mobile, email=None):
    """A listed (masked) contact is the applicant ``name``/``mobile``/``email``."""
    if contact.get("name") != name or not masked_match(contact.get("mobile"), mobile):
        return False
    return not email or masked_match(contact.get("email"), email, case_sensitive=False)


def matching_contact_id(contacts, name, mobile, email=None, exclude=()):
    """The id of the first listed contact that is the applicant and not in ``exclude``, or None."""
    for contact in contacts:
        if contact["contact_id"] not in exclude and contact_matches(contact, name, mobile, email):
            return contact["contact_id"]
    return None


def normalize_summary(body, instance_type=None):
    return {
        "instance_type": instance_type,
        "total": int(body.get("TotalCount") or 0),
        "inactive": int(body.get("InactiveCount") or 0),
        "will_expire": int(body.get("WillExpireCount") or 0),
        "certificate_count": int(body.get("CertificateCount") or 0),
        "auto_reissue": int(body.get("AutoReissueCount") or 0),
    }


class CasInstancesClient:
    """The V2.0 instance actions over an RpcClient; returns normalised results."""

    def __init__(self, rpc, sleep=time.sleep, clock=time.monotonic):
        self.rpc = rpc
        self._sleep = sleep
        self._clock = clock

    # --- instances ------------------------------------------------------------------------------
    def list_instances(self, status=None, instance_type=None, keyword=None, certificate_status=None,
                       certificate_type=None, brand=None, domain=None):
        """Every instance matching the filters, all pages read.

        ``domain`` keeps only instances whose names include it (the service's Keyword is a
        fuzzy match on domain, name and id, so it only narrows the search).
        """
        wanted = domain.lower() if domain else None
        params = {
            "Status": status, "InstanceType": instance_type, "Keyword": keyword or wanted,
            "CertificateStatus": certificate_status, "CertificateType": certificate_type, "Brand": brand,
            "ShowSize": PAGE_SIZE,
        }

        def fetch(page):
            return self.rpc.call("ListInstances", dict(params, CurrentPage=page))

        items = read_all_pages(fetch, lambda answer: answer.get("InstanceList") or [],
                               lambda item: item.get("InstanceId"))
        instances = [normalize_instance(item, detailed=False) for item in items]
        if wanted:
            instances = [i for i in instances if wanted in i["domains"]]
        return instances

    def instance(self, instance_id):
        """GetInstanceDetail, normalised; None when the instance does not exist."""
        detail = self.detail(instance_id)
        return normalize_instance(detail) if detail is not None else None

    def detail(self, instance_id):
        """The raw GetInstanceDetail answer, or None for NotFound."""
        try:
            return self.rpc.call("GetInstanceDetail", {"InstanceId": instance_id})
        except AlibabaCloudError as error:
            if error.code == "NotFound":
                return None
            raise

    def update(self, instance_id, domains=None, csr=None, generate_csr_method=None, key_algorithm=None,
               validation_method=None, contact_ids=None, certificate_name=None, auto_reissue=None, tags=None):
        """UpdateInstance with the fields given (only those change).

        ``InvalidStatus.UpdateProtection`` is a transient refusal (Terraform retries it for
        minutes), so it is retried with the retry policy's back-off and bounds.
        """
        params = {
            "InstanceId": instance_id, "Domain": ",".join(domains) if domains else None, "Csr": csr,
            "GenerateCsrMethod": generate_csr_method, "KeyAlgorithm": key_algorithm,
            "ValidationMethod": validation_method, "CertificateName": certificate_name,
            "AutoReissue": auto_reissue,
        }
        for index, contact_id in enumerate(contact_ids or [], start=1):
            params["ContactIdList.%d" % index] = contact_id
        for index, (key, value) in enumerate(sorted((tags or {}).items()), start=1):
            params["Tags.%d.TagKey" % index] = key
            params["Tags.%d.TagValue" % index] = value
        self._while_update_protected(lambda: self.rpc.call("UpdateInstance", params))

    def _while_update_protected(self, call):
        policy = self.rpc.retry_policy
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            try:
                return call()
            except AlibabaCloudError as error:
                if error.code != UPDATE_PROTECTION:
                    raise
                wait = policy.delay(attempt, error.retry_after)
                if attempt >= policy.max_attempts or self._clock() - started + wait > policy.total_timeout:
                    error.attempts = attempt
                    raise
                self._sleep(wait)

    def apply(self, instance_id, client_token=None, domains=None):
        """Submit the instance's application; returns ``{"adopted": bool}``.

        The answer carries only a RequestId. Call this on an ``inactive`` instance only: after
        a lost answer the instance is read again, and ``pending`` (with ``domains``, when
        given) means this submission landed (an instance only becomes pending by an
        application), so it is not sent twice. When the read never shows it,
        OrderOutcomeUnknownError says the application may have been submitted.
        """
        wanted = sorted(domains) if domains else None

        def adopt_landed_application():
            detail = self.detail(instance_id)
            if detail is None or detail.get("Status") != "pending":
                return None
            if wanted is not None and sorted(split_names(detail.get("Domain"))) != wanted:
                return None
            return {"Adopted": True}

        try:
            answer = self.rpc.call("ApplyCertificate", {"InstanceId": instance_id, "ClientToken": client_token},
                                   reconcile=adopt_landed_application)
        except AlibabaCloudError as error:
            if not RetryPolicy.may_have_been_applied(error):
                raise
            raise OrderOutcomeUnknownError(
                "The answer to ApplyCertificate for instance %s was lost (%s), and the instance did not show the"
                " application when read again. It may have been submitted: do not submit it by hand. Run the task"
                " again later; it reuses the application once the instance shows it." % (instance_id, error.message),
                code=error.code, request_id=error.request_id, http_status=error.http_status,
                action="ApplyCertificate", attempts=error.attempts) from error
        return {"adopted": bool(answer.get("Adopted"))}

    def wait_for_validations(self, instance_id, timeout):
        """GetInstanceDetail until the application shows its validation records or leaves
        ``pending`` (issued at once, or refused), for at most ``timeout`` seconds; the last detail.

        DomainValidationList appears only seconds after ApplyCertificate (Terraform waits for it).
        """
        started = self._clock()
        wait = 1.0
        while True:
            detail = self.detail(instance_id) or {}
            if detail.get("DomainValidationList") or detail.get("Status") != "pending":
                return detail
            if self._clock() - started + wait > timeout:
                return detail
            self._sleep(wait)
            wait = min(wait * 2, 5.0)

    def wait_listed(self, instance_id, domains):
        """The list item of an application just submitted, read until ListInstances shows it
        with ``domains`` and out of ``inactive`` (the list may trail the change); or None."""
        wanted = sorted(domains)

        def listed():
            for item in self.list_instances(domain=domains[0]):
                if item["instance_id"] == instance_id and sorted(item["domains"]) == wanted \
                        and item["status"] != "inactive":
                    return item
            return None
        return self.rpc.poll(listed)

    def withdraw(self, instance_id, timeout, client_token=None):
        """Withdraw the pending application and wait, at most ``timeout`` seconds, until the
        instance leaves ``pending``; returns ``"withdrawn"``, ``"nothing"`` (nothing was pending)
        or ``"pending"`` (asked, but still pending at the bound). A refusal that lasts to the
        bound while the instance stays pending is raised.

        The service refuses the cancel for seconds after ApplyCertificate and while a
        withdrawal is under way; both look alike, so the cancel is asked again between reads.
        Never refunds or deletes the instance.
        """
        started = self._clock()
        wait = 1.0
        asked = False
        refusal = None
        while True:
            if not asked:
                try:
                    if not self.cancel(instance_id, client_token=client_token):
                        return "nothing"
                    asked = True
                except AlibabaCloudError as error:
                    if error.code != STATUS_NOT_SUPPORTED:
                        raise
                    refusal = error
            else:
                detail = self.detail(instance_id)
                if detail is None or detail.get("Status") != "pending":
                    return "withdrawn"
            if self._clock() - started + wait > timeout:
                if not asked:
                    raise refusal
                return "pending"
            self._sleep(wait)
            wait = min(wait * 2, 5.0)

    def cancel(self, instance_id, client_token=None):
        """Ask to withdraw the pending application; True if asked now, False if nothing was pending.

        The withdrawal is asynchronous: the instance stays ``pending`` for a while, so the
        caller waits for it to leave ``pending``. The service refuses with
        ``OperationDenied.StatusNotSupport`` when nothing is pending, while a withdrawal is
        under way, and for seconds after ApplyCertificate. A fresh read tells them apart: not
        pending is False; pending after an earlier attempt whose answer was lost means that
        attempt started the withdrawal (True); otherwise the refusal is raised for the caller
        to wait and ask again.
        """
        try:
            self.rpc.call("CancelPendingCertificate", {"InstanceId": instance_id, "ClientToken": client_token})
        except AlibabaCloudError as error:
            if error.code == "NotFound":
                return False
            if error.code != STATUS_NOT_SUPPORTED:
                raise
            detail = self.detail(instance_id)
            if detail is None or detail.get("Status") != "pending":
                return False
            if error.attempts > 1:
                return True
            raise
        return True

    def summary(self, instance_type=None):
        """GetInstanceSummary: instances and remaining certificates of one type (or all)."""
        answer = self.rpc.call("GetInstanceSummary", {"InstanceType": instance_type})
        return normalize_summary(answer, instance_type)

    # --- certificates ---------------------------------------------------------------------------
    def download(self, certificate_id):
        """``(certificate, private_key_pem)`` of an issued certificate; the key is None for an uploaded CSR.

        The private key is returned apart so that it cannot end up in a module result by
        accident; None as a whole when the certificate does not exist.
        """
        try:
            answer = self.rpc.call("GetUserCertificateDetail", {"CertId": certificate_id})
        except AlibabaCloudError as error:
            if error.code == "NotFound":
                return None, None
            raise
        return normalize_certificate(answer), answer.get("Key") or None

    # --- contacts -------------------------------------------------------------------------------
    def contacts(self, keyword=None):
        """Every contact (masked as the service shows them), all pages read."""
        def fetch(page):
            return self.rpc.call("ListContact", {"Keyword": keyword, "CurrentPage": page, "ShowSize": PAGE_SIZE})

        items = read_all_pages(fetch, lambda answer: answer.get("ContactList") or [],
                               lambda item: item.get("ContactId"))
        return [normalize_contact(item) for item in items]

    def find_contact(self, name, mobile, email=None):
        """The contact id of the applicant, or None."""
        return matching_contact_id(self.contacts(keyword=name), name, mobile, email)

    def create_contact(self, name, mobile, email=None, client_token=None, known_contact_ids=None):
        """CreateContact once: after a lost answer, a new matching contact is adopted instead.

        ``known_contact_ids``: the contacts that existed before (listed here when not given).
        """
        if known_contact_ids is None:
            known_contact_ids = [contact["contact_id"] for contact in self.contacts(keyword=name)]
        known = set(known_contact_ids)

        def adopt_created_contact():
            created = matching_contact_id(self.contacts(keyword=name), name, mobile, email, exclude=known)
            return None if created is None else {"ContactId": created}

        answer = self.rpc.call("CreateContact", {"Name": name, "Mobile": mobile, "Email": email,
                                                 "ClientToken": client_token},
                               reconcile=adopt_created_contact)
        return int(answer["ContactId"])
