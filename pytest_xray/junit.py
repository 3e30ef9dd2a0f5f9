"""JUnit XML into the model, with junitparser: pytest's ``--junitxml``, JUnit 5, Surefire, Jest...

Keys come from Xray's JUnit properties (``<property name="test_key" value="CALC-1"/>``, one per
key) or from a ``--key-from`` pattern over the testcase's name; ``requirements`` and ``defects``
(comma-separated), ``testrun_comment`` and ``testrun_evidence`` are read as Xray's own JUnit
import reads them, ``tags`` (comma-separated) as the labels of a Test created by definition.
Outcomes come from ``failure``/``error``/``skipped``; times from the testsuite ``timestamp``
plus the ``time`` of the testcases before each one. The result is an
:class:`~pytest_xray.model.Execution`, so a JUnit file becomes the same Xray JSON as a pytest run.
"""

from __future__ import annotations

import base64
import binascii
import math
import mimetypes
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

import junitparser

from pytest_xray.markers import ISSUE_KEY
from pytest_xray.model import Evidence, Execution, Outcome, TestResult, truncate

__all__ = ["JUnitError", "JUnitRun", "is_xml", "read_junit"]

_T = TypeVar("_T")
_SEPARATORS = re.compile(r"[,;\s]+")
_PARAMETERS = re.compile(r"\[.*\]$")
_RERUNS = frozenset({"rerunFailure", "rerunError", "flakyFailure", "flakyError"})
"""Surefire's records of earlier attempts of a rerun test."""


class JUnitError(Exception):
    """A JUnit file that cannot be read or used; the message names the file (and testcase)."""


@dataclass
class JUnitRun:
    """What a JUnit file holds, in the model."""

    execution: Execution
    testcases: int = 0
    unkeyed: int = 0
    """Testcases without an Xray key (left out)."""


def is_xml(path: Path) -> bool:
    """Whether ``path`` holds XML rather than JSON: its name ends in ``.xml``, or its first
    character is ``<`` (so that an empty or cut ``results.xml`` gets the XML reader's error)."""
    if path.suffix.lower() == ".xml":
        return True
    try:
        with path.open("rb") as handle:
            start = handle.read(64)
    except OSError:
        return False
    return start.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"


def _parse(path: Path) -> junitparser.JUnitXml:
    try:
        if path.stat().st_size == 0:
            raise JUnitError(f"{path} is an empty file, not a JUnit XML report.")
        return junitparser.JUnitXml.fromfile(str(path))
    except OSError as error:
        raise JUnitError(f"cannot read {path}: {error.strerror or error}") from None
    except SyntaxError as error:  # ElementTree's ParseError and lxml's XMLSyntaxError
        position = getattr(error, "position", None) or (error.lineno, error.offset)
        line, column = position[0], position[1]
        reason = str(error).split(": line ")[0].split(", line ")[0]
        raise JUnitError(
            f"{path} is not well-formed XML (line {line}, column {column}): {reason}"
        ) from None
    except junitparser.JUnitXmlError:
        raise JUnitError(
            f"{path} is not a JUnit XML report: its root element is not <testsuites> or "
            "<testsuite>."
        ) from None


def _children(element: Any, kind: type[_T]) -> list[_T]:
    """The direct children of a junitparser element of one kind."""
    return list(element.iterchildren(kind))


def _text(element: Any) -> str:
    # junitparser has no accessor for the text of a property or of an unknown element.
    return str(element._elem.text or "").strip()


def _moment(text: str | None, naive_utc: bool = False) -> float | None:
    """A POSIX time from ISO 8601; without an offset it is local time (Ant, Surefire, pytest
    before 7.2) or, with ``naive_utc``, UTC (xray-junit-extensions' ``started-at``)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None and naive_utc:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _seconds(case: junitparser.TestCase) -> float:
    try:
        seconds = float(case.time or 0.0)
    except ValueError:
        return 0.0
    return seconds if math.isfinite(seconds) and seconds > 0 else 0.0  # "nan", "inf": unknown


def _properties(case: junitparser.TestCase) -> Iterator[tuple[str, junitparser.Property]]:
    for properties in _children(case, junitparser.Properties):
        for prop in properties:
            if prop.name:
                yield str(prop.name), prop


def _value(prop: junitparser.Property) -> str:
    return str(prop.value) if prop.value is not None else _text(prop)


def _split(value: str) -> list[str]:
    return [part for part in _SEPARATORS.split(value) if part]


@dataclass
class _Case:
    """One testcase, read."""

    label: str
    keys: list[str] = field(default_factory=list)
    requirements: list[str] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    comment: str = ""
    summary: str = ""
    evidence: list[Evidence] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


class _Reader:
    def __init__(self, path: Path, key_from: re.Pattern[str] | None) -> None:
        self.path = path
        self.key_from = key_from

    def fail(self, label: str, message: str) -> JUnitError:
        return JUnitError(f"{self.path}: testcase {label!r}: {message}")

    def case(self, case: junitparser.TestCase) -> _Case:
        name, classname = str(case.name or ""), str(case.classname or "")
        read = _Case(label=f"{classname}.{name}" if classname else name)
        for prop_name, prop in _properties(case):
            value = _value(prop)
            if prop_name == "test_key":
                read.keys.extend(_split(value))
            elif prop_name == "requirements":
                read.requirements.extend(_split(value))
            elif prop_name == "defects":
                read.defects.extend(_split(value))
            elif prop_name == "testrun_comment":
                read.comment = value
            elif prop_name == "test_summary":
                read.summary = value
            elif prop_name == "tags":
                read.tags.extend(_split(value))
            elif prop_name == "testrun_evidence":
                read.evidence.extend(self.evidence(read.label, prop))
        if not read.keys and self.key_from is not None:
            read.keys = self.keys_from_name(read.label, name, classname)
        for key in read.keys:
            if not ISSUE_KEY.fullmatch(key):
                raise self.fail(read.label, f"test_key {key!r} is not a Jira issue key (CALC-12).")
        read.keys = list(dict.fromkeys(read.keys))
        return read

    def keys_from_name(self, label: str, name: str, classname: str) -> list[str]:
        assert self.key_from is not None
        for text in (name, classname):
            matches = list(self.key_from.finditer(text))
            if not matches:
                continue
            keys = [m.group(1) if self.key_from.groups else m.group(0) for m in matches]
            for key in keys:
                if not key or not ISSUE_KEY.fullmatch(key):
                    raise self.fail(
                        label,
                        f"--key-from matched {key!r} in {text!r}, which is not a Jira issue key "
                        "such as CALC-12; make the pattern (or its first group) match the key.",
                    )
            return keys
        return []

    def evidence(self, label: str, prop: junitparser.Property) -> list[Evidence]:
        files = []
        for item in prop._elem:  # <item name="shot.png">base64</item>
            filename = str(item.get("name") or "evidence")
            data = "".join((item.text or "").split())
            try:
                base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError):
                raise self.fail(label, f"testrun_evidence {filename!r} is not base64.") from None
            kind = mimetypes.guess_type(filename)[0] or "application/octet-stream"
            files.append(Evidence(filename=filename, data=data, content_type=kind))
        return files


def _outcome(case: junitparser.TestCase, comment: str) -> tuple[Outcome, str]:
    results = case.result
    failures = [r for r in results if isinstance(r, junitparser.Failure)]
    errors = [r for r in results if isinstance(r, junitparser.Error)]
    skips = [r for r in results if isinstance(r, junitparser.Skipped)]
    texts = []
    for result in failures + errors:
        message, text = str(result.message or ""), str(result.text or "").strip()
        texts.append(text if message in text else "\n".join(x for x in (message, text) if x))
    if failures or errors:
        outcome = Outcome.FAILED if failures else Outcome.ERROR
        message = "\n\n".join(t for t in texts if t)
    elif skips:
        reason = str(skips[0].message or skips[0].text or "").strip()
        if skips[0].type == "pytest.xfail":  # how pytest's junitxml writes an xfail
            outcome = Outcome.XFAILED
            message = f"expected failure: {reason}" if reason else "expected failure"
        else:
            outcome, message = Outcome.SKIPPED, f"skipped: {reason}" if reason else "skipped"
    else:
        outcome, message = Outcome.PASSED, ""
    if comment:
        message = f"{comment}\n\n{message}" if message else comment
    return outcome, truncate(message)


def _suites(suite: junitparser.TestSuite) -> Iterator[junitparser.TestSuite]:
    yield suite
    for child in _children(suite, junitparser.TestSuite):
        yield from _suites(child)


def read_junit(
    path: Path, key_from: re.Pattern[str] | None = None, create_tests: bool = False
) -> JUnitRun:
    """Every testcase of the JUnit file ``path`` with an Xray key, as an execution.

    With ``create_tests`` a testcase without a key is reported by its definition,
    ``classname.name`` without a trailing ``[parameters]`` (so that parametrized testcases
    become iterations of one Generic Test, as with ``pytest --xray-create-tests``).

    Raises :class:`JUnitError` for a file that cannot be read, malformed XML (with the line
    and column) or a value that is not an issue key.
    """
    xml = _parse(path)
    reader = _Reader(path, key_from)
    try:
        written = path.stat().st_mtime
    except OSError:
        written = datetime.now().timestamp()
    suites = [s for top in _children(xml, junitparser.TestSuite) for s in _suites(top)]
    total = sum(_seconds(c) for s in suites for c in _children(s, junitparser.TestCase))
    clock = written - total  # a suite without a timestamp continues from the one before it
    run = JUnitRun(execution=Execution(start=clock, finish=clock))
    for suite in suites:
        clock = _moment(suite.timestamp) or clock
        for case in _children(suite, junitparser.TestCase):
            run.testcases += 1
            start = _moment(case._elem.get("started-at"), naive_utc=True) or clock
            finish = _moment(case._elem.get("finished-at"), naive_utc=True) or (
                start + _seconds(case)
            )
            clock = max(clock, finish)
            read = reader.case(case)
            definition = None
            if not read.keys:
                if not create_tests:
                    run.unkeyed += 1
                    continue
                definition = _PARAMETERS.sub("", read.label)
            outcome, message = _outcome(case, read.comment)
            attempts = 1 + sum(1 for child in case._elem if child.tag in _RERUNS)
            run.execution.results.append(
                TestResult(
                    nodeid=read.label,
                    keys=tuple(read.keys),
                    outcome=outcome,
                    start=start,
                    finish=finish,
                    message=message,
                    defects=tuple(dict.fromkeys(read.defects)),
                    requirements=tuple(dict.fromkeys(read.requirements)),
                    attempts=attempts,
                    evidence=read.evidence,
                    definition=definition,
                    summary=read.summary or _PARAMETERS.sub("", str(case.name or "")),
                    labels=tuple(dict.fromkeys(read.tags)),
                )
            )
    results = run.execution.results
    if results:
        run.execution.start = min(r.start for r in results)
        run.execution.finish = max(r.finish for r in results)
    return run
