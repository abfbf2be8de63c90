#!/usr/bin/python
# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: certificate_instance_info
short_description: List the V2.0 certificate instances of an Alibaba Cloud account
version_added: 0.2.0
description:
  - Lists the subscription instances of SSL Certificates Service V2.0 with C(ListInstances), every page read, or
    describes one instance with C(GetInstanceDetail).
  - Since 2026-02-14 every purchase, paid or a free test certificate, is such an instance; a certificate is applied
    for on an unused (V(inactive)) one with M(alicloud.cas.certificate_request).
  - Dates are returned in ISO 8601 UTC. The API documents them in seconds while its examples are in milliseconds
    (UNCONFIRMED which one the service sends), so both are read.
author:
  - alicloud.cas contributors (@alicloud-cas)
options:
  instance_id:
    description:
      - Describe this one instance with C(GetInstanceDetail), with its validation records and contacts.
      - An instance that does not exist gives an empty RV(instances).
      - Mutually exclusive with the filters.
    type: str
  status:
    description:
      - Only instances in this state.
    type: str
    choices: [inactive, pending, normal, willExpire, expired, refund, closed]
  instance_type:
    description:
      - Only test (V(TEST), free test certificates) or paid (V(BUY)) instances.
    type: str
    choices: [TEST, BUY]
  domain:
    description:
      - Only instances whose names include exactly this one (case-insensitive, internationalised names in punycode).
    type: str
  keyword:
    description:
      - The service's fuzzy search on domain, name and instance ID.
    type: str
  certificate_status:
    description:
      - Only instances whose certificate is in this state.
    type: str
    choices: [issued, revoked, willExpire, expired]
extends_documentation_fragment:
  - alicloud.cas.connection
  - alicloud.cas.connection.cas
  - ansible.builtin.action_common_attributes
  - alicloud.cas.info_module
seealso:
  - module: alicloud.cas.certificate_request
  - module: alicloud.cas.package_info
"""

EXAMPLES = r"""
- name: Look at the instances of the account
  module_defaults:
    group/alicloud.cas.cas:
      access_key_id: "{{ alicloud_access_key_id }}"
      access_key_secret: "{{ alicloud_access_key_secret }}"
  block:
    - name: List the unused test instances
      alicloud.cas.certificate_instance_info:
        status: inactive
        instance_type: TEST
      register: unused

    - name: Say how many test certificates can still be applied for
      ansible.builtin.debug:
        msg: "{{ unused.instances | length }} test instances left"

    - name: Describe the instance that holds www.example.com
      alicloud.cas.certificate_instance_info:
        domain: www.example.com
      register: holding

    - name: Read it in detail
      alicloud.cas.certificate_instance_info:
        instance_id: "{{ holding.instances[0].instance_id }}"
      register: detail
      when: holding.instances | length > 0
"""

RETURN = r"""
instances:
  description:
    - The instances, newest first as the service lists them; one item (or none) with O(instance_id).
    - Fields the API does not send are V(null).
  returned: always
  type: list
  elements: dict
  contains:
    instance_id:
      description: ID of the instance.
      type: str
    instance_type:
      description: V(TEST) or V(BUY).
      type: str
    status:
      description:
        - The raw C(Status) (V(inactive), V(pending), V(normal), V(willExpire), V(expired), V(refund), V(closed)).
      type: str
    phase:
      description:
        - The collection's phase, the vocabulary of M(alicloud.cas.certificate_request) for both flows
          (V(inactive), V(validating), V(reviewing), V(issued), V(withdrawn), V(failed), V(unknown)).
        - In a listing a pending instance is V(validating); only the detail tells V(reviewing) apart.
      type: str
    phase_meaning:
      description: What RV(instances[].phase) means, in words.
      type: str
    certificate_status:
      description: C(CertificateStatus), V(null) until a certificate is issued.
      type: str
    certificate_id:
      description: C(CertificateId) of the issued certificate, an integer.
      type: int
    certificate_identifier:
      description:
        - C(CertIdentifier) of the issued certificate, C(<certificate_id>-<region>) with the region of the CAS site
          (C(cn-hangzhou) on the China site, C(ap-southeast-1) on the international one), as CAS gives it.
        - V(null) until a certificate is issued.
      type: str
      sample: "30000001-cn-hangzhou"
      version_added: 0.5.0
    cert_identifier:
      description:
        - "Deprecated: use RV(instances[].certificate_identifier); removed in 1.0.0."
        - C(CertIdentifier) of the issued certificate.
      type: str
    domain:
      description: The first name of the application.
      type: str
    domains:
      description: Every name of the application.
      type: list
      elements: str
    spec:
      description: The product specification, for example V(ws.dv.f).
      type: str
    brand:
      description: The CA brand.
      type: str
    certificate_type:
      description: V(DV), V(OV) or V(EV).
      type: str
    key_algorithm:
      description: The key algorithm of the application.
      type: str
    full_domain_count:
      description: How many single names the instance may hold.
      type: int
    wildcard_domain_count:
      description: How many wildcard names the instance may hold.
      type: int
    certificate_name:
      description: Name of the certificate.
      type: str
    pending_result:
      description: The CA's last answer to the application.
      type: str
    auto_reissue:
      description: Whether managed renewal is on.
      type: str
    instance_start_time:
      description: Start of the subscription, ISO 8601 UTC.
      type: str
    instance_end_time:
      description: End of the subscription, ISO 8601 UTC.
      type: str
    order_start_time:
      description: Start of the order, ISO 8601 UTC.
      type: str
    order_end_time:
      description: End of the order, ISO 8601 UTC.
      type: str
    certificate_not_before:
      description: Start of the certificate's validity, ISO 8601 UTC.
      type: str
    certificate_not_after:
      description: End of the certificate's validity, ISO 8601 UTC.
      type: str
    validations:
      description:
        - With O(instance_id), what to publish, one item per name, in the shape of the
          RV(alicloud.cas.certificate_request#module:validation) of M(alicloud.cas.certificate_request); V(null) in a
          listing.
      type: list
      elements: dict
    validation_method:
      description: With O(instance_id), V(DNS) or V(HTTP).
      type: str
    generate_csr_method:
      description: With O(instance_id), V(online) (CAS made the key) or V(upload).
      type: str
    contact_ids:
      description: With O(instance_id), the contacts of the application.
      type: list
      elements: int
  sample:
    - instance_id: cas-cn-emu000000001
      instance_type: TEST
      status: inactive
      phase: inactive
      phase_meaning: "the instance is unused: no application has been submitted on it"
      certificate_status: null
      certificate_id: null
      certificate_identifier: null
      cert_identifier: null
      domains: []
      domain: null
      spec: ss.dv.t
      full_domain_count: 1
      wildcard_domain_count: 0
      instance_end_time: "2027-05-30T09:00:00Z"
"""

from ansible_collections.alicloud.cas.plugins.module_utils._cas_info import (
    CERTIFICATE_STATUSES,
    INSTANCE_STATUSES,
    INSTANCE_TYPES,
    instance_info,
)
from ansible_collections.alicloud.cas.plugins.module_utils._module import AlicloudModule


def main():
    module = AlicloudModule(
        api="cas",
        argument_spec=dict(
            instance_id=dict(type="str"),
            status=dict(type="str", choices=list(INSTANCE_STATUSES)),
            instance_type=dict(type="str", choices=list(INSTANCE_TYPES)),
            domain=dict(type="str"),
            keyword=dict(type="str", no_log=False),
            certificate_status=dict(type="str", choices=list(CERTIFICATE_STATUSES)),
        ),
    )
    module.run(lambda glue: instance_info(glue.params, glue.cas))


if __name__ == "__main__":
    main()
