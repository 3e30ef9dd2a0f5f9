"""The exceptions of an upload, shared by the client, the retry loop and the uploader.

Every message is one line, names the endpoint or setting, and never holds a secret.
"""

from __future__ import annotations

__all__ = ["AuthError", "TooLargeError", "TransientError", "UncertainError", "XrayError"]


class XrayError(Exception):
    """An upload problem, explained in one line without secrets.

    ``status``: the HTTP status of Xray's answer when Xray refused the request with one (a
    lookup that names a missing key), else ``None``.
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AuthError(XrayError):
    """Xray or Jira refused the credentials."""


class TooLargeError(XrayError):
    """HTTP 413: the request body is more than Xray (or its proxy) accepts."""


class TransientError(XrayError):
    """A failure that may pass: no connection, 429, 502, 503, 504, a timeout, a dropped answer.

    ``reached``: the request may have reached Xray and been processed (a read timeout, a
    connection dropped after the body was sent, 502/504 from a proxy). Such a request is
    repeated only when repeating it is harmless (an import into a known Test Execution).
    ``retry_after``: the ``Retry-After`` header of the answer, as sent.
    """

    def __init__(self, message: str, *, reached: bool, retry_after: str | None = None) -> None:
        super().__init__(message)
        self.reached = reached
        self.retry_after = retry_after


class UncertainError(XrayError):
    """A request that creates a Test Execution failed in a way that it may have succeeded.

    It is not repeated (that could create a second execution): the user checks Jira and
    resends into the execution that was created, or asks for a new one.
    """
