"""The report file: the exact Xray JSON that is (or would be) sent, saved on disk."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

__all__ = ["ReportError", "atomic_text", "encode_pieces", "read_report", "write_report"]

_PRETTY_LIMIT = 2_000
"""Reports with up to this many tests are indented for people; larger ones are compact."""
_BATCH = 500
"""Tests encoded per piece of a compact report: big enough for the C encoder to do the work,
small enough that the text of a huge report never sits in memory whole."""


class ReportError(Exception):
    """A report file that cannot be written or read; the message names the file."""


def write_report(payload: dict[str, Any], path: Path) -> Path:
    """Write ``payload`` to ``path`` atomically (see :func:`atomic_text`).

    The text streams to the file in pieces (see :func:`encode_pieces`), never as one string.
    """
    try:
        with atomic_text(path) as handle:
            handle.writelines(encode_pieces(payload))
            handle.write("\n")
    except OSError as error:
        raise ReportError(
            f"cannot write the Xray report {path}: {error.strerror or error}"
        ) from None
    return path


@contextmanager
def atomic_text(path: Path) -> Iterator[TextIO]:
    """A UTF-8 text file for ``path``, written beside it as a temporary file and moved over it
    once complete, so that a reader (a CI step, a resend) never sees half a file.

    A symbolic link stays a link: the file it points to is the one written (atomically, beside
    it). An existing path that is not a regular file (``/dev/null``, a FIFO, a terminal) is
    written directly: moving a file over it would replace the device with a regular file.

    The file gets the permissions any new file gets (``0o666`` less the umask, so usually
    readable by all, as CI artifact uploaders running as another user need), not the
    ``0o600`` of the temporary file it is written as. Raises :class:`OSError`.
    """
    try:
        mode: int | None = os.stat(path).st_mode  # through links: what would be written
    except OSError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        with open(path, "w", encoding="utf-8") as direct:
            yield direct
        return
    target = Path(os.path.realpath(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            yield handle
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _umask() -> int:
    """The process's umask, read without changing it where the system tells it (Linux):
    setting it to read it back would briefly change it for every thread of the session."""
    try:
        with open("/proc/self/status", "rb") as status:  # bytes: the process name may be any
            for line in status:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def encode_pieces(payload: dict[str, Any]) -> Iterator[str]:
    """The JSON text of ``payload`` in pieces that join to the whole document.

    Up to ``_PRETTY_LIMIT`` tests: indented, for people. Above: compact, ``tests`` encoded
    ``_BATCH`` entries at a time by ``json.dumps`` (its C encoder is several times faster than
    the pure-Python one that ``json.dump`` uses to stream), after the other members.
    """
    tests = payload.get("tests")
    if not isinstance(tests, list) or len(tests) <= _PRETTY_LIMIT:
        yield json.dumps(payload, ensure_ascii=False, indent=2)
        return
    head = json.dumps({k: v for k, v in payload.items() if k != "tests"}, ensure_ascii=False)
    yield head[:-1] + (', "tests": [' if len(head) > 2 else '"tests": [')
    for start in range(0, len(tests), _BATCH):
        batch = json.dumps(tests[start : start + _BATCH], ensure_ascii=False)
        yield batch[1:-1] if start == 0 else ", " + batch[1:-1]
    yield "]}"


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
