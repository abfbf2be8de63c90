# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""play_strategy_info: whether the play's strategy runs a run_once task once for the play."""

from __future__ import annotations

from unittest import mock

import pytest
from ansible.playbook.play import Play
from ansible.playbook.task import Task
from ansible.template import Templar

from ansible_collections.alicloud.cas.plugins.action.play_strategy_info import ActionModule


def _run(strategy, args=None, check_mode=False):
    play = Play.load({"hosts": "all", "strategy": strategy, "tasks": []})
    task = Task.load({"action": "alicloud.cas.play_strategy_info"})
    task.args = args or {}
    task.get_play = lambda: play
    # The play context the executor builds for the task: its check_mode is --check or the
    # task's own check_mode keyword.
    play_context = mock.MagicMock()
    play_context.check_mode = check_mode
    action = ActionModule(task, mock.MagicMock(), play_context, loader=mock.MagicMock(),
                          templar=Templar(loader=mock.MagicMock()), shared_loader_obj=None)
    return action.run(task_vars={})


@pytest.mark.parametrize("strategy, honoured", [
    ("linear", True), ("ansible.builtin.linear", True), ("debug", True),
    ("free", False), ("ansible.builtin.free", False), ("host_pinned", False),
    ("no_such_strategy", False),
])
def test_run_once_is_honoured_only_by_linear_and_its_kin(strategy, honoured):
    result = _run(strategy)
    assert result["run_once_honoured"] is honoured
    assert result["strategy"] == strategy
    assert not result["changed"]
    assert not result.get("failed")


def test_options_are_refused():
    result = _run("linear", {"strategy": "linear"})
    assert result["failed"]
    assert "takes no options" in result["msg"]


@pytest.mark.parametrize("check_mode", [True, False])
def test_check_mode_is_the_task_s_own(check_mode):
    result = _run("free", check_mode=check_mode)
    assert result["check_mode"] is check_mode
