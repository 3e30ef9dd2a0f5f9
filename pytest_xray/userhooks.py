"""Calling the hooks of :mod:`pytest_xray.hooks`: only when implemented, never fatal.

A hook nobody implements is skipped after one look at pluggy's implementations, so the per-test
hooks cost nothing by default. An exception in an implementation is recorded (once per distinct
error, with a count) for the summary, and the run goes on with the data as the hook left it.
Data a hook leaves that pytest-xray could not send (a field of the wrong type, a malformed key,
a payload that is not Xray JSON) is recorded the same way and replaced by what it was before the
hook, so that a hook's mistake never costs the run its report.
"""

from __future__ import annotations

import dataclasses
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_xray.hookdata import RESULT_FIELDS, SHORT, BadValue, copy_json, payload_problem
from pytest_xray.model import Outcome, TestResult
from pytest_xray.scrub import scrub_secrets

if TYPE_CHECKING:
    from pytest_xray.answers import ImportResult
    from pytest_xray.settings import Settings

__all__ = ["HOOK_NAMES", "UserHooks", "implemented_hooks"]

HOOK_NAMES = (
    "pytest_xray_status",
    "pytest_xray_result",
    "pytest_xray_payload",
    "pytest_xray_uploaded",
)


def implemented_hooks(config: pytest.Config) -> list[str]:
    """The hooks of :mod:`pytest_xray.hooks` that some plugin or conftest.py implements."""
    return [name for name in HOOK_NAMES if getattr(config.hook, name).get_hookimpls()]


def _where(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return ""
    frame = frames[-1]
    return f" ({Path(frame.filename).name}:{frame.lineno})"


@dataclasses.dataclass
class _Kept:
    """A result field a hook set to something unusable, on ``count`` tests (the first named)."""

    value: str
    nodeid: str
    expected: str
    count: int = 1


class UserHooks:
    """The user hooks of one run, called through ``config.hook``."""

    def __init__(self, config: pytest.Config, settings: Settings | None = None) -> None:
        self._hook = config.hook
        self._config = config
        self._settings = settings
        """The run's settings: their secrets are scrubbed from the error lines."""
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
        before = {name: getattr(result, name) for name in RESULT_FIELDS}
        before["evidence"] = list(result.evidence)  # the one field a hook can change in place
        self._call("pytest_xray_result", result=result, item=item, report=report)
        for name, check in RESULT_FIELDS.items():
            value = getattr(result, name)
            if value is before[name] or (name == "evidence" and value == before[name]):
                continue
            try:
                setattr(result, name, check(value))
            except BadValue as bad:
                setattr(result, name, before[name])
                self._keep("pytest_xray_result", name, value, before["nodeid"], str(bad))

    def _keep(self, hook: str, name: str, value: Any, nodeid: str, expected: str) -> None:
        kept = self.kept.get((hook, name))
        if kept is None:
            self.kept[hook, name] = _Kept(SHORT.repr(value), nodeid, expected)
        else:
            kept.count += 1

    def payload_editor(self) -> Callable[[dict[str, Any]], None] | None:
        """A function that runs ``pytest_xray_payload`` on a payload; ``None`` when unused."""
        if not self.implemented("pytest_xray_payload"):
            return None

        def edit(payload: dict[str, Any]) -> None:
            # Kept only when a hook may spoil the payload: at 100 000 tests a copy costs.
            original = copy_json(payload)
            self._call("pytest_xray_payload", payload=payload, config=self._config)
            problem = payload_problem(payload)
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
        """One line per distinct error, with how often it happened, without the run's secrets
        (a hook's exception may quote a token it was given)."""
        lines = self._error_lines()
        if self._settings is None:
            return lines
        return [scrub_secrets(line, self._settings) for line in lines]

    def _error_lines(self) -> list[str]:
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
