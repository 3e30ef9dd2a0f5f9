"""The ``pytest-xray`` command (also ``python -m pytest_xray``).

``pytest-xray upload FILE [--xray-... options]`` sends a saved report. Settings come exactly as
in a pytest run: the ``--xray-*`` options given after the file, then ``XRAY_*`` environment
variables, then the ini file of the current directory. Progress is kept beside the report
(``FILE.progress.json``), so running it again sends only what Xray does not have yet.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from pytest_xray.client import XrayClient, XrayError
from pytest_xray.errors import UncertainError
from pytest_xray.progress import ProgressFile
from pytest_xray.report import ReportError, read_report
from pytest_xray.settings import Settings, resolve
from pytest_xray.upload import send_payload

__all__ = ["load_settings", "main"]


def load_settings(pytest_args: Sequence[str]) -> Settings:
    """Resolve settings as a pytest run with ``--xray`` and ``pytest_args`` would."""
    # pytest's own configuration machinery reads the ini file and our options, so the
    # command and the plugin can never disagree about a setting.
    from _pytest.config import _prepareconfig

    config = _prepareconfig(["--xray", "-p", "no:cacheprovider", *pytest_args], None)
    try:
        return resolve(config, check_upload=False)
    finally:
        config._ensure_unconfigure()


def _say(text: str) -> None:
    print(f"pytest-xray: {text}", file=sys.stderr, flush=True)


def _upload(path: Path, settings: Settings, new_execution: bool) -> int:
    payload = read_report(path)
    if not settings.upload:
        raise XrayError("no Xray URL configured: pass --xray-url URL or set XRAY_URL.")
    for warning in settings.warnings:
        _say(f"WARNING: {warning}")
    if settings.execution is not None:
        payload["testExecutionKey"] = settings.execution
    progress = ProgressFile(path)
    try:
        with XrayClient(settings, notify=_say) as client:
            upload = send_payload(
                client, payload, progress, new_execution=new_execution, announce=_say
            )
            link = client.browse_url(upload.key)
    finally:
        if progress.error:
            _say(progress.error)
    where = f"Test Execution {upload.key}" + (f": {link}" if link else "")
    if upload.requests == 0:
        print(f"nothing to send: every result of {path} is already in {where}")
    else:
        skipped = f" ({upload.skipped} sent before)" if upload.skipped else ""
        results = "1 result" if upload.sent == 1 else f"{upload.sent} results"
        print(f"uploaded {results} of {path}{skipped} to {where}")
    for key, message in upload.failed:
        print(f"not recorded by Xray: {key}: {message}", file=sys.stderr)
    return 1 if upload.failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pytest-xray", description="Send pytest results to Xray (Jira test management)."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    upload = commands.add_parser(
        "upload",
        help="send a saved Xray JSON report",
        description="Send a report written by `pytest --xray` (--xray-output, or the copy saved "
        "when an upload failed). Any --xray-* option of pytest may follow the file.",
    )
    upload.add_argument("file", type=Path, help="the Xray JSON report")
    upload.add_argument(
        "--new-execution",
        action="store_true",
        help="create a new Test Execution even though an earlier attempt got no answer and "
        "may have created one (check Jira first; else use --xray-execution KEY)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pytest-xray`` console script; returns the exit status."""
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    unknown = [arg for arg in rest if not arg.startswith("--xray")]
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        settings = load_settings(rest)
        return _upload(args.file, settings, args.new_execution)
    except pytest.UsageError as error:
        print(f"pytest-xray: error: {error}", file=sys.stderr)
        return 2
    except UncertainError as error:
        print(f"pytest-xray: error: {error}", file=sys.stderr)
        command = " ".join(["pytest-xray upload", str(args.file), *rest])
        print(
            "pytest-xray: look in Jira for a Test Execution created then; if it is there: "
            f"{command} --xray-execution KEY; if not: {command} --new-execution",
            file=sys.stderr,
        )
        return 1
    except (ReportError, XrayError) as error:
        print(f"pytest-xray: error: {error}", file=sys.stderr)
        return 1
