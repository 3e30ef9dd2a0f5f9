"""The payload builder on hand-made models: no pytest session, no I/O."""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from types import MappingProxyType

import jsonschema
import pytest

from pytest_xray.model import TEXT_LIMIT, Evidence, Execution, Outcome, TestResult, truncate
from pytest_xray.payload import (
    build_payload,
    execution_issue,
    format_time,
    status_ranks,
    worst_status,
)
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


OVERRIDDEN = MappingProxyType(
    {
        Outcome.PASSED: "OK",
        Outcome.FAILED: "BROKEN",
        Outcome.ERROR: "CRASHED",
        Outcome.SKIPPED: "LATER",
        Outcome.XFAILED: "FAIL",
        Outcome.XPASSED: "OK",
    }
)


@pytest.mark.parametrize(
    ("statuses", "worst"),
    [
        (["OK", "BROKEN"], "BROKEN"),
        (["OK", "CRASHED", "BROKEN"], "CRASHED"),  # a tie: the first
        (["OK", "LATER"], "LATER"),
        (["LATER", "BROKEN"], "BROKEN"),
        (["LATER", "TODO"], "LATER"),  # TODO from a hook ranks with what skips map to
        (["OK", "PASS"], "OK"),
        (["OK", "FAIL"], "FAIL"),  # a hook's built-in failing name is still a failure
        (["OK", "HOOKED"], "HOOKED"),  # a hook's own name ranks with TODO
        (["HOOKED", "BROKEN"], "BROKEN"),
    ],
)
def test_worst_status_ranks_the_mapped_statuses(statuses: list[str], worst: str) -> None:
    assert worst_status(statuses, status_ranks(OVERRIDDEN)) == worst


def test_a_status_mapped_from_a_failure_and_a_skip_is_failing() -> None:
    mapping = MappingProxyType({**OVERRIDDEN, Outcome.SKIPPED: "BROKEN"})
    assert status_ranks(mapping)["BROKEN"] == 2
    assert worst_status(["BROKEN", "TODO"], status_ranks(mapping)) == "BROKEN"


def test_iterations_with_overridden_statuses_report_the_failure() -> None:
    execution = Execution(
        start=T0,
        finish=T0 + 2,
        results=[
            result("t.py::p[1]", "K-1"),
            result("t.py::p[2]", "K-1", outcome=Outcome.FAILED),
        ],
    )
    settings = Settings(enabled=True, project="K", statuses=OVERRIDDEN)
    entry = build_payload(execution, settings, host="ci")["tests"][0]
    assert [i["status"] for i in entry["iterations"]] == ["OK", "BROKEN"]
    assert entry["status"] == "BROKEN"


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
    assert validate(build_payload(execution, Settings()))["tests"][0]["status"] == "BLOCKED"


def test_cloud_mapping_and_empty_tests() -> None:
    settings = Settings(statuses=CLOUD_STATUSES, cloud=True)
    execution = Execution(T0, T0, [result("t.py::a", "K-1", outcome=Outcome.ERROR)])
    assert validate(build_payload(execution, settings))["tests"][0]["status"] == "FAILED"
    # No test to report: Xray refuses such a document, so it is never sent (no validation).
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
    assert "3 attempts" in validate(build_payload(execution, Settings()))["tests"][0]["comment"]


def test_existing_execution_gets_no_default_summary() -> None:
    settings = Settings(execution="K-100")
    payload = validate(build_payload(Execution(T0, T0, [result("t.py::a", "K-1")]), settings))
    assert payload["testExecutionKey"] == "K-100"
    assert "summary" not in payload["info"]
    with_summary = validate(
        build_payload(
            Execution(T0, T0, [result("t.py::a", "K-1")]), replace(settings, summary="given")
        )
    )
    assert with_summary["info"]["summary"] == "given"


def test_truncate_keeps_the_end() -> None:
    text = "a" * TEXT_LIMIT + "END"
    cut = truncate(text)
    assert cut.endswith("END")
    assert cut.startswith("[... 3 characters cut ...]\n")
    assert truncate("short") == "short"


def evidence(name: str, data: bytes = b"x") -> Evidence:
    return Evidence(name, base64.b64encode(data).decode(), "text/plain")


def test_evidence_name_and_size() -> None:
    for size in range(5):
        assert evidence("a", b"z" * size).size == size


def test_iterated_evidence_is_prefixed_and_unique() -> None:
    execution = Execution(
        T0, T0,
        [result("t.py::C::test_a[x-1]", "K-1", evidence=[evidence("f.txt"), evidence("f.txt")]),
         result("t.py::test_b", "K-1", evidence=[evidence("f.txt")])],
    )  # fmt: skip
    entry = validate(build_payload(execution, Settings(cloud=True)))["tests"][0]
    assert "evidences" not in entry
    assert [e["filename"] for e in entry["evidence"]] == [
        "test_a_x-1__f.txt",
        "test_a_x-1__f-2.txt",
        "test_b__f.txt",
    ]


def test_custom_fields_first_result_wins_and_test_info_only_with_requirements() -> None:
    execution = Execution(
        T0, T0,
        [result("t.py::a", "K-1", custom_fields=(("f", 1),)),
         result("t.py::b", "K-1", custom_fields=(("f", 2), ("g", [1])), requirements=("R-1",),
                summary="B does it"),
         result("t.py::c", "K-2")],
    )  # fmt: skip
    first, second = validate(build_payload(execution, Settings()))["tests"]
    assert first["customFields"] == [{"id": "f", "value": 1}, {"id": "g", "value": [1]}]
    assert first["testInfo"] == {
        "projectKey": "K", "summary": "B does it", "testType": "Generic", "requirementKeys": ["R-1"]
    }  # fmt: skip
    assert "testInfo" not in second
    assert "customFields" not in second


def test_created_test_entry() -> None:
    execution = Execution(
        T0, T0, [result("t.py::test_a[1]", definition="t.py::test_a", summary="")]
    )
    settings = Settings(cloud=True, project="P", test_labels=("l",), statuses=CLOUD_STATUSES)
    [entry] = validate(build_payload(execution, settings), "cloud")["tests"]
    assert "testKey" not in entry
    assert entry["testInfo"] == {
        "projectKey": "P", "summary": "test_a", "type": "Generic", "definition": "t.py::test_a",
        "labels": ["l"],
    }  # fmt: skip


def test_execution_issue_only_for_a_new_execution_with_fields() -> None:
    payload = {"info": {"project": "P", "summary": "S"}, "tests": []}
    assert execution_issue(payload, Settings()) is None
    with_fields = Settings(execution_fields=MappingProxyType({"labels": ["a"]}))
    assert execution_issue({**payload, "testExecutionKey": "P-1"}, with_fields) is None
    assert execution_issue(payload, with_fields) == {
        "fields": {
            "project": {"key": "P"}, "summary": "S", "issuetype": {"name": "Test Execution"},
            "labels": ["a"],
        }
    }  # fmt: skip
    cloud = replace(with_fields, cloud=True)
    assert execution_issue(payload, cloud) == {
        "fields": {
            "project": {"key": "P"}, "summary": "S", "issuetype": {"name": "Test Execution"},
            "labels": ["a"],
        }
    }  # fmt: skip


def test_validation_checks_dates() -> None:
    """The tests' schema check knows dates: a payload Xray would refuse for one fails it."""
    execution = Execution(start=T0, finish=T0 + 1, results=[result("t.py::a", "K-1")])
    payload = validate(build_payload(execution, Settings(enabled=True, project="K"), host="ci"))
    for bad in ("yesterday", "2024-13-01T10:00:00+01:00", "2024-01-01T10:00:00"):
        payload["tests"][0]["start"] = bad
        with pytest.raises(jsonschema.ValidationError, match="is not a 'date-time'"):
            validate(payload)
