"""CI shards into one Test Execution: concurrent uploads into one key, and merge then upload."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_xray.emulator import XrayEmulator
from tests.conftest import CLIENT_ID, CLIENT_SECRET, PAT, RunXray, validate

SUITE = """
import pytest

@pytest.mark.xray("CALC-1")
def test_a(): pass

@pytest.mark.xray("CALC-2")
@pytest.mark.parametrize("n", range(6))
def test_iter(n): assert n != 4, "four is out"

@pytest.mark.xray("CALC-3")
def test_b(): pytest.skip("later")

@pytest.mark.xray("CALC-4", defects=["CALC-90"])
def test_c(): pass

@pytest.mark.xray("CALC-5")
def test_d(): pass

@pytest.mark.xray("CALC-5")
def test_e(): pass
"""

# Splits the suite the way pytest-shard and similar plugins do: test i goes to shard i % N.
SHARDING = """
import os

def pytest_collection_modifyitems(config, items):
    index, count = map(int, os.environ["SHARD"].split("/"))
    items[:] = [item for i, item in enumerate(items) if i % count == index]
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(test_suite=SUITE)
    pytester.makeconftest(SHARDING)
    return pytester


def command(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m pytest_xray ARGS`` (no shell: globs reach the command unexpanded)."""
    return subprocess.run(
        [sys.executable, "-m", "pytest_xray", *args],
        capture_output=True, text=True, cwd=cwd, env=env, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("flavor", ["server", "cloud"])
def test_concurrent_shards_upload_into_one_execution(suite: pytest.Pytester, flavor: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XRAY_")}
    if flavor == "server":
        env["XRAY_TOKEN"] = PAT
        emulator = XrayEmulator(flavor="server", tokens={PAT})
    else:
        env.update(XRAY_CLIENT_ID=CLIENT_ID, XRAY_CLIENT_SECRET=CLIENT_SECRET, XRAY_CLOUD="1")
        emulator = XrayEmulator(flavor="cloud", clients={CLIENT_ID: CLIENT_SECRET})
    with emulator:
        # Each import takes a while to answer, so the two shards' imports overlap.
        emulator.inject(delay=0.5, times=2, match="import/execution")
        pytest_args = [
            sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--xray",
            f"--xray-url={emulator.url}", "--xray-execution=CALC-77",
        ]  # fmt: skip
        shards = [
            subprocess.Popen(
                [*pytest_args, f"--xray-output=shard-{index}.json"],
                cwd=suite.path,
                env={**env, "SHARD": f"{index}/2"},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for index in (0, 1)
        ]
        outputs = [shard.communicate(timeout=120)[0] for shard in shards]
        executions = emulator.executions
        imports = [r for r in emulator.requests if r.path.endswith("/import/execution")]
    for output in outputs:
        assert "xray: uploaded to Test Execution CALC-77" in output, output
    assert list(executions) == ["CALC-77"]
    execution = executions["CALC-77"]
    assert execution.imports == 2
    assert len(imports) == 2
    assert sorted(execution.runs) == ["CALC-1", "CALC-2", "CALC-3", "CALC-4", "CALC-5"]
    # Both shards ran part of CALC-2 and of CALC-5: each import replaced that Test Run (Xray
    # does the same), which is why the README points such suites to `pytest-xray merge`.
    assert len(execution.runs["CALC-2"]["iterations"]) == 3


def test_shard_reports_merged_then_uploaded(
    suite: pytest.Pytester,
    run_xray: RunXray,
    server: XrayEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for index in range(3):
        monkeypatch.setenv("SHARD", f"{index}/3")
        shard = run_xray(
            "--xray-project=CALC", f"--xray-output=shard-{index}.json", report=f"shard-{index}.json"
        )
        assert shard.payload["tests"]
    merged = command("merge", "shard-*.json", "-o", "all.json", cwd=suite.path)
    assert merged.returncode == 0, merged.stderr
    assert merged.stdout.strip() == "merged 3 reports (5 Xray tests) into all.json"
    payload = validate(json.loads((suite.path / "all.json").read_text()))
    tests = {t["testKey"]: t for t in payload["tests"]}
    calc2 = tests["CALC-2"]
    assert sorted(i["name"].rsplit("::", 1)[1] for i in calc2["iterations"]) == [
        f"test_iter[{n}]" for n in range(6)
    ]
    assert calc2["status"] == "FAIL"
    assert calc2["comment"] == "6 iterations: 5 PASS, 1 FAIL"
    # test_d and test_e (both CALC-5) ran in different shards: one iteration per shard.
    assert [i["name"] for i in tests["CALC-5"]["iterations"]] == ["shard-0.json", "shard-1.json"]

    uploaded = command("upload", "all.json", f"--xray-url={server.url}", cwd=suite.path,
                       env={**os.environ, "XRAY_TOKEN": PAT})  # fmt: skip
    assert uploaded.returncode == 0, uploaded.stderr
    [execution] = server.executions.values()
    assert {key: run["status"] for key, run in execution.runs.items()} == {
        "CALC-1": "PASS", "CALC-2": "FAIL", "CALC-3": "TODO", "CALC-4": "PASS", "CALC-5": "PASS",
    }  # fmt: skip
    assert len(execution.runs["CALC-2"]["iterations"]) == 6
    assert execution.runs["CALC-4"]["defects"] == ["CALC-90"]
    assert f"to Test Execution {execution.key}" in uploaded.stdout


def test_merge_refuses_contradicting_shards(
    suite: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    for index, project in enumerate(["CALC", "SHOP"]):
        monkeypatch.setenv("SHARD", f"{index}/2")
        run_xray(f"--xray-project={project}", f"--xray-output=shard-{index}.json")
    refused = command("merge", "shard-0.json", "shard-1.json", "-o", "all.json", cwd=suite.path)
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        'pytest-xray: error: info.project is "CALC" in shard-0.json but "SHOP" in shard-1.json; '
        "shards of one execution need the same settings."
    ]
    assert not (suite.path / "all.json").exists()


def test_merge_glob_without_match_and_output_among_inputs(pytester: pytest.Pytester) -> None:
    missing = command("merge", "shard-*.json", "-o", "all.json", cwd=pytester.path)
    assert missing.returncode == 1
    assert missing.stderr.strip() == "pytest-xray: error: no file matches shard-*.json."
    report = {"info": {}, "tests": [{"testKey": "CALC-1", "status": "PASS"}]}
    (pytester.path / "a.json").write_text(json.dumps(report))
    (pytester.path / "all.json").write_text(json.dumps(report))
    (pytester.path / "all.json.progress.json").write_text("{}")  # left by an upload
    again = command("merge", "*.json", "-o", "all.json", cwd=pytester.path)
    assert again.returncode == 0, again.stderr
    assert "all.json is the output, not merged into itself" in again.stderr
    assert again.stdout.strip() == "merged 1 report (1 Xray test) into all.json"


# As pytest-split does: the tests of other shards are deselected, and pytest is told so.
SPLITTING = """
import os

def pytest_collection_modifyitems(config, items):
    index, count = map(int, os.environ["SHARD"].split("/"))
    config.hook.pytest_deselected(items=[i for n, i in enumerate(items) if n % count != index])
    items[:] = [item for n, item in enumerate(items) if n % count == index]
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_shard_that_splits_a_key_into_an_existing_execution_is_warned(
    pytester: pytest.Pytester,
    run_xray: RunXray,
    monkeypatch: pytest.MonkeyPatch,
    workers: list[str],
) -> None:
    """Importing into one execution replaces a key's Test Run: a key whose tests other shards
    run ends up with the last shard's results only. Say which keys, and what to do."""
    pytester.makepyfile(test_suite=SUITE)
    pytester.makeconftest(SPLITTING)
    monkeypatch.setenv("SHARD", "0/2")
    run = run_xray("--xray-dry-run", "--xray-execution=CALC-600", *workers)
    run.result.stdout.fnmatch_lines(
        ["xray: CALC-2, CALC-5: some of their tests were deselected here; the import into "
         "CALC-600 replaces each key's Test Run, so shards that share a key overwrite each "
         "other's results*pytest-xray merge*"]
    )  # fmt: skip
    # A new execution per run (the merge way's shards) is not concerned.
    assert "deselected here" not in run_xray("--xray-dry-run", *workers).output
