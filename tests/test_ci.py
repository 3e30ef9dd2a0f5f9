"""What CI reads after a run: --xray-result-file, GitHub Actions summary and outputs, progress."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_xray.answers import ImportResult
from pytest_xray.ci import github_outputs, github_summary, outcome_record
from pytest_xray.cli import main as cli_main
from pytest_xray.emulator import XrayEmulator
from pytest_xray.publish import PublishResult
from pytest_xray.report import write_report
from tests.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    PAT,
    USER,
    RunXray,
    assert_no_secret,
)

SUITE = """
import pytest

@pytest.mark.xray("CALC-1")
def test_pass(): pass

@pytest.mark.xray("CALC-2")
@pytest.mark.parametrize("n", [1, 2])
def test_iterations(n): assert n == 1

@pytest.mark.xray("CALC-404")
def test_unknown(): pass

def test_unmarked(): pass
"""


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pytester.makepyfile(test_suite=SUITE)
    monkeypatch.setenv("XRAY_USER", USER)
    monkeypatch.setenv("XRAY_PASSWORD", PASSWORD)
    monkeypatch.setenv("XRAY_PROJECT", "CALC")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    return pytester


def read(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def test_result_file_after_upload(suite: pytest.Pytester, run_xray: RunXray) -> None:
    with XrayEmulator(users={USER: PASSWORD}, known_tests={"CALC-1", "CALC-2"}) as server:
        run = run_xray(f"--xray-url={server.url}", "--xray-result-file=ci/xray.json")
        url = server.url
    assert run.result.ret == pytest.ExitCode.TESTS_FAILED  # the suite's own failure
    report = suite.path / ".pytest_cache/d/xray/last-report.json"
    assert read(suite.path / "ci/xray.json") == {
        "execution_key": "CALC-1000",
        "url": f"{url}/browse/CALC-1000",
        "uploaded": True,
        "partial": False,
        "results": 4,
        "tests": 3,
        "statuses": {"PASS": 2, "FAIL": 1},
        "unmarked": 1,
        "not_recorded": [
            {"test_key": "CALC-404", "message": "Test issue with key CALC-404 not found."}
        ],
        "not_landed": ["CALC-404"],
        "error": None,
        "report": str(report),
        "resend": [
            f"resend it with: pytest-xray upload {report} --xray-url={url} "
            "--xray-execution CALC-1000"
        ],
        "warnings": [],
    }
    run.result.stdout.fnmatch_lines([f"xray: outcome written to {suite.path / 'ci/xray.json'}"])


def test_result_file_after_failed_upload_has_no_secret(
    suite: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("XRAY_RESULT_FILE", "outcome.json")  # the environment works too
    run = run_xray(f"--xray-url=http://127.0.0.1:{port}")
    assert run.result.ret == pytest.ExitCode.TESTS_FAILED  # unchanged by the failed upload
    outcome = read(suite.path / "outcome.json")
    assert outcome["uploaded"] is False
    assert outcome["execution_key"] is None
    assert outcome["error"].startswith(f"cannot reach http://127.0.0.1:{port}/rest/raven/2.0/")
    assert outcome["resend"] == [
        f"resend it with: pytest-xray upload {outcome['report']} --xray-url=http://127.0.0.1:{port}"
    ]
    assert Path(outcome["report"]).exists()
    assert_no_secret((suite.path / "outcome.json").read_text(), run.output)


def test_result_file_from_ini_on_a_dry_run(suite: pytest.Pytester, run_xray: RunXray) -> None:
    suite.makeini("[pytest]\nxray_result_file = out/result.json\n")
    run_xray()
    outcome = read(suite.path / "out/result.json")
    assert outcome["uploaded"] is False
    assert outcome["error"] is None
    assert outcome["statuses"] == {"PASS": 2, "FAIL": 1}
    assert outcome["report"] == str(suite.path / "xray-report.json")
    assert outcome["resend"] == []


def test_result_file_when_nothing_is_marked(pytester: pytest.Pytester, run_xray: RunXray) -> None:
    pytester.makepyfile("def test_a(): pass\n")
    run_xray("--xray-result-file=r.json")
    outcome = read(pytester.path / "r.json")
    assert (outcome["tests"], outcome["unmarked"], outcome["report"]) == (0, 1, None)


def test_unwritable_result_file_is_a_summary_line(
    suite: pytest.Pytester, run_xray: RunXray
) -> None:
    (suite.path / "blocker").write_text("a file, not a directory")
    run = run_xray("--xray-result-file=blocker/result.json")
    assert run.result.ret == pytest.ExitCode.TESTS_FAILED
    run.result.stdout.fnmatch_lines(
        [f"xray: cannot write the result file {suite.path / 'blocker/result.json'}: *"]
    )
    assert "Traceback" not in run.output


def test_github_actions_summary_and_outputs(
    suite: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary, outputs = suite.path / "step_summary.md", suite.path / "github_output"
    summary.write_text("# earlier step\n")
    outputs.write_text("earlier=1\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    with XrayEmulator(users={USER: PASSWORD}, known_tests={"CALC-1", "CALC-2"}) as server:
        run_xray(f"--xray-url={server.url}")
        url = server.url
    link = f"{url}/browse/CALC-1000"
    report = suite.path / ".pytest_cache/d/xray/last-report.json"
    assert summary.read_text() == (
        "# earlier step\n"
        "### Xray\n\n"
        f"Test Execution [CALC-1000]({link}): 4 results for 3 Xray tests.\n\n"
        "| Xray status | Tests |\n"
        "|---|---:|\n"
        "| PASS | 2 |\n"
        "| FAIL | 1 |\n\n"
        "- not recorded by Xray: **CALC-404**: Test issue with key CALC-404 not found.\n"
        f"- resend it with: `pytest-xray upload {report} --xray-url={url} "
        "--xray-execution CALC-1000`\n\n"
    )
    assert outputs.read_text() == (
        f"earlier=1\nxray-execution-key=CALC-1000\nxray-execution-url={link}\n"
    )


def test_github_summary_of_a_failed_upload(
    suite: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary, outputs = suite.path / "summary.md", suite.path / "output"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    with XrayEmulator(users={USER: "another password"}) as server:
        run_xray(f"--xray-url={server.url}")
    text = summary.read_text()
    assert "3 Xray tests, not uploaded (report: `" in text
    assert "- **upload FAILED**: " in text
    assert "refused the credentials (401)" in text
    assert outputs.read_text() == ""  # no key to give
    assert_no_secret(text)


def test_github_summary_of_a_failed_check(
    suite: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check's own label, and each key at fault a bullet of its own."""
    summary = suite.path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    with XrayEmulator(users={USER: PASSWORD}, known_tests={"CALC-1"}) as server:
        run = run_xray(f"--xray-url={server.url}", "--xray-check")
        url = server.url
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    assert summary.read_text() == (
        "### Xray\n\n"
        f"- **check FAILED**: 2 of 3 Xray keys of the collected tests are not Tests in {url} "
        "(no such issue, or an issue of another type); no test was run:\n"
        "  - CALC-2: used by test_suite.py::test_iterations[1], "
        "test_suite.py::test_iterations[2]\n"
        "  - CALC-404: used by test_suite.py::test_unknown\n"
        "- Fix the keys in @pytest.mark.xray, or create the Tests in Xray.\n\n"
    )


def test_github_summary_of_a_multi_line_upload_error() -> None:
    record = outcome_record(PublishResult(results=1, tests=1), error="it failed:\n  why | here")
    assert github_summary(record).endswith(
        "\n- **upload FAILED**: it failed:\n  - why \\| here\n\n"
    )


def test_github_summary_escapes_table_cells() -> None:
    result = PublishResult(results=1, tests=1, uploaded=ImportResult(key="CALC-1"), browse_url=None)
    result.statuses.update({"A|B": 1})
    record = outcome_record(result)
    text = github_summary(record)
    assert "Test Execution `CALC-1`: 1 result for 1 Xray test." in text
    assert "| A\\|B | 1 |" in text
    assert github_outputs(record) == "xray-execution-key=CALC-1\n"


def test_progress_line_and_quiet(suite: pytest.Pytester, run_xray: RunXray) -> None:
    with XrayEmulator(users={USER: PASSWORD}) as server:
        loud = run_xray(f"--xray-url={server.url}")
        quiet = run_xray(f"--xray-url={server.url}", "-q")
        endpoint = f"{server.url}/rest/raven/2.0/import/execution"
    loud.result.stdout.fnmatch_lines([f"xray: uploading 3 Xray tests to {endpoint}"])
    assert "xray: uploading" not in quiet.output
    quiet.result.stdout.fnmatch_lines(["xray: uploaded to Test Execution CALC-1001*"])


def test_progress_of_a_chunked_upload(suite: pytest.Pytester, run_xray: RunXray) -> None:
    with XrayEmulator(users={USER: PASSWORD}) as server:
        run = run_xray(f"--xray-url={server.url}", "--xray-chunk-tests=2")
        quiet = run_xray(f"--xray-url={server.url}", "--xray-chunk-tests=2", "-q")
    run.result.stdout.fnmatch_lines(
        [
            "xray: uploading 3 Xray tests to *",
            "xray: chunk 1 of 2: results 1-2 of 3",
            "xray: chunk 2 of 2: result 3 of 3",
            "xray: uploaded to Test Execution CALC-1000: * in 2 requests",
        ]
    )
    assert "xray: chunk" not in quiet.output


def test_progress_of_a_chunked_resend(suite: pytest.Pytester, run_xray: RunXray) -> None:
    run_xray("--xray-output=report.json", report="report.json")
    with XrayEmulator(users={USER: PASSWORD}) as server:
        done = subprocess.run(
            [sys.executable, "-m", "pytest_xray", "upload", "report.json",
             f"--xray-url={server.url}", "--xray-chunk-tests=2"],
            cwd=suite.path, capture_output=True, text=True, check=False,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[:2] == [
        "pytest-xray: chunk 1 of 2: results 1-2 of 3",
        "pytest-xray: chunk 2 of 2: result 3 of 3",
    ]


def test_a_partial_upload_names_its_execution_and_what_did_not_land(
    suite: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Request 1 of 3 created the execution, request 2 was refused (400, not retried): CI
    learns the execution, that the upload is partial, and which results are not in it."""
    summary, outputs = suite.path / "summary.md", suite.path / "output"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    with XrayEmulator(users={USER: PASSWORD}, known_tests={"CALC-1", "CALC-2"}) as server:
        server.inject(delay=0.001)  # the first import goes through
        server.inject(status=400)
        run = run_xray(f"--xray-url={server.url}", "--xray-chunk-tests=1",
                       "--xray-result-file=xray.json")  # fmt: skip
        url = server.url
        assert set(server.executions["CALC-1000"].runs) == {"CALC-1"}
    assert run.result.ret == pytest.ExitCode.TESTS_FAILED  # the suite's own failure only
    link = f"{url}/browse/CALC-1000"
    report = suite.path / ".pytest_cache/d/xray/last-report.json"
    resend = (
        f"pytest-xray upload {report} --xray-url={url} --xray-chunk-tests=1 "
        "--xray-execution CALC-1000"
    )
    outcome = read(suite.path / "xray.json")
    error = (
        f"{url}/rest/raven/2.0/import/execution answered 400: Bad Request (injected by the "
        "Xray emulator) (Test Execution CALC-1000 has 1 of 3 results; a resend sends the rest)"
    )
    assert outcome == {
        "execution_key": "CALC-1000",
        "url": link,
        "uploaded": False,
        "partial": True,
        "results": 4,
        "tests": 3,
        "statuses": {"PASS": 2, "FAIL": 1},
        "unmarked": 1,
        "not_recorded": [],
        "not_landed": ["CALC-2", "CALC-404"],
        "error": error,
        "report": str(report),
        "resend": [f"resend it with: {resend}"],
        "warnings": [],
    }
    assert outputs.read_text() == f"xray-execution-key=CALC-1000\nxray-execution-url={link}\n"
    assert summary.read_text() == (
        "### Xray\n\n"
        f"Test Execution [CALC-1000]({link}): 1 of 3 Xray tests landed; upload FAILED "
        "(4 results for 3 Xray tests).\n\n"
        "| Xray status | Tests |\n"
        "|---|---:|\n"
        "| PASS | 2 |\n"
        "| FAIL | 1 |\n\n"
        "- not sent: **CALC-2**, **CALC-404**\n"
        f"- **upload FAILED**: {error}\n"
        f"- resend it with: `{resend}`\n\n"
    )
    run.result.stdout.fnmatch_lines(
        [
            f"xray: partly uploaded to Test Execution CALC-1000: {link}: 1 of 3 Xray tests landed",
            "xray: not sent: CALC-2, CALC-404",
            f"xray: upload FAILED: {error}",
        ]
    )


# -- pytest-xray upload: the same result file and GitHub files as a pytest run -------------


@pytest.fixture
def command(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Any:
    """``pytest-xray upload ARGS`` in this process, in the test directory, as a CI step: with
    ``GITHUB_STEP_SUMMARY`` and ``GITHUB_OUTPUT`` set; returns (status, stdout, stderr)."""
    # Not monkeypatch.chdir: on pytest 7.4 pytester changes directory without monkeypatch, so
    # monkeypatch's undo (after pytester's) would leave the next tests in this directory.
    pytester.chdir()
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(pytester.path / "summary.md"))
    monkeypatch.setenv("GITHUB_OUTPUT", str(pytester.path / "output"))

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = cli_main(["upload", *args])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


def three_tests(folder: Path) -> Path:
    tests = [
        {"testKey": "CALC-1", "status": "PASS"},
        {"testKey": "CALC-2", "status": "FAIL", "iterations": [{"status": "PASS"}] * 2},
        {"testKey": "CALC-3", "status": "PASS"},
    ]
    return write_report({"info": {"project": "CALC"}, "tests": tests}, folder / "r.json")


def test_upload_command_partial_then_complete_writes_the_ci_files(
    pytester: pytest.Pytester, command: Any, server: XrayEmulator
) -> None:
    three_tests(pytester.path)
    args = ("r.json", f"--xray-url={server.url}", "--xray-chunk-tests=1",
            "--xray-result-file=out/xray.json")  # fmt: skip
    resend = f"pytest-xray upload {' '.join(args)}"
    link = f"{server.url}/browse/CALC-1000"
    server.inject(delay=0.001)  # the first import goes through, the second is refused
    server.inject(status=400)
    status, _, err = command(*args)
    assert status == 1
    assert "pytest-xray: error: " in err
    outcome = read(pytester.path / "out/xray.json")
    assert outcome["execution_key"] == "CALC-1000"
    assert outcome["url"] == link
    assert (outcome["uploaded"], outcome["partial"]) == (False, True)
    assert (outcome["results"], outcome["tests"]) == (4, 3)
    assert outcome["statuses"] == {"PASS": 2, "FAIL": 1}
    assert outcome["not_landed"] == ["CALC-2", "CALC-3"]
    assert outcome["error"].endswith("(Test Execution CALC-1000 has 1 of 3 results; a resend "
                                     "sends the rest)")  # fmt: skip
    assert outcome["report"] == "r.json"
    assert outcome["resend"] == [f"resend it with: {resend}"]
    summary = (pytester.path / "summary.md").read_text()
    assert summary.startswith(
        f"### Xray\n\nTest Execution [CALC-1000]({link}): 1 of 3 Xray tests landed; upload "
        "FAILED (4 results for 3 Xray tests).\n"
    )
    assert "- not sent: **CALC-2**, **CALC-3**\n" in summary
    assert f"- resend it with: `{resend}`\n" in summary
    outputs = f"xray-execution-key=CALC-1000\nxray-execution-url={link}\n"
    assert (pytester.path / "output").read_text() == outputs
    # The resend, the same command, sends the rest into the same execution.
    status, _, err = command(*args)
    assert status == 0, err
    outcome = read(pytester.path / "out/xray.json")
    assert (outcome["execution_key"], outcome["uploaded"], outcome["partial"]) == (
        "CALC-1000", True, False
    )  # fmt: skip
    assert (outcome["not_landed"], outcome["error"], outcome["resend"]) == ([], None, [])
    assert set(server.executions["CALC-1000"].runs) == {"CALC-1", "CALC-2", "CALC-3"}
    summary = (pytester.path / "summary.md").read_text()
    assert summary.endswith(
        f"### Xray\n\nTest Execution [CALC-1000]({link}): 4 results for 3 Xray tests.\n\n"
        "| Xray status | Tests |\n|---|---:|\n| PASS | 2 |\n| FAIL | 1 |\n\n"
    )
    assert (pytester.path / "output").read_text() == outputs * 2


def test_upload_command_failure_writes_the_ci_files(
    pytester: pytest.Pytester, command: Any, server: XrayEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    three_tests(pytester.path)
    monkeypatch.setenv("XRAY_TOKEN", "not-the-token")
    monkeypatch.setenv("XRAY_RESULT_FILE", "xray.json")
    status, _, err = command("r.json", f"--xray-url={server.url}")
    assert status == 1
    outcome = read(pytester.path / "xray.json")
    assert (outcome["execution_key"], outcome["uploaded"], outcome["partial"]) == (
        None, False, False
    )  # fmt: skip
    assert "refused the credentials (401)" in outcome["error"]
    resend = f"pytest-xray upload r.json --xray-url={server.url}"
    assert outcome["resend"] == [f"resend it with: {resend}"]
    summary = (pytester.path / "summary.md").read_text()
    assert "3 Xray tests, not uploaded (report: `r.json`)." in summary
    assert "- **upload FAILED**: " in summary
    assert (pytester.path / "output").read_text() == ""
    assert_no_secret(summary, (pytester.path / "xray.json").read_text(), err)


JUNIT = """<testsuite name="s">
<testcase classname="c" name="a"><properties><property name="test_key" value="CALC-1"/>
</properties></testcase>
<testcase classname="c" name="b"><properties><property name="test_key" value="CALC-2"/>
</properties><failure message="no"/></testcase>
</testsuite>
"""


@pytest.mark.parametrize("fmt", ["json", "junit"])
def test_upload_command_of_junit_xml_writes_the_ci_files(
    pytester: pytest.Pytester, command: Any, server: XrayEmulator, fmt: str
) -> None:
    (pytester.path / "results.xml").write_text(JUNIT)
    status, _, err = command("results.xml", f"--format={fmt}", f"--xray-url={server.url}",
                             "--xray-project=CALC", "--xray-result-file=xray.json")  # fmt: skip
    assert status == 0, err
    outcome = read(pytester.path / "xray.json")
    [key] = server.executions
    link = f"{server.url}/browse/{key}"
    assert (outcome["execution_key"], outcome["url"], outcome["uploaded"]) == (key, link, True)
    assert (outcome["results"], outcome["tests"], outcome["error"]) == (2, 2, None)
    assert outcome["report"] == ("results.xray.json" if fmt == "json" else "results.xml")
    summary = (pytester.path / "summary.md").read_text()
    assert summary.startswith(f"### Xray\n\nTest Execution [{key}]({link}): 2 results for 2 ")
    outputs = (pytester.path / "output").read_text()
    assert outputs == f"xray-execution-key={key}\nxray-execution-url={link}\n"


FIELDS_INI = """[pytest]
xray_execution_fields = {"labels": ["nightly"]}
xray_environments_field = customfield_10201
"""


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_upload_command_internal_error_is_one_line(
    pytester: pytest.Pytester, command: Any, server: XrayEmulator, debug: bool
) -> None:
    """An error nobody foresaw (here: a report edited into an info the multipart create cannot
    use) is one line and exit status 1, and the CI files say it; the traceback only with
    --debug."""
    pytester.makeini(FIELDS_INI)
    report = {"info": {"project": "CALC", "testEnvironments": 3},
              "tests": [{"testKey": "CALC-1", "status": "PASS"}]}  # fmt: skip
    write_report(report, pytester.path / "r.json")
    status, _, err = command("r.json", f"--xray-url={server.url}", "--xray-result-file=x.json",
                             *(["--debug"] if debug else []))  # fmt: skip
    assert status == 1
    message = "internal error while uploading: TypeError: 'int' object is not iterable"
    assert f"pytest-xray: error: {message}\n" in err
    if debug:
        assert "Traceback (most recent call last):" in err
    else:
        assert err == f"pytest-xray: error: {message}\n"
    assert not server.requests
    outcome = read(pytester.path / "x.json")
    assert outcome["error"] == message
    assert outcome["resend"] == [
        f"resend it with: pytest-xray upload r.json --xray-url={server.url} "
        "--xray-result-file=x.json"
    ]
    assert f"- **upload FAILED**: {message}" in (pytester.path / "summary.md").read_text()


def test_cloud_summary_says_how_to_get_a_link(
    suite: pytest.Pytester, run_xray: RunXray, cloud: XrayEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Xray Cloud's host is not the Jira site: without XRAY_JIRA_URL there is no browse link,
    and the summary says how to get one."""
    monkeypatch.delenv("XRAY_USER")
    monkeypatch.delenv("XRAY_PASSWORD")
    monkeypatch.setenv("XRAY_CLOUD", "true")
    monkeypatch.setenv("XRAY_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("XRAY_CLIENT_SECRET", CLIENT_SECRET)
    bare = run_xray(f"--xray-url={cloud.url}")
    linked = run_xray(f"--xray-url={cloud.url}", "--xray-jira-url=https://acme.atlassian.net")
    bare.result.stdout.fnmatch_lines(
        [
            "xray: uploaded to Test Execution CALC-1000",
            "xray: for a link to CALC-1000, set XRAY_JIRA_URL (or --xray-jira-url) to your Jira "
            "site, such as https://yourcompany.atlassian.net",
        ]
    )
    linked.result.stdout.fnmatch_lines(
        ["xray: uploaded to Test Execution CALC-1001: https://acme.atlassian.net/browse/CALC-1001"]
    )
    assert "XRAY_JIRA_URL" not in linked.output
