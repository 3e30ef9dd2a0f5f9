"""Keeping secrets out of text: which secrets a run holds, and :func:`scrub` to take them out.

A run's secrets are its credentials, the HTTP Basic header value, the proxy's password and the
Xray Cloud tokens obtained with its settings (kept in :data:`cloud_tokens`, also for reuse).
Nothing here needs requests, so a dry run can scrub without importing it.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import weakref
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from pytest_xray.settings import Settings

__all__ = [
    "CloudTokens",
    "all_secrets",
    "basic_credentials",
    "cloud_tokens",
    "scrub",
    "scrub_secrets",
]

_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]+@")


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with every secret replaced by ``***``, and ``user:password@`` taken out of
    every URL in it (requests and urllib3 quote proxy URLs in their errors).

    A secret is also found in the escaped forms that error messages quote it in: its
    ``repr()``, the ``repr()`` of its UTF-8 bytes (http.client's "Invalid header value
    b'Bearer …'") and its JSON string."""
    forms = {form for secret in secrets if secret for form in _quoted_forms(secret)}
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, "***")
    return _USERINFO.sub(r"\1***@", text)


def scrub_secrets(text: str, settings: Settings) -> str:
    """``text`` without any secret that ``settings`` carry, as :func:`scrub` takes them out:
    the credentials, the HTTP Basic header value, the proxy's password, and every Xray Cloud
    token obtained with these settings in this process."""
    return scrub(text, all_secrets(settings))


def _quoted_forms(secret: str) -> tuple[str, ...]:
    """``secret`` as is and as ``repr``, bytes ``repr`` and JSON quote it (without quotes)."""
    return (
        secret,
        repr(secret)[1:-1],
        repr(secret.encode("utf-8", "backslashreplace"))[2:-1],
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    )


def basic_credentials(user: str, password: str) -> str:
    """The value after ``Basic `` in an HTTP Basic header: ``user:password`` encoded as UTF-8
    (as Jira decodes it), then base64."""
    pair = f"{user}:{password}".encode("utf-8", "backslashreplace")
    return base64.b64encode(pair).decode("ascii")


class CloudTokens:
    """The Xray Cloud tokens obtained in this process, by run, for reuse and for scrubbing.

    A run resolves its :class:`Settings` once and gives that object to everything that talks
    to Xray, so the object stands for the run: a later run (a new object, perhaps other
    credentials) authenticates afresh. An entry goes when its settings are garbage collected."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_run: dict[int, list[str]] = {}

    def add(self, settings: Settings, token: str) -> None:
        """Record ``token``, obtained with ``settings``."""
        run = id(settings)
        with self._lock:
            if run not in self._by_run:
                self._by_run[run] = []
                weakref.finalize(settings, self._forget, run)
            self._by_run[run].append(token)

    def of(self, settings: Settings) -> tuple[str, ...]:
        """Every token obtained with ``settings``, oldest first."""
        with self._lock:
            return tuple(self._by_run.get(id(settings), ()))

    def _forget(self, run: int) -> None:
        with self._lock:
            self._by_run.pop(run, None)


cloud_tokens = CloudTokens()
"""The process's one record of Cloud tokens."""


def all_secrets(settings: Settings) -> tuple[str, ...]:
    """The secrets to scrub: credentials, the Basic header value, the proxy's password, the
    Cloud tokens obtained with ``settings``."""
    creds = settings.credentials
    found = list(creds.secrets())
    if creds.user and creds.password:
        found.append(basic_credentials(creds.user, creds.password))
    if settings.proxy:
        password = urlsplit(settings.proxy).password
        if password:
            found.extend({password, unquote(password)})
    found.extend(cloud_tokens.of(settings))
    return tuple(found)
