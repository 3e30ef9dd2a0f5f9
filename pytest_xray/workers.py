"""pytest-xdist support: a crash-safe copy of each test's Xray data, shared through a directory.

A test's Xray data travels to the controller on its setup report. A worker that dies while a
test is still in setup (``os._exit``, a segfault in a fixture) never sends that report, and the
crash report pytest-xdist makes instead carries only the node id. So each worker writes the data
of every test it collected to a file once, right after collection, in a directory the controller
gives it through ``workerinput``; the controller reads that file only when such a crash happens.
Workers on other hosts (``--tx ssh=...``) cannot reach the directory; for them a crash in setup
still goes unreported.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

__all__ = [
    "WORKER_DESELECTED",
    "WORKER_HOOKS",
    "WORKER_META_DIR",
    "MetaDirectory",
    "worker_id",
    "write_worker_meta",
]

WORKER_META_DIR = "xray_meta_dir"
"""The ``workerinput`` key naming the directory."""
WORKER_HOOKS = "xray_hooks"
"""In a worker's ``workeroutput``: the pytest-xray hooks its conftest.py files implement."""
WORKER_DESELECTED = "xray_deselected"
"""In a worker's ``workeroutput``: the Xray keys of the tests it deselected."""

Meta = dict[str, Any]


def worker_id(node: Any) -> str | None:
    """The id (``gw0``...) of an xdist ``WorkerController``; None outside xdist."""
    workerinput = getattr(node, "workerinput", None)
    if isinstance(workerinput, dict) and isinstance(workerinput.get("workerid"), str):
        return str(workerinput["workerid"])
    return None


def write_worker_meta(directory: str, worker: str, metas: dict[str, Meta]) -> None:
    """Write ``{nodeid: meta}`` of one worker atomically; a failure only loses the fallback."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{worker}.", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(metas))  # dumps: C speed; dump is pure Python
        os.replace(tmp, Path(directory) / f"{worker}.json")
    except OSError:
        pass


class MetaDirectory:
    """The controller's side: the directory handed to workers, read after a crash."""

    def __init__(self) -> None:
        self._path: str | None = None
        self._loaded: dict[str, dict[str, Meta]] = {}

    @property
    def path(self) -> str:
        """The directory, created on first use."""
        if self._path is None:
            self._path = tempfile.mkdtemp(prefix="pytest-xray-")
        return self._path

    def lookup(self, nodeid: str, worker: str | None) -> Meta | None:
        """The Xray data of ``nodeid``: from the file of ``worker`` (which collected it), else
        from any other worker's file (every worker collects the same tests)."""
        if self._path is None:
            return None
        names = sorted(p.stem for p in Path(self._path).glob("*.json"))
        if worker in names:
            names.remove(worker)
            names.insert(0, worker)
        for name in names:
            meta = self._load(name).get(nodeid)
            if meta is not None:
                return meta
        return None

    def _load(self, name: str) -> dict[str, Meta]:
        if name not in self._loaded:
            assert self._path is not None
            try:
                data = json.loads((Path(self._path) / f"{name}.json").read_text("utf-8"))
            except (OSError, ValueError):
                data = {}
            self._loaded[name] = data if isinstance(data, dict) else {}
        return self._loaded[name]

    def close(self) -> None:
        """Remove the directory."""
        if self._path is not None:
            shutil.rmtree(self._path, ignore_errors=True)
            self._path = None
            self._loaded.clear()
