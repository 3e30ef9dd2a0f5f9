"""Evidence: the ``xray_evidence`` fixture, captured output and the size limits, in real pytest
sessions; uploads go over real HTTP to the emulator and the bytes are compared after decoding."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from pytest_xray.emulator import XrayEmulator
from tests.conftest import CLIENT_ID, CLIENT_SECRET, PAT, RunXray

# Every byte value, so that any encoding slip shows.
BINARY = bytes(range(256)) * 3

EVIDENCE_SUITE = f"""
import pytest

BINARY = {BINARY!r}

@pytest.fixture
def browser(xray_evidence):
    xray_evidence(b"opened", filename="setup.log")
    yield
    xray_evidence(b"closed", filename="teardown.log")

@pytest.mark.xray("CALC-1")
def test_login(browser, xray_evidence, tmp_path):
    shot = tmp_path / "login.png"
    shot.write_bytes(BINARY)
    xray_evidence(shot)
    xray_evidence(b'{{"ok": true}}', filename="response.json")
    xray_evidence(b"<p>", filename="page.bin", content_type="text/html")
    xray_evidence(shot, filename="renamed.dat")
"""


def decoded(entry: dict[str, Any], name: str = "evidences") -> dict[str, tuple[bytes, str]]:
    """filename -> (decoded bytes, content type) of a Test Run's evidence."""
    return {
        item["filename"]: (base64.b64decode(item["data"], validate=True), item["contentType"])
        for item in entry.get(name, [])
    }


EXPECTED = {
    "setup.log": (b"opened", "text/plain"),
    "login.png": (BINARY, "image/png"),
    "response.json": (b'{"ok": true}', "application/json"),
    "page.bin": (b"<p>", "text/html"),
    "renamed.dat": (BINARY, "application/octet-stream"),
    "teardown.log": (b"closed", "text/plain"),
}


@pytest.mark.parametrize("flavor", ["server", "cloud"])
def test_evidence_arrives_intact(
    pytester: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch, flavor: str
) -> None:
    pytester.makepyfile(test_evidence=EVIDENCE_SUITE)
    if flavor == "server":
        monkeypatch.setenv("XRAY_TOKEN", PAT)
        emulator = XrayEmulator(flavor="server", tokens={PAT})
    else:
        monkeypatch.setenv("XRAY_CLIENT_ID", CLIENT_ID)
        monkeypatch.setenv("XRAY_CLIENT_SECRET", CLIENT_SECRET)
        emulator = XrayEmulator(flavor="cloud", clients={CLIENT_ID: CLIENT_SECRET})
    with emulator:
        run = run_xray(
            f"--xray-url={emulator.url}", f"--xray-{flavor}", "--xray-project=CALC",
            "--xray-output=report.json", report="report.json",
        )  # fmt: skip
        run.result.assert_outcomes(passed=1)
        [execution] = emulator.executions.values()
    # Server: "evidences", the name every Server version knows; Cloud: "evidence".
    name, other = ("evidences", "evidence") if flavor == "server" else ("evidence", "evidences")
    received = execution.runs["CALC-1"]
    assert other not in received
    assert decoded(received, name) == EXPECTED
    assert [item["filename"] for item in received[name]] == list(EXPECTED)  # in attach order
    assert received == run.test("CALC-1")  # the report on disk is what was sent
    assert "evidence left out" not in run.output


def test_fixture_is_a_no_op_without_xray(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.xray("CALC-1")
        def test_a(xray_evidence):
            xray_evidence("does-not-exist.png")
            xray_evidence(b"data", filename="x.txt")
            assert not xray_evidence.enabled
        """
    )
    result = pytester.runpytest("-W", "error")
    result.assert_outcomes(passed=1)
    assert not (pytester.path / "xray-report.json").exists()


@pytest.mark.parametrize("enable", [[], ["--xray"]], ids=["plain", "xray"])
def test_wrong_arguments_raise_with_and_without_xray(
    pytester: pytest.Pytester, enable: list[str]
) -> None:
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.xray("CALC-1")
        @pytest.mark.parametrize("call", [
            lambda attach: attach(b"bytes without a name"),
            lambda attach: attach(42),
            lambda attach: attach("x.png", filename=3),
            lambda attach: attach("x.png", content_type=b"image/png"),
        ], ids=["nameless", "int", "filename", "content_type"])
        def test_a(xray_evidence, call):
            with pytest.raises(TypeError, match="xray_evidence"):
                call(xray_evidence)
        """
    )
    pytester.runpytest(*enable).assert_outcomes(passed=4)


def test_unmarked_tests_keep_nothing(pytester: pytest.Pytester, run_xray: RunXray) -> None:
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.xray("CALC-1")
        def test_marked(xray_evidence):
            assert xray_evidence.enabled
        def test_unmarked(xray_evidence):
            assert not xray_evidence.enabled
            xray_evidence("missing.png")  # not even tried: nothing to report it to
        """
    )
    run = run_xray()
    run.result.assert_outcomes(passed=2)
    assert "evidence left out" not in run.output


def test_iterations_name_their_files(pytester: pytest.Pytester, run_xray: RunXray) -> None:
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.xray("CALC-2")
        @pytest.mark.parametrize("user", ["alice", "bob/../x y"])
        def test_p(user, xray_evidence):
            xray_evidence(user.encode(), filename="who.txt")
            xray_evidence(b"again", filename="who.txt")

        @pytest.mark.xray("CALC-3")
        def test_twice(xray_evidence):
            xray_evidence(b"1", filename="../log.txt")
            xray_evidence(b"2", filename="log.txt")
            xray_evidence(b"3", filename="log.txt")

        @pytest.mark.xray("CALC-4")
        class TestA:
            def test_x(self, xray_evidence):
                xray_evidence(b"A", filename="shot.png")

        @pytest.mark.xray("CALC-4")
        class TestB:
            def test_x(self, xray_evidence):
                xray_evidence(b"B", filename="shot.png")
        """
    )
    module = (
        "import pytest\n@pytest.mark.xray('CALC-5')\n"
        "def test_x(xray_evidence): xray_evidence(__name__.encode(), filename='shot.png')\n"
    )
    for folder in ("a", "b"):  # the same module name in two packages, and a third module
        pytester.mkpydir(folder).joinpath("test_m.py").write_text(module)
    pytester.path.joinpath("b", "test_n.py").write_text(module)
    run = run_xray()
    files = decoded(run.test("CALC-2"))
    assert files == {
        "test_p_alice__who.txt": (b"alice", "text/plain"),
        "test_p_alice__who-2.txt": (b"again", "text/plain"),
        "test_p_bob_.._x_y__who.txt": (b"bob/../x y", "text/plain"),
        "test_p_bob_.._x_y__who-2.txt": (b"again", "text/plain"),
    }
    assert {name: data for name, (data, _) in decoded(run.test("CALC-3")).items()} == {
        "log.txt": b"1",
        "log-2.txt": b"2",
        "log-3.txt": b"3",
    }
    assert {name: data for name, (data, _) in decoded(run.test("CALC-4")).items()} == {
        "TestA.test_x__shot.png": b"A",
        "TestB.test_x__shot.png": b"B",
    }
    assert {name: data for name, (data, _) in decoded(run.test("CALC-5")).items()} == {
        "a.test_m.test_x__shot.png": b"a.test_m",
        "b.test_m.test_x__shot.png": b"b.test_m",
        "test_n.test_x__shot.png": b"b.test_n",
    }


def test_per_file_limit_is_checked_before_reading(
    pytester: pytest.Pytester, run_xray: RunXray
) -> None:
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.xray("CALC-1")
        def test_a(xray_evidence, tmp_path):
            video = tmp_path / "video.mp4"
            with video.open("wb") as f:
                f.truncate(3 << 30)  # a sparse 3 GiB file: reading it would take memory and time
            xray_evidence(video)
            xray_evidence(b"x" * 1025, filename="big.bin")
            xray_evidence(b"x" * 1024, filename="fits.bin")
        """
    )
    run = run_xray("--xray-evidence-max-file=1K")
    run.result.assert_outcomes(passed=1)
    assert list(decoded(run.test("CALC-1"))) == ["fits.bin"]
    lines = [line for line in run.result.outlines if "evidence left out" in line]
    assert lines == [
        "xray: evidence left out: test_per_file_limit_is_checked_before_reading.py::test_a: "
        "video.mp4 (3 GiB) is over the per-file limit of 1 KiB (xray_evidence_max_file)",
        "xray: evidence left out: test_per_file_limit_is_checked_before_reading.py::test_a: "
        "big.bin (1025 bytes) is over the per-file limit of 1 KiB (xray_evidence_max_file)",
    ]


def test_per_upload_limit(
    pytester: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.xray("CALC-1")
        def test_a(xray_evidence):
            xray_evidence(b"a" * 400, filename="a.bin")
            xray_evidence(b"b" * 400, filename="b.bin")
        @pytest.mark.xray("CALC-2", "CALC-3")  # lands on two Test Runs: counts twice
        def test_b(xray_evidence):
            xray_evidence(b"c" * 150, filename="c.bin")
            xray_evidence(b"d" * 100, filename="d.bin")
        """
    )
    monkeypatch.setenv("XRAY_EVIDENCE_MAX_TOTAL", "1000")
    run = run_xray()
    assert list(decoded(run.test("CALC-1"))) == ["a.bin", "b.bin"]
    assert list(decoded(run.test("CALC-2"))) == list(decoded(run.test("CALC-3"))) == ["d.bin"]
    lines = [line for line in run.result.outlines if "evidence left out" in line]
    assert lines == [
        "xray: evidence left out: test_per_upload_limit.py::test_b: c.bin (150 bytes) does not "
        "fit the per-upload limit of 1000 bytes (xray_evidence_max_total)"
    ]


def test_per_upload_limit_is_kept_while_the_test_runs(
    pytester: pytest.Pytester, run_xray: RunXray
) -> None:
    """A test attaching more than one upload takes does not keep it in memory (or send it over
    xdist) until the session end: what does not fit is left out as it is attached."""
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.xray("CALC-1")
        def test_many(xray_evidence, tmp_path):
            for n in range(4):
                xray_evidence(bytes([n]) * 300, filename=f"{n}.bin")
            shot = tmp_path / "shot.png"
            shot.write_bytes(b"p" * 100)
            xray_evidence(shot)  # still fits: 900 + 100
            xray_evidence(shot, filename="again.png")
            assert [f["filename"] for f in xray_evidence.files] == [
                "0.bin", "1.bin", "2.bin", "shot.png"
            ]
        """
    )
    run = run_xray("--xray-evidence-max-total=1000")
    run.result.assert_outcomes(passed=1)
    assert list(decoded(run.test("CALC-1"))) == ["0.bin", "1.bin", "2.bin", "shot.png"]
    lines = [line for line in run.result.outlines if "evidence left out" in line]
    where = "test_per_upload_limit_is_kept_while_the_test_runs.py::test_many"
    assert lines == [
        f"xray: evidence left out: {where}: {name} ({size} bytes) does not fit the per-upload "
        "limit of 1000 bytes (xray_evidence_max_total)"
        for name, size in [("3.bin", 300), ("again.png", 100)]
    ]


def test_left_out_and_cut_evidence_is_named_even_with_qq(
    pytester: pytest.Pytester, run_xray: RunXray
) -> None:
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.xray("CALC-1")
        def test_a(xray_evidence):
            xray_evidence(b"x" * 2000, filename="big.bin")
            print("y" * 3000)
            assert False
        """
    )
    run = run_xray("-qq", "--xray-evidence-max-file=1K")
    lines = [line for line in run.result.outlines if line.startswith("xray: ")]
    assert [line.split(": ")[1] for line in lines] == ["evidence left out", "evidence cut"]
    assert "big.bin (2000 bytes) is over the per-file limit of 1 KiB" in lines[0]
    assert "test_a: output.txt (last" in lines[1]
    quiet = run_xray("-qq", "--xray-output=quiet.json")  # nothing left out: nothing to say
    assert not [line for line in quiet.result.outlines if line.startswith("xray: ")]


def test_unreadable_file_is_named_and_the_test_still_passes(
    pytester: pytest.Pytester, run_xray: RunXray
) -> None:
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.xray("CALC-1")
        def test_a(xray_evidence, tmp_path):
            xray_evidence("shots/missing.png")
            xray_evidence(tmp_path)  # a directory
        """
    )
    run = run_xray()
    run.result.assert_outcomes(passed=1)
    assert run.test("CALC-1")["status"] == "PASS"
    assert "evidences" not in run.test("CALC-1")
    run.result.stdout.fnmatch_lines(
        [
            "xray: evidence left out: *::test_a: missing.png could not be read: "
            "No such file or directory (shots/missing.png)",
            "xray: evidence left out: *::test_a: test_a0 could not be read: *",
        ]
    )


OUTPUT_SUITE = """
import logging, sys
import pytest

@pytest.fixture
def noisy():
    print("setting up")
    yield
    print("tearing down")

@pytest.mark.xray("CALC-1")
def test_fails(noisy):
    print("to stdout")
    sys.stderr.write("to stderr\\n")
    logging.getLogger("app").warning("a log record")
    assert False, "boom"

@pytest.mark.xray("CALC-2")
def test_passes():
    print("quiet success")

@pytest.mark.xray("CALC-3")
def test_silent_failure():
    assert False
"""


@pytest.mark.parametrize(
    ("args", "with_output"),
    [
        ([], {"CALC-1"}),
        (["--xray-attach-output=on-failure"], {"CALC-1"}),
        (["--xray-attach-output=always"], {"CALC-1", "CALC-2"}),
        (["--xray-attach-output=never"], set()),
    ],
    ids=["default", "on-failure", "always", "never"],
)
def test_captured_output(
    pytester: pytest.Pytester, run_xray: RunXray, args: list[str], with_output: set[str]
) -> None:
    pytester.makepyfile(OUTPUT_SUITE)
    run = run_xray(*args)
    attached = {t["testKey"] for t in run.payload["tests"] if "evidences" in t}
    assert attached == with_output  # CALC-3 failed but printed nothing: nothing to attach
    if "CALC-1" in with_output:
        entry = run.test("CALC-1")
        [(name, (data, content_type))] = decoded(entry).items()
        assert (name, content_type) == ("output.txt", "text/plain")
        text = data.decode()
        for heading, line in [
            ("===== Captured stdout setup =====", "setting up"),
            ("===== Captured stdout call =====", "to stdout"),
            ("===== Captured stderr call =====", "to stderr"),
            ("===== Captured log call =====", "a log record"),
            ("===== Captured stdout teardown =====", "tearing down"),
        ]:
            assert f"{heading}\n" in text
            assert line in text.split(heading, 1)[1]
        assert "Captured" not in entry["comment"]  # the output is a file, not the comment
        assert "boom" in entry["comment"]


FULL_OUTPUT = ("===== Captured stdout call =====\n" + "é" * 5000 + "\nTHE END\n").encode()


def test_captured_output_over_the_file_limit_keeps_its_end(
    pytester: pytest.Pytester, run_xray: RunXray
) -> None:
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.xray("CALC-1")
        def test_a():
            print("é" * 5000)
            print("THE END")
            assert False
        """
    )
    run = run_xray("--xray-evidence-max-file=2K", "--xray-attach-output=on-failure")
    [(data, _)] = decoded(run.test("CALC-1")).values()
    assert len(data) <= 2048
    text = data.decode("utf-8")  # still valid UTF-8 where it was cut
    assert text.startswith("[... ")
    assert "of output cut ...]" in text
    assert text.rstrip().endswith("THE END")
    kept = len(data) - len(text.partition("\n")[0]) - 1
    lines = [line for line in run.result.outlines if "evidence" in line]
    assert lines == [
        "xray: evidence cut: test_captured_output_over_the_file_limit_keeps_its_end.py::test_a: "
        f"output.txt (last {kept} bytes of {len(FULL_OUTPUT)} bytes kept: over the per-file "
        "limit of 2 KiB, xray_evidence_max_file)"
    ]


def test_reruns_keep_the_last_attempts_evidence(
    pytester: pytest.Pytester, run_xray: RunXray
) -> None:
    pytest.importorskip("pytest_rerunfailures")
    pytester.makepyfile(
        """
        import pytest
        attempts = []
        @pytest.mark.xray("CALC-1")
        def test_flaky(xray_evidence):
            attempts.append(1)
            xray_evidence(b"x", filename=f"attempt-{len(attempts)}.txt")
            assert len(attempts) == 2
        """
    )
    run = run_xray("--reruns=2", "-p", "rerunfailures")
    assert list(decoded(run.test("CALC-1"))) == ["attempt-2.txt"]


def test_evidence_reaches_the_xdist_controller(
    pytester: pytest.Pytester, run_xray: RunXray
) -> None:
    pytest.importorskip("xdist")
    pytester.makepyfile(
        """
        import os
        import pytest

        @pytest.fixture
        def worker(xray_evidence):
            name = os.environ["PYTEST_XDIST_WORKER"]
            xray_evidence(name.encode(), filename="setup.txt")
            yield name
            xray_evidence(name.encode(), filename="teardown.txt")

        @pytest.mark.xray("CALC-1")
        @pytest.mark.parametrize("n", range(6))
        def test_p(n, worker, xray_evidence):
            xray_evidence(bytes([n]) * 1000, filename="data.bin")
            print("printed by", worker, n)
            assert n % 3, "every third fails"
        """
    )
    run = run_xray("-n", "2")
    run.result.assert_outcomes(passed=4, failed=2)
    files = decoded(run.test("CALC-1"))
    workers = {files[f"test_p_{n}__setup.txt"][0] for n in range(6)}
    assert workers == {b"gw0", b"gw1"}  # both workers ran tests and sent their files
    for n in range(6):
        assert files[f"test_p_{n}__data.bin"] == (bytes([n]) * 1000, "application/octet-stream")
        assert files[f"test_p_{n}__teardown.txt"] == files[f"test_p_{n}__setup.txt"]
    outputs = {name: data for name, (data, _) in files.items() if name.endswith("output.txt")}
    assert set(outputs) == {"test_p_0__output.txt", "test_p_3__output.txt"}
    assert b"printed by gw" in outputs["test_p_3__output.txt"]
    assert json.loads(run.report_path.read_text())["tests"][0]["testKey"] == "CALC-1"
