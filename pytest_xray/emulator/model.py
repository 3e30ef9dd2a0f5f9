"""Plain data of the emulator: configuration, executions, requests, replies and API errors.

Nothing here does I/O; the HTTP layer (:mod:`.server`) and the import logic (:mod:`.imports`)
both speak in these types.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "CLOUD_STATUSES",
    "CLOUD_VERSIONS",
    "DEFAULT_MAX_BODY_BYTES",
    "REDACTED",
    "SERVER_STATUSES",
    "SERVER_VERSIONS",
    "Attachment",
    "Config",
    "Execution",
    "Flavor",
    "Incoming",
    "RecordedRequest",
    "Reply",
    "XrayApiError",
]

Flavor = Literal["server", "cloud"]

SERVER_STATUSES: frozenset[str] = frozenset({"PASS", "FAIL", "TODO", "EXECUTING", "ABORTED"})
"""Built-in Test Run statuses of Xray Server / Data Center."""
CLOUD_STATUSES: frozenset[str] = frozenset({"PASSED", "FAILED", "TODO", "EXECUTING", "ABORTED"})
"""Built-in Test Run statuses of Xray Cloud."""

SERVER_VERSIONS = ("1.0", "2.0", "latest")
"""The ``/rest/raven/{version}`` values Xray Server answers."""
CLOUD_VERSIONS = ("v1", "v2")
"""The ``/api/{version}`` values Xray Cloud answers."""

DEFAULT_MAX_BODY_BYTES = 100 * 1024 * 1024
"""Xray (or the proxy in front of it) refuses uploads above about 100 MiB with HTTP 413."""

REDACTED = "<redacted>"
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


@dataclass(frozen=True)
class Config:
    """How one emulator instance behaves; fixed for its lifetime."""

    flavor: Flavor
    context_path: str
    users: Mapping[str, str]
    tokens: frozenset[str]
    clients: Mapping[str, str]
    require_auth: bool
    custom_statuses: frozenset[str]
    max_body_bytes: int
    validate_schema: bool
    quiet: bool
    oauth_consumers: Mapping[str, str] = field(default_factory=dict)
    """Jira OAuth 1.0a application links: consumer key -> RSA public key (PEM)."""
    oauth_tokens: frozenset[str] = frozenset()
    """Access tokens the OAuth consumers may use."""
    scheme: str = "http"

    @property
    def statuses(self) -> frozenset[str]:
        """Every Test Run status this flavor accepts: its built-ins plus the custom ones."""
        builtins = SERVER_STATUSES if self.flavor == "server" else CLOUD_STATUSES
        return builtins | self.custom_statuses


@dataclass
class Execution:
    """One Test Execution issue and the Test Runs imported into it.

    ``info`` is the Xray JSON ``info`` of the import that created the execution; multipart
    imports add the ``info`` part as received under ``info["issue_fields"]``, JUnit imports
    put their query parameters there (``project``, ``testPlanKey``, ``testEnvironments``,
    ``revision``, ``version``). ``runs`` maps a test key to its Test Run as last imported:
    the ``tests[]`` entry as received (evidence still base64), or for JUnit imports a
    synthesized entry with ``status``, ``comment``, ``evidence`` and ``junit_cases``.
    """

    key: str
    id: str
    info: dict[str, Any] = field(default_factory=dict)
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    imports: int = 0
    project: str = ""

    def to_json(self) -> dict[str, Any]:
        """The execution as a JSON-ready dict (what ``GET /_emulator/executions`` shows)."""
        return {
            "key": self.key,
            "id": self.id,
            "project": self.project,
            "info": self.info,
            "runs": self.runs,
            "imports": self.imports,
        }


@dataclass(frozen=True)
class Attachment:
    """A file attached to a Jira issue through ``POST /rest/api/2/issue/{key}/attachments``."""

    id: str
    filename: str
    content_type: str
    data: bytes

    def to_json(self, base_url: str) -> dict[str, Any]:
        """Jira's description of the attachment (without its content)."""
        return {
            "id": self.id,
            "filename": self.filename,
            "size": len(self.data),
            "mimeType": self.content_type,
            "self": f"{base_url}/rest/api/2/attachment/{self.id}",
            "content": f"{base_url}/secure/attachment/{self.id}/{self.filename}",
        }


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


@dataclass(frozen=True)
class Incoming:
    """One HTTP request as the emulator received it (body fully read)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (case-insensitive), or None."""
        return _header(self.headers, name)

    @property
    def media_type(self) -> str:
        """The media type of the body, lower case, without parameters ('' when absent)."""
        return (self.header("Content-Type") or "").split(";", 1)[0].strip().lower()


@dataclass(frozen=True)
class RecordedRequest:
    """One request the emulator answered (or dropped: ``status`` 0).

    ``path`` is the path as received, without the query string; ``headers`` keep every
    header, Authorization included (the HTTP control endpoint redacts it).
    ``fault`` describes the injected fault that answered the request, if any.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    status: int
    fault: str | None = None

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (case-insensitive), or None."""
        return _header(self.headers, name)

    def json_body(self) -> Any:
        """The body decoded as JSON (raises ValueError when it is not JSON)."""
        return json.loads(self.body)

    def to_json(self, *, redact: bool = True) -> dict[str, Any]:
        """A JSON-ready dict without the body; secret headers redacted unless told not to."""
        headers = {
            key: REDACTED if redact and key.lower() in _SECRET_HEADERS else value
            for key, value in self.headers.items()
        }
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": headers,
            "body_bytes": len(self.body),
            "status": self.status,
            "fault": self.fault,
        }


JSON_TYPE = "application/json;charset=UTF-8"


@dataclass(frozen=True)
class Reply:
    """One HTTP answer: status, body, content type and extra headers."""

    status: int
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def json(cls, status: int, value: Any, headers: Mapping[str, str] | None = None) -> Reply:
        """A JSON answer."""
        body = json.dumps(value, indent=None, sort_keys=False).encode()
        return cls(status, body, JSON_TYPE, tuple((headers or {}).items()))

    @classmethod
    def error(cls, status: int, message: str, headers: Mapping[str, str] | None = None) -> Reply:
        """Xray's error shape: ``{"error": message}``."""
        return cls.json(status, {"error": message}, headers)

    @classmethod
    def text(cls, status: int, text: str, content_type: str = "text/plain;charset=UTF-8") -> Reply:
        """A text (or HTML) answer."""
        return cls(status, text.encode(), content_type)


class XrayApiError(Exception):
    """Raised by request handling to answer ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})

    def reply(self) -> Reply:
        """The answer this error stands for."""
        return Reply.error(self.status, self.message, self.headers)
