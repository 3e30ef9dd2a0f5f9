"""What pytest-xray costs: wall time, memory and session-end work next to plain pytest.

Generates a synthetic suite of N tests marked ``@pytest.mark.xray`` (trivial bodies over several
files; a share parametrized, a share failing with a traceback, a share skipped), then runs in
interleaved rounds, in one invocation:

* ``plain``     ``pytest -p no:xray``
* ``junitxml``  ``pytest -p no:xray --junitxml=FILE`` (pytest's own reporter, for scale)
* ``dry-run``   ``pytest --xray --xray-dry-run``
* ``upload``    ``pytest --xray`` uploading to a local :class:`XrayEmulator` on 127.0.0.1

and prints, per variant, the median wall time, the ratio to ``plain``, the microseconds each test
added, the peak RSS of the run (``os.wait4``: the child's own ``ru_maxrss``, which on Linux also
covers its own children, e.g. xdist workers), the size of the file written (Xray JSON or JUnit
XML) and the plugin's session-end work (build, write, upload), which the plugin logs at debug
level and the benchmark reads back through ``--log-file``.

Usage::

    python benchmarks/overhead.py --tests 20000 --rounds 5
    python benchmarks/overhead.py --tests 100000 --rounds 3
    python benchmarks/overhead.py --tests 20000 -n 2
    python benchmarks/overhead.py --quick            # a smoke run: 200 tests, 1 round

Needs only what the ``test`` extra installs (pytest-xdist for ``-n``, jsonschema when the
emulator validates payloads).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pytest_xray.emulator import XrayEmulator

TOKEN = "benchmark-token"
PROJECT = "BENCH"
TESTS_PER_FILE = 200
"""Small files, as in real suites: pytest parses a test's whole file to show its traceback."""
PARAMETRIZED_CASES = 10
"""Each parametrized test function has this many cases, all counted in N."""
VARIANTS = ("plain", "junitxml", "dry-run", "upload")
SCHEMA_LIMIT = 2_000
"""Up to this many tests the emulator validates every payload against Xray's schema; above it
validation is off, so the upload time measures the plugin and the network, not jsonschema."""
PHASES = re.compile(r"pytest-xray: session end ([\d.]+) s \(([^)]*)\)")
PHASE = re.compile(r"(\w+) ([\d.]+) s")


# -- the synthetic suite ---------------------------------------------------------------------


@dataclass(frozen=True)
class Mix:
    """How the N tests are made: shares (of N) of parametrized, failing and skipped tests.

    Failures are capped: pytest's terminal summary looks up each failure's teardown among all
    reports (``TerminalReporter._get_teardown_reports``), O(failures x tests), which at 2 % of
    20 000 tests made up half of plain pytest's time and hid everything else.
    """

    parametrized: float = 0.10
    failing: float = 0.005
    max_failing: int = 100
    skipped: float = 0.03


def _test_source(key: int, kind: str) -> str:
    mark = f'@pytest.mark.xray("{PROJECT}-{key}")\n'
    if kind == "parametrized":
        return (
            f"{mark}@pytest.mark.parametrize('case', range({PARAMETRIZED_CASES}))\n"
            f"def test_{key}(case):\n    assert case >= 0\n"
        )
    if kind == "failing":
        return f"{mark}def test_{key}():\n    check({key})\n"
    if kind == "skipped":
        return f"{mark}@pytest.mark.skip(reason='benchmark')\ndef test_{key}():\n    pass\n"
    return f"{mark}def test_{key}():\n    pass\n"


def _kinds(tests: int, mix: Mix) -> Iterator[str]:
    """Test kinds in a deterministic, evenly spread order, adding up to exactly ``tests``."""
    budget = {
        "parametrized": int(tests * mix.parametrized) // PARAMETRIZED_CASES * PARAMETRIZED_CASES,
        "failing": min(int(tests * mix.failing), mix.max_failing),
        "skipped": int(tests * mix.skipped),
    }
    budget["passing"] = tests - sum(budget.values())
    made = dict.fromkeys(budget, 0)
    total = 0
    while total < tests:
        # The kind furthest behind its share comes next (a smooth, reproducible interleave).
        kind = min(
            (k for k in budget if made[k] < budget[k]),
            key=lambda k: made[k] / budget[k],
        )
        size = PARAMETRIZED_CASES if kind == "parametrized" else 1
        made[kind] += size
        total += size
        yield kind


def generate_suite(root: Path, tests: int, mix: Mix = Mix()) -> int:
    """Write ``tests`` tests into ``root`` over files of about TESTS_PER_FILE; return the
    number of files."""
    root.mkdir(parents=True, exist_ok=True)
    # Registered here, so that runs without the plugin (-p no:xray) warn about nothing.
    (root / "pytest.ini").write_text("[pytest]\nmarkers =\n    xray: pytest-xray marker\n")
    header = (
        "import pytest\n\n\n"
        "def check(value):\n"
        "    expected = value + 1\n"
        "    assert value == expected, 'benchmark failure'\n\n\n"
    )
    files: list[list[str]] = [[]]
    count = 0
    for key, kind in enumerate(_kinds(tests, mix), start=1):
        if count >= TESTS_PER_FILE:
            files.append([])
            count = 0
        files[-1].append(_test_source(key, kind))
        count += PARAMETRIZED_CASES if kind == "parametrized" else 1
    for number, sources in enumerate(files):
        (root / f"test_bench_{number:04d}.py").write_text(header + "\n\n".join(sources))
    return len(files)


# -- running one variant ---------------------------------------------------------------------


@dataclass
class Sample:
    """One run of one variant."""

    seconds: float
    cpu_seconds: float
    max_rss_kib: int
    exit_code: int
    output_bytes: int | None
    phases: dict[str, float] = field(default_factory=dict)


@dataclass
class Variant:
    """A way of running the suite, and its samples."""

    name: str
    args: list[str]
    output: Path | None
    env: dict[str, str] = field(default_factory=dict)
    samples: list[Sample] = field(default_factory=list)


def make_variants(work: Path, emulator_url: str, workers: int) -> list[Variant]:
    """The four variants, writing their files into ``work``."""
    junit, dry, sent = work / "junit.xml", work / "xray-dry-run.json", work / "xray-upload.json"
    upload_env = {"XRAY_URL": emulator_url, "XRAY_TOKEN": TOKEN, "XRAY_PROJECT": PROJECT}
    variants = [
        Variant("plain", ["-p", "no:xray"], None),
        Variant("junitxml", ["-p", "no:xray", f"--junitxml={junit}"], junit),
        Variant("dry-run", ["--xray", "--xray-dry-run", f"--xray-output={dry}"], dry),
        Variant("upload", ["--xray", f"--xray-output={sent}"], sent, upload_env),
    ]
    if workers:
        for variant in variants:
            variant.args[:0] = ["-n", str(workers)]
    return variants


def _child_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XRAY_")}
    # Bytecode caching on (pytest keeps the rewritten test modules), as on most machines.
    for name in ("PYTEST_ADDOPTS", "PYTHONDONTWRITEBYTECODE", "PYTEST_PLUGINS"):
        env.pop(name, None)
    env.update(extra)
    return env


def run_once(variant: Variant, suite: Path, work: Path) -> Sample:
    """Run pytest once for ``variant``; wall time and the child's own peak RSS."""
    log = work / f"{variant.name}.log"
    log.unlink(missing_ok=True)
    if variant.output is not None:
        variant.output.unlink(missing_ok=True)
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        f"--log-file={log}",
        "--log-file-level=DEBUG",
        *variant.args,
    ]
    with (work / f"{variant.name}.out").open("wb") as out:
        began = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=suite, stdout=out, stderr=subprocess.STDOUT, env=_child_env(variant.env)
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - began
    process.returncode = exit_code = os.waitstatus_to_exitcode(status)
    if exit_code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        text = (work / f"{variant.name}.out").read_text(errors="replace")
        raise SystemExit(f"{variant.name}: pytest exited {exit_code}:\n{text[-3000:]}")
    output = variant.output
    sample = Sample(
        seconds=seconds,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        max_rss_kib=usage.ru_maxrss,
        exit_code=exit_code,
        output_bytes=output.stat().st_size if output is not None and output.exists() else None,
    )
    if variant.name in ("dry-run", "upload"):
        sample.phases = _read_phases(log, variant.name)
    return sample


def _read_phases(log: Path, name: str) -> dict[str, float]:
    text = log.read_text(errors="replace") if log.exists() else ""
    found = PHASES.search(text)
    if found is None:
        raise SystemExit(f"{name}: the plugin logged no session-end timing in {log}")
    phases = {"total": float(found.group(1))}
    phases.update((m.group(1), float(m.group(2))) for m in PHASE.finditer(found.group(2)))
    if name == "upload" and "upload" not in phases:
        raise SystemExit(f"{name}: nothing was uploaded; see {log.with_suffix('.out')}")
    return phases


# -- the table -------------------------------------------------------------------------------

COLUMNS = (
    "variant",
    "median s",
    "range s",
    "x plain",
    "µs/test added",
    "CPU s",
    "CPU x plain",
    "peak RSS MiB",
    "+RSS MiB",
    "file MiB",
    "session end s",
    "build s",
    "write s",
    "upload s",
)


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _cell(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


@dataclass
class Row:
    """The medians of one variant."""

    name: str
    seconds: float
    low: float
    high: float
    """The fastest and slowest round: how much the machine's noise moved the median."""
    ratio: float
    added_us: float
    cpu_seconds: float
    cpu_ratio: float
    rss_mib: float
    added_rss_mib: float
    file_mib: float | None
    phases: dict[str, float]

    def cells(self) -> list[str]:
        phase = self.phases.get
        return [
            self.name,
            _cell(self.seconds, 2),
            f"{self.low:.2f} to {self.high:.2f}",
            _cell(self.ratio, 3),
            _cell(self.added_us, 1),
            _cell(self.cpu_seconds, 2),
            _cell(self.cpu_ratio, 3),
            _cell(self.rss_mib, 1),
            _cell(self.added_rss_mib, 1),
            _cell(self.file_mib, 2),
            _cell(phase("total"), 3),
            _cell(phase("build"), 3),
            _cell(phase("write"), 3),
            _cell(phase("upload"), 3),
        ]


def summarize(variants: Sequence[Variant], tests: int) -> list[Row]:
    """One row of medians per variant, relative to the first (``plain``)."""
    base_seconds = _median([s.seconds for s in variants[0].samples])
    base_cpu = _median([s.cpu_seconds for s in variants[0].samples])
    base_rss = _median([s.max_rss_kib / 1024 for s in variants[0].samples])
    rows = []
    for variant in variants:
        walls = [s.seconds for s in variant.samples]
        seconds = _median(walls)
        cpu = _median([s.cpu_seconds for s in variant.samples])
        rss = _median([s.max_rss_kib / 1024 for s in variant.samples])
        sizes = [s.output_bytes for s in variant.samples if s.output_bytes is not None]
        names = {name for s in variant.samples for name in s.phases}
        phases = {
            n: _median([s.phases[n] for s in variant.samples if n in s.phases]) for n in names
        }
        rows.append(
            Row(
                name=variant.name,
                seconds=seconds,
                low=min(walls),
                high=max(walls),
                ratio=seconds / base_seconds,
                added_us=(seconds - base_seconds) / tests * 1e6,
                cpu_seconds=cpu,
                cpu_ratio=cpu / base_cpu,
                rss_mib=rss,
                added_rss_mib=rss - base_rss,
                file_mib=_median(sizes) / 2**20 if sizes else None,
                phases=phases,
            )
        )
    return rows


def markdown_table(rows: Sequence[Row]) -> str:
    """The rows as a Markdown table (pasted as is into the README)."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines.extend("| " + " | ".join(row.cells()) + " |" for row in rows)
    return "\n".join(lines)


def target_lines(rows: Sequence[Row], tests: int) -> list[str]:
    """The README's targets, checked on this run (those that depend on N say at which N)."""
    by = {row.name: row for row in rows}
    lines = []

    def check(label: str, met: bool | None, detail: str) -> None:
        verdict = "n/a" if met is None else ("met" if met else "NOT met")
        lines.append(f"- {label}: {verdict} ({detail})")

    dry, junit = by.get("dry-run"), by.get("junitxml")
    if dry is not None:
        check("dry-run <= 1.03 x plain", dry.ratio <= 1.03, f"{dry.ratio:.3f} at {tests} tests")
        if junit is not None:
            check(
                "dry-run <= junitxml",
                dry.seconds <= junit.seconds,
                f"{dry.seconds:.2f} s vs {junit.seconds:.2f} s",
            )
        end = dry.phases.get("total")
        if end is not None:
            check("session end <= 1 s (at 100 000)", end <= 1.0, f"{end:.3f} s at {tests}")
        check(
            "peak RSS <= plain + 60 MiB (at 100 000)",
            dry.added_rss_mib <= 60,
            f"+{dry.added_rss_mib:.1f} MiB at {tests}",
        )
    upload = by.get("upload")
    if upload is not None and "upload" in upload.phases:
        seconds = upload.phases["upload"]
        check("upload <= 10 s (at 100 000)", seconds <= 10, f"{seconds:.3f} s at {tests}")
    return lines


def machine() -> str:
    """Cores, OS, Python and the versions that matter."""
    versions = [f"Python {platform.python_version()}", f"pytest {pytest.__version__}"]
    try:
        import xdist

        versions.append(f"pytest-xdist {xdist.__version__}")
    except ImportError:
        pass
    cores = os.cpu_count()
    return f"{cores} cores, {platform.system()} {platform.machine()}, " + ", ".join(versions)


# -- main ------------------------------------------------------------------------------------


@contextmanager
def _workdir(keep: bool) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="pytest-xray-bench-"))
    try:
        yield path
    finally:
        if keep:
            print(f"kept {path}", file=sys.stderr)
        else:
            shutil.rmtree(path, ignore_errors=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", type=int, default=20_000, help="number of tests (20000)")
    parser.add_argument("--rounds", type=int, default=5, help="timed runs per variant (5)")
    parser.add_argument(
        "-n", dest="workers", type=int, default=0, help="pytest-xdist workers for every variant"
    )
    parser.add_argument(
        "--variant",
        dest="variants",
        action="append",
        choices=VARIANTS,
        help="run only these variants (repeatable; plain always runs, as the baseline)",
    )
    parser.add_argument(
        "--validate-schema",
        choices=("auto", "on", "off"),
        default="auto",
        help=f"the emulator validates payloads: auto = up to {SCHEMA_LIMIT} tests",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 200 tests, 1 round")
    parser.add_argument("--keep", action="store_true", help="keep the generated suite and logs")
    args = parser.parse_args(argv)
    if args.quick:
        args.tests, args.rounds = 200, 1
    if args.tests < 100 or args.rounds < 1:
        parser.error("--tests must be at least 100 and --rounds at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    validate = args.validate_schema == "on" or (
        args.validate_schema == "auto" and args.tests <= SCHEMA_LIMIT
    )
    wanted = {"plain", *(args.variants or VARIANTS)}
    emulator = XrayEmulator(flavor="server", tokens={TOKEN}, validate_schema=validate)
    with _workdir(args.keep) as work, emulator:
        suite = work / "suite"
        files = generate_suite(suite, args.tests)
        variants = [v for v in make_variants(work, emulator.url, args.workers) if v.name in wanted]
        print(
            f"pytest-xray overhead: {args.tests} tests in {files} files, {args.rounds} rounds"
            f"{f', -n {args.workers}' if args.workers else ''}; {machine()}; emulator schema "
            f"validation {'on' if validate else 'off'}",
            flush=True,
        )
        run_once(variants[0], suite, work)  # warm-up: byte-compiles and rewrites the suite
        for round_number in range(args.rounds):
            # Interleaved, each round starting one variant later, so drift hits all alike.
            shift = round_number % len(variants)
            for variant in variants[shift:] + variants[:shift]:
                variant.samples.append(run_once(variant, suite, work))
                emulator.reset()  # the emulator keeps every import in memory otherwise
            print(f"round {round_number + 1}/{args.rounds} done", file=sys.stderr, flush=True)
        rows = summarize(variants, args.tests)
    print(markdown_table(rows))
    print("\ntargets:")
    print("\n".join(target_lines(rows, args.tests)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
