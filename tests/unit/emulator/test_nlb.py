"""The emulated NLB (2022-04-30): TCPSSL listener certificates with parameters in the form body,
NLB's own action and parameter names, the Configuring window, ClientToken and ACK."""

import time

import pytest

from tests.unit.emulator.lb_support import plant_certificate, product_settings, product_view, seed_listener

NLB = "2022-04-30"
REGION = "cn-shanghai"
COMMON = {"Action", "Version", "AccessKeyId", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp",
          "Format", "Signature", "SecurityToken"}


@pytest.fixture
def certs(emu):
    return [plant_certificate(emu, 1001), plant_certificate(emu, 1002), plant_certificate(emu, 1003)]


def nlb(api, action, **params):
    """Common parameters in the query, the action's in the form body, as the NLB SDK sends them."""
    signed = api.signed_params(action, NLB, params)
    query = {k: v for k, v in signed.items() if k in COMMON}
    body = {k: v for k, v in signed.items() if k not in COMMON}
    return api.send(query, body=body)


def wait_running(api, listener_id, limit=5.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if api.ok(nlb(api, "GetListenerAttribute", ListenerId=listener_id))["ListenerStatus"] == "Running":
            return
        time.sleep(0.05)
    raise AssertionError("listener stayed Configuring")


def test_get_listener_attribute(emu, api, certs):
    seeded = seed_listener(emu, "nlb", region=REGION, protocol="TCPSSL", certificate_id=1001)
    assert seeded["listener_id"].endswith("@443")
    body = api.ok(nlb(api, "GetListenerAttribute", ListenerId=seeded["listener_id"], RegionId=REGION))
    assert body["ListenerProtocol"] == "TCPSSL" and body["ListenerStatus"] == "Running"
    assert body["CertificateIds"] == ["1001-cn-hangzhou"]
    assert body["RegionId"] == REGION
    wrong_region = nlb(api, "GetListenerAttribute", ListenerId=seeded["listener_id"], RegionId="cn-beijing")
    assert api.error(wrong_region, 404) == "ResourceNotFound.listener"


def test_update_and_configuring_window(emu, api, certs):
    # Long enough for the two calls that must land inside it, even on a loaded machine.
    product_settings(emu, "nlb", configuring_seconds=1.5)
    listener_id = seed_listener(emu, "nlb", region=REGION, protocol="TCPSSL", certificate_id=1001)["listener_id"]
    api.ok(nlb(api, "UpdateListenerAttribute", ListenerId=listener_id, RegionId=REGION,
               **{"CertificateIds.1": "1002-cn-hangzhou"}))
    body = api.ok(nlb(api, "GetListenerAttribute", ListenerId=listener_id))
    assert body["CertificateIds"] == ["1002-cn-hangzhou"] and body["ListenerStatus"] == "Configuring"
    refused = nlb(api, "UpdateListenerAttribute", ListenerId=listener_id, **{"CertificateIds.1": "1001-cn-hangzhou"})
    assert api.error(refused, 400) == "IncorrectStatus.listener"
    wait_running(api, listener_id)
    two = nlb(api, "UpdateListenerAttribute", ListenerId=listener_id,
              **{"CertificateIds.1": "1001-cn-hangzhou", "CertificateIds.2": "1002-cn-hangzhou"})
    assert api.error(two, 400) == "InvalidParameter"


def test_alb_names_are_not_nlb_actions(emu, api, certs):
    listener_id = seed_listener(emu, "nlb", region=REGION, protocol="TCPSSL", certificate_id=1001)["listener_id"]
    wrong = nlb(api, "DissociateAdditionalCertificatesFromListener", ListenerId=listener_id,
                **{"AdditionalCertificateIds.1": "1001-cn-hangzhou"})
    assert api.error(wrong, 404) == "InvalidAction.NotFound"


def test_additional_certificates(emu, api, certs):
    product_settings(emu, "nlb", configuring_seconds=0.1)
    listener_id = seed_listener(emu, "nlb", region=REGION, protocol="TCPSSL", certificate_id=1001,
                                additional=[1003])["listener_id"]
    api.ok(nlb(api, "AssociateAdditionalCertificatesWithListener", ListenerId=listener_id, RegionId=REGION,
               **{"AdditionalCertificateIds.1": "1002-cn-hangzhou"}))
    listed = api.ok(nlb(api, "ListListenerCertificates", ListenerId=listener_id, CertType="Server", MaxResults=50))
    assert {c["CertificateId"]: c["Status"] for c in listed["Certificates"]} == {
        "1001-cn-hangzhou": "Associated", "1003-cn-hangzhou": "Associated", "1002-cn-hangzhou": "Associating"}
    assert listed["CertificateIds"] == [c["CertificateId"] for c in listed["Certificates"]]
    wait_running(api, listener_id)
    api.ok(nlb(api, "DisassociateAdditionalCertificatesWithListener", ListenerId=listener_id,
               **{"AdditionalCertificateIds.1": "1003-cn-hangzhou"}))
    wait_running(api, listener_id)
    listed = api.ok(nlb(api, "ListListenerCertificates", ListenerId=listener_id, CertType="Server"))
    assert [c["CertificateId"] for c in listed["Certificates"]] == ["1001-cn-hangzhou", "1002-cn-hangzhou"]
    assert api.error(nlb(api, "ListListenerCertificates", ListenerId=listener_id, MaxResults=51),
                     400) == "InvalidParameter"
    ca_only = api.ok(nlb(api, "ListListenerCertificates", ListenerId=listener_id, CertType="Ca"))
    assert ca_only["Certificates"] == []


def test_client_token_and_ack(emu, api, certs):
    product_settings(emu, "nlb", configuring_seconds=5)
    listener_id = seed_listener(emu, "nlb", region=REGION, protocol="TCPSSL", certificate_id=1001)["listener_id"]
    first = api.ok(nlb(api, "UpdateListenerAttribute", ListenerId=listener_id, ClientToken="t-1",
                       **{"CertificateIds.1": "1002-cn-hangzhou"}))
    again = api.ok(nlb(api, "UpdateListenerAttribute", ListenerId=listener_id, ClientToken="t-1",
                       **{"CertificateIds.1": "1002-cn-hangzhou"}))
    assert again == {**first, "RequestId": again["RequestId"]}
    managed = seed_listener(emu, "nlb", region=REGION, protocol="TCPSSL", certificate_id=1001,
                            service_managed=True)["listener_id"]
    refused = nlb(api, "UpdateListenerAttribute", ListenerId=managed, **{"CertificateIds.1": "1002-cn-hangzhou"})
    assert api.error(refused, 400) == "OperationDenied.ServiceManagedResource"


def test_tcp_listener_and_unknown_certificate_refused(emu, api, certs):
    tcp = seed_listener(emu, "nlb", region=REGION, protocol="TCP")["listener_id"]
    assert api.ok(nlb(api, "GetListenerAttribute", ListenerId=tcp))["ListenerProtocol"] == "TCP"
    refused = nlb(api, "UpdateListenerAttribute", ListenerId=tcp, **{"CertificateIds.1": "1002-cn-hangzhou"})
    assert api.error(refused, 400) == "OperationDenied.ListenerProtocolNotSupport"
    ssl = seed_listener(emu, "nlb", region=REGION, protocol="TCPSSL", certificate_id=1001)["listener_id"]
    unknown = nlb(api, "AssociateAdditionalCertificatesWithListener", ListenerId=ssl,
                  **{"AdditionalCertificateIds.1": "77-cn-hangzhou"})
    assert api.error(unknown, 404) == "ResourceNotFound.Certificate"


def test_quic_seed_is_alb_only(emu):
    from tests.emulator.control_client import ControlRequestError

    with pytest.raises(ControlRequestError):
        seed_listener(emu, "nlb", region=REGION, protocol="TCPSSL", quic={})


def test_edge_material_accepts_the_port_separator_as_a_dash(emu, certs):
    listener_id = seed_listener(emu, "nlb", region=REGION, protocol="TCPSSL", certificate_id=1002)["listener_id"]
    dns_safe = listener_id.replace("@", "-")
    assert emu.products["nlb"].edge_material(f"{dns_safe}.nlb.edge.test") == (
        certs[1].certificate_pem, certs[1].private_key_pem)
    assert product_view(emu, "nlb")["listeners"][0]["certificate_id"] == "1002-cn-hangzhou"
