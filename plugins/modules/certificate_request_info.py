#!/usr/bin/python
# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: certificate_request_info
short_description: Read, wait for and save a certificate request of Alibaba Cloud SSL Certificates Service
version_added: 0.1.0
description:
  - Reads one certificate request, in either flow of the service, and returns the validation records to publish or
    the issued certificate split into leaf, chain and full chain. The fields are the same for both flows; RV(phase)
    says where the request stands in one vocabulary for both.
  - A V1.0 order (from resource-package quota) is read with C(DescribeCertificateState). A V2.0 subscription
    instance is read with C(GetInstanceDetail), and its issued certificate is downloaded with
    C(GetUserCertificateDetail) (C(CertId) is the instance's C(CertificateId)).
  - With O(wait=true), polls until the request reaches one of O(wait_for), all within this one module run. The pause
    between polls starts at O(poll_interval) and doubles up to O(poll_interval_max).
  - With O(cert_dest), O(chain_dest), O(fullchain_dest) or O(privatekey_dest), saves the issued certificate as files on
    the host that runs the module, so that the private key is never held in a variable.
  - With O(certificates), reads and waits for several requests in one run, with one back-off and one O(wait_timeout)
    for all of them, and saves each one's files, or bundles them into tar archives with O(archives).
  - Only read calls are made to the API.
author:
  - alicloud.cas contributors (@alicloud-cas)
options:
  order_id:
    description:
      - ID of a V1.0 order, as returned by M(alicloud.cas.certificate_request).
      - Exactly one of O(order_id), O(instance_id), O(domain) and O(certificates) is required.
    type: int
  instance_id:
    description:
      - ID of a V2.0 subscription instance, as returned by M(alicloud.cas.certificate_request), for example
        V(cas-cn-68n1mm16xxxx).
    type: str
    version_added: 0.2.0
  domain:
    description:
      - Domain whose newest request is read, in either flow.
      - Both the V1.0 orders and the V2.0 instances that hold the domain are looked at. An instance with an
        application under way is the newest; otherwise the newer of the newest order (by purchase date) and the
        instance whose certificate was issued last (by its start of validity) is read. Unused (inactive) instances
        hold no request and are not looked at.
      - Matched exactly, case-insensitive, internationalised names in punycode.
    type: str
  certificates:
    description:
      - Several requests to read, wait for and save in one run (batch mode). Mutually exclusive with O(order_id),
        O(instance_id), O(domain), the C(*_dest) options and O(return_private_key).
      - All of them are polled with one back-off and one O(wait_timeout); each stops being polled as soon as it
        reached one of O(wait_for) or a phase it will not leave.
      - One item's failure (a failed review, a timeout, an error of the API) stops none of the others. The task
        fails at the end when any item failed, and still returns every item's outcome in RV(certificates) and writes
        the files of the items that succeeded.
      - O(mode), O(privatekey_mode), O(owner), O(group) and the other file options apply to the files of every item.
    type: list
    elements: dict
    version_added: 0.2.0
    suboptions:
      name:
        description:
          - A free label, returned as is in RV(certificates[].name). Defaults to the ID or domain.
        type: str
      order_id:
        description:
          - ID of a V1.0 order. Exactly one of O(certificates[].order_id), O(certificates[].instance_id) and
            O(certificates[].domain) is required.
        type: int
      instance_id:
        description:
          - ID of a V2.0 instance.
        type: str
      domain:
        description:
          - Domain whose newest request is read, as O(domain).
        type: str
      cert_dest:
        description:
          - As O(cert_dest), for this item.
        type: path
      chain_dest:
        description:
          - As O(chain_dest), for this item.
        type: path
      fullchain_dest:
        description:
          - As O(fullchain_dest), for this item.
        type: path
      privatekey_dest:
        description:
          - As O(privatekey_dest), for this item.
        type: path
  archives:
    description:
      - With O(certificates), also bundles the files of several certificates into tar archives, so that a host can
        receive all of its files in one transfer, for example with M(alicloud.cas.certificate_files).
      - Each archive holds one directory per member, named O(archives[].members[].dir), with C(cert.pem),
        C(chain.pem), C(fullchain.pem) and C(privkey.pem) (those that CAS returned), modes V(0644) and V(0600). Every
        member's time is its certificate's start of validity and its owner uid 0, so the same certificates always
        give the same bytes.
      - An archive is written (mode V(0600), atomically) only when its bytes differ. A member whose certificate
        failed or is not issued yet is left out and listed in RV(archives[].missing); an archive with no member
        left is not written.
    type: list
    elements: dict
    version_added: 0.3.0
    suboptions:
      dest:
        description:
          - Path of the archive to write. Its directory must exist.
        type: path
        required: true
      members:
        description:
          - The certificates to bundle.
        type: list
        elements: dict
        required: true
        suboptions:
          certificate:
            description:
              - The O(certificates[].name) of the certificate; it must name exactly one item.
            type: str
            required: true
          dir:
            description:
              - Name of its directory in the archive, one path component, for example V(www.example.com).
            type: str
            required: true
  wait:
    description:
      - Poll until the request reaches one of O(wait_for), at most O(wait_timeout) seconds.
      - Without waiting, the state is returned as it is, whatever it is.
    type: bool
    default: false
  wait_for:
    description:
      - States that end the wait successfully. Either the phases of both flows (V(validating), V(reviewing),
        V(issued), V(failed), V(withdrawn)) or the V1.0 order states, which stand for a phase each
        (V(domain_verify) validating, V(process) reviewing, V(certificate) issued, V(verify_fail) failed,
        V(payed) withdrawn).
      - When waiting, a request that reaches a phase it will not leave by itself (issued, failed, withdrawn, or an
        instance that holds no application) and that is not listed here fails the task at once with what the API
        said. For a V1.0 order whose review failed the message says how to start again.
    type: list
    elements: str
    choices: [domain_verify, process, certificate, verify_fail, payed, validating, reviewing, issued, failed, withdrawn]
    default: [certificate]
  wait_timeout:
    description:
      - Seconds to wait at most (for all of O(certificates) together). When they run out the task fails; its result
        still holds the last state, and the message says so.
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
  cert_dest:
    description:
      - Path of a file to save the leaf certificate (PEM) in, once it is issued.
      - Files are written only when the certificate is issued, atomically (a temporary file in the same directory,
        then a rename), and only when their content differs, so the task reports C(changed) only for real changes.
        Their mode is O(mode) (default V(0644)); O(owner), O(group) and the other file options apply too.
      - The directory must exist. Nothing is written in check mode; the result says what would change.
    type: path
    version_added: 0.2.0
  chain_dest:
    description:
      - Path of a file to save the intermediate certificates (PEM) in. Not written when CAS returned none.
    type: path
    version_added: 0.2.0
  fullchain_dest:
    description:
      - Path of a file to save the leaf followed by the intermediates (PEM) in.
    type: path
    version_added: 0.2.0
  privatekey_dest:
    description:
      - Path of a file to save the private key CAS generated in. The key goes from the API's answer to this file
        only; it is never returned and never shown in a diff, even without C(no_log).
      - The file is created mode O(privatekey_mode) (default V(0600)) and is never readable by others, not even for
        a moment while it is written.
      - A certificate requested with a CSR has no key in CAS; the file is then left alone and
        the C(privatekey) entry of RV(files) has C(missing=true).
    type: path
    version_added: 0.2.0
  privatekey_mode:
    description:
      - Mode of the O(privatekey_dest) files, as O(mode). Default V(0600). O(mode) applies to the certificate files
        only.
    type: raw
    version_added: 0.2.0
  return_private_key:
    description:
      - Also return the private key CAS generated (only requests made without a CSR have one).
      - Deprecated in favour of O(privatekey_dest), which keeps the key out of variables, facts and callbacks.
      - "The key is a secret. Set C(no_log: true) on such a task."
      - A module cannot mask part of its own result (a value it marks as secret is replaced by C(********) in the
        result itself, and ansible-core drops a result-level C(_ansible_no_log)), so only C(no_log) on the task keeps
        the key out of the output and the logs.
    type: bool
    default: false
extends_documentation_fragment:
  - alicloud.cas.connection
  - alicloud.cas.connection.cas
  - ansible.builtin.action_common_attributes
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    details: The API is only read; in check mode no file is written and the result says which files would change.
  diff_mode:
    support: full
    details: The diff names the files and whether their content changes, never the content (the key least of all).
  idempotent:
    description: Running the same task again with the same options changes nothing once the files are saved.
    support: full
  platform:
    platforms: all
seealso:
  - module: alicloud.cas.certificate_request
  - module: alicloud.cas.certificate_files
  - module: alicloud.cas.certificate_instance_info
"""

EXAMPLES = r"""
- name: Wait for a certificate and save it
  module_defaults:
    group/alicloud.cas.cas:
      access_key_id: "{{ alicloud_access_key_id }}"
      access_key_secret: "{{ alicloud_access_key_secret }}"
  block:
    - name: Read the state of the newest request for www.example.com (V1.0 order or V2.0 instance)
      alicloud.cas.certificate_request_info:
        domain: www.example.com
      register: state

    - name: Wait until it is issued and save it; the key goes straight to its file
      alicloud.cas.certificate_request_info:
        instance_id: "{{ state.instance_id }}"
        wait: true
        wait_timeout: 1800
        fullchain_dest: /etc/ssl/www.example.com.pem
        privatekey_dest: /etc/ssl/private/www.example.com.key
        owner: root
        group: root
      register: saved

    - name: Reload nginx when a file changed
      ansible.builtin.service:
        name: nginx
        state: reloaded
      when: saved is changed

    - name: Wait for several certificates at once, with one back-off for all
      alicloud.cas.certificate_request_info:
        certificates:
          - name: www
            instance_id: cas-cn-68n1mm16xxxx
            fullchain_dest: /etc/ssl/www.example.com.pem
            privatekey_dest: /etc/ssl/private/www.example.com.key
          - name: shop
            order_id: 98987582437920968
            fullchain_dest: /etc/ssl/shop.example.com.pem
            privatekey_dest: /etc/ssl/private/shop.example.com.key
        wait: true
        wait_timeout: 1800
      register: batch

    - name: Bundle the files of both certificates for one transfer to a web server
      alicloud.cas.certificate_request_info:
        certificates:
          - name: www
            instance_id: cas-cn-68n1mm16xxxx
          - name: shop
            order_id: 98987582437920968
        archives:
          - dest: /var/lib/certificates/web.tar
            members:
              - {certificate: www, dir: www.example.com}
              - {certificate: shop, dir: shop.example.com}
      register: bundled

    - name: Say which certificates the archive holds
      ansible.builtin.debug:
        msg: "{{ bundled.archives[0].dirs }} bundled, {{ bundled.archives[0].missing }} not issued yet"

    - name: Show when each certificate ends
      ansible.builtin.debug:
        msg: "{{ batch.certificates | map(attribute='not_after') | list }}"
"""

RETURN = r"""
source:
  description: The flow of the request that was read, V(package) (a V1.0 order) or V(instance) (a V2.0 instance).
  returned: always, except with O(certificates)
  type: str
  sample: instance
  version_added: 0.2.0
order_id:
  description: ID of the V1.0 order that was read; V(null) for an instance.
  returned: always, except with O(certificates)
  type: int
  sample: 98987582437920968
instance_id:
  description: ID of the V2.0 instance that was read; V(null) for an order.
  returned: always, except with O(certificates)
  type: str
  sample: cas-cn-emu000000001
  version_added: 0.2.0
domain:
  description:
    - Domain of the request (the first name of an instance), in punycode; V(null) if the order could not be found
      in the order list.
  returned: always, except with O(certificates)
  type: str
  sample: www.example.com
domains:
  description: Every name of the request.
  returned: always, except with O(certificates)
  type: list
  elements: str
  sample: [www.example.com]
  version_added: 0.2.0
order:
  description:
    - The order as C(ListUserCertificateOrder) lists it, with dates in ISO 8601 UTC; V(null) if it is not listed.
    - Same shape as the RV(alicloud.cas.certificate_request#module:order) of M(alicloud.cas.certificate_request).
  returned: for a V1.0 order
  type: dict
  sample:
    order_id: 98987582437920968
    domain: www.example.com
    status: ISSUED
    cert_end_time: "2027-02-26T16:40:00Z"
instance:
  description:
    - The instance as C(GetInstanceDetail) describes it, with dates in ISO 8601 UTC (the API's unit, seconds or
      milliseconds, is read either way). Same shape as the items of
      RV(alicloud.cas.certificate_instance_info#module:instances).
  returned: for a V2.0 instance
  type: dict
  sample:
    instance_id: cas-cn-emu000000001
    instance_type: TEST
    status: normal
    phase: issued
    certificate_status: issued
    certificate_id: 30000001
    domains: [www.example.com]
  version_added: 0.2.0
status:
  description:
    - The raw state, as the API says it. For an order the C(Type) of C(DescribeCertificateState)
      (V(domain_verify), V(process), V(certificate), V(verify_fail), V(payed)); for an instance its C(Status)
      (V(inactive), V(pending), V(normal), V(willExpire), V(expired), V(refund), V(closed)).
    - Read RV(phase) instead to handle both flows alike.
  returned: always, except with O(certificates)
  type: str
  sample: certificate
status_meaning:
  description: What RV(status) means, in words; for an instance, the meaning of its phase.
  returned: always, except with O(certificates)
  type: str
  sample: the certificate is issued
phase:
  description:
    - Where the request stands, one vocabulary for both flows. V(validating) (publish RV(validations)),
      V(reviewing), V(issued), V(failed), V(withdrawn); for an instance also V(inactive) (no application) and
      V(unknown).
  returned: always, except with O(certificates)
  type: str
  sample: issued
  version_added: 0.2.0
phase_meaning:
  description: What RV(phase) means, in words.
  returned: always, except with O(certificates)
  type: str
  sample: the certificate is issued
  version_added: 0.2.0
validations:
  description:
    - What to publish to prove control of the names, one item per name, while RV(phase) is V(validating); empty
      otherwise. Each item has the shape of RV(validation).
  returned: always, except with O(certificates)
  type: list
  elements: dict
  sample:
    - method: DNS
      record_type: TXT
      record: _dnsauth.www
      fqdn: _dnsauth.www.example.com
      value: 20261128000000abcdefghijklmnopqrstuvwxyz0123456789
  version_added: 0.2.0
validation:
  description:
    - The first item of RV(validations), kept for compatibility; V(null) when there is nothing to publish.
    - Same shape as the RV(alicloud.cas.certificate_request#module:validation) of
      M(alicloud.cas.certificate_request). C(fqdn) is V(null) when the order's domain is unknown.
  returned: always, except with O(certificates)
  type: dict
  sample:
    method: DNS
    record_type: TXT
    record: _dnsauth
    fqdn: _dnsauth.www.example.com
    value: 20261128000000abcdefghijklmnopqrstuvwxyz0123456789
certificate:
  description: The leaf certificate (PEM), once issued; V(null) before.
  returned: always, except with O(certificates)
  type: str
  sample: "-----BEGIN CERTIFICATE-----\nMIIF...\n-----END CERTIFICATE-----\n"
chain:
  description: The intermediate certificates (PEM) that CAS returned after the leaf; V(null) if there are none.
  returned: always, except with O(certificates)
  type: str
  sample: "-----BEGIN CERTIFICATE-----\nMIIE...\n-----END CERTIFICATE-----\n"
fullchain:
  description: Leaf followed by the intermediates (PEM).
  returned: always, except with O(certificates)
  type: str
  sample: "-----BEGIN CERTIFICATE-----\nMIIF...\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nMIIE...\n-----END CERTIFICATE-----\n"
not_before:
  description: Start of the leaf's validity, ISO 8601 UTC.
  returned: always, except with O(certificates)
  type: str
  sample: "2026-11-28T16:40:00Z"
not_after:
  description: End of the leaf's validity, ISO 8601 UTC.
  returned: always, except with O(certificates)
  type: str
  sample: "2027-02-26T16:40:00Z"
cert_id:
  description: ID of the issued certificate in CAS (for an instance, its C(CertificateId)).
  returned: always, except with O(certificates)
  type: str
  sample: "12000001"
files:
  description:
    - The files asked for, by kind (C(cert), C(chain), C(fullchain), C(privatekey)), each with its C(path) and
      whether it C(changed) (content or attributes; in check mode, whether it would). C(missing) is V(true) when the
      API has nothing for that file (no chain, or no key for a CSR) and the file was left alone.
    - Empty until the certificate is issued.
  returned: when a C(*_dest) option is set
  type: dict
  sample:
    fullchain:
      path: /etc/ssl/www.example.com.pem
      changed: true
    privatekey:
      path: /etc/ssl/private/www.example.com.key
      changed: true
  version_added: 0.2.0
certificates:
  description: One item per O(certificates) entry, in the order given. No item ever holds key material.
  returned: with O(certificates)
  type: list
  elements: dict
  version_added: 0.2.0
  contains:
    name:
      description: The entry's O(certificates[].name).
      type: str
    source:
      description: V(package) or V(instance), as RV(source); V(null) when the request was not found.
      type: str
    order_id:
      description: As RV(order_id).
      type: int
    instance_id:
      description: As RV(instance_id).
      type: str
    domain:
      description: As RV(domain); V(null) for an order given by O(certificates[].order_id).
      type: str
    status:
      description: As RV(status), the last state read.
      type: str
    phase:
      description: As RV(phase).
      type: str
    phase_meaning:
      description: As RV(phase_meaning).
      type: str
    not_before:
      description: As RV(not_before).
      type: str
    not_after:
      description: As RV(not_after).
      type: str
    cert_id:
      description: As RV(cert_id).
      type: str
    files:
      description: As RV(files), for this entry.
      type: dict
    changed:
      description: Whether a file of this entry changed.
      type: bool
    failed:
      description: Whether this entry failed (not found, an API error, a phase it will not leave, the timeout).
      type: bool
    msg:
      description: Why the entry failed; empty when it did not.
      type: str
    polls:
      description: Number of reads of this entry.
      type: int
  sample:
    - name: www
      source: instance
      instance_id: cas-cn-emu000000001
      order_id: null
      status: normal
      phase: issued
      not_after: "2027-02-26T16:40:00Z"
      cert_id: "30000001"
      files: {fullchain: {path: /etc/ssl/www.example.com.pem, changed: true}}
      changed: true
      failed: false
      msg: ""
archives:
  description: One item per O(archives) entry, in the order given. No item holds key material.
  returned: with O(archives)
  type: list
  elements: dict
  version_added: 0.3.0
  contains:
    dest:
      description: Path of the archive.
      type: str
    dirs:
      description: The directories the archive holds, in the order given.
      type: list
      elements: str
    missing:
      description: The directories left out, because their certificate failed or is not issued yet.
      type: list
      elements: str
    changed:
      description: Whether the archive was written (its bytes differed) or its attributes changed.
      type: bool
    failed:
      description: Whether the archive could not be written.
      type: bool
    msg:
      description: Why the archive could not be written; empty otherwise.
      type: str
  sample:
    - dest: /var/lib/certificates/web.tar
      dirs: [www.example.com, shop.example.com]
      missing: []
      changed: true
      failed: false
      msg: ""
private_key:
  description:
    - The private key (PEM) CAS generated; V(null) when the request was made with a CSR or is not issued yet.
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
  description: Number of reads (C(DescribeCertificateState) or C(GetInstanceDetail)) made.
  returned: always, except with O(certificates)
  type: int
  sample: 4
"""

from ansible_collections.alicloud.cas.plugins.module_utils._cas_info import WAIT_FOR_CHOICES, request_info
from ansible_collections.alicloud.cas.plugins.module_utils._certificate_files_write import AnsibleModuleFileWriter
from ansible_collections.alicloud.cas.plugins.module_utils._errors import secret_forms
from ansible_collections.alicloud.cas.plugins.module_utils._module import AlicloudModule


def main():
    item = dict(name=dict(type="str"), order_id=dict(type="int"), instance_id=dict(type="str"),
                domain=dict(type="str"), cert_dest=dict(type="path"), chain_dest=dict(type="path"),
                fullchain_dest=dict(type="path"), privatekey_dest=dict(type="path"))
    module = AlicloudModule(
        api="cas",
        argument_spec=dict(
            order_id=dict(type="int"),
            instance_id=dict(type="str"),
            domain=dict(type="str"),
            certificates=dict(type="list", elements="dict", options=item,
                              mutually_exclusive=[("order_id", "instance_id", "domain")],
                              required_one_of=[("order_id", "instance_id", "domain")]),
            wait=dict(type="bool", default=False),
            wait_for=dict(type="list", elements="str", choices=list(WAIT_FOR_CHOICES), default=["certificate"]),
            wait_timeout=dict(type="int", default=900),
            poll_interval=dict(type="float", default=5),
            poll_interval_max=dict(type="float", default=60),
            cert_dest=dict(type="path"),
            chain_dest=dict(type="path"),
            fullchain_dest=dict(type="path"),
            privatekey_dest=dict(type="path"),
            archives=dict(type="list", elements="dict", options=dict(
                dest=dict(type="path", required=True),
                members=dict(type="list", elements="dict", required=True, options=dict(
                    certificate=dict(type="str", required=True), dir=dict(type="str", required=True))))),
            privatekey_mode=dict(type="raw", no_log=False),
            return_private_key=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("order_id", "instance_id", "domain", "certificates")],
        required_one_of=[("order_id", "instance_id", "domain", "certificates")],
        add_file_common_args=True,
    )

    def hide_secret(secret):
        module.module.no_log_values.update(secret_forms(secret))

    def logic(glue):
        # A key the task asked to be returned cannot be hidden: it would come back as ********.
        hide = None if glue.params["return_private_key"] else hide_secret
        result = request_info(glue.params, glue.cas, writer=AnsibleModuleFileWriter(glue.module),
                              check_mode=glue.check_mode, hide_secret=hide)
        if not glue.diff_mode:
            result.pop("diff", None)
        return result

    module.run(logic)


if __name__ == "__main__":
    main()
