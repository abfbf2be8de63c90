#!/usr/bin/python
# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: certificate_download
short_description: Wait for a certificate of Alibaba Cloud SSL Certificates Service and save it as files
version_added: 0.4.0
description:
  - Reads one certificate request, in either flow of the service (a V1.0 order or a V2.0 instance, as
    M(alicloud.cas.certificate_request_info) reads it), waits until it is issued, and saves the certificate, its
    chain, the full chain and the private key CAS generated as files on the host that runs the module. The key goes
    from the API's answer to its file only; it is never returned and never shown in a diff.
  - With O(certificates), waits for several requests in one run, with one back-off and one O(wait_timeout) for all
    of them, and saves each one's files, or bundles them into tar archives with O(archives) for
    M(alicloud.cas.certificate_files) to put in place on other hosts.
  - Each file is written only when its content differs, atomically (a temporary file in the same directory, then a
    rename); its mode, owner and group are then set when they differ. The task is C(changed) only when a file
    changed, so it can notify a handler that reloads a service.
  - Only read calls are made to the API. This module replaces the writing options of
    M(alicloud.cas.certificate_request_info), which are deprecated.
author:
  - alicloud.cas contributors (@alicloud-cas)
options:
  certificates:
    description:
      - Several requests to wait for and save in one run (batch mode). Mutually exclusive with O(order_id),
        O(instance_id), O(domain) and the C(*_dest) options.
      - All of them are polled with one back-off and one O(wait_timeout); each stops being polled as soon as it
        reached one of O(wait_for) or a phase it will not leave.
      - One item's failure (a failed review, a timeout, an error of the API) stops none of the others. The task
        fails at the end when any item failed, and still returns every item's outcome in RV(certificates) and writes
        the files and archives of the items that succeeded.
      - O(mode), O(privatekey_mode), O(owner), O(group) and the other file options apply to the files of every item.
    type: list
    elements: dict
    suboptions:
      name:
        description: The item's label, which O(archives[].members[].certificate) names and its RV(certificates) item
          returns. Defaults to its ID or domain.
        type: str
      order_id:
        description: The V1.0 order to save, as O(order_id). Each item has one of C(order_id), C(instance_id) and C(domain).
        type: int
      instance_id:
        description: The V2.0 instance to save, as O(instance_id).
        type: str
      domain:
        description: The domain whose newest request is saved, as O(domain).
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
  wait:
    description:
      - Poll until the request reaches one of O(wait_for), at most O(wait_timeout) seconds.
      - With O(wait=false) the request is read once; when it is not issued, nothing is written and a warning says so.
    type: bool
    default: true
  cert_dest:
    description:
      - Path of a file to save the leaf certificate (PEM) in.
      - The directory must exist. At least one of O(cert_dest), O(chain_dest), O(fullchain_dest) and
        O(privatekey_dest) is required without O(certificates).
    type: path
  chain_dest:
    description:
      - Path of a file to save the intermediate certificates (PEM) in. Not written when CAS returned none.
    type: path
  fullchain_dest:
    description:
      - Path of a file to save the leaf followed by the intermediates (PEM) in.
    type: path
  privatekey_dest:
    description:
      - Path of a file to save the private key CAS generated in.
      - The file is created mode O(privatekey_mode) and is never readable by others, not even for a moment while it
        is written.
      - A certificate requested with a CSR has no key in CAS; the file is then left alone and the C(privatekey)
        entry of RV(files) has C(missing=true).
    type: path
  mode:
    description:
      - Mode of the certificate files (O(cert_dest), O(chain_dest), O(fullchain_dest)), octal (V('0644')) or symbolic,
        as for M(ansible.builtin.file). When not set, V(0644). The key gets O(privatekey_mode).
    type: raw
  privatekey_mode:
    description:
      - Mode of the O(privatekey_dest) files. When not set, V(0600).
      - To let a service's group read the key, give V('0640') with O(group), for example the C(ssl-cert) group of
        Debian and Ubuntu. A mode that gives others (neither the owner nor the group) any access to the key is
        refused before any call.
    type: raw
  archives:
    description:
      - With O(certificates), bundles the files of several certificates into tar archives, so that a host can
        receive all of its files in one transfer with M(alicloud.cas.certificate_files).
      - Each archive holds one directory per member, named O(archives[].members[].dir), with C(cert.pem),
        C(chain.pem), C(fullchain.pem) and C(privkey.pem) (those that CAS returned). Every member's time is its
        certificate's start of validity and its owner uid 0, so the same certificates always give the same bytes.
        M(alicloud.cas.certificate_files) gives the files its own modes, whatever the members carry.
      - An archive is written (mode V(0600), atomically) only when its bytes differ. A member whose certificate
        failed or is not issued yet is left out and listed in the C(missing) list of its RV(archives) item; an archive with no member
        left is not written.
    type: list
    elements: dict
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
extends_documentation_fragment:
  - alicloud.cas.request_selection
  - alicloud.cas.connection
  - alicloud.cas.connection.cas
  - ansible.builtin.action_common_attributes
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    details: The API is only read; in check mode nothing is written and the result says which files would change.
  diff_mode:
    support: full
    details: The diff gives each file's and archive's mode, and whether its content changes, before and after; never
      the content (the key least of all).
  idempotent:
    description: Running the same task again changes nothing once the files are saved.
    support: full
  platform:
    platforms: all
seealso:
  - module: alicloud.cas.certificate_request
  - module: alicloud.cas.certificate_request_info
  - module: alicloud.cas.certificate_files
"""

EXAMPLES = r"""
- name: Save certificates of Alibaba Cloud SSL Certificates Service
  module_defaults:
    group/alicloud.cas.cas:
      access_key_id: "{{ alicloud_access_key_id }}"
      access_key_secret: "{{ alicloud_access_key_secret }}"
  block:
    - name: Wait until the newest request for www.example.com is issued and save it; the key goes to its file only
      alicloud.cas.certificate_download:
        domain: www.example.com
        wait_timeout: 1800
        fullchain_dest: /etc/ssl/www.example.com.pem
        privatekey_dest: /etc/ssl/private/www.example.com.key
      register: saved
      notify: Reload nginx

    - name: Let the ssl-cert group read the key
      alicloud.cas.certificate_download:
        instance_id: cas-cn-68n1mm16xxxx
        fullchain_dest: /etc/ssl/shop.example.com.pem
        privatekey_dest: /etc/ssl/private/shop.example.com.key
        privatekey_mode: "0640"
        group: ssl-cert

    - name: Wait for two certificates at once and bundle them for one transfer to each web server
      alicloud.cas.certificate_download:
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
        wait_timeout: 1800
      register: bundled
      delegate_to: localhost
      run_once: true

    - name: Say which certificates the archive holds
      ansible.builtin.debug:
        msg: "{{ bundled.archives[0].dirs }} bundled, {{ bundled.archives[0].missing }} not issued"

    - name: Put them in place on each web server
      alicloud.cas.certificate_files:
        src: /var/lib/certificates/web.tar
        dest: /etc/ssl/alicloud-cas
"""

RETURN = r"""
source:
  description: As RV(alicloud.cas.certificate_request_info#module:source).
  returned: always, except with O(certificates)
  type: str
  sample: instance
order_id:
  description: As RV(alicloud.cas.certificate_request_info#module:order_id).
  returned: always, except with O(certificates)
  type: int
  sample: 98987582437920968
instance_id:
  description: As RV(alicloud.cas.certificate_request_info#module:instance_id).
  returned: always, except with O(certificates)
  type: str
  sample: cas-cn-emu000000001
domain:
  description: As RV(alicloud.cas.certificate_request_info#module:domain).
  returned: always, except with O(certificates)
  type: str
  sample: www.example.com
domains:
  description: Every name of the request.
  returned: always, except with O(certificates)
  type: list
  elements: str
  sample: [www.example.com]
order:
  description: As RV(alicloud.cas.certificate_request_info#module:order).
  returned: for a V1.0 order
  type: dict
  sample: {order_id: 98987582437920968, domain: www.example.com, status: ISSUED}
instance:
  description: As RV(alicloud.cas.certificate_request_info#module:instance).
  returned: for a V2.0 instance
  type: dict
  sample: {instance_id: cas-cn-emu000000001, status: normal, phase: issued}
status:
  description: As RV(alicloud.cas.certificate_request_info#module:status).
  returned: always, except with O(certificates)
  type: str
  sample: certificate
status_meaning:
  description: What RV(status) means, in words.
  returned: always, except with O(certificates)
  type: str
  sample: the certificate is issued
phase:
  description: As RV(alicloud.cas.certificate_request_info#module:phase); V(issued) once the files are written.
  returned: always, except with O(certificates)
  type: str
  sample: issued
phase_meaning:
  description: What RV(phase) means, in words.
  returned: always, except with O(certificates)
  type: str
  sample: the certificate is issued
validations:
  description: As RV(alicloud.cas.certificate_request_info#module:validations).
  returned: always, except with O(certificates)
  type: list
  elements: dict
  sample: []
validation:
  description: As RV(alicloud.cas.certificate_request_info#module:validation).
  returned: always, except with O(certificates)
  type: dict
  sample: null
certificate:
  description: The leaf certificate, as RV(alicloud.cas.certificate_request_info#module:certificate).
  returned: always, except with O(certificates)
  type: str
  sample: "-----BEGIN CERTIFICATE-----\nMIIF...\n-----END CERTIFICATE-----\n"
chain:
  description: The intermediates, as RV(alicloud.cas.certificate_request_info#module:chain).
  returned: always, except with O(certificates)
  type: str
  sample: "-----BEGIN CERTIFICATE-----\nMIIE...\n-----END CERTIFICATE-----\n"
fullchain:
  description: The leaf and the intermediates, as RV(alicloud.cas.certificate_request_info#module:fullchain).
  returned: always, except with O(certificates)
  type: str
  sample: "-----BEGIN CERTIFICATE-----\nMIIF...\n-----END CERTIFICATE-----\n"
not_before:
  description: As RV(alicloud.cas.certificate_request_info#module:not_before).
  returned: always, except with O(certificates)
  type: str
  sample: "2026-11-28T16:40:00Z"
not_after:
  description: As RV(alicloud.cas.certificate_request_info#module:not_after).
  returned: always, except with O(certificates)
  type: str
  sample: "2027-02-26T16:40:00Z"
certificate_id:
  description:
    - As RV(alicloud.cas.certificate_request_info#module:certificate_id), the CAS id of the issued certificate, an
      integer; V(null) until it is issued.
  returned: always, except with O(certificates)
  type: int
  sample: 12000001
  version_added: 0.5.0
certificate_identifier:
  description:
    - As RV(alicloud.cas.certificate_request_info#module:certificate_identifier), the C(CertIdentifier) of the issued
      certificate (C(<certificate_id>-<region>), the region being the CAS site's), taken from CAS; V(null) until it
      is issued, or with a warning when the RAM policy does not allow C(yundun-cert:GetUserCertificateDetail).
  returned: always, except with O(certificates)
  type: str
  sample: "12000001-cn-hangzhou"
  version_added: 0.5.0
cert_id:
  description:
    - "Deprecated: use RV(certificate_id); removed in 1.0.0."
    - RV(certificate_id) as a string.
  returned: always, except with O(certificates)
  type: str
  sample: "12000001"
files:
  description:
    - The files written, by kind (C(cert), C(chain), C(fullchain), C(privatekey)), each with its C(path) and whether
      it C(changed); C(missing=true) for a file the API has nothing for (no chain, or no key for a CSR), left alone.
    - Empty when the certificate is not issued.
  returned: always, except with O(certificates)
  type: dict
  sample:
    fullchain: {path: /etc/ssl/www.example.com.pem, changed: true}
    privatekey: {path: /etc/ssl/private/www.example.com.key, changed: true}
certificates:
  description:
    - One item per O(certificates) entry, in the order given, with the fields of the items of
      RV(alicloud.cas.certificate_request_info#module:certificates) (C(name), C(phase), C(not_after), ...), whose
      C(files) and C(changed) say what was written for it, and C(failed) and C(msg) how it ended. No item ever holds
      key material.
    - Each item has C(certificate_id) and C(certificate_identifier) (as RV(certificate_id) and
      RV(certificate_identifier)), and the deprecated C(cert_id) (use C(certificate_id); removed in 1.0.0).
  returned: with O(certificates)
  type: list
  elements: dict
  sample:
    - name: www
      source: instance
      instance_id: cas-cn-emu000000001
      phase: issued
      certificate_id: 30000001
      certificate_identifier: "30000001-cn-hangzhou"
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
  contains:
    dest:
      description: Path of the archive.
      type: str
    dirs:
      description: The directories the archive holds, in the order given.
      type: list
      elements: str
    missing:
      description: The directories left out, because their certificate failed or is not issued.
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

from ansible_collections.alicloud.cas.plugins.module_utils._cas_info import download, request_argument_spec
from ansible_collections.alicloud.cas.plugins.module_utils._certificate_files_write import AnsibleModuleFileWriter
from ansible_collections.alicloud.cas.plugins.module_utils._errors import secret_forms
from ansible_collections.alicloud.cas.plugins.module_utils._module import AlicloudModule


def main():
    argument_spec, kwargs = request_argument_spec(writing="current", wait_default=True)
    module = AlicloudModule(api="cas", argument_spec=argument_spec, **kwargs)

    def hide_secret(secret):
        module.module.no_log_values.update(secret_forms(secret))

    def logic(glue):
        return download(glue.params, glue.cas, writer=AnsibleModuleFileWriter(glue.module), check_mode=glue.check_mode,
                        hide_secret=hide_secret, diff_mode=glue.diff_mode)

    module.run(logic)


if __name__ == "__main__":
    main()
