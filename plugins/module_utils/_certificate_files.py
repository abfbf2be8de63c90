# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""Local inspection of a certificate file: does it still do its job for a domain?

This answers the role's "is there anything to do?" question without any API call, so it
only reads files and never returns key material: the key is loaded to compare its public
half with the certificate's, and is then dropped. One run inspects one certificate or,
in batch mode, every certificate of a host.
"""

from __future__ import annotations

import datetime
import os
import stat

try:
    import grp
    import pwd
except ImportError:  # not a POSIX target: files then come back without owner and group names
    grp = pwd = None

from ansible_collections.alicloud.cas.plugins.module_utils import _x509
from ansible_collections.alicloud.cas.plugins.module_utils._errors import (
    AlicloudCasError,
    ConfigurationError,
    PartialResultError,
)
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


def _not_inspected(exists):
    """The result fields before the certificate is read: nothing known, so a renewal is needed."""
    return {
        "exists": exists,
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


def inspect(cert_pem, domain, key_pem=None, csr_pem=None, renew_before_days=30, now=None):
    """Everything the role needs to decide whether a domain's files must be (re)issued.

    ``domain`` is one domain or a list of them, all of which the certificate must cover.
    ``cert_pem``/``key_pem``/``csr_pem`` are bytes or None (file missing). The result has
    no key material. ``needs_renewal`` is true when any check fails, and ``reason`` says
    which one, first failure wins, in the order a person would fix them.
    """
    domains = [domain] if isinstance(domain, str) else list(domain)
    now = now or _x509.utc_now()
    result = _not_inspected(exists=cert_pem is not None)
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
    )
    uncovered = [wanted for wanted in domains if not covers(names, wanted)]
    result["covers_domain"] = not uncovered
    result["key_matches"], key_reason = key_matches_certificate(cert, key_pem, csr_pem)

    if not result["covers_domain"]:
        result["reason"] = "the certificate does not name %s (it names %s)" % (
            ", ".join(uncovered), ", ".join(names) or "nothing")
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
            result["not_after"], result["days_left"], ", ".join(domains))
    return result


class FileReadError(AlicloudCasError):
    """A file that exists could not be read; in batch mode only its certificate fails."""


class BatchError(PartialResultError):
    """Some certificates of a batch could not be read; the result still holds every item."""


def read_file(path):
    """A file's content as bytes, or None when it does not exist."""
    if not path or not os.path.exists(path):
        return None
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise FileReadError("Cannot read %s: %s" % (path, exc.strerror))


def _user_name(uid):
    """The user name of ``uid``, or None when the target has no name for it."""
    try:
        return pwd.getpwuid(uid).pw_name if pwd else None
    except KeyError:
        return None


def _group_name(gid):
    """The group name of ``gid``, or None when the target has no name for it."""
    try:
        return grp.getgrgid(gid).gr_name if grp else None
    except KeyError:
        return None


def file_attributes(path):
    """A file's mode (octal string), owner, group, uid and gid, following symbolic links.

    None when the path is not a file (absent, a directory, a dangling link, or not
    reachable), so that the caller counts it as missing. The role compares these with the
    mode and owner it wants and puts right only the files that differ.
    """
    try:
        status = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(status.st_mode):
        return None
    return {
        "mode": "%04o" % stat.S_IMODE(status.st_mode),
        "owner": _user_name(status.st_uid),
        "group": _group_name(status.st_gid),
        "uid": status.st_uid,
        "gid": status.st_gid,
    }


def _key_and_csr(privatekey_path, csr):
    """(key_pem, csr_pem) to compare the certificate with; the CSR only without a key path."""
    if privatekey_path:
        # An absent key file must still count as "no match", not as "compare with the CSR".
        return read_file(privatekey_path) or b"", None
    return None, csr.encode("utf-8") if csr else None


def _inspect_single(params, now):
    missing = [option for option in ("path", "domain") if not params.get(option)]
    if missing:
        raise ConfigurationError("missing required arguments: %s (or give certificates to inspect several"
                                 " certificates)." % ", ".join(missing), missing[0])
    key_pem, csr_pem = _key_and_csr(params.get("privatekey_path"), params.get("csr"))
    return inspect(read_file(params["path"]), params["domain"], key_pem=key_pem, csr_pem=csr_pem,
                   renew_before_days=params["renew_before_days"], now=now)


BATCH_EXCLUSIVE = ("path", "domain", "privatekey_path", "csr")


def _check_item(index, entry, default_days):
    """One entry of ``certificates``, checked and normalised; raises naming ``certificates[index].<option>``."""
    where = "certificates[%d]." % index
    if not entry.get("path"):
        raise ConfigurationError("%spath is required: give the certificate file to inspect." % where,
                                 where + "path")
    if (entry.get("domain") is None) == (entry.get("domains") is None):
        raise ConfigurationError("%sdomain or %sdomains is required, and only one of them." % (where, where),
                                 where + "domain")
    if entry.get("domain") is not None:
        domains = [normalize_domain(entry["domain"], where + "domain")]
    else:
        if not entry["domains"]:
            raise ConfigurationError("%sdomains is empty: list the names the certificate must cover." % where,
                                     where + "domains")
        domains = [normalize_domain(name, "%sdomains[%d]" % (where, position))
                   for position, name in enumerate(entry["domains"])]
    days = entry.get("renew_before_days")
    option = where + "renew_before_days"
    if days is None:
        days, option = default_days, "renew_before_days"
    if days < 0:
        raise ConfigurationError("%s must be 0 or more days, got %d." % (option, days), option)
    return {
        "name": entry["name"] if entry.get("name") is not None else entry["path"],
        "path": entry["path"],
        "domains": domains,
        "privatekey_path": entry.get("privatekey_path"),
        "csr": entry.get("csr"),
        "renew_before_days": days,
        "expected_files": list(entry.get("expected_files") or []),
    }


def check_batch_options(params):
    """Every entry of ``certificates``, checked before any file is read."""
    given = [option for option in BATCH_EXCLUSIVE if params.get(option) is not None]
    if given:
        raise ConfigurationError("%s cannot be combined with certificates: give it in each item of certificates"
                                 " instead." % given[0], given[0])
    return [_check_item(index, entry, params["renew_before_days"])
            for index, entry in enumerate(params["certificates"])]


def _unread(item, message):
    """The item of a certificate whose files could not be read: it fails, and needs looking at."""
    return dict(_not_inspected(exists=os.path.exists(item["path"])), name=item["name"], failed=True, msg=message,
                reason=message, missing_files=[], files={})


def _inspect_item(item, now):
    try:
        key_pem, csr_pem = _key_and_csr(item["privatekey_path"], item["csr"])
        result = inspect(read_file(item["path"]), item["domains"], key_pem=key_pem, csr_pem=csr_pem,
                         renew_before_days=item["renew_before_days"], now=now)
    except FileReadError as error:
        return _unread(item, str(error))
    # A link to a file is the file (its target's mode and owner), a dangling one is missing.
    files = {}
    for path in item["expected_files"]:
        attributes = file_attributes(path)
        if attributes is not None:
            files[path] = attributes
    missing = [path for path in item["expected_files"] if path not in files]
    result.update(name=item["name"], failed=False, msg="", missing_files=missing, files=files)
    return result


def file_info(params, now=None):
    """The result of certificate_file_info: one inspection, or with ``certificates`` one per item.

    In batch mode every item is checked before any file is read, each item is inspected in
    input order, and one unreadable item fails only itself (the task fails at the end).
    """
    now = now or _x509.utc_now()
    if params.get("certificates") is None:
        return dict(_inspect_single(params, now), changed=False)
    results = [_inspect_item(item, now) for item in check_batch_options(params)]
    result = {"changed": False, "certificates": results}
    failed = [item["name"] for item in results if item["failed"]]
    if failed:
        raise BatchError("%d of %d certificates could not be inspected: %s. Each item's msg says why."
                         % (len(failed), len(results), ", ".join(failed)), result)
    return result
