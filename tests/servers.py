"""Small HTTP servers on 127.0.0.1 that stand between the plugin and the emulator: a forwarding
proxy that records what passes through it, a proxy that refuses everything, a server that
redirects every request and one that gives one canned answer."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler], **settings: Any) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.seen: list[str] = []
        self.settings = settings


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))


class _Proxy(_Quiet):
    def do_POST(self) -> None:
        target = urlsplit(self.path)  # a proxy receives the absolute URL
        self.server.seen.append(self.path)
        body = self._body()
        headers = {k: v for k, v in self.headers.items() if k.lower() != "proxy-connection"}
        upstream = http.client.HTTPConnection(target.hostname or "", target.port, timeout=30)
        path = target.path + (f"?{target.query}" if target.query else "")
        upstream.request(self.command, path, body=body, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        upstream.close()


class _RefusingProxy(_Quiet):
    """A proxy that refuses every request: CONNECT (for https:// URLs) and forwarded ones."""

    def _refuse(self) -> None:
        self.server.seen.append(f"{self.command} {self.path}")
        self._body()
        status = self.server.settings["status"]
        self.send_response(status)
        if status == 407:
            self.send_header("Proxy-Authenticate", 'Basic realm="proxy"')
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    do_CONNECT = do_GET = do_POST = _refuse


class _Answering(_Quiet):
    """A server that answers every request with one canned status, body and content type."""

    def _answer(self) -> None:
        self.server.seen.append(f"{self.command} {self.path}")
        self._body()
        body: bytes = self.server.settings["body"]
        self.send_response(self.server.settings["status"])
        self.send_header("Content-Type", self.server.settings["content_type"])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _answer


class _Redirect(_Quiet):
    def _redirect(self) -> None:
        self.server.seen.append(f"{self.command} {self.path}")
        self._body()
        self.send_response(self.server.settings["status"])
        self.send_header("Location", self.server.settings["target"] + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_PUT = _redirect


@contextmanager
def _serving(server: _Server) -> Iterator[tuple[str, list[str]]]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def forwarding_proxy() -> AbstractContextManager[tuple[str, list[str]]]:
    """``(proxy URL, the URLs it forwarded)`` while the proxy runs."""
    return _serving(_Server(_Proxy))


def refusing_proxy(status: int = 407) -> AbstractContextManager[tuple[str, list[str]]]:
    """``(proxy URL, the requests it refused as "METHOD target")`` while a proxy runs that
    answers ``status`` to everything (407: it wants credentials; 403: a blocked host)."""
    return _serving(_Server(_RefusingProxy, status=status))


def answering(
    status: int, body: str, content_type: str
) -> AbstractContextManager[tuple[str, list[str]]]:
    """``(URL of a server that answers every request so, the requests it saw)``: for answers
    the Xray emulator does not give, such as JSON labelled ``text/html``."""
    return _serving(
        _Server(_Answering, status=status, body=body.encode(), content_type=content_type)
    )


def redirecting(target: str, status: int = 301) -> AbstractContextManager[tuple[str, list[str]]]:
    """``(URL of a server that redirects every path to target + path, the requests it saw)``."""
    return _serving(_Server(_Redirect, status=status, target=target.rstrip("/")))
