"""The HTTP client: endpoints, authentication and Xray's answers, for Server/DC and Cloud.

Every transport problem and every error answer becomes an :class:`XrayError` at one boundary
(:meth:`XrayClient.request`), with a one-line message that names the endpoint and never a secret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.auth import AuthBase, HTTPBasicAuth

from pytest_xray import __version__
from pytest_xray.payload import execution_issue
from pytest_xray.settings import Settings

__all__ = ["AuthError", "ImportResult", "XrayClient", "XrayError", "scrub"]


class XrayError(Exception):
    """An upload problem, explained in one line without secrets."""


class AuthError(XrayError):
    """Xray or Jira refused the credentials."""


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with every secret replaced by ``***``."""
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


@dataclass
class ImportResult:
    """What Xray answered to an import."""

    key: str
    id: str = ""
    self_url: str = ""
    failed: list[tuple[str, str]] = field(default_factory=list)
    """``(test key, messages)`` of results Xray did not record (Server ``testIssues.error``)."""
    info_messages: list[str] = field(default_factory=list)


class BearerAuth(AuthBase):
    """``Authorization: Bearer <token>``: Jira Personal Access Tokens and Cloud JWTs."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


class CloudAuth(AuthBase):
    """Xray Cloud: client id and secret exchanged once for a JWT, then sent as Bearer."""

    def __init__(self, client: XrayClient, client_id: str, client_secret: str) -> None:
        self._client = client
        self._credentials = {"client_id": client_id, "client_secret": client_secret}
        self._token: str | None = None

    def token(self) -> str:
        if self._token is None:
            self._token = self._client.authenticate(self._credentials)
        return self._token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        return request


class XrayClient:
    """One HTTP session to Xray, built from :class:`Settings`. Use as a context manager."""

    def __init__(self, settings: Settings) -> None:
        if settings.url is None:
            raise XrayError("no Xray URL configured (--xray-url, XRAY_URL or xray_url).")
        self.settings = settings
        self.base = settings.url
        self.session = requests.Session()
        self.session.headers["User-Agent"] = f"pytest-xray/{__version__}"
        self.session.headers["Accept"] = "application/json"
        self._secrets = settings.credentials.secrets()
        self.auth = self._make_auth()

    def _make_auth(self) -> AuthBase | None:
        creds = self.settings.credentials
        if creds.client_id and creds.client_secret:
            return CloudAuth(self, creds.client_id, creds.client_secret)
        if creds.token:
            return BearerAuth(creds.token)
        if creds.user and creds.password is not None:
            return HTTPBasicAuth(creds.user, creds.password)
        return None

    def __enter__(self) -> XrayClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.session.close()

    def endpoint(self, path: str) -> str:
        """The full URL of an API path such as ``import/execution``."""
        if self.settings.cloud:
            return f"{self.base}/api/{self.settings.api_version}/{path}"
        return f"{self.base}/rest/raven/{self.settings.api_version}/{path}"

    # -- transport -----------------------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send one request and return its decoded JSON, or raise :class:`XrayError`."""
        url = self.endpoint(path)
        kwargs.setdefault("timeout", (self.settings.connect_timeout, self.settings.read_timeout))
        kwargs.setdefault("auth", self.auth)
        try:
            response = self.session.request(method, url, **kwargs)
        except XrayError:
            raise
        except requests.exceptions.ReadTimeout:
            raise XrayError(
                f"no answer from {url} within {self.settings.read_timeout:g} s; large imports "
                "can be slow: raise --xray-timeout (xray_timeout)."
            ) from None
        except requests.exceptions.ConnectionError as error:
            raise XrayError(
                f"cannot reach {url}: {self._reason(error)}; check xray_url and the network."
            ) from None
        except requests.exceptions.RequestException as error:
            raise XrayError(f"request to {url} failed: {self._reason(error)}") from None
        return self._decode(response, url)

    def _reason(self, error: BaseException) -> str:
        reason: BaseException = error
        while reason.__context__ is not None and not str(reason):
            reason = reason.__context__
        text = str(reason.args[0] if reason.args else reason)
        return scrub(text.splitlines()[0] if text else type(error).__name__, self._secrets)

    def _decode(self, response: requests.Response, url: str) -> Any:
        status = response.status_code
        content_type = response.headers.get("Content-Type", "")
        text = response.text
        if "html" in content_type or text.lstrip()[:1] == "<":
            raise XrayError(
                f"{url} answered {status} with an HTML page instead of Xray's JSON (a proxy or "
                "single sign-on page?); check that xray_url is the Jira base URL (Server/DC) or "
                "the Xray Cloud host."
            )
        try:
            data = response.json() if text.strip() else None
        except ValueError:
            data = None
        if 200 <= status < 300:
            if data is None and text.strip():
                raise XrayError(
                    f"{url} answered {status} with a body that is not JSON: "
                    f"{scrub(text[:200], self._secrets)!r}"
                )
            return data
        message = scrub(_error_text(data, text), self._secrets)
        if status in (401, 403):
            raise AuthError(
                f"{url} refused the credentials ({status}): {message}; check "
                f"{self._credential_names()}."
            )
        raise XrayError(f"{url} answered {status}: {message}")

    def _credential_names(self) -> str:
        creds = self.settings.credentials
        if creds.client:
            return "XRAY_CLIENT_ID and XRAY_CLIENT_SECRET"
        if creds.token:
            return "XRAY_TOKEN"
        if creds.basic:
            return "XRAY_USER and XRAY_PASSWORD"
        return "the credentials: none are set"

    # -- Xray API ------------------------------------------------------------------------------

    def authenticate(self, credentials: dict[str, str]) -> str:
        """Exchange Cloud client credentials for a JWT (Xray answers a JSON string)."""
        try:
            token = self.request("POST", "authenticate", json=credentials, auth=None)
        except AuthError:
            raise AuthError(
                f"Xray Cloud refused the client credentials at {self.endpoint('authenticate')}; "
                "check XRAY_CLIENT_ID and XRAY_CLIENT_SECRET (an API key from Xray's settings)."
            ) from None
        if not isinstance(token, str) or not token or token.count(".") != 2:
            raise AuthError(
                f"{self.endpoint('authenticate')} did not answer with a token; check xray_url "
                "and XRAY_CLIENT_ID/XRAY_CLIENT_SECRET."
            )
        self._secrets = (*self._secrets, token)
        return token

    def import_execution(self, payload: dict[str, Any]) -> ImportResult:
        """``POST import/execution`` with Xray JSON; the result names the execution."""
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        data = self.request(
            "POST",
            "import/execution",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        return self.parse_import(data)

    def import_execution_multipart(
        self, payload: dict[str, Any], issue: dict[str, Any]
    ) -> ImportResult:
        """``POST import/execution/multipart``: creates a Test Execution with the Jira fields of
        ``issue`` (part ``info``) and imports the Xray JSON ``payload`` into it (part ``result``
        on Server / DC, ``results`` on Cloud)."""
        result_part = "results" if self.settings.cloud else "result"
        files = {
            result_part: ("results.json", _json_bytes(payload), "application/json"),
            "info": ("info.json", _json_bytes(issue), "application/json"),
        }
        data = self.request("POST", "import/execution/multipart", files=files)
        return self.parse_import(data)

    def import_results(self, payload: dict[str, Any]) -> ImportResult:
        """Import ``payload`` the way the settings ask: through the multipart endpoint when a new
        Test Execution gets Jira fields (``xray_execution_fields``), else as plain Xray JSON."""
        issue = execution_issue(payload, self.settings)
        if issue is not None:
            return self.import_execution_multipart(payload, issue)
        return self.import_execution(payload)

    def parse_import(self, data: Any) -> ImportResult:
        """Read the Server (``testExecIssue`` …) or Cloud (``key`` …) answer to an import."""
        if not isinstance(data, dict):
            raise XrayError(f"unexpected answer to an import: {str(data)[:200]!r}")
        issue = data.get("testExecIssue", data) if not self.settings.cloud else data
        if not isinstance(issue, dict) or not issue.get("key"):
            raise XrayError(f"the import answer names no Test Execution: {str(data)[:200]!r}")
        result = ImportResult(
            key=str(issue["key"]), id=str(issue.get("id", "")), self_url=str(issue.get("self", ""))
        )
        test_issues = data.get("testIssues")
        if isinstance(test_issues, dict):
            for error in test_issues.get("error") or ():
                messages = error.get("messages") or [error.get("message", "")]
                result.failed.append(
                    (str(error.get("testKey", "?")), "; ".join(str(m) for m in messages))
                )
        result.info_messages = [str(m) for m in data.get("infoMessages") or ()]
        return result

    def browse_url(self, key: str) -> str | None:
        """``{jira}/browse/KEY`` when the Jira site is known."""
        base = self.settings.browse_base
        return f"{base}/browse/{key}" if base else None


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _error_text(data: Any, text: str) -> str:
    """Xray's ``{"error": "…"}`` verbatim, else the start of the body."""
    if isinstance(data, dict):
        for name in ("error", "message", "errorMessages"):
            if data.get(name):
                value = data[name]
                return "; ".join(map(str, value)) if isinstance(value, list) else str(value)
    return text.strip()[:300] or "(empty answer)"
