"""Credentials: only from the environment, checked for completeness and conflicts."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pytest_xray.values import usage_error

__all__ = ["Credentials", "credentials_from_env"]


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


_OAUTH_NEEDED = ("XRAY_OAUTH_CONSUMER_KEY", "XRAY_OAUTH_PRIVATE_KEY", "XRAY_OAUTH_TOKEN")
_OAUTH_VARIABLES = (*_OAUTH_NEEDED, "XRAY_OAUTH_TOKEN_SECRET")
_CREDENTIAL_VARIABLES = (
    "XRAY_USER",
    "XRAY_PASSWORD",
    "XRAY_TOKEN",
    "XRAY_CLIENT_ID",
    "XRAY_CLIENT_SECRET",
    *_OAUTH_VARIABLES,
)


def _oauth_key(name: str | None, base: Path) -> str | None:
    """The PEM text of the XRAY_OAUTH_PRIVATE_KEY file ``name``, checked by the oauth extra."""
    if not name:
        return None
    from pytest_xray.oauth import OAuthSetupError, read_private_key, require_extra

    try:
        require_extra()
    except OAuthSetupError as error:
        raise usage_error("credentials", str(error)) from None
    path = Path(os.path.expanduser(name))
    try:
        return read_private_key(path if path.is_absolute() else base / path)
    except OAuthSetupError as error:
        raise usage_error("environment variable XRAY_OAUTH_PRIVATE_KEY", str(error)) from None


def _clean(env: Mapping[str, str], name: str) -> str | None:
    """The value of credential variable ``name`` without surrounding whitespace (a value pasted
    from a file often ends with a newline); a control character left inside is a usage error
    that names the variable, never the value (HTTP headers cannot carry one)."""
    value = (env.get(name) or "").strip()
    # Cc: control characters; Cs: bytes that were not UTF-8 (os.environ keeps them as
    # surrogates, which cannot be encoded into a header).
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in value):
        raise usage_error(
            f"environment variable {name}",
            "contains a control character or bytes that are not UTF-8 (a line break or tab "
            "inside the value?); set it to the credential alone, on one line.",
        )
    return value or None


def _unquoted(token: str | None) -> str | None:
    """XRAY_TOKEN without one pair of surrounding double quotes: Xray Cloud's /authenticate
    answers the token as a JSON string, and a value copied from curl's output keeps them."""
    if token is not None and len(token) >= 2 and token[0] == token[-1] == '"':
        token = token[1:-1].strip()
    return token or None


def credentials_from_env(env: Mapping[str, str], base: Path) -> Credentials:
    """The credentials of the ``XRAY_*`` variables in ``env``, trimmed and checked for
    completeness and conflicts (``base``: where a relative XRAY_OAUTH_PRIVATE_KEY is)."""
    values = {name: _clean(env, name) for name in _CREDENTIAL_VARIABLES}
    values["XRAY_TOKEN"] = _unquoted(values["XRAY_TOKEN"])

    def get(name: str) -> str | None:
        return values[name]

    oauth_set = [name for name in _OAUTH_VARIABLES if get(name)]
    oauth_missing = [name for name in _OAUTH_NEEDED if not get(name)]
    if oauth_set and oauth_missing:
        raise usage_error(
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
        oauth_private_key=_oauth_key(get("XRAY_OAUTH_PRIVATE_KEY"), base) if oauth_set else None,
        oauth_token=get("XRAY_OAUTH_TOKEN"),
        oauth_token_secret=get("XRAY_OAUTH_TOKEN_SECRET"),
    )
    for first, second, a, b in (
        ("XRAY_USER", "XRAY_PASSWORD", creds.user, creds.password),
        ("XRAY_CLIENT_ID", "XRAY_CLIENT_SECRET", creds.client_id, creds.client_secret),
    ):
        if (a is None) != (b is None):
            missing = second if a is not None else first
            raise usage_error(
                "credentials", f"{first} and {second} go together; {missing} is not set."
            )
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
        raise usage_error(
            "credentials", f"{' and '.join(kinds)} are all set; keep only one of them."
        )
    return creds
