# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""The one place that reads X.509 validity and public keys, and the one renewal rule.

``cryptography`` is imported on first use, not at module import: every task is a fresh
Python process, and most runs of the API modules never parse a certificate.

Targets run the ``cryptography`` their distribution ships (3.4.8 on RHEL 9 and Ubuntu
22.04, 38.x on Debian 12, 41.x on Ubuntu 24.04), which predate the ``*_utc`` properties
of cryptography 42, so validity is read through ``validity()`` only.
"""

from __future__ import annotations

import datetime

ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

_UTC = datetime.timezone.utc


def cryptography_import_error():
    """None when cryptography can be imported, else the ImportError (for missing_required_lib)."""
    try:
        import cryptography  # noqa: F401 pylint: disable=unused-import
    except ImportError as exc:
        return exc
    return None


def load_pem_certificate(data):
    """The first certificate of PEM ``data`` (str or bytes), or None when it holds none."""
    from cryptography import x509

    if isinstance(data, str):
        data = data.encode("ascii", "replace")
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError:
        return None


def validity(cert):
    """(not_before, not_after) of a certificate, as timezone-aware UTC datetimes."""
    not_before = getattr(cert, "not_valid_before_utc", None)
    not_after = getattr(cert, "not_valid_after_utc", None)
    if not_before is None or not_after is None:  # cryptography < 42: naive datetimes in UTC
        not_before = cert.not_valid_before.replace(tzinfo=_UTC)
        not_after = cert.not_valid_after.replace(tzinfo=_UTC)
    return not_before, not_after


def iso(moment):
    return moment.astimezone(_UTC).strftime(ISO_FORMAT) if moment is not None else None


def utc_now():
    return datetime.datetime.now(_UTC)


def renewal_due(not_after, renew_before_days, now=None):
    """The renewal rule of every caller: renew once less than ``renew_before_days`` remain.

    Decided on the certificate's own notAfter, to the second, so that the file check and the
    order check can never disagree about the same certificate.
    """
    now = now or utc_now()
    return not_after - now < datetime.timedelta(days=renew_before_days)


def public_key_der(obj):
    """DER SubjectPublicKeyInfo of a certificate, CSR, or private/public key object."""
    from cryptography.hazmat.primitives import serialization

    key = obj.public_key() if hasattr(obj, "public_key") else obj
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
