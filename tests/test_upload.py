"""Uploads over real HTTP on 127.0.0.1 to the Xray emulator, through real pytest sessions."""

from __future__ import annotations

import fnmatch
import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from pytest_xray.emulator import Execution, XrayEmulator
from tests.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    PAT,
    USER,
    Run,
    RunXray,
    assert_no_secret,
    validate,
)
from tests.servers import answering, redirecting

SUITE = """
import pytest

@pytest.mark.xray("CALC-1")
def test_pass(): pass

@pytest.mark.xray("CALC-2")
@pytest.mark.parametrize("n", [1, 2, 3])
def test_iterations(n): assert n != 3, "three is out"

@pytest.mark.xray("CALC-3")
def test_skip(): pytest.skip("not here")
"""
CACHED_REPORT = ".pytest_cache/d/xray/last-report.json"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(test_suite=SUITE)
    return pytester


def use_basic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XRAY_USER", USER)
    monkeypatch.setenv("XRAY_PASSWORD", PASSWORD)


def use_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XRAY_TOKEN", PAT)


def use_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XRAY_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("XRAY_CLIENT_SECRET", CLIENT_SECRET)


@pytest.fixture
def example(pytester: pytest.Pytester) -> pytest.Pytester:
    """The README's example project (markers of every kind, parametrized tests, an xfail, a
    skip, evidence, requirements, its own pytest.ini), copied as tests/test_readme.py does."""
    shutil.copytree(
        ROOT / "example_project",
        pytester.path,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", "xray-report.json"),
    )
    return pytester


def assert_landed_intact(execution: Execution, run: Run, product: str) -> None:
    """Every ``tests[]`` entry of the run's report arrived in ``execution`` as it was saved,
    with the product's status names and every iteration."""
    report = {test["testKey"]: test for test in run.payload["tests"]}
    assert execution.runs == report
    passed, failed = ("PASSED", "FAILED") if product == "cloud" else ("PASS", "FAIL")
    statuses = {key: test["status"] for key, test in execution.runs.items()}
    assert statuses["CALC-1"] == passed
    assert statuses["CALC-6"] == failed  # the strict xfail
    iterations = {key: test.get("iterations", []) for key, test in execution.runs.items()}
    assert [i["status"] for i in iterations["CALC-2"]] == [passed] * 3
    assert iterations["CALC-2"][0]["parameters"] == [
        {"name": "a", "value": "1"}, {"name": "b", "value": "2"},
        {"name": "expected", "value": "0.5"},
    ]  # fmt: skip
    assert [i["status"] for i in iterations["CALC-11"]] == [passed] * 4
    assert len(report) == 9


@pytest.mark.parametrize("version", ["1.0", "2.0", "latest"])
@pytest.mark.parametrize("auth", [use_basic, use_token], ids=["basic", "pat"])
def test_server_upload(
    example: pytest.Pytester,
    run_xray: RunXray,
    server: XrayEmulator,
    monkeypatch: pytest.MonkeyPatch,
    version: str,
    auth: object,
) -> None:
    auth(monkeypatch)  # type: ignore[operator]
    run = run_xray(f"--xray-url={server.url}", f"--xray-api-version={version}",
                   report=CACHED_REPORT)  # fmt: skip
    assert run.result.ret == pytest.ExitCode.OK
    [execution] = server.executions.values()
    assert execution.key.startswith("CALC-")
    assert_landed_intact(execution, run, "server")
    paths = {r.path for r in server.requests}
    assert paths == {f"/rest/raven/{version}/import/execution"}
    run.result.stdout.fnmatch_lines(
        [
            f"*xray: uploaded to Test Execution {execution.key}: {server.url}/browse/CALC-*",
            f"*xray: report saved to *{CACHED_REPORT}",
        ]
    )
    assert validate(run.payload) == json.loads(server.requests[-1].body)
    assert_no_secret(run.output, run.report_path.read_text())


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_cloud_upload(
    example: pytest.Pytester,
    run_xray: RunXray,
    cloud: XrayEmulator,
    monkeypatch: pytest.MonkeyPatch,
    version: str,
) -> None:
    use_client(monkeypatch)
    monkeypatch.setenv("XRAY_JIRA_URL", "https://acme.atlassian.net")
    run = run_xray(f"--xray-url={cloud.url}", "--xray-cloud", f"--xray-api-version={version}",
                   report=CACHED_REPORT)  # fmt: skip
    assert run.result.ret == pytest.ExitCode.OK
    [execution] = cloud.executions.values()
    assert_landed_intact(execution, run, "cloud")
    assert [r.path for r in cloud.requests] == [
        f"/api/{version}/authenticate",
        f"/api/{version}/import/execution",
    ]
    assert cloud.requests[1].headers["Authorization"].startswith("Bearer ey")
    run.result.stdout.fnmatch_lines(
        [f"*uploaded to Test Execution {execution.key}: https://acme.atlassian.net/browse/*"]
    )
    assert_no_secret(run.output, run.report_path.read_text())
    token = cloud.requests[1].headers["Authorization"].removeprefix("Bearer ")
    assert token not in run.output


def test_server_context_path(
    suite: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_token(monkeypatch)
    with XrayEmulator(flavor="server", tokens={PAT}, context_path="/jira") as server:
        assert server.url.endswith("/jira")
        run = run_xray(f"--xray-url={server.url}", "--xray-project=CALC")
        assert len(server.executions) == 1
        assert server.requests[0].path == "/jira/rest/raven/2.0/import/execution"
    assert "uploaded to Test Execution" in run.output


def test_existing_execution_is_updated(
    suite: pytest.Pytester, run_xray: RunXray, server: XrayEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_token(monkeypatch)
    run_xray(f"--xray-url={server.url}", "--xray-execution=CALC-77")
    assert list(server.executions) == ["CALC-77"]
    assert server.executions["CALC-77"].runs["CALC-1"]["status"] == "PASS"


def test_partial_failure_is_listed_and_strict_fails_the_run(
    pytester: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        "import pytest\n"
        "@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n"
        "@pytest.mark.xray('CALC-404')\ndef test_b(): pass\n"
    )
    use_token(monkeypatch)
    with XrayEmulator(flavor="server", tokens={PAT}, known_tests={"CALC-1"}) as server:
        lenient = run_xray(f"--xray-url={server.url}", "--xray-project=CALC")
        strict = run_xray(f"--xray-url={server.url}", "--xray-project=CALC", "--xray-strict")
    assert lenient.result.ret == pytest.ExitCode.OK
    assert strict.result.ret == pytest.ExitCode.TESTS_FAILED
    for run in (lenient, strict):
        run.result.stdout.fnmatch_lines(
            ["*xray: uploaded to Test Execution CALC-*", "*xray: not recorded by Xray: CALC-404: *"]
        )
        assert "pytest-xray upload" in run.output


ODD_SUCCESS_ANSWERS = {
    "string-errors": (
        {"testExecIssue": {"key": "CALC-5"},
         "testIssues": {"success": ["CALC-1"], "error": ["CALC-2 not found"]}},
        ["*xray: not recorded by Xray: CALC-2: CALC-2 not found"],
    ),
    "dict-without-keys": (
        {"testExecIssue": {"key": "CALC-5"},
         "testIssues": {"error": [{"status": "locked"}, {"testKey": "CALC-3"}]}},
        ['*xray: not recorded by Xray: ?: {"status": "locked"}',
         "*xray: not recorded by Xray: CALC-3: (no message)"],
    ),
    "string-messages": (
        {"testExecIssue": {"key": "CALC-5"},
         "testIssues": {"error": [{"testKey": "CALC-2", "messages": "not executable"}]}},
        ["*xray: not recorded by Xray: CALC-2: not executable"],
    ),
    "single-error-dict": (
        {"testExecIssue": {"key": "CALC-5"},
         "testIssues": {"error": {"testKey": "CALC-2", "message": "is locked"}}},
        ["*xray: not recorded by Xray: CALC-2: is locked"],
    ),
    "string-info": (
        {"testExecIssue": {"key": "CALC-5"}, "infoMessages": "text"},
        ["*xray: Xray says: text"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("answer", ODD_SUCCESS_ANSWERS)
def test_odd_import_answers_list_every_unrecorded_test(
    suite: pytest.Pytester,
    run_xray: RunXray,
    server: XrayEmulator,
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
) -> None:
    body, lines = ODD_SUCCESS_ANSWERS[answer]
    use_token(monkeypatch)
    server.inject(status=200, body=json.dumps(body))
    run = run_xray(f"--xray-url={server.url}", "--xray-project=CALC")
    assert run.result.ret == pytest.ExitCode.TESTS_FAILED  # the suite's own failure, unchanged
    assert "Traceback" not in run.output
    assert "INTERNALERROR" not in run.output
    run.result.stdout.fnmatch_lines(["*xray: uploaded to Test Execution CALC-5*", *lines])
    if answer == "string-info":  # one line, not one per character
        assert "Xray says: t\n" not in run.output
        assert "not recorded" not in run.output


def test_xray_error_is_shown_verbatim_with_status_and_endpoint(
    suite: pytest.Pytester, run_xray: RunXray, server: XrayEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_token(monkeypatch)
    # Cloud status names sent to Server: the emulator refuses them like a strict Xray would.
    run = run_xray(f"--xray-url={server.url}", "--xray-project=CALC", "--xray-status=passed=PASSED")
    [line] = [x for x in run.result.outlines if "upload FAILED" in x]
    assert f"{server.url}/rest/raven/2.0/import/execution answered 400: " in line
    assert "PASSED" in line
    assert not server.executions


PASSING = """
import pytest

@pytest.mark.xray("CALC-1")
@pytest.mark.parametrize("n", [1, 2])
def test_pass(n): pass
"""

UPLOAD_ERRORS = {
    "refused-basic": (
        "*xray: upload FAILED: {url}/rest/raven/2.0/import/execution refused the credentials "
        "(401): Invalid username or password; check XRAY_USER and XRAY_PASSWORD."
    ),
    "refused-cloud": (
        "*xray: upload FAILED: Xray Cloud refused the client credentials at "
        "{url}/api/v2/authenticate; check XRAY_CLIENT_ID and XRAY_CLIENT_SECRET (an API key "
        "from Xray's settings)."
    ),
    "xray-400": (
        "*xray: upload FAILED: {url}/rest/raven/2.0/import/execution answered 400: Error "
        "assembling issue data: project is required"
    ),
    "html-200": (
        "*xray: upload FAILED: {url}/rest/raven/2.0/import/execution answered 200 with an HTML "
        "page instead of Xray's JSON (a proxy or single sign-on page?); check that xray_url is "
        "the Jira base URL (Server/DC) or the Xray Cloud host."
    ),
    "timeout-on-create": (
        "*xray: upload FAILED: no answer from {url}/rest/raven/2.0/import/execution within "
        "0.2 s; large imports can be slow: raise --xray-timeout (xray_timeout); the request "
        "may have created a Test Execution all the same, so it was not repeated (that could "
        "create a second one)"
    ),
    "server-down": (
        "*xray: upload FAILED: cannot reach {url}/rest/raven/2.0/import/execution: Connection "
        "refused; check xray_url and the network (gave up after 5 attempts in 0 s; see "
        "xray_retries)"
    ),
}


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
@pytest.mark.parametrize("case", UPLOAD_ERRORS)
def test_upload_error_keeps_the_report_and_the_exit_status(
    pytester: pytest.Pytester,
    run_xray: RunXray,
    server: XrayEmulator,
    cloud: XrayEmulator,
    monkeypatch: pytest.MonkeyPatch,
    case: str,
    strict: bool,
) -> None:
    pytester.makepyfile(test_passing=PASSING)
    emulator, args = server, ["--xray-project=CALC"]
    if case == "refused-cloud":
        monkeypatch.setenv("XRAY_CLIENT_ID", CLIENT_ID)
        monkeypatch.setenv("XRAY_CLIENT_SECRET", "not-the-" + CLIENT_SECRET)
        emulator, args = cloud, [*args, "--xray-cloud"]
    elif case == "refused-basic":
        monkeypatch.setenv("XRAY_USER", USER)
        monkeypatch.setenv("XRAY_PASSWORD", "wrong-" + PASSWORD)
    else:
        use_token(monkeypatch)
    if case == "xray-400":
        server.inject(status=400, body='{"error": "Error assembling issue data: project is '
                                       'required"}')  # fmt: skip
    elif case == "html-200":
        server.inject(html=True, status=200)
    elif case == "timeout-on-create":
        server.inject(delay=1.0)
        args.append("--xray-timeout=0.2")
    url = emulator.url
    if case == "server-down":
        server.stop()  # nothing listens on its port any more
    run = run_xray(f"--xray-url={url}", *args, *(["--xray-strict"] if strict else []),
                   report=CACHED_REPORT)  # fmt: skip
    assert run.result.ret == (pytest.ExitCode.TESTS_FAILED if strict else pytest.ExitCode.OK)
    [line] = [x for x in run.result.outlines if "upload FAILED" in x]
    assert fnmatch.fnmatchcase(line, UPLOAD_ERRORS[case].format(url=url)), line
    run.result.stdout.fnmatch_lines([f"*xray: report saved to *{CACHED_REPORT}"])
    assert [t["status"] for t in run.payload["tests"]] == [
        "PASSED" if case == "refused-cloud" else "PASS"
    ]
    if case == "timeout-on-create":  # Xray may have created it: the user looks before resending
        run.result.stdout.fnmatch_lines(
            ["*xray: look in Jira for a Test Execution in project CALC * created at *",
             "*xray: if it is there, send the results into it: pytest-xray upload *"
             f"{CACHED_REPORT} --xray-url={url} --xray-timeout=0.2 --xray-execution KEY",
             f"*xray: if not, resend as a new one: pytest-xray upload *{CACHED_REPORT} "
             f"--xray-url={url} --xray-timeout=0.2 --new-execution"]
        )  # fmt: skip
    else:
        given = "--xray-cloud " if case == "refused-cloud" else ""
        run.result.stdout.fnmatch_lines(
            [f"*xray: resend it with: pytest-xray upload *{CACHED_REPORT} {given}--xray-url={url}"]
        )
    if case == "refused-cloud":
        assert [r.path for r in cloud.requests] == ["/api/v2/authenticate"]
    elif case not in ("server-down", "timeout-on-create"):  # a slow Xray may have created it
        assert not server.executions
    assert "Traceback" not in run.output
    assert_no_secret(run.output, run.report_path.read_text())
    assert "wrong-" + PASSWORD not in run.output
    assert "not-the-" + CLIENT_SECRET not in run.output


@pytest.mark.parametrize(
    ("flavor", "status", "names"),
    [("server", 401, "XRAY_TOKEN"), ("server", 403, "XRAY_USER and XRAY_PASSWORD"),
     ("cloud", 401, "XRAY_CLIENT_ID and XRAY_CLIENT_SECRET")],
)  # fmt: skip
def test_html_refusal_names_the_credentials(
    suite: pytest.Pytester,
    run_xray: RunXray,
    server: XrayEmulator,
    cloud: XrayEmulator,
    monkeypatch: pytest.MonkeyPatch,
    flavor: str,
    status: int,
    names: str,
) -> None:
    emulator = cloud if flavor == "cloud" else server
    if flavor == "cloud":
        use_client(monkeypatch)
    else:
        (use_basic if "USER" in names else use_token)(monkeypatch)
    emulator.inject(html=True, status=status)
    run = run_xray(f"--xray-url={emulator.url}", "--xray-project=CALC",
                   *(["--xray-cloud"] if flavor == "cloud" else []))  # fmt: skip
    assert run.result.ret == pytest.ExitCode.TESTS_FAILED  # the suite's own failure
    endpoint = "api/v2/authenticate" if flavor == "cloud" else "import/execution"
    run.result.stdout.fnmatch_lines(
        [f"*upload FAILED: *{endpoint} answered {status} with an HTML page instead of Xray's "
         f"JSON (a proxy or single sign-on page?); check that xray_url is * and {names}."]
    )  # fmt: skip
    assert_no_secret(run.output)


@pytest.mark.parametrize(("cloud", "status"), [(False, 301), (False, 302), (True, 308)])
def test_redirect_names_the_new_address(
    suite: pytest.Pytester,
    run_xray: RunXray,
    monkeypatch: pytest.MonkeyPatch,
    cloud: bool,
    status: int,
) -> None:
    use_client(monkeypatch) if cloud else use_token(monkeypatch)
    with (
        XrayEmulator(flavor="cloud" if cloud else "server", tokens={PAT},
                     clients={CLIENT_ID: CLIENT_SECRET},
                     context_path="" if cloud else "/jira") as target,
        redirecting(target.url, status) as (old, seen),
    ):  # fmt: skip
        run = run_xray(f"--xray-url={old}", "--xray-project=CALC",
                       *(["--xray-cloud"] if cloud else []))  # fmt: skip
        assert target.requests == []  # not followed, so never re-sent as a GET
        new = target.url
    path = "/api/v2/authenticate" if cloud else "/rest/raven/2.0/import/execution"
    assert seen == [f"POST {path}"]
    assert run.result.ret == pytest.ExitCode.TESTS_FAILED  # the suite's own failure
    run.result.stdout.fnmatch_lines(
        [f"*xray: upload FAILED: {old}{path} answered {status} (*), a redirect to "
         f"{new}{path}; set xray_url (--xray-url, XRAY_URL) to the new address: {new}."]
    )  # fmt: skip
    assert "answered 405" not in run.output  # a port number may hold 405
    assert "Traceback" not in run.output
    assert_no_secret(run.output)


def test_redirected_check_is_a_clear_error(
    suite: pytest.Pytester, run_xray: RunXray, server: XrayEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_token(monkeypatch)
    with redirecting(server.url, 302) as (old, seen):
        run = run_xray(f"--xray-url={old}", "--xray-check", "--xray-dry-run")
    assert seen == ["GET /rest/raven/2.0/api/test?keys=CALC-1%3BCALC-2%3BCALC-3"]
    assert server.requests == []
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    run.result.stderr.fnmatch_lines(
        [f"*--xray-check: cannot check the Xray keys: {old}/rest/raven/2.0/api/test answered "
         f"302 (*), a redirect to {server.url}/rest/raven/2.0/api/test?keys=*; set xray_url "
         f"(--xray-url, XRAY_URL) to the new address: {server.url}.*"]
    )  # fmt: skip


@contextmanager
def unanswered_port() -> Iterator[int]:
    """A port on 127.0.0.1 whose listen queue is full: a new connection is never accepted, so
    connecting times out (instead of being refused)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = [socket.socket() for _ in range(3)]
        try:
            for filler in fillers:
                filler.setblocking(False)
                filler.connect_ex(("127.0.0.1", port))
            time.sleep(0.1)
            yield port
        finally:
            for filler in fillers:
                filler.close()


def test_connect_timeout_setting_is_used(
    suite: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_token(monkeypatch)
    monkeypatch.setenv("XRAY_CONNECT_TIMEOUT", "0.4")
    with unanswered_port() as port:
        began = time.monotonic()
        run = run_xray(f"--xray-url=http://127.0.0.1:{port}", "--xray-project=CALC",
                       "--xray-retries=0")  # fmt: skip
        took = time.monotonic() - began
    assert run.result.ret == pytest.ExitCode.TESTS_FAILED  # the suite's own failure
    run.result.stdout.fnmatch_lines(
        [f"*upload FAILED: cannot reach http://127.0.0.1:{port}/rest/raven/2.0/import/execution: "
         "*; check xray_url and the network, or raise --xray-connect-timeout "
         "(xray_connect_timeout, now 0.4 s)*"]
    )  # fmt: skip
    assert took < 5  # not the default 10 s


def test_server_down_then_resend(
    suite: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_token(monkeypatch)
    with XrayEmulator(flavor="server", tokens={PAT}) as server:
        url = server.url
    # Nothing listens on that port any more.
    run = run_xray(f"--xray-url={url}", "--xray-project=CALC", "--xray-output=saved.json",
                   report="saved.json")  # fmt: skip
    assert run.result.ret == pytest.ExitCode.TESTS_FAILED
    run.result.stdout.fnmatch_lines(
        [
            f"*upload FAILED: cannot reach {url}/rest/raven/2.0/import/execution*",
            "*report saved to *saved.json",
            f"*resend it with: pytest-xray upload *saved.json --xray-url={url}",
        ]
    )
    assert len(run.payload["tests"]) == 3

    with XrayEmulator(flavor="server", tokens={PAT}) as server:
        resend = subprocess.run(
            [sys.executable, "-m", "pytest_xray", "upload", str(run.report_path),
             f"--xray-url={server.url}"],
            capture_output=True, text=True, cwd=run.report_path.parent, check=False,
        )  # fmt: skip
        assert resend.returncode == 0, resend.stderr
        [execution] = server.executions.values()
        assert set(execution.runs) == {"CALC-1", "CALC-2", "CALC-3"}
        link = f"{server.url}/browse/{execution.key}"
    assert f"to Test Execution {execution.key}: {link}" in resend.stdout
    assert_no_secret(resend.stdout, resend.stderr)


def test_upload_command_errors_are_one_line(pytester: pytest.Pytester) -> None:
    missing = subprocess.run(
        [sys.executable, "-m", "pytest_xray", "upload", "nope.json", "--xray-url=http://127.0.0.1:9"],
        capture_output=True, text=True, cwd=pytester.path, check=False,
    )  # fmt: skip
    assert missing.returncode == 1
    assert missing.stderr.strip().startswith("pytest-xray: error: cannot read nope.json")
    assert len(missing.stderr.strip().splitlines()) == 1
    (pytester.path / "bad.json").write_text("{not json")
    bad = subprocess.run(
        [sys.executable, "-m", "pytest_xray", "upload", "bad.json", "--xray-api-version=9"],
        capture_output=True, text=True, cwd=pytester.path, check=False,
    )  # fmt: skip
    assert bad.returncode == 2
    assert "unknown API version '9'" in bad.stderr


def test_cloud_check_and_upload_authenticate_once(
    suite: pytest.Pytester, run_xray: RunXray, cloud: XrayEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_client(monkeypatch)
    run = run_xray(f"--xray-url={cloud.url}", "--xray-cloud", "--xray-project=CALC",
                   "--xray-check")  # fmt: skip
    assert run.result.ret == pytest.ExitCode.TESTS_FAILED  # the suite's own failure
    assert [r.path for r in cloud.requests] == [
        "/api/v2/authenticate", "/api/v2/graphql", "/api/v2/import/execution",
    ]  # fmt: skip
    assert len({r.headers["Authorization"] for r in cloud.requests[1:]}) == 1
    [execution] = cloud.executions.values()
    assert set(execution.runs) == {"CALC-1", "CALC-2", "CALC-3"}
    # The next run (new settings) gets a token of its own.
    run_xray(f"--xray-url={cloud.url}", "--xray-cloud", "--xray-project=CALC")
    assert [r.path for r in cloud.requests[3:]] == [
        "/api/v2/authenticate", "/api/v2/import/execution",
    ]  # fmt: skip


AUTH, IMPORT, GRAPHQL = "/api/v2/authenticate", "/api/v2/import/execution", "/api/v2/graphql"


@pytest.mark.parametrize(
    ("option", "requests"),
    [
        # Expires after the first chunk's import: the second is refused, then repeated.
        ("--xray-chunk-tests=1", [(AUTH, 200), (IMPORT, 200), (IMPORT, 401), (AUTH, 200),
                                  (IMPORT, 200), (IMPORT, 200)]),
        # Expires after the --xray-check lookup, whose token the upload reuses: the create is
        # refused, then repeated (a refused create made nothing).
        ("--xray-check", [(AUTH, 200), (GRAPHQL, 200), (IMPORT, 401), (AUTH, 200),
                          (IMPORT, 200)]),
    ],
    ids=["between-chunks", "before-create"],
)  # fmt: skip
def test_cloud_token_expiring_during_the_run_is_renewed_once(
    suite: pytest.Pytester,
    run_xray: RunXray,
    cloud: XrayEmulator,
    monkeypatch: pytest.MonkeyPatch,
    option: str,
    requests: list[tuple[str, int]],
) -> None:
    use_client(monkeypatch)
    cloud.expire_tokens(after=1)
    run = run_xray(f"--xray-url={cloud.url}", "--xray-cloud", "--xray-project=CALC", option)
    assert run.result.ret == pytest.ExitCode.TESTS_FAILED  # the suite's own failure
    assert [(r.path, r.status) for r in cloud.requests] == requests
    [execution] = cloud.executions.values()
    assert {key: r["status"] for key, r in execution.runs.items()} == {
        "CALC-1": "PASSED", "CALC-2": "FAILED", "CALC-3": "TODO",
    }  # fmt: skip
    run.result.stdout.fnmatch_lines([f"*xray: uploaded to Test Execution {execution.key}*"])
    assert "upload FAILED" not in run.output


def test_cloud_token_refused_again_after_renewal_is_an_error(
    suite: pytest.Pytester, run_xray: RunXray, cloud: XrayEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_client(monkeypatch)
    cloud.inject(status=401, times=2, match="import/execution")
    run = run_xray(f"--xray-url={cloud.url}", "--xray-cloud", "--xray-project=CALC")
    assert [(r.path, r.status) for r in cloud.requests] == [
        (AUTH, 200), (IMPORT, 401), (AUTH, 200), (IMPORT, 401),
    ]  # fmt: skip
    run.result.stdout.fnmatch_lines(
        [f"*xray: upload FAILED: {cloud.url}{IMPORT} refused the credentials (401): *; check "
         "XRAY_CLIENT_ID and XRAY_CLIENT_SECRET."]
    )  # fmt: skip
    assert not cloud.executions


def test_cloud_token_from_the_environment_is_sent_without_authenticating(
    suite: pytest.Pytester, run_xray: RunXray, cloud: XrayEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A token the CI obtained itself, as Xray's documentation shows with curl.
    answer = requests.post(
        f"{cloud.url}/api/v2/authenticate",
        json={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        timeout=5,
    )
    token = answer.json()
    monkeypatch.setenv("XRAY_TOKEN", token)
    monkeypatch.setenv("XRAY_CLOUD", "true")
    run = run_xray(f"--xray-url={cloud.url}", "--xray-project=CALC", "--xray-check")
    assert run.result.ret == pytest.ExitCode.TESTS_FAILED  # the suite's own failure
    assert [r.path for r in cloud.requests] == [AUTH, GRAPHQL, IMPORT]  # AUTH: the test's own
    assert {r.headers["Authorization"] for r in cloud.requests[1:]} == {f"Bearer {token}"}
    [execution] = cloud.executions.values()
    assert execution.runs["CALC-1"]["status"] == "PASSED"  # Cloud's status names
    run.result.stdout.fnmatch_lines([f"*xray: uploaded to Test Execution {execution.key}"])
    assert token not in run.output

    # Once it expires, Xray's refusal says so; without client credentials nothing renews it.
    cloud.expire_tokens()
    expired = run_xray(f"--xray-url={cloud.url}", "--xray-project=CALC")
    assert [r.path for r in cloud.requests[3:]] == [IMPORT]
    expired.result.stdout.fnmatch_lines(
        [f"*xray: upload FAILED: {cloud.url}{IMPORT} refused the credentials (401): *; check "
         "XRAY_TOKEN (an Xray Cloud token from /authenticate, valid 24 h)."]
    )  # fmt: skip
    assert token not in expired.output


def test_cloud_token_alone_selects_the_cloud_host(pytester: pytest.Pytester) -> None:
    from pytest_xray.settings import CLOUD_HOST, resolve

    config = pytester.parseconfig("--xray", "--xray-project=CALC")
    settings = resolve(config, env={"XRAY_TOKEN": "a.b.c", "XRAY_CLOUD": "true"})
    assert (settings.cloud, settings.url) == (True, CLOUD_HOST)
    assert resolve(config, env={"XRAY_TOKEN": "a.b.c"}).url is None  # Server: no default


@pytest.mark.parametrize("content_type", ["text/html;charset=UTF-8", "text/plain", ""])
def test_xray_json_labelled_as_another_type_is_read_as_json(
    suite: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch, content_type: str
) -> None:
    use_token(monkeypatch)
    answer = {"testExecIssue": {"key": "CALC-77", "id": "10077"}}
    with answering(200, json.dumps(answer), content_type) as (url, seen):
        run = run_xray(f"--xray-url={url}", "--xray-project=CALC")
    assert seen == ["POST /rest/raven/2.0/import/execution"]
    run.result.stdout.fnmatch_lines(["*xray: uploaded to Test Execution CALC-77*"])
    assert "HTML page" not in run.output


FORGED = "\x1b[2J\x1b[31mRED\x1b[0m\r\nxray: uploaded to Test Execution FAKE-1\u202e"


@pytest.mark.parametrize("answer", ["error", "huge-error", "import-messages"])
def test_xray_text_is_shown_on_one_line_bounded_and_without_escape_codes(
    suite: pytest.Pytester,
    run_xray: RunXray,
    server: XrayEmulator,
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
) -> None:
    use_token(monkeypatch)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(suite.path / "summary.md"))
    if answer == "error":
        server.inject(status=400, body=json.dumps({"error": f"bad {FORGED}"}))
        lines = ["*xray: upload FAILED: * answered 400: bad RED xray: uploaded to Test "
                 "Execution FAKE-1"]  # fmt: skip
    elif answer == "huge-error":
        server.inject(status=400, body=json.dumps({"error": "ü" * 100_000 + "\n TAIL-MARK"}))
        lines = ["*xray: upload FAILED: * answered 400: üüü*ü…"]
    else:
        server.inject(status=200, body=json.dumps({
            "testExecIssue": {"key": "CALC-5"},
            "testIssues": {"error": [{"testKey": "CALC-2", "messages": [f"locked{FORGED}"]}]},
            "infoMessages": ["two\n\n   lines\ttabbed", "\x1b]0;window title\x07shown"],
        }))  # fmt: skip
        lines = ["*xray: uploaded to Test Execution CALC-5*",
                 "*xray: not recorded by Xray: CALC-2: lockedRED xray: uploaded to Test "
                 "Execution FAKE-1",
                 "*xray: Xray says: two lines tabbed",
                 "*xray: Xray says: shown"]  # fmt: skip
    run = run_xray(f"--xray-url={server.url}", "--xray-project=CALC",
                   "--xray-result-file=result.json")  # fmt: skip
    run.result.stdout.fnmatch_lines(lines)
    files = [suite.path / "result.json", suite.path / "summary.md"]
    shown = run.output + "".join(path.read_text() for path in files)
    for character in ("\x1b", "\\u001b", "\r", "\u202e", "\\u202e"):
        assert character not in shown
    assert not any(line.startswith("xray: uploaded to Test Execution FAKE") for line in
                   run.result.outlines)  # fmt: skip
    assert all(len(line) < 700 for line in run.result.outlines)
    assert "TAIL-MARK" not in run.output


def test_cloud_authenticate_answering_400_names_the_client_variables(
    suite: pytest.Pytester,
    run_xray: RunXray,
    cloud: XrayEmulator,
    monkeypatch: pytest.MonkeyPatch,
    sleeps: list[float],
) -> None:
    use_client(monkeypatch)
    cloud.inject(status=400, body='{"error": "\\"client_secret\\" must be a valid string"}')
    run = run_xray(f"--xray-url={cloud.url}", "--xray-project=CALC", "--xray-cloud")
    assert [r.path for r in cloud.requests] == ["/api/v2/authenticate"]
    assert sleeps == []
    run.result.stdout.fnmatch_lines(
        [f"*xray: upload FAILED: Xray Cloud refused the client credentials at {cloud.url}"
         "/api/v2/authenticate; check XRAY_CLIENT_ID and XRAY_CLIENT_SECRET (an API key from "
         "Xray's settings)."]
    )  # fmt: skip
    assert_no_secret(run.output)


@pytest.mark.parametrize(
    ("jira", "site"),
    [("https://acme.atlassian.net/browse/", "https://acme.atlassian.net"),
     ("https://acme.atlassian.net/browse", "https://acme.atlassian.net"),
     ("https://acme.atlassian.net//BROWSE//", "https://acme.atlassian.net"),
     ("https://jira.example.com:8443/jira/browse/", "https://jira.example.com:8443/jira"),
     ("https://browse", "https://browse")],
)  # fmt: skip
@pytest.mark.parametrize("source", ["option", "environment", "ini"])
def test_a_jira_url_copied_from_an_issue_link_loses_its_browse(
    pytester: pytest.Pytester, jira: str, site: str, source: str
) -> None:
    from pytest_xray.settings import resolve

    args, env = ["--xray", "--xray-dry-run", "--xray-url=https://xray.cloud.getxray.app"], {}
    if source == "option":
        args.append(f"--xray-jira-url={jira}")
    elif source == "environment":
        env["XRAY_JIRA_URL"] = jira
    else:
        pytester.makeini(f"[pytest]\nxray_jira_url = {jira}\n")
    settings = resolve(pytester.parseconfig(*args), env=env)
    assert settings.browse_base == site  # links: {site}/browse/KEY


def test_only_the_jira_url_loses_a_trailing_browse(pytester: pytest.Pytester) -> None:
    from pytest_xray.settings import resolve

    config = pytester.parseconfig("--xray", "--xray-dry-run", "--xray-url=https://j.example/browse")
    settings = resolve(config, env={})
    assert settings.url == "https://j.example/browse"  # a context path, as given
