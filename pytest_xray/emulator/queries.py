"""Read-only lookups a client makes before importing: which keys exist and are Tests.

Server: ``GET /rest/raven/{v}/api/test?keys=A;B``. Cloud: ``POST /api/v2/graphql`` with the
``getTests(jql: "key in (A,B)", limit: N)`` query, answered minimally. Keys that exist but are
not Tests (``non_tests``) are left out of both answers, as a Test search would leave them out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from .checks import parse_json
from .model import Incoming, Reply, XrayApiError
from .state import Store

__all__ = ["graphql", "keys_in_jql", "server_tests"]

_GET_TESTS = re.compile(r"\bgetTests\s*\(")
_JQL_INLINE = re.compile(r'\bjql\s*:\s*"((?:[^"\\]|\\.)*)"')
_JQL_VARIABLE = re.compile(r"\bjql\s*:\s*\$(\w+)")
_LIMIT_INLINE = re.compile(r"\blimit\s*:\s*(\d+)")
_LIMIT_VARIABLE = re.compile(r"\blimit\s*:\s*\$(\w+)")
_KEY_IN = re.compile(r"\bkey\s+in\s*\(([^)]*)\)", re.IGNORECASE)
_KEY_EQUALS = re.compile(r"\bkey\s*=\s*[\"']?([A-Za-z][A-Za-z0-9_]*-\d+)", re.IGNORECASE)
MAX_GRAPHQL_LIMIT = 100


def keys_in_jql(jql: str) -> list[str]:
    """The issue keys of ``key in (A, B)`` / ``key = A`` clauses, upper case, in order."""
    keys: list[str] = []
    for match in _KEY_IN.finditer(jql):
        keys.extend(part.strip().strip("\"'").upper() for part in match.group(1).split(","))
    keys.extend(match.group(1).upper() for match in _KEY_EQUALS.finditer(jql))
    return [key for key in dict.fromkeys(keys) if key]


def server_tests(store: Store, request: Incoming, base_url: Callable[[], str]) -> Reply:
    """``GET /rest/raven/{v}/api/test?keys=A;B``: the keys that exist and are Tests."""
    raw = request.query.get("keys")
    if not raw:
        raise XrayApiError(400, "The 'keys' query parameter is required (keys=A-1;A-2)")
    keys = [key.strip() for key in re.split(r"[;,]", raw) if key.strip()]
    found = []
    for key in dict.fromkeys(keys):
        if store.test_state(key) == "test":
            issue_id = store.issue_id(key)
            found.append(
                {
                    "key": key,
                    "id": issue_id,
                    "self": f"{base_url()}/rest/api/2/issue/{issue_id}",
                    "type": store.test_type(key),
                }
            )
    return Reply.json(200, found)


def _graphql_error(message: str) -> Reply:
    return Reply.json(200, {"errors": [{"message": message}], "data": None})


def _argument(
    query: str, variables: dict[str, Any], inline: re.Pattern[str], variable: re.Pattern[str]
) -> Any:
    match = inline.search(query)
    if match is not None:
        return match.group(1)
    match = variable.search(query)
    if match is not None:
        return variables.get(match.group(1))
    return None


def graphql(store: Store, request: Incoming) -> Reply:
    """``POST /api/v2/graphql``: only ``getTests`` by key is understood."""
    body = parse_json(request.body, "the GraphQL request")
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        raise XrayApiError(400, 'a GraphQL request is {"query": "...", "variables": {...}}')
    query: str = body["query"]
    variables = body.get("variables") or {}
    if not isinstance(variables, dict):
        raise XrayApiError(400, "GraphQL variables must be a JSON object")
    if _GET_TESTS.search(query) is None:
        return _graphql_error("The Xray emulator answers only the getTests query")
    jql = _argument(query, variables, _JQL_INLINE, _JQL_VARIABLE)
    if not isinstance(jql, str):
        jql = next((v for v in variables.values() if isinstance(v, str) and "key" in v.lower()), "")
    else:
        jql = json.loads(f'"{jql}"') if "\\" in jql else jql
    limit_value = _argument(query, variables, _LIMIT_INLINE, _LIMIT_VARIABLE)
    try:
        limit = int(limit_value) if limit_value is not None else MAX_GRAPHQL_LIMIT
    except (TypeError, ValueError):
        return _graphql_error(f"limit must be an integer, got {limit_value!r}")
    if not 1 <= limit <= MAX_GRAPHQL_LIMIT:
        return _graphql_error(f"limit must be between 1 and {MAX_GRAPHQL_LIMIT}, got {limit}")
    tests = [key for key in keys_in_jql(jql) if store.test_state(key) == "test"]
    results = [
        {
            "issueId": store.issue_id(key),
            "jira": {"key": key, "issuetype": {"name": "Test"}},
            "testType": {"name": store.test_type(key)},
        }
        for key in tests[:limit]
    ]
    page = {"total": len(tests), "start": 0, "limit": limit, "results": results}
    return Reply.json(200, {"data": {"getTests": page}})
