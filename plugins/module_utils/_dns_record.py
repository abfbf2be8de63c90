# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""The logic of the dns_record module: input checks, set reconciliation, check and diff mode.

Nothing here imports AnsibleModule. ``run`` takes the module options as a dict and a factory
for an AlidnsClient, so unit tests drive it with a fake client.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.alicloud.cas.plugins.module_utils._alidns import relative_name
from ansible_collections.alicloud.cas.plugins.module_utils._errors import (
    AlibabaCloudError,
    AlicloudCasError,
    ConfigurationError,
    PartialResultError,
)
from ansible_collections.alicloud.cas.plugins.module_utils._transport import RetryPolicy
from ansible_collections.alicloud.cas.plugins.module_utils._validation import normalize_dns_name

RECORD_TYPES = ("A", "AAAA", "CAA", "CNAME", "MX", "NS", "SRV", "TXT")
TXT_MAX_LENGTH = 512
# Alidns' own default. The smallest TTL depends on the zone's edition (600 s free, down to 1 s
# paid), so only a TTL no DNS server could serve is refused here; Alidns refuses the rest,
# and _alidns.ttl_refusal names the option.
DEFAULT_TTL = 600
MIN_TTL = 1
MAX_TTL = 2147483647  # RFC 2181, section 8
MIN_PRIORITY = 1
MAX_PRIORITY = 50
CAA_TAGS = ("issue", "issuewild", "iodef")
ON_EXISTING = ("replace", "keep", "keep_and_fail")
# Answers meaning "this zone is not in the account" when the zone was given explicitly.
NOT_OUR_ZONE_CODES = ("InvalidDomainName.NoExist", "IncorrectDomainUser")
# Module options that are the defaults of every item of record_sets, and those that only
# name one record set and so belong in the items.
ITEM_DEFAULTS = ("type", "ttl", "line", "state", "on_existing")
SINGLE_ONLY = ("record", "zone", "rr", "values", "priority", "record_id")

_QUOTED_STRINGS = re.compile(r'^\s*(?:"(?:[^"\\]|\\.)*"\s*)+$', re.DOTALL)
_QUOTED_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)
_BACKSLASH_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_CAA = re.compile(r'^(\d{1,3})\s+([A-Za-z0-9]+)\s+(.*)$', re.DOTALL)


def unquote_txt(value):
    """TXT content as Alidns stores it: without DNS quoting.

    A value made only of quoted character strings (``"v=spf1 -all"`` or ``"part1" "part2"``)
    becomes their concatenated content with backslash escapes resolved; any other value is
    already content and is taken as it is.
    """
    if _QUOTED_STRINGS.match(value):
        return "".join(_BACKSLASH_ESCAPE.sub(r"\1", part) for part in _QUOTED_STRING.findall(value))
    return value


def _host(value, what):
    try:
        name = normalize_dns_name(value, option="values")
    except ConfigurationError as error:
        raise ValueError(str(error))
    if "." not in name:
        raise ValueError("%s %r must be a fully qualified host name such as host.example.com" % (what, value))
    return name


def _uint16(text, what, value):
    if not text.isdigit() or int(text) > 65535:
        raise ValueError("%s of SRV value %r must be a number from 0 to 65535" % (what, value))
    return int(text)


def parse_value(record_type, value):
    """The canonical form of ``value`` for ``record_type``: the form compared and sent.

    Raises ValueError, with the reason, when the value does not fit the type.
    """
    text = value.strip()
    if record_type == "TXT":
        content = unquote_txt(value)
        if not content:
            raise ValueError("TXT values must not be empty")
        if len(content) > TXT_MAX_LENGTH:
            raise ValueError("TXT value of %d characters is too long; Alidns accepts at most %d"
                             % (len(content), TXT_MAX_LENGTH))
        return content
    if not text:
        raise ValueError("%s values must not be empty" % record_type)
    if record_type == "A":
        try:
            return str(ipaddress.IPv4Address(text))
        except ValueError:
            raise ValueError("A value %r is not an IPv4 address such as 192.0.2.10" % value)
    if record_type == "AAAA":
        try:
            if "%" in text:  # a scope zone is an interface of one host, not a DNS address
                raise ValueError(text)
            return ipaddress.IPv6Address(text).compressed
        except ValueError:
            raise ValueError("AAAA value %r is not an IPv6 address such as 2001:db8::10" % value)
    if record_type == "MX" and len(text.split()) == 2 and text.split()[0].isdigit():
        raise ValueError("MX value %r must be only the mail server's host name; set the preference with priority" % value)
    if record_type in ("CNAME", "NS", "MX"):
        return _host(text, "%s value" % record_type)
    if record_type == "SRV":
        fields = text.split()
        if len(fields) != 4:
            raise ValueError("SRV value %r must be 'priority weight port target', such as '10 5 5060 sip.example.com'" % value)
        numbers = [_uint16(field, what, value) for field, what in zip(fields, ("priority", "weight", "port"))]
        return "%d %d %d %s" % tuple(numbers + [_host(fields[3], "SRV target")])
    if record_type == "CAA":
        match = _CAA.match(text)
        if not match or int(match.group(1)) > 255:
            raise ValueError('CAA value %r must be \'flags tag "value"\', such as \'0 issue "digicert.com"\'' % value)
        flags, tag, content = int(match.group(1)), match.group(2).lower(), match.group(3).strip()
        if tag not in CAA_TAGS:
            raise ValueError("CAA value %r has tag %r; Alidns accepts %s" % (value, tag, ", ".join(CAA_TAGS)))
        if len(content) >= 2 and content.startswith('"') and content.endswith('"'):
            content = content[1:-1]
        if '"' in content:
            raise ValueError("CAA value %r must not contain quotes inside the value" % value)
        return '%d %s "%s"' % (flags, tag, content)
    raise ValueError("type %s is not supported" % record_type)


def current_value(record_type, value):
    """The canonical form of a value read from Alidns; one we cannot parse compares as it is."""
    try:
        return parse_value(record_type, value or "")
    except ValueError:
        return (value or "").strip()


def _check_name(params):
    """(zone or None, rr or None, record or None), normalised; the three ways to name the set."""
    zone = normalize_dns_name(params["zone"], option="zone") if params.get("zone") else None
    record = normalize_dns_name(params["record"], option="record") if params.get("record") else None
    rr = params.get("rr")
    if rr is not None and (record or not zone):
        raise ConfigurationError("rr names the record set inside zone: give it together with zone, and without record.", "rr")
    if rr is not None:
        rr = "@" if rr.strip() == "@" else normalize_dns_name(rr, option="rr")
        if rr != "@" and len(rr) + 1 + len(zone) > 253:
            raise ConfigurationError("rr %r in zone %s makes a name longer than 253 characters." % (params["rr"], zone), "rr")
    if record and zone and not (record == zone or record.endswith("." + zone)):
        raise ConfigurationError("record %s is not inside zone %s." % (record, zone), "record")
    if not record and not rr:
        raise ConfigurationError("Set record (a fully qualified name), or zone and rr.", "record")
    return zone, rr, record


def _check_type(record_type):
    if record_type is None:
        raise ConfigurationError("type is required: give the record type, one of %s." % ", ".join(RECORD_TYPES), "type")
    if record_type not in RECORD_TYPES:
        raise ConfigurationError("type must be one of %s, got %r." % (", ".join(RECORD_TYPES), record_type), "type")
    return record_type


def _check_by_id(params):
    """The options of a delete by record_id. Naming options, when given, are what the record
    must be; without them nothing is read before the delete."""
    record_id = str(params["record_id"]).strip()
    if not record_id:
        raise ConfigurationError("record_id must not be empty.", "record_id")
    if (params.get("state") or "present") != "absent":
        raise ConfigurationError(
            "record_id only works with state=absent: it deletes exactly that record. To publish values, leave"
            " record_id out and give record (or zone and rr) and values.", "record_id")
    if params.get("priority") is not None:
        raise ConfigurationError("priority cannot be combined with record_id, which deletes whatever the record's"
                                 " priority is.", "priority")
    record_type = _check_type(params["type"]) if params.get("type") is not None else None
    zone = normalize_dns_name(params["zone"], option="zone") if params.get("zone") else None
    rr = record = None
    if params.get("record") or params.get("rr") is not None:
        zone, rr, record = _check_name(params)
    values = params.get("values")
    if values is not None:
        if record_type is None:
            raise ConfigurationError("values with record_id need type, to compare the record's value.", "values")
        try:
            values = [parse_value(record_type, str(value)) for value in values]
        except ValueError as error:
            raise ConfigurationError("values: %s." % error, "values")
    return {
        "record_id": record_id, "zone": zone, "rr": rr, "record": record, "type": record_type, "values": values,
        "line": (params.get("line") or "default").strip(), "state": "absent",
        "expect": any(x is not None for x in (zone, rr, record, record_type, values)),
    }


def check_params(params):
    """Validated, normalised options as a dict; raises ConfigurationError before any API call."""
    if params.get("record_id") is not None:
        return _check_by_id(params)
    record_type = _check_type(params.get("type"))
    if params.get("on_existing", "replace") not in ON_EXISTING:
        raise ConfigurationError("on_existing must be one of %s." % ", ".join(ON_EXISTING), "on_existing")
    zone, rr, record = _check_name(params)
    state = params.get("state") or "present"

    values = params.get("values")
    if values is not None:
        canonical = []
        for value in values:
            try:
                parsed = parse_value(record_type, str(value))
            except ValueError as error:
                raise ConfigurationError("values: %s." % error, "values")
            if parsed not in canonical:
                canonical.append(parsed)
        values = canonical
    if state == "present" and not values:
        raise ConfigurationError(
            "values must hold at least one value when state=present; use state=absent to remove a record set.", "values")

    ttl = params.get("ttl")
    ttl = DEFAULT_TTL if ttl is None else ttl
    if not MIN_TTL <= ttl <= MAX_TTL:
        raise ConfigurationError(
            "ttl %d is not a DNS TTL: give %d to %d seconds (Alidns' free edition needs at least 600)."
            % (ttl, MIN_TTL, MAX_TTL), "ttl")

    priority = params.get("priority")
    if priority is not None and record_type != "MX":
        raise ConfigurationError(
            "priority only applies to MX records; for SRV put it in the value ('priority weight port target').", "priority")
    if record_type == "MX" and state == "present" and priority is None:
        raise ConfigurationError("MX records need priority (the preference, %d to %d)." % (MIN_PRIORITY, MAX_PRIORITY), "priority")
    if priority is not None and not MIN_PRIORITY <= priority <= MAX_PRIORITY:
        raise ConfigurationError("priority %d is out of range: Alidns accepts %d to %d." % (priority, MIN_PRIORITY, MAX_PRIORITY), "priority")

    line = (params.get("line") or "default").strip()
    if not line:
        raise ConfigurationError("line must not be empty; the default line is 'default'.", "line")

    return {
        "record_id": None, "zone": zone, "rr": rr, "record": record, "type": record_type, "values": values,
        "ttl": ttl, "priority": priority, "line": line, "state": state,
        "on_existing": params.get("on_existing") or "replace",
    }


def _fqdn(zone, rr):
    return zone if rr == "@" else "%s.%s" % (rr.lower(), zone)


def locate(client, wanted):
    """(zone, rr, fqdn) of the record set, discovering the zone when it was not given."""
    if wanted["rr"] is not None:
        zone, rr = wanted["zone"], wanted["rr"]
        return zone, rr, _fqdn(zone, rr)
    fqdn = wanted["record"]
    zone = wanted["zone"] or client.find_zone(fqdn)
    return zone, relative_name(fqdn, zone), fqdn


def _read_name(client, zone, rr):
    """Every record at the name (all types and lines), with a clear error for a foreign zone."""
    try:
        return client.records(zone, rr)
    except AlibabaCloudError as error:
        if error.code in NOT_OUR_ZONE_CODES:
            raise ConfigurationError(
                "zone %s is not an Alidns zone of this account (%s). Check zone, or leave it out to"
                " discover the zone from record." % (zone, error.code), "zone")
        raise


def _in_set(records, wanted):
    return [r for r in records if r["type"] == wanted["type"] and (r["line"] or "default") == wanted["line"]]


def check_cname(at_name, wanted, fqdn):
    """A CNAME owns its name: refuse to make it share the name (on this line) with other types."""
    line = [r for r in at_name if (r["line"] or "default") == wanted["line"]]
    if wanted["type"] == "CNAME":
        others = sorted({r["type"] for r in line if r["type"] != "CNAME"})
        if others:
            raise ConfigurationError(
                "%s already has %s records on line %s; a CNAME cannot share its name with other records."
                % (fqdn, ", ".join(others), wanted["line"]), "type")
    elif any(r["type"] == "CNAME" for r in line):
        raise ConfigurationError(
            "%s is a CNAME on line %s; a %s record cannot share its name with a CNAME. Remove the CNAME first."
            % (fqdn, wanted["line"], wanted["type"]), "type")


def _fields(record, record_type):
    """(ttl, priority) of a record read from Alidns; priority counts only for MX."""
    ttl = int(record["ttl"]) if record.get("ttl") is not None else None
    priority = record.get("priority") if record_type == "MX" else None
    return ttl, int(priority) if priority is not None else None


def plan_present(current, wanted):
    """Writes that make the set hold ``values``: {"updates", "adds", "deletes", "after"}.

    ``updates`` pairs a record read now with the fields it gets; ``after`` predicts the set.
    """
    record_type, ttl, priority = wanted["type"], wanted["ttl"], wanted["priority"]
    by_value, surplus = {}, []
    for record in current:
        key = current_value(record_type, record["value"])
        if key in by_value:
            surplus.append(record)  # same value twice, e.g. quoted and unquoted TXT
        else:
            by_value[key] = record
    target = {"ttl": ttl, "priority": priority}

    updates = []
    after = []
    for value in wanted["values"]:
        record = by_value.get(value)
        if record is None:
            continue
        if _fields(record, record_type) != (ttl, priority):
            updates.append((record, dict(target, value=value)))
        after.append(dict(record, value=value, ttl=ttl, priority=priority))
    missing = sorted(v for v in wanted["values"] if v not in by_value)
    foreign = sorted((r for v, r in by_value.items() if v not in wanted["values"]), key=lambda r: current_value(record_type, r["value"]))

    if wanted["on_existing"] == "replace":
        extras = foreign + surplus
        # Change unwanted records into wanted ones in place, so the name never goes without
        # a record; only the difference in size is added or deleted.
        for record, value in zip(extras, missing):
            updates.append((record, dict(target, value=value)))
            after.append(dict(record, value=value, ttl=ttl, priority=priority))
        adds = missing[len(extras):]
        deletes = extras[len(missing):]
    else:
        if foreign and wanted["on_existing"] == "keep_and_fail":
            raise ConfigurationError(
                "The record set already holds other values: %s. on_existing=keep_and_fail leaves it"
                " unchanged; use keep to add alongside them or replace to replace them."
                % ", ".join(current_value(record_type, r["value"]) for r in foreign), "on_existing")
        adds, deletes = missing, []
        after.extend(foreign + surplus)
    after.extend({"id": None, "value": v, "ttl": ttl, "line": wanted["line"], "priority": priority,
                  "status": None, "type": record_type} for v in adds)
    return {"updates": updates, "adds": adds, "deletes": deletes, "after": after}


def plan_absent(current, wanted):
    """Delete the given values, or the whole set without ``values``; nothing else."""
    if wanted["values"] is None:
        deletes = list(current)
    else:
        deletes = [r for r in current if current_value(wanted["type"], r["value"]) in wanted["values"]]
    doomed = {id(r) for r in deletes}
    return {"updates": [], "adds": [], "deletes": deletes, "after": [r for r in current if id(r) not in doomed]}


def _apply(client, zone, rr, wanted, plan):
    """Make the writes of ``plan``; ``(records after, warnings)`` from the plan and the answers.

    The set is read again only where it protects data or an answer left an id unknown.
    """
    record_type, line = wanted["type"], wanted["line"]
    for record, fields in plan["updates"]:
        client.update(record["id"], rr, record_type, fields["value"], fields["ttl"], line, fields["priority"])
    added = {}
    for value in plan["adds"]:
        added[value] = client.add(zone, rr, record_type, value, wanted["ttl"], line, wanted["priority"])
    after = [dict(r, id=added[r["value"]]) if r["id"] is None else r for r in plan["after"]]
    warnings = []
    deletes = plan["deletes"]
    reread = None
    if deletes and (plan["updates"] or plan["adds"]):
        # Writes came first and took time: delete only records that still hold the value we
        # read, so a record someone else changed meanwhile is left alone.
        reread = _in_set(client.records(zone, rr, record_type), wanted)
        still = {(r["id"], current_value(record_type, r["value"])) for r in reread}
        spared = [r for r in deletes if (r["id"], current_value(record_type, r["value"])) not in still]
        if spared:
            warnings.append(
                "The record set changed while this task ran (someone else wrote to it): records %s no longer held"
                " the values read and were left alone." % ", ".join(sorted(str(r["id"]) for r in spared)))
        deletes = [r for r in deletes if r not in spared]
    elif None in added.values():
        # Someone else added the same value between our read and our write: learn its id.
        reread = _in_set(client.records(zone, rr, record_type), wanted)
    for record in deletes:
        client.delete(record["id"])
    if reread is not None:
        gone = {r["id"] for r in deletes}
        after = [r for r in reread if r["id"] not in gone]
    return after, warnings


def output_records(records, record_type):
    """Records as returned: sorted by value, priority only for MX."""
    result = []
    for record in sorted(records, key=lambda r: (current_value(record_type, r["value"]), str(r.get("id")))):
        item = {
            "id": record.get("id"),
            "value": current_value(record_type, record["value"]),
            "ttl": int(record["ttl"]) if record.get("ttl") is not None else None,
            "line": record.get("line") or "default",
            "status": record.get("status"),
        }
        if record_type == "MX":
            item["priority"] = record.get("priority")
        result.append(item)
    return result


def _diff_view(records, record_type, fqdn, line):
    """A record set for diff output: stable, without ids (which check mode cannot know)."""
    items = [{k: v for k, v in r.items() if k not in ("id", "status")} for r in output_records(records, record_type)]
    return {"record": fqdn, "type": record_type, "line": line, "records": items}


class RecordSetsError(PartialResultError):
    """Some items of record_sets failed; the result still holds every item's outcome."""


def _add_first(client, zone, rr, wanted):
    """Add every value without reading: ``(records added, whether the set must be read)``.

    Alidns refuses a value already in the set (DomainRecordDuplicate) and anything else the
    read path would refuse too (a CNAME conflict, a full set): either way the set is read, to
    learn the id and TTL of the value there or to fail with the read path's clear error.
    """
    record_type, line, priority = wanted["type"], wanted["line"], wanted["priority"]
    added = []
    for value in wanted["values"]:
        try:
            record_id = client.add(zone, rr, record_type, value, wanted["ttl"], line, priority)
        except AlibabaCloudError as error:
            if RetryPolicy.is_retryable(error):  # no refusal: no answer, or a busy service
                raise
            return added, True
        if record_id is None:
            return added, True
        added.append({"id": record_id, "value": value, "ttl": wanted["ttl"], "line": line, "priority": priority,
                      "status": None, "type": record_type})
    return added, False


def _run_by_id(client, wanted, check_mode, diff_mode):
    """Delete exactly one record by id: no read unless check or diff mode, or the task named the record."""
    record_id = wanted["record_id"]
    read = check_mode or diff_mode or wanted["expect"]
    record = client.record(record_id) if read else None
    if record is not None:
        zone, rr, record_type, line = record["zone"], record["rr"], record["type"], record["line"] or "default"
    else:
        zone, rr, record_type, line = wanted["zone"], wanted["rr"], wanted["type"], wanted["line"]
    fqdn = _fqdn(zone, rr) if zone and rr else wanted["record"]
    before = [record] if record is not None else []
    warnings = []
    if read and record is None:
        changed, after = False, []
    elif record is not None and wanted["expect"] and not _is_expected(record, wanted):
        warnings.append(
            "Record %s is %s %s %r, not the record this task names; it was left alone. Check record_id."
            % (record_id, fqdn, record_type, current_value(record_type, record["value"])))
        changed, after = False, before
    elif check_mode:
        changed, after = True, []
    else:
        changed, after = client.delete(record_id), []
    result = {"changed": changed, "zone": zone, "rr": rr, "fqdn": fqdn, "type": record_type,
              "records": output_records(after, record_type)}
    if diff_mode:
        result["diff"] = {"before": _diff_view(before, record_type, fqdn, line),
                          "after": _diff_view(after, record_type, fqdn, line)}
    if warnings:
        result["warnings"] = warnings
    return result


def _is_expected(record, wanted):
    """Whether the record read is the one the naming options describe."""
    fqdn = _fqdn(record["zone"], record["rr"] or "")
    checks = [
        wanted["zone"] is None or wanted["zone"] == record["zone"],
        wanted["record"] is None or wanted["record"] == fqdn,
        wanted["rr"] is None or wanted["rr"] == (record["rr"] or "").lower(),
        wanted["type"] is None or wanted["type"] == record["type"],
        wanted["values"] is None or current_value(record["type"], record["value"]) in wanted["values"],
    ]
    return all(checks)


def _run_one(client, wanted, check_mode, diff_mode):
    """Reconcile one record set (name + type + line), or delete one record by id."""
    if wanted["record_id"] is not None:
        return _run_by_id(client, wanted, check_mode, diff_mode)
    zone, rr, fqdn = locate(client, wanted)
    record_type = wanted["type"]
    result = {"zone": zone, "rr": rr, "fqdn": fqdn, "type": record_type}
    added_first = []
    if wanted["state"] == "present" and wanted["on_existing"] == "keep" and not (check_mode or diff_mode):
        added_first, read_needed = _add_first(client, zone, rr, wanted)
        if not read_needed:
            result.update(changed=True, records=output_records(added_first, record_type))
            return result
    at_name = _read_name(client, zone, rr)
    current = _in_set(at_name, wanted)
    if wanted["state"] == "present":
        check_cname(at_name, wanted, fqdn)
        plan = plan_present(current, wanted)
    else:
        plan = plan_absent(current, wanted)
    changed = bool(plan["updates"] or plan["adds"] or plan["deletes"])

    warnings = []
    after = plan["after"]
    if changed and not check_mode:
        after, warnings = _apply(client, zone, rr, wanted, plan)
    result.update(changed=changed or bool(added_first), records=output_records(after, record_type))
    if diff_mode:
        result["diff"] = {"before": _diff_view(current, record_type, fqdn, wanted["line"]),
                          "after": _diff_view(after, record_type, fqdn, wanted["line"])}
    if warnings:
        result["warnings"] = warnings
    return result


def check_record_sets(params):
    """``[(name, wanted)]`` for every item of record_sets, all checked before any call."""
    given = [option for option in SINGLE_ONLY if params.get(option) is not None]
    if given:
        raise ConfigurationError("%s cannot be combined with record_sets: give it in each item of record_sets instead."
                                 % given[0], given[0])
    if not params["record_sets"]:
        raise ConfigurationError("record_sets is empty; list at least one record set.", "record_sets")
    items = []
    for index, item in enumerate(params["record_sets"]):
        merged = dict((option, item.get(option)) for option in SINGLE_ONLY)
        for option in ITEM_DEFAULTS:
            merged[option] = item.get(option) if item.get(option) is not None else params.get(option)
        if item.get("record_id") is not None:
            # The default type is for record sets; for a record id, a type is what the record
            # must be, which costs a read, so only the item's own type counts.
            merged["type"] = item.get("type")
        try:
            wanted = check_params(merged)
        except ConfigurationError as error:
            where = "record_sets[%d].%s" % (index, error.option or "record")
            raise ConfigurationError("%s: %s" % (where, error), where)
        name = item.get("name") or wanted["record"] or wanted["record_id"] or "%s.%s" % (wanted["rr"], wanted["zone"])
        items.append((name, wanted))
    return items


def _run_batch(params, client_factory, check_mode, diff_mode):
    items = check_record_sets(params)
    client = client_factory()
    results, warnings, diffs = [], [], []
    for index, (name, wanted) in enumerate(items):
        try:
            outcome = _run_one(client, wanted, check_mode, diff_mode)
            outcome.update(failed=False, msg="")
        except AlicloudCasError as error:
            outcome = {"changed": False, "failed": True, "msg": str(error), "zone": wanted["zone"], "rr": wanted["rr"],
                       "fqdn": wanted["record"], "type": wanted["type"], "records": []}
            if isinstance(error, AlibabaCloudError):
                outcome.update(code=error.code, request_id=error.request_id)
        warnings.extend("record_sets[%d] (%s): %s" % (index, name, text) for text in outcome.pop("warnings", []))
        if "diff" in outcome:
            diffs.append(dict(outcome["diff"], before_header=name, after_header=name))
        results.append(dict(outcome, name=name, canonical_values=wanted["values"]))
    result = {"changed": any(item["changed"] for item in results), "record_sets": results}
    if diff_mode:
        result["diff"] = diffs
    if warnings:
        result["warnings"] = warnings
    failed = [item["name"] for item in results if item["failed"]]
    if failed:
        raise RecordSetsError("%d of %d record sets failed: %s. Each item's msg says why; the others were done."
                              % (len(failed), len(results), ", ".join(failed)), result)
    return result


def run(params, client_factory, check_mode=False, diff_mode=False):
    """The module result: one record set, one record by id, or with ``record_sets`` several in one run."""
    if params.get("record_sets") is not None:
        return _run_batch(params, client_factory, check_mode, diff_mode)
    wanted = check_params(params)
    return _run_one(client_factory(), wanted, check_mode, diff_mode)
