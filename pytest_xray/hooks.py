"""Hooks that pytest-xray calls, for ``conftest.py`` files and plugins.

Implement them like any pytest hook, by name, in a ``conftest.py`` or a plugin, marked optional
so that a run without pytest-xray (``-p no:xray``) does not stop on an unknown hook::

    @pytest.hookimpl(optionalhook=True)
    def pytest_xray_status(report, outcome):
        if outcome == "skipped":
            return "SKIPPED"  # a custom status your Xray admin defined
        return None

They run only with ``--xray``, and only in the process that builds the Test Execution: the
pytest process itself, or the controller under pytest-xdist. The controller never collects, so
there a hook implementation must live in a plugin or in a ``conftest.py`` that pytest loads at
start-up (the root directory's, or one in a directory given on the command line), not in a
``conftest.py`` of a sub-directory. Like every hook in a ``conftest.py``, an implementation sees
every test of the run, not only those beside it.

An exception raised by an implementation never costs the run: the summary names the hook and the
error, and the result or payload goes on as the implementation left it. Neither does data it
leaves that cannot be sent (a status that is not a string, a malformed key, a payload that is not
JSON): that field, or the whole payload, is put back as it was before the hook, and the summary
says so. A hook that no plugin implements costs nothing per test.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pytest_xray.answers import ImportResult
    from pytest_xray.model import Outcome, TestResult


@pytest.hookspec(firstresult=True)
def pytest_xray_status(report: pytest.TestReport, outcome: Outcome) -> str | None:
    """Choose the Xray status of one test, or return ``None`` to use the status mapping.

    Called once per reported test (each test with an Xray marker, and with
    ``--xray-create-tests`` each unmarked one too), when its last phase has been reported (after
    the last attempt under pytest-rerunfailures), before :func:`pytest_xray_result`.

    :param report: the report that decided the outcome: the ``call`` report for a test that
        passed, failed, was skipped from its body, xfailed or xpassed; the ``setup`` report for
        a skip (``skip``/``skipif`` markers) or an error in setup; the ``teardown`` report for an
        error in teardown after a pass; the report pytest-xdist makes for a crashed worker. It
        carries ``nodeid``, ``keywords``, ``user_properties``, ``longrepr`` and ``sections``,
        also under pytest-xdist.
    :param outcome: what happened, a :class:`pytest_xray.Outcome` (a ``str``: ``"passed"``,
        ``"failed"``, ``"error"``, ``"skipped"``, ``"xfailed"``, ``"xpassed"``).
    :returns: an Xray status name such as ``"BLOCKED"`` (the product's built-in names, or a
        custom status defined by your Xray admin), or ``None``. The first non-``None`` answer
        wins. A parametrized test's iterations each get their own status; the Test Run takes the
        worst of them.
    """


@pytest.hookspec()
def pytest_xray_result(
    result: TestResult, item: pytest.Item | None, report: pytest.TestReport
) -> None:
    """Adjust the record of one test before it joins the Test Execution.

    Called once per reported test, when its last phase has been reported. Edit
    ``result`` in place: ``status`` (an Xray status name, ``None`` for the mapping), ``message``
    (the comment, or the iteration's log), ``defects`` (a tuple of issue keys), ``evidence``
    (a list of :class:`pytest_xray.Evidence`), ``keys``.

    :param result: the :class:`pytest_xray.TestResult` of the test.
    :param item: the test item in a plain run; ``None`` under pytest-xdist, where the item
        lives in a worker process and the controller only has its reports. Use ``report``
        for what must work in both.
    :param report: the test's last report (usually ``teardown``, or the report pytest-xdist
        makes for a crashed worker): ``nodeid``, ``keywords``, ``user_properties`` (what the test
        put in ``record_property``) and ``sections`` (captured output) travel with it.
    """


@pytest.hookspec()
def pytest_xray_payload(payload: dict[str, Any], config: pytest.Config) -> None:
    """Last look at the Xray JSON before it is saved and uploaded; edit ``payload`` in place.

    Called once per run, only when at least one test has an Xray key. For example
    ``payload["info"]["user"] = "qa-bot"``. What you leave must still be valid Xray JSON
    (see Xray's import format); the saved report shows exactly what was sent.
    """


@pytest.hookspec()
def pytest_xray_uploaded(
    config: pytest.Config, execution_key: str, url: str | None, response: ImportResult
) -> None:
    """Called after Xray accepted an upload (also when it did not record every result: see
    ``response.failed``), for example to post the link to chat.

    :param execution_key: the Test Execution's issue key, e.g. ``"CALC-1000"``.
    :param url: its browse link (``{jira}/browse/KEY``), or ``None`` on Cloud without
        ``--xray-jira-url``.
    :param response: Xray's answer, a :class:`pytest_xray.ImportResult` (``key``, ``id``,
        ``self_url``, ``failed``: results Xray did not record, ``info_messages``).
    """
