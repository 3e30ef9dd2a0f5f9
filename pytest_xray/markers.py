"""The ``@pytest.mark.xray`` marker: its documented signature and a strict parser."""

from __future__ import annotations

import enum
import inspect
import re
import types
from collections.abc import Iterable, Sequence
from typing import Any

import pytest
from _pytest.mark.structures import ParameterSet  # what pytest.param() returns (7.4 to 9)

from pytest_xray.model import XrayMark

__all__ = [
    "MarkerError",
    "item_definition",
    "item_parameters",
    "item_summary",
    "parse_item",
]

KEYWORDS = ("defects", "requirements", "custom_fields")
ISSUE_KEY = re.compile(r"[A-Z][A-Z0-9_]*-[1-9][0-9]*")
_FORM = "a Jira issue key such as 'CALC-12' (project key in capitals, '-', a number)"
PARAMETER_VALUE_LIMIT = 1000
SUMMARY_LIMIT = 255
"""Jira refuses summaries longer than this."""


class MarkerError(Exception):
    """A malformed ``xray`` marker; the message names the test, the value and the fix."""


def _check_key(nodeid: str, where: str, value: object) -> str:
    if isinstance(value, (list, tuple, set, frozenset)) and where == "key":
        keys = list(value)
        if len(keys) < 2 or not all(isinstance(key, str) for key in keys):
            keys = ["A-1", "A-2"]
        raise MarkerError(
            f"{nodeid}: @pytest.mark.xray {where} has {value!r} ({type(value).__name__}); "
            f"expected {_FORM}; give several keys as separate arguments: "
            f"@pytest.mark.xray({', '.join(repr(key) for key in keys)})."
        )
    if not isinstance(value, str):
        raise MarkerError(
            f"{nodeid}: @pytest.mark.xray {where} has {value!r} ({type(value).__name__}); "
            f"expected {_FORM}."
        )
    if not ISSUE_KEY.fullmatch(value):
        raise MarkerError(f"{nodeid}: @pytest.mark.xray {where} has {value!r}; expected {_FORM}.")
    return value


def _keys_of(nodeid: str, name: str, value: object) -> Iterable[str]:
    if isinstance(value, str) or not isinstance(value, (list, tuple, set, frozenset)):
        raise MarkerError(
            f"{nodeid}: @pytest.mark.xray {name}= must be a list of issue keys, got {value!r}."
        )
    return [_check_key(nodeid, f"{name}=", v) for v in value]


_SCALAR = (str, int, float, bool)


def _custom_fields(nodeid: str, value: object) -> dict[str, Any]:
    """``custom_fields={"id": value}``: string ids, plain JSON values (a scalar or a list of
    scalars), so that they travel on a report and land in Xray JSON unchanged."""
    form = "a dict of Test Run custom field id to value, such as {'Browser': 'firefox'}"
    if not isinstance(value, dict):
        raise MarkerError(
            f"{nodeid}: @pytest.mark.xray custom_fields= must be {form}, got {value!r}."
        )
    fields: dict[str, Any] = {}
    for name, field_value in value.items():
        if not isinstance(name, str) or not name.strip():
            raise MarkerError(
                f"{nodeid}: @pytest.mark.xray custom_fields= has the id {name!r}; "
                "ids are non-empty strings."
            )
        if isinstance(field_value, (list, tuple)) and all(
            isinstance(v, _SCALAR) for v in field_value
        ):
            fields[name] = list(field_value)
        elif isinstance(field_value, _SCALAR):
            fields[name] = field_value
        else:
            raise MarkerError(
                f"{nodeid}: @pytest.mark.xray custom_fields= has {field_value!r} for {name!r}; "
                "values are strings, numbers, booleans or lists of them."
            )
    return fields


def parse_item(item: pytest.Item, keyless: bool = False) -> XrayMark | None:
    """Merge and validate the ``xray`` markers of ``item``; ``None`` when it has none.

    Raises :class:`MarkerError` for a marker without keys, a key that is not a Jira issue key,
    a non-string key, an unknown keyword or malformed custom fields. Custom fields of inner
    markers (the function's) win over outer ones (class, module) with the same id.
    With ``keyless`` (``--xray-create-tests``) a marker with keywords but no key is allowed:
    its requirements, defects and custom fields go to the Test found by the test's definition.
    """
    # Outermost first (module, class, function), each node's markers in the order they were
    # written (decorators apply bottom-up), so keys read in the order they were declared.
    marks = [
        mark
        for node in item.listchain()
        for mark in reversed(node.own_markers)
        if mark.name == "xray"
    ]
    if not marks:
        return None
    if len(marks) == 1 and marks[0].args and not marks[0].kwargs:  # the common case
        keys = [_check_key(item.nodeid, "key", arg) for arg in marks[0].args]
        return XrayMark(keys=tuple(dict.fromkeys(keys)))
    keys = []
    defects: list[str] = []
    requirements: list[str] = []
    custom_fields: dict[str, Any] = {}
    for mark in marks:
        if not mark.args and not (keyless and mark.kwargs):
            also = (
                ""
                if keyless or not mark.kwargs
                else " (keywords alone are for tests created by definition: --xray-create-tests)"
            )
            raise MarkerError(
                f"{item.nodeid}: @pytest.mark.xray needs at least one Test key, "
                f"for example @pytest.mark.xray('CALC-12'){also}."
            )
        unknown = sorted(set(mark.kwargs) - set(KEYWORDS)) if mark.kwargs else ()
        if unknown:
            raise MarkerError(
                f"{item.nodeid}: @pytest.mark.xray got unknown keyword {unknown[0]!r}; "
                f"known keywords: {', '.join(KEYWORDS)}."
            )
        keys.extend(_check_key(item.nodeid, "key", arg) for arg in mark.args)
        if not mark.kwargs:
            continue
        defects.extend(_keys_of(item.nodeid, "defects", mark.kwargs.get("defects", ())))
        requirements.extend(
            _keys_of(item.nodeid, "requirements", mark.kwargs.get("requirements", ()))
        )
        custom_fields.update(_custom_fields(item.nodeid, mark.kwargs.get("custom_fields", {})))
    return XrayMark(
        keys=tuple(dict.fromkeys(keys)),
        defects=tuple(dict.fromkeys(defects)),
        requirements=tuple(dict.fromkeys(requirements)),
        custom_fields=tuple(custom_fields.items()),
    )


_NAMED = (type, types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.ModuleType)


def _readable(value: Any) -> str | None:
    """The text of a parameter value that is the same in every run, or ``None``: a function,
    class or module by its qualified name (as pytest names it in test ids), anything else by
    its ``str()`` unless that is ``object``'s default or holds an address (``<... at 0x7f..>``),
    which changes from run to run. A ``str()`` that raises has no text either."""
    if value is None or isinstance(value, (str, bytes, int, float, complex, bool)):
        return str(value)
    try:
        if isinstance(value, _NAMED):
            name = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
            if isinstance(name, str) and name:
                return name.rpartition("<locals>.")[2]
            return None
        cls: Any = type(value)
        if cls.__str__ is object.__str__ and cls.__repr__ is object.__repr__:
            return None
        text = str(value)
    except Exception:  # a user's __str__ may raise anything: the id names the value instead
        return None
    return None if " at 0x" in text else text


def _id_text(value: object) -> str | None:
    """An entry of ``ids=`` (or what an ``ids`` function returned) as pytest shows it."""
    if value is None:
        return None
    if isinstance(value, (str, int, float, bool, enum.Enum)):
        return str(value)
    name = getattr(value, "__name__", None)
    return name if isinstance(name, str) else None


def _parametrize_source(item: pytest.Item, name: str) -> tuple[Any, Any] | None:
    """``(argvalues, ids)`` of the ``parametrize`` marker, else the parametrized fixture, that
    gives the argument ``name`` its values."""
    for mark in item.iter_markers("parametrize"):
        argnames = mark.args[0] if mark.args else mark.kwargs.get("argnames", ())
        if isinstance(argnames, str):
            argnames = [part.strip() for part in argnames.split(",")]
        if name in argnames:
            values = mark.args[1] if len(mark.args) > 1 else mark.kwargs.get("argvalues")
            ids = mark.args[3] if len(mark.args) > 3 else mark.kwargs.get("ids")
            return values, ids
    fixtureinfo = getattr(item, "_fixtureinfo", None)
    definitions = getattr(fixtureinfo, "name2fixturedefs", {}).get(name)
    if definitions:  # @pytest.fixture(params=..., ids=...)
        return getattr(definitions[-1], "params", None), getattr(definitions[-1], "ids", None)
    return None


def _parameter_id(item: pytest.Item, name: str, index: int | None, value: object) -> str:
    """The id pytest gave ``value``, of argument ``name``, on its own: ``pytest.param(id=...)``,
    else ``ids=[...][index]`` (or what an ``ids`` function returns for it), else
    ``{name}{index}``. Only sought for a value with no readable text, so rarely."""
    if index is None:
        return name
    fallback = f"{name}{index}"
    try:
        source = _parametrize_source(item, name)
        if source is None:
            return fallback
        values, ids = source
        if isinstance(values, Sequence) and index < len(values):
            entry = values[index]
            if isinstance(entry, ParameterSet) and isinstance(entry.id, str):
                return entry.id
        if isinstance(ids, Sequence) and not isinstance(ids, str):
            text = _id_text(ids[index]) if index < len(ids) else None
        elif callable(ids):
            text = _id_text(ids(value))
        else:
            text = None
    except Exception:  # ids come from user code: never a collection crash over a label
        return fallback
    return text or fallback


def item_parameters(item: pytest.Item) -> tuple[tuple[str, str], ...]:
    """``(name, value)`` pairs of a parametrized test: the readable text of each value (see
    :func:`_readable`), else that parameter's own id (``pytest.param(id=...)``, ``ids=``, or
    ``{name}{index}``), which names it the same way in every run."""
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return ()
    params: dict[str, Any] = callspec.params
    indices: dict[str, int] = getattr(callspec, "indices", {})
    pairs = []
    for name, value in params.items():
        text = _readable(value)
        if text is None:
            text = _parameter_id(item, name, indices.get(name), value)
        if len(text) > PARAMETER_VALUE_LIMIT:
            text = text[: PARAMETER_VALUE_LIMIT - 1] + "…"
        pairs.append((name, text))
    return tuple(pairs)


def item_definition(item: pytest.Item) -> str:
    """The test's node id without parameters (``tests/test_a.py::TestX::test_y``): the same for
    every parametrized instance and across runs, so that Xray finds the same Generic Test."""
    nodeid, name = item.nodeid, item.name
    original = getattr(item, "originalname", name)
    if original != name and nodeid.endswith(name):
        return nodeid[: len(nodeid) - len(name)] + original
    return nodeid


def item_summary(item: pytest.Item, definition: str) -> str:
    """The first line of the test's docstring, else its name (with its class, if any)."""
    obj = getattr(item, "obj", None)
    doc = inspect.getdoc(obj) if callable(obj) else None
    lines = [line.strip() for line in (doc or "").splitlines() if line.strip()]
    summary = lines[0] if lines else definition.split("::", 1)[-1].replace("::", ".")
    if len(summary) > SUMMARY_LIMIT:
        summary = summary[: SUMMARY_LIMIT - 1] + "…"
    return summary
