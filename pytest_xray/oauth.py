"""Jira OAuth 1.0a (RSA-SHA1, as Jira application links use it) for Server / Data Center.

Optional: needs the ``oauth`` extra (``pip install pytest-xray[oauth]``: requests-oauthlib with
oauthlib's RSA support, which uses ``cryptography`` and PyJWT). Nothing here is imported unless
``XRAY_OAUTH_*`` variables are set.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from requests.auth import AuthBase

    from pytest_xray.credentials import Credentials

__all__ = ["INSTALL_HINT", "OAuthSetupError", "oauth1_auth", "read_private_key", "require_extra"]

INSTALL_HINT = "pip install 'pytest-xray[oauth]'"


class OAuthSetupError(Exception):
    """The extra is missing or the private key file is unusable; the message says which."""


def require_extra() -> None:
    """Raise :class:`OAuthSetupError` naming the install command unless the extra is there."""
    try:
        import cryptography  # noqa: F401
        import jwt  # noqa: F401  (oauthlib signs RSA-SHA1 through PyJWT)
        import requests_oauthlib  # noqa: F401
    except ImportError as error:
        raise OAuthSetupError(
            f"Jira OAuth needs the oauth extra ({error.name} is not installed): {INSTALL_HINT}"
        ) from None


def read_private_key(path: Path) -> str:
    """The PEM text of the RSA private key in ``path``, or :class:`OAuthSetupError`."""
    require_extra()
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        data = path.read_bytes()
    except OSError as error:
        raise OAuthSetupError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        key = load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, RSAPrivateKey):
        raise OAuthSetupError(
            f"{path} is not an unencrypted PEM RSA private key (the key of the Jira "
            "application link, e.g. from openssl genrsa)."
        )
    return data.decode("ascii")


def oauth1_auth(credentials: Credentials) -> AuthBase:
    """A requests auth object signing every request with RSA-SHA1 in the Authorization header."""
    require_extra()
    from oauthlib.oauth1 import SIGNATURE_RSA, SIGNATURE_TYPE_AUTH_HEADER
    from requests_oauthlib import OAuth1

    # oauthlib and requests-oauthlib log the signed headers and the token at DEBUG level; a run
    # with --log-level=DEBUG must not write them to a log file. Their children inherit this.
    for name in ("oauthlib", "requests_oauthlib"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < logging.INFO:
            logger.setLevel(logging.INFO)
    auth: AuthBase = OAuth1(
        client_key=credentials.oauth_consumer_key,
        rsa_key=credentials.oauth_private_key,
        resource_owner_key=credentials.oauth_token,
        resource_owner_secret=credentials.oauth_token_secret,
        signature_method=SIGNATURE_RSA,
        signature_type=SIGNATURE_TYPE_AUTH_HEADER,
    )
    return auth
