"""Xray JSON from the model: pure functions, no pytest, no I/O.

The shape follows Xray's import format (``/import/execution``): one ``tests[]`` entry per Xray
Test; several pytest tests for one key become ``iterations`` of that entry.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pytest_xray.model import Execution, Outcome, TestResult

if TYPE_CHECKING:
    from pytest_xray.settings import Settings

__all__ = ["build_payload", "format_time", "status_of", "worst_status"]

Payload = dict[str, Any]

_FAILING = frozenset({"FAIL", "FAILED", "ABORTED"})
_PASSING = frozenset({"PASS", "PASSED"})


def format_time(timestamp: float) -> str:
    """ISO 8601 with the local ``+HH:MM`` offset, as in Xray's examples."""
    return datetime.fromtimestamp(timestamp).astimezone().isoformat(timespec="seconds")


def status_of(result: TestResult, statuses: Mapping[Outcome, str]) -> str:
    """The Xray status of one result: a hook's choice, else the outcome's mapping."""
    return result.status or statuses[result.outcome]


def _severity(status: str) -> int:
    if status in _FAILING:
        return 2
    if status in _PASSING:
        return 0
    return 1  # TODO, EXECUTING and custom statuses: not a pass, not a failure


def worst_status(statuses: Sequence[str]) -> str:
    """Failing statuses over the rest (TODO, custom) over passing ones; first wins a tie."""
    return max(statuses, key=_severity)


def _message(result: TestResult) -> str:
    text = result.message
    if result.attempts > 1:
        note = f"{result.attempts} attempts (reruns); this is the last one: {result.outcome.value}."
        text = f"{note}\n{text}" if text else note
    return text


def _single(key: str, result: TestResult, statuses: Mapping[Outcome, str]) -> Payload:
    entry: Payload = {
        "testKey": key,
        "start": format_time(result.start),
        "finish": format_time(result.finish),
        "status": status_of(result, statuses),
    }
    comment = _message(result)
    if comment:
        entry["comment"] = comment
    if result.defects:
        entry["defects"] = list(result.defects)
    return entry


def _iteration(result: TestResult, statuses: Mapping[Outcome, str]) -> Payload:
    iteration: Payload = {"name": result.nodeid}
    if result.parameters:
        iteration["parameters"] = [{"name": n, "value": v} for n, v in result.parameters]
    log = _message(result)
    if log:
        iteration["log"] = log
    iteration["status"] = status_of(result, statuses)
    return iteration


def _iterated(key: str, results: Sequence[TestResult], statuses: Mapping[Outcome, str]) -> Payload:
    iterations = [_iteration(r, statuses) for r in results]
    counts: dict[str, int] = {}
    for iteration in iterations:
        counts[iteration["status"]] = counts.get(iteration["status"], 0) + 1
    entry: Payload = {
        "testKey": key,
        "start": format_time(min(r.start for r in results)),
        "finish": format_time(max(r.finish for r in results)),
        "status": worst_status([i["status"] for i in iterations]),
        "comment": f"{len(iterations)} iterations: "
        + ", ".join(f"{n} {status}" for status, n in counts.items()),
        "iterations": iterations,
    }
    defects = list(dict.fromkeys(d for r in results for d in r.defects))
    if defects:
        entry["defects"] = defects
    return entry


def build_tests(execution: Execution, statuses: Mapping[Outcome, str]) -> list[Payload]:
    """One ``tests[]`` entry per Xray key: plain for one pytest test, iterations for several."""
    return [
        _single(key, results[0], statuses)
        if len(results) == 1
        else _iterated(key, results, statuses)
        for key, results in execution.by_key().items()
    ]


def build_info(execution: Execution, settings: Settings, host: str | None = None) -> Payload:
    """The ``info`` object: the Test Execution's fields."""
    info: Payload = {}
    summary = settings.summary
    if summary is None and settings.execution is None:
        summary = f"pytest run on {host or platform.node()} at {format_time(execution.start)}"
    fields = {
        "project": settings.project,
        "summary": summary,
        "description": settings.description,
        "version": settings.fix_version,
        "revision": settings.revision,
        "testPlanKey": settings.test_plan,
    }
    info.update((name, value) for name, value in fields.items() if value)
    if settings.environments:
        info["testEnvironments"] = list(settings.environments)
    info["startDate"] = format_time(execution.start)
    info["finishDate"] = format_time(execution.finish)
    return info


def build_payload(execution: Execution, settings: Settings, host: str | None = None) -> Payload:
    """The whole Xray JSON document for ``execution``; ``tests`` is empty when no result has a key
    (Xray refuses such a document, so callers check before sending)."""
    payload: Payload = {}
    if settings.execution:
        payload["testExecutionKey"] = settings.execution
    payload["info"] = build_info(execution, settings, host)
    payload["tests"] = build_tests(execution, settings.statuses)
    return payload
