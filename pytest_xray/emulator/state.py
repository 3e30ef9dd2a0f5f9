"""What the emulated Jira knows: issues (tests, executions), their ids and keys, Test Runs.

One re-entrant lock guards everything; an import holds it from the first check to the last
recorded run, so concurrent imports into one execution (CI shards) never lose runs.
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Iterable
from typing import Any, Literal

from .model import Attachment, Execution

__all__ = [
    "MATCH_BY_SUMMARY",
    "ExecutionState",
    "Store",
    "TestState",
    "is_issue_key",
    "project_of",
]

_ISSUE_KEY = re.compile(r"^[A-Z][A-Z0-9_]*-[1-9][0-9]*$")
FIRST_EXECUTION_NUMBER = 1000
CREATED_TESTS_OFFSET = 4000
"""Created tests count from the first execution number plus this (``PROJ-5000`` by default)."""
FIRST_ISSUE_ID = 10000
MATCH_BY_SUMMARY = frozenset({"manual", "cucumber", "gherkin", "bdd"})
"""Test types matched by summary; every other type (Generic...) is matched by definition."""

TestState = Literal["test", "missing", "not_test"]
ExecutionState = Literal["execution", "new", "not_execution", "missing"]
"""What an import's execution key names: an existing Test Execution, a key the emulator may
create one under (it knows too little to refuse it), another kind of issue, or nothing."""


def is_issue_key(value: object) -> bool:
    """Whether ``value`` looks like a Jira issue key (``CALC-12``)."""
    return isinstance(value, str) and _ISSUE_KEY.match(value) is not None


def project_of(key: str) -> str:
    """The project part of an issue key."""
    return key.rsplit("-", 1)[0]


def test_type_of(test_info: dict[str, Any]) -> str:
    """The test type named in a ``testInfo`` (``type`` on Cloud, ``testType`` on Server)."""
    value = test_info.get("type", test_info.get("testType", "Generic"))
    return value if isinstance(value, str) else "Generic"


def _match_key(test_info: dict[str, Any], default_project: str) -> tuple[str, str, str]:
    project = test_info.get("projectKey") or default_project
    definition = test_info.get("definition")
    if test_type_of(test_info).lower() not in MATCH_BY_SUMMARY and isinstance(definition, str):
        return (str(project), "definition", definition)
    return (str(project), "summary", str(test_info.get("summary", "")))


class Store:
    """Issues, keys and Test Runs of one emulator; every method is thread-safe."""

    def __init__(
        self,
        known_tests: Iterable[str] | None,
        non_tests: Iterable[str],
        known_executions: Iterable[str] = (),
        first_execution: int = FIRST_EXECUTION_NUMBER,
    ):
        self.lock = threading.RLock()
        self.first_execution = first_execution
        self.known_tests = frozenset(known_tests) if known_tests is not None else None
        self.non_tests = frozenset(non_tests)
        self.known_executions = frozenset(known_executions)
        self._init()

    def _init(self) -> None:
        self.executions: dict[str, Execution] = {}
        self.created_tests: dict[str, dict[str, Any]] = {}
        self._test_index: dict[tuple[str, str, str], str] = {}
        self._ids: dict[str, str] = {}
        self._next_id = FIRST_ISSUE_ID
        self._next_number: dict[tuple[str, str], int] = {}
        self._seen: set[str] = set()
        self._imported_tests: set[str] = set()
        self.attachments: dict[str, list[Attachment]] = {}
        self._next_attachment = 20000

    def reset(self) -> None:
        """Forget every execution and created test (known tests and executions stay known)."""
        with self.lock:
            self._init()

    def issue_id(self, key: str) -> str:
        """The numeric id of issue ``key``, assigned on first sight and then stable."""
        with self.lock:
            if key not in self._ids:
                self._ids[key] = str(self._next_id)
                self._next_id += 1
            return self._ids[key]

    def _used(self, key: str) -> bool:
        return (
            key in self.executions
            or key in self.known_executions
            or key in self.created_tests
            or key in self.non_tests
            or key in self._seen
            or (self.known_tests is not None and key in self.known_tests)
        )

    def new_issue_key(self, project: str, kind: str = "execution") -> str:
        """A new key in ``project``, skipping keys in use or ever mentioned.

        Executions count from ``first_execution`` (1000), created tests from 4000 above it,
        so that the first execution of a project is always ``PROJ-1000`` whatever tests its
        import created.
        """
        with self.lock:
            first = self.first_execution
            if kind != "execution":
                first += CREATED_TESTS_OFFSET
            number = self._next_number.get((project, kind), first)
            while self._used(f"{project}-{number}"):
                number += 1
            self._next_number[(project, kind)] = number + 1
            return f"{project}-{number}"

    def mention(self, key: str) -> None:
        """Remember a key a client used, so that no new issue ever gets it."""
        with self.lock:
            self._seen.add(key)

    def test_state(self, key: str) -> TestState:
        """Whether ``key`` is a Test, a missing issue, or an issue that is not a Test."""
        with self.lock:
            if key in self.non_tests or key in self.executions or key in self.known_executions:
                return "not_test"
            if key in self.created_tests:
                return "test"
            if self.known_tests is None:
                return "test" if is_issue_key(key) else "missing"
            return "test" if key in self.known_tests else "missing"

    def execution_state(self, key: str) -> ExecutionState:
        """What ``key`` names when an import asks to add its results to it.

        Declared executions and those the emulator created are Test Executions. Known tests,
        tests created or imported so far and ``non_tests`` are other issues. Any other key
        is missing once the emulator knows its issues (``known_tests`` or
        ``known_executions`` given); otherwise an execution is created under it.
        """
        with self.lock:
            if key in self.executions or key in self.known_executions:
                return "execution"
            if (
                key in self.non_tests
                or key in self.created_tests
                or key in self._imported_tests
                or (self.known_tests is not None and key in self.known_tests)
            ):
                return "not_execution"
            if self.known_tests is not None or self.known_executions:
                return "missing"
            return "new"

    def test_type(self, key: str) -> str:
        """The type of test ``key`` (``Generic`` unless created with another type)."""
        with self.lock:
            created = self.created_tests.get(key)
            return test_type_of(created) if created is not None else "Generic"

    def find_or_create_test(self, test_info: dict[str, Any], default_project: str) -> str:
        """The key of the Test ``test_info`` describes, created on first sight.

        Generic tests are matched by ``definition``, Manual and BDD tests by ``summary``,
        within the project; a later import of the same test gets the same key.
        """
        with self.lock:
            match = _match_key(test_info, default_project)
            key = self._test_index.get(match)
            if key is None:
                key = self.new_issue_key(match[0], "test")
                self._test_index[match] = key
                self.issue_id(key)
            self.created_tests[key] = copy.deepcopy(test_info)
            return key

    def update_test(self, key: str, test_info: dict[str, Any]) -> None:
        """A ``testKey`` came with a ``testInfo``: update the specification of a created test."""
        with self.lock:
            if key in self.created_tests:
                self.created_tests[key] = copy.deepcopy(test_info)

    def open_execution(self, key: str | None, project: str, info: dict[str, Any]) -> Execution:
        """The execution ``key`` (created if never seen) or, with no key, a new one."""
        with self.lock:
            if key is None:
                key = self.new_issue_key(project)
            execution = self.executions.get(key)
            if execution is None:
                execution = Execution(
                    key=key,
                    id=self.issue_id(key),
                    info=copy.deepcopy(info),
                    project=project_of(key),
                )
                self.executions[key] = execution
            return execution

    def record_runs(self, execution: Execution, runs: Iterable[tuple[str, dict[str, Any]]]) -> None:
        """Store the Test Runs of one import (replacing earlier runs of the same tests)."""
        with self.lock:
            for test_key, run in runs:
                execution.runs[test_key] = copy.deepcopy(run)
                self._imported_tests.add(test_key)
            execution.imports += 1

    def issue_exists(self, key: str) -> bool:
        """Whether ``key`` names an issue Jira knows (a test, an execution or another issue)."""
        with self.lock:
            return self.test_state(key) != "missing"

    def attach(self, key: str, filename: str, content_type: str, data: bytes) -> Attachment:
        """Store a file attached to issue ``key``."""
        with self.lock:
            attachment = Attachment(str(self._next_attachment), filename, content_type, data)
            self._next_attachment += 1
            self.attachments.setdefault(key, []).append(attachment)
            return attachment

    def snapshot_attachments(self) -> dict[str, list[Attachment]]:
        """Issue key -> attachments (the attachments themselves are immutable)."""
        with self.lock:
            return {key: list(items) for key, items in self.attachments.items()}

    def snapshot_executions(self) -> dict[str, Execution]:
        """A deep copy of every execution, safe to read while imports go on."""
        with self.lock:
            return copy.deepcopy(self.executions)

    def snapshot_created_tests(self) -> dict[str, dict[str, Any]]:
        """A deep copy of the tests created through ``testInfo`` (key -> testInfo)."""
        with self.lock:
            return copy.deepcopy(self.created_tests)
