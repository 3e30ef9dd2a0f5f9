"""Merging shard reports: pure functions on hand-made reports; the command on report files."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_xray.cli import main
from pytest_xray.emulator import XrayEmulator
from pytest_xray.merge import MergeError, merge_reports, read_inputs
from pytest_xray.model import Execution, Outcome, TestResult
from pytest_xray.payload import build_payload
from pytest_xray.report import write_report
from pytest_xray.settings import CLOUD_STATUSES, Settings
from tests.conftest import PAT, validate

Report = dict[str, Any]
T0 = 1_700_000_000.0


def _result(nodeid: str, *keys: str, **fields: Any) -> TestResult:
    """A passed pytest test of ``keys`` (CALC-1 when none is given)."""
    return TestResult(nodeid, keys or ("CALC-1",), Outcome.PASSED, T0, T0 + 1, **fields)


def report(*tests: dict[str, Any], **info: Any) -> Report:
    execution_key = info.pop("execution", None)
    body: Report = {
        "info": {
            "project": "CALC",
            "summary": "pytest run",
            "startDate": "2024-05-01T10:00:00+02:00",
            "finishDate": "2024-05-01T10:05:00+02:00",
            **info,
        },
        "tests": list(tests),
    }
    if execution_key:
        body = {"testExecutionKey": execution_key, **body}
    return body


def plain(key: str, status: str, **fields: Any) -> dict[str, Any]:
    return {
        "testKey": key,
        "start": "2024-05-01T10:01:00+02:00",
        "finish": "2024-05-01T10:02:00+02:00",
        "status": status,
        **fields,
    }


def iterated(key: str, *statuses: str, prefix: str = "t.py::test") -> dict[str, Any]:
    return plain(
        key,
        "FAIL" if "FAIL" in statuses else "PASS",
        comment=f"{len(statuses)} iterations",
        iterations=[
            {"name": f"{prefix}[{n}]", "parameters": [{"name": "n", "value": str(n)}], "status": s}
            for n, s in enumerate(statuses)
        ],
    )


def test_three_shards_join_iterations_times_and_defects() -> None:
    shard1 = report(
        plain("CALC-1", "PASS", defects=["CALC-90"]),
        iterated("CALC-2", "PASS", "PASS", prefix="t.py::a"),
        plain("CALC-5", "PASS", start="2024-05-01T09:00:00+01:00"),  # 10:00 at +02:00
        startDate="2024-05-01T10:00:30+02:00",
    )
    shard2 = report(
        iterated("CALC-2", "FAIL", prefix="t.py::b"),
        plain("CALC-3", "TODO", comment="skipped: later"),
        plain("CALC-5", "FAIL", comment="boom", defects=["CALC-91", "CALC-90"]),
        startDate="2024-05-01T08:00:00Z",  # the earliest: 10:00 at +02:00, given in UTC
        finishDate="2024-05-01T10:09:00+02:00",
    )
    shard3 = report(
        plain("CALC-4", "PASS"),
        plain("CALC-5", "PASS", finish="2024-05-01T10:30:00+02:00", defects=["CALC-92"]),
        finishDate="2024-05-01T10:07:00+02:00",
    )
    before = copy.deepcopy([shard1, shard2, shard3])
    merged = validate(
        merge_reports([("s1.json", shard1), ("s2.json", shard2), ("s3.json", shard3)])
    )
    assert [shard1, shard2, shard3] == before, "the inputs were changed"
    assert [t["testKey"] for t in merged["tests"]] == [
        "CALC-1",
        "CALC-2",
        "CALC-5",
        "CALC-3",
        "CALC-4",
    ]
    tests = {t["testKey"]: t for t in merged["tests"]}
    assert tests["CALC-1"] == shard1["tests"][0]  # in one shard only: unchanged
    calc2 = tests["CALC-2"]
    assert [i["name"] for i in calc2["iterations"]] == ["t.py::a[0]", "t.py::a[1]", "t.py::b[0]"]
    assert calc2["status"] == "FAIL"
    assert calc2["comment"] == "3 iterations: 2 PASS, 1 FAIL"
    calc5 = tests["CALC-5"]
    assert calc5["iterations"] == [
        {"name": "s1.json", "status": "PASS"},
        {"name": "s2.json", "log": "boom", "status": "FAIL"},
        {"name": "s3.json", "status": "PASS"},
    ]
    assert calc5["status"] == "FAIL"
    assert calc5["start"] == "2024-05-01T09:00:00+01:00"
    assert calc5["finish"] == "2024-05-01T10:30:00+02:00"
    assert calc5["defects"] == ["CALC-91", "CALC-90", "CALC-92"]
    assert merged["info"]["startDate"] == "2024-05-01T08:00:00Z"
    assert merged["info"]["finishDate"] == "2024-05-01T10:09:00+02:00"
    assert merged["info"]["summary"] == "pytest run"


def test_created_tests_merge_by_definition() -> None:
    def created(status: str, summary: str) -> dict[str, Any]:
        info = {"projectKey": "CALC", "summary": summary, "type": "Generic", "definition": "t.a"}
        return {"testInfo": info, "status": status}

    merged = merge_reports(
        [("a", report(created("PASSED", "A"))), ("b", report(created("FAILED", "A again")))]
    )
    [entry] = merged["tests"]
    assert entry["testInfo"]["summary"] == "A"
    assert [i["status"] for i in entry["iterations"]] == ["PASSED", "FAILED"]


def test_worst_status_ranks_todo_over_pass() -> None:
    merged = merge_reports(
        [("a", report(plain("K-1", "PASSED"))), ("b", report(plain("K-1", "TODO")))]
    )
    assert merged["tests"][0]["status"] == "TODO"


def test_shards_into_an_existing_execution_keep_its_key_and_any_environment_order() -> None:
    a = report(plain("K-1", "PASS"), execution="CALC-77", testEnvironments=["linux", "py3"])
    b = report(plain("K-2", "PASS"), execution="CALC-77", testEnvironments=["py3", "linux"])
    merged = merge_reports([("a", a), ("b", b)])
    assert merged["testExecutionKey"] == "CALC-77"
    assert merged["info"]["testEnvironments"] == ["linux", "py3"]
    assert [t["testKey"] for t in merged["tests"]] == ["K-1", "K-2"]


def test_evidence_of_every_shard_is_kept() -> None:
    shot = {"data": "aGk=", "filename": "a.png", "contentType": "image/png"}
    log = {"data": "bG9n", "filename": "b.log", "contentType": "text/plain"}
    merged = merge_reports(
        [
            ("a", report(plain("K-1", "PASSED", evidence=[shot]))),
            ("b", report(plain("K-1", "FAILED", evidence=[log]))),
        ]
    )
    assert merged["tests"][0]["evidence"] == [shot, log]


@pytest.mark.parametrize(
    ("second", "message"),
    [
        (
            report(plain("K-2", "PASSED")),
            "a.json was written for Xray Server / Data Center (status PASS) but b.json for "
            "Xray Cloud (status PASSED); run every shard against the same Xray.",
        ),
        (
            report(plain("K-2", "PASS"), execution="CALC-78"),
            'testExecutionKey is not set in a.json but "CALC-78" in b.json; shards of one '
            "execution need the same settings.",
        ),
        (
            report(plain("K-2", "PASS"), project="SHOP"),
            'info.project is "CALC" in a.json but "SHOP" in b.json; shards of one execution '
            "need the same settings.",
        ),
        (
            report(plain("K-2", "PASS"), testPlanKey="CALC-9"),
            'info.testPlanKey is not set in a.json but "CALC-9" in b.json;',
        ),
        (
            report(plain("K-2", "PASS"), testEnvironments=["windows"]),
            'info.testEnvironments is not set in a.json but ["windows"] in b.json;',
        ),
        (report(plain("K-2", "PASS"), version="2.0"), "info.version is not set in a.json"),
        (report(plain("K-2", "PASS"), revision="abc"), "info.revision is not set in a.json"),
    ],
    ids=["product", "execution", "project", "test-plan", "environments", "version", "revision"],
)
def test_contradicting_reports_are_refused(second: Report, message: str) -> None:
    first = report(plain("K-1", "PASS"))
    with pytest.raises(MergeError) as raised:
        merge_reports([("a.json", first), ("b.json", second)])
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_todo_only_reports_fit_either_product() -> None:
    merged = merge_reports(
        [("a", report(plain("K-1", "TODO"))), ("b", report(plain("K-2", "PASSED")))]
    )
    assert len(merged["tests"]) == 2


def test_a_report_mixing_products_is_refused() -> None:
    with pytest.raises(MergeError) as raised:
        merge_reports([("odd.json", report(plain("K-1", "PASS"), plain("K-2", "FAILED")))])
    assert str(raised.value) == (
        "odd.json mixes Xray Server / Data Center names (status PASS) and Xray Cloud ones "
        "(status FAILED); it cannot be merged."
    )


def _created(type_name: str, status: str = "TODO", **fields: Any) -> dict[str, Any]:
    info = {"projectKey": "CALC", "summary": "s", type_name: "Generic", "definition": "t.a"}
    return {"testInfo": info, "status": status, **fields}


SHOT = [{"data": "aGk=", "filename": "a.png", "contentType": "image/png"}]


@pytest.mark.parametrize(
    ("server", "cloud", "server_marker", "cloud_marker"),
    [
        (_created("testType"), _created("type"), "testInfo.testType", "testInfo.type"),
        (plain("K-1", "TODO", evidences=SHOT), plain("K-1", "TODO", evidence=SHOT),
         "evidences", "evidence"),
        (plain("K-1", "BLOCKED", evidences=SHOT), _created("type", "PASSED"),
         "evidences", "status PASSED"),
    ],
    ids=["test-type", "evidence", "evidence-and-status"],
)  # fmt: skip
def test_products_told_apart_by_field_names_too(
    server: dict[str, Any], cloud: dict[str, Any], server_marker: str, cloud_marker: str
) -> None:
    """TODO and custom statuses fit either product; the field names only one product uses
    tell it as the built-in status names do."""
    for first, second in ((server, cloud), (cloud, server)):
        with pytest.raises(MergeError) as raised:
            merge_reports([("a.json", report(first)), ("b.json", report(second))])
        markers = (
            (server_marker, cloud_marker) if first is server else (cloud_marker, server_marker)
        )
        products = ("Xray Server / Data Center", "Xray Cloud")[:: 1 if first is server else -1]
        assert str(raised.value) == (
            f"a.json was written for {products[0]} ({markers[0]}) but b.json for {products[1]} "
            f"({markers[1]}); run every shard against the same Xray."
        )
    with pytest.raises(MergeError, match=r"^a\.json mixes Xray Server / Data Center names \("):
        merge_reports([("a.json", report({**server, "testKey": "K-5"}, cloud))])


def test_nothing_to_merge() -> None:
    with pytest.raises(MergeError, match="no report to merge"):
        merge_reports([])


def _built(*results: TestResult) -> Report:
    execution = Execution(start=T0, finish=T0 + 9, results=list(results))
    return build_payload(execution, Settings(enabled=True, project="CALC"), host="ci")


def test_merge_joins_requirements_and_custom_fields_as_a_serial_run_does() -> None:
    a = _result("t.py::a", requirements=("CALC-100",), custom_fields=(("f1", "a"),))
    b = _result("t.py::b", requirements=("CALC-101", "CALC-100"),
                custom_fields=(("f1", "b"), ("f2", 2)))  # fmt: skip
    c = _result("t.py::c")  # no requirement: its shard sends no testInfo for CALC-1
    serial = _built(a, b, c)["tests"][0]
    merged = validate(
        merge_reports([("c.json", _built(c)), ("a.json", _built(a)), ("b.json", _built(b))])
    )
    [entry] = merged["tests"]
    assert entry["testInfo"]["requirementKeys"] == ["CALC-100", "CALC-101"]
    assert entry["testInfo"] == serial["testInfo"]
    assert entry["customFields"] == [{"id": "f1", "value": "a"}, {"id": "f2", "value": 2}]
    assert entry["customFields"] == serial["customFields"]
    assert list(entry)[:2] == ["testKey", "testInfo"]


def test_labels_of_a_created_test_are_joined() -> None:
    def created(status: str, *labels: str) -> dict[str, Any]:
        info = {"projectKey": "CALC", "summary": "A", "type": "Generic", "definition": "t.a"}
        return {"testInfo": {**info, "labels": list(labels)}, "status": status}

    merged = merge_reports(
        [
            ("a", report(created("PASSED", "ui", "smoke"))),
            ("b", report(created("FAILED", "api", "ui"))),
        ]
    )
    assert merged["tests"][0]["testInfo"]["labels"] == ["ui", "smoke", "api"]


def test_evidence_names_stay_unique_in_a_test_run() -> None:
    def shot(name: str, data: str) -> dict[str, str]:
        return {"data": data, "filename": name, "contentType": "image/png"}

    shards = [
        ("out/shard-1.json", [shot("shot.png", "MQ==")]),
        ("out/shard-2.json", [shot("shot.png", "Mg=="), shot("log.txt", "bG9n")]),
        ("shard-3.json", [shot("shard-2__shot.png", "Mw==")]),  # a name taken already
    ]
    merged = validate(
        merge_reports([(name, report(plain("K-1", "PASSED", evidence=e))) for name, e in shards])
    )
    evidence = merged["tests"][0]["evidence"]
    assert [(e["filename"], e["data"]) for e in evidence] == [
        ("shard-1__shot.png", "MQ=="),
        ("shard-2__shot-2.png", "Mg=="),  # shard-3 already holds a file of that name
        ("log.txt", "bG9n"),
        ("shard-2__shot.png", "Mw=="),
    ]


def test_shards_that_each_ran_the_whole_suite_get_distinct_iteration_names() -> None:
    shards = [
        (f"{version}/xray.json", report(iterated("K-1", "PASS", status)))
        for version, status in (("py3.11", "PASS"), ("py3.12", "FAIL"))
    ] + [("py313.json", report(iterated("K-1", "PASS", prefix="other.py::test")))]
    merged = validate(merge_reports(shards))
    names = [i["name"] for i in merged["tests"][0]["iterations"]]
    assert names == [
        "t.py::test[0] [py3.11/xray.json]",  # both reports are xray.json: their folder tells
        "t.py::test[1] [py3.11/xray.json]",
        "t.py::test[0] [py3.12/xray.json]",
        "t.py::test[1] [py3.12/xray.json]",
        "other.py::test[0]",
    ]
    plain_shards = [
        (f"{n}.json", report(iterated("K-1", "PASS"), plain("K-2", "PASS"))) for n in "ab"
    ]
    merged = merge_reports(plain_shards)
    assert [i["name"] for i in merged["tests"][0]["iterations"]] == [
        "t.py::test[0] [a.json]",
        "t.py::test[0] [b.json]",
    ]
    assert [i["name"] for i in merged["tests"][1]["iterations"]] == ["a.json", "b.json"]


GOOD = plain("K-1", "PASS")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (report(GOOD, {"testKey": "K-2"}), "tests[1] (K-2) has no status."),
        (report(GOOD, {"testInfo": {"summary": "x"}}), "tests[1] has no status."),
        (report(GOOD, {**plain("K-2", "PASS"), "status": None}),
         "tests[1] (K-2) has the status null, not a status name."),
        ({"tests": ["K-1"]}, "tests[0] is a string, not a test object."),
        (report(plain("K-1", "PASS", iterations=[{"name": "a", "status": "PASS"}, {"name": "b"}])),
         "tests[0] (K-1): iterations[1] has no status."),
        (report(plain("K-1", "PASS", iterations=["a"])),
         "tests[0] (K-1): iterations[0] is a string, not an iteration object."),
        ({"info": "x", "tests": [GOOD]}, "info is a string, not an object."),
        ({"testExecutionKey": 7, "tests": [GOOD]}, "testExecutionKey is a number, not an issue"),
        (report(plain("K-1", "PASS", evidence="shot.png")), "tests[0] (K-1): evidence is a string"),
        (report(plain("K-1", "PASS", defects=[{"key": "K-9"}])),
         "tests[0] (K-1): defects[0] is an object, not an issue key."),
        (report(plain("K-1", "PASS", customFields=[{"value": 1}])),
         "tests[0] (K-1): customFields[0] has no id."),
        (report(plain("K-1", "PASS", testInfo="x")), "tests[0] (K-1): testInfo is a string"),
        (report(plain("K-1", "PASS", testInfo={"requirementKeys": "K-7"})),
         "tests[0] (K-1): testInfo.requirementKeys is a string, not a list."),
    ],
    ids=["no-status", "no-status-no-key", "null-status", "string-entry", "iteration-status",
         "string-iteration", "string-info", "number-key", "string-evidence", "object-defect",
         "field-without-id", "string-test-info", "string-requirements"],
)  # fmt: skip
def test_malformed_reports_are_one_line_errors_of_the_command(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    bad: Any,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.json").write_text(json.dumps(report(plain("K-1", "PASS"))))
    (tmp_path / "x.json").write_text(json.dumps(bad))
    status = main(["merge", "good.json", "x.json", "-o", "all.json"])
    err = capsys.readouterr().err
    assert status == 1  # as for a report that is not JSON: a file that cannot be merged
    [line] = err.splitlines()
    assert line.startswith(f"pytest-xray: error: x.json: {message}")
    assert not (tmp_path / "all.json").exists()


def test_console_script_names_the_malformed_report(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text(json.dumps(report(plain("K-1", "PASS"), {"testKey": "K-3"})))
    done = subprocess.run(
        [sys.executable, "-m", "pytest_xray", "merge", "x.json", "-o", "all.json"],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (
        1, "pytest-xray: error: x.json: tests[1] (K-3) has no status.\n",
    )  # fmt: skip


def _surefire(cls: str, *cases: str) -> str:
    """A Surefire file of one test class; each case is ``name:key`` (key optional) and fails
    when its name starts with ``bad``."""
    body = ""
    for case in cases:
        name, _, key = case.partition(":")
        props = f'<properties><property name="test_key" value="{key}"/></properties>' if key else ""
        failure = '<failure message="boom">trace</failure>' if name.startswith("bad") else ""
        body += f'<testcase name="{name}" classname="com.acme.{cls}" time="1">'
        body += f"{props}{failure}</testcase>"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="com.acme.{cls}" '
        f'timestamp="2024-05-01T10:00:00+02:00">{body}</testsuite>\n'
    )


@pytest.fixture
def surefire(tmp_path: Path) -> list[Path]:
    """Surefire's reports folder: one file per test class."""
    folder = tmp_path / "target" / "surefire-reports"
    folder.mkdir(parents=True)
    files = {
        "TEST-com.acme.ATest.xml": _surefire("ATest", "adds:CALC-1", "bad_divides:CALC-2", "plain"),
        "TEST-com.acme.BTest.xml": _surefire("BTest", "again:CALC-1", "other"),
    }
    for name, text in files.items():
        (folder / name).write_text(text)
    return sorted(folder.iterdir())


def test_surefire_files_merge_into_one_report(
    surefire: list[Path],
    server: XrayEmulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines: list[str] = []
    settings = Settings(enabled=True, project="CALC", create_tests=True, revision="abc")
    reports = read_inputs(surefire, lambda: settings, announce=lines.append)
    merged = validate(merge_reports(reports), "server")
    assert lines == ["read 5 testcases from 2 JUnit XML files: 5 results"]
    assert merged["info"]["project"] == "CALC"
    assert merged["info"]["revision"] == "abc"
    assert merged["info"]["summary"].startswith("Test results from 2 JUnit XML files, run at ")
    tests = {t.get("testKey") or t["testInfo"]["definition"]: t for t in merged["tests"]}
    assert list(tests) == ["CALC-1", "CALC-2", "com.acme.ATest.plain", "com.acme.BTest.other"]
    assert [(i["name"], i["status"]) for i in tests["CALC-1"]["iterations"]] == [
        (str(surefire[0]), "PASS"),
        (str(surefire[1]), "PASS"),
    ]
    assert tests["CALC-2"]["status"] == "FAIL"
    assert tests["com.acme.BTest.other"]["testInfo"]["testType"] == "Generic"
    # The merged report goes to Xray like any saved report.
    path = write_report(merged, surefire[0].parent / "all.json")
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    status = main(["upload", str(path), f"--xray-url={server.url}"])
    assert status == 0, capsys.readouterr().err
    [execution] = server.executions.values()
    assert {key: run["status"] for key, run in execution.runs.items() if key in tests} == {
        "CALC-1": "PASS",
        "CALC-2": "FAIL",
    }
    assert len(server.created_tests) == 2


def test_junit_files_take_the_products_names_from_the_settings(surefire: list[Path]) -> None:
    cloud = Settings(enabled=True, cloud=True, statuses=CLOUD_STATUSES, execution="CALC-77")
    merged = validate(merge_reports(read_inputs(surefire, lambda: cloud)), "cloud")
    assert merged["testExecutionKey"] == "CALC-77"
    assert "summary" not in merged["info"]  # an existing execution keeps its summary
    assert {t["testKey"]: t["status"] for t in merged["tests"]} == {
        "CALC-1": "PASSED",
        "CALC-2": "FAILED",
    }


def test_junit_files_and_json_reports_merge_and_must_agree(
    surefire: list[Path], tmp_path: Path
) -> None:
    shard = tmp_path / "shard-0.json"
    shard.write_text(json.dumps(report(plain("CALC-1", "FAIL"), plain("CALC-9", "PASS"))))
    server = Settings(enabled=True, project="CALC")
    merged = merge_reports(read_inputs([shard, *surefire], lambda: server))
    assert merged["info"]["summary"] == "pytest run"  # the first report's
    assert [i["status"] for i in merged["tests"][0]["iterations"]] == ["FAIL", "PASS", "PASS"]
    cloud = Settings(enabled=True, project="CALC", cloud=True, statuses=CLOUD_STATUSES)
    with pytest.raises(MergeError, match=r"shard-0\.json was written for Xray Server / Data"):
        merge_reports(read_inputs([shard, *surefire], lambda: cloud))

    def unwanted() -> Settings:
        raise AssertionError("settings are resolved only for JUnit files")

    assert read_inputs([shard], unwanted) == [(str(shard), json.loads(shard.read_text()))]


def test_junit_files_need_a_project_and_a_key(surefire: list[Path]) -> None:
    with pytest.raises(MergeError) as raised:
        read_inputs(surefire, lambda: Settings(enabled=True))
    assert str(raised.value) == (
        f"{surefire[0]} is JUnit XML, and its results need a project: pass --xray-project KEY "
        "(or XRAY_PROJECT), or --xray-execution KEY to add to an existing one."
    )
    unkeyed = surefire[0].with_name("TEST-com.acme.CTest.xml")
    unkeyed.write_text(_surefire("CTest", "one", "two"))
    with pytest.raises(MergeError, match=f"^no testcase of {re.escape(str(unkeyed))} has an Xray"):
        read_inputs([unkeyed], lambda: Settings(enabled=True, project="CALC"))


def test_merge_command_reads_junit_files(
    surefire: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "all.json"
    pattern = str(surefire[0].parent / "*.xml")
    assert main(["merge", pattern, "-o", str(out), "--xray-project=CALC", "--xray-cloud"]) == 0
    merged = validate(json.loads(out.read_text()), "cloud")
    assert {t["testKey"]: t["status"] for t in merged["tests"]} == {
        "CALC-1": "PASSED",
        "CALC-2": "FAILED",
    }
    assert "read 5 testcases from 2 JUnit XML files" in capsys.readouterr().out
    # Keys from the testcase names, as for upload.
    named = tmp_path / "named.xml"
    named.write_text(_surefire("NTest", "adds CALC-7"))
    key_from = ["--key-from", r"CALC-\d+"]
    assert main(["merge", str(named), "-o", str(out), *key_from]) == 1
    assert "need a project" in capsys.readouterr().err
    assert main(["merge", str(named), "-o", str(out), "--xray-project=CALC", *key_from]) == 0
    assert [t["testKey"] for t in json.loads(out.read_text())["tests"]] == ["CALC-7"]
    assert main(["merge", str(named), "-o", str(out), "--what"]) == 2
    assert capsys.readouterr().err == "pytest-xray: error: unrecognized arguments: --what\n"


def test_custom_statuses_rank_by_the_merge_commands_status_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Shards run with --xray-status failed=BROKEN --xray-status passed=OK: BROKEN must win.
    for n, status in ((1, "OK"), (2, "BROKEN")):
        (tmp_path / f"shard-{n}.json").write_text(json.dumps(report(plain("CALC-1", status))))
    out = tmp_path / "all.json"
    pattern = str(tmp_path / "shard-*.json")
    statuses = ["--xray-status", "failed=BROKEN", "--xray-status", "passed=OK"]
    assert main(["merge", pattern, "-o", str(out), *statuses]) == 0, capsys.readouterr().err
    assert json.loads(out.read_text())["tests"][0]["status"] == "BROKEN"
    assert main(["merge", pattern, "-o", str(out)]) == 0  # unknown names: the first wins a tie
    assert json.loads(out.read_text())["tests"][0]["status"] == "OK"
