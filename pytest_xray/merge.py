"""Merging the reports of CI shards into one Xray JSON document.

Each shard of a split suite writes its report (``--xray-output``); one final job merges them and
uploads the result, so that every shard's results land in one Test Execution. Entries of the same
Xray Test become iterations of one Test Run; the execution's settings (product, execution key,
project, Test Plan, environments, version, revision) must agree between the reports.
:func:`merge_reports` is a pure function; :func:`read_inputs` reads the files, JUnit XML ones
(Surefire writes one per test class) converted to Xray JSON on the way.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from pytest_xray.junit import JUnitRun, is_xml, read_junit
from pytest_xray.payload import _unique, build_payload, format_time, worst_status
from pytest_xray.report import read_report

if TYPE_CHECKING:
    from pytest_xray.settings import Settings

__all__ = ["CLOUD", "SERVER", "MergeError", "merge_reports", "read_inputs", "written_for"]

Payload = dict[str, Any]

SERVER = "Xray Server / Data Center"
CLOUD = "Xray Cloud"
SERVER_NAMES = frozenset({"PASS", "FAIL"})
CLOUD_NAMES = frozenset({"PASSED", "FAILED"})
SETTINGS = ("project", "testPlanKey", "testEnvironments", "version", "revision", "user")
"""``info`` fields that name the execution's settings: they must agree between reports."""


class MergeError(Exception):
    """Reports that cannot be merged; the message names the files and the field."""


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__
    )


def _check_list(where: str, value: Any, item: type, what: str) -> None:
    if not isinstance(value, list):
        raise MergeError(f"{where} is {_kind(value)}, not a list.")
    for index, element in enumerate(value):
        if not isinstance(element, item):
            raise MergeError(f"{where}[{index}] is {_kind(element)}, not {what}.")


def _check_status(where: str, item: Payload) -> None:
    if "status" not in item:
        raise MergeError(f"{where} has no status.")
    if not isinstance(item["status"], str):
        raise MergeError(f"{where} has the status {_kind(item['status'])}, not a status name.")


_LISTS: tuple[tuple[str, type, str], ...] = (
    ("iterations", dict, "an iteration object"),
    ("defects", str, "an issue key"),
    ("customFields", dict, "a custom field object"),
    ("evidence", dict, "an evidence object"),
    ("evidences", dict, "an evidence object"),
)
"""Lists of a ``tests[]`` entry the merge reads, with the type of their items."""
_TEST_INFO_LISTS = ("requirementKeys", "labels")
"""Lists of a ``testInfo`` that the merge joins over every report."""


def _check_entry(where: str, entry: Any) -> None:
    if not isinstance(entry, dict):
        raise MergeError(f"{where} is {_kind(entry)}, not a test object.")
    if isinstance(entry.get("testKey"), str):
        where = f"{where} ({entry['testKey']})"
    _check_status(where, entry)
    for field, item, what in _LISTS:
        if field in entry:
            _check_list(f"{where}: {field}", entry[field], item, what)
    for index, iteration in enumerate(entry.get("iterations") or ()):
        _check_status(f"{where}: iterations[{index}]", iteration)
    for index, custom in enumerate(entry.get("customFields") or ()):
        if not isinstance(custom.get("id"), str):
            raise MergeError(f"{where}: customFields[{index}] has no id.")
    if "testInfo" in entry:
        info = entry["testInfo"]
        if not isinstance(info, dict):
            raise MergeError(f"{where}: testInfo is {_kind(info)}, not an object.")
        for field in _TEST_INFO_LISTS:
            if field in info:
                _check_list(f"{where}: testInfo.{field}", info[field], str, "a string")


def _check_shape(name: str, report: Any) -> None:
    """Raise :class:`MergeError` naming the file and the entry where ``report`` is not Xray
    JSON the merge can read (a hand-edited or truncated report), before anything reads it."""
    if not isinstance(report, dict):
        raise MergeError(f"{name}: the report is {_kind(report)}, not an Xray JSON object.")
    if not isinstance(report.get("tests"), list):
        raise MergeError(f"{name}: tests is {_kind(report.get('tests'))}, not a list.")
    if not isinstance(report.get("info", {}), dict):
        raise MergeError(f"{name}: info is {_kind(report['info'])}, not an object.")
    execution = report.get("testExecutionKey")
    if execution is not None and not isinstance(execution, str):
        raise MergeError(f"{name}: testExecutionKey is {_kind(execution)}, not an issue key.")
    for index, entry in enumerate(report["tests"]):
        _check_entry(f"{name}: tests[{index}]", entry)


def _statuses(report: Payload) -> set[str]:
    found = set()
    for test in report["tests"]:
        found.add(test.get("status"))
        found.update(i.get("status") for i in test.get("iterations") or ())
    return {s for s in found if isinstance(s, str)}


def _markers(report: Payload) -> dict[str, str]:
    """What tells the product a report was written for: ``{product: first marker}``.

    The built-in status names, and the names only one product uses: ``testInfo.testType`` and
    ``evidences`` (Server / DC, as the plugin writes for it) against ``testInfo.type`` and
    ``evidence`` (Cloud). A report of TODO or custom statuses and no such field fits either.
    """
    statuses = _statuses(report)
    found: dict[str, str] = {}
    for product, names in ((SERVER, SERVER_NAMES), (CLOUD, CLOUD_NAMES)):
        used = sorted(statuses & names)
        if used:
            found[product] = f"status {used[0]}"
    for test in report["tests"]:
        info = test.get("testInfo") or {}
        for product, marker, present in (
            (SERVER, "testInfo.testType", "testType" in info),
            (CLOUD, "testInfo.type", "type" in info),
            (SERVER, "evidences", "evidences" in test),
            (CLOUD, "evidence", "evidence" in test),
        ):
            if present:
                found.setdefault(product, marker)
    return found


def written_for(report: Payload) -> tuple[str, str] | None:
    """``(product, what tells it)`` when ``report`` tells which product it was written for
    (:data:`SERVER` or :data:`CLOUD`), else ``None`` (also for a report mixing both)."""
    tests = report.get("tests")
    if not isinstance(tests, list) or not all(isinstance(t, dict) for t in tests):
        return None
    found = _markers(report)
    return next(iter(found.items())) if len(found) == 1 else None


def _product(name: str, report: Payload) -> tuple[str, str] | None:
    """``(product, marker)`` for the product a report was written for, when it tells."""
    found = _markers(report)
    if len(found) > 1:
        raise MergeError(
            f"{name} mixes Xray Server / Data Center names ({found[SERVER]}) and Xray Cloud ones "
            f"({found[CLOUD]}); it cannot be merged."
        )
    return next(iter(found.items()), None)


def _setting(report: Payload, field: str) -> Any:
    if field == "testExecutionKey":
        return report.get("testExecutionKey")
    value = report.get("info", {}).get(field)
    if field == "testEnvironments" and isinstance(value, list):
        return sorted(value)  # the order of environments does not matter
    return value


def _shown(value: Any) -> str:
    if value is None:
        return "not set"
    return json.dumps(value, ensure_ascii=False)


def _check_agreement(reports: Sequence[tuple[str, Payload]]) -> None:
    first_name, first = reports[0]
    product = None
    for name, report in reports:
        found = _product(name, report)
        if found is None:
            continue
        if product is None:
            product = (name, *found)
        elif found[0] != product[1]:
            raise MergeError(
                f"{product[0]} was written for {product[1]} ({product[2]}) but {name} for "
                f"{found[0]} ({found[1]}); run every shard against the same Xray."
            )
    for field in ("testExecutionKey", *(f"info.{name}" for name in SETTINGS)):
        key = field.removeprefix("info.")
        expected = _setting(first, key)
        for name, report in reports[1:]:
            value = _setting(report, key)
            if value != expected:
                raise MergeError(
                    f"{field} is {_shown(expected)} in {first_name} but {_shown(value)} in "
                    f"{name}; shards of one execution need the same settings."
                )


def _time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _extreme(values: Sequence[Any], latest: bool) -> Any:
    """The earliest (or latest) of ISO 8601 date texts, as written; None when there is none."""
    dated = [(moment, text) for text in values if (moment := _time(text)) is not None]
    if not dated:
        return None
    pick = max if latest else min
    return pick(dated, key=lambda pair: pair[0])[1]


def _as_iterations(name: str, entry: Payload) -> list[Payload]:
    """An entry's iterations; a plain entry becomes one iteration named after its report."""
    if entry.get("iterations"):
        return list(entry["iterations"])
    iteration: Payload = {"name": name}
    if entry.get("comment"):
        iteration["log"] = entry["comment"]
    iteration["status"] = entry["status"]
    if entry.get("steps"):
        iteration["steps"] = entry["steps"]
    return [iteration]


_REBUILT = frozenset(
    {"testKey", "testInfo", "status", "start", "finish", "comment", "iterations", "steps"}
    | {"defects", "customFields", "evidence", "evidences"}
)
"""Fields of a merged entry made from every report's entry, not copied from the first."""


def _merged_test_info(entries: Sequence[Payload]) -> Payload | None:
    """The first ``testInfo`` with the requirements and labels of every entry, as a serial run
    sends them (a shard that ran no test with requirements sent no ``testInfo`` for a keyed
    Test)."""
    infos = [entry["testInfo"] for entry in entries if isinstance(entry.get("testInfo"), dict)]
    if not infos:
        return None
    info = dict(infos[0])
    for field in _TEST_INFO_LISTS:
        joined = list(dict.fromkeys(item for i in infos for item in i.get(field) or ()))
        if joined:
            info[field] = joined
    return info


def _merged_custom_fields(entries: Sequence[Payload]) -> list[Payload]:
    """Test Run custom fields of every entry; for one field id the first value wins."""
    fields: dict[Any, Payload] = {}
    for entry in entries:
        for item in entry.get("customFields") or ():
            fields.setdefault(item.get("id"), item)
    return list(fields.values())


_UNSAFE = re.compile(r"[^\w.\-]+")


def _labels(names: Sequence[str]) -> dict[str, str]:
    """A short label for each report: its file name, or the name as given (with its folders)
    when several reports share a file name (``py3.11/report.json``, ``py3.12/report.json``)."""
    counts = Counter(PurePath(name).name for name in names)
    return {
        name: PurePath(name).name if counts[PurePath(name).name] == 1 else name for name in names
    }


def _distinct_iterations(
    entries: Sequence[tuple[str, Payload]], labels: dict[str, str]
) -> list[Payload]:
    """Every entry's iterations; a name found in several reports (each shard ran the whole
    suite, as a matrix over Python versions does) gets its report's label: ``name [py311.json]``."""
    found = [(name, i) for name, entry in entries for i in _as_iterations(name, entry)]
    owners: dict[Any, set[str]] = {}
    for name, iteration in found:
        owners.setdefault(iteration.get("name"), set()).add(name)
    iterations = []
    for name, iteration in found:
        title = iteration.get("name")
        if isinstance(title, str) and len(owners[title]) > 1:
            iteration = {**iteration, "name": f"{title} [{labels[name]}]"}
        iterations.append(iteration)
    return iterations


def _distinct_evidence(
    entries: Sequence[tuple[str, Payload]], field: str, labels: dict[str, str]
) -> list[Payload]:
    """Every entry's evidence; Xray keeps one file per name in a Test Run, so a name found more
    than once starts with its report's stem: ``shard-2__shot.png``."""
    files = [(name, item) for name, entry in entries for item in entry.get(field) or ()]
    counts = Counter(item.get("filename") for _, item in files)
    taken = {n for n, count in counts.items() if count == 1 and isinstance(n, str)}
    evidence = []
    for name, item in files:
        filename = item.get("filename")
        if isinstance(filename, str) and counts[filename] > 1:
            stem = _UNSAFE.sub("_", str(PurePath(labels[name]).with_suffix(""))).strip("._")
            item = {**item, "filename": _unique(f"{stem or 'report'}__{filename}", taken)}
        evidence.append(item)
    return evidence


def _merge_entries(
    entries: Sequence[tuple[str, Payload]],
    labels: dict[str, str],
    ranks: Mapping[str, int] | None = None,
) -> Payload:
    """One ``tests[]`` entry from the entries of one Xray Test in several reports."""
    if len(entries) == 1:
        return entries[0][1]
    first = entries[0][1]
    bodies = [entry for _, entry in entries]
    merged: Payload = {}
    if "testKey" in first:
        merged["testKey"] = first["testKey"]
    info = _merged_test_info(bodies)
    if info is not None:
        merged["testInfo"] = info
    merged.update((k, v) for k, v in first.items() if k not in _REBUILT)
    iterations = _distinct_iterations(entries, labels)
    merged["status"] = worst_status([i["status"] for i in iterations], ranks)
    for field, latest in (("start", False), ("finish", True)):
        value = _extreme([entry.get(field) for _, entry in entries], latest)
        if value is not None:
            merged[field] = value
    counts = Counter(i["status"] for i in iterations)
    merged["comment"] = f"{len(iterations)} iterations: " + ", ".join(
        f"{n} {status}" for status, n in counts.items()
    )
    merged["iterations"] = iterations
    defects = list(dict.fromkeys(d for entry in bodies for d in entry.get("defects") or ()))
    if defects:
        merged["defects"] = defects
    custom_fields = _merged_custom_fields(bodies)
    if custom_fields:
        merged["customFields"] = custom_fields
    for field in ("evidence", "evidences"):
        files = _distinct_evidence(entries, field, labels)
        if files:
            merged[field] = files
    return merged


def _identity(entry: Payload) -> str:
    key = entry.get("testKey")
    if isinstance(key, str):
        return key
    # A Test Xray finds or creates from its testInfo (no key): Generic Tests by definition.
    info = entry.get("testInfo") or {}
    if isinstance(info, dict) and isinstance(info.get("definition"), str):
        return f"definition:{info.get('projectKey')}:{info['definition']}"
    return "testInfo:" + json.dumps(info, sort_keys=True)


def read_inputs(
    paths: Sequence[Path],
    settings: Callable[[], Settings],
    key_from: re.Pattern[str] | None = None,
    announce: Callable[[str], None] | None = None,
) -> list[tuple[str, Payload]]:
    """The files to merge as ``(name, report)``, in the order given.

    Xray JSON reports are read as saved. JUnit XML files (:func:`~pytest_xray.junit.is_xml`)
    are converted as ``pytest-xray upload results.xml`` converts one, with ``settings()``
    (called once, and only when a JUnit file is among ``paths``: the product's status names,
    project, execution settings, ``create_tests``) and ``key_from``; each file is one report,
    like a shard. ``announce`` gets one line on the testcases read.

    Raises :class:`MergeError` when JUnit files are given without a project or an execution
    (a later upload of the merged report could not create one) or none of them has a testcase
    with a key; :class:`~pytest_xray.report.ReportError` and
    :class:`~pytest_xray.junit.JUnitError` for a file that cannot be read.
    """
    junit = [path for path in paths if is_xml(path)]
    converted: dict[Path, Payload] = {}
    if junit:
        chosen = settings()
        if chosen.project is None and chosen.execution is None:
            raise MergeError(
                f"{junit[0]} is JUnit XML, and its results need a project: pass --xray-project "
                "KEY (or XRAY_PROJECT), or --xray-execution KEY to add to an existing one."
            )
        runs = {
            path: read_junit(path, key_from, create_tests=chosen.create_tests) for path in junit
        }
        converted = _converted(runs, chosen, announce)
    return [
        (str(path), converted[path] if path in converted else read_report(path)) for path in paths
    ]


def _converted(
    runs: dict[Path, JUnitRun], settings: Settings, announce: Callable[[str], None] | None
) -> dict[Path, Payload]:
    """Xray JSON for each JUnit file; one summary for all, as they become one execution."""
    results = sum(len(run.execution.results) for run in runs.values())
    testcases = sum(run.testcases for run in runs.values())
    unkeyed = sum(run.unkeyed for run in runs.values())
    files = f"{len(runs)} JUnit XML files" if len(runs) > 1 else str(next(iter(runs)))
    if announce is not None:
        left_out = f"; {unkeyed} without an Xray key left out" if unkeyed else ""
        announce(f"read {testcases} testcases from {files}: {results} results{left_out}")
    if not results:
        raise MergeError(
            f"no testcase of {files} has an Xray key (a test_key property); --key-from REGEX "
            "finds keys in the testcase names, --xray-create-tests reports them by definition."
        )
    if settings.summary is None and settings.execution is None:
        start = format_time(min(run.execution.start for run in runs.values()))
        named = files if len(runs) > 1 else next(iter(runs)).name
        settings = replace(settings, summary=f"Test results from {named}, run at {start}")
    return {path: build_payload(run.execution, settings) for path, run in runs.items()}


def merge_reports(
    reports: Sequence[tuple[str, Payload]], ranks: Mapping[str, int] | None = None
) -> Payload:
    """Merge ``(name, report)`` pairs into one report, or raise :class:`MergeError`.

    ``ranks`` (:func:`pytest_xray.payload.status_ranks` of the settings) tells how bad the
    custom statuses of ``--xray-status`` are; Xray's built-in names need none.

    Tests keep the order of their first appearance (reports in the order given). Entries of one
    Xray Test in several reports become the iterations of one entry (a plain entry becomes one
    iteration named after its report), with the worst status, the earliest start, the latest
    finish and every defect. ``info`` takes the earliest ``startDate``, the latest
    ``finishDate`` and the other fields of the first report.
    """
    if not reports:
        raise MergeError("no report to merge.")
    for name, report in reports:
        _check_shape(name, report)
    _check_agreement(reports)
    groups: dict[str, list[tuple[str, Payload]]] = {}
    for name, report in reports:
        for entry in report["tests"]:
            groups.setdefault(_identity(entry), []).append((name, entry))
    first = reports[0][1]
    merged: Payload = {}
    if "testExecutionKey" in first:
        merged["testExecutionKey"] = first["testExecutionKey"]
    info = dict(first.get("info") or {})
    infos = [report.get("info") or {} for _, report in reports]
    for field, latest in (("startDate", False), ("finishDate", True)):
        value = _extreme([i.get(field) for i in infos], latest)
        if value is not None:
            info[field] = value
    merged["info"] = info
    labels = _labels([name for name, _ in reports])
    merged["tests"] = [_merge_entries(entries, labels, ranks) for entries in groups.values()]
    return merged
