"""Tests of the Xray emulator itself: real HTTP with requests against a live server."""

from __future__ import annotations

import base64
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from pytest_xray.emulator import MissingDependencyError, XrayEmulator
from tests.conftest import PASSWORD, USER, RunXray

USERS = {"alice": "s3cret"}
PAT = "pat-123"
CLIENTS = {"cid": "csecret"}
AUTH = ("alice", "s3cret")
REPO = Path(__file__).resolve().parent.parent

JUNIT_XML = b"""<?xml version="1.0" encoding="utf-8"?>
<testsuites>
  <testsuite name="pytest" tests="3">
    <testcase classname="tests.test_calc" name="test_add" time="0.01"/>
    <testcase classname="tests.test_calc" name="test_div" time="0.02">
      <failure message="ZeroDivisionError">Traceback...</failure>
    </testcase>
    <testcase classname="tests.test_calc" name="test_linked" time="0.03">
      <properties>
        <property name="test_key" value="CALC-7"/>
        <property name="testrun_evidence">
          <item name="log.txt">aGVsbG8=</item>
        </property>
      </properties>
      <skipped message="later"/>
    </testcase>
  </testsuite>
</testsuites>
"""

Factory = Callable[..., XrayEmulator]


@pytest.fixture
def make_emulator() -> Iterator[Factory]:
    """Start emulators on free ports; stop them all at the end of the test."""
    started: list[XrayEmulator] = []

    def make(**kwargs: Any) -> XrayEmulator:
        if kwargs.get("flavor", "server") == "server":
            kwargs.setdefault("users", USERS)
            kwargs.setdefault("tokens", {PAT})
        else:
            kwargs.setdefault("clients", CLIENTS)
        emulator = XrayEmulator(**kwargs).start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


@pytest.fixture
def server(make_emulator: Factory) -> XrayEmulator:
    return make_emulator(flavor="server")


@pytest.fixture
def cloud(make_emulator: Factory) -> XrayEmulator:
    return make_emulator(flavor="cloud")


def cloud_headers(emulator: XrayEmulator, version: str = "v2") -> dict[str, str]:
    answer = requests.post(
        f"{emulator.url}/api/{version}/authenticate",
        json={"client_id": "cid", "client_secret": "csecret"},
        timeout=5,
    )
    assert answer.status_code == 200
    return {"Authorization": f"Bearer {answer.json()}"}


def server_import(
    emulator: XrayEmulator, payload: dict[str, Any], version: str = "2.0", **kwargs: Any
) -> requests.Response:
    kwargs.setdefault("auth", AUTH)
    kwargs.setdefault("timeout", 5)
    return requests.post(
        f"{emulator.url}/rest/raven/{version}/import/execution", json=payload, **kwargs
    )


def cloud_import(
    emulator: XrayEmulator, payload: dict[str, Any], headers: dict[str, str], version: str = "v2"
) -> requests.Response:
    return requests.post(
        f"{emulator.url}/api/{version}/import/execution", json=payload, headers=headers, timeout=5
    )


def server_payload(*tests: dict[str, Any], **info: Any) -> dict[str, Any]:
    return {
        "info": {"project": "CALC", **info},
        "tests": list(tests) or [{"testKey": "CALC-1", "status": "PASS"}],
    }


def cloud_payload(*tests: dict[str, Any], **info: Any) -> dict[str, Any]:
    return {
        "info": {"project": "CALC", "summary": "Nightly", **info},
        "tests": list(tests) or [{"testKey": "CALC-1", "status": "PASSED"}],
    }


def json_part(value: Any) -> tuple[str, bytes, str]:
    return ("part.json", json.dumps(value).encode(), "application/json")


def issue_info(**fields: Any) -> dict[str, Any]:
    base = {
        "project": {"key": "CALC"},
        "summary": "From CI",
        "issuetype": {"name": "Test Execution"},
    }
    return {"fields": {**base, **fields}}


# -- Server imports ------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.0", "2.0", "latest"])
def test_server_json_import_each_version(server: XrayEmulator, version: str) -> None:
    answer = server_import(server, server_payload(summary="Nightly"), version)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    issue = body["testExecIssue"]
    assert issue["key"] == "CALC-1000"
    assert issue["self"] == f"{server.url}/rest/api/2/issue/{issue['id']}"
    assert [t["key"] for t in body["testIssues"]["success"]] == ["CALC-1"]
    assert body["testIssues"]["error"] == []
    assert body["infoMessages"] == []
    execution = server.executions["CALC-1000"]
    assert execution.info["summary"] == "Nightly"
    assert execution.runs["CALC-1"]["status"] == "PASS"
    assert execution.imports == 1


def test_server_context_path(make_emulator: Factory) -> None:
    emulator = make_emulator(flavor="server", context_path="jira/")
    assert emulator.url.endswith("/jira")
    outside = requests.post(
        f"{emulator.base_url}/rest/raven/2.0/import/execution",
        json=server_payload(),
        auth=AUTH,
        timeout=5,
    )
    assert outside.status_code == 404
    assert "/jira" in outside.json()["error"]
    assert server_import(emulator, server_payload()).status_code == 200


@pytest.mark.parametrize(
    ("auth", "headers"),
    [(AUTH, {}), (None, {"Authorization": f"Bearer {PAT}"})],
    ids=["basic", "personal-access-token"],
)
def test_server_auth_accepted(
    server: XrayEmulator, auth: tuple[str, str] | None, headers: dict[str, str]
) -> None:
    answer = server_import(server, server_payload(), auth=auth, headers=headers)
    assert answer.status_code == 200
    assert server.requests[-1].header("authorization") is not None


@pytest.mark.parametrize(
    ("auth", "headers"),
    [
        (None, {}),
        (("alice", "wrong"), {}),
        (("mallory", "s3cret"), {}),
        (None, {"Authorization": "Bearer not-a-pat"}),
        (None, {"Authorization": "Digest foo"}),
    ],
    ids=["anonymous", "bad-password", "unknown-user", "bad-token", "other-scheme"],
)
def test_server_auth_refused(
    server: XrayEmulator, auth: tuple[str, str] | None, headers: dict[str, str]
) -> None:
    answer = server_import(server, server_payload(), auth=auth, headers=headers)
    assert answer.status_code == 401
    assert "error" in answer.json()
    assert answer.headers["WWW-Authenticate"].startswith("Basic")
    assert server.executions == {}


def test_no_auth_accepts_anonymous(make_emulator: Factory) -> None:
    emulator = make_emulator(flavor="server", require_auth=False)
    assert server_import(emulator, server_payload(), auth=None).status_code == 200


def test_server_multipart(server: XrayEmulator) -> None:
    info = issue_info(labels=["ci"], fixVersions=[{"name": "v1.0"}])
    result = {
        **server_payload({"testKey": "CALC-2", "status": "FAIL"}),
        "testExecutionKey": "CALC-3",
    }
    answer = requests.post(
        f"{server.url}/rest/raven/latest/import/execution/multipart",
        files={"result": json_part(result), "info": json_part(info)},
        auth=AUTH,
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    key = answer.json()["testExecIssue"]["key"]
    assert key == "CALC-1000"  # multipart always creates a new execution
    assert "testExecutionKey" in answer.json()["infoMessages"][0]
    execution = server.executions[key]
    assert execution.info["issue_fields"] == info
    assert execution.runs["CALC-2"]["status"] == "FAIL"


def test_server_multipart_wrong_part_name(server: XrayEmulator) -> None:
    answer = requests.post(
        f"{server.url}/rest/raven/2.0/import/execution/multipart",
        files={"results": json_part(server_payload()), "info": json_part(issue_info())},
        auth=AUTH,
        timeout=5,
    )
    assert answer.status_code == 400
    assert "'result'" in answer.json()["error"]


def test_server_multipart_needs_issue_type(server: XrayEmulator) -> None:
    info = {"fields": {"project": {"key": "CALC"}, "summary": "x"}}
    answer = requests.post(
        f"{server.url}/rest/raven/2.0/import/execution/multipart",
        files={"result": json_part(server_payload()), "info": json_part(info)},
        auth=AUTH,
        timeout=5,
    )
    assert answer.status_code == 400
    assert "issuetype" in answer.json()["error"]


def test_server_junit_with_query_parameters(server: XrayEmulator) -> None:
    answer = requests.post(
        f"{server.url}/rest/raven/2.0/import/execution/junit",
        params={
            "projectKey": "CALC",
            "testPlanKey": "CALC-50",
            "testEnvironments": "chrome;linux",
            "revision": "abc123",
            "fixVersion": "v1.0",
        },
        files={"file": ("report.xml", JUNIT_XML, "application/xml")},
        auth=AUTH,
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    execution = server.executions[answer.json()["testExecIssue"]["key"]]
    assert execution.info["testEnvironments"] == ["chrome", "linux"]
    assert execution.info["testPlanKey"] == "CALC-50"
    assert execution.info["version"] == "v1.0"
    runs = execution.runs
    assert runs["CALC-7"]["status"] == "TODO"
    assert base64.b64decode(runs["CALC-7"]["evidence"][0]["data"]) == b"hello"
    created = {info["definition"]: key for key, info in server.created_tests.items()}
    assert runs[created["tests.test_calc.test_add"]]["status"] == "PASS"
    assert runs[created["tests.test_calc.test_div"]]["status"] == "FAIL"
    assert "ZeroDivisionError" in runs[created["tests.test_calc.test_div"]]["comment"]


def test_server_junit_into_existing_execution(server: XrayEmulator) -> None:
    answer = requests.post(
        f"{server.url}/rest/raven/2.0/import/execution/junit",
        params={"testExecKey": "CALC-77"},
        files={"file": ("report.xml", JUNIT_XML, "application/xml")},
        auth=AUTH,
        timeout=5,
    )
    assert answer.status_code == 200
    assert answer.json()["testExecIssue"]["key"] == "CALC-77"
    assert len(server.executions["CALC-77"].runs) == 3


def test_server_junit_multipart(server: XrayEmulator) -> None:
    answer = requests.post(
        f"{server.url}/rest/raven/2.0/import/execution/junit/multipart",
        files={"file": ("r.xml", JUNIT_XML, "application/xml"), "info": json_part(issue_info())},
        auth=AUTH,
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    execution = server.executions[answer.json()["testExecIssue"]["key"]]
    assert execution.info["issue_fields"]["fields"]["summary"] == "From CI"
    assert len(execution.runs) == 3


# -- Cloud ---------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_cloud_token_flow_and_import(cloud: XrayEmulator, version: str) -> None:
    token_answer = requests.post(
        f"{cloud.url}/api/{version}/authenticate",
        json={"client_id": "cid", "client_secret": "csecret"},
        timeout=5,
    )
    assert token_answer.status_code == 200
    assert token_answer.text.startswith('"eyJ')
    token = token_answer.json()
    assert token.count(".") == 2
    answer = cloud_import(cloud, cloud_payload(), {"Authorization": f"Bearer {token}"}, version)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"id", "key", "self"}
    assert body["key"] == "CALC-1000"
    assert cloud.executions["CALC-1000"].runs["CALC-1"]["status"] == "PASSED"


@pytest.mark.parametrize(
    "credentials",
    [{"client_id": "cid", "client_secret": "nope"}, {"client_id": "x", "client_secret": "csecret"}],
    ids=["bad-secret", "unknown-client"],
)
def test_cloud_authenticate_refused(cloud: XrayEmulator, credentials: dict[str, str]) -> None:
    answer = requests.post(f"{cloud.url}/api/v2/authenticate", json=credentials, timeout=5)
    assert answer.status_code == 401
    assert answer.json() == {"error": "Authentication failed. Invalid client credentials!"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic " + base64.b64encode(b"cid:csecret").decode()},
        {"Authorization": "Bearer eyJforged.token.here"},
    ],
    ids=["anonymous", "basic", "forged-token"],
)
def test_cloud_import_auth_refused(cloud: XrayEmulator, headers: dict[str, str]) -> None:
    answer = cloud_import(cloud, cloud_payload(), headers)
    assert answer.status_code == 401
    assert cloud.executions == {}


def test_cloud_expired_tokens(cloud: XrayEmulator) -> None:
    headers = cloud_headers(cloud)
    assert cloud_import(cloud, cloud_payload(), headers).status_code == 200
    cloud.expire_tokens()
    assert cloud_import(cloud, cloud_payload(), headers).status_code == 401


def test_cloud_multipart(cloud: XrayEmulator) -> None:
    info = issue_info()
    info["xrayFields"] = {"testPlanKey": "CALC-9", "environments": ["chrome"]}
    answer = requests.post(
        f"{cloud.url}/api/v2/import/execution/multipart",
        files={"results": json_part(cloud_payload()), "info": json_part(info)},
        headers=cloud_headers(cloud),
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    assert cloud.executions[answer.json()["key"]].info["issue_fields"] == info


@pytest.mark.parametrize(
    ("results_name", "xray_fields", "expected"),
    [
        ("result", {}, "'results'"),
        ("results", {"testEnvironments": ["chrome"]}, "testEnvironments"),
    ],
    ids=["server-part-name", "server-environments-name"],
)
def test_cloud_multipart_refuses_server_names(
    cloud: XrayEmulator, results_name: str, xray_fields: dict[str, Any], expected: str
) -> None:
    info = {**issue_info(), "xrayFields": xray_fields}
    answer = requests.post(
        f"{cloud.url}/api/v2/import/execution/multipart",
        files={results_name: json_part(cloud_payload()), "info": json_part(info)},
        headers=cloud_headers(cloud),
        timeout=5,
    )
    assert answer.status_code == 400
    assert expected in answer.json()["error"]


def test_cloud_junit_raw_body(cloud: XrayEmulator) -> None:
    headers = {**cloud_headers(cloud), "Content-Type": "application/xml"}
    answer = requests.post(
        f"{cloud.url}/api/v2/import/execution/junit",
        params={"projectKey": "CALC", "testEnvironments": "chrome"},
        data=JUNIT_XML,
        headers=headers,
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    runs = cloud.executions[answer.json()["key"]].runs
    assert sorted(run["status"] for run in runs.values()) == ["FAILED", "PASSED", "TODO"]


def test_cloud_junit_refuses_multipart(cloud: XrayEmulator) -> None:
    answer = requests.post(
        f"{cloud.url}/api/v2/import/execution/junit",
        params={"projectKey": "CALC"},
        files={"file": ("r.xml", JUNIT_XML, "application/xml")},
        headers=cloud_headers(cloud),
        timeout=5,
    )
    assert answer.status_code == 415
    assert "body" in answer.json()["error"]


def test_cloud_junit_multipart(cloud: XrayEmulator) -> None:
    answer = requests.post(
        f"{cloud.url}/api/v2/import/execution/junit/multipart",
        files={"results": ("r.xml", JUNIT_XML, "application/xml"), "info": json_part(issue_info())},
        headers=cloud_headers(cloud),
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    assert len(cloud.executions[answer.json()["key"]].runs) == 3


def test_cloud_graphql_get_tests(make_emulator: Factory) -> None:
    cloud = make_emulator(flavor="cloud", known_tests={"CALC-1", "CALC-2"}, non_tests={"CALC-3"})
    headers = cloud_headers(cloud)
    inline = (
        'query { getTests(jql: "key in (CALC-1, CALC-2, CALC-3, CALC-4)", limit: 1) { total } }'
    )
    answer = requests.post(
        f"{cloud.url}/api/v2/graphql", json={"query": inline}, headers=headers, timeout=5
    )
    page = answer.json()["data"]["getTests"]
    assert (page["total"], page["limit"], len(page["results"])) == (2, 1, 1)
    assert page["results"][0]["jira"] == {"key": "CALC-1", "issuetype": {"name": "Test"}}
    with_variables = {
        "query": "query($jql: String, $limit: Int!) "
        "{ getTests(jql: $jql, limit: $limit) { total } }",
        "variables": {"jql": "key in (CALC-2)", "limit": 10},
    }
    answer = requests.post(
        f"{cloud.url}/api/v2/graphql", json=with_variables, headers=headers, timeout=5
    )
    results = answer.json()["data"]["getTests"]["results"]
    assert [r["jira"]["key"] for r in results] == ["CALC-2"]
    assert results[0]["testType"] == {"name": "Generic"}


# -- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("test", "expected"),
    [
        ({"testKey": "CALC-1"}, "'status' is a required property"),
        ({"testKey": "CALC-1", "status": "PASS", "color": "red"}, "'color' was unexpected"),
        (
            {"testKey": "CALC-1", "status": "PASS", "start": "2024-05-01 10:00:00"},
            "tests[0].start",
        ),
        (
            {
                "testKey": "CALC-1",
                "status": "PASS",
                "evidence": [{"data": "aGk=", "filename": "a"}],
                "evidences": [{"data": "aGk=", "filename": "a"}],
            },
            "'evidence' and 'evidences' cannot be used together",
        ),
        (
            {"testKey": "CALC-1", "status": "PASS", "evidence": [{"data": "%%%", "filename": "a"}]},
            "not valid base64",
        ),
        ({"status": "PASS"}, "testKey or a testInfo"),
    ],
    ids=[
        "no-status",
        "unknown-field",
        "date-without-offset",
        "evidence-twice",
        "bad-base64",
        "no-test",
    ],
)
def test_schema_violations_answer_400(
    server: XrayEmulator, test: dict[str, Any], expected: str
) -> None:
    answer = server_import(server, server_payload(test))
    assert answer.status_code == 400
    message = answer.json()["error"]
    assert message.startswith("Result is not valid Xray Format")
    assert expected in message
    assert server.executions == {}


def test_test_type_key_per_flavor(server: XrayEmulator, cloud: XrayEmulator) -> None:
    info = {"projectKey": "CALC", "summary": "adds", "definition": "calc.add"}
    server_type = server_payload({"testInfo": {**info, "type": "Generic"}, "status": "PASS"})
    answer = server_import(server, server_type)
    assert answer.status_code == 400
    assert "testType" in answer.json()["error"]
    ok = server_payload({"testInfo": {**info, "testType": "Generic"}, "status": "PASS"})
    assert server_import(server, ok).status_code == 200
    cloud_type = cloud_payload({"testInfo": {**info, "testType": "Generic"}, "status": "PASSED"})
    answer = cloud_import(cloud, cloud_type, cloud_headers(cloud))
    assert answer.status_code == 400
    assert "testType" in answer.json()["error"]


def test_cloud_status_names_refused_by_server(server: XrayEmulator) -> None:
    test = {"testKey": "CALC-1", "status": "PASS", "iterations": [{"status": "PASSED"}]}
    answer = server_import(server, server_payload(test))
    assert answer.status_code == 400
    assert "'PASSED'" in answer.json()["error"]
    assert "iterations[0]" in answer.json()["error"]


def test_server_status_names_refused_by_cloud(cloud: XrayEmulator) -> None:
    answer = cloud_import(
        cloud, cloud_payload({"testKey": "CALC-1", "status": "FAIL"}), cloud_headers(cloud)
    )
    assert answer.status_code == 400
    assert "'FAIL'" in answer.json()["error"]


def test_custom_statuses(make_emulator: Factory) -> None:
    emulator = make_emulator(flavor="server", custom_statuses={"BLOCKED"})
    blocked = server_payload({"testKey": "CALC-1", "status": "BLOCKED"})
    assert server_import(emulator, blocked).status_code == 200
    skipped = server_payload({"testKey": "CALC-1", "status": "SKIPPED"})
    assert server_import(emulator, skipped).status_code == 400


def test_custom_fields_need_server_api_2(server: XrayEmulator) -> None:
    test = {"testKey": "CALC-1", "status": "PASS", "customFields": [{"id": "1", "value": "x"}]}
    old = server_import(server, server_payload(test), "1.0")
    assert old.status_code == 400
    assert "customFields" in old.json()["error"]
    assert server_import(server, server_payload(test), "2.0").status_code == 200


def test_empty_iterations(server: XrayEmulator, cloud: XrayEmulator) -> None:
    answer = cloud_import(
        cloud,
        cloud_payload({"testKey": "CALC-1", "status": "PASSED", "iterations": []}),
        cloud_headers(cloud),
    )
    assert answer.status_code == 400
    assert "iterations" in answer.json()["error"]
    server_test = {"testKey": "CALC-1", "status": "PASS", "iterations": []}
    assert server_import(server, server_payload(server_test)).status_code == 200


def test_wrong_content_type(server: XrayEmulator) -> None:
    answer = requests.post(
        f"{server.url}/rest/raven/2.0/import/execution",
        data=json.dumps(server_payload()),
        headers={"Content-Type": "text/plain"},
        auth=AUTH,
        timeout=5,
    )
    assert answer.status_code == 415


def test_unknown_path_and_method(server: XrayEmulator) -> None:
    assert requests.get(f"{server.url}/rest/raven/3.0/x", auth=AUTH, timeout=5).status_code == 404
    answer = requests.get(f"{server.url}/rest/raven/2.0/import/execution", auth=AUTH, timeout=5)
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "POST"


# -- issues: known tests, projects, created tests ------------------------------------------


def test_server_partial_failure_for_unknown_tests(make_emulator: Factory) -> None:
    emulator = make_emulator(flavor="server", known_tests={"CALC-1"})
    payload = server_payload(
        {"testKey": "CALC-1", "status": "PASS"}, {"testKey": "CALC-99", "status": "FAIL"}
    )
    answer = server_import(emulator, payload)
    assert answer.status_code == 200
    body = answer.json()
    assert [t["key"] for t in body["testIssues"]["success"]] == ["CALC-1"]
    assert body["testIssues"]["error"][0]["testKey"] == "CALC-99"
    assert "CALC-99" in body["testIssues"]["error"][0]["messages"][0]
    assert set(emulator.executions[body["testExecIssue"]["key"]].runs) == {"CALC-1"}


def test_cloud_refuses_unknown_tests(make_emulator: Factory) -> None:
    cloud = make_emulator(flavor="cloud", known_tests={"CALC-1"})
    payload = cloud_payload(
        {"testKey": "CALC-1", "status": "PASSED"}, {"testKey": "CALC-99", "status": "FAILED"}
    )
    answer = cloud_import(cloud, payload, cloud_headers(cloud))
    assert answer.status_code == 400
    assert "CALC-99" in answer.json()["error"]
    assert cloud.executions == {}


def test_server_test_lookup(make_emulator: Factory) -> None:
    emulator = make_emulator(flavor="server", known_tests={"CALC-1"}, non_tests={"CALC-2"})
    answer = requests.get(
        f"{emulator.url}/rest/raven/2.0/api/test",
        params={"keys": "CALC-1;CALC-2;CALC-3"},
        auth=AUTH,
        timeout=5,
    )
    assert answer.status_code == 200
    assert [(t["key"], t["type"]) for t in answer.json()] == [("CALC-1", "Generic")]
    payload = server_payload({"testKey": "CALC-2", "status": "PASS"})
    error = server_import(emulator, payload).json()["testIssues"]["error"]
    assert error[0]["testKey"] == "CALC-2"
    assert "not a Test" in error[0]["messages"][0]


def test_project_required_on_server(server: XrayEmulator) -> None:
    answer = server_import(server, {"tests": [{"testKey": "CALC-1", "status": "PASS"}]})
    assert answer.status_code == 400
    assert answer.json() == {"error": "Error assembling issue data: project is required"}


def test_summary_required_on_cloud(cloud: XrayEmulator) -> None:
    payload = {"info": {"project": "CALC"}, "tests": [{"testKey": "CALC-1", "status": "PASSED"}]}
    answer = cloud_import(cloud, payload, cloud_headers(cloud))
    assert answer.status_code == 400
    assert answer.json()["error"].endswith("summary: You must specify a summary of the issue.")


def test_import_into_existing_execution(server: XrayEmulator) -> None:
    first = {"testExecutionKey": "CALC-500", "tests": [{"testKey": "CALC-1", "status": "FAIL"}]}
    second = {
        "testExecutionKey": "CALC-500",
        "tests": [{"testKey": "CALC-1", "status": "PASS"}, {"testKey": "CALC-2", "status": "PASS"}],
    }
    assert server_import(server, first).json()["testExecIssue"]["key"] == "CALC-500"
    assert server_import(server, second).status_code == 200
    execution = server.executions["CALC-500"]
    assert execution.imports == 2
    assert {k: r["status"] for k, r in execution.runs.items()} == {
        "CALC-1": "PASS",
        "CALC-2": "PASS",
    }


@pytest.mark.parametrize("flavor", ["server", "cloud"])
def test_import_into_a_test_or_other_issue_is_refused(make_emulator: Factory, flavor: str) -> None:
    emulator = make_emulator(flavor=flavor, known_tests={"CALC-1", "CALC-2"}, non_tests={"CALC-7"})
    prefix = "Error importing results: " if flavor == "cloud" else ""
    status = "PASS" if flavor == "server" else "PASSED"
    for key in ("CALC-1", "CALC-7"):
        payload = {"testExecutionKey": key, "tests": [{"testKey": "CALC-2", "status": status}]}
        if flavor == "server":
            answer = server_import(emulator, payload)
        else:
            answer = cloud_import(emulator, payload, cloud_headers(emulator))
        assert answer.status_code == 400
        assert answer.json() == {"error": f"{prefix}The issue {key} is not a Test Execution."}
    assert emulator.executions == {}


def test_known_issues_make_unknown_execution_keys_missing(make_emulator: Factory) -> None:
    emulator = make_emulator(flavor="server", known_tests={"CALC-1"}, known_executions={"CALC-50"})
    test = {"testKey": "CALC-1", "status": "PASS"}
    missing = server_import(emulator, {"testExecutionKey": "CALC-51", "tests": [test]})
    assert missing.status_code == 400
    assert missing.json() == {"error": "Test Execution with key CALC-51 not found."}
    declared = server_import(emulator, {"testExecutionKey": "CALC-50", "tests": [test]})
    assert declared.json()["testExecIssue"]["key"] == "CALC-50"
    created = server_import(emulator, server_payload(test)).json()["testExecIssue"]["key"]
    into_created = server_import(emulator, {"testExecutionKey": created, "tests": [test]})
    assert into_created.status_code == 200
    assert set(emulator.executions) == {"CALC-50", created}
    emulator.reset()
    assert server_import(emulator, {"testExecutionKey": "CALC-50", "tests": [test]}).ok
    lookup = requests.get(
        f"{emulator.url}/rest/raven/2.0/api/test", params={"keys": "CALC-50"}, auth=AUTH, timeout=5
    )
    assert lookup.json() == []  # an execution is not a Test


def test_known_executions_alone_make_other_keys_missing(make_emulator: Factory) -> None:
    emulator = make_emulator(flavor="server", known_executions={"CALC-50"})
    payload = {"testExecutionKey": "CALC-5O", "tests": [{"testKey": "CALC-1", "status": "PASS"}]}
    assert server_import(emulator, payload).status_code == 400  # 'O' for '0': not even a key
    payload["testExecutionKey"] = "CALC-500"
    assert server_import(emulator, payload).json() == {
        "error": "Test Execution with key CALC-500 not found."
    }


def test_without_known_issues_tests_seen_are_not_executions(server: XrayEmulator) -> None:
    test = {"testKey": "CALC-1", "status": "PASS"}
    same = server_import(server, {"testExecutionKey": "CALC-1", "tests": [test]})
    assert same.json() == {"error": "The issue CALC-1 is not a Test Execution."}
    assert server_import(server, server_payload(test)).ok
    earlier = {"testExecutionKey": "CALC-1", "tests": [{"testKey": "CALC-2", "status": "PASS"}]}
    assert server_import(server, earlier).json() == {
        "error": "The issue CALC-1 is not a Test Execution."
    }
    answer = requests.post(
        f"{server.url}/rest/raven/2.0/import/execution/junit",
        params={"testExecKey": "CALC-1"},
        files={"file": ("report.xml", JUNIT_XML, "application/xml")},
        auth=AUTH,
        timeout=5,
    )
    assert answer.status_code == 400
    assert list(server.executions) == ["CALC-1000"]


def test_mistyped_execution_is_caught_in_a_dry_run(
    pytester: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.xray("CALC-1")
        def test_one():
            pass
        """
    )
    with XrayEmulator(users={USER: PASSWORD}, known_tests={"CALC-1"}) as emulator:
        monkeypatch.setenv("XRAY_USER", USER)
        monkeypatch.setenv("XRAY_PASSWORD", PASSWORD)
        run = run_xray(f"--xray-url={emulator.url}", "--xray-execution=CALC-1")
    assert run.result.ret == pytest.ExitCode.OK
    assert "The issue CALC-1 is not a Test Execution." in run.output
    assert "Traceback" not in run.output
    assert emulator.executions == {}


def test_created_test_keys_are_stable(server: XrayEmulator) -> None:
    generic = {
        "projectKey": "CALC",
        "summary": "adds",
        "testType": "Generic",
        "definition": "t.add",
    }
    manual = {"projectKey": "CALC", "summary": "login works", "testType": "Manual"}
    other = {**generic, "definition": "t.sub", "summary": "adds"}

    def keys() -> list[str]:
        payload = server_payload(
            {"testInfo": generic, "status": "PASS"},
            {"testInfo": manual, "status": "PASS"},
            {"testInfo": other, "status": "FAIL"},
        )
        answer = server_import(server, payload)
        return [t["key"] for t in answer.json()["testIssues"]["success"]]

    first, second = keys(), keys()
    assert first == second
    assert len(set(first)) == 3
    assert server.created_tests[first[1]]["summary"] == "login works"
    assert len(server.created_tests) == 3
    assert len(server.executions) == 2


def test_concurrent_imports_keep_every_run(server: XrayEmulator) -> None:
    def shard(index: int) -> int:
        tests = [{"testKey": f"CALC-{index * 10 + n + 1}", "status": "PASS"} for n in range(5)]
        payload = {"testExecutionKey": "CALC-900", "tests": tests}
        return server_import(server, payload).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(shard, range(8)))
    assert statuses == [200] * 8
    execution = server.executions["CALC-900"]
    assert len(execution.runs) == 40
    assert execution.imports == 8


def test_evidence_round_trip(server: XrayEmulator) -> None:
    content = bytes(range(256)) * 4
    evidence = {
        "data": base64.b64encode(content).decode(),
        "filename": "blob.bin",
        "contentType": "application/octet-stream",
    }
    test = {"testKey": "CALC-1", "status": "PASS", "evidences": [evidence]}
    assert server_import(server, server_payload(test)).status_code == 200
    kept = server.executions["CALC-1000"].runs["CALC-1"]["evidences"][0]
    assert base64.b64decode(kept["data"]) == content
    assert kept["filename"] == "blob.bin"


def test_body_too_large(make_emulator: Factory) -> None:
    emulator = make_emulator(flavor="server", max_body_bytes=1000)
    test = {"testKey": "CALC-1", "status": "PASS", "comment": "x" * 2000}
    answer = server_import(emulator, server_payload(test))
    assert answer.status_code == 413
    assert answer.text == "Request Entity Too Large"
    assert emulator.executions == {}


# -- faults --------------------------------------------------------------------------------


def test_fault_status_times(server: XrayEmulator) -> None:
    server.inject(status=503, times=2)
    assert server_import(server, server_payload()).status_code == 503
    answer = server_import(server, server_payload())
    assert answer.status_code == 503
    assert "error" in answer.json()
    assert server_import(server, server_payload()).status_code == 200
    assert [r.fault for r in server.requests] == ["503", "503", None]
    assert len(server.executions) == 1


def test_fault_retry_after(cloud: XrayEmulator) -> None:
    cloud.inject(status=429, retry_after="2", times=1)
    answer = requests.post(
        f"{cloud.url}/api/v2/authenticate",
        json={"client_id": "cid", "client_secret": "csecret"},
        timeout=5,
    )
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "2"
    assert cloud_headers(cloud)["Authorization"].startswith("Bearer ")


def test_fault_delay_read_timeout(server: XrayEmulator) -> None:
    server.inject(delay=0.4, times=1)
    with pytest.raises(requests.ReadTimeout):
        server_import(server, server_payload(), timeout=0.1)
    assert server_import(server, server_payload(), timeout=5).status_code == 200


def test_fault_drop_connection(server: XrayEmulator) -> None:
    server.inject(drop=True, times=1)
    with pytest.raises(requests.ConnectionError):
        server_import(server, server_payload())
    assert server.requests[-1].status == 0
    assert server.executions == {}
    assert server_import(server, server_payload()).status_code == 200


def test_fault_html_login_page(server: XrayEmulator) -> None:
    server.inject(html=True, status=200, times=1)
    answer = server_import(server, server_payload())
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "<form" in answer.text
    assert server.executions == {}


def test_fault_413(server: XrayEmulator) -> None:
    server.inject(status=413, times=1)
    answer = server_import(server, server_payload())
    assert (answer.status_code, answer.text) == (413, "Request Entity Too Large")


def test_faults_target_imports_unless_matched(server: XrayEmulator) -> None:
    server.inject(status=500, times=1)
    lookup = f"{server.url}/rest/raven/2.0/api/test"
    assert requests.get(lookup, params={"keys": "CALC-1"}, auth=AUTH, timeout=5).status_code == 200
    assert server_import(server, server_payload()).status_code == 500
    server.inject(status=502, match="api/test")
    assert requests.get(lookup, params={"keys": "CALC-1"}, auth=AUTH, timeout=5).status_code == 502


def test_inject_refuses_nonsense(server: XrayEmulator) -> None:
    with pytest.raises(ValueError, match="at least one"):
        server.inject(times=2)
    with pytest.raises(ValueError, match="drop"):
        server.inject(drop=True, status=500)


# -- control endpoints, page ---------------------------------------------------------------


def test_control_endpoints(server: XrayEmulator) -> None:
    server_import(server, server_payload())
    executions = requests.get(f"{server.url}/_emulator/executions", timeout=5).json()
    assert executions["CALC-1000"]["runs"]["CALC-1"]["status"] == "PASS"
    recorded = requests.get(f"{server.url}/_emulator/requests", timeout=5).json()
    assert recorded[0]["headers"]["Authorization"] == "<redacted>"
    assert "body" not in recorded[0]
    assert "s3cret" not in json.dumps(recorded)
    assert (server.requests[0].header("Authorization") or "").startswith("Basic ")

    fault = requests.post(f"{server.url}/_emulator/faults", json={"status": 503}, timeout=5)
    assert fault.json() == {"pending": 1}
    assert server_import(server, server_payload()).status_code == 503
    bad = requests.post(f"{server.url}/_emulator/faults", json={"colour": 1}, timeout=5)
    assert bad.status_code == 400

    assert requests.post(f"{server.url}/_emulator/reset", timeout=5).status_code == 200
    assert server.executions == {}
    assert server.requests == []


def test_html_page(server: XrayEmulator) -> None:
    test = {"testKey": "CALC-1", "status": "FAIL", "iterations": [{"status": "FAIL"}] * 3}
    server_import(server, server_payload(test))
    page = requests.get(f"{server.url}/", timeout=5)
    assert page.headers["Content-Type"].startswith("text/html")
    assert "CALC-1000" in page.text
    assert "<td>CALC-1</td><td class='FAIL'>FAIL</td><td>3</td>" in page.text
    assert "s3cret" not in page.text
    assert base64.b64encode(b"alice:s3cret").decode() not in page.text


# -- command line --------------------------------------------------------------------------


def _start_cli(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    paths = [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, **(env or {}), "PYTHONPATH": os.pathsep.join(paths)}
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_xray.emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=10)
    except queue.Empty:
        process.kill()
        raise
    return process, line


def test_cli_serves_until_terminated() -> None:
    process, line = _start_cli(
        "--flavor", "server", "--user", "alice:s3cret", "--known-tests", "CALC-1"
    )
    try:
        match = re.fullmatch(
            r"Xray server emulator listening on (http://127\.0\.0\.1:(\d+))\n", line
        )
        assert match is not None, line
        assert match.group(2) != "0"
        answer = requests.post(
            f"{match.group(1)}/rest/raven/2.0/import/execution",
            json=server_payload({"testKey": "CALC-2", "status": "PASS"}),
            auth=AUTH,
            timeout=5,
        )
        assert answer.status_code == 200
        assert answer.json()["testIssues"]["error"][0]["testKey"] == "CALC-2"
    finally:
        process.terminate()
        code = process.wait(timeout=10)
    assert code == 0


def _rest_of_output(process: subprocess.Popen[str]) -> str:
    """Stop the emulator and return everything else it printed (stdout, then stderr)."""
    process.terminate()
    process.wait(timeout=10)
    assert process.stdout is not None
    assert process.stderr is not None
    return process.stdout.read() + process.stderr.read()  # through _start_cli's buffer


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (
            ["--user", "alice:s3cret", "--token", PAT, "--client", "cid:csecret"],
            {"XRAY_EMULATOR_TOKENS": "pat-from-env"},
            "Credentials: Basic auth for user(s) alice; 2 Personal Access Tokens; "
            "ignored: --client (a Cloud setting)",
        ),
        (
            ["--flavor", "cloud", "--client", "cid:csecret", "--user", "alice:s3cret"],
            {},
            "Credentials: API client id(s) cid; ignored: --user (a Server setting)",
        ),
        (
            ["--no-auth", "--user", "alice:s3cret"],
            {},
            "Credentials: none needed (--no-auth): every request is accepted",
        ),
    ],
    ids=["server", "cloud", "no-auth"],
)
def test_cli_names_the_credentials_it_accepts_never_secrets(
    args: list[str], env: dict[str, str], expected: str
) -> None:
    process, first = _start_cli(*args, env=env)
    assert "listening on" in first
    rest = _rest_of_output(process)
    assert rest.splitlines()[0] == expected
    for secret in ("s3cret", PAT, "csecret", "pat-from-env"):
        assert secret not in first + rest


@pytest.mark.parametrize("flavor", ["server", "cloud"])
def test_cli_without_credentials_says_why_everything_is_401(flavor: str) -> None:
    process, first = _start_cli("--flavor", flavor)
    url = first.rsplit(" ", 1)[-1].strip()
    try:
        if flavor == "server":
            endpoint = f"{url}/rest/raven/2.0/import/execution"
            answer = requests.post(endpoint, json=server_payload(), auth=AUTH, timeout=5)
            fix = "--user NAME:PASSWORD or --token PAT"
        else:
            credentials = {"client_id": "cid", "client_secret": "csecret"}
            answer = requests.post(f"{url}/api/v2/authenticate", json=credentials, timeout=5)
            fix = "--client ID:SECRET"
    finally:
        rest = _rest_of_output(process)
    line = rest.splitlines()[0]
    assert line.startswith("Credentials: none accepted, every API request answers 401: ")
    assert fix in line
    assert line.endswith("or with --no-auth")
    assert answer.status_code == 401
    assert "this Xray emulator accepts no credentials" in answer.json()["error"]
    assert fix in answer.json()["error"]


def test_cli_known_executions() -> None:
    process, line = _start_cli(
        "--no-auth",
        "--known-tests=CALC-1",
        "--known-executions=CALC-50,CALC-51",
        "--known-executions=CALC-52",
    )
    try:
        endpoint = line.rsplit(" ", 1)[-1].strip() + "/rest/raven/2.0/import/execution"
        test = {"testKey": "CALC-1", "status": "PASS"}
        for key, status in (("CALC-52", 200), ("CALC-1", 400), ("CALC-53", 400)):
            payload = {"testExecutionKey": key, "tests": [test]}
            answer = requests.post(endpoint, json=payload, timeout=5)
            assert answer.status_code == status, (key, answer.text)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_cli_argument_error() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest_xray.emulator", "--client", "no-secret"],
        capture_output=True,
        text=True,
        env=env,
        timeout=10,
        check=False,
    )
    assert result.returncode == 2
    assert "NAME:SECRET" in result.stderr.splitlines()[-1]


def test_cli_cloud_credentials_from_environment() -> None:
    environment = {"XRAY_EMULATOR_CLIENTS": "envid:envsecret"}
    process, line = _start_cli("--flavor", "cloud", env=environment)
    try:
        url = line.rsplit(" ", 1)[-1].strip()
        credentials = {"client_id": "envid", "client_secret": "envsecret"}
        answer = requests.post(f"{url}/api/v2/authenticate", json=credentials, timeout=5)
        assert answer.status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=10)
    assert code == 0


# -- life cycle ----------------------------------------------------------------------------


def test_stop_ends_keep_alive_connections(make_emulator: Factory) -> None:
    emulator = make_emulator(flavor="server")
    with requests.Session() as session:
        lookup = f"{emulator.url}/rest/raven/2.0/api/test"
        assert session.get(lookup, params={"keys": "A-1"}, auth=AUTH, timeout=5).status_code == 200
        emulator.stop()
        with pytest.raises(requests.ConnectionError):
            session.get(lookup, params={"keys": "A-1"}, auth=AUTH, timeout=5)
    assert not emulator.running


def test_missing_jsonschema_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jsonschema", None)  # makes "import jsonschema" fail
    with pytest.raises(MissingDependencyError, match=r"pip install 'pytest-xray\[emulator\]'"):
        XrayEmulator().start()
    with XrayEmulator(validate_schema=False, require_auth=False) as emulator:
        assert server_import(emulator, server_payload(), auth=None).status_code == 200


def test_cli_chunked_upload_of_a_big_project_records_every_result(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A project whose Tests reach CALC-2500, uploaded 1000 results per request: the execution
    # the first request creates must not take the key of a Test a later request sends.
    from pytest_xray.cli import main as cli_main
    from pytest_xray.report import write_report

    process, line = _start_cli("--token", PAT)
    try:
        url = line.rsplit(" ", 1)[-1].strip()
        tests = [{"testKey": f"CALC-{n}", "status": "PASS"} for n in range(1, 2501)]
        report = write_report(
            {"info": {"project": "CALC"}, "tests": tests}, pytester.path / "r.json"
        )
        monkeypatch.setenv("XRAY_TOKEN", PAT)
        pytester.chdir()
        status = cli_main(["upload", str(report), f"--xray-url={url}", "--xray-chunk-tests=1000"])
        executions = requests.get(f"{url}/_emulator/executions", timeout=10).json()
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert status == 0, capsys.readouterr().err
    [(key, execution)] = executions.items()
    assert key == "CALC-900000"
    assert sorted(execution["runs"]) == sorted(t["testKey"] for t in tests)
    assert execution["imports"] == 3


def test_first_execution_number(make_emulator: Factory) -> None:
    emulator = make_emulator(flavor="server", first_execution=3000)
    info = {"projectKey": "CALC", "summary": "new", "testType": "Generic", "definition": "t.new"}
    keyless = {"testInfo": info, "status": "PASS"}
    answer = server_import(
        emulator, server_payload({"testKey": "CALC-3000", "status": "PASS"}, keyless)
    )
    assert answer.json()["testExecIssue"]["key"] == "CALC-3001"  # CALC-3000 is a Test here
    assert list(emulator.created_tests) == ["CALC-7000"]
    emulator.reset()
    answer = server_import(emulator, server_payload())
    assert answer.json()["testExecIssue"]["key"] == "CALC-3000"


@pytest.mark.parametrize("value", [0, -1, True, "1000"])
def test_first_execution_must_be_a_positive_number(value: object) -> None:
    with pytest.raises(ValueError, match="first_execution must be"):
        XrayEmulator(first_execution=value)  # type: ignore[arg-type]


def test_cli_first_execution() -> None:
    process, line = _start_cli("--no-auth", "--first-execution", "42")
    try:
        endpoint = line.rsplit(" ", 1)[-1].strip() + "/rest/raven/2.0/import/execution"
        answer = requests.post(endpoint, json=server_payload(), timeout=5)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert answer.json()["testExecIssue"]["key"] == "CALC-42"


def _cli_error(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "pytest_xray.emulator", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=10,
        check=False,
    )


@pytest.mark.parametrize(
    "option", ["--tls-cert", "--tls-key", "--tls-client-ca", "--oauth-consumer"]
)
def test_cli_names_a_missing_file(option: str, tmp_path: Path) -> None:
    present = tmp_path / "present.pem"
    present.write_text("not used: the missing file is named first\n")
    missing = tmp_path / "missing.pem"
    value = f"consumer:{missing}" if option == "--oauth-consumer" else str(missing)
    args = (
        [option, value] if option == "--tls-cert" else ["--tls-cert", str(present), option, value]
    )
    result = _cli_error(*args)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        f"python -m pytest_xray.emulator: error: {option}: cannot read {missing}: "
        "No such file or directory"
    )
    assert "Traceback" not in result.stderr


def test_cli_names_an_unusable_certificate(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    result = _cli_error("--tls-cert", str(junk))
    assert result.returncode == 2
    assert f"error: cannot serve HTTPS with {junk} (a PEM certificate" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("setting", ["tls_cert", "tls_key", "tls_client_ca"])
def test_a_missing_tls_file_is_named(setting: str, tmp_path: Path) -> None:
    present = tmp_path / "present.pem"
    present.write_text("")
    missing = tmp_path / "missing.pem"
    files = {"tls_cert": present, setting: missing}
    with pytest.raises(ValueError, match=f"^{setting}: cannot read .*missing.pem: No such file"):
        XrayEmulator(**files)  # type: ignore[arg-type]


def test_readme_lists_every_command_line_option() -> None:
    from pytest_xray.emulator.__main__ import build_parser

    readme = (REPO / "README.md").read_text("utf-8")
    section = readme.split("## Dry run against the emulator", 1)[1].split("\n## ", 1)[0]
    table = [line for line in section.splitlines() if line.startswith("| `--")]
    documented = set(re.findall(r"`(--[a-z-]+)", "\n".join(table)))
    options = {
        option
        for action in build_parser()._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    }
    assert options - documented == set(), "add them to the README's emulator options table"
