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
author:
  - alicloud.cas contributors (@alicloud-cas)
requirements:
  - cryptography >= 3.4.8
options:
  path:
    description:
      - The PEM certificate file to inspect.
      - A missing file is not an error; RV(exists) is then V(false).
    type: path
    required: true
  domain:
    description:
      - The domain the certificate must be valid for, for example V(www.example.com) or
        V(*.example.com).
      - Matching follows TLS clients. A wildcard name in the certificate covers exactly one
        extra left-most label. A wildcard O(domain) is covered only by that same wildcard.
        Internationalised names are compared in punycode.
    type: str
    required: true
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
    type: int
    default: 30
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
"""

RETURN = r"""
exists:
  description: Whether the certificate file exists.
  type: bool
  returned: always
covers_domain:
  description: Whether the certificate is valid for O(domain).
  type: bool
  returned: always
key_matches:
  description: Whether the certificate's public key is the private key's (or the CSR's).
  type: bool
  returned: always
needs_renewal:
  description:
    - V(true) when a new certificate is needed for any reason. RV(reason) says which.
  type: bool
  returned: always
reason:
  description: Why a renewal is needed, or why the certificate is fine.
  type: str
  returned: always
  sample: valid until 2027-02-26T16:40:00Z (89 days left), names www.example.com and matches its key
subject:
  description: The certificate's subject (RFC 4514).
  type: str
  returned: when the file holds a certificate
  sample: CN=www.example.com
issuer:
  description: The certificate's issuer (RFC 4514).
  type: str
  returned: when the file holds a certificate
names:
  description: The DNS names the certificate is valid for (its SAN, or its CN without one).
  type: list
  elements: str
  returned: always
  sample: [www.example.com]
not_before:
  description: Start of validity, ISO 8601 UTC.
  type: str
  returned: when the file holds a certificate
not_after:
  description: End of validity, ISO 8601 UTC.
  type: str
  returned: when the file holds a certificate
  sample: "2027-02-26T16:40:00Z"
days_left:
  description: Whole days until RV(not_after), rounded down; negative once expired.
  type: int
  returned: when the file holds a certificate
  sample: 89
"""

import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.alicloud.cas.plugins.module_utils._certificate_files import inspect
from ansible_collections.alicloud.cas.plugins.module_utils._errors import ConfigurationError
from ansible_collections.alicloud.cas.plugins.module_utils._x509 import cryptography_import_error


def _read(module, path):
    """File content as bytes, or None when the file does not exist."""
    if not path or not os.path.exists(path):
        return None
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        module.fail_json(msg="Cannot read %s: %s" % (path, exc.strerror))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            domain=dict(type="str", required=True),
            privatekey_path=dict(type="path"),
            csr=dict(type="str"),
            renew_before_days=dict(type="int", default=30),
        ),
        supports_check_mode=True,
    )
    import_error = cryptography_import_error()
    if import_error is not None:
        module.fail_json(msg=missing_required_lib("cryptography"), exception=str(import_error))
    params = module.params
    key_pem = None
    if params["privatekey_path"]:
        # An absent key file must still count as "no match", not as "compare with the CSR".
        key_pem = _read(module, params["privatekey_path"]) or b""
    csr_pem = to_bytes(params["csr"]) if params["csr"] and key_pem is None else None
    try:
        result = inspect(_read(module, params["path"]), params["domain"], key_pem=key_pem,
                         csr_pem=csr_pem, renew_before_days=params["renew_before_days"])
    except ConfigurationError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
