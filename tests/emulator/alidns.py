"""Alibaba Cloud DNS (Alidns, ``Version=2015-01-09``): zones and resource records."""

import ipaddress
import re
import uuid

from . import domains
from .errors import ApiError, int_param, invalid_parameter, require
from .state import Caller, Record, State, Zone, now_ms

RECORD_TYPES = ("A", "AAAA", "CNAME", "TXT", "MX", "NS", "SRV", "CAA")
LINES = ("default", "telecom", "unicom", "mobile", "oversea", "edu", "drpeng", "btvn")
MAX_TTL, DEFAULT_TTL = 86400, 600  # the smallest TTL is the ttl_floor setting
MAX_RECORDS_PER_SLOT = 90  # same RR + Type + Line
MAX_TXT_LENGTH = 512
DNS_SERVERS = ["dns9.hichina.com", "dns10.hichina.com"]

_SRV = re.compile(r"^\d{1,5} \d{1,5} \d{1,5} (\S+)$")
_CAA = re.compile(r'^\d{1,3} (issue|issuewild|iodef) "[^"]*"$')


def record_view(zone: Zone, record: Record) -> dict:
    """One ``DomainRecords.Record[]`` item as Alidns returns it."""
    view = {
        "RecordId": record.record_id, "DomainName": zone.name, "RR": record.rr, "Type": record.type,
        "Value": record.value, "TTL": record.ttl, "Line": record.line, "Status": record.status,
        "Locked": False, "Weight": 1, "LbaStatus": False,
        "CreateTimestamp": record.create_ms, "UpdateTimestamp": record.update_ms,
    }
    if record.priority is not None:
        view["Priority"] = record.priority
    return view


def _page(items: list, page_number: int, page_size: int) -> list:
    start = (page_number - 1) * page_size
    return items[start:start + page_size]


class AlidnsService:
    version = "2015-01-09"
    host_id = "alidns.aliyuncs.com"
    product = "Alidns"

    def __init__(self, state: State) -> None:
        self.state = state
        self.actions = {
            "DescribeDomains": self.describe_domains,
            "DescribeDomainRecords": self.describe_domain_records,
            "DescribeSubDomainRecords": self.describe_sub_domain_records,
            "DescribeDomainRecordInfo": self.describe_domain_record_info,
            "AddDomainRecord": self.add_domain_record,
            "UpdateDomainRecord": self.update_domain_record,
            "DeleteDomainRecord": self.delete_domain_record,
            "DeleteSubDomainRecords": self.delete_sub_domain_records,
            "GetMainDomainName": self.get_main_domain_name,
        }

    # --- helpers shared with the control API ---------------------------------------------
    def add_zone(self, account_id: str, name: str) -> Zone:
        name = name.lower().rstrip(".")
        if not domains.is_hostname(name):
            raise ApiError(400, "InvalidDomainName.Format", "The domain name format is invalid.")
        with self.state.lock:
            owner = self.state.zone_owner(name)
            if owner is not None and owner != account_id:
                raise ApiError(400, "DomainAddedByOtherAccount", "The domain is hosted by another account.")
            self.state.add_account(account_id)
            zones = self.state.zones[account_id]
            if name not in zones:
                zones[name] = Zone(name=name, domain_id=str(uuid.uuid4()), account_id=account_id,
                                   create_ms=now_ms())
            return zones[name]

    def zone_for(self, account_id: str, name: str) -> Zone:
        """The caller's zone; the two "not yours" codes differ on whether anyone hosts it."""
        name = name.lower().rstrip(".")
        if not domains.is_hostname(name):
            raise ApiError(400, "InvalidDomainName.Format", "The domain name format is invalid.")
        zone = self.state.zones.get(account_id, {}).get(name)
        if zone is not None:
            return zone
        if self.state.zone_owner(name) is not None:
            raise ApiError(400, "IncorrectDomainUser", "The domain name does not belong to this user.")
        raise ApiError(400, "InvalidDomainName.NoExist", "The specified domain name does not exist.")

    def _find_record(self, account_id: str, record_id: str) -> tuple[Zone, Record]:
        for zone in self.state.zones.get(account_id, {}).values():
            if record_id in zone.records:
                return zone, zone.records[record_id]
        raise ApiError(400, "DomainRecordNotBelongToUser", "The domain record does not belong to this user.")

    def _validated(self, zone: Zone, params: dict, exclude: str | None = None) -> dict:
        """Checks RR/Type/Value/TTL/Line/Priority and the zone-level rules; returns the fields."""
        rr, type_, value = require(params, "RR", "Type", "Value")
        type_ = type_.upper()
        if type_ not in RECORD_TYPES:
            raise invalid_parameter("Type", f"Supported types: {', '.join(RECORD_TYPES)}.")
        if not domains.is_valid_rr(rr) or len(rr) + len(zone.name) > 253:
            raise invalid_parameter("RR", "The parameter value RR is invalid.")
        rr = rr if rr in ("@", "*") else rr.lower()
        ttl = int_param(params, "TTL", DEFAULT_TTL, self.state.settings.ttl_floor, MAX_TTL)
        line = params.get("Line") or "default"
        if line not in LINES:
            raise invalid_parameter("Line")
        priority = None
        if type_ == "MX":
            if params.get("Priority", "") == "":
                raise ApiError(400, "MissingParameter",
                               'The input parameter "Priority" that is mandatory for MX records is not supplied.')
            priority = int_param(params, "Priority", None, 1, 50)
        self._check_value(type_, value)

        siblings = [r for r in zone.records.values() if r.record_id != exclude]
        if any(r.same_slot(rr, type_, line) and _same_value(type_, r.value, value) for r in siblings):
            raise ApiError(400, "DomainRecordDuplicate", "The domain record is duplicated.")
        for other in siblings:
            if other.rr.lower() == rr.lower() and other.line == line and "CNAME" in (other.type, type_):
                raise ApiError(400, "DomainRecordConflict", "The domain record is conflict with other records.")
        if sum(r.same_slot(rr, type_, line) for r in siblings) >= MAX_RECORDS_PER_SLOT:
            raise ApiError(
                400, "QuotaExceeded.Record",
                f"You can't add this domain record because the {type_} {rr} {line} record has been "
                f"out of MAX count ({MAX_RECORDS_PER_SLOT}).")
        return {"rr": rr, "type": type_, "value": value, "ttl": ttl, "line": line, "priority": priority}

    @staticmethod
    def _check_value(type_: str, value: str) -> None:
        if not _value_is_valid(type_, value):
            raise ApiError(400, "SubDomainInvalid.Value", f"The value of the {type_} record is invalid.")

    def add_record(self, account_id: str, zone_name: str, params: dict) -> Record:
        with self.state.lock:
            zone = self.zone_for(account_id, zone_name)
            fields = self._validated(zone, params)
            stamp = now_ms()
            record = Record(record_id=str(next(self.state.record_ids)), create_ms=stamp, update_ms=stamp, **fields)
            zone.records[record.record_id] = record
            return record

    # --- actions ----------------------------------------------------------------------------
    def add_domain_record(self, caller: Caller, params: dict) -> dict:
        (domain_name,) = require(params, "DomainName")
        record = self.add_record(caller.account_id, domain_name, params)
        return {"RecordId": record.record_id}

    def update_domain_record(self, caller: Caller, params: dict) -> dict:
        (record_id,) = require(params, "RecordId")
        with self.state.lock:
            zone, record = self._find_record(caller.account_id, record_id)
            fields = self._validated(zone, params, exclude=record_id)
            current = {k: getattr(record, k) for k in fields}
            if current == fields:
                # Alidns refuses a no-op update instead of silently accepting it.
                raise ApiError(400, "DomainRecordDuplicate", "The domain record is duplicated.")
            for key, value in fields.items():
                setattr(record, key, value)
            record.update_ms = now_ms()
        return {"RecordId": record_id}

    def delete_domain_record(self, caller: Caller, params: dict) -> dict:
        (record_id,) = require(params, "RecordId")
        with self.state.lock:
            zone = self._find_record(caller.account_id, record_id)[0]
            del zone.records[record_id]
        return {"RecordId": record_id}

    def delete_sub_domain_records(self, caller: Caller, params: dict) -> dict:
        domain_name, rr = require(params, "DomainName", "RR")
        type_ = params.get("Type", "").upper()
        with self.state.lock:
            zone = self.zone_for(caller.account_id, domain_name)
            doomed = [r.record_id for r in zone.records.values()
                      if r.rr.lower() == rr.lower() and (not type_ or r.type == type_)]
            for record_id in doomed:
                del zone.records[record_id]
        return {"RR": rr, "TotalCount": str(len(doomed))}

    def describe_domains(self, caller: Caller, params: dict) -> dict:
        page_number = int_param(params, "PageNumber", 1, 1)
        page_size = self.state.served_page_size(int_param(params, "PageSize", 20, 1, 100))
        keyword = params.get("KeyWord", "").lower()
        mode = params.get("SearchMode", "LIKE").upper()
        with self.state.lock:
            zones = sorted(self.state.zones.get(caller.account_id, {}).values(), key=lambda z: z.create_ms)
            if keyword:
                zones = [z for z in zones if (z.name == keyword if mode == "EXACT" else keyword in z.name)]
            items = [{
                "DomainName": z.name, "DomainId": z.domain_id, "PunyCode": z.name, "AliDomain": False,
                "DnsServers": {"DnsServer": list(DNS_SERVERS)}, "GroupId": "", "GroupName": "",
                "InstanceId": "", "VersionCode": "mianfei", "VersionName": "Alibaba Cloud DNS",
                "RecordCount": len(z.records), "Starmark": False, "CreateTimestamp": z.create_ms,
                "ResourceGroupId": "", "Tags": {"Tag": []},
            } for z in _page(zones, page_number, page_size)]
            return {"TotalCount": len(zones), "PageNumber": page_number, "PageSize": page_size,
                    "Domains": {"Domain": items}}

    def describe_domain_records(self, caller: Caller, params: dict) -> dict:
        (domain_name,) = require(params, "DomainName")
        page_number = int_param(params, "PageNumber", 1, 1)
        page_size = self.state.served_page_size(int_param(params, "PageSize", 20, 1, 500))
        with self.state.lock:
            zone = self.zone_for(caller.account_id, domain_name)
            records = [r for r in zone.records.values() if _matches_filters(r, params)]
            descending = params.get("Direction", "DESC").upper() != "ASC"
            records.sort(key=lambda r: (r.create_ms, int(r.record_id)), reverse=descending)
            return {
                "TotalCount": len(records), "PageNumber": page_number, "PageSize": page_size,
                "DomainRecords": {"Record": [record_view(zone, r) for r in _page(records, page_number, page_size)]},
            }

    def describe_domain_record_info(self, caller: Caller, params: dict) -> dict:
        """One record by id, its fields flat beside the zone's (the SDK's response model)."""
        (record_id,) = require(params, "RecordId")
        with self.state.lock:
            try:
                zone, record = self._find_record(caller.account_id, record_id)
            except ApiError:
                # UNCONFIRMED which code the service answers: the record_info_gone_code switch.
                code = self.state.settings.record_info_gone_code
                raise ApiError(400, code, "The domain record does not exist." if code == "InvalidRR.NoExist"
                               else "The domain record does not belong to this user.")
            view = {k: v for k, v in record_view(zone, record).items()
                    if k not in ("Weight", "LbaStatus", "CreateTimestamp", "UpdateTimestamp")}
            view.update(DomainId=zone.domain_id, PunyCode=zone.name, GroupId="", GroupName="", Remark="")
            return view

    def describe_sub_domain_records(self, caller: Caller, params: dict) -> dict:
        (sub_domain,) = require(params, "SubDomain")
        sub_domain = sub_domain.lower().rstrip(".")
        page_number = int_param(params, "PageNumber", 1, 1)
        page_size = self.state.served_page_size(int_param(params, "PageSize", 20, 1, 500))
        if not domains.is_hostname(sub_domain.replace("_", "x").replace("*", "x")):
            raise ApiError(400, "InvalidDomainName.Format", "The domain name format is invalid.")
        type_ = params.get("Type", "").upper()
        line = params.get("Line", "")
        with self.state.lock:
            if params.get("DomainName"):
                zone = self.zone_for(caller.account_id, params["DomainName"])
                if not domains.in_zone(sub_domain, zone.name):
                    raise invalid_parameter("SubDomain", "SubDomain is not inside DomainName.")
            else:
                # Inferred like the service does: the caller's zone, else the registrable domain.
                zone = self.state.find_zone(sub_domain, caller.account_id) or self.zone_for(
                    caller.account_id, domains.registrable_domain(sub_domain))
            rr = domains.relative_name(sub_domain, zone.name)
            records = sorted(
                (r for r in zone.records.values()
                 if r.rr.lower() == rr.lower() and (not type_ or r.type == type_) and (not line or r.line == line)),
                key=lambda r: int(r.record_id))
            return {
                "TotalCount": len(records), "PageNumber": page_number, "PageSize": page_size,
                # The SDK's model of this answer has no LbaStatus or timestamps (reference 3.2).
                "DomainRecords": {"Record": [
                    {k: v for k, v in record_view(zone, r).items()
                     if k not in ("LbaStatus", "CreateTimestamp", "UpdateTimestamp")}
                    for r in _page(records, page_number, page_size)]},
            }

    def get_main_domain_name(self, caller: Caller, params: dict) -> dict:
        (input_string,) = require(params, "InputString")
        name = input_string.lower().rstrip(".")
        if not domains.is_hostname(name.replace("_", "x")):
            raise ApiError(400, "InvalidDomainName.Format", "The domain name format is invalid.")
        main = domains.registrable_domain(name)
        rr = domains.relative_name(name, main)
        # Chinese convention: example.com is a first-level domain, www.example.com second-level.
        level = 1 if rr == "@" else rr.count(".") + 2
        return {"DomainName": main, "RR": rr, "DomainLevel": level}


def _value_is_valid(type_: str, value: str) -> bool:
    """Per-type syntax of the record value (the service rejects e.g. an IPv6 in an A record)."""
    if type_ in ("A", "AAAA"):
        try:
            ipaddress.IPv4Address(value) if type_ == "A" else ipaddress.IPv6Address(value)
        except ValueError:
            return False
        return True
    if type_ in ("CNAME", "MX", "NS"):
        return domains.is_hostname(value)
    if type_ == "TXT":
        return 0 < len(value) <= MAX_TXT_LENGTH
    if type_ == "SRV":
        match = _SRV.match(value)
        return bool(match) and domains.is_hostname(match.group(1))
    return bool(_CAA.match(value))  # CAA, the last whitelisted type


def _same_value(type_: str, a: str, b: str) -> bool:
    # Host names compare case-insensitively; TXT/CAA content is case-sensitive.
    if type_ in ("CNAME", "MX", "NS", "SRV"):
        return a.lower().rstrip(".") == b.lower().rstrip(".")
    if type_ == "AAAA":
        return ipaddress.IPv6Address(a) == ipaddress.IPv6Address(b)
    return a == b


def _matches_filters(record: Record, params: dict) -> bool:
    """DescribeDomainRecords filters: fuzzy RR/Value keywords (exact in COMBINATION mode)."""
    mode = params.get("SearchMode", "").upper()
    exact = mode == "COMBINATION"

    def match(keyword: str, field: str) -> bool:
        keyword, field = keyword.lower(), field.lower()
        return field == keyword if exact else keyword in field

    keyword = params.get("KeyWord", "")
    if keyword:
        hit = (record.rr.lower() == keyword.lower() or record.value.lower() == keyword.lower()) if mode == "EXACT" \
            else (keyword.lower() in record.rr.lower() or keyword.lower() in record.value.lower())
        if not hit:
            return False
    if params.get("RRKeyWord") and not match(params["RRKeyWord"], record.rr):
        return False
    if params.get("ValueKeyWord") and not match(params["ValueKeyWord"], record.value):
        return False
    if params.get("TypeKeyWord") and params["TypeKeyWord"].upper() != record.type:
        return False
    if params.get("Type") and params["Type"].upper() != record.type:
        return False
    if params.get("Line") and params["Line"] != record.line:
        return False
    if params.get("Status") and params["Status"].upper() != record.status:
        return False
    return True
