"""Requirements, Tests created for unmarked tests, Test Run custom fields and summary
placeholders: real pytest sessions, uploads over real HTTP to the emulator, both products."""

from __future__ import annotations

import platform
import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pytest_xray.emulator import XrayEmulator
from pytest_xray.template import TemplateError, current_branch, render_summary
from tests.conftest import CLIENT_ID, CLIENT_SECRET, PAT, RunXray
from tests.test_settings import usage_error

FLAVORS = ["server", "cloud"]


@pytest.fixture(params=FLAVORS)
def xray(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[XrayEmulator]:
    """A live emulator of either product, with the credentials it takes in the environment."""
    if request.param == "server":
        monkeypatch.setenv("XRAY_TOKEN", PAT)
        emulator = XrayEmulator(flavor="server", tokens={PAT}, known_tests={"CALC-1", "CALC-2"})
    else:
        monkeypatch.setenv("XRAY_CLIENT_ID", CLIENT_ID)
        monkeypatch.setenv("XRAY_CLIENT_SECRET", CLIENT_SECRET)
        emulator = XrayEmulator(
            flavor="cloud", clients={CLIENT_ID: CLIENT_SECRET}, known_tests={"CALC-1", "CALC-2"}
        )
    with emulator:
        yield emulator


def upload_args(xray: XrayEmulator) -> list[str]:
    return [f"--xray-url={xray.url}", f"--xray-{xray.flavor}", "--xray-output=report.json"]


def type_key(xray: XrayEmulator) -> str:
    """Server names the test type ``testType``, Cloud ``type``."""
    return "testType" if xray.flavor == "server" else "type"


def test_requirements_link_through_test_info(
    pytester: pytest.Pytester, run_xray: RunXray, xray: XrayEmulator
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.xray("CALC-1", requirements=["CALC-100", "REQ-7"])
        def test_login():
            '''Login with a valid password.

            Details that are not the summary.'''

        @pytest.mark.xray("CALC-2")
        def test_plain(): pass
        """
    )
    run = run_xray(*upload_args(xray), "--xray-project=CALC", report="report.json")
    [execution] = xray.executions.values()
    linked = execution.runs["CALC-1"]
    assert linked["testKey"] == "CALC-1"
    assert linked["testInfo"] == {
        "projectKey": "CALC",
        "summary": "Login with a valid password.",
        type_key(xray): "Generic",
        "requirementKeys": ["CALC-100", "REQ-7"],
    }
    assert "testInfo" not in execution.runs["CALC-2"]  # nothing to link: the Test is untouched
    assert run.test("CALC-1") == linked
    assert not xray.created_tests  # found by key, never created


CREATE_SUITE = '''
import pytest

def test_no_doc(): pass

class TestCart:
    def test_add(self):
        """Adding an item shows it in the cart."""

@pytest.mark.parametrize("n", [1, 2, 3])
def test_numbers(n):
    assert n != 2

@pytest.mark.xray("CALC-1")
def test_marked(): pass
'''


def test_created_tests_are_found_again_by_definition(
    pytester: pytest.Pytester, run_xray: RunXray, xray: XrayEmulator
) -> None:
    pytester.makeini("[pytest]\nxray_test_labels =\n    pytest\n    automated\n")
    pytester.makepyfile(test_shop=CREATE_SUITE)
    args = [*upload_args(xray), "--xray-project=SHOP", "--xray-create-tests"]
    first = run_xray(*args, report="report.json")
    first.result.assert_outcomes(passed=5, failed=1)
    created = xray.created_tests
    by_definition = {info["definition"]: key for key, info in created.items()}
    assert set(by_definition) == {
        "test_shop.py::test_no_doc",
        "test_shop.py::TestCart::test_add",
        "test_shop.py::test_numbers",
    }
    kind = type_key(xray)
    assert created[by_definition["test_shop.py::TestCart::test_add"]] == {
        "projectKey": "SHOP",
        "summary": "Adding an item shows it in the cart.",
        kind: "Generic",
        "definition": "test_shop.py::TestCart::test_add",
        "labels": ["pytest", "automated"],
    }
    assert created[by_definition["test_shop.py::test_no_doc"]]["summary"] == "test_no_doc"
    [execution] = xray.executions.values()
    numbers = execution.runs[by_definition["test_shop.py::test_numbers"]]
    assert [i["parameters"] for i in numbers["iterations"]] == [
        [{"name": "n", "value": str(n)}] for n in (1, 2, 3)
    ]
    fail = "FAIL" if xray.flavor == "server" else "FAILED"
    assert numbers["status"] == fail
    assert set(execution.runs) == {*by_definition.values(), "CALC-1"}
    assert "without an xray marker" not in first.output
    assert len(first.payload["tests"]) == 4  # the report is valid Xray JSON of its product

    second = run_xray(*args, report="report.json")
    second.result.assert_outcomes(passed=5, failed=1)
    assert xray.created_tests.keys() == created.keys()  # no new Tests: found by definition
    newer = [e for e in xray.executions.values() if e.key != execution.key]
    assert set(newer[0].runs) == set(execution.runs)


KEYLESS_SUITE = '''
import pytest

@pytest.mark.xray(requirements=["CALC-100"], defects=["CALC-99"])
def test_checkout():
    """Paying completes the order."""
'''


def test_created_tests_take_requirements_and_defects_from_a_keyless_marker(
    pytester: pytest.Pytester, run_xray: RunXray, xray: XrayEmulator
) -> None:
    pytester.makepyfile(test_shop=KEYLESS_SUITE)
    run_xray(*upload_args(xray), "--xray-project=SHOP", "--xray-create-tests", report="report.json")
    [(key, info)] = xray.created_tests.items()
    assert info["definition"] == "test_shop.py::test_checkout"
    assert info["requirementKeys"] == ["CALC-100"]
    assert info["summary"] == "Paying completes the order."
    [execution] = xray.executions.values()
    assert execution.runs[key]["defects"] == ["CALC-99"]


def test_a_keyless_marker_without_create_tests_says_what_it_needs(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_shop=KEYLESS_SUITE)
    result = pytester.runpytest("--xray")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        ["*test_shop.py::test_checkout: @pytest.mark.xray needs at least one Test key, for example"
         " @pytest.mark.xray('CALC-12') (keywords alone are for tests created by definition:"
         " --xray-create-tests).*"]
    )  # fmt: skip


def test_without_create_tests_unmarked_tests_are_counted(
    pytester: pytest.Pytester, run_xray: RunXray
) -> None:
    pytester.makepyfile(test_shop=CREATE_SUITE)
    run = run_xray("--xray-project=SHOP")
    assert [t.get("testKey") for t in run.payload["tests"]] == ["CALC-1"]
    run.result.stdout.fnmatch_lines(["*1 PASS; 5 tests without an xray marker left out"])


def test_create_tests_needs_a_project(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_shop=CREATE_SUITE)
    usage_error(
        pytester.runpytest("--xray", "--xray-create-tests"),
        "--xray-create-tests",
        "--xray-project / XRAY_PROJECT / xray_project",
    )


def test_create_tests_from_ini_and_env(
    pytester: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile("def test_a(): pass\n")
    pytester.makeini("[pytest]\nxray_create_tests = true\nxray_project = INI\n")
    monkeypatch.setenv("XRAY_TEST_LABELS", "a, b,,a")
    info = run_xray().payload["tests"][0]["testInfo"]
    assert (info["projectKey"], info["labels"]) == ("INI", ["a", "b"])
    monkeypatch.setenv("XRAY_CREATE_TESTS", "false")  # the environment wins over the ini file
    run_xray("--xray-output=off.json").result.stdout.fnmatch_lines(
        ["*nothing to report (1 test without an xray marker)*"]
    )


def test_custom_fields_land_on_the_test_run(
    pytester: pytest.Pytester, run_xray: RunXray, xray: XrayEmulator
) -> None:
    pytester.makepyfile(
        """
        import pytest
        pytestmark = pytest.mark.xray("CALC-2", custom_fields={"Browser": "chrome", "Build": 7})

        @pytest.mark.xray("CALC-1", custom_fields={"Browser": "firefox", "Tags": ["a", "b"]})
        def test_a(): pass
        """
    )
    run = run_xray(*upload_args(xray), "--xray-project=CALC", report="report.json")
    [execution] = xray.executions.values()
    assert execution.runs["CALC-1"] == run.test("CALC-1")
    # Markers add up; for one field id the innermost marker (the function's) wins.
    expected = [
        {"id": "Browser", "value": "firefox"},
        {"id": "Build", "value": 7},
        {"id": "Tags", "value": ["a", "b"]},
    ]
    assert execution.runs["CALC-1"]["customFields"] == expected
    assert execution.runs["CALC-2"]["customFields"] == expected


def test_custom_fields_on_server_api_1_0_are_a_collection_error(
    pytester: pytest.Pytester, run_xray: RunXray
) -> None:
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.xray("CALC-1", custom_fields={"Browser": "chrome"})
        def test_a(): pass
        @pytest.mark.xray("CALC-2")
        def test_b(): pass
        """
    )
    run = run_xray("--xray-api-version=1.0")
    assert run.result.ret == pytest.ExitCode.INTERRUPTED
    run.result.stdout.fnmatch_lines(
        ["*::test_a: @pytest.mark.xray custom_fields= needs Xray Server REST API 2.0*"
         "--xray-api-version 2.0 or latest*"]
    )  # fmt: skip
    assert "Traceback" not in run.output
    assert run_xray("--xray-api-version=1.0", "--xray-cloud").result.ret == 0  # Cloud takes them


# -- summary placeholders ----------------------------------------------------------------------

MOMENT = datetime(2025, 3, 4, 5, 6, 7, tzinfo=timezone.utc)


def test_summary_placeholders(tmp_path: Path) -> None:
    env = {"CI_COMMIT_REF_NAME": "release/2.0"}
    summary = render_summary(
        "{branch} on {host}: {date} {time}, Python {python}, pytest {pytest} {{x}}",
        env, tmp_path, now=MOMENT,
    )  # fmt: skip
    assert summary == (
        f"release/2.0 on {platform.node()}: 2025-03-04 05:06, Python "
        f"{platform.python_version()}, pytest {pytest.__version__} {{x}}"
    )
    assert render_summary("Nightly {{literal}}", {}, tmp_path) == "Nightly {literal}"


@pytest.mark.parametrize(
    ("env", "branch"),
    [
        ({"GITHUB_HEAD_REF": "feature/pr", "GITHUB_REF_NAME": "12/merge"}, "feature/pr"),
        ({"GITHUB_HEAD_REF": "", "GITHUB_REF_NAME": "main"}, "main"),
        ({"BRANCH_NAME": "jenkins-branch"}, "jenkins-branch"),
        ({"GIT_BRANCH": "origin/develop"}, "develop"),
        ({"CHANGE_BRANCH": "feature/pr", "BRANCH_NAME": "PR-12"}, "feature/pr"),
        ({"CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feat/mr", "CI_COMMIT_REF_NAME": "x"}, "feat/mr"),
        # Azure Pipelines: BUILD_SOURCEBRANCHNAME keeps only the last segment ("x")
        ({"BUILD_SOURCEBRANCH": "refs/heads/feature/x", "BUILD_SOURCEBRANCHNAME": "x"},
         "feature/x"),
        ({"SYSTEM_PULLREQUEST_SOURCEBRANCH": "refs/heads/feature/pr",
          "BUILD_SOURCEBRANCH": "refs/pull/12/merge", "BUILD_SOURCEBRANCHNAME": "merge"},
         "feature/pr"),
        ({"BUILD_SOURCEBRANCHNAME": "main"}, "main"),
        ({"TRAVIS_PULL_REQUEST_BRANCH": "fix/y", "TRAVIS_BRANCH": "main"}, "fix/y"),
        ({"TRAVIS_PULL_REQUEST_BRANCH": "", "TRAVIS_BRANCH": "main"}, "main"),
        ({"DRONE_SOURCE_BRANCH": "fix/z", "DRONE_BRANCH": "main"}, "fix/z"),
        ({"CODEBUILD_WEBHOOK_HEAD_REF": "refs/heads/release/3"}, "release/3"),
    ],
)  # fmt: skip
def test_branch_from_ci_variables(env: dict[str, str], branch: str, tmp_path: Path) -> None:
    assert current_branch(env, tmp_path) == branch


def test_branch_from_git_then_unknown(tmp_path: Path) -> None:
    assert current_branch({}, tmp_path) == "unknown"  # not a repository
    git = shutil.which("git")
    assert git is not None, "git is needed for this test"
    subprocess.run([git, "init", "-q", "-b", "topic/x"], cwd=tmp_path, check=True)
    subprocess.run(
        [git, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty",
         "-m", "first"],
        cwd=tmp_path, check=True,
    )  # fmt: skip
    assert current_branch({}, tmp_path) == "topic/x"


def test_branch_on_a_detached_head_is_unknown(tmp_path: Path) -> None:
    """git names a detached HEAD (a tag or commit checkout, as many CIs do) "HEAD"."""
    git = shutil.which("git")
    assert git is not None, "git is needed for this test"
    subprocess.run([git, "init", "-q", "-b", "main"], cwd=tmp_path, check=True)
    subprocess.run(
        [git, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty",
         "-m", "first"],
        cwd=tmp_path, check=True,
    )  # fmt: skip
    subprocess.run([git, "checkout", "-q", "--detach"], cwd=tmp_path, check=True)
    assert current_branch({}, tmp_path) == "unknown"
    assert current_branch({"BUILD_SOURCEBRANCH": "refs/heads/main"}, tmp_path) == "main"
    summary = render_summary("Nightly {branch}", {}, tmp_path)
    assert summary == "Nightly unknown"


@pytest.mark.parametrize("template", ["{nope}", "{host.upper}", "{}", "{date:%Y}", "{oops"])
def test_bad_placeholders(template: str, tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"known|braces"):
        render_summary(template, {}, tmp_path)


def test_summary_template_in_a_run(
    pytester: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile("import pytest\n@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n")
    monkeypatch.setenv("GITHUB_REF_NAME", "main")
    monkeypatch.setenv("XRAY_SUMMARY", "Nightly {branch} {date}")
    summary = run_xray().payload["info"]["summary"]
    assert summary == f"Nightly main {datetime.now().astimezone():%Y-%m-%d}"
    text = usage_error(pytester.runpytest("--xray", "--xray-summary=Run {when}"))
    assert "--xray-summary: unknown placeholder {when}" in text
    assert "{date}, {time}, {host}, {branch}, {python}, {pytest}" in text


def test_long_summary_template_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("import pytest\n@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n")
    text = usage_error(pytester.runpytest("--xray", "--xray-summary=" + "x" * 256))
    assert "--xray-summary: 256 characters; Jira takes at most 255 in a summary" in text
    assert len(text.strip().splitlines()) <= 2


def test_summary_over_255_characters_once_filled_in_is_cut(
    pytester: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile("import pytest\n@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n")
    monkeypatch.setenv("GITHUB_REF_NAME", "feature/" + "b" * 300)
    monkeypatch.setenv("XRAY_SUMMARY", "Nightly {branch}")
    summary = run_xray().payload["info"]["summary"]
    assert len(summary) == 255
    assert summary == "Nightly feature/" + "b" * 238 + "…"
    monkeypatch.setenv("XRAY_SUMMARY", "x" * 255)  # exactly the limit: kept as it is
    assert run_xray().payload["info"]["summary"] == "x" * 255


@pytest.mark.parametrize(
    ("ini", "env", "fragments"),
    [
        ("", "nightly, smoke test", ["XRAY_TEST_LABELS: the label 'smoke test' contains a space",
                                     "'smoke_test'", "commas"]),
        ("xray_test_labels =\n    nightly\n    smoke\ttest", None,
         ["ini key xray_test_labels: the label 'smoke\\ttest' contains a space", "new lines"]),
    ],
)  # fmt: skip
def test_labels_with_spaces_are_a_usage_error(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    ini: str,
    env: str | None,
    fragments: list[str],
) -> None:
    pytester.makepyfile("def test_a(): pass\n")
    pytester.makeini(f"[pytest]\nxray_create_tests = true\nxray_project = CALC\n{ini}\n")
    if env is not None:
        monkeypatch.setenv("XRAY_TEST_LABELS", env)
    usage_error(pytester.runpytest("--xray"), *fragments)


def test_a_summary_is_sent_on_one_line(
    pytester: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Jira refuses a line break in a summary: a multi-line ini value, a variable's or a
    placeholder's line breaks and tabs become single spaces."""
    pytester.makepyfile("import pytest\n@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n")
    pytester.makeini("[pytest]\nxray_summary = Nightly\n    {branch}\n\trun\n")
    monkeypatch.setenv("GITHUB_REF_NAME", "main\n")
    assert run_xray().payload["info"]["summary"] == "Nightly main run"
    monkeypatch.setenv("GITHUB_REF_NAME", "feature\r\nx")
    monkeypatch.setenv("XRAY_SUMMARY", "Run on\n{branch}\t\t(nightly)")
    assert run_xray().payload["info"]["summary"] == "Run on feature x (nightly)"


def test_a_summary_is_measured_on_one_line(
    pytester: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Jira's limit applies to the summary as it is sent, with its whitespace collapsed."""
    pytester.makepyfile("import pytest\n@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n")
    monkeypatch.setenv("XRAY_SUMMARY", "Nightly" + " \n\t" * 100 + "run")
    assert run_xray().payload["info"]["summary"] == "Nightly run"


@pytest.mark.parametrize(
    ("config", "args", "warned"),
    [
        ("", [], True),
        ("", ["-p", "xdist", "-n", "2"], True),
        ("pytest.ini", [], False),
        ("pyproject.toml", [], False),
        ("", ["--rootdir=."], False),
    ],
)
def test_create_tests_without_a_config_file_warns_that_definitions_move(
    pytester: pytest.Pytester, config: str, args: list[str], warned: bool
) -> None:
    """Without a config file the rootdir, and so each definition, is the directory pytest runs
    from: tests/test_a.py::test_x from the project, test_a.py::test_x from tests/."""
    if config == "pytest.ini":
        pytester.makeini("[pytest]\n")
    elif config == "pyproject.toml":
        pytester.makepyprojecttoml("[tool.pytest.ini_options]\n")
    pytester.makepyfile("def test_a(): pass\n")
    result = pytester.runpytest(
        "--xray", "--xray-create-tests", "--xray-project=CALC", "-W", "always", *args
    )
    assert result.ret == 0
    text = result.stdout.str()
    warning = "PytestConfigWarning: pytest-xray: --xray-create-tests finds created Tests again"
    assert (warning in text) is warned, text
    if warned:
        assert "Add a pytest.ini (or [tool.pytest.ini_options] in pyproject.toml)" in text
        assert text.count(warning) == 1


def test_without_create_tests_no_config_file_is_fine(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("import pytest\n@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n")
    result = pytester.runpytest("--xray", "-W", "always")
    assert result.ret == 0
    assert "PytestConfigWarning" not in result.stdout.str()
