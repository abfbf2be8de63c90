# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""An in-memory Alidns behind the RpcClient.call interface, with a log of every call.

It answers like the service in the ways the client depends on: pages (PageSize caps, and
a lower ``page_cap`` like the emulator's ``show_size_cap``), exact COMBINATION filtering,
DomainRecordDuplicate on an identical add or no-op update, DomainRecordNotBelongToUser for
an unknown record ID (``gone_code`` for DescribeDomainRecordInfo, whose answer is UNCONFIRMED),
and InvalidParameter for a TTL below ``ttl_floor``.
"""

from __future__ import annotations

import itertools

from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlibabaCloudError

WRITES = ("AddDomainRecord", "UpdateDomainRecord", "DeleteDomainRecord", "DeleteSubDomainRecords")


class FakeAlidns:
    def __init__(self, zones=("example.com",), fuzzy_rr=False, ttl_floor=600, page_cap=None,
                 gone_code="InvalidRR.NoExist"):
        self.zones = [{"DomainName": z, "PunyCode": z} for z in zones]
        self.ttl_floor = ttl_floor
        self.page_cap = page_cap
        self.gone_code = gone_code
        self.records = {}
        self.calls = []
        self.fuzzy_rr = fuzzy_rr  # answer RRKeyWord as a substring match, as outside COMBINATION
        self.before = {}  # action -> callable run before the action is answered (races)
        self._ids = itertools.count(1000)

    # --- test helpers -----------------------------------------------------------------------
    def seed(self, zone, rr, record_type, value, ttl=600, line="default", priority=None):
        record_id = str(next(self._ids))
        self.records[record_id] = {
            "RecordId": record_id, "DomainName": zone, "RR": rr, "Type": record_type, "Value": value,
            "TTL": ttl, "Line": line, "Status": "ENABLE", "Locked": False,
        }
        if priority is not None:
            self.records[record_id]["Priority"] = priority
        return record_id

    def values(self, zone, rr, record_type, line="default"):
        return sorted(r["Value"] for r in self.records.values()
                      if (r["DomainName"], r["RR"], r["Type"], r["Line"]) == (zone, rr, record_type, line))

    def actions(self):
        return [call[0] for call in self.calls]

    def write_actions(self):
        return [call[0] for call in self.writes()]

    def writes(self):
        return [(action, params) for action, params in self.calls if action in WRITES]

    # --- RpcClient interface ---------------------------------------------------------------
    def call(self, action, params=None, reconcile=None):
        params = {k: v for k, v in (params or {}).items() if v is not None}
        self.calls.append((action, params))
        hook = self.before.pop(action, None)
        if hook:
            hook()
        return getattr(self, "_" + action)(params)

    def _page(self, items, params, cap):
        size = min(int(params.get("PageSize", 20)), cap, self.page_cap or cap)
        start = (int(params.get("PageNumber", 1)) - 1) * size
        return items[start:start + size]

    def _DescribeDomains(self, params):
        return {"TotalCount": len(self.zones), "Domains": {"Domain": self._page(self.zones, params, 100)}}

    def _zone(self, name):
        if name not in [z["PunyCode"] for z in self.zones]:
            raise AlibabaCloudError("The specified domain name does not exist.", code="InvalidDomainName.NoExist",
                                    http_status=400, action="DescribeDomainRecords")

    def _DescribeDomainRecords(self, params):
        self._zone(params["DomainName"])
        keyword = params.get("RRKeyWord", "").lower()
        items = [r for r in sorted(self.records.values(), key=lambda r: int(r["RecordId"]))
                 if r["DomainName"] == params["DomainName"]
                 and (keyword in r["RR"].lower() if self.fuzzy_rr else r["RR"].lower() == keyword)
                 and (not params.get("Type") or r["Type"] == params["Type"])]
        return {"TotalCount": len(items), "DomainRecords": {"Record": [dict(r) for r in self._page(items, params, 500)]}}

    def _DescribeDomainRecordInfo(self, params):
        record = self.records.get(params["RecordId"])
        if record is None:
            raise AlibabaCloudError("The domain record does not exist.", code=self.gone_code, http_status=400,
                                    action="DescribeDomainRecordInfo")
        return dict(record, PunyCode=record["DomainName"])

    def _slot_has(self, params, exclude=None):
        return any(r["RecordId"] != exclude and (r["RR"], r["Type"], r["Line"], r["Value"])
                   == (params["RR"], params["Type"], params.get("Line", "default"), params["Value"])
                   for r in self.records.values())

    def _check_ttl(self, params, action):
        if int(params.get("TTL", 600)) < self.ttl_floor:
            raise AlibabaCloudError('The specified parameter "TTL" is not valid. It must be within [%d, 86400].'
                                    % self.ttl_floor, code="InvalidParameter", http_status=400, action=action)

    def _AddDomainRecord(self, params):
        self._check_ttl(params, "AddDomainRecord")
        if self._slot_has(params):
            raise AlibabaCloudError("The domain record is duplicated.", code="DomainRecordDuplicate",
                                    http_status=400, action="AddDomainRecord")
        record_id = self.seed(params["DomainName"], params["RR"], params["Type"], params["Value"],
                              int(params.get("TTL", 600)), params.get("Line", "default"), params.get("Priority"))
        return {"RecordId": record_id}

    def _UpdateDomainRecord(self, params):
        record = self.records.get(params["RecordId"])
        if record is None:
            raise AlibabaCloudError("The domain record does not belong to this user.", code="DomainRecordNotBelongToUser",
                                    http_status=400, action="UpdateDomainRecord")
        self._check_ttl(params, "UpdateDomainRecord")
        new = dict(record, RR=params["RR"], Type=params["Type"], Value=params["Value"],
                   TTL=int(params.get("TTL", 600)), Line=params.get("Line", "default"))
        if "Priority" in params:
            new["Priority"] = params["Priority"]
        if new == record or self._slot_has(params, exclude=record["RecordId"]):
            raise AlibabaCloudError("The domain record is duplicated.", code="DomainRecordDuplicate",
                                    http_status=400, action="UpdateDomainRecord")
        self.records[record["RecordId"]] = new
        return {"RecordId": record["RecordId"]}

    def _DeleteDomainRecord(self, params):
        if self.records.pop(params["RecordId"], None) is None:
            raise AlibabaCloudError("The domain record does not belong to this user.", code="DomainRecordNotBelongToUser",
                                    http_status=400, action="DeleteDomainRecord")
        return {"RecordId": params["RecordId"]}
