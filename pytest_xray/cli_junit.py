"""``pytest-xray upload`` of a JUnit XML file.

By default (``--format json``) the file is converted to Xray JSON (:mod:`pytest_xray.junit`),
saved beside it (:func:`converted_path`) and sent as any report (:func:`upload_report`). With
``--format junit`` it goes as it is to Xray's JUnit endpoint in one request, recorded in its
progress file as :func:`~pytest_xray.upload.send_payload` records them: a create is never
repeated blindly.
"""

from __future__ import annotations

import re
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from pytest_xray.answers import ImportResult
from pytest_xray.cli_upload import Job, dry_run, say, upload_report
from pytest_xray.client import XrayClient
from pytest_xray.errors import UncertainError, XrayError
from pytest_xray.junit import JUnitError, read_junit
from pytest_xray.payload import build_payload, format_time
from pytest_xray.progress import Progress, ProgressFile
from pytest_xray.report import ReportError, write_report
from pytest_xray.settings import Settings

__all__ = ["converted_path", "upload_junit", "upload_junit_native"]


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


def upload_junit(
    path: Path, job: Job, key_from: re.Pattern[str] | None, new_execution: bool
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
    return upload_report(report, job, new_execution)


def upload_junit_native(path: Path, job: Job, new_execution: bool) -> int:
    """Send a JUnit XML file as it is to Xray's JUnit endpoint (Xray's own mapping)."""
    settings = job.settings
    _check_target(settings)
    run = read_junit(path)  # a malformed file fails here with its line, not with Xray's message
    # Xray maps the testcases itself: each is a result of its own Test.
    job.outcome.report_path = path
    job.outcome.results = job.outcome.tests = run.testcases
    if settings.dry_run:
        return dry_run(path, settings, f"{run.testcases} testcases, for the JUnit endpoint")
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
        say(
            f"note: Xray's JUnit endpoint takes no {', '.join(ignored)}; "
            "not sent with --format junit (the default --format json sends them)."
        )
    for warning in settings.warnings:
        say(f"WARNING: {warning}")
    job.resend = ["pytest-xray", "upload", str(path), "--format", "junit", *job.rest]
    job.progress = progress = ProgressFile(path)
    try:
        return _send_junit(path, xml, job, progress, new_execution)
    finally:
        if progress.error:
            say(progress.error)
            job.outcome.progress_error = progress.error


def _send_junit(
    path: Path, xml: bytes, job: Job, progress: ProgressFile, new_execution: bool
) -> int:
    """One request, as :func:`send_payload` makes them: a create is recorded before it goes and
    never repeated blindly; once the execution is known, a resend imports into it again."""
    settings = job.settings
    total = job.outcome.tests
    state = progress.load(total)
    key = _junit_execution(path, settings, state, progress, new_execution)
    if key is not None and key == state.execution and state.done:
        job.outcome.uploaded = ImportResult(key=key)
        with XrayClient(settings, notify=say) as client:
            job.outcome.browse_url = link = client.browse_url(key)
        where = f"Test Execution {key}" + (f": {link}" if link else "")
        print(f"nothing to send: every result of {path} is already in {where}")
        return 0
    with XrayClient(replace(settings, execution=key), notify=say) as client:
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
        say(
            f"WARNING: {path} changed since an upload of it got no answer when creating a Test "
            f"Execution ({earlier.creating_since}); Xray may have created one, and this upload "
            "creates another"
        )
    return None
