# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A product code whose kind the sources disagree on is left to CAS, through the real client
against the emulator, and CAS's refusal names product_code."""

from __future__ import annotations

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils._cas import CasClient
from ansible_collections.alicloud.cas.plugins.module_utils._certificate_request import run
from ansible_collections.alicloud.cas.plugins.module_utils._credentials import Credentials
from ansible_collections.alicloud.cas.plugins.module_utils._errors import ConfigurationError
from ansible_collections.alicloud.cas.plugins.module_utils._transport import CAS_VERSION, RetryPolicy, RpcClient

KEY = "LTAI5tEmulatorDemoKey01"
SECRET = "EmulatorDemoSecret0123456789abc"
ACCOUNT = "1234567890123456"
APPLICANT = {"username": "Jane Doe", "email": "jane@example.com", "phone": "+86 138 0000 0000"}
UNDECIDED = "symantec-dv-1-starter"  # SDK text: "DigiCert wildcard DV"; its code says single


@pytest.fixture(scope="module")
def emu():
    from tests.emulator import running_emulator

    yield from running_emulator(seed="demo")


def _request(emu, domain):
    emu.control.reset("demo")
    emu.control.set_quota(ACCOUNT, UNDECIDED, 5, 0)
    params = {"domain": domain, "state": "present", "product_code": UNDECIDED, "validate_type": "DNS",
              "csr": None, "tags": None, "force": False, "renew_before_days": 30}
    params.update(APPLICANT)
    rpc = RpcClient(emu.base_url, CAS_VERSION, Credentials(KEY, SECRET), verify=emu.ca_path,
                    retry_policy=RetryPolicy(max_attempts=1))
    return run(params, lambda: CasClient(rpc))


def test_cas_refusal_of_an_undecided_plan_names_product_code(emu):
    # The emulator follows the code's naming and refuses a wildcard for this plan; real CAS
    # may accept it, which is why nothing refuses it before the call.
    with pytest.raises(ConfigurationError) as info:
        _request(emu, "*.example.com")
    assert info.value.option == "product_code"
    text = str(info.value)
    assert "CAS refused product_code '%s' for domain '*.example.com'" % UNDECIDED in text
    assert "geotrust-dv-w-starter" in text
    creates = [c for c in emu.control.calls() if c["action"] == "CreateCertificateRequest"]
    assert [c["error_code"] for c in creates] == ["InvalidParameter"]
    assert emu.control.state()["orders"] == []


def test_undecided_plan_is_submitted_when_cas_accepts_the_domain(emu):
    result = _request(emu, "www.example.com")
    assert result["changed"] is True and result["order_id"]
