# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Choosing a CAS certificate for a deployment, against the emulator's ListCertificates and
GetCertificateDetail (also through the official SDK models)."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils._cas_certificates import (
    CasCertificates,
    CertificateNotUsableError,
    parse_certificate_id,
)
from ansible_collections.alicloud.cas.plugins.module_utils._credentials import Credentials
from ansible_collections.alicloud.cas.plugins.module_utils._errors import ConfigurationError
from ansible_collections.alicloud.cas.plugins.module_utils._transport import CAS_VERSION, RetryPolicy, RpcClient

DEMO_ACCOUNT = "1234567890123456"
DEMO_KEY = "LTAI5tEmulatorDemoKey01"
DEMO_SECRET = "EmulatorDemoSecret0123456789abc"


@pytest.fixture(scope="module")
def emu():
    from tests.emulator import running_emulator

    yield from running_emulator(seed="demo")


def upload(emu, certificate_id, names, days_before=10, days_after=80, key=True, algorithm="RSA"):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from tests.emulator.certificates import CasCertificate

    now = datetime.datetime.now(datetime.timezone.utc)
    private = ec.generate_private_key(ec.SECP256R1())
    leaf = emu.ca.issue(private.public_key(), names[0], now - datetime.timedelta(days=days_before),
                        now + datetime.timedelta(days=days_after), extra_names=names[1:])
    pem = leaf.public_bytes(serialization.Encoding.PEM).decode() + emu.ca.intermediate_pem
    key_pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode() if key else None
    with emu.state.lock:
        emu.state.uploaded_certificates[certificate_id] = CasCertificate(
            certificate_id, DEMO_ACCOUNT, "up-%d" % certificate_id, pem, key_pem, "upload", algorithm)


@pytest.fixture
def cas(emu):
    emu.control.reset("demo")
    rpc = RpcClient(emu.base_url, CAS_VERSION, Credentials(DEMO_KEY, DEMO_SECRET), verify=emu.ca_path,
                    retry_policy=RetryPolicy(max_attempts=1))
    return CasCertificates(rpc, "china")


def test_newest_covering_certificate_is_chosen_and_unfit_ones_are_left_out(emu, cas):
    upload(emu, 9001, ["www.example.com"], days_before=20)
    upload(emu, 9002, ["*.example.com", "example.com"], days_before=5)          # newest that covers
    upload(emu, 9003, ["www.example.com"], days_before=1, key=False)           # no key in CAS
    upload(emu, 9004, ["www.example.com"], days_before=1, algorithm="SM2")     # SM2
    upload(emu, 9005, ["www.example.com"], days_before=100, days_after=-1)      # expired
    upload(emu, 9006, ["shop.example.com"], days_before=0)                     # does not cover
    certificate, why = cas.newest_covering(["www.example.com"], "www.example.com")
    assert certificate.certificate_id == 9002 and certificate.certificate_identifier == "9002-cn-hangzhou"
    assert set(certificate.names) == {"*.example.com", "example.com"} and "newest of 2" in why
    with pytest.raises(CertificateNotUsableError, match="1 had expired.*1 are SM2 and 1 have no key"):
        cas.newest_covering(["a.b.example.com"], "a.b.example.com")


def test_ties_break_on_the_highest_id(emu, cas):
    upload(emu, 9101, ["t.example.com"], days_before=3, days_after=30)
    with emu.state.lock:
        twin = emu.state.uploaded_certificates[9101]
        emu.state.uploaded_certificates[9102] = type(twin)(9102, DEMO_ACCOUNT, "twin", twin.certificate_pem,
                                                           twin.private_key_pem, "upload")
    assert cas.newest_covering(["t.example.com"], "t.example.com")[0].certificate_id == 9102


def test_list_pages_are_read_whole(emu, cas):
    for index in range(105):
        upload(emu, 9200 + index, ["p%d.example.com" % index], days_before=1 + index % 3)
    assert len(cas.list_certificates()) == 105
    assert cas.newest_covering(["p104.example.com"], "p104.example.com")[0].certificate_id == 9304


def test_certificate_id_forms_and_the_site_suffix():
    assert parse_certificate_id("123", "china") == 123
    assert parse_certificate_id("123-ap-southeast-1", "international") == 123
    with pytest.raises(ConfigurationError, match="names the china CAS site, but site is international"):
        parse_certificate_id("123-cn-hangzhou", "international")
    with pytest.raises(ConfigurationError, match="certificate_id must be a CAS certificate id"):
        parse_certificate_id("abc", "china")


@pytest.mark.parametrize("signing", ["v2", "v3"])
def test_sdk_models_round_trip_list_and_detail(emu, signing):
    from alibabacloud_cas20200407 import models
    from alibabacloud_tea_util import models as util_models

    from tests.unit.emulator.test_sdk_fidelity import Sdk, assert_matches_model

    emu.control.reset("demo")
    upload(emu, 9401, ["sdk.example.com"])
    sdk = Sdk(emu, signing)
    emu.control.clear_calls()
    listed = sdk.cas.list_certificates_with_options(models.ListCertificatesRequest(keyword="sdk.example.com"),
                                                    util_models.RuntimeOptions())
    assert_matches_model(listed, sdk.raw[-1])
    item = listed.body.certificate_list[0]
    assert (item.certificate_id, item.exist_private_key, item.subject_alternative_names) == (
        "9401", True, ["sdk.example.com"])
    detail = sdk.cas.get_certificate_detail_with_options(models.GetCertificateDetailRequest(certificate_id=9401),
                                                         util_models.RuntimeOptions())
    assert_matches_model(detail, sdk.raw[-1])
    assert detail.body.certificate_id == 9401 and detail.body.cert_identifier == "9401-cn-hangzhou"
    assert {call["signature_version"] for call in emu.control.calls()} == {signing}


def test_the_key_for_the_clb_fallback_is_read_only_when_asked_and_handed_to_the_hider():
    class Rpc:
        calls = []

        def call(self, action, params):
            self.calls.append((action, dict(params)))
            answer = {"Id": 7, "CertIdentifier": "7-cn-hangzhou", "Sans": "k.example.com", "Common": "k.example.com",
                      "NotBefore": 1_700_000_000_000, "NotAfter": 4_000_000_000_000}
            if params.get("CertFilter") != "true":
                answer.update(Cert="CHAIN", Key="-----BEGIN PRIVATE KEY-----\nSECRET\n-----END PRIVATE KEY-----")
            return answer

    seen = []
    rpc = Rpc()
    certificate = CasCertificates(rpc, "china", on_private_key=seen.append).by_id(7)
    assert rpc.calls == [("GetUserCertificateDetail", {"CertId": 7, "CertFilter": "true"})] and seen == []
    assert (certificate.names, certificate.certificate_identifier, certificate.cert_region) == (
        ["k.example.com"], "7-cn-hangzhou", "cn-hangzhou")
    chain, key = certificate.load_pem()
    assert chain == "CHAIN" and seen == [key] and "SECRET" in key
    assert rpc.calls[-1] == ("GetUserCertificateDetail", {"CertId": 7})


@pytest.mark.parametrize("signing", ["v2", "v3"])
def test_uploaded_certificates_answer_get_user_certificate_detail(emu, signing):
    """CAS serves GetUserCertificateDetail for every certificate of the account, uploads included
    (the emulator used to answer NotFound for them): with CertFilter no PEM and no key, without
    it both; another account's upload stays NotFound."""
    from alibabacloud_cas20200407 import models
    from alibabacloud_tea_util import models as util_models

    from tests.unit.emulator.test_sdk_fidelity import Sdk, assert_matches_model

    emu.control.reset("demo")
    upload(emu, 9451, ["up.example.com", "www.up.example.com"])
    sdk = Sdk(emu, signing)
    filtered = sdk.cas.get_user_certificate_detail_with_options(
        models.GetUserCertificateDetailRequest(cert_id=9451, cert_filter=True), util_models.RuntimeOptions())
    assert_matches_model(filtered, sdk.raw[-1])
    body = filtered.body
    assert (body.id, body.cert_identifier, body.sans) == (9451, "9451-cn-hangzhou", "up.example.com,www.up.example.com")
    assert body.cert is None and body.key is None and body.not_after > body.not_before
    full = sdk.cas.get_user_certificate_detail_with_options(
        models.GetUserCertificateDetailRequest(cert_id=9451), util_models.RuntimeOptions())
    assert "BEGIN CERTIFICATE" in full.body.cert and "PRIVATE KEY" in full.body.key
    with emu.state.lock:
        import dataclasses

        emu.state.uploaded_certificates[9451] = dataclasses.replace(emu.state.uploaded_certificates[9451],
                                                                    account_id="999999")
    rpc = RpcClient(emu.base_url, CAS_VERSION, Credentials(DEMO_KEY, DEMO_SECRET), verify=emu.ca_path,
                    retry_policy=RetryPolicy(max_attempts=1))
    with pytest.raises(Exception, match="NotFound"):
        rpc.call("GetUserCertificateDetail", {"CertId": 9451})
