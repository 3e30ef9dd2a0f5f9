"""Shared fixtures: run a real pytest session with the plugin and read what it produced."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

SCHEMA: dict[str, Any] = json.loads(
    resources.files("pytest_xray.emulator").joinpath("xray-schema.json").read_text("utf-8")
)


def validate(payload: dict[str, Any]) -> dict[str, Any]:
    """Assert ``payload`` is valid Xray JSON (Xray's published schema) and return it."""
    jsonschema.validate(payload, SCHEMA, format_checker=jsonschema.FormatChecker())
    return payload


@pytest.fixture(autouse=True)
def _clean_xray_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see only the XRAY_* variables they set themselves."""
    for name in list(os.environ):
        if name.startswith("XRAY_"):
            monkeypatch.delenv(name)


@dataclass
class Run:
    """A finished pytest session and the Xray report it wrote (if any)."""

    result: pytest.RunResult
    report_path: Path

    @property
    def payload(self) -> dict[str, Any]:
        return validate(json.loads(self.report_path.read_text("utf-8")))

    def test(self, key: str) -> dict[str, Any]:
        """The ``tests[]`` entry of ``key``."""
        matches = [t for t in self.payload["tests"] if t.get("testKey") == key]
        assert len(matches) == 1, f"{key}: {len(matches)} entries in {self.payload['tests']}"
        return matches[0]

    @property
    def output(self) -> str:
        return self.result.stdout.str() + self.result.stderr.str()


RunXray = Callable[..., Run]


@pytest.fixture
def run_xray(pytester: pytest.Pytester) -> Iterator[RunXray]:
    """Run pytest with ``--xray`` (plus ``args``) in a subprocess; the report path is
    ``xray-report.json`` unless ``--xray-output`` is given."""

    def run(*args: str, report: str = "xray-report.json", subprocess: bool = False) -> Run:
        runner = pytester.runpytest_subprocess if subprocess else pytester.runpytest
        result = runner("--xray", *args)
        return Run(result, pytester.path / report)

    return run
