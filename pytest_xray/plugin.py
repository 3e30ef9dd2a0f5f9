"""The pytest entry point (``pytest11``): options, hookspecs, the marker, the ``xray_evidence``
fixture, and the wiring of the plugin objects when ``--xray`` (or ``XRAY_ENABLE``) is on.

Without it, nothing else of the package is imported and no hook does any work: an installed but
unused plugin costs a pytest run the import of this module, its options and its hookspecs.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from pytest_xray import hooks
from pytest_xray.options import MARKER_DOC, add_options

if TYPE_CHECKING:
    from pytest_xray.evidence import EvidenceRecorder
    from pytest_xray.settings import Settings

__all__ = ["settings_key", "xray_evidence"]

settings_key: pytest.StashKey[Settings] = pytest.StashKey()
"""On ``config.stash`` when ``--xray`` is on: the run's resolved settings."""


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hooks)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_DOC)
    if config.getoption("help", False):
        return  # ``pytest --help`` works whatever the XRAY_* variables say
    if not config.getoption("xray") and not os.environ.get("XRAY_ENABLE"):
        _warn_about_idle_options(config)
        return
    from pytest_xray.settings import resolve

    settings = resolve(config)  # XRAY_ENABLE=false resolves to a disabled Settings
    if settings.enabled:
        config.stash[settings_key] = settings
        _register(config, settings)
    else:
        _warn_about_idle_options(config)


def _warn_about_idle_options(config: pytest.Config) -> None:
    # Options on the command line only: ini keys and variables are often shared by runs that
    # do not report to Xray, and warning about them would be noise.
    given = sorted(
        {
            arg.split("=", 1)[0]
            for arg in config.invocation_params.args
            if isinstance(arg, str) and arg.startswith("--xray-")
        }
    )
    if given:
        config.issue_config_time_warning(
            pytest.PytestConfigWarning(
                f"{', '.join(given)} {'has' if len(given) == 1 else 'have'} no effect without "
                "--xray (or XRAY_ENABLE=1): nothing is reported to Xray."
            ),
            stacklevel=2,
        )


def _register(config: pytest.Config, settings: Settings) -> None:
    from pytest_xray.annotate import ItemAnnotator, WorkerReports
    from pytest_xray.check import PreflightCheck
    from pytest_xray.collect import ResultCollector
    from pytest_xray.evidence import recorders_key
    from pytest_xray.reporter import XrayReporter
    from pytest_xray.userhooks import UserHooks
    from pytest_xray.workers import WORKER_META_DIR

    # On an xdist worker, ``workerinput`` holds what the controller's collector put there.
    workerinput = getattr(config, "workerinput", None)
    annotator = ItemAnnotator(
        settings,
        junit_properties=bool(config.getoption("xmlpath", None)),
        worker_meta_dir=workerinput.get(WORKER_META_DIR) if workerinput is not None else None,
    )
    config.pluginmanager.register(annotator, "xray-annotator")
    config.stash[recorders_key] = annotator.recorders
    if workerinput is not None:
        config.pluginmanager.register(WorkerReports(annotator), "xray-worker-reports")
    if settings.check:
        check = PreflightCheck(config, settings, annotator.metas)
        config.pluginmanager.register(check, "xray-check")
    if workerinput is None:  # the xdist controller, or a run without xdist
        user_hooks = UserHooks(config, settings)
        collector = ResultCollector(settings, hooks=user_hooks, local=annotator)
        config.pluginmanager.register(collector, "xray-collector")
        reporter = XrayReporter(config, settings, collector, user_hooks)
        config.pluginmanager.register(reporter, "xray-reporter")


def pytest_unconfigure(config: pytest.Config) -> None:
    collector = config.pluginmanager.get_plugin("xray-collector")
    if collector is not None:
        collector.close()
    for name in (
        "xray-reporter",
        "xray-collector",
        "xray-check",
        "xray-worker-reports",
        "xray-annotator",
    ):
        plugin = config.pluginmanager.get_plugin(name)
        if plugin is not None:
            config.pluginmanager.unregister(plugin)


@pytest.fixture
def xray_evidence(request: pytest.FixtureRequest) -> EvidenceRecorder:
    """Attach files to this test's Xray Test Run: ``xray_evidence("shot.png")`` or
    ``xray_evidence(b"...", filename="response.json", content_type=None)``. Usable in the test
    and in its function-scoped fixtures (setup and teardown). Does nothing without ``--xray``
    or for a test that is not reported."""
    from pytest_xray.evidence import start_recorder

    return start_recorder(request)
