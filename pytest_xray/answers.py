"""Reading Xray's answers: the import result, the Test lookups, the text of an error answer.

Pure functions of decoded JSON, lenient about shapes (Server and Cloud, and versions of each,
name the same things differently) and strict only about what the plugin cannot do without.
Nothing here needs requests: the hooks' :class:`ImportResult` type costs nothing to import.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_xray.errors import XrayError
from pytest_xray.markers import ISSUE_KEY
from pytest_xray.scrub import scrub

if TYPE_CHECKING:
    import requests

__all__ = [
    "TEXT_LIMIT",
    "ImportResult",
    "UnreadableAnswerError",
    "error_text",
    "json_or_none",
    "parse_graphql_tests",
    "parse_import",
    "parse_tests",
    "shown_text",
]


@dataclass
class ImportResult:
    """What Xray answered to an import."""

    key: str
    id: str = ""
    self_url: str = ""
    failed: list[tuple[str, str]] = field(default_factory=list)
    """``(test key, messages)`` of results Xray did not record (Server ``testIssues.error``)."""
    info_messages: list[str] = field(default_factory=list)


class UnreadableAnswerError(XrayError):
    """Xray answered a request with success (2xx), but with something the plugin cannot read
    (no body, not JSON, an import answer without the execution's key): the request may well
    have done its work."""


TEXT_LIMIT = 500
"""Characters of one text from Xray's answer shown at most (an error can be 100 KB long)."""

_ESCAPE = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]?|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[ -/]*[0-~]?)"
    r"|\x9b[0-?]*[ -/]*[@-~]?"
)
"""Terminal escape sequences: CSI (colours, cursor moves, clearing), OSC (titles, links), others."""

_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
"""Control characters that ``str.split`` does not take for whitespace."""

_JOINERS = frozenset("\u200c\u200d")
"""Format characters that belong to the text (emoji, Indic and Persian scripts)."""


def shown_text(text: str, secrets: tuple[str, ...] = (), limit: int = TEXT_LIMIT) -> str:
    """A text taken from Xray's answer as it may be shown to the user (terminal, result file,
    GitHub summary): without ``secrets`` (an answer may echo the request's credentials), on
    one line (runs of whitespace, line breaks too, become one space), without terminal escape
    sequences or control and format characters (which could forge or hide lines, such as a
    fake ``xray: uploaded to Test Execution``), and cut to ``limit`` characters with ``…``.
    Printable Unicode is kept."""
    text = scrub(text, secrets)  # first, on the whole text: the cuts below keep no secret
    text = " ".join(_CONTROL.sub("", _ESCAPE.sub("", text)).split())
    cut = len(text) > 4 * limit
    if cut:  # the rest costs time per character
        text = text[: 4 * limit]
    if not text.isascii():
        text = "".join(
            char
            for char in text
            if char.isascii()
            or char in _JOINERS
            or unicodedata.category(char) not in ("Cc", "Cf", "Cs")
            or char.isspace()
        )
    text = scrub(" ".join(text.split()), secrets)  # a secret split by what was taken out
    if len(text) > limit:
        return text[: limit - 1].rstrip() + "…"
    return f"{text}…" if cut else text


def parse_import(
    data: Any, *, cloud: bool, url: str = "Xray", secrets: tuple[str, ...] = ()
) -> ImportResult:
    """Read the Server (``testExecIssue`` …) or Cloud (``key`` …) answer to an import at
    ``url``; :class:`UnreadableAnswerError` when it names no Test Execution.

    Only the execution's key is required. ``testIssues.error`` and ``infoMessages`` are read
    in whatever shape they come (lists, single strings, dicts with other field names), so
    that an unusual answer still lists every test Xray did not record. Every text taken from
    the answer is made fit to show (:func:`shown_text`, without ``secrets``).
    """
    if data is None:
        raise UnreadableAnswerError(f"{url} answered without a body, naming no Test Execution")
    if not isinstance(data, dict):
        raise UnreadableAnswerError(
            f"{url} answered {_json_kind(data)} instead of the import's result, naming no Test "
            f"Execution: {shown_text(_json_text(data), secrets, 200)}"
        )
    issue = data.get("testExecIssue", data) if not cloud else data
    if isinstance(issue, str) and ISSUE_KEY.fullmatch(issue.strip()):
        issue = {"key": issue.strip()}
    if not isinstance(issue, dict) or not issue.get("key"):
        raise UnreadableAnswerError(
            f"{url} answered without the key of a Test Execution: "
            f"{shown_text(_json_text(data), secrets, 200)}"
        )

    def shown(value: Any) -> str:
        return shown_text(str(value), secrets)

    result = ImportResult(
        key=shown(issue["key"]),
        id=shown(issue.get("id", "")),
        self_url=shown(issue.get("self", "")),
    )
    test_issues = data.get("testIssues")
    if isinstance(test_issues, dict):
        failed = [_failed_test(error) for error in _as_list(test_issues.get("error"))]
        result.failed = [(shown(key), shown(message)) for key, message in failed]
    messages = map(_message_text, _as_list(data.get("infoMessages")))
    result.info_messages = [shown(text) for text in messages if text]
    return result


def parse_tests(data: Any, url: str, secrets: tuple[str, ...] = ()) -> set[str]:
    """The keys of the Tests in Server / DC's answer to ``GET api/test`` at ``url``."""
    if not isinstance(data, list):
        start = shown_text(_json_text(data), secrets, 200)
        raise XrayError(f"{url} answered {_json_kind(data)} instead of a list of Tests: {start}")
    return {str(test["key"]) for test in data if isinstance(test, dict) and test.get("key")}


def parse_graphql_tests(data: Any, url: str, secrets: tuple[str, ...]) -> set[str]:
    """The keys of the Tests in Xray Cloud's answer to the GraphQL ``getTests`` query at
    ``url``. GraphQL ``errors`` (Xray refusing the query) are an :class:`XrayError` whose
    ``status`` is 200, without ``secrets``."""
    if not isinstance(data, dict):
        start = shown_text(_json_text(data), secrets, 200)
        raise XrayError(f"{url} answered {_json_kind(data)} instead of a GraphQL result: {start}")
    if data.get("errors"):
        messages = "; ".join(
            str(error.get("message", error)) if isinstance(error, dict) else str(error)
            for error in _as_list(data["errors"])
        )
        raise XrayError(f"{url} refused the query: {shown_text(messages, secrets)}", status=200)
    found: set[str] = set()
    page = data.get("data")
    page = page.get("getTests") if isinstance(page, dict) else None
    results = page.get("results") if isinstance(page, dict) else None
    for test in results if isinstance(results, list) else ():
        jira = test.get("jira") if isinstance(test, dict) else None
        if isinstance(jira, dict) and jira.get("key"):
            found.add(str(jira["key"]))
    return found


def json_or_none(response: requests.Response) -> Any:
    """The decoded JSON of ``response``, ``None`` when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        return None


def error_text(data: Any, text: str, secrets: tuple[str, ...] = ()) -> str:
    """Xray's ``{"error": "…"}`` (as :func:`shown_text` shows it, without ``secrets``), else
    the start of the body."""
    if isinstance(data, dict):
        for name in ("error", "message", "errorMessages"):
            if data.get(name):
                value = data[name]
                message = "; ".join(map(str, value)) if isinstance(value, list) else str(value)
                return shown_text(message, secrets)
    return shown_text(text.strip(), secrets, 300) or "(empty answer)"


def _json_kind(value: Any) -> str:
    """``a JSON list`` and the like: what an answer is, for a message."""
    if isinstance(value, dict):
        return "a JSON object"
    if isinstance(value, list):
        return "a JSON list"
    if isinstance(value, str):
        return "a JSON string"
    if isinstance(value, bool):
        return "a JSON boolean"
    if isinstance(value, (int, float)):
        return "a JSON number"
    return "JSON of another kind"


def _json_text(value: Any) -> str:
    """A decoded answer as JSON again, for a message."""
    return json.dumps(value, ensure_ascii=False, default=str)


def _as_list(value: Any) -> list[Any]:
    """``value`` as a list of items: a list as is, nothing as none, anything else as one."""
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


_MESSAGE_FIELDS = ("messages", "message", "error", "errors", "errorMessages", "reason")
_KEY_FIELDS = ("testKey", "key", "issueKey")
_NOT_MESSAGE = frozenset((*_KEY_FIELDS, "id", "self"))


def _message_text(value: Any) -> str:
    """One readable line from a message that may be a string, a list or a dict."""
    if isinstance(value, dict):
        for name in _MESSAGE_FIELDS:
            if value.get(name):
                return _message_text(value[name])
        return _json_text(value)
    if isinstance(value, (list, tuple)):
        return "; ".join(text for text in map(_message_text, value) if text)
    return "" if value is None else str(value).strip()


def _failed_test(error: Any) -> tuple[str, str]:
    """``(test key, message)`` of one ``testIssues.error`` item: Xray's
    ``{"testKey", "messages"}``, a dict with other names, or a plain string. Without a key
    field, the first issue key in the message names the test."""
    key = ""
    if isinstance(error, dict):
        key = next((str(error[name]) for name in _KEY_FIELDS if error.get(name)), "")
        rest = {name: value for name, value in error.items() if name not in _NOT_MESSAGE}
        message = _message_text(rest) if rest else ""
    else:
        message = _message_text(error)
    if not key:
        found = ISSUE_KEY.search(message)
        key = found.group(0) if found else "?"
    return key, message or "(no message)"
