"""The import endpoints: Xray JSON, multipart, JUnit and JUnit multipart, for both flavors.

Each endpoint turns its request into an :class:`ImportJob` (which execution, which project,
which runs); :meth:`Importer.run` then applies the job to the store under its lock and
answers in the flavor's shape. Every check happens before anything is created, so a refused
import leaves no trace except the recorded request.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .checks import is_base64, parse_json, validate_result
from .junit import JUnitCase, JUnitError, parse_junit
from .model import Config, Incoming, Reply, XrayApiError
from .multipart import MultipartError, Part, parse_multipart
from .state import Store, is_issue_key, project_of

__all__ = ["Entry", "ImportJob", "Importer", "form_part_list", "form_parts"]

PROJECT_REQUIRED = "Error assembling issue data: project is required"
SUMMARY_REQUIRED = (
    "Error creating Test Execution: summary: You must specify a summary of the issue."
)
_CLOUD_XRAY_FIELDS = frozenset({"testPlanKey", "environments"})
_JIRA_SYSTEM_FIELDS = frozenset(
    {
        "project", "issuetype", "summary", "description", "fixVersions", "versions",
        "components", "labels", "priority", "assignee", "reporter", "environment", "duedate",
        "timetracking", "security", "parent", "issuelinks",
    }
)  # fmt: skip
"""The Jira system fields a create-issue request may set; other fields are ``customfield_N``."""
_CUSTOM_FIELD = re.compile(r"customfield_[0-9]+")


@dataclass
class Entry:
    """One Test Run of an import, before its test key is resolved."""

    where: str
    test_key: str | None
    test_info: dict[str, Any] | None
    run: dict[str, Any]


@dataclass
class ImportJob:
    """What one import asks for."""

    exec_key: str | None
    project: str | None
    summary: str | None
    summary_required: bool
    info: dict[str, Any]
    entries: list[Entry]
    info_messages: list[str] = field(default_factory=list)


def _media_type(request: Incoming, accepted: tuple[str, ...], hint: str) -> None:
    if request.media_type not in accepted:
        got = request.media_type or "no Content-Type"
        raise XrayApiError(415, f"Unsupported Media Type: {got}; {hint}")


def form_part_list(request: Incoming) -> list[Part]:
    """Every part of a multipart/form-data request, in order (415/400 when it is not one)."""
    _media_type(request, ("multipart/form-data",), "this endpoint takes multipart/form-data")
    try:
        return parse_multipart(request.header("Content-Type") or "", request.body)
    except MultipartError as exc:
        raise XrayApiError(400, f"Malformed multipart body: {exc}") from exc


def form_parts(request: Incoming) -> dict[str, Part]:
    """The parts of a multipart/form-data request by name (the first part of each name)."""
    found: dict[str, Part] = {}
    for part in form_part_list(request):
        found.setdefault(part.name, part)
    return found


def _required_part(parts: dict[str, Part], name: str, other: str | None = None) -> Part:
    part = parts.get(name)
    if part is not None:
        return part
    hint = ""
    if other is not None and other in parts:
        hint = f" (got a part named '{other}'; this endpoint names it '{name}')"
    raise XrayApiError(400, f"Missing multipart part '{name}'{hint}")


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    value = parse_json(data, what)
    if not isinstance(value, dict):
        raise XrayApiError(400, f"{what} must be a JSON object")
    return value


def _info(payload: dict[str, Any]) -> dict[str, Any]:
    info = payload.get("info", {})
    return info if isinstance(info, dict) else {}


def _entries(payload: dict[str, Any]) -> list[Entry]:
    entries = []
    for index, test in enumerate(payload["tests"]):
        if not isinstance(test, dict):
            continue
        key = test.get("testKey")
        info = test.get("testInfo")
        entries.append(
            Entry(
                f"tests[{index}]",
                key if isinstance(key, str) else None,
                info if isinstance(info, dict) else None,
                test,
            )
        )
    return entries


def _parse_issue_fields(info_part: dict[str, Any], flavor: str) -> tuple[str | None, str | None]:
    """Check the multipart ``info`` (Jira create-issue JSON); return project and summary."""
    fields = info_part.get("fields")
    if not isinstance(fields, dict):
        raise XrayApiError(
            400,
            'info: expected Jira create-issue JSON: {"fields": {"project": {"key": "..."}, '
            '"summary": "...", "issuetype": {"name": "Test Execution"}}}',
        )
    unknown = [
        name
        for name in fields
        if name not in _JIRA_SYSTEM_FIELDS and not _CUSTOM_FIELD.fullmatch(str(name))
    ]
    if unknown:  # what Jira answers the create-issue request Xray makes
        raise XrayApiError(
            400,
            "Error creating Test Execution: "
            + "; ".join(
                f"{name}: Field '{name}' cannot be set. It is not on the appropriate screen, "
                "or unknown."
                for name in unknown
            ),
        )
    project = fields.get("project")
    project_ok = isinstance(project, dict) and isinstance(project.get("key"), str)
    if project is not None and not project_ok:
        raise XrayApiError(400, f'{PROJECT_REQUIRED}: give it as {{"key": "CALC"}}')
    issue_type = fields.get("issuetype")
    if issue_type is None and flavor == "server":
        raise XrayApiError(400, "Error assembling issue data: issuetype: issue type is required")
    if issue_type is not None:
        name = issue_type.get("name") if isinstance(issue_type, dict) else None
        has_id = isinstance(issue_type, dict) and "id" in issue_type
        if name != "Test Execution" and not (name is None and has_id):
            raise XrayApiError(
                400, f"issuetype: {issue_type!r} is not the Test Execution issue type"
            )
    if flavor == "cloud":
        _check_xray_fields(info_part.get("xrayFields"))
    summary = fields.get("summary")
    return (
        project["key"] if isinstance(project, dict) else None,
        summary if isinstance(summary, str) else None,
    )


def _check_xray_fields(xray_fields: Any) -> None:
    if xray_fields is None:
        return
    if not isinstance(xray_fields, dict):
        raise XrayApiError(400, "xrayFields must be a JSON object")
    unknown = sorted(set(xray_fields) - _CLOUD_XRAY_FIELDS)
    if unknown:
        raise XrayApiError(
            400,
            f"xrayFields: unknown field(s) {', '.join(unknown)} "
            f"(Xray Cloud knows: {', '.join(sorted(_CLOUD_XRAY_FIELDS))})",
        )
    environments = xray_fields.get("environments", [])
    if not isinstance(environments, list) or not all(isinstance(e, str) for e in environments):
        raise XrayApiError(400, "xrayFields.environments must be a list of names")
    if not isinstance(xray_fields.get("testPlanKey", ""), str):
        raise XrayApiError(400, "xrayFields.testPlanKey must be an issue key")


_OUTCOME_RANK = {"failed": 2, "skipped": 1, "passed": 0}


class Importer:
    """Runs the import endpoints of one emulator."""

    def __init__(self, config: Config, store: Store, base_url: Callable[[], str]):
        self.config = config
        self.store = store
        self.base_url = base_url

    # -- the endpoints -------------------------------------------------------------------

    def json_import(self, request: Incoming, version: str) -> Reply:
        """``POST .../import/execution``: an Xray JSON body."""
        _media_type(request, ("application/json",), "send Content-Type: application/json")
        payload = self._payload(request.body, version, "the body")
        info = _info(payload)
        exec_key = payload.get("testExecutionKey")
        if exec_key is not None and not isinstance(exec_key, str):
            raise XrayApiError(400, "testExecutionKey must be an issue key")
        project = info.get("project")
        if exec_key is not None and not project:
            project = project_of(exec_key) if is_issue_key(exec_key) else None
        job = ImportJob(
            exec_key=exec_key,
            project=project,
            summary=info.get("summary"),
            # Server makes up a summary; Cloud refuses to create an execution without one.
            summary_required=self.config.flavor == "cloud",
            info=info,
            entries=_entries(payload),
        )
        return self.run(job)

    def multipart_import(self, request: Incoming, version: str) -> Reply:
        """``POST .../import/execution/multipart``: parts result(s) and info."""
        parts = form_parts(request)
        name, other = self._result_part_names()
        payload = self._payload(_required_part(parts, name, other).data, version, f"part '{name}'")
        info_part = _json_object(_required_part(parts, "info").data, "part 'info'")
        project, summary = _parse_issue_fields(info_part, self.config.flavor)
        job = ImportJob(
            exec_key=None,
            project=project,
            summary=summary,
            summary_required=True,
            info={**_info(payload), "issue_fields": info_part},
            entries=_entries(payload),
        )
        if "testExecutionKey" in payload:
            job.info_messages.append(
                "testExecutionKey is ignored by multipart imports: a new execution was created"
            )
        return self.run(job)

    def junit_import(self, request: Incoming, version: str) -> Reply:
        """``POST .../import/execution/junit``: Server multipart ``file``, Cloud raw XML."""
        if self.config.flavor == "server":
            xml = _required_part(form_parts(request), "file").data
        else:
            _media_type(
                request,
                ("application/xml", "text/xml"),
                "Xray Cloud takes the JUnit XML itself as the body (Content-Type: application/xml)",
            )
            xml = request.body
        query = request.query
        exec_key = query.get("testExecKey") or None
        if exec_key is not None and not is_issue_key(exec_key):
            raise XrayApiError(400, f"testExecKey '{exec_key}' is not a valid issue key")
        project = query.get("projectKey") or (project_of(exec_key) if exec_key else None)
        info: dict[str, Any] = {"project": project} if project else {}
        environments = [
            e.strip() for e in query.get("testEnvironments", "").split(";") if e.strip()
        ]
        if environments:
            info["testEnvironments"] = environments
        for param, name in (
            ("testPlanKey", "testPlanKey"),
            ("revision", "revision"),
            ("fixVersion", "version"),
        ):
            if query.get(param):
                info[name] = query[param]
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        job = ImportJob(exec_key, project, f"Execution results [{now}]", False, info, [])
        job.entries = self._junit_entries(xml, project or "")
        return self.run(job)

    def junit_multipart_import(self, request: Incoming, version: str) -> Reply:
        """``POST .../import/execution/junit/multipart``: parts file/results, info, testInfo."""
        parts = form_parts(request)
        name, other = ("file", "results") if self.config.flavor == "server" else ("results", "file")
        xml = _required_part(parts, name, other).data
        info_part = _json_object(_required_part(parts, "info").data, "part 'info'")
        project, summary = _parse_issue_fields(info_part, self.config.flavor)
        info: dict[str, Any] = {"issue_fields": info_part}
        if "testInfo" in parts:
            info["test_info"] = _json_object(parts["testInfo"].data, "part 'testInfo'")
        job = ImportJob(None, project, summary, True, info, [])
        job.entries = self._junit_entries(xml, project or "")
        return self.run(job)

    # -- helpers ---------------------------------------------------------------------------

    def _result_part_names(self) -> tuple[str, str]:
        return ("result", "results") if self.config.flavor == "server" else ("results", "result")

    def _payload(self, data: bytes, version: str, what: str) -> dict[str, Any]:
        payload = parse_json(data, what)
        validate_result(
            payload,
            self.config.flavor,
            version,
            self.config.statuses,
            use_schema=self.config.validate_schema,
        )
        assert isinstance(payload, dict)  # validate_result refuses anything else
        return payload

    def _junit_entries(self, xml: bytes, project: str) -> list[Entry]:
        try:
            cases = parse_junit(xml)
        except JUnitError as exc:
            raise XrayApiError(400, f"Error parsing the JUnit report: {exc}") from exc
        groups: dict[str, tuple[Entry, list[JUnitCase]]] = {}
        for case in cases:
            key = case.properties.get("test_key") or None
            identity = key or f"definition:{case.definition}"
            if identity not in groups:
                test_info = None if key else self._junit_test_info(case, project)
                groups[identity] = (Entry(f"testcase {case.definition}", key, test_info, {}), [])
            groups[identity][1].append(case)
        entries = []
        for entry, group in groups.values():
            entry.run = self._junit_run(entry.where, group)
            entries.append(entry)
        return entries

    def _junit_test_info(self, case: JUnitCase, project: str) -> dict[str, Any]:
        type_field = "testType" if self.config.flavor == "server" else "type"
        return {
            "projectKey": project,
            "summary": case.properties.get("test_summary") or case.name,
            type_field: "Generic",
            "definition": case.definition,
        }

    def _junit_run(self, where: str, cases: list[JUnitCase]) -> dict[str, Any]:
        """One Test Run from the testcases linked to one test: the worst outcome wins."""
        worst = max((case.outcome for case in cases), key=_OUTCOME_RANK.__getitem__)
        server = self.config.flavor == "server"
        status = {
            "failed": "FAIL" if server else "FAILED",
            "skipped": "TODO",
            "passed": "PASS" if server else "PASSED",
        }[worst]
        run: dict[str, Any] = {"status": status}
        comments = [c.properties.get("testrun_comment") or c.message for c in cases]
        comment = "\n\n".join(text for text in comments if text)
        if comment:
            run["comment"] = comment
        evidence = [item for case in cases for item in case.evidence]
        for item in evidence:
            if not is_base64(item["data"]):
                raise XrayApiError(
                    400, f"{where}: testrun_evidence item '{item['filename']}' is not valid base64"
                )
        if evidence:
            run["evidence"] = evidence
        run["junit_cases"] = [
            {"classname": c.classname, "name": c.name, "time": c.time, "outcome": c.outcome}
            for c in cases
        ]
        return run

    # -- applying a job --------------------------------------------------------------------

    def run(self, job: ImportJob) -> Reply:
        """Check the job against what the store knows, then record it; answer per flavor."""
        cloud = self.config.flavor == "cloud"
        store = self.store
        with store.lock:
            if job.exec_key is None:
                if not job.project:
                    raise XrayApiError(400, PROJECT_REQUIRED)
                if job.summary_required and not job.summary:
                    raise XrayApiError(400, SUMMARY_REQUIRED)
            elif not is_issue_key(job.exec_key):
                raise XrayApiError(
                    400, f"testExecutionKey '{job.exec_key}' is not a valid issue key"
                )
            else:
                store.mention(job.exec_key)
                self._check_execution(job.exec_key, job.entries)
            errors: dict[str, str] = {}
            for entry in job.entries:
                key = entry.test_key
                if key is None or key in errors:
                    continue
                store.mention(key)
                state = store.test_state(key)
                if state == "missing":
                    errors[key] = f"Test issue with key {key} not found."
                elif state == "not_test":
                    errors[key] = f"The issue {key} is not a Test."
            if errors and cloud:
                raise XrayApiError(400, "Error importing results: " + " ".join(errors.values()))
            runs: list[tuple[str, dict[str, Any]]] = []
            for entry in job.entries:
                if entry.test_key is not None:
                    if entry.test_key in errors:
                        continue
                    key = entry.test_key
                    if entry.test_info is not None:
                        store.update_test(key, entry.test_info)
                else:
                    key = store.find_or_create_test(entry.test_info or {}, job.project or "")
                runs.append((key, entry.run))
            execution = store.open_execution(job.exec_key, job.project or "", job.info)
            store.record_runs(execution, runs)
            return self._reply(execution.key, execution.id, runs, errors, job.info_messages)

    def _check_execution(self, key: str, entries: list[Entry]) -> None:
        """Refuse an import into a key that is not a Test Execution, as Xray does (400)."""
        state = self.store.execution_state(key)
        if state == "new" and any(entry.test_key == key for entry in entries):
            state = "not_execution"  # the same key as a Test of this very import
        if state == "missing":
            message = f"Test Execution with key {key} not found."
        elif state == "not_execution":
            message = f"The issue {key} is not a Test Execution."
        else:
            return
        if self.config.flavor == "cloud":
            message = f"Error importing results: {message}"
        raise XrayApiError(400, message)

    def _issue(self, key: str, issue_id: str) -> dict[str, str]:
        link = f"{self.base_url()}/rest/api/2/issue/{issue_id}"
        return {"id": issue_id, "key": key, "self": link}

    def _reply(
        self,
        key: str,
        issue_id: str,
        runs: list[tuple[str, dict[str, Any]]],
        errors: dict[str, str],
        info_messages: list[str],
    ) -> Reply:
        if self.config.flavor == "cloud":
            return Reply.json(200, self._issue(key, issue_id))
        tests = list(dict.fromkeys(test_key for test_key, _ in runs))
        return Reply.json(
            200,
            {
                "testExecIssue": self._issue(key, issue_id),
                "testIssues": {
                    "success": [self._issue(k, self.store.issue_id(k)) for k in tests],
                    "error": [{"testKey": k, "messages": [m]} for k, m in errors.items()],
                },
                "infoMessages": list(info_messages),
            },
        )
