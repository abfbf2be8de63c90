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
  - Makes sure a DV certificate is requested in Alibaba Cloud SSL Certificates Service (CAS), in either of its two
    flows. A V1.0 order spends resource-package quota (C(CreateCertificateRequest), or
    C(CreateCertificateWithCsrRequest) when O(csr) is given). A V2.0 application is made on a subscription instance
    (C(UpdateInstance), then C(ApplyCertificate)). Since 2026-02-14 new purchases are V2.0 instances only, and V1.0
    orders run on quota left over from before. O(source) chooses; the default V(auto) picks for you.
  - "Finding what exists. Both families are looked at (with O(source=auto)): an order, or an instance, that already
    holds a pending application or a fresh certificate for the same name(s) is reused, and nothing is written. For an
    instance the same rules as for an order apply: the validation method must match, and the key (O(csr)'s public key
    against the issued certificate; a CAS-generated key against a CSR; O(key_algorithm)). Unlike an order, a pending
    instance shows its CSR, method and key algorithm, so a change is noticed while it is still pending."
  - "Choosing, with O(source=auto), when nothing can be reused: a V1.0 order on the quota of the product code
    (O(product_code), or the default plan). The quota is not read first: CAS refuses a create without quota
    (C(NotRemainCount), C(NotFoundPackage)) and spends nothing, and the task then goes on with an C(inactive)
    instance whose spec holds the name(s) (single, wildcard, number of names) and whose type O(instance_type)
    allows. In check mode, which writes nothing, the quota is read (C(DescribePackageState)) instead. A paid
    (C(BUY)) instance is never used unless O(instance_type=BUY). When nothing fits, the task fails without having
    spent anything and says what it looked at: the V1.0 quota and the inactive instances by type."
  - "The instances are listed once per run (C(ListInstances), no filter, all pages), also with O(certificates),
    where one list serves every item: the same list shows an application to resume and the inactive instances to
    spend. With O(source=auto) it is read before any V1.0
    create too, so that V1.0 quota is never spent on names that a V2.0 application already holds. Before an instance
    is spent it is read again (C(GetInstanceDetail)), as the list may lag: one that already holds this application
    (made a moment ago, not yet listed) is reused instead."
  - "In V2.0 the applicant (O(username), O(email), O(phone)) is a CAS contact: an existing contact with that name and
    the visible parts of its phone and email is used (C(ListContact), read once), and one is created
    (C(CreateContact)) only when none matches, once per account."
  - "An application is never submitted twice. C(ApplyCertificate) returns only a request id; when its answer is lost
    the instance is read again (C(GetInstanceDetail)) and, when it shows the application pending for these names,
    it is adopted with a warning; if it never does, the task fails saying the application may exist
    (C(order_may_exist=true)). A C(ClientToken) built once per run is sent too, but not relied on (whether CAS
    honours it is not documented). C(UpdateInstance) refused with C(InvalidStatus.UpdateProtection) is retried with
    back-off."
  - After C(ApplyCertificate), the validation records appear only seconds later; the task waits for them (at most 30
    seconds), so that RV(validations) holds the records to publish.
  - "After C(ApplyCertificate) the names the instance holds (its C(Domain), read again) are compared with the ones
    asked for. When they differ, another run filled in the same instance at the same moment (another controller,
    or a run without the same O(ledger_path)): the task (or the item) fails naming both, before any validation is
    returned, and the application on the instance is left alone."
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
  - "With O(state=absent) and O(order_id), exactly that V1.0 order is withdrawn, read by its id
    (C(DescribeCertificateState)), never through the list: a pending one is cancelled (C(CancelOrderRequest)) and
    deleted, a failed (C(verify_fail)) or cancelled (C(payed)) one is deleted (C(DeleteCertificateRequest)), which
    gives its quota unit back. An issued order is refused, nothing written. RV(msg) says what was done."
  - With O(state=absent), pending and failed orders for the domain are withdrawn (C(CancelOrderRequest) where the
    order is pending, then C(DeleteCertificateRequest); a cancel that CAS applies only later is waited for). Pending
    applications on instances for the name(s) are withdrawn with C(CancelPendingCertificate), which CAS completes
    later, so the task waits, at most 120 seconds, until the instance leaves C(pending). Issued certificates are left
    alone, with a warning. Nothing is ever refunded, deleted or revoked.
  - Every option is checked before the first API call. Whether the applicant (O(username), O(email), O(phone)) is
    needed is only known after the orders have been read, but is still checked before anything is written.
  - The V1.0 paragraphs below about orders (listing, submit, adoption) hold for V1.0 orders; the V2.0 ones for
    instances.
  - Use M(alicloud.cas.certificate_request_info) to wait for the validation and fetch the certificate.
author:
  - alicloud.cas contributors (@alicloud-cas)
options:
  domain:
    description:
      - The one domain of the certificate, for example V(www.example.com), or V(*.example.com) for a wildcard.
      - An internationalised name is converted to punycode. Scheme, port, path and a wildcard anywhere but as the
        whole first label are refused.
      - Exactly one of O(domain), O(domains) and O(certificates) is required.
    type: str
  domains:
    description:
      - The names of one multi-domain certificate, in place of O(domain); the first one is the common name.
      - More than one name needs a V2.0 instance whose spec holds them (a wildcard name counts against its wildcard
        names, the bare name next to its own wildcard is free); a V1.0 order holds one name, so O(source=package)
        refuses more than one.
      - Each name is checked as O(domain) is; duplicates are dropped.
    type: list
    elements: str
    version_added: 0.2.0
  source:
    description:
      - Where the certificate comes from. V(package) is a V1.0 order on resource-package quota, V(instance) an
        application on a V2.0 subscription instance.
      - V(auto) looks at both for something to reuse, then submits a V1.0 order, and when CAS refuses it for want of
        quota (nothing spent), uses an inactive instance of O(instance_type) whose spec fits.
    type: str
    choices: [auto, package, instance]
    default: auto
    version_added: 0.2.0
  instance_id:
    description:
      - The V2.0 instance to use, for example V(cas-cn-68n1mm16****); implies O(source=instance).
      - It is reused if it holds a matching application or certificate; otherwise it must be C(inactive), of the
        type O(instance_type) allows, and its spec must hold the name(s).
    type: str
    version_added: 0.2.0
  instance_type:
    description:
      - Which V2.0 instances may be spent. V(TEST) are free test certificates, V(BUY) paid ones.
      - A paid instance is never spent unless this is V(BUY), whether it is chosen by O(source=auto) or named by
        O(instance_id). An application already on a paid instance is reused whatever this says, as it spends nothing.
    type: str
    choices: [TEST, BUY]
    default: TEST
    version_added: 0.2.0
  key_algorithm:
    description:
      - The algorithm of the key CAS generates for a V2.0 application.
      - Only for a CAS-generated key; with O(csr) the key is the CSR's. A V1.0 order takes no algorithm, so anything
        other than V(RSA_2048) rules V1.0 out (O(source=package) refuses it).
      - An existing application or certificate with another algorithm is not reused.
    type: str
    choices: [RSA_2048, RSA_3072, RSA_4096, ECC_256]
    default: RSA_2048
    version_added: 0.2.0
  state:
    description:
      - V(present) makes sure an order is in progress or issued and fresh.
      - V(absent) withdraws the pending and failed orders for the domain, or with O(order_id) that one order.
    type: str
    choices: [present, absent]
    default: present
  product_code:
    description:
      - The certificate plan to spend quota from. A wildcard O(domain) needs a wildcard plan and a single domain a
        single-domain plan; a mismatch is refused before any call. V(symantec-dv-1-starter) is left to CAS, since
        its code and the API's description of it disagree on its kind; CAS's refusal names O(product_code).
      - When omitted, the service's default plan (a single-domain one) is used for a new order, and an existing
        order for the domain matches whatever its plan. A wildcard O(domain) then needs O(product_code) as soon as a
        new order must be submitted.
      - With O(state=absent), only orders of this plan are withdrawn when it is set.
      - V1.0 only; refused with O(source=instance). With O(source=auto) it is the plan whose quota is tried first.
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
      - How the domain is proven. V(DNS) publishes a TXT record, V(FILE) serves a file over HTTP (C(HTTP) in
        V2.0's C(ValidationMethod)).
      - Wildcard domains can only use V(DNS).
    type: str
    choices: [DNS, FILE]
    default: DNS
  username:
    description:
      - Name of the applicant. Required when a new order or application must be submitted. In V2.0, the name of
        the CAS contact.
    type: str
  email:
    description:
      - Email address of the applicant. Required when a new order or application must be submitted.
    type: str
  phone:
    description:
      - Phone number of the applicant, digits with an optional leading C(+). Required when a new order or application
        must be submitted. In V2.0 it is sent without spaces as the contact's mobile.
    type: str
  csr:
    description:
      - A PEM certificate signing request (RSA of at least 2048 bits, or ECC) whose common name is O(domain).
      - The request then goes through C(CreateCertificateWithCsrRequest), or in V2.0 C(GenerateCsrMethod=upload), so
        the private key never leaves your host.
      - Without it, CAS generates the key pair, and M(alicloud.cas.certificate_request_info) can return the key.
      - An issued order is reused only when its certificate holds this CSR's public key. Without O(csr), only an
        order whose key CAS generated is reused (CAS returns a private key only for those).
      - A pending order's CSR cannot be read back, so a pending order is reused whatever CSR it was made with; once
        it is issued for another key, the next run submits a new order. A pending instance shows its CSR, which must
        have this CSR's public key.
    type: str
  tags:
    description:
      - Tags of a new order, sent as C(Tags.N.Key) and C(Tags.N.Value), or of the instance applied on
        (C(Tags.N.TagKey), C(Tags.N.TagValue)). Existing orders and applications are not re-tagged.
    type: dict
  force:
    description:
      - Submit a new order or application even when an existing one would do. Every run then spends quota or an
        instance.
    type: bool
    default: false
  renew_before_days:
    description:
      - An issued certificate with less than this many days left no longer counts, so a new order is submitted.
      - Decided on the certificate's own notAfter, to the second, by the same rule as
        M(alicloud.cas.certificate_file_info).
      - "It must be shorter than the certificates' lifetime, or every certificate would be due at once and every run
        would order a new one. Before any call, a V1.0 order's window is refused when it is at least the documented
        lifetime of the product code: V(digicert-free-1-free) 3 months (taken as 90 days), V(symantec-free-1-free) 1
        year (365 days); for the other codes and for V2.0 instances no lifetime is documented and nothing is assumed.
        Before any write, it is refused when an issued certificate of the name(s) shows a lifetime (notAfter minus
        notBefore) of at most this many days. The message names the option and the lifetime."
    type: int
    default: 30
  order_id:
    description:
      - With O(state=absent), the one V1.0 order to withdraw, for example one the CA rejected (C(verify_fail)),
        whose quota unit stays spent until it is deleted.
      - It is read by its id. Pending (C(domain_verify), C(process)) is cancelled and deleted; failed
        (C(verify_fail)) or cancelled (C(payed)) is deleted. An issued order is never withdrawn (CAS would revoke it);
        the task fails and writes nothing. An order that no longer exists changes nothing.
      - O(domain) is optional with it and only used in the result; O(domains), O(instance_id), O(product_code) and
        O(source=instance) are refused with it, and so is O(state=present).
      - Orders of the account only; C(CancelCertificateForPackageRequest) is never used, as it revokes an order
        issued in the meantime.
    type: int
    version_added: 0.4.0
  ledger_path:
    description:
      - "A file on the host the module runs on (the API host), for example
        V(/var/lib/alicloud-cas/certificate_request.ledger), that records each order and application the runs
        sharing it placed: the access key id (never the secret or a token), the site, the CAS endpoint, the sorted
        names, order or instance, its id and when. It is created 0600 (its directory 0700 when created); an
        existing file keeps its mode."
      - "The run holds an exclusive lock (C(flock)) on the file from before its first read until it ends, so runs
        sharing it take turns. Before listing, an entry for the same names, access key id, site and endpoint is read
        again by its id (C(DescribeCertificateState) or C(GetInstanceDetail), which do not lag) and reused when it
        still would be; one that is gone, failed, withdrawn or no longer fits is dropped, and the lists decide as
        without the ledger. An order or application is recorded as soon as it is placed."
      - "What it guarantees: runs of one controller that use the same file (for example every host of a play,
        with the module delegated to one API host) never place two orders or applications for the same names,
        however long CAS's lists lag. Across two controllers (two files, or hosts that each use their own), nothing
        more holds than without it: each run finds the other's orders and applications only through CAS's lists
        once they show them, so runs started within the lists' lag of each other may still order twice. Keys
        that change between runs (STS tokens with new access key ids) do not find each other's entries either."
      - Never created or written in check mode; read when it exists.
      - With O(certificates), one ledger (and one lock) serves every item. Not read with O(state=absent).
    type: path
    version_added: 0.4.0
  certificates:
    description:
      - Several requests in one run, in place of O(domain) or O(domains). The items are handled one at a time, in
        this order, over one connection; each is the same as a task of its own with the item's options, and the
        module's other options (O(state), O(username), O(email), O(phone), O(renew_before_days), and O(source),
        O(product_code), O(validate_type), O(instance_type), O(key_algorithm), O(tags), O(force) when an item does
        not set them) are the defaults of every item.
      - Every item is checked before the first API call; bad input fails the task naming the item and option, for
        example C(certificates[2].domain).
      - One item's failure does not stop the others. The task then fails, naming the items that failed, and still
        returns RV(certificates) with every item's outcome.
      - Check mode and diff mode work for each item.
      - O(domain), O(domains), O(instance_id), O(csr) and O(order_id) are set in the items only.
    type: list
    elements: dict
    version_added: 0.3.0
    suboptions:
      name:
        description:
          - A label returned as is in the item's result; defaults to the item's name(s) joined with commas.
          - Names must be unique in the list.
        type: str
      domain:
        description: As O(domain).
        type: str
      domains:
        description: As O(domains).
        type: list
        elements: str
      product_code:
        description: As O(product_code).
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
        description: As O(validate_type).
        type: str
        choices: [DNS, FILE]
      csr:
        description: As O(csr).
        type: str
      source:
        description: As O(source).
        type: str
        choices: [auto, package, instance]
      instance_id:
        description: As O(instance_id).
        type: str
      instance_type:
        description: As O(instance_type).
        type: str
        choices: [TEST, BUY]
      key_algorithm:
        description: As O(key_algorithm).
        type: str
        choices: [RSA_2048, RSA_3072, RSA_4096, ECC_256]
      tags:
        description: As O(tags).
        type: dict
      order_id:
        description: As O(order_id), with O(state=absent). The item's name defaults to C(order <id>).
        type: int
        version_added: 0.4.0
      renew_before_days:
        description: As O(renew_before_days), for this item.
        type: int
        version_added: 0.4.0
      force:
        description: As O(force).
        type: bool
extends_documentation_fragment:
  - alicloud.cas.connection
  - alicloud.cas.connection.cas
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Only read calls are made; the result predicts whether anything changes and shows in RV(request) what
        would be submitted, with RV(source) and, for V2.0, the RV(instance_id) that would be used.
  diff_mode:
    support: full
    details: The order or instance before and after (with O(state=absent), the lists of orders and instances). No secrets are included.
  idempotent:
    description: Running the same task again with the same options changes nothing and spends no quota or instance.
    support: partial
    details: With O(force=true) every run submits a new order.
  platform:
    platforms: all
notes:
  - An order or application still being validated or reviewed, or issued and valid for more than O(renew_before_days)
    days, means no change. One that is expiring, expired, revoked, failed or withdrawn leads to a new order or
    application.
  - After an application the task waits until C(ListInstances) shows it (about 15 seconds at most), so that the next
    run finds it; if the list still lags, a warning says so.
  - The applicant's email and phone are not secrets, but are not returned either.
seealso:
  - module: alicloud.cas.certificate_request_info
  - name: V1.0 and V2.0 flows
    description: Which flow the collection uses, and how to check what an account can still issue (docs/quota.md).
    link: https://github.com/alicloud-cas/alicloud.cas/blob/main/docs/quota.md
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

    - name: On a V2.0-only account, apply on a free test instance (auto picks one when no V1.0 quota is left)
      alicloud.cas.certificate_request:
        domain: app.example.com
        username: Jane Doe
        email: hostmaster@example.com
        phone: "+86 138 0000 0000"
      register: v2_request

    - name: Show the source, the instance and every record to publish, the same way for both flows
      ansible.builtin.debug:
        msg: "{{ v2_request.source }} {{ v2_request.instance_id }} {{ v2_request.phase }}
          {{ v2_request.validations | map(attribute='fqdn') | list }}"

    - name: A multi-domain certificate on a paid instance (never spent without instance_type BUY)
      alicloud.cas.certificate_request:
        domains:
          - "*.example.com"
          - example.com
        source: instance
        instance_type: BUY
        key_algorithm: ECC_256
        username: Jane Doe
        email: hostmaster@example.com
        phone: "+86 138 0000 0000"

    - name: Apply on one named instance
      alicloud.cas.certificate_request:
        domain: shop.example.com
        instance_id: cas-cn-68n1mm16abcd
        username: Jane Doe
        email: hostmaster@example.com
        phone: "+86 138 0000 0000"

    - name: Request several certificates in one run; one item's failure does not stop the others
      alicloud.cas.certificate_request:
        certificates:
          - domain: www.example.com
          - name: shop
            domains: [shop.example.com, pay.example.com]
            source: instance
        username: Jane Doe
        email: hostmaster@example.com
        phone: "+86 138 0000 0000"
      register: requested

    - name: Withdraw pending or failed requests for old.example.com (orders and instance applications)
      alicloud.cas.certificate_request:
        domain: old.example.com
        state: absent

    - name: Every host of the play requests its certificate through one ledger on the API host
      alicloud.cas.certificate_request:
        domain: "{{ inventory_hostname }}"
        ledger_path: /var/lib/alicloud-cas/certificate_request.ledger
        username: Jane Doe
        email: hostmaster@example.com
        phone: "+86 138 0000 0000"
      delegate_to: localhost
      register: ordered

    - name: The CA rejected the order (verify_fail); withdraw it so that its quota unit comes back
      alicloud.cas.certificate_request:
        order_id: "{{ ordered.order_id }}"
        state: absent
      delegate_to: localhost
      when: ordered.status == 'verify_fail'
      register: withdrawn

    - name: Say what was done
      ansible.builtin.debug:
        msg: "{{ withdrawn.msg }}"
      when: withdrawn is changed
"""

RETURN = r"""
source:
  description: Which flow holds the certificate, V(package) (a V1.0 order) or V(instance) (a V2.0 instance).
  returned: when O(state=present)
  type: str
  sample: instance
  version_added: 0.2.0
order_id:
  description:
    - ID of the order that is now current for the domain; V(null) when RV(source=instance).
    - V(null) in check mode when a new order would be submitted.
    - With O(state=absent) and O(order_id), that order's id.
  returned: when O(state=present), or O(state=absent) with O(order_id)
  type: int
  sample: 98987582437920968
instance_id:
  description:
    - ID of the V2.0 instance that holds the application, or in check mode would be applied on; V(null) when
      RV(source=package).
  returned: when O(state=present)
  type: str
  sample: cas-cn-68n1mm16abcd
  version_added: 0.2.0
status:
  description:
    - The raw state. For an order, its C(DescribeCertificateState) C(Type), for example V(domain_verify),
      V(process), V(certificate), V(verify_fail), V(payed). For an instance, its C(Status), for example V(pending),
      V(normal).
    - V(null) in check mode when a new order or application would be submitted.
    - Playbooks should read RV(phase), the same for both flows.
  returned: when O(state=present)
  type: str
  sample: domain_verify
status_meaning:
  description: What RV(status) means, in words (orders only).
  returned: when O(state=present) and RV(source=package)
  type: str
  sample: "waiting for domain validation: publish the validation record or file"
phase:
  description:
    - One phase for both flows. V(validating) (publish RV(validations)), V(reviewing) (submitted, nothing to
      publish right now), V(issued), V(withdrawn), V(failed), V(inactive), V(unknown).
    - V(null) in check mode when a new order or application would be submitted.
  returned: when O(state=present)
  type: str
  sample: validating
  version_added: 0.2.0
phase_meaning:
  description: What RV(phase) means, in words.
  returned: when O(state=present)
  type: str
  sample: "waiting for domain validation: publish the validation records"
  version_added: 0.2.0
certificate_id:
  description:
    - The CAS id of the issued certificate, an integer, when RV(phase=issued) (the certificate reused); V(null)
      otherwise. For an order it is the C(CertId) of C(DescribeCertificateState), for an instance its
      C(CertificateId). CDN, DCDN and CLB refer to a CAS certificate by it.
  returned: when O(state=present)
  type: int
  sample: 12000001
  version_added: 0.5.0
certificate_identifier:
  description:
    - The C(CertIdentifier) of the issued certificate, C(<certificate_id>-<region>) with the region of the CAS site
      (C(cn-hangzhou) on the China site, C(ap-southeast-1) on the international one), when RV(phase=issued);
      V(null) otherwise. ALB and NLB refer to a CAS certificate by it.
    - Taken from CAS, never built. For an instance it comes with C(GetInstanceDetail); for an order one
      C(GetUserCertificateDetail) (without the certificate) is asked once it is issued.
    - V(null) also when the RAM policy does not allow C(yundun-cert:GetUserCertificateDetail), with a warning;
      issuing and downloading do not need that action, deploying does.
  returned: when O(state=present)
  type: str
  sample: "12000001-cn-hangzhou"
  version_added: 0.5.0
validations:
  description:
    - What to publish, one item per name, each in the shape of RV(validation). Empty when nothing is to be
      published.
    - For an instance, the task waits for the records after applying (at most 30 seconds); a warning says so if
      they have not appeared.
  returned: when O(state=present)
  type: list
  elements: dict
  sample:
    - method: DNS
      record_type: TXT
      record: _dnsauth.www
      fqdn: _dnsauth.www.example.com
      value: 20261128000000abcdefghijklmnopqrstuvwxyz0123456789
  version_added: 0.2.0
instance:
  description:
    - The V2.0 instance (C(GetInstanceDetail)), normalised, with dates in ISO 8601 UTC whether CAS sent seconds or
      milliseconds. Before/after in the diff (diff mode).
  returned: when O(state=present) and RV(source=instance)
  type: dict
  sample:
    instance_id: cas-cn-68n1mm16abcd
    instance_type: TEST
    status: pending
    phase: validating
    domains: [www.example.com]
    spec: ss.dv.t
    full_domain_count: 1
    wildcard_domain_count: 0
    key_algorithm: RSA_2048
    validation_method: DNS
    certificate_id: null
    instance_end_time: "2027-05-30T00:00:00Z"
  version_added: 0.2.0
order:
  description:
    - The order, as listed by C(ListUserCertificateOrder), with dates in ISO 8601 UTC.
    - An order found through O(ledger_path) is not listed, so only RV(order.order_id), RV(order.domain) and
      RV(order.product_code) are set; RV(status) and RV(phase) are read from the order itself.
  returned: when O(state=present) and RV(source=package)
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
    - What to publish to prove control of the domain, while RV(phase) is V(validating); V(null) otherwise.
    - The first item of RV(validations), kept for compatibility.
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
    - The order or application that was submitted, or in check mode would be submitted, and why.
  returned: when a new order or application is (or would be) submitted
  type: dict
  contains:
    action:
      description: C(CreateCertificateRequest), C(CreateCertificateWithCsrRequest) or C(ApplyCertificate).
      type: str
    domain:
      description: Domain of the new order (V1.0).
      type: str
    domains:
      description: Names of the application (V2.0).
      type: list
      elements: str
      version_added: 0.2.0
    instance_id:
      description: The instance applied on (V2.0).
      type: str
      version_added: 0.2.0
    instance_type:
      description: Its type, V(TEST) or V(BUY) (V2.0).
      type: str
      version_added: 0.2.0
    generate_csr_method:
      description: V(online) (CAS generates the key) or V(upload) (O(csr)) (V2.0).
      type: str
      version_added: 0.2.0
    key_algorithm:
      description: Algorithm of the key CAS generates; V(null) with O(csr) (V2.0).
      type: str
      version_added: 0.2.0
    product_code:
      description: Plan of the new order; V(null) means the service's default (V1.0).
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
msg:
  description: With O(order_id), what was done (or in check mode would be done) to the order, in words.
  returned: when O(state=absent) and O(order_id) is given
  type: str
  sample: "Order 98987582437920968 (verify_fail, the CA's review failed; delete the order and submit a new one) was
    deleted (DeleteCertificateRequest); its quota unit is given back unless it was ever issued."
  version_added: 0.4.0
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
withdrawn_instances:
  description: Instances whose pending application was withdrawn (or in check mode would be), in the shape of
    RV(instance), as read after the withdrawal.
  returned: when O(state=absent) and O(source) is not V(package)
  type: list
  elements: dict
  sample:
    - instance_id: cas-cn-68n1mm16abcd
      status: normal
      phase: withdrawn
  version_added: 0.2.0
kept_instances:
  description: Instances for the name(s) holding an issued certificate, left alone, in the shape of RV(instance).
  returned: when O(state=absent) and O(source) is not V(package)
  type: list
  elements: dict
  sample: []
  version_added: 0.2.0
order_may_exist:
  description: Set when the answer to a create or an apply was lost and its outcome could not be confirmed; the
    task failed, and running it again reuses what was created once CAS shows it.
  returned: on that failure
  type: bool
  sample: true
certificates:
  description:
    - With O(certificates), one result per item, in the order of the items. The top-level RV(source),
      RV(order_id) and the other single-request values are not returned then.
    - Each item holds the values a single request returns (RV(source), RV(order_id), RV(instance_id), RV(status),
      RV(phase), RV(certificate_id), RV(certificate_identifier), RV(validations), RV(validation), RV(order),
      RV(instance), RV(request), its own C(warnings), and
      with O(state=absent) RV(withdrawn) and the others), plus RV(certificates[].name), RV(certificates[].failed),
      RV(certificates[].msg) and RV(certificates[].changed).
  returned: when O(certificates) is given
  type: list
  elements: dict
  version_added: 0.3.0
  contains:
    name:
      description: The item's O(certificates[].name), or its name(s) joined with commas.
      type: str
      sample: www.example.com
    failed:
      description: Whether this item failed. Its RV(certificates[].msg) says why; the API error's C(code) and
        C(request_id) are set when CAS answered one, and C(order_may_exist) as for a single request.
      type: bool
      sample: false
    msg:
      description: Why the item failed; empty when it did not, except with O(certificates[].order_id), where it
        says what was done.
      type: str
      sample: ""
    changed:
      description: Whether this item submitted (or in check mode would submit) or withdrew anything.
      type: bool
      sample: true
"""

from ansible_collections.alicloud.cas.plugins.module_utils._certificate_request import (
    INSTANCE_TYPES,
    KEY_ALGORITHMS,
    SOURCES,
    run,
)
from ansible_collections.alicloud.cas.plugins.module_utils._module import AlicloudModule
from ansible_collections.alicloud.cas.plugins.module_utils._validation import DV_PRODUCT_CODES


def main():
    module = AlicloudModule(
        api="cas",
        argument_spec=dict(
            domain=dict(type="str"),
            domains=dict(type="list", elements="str"),
            source=dict(type="str", choices=list(SOURCES), default="auto"),
            instance_id=dict(type="str"),
            instance_type=dict(type="str", choices=list(INSTANCE_TYPES), default="TEST"),
            key_algorithm=dict(type="str", choices=list(KEY_ALGORITHMS), default="RSA_2048"),
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
            order_id=dict(type="int"),
            ledger_path=dict(type="path"),
            certificates=dict(type="list", elements="dict", options=dict(
                name=dict(type="str"),
                domain=dict(type="str"),
                domains=dict(type="list", elements="str"),
                product_code=dict(type="str", choices=list(DV_PRODUCT_CODES)),
                validate_type=dict(type="str", choices=["DNS", "FILE"]),
                csr=dict(type="str"),
                source=dict(type="str", choices=list(SOURCES)),
                instance_id=dict(type="str"),
                instance_type=dict(type="str", choices=list(INSTANCE_TYPES)),
                key_algorithm=dict(type="str", choices=list(KEY_ALGORITHMS)),
                tags=dict(type="dict"),
                force=dict(type="bool"),
                order_id=dict(type="int"),
                renew_before_days=dict(type="int"),
            )),
        ),
        mutually_exclusive=[("domain", "domains")],
        required_one_of=[("domain", "domains", "certificates", "order_id")],
    )
    module.run(lambda glue: run(glue.params, glue.cas, glue.check_mode, glue.diff_mode))


if __name__ == "__main__":
    main()
