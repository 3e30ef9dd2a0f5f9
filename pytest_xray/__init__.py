"""pytest-xray: report pytest results to Xray (Jira test management), Server/DC and Cloud.

The public API: :func:`get_execution` for code that runs after the upload, and the types the
hooks of :mod:`pytest_xray.hooks` receive (:class:`TestResult`, :class:`Outcome`,
:class:`Evidence`, :class:`ImportResult`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import pytest

    from pytest_xray.answers import ImportResult
    from pytest_xray.model import Evidence, Outcome, TestResult

__version__ = "0.1.0"

__all__ = [
    "Evidence",
    "ImportResult",
    "Outcome",
    "TestResult",
    "UploadedExecution",
    "__version__",
    "get_execution",
]


class UploadedExecution(NamedTuple):
    """The Test Execution a run's results went to."""

    key: str
    """Its issue key, such as ``CALC-1000``."""
    url: str | None
    """Its browse link ``{jira}/browse/KEY``; ``None`` on Cloud without ``--xray-jira-url``."""


def get_execution(config: pytest.Config) -> UploadedExecution | None:
    """The Test Execution this run uploaded to, or ``None`` (no upload yet, a dry run, a failed
    upload, ``--xray`` off, or an xdist worker, which never uploads).

    The upload happens at the very end of ``pytest_sessionfinish``; read it afterwards: in
    ``pytest_terminal_summary``, ``pytest_unconfigure``, after the ``yield`` of a
    ``pytest_sessionfinish`` wrapper, or in the ``pytest_xray_uploaded`` hook.
    """
    # Imported here: the plugin module imports this package.
    from pytest_xray.reporter import result_key

    result = config.stash.get(result_key, None)
    if result is None or result.uploaded is None:
        return None
    return UploadedExecution(result.uploaded.key, result.browse_url)


def __getattr__(name: str) -> Any:
    # The model's types load on first use: pytest imports this package with the plugin on every
    # run, also the runs without --xray that never need them.
    if name in ("Evidence", "Outcome", "TestResult"):
        from pytest_xray import model

        return getattr(model, name)
    if name == "ImportResult":
        from pytest_xray import answers

        return answers.ImportResult
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
