"""The emulated ALB (2020-06-16): listener certificates, the Configuring window, ClientToken,
ACK-managed listeners and the QUIC pairing switch."""

import time

import pytest

from tests.unit.emulator.lb_support import plant_certificate, product_settings, product_view, seed_listener

ALB = "2020-06-16"
REGION = "cn-hangzhou"


@pytest.fixture
def certs(emu):
    return [plant_certificate(emu, 1001, ("www.example.com",)), plant_certificate(emu, 1002, ("www.example.com",)),
            plant_certificate(emu, 1003, ("shop.example.com",))]


@pytest.fixture
def fast(emu):
    # Short, yet long enough for the calls a test makes inside the window on a loaded machine.
    product_settings(emu, "alb", configuring_seconds=1.0)


def alb(api, action, **params):
    return api.call(action, ALB, **params)


def wait_running(api, listener_id, limit=5.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if api.ok(alb(api, "GetListenerAttribute", ListenerId=listener_id))["ListenerStatus"] == "Running":
            return
        time.sleep(0.05)
    raise AssertionError("listener stayed Configuring")


def test_get_listener_attribute_reports_the_seeded_listener(emu, api, certs):
    seeded = seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id="1001-cn-hangzhou")
    body = api.ok(alb(api, "GetListenerAttribute", ListenerId=seeded["listener_id"]))
    assert body["ListenerProtocol"] == "HTTPS"
    assert body["ListenerStatus"] == "Running"
    assert body["Certificates"] == [{"CertificateId": "1001-cn-hangzhou"}]
    assert body["LoadBalancerId"] == seeded["load_balancer_id"]
    assert body["QuicConfig"] == {"QuicUpgradeEnabled": False}


def test_unknown_listener_is_not_found(api):
    assert api.error(alb(api, "GetListenerAttribute", ListenerId="lsn-nope"), 404) == "ResourceNotFound.Listener"


def test_update_changes_the_default_and_configures_for_the_window(emu, api, certs, fast):
    listener_id = seed_listener(emu, "alb", region=REGION, protocol="HTTPS",
                                certificate_id=1001)["listener_id"]
    body = api.ok(alb(api, "UpdateListenerAttribute", ListenerId=listener_id,
                      **{"Certificates.1.CertificateId": "1002-cn-hangzhou"}))
    assert body["JobId"]
    now = api.ok(alb(api, "GetListenerAttribute", ListenerId=listener_id))
    assert now["Certificates"] == [{"CertificateId": "1002-cn-hangzhou"}]
    assert now["ListenerStatus"] == "Configuring"
    refused = alb(api, "UpdateListenerAttribute", ListenerId=listener_id,
                  **{"Certificates.1.CertificateId": "1001-cn-hangzhou"})
    assert api.error(refused, 400) == "IncorrectStatus.Listener"
    wait_running(api, listener_id)
    api.ok(alb(api, "UpdateListenerAttribute", ListenerId=listener_id,
               **{"Certificates.1.CertificateId": "1001-cn-hangzhou"}))


@pytest.mark.parametrize("identifier", ["9999-cn-hangzhou", "1001-ap-southeast-1", "1001", "abc"])
def test_unknown_or_foreign_certificates_are_refused(emu, api, certs, identifier):
    plant_certificate(emu, 2001, account_id="9999999999999999")
    listener_id = seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id=1001)["listener_id"]
    refused = alb(api, "UpdateListenerAttribute", ListenerId=listener_id,
                  **{"Certificates.1.CertificateId": identifier})
    assert api.error(refused, 404) == "ResourceNotFound.Certificate"
    foreign = alb(api, "UpdateListenerAttribute", ListenerId=listener_id,
                  **{"Certificates.1.CertificateId": "2001-cn-hangzhou"})
    assert api.error(foreign, 404) == "ResourceNotFound.Certificate"
    assert product_view(emu, "alb")["listeners"][0]["certificate_id"] == "1001-cn-hangzhou"


def test_international_site_identifiers(emu, api, certs):
    emu.control.settings(cas_site="international")
    listener_id = seed_listener(emu, "alb", region="ap-southeast-1", protocol="HTTPS",
                                certificate_id=1001)["listener_id"]
    assert api.ok(alb(api, "GetListenerAttribute", ListenerId=listener_id))["Certificates"] == [
        {"CertificateId": "1001-ap-southeast-1"}]
    refused = alb(api, "UpdateListenerAttribute", ListenerId=listener_id,
                  **{"Certificates.1.CertificateId": "1002-cn-hangzhou"})
    assert api.error(refused, 404) == "ResourceNotFound.Certificate"
    api.ok(alb(api, "UpdateListenerAttribute", ListenerId=listener_id,
               **{"Certificates.1.CertificateId": "1002-ap-southeast-1"}))


def test_repeated_client_token_returns_the_first_answer_without_a_second_effect(emu, api, certs, fast):
    listener_id = seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id=1001)["listener_id"]
    first = api.ok(alb(api, "UpdateListenerAttribute", ListenerId=listener_id, ClientToken="tok-1",
                       **{"Certificates.1.CertificateId": "1002-cn-hangzhou"}))
    # Same token while Configuring: the first answer, not IncorrectStatus.
    again = api.ok(alb(api, "UpdateListenerAttribute", ListenerId=listener_id, ClientToken="tok-1",
                       **{"Certificates.1.CertificateId": "1002-cn-hangzhou"}))
    assert again["JobId"] == first["JobId"]
    wait_running(api, listener_id)
    # A repeat after the window has no second effect either (the listener stays Running).
    api.ok(alb(api, "UpdateListenerAttribute", ListenerId=listener_id, ClientToken="tok-1",
               **{"Certificates.1.CertificateId": "1002-cn-hangzhou"}))
    assert api.ok(alb(api, "GetListenerAttribute", ListenerId=listener_id))["ListenerStatus"] == "Running"
    writes = [c for c in emu.control.calls() if c["action"] == "UpdateListenerAttribute"]
    assert len(writes) == 3


def test_ack_managed_listener_refuses_writes_but_reads(emu, api, certs):
    listener_id = seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id=1001,
                                service_managed=True)["listener_id"]
    api.ok(alb(api, "GetListenerAttribute", ListenerId=listener_id))
    for action in ("UpdateListenerAttribute", "AssociateAdditionalCertificatesWithListener",
                   "DissociateAdditionalCertificatesFromListener"):
        refused = alb(api, action, ListenerId=listener_id, **{"Certificates.1.CertificateId": "1002-cn-hangzhou"})
        assert api.error(refused, 400) == "OperationDenied.ServiceManagedResource"


def test_http_listener_holds_no_certificate(emu, api, certs):
    listener_id = seed_listener(emu, "alb", region=REGION, protocol="HTTP")["listener_id"]
    body = api.ok(alb(api, "GetListenerAttribute", ListenerId=listener_id))
    assert body["ListenerProtocol"] == "HTTP" and body.get("Certificates") == []
    refused = alb(api, "UpdateListenerAttribute", ListenerId=listener_id,
                  **{"Certificates.1.CertificateId": "1002-cn-hangzhou"})
    assert api.error(refused, 400) == "OperationDenied.ListenerProtocolNotSupport"


def test_additional_certificates_associate_then_dissociate(emu, api, certs, fast):
    listener_id = seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id=1001,
                                additional=["1003-cn-hangzhou"])["listener_id"]
    api.ok(alb(api, "AssociateAdditionalCertificatesWithListener", ListenerId=listener_id,
               **{"Certificates.1.CertificateId": "1002-cn-hangzhou"}))
    listed = api.ok(alb(api, "ListListenerCertificates", ListenerId=listener_id, CertificateType="Server"))
    statuses = {c["CertificateId"]: (c["Status"], c["IsDefault"]) for c in listed["Certificates"]}
    assert statuses == {"1001-cn-hangzhou": ("Associated", True), "1003-cn-hangzhou": ("Associated", False),
                        "1002-cn-hangzhou": ("Associating", False)}
    wait_running(api, listener_id)
    api.ok(alb(api, "DissociateAdditionalCertificatesFromListener", ListenerId=listener_id,
               **{"Certificates.1.CertificateId": "1003-cn-hangzhou"}))
    listed = api.ok(alb(api, "ListListenerCertificates", ListenerId=listener_id))
    assert {c["CertificateId"]: c["Status"] for c in listed["Certificates"]}["1003-cn-hangzhou"] == "Diassociating"
    wait_running(api, listener_id)
    listed = api.ok(alb(api, "ListListenerCertificates", ListenerId=listener_id))
    assert {c["CertificateId"]: c["Status"] for c in listed["Certificates"]} == {
        "1001-cn-hangzhou": "Associated", "1002-cn-hangzhou": "Associated"}


def test_list_pages_with_next_token_and_bounds_max_results(emu, api, certs):
    extra = [plant_certificate(emu, 3000 + n).identifier(REGION) for n in range(4)]
    listener_id = seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id=1001,
                                additional=extra)["listener_id"]
    seen, token = [], None
    while True:
        params = {"MaxResults": 2, **({"NextToken": token} if token else {})}
        page = api.ok(alb(api, "ListListenerCertificates", ListenerId=listener_id, **params))
        assert page["TotalCount"] == 5 and len(page["Certificates"]) <= 2
        seen += [c["CertificateId"] for c in page["Certificates"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == ["1001-cn-hangzhou", *extra]
    too_many = alb(api, "ListListenerCertificates", ListenerId=listener_id, MaxResults=101)
    assert api.error(too_many, 400) == "InvalidParameter"
    api.ok(alb(api, "ListListenerCertificates", ListenerId=listener_id, MaxResults=100))


def test_dry_run_checks_without_effect(emu, api, certs):
    listener_id = seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id=1001)["listener_id"]
    dry = alb(api, "AssociateAdditionalCertificatesWithListener", ListenerId=listener_id, DryRun="true",
              **{"Certificates.1.CertificateId": "1002-cn-hangzhou"})
    assert api.error(dry, 400) == "DryRunOperation"
    listed = api.ok(alb(api, "ListListenerCertificates", ListenerId=listener_id))
    assert [c["CertificateId"] for c in listed["Certificates"]] == ["1001-cn-hangzhou"]


@pytest.mark.parametrize("scope, other_status", [("listener", "Running"), ("load_balancer", "Configuring")])
def test_configuring_scope_switch(emu, api, certs, scope, other_status):
    product_settings(emu, "alb", configuring_scope=scope, configuring_seconds=5)
    first = seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id=1001)
    other = seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id=1001, port=8443,
                          load_balancer_id=first["load_balancer_id"])
    api.ok(alb(api, "UpdateListenerAttribute", ListenerId=first["listener_id"],
               **{"Certificates.1.CertificateId": "1002-cn-hangzhou"}))
    status = api.ok(alb(api, "GetListenerAttribute", ListenerId=other["listener_id"]))["ListenerStatus"]
    assert status == other_status


@pytest.mark.parametrize("own", [True, False])
def test_quic_pairing_switch(emu, api, certs, own):
    product_settings(emu, "alb", quic_keeps_own_certificate=own, configuring_seconds=0)
    seeded = seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id=1001, quic={})
    https = api.ok(alb(api, "GetListenerAttribute", ListenerId=seeded["listener_id"]))
    assert https["QuicConfig"] == {"QuicUpgradeEnabled": True, "QuicListenerId": seeded["quic_listener_id"]}
    api.ok(alb(api, "UpdateListenerAttribute", ListenerId=seeded["listener_id"],
               **{"Certificates.1.CertificateId": "1002-cn-hangzhou"}))
    quic = api.ok(alb(api, "GetListenerAttribute", ListenerId=seeded["quic_listener_id"]))
    assert quic["ListenerProtocol"] == "QUIC"
    expected = "1001-cn-hangzhou" if own else "1002-cn-hangzhou"
    assert quic["Certificates"] == [{"CertificateId": expected}]


def test_settings_and_state_reset(emu, certs):
    product_settings(emu, "alb", quic_keeps_own_certificate=False, configuring_seconds=3)
    seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id=1001)
    emu.control.reset("demo")
    view = product_view(emu, "alb")
    assert view["listeners"] == []
    assert view["settings"] == {"configuring_seconds": 0.5, "configuring_scope": "listener",
                                "quic_keeps_own_certificate": True}


@pytest.mark.parametrize("body", [{"protocol": "HTTPS"}, {"region": REGION, "protocol": "TCPSSL"},
                                  {"region": REGION, "protocol": "HTTP", "quic": {}}])
def test_bad_seeds_are_refused(emu, body):
    from tests.emulator.control_client import ControlRequestError

    with pytest.raises(ControlRequestError):
        seed_listener(emu, "alb", **body)


def test_unknown_setting_is_refused(emu):
    from tests.emulator.control_client import ControlRequestError

    with pytest.raises(ControlRequestError):
        product_settings(emu, "alb", configuring_secs=1)


def test_edge_material_is_the_default_certificate(emu, certs):
    listener_id = seed_listener(emu, "alb", region=REGION, protocol="HTTPS", certificate_id=1001)["listener_id"]
    material = emu.products["alb"].edge_material(f"{listener_id}.alb.edge.test")
    assert material == (certs[0].certificate_pem, certs[0].private_key_pem)
    assert emu.products["alb"].edge_material(f"{listener_id}.nlb.edge.test") is None
    assert emu.products["alb"].edge_material("lsn-unknown.alb.edge.test") is None
