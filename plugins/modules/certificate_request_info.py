#!/usr/bin/python
# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: certificate_request_info
short_description: Read and wait for a certificate request of Alibaba Cloud SSL Certificates Service
version_added: 0.1.0
description:
  - Reads one certificate request, in either flow of the service, and returns the validation records to publish or
    the issued certificate split into leaf, chain and full chain. The fields are the same for both flows; RV(phase)
    says where the request stands in one vocabulary for both.
  - A V1.0 order (from resource-package quota) is read with C(DescribeCertificateState). A V2.0 subscription
    instance is read with C(GetInstanceDetail), and its issued certificate is downloaded with
    C(GetUserCertificateDetail) (C(CertId) is the instance's C(CertificateId)).
  - An issued certificate's ids are returned as RV(certificate_id) and RV(certificate_identifier), the names the
    deployment to CDN, DCDN and the load balancers takes. For an issued V1.0 order the identifier costs one
    C(GetUserCertificateDetail) without the certificate, since C(DescribeCertificateState) does not carry it.
  - With O(wait=true), polls until the request reaches one of O(wait_for), all within this one module run. The pause
    between polls starts at O(poll_interval) and doubles up to O(poll_interval_max).
  - With O(certificates), reads and waits for several requests in one run, with one back-off and one O(wait_timeout)
    for all of them.
  - Only read calls are made to the API, and nothing is changed on the host.
  - To save the certificate and its key as files, or to bundle several certificates into archives, use
    M(alicloud.cas.certificate_download). The writing options of this module (O(cert_dest), O(chain_dest),
    O(fullchain_dest), O(privatekey_dest), O(privatekey_mode), O(archives), the C(*_dest) of O(certificates) and
    the file options such as O(mode), O(owner) and O(group)) still work as in 0.3.0, with a deprecation warning, and
    will be removed in 1.0.0; the module then always returns C(changed=false).
author:
  - alicloud.cas contributors (@alicloud-cas)
options:
  certificates:
    description:
      - Several requests to read and wait for in one run (batch mode). Mutually exclusive with O(order_id),
        O(instance_id), O(domain), the C(*_dest) options and O(return_private_key).
      - All of them are polled with one back-off and one O(wait_timeout); each stops being polled as soon as it
        reached one of O(wait_for) or a phase it will not leave.
      - One item's failure (a failed review, a timeout, an error of the API) stops none of the others. The task
        fails at the end when any item failed, and still returns every item's outcome in RV(certificates).
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
          - Deprecated, removed in 1.0.0. Use O(alicloud.cas.certificate_download#module:certificates[].cert_dest).
        type: path
      chain_dest:
        description:
          - Deprecated, removed in 1.0.0. Use O(alicloud.cas.certificate_download#module:certificates[].chain_dest).
        type: path
      fullchain_dest:
        description:
          - Deprecated, removed in 1.0.0. Use
            O(alicloud.cas.certificate_download#module:certificates[].fullchain_dest).
        type: path
      privatekey_dest:
        description:
          - Deprecated, removed in 1.0.0. Use
            O(alicloud.cas.certificate_download#module:certificates[].privatekey_dest).
        type: path
  archives:
    description:
      - Deprecated, removed in 1.0.0. Use O(alicloud.cas.certificate_download#module:archives), which takes the same
        value and writes the same archives.
    type: list
    elements: dict
    version_added: 0.3.0
    suboptions:
      dest:
        description:
          - Path of the archive to write.
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
              - The O(certificates[].name) of the certificate.
            type: str
            required: true
          dir:
            description:
              - Name of its directory in the archive.
            type: str
            required: true
  wait:
    description:
      - Poll until the request reaches one of O(wait_for), at most O(wait_timeout) seconds.
      - Without waiting, the state is returned as it is, whatever it is.
    type: bool
    default: false
  cert_dest:
    description:
      - Deprecated, removed in 1.0.0. Use O(alicloud.cas.certificate_download#module:cert_dest).
    type: path
    version_added: 0.2.0
  chain_dest:
    description:
      - Deprecated, removed in 1.0.0. Use O(alicloud.cas.certificate_download#module:chain_dest).
    type: path
    version_added: 0.2.0
  fullchain_dest:
    description:
      - Deprecated, removed in 1.0.0. Use O(alicloud.cas.certificate_download#module:fullchain_dest).
    type: path
    version_added: 0.2.0
  privatekey_dest:
    description:
      - Deprecated, removed in 1.0.0. Use O(alicloud.cas.certificate_download#module:privatekey_dest).
    type: path
    version_added: 0.2.0
  privatekey_mode:
    description:
      - Deprecated, removed in 1.0.0. Use O(alicloud.cas.certificate_download#module:privatekey_mode).
    type: raw
    version_added: 0.2.0
  mode:
    description:
      - Deprecated with the C(*_dest) options, removed in 1.0.0, as are the other file options (O(owner), O(group),
        the SELinux options, O(attributes), O(unsafe_writes)). Use those of M(alicloud.cas.certificate_download).
    type: raw
  return_private_key:
    description:
      - Also return the private key CAS generated (only requests made without a CSR have one).
      - Deprecated in favour of O(alicloud.cas.certificate_download#module:privatekey_dest), which keeps the key out
        of variables, facts and callbacks.
      - "The key is a secret. Set C(no_log: true) on such a task."
      - A module cannot mask part of its own result (a value it marks as secret is replaced by C(********) in the
        result itself, and ansible-core drops a result-level C(_ansible_no_log)), so only C(no_log) on the task keeps
        the key out of the output and the logs.
    type: bool
    default: false
extends_documentation_fragment:
  - alicloud.cas.request_selection
  - alicloud.cas.connection
  - alicloud.cas.connection.cas
  - ansible.builtin.action_common_attributes
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    details: The API is only read; with the deprecated writing options, in check mode no file is written.
  diff_mode:
    support: full
    details: Only the deprecated writing options make a diff (modes, and whether content changes; never content).
  idempotent:
    description: Running the same task again with the same options changes nothing.
    support: full
  platform:
    platforms: all
seealso:
  - module: alicloud.cas.certificate_download
  - module: alicloud.cas.certificate_request
  - module: alicloud.cas.certificate_files
  - module: alicloud.cas.certificate_instance_info
"""

EXAMPLES = r"""
- name: Read and wait for certificate requests
  module_defaults:
    group/alicloud.cas.cas:
      access_key_id: "{{ alicloud_access_key_id }}"
      access_key_secret: "{{ alicloud_access_key_secret }}"
  block:
    - name: Read the state of the newest request for www.example.com (V1.0 order or V2.0 instance)
      alicloud.cas.certificate_request_info:
        domain: www.example.com
      register: state

    - name: Show the records to publish while it is validating
      ansible.builtin.debug:
        msg: "{{ state.validations | map(attribute='fqdn') | list }}"
      when: state.phase == 'validating'

    - name: Wait until it is issued (alicloud.cas.certificate_download also saves it as files)
      alicloud.cas.certificate_request_info:
        instance_id: "{{ state.instance_id }}"
        wait: true
        wait_timeout: 1800
      register: issued

    - name: Wait for several certificates at once, with one back-off for all
      alicloud.cas.certificate_request_info:
        certificates:
          - name: www
            instance_id: cas-cn-68n1mm16xxxx
          - name: shop
            order_id: 98987582437920968
        wait: true
        wait_timeout: 1800
      register: batch

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
certificate_id:
  description:
    - The CAS id of the issued certificate, an integer (for an order, the C(CertId) of C(DescribeCertificateState);
      for an instance, its C(CertificateId)). CDN, DCDN and CLB refer to a CAS certificate by this id.
    - V(null) until the certificate is issued.
  returned: always, except with O(certificates)
  type: int
  sample: 12000001
  version_added: 0.5.0
certificate_identifier:
  description:
    - The C(CertIdentifier) of the issued certificate, C(<certificate_id>-<region>), the region being that of the
      CAS site (C(cn-hangzhou) on the China site, C(ap-southeast-1) on the international one). ALB and NLB refer
      to a CAS certificate by it.
    - Taken from CAS, never built. For an instance it comes with C(GetInstanceDetail); for an order it costs one
      C(GetUserCertificateDetail) (without the certificate) once the order is issued.
    - V(null) until the certificate is issued.
    - V(null) also when the RAM policy does not allow C(yundun-cert:GetUserCertificateDetail), with a warning;
      issuing and downloading do not need that action, deploying does.
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
    - The files asked for, by kind (C(cert), C(chain), C(fullchain), C(privatekey)), each with its C(path) and
      whether it C(changed) (content or attributes; in check mode, whether it would). C(missing) is V(true) when the
      API has nothing for that file (no chain, or no key for a CSR) and the file was left alone.
    - Empty until the certificate is issued.
    - Only with the deprecated C(*_dest) options.
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
    certificate_id:
      description: As RV(certificate_id).
      type: int
      version_added: 0.5.0
    certificate_identifier:
      description: As RV(certificate_identifier).
      type: str
      version_added: 0.5.0
    cert_id:
      description:
        - "Deprecated: use RV(certificates[].certificate_id); removed in 1.0.0."
        - As RV(cert_id).
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
      certificate_id: 30000001
      certificate_identifier: "30000001-cn-hangzhou"
      cert_id: "30000001"
      files: {fullchain: {path: /etc/ssl/www.example.com.pem, changed: true}}
      changed: true
      failed: false
      msg: ""
archives:
  description:
    - One item per O(archives) entry, in the order given, as
      RV(alicloud.cas.certificate_download#module:archives). No item holds key material.
    - Only with the deprecated O(archives) option.
  returned: with O(archives)
  type: list
  elements: dict
  version_added: 0.3.0
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

from ansible_collections.alicloud.cas.plugins.module_utils._cas_info import request_argument_spec, request_info
from ansible_collections.alicloud.cas.plugins.module_utils._certificate_files_write import AnsibleModuleFileWriter
from ansible_collections.alicloud.cas.plugins.module_utils._errors import secret_forms
from ansible_collections.alicloud.cas.plugins.module_utils._module import AlicloudModule

# The file options of add_file_common_args, deprecated here with the writing options they serve.
FILE_COMMON_OPTIONS = ("mode", "owner", "group", "seuser", "serole", "setype", "selevel", "attributes")


def main():
    argument_spec, kwargs = request_argument_spec(writing="deprecated")
    argument_spec["return_private_key"] = dict(type="bool", default=False)
    module = AlicloudModule(api="cas", argument_spec=argument_spec, **kwargs)
    given = [option for option in FILE_COMMON_OPTIONS if module.params.get(option) is not None]
    if given:
        module.module.deprecate(
            "The file options of alicloud.cas.certificate_request_info (%s given) serve its writing options, which are"
            " deprecated: use alicloud.cas.certificate_download to save files." % ", ".join(given),
            version="1.0.0", collection_name="alicloud.cas")

    def hide_secret(secret):
        module.module.no_log_values.update(secret_forms(secret))

    def logic(glue):
        # A key the task asked to be returned cannot be hidden: it would come back as ********.
        hide = None if glue.params["return_private_key"] else hide_secret
        return request_info(glue.params, glue.cas, writer=AnsibleModuleFileWriter(glue.module),
                            check_mode=glue.check_mode, hide_secret=hide, diff_mode=glue.diff_mode)

    module.run(logic)


if __name__ == "__main__":
    main()
