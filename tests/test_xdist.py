"""Real pytest-xdist sessions (``-n 2``): one execution, every result, the serial run's payload."""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from xml.etree import ElementTree

import pytest

from pytest_xray.emulator import XrayEmulator
from tests.conftest import PAT, RunXray

pytest.importorskip("xdist")

SUITE = """
import os
from pathlib import Path

import pytest

@pytest.fixture
def broken_setup():
    raise RuntimeError("setup boom")

@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown boom")

@pytest.mark.xray("CALC-1", defects=["CALC-90"])
def test_pass(xray_evidence): xray_evidence(b"\\x00evidence bytes", filename="raw.bin")

@pytest.mark.xray("CALC-2", requirements=["CALC-100"])
@pytest.mark.parametrize("n", range(8))
def test_iterations(n):
    print(f"checking {n}")
    assert n != 5, "five is out"

@pytest.mark.xray("CALC-3")
def test_skip(): pytest.skip("not here")

@pytest.mark.xray("CALC-4")
@pytest.mark.xfail(reason="bug 7")
def test_xfail(): assert 0

@pytest.mark.xray("CALC-5")
def test_setup_error(broken_setup): pass

@pytest.mark.xray("CALC-6")
def test_teardown_error(broken_teardown): pass

@pytest.mark.xray("CALC-7", "CALC-8")
class TestGroup:
    @pytest.mark.parametrize("word", ["a b", "ü"])
    def test_words(self, word): pass

    def test_fails(self): raise ValueError("group failure")

@pytest.mark.xray("CALC-9")
def test_flaky():
    # Fails on its first attempt only: --reruns makes it pass.
    marker = Path(os.environ["FLAKY_DIR"]) / "tried"
    if not marker.exists():
        marker.write_text("1")
        assert False, "first attempt"

def test_unmarked(): pass
"""


def timeless(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` without what differs between two runs of the same tests: times (and the
    addresses of objects in tracebacks)."""
    payload = json.loads(re.sub(r"0x[0-9a-f]+", "0x?", json.dumps(payload)))
    for name in ("startDate", "finishDate", "summary"):
        payload["info"].pop(name, None)
    for test in payload["tests"]:
        test.pop("start")
        test.pop("finish")
    return payload


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pytester.makepyfile(test_suite=SUITE)
    monkeypatch.setenv("FLAKY_DIR", str(pytester.mkdir("flaky-serial")))
    return pytester


OUTCOMES = {"passed": 14, "failed": 2, "skipped": 1, "xfailed": 1, "errors": 2, "rerun": 5}


def serial_payload(run_xray: RunXray) -> dict[str, Any]:
    run = run_xray(
        "--reruns=1", "--xray-project=CALC", "--xray-output=serial.json", report="serial.json"
    )
    assert run.result.parseoutcomes() == OUTCOMES
    return run.payload


def test_xdist_run_is_one_execution_equal_to_the_serial_run(
    suite: pytest.Pytester,
    run_xray: RunXray,
    server: XrayEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    serial = serial_payload(run_xray)
    monkeypatch.setenv("FLAKY_DIR", str(suite.mkdir("flaky-xdist")))
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    run = run_xray(
        "-n", "2", "--reruns=1", f"--xray-url={server.url}", "--xray-project=CALC",
        "--xray-output=xdist.json", "--junitxml=junit.xml", report="xdist.json",
    )  # fmt: skip
    assert run.result.parseoutcomes() == OUTCOMES
    # Only the controller uploads, once.
    assert [r.path for r in server.requests] == ["/rest/raven/2.0/import/execution"]
    [execution] = server.executions.values()
    assert json.loads(server.requests[0].body) == run.payload
    assert sorted(execution.runs) == [f"CALC-{n}" for n in range(1, 10)]
    iterations = execution.runs["CALC-2"]["iterations"]
    assert [i["name"] for i in iterations] == [
        f"test_suite.py::test_iterations[{n}]" for n in range(8)
    ]
    assert [i["status"] for i in iterations] == ["PASS"] * 5 + ["FAIL"] + ["PASS"] * 2
    assert "five is out" in iterations[5]["log"]
    assert "[gw" not in json.dumps(run.payload), "xdist's worker line leaked into a text"
    assert "2 attempts" in execution.runs["CALC-9"]["comment"]
    # Evidence rides on the reports too: the attached file and the captured output of failures.
    [raw] = execution.runs["CALC-1"]["evidences"]
    assert (raw["filename"], base64.b64decode(raw["data"])) == ("raw.bin", b"\x00evidence bytes")
    failed = execution.runs["CALC-2"]["evidences"]
    assert [e["filename"] for e in failed] == ["test_iterations_5__output.txt"]
    # Same tests, same payload (and same order) apart from the times.
    assert timeless(run.payload) == timeless(serial)
    run.result.stdout.fnmatch_lines(
        ["*xray: 17 results for 9 Xray tests: *; 1 test without an xray marker left out"]
    )
    # The Xray properties reach pytest's JUnit XML through the controller too.
    junit = (suite.path / "junit.xml").read_text()
    for prop in (
        '<property name="test_key" value="CALC-7" /><property name="test_key" value="CALC-8" />',
        '<property name="requirements" value="CALC-100" />',
        '<property name="defects" value="CALC-90" />',
    ):
        assert prop in junit
    keys = {
        case.get("name"): [
            p.get("value") for p in case.iter("property") if p.get("name") == "test_key"
        ]
        for case in ElementTree.fromstring(junit).iter("testcase")
    }
    assert keys["test_words[a b]"] == ["CALC-7", "CALC-8"]
    assert keys["test_iterations[5]"] == ["CALC-2"]
    assert keys["test_unmarked"] == []


@pytest.mark.parametrize("dist", ["loadscope", "worksteal"])
def test_every_dist_mode_gives_the_serial_payload(
    suite: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch, dist: str
) -> None:
    serial = serial_payload(run_xray)
    monkeypatch.setenv("FLAKY_DIR", str(suite.mkdir("flaky-xdist")))
    run = run_xray("-n", "2", f"--dist={dist}", "--reruns=1", "--xray-project=CALC")
    assert run.result.parseoutcomes() == OUTCOMES
    assert timeless(run.payload) == timeless(serial)


def test_dist_each_names_the_worker_of_each_iteration(
    pytester: pytest.Pytester, run_xray: RunXray
) -> None:
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.xray("CALC-1")
        def test_a(): pass
        @pytest.mark.xray("CALC-2")
        @pytest.mark.parametrize("n", [1, 2])
        def test_b(n): assert n == 1
        """
    )
    run = run_xray("-n", "2", "--dist=each")
    run.result.assert_outcomes(passed=4, failed=2)
    assert [i["name"] for i in run.test("CALC-1")["iterations"]] == [
        "test_dist_each_names_the_worker_of_each_iteration.py::test_a [gw0]",
        "test_dist_each_names_the_worker_of_each_iteration.py::test_a [gw1]",
    ]
    calc2 = run.test("CALC-2")
    assert [(i["name"].rsplit("::", 1)[1], i["status"]) for i in calc2["iterations"]] == [
        ("test_b[1] [gw0]", "PASS"),
        ("test_b[1] [gw1]", "PASS"),
        ("test_b[2] [gw0]", "FAIL"),
        ("test_b[2] [gw1]", "FAIL"),
    ]


CRASHES = """
import os
import pytest

@pytest.fixture
def dies_in_setup():
    os._exit(1)

@pytest.fixture
def dies_in_teardown():
    yield
    os._exit(1)

@pytest.mark.xray("CALC-1")
def test_dies_in_call(): os._exit(1)

@pytest.mark.xray("CALC-2")
def test_dies_in_setup(dies_in_setup): pass

@pytest.mark.xray("CALC-3")
def test_dies_in_teardown(dies_in_teardown): pass

@pytest.mark.xray("CALC-4")
@pytest.mark.parametrize("n", [1, 2, 3])
def test_after(n): pass

def test_unmarked_dies(): os._exit(1)
"""


def test_worker_crash_is_an_error_result(pytester: pytest.Pytester, run_xray: RunXray) -> None:
    pytester.makepyfile(test_crash=CRASHES)
    run = run_xray("-n", "2", "--max-worker-restart=10")
    run.result.assert_outcomes(passed=4, failed=4)  # a teardown crash after a pass counts twice
    statuses = {t["testKey"]: t["status"] for t in run.payload["tests"]}
    assert statuses == {"CALC-1": "FAIL", "CALC-2": "FAIL", "CALC-3": "FAIL", "CALC-4": "PASS"}
    for key, name in (
        ("CALC-1", "test_dies_in_call"),
        ("CALC-2", "test_dies_in_setup"),
        ("CALC-3", "test_dies_in_teardown"),
    ):
        comment = run.test(key)["comment"]
        assert comment.startswith("worker crashed:\nworker 'gw"), comment
        assert f"crashed while running 'test_crash.py::{name}'" in comment
    assert len(run.test("CALC-4")["iterations"]) == 3
    run.result.stdout.fnmatch_lines(
        ["*xray: 6 results for 4 Xray tests: *; 1 test without an xray marker left out"]
    )


def test_crashed_test_rerun_counts_attempts(
    pytester: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLAKY_DIR", str(pytester.mkdir("flaky")))
    pytester.makepyfile(
        """
        import os
        import time
        from pathlib import Path
        import pytest

        @pytest.mark.xray("CALC-1")
        def test_a():
            marker = Path(os.environ["FLAKY_DIR"]) / "died"
            if not marker.exists():
                marker.write_text("1")
                # pytest-rerunfailures tells the controller the rerun budget over a socket
                # without waiting for an answer; dying at once races that message on a slow
                # machine and the crash is then reported as a plain failure.
                time.sleep(1)
                os._exit(1)
        """
    )
    run = run_xray("-n", "2", "--reruns=1")
    assert run.result.parseoutcomes() == {"passed": 1, "rerun": 1}
    entry = run.test("CALC-1")
    assert entry["status"] == "PASS"
    assert entry["comment"].startswith("2 attempts (reruns)")


def test_hooks_only_the_workers_load_are_named(
    pytester: pytest.Pytester, run_xray: RunXray
) -> None:
    """A hook in a conftest.py below the root runs in a serial run but never under -n: the
    controller builds the results and loads only the root's conftest.py. Say so."""
    pytester.makeini("[pytest]\ntestpaths = checks\n")
    sub = pytester.mkdir("checks") / "sub"  # below the testpaths, which pytest loads at start
    sub.mkdir()
    (sub / "conftest.py").write_text(
        "def pytest_xray_status(report, outcome):\n    return 'SUBHOOK'\n"
    )
    (sub / "test_a.py").write_text(
        "import pytest\n@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n"
    )
    serial = run_xray()
    assert serial.test("CALC-1")["status"] == "SUBHOOK"
    assert "never called" not in serial.output
    distributed = run_xray("-n", "2")
    distributed.result.stdout.fnmatch_lines(
        ["xray: pytest_xray_status: implemented in a conftest.py that only the pytest-xdist "
         "workers load, so never called*"]
    )  # fmt: skip
    assert distributed.output.count("never called") == 1  # once, not once per worker
