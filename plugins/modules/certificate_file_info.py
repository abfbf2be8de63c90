#!/usr/bin/python
# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: certificate_file_info
short_description: Check whether a certificate file on disk still serves a domain
version_added: 0.1.0
description:
  - Reads a PEM certificate (the first one of the file, so a C(fullchain.pem) works) and
    reports whether it names O(domain), belongs to the private key next to it, and stays
    valid for longer than O(renew_before_days).
  - Makes no API call. The P(alicloud.cas.dv_certificate#role) role uses it to skip domains
    whose files are already good, so that a second run calls nothing at all.
  - Never returns key material. The private key (or CSR) is only read to compare its
    public key with the certificate's.
  - With O(certificates), inspects several certificates in one run (batch mode), for
    example every certificate directory of a host, and also tells which of the other files
    of each directory are missing (O(certificates[].expected_files)).
author:
  - alicloud.cas contributors (@alicloud-cas)
requirements:
  - cryptography >= 3.4.8
options:
  path:
    description:
      - The PEM certificate file to inspect.
      - A missing file is not an error; RV(exists) is then V(false).
      - Required, with O(domain), unless O(certificates) is given.
    type: path
  domain:
    description:
      - The domain the certificate must be valid for, for example V(www.example.com) or
        V(*.example.com).
      - Matching follows TLS clients. A wildcard name in the certificate covers exactly one
        extra left-most label. A wildcard O(domain) is covered only by that same wildcard.
        Internationalised names are compared in punycode.
    type: str
  privatekey_path:
    description:
      - The unencrypted PEM private key the certificate must belong to.
      - A missing file makes RV(key_matches) V(false).
    type: path
  csr:
    description:
      - The PEM certificate signing request whose key the certificate must carry.
      - Used only when O(privatekey_path) is not given, for keys that are kept elsewhere.
    type: str
  renew_before_days:
    description:
      - A certificate that expires within this many days needs renewal.
      - With O(certificates), the default of every item that does not set its own
        O(certificates[].renew_before_days).
    type: int
    default: 30
  certificates:
    description:
      - Several certificates to inspect in one run (batch mode), in the order given.
        Mutually exclusive with O(path), O(domain), O(privatekey_path) and O(csr), which
        each item carries instead.
      - Every item is checked before any file is read; a bad item fails the task at once
        with a message naming it, for example C(certificates[2].domain).
      - An item whose files cannot be read (permissions, a directory where a file should
        be) is returned with RV(certificates[].failed=true); the others are still inspected,
        and the task fails at the end naming the failed items.
    type: list
    elements: dict
    version_added: 0.3.0
    suboptions:
      name:
        description:
          - A free label, returned as is in RV(certificates[].name). Defaults to O(certificates[].path).
        type: str
      path:
        description:
          - As O(path). Required.
        type: path
      domain:
        description:
          - As O(domain). Exactly one of O(certificates[].domain) and O(certificates[].domains)
            is required.
        type: str
      domains:
        description:
          - The names of a multi-domain certificate, every one of which the certificate must
            be valid for, each matched as O(domain).
        type: list
        elements: str
      privatekey_path:
        description:
          - As O(privatekey_path).
        type: path
      csr:
        description:
          - As O(csr); used only when O(certificates[].privatekey_path) is not given.
        type: str
      renew_before_days:
        description:
          - As O(renew_before_days), for this item. Defaults to O(renew_before_days).
        type: int
      expected_files:
        description:
          - Other files that should exist, for example the C(cert.pem), C(chain.pem) and
            C(privkey.pem) next to a C(fullchain.pem). Only their existence is checked; they
            are not read.
          - Those that do not exist (or are not files) are returned in
            RV(certificates[].missing_files). A missing file does not by itself make
            RV(certificates[].needs_renewal) V(true), since it may be restored from the issued
            certificate without a new one.
          - A symbolic link to a file counts as the file.
          - Those that exist are returned in RV(certificates[].files) with their mode, owner
            and group, so that a caller can put right only the files that differ.
          - List the certificate and key files here too (O(certificates[].path),
            O(certificates[].privatekey_path)) to have their modes and owners returned.
        type: list
        elements: path
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - alicloud.cas.info_module
notes:
  - This module is not in the C(alicloud.cas.cas) action group and takes no connection
    options. It runs on the host that holds the files.
seealso:
  - module: alicloud.cas.certificate_request_info
"""

EXAMPLES = r"""
- name: Decide whether www.example.com needs a new certificate
  alicloud.cas.certificate_file_info:
    path: /etc/ssl/alicloud-cas/www.example.com/fullchain.pem
    privatekey_path: /etc/ssl/alicloud-cas/www.example.com/privkey.pem
    domain: www.example.com
    renew_before_days: 30
  register: current

- name: Say why
  ansible.builtin.debug:
    msg: "{{ current.reason }}"
  when: current.needs_renewal

- name: Inspect every certificate directory of the host in one run
  alicloud.cas.certificate_file_info:
    renew_before_days: 30
    certificates:
      - name: www
        path: /etc/ssl/alicloud-cas/www.example.com/fullchain.pem
        privatekey_path: /etc/ssl/alicloud-cas/www.example.com/privkey.pem
        domain: www.example.com
        expected_files:
          - /etc/ssl/alicloud-cas/www.example.com/cert.pem
          - /etc/ssl/alicloud-cas/www.example.com/chain.pem
      - name: shop
        path: /etc/ssl/alicloud-cas/shop.example.com/fullchain.pem
        privatekey_path: /etc/ssl/alicloud-cas/shop.example.com/privkey.pem
        domains: [shop.example.com, checkout.example.com]
        renew_before_days: 14
  register: all_files

- name: List the certificates that need a new one, or a missing file restored
  ansible.builtin.debug:
    msg: "{{ (all_files.certificates | selectattr('needs_renewal') | map(attribute='name') | list)
             + (all_files.certificates | selectattr('missing_files') | map(attribute='name') | list) }}"
"""

RETURN = r"""
exists:
  description: Whether the certificate file exists.
  type: bool
  returned: always, except with O(certificates)
covers_domain:
  description: Whether the certificate is valid for O(domain).
  type: bool
  returned: always, except with O(certificates)
key_matches:
  description: Whether the certificate's public key is the private key's (or the CSR's).
  type: bool
  returned: always, except with O(certificates)
needs_renewal:
  description:
    - V(true) when a new certificate is needed for any reason. RV(reason) says which.
  type: bool
  returned: always, except with O(certificates)
reason:
  description: Why a renewal is needed, or why the certificate is fine.
  type: str
  returned: always, except with O(certificates)
  sample: valid until 2027-02-26T16:40:00Z (89 days left), names www.example.com and matches its key
subject:
  description: The certificate's subject (RFC 4514).
  type: str
  returned: when the file holds a certificate, except with O(certificates)
  sample: CN=www.example.com
issuer:
  description: The certificate's issuer (RFC 4514).
  type: str
  returned: when the file holds a certificate, except with O(certificates)
names:
  description: The DNS names the certificate is valid for (its SAN, or its CN without one).
  type: list
  elements: str
  returned: always, except with O(certificates)
  sample: [www.example.com]
not_before:
  description: Start of validity, ISO 8601 UTC.
  type: str
  returned: when the file holds a certificate, except with O(certificates)
not_after:
  description: End of validity, ISO 8601 UTC.
  type: str
  returned: when the file holds a certificate, except with O(certificates)
  sample: "2027-02-26T16:40:00Z"
days_left:
  description: Whole days until RV(not_after), rounded down; negative once expired.
  type: int
  returned: when the file holds a certificate, except with O(certificates)
  sample: 89
certificates:
  description:
    - One item per O(certificates) entry, in the order given, with the single-mode fields for
      that entry. No item ever holds key material.
    - For an item whose certificate does not exist or is not a certificate, RV(certificates[].subject),
      RV(certificates[].not_after) and the other certificate fields are V(null).
  type: list
  elements: dict
  returned: with O(certificates)
  version_added: 0.3.0
  contains:
    name:
      description: The entry's O(certificates[].name), or its path when it has none.
      type: str
      sample: www
    failed:
      description: Whether the entry's files could not be read. RV(certificates[].msg) then says why.
      type: bool
      sample: false
    msg:
      description: Why the entry failed; empty when it did not.
      type: str
      sample: ""
    exists:
      description: As RV(exists).
      type: bool
    covers_domain:
      description: Whether the certificate is valid for the entry's domain, or for every one of its domains.
      type: bool
    key_matches:
      description: As RV(key_matches).
      type: bool
    needs_renewal:
      description: As RV(needs_renewal).
      type: bool
    reason:
      description: As RV(reason). For a multi-domain entry that is not covered, names the domains missing from it.
      type: str
    subject:
      description: As RV(subject).
      type: str
    issuer:
      description: As RV(issuer).
      type: str
    names:
      description: As RV(names).
      type: list
      elements: str
    not_before:
      description: As RV(not_before).
      type: str
    not_after:
      description: As RV(not_after).
      type: str
    days_left:
      description: As RV(days_left).
      type: int
    missing_files:
      description: Those of the entry's O(certificates[].expected_files) that do not exist, in the order given.
      type: list
      elements: str
      sample: [/etc/ssl/alicloud-cas/www.example.com/chain.pem]
    files:
      description:
        - Those of the entry's O(certificates[].expected_files) that exist, keyed by the path as
          given, with their permissions and ownership. A symbolic link reports its target's.
        - Empty for an entry that failed.
      type: dict
      sample:
        /etc/ssl/alicloud-cas/www.example.com/privkey.pem:
          mode: "0600"
          owner: root
          group: root
          uid: 0
          gid: 0
      contains:
        mode:
          description: The permission bits, as a four-digit octal string (with any setuid, setgid or sticky bit).
          type: str
          sample: "0644"
        owner:
          description: The owner's user name, or V(null) when the host has no name for RV(certificates[].files.uid).
          type: str
          sample: root
        group:
          description: The group's name, or V(null) when the host has no name for RV(certificates[].files.gid).
          type: str
          sample: root
        uid:
          description: The owner's numeric user id.
          type: int
          sample: 0
        gid:
          description: The group's numeric id.
          type: int
          sample: 0
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.alicloud.cas.plugins.module_utils._certificate_files import BATCH_EXCLUSIVE, file_info
from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlicloudCasError
from ansible_collections.alicloud.cas.plugins.module_utils._x509 import cryptography_import_error


def main():
    item = dict(name=dict(type="str"), path=dict(type="path"), domain=dict(type="str"),
                domains=dict(type="list", elements="str"), privatekey_path=dict(type="path"),
                csr=dict(type="str"), renew_before_days=dict(type="int"),
                expected_files=dict(type="list", elements="path"))
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path"),
            domain=dict(type="str"),
            privatekey_path=dict(type="path"),
            csr=dict(type="str"),
            renew_before_days=dict(type="int", default=30),
            certificates=dict(type="list", elements="dict", options=item),
        ),
        mutually_exclusive=[(option, "certificates") for option in BATCH_EXCLUSIVE],
        required_one_of=[("path", "certificates")],
        supports_check_mode=True,
    )
    import_error = cryptography_import_error()
    if import_error is not None:
        module.fail_json(msg=missing_required_lib("cryptography"), exception=str(import_error))
    try:
        result = file_info(module.params)
    except AlicloudCasError as error:
        module.fail_json(msg=str(error), **error.to_result())
    module.exit_json(**result)


if __name__ == "__main__":
    main()
