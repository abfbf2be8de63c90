#!/usr/bin/python
# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: package_info
short_description: Show what an Alibaba Cloud account can still issue, V1.0 quota and V2.0 instances side by side
version_added: 0.1.0
description:
  - Reads C(DescribePackageState) for each product code and returns how many certificates were bought, requested
    and issued, and how many requests remain (V1.0 resource plans).
  - Beside them, the V2.0 subscription instances of each type (V(TEST) and V(BUY)) from C(GetInstanceSummary), and
    the unused (V(inactive)) instances counted from C(ListInstances), so that RV(can_issue) answers "what can I still
    issue?" for both flows. Since 2026-02-14 new purchases are instances only.
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
  include_instances:
    description:
      - Also read the V2.0 instances (RV(instances) and RV(can_issue)). V(false) reads the V1.0 quota only.
    type: bool
    default: true
    version_added: 0.2.0
extends_documentation_fragment:
  - alicloud.cas.connection
  - alicloud.cas.connection.cas
  - ansible.builtin.action_common_attributes
  - alicloud.cas.info_module
seealso:
  - module: alicloud.cas.certificate_request
  - module: alicloud.cas.certificate_instance_info
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

    - name: Read every plan and the instances of the account
      alicloud.cas.package_info:
      register: all_plans

    - name: Say what can still be issued in each flow
      ansible.builtin.debug:
        msg: >-
          V1.0 requests left: {{ all_plans.can_issue.package }},
          unused test instances: {{ all_plans.can_issue.test_instances }},
          unused paid instances: {{ all_plans.can_issue.paid_instances }}
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
instances:
  description: The V2.0 instances of each type, V(TEST) then V(BUY).
  returned: unless O(include_instances=false)
  type: list
  elements: dict
  version_added: 0.2.0
  contains:
    instance_type:
      description: V(TEST) (free test certificates) or V(BUY) (paid).
      type: str
    total:
      description: Instances of this type (C(TotalCount)).
      type: int
    inactive:
      description: Unused instances, as C(GetInstanceSummary) counts them (C(InactiveCount)).
      type: int
    will_expire:
      description: Instances whose subscription ends soon (C(WillExpireCount)).
      type: int
    certificate_count:
      description: The remaining certificate quota the service reports (C(CertificateCount)).
      type: int
    auto_reissue:
      description: Instances with managed renewal (C(AutoReissueCount)).
      type: int
    inactive_listed:
      description: Unused instances of this type as C(ListInstances) lists them; each can take one application.
      type: int
    inactive_wildcard:
      description: How many of RV(instances[].inactive_listed) allow a wildcard name.
      type: int
  sample:
    - instance_type: TEST
      total: 2
      inactive: 2
      will_expire: 0
      certificate_count: 2
      auto_reissue: 0
      inactive_listed: 2
      inactive_wildcard: 0
    - instance_type: BUY
      total: 2
      inactive: 2
      will_expire: 0
      certificate_count: 2
      auto_reissue: 0
      inactive_listed: 2
      inactive_wildcard: 1
can_issue:
  description:
    - What can still be issued, in one place. C(package) is the sum of RV(packages[].remaining) (V1.0 orders);
      C(test_instances) and C(paid_instances) count the unused instances of each type (V2.0 applications).
    - M(alicloud.cas.certificate_request) with its default O(alicloud.cas.certificate_request#module:source=auto) uses
      V1.0 quota first, then a test instance; a paid instance only when allowed.
  returned: unless O(include_instances=false)
  type: dict
  contains:
    package:
      description: V1.0 requests that can still be submitted, over the product codes read.
      type: int
    test_instances:
      description: Unused V(TEST) instances.
      type: int
    paid_instances:
      description: Unused V(BUY) instances.
      type: int
  sample:
    package: 0
    test_instances: 2
    paid_instances: 2
  version_added: 0.2.0
"""

from ansible_collections.alicloud.cas.plugins.module_utils._cas_info import package_info
from ansible_collections.alicloud.cas.plugins.module_utils._module import AlicloudModule
from ansible_collections.alicloud.cas.plugins.module_utils._validation import PACKAGE_PRODUCT_CODES


def main():
    module = AlicloudModule(
        api="cas",
        argument_spec=dict(
            product_codes=dict(type="list", elements="str", choices=list(PACKAGE_PRODUCT_CODES)),
            include_instances=dict(type="bool", default=True),
        ),
    )
    module.run(lambda glue: package_info(glue.params, glue.cas))


if __name__ == "__main__":
    main()
