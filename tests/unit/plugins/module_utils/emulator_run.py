# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""certificate_request's logic run against the real emulator, with the demo account's key and
a clock that only moves when the client sleeps, so that polls and confirmation reads take no
time. Shared by the call-count, guard and ledger tests."""

from __future__ import annotations

from ansible_collections.alicloud.cas.plugins.module_utils._cas import CasClient
from ansible_collections.alicloud.cas.plugins.module_utils._cas_instances import CasInstancesClient
from ansible_collections.alicloud.cas.plugins.module_utils._certificate_request import run
from ansible_collections.alicloud.cas.plugins.module_utils._credentials import Credentials
from ansible_collections.alicloud.cas.plugins.module_utils._transport import CAS_VERSION, RetryPolicy, RpcClient

DEMO_KEY = "LTAI5tEmulatorDemoKey01"
DEMO_SECRET = "EmulatorDemoSecret0123456789abc"


class NoWait:
    def __init__(self):
        self.now = 0.0

    def sleep(self, seconds):
        self.now += seconds

    def monotonic(self):
        return self.now


def run_against_emulator(emu, params, check_mode=False, diff_mode=False):
    """``_certificate_request.run(params)`` over HTTPS to ``emu``; returns its result."""
    clock = NoWait()

    def cas():
        return CasClient(RpcClient(emu.base_url, CAS_VERSION, Credentials(DEMO_KEY, DEMO_SECRET), verify=emu.ca_path,
                                   retry_policy=RetryPolicy(rng=lambda: 0.0), sleep=clock.sleep,
                                   clock=clock.monotonic))
    return run(params, cas, check_mode=check_mode, diff_mode=diff_mode,
               instances_factory=lambda client: CasInstancesClient(client.rpc, sleep=clock.sleep,
                                                                   clock=clock.monotonic))
