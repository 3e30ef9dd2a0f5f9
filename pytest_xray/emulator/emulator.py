"""The :class:`XrayEmulator` object: configure, start, inspect, inject faults, stop."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from .app import EmulatorApp
from .checks import require_jsonschema
from .faults import Fault, make_fault
from .model import DEFAULT_MAX_BODY_BYTES, Attachment, Config, Execution, Flavor, RecordedRequest
from .server import EmulatorHTTPServer
from .state import FIRST_EXECUTION_NUMBER, Store

__all__ = ["XrayEmulator"]


def _check_readable(name: str, path: str | Path) -> None:
    # ssl's loaders say "No such file or directory" without naming the file.
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise ValueError(f"{name}: cannot read {path}: {exc.strerror or exc}") from None


def _context_path(value: str) -> str:
    value = value.strip().strip("/")
    return f"/{value}" if value else ""


class XrayEmulator:
    """A local HTTP server that answers like Xray Server / Data Center or Xray Cloud.

    ``users`` (Basic) and ``tokens`` (Personal Access Tokens) authenticate on Server;
    ``clients`` (client_id -> client_secret) on Cloud, whose ``authenticate`` tokens are then
    sent as Bearer (``tokens`` are accepted there too, as pre-issued tokens).
    ``known_tests``: None means every well-formed key is an existing Test; a set means only
    those (plus tests created through ``testInfo``). ``non_tests``: keys that exist but are
    not Tests (left out of test lookups, refused as test keys in imports).
    ``known_executions``: keys of existing Test Executions, which imports may name
    (``testExecutionKey``, ``testExecKey``). An import into a known Test, a test created or
    imported earlier or a ``non_tests`` key answers 400, as Xray does. So does any key that is
    neither a known execution nor one the emulator created, once ``known_tests`` or
    ``known_executions`` is given; without either, an execution is created under the key.
    ``oauth_consumers`` (consumer key -> RSA public key PEM) and ``oauth_tokens`` accept Jira
    OAuth 1.0a on Server, signatures verified (needs the ``oauth`` extra).
    ``tls_cert``/``tls_key`` serve HTTPS; ``tls_client_ca`` also requires a client
    certificate signed by that CA (mutual TLS).
    ``first_execution``: the number of the first Test Execution the emulator creates in a
    project (``PROJ-1000``; keys an import names are skipped); the Tests it creates from
    ``testInfo`` count from 4000 above it. Without ``known_tests`` every key is a Test, so an
    execution key a later import names as a Test would be refused: a project whose Test keys
    reach that number needs a higher one (the command line starts at 900000).
    """

    def __init__(
        self,
        flavor: Flavor = "server",
        host: str = "127.0.0.1",
        port: int = 0,
        context_path: str = "",
        users: Mapping[str, str] | None = None,
        tokens: Iterable[str] | None = None,
        clients: Mapping[str, str] | None = None,
        known_tests: Iterable[str] | None = None,
        require_auth: bool = True,
        *,
        non_tests: Iterable[str] = (),
        known_executions: Iterable[str] = (),
        custom_statuses: Iterable[str] = (),
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        validate_schema: bool = True,
        quiet: bool = True,
        oauth_consumers: Mapping[str, str] | None = None,
        oauth_tokens: Iterable[str] = (),
        tls_cert: str | Path | None = None,
        tls_key: str | Path | None = None,
        tls_client_ca: str | Path | None = None,
        first_execution: int = FIRST_EXECUTION_NUMBER,
    ) -> None:
        if flavor not in ("server", "cloud"):
            raise ValueError(f"flavor must be 'server' or 'cloud', not {flavor!r}")
        context = _context_path(context_path)
        if context and flavor == "cloud":
            raise ValueError("context_path is a Server / Data Center setting; Cloud has none")
        if max_body_bytes < 1:
            raise ValueError("max_body_bytes must be positive")
        if isinstance(first_execution, bool) or not isinstance(first_execution, int):
            raise ValueError(f"first_execution must be an integer, not {first_execution!r}")
        if first_execution < 1:
            raise ValueError("first_execution must be positive")
        self.flavor: Flavor = flavor
        self.host = host
        self._requested_port = port
        self.config = Config(
            flavor=flavor,
            context_path=context,
            users=dict(users or {}),
            tokens=frozenset(tokens or ()),
            clients=dict(clients or {}),
            require_auth=require_auth,
            custom_statuses=frozenset(custom_statuses),
            max_body_bytes=max_body_bytes,
            validate_schema=validate_schema,
            quiet=quiet,
            oauth_consumers=dict(oauth_consumers or {}),
            oauth_tokens=frozenset(oauth_tokens),
            scheme="https" if tls_cert is not None else "http",
        )
        if tls_client_ca is not None and tls_cert is None:
            raise ValueError("tls_client_ca needs tls_cert (mutual TLS runs over HTTPS)")
        for name, path in (
            ("tls_cert", tls_cert),
            ("tls_key", tls_key),
            ("tls_client_ca", tls_client_ca),
        ):
            if path is not None:
                _check_readable(name, path)
        self._tls = (tls_cert, tls_key, tls_client_ca)
        self._store = Store(known_tests, non_tests, known_executions, first_execution)
        self._app = EmulatorApp(self.config, self._store, lambda: self.url)
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> XrayEmulator:
        """Listen and serve in a background thread; returns self. Idempotent."""
        if self._server is not None:
            return self
        if self.config.validate_schema:
            require_jsonschema()  # fail now, with the install hint, not on the first import
        server = EmulatorHTTPServer(
            (self.host, self._requested_port), self._app, self._ssl_context()
        )
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"xray-emulator-{server.server_address[1]}",
            daemon=True,
        )
        self._server, self._thread = server, thread
        thread.start()
        return self

    def _ssl_context(self) -> ssl.SSLContext | None:
        cert, key, client_ca = self._tls
        if cert is None:
            return None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            context.load_cert_chain(str(cert), str(key) if key is not None else None)
        except ssl.SSLError as exc:
            files = f"{cert} and {key}" if key is not None else f"{cert}"
            raise ValueError(
                f"cannot serve HTTPS with {files} (a PEM certificate and its private key): {exc}"
            ) from None
        if client_ca is not None:
            context.verify_mode = ssl.CERT_REQUIRED
            try:
                context.load_verify_locations(str(client_ca))
            except ssl.SSLError as exc:
                raise ValueError(
                    f"cannot use {client_ca} as the client CA (PEM certificates): {exc}"
                ) from None
        return context

    def stop(self) -> None:
        """Stop serving and close the socket. Idempotent."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
            server.close_connections()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> XrayEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the emulator is serving."""
        return self._server is not None

    @property
    def port(self) -> int:
        """The port listened on (the real one when 0 was asked)."""
        if self._server is None:
            raise RuntimeError("the Xray emulator is not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http(s)://host:port``, without the context path."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.config.scheme}://{host}:{self.port}"

    @property
    def url(self) -> str:
        """The base URL clients configure: ``http://host:port`` plus the context path."""
        return self.base_url + self.config.context_path

    # -- inspection ------------------------------------------------------------------------

    @property
    def executions(self) -> dict[str, Execution]:
        """Execution key -> Execution: a deep copy, safe to read while imports go on."""
        return self._store.snapshot_executions()

    @property
    def created_tests(self) -> dict[str, dict[str, Any]]:
        """Tests created through ``testInfo`` (or JUnit testcases): key -> last testInfo."""
        return self._store.snapshot_created_tests()

    @property
    def attachments(self) -> dict[str, list[Attachment]]:
        """Issue key -> files attached through Jira's attachments endpoint (Server)."""
        return self._store.snapshot_attachments()

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request answered (or dropped), oldest first; control endpoints excluded."""
        return self._app.recorded()

    @property
    def faults(self) -> list[Fault]:
        """The injected faults not yet consumed."""
        return self._app.faults.pending()

    # -- control ---------------------------------------------------------------------------

    def inject(
        self,
        *,
        status: int | None = None,
        times: int = 1,
        retry_after: str | int | float | None = None,
        delay: float = 0.0,
        drop: bool = False,
        html: bool = False,
        body: str | None = None,
        match: str | None = None,
    ) -> None:
        """Make the next ``times`` import/authenticate requests fail.

        ``status``: answer it (``{"error": ...}``; 413 answers "Request Entity Too Large").
        ``retry_after``: add a Retry-After header (status defaults to 429).
        ``delay``: sleep that long before answering; alone, the request is still handled.
        ``drop``: close the connection without any answer.
        ``html``: answer a Jira login page (text/html) with ``status`` (default 200).
        ``body``: answer this text instead. ``match``: apply to any API request whose path
        contains this text instead of import/authenticate requests.
        Faults queue up and are consumed in order.
        """
        fault = make_fault(
            status=status,
            times=times,
            retry_after=retry_after,
            delay=delay,
            drop=drop,
            html=html,
            body=body,
            match=match,
        )
        self._app.faults.add(fault)

    def reset(self) -> None:
        """Forget executions, created tests, attachments, recorded requests and faults."""
        self._app.reset()

    def expire_tokens(self, after: int = 0) -> None:
        """Invalidate every Cloud token issued so far (the next import answers 401). With
        ``after``: once tokens have been accepted that many more times, invalidate every token
        issued until then (a token that expires in the middle of a run); later ones stay valid."""
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            raise ValueError("after must be an integer >= 0")
        self._app.tokens.expire_all(after)

    def __repr__(self) -> str:
        where = self.url if self.running else "not started"
        return f"<XrayEmulator {self.flavor} {where}>"
