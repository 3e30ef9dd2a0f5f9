"""Placeholders in the Test Execution summary: ``{date}``, ``{time}``, ``{host}``, ``{branch}``,
``{python}``, ``{pytest}``. Resolved once, when the settings are resolved (the start of the run).
"""

from __future__ import annotations

import platform
import subprocess
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from string import Formatter

import pytest

__all__ = [
    "BRANCH_VARIABLES",
    "PLACEHOLDERS",
    "SUMMARY_LIMIT",
    "TemplateError",
    "current_branch",
    "fit_summary",
    "one_line",
    "render_summary",
]

PLACEHOLDERS = ("date", "time", "host", "branch", "python", "pytest")
BRANCH_VARIABLES = (
    "GITHUB_HEAD_REF",  # GitHub Actions, pull requests (the source branch)
    "GITHUB_REF_NAME",  # GitHub Actions
    "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",  # GitLab CI, merge request pipelines
    "CI_COMMIT_REF_NAME",  # GitLab CI
    "CHANGE_BRANCH",  # Jenkins multibranch, pull requests (BRANCH_NAME is then "PR-12")
    "BRANCH_NAME",  # Jenkins multibranch pipelines
    "GIT_BRANCH",  # Jenkins git plugin ("origin/main")
    "BITBUCKET_BRANCH",  # Bitbucket Pipelines
    "SYSTEM_PULLREQUEST_SOURCEBRANCH",  # Azure Pipelines, pull requests ("refs/heads/x")
    "BUILD_SOURCEBRANCH",  # Azure Pipelines ("refs/heads/feature/x")
    "BUILD_SOURCEBRANCHNAME",  # Azure Pipelines (only the last segment: "x")
    "CIRCLE_BRANCH",  # CircleCI
    "TRAVIS_PULL_REQUEST_BRANCH",  # Travis CI, pull requests (TRAVIS_BRANCH is the target)
    "TRAVIS_BRANCH",  # Travis CI
    "BUILDKITE_BRANCH",  # Buildkite
    "DRONE_SOURCE_BRANCH",  # Drone, pull requests (DRONE_BRANCH is the target)
    "DRONE_BRANCH",  # Drone
    "APPVEYOR_PULL_REQUEST_HEAD_REPO_BRANCH",  # AppVeyor, pull requests
    "APPVEYOR_REPO_BRANCH",  # AppVeyor
    "SEMAPHORE_GIT_PR_BRANCH",  # Semaphore, pull requests
    "SEMAPHORE_GIT_BRANCH",  # Semaphore
    "CODEBUILD_WEBHOOK_HEAD_REF",  # AWS CodeBuild ("refs/heads/x")
    "bamboo_planRepository_branchName",  # Bamboo
)
"""CI variables naming the branch, in the order they are tried; then ``git``."""
_REF_PREFIXES = ("refs/heads/", "refs/tags/", "refs/remotes/origin/", "origin/")
"""Cut from a variable's value: Azure and CodeBuild give refs, Jenkins' git plugin
``origin/main``."""
_GIT_TIMEOUT = 5.0
SUMMARY_LIMIT = 255
"""Jira refuses a longer summary."""


class TemplateError(ValueError):
    """A summary with an unknown or malformed placeholder."""


def _branch_name(value: str) -> str:
    for prefix in _REF_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


def current_branch(env: Mapping[str, str], cwd: Path) -> str:
    """The branch being tested: from the CI's variables, else ``git``, else ``unknown`` (also
    on a detached HEAD, where git has no branch to name)."""
    for name in BRANCH_VARIABLES:
        value = _branch_name(env.get(name, "").strip())
        if value:
            return value
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--abbrev-ref", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    branch = done.stdout.strip()
    # On a detached HEAD (a tag, a commit: how many CIs check out) git answers "HEAD".
    return branch if done.returncode == 0 and branch and branch != "HEAD" else "unknown"


def render_summary(
    template: str, env: Mapping[str, str], cwd: Path, now: datetime | None = None
) -> str:
    """``template`` with its placeholders filled in (``{{``/``}}`` for literal braces).

    Raises :class:`TemplateError` for an unknown placeholder or unbalanced braces. The branch
    is looked up only when the template uses it.
    """
    try:
        names = [name for _, name, _, _ in Formatter().parse(template) if name is not None]
    except ValueError as error:
        raise TemplateError(f"{template!r}: {error}; write {{{{ and }}}} for braces.") from None
    known = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
    for name in names:
        if name not in PLACEHOLDERS:
            raise TemplateError(
                f"unknown placeholder {{{name}}} in {template!r}; known: {known} "
                "(write {{ and }} for braces)."
            )
    if not names:
        return template.replace("{{", "{").replace("}}", "}")
    moment = now or datetime.now().astimezone()
    values: dict[str, Callable[[], str]] = {
        "date": lambda: moment.strftime("%Y-%m-%d"),
        "time": lambda: moment.strftime("%H:%M"),
        "host": platform.node,
        "branch": lambda: current_branch(env, cwd),
        "python": platform.python_version,
        "pytest": lambda: pytest.__version__,
    }
    try:
        return template.format_map({name: values[name]() for name in set(names)})
    except (ValueError, TypeError) as error:
        raise TemplateError(f"{template!r}: {error}; known placeholders: {known}.") from None


def one_line(text: str) -> str:
    """``text`` with each run of whitespace (new lines and tabs included) as one space, and
    none at the ends: Jira refuses a summary with a line break in it."""
    return " ".join(text.split())


def fit_summary(summary: str) -> str:
    """``summary`` on one line (see :func:`one_line`: a multi-line ini value or a placeholder's
    value may hold line breaks), cut to Jira's :data:`SUMMARY_LIMIT` characters, ending with
    ``…`` when cut (a placeholder's value, such as a long branch name, can make a short
    template too long)."""
    summary = one_line(summary)
    if len(summary) <= SUMMARY_LIMIT:
        return summary
    return summary[: SUMMARY_LIMIT - 1].rstrip() + "…"
