"""Handshake with the emulator's edge as a browser would, and compare the certificate it
presents with a certificate file, as one JSON line.

The only trusted root is --ca and the name (also the SNI) is checked, so a pass means the
target serves a chain that verifies for --name. --expect is the issued cert.pem: "same" is
true when the served leaf has its serial and public key. A failed handshake is "ok": false.
"""

import argparse
import json
import socket
import ssl
import sys

from cryptography import x509
from cryptography.hazmat.primitives import serialization


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--name", required=True, help="server_hostname: SNI and the name to verify")
    parser.add_argument("--ca", required=True, help="PEM file of the only trusted root")
    parser.add_argument("--expect", required=True, help="the cert.pem the target must serve")
    args = parser.parse_args()

    with open(args.expect, "rb") as handle:
        expected = x509.load_pem_x509_certificate(handle.read())
    context = ssl.create_default_context(cafile=args.ca)
    try:
        with socket.create_connection((args.host, args.port), timeout=10) as sock:
            with context.wrap_socket(sock, server_hostname=args.name) as tls:
                served = x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))
    except (ssl.SSLError, ssl.CertificateError, OSError) as exc:
        print(json.dumps({"ok": False, "error": "%s: %s" % (type(exc).__name__, exc)}))
        return 0

    def spki(cert):
        return cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    print(json.dumps({
        "ok": True,
        "serial": "%x" % served.serial_number,
        "expected_serial": "%x" % expected.serial_number,
        "same": served.serial_number == expected.serial_number and spki(served) == spki(expected),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
