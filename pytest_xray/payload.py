"""Xray JSON from the model: pure functions, no pytest, no I/O.

The shape follows Xray's import format (``/import/execution``): one ``tests[]`` entry per Xray
Test; several pytest tests for one key become ``iterations`` of that entry.

Server / Data Center and Cloud differ in two names here: the test type in ``testInfo`` is
``testType`` on Server and ``type`` on Cloud; Test Run evidence is sent as ``evidences`` to
Server (the name every Server version knows; current Data Center keeps it as an alias of
``evidence``) and as ``evidence`` to Cloud.
"""

from __future__ import annotations

import functools
import math
import platform
import re
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pytest_xray.model import Evidence, Execution, Outcome, TestResult

if TYPE_CHECKING:
    from pytest_xray.settings import Settings

__all__ = [
    "build_payload",
    "execution_issue",
    "format_time",
    "status_of",
    "status_ranks",
    "worst_status",
]

GENERIC = "Generic"

Payload = dict[str, Any]

_FAILING = frozenset({"FAIL", "FAILED", "ABORTED"})
_PASSING = frozenset({"PASS", "PASSED"})


def format_time(timestamp: float) -> str:
    """ISO 8601 with the local ``+HH:MM`` offset, as in Xray's examples (to the second)."""
    return _format_second(math.floor(timestamp), (time.tzname, time.timezone, time.altzone))


@functools.lru_cache(maxsize=256)
def _format_second(second: int, zone: object) -> str:
    # Cached because many tests end in the same second and astimezone() + isoformat() were most
    # of the payload's build time at 100 000 results. The local zone is part of the key, so
    # a time.tzset() to another zone is never answered from the cache.
    return datetime.fromtimestamp(second).astimezone().isoformat(timespec="seconds")


def status_of(result: TestResult, statuses: Mapping[Outcome, str]) -> str:
    """The Xray status of one result: a hook's choice, else the outcome's mapping."""
    return result.status or statuses[result.outcome]


def status_ranks(mapping: Mapping[Outcome, str]) -> dict[str, int]:
    """How bad each status that ``mapping`` (the settings' outcome → status) gives is: what a
    failure or an error maps to is worst (2), then what a skip maps to (1), then what a pass
    or an xpass maps to (0). A status mapped from both a failure and a pass counts as failing."""
    ranks = {mapping[outcome]: 0 for outcome in (Outcome.PASSED, Outcome.XPASSED)}
    ranks[mapping[Outcome.SKIPPED]] = 1
    ranks.update((mapping[outcome], 2) for outcome in (Outcome.FAILED, Outcome.ERROR))
    return ranks


def _severity(status: str, ranks: Mapping[str, int]) -> int:
    rank = ranks.get(status)
    if rank is not None:
        return rank
    # A status no outcome maps to came from a hook (pytest_xray_status / pytest_xray_result)
    # or from another report: Xray's built-in names are known, the rest rank with TODO.
    if status in _FAILING:
        return 2
    if status in _PASSING:
        return 0
    return 1  # TODO, EXECUTING and custom statuses: not a pass, not a failure


def worst_status(statuses: Sequence[str], ranks: Mapping[str, int] | None = None) -> str:
    """Failing statuses over the rest (TODO, custom) over passing ones; first wins a tie.

    ``ranks`` (from :func:`status_ranks`) places the statuses the settings map outcomes to,
    such as ``failed=BROKEN``; Xray's built-in names rank as their meaning says."""
    known = ranks or {}
    return max(statuses, key=lambda status: _severity(status, known))


def _message(result: TestResult) -> str:
    text = result.message
    if result.attempts > 1:
        note = f"{result.attempts} attempts (reruns); this is the last one: {result.outcome.value}."
        text = f"{note}\n{text}" if text else note
    return text


_UNSAFE_LABEL = re.compile(r"[^\w.\-]+", re.ASCII)
_LABEL_LIMIT = 80


def _name_parts(nodeid: str) -> tuple[str, ...]:
    """``a/test_m.py::TestA::test_x[p/1]`` → ``("a", "test_m", "TestA", "test_x[p/1]")``: the
    directories, the module, the classes and the test with its parameters (which may hold any
    character, so they are split off first)."""
    bracket = nodeid.find("[")
    base, params = (nodeid[:bracket], nodeid[bracket:]) if bracket >= 0 else (nodeid, "")
    path, *names = base.split("::")
    *folders, module = path.split("/")
    parts = [*folders, module.removesuffix(".py"), *names]
    parts[-1] += params
    return tuple(part for part in parts if part)


def _safe_label(text: str) -> str:
    label = _UNSAFE_LABEL.sub("_", text).strip("._") or "test"
    if len(label) > _LABEL_LIMIT:  # keep both ends: the class or module and the parameters
        half = (_LABEL_LIMIT - 2) // 2
        label = f"{label[:half]}..{label[-half:]}"
    return label


def _iteration_labels(results: Sequence[TestResult]) -> list[str]:
    """A short, file-name-safe label per iteration, unique within the Test Run: the test's name
    with its parameters (``test_login_alice-chrome``), preceded by as many of its classes,
    module and folders as it takes to tell it from the group's other tests
    (``TestA.test_x`` / ``TestB.test_x``, ``a.test_m.test_x`` / ``b.test_m.test_x``); a test
    run by several xdist workers (``--dist each``) adds the worker."""
    parts = {nodeid: _name_parts(nodeid) for nodeid in dict.fromkeys(r.nodeid for r in results)}
    depth = dict.fromkeys(parts, 0)
    unresolved = list(parts)
    level = 0
    while unresolved:
        level += 1
        counts = Counter(names[-level:] for names in parts.values())
        still = []
        for nodeid in unresolved:
            if counts[parts[nodeid][-level:]] == 1 or level >= len(parts[nodeid]):
                depth[nodeid] = level
            else:
                still.append(nodeid)
        unresolved = still
    seen = Counter(r.nodeid for r in results)
    labels: list[str] = []
    taken: set[str] = set()
    for result in results:
        label = _safe_label(".".join(parts[result.nodeid][-depth[result.nodeid] :]))
        if seen[result.nodeid] > 1 and result.worker:
            label = f"{label}_{result.worker}"
        unique, number = label, 1
        while unique in taken:  # "test_p[a b]" and "test_p[a_b]" are both "test_p_a_b"
            number += 1
            unique = f"{label}-{number}"
        taken.add(unique)
        labels.append(unique)
    return labels


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        taken.add(name)
        return name
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem:
        stem, suffix = name, ""
    number = 2
    while True:
        candidate = f"{stem}-{number}" + (f".{suffix}" if suffix else "")
        if candidate not in taken:
            taken.add(candidate)
            return candidate
        number += 1


def _evidence(results: Sequence[TestResult], iterated: bool) -> list[Payload]:
    """The evidence of a Test Run; with iterations each file name starts with its iteration's
    test name, so that a file can be traced to the iteration it came from."""
    taken: set[str] = set()
    items = []
    with_evidence = iterated and any(result.evidence for result in results)
    labels = _iteration_labels(results) if with_evidence else []
    for index, result in enumerate(results):
        prefix = f"{labels[index]}__" if with_evidence else ""
        for evidence in result.evidence:
            items.append(_evidence_item(evidence, _unique(prefix + evidence.filename, taken)))
    return items


def _evidence_item(evidence: Evidence, filename: str) -> Payload:
    return {"data": evidence.data, "filename": filename, "contentType": evidence.content_type}


def _custom_fields(results: Sequence[TestResult]) -> list[Payload]:
    """Test Run custom fields of every result; for one field id the first result's value wins."""
    fields: dict[str, Any] = {}
    for result in results:
        for name, value in result.custom_fields:
            fields.setdefault(name, value)
    return [{"id": name, "value": value} for name, value in fields.items()]


def _project_of(key: str) -> str:
    return key.rsplit("-", 1)[0]


def _test_info(
    identity: tuple[str, str], results: Sequence[TestResult], settings: Settings
) -> Payload | None:
    """The ``testInfo`` of a Test: always for a Test found by its definition; for a Test found
    by key only when it has requirements to link (Xray then also updates its summary and type
    from this, so nothing else is sent)."""
    kind, value = identity
    requirements = list(dict.fromkeys(r for result in results for r in result.requirements))
    if kind == "key" and not requirements:
        return None
    summary = next((r.summary for r in results if r.summary), "")
    info: Payload = {
        "projectKey": _project_of(value) if kind == "key" else settings.project or "",
        "summary": summary or results[0].nodeid.rsplit("::", 1)[-1].split("[", 1)[0],
        "testType" if not settings.cloud else "type": GENERIC,
    }
    if kind == "definition":
        info["definition"] = value
        labels = dict.fromkeys(settings.test_labels)
        labels.update(dict.fromkeys(label for result in results for label in result.labels))
        if labels:
            info["labels"] = list(labels)
    if requirements:
        info["requirementKeys"] = requirements
    return info


def _identify(
    identity: tuple[str, str], results: Sequence[TestResult], settings: Settings
) -> Payload:
    entry: Payload = {}
    if identity[0] == "key":
        entry["testKey"] = identity[1]
    info = _test_info(identity, results, settings)
    if info is not None:
        entry["testInfo"] = info
    return entry


def _extras(entry: Payload, results: Sequence[TestResult], settings: Settings) -> Payload:
    """Defects, evidence and custom fields of a Test Run, when it has any."""
    defects = list(dict.fromkeys(d for r in results for d in r.defects))
    if defects:
        entry["defects"] = defects
    evidence = _evidence(results, iterated=len(results) > 1)
    if evidence:
        entry["evidence" if settings.cloud else "evidences"] = evidence
    custom_fields = _custom_fields(results)
    if custom_fields:
        entry["customFields"] = custom_fields
    return entry


def _single(identity: tuple[str, str], result: TestResult, settings: Settings) -> Payload:
    if identity[0] == "key" and not result.requirements:
        entry: Payload = {"testKey": identity[1]}  # most tests: no testInfo to send
    else:
        entry = _identify(identity, [result], settings)
    entry["start"] = format_time(result.start)
    entry["finish"] = format_time(result.finish)
    entry["status"] = status_of(result, settings.statuses)
    comment = _message(result)
    if comment:
        entry["comment"] = comment
    if result.defects or result.evidence or result.custom_fields:
        _extras(entry, [result], settings)
    return entry


def _iteration(result: TestResult, statuses: Mapping[Outcome, str], twice: bool) -> Payload:
    # The same test run by several workers (pytest-xdist --dist each): name the worker too.
    name = f"{result.nodeid} [{result.worker}]" if twice and result.worker else result.nodeid
    iteration: Payload = {"name": name}
    if result.parameters:
        iteration["parameters"] = [{"name": n, "value": v} for n, v in result.parameters]
    log = _message(result)
    if log:
        iteration["log"] = log
    iteration["status"] = status_of(result, statuses)
    return iteration


def _iterated(
    identity: tuple[str, str],
    results: Sequence[TestResult],
    settings: Settings,
    ranks: Mapping[str, int],
) -> Payload:
    seen = Counter(r.nodeid for r in results)
    iterations = [_iteration(r, settings.statuses, seen[r.nodeid] > 1) for r in results]
    counts: dict[str, int] = {}
    for iteration in iterations:
        counts[iteration["status"]] = counts.get(iteration["status"], 0) + 1
    entry = _identify(identity, results, settings)
    entry.update(
        {
            "start": format_time(min(r.start for r in results)),
            "finish": format_time(max(r.finish for r in results)),
            "status": worst_status([i["status"] for i in iterations], ranks),
            "comment": f"{len(iterations)} iterations: "
            + ", ".join(f"{n} {status}" for status, n in counts.items()),
            "iterations": iterations,
        }
    )
    return _extras(entry, results, settings)


_DEFINITION = "\0"
"""Prefix of a group name that is a definition, not a key (no issue key holds a NUL)."""


def _groups(results: Sequence[TestResult]) -> dict[str, TestResult | list[TestResult]]:
    """Results by the Xray Test they report to, in order of first appearance: each key of a
    marked test, and the definition of an unmarked one (``--xray-create-tests``). A Test
    with one result (most of them) gets no list: at 100 000 results those lists were a
    good part of the session end's memory."""
    groups: dict[str, TestResult | list[TestResult]] = {}
    for result in results:
        if result.keys:
            names: Sequence[str] = result.keys
        elif result.definition is not None:
            names = (_DEFINITION + result.definition,)
        else:
            continue
        for name in names:
            found = groups.get(name)
            if found is None:
                groups[name] = result
            elif isinstance(found, list):
                found.append(result)
            else:
                groups[name] = [found, result]
    return groups


def build_tests(execution: Execution, settings: Settings) -> list[Payload]:
    """One ``tests[]`` entry per Xray Test: plain for one pytest test, iterations for several."""
    tests = []
    ranks = status_ranks(settings.statuses)
    for name, found in _groups(execution.results).items():
        if name.startswith(_DEFINITION):
            identity = ("definition", name[len(_DEFINITION) :])
        else:
            identity = ("key", name)
        if isinstance(found, list):
            tests.append(_iterated(identity, found, settings, ranks))
        else:
            tests.append(_single(identity, found, settings))
    return tests


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
    payload["tests"] = build_tests(execution, settings)
    return payload


def execution_issue(payload: Payload, settings: Settings) -> Payload | None:
    """The ``info`` part of a multipart import: the Jira fields of the new Test Execution, built
    from the payload's ``info`` and ``xray_execution_fields`` (which win over the plugin's).

    ``None`` when the plain JSON import applies: no execution fields are configured, or the
    results go to an existing Test Execution. Server / DC takes Jira's create-issue JSON, with the
    Test Plan and Test Environments in the custom fields named by ``xray_test_plan_field`` and
    ``xray_environments_field``; Cloud takes ``fields`` plus ``xrayFields``.
    """
    if settings.execution_fields is None or payload.get("testExecutionKey"):
        return None
    info: Payload = payload.get("info", {})
    fields: Payload = {
        "project": {"key": info.get("project", settings.project)},
        "summary": info.get("summary", ""),
        "issuetype": {"name": "Test Execution"},
    }
    if info.get("description"):
        fields["description"] = info["description"]
    if info.get("version"):
        fields["fixVersions"] = [{"name": info["version"]}]
    plan, environments = info.get("testPlanKey"), info.get("testEnvironments")
    if settings.cloud:
        issue: Payload = {"fields": fields}
        xray_fields: Payload = {}
        if plan:
            xray_fields["testPlanKey"] = plan
        if environments:
            xray_fields["environments"] = list(environments)
        fields.update(settings.execution_fields)
        if xray_fields:
            issue["xrayFields"] = xray_fields
        return issue
    if plan and settings.test_plan_field:
        fields[settings.test_plan_field] = [plan]
    if environments and settings.environments_field:
        fields[settings.environments_field] = list(environments)
    fields.update(settings.execution_fields)
    return {"fields": fields}
