"""Fidelity: the official CLB SDK (``alibabacloud_slb20140515``) runs every SLB action the
collection calls against the emulator, with V2 and with its default (V3) signing; each parsed
answer round-trips through the SDK's model with the types it declares.
"""

import pytest
from alibabacloud_slb20140515 import models as slb_models
from alibabacloud_slb20140515.client import Client as SlbClient
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_tea_openapi.models import Config

from tests.emulator import certificates
from tests.unit.emulator.test_sdk_fidelity import (
    DEMO_ACCOUNT,
    DEMO_KEY,
    DEMO_SECRET,
    assert_matches_model,
    assert_signed_with,
)

pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")


class Slb:
    """The SLB client with one signing method; keeps each raw JSON body it parsed."""

    def __init__(self, emu, signing: str) -> None:
        self.raw: list = []
        config = {"access_key_id": DEMO_KEY, "access_key_secret": DEMO_SECRET, "endpoint": f"127.0.0.1:{emu.port}",
                  "protocol": "https", "ca": emu.ca_path, "region_id": "cn-shanghai"}
        if signing == "v2":
            config["signature_algorithm"] = "v2"
        self.client = SlbClient(Config(**config))
        call_api = self.client.call_api

        def recorded(params, request, runtime):
            result = call_api(params, request, runtime)
            self.raw.append(result["body"])
            return result
        self.client.call_api = recorded

    def checked(self, response):
        assert_matches_model(response, self.raw[-1])
        return response.body


@pytest.fixture(params=["v2", "v3"])
def signing(request):
    return request.param


@pytest.fixture
def slb(emu, signing):
    return Slb(emu, signing)


@pytest.fixture
def cas_ids(emu):
    created = emu.control._post("orders/bulk", account_id=DEMO_ACCOUNT, count=3, domain_format="sdk{index}.example.com")
    with emu.state.lock:
        return [int(emu.state.orders[order_id].cert_id) for order_id in created["order_ids"]]


@pytest.fixture
def balancer(emu, cas_ids):
    return emu.control._call("POST", "products/clb/load_balancers", {
        "region": "cn-shanghai", "load_balancer_id": "lb-sdk0001", "listeners": [
            {"port": 443, "certificate_id": cas_ids[0],
             "domain_extensions": [{"domain": "sdk1.example.com", "certificate_id": cas_ids[1]}]}]})


def test_every_clb_action_we_call(emu, slb, signing, cas_ids, balancer):
    listener = slb.checked(slb.client.describe_load_balancer_httpslistener_attribute(
        slb_models.DescribeLoadBalancerHTTPSListenerAttributeRequest(
            region_id="cn-shanghai", load_balancer_id="lb-sdk0001", listener_port=443)))
    assert (listener.listener_port, listener.bandwidth, listener.load_balancer_id) == (443, -1, "lb-sdk0001")
    old_id = listener.server_certificate_id
    assert old_id == balancer["listeners"][0]["server_certificate_id"]
    assert [e.domain for e in listener.domain_extensions.domain_extension] == ["sdk1.example.com"]

    extensions = slb.checked(slb.client.describe_domain_extensions(slb_models.DescribeDomainExtensionsRequest(
        region_id="cn-shanghai", load_balancer_id="lb-sdk0001", listener_port=443)))
    (extension,) = extensions.domain_extensions.domain_extension
    assert extension.domain == "sdk1.example.com"

    listed = slb.checked(slb.client.describe_server_certificates(
        slb_models.DescribeServerCertificatesRequest(region_id="cn-shanghai")))
    wrappers = {c.server_certificate_id: c for c in listed.server_certificates.server_certificate}
    assert (wrappers[old_id].is_ali_cloud_certificate, wrappers[old_id].ali_cloud_certificate_id) == \
        (1, str(cas_ids[0]))
    assert wrappers[old_id].subject_alternative_names.subject_alternative_name == ["sdk0.example.com"]
    assert wrappers[old_id].expire_time_stamp > wrappers[old_id].create_time_stamp

    wrapped = slb.checked(slb.client.upload_server_certificate(slb_models.UploadServerCertificateRequest(
        region_id="cn-shanghai", ali_cloud_certificate_id=str(cas_ids[2]), ali_cloud_certificate_name="sdk2",
        ali_cloud_certificate_region_id="cn-hangzhou", server_certificate_name="cas-sdk2")))
    assert (wrapped.is_ali_cloud_certificate, wrapped.ali_cloud_certificate_id, wrapped.region_id) == \
        (1, str(cas_ids[2]), "cn-shanghai")

    with emu.state.lock:
        pem = certificates.find_certificate(emu.state, DEMO_ACCOUNT, cas_ids[2])
    uploaded = slb.checked(slb.client.upload_server_certificate(slb_models.UploadServerCertificateRequest(
        region_id="cn-shanghai", server_certificate=pem.certificate_pem, private_key=pem.private_key_pem,
        server_certificate_name="pem-sdk2")))
    assert (uploaded.is_ali_cloud_certificate, uploaded.server_certificate_name) == (0, "pem-sdk2")
    assert uploaded.subject_alternative_names.subject_alternative_name == ["sdk2.example.com"]

    slb.checked(slb.client.set_load_balancer_httpslistener_attribute(
        slb_models.SetLoadBalancerHTTPSListenerAttributeRequest(
            region_id="cn-shanghai", load_balancer_id="lb-sdk0001", listener_port=443,
            server_certificate_id=wrapped.server_certificate_id)))
    slb.checked(slb.client.set_domain_extension_attribute(slb_models.SetDomainExtensionAttributeRequest(
        region_id="cn-shanghai", domain_extension_id=extension.domain_extension_id,
        server_certificate_id=uploaded.server_certificate_id)))
    after = slb.checked(slb.client.describe_load_balancer_httpslistener_attribute(
        slb_models.DescribeLoadBalancerHTTPSListenerAttributeRequest(
            region_id="cn-shanghai", load_balancer_id="lb-sdk0001", listener_port=443)))
    assert after.server_certificate_id == wrapped.server_certificate_id
    assert after.domain_extensions.domain_extension[0].server_certificate_id == uploaded.server_certificate_id
    assert_signed_with(emu, signing)
    assert {call["product"] for call in emu.control.calls()} == {"Slb"}


@pytest.mark.parametrize("code", ["InvalidLoadBalancerId.NotFound", "ServerCertificateId.NotFound",
                                  "InvalidParameter.AliCloudCertificateId"])
def test_sdk_raises_the_documented_clb_error(emu, slb, signing, cas_ids, balancer, code):
    with pytest.raises(ClientException) as caught:
        if code == "InvalidLoadBalancerId.NotFound":
            slb.client.describe_load_balancer_httpslistener_attribute(
                slb_models.DescribeLoadBalancerHTTPSListenerAttributeRequest(
                    region_id="cn-shanghai", load_balancer_id="lb-nowhere", listener_port=443))
        elif code == "ServerCertificateId.NotFound":
            slb.client.set_load_balancer_httpslistener_attribute(
                slb_models.SetLoadBalancerHTTPSListenerAttributeRequest(
                    region_id="cn-shanghai", load_balancer_id="lb-sdk0001", listener_port=443,
                    server_certificate_id="nope-cn-shanghai"))
        else:
            emu.control.settings(cas_site="international")
            slb.client.upload_server_certificate(slb_models.UploadServerCertificateRequest(
                region_id="ap-southeast-1", ali_cloud_certificate_id=str(cas_ids[0]), ali_cloud_certificate_name="c",
                ali_cloud_certificate_region_id="ap-southeast-1"))
    error = caught.value
    assert (error.code, error.status_code) == (code, 400)
    last = emu.control.calls()[-1]
    assert (last["error_code"], last["signature_version"]) == (code, signing)
    assert error.data["HostId"] == "slb.aliyuncs.com"
