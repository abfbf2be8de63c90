"""Connect to a TLS server as a browser would and report what it saw, as one JSON line.

The trust store is only the CA given with --ca, and the hostname is checked against
--name (also sent as SNI), so a pass means the issued chain and key really work for that
name. --expect-failure inverts the exit status, for the negative check.
"""

import argparse
import json
import socket
import ssl
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--name", required=True, help="server_hostname: SNI and the name to verify")
    parser.add_argument("--ca", required=True, help="PEM file of the only trusted root")
    parser.add_argument("--expect-failure", action="store_true")
    args = parser.parse_args()

    context = ssl.create_default_context(cafile=args.ca)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        with socket.create_connection((args.host, args.port), timeout=10) as sock:
            with context.wrap_socket(sock, server_hostname=args.name) as tls:
                peer = tls.getpeercert()
                request = "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % args.name
                tls.sendall(request.encode("ascii"))
                response = b""
                while True:
                    chunk = tls.recv(4096)
                    if not chunk:
                        break
                    response += chunk
                result = {
                    "ok": True,
                    "version": tls.version(),
                    "subject": dict(item[0] for item in peer["subject"]),
                    "san": [value for kind, value in peer.get("subjectAltName", ()) if kind == "DNS"],
                    "not_after": peer["notAfter"],
                    "status_line": response.split(b"\r\n", 1)[0].decode("ascii", "replace"),
                    "body": response.split(b"\r\n\r\n", 1)[-1].decode("utf-8", "replace").strip(),
                }
    except (ssl.SSLError, ssl.CertificateError, OSError) as exc:
        result = {"ok": False, "error": "%s: %s" % (type(exc).__name__, exc)}
    print(json.dumps(result))
    return 0 if result["ok"] != args.expect_failure else 1


if __name__ == "__main__":
    sys.exit(main())
