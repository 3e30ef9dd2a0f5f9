"""Retries with exponential backoff and jitter, honouring ``Retry-After``, without duplicates.

Why a loop here and not ``HTTPAdapter(max_retries=urllib3.Retry(...))``: urllib3's ``Retry``
decides by HTTP *method* (``allowed_methods``) and is mounted once per session, but our rule
depends on the request's *meaning*: both a create and an import into a known execution are
``POST import/execution``, yet only the second may be repeated after a read timeout, a dropped
connection or a 502/504 (the first may already have created an execution). urllib3 also clamps a
long ``Retry-After`` (``retry_after_max``, urllib3 >= 2.x only, and requests allows 1.26) where we
give up and say why, reports exhaustion as a bare ``MaxRetryError``, cannot tell the user about
each retry as it waits, and sleeps through ``time.sleep`` inside the connection pool. One small
loop at the client's single boundary (:meth:`XrayClient.request`) keeps the whole rule in view.

The rule (also in the README, "Reliability"):

- connection failures before anything was sent, 429 and 503 (refused before processing) are
  retried for every request;
- a read timeout, a connection dropped after sending, 502 and 504 (the request may have been
  processed) are retried only for repeatable requests (an import into a known Test Execution,
  authentication); for a create they raise :class:`UncertainError` at once;
- 400, 401, 403, 404, 413 and every other answer are never retried here.

A ``Retry-After`` sets the wait; one longer than ``max_wait`` (``inf`` too) gives up at once,
and one that asks for no wait (0, negative, ``nan``, a date past) counts as absent.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TypeVar

from pytest_xray.defaults import DEFAULT_MAX_WAIT, DEFAULT_RETRIES
from pytest_xray.errors import TransientError, UncertainError, XrayError

__all__ = [
    "RetryPolicy",
    "call_with_retries",
    "retry_after_seconds",
    "sleep",
]

T = TypeVar("T")
_random = random.Random()


def sleep(seconds: float) -> None:
    """Wait between attempts. Tests replace this function (``monkeypatch.setattr``)."""
    time.sleep(seconds)


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: a number or an HTTP date.

    None when absent, unreadable, ``nan``, zero or less, or a date not in the future: such a
    value asks for no wait at all, and retrying at once only spends the attempts, so our own
    backoff applies. ``inf`` (or a number too large for a float) stays ``math.inf``: longer
    than any ``xray_max_wait``, so the caller gives up as for any long Retry-After."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        current = datetime.now(timezone.utc).timestamp() if now is None else now
        seconds = when.timestamp() - current
    return seconds if seconds > 0 else None  # NaN compares false: None too


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry. ``retries`` counts attempts after the first."""

    retries: int = DEFAULT_RETRIES
    max_wait: float = DEFAULT_MAX_WAIT
    base: float = 1.0
    cap: float = 30.0

    def backoff(self, retry: int) -> float:
        """Wait before retry number ``retry`` (1-based): exponential, with half of it random
        so that parallel CI jobs do not retry in lockstep; never above ``max_wait``."""
        ceiling = min(self.cap, self.base * 2.0 ** (retry - 1), self.max_wait)
        return float(ceiling / 2 + _random.uniform(0, ceiling / 2))


def call_with_retries(
    send: Callable[[], T],
    policy: RetryPolicy,
    *,
    repeatable: bool,
    notify: Callable[[str], None] | None = None,
) -> T:
    """Call ``send`` until it returns, retrying :class:`TransientError` by the module's rule.

    Raises :class:`UncertainError` for a possibly processed failure of a non-repeatable
    request, and :class:`XrayError` saying how many attempts were made when giving up.
    """
    began = time.monotonic()
    attempt = 1
    while True:
        try:
            return send()
        except TransientError as error:
            if error.reached and not repeatable:
                raise UncertainError(
                    f"{error}; the request may have created a Test Execution all the same, so it "
                    "was not repeated (that could create a second one)"
                ) from None
            if attempt > policy.retries:
                spent = time.monotonic() - began
                tries = "1 attempt" if attempt == 1 else f"{attempt} attempts in {spent:.0f} s"
                raise XrayError(f"{error} (gave up after {tries}; see xray_retries)") from None
            asked = retry_after_seconds(error.retry_after)
            if asked is not None and asked > policy.max_wait:
                after = f"{asked:.0f} s" if math.isfinite(asked) else "an endless wait"
                raise XrayError(
                    f"{error}; Xray asked to retry after {after} (Retry-After), longer than "
                    f"xray_max_wait ({policy.max_wait:g} s): gave up"
                ) from None
            wait = asked if asked is not None else policy.backoff(attempt)
            if notify is not None:
                notify(f"{error}; retry {attempt} of {policy.retries} in {wait:.1f} s")
            sleep(wait)
            attempt += 1
