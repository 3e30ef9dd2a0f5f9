"""The overhead benchmark (benchmarks/overhead.py) runs and prints its table.

Only the shape of the output is checked, never a timing: the figures live in the README.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "overhead.py"
NUMBER = re.compile(r"-?\d+\.\d+")


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("overhead", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["overhead"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def table(output: str) -> dict[str, dict[str, str]]:
    """The Markdown table of the output: variant -> column -> cell."""
    lines = [line for line in output.splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    columns = list(load_script().COLUMNS)
    assert header == columns
    rows = {}
    for line in lines[1:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        assert len(cells) == len(columns), line
        rows[cells[0]] = dict(zip(columns, cells, strict=True))
    return rows


def test_quick_run_prints_every_variant() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"200 tests in \d+ files, 1 rounds; \d+ cores", result.stdout)
    rows = table(result.stdout)
    assert list(rows) == ["plain", "junitxml", "dry-run", "upload"]
    for row in rows.values():
        for column in ["median s", "x plain", "µs/test added", "CPU s", "peak RSS MiB"]:
            assert NUMBER.fullmatch(row[column]), (column, row)
        low, high = (float(n) for n in row["range s"].split(" to "))
        assert low <= float(row["median s"]) <= high, row
    assert rows["plain"]["x plain"] == "1.000"
    assert rows["plain"]["file MiB"] == rows["plain"]["session end s"] == "-"
    assert NUMBER.fullmatch(rows["junitxml"]["file MiB"])
    assert rows["junitxml"]["session end s"] == "-"
    for name in ["dry-run", "upload"]:
        for column in ["file MiB", "session end s", "build s", "write s"]:
            assert NUMBER.fullmatch(rows[name][column]), (name, column)
    assert rows["dry-run"]["upload s"] == "-"
    assert NUMBER.fullmatch(rows["upload"]["upload s"])
    targets = result.stdout.split("targets:", 1)[1]
    assert re.search(r"dry-run <= 1\.03 x plain: (met|NOT met)", targets)
    assert re.search(r"upload <= 10 s \(at 100 000\): (met|NOT met)", targets)


def test_generated_suite_has_the_stated_mix(pytester: pytest.Pytester) -> None:
    script = load_script()
    files = script.generate_suite(pytester.path / "suite", 1_000)
    assert files == 5
    result = pytester.runpytest_subprocess(
        "suite", "-p", "no:cacheprovider", "--xray", "--xray-dry-run", "--xray-output=r.json"
    )
    result.assert_outcomes(passed=965, failed=5, skipped=30)
    result.stdout.fnmatch_lines(["xray: 1000 results for 910 Xray tests: *"])
