# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""Classic Load Balancer (CLB, API SLB 2014-05-15): an HTTPS listener's default certificate, or
one SNI domain extension of it.

CLB does not take a CAS id directly. A listener points at a server certificate of its own
region, which either wraps a CAS certificate (UploadServerCertificate with
AliCloudCertificateId; IsAliCloudCertificate 1) or holds an uploaded PEM. Each upload makes a
new server certificate, so the adapter reuses one of the region that already wraps the CAS
certificate, and reads each region's server certificates once per run.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import re
import threading

from ansible_collections.alicloud.cas.plugins.module_utils._deployment._base import (
    Adapter,
    DeploymentRefusedError,
    Served,
)
from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlibabaCloudError

CLB_VERSION = "2014-05-15"
# CAS's CertRegion on the international site (CertIdentifier <id>-ap-southeast-1).
INTERNATIONAL_CERT_REGION = "ap-southeast-1"
_PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", re.S)


def _wrapped_id(server_certificate):
    """The CAS id (int) a server certificate wraps, or None for a PEM upload."""
    if server_certificate is None or str(server_certificate.get("IsAliCloudCertificate")) != "1":
        return None
    try:
        return int(server_certificate.get("AliCloudCertificateId"))
    except (TypeError, ValueError):
        return None


def _normal_fingerprint(value):
    return re.sub(r"[^0-9a-f]", "", (value or "").lower())


def leaf_fingerprints(fullchain_pem):
    """SHA-1 and SHA-256 (hex, no colons) of the first certificate of a PEM chain.

    CLB's Fingerprint hash is UNCONFIRMED (reference section 8, item 4), so both count."""
    match = _PEM_CERTIFICATE.search(fullchain_pem or "")
    if match is None:
        return frozenset()
    der = base64.b64decode("".join(match.group(1).split()))
    return frozenset((hashlib.sha1(der).hexdigest(), hashlib.sha256(der).hexdigest()))  # nosec - identity, not security


def _names(server_certificate):
    names = (server_certificate.get("SubjectAlternativeNames") or {}).get("SubjectAlternativeName") or []
    return [name.lower() for name in names]


def _not_after(server_certificate):
    stamp = server_certificate.get("ExpireTimeStamp")
    if stamp is None:
        return None
    moment = datetime.datetime.fromtimestamp(int(stamp) / 1000.0, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _server_certificate_name(certificate):
    # 1-80 characters, starting with a letter: CLB's rule for ServerCertificateName.
    return "cas-%d" % certificate.certificate_id


class ClbAdapter(Adapter):
    product = "clb"
    required_options = ("region", "load_balancer_id", "listener_port")
    optional_options = ("domain",)

    def __init__(self, clients, wait_timeout=300, sleep=None, clock=None):
        super(ClbAdapter, self).__init__(clients, wait_timeout=wait_timeout, sleep=sleep, clock=clock)
        self._listings = {}  # region -> list of DescribeServerCertificates entries (read once per run)
        self._fingerprints = {}  # CAS id -> leaf fingerprints, for PEM-uploaded server certificates
        self._wrap_refusal = None  # the code CLB refused AliCloudCertificateId with in this run
        # The engine reads targets on several threads: a region's listing is read by one of them.
        self._listing_lock = threading.Lock()

    # --- naming -----------------------------------------------------------------------------
    @staticmethod
    def _domain(target):
        return (target.get("domain") or "").strip().lower().rstrip(".") or None

    def identity(self, target):
        return ("clb", target["region"], target["load_balancer_id"], int(target["listener_port"]), self._domain(target))

    def covered_names(self, target):
        domain = self._domain(target)
        return (domain,) if domain else ()

    def describe(self, target):
        listener = "clb listener %s:%s (%s)" % (target["load_balancer_id"], target["listener_port"], target["region"])
        domain = self._domain(target)
        return "%s SNI domain extension %s" % (listener, domain) if domain else listener

    # --- reads ------------------------------------------------------------------------------
    def lane(self, target, served):
        # One lane per region: the server certificate wrapping the CAS certificate is reused by
        # every listener of the region, so two of them must never race into two uploads.
        return (self.product, target["region"])

    def _listing(self, region, refresh=False):
        with self._listing_lock:
            if refresh or region not in self._listings:
                answer = self.clients(region).call("DescribeServerCertificates", {"RegionId": region})
                self._listings[region] = list((answer.get("ServerCertificates") or {}).get("ServerCertificate") or [])
            return self._listings[region]

    def _find(self, region, server_certificate_id):
        if not server_certificate_id:
            return None
        for refresh in (False, True):
            # A miss means the listing predates a change made outside this run: read it once more.
            found = next((c for c in self._listing(region, refresh) if c.get("ServerCertificateId") == server_certificate_id),
                         None)
            if found is not None:
                return found
        return None

    def read(self, target):
        region = target["region"]
        where = {"RegionId": region, "LoadBalancerId": target["load_balancer_id"],
                 "ListenerPort": int(target["listener_port"])}
        domain = self._domain(target)
        detail = {}
        if domain:
            answer = self.clients(region).call("DescribeDomainExtensions", where)
            extensions = (answer.get("DomainExtensions") or {}).get("DomainExtension") or []
            extension = next((e for e in extensions if (e.get("Domain") or "").lower().rstrip(".") == domain), None)
            if extension is None:
                raise DeploymentRefusedError(
                    "%s does not exist: the listener has no SNI domain extension for %s. This module does not"
                    " create extensions; add one in CLB (CreateDomainExtension), or drop domain to deploy to"
                    " the listener's default certificate." % (self.describe(target), domain))
            server_certificate_id = extension.get("ServerCertificateId")
            detail["domain_extension_id"] = extension.get("DomainExtensionId")
        else:
            answer = self.clients(region).call("DescribeLoadBalancerHTTPSListenerAttribute", where)
            server_certificate_id = answer.get("ServerCertificateId")
        server_certificate = self._find(region, server_certificate_id)
        detail["server_certificate"] = server_certificate
        if server_certificate is None:
            return Served(None, server_certificate_id or None, detail=detail)
        return Served(_wrapped_id(server_certificate), server_certificate_id, names=_names(server_certificate),
                      not_after=_not_after(server_certificate), detail=detail)

    def in_sync(self, target, served, certificate):
        if served.certificate_id == certificate.certificate_id:
            return True
        return self._is_pem_copy(served.detail.get("server_certificate"), certificate)

    def _is_pem_copy(self, server_certificate, certificate):
        """A PEM-uploaded server certificate of this CAS certificate's leaf (the international fallback)."""
        if server_certificate is None or _wrapped_id(server_certificate) is not None:
            return False
        # A cheap look first, so that only a likely copy costs the CAS read behind the fingerprint.
        # Either the same names or the same expiry will do: a copy missed here would be uploaded
        # again on every run, a false "likely" costs one read.
        same_names = sorted(_names(server_certificate)) == sorted(n.lower() for n in certificate.names)
        expiry = _not_after(server_certificate)
        same_expiry = expiry is not None and expiry == _iso_seconds(certificate.not_after)
        if not (same_names or same_expiry):
            return False
        return _normal_fingerprint(server_certificate.get("Fingerprint")) in self._leaf_fingerprints(certificate)

    def _leaf_fingerprints(self, certificate):
        if certificate.certificate_id not in self._fingerprints:
            fullchain = getattr(certificate, "certificate_pem", None)
            if not fullchain and certificate.load_pem is not None:
                fullchain = certificate.load_pem()[0]
            self._fingerprints[certificate.certificate_id] = leaf_fingerprints(fullchain)
        return self._fingerprints[certificate.certificate_id]

    # --- writes -----------------------------------------------------------------------------
    def apply(self, plan):
        target, certificate = plan.target, plan.certificate
        region = target["region"]
        server_certificate_id, uploaded, note = self._server_certificate_for(target, region, certificate)
        client = self.clients(region)
        # Both calls change only ServerCertificateId: every other listener setting stays as it is.
        if self._domain(target):
            client.call("SetDomainExtensionAttribute", {
                "RegionId": region, "DomainExtensionId": plan.served.detail["domain_extension_id"],
                "ServerCertificateId": server_certificate_id})
        else:
            client.call("SetLoadBalancerHTTPSListenerAttribute", {
                "RegionId": region, "LoadBalancerId": target["load_balancer_id"],
                "ListenerPort": int(target["listener_port"]), "ServerCertificateId": server_certificate_id})
        result = {"server_certificate_id": server_certificate_id, "uploaded": uploaded}
        if note:
            result["upload_note"] = note
        return result

    def _server_certificate_for(self, target, region, certificate):
        """(server certificate id, uploaded: False | "wrapper" | "pem", note) for this CAS certificate in ``region``."""
        listing = self._listing(region)
        wrapper = next((c for c in listing if _wrapped_id(c) == certificate.certificate_id), None)
        if wrapper is not None:
            return wrapper["ServerCertificateId"], False, None
        if self._wrap_refusal is None:
            try:
                return self._upload_wrapper(region, certificate)["ServerCertificateId"], "wrapper", None
            except AlibabaCloudError as error:
                if not self._is_wrap_refusal(error, certificate):
                    raise
                self._wrap_refusal = error.code
        copy = next((c for c in listing if self._is_pem_copy(c, certificate)), None)
        note = ("CLB refused to wrap CAS certificate %d by AliCloudCertificateId on the international site (%s);"
                " the certificate and private key that CAS holds were uploaded to CLB instead"
                % (certificate.certificate_id, self._wrap_refusal))
        if copy is not None:
            return copy["ServerCertificateId"], False, None
        return self._upload_pem(target, region, certificate)["ServerCertificateId"], "pem", note

    @staticmethod
    def _is_wrap_refusal(error, certificate):
        """UNCONFIRMED (reference section 8, item 6): whether, and with which code, CLB refuses
        AliCloudCertificateId on the international site. Any client error (HTTP 400, not
        throttling) there counts as that refusal; permission errors (403) and errors on the
        China site are raised as they are. The emulator's international_wrap_refused switch
        gives both behaviours."""
        if certificate.cert_region != INTERNATIONAL_CERT_REGION or error.http_status != 400:
            return False
        return not (error.code or "").startswith("Throttling")

    def _upload(self, region, params, matches, form_body=None):
        """UploadServerCertificate makes a new object each time: a lost answer is confirmed by a
        fresh DescribeServerCertificates (one server certificate, never two)."""
        def probe():
            return next((c for c in self._listing(region, refresh=True) if matches(c)), None)

        answer = self.clients(region).call("UploadServerCertificate", params, reconcile=probe, form_body=form_body)
        listing = self._listing(region)
        if not any(c.get("ServerCertificateId") == answer.get("ServerCertificateId") for c in listing):
            listing.append(answer)
        return answer

    def _upload_wrapper(self, region, certificate):
        params = {"RegionId": region, "AliCloudCertificateId": str(certificate.certificate_id),
                  "AliCloudCertificateName": certificate.name or str(certificate.certificate_id),
                  "AliCloudCertificateRegionId": certificate.cert_region,
                  "ServerCertificateName": _server_certificate_name(certificate)}
        return self._upload(region, params, lambda c: _wrapped_id(c) == certificate.certificate_id)

    def _upload_pem(self, target, region, certificate):
        pem = certificate.load_pem() if certificate.load_pem is not None else None
        if not pem or not pem[0] or not pem[1]:
            raise DeploymentRefusedError(
                "%s: CLB refused to wrap CAS certificate %d on the international site (%s), and CAS holds no private"
                " key for it to upload instead. Deploy a certificate whose key CAS holds." % (
                    self.describe(target), certificate.certificate_id, self._wrap_refusal))
        fullchain, private_key = pem
        self._fingerprints[certificate.certificate_id] = leaf_fingerprints(fullchain)
        # In the form body, not the query (where the SDK would put it): a URL may be logged by a
        # proxy or quoted in an error, a body is not. The gateway takes RPC parameters from both.
        params = {"RegionId": region, "ServerCertificate": fullchain.strip() + "\n", "PrivateKey": private_key,
                  "ServerCertificateName": _server_certificate_name(certificate)}
        return self._upload(region, params, lambda c: self._is_pem_copy(c, certificate), form_body=True)


def _iso_seconds(value):
    """An ISO 8601 UTC time (string or datetime) as ``YYYY-MM-DDTHH:MM:SSZ``, or None."""
    if not value:
        return None
    if isinstance(value, datetime.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
    else:
        text = str(value).strip().replace("Z", "+00:00")
        try:
            moment = datetime.datetime.fromisoformat(text)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


ADAPTERS = {"clb": ClbAdapter}
