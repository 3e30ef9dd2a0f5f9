"""The end of a run: publish the collected results, write the CI files, and report in the
terminal summary. Registered by :mod:`pytest_xray.plugin` on the process that uploads (the xdist
controller, or the only process)."""

from __future__ import annotations

import contextlib
import gc
import getpass
import hashlib
import os
import re
import tempfile
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_xray.check import check_key
from pytest_xray.collect import ResultCollector
from pytest_xray.defaults import DEFAULT_REPORT
from pytest_xray.settings import Settings
from pytest_xray.userhooks import UserHooks

if TYPE_CHECKING:
    from pytest_xray.publish import PublishResult

__all__ = ["XrayReporter", "gc_paused", "result_key"]

result_key: pytest.StashKey[PublishResult] = pytest.StashKey()
"""On ``config.stash`` after the session end: what publishing did (read it through
:func:`pytest_xray.get_execution`)."""


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block.

    The session end builds hundreds of thousands of small dicts and lists for a big run; each
    burst of allocations starts a collection that walks pytest's whole heap (every item and
    report), which doubled the time of the session end at 100 000 results. The payload holds no
    reference cycles, so nothing is left for the collector to free.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _temporary_report(rootdir: Path) -> Path:
    """Where the report goes without pytest's cache (``-p no:cacheprovider``): in the temporary
    directory, apart per user (a folder only its user may enter) and per project (a short hash
    of the root directory), so that runs of other users and projects never meet."""
    getuid = getattr(os, "getuid", None)  # none on Windows, where the temp folder is per user
    if getuid is not None:
        user = str(getuid())
    else:
        try:
            user = re.sub(r"[^\w.-]", "_", getpass.getuser())
        except (OSError, KeyError):
            user = "user"
    folder = Path(tempfile.gettempdir()) / f"pytest-xray-{user}"
    with contextlib.suppress(OSError):  # writing the report names the problem
        folder.mkdir(mode=0o700, exist_ok=True)
    project = hashlib.sha256(str(rootdir.resolve()).encode()).hexdigest()[:12]
    return folder / project / "last-report.json"


class XrayReporter:
    """Publishes the collected results at session end and reports in the terminal summary."""

    def __init__(
        self,
        config: pytest.Config,
        settings: Settings,
        collector: ResultCollector,
        user_hooks: UserHooks | None = None,
    ):
        self.config = config
        self.settings = settings
        self.collector = collector
        self.hooks = user_hooks or UserHooks(config, settings)
        self.ci_problems: list[str] = []

    def report_path(self) -> Path:
        """Where the report goes: ``--xray-output``, else ``xray-report.json`` when nothing is
        uploaded, else a copy in pytest's cache directory to resend from if the upload fails.

        A symbolic link is followed, so that the progress file lands beside the real report.
        An output that is no regular file (``/dev/null``, a pipe) cannot be resent from: an
        upload then keeps its copy in the cache directory instead."""
        output = self.settings.output
        if output is not None:
            output = output.resolve() if output.is_symlink() else output
            if not (self.settings.upload and output.exists() and not output.is_file()):
                return output
        if not self.settings.upload:
            return Path(self.config.invocation_params.dir) / DEFAULT_REPORT
        cache = getattr(self.config, "cache", None)
        if cache is not None:
            return Path(cache.mkdir("xray")) / "last-report.json"
        return _temporary_report(Path(self.config.rootpath))

    def config_args(self) -> tuple[str, ...]:
        """``-c INI`` for the resend command, which finds the ini file from the directory it
        runs in: unless this run's ini file is the one pytest found there, name it."""
        inipath = self.config.inipath
        if inipath is None:
            return ()
        here = Path(self.config.invocation_params.dir)
        if inipath.parent.resolve() == here.resolve() and not self.config.option.inifilename:
            return ()
        return ("-c", str(inipath))

    def notify(self, text: str) -> None:
        """Show a retry as it happens: the wait before it can be long."""
        self._line(text, yellow=True)

    def announce(self, text: str) -> None:
        """An upload step on the terminal, as it happens; quiet with ``-q``."""
        if self.config.getoption("verbose") >= 0:
            self._line(text)

    def _line(self, text: str, **markup: bool) -> None:
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        if terminal is None:
            return
        terminal.ensure_newline()
        if self.config.get_terminal_writer().width_of_current_line:  # xdist's progress dots
            terminal.write_line("")
        terminal.write_line(f"xray: {text}", **markup)

    # A wrapper, innermost of the wrappers (trylast): the publishing happens after every plain
    # pytest_sessionfinish, once junitxml, pytest-html and the like have written their files
    # (a pytest_xray_uploaded hook may attach them), and before the terminal summary.
    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> Generator[None, None, None]:
        try:
            yield
        finally:  # another plugin's error at session end must not cost the results
            self._publish(session)

    def _publish(self, session: pytest.Session) -> None:
        # Imported at the end of the run, not with the plugin: publishing needs requests, whose
        # import alone took a tenth of a second from every pytest run that loads pytest-xray.
        from pytest_xray.ci import outcome_record, write_ci_files
        from pytest_xray.publish import publish

        check = self.config.stash.get(check_key, None)
        if check is not None and check.failed:
            # The run stopped before any test: nothing to publish, but CI learns why.
            record = outcome_record(None, error=check.message())
            self.ci_problems = write_ci_files(record, self.settings.result_file)
            return
        execution = self.collector.execution()
        self.collector.forget_collection()
        # --collect-only runs nothing: the report of an earlier run stays as it is.
        collect_only = bool(self.config.getoption("collectonly", False))
        with gc_paused():
            result = publish(
                execution,
                self.settings,
                None if collect_only else self.report_path(),
                unmarked=self.collector.unmarked,
                edit_payload=self.hooks.payload_editor(),
                notify=self.notify,
                announce=self.announce,
                interrupted=session.exitstatus == pytest.ExitCode.INTERRUPTED,
                config_args=self.config_args(),
            )
        self.config.stash[result_key] = result
        if result.uploaded is not None:
            self.hooks.uploaded(result.uploaded, result.browse_url)
        record = outcome_record(result, self.settings, warnings=self.hooks.error_lines())
        self.ci_problems = write_ci_files(record, self.settings.result_file)
        if result.interrupted:  # Ctrl-C during the upload: as during the tests
            session.exitstatus = pytest.ExitCode.INTERRUPTED
        elif result.failed and self.settings.strict and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        result = self.config.stash.get(result_key, None)
        if result is None:
            return
        lines = result.lines(self.settings)
        check = self.config.stash.get(check_key, None)
        if check is not None and check.checked:
            lines.insert(0, (check.summary(), False))
        lines += [(text, True) for text in [*self.hooks.error_lines(), *self.ci_problems]]
        if self.settings.result_file is not None and not self.ci_problems:
            lines.append((f"outcome written to {self.settings.result_file}", False))
        quiet = self.config.getoption("verbose") < -1  # -qq; get_verbosity() is pytest 8+
        if quiet and not any(is_error for _, is_error in lines):
            # Still say what the report left out (evidence over a limit, output cut): nobody
            # would learn it otherwise.
            left_out = set(result.warnings)
            lines = [(text, is_error) for text, is_error in lines if text in left_out]
            if not lines:
                return
        terminalreporter.write_sep("-", "xray")
        for text, is_error in lines:
            terminalreporter.write_line(f"xray: {text}", red=is_error, bold=is_error)
        if result.tests and self.config.getoption("verbose") > 0:
            terminalreporter.write_line(f"xray: {result.timing()}")
