"""The CAS site setting: every CertIdentifier the emulator hands out ends in the site's region.

The clients take the identifier from CAS and never build it, so the emulator must not hand out
the China suffix on the international site: each test runs under both values of ``cas_site``.
"""

import pytest
from alibabacloud_cas20200407 import models

from tests.emulator.control_client import ControlRequestError
from tests.unit.emulator.sdk_models import assert_matches
from tests.unit.emulator.test_cas_certificate_detail import _issued
from tests.unit.emulator.test_instances import detail, inactive, instances, issue, user_certificate

SITES = [("china", "cn-hangzhou"), ("international", "ap-southeast-1")]


@pytest.mark.parametrize("site, region", SITES)
def test_order_certificate_identifier_follows_the_site(emu, api, order_factory, site, region):
    emu.control.settings(cas_site=site)
    _order_id, issued = _issued(api, order_factory)
    for filtered in ("false", "true"):
        body = api.ok(api.cas("GetUserCertificateDetail", CertId=issued["CertId"], CertFilter=filtered))
        assert_matches(body, models.GetUserCertificateDetailResponseBody)
        assert body["CertIdentifier"] == f"{issued['CertId']}-{region}"


@pytest.mark.parametrize("site, region", SITES)
def test_instance_certificate_identifier_follows_the_site(emu, api, site, region):
    emu.control.reset("v2")
    emu.control.settings(instance_validation_delay=0, instance_cancel_delay=0, cas_site=site)
    instance_id = inactive(api)
    issued = issue(api, instance_id)
    expected = f"{issued['CertificateId']}-{region}"
    assert issued["CertIdentifier"] == expected
    assert detail(api, instance_id)["CertIdentifier"] == expected
    (listed,) = [item for item in instances(api) if item["InstanceId"] == instance_id]
    assert listed["CertIdentifier"] == expected
    assert user_certificate(api, issued["CertificateId"])["CertIdentifier"] == expected


def test_the_identifier_is_read_when_answering_not_stored(emu, api, order_factory):
    _order_id, issued = _issued(api, order_factory)
    first = api.ok(api.cas("GetUserCertificateDetail", CertId=issued["CertId"]))["CertIdentifier"]
    emu.control.settings(cas_site="international")
    second = api.ok(api.cas("GetUserCertificateDetail", CertId=issued["CertId"]))["CertIdentifier"]
    assert (first, second) == (f"{issued['CertId']}-cn-hangzhou", f"{issued['CertId']}-ap-southeast-1")


@pytest.mark.parametrize("value", ["China", "intl", "", None, 1])
def test_control_refuses_an_unknown_site(emu, value):
    with pytest.raises(ControlRequestError, match="cas_site must be one of 'china', 'international'"):
        emu.control.settings(cas_site=value)
    assert emu.control.state()["settings"]["cas_site"] == "china"


def test_reset_brings_the_china_site_back(emu):
    emu.control.settings(cas_site="international")
    assert emu.control.state()["settings"]["cas_site"] == "international"
    emu.control.reset()
    assert emu.control.state()["settings"]["cas_site"] == "china"
