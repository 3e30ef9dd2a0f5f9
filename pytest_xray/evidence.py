"""Evidence: files attached to a test's Test Run, and what the ``xray_evidence`` fixture returns.

A test (or a function-scoped fixture of it, in setup or teardown) calls ``xray_evidence(...)``.
The file is read and base64-encoded once, where the test runs; the per-file size limit is
checked before reading, and a test keeps no more than the per-upload limit. The collected
files travel on the test's teardown report as plain data (attribute
:data:`EVIDENCE_ATTRIBUTE`), so they reach the xdist controller like any report.
Without ``--xray`` the fixture exists and does nothing, like junitxml's ``record_property``.
"""

from __future__ import annotations

import base64
import mimetypes
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_xray.model import Evidence

__all__ = [
    "EVIDENCE_ATTRIBUTE",
    "LEFT_OUT_ATTRIBUTE",
    "EvidenceRecorder",
    "Recorders",
    "content_type_of",
    "evidence_of",
    "format_size",
    "output_evidence",
    "recorders_key",
    "safe_filename",
    "start_recorder",
]

EVIDENCE_ATTRIBUTE = "xray_evidence"
"""Teardown report attribute: ``[{"filename", "contentType", "data" (base64)}, ...]``."""
LEFT_OUT_ATTRIBUTE = "xray_evidence_left_out"
"""Teardown report attribute: one line per file that was not attached, and why."""
DEFAULT_CONTENT_TYPE = "application/octet-stream"
OUTPUT_FILENAME = "output.txt"
_FILENAME_LIMIT = 150
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def safe_filename(name: str) -> str:
    """``name`` without directories and characters that file systems or Jira refuse."""
    name = _UNSAFE.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    if not name:
        return "evidence"
    if len(name) > _FILENAME_LIMIT:
        stem, dot, suffix = name.rpartition(".")
        keep = _FILENAME_LIMIT - len(suffix) - 1
        name = f"{stem[:keep]}.{suffix}" if dot and keep > 0 else name[:_FILENAME_LIMIT]
    return name


_EXTRA_TYPES = {".log": "text/plain", ".har": "application/json", ".ndjson": "text/plain"}
"""Types of common test artifacts that the ``mimetypes`` tables do not know."""


def content_type_of(filename: str) -> str:
    """The MIME type of ``filename`` from its extension (``application/octet-stream`` when
    unknown)."""
    suffix = os.path.splitext(filename)[1].lower()
    guessed = mimetypes.guess_type(filename, strict=False)[0]
    return guessed or _EXTRA_TYPES.get(suffix, DEFAULT_CONTENT_TYPE)


def format_size(size: int) -> str:
    """``10 MiB``, ``1.5 MiB``, ``300 KiB``, ``1025 bytes``: exact below 1 MiB."""
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
        if size >= factor and factor >= 1 << 20:
            return f"{size / factor:.1f} {unit}"
    return f"{size} bytes"


class EvidenceRecorder:
    """The value of the ``xray_evidence`` fixture: call it to attach a file to the Test Run.

    ``xray_evidence("shots/login.png")`` attaches a file (relative to the current directory);
    ``xray_evidence(b"...", filename="response.json")`` attaches bytes. The content type comes
    from the file name unless ``content_type`` is given. A file over the per-file size limit,
    one that no longer fits the per-upload limit, or one that cannot be read, is left out with
    a line in the ``xray`` summary; it never fails the test. Wrong argument types raise
    :class:`TypeError`, with or without ``--xray``.
    """

    def __init__(self, nodeid: str, max_file: int | None, max_total: int | None = None) -> None:
        self.nodeid = nodeid
        self.max_file = max_file
        """Per-file limit in bytes; ``None``: the plugin is off, nothing is kept."""
        self.max_total = max_total
        """Per-upload limit in bytes (``None``: none). No upload takes more, so a test that
        attaches more is cut here rather than carrying it in memory and over xdist."""
        self.total = 0
        """Bytes kept so far (before base64)."""
        self.files: list[dict[str, str]] = []
        self.left_out: list[str] = []

    @property
    def enabled(self) -> bool:
        """True when attached files are kept (``--xray`` and a reported test)."""
        return self.max_file is not None

    def __call__(
        self,
        source: str | os.PathLike[str] | bytes | bytearray | memoryview,
        filename: str | None = None,
        content_type: str | None = None,
    ) -> None:
        if filename is not None and not isinstance(filename, str):
            raise TypeError(f"xray_evidence: filename must be a str, not {type(filename).__name__}")
        if content_type is not None and not isinstance(content_type, str):
            raise TypeError(
                f"xray_evidence: content_type must be a str, not {type(content_type).__name__}"
            )
        if isinstance(source, (bytes, bytearray, memoryview)):
            if not filename:
                raise TypeError("xray_evidence: attaching bytes needs filename=, e.g. 'log.txt'")
            if self.max_file is not None:
                self._add_bytes(bytes(source), filename, content_type)
        elif isinstance(source, (str, os.PathLike)):
            if self.max_file is not None:
                self._add_file(Path(source), filename, content_type)
        else:
            raise TypeError(
                "xray_evidence: give a file path or bytes (with filename=), "
                f"not {type(source).__name__}"
            )

    def _leave_out(self, name: str, why: str) -> None:
        self.left_out.append(f"{self.nodeid}: {name} {why}")

    def _too_big(self, name: str, size: int) -> bool:
        assert self.max_file is not None
        if size <= self.max_file:
            return False
        self._leave_out(
            name,
            f"({format_size(size)}) is over the per-file limit of {format_size(self.max_file)} "
            "(xray_evidence_max_file)",
        )
        return True

    def _over_total(self, name: str, size: int) -> bool:
        if self.max_total is None or self.total + size <= self.max_total:
            return False
        self._leave_out(
            name,
            f"({format_size(size)}) does not fit the per-upload limit of "
            f"{format_size(self.max_total)} (xray_evidence_max_total)",
        )
        return True

    def _add_file(self, path: Path, filename: str | None, content_type: str | None) -> None:
        name = safe_filename(filename or path.name)
        try:
            # The limit is checked before reading: a 2 GB video must not be loaded to be refused.
            size = os.stat(path).st_size
            if self._too_big(name, size) or self._over_total(name, size):
                return
            data = path.read_bytes()
        except OSError as error:
            self._leave_out(name, f"could not be read: {error.strerror or error} ({path})")
            return
        self._add_bytes(data, name, content_type)

    def _add_bytes(self, data: bytes, filename: str, content_type: str | None) -> None:
        name = safe_filename(filename)
        if self._too_big(name, len(data)) or self._over_total(name, len(data)):
            return
        self.total += len(data)
        self.files.append(
            {
                "filename": name,
                "contentType": content_type or content_type_of(name),
                "data": base64.b64encode(data).decode("ascii"),
            }
        )


class Recorders:
    """The evidence recorders of the tests running in this process, by node id.

    A test's recorder is made when the test (or one of its fixtures) first asks for
    ``xray_evidence``; most tests never do, so most tests cost nothing here. The collecting
    plugin takes a test's recorder away after its teardown.
    """

    def __init__(
        self, max_file: int, reported: Callable[[str], bool], max_total: int | None = None
    ) -> None:
        self.max_file = max_file
        self.max_total = max_total
        self.reported = reported
        """Whether the test with this node id is reported to Xray."""
        self._open: dict[str, EvidenceRecorder] = {}

    def start(self, nodeid: str) -> EvidenceRecorder:
        """A new recorder for a test that asks for ``xray_evidence`` (once per attempt: a
        rerun runs the function-scoped fixture again and starts afresh); a no-op one for a
        test that is not reported."""
        if not self.reported(nodeid):
            return EvidenceRecorder(nodeid, None)
        recorder = EvidenceRecorder(nodeid, self.max_file, self.max_total)
        self._open[nodeid] = recorder
        return recorder

    def pop(self, nodeid: str) -> EvidenceRecorder | None:
        """Take away the recorder of a test that finished, if it asked for one."""
        return self._open.pop(nodeid, None) if self._open else None


recorders_key = pytest.StashKey[Recorders]()
"""On ``config.stash`` when ``--xray`` is on: the run's :class:`Recorders`."""


def start_recorder(request: pytest.FixtureRequest) -> EvidenceRecorder:
    """The value of the ``xray_evidence`` fixture for ``request``'s test: a fresh recorder for
    each attempt of the test, or one that keeps nothing without ``--xray``."""
    nodeid: str = request.node.nodeid
    recorders = request.config.stash.get(recorders_key, None)
    return recorders.start(nodeid) if recorders is not None else EvidenceRecorder(nodeid, None)


def evidence_of(files: Any) -> list[Evidence]:
    """The :class:`Evidence` of a report attribute (malformed entries are skipped)."""
    evidence = []
    for item in files if isinstance(files, list) else ():
        if isinstance(item, dict) and all(
            isinstance(item.get(k), str) for k in ("filename", "contentType", "data")
        ):
            evidence.append(Evidence(item["filename"], item["data"], item["contentType"]))
    return evidence


def output_evidence(
    sections: list[tuple[str, str]], max_file: int
) -> tuple[Evidence, str | None] | None:
    """One text file with a test's captured stdout, stderr and log records (pytest's
    ``Captured ...`` report sections), or ``None`` when nothing was captured. Output over the
    per-file limit keeps its end, where the failure is, after a line saying what was cut; the
    second value then says it for the ``xray`` summary (else ``None``)."""
    parts = [
        f"===== {title} =====\n{content.rstrip()}\n"
        for title, content in sections
        if title.startswith("Captured ") and content.strip()
    ]
    if not parts:
        return None
    data = "\n".join(parts).encode("utf-8")
    cut = None
    if len(data) > max_file:
        note = f"[... {format_size(len(data) - max_file)} of output cut ...]\n".encode()
        tail = data[len(data) - max(max_file - len(note), 0) :]
        while tail and 0x80 <= tail[0] < 0xC0:  # not in the middle of a UTF-8 character
            tail = tail[1:]
        cut = (
            f"{OUTPUT_FILENAME} (last {format_size(len(tail))} of {format_size(len(data))} "
            f"kept: over the per-file limit of {format_size(max_file)}, xray_evidence_max_file)"
        )
        data = note + tail
    evidence = Evidence(OUTPUT_FILENAME, base64.b64encode(data).decode("ascii"), "text/plain")
    return evidence, cut
