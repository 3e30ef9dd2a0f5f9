"""The human page at ``GET /``: executions, their runs, and the latest requests.

Everything shown is escaped; no header and no body is shown, so no secret can leak here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from .model import Execution, RecordedRequest

__all__ = ["render_page"]

_STYLE = (
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}"
    "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}"
    ".PASS,.PASSED{color:#060}.FAIL,.FAILED{color:#a00}"
)
_LAST_REQUESTS = 50


def _runs_table(execution: Execution) -> str:
    rows = []
    for test_key, run in sorted(execution.runs.items()):
        status = str(run.get("status", ""))
        iterations = run.get("iterations")
        count = len(iterations) if isinstance(iterations, list) else 0
        evidence = run.get("evidence", run.get("evidences"))
        files = len(evidence) if isinstance(evidence, list) else 0
        rows.append(
            f"<tr><td>{escape(test_key)}</td><td class='{escape(status)}'>{escape(status)}</td>"
            f"<td>{count}</td><td>{files}</td></tr>"
        )
    return (
        "<table><tr><th>Test</th><th>Status</th><th>Iterations</th><th>Evidence</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def render_page(
    flavor: str,
    url: str,
    executions: Mapping[str, Execution],
    requests: Sequence[RecordedRequest],
) -> str:
    """The whole HTML page."""
    product = "Server / Data Center" if flavor == "server" else "Cloud"
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Xray {escape(product)} emulator</title><style>{_STYLE}</style></head><body>",
        f"<h1>Xray {escape(product)} emulator</h1><p>Base URL: <code>{escape(url)}</code></p>",
        f"<h2>Test Executions ({len(executions)})</h2>",
    ]
    if not executions:
        parts.append("<p>No execution imported yet.</p>")
    for execution in executions.values():
        summary = execution.info.get("summary", "")
        parts.append(
            f"<h3>{escape(execution.key)} <small>{escape(str(summary))} "
            f"({execution.imports} import(s))</small></h3>"
        )
        parts.append(_runs_table(execution))
    parts.append(f"<h2>Latest requests ({len(requests)} in all)</h2><table>")
    parts.append("<tr><th>Method</th><th>Path</th><th>Status</th><th>Fault</th></tr>")
    for request in list(requests)[-_LAST_REQUESTS:]:
        parts.append(
            f"<tr><td>{escape(request.method)}</td><td>{escape(request.path)}</td>"
            f"<td>{request.status}</td><td>{escape(request.fault or '')}</td></tr>"
        )
    parts.append("</table></body></html>")
    return "\n".join(parts)
