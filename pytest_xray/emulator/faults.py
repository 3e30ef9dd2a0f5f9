"""Injected faults: the failures a real Xray (or the proxy in front of it) answers with.

A fault is queued with a count and consumed by the next requests it applies to: by default
import and authenticate requests; with ``match``, any API request whose path contains it.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, replace
from http import HTTPStatus
from typing import Any

from .model import Reply

__all__ = ["FAULT_FIELDS", "Fault", "FaultQueue", "fault_reply", "make_fault"]

FAULT_FIELDS = frozenset(
    {"status", "retry_after", "times", "delay", "drop", "html", "body", "match"}
)
"""The keyword arguments of ``XrayEmulator.inject`` (and keys of ``POST /_emulator/faults``)."""

LOGIN_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Log in - Jira</title></head>
<body>
<h1>Log in</h1>
<form id="login-form" method="post" action="/login.jsp">
<label>Username <input name="os_username"></label>
<label>Password <input name="os_password" type="password"></label>
<input type="submit" value="Log In">
</form>
</body>
</html>
"""


@dataclass(frozen=True)
class Fault:
    """One queued fault; ``times`` is how many more requests it will answer."""

    status: int | None = None
    retry_after: str | None = None
    delay: float = 0.0
    drop: bool = False
    html: bool = False
    body: str | None = None
    match: str | None = None
    times: int = 1

    @property
    def answers(self) -> bool:
        """Whether the fault replaces the normal answer (a pure delay does not)."""
        return self.status is not None or self.html

    def describe(self) -> str:
        """A short description, kept with the recorded request."""
        parts = []
        if self.drop:
            parts.append("drop")
        if self.html:
            parts.append("html")
        if self.status is not None:
            parts.append(str(self.status))
        if self.delay:
            parts.append(f"delay {self.delay:g}s")
        return "+".join(parts)

    def applies_to(self, path: str, default_target: bool) -> bool:
        """Whether this fault answers a request to ``path``."""
        if self.match is None:
            return default_target
        return self.match in path

    def to_json(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return asdict(self)


def make_fault(
    *,
    status: int | None = None,
    retry_after: str | int | float | None = None,
    times: int = 1,
    delay: float = 0.0,
    drop: bool = False,
    html: bool = False,
    body: str | None = None,
    match: str | None = None,
) -> Fault:
    """Check the arguments of ``inject`` and build the fault (ValueError when inconsistent)."""
    if isinstance(times, bool) or not isinstance(times, int) or times < 1:
        raise ValueError("times must be a positive integer")
    if isinstance(delay, bool) or not isinstance(delay, (int, float)) or delay < 0:
        raise ValueError("delay must be a number of seconds >= 0")
    if status is not None and (
        isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599
    ):
        raise ValueError("status must be an HTTP status code (100-599)")
    if drop and (status is not None or html or body is not None or retry_after is not None):
        raise ValueError("drop closes the connection without an answer: no status/html/body")
    if retry_after is not None:
        retry_after = str(retry_after)
        if status is None:
            status = 429
    if html and status is None:
        status = 200
    if body is not None and status is None:
        raise ValueError("body needs a status")
    if status is None and not drop and not delay:
        raise ValueError("a fault needs at least one of status, html, drop or delay")
    if match is not None and not isinstance(match, str):
        raise ValueError("match must be a string (a part of the request path)")
    return Fault(status, retry_after, float(delay), bool(drop), bool(html), body, match, times)


def fault_reply(fault: Fault) -> Reply:
    """The answer of a fault that replaces the normal answer."""
    status = fault.status if fault.status is not None else 200
    headers: tuple[tuple[str, str], ...] = ()
    if fault.retry_after is not None:
        headers = (("Retry-After", fault.retry_after),)
    if fault.body is not None:
        kind = "application/json;charset=UTF-8"
        if not fault.body.lstrip().startswith(("{", "[", '"')):
            kind = "text/plain;charset=UTF-8"
        return Reply(status, fault.body.encode(), kind, headers)
    if fault.html:
        return Reply(status, LOGIN_PAGE.encode(), "text/html;charset=UTF-8", headers)
    if status == 413:
        return Reply(status, b"Request Entity Too Large", "text/plain;charset=UTF-8", headers)
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Injected fault"
    message = f"{reason} (injected by the Xray emulator)"
    reply = Reply.error(status, message)
    return replace(reply, headers=headers)


class FaultQueue:
    """Thread-safe FIFO of faults; each request consumes at most one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> int:
        """Queue ``fault``; returns how many faults are pending."""
        with self._lock:
            self._faults.append(fault)
            return len(self._faults)

    def take(self, path: str, default_target: bool) -> Fault | None:
        """Consume one use of the first fault that applies to ``path``."""
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.applies_to(path, default_target):
                    if fault.times > 1:
                        self._faults[index] = replace(fault, times=fault.times - 1)
                    else:
                        del self._faults[index]
                    return replace(fault, times=1)
        return None

    def pending(self) -> list[Fault]:
        """The faults still queued."""
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        """Forget every queued fault."""
        with self._lock:
            self._faults.clear()
