#!/usr/bin/python
# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: certificate_files
short_description: Put the certificate files of an archive written by certificate_request_info in place
version_added: 0.3.0
description:
  - Copies an archive that M(alicloud.cas.certificate_request_info) wrote (see its
    O(alicloud.cas.certificate_request_info#module:archives) option) from the controller to the host, in one
    transfer, and puts the files of every certificate it holds in place under O(dest) in the same module run.
  - Each certificate's directory (for example V(www.example.com)) is created under O(dest) when missing, mode
    O(directory_mode) (default V(0755)), with its missing parents. An existing directory keeps its mode unless
    O(directory_mode) is given, so a directory narrowed to V(0750) stays so.
  - Each file is written only when its content differs, atomically (a temporary file in the same directory, then a
    rename). The certificates get O(mode) (default V(0644)) and the key O(privatekey_mode) (default V(0600)); the
    modes the archive's members carry are ignored. The key is never readable by others, not even for a moment while
    it is written. O(owner), O(group) and the SELinux options apply to the directories and files.
  - The task is C(changed) only when a file's content or a file's or directory's attributes changed; the result
    says which certificates' directories changed.
  - The archive must have the layout M(alicloud.cas.certificate_request_info) writes; anything else (links,
    absolute or nested paths, other file names) is refused before anything is written.
  - Makes no API call, and needs only Python on the host (no C(tar)).
author:
  - alicloud.cas contributors (@alicloud-cas)
options:
  src:
    description:
      - Path of the archive on the controller.
    type: path
    required: true
  dest:
    description:
      - Directory on the host under which each certificate gets its directory. Created when missing.
    type: path
    required: true
  mode:
    description:
      - Mode of the certificate files (C(cert.pem), C(chain.pem), C(fullchain.pem)), octal (V('0644')) or symbolic
        (V(u=rw,g=r,o=r)), as for M(ansible.builtin.file). When not set, V(0644).
      - The key gets O(privatekey_mode) instead; the directories get O(directory_mode).
    type: raw
  privatekey_mode:
    description:
      - Mode of the private keys (C(privkey.pem)). When not set, V(0600).
      - To let a service's group read the key, give V('0640') with O(group), for example the C(ssl-cert) group of
        Debian and Ubuntu.
      - A mode that gives others (neither the owner nor the group) any access to the key is refused before anything
        is written.
    type: raw
    version_added: 0.4.0
  directory_mode:
    description:
      - Mode of each certificate's directory under O(dest), and of the directories the module creates.
      - When not set, a directory the module creates gets V(0755) and an existing one keeps its mode.
    type: raw
    version_added: 0.4.0
extends_documentation_fragment:
  - ansible.builtin.files
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: Nothing is written; the result says which files would change.
  diff_mode:
    support: full
    details: The diff gives each file's and changed directory's mode, and whether a file's content changes, before
      and after; never the content.
  idempotent:
    description: Putting the same archive in place again changes nothing.
    support: full
  platform:
    platforms: posix
  safe_file_operations:
    description: Writes each file as a temporary file in its directory, then renames it over the old one.
    support: full
  vault:
    description: Reads O(src) as it is; a vaulted archive is not decrypted.
    support: none
seealso:
  - module: alicloud.cas.certificate_request_info
"""

EXAMPLES = r"""
- name: Bundle two certificates into one archive, on the controller
  alicloud.cas.certificate_request_info:
    certificates:
      - name: www
        domain: www.example.com
      - name: shop
        domain: shop.example.com
    archives:
      - dest: "{{ staging_dir }}/web.tar"
        members:
          - {certificate: www, dir: www.example.com}
          - {certificate: shop, dir: shop.example.com}
  delegate_to: localhost
  run_once: true

- name: Put both certificates' files in place on each web server, in one transfer
  alicloud.cas.certificate_files:
    src: "{{ staging_dir }}/web.tar"
    dest: /etc/ssl/alicloud-cas
  register: installed
  notify: Reload nginx

- name: Let the ssl-cert group read the keys, in directories closed to others
  alicloud.cas.certificate_files:
    src: "{{ staging_dir }}/web.tar"
    dest: /etc/ssl/alicloud-cas
    group: ssl-cert
    privatekey_mode: "0640"
    directory_mode: "0750"

- name: Say which certificates changed
  ansible.builtin.debug:
    msg: "{{ installed.certificates | selectattr('changed') | map(attribute='dir') | list }}"
"""

RETURN = r"""
certificates:
  description: One item per certificate directory of the archive, in its order.
  returned: success
  type: list
  elements: dict
  contains:
    dir:
      description: Name of the directory in the archive.
      type: str
    path:
      description: Path of the directory on the host.
      type: str
    changed:
      description: Whether a file of this directory, or the directory itself, changed (or would, in check mode).
      type: bool
    files:
      description:
        - The files, by kind (C(cert), C(chain), C(fullchain), C(privatekey)), each with its C(path) and whether it
          C(changed), as RV(alicloud.cas.certificate_request_info#module:files).
      type: dict
  sample:
    - dir: www.example.com
      path: /etc/ssl/alicloud-cas/www.example.com
      changed: true
      files:
        cert: {path: /etc/ssl/alicloud-cas/www.example.com/cert.pem, changed: true}
        privatekey: {path: /etc/ssl/alicloud-cas/www.example.com/privkey.pem, changed: true}
"""

from ansible_collections.alicloud.cas.plugins.module_utils._certificate_files_write import (
    AnsibleModuleFileWriter,
    directory_mode,
    file_modes,
    install_archive,
)
from ansible_collections.alicloud.cas.plugins.module_utils._module import AlicloudModule


def main():
    module = AlicloudModule(
        api=None,
        argument_spec=dict(
            src=dict(type="path", required=True),
            dest=dict(type="path", required=True),
            privatekey_mode=dict(type="raw", no_log=False),
            directory_mode=dict(type="raw"),
        ),
        add_file_common_args=True,
    )

    def logic(glue):
        modes, dir_mode = file_modes(glue.params), directory_mode(glue.params)  # refused before any write
        certificates, changed, diff = install_archive(glue.params["src"], glue.params["dest"],
                                                      AnsibleModuleFileWriter(glue.module),
                                                      check_mode=glue.check_mode, modes=modes, dir_mode=dir_mode)
        result = {"changed": changed, "certificates": certificates}
        if glue.diff_mode:
            result["diff"] = diff
        return result

    module.run(logic)


if __name__ == "__main__":
    main()
