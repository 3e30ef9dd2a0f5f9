"""The HTTP client: one session to Xray, its endpoints and transport, for Server/DC and Cloud.

Every transport problem and every error answer becomes an :class:`XrayError` at one boundary
(:meth:`XrayClient.request`), with a one-line message that names the endpoint and never a secret.
That boundary also retries what may pass (:mod:`pytest_xray.retry`) and carries the TLS and
proxy settings: verification stays on unless XRAY_VERIFY=false, and ``trust_env`` stays on so
that HTTPS_PROXY / HTTP_PROXY / NO_PROXY and REQUESTS_CA_BUNDLE work as everywhere else.
How credentials become request authentication is :mod:`pytest_xray.auth`, how secrets are kept
out of messages :mod:`pytest_xray.scrub`, how Xray's answers are read :mod:`pytest_xray.answers`.
"""

from __future__ import annotations

import json
import re
import ssl
import warnings
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    InsecureRequestWarning,
    MaxRetryError,
    NewConnectionError,
)
from urllib3.exceptions import ProxyError as Urllib3ProxyError

from pytest_xray import __version__
from pytest_xray.answers import (
    ImportResult,
    UnreadableAnswerError,
    error_text,
    json_or_none,
    parse_graphql_tests,
    parse_import,
    parse_tests,
    shown_text,
)
from pytest_xray.auth import CloudAuth, credential_names, make_auth
from pytest_xray.errors import (
    AuthError,
    TooLargeError,
    TransientError,
    UncertainError,
    XrayError,
)
from pytest_xray.payload import execution_issue
from pytest_xray.retry import RetryPolicy, call_with_retries
from pytest_xray.scrub import all_secrets, cloud_tokens
from pytest_xray.settings import Settings

__all__ = ["TESTS_PER_QUERY", "XrayClient"]

RETRYABLE_STATUSES = {429: False, 502: True, 503: False, 504: True}
"""Statuses worth a retry, with whether the request may have been processed all the same
(429 and 503 refuse before processing; 502 and 504 come from a proxy that lost the answer)."""


class XrayClient:
    """One HTTP session to Xray, built from :class:`Settings`. Use as a context manager.

    ``notify`` receives a line for each retry as it happens (the wait can be long).
    """

    def __init__(self, settings: Settings, notify: Callable[[str], None] | None = None) -> None:
        if settings.url is None:
            raise XrayError("no Xray URL configured (--xray-url, XRAY_URL or xray_url).")
        self.settings = settings
        self.base = settings.url
        self.notify = notify
        self.policy = RetryPolicy(retries=settings.retries, max_wait=settings.max_wait)
        self.session = requests.Session()
        self.session.headers["User-Agent"] = f"pytest-xray/{__version__}"
        self.session.headers["Accept"] = "application/json"
        self._transport = self._transport_options()
        self.auth = make_auth(self)

    @property
    def _secrets(self) -> tuple[str, ...]:
        return all_secrets(self.settings)

    def _transport_options(self) -> dict[str, Any]:
        """TLS and proxy arguments of every request. ``verify`` is passed per request, not
        set on the session: requests lets REQUESTS_CA_BUNDLE override a session's value."""
        settings = self.settings
        verify: bool | str = settings.verify
        if settings.ca_bundle is not None:
            verify = str(settings.ca_bundle)
        options: dict[str, Any] = {"verify": verify}
        if settings.client_cert is not None:
            cert = str(settings.client_cert)
            key = settings.client_key
            options["cert"] = (cert, str(key)) if key is not None else cert
        if settings.proxy is not None:
            options["proxies"] = {"http": settings.proxy, "https": settings.proxy}
        return options

    def __enter__(self) -> XrayClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.session.close()

    def endpoint(self, path: str, version: str | None = None) -> str:
        """The full URL of an API path such as ``import/execution`` (in API ``version``,
        default the configured one)."""
        version = version or self.settings.api_version
        if self.settings.cloud:
            return f"{self.base}/api/{version}/{path}"
        return f"{self.base}/rest/raven/{version}/{path}"

    # -- transport -----------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        repeatable: bool = True,
        version: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """Send a request and return its decoded JSON, or raise :class:`XrayError`.

        Failures that may pass are retried (:func:`~pytest_xray.retry.call_with_retries`);
        ``repeatable=False`` marks a request that must not run twice (a create), which is then
        retried only when it surely did not reach Xray. ``version``: another API version than
        the configured one.
        """
        url = self.endpoint(path, version)
        kwargs.setdefault("timeout", (self.settings.connect_timeout, self.settings.read_timeout))
        auth = kwargs.setdefault("auth", self.auth)
        # requests would re-send a redirected POST as a GET (and drop its body), which Xray
        # answers with a misleading 405: a redirect is reported with its target instead.
        kwargs["allow_redirects"] = False
        for name, value in self._transport.items():
            kwargs.setdefault(name, value)

        def send() -> Any:
            return call_with_retries(
                lambda: self._send_once(method, url, kwargs),
                self.policy,
                repeatable=repeatable,
                notify=self.notify,
            )

        try:
            return send()
        except AuthError as error:
            if not isinstance(auth, CloudAuth) or error.status != 401:
                raise
        # An Xray Cloud token expires (after 24 h), and one obtained earlier in the run may
        # have been revoked: authenticate again, once, and repeat the request, once. Safe even
        # for a create (repeatable=False): Xray checks the token before anything else, so a
        # request answered 401 did nothing, and no second execution can come of repeating it.
        auth.renew()
        return send()

    def _send_once(self, method: str, url: str, kwargs: dict[str, Any]) -> Any:
        try:
            with warnings.catch_warnings():
                if kwargs.get("verify") is False:  # the summary warns once, not per request
                    warnings.simplefilter("ignore", InsecureRequestWarning)
                response = self.session.request(method, url, **kwargs)
        except XrayError:
            raise
        except requests.exceptions.SSLError as error:
            raise XrayError(
                f"TLS with {url} failed: {self._reason(error)}; for a private CA set "
                "XRAY_CA_BUNDLE (xray_ca_bundle), for mutual TLS xray_client_cert."
            ) from None
        except requests.exceptions.ReadTimeout:
            raise TransientError(
                f"no answer from {url} within {self.settings.read_timeout:g} s; large imports "
                "can be slow: raise --xray-timeout (xray_timeout)",
                reached=True,
            ) from None
        except requests.exceptions.ConnectionError as error:
            refusal = _tunnel_refusal(error)
            if refusal is not None:  # the proxy answered: waiting will not change its mind
                raise XrayError(self._proxy_refused(url, *refusal)) from None
            if _before_sending(error):
                check = "xray_url and the network"
                if isinstance(error, requests.exceptions.ProxyError):
                    check = "the proxy (xray_proxy, HTTPS_PROXY, HTTP_PROXY, NO_PROXY)"
                if isinstance(error, requests.exceptions.ConnectTimeout):
                    check += (
                        f", or raise --xray-connect-timeout (xray_connect_timeout, now "
                        f"{self.settings.connect_timeout:g} s)"
                    )
                raise TransientError(
                    f"cannot reach {url}: {self._reason(error)}; check {check}", reached=False
                ) from None
            raise TransientError(
                f"the connection to {url} broke before Xray answered: {self._reason(error)}",
                reached=True,
            ) from None
        except requests.exceptions.RequestException as error:
            if isinstance(error, (requests.exceptions.ChunkedEncodingError,
                                  requests.exceptions.ContentDecodingError)):  # fmt: skip
                raise TransientError(
                    f"the answer of {url} broke off: {self._reason(error)}", reached=True
                ) from None
            raise XrayError(f"request to {url} failed: {self._reason(error)}") from None
        except ValueError as error:  # UnicodeError too: http.client refusing a header value
            reason = self._reason(error)
            if isinstance(error, UnicodeError):
                reason = "a header value holds characters that HTTP headers cannot carry"
            raise XrayError(
                f"request to {url} could not be sent: {reason}; check "
                f"{credential_names(self.settings)} and the xray_* settings for stray characters."
            ) from None
        return self._decode(response, url)

    def _reason(self, error: BaseException) -> str:
        """The root cause of a requests exception in a few words ("Connection refused")."""
        return shown_text(_root_cause(error), self._secrets, 300)

    def _status_reason(self, response: requests.Response, default: str = "no reason") -> str:
        """The reason phrase of ``response`` ("Service Unavailable"), fit to show."""
        return shown_text(response.reason or "", self._secrets, 100) or default

    def _decode(self, response: requests.Response, url: str) -> Any:
        status = response.status_code
        content_type = response.headers.get("Content-Type", "")
        text = response.text
        if status in RETRYABLE_STATUSES:
            detail = ""
            if "json" in content_type:
                detail = ": " + error_text(json_or_none(response), text, self._secrets)
            raise TransientError(
                f"{url} answered {status} ({self._status_reason(response)}){detail}",
                reached=RETRYABLE_STATUSES[status],
                retry_after=response.headers.get("Retry-After"),
            )
        if 300 <= status < 400:
            raise XrayError(self._redirected(response, url), status=status)
        if status == 413:
            raise TooLargeError(f"{url} answered 413: the request is too large for Xray")
        if status == 407:  # a proxy's answer for a plain http:// URL (https:// asks by CONNECT)
            raise XrayError(self._proxy_refused(url, status, response.reason or ""))
        start = text.lstrip()[:1]
        # Some gateways label Xray's JSON text/html: a body that starts like JSON is read as JSON.
        if start == "<" or ("html" in content_type and start not in ("", "{", "[", '"')):
            message = (
                f"{url} answered {status} with an HTML page instead of Xray's JSON (a proxy or "
                "single sign-on page?); check that xray_url is the Jira base URL (Server/DC) or "
                "the Xray Cloud host"
            )
            if status in (401, 403):  # not AuthError: authenticate() would drop the page hint
                raise XrayError(f"{message}, and {credential_names(self.settings)}.")
            raise XrayError(f"{message}.")
        try:
            data = response.json() if text.strip() else None
        except ValueError:
            data = None
        if 200 <= status < 300:
            if data is None and text.strip():
                raise UnreadableAnswerError(
                    f"{url} answered {status} with a body that is not JSON: "
                    f"{shown_text(text, self._secrets, 200)!r}"
                )
            return data
        message = error_text(data, text, self._secrets)
        if status in (401, 403):
            raise AuthError(
                f"{url} refused the credentials ({status}): {message}; check "
                f"{credential_names(self.settings)}.",
                status=status,
            )
        raise XrayError(f"{url} answered {status}: {message}", status=status)

    def _proxy_for(self, url: str) -> str | None:
        """The proxy that requests uses for ``url``: xray_proxy, else HTTPS_PROXY / HTTP_PROXY
        unless NO_PROXY exempts the host (as ``Session.request`` merges them)."""
        proxies = dict(self._transport.get("proxies") or {})
        merged = self.session.merge_environment_settings(url, proxies, None, None, None)
        proxy: str | None = requests.utils.select_proxy(url, merged["proxies"])
        return proxy

    def _proxy_refused(self, url: str, status: int, reason: str) -> str:
        """The message of a proxy refusing a request (407, or 403 for a blocked host): which
        proxy, and what to set. Only the proxy's host and port are shown, never its password."""
        proxy = self._proxy_for(url) or ""
        parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        where = "a proxy"
        if parts.hostname:
            host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
            where = f"the proxy {host}:{parts.port}" if parts.port else f"the proxy {host}"
        answer = shown_text(f"{status} {reason}", self._secrets, 100)
        variables = "XRAY_PROXY / " + ("HTTPS_PROXY" if url.startswith("https:") else "HTTP_PROXY")
        if status == 407 and (parts.username or parts.password):
            return (
                f"cannot reach {url}: {where} refused its credentials ({answer}); check the "
                f"user and password in {variables} (http://user:password@host:port)."
            )
        if status == 407:
            return (
                f"cannot reach {url}: {where} wants credentials ({answer}): put them in "
                f"{variables} as http://user:password@host:port."
            )
        target = urlsplit(url).netloc
        return (
            f"cannot reach {url}: {where} refused to connect to {target} ({answer}); ask its "
            f"administrators to let {target} through, or check {variables} and NO_PROXY."
        )

    def _redirected(self, response: requests.Response, url: str) -> str:
        """The message of a 3xx answer: where it points, and the base URL to set instead."""
        status = f"{response.status_code} ({self._status_reason(response, 'redirect')})"
        location = response.headers.get("Location", "").strip()
        if not location:
            return (
                f"{url} answered {status} without a Location; check that xray_url is the Jira "
                "base URL (Server/DC) or the Xray Cloud host."
            )
        target = urljoin(url, location)
        shown = shown_text(target, self._secrets)
        # The part of the URL after xray_url, e.g. /rest/raven/2.0/import/execution.
        suffix = urlsplit(url).path[len(urlsplit(self.base).path) :]
        target_path = urlsplit(target)._replace(query="", fragment="").geturl()
        setting = "xray_url (--xray-url, XRAY_URL)"
        if suffix and target_path.endswith(suffix):
            new_base = shown_text(target_path[: -len(suffix)], self._secrets)
            fix = f"set {setting} to the new address: {new_base}"
        elif self.settings.cloud:
            fix = f"set {setting} to the Xray Cloud host it moved to"
        else:
            fix = f"set {setting} to the Jira base URL it moved to"
        return f"{url} answered {status}, a redirect to {shown}; {fix}."

    # -- Xray API ------------------------------------------------------------------------------

    def authenticate(self, credentials: dict[str, str]) -> str:
        """Exchange Cloud client credentials for a JWT (Xray answers a JSON string)."""
        try:
            token = self.request("POST", "authenticate", json=credentials, auth=None)
        except XrayError as error:
            # 400 as well: /authenticate takes nothing but the two credentials, so they are
            # what to check whatever Xray found wrong with them.
            if not isinstance(error, AuthError) and error.status != 400:
                raise
            raise AuthError(
                f"Xray Cloud refused the client credentials at {self.endpoint('authenticate')}; "
                "check XRAY_CLIENT_ID and XRAY_CLIENT_SECRET (an API key from Xray's settings)."
            ) from None
        if not isinstance(token, str) or not token or token.count(".") != 2:
            raise AuthError(
                f"{self.endpoint('authenticate')} did not answer with a token; check xray_url "
                "and XRAY_CLIENT_ID/XRAY_CLIENT_SECRET."
            )
        cloud_tokens.add(self.settings, token)
        return token

    def import_execution(self, payload: dict[str, Any]) -> ImportResult:
        """``POST import/execution`` with Xray JSON in one request; the result names the
        execution. (Uploads go through :func:`pytest_xray.upload.send_payload`, which chunks.)"""
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return self.import_json(body, creates="testExecutionKey" not in payload)

    def import_json(self, body: bytes, *, creates: bool) -> ImportResult:
        """``POST import/execution`` with an encoded Xray JSON body. ``creates``: the body has
        no ``testExecutionKey``, so Xray creates an execution and the request is not repeated
        once it may have reached Xray."""
        return self._post_import(
            "import/execution",
            creates=creates,
            data=body,
            headers={"Content-Type": "application/json"},
        )

    def import_execution_multipart(
        self, payload: dict[str, Any], issue: dict[str, Any]
    ) -> ImportResult:
        """``POST import/execution/multipart``: creates a Test Execution with the Jira fields of
        ``issue`` (part ``info``) and imports the Xray JSON ``payload`` into it (part ``result``
        on Server / DC, ``results`` on Cloud)."""
        return self.import_multipart(_json_bytes(payload), issue)

    def import_multipart(self, body: bytes, issue: dict[str, Any]) -> ImportResult:
        """The multipart create with an encoded Xray JSON ``body``; it always creates an
        execution, so it is not repeated once it may have reached Xray."""
        result_part = "results" if self.settings.cloud else "result"
        files = {
            result_part: ("results.json", body, "application/json"),
            "info": ("info.json", _json_bytes(issue), "application/json"),
        }
        return self._post_import("import/execution/multipart", creates=True, files=files)

    def import_results(self, payload: dict[str, Any]) -> ImportResult:
        """Import ``payload`` the way the settings ask: through the multipart endpoint when a new
        Test Execution gets Jira fields (``xray_execution_fields``), else as plain Xray JSON."""
        issue = execution_issue(payload, self.settings)
        if issue is not None:
            return self.import_execution_multipart(payload, issue)
        return self.import_execution(payload)

    def junit_query(self) -> dict[str, str]:
        """The query parameters of Xray's JUnit endpoint, from the settings."""
        settings = self.settings
        query = {
            "projectKey": settings.project,
            "testExecKey": settings.execution,
            "testPlanKey": settings.test_plan,
            "testEnvironments": ";".join(settings.environments),
            "revision": settings.revision,
            "fixVersion": settings.fix_version,
        }
        return {name: value for name, value in query.items() if value}

    def import_junit(self, xml: bytes, filename: str = "junit.xml") -> ImportResult:
        """``POST import/execution/junit`` with a JUnit XML file, for Xray's own mapping:
        on Server a multipart part ``file``, on Cloud the XML itself as the body. Without
        ``testExecKey`` it creates an execution, so it is then not repeated once it may have
        reached Xray."""
        body: dict[str, Any]
        if self.settings.cloud:
            body = {"data": xml, "headers": {"Content-Type": "application/xml"}}
        else:
            body = {"files": {"file": (filename, xml, "application/xml")}}
        return self._post_import(
            "import/execution/junit",
            creates=self.settings.execution is None,
            params=self.junit_query(),
            **body,
        )

    def _post_import(self, path: str, *, creates: bool, **kwargs: Any) -> ImportResult:
        """POST an import to ``path`` and read Xray's answer. ``creates``: the request creates
        a Test Execution, so it is not repeated once it may have reached Xray, and an answer
        of success that names none (empty, not JSON, another shape) is an
        :class:`UncertainError`: Xray may have created one all the same."""
        try:
            data = self.request("POST", path, repeatable=not creates, **kwargs)
            return parse_import(
                data, cloud=self.settings.cloud, url=self.endpoint(path), secrets=self._secrets
            )
        except UnreadableAnswerError as error:
            if not creates:
                raise
            raise UncertainError(
                f"{error}; Xray may have created a Test Execution all the same, so none is "
                "created again blindly"
            ) from None

    def get_tests(self, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` (at most :data:`TESTS_PER_QUERY`) are existing Xray Tests.

        Server / DC: ``GET api/test?keys=A;B``; Cloud: the GraphQL ``getTests`` query with the
        JQL ``key in (A, B)``. Both answer only Tests, so a key missing from the answer does
        not exist or is another issue type. Xray refusing the query (a 4xx answer, or GraphQL
        ``errors``, as Jira gives for a key that does not exist) is an :class:`XrayError`
        whose ``status`` is set.
        """
        if not keys:
            return set()
        if len(keys) > TESTS_PER_QUERY:
            raise ValueError(f"at most {TESTS_PER_QUERY} keys per query, got {len(keys)}")
        if self.settings.cloud:
            return self._graphql_tests(keys)
        data = self.request("GET", "api/test", params={"keys": ";".join(keys)})
        return parse_tests(data, self.endpoint("api/test"), self._secrets)

    def _graphql_tests(self, keys: Sequence[str]) -> set[str]:
        # GraphQL lives under /api/v2 only; a v1 token is valid there too.
        url = self.endpoint("graphql", "v2")
        variables = {"jql": f"key in ({', '.join(keys)})", "limit": len(keys)}
        data = self.request(
            "POST", "graphql", version="v2", json={"query": _GET_TESTS, "variables": variables}
        )
        return parse_graphql_tests(data, url, self._secrets)

    def browse_url(self, key: str) -> str | None:
        """``{jira}/browse/KEY`` when the Jira site is known."""
        base = self.settings.browse_base
        return f"{base}/browse/{key}" if base else None


TESTS_PER_QUERY = 100
"""Keys per Test lookup: Xray's GraphQL ``limit`` is at most 100, and 100 keys keep a Server
query string short."""

_GET_TESTS = """
query CheckTests($jql: String!, $limit: Int!) {
  getTests(jql: $jql, limit: $limit) {
    total
    results { issueId jira(fields: ["key"]) }
  }
}
"""


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


_TUNNEL_REFUSED = re.compile(r"Tunnel connection failed: (\d{3})\s*(.*)")
"""http.client's message when a proxy answers CONNECT with anything but 200."""

_URLLIB3_2 = not str(getattr(urllib3, "__version__", "2")).startswith("1.")


def _tunnel_refusal(error: requests.exceptions.ConnectionError) -> tuple[int, str] | None:
    """``(status, reason)`` of a proxy that refused to open a tunnel (CONNECT answered 407,
    or 403 for a host it blocks), before any byte of the request went to Xray."""
    if not isinstance(error, requests.exceptions.ProxyError):
        return None
    found = _TUNNEL_REFUSED.search(_root_cause(error))
    return (int(found.group(1)), found.group(2).strip()) if found else None


def _before_sending(error: requests.exceptions.ConnectionError) -> bool:
    """Whether the connection failed before any byte of the request left (refused, DNS,
    connect timeout, unreachable proxy): urllib3's own "connection error" classification."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(error, requests.exceptions.ProxyError) and _URLLIB3_2:
        # urllib3 2 raises it only while connecting to the proxy or opening its tunnel, before
        # the request goes; 1.26 also wraps a connection dropped after sending through a
        # forwarding proxy, which may have reached Xray.
        return True
    cause = error.args[0] if error.args else None
    if isinstance(cause, MaxRetryError):
        cause = cause.reason
    if isinstance(cause, Urllib3ProxyError):
        cause = cause.original_error
    return isinstance(cause, (NewConnectionError, ConnectTimeoutError))


def _root_cause(error: BaseException) -> str:
    """The innermost readable reason of an exception chain: requests wraps urllib3's
    MaxRetryError, which wraps a NewConnectionError, which wraps the socket's OSError."""
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen and len(seen) < 20:
        seen.append(current)
        nested = current.args[0] if current.args else None
        if isinstance(current, MaxRetryError) and current.reason is not None:
            current = current.reason
        elif isinstance(current, Urllib3ProxyError):
            current = current.original_error
        elif isinstance(nested, BaseException):
            current = nested
        else:
            current = current.__cause__ or current.__context__
    for candidate in reversed(seen):
        if isinstance(candidate, ssl.SSLCertVerificationError) and candidate.verify_message:
            return f"certificate verify failed: {candidate.verify_message}"
        if isinstance(candidate, ssl.SSLError) and candidate.reason:
            return str(candidate.reason)
        if isinstance(candidate, OSError) and candidate.strerror:
            return candidate.strerror
    for candidate in reversed(seen):
        args = [a for a in candidate.args if isinstance(a, str) and a]
        if args:
            return args[-1].splitlines()[0]
    return type(error).__name__
