"""Shared by the ALB and NLB adapter tests: the emulator, its demo key, RpcClients built the way
the engine builds them, and CAS certificates planted in the emulator."""

from __future__ import annotations

import time

from ansible_collections.alicloud.cas.plugins.module_utils._credentials import Credentials
from ansible_collections.alicloud.cas.plugins.module_utils._deployment._base import DeployableCertificate, Plan
from ansible_collections.alicloud.cas.plugins.module_utils._transport import RetryPolicy, RpcClient

from tests.unit.emulator.lb_support import plant_certificate, product_settings, product_view, seed_listener
from tests.unit.plugins.module_utils.emulator_run import DEMO_KEY, DEMO_SECRET, NoWait

__all__ = ["Plan", "deployable", "make_adapter", "plant_certificate", "product_settings", "product_view",
           "seed_listener", "writes"]


def deployable(emu, certificate_id, names=("www.example.com",)):
    """Plant CAS certificate ``certificate_id`` and return it as the engine hands it to adapters."""
    planted = plant_certificate(emu, certificate_id, names)
    region = "cn-hangzhou"
    return DeployableCertificate(certificate_id, planted.identifier(region), region, planted.name, planted.names,
                                 planted.not_before.isoformat(), planted.not_after.isoformat())


def make_adapter(emu, adapter_class, version, wait_timeout=5, poll_interval=0.02, sleep=None, clock=None):
    made = {}
    # The transport's own backoff and confirmation reads take no time; the adapter's waits
    # for a Configuring listener use ``sleep``/``clock`` (real time by default).
    transport_clock = NoWait()

    def clients(region):
        if region not in made:
            made[region] = RpcClient(emu.base_url, version, Credentials(DEMO_KEY, DEMO_SECRET), verify=emu.ca_path,
                                     retry_policy=RetryPolicy(rng=lambda: 0.0), sleep=transport_clock.sleep,
                                     clock=transport_clock.monotonic)
        return made[region]
    adapter = adapter_class(clients, wait_timeout=wait_timeout, sleep=sleep or time.sleep,
                            clock=clock or time.monotonic)
    adapter.poll_interval = poll_interval
    return adapter


def writes(emu, *actions):
    """The answered calls of ``actions``, in order."""
    return [call["action"] for call in emu.control.calls() if call["action"] in actions and call["status"] == 200]
