"""HTTP(S) front end: a threaded HTTP/1.1 keep-alive server that writes each reply in one send.

Writing status line, headers and body as a single buffer matters: split writes meet the
client's delayed ACK (Nagle) and cost ~40 ms per call on loopback.
"""

import json
import socket
import ssl
import sys
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from .control import PREFIX
from .gateway import ApiRequest

IDLE_TIMEOUT_SECONDS = 120  # idle keep-alive connections are closed after this


def parse_request(method: str, target: str, headers, body: bytes) -> ApiRequest:
    """Query and form-body parameters kept apart (V3 signs only the query), headers by
    lower-case name with every value (a repeated header is signed as one)."""
    path, _sep, query = target.partition("?")
    form = {}
    content_type = headers.get("Content-Type", "")
    if body and content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    by_name: dict[str, list[str]] = {}
    for name, value in headers.items():
        by_name.setdefault(name.lower(), []).append(value)
    return ApiRequest(method=method, path=path, query=dict(parse_qsl(query, keep_blank_values=True)),
                      form=form, headers=by_name, body=body)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT_SECONDS

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self._dispatch()

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch()

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.partition("?")[0]
        core = self.server.core
        if path.startswith(PREFIX):
            status, payload = core.control_api.handle(self.command, path, body)
            self._send(status, {"Content-Type": "application/json"}, json.dumps(payload).encode())
            return
        request = parse_request(self.command, self.path, self.headers, body)
        try:
            reply = core.gateway.handle(request)
        except Exception:
            # An emulator bug: answer like the service's own failure, and show the traceback.
            traceback.print_exc()
            self._send(500, {"Content-Type": "application/json"},
                       b'{"Code": "InternalError", "Message": "Emulator internal error."}')
            return
        if reply.drop:
            # Simulate a network failure: no status line at all, just a closed connection.
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self._send(reply.status, reply.headers, reply.body)

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}", "Server: alibaba-cloud-emulator",
                 f"Date: {self.date_time_string()}", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        lines.append("Connection: close" if self.close_connection else "Connection: keep-alive")
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (signature of the base class)
        """Silent: the control API's call log is the record of traffic."""


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # idle keep-alive threads must not block shutdown

    def __init__(self, address: tuple[str, int], core, ssl_context: ssl.SSLContext | None) -> None:
        self.core = core
        self._ssl_context = ssl_context
        super().__init__(address, _Handler)

    def handle_error(self, request, client_address) -> None:
        """Clients vanishing mid-request (drop tests, killed runs) are normal; bugs are not."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, ssl.SSLError)):
            super().handle_error(request, client_address)

    def finish_request(self, request, client_address) -> None:
        """Runs in the per-connection thread, so a slow TLS handshake never blocks accept()."""
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection = request
        if self._ssl_context is not None:
            request.settimeout(IDLE_TIMEOUT_SECONDS)
            try:
                connection = self._ssl_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
        try:
            self.RequestHandlerClass(connection, client_address, self)
        finally:
            if connection is not request:
                connection.close()
