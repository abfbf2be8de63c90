#!/usr/bin/python
# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: play_strategy_info
short_description: Tell which strategy runs the current play, and whether it honours run_once
version_added: 0.3.0
description:
  - Returns the strategy of the play the task belongs to (the play's C(strategy) keyword, or
    the configured default), and whether C(run_once) tasks run once for the play under it.
  - Under C(linear) (and strategies derived from it, such as C(debug)) a C(run_once) task runs
    for one host and its registered result and facts go to every host. Under C(free) and
    C(host_pinned) Ansible runs it for every host yet still copies each run's result to all
    hosts, a skipped result included, so hosts see one another's results. No variable tells
    a play which strategy it runs, hence this action.
  - The P(alicloud.cas.dv_certificate#role) role uses it to run its API phases once for the
    play under C(linear), and for each host's own domains otherwise.
  - Runs on the controller only. Makes no API call and no connection.
author:
  - alicloud.cas contributors (@alicloud-cas)
options: {}
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - alicloud.cas.info_module
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
notes:
  - A strategy that cannot be loaded counts as one that does not honour C(run_once), the
    safe answer for a caller that falls back to per-host work.
"""

EXAMPLES = r"""
- name: Find out whether run_once tasks run once for this play
  alicloud.cas.play_strategy_info:
  register: play_strategy

# Never template run_once: under free and host_pinned a task whose run_once is a template,
# or even a literal run_once that `when` skips, copies its result to every host. Let the
# include's `when` decide, so that the run_once copy does not exist under free.
- name: Renew the shared state once for the play (linear)
  ansible.builtin.include_tasks:
    file: renew-shared-state.yml
    apply:
      run_once: true
  when: play_strategy.run_once_honoured

- name: Renew the shared state for this host (free, host_pinned)
  ansible.builtin.include_tasks: renew-shared-state.yml
  when: not play_strategy.run_once_honoured
"""

RETURN = r"""
strategy:
  description: The strategy of the play, as the play or the configuration names it.
  returned: always
  type: str
  sample: free
run_once_honoured:
  description:
    - Whether a C(run_once) task runs for one host, with its result given to every host.
    - V(true) for C(linear), C(debug) and strategies derived from C(linear); V(false) for
      C(free), C(host_pinned) and strategies that cannot be loaded.
  returned: always
  type: bool
  sample: false
check_mode:
  description:
    - Whether this task runs in check mode, from C(--check) or the task's C(check_mode)
      keyword, including one inherited from a block or set by C(apply) on C(include_role).
    - The magic variable C(ansible_check_mode) follows C(--check) only.
  returned: always
  type: bool
  sample: false
  version_added: 0.4.0
"""
