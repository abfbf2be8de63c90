# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""The CAS reads a deployment needs: a certificate by its id (GetUserCertificateDetail) or
the newest one that covers some names (ListCertificates), as DeployableCertificate.

Whatever produced the certificate (a V1.0 order, a V2.0 instance, an upload) it is one CAS
certificate with one id; the products refer to it by that id or by CertIdentifier.
"""

from __future__ import annotations

import datetime
import re
import threading

from ansible_collections.alicloud.cas.plugins.module_utils._cas_instances import iso_from_epoch, split_names
from ansible_collections.alicloud.cas.plugins.module_utils._deployment._base import DeployableCertificate
from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlibabaCloudError, AlicloudCasError, ConfigurationError
from ansible_collections.alicloud.cas.plugins.module_utils._paging import read_all_pages

# CertIdentifier's region is the CAS site's (the SDK model's docstring of CertIdentifier).
SITE_REGIONS = {"china": "cn-hangzhou", "international": "ap-southeast-1"}
LIST_PAGE_SIZE = 100  # ListCertificates' documented maximum ShowSize
_ID_FORM = re.compile(r"^\s*(\d+)(?:-([a-z0-9-]+))?\s*$")


class CertificateNotUsableError(AlicloudCasError):
    """The certificate asked for cannot be deployed: unknown, not issued yet, expired, or
    no certificate covers the names."""


def parse_certificate_id(value, site, option="certificate_id"):
    """The numeric id of ``123`` or ``123-cn-hangzhou``; the suffix must be the site's region."""
    match = _ID_FORM.match(str(value))
    if not match:
        raise ConfigurationError(
            "%s must be a CAS certificate id such as 12345678 or 12345678-%s, got %r."
            % (option, SITE_REGIONS[site], value), option=option)
    certificate_id, region = int(match.group(1)), match.group(2)
    if region and region != SITE_REGIONS[site]:
        other = next((name for name, site_region in SITE_REGIONS.items() if site_region == region), None)
        named = other or "region %s's" % region
        raise ConfigurationError(
            "%s %s names the %s CAS site, but site is %s (whose certificates end in -%s). Set site=%s, or give"
            " the id of a certificate of this site." % (option, value, named, site, SITE_REGIONS[site], other or site),
            option=option)
    return certificate_id


def name_covers(pattern, name):
    """Whether a certificate name covers a host name: equal, or a ``*.`` wildcard that stands
    for exactly one whole label (``*.example.com`` covers ``a.example.com``, not
    ``example.com`` nor ``a.b.example.com``)."""
    pattern, name = pattern.lower().rstrip("."), name.lower().rstrip(".")
    if pattern == name:
        return True
    if not pattern.startswith("*.") or name.startswith("*."):
        return False
    label, dot, rest = name.partition(".")
    return bool(dot) and bool(label) and rest == pattern[2:]


def covers_all(certificate_names, names):
    """The names (of ``names``) that none of ``certificate_names`` covers, in order."""
    return [name for name in names if not any(name_covers(pattern, name) for pattern in certificate_names)]


def _now_iso(clock):
    return datetime.datetime.fromtimestamp(clock(), tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def usable_refusal(certificate, clock):
    """Why ``certificate`` must not be deployed now (not yet valid, expired), or None."""
    now = _now_iso(clock)
    if certificate.not_after and certificate.not_after <= now:
        return ("CAS certificate %d expired at %s. Deploy a current certificate (renew it first)."
                % (certificate.certificate_id, certificate.not_after))
    if certificate.not_before and certificate.not_before > now:
        return ("CAS certificate %d is valid only from %s. Deploy it once it is valid."
                % (certificate.certificate_id, certificate.not_before))
    return None


def _names_of_detail(answer):
    names = split_names(answer.get("Sans"))
    common = (answer.get("Common") or "").strip().lower()
    if common and common not in names:
        names.insert(0, common)
    return names


class CasCertificates:
    """CAS certificates for one module run; every certificate is read once."""

    def __init__(self, rpc, site="china", clock=None, on_private_key=None):
        import time

        self.rpc = rpc
        # Called with every private key read, so that the module hides it from its output.
        self.on_private_key = on_private_key
        self.site = site
        self.clock = clock or time.time
        self._by_id = {}
        # The deployment engine asks from several threads; each certificate is still read once.
        self._lock = threading.RLock()

    def by_id(self, certificate_id):
        """The DeployableCertificate with this numeric id; CertificateNotUsableError when
        CAS does not know it. (GetUserCertificateDetail with CertFilter=true: no PEM, no key.)"""
        with self._lock:
            return self._by_id_once(int(certificate_id))

    def _by_id_once(self, certificate_id):
        if certificate_id in self._by_id:
            return self._by_id[certificate_id]
        try:
            answer = self.rpc.call("GetUserCertificateDetail", {"CertId": certificate_id, "CertFilter": "true"})
        except AlibabaCloudError as error:
            if (error.code or "").startswith("NotFound"):
                raise CertificateNotUsableError(
                    "CAS certificate %d does not exist in this account on the %s site. Check certificate_id and"
                    " site." % (certificate_id, self.site))
            raise
        identifier = answer.get("CertIdentifier") or "%d-%s" % (certificate_id, SITE_REGIONS[self.site])
        certificate = DeployableCertificate(
            certificate_id, identifier, identifier.split("-", 1)[1] if "-" in identifier else SITE_REGIONS[self.site],
            answer.get("Name"), _names_of_detail(answer), iso_from_epoch(answer.get("NotBefore")),
            iso_from_epoch(answer.get("NotAfter")), load_pem=self._pem_loader(certificate_id))
        self._by_id[certificate_id] = certificate
        return certificate

    def _pem_loader(self, certificate_id):
        def load_pem():
            # The only read that carries the key: its answer is used here and dropped.
            answer = self.rpc.call("GetUserCertificateDetail", {"CertId": certificate_id})
            key = answer.get("Key")
            if not key:
                raise CertificateNotUsableError(
                    "CAS holds no private key for certificate %d, so it cannot be uploaded." % certificate_id)
            if self.on_private_key is not None:
                self.on_private_key(key)
            return answer.get("Cert"), key
        return load_pem

    def names_of(self, certificate_id):
        """(names, not_after) of a certificate a target serves, or (None, None) when CAS does
        not know it (another account's, deleted)."""
        try:
            certificate = self.by_id(certificate_id)
        except CertificateNotUsableError:
            return None, None
        return certificate.names, certificate.not_after

    def usable(self, certificate):
        """Raise CertificateNotUsableError unless ``certificate`` is valid now."""
        refusal = usable_refusal(certificate, self.clock)
        if refusal:
            raise CertificateNotUsableError(refusal)
        return certificate

    def list_certificates(self):
        """Every certificate ListCertificates shows, all pages."""
        def fetch(page):
            # No CertificateStatus filter: a certificate close to expiry is listed as willExpire, and
            # whether the "issued" filter includes it is UNCONFIRMED; the status is checked here instead.
            return self.rpc.call("ListCertificates", {"CurrentPage": page,
                                                      "ShowSize": LIST_PAGE_SIZE})

        return read_all_pages(fetch, lambda answer: answer.get("CertificateList") or [],
                              lambda item: str(item.get("CertificateId")))

    def newest_covering(self, names, domain):
        """(DeployableCertificate, why) for the newest issued, unexpired certificate covering every
        name; SM2 certificates and those whose key CAS lacks are left out. Ties (same NotBefore
        and NotAfter) go to the highest id, so that every run picks the same one."""
        names = list(dict.fromkeys(name.lower() for name in names))
        now_ms = int(self.clock() * 1000)
        candidates, skipped = [], {"sm2": 0, "no_key": 0, "expired": 0, "not_covering": 0}
        for item in self.list_certificates():
            status = item.get("CertificateStatus") or "issued"
            if status == "expired":
                skipped["expired"] += 1
                continue
            if status not in ("issued", "willExpire"):  # revoked, and anything else not deployable
                continue
            if (item.get("Algorithm") or "").upper() == "SM2":
                skipped["sm2"] += 1
                continue
            if item.get("ExistPrivateKey") is False or str(item.get("ExistPrivateKey")).lower() == "false":
                skipped["no_key"] += 1
                continue
            not_before, not_after = int(item.get("NotBefore") or 0), int(item.get("NotAfter") or 0)
            if not_after <= now_ms or not_before > now_ms:
                skipped["expired"] += 1
                continue
            item_names = list(item.get("SubjectAlternativeNames") or split_names(item.get("Domain")))
            if item.get("CommonName") and item["CommonName"].lower() not in item_names:
                item_names.append(item["CommonName"].lower())
            if covers_all([n.lower() for n in item_names], names):
                skipped["not_covering"] += 1
                continue
            candidates.append((not_before, not_after, int(item["CertificateId"]), item, item_names))
        if not candidates:
            raise CertificateNotUsableError(
                "No issued, unexpired CAS certificate with a private key covers %s (domain %s); %d did not cover"
                " the names, %d had expired or were not yet valid, %d are SM2 and %d have no key in CAS. Request"
                " one first (alicloud.cas.certificate_request), or give certificate_id."
                % (", ".join(names), domain, skipped["not_covering"], skipped["expired"], skipped["sm2"],
                   skipped["no_key"]))
        candidates.sort(key=lambda entry: entry[:3], reverse=True)
        chosen = candidates[0]
        why = ("the newest of %d issued, unexpired certificate(s) with a private key covering %s (latest NotBefore,"
               " then latest NotAfter, then highest id)" % (len(candidates), ", ".join(names)))
        # The list item has all a deployment needs, so no detail read follows.
        _before, _after, certificate_id, item, item_names = chosen
        identifier = item.get("CertIdentifier") or "%d-%s" % (certificate_id, SITE_REGIONS[self.site])
        certificate = DeployableCertificate(
            certificate_id, identifier, identifier.split("-", 1)[1] if "-" in identifier else SITE_REGIONS[self.site],
            item.get("CertificateName"), [n.lower() for n in item_names], iso_from_epoch(item.get("NotBefore")),
            iso_from_epoch(item.get("NotAfter")), load_pem=self._pem_loader(certificate_id))
        with self._lock:
            self._by_id.setdefault(certificate_id, certificate)
        return self.usable(certificate), why
