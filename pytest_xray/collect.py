"""Result collection: the pytest hooks, kept thin.

Two plugin objects, like pytest's junitxml and pytest-xdist split the work:

* :class:`ItemAnnotator` runs where tests are collected and run (the only process, or each xdist
  worker). It validates markers at collection and puts the test's Xray data on its setup report,
  so the data travels with the report (xdist serializes report attributes).
* :class:`ResultCollector` runs where reports arrive (the only process, or the xdist controller).
  It folds the setup, call and teardown reports of each test into one :class:`TestResult`.
  Per report it does a dictionary lookup and a few assignments; everything else waits for the end.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import pytest

from pytest_xray.markers import MarkerError, item_parameters, parse_item
from pytest_xray.model import Execution, Outcome, TestResult, truncate

__all__ = ["META_ATTRIBUTE", "ItemAnnotator", "ResultCollector"]

META_ATTRIBUTE = "xray_meta"
"""Name of the attribute that carries a test's Xray data on its setup report."""

meta_key = pytest.StashKey[dict[str, Any]]()


class ItemAnnotator:
    """Validates ``xray`` markers at collection and annotates setup reports."""

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        report = yield
        if not report.passed:
            return report
        errors = []
        for node in report.result:
            if not isinstance(node, pytest.Item):
                continue
            try:
                mark = parse_item(node)
            except MarkerError as error:
                errors.append(str(error))
                continue
            if mark is not None:
                node.stash[meta_key] = {**mark.to_dict(), "parameters": item_parameters(node)}
        if errors:
            # A real collection error: pytest shows it under "ERROR collecting" and stops.
            report.outcome = "failed"
            report.longrepr = "\n".join(errors)
            report.result = []
        return report

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if call.when == "setup":
            meta = item.stash.get(meta_key, None)
            if meta is not None:
                setattr(report, META_ATTRIBUTE, meta)
        return report


@dataclass
class _Pending:
    """A test whose teardown report has not arrived yet."""

    meta: dict[str, Any]
    start: float
    outcome: Outcome = Outcome.PASSED
    message: str = ""
    attempts: int = 1
    rerun: bool = False

    def restart(self) -> None:
        """A rerun started: only the last attempt's outcome counts."""
        self.attempts += 1
        self.rerun = False
        self.outcome = Outcome.PASSED
        self.message = ""

    def apply(self, report: pytest.TestReport) -> None:
        when, outcome = report.when, report.outcome
        wasxfail = hasattr(report, "wasxfail")
        if outcome == "failed":
            text = report.longreprtext
            label = f"{when} error" if when in ("setup", "teardown") else "worker crashed"
            if when == "call":
                self.outcome, self.message = Outcome.FAILED, text
            elif self.outcome in (Outcome.FAILED, Outcome.ERROR):
                self.message = f"{self.message}\n\n{label}:\n{text}"
            else:  # setup, teardown, or a crashed xdist worker ("???")
                self.outcome, self.message = Outcome.ERROR, f"{label}:\n{text}"
        elif outcome == "skipped":
            if wasxfail:
                reason = report.wasxfail
                self.outcome = Outcome.XFAILED
                self.message = f"expected failure: {reason}" if reason else "expected failure"
            else:
                self.outcome, self.message = Outcome.SKIPPED, _skip_reason(report)
        elif outcome == "passed" and when == "call" and wasxfail:
            self.outcome = Outcome.XPASSED
            self.message = f"unexpectedly passed: {report.wasxfail}".rstrip(": ")
        self.message = truncate(self.message)


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        reason = str(longrepr[2]).removeprefix("Skipped: ")
        return f"skipped: {reason}"
    return report.longreprtext


@dataclass(eq=False)  # registered as a plugin: must stay hashable (by identity)
class ResultCollector:
    """Builds the run's :class:`Execution` from the reports that reach this process."""

    start: float = field(default_factory=time.time)
    results: list[TestResult] = field(default_factory=list)
    unmarked: int = 0
    _pending: dict[tuple[str, Any], _Pending] = field(default_factory=dict)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # Under xdist, phases of different tests interleave: key by test and worker.
        key = (report.nodeid, getattr(report, "node", None))
        pending = self._pending.get(key)
        if report.when == "setup":
            meta = getattr(report, META_ATTRIBUTE, None)
            if meta is None:
                self.unmarked += 1
                return
            if pending is None:
                pending = self._pending[key] = _Pending(meta, getattr(report, "start", time.time()))
            else:
                pending.restart()
        elif pending is None:
            return
        if str(report.outcome) == "rerun":  # pytest-rerunfailures: this attempt does not count
            pending.rerun = True
            return
        pending.apply(report)
        if report.when not in ("setup", "call") and not pending.rerun:
            # teardown, or the "???" report pytest-xdist makes for a test whose worker crashed
            del self._pending[key]
            self._finish(report, pending)

    def _finish(self, report: pytest.TestReport, pending: _Pending) -> None:
        meta = pending.meta
        self.results.append(
            TestResult(
                nodeid=report.nodeid,
                keys=tuple(meta["keys"]),
                outcome=pending.outcome,
                start=pending.start,
                finish=getattr(report, "stop", 0.0) or time.time(),
                message=pending.message,
                parameters=tuple((name, value) for name, value in meta["parameters"]),
                defects=tuple(meta.get("defects", ())),
                requirements=tuple(meta.get("requirements", ())),
                attempts=pending.attempts,
            )
        )

    def execution(self) -> Execution:
        """The run so far; tests still pending (an interrupted run) are left out."""
        return Execution(start=self.start, finish=time.time(), results=self.results)
