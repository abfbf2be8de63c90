# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""Alidns 2015-01-09 operations with normalised results."""

from __future__ import annotations

from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlibabaCloudError, ConfigurationError
from ansible_collections.alicloud.cas.plugins.module_utils._validation import normalize_dns_name

ZONE_PAGE_SIZE = 100
RECORD_PAGE_SIZE = 500


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


class AlidnsClient:
    """The Alidns actions the collection uses, over an RpcClient."""

    def __init__(self, rpc):
        self.rpc = rpc

    def _pages(self, action, params, page_size, container, item_key):
        items = []
        page = 1
        while True:
            answer = self.rpc.call(action, dict(params, PageNumber=page, PageSize=page_size))
            batch = (answer.get(container) or {}).get(item_key) or []
            items.extend(batch)
            if not batch or len(items) >= int(answer.get("TotalCount") or 0):
                return items
            page += 1

    def zones(self):
        """Every zone of the account, as lower-case punycode names."""
        names = []
        for item in self._pages("DescribeDomains", {}, ZONE_PAGE_SIZE, "Domains", "Domain"):
            name = item.get("PunyCode") or item.get("DomainName")
            if name:
                names.append(normalize_dns_name(name, option="zone"))
        return names

    def find_zone(self, fqdn):
        """The account's zone that holds ``fqdn`` (longest suffix wins)."""
        zones = self.zones()
        zone = longest_zone(fqdn, zones)
        if zone is None:
            raise ConfigurationError(
                "No Alidns zone of this account holds %r. Zones considered: %s. Add the zone to Alidns or"
                " set zone explicitly." % (fqdn, ", ".join(sorted(zones)) or "none (the account has no zones)"),
                option="record")
        return zone

    def records(self, zone, rr, record_type=None):
        """Every record at exactly ``rr`` in ``zone`` (optionally of one type), all pages read."""
        rr = rr.lower()
        params = {"DomainName": zone, "RRKeyWord": rr, "SearchMode": "COMBINATION"}
        if record_type:
            params["Type"] = record_type
        items = self._pages("DescribeDomainRecords", params, RECORD_PAGE_SIZE, "DomainRecords", "Record")
        # RRKeyWord is documented as fuzzy outside COMBINATION mode: filter exactly anyway.
        return [normalize_record(item) for item in items
                if (item.get("RR") or "").lower() == rr
                and (record_type is None or (item.get("Type") or "").upper() == record_type)]

    def add(self, zone, rr, record_type, value, ttl=None, line=None, priority=None):
        """Add a record; an identical record already there counts as added."""
        try:
            answer = self.rpc.call("AddDomainRecord", {
                "DomainName": zone, "RR": rr, "Type": record_type, "Value": value,
                "TTL": ttl, "Line": line, "Priority": priority,
            })
        except AlibabaCloudError as error:
            if error.code == "DomainRecordDuplicate":
                return None
            raise
        return answer.get("RecordId")

    def update(self, record_id, rr, record_type, value, ttl=None, line=None, priority=None):
        """Change one record in place. False when Alidns answers DomainRecordDuplicate.

        That answer means the record already has exactly these fields, or another record at
        the same RR/type/line already has this value; the caller tells the two apart.
        """
        try:
            self.rpc.call("UpdateDomainRecord", {
                "RecordId": record_id, "RR": rr, "Type": record_type, "Value": value,
                "TTL": ttl, "Line": line, "Priority": priority,
            })
        except AlibabaCloudError as error:
            if error.code == "DomainRecordDuplicate":
                return False
            raise
        return True

    def delete(self, record_id):
        """Delete one record by id; a record that is already gone counts as deleted."""
        try:
            self.rpc.call("DeleteDomainRecord", {"RecordId": record_id})
        except AlibabaCloudError as error:
            if error.code != "DomainRecordNotBelongToUser":
                raise
