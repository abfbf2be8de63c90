"""Fidelity of the CDN (2018-05-10) and DCDN (2018-01-15) actions the collection calls: the
official SDKs (``alibabacloud_cdn20180510`` 9.2.0, ``alibabacloud_dcdn20180115`` 3.1.0) run
them against the emulator with V2 and with their default V3 signing. Every raw answer must
round-trip through the SDK's model (names and types), errors included."""

import pytest
from alibabacloud_cdn20180510 import models as cdn_models
from alibabacloud_cdn20180510.client import Client as CdnClient
from alibabacloud_dcdn20180115 import models as dcdn_models
from alibabacloud_dcdn20180115.client import Client as DcdnClient
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_tea_openapi.models import Config
import requests

from tests.unit.emulator.sdk_models import assert_matches
from tests.unit.emulator.test_sdk_fidelity import assert_matches_model

# The SDK itself calls datetime.utcnow(); that is not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")

PRODUCTS = {
    # name: (client class, models, describe op, its request, set op, its request, on/off attribute)
    "cdn": (CdnClient, cdn_models, "describe_domain_certificate_info", cdn_models.DescribeDomainCertificateInfoRequest,
            "set_cdn_domain_sslcertificate", cdn_models.SetCdnDomainSSLCertificateRequest, "server_certificate_status"),
    "dcdn": (DcdnClient, dcdn_models, "describe_dcdn_domain_certificate_info",
             dcdn_models.DescribeDcdnDomainCertificateInfoRequest, "set_dcdn_domain_sslcertificate",
             dcdn_models.SetDcdnDomainSSLCertificateRequest, "sslprotocol"),
}


class ProductSdk:
    def __init__(self, emu, name: str, signing: str) -> None:
        (client_class, self.models, self.describe_op, self.describe_request, self.set_op, self.set_request,
         self.status_attribute) = PRODUCTS[name]
        config = {"access_key_id": "LTAI5tEmulatorDemoKey01", "access_key_secret": "EmulatorDemoSecret0123456789abc",
                  "endpoint": f"127.0.0.1:{emu.port}", "protocol": "https", "ca": emu.ca_path}
        if signing == "v2":
            config["signature_algorithm"] = "v2"
        self.client = client_class(Config(**config))
        self.raw = None
        call_api = self.client.call_api

        def recorded(params, request, runtime):
            result = call_api(params, request, runtime)
            self.raw = result["body"]
            return result
        self.client.call_api = recorded

    def checked(self, response):
        assert_matches(self.raw, type(response.body))
        assert_matches_model(response, self.raw)
        # And back: the parsed response rebuilt from its own map is the same model.
        assert type(response)().from_map(response.to_map()).body.to_map() == response.body.to_map()
        return response.body

    def describe(self, domain):
        return self.checked(getattr(self.client, self.describe_op)(self.describe_request(domain_name=domain)))

    def set(self, **fields):
        return self.checked(getattr(self.client, self.set_op)(self.set_request(**fields)))


@pytest.fixture(params=["v2", "v3"])
def signing(request):
    return request.param


@pytest.fixture(params=sorted(PRODUCTS))
def product(request):
    return request.param


@pytest.fixture
def sdk(emu, product, signing):
    if product == "dcdn":
        requests.post(f"{emu.control_url}/products/dcdn/domains", json={"domain": "www.example.com"},
                      verify=emu.ca_path, timeout=10).raise_for_status()
    return ProductSdk(emu, product, signing)


def issued_certificate(emu, order_factory) -> int:
    return int(emu.control.set_order_state(order_factory("www.example.com"), "certificate")["cert_id"])


def test_describe_set_describe(emu, sdk, signing, order_factory):
    cert_id = issued_certificate(emu, order_factory)
    before = sdk.describe("www.example.com")
    (info,) = before.cert_infos.cert_info
    assert (info.domain_name, getattr(info, sdk.status_attribute), info.cert_id) == ("www.example.com", "off", None)

    answer = sdk.set(domain_name="www.example.com", sslprotocol="on", cert_type="cas", cert_id=cert_id,
                     cert_region="cn-hangzhou", cert_name=f"cert-{cert_id}")
    assert answer.request_id

    (info,) = sdk.describe("www.example.com").cert_infos.cert_info
    assert (info.cert_type, info.cert_id, info.cert_region, getattr(info, sdk.status_attribute), info.status) == \
        ("cas", str(cert_id), "cn-hangzhou", "on", "success")
    assert info.cert_expire_time.endswith("Z") and info.cert_name == f"cert-{cert_id}"

    sdk.set(domain_name="www.example.com", sslprotocol="off")
    (info,) = sdk.describe("www.example.com").cert_infos.cert_info
    assert getattr(info, sdk.status_attribute) == "off"

    calls = emu.control.calls()
    assert {c["signature_version"] for c in calls if c["product"] in ("Cdn", "dcdn")} == {signing}
    # The SDK sends every parameter in the query string; CertId went as an integer's digits.
    assert [c["status"] for c in calls[-4:]] == [200, 200, 200, 200]


ERRORS = {
    "InvalidDomain.NotFound": (404, lambda sdk, cert_id: sdk.describe("nowhere.example.com")),
    "Abs.CertRegion.ValueNotSupported": (400, lambda sdk, cert_id: sdk.set(
        domain_name="www.example.com", sslprotocol="on", cert_type="cas", cert_id=cert_id, cert_region="eu-west-1")),
    "InvalidCertificate.NotFound": (404, lambda sdk, cert_id: sdk.set(
        domain_name="www.example.com", sslprotocol="on", cert_type="cas", cert_id=cert_id + 1000)),
    "MissingParameter": (400, lambda sdk, cert_id: sdk.set(domain_name="www.example.com")),
}


@pytest.mark.parametrize("code", sorted(ERRORS))
def test_documented_errors_through_the_sdk(emu, sdk, order_factory, code):
    status, action = ERRORS[code]
    cert_id = issued_certificate(emu, order_factory)
    with pytest.raises(ClientException) as caught:
        action(sdk, cert_id)
    assert (caught.value.code, caught.value.status_code) == (code, status)
    assert caught.value.data["HostId"] in ("cdn.aliyuncs.com", "dcdn.aliyuncs.com")


def test_ram_refusal_through_the_sdk(emu, sdk, product):
    requests.post(f"{emu.control_url}/deny", json={"product": product}, verify=emu.ca_path,
                  timeout=10).raise_for_status()
    with pytest.raises(ClientException) as caught:
        sdk.describe("www.example.com")
    error = caught.value
    assert (error.code, error.status_code) == ("Forbidden.RAM", 403)
    assert error.access_denied_detail["AuthAction"].startswith(f"{product}:Describe")
