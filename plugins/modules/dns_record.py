#!/usr/bin/python
# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: dns_record
short_description: Manage a record set in Alibaba Cloud DNS (Alidns)
version_added: 0.1.0
description:
  - Create, change or remove the records of one type at one name and line in an Alidns zone.
  - The values are handled as a set. The module reads the whole set (all pages), then adds,
    changes and deletes only what differs. Records whose value changes are changed in place with
    C(UpdateDomainRecord), so the name is never briefly without a record.
  - With O(on_existing=keep) (and neither check nor diff mode) the module adds the values without reading first,
    and reads the set only when Alidns refuses a value (because it is already there, or the name holds a CNAME).
    A first publication of a validation record is so one C(AddDomainRecord) call, plus the zone lookup.
  - With O(record_id) and O(state=absent), exactly that record is deleted, without reading the set.
  - With O(record_sets), many record sets are handled in one run, with one zone lookup for all of them.
  - Records of other types, names or lines are never touched.
  - The zone can be given, or found among the account's Alidns zones; the longest zone that
    ends the name wins. Internationalised names are compared in their punycode form.
author:
  - alicloud.cas contributors (@alicloud-cas)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - alicloud.cas.connection
  - alicloud.cas.connection.alidns
attributes:
  check_mode:
    support: full
    details:
      - Check mode reads the record set (with O(record_id), the record) and predicts the result, without any write.
  diff_mode:
    support: full
    details:
      - The diff shows the record set (values, TTL and, for MX, priority) before and after.
      - With O(record_sets), each item has its own diff.
  idempotent:
    description:
      - When run twice with the same options, the second run reports no change and writes nothing.
    support: full
  platform:
    platforms: all
options:
  record:
    description:
      - Fully qualified name of the record set, for example V(_dnsauth.www.example.com).
      - Without O(zone), the zone is the longest of the account's Alidns zones that ends this name.
        With O(zone), the name must be inside that zone.
      - Underscores are allowed. A trailing dot is ignored. Internationalised names are converted to punycode.
      - Exactly one of O(record) and O(rr) is required, except with O(record_id) or O(record_sets).
    type: str
  zone:
    description:
      - The Alidns zone (domain name as added to Alidns), for example V(example.com).
      - Required with O(rr). With O(record), it skips zone discovery.
    type: str
  rr:
    description:
      - Name of the record set relative to O(zone) (Alidns calls it the host record, C(RR)),
        for example V(www) or V(_dnsauth). Use V(@) for the zone apex.
    type: str
  type:
    description:
      - Record type.
      - Required, except with O(record_id), and with O(record_sets), where it is the default type of the items.
    type: str
    choices: [A, AAAA, CAA, CNAME, MX, NS, SRV, TXT]
  values:
    description:
      - The values of the record set, compared as a set; order and duplicates do not matter.
      - Required with O(state=present).
      - With O(state=absent), only these values are removed; without them, the whole record set is removed.
      - V(A) values are IPv4 addresses and V(AAAA) values IPv6 addresses.
        V(CNAME), V(NS) and V(MX) values are host names (the MX preference goes in O(priority)).
        V(SRV) values have the form C(priority weight port target).
        V(CAA) values have the form C(flags tag "value"), with tag C(issue), C(issuewild) or C(iodef).
      - V(TXT) values may be given with or without surrounding double quotes. Alidns stores TXT content
        unquoted, so quoted character strings are unquoted (several are joined) and compared unquoted.
    type: list
    elements: str
    aliases: [value]
  ttl:
    description:
      - Time to live in seconds.
      - The smallest TTL depends on the zone's Alidns edition, V(600) on the free edition and less on paid ones, so
        the module leaves that check to Alidns; its refusal fails the task naming O(ttl), before anything is written.
      - A record with the right value but another TTL is changed in place.
      - With O(record_sets), the default TTL of the items.
    type: int
    default: 600
  line:
    description:
      - Alidns resolution line of the record set. Records on other lines are separate sets.
      - With O(record_sets), the default line of the items.
    type: str
    default: default
  priority:
    description:
      - MX preference, from V(1) to V(50). Required for MX records with O(state=present); not allowed for other types.
      - It applies to every value of the set. A record with the right value but another priority is changed in place.
    type: int
  state:
    description:
      - Whether the values should be present or absent.
      - With O(record_sets), the default state of the items.
    type: str
    choices: [present, absent]
    default: present
  on_existing:
    description:
      - What to do with values already in the record set that are not in O(values), with O(state=present).
      - V(replace) makes the record set exactly O(values). Unwanted records are changed into wanted ones in place
        where possible; the rest is added or deleted, additions first.
      - V(keep) adds missing values and leaves the other values alone. Use it for a name that others
        write to as well, such as a validation TXT record shared by several certificates.
      - V(keep_and_fail) fails, without any change, if the record set holds other values; otherwise it acts like V(keep).
      - With every mode, a value someone else adds while the module runs is never deleted;
        the module only deletes records it has read. When it deletes after other writes, it reads the set again first
        and leaves alone, with a warning, a record that no longer holds the value it read.
      - With O(record_sets), the default of the items.
    type: str
    choices: [replace, keep, keep_and_fail]
    default: replace
  record_id:
    description:
      - Alidns ID of one record to delete, as returned in RV(records[].id). Requires O(state=absent).
      - The record is deleted with one C(DeleteDomainRecord) call, without reading anything. A record that is
        already gone (Alidns answers C(DomainRecordNotBelongToUser)) counts as deleted, with no change.
      - O(record), O(zone), O(rr), O(type) and O(values) are optional with it. Give them to make sure the ID is the
        record you mean; the module then reads the record first (C(DescribeDomainRecordInfo)) and, if it is not at
        that name, of that type or with one of these values, leaves it alone with a warning. O(ttl), O(line) and
        O(on_existing) do not apply.
      - Check mode and diff mode read the record first too, to predict and show the deletion.
    type: str
    version_added: 0.3.0
  record_sets:
    description:
      - Several record sets, handled in order in one run (batch mode), with one connection and one listing of
        the account's zones for all items that need one.
      - Each item takes the options of one record set. O(type), O(ttl), O(line), O(state) and O(on_existing) are
        the defaults of the items (O(type) not for an item with O(record_sets[].record_id), which would then read
        the record first); O(record), O(zone), O(rr), O(values), O(priority) and O(record_id) cannot be combined
        with O(record_sets).
      - Bad input in any item fails the task before any call, naming the item, for example
        C(record_sets[2].values).
      - One item's failure (for example a name in no zone of the account) stops none of the others. The task fails
        at the end when any item failed, and still returns every item in RV(record_sets).
    type: list
    elements: dict
    version_added: 0.3.0
    suboptions:
      name:
        description:
          - A free label, returned as is in RV(record_sets[].name). Defaults to the record name or the record ID.
        type: str
      record:
        description:
          - As O(record).
        type: str
      zone:
        description:
          - As O(zone).
        type: str
      rr:
        description:
          - As O(rr).
        type: str
      type:
        description:
          - As O(type). Defaults to O(type).
        type: str
        choices: [A, AAAA, CAA, CNAME, MX, NS, SRV, TXT]
      values:
        description:
          - As O(values).
        type: list
        elements: str
      ttl:
        description:
          - As O(ttl). Defaults to O(ttl).
        type: int
      line:
        description:
          - As O(line). Defaults to O(line).
        type: str
      priority:
        description:
          - As O(priority).
        type: int
      state:
        description:
          - As O(state). Defaults to O(state).
        type: str
        choices: [present, absent]
      on_existing:
        description:
          - As O(on_existing). Defaults to O(on_existing).
        type: str
        choices: [replace, keep, keep_and_fail]
      record_id:
        description:
          - As O(record_id).
        type: str
notes:
  - A CNAME cannot share its name and line with records of other types. The module refuses such a change
    before any write.
seealso:
  - name: Alidns AddDomainRecord API
    description: The record fields and their limits.
    link: https://www.alibabacloud.com/help/en/dns/api-alidns-2015-01-09-adddomainrecord
"""

EXAMPLES = r"""
- name: Manage DNS records with one set of connection options
  module_defaults:
    group/alicloud.cas.alidns:
      access_key_id: "{{ alicloud_access_key_id }}"
      access_key_secret: "{{ alicloud_access_key_secret }}"
  block:
    - name: Point www at two web servers (the set becomes exactly these values)
      alicloud.cas.dns_record:
        record: www.example.com
        type: A
        values:
          - 192.0.2.10
          - 192.0.2.11
        ttl: 600

    # request: the registered result of alicloud.cas.certificate_request for the domain
    - name: Publish the CAS domain validation record, keeping values other certificates need
      alicloud.cas.dns_record:
        record: "{{ request.validation.fqdn }}"
        type: "{{ request.validation.record_type }}"
        values:
          - "{{ request.validation.value }}"
        on_existing: keep
      when: request.validation is not none

    - name: Add an SPF record at the apex unless the apex already has other TXT values
      alicloud.cas.dns_record:
        zone: example.com
        rr: "@"
        type: TXT
        values:
          - '"v=spf1 include:spf.example.net -all"'
        on_existing: keep_and_fail

    - name: Mail exchangers
      alicloud.cas.dns_record:
        record: example.com
        type: MX
        values:
          - mx1.example.net
          - mx2.example.net
        priority: 10

    - name: Remove only the validation value once the certificate is issued
      alicloud.cas.dns_record:
        record: "{{ request.validation.fqdn }}"
        type: "{{ request.validation.record_type }}"
        values:
          - "{{ request.validation.value }}"
        state: absent
      when: request.validation is not none

    - name: Publish the validation records of several certificates in one run
      alicloud.cas.dns_record:
        type: TXT
        on_existing: keep
        record_sets:
          - name: www.example.com
            record: _dnsauth.www.example.com
            values: [202511280000003l1v5zpcxagb0jq2n5kqsu6nmpeqgx3y7z8s]
          - name: shop.example.net
            record: _dnsauth.shop.example.net
            values: [202511280000004m2w6aqdybhc1kr3o6lrtv7onqfrhy4z8a9t]
      register: published

    - name: Delete those records by the ids publishing returned, without reading anything
      alicloud.cas.dns_record:
        state: absent
        record_sets:
          - name: www.example.com
            record_id: "{{ published.record_sets[0].records[0].id }}"
          - name: shop.example.net
            record_id: "{{ published.record_sets[1].records[0].id }}"

    - name: Delete one record by id, only if it is still our validation value
      alicloud.cas.dns_record:
        record_id: "20001000000000001"
        record: _dnsauth.www.example.com
        type: TXT
        values: [202511280000003l1v5zpcxagb0jq2n5kqsu6nmpeqgx3y7z8s]
        state: absent

    - name: Remove every CNAME record of a name
      alicloud.cas.dns_record:
        record: old.example.com
        type: CNAME
        state: absent
"""

RETURN = r"""
zone:
  description:
    - The Alidns zone of the record set, in punycode.
    - With O(record_id), V(null) unless the record was read or O(zone) given.
  returned: success, without O(record_sets)
  type: str
  sample: example.com
rr:
  description:
    - The name of the record set relative to the zone; V(@) for the apex.
    - With O(record_id), V(null) unless the record was read or O(rr) given.
  returned: success, without O(record_sets)
  type: str
  sample: _dnsauth
fqdn:
  description:
    - The fully qualified name of the record set, in punycode.
    - With O(record_id), V(null) unless the record was read or O(record), or O(zone) and O(rr), given.
  returned: success, without O(record_sets)
  type: str
  sample: _dnsauth.example.com
type:
  description: The record type; with O(record_id), V(null) unless the record was read or O(type) given.
  returned: success, without O(record_sets)
  type: str
  sample: TXT
records:
  description:
    - The records of the set after the module ran, sorted by value.
    - They come from the read and the answers to the writes; the set is not read again after writing (except
      before a delete that follows other writes), so a value someone else added meanwhile may be missing.
    - When O(on_existing=keep) added every value without reading, only the added values are listed.
    - With O(record_id), the record left in place (one that is not the record the task names), else empty.
    - In check mode this is the prediction; records that would be added have no RV(records[].id).
  returned: success, without O(record_sets)
  type: list
  elements: dict
  contains:
    id:
      description: Alidns record ID; V(null) for a record check mode predicts.
      type: str
      sample: "1000001"
    value:
      description: The value; TXT content unquoted.
      type: str
      sample: 202511280000003l1v5zpcxagb0jq2n5kqsu6nmpeqgx3y7z8s
    ttl:
      description: Time to live in seconds.
      type: int
      sample: 600
    line:
      description: Resolution line.
      type: str
      sample: default
    status:
      description:
        - Record status as Alidns reports it (for example C(ENABLE)).
        - V(null) for a record the module added (the answer to the write does not say) or predicts.
      type: str
      sample: ENABLE
    priority:
      description: MX preference.
      type: int
      returned: for MX records
      sample: 10
changed:
  description: Whether the record set was (or, in check mode, would be) changed.
  returned: always
  type: bool
record_sets:
  description:
    - With O(record_sets), one item per input item, in input order.
    - Each holds RV(zone), RV(rr), RV(fqdn), RV(type), RV(records) and RV(changed) as for a single record set, and,
      in diff mode, its C(diff).
  returned: with O(record_sets), also when the task fails
  type: list
  elements: dict
  contains:
    name:
      description: The item's O(record_sets[].name), or its record name or record ID.
      type: str
      sample: www.example.com
    failed:
      description: Whether this item failed.
      type: bool
    msg:
      description: Why the item failed; empty when it did not.
      type: str
    code:
      description: The Alibaba Cloud error code, when the item failed on an API error.
      type: str
      returned: when the item failed on an API error
      sample: InvalidParameter
    request_id:
      description: The request ID of that error.
      type: str
      returned: when the item failed on an API error
    changed:
      description: Whether this item changed (or, in check mode, would change) anything.
      type: bool
    canonical_values:
      description:
        - The item's O(record_sets[].values) in the form compared and sent (TXT unquoted, host names in lower case),
          so that its own records can be told from others' in RV(record_sets[].records).
        - V(null) when the item gave none.
      type: list
      elements: str
    records:
      description: As RV(records), for this item.
      type: list
      elements: dict
      contains:
        id:
          description: Alidns record ID, as RV(records[].id).
          type: str
        value:
          description: The value, as RV(records[].value).
          type: str
diff:
  description:
    - The record set before and after, each with C(record), C(type), C(line) and C(records) (value, ttl, priority for MX).
    - With O(record_sets), a list of those, one per item, with C(before_header) and C(after_header) set to the item's name.
  returned: when diff mode is on
  type: raw
  contains:
    before:
      description: The record set as read.
      type: dict
    after:
      description: The record set after the change (in check mode, predicted).
      type: dict
"""

from ansible_collections.alicloud.cas.plugins.module_utils._dns_record import ON_EXISTING, RECORD_TYPES, run
from ansible_collections.alicloud.cas.plugins.module_utils._module import AlicloudModule


def main():
    # Items have no defaults of their own: a missing one takes the module option's value.
    item = dict(
        name=dict(type="str"),
        record=dict(type="str"),
        zone=dict(type="str"),
        rr=dict(type="str"),
        type=dict(type="str", choices=list(RECORD_TYPES)),
        values=dict(type="list", elements="str"),
        ttl=dict(type="int"),
        line=dict(type="str"),
        priority=dict(type="int"),
        state=dict(type="str", choices=["present", "absent"]),
        on_existing=dict(type="str", choices=list(ON_EXISTING)),
        record_id=dict(type="str"),
    )
    # Which naming options a task needs depends on record_id and record_sets: the logic checks
    # them, naming the option (and the item).
    module = AlicloudModule(
        api="alidns",
        argument_spec=dict(
            record=dict(type="str"),
            zone=dict(type="str"),
            rr=dict(type="str"),
            type=dict(type="str", choices=list(RECORD_TYPES)),
            values=dict(type="list", elements="str", aliases=["value"]),
            ttl=dict(type="int", default=600),
            line=dict(type="str", default="default"),
            priority=dict(type="int"),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            on_existing=dict(type="str", default="replace", choices=list(ON_EXISTING)),
            record_id=dict(type="str"),
            record_sets=dict(type="list", elements="dict", options=item),
        ),
        mutually_exclusive=[("record", "rr")],
    )
    module.run(lambda m: run(m.params, m.alidns, check_mode=m.check_mode, diff_mode=m.diff_mode))


if __name__ == "__main__":
    main()
