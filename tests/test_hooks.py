"""The hooks of pytest_xray.hooks, implemented in a conftest.py of real pytest sessions."""

from __future__ import annotations

import dataclasses
import json

import pytest

from pytest_xray.emulator import XrayEmulator
from pytest_xray.model import Outcome
from pytest_xray.userhooks import UserHooks
from tests.conftest import PASSWORD, USER, RunXray, assert_no_secret, validate

pytest.importorskip("xdist")

OUTCOMES = """
import pytest

@pytest.fixture
def broken_setup(): raise RuntimeError("no database")

@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("cleanup failed")

@pytest.mark.xray("CALC-1")
def test_pass(): pass

@pytest.mark.xray("CALC-2")
def test_fail(): assert False

@pytest.mark.xray("CALC-3")
@pytest.mark.skip(reason="not here")
def test_skip_marker(): pass

@pytest.mark.xray("CALC-4")
def test_skip_inside(): pytest.skip("later")

@pytest.mark.xray("CALC-5")
def test_setup_error(broken_setup): pass

@pytest.mark.xray("CALC-6")
def test_teardown_error(broken_teardown): pass

@pytest.mark.xray("CALC-7")
@pytest.mark.xfail(reason="bug")
def test_xfail(): assert False
"""

# The status names the outcome and the phase of the report the hook was given.
STATUS_CONFTEST = """
import pytest

def pytest_xray_status(report, outcome):
    return None  # declines: the other implementation answers

@pytest.hookimpl(tryfirst=True)
def pytest_xray_status(report, outcome):
    if report.nodeid.endswith("test_pass"):
        return None  # keeps the mapping
    return f"{outcome.upper()}_{report.when.upper()}"
"""

EXPECTED_STATUSES = {
    "CALC-1": "PASS",
    "CALC-2": "FAILED_CALL",
    "CALC-3": "SKIPPED_SETUP",
    "CALC-4": "SKIPPED_CALL",
    "CALC-5": "ERROR_SETUP",
    "CALC-6": "ERROR_TEARDOWN",
    "CALC-7": "XFAILED_CALL",
}


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_status_hook_gets_the_deciding_report(
    pytester: pytest.Pytester, run_xray: RunXray, workers: list[str]
) -> None:
    pytester.makepyfile(test_outcomes=OUTCOMES)
    pytester.makeconftest(STATUS_CONFTEST)
    run = run_xray(*workers, subprocess=bool(workers))
    assert {t["testKey"]: t["status"] for t in run.payload["tests"]} == EXPECTED_STATUSES


def test_status_hook_for_iterations(pytester: pytest.Pytester, run_xray: RunXray) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.xray("CALC-1")
        @pytest.mark.parametrize("n", [1, 2, 3])
        def test_n(n):
            if n == 2: pytest.skip("no two")
        """
    )
    pytester.makeconftest(
        "def pytest_xray_status(outcome):\n    return 'BLOCKED' if outcome == 'skipped' else None\n"
    )
    entry = run_xray().test("CALC-1")
    assert [i["status"] for i in entry["iterations"]] == ["PASS", "BLOCKED", "PASS"]
    assert entry["status"] == "BLOCKED"  # a custom status is worse than a pass


RESULT_CONFTEST = """
import dataclasses
import json
from pathlib import Path

def pytest_xray_result(result, item, report):
    props = dict(report.user_properties)
    result.defects += tuple(props.get("bugs", ()))
    result.message = f"{result.message} | item={type(item).__name__} | build={props['build']}"
    Path("seen.jsonl").open("a").write(json.dumps([result.nodeid, result.outcome.value]) + "\\n")
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_result_hook_edits_the_record(
    pytester: pytest.Pytester, run_xray: RunXray, workers: list[str]
) -> None:
    pytester.makepyfile(
        """
        import os
        import pytest

        @pytest.mark.xray("CALC-1")
        def test_a(record_property):
            record_property("build", "b42")
            record_property("bugs", ["CALC-99"])

        @pytest.mark.xray("CALC-2", defects=["CALC-50"])
        @pytest.mark.flaky(reruns=2)
        def test_flaky(record_property):
            record_property("build", "b42")
            if not os.path.exists("tried"):  # the run's directory, also in xdist workers
                open("tried", "w").close()
                assert False, "first attempt"

        def test_unmarked(): pass
        """
    )
    pytester.makeconftest(RESULT_CONFTEST)
    run = run_xray(*workers, subprocess=bool(workers))
    item = "NoneType" if workers else "Function"
    one, flaky = run.test("CALC-1"), run.test("CALC-2")
    assert one["comment"] == f" | item={item} | build=b42"
    assert one["defects"] == ["CALC-99"]
    assert flaky["status"] == "PASS"
    assert flaky["comment"] == (
        f"2 attempts (reruns); this is the last one: passed.\n | item={item} | build=b42"
    )
    assert flaky["defects"] == ["CALC-50"]
    # Once per test, after its last attempt; never for unmarked tests.
    seen = [json.loads(line) for line in (pytester.path / "seen.jsonl").read_text().splitlines()]
    assert sorted(seen) == [
        ["test_result_hook_edits_the_record.py::test_a", "passed"],
        ["test_result_hook_edits_the_record.py::test_flaky", "passed"],
    ]


def test_result_hook_sets_status_over_status_hook(
    pytester: pytest.Pytester, run_xray: RunXray
) -> None:
    pytester.makepyfile("import pytest\n@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n")
    pytester.makeconftest(
        "def pytest_xray_status(report, outcome): return 'FROM_STATUS'\n"
        "def pytest_xray_result(result):\n"
        "    assert result.status == 'FROM_STATUS'\n"
        "    result.status = 'FROM_RESULT'\n"
    )
    assert run_xray().test("CALC-1")["status"] == "FROM_RESULT"


EVIDENCE_HOOK = """
import base64
import pytest_xray

def file(name, size):
    data = base64.b64encode(b"x" * size).decode()
    return pytest_xray.Evidence(name, data, "application/octet-stream")

def pytest_xray_result(result):
    result.evidence = [e for e in result.evidence if e.filename != "own.bin"]
    result.evidence += [file(name, size) for name, size in SIZES]
"""


def test_evidence_a_result_hook_attaches_keeps_the_size_limits(
    pytester: pytest.Pytester, run_xray: RunXray
) -> None:
    pytester.makeconftest(EVIDENCE_HOOK + "SIZES = [(f'big{i}.bin', 2000) for i in range(3)]\n")
    pytester.makepyfile("import pytest\n@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n")
    run = run_xray("--xray-evidence-max-file", "1K", "--xray-evidence-max-total", "1K")
    assert "evidences" not in run.test("CALC-1")
    lines = [line for line in run.result.outlines if "evidence left out" in line]
    assert lines == [
        f"xray: evidence left out: test_evidence_a_result_hook_attaches_keeps_the_size_limits.py"
        f"::test_a: {name} (2000 bytes) is over the per-file limit of 1 KiB "
        "(xray_evidence_max_file)"
        for name in ("big0.bin", "big1.bin", "big2.bin")
    ]


def test_evidence_a_result_hook_removes_gives_its_room_back(
    pytester: pytest.Pytester, run_xray: RunXray
) -> None:
    """own.bin (1000 bytes) is replaced by files that fit the 5 KiB per upload only without it."""
    pytester.makeconftest(
        EVIDENCE_HOOK
        + "SIZES = [('big.bin', 4000), ('a.bin', 1700), ('b.bin', 1700), ('c.bin', 1700),"
        " ('d.bin', 100)]\n"
    )
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.xray("CALC-1")
        def test_a(xray_evidence):
            xray_evidence(b"o" * 1000, filename="own.bin")
        """
    )
    run = run_xray("--xray-evidence-max-file", "3K", "--xray-evidence-max-total", "5K")
    assert [e["filename"] for e in run.test("CALC-1")["evidences"]] == ["a.bin", "b.bin", "c.bin"]
    where = "test_evidence_a_result_hook_removes_gives_its_room_back.py::test_a"
    lines = [line for line in run.result.outlines if "evidence left out" in line]
    assert lines == [
        f"xray: evidence left out: {where}: big.bin (4000 bytes) is over the per-file limit of "
        "3 KiB (xray_evidence_max_file)",
        f"xray: evidence left out: {where}: d.bin (100 bytes) does not fit the per-upload limit "
        "of 5 KiB (xray_evidence_max_total)",
    ]


def test_payload_hook_edits_the_saved_and_sent_json(
    pytester: pytest.Pytester,
    run_xray: RunXray,
    server: XrayEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XRAY_USER", USER)
    monkeypatch.setenv("XRAY_PASSWORD", PASSWORD)
    pytester.makepyfile("import pytest\n@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n")
    pytester.makeconftest(
        "def pytest_xray_payload(payload, config):\n"
        "    payload['info']['user'] = config.getoption('xray_project').lower() + '-bot'\n"
    )
    run = run_xray(
        f"--xray-url={server.url}", "--xray-project=CALC", "--xray-output=sent.json",
        report="sent.json",
    )  # fmt: skip
    assert run.payload["info"]["user"] == "calc-bot"
    [request] = [r for r in server.requests if r.path.endswith("import/execution")]
    assert validate(json.loads(request.body))["info"]["user"] == "calc-bot"


UPLOADED_CONFTEST = """
import dataclasses
import json
from pathlib import Path

import pytest
import pytest_xray

def pytest_xray_uploaded(config, execution_key, url, response):
    Path("uploaded.json").write_text(
        json.dumps([execution_key, url, response.key, response.failed])
    )

@pytest.hookimpl(wrapper=True)
def pytest_sessionfinish(session):
    before = pytest_xray.get_execution(session.config)
    yield
    after = pytest_xray.get_execution(session.config)
    Path("execution.json").write_text(json.dumps([before, after and after._asdict()]))
"""


def test_uploaded_hook_and_get_execution(
    pytester: pytest.Pytester,
    run_xray: RunXray,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XRAY_USER", USER)
    monkeypatch.setenv("XRAY_PASSWORD", PASSWORD)
    pytester.makepyfile(
        "import pytest\n"
        "@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n"
        "@pytest.mark.xray('CALC-404')\ndef test_b(): pass\n"
    )
    pytester.makeconftest(UPLOADED_CONFTEST)
    with XrayEmulator(users={USER: PASSWORD}, known_tests={"CALC-1"}) as server:
        run_xray(f"--xray-url={server.url}", "--xray-project=CALC")
        link = f"{server.url}/browse/CALC-1000"
    uploaded = json.loads((pytester.path / "uploaded.json").read_text())
    assert uploaded == [
        "CALC-1000", link, "CALC-1000", [["CALC-404", "Test issue with key CALC-404 not found."]],
    ]  # fmt: skip
    # Before the plugin's session end (trylast) nothing is known; after it, key and link.
    execution = json.loads((pytester.path / "execution.json").read_text())
    assert execution == [None, {"key": "CALC-1000", "url": link}]


def test_no_execution_and_no_uploaded_call_on_dry_run(
    pytester: pytest.Pytester, run_xray: RunXray
) -> None:
    pytester.makepyfile("import pytest\n@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n")
    pytester.makeconftest(UPLOADED_CONFTEST)
    run_xray("--xray-url=http://127.0.0.1:9", "--xray-dry-run")
    assert not (pytester.path / "uploaded.json").exists()
    assert json.loads((pytester.path / "execution.json").read_text()) == [None, None]


def test_broken_hooks_cost_nothing(
    pytester: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XRAY_TOKEN", "pat-token-0123456789")
    pytester.makepyfile(
        "import pytest\n"
        "@pytest.mark.xray('CALC-1')\n@pytest.mark.parametrize('n', [1, 2, 3])\n"
        "def test_a(n): pass\n"
    )
    pytester.makeconftest(
        "def pytest_xray_result(result):\n"
        "    result.message = 'half-edited'\n"
        "    raise ValueError('boom')\n"
        "def pytest_xray_status(report):\n"
        "    return 42\n"
        "def pytest_xray_payload(payload):\n"
        "    del payload['nothing']\n"
    )
    run = run_xray("--xray-dry-run", "--xray-url=http://127.0.0.1:9", "--xray-project=CALC")
    assert run.result.ret == pytest.ExitCode.OK
    iterations = run.test("CALC-1")["iterations"]
    assert [i["status"] for i in iterations] == ["PASS"] * 3  # the mapping's
    assert [i["log"] for i in iterations] == ["half-edited"] * 3  # as the hook left it
    run.result.stdout.fnmatch_lines(
        [
            "xray: hook pytest_xray_status returned 42; expected an Xray status name such as "
            "'BLOCKED', or None (3 times); pytest-xray went on without it.",
            "xray: hook pytest_xray_result raised ValueError: boom (conftest.py:3) (3 times); "
            "pytest-xray went on without it.",
            "xray: hook pytest_xray_payload raised KeyError: 'nothing' (conftest.py:7); "
            "pytest-xray went on without it.",
        ]
    )
    assert "INTERNALERROR" not in run.output
    assert_no_secret(run.output)


def test_unimplemented_hooks_are_looked_up_once(pytester: pytest.Pytester) -> None:
    config = pytester.parseconfigure("--xray")
    hooks = UserHooks(config)
    report = pytest.TestReport("t.py::t", ("t.py", 1, "t"), {}, "passed", None, "call")
    assert hooks.status(report, Outcome.PASSED) is None

    class Late:
        calls = 0

        def pytest_xray_status(self) -> str:
            Late.calls += 1
            return "LATE"

    config.pluginmanager.register(Late())
    # The lookup of the first ask stands: the per-test call is skipped, not made.
    assert hooks.status(report, Outcome.PASSED) is None
    assert Late.calls == 0
    assert UserHooks(config).status(report, Outcome.PASSED) == "LATE"


BAD_RESULT_MODULE = """
import pytest

@pytest.mark.xray("CALC-1")
def test_a(): pass

@pytest.mark.xray("CALC-2")
@pytest.mark.parametrize("n", [1, 2])
def test_b(n): assert n == 1
"""


@pytest.mark.parametrize(
    ("edit", "field", "shown", "expected"),
    [
        ("result.evidence = ['x']", "evidence", "['x']", "a list of pytest_xray.Evidence"),
        ("result.evidence.append('x')", "evidence", "[*'x']", "a list of pytest_xray.Evidence"),
        ("result.status = 5", "status", "5", "an Xray status name"),
        ("result.status = '  '", "status", "'  '", "an Xray status name"),
        ("result.keys = ['not a key']", "keys", "['not a key']", "Jira issue keys"),
        ("result.keys = 'calc-1'", "keys", "'calc-1'", "Jira issue keys"),
        ("result.defects = ('CALC-9', 3)", "defects", "('CALC-9', 3)", "Jira issue keys"),
        ("result.requirements = None", "requirements", "None", "Jira issue keys"),
        ("result.message = None", "message", "None", "a str"),
        ("result.outcome = 'fine'", "outcome", "'fine'", "a pytest_xray.Outcome"),
        ("result.start = 'now'", "start", "'now'", "a time.time() timestamp"),
        ("result.finish = float('nan')", "finish", "nan", "a time.time() timestamp"),
        ("result.attempts = 0", "attempts", "0", "a whole number of at least 1"),
        ("result.parameters = (('n', 1),)", "parameters", "(('n', 1),)", "(name, value) pairs"),
        ("result.custom_fields = (('f', {1, 2}),)", "custom_fields", "*", "(field id, JSON"),
        ("result.nodeid = ''", "nodeid", "''", "the test's node id"),
        ("result.definition = 3", "definition", "3", "a str or None"),
        ("result.summary = b'x'", "summary", "b'x'", "a str"),
        ("result.worker = 0", "worker", "0", "a str or None"),
        ("result.labels = ('two words',)", "labels", "('two words',)", "Jira labels"),
    ],
)
def test_result_hook_leaving_bad_data_costs_nothing(
    pytester: pytest.Pytester, run_xray: RunXray, edit: str, field: str, shown: str, expected: str
) -> None:
    pytester.makepyfile(BAD_RESULT_MODULE)
    pytester.makeconftest(
        f"def pytest_xray_result(result):\n    result.message = 'edited'\n    {edit}\n"
    )
    run = run_xray("--xray-dry-run", "--xray-url=http://127.0.0.1:9", "--xray-project=CALC")
    assert run.result.ret == pytest.ExitCode.TESTS_FAILED  # the tests' own status
    assert "Traceback" not in run.output
    assert "INTERNALERROR" not in run.output
    module = "test_result_hook_leaving_bad_data_costs_nothing.py"
    run.result.stdout.fnmatch_lines(
        [
            f"xray: hook pytest_xray_result set result.{field} to {shown.replace('[', '[[]')} "
            f"for {module}::test_a (and 2 more); expected {expected}*. "
            "pytest-xray kept the value from before the hook."
        ]
    )
    # The report holds every test as it was before the bad field, with the good edit kept.
    one, two = run.test("CALC-1"), run.test("CALC-2")
    assert [t["testKey"] for t in run.payload["tests"]] == ["CALC-1", "CALC-2"]
    assert (one["status"], one.get("comment")) == ("PASS", None if field == "message" else "edited")
    assert [i["status"] for i in two["iterations"]] == ["PASS", "FAIL"]
    assert "evidences" not in one
    assert "defects" not in one


def test_result_hook_may_give_one_key_as_a_str(
    pytester: pytest.Pytester, run_xray: RunXray
) -> None:
    pytester.makepyfile("import pytest\n@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n")
    pytester.makeconftest(
        "def pytest_xray_result(result):\n"
        "    result.keys = 'CALC-7'\n"
        "    result.defects = ['CALC-9', 'CALC-9']\n"
    )
    run = run_xray("--xray-dry-run", "--xray-url=http://127.0.0.1:9", "--xray-project=CALC")
    assert [t["testKey"] for t in run.payload["tests"]] == ["CALC-7"]  # not C, A, L, C, -, 7
    assert run.test("CALC-7")["defects"] == ["CALC-9"]
    assert "xray: hook" not in run.output


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        ("del payload['tests'][0]['status']", "payload['tests'][0] without a 'status' str"),
        ("payload['tests'][1]['status'] = 5", "payload['tests'][1] without a 'status' str"),
        ("payload['tests'] = None", "payload['tests'] None, not a list"),
        ("payload['tests'].append('CALC-3')", "payload['tests'][2] 'CALC-3', not a dict"),
        ("payload['info'] = 'x'", "payload['info'] not a dict"),
        (
            "payload['tests'][1]['iterations'][0]['status'] = None",
            "payload['tests'][1]['iterations'] not a list of dicts with a 'status' str",
        ),
        ("payload['labels'] = {'a'}", "the payload not JSON (Object of type set *)"),
        ("payload['info']['summary'] = '\\udc80'", "the payload not JSON (*surrogate*)"),
    ],
)
def test_payload_hook_leaving_bad_data_costs_nothing(
    pytester: pytest.Pytester,
    run_xray: RunXray,
    server: XrayEmulator,
    monkeypatch: pytest.MonkeyPatch,
    edit: str,
    problem: str,
) -> None:
    monkeypatch.setenv("XRAY_USER", USER)
    monkeypatch.setenv("XRAY_PASSWORD", PASSWORD)
    pytester.makepyfile(BAD_RESULT_MODULE)
    pytester.makeconftest(
        f"def pytest_xray_payload(payload):\n    payload['info']['user'] = 'bot'\n    {edit}\n"
    )
    run = run_xray(
        f"--xray-url={server.url}", "--xray-project=CALC", "--xray-output=sent.json",
        report="sent.json",
    )  # fmt: skip
    assert run.result.ret == pytest.ExitCode.TESTS_FAILED
    assert "Traceback" not in run.output
    assert "INTERNALERROR" not in run.output
    run.result.stdout.fnmatch_lines(
        [
            "xray: uploaded to Test Execution CALC-1000*",
            f"xray: hook pytest_xray_payload left {problem.replace('[', '[[]')}; "
            "pytest-xray went on without it.",
        ]
    )
    # The payload from before the hook, whole: the hook's good edit went with the bad one.
    saved = run.payload
    assert "user" not in saved["info"]
    assert [(t["testKey"], t["status"]) for t in saved["tests"]] == [
        ("CALC-1", "PASS"), ("CALC-2", "FAIL"),
    ]  # fmt: skip
    [request] = [r for r in server.requests if r.path.endswith("import/execution")]
    assert validate(json.loads(request.body)) == saved


def test_payload_is_copied_only_for_a_payload_hook(pytester: pytest.Pytester) -> None:
    config = pytester.parseconfigure("--xray")
    assert UserHooks(config).payload_editor() is None


def test_every_result_field_is_checked_after_the_result_hook() -> None:
    from pytest_xray.hookdata import RESULT_FIELDS
    from pytest_xray.model import TestResult

    assert set(RESULT_FIELDS) == {field.name for field in dataclasses.fields(TestResult)}


def test_payload_hook_edits_nested_data_of_the_payload_it_may_lose(
    pytester: pytest.Pytester, run_xray: RunXray
) -> None:
    """The copy kept for a bad edit is deep: an edit inside a test, then a bad one, leaves
    the test as it was."""
    pytester.makepyfile("import pytest\n@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n")
    pytester.makeconftest(
        "def pytest_xray_payload(payload):\n"
        "    payload['tests'][0]['comment'] = 'edited'\n"
        "    payload['tests'][0]['status'] = None\n"
    )
    run = run_xray("--xray-dry-run", "--xray-url=http://127.0.0.1:9", "--xray-project=CALC")
    assert "comment" not in run.test("CALC-1")
    assert run.test("CALC-1")["status"] == "PASS"


def test_the_types_hooks_receive_are_public() -> None:
    import pytest_xray
    from pytest_xray import answers, model

    assert pytest_xray.ImportResult is answers.ImportResult
    assert (pytest_xray.TestResult, pytest_xray.Evidence) == (model.TestResult, model.Evidence)
    assert pytest_xray.Outcome is model.Outcome
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        pytest_xray.Nope  # noqa: B018


def test_hook_errors_never_show_a_secret(
    pytester: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A hook's exception may quote what it was given: a token from the environment, say.
    monkeypatch.setenv("XRAY_USER", USER)
    monkeypatch.setenv("XRAY_PASSWORD", PASSWORD)
    pytester.makepyfile("import pytest\n@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n")
    pytester.makeconftest(
        "import os\n"
        "def pytest_xray_uploaded(config, execution_key, url, response):\n"
        "    raise RuntimeError('chat refused password=' + os.environ['XRAY_PASSWORD'])\n"
    )
    with XrayEmulator(users={USER: PASSWORD}) as server:
        run = run_xray(
            f"--xray-url={server.url}", "--xray-project=CALC", "--xray-result-file=r.json"
        )
    run.result.stdout.fnmatch_lines(
        ["*hook pytest_xray_uploaded raised RuntimeError: chat refused*"]
    )
    assert_no_secret(run.output)
    assert_no_secret((pytester.path / "r.json").read_text())


def test_uploaded_hook_sees_files_other_plugins_write_at_session_end(
    pytester: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pytest-html and junitxml write their reports in pytest_sessionfinish: the upload, and so
    the uploaded hook (which may attach them to the execution), comes after them."""
    monkeypatch.setenv("XRAY_USER", USER)
    monkeypatch.setenv("XRAY_PASSWORD", PASSWORD)
    pytester.makepyfile("import pytest\n@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n")
    pytester.makeconftest(
        """
        import pathlib
        import pytest

        @pytest.hookimpl(trylast=True)
        def pytest_sessionfinish(session):
            pathlib.Path("report.html").write_text("<html/>")

        def pytest_xray_uploaded(config, execution_key, url, response):
            pathlib.Path("seen.txt").write_text(
                f"{pathlib.Path('report.html').exists()} {pathlib.Path('junit.xml').exists()}"
            )
        """
    )
    with XrayEmulator(users={USER: PASSWORD}) as server:
        run_xray(f"--xray-url={server.url}", "--xray-project=CALC", "--junitxml=junit.xml")
    assert (pytester.path / "seen.txt").read_text() == "True True"
