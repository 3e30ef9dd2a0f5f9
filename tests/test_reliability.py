"""Nothing is lost: retries, the never-two-executions rule, resend with progress, chunks.

Faults are injected into the Xray emulator and travel over real sockets. The waits between
retries are recorded, not slept (``sleeps`` fixture), except where the wait is measured.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import re
import shlex
import signal
import stat
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from pytest_xray import retry
from pytest_xray.cli import main as cli_main
from pytest_xray.client import XrayClient
from pytest_xray.emulator import XrayEmulator
from pytest_xray.progress import Progress, ProgressFile, progress_path
from pytest_xray.publish import internal_error
from pytest_xray.report import write_report
from pytest_xray.settings import Credentials, Settings
from pytest_xray.upload import send_payload
from tests.conftest import PAT, RunXray

SUITE = """
import pytest

@pytest.mark.xray("CALC-1")
def test_one(): pass

@pytest.mark.xray("CALC-2")
@pytest.mark.parametrize("n", [1, 2])
def test_two(n): pass

@pytest.mark.xray("CALC-3")
def test_three(): pass
"""
KEYS = {"CALC-1", "CALC-2", "CALC-3"}
IMPORT = "/rest/raven/2.0/import/execution"


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pytester.makepyfile(test_suite=SUITE)
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    return pytester


def imports(emulator: XrayEmulator) -> list[Any]:
    return [r for r in emulator.requests if r.path.endswith("import/execution")]


@dataclass
class Resent:
    status: int
    out: str
    err: str


@pytest.fixture
def resend(pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]) -> Callable[..., Resent]:
    """``pytest-xray upload ARGS`` in this process (from the pytester directory), fast."""

    def run(*args: str) -> Resent:
        capsys.readouterr()
        status = cli_main(["upload", *args])
        captured = capsys.readouterr()
        return Resent(status, captured.out, captured.err)

    return run


def upload_command(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m pytest_xray upload ...`` in a real process, as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "pytest_xray", "upload", *args],
        capture_output=True, text=True, cwd=cwd, check=False, timeout=60,
    )  # fmt: skip


# -- retries -------------------------------------------------------------------------------


def test_503_twice_then_success_gives_one_execution_with_every_result(
    suite: pytest.Pytester, run_xray: RunXray, server: XrayEmulator, sleeps: list[float]
) -> None:
    server.inject(status=503, times=2)
    run = run_xray(f"--xray-url={server.url}", "--xray-project=CALC")
    assert run.result.ret == pytest.ExitCode.OK
    [execution] = server.executions.values()
    assert set(execution.runs) == KEYS
    assert [r.status for r in imports(server)] == [503, 503, 200]
    assert len(sleeps) == 2
    assert 0.5 <= sleeps[0] <= 1.0
    assert 1.0 <= sleeps[1] <= 2.0
    run.result.stdout.fnmatch_lines(
        [
            "*xray: *answered 503 (Service Unavailable)*; retry 1 of 4 in *s",
            "*xray: *answered 503 (Service Unavailable)*; retry 2 of 4 in *s",
            f"*xray: uploaded to Test Execution {execution.key}*",
        ]
    )


def test_retry_after_is_honoured(server: XrayEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """The one test that really waits: Xray says 2 s, we wait 2 s, then it works."""
    monkeypatch.setattr(retry, "sleep", time.sleep)
    server.inject(status=429, retry_after=2)
    settings = Settings(enabled=True, url=server.url, credentials=Credentials(token=PAT))
    said: list[str] = []
    payload = {"info": {"project": "CALC"}, "tests": [{"testKey": "CALC-1", "status": "PASS"}]}
    with XrayClient(settings, notify=said.append) as client:
        began = time.monotonic()
        result = client.import_execution(payload)
        waited = time.monotonic() - began
    assert 2.0 <= waited < 4.0
    assert result.key in server.executions
    assert [r.status for r in imports(server)] == [429, 200]
    assert said == [f"{server.url}{IMPORT} answered 429 (Too Many Requests): Too Many Requests "
                    "(injected by the Xray emulator); retry 1 of 4 in 2.0 s"]  # fmt: skip


def test_retry_after_as_http_date() -> None:
    now = 1_700_000_000.0
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now + 30))
    assert retry.retry_after_seconds(date, now=now) == 30
    assert retry.retry_after_seconds("7", now=now) == 7
    assert retry.retry_after_seconds("soon", now=now) is None


def test_retry_after_beyond_max_wait_gives_up_at_once(
    suite: pytest.Pytester, run_xray: RunXray, server: XrayEmulator, sleeps: list[float]
) -> None:
    server.inject(status=429, retry_after=600)
    run = run_xray(f"--xray-url={server.url}", "--xray-project=CALC", "--xray-max-wait=60")
    assert sleeps == []
    assert len(imports(server)) == 1
    run.result.stdout.fnmatch_lines(
        ["*upload FAILED: *429*Xray asked to retry after 600 s (Retry-After), longer than "
         "xray_max_wait (60 s): gave up",
         "*resend it with: pytest-xray upload * --xray-url=* --xray-max-wait=60"]
    )  # fmt: skip


def test_gives_up_after_the_configured_retries_and_says_so(
    suite: pytest.Pytester, run_xray: RunXray, server: XrayEmulator, sleeps: list[float]
) -> None:
    server.inject(status=503, times=10)
    run = run_xray(f"--xray-url={server.url}", "--xray-project=CALC", "--xray-retries=2",
                   "--xray-strict")  # fmt: skip
    assert run.result.ret == pytest.ExitCode.TESTS_FAILED  # strict: a failed upload fails the run
    assert len(imports(server)) == 3
    assert len(sleeps) == 2
    assert not server.executions
    run.result.stdout.fnmatch_lines(["*upload FAILED: *503*(gave up after 3 attempts in * s*"])


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_client_errors_are_not_retried(
    suite: pytest.Pytester,
    run_xray: RunXray,
    server: XrayEmulator,
    sleeps: list[float],
    status: int,
) -> None:
    server.inject(status=status)
    run = run_xray(f"--xray-url={server.url}", "--xray-project=CALC")
    assert len(imports(server)) == 1
    assert sleeps == []
    assert f"answered {status}" in run.output or f"({status})" in run.output


# -- never two executions ------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault", [{"drop": True}, {"status": 502}, {"status": 504}], ids=["drop", "502", "504"]
)
def test_a_create_that_may_have_reached_xray_is_not_repeated(
    suite: pytest.Pytester,
    run_xray: RunXray,
    server: XrayEmulator,
    sleeps: list[float],
    fault: dict[str, Any],
    resend: Callable[..., Resent],
) -> None:
    server.inject(**fault)
    run = run_xray(f"--xray-url={server.url}", "--xray-project=CALC", "--xray-output=r.json",
                   report="r.json")  # fmt: skip
    assert run.result.ret == pytest.ExitCode.OK
    assert len(imports(server)) == 1
    assert sleeps == []
    run.result.stdout.fnmatch_lines(
        [
            "*upload FAILED: *the request may have created a Test Execution all the same, so it "
            "was not repeated*",
            "*look in Jira for a Test Execution in project CALC named 'pytest run on *' created "
            "at *: Xray may have created it",
            "*if it is there, send the results into it: pytest-xray upload *r.json "
            f"--xray-url={server.url} --xray-execution KEY",
            f"*if not, resend as a new one: pytest-xray upload *r.json --xray-url={server.url} "
            "--new-execution",
        ]
    )
    # A plain resend refuses to guess; --new-execution is the user's word that none exists.
    refused = resend("r.json", f"--xray-url={server.url}")
    assert refused.status == 1
    assert "may exist" in refused.err
    assert "--new-execution" in refused.err
    assert len(imports(server)) == 1
    created = resend("r.json", f"--xray-url={server.url}", "--new-execution")
    assert created.status == 0, created.err
    [execution] = server.executions.values()
    assert set(execution.runs) == KEYS


def test_read_timeout_on_create_makes_exactly_one_execution(
    suite: pytest.Pytester,
    run_xray: RunXray,
    server: XrayEmulator,
    sleeps: list[float],
    resend: Callable[..., Resent],
) -> None:
    server.inject(delay=1.0)  # Xray handles it, but answers after our timeout
    run = run_xray(f"--xray-url={server.url}", "--xray-project=CALC", "--xray-timeout=0.2",
                   "--xray-output=r.json", report="r.json")  # fmt: skip
    run.result.stdout.fnmatch_lines(["*upload FAILED: no answer from * within 0.2 s*not repeated*"])
    deadline = time.monotonic() + 5
    while not imports(server) and time.monotonic() < deadline:  # recorded once answered
        time.sleep(0.05)
    [key] = server.executions
    assert len(imports(server)) == 1
    assert sleeps == []
    into = resend("r.json", f"--xray-url={server.url}", f"--xray-execution={key}")
    assert into.status == 0, into.err
    assert list(server.executions) == [key]
    assert set(server.executions[key].runs) == KEYS
    assert f"to Test Execution {key}" in into.out


def test_import_into_a_known_execution_is_repeated_after_a_drop(
    suite: pytest.Pytester, run_xray: RunXray, server: XrayEmulator, sleeps: list[float]
) -> None:
    server.inject(drop=True)
    server.inject(status=504)
    run = run_xray(f"--xray-url={server.url}", "--xray-execution=CALC-77")
    assert [r.status for r in imports(server)] == [0, 504, 200]
    assert len(sleeps) == 2
    assert list(server.executions) == ["CALC-77"]
    assert set(server.executions["CALC-77"].runs) == KEYS
    assert "uploaded to Test Execution CALC-77" in run.output


# -- saved report and resend ---------------------------------------------------------------


def test_server_down_from_the_start_then_resend_twice(
    suite: pytest.Pytester, run_xray: RunXray, sleeps: list[float]
) -> None:
    with XrayEmulator(flavor="server", tokens={PAT}) as gone:
        url = gone.url  # nothing listens there any more
    lenient = run_xray(
        f"--xray-url={url}", "--xray-project=CALC", report=".pytest_cache/d/xray/last-report.json"
    )
    strict = run_xray(f"--xray-url={url}", "--xray-project=CALC", "--xray-strict",
                      report=".pytest_cache/d/xray/last-report.json")  # fmt: skip
    assert lenient.result.ret == pytest.ExitCode.OK
    assert strict.result.ret == pytest.ExitCode.TESTS_FAILED
    assert len(sleeps) == 8  # four retries in each run
    strict.result.stdout.fnmatch_lines(
        [
            "*upload FAILED: cannot reach *: Connection refused; check xray_url and the network "
            "(gave up after 5 attempts*",
            "*report saved to *last-report.json",
            f"*resend it with: pytest-xray upload *last-report.json --xray-url={url}",
        ]
    )
    report = strict.report_path
    assert {t["testKey"] for t in strict.payload["tests"]} == KEYS
    with XrayEmulator(flavor="server", tokens={PAT}) as server:
        first = upload_command(str(report), f"--xray-url={server.url}", "--xray-project=CALC",
                               cwd=suite.path)  # fmt: skip
        assert first.returncode == 0, first.stderr
        [execution] = server.executions.values()
        assert set(execution.runs) == KEYS
        assert f"to Test Execution {execution.key}: {server.url}/browse/{execution.key}" in (
            first.stdout
        )
        second = upload_command(str(report), f"--xray-url={server.url}", cwd=suite.path)
        assert second.returncode == 0, second.stderr
        assert len(imports(server)) == 1  # nothing sent twice
        assert f"nothing to send: every result of {report} is already in Test Execution " \
               f"{execution.key}" in second.stdout  # fmt: skip
    progress = json.loads(progress_path(report).read_text())
    assert progress["execution"] == execution.key
    assert progress["sent"] == progress["total"] == 3


def test_console_script_resends(suite: pytest.Pytester, server: XrayEmulator) -> None:
    report = suite.path / "saved.json"
    write_report(
        {"info": {"project": "CALC"}, "tests": [{"testKey": "CALC-1", "status": "PASS"}]}, report
    )
    script = Path(sys.executable).with_name("pytest-xray")
    done = subprocess.run(
        [str(script), "upload", str(report), f"--xray-url={server.url}"],
        capture_output=True, text=True, cwd=suite.path, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(server.executions) == 1


def test_a_new_report_starts_a_new_progress(
    suite: pytest.Pytester, run_xray: RunXray, server: XrayEmulator
) -> None:
    """The pytest run overwrites the report and forgets the old progress beside it."""
    first = run_xray(f"--xray-url={server.url}", "--xray-project=CALC", "--xray-output=r.json")
    second = run_xray(f"--xray-url={server.url}", "--xray-project=CALC", "--xray-output=r.json")
    assert "uploaded to Test Execution" in first.output
    assert "uploaded" in second.output
    assert len(server.executions) == 2
    progress = json.loads(progress_path(suite.path / "r.json").read_text())
    assert progress["execution"] == sorted(server.executions)[-1]


# -- chunks --------------------------------------------------------------------------------


def many_tests_suite(pytester: pytest.Pytester, count: int) -> None:
    pytester.makepyfile(
        test_many=f"""
import pytest

@pytest.mark.parametrize("n", range(1, {count + 1}))
def test_many(n, request):
    request.node.add_marker(pytest.mark.xray(f"CALC-{{n}}"))
"""
    )


def test_chunks_by_count_first_creates_then_imports_into_its_key(
    pytester: pytest.Pytester, run_xray: RunXray, server: XrayEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    pytester.makepyfile(
        "import pytest\n"
        "@pytest.mark.parametrize('n', range(1, 21))\n"
        "def test_n(n, record_property): pass\n"
        + "".join(f"@pytest.mark.xray('CALC-{n}')\ndef test_k{n}(): pass\n" for n in range(1, 21))
    )
    run = run_xray(f"--xray-url={server.url}", "--xray-project=CALC", "--xray-chunk-tests=7")
    bodies = [json.loads(r.body) for r in imports(server)]
    assert [len(b["tests"]) for b in bodies] == [7, 7, 6]
    [execution] = server.executions.values()
    assert "testExecutionKey" not in bodies[0]
    assert bodies[0]["info"]["project"] == "CALC"
    assert [b["testExecutionKey"] for b in bodies[1:]] == [execution.key] * 2
    assert len(execution.runs) == 20
    run.result.stdout.fnmatch_lines([f"*uploaded to Test Execution {execution.key}*in 3 requests"])


def test_413_shrinks_the_chunk(
    pytester: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    pytester.makepyfile(
        "".join(
            f"import pytest\n@pytest.mark.xray('CALC-{n}')\ndef test_k{n}(): assert 0, 'x' * 200\n"
            for n in range(1, 31)
        )
    )
    with XrayEmulator(flavor="server", tokens={PAT}, max_body_bytes=8000) as server:
        run = run_xray(f"--xray-url={server.url}", "--xray-project=CALC")
        statuses = [r.status for r in imports(server)]
        executions = server.executions
        sizes = [len(r.body) for r in imports(server) if r.status == 200]
    assert statuses[0] == 413
    assert set(statuses[1:]) == {200}
    assert max(sizes) <= 8000
    [execution] = executions.values()
    assert len(execution.runs) == 30
    run.result.stdout.fnmatch_lines(
        ["*xray: *answered 413*; sending at most * tests (* KiB) per request",
         f"*uploaded to Test Execution {execution.key}*in {len(sizes)} requests"]
    )  # fmt: skip


def evidence_test(key: str, size: int) -> dict[str, Any]:
    data = "A" * size  # valid base64 of the right length
    evidence = {"data": data, "filename": "shot.png", "contentType": "image/png"}
    return {"testKey": key, "status": "PASS", "evidence": [evidence]}


def test_evidence_counts_toward_the_byte_budget(
    pytester: pytest.Pytester, server: XrayEmulator, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    report = pytester.path / "evidence.json"
    tests = [evidence_test(f"CALC-{n}", 40_000) for n in range(1, 7)]
    write_report({"info": {"project": "CALC"}, "tests": tests}, report)
    pytester.chdir()
    status = cli_main(["upload", str(report), f"--xray-url={server.url}",
                       "--xray-chunk-bytes=100KiB"])  # fmt: skip
    assert status == 0, capsys.readouterr().err
    assert [len(json.loads(r.body)["tests"]) for r in imports(server)] == [2, 2, 2]
    assert all(len(r.body) <= 100 * 1024 for r in imports(server))
    [execution] = server.executions.values()
    assert execution.runs["CALC-6"]["evidence"][0]["data"] == "A" * 40_000


def test_one_result_larger_than_xray_accepts_is_named(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    report = pytester.path / "big.json"
    tests = [evidence_test("CALC-1", 100), evidence_test("CALC-2", 50_000)]
    write_report({"info": {"project": "CALC"}, "tests": tests}, report)
    pytester.chdir()
    with XrayEmulator(flavor="server", tokens={PAT}, max_body_bytes=20_000) as server:
        status = cli_main(["upload", str(report), f"--xray-url={server.url}"])
        runs = {key: e.runs for key, e in server.executions.items()}
        port = server.port
    err = capsys.readouterr().err
    assert status == 1
    assert "answered 413: the request is too large for Xray: the result of CALC-2 alone is " \
           "48.9 KiB; make its evidence smaller." in err  # fmt: skip
    [(key, created)] = runs.items()
    assert set(created) == {"CALC-1"}
    assert f"(Test Execution {key} has 1 of 2 results; a resend sends the rest)" in err
    # The same Xray (same URL), now accepting more: the resend sends only CALC-2, into the key.
    with XrayEmulator(flavor="server", tokens={PAT}, port=port) as server:
        status = cli_main(["upload", str(report), f"--xray-url={server.url}"])
        [sent] = imports(server)
    out = capsys.readouterr().out
    assert status == 0
    body = json.loads(sent.body)
    assert body["testExecutionKey"] == key
    assert [t["testKey"] for t in body["tests"]] == ["CALC-2"]
    assert f"uploaded 1 result of {report} (1 sent before) to Test Execution {key}" in out


@pytest.fixture
def emulator_process() -> Iterator[str]:
    """An emulator in its own process (so that memory measured here is only the uploader's)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_xray.emulator", "--token", PAT, "--no-schema"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline()
    try:
        yield line.rsplit(" ", 1)[-1].strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_50000_results_upload_in_chunks_with_bounded_memory(
    tmp_path: Path, emulator_process: str
) -> None:
    comment = "assertion failed: " + "x" * 200
    tests = [{"testKey": f"TEST-{n}", "status": "FAIL", "comment": comment}
             for n in range(1, 50_001)]  # fmt: skip
    payload = {"info": {"project": "CALC", "summary": "big"}, "tests": tests}
    report = write_report(payload, tmp_path / "big.json")
    size = report.stat().st_size
    settings = Settings(
        enabled=True, url=emulator_process, credentials=Credentials(token=PAT),
        chunk_tests=10_000, chunk_bytes=512 * 1024,
    )  # fmt: skip
    with XrayClient(settings) as client:
        tracemalloc.start()
        try:
            upload = send_payload(client, payload, ProgressFile(report))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert not upload.failed
    assert upload.sent == 50_000
    assert upload.requests == -(-size // (512 * 1024 - 300))  # the byte limit decides
    # One request body for the whole run would need the report's size twice (str and bytes).
    assert peak < size / 2, f"peak {peak} bytes for a {size}-byte report"
    executions = requests.get(f"{emulator_process}/_emulator/executions", timeout=30).json()
    [execution] = executions.values()
    assert len(execution["runs"]) == 50_000


def test_execution_fields_create_by_multipart_then_chunks_import_into_its_key(
    suite: pytest.Pytester, run_xray: RunXray, server: XrayEmulator, sleeps: list[float]
) -> None:
    suite.makeini('[pytest]\nxray_execution_fields = {"labels": ["nightly"]}\n')
    server.inject(status=503, match="import/execution/multipart")  # a refusal: retried
    run = run_xray(f"--xray-url={server.url}", "--xray-project=CALC", "--xray-chunk-tests=2")
    paths = [(r.path.rsplit("/raven/2.0/", 1)[-1], r.status) for r in server.requests]
    assert paths == [
        ("import/execution/multipart", 503),
        ("import/execution/multipart", 200),
        ("import/execution", 200),
    ]
    [execution] = server.executions.values()
    assert execution.info["issue_fields"]["fields"]["labels"] == ["nightly"]
    assert set(execution.runs) == KEYS
    assert json.loads(server.requests[-1].body)["testExecutionKey"] == execution.key
    assert len(sleeps) == 1
    assert "in 2 requests" in run.output


def test_a_multipart_create_is_not_repeated_after_a_drop(
    suite: pytest.Pytester, run_xray: RunXray, server: XrayEmulator, sleeps: list[float]
) -> None:
    suite.makeini('[pytest]\nxray_execution_fields = {"labels": ["nightly"]}\n')
    server.inject(drop=True, match="import/execution/multipart")
    run = run_xray(f"--xray-url={server.url}", "--xray-project=CALC")
    assert len(server.requests) == 1
    assert sleeps == []
    assert "not repeated" in run.output


# -- resend into the execution given by --xray-execution ----------------------------------


def test_resend_continues_into_the_execution_given_by_xray_execution(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, resend: Callable[..., Resent]
) -> None:
    """A key given to the first upload is recorded: a plain resend adds to it, never creates."""
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    pytester.chdir()
    tests = [evidence_test("CALC-1", 100), evidence_test("CALC-2", 30_000),
             evidence_test("CALC-3", 100)]  # fmt: skip
    report = write_report({"info": {"project": "CALC"}, "tests": tests}, pytester.path / "r.json")
    with XrayEmulator(flavor="server", tokens={PAT}, max_body_bytes=20_000) as small:
        first = resend("r.json", f"--xray-url={small.url}", "--xray-execution=CALC-50",
                       "--xray-chunk-tests=1")  # fmt: skip
        port = small.port
        assert list(small.executions) == ["CALC-50"]
    assert first.status == 1
    assert "(Test Execution CALC-50 has 1 of 3 results; a resend sends the rest)" in first.err
    with XrayEmulator(flavor="server", tokens={PAT}, port=port) as server:
        second = resend("r.json", f"--xray-url={server.url}")
        assert second.status == 0, second.err
        assert list(server.executions) == ["CALC-50"]
        assert {json.loads(r.body)["testExecutionKey"] for r in imports(server)} == {"CALC-50"}
        assert set(server.executions["CALC-50"].runs) == {"CALC-2", "CALC-3"}
        third = resend("r.json", f"--xray-url={server.url}")
        assert third.status == 0, third.err
        assert len(imports(server)) == 1
        url = server.url
    link = f"{url}/browse/CALC-50"
    assert f"uploaded 2 results of r.json (1 sent before) to Test Execution CALC-50: {link}" in (
        second.out
    )
    assert f"nothing to send: every result of r.json is already in Test Execution CALC-50: {link}" \
        in third.out  # fmt: skip
    progress = json.loads(progress_path(report).read_text())
    assert (progress["execution"], progress["url"]) == ("CALC-50", url)


def test_a_complete_upload_into_a_given_execution_then_a_resend_names_it(
    suite: pytest.Pytester, run_xray: RunXray, server: XrayEmulator,
    resend: Callable[..., Resent],
) -> None:  # fmt: skip
    run = run_xray("--xray-dry-run", "--xray-project=CALC", "--xray-output=r.json",
                   report="r.json")  # fmt: skip
    assert "testExecutionKey" not in run.payload
    first = resend("r.json", f"--xray-url={server.url}", "--xray-execution=CALC-77")
    assert first.status == 0, first.err
    again = resend("r.json", f"--xray-url={server.url}")
    assert again.status == 0, again.err
    assert list(server.executions) == ["CALC-77"]
    assert len(imports(server)) == 1
    assert "nothing to send: every result of r.json is already in Test Execution CALC-77: " \
           f"{server.url}/browse/CALC-77" in again.out  # fmt: skip


def test_a_partial_send_whose_progress_names_no_execution_is_not_resent_blindly(
    pytester: pytest.Pytester, server: XrayEmulator, monkeypatch: pytest.MonkeyPatch,
    resend: Callable[..., Resent],
) -> None:  # fmt: skip
    """Older versions recorded no key they were given: such a resend must not create one."""
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    pytester.chdir()
    tests = [{"testKey": f"CALC-{n}", "status": "PASS"} for n in (1, 2, 3)]
    report = write_report({"info": {"project": "CALC"}, "tests": tests}, pytester.path / "r.json")
    progress = ProgressFile(report)
    progress.save(Progress(sha256=progress.load(3).sha256, total=3, url=server.url, sent=1))
    refused = resend("r.json", f"--xray-url={server.url}")
    assert refused.status == 1
    assert "r.json was already partly sent to a Test Execution its progress file does not " \
           "name; resend it with --xray-execution KEY (that execution)." in refused.err  # fmt: skip
    assert not imports(server)
    into = resend("r.json", f"--xray-url={server.url}", "--xray-execution=CALC-9")
    assert into.status == 0, into.err
    assert set(server.executions["CALC-9"].runs) == {"CALC-2", "CALC-3"}


# -- an unexpected error while uploading ---------------------------------------------------


BREAK_INFO = """
def pytest_xray_payload(payload, config):
    payload["info"]["testEnvironments"] = 3  # valid JSON, but not the list of names it must be
"""
FIELDS_INI = """[pytest]
xray_execution_fields = {"labels": ["nightly"]}
xray_environments_field = customfield_10201
"""


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
def test_an_internal_error_while_uploading_keeps_the_summary_report_and_resend(
    suite: pytest.Pytester, run_xray: RunXray, server: XrayEmulator, strict: bool
) -> None:
    suite.makeini(FIELDS_INI)
    suite.makeconftest(BREAK_INFO)
    run = run_xray(f"--xray-url={server.url}", "--xray-project=CALC", "--xray-output=r.json",
                   *(["--xray-strict"] if strict else []), report="r.json")  # fmt: skip
    assert run.result.ret == (pytest.ExitCode.TESTS_FAILED if strict else pytest.ExitCode.OK)
    run.result.stdout.fnmatch_lines(
        [
            "*xray: upload FAILED: internal error while uploading: TypeError: 'int' object "
            "is not iterable",
            "*xray: report saved to *r.json",
            f"*xray: resend it with: pytest-xray upload *r.json --xray-url={server.url}",
        ]
    )
    assert "Traceback" not in run.output
    assert not server.requests
    assert json.loads(run.report_path.read_text())["info"]["testEnvironments"] == 3
    # Nothing was sent: a resend must not think a create may have happened.
    progress = progress_path(run.report_path)
    assert not progress.exists() or json.loads(progress.read_text())["creating_since"] is None


def test_an_internal_error_while_uploading_is_traced_at_debug_level(
    suite: pytest.Pytester, run_xray: RunXray, server: XrayEmulator
) -> None:
    suite.makeini(FIELDS_INI)
    suite.makeconftest(BREAK_INFO)
    run = run_xray(f"--xray-url={server.url}", "--xray-project=CALC", "-o", "log_cli=true",
                   "--log-cli-level=DEBUG")  # fmt: skip
    run.result.stdout.fnmatch_lines(
        ["*internal error while uploading*", "Traceback (most recent call last):",
         "*TypeError: 'int' object is not iterable"]
    )  # fmt: skip


def test_an_internal_error_is_one_line_without_secrets() -> None:
    """No real upload error carries a secret today; the net scrubs whatever one might carry."""
    settings = Settings(
        enabled=True, url="https://jira.example.com", credentials=Credentials(token=PAT),
        proxy="http://bob:proxy-pw-31@proxy.example.com:3128",
    )  # fmt: skip
    error = ValueError(f"Invalid header value b'Bearer {PAT}'\nvia http://bob:proxy-pw-31@proxy")
    text = internal_error(error, settings)
    assert text == (
        "internal error while uploading: ValueError: Invalid header value b'Bearer ***' "
        "via http://***@proxy"
    )
    assert internal_error(KeyError(), settings) == "internal error while uploading: KeyError"


# -- a new run never writes over a report Xray did not fully get ----------------------------

LAST = ".pytest_cache/d/xray/last-report.json"


def kept_reports(folder: Path, stem: str) -> list[Path]:
    """The reports kept of ``{stem}.json``: ``{stem}.unsent/{stem}.YYYYmmdd-HHMMSS[-N].json``."""
    pattern = re.compile(re.escape(stem) + r"\.\d{8}-\d{6}(-\d+)?\.json")
    kept = folder / f"{stem}.unsent"
    return (
        [path for path in kept.iterdir() if pattern.fullmatch(path.name)] if kept.exists() else []
    )


def test_the_default_report_not_fully_sent_is_kept_by_the_next_run(
    suite: pytest.Pytester, run_xray: RunXray, server: XrayEmulator,
    resend: Callable[..., Resent],
) -> None:  # fmt: skip
    with XrayEmulator(flavor="server", tokens={PAT}) as gone:
        down = gone.url
    failed = run_xray(f"--xray-url={down}", "--xray-project=CALC", "--xray-retries=0",
                      report=LAST)  # fmt: skip
    assert "upload FAILED" in failed.output
    first = failed.payload
    # The same workspace, Xray back: this run's results go up, the first run's stay on disk.
    again = run_xray(f"--xray-url={server.url}", "--xray-project=CALC", report=LAST)
    cache = again.report_path.parent
    [kept] = kept_reports(cache, "last-report")
    assert kept.name.startswith("last-report.2")
    assert json.loads(kept.read_text()) == first
    assert progress_path(kept).exists()
    again.result.stdout.fnmatch_lines(
        [
            "*xray: uploaded to Test Execution CALC-1000*",
            f"*xray: the previous report was not completely sent to Xray; it was kept as {kept}",
            f"*xray: resend it with: pytest-xray upload {kept} --xray-url={server.url}",
        ]
    )
    assert again.result.ret == pytest.ExitCode.OK
    sent = resend(str(kept), f"--xray-url={server.url}")
    assert sent.status == 0, sent.err
    assert len(server.executions) == 2
    assert all(set(e.runs) == KEYS for e in server.executions.values())
    # Both were sent: the next run writes over its predecessor and keeps nothing more.
    third = run_xray(f"--xray-url={server.url}", "--xray-project=CALC", report=LAST)
    assert "previous report" not in third.output
    assert kept_reports(cache, "last-report") == [kept]


def test_an_output_report_not_sent_is_kept_even_by_a_dry_run(
    suite: pytest.Pytester, run_xray: RunXray, server: XrayEmulator
) -> None:
    """The upload broke before any request: the report still counts as unsent."""
    suite.makeini(FIELDS_INI)
    suite.makeconftest(BREAK_INFO)
    failed = run_xray(f"--xray-url={server.url}", "--xray-project=CALC", "--xray-output=r.json",
                      report="r.json")  # fmt: skip
    assert "internal error while uploading" in failed.output
    assert not server.requests
    (suite.path / "conftest.py").unlink()
    dry = run_xray("--xray-dry-run", "--xray-project=CALC", "--xray-output=r.json",
                   report="r.json")  # fmt: skip
    [kept] = kept_reports(suite.path, "r")
    assert json.loads(kept.read_text())["info"]["testEnvironments"] == 3
    dry.result.stdout.fnmatch_lines(
        [
            "*xray: report written to *r.json (dry run, nothing sent)",
            f"*xray: the previous report was not completely sent to Xray; it was kept as {kept}",
            f"*xray: resend it with: pytest-xray upload {kept}",
        ]
    )
    # A dry run's report was never to be sent: the next run writes over it.
    second = run_xray("--xray-dry-run", "--xray-project=CALC", "--xray-output=r.json",
                      report="r.json")  # fmt: skip
    assert "previous report" not in second.output
    assert sorted(p.name for p in suite.path.glob("r.*")) == ["r.json", "r.unsent"]
    assert sorted(p.name for p in kept.parent.iterdir()) == sorted(
        [kept.name, progress_path(kept).name]
    )


def test_without_the_cache_the_report_goes_to_a_folder_of_the_user_and_project(
    suite: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Not one file in the temporary directory shared by every project and user."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with XrayEmulator(flavor="server", tokens={PAT}) as gone:
        down = gone.url
    user = str(os.getuid()) if hasattr(os, "getuid") else getpass.getuser()
    project = hashlib.sha256(str(suite.path.resolve()).encode()).hexdigest()[:12]
    expected = tmp_path / f"pytest-xray-{user}" / project / "last-report.json"
    run = run_xray(f"--xray-url={down}", "--xray-project=CALC", "--xray-retries=0",
                   "-p", "no:cacheprovider", report=str(expected))  # fmt: skip
    run.result.stdout.fnmatch_lines(
        [
            f"*xray: report saved to {expected}",
            f"*xray: resend it with: pytest-xray upload {expected} *",
        ]
    )
    assert {t["testKey"] for t in run.payload["tests"]} == KEYS
    if hasattr(os, "getuid"):
        assert expected.parent.parent.stat().st_mode & 0o777 == 0o700


def test_a_report_changed_after_a_partial_send_names_the_earlier_execution(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, resend: Callable[..., Resent]
) -> None:
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    pytester.chdir()
    tests = [{"testKey": f"CALC-{n}", "status": "PASS"} for n in (1, 2, 3)]
    write_report({"info": {"project": "CALC"}, "tests": tests}, pytester.path / "r.json")
    with XrayEmulator(flavor="server", tokens={PAT}, known_tests={"CALC-1", "CALC-2"}) as server:
        first = resend("r.json", f"--xray-url={server.url}")
        assert first.status == 1  # CALC-3 not recorded
        [earlier] = server.executions
        tests[2]["testKey"] = "CALC-2"  # the user fixes the report by hand
        write_report({"info": {"project": "CALC"}, "tests": tests}, pytester.path / "r.json")
        second = resend("r.json", f"--xray-url={server.url}")
        assert second.status == 0, second.err
        assert len(server.executions) == 2  # as asked: the warning says how to do otherwise
    assert (
        f"pytest-xray: WARNING: r.json changed since part of it was sent to Test Execution "
        f"{earlier}; its progress starts afresh and a new Test Execution is created (to add the "
        f"results to {earlier} instead: --xray-execution {earlier})"
    ) in second.err
    assert "WARNING" not in first.err


def test_progress_counts_chunks_and_says_about_when_the_size_cuts_them(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, resend: Callable[..., Resent]
) -> None:
    """By the test limit the number of chunks is exact; once the byte limit cuts a chunk short
    it is an estimate, and the last chunk is always 'n of n'."""
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    pytester.chdir()
    # Three small results, then four large ones: 1 KiB holds four, then two.
    tests = [{"testKey": f"CALC-{n}", "status": "PASS", "comment": "x" * (50 if n < 4 else 350)}
             for n in range(1, 8)]  # fmt: skip
    write_report({"info": {"project": "CALC"}, "tests": tests}, pytester.path / "r.json")
    with XrayEmulator(flavor="server", tokens={PAT}) as server:
        by_count = resend("r.json", f"--xray-url={server.url}", "--xray-chunk-tests=3")
        (pytester.path / "r.json.progress.json").unlink()
        by_size = resend("r.json", f"--xray-url={server.url}", "--xray-chunk-bytes=1K")
    assert by_count.status == by_size.status == 0, by_count.err + by_size.err
    assert by_count.err.splitlines() == [
        "pytest-xray: chunk 1 of 3: results 1-3 of 7",
        "pytest-xray: chunk 2 of 3: results 4-6 of 7",
        "pytest-xray: chunk 3 of 3: result 7 of 7",
    ]
    assert by_size.err.splitlines() == [
        "pytest-xray: chunk 1 of about 2: results 1-4 of 7",
        "pytest-xray: chunk 2 of about 3: results 5-6 of 7",
        "pytest-xray: chunk 3 of 3: result 7 of 7",
    ]


# -- a run with nothing to report leaves no earlier report to be sent again ----------------


def test_a_run_with_nothing_to_report_removes_the_earlier_report(
    suite: pytest.Pytester, run_xray: RunXray
) -> None:
    first = run_xray("--xray-project=CALC", "--xray-output=r.json", report="r.json")
    assert {t["testKey"] for t in first.payload["tests"]} == KEYS
    again = run_xray("--xray-project=CALC", "--xray-output=r.json", "-k", "nothing_matches",
                     "--xray-result-file=out.json", report="r.json")  # fmt: skip
    assert not again.report_path.exists()
    assert not progress_path(again.report_path).exists()
    again.result.stdout.fnmatch_lines(
        [
            "xray: no results with an Xray key; nothing to report.",
            f"xray: removed the report of an earlier run, {again.report_path}, so that its "
            "results are not sent again",
        ]
    )
    outcome = json.loads((suite.path / "out.json").read_text())
    assert (outcome["tests"], outcome["report"], outcome["resend"]) == (0, None, [])
    # Nothing there: nothing said.
    third = run_xray("--xray-project=CALC", "--xray-output=r.json", "-k", "nothing_matches")
    assert "removed" not in third.output


def test_collect_only_leaves_the_earlier_report_alone(
    suite: pytest.Pytester, run_xray: RunXray
) -> None:
    first = run_xray("--xray-project=CALC", "--xray-output=r.json", report="r.json")
    looked = run_xray("--xray-project=CALC", "--xray-output=r.json", "--collect-only", "-q",
                      report="r.json")  # fmt: skip
    assert looked.payload == first.payload
    assert "removed" not in looked.output


def test_a_run_with_nothing_to_report_keeps_an_earlier_report_not_fully_sent(
    suite: pytest.Pytester, run_xray: RunXray, server: XrayEmulator,
    resend: Callable[..., Resent],
) -> None:  # fmt: skip
    with XrayEmulator(flavor="server", tokens={PAT}) as gone:
        down = gone.url
    failed = run_xray(f"--xray-url={down}", "--xray-project=CALC", "--xray-retries=0",
                      report=LAST)  # fmt: skip
    assert "upload FAILED" in failed.output
    first = failed.payload
    again = run_xray(f"--xray-url={server.url}", "--xray-project=CALC", "-k", "nothing_matches",
                     report=LAST)  # fmt: skip
    assert not again.report_path.exists()
    [kept] = kept_reports(again.report_path.parent, "last-report")
    assert json.loads(kept.read_text()) == first
    assert progress_path(kept).exists()
    again.result.stdout.fnmatch_lines(
        [
            "xray: no results with an Xray key; nothing to report.",
            f"xray: the previous report was not completely sent to Xray; it was kept as {kept}",
            f"xray: resend it with: pytest-xray upload {kept} --xray-url={server.url}",
        ]
    )
    assert "removed" not in again.output
    assert not server.requests
    sent = resend(str(kept), f"--xray-url={server.url}")
    assert sent.status == 0, sent.err
    [execution] = server.executions.values()
    assert set(execution.runs) == KEYS


def test_a_kept_shard_report_is_not_merged_by_the_shard_glob(
    suite: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """Kept aside in ``shard-1.unsent/``: ``merge "shard-*.json"`` takes the new report only,
    so no result counts twice."""
    with XrayEmulator(flavor="server", tokens={PAT}) as gone:
        down = gone.url
    run_xray(f"--xray-url={down}", "--xray-project=CALC", "--xray-retries=0",
             "--xray-output=shard-1.json", report="shard-1.json")  # fmt: skip
    again = run_xray("--xray-dry-run", "--xray-project=CALC", "--xray-output=shard-1.json",
                     report="shard-1.json")  # fmt: skip
    [kept] = kept_reports(suite.path, "shard-1")
    assert kept.parent == suite.path / "shard-1.unsent"
    assert progress_path(kept).exists()
    assert f"it was kept as {kept}" in again.output
    suite.chdir()
    capsys.readouterr()
    assert cli_main(["merge", "shard-*.json", "-o", "all.json"]) == 0
    assert capsys.readouterr().out == "merged 1 report (3 Xray tests) into all.json\n"
    merged = json.loads((suite.path / "all.json").read_text())
    assert merged["tests"] == again.payload["tests"]


def test_an_interrupted_run_is_saved_not_uploaded(
    pytester: pytest.Pytester,
    run_xray: RunXray,
    server: XrayEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl-C after some tests: a Test Execution of what happened to finish would pass for a
    whole run. The report is saved and marked unsent, with the command to send it anyway."""
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.xray("CALC-1")
        def test_a(): pass
        @pytest.mark.xray("CALC-2")
        def test_b(): pytest.exit("stopped by hand")  # as Ctrl-C: the run is interrupted
        @pytest.mark.xray("CALC-3")
        def test_c(): pass
        """
    )
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    args = [f"--xray-url={server.url}", "--xray-project=CALC", "--xray-result-file=out.json"]
    run = run_xray(*args, report=".pytest_cache/d/xray/last-report.json")
    assert run.result.ret == pytest.ExitCode.INTERRUPTED
    assert not server.requests
    assert [t["testKey"] for t in run.payload["tests"]] == ["CALC-1"]
    command = f"pytest-xray upload {run.report_path} --xray-url={server.url}"
    run.result.stdout.fnmatch_lines(
        [
            "xray: not uploaded: the run was interrupted, and its results would look like a "
            "whole run in Xray",
            f"xray: report saved to {run.report_path}",
            f"xray: to send them anyway: {command}*",
        ]
    )
    outcome = json.loads((pytester.path / "out.json").read_text())
    assert (outcome["uploaded"], outcome["error"]) == (
        False,
        "not uploaded: the run was interrupted",
    )
    # The command sends it when asked.
    assert cli_main(["upload", str(run.report_path), f"--xray-url={server.url}"]) == 0
    [execution] = server.executions.values()
    assert list(execution.runs) == ["CALC-1"]


# -- the upload command reads the configuration only ---------------------------------------

BROKEN_CONFTEST = """
open("conftest-ran", "a").close()
import module_only_the_tests_have  # the tests' dependencies are not installed here
"""


def test_the_upload_command_imports_no_conftest_and_no_other_plugin(
    pytester: pytest.Pytester,
    server: XrayEmulator,
    monkeypatch: pytest.MonkeyPatch,
    resend: Callable[..., Resent],
) -> None:
    """A resend step in CI lacks the tests' dependencies: the conftest files that import them
    are not imported, and options of other plugins in addopts do not stop the command; its
    own options there (a value after a space too) still count."""
    pytester.makeini(
        f"""
        [pytest]
        testpaths = tests
        xray_url = {server.url}
        addopts = -n 2 --reruns 1 --env=stage -p no:randomly --xray-execution CALC-5
        required_plugins = pytest-not-installed
        filterwarnings = error
        """
    )
    pytester.makeconftest(BROKEN_CONFTEST)
    pytester.mkdir("tests")
    (pytester.path / "tests" / "conftest.py").write_text(BROKEN_CONFTEST)
    report = write_report({"tests": [{"testKey": "CALC-1", "status": "PASS"}]}, Path("r.json"))
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    dry = resend(str(report), "--xray-dry-run")
    sent = resend(str(report))
    assert (dry.status, dry.err) == (0, "")
    assert f"to {server.url}" in dry.out
    assert sent.status == 0, sent.err
    assert list(server.executions) == ["CALC-5"]
    assert not (pytester.path / "conftest-ran").exists()
    assert "PYTEST_DISABLE_PLUGIN_AUTOLOAD" not in os.environ


def test_a_configuration_that_cannot_be_read_is_one_line(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, resend: Callable[..., Resent]
) -> None:
    pytester.makepyfile(broken_plugin="import module_only_the_tests_have")
    pytester.syspathinsert()
    monkeypatch.setenv("PYTEST_PLUGINS", "broken_plugin")
    report = write_report({"tests": [{"testKey": "CALC-1", "status": "PASS"}]}, Path("r.json"))
    done = resend(str(report), "--xray-dry-run")
    assert done.status == 2
    assert done.err.startswith("pytest-xray: error: cannot read the pytest configuration: ")
    assert "module_only_the_tests_have" in done.err
    assert done.err.count("\n") == 1


def test_a_path_after_a_space_is_not_taken_for_a_test_path(
    pytester: pytest.Pytester,
    tmp_path_factory: pytest.TempPathFactory,
    server: XrayEmulator,
    resend: Callable[..., Resent],
) -> None:
    """pytest looks for the ini file beside the paths of the command line before it knows the
    plugin's options: a file given as ``--xray-ca-bundle PATH`` would hide the project's ini."""
    pytester.makeini(f"[pytest]\nxray_url = {server.url}\n")
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (elsewhere / "ca.pem").write_text("not used over http")
    report = write_report({"tests": [{"testKey": "CALC-1", "status": "PASS"}]}, Path("r.json"))
    done = resend(str(report), "--xray-dry-run", "--xray-ca-bundle", str(elsewhere / "ca.pem"),
                  "--xray-result-file", str(elsewhere / "out.json"))  # fmt: skip
    assert (done.status, done.err) == (0, "")
    assert f"is not uploaded to {server.url}" in done.out
    assert json.loads((elsewhere / "out.json").read_text())["tests"] == 1


def test_the_resend_command_names_an_ini_file_it_would_not_find(
    pytester: pytest.Pytester, server: XrayEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pytest run from above the project finds its ini beside the test paths; the printed
    command, run from the same directory, names it (``-c``) and so reads the same settings."""
    project = pytester.mkdir("project")
    (project / "pytest.ini").write_text(f"[pytest]\nxray_url = {server.url}\nxray_retries = 0\n")
    (project / "test_a.py").write_text(SUITE)
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    server.inject(status=503)  # down for this run
    result = pytester.runpytest("project", "--xray", "--xray-project=CALC")
    [line] = [line for line in result.outlines if "resend it with: " in line]
    command = shlex.split(line.split("resend it with: ", 1)[1])
    assert command[3:5] == ["-c", str(project / "pytest.ini")]
    assert command[:2] == ["pytest-xray", "upload"]
    assert cli_main(command[1:]) == 0
    [execution] = server.executions.values()
    assert set(execution.runs) == KEYS


def test_no_ini_file_in_the_resend_command_when_pytest_ran_beside_it(
    suite: pytest.Pytester, server: XrayEmulator
) -> None:
    suite.makeini(f"[pytest]\nxray_url = {server.url}\nxray_retries = 0\n")
    server.inject(status=503)
    result = suite.runpytest("--xray", "--xray-project=CALC")
    result.stdout.fnmatch_lines(["xray: resend it with: pytest-xray upload *last-report.json"])


UNREADABLE_SUCCESS = {
    "empty-200": (200, "", "answered without a body, naming no Test Execution"),
    "empty-204": (204, "", "answered without a body, naming no Test Execution"),
    "no-key": (
        200,
        '{"testExecIssue": {}}',
        'answered without the key of a Test Execution: {"testExecIssue": {}}',
    ),
    "list": (
        200,
        '[{"key": 1}]',
        "answered a JSON list instead of the import's result, naming no Test Execution: "
        '[[]{"key": 1}]',  # '[[]' is fnmatch for '['
    ),
    "bad-json": (200, "{not json", "answered 200 with a body that is not JSON: '{not json'"),
}


@pytest.mark.parametrize("answer", UNREADABLE_SUCCESS)
def test_a_create_answered_with_success_that_names_no_execution_may_have_created_one(
    suite: pytest.Pytester,
    run_xray: RunXray,
    server: XrayEmulator,
    sleeps: list[float],
    resend: Callable[..., Resent],
    answer: str,
) -> None:
    status, body, said = UNREADABLE_SUCCESS[answer]
    server.inject(status=status, body=body)
    run = run_xray(f"--xray-url={server.url}", "--xray-project=CALC", "--xray-output=r.json",
                   report="r.json")  # fmt: skip
    assert len(imports(server)) == 1
    assert sleeps == []
    run.result.stdout.fnmatch_lines(
        [f"*upload FAILED: {server.url}{IMPORT} {said}; Xray may have created a Test Execution "
         "all the same, so none is created again blindly",
         "*look in Jira for a Test Execution in project CALC * created at *"]
    )  # fmt: skip
    assert "unexpected answer" not in run.output
    # The 'create in flight' mark stays: a plain resend does not create a second execution.
    refused = resend("r.json", f"--xray-url={server.url}")
    assert refused.status == 1
    assert "may exist" in refused.err
    assert len(imports(server)) == 1


# -- Ctrl-C during the upload ----------------------------------------------------------------


def interrupt_when(process: subprocess.Popen[str], progress: Path, field: str) -> tuple[str, str]:
    """Send SIGINT (Ctrl-C) to ``process`` once its upload is under way: once the progress
    file records ``field``, written just before the request goes. Returns its output."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if json.loads(progress.read_text()).get(field):
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    time.sleep(0.2)  # from the record to the request
    process.send_signal(signal.SIGINT)
    return process.communicate(timeout=30)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT")
def test_ctrl_c_while_a_create_waits_for_xray(suite: pytest.Pytester, server: XrayEmulator) -> None:
    server.inject(delay=2)
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", "--xray", "-p", "no:cacheprovider",
         f"--xray-url={server.url}", "--xray-project=CALC", "--xray-output=r.json",
         "--xray-result-file=out.json"],
        cwd=suite.path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    report = suite.path / "r.json"
    out, err = interrupt_when(process, progress_path(report), "creating_since")
    assert process.returncode == pytest.ExitCode.INTERRUPTED, out + err
    assert "Traceback" not in out + err
    command = f"pytest-xray upload {report} --xray-url={server.url}"
    lines = [line for line in out.splitlines() if line.startswith("xray: ")]
    start = lines.index("xray: upload FAILED: upload interrupted")
    assert lines[start + 1] == f"xray: report saved to {report}"
    assert re.fullmatch(
        r"xray: look in Jira for a Test Execution in project CALC named '.*' created at "
        r"\d\d:\d\d: Xray may have created it",
        lines[start + 2],
    )
    assert lines[start + 3 :] == [
        f"xray: if it is there, send the results into it: {command} --xray-execution KEY",
        f"xray: if not, resend as a new one: {command} --new-execution",
        f"xray: outcome written to {suite.path / 'out.json'}",
    ]
    assert json.loads((suite.path / "out.json").read_text())["error"] == "upload interrupted"
    assert json.loads(progress_path(report).read_text())["creating_since"]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT")
def test_ctrl_c_while_the_command_sends_into_an_execution(
    tmp_path: Path, server: XrayEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    report = write_report({"tests": [{"testKey": "CALC-1", "status": "PASS"}]}, tmp_path / "r.json")
    server.inject(delay=2)
    args = ["r.json", f"--xray-url={server.url}", "--xray-execution", "CALC-77",
            "--xray-result-file=out.json"]  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_xray", "upload", *args],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    _, err = interrupt_when(process, progress_path(report), "execution")
    assert process.returncode == 130
    assert err.splitlines() == [
        "pytest-xray: error: upload interrupted",
        f"pytest-xray: resend it with: pytest-xray upload r.json --xray-url={server.url} "
        "--xray-execution=CALC-77 --xray-result-file=out.json",
    ]
    outcome = json.loads((tmp_path / "out.json").read_text())
    assert outcome["error"] == "upload interrupted"
    assert outcome["resend"] == [err.splitlines()[1].removeprefix("pytest-xray: ")]
    progress = json.loads(progress_path(report).read_text())
    assert (progress["execution"], progress["sent"]) == ("CALC-77", 0)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX named pipes")
def test_an_output_that_is_no_file_keeps_the_resend_copy_in_the_cache(
    suite: pytest.Pytester, run_xray: RunXray, server: XrayEmulator
) -> None:
    """--xray-output /dev/null (here a named pipe, which nobody reads): an upload keeps its
    copy to resend from in the cache, and writes no progress file beside the device."""
    os.mkfifo(suite.path / "pipe")
    run = run_xray(f"--xray-url={server.url}", "--xray-project=CALC", "--xray-output=pipe",
                   report=".pytest_cache/d/xray/last-report.json")  # fmt: skip
    assert len(server.executions) == 1
    assert {t["testKey"] for t in run.payload["tests"]} == KEYS
    assert stat.S_ISFIFO((suite.path / "pipe").stat().st_mode)
    assert not (suite.path / "pipe.progress.json").exists()


def test_an_output_behind_a_symbolic_link_keeps_its_progress_beside_the_real_file(
    suite: pytest.Pytester, run_xray: RunXray
) -> None:
    (suite.path / "real").mkdir()
    (suite.path / "link.json").symlink_to(suite.path / "real" / "report.json")
    run = run_xray("--xray-url=http://127.0.0.1:9", "--xray-project=CALC", "--xray-retries=0",
                   "--xray-output=link.json", report="real/report.json")  # fmt: skip
    assert (suite.path / "link.json").is_symlink()
    assert progress_path(suite.path / "real" / "report.json").exists()
    assert f"resend it with: pytest-xray upload {suite.path / 'real' / 'report.json'}" in run.output
