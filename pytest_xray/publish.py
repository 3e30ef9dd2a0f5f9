"""Session end: payload, report file, upload, and the lines that tell the user what happened.

Runs once per run, never per test. No pytest objects: the plugin passes plain values in.
"""

from __future__ import annotations

import logging
import shlex
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_xray.errors import UncertainError, XrayError
from pytest_xray.model import Execution
from pytest_xray.payload import build_payload
from pytest_xray.progress import ProgressFile, keep_unsent
from pytest_xray.report import ReportError, write_report
from pytest_xray.scrub import scrub_secrets
from pytest_xray.settings import Settings

if TYPE_CHECKING:
    from pytest_xray.answers import ImportResult
    from pytest_xray.client import XrayClient
    from pytest_xray.upload import Announce

__all__ = ["PublishResult", "publish"]

logger = logging.getLogger("pytest_xray")


@dataclass
class PublishResult:
    """What the session end did, for the terminal summary and for code after the run."""

    results: int = 0
    tests: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    unmarked: int = 0
    report_path: Path | None = None
    report_error: str | None = None
    uploaded: ImportResult | None = None
    browse_url: str | None = None
    """The browse link of the Test Execution of :attr:`uploaded` or :attr:`partial`."""
    error: str | None = None
    uncertain: str | None = None
    """Where to look for an execution that a failed create may have made (project, time)."""
    requests: int = 0
    progress_error: str | None = None
    seconds: float = 0.0
    """Wall time of the whole session-end work."""
    phases: dict[str, float] = field(default_factory=dict)
    """Seconds per phase of the session-end work: ``build`` (the payload), ``write`` (the report
    file), ``upload`` (encoding and sending); a phase that did not happen is absent."""
    warnings: list[str] = field(default_factory=list)
    """What was left out of the report (evidence over a size limit ...), one line each."""
    kept: Path | None = None
    """Where the previous report at ``report_path`` went, which Xray had not fully recorded."""
    partial: ImportResult | None = None
    """After an upload that failed (:attr:`error`) once part of the results had reached Xray:
    the Test Execution that holds them, and what Xray did not record of them."""
    unsent: list[str] = field(default_factory=list)
    """After a partial upload: the test keys of the results not sent."""
    removed: Path | None = None
    """The report of an earlier run, fully sent or never to be sent, that a run with nothing
    to report removed from ``report_path`` (so that nobody sends its old results again)."""
    held: bool = False
    """The run was interrupted: its report is saved but not uploaded (see :func:`publish`)."""
    interrupted: bool = False
    """The upload was cut short by Ctrl-C (:attr:`error` says so): the run exits as
    interrupted, with the report saved and the command that resends it."""
    config_args: tuple[str, ...] = ()
    """What the resend command needs to find this run's ini file (``-c INI``), given to
    :func:`publish`."""

    @property
    def execution_key(self) -> str | None:
        """The Test Execution that holds results of this upload, also of a partial one."""
        execution = self.uploaded or self.partial
        return execution.key if execution else None

    @property
    def not_landed(self) -> list[str]:
        """The test keys whose results are not in :attr:`execution_key`: not sent, or not
        recorded by Xray; empty without an execution."""
        execution = self.uploaded or self.partial
        if execution is None:
            return []
        return [*self.unsent, *(key for key, _ in execution.failed)]

    def timing(self) -> str:
        """``session end 0.412 s (build 0.100 s, write 0.120 s, upload 0.192 s)``."""
        phases = ", ".join(f"{name} {seconds:.3f} s" for name, seconds in self.phases.items())
        return f"session end {self.seconds:.3f} s ({phases})"

    @property
    def failed(self) -> bool:
        """True when the upload failed or Xray did not record every result."""
        return self.error is not None or bool(self.uploaded and self.uploaded.failed)

    def lines(self, settings: Settings) -> list[tuple[str, bool]]:
        """``(text, is_error)`` lines of the terminal summary."""
        unmarked = _count(self.unmarked, "test")
        if not self.tests:
            note = f" ({unmarked} without an xray marker)" if self.unmarked else ""
            lines = [(f"no results with an Xray key; nothing to report{note}.", False)]
            if self.removed is not None:
                lines.append(
                    (
                        f"removed the report of an earlier run, {self.removed}, so that its "
                        "results are not sent again",
                        False,
                    )
                )
            lines.extend((warning, True) for warning in self.warnings)
            if self.progress_error:
                lines.append((self.progress_error, True))
            lines.extend((text, True) for text in self.resend_lines(settings))
            return lines
        counts = ", ".join(f"{n} {status}" for status, n in self.statuses.most_common())
        left_out = f"; {unmarked} without an xray marker left out" if self.unmarked else ""
        head = f"{_count(self.results, 'result')} for {_count(self.tests, 'Xray test')}"
        lines = [(f"WARNING: {text}", True) for text in settings.warnings]
        lines.append((f"{head}: {counts}{left_out}", False))
        lines.extend((warning, False) for warning in self.warnings)
        if settings.execution_fields is not None and settings.execution:
            lines.append(
                (
                    f"xray_execution_fields not applied: results were added to the existing "
                    f"Test Execution {settings.execution}",
                    False,
                )
            )
        if self.report_error:
            lines.append((self.report_error, True))
        if self.uploaded:
            link = f": {self.browse_url}" if self.browse_url else ""
            several = f" in {self.requests} requests" if self.requests > 1 else ""
            lines.append((f"uploaded to Test Execution {self.uploaded.key}{link}{several}", False))
            lines.extend(self._link_hint(settings))
            for key, message in self.uploaded.failed:
                lines.append((f"not recorded by Xray: {key}: {message}", True))
            lines.extend((f"Xray says: {m}", False) for m in self.uploaded.info_messages)
        if self.partial:
            link = f": {self.browse_url}" if self.browse_url else ""
            landed = self.tests - len(self.not_landed)
            lines.append(
                (
                    f"partly uploaded to Test Execution {self.partial.key}{link}: "
                    f"{landed} of {_count(self.tests, 'Xray test')} landed",
                    True,
                )
            )
            lines.extend(self._link_hint(settings))
            for key, message in self.partial.failed:
                lines.append((f"not recorded by Xray: {key}: {message}", True))
            if self.unsent:
                lines.append((f"not sent: {_listed(self.unsent)}", True))
        if self.held:
            lines.append(
                (
                    "not uploaded: the run was interrupted, and its results would look like a "
                    "whole run in Xray",
                    True,
                )
            )
        if self.error:
            lines.append((f"upload FAILED: {self.error}", True))
        if self.progress_error:
            lines.append((self.progress_error, True))
        if self.report_path:
            verb = "saved" if settings.upload else "written"
            reason = ""
            if not settings.upload:
                reason = " (dry run, nothing sent)" if settings.dry_run else " (no xray_url set)"
            lines.append((f"report {verb} to {self.report_path}{reason}", False))
        lines.extend((text, True) for text in self.resend_lines(settings))
        return lines

    def _link_hint(self, settings: Settings) -> list[tuple[str, bool]]:
        """How to get the browse link that Cloud cannot give: Xray's host is not Jira's."""
        if self.browse_url or not settings.cloud:
            return []
        key = self.execution_key
        return [
            (
                f"for a link to {key}, set XRAY_JIRA_URL (or --xray-jira-url) to your Jira site, "
                "such as https://yourcompany.atlassian.net",
                False,
            )
        ]

    def resend_lines(self, settings: Settings) -> list[str]:
        """How to send what did not land: the resend command, or the choices when a create
        may have made an execution, then the command for an earlier report that was kept
        (:attr:`kept`); empty when there is nothing to resend."""
        lines = []
        if self.report_path is not None and self.held:
            command = self._resend_command(self.report_path, settings)
            lines.append(f"to send them anyway: {command}")
        elif self.report_path is not None and self.failed:
            command = self._resend_command(self.report_path, settings)
            execution = self.uploaded or self.partial
            if execution is not None and not settings.execution:
                # The progress file knows it too, but may not travel with the report (a CI
                # artifact of the report alone): without the key a resend would create another.
                command += f" --xray-execution {execution.key}"
            if self.uncertain is None:
                lines.append(f"resend it with: {command}")
            else:
                lines += [
                    f"look in Jira for a Test Execution {self.uncertain}: Xray may have created it",
                    f"if it is there, send the results into it: {command} --xray-execution KEY",
                    f"if not, resend as a new one: {command} --new-execution",
                ]
        if self.kept is not None:
            lines += [
                f"the previous report was not completely sent to Xray; it was kept as {self.kept}",
                f"resend it with: {self._resend_command(self.kept, settings)}",
            ]
        return lines

    def _resend_command(self, report: Path, settings: Settings) -> str:
        command = shlex.join(["pytest-xray", "upload", str(report), *self.config_args])
        return " ".join([command, *settings.resend_args])


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _listed(keys: list[str], most: int = 10) -> str:
    """``A, B, C``: at most ``most`` keys, then ``and 990 more``."""
    more = f" and {len(keys) - most} more" if len(keys) > most else ""
    return ", ".join(keys[:most]) + more


def publish(
    execution: Execution,
    settings: Settings,
    report_path: Path | None,
    unmarked: int = 0,
    edit_payload: Callable[[dict[str, Any]], None] | None = None,
    notify: Callable[[str], None] | None = None,
    announce: Announce | None = None,
    interrupted: bool = False,
    config_args: tuple[str, ...] = (),
) -> PublishResult:
    """Build the payload, save it to ``report_path``, then upload it when configured.

    Never raises for an upload or file problem: the result says what went wrong. ``notify``
    hears about retries while they happen, ``announce`` about the upload's requests. An
    ``interrupted`` run (Ctrl-C, ``pytest.exit``) is saved, marked unsent, and not uploaded:
    a Test Execution of the tests that happened to finish would pass for a whole run.
    ``config_args`` go into the resend commands (``-c INI`` for an ini file that the command
    would not find by itself).
    """
    began = time.perf_counter()
    payload = build_payload(execution, settings)
    outcome = PublishResult(unmarked=unmarked, config_args=config_args)
    if not payload["tests"]:
        if report_path is not None:
            _clear_earlier_report(report_path, outcome)
        return outcome
    if edit_payload is not None:
        edit_payload(payload)
    outcome.phases["build"] = time.perf_counter() - began
    outcome.warnings = list(execution.warnings)
    outcome.results = len(execution.results)
    outcome.tests = len(payload["tests"])
    outcome.statuses = Counter(test["status"] for test in payload["tests"])
    progress: ProgressFile | None = None
    if report_path is not None:
        mark = time.perf_counter()
        _keep_unsent(report_path, outcome, "this run's report is written over it")
        try:
            outcome.report_path = write_report(payload, report_path)
        except ReportError as error:
            outcome.report_error = str(error)
        else:
            progress = ProgressFile(outcome.report_path)
            if settings.upload:
                progress.start(outcome.tests)  # unsent until every result is recorded
            else:
                progress.remove()  # it described the report this run has just replaced
        outcome.phases["write"] = time.perf_counter() - mark
    if settings.upload and interrupted:
        outcome.held = True
    elif settings.upload:
        mark = time.perf_counter()
        _upload(payload, settings, progress, outcome, notify, announce)
        outcome.progress_error = progress.error if progress else None
        outcome.phases["upload"] = time.perf_counter() - mark
    outcome.seconds = time.perf_counter() - began
    logger.debug("pytest-xray: %s", outcome.timing())
    return outcome


def _keep_unsent(report_path: Path, outcome: PublishResult, otherwise: str) -> bool:
    """:func:`keep_unsent` into ``outcome.kept``; ``False``, with a warning line that ends in
    ``otherwise``, when the move failed."""
    try:
        outcome.kept = keep_unsent(report_path)
    except OSError as error:
        outcome.warnings.append(
            f"cannot keep the previous report {report_path}, which was not completely sent "
            f"to Xray: {error.strerror or error}; {otherwise}"
        )
        return False
    return True


def _clear_earlier_report(report_path: Path, outcome: PublishResult) -> None:
    """A run with nothing to report leaves no report of an earlier run at its path: one that
    Xray did not fully record is kept aside (:func:`keep_unsent`), any other is removed."""
    if not _keep_unsent(report_path, outcome, "it is left where it is"):
        return
    if outcome.kept is not None or not report_path.is_file():
        return
    try:
        report_path.unlink()
    except OSError as error:
        outcome.warnings.append(
            f"cannot remove the report of an earlier run, {report_path}: "
            f"{error.strerror or error}; do not send it again"
        )
        return
    outcome.removed = report_path
    progress = ProgressFile(report_path)
    progress.remove()
    outcome.progress_error = progress.error


def _upload(
    payload: dict[str, Any],
    settings: Settings,
    progress: ProgressFile | None,
    outcome: PublishResult,
    notify: Callable[[str], None] | None,
    announce: Announce | None = None,
) -> None:
    # Imported only to upload: requests alone costs a dry run a tenth of a second.
    from pytest_xray.client import XrayClient
    from pytest_xray.upload import PartialUploadError, send_payload

    client: XrayClient | None = None
    try:
        with XrayClient(settings, notify=notify) as client:
            if announce is not None:
                where = client.endpoint("import/execution")
                announce(f"uploading {_count(outcome.tests, 'Xray test')} to {where}")
            upload = send_payload(client, payload, progress, announce=announce)
            outcome.uploaded = upload.as_import_result()
            outcome.requests = upload.requests
            outcome.browse_url = client.browse_url(upload.key)
    except UncertainError as error:
        outcome.error = str(error)
        outcome.uncertain = _where_to_look(payload)
    except PartialUploadError as error:
        outcome.error = str(error)
        outcome.partial = error.upload.as_import_result()
        outcome.unsent = error.upload.unsent
        outcome.requests = error.upload.requests
        outcome.browse_url = client.browse_url(error.upload.key) if client else None
    except XrayError as error:
        outcome.error = str(error)
    except (Exception, KeyboardInterrupt) as error:
        if isinstance(error, KeyboardInterrupt):
            # Ctrl-C while waiting for Xray: the summary, the saved report and its resend
            # command (or the choices, when a create got no answer) are still written.
            outcome.error, outcome.interrupted = INTERRUPTED, True
        else:
            # A bug, or an answer nobody foresaw: the summary, the saved report, the resend
            # command and pytest's exit status matter more than the traceback, which goes to
            # the debug log.
            logger.debug("pytest-xray: internal error while uploading", exc_info=True)
            outcome.error = internal_error(error, settings)
        if progress is not None:
            state = progress.load(outcome.tests)
            if state.execution is None and state.creating_since is not None:
                outcome.uncertain = _where_to_look(payload)


INTERRUPTED = "upload interrupted"
"""The error of an upload cut short by Ctrl-C."""


def internal_error(error: Exception, settings: Settings) -> str:
    """``internal error while uploading: TypeError: ...`` on one line, without secrets."""
    # Also takes out the Cloud token that a client obtained with these settings.
    text = scrub_secrets(" ".join(str(error).split()), settings)
    if len(text) > 300:
        text = text[:297] + "..."
    return f"internal error while uploading: {type(error).__name__}: {text}".rstrip(": ")


def _where_to_look(payload: dict[str, Any]) -> str:
    info = payload.get("info") or {}
    where = f"in project {info['project']}" if info.get("project") else "in your project"
    summary = f" named {info['summary']!r}" if info.get("summary") else ""
    return f"{where}{summary} created at {time.strftime('%H:%M')}"
