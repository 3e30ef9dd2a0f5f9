"""What CI jobs read after a run: the ``--xray-result-file`` JSON, and in GitHub Actions a job
summary table plus the ``xray-execution-key`` / ``xray-execution-url`` step outputs.

Pure data in, files out, once per run. Nothing here raises for a file problem: the caller gets a
line to show instead. No secret reaches these files: the messages come from the client, which
scrubs them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_xray.check import PREFIX as CHECK_PREFIX
from pytest_xray.publish import PublishResult
from pytest_xray.report import atomic_text
from pytest_xray.settings import Settings

__all__ = ["github_outputs", "github_summary", "outcome_record", "write_ci_files"]


HELD = "not uploaded: the run was interrupted"


def outcome_record(
    result: PublishResult | None,
    settings: Settings | None = None,
    *,
    error: str | None = None,
    warnings: Sequence[str] = (),
    resend: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The result file's content: plain JSON types only. ``resend``: the lines that say how to
    send what did not land, when not those of a pytest run (:meth:`PublishResult.resend_lines`
    with ``settings``)."""
    result = result or PublishResult()
    execution = result.uploaded or result.partial
    report = str(result.report_path) if result.report_path else None
    if resend is None:
        resend = result.resend_lines(settings) if settings is not None else []
    return {
        "execution_key": result.execution_key,
        "url": result.browse_url if execution else None,
        "uploaded": result.uploaded is not None,
        "partial": result.partial is not None,
        "results": result.results,
        "tests": result.tests,
        "statuses": dict(result.statuses.most_common()),
        "unmarked": result.unmarked,
        "not_recorded": [{"test_key": key, "message": message} for key, message in execution.failed]
        if execution
        else [],
        "not_landed": result.not_landed,
        "error": error or result.error or (HELD if result.held else None),
        "report": report,
        "resend": list(resend),
        "warnings": [
            w
            for w in [result.report_error, result.progress_error, *result.warnings, *warnings]
            if w
        ],
    }


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _listed(keys: Sequence[str], most: int = 20) -> str:
    more = f" and {len(keys) - most} more" if len(keys) > most else ""
    return ", ".join(f"**{key}**" for key in keys[:most]) + more


def _code_after_colon(line: str) -> str:
    """``resend it with: COMMAND`` with the command as code."""
    text, sep, command = line.partition(": ")
    return (
        f"{_cell(text)}: `{command}`" if sep and command.startswith("pytest-xray ") else _cell(line)
    )


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _failure_bullets(error: str) -> list[str]:
    """A failure as Markdown bullets, labelled by what failed (the pre-flight check, or the
    upload): one per line of the message, the indented lines (a check's keys) nested."""
    label = "upload"
    if error.startswith(CHECK_PREFIX):
        label, error = "check", error[len(CHECK_PREFIX) :]
    first, *rest = error.splitlines() or [""]
    bullets = [f"- **{label} FAILED**: {_cell(first)}"]
    bullets += [
        f"{'  ' if line[:1].isspace() else ''}- {_cell(line)}" for line in rest if line.strip()
    ]
    return bullets


def github_summary(record: Mapping[str, Any]) -> str:
    """A Markdown section for ``$GITHUB_STEP_SUMMARY``."""
    lines = ["### Xray", ""]
    key, url = record["execution_key"], record["url"]
    counts = f"{_count(record['results'], 'result')} for {_count(record['tests'], 'Xray test')}"
    if key and record["partial"]:
        link = f"[{key}]({url})" if url else f"`{key}`"
        landed = record["tests"] - len(record["not_landed"])
        lines.append(
            f"Test Execution {link}: {landed} of {_count(record['tests'], 'Xray test')} landed; "
            f"upload FAILED ({counts})."
        )
    elif key:
        link = f"[{key}]({url})" if url else f"`{key}`"
        lines.append(f"Test Execution {link}: {counts}.")
    elif record["tests"]:
        where = f" (report: `{record['report']}`)" if record["report"] else ""
        lines.append(f"{counts}, not uploaded{where}.")
    elif not record["error"]:
        lines.append("No test with an Xray key ran; nothing was reported.")
    if record["statuses"]:
        lines += ["", "| Xray status | Tests |", "|---|---:|"]
        lines += [f"| {_cell(status)} | {n} |" for status, n in record["statuses"].items()]
    notes = [
        f"not recorded by Xray: **{_cell(item['test_key'])}**: {_cell(item['message'])}"
        for item in record["not_recorded"]
    ]
    refused = {item["test_key"] for item in record["not_recorded"]}
    unsent = [key for key in record["not_landed"] if key not in refused]
    if unsent:
        notes.append(f"not sent: {_cell(_listed(unsent))}")
    bullets = [f"- {note}" for note in notes]
    if record["error"]:
        bullets += _failure_bullets(record["error"])
    bullets += [f"- {_code_after_colon(line)}" for line in record["resend"]]
    bullets += [f"- {_cell(w)}" for w in record["warnings"]]
    if bullets:
        if lines[-1]:
            lines.append("")
        lines += bullets
    return "\n".join(lines) + "\n\n"


def github_outputs(record: Mapping[str, Any]) -> str:
    """``name=value`` lines for ``$GITHUB_OUTPUT``: the execution's key and link, when known."""
    outputs = {"xray-execution-key": record["execution_key"], "xray-execution-url": record["url"]}
    return "".join(
        f"{name}={value}\n" for name, value in outputs.items() if value and "\n" not in value
    )


def _write_json(path: Path, record: Mapping[str, Any]) -> str | None:
    """Write atomically, so a CI step never reads half a file."""
    try:
        with atomic_text(path) as handle:
            json.dump(record, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
    except OSError as error:
        return f"cannot write the result file {path}: {error.strerror or error}"
    return None


def _append(path: str, text: str, what: str) -> str | None:
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        return f"cannot write the GitHub {what} {path}: {error.strerror or error}"
    return None


def write_ci_files(
    record: Mapping[str, Any], result_file: Path | None, env: Mapping[str, str] | None = None
) -> list[str]:
    """Write the result file (when asked) and the GitHub Actions summary and outputs (when
    their variables are set); returns one line per file that could not be written."""
    env = os.environ if env is None else env
    problems = []
    if result_file is not None:
        problems.append(_write_json(result_file, record) or "")
    summary, outputs = env.get("GITHUB_STEP_SUMMARY"), env.get("GITHUB_OUTPUT")
    if summary:
        problems.append(_append(summary, github_summary(record), "job summary") or "")
    if outputs:
        problems.append(_append(outputs, github_outputs(record), "step outputs") or "")
    return [p for p in problems if p]
