"""The edge TLS port: the certificate a handshake gets is the one the target serves now."""

import socket
import ssl

import pytest
import requests
from cryptography import x509

CDN_VERSION = "2018-05-10"
DCDN_VERSION = "2018-01-15"


def handshake(emu, server_name):
    """The leaf the edge presents for ``server_name``, verified against the issuing CA."""
    context = ssl.create_default_context(cadata=emu.issuer_ca_pem)
    with socket.create_connection(("127.0.0.1", emu.edge_port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=server_name) as tls:
            tls.sendall(b"GET / HTTP/1.1\r\nHost: " + server_name.encode() + b"\r\n\r\n")
            reply = tls.recv(4096)
            assert reply.startswith(b"HTTP/1.1 200 OK") and server_name.encode() in reply
            return x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))


def issued(emu, order_factory, domain="www.example.com"):
    view = emu.control.set_order_state(order_factory(domain), "certificate")
    return int(view["cert_id"]), x509.load_pem_x509_certificates(view["certificate"].encode())[0]


def test_edge_address_from_the_control_api_and_info(emu):
    edge = requests.get(emu.control_url + "/edge", verify=emu.ca_path, timeout=10).json()
    assert edge == {"host": "127.0.0.1", "port": emu.edge_port} and emu.info()["edge_port"] == emu.edge_port


def test_cdn_domain_serves_the_new_certificate_after_set(emu, api, order_factory):
    # The demo seed's www.example.com has HTTPS off: no certificate to present.
    with pytest.raises(ssl.SSLError, match="UNRECOGNIZED_NAME"):
        handshake(emu, "www.example.com")
    first_id, first_leaf = issued(emu, order_factory)
    api.ok(api.call("SetCdnDomainSSLCertificate", CDN_VERSION, DomainName="www.example.com", SSLProtocol="on",
                    CertType="cas", CertId=first_id, CertRegion="cn-hangzhou"))
    assert handshake(emu, "www.example.com").serial_number == first_leaf.serial_number

    second_id, second_leaf = issued(emu, order_factory)  # the renewal: a new CAS id
    assert handshake(emu, "www.example.com").serial_number == first_leaf.serial_number  # not re-pointed yet
    api.ok(api.call("SetCdnDomainSSLCertificate", CDN_VERSION, DomainName="www.example.com", SSLProtocol="on",
                    CertType="cas", CertId=second_id, CertRegion="cn-hangzhou"))
    served = handshake(emu, "www.example.com")
    assert served.serial_number == second_leaf.serial_number != first_leaf.serial_number

    api.ok(api.call("SetCdnDomainSSLCertificate", CDN_VERSION, DomainName="www.example.com", SSLProtocol="off"))
    with pytest.raises(ssl.SSLError, match="UNRECOGNIZED_NAME"):
        handshake(emu, "www.example.com")


def test_dcdn_domain_seeded_with_https_on(emu, order_factory):
    cert_id, leaf = issued(emu, order_factory, "api.example.com")
    requests.post(emu.control_url + "/products/dcdn/domains", verify=emu.ca_path, timeout=10,
                  json={"domain": "api.example.com", "https": True, "certificate_id": cert_id}).raise_for_status()
    assert handshake(emu, "api.example.com").serial_number == leaf.serial_number


def test_upload_certificate_is_served(emu, api, order_factory):
    issued(emu, order_factory)
    order = emu.control.state()["orders"][0]
    api.ok(api.call("SetCdnDomainSSLCertificate", CDN_VERSION, DomainName="www.example.com", SSLProtocol="on",
                    CertType="upload", SSLPub=order["certificate"], SSLPri=order["private_key"]))
    assert handshake(emu, "www.example.com").serial_number == \
        x509.load_pem_x509_certificate(order["certificate"].encode()).serial_number


def test_unknown_name_and_no_sni_are_refused(emu):
    with pytest.raises(ssl.SSLError, match="UNRECOGNIZED_NAME"):
        handshake(emu, "nobody.example.org")
    context = ssl.create_default_context(cadata=emu.issuer_ca_pem)
    context.check_hostname = False
    with socket.create_connection(("127.0.0.1", emu.edge_port), timeout=10) as raw:
        with pytest.raises(ssl.SSLError):
            context.wrap_socket(raw)  # no server_hostname: no SNI


def test_edge_stops_with_the_emulator():
    from tests.emulator import Emulator

    with Emulator(tls=False, seed="empty") as emu:
        port = emu.edge_port
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
