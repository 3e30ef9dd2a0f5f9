"""The pytest entry point (``pytest11``): options, the marker, and wiring of the plugin objects.

Without ``--xray`` only the options, the marker and the ``xray_evidence`` fixture (then a no-op)
are registered: no hook does any work.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from pytest_xray.collect import ItemAnnotator, ResultCollector
from pytest_xray.evidence import xray_evidence
from pytest_xray.markers import MARKER_DOC
from pytest_xray.publish import PublishResult, publish
from pytest_xray.settings import DEFAULT_REPORT, Settings, add_options, resolve
from pytest_xray.workers import WORKER_META_DIR

__all__ = ["XrayReporter", "result_key", "settings_key", "xray_evidence"]

settings_key = pytest.StashKey[Settings]()
result_key = pytest.StashKey[PublishResult]()


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_DOC)
    settings = resolve(config)
    config.stash[settings_key] = settings
    if not settings.enabled:
        return
    # On an xdist worker, ``workerinput`` holds what the controller's collector put there.
    workerinput = getattr(config, "workerinput", None)
    annotator = ItemAnnotator(
        settings,
        junit_properties=bool(config.getoption("xmlpath", None)),
        worker_meta_dir=workerinput.get(WORKER_META_DIR) if workerinput is not None else None,
    )
    config.pluginmanager.register(annotator, "xray-annotator")
    if workerinput is None:  # the xdist controller, or a run without xdist
        collector = ResultCollector(settings)
        config.pluginmanager.register(collector, "xray-collector")
        config.pluginmanager.register(XrayReporter(config, settings, collector), "xray-reporter")


def pytest_unconfigure(config: pytest.Config) -> None:
    collector = config.pluginmanager.get_plugin("xray-collector")
    if isinstance(collector, ResultCollector):
        collector.close()
    for name in ("xray-reporter", "xray-collector", "xray-annotator"):
        plugin = config.pluginmanager.get_plugin(name)
        if plugin is not None:
            config.pluginmanager.unregister(plugin)


class XrayReporter:
    """Publishes the collected results at session end and reports in the terminal summary."""

    def __init__(self, config: pytest.Config, settings: Settings, collector: ResultCollector):
        self.config = config
        self.settings = settings
        self.collector = collector

    def report_path(self) -> Path:
        """Where the report goes: ``--xray-output``, else ``xray-report.json`` when nothing is
        uploaded, else a copy in pytest's cache directory to resend from if the upload fails."""
        if self.settings.output is not None:
            return self.settings.output
        if not self.settings.upload:
            return Path(self.config.invocation_params.dir) / DEFAULT_REPORT
        cache = getattr(self.config, "cache", None)
        if cache is not None:
            return Path(cache.mkdir("xray")) / "last-report.json"
        return Path(tempfile.gettempdir()) / "pytest-xray-last-report.json"

    def notify(self, text: str) -> None:
        """Show a retry as it happens: the wait before it can be long."""
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        if terminal is not None:
            terminal.write_line(f"xray: {text}", yellow=True)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        result = publish(
            self.collector.execution(),
            self.settings,
            self.report_path(),
            unmarked=self.collector.unmarked,
            notify=self.notify,
        )
        self.config.stash[result_key] = result
        if result.failed and self.settings.strict and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        result = self.config.stash.get(result_key, None)
        if result is None:
            return
        lines = result.lines(self.settings)
        quiet = self.config.getoption("verbose") < -1  # -qq; get_verbosity() is pytest 8+
        if quiet and not any(is_error for _, is_error in lines):
            return
        terminalreporter.write_sep("-", "xray")
        for text, is_error in lines:
            terminalreporter.write_line(f"xray: {text}", red=is_error, bold=is_error)
