"""``pytest-xray upload`` of a saved Xray JSON report, and the record of one upload command.

:class:`Job` keeps what an ``upload`` command did (numbers, the resend command, the error) for
the result file and the GitHub job summary; :func:`upload_report` sends a report with the
resumable upload of :mod:`pytest_xray.upload`, its progress kept beside it. JUnit XML files
come here once converted (:mod:`pytest_xray.cli_junit`).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_xray.ci import outcome_record, write_ci_files
from pytest_xray.client import XrayClient
from pytest_xray.errors import XrayError
from pytest_xray.merge import CLOUD, SERVER, written_for
from pytest_xray.progress import ProgressFile
from pytest_xray.publish import PublishResult
from pytest_xray.report import read_report
from pytest_xray.settings import Settings
from pytest_xray.upload import PartialUploadError, send_payload

__all__ = ["Job", "dry_run", "say", "upload_report"]


def say(text: str) -> None:
    print(f"pytest-xray: {text}", file=sys.stderr, flush=True)


def dry_run(path: Path, settings: Settings, what: str) -> int:
    where = f" to {settings.url}" if settings.url else ""
    print(f"dry run, nothing sent: {path} ({what}) is not uploaded{where}")
    return 0


@dataclass
class Job:
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
            say(problem)


def upload_report(path: Path, job: Job, new_execution: bool) -> int:
    settings = job.settings
    payload = read_report(path)
    job.outcome.report_path = path
    job.count(payload)
    if settings.dry_run:
        count = job.outcome.tests
        return dry_run(path, settings, "1 Xray test" if count == 1 else f"{count} Xray tests")
    if not settings.upload:
        raise XrayError("no Xray URL configured: pass --xray-url URL or set XRAY_URL.")
    _check_product(path, payload, settings)
    for warning in settings.warnings:
        say(f"WARNING: {warning}")
    if settings.execution is not None:
        payload["testExecutionKey"] = settings.execution
    job.progress = progress = ProgressFile(path)
    job.resend = ["pytest-xray", "upload", str(path), *job.rest]
    try:
        with XrayClient(settings, notify=say) as client:
            job.client = client
            try:
                upload = send_payload(
                    client, payload, progress, new_execution=new_execution, announce=say
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
            say(progress.error)
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
