"""Calling the hooks of :mod:`pytest_xray.hooks`: only when implemented, never fatal.

A hook nobody implements is skipped after one look at pluggy's implementations, so the per-test
hooks cost nothing by default. An exception in an implementation is recorded (once per distinct
error, with a count) for the summary, and the run goes on with the data as the hook left it.
Data a hook leaves that pytest-xray could not send (a field of the wrong type, a malformed key,
a payload that is not Xray JSON) is recorded the same way and replaced by what it was before the
hook, so that a hook's mistake never costs the run its report.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import reprlib
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_xray.markers import ISSUE_KEY
from pytest_xray.model import Evidence, Outcome, TestResult
from pytest_xray.payload import format_time

if TYPE_CHECKING:
    from pytest_xray.client import ImportResult

__all__ = ["UserHooks"]


def _where(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return ""
    frame = frames[-1]
    return f" ({Path(frame.filename).name}:{frame.lineno})"


class _Bad(Exception):
    """A value a hook left that cannot be sent; the message says what was expected."""


_KEYS = "Jira issue keys such as ('CALC-12',)"


def _keys(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):  # one key: a tuple of its characters is never meant
        value = (value,)
    if not isinstance(value, (tuple, list)) or not all(
        isinstance(key, str) and ISSUE_KEY.fullmatch(key) for key in value
    ):
        raise _Bad(_KEYS)
    return tuple(dict.fromkeys(value))


def _labels(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, (tuple, list)) or not all(
        isinstance(label, str) and label and not any(c.isspace() for c in label) for label in value
    ):
        raise _Bad("Jira labels, str without spaces, such as ('nightly',)")
    return tuple(dict.fromkeys(value))


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _Bad("a str")
    return value


def _optional_text(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise _Bad("a str or None")
    return value


def _nodeid(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise _Bad("the test's node id, a non-empty str")
    return value


def _status(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _Bad("an Xray status name such as 'BLOCKED', or None for the status mapping")
    return value.strip()


def _outcome(value: Any) -> Outcome:
    try:
        return Outcome(value)
    except ValueError:
        raise _Bad(f"a pytest_xray.Outcome: {', '.join(o.value for o in Outcome)}") from None


def _time(value: Any) -> float:
    expected = "a time.time() timestamp"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _Bad(expected)
    try:
        format_time(value)
    except (OverflowError, OSError, ValueError):
        raise _Bad(expected) from None
    return value


def _attempts(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _Bad("a whole number of at least 1")
    return value


def _evidence(value: Any) -> list[Evidence]:
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(item, Evidence)
        and all(isinstance(part, str) for part in (item.filename, item.data, item.content_type))
        for item in value
    ):
        raise _Bad("a list of pytest_xray.Evidence")
    return list(value)


def _pairs(value: Any, expected: str, valid: Callable[[Any], bool]) -> tuple[tuple[str, Any], ...]:
    if not isinstance(value, (tuple, list)) or not all(
        isinstance(pair, (tuple, list))
        and len(pair) == 2
        and isinstance(pair[0], str)
        and valid(pair[1])
        for pair in value
    ):
        raise _Bad(expected)
    return tuple((name, field_value) for name, field_value in value)


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError):  # UnicodeEncodeError is a ValueError
        return False
    return True


def _parameters(value: Any) -> tuple[tuple[str, Any], ...]:
    return _pairs(value, "(name, value) pairs of str", lambda v: isinstance(v, str))


def _custom_fields(value: Any) -> tuple[tuple[str, Any], ...]:
    return _pairs(value, "(field id, JSON value) pairs", _jsonable)


_RESULT_FIELDS: dict[str, Callable[[Any], Any]] = {
    "nodeid": _nodeid,
    "keys": _keys,
    "outcome": _outcome,
    "start": _time,
    "finish": _time,
    "message": _text,
    "parameters": _parameters,
    "defects": _keys,
    "requirements": _keys,
    "attempts": _attempts,
    "status": _status,
    "evidence": _evidence,
    "custom_fields": _custom_fields,
    "definition": _optional_text,
    "summary": _text,
    "worker": _optional_text,
    "labels": _labels,
}
"""What each field of :class:`TestResult` may hold after ``pytest_xray_result``: a function
that returns the value to keep (a lone key becomes a 1-tuple) or raises :class:`_Bad`."""

_short = reprlib.Repr()
_short.maxstring = _short.maxother = 60


_SHARED = (str, int, float, bool, type(None))


def _copy(value: Any) -> Any:
    """A deep copy of JSON data: twice as fast as :func:`copy.deepcopy` on a payload, where
    the strings, numbers and ``None`` it shares cannot change."""
    kind = type(value)
    if kind is dict:
        return {key: _copy(item) for key, item in value.items()}
    if kind is list:
        return [_copy(item) for item in value]
    if kind in _SHARED:
        return value
    return copy.deepcopy(value)


def _payload_problem(payload: Any) -> str | None:
    """What makes ``payload`` unfit to save and send, or ``None`` when it is fit."""
    if not isinstance(payload, dict):
        return f"the payload a {type(payload).__name__}, not a dict"
    if "info" in payload and not isinstance(payload["info"], dict):
        return "payload['info'] not a dict"
    tests = payload.get("tests")
    if not isinstance(tests, list):
        return f"payload['tests'] {_short.repr(tests)}, not a list"
    for index, test in enumerate(tests):
        where = f"payload['tests'][{index}]"
        if not isinstance(test, dict):
            return f"{where} {_short.repr(test)}, not a dict"
        if not isinstance(test.get("status"), str):
            return f"{where} without a 'status' str"
        iterations = test.get("iterations")
        if iterations is None:
            continue
        if not isinstance(iterations, list) or not all(
            isinstance(iteration, dict) and isinstance(iteration.get("status"), str)
            for iteration in iterations
        ):
            return f"{where}['iterations'] not a list of dicts with a 'status' str"
    try:
        # As the report and the upload encode it (report.py, chunks.py).
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError) as error:
        return f"the payload not JSON ({error})"
    return None


@dataclasses.dataclass
class _Kept:
    """A result field a hook set to something unusable, on ``count`` tests (the first named)."""

    value: str
    nodeid: str
    expected: str
    count: int = 1


class UserHooks:
    """The user hooks of one run, called through ``config.hook``."""

    def __init__(self, config: pytest.Config) -> None:
        self._hook = config.hook
        self._config = config
        self._implemented: dict[str, bool] = {}
        self.errors: Counter[str] = Counter()
        self.kept: dict[tuple[str, str], _Kept] = {}
        """Result fields restored after ``pytest_xray_result``, by (hook, field)."""

    def implemented(self, name: str) -> bool:
        """Whether any plugin implements hook ``name``; looked up once, at the first ask.

        The per-test hooks are first asked when the first test finishes, after collection
        has loaded every ``conftest.py``."""
        known = self._implemented.get(name)
        if known is None:
            known = self._implemented[name] = bool(getattr(self._hook, name).get_hookimpls())
        return known

    def _call(self, name: str, **kwargs: Any) -> Any:
        try:
            return getattr(self._hook, name)(**kwargs)
        except Exception as error:
            self.errors[f"{name} raised {type(error).__name__}: {error}{_where(error)}"] += 1
            return None

    def status(self, report: pytest.TestReport, outcome: Outcome) -> str | None:
        """``pytest_xray_status``: a status name, or ``None`` for the mapping."""
        if not self.implemented("pytest_xray_status"):
            return None
        status = self._call("pytest_xray_status", report=report, outcome=outcome)
        if status is None:
            return None
        if not isinstance(status, str) or not status.strip():
            self.errors[
                f"pytest_xray_status returned {status!r}; expected an Xray status name "
                "such as 'BLOCKED', or None"
            ] += 1
            return None
        return status.strip()

    def result(
        self, result: TestResult, item: pytest.Item | None, report: pytest.TestReport
    ) -> None:
        """``pytest_xray_result``: lets plugins edit ``result`` in place.

        A field left with a value pytest-xray cannot send gets back its value from before the
        hook (and the summary says so); a key given as a lone str becomes a 1-tuple."""
        if not self.implemented("pytest_xray_result"):
            return
        before = {name: getattr(result, name) for name in _RESULT_FIELDS}
        before["evidence"] = list(result.evidence)  # the one field a hook can change in place
        self._call("pytest_xray_result", result=result, item=item, report=report)
        for name, check in _RESULT_FIELDS.items():
            value = getattr(result, name)
            if value is before[name] or (name == "evidence" and value == before[name]):
                continue
            try:
                setattr(result, name, check(value))
            except _Bad as bad:
                setattr(result, name, before[name])
                self._keep("pytest_xray_result", name, value, before["nodeid"], str(bad))

    def _keep(self, hook: str, name: str, value: Any, nodeid: str, expected: str) -> None:
        kept = self.kept.get((hook, name))
        if kept is None:
            self.kept[hook, name] = _Kept(_short.repr(value), nodeid, expected)
        else:
            kept.count += 1

    def payload_editor(self) -> Callable[[dict[str, Any]], None] | None:
        """A function that runs ``pytest_xray_payload`` on a payload; ``None`` when unused."""
        if not self.implemented("pytest_xray_payload"):
            return None

        def edit(payload: dict[str, Any]) -> None:
            # Kept only when a hook may spoil the payload: at 100 000 tests a copy costs.
            original = _copy(payload)
            self._call("pytest_xray_payload", payload=payload, config=self._config)
            problem = _payload_problem(payload)
            if problem is not None:
                self.errors[f"pytest_xray_payload left {problem}"] += 1
                payload.clear()
                payload.update(original)

        return edit

    def uploaded(self, response: ImportResult, url: str | None) -> None:
        """``pytest_xray_uploaded``, after a successful upload."""
        if self.implemented("pytest_xray_uploaded"):
            self._call(
                "pytest_xray_uploaded",
                config=self._config,
                execution_key=response.key,
                url=url,
                response=response,
            )

    def error_lines(self) -> list[str]:
        """One line per distinct error, with how often it happened."""
        lines = []
        for text, count in self.errors.items():
            times = f" ({count} times)" if count > 1 else ""
            lines.append(f"hook {text}{times}; pytest-xray went on without it.")
        for (hook, name), kept in self.kept.items():
            more = f" (and {kept.count - 1} more)" if kept.count > 1 else ""
            lines.append(
                f"hook {hook} set result.{name} to {kept.value} for {kept.nodeid}{more}; "
                f"expected {kept.expected}. pytest-xray kept the value from before the hook."
            )
        return lines
