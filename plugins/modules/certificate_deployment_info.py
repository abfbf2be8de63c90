#!/usr/bin/python
# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: certificate_deployment_info
short_description: Report which CAS certificate CDN, DCDN, CLB, ALB and NLB targets serve
version_added: 0.5.0
description:
  - Reads what each target serves now and reports the CAS certificate id and identifier, its names, its expiry and
    the days left. Nothing is written.
  - For audits, and for finding targets that an earlier renewal missed.
  - The targets are the ones of M(alicloud.cas.certificate_deployment), checked the same way before any call.
    One target's failure stops none of the others; the task then fails at the end and still returns every target.
author:
  - alicloud.cas contributors (@alicloud-cas)
extends_documentation_fragment:
  - alicloud.cas.connection
  - alicloud.cas.connection.cas
  - alicloud.cas.deployment
  - alicloud.cas.deployment.targets
  - alicloud.cas.info_module
  - ansible.builtin.action_common_attributes
seealso:
  - module: alicloud.cas.certificate_deployment
"""

EXAMPLES = r"""
- name: Which certificate do a CDN domain and an ALB listener serve?
  alicloud.cas.certificate_deployment_info:
    targets:
      - product: cdn
        domain: www.example.com
      - product: alb
        region: cn-hangzhou
        listener_id: lsn-0bfucwu6ptpuyv****
  register: served

- name: List the targets that expire within 30 days
  ansible.builtin.debug:
    msg: "{{ served.targets | selectattr('days_left', 'defined') | rejectattr('days_left', 'none')
      | selectattr('days_left', '<', 30) | list }}"
"""

RETURN = r"""
targets:
  description: One entry per item of O(targets), in order, with the item's keys and what it serves.
  returned: always
  type: list
  elements: dict
  contains:
    product:
      description: The item's product; the item's other keys are returned too.
      type: str
    failed:
      description: Whether this target could not be read.
      type: bool
    msg:
      description: Why it could not be read; empty otherwise.
      type: str
    certificate_id:
      description: The CAS certificate id served, or V(null) when none (HTTPS off, or a certificate not from CAS).
      type: int
    certificate_identifier:
      description: Its CAS C(CertIdentifier), C(<id>-<region>).
      type: str
    names:
      description: The DNS names of the served certificate, when known.
      type: list
      elements: str
    not_after:
      description: When the served certificate expires, ISO 8601 UTC.
      type: str
    days_left:
      description: Whole days until RV(targets[].not_after) (negative when expired).
      type: int
    https_enabled:
      description: Whether HTTPS is on (V(false) only where the product reports it off, CDN and DCDN).
      type: bool
    product_reference:
      description: The product's own reference of the certificate, for example CLB's server certificate id.
      type: str
"""

from ansible_collections.alicloud.cas.plugins.module_utils._cas_certificates import CasCertificates
from ansible_collections.alicloud.cas.plugins.module_utils._deployment._engine import (
    deploy,
    target_argument_spec,
    validate_deployments,
)
from ansible_collections.alicloud.cas.plugins.module_utils._deployment._products import ADAPTERS
from ansible_collections.alicloud.cas.plugins.module_utils._module import AlicloudModule


def run(glue):
    deployments = validate_deployments(glue.params, ADAPTERS, glue.params["site"], with_certificate=False)
    adapters = dict((name, adapter(glue.deployment_clients(name))) for name, adapter in ADAPTERS.items())
    return deploy(deployments, adapters, CasCertificates(glue.cas_rpc(), glue.params["site"]), write=False)


def main():
    module = AlicloudModule(api="deployment", argument_spec=dict(targets=target_argument_spec()))
    module.run(run)


if __name__ == "__main__":
    main()
