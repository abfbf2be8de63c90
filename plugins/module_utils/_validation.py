# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""Checks of user input, done before any API call. Each failure names the option."""

from __future__ import annotations

import re

from ansible_collections.alicloud.cas.plugins.module_utils._errors import ConfigurationError
from ansible_collections.alicloud.cas.plugins.module_utils._x509 import cryptography_import_error

try:
    import idna
except ImportError:  # pragma: no cover - requests depends on idna; the stdlib punycode codec stands in
    idna = None

# What kind of domain each product code certifies: "single", "wildcard", or None where the
# sources disagree, in which case CAS decides and its refusal is explained by
# product_refusal(). Source: the SDK's ProductCode texts (reference §2.3). The code names
# follow "-1-" for single and "-w-" for wildcard plans, except symantec-dv-1-starter, which
# the SDK text calls "DigiCert wildcard DV" (and docs/quota.md a wildcard plan).
DV_PRODUCT_KINDS = (
    ("digicert-free-1-free", "single"),
    ("symantec-free-1-free", "single"),
    ("symantec-dv-1-starter", None),
    ("geotrust-dv-1-starter", "single"),
    ("geotrust-dv-w-starter", "wildcard"),
    ("globalsign-dv-1-personal", "single"),
    ("globalsign-dv-w-advanced", "wildcard"),
)
# Codes only CreateCertificateForPackageRequest and DescribePackageState know; the reference
# lists them without a description, so their kind is read from the code name.
PACKAGE_ONLY_PRODUCT_KINDS = (
    ("symantec-ov-1-personal", "single"),
    ("symantec-ov-w-personal", "wildcard"),
    ("geotrust-ov-1-personal", "single"),
    ("geotrust-ov-w-personal", "wildcard"),
    ("globalsign-ov-1-personal", "single"),
    ("globalsign-ov-w-advanced", "wildcard"),
    ("cfca-ov-1-personal", "single"),
    ("cfca-ev-w-advanced", "wildcard"),
)
PRODUCT_KINDS = dict(DV_PRODUCT_KINDS + PACKAGE_ONLY_PRODUCT_KINDS)
DV_PRODUCT_CODES = tuple(code for code, _kind in DV_PRODUCT_KINDS)
PACKAGE_PRODUCT_CODES = DV_PRODUCT_CODES + tuple(code for code, _kind in PACKAGE_ONLY_PRODUCT_KINDS)
DEFAULT_PRODUCT_CODE = "digicert-free-1-free"
# The certificate lifetimes the sources document, per product code: (as documented, in days).
# "3 months" (reference 2.2: S17 "valid for three months", the SDK's ProductCode text) is taken
# as 90 days; "1 year" as 365. UNCONFIRMED: the exact number of days CAS issues them for (the
# emulator's validity_days, default 90, stands for it); a certificate issued for longer than this
# is still refused only from this many days on, and one issued for less by the check on its own
# notBefore/notAfter (certificate_request's check_issued_lifetime). The CA/B Forum shortening from 2026-02-25 can only make them
# shorter, so refusing a renew_before_days at least this long never refuses a window that would
# work. The other codes, and V2.0 instances, have no documented lifetime: nothing is assumed for
# them, and only the certificate's own notBefore/notAfter is checked once one is issued.
PRODUCT_LIFETIMES = {
    "digicert-free-1-free": ("3 months", 90),
    "symantec-free-1-free": ("1 year", 365),
}

# Full stops that UTS 46 maps to "." (ideographic, fullwidth, halfwidth ideographic): a name
# typed with an East Asian input method often carries them.
_FULL_STOPS = ("\u3002", "\uff0e", "\uff61")

_LDH_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_DNS_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{4,22}[0-9]$")


def product_kind(product_code):
    """"single", "wildcard", or None when CAS decides (undecided or unknown code)."""
    return PRODUCT_KINDS.get(product_code)


def _plans(kind):
    return ", ".join(code for code, code_kind in DV_PRODUCT_KINDS if code_kind == kind)


def is_wildcard(domain):
    return domain.startswith("*.")


def base_domain(domain):
    """The domain without a leading wildcard label."""
    return domain[2:] if is_wildcard(domain) else domain


def _check_a_label(label, option, value):
    """Refuse an ``xn--`` label that is not valid punycode of a valid IDNA name."""
    try:
        if idna is None:  # pragma: no cover - see the import
            label[4:].encode("ascii").decode("punycode")
        else:
            idna.decode(label)
    except (UnicodeError, ValueError) as exc:  # idna.IDNAError is a UnicodeError
        raise ConfigurationError(
            "%s %r: label %r is not a valid internationalised (xn--) label: %s." % (option, value, label, exc), option)


def _to_ascii(label, option, value):
    if all(ord(char) < 128 for char in label):
        if label.lower().startswith("xn--"):
            _check_a_label(label.lower(), option, value)
        return label
    if idna is None:  # pragma: no cover
        raise ConfigurationError("%s %r is an internationalised name, which needs the idna package." % (option, value), option)
    try:
        return idna.encode(label, uts46=True).decode("ascii")
    except (UnicodeError, ValueError) as exc:
        raise ConfigurationError("%s %r is not a valid internationalised domain name: %s." % (option, value, exc), option)


def unicode_name(name):
    """The Unicode spelling of a punycode name, or None when it has none or cannot be decoded."""
    if idna is None or "xn--" not in name:
        return None
    try:
        return idna.decode(name)
    except (UnicodeError, ValueError):
        return None


def _split_name(value, option):
    """Lower-case ASCII labels of a host name, refusing URLs, ports and paths."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError("%s must be a non-empty domain name such as www.example.com." % option, option)
    name = value.strip()
    if "://" in name:
        raise ConfigurationError("%s %r must be a bare domain name, without a scheme such as https://." % (option, value), option)
    for char, what in ((":", "a port"), ("/", "a path"), ("@", "user info"), ("?", "a query"), (" ", "spaces")):
        if char in name:
            raise ConfigurationError("%s %r must be a bare domain name, without %s." % (option, value, what), option)
    for full_stop in _FULL_STOPS:
        name = name.replace(full_stop, ".")
    if name.endswith("."):
        name = name[:-1]
    labels = [_to_ascii(label, option, value).lower() for label in name.split(".")]
    if any(not label for label in labels):
        raise ConfigurationError("%s %r has an empty label (two dots in a row, or a leading dot)." % (option, value), option)
    ascii_name = ".".join(labels)
    if len(ascii_name) > 253:
        raise ConfigurationError("%s %r is longer than 253 characters." % (option, value), option)
    return labels


def normalize_domain(value, option="domain", allow_wildcard=True):
    """A certificate domain in lower-case punycode: LDH labels, a wildcard only as ``*.``."""
    labels = _split_name(value, option)
    if labels[0] == "*":
        if not allow_wildcard:
            raise ConfigurationError("%s %r: a wildcard is not allowed here." % (option, value), option)
        labels = labels[1:]
        prefix = "*."
    else:
        prefix = ""
    if len(labels) < 2:
        raise ConfigurationError("%s %r must have at least two labels, such as example.com." % (option, value), option)
    for label in labels:
        if "*" in label:
            raise ConfigurationError(
                "%s %r: a wildcard may only be the whole first label, as in *.example.com." % (option, value), option)
        if not _LDH_LABEL.match(label):
            raise ConfigurationError(
                "%s %r: label %r must be 1-63 letters, digits or hyphens, not starting or ending with a hyphen."
                % (option, value, label), option)
    if labels[-1].isdigit():
        raise ConfigurationError("%s %r looks like an IP address; certificates here are for domain names." % (option, value), option)
    return prefix + ".".join(labels)


def normalize_dns_name(value, option="record"):
    """A DNS owner name in lower-case punycode; underscores are allowed (_dnsauth, SRV)."""
    labels = _split_name(value, option)
    for label in labels:
        if label != "*" and not _DNS_LABEL.match(label):
            raise ConfigurationError(
                "%s %r: label %r must be 1-63 letters, digits, hyphens or underscores." % (option, value, label), option)
    return ".".join(labels)


def check_product_code(domain, product_code, option="product_code"):
    """Wildcard domains need a wildcard plan and single domains a single-domain plan.

    Only codes whose kind the sources agree on are refused here; for the others CAS decides,
    and product_refusal() names the option when it refuses.
    """
    kind = product_kind(product_code or DEFAULT_PRODUCT_CODE)
    if is_wildcard(domain) and kind == "single":
        if product_code is None:
            raise ConfigurationError(
                "domain %r is a wildcard, but the default product code is for single domains (%s). Set %s"
                " to a wildcard plan: %s." % (domain, DEFAULT_PRODUCT_CODE, option, _plans("wildcard")), option)
        raise ConfigurationError(
            "domain %r is a wildcard, but %s %r is a single-domain plan. Use a wildcard plan: %s."
            % (domain, option, product_code, _plans("wildcard")), option)
    if not is_wildcard(domain) and kind == "wildcard":
        raise ConfigurationError(
            "%s %r is a wildcard plan, but domain %r is a single domain. Use *.%s or a single-domain plan."
            % (option, product_code, domain, domain), option)


def product_refusal(error, domain, product_code, option="product_code"):
    """A ConfigurationError naming ``option`` when CAS refused the create over the product, else None.

    The exact code CAS answers for a domain that does not fit the plan is UNCONFIRMED; the
    emulator answers InvalidParameter with a message about the product, as checked here.
    """
    code = getattr(error, "code", None) or ""
    message = str(getattr(error, "message", None) or error)
    if not code.startswith("InvalidParameter") or "product" not in message.lower():
        return None
    wanted = "a wildcard" if is_wildcard(domain) else "a single-domain"
    return ConfigurationError(
        "CAS refused %s %r for domain %r (%s: %s). The plan does not certify this kind of domain: set %s to"
        " %s plan, such as %s." % (option, product_code or DEFAULT_PRODUCT_CODE, domain, code, message, option,
                                   wanted, _plans("wildcard" if is_wildcard(domain) else "single")), option)


def check_validate_type(domain, validate_type, option="validate_type"):
    if validate_type == "FILE" and is_wildcard(domain):
        raise ConfigurationError(
            "%s FILE cannot validate wildcard domain %r: the CA only accepts DNS validation for"
            " wildcards. Use validate_type DNS." % (option, domain), option)


def check_email(value, option="email"):
    if not _EMAIL.match(value or ""):
        raise ConfigurationError("%s %r is not an email address such as admin@example.com." % (option, value), option)


def check_phone(value, option="phone"):
    if not _PHONE.match(value or ""):
        raise ConfigurationError(
            "%s %r is not a phone number: use digits, optionally with a leading + and spaces or hyphens,"
            " such as +86 138 0000 0000." % (option, value), option)


def check_csr(pem, domain, option="csr"):
    """Parse a PEM CSR and check that it is signed, strong enough and names ``domain``."""
    if cryptography_import_error() is not None:
        raise ConfigurationError("%s needs the Python cryptography package on the host that runs the module." % option, option)
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID

    try:
        csr = x509.load_pem_x509_csr(pem.strip().encode("ascii") if isinstance(pem, str) else pem)
    except (ValueError, UnicodeEncodeError):
        raise ConfigurationError("%s is not a PEM certificate signing request (-----BEGIN CERTIFICATE REQUEST-----)." % option, option)
    if not csr.is_signature_valid:
        raise ConfigurationError("%s has an invalid signature; generate it again." % option, option)
    key = csr.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < 2048:
            raise ConfigurationError("%s uses a %d-bit RSA key; CAS needs RSA of at least 2048 bits or an ECC key." % (option, key.key_size), option)
    elif not isinstance(key, ec.EllipticCurvePublicKey):
        raise ConfigurationError("%s must use an RSA (2048 bits or more) or ECC key." % option, option)
    names = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    common_name = names[0].value if names else None
    if not common_name:
        raise ConfigurationError("%s has no common name (CN); CAS binds the certificate to the CSR's CN." % option, option)
    if normalize_domain(common_name, option="the CN of %s" % option) != domain:
        raise ConfigurationError("%s has CN %r, but domain is %r. They must match." % (option, common_name, domain), option)
    return common_name


class RenewalWindowError(ConfigurationError):
    """renew_before_days is refused for the lifetime of the product a request would use."""


def check_renewal_window(renew_before_days, product_code, option="renew_before_days"):
    """Refuse a renew_before_days that makes a fresh certificate of ``product_code`` due at once.

    Nothing is checked for a code whose lifetime is not documented (PRODUCT_LIFETIMES).
    """
    lifetime = PRODUCT_LIFETIMES.get(product_code)
    if lifetime is None or renew_before_days < lifetime[1]:
        return
    raise RenewalWindowError(
        "%s is %d, but a %s certificate is valid for %s (%d days): a freshly issued one would be due for renewal"
        " at once, and every run would order a new one. Set %s below %d (30 is the default)."
        % (option, renew_before_days, product_code, lifetime[0], lifetime[1], option, lifetime[1]), option)
