"""GetUserCertificateDetail serves a certificate uploaded to CAS (not issued on an order), as CAS does."""

from __future__ import annotations

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils._credentials import Credentials
from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlibabaCloudError
from ansible_collections.alicloud.cas.plugins.module_utils._transport import CAS_VERSION, RetryPolicy, RpcClient

from tests.unit.emulator.lb_support import plant_certificate
from tests.unit.plugins.module_utils.emulator_run import DEMO_KEY, DEMO_SECRET


@pytest.fixture(scope="module")
def emu():
    from tests.emulator import running_emulator

    yield from running_emulator(seed="demo")


def test_uploaded_certificate_detail_with_and_without_cert_filter(emu):
    emu.control.reset("demo")
    planted = plant_certificate(emu, 9951, ["www.example.com", "example.com"])
    plant_certificate(emu, 9952, ["www.example.com"], account_id="9999999999999999")
    rpc = RpcClient(emu.base_url, CAS_VERSION, Credentials(DEMO_KEY, DEMO_SECRET), verify=emu.ca_path,
                    retry_policy=RetryPolicy(max_attempts=1))
    filtered = rpc.call("GetUserCertificateDetail", {"CertId": 9951, "CertFilter": "true"})
    assert filtered["Id"] == 9951 and filtered["Name"] == planted.name
    assert filtered["CertIdentifier"] == "9951-cn-hangzhou" and filtered["Sans"] == "www.example.com,example.com"
    assert "Cert" not in filtered and "Key" not in filtered and "OrderId" not in filtered
    full = rpc.call("GetUserCertificateDetail", {"CertId": 9951})
    assert full["Cert"] == planted.certificate_pem and full["Key"] == planted.private_key_pem
    with pytest.raises(AlibabaCloudError) as refused:     # another account's upload
        rpc.call("GetUserCertificateDetail", {"CertId": 9952})
    assert refused.value.code == "NotFound"
