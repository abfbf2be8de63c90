"""Domain-name syntax and the small slice of public-suffix knowledge the emulator needs."""

import re

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# Alidns host records may contain "_" (e.g. "_dnsauth") and wildcard labels.
_RR_LABEL = re.compile(r"^(\*|(?!-)[a-z0-9_-]{1,63})$")

# Two-label public suffixes common enough to matter in tests. The real services use the
# full Public Suffix List; a short list keeps the emulator dependency-free.
MULTI_LABEL_SUFFIXES = frozenset({
    "com.cn", "net.cn", "org.cn", "gov.cn", "edu.cn", "ac.cn",
    "com.hk", "com.tw", "com.sg", "com.au", "net.au", "org.au",
    "co.uk", "org.uk", "ac.uk", "co.jp", "ne.jp", "or.jp",
    "co.nz", "co.kr", "co.in", "com.br",
})


def is_hostname(name: str) -> bool:
    """A fully qualified host name: 2+ LDH labels, alphabetic (or IDN) top-level label."""
    name = name.lower().rstrip(".")
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2:
        return False
    if not all(_LABEL.match(label) for label in labels):
        return False
    tld = labels[-1]
    return tld.isalpha() or tld.startswith("xn--")


def is_certificate_domain(name: str) -> bool:
    """A single-domain or ``*.``-wildcard certificate name (no IPs, no inner wildcards)."""
    base = name[2:] if name.startswith("*.") else name
    return is_hostname(base) and not base.endswith(".")


def strip_wildcard(domain: str) -> str:
    return domain[2:] if domain.startswith("*.") else domain


def is_valid_rr(rr: str) -> bool:
    if rr == "@":
        return True
    labels = rr.lower().split(".")
    return len(rr) <= 253 and all(_RR_LABEL.match(label) for label in labels)


def registrable_domain(name: str) -> str:
    """The registered ("main") domain: one label below the public suffix."""
    labels = name.lower().rstrip(".").split(".")
    suffix_labels = 2 if ".".join(labels[-2:]) in MULTI_LABEL_SUFFIXES else 1
    return ".".join(labels[-(suffix_labels + 1):])


def relative_name(fqdn: str, zone: str) -> str:
    """Host record of ``fqdn`` inside ``zone`` (``@`` for the apex)."""
    fqdn, zone = fqdn.lower(), zone.lower()
    if fqdn == zone:
        return "@"
    return fqdn[: -(len(zone) + 1)]


def in_zone(fqdn: str, zone: str) -> bool:
    fqdn, zone = fqdn.lower(), zone.lower()
    return fqdn == zone or fqdn.endswith("." + zone)
