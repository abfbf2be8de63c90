"""Fixtures for tests that run a module's main() in the pytest process."""

import pytest


@pytest.fixture
def one_module_run(monkeypatch):
    """The process state of one module run on a target.

    Ansible collects warnings per process, so each test starts with none. And importing
    controller code (the action plugin tests do) marks the whole process as the controller,
    which sends a module's warnings and deprecations to the display instead of its result.
    Imported here, not at the top: the target-side test venvs have no Ansible.
    """
    from ansible.module_utils import _internal as ansible_internal
    from ansible.module_utils.common import warnings as ansible_warnings

    monkeypatch.setattr(ansible_internal, "is_controller", False)
    monkeypatch.setattr(ansible_warnings, "_global_warnings", {})
    monkeypatch.setattr(ansible_warnings, "_global_deprecations", {})
