"""--xray-check: the keys of the collected tests are looked up in Xray before any test runs."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from urllib.parse import unquote

import pytest

from pytest_xray.emulator import XrayEmulator
from tests.conftest import CLIENT_ID, CLIENT_SECRET, PASSWORD, USER, RunXray, assert_no_secret

pytest.importorskip("xdist")

SUITE = """
import pathlib
import pytest

def ran(name):
    pathlib.Path("ran").mkdir(exist_ok=True)
    (pathlib.Path("ran") / name).touch()

@pytest.mark.xray("CALC-1")
def test_good(): ran("good")

@pytest.mark.xray("CALC-404")
def test_typo(): ran("typo")

@pytest.mark.xray("CALC-1", "CALC-7")
@pytest.mark.parametrize("n", range(5))
def test_wrong_type(n): ran(f"wrong{n}")

def test_unmarked(): ran("unmarked")
"""

PROBLEMS = [
    "*CALC-404: used by test_suite.py::test_typo",
    "*CALC-7: used by test_suite.py::test_wrong_type[[]0], test_suite.py::test_wrong_type[[]1], "
    "test_suite.py::test_wrong_type[[]2] and 2 more",
    "Fix the keys in @pytest.mark.xray, or create the Tests in Xray.",
]


@pytest.fixture
def server_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[XrayEmulator]:
    """A Server emulator where only CALC-1..3 are Tests (CALC-7 is another issue type), with
    the environment pointing at it."""
    with XrayEmulator(
        users={USER: PASSWORD}, known_tests={"CALC-1", "CALC-2", "CALC-3"}, non_tests={"CALC-7"}
    ) as emulator:
        for name, value in {
            "XRAY_URL": emulator.url, "XRAY_PROJECT": "CALC",
            "XRAY_USER": USER, "XRAY_PASSWORD": PASSWORD,
        }.items():  # fmt: skip
            monkeypatch.setenv(name, value)
        yield emulator


@pytest.fixture
def cloud_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[XrayEmulator]:
    """The same on Cloud."""
    with XrayEmulator(
        flavor="cloud",
        clients={CLIENT_ID: CLIENT_SECRET},
        known_tests={"CALC-1", "CALC-2", "CALC-3"},
        non_tests={"CALC-7"},
    ) as emulator:
        for name, value in {
            "XRAY_URL": emulator.url, "XRAY_CLOUD": "true", "XRAY_PROJECT": "CALC",
            "XRAY_CLIENT_ID": CLIENT_ID, "XRAY_CLIENT_SECRET": CLIENT_SECRET,
        }.items():  # fmt: skip
            monkeypatch.setenv(name, value)
        yield emulator


def lookups(emulator: XrayEmulator) -> list[list[str]]:
    """The keys of each Test lookup the emulator answered, in order."""
    found = []
    for request in emulator.requests:
        if request.path.endswith("/api/test"):
            found.append(unquote(request.query["keys"]).split(";"))
        elif request.path.endswith("/graphql"):
            jql = json.loads(request.body)["variables"]["jql"]
            found.append(jql.removeprefix("key in (").removesuffix(")").split(", "))
    return found


def imports(emulator: XrayEmulator) -> int:
    return sum(r.path.endswith("import/execution") for r in emulator.requests)


@pytest.mark.parametrize("flavor", ["server", "cloud"])
def test_unknown_and_wrong_type_keys_stop_the_run(
    pytester: pytest.Pytester, run_xray: RunXray, request: pytest.FixtureRequest, flavor: str
) -> None:
    emulator: XrayEmulator = request.getfixturevalue(f"{flavor}_env")
    pytester.makepyfile(test_suite=SUITE)
    run = run_xray("--xray-check", "--xray-result-file=outcome.json")
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    run.result.stderr.fnmatch_lines(
        [
            "ERROR: pytest-xray: --xray-check: 2 of 3 Xray keys of the collected tests are not "
            f"Tests in {emulator.url} (no such issue, or an issue of another type); "
            "no test was run:",
            *PROBLEMS,
        ]
    )
    assert not (pytester.path / "ran").exists()
    assert lookups(emulator) == [["CALC-1", "CALC-404", "CALC-7"]]
    assert imports(emulator) == 0
    outcome = json.loads((pytester.path / "outcome.json").read_text())
    assert outcome["error"].startswith("pytest-xray: --xray-check: 2 of 3 Xray keys")
    assert outcome["uploaded"] is False
    assert_no_secret(run.output, json.dumps(outcome))


def test_cloud_asks_getTests_with_jql(
    pytester: pytest.Pytester, run_xray: RunXray, cloud_env: XrayEmulator
) -> None:
    pytester.makepyfile(test_suite=SUITE)
    run_xray("--xray-check", "--xray-api-version=v1")
    [query] = [r for r in cloud_env.requests if r.path.endswith("graphql")]
    assert query.path == "/api/v2/graphql"  # GraphQL lives under v2 only, even for v1 imports
    assert query.headers["Authorization"].startswith("Bearer ")
    body = json.loads(query.body)
    assert "getTests(jql: $jql, limit: $limit)" in body["query"]
    assert body["variables"] == {"jql": "key in (CALC-1, CALC-404, CALC-7)", "limit": 3}


@pytest.mark.parametrize("flavor", ["server", "cloud"])
def test_good_keys_run_and_upload(
    pytester: pytest.Pytester, run_xray: RunXray, request: pytest.FixtureRequest, flavor: str
) -> None:
    emulator: XrayEmulator = request.getfixturevalue(f"{flavor}_env")
    pytester.makepyfile(
        "import pytest\n"
        "@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n"
        "@pytest.mark.xray('CALC-2', 'CALC-3')\ndef test_b(): pass\n"
    )
    run = run_xray("--xray-check", report=".pytest_cache/d/xray/last-report.json")
    assert run.result.ret == pytest.ExitCode.OK
    run.result.stdout.fnmatch_lines(["xray: pre-flight check: all 3 Xray keys are Tests (*s)"])
    assert lookups(emulator) == [["CALC-1", "CALC-2", "CALC-3"]]
    assert imports(emulator) == 1


def test_keys_are_looked_up_in_batches_of_100(
    pytester: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        "import pytest\n"
        "@pytest.mark.xray(*[f'CALC-{n}' for n in range(1, 251)])\ndef test_many(): pass\n"
    )
    with XrayEmulator(users={USER: PASSWORD}) as server:
        monkeypatch.setenv("XRAY_USER", USER)
        monkeypatch.setenv("XRAY_PASSWORD", PASSWORD)
        run = run_xray(
            "--xray-check", f"--xray-url={server.url}", "--collect-only", "--xray-dry-run"
        )
        assert [len(keys) for keys in lookups(server)] == [100, 100, 50]
        assert [key for keys in lookups(server) for key in keys] == [
            f"CALC-{n}" for n in range(1, 251)
        ]
    assert run.result.ret == pytest.ExitCode.OK


def test_refused_batch_is_split_to_find_the_key(
    pytester: pytest.Pytester, run_xray: RunXray, server_env: XrayEmulator
) -> None:
    # Jira's JQL refuses a whole query for one key that does not exist, so Xray may answer an
    # error for a batch: the check splits it and asks again, half by half.
    pytester.makepyfile(
        "import pytest\n"
        "@pytest.mark.xray('CALC-1', 'CALC-2', 'CALC-3', 'CALC-404')\ndef test_a(): pass\n"
    )
    refused = json.dumps({"error": "An issue with key 'CALC-404' does not exist for field 'key'."})
    server_env.inject(status=400, body=refused, match="api/test")
    run = run_xray("--xray-check")
    assert lookups(server_env) == [
        ["CALC-1", "CALC-2", "CALC-3", "CALC-404"], ["CALC-1", "CALC-2"], ["CALC-3", "CALC-404"],
    ]  # fmt: skip
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    run.result.stderr.fnmatch_lines(["*1 of 4 Xray keys*", "  CALC-404: used by *::test_a"])


def test_key_refused_alone_is_reported_with_xray_message(
    pytester: pytest.Pytester, run_xray: RunXray, server_env: XrayEmulator
) -> None:
    pytester.makepyfile(
        "import pytest\n@pytest.mark.xray('CALC-1', 'CALC-2')\ndef test_a(): pass\n"
    )
    message = "Test with key CALC-1 not found"
    server_env.inject(status=400, times=2, body=json.dumps({"error": message}), match="api/test")
    run = run_xray("--xray-check")
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    run.result.stderr.fnmatch_lines(
        [
            "*1 of 2 Xray keys*",
            f"  CALC-1: Xray refused it ({server_env.url}/rest/raven/2.0/api/test answered 400: "
            f"{message}); used by test_key_refused_alone_is_reported_with_xray_message.py::test_a",
        ]
    )
    assert lookups(server_env) == [["CALC-1", "CALC-2"], ["CALC-1"], ["CALC-2"]]


def test_graphql_errors_are_split_too(
    pytester: pytest.Pytester, run_xray: RunXray, cloud_env: XrayEmulator
) -> None:
    pytester.makepyfile(
        "import pytest\n@pytest.mark.xray('CALC-1', 'CALC-9')\ndef test_a(): pass\n"
    )
    refused = json.dumps({"errors": [{"message": "The issue key 'CALC-9' is invalid"}]})
    cloud_env.inject(status=200, times=2, body=refused, match="graphql")
    # [1, 9] refused, [1] refused (the second injected answer), [9] answered: not a Test
    run = run_xray("--xray-check")
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    run.result.stderr.fnmatch_lines(
        [
            "  CALC-1: Xray refused it (*/api/v2/graphql refused the query: "
            "The issue key 'CALC-9' is invalid); used by *",
            "  CALC-9: used by *",
        ]
    )


def test_connection_problem_is_a_clear_error(
    pytester: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again below: nothing listens there
    monkeypatch.setenv("XRAY_TOKEN", "pat-token-0123456789")
    pytester.makepyfile(test_suite=SUITE)
    run = run_xray("--xray-check", f"--xray-url=http://127.0.0.1:{port}", "--xray-dry-run")
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    run.result.stderr.fnmatch_lines(
        [
            "ERROR: pytest-xray: --xray-check: cannot check the Xray keys: cannot reach "
            f"http://127.0.0.1:{port}/rest/raven/2.0/api/test: *",
            "No test was run; fix the connection or the credentials, or run without --xray-check.",
        ]
    )
    assert not (pytester.path / "ran").exists()
    assert_no_secret(run.output)


@pytest.mark.parametrize("flavor", ["server", "cloud"])
def test_refused_credentials_are_a_clear_error(
    pytester: pytest.Pytester,
    run_xray: RunXray,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    flavor: str,
) -> None:
    request.getfixturevalue(f"{flavor}_env")
    wrong = "wrong-secret-value"
    monkeypatch.setenv("XRAY_PASSWORD" if flavor == "server" else "XRAY_CLIENT_SECRET", wrong)
    pytester.makepyfile(test_suite=SUITE)
    run = run_xray("--xray-check")
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    names = "XRAY_USER and XRAY_PASSWORD" if flavor == "server" else "XRAY_CLIENT_ID and XRAY_CLI"
    run.result.stderr.fnmatch_lines([f"ERROR: pytest-xray: --xray-check: cannot check*{names}*"])
    assert wrong not in run.output
    assert not (pytester.path / "ran").exists()


def test_xdist_one_worker_checks_and_the_run_stops(
    pytester: pytest.Pytester, run_xray: RunXray, server_env: XrayEmulator
) -> None:
    pytester.makepyfile(test_suite=SUITE)
    run = run_xray("--xray-check", "-n", "2", subprocess=True)
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    run.result.stderr.fnmatch_lines(["ERROR: pytest-xray: --xray-check: 2 of 3 Xray*", *PROBLEMS])
    assert "ERROR collecting" not in run.output
    assert not (pytester.path / "ran").exists()
    assert lookups(server_env) == [["CALC-1", "CALC-404", "CALC-7"]]  # one worker asked
    assert imports(server_env) == 0


def test_xdist_good_keys_checked_once(
    pytester: pytest.Pytester, run_xray: RunXray, server_env: XrayEmulator
) -> None:
    pytester.makepyfile(
        "import pytest\n"
        "@pytest.mark.xray('CALC-1')\n@pytest.mark.parametrize('n', range(6))\n"
        "def test_a(n): pass\n"
    )
    run = run_xray("--xray-check", "-n", "2", subprocess=True, report="unused")
    assert run.result.ret == pytest.ExitCode.OK, run.output
    run.result.stdout.fnmatch_lines(["xray: pre-flight check: the Xray key is a Test (*s)"])
    # the upload's progress line starts a line of its own after xdist's progress dots
    run.result.stdout.re_match_lines([r"^xray: uploading 1 Xray test to http://\S+$"])
    assert lookups(server_env) == [["CALC-1"]]
    assert imports(server_env) == 1


def test_collect_only_is_a_preflight_step(
    pytester: pytest.Pytester, run_xray: RunXray, server_env: XrayEmulator
) -> None:
    pytester.makepyfile(test_suite=SUITE)
    run = run_xray("--xray-check", "--collect-only", "-q")
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    assert imports(server_env) == 0


def test_collection_errors_come_first(
    pytester: pytest.Pytester, run_xray: RunXray, server_env: XrayEmulator
) -> None:
    pytester.makepyfile(
        test_suite=SUITE,
        test_bad="import pytest\n@pytest.mark.xray('calc-1')\ndef test_x(): pass\n",
    )
    run = run_xray("--xray-check")
    assert run.result.ret == pytest.ExitCode.INTERRUPTED
    run.result.stdout.fnmatch_lines(["*test_bad.py::test_x: @pytest.mark.xray key has 'calc-1'*"])
    assert server_env.requests == []
    assert not (pytester.path / "ran").exists()


def test_no_marked_tests_asks_nothing(
    pytester: pytest.Pytester, run_xray: RunXray, server_env: XrayEmulator
) -> None:
    pytester.makepyfile("def test_a(): pass\n")
    assert run_xray("--xray-check").result.ret == pytest.ExitCode.OK
    assert server_env.requests == []


def test_deselected_tests_are_not_checked(
    pytester: pytest.Pytester, run_xray: RunXray, server_env: XrayEmulator
) -> None:
    pytester.makepyfile(test_suite=SUITE)
    run = run_xray("--xray-check", "-k", "good")
    assert run.result.ret == pytest.ExitCode.OK
    assert lookups(server_env) == [["CALC-1"]]


@pytest.mark.parametrize(
    ("args", "env", "ini"),
    [
        (["--xray-check"], {}, ""),
        ([], {"XRAY_CHECK": "1"}, ""),
        ([], {}, "xray_check = true"),
    ],
    ids=["cli", "env", "ini"],
)
def test_check_needs_url_and_credentials(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    ini: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest("--xray", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: pytest-xray: --xray-check: checking the Test keys needs Xray: set --xray-url*"]
    )
    result = pytester.runpytest(
        "--xray", "--xray-url=https://jira.example.com", "--xray-dry-run", *args
    )
    result.stderr.fnmatch_lines(
        [
            "ERROR: pytest-xray: --xray-check: checking the Test keys needs XRAY_USER and "
            "XRAY_PASSWORD, or XRAY_TOKEN, or XRAY_OAUTH_* in the environment."
        ]
    )
    assert not (pytester.path / "ran").exists()


def test_check_off_by_ini_false(pytester: pytest.Pytester, run_xray: RunXray) -> None:
    pytester.makeini("[pytest]\nxray_check = false\n")
    pytester.makepyfile("import pytest\n@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n")
    assert run_xray().result.ret == pytest.ExitCode.OK


@pytest.mark.parametrize("flavor", ["server", "cloud"])
def test_wrong_context_path_is_one_error_not_250_bad_keys(
    pytester: pytest.Pytester,
    run_xray: RunXray,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    flavor: str,
) -> None:
    # Every lookup at a wrong address is refused the same way (404): that is the address's
    # fault, found in a few requests, not 250 keys that are not Tests after 53 requests.
    emulator: XrayEmulator = request.getfixturevalue(f"{flavor}_env")
    monkeypatch.setenv("XRAY_URL", f"{emulator.url}/jira")
    pytester.makepyfile(
        "import pytest\n"
        "@pytest.mark.xray(*[f'CALC-{n}' for n in range(1, 251)])\ndef test_many(): pass\n"
    )
    run = run_xray("--xray-check")
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    # Cloud authenticates first, at the same wrong address.
    endpoint = "rest/raven/2.0/api/test" if flavor == "server" else "api/v2/authenticate"
    run.result.stderr.fnmatch_lines(
        [
            f"ERROR: pytest-xray: --xray-check: cannot check the Xray keys: {emulator.url}/jira/"
            f"{endpoint}*404*; check xray_url (--xray-url, XRAY_URL): every lookup got this "
            "answer, whatever its keys",
            "No test was run; *",
        ]
    )
    assert "CALC-1:" not in run.output
    assert len(emulator.requests) <= 4
    assert_no_secret(run.output)


def test_keys_refused_alike_in_both_halves_after_an_answer_are_the_keys(
    pytester: pytest.Pytester, run_xray: RunXray, server_env: XrayEmulator
) -> None:
    """Once Xray has answered a lookup, the same refusal of two halves is about their keys."""
    pytester.makepyfile(
        "import pytest\n"
        "@pytest.mark.xray(*[f'CALC-{n}' for n in range(1, 103)])\ndef test_a(): pass\n"
    )
    # The first batch (100 keys) is answered; the second, [101, 102], and both its halves not.
    server_env.inject(delay=0.001, match="api/test")
    server_env.inject(status=400, times=3, body=json.dumps({"error": "no"}), match="api/test")
    run = run_xray("--xray-check")
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    assert lookups(server_env)[1:] == [["CALC-101", "CALC-102"], ["CALC-101"], ["CALC-102"]]
    run.result.stderr.fnmatch_lines(
        [
            "*99 of 102 Xray keys*",  # CALC-1..3 are Tests
            "  CALC-4: used by *",
            "  CALC-101: Xray refused it (*answered 400: no); used by *",
            "  CALC-102: Xray refused it (*answered 400: no); used by *",
        ]
    )


def test_keys_refused_differently_are_split_before_any_answer(
    pytester: pytest.Pytester, run_xray: RunXray, server_env: XrayEmulator
) -> None:
    """Both halves refused, each naming its own key, as Jira does: the keys are at fault."""
    pytester.makepyfile(
        "import pytest\n"
        "@pytest.mark.xray('CALC-404', 'CALC-1', 'CALC-2', 'CALC-405')\ndef test_a(): pass\n"
    )

    def refuse(key: str, times: int = 1) -> None:
        body = json.dumps({"error": f"An issue with key '{key}' does not exist."})
        server_env.inject(status=400, times=times, body=body, match="api/test")

    refuse("CALC-404", times=2)  # the batch, its first half [404, 1]
    refuse("CALC-405")  # its second half [2, 405]: another answer, so the keys are at fault
    refuse("CALC-404")  # [404]
    server_env.inject(delay=0.001, times=2, match="api/test")  # [1], [2] answered
    refuse("CALC-405")  # [405]
    run = run_xray("--xray-check")
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    assert lookups(server_env) == [
        ["CALC-404", "CALC-1", "CALC-2", "CALC-405"], ["CALC-404", "CALC-1"],
        ["CALC-2", "CALC-405"], ["CALC-404"], ["CALC-1"], ["CALC-2"], ["CALC-405"],
    ]  # fmt: skip
    run.result.stderr.fnmatch_lines(
        [
            "*2 of 4 Xray keys*",
            "  CALC-404: Xray refused it (*'CALC-404' does not exist.); used by *",
            "  CALC-405: Xray refused it (*'CALC-405' does not exist.); used by *",
        ]
    )
