"""Configuration: command line, environment and ini file, resolved once into :class:`Settings`.

Precedence is command line, then environment, then ini file. Credentials come only from the
environment. Every invalid value or contradiction is a :class:`pytest.UsageError` raised at
configure time, before any test runs, naming where the value came from and how to fix it.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import pytest

from pytest_xray.markers import ISSUE_KEY
from pytest_xray.model import Outcome
from pytest_xray.retry import DEFAULT_MAX_WAIT, DEFAULT_RETRIES
from pytest_xray.template import TemplateError, render_summary

__all__ = [
    "CLOUD_HOST",
    "DEFAULT_REPORT",
    "Credentials",
    "Settings",
    "add_options",
    "resolve",
]

CLOUD_HOST = "https://xray.cloud.getxray.app"
DEFAULT_REPORT = "xray-report.json"
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 300.0
MIB = 1 << 20
DEFAULT_EVIDENCE_MAX_FILE = 10 * MIB
DEFAULT_EVIDENCE_MAX_TOTAL = 50 * MIB
"""50 MiB of files are about 67 MiB in base64: well under the ~100 MiB Xray takes per request."""
ATTACH_OUTPUT = ("never", "on-failure", "always")
DEFAULT_CHUNK_TESTS = 1000
DEFAULT_CHUNK_BYTES = 20 * 1024 * 1024
"""Well under the ~100 MiB that Xray (or its proxy) accepts, and quick to resend."""
_MIN_CHUNK_BYTES = 1024

PROJECT_KEY = re.compile(r"[A-Z][A-Z0-9_]*")

SERVER_STATUSES: Mapping[Outcome, str] = MappingProxyType(
    {
        Outcome.PASSED: "PASS",
        Outcome.FAILED: "FAIL",
        Outcome.ERROR: "FAIL",
        Outcome.SKIPPED: "TODO",
        Outcome.XFAILED: "FAIL",
        Outcome.XPASSED: "PASS",
    }
)
CLOUD_STATUSES: Mapping[Outcome, str] = MappingProxyType(
    {
        Outcome.PASSED: "PASSED",
        Outcome.FAILED: "FAILED",
        Outcome.ERROR: "FAILED",
        Outcome.SKIPPED: "TODO",
        Outcome.XFAILED: "FAILED",
        Outcome.XPASSED: "PASSED",
    }
)

_SERVER_VERSIONS = {"1": "1.0", "1.0": "1.0", "v1": "1.0", "2": "2.0", "2.0": "2.0", "v2": "2.0"}
_SERVER_VERSIONS["latest"] = "latest"
_CLOUD_VERSIONS = {"1": "v1", "1.0": "v1", "v1": "v1", "2": "v2", "2.0": "v2", "v2": "v2"}
_CLOUD_VERSIONS["latest"] = "v2"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Credentials:
    """Secrets from the environment. Their values never appear in ``repr``."""

    user: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    oauth_consumer_key: str | None = None
    oauth_private_key: str | None = field(default=None, repr=False)
    """The PEM text of the RSA private key (read from the XRAY_OAUTH_PRIVATE_KEY file)."""
    oauth_token: str | None = field(default=None, repr=False)
    oauth_token_secret: str | None = field(default=None, repr=False)

    @property
    def basic(self) -> bool:
        return self.user is not None

    @property
    def oauth(self) -> bool:
        """Jira OAuth 1.0a (RSA-SHA1 application link), Server / Data Center only."""
        return self.oauth_consumer_key is not None

    @property
    def client(self) -> bool:
        return self.client_id is not None

    @property
    def any(self) -> bool:
        return self.basic or self.client or self.token is not None or self.oauth

    def secrets(self) -> tuple[str, ...]:
        """Every secret value set, for scrubbing text before it is shown."""
        values = (
            self.password,
            self.token,
            self.client_secret,
            self.oauth_private_key,
            self.oauth_token,
            self.oauth_token_secret,
        )
        return tuple(s for s in values if s)


@dataclass(frozen=True)
class Settings:
    """Everything the plugin was told, resolved once at configure time. Immutable."""

    enabled: bool = False
    url: str | None = None
    cloud: bool = False
    api_version: str = "2.0"
    project: str | None = None
    execution: str | None = None
    test_plan: str | None = None
    environments: tuple[str, ...] = ()
    fix_version: str | None = None
    revision: str | None = None
    summary: str | None = None
    description: str | None = None
    output: Path | None = None
    dry_run: bool = False
    statuses: Mapping[Outcome, str] = field(default_factory=lambda: SERVER_STATUSES)
    jira_url: str | None = None
    strict: bool = False
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    credentials: Credentials = Credentials()
    evidence_max_file: int = DEFAULT_EVIDENCE_MAX_FILE
    """Largest file attached as evidence, in bytes."""
    evidence_max_total: int = DEFAULT_EVIDENCE_MAX_TOTAL
    """Most bytes of evidence in one upload (before base64)."""
    attach_output: str = "on-failure"
    """When a test's captured output is attached: ``never``, ``on-failure``, ``always``."""
    create_tests: bool = False
    """Report unmarked tests through ``testInfo``, so that Xray finds or creates their Tests."""
    test_labels: tuple[str, ...] = ()
    """Labels of Tests reported through ``testInfo`` for unmarked tests."""
    execution_fields: Mapping[str, Any] | None = None
    """Jira fields of a new Test Execution; when set, it is created through the multipart
    endpoint."""
    test_plan_field: str | None = None
    """Server / DC: the id of the Test Execution's Test Plan custom field (multipart only)."""
    environments_field: str | None = None
    """Server / DC: the id of the Test Execution's Test Environments custom field."""
    retries: int = DEFAULT_RETRIES
    max_wait: float = DEFAULT_MAX_WAIT
    chunk_tests: int = DEFAULT_CHUNK_TESTS
    chunk_bytes: int = DEFAULT_CHUNK_BYTES
    ca_bundle: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    verify: bool = True
    proxy: str | None = field(default=None, repr=False)
    resend_args: tuple[str, ...] = ()
    """The ``--xray-*`` options of this run that a resend needs (they came from the command
    line, so ``pytest-xray upload`` would not see them); shell-quoted, never secrets."""
    warnings: tuple[str, ...] = ()
    """Risks the user accepted (TLS verification off, credentials over plain http)."""
    check: bool = False
    """Verify before any test runs that every key of the collected tests is an Xray Test."""
    result_file: Path | None = None
    """Where to write a small JSON of the outcome for CI scripts."""

    @property
    def upload(self) -> bool:
        """True when results are sent to Xray (a URL is known and this is not a dry run)."""
        return self.url is not None and not self.dry_run

    @property
    def browse_base(self) -> str | None:
        """The Jira site that ``/browse/KEY`` links point to, when known."""
        if self.jira_url:
            return self.jira_url
        return None if self.cloud else self.url


def add_options(parser: pytest.Parser) -> None:
    """Register the ``xray`` option group and ini keys."""
    group = parser.getgroup("xray", "report results to Xray (Jira test management)")
    add = group.addoption
    add(
        "--xray",
        action="store_true",
        default=False,
        help="Collect results of tests marked with @pytest.mark.xray and report them to Xray.",
    )
    add(
        "--xray-url",
        metavar="URL",
        default=None,
        help="Jira base URL (Server/DC) or Xray Cloud host. Env XRAY_URL, ini xray_url.",
    )
    add(
        "--xray-cloud",
        action="store_true",
        default=False,
        help="Treat the URL as Xray Cloud (env XRAY_CLOUD, ini xray_cloud).",
    )
    add(
        "--xray-server",
        action="store_true",
        default=False,
        help="Treat the URL as Xray Server / Data Center.",
    )
    add(
        "--xray-api-version",
        metavar="VERSION",
        default=None,
        help="Server: 1.0, 2.0 (default), latest. Cloud: v1, v2 (default).",
    )
    add(
        "--xray-project",
        metavar="KEY",
        default=None,
        help="Jira project key of a new Test Execution.",
    )
    add(
        "--xray-execution",
        metavar="KEY",
        default=None,
        help="Existing Test Execution to add results to.",
    )
    add("--xray-test-plan", metavar="KEY", default=None, help="Test Plan to link.")
    add(
        "--xray-environment",
        metavar="NAME",
        action="append",
        default=None,
        help="Test environment (repeatable).",
    )
    add("--xray-fix-version", metavar="NAME", default=None, help="Fix version of the execution.")
    add("--xray-revision", metavar="REV", default=None, help="Source revision tested.")
    add("--xray-summary", metavar="TEXT", default=None, help="Summary of a new Test Execution.")
    add("--xray-description", metavar="TEXT", default=None, help="Description of the execution.")
    add(
        "--xray-output",
        metavar="PATH",
        default=None,
        help=f"Write the Xray JSON report here (default {DEFAULT_REPORT} when not uploading).",
    )
    add(
        "--xray-dry-run",
        action="store_true",
        default=False,
        help="Build and write the report, do not upload.",
    )
    add(
        "--xray-status",
        metavar="OUTCOME=STATUS",
        action="append",
        default=None,
        help="Override the Xray status of a pytest outcome (repeatable).",
    )
    add(
        "--xray-jira-url",
        metavar="URL",
        default=None,
        help="Jira site for browse links (Cloud). Env XRAY_JIRA_URL, ini xray_jira_url.",
    )
    add(
        "--xray-strict",
        action="store_true",
        default=None,
        help="Exit non-zero when the upload fails or is partial.",
    )
    add(
        "--xray-timeout",
        metavar="SECONDS",
        default=None,
        help=f"Read timeout of an upload (default {DEFAULT_READ_TIMEOUT:g}).",
    )
    add(
        "--xray-attach-output",
        metavar="WHEN",
        default=None,
        help="Attach captured stdout/stderr/log of a test as evidence: never, on-failure "
        "(default), always.",
    )
    add(
        "--xray-evidence-max-file",
        metavar="SIZE",
        default=None,
        help="Largest evidence file, e.g. 10M (default 10 MiB).",
    )
    add(
        "--xray-evidence-max-total",
        metavar="SIZE",
        default=None,
        help="Most evidence in one upload, e.g. 50M (default 50 MiB).",
    )
    add(
        "--xray-create-tests",
        action="store_true",
        default=None,
        help="Report tests without an xray marker too: Xray finds or creates a Generic Test "
        "for each (by its node id).",
    )
    add(
        "--xray-retries",
        metavar="N",
        default=None,
        help=f"Retries of a failed request (default {DEFAULT_RETRIES}; 0: none).",
    )
    add(
        "--xray-max-wait",
        metavar="SECONDS",
        default=None,
        help=f"Longest wait before a retry, Retry-After included (default {DEFAULT_MAX_WAIT:g}).",
    )
    add(
        "--xray-chunk-tests",
        metavar="N",
        default=None,
        help=f"At most N tests per request (default {DEFAULT_CHUNK_TESTS}).",
    )
    add(
        "--xray-chunk-bytes",
        metavar="SIZE",
        default=None,
        help="At most SIZE bytes per request, e.g. 20MiB (the default).",
    )
    add(
        "--xray-ca-bundle",
        metavar="PATH",
        default=None,
        help="CA certificate(s) to verify Xray's TLS certificate (a private CA).",
    )
    add(
        "--xray-client-cert",
        metavar="PATH",
        default=None,
        help="Client certificate (PEM) for mutual TLS; may hold the key too.",
    )
    add("--xray-client-key", metavar="PATH", default=None, help="Key of --xray-client-cert.")
    add(
        "--xray-proxy",
        metavar="URL",
        default=None,
        help="Proxy for Xray requests (default: HTTPS_PROXY/HTTP_PROXY/NO_PROXY).",
    )
    add(
        "--xray-check",
        action="store_true",
        default=None,
        help="Before any test runs, check that every Xray key of the collected tests is an "
        "existing Xray Test; stop with an error listing the others. "
        "Env XRAY_CHECK, ini xray_check.",
    )
    add(
        "--xray-result-file",
        metavar="PATH",
        default=None,
        help="Write the outcome (execution key, link, counts, errors) as JSON here, for CI. "
        "Env XRAY_RESULT_FILE, ini xray_result_file.",
    )

    ini = parser.addini
    ini("xray_url", "Jira base URL (Server/DC) or Xray Cloud host.")
    ini("xray_cloud", "true: Xray Cloud, false: Server / Data Center (default: from the URL).")
    ini("xray_api_version", "Xray REST API version.")
    ini("xray_project", "Jira project key of a new Test Execution.")
    ini("xray_execution", "Existing Test Execution key.")
    ini("xray_test_plan", "Test Plan key.")
    ini("xray_environments", "Test environments, one per line.", type="linelist")
    ini("xray_fix_version", "Fix version.")
    ini("xray_revision", "Source revision.")
    ini("xray_summary", "Summary of a new Test Execution.")
    ini("xray_description", "Description of the Test Execution.")
    ini("xray_output", "Path of the Xray JSON report.")
    ini("xray_status", "Status overrides, lines OUTCOME=STATUS.", type="linelist")
    ini("xray_jira_url", "Jira site for browse links (Cloud).")
    ini("xray_strict", "true: a failed or partial upload fails the run.")
    ini("xray_timeout", "Read timeout of an upload in seconds.")
    ini("xray_attach_output", "Attach captured output as evidence: never, on-failure, always.")
    ini("xray_evidence_max_file", "Largest evidence file (e.g. 10M).")
    ini("xray_evidence_max_total", "Most evidence in one upload (e.g. 50M).")
    ini("xray_create_tests", "true: report unmarked tests, creating their Xray Tests.")
    ini("xray_test_labels", "Labels of Tests created for unmarked tests.", type="linelist")
    ini("xray_execution_fields", "JSON object of Jira fields of a new Test Execution.")
    ini("xray_test_plan_field", "Server: custom field id of the Test Execution's Test Plan.")
    ini("xray_environments_field", "Server: custom field id of its Test Environments.")
    ini("xray_retries", "Retries of a failed request.")
    ini("xray_max_wait", "Longest wait before a retry in seconds.")
    ini("xray_chunk_tests", "At most this many tests per request.")
    ini("xray_chunk_bytes", "At most this many bytes per request (e.g. 20MiB).")
    ini("xray_ca_bundle", "CA certificate(s) to verify Xray's TLS certificate.")
    ini("xray_client_cert", "Client certificate for mutual TLS.")
    ini("xray_client_key", "Key of the client certificate.")
    ini("xray_proxy", "Proxy URL for Xray requests (no credentials here: use XRAY_PROXY).")
    ini("xray_verify", "false: do not verify TLS certificates (insecure; a warning is shown).")
    ini("xray_check", "true: check the Xray keys of the collected tests before running them.")
    ini("xray_result_file", "Path of a JSON file with the outcome of the upload, for CI.")


@dataclass(frozen=True)
class _Value:
    """A raw setting value with the place it came from, for error messages."""

    text: str
    where: str


class _Sources:
    """Looks a setting up on the command line, then in the environment, then in the ini file."""

    def __init__(self, config: pytest.Config, env: Mapping[str, str]) -> None:
        self._config = config
        self._env = env
        inifile = config.inipath.name if config.inipath else "the ini file"
        self._ini_where = f"in {inifile}"

    def get(self, option: str | None, env: str | None, ini: str | None) -> _Value | None:
        if option is not None:
            value = self._config.getoption(option.lstrip("-").replace("-", "_"))
            if value is not None:
                return _Value(str(value).strip(), option)
        if env is not None:
            text = self._env.get(env, "").strip()
            if text:
                return _Value(text, f"environment variable {env}")
        if ini is not None:
            raw = self._config.getini(ini)
            text = raw.strip() if isinstance(raw, str) else ""
            if text:
                return _Value(text, f"ini key {ini} {self._ini_where}")
        return None

    def text(self, option: str | None, env: str | None, ini: str | None) -> str | None:
        value = self.get(option, env, ini)
        return value.text if value else None

    def lines(
        self, option: str | None, env: str | None, ini: str, sep: str
    ) -> tuple[list[str], str]:
        if option is not None:
            cli: list[str] | None = self._config.getoption(option.lstrip("-").replace("-", "_"))
            if cli:
                return [v.strip() for v in cli if v.strip()], option
        if env is not None and self._env.get(env, "").strip():
            return [v.strip() for v in self._env[env].split(sep) if v.strip()], env
        values: list[str] = self._config.getini(ini)
        return [v.strip() for v in values if v.strip()], f"ini key {ini}"


def _fail(where: str, message: str) -> pytest.UsageError:
    return pytest.UsageError(f"pytest-xray: {where}: {message}")


def _bool(value: _Value | None) -> bool | None:
    if value is None:
        return None
    lowered = value.text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise _fail(value.where, f"{value.text!r} is not a boolean; use true or false.")


def _key(value: _Value | None, pattern: re.Pattern[str], form: str) -> str | None:
    if value is None:
        return None
    if not pattern.fullmatch(value.text):
        raise _fail(value.where, f"{value.text!r} is not a {form}.")
    return value.text


def _url(value: _Value | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value.text)
    if parts.username or parts.password:
        shown = parts._replace(netloc=parts.hostname or "").geturl()
        raise _fail(
            value.where,
            f"the URL {shown} carries credentials; remove them and set XRAY_USER/XRAY_PASSWORD "
            "or XRAY_TOKEN in the environment instead.",
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _fail(
            value.where, f"{value.text!r} is not an http(s) URL such as https://jira.example.com."
        )
    if parts.query or parts.fragment:
        raise _fail(value.where, f"{value.text!r} must not have a query or fragment.")
    return value.text.rstrip("/")


def _timeout(value: _Value | None, default: float) -> float:
    if value is None:
        return default
    try:
        seconds = float(value.text)
    except ValueError:
        seconds = -1.0
    if seconds <= 0:
        raise _fail(value.where, f"{value.text!r} is not a positive number of seconds.")
    return seconds


_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def _size(value: _Value | None, default: int) -> int:
    """A size in bytes: ``1048576``, ``500K``, ``10M``, ``10MB``, ``10MiB``, ``1G``
    (units are powers of 1024)."""
    if value is None:
        return default
    match = _SIZE.fullmatch(value.text)
    size = int(float(match.group(1)) * _SIZE_UNITS[match.group(2).lower()]) if match else 0
    if size <= 0:
        raise _fail(
            value.where, f"{value.text!r} is not a positive size; use bytes or K, M, G (e.g. 10M)."
        )
    return size


def _count(value: _Value | None, default: int, minimum: int) -> int:
    if value is None:
        return default
    try:
        number = int(value.text)
    except ValueError:
        number = minimum - 1
    if number < minimum:
        raise _fail(value.where, f"{value.text!r} is not a whole number >= {minimum}.")
    return number


def _chunk_size(value: _Value | None, default: int) -> int:
    size = _size(value, default)
    if value is not None and size < _MIN_CHUNK_BYTES:
        raise _fail(
            value.where,
            f"{value.text!r} is less than 1KiB; write bytes or e.g. 512KiB, 20MiB.",
        )
    return size


def _choice(value: _Value | None, choices: tuple[str, ...], default: str) -> str:
    if value is None:
        return default
    if value.text.lower() not in choices:
        raise _fail(value.where, f"{value.text!r} is not one of {', '.join(choices)}.")
    return value.text.lower()


_FIELD_ID = re.compile(r"customfield_\d+")


def _field_id(value: _Value | None) -> str | None:
    if value is None:
        return None
    if not _FIELD_ID.fullmatch(value.text):
        raise _fail(
            value.where,
            f"{value.text!r} is not a Jira custom field id such as customfield_10012 "
            "(Jira lists them at /rest/api/2/field).",
        )
    return value.text


def _path(
    config: pytest.Config, value: _Value | None, *, directory_ok: bool = False
) -> Path | None:
    if value is None:
        return None
    path = Path(os.path.expanduser(value.text))
    if not path.is_absolute():
        path = Path(config.invocation_params.dir) / path
    if not (path.is_file() or (directory_ok and path.is_dir())):
        raise _fail(value.where, f"{path} does not exist or is not a readable file.")
    return path


def _proxy(value: _Value | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value.text)
    if parts.scheme not in ("http", "https", "socks5", "socks5h") or not parts.hostname:
        raise _fail(value.where, f"{value.text!r} is not a proxy URL such as http://proxy:3128.")
    if parts.password and not value.where.startswith("environment"):
        raise _fail(
            value.where,
            "the proxy URL carries a password; put it in XRAY_PROXY (or HTTPS_PROXY) in the "
            "environment instead, where it stays out of logs and files.",
        )
    return value.text


def _execution_fields(value: _Value | None) -> Mapping[str, Any] | None:
    if value is None:
        return None
    try:
        fields = json.loads(value.text)
    except json.JSONDecodeError as error:
        raise _fail(
            value.where,
            f"not valid JSON ({error.msg} at character {error.pos}); give a JSON object of "
            'Jira fields such as {"labels": ["nightly"], "components": [{"name": "API"}]}.',
        ) from None
    if not isinstance(fields, dict):
        raise _fail(
            value.where,
            f'expected a JSON object of Jira fields such as {{"labels": ["nightly"]}}, '
            f"got {type(fields).__name__}.",
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
    host = (urlsplit(url).hostname or "").lower()
    return host == "xray.cloud.getxray.app" or host.endswith(".xray.cloud.getxray.app")


_OAUTH_NEEDED = ("XRAY_OAUTH_CONSUMER_KEY", "XRAY_OAUTH_PRIVATE_KEY", "XRAY_OAUTH_TOKEN")
_OAUTH_VARIABLES = (*_OAUTH_NEEDED, "XRAY_OAUTH_TOKEN_SECRET")


def _oauth_key(env: Mapping[str, str], base: Path) -> str | None:
    """The PEM text of the XRAY_OAUTH_PRIVATE_KEY file, checked by the oauth extra."""
    name = env.get("XRAY_OAUTH_PRIVATE_KEY")
    if not name:
        return None
    from pytest_xray.oauth import OAuthSetupError, read_private_key, require_extra

    try:
        require_extra()
    except OAuthSetupError as error:
        raise _fail("credentials", str(error)) from None
    path = Path(os.path.expanduser(name))
    try:
        return read_private_key(path if path.is_absolute() else base / path)
    except OAuthSetupError as error:
        raise _fail("environment variable XRAY_OAUTH_PRIVATE_KEY", str(error)) from None


def _credentials(env: Mapping[str, str], base: Path) -> Credentials:
    def get(name: str) -> str | None:
        return env.get(name) or None

    oauth_set = [name for name in _OAUTH_VARIABLES if get(name)]
    oauth_missing = [name for name in _OAUTH_NEEDED if not get(name)]
    if oauth_set and oauth_missing:
        raise _fail(
            "credentials",
            f"Jira OAuth needs {', '.join(_OAUTH_NEEDED)} (XRAY_OAUTH_TOKEN_SECRET optional); "
            f"{', '.join(oauth_missing)} not set.",
        )
    creds = Credentials(
        user=get("XRAY_USER"),
        password=get("XRAY_PASSWORD"),
        token=get("XRAY_TOKEN"),
        client_id=get("XRAY_CLIENT_ID"),
        client_secret=get("XRAY_CLIENT_SECRET"),
        oauth_consumer_key=get("XRAY_OAUTH_CONSUMER_KEY"),
        oauth_private_key=_oauth_key(env, base) if oauth_set else None,
        oauth_token=get("XRAY_OAUTH_TOKEN"),
        oauth_token_secret=get("XRAY_OAUTH_TOKEN_SECRET"),
    )
    for first, second, a, b in (
        ("XRAY_USER", "XRAY_PASSWORD", creds.user, creds.password),
        ("XRAY_CLIENT_ID", "XRAY_CLIENT_SECRET", creds.client_id, creds.client_secret),
    ):
        if (a is None) != (b is None):
            missing = second if a is not None else first
            raise _fail("credentials", f"{first} and {second} go together; {missing} is not set.")
    kinds = [
        name
        for name, present in (
            ("XRAY_USER/XRAY_PASSWORD", creds.basic),
            ("XRAY_TOKEN", creds.token is not None),
            ("XRAY_CLIENT_ID/XRAY_CLIENT_SECRET", creds.client),
            ("XRAY_OAUTH_*", creds.oauth),
        )
        if present
    ]
    if len(kinds) > 1:
        raise _fail("credentials", f"{' and '.join(kinds)} are all set; keep only one of them.")
    return creds


def _statuses(config: pytest.Config, cloud: bool) -> Mapping[Outcome, str]:
    """The product's default mapping, updated by the ini lines, then by the command line's
    (an outcome set in both takes the command line's status)."""
    statuses = dict(CLOUD_STATUSES if cloud else SERVER_STATUSES)
    known = ", ".join(o.value for o in Outcome)
    ini_lines: list[str] = config.getini("xray_status")
    cli_lines: list[str] = config.getoption("xray_status") or []
    lines = [(line, "ini key xray_status") for line in ini_lines if line.strip()]
    lines += [(line, "--xray-status") for line in cli_lines]
    for line, where in lines:
        outcome, sep, status = line.partition("=")
        outcome, status = outcome.strip().lower(), status.strip()
        if not sep or not status:
            raise _fail(where, f"{line!r} is not OUTCOME=STATUS (for example skipped=BLOCKED).")
        try:
            statuses[Outcome(outcome)] = status
        except ValueError:
            raise _fail(
                where, f"unknown outcome {outcome!r} in {line!r}; use one of {known}."
            ) from None
    return MappingProxyType(statuses)


def resolve(
    config: pytest.Config, env: Mapping[str, str] | None = None, check_upload: bool = True
) -> Settings:
    """Resolve every setting of ``config`` (and ``env``, default ``os.environ``) once.

    ``check_upload`` also requires what creating an execution needs (credentials, a project);
    the resend command turns it off, since a saved report already carries its project.
    """
    env = os.environ if env is None else env
    sources = _Sources(config, env)
    enable_env = _bool(sources.get(None, "XRAY_ENABLE", None))
    enabled = bool(config.getoption("xray")) or bool(enable_env)
    if not enabled:
        return Settings()

    creds = _credentials(env, Path(config.invocation_params.dir))
    url = _url(sources.get("--xray-url", "XRAY_URL", "xray_url"))
    force_cloud, force_server = config.getoption("xray_cloud"), config.getoption("xray_server")
    if force_cloud and force_server:
        raise _fail("--xray-cloud/--xray-server", "give one of them, not both.")
    forced = (
        True
        if force_cloud
        else False
        if force_server
        else _bool(sources.get(None, "XRAY_CLOUD", "xray_cloud"))
    )
    if url and (urlsplit(url).hostname or "").lower().endswith(".atlassian.net"):
        raise _fail(
            "xray_url",
            f"{url} is your Jira Cloud site, not the Xray API host. Set the URL to "
            f"{CLOUD_HOST} (or your region's us./eu./au. host) and XRAY_JIRA_URL={url} for links.",
        )
    if forced is not None:
        cloud = forced
    elif url is not None:
        cloud = is_cloud_host(url)
    else:
        cloud = creds.client
    if cloud and url is None and creds.client:
        url = CLOUD_HOST

    if cloud and creds.basic:
        raise _fail(
            "credentials",
            "Xray Cloud refuses Basic auth (XRAY_USER/XRAY_PASSWORD); "
            "set XRAY_CLIENT_ID and XRAY_CLIENT_SECRET from an Xray API key.",
        )
    if cloud and creds.oauth:
        raise _fail(
            "credentials",
            "Jira OAuth (XRAY_OAUTH_*) is for Xray Server / Data Center; Xray Cloud takes "
            "XRAY_CLIENT_ID and XRAY_CLIENT_SECRET.",
        )
    if not cloud and creds.client:
        raise _fail(
            "credentials",
            f"XRAY_CLIENT_ID/XRAY_CLIENT_SECRET are Xray Cloud credentials but {url} is treated "
            "as Server / Data Center; use XRAY_USER/XRAY_PASSWORD or XRAY_TOKEN, or --xray-cloud.",
        )

    version_value = sources.get("--xray-api-version", "XRAY_API_VERSION", "xray_api_version")
    versions = _CLOUD_VERSIONS if cloud else _SERVER_VERSIONS
    api_version = "v2" if cloud else "2.0"
    if version_value is not None:
        normalized = versions.get(version_value.text.lower())
        if normalized is None:
            allowed = "v1, v2" if cloud else "1.0, 2.0, latest"
            raise _fail(
                version_value.where,
                f"unknown API version {version_value.text!r} for Xray "
                f"{'Cloud' if cloud else 'Server'}; use one of {allowed}.",
            )
        api_version = normalized

    project = _key(
        sources.get("--xray-project", "XRAY_PROJECT", "xray_project"),
        PROJECT_KEY,
        "Jira project key such as CALC",
    )
    execution = _key(
        sources.get("--xray-execution", "XRAY_EXECUTION", "xray_execution"),
        ISSUE_KEY,
        "Jira issue key such as CALC-123",
    )
    test_plan = _key(
        sources.get("--xray-test-plan", "XRAY_TEST_PLAN", "xray_test_plan"),
        ISSUE_KEY,
        "Jira issue key such as CALC-123",
    )
    environments, _ = sources.lines(
        "--xray-environment", "XRAY_ENVIRONMENTS", "xray_environments", ","
    )
    labels, _ = sources.lines(None, "XRAY_TEST_LABELS", "xray_test_labels", ",")
    create_cli: bool | None = config.getoption("xray_create_tests")
    create_tests = bool(create_cli) or bool(
        _bool(sources.get(None, "XRAY_CREATE_TESTS", "xray_create_tests"))
    )
    if create_tests and project is None and check_upload:
        raise _fail(
            "--xray-create-tests",
            "Tests for unmarked tests are created in a project: set --xray-project / "
            "XRAY_PROJECT / xray_project.",
        )
    summary_value = sources.get("--xray-summary", "XRAY_SUMMARY", "xray_summary")
    summary = summary_value.text if summary_value is not None else None
    # Rendered once, by the process that builds the payload (not by each xdist worker).
    if summary_value is not None and not hasattr(config, "workerinput"):
        try:
            summary = render_summary(summary_value.text, env, Path(config.invocation_params.dir))
        except TemplateError as error:
            raise _fail(summary_value.where, str(error)) from None
    output_text = sources.text("--xray-output", "XRAY_OUTPUT", "xray_output")
    dry_run = bool(config.getoption("xray_dry_run"))
    strict_cli: bool | None = config.getoption("xray_strict")
    strict = bool(strict_cli) or bool(_bool(sources.get(None, "XRAY_STRICT", "xray_strict")))

    settings = Settings(
        enabled=True,
        url=url,
        cloud=cloud,
        api_version=api_version,
        project=project,
        execution=execution,
        test_plan=test_plan,
        environments=tuple(dict.fromkeys(environments)),
        fix_version=sources.text("--xray-fix-version", "XRAY_FIX_VERSION", "xray_fix_version"),
        revision=sources.text("--xray-revision", "XRAY_REVISION", "xray_revision"),
        summary=summary,
        description=sources.text("--xray-description", "XRAY_DESCRIPTION", "xray_description"),
        output=_output_path(config, output_text),
        dry_run=dry_run,
        statuses=_statuses(config, cloud),
        jira_url=_url(sources.get("--xray-jira-url", "XRAY_JIRA_URL", "xray_jira_url")),
        strict=strict,
        read_timeout=_timeout(
            sources.get("--xray-timeout", "XRAY_TIMEOUT", "xray_timeout"), DEFAULT_READ_TIMEOUT
        ),
        credentials=creds,
        evidence_max_file=_size(
            sources.get(
                "--xray-evidence-max-file", "XRAY_EVIDENCE_MAX_FILE", "xray_evidence_max_file"
            ),
            DEFAULT_EVIDENCE_MAX_FILE,
        ),
        evidence_max_total=_size(
            sources.get(
                "--xray-evidence-max-total", "XRAY_EVIDENCE_MAX_TOTAL", "xray_evidence_max_total"
            ),
            DEFAULT_EVIDENCE_MAX_TOTAL,
        ),
        attach_output=_choice(
            sources.get("--xray-attach-output", "XRAY_ATTACH_OUTPUT", "xray_attach_output"),
            ATTACH_OUTPUT,
            "on-failure",
        ),
        create_tests=create_tests,
        test_labels=tuple(dict.fromkeys(labels)),
        execution_fields=_execution_fields(
            sources.get(None, "XRAY_EXECUTION_FIELDS", "xray_execution_fields")
        ),
        test_plan_field=_field_id(
            sources.get(None, "XRAY_TEST_PLAN_FIELD", "xray_test_plan_field")
        ),
        environments_field=_field_id(
            sources.get(None, "XRAY_ENVIRONMENTS_FIELD", "xray_environments_field")
        ),
        retries=_count(
            sources.get("--xray-retries", "XRAY_RETRIES", "xray_retries"), DEFAULT_RETRIES, 0
        ),
        max_wait=_timeout(
            sources.get("--xray-max-wait", "XRAY_MAX_WAIT", "xray_max_wait"), DEFAULT_MAX_WAIT
        ),
        chunk_tests=_count(
            sources.get("--xray-chunk-tests", "XRAY_CHUNK_TESTS", "xray_chunk_tests"),
            DEFAULT_CHUNK_TESTS,
            1,
        ),
        chunk_bytes=_chunk_size(
            sources.get("--xray-chunk-bytes", "XRAY_CHUNK_BYTES", "xray_chunk_bytes"),
            DEFAULT_CHUNK_BYTES,
        ),
        proxy=_proxy(sources.get("--xray-proxy", "XRAY_PROXY", "xray_proxy")),
        **_tls(config, sources),
        check=_enabled(config, sources, "xray_check", "XRAY_CHECK"),
        result_file=_output_path(
            config, sources.text("--xray-result-file", "XRAY_RESULT_FILE", "xray_result_file")
        ),
    )
    settings = replace(
        settings, resend_args=_resend_args(config, settings), warnings=_warnings(settings)
    )
    _check_execution_fields(settings)
    if settings.upload and check_upload:
        _check_upload(settings)
    if settings.check:
        _check_preflight(settings)
    return settings


def _tls(config: pytest.Config, sources: _Sources) -> dict[str, Any]:
    """``ca_bundle``, ``client_cert``, ``client_key`` and ``verify``, checked."""
    ca_value = sources.get("--xray-ca-bundle", "XRAY_CA_BUNDLE", "xray_ca_bundle")
    cert_value = sources.get("--xray-client-cert", "XRAY_CLIENT_CERT", "xray_client_cert")
    key_value = sources.get("--xray-client-key", "XRAY_CLIENT_KEY", "xray_client_key")
    verify_value = sources.get(None, "XRAY_VERIFY", "xray_verify")
    verify = _bool(verify_value) is not False
    if not verify and ca_value is not None:
        raise _fail(
            verify_value.where if verify_value else "xray_verify",
            f"verification is off but a CA bundle is set ({ca_value.where}); keep the CA "
            "bundle and remove XRAY_VERIFY=false.",
        )
    if key_value is not None and cert_value is None:
        raise _fail(key_value.where, "a client key needs its certificate: set xray_client_cert.")
    return {
        "ca_bundle": _path(config, ca_value, directory_ok=True),
        "client_cert": _path(config, cert_value),
        "client_key": _path(config, key_value),
        "verify": verify,
    }


_RESEND_OPTIONS = (
    ("--xray-url", "url"),
    ("--xray-api-version", "api_version"),
    ("--xray-jira-url", "jira_url"),
    ("--xray-timeout", "read_timeout"),
    ("--xray-retries", "retries"),
    ("--xray-max-wait", "max_wait"),
    ("--xray-chunk-tests", "chunk_tests"),
    ("--xray-chunk-bytes", "chunk_bytes"),
    ("--xray-ca-bundle", "ca_bundle"),
    ("--xray-client-cert", "client_cert"),
    ("--xray-client-key", "client_key"),
    ("--xray-proxy", "proxy"),
)


def _resend_args(config: pytest.Config, settings: Settings) -> tuple[str, ...]:
    """The transport options given on this command line, as ``pytest-xray upload`` needs them
    (what the report holds, such as the project or statuses, is not repeated)."""
    args = []
    for flag in ("--xray-cloud", "--xray-server"):
        if config.getoption(flag[2:].replace("-", "_")):
            args.append(flag)
    for option, name in _RESEND_OPTIONS:
        if config.getoption(option[2:].replace("-", "_")) is not None:
            value = getattr(settings, name)
            text = f"{value:g}" if isinstance(value, float) else str(value)
            args.append(f"{option}={shlex.quote(text)}")
    return tuple(args)


def _warnings(settings: Settings) -> tuple[str, ...]:
    if not settings.upload:
        return ()
    found = []
    if not settings.verify:
        found.append(
            "TLS certificate verification is OFF (XRAY_VERIFY=false): the connection to Xray "
            "can be intercepted; set XRAY_CA_BUNDLE to your CA certificate instead."
        )
    url = settings.url or ""
    creds = settings.credentials
    if url.startswith("http://") and creds.any and not creds.oauth and not is_loopback(url):
        found.append(
            f"credentials are sent unencrypted over plain http:// to {urlsplit(url).hostname}; "
            "use an https:// URL."
        )
    return tuple(found)


def _enabled(config: pytest.Config, sources: _Sources, name: str, env: str) -> bool:
    """A flag: on with ``--xray-...``, else from the environment, else from the ini file."""
    if config.getoption(name):
        return True
    return bool(_bool(sources.get(None, env, name)))


def _check_preflight(settings: Settings) -> None:
    """``--xray-check`` asks Xray, so it needs what an upload needs to authenticate."""
    if settings.url is None:
        raise _fail(
            "--xray-check",
            "checking the Test keys needs Xray: set --xray-url / XRAY_URL / xray_url "
            "(or XRAY_CLIENT_ID and XRAY_CLIENT_SECRET for Xray Cloud).",
        )
    if not settings.credentials.any:
        needed = (
            "XRAY_CLIENT_ID and XRAY_CLIENT_SECRET"
            if settings.cloud
            else "XRAY_USER and XRAY_PASSWORD, or XRAY_TOKEN, or XRAY_OAUTH_*"
        )
        raise _fail("--xray-check", f"checking the Test keys needs {needed} in the environment.")


def _output_path(config: pytest.Config, text: str | None) -> Path | None:
    if text is None:
        return None
    path = Path(os.path.expanduser(text))
    return path if path.is_absolute() else Path(config.invocation_params.dir) / path


def _check_execution_fields(settings: Settings) -> None:
    """On Server / DC, the Test Plan and Test Environments of an execution created through the
    multipart endpoint are custom fields whose ids differ per Jira: they must be known."""
    if settings.execution_fields is None or settings.cloud or settings.execution:
        return
    for present, field_id, name, setting in (
        (settings.test_plan, settings.test_plan_field, "Test Plan", "xray_test_plan_field"),
        (
            settings.environments,
            settings.environments_field,
            "Test Environments",
            "xray_environments_field",
        ),
    ):
        if present and field_id is None:
            env = setting.upper()
            raise _fail(
                "xray_execution_fields",
                f"on Xray Server / DC a new Test Execution takes its {name} as a custom field "
                f"whose id depends on your Jira: set {setting} (or {env}) to it, e.g. "
                "customfield_10012 (see /rest/api/2/field).",
            )


def _check_upload(settings: Settings) -> None:
    """Catch what would make Xray refuse the import, before the tests run."""
    if not settings.credentials.any:
        needed = (
            "XRAY_CLIENT_ID and XRAY_CLIENT_SECRET"
            if settings.cloud
            else "XRAY_USER and XRAY_PASSWORD, or XRAY_TOKEN, or XRAY_OAUTH_*"
        )
        raise _fail(
            "credentials",
            f"uploading to {settings.url} needs {needed} in the environment "
            "(or --xray-dry-run to only write the report).",
        )
    if settings.execution is None and settings.project is None:
        raise _fail(
            "project",
            "a new Test Execution needs a project: set --xray-project / XRAY_PROJECT / "
            "xray_project, or --xray-execution KEY to add to an existing one.",
        )
