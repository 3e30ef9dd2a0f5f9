"""A small HTTP server on 127.0.0.1 that answers every request with a redirect elsewhere."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _RedirectServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _redirect(self) -> None:
        self.server.seen.append(f"{self.command} {self.path}")
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(self.server.status)
        self.send_header("Location", self.server.target + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_PUT = _redirect


class _RedirectServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, status: int, target: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.status = status
        self.target = target
        self.seen: list[str] = []


@contextmanager
def redirecting(target: str, status: int = 301) -> Iterator[tuple[str, list[str]]]:
    """``(URL of a server that redirects every path to target + path, the requests it saw)``."""
    server = _RedirectServer(status, target.rstrip("/"))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
