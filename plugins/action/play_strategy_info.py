# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which strategy runs the current play, and whether run_once is honoured under it."""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase
from ansible.plugins.loader import strategy_loader
from ansible.plugins.strategy.linear import StrategyModule as LinearStrategy


class ActionModule(ActionBase):
    """Reads the play the task belongs to; runs on the controller, no module, no connection."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        if self._task.args:
            return dict(result, failed=True,
                        msg="play_strategy_info takes no options, got: %s" % ", ".join(sorted(self._task.args)))
        # Not a variable: the strategy is a play keyword, and no magic variable carries it.
        strategy = self._templar.template(self._task.get_play().strategy)
        # Loaded by its FQCN, a built-in strategy would be a second copy of its class, no
        # longer a subclass of the linear strategy imported here.
        short_name = strategy
        for prefix in ("ansible.builtin.", "ansible.legacy."):
            if strategy.startswith(prefix):
                short_name = strategy[len(prefix):]
        try:
            strategy_class = strategy_loader.get(short_name, class_only=True)
        except (AnsibleError, ImportError):
            strategy_class = None
        # Only linear (and what derives from it, such as debug) runs a run_once task once and
        # gives its result to every host. free and host_pinned run it for every host and
        # still copy each run's result to all hosts, so the caller must not rely on it.
        run_once_honoured = isinstance(strategy_class, type) and issubclass(strategy_class, LinearStrategy)
        # The check mode this task runs in: --check, or the task's check_mode keyword (as
        # include_role's `apply` sets it), which ansible_check_mode does not follow.
        check_mode = bool(self._play_context.check_mode)
        result.update(changed=False, strategy=strategy, run_once_honoured=run_once_honoured, check_mode=check_mode)
        return result
