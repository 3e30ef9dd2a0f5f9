"""Jira fields of a new Test Execution (``xray_execution_fields``): the multipart import, its
``info`` part per product exactly as Xray takes it, over real HTTP to the emulator."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
import requests

from pytest_xray.emulator import RecordedRequest, XrayEmulator
from pytest_xray.emulator.model import Flavor
from pytest_xray.emulator.multipart import parse_multipart
from tests.conftest import CLIENT_ID, CLIENT_SECRET, PAT, RunXray, validate
from tests.test_settings import usage_error

FIELDS = {"labels": ["nightly", "api"], "components": [{"name": "Backend"}],
          "customfield_10100": "release train 7"}  # fmt: skip
PASTED_INFO = {"fields": {"labels": ["x"]}, "xrayFields": {"testPlanKey": "CALC-9"}}
MARKED = "import pytest\n@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n"


def parts(request: RecordedRequest) -> dict[str, Any]:
    """The parts of a recorded multipart request, decoded as JSON, by name."""
    found = parse_multipart(request.header("Content-Type") or "", request.body)
    for part in found:
        assert part.content_type == "application/json"
    return {part.name: json.loads(part.data) for part in found}


@pytest.fixture
def fields_ini(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(MARKED)
    pytester.makeini(
        "[pytest]\n"
        f"xray_execution_fields = {json.dumps(FIELDS)}\n"
        "xray_project = CALC\nxray_summary = Nightly\nxray_fix_version = 1.2\n"
        "xray_description = all of it\nxray_test_plan = CALC-9\n"
        "xray_environments =\n    chrome\n    linux\n"
    )
    return pytester


def test_server_multipart(
    fields_ini: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    monkeypatch.setenv("XRAY_TEST_PLAN_FIELD", "customfield_11807")
    monkeypatch.setenv("XRAY_ENVIRONMENTS_FIELD", "customfield_11805")
    with XrayEmulator(flavor="server", tokens={PAT}) as server:
        run = run_xray(f"--xray-url={server.url}", "--xray-output=report.json",
                       report="report.json")  # fmt: skip
        [request] = server.requests
        [execution] = server.executions.values()
    assert request.path == "/rest/raven/2.0/import/execution/multipart"
    sent = parts(request)
    assert list(sent) == ["result", "info"]
    assert sent["info"] == {
        "fields": {
            "project": {"key": "CALC"},
            "summary": "Nightly",
            "issuetype": {"name": "Test Execution"},
            "description": "all of it",
            "fixVersions": [{"name": "1.2"}],
            "customfield_11807": ["CALC-9"],
            "customfield_11805": ["chrome", "linux"],
            "labels": ["nightly", "api"],
            "components": [{"name": "Backend"}],
            "customfield_10100": "release train 7",
        }
    }
    assert validate(sent["result"], "server") == run.payload  # the report is the result part
    assert execution.info["issue_fields"] == sent["info"]
    assert execution.runs["CALC-1"]["status"] == "PASS"
    run.result.stdout.fnmatch_lines([f"*uploaded to Test Execution {execution.key}*"])


def test_cloud_multipart(
    fields_ini: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XRAY_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("XRAY_CLIENT_SECRET", CLIENT_SECRET)
    with XrayEmulator(flavor="cloud", clients={CLIENT_ID: CLIENT_SECRET}) as cloud:
        run = run_xray(f"--xray-url={cloud.url}", "--xray-cloud")
        [_, request] = cloud.requests
        [execution] = cloud.executions.values()
    assert request.path == "/api/v2/import/execution/multipart"
    sent = parts(request)
    assert list(sent) == ["results", "info"]
    assert sent["info"] == {
        "fields": {
            "project": {"key": "CALC"},
            "summary": "Nightly",
            "issuetype": {"name": "Test Execution"},
            "description": "all of it",
            "fixVersions": [{"name": "1.2"}],
            "labels": ["nightly", "api"],
            "components": [{"name": "Backend"}],
            "customfield_10100": "release train 7",
        },
        "xrayFields": {"testPlanKey": "CALC-9", "environments": ["chrome", "linux"]},
    }
    validate(sent["results"], "cloud")
    assert execution.info["issue_fields"] == sent["info"]
    assert execution.runs["CALC-1"]["status"] == "PASSED"
    assert "upload FAILED" not in run.output


def test_user_fields_win_and_resend_uses_multipart_too(
    pytester: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(MARKED)
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    monkeypatch.setenv("XRAY_EXECUTION_FIELDS", '{"summary": "From the fields", "labels": ["x"]}')
    with XrayEmulator(flavor="server", tokens={PAT}) as server:
        url = server.url
    run = run_xray(f"--xray-url={url}", "--xray-project=CALC", "--xray-output=saved.json",
                   report="saved.json")  # fmt: skip
    assert "upload FAILED" in run.output
    with XrayEmulator(flavor="server", tokens={PAT}) as server:
        resend = subprocess.run(
            [sys.executable, "-m", "pytest_xray", "upload", "saved.json",
             f"--xray-url={server.url}"],
            capture_output=True, text=True, cwd=pytester.path, check=False,
        )  # fmt: skip
        assert resend.returncode == 0, resend.stderr
        [request] = server.requests
    assert request.path == "/rest/raven/2.0/import/execution/multipart"
    fields = parts(request)["info"]["fields"]
    assert fields["summary"] == "From the fields"
    assert fields["labels"] == ["x"]
    assert fields["project"] == {"key": "CALC"}


def test_existing_execution_uses_the_plain_import(
    pytester: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(MARKED)
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    monkeypatch.setenv("XRAY_EXECUTION_FIELDS", '{"labels": ["x"]}')
    with XrayEmulator(flavor="server", tokens={PAT}) as server:
        run = run_xray(f"--xray-url={server.url}", "--xray-execution=CALC-77")
        assert [r.path for r in server.requests] == ["/rest/raven/2.0/import/execution"]
    run.result.stdout.fnmatch_lines(
        ["*xray_execution_fields not applied: results were added to the existing Test "
         "Execution CALC-77"]
    )  # fmt: skip


@pytest.mark.parametrize(
    ("env", "fragments"),
    [
        ({"XRAY_EXECUTION_FIELDS": '{"labels": ["x"'}, ["XRAY_EXECUTION_FIELDS", "not valid JSON"]),
        ({"XRAY_EXECUTION_FIELDS": '["x"]'}, ["expected a JSON object of Jira fields", "list"]),
        (
            {"XRAY_EXECUTION_FIELDS": "{}", "XRAY_TEST_PLAN": "CALC-9"},
            ["Test Plan as a custom field", "xray_test_plan_field", "XRAY_TEST_PLAN_FIELD"],
        ),
        (
            {"XRAY_EXECUTION_FIELDS": "{}", "XRAY_ENVIRONMENTS": "chrome"},
            ["Test Environments", "xray_environments_field"],
        ),
        ({"XRAY_TEST_PLAN_FIELD": "Test Plan"}, ["not a Jira custom field id"]),
        (  # Xray's whole multipart info object instead of its "fields"
            {"XRAY_EXECUTION_FIELDS": json.dumps(PASTED_INFO)},
            [
                "XRAY_EXECUTION_FIELDS",
                "give only the Jira fields object",
                "xray_test_plan",
                "'fields' and 'xrayFields'",
            ],
        ),
        (
            {"XRAY_EXECUTION_FIELDS": '{"fields": {"labels": ["x"]}}'},
            ["XRAY_EXECUTION_FIELDS", "not Xray's multipart info object with 'fields';"],
        ),
    ],
)
def test_bad_execution_fields(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    fragments: list[str],
) -> None:
    pytester.makepyfile(MARKED)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    usage_error(pytester.runpytest("--xray"), *fragments)


def test_cloud_needs_no_field_ids(
    pytester: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(MARKED)
    monkeypatch.setenv("XRAY_EXECUTION_FIELDS", "{}")
    monkeypatch.setenv("XRAY_TEST_PLAN", "CALC-9")
    assert run_xray("--xray-cloud").result.ret == pytest.ExitCode.OK


@pytest.mark.parametrize("flavor", ["server", "cloud"])
def test_emulator_refuses_unknown_jira_fields_as_jira_does(flavor: Flavor) -> None:
    """Xray passes the ``info`` part to Jira, which refuses a field it does not know."""
    fields = {"project": {"key": "CALC"}, "summary": "x", "issuetype": {"name": "Test Execution"},
              "labels": ["ok"], "customfield_10100": "ok", "fields": {"labels": ["x"]}}  # fmt: skip
    status = "PASS" if flavor == "server" else "PASSED"
    result = {"tests": [{"testKey": "CALC-1", "status": status}]}
    with XrayEmulator(flavor=flavor, require_auth=False) as emulator:
        prefix = "/rest/raven/2.0" if flavor == "server" else "/api/v2"
        answer = requests.post(
            f"{emulator.url}{prefix}/import/execution/multipart",
            files={
                "result" if flavor == "server" else "results": ("r.json", json.dumps(result)),
                "info": ("info.json", json.dumps({"fields": fields})),
            },
            timeout=5,
        )
        assert answer.status_code == 400
        assert answer.json()["error"] == (
            "Error creating Test Execution: fields: Field 'fields' cannot be set. It is not on "
            "the appropriate screen, or unknown."
        )
        assert emulator.executions == {}
