"""What data a user hook may leave behind: a check for each field of a :class:`TestResult`
after ``pytest_xray_result``, and for the payload after ``pytest_xray_payload``. Pure functions;
:mod:`pytest_xray.userhooks` calls the hooks and puts back what fails these checks."""

from __future__ import annotations

import copy
import json
import math
import reprlib
from collections.abc import Callable
from typing import Any

from pytest_xray.markers import ISSUE_KEY
from pytest_xray.model import Evidence, Outcome
from pytest_xray.payload import format_time

__all__ = ["RESULT_FIELDS", "SHORT", "BadValue", "copy_json", "payload_problem"]


class BadValue(Exception):
    """A value a hook left that cannot be sent; the message says what was expected."""


_KEYS = "Jira issue keys such as ('CALC-12',)"


def _keys(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):  # one key: a tuple of its characters is never meant
        value = (value,)
    if not isinstance(value, (tuple, list)) or not all(
        isinstance(key, str) and ISSUE_KEY.fullmatch(key) for key in value
    ):
        raise BadValue(_KEYS)
    return tuple(dict.fromkeys(value))


def _labels(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, (tuple, list)) or not all(
        isinstance(label, str) and label and not any(c.isspace() for c in label) for label in value
    ):
        raise BadValue("Jira labels, str without spaces, such as ('nightly',)")
    return tuple(dict.fromkeys(value))


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise BadValue("a str")
    return value


def _optional_text(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise BadValue("a str or None")
    return value


def _nodeid(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise BadValue("the test's node id, a non-empty str")
    return value


def _status(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise BadValue("an Xray status name such as 'BLOCKED', or None for the status mapping")
    return value.strip()


def _outcome(value: Any) -> Outcome:
    try:
        return Outcome(value)
    except ValueError:
        raise BadValue(f"a pytest_xray.Outcome: {', '.join(o.value for o in Outcome)}") from None


def _time(value: Any) -> float:
    expected = "a time.time() timestamp"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BadValue(expected)
    try:
        format_time(value)
    except (OverflowError, OSError, ValueError):
        raise BadValue(expected) from None
    return value


def _attempts(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadValue("a whole number of at least 1")
    return value


def _evidence(value: Any) -> list[Evidence]:
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(item, Evidence)
        and all(isinstance(part, str) for part in (item.filename, item.data, item.content_type))
        for item in value
    ):
        raise BadValue("a list of pytest_xray.Evidence")
    return list(value)


def _pairs(value: Any, expected: str, valid: Callable[[Any], bool]) -> tuple[tuple[str, Any], ...]:
    if not isinstance(value, (tuple, list)) or not all(
        isinstance(pair, (tuple, list))
        and len(pair) == 2
        and isinstance(pair[0], str)
        and valid(pair[1])
        for pair in value
    ):
        raise BadValue(expected)
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


RESULT_FIELDS: dict[str, Callable[[Any], Any]] = {
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
that returns the value to keep (a lone key becomes a 1-tuple) or raises :class:`BadValue`."""

SHORT = reprlib.Repr()
SHORT.maxstring = SHORT.maxother = 60


_SHARED = (str, int, float, bool, type(None))


def copy_json(value: Any) -> Any:
    """A deep copy of JSON data: twice as fast as :func:`copy.deepcopy` on a payload, where
    the strings, numbers and ``None`` it shares cannot change."""
    kind = type(value)
    if kind is dict:
        return {key: copy_json(item) for key, item in value.items()}
    if kind is list:
        return [copy_json(item) for item in value]
    if kind in _SHARED:
        return value
    return copy.deepcopy(value)


def payload_problem(payload: Any) -> str | None:
    """What makes ``payload`` unfit to save and send, or ``None`` when it is fit."""
    if not isinstance(payload, dict):
        return f"the payload a {type(payload).__name__}, not a dict"
    if "info" in payload and not isinstance(payload["info"], dict):
        return "payload['info'] not a dict"
    tests = payload.get("tests")
    if not isinstance(tests, list):
        return f"payload['tests'] {SHORT.repr(tests)}, not a list"
    for index, test in enumerate(tests):
        where = f"payload['tests'][{index}]"
        if not isinstance(test, dict):
            return f"{where} {SHORT.repr(test)}, not a dict"
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
