"""Authentication as each flavor does it.

Server: HTTP Basic against ``users``, a Personal Access Token (``Authorization: Bearer``), or
Jira OAuth 1.0a (``Authorization: OAuth``, RSA-SHA1, as Jira application links sign): the
signature is verified for real against the consumer's public key (needs the ``oauth`` extra).
Cloud: ``/api/{v}/authenticate`` trades ``client_id``/``client_secret`` for a JWT-looking token
that imports must send as ``Authorization: Bearer``; Basic is refused.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
import threading
import time
from urllib.parse import urlencode

from .model import Config, Incoming, XrayApiError

__all__ = [
    "CLOUD_AUTH_FAILED",
    "TokenBook",
    "accepts_credentials",
    "check_auth",
    "check_client",
    "how_to_give_credentials",
]

CLOUD_AUTH_FAILED = "Authentication failed. Invalid client credentials!"
_SERVER_CHALLENGE = {"WWW-Authenticate": 'Basic realm="protected-area"'}
TOKEN_TTL_SECONDS = 24 * 3600
OAUTH_TIMESTAMP_WINDOW = 600


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenBook:
    """The Cloud tokens handed out by ``authenticate``; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: set[str] = set()
        self._nonces: set[tuple[str, str, str]] = set()
        self._uses_left: int | None = None

    def issue(self) -> str:
        """A new JWT-shaped token (no secret goes into it)."""
        now = int(time.time())
        header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        claims = {"iss": "xray-emulator", "iat": now, "exp": now + TOKEN_TTL_SECONDS}
        payload = _b64url(json.dumps(claims).encode())
        token = f"{header}.{payload}.{_b64url(secrets.token_bytes(32))}"
        with self._lock:
            self._tokens.add(token)
        return token

    def valid(self, token: str) -> bool:
        """Whether ``token`` was issued and not expired (a use of it, when counted)."""
        with self._lock:
            if token not in self._tokens:
                return False
            if self._uses_left is not None:
                self._uses_left -= 1
                if self._uses_left <= 0:
                    self._tokens.clear()
                    self._uses_left = None
            return True

    def first_use(self, consumer: str, timestamp: str, nonce: str) -> bool:
        """Whether this OAuth nonce is new (a replayed request reuses one)."""
        with self._lock:
            if (consumer, timestamp, nonce) in self._nonces:
                return False
            self._nonces.add((consumer, timestamp, nonce))
            return True

    def expire_all(self, after: int = 0) -> None:
        """Make every issued token invalid (clients must authenticate again), now or once
        tokens have been accepted ``after`` more times."""
        with self._lock:
            if after > 0:
                self._uses_left = after
            else:
                self._tokens.clear()
                self._uses_left = None


def _same(given: str, expected: str | None) -> bool:
    return expected is not None and hmac.compare_digest(given.encode(), expected.encode())


def _oauth_problem(problem: str) -> XrayApiError:
    challenge = f'OAuth realm="xray-emulator", oauth_problem="{problem}"'
    return XrayApiError(401, f"OAuth problem: {problem}", {"WWW-Authenticate": challenge})


def _oauth_auth(config: Config, tokens: TokenBook, request: Incoming, header: str) -> None:
    """Verify an ``Authorization: OAuth`` header signed with RSA-SHA1 (RFC 5849)."""
    try:
        from oauthlib.common import Request
        from oauthlib.oauth1.rfc5849 import signature
    except ImportError as exc:
        raise XrayApiError(
            500, "the Xray emulator verifies OAuth with oauthlib: pip install 'pytest-xray[oauth]'"
        ) from exc
    query = urlencode(sorted(request.query.items()))
    try:
        params = signature.collect_parameters(
            uri_query=query, headers={"Authorization": header}, exclude_oauth_signature=False
        )
    except ValueError as exc:
        raise _oauth_problem("parameter_rejected") from exc
    fields = dict(params)
    public_key = config.oauth_consumers.get(fields.get("oauth_consumer_key", ""))
    if public_key is None:
        raise _oauth_problem("consumer_key_unknown")
    if fields.get("oauth_signature_method") != "RSA-SHA1":
        raise _oauth_problem("signature_method_rejected")
    if fields.get("oauth_token") not in config.oauth_tokens:
        raise _oauth_problem("token_rejected")
    try:
        stamp = int(fields.get("oauth_timestamp", ""))
    except ValueError:
        stamp = 0
    if abs(time.time() - stamp) > OAUTH_TIMESTAMP_WINDOW:
        raise _oauth_problem("timestamp_refused")
    host = request.header("Host") or "localhost"
    uri = f"{config.scheme}://{host}{request.path}" + (f"?{query}" if query else "")
    oauth_request = Request(uri, http_method=request.method)
    oauth_request.params = [(k, v) for k, v in params if k != "oauth_signature"]
    oauth_request.signature = fields.get("oauth_signature", "")
    if not signature.verify_rsa_sha1(oauth_request, public_key):
        raise _oauth_problem("signature_invalid")
    nonce = fields.get("oauth_nonce", "")
    if not nonce or not tokens.first_use(fields["oauth_consumer_key"], str(stamp), nonce):
        raise _oauth_problem("nonce_used")


def _server_auth(config: Config, scheme: str, credentials: str) -> None:
    if scheme == "basic":
        try:
            user, _, password = base64.b64decode(credentials, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise XrayApiError(401, "Malformed Basic credentials", _SERVER_CHALLENGE) from exc
        if _same(password, config.users.get(user)):
            return
        raise XrayApiError(401, "Invalid username or password", _SERVER_CHALLENGE)
    if scheme == "bearer":
        if any(_same(credentials, token) for token in config.tokens):
            return
        raise XrayApiError(401, "Invalid or expired personal access token", _SERVER_CHALLENGE)
    raise XrayApiError(
        401, "Authentication required (HTTP Basic or a Personal Access Token)", _SERVER_CHALLENGE
    )


def _cloud_auth(config: Config, tokens: TokenBook, scheme: str, credentials: str) -> None:
    if scheme == "basic":
        raise XrayApiError(
            401,
            "Basic authentication is not supported by Xray Cloud: send "
            "'Authorization: Bearer <token>' with a token from /api/v2/authenticate",
        )
    if scheme == "bearer":
        if tokens.valid(credentials) or any(_same(credentials, t) for t in config.tokens):
            return
        raise XrayApiError(401, "Invalid or expired token: authenticate again")
    raise XrayApiError(401, "Authentication required: 'Authorization: Bearer <token>'")


def accepts_credentials(config: Config) -> bool:
    """Whether any credentials of this flavor can pass (or none are needed)."""
    if not config.require_auth:
        return True
    if config.flavor == "server":
        return bool(config.users or config.tokens or config.oauth_consumers)
    return bool(config.clients or config.tokens)


def how_to_give_credentials(flavor: str) -> str:
    """How to start the emulator so that some credentials pass (the command line's words)."""
    if flavor == "server":
        given = "--user NAME:PASSWORD or --token PAT (or XRAY_EMULATOR_USERS, XRAY_EMULATOR_TOKENS)"
    else:
        given = "--client ID:SECRET (or XRAY_EMULATOR_CLIENTS)"
    return f"start it with {given}, or with --no-auth"


def check_auth(config: Config, tokens: TokenBook, request: Incoming) -> None:
    """Raise a 401 XrayApiError unless ``request`` carries credentials this flavor accepts."""
    if not config.require_auth:
        return
    if not accepts_credentials(config):
        challenge = _SERVER_CHALLENGE if config.flavor == "server" else None
        fix = how_to_give_credentials(config.flavor)
        message = f"this Xray emulator accepts no credentials: {fix}"
        raise XrayApiError(401, message, challenge)
    scheme, _, credentials = (request.header("Authorization") or "").strip().partition(" ")
    scheme, credentials = scheme.lower(), credentials.strip()
    if config.flavor == "server" and scheme == "oauth" and config.oauth_consumers:
        _oauth_auth(config, tokens, request, (request.header("Authorization") or "").strip())
    elif config.flavor == "server":
        _server_auth(config, scheme, credentials)
    else:
        _cloud_auth(config, tokens, scheme, credentials)


def check_client(config: Config, client_id: object, client_secret: object) -> None:
    """Raise Cloud's 401 unless the client credentials are known (any, without auth)."""
    if not config.require_auth:
        return
    known = config.clients.get(client_id) if isinstance(client_id, str) else None
    if isinstance(client_secret, str) and _same(client_secret, known):
        return
    if not config.clients:
        hint = f"this Xray emulator accepts no credentials: {how_to_give_credentials('cloud')}"
        raise XrayApiError(401, f"{CLOUD_AUTH_FAILED} ({hint})")
    raise XrayApiError(401, CLOUD_AUTH_FAILED)
