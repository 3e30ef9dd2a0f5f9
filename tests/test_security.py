"""Secrets stay secret; TLS verification, private CAs, mutual TLS, proxies; Jira OAuth 1.0a."""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pytest_xray.cli import main as cli_main
from pytest_xray.emulator import XrayEmulator
from pytest_xray.settings import resolve
from tests.conftest import CLIENT_ID, CLIENT_SECRET, PASSWORD, PAT, SECRETS, USER, RunXray
from tests.servers import forwarding_proxy, refusing_proxy
from tests.tls import Certificates, make_certificates, private_pem, public_pem, rsa_key

SUITE = """
import pytest

@pytest.mark.xray("CALC-1")
def test_one(): pass
"""
CONSUMER = "pytest-xray-link"
OAUTH_TOKEN, OAUTH_TOKEN_SECRET = "oauth-access-token-5555", "oauth-token-secret-7777"
PROXY_PASSWORD = "proxy-pass-3141"
UTF8_USER, UTF8_PASSWORD = "jürgen", "pässwörd€-5150"


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(test_suite=SUITE)
    return pytester


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def oauth_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``(private key PEM file, public key PEM)`` of the application link."""
    key = rsa_key()
    path = tmp_path_factory.mktemp("oauth") / "jira-link.pem"
    path.write_bytes(private_pem(key))
    return path, public_pem(key)


def use_oauth(monkeypatch: pytest.MonkeyPatch, key_file: Path) -> None:
    monkeypatch.setenv("XRAY_OAUTH_CONSUMER_KEY", CONSUMER)
    monkeypatch.setenv("XRAY_OAUTH_PRIVATE_KEY", str(key_file))
    monkeypatch.setenv("XRAY_OAUTH_TOKEN", OAUTH_TOKEN)
    monkeypatch.setenv("XRAY_OAUTH_TOKEN_SECRET", OAUTH_TOKEN_SECRET)


@pytest.fixture
def oauth_server(oauth_key: tuple[Path, str]) -> Iterator[XrayEmulator]:
    with XrayEmulator(
        flavor="server", oauth_consumers={CONSUMER: oauth_key[1]}, oauth_tokens={OAUTH_TOKEN}
    ) as emulator:
        yield emulator


# -- secrets ---------------------------------------------------------------------------------

Credentials = Callable[[pytest.MonkeyPatch, Path], None]


def basic(monkeypatch: pytest.MonkeyPatch, key_file: Path) -> None:
    monkeypatch.setenv("XRAY_USER", USER)
    monkeypatch.setenv("XRAY_PASSWORD", PASSWORD)


def token(monkeypatch: pytest.MonkeyPatch, key_file: Path) -> None:
    monkeypatch.setenv("XRAY_TOKEN", PAT)


def client(monkeypatch: pytest.MonkeyPatch, key_file: Path) -> None:
    monkeypatch.setenv("XRAY_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("XRAY_CLIENT_SECRET", CLIENT_SECRET)


def oauth(monkeypatch: pytest.MonkeyPatch, key_file: Path) -> None:
    use_oauth(monkeypatch, key_file)


def pasted_token(monkeypatch: pytest.MonkeyPatch, key_file: Path) -> None:
    """A token pasted from a file, with its line break."""
    monkeypatch.setenv("XRAY_TOKEN", f" {PAT}\r\n")


def utf8_basic(monkeypatch: pytest.MonkeyPatch, key_file: Path) -> None:
    """A password outside latin-1, which Jira reads as UTF-8."""
    monkeypatch.setenv("XRAY_USER", UTF8_USER)
    monkeypatch.setenv("XRAY_PASSWORD", UTF8_PASSWORD)


EXPECTED = {
    "down": "Connection refused",
    "refused": "refused the",
    "503": "answered 503",
    "drop": "broke before Xray answered",
    "html": "HTML page",
    "proxy": "Connection refused; check the proxy (xray_proxy, HTTPS_PROXY",
}


def all_files_text(root: Path) -> str:
    texts = []
    for path in root.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            texts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(texts)


@pytest.mark.parametrize("credentials", [basic, token, client, oauth, pasted_token, utf8_basic])
@pytest.mark.parametrize("fault", ["down", "refused", "503", "drop", "html", "proxy"])
def test_secrets_never_reach_output_logs_or_files(
    suite: pytest.Pytester,
    run_xray: RunXray,
    monkeypatch: pytest.MonkeyPatch,
    oauth_key: tuple[Path, str],
    credentials: Credentials,
    fault: str,
) -> None:
    cloud = credentials is client
    credentials(monkeypatch, oauth_key[0])
    if fault == "proxy":  # nothing listens there: the error quotes the proxy
        monkeypatch.setenv("XRAY_PROXY", f"http://proxyuser:{PROXY_PASSWORD}@127.0.0.1:9")
    known = {
        "users": {USER: PASSWORD, UTF8_USER: UTF8_PASSWORD},
        "tokens": {PAT},
        "clients": {CLIENT_ID: CLIENT_SECRET},
        "oauth_consumers": {CONSUMER: oauth_key[1]},
        "oauth_tokens": {OAUTH_TOKEN},
    }
    if fault == "refused":  # the emulator knows none of these credentials
        known = {"users": {USER: "other"}, "tokens": {"other"}, "clients": {CLIENT_ID: "other"}}
    flavor = "cloud" if cloud else "server"
    with XrayEmulator(flavor=flavor, **known) as emulator:  # type: ignore[arg-type]
        url = emulator.url
        jwts: list[str] = []
        if fault in ("503", "drop", "html"):
            target = "import/execution" if cloud else None
            emulator.inject(
                status=503 if fault == "503" else None, drop=fault == "drop",
                html=fault == "html", times=10, match=target,
            )  # fmt: skip
        if fault == "down":
            emulator.stop()
        run = run_xray(
            f"--xray-url={url}", "--xray-project=CALC", "--xray-output=report.json",
            "--xray-retries=1", "--log-level=DEBUG", "--log-file=debug.log", "-rA",
            *(["--xray-cloud"] if cloud else []), report="report.json",
        )  # fmt: skip
        if emulator.running:
            jwts = [
                r.headers["Authorization"].removeprefix("Bearer ")
                for r in emulator.requests
                if r.headers.get("Authorization", "").startswith("Bearer ey")
            ]
    assert "upload FAILED" in run.output
    assert EXPECTED[fault] in run.output
    assert "Traceback" not in run.output
    everything = run.output + all_files_text(suite.path)
    assert "debug.log" in {p.name for p in suite.path.iterdir()}
    key_text = oauth_key[0].read_text()
    secrets = (*SECRETS, OAUTH_TOKEN, OAUTH_TOKEN_SECRET, PROXY_PASSWORD, UTF8_PASSWORD, *jwts)
    for secret in secrets:
        assert secret not in everything, "a secret leaked"
    assert key_text.splitlines()[1] not in everything  # the private key's content
    assert (suite.path / "report.json").exists()


def test_exception_text_and_urls_are_scrubbed() -> None:
    from pytest_xray.scrub import scrub

    text = "ProxyError('Cannot connect to proxy http://bob:hunter2@proxy:3128/', 's3cret')"
    assert scrub(text, ("s3cret",)) == (
        "ProxyError('Cannot connect to proxy http://***@proxy:3128/', '***')"
    )


@pytest.mark.parametrize("secret", ["tok\n", "pässwörd€", 'quo"te\\'])
def test_scrub_finds_quoted_forms_of_a_secret(secret: str) -> None:
    from pytest_xray.scrub import scrub

    for text in (repr(secret), repr(secret.encode()), repr(f"Bearer {secret}".encode()),
                 json.dumps(secret), json.dumps(secret, ensure_ascii=False), secret):  # fmt: skip
        scrubbed = scrub(f"Invalid header value {text}", (secret,))
        assert "***" in scrubbed, scrubbed
        assert secret.rstrip("\n\\") not in scrubbed


def test_scrub_secrets_takes_out_everything_the_settings_carry(cloud: XrayEmulator) -> None:
    from pytest_xray.client import XrayClient
    from pytest_xray.credentials import Credentials
    from pytest_xray.scrub import scrub_secrets
    from pytest_xray.settings import Settings

    proxy = f"http://proxyuser:{PROXY_PASSWORD}@127.0.0.1:9"
    creds = Credentials(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    settings = Settings(url=cloud.url, cloud=True, api_version="v2", credentials=creds)
    with XrayClient(settings) as client:
        client.get_tests(["CALC-1"])
    [token] = {r.headers["Authorization"].removeprefix("Bearer ") for r in cloud.requests[1:]}
    text = f"{CLIENT_SECRET} {json.dumps(token)} b'Bearer {token}' via {proxy}"
    with_proxy = Settings(url=cloud.url, cloud=True, credentials=creds, proxy=proxy)
    assert scrub_secrets(text, settings) == "*** \"***\" b'Bearer ***' via http://***@127.0.0.1:9"
    # The token belongs to the run of ``settings``; the proxy password to ``with_proxy``.
    assert token in scrub_secrets(text, with_proxy)
    assert PROXY_PASSWORD not in scrub_secrets(text, with_proxy)
    basic = Settings(url=cloud.url, credentials=Credentials(user=UTF8_USER, password=UTF8_PASSWORD))
    header = base64.b64encode(f"{UTF8_USER}:{UTF8_PASSWORD}".encode()).decode()
    assert scrub_secrets(f"Basic {header} {UTF8_PASSWORD!r}", basic) == "Basic *** '***'"


def test_pasted_token_with_a_line_break_works(
    suite: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XRAY_TOKEN", PAT + "\n")
    with XrayEmulator(flavor="server", tokens={PAT}) as server:
        run = run_xray(f"--xray-url={server.url}", "--xray-project=CALC")
        assert server.requests[0].headers["Authorization"] == f"Bearer {PAT}"
    assert run.result.ret == pytest.ExitCode.OK
    assert len(server.executions) == 1
    assert "uploaded to Test Execution" in run.output


@pytest.mark.parametrize(
    ("variable", "value"),
    [("XRAY_TOKEN", PAT[:5] + "\n" + PAT[5:]), ("XRAY_PASSWORD", PASSWORD + "\x07x"),
     ("XRAY_CLIENT_SECRET", CLIENT_SECRET[:3] + "\t" + CLIENT_SECRET[3:])],
)  # fmt: skip
def test_control_character_in_a_credential_is_a_usage_error(
    suite: pytest.Pytester,
    run_xray: RunXray,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
) -> None:
    if variable == "XRAY_PASSWORD":
        monkeypatch.setenv("XRAY_USER", USER)
    if variable == "XRAY_CLIENT_SECRET":
        monkeypatch.setenv("XRAY_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv(variable, value)
    run = run_xray("--xray-url=https://jira.example.com", "--xray-project=CALC")
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    [line] = [x for x in run.result.errlines if "pytest-xray" in x]
    assert line == (
        f"ERROR: pytest-xray: environment variable {variable}: contains a control character or "
        "bytes that are not UTF-8 (a line break or tab inside the value?); set it to the "
        "credential alone, on one line."
    )
    assert "Traceback" not in run.output
    for part in value.split():
        assert part not in run.output


def test_non_latin1_password_authenticates(
    suite: pytest.Pytester, run_xray: RunXray, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XRAY_USER", UTF8_USER)
    monkeypatch.setenv("XRAY_PASSWORD", UTF8_PASSWORD)
    with XrayEmulator(flavor="server", users={UTF8_USER: UTF8_PASSWORD}) as server:
        run = run_xray(f"--xray-url={server.url}", "--xray-project=CALC")
        header = server.requests[0].headers["Authorization"]
    assert len(server.executions) == 1, run.output
    pair = f"{UTF8_USER}:{UTF8_PASSWORD}".encode()
    assert header == "Basic " + base64.b64encode(pair).decode()
    assert "uploaded to Test Execution" in run.output
    assert UTF8_PASSWORD not in run.output


@pytest.mark.parametrize("bad", ["\n", "\r\nX-Injected: 1", "€"])
def test_header_the_transport_refuses_is_a_scrubbed_error(server: XrayEmulator, bad: str) -> None:
    """Belt and braces below the environment check: a credential http.client will not send is an
    XrayError without the secret, not a ValueError quoting the header."""
    from pytest_xray.client import XrayClient
    from pytest_xray.credentials import Credentials
    from pytest_xray.errors import XrayError
    from pytest_xray.settings import Settings

    secret = PAT[:6] + bad + PAT[6:]
    settings = Settings(url=server.url, credentials=Credentials(token=secret), retries=0)
    with XrayClient(settings) as client, pytest.raises(XrayError) as caught:
        client.import_execution({"info": {"project": "CALC"},
                                 "tests": [{"testKey": "CALC-1", "status": "PASS"}]})  # fmt: skip
    message = str(caught.value)
    assert "could not be sent" in message
    assert "check XRAY_TOKEN" in message
    assert PAT[6:] not in message
    assert repr(secret)[1:-1] not in message
    assert server.requests == []


# -- TLS -------------------------------------------------------------------------------------


@pytest.fixture
def tls_server(certificates: Certificates) -> Iterator[XrayEmulator]:
    with XrayEmulator(
        tokens={PAT}, tls_cert=certificates.server, tls_key=certificates.server_key
    ) as emulator:
        yield emulator


def test_tls_is_verified_by_default(
    suite: pytest.Pytester,
    run_xray: RunXray,
    tls_server: XrayEmulator,
    monkeypatch: pytest.MonkeyPatch,
    sleeps: list[float],
) -> None:
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    assert tls_server.url.startswith("https://")
    run = run_xray(f"--xray-url={tls_server.url}", "--xray-project=CALC")
    run.result.stdout.fnmatch_lines(
        ["*upload FAILED: TLS with * failed: certificate verify failed: *; for a private CA set "
         "XRAY_CA_BUNDLE*"]
    )  # fmt: skip
    assert sleeps == []  # a certificate problem does not pass by waiting
    assert not tls_server.executions


def test_private_ca_bundle(
    suite: pytest.Pytester,
    run_xray: RunXray,
    tls_server: XrayEmulator,
    certificates: Certificates,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    monkeypatch.setenv("XRAY_CA_BUNDLE", str(certificates.ca))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/bundle.pem")  # ours wins
    run = run_xray(f"--xray-url={tls_server.url}", "--xray-project=CALC")
    assert len(tls_server.executions) == 1
    assert "WARNING" not in run.output


def test_verify_off_works_with_a_visible_warning(
    suite: pytest.Pytester,
    run_xray: RunXray,
    tls_server: XrayEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    monkeypatch.setenv("XRAY_VERIFY", "false")
    run = run_xray(f"--xray-url={tls_server.url}", "--xray-project=CALC", "-qq")
    assert len(tls_server.executions) == 1
    run.result.stdout.fnmatch_lines(
        ["*xray: WARNING: TLS certificate verification is OFF (XRAY_VERIFY=false)*"]
    )
    assert "InsecureRequestWarning" not in run.output


def test_mutual_tls(
    suite: pytest.Pytester,
    run_xray: RunXray,
    certificates: Certificates,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    suite.makeini(
        f"""
        [pytest]
        xray_ca_bundle = {certificates.ca}
        xray_client_cert = {certificates.client}
        xray_client_key = {certificates.client_key}
        """
    )
    with XrayEmulator(
        tokens={PAT}, tls_cert=certificates.server, tls_key=certificates.server_key,
        tls_client_ca=certificates.ca,
    ) as server:  # fmt: skip
        run_xray(f"--xray-url={server.url}", "--xray-project=CALC")
        assert len(server.executions) == 1
        suite.makeini(f"[pytest]\nxray_ca_bundle = {certificates.ca}\n")
        without = run_xray(f"--xray-url={server.url}", "--xray-project=CALC")
        assert len(server.executions) == 1
    assert "upload FAILED" in without.output


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--xray-ca-bundle=missing.pem"], {}, "--xray-ca-bundle: */missing.pem does not exist*"),
        ([], {"XRAY_CLIENT_CERT": "nope.pem"}, "environment variable XRAY_CLIENT_CERT: *nope.pem*"),
        (["--xray-client-key=k.pem"], {}, "--xray-client-key: a client key needs its certificate*"),
        ([], {"XRAY_VERIFY": "false", "XRAY_CA_BUNDLE": "ca.pem"}, "*verification is off but*"),
        (["--xray-proxy=http://u:pw@proxy:3128"], {}, "--xray-proxy: *carries a password*"),
        (["--xray-retries=-1"], {}, "--xray-retries: '-1' is not a whole number >= 0."),
        (["--xray-chunk-bytes=10"], {}, "--xray-chunk-bytes: '10' is less than 1KiB*"),
        (["--xray-max-wait=0"], {}, "--xray-max-wait: '0' is not a positive number*"),
    ],
)
def test_bad_transport_settings_are_usage_errors_before_tests(
    suite: pytest.Pytester,
    run_xray: RunXray,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    message: str,
) -> None:
    (suite.path / "ca.pem").write_text("not used")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    run = run_xray("--xray-dry-run", *args)
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    run.result.stderr.fnmatch_lines([f"*pytest-xray: {message}"])
    assert "test_one" not in run.output


def test_chunk_sizes_accept_units(pytester: pytest.Pytester) -> None:
    config = pytester.parseconfig("--xray", "--xray-chunk-bytes=20MiB", "--xray-chunk-tests=50")
    settings = resolve(config, env={"XRAY_RETRIES": "0", "XRAY_MAX_WAIT": "30"})
    assert (settings.chunk_bytes, settings.chunk_tests) == (20 * 1024 * 1024, 50)
    assert (settings.retries, settings.max_wait) == (0, 30.0)


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://jira.example.com", True),
        ("https://jira.example.com", False),
        ("http://localhost:8080", False),
        ("http://127.0.0.1:8080", False),
        ("http://[::1]:80", False),
    ],
)
def test_credentials_over_plain_http_are_warned_about(
    pytester: pytest.Pytester, url: str, warned: bool
) -> None:
    config = pytester.parseconfig("--xray", f"--xray-url={url}", "--xray-project=CALC")
    settings = resolve(config, env={"XRAY_TOKEN": PAT})
    found = [w for w in settings.warnings if "unencrypted over plain http://" in w]
    assert bool(found) is warned


# -- proxies ---------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["environment", "setting", "without-scheme"])
def test_proxy(
    suite: pytest.Pytester,
    run_xray: RunXray,
    server: XrayEmulator,
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with forwarding_proxy() as (proxy, seen):
        args = [f"--xray-url={server.url}", "--xray-project=CALC"]
        if how == "environment":
            monkeypatch.setenv("HTTP_PROXY", proxy)
        else:
            monkeypatch.delenv("HTTP_PROXY", raising=False)
            monkeypatch.delenv("http_proxy", raising=False)
            if how == "without-scheme":
                proxy = proxy.removeprefix("http://")
            args.append(f"--xray-proxy={proxy}")
        run = run_xray(*args)
    assert seen == [f"{server.url}/rest/raven/2.0/import/execution"]
    assert len(server.executions) == 1
    assert "uploaded to Test Execution" in run.output


# -- Jira OAuth 1.0a -------------------------------------------------------------------------


def test_oauth_signature_is_accepted(
    suite: pytest.Pytester,
    run_xray: RunXray,
    oauth_server: XrayEmulator,
    oauth_key: tuple[Path, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_oauth(monkeypatch, oauth_key[0])
    run = run_xray(f"--xray-url={oauth_server.url}", "--xray-project=CALC")
    [execution] = oauth_server.executions.values()
    assert "CALC-1" in execution.runs
    header = oauth_server.requests[0].headers["Authorization"]
    assert header.startswith("OAuth ")
    assert 'oauth_signature_method="RSA-SHA1"' in header
    assert f'oauth_consumer_key="{CONSUMER}"' in header
    assert "uploaded to Test Execution" in run.output


def test_oauth_with_a_wrong_key_is_refused(
    suite: pytest.Pytester,
    run_xray: RunXray,
    oauth_server: XrayEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wrong = suite.path / "wrong.pem"
    wrong.write_bytes(private_pem(rsa_key()))
    use_oauth(monkeypatch, wrong)
    run = run_xray(f"--xray-url={oauth_server.url}", "--xray-project=CALC")
    assert not oauth_server.executions
    assert [r.status for r in oauth_server.requests] == [401]
    run.result.stdout.fnmatch_lines(
        ["*upload FAILED: *refused the credentials (401): OAuth problem: signature_invalid; "
         "check XRAY_OAUTH_CONSUMER_KEY, XRAY_OAUTH_PRIVATE_KEY and XRAY_OAUTH_TOKEN*"]
    )  # fmt: skip


def test_emulator_refuses_a_replayed_oauth_request(
    oauth_server: XrayEmulator, oauth_key: tuple[Path, str]
) -> None:
    """The emulator checks the nonce too: the same signed request twice is refused."""
    import requests
    from oauthlib.oauth1 import SIGNATURE_RSA
    from requests_oauthlib import OAuth1

    auth = OAuth1(CONSUMER, rsa_key=oauth_key[0].read_text(), resource_owner_key=OAUTH_TOKEN,
                  signature_method=SIGNATURE_RSA)  # fmt: skip
    body = b'{"testExecutionKey": "CALC-9", "tests": [{"testKey": "CALC-1", "status": "PASS"}]}'
    url = f"{oauth_server.url}/rest/raven/2.0/import/execution"
    prepared = requests.Request(
        "POST", url, data=body, headers={"Content-Type": "application/json"}, auth=auth
    ).prepare()
    with requests.Session() as session:
        first = session.send(prepared, timeout=10)
        again = session.send(prepared, timeout=10)
    assert first.status_code == 200
    assert again.status_code == 401
    assert "nonce_used" in again.text


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"XRAY_TOKEN": PAT}, "XRAY_TOKEN and XRAY_OAUTH_* are all set; keep only one of them."),
        ({"XRAY_OAUTH_TOKEN": ""}, "Jira OAuth needs *XRAY_OAUTH_TOKEN not set."),
        (
            {"XRAY_OAUTH_PRIVATE_KEY": "nope.pem"},
            "*XRAY_OAUTH_PRIVATE_KEY: cannot read */nope.pem*",
        ),
        (
            {"XRAY_OAUTH_PRIVATE_KEY": "test_suite.py"},
            "*is not an unencrypted PEM RSA private key*",
        ),
    ],
)
def test_oauth_setup_errors(
    suite: pytest.Pytester,
    run_xray: RunXray,
    monkeypatch: pytest.MonkeyPatch,
    oauth_key: tuple[Path, str],
    env: dict[str, str],
    message: str,
) -> None:
    use_oauth(monkeypatch, oauth_key[0])
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    run = run_xray("--xray-url=https://jira.example.com", "--xray-project=CALC")
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    run.result.stderr.fnmatch_lines([f"*pytest-xray: *{message}"])


def test_oauth_on_cloud_is_a_usage_error(
    suite: pytest.Pytester,
    run_xray: RunXray,
    monkeypatch: pytest.MonkeyPatch,
    oauth_key: tuple[Path, str],
) -> None:
    use_oauth(monkeypatch, oauth_key[0])
    run = run_xray("--xray-url=https://xray.cloud.getxray.app", "--xray-project=CALC")
    run.result.stderr.fnmatch_lines(["*Jira OAuth (XRAY_OAUTH_*) is for Xray Server*"])


def test_missing_oauth_extra_names_the_install_command(
    suite: pytest.Pytester,
    run_xray: RunXray,
    monkeypatch: pytest.MonkeyPatch,
    oauth_key: tuple[Path, str],
) -> None:
    use_oauth(monkeypatch, oauth_key[0])
    monkeypatch.setitem(sys.modules, "requests_oauthlib", None)  # as if not installed
    run = run_xray("--xray-url=https://jira.example.com", "--xray-project=CALC")
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    run.result.stderr.fnmatch_lines(
        ["ERROR: pytest-xray: credentials: Jira OAuth needs the oauth extra (requests_oauthlib "
         "is not installed): pip install 'pytest-xray?oauth?'"]
    )  # fmt: skip


def test_emulator_command_serves_tls_and_oauth(
    certificates: Certificates, oauth_key: tuple[Path, str], tmp_path: Path
) -> None:
    import subprocess

    import requests
    from oauthlib.oauth1 import SIGNATURE_RSA
    from requests_oauthlib import OAuth1

    public = tmp_path / "public.pem"
    public.write_text(oauth_key[1])
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_xray.emulator", "--tls-cert", str(certificates.server),
         "--tls-key", str(certificates.server_key), "--oauth-consumer", f"{CONSUMER}:{public}",
         "--oauth-token", OAUTH_TOKEN],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        url = process.stdout.readline().rsplit(" ", 1)[-1].strip()
        assert url.startswith("https://127.0.0.1:")
        auth = OAuth1(CONSUMER, rsa_key=oauth_key[0].read_text(), resource_owner_key=OAUTH_TOKEN,
                      signature_method=SIGNATURE_RSA)  # fmt: skip
        answer = requests.post(
            f"{url}/rest/raven/2.0/import/execution",
            json={"info": {"project": "CALC"}, "tests": [{"testKey": "CALC-1", "status": "PASS"}]},
            auth=auth, verify=str(certificates.ca), timeout=10,
        )  # fmt: skip
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json()["testExecIssue"]["key"].startswith("CALC-")


def test_a_check_in_a_dry_run_still_warns(pytester: pytest.Pytester) -> None:
    # --xray-check sends the credentials to Xray before the tests, dry run or not.
    args = ["--xray", "--xray-url=http://jira.example.com", "--xray-project=CALC", "--xray-dry-run"]
    plain = resolve(pytester.parseconfig(*args), env={"XRAY_TOKEN": PAT, "XRAY_VERIFY": "false"})
    assert plain.warnings == ()  # nothing is sent
    config = pytester.parseconfig(*args, "--xray-check")
    settings = resolve(config, env={"XRAY_TOKEN": PAT, "XRAY_VERIFY": "false"})
    assert [w.split(" ", 1)[0] for w in settings.warnings] == ["TLS", "credentials"]


# -- a proxy that refuses --------------------------------------------------------------------

PROXY_VARIABLES = ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY",
                   "http_proxy", "ALL_PROXY", "all_proxy")  # fmt: skip


@pytest.mark.parametrize("refusal", ["407", "407-with-credentials", "403"])
def test_a_proxy_refusing_the_tunnel_is_explained_not_retried_and_created_nothing(
    suite: pytest.Pytester,
    run_xray: RunXray,
    tls_server: XrayEmulator,
    certificates: Certificates,
    monkeypatch: pytest.MonkeyPatch,
    sleeps: list[float],
    refusal: str,
) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    monkeypatch.setenv("XRAY_CA_BUNDLE", str(certificates.ca))
    endpoint = f"{tls_server.url}/rest/raven/2.0/import/execution"
    target = tls_server.url.removeprefix("https://")
    with refusing_proxy(int(refusal[:3])) as (proxy, seen):
        given = proxy.replace("://", f"://proxyuser:{PROXY_PASSWORD}@")
        monkeypatch.setenv("XRAY_PROXY", given if "credentials" in refusal else proxy)
        run = run_xray(f"--xray-url={tls_server.url}", "--xray-project=CALC",
                       "--xray-output=r.json", report="r.json")  # fmt: skip
    assert seen == [f"CONNECT {target}"]  # once: the proxy's answer does not change by waiting
    assert sleeps == []
    assert tls_server.requests == []
    where = proxy.removeprefix("http://")
    expected = {
        "407": (
            f"the proxy {where} wants credentials (407 Proxy Authentication Required): put them "
            "in XRAY_PROXY / HTTPS_PROXY as http://user:password@host:port."
        ),
        "407-with-credentials": (
            f"the proxy {where} refused its credentials (407 Proxy Authentication Required); "
            "check the user and password in XRAY_PROXY / HTTPS_PROXY "
            "(http://user:password@host:port)."
        ),
        "403": (
            f"the proxy {where} refused to connect to {target} (403 Forbidden); ask its "
            f"administrators to let {target} through, or check XRAY_PROXY / HTTPS_PROXY and "
            "NO_PROXY."
        ),
    }
    run.result.stdout.fnmatch_lines([f"*xray: upload FAILED: cannot reach {endpoint}: "
                                     f"{expected[refusal]}"])  # fmt: skip
    assert "may have created" not in run.output
    assert PROXY_PASSWORD not in run.output + all_files_text(suite.path)
    # Nothing reached Xray, so a plain resend (the proxy set right) creates the execution.
    monkeypatch.delenv("XRAY_PROXY")
    assert cli_main(["upload", "r.json", f"--xray-url={tls_server.url}"]) == 0
    assert len(tls_server.executions) == 1


def test_a_proxy_asking_for_credentials_for_a_plain_http_url_is_explained_not_retried(
    suite: pytest.Pytester,
    run_xray: RunXray,
    server: XrayEmulator,
    monkeypatch: pytest.MonkeyPatch,
    sleeps: list[float],
) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    endpoint = f"{server.url}/rest/raven/2.0/import/execution"
    with refusing_proxy(407) as (proxy, seen):
        monkeypatch.setenv("HTTP_PROXY", proxy)
        # An import into a known execution is repeatable, and still not repeated.
        run = run_xray(f"--xray-url={server.url}", "--xray-execution=CALC-100")
    assert seen == [f"POST {endpoint}"]
    assert sleeps == []
    run.result.stdout.fnmatch_lines(
        [f"*xray: upload FAILED: cannot reach {endpoint}: the proxy "
         f"{proxy.removeprefix('http://')} wants credentials (407 Proxy Authentication "
         "Required): put them in XRAY_PROXY / HTTP_PROXY as http://user:password@host:port."]
    )  # fmt: skip


ECHOING_ANSWERS = {
    "not-recorded": (
        200,
        {"testExecIssue": {"key": "CALC-5"},
         "testIssues": {"error": [{"testKey": "CALC-1", "messages": [f"header Bearer {PAT}"]}]}},
        "*xray: not recorded by Xray: CALC-1: header Bearer ***",
    ),
    "info": (
        200,
        {"testExecIssue": {"key": "CALC-5"}, "infoMessages": [f"your auth: Bearer {PAT}"]},
        "*xray: Xray says: your auth: Bearer ***",
    ),
    "no-execution": (
        200,
        {"you": f"Bearer {PAT}", "padding": "x" * 190},
        '*upload FAILED: * answered without the key of a Test Execution: {"you": "Bearer ***"*',
    ),
    "error": (400, {"error": f"bad token {PAT}"}, "*upload FAILED: * answered 400: bad token ***"),
}  # fmt: skip


@pytest.mark.parametrize("answer", ECHOING_ANSWERS)
def test_xray_answers_that_echo_a_secret_are_scrubbed_everywhere(
    suite: pytest.Pytester,
    run_xray: RunXray,
    server: XrayEmulator,
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
) -> None:
    status, body, line = ECHOING_ANSWERS[answer]
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(suite.path / "summary.md"))
    monkeypatch.setenv("GITHUB_OUTPUT", str(suite.path / "outputs.txt"))
    server.inject(status=status, body=json.dumps(body))
    run = run_xray(f"--xray-url={server.url}", "--xray-project=CALC", "--xray-output=r.json",
                   "--xray-result-file=result.json", report="r.json")  # fmt: skip
    run.result.stdout.fnmatch_lines([line])
    assert (suite.path / "summary.md").exists()
    assert PAT not in run.output + all_files_text(suite.path)


def test_a_check_answer_that_echoes_a_secret_is_scrubbed(
    suite: pytest.Pytester, run_xray: RunXray, server: XrayEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    server.inject(status=200, body=json.dumps({"you": f"Bearer {PAT}"}), match="api/test")
    run = run_xray(f"--xray-url={server.url}", "--xray-check", "--xray-dry-run")
    run.result.stderr.fnmatch_lines(
        ['*api/test answered a JSON object instead of a list of Tests: {"you": "Bearer ***"}*']
    )
    assert PAT not in run.output


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("bad \x1b[2J\x1b[31mRED\r\nxray: uploaded", "bad RED xray: uploaded"),
        ("\x1b]8;;https://evil.example\x07link\x1b]8;;\x07 \x1bc", "link"),
        ("a\u202eb\u2066c\x00d\x85e\u2028f", "abcd e f"),
        ("emoji \U0001f469\u200d\U0001f4bb ünï 漢字", "emoji \U0001f469\u200d\U0001f4bb ünï 漢字"),
        (f"{PAT[:4]}\x00{PAT[4:]} split", "*** split"),
        (" " * 100_000 + f"{PAT} after much space", "*** after much space"),
        ("lone \ud800 surrogate", "lone surrogate"),
    ],
)  # fmt: skip
def test_text_from_xray_is_made_fit_to_show(text: str, shown: str) -> None:
    from pytest_xray.answers import shown_text

    assert shown_text(text, (PAT,)) == shown


def test_text_from_xray_is_cut_after_scrubbing() -> None:
    from pytest_xray.answers import shown_text

    shown = shown_text("x" * 497 + PAT + "y" * 1000, (PAT,))  # the cut falls in the secret
    assert shown == "x" * 497 + "**…"
    assert len(shown_text("é" * 10_000)) == 500


def test_a_cloud_token_copied_with_its_json_quotes_is_sent_without_them(
    suite: pytest.Pytester, run_xray: RunXray, cloud: XrayEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    import requests

    # /authenticate answers a JSON string: curl prints the token between double quotes.
    answer = requests.post(
        f"{cloud.url}/api/v2/authenticate",
        json={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        timeout=5,
    )
    assert answer.text.startswith('"eyJ')
    monkeypatch.setenv("XRAY_TOKEN", answer.text + "\n")
    monkeypatch.setenv("XRAY_CLOUD", "true")
    run = run_xray(f"--xray-url={cloud.url}", "--xray-project=CALC")
    token = answer.json()
    assert {r.headers["Authorization"] for r in cloud.requests[1:]} == {f"Bearer {token}"}
    assert len(cloud.executions) == 1
    assert token not in run.output


@pytest.mark.parametrize(
    ("value", "token"),
    [('"abc.def.ghi"', "abc.def.ghi"), (' " abc " ', "abc"), ('""', None), ('a"b"', 'a"b"'),
     ('"abc', '"abc')],
)  # fmt: skip
def test_only_one_pair_of_surrounding_quotes_leaves_xray_token(
    value: str, token: str | None, tmp_path: Path
) -> None:
    from pytest_xray.credentials import credentials_from_env

    assert credentials_from_env({"XRAY_TOKEN": value}, tmp_path).token == token
