"""The payload builder on hand-made models: no pytest session, no I/O."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from pytest_xray.model import TEXT_LIMIT, Execution, Outcome, TestResult, truncate
from pytest_xray.payload import build_payload, format_time, worst_status
from pytest_xray.settings import CLOUD_STATUSES, Settings
from tests.conftest import validate

T0 = 1_700_000_000.0


def result(nodeid: str, *keys: str, outcome: Outcome = Outcome.PASSED, **kw: object) -> TestResult:
    return TestResult(nodeid=nodeid, keys=keys, outcome=outcome, start=T0, finish=T0 + 1, **kw)  # type: ignore[arg-type]


def test_dates_have_a_colon_offset() -> None:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", format_time(T0))


@pytest.mark.parametrize(
    ("statuses", "worst"),
    [
        (["PASS", "PASS"], "PASS"),
        (["PASS", "TODO"], "TODO"),
        (["TODO", "FAIL", "PASS"], "FAIL"),
        (["PASSED", "BLOCKED"], "BLOCKED"),
        (["BLOCKED", "FAILED"], "FAILED"),
        (["ABORTED", "PASS"], "ABORTED"),
    ],
)
def test_worst_status(statuses: list[str], worst: str) -> None:
    assert worst_status(statuses) == worst


def test_grouping_keeps_first_appearance_order_and_iterates_shared_keys() -> None:
    execution = Execution(
        start=T0,
        finish=T0 + 5,
        results=[
            result("t.py::a", "K-2", "K-1", defects=("K-9",)),
            result(
                "t.py::b", "K-1", outcome=Outcome.FAILED, message="boom", defects=("K-9", "K-8")
            ),
        ],
    )
    payload = validate(build_payload(execution, Settings(enabled=True, project="K"), host="ci-7"))
    assert [t["testKey"] for t in payload["tests"]] == ["K-2", "K-1"]
    plain, iterated = payload["tests"]
    assert "iterations" not in plain
    assert plain["defects"] == ["K-9"]
    assert iterated["status"] == "FAIL"
    assert iterated["defects"] == ["K-9", "K-8"]
    assert [i["name"] for i in iterated["iterations"]] == ["t.py::a", "t.py::b"]
    assert iterated["iterations"][1]["log"] == "boom"
    assert payload["info"]["summary"].startswith("pytest run on ci-7 at ")
    assert payload["info"]["project"] == "K"


def test_hook_status_wins_over_mapping() -> None:
    execution = Execution(
        T0, T0, [result("t.py::a", "K-1", outcome=Outcome.SKIPPED, status="BLOCKED")]
    )
    assert build_payload(execution, Settings())["tests"][0]["status"] == "BLOCKED"


def test_cloud_mapping_and_empty_tests() -> None:
    settings = Settings(statuses=CLOUD_STATUSES, cloud=True)
    execution = Execution(T0, T0, [result("t.py::a", "K-1", outcome=Outcome.ERROR)])
    assert build_payload(execution, settings)["tests"][0]["status"] == "FAILED"
    assert build_payload(Execution(T0, T0), settings)["tests"] == []


def test_parameters_become_name_value_pairs() -> None:
    execution = Execution(
        T0, T0,
        [result("t.py::a[1]", "K-1", parameters=(("x", "1"),)),
         result("t.py::a[2]", "K-1", parameters=(("x", "2"),))],
    )  # fmt: skip
    payload = validate(build_payload(execution, Settings()))
    iterations = payload["tests"][0]["iterations"]
    assert iterations[1]["parameters"] == [{"name": "x", "value": "2"}]


def test_attempts_are_reported() -> None:
    execution = Execution(T0, T0, [result("t.py::a", "K-1", attempts=3)])
    assert "3 attempts" in build_payload(execution, Settings())["tests"][0]["comment"]


def test_existing_execution_gets_no_default_summary() -> None:
    settings = Settings(execution="K-100")
    payload = build_payload(Execution(T0, T0, [result("t.py::a", "K-1")]), settings)
    assert payload["testExecutionKey"] == "K-100"
    assert "summary" not in payload["info"]
    with_summary = build_payload(
        Execution(T0, T0, [result("t.py::a", "K-1")]), replace(settings, summary="given")
    )
    assert with_summary["info"]["summary"] == "given"


def test_truncate_keeps_the_end() -> None:
    text = "a" * TEXT_LIMIT + "END"
    cut = truncate(text)
    assert cut.endswith("END")
    assert cut.startswith("[... 3 characters cut ...]\n")
    assert truncate("short") == "short"
