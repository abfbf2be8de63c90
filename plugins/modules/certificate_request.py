#!/usr/bin/python
# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: certificate_request
short_description: Submit or withdraw a DV certificate request in Alibaba Cloud SSL Certificates Service
version_added: 0.1.0
description:
  - Makes sure a DV certificate order exists for one domain in Alibaba Cloud SSL Certificates Service (CAS),
    through C(CreateCertificateRequest), or C(CreateCertificateWithCsrRequest) when O(csr) is given.
  - Idempotent. The account's orders (C(ListUserCertificateOrder), order type C(CPACK), all pages) are read first
    and matched exactly on the domain (case-insensitive, internationalised names compared in punycode). Every listed
    order that is not expired, revoked or failed is described (C(DescribeCertificateState)), because the list status
    may lag behind. A new order is submitted only when none of them is pending with the wanted O(validate_type), under
    review, or issued for the wanted key and not due for renewal (see O(csr) and O(renew_before_days)), or when
    O(force=true).
  - Submitting spends paid quota, so a submit is sent again only when it provably never reached CAS (the connection
    could not be made, or the call was throttled). When its answer is lost otherwise (read timeout, dropped
    connection, server error), the orders are read again for about 15 seconds and the order bought by this request
    is adopted, with a warning. If none shows up the task fails, saying that the order may have been created
    (C(order_may_exist=true)); running it again reuses that order once the list shows it, and submits one only if
    none exists.
  - After a submit the task waits (about 15 seconds at most) until the order list shows the new order, so that the
    next run finds it; if the list still lags, a warning says so.
  - With O(state=absent), pending and failed orders for the domain are withdrawn (C(CancelOrderRequest) where the
    order is pending, then C(DeleteCertificateRequest); a cancel that CAS applies only later is waited for). Issued
    certificates are left alone, with a warning.
  - Every option is checked before the first API call. Whether the applicant (O(username), O(email), O(phone)) is
    needed is only known after the orders have been read, but is still checked before anything is written.
  - Use M(alicloud.cas.certificate_request_info) to wait for the validation and fetch the certificate.
author:
  - alicloud.cas contributors (@alicloud-cas)
options:
  domain:
    description:
      - The one domain of the certificate, for example V(www.example.com), or V(*.example.com) for a wildcard.
      - An internationalised name is converted to punycode. Scheme, port, path and a wildcard anywhere but as the
        whole first label are refused.
    type: str
    required: true
  state:
    description:
      - V(present) makes sure an order is in progress or issued and fresh.
      - V(absent) withdraws the pending and failed orders for the domain.
    type: str
    choices: [present, absent]
    default: present
  product_code:
    description:
      - The certificate plan to spend quota from. Wildcard plans contain C(-w-) and need a wildcard O(domain);
        the others need a single domain.
      - When omitted, the service's default plan (a single-domain one) is used for a new order, and an existing
        order for the domain matches whatever its plan. A wildcard O(domain) then needs O(product_code) as soon as a
        new order must be submitted.
      - With O(state=absent), only orders of this plan are withdrawn when it is set.
    type: str
    choices:
      - digicert-free-1-free
      - symantec-free-1-free
      - symantec-dv-1-starter
      - geotrust-dv-1-starter
      - geotrust-dv-w-starter
      - globalsign-dv-1-personal
      - globalsign-dv-w-advanced
  validate_type:
    description:
      - How the domain is proven. V(DNS) publishes a TXT record, V(FILE) serves a file over HTTP.
      - Wildcard domains can only use V(DNS).
    type: str
    choices: [DNS, FILE]
    default: DNS
  username:
    description:
      - Name of the applicant. Required when a new order must be submitted.
    type: str
  email:
    description:
      - Email address of the applicant. Required when a new order must be submitted.
    type: str
  phone:
    description:
      - Phone number of the applicant, digits with an optional leading C(+). Required when a new order must be
        submitted.
    type: str
  csr:
    description:
      - A PEM certificate signing request (RSA of at least 2048 bits, or ECC) whose common name is O(domain).
      - The request then goes through C(CreateCertificateWithCsrRequest), so the private key never leaves your host.
      - Without it, CAS generates the key pair, and M(alicloud.cas.certificate_request_info) can return the key.
      - An issued order is reused only when its certificate holds this CSR's public key. Without O(csr), only an
        order whose key CAS generated is reused (CAS returns a private key only for those).
      - A pending order's CSR cannot be read back, so a pending order is reused whatever CSR it was made with; once
        it is issued for another key, the next run submits a new order.
    type: str
  tags:
    description:
      - Tags of a new order, sent as C(Tags.N.Key) and C(Tags.N.Value). Existing orders are not re-tagged.
    type: dict
  force:
    description:
      - Submit a new order even when an existing one would do. Every run then spends quota.
    type: bool
    default: false
  renew_before_days:
    description:
      - An issued certificate with less than this many days left no longer counts, so a new order is submitted.
      - Decided on the certificate's own notAfter, to the second, by the same rule as
        M(alicloud.cas.certificate_file_info).
    type: int
    default: 30
extends_documentation_fragment:
  - alicloud.cas.connection
  - alicloud.cas.connection.cas
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Only read calls are made; the result predicts whether anything changes and shows in RV(request) what would be submitted.
  diff_mode:
    support: full
    details: The order before and after (with O(state=absent), the list of orders). No secrets are included.
  idempotent:
    description: Running the same task again with the same options changes nothing and spends no quota.
    support: partial
    details: With O(force=true) every run submits a new order.
  platform:
    platforms: all
notes:
  - An order still being validated or reviewed, or issued and valid for more than O(renew_before_days) days, means no
    change. An order that is expiring, expired, revoked or failed leads to a new order.
  - The applicant's email and phone are not secrets, but are not returned either.
seealso:
  - module: alicloud.cas.certificate_request_info
  - module: alicloud.cas.package_info
  - module: alicloud.cas.certificate_order_info
"""

EXAMPLES = r"""
- name: Request DV certificates with shared connection settings
  module_defaults:
    group/alicloud.cas.cas:
      access_key_id: "{{ alicloud_access_key_id }}"
      access_key_secret: "{{ alicloud_access_key_secret }}"
      site: china  # international for an alibabacloud.com account
  block:
    - name: Make sure a certificate for www.example.com is requested
      alicloud.cas.certificate_request:
        domain: www.example.com
        username: Jane Doe
        email: hostmaster@example.com
        phone: "+86 138 0000 0000"
      register: request

    - name: Show the DNS record to publish
      ansible.builtin.debug:
        msg: "{{ request.validation.fqdn }} {{ request.validation.record_type }} {{ request.validation.value }}"
      when: request.validation is not none

    - name: Request a wildcard certificate with your own key (the key stays on this host)
      alicloud.cas.certificate_request:
        domain: "*.example.com"
        product_code: geotrust-dv-w-starter
        csr: "{{ lookup('ansible.builtin.file', 'wildcard.example.com.csr') }}"
        username: Jane Doe
        email: hostmaster@example.com
        phone: "+86 138 0000 0000"
        tags:
          team: web

    - name: Withdraw pending or failed requests for old.example.com
      alicloud.cas.certificate_request:
        domain: old.example.com
        state: absent
"""

RETURN = r"""
order_id:
  description:
    - ID of the order that is now current for the domain.
    - V(null) in check mode when a new order would be submitted.
  returned: when O(state=present)
  type: int
  sample: 98987582437920968
status:
  description:
    - The order's state as C(DescribeCertificateState) reports it (its C(Type)), for example V(domain_verify),
      V(process), V(certificate), V(verify_fail), V(payed).
    - V(null) in check mode when a new order would be submitted.
  returned: when O(state=present)
  type: str
  sample: domain_verify
status_meaning:
  description: What RV(status) means, in words.
  returned: when O(state=present)
  type: str
  sample: "waiting for domain validation: publish the validation record or file"
order:
  description: The order, as listed by C(ListUserCertificateOrder), with dates in ISO 8601 UTC.
  returned: when O(state=present)
  type: dict
  contains:
    order_id:
      description: Order ID.
      type: int
    domain:
      description: Domain of the order.
      type: str
    product_code:
      description: Plan of the order.
      type: str
    product_name:
      description: Name of the plan.
      type: str
    status:
      description: List status, one of C(PAYED), C(CHECKING), C(CHECKED_FAIL), C(ISSUED), C(WILLEXPIRED), C(EXPIRED),
        C(NOTACTIVATED), C(REVOKED).
      type: str
    cert_type:
      description: Certificate type, for example C(DV) or C(FREE).
      type: str
    domain_type:
      description: C(ONE), C(WILDCARD) and so on.
      type: str
    instance_id:
      description: Resource ID of the order.
      type: str
    buy_date:
      description: When the order was created.
      type: str
    cert_start_time:
      description: Start of the certificate's validity, once issued.
      type: str
    cert_end_time:
      description: End of the certificate's validity, once issued.
      type: str
  sample:
    order_id: 98987582437920968
    domain: www.example.com
    product_code: digicert-free-1-free
    product_name: DigiCert DV Free (3 months)
    status: CHECKING
    cert_type: FREE
    domain_type: ONE
    instance_id: cas-ivauto-abc123
    buy_date: "2026-11-28T16:40:00Z"
    cert_start_time: null
    cert_end_time: null
validation:
  description:
    - What to publish to prove control of the domain, while RV(status) is V(domain_verify); V(null) otherwise.
  returned: when O(state=present)
  type: dict
  contains:
    method:
      description: V(DNS) or V(FILE).
      type: str
    record_type:
      description: DNS record type, V(TXT) or V(CNAME). DNS only.
      type: str
    record:
      description: The host record exactly as the API returned it (C(RecordDomain)). DNS only.
      type: str
    fqdn:
      description:
        - Full name of the DNS record, whether the API's record is relative to the domain (C(_dnsauth)) or to the
          zone (C(_dnsauth.www) for www.example.com). DNS only.
      type: str
    value:
      description: Value of the DNS record. DNS only.
      type: str
    domain:
      description: Host that must serve the file. FILE only.
      type: str
    uri:
      description: Path of the file. FILE only.
      type: str
    content:
      description: Content of the file. FILE only.
      type: str
    url:
      description: Full URL the CA fetches. FILE only.
      type: str
  sample:
    method: DNS
    record_type: TXT
    record: _dnsauth.www
    fqdn: _dnsauth.www.example.com
    value: 20261128000000abcdefghijklmnopqrstuvwxyz0123456789
request:
  description:
    - The order that was submitted, or in check mode would be submitted, and why.
  returned: when a new order is (or would be) submitted
  type: dict
  contains:
    action:
      description: C(CreateCertificateRequest) or C(CreateCertificateWithCsrRequest).
      type: str
    domain:
      description: Domain of the new order.
      type: str
    product_code:
      description: Plan of the new order; V(null) means the service's default.
      type: str
    validate_type:
      description: Validation method.
      type: str
    tags:
      description: Tags of the new order.
      type: dict
    reason:
      description: Why a new order is needed.
      type: str
  sample:
    action: CreateCertificateRequest
    domain: www.example.com
    product_code: null
    validate_type: DNS
    tags: {}
    reason: no order exists for the domain
withdrawn:
  description: Orders withdrawn (or in check mode to be withdrawn), in the shape of RV(order).
  returned: when O(state=absent)
  type: list
  elements: dict
  sample:
    - order_id: 98987582437920968
      domain: old.example.com
      status: CHECKING
kept:
  description: Orders for the domain that were left alone, such as issued certificates, in the shape of RV(order).
  returned: when O(state=absent)
  type: list
  elements: dict
  sample: []
"""

from ansible_collections.alicloud.cas.plugins.module_utils._certificate_request import run
from ansible_collections.alicloud.cas.plugins.module_utils._module import AlicloudModule
from ansible_collections.alicloud.cas.plugins.module_utils._validation import DV_PRODUCT_CODES


def main():
    module = AlicloudModule(
        api="cas",
        argument_spec=dict(
            domain=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            product_code=dict(type="str", choices=list(DV_PRODUCT_CODES)),
            validate_type=dict(type="str", choices=["DNS", "FILE"], default="DNS"),
            username=dict(type="str"),
            email=dict(type="str"),
            phone=dict(type="str"),
            csr=dict(type="str"),
            tags=dict(type="dict"),
            force=dict(type="bool", default=False),
            renew_before_days=dict(type="int", default=30),
        ),
    )
    module.run(lambda glue: run(glue.params, glue.cas, glue.check_mode, glue.diff_mode))


if __name__ == "__main__":
    main()
