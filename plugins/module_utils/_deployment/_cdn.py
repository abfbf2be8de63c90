# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""CDN (2018-05-10) and DCDN (2018-01-15): an accelerated domain that serves a CAS
certificate by its numeric id and region.

The two APIs differ only in names (checked against alibabacloud_cdn20180510 9.2.0 and
alibabacloud_dcdn20180115 3.1.0): the actions, and the CertInfo fields that say whether
HTTPS is on (CDN ``ServerCertificateStatus``, DCDN ``SSLProtocol``). Both answer
``CertInfos.CertInfo[]`` with every value a string, ``CertId`` included; the set call takes
``CertId`` as an integer.
"""

from __future__ import annotations

import zlib

from ansible_collections.alicloud.cas.plugins.module_utils._deployment._base import (
    Adapter,
    DeploymentRefusedError,
    Served,
)

# Lanes of one run (see Adapter.lane). The account's QPS limit (SetCdnDomainSSLCertificate
# 30/s) bounds a run, and one lane nearly reaches it: more lanes only meet more throttling
# (in make bench 4 lanes: 28 throttled writes, 2 lanes: 19, the same wall time). Two keep a
# slow domain from holding up all the others.
DOMAIN_LANES = 2

CDN_VERSION = "2018-05-10"
DCDN_VERSION = "2018-01-15"


class _DomainCertificateAdapter(Adapter):
    """What CDN and DCDN share; subclasses name the calls and fields."""

    required_options = ("domain",)
    optional_options = ("enable_https",)
    product_title = None
    describe_action = None
    set_action = None
    https_field = None

    # --- naming -----------------------------------------------------------------------------
    @staticmethod
    def _domain(target):
        return str(target["domain"]).strip().rstrip(".").lower()

    def identity(self, target):
        return (self.product, self._domain(target))

    def covered_names(self, target):
        return (self._domain(target),)

    def describe(self, target):
        return "%s domain %s" % (self.product, self._domain(target))

    def lane(self, target, served):
        # Domains are independent of each other; crc32, not hash(), so that every run splits them alike.
        return (self.product, zlib.crc32(self._domain(target).encode("utf-8")) % DOMAIN_LANES)

    # --- read -------------------------------------------------------------------------------
    def read(self, target):
        domain = self._domain(target)
        answer = self.clients(None).call(self.describe_action, {"DomainName": domain})
        info = _cert_info(answer, domain)
        https_enabled = info.get(self.https_field) == "on"
        cert_type = info.get("CertType") or None
        reference = info.get("CertId") or None
        certificate_id = None
        # Only a CAS certificate that is being served counts; an uploaded one has no CAS id,
        # and a certificate kept while HTTPS is off serves nobody.
        if https_enabled and cert_type == "cas" and reference is not None and str(reference).isdigit():
            certificate_id = int(reference)
        return Served(
            certificate_id=certificate_id,
            product_reference=None if reference is None else str(reference),
            https_enabled=https_enabled,
            not_after=(info.get("CertExpireTime") or None) if certificate_id is not None else None,
            detail={"cert_type": cert_type, "cert_region": info.get("CertRegion") or None,
                    "cert_id": None if reference is None else str(reference)},
        )

    # --- compare ----------------------------------------------------------------------------
    def refusal(self, target, served):
        """Why this target cannot take a certificate as asked, or None.

        HTTPS off is the user's decision: a deployment switches it on only when the item says
        ``enable_https: true``. Decided here once, for ``in_sync`` (check mode reports the
        refusal too) and ``apply`` (which the engine may call without ``in_sync``).
        """
        if served.https_enabled or target.get("enable_https"):
            return None
        return ("%s has HTTPS switched off. Set enable_https: true on this target to switch it on with"
                " the certificate, or switch HTTPS on in the %s console first." % (
                    self.describe(target), self.product_title))

    @staticmethod
    def _serves(served, certificate):
        detail = served.detail or {}
        return (served.https_enabled and detail.get("cert_type") == "cas"
                and detail.get("cert_id") == str(certificate.certificate_id)
                and detail.get("cert_region") == certificate.cert_region)

    def in_sync(self, target, served, certificate):
        """Reference section 5: CertType cas, the same CertId, CertRegion the certificate's site
        region, HTTPS on. Raises DeploymentRefusedError for HTTPS off without enable_https."""
        message = self.refusal(target, served)
        if message is not None:
            raise DeploymentRefusedError(message)
        return self._serves(served, certificate)

    # --- write ------------------------------------------------------------------------------
    def apply(self, plan):
        target, certificate = plan.target, plan.certificate
        message = self.refusal(target, plan.served)
        if message is not None:
            raise DeploymentRefusedError(message)
        params = {
            "DomainName": self._domain(target),
            "SSLProtocol": "on",
            "CertType": "cas",
            "CertId": certificate.certificate_id,
            "CertRegion": certificate.cert_region,
        }
        # CertName is optional in both SDK models ("for upload"); one report (certd #372) saw
        # "You must specify CertName" with cas. UNCONFIRMED: sent with CAS's own name.
        if certificate.name:
            params["CertName"] = certificate.name

        def probe():
            # A lost answer: the write counts as done when a fresh read shows its effect.
            served = self.read(target)
            return {} if self._serves(served, certificate) else None

        self.clients(None).call(self.set_action, params, reconcile=probe)
        return {"https_enabled": True, "https_switched_on": not plan.served.https_enabled}


def _cert_info(answer, domain):
    """The CertInfo of ``domain`` (the API answers one per requested domain)."""
    infos = ((answer or {}).get("CertInfos") or {}).get("CertInfo") or []
    if isinstance(infos, dict):  # a single item, as some XML-to-JSON renderings give
        infos = [infos]
    for info in infos:
        if str(info.get("DomainName", "")).lower() == domain:
            return info
    return infos[0] if infos else {}


class CdnAdapter(_DomainCertificateAdapter):
    product = "cdn"
    product_title = "CDN"
    describe_action = "DescribeDomainCertificateInfo"
    set_action = "SetCdnDomainSSLCertificate"
    https_field = "ServerCertificateStatus"
    version = CDN_VERSION


class DcdnAdapter(_DomainCertificateAdapter):
    product = "dcdn"
    product_title = "DCDN"
    describe_action = "DescribeDcdnDomainCertificateInfo"
    set_action = "SetDcdnDomainSSLCertificate"
    https_field = "SSLProtocol"
    version = DCDN_VERSION


ADAPTERS = {"cdn": CdnAdapter, "dcdn": DcdnAdapter}
