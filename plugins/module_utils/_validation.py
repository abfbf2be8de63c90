# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""Checks of user input, done before any API call. Each failure names the option."""

from __future__ import annotations

import re

from ansible_collections.alicloud.cas.plugins.module_utils._errors import ConfigurationError

try:
    import idna
    HAS_IDNA = True
except ImportError:  # pragma: no cover - requests depends on idna
    HAS_IDNA = False

try:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID
    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - reported when a CSR is given
    HAS_CRYPTOGRAPHY = False

# DV product codes CreateCertificate*Request accepts (reference §2.3). Wildcard plans carry
# "-w-" in their code, single-domain plans "-1-".
DV_PRODUCT_CODES = (
    "digicert-free-1-free",
    "symantec-free-1-free",
    "symantec-dv-1-starter",
    "geotrust-dv-1-starter",
    "geotrust-dv-w-starter",
    "globalsign-dv-1-personal",
    "globalsign-dv-w-advanced",
)
PACKAGE_PRODUCT_CODES = DV_PRODUCT_CODES + (
    "symantec-ov-1-personal",
    "symantec-ov-w-personal",
    "geotrust-ov-1-personal",
    "geotrust-ov-w-personal",
    "globalsign-ov-1-personal",
    "globalsign-ov-w-advanced",
    "cfca-ov-1-personal",
    "cfca-ev-w-advanced",
)

_LDH_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_DNS_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{4,22}[0-9]$")


def is_wildcard_product(product_code):
    return "-w-" in product_code


def is_wildcard(domain):
    return domain.startswith("*.")


def base_domain(domain):
    """The domain without a leading wildcard label."""
    return domain[2:] if is_wildcard(domain) else domain


def _to_ascii(label, option, value):
    if all(ord(char) < 128 for char in label):
        return label
    if not HAS_IDNA:  # pragma: no cover
        raise ConfigurationError("%s %r is an internationalised name, which needs the idna package." % (option, value), option)
    try:
        return idna.encode(label, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise ConfigurationError("%s %r is not a valid internationalised domain name: %s." % (option, value, exc), option)


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
    """Wildcard domains need a wildcard plan and single domains a single-domain plan."""
    if product_code is None:
        if is_wildcard(domain):
            raise ConfigurationError(
                "domain %r is a wildcard, but the default product code is for single domains. Set %s to a"
                " wildcard plan: %s." % (domain, option, ", ".join(c for c in DV_PRODUCT_CODES if is_wildcard_product(c))),
                option)
        return
    if is_wildcard(domain) and not is_wildcard_product(product_code):
        raise ConfigurationError(
            "domain %r is a wildcard, but %s %r is a single-domain plan. Use a wildcard plan: %s."
            % (domain, option, product_code, ", ".join(c for c in DV_PRODUCT_CODES if is_wildcard_product(c))), option)
    if not is_wildcard(domain) and is_wildcard_product(product_code):
        raise ConfigurationError(
            "%s %r is a wildcard plan, but domain %r is a single domain. Use *.%s or a single-domain plan."
            % (option, product_code, domain, domain), option)


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
    if not HAS_CRYPTOGRAPHY:
        raise ConfigurationError("%s needs the Python cryptography package on the host that runs the module." % option, option)
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
