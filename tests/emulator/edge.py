"""The "edge": a TLS port on loopback that presents, per handshake, the certificate a
deployment target serves at that moment, so that a deployment is checked the way a user
checks it (``openssl s_client -servername www.example.com -connect 127.0.0.1:<edge_port>``).

The certificate is chosen from the SNI name through each product service's
``edge_material(server_name)`` (CDN/DCDN: the domain while its HTTPS is on; listeners:
their ``*.edge.test`` names). A name no product serves, or no SNI at all, ends the
handshake with an ``unrecognized_name`` alert. After the handshake the edge answers one
plain HTTP/1.1 200 naming the server name, then closes.
"""

import hashlib
import os
import shutil
import socket
import ssl
import tempfile
import threading

HANDSHAKE_TIMEOUT = 10.0


class EdgeServer:
    def __init__(self, state, products: dict, host: str = "127.0.0.1") -> None:
        self.state = state
        self.products = products
        self.host = host
        self.port: int | None = None
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._tmpdir: str | None = None
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    # --- lifecycle --------------------------------------------------------------------------
    def start(self) -> int:
        self._tmpdir = tempfile.mkdtemp(prefix="alicloud-emulator-edge-")
        self._stopping.clear()
        self._socket = socket.create_server((self.host, 0))
        self._socket.settimeout(0.2)
        self.port = self._socket.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name="alicloud-emulator-edge", daemon=True)
        self._thread.start()
        return self.port

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None
        self._contexts.clear()

    # --- certificate choice -----------------------------------------------------------------
    def material(self, server_name: str):
        """(fullchain_pem, key_pem) presented for ``server_name``, or None."""
        with self.state.lock:
            for product in self.products.values():
                edge_material = getattr(product, "edge_material", None)
                found = edge_material(server_name) if edge_material else None
                if found:
                    return found
        return None

    def _context_for(self, chain_pem: str, key_pem: str) -> ssl.SSLContext:
        digest = hashlib.sha256((chain_pem + key_pem).encode()).hexdigest()
        with self._lock:
            context = self._contexts.get(digest)
            if context is None:
                path = os.path.join(self._tmpdir, digest + ".pem")
                # The key file lives in the edge's own private temporary directory.
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w", encoding="ascii") as handle:
                    handle.write(chain_pem.strip() + "\n" + key_pem.strip() + "\n")
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.load_cert_chain(path)
                os.remove(path)
                self._contexts[digest] = context
        return context

    def _sni(self, connection: ssl.SSLObject, server_name, _context):
        if not server_name:
            return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
        found = self.material(server_name)
        if found is None:
            return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
        connection.context = self._context_for(*found)
        connection.edge_server_name = server_name  # for the HTTP answer
        return None

    # --- serving ----------------------------------------------------------------------------
    def _serve(self) -> None:
        base = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        base.sni_callback = self._sni
        while not self._stopping.is_set():
            try:
                client, _address = self._socket.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._handle, args=(base, client), daemon=True).start()

    def _handle(self, base: ssl.SSLContext, client: socket.socket) -> None:
        client.settimeout(HANDSHAKE_TIMEOUT)
        try:
            with base.wrap_socket(client, server_side=True) as tls:
                try:
                    tls.recv(4096)  # a request line, if the client sends one
                except (socket.timeout, ssl.SSLError, OSError):
                    pass
                name = getattr(tls, "edge_server_name", "")
                body = f"served by the alicloud emulator edge for {name}\n".encode()
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                            + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        except (ssl.SSLError, OSError):
            pass  # refused names and clients that hang up are normal
        finally:
            client.close()
