"""From a received request to an answer: routing, faults, auth, control endpoints.

The HTTP layer (:mod:`.server`) reads the request and writes what :meth:`EmulatorApp.handle`
decides; nothing here touches sockets, so the decisions stay easy to follow.
"""

from __future__ import annotations

import re
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from .auth import TokenBook, check_auth, check_client
from .checks import MissingDependencyError, parse_json
from .faults import FAULT_FIELDS, FaultQueue, fault_reply, make_fault
from .imports import Importer, form_part_list
from .model import (
    CLOUD_VERSIONS,
    SERVER_VERSIONS,
    Config,
    Incoming,
    RecordedRequest,
    Reply,
    XrayApiError,
)
from .page import render_page
from .queries import graphql, server_tests
from .state import Store

__all__ = ["CONTROL_PREFIX", "EmulatorApp", "Outcome", "Route"]

CONTROL_PREFIX = "/_emulator"
_SERVER_PATH = re.compile(r"^/rest/raven/(?P<version>[^/]+)/(?P<rest>.+?)/?$")
_CLOUD_PATH = re.compile(r"^/api/(?P<version>[^/]+)/(?P<rest>.+?)/?$")
_ATTACHMENTS_PATH = re.compile(r"^/rest/api/2/issue/(?P<key>[^/]+)/attachments/?$")
_OTHER_FORMATS = re.compile(
    r"^import/execution/(testng|nunit|xunit|robot|cucumber|behave|bundle)(/multipart)?$"
)

Handler = Callable[[Incoming, str], Reply]


@dataclass(frozen=True)
class Route:
    """Where a request goes: its handler, the methods it allows, whether it needs auth."""

    kind: str  # "import", "auth", "query" or "jira"
    handler: Handler
    version: str
    methods: tuple[str, ...] = ("POST",)
    auth: bool = True

    @property
    def fault_target(self) -> bool:
        """Faults without ``match`` hit import and authenticate requests only."""
        return self.kind in ("import", "auth")


@dataclass(frozen=True)
class Outcome:
    """What to do with a request: answer ``reply`` (None: drop the connection) after ``delay``."""

    reply: Reply | None
    delay: float = 0.0
    fault: str | None = None
    record: bool = True


class EmulatorApp:
    """The behaviour of one emulator, independent of the HTTP server that carries it."""

    def __init__(self, config: Config, store: Store, url: Callable[[], str]):
        self.config = config
        self.store = store
        self.url = url
        self.faults = FaultQueue()
        self.tokens = TokenBook()
        self.importer = Importer(config, store, url)
        self._requests_lock = threading.Lock()
        self._requests: list[RecordedRequest] = []

    # -- recorded requests -----------------------------------------------------------------

    def record(self, request: Incoming, status: int, fault: str | None) -> None:
        """Keep ``request`` and the status it was answered with (0: dropped)."""
        recorded = RecordedRequest(
            request.method,
            request.path,
            dict(request.query),
            dict(request.headers),
            request.body,
            status,
            fault,
        )
        with self._requests_lock:
            self._requests.append(recorded)

    def recorded(self) -> list[RecordedRequest]:
        """A copy of the recorded requests, oldest first."""
        with self._requests_lock:
            return list(self._requests)

    def reset(self) -> None:
        """Forget executions, created tests, attachments, requests and faults."""
        self.store.reset()
        self.faults.clear()
        with self._requests_lock:
            self._requests.clear()

    # -- dispatch --------------------------------------------------------------------------

    def _local(self, path: str) -> str | None:
        """``path`` without the context path, or None when it lies outside it."""
        prefix = self.config.context_path
        if not prefix:
            return path
        if path == prefix:
            return "/"
        if path.startswith(prefix + "/"):
            return path[len(prefix) :]
        return None

    def handle(self, request: Incoming) -> Outcome:
        """Decide the answer to ``request``."""
        local = self._local(request.path)
        for candidate in (request.path, local):
            if candidate is not None and (
                candidate == CONTROL_PREFIX or candidate.startswith(CONTROL_PREFIX + "/")
            ):
                sub = candidate[len(CONTROL_PREFIX) :].strip("/")
                return Outcome(self._guard(partial(self._control, sub, request)), record=False)
        if request.method == "GET" and (request.path == "/" or local == "/"):
            page = render_page(
                self.config.flavor, self.url(), self.store.snapshot_executions(), self.recorded()
            )
            return Outcome(Reply.text(200, page, "text/html;charset=UTF-8"), record=False)
        try:
            route = self._route(request.path, local)
        except XrayApiError as exc:
            return Outcome(exc.reply())
        fault = self.faults.take(request.path, route.fault_target)
        if fault is not None and fault.drop:
            return Outcome(None, fault.delay, fault.describe())
        if fault is not None and fault.answers:
            return Outcome(fault_reply(fault), fault.delay, fault.describe())
        reply = self._guard(lambda: self._answer(route, request))
        if fault is not None:  # a pure delay: the request is handled, the answer comes late
            return Outcome(reply, fault.delay, fault.describe())
        return Outcome(reply)

    @staticmethod
    def _guard(answer: Callable[[], Reply]) -> Reply:
        try:
            return answer()
        except XrayApiError as exc:
            return exc.reply()
        except MissingDependencyError as exc:
            print(f"Xray emulator: {exc}", file=sys.stderr)
            return Reply.error(500, str(exc))
        except Exception as exc:  # a bug of the emulator: answer 500 and show it
            traceback.print_exc()
            return Reply.error(500, f"Xray emulator internal error: {type(exc).__name__}: {exc}")

    def _answer(self, route: Route, request: Incoming) -> Reply:
        if request.method not in route.methods:
            allowed = ", ".join(route.methods)
            raise XrayApiError(405, f"Method {request.method} not allowed", {"Allow": allowed})
        if route.auth:
            check_auth(self.config, self.tokens, request)
        return route.handler(request, route.version)

    def _route(self, path: str, local: str | None) -> Route:
        if self.config.flavor == "cloud":
            return self._cloud_route(path)
        if local is None:
            raise XrayApiError(
                404, f"Not found: this Xray Server lives under {self.config.context_path}"
            )
        return self._server_route(local)

    def _import_handlers(self) -> dict[str, Handler]:
        """The import paths, the same under Server's and Cloud's version prefixes."""
        importer = self.importer
        return {
            "import/execution": importer.json_import,
            "import/execution/multipart": importer.multipart_import,
            "import/execution/junit": importer.junit_import,
            "import/execution/junit/multipart": importer.junit_multipart_import,
        }

    def _server_route(self, path: str) -> Route:
        attachments = _ATTACHMENTS_PATH.match(path)
        if attachments is not None:
            key = attachments.group("key")
            return Route("jira", lambda request, _: self._attach(request, key), "2")
        match = _SERVER_PATH.match(path)
        if match is None or match.group("version") not in SERVER_VERSIONS:
            raise XrayApiError(404, f"Not found: {path} (Xray Server paths: /rest/raven/2.0/...)")
        version, rest = match.group("version"), match.group("rest")
        handlers = self._import_handlers()
        if rest in handlers:
            return Route("import", handlers[rest], version)
        if rest == "api/test":
            return Route(
                "query", lambda r, _: server_tests(self.store, r, self.url), version, ("GET",)
            )
        if _OTHER_FORMATS.match(rest):
            raise XrayApiError(501, f"The Xray emulator does not implement {rest}")
        raise XrayApiError(404, f"Not found: {path}")

    def _cloud_route(self, path: str) -> Route:
        match = _CLOUD_PATH.match(path)
        if match is None or match.group("version") not in CLOUD_VERSIONS:
            raise XrayApiError(404, f"Not found: {path} (Xray Cloud paths: /api/v2/...)")
        version, rest = match.group("version"), match.group("rest")
        handlers = self._import_handlers()
        if rest in handlers:
            return Route("import", handlers[rest], version)
        if rest == "authenticate":
            return Route("auth", self._authenticate, version, auth=False)
        if rest == "graphql" and version == "v2":
            return Route("query", lambda r, _: graphql(self.store, r), version)
        if _OTHER_FORMATS.match(rest):
            raise XrayApiError(501, f"The Xray emulator does not implement {rest}")
        raise XrayApiError(404, f"Not found: {path}")

    # -- endpoints that are not imports ----------------------------------------------------

    def _authenticate(self, request: Incoming, version: str) -> Reply:
        body = parse_json(request.body, "the authenticate request")
        if not isinstance(body, dict):
            raise XrayApiError(400, 'expected {"client_id": "...", "client_secret": "..."}')
        check_client(self.config, body.get("client_id"), body.get("client_secret"))
        return Reply.json(200, self.tokens.issue())

    def _attach(self, request: Incoming, key: str) -> Reply:
        if (request.header("X-Atlassian-Token") or "").lower() != "no-check":
            raise XrayApiError(403, "XSRF check failed: send X-Atlassian-Token: no-check")
        if not self.store.issue_exists(key):
            return Reply.json(
                404,
                {
                    "errorMessages": [
                        "Issue does not exist or you do not have permission to see it."
                    ],
                    "errors": {},
                },
            )
        files = [part for part in form_part_list(request) if part.name == "file"]
        if not files:
            raise XrayApiError(400, "Missing multipart part 'file'")
        attached = [
            self.store.attach(
                key,
                part.filename or "attachment",
                part.content_type or "application/octet-stream",
                part.data,
            )
            for part in files
        ]
        return Reply.json(200, [item.to_json(self.url()) for item in attached])

    # -- control endpoints -----------------------------------------------------------------

    def _control(self, sub: str, request: Incoming) -> Reply:
        gets: dict[str, Callable[[], Any]] = {
            "executions": lambda: {
                key: execution.to_json()
                for key, execution in self.store.snapshot_executions().items()
            },
            "requests": lambda: [recorded.to_json(redact=True) for recorded in self.recorded()],
            "tests": self.store.snapshot_created_tests,
            "faults": lambda: [fault.to_json() for fault in self.faults.pending()],
            "attachments": lambda: {
                key: [item.to_json(self.url()) for item in items]
                for key, items in self.store.snapshot_attachments().items()
            },
        }
        posts: dict[str, Callable[[], Any]] = {
            "faults": lambda: self._inject_from_json(request.body),
            "reset": self._reset_from_http,
        }
        table = gets if request.method == "GET" else posts if request.method == "POST" else {}
        if sub in table:
            return Reply.json(200, table[sub]())
        if sub in gets or sub in posts:
            allowed = ", ".join(m for m, t in (("GET", gets), ("POST", posts)) if sub in t)
            raise XrayApiError(405, f"Method {request.method} not allowed", {"Allow": allowed})
        raise XrayApiError(
            404,
            "Control endpoints: GET executions, requests, tests, faults, attachments; "
            "POST faults, reset (under /_emulator/)",
        )

    def _reset_from_http(self) -> dict[str, Any]:
        self.reset()
        return {"reset": True}

    def _inject_from_json(self, body: bytes) -> dict[str, Any]:
        value = parse_json(body, "the fault")
        faults = value if isinstance(value, list) else [value]
        built = []
        for fields in faults:
            if not isinstance(fields, dict):
                raise XrayApiError(400, "a fault is a JSON object with the fields of inject()")
            unknown = sorted(set(fields) - FAULT_FIELDS)
            if unknown:
                raise XrayApiError(
                    400,
                    f"unknown fault field(s): {', '.join(unknown)} "
                    f"(known: {', '.join(sorted(FAULT_FIELDS))})",
                )
            try:
                built.append(make_fault(**fields))
            except (TypeError, ValueError) as exc:
                raise XrayApiError(400, f"invalid fault: {exc}") from exc
        pending = 0
        for fault in built:
            pending = self.faults.add(fault)
        return {"pending": pending}
