"""The ``pytest-xray`` command (also ``python -m pytest_xray``).

``pytest-xray upload FILE [--xray-... options]`` sends a saved report. Settings come exactly as
in a pytest run: the ``--xray-*`` options given after the file, then ``XRAY_*`` environment
variables, then the ini file of the current directory.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from pytest_xray.client import XrayClient, XrayError
from pytest_xray.report import ReportError, read_report
from pytest_xray.settings import Settings, resolve

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


def _upload(path: Path, settings: Settings) -> int:
    payload = read_report(path)
    if not settings.upload:
        raise XrayError("no Xray URL configured: pass --xray-url URL or set XRAY_URL.")
    with XrayClient(settings) as client:
        result = client.import_results(payload)
        link = client.browse_url(result.key)
    print(f"uploaded {path} to Test Execution {result.key}" + (f": {link}" if link else ""))
    for key, message in result.failed:
        print(f"not recorded by Xray: {key}: {message}", file=sys.stderr)
    return 1 if result.failed else 0


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
        return _upload(args.file, settings)
    except pytest.UsageError as error:
        print(f"pytest-xray: error: {error}", file=sys.stderr)
        return 2
    except (ReportError, XrayError) as error:
        print(f"pytest-xray: error: {error}", file=sys.stderr)
        return 1
