"""Validation of Xray JSON bodies: Xray's schema per flavor, then what a schema cannot say.

The schema shipped beside this module is Xray's published one (Cloud variant). The Server
variant differs as Xray Server does: ``testInfo`` names the test type ``testType``, not
``type``. The Cloud variant refuses empty ``iterations``/``examples`` and knows the iteration
``duration``. Statuses are checked per flavor by hand (the schema's ``examples`` enum holds
Cloud names only). ``jsonschema`` is imported lazily: it is the ``emulator`` extra.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any

from .model import Flavor, XrayApiError

__all__ = [
    "INSTALL_HINT",
    "MissingDependencyError",
    "flavor_schema",
    "is_base64",
    "is_date_time",
    "load_schema",
    "parse_json",
    "require_jsonschema",
    "schema_problems",
    "semantic_problems",
    "validate_result",
]

INSTALL_HINT = (
    "the Xray emulator validates payloads with jsonschema, which is not installed: "
    "pip install 'pytest-xray[emulator]'"
)
FORMAT_PREFIX = "Result is not valid Xray Format: "
_MAX_PROBLEMS = 5


class MissingDependencyError(RuntimeError):
    """An optional dependency of the emulator (jsonschema) is missing."""


def require_jsonschema() -> Any:
    """The ``jsonschema`` module, or MissingDependencyError telling how to install it."""
    try:
        import jsonschema  # the optional "emulator" extra: imported only when needed
    except ImportError as exc:
        raise MissingDependencyError(INSTALL_HINT) from exc
    return jsonschema


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    """Xray's JSON schema as shipped with the emulator (do not mutate the result)."""
    text = resources.files(__package__).joinpath("xray-schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@lru_cache(maxsize=2)
def flavor_schema(flavor: Flavor) -> dict[str, Any]:
    """The schema adjusted to what ``flavor`` accepts (do not mutate the result)."""
    schema = copy.deepcopy(load_schema())
    definitions = schema["definitions"]
    test = definitions["Test"]["properties"]
    test["examples"]["items"].pop("enum", None)  # statuses are checked per flavor below
    if flavor == "server":
        test_info = definitions["TestInfo"]
        test_info["properties"]["testType"] = test_info["properties"].pop("type")
        test_info["required"] = [
            "testType" if name == "type" else name for name in test_info["required"]
        ]
    else:
        test["iterations"]["minItems"] = 1
        test["examples"]["minItems"] = 1
        definitions["IterationResult"]["properties"]["duration"] = {"type": ["string", "number"]}
    return schema


_DATE_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?"
    r"(?:[Zz]|[+-](\d{2}):?(\d{2}))$"
)


def is_date_time(value: object) -> bool:
    """ISO 8601 date and time *with* an offset (``Z``, ``+01:00`` or ``+0100``)."""
    if not isinstance(value, str):
        return True  # "format" applies to strings only; "type" reports the rest
    match = _DATE_TIME.match(value)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    try:
        datetime(year, month, day, hour, minute, min(second, 59))  # 60: leap second
    except ValueError:
        return False
    if match.group(7) is not None and (int(match.group(7)) > 23 or int(match.group(8)) > 59):
        return False
    return second <= 60


@lru_cache(maxsize=2)
def _validator(flavor: Flavor) -> Any:
    jsonschema = require_jsonschema()
    checker = jsonschema.FormatChecker(formats=())
    checker.checks("date-time")(is_date_time)
    return jsonschema.Draft7Validator(flavor_schema(flavor), format_checker=checker)


def _where(path: Iterable[Any]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(root)"


def _sort_key(error: Any) -> list[tuple[int, int, str]]:
    return [(0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in error.absolute_path]


def _describe(error: Any) -> str:
    schema_path: Sequence[Any] = list(error.schema_path)
    if error.validator == "not" and "dependencies" in schema_path:
        index = len(schema_path) - 1 - list(reversed(schema_path)).index("dependencies")
        trigger = str(schema_path[index + 1])
        other = str((error.validator_value or {}).get("required", ["?"])[0])
        first, second = sorted((trigger, other))
        return f"'{first}' and '{second}' cannot be used together"
    if error.validator == "format":
        return (
            f"{error.instance!r} is not a valid date-time "
            "(use ISO 8601 with an offset, e.g. 2014-08-30T11:47:35+01:00)"
        )
    return str(error.message)


def schema_problems(payload: Any, flavor: Flavor) -> list[str]:
    """What the flavor's schema says is wrong with ``payload`` (empty when valid)."""
    problems: list[str] = []
    for error in sorted(_validator(flavor).iter_errors(payload), key=_sort_key):
        text = f"{_where(error.absolute_path)}: {_describe(error)}"
        if text not in problems:
            problems.append(text)
    return problems


def is_base64(data: str) -> bool:
    """Whether ``data`` is strict base64 (no whitespace, correct padding)."""
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


class _Semantics:
    """Collects the problems of one payload that the schema does not express."""

    def __init__(self, flavor: Flavor, version: str, statuses: frozenset[str]):
        self.flavor = flavor
        self.version = version
        self.statuses = statuses
        self.problems: list[str] = []

    def status(self, value: Any, where: str) -> None:
        if isinstance(value, str) and value not in self.statuses:
            product = "Xray Server" if self.flavor == "server" else "Xray Cloud"
            valid = ", ".join(sorted(self.statuses))
            self.problems.append(
                f"{where}: status '{value}' is not a valid {product} status (valid: {valid})"
            )

    def evidence(self, items: Any, where: str) -> None:
        for index, item in enumerate(_list(items)):
            data = item.get("data") if isinstance(item, dict) else None
            if isinstance(data, str) and not is_base64(data):
                self.problems.append(f"{where}[{index}].data: not valid base64")

    def steps(self, steps: Any, where: str) -> None:
        for index, step in enumerate(_list(steps)):
            if isinstance(step, dict):
                self.status(step.get("status"), f"{where}[{index}].status")
                self.evidence(step.get("evidences"), f"{where}[{index}].evidences")

    def test(self, test: dict[str, Any], where: str) -> None:
        if "testKey" not in test and "testInfo" not in test:
            self.problems.append(f"{where}: a test needs a testKey or a testInfo")
        self.status(test.get("status"), f"{where}.status")
        self.steps(test.get("steps"), f"{where}.steps")
        for index, iteration in enumerate(_list(test.get("iterations"))):
            if isinstance(iteration, dict):
                self.status(iteration.get("status"), f"{where}.iterations[{index}].status")
                self.steps(iteration.get("steps"), f"{where}.iterations[{index}].steps")
        for index, example in enumerate(_list(test.get("examples"))):
            self.status(example, f"{where}.examples[{index}]")
        for name in ("evidence", "evidences"):
            self.evidence(test.get(name), f"{where}.{name}")
        if self.flavor == "server" and self.version == "1.0" and "customFields" in test:
            self.problems.append(
                f"{where}.customFields: Test Run custom fields need Xray REST API 2.0 "
                "(use /rest/raven/2.0 or /rest/raven/latest)"
            )


def semantic_problems(
    payload: Any, flavor: Flavor, version: str, statuses: frozenset[str]
) -> list[str]:
    """Problems the schema cannot express: statuses, API version, base64, test identity."""
    if not isinstance(payload, dict):
        return ["(root): the body must be a JSON object"]
    tests = payload.get("tests")
    if not isinstance(tests, list) or not tests:
        return ["tests: at least one test result is required"]
    semantics = _Semantics(flavor, version, statuses)
    for index, test in enumerate(tests):
        if isinstance(test, dict):
            semantics.test(test, f"tests[{index}]")
    return semantics.problems


def validate_result(
    payload: Any,
    flavor: Flavor,
    version: str,
    statuses: frozenset[str],
    *,
    use_schema: bool = True,
) -> None:
    """Raise a 400 XrayApiError naming the problems of an Xray JSON ``payload``."""
    problems = schema_problems(payload, flavor) if use_schema else []
    if not problems:
        problems = semantic_problems(payload, flavor, version, statuses)
    if problems:
        more = len(problems) - _MAX_PROBLEMS
        text = "; ".join(problems[:_MAX_PROBLEMS]) + (f"; and {more} more" if more > 0 else "")
        raise XrayApiError(400, FORMAT_PREFIX + text)


def parse_json(data: bytes, what: str) -> Any:
    """``data`` decoded as JSON, or a 400 XrayApiError naming ``what`` could not be read."""
    try:
        return json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise XrayApiError(400, f"{FORMAT_PREFIX}{what} is not valid JSON ({exc})") from exc
