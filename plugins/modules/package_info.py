#!/usr/bin/python
# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: package_info
short_description: Show the certificate quota (resource plans) of an Alibaba Cloud account
version_added: 0.1.0
description:
  - Reads C(DescribePackageState) for each product code and returns how many certificates were bought, requested
    and issued, and how many requests remain.
  - A product code the account has no plan for is listed with zeros and RV(packages[].has_package=false) rather
    than failing the whole listing.
author:
  - alicloud.cas contributors (@alicloud-cas)
options:
  product_codes:
    description:
      - Product codes to read. Default is every code the service documents (DV, OV and EV plans).
    type: list
    elements: str
    choices:
      - digicert-free-1-free
      - symantec-free-1-free
      - symantec-dv-1-starter
      - geotrust-dv-1-starter
      - geotrust-dv-w-starter
      - globalsign-dv-1-personal
      - globalsign-dv-w-advanced
      - symantec-ov-1-personal
      - symantec-ov-w-personal
      - geotrust-ov-1-personal
      - geotrust-ov-w-personal
      - globalsign-ov-1-personal
      - globalsign-ov-w-advanced
      - cfca-ov-1-personal
      - cfca-ev-w-advanced
extends_documentation_fragment:
  - alicloud.cas.connection
  - alicloud.cas.connection.cas
  - ansible.builtin.action_common_attributes
  - alicloud.cas.info_module
seealso:
  - module: alicloud.cas.certificate_request
"""

EXAMPLES = r"""
- name: Check the free quota before requesting
  module_defaults:
    group/alicloud.cas.cas:
      access_key_id: "{{ alicloud_access_key_id }}"
      access_key_secret: "{{ alicloud_access_key_secret }}"
  block:
    - name: Read the quota of the free DV plan
      alicloud.cas.package_info:
        product_codes:
          - digicert-free-1-free
      register: quota

    - name: Stop when no request is left
      ansible.builtin.assert:
        that: quota.packages[0].remaining > 0
        fail_msg: The free certificate quota is used up.

    - name: Read every plan of the account
      alicloud.cas.package_info:
      register: all_plans
"""

RETURN = r"""
packages:
  description: One entry per asked product code, in the order asked.
  returned: always
  type: list
  elements: dict
  contains:
    product_code:
      description: The product code.
      type: str
    has_package:
      description: Whether the account has any quota of this code (V(false) when it never bought one).
      type: bool
    total:
      description: Certificates bought.
      type: int
    used:
      description: Requests submitted; each submitted order counts, issued or not, until it is deleted.
      type: int
    issued:
      description: Certificates issued.
      type: int
    remaining:
      description: Requests that can still be submitted, RV(packages[].total) minus RV(packages[].used).
      type: int
  sample:
    - product_code: digicert-free-1-free
      has_package: true
      total: 20
      used: 3
      issued: 2
      remaining: 17
    - product_code: globalsign-dv-w-advanced
      has_package: false
      total: 0
      used: 0
      issued: 0
      remaining: 0
"""

from ansible_collections.alicloud.cas.plugins.module_utils._cas_info import package_info
from ansible_collections.alicloud.cas.plugins.module_utils._module import AlicloudModule
from ansible_collections.alicloud.cas.plugins.module_utils._validation import PACKAGE_PRODUCT_CODES


def main():
    module = AlicloudModule(
        api="cas",
        argument_spec=dict(
            product_codes=dict(type="list", elements="str", choices=list(PACKAGE_PRODUCT_CODES)),
        ),
    )
    module.run(lambda glue: package_info(glue.params, glue.cas))


if __name__ == "__main__":
    main()
