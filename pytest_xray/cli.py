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
"""

from __future__ import annotations

import argparse
import functools
import glob
import logging
import os
import re
import shlex
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import pytest

from pytest_xray.answers import ImportResult
from pytest_xray.ci import outcome_record, write_ci_files
from pytest_xray.client import XrayClient
from pytest_xray.errors import UncertainError, XrayError
from pytest_xray.junit import JUnitError, is_xml, read_junit
from pytest_xray.merge import CLOUD, SERVER, MergeError, merge_reports, read_inputs, written_for
from pytest_xray.options import add_options
from pytest_xray.payload import build_payload, format_time, status_ranks
from pytest_xray.progress import Progress, ProgressFile, progress_path
from pytest_xray.publish import INTERRUPTED, PublishResult, internal_error
from pytest_xray.report import ReportError, read_report, write_report
from pytest_xray.settings import Settings, resolve
from pytest_xray.upload import PartialUploadError, send_payload

__all__ = ["load_settings", "main"]

logger = logging.getLogger("pytest_xray")


def load_settings(pytest_args: Sequence[str]) -> Settings:
    """Resolve settings as a pytest run with ``--xray`` and ``pytest_args`` would."""
    config = _read_config(pytest_args)
    try:
        stray = config.getoption("file_or_dir")  # a value after an --xray-... flag
        if stray:
            raise pytest.UsageError(f"unrecognized arguments: {' '.join(stray)}")
        return resolve(config, check_upload=False)
    finally:
        config._ensure_unconfigure()


_CONFIG_ARGS = (
    "--xray",
    # The project's conftest.py files and other plugins are not needed to read settings, and
    # a resend step in CI often lacks the tests' dependencies that they import.
    "--noconftest",
    "-p",
    "pytest_xray.plugin",
    "-p",
    "no:cacheprovider",
    # A config-time warning (a deprecation) is no reason to stop, whatever filterwarnings says.
    "-p",
    "no:warnings",
    # Plugin autoload is off (_read_config), so the plugins the ini requires are not loaded.
    "-o",
    "required_plugins=",
)


def _read_config(pytest_args: Sequence[str]) -> pytest.Config:
    """pytest's configuration for ``pytest_args`` (``--xray-*``, ``-c``, ``--rootdir``), with
    only pytest-xray loaded: the ini file, ``addopts`` and ``PYTEST_ADDOPTS`` are read as a run
    reads them, keeping of ``addopts`` only the ``--xray-*`` options (the others may belong to
    plugins or conftest files not loaded here). A failure is one line (:class:`UsageError`)."""
    # pytest's own configuration machinery reads the ini file and our options, so the
    # command and the plugin can never disagree about a setting.
    options, others = xray_options(pytest_args)
    pytest_args = [*others, *options]
    args = [*_CONFIG_ARGS, *pytest_args]
    with _autoload_disabled():
        config = _parse_config(args)
        extra = [
            *_xray_args(config.getini("addopts")),
            *_xray_args(shlex.split(os.environ.get("PYTEST_ADDOPTS", ""))),
        ]
        if extra:  # as pytest orders them: the ini's, the environment's, the command line's
            config._ensure_unconfigure()
            config = _parse_config([*_CONFIG_ARGS, *extra, *pytest_args])
    return config


def _parse_config(args: list[str]) -> pytest.Config:
    from _pytest.config import get_config

    try:
        config = get_config(list(args))
    except Exception as error:
        raise _config_error(error) from None
    try:
        config.parse(list(args), addopts=False)  # addopts: see _read_config
    except BaseException as error:
        config._ensure_unconfigure()
        if isinstance(error, Exception):
            raise _config_error(error) from None
        raise
    return config


def _config_error(error: Exception) -> pytest.UsageError:
    """One line: pytest's parser says ``usage: ...``, then the error, then the ini file."""
    text = str(error)
    if isinstance(error, pytest.UsageError):
        said = re.findall(r"error: (.+)", text)
        return pytest.UsageError(said[-1].strip() if said else " ".join(text.split()))
    cause = error.__cause__
    if cause is not None and str(cause) not in text:  # PluginImportFailure: the plugin's name
        text = f"{text}: {type(cause).__name__}: {cause}"
    return pytest.UsageError(
        f"cannot read the pytest configuration: {type(error).__name__}: {' '.join(text.split())}"
    )


@contextmanager
def _autoload_disabled() -> Iterator[None]:
    """No plugin but pytest-xray (given with ``-p``) while the configuration is read."""
    name = "PYTEST_DISABLE_PLUGIN_AUTOLOAD"
    before = os.environ.get(name)
    os.environ[name] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def _xray_args(args: Sequence[str]) -> list[str]:
    """The ``--xray-*`` options in ``args`` (``addopts``), as :func:`xray_options` gives them."""
    return xray_options(args)[0]


def xray_options(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """``args`` split into the ``--xray-*`` options, each with its value joined as
    ``--xray-url=URL``, and the other arguments. Joined, a value is never taken for a test path
    by pytest's early search for the ini file, which runs before plugin options are known (a
    path there makes it look for the ini file beside that path)."""
    options: list[str] = []
    others: list[str] = []
    rest = iter(args)
    for arg in rest:
        if not arg.startswith("--xray"):
            others.append(arg)
        elif _takes_value(arg):
            value = next(rest, None)
            options.append(arg if value is None else f"{arg}={value}")  # None: pytest says so
        else:
            options.append(arg)
    return options, others


class _OptionRecorder:
    """Stands in for pytest's parser to learn which options :func:`add_options` defines."""

    def __init__(self) -> None:
        self.with_value: set[str] = set()
        self.flags: set[str] = set()

    def getgroup(self, *args: object, **kwargs: object) -> _OptionRecorder:
        return self

    def addoption(self, *names: str, **attrs: Any) -> None:
        flag = attrs.get("action") in ("store_true", "store_false", "count")
        (self.flags if flag else self.with_value).update(names)

    def addini(self, *args: object, **kwargs: object) -> None:
        pass


@functools.cache
def _options() -> _OptionRecorder:
    recorder = _OptionRecorder()
    add_options(cast(pytest.Parser, recorder))
    return recorder


def _takes_value(arg: str) -> bool:
    """``--xray-url`` (and every option with a value) without its ``=VALUE``."""
    return arg in _options().with_value


def _say(text: str) -> None:
    print(f"pytest-xray: {text}", file=sys.stderr, flush=True)


def _dry_run(path: Path, settings: Settings, what: str) -> int:
    where = f" to {settings.url}" if settings.url else ""
    print(f"dry run, nothing sent: {path} ({what}) is not uploaded{where}")
    return 0


@dataclass
class _Job:
    """One ``upload`` command: what it did, for the result file and the GitHub job summary."""

    settings: Settings
    rest: Sequence[str]
    """The ``--xray-*`` options given, repeated by the resend command."""
    outcome: PublishResult = field(default_factory=PublishResult)
    client: XrayClient | None = None
    """The client once made: it knows the secrets it learnt (a Cloud token), to scrub."""
    resend: list[str] | None = None
    """The command that sends again what did not land, once a request may have been made."""
    progress: ProgressFile | None = None

    def count(self, payload: dict[str, Any]) -> None:
        """Take the numbers of the summary from the report about to be sent."""
        tests = [test for test in payload["tests"] if isinstance(test, dict)]
        self.outcome.tests = len(payload["tests"])
        self.outcome.results = sum(len(test.get("iterations") or ()) or 1 for test in tests)
        statuses = (test.get("status") for test in tests)
        self.outcome.statuses = Counter(s for s in statuses if isinstance(s, str))

    def resend_lines(self) -> list[str]:
        """As a pytest run's summary says it: the resend command, or the two choices when a
        create may have made an execution; empty when nothing is to resend."""
        if self.resend is None or not self.outcome.failed:
            return []
        command = shlex.join(self.resend)
        if self.outcome.uncertain is None:
            return [f"resend it with: {command}"]
        return [
            f"look in Jira for a Test Execution {self.outcome.uncertain} created by the "
            "upload that got no answer: Xray may have created it",
            f"if it is there, send the results into it: {command} --xray-execution KEY",
            f"if not, resend as a new one: {command} --new-execution",
        ]

    def creating(self) -> bool:
        """Whether a create was sent that got no answer: an execution may exist."""
        if self.progress is None:
            return False
        state = self.progress.load(self.outcome.tests)
        return state.execution is None and state.creating_since is not None

    def choices(self, args: argparse.Namespace, rest: Sequence[str]) -> str:
        """What to do after a create without an answer, with the command as it was given
        (``--format junit`` included), or the converted report's."""
        command = shlex.join(self.resend or ["pytest-xray", "upload", str(args.file), *rest])
        return (
            "look in Jira for a Test Execution created then; if it is there: "
            f"{command} --xray-execution KEY; if not: {command} --new-execution"
        )

    def write_ci_files(self) -> None:
        """The result file and the GitHub Actions summary and outputs; a problem is a line."""
        record = outcome_record(self.outcome, resend=self.resend_lines())
        for problem in write_ci_files(record, self.settings.result_file):
            _say(problem)


def _upload(path: Path, job: _Job, new_execution: bool) -> int:
    settings = job.settings
    payload = read_report(path)
    job.outcome.report_path = path
    job.count(payload)
    if settings.dry_run:
        count = job.outcome.tests
        return _dry_run(path, settings, "1 Xray test" if count == 1 else f"{count} Xray tests")
    if not settings.upload:
        raise XrayError("no Xray URL configured: pass --xray-url URL or set XRAY_URL.")
    _check_product(path, payload, settings)
    for warning in settings.warnings:
        _say(f"WARNING: {warning}")
    if settings.execution is not None:
        payload["testExecutionKey"] = settings.execution
    job.progress = progress = ProgressFile(path)
    job.resend = ["pytest-xray", "upload", str(path), *job.rest]
    try:
        with XrayClient(settings, notify=_say) as client:
            job.client = client
            try:
                upload = send_payload(
                    client, payload, progress, new_execution=new_execution, announce=_say
                )
            except PartialUploadError as error:
                job.outcome.partial = error.upload.as_import_result()
                job.outcome.unsent = error.upload.unsent
                job.outcome.browse_url = client.browse_url(error.upload.key)
                for key, message in error.upload.failed:
                    print(f"not recorded by Xray: {key}: {message}", file=sys.stderr)
                raise
            link = client.browse_url(upload.key) if upload.key else None
    finally:
        if progress.error:
            _say(progress.error)
            job.outcome.progress_error = progress.error
    job.outcome.requests = upload.requests
    job.outcome.browse_url = link
    if upload.key:
        job.outcome.uploaded = upload.as_import_result()
    # No key only for a report sent whole by an older pytest-xray, which did not record it.
    where = f"Test Execution {upload.key}" + (f": {link}" if link else "") if upload.key else "Xray"
    if upload.requests == 0:
        print(f"nothing to send: every result of {path} is already in {where}")
    else:
        skipped = f" ({upload.skipped} sent before)" if upload.skipped else ""
        results = "1 result" if upload.sent == 1 else f"{upload.sent} results"
        print(f"uploaded {results} of {path}{skipped} to {where}")
    for key, message in upload.failed:
        print(f"not recorded by Xray: {key}: {message}", file=sys.stderr)
    return 1 if upload.failed else 0


def _check_product(path: Path, payload: dict[str, Any], settings: Settings) -> None:
    """Refuse a report written for the other product: Xray Cloud shows Server's PASS / FAIL as
    TODO without a word (shards that forgot XRAY_CLOUD), Server refuses Cloud's names."""
    found = written_for(payload)
    target = CLOUD if settings.cloud else SERVER
    if found is not None and found[0] != target:
        product, marker = found
        raise pytest.UsageError(
            f"{path} was written for {product} ({marker}) but would go to {target}; write it "
            f"with the settings of {target} (XRAY_CLOUD={str(settings.cloud).lower()}), or send "
            f"it to {product}."
        )


def _check_target(settings: Settings) -> None:
    if settings.execution is None and settings.project is None:
        raise pytest.UsageError(
            "a new Test Execution needs a project: pass --xray-project KEY (or XRAY_PROJECT), "
            "or --xray-execution KEY to add to an existing one."
        )


def converted_path(path: Path, settings: Settings) -> Path:
    """Where the Xray JSON converted from a JUnit file goes: ``--xray-output``, else beside
    it (``results.xml`` -> ``results.xray.json``), so that it can be resent like any report."""
    return settings.output or path.with_name(f"{path.stem}.xray.json")


def _upload_junit(
    path: Path, job: _Job, key_from: re.Pattern[str] | None, new_execution: bool
) -> int:
    """Convert a JUnit XML file to Xray JSON (see :mod:`pytest_xray.junit`), save it, send it."""
    settings = job.settings
    _check_target(settings)
    run = read_junit(path, key_from, create_tests=settings.create_tests)
    if settings.summary is None and settings.execution is None:
        start = format_time(run.execution.start)
        settings = replace(settings, summary=f"Test results from {path.name}, run at {start}")
    payload = build_payload(run.execution, settings)
    left_out = f"; {run.unkeyed} without an Xray key left out" if run.unkeyed else ""
    job.outcome.unmarked = run.unkeyed
    print(
        f"read {run.testcases} testcases from {path}: {len(run.execution.results)} results "
        f"for {len(payload['tests'])} Xray tests{left_out}"
    )
    if not payload["tests"]:
        raise JUnitError(
            f"{path}: no testcase has an Xray key (a test_key property); "
            "--key-from REGEX finds keys in the testcase names."
        )
    report = write_report(payload, converted_path(path, settings))
    print(f"report written to {report}")
    if settings.dry_run:
        job.outcome.report_path = report
        job.count(payload)
        print("dry run, nothing sent")
        return 0
    return _upload(report, job, new_execution)


def _upload_junit_native(path: Path, job: _Job, new_execution: bool) -> int:
    """Send a JUnit XML file as it is to Xray's JUnit endpoint (Xray's own mapping)."""
    settings = job.settings
    _check_target(settings)
    run = read_junit(path)  # a malformed file fails here with its line, not with Xray's message
    # Xray maps the testcases itself: each is a result of its own Test.
    job.outcome.report_path = path
    job.outcome.results = job.outcome.tests = run.testcases
    if settings.dry_run:
        return _dry_run(path, settings, f"{run.testcases} testcases, for the JUnit endpoint")
    if not settings.upload:
        raise XrayError("no Xray URL configured: pass --xray-url URL or set XRAY_URL.")
    try:
        xml = path.read_bytes()
    except OSError as error:
        raise ReportError(f"cannot read {path}: {error.strerror or error}") from None
    ignored = [
        name
        for name, value in (
            ("summary", settings.summary),
            ("description", settings.description),
            ("xray_execution_fields", settings.execution_fields),
        )
        if value
    ]
    if ignored:
        _say(
            f"note: Xray's JUnit endpoint takes no {', '.join(ignored)}; "
            "not sent with --format junit (the default --format json sends them)."
        )
    for warning in settings.warnings:
        _say(f"WARNING: {warning}")
    job.resend = ["pytest-xray", "upload", str(path), "--format", "junit", *job.rest]
    job.progress = progress = ProgressFile(path)
    try:
        return _send_junit(path, xml, job, progress, new_execution)
    finally:
        if progress.error:
            _say(progress.error)
            job.outcome.progress_error = progress.error


def _send_junit(
    path: Path, xml: bytes, job: _Job, progress: ProgressFile, new_execution: bool
) -> int:
    """One request, as :func:`send_payload` makes them: a create is recorded before it goes and
    never repeated blindly; once the execution is known, a resend imports into it again."""
    settings = job.settings
    total = job.outcome.tests
    state = progress.load(total)
    key = _junit_execution(path, settings, state, progress, new_execution)
    if key is not None and key == state.execution and state.done:
        job.outcome.uploaded = ImportResult(key=key)
        with XrayClient(settings, notify=_say) as client:
            job.outcome.browse_url = link = client.browse_url(key)
        where = f"Test Execution {key}" + (f": {link}" if link else "")
        print(f"nothing to send: every result of {path} is already in {where}")
        return 0
    with XrayClient(replace(settings, execution=key), notify=_say) as client:
        job.client = client
        state.url, state.execution = client.base, key
        if key is None:
            state.mark_creating()
        progress.save(state)
        try:
            result = client.import_junit(xml, path.name)
        except UncertainError:
            raise  # the mark stays: a resend must not create blindly
        except XrayError:
            state.creating_since = None  # surely nothing was created
            progress.save(state)
            raise
        link = client.browse_url(result.key)
    # Xray's JUnit answer names no testcase of the file: with one not recorded, all go again.
    state.execution, state.creating_since = result.key, None
    state.sent = 0 if result.failed else total
    progress.save(state)
    job.outcome.uploaded, job.outcome.browse_url, job.outcome.requests = result, link, 1
    print(f"uploaded {path} to Test Execution {result.key}" + (f": {link}" if link else ""))
    for failed, message in result.failed:
        print(f"not recorded by Xray: {failed}: {message}", file=sys.stderr)
    return 1 if result.failed else 0


def _junit_execution(
    path: Path, settings: Settings, state: Progress, progress: ProgressFile, new_execution: bool
) -> str | None:
    """The Test Execution a JUnit file goes to: as given, else as its progress records (an
    earlier upload of it); ``None`` to create one, unless an earlier create got no answer."""
    if state.execution is not None:
        if settings.execution is not None and settings.execution != state.execution:
            raise XrayError(
                f"{path} was already sent to Test Execution {state.execution}; resend it there "
                f"(without --xray-execution), or delete {progress.path} to start over."
            )
        if state.url is not None and state.url != settings.url:
            raise XrayError(
                f"{path} was sent to {state.url} (Test Execution {state.execution}), not "
                f"{settings.url}; resend it there."
            )
        return state.execution
    if settings.execution is not None:
        return settings.execution
    if state.creating_since is not None and not new_execution:
        raise UncertainError(
            f"an earlier upload of {path} got no answer when creating a Test Execution "
            f"({state.creating_since}), so one may exist"
        )
    earlier = progress.earlier
    if earlier is not None and earlier.creating_since is not None and earlier.execution is None:
        _say(
            f"WARNING: {path} changed since an upload of it got no answer when creating a Test "
            f"Execution ({earlier.creating_since}); Xray may have created one, and this upload "
            "creates another"
        )
    return None


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
        _say(f"note: {output} is the output, not merged into itself.")
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


def _config_args(args: argparse.Namespace) -> list[str]:
    """``-c FILE`` and ``--rootdir DIR`` as given, for pytest and for the resend command."""
    given = [("-c", args.config_file), ("--rootdir", args.rootdir)]
    return [part for option, value in given if value is not None for part in (option, value)]


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
    job = _Job(load_settings(rest), rest)
    try:
        status = _send_file(args, job, key_from)
    except UncertainError as error:
        job.outcome.error, job.outcome.uncertain = str(error), "in your project"
        _say(f"error: {error}")
        _say(job.choices(args, rest))
        return 1
    except KeyboardInterrupt:
        # Ctrl-C while waiting for Xray: say what to do next, and write the CI files.
        job.outcome.error = INTERRUPTED
        _say(f"error: {INTERRUPTED}")
        if job.creating():
            job.outcome.uncertain = "in your project"
            _say(job.choices(args, rest))
        elif job.resend is not None:
            _say(f"resend it with: {shlex.join(job.resend)}")
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


def _send_file(args: argparse.Namespace, job: _Job, key_from: re.Pattern[str] | None) -> int:
    if not is_xml(args.file):
        if args.format == "junit" or key_from is not None:
            option = "--format junit" if args.format == "junit" else "--key-from"
            raise pytest.UsageError(f"{option} is for JUnit XML files; {args.file} is not XML.")
        return _upload(args.file, job, args.new_execution)
    if args.format == "junit":
        if key_from is not None:
            raise pytest.UsageError(
                "--key-from needs the Xray JSON conversion; with --format junit Xray reads "
                "the file itself (keys only from test_key properties)."
            )
        return _upload_junit_native(args.file, job, args.new_execution)
    return _upload_junit(args.file, job, key_from, args.new_execution)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pytest-xray`` console script; returns the exit status."""
    parser = build_parser()
    args, given = parser.parse_known_args(argv)
    # Both commands take --xray-* settings, as --xray-url=URL or --xray-url URL, which pytest's
    # own parser reads (load_settings) once joined as --xray-url=URL.
    options, unknown = xray_options(given)
    if unknown:
        _say(f"error: unrecognized arguments: {' '.join(unknown)}")
        return 2
    rest = [*_config_args(args), *options]
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
        _say("interrupted")
        return 130
