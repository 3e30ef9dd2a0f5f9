"""How credentials become request authentication: Basic, Bearer (Jira PAT), Xray Cloud's JWT
(exchanged for client credentials, reused and renewed), and Jira OAuth 1.0a (:mod:`.oauth`).

Imported with the HTTP client only, when something is sent: requests is imported here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from requests.auth import AuthBase

from pytest_xray.scrub import basic_credentials, cloud_tokens

if TYPE_CHECKING:
    import requests

    from pytest_xray.settings import Settings

__all__ = [
    "Authenticator",
    "BasicAuth",
    "BearerAuth",
    "CloudAuth",
    "credential_names",
    "make_auth",
]


class Authenticator(Protocol):
    """What :class:`CloudAuth` needs of the client: the run's settings and the exchange of client
    credentials for a token (:meth:`pytest_xray.client.XrayClient.authenticate`)."""

    settings: Settings

    def authenticate(self, credentials: dict[str, str]) -> str: ...


class BearerAuth(AuthBase):
    """``Authorization: Bearer <token>``: Jira Personal Access Tokens and Cloud JWTs."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


class BasicAuth(AuthBase):
    """HTTP Basic with the user and password encoded as UTF-8, as Jira decodes them (requests
    encodes them as latin-1, which fails for a password such as ``pässwörd€``)."""

    def __init__(self, user: str, password: str) -> None:
        self.header = "Basic " + basic_credentials(user, password)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self.header
        return request


class CloudAuth(AuthBase):
    """Xray Cloud: client id and secret exchanged for a JWT, then sent as Bearer.

    One exchange per run: a token obtained with the same settings earlier in the process (the
    ``--xray-check`` lookup before the tests, then the upload at the end) is reused. A token
    that Xray refuses is renewed once per request (:meth:`XrayClient.request`)."""

    def __init__(self, client: Authenticator, client_id: str, client_secret: str) -> None:
        self._client = client
        self._credentials = {"client_id": client_id, "client_secret": client_secret}
        self._token: str | None = None

    def token(self) -> str:
        if self._token is None:
            obtained = cloud_tokens.of(self._client.settings)
            self._token = obtained[-1] if obtained else self._client.authenticate(self._credentials)
        return self._token

    def renew(self) -> None:
        """Authenticate again: Xray refused the token (expired or revoked)."""
        self._token = self._client.authenticate(self._credentials)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        return request


def make_auth(client: Authenticator) -> AuthBase | None:
    """The authentication of ``client``'s requests, from its settings' credentials (``None``:
    no credentials are set)."""
    creds = client.settings.credentials
    if creds.oauth:
        from pytest_xray.oauth import oauth1_auth

        return oauth1_auth(creds)
    if creds.client_id and creds.client_secret:
        return CloudAuth(client, creds.client_id, creds.client_secret)
    if creds.token:
        return BearerAuth(creds.token)
    if creds.user and creds.password is not None:
        return BasicAuth(creds.user, creds.password)
    return None


def credential_names(settings: Settings) -> str:
    """The settings to check when Xray refuses the credentials or a header cannot be sent."""
    creds = settings.credentials
    if creds.oauth:
        return (
            "XRAY_OAUTH_CONSUMER_KEY, XRAY_OAUTH_PRIVATE_KEY and XRAY_OAUTH_TOKEN "
            "(the Jira application link)"
        )
    if creds.client:
        return "XRAY_CLIENT_ID and XRAY_CLIENT_SECRET"
    if creds.token and settings.cloud:
        return "XRAY_TOKEN (an Xray Cloud token from /authenticate, valid 24 h)"
    if creds.token:
        return "XRAY_TOKEN"
    if creds.basic:
        return "XRAY_USER and XRAY_PASSWORD"
    return "the credentials: none are set"
