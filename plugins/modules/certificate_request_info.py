#!/usr/bin/python
# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: certificate_request_info
short_description: Read, and optionally wait for, the state of a certificate order in Alibaba Cloud SSL Certificates Service
version_added: 0.1.0
description:
  - Reads the state of one certificate order with C(DescribeCertificateState) and returns the validation to publish,
    or the issued certificate split into leaf, chain and full chain.
  - With O(wait=true), polls until the order reaches one of O(wait_for), all within this one module run. The pause
    between polls starts at O(poll_interval) and doubles up to O(poll_interval_max).
  - Only read calls are made.
author:
  - alicloud.cas contributors (@alicloud-cas)
options:
  order_id:
    description:
      - ID of the order, as returned by M(alicloud.cas.certificate_request).
      - Exactly one of O(order_id) and O(domain) is required.
    type: int
  domain:
    description:
      - Domain whose newest order (by creation date) is read.
      - Matched exactly, case-insensitive, internationalised names in punycode.
    type: str
  wait:
    description:
      - Poll until the order reaches one of O(wait_for), at most O(wait_timeout) seconds.
      - Without waiting, the state is returned as it is, whatever it is.
    type: bool
    default: false
  wait_for:
    description:
      - States that end the wait successfully.
      - When waiting, an order that fails its review (V(verify_fail)) fails the task at once, with what the API
        said, unless V(verify_fail) is listed here. Another final state that is not listed (V(certificate),
        V(payed)) fails the task at once too, since the order will not leave it.
    type: list
    elements: str
    choices: [domain_verify, process, certificate, verify_fail, payed]
    default: [certificate]
  wait_timeout:
    description:
      - Seconds to wait at most. When they run out the task fails; its result still holds the last state, and the
        message says so.
    type: int
    default: 900
  poll_interval:
    description:
      - Seconds before the second poll. Each later pause is twice the one before, up to O(poll_interval_max).
    type: float
    default: 5
  poll_interval_max:
    description:
      - Longest pause between two polls, in seconds.
    type: float
    default: 60
  return_private_key:
    description:
      - Also return the private key CAS generated for the order (only orders made without a CSR have one).
      - "The key is a secret. Set C(no_log: true) on such a task, and write the key to a file with a strict mode
        rather than keeping it in variables."
      - A module cannot mask part of its own result (a value it marks as secret is replaced by C(********) in the
        result itself, and ansible-core drops a result-level C(_ansible_no_log)), so only C(no_log) on the task keeps
        the key out of the output and the logs.
    type: bool
    default: false
extends_documentation_fragment:
  - alicloud.cas.connection
  - alicloud.cas.connection.cas
  - ansible.builtin.action_common_attributes
  - alicloud.cas.info_module
seealso:
  - module: alicloud.cas.certificate_request
"""

EXAMPLES = r"""
- name: Wait for a certificate and save it
  module_defaults:
    group/alicloud.cas.cas:
      access_key_id: "{{ alicloud_access_key_id }}"
      access_key_secret: "{{ alicloud_access_key_secret }}"
  block:
    - name: Read the state of the newest order for www.example.com
      alicloud.cas.certificate_request_info:
        domain: www.example.com
      register: state

    - name: Wait until the certificate is issued (the whole wait is inside this task)
      alicloud.cas.certificate_request_info:
        order_id: "{{ state.order_id }}"
        wait: true
        wait_timeout: 1800
      register: issued

    - name: Save the full chain
      ansible.builtin.copy:
        content: "{{ issued.fullchain }}"
        dest: /etc/ssl/www.example.com.pem
        mode: "0644"

    - name: Fetch the private key CAS generated (keep it out of the logs)
      alicloud.cas.certificate_request_info:
        order_id: "{{ state.order_id }}"
        return_private_key: true
      register: with_key
      no_log: true

    - name: Save the private key
      ansible.builtin.copy:
        content: "{{ with_key.private_key }}"
        dest: /etc/ssl/private/www.example.com.key
        mode: "0600"
      no_log: true
"""

RETURN = r"""
order_id:
  description: ID of the order that was read.
  returned: always
  type: int
  sample: 98987582437920968
domain:
  description: Domain of the order, in punycode; V(null) if it could not be found in the order list.
  returned: always
  type: str
  sample: www.example.com
order:
  description:
    - The order as C(ListUserCertificateOrder) lists it, with dates in ISO 8601 UTC; V(null) if it is not listed.
    - Same shape as the RV(alicloud.cas.certificate_request#module:order) of M(alicloud.cas.certificate_request).
  returned: always
  type: dict
  sample:
    order_id: 98987582437920968
    domain: www.example.com
    status: ISSUED
    cert_end_time: "2027-02-26T16:40:00Z"
status:
  description: The order's state, the C(Type) of C(DescribeCertificateState).
  returned: always
  type: str
  sample: certificate
status_meaning:
  description: What RV(status) means, in words.
  returned: always
  type: str
  sample: the certificate is issued
validation:
  description:
    - What to publish to prove control of the domain, while RV(status) is V(domain_verify); V(null) otherwise.
    - Same shape as the RV(alicloud.cas.certificate_request#module:validation) of
      M(alicloud.cas.certificate_request). C(fqdn) is V(null) when the order's domain is unknown.
  returned: always
  type: dict
  sample:
    method: DNS
    record_type: TXT
    record: _dnsauth
    fqdn: _dnsauth.www.example.com
    value: 20261128000000abcdefghijklmnopqrstuvwxyz0123456789
certificate:
  description: The leaf certificate (PEM), once issued; V(null) before.
  returned: always
  type: str
  sample: "-----BEGIN CERTIFICATE-----\nMIIF...\n-----END CERTIFICATE-----\n"
chain:
  description: The intermediate certificates (PEM) that CAS returned after the leaf; V(null) if there are none.
  returned: always
  type: str
  sample: "-----BEGIN CERTIFICATE-----\nMIIE...\n-----END CERTIFICATE-----\n"
fullchain:
  description: Leaf followed by the intermediates (PEM).
  returned: always
  type: str
  sample: "-----BEGIN CERTIFICATE-----\nMIIF...\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nMIIE...\n-----END CERTIFICATE-----\n"
not_before:
  description: Start of the leaf's validity, ISO 8601 UTC.
  returned: always
  type: str
  sample: "2026-11-28T16:40:00Z"
not_after:
  description: End of the leaf's validity, ISO 8601 UTC.
  returned: always
  type: str
  sample: "2027-02-26T16:40:00Z"
cert_id:
  description: ID of the issued certificate in CAS.
  returned: always
  type: str
  sample: "12000001"
private_key:
  description:
    - The private key (PEM) CAS generated; V(null) when the order was made with a CSR or is not issued yet.
    - A secret. See O(return_private_key).
  returned: when O(return_private_key=true)
  type: str
  sample: "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n"
elapsed:
  description: Seconds spent, including the wait.
  returned: always
  type: float
  sample: 42.5
polls:
  description: Number of C(DescribeCertificateState) calls made.
  returned: always
  type: int
  sample: 4
"""

from ansible_collections.alicloud.cas.plugins.module_utils._cas_info import WAITABLE_STATES, request_info
from ansible_collections.alicloud.cas.plugins.module_utils._module import AlicloudModule


def main():
    module = AlicloudModule(
        api="cas",
        argument_spec=dict(
            order_id=dict(type="int"),
            domain=dict(type="str"),
            wait=dict(type="bool", default=False),
            wait_for=dict(type="list", elements="str", choices=list(WAITABLE_STATES), default=["certificate"]),
            wait_timeout=dict(type="int", default=900),
            poll_interval=dict(type="float", default=5),
            poll_interval_max=dict(type="float", default=60),
            return_private_key=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("order_id", "domain")],
        required_one_of=[("order_id", "domain")],
    )
    module.run(lambda glue: request_info(glue.params, glue.cas))


if __name__ == "__main__":
    main()
