"""The report file: the exact Xray JSON that is (or would be) sent, saved on disk."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["ReportError", "read_report", "write_report"]

_PRETTY_LIMIT = 2_000
"""Reports with up to this many tests are indented for people; larger ones are compact."""


class ReportError(Exception):
    """A report file that cannot be written or read; the message names the file."""


def write_report(payload: dict[str, Any], path: Path) -> Path:
    """Write ``payload`` to ``path`` atomically (a reader never sees half a file).

    ``json.dump`` streams the encoding to the file in chunks instead of building one string.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                indent = 2 if len(payload.get("tests", ())) <= _PRETTY_LIMIT else None
                json.dump(payload, handle, ensure_ascii=False, indent=indent)
                handle.write("\n")
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as error:
        raise ReportError(
            f"cannot write the Xray report {path}: {error.strerror or error}"
        ) from None
    return path


def read_report(path: Path) -> dict[str, Any]:
    """Load a saved report, with a one-line error for a missing or malformed file."""
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as error:
        raise ReportError(f"cannot read {path}: {error.strerror or error}") from None
    except json.JSONDecodeError as error:
        raise ReportError(
            f"{path} is not valid JSON (line {error.lineno}, column {error.colno}): {error.msg}"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("tests"), list):
        raise ReportError(f"{path} is not an Xray JSON report (no 'tests' list).")
    return data
