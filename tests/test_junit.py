"""JUnit XML: written by pytest with Xray's properties, read back with junitparser, uploaded both
ways (as Xray JSON, and as-is to Xray's JUnit endpoint) to both emulator flavors."""

from __future__ import annotations

import base64
import json
import re
import shlex
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from pytest_xray.cli import main
from pytest_xray.emulator import XrayEmulator
from pytest_xray.junit import JUnitError, read_junit
from pytest_xray.model import Outcome
from tests.conftest import CLIENT_ID, CLIENT_SECRET, PAT, RunXray, validate

SUITE = """
import pytest

@pytest.fixture
def broken():
    raise RuntimeError("setup boom")

@pytest.mark.xray("CALC-1", defects=["CALC-90"], requirements=["CALC-100"])
def test_pass(): pass

@pytest.mark.xray("CALC-2")
@pytest.mark.parametrize("n", [1, 2, 3])
def test_iterations(n): assert n != 3, "three is out"

@pytest.mark.xray("CALC-3")
def test_skip(): pytest.skip("not here")

@pytest.mark.xray("CALC-4")
@pytest.mark.xfail(reason="bug 7")
def test_xfail(): assert 0

@pytest.mark.xray("CALC-5")
def test_error(broken): pass

@pytest.mark.xray("CALC-6", "CALC-7")
def test_two_keys(): pass

def test_unmarked(): pass
"""

SUREFIRE = """<?xml version="1.0" encoding="UTF-8"?>
<testsuite xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" name="com.acme.CalcTest"
           time="3.5" tests="5" errors="1" skipped="1" failures="1">
  <properties>
    <property name="java.version" value="17.0.2"/>
  </properties>
  <testcase name="adds" classname="com.acme.CalcTest" time="0.5">
    <properties><property name="test_key" value="CALC-11"/></properties>
  </testcase>
  <testcase name="divides" classname="com.acme.CalcTest" time="1.0">
    <properties>
      <property name="test_key" value="CALC-12"/>
      <property name="defects" value="CALC-95, CALC-96"/>
      <property name="testrun_comment"><![CDATA[Checked on the nightly build]]></property>
    </properties>
    <failure message="expected: &lt;2&gt; but was: &lt;3&gt;"
             type="org.opentest4j.AssertionFailedError"
>org.opentest4j.AssertionFailedError: expected: &lt;2&gt; but was: &lt;3&gt;
	at com.acme.CalcTest.divides(CalcTest.java:21)</failure>
  </testcase>
  <testcase name="flaky" classname="com.acme.CalcTest" time="1.0">
    <properties><property name="test_key" value="CALC-13"/></properties>
    <flakyFailure message="timeout" type="java.util.concurrent.TimeoutException"/>
  </testcase>
  <testcase name="broken" classname="com.acme.CalcTest" time="0.5">
    <properties><property name="test_key" value="CALC-14"/></properties>
    <error message="NullPointerException" type="java.lang.NullPointerException"/>
  </testcase>
  <testcase name="later" classname="com.acme.CalcTest" time="0">
    <properties><property name="test_key" value="CALC-15"/></properties>
    <skipped message="not on this platform"/>
  </testcase>
  <testcase name="unkeyed" classname="com.acme.CalcTest" time="0.5"/>
</testsuite>
"""

JUNIT5 = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites>
<testsuite name="JUnit Jupiter" tests="3" skipped="0" failures="1" errors="0"
           timestamp="2024-05-01T10:00:00" hostname="ci-7" time="4.0">
<properties><property name="file.encoding" value="UTF-8"/></properties>
<testcase name="CALC-21 logs in()" classname="com.acme.LoginTest" time="1.5">
<system-out><![CDATA[unique-id: [engine:junit-jupiter]]]></system-out>
</testcase>
<testcase name="CALC-21 logs in again()" classname="com.acme.LoginTest" time="2.0">
<failure message="wrong password" type="java.lang.AssertionError"
>java.lang.AssertionError: wrong password</failure>
</testcase>
<testcase name="logs out()" classname="com.acme.LoginTest" time="0.5"/>
</testsuite>
</testsuites>
"""

JEST = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="jest tests" tests="2" failures="1" errors="0" time="1.2">
  <testsuite name="cart" errors="0" failures="1" skipped="0" timestamp="2024-05-01T08:00:00Z"
             time="1.2" tests="2">
    <testcase classname="cart [CALC-31] adds an item" name="cart [CALC-31] adds an item"
              time="0.4">
    </testcase>
    <testcase classname="cart [CALC-32] pays" name="cart [CALC-32] pays" time="0.8">
      <failure>Error: expect(received).toBe(expected)
    at Object.&lt;anonymous&gt; (cart.test.js:12:5)</failure>
    </testcase>
  </testsuite>
</testsuites>
"""


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Any:
    """``pytest-xray ARGS`` in this process: (exit status, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        status = main(list(args))
        out, err = capsys.readouterr()
        return status, out, err

    return run


@pytest.fixture
def pytest_junit(pytester: pytest.Pytester, run_xray: RunXray) -> tuple[Path, dict[str, Any]]:
    """A JUnit file written by pytest with --xray, and the Xray JSON of the same run."""
    pytester.makepyfile(test_suite=SUITE)
    run = run_xray("--junitxml=junit.xml", "--xray-project=CALC")
    run.result.assert_outcomes(passed=5, failed=1, skipped=1, xfailed=1, errors=1)
    return pytester.path / "junit.xml", run.payload


def statuses(runs: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {key: run["status"] for key, run in sorted(runs.items())}


def use_emulator(flavor: str, monkeypatch: pytest.MonkeyPatch) -> XrayEmulator:
    if flavor == "server":
        monkeypatch.setenv("XRAY_TOKEN", PAT)
        return XrayEmulator(flavor="server", tokens={PAT})
    monkeypatch.setenv("XRAY_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("XRAY_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("XRAY_CLOUD", "true")
    return XrayEmulator(flavor="cloud", clients={CLIENT_ID: CLIENT_SECRET})


def test_pytest_writes_xray_properties_into_its_junit_xml(
    pytest_junit: tuple[Path, dict[str, Any]],
) -> None:
    path, _ = pytest_junit
    cases = {case.name: case for case in _testcases(path)}
    assert _props(cases["test_pass"]) == [
        ("test_key", "CALC-1"), ("requirements", "CALC-100"), ("defects", "CALC-90"),
    ]  # fmt: skip
    assert _props(cases["test_two_keys"]) == [("test_key", "CALC-6"), ("test_key", "CALC-7")]
    assert _props(cases["test_iterations[3]"]) == [("test_key", "CALC-2")]
    assert _props(cases["test_unmarked"]) == []


def test_no_properties_without_xray(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite=SUITE)
    pytester.runpytest("--junitxml=junit.xml")
    assert "<property" not in (pytester.path / "junit.xml").read_text()


@pytest.mark.parametrize("flavor", ["server", "cloud"])
def test_pytest_junit_uploaded_as_xray_json(
    pytest_junit: tuple[Path, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    cli: Any,
    flavor: str,
) -> None:
    path, direct = pytest_junit
    with use_emulator(flavor, monkeypatch) as emulator:
        status, out, err = cli("upload", str(path), f"--xray-url={emulator.url}",
                               "--xray-project=CALC", "--xray-output=converted.json")  # fmt: skip
        assert status == 0, err
        [execution] = emulator.executions.values()
        body = json.loads(emulator.requests[-1].body)
    assert emulator.requests[-1].path.endswith("/import/execution")
    assert out.splitlines()[0] == (
        f"read 9 testcases from {path}: 8 results for 7 Xray tests; 1 without an Xray key left out"
    )
    converted = path.parent / "converted.json"
    assert f"report written to {converted}" in out
    assert f"uploaded 7 results of {converted} to Test Execution {execution.key}" in out
    validate(body)
    assert body == json.loads((path.parent / "converted.json").read_text())
    # The same statuses as the Xray JSON the plugin built from the run itself.
    expected = {t["testKey"]: t["status"] for t in direct["tests"]}
    if flavor == "cloud":
        expected = {k: {"PASS": "PASSED", "FAIL": "FAILED"}.get(s, s) for k, s in expected.items()}
    assert statuses(execution.runs) == dict(sorted(expected.items()))
    iterations = execution.runs["CALC-2"]["iterations"]
    assert [i["name"] for i in iterations] == [
        f"test_suite.test_iterations[{n}]" for n in (1, 2, 3)
    ]
    assert "three is out" in iterations[2]["log"]
    assert execution.runs["CALC-1"]["defects"] == ["CALC-90"]
    assert execution.runs["CALC-3"]["comment"] == "skipped: not here"
    assert execution.runs["CALC-4"]["comment"] == "expected failure: bug 7"
    assert "setup boom" in execution.runs["CALC-5"]["comment"]
    assert body["info"]["summary"].startswith("Test results from junit.xml, run at ")


@pytest.mark.parametrize("flavor", ["server", "cloud"])
def test_pytest_junit_sent_to_xrays_junit_endpoint(
    pytest_junit: tuple[Path, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    cli: Any,
    flavor: str,
) -> None:
    path, _ = pytest_junit
    with use_emulator(flavor, monkeypatch) as emulator:
        status, out, err = cli(
            "upload", str(path), "--format", "junit", f"--xray-url={emulator.url}",
            "--xray-project=CALC", "--xray-test-plan=CALC-9", "--xray-environment=linux",
            "--xray-environment=py3", "--xray-revision=abc123", "--xray-fix-version=1.2",
        )  # fmt: skip
        assert status == 0, err
        [execution] = emulator.executions.values()
        [request] = [r for r in emulator.requests if "import" in r.path]
    version = "rest/raven/2.0" if flavor == "server" else "api/v2"
    assert request.path == f"/{version}/import/execution/junit"
    assert request.query == {
        "projectKey": "CALC", "testPlanKey": "CALC-9", "testEnvironments": "linux;py3",
        "revision": "abc123", "fixVersion": "1.2",
    }  # fmt: skip
    xml = path.read_bytes()
    if flavor == "server":
        assert str(request.header("Content-Type")).startswith("multipart/form-data; boundary=")
        assert b'Content-Disposition: form-data; name="file"; filename="junit.xml"' in request.body
        assert xml in request.body
    else:
        assert request.header("Content-Type") == "application/xml"
        assert request.body == xml
    fail, passed = ("FAIL", "PASS") if flavor == "server" else ("FAILED", "PASSED")
    # Xray's own mapping: every testcase of one test_key becomes one Test Run.
    assert execution.runs["CALC-2"]["status"] == fail
    assert execution.runs["CALC-1"]["status"] == passed
    assert len(execution.runs["CALC-2"]["junit_cases"]) == 3
    assert f"uploaded {path} to Test Execution {execution.key}" in out


@pytest.mark.parametrize("flavor", ["server", "cloud"])
def test_surefire_file_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Any, flavor: str
) -> None:
    path = tmp_path / "TEST-com.acme.CalcTest.xml"
    path.write_text(SUREFIRE)
    with use_emulator(flavor, monkeypatch) as emulator:
        args = ("upload", str(path), f"--xray-url={emulator.url}", "--xray-project=CALC")
        converted = cli(*args, "--xray-execution=CALC-500", "--xray-create-tests")
        native = cli(*args, "--xray-execution=CALC-501", "--format=junit")
        runs = {key: execution.runs for key, execution in emulator.executions.items()}
        created = emulator.created_tests
    assert converted[0] == native[0] == 0, converted[2] + native[2]
    fail, passed = ("FAIL", "PASS") if flavor == "server" else ("FAILED", "PASSED")
    # The testcase without a key becomes a Generic Test, found by the same definition both ways.
    [(new_key, new_test)] = created.items()
    assert new_test["definition"] == "com.acme.CalcTest.unkeyed"
    assert statuses(runs["CALC-500"]) == {
        "CALC-11": passed, "CALC-12": fail, "CALC-13": passed, "CALC-14": fail, "CALC-15": "TODO",
        new_key: passed,
    }  # fmt: skip
    assert statuses(runs["CALC-501"]) == statuses(runs["CALC-500"])
    calc12 = runs["CALC-500"]["CALC-12"]
    assert calc12["defects"] == ["CALC-95", "CALC-96"]
    assert calc12["comment"].startswith("Checked on the nightly build\n\norg.opentest4j.Assert")
    assert "CalcTest.java:21" in calc12["comment"]
    assert runs["CALC-500"]["CALC-13"]["comment"].startswith("2 attempts (reruns)")
    assert runs["CALC-500"]["CALC-14"]["comment"] == "NullPointerException"
    assert runs["CALC-500"]["CALC-15"]["comment"] == "skipped: not on this platform"


@pytest.mark.parametrize("flavor", ["server", "cloud"])
def test_junit5_keys_from_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Any, flavor: str
) -> None:
    path = tmp_path / "junit5.xml"
    path.write_text(JUNIT5)
    with use_emulator(flavor, monkeypatch) as emulator:
        args = ("upload", str(path), f"--xray-url={emulator.url}", "--xray-project=CALC",
                r"--key-from=CALC-\d+")  # fmt: skip
        status, out, err = cli(*args)
        assert status == 0, err
        # Converted, saved beside the file and sent like a saved report: a second run finds
        # everything sent already (the progress file) and sends nothing.
        again = cli(*args)
        [execution] = emulator.executions.values()
    assert (tmp_path / "junit5.xray.json").exists()
    assert again[0] == 0, again[2]
    assert (
        f"nothing to send: every result of {tmp_path / 'junit5.xray.json'} is already in "
        in again[1]
    )
    assert list(execution.runs) == ["CALC-21"]
    run = execution.runs["CALC-21"]
    assert [i["name"] for i in run["iterations"]] == [
        "com.acme.LoginTest.CALC-21 logs in()", "com.acme.LoginTest.CALC-21 logs in again()",
    ]  # fmt: skip
    assert run["status"] == ("FAIL" if flavor == "server" else "FAILED")
    assert "1 without an Xray key left out" in out


@pytest.mark.parametrize("flavor", ["server", "cloud"])
def test_junit5_file_to_xrays_junit_endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Any, flavor: str
) -> None:
    path = tmp_path / "junit5.xml"
    path.write_text(JUNIT5)
    with use_emulator(flavor, monkeypatch) as emulator:
        status, _, err = cli("upload", str(path), "--format=junit", f"--xray-url={emulator.url}",
                             "--xray-project=CALC")  # fmt: skip
        assert status == 0, err
        [execution] = emulator.executions.values()
        created = emulator.created_tests
    # Without test_key properties Xray's own mapping makes a Generic Test of each testcase.
    assert sorted(t["definition"] for t in created.values()) == [
        "com.acme.LoginTest.CALC-21 logs in again()",
        "com.acme.LoginTest.CALC-21 logs in()",
        "com.acme.LoginTest.logs out()",
    ]
    assert sorted(execution.runs) == sorted(created)


def test_jest_file_keys_from_a_group(tmp_path: Path) -> None:
    path = tmp_path / "jest.xml"
    path.write_text(JEST)
    run = read_junit(path, re.compile(r"\[(CALC-\d+)\]"))
    results = run.execution.results
    assert [(r.keys, r.outcome) for r in results] == [
        (("CALC-31",), Outcome.PASSED), (("CALC-32",), Outcome.FAILED),
    ]  # fmt: skip
    assert "expect(received).toBe(expected)" in results[1].message


def test_times_from_the_suite_timestamp_and_testcase_times(tmp_path: Path) -> None:
    path = tmp_path / "jest.xml"
    path.write_text(JEST)
    first, second = read_junit(path, re.compile(r"CALC-\d+")).execution.results
    start = datetime.fromisoformat("2024-05-01T08:00:00+00:00").timestamp()
    assert (first.start, first.finish) == (start, start + 0.4)
    assert (second.start, second.finish) == pytest.approx((start + 0.4, start + 1.2))


def test_xray_properties_are_read(tmp_path: Path) -> None:
    shot = b"\x89PNG\r\n\x1a\n\x00binary"
    path = tmp_path / "xray.xml"
    path.write_text(
        '<testsuite name="s" timestamp="2024-05-01T10:00:00+02:00">'
        '<testcase classname="c" name="n" time="2">'
        "<properties>"
        '<property name="test_key" value="CALC-1"/><property name="test_key" value="CALC-2"/>'
        '<property name="requirements" value="CALC-100,CALC-101"/>'
        '<property name="test_summary" value="Logs in"/><property name="tags" value="ui"/>'
        '<property name="testrun_evidence">'
        f'<item name="shot.png">{base64.b64encode(shot).decode()}</item>'
        "</property>"
        "</properties></testcase></testsuite>"
    )
    [result] = read_junit(path).execution.results
    assert result.keys == ("CALC-1", "CALC-2")
    assert result.requirements == ("CALC-100", "CALC-101")
    assert [(e.filename, base64.b64decode(e.data), e.content_type) for e in result.evidence] == [
        ("shot.png", shot, "image/png")
    ]
    assert result.finish - result.start == 2
    assert result.labels == ("ui",)  # the tags property


TAGGED = """<testsuite name="s" timestamp="2024-05-01T10:00:00+02:00">
<testcase classname="c" name="login[1]" time="1">
  <properties><property name="tags" value="ui, smoke"/></properties>
</testcase>
<testcase classname="c" name="login[2]" time="1">
  <properties><property name="tags" value="api,ui"/></properties>
</testcase>
<testcase classname="c" name="keyed" time="1">
  <properties>
    <property name="test_key" value="CALC-1"/><property name="tags" value="ui"/>
  </properties>
</testcase>
</testsuite>
"""


@pytest.mark.parametrize("flavor", ["server", "cloud"])
def test_tags_become_labels_of_created_tests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Any, flavor: str
) -> None:
    path = tmp_path / "tagged.xml"
    path.write_text(TAGGED)
    with use_emulator(flavor, monkeypatch) as emulator:
        status, _, err = cli("upload", str(path), f"--xray-url={emulator.url}",
                             "--xray-project=CALC", "--xray-create-tests")  # fmt: skip
        assert status == 0, err
        body = json.loads(emulator.requests[-1].body)
        created = emulator.created_tests
    validate(body, "server" if flavor == "server" else "cloud")
    [new_test] = created.values()
    assert new_test["definition"] == "c.login"
    assert new_test["labels"] == ["ui", "smoke", "api"]
    # A Test found by key gets no testInfo (it would change that Test's specification).
    assert body["tests"][1]["testKey"] == "CALC-1"
    assert "testInfo" not in body["tests"][1]
    # --xray-test-labels come first, as for a pytest run.
    monkeypatch.setenv("XRAY_TEST_LABELS", "nightly,ui")
    status, _, err = cli("upload", str(path), "--xray-project=CALC", "--xray-create-tests",
                         "--xray-dry-run", f"--xray-output={tmp_path / 'dry.json'}")  # fmt: skip
    assert status == 0, err
    dry = json.loads((tmp_path / "dry.json").read_text())
    assert dry["tests"][0]["testInfo"]["labels"] == ["nightly", "ui", "smoke", "api"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '<testsuite name="s">\n<testcase name="a">\n</testsuite>\n',
            "bad.xml is not well-formed XML (line 3, column ",  # the reason depends on the parser
        ),
        ("<report><test/></report>", "bad.xml is not a JUnit XML report: its root element"),
        (
            '<testsuite><testcase name="a"><properties><property name="test_key" '
            'value="calc-1"/></properties></testcase></testsuite>',
            "bad.xml: testcase 'a': test_key 'calc-1' is not a Jira issue key (CALC-12).",
        ),
    ],
    ids=["malformed", "not-junit", "bad-key"],
)
def test_bad_junit_files_are_one_line_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Any, text: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.xml").write_text(text)
    for extra in ((), ("--format=junit",)):
        status, _, err = cli("upload", "bad.xml", "--xray-url=http://127.0.0.1:9",
                               "--xray-project=CALC", *extra)  # fmt: skip
        assert status == 1
        assert err.splitlines() == [f"pytest-xray: error: {err.split('error: ', 1)[1].strip()}"]
        assert message in err
        assert "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "results.xml is an empty file, not a JUnit XML report."),
        ("{}", "results.xml is not well-formed XML (line 1, column 0): "),
        ("\n\n", "results.xml is not well-formed XML (line 3, column 0): "),
    ],
    ids=["empty", "json-text", "blank-lines"],
)
def test_a_file_named_xml_is_read_as_xml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Any, text: str, message: str
) -> None:
    """Not 'not valid JSON': the name says the user meant JUnit XML, whatever the content."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results.xml").write_text(text)
    for extra in ((), ("--format=junit",)):
        status, _, err = cli("upload", "results.xml", "--xray-url=http://127.0.0.1:9",
                             "--xray-project=CALC", *extra)  # fmt: skip
        assert status == 1
        [line] = err.splitlines()
        assert line.startswith(f"pytest-xray: error: {message}")


def test_usage_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Any) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.xml").write_text(JEST)
    (tmp_path / "r.json").write_text('{"info": {}, "tests": []}')
    for args, message in [
        (("r.xml", "--key-from=("), "--key-from '(' is not a regular expression"),
        (("r.json", "--format=junit"), "--format junit is for JUnit XML files; r.json is not XML"),
        (("r.xml",), "a new Test Execution needs a project"),
        (("r.xml", "--format=junit", "--key-from=x", "--xray-project=C"), "--key-from needs"),
    ]:
        status, _, err = cli("upload", *args, "--xray-url=http://127.0.0.1:9")
        assert status == 2, err
        assert message in err
    status, _, err = cli("upload", "r.xml", "--xray-project=CALC", "--key-from=cart")
    assert status == 1
    assert "--key-from matched 'cart' in 'cart [CALC-31] adds an item', which is not" in err


def test_no_key_anywhere_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.xml").write_text(JEST)
    status, _, err = cli("upload", "r.xml", "--xray-project=CALC", "--xray-url=http://127.0.0.1:9")
    assert status == 1
    assert "r.xml: no testcase has an Xray key (a test_key property); --key-from REGEX" in err


def test_dry_run_writes_the_converted_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.xml").write_text(JEST)
    status, out, err = cli("upload", "r.xml", "--xray-project=CALC", "--xray-dry-run",
                           "--xray-output=out.json", r"--key-from=CALC-\d+")  # fmt: skip
    assert status == 0, err
    payload = validate(json.loads((tmp_path / "out.json").read_text()))
    assert [(t["testKey"], t["status"]) for t in payload["tests"]] == [
        ("CALC-31", "PASS"), ("CALC-32", "FAIL"),
    ]  # fmt: skip
    assert out.splitlines()[-1] == "dry run, nothing sent"


def test_console_script_reads_junit(tmp_path: Path) -> None:
    (tmp_path / "r.xml").write_text("<testsuite><testcase")
    done = subprocess.run(
        [sys.executable, "-m", "pytest_xray", "upload", "r.xml", "--xray-project=CALC"],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith("pytest-xray: error: r.xml is not well-formed XML (line 1, ")


def test_malformed_file_error_type(tmp_path: Path) -> None:
    (tmp_path / "r.xml").write_text("<testsuite>")
    with pytest.raises(JUnitError, match=r"r\.xml is not well-formed XML \(line 1, column 11\)"):
        read_junit(tmp_path / "r.xml")


def _testcases(path: Path) -> list[Any]:
    import junitparser

    return [case for suite in junitparser.JUnitXml.fromfile(str(path)) for case in suite]


def _props(case: Any) -> list[tuple[str, str]]:
    return [(p.get("name"), p.get("value")) for p in case._elem.iter("property")]


@pytest.mark.parametrize("fmt", ["json", "junit"])
def test_dry_run_sends_nothing_even_with_a_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Any, server: XrayEmulator, fmt: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    (tmp_path / "r.xml").write_text(JEST)
    args = [
        "--xray-project=CALC",
        f"--xray-url={server.url}",
        "--xray-dry-run",
        r"--key-from=CALC-\d+",
    ]
    if fmt == "junit":
        status, out, err = cli("upload", "r.xml", "--format=junit", *args[:3])
        assert (status, err) == (0, "")
        what = "r.xml (2 testcases, for the JUnit endpoint)"
    else:
        assert cli("upload", "r.xml", *args)[0] == 0  # converts and saves r.xray.json
        status, out, err = cli("upload", "r.xray.json", *args[:3])
        assert (status, err) == (0, "")
        what = "r.xray.json (2 Xray tests)"
    assert out == f"dry run, nothing sent: {what} is not uploaded to {server.url}\n"
    assert server.requests == []


def test_junit_endpoint_names_every_setting_it_cannot_take(
    pytest_junit: tuple[Path, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    cli: Any,
    server: XrayEmulator,
) -> None:
    path, _ = pytest_junit
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    monkeypatch.setenv("XRAY_EXECUTION_FIELDS", '{"labels": ["nightly"]}')
    status, _, err = cli("upload", str(path), "--format=junit", f"--xray-url={server.url}",
                         "--xray-project=CALC", "--xray-summary=Nightly")  # fmt: skip
    assert status == 0, err
    assert err == (
        "pytest-xray: note: Xray's JUnit endpoint takes no summary, xray_execution_fields; "
        "not sent with --format junit (the default --format json sends them).\n"
    )
    assert len(server.executions) == 1


def test_command_takes_settings_with_their_value_after_a_space(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Any, server: XrayEmulator
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    (tmp_path / "r.xml").write_text(JEST)
    status, _, err = cli("upload", "r.xml", "--xray-url", server.url, "--xray-project", "CALC",
                         "--key-from", r"CALC-\d+")  # fmt: skip
    assert status == 0, err
    assert len(server.executions) == 1
    # A value after a flag is not a setting: one line, exit status 2.
    status, _, err = cli("upload", "r.xray.json", "--xray-dry-run", "extra")
    assert (status, err) == (2, "pytest-xray: error: unrecognized arguments: extra\n")


def test_a_time_that_is_not_a_number_is_unknown(tmp_path: Path) -> None:
    path = tmp_path / "r.xml"
    path.write_text(
        '<testsuite timestamp="2024-05-01T10:00:00+02:00">'
        '<testcase classname="c" name="CALC-1" time="nan"/>'
        '<testcase classname="c" name="CALC-2" time="inf"/>'
        '<testcase classname="c" name="CALC-3" time="-3"/></testsuite>'
    )
    results = read_junit(path, re.compile(r"CALC-\d+")).execution.results
    assert [result.finish - result.start for result in results] == [0.0, 0.0, 0.0]


def _advice(err: str, choice: str) -> list[str]:
    """The command of the ``if it is there: ...`` or ``if not: ...`` advice, without
    ``pytest-xray``."""
    [line] = [line for line in err.splitlines() if "look in Jira" in line]
    there, _, new = line.partition("if it is there: ")[2].partition("; if not: ")
    command = shlex.split(there if choice == "there" else new)
    assert command[:2] == ["pytest-xray", "upload"]
    return command[1:]


def test_junit_endpoint_create_without_an_answer_is_not_repeated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Any, server: XrayEmulator
) -> None:
    """As for Xray JSON: the create is recorded before it goes, a plain rerun refuses to make
    a second execution, and the advice (with --format junit) sends into the first."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    Path("r.xml").write_text(SUREFIRE)
    command = ["upload", "r.xml", "--format", "junit", "--xray-url", server.url,
               "--xray-project", "CALC", "--xray-timeout", "1"]  # fmt: skip
    server.inject(delay=1.5)  # Xray makes the execution, but answers after our timeout
    status, _, err = cli(*command)
    assert status == 1
    assert "no answer" in err
    progress = json.loads(Path("r.xml.progress.json").read_text())
    assert progress["creating_since"]
    assert progress["execution"] is None
    deadline = time.monotonic() + 5
    while not junit_imports(server) and time.monotonic() < deadline:  # recorded once answered
        time.sleep(0.05)
    [key] = server.executions

    status, _, refused = cli(*command)
    assert status == 1
    assert "may exist" in refused
    assert len(junit_imports(server)) == 1
    there = _advice(refused, "there")
    assert there[:4] == ["upload", "r.xml", "--format", "junit"]
    assert _advice(err, "there") == there

    status, out, err = cli(*[key if arg == "KEY" else arg for arg in there])
    assert status == 0, err
    assert list(server.executions) == [key]
    assert junit_imports(server)[-1].query["testExecKey"] == key
    assert f"uploaded r.xml to Test Execution {key}" in out
    status, out, _ = cli(*command)
    assert status == 0
    assert f"nothing to send: every result of r.xml is already in Test Execution {key}" in out
    assert len(junit_imports(server)) == 2


def test_junit_endpoint_new_execution_after_a_create_without_an_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Any, server: XrayEmulator
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    Path("r.xml").write_text(SUREFIRE)
    server.inject(drop=True)  # no answer: Xray may or may not have made it (here: not)
    status, _, err = cli("upload", "r.xml", "--format", "junit", f"--xray-url={server.url}",
                         "--xray-project=CALC")  # fmt: skip
    assert status == 1
    assert not server.executions
    status, _, err = cli(*_advice(err, "new"))
    assert status == 0, err
    [key] = server.executions
    assert json.loads(Path("r.xml.progress.json").read_text())["execution"] == key


def junit_imports(emulator: XrayEmulator) -> list[Any]:
    return [r for r in emulator.requests if r.path.endswith("import/execution/junit")]


def test_a_bad_setting_is_one_line_with_one_prefix(cli: Any) -> None:
    status, out, err = cli("upload", "r.json", "--xray-timeout", "abc")
    assert (status, out) == (2, "")
    assert err == "pytest-xray: error: --xray-timeout: 'abc' is not a positive number of seconds.\n"


def test_upload_refuses_a_report_for_the_other_product(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Any
) -> None:
    # Shards that forgot XRAY_CLOUD write Server names, which Cloud would show as TODO.
    report = tmp_path / "all.json"
    report.write_text(json.dumps({"info": {"summary": "s"}, "tests": [
        {"testKey": "CALC-1", "status": "PASS"}]}))  # fmt: skip
    monkeypatch.setenv("XRAY_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("XRAY_CLIENT_SECRET", CLIENT_SECRET)
    status, _, err = cli("upload", str(report), "--xray-url=http://127.0.0.1:9", "--xray-cloud")
    assert (status, err) == (2, (
        f"pytest-xray: error: {report} was written for Xray Server / Data Center (status PASS) "
        "but would go to Xray Cloud; write it with the settings of Xray Cloud "
        "(XRAY_CLOUD=true), or send it to Xray Server / Data Center.\n"
    ))  # fmt: skip


def test_upload_refuses_the_check_option(tmp_path: Path, cli: Any) -> None:
    status, _, err = cli("upload", str(tmp_path / "r.json"), "--xray-check")
    assert status == 2
    assert err.startswith("pytest-xray: error: --xray-check checks the keys of a pytest run")
