"""Splitting a report into requests of bounded size, encoding one chunk at a time.

Each ``tests[]`` entry is encoded on its own and joined into one chunk's body, so the memory of
an upload is about one chunk, whatever the size of the run. An entry is never split: Xray
replaces a Test Run's iterations on each import, so all of them must travel together.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Chunk", "Limits", "encode_body", "next_chunk"]

_OVERHEAD_SLACK = 64
"""Room for the ``testExecutionKey`` that later chunks add to the head."""


@dataclass(frozen=True)
class Limits:
    """At most ``tests`` entries and ``bytes`` bytes of body per request."""

    tests: int
    bytes: int

    def shrunk(self, refused: Chunk) -> Limits:
        """Half of a chunk that Xray refused as too large (HTTP 413)."""
        return Limits(tests=max(1, len(refused) // 2), bytes=max(1, refused.size // 2))


@dataclass
class Chunk:
    """Consecutive pending entries: their positions in ``tests`` and their encoded JSON."""

    indices: list[int] = field(default_factory=list)
    parts: list[bytes] = field(default_factory=list)
    size: int = 0

    def __len__(self) -> int:
        return len(self.indices)

    def add(self, index: int, part: bytes) -> None:
        self.indices.append(index)
        self.parts.append(part)
        self.size += len(part) + 1  # and its comma


def encode_test(test: dict[str, Any]) -> bytes:
    """One ``tests[]`` entry as UTF-8 JSON (evidence included: it counts toward the budget)."""
    return json.dumps(test, ensure_ascii=False).encode("utf-8")


def encode_body(head: dict[str, Any], parts: Sequence[bytes]) -> bytes:
    """The Xray JSON of ``head`` (``testExecutionKey``, ``info``) with the encoded ``parts``
    as its ``tests`` array."""
    prefix = json.dumps({**head, "tests": []}, ensure_ascii=False).encode("utf-8")
    return b"".join((prefix[:-3], b"[", b",".join(parts), b"]}"))


def next_chunk(
    tests: Sequence[dict[str, Any]],
    pending: Sequence[int],
    start: int,
    limits: Limits,
    head: dict[str, Any],
) -> Chunk:
    """The chunk of ``pending[start:]`` that fits ``limits`` (at least one entry, even one
    that alone is larger: only the server can say whether it is too large)."""
    budget = limits.bytes - len(encode_body(head, ())) - _OVERHEAD_SLACK
    chunk = Chunk()
    for index in pending[start : start + limits.tests]:
        part = encode_test(tests[index])
        if chunk.indices and chunk.size + len(part) + 1 > budget:
            break
        chunk.add(index, part)
    return chunk
