"""``--xray-check``: before any test runs, ask Xray whether every key of the collected tests is a
Test, so a typo costs seconds instead of a two-hour run that Xray then refuses.

The check runs where tests are collected, once, right after collection:

* in a plain run (and with ``--collect-only``), in ``pytest_collection_finish``; a problem is a
  :class:`pytest.UsageError` (exit status 4) that lists each key with the tests using it;
* under pytest-xdist the controller never collects, so it asks ONE worker (chosen in
  ``pytest_configure_node``) to check what it collected. That worker sends a problem to the
  controller as a failed collection report before it reports its collection done, so the
  controller stops the run (the same usage error) before scheduling any test.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from pytest_xray.errors import XrayError
from pytest_xray.settings import Settings

if TYPE_CHECKING:
    from pytest_xray.client import XrayClient

__all__ = ["PREFIX", "CheckOutcome", "PreflightCheck", "check_key", "check_keys", "keys_of"]

PREFIX = "pytest-xray: --xray-check: "
"""How every message of a failed check starts (the CI summary labels such a failure)."""

REFUSED_STATUSES = frozenset({200, 400, 404, 422})
"""Answers that mean Xray (or Jira's JQL) refused a lookup because of its keys: a batch so
refused is split to find the keys at fault. 200 is a GraphQL answer carrying ``errors``."""

EXTRA_QUERIES = 50
"""Most lookups spent on splitting refused batches; keys left then share the batch's error."""

TESTS_SHOWN = 3
"""Tests named per problem key; the rest are counted."""

_WORKER_FLAG = "xray_check"
_FAILURE_ATTRIBUTE = "xray_check_failure"
_CHECKED_OUTPUT = "xray_checked"


@dataclass
class CheckOutcome:
    """What the pre-flight check found."""

    checked: int = 0
    """How many distinct keys were looked up."""
    problems: list[str] = field(default_factory=list)
    """One line per key that is not a Test: the key, why, and the tests using it."""
    error: str | None = None
    """Why the check could not be done (connection, credentials), if it could not."""
    url: str = ""
    seconds: float = 0.0
    relayed: str | None = None
    """The message of a failed check, as an xdist worker sent it to the controller."""

    @property
    def failed(self) -> bool:
        return bool(self.problems) or self.error is not None or self.relayed is not None

    def message(self) -> str:
        """The usage error that stops the run (lines, for pytest's ``ERROR:`` output)."""
        if self.relayed is not None:
            return self.relayed
        if self.error is not None:
            return (
                f"{PREFIX}cannot check the Xray keys: {self.error}\n"
                "No test was run; fix the connection or the credentials, or run without "
                "--xray-check."
            )
        head = (
            f"{PREFIX}{len(self.problems)} of {self.checked} Xray keys of the "
            f"collected tests are not Tests in {self.url} (no such issue, or an issue of "
            "another type); no test was run:"
        )
        fix = "Fix the keys in @pytest.mark.xray, or create the Tests in Xray."
        return "\n".join([head, *(f"  {line}" for line in self.problems), fix])

    def summary(self) -> str:
        """The line for the terminal summary of a run that passed the check."""
        keys = (
            "the Xray key is a Test"
            if self.checked == 1
            else f"all {self.checked} Xray keys are Tests"
        )
        return f"pre-flight check: {keys} ({self.seconds:.1f} s)"


def keys_of(items: Iterable[pytest.Item], metas: Mapping[str, Any]) -> dict[str, list[str]]:
    """Xray key -> node ids of the tests marked with it, in collection order (``metas``: the
    Xray data of each reported test, by node id)."""
    users: dict[str, list[str]] = {}
    for item in items:
        meta = metas.get(item.nodeid)
        if meta is not None:
            for key in meta["keys"]:
                users.setdefault(key, []).append(item.nodeid)
    return users


def _tests(nodeids: Sequence[str]) -> str:
    shown = ", ".join(nodeids[:TESTS_SHOWN])
    more = len(nodeids) - TESTS_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


class _LookupFailed(Exception):
    """Xray refused every lookup alike, whatever the keys: the lookup itself cannot work."""

    def __init__(self, error: XrayError) -> None:
        super().__init__(
            f"{error}; check xray_url (--xray-url, XRAY_URL): every lookup got this answer, "
            "whatever its keys"
        )


def _alike(one: XrayError | None, other: XrayError) -> bool:
    return one is not None and one.status == other.status and str(one) == str(other)


class _Lookup:
    """Batched lookups, splitting a refused batch in halves to find the keys at fault."""

    def __init__(self, client: XrayClient) -> None:
        self.client = client
        self.refused: dict[str, str] = {}
        self.found: set[str] = set()
        self.spare = EXTRA_QUERIES
        self.working = False
        """Whether some lookup got an answer: from then on a refusal is about its keys."""

    def run(self, keys: Sequence[str]) -> None:
        """Raises :class:`_LookupFailed` when the lookup cannot work at this address."""
        from pytest_xray.client import TESTS_PER_QUERY

        for start in range(0, len(keys), TESTS_PER_QUERY):
            self._batch(keys[start : start + TESTS_PER_QUERY])

    def _ask(self, keys: Sequence[str]) -> XrayError | None:
        """Look ``keys`` up; Xray's refusal, or ``None`` when it answered."""
        try:
            self.found |= self.client.get_tests(keys)
        except XrayError as error:
            if error.status not in REFUSED_STATUSES:
                raise
            return error
        self.working = True
        return None

    def _batch(self, keys: Sequence[str]) -> None:
        refusal = self._ask(keys)
        if refusal is not None:
            self._split(keys, refusal)

    def _split(self, keys: Sequence[str], refusal: XrayError) -> None:
        if len(keys) == 1 or self.spare < 2:
            self.refused.update((key, str(refusal)) for key in keys)
            return
        self.spare -= 2
        half = len(keys) // 2
        parts = (keys[:half], keys[half:])
        if self.working:
            for part in parts:
                self._batch(part)
            return
        # No lookup has been answered yet. A wrong address (a missing context path answers 404)
        # refuses every lookup the same way: when both halves get the very answer of the whole,
        # stop here rather than spend a request per key to blame every key. Keys that Xray
        # refuses make answers that differ (Jira names the key), or a half that is answered.
        answers = [(part, self._ask(part)) for part in parts]
        if not self.working and all(_alike(answer, refusal) for _, answer in answers):
            raise _LookupFailed(refusal)
        for part, answer in answers:
            if answer is not None:
                self._split(part, answer)


def check_keys(settings: Settings, users: dict[str, list[str]]) -> CheckOutcome:
    """Look up every key of ``users`` (key -> tests) in Xray; never raises for Xray problems."""
    began = time.perf_counter()
    outcome = CheckOutcome(checked=len(users), url=settings.url or "")
    if not users:
        return outcome
    # Imported here: requests and the client cost every pytest run that loads the plugin.
    from pytest_xray.client import XrayClient

    try:
        with XrayClient(settings) as client:
            lookup = _Lookup(client)
            lookup.run(list(users))
    except (XrayError, _LookupFailed) as error:
        outcome.error = str(error)
        return outcome
    for key, nodeids in users.items():
        if key in lookup.refused:
            outcome.problems.append(
                f"{key}: Xray refused it ({lookup.refused[key]}); used by {_tests(nodeids)}"
            )
        elif key not in lookup.found:
            outcome.problems.append(f"{key}: used by {_tests(nodeids)}")
    outcome.seconds = time.perf_counter() - began
    return outcome


check_key = pytest.StashKey[CheckOutcome]()
"""The check's outcome on ``config.stash`` (where it ran, and on the xdist controller)."""


class PreflightCheck:
    """The ``--xray-check`` plugin object: runs the check, stops the run when it fails."""

    def __init__(self, config: pytest.Config, settings: Settings, metas: Mapping[str, Any]) -> None:
        self.config = config
        self.settings = settings
        self.metas = metas
        workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
        self.worker = workerinput is not None
        self.runs_here = workerinput is None or bool(workerinput.get(_WORKER_FLAG))
        self._checker: str | None = None

    @pytest.hookimpl(tryfirst=True)  # before xdist's worker announces its collection
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if not self.runs_here:
            return
        if (
            session.testsfailed
            and not self.worker
            and not self.config.option.continue_on_collection_errors
        ):
            return  # pytest stops for the collection errors (bad markers too): show those first
        outcome = check_keys(self.settings, keys_of(session.items, self.metas))
        self.config.stash[check_key] = outcome
        if not outcome.failed:
            if self.worker:
                self.config.workeroutput[_CHECKED_OUTPUT] = (  # type: ignore[attr-defined]
                    outcome.checked,
                    outcome.seconds,
                )
            return
        if not self.worker:
            raise pytest.UsageError(outcome.message())
        message = outcome.message()
        report = pytest.CollectReport("", "failed", message, [])
        setattr(report, _FAILURE_ATTRIBUTE, message)  # travels to the controller with the report
        self.config.hook.pytest_collectreport(report=report)
        session.items.clear()  # nothing runs here, whatever happens on the controller

    # -- the xdist controller ------------------------------------------------------------------

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """Ask one worker (the same one again if it is restarted) to run the check."""
        if self._checker is None:
            self._checker = node.gateway.id
        node.workerinput[_WORKER_FLAG] = node.gateway.id == self._checker

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        checked = getattr(node, "workeroutput", {}).get(_CHECKED_OUTPUT)
        if checked is not None and check_key not in self.config.stash:
            count, seconds = checked
            self.config.stash[check_key] = CheckOutcome(checked=count, seconds=seconds)

    @pytest.hookimpl(tryfirst=True)  # before the terminal shows it as a collection error
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        message = getattr(report, _FAILURE_ATTRIBUTE, None)
        if message is not None and not self.worker:
            self.config.stash[check_key] = CheckOutcome(relayed=message)
            raise pytest.UsageError(message)
