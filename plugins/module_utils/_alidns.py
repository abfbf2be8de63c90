# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""Alidns 2015-01-09 operations with normalised results."""

from __future__ import annotations

import difflib

from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlibabaCloudError, ConfigurationError
from ansible_collections.alicloud.cas.plugins.module_utils._paging import read_all_pages
from ansible_collections.alicloud.cas.plugins.module_utils._validation import normalize_dns_name

ZONE_PAGE_SIZE = 100
RECORD_PAGE_SIZE = 500
NEAREST_ZONES_SHOWN = 3
# What DeleteDomainRecord answers for a record id that is not (or no longer) in the account
# (reference 3.2, as Terraform reads it).
RECORD_GONE_ON_DELETE = "DomainRecordNotBelongToUser"
# What DescribeDomainRecordInfo answers for such an id is UNCONFIRMED: the reference names
# InvalidRR.NoExist (Terraform's not-found for this read) and DomainRecordNotBelongToUser
# ("also not found"). Both mean gone; the emulator's record_info_gone_code switch answers either.
RECORD_GONE_ON_READ = ("InvalidRR.NoExist", "DomainRecordNotBelongToUser")


def normalize_record(item):
    """A DomainRecords.Record item in snake_case."""
    return {
        "id": item.get("RecordId"),
        "rr": item.get("RR"),
        "type": item.get("Type"),
        "value": item.get("Value"),
        "ttl": item.get("TTL"),
        "line": item.get("Line"),
        "priority": item.get("Priority"),
        "status": item.get("Status"),
        "locked": item.get("Locked"),
    }


def relative_name(fqdn, zone):
    """The RR of ``fqdn`` inside ``zone``: ``@`` for the apex."""
    if fqdn == zone:
        return "@"
    return fqdn[: -(len(zone) + 1)]


def longest_zone(fqdn, zones):
    """The longest zone among ``zones`` that ``fqdn`` is in or equal to, or None."""
    matches = [zone for zone in zones if fqdn == zone or fqdn.endswith("." + zone)]
    return max(matches, key=len) if matches else None


def nearest_zones(fqdn, zones, count=NEAREST_ZONES_SHOWN):
    """The ``count`` zones spelled most like the end of ``fqdn`` (a typo, a wrong suffix)."""
    labels = fqdn.split(".")

    def distance(zone):
        tail = ".".join(labels[-len(zone.split(".")):])
        return (-difflib.SequenceMatcher(None, tail, zone).ratio(), zone)

    return sorted(zones, key=distance)[:count]


def ttl_refusal(error, ttl, option="ttl"):
    """A ConfigurationError naming ``option`` when Alidns refused the record's TTL, else None.

    The smallest TTL depends on the zone's Alidns edition (600 s on the free one, down to 1 s
    on paid ones), so only Alidns can tell; the code it answers is UNCONFIRMED, and the
    emulator's InvalidParameter naming TTL is what is matched.
    """
    code = error.code or ""
    if not code.startswith("InvalidParameter") or "ttl" not in error.message.lower():
        return None
    return ConfigurationError(
        "Alidns refused %s %s for this zone (%s: %s). The smallest TTL depends on the zone's Alidns edition:"
        " 600 s on the free edition, less on paid ones. Raise %s (dv_certificate_dns_ttl in the dv_certificate"
        " role)." % (option, ttl, code, error.message, option), option)


class AlidnsClient:
    """The Alidns actions the collection uses, over an RpcClient."""

    def __init__(self, rpc):
        self.rpc = rpc
        self._zones = None

    def _pages(self, action, params, page_size, container, item_key, id_key):
        return read_all_pages(
            lambda page: self.rpc.call(action, dict(params, PageNumber=page, PageSize=page_size)),
            lambda answer: (answer.get(container) or {}).get(item_key) or [],
            key=lambda item: item.get(id_key))

    def zones(self):
        """Every zone of the account, as lower-case punycode names; read once per client, so
        a batch of record sets discovers its zones with one listing."""
        if self._zones is None:
            names = []
            for item in self._pages("DescribeDomains", {}, ZONE_PAGE_SIZE, "Domains", "Domain", "DomainName"):
                name = item.get("PunyCode") or item.get("DomainName")
                if name:
                    names.append(normalize_dns_name(name, option="zone"))
            self._zones = names
        return list(self._zones)

    def find_zone(self, fqdn):
        """The account's zone that holds ``fqdn`` (longest suffix wins)."""
        zones = self.zones()
        zone = longest_zone(fqdn, zones)
        if zone is None:
            if not zones:
                considered = "The account has no zones."
            else:
                # A large account has thousands of zones: name the few that look meant.
                considered = "The account has %d zone%s; the nearest: %s." % (
                    len(zones), "" if len(zones) == 1 else "s", ", ".join(nearest_zones(fqdn, zones)))
            raise ConfigurationError(
                "No Alidns zone of this account holds %r. %s Add the zone to Alidns, or set zone"
                " explicitly." % (fqdn, considered), option="record")
        return zone

    def records(self, zone, rr, record_type=None):
        """Every record at exactly ``rr`` in ``zone`` (optionally of one type), all pages read."""
        rr = rr.lower()
        params = {"DomainName": zone, "RRKeyWord": rr, "SearchMode": "COMBINATION"}
        if record_type:
            params["Type"] = record_type
        items = self._pages("DescribeDomainRecords", params, RECORD_PAGE_SIZE, "DomainRecords", "Record", "RecordId")
        # RRKeyWord is documented as fuzzy outside COMBINATION mode: filter exactly anyway.
        return [normalize_record(item) for item in items
                if (item.get("RR") or "").lower() == rr
                and (record_type is None or (item.get("Type") or "").upper() == record_type)]

    def record(self, record_id):
        """One record by id, with its ``zone``; None when the account has no such record."""
        try:
            answer = self.rpc.call("DescribeDomainRecordInfo", {"RecordId": record_id})
        except AlibabaCloudError as error:
            if error.code in RECORD_GONE_ON_READ:
                return None
            raise
        record = normalize_record(answer)
        zone = answer.get("PunyCode") or answer.get("DomainName")
        record["zone"] = normalize_dns_name(zone, option="zone") if zone else None
        return record

    def add(self, zone, rr, record_type, value, ttl=None, line=None, priority=None):
        """Add a record and return its id; None when an identical record is already there."""
        try:
            answer = self.rpc.call("AddDomainRecord", {
                "DomainName": zone, "RR": rr, "Type": record_type, "Value": value,
                "TTL": ttl, "Line": line, "Priority": priority,
            })
        except AlibabaCloudError as error:
            if error.code == "DomainRecordDuplicate":
                return None
            raise ttl_refusal(error, ttl) or error
        return answer.get("RecordId")

    def update(self, record_id, rr, record_type, value, ttl=None, line=None, priority=None):
        """Change one record in place; DomainRecordDuplicate counts as done.

        That answer means the record already has exactly these fields, or another record at
        the same RR/type/line already has this value: either way the value is there.
        """
        try:
            self.rpc.call("UpdateDomainRecord", {
                "RecordId": record_id, "RR": rr, "Type": record_type, "Value": value,
                "TTL": ttl, "Line": line, "Priority": priority,
            })
        except AlibabaCloudError as error:
            if error.code != "DomainRecordDuplicate":
                raise ttl_refusal(error, ttl) or error

    def delete(self, record_id):
        """Delete one record by id: True if deleted, False if it was already gone."""
        try:
            self.rpc.call("DeleteDomainRecord", {"RecordId": record_id})
        except AlibabaCloudError as error:
            if error.code != RECORD_GONE_ON_DELETE:
                raise
            return False
        return True
