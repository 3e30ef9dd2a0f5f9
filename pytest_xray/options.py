"""What a user can write: the command-line options (group ``xray``), the ini keys and the
marker's ``pytest --markers`` text. Their values are resolved in :mod:`pytest_xray.settings`,
the marker in :mod:`pytest_xray.markers`."""

from __future__ import annotations

import pytest

from pytest_xray.defaults import (
    DEFAULT_CHUNK_TESTS,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_WAIT,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_REPORT,
    DEFAULT_RETRIES,
)

__all__ = ["MARKER_DOC", "add_options"]

MARKER_DOC = (
    "xray(*keys, defects=(), requirements=(), custom_fields={}): report this test's result to "
    "the Xray Test(s) KEYS (Jira issue keys such as 'CALC-12'); defects and requirements are "
    "issue keys to link; custom_fields maps Test Run custom field ids to values. "
    "Works on functions, classes and modules; markers at several levels add up."
)


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
        "--xray-connect-timeout",
        metavar="SECONDS",
        default=None,
        help=f"Connect timeout of a request to Xray (default {DEFAULT_CONNECT_TIMEOUT:g}).",
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
    ini("xray_connect_timeout", "Connect timeout of a request to Xray in seconds.")
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
