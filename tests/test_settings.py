"""Settings resolve with CLI > environment > ini precedence; bad ones stop pytest before tests."""

from __future__ import annotations

import json

import pytest

from pytest_xray.emulator import XrayEmulator
from pytest_xray.emulator.model import Flavor
from tests.conftest import PAT, RunXray

MARKED = "import pytest\n@pytest.mark.xray('CALC-1')\ndef test_a(): pass\n"


def usage_error(result: pytest.RunResult, *fragments: str) -> str:
    """Assert a clean usage error (exit 4, no traceback) whose text holds every fragment."""
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str() + result.stderr.str()
    text = result.stderr.str()
    assert "Traceback" not in text
    assert "INTERNALERROR" not in text
    assert "pytest-xray" in text
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in {text!r}"
    assert not result.stdout.lines or "passed" not in result.stdout.str()
    return text


@pytest.fixture
def marked(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(MARKED)
    return pytester


def test_precedence_cli_env_ini(
    marked: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    marked.makeini(
        "[pytest]\nxray_project = INI\nxray_revision = ini-rev\nxray_fix_version = ini-ver\n"
        "xray_environments =\n    a\n    b\n"
    )
    monkeypatch.setenv("XRAY_PROJECT", "ENV")
    monkeypatch.setenv("XRAY_REVISION", "env-rev")
    info = run_xray("--xray-project=CLI").payload["info"]
    assert info["project"] == "CLI"  # CLI over env and ini
    assert info["revision"] == "env-rev"  # env over ini
    assert info["version"] == "ini-ver"  # ini when nothing else
    assert info["testEnvironments"] == ["a", "b"]


def test_environments_from_env_are_comma_separated(
    marked: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XRAY_ENVIRONMENTS", "chrome, linux,,chrome")
    assert run_xray().payload["info"]["testEnvironments"] == ["chrome", "linux"]


def test_pyproject_ini_options(marked: pytest.Pytester, run_xray: RunXray) -> None:
    marked.makepyprojecttoml(
        '[tool.pytest.ini_options]\nxray_project = "PYP"\nxray_cloud = "true"\n'
    )
    payload = run_xray().payload
    assert payload["info"]["project"] == "PYP"
    assert payload["tests"][0]["status"] == "PASSED"


@pytest.mark.parametrize(
    ("args", "env", "fragments"),
    [
        (["--xray-api-version=3"], {}, ["--xray-api-version", "'3'", "1.0, 2.0, latest"]),
        ([], {"XRAY_API_VERSION": "v9", "XRAY_CLOUD": "1"}, ["XRAY_API_VERSION", "v1, v2"]),
        (["--xray-project=calc"], {}, ["--xray-project", "'calc'", "project key such as CALC"]),
        ([], {"XRAY_EXECUTION": "CALC"}, ["XRAY_EXECUTION", "issue key such as CALC-123"]),
        (["--xray-test-plan=CALC-0"], {}, ["--xray-test-plan"]),
        ([], {"XRAY_CLOUD": "maybe"}, ["XRAY_CLOUD", "'maybe' is not a boolean"]),
        (["--xray-status=passd=PASS"], {}, ["unknown outcome 'passd'", "passed, failed"]),
        (["--xray-status=passed"], {}, ["'passed' is not OUTCOME=STATUS"]),
        (["--xray-url=ftp://x"], {}, ["--xray-url", "http(s) URL"]),
        (["--xray-url=https://jira.example.com?x=1"], {}, ["query or fragment"]),
        (["--xray-timeout=0"], {}, ["--xray-timeout", "positive number"]),
        (
            ["--xray-url=https://acme.atlassian.net"],
            {},
            ["Jira Cloud site", "https://xray.cloud.getxray.app", "XRAY_JIRA_URL"],
        ),
        (["--xray-url=https://acme.atlassian.net./"], {}, ["Jira Cloud site"]),
        (
            ["--xray-cloud"],
            {"XRAY_USER": "u", "XRAY_PASSWORD": "p"},
            ["Cloud refuses Basic auth", "XRAY_CLIENT_ID"],
        ),
        (
            ["--xray-url=https://jira.example.com"],
            {"XRAY_CLIENT_ID": "i", "XRAY_CLIENT_SECRET": "s"},
            ["Cloud credentials", "Server / Data Center"],
        ),
        ([], {"XRAY_USER": "u"}, ["XRAY_USER and XRAY_PASSWORD go together"]),
        (
            [],
            {"XRAY_USER": "u", "XRAY_PASSWORD": "p", "XRAY_TOKEN": "t"},
            ["XRAY_USER/XRAY_PASSWORD and XRAY_TOKEN are all set"],
        ),
        (
            ["--xray-url=https://jira.example.com", "--xray-project=CALC"],
            {},
            ["needs XRAY_USER and XRAY_PASSWORD, or XRAY_TOKEN", "--xray-dry-run"],
        ),
        (
            ["--xray-url=https://jira.example.com"],
            {"XRAY_TOKEN": "t"},
            ["needs a project", "--xray-execution"],
        ),
        (["--xray-cloud", "--xray-server"], {}, ["--xray-cloud", "--xray-server"]),
        (
            ["--xray-attach-output=sometimes"],
            {},
            ["--xray-attach-output", "'sometimes' is not one of never, on-failure, always"],
        ),
        ([], {"XRAY_ATTACH_OUTPUT": "yes"}, ["XRAY_ATTACH_OUTPUT", "'yes'"]),
        (["--xray-evidence-max-file=0"], {}, ["--xray-evidence-max-file", "positive size"]),
        (["--xray-evidence-max-file=ten"], {}, ["'ten' is not a positive size", "10M"]),
        ([], {"XRAY_EVIDENCE_MAX_TOTAL": "-5M"}, ["XRAY_EVIDENCE_MAX_TOTAL", "positive size"]),
        ([], {"XRAY_CREATE_TESTS": "maybe"}, ["XRAY_CREATE_TESTS", "not a boolean"]),
        (["--xray-summary=Run {nope}"], {}, ["unknown placeholder {nope}", "{branch}"]),
        ([], {"XRAY_SUMMARY": "Run {"}, ["XRAY_SUMMARY", "braces"]),
    ],
)
def test_bad_settings_are_usage_errors(
    marked: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    fragments: list[str],
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    usage_error(marked.runpytest("--xray", *args), *fragments)


def test_url_with_credentials_is_refused_without_echoing_them(marked: pytest.Pytester) -> None:
    text = usage_error(
        marked.runpytest("--xray", "--xray-url=https://bob:hunter2@jira.example.com"),
        "carries credentials",
        "XRAY_USER/XRAY_PASSWORD",
    )
    assert "hunter2" not in text


@pytest.mark.parametrize(
    ("args", "env", "fragment"),
    [
        ([], {"XRAY_PROXY": "ftp://bob:prox-pw-999@proxy.corp:3128"}, "'ftp://***@proxy.corp:3128'"),
        ([], {"XRAY_PROXY": "http://bob:prox-pw-999@proxy.corp:http"}, "'http://***@proxy.corp:http'"),
        ([], {"XRAY_PROXY": "http://bob:prox/pw-999@proxy.corp:x"}, "'http://***@proxy.corp:x'"),
        (["--xray-proxy=bob:prox-pw-999@proxy.corp:3128"], {}, "carries a password"),
        (["--xray-url=bob:prox-pw-999@jira.example.com"], {}, "'***@jira.example.com'"),
        ([], {"XRAY_URL": "https://bob:prox/pw-999@jira.example.com"}, "https://***@jira.example.com"),
        ([], {"XRAY_JIRA_URL": "https://bob:prox-pw-999@x.atlassian.net"}, "carries credentials"),
        ([], {"XRAY_URL": "https://jira.example.com/?t=pw-999"}, "'https://jira.example.com/?...'"),
        ([], {"XRAY_URL": "https://jira.example.com/#pw-999"}, "'https://jira.example.com/#...'"),
        (["--xray-url=https://[::1/?pw-999"], {}, "'https://[::1/?...' is not an http(s) URL"),
        (["--xray-proxy=http://[::1"], {}, "'http://[::1' is not a proxy URL"),
    ],
)  # fmt: skip
def test_usage_errors_never_echo_a_url_password(
    marked: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    fragment: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = marked.runpytest("--xray", "--xray-dry-run", *args)
    text = usage_error(result, fragment)
    assert "pw-999" not in text + result.stdout.str()


@pytest.mark.parametrize(
    ("given", "proxy"),
    [
        ("proxy.corp:3128", "http://proxy.corp:3128"),
        ("bob:prox-pw-999@proxy.corp:3128", "http://bob:prox-pw-999@proxy.corp:3128"),
        ("https://proxy.corp", "https://proxy.corp"),
        ("socks5h://127.0.0.1:1080", "socks5h://127.0.0.1:1080"),
    ],
)
def test_proxy_without_scheme_is_http(pytester: pytest.Pytester, given: str, proxy: str) -> None:
    from pytest_xray.settings import resolve

    config = pytester.parseconfig("--xray", "--xray-dry-run")
    assert resolve(config, env={"XRAY_PROXY": given}).proxy == proxy


@pytest.mark.parametrize(
    ("cloud", "path", "found"),
    [
        (False, "/rest/raven/2.0", "/rest/raven/2.0"),
        (False, "/rest/raven/latest/import/execution/", "/rest/raven/latest/import/execution"),
        (False, "/rest/api/2", "/rest/api/2"),
        (True, "/api/v2", "/api/v2"),
        (True, "/API/v1/import/execution", "/API/v1/import/execution"),
    ],
)
def test_url_with_the_api_path_is_a_usage_error_before_any_request(
    marked: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    cloud: bool,
    path: str,
    found: str,
) -> None:
    monkeypatch.setenv("XRAY_CLIENT_ID" if cloud else "XRAY_TOKEN", PAT)
    monkeypatch.setenv("XRAY_CLIENT_SECRET", PAT)
    if not cloud:
        monkeypatch.delenv("XRAY_CLIENT_SECRET")
    flavor: Flavor = "cloud" if cloud else "server"
    with XrayEmulator(flavor=flavor, tokens={PAT}, clients={PAT: PAT}) as emulator:
        base = emulator.url
        monkeypatch.setenv("XRAY_URL", base + path)
        result = marked.runpytest("--xray", "--xray-project=CALC", "--xray-check",
                                  *(["--xray-cloud"] if cloud else []))  # fmt: skip
        assert emulator.requests == []
    product = "the Xray Cloud host" if cloud else "the Jira base URL"
    usage_error(
        result,
        f"environment variable XRAY_URL: {base}{path} includes the API path {found}; set "
        f"xray_url to {product} {base} (pytest-xray adds the API path itself).",
    )


def test_connect_timeout_from_every_source(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_xray.settings import resolve

    def timeouts(*args: str, env: dict[str, str] | None = None) -> tuple[float, float]:
        settings = resolve(pytester.parseconfig("--xray", "--xray-dry-run", *args), env=env or {})
        return settings.connect_timeout, settings.read_timeout

    assert timeouts() == (10.0, 300.0)  # the defaults
    pytester.makeini("[pytest]\nxray_connect_timeout = 3\n")
    assert timeouts() == (3.0, 300.0)
    assert timeouts(env={"XRAY_CONNECT_TIMEOUT": "2.5"}) == (2.5, 300.0)
    assert timeouts("--xray-connect-timeout=1.5", env={"XRAY_CONNECT_TIMEOUT": "2.5"}) == (
        1.5, 300.0,
    )  # fmt: skip
    assert timeouts("--xray-timeout=60", "--xray-connect-timeout=4") == (4.0, 60.0)


@pytest.mark.parametrize(
    ("args", "env", "ini", "fragments"),
    [
        (["--xray-connect-timeout=0"], {}, "", ["--xray-connect-timeout: '0' is not a positive"]),
        ([], {"XRAY_CONNECT_TIMEOUT": "ten"}, "",
         ["environment variable XRAY_CONNECT_TIMEOUT: 'ten' is not a positive number"]),
        ([], {}, "xray_connect_timeout = -1",
         ["ini key xray_connect_timeout in tox.ini: '-1' is not a positive number"]),
    ],
)  # fmt: skip
def test_bad_connect_timeout_is_a_usage_error(
    marked: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    ini: str,
    fragments: list[str],
) -> None:
    usage_error(run_with_settings(marked, monkeypatch, args, env, ini), *fragments)


def run_with_settings(
    marked: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    ini: str,
) -> pytest.RunResult:
    """``pytest --xray ARGS`` with ``env`` set and ``ini`` lines in the ini file."""
    if ini:
        marked.makeini(f"[pytest]\n{ini}\n")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return marked.runpytest("--xray", *args)


def test_ini_value_error_names_the_ini_key(marked: pytest.Pytester) -> None:
    marked.makeini("[pytest]\nxray_api_version = 7\n")
    usage_error(marked.runpytest("--xray"), "ini key xray_api_version in tox.ini")


@pytest.mark.parametrize(
    ("args", "env", "cloud"),
    [
        (["--xray-url=https://xray.cloud.getxray.app"], {}, True),
        (["--xray-url=https://eu.xray.cloud.getxray.app/"], {}, True),
        (["--xray-url=https://xray.cloud.getxray.app./"], {}, True),
        (["--xray-url=https://jira.example.com/jira"], {}, False),
        ([], {"XRAY_CLIENT_ID": "i", "XRAY_CLIENT_SECRET": "s"}, True),
        (["--xray-url=https://xray.internal", "--xray-cloud"], {}, True),
        (["--xray-url=https://xray.cloud.getxray.app", "--xray-server"], {}, False),
        ([], {"XRAY_CLOUD": "yes"}, True),
        ([], {}, False),
    ],
)
def test_product_detection(
    marked: pytest.Pytester,
    run_xray: RunXray,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    cloud: bool,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    status = run_xray("--xray-dry-run", *args).payload["tests"][0]["status"]
    assert status == ("PASSED" if cloud else "PASS")


def test_cloud_url_defaults_to_global_host(
    marked: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_xray.plugin import settings_key

    monkeypatch.setenv("XRAY_CLIENT_ID", "id")
    monkeypatch.setenv("XRAY_CLIENT_SECRET", "very-secret")
    marked.makeconftest(
        "import json\nfrom pytest_xray.plugin import settings_key\n"
        "def pytest_sessionstart(session):\n"
        "    s = session.config.stash[settings_key]\n"
        "    print('SETTINGS', json.dumps([s.url, s.cloud, s.api_version]))\n"
        "    print('REPR', repr(s))\n"
    )
    assert settings_key is not None
    result = marked.runpytest("--xray", "--xray-dry-run", "-s")
    line = next(x for x in result.outlines if x.startswith("SETTINGS"))
    assert json.loads(line.split(" ", 1)[1]) == ["https://xray.cloud.getxray.app", True, "v2"]
    repr_line = next(x for x in result.outlines if x.startswith("REPR"))
    assert "very-secret" not in repr_line
    assert "id" in repr_line


@pytest.mark.parametrize(
    ("given", "server", "cloud"),
    [("1", "1.0", "v1"), ("2.0", "2.0", "v2"), ("v2", "2.0", "v2"), ("latest", "latest", "v2")],
)
def test_api_version_spellings(given: str, server: str, cloud: str) -> None:
    from pytest_xray.settings import _CLOUD_VERSIONS, _SERVER_VERSIONS

    assert _SERVER_VERSIONS[given] == server
    assert _CLOUD_VERSIONS[given] == cloud


@pytest.mark.parametrize(
    ("text", "size"),
    [("1048576", 1 << 20), ("500K", 500 << 10), ("10M", 10 << 20), ("10MB", 10 << 20),
     ("10 MiB", 10 << 20), ("1.5g", 3 << 29), ("2kb", 2048)],
)  # fmt: skip
def test_size_spellings(text: str, size: int) -> None:
    from pytest_xray.values import Value, parse_size

    assert parse_size(Value(text, "test"), 1) == size


def test_evidence_and_output_settings_from_every_source(
    marked: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    marked.makeini(
        "[pytest]\nxray_evidence_max_file = 1M\nxray_evidence_max_total = 2M\n"
        "xray_attach_output = always\n"
    )
    marked.makeconftest(
        "import json\nfrom pytest_xray.plugin import settings_key\n"
        "def pytest_sessionstart(session):\n"
        "    s = session.config.stash[settings_key]\n"
        "    print('SETTINGS', json.dumps([s.evidence_max_file, s.evidence_max_total, "
        "s.attach_output]))\n"
    )

    def settings(*args: str) -> list[object]:
        result = marked.runpytest("--xray", "-s", *args)
        line = next(x for x in result.outlines if x.startswith("SETTINGS"))
        loaded: list[object] = json.loads(line.split(" ", 1)[1])
        return loaded

    assert settings() == [1 << 20, 2 << 20, "always"]
    monkeypatch.setenv("XRAY_EVIDENCE_MAX_FILE", "3M")
    monkeypatch.setenv("XRAY_ATTACH_OUTPUT", "NEVER")
    assert settings() == [3 << 20, 2 << 20, "never"]
    assert settings("--xray-evidence-max-total=5M", "--xray-attach-output=on-failure") == [
        3 << 20, 5 << 20, "on-failure",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "env", "ini", "summary"),
    [
        (["--xray-summary="], {}, "xray_summary = From ini", "From ini"),
        (["--xray-summary", " "], {"XRAY_SUMMARY": "From env"}, "", "From env"),
        ([], {"XRAY_SUMMARY": " \t"}, "xray_summary = From ini", "From ini"),
        (["--xray-summary="], {"XRAY_SUMMARY": ""}, "xray_summary =", None),
    ],
)
def test_a_blank_summary_from_any_source_is_unset(
    marked: pytest.Pytester,
    run_xray: RunXray,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    ini: str,
    summary: str | None,
) -> None:
    """CI's ``--xray-summary "$SUMMARY"`` with SUMMARY unset: the next source or the default
    summary, never an execution without one (which Xray Cloud refuses after the run)."""
    if ini:
        marked.makeini(f"[pytest]\n{ini}\n")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    info = run_xray(*args).payload["info"]
    assert info["summary"] == summary if summary else info["summary"].strip()


def test_a_blank_value_is_unset_for_every_setting(pytester: pytest.Pytester) -> None:
    from pytest_xray.model import Outcome
    from pytest_xray.settings import resolve

    pytester.makeini("[pytest]\nxray_environments =\n    ini-env\nxray_timeout = 42\n")
    env = {"XRAY_URL": "https://jira.example.com", "XRAY_TOKEN": "t", "XRAY_PROJECT": " "}
    blank = [
        f"{option}={value}"
        for value in ("", "  ")
        for option in (
            "--xray-url", "--xray-project", "--xray-execution", "--xray-timeout",
            "--xray-connect-timeout", "--xray-retries", "--xray-output", "--xray-result-file",
            "--xray-environment", "--xray-status", "--xray-api-version", "--xray-chunk-bytes",
        )
    ]  # fmt: skip
    settings = resolve(pytester.parseconfig("--xray", "--xray-dry-run", *blank), env=env)
    assert settings.url == "https://jira.example.com"  # from the environment
    assert settings.project is None
    assert settings.execution is None
    assert settings.environments == ("ini-env",)
    assert settings.read_timeout == 42.0
    assert settings.output is None
    assert settings.result_file is None
    assert settings.statuses[Outcome.PASSED] == "PASS"
    assert settings.resend_args == ()  # a resend takes the same environment and ini file


@pytest.mark.parametrize(
    ("args", "env", "ini", "fragments"),
    [
        (["--xray-timeout=nan"], {}, "", ["--xray-timeout: 'nan' is not a positive number"]),
        (["--xray-connect-timeout=inf"], {}, "",
         ["--xray-connect-timeout: 'inf' is not a positive number"]),
        ([], {"XRAY_MAX_WAIT": "1e400"}, "",
         ["environment variable XRAY_MAX_WAIT: '1e400' is not a positive number"]),
        ([], {}, "xray_timeout = -Infinity", ["ini key xray_timeout", "'-Infinity' is not a"]),
        (["--xray-max-wait=1e12"], {}, "",
         ["--xray-max-wait: '1e12' seconds is too long; give at most 1000000000."]),
        (["--xray-evidence-max-file=" + "9" * 400], {}, "",
         ["--xray-evidence-max-file: '999", "is too large; give at most 1024G."]),
        ([], {"XRAY_CHUNK_BYTES": "2048G"}, "",
         ["environment variable XRAY_CHUNK_BYTES: '2048G' is too large"]),
    ],
)  # fmt: skip
def test_numbers_that_are_not_finite_or_too_large_are_usage_errors(
    marked: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    ini: str,
    fragments: list[str],
) -> None:
    """Rather than NaN in the report's JSON or an OverflowError when the upload starts."""
    text = usage_error(run_with_settings(marked, monkeypatch, args, env, ini), *fragments)
    assert len(text.strip().splitlines()) == 1


def test_the_largest_numbers_are_accepted(pytester: pytest.Pytester) -> None:
    from pytest_xray.settings import resolve

    settings = resolve(
        pytester.parseconfig(
            "--xray", "--xray-timeout=1e9", "--xray-evidence-max-total=1024G",
            "--xray-evidence-max-file=1.5K",
        ),
        env={},
    )  # fmt: skip
    assert settings.read_timeout == 1e9
    assert settings.evidence_max_total == 1 << 40
    assert settings.evidence_max_file == 1536


def test_retries_are_capped(marked: pytest.Pytester) -> None:
    # 2 ** retries overflows a float past 1023; more than an hour of retrying is a mistake.
    usage_error(
        marked.runpytest("--xray", "--xray-retries=5000"), "--xray-retries", "more than 100"
    )
    assert marked.runpytest("--xray", "--xray-retries=100").ret == pytest.ExitCode.OK
