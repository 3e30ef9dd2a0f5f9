"""Result collection: turning the reports of each test into one :class:`TestResult`.

:class:`ResultCollector` runs where reports arrive (the only process, or the xdist controller).
It folds the setup, call and teardown reports of each test into one :class:`TestResult`, with
the Xray data and evidence that :mod:`pytest_xray.annotate` read where the test ran (from the
:class:`~pytest_xray.annotate.ItemAnnotator` of this process, or from report attributes sent by
an xdist worker). Per report it does a dictionary lookup and a few assignments; everything else
waits for the end.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from pytest_xray.annotate import META_ATTRIBUTE, ItemAnnotator
from pytest_xray.evidence import (
    EVIDENCE_ATTRIBUTE,
    LEFT_OUT_ATTRIBUTE,
    evidence_of,
    format_size,
    output_evidence,
)
from pytest_xray.model import Evidence, Execution, Outcome, TestResult, truncate
from pytest_xray.settings import Settings
from pytest_xray.userhooks import UserHooks
from pytest_xray.workers import (
    WORKER_DESELECTED,
    WORKER_HOOKS,
    WORKER_META_DIR,
    MetaDirectory,
    worker_id,
)

__all__ = ["ResultCollector"]


class _Pending:
    """A test whose teardown report has not arrived yet (a plain class with slots: one is made
    per test, on the hot path)."""

    __slots__ = (
        "attempts",
        "decisive",
        "evidence",
        "left_out",
        "message",
        "meta",
        "outcome",
        "rerun",
        "start",
    )
    meta: dict[str, Any]
    start: float
    attempts: int
    rerun: bool
    outcome: Outcome
    message: str
    evidence: list[Evidence]
    left_out: list[str]
    decisive: pytest.TestReport | None
    """The report that decided ``outcome`` (for the ``pytest_xray_status`` hook)."""

    def __init__(self, meta: dict[str, Any], start: float) -> None:
        self.meta = meta
        self.start = start
        self.attempts = 1
        self._reset()

    def restart(self) -> None:
        """A rerun started: only the last attempt's outcome and evidence count."""
        self.attempts += 1
        self._reset()

    def _reset(self) -> None:
        self.rerun = False
        self.outcome = Outcome.PASSED
        self.message = ""
        self.evidence = []
        self.left_out = []
        self.decisive = None

    def apply(self, report: pytest.TestReport) -> None:
        """Fold one report into the outcome, as pytest decides: a failure or error is never
        undone by a skip, a teardown skip changes nothing, and of the subtests (the
        ``subtests`` fixture) only failures count."""
        when, outcome = report.when, report.outcome
        wasxfail = hasattr(report, "wasxfail")
        if outcome == "passed" and not wasxfail:  # the common case: nothing changes
            if self.decisive is None or (when == "call" and self.outcome is Outcome.PASSED):
                self.decisive = report
            return
        # Only reports that did not pass pay for these checks.
        context = getattr(report, "context", None)
        if context is not None and when == "call":
            self._subtest(report, context)
            return
        if outcome == "skipped" and (
            when == "teardown" or self.outcome is Outcome.FAILED or self.outcome is Outcome.ERROR
        ):
            return
        spoils_pass = self.outcome == Outcome.PASSED and outcome != "passed"
        if self.decisive is None or when == "call" or spoils_pass:
            # setup first, then the call; a later phase only when it spoils a pass
            self.decisive = report
        if outcome == "failed":
            text = failure_text(report)
            label = f"{when} error" if when in ("setup", "teardown") else "worker crashed"
            if when == "call":
                if self.outcome is Outcome.FAILED:  # failed subtests came first
                    self.message = f"{text}\n\n{self.message}"
                else:
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

    def _subtest(self, report: pytest.TestReport, context: Any) -> None:
        """A subtest's report (pytest 9's ``SubtestReport``, pytest-subtests' ``SubTestReport``):
        a failure fails the test and adds its text; a skipped or xfailed subtest does not
        change the test's outcome (pytest does not either)."""
        if report.outcome != "failed":
            return
        text = f"subtest {_subtest_name(context)} failed:\n{failure_text(report)}"
        if self.outcome is Outcome.FAILED:
            self.message = truncate(f"{self.message}\n\n{text}")
        else:
            self.outcome, self.message, self.decisive = Outcome.FAILED, truncate(text), report


def _subtest_name(context: Any) -> str:
    """A subtest as pytest names it: ``[msg] (name=value, ...)``."""
    msg = getattr(context, "msg", None)
    kwargs = getattr(context, "kwargs", None) or {}
    parts = [f"[{msg}]"] if msg is not None else []
    if kwargs:
        parts.append("(" + ", ".join(f"{name}={value}" for name, value in kwargs.items()) + ")")
    return " ".join(parts) or "(<subtest>)"


OUTPUT_OUTCOMES: dict[str, frozenset[Outcome]] = {
    "never": frozenset(),
    "on-failure": frozenset({Outcome.FAILED, Outcome.ERROR}),
    "always": frozenset(Outcome),
}
"""The outcomes whose captured output is attached, per ``xray_attach_output``."""


def _pairs(pairs: Any) -> tuple[tuple[str, Any], ...]:
    if not pairs:
        return ()
    if type(pairs) is tuple and all(type(pair) is tuple for pair in pairs):
        return pairs
    return tuple((name, value) for name, value in pairs)


def _worker_of(report: pytest.TestReport) -> str | None:
    return worker_id(getattr(report, "node", None))


def failure_text(report: pytest.TestReport) -> str:
    """The report's text as pytest shows it, without the ``[gw0] linux -- Python ...`` line
    that reports from an xdist worker start with (so that a run gives the same text with or
    without xdist)."""
    text = report.longreprtext
    worker = _worker_of(report)
    if worker is not None and text.startswith(f"[{worker}] "):
        text = text.partition("\n")[2].strip()  # strip() as longreprtext does
    return text


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        reason = str(longrepr[2]).removeprefix("Skipped: ")
        return f"skipped: {reason}"
    return report.longreprtext


@dataclass(eq=False)  # registered as a plugin: must stay hashable (by identity)
class ResultCollector:
    """Builds the run's :class:`Execution` from the reports that reach this process.

    Results are put in collection order at the end (under xdist they arrive in the order
    workers finish them), so a run gives the same report with or without xdist.
    """

    settings: Settings = field(default_factory=Settings)
    start: float = field(default_factory=time.time)
    results: list[TestResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    hooks: UserHooks | None = None
    """The user hooks ``pytest_xray_status`` / ``pytest_xray_result`` (None: not called)."""
    local: ItemAnnotator | None = None
    """The annotator of this process, when tests run here (not on xdist workers): the Xray
    data and evidence of its tests are read from it rather than from report attributes."""
    _pending: dict[tuple[str, Any], _Pending] = field(default_factory=dict)
    _evidence_bytes: int = 0
    _order: dict[str, int] = field(default_factory=dict)
    _worker_meta: MetaDirectory = field(default_factory=MetaDirectory)
    _crashed_attempts: dict[str, tuple[int, float]] = field(default_factory=dict)
    """Attempts and first start of tests whose worker crashed and that run again."""
    _items: dict[str, pytest.Item] = field(default_factory=dict)
    _worker_hooks_told: bool = False
    _deselected: set[str] = field(default_factory=set)
    """Under xdist: the keys of tests the workers deselected."""
    _call_hooks: bool | None = None
    """Whether a per-test user hook is implemented; known once the first test finished."""
    _unmarked: set[str] = field(default_factory=set)
    """Node ids of tests without Xray data: a rerun or ``--dist each`` reports a test again."""

    @property
    def unmarked(self) -> int:
        """How many tests ran without an xray marker (and were left out)."""
        return len(self._unmarked)

    def __post_init__(self) -> None:
        self._output_outcomes = OUTPUT_OUTCOMES[self.settings.attach_output]

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # A plain run finishes its tests in collection order: no order map to keep.
        # Only in a plain run: the xdist controller never collects, its hooks get item=None.
        if self.hooks is not None and self.hooks.implemented("pytest_xray_result"):
            self._items = {item.nodeid: item for item in session.items}

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        if not self._order:  # every worker collects the same tests in the same order
            self._order = {nodeid: index for index, nodeid in enumerate(ids)}

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[WORKER_META_DIR] = self._worker_meta.path

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        output = getattr(node, "workeroutput", {})
        self._deselected.update(output.get(WORKER_DESELECTED, ()))
        if self.hooks is None or self._worker_hooks_told:
            return
        worker_hooks = output.get(WORKER_HOOKS, ())
        missing = [name for name in worker_hooks if not self.hooks.implemented(name)]
        if missing:
            self._worker_hooks_told = True
            self.warnings.append(
                f"{', '.join(missing)}: implemented in a conftest.py that only the pytest-xdist "
                "workers load, so never called: the controller builds the results and loads "
                "only the conftest.py of the root directory (or of a directory named on the "
                "command line); move the hook there, or into a plugin"
            )

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # Under xdist, phases of different tests interleave: key by test and worker.
        # Typed wider than pytest's Literals: xdist's crash reports say "???", reruns "rerun".
        nodeid: str = report.nodeid
        when: str = report.when
        outcome: str = report.outcome
        key = (nodeid, getattr(report, "node", None))
        pending = self._pending.get(key)
        if when == "setup":
            meta = self.local.metas.get(nodeid) if self.local is not None else None
            if meta is None:  # from an xdist worker (the controller's annotator has none)
                meta = getattr(report, META_ATTRIBUTE, None)
            if meta is None:
                self._unmarked.add(nodeid)
                return
            if pending is None:
                pending = self._pending[key] = self._begin(nodeid, meta, report)
            else:
                pending.restart()
        elif when == "teardown":
            if pending is None:
                return
            self._take_evidence(nodeid, report, pending)
        elif when != "call":
            # The report pytest-xdist makes for a test whose worker crashed (when "???").
            self._crashed(key, pending, report)
            return
        elif pending is None:
            return
        if outcome == "rerun":  # pytest-rerunfailures: this attempt does not count
            pending.rerun = True
            return
        pending.apply(report)
        if when == "teardown" and not pending.rerun:
            del self._pending[key]
            self._finish(report, pending)

    def _take_evidence(self, nodeid: str, report: pytest.TestReport, pending: _Pending) -> None:
        """The files the test attached, in this process or (under xdist) on a worker."""
        recorder = self.local.recorders.pop(nodeid) if self.local is not None else None
        if recorder is not None:
            files: Any = recorder.files
            left_out: Any = recorder.left_out
        else:
            files = getattr(report, EVIDENCE_ATTRIBUTE, None)
            left_out = getattr(report, LEFT_OUT_ATTRIBUTE, None)
        pending.evidence = evidence_of(files) if files else []
        pending.left_out = list(left_out) if left_out else []

    def _begin(self, nodeid: str, meta: dict[str, Any], report: pytest.TestReport) -> _Pending:
        pending = _Pending(meta, getattr(report, "start", 0.0) or time.time())
        earlier = self._crashed_attempts.pop(nodeid, None) if self._crashed_attempts else None
        if earlier is not None:  # this test ran before on a worker that crashed
            pending.attempts += earlier[0]
            pending.start = min(pending.start, earlier[1])
        return pending

    def _crashed(
        self, key: tuple[str, Any], pending: _Pending | None, report: pytest.TestReport
    ) -> None:
        self._pending.pop(key, None)
        if str(report.outcome) == "rerun":  # pytest-rerunfailures runs it again elsewhere
            attempts, start = (pending.attempts, pending.start) if pending else (1, time.time())
            self._crashed_attempts[report.nodeid] = (attempts, start)
            return
        if pending is None:
            # The worker died before it sent this test's setup report.
            meta = self._worker_meta.lookup(report.nodeid, _worker_of(report))
            if meta is None:  # not reported (or a remote worker): nothing to report
                return
            pending = self._begin(report.nodeid, meta, report)
        pending.apply(report)
        self._finish(report, pending)

    def _evidence(self, report: pytest.TestReport, pending: _Pending, runs: int) -> list[Evidence]:
        """The test's evidence that fits the per-upload limit, counted once per Test Run it
        lands on; what does not fit is named in :attr:`warnings`."""
        self.warnings.extend(f"evidence left out: {line}" for line in pending.left_out)
        evidence = list(pending.evidence)
        if pending.outcome in self._output_outcomes:
            output = output_evidence(report.sections, self.settings.evidence_max_file)
            if output is not None:
                evidence.append(output[0])
                if output[1] is not None:
                    self.warnings.append(f"evidence cut: {report.nodeid}: {output[1]}")
        return [item for item in evidence if self._fits(report.nodeid, item, runs)]

    def _fits(self, nodeid: str, item: Evidence, runs: int) -> bool:
        """Whether ``item``, on ``runs`` Test Runs, still fits the per-upload limit (then it is
        counted); a warning when it does not."""
        size = item.size * runs
        limit = self.settings.evidence_max_total
        if self._evidence_bytes + size > limit:
            self.warnings.append(
                f"evidence left out: {nodeid}: {item.filename} ({format_size(item.size)}) "
                f"does not fit the per-upload limit of {format_size(limit)} "
                "(xray_evidence_max_total)"
            )
            return False
        self._evidence_bytes += size
        return True

    def _hook_evidence(self, result: TestResult, earlier: list[Evidence], runs: int) -> None:
        """The size limits on the files a ``pytest_xray_result`` hook attached, as on the
        test's own (``earlier``, counted on ``runs`` Test Runs); those it removed give their room
        back."""
        seen = {id(item) for item in earlier}
        now = {id(item) for item in result.evidence}
        for item in earlier:
            if id(item) not in now:
                self._evidence_bytes -= item.size * runs
        runs = max(len(result.keys), 1)
        max_file = self.settings.evidence_max_file
        kept = []
        for item in result.evidence:
            if id(item) not in seen:
                if item.size > max_file:
                    self.warnings.append(
                        f"evidence left out: {result.nodeid}: {item.filename} "
                        f"({format_size(item.size)}) is over the per-file limit of "
                        f"{format_size(max_file)} (xray_evidence_max_file)"
                    )
                    continue
                if not self._fits(result.nodeid, item, runs):
                    continue
            kept.append(item)
        result.evidence = kept

    def _finish(self, report: pytest.TestReport, pending: _Pending) -> None:
        meta = pending.meta
        # In this process the data's tuples are shared; from an xdist worker they are lists.
        keys, parameters, fields = meta["keys"], meta["parameters"], meta.get("custom_fields")
        evidence = (
            self._evidence(report, pending, max(len(keys), 1))
            if pending.evidence or pending.left_out or pending.outcome in self._output_outcomes
            else []  # the common case: nothing attached
        )
        result = TestResult(
            nodeid=report.nodeid,
            keys=keys if type(keys) is tuple else tuple(keys),
            outcome=pending.outcome,
            start=pending.start,
            finish=getattr(report, "stop", 0.0) or time.time(),
            message=pending.message,
            parameters=_pairs(parameters),
            defects=tuple(meta.get("defects", ())),
            requirements=tuple(meta.get("requirements", ())),
            attempts=pending.attempts,
            evidence=evidence,
            custom_fields=_pairs(fields),
            definition=meta.get("definition"),
            summary=meta.get("summary", ""),
            worker=_worker_of(report),
        )
        self.results.append(result)
        if self._call_hooks is None:  # every conftest.py is loaded once a test has run
            self._call_hooks = self.hooks is not None and (
                self.hooks.implemented("pytest_xray_status")
                or self.hooks.implemented("pytest_xray_result")
            )
        if self._call_hooks:
            self._user_hooks(result, report, pending)

    def _user_hooks(self, result: TestResult, report: pytest.TestReport, pending: _Pending) -> None:
        """``pytest_xray_status`` then ``pytest_xray_result`` on a finished result."""
        assert self.hooks is not None
        status = self.hooks.status(pending.decisive or report, pending.outcome)
        if status is not None:
            result.status = status
        earlier, runs = list(result.evidence), max(len(result.keys), 1)
        self.hooks.result(result, self._items.get(report.nodeid), report)
        if result.evidence != earlier:  # the hook attached or removed files
            self._hook_evidence(result, earlier, runs)

    def execution(self) -> Execution:
        """The run so far, in collection order; tests still pending (an interrupted run) are
        left out."""
        results = self.results
        if self._order:  # under xdist, results arrive in the order workers finish them
            last = len(self._order)
            results = sorted(
                results, key=lambda r: (self._order.get(r.nodeid, last), r.worker or "")
            )
        self._warn_about_split_keys(results)
        return Execution(
            start=self.start, finish=time.time(), results=results, warnings=self.warnings
        )

    def _warn_about_split_keys(self, results: list[TestResult]) -> None:
        """An import into an existing execution replaces each key's Test Run, iterations and
        all: a key whose other tests were deselected here (another CI shard runs them) ends up
        with whichever shard imported last."""
        execution = self.settings.execution
        deselected = self._deselected | (self.local.deselected if self.local else set())
        if not execution or not deselected:
            return
        split = sorted({key for result in results for key in result.keys} & deselected)
        if split:
            more = f" and {len(split) - 5} more" if len(split) > 5 else ""
            self.warnings.append(
                f"{', '.join(split[:5])}{more}: some of their tests were deselected here; the "
                f"import into {execution} replaces each key's Test Run, so shards that share a "
                "key overwrite each other's results: run all of a key's tests in one shard, or "
                "merge the shards' reports (pytest-xray merge) and upload once"
            )

    def forget_collection(self) -> None:
        """Let go of every test's collected Xray data once all tests ran: results keep what
        they need, and at 100 000 tests the memory is better reused by the payload."""
        if self.local is not None:
            self.local.metas.clear()

    def close(self) -> None:
        """Remove what the run left on disk."""
        self._worker_meta.close()
