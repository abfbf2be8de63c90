"""Fixtures shared by the module_utils tests."""

import os

import pytest


@pytest.fixture
def file_module():
    """An AnsibleModule with the file common arguments, as the modules that write files build it.

    Ansible is imported here, not at the top: the target-side test venvs have none.
    """
    from ansible.module_utils.basic import AnsibleModule
    from ansible.module_utils.testing import patch_module_args

    with patch_module_args({"_ansible_check_mode": False}):
        yield AnsibleModule(argument_spec={}, add_file_common_args=True, supports_check_mode=True)


@pytest.fixture
def loose_umask():
    """A umask of 022, so that a mode the code sets is not hidden by a stricter one."""
    old = os.umask(0o022)
    yield
    os.umask(old)
