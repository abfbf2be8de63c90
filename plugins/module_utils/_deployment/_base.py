# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""What every product adapter shares: the certificate to deploy, what a target serves,
the plan the engine hands to an adapter, and the adapter interface itself.

The engine (_engine) owns validation order, coverage rules, comparison, check mode, diff
and the batch pattern; an adapter only knows its product's calls.
"""

from __future__ import annotations

from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlicloudCasError


class DeploymentRefusedError(AlicloudCasError):
    """A target that cannot take the certificate as asked (HTTPS off without enable_https, a
    listener protocol that holds no certificate, a resource another service manages, a wait
    that timed out). The engine makes it that target's failure; the message says what to do."""


class DeployableCertificate:
    """A CAS certificate, as the products refer to it.

    ``certificate_id`` is CAS's numeric id (CDN, DCDN, CLB's AliCloudCertificateId);
    ``certificate_identifier`` is CAS's ``CertIdentifier`` (``<id>-<region>``, used by ALB and
    NLB); ``cert_region`` is the region part of it (CDN/DCDN ``CertRegion``, CLB
    ``AliCloudCertificateRegionId``). ``name`` is the CAS certificate name. ``names`` are the
    DNS names it covers (lower case, A-labels); ``not_before``/``not_after`` are ISO 8601 UTC.
    ``load_pem`` is a callable returning ``(fullchain_pem, private_key_pem)`` from CAS, used
    only by the CLB fallback upload; the key must never reach a result.
    """

    def __init__(self, certificate_id, certificate_identifier, cert_region, name, names, not_before, not_after,
                 load_pem=None):
        self.certificate_id = int(certificate_id)
        self.certificate_identifier = certificate_identifier
        self.cert_region = cert_region
        self.name = name
        self.names = list(names)
        self.not_before = not_before
        self.not_after = not_after
        self.load_pem = load_pem

    def summary(self):
        """The ``certificate`` return value and a diff side."""
        return {"certificate_id": self.certificate_id, "certificate_identifier": self.certificate_identifier,
                "names": list(self.names), "not_after": self.not_after}


class Served:
    """What one target serves now, as its product reports it.

    ``certificate_id``: the CAS certificate id (int) the target points at, or None (HTTPS off,
    a certificate that is not from CAS, or none). ``product_reference``: the product's own
    reference (CLB: the server-certificate id; ALB/NLB: the identifier; CDN/DCDN: the CertId
    string), or None. ``https_enabled``: False only where the product reports HTTPS off (CDN,
    DCDN). ``names``/``not_after``: of the served certificate when the product reports them,
    else None (the engine then asks CAS by ``certificate_id``). ``additional``: for ALB/NLB
    items with ``additional: true``, a list of Served, one per associated extra certificate.
    ``detail``: product facts the adapter wants back in ``apply`` (kept out of results).
    """

    def __init__(self, certificate_id=None, product_reference=None, https_enabled=True, names=None, not_after=None,
                 additional=None, detail=None):
        self.certificate_id = certificate_id
        self.product_reference = product_reference
        self.https_enabled = https_enabled
        self.names = names
        self.not_after = not_after
        self.additional = additional
        self.detail = detail or {}

    def previous(self):
        """The ``previous`` return value of a target."""
        return {"certificate_id": self.certificate_id, "product_reference": self.product_reference}


class Plan:
    """The change the engine decided for one target; ``apply`` carries it out.

    ``dissociate``: the Served entries (additional certificates) to remove after the new one
    is associated; always empty for a default certificate.
    """

    def __init__(self, target, served, certificate, dissociate=()):
        self.target = target
        self.served = served
        self.certificate = certificate
        self.dissociate = list(dissociate)


class Adapter:
    """One product. Instances live for one module run, so they may cache per-run reads
    (CLB's server certificates of a region, read once per region).

    ``clients(region)`` returns the product's RpcClient for ``region`` (None for global
    products); ``wait_timeout`` bounds every wait for an asynchronous product.
    """

    product = None
    # Target option names this product requires / accepts besides ``product``.
    required_options = ()
    optional_options = ()

    def __init__(self, clients, wait_timeout=300, sleep=None, clock=None):
        self.clients = clients
        self.wait_timeout = wait_timeout
        self.sleep = sleep
        self.clock = clock

    def identity(self, target):
        """A hashable value naming the target itself: two items with the same identity are refused."""
        raise NotImplementedError

    def covered_names(self, target):
        """The names the new certificate must cover for this target (a domain target), or an
        empty tuple for a listener without a domain (then the served certificate's names apply)."""
        raise NotImplementedError

    def describe(self, target):
        """A short human name of the target for messages, e.g. ``alb listener lsn-1 (cn-hangzhou)``."""
        raise NotImplementedError

    def lane(self, target, served):
        """A hashable key: the engine runs the targets of one lane one after the other (in item
        order) and different lanes at the same time. Asked after ``read``, so that a key may use
        what the product reported (ALB/NLB: the listener's load balancer). Default: one lane for
        the whole product, i.e. no concurrency within it. Lanes may share the adapter, so any
        per-run cache must be safe to use from several threads."""
        return (self.product,)

    def read(self, target):
        """Return a Served for the target. Reads only; raises AlibabaCloudError subclasses."""
        raise NotImplementedError

    def in_sync(self, target, served, certificate):
        """True when the target already serves ``certificate`` as the reference section 5 says."""
        raise NotImplementedError

    def apply(self, plan):
        """Carry out ``plan`` (never called in check mode). Returns a dict of extra result fields
        (e.g. ``{"server_certificate_id": ..., "uploaded": True}``, ``{"quic": ...}``).
        A write whose answer is lost is confirmed by a fresh read before anything is sent again."""
        raise NotImplementedError
