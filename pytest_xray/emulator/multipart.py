"""A small, exact ``multipart/form-data`` parser (the ``cgi`` module is gone in Python 3.13).

Part bodies are returned byte for byte: binary evidence survives untouched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["MultipartError", "Part", "header_params", "parse_multipart"]

_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


class MultipartError(ValueError):
    """The body is not well-formed multipart/form-data."""


@dataclass(frozen=True)
class Part:
    """One form-data part."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes


def header_params(value: str) -> tuple[str, dict[str, str]]:
    """Split ``text/plain; charset="utf-8"`` into the main value and its parameters."""
    main = value.split(";", 1)[0].strip().lower()
    params: dict[str, str] = {}
    for match in _PARAM.finditer(value[len(value.split(";", 1)[0]) :]):
        raw = match.group(2).strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        params[match.group(1).lower()] = raw
    return main, params


def _parse_part(segment: bytes) -> Part:
    head, separator, data = segment.partition(b"\r\n\r\n")
    if not separator:
        head, separator, data = segment.partition(b"\n\n")
    if not separator:
        raise MultipartError("a multipart part has no blank line after its headers")
    headers: dict[str, str] = {}
    for line in head.decode("utf-8", "replace").splitlines():
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    disposition, params = header_params(headers.get("content-disposition", ""))
    if disposition != "form-data" or "name" not in params:
        raise MultipartError("a multipart part has no Content-Disposition: form-data; name=...")
    return Part(params["name"], params.get("filename"), headers.get("content-type"), data)


def parse_multipart(content_type: str, body: bytes) -> list[Part]:
    """The parts of a ``multipart/form-data`` body, in order (MultipartError when malformed)."""
    media_type, params = header_params(content_type)
    if media_type != "multipart/form-data":
        raise MultipartError(f"expected multipart/form-data, got {media_type or 'no content type'}")
    boundary = params.get("boundary", "")
    if not boundary:
        raise MultipartError("multipart/form-data without a boundary")
    delimiter = b"\r\n--" + boundary.encode("latin-1")
    segments = (b"\r\n" + body).split(delimiter)
    parts: list[Part] = []
    closed = False
    for segment in segments[1:]:
        if segment.startswith(b"--"):
            closed = True
            break
        line_end = segment.find(b"\n")
        if line_end < 0 or segment[:line_end].strip():
            raise MultipartError("garbage after a multipart boundary")
        parts.append(_parse_part(segment[line_end + 1 :]))
    if not closed:
        raise MultipartError("multipart body without its closing boundary")
    return parts
