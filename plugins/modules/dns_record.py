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
      - Check mode reads the record set and predicts the result, without any write.
  diff_mode:
    support: full
    details:
      - The diff shows the record set (values, TTL and, for MX, priority) before and after.
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
      - Exactly one of O(record) and O(rr) is required.
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
    type: str
    required: true
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
    type: int
    default: 600
  line:
    description:
      - Alidns resolution line of the record set. Records on other lines are separate sets.
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
        the module only deletes records it has read, and warns when the set changed under it.
    type: str
    choices: [replace, keep, keep_and_fail]
    default: replace
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

    - name: Remove every CNAME record of a name
      alicloud.cas.dns_record:
        record: old.example.com
        type: CNAME
        state: absent
"""

RETURN = r"""
zone:
  description: The Alidns zone of the record set, in punycode.
  returned: success
  type: str
  sample: example.com
rr:
  description: The name of the record set relative to the zone; V(@) for the apex.
  returned: success
  type: str
  sample: _dnsauth
fqdn:
  description: The fully qualified name of the record set, in punycode.
  returned: success
  type: str
  sample: _dnsauth.example.com
type:
  description: The record type.
  returned: success
  type: str
  sample: TXT
records:
  description:
    - The records of the set after the module ran, sorted by value.
    - In check mode this is the prediction; records that would be added have no RV(records[].id).
    - After writes, the set is read again, so values that others added meanwhile are included.
  returned: success
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
      description: Record status as Alidns reports it (for example C(ENABLE)); V(null) for a predicted record.
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
diff:
  description: The record set before and after, each with C(record), C(type), C(line) and C(records) (value, ttl, priority for MX).
  returned: when diff mode is on
  type: dict
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
    module = AlicloudModule(
        api="alidns",
        argument_spec=dict(
            record=dict(type="str"),
            zone=dict(type="str"),
            rr=dict(type="str"),
            type=dict(type="str", required=True, choices=list(RECORD_TYPES)),
            values=dict(type="list", elements="str", aliases=["value"]),
            ttl=dict(type="int", default=600),
            line=dict(type="str", default="default"),
            priority=dict(type="int"),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            on_existing=dict(type="str", default="replace", choices=list(ON_EXISTING)),
        ),
        mutually_exclusive=[("record", "rr")],
        required_one_of=[("record", "rr")],
        required_by={"rr": "zone"},
        required_if=[("state", "present", ("values",))],
    )
    module.run(lambda m: run(m.params, m.alidns, check_mode=m.check_mode, diff_mode=m.diff_mode))


if __name__ == "__main__":
    main()
