"""Raw setting values and their parsers: where a value came from, and what makes it valid.

Every parser raises :func:`usage_error`: one line that names the command-line option,
environment variable or ini key the bad value came from, and how to fix it.
"""

from __future__ import annotations

import ipaddress
import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import SplitResult, urlsplit

import pytest

__all__ = ["Sources", "Value", "is_cloud_host", "is_loopback", "usage_error"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_MIN_CHUNK_BYTES = 1024


@dataclass(frozen=True)
class Value:
    """A raw setting value with the place it came from, for error messages."""

    text: str
    where: str


class Sources:
    """Looks a setting up on the command line, then in the environment, then in the ini file.

    A blank value (empty, or only whitespace) counts as unset wherever it comes from, so that
    ``--xray-summary "$SUMMARY"`` with ``SUMMARY`` unset in CI falls through to the next
    source (or the default) instead of setting an empty summary.
    """

    def __init__(self, config: pytest.Config, env: Mapping[str, str]) -> None:
        self._config = config
        self._env = env
        inifile = config.inipath.name if config.inipath else "the ini file"
        self._ini_where = f"in {inifile}"

    def get(self, option: str | None, env: str | None, ini: str | None) -> Value | None:
        if option is not None:
            value = self._config.getoption(option.lstrip("-").replace("-", "_"))
            text = str(value).strip() if value is not None else ""
            if text:
                return Value(text, option)
        if env is not None:
            text = self._env.get(env, "").strip()
            if text:
                return Value(text, f"environment variable {env}")
        if ini is not None:
            raw = self._config.getini(ini)
            text = raw.strip() if isinstance(raw, str) else ""
            if text:
                return Value(text, f"ini key {ini} {self._ini_where}")
        return None

    def text(self, option: str | None, env: str | None, ini: str | None) -> str | None:
        value = self.get(option, env, ini)
        return value.text if value else None

    def lines(
        self, option: str | None, env: str | None, ini: str, sep: str
    ) -> tuple[list[str], str]:
        if option is not None:
            cli: list[str] = self._config.getoption(option.lstrip("-").replace("-", "_")) or []
            given = [v.strip() for v in cli if v.strip()]
            if given:
                return given, option
        if env is not None:
            listed = [v.strip() for v in self._env.get(env, "").split(sep) if v.strip()]
            if listed:
                return listed, env
        values: list[str] = self._config.getini(ini)
        return [v.strip() for v in values if v.strip()], f"ini key {ini}"


def usage_error(where: str, message: str) -> pytest.UsageError:
    return pytest.UsageError(f"pytest-xray: {where}: {message}")


def parse_bool(value: Value | None) -> bool | None:
    if value is None:
        return None
    lowered = value.text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise usage_error(value.where, f"{value.text!r} is not a boolean; use true or false.")


def parse_key(value: Value | None, pattern: re.Pattern[str], form: str) -> str | None:
    if value is None:
        return None
    if not pattern.fullmatch(value.text):
        raise usage_error(value.where, f"{value.text!r} is not a {form}.")
    return value.text


_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def without_userinfo(text: str) -> str:
    """``text`` (a URL, maybe without a scheme) with any ``user:password@`` shown as ``***@``.

    Everything up to the last ``@`` goes, since a password may hold ``/``, ``?`` or ``#``
    that hide it from :func:`urllib.parse.urlsplit`.
    """
    if "@" not in text:
        return text
    scheme = _SCHEME.match(text)
    prefix = scheme.group(0) if scheme else ""
    return f"{prefix}***@{text.rpartition('@')[2]}"


_API_PATH = re.compile(r"/(?:rest/(?:raven|api)|(?P<cloud>api/v\d+))(?:/.*)?$", re.IGNORECASE)
"""An API path in a URL: Xray Server's /rest/raven/2.0, Jira's /rest/api/2, Cloud's /api/v2
(with anything after it, such as /import/execution)."""


def _split(text: str) -> SplitResult | None:
    """``urlsplit``, or None for text it refuses (an unclosed IPv6 bracket)."""
    try:
        return urlsplit(text)
    except ValueError:
        return None


def _shown_url(text: str) -> str:
    """A URL as an error message may show it: no ``user:password@``, no query or fragment
    (either may carry a token)."""
    shown = without_userinfo(text)
    for mark in "?#":
        if mark in shown:
            shown = shown.split(mark, 1)[0] + mark + "..."
    return shown


def _port_ok(parts: SplitResult) -> bool:
    """Whether the URL's port, if any, is a number (a password with a ``/`` in it leaves
    part of itself where the port goes)."""
    try:
        return (parts.port or 0) >= 0
    except ValueError:
        return False


def parse_url(value: Value | None) -> str | None:
    if value is None:
        return None
    parts = _split(value.text)
    shown = _shown_url(value.text)
    if parts is None:
        raise usage_error(
            value.where, f"{shown!r} is not an http(s) URL such as https://jira.example.com."
        )
    if parts.username or parts.password:
        raise usage_error(
            value.where,
            f"the URL {shown} carries credentials; remove them and set XRAY_USER/XRAY_PASSWORD "
            "or XRAY_TOKEN in the environment instead.",
        )
    if parts.scheme not in ("http", "https") or not parts.hostname or not _port_ok(parts):
        raise usage_error(
            value.where, f"{shown!r} is not an http(s) URL such as https://jira.example.com."
        )
    if parts.query or parts.fragment:
        raise usage_error(value.where, f"{shown!r} must not have a query or fragment.")
    api = _API_PATH.search(parts.path)
    if api is not None:
        base = parts._replace(path=parts.path[: api.start()]).geturl()
        setting = "xray_jira_url" if re.search(r"jira[-_]url", value.where, re.I) else "xray_url"
        product = "the Xray Cloud host" if api.group("cloud") else "the Jira base URL"
        raise usage_error(
            value.where,
            f"{shown} includes the API path {api.group(0).rstrip('/')}; set {setting} to "
            f"{product} {base} (pytest-xray adds the API path itself).",
        )
    if re.search(r"jira[-_]url", value.where, re.I):
        # A Jira site copied from an issue link (https://acme.atlassian.net/browse/): links
        # are made as {jira}/browse/KEY, which would give /browse/browse/KEY.
        path = re.sub(r"/+browse/*$", "", parts.path, flags=re.I)
        return parts._replace(path=path).geturl().rstrip("/")
    return value.text.rstrip("/")


_MAX_SECONDS = 1e9
"""About 31 years: more is surely a mistake, and from about 1e10 the system's timers overflow."""


def parse_seconds(value: Value | None, default: float) -> float:
    """A positive, finite number of seconds (``nan``, ``inf`` and ``1e400`` are refused)."""
    if value is None:
        return default
    try:
        seconds = float(value.text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise usage_error(value.where, f"{value.text!r} is not a positive number of seconds.")
    if seconds > _MAX_SECONDS:
        raise usage_error(
            value.where, f"{value.text!r} seconds is too long; give at most {_MAX_SECONDS:.0f}."
        )
    return seconds


_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
_MAX_SIZE = 1 << 40
"""1024G: more is surely a mistake (and a size is shown in messages as a float)."""


def parse_size(value: Value | None, default: int) -> int:
    """A size in bytes: ``1048576``, ``500K``, ``10M``, ``10MB``, ``10MiB``, ``1G``
    (units are powers of 1024), at most 1024G."""
    if value is None:
        return default
    match = _SIZE.fullmatch(value.text)
    # Exact: a float of hundreds of digits is inf, which int() cannot take.
    size = int(Fraction(match.group(1)) * _SIZE_UNITS[match.group(2).lower()]) if match else 0
    if size <= 0:
        raise usage_error(
            value.where, f"{value.text!r} is not a positive size; use bytes or K, M, G (e.g. 10M)."
        )
    if size > _MAX_SIZE:
        raise usage_error(value.where, f"{value.text!r} is too large; give at most 1024G.")
    return size


def parse_count(value: Value | None, default: int, minimum: int, maximum: int | None = None) -> int:
    if value is None:
        return default
    try:
        number = int(value.text)
    except ValueError:
        number = minimum - 1
    if number < minimum:
        raise usage_error(value.where, f"{value.text!r} is not a whole number >= {minimum}.")
    if maximum is not None and number > maximum:
        raise usage_error(value.where, f"{value.text!r} is more than {maximum}.")
    return number


def parse_chunk_size(value: Value | None, default: int) -> int:
    size = parse_size(value, default)
    if value is not None and size < _MIN_CHUNK_BYTES:
        raise usage_error(
            value.where,
            f"{value.text!r} is less than 1KiB; write bytes or e.g. 512KiB, 20MiB.",
        )
    return size


def parse_choice(value: Value | None, choices: tuple[str, ...], default: str) -> str:
    if value is None:
        return default
    if value.text.lower() not in choices:
        raise usage_error(value.where, f"{value.text!r} is not one of {', '.join(choices)}.")
    return value.text.lower()


_FIELD_ID = re.compile(r"customfield_\d+")


def parse_field_id(value: Value | None) -> str | None:
    if value is None:
        return None
    if not _FIELD_ID.fullmatch(value.text):
        raise usage_error(
            value.where,
            f"{value.text!r} is not a Jira custom field id such as customfield_10012 "
            "(Jira lists them at /rest/api/2/field).",
        )
    return value.text


def parse_path(
    config: pytest.Config, value: Value | None, *, directory_ok: bool = False
) -> Path | None:
    if value is None:
        return None
    path = Path(os.path.expanduser(value.text))
    if not path.is_absolute():
        path = Path(config.invocation_params.dir) / path
    if not (path.is_file() or (directory_ok and path.is_dir())):
        raise usage_error(value.where, f"{path} does not exist or is not a readable file.")
    return path


def parse_proxy(value: Value | None) -> str | None:
    """A proxy URL; without a scheme it is ``http://`` (as requests and curl read it). Error
    messages never show its ``user:password@``."""
    if value is None:
        return None
    text = value.text if _SCHEME.match(value.text) else f"http://{value.text}"
    parts = _split(text)
    valid = parts is not None and bool(parts.hostname) and _port_ok(parts)
    if parts is None or parts.scheme not in ("http", "https", "socks5", "socks5h") or not valid:
        raise usage_error(
            value.where,
            f"{_shown_url(value.text)!r} is not a proxy URL such as http://proxy:3128.",
        )
    if parts.password and not value.where.startswith("environment"):
        raise usage_error(
            value.where,
            "the proxy URL carries a password; put it in XRAY_PROXY (or HTTPS_PROXY) in the "
            "environment instead, where it stays out of logs and files.",
        )
    return text


def parse_execution_fields(value: Value | None) -> Mapping[str, Any] | None:
    if value is None:
        return None
    try:
        fields = json.loads(value.text)
    except json.JSONDecodeError as error:
        raise usage_error(
            value.where,
            f"not valid JSON ({error.msg} at character {error.pos}); give a JSON object of "
            'Jira fields such as {"labels": ["nightly"], "components": [{"name": "API"}]}.',
        ) from None
    if not isinstance(fields, dict):
        raise usage_error(
            value.where,
            f'expected a JSON object of Jira fields such as {{"labels": ["nightly"]}}, '
            f"got {type(fields).__name__}.",
        )
    wrappers = " and ".join(repr(name) for name in ("fields", "xrayFields") if name in fields)
    if wrappers:
        # Xray's whole multipart info object pasted here would be sent as info.fields.fields,
        # which Jira refuses, and its xrayFields (the Test Plan) would be lost.
        raise usage_error(
            value.where,
            'give only the Jira fields object (the value of "fields"), not Xray\'s multipart '
            f"info object with {wrappers}; the Test Plan and "
            "environments come from xray_test_plan and xray_environments.",
        )
    return MappingProxyType(fields)


def is_loopback(url: str) -> bool:
    """Whether ``url`` points at this machine (localhost, 127.0.0.0/8, ::1)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_cloud_host(url: str) -> bool:
    """True for Xray Cloud's global or regional host."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")  # "host." is the same host
    return host == "xray.cloud.getxray.app" or host.endswith(".xray.cloud.getxray.app")
