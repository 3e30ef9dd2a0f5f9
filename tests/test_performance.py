"""What keeps the plugin cheap, and what the benchmark (benchmarks/overhead.py) reads from it.

No timings are asserted here: speed is measured by the benchmark, not by tests.
"""

from __future__ import annotations

import gc
import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pytest_xray.emulator import XrayEmulator
from pytest_xray.model import Execution, Outcome, TestResult
from pytest_xray.payload import build_payload, format_time
from pytest_xray.publish import publish
from pytest_xray.report import encode_pieces, write_report
from pytest_xray.settings import Settings
from tests.conftest import PAT, RunXray, validate

SUITE = """
import pytest

@pytest.mark.xray("CALC-1")
def test_pass(): pass

@pytest.mark.xray("CALC-2")
@pytest.mark.parametrize("n", [1, 2])
def test_iterations(n): assert n == 1
"""
TIMING = re.compile(r"session end [\d.]+ s \((build [\d.]+ s, write [\d.]+ s[^)]*)\)")
T0 = 1_700_000_000.0


def test_session_end_timing_under_verbose(pytester: pytest.Pytester, run_xray: RunXray) -> None:
    pytester.makepyfile(test_suite=SUITE)
    quiet = run_xray("--xray-dry-run")
    assert "session end" not in quiet.output
    verbose = run_xray("--xray-dry-run", "-v")
    assert TIMING.search(verbose.output), verbose.output
    assert gc.isenabled()  # paused for the session end only


def test_session_end_timing_is_logged_at_debug_level(
    pytester: pytest.Pytester, run_xray: RunXray
) -> None:
    pytester.makepyfile(test_suite=SUITE)
    run_xray("--xray-dry-run", "--log-file=xray.log", "--log-file-level=DEBUG")
    log = (pytester.path / "xray.log").read_text()
    assert re.search(r"pytest-xray: " + TIMING.pattern, log), log


def test_upload_phase_is_timed(
    pytester: pytest.Pytester,
    run_xray: RunXray,
    server: XrayEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytester.makepyfile(test_suite=SUITE)
    monkeypatch.setenv("XRAY_URL", server.url)
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    monkeypatch.setenv("XRAY_PROJECT", "CALC")
    run = run_xray("-v", report=".pytest_cache/d/xray/last-report.json")
    found = TIMING.search(run.output)
    assert found is not None, run.output
    assert re.search(r", upload [\d.]+ s$", found.group(1))


def results(count: int) -> Execution:
    return Execution(
        start=T0,
        finish=T0 + count,
        results=[
            TestResult(
                nodeid=f"t.py::test_{n}",
                keys=(f"CALC-{n + 1}",),
                outcome=Outcome.FAILED if n % 7 == 0 else Outcome.PASSED,
                start=T0 + n / 3,
                finish=T0 + n / 3 + 0.2,
                message="assert 'ü' == 'u'" if n % 7 == 0 else "",
            )
            for n in range(count)
        ],
    )


def test_publish_times_each_phase(tmp_path: Path) -> None:
    outcome = publish(results(3), Settings(enabled=True, project="CALC"), tmp_path / "r.json")
    assert list(outcome.phases) == ["build", "write"]
    assert outcome.seconds >= sum(outcome.phases.values())
    assert outcome.timing().startswith("session end ")


def test_a_large_report_is_written_in_pieces(tmp_path: Path) -> None:
    payload = build_payload(results(5_000), Settings(enabled=True, project="CALC"))
    payload = {"testExecutionKey": "CALC-9000", **payload}
    pieces = list(encode_pieces(payload))
    total = sum(len(piece) for piece in pieces)
    assert len(pieces) > 10
    assert max(len(piece) for piece in pieces) < total / 5  # never the whole text at once
    path = write_report(payload, tmp_path / "big.json")
    text = path.read_text("utf-8")
    assert "\n " not in text  # compact above 2 000 tests
    assert validate(json.loads(text)) == payload


def test_a_small_report_is_indented(tmp_path: Path) -> None:
    payload = build_payload(results(3), Settings(enabled=True, project="CALC"))
    text = write_report(payload, tmp_path / "small.json").read_text("utf-8")
    assert '\n  "tests": [' in text
    assert json.loads(text) == payload


@pytest.fixture
def local_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Switch the process's local time zone (POSIX TZ strings need no tz database)."""

    def switch(zone: str) -> None:
        monkeypatch.setenv("TZ", zone)
        time.tzset()

    yield switch
    monkeypatch.undo()
    time.tzset()


def test_cached_dates_follow_the_local_zone(local_zone: Callable[[str], None]) -> None:
    local_zone("UTC0")
    assert format_time(T0 + 0.9) == "2023-11-14T22:13:20+00:00"
    local_zone("IST-5:30")
    assert format_time(T0 + 0.9) == "2023-11-15T03:43:20+05:30"
    local_zone("UTC0")
    assert format_time(T0) == "2023-11-14T22:13:20+00:00"


IMPORT_PROBE = """
import sys

def pytest_unconfigure(config):
    with open("imported.txt", "w") as handle:
        handle.write(" ".join(m for m in ("requests", "urllib3") if m in sys.modules))
"""


@pytest.mark.parametrize("args", [["-p", "xray"], ["--xray", "--xray-dry-run"]], ids=str)
def test_requests_is_imported_only_to_upload(pytester: pytest.Pytester, args: list[str]) -> None:
    # requests and urllib3 take about a tenth of a second to import: a run that sends nothing
    # (no --xray, or a dry run) must not pay for them.
    pytester.makeconftest(IMPORT_PROBE)
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest_subprocess(*args)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    assert (pytester.path / "imported.txt").read_text() == ""


MODULE_PROBE = """
import sys

def pytest_unconfigure(config):
    with open("modules.txt", "w") as handle:
        handle.write(" ".join(sorted(m for m in sys.modules if m.startswith("pytest_xray"))))
"""
ENTRY_POINT_MODULES = {
    "pytest_xray",
    "pytest_xray.plugin",
    "pytest_xray.options",
    "pytest_xray.defaults",
    "pytest_xray.hooks",
}


def test_an_unused_plugin_imports_only_its_entry_point(pytester: pytest.Pytester) -> None:
    # Every pytest run in an environment with pytest-xray installed loads the plugin; without
    # --xray it must not pay for settings, markers, the model or the collector.
    pytester.makeconftest(MODULE_PROBE)
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest_subprocess("-p", "xray")
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    assert set((pytester.path / "modules.txt").read_text().split()) == ENTRY_POINT_MODULES
    assert not re.search(r"-+ xray -+", result.stdout.str())  # and no summary section


def test_requests_is_imported_to_upload(
    pytester: pytest.Pytester,
    run_xray: RunXray,
    server: XrayEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The probe's other half: it does see requests when the plugin uploads.
    pytester.makeconftest(IMPORT_PROBE)
    pytester.makepyfile(test_suite=SUITE)
    monkeypatch.setenv("XRAY_URL", server.url)
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    monkeypatch.setenv("XRAY_PROJECT", "CALC")
    run_xray(subprocess=True)
    assert len(server.executions) == 1
    assert (pytester.path / "imported.txt").read_text() == "requests urllib3"
