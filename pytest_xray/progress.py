"""What part of a saved report already reached Xray, recorded beside it.

``REPORT.progress.json`` holds the report's SHA-256 (a rewritten report starts afresh), the
Xray URL, the Test Execution key once known, how many ``tests[]`` entries Xray acknowledged,
the entries Xray did not record, and whether a create may have happened without an answer.
Never a secret: no credentials, headers or results.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pytest_xray.report import atomic_text

__all__ = ["Progress", "ProgressFile", "keep_unsent", "progress_path", "unsent_folder"]

_VERSION = 1


def progress_path(report: Path) -> Path:
    """Where the progress of ``report`` is kept."""
    return report.with_name(report.name + ".progress.json")


@dataclass
class Progress:
    """The upload state of one report."""

    sha256: str = ""
    total: int = 0
    url: str | None = None
    execution: str | None = None
    sent: int = 0
    """``tests[:sent]`` were answered by Xray (except the indices in ``not_recorded``)."""
    not_recorded: list[int] = field(default_factory=list)
    creating_since: str | None = None
    """When a create was sent whose outcome is unknown (no answer): it may exist."""

    @property
    def done(self) -> bool:
        """Everything was sent and recorded."""
        return self.sent >= self.total and not self.not_recorded

    def mark_creating(self) -> None:
        self.creating_since = datetime.now().astimezone().isoformat(timespec="seconds")


class ProgressFile:
    """The progress file of one report; write problems are kept in :attr:`error`, never
    raised, because the upload itself matters more than its bookkeeping."""

    def __init__(self, report: Path) -> None:
        self.report = report
        self.path = progress_path(report)
        self.error: str | None = None
        self.earlier: Progress | None = None
        """Set by :meth:`load` when the progress recorded an upload of another version of the
        report (it changed since): what that upload had reached."""
        self._sha256_value: str | None = None

    @property
    def _sha256(self) -> str:
        if self._sha256_value is None:  # read the report only when asked: it can be large
            self._sha256_value = _digest(self.report)
        return self._sha256_value

    def load(self, total: int) -> Progress:
        """The recorded progress of this exact report, or a fresh one."""
        fresh = Progress(sha256=self._sha256, total=total)
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return fresh
        if not isinstance(data, dict) or data.get("version") != _VERSION:
            return fresh
        try:
            recorded = Progress(
                sha256=str(data.get("sha256", "")),
                total=int(data.get("total", 0)),
                url=_text(data.get("url")),
                execution=_text(data.get("execution")),
                sent=int(data.get("sent", 0)),
                not_recorded=[int(i) for i in data.get("not_recorded", ())],
                creating_since=_text(data.get("creating_since")),
            )
        except (TypeError, ValueError):
            return fresh
        if recorded.sha256 != self._sha256 or recorded.total != total:
            self.earlier = recorded
            return fresh
        recorded.sent = min(recorded.sent, total)
        recorded.not_recorded = [i for i in recorded.not_recorded if 0 <= i < total]
        return recorded

    def save(self, progress: Progress) -> None:
        """Write ``progress`` atomically."""
        data: dict[str, Any] = {"version": _VERSION, "report": self.report.name}
        data.update(asdict(progress))
        try:
            with atomic_text(self.path) as handle:
                json.dump(data, handle, indent=2)
                handle.write("\n")
        except OSError as error:
            self.error = f"cannot record the upload progress in {self.path}: {error.strerror}"

    def start(self, total: int) -> None:
        """Record that the report is to be sent and nothing is yet: from now on, until every
        result is recorded, the report counts as unsent (see :func:`keep_unsent`)."""
        self.save(Progress(sha256=self._sha256, total=total))

    def unsent(self) -> bool:
        """Whether the report may hold results Xray did not record: its progress shows a send
        that did not complete, or belongs to another version of it, or cannot be read. A report
        without a progress file (a dry run's, or one written without an Xray URL) was never to
        be sent."""
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return False
        except (OSError, ValueError):
            return True
        if not isinstance(data, dict):
            return True
        try:
            done = int(data.get("sent", 0)) >= int(data.get("total", 0))
        except (TypeError, ValueError):
            return True
        return not done or bool(data.get("not_recorded")) or data.get("sha256") != self._sha256

    def remove(self) -> None:
        """Forget the progress (a new report was written over the old one)."""
        try:
            self.path.unlink(missing_ok=True)
        except OSError as error:
            self.error = f"cannot remove the stale {self.path}: {error.strerror}"


def unsent_folder(report: Path) -> Path:
    """Where :func:`keep_unsent` puts the reports of ``report``'s path: ``NAME.unsent/`` beside
    it, which globs of reports such as ``shard-*.json`` do not reach (a kept shard report
    merged with the next run's would count its results twice)."""
    return report.with_name(f"{report.stem}.unsent")


def keep_unsent(report: Path) -> Path | None:
    """Move ``report`` aside when it holds results Xray may not have (see
    :meth:`ProgressFile.unsent`), before a new run writes over it: to
    ``NAME.unsent/NAME.<YYYYmmdd-HHMMSS>.json`` (the time it was written; ``-2``, ``-3`` for
    a name taken), its progress file with it. Returns the new path, or ``None`` when there was
    nothing to keep. Raises :class:`OSError` when the move fails."""
    if not report.is_file() or not ProgressFile(report).unsent():
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(report.stat().st_mtime))
    folder = unsent_folder(report)
    folder.mkdir(exist_ok=True)
    kept, number = folder / f"{report.stem}.{stamp}{report.suffix}", 1
    while kept.exists() or progress_path(kept).exists():
        number += 1
        kept = folder / f"{report.stem}.{stamp}-{number}{report.suffix}"
    report.rename(kept)
    if progress_path(report).exists():
        progress_path(report).rename(progress_path(kept))
    return kept


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return ""
    return digest.hexdigest()


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
