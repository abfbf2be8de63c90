# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The controller side of alicloud.cas.certificate_files: one transfer of the archive to the
host's private temporary directory, then one run of the module, which puts the files in place."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):

    TRANSFERS_FILES = True

    def run(self, tmp=None, task_vars=None):
        # A failure is raised as AnsibleActionFail, which ansible-core turns into the task's result.
        result = super().run(tmp, task_vars)
        del tmp  # the host's temporary directory is made by ActionBase (TRANSFERS_FILES)
        try:
            source = self._task.args.get("src")
            if not source:
                raise AnsibleActionFail("src is required: the path, on the controller, of an archive written by"
                                        " alicloud.cas.certificate_request_info (its archives option).")
            try:
                source = self._find_needle("files", source)
            except AnsibleError as error:
                raise AnsibleActionFail("src: %s" % error) from error
            # The archive holds private keys: it goes only into the per-task temporary directory
            # (0700), which is removed below whatever happens.
            remote = self._connection._shell.join_path(self._connection._shell.tmpdir, "certificates.tar")
            self._transfer_file(source, remote)
            self._fixup_perms2((self._connection._shell.tmpdir, remote))
            arguments = dict(self._task.args, src=remote)
            result.update(self._execute_module(module_name="alicloud.cas.certificate_files", module_args=arguments,
                                               task_vars=task_vars))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
