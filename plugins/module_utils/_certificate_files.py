# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""Local inspection of a certificate file: does it still do its job for a domain?

This answers the role's "is there anything to do?" question without any API call, so it
only reads files and never returns key material: the key is loaded to compare its public
half with the certificate's, and is then dropped.
"""

from __future__ import annotations

import datetime

from ansible_collections.alicloud.cas.plugins.module_utils import _x509
from ansible_collections.alicloud.cas.plugins.module_utils._errors import ConfigurationError
from ansible_collections.alicloud.cas.plugins.module_utils._validation import normalize_domain


def _normalize_name(name):
    """A certificate name in lower-case punycode, or None for a name we cannot compare."""
    try:
        return normalize_domain(name)
    except ConfigurationError:
        return None


def certificate_names(cert):
    """The DNS names a certificate is valid for: its SAN, or its CN when it has no SAN.

    Clients ignore the CN when a SAN extension is present (RFC 6125), so the CN is only a
    fallback for certificates without one.
    """
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        return list(san.value.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        return [attr.value for attr in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]


def name_covers(cert_name, domain):
    """Whether one certificate name is valid for ``domain`` (both already normalised).

    A wildcard name matches exactly one extra left-most label, as TLS clients do; a
    wildcard domain is only covered by the same wildcard, never by a list of hosts.
    """
    if cert_name is None:
        return False
    if cert_name == domain:
        return True
    if cert_name.startswith("*.") and not domain.startswith("*."):
        head, dot, rest = domain.partition(".")
        return bool(head and dot) and rest == cert_name[2:]
    return False


def covers(names, domain):
    """Whether any of ``names`` is valid for ``domain``."""
    wanted = normalize_domain(domain)
    return any(name_covers(_normalize_name(name), wanted) for name in names)


def key_matches_certificate(cert, key_pem=None, csr_pem=None):
    """(matches, reason): the certificate's public key against a private key or a CSR.

    A CSR stands in for the key when the user keeps the key elsewhere: what matters is that
    the certificate was issued for the key pair the user intends to serve it with.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    if key_pem is not None:
        if not key_pem:
            return False, "the private key file is missing or empty"
        try:
            key = serialization.load_pem_private_key(key_pem, password=None)
        except (ValueError, TypeError):
            return False, "the private key file is not an unencrypted PEM private key"
        if _x509.public_key_der(key) == _x509.public_key_der(cert):
            return True, None
        return False, "the certificate does not belong to the private key"
    if csr_pem is not None:
        try:
            csr = x509.load_pem_x509_csr(csr_pem)
        except ValueError:
            return False, "the CSR is not a PEM certificate signing request"
        if _x509.public_key_der(csr) == _x509.public_key_der(cert):
            return True, None
        return False, "the certificate was not issued for the CSR's key"
    return False, "no private key to compare the certificate with"


def inspect(cert_pem, domain, key_pem=None, csr_pem=None, renew_before_days=30, now=None):
    """Everything the role needs to decide whether a domain's files must be (re)issued.

    ``cert_pem``/``key_pem``/``csr_pem`` are bytes or None (file missing). The result has
    no key material. ``needs_renewal`` is true when any check fails, and ``reason`` says
    which one, first failure wins, in the order a person would fix them.
    """
    now = now or _x509.utc_now()
    result = {
        "exists": cert_pem is not None,
        "covers_domain": False,
        "key_matches": False,
        "subject": None,
        "names": [],
        "issuer": None,
        "not_before": None,
        "not_after": None,
        "days_left": None,
        "needs_renewal": True,
        "reason": None,
    }
    if cert_pem is None:
        result["reason"] = "no certificate file yet"
        return result
    # The first certificate of the file: the leaf in a full chain.
    cert = _x509.load_pem_certificate(cert_pem)
    if cert is None:
        result["reason"] = "the certificate file is not a PEM certificate"
        return result

    names = certificate_names(cert)
    not_before, not_after = _x509.validity(cert)
    left = not_after - now
    result.update(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        names=names,
        not_before=_x509.iso(not_before),
        not_after=_x509.iso(not_after),
        # Whole days, rounded down, so "0" means "expires within a day" rather than "expired".
        days_left=int(left.total_seconds() // 86400),
        covers_domain=covers(names, domain),
    )
    result["key_matches"], key_reason = key_matches_certificate(cert, key_pem, csr_pem)

    if not result["covers_domain"]:
        result["reason"] = "the certificate does not name %s (it names %s)" % (domain, ", ".join(names) or "nothing")
    elif not result["key_matches"]:
        result["reason"] = key_reason
    elif left <= datetime.timedelta(0):
        result["reason"] = "the certificate expired on %s" % result["not_after"]
    elif _x509.renewal_due(not_after, renew_before_days, now):
        result["reason"] = "the certificate expires on %s, within renew_before_days (%d)" % (
            result["not_after"], renew_before_days)
    else:
        result["needs_renewal"] = False
        result["reason"] = "valid until %s (%s days left), names %s and matches its key" % (
            result["not_after"], result["days_left"], domain)
    return result
