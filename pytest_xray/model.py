"""The model of a run: what pytest produced, in plain data, before it becomes Xray JSON.

Nothing here knows about pytest objects, HTTP or files. Results are collected by
:mod:`pytest_xray.collect`, turned into Xray JSON by :mod:`pytest_xray.payload`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

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

    def to_dict(self) -> dict[str, list[str]]:
        """Plain data, small enough to travel on a test report (also between xdist workers)."""
        data = {"keys": list(self.keys)}
        if self.defects:
            data["defects"] = list(self.defects)
        if self.requirements:
            data["requirements"] = list(self.requirements)
        return data


@dataclass(frozen=True)
class Evidence:
    """A file attached to a Test Run."""

    filename: str
    data: bytes
    content_type: str


@dataclass
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


@dataclass
class Execution:
    """All results of one run, in the order they finished."""

    start: float
    finish: float
    results: list[TestResult] = field(default_factory=list)

    def by_key(self) -> dict[str, list[TestResult]]:
        """Results grouped by Xray key, keys in order of first appearance."""
        groups: dict[str, list[TestResult]] = {}
        for result in self.results:
            for key in result.keys:
                groups.setdefault(key, []).append(result)
        return groups
