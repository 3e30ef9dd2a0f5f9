"""The HTTP layer: a ``ThreadingHTTPServer`` that reads requests and writes the app's answers.

HTTP/1.1 with keep-alive like a real Jira; every answer has a Content-Length. Bodies over
``max_body_bytes`` are read and thrown away, then answered 413 as Xray's proxy would.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .app import EmulatorApp
from .model import Incoming, Reply

__all__ = ["EmulatorHTTPServer", "EmulatorRequestHandler"]

_CHUNK = 64 * 1024


class _TooLarge(Exception):
    """The request body is larger than allowed (it has been read and discarded)."""


class _BadBody(Exception):
    """The request body framing (Content-Length or chunks) is broken."""


class EmulatorHTTPServer(ThreadingHTTPServer):
    """A threaded HTTP server carrying one :class:`EmulatorApp`."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], app: EmulatorApp, ssl_context: ssl.SSLContext | None = None
    ):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.app = app
        self.ssl_context = ssl_context
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, EmulatorRequestHandler)

    def get_request(self) -> tuple[socket.socket, Any]:
        """Accept a connection; with TLS, wrap it (the handshake runs in the handler's thread,
        so a slow or failing client cannot block the accept loop)."""
        connection, address = super().get_request()
        if self.ssl_context is not None:
            connection = self.ssl_context.wrap_socket(
                connection, server_side=True, do_handshake_on_connect=False
            )
        return connection, address

    def process_request(self, request: Any, client_address: Any) -> None:
        """Track the connection, so that :meth:`close_connections` can end it."""
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        """Forget the connection as it closes."""
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End every open (keep-alive) connection: a stopped emulator answers nothing."""
        with self._connections_lock:
            connections = list(self._connections)
            self._connections.clear()
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client went away (timeouts, dropped connections)."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError, ssl.SSLError)):
            return
        super().handle_error(request, client_address)


class EmulatorRequestHandler(BaseHTTPRequestHandler):
    """Reads one request fully, asks the app, writes (or withholds) the answer."""

    server: EmulatorHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "XrayEmulator/1.0"
    sys_version = ""
    timeout = 120  # idle keep-alive connections must not hold a thread forever

    def setup(self) -> None:
        """Finish the TLS handshake (if any) before reading the request."""
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(self.timeout)
            self.request.do_handshake()
        super().setup()

    def version_string(self) -> str:
        """The Server header."""
        return self.server_version

    def do_GET(self) -> None:
        """Answer a GET request."""
        self._serve()

    def do_POST(self) -> None:
        """Answer a POST request."""
        self._serve()

    def do_PUT(self) -> None:
        """Answer a PUT request."""
        self._serve()

    def do_DELETE(self) -> None:
        """Answer a DELETE request."""
        self._serve()

    def do_PATCH(self) -> None:
        """Answer a PATCH request."""
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Log to stderr only when the emulator is not quiet (paths and statuses, no headers)."""
        if not self.server.app.config.quiet:
            super().log_message(format, *args)

    # -- reading ---------------------------------------------------------------------------

    def _read_chunked(self, limit: int) -> bytes:
        data = bytearray()
        too_large = False
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError as exc:
                raise _BadBody("malformed chunk size") from exc
            if size == 0:
                while self.rfile.readline(1024).strip():
                    pass  # trailers
                break
            chunk = self.rfile.read(size)
            self.rfile.readline(1024)
            if len(data) + len(chunk) > limit:
                too_large = True
                data.clear()
            elif not too_large:
                data += chunk
        if too_large:
            raise _TooLarge
        return bytes(data)

    def _read_body(self, limit: int) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked(limit)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError as exc:
            raise _BadBody("malformed Content-Length") from exc
        if length < 0:
            raise _BadBody("negative Content-Length")
        if length > limit:
            remaining = length
            while remaining > 0:
                chunk = self.rfile.read(min(_CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
            raise _TooLarge
        return self.rfile.read(length) if length else b""

    # -- serving ---------------------------------------------------------------------------

    def _serve(self) -> None:
        app = self.server.app
        split = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(split.query, True).items()}
        headers = dict(self.headers.items())
        request = Incoming(self.command, split.path or "/", query, headers, b"")
        try:
            body = self._read_body(app.config.max_body_bytes)
        except _TooLarge:
            app.record(request, 413, None)
            self.close_connection = True
            self._write(Reply.text(413, "Request Entity Too Large"))
            return
        except _BadBody as exc:
            app.record(request, 400, None)
            self.close_connection = True
            self._write(Reply.error(400, f"Bad request body: {exc}"))
            return
        request = Incoming(request.method, request.path, query, headers, body)
        outcome = app.handle(request)
        if outcome.delay:
            time.sleep(outcome.delay)
        status = outcome.reply.status if outcome.reply is not None else 0
        if outcome.record:
            app.record(request, status, outcome.fault)
        if outcome.reply is None:
            self.close_connection = True  # no answer at all: the client sees the socket close
            return
        self._write(outcome.reply)

    def _write(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(reply.body)
