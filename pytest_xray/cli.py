"""The ``pytest-xray`` command (also ``python -m pytest_xray``).

``pytest-xray upload FILE [--xray-... options]`` sends a saved report, or a JUnit XML file
(converted to Xray JSON, or as-is to Xray's JUnit endpoint with ``--format junit``). Settings
come exactly as in a pytest run: the ``--xray-*`` options given after the file, then ``XRAY_*``
environment variables, then the ini file of the current directory (or of ``-c FILE``); no
``conftest.py`` is imported and no other plugin loaded. Progress is kept beside the report
(``FILE.progress.json``), so running it again sends only what Xray does not have yet.

After an upload (also a failed one) it writes the outcome as a pytest run does: the
``--xray-result-file`` JSON, and in GitHub Actions the job summary and step outputs.

``pytest-xray merge FILE... -o OUT`` merges the reports of CI shards into one report.

This module parses the command line and runs the commands; the settings come from
:mod:`pytest_xray.cli_settings`, a JSON report is sent by :mod:`pytest_xray.cli_upload` and a
JUnit XML file by :mod:`pytest_xray.cli_junit`.
"""

from __future__ import annotations

import argparse
import functools
import glob
import logging
import re
import shlex
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from pytest_xray.cli_junit import upload_junit, upload_junit_native
from pytest_xray.cli_settings import config_args, load_settings, xray_options
from pytest_xray.cli_upload import Job, say, upload_report
from pytest_xray.errors import UncertainError, XrayError
from pytest_xray.junit import JUnitError, is_xml
from pytest_xray.merge import MergeError, merge_reports, read_inputs
from pytest_xray.payload import status_ranks
from pytest_xray.progress import progress_path
from pytest_xray.publish import INTERRUPTED, internal_error
from pytest_xray.report import ReportError, write_report

__all__ = ["load_settings", "main"]

logger = logging.getLogger("pytest_xray")

PROGRESS_SUFFIX = progress_path(Path("x")).name.removeprefix("x")
"""How upload progress files end (``.progress.json``)."""


def expand(patterns: Sequence[str]) -> list[Path]:
    """The files named by ``patterns``, globs expanded here for shells that do not (cmd.exe),
    each file once, in the order given (matches of one glob sorted; upload progress files,
    ``*.progress.json``, are not reports)."""
    paths: list[Path] = []
    for pattern in patterns:
        if any(c in pattern for c in "*?[") and not Path(pattern).exists():
            found = glob.glob(pattern, recursive=True)
            matches = sorted(m for m in found if not m.endswith(PROGRESS_SUFFIX))
            if not matches:
                raise MergeError(f"no file matches {pattern}.")
            paths.extend(Path(m) for m in matches)
        else:
            paths.append(Path(pattern))
    unique: dict[Path, Path] = {}
    for path in paths:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def _merge(
    patterns: Sequence[str], output: Path, key_from: re.Pattern[str] | None, rest: Sequence[str]
) -> int:
    paths = expand(patterns)
    kept = [p for p in paths if p.resolve() != output.resolve()]
    if len(kept) < len(paths):
        say(f"note: {output} is the output, not merged into itself.")
    settings = functools.cache(lambda: load_settings(rest))
    inputs = read_inputs(kept, settings, key_from, print)
    # The status settings rank custom statuses (--xray-status failed=BROKEN) as a run does.
    merged = merge_reports(inputs, status_ranks(settings().statuses))
    write_report(merged, output)
    reports, tests = len(kept), len(merged["tests"])
    print(
        f"merged {reports} report{'s' * (reports != 1)} ({tests} Xray test{'s' * (tests != 1)}) "
        f"into {output}"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pytest-xray", description="Send pytest results to Xray (Jira test management)."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    upload = commands.add_parser(
        "upload",
        help="send a saved Xray JSON report or a JUnit XML file",
        description="Send a report written by `pytest --xray` (--xray-output, or the copy saved "
        "when an upload failed), or a JUnit XML file. Any --xray-* option of pytest may follow "
        "the file.",
    )
    upload.add_argument("file", type=Path, help="the Xray JSON report or JUnit XML file")
    upload.add_argument(
        "--format",
        choices=("json", "junit"),
        default="json",
        help="JUnit XML only: json (default) converts it to Xray JSON; junit sends it as it is "
        "to Xray's JUnit endpoint (Xray's own mapping).",
    )
    upload.add_argument(
        "--key-from",
        metavar="REGEX",
        default=None,
        help="JUnit XML only: find Xray keys in testcase names that have no test_key property "
        "(the first group of the pattern, or the whole match).",
    )
    upload.add_argument(
        "--new-execution",
        action="store_true",
        help="create a new Test Execution even though an earlier attempt got no answer and "
        "may have created one (check Jira first; else use --xray-execution KEY)",
    )
    upload.add_argument(
        "--debug",
        action="store_true",
        help="print pytest-xray's debug log on stderr, with the traceback of an internal error",
    )
    _add_config_options(upload)
    merge = commands.add_parser(
        "merge",
        help="merge the reports of CI shards into one",
        description="Merge Xray JSON reports (--xray-output of each shard) into one report for "
        "one Test Execution: tests of the same key become iterations. Globs are expanded.",
    )
    merge.add_argument("files", nargs="+", metavar="FILE", help="reports (or globs) to merge")
    merge.add_argument(
        "-o", "--output", type=Path, required=True, help="where to write the merged report"
    )
    merge.add_argument(
        "--key-from",
        metavar="REGEX",
        default=None,
        help="JUnit XML inputs only: find Xray keys in testcase names (as for upload).",
    )
    _add_config_options(merge)
    return parser


def _add_config_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "-c",
        "--config-file",
        metavar="FILE",
        default=None,
        help="read the settings of this pytest ini file (pytest's -c), not of the one found "
        "from the current directory",
    )
    command.add_argument(
        "--rootdir",
        metavar="DIR",
        default=None,
        help="pytest's root directory (pytest's --rootdir)",
    )


def _key_pattern(text: str | None) -> re.Pattern[str] | None:
    if text is None:
        return None
    try:
        return re.compile(text)
    except re.error as error:
        raise pytest.UsageError(
            f"--key-from {text!r} is not a regular expression: {error}"
        ) from None


@contextmanager
def _debug_log(enabled: bool) -> Iterator[None]:
    """pytest-xray's own debug log on stderr (not urllib3's) while the command runs."""
    if not enabled:
        yield
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s: %(levelname)s: %(message)s"))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _run_upload(args: argparse.Namespace, rest: Sequence[str]) -> int:
    with _debug_log(args.debug):
        return _upload_command(args, rest)


def _upload_command(args: argparse.Namespace, rest: Sequence[str]) -> int:
    if any(arg.split("=", 1)[0] == "--xray-check" for arg in rest):
        raise pytest.UsageError(
            "--xray-check checks the keys of a pytest run before its tests run; "
            "pytest-xray upload sends results that exist, and Xray names the keys it refuses."
        )
    key_from = _key_pattern(args.key_from)
    job = Job(load_settings(rest), rest)
    try:
        status = _send_file(args, job, key_from)
    except UncertainError as error:
        job.outcome.error, job.outcome.uncertain = str(error), "in your project"
        say(f"error: {error}")
        say(job.choices(args, rest))
        return 1
    except KeyboardInterrupt:
        # Ctrl-C while waiting for Xray: say what to do next, and write the CI files.
        job.outcome.error = INTERRUPTED
        say(f"error: {INTERRUPTED}")
        if job.creating():
            job.outcome.uncertain = "in your project"
            say(job.choices(args, rest))
        elif job.resend is not None:
            say(f"resend it with: {shlex.join(job.resend)}")
        return 130
    except (pytest.UsageError, ReportError, XrayError, JUnitError) as error:
        job.outcome.error = str(error)
        raise
    except Exception as error:
        # A bug, or an answer nobody foresaw: one line, as the session end says it; the
        # traceback goes to the debug log. Never a secret: the message is scrubbed.
        logger.debug("pytest-xray: internal error while uploading", exc_info=True)
        job.outcome.error = internal_error(error, job.settings)
        print(f"pytest-xray: error: {job.outcome.error}", file=sys.stderr)
        if job.creating():
            job.outcome.uncertain = "in your project"
        return 1
    finally:
        job.write_ci_files()
    return status


def _send_file(args: argparse.Namespace, job: Job, key_from: re.Pattern[str] | None) -> int:
    if not is_xml(args.file):
        if args.format == "junit" or key_from is not None:
            option = "--format junit" if args.format == "junit" else "--key-from"
            raise pytest.UsageError(f"{option} is for JUnit XML files; {args.file} is not XML.")
        return upload_report(args.file, job, args.new_execution)
    if args.format == "junit":
        if key_from is not None:
            raise pytest.UsageError(
                "--key-from needs the Xray JSON conversion; with --format junit Xray reads "
                "the file itself (keys only from test_key properties)."
            )
        return upload_junit_native(args.file, job, args.new_execution)
    return upload_junit(args.file, job, key_from, args.new_execution)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pytest-xray`` console script; returns the exit status."""
    parser = build_parser()
    args, given = parser.parse_known_args(argv)
    # Both commands take --xray-* settings, as --xray-url=URL or --xray-url URL, which pytest's
    # own parser reads (load_settings) once joined as --xray-url=URL.
    options, unknown = xray_options(given)
    if unknown:
        say(f"error: unrecognized arguments: {' '.join(unknown)}")
        return 2
    rest = [*config_args(args), *options]
    try:
        if args.command == "merge":
            return _merge(args.files, args.output, _key_pattern(args.key_from), rest)
        return _run_upload(args, rest)
    except pytest.UsageError as error:
        # A settings error already starts with "pytest-xray: " (it is also pytest's message).
        text = str(error).removeprefix("pytest-xray: ")
        print(f"pytest-xray: error: {text}", file=sys.stderr)
        return 2
    except (ReportError, XrayError, JUnitError, MergeError) as error:
        print(f"pytest-xray: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # before or after an upload (which says more)
        say("interrupted")
        return 130
