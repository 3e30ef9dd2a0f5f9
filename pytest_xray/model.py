"""The model of a run: what pytest produced, in plain data, before it becomes Xray JSON.

Nothing here knows about pytest objects, HTTP or files. Results are collected by
:mod:`pytest_xray.collect` (with each test's Xray data, read by :mod:`pytest_xray.annotate`),
turned into Xray JSON by :mod:`pytest_xray.payload`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

__all__ = ["TEXT_LIMIT", "Evidence", "Execution", "Outcome", "TestResult", "XrayMark", "truncate"]

TEXT_LIMIT = 10_000
"""Most characters kept of one failure text (comment or iteration log), so that one huge
traceback cannot break an upload. The end of a traceback, where the error is, is kept."""


def truncate(text: str, limit: int = TEXT_LIMIT) -> str:
    """``text``, or its last ``limit`` characters after a line that says how much was cut."""
    if len(text) <= limit:
        return text
    return f"[... {len(text) - limit} characters cut ...]\n{text[-limit:]}"


class Outcome(str, enum.Enum):
    """What happened to one pytest test, as far as Xray is concerned."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    XFAILED = "xfailed"
    XPASSED = "xpassed"


@dataclass(frozen=True)
class XrayMark:
    """The ``@pytest.mark.xray`` markers of one test, merged over function, class and module."""

    keys: tuple[str, ...]
    defects: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()
    custom_fields: tuple[tuple[str, Any], ...] = ()
    """Test Run custom fields, ``(id, value)`` with plain JSON values."""

    def to_dict(self) -> dict[str, Any]:
        """Plain data, small enough to travel on a test report (also between xdist workers).

        The tuples are shared, not copied: one test's data is kept for every test of a run.
        """
        data: dict[str, Any] = {"keys": self.keys}
        if self.defects:
            data["defects"] = self.defects
        if self.requirements:
            data["requirements"] = self.requirements
        if self.custom_fields:
            data["custom_fields"] = self.custom_fields
        return data


@dataclass(frozen=True)
class Evidence:
    """A file attached to a Test Run; ``data`` is its content in base64, as Xray takes it
    (encoded once, where the test ran)."""

    filename: str
    data: str
    content_type: str

    @property
    def size(self) -> int:
        """Bytes of the decoded content."""
        return len(self.data) * 3 // 4 - self.data[-2:].count("=")


@dataclass(slots=True)  # one per test: slots keep 100 000 of them small
class TestResult:
    """The final result of one pytest test (after reruns), for each Xray key it is marked with."""

    __test__ = False  # not a pytest test class

    nodeid: str
    keys: tuple[str, ...]
    outcome: Outcome
    start: float
    finish: float
    message: str = ""
    parameters: tuple[tuple[str, str], ...] = ()
    defects: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()
    attempts: int = 1
    status: str | None = None
    """An Xray status chosen by a hook; ``None`` means the status mapping decides."""
    evidence: list[Evidence] = field(default_factory=list)
    custom_fields: tuple[tuple[str, Any], ...] = ()
    definition: str | None = None
    """The test's node id without parameters: how Xray finds a Test created for an unmarked
    test (``--xray-create-tests``); ``None`` for tests reported by key."""
    summary: str = ""
    """First docstring line or the test's name: the summary of a Test sent with ``testInfo``."""
    worker: str | None = None
    """The pytest-xdist worker (``gw0``...) that ran the test; ``None`` without xdist."""
    labels: tuple[str, ...] = ()
    """Labels of a Test sent with ``testInfo`` for its definition, besides ``xray_test_labels``
    (a JUnit testcase's ``tags`` property)."""


@dataclass
class Execution:
    """All results of one run, in collection order."""

    start: float
    finish: float
    results: list[TestResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """Lines for the user about what was left out (evidence over a size limit ...)."""
