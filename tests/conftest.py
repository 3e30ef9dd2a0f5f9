"""Shared fixtures: run a real pytest session with the plugin and read what it produced."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest

# The plugin imports its HTTP client (and requests) only when it uploads. pytester's in-process
# runs drop every module first imported inside them, and a requests imported afresh in a later
# run no longer matches the classes that survived ("You can only merge into CookieJar"), so the
# client is imported once here, in the process that runs the tests.
import pytest_xray.client  # noqa: F401
from pytest_xray.emulator import XrayEmulator
from pytest_xray.emulator.checks import flavor_schema, is_date_time
from pytest_xray.emulator.model import Flavor


def _flavor_of(payload: dict[str, Any]) -> Flavor:
    """Server when a ``testInfo`` names its type ``testType`` (Server's name), else Cloud, whose
    schema is Xray's published one."""
    tests = payload.get("tests") or []
    server = any("testType" in (test.get("testInfo") or {}) for test in tests)
    return "server" if server else "cloud"


# The emulator's date-time check (an ISO 8601 date and time with an offset, as Xray takes):
# jsonschema's own needs rfc3339-validator, and without it every date-time passed unchecked.
_FORMATS = jsonschema.FormatChecker(formats=())
_FORMATS.checks("date-time")(is_date_time)


def validate(payload: dict[str, Any], flavor: Flavor | None = None) -> dict[str, Any]:
    """Assert ``payload`` is valid Xray JSON for ``flavor`` (Xray's published schema, with the
    Server differences the emulator knows; inferred from the payload when not given), its
    dates included, and return it."""
    schema = flavor_schema(flavor or _flavor_of(payload))
    jsonschema.validate(payload, schema, format_checker=_FORMATS)
    return payload


@pytest.fixture(autouse=True)
def _clean_xray_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see only the XRAY_* variables they set themselves."""
    for name in list(os.environ):
        if name.startswith("XRAY_"):
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits between retries, recorded instead of slept (in-process sessions only: a
    subprocess session really waits, which is what a test measuring the wait wants)."""
    waits: list[float] = []
    monkeypatch.setattr("pytest_xray.retry.sleep", waits.append)
    return waits


@dataclass
class Run:
    """A finished pytest session and the Xray report it wrote (if any)."""

    result: pytest.RunResult
    report_path: Path

    @property
    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = json.loads(self.report_path.read_text("utf-8"))
        return validate(payload)

    def test(self, key: str) -> dict[str, Any]:
        """The ``tests[]`` entry of ``key``."""
        tests: list[dict[str, Any]] = self.payload["tests"]
        matches = [t for t in tests if t.get("testKey") == key]
        assert len(matches) == 1, f"{key}: {len(matches)} entries in {self.payload['tests']}"
        return matches[0]

    @property
    def output(self) -> str:
        return self.result.stdout.str() + self.result.stderr.str()


RunXray = Callable[..., Run]


@pytest.fixture
def run_xray(pytester: pytest.Pytester) -> RunXray:
    """Run pytest with ``--xray`` plus ``args`` (in-process, or in a subprocess); ``report`` is
    where the run's report is expected, relative to the test directory."""

    def run(*args: str, report: str = "xray-report.json", subprocess: bool = False) -> Run:
        runner = pytester.runpytest_subprocess if subprocess else pytester.runpytest
        result = runner("--xray", *args)
        return Run(result, pytester.path / report)

    return run


# Secrets used against the emulator; tests assert none of them is ever printed or saved.
USER, PASSWORD = "alice", "s3cret-pass-word"
PAT = "pat-token-0123456789"
CLIENT_ID, CLIENT_SECRET = "client-id-42", "cloud-secret-9876"
SECRETS = (PASSWORD, PAT, CLIENT_SECRET)


@pytest.fixture
def server() -> Iterator[XrayEmulator]:
    """A live Xray Server / DC emulator on 127.0.0.1 accepting Basic and a PAT."""
    with XrayEmulator(flavor="server", users={USER: PASSWORD}, tokens={PAT}) as emulator:
        yield emulator


@pytest.fixture
def cloud() -> Iterator[XrayEmulator]:
    """A live Xray Cloud emulator on 127.0.0.1 accepting one client id/secret."""
    with XrayEmulator(flavor="cloud", clients={CLIENT_ID: CLIENT_SECRET}) as emulator:
        yield emulator


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, "a secret leaked"
