#!/usr/bin/python
# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: certificate_order_info
short_description: List certificate orders of Alibaba Cloud SSL Certificates Service
version_added: 0.1.0
description:
  - Lists orders with C(ListUserCertificateOrder), reading every page, with dates in ISO 8601 UTC.
author:
  - alicloud.cas contributors (@alicloud-cas)
options:
  domain:
    description:
      - Only orders for exactly this domain (case-insensitive, internationalised names compared in punycode).
      - For O(order_type=CERT) and O(order_type=UPLOAD), a certificate matches when its common name or one of its
        alternative names is the domain.
      - Mutually exclusive with O(keyword).
    type: str
  keyword:
    description:
      - Free-text filter the service applies to the domain or the resource ID (a substring match).
    type: str
  status:
    description:
      - Only orders with this list status. V(PAYED), V(CHECKING), V(CHECKED_FAIL), V(NOTACTIVATED) and V(REVOKED)
        apply to O(order_type=CPACK) and O(order_type=BUY) only.
      - Without it, CPACK and BUY list every order, CERT and UPLOAD only valid certificates.
    type: str
    choices: [PAYED, CHECKING, CHECKED_FAIL, ISSUED, WILLEXPIRED, EXPIRED, NOTACTIVATED, REVOKED]
  order_type:
    description:
      - V(CPACK) orders paid from a resource plan (what M(alicloud.cas.certificate_request) creates), V(BUY)
        purchased orders, V(UPLOAD) uploaded certificates, V(CERT) issued and uploaded certificates.
    type: str
    choices: [CPACK, BUY, UPLOAD, CERT]
    default: CPACK
extends_documentation_fragment:
  - alicloud.cas.connection
  - alicloud.cas.connection.cas
  - ansible.builtin.action_common_attributes
  - alicloud.cas.info_module
seealso:
  - module: alicloud.cas.certificate_request
  - module: alicloud.cas.certificate_request_info
"""

EXAMPLES = r"""
- name: Inspect orders
  module_defaults:
    group/alicloud.cas.cas:
      access_key_id: "{{ alicloud_access_key_id }}"
      access_key_secret: "{{ alicloud_access_key_secret }}"
  block:
    - name: Every order for www.example.com
      alicloud.cas.certificate_order_info:
        domain: www.example.com
      register: orders

    - name: Orders whose review failed
      alicloud.cas.certificate_order_info:
        status: CHECKED_FAIL
      register: failed

    - name: Issued certificates that expire soon
      alicloud.cas.certificate_order_info:
        status: WILLEXPIRED
      register: expiring
"""

RETURN = r"""
orders:
  description:
    - The matching orders, newest first as the service lists them.
    - For V(CPACK) and V(BUY) each entry has the shape of the RV(alicloud.cas.certificate_request#module:order) of
      M(alicloud.cas.certificate_request). For V(CERT) and V(UPLOAD) each entry describes a certificate, with the
      keys listed below.
  returned: always
  type: list
  elements: dict
  contains:
    order_id:
      description: Order ID. CPACK and BUY.
      type: int
    domain:
      description: Domain of the order. CPACK and BUY.
      type: str
    product_code:
      description: Plan of the order. CPACK and BUY.
      type: str
    product_name:
      description: Name of the plan. CPACK and BUY.
      type: str
    status:
      description: List status of the order. CPACK and BUY.
      type: str
    cert_type:
      description: Certificate type. CPACK and BUY.
      type: str
    domain_type:
      description: C(ONE), C(WILDCARD) and so on. CPACK and BUY.
      type: str
    instance_id:
      description: Resource ID.
      type: str
    buy_date:
      description: When the order was created, ISO 8601 UTC. CPACK and BUY.
      type: str
    cert_start_time:
      description: Start of the certificate's validity, ISO 8601 UTC, once issued. CPACK and BUY.
      type: str
    cert_end_time:
      description: End of the certificate's validity, ISO 8601 UTC, once issued. CPACK and BUY.
      type: str
    certificate_id:
      description: Certificate ID. CERT and UPLOAD.
      type: int
    name:
      description: Name of the certificate. CERT and UPLOAD.
      type: str
    common_name:
      description: Common name. CERT and UPLOAD.
      type: str
    sans:
      description: Subject alternative names. CERT and UPLOAD.
      type: list
      elements: str
    issuer:
      description: Issuer. CERT and UPLOAD.
      type: str
    start_date:
      description: First day of validity, C(YYYY-MM-DD). CERT and UPLOAD.
      type: str
    end_date:
      description: Last day of validity, C(YYYY-MM-DD). CERT and UPLOAD.
      type: str
    expired:
      description: Whether the certificate has expired. CERT and UPLOAD.
      type: bool
    upload:
      description: Whether the certificate was uploaded. CERT and UPLOAD.
      type: bool
    fingerprint:
      description: Fingerprint. CERT and UPLOAD.
      type: str
    serial_no:
      description: Serial number. CERT and UPLOAD.
      type: str
  sample:
    - order_id: 98987582437920968
      domain: www.example.com
      product_code: digicert-free-1-free
      product_name: DigiCert DV Free (3 months)
      status: ISSUED
      cert_type: FREE
      domain_type: ONE
      instance_id: cas-ivauto-abc123
      buy_date: "2026-11-28T16:40:00Z"
      cert_start_time: "2026-11-28T16:45:00Z"
      cert_end_time: "2027-02-26T16:45:00Z"
"""

from ansible_collections.alicloud.cas.plugins.module_utils._cas import LIST_ORDER_TYPES, LIST_STATUSES
from ansible_collections.alicloud.cas.plugins.module_utils._cas_info import order_info
from ansible_collections.alicloud.cas.plugins.module_utils._module import AlicloudModule


def main():
    module = AlicloudModule(
        api="cas",
        argument_spec=dict(
            domain=dict(type="str"),
            keyword=dict(type="str", no_log=False),
            status=dict(type="str", choices=list(LIST_STATUSES)),
            order_type=dict(type="str", choices=list(LIST_ORDER_TYPES), default="CPACK"),
        ),
        mutually_exclusive=[("domain", "keyword")],
    )
    module.run(lambda glue: order_info(glue.params, glue.cas))


if __name__ == "__main__":
    main()
