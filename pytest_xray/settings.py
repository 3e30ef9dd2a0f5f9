"""Configuration: command line, environment and ini file, resolved once into :class:`Settings`.

Precedence is command line, then environment, then ini file. Credentials come only from the
environment. Every invalid value or contradiction is a :class:`pytest.UsageError` raised at
configure time, before any test runs, naming where the value came from and how to fix it.
"""

from __future__ import annotations

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

from pytest_xray.credentials import Credentials, credentials_from_env
from pytest_xray.defaults import (
    DEFAULT_CHUNK_BYTES,
    DEFAULT_CHUNK_TESTS,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_EVIDENCE_MAX_FILE,
    DEFAULT_EVIDENCE_MAX_TOTAL,
    DEFAULT_MAX_WAIT,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_RETRIES,
    MAX_RETRIES,
)
from pytest_xray.markers import ISSUE_KEY
from pytest_xray.model import Outcome
from pytest_xray.template import (
    SUMMARY_LIMIT,
    TemplateError,
    fit_summary,
    one_line,
    render_summary,
)
from pytest_xray.values import (
    Sources,
    Value,
    is_cloud_host,
    is_loopback,
    parse_bool,
    parse_choice,
    parse_chunk_size,
    parse_count,
    parse_execution_fields,
    parse_field_id,
    parse_key,
    parse_path,
    parse_proxy,
    parse_seconds,
    parse_size,
    parse_url,
    usage_error,
)

__all__ = [
    "CLOUD_HOST",
    "Credentials",
    "Settings",
    "resolve",
]

CLOUD_HOST = "https://xray.cloud.getxray.app"
ATTACH_OUTPUT = ("never", "on-failure", "always")

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
    credentials: Credentials = field(default_factory=Credentials)
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


def _statuses(config: pytest.Config, cloud: bool) -> Mapping[Outcome, str]:
    """The product's default mapping, updated by the ini lines, then by the command line's
    (an outcome set in both takes the command line's status)."""
    statuses = dict(CLOUD_STATUSES if cloud else SERVER_STATUSES)
    known = ", ".join(o.value for o in Outcome)
    ini_lines: list[str] = config.getini("xray_status")
    cli_lines: list[str] = config.getoption("xray_status") or []
    lines = [(line, "ini key xray_status") for line in ini_lines if line.strip()]
    lines += [(line, "--xray-status") for line in cli_lines if line.strip()]
    for line, where in lines:
        outcome, sep, status = line.partition("=")
        outcome, status = outcome.strip().lower(), status.strip()
        if not sep or not status:
            raise usage_error(
                where, f"{line!r} is not OUTCOME=STATUS (for example skipped=BLOCKED)."
            )
        try:
            statuses[Outcome(outcome)] = status
        except ValueError:
            raise usage_error(
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
    sources = Sources(config, env)
    enable_env = parse_bool(sources.get(None, "XRAY_ENABLE", None))
    enabled = bool(config.getoption("xray")) or bool(enable_env)
    if not enabled:
        return Settings()

    creds = credentials_from_env(env, Path(config.invocation_params.dir))
    url = parse_url(sources.get("--xray-url", "XRAY_URL", "xray_url"))
    force_cloud, force_server = config.getoption("xray_cloud"), config.getoption("xray_server")
    if force_cloud and force_server:
        raise usage_error("--xray-cloud/--xray-server", "give one of them, not both.")
    forced = (
        True
        if force_cloud
        else False
        if force_server
        else parse_bool(sources.get(None, "XRAY_CLOUD", "xray_cloud"))
    )
    if url and (urlsplit(url).hostname or "").lower().rstrip(".").endswith(".atlassian.net"):
        raise usage_error(
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
    if cloud and url is None and (creds.client or creds.token):
        url = CLOUD_HOST

    if cloud and creds.basic:
        raise usage_error(
            "credentials",
            "Xray Cloud refuses Basic auth (XRAY_USER/XRAY_PASSWORD); "
            "set XRAY_CLIENT_ID and XRAY_CLIENT_SECRET from an Xray API key.",
        )
    if cloud and creds.oauth:
        raise usage_error(
            "credentials",
            "Jira OAuth (XRAY_OAUTH_*) is for Xray Server / Data Center; Xray Cloud takes "
            "XRAY_CLIENT_ID and XRAY_CLIENT_SECRET.",
        )
    if not cloud and creds.client:
        cloud_value = sources.get(None, "XRAY_CLOUD", "xray_cloud")
        if force_server:
            reason, switch = "--xray-server selects", "drop --xray-server"
        elif forced is False and cloud_value is not None:
            reason = f"{cloud_value.where} is {cloud_value.text!r}, which selects"
            name = "XRAY_CLOUD" if cloud_value.where.startswith("environment") else "xray_cloud"
            switch = f"set {name} to true"
        else:
            reason, switch = f"{url} is not an Xray Cloud host, so it is treated as", "--xray-cloud"
        raise usage_error(
            "credentials",
            f"XRAY_CLIENT_ID/XRAY_CLIENT_SECRET are Xray Cloud credentials but {reason} "
            f"Xray Server / Data Center; use XRAY_USER/XRAY_PASSWORD or XRAY_TOKEN, or {switch}.",
        )

    version_value = sources.get("--xray-api-version", "XRAY_API_VERSION", "xray_api_version")
    versions = _CLOUD_VERSIONS if cloud else _SERVER_VERSIONS
    api_version = "v2" if cloud else "2.0"
    if version_value is not None:
        normalized = versions.get(version_value.text.lower())
        if normalized is None:
            allowed = "v1, v2" if cloud else "1.0, 2.0, latest"
            raise usage_error(
                version_value.where,
                f"unknown API version {version_value.text!r} for Xray "
                f"{'Cloud' if cloud else 'Server'}; use one of {allowed}.",
            )
        api_version = normalized

    project = parse_key(
        sources.get("--xray-project", "XRAY_PROJECT", "xray_project"),
        PROJECT_KEY,
        "Jira project key such as CALC",
    )
    execution = parse_key(
        sources.get("--xray-execution", "XRAY_EXECUTION", "xray_execution"),
        ISSUE_KEY,
        "Jira issue key such as CALC-123",
    )
    test_plan = parse_key(
        sources.get("--xray-test-plan", "XRAY_TEST_PLAN", "xray_test_plan"),
        ISSUE_KEY,
        "Jira issue key such as CALC-123",
    )
    environments, _ = sources.lines(
        "--xray-environment", "XRAY_ENVIRONMENTS", "xray_environments", ","
    )
    labels, labels_where = sources.lines(None, "XRAY_TEST_LABELS", "xray_test_labels", ",")
    for label in labels:
        if any(character.isspace() for character in label):
            raise usage_error(
                labels_where,
                f"the label {label!r} contains a space, which Jira labels cannot: write "
                f"{'_'.join(label.split())!r}, or separate labels with "
                + ("commas." if labels_where == "XRAY_TEST_LABELS" else "new lines."),
            )
    create_cli: bool | None = config.getoption("xray_create_tests")
    create_tests = bool(create_cli) or bool(
        parse_bool(sources.get(None, "XRAY_CREATE_TESTS", "xray_create_tests"))
    )
    if create_tests and project is None and check_upload:
        raise usage_error(
            "--xray-create-tests",
            "Tests for unmarked tests are created in a project: set --xray-project / "
            "XRAY_PROJECT / xray_project.",
        )
    if create_tests:
        _warn_unpinned_rootdir(config)
    summary_value = sources.get("--xray-summary", "XRAY_SUMMARY", "xray_summary")
    summary: str | None = None
    if summary_value is not None:
        summary = one_line(summary_value.text)  # as it is sent (a multi-line ini value)
        if len(summary) > SUMMARY_LIMIT:
            raise usage_error(
                summary_value.where,
                f"{len(summary)} characters; Jira takes at most {SUMMARY_LIMIT} in a "
                "summary: shorten it (put the details in --xray-description).",
            )
    # Rendered once, by the process that builds the payload (not by each xdist worker).
    if summary_value is not None and not hasattr(config, "workerinput"):
        try:
            summary = fit_summary(
                render_summary(summary_value.text, env, Path(config.invocation_params.dir))
            )
        except TemplateError as error:
            raise usage_error(summary_value.where, str(error)) from None
    output_value = sources.get("--xray-output", "XRAY_OUTPUT", "xray_output")
    dry_run = bool(config.getoption("xray_dry_run"))
    strict_cli: bool | None = config.getoption("xray_strict")
    strict = bool(strict_cli) or bool(parse_bool(sources.get(None, "XRAY_STRICT", "xray_strict")))

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
        output=_output_path(config, output_value, "xray-report.json"),
        dry_run=dry_run,
        statuses=_statuses(config, cloud),
        jira_url=parse_url(sources.get("--xray-jira-url", "XRAY_JIRA_URL", "xray_jira_url")),
        strict=strict,
        read_timeout=parse_seconds(
            sources.get("--xray-timeout", "XRAY_TIMEOUT", "xray_timeout"), DEFAULT_READ_TIMEOUT
        ),
        connect_timeout=parse_seconds(
            sources.get("--xray-connect-timeout", "XRAY_CONNECT_TIMEOUT", "xray_connect_timeout"),
            DEFAULT_CONNECT_TIMEOUT,
        ),
        credentials=creds,
        evidence_max_file=parse_size(
            sources.get(
                "--xray-evidence-max-file", "XRAY_EVIDENCE_MAX_FILE", "xray_evidence_max_file"
            ),
            DEFAULT_EVIDENCE_MAX_FILE,
        ),
        evidence_max_total=parse_size(
            sources.get(
                "--xray-evidence-max-total", "XRAY_EVIDENCE_MAX_TOTAL", "xray_evidence_max_total"
            ),
            DEFAULT_EVIDENCE_MAX_TOTAL,
        ),
        attach_output=parse_choice(
            sources.get("--xray-attach-output", "XRAY_ATTACH_OUTPUT", "xray_attach_output"),
            ATTACH_OUTPUT,
            "on-failure",
        ),
        create_tests=create_tests,
        test_labels=tuple(dict.fromkeys(labels)),
        execution_fields=parse_execution_fields(
            sources.get(None, "XRAY_EXECUTION_FIELDS", "xray_execution_fields")
        ),
        test_plan_field=parse_field_id(
            sources.get(None, "XRAY_TEST_PLAN_FIELD", "xray_test_plan_field")
        ),
        environments_field=parse_field_id(
            sources.get(None, "XRAY_ENVIRONMENTS_FIELD", "xray_environments_field")
        ),
        retries=parse_count(
            sources.get("--xray-retries", "XRAY_RETRIES", "xray_retries"),
            DEFAULT_RETRIES,
            0,
            MAX_RETRIES,
        ),
        max_wait=parse_seconds(
            sources.get("--xray-max-wait", "XRAY_MAX_WAIT", "xray_max_wait"), DEFAULT_MAX_WAIT
        ),
        chunk_tests=parse_count(
            sources.get("--xray-chunk-tests", "XRAY_CHUNK_TESTS", "xray_chunk_tests"),
            DEFAULT_CHUNK_TESTS,
            1,
        ),
        chunk_bytes=parse_chunk_size(
            sources.get("--xray-chunk-bytes", "XRAY_CHUNK_BYTES", "xray_chunk_bytes"),
            DEFAULT_CHUNK_BYTES,
        ),
        proxy=parse_proxy(sources.get("--xray-proxy", "XRAY_PROXY", "xray_proxy")),
        **_tls(config, sources),
        check=_enabled(config, sources, "xray_check", "XRAY_CHECK"),
        result_file=_output_path(
            config,
            sources.get("--xray-result-file", "XRAY_RESULT_FILE", "xray_result_file"),
            "xray-result.json",
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


def _tls(config: pytest.Config, sources: Sources) -> dict[str, Any]:
    """``ca_bundle``, ``client_cert``, ``client_key`` and ``verify``, checked."""
    ca_value = sources.get("--xray-ca-bundle", "XRAY_CA_BUNDLE", "xray_ca_bundle")
    cert_value = sources.get("--xray-client-cert", "XRAY_CLIENT_CERT", "xray_client_cert")
    key_value = sources.get("--xray-client-key", "XRAY_CLIENT_KEY", "xray_client_key")
    verify_value = sources.get(None, "XRAY_VERIFY", "xray_verify")
    verify = parse_bool(verify_value) is not False
    if not verify and ca_value is not None:
        raise usage_error(
            verify_value.where if verify_value else "xray_verify",
            f"verification is off but a CA bundle is set ({ca_value.where}); keep the CA "
            "bundle and remove XRAY_VERIFY=false.",
        )
    if key_value is not None and cert_value is None:
        raise usage_error(
            key_value.where, "a client key needs its certificate: set xray_client_cert."
        )
    return {
        "ca_bundle": parse_path(config, ca_value, directory_ok=True),
        "client_cert": parse_path(config, cert_value),
        "client_key": parse_path(config, key_value),
        "verify": verify,
    }


_RESEND_OPTIONS = (
    ("--xray-url", "url"),
    ("--xray-api-version", "api_version"),
    ("--xray-jira-url", "jira_url"),
    ("--xray-timeout", "read_timeout"),
    ("--xray-connect-timeout", "connect_timeout"),
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
        given = config.getoption(option[2:].replace("-", "_"))
        if given is not None and str(given).strip():  # a blank one is unset (Sources.get)
            value = getattr(settings, name)
            text = f"{value:g}" if isinstance(value, float) else str(value)
            args.append(f"{option}={shlex.quote(text)}")
    return tuple(args)


def _warnings(settings: Settings) -> tuple[str, ...]:
    talks_to_xray = settings.upload or (settings.check and settings.url is not None)
    if not talks_to_xray:  # --xray-check talks to Xray even in a dry run
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


def _warn_unpinned_rootdir(config: pytest.Config) -> None:
    """A created Test is found again by its node id, which is relative to pytest's rootdir:
    without a config file (or ``--rootdir``) that is the directory pytest is run from, and a
    run from another directory creates a second Test. (A no-op in the ``pytest-xray``
    command, which blocks the warnings plugin; warned once, not by each xdist worker.)"""
    if config.inipath is not None or config.option.rootdir or hasattr(config, "workerinput"):
        return
    config.issue_config_time_warning(
        pytest.PytestConfigWarning(
            "pytest-xray: --xray-create-tests finds created Tests again by their node id, "
            f"relative to pytest's rootdir ({config.rootpath}), which without a pytest config "
            "file depends on the directory pytest runs from: a run from another directory "
            "creates duplicate Tests. Add a pytest.ini (or [tool.pytest.ini_options] in "
            "pyproject.toml) at the project root to pin the rootdir."
        ),
        stacklevel=2,
    )


def _enabled(config: pytest.Config, sources: Sources, name: str, env: str) -> bool:
    """A flag: on with ``--xray-...``, else from the environment, else from the ini file."""
    if config.getoption(name):
        return True
    return bool(parse_bool(sources.get(None, env, name)))


def _check_preflight(settings: Settings) -> None:
    """``--xray-check`` asks Xray, so it needs what an upload needs to authenticate."""
    if settings.url is None:
        raise usage_error(
            "--xray-check",
            "checking the Test keys needs Xray: set --xray-url / XRAY_URL / xray_url "
            "(or XRAY_CLIENT_ID and XRAY_CLIENT_SECRET for Xray Cloud).",
        )
    if not settings.credentials.any:
        needed = _credentials_needed(settings)
        raise usage_error(
            "--xray-check", f"checking the Test keys needs {needed} in the environment."
        )


def _output_path(config: pytest.Config, value: Value | None, example: str) -> Path | None:
    """A file the plugin writes, relative to where pytest was started; an existing directory
    is refused here, before the tests run, rather than failing to be replaced at the end."""
    if value is None:
        return None
    path = Path(os.path.expanduser(value.text))
    if not path.is_absolute():
        path = Path(config.invocation_params.dir) / path
    if path.is_dir():
        folder = value.text.rstrip("/" + os.sep) or value.text[:1]  # "/" stays the root
        raise usage_error(
            value.where,
            f"{value.text} is a directory; give a file path such as "
            f"{os.path.join(folder, example)}.",
        )
    return path


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
            raise usage_error(
                "xray_execution_fields",
                f"on Xray Server / DC a new Test Execution takes its {name} as a custom field "
                f"whose id depends on your Jira: set {setting} (or {env}) to it, e.g. "
                "customfield_10012 (see /rest/api/2/field).",
            )


def _credentials_needed(settings: Settings) -> str:
    """The credential variables that fit the product, for "needs ... in the environment"."""
    if settings.cloud:
        return "XRAY_CLIENT_ID and XRAY_CLIENT_SECRET (or XRAY_TOKEN, an Xray Cloud token)"
    return "XRAY_USER and XRAY_PASSWORD, or XRAY_TOKEN, or XRAY_OAUTH_*"


def _check_upload(settings: Settings) -> None:
    """Catch what would make Xray refuse the import, before the tests run."""
    if not settings.credentials.any:
        needed = _credentials_needed(settings)
        raise usage_error(
            "credentials",
            f"uploading to {settings.url} needs {needed} in the environment "
            "(or --xray-dry-run to only write the report).",
        )
    if settings.execution is None and settings.project is None:
        raise usage_error(
            "project",
            "a new Test Execution needs a project: set --xray-project / XRAY_PROJECT / "
            "xray_project, or --xray-execution KEY to add to an existing one.",
        )
