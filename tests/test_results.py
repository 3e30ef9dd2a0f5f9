"""Results of real pytest sessions become the right Xray JSON (report file, no upload)."""

from __future__ import annotations

import json
import os
import stat

import pytest

from tests.conftest import RunXray


def test_without_xray_nothing_is_written(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.xray('CALC-1')
        def test_a(request):
            manager = request.config.pluginmanager
            assert manager.get_plugin("xray") is not None
            for name in ("xray-annotator", "xray-collector", "xray-reporter"):
                assert manager.get_plugin(name) is None, name
        """
    )
    result = pytester.runpytest("--strict-markers", "-W", "error")
    result.assert_outcomes(passed=1)
    assert not (pytester.path / "xray-report.json").exists()
    assert "xray:" not in result.stdout.str()


def test_marker_is_documented(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(
        ["@pytest.mark.xray([*]keys, defects=(), requirements=(), custom_fields={}):*"]
    )


def test_disabled_with_no_xray(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_a(): pass\n")
    result = pytester.runpytest("-p", "no:xray", "--xray")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unrecognized arguments: --xray*"])


def test_one_test_one_key_is_a_plain_entry(pytester: pytest.Pytester, run_xray: RunXray) -> None:
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.xray("CALC-1", defects=["CALC-99"])
        def test_a():
            pass
        def test_unmarked():
            pass
        """
    )
    run = run_xray()
    run.result.assert_outcomes(passed=2)
    assert [t["testKey"] for t in run.payload["tests"]] == ["CALC-1"]
    entry = run.test("CALC-1")
    assert entry["status"] == "PASS"
    assert entry["defects"] == ["CALC-99"]
    assert "iterations" not in entry
    assert entry["start"] <= entry["finish"]
    run.result.stdout.fnmatch_lines(
        [
            "*xray: 1 result for 1 Xray test: 1 PASS; 1 test without an xray marker left out",
            f"*xray: report written to {run.report_path} (no xray_url set)",
        ]
    )


def test_outcomes_map_to_server_statuses(pytester: pytest.Pytester, run_xray: RunXray) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.fixture
        def broken_setup():
            raise RuntimeError("setup boom")

        @pytest.fixture
        def broken_teardown():
            yield
            raise RuntimeError("teardown boom")

        @pytest.mark.xray("T-1")
        def test_pass(): pass
        @pytest.mark.xray("T-2")
        def test_fail(): assert 1 == 2, "one is not two"
        @pytest.mark.xray("T-3")
        def test_setup_error(broken_setup): pass
        @pytest.mark.xray("T-4")
        def test_teardown_error(broken_teardown): pass
        @pytest.mark.xray("T-5")
        def test_skip(): pytest.skip("no database here")
        @pytest.mark.xray("T-6")
        @pytest.mark.xfail(reason="bug 7")
        def test_xfail(): assert 0
        @pytest.mark.xray("T-7")
        @pytest.mark.xfail(reason="bug 8", strict=False)
        def test_xpass(): pass
        @pytest.mark.xray("T-8")
        @pytest.mark.skipif(True, reason="only on windows")
        def test_skipif(): pass
        """
    )
    run = run_xray()
    statuses = {t["testKey"]: t["status"] for t in run.payload["tests"]}
    assert statuses == {
        "T-1": "PASS", "T-2": "FAIL", "T-3": "FAIL", "T-4": "FAIL",
        "T-5": "TODO", "T-6": "FAIL", "T-7": "PASS", "T-8": "TODO",
    }  # fmt: skip
    assert "one is not two" in run.test("T-2")["comment"]
    assert "setup error" in run.test("T-3")["comment"]
    assert "setup boom" in run.test("T-3")["comment"]
    assert "teardown boom" in run.test("T-4")["comment"]
    assert run.test("T-5")["comment"] == "skipped: no database here"
    assert run.test("T-6")["comment"] == "expected failure: bug 7"
    assert "bug 8" in run.test("T-7")["comment"]
    assert run.test("T-8")["comment"] == "skipped: only on windows"
    assert "comment" not in run.test("T-1")


def test_failure_after_teardown_error_keeps_both_texts(
    pytester: pytest.Pytester, run_xray: RunXray
) -> None:
    pytester.makepyfile(
        """
        import pytest
        @pytest.fixture
        def broken_teardown():
            yield
            raise RuntimeError("teardown boom")
        @pytest.mark.xray("T-1")
        def test_a(broken_teardown): assert False, "call failed"
        """
    )
    comment = run_xray().test("T-1")["comment"]
    assert "call failed" in comment
    assert "teardown boom" in comment


def test_a_skip_never_hides_a_failure(pytester: pytest.Pytester, run_xray: RunXray) -> None:
    """pytest's verdict: a teardown skip changes no outcome, and a failure stays a failure."""
    pytester.makepyfile(
        """
        import pytest
        @pytest.fixture
        def skips_at_teardown():
            yield
            pytest.skip("teardown skip")
        @pytest.fixture
        def broken_setup():
            raise RuntimeError("setup boom")
        @pytest.fixture
        def both(broken_setup, skips_at_teardown):
            pass
        @pytest.mark.xray("T-1")
        def test_fails(skips_at_teardown): assert 0, "real failure"
        @pytest.mark.xray("T-2")
        def test_passes(skips_at_teardown): pass
        @pytest.mark.xray("T-3")
        def test_setup_error(skips_at_teardown, broken_setup): pass
        @pytest.mark.xray("T-4")
        def test_skips(skips_at_teardown): pytest.skip("in the call")
        """
    )
    run = run_xray()
    assert run.result.ret == pytest.ExitCode.TESTS_FAILED
    statuses = {t["testKey"]: t["status"] for t in run.payload["tests"]}
    assert statuses == {"T-1": "FAIL", "T-2": "PASS", "T-3": "FAIL", "T-4": "TODO"}
    assert "AssertionError: real failure" in run.test("T-1")["comment"]
    assert "teardown skip" not in run.test("T-1")["comment"]
    assert "comment" not in run.test("T-2")
    assert "setup boom" in run.test("T-3")["comment"]
    assert run.test("T-4")["comment"] == "skipped: in the call"


@pytest.mark.skipif(
    not hasattr(pytest, "Subtests"), reason="the subtests fixture is built in from pytest 9"
)
@pytest.mark.parametrize("xdist", [False, True], ids=["plain", "xdist"])
def test_subtests_count_as_pytest_counts_them(
    pytester: pytest.Pytester, run_xray: RunXray, xdist: bool
) -> None:
    """A failed subtest fails the test with its own text; a skipped one changes nothing."""
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.xray("T-1")
        def test_skipped_subtest(subtests):
            with subtests.test(msg="later"):
                pytest.skip("not yet")
        @pytest.mark.xray("T-2")
        def test_failed_subtests(subtests):
            for i in range(3):
                with subtests.test("loop", i=i):
                    if i == 2:
                        pytest.skip("two is skipped")
                    assert i == 0, f"i was {i}"
        @pytest.mark.xray("T-3")
        def test_fails_after_a_failed_subtest(subtests):
            with subtests.test():
                assert 0, "subtest failure"
            assert 0, "main failure"
        @pytest.mark.xray("T-4")
        def test_skips_after_a_failed_subtest(subtests):
            with subtests.test(msg="first"):
                assert 0, "first failure"
            pytest.skip("then skipped")
        """
    )
    run = run_xray(*(["-n", "2"] if xdist else []))
    assert run.result.ret == pytest.ExitCode.TESTS_FAILED
    statuses = {t["testKey"]: t["status"] for t in run.payload["tests"]}
    assert statuses == {"T-1": "PASS", "T-2": "FAIL", "T-3": "FAIL", "T-4": "FAIL"}
    assert "comment" not in run.test("T-1")
    comment = run.test("T-2")["comment"]
    assert "subtest [loop] (i=" in comment
    assert "AssertionError: i was 1" in comment
    assert "skipped:" not in comment
    comment = run.test("T-3")["comment"]
    assert "subtest (<subtest>) failed:" in comment
    assert "AssertionError: subtest failure" in comment
    assert "AssertionError: main failure" in comment
    comment = run.test("T-4")["comment"]
    assert "subtest [first] failed:" in comment
    assert "AssertionError: first failure" in comment
    assert "skipped:" not in comment


def test_cloud_statuses(pytester: pytest.Pytester, run_xray: RunXray) -> None:
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.xray("T-1")
        def test_pass(): pass
        @pytest.mark.xray("T-2")
        def test_fail(): assert 0
        @pytest.mark.xray("T-3")
        def test_skip(): pytest.skip("later")
        """
    )
    run = run_xray("--xray-cloud")
    assert [t["status"] for t in run.payload["tests"]] == ["PASSED", "FAILED", "TODO"]


def test_status_overrides(pytester: pytest.Pytester, run_xray: RunXray) -> None:
    pytester.makeini("[pytest]\nxray_status =\n    skipped=SKIPPED\n")
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.xray("T-1")
        def test_skip(): pytest.skip("later")
        @pytest.mark.xray("T-2")
        @pytest.mark.xfail
        def test_xfail(): assert 0
        """
    )
    run = run_xray("--xray-status", "xfailed=BLOCKED", "--xray-status", "passed=OK")
    assert [t["status"] for t in run.payload["tests"]] == ["SKIPPED", "BLOCKED"]


def test_overridden_failure_status_is_the_entrys_worst(
    pytester: pytest.Pytester, run_xray: RunXray
) -> None:
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.xray("T-1")
        @pytest.mark.parametrize("n", [1, 2])
        def test_p(n): assert n == 1
        """
    )
    run = run_xray("--xray-status", "failed=BROKEN", "--xray-status", "passed=OK")
    entry = run.test("T-1")
    assert [i["status"] for i in entry["iterations"]] == ["OK", "BROKEN"]
    assert entry["status"] == "BROKEN"


def test_parametrize_becomes_iterations(pytester: pytest.Pytester, run_xray: RunXray) -> None:
    pytester.makepyfile(
        """
        import pytest
        class Opaque:
            pass
        @pytest.mark.xray("CALC-2")
        @pytest.mark.parametrize("a, b", [(1, "x"), (2, "y")])
        @pytest.mark.parametrize("obj", [Opaque()], ids=["opaque"])
        def test_p(a, b, obj):
            assert a == 1, "a must be 1"
        """
    )
    run = run_xray()
    entry = run.test("CALC-2")
    assert entry["status"] == "FAIL"
    iterations = entry["iterations"]
    assert [i["name"] for i in iterations] == [
        "test_parametrize_becomes_iterations.py::test_p[opaque-1-x]",
        "test_parametrize_becomes_iterations.py::test_p[opaque-2-y]",
    ]
    # An object with no readable text is named by its own id, not the whole test id.
    assert iterations[0]["parameters"] == [
        {"name": "obj", "value": "opaque"},
        {"name": "a", "value": "1"},
        {"name": "b", "value": "x"},
    ] or iterations[0]["parameters"] == [
        {"name": "a", "value": "1"},
        {"name": "b", "value": "x"},
        {"name": "obj", "value": "opaque"},
    ]
    assert [i["status"] for i in iterations] == ["PASS", "FAIL"]
    assert "a must be 1" in iterations[1]["log"]
    assert "log" not in iterations[0]
    assert "comment" in entry
    assert "2 iterations" in entry["comment"]


def test_same_key_on_several_tests_and_levels(pytester: pytest.Pytester, run_xray: RunXray) -> None:
    pytester.makepyfile(
        """
        import pytest
        pytestmark = pytest.mark.xray("MOD-1")

        class TestGroup:
            pytestmark = pytest.mark.xray("CLS-1")

            @pytest.mark.xray("FN-1", "FN-2")
            def test_a(self): pass

            def test_b(self): pytest.skip("not yet")

        def test_c(): pass
        """
    )
    run = run_xray()
    payload = run.payload
    assert [t["testKey"] for t in payload["tests"]] == ["MOD-1", "CLS-1", "FN-1", "FN-2"]
    mod = run.test("MOD-1")
    assert len(mod["iterations"]) == 3
    assert mod["status"] == "TODO"  # skipped is worse than passed
    assert all("parameters" not in i for i in mod["iterations"])
    assert len(run.test("CLS-1")["iterations"]) == 2
    assert run.test("FN-1")["status"] == run.test("FN-2")["status"] == "PASS"
    assert "iterations" not in run.test("FN-1")


def test_info_from_settings(pytester: pytest.Pytester, run_xray: RunXray) -> None:
    pytester.makepyfile("import pytest\n@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n")
    run = run_xray(
        "--xray-project=CALC", "--xray-test-plan=CALC-9", "--xray-environment=linux",
        "--xray-environment=py3", "--xray-fix-version=1.2", "--xray-revision=abc123",
        "--xray-description=nightly", "--xray-summary=Nightly run",
    )  # fmt: skip
    info = run.payload["info"]
    assert info["project"] == "CALC"
    assert info["summary"] == "Nightly run"
    assert info["testPlanKey"] == "CALC-9"
    assert info["testEnvironments"] == ["linux", "py3"]
    assert info["version"] == "1.2"
    assert info["revision"] == "abc123"
    assert info["description"] == "nightly"
    assert info["startDate"] <= info["finishDate"]
    assert "testExecutionKey" not in run.payload


def test_existing_execution_keeps_its_summary(pytester: pytest.Pytester, run_xray: RunXray) -> None:
    pytester.makepyfile("import pytest\n@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n")
    payload = run_xray("--xray-execution=CALC-500").payload
    assert payload["testExecutionKey"] == "CALC-500"
    assert "summary" not in payload["info"]


def test_default_summary_names_host(pytester: pytest.Pytester, run_xray: RunXray) -> None:
    pytester.makepyfile("import pytest\n@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n")
    summary = run_xray().payload["info"]["summary"]
    assert summary.startswith("pytest run on ")
    assert " at 20" in summary


def test_output_path_and_dry_run(pytester: pytest.Pytester, run_xray: RunXray) -> None:
    pytester.makepyfile("import pytest\n@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n")
    # A URL on a port where nothing listens: a dry run must not try it.
    run = run_xray(
        "--xray-dry-run",
        "--xray-url=http://127.0.0.1:9",
        "--xray-output=out/report.json",
        report="out/report.json",
    )
    assert run.result.ret == 0
    assert run.payload["tests"][0]["testKey"] == "CALC-1"
    assert "dry run, nothing sent" in run.output
    assert "upload" not in run.output
    assert not (pytester.path / "xray-report.json").exists()


def test_no_marked_tests_writes_nothing(pytester: pytest.Pytester, run_xray: RunXray) -> None:
    pytester.makepyfile("def test_a(): pass\n")
    run = run_xray()
    assert run.result.ret == 0
    assert not run.report_path.exists()
    run.result.stdout.fnmatch_lines(["*no results with an Xray key; nothing to report*"])


def test_long_failure_text_is_capped(pytester: pytest.Pytester, run_xray: RunXray) -> None:
    pytester.makepyfile(
        "import pytest\n@pytest.mark.xray('CALC-1')\n"
        "def test_a(): raise ValueError('x' * 50000 + 'THE END')\n"
    )
    comment = run_xray().test("CALC-1")["comment"]
    assert len(comment) < 11_000
    assert comment.startswith("[... ")
    assert "THE END" in comment


def test_reruns_count_the_last_attempt(pytester: pytest.Pytester, run_xray: RunXray) -> None:
    pytest.importorskip("pytest_rerunfailures")
    pytester.makepyfile(
        """
        import pytest
        calls = []
        @pytest.mark.xray("CALC-1")
        def test_flaky():
            calls.append(1)
            assert len(calls) == 3, "not yet"
        """
    )
    run = run_xray("--reruns=3", "-p", "rerunfailures")
    assert run.result.parseoutcomes() == {"passed": 1, "rerun": 2}
    entry = run.test("CALC-1")
    assert entry["status"] == "PASS"
    assert "3 attempts" in entry["comment"]


def test_unmarked_tests_are_counted_once_whatever_their_attempts(
    pytester: pytest.Pytester, run_xray: RunXray
) -> None:
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.xray("CALC-1")
        def test_marked():
            pass
        def test_unmarked_flaky():
            assert False
        """
    )
    run = run_xray("--reruns=2", "-p", "rerunfailures")
    assert run.result.parseoutcomes() == {"passed": 1, "failed": 1, "rerun": 2}
    run.result.stdout.fnmatch_lines(["*; 1 test without an xray marker left out"])


def test_report_is_exactly_json_on_disk(pytester: pytest.Pytester, run_xray: RunXray) -> None:
    pytester.makepyfile("import pytest\n@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n")
    run = run_xray()
    text = run.report_path.read_text("utf-8")
    assert json.loads(text) == run.payload
    assert not list(pytester.path.glob(".xray-report.json.*")), "temporary file left behind"


def test_env_enable(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makepyfile("import pytest\n@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n")
    monkeypatch.setenv("XRAY_ENABLE", "1")
    pytester.runpytest().assert_outcomes(passed=1)
    assert (pytester.path / "xray-report.json").exists()


def test_xray_options_without_xray_warn(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_a(): pass\n")
    result = pytester.runpytest("--xray-check", "--xray-result-file=out.json", "--xray-dry-run")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        ["*PytestConfigWarning: --xray-check, --xray-dry-run, --xray-result-file have no effect"
         " without --xray (or XRAY_ENABLE=1)*"]
    )  # fmt: skip
    assert not (pytester.path / "out.json").exists()
    pytester.runpytest().assert_outcomes(passed=1)  # no warning without the options
    with pytest.MonkeyPatch.context() as env:
        env.setenv("XRAY_ENABLE", "0")  # off from the environment: the same warning
        off = pytester.runpytest("--xray-check")
    off.assert_outcomes(passed=1, warnings=1)
    off.stdout.fnmatch_lines(["*PytestConfigWarning: --xray-check has no effect without --xray*"])


def test_help_ignores_bad_xray_variables(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XRAY_ENABLE", "1")
    monkeypatch.setenv("XRAY_URL", "not a url")
    assert pytester.runpytest("--xray").ret == pytest.ExitCode.USAGE_ERROR
    result = pytester.runpytest("--help")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*--xray-url=URL*"])


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_report_gets_a_new_files_permissions(
    pytester: pytest.Pytester, run_xray: RunXray, umask: int, mode: int
) -> None:
    """Readable by whoever the umask lets read new files (a CI artifact uploader running as
    another user), not only by its owner as the temporary file it is written as."""
    pytester.makepyfile("import pytest\n@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n")
    previous = os.umask(umask)
    try:
        run = run_xray("--xray-result-file=outcome.json")
    finally:
        os.umask(previous)
    assert run.result.ret == 0
    assert stat.S_IMODE(run.report_path.stat().st_mode) == mode
    assert stat.S_IMODE((pytester.path / "outcome.json").stat().st_mode) == mode  # CI reads it


def test_a_report_path_that_is_a_symlink_stays_a_link(
    pytester: pytest.Pytester, run_xray: RunXray
) -> None:
    """The file the link points to gets the report, as a shell redirection would write it."""
    pytester.makepyfile("import pytest\n@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n")
    real = pytester.mkdir("real")
    (real / "report.json").write_text("old", "utf-8")
    (pytester.path / "link.json").symlink_to(real / "report.json")
    (pytester.path / "result-link.json").symlink_to(real / "result.json")  # dangling
    run = run_xray(
        "--xray-output=link.json", "--xray-result-file=result-link.json", report="link.json"
    )
    assert run.result.ret == 0
    assert run.report_path.is_symlink()
    assert (pytester.path / "result-link.json").is_symlink()
    assert run.payload["tests"][0]["testKey"] == "CALC-1"
    assert json.loads((real / "result.json").read_text("utf-8"))["tests"] == 1
    assert sorted(p.name for p in real.iterdir()) == ["report.json", "result.json"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_report_path_that_is_a_fifo_is_written_into_not_replaced(
    pytester: pytest.Pytester, run_xray: RunXray
) -> None:
    """The read ends are opened, without blocking, before the run, so that the plugin's open
    for writing does not wait for a reader; the pipes' buffers hold the small files."""
    pytester.makepyfile("import pytest\n@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n")
    fifos = [pytester.path / "report.fifo", pytester.path / "result.fifo"]
    readers = []
    for fifo in fifos:
        os.mkfifo(fifo)
        readers.append(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
    try:
        run = run_xray("--xray-output=report.fifo", "--xray-result-file=result.fifo")
        texts = [os.read(reader, 1 << 16).decode("utf-8") for reader in readers]
    finally:
        for reader in readers:
            os.close(reader)
    assert run.result.ret == 0
    assert all(stat.S_ISFIFO(fifo.lstat().st_mode) for fifo in fifos)
    assert json.loads(texts[0])["tests"][0]["testKey"] == "CALC-1"
    assert json.loads(texts[1])["tests"] == 1


def test_a_report_path_that_is_a_device_stays_a_device(
    pytester: pytest.Pytester, run_xray: RunXray
) -> None:
    """``--xray-output /dev/null`` as root (a CI container) must not replace the device: this
    uses a null device made in the test's directory, which only root may make."""
    null = pytester.path / "null"
    try:
        os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except (AttributeError, OSError) as error:  # not POSIX, not root, or not that device
        pytest.skip(f"cannot make a device node: {error}")
    pytester.makepyfile("import pytest\n@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n")
    run = run_xray("--xray-output=null", "--xray-result-file=null", report="null")
    assert run.result.ret == 0, run.output
    assert stat.S_ISCHR(null.lstat().st_mode)
    assert null.read_text("utf-8") == ""
