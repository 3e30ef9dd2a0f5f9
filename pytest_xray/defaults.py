"""Default values of the settings, in a module of their own so that registering the options
(which names them in ``--help``) imports nothing else."""

from __future__ import annotations

__all__ = [
    "DEFAULT_CHUNK_BYTES",
    "DEFAULT_CHUNK_TESTS",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_EVIDENCE_MAX_FILE",
    "DEFAULT_EVIDENCE_MAX_TOTAL",
    "DEFAULT_MAX_WAIT",
    "DEFAULT_READ_TIMEOUT",
    "DEFAULT_REPORT",
    "DEFAULT_RETRIES",
    "MAX_RETRIES",
    "MIB",
]

MIB = 1 << 20
DEFAULT_REPORT = "xray-report.json"
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 300.0
DEFAULT_EVIDENCE_MAX_FILE = 10 * MIB
DEFAULT_EVIDENCE_MAX_TOTAL = 50 * MIB
"""50 MiB of files are about 67 MiB in base64: well under the ~100 MiB Xray takes per request."""
DEFAULT_CHUNK_TESTS = 1000
DEFAULT_CHUNK_BYTES = 20 * 1024 * 1024
"""Well under the ~100 MiB that Xray (or its proxy) accepts, and quick to resend."""
DEFAULT_RETRIES = 4
"""Retries after the first attempt: five attempts over about 15 s of backoff."""
MAX_RETRIES = 100
"""At the longest backoff (30 s) about an hour of retrying; more is a mistake."""
DEFAULT_MAX_WAIT = 120.0
"""The longest single wait, in seconds; a longer ``Retry-After`` makes us give up at once."""
