"""Each collected test's Xray data: the pytest hooks where tests are collected and run.

:class:`ItemAnnotator` runs where tests are collected and run (the only process, or each xdist
worker). It validates ``xray`` markers at collection, reads each reported test's Xray data into
plain data (again at the end of ``pytest_collection_modifyitems``, for markers added there) and
holds the evidence of the tests running here. On an xdist worker, :class:`WorkerReports` puts
that data on the test's setup report and its evidence on its teardown report, so they travel
with the reports to the controller (xdist serializes report attributes), where
:class:`pytest_xray.collect.ResultCollector` turns reports into results.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from pytest_xray.evidence import EVIDENCE_ATTRIBUTE, LEFT_OUT_ATTRIBUTE, Recorders
from pytest_xray.markers import (
    MarkerError,
    item_definition,
    item_parameters,
    item_summary,
    parse_item,
)
from pytest_xray.settings import Settings
from pytest_xray.userhooks import implemented_hooks
from pytest_xray.workers import WORKER_DESELECTED, WORKER_HOOKS, write_worker_meta

__all__ = ["META_ATTRIBUTE", "ItemAnnotator", "WorkerReports"]

META_ATTRIBUTE = "xray_meta"
"""Name of the attribute that carries a test's Xray data on its setup report."""


def junit_properties(meta: dict[str, Any]) -> list[tuple[str, str]]:
    """The testcase properties of Xray's JUnit format for a test's Xray data: one ``test_key``
    per key (Xray documents one per testcase; see the README), ``requirements`` and ``defects``
    comma-separated."""
    properties = [("test_key", key) for key in meta["keys"]]
    for name in ("requirements", "defects"):
        if meta.get(name):
            properties.append((name, ",".join(meta[name])))
    return properties


def _xray_marks(node: pytest.Collector | pytest.Item | None) -> int:
    """How many ``xray`` markers ``node`` and its parents have of their own."""
    count = 0
    while node is not None:
        for mark in node.own_markers:
            if mark.name == "xray":
                count += 1
        node = node.parent
    return count


class ItemAnnotator:
    """Validates ``xray`` markers at collection and keeps each reported test's Xray data.

    ``metas`` maps the node id of every reported test to its Xray data (plain data, so that it
    can travel on a report); ``recorders`` holds the evidence of the tests running here. With
    ``junit_properties`` (``--junitxml`` is on) each marked item also gets Xray's JUnit
    properties in ``user_properties``, which pytest's junitxml writes into its testcase (also
    under xdist: user properties travel on the reports).
    """

    def __init__(
        self,
        settings: Settings,
        junit_properties: bool = False,
        worker_meta_dir: str | None = None,
    ) -> None:
        self.settings = settings
        self.junit_properties = junit_properties
        self.worker_meta_dir = worker_meta_dir
        """On an xdist worker: where to leave the crash-safe copy (:mod:`pytest_xray.workers`)."""
        self.metas: dict[str, dict[str, Any]] = {}
        self._own_marks: dict[str, int] = {}
        """Per collected test: how many markers of its own it had when its Xray data was read."""
        self._chain_marks: dict[int, int] = {}
        """Per collector (by id) that made tests: the ``xray`` markers of it and its parents."""
        self.deselected: set[str] = set()
        """Xray keys of tests deselected here (``-k``, pytest-split's shards, ``--lf``)."""
        self.recorders = Recorders(
            settings.evidence_max_file, self.metas.__contains__, settings.evidence_max_total
        )
        # Xray Server imports Test Run custom fields only through REST API 2.0.
        self._custom_fields_refused = not settings.cloud and settings.api_version == "1.0"

    def _meta(self, item: pytest.Item) -> dict[str, Any] | None:
        """The Xray data of ``item`` (plain data), or ``None`` when it is not reported."""
        mark = parse_item(item, keyless=self.settings.create_tests)
        if mark is None or not mark.keys:
            if not self.settings.create_tests:
                return None
            definition = item_definition(item)
            meta: dict[str, Any] = mark.to_dict() if mark is not None else {"keys": ()}
            meta["definition"] = definition
            meta["summary"] = item_summary(item, definition)
            meta["parameters"] = item_parameters(item)
            return meta
        if mark.custom_fields and self._custom_fields_refused:
            raise MarkerError(
                f"{item.nodeid}: @pytest.mark.xray custom_fields= needs Xray Server REST API 2.0 "
                "(1.0 does not import Test Run custom fields); use --xray-api-version 2.0 or "
                "latest, or remove custom_fields."
            )
        meta = mark.to_dict()
        meta["parameters"] = item_parameters(item)
        if mark.requirements:  # requirements are linked through testInfo, which needs a summary
            meta["summary"] = item_summary(item, item_definition(item))
        return meta

    def _annotate(self, item: pytest.Item, before: dict[str, Any] | None = None) -> str | None:
        """Keep ``item``'s Xray data (in place of ``before``, what was read earlier); the marker
        error when its markers are malformed."""
        try:
            meta = self._meta(item)
        except MarkerError as error:
            return str(error)
        if before is not None and self.junit_properties and before["keys"]:
            properties = item.user_properties
            for prop in junit_properties(before):
                if prop in properties:
                    properties.remove(prop)
        if meta is None:
            self.metas.pop(item.nodeid, None)
        else:
            self.metas[item.nodeid] = meta
            if self.junit_properties and meta["keys"]:
                item.user_properties.extend(junit_properties(meta))
        return None

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        report = yield
        if not report.passed:
            return report
        errors = []
        own_marks = self._own_marks
        items = False
        for node in report.result:
            if isinstance(node, pytest.Item):
                items = True
                own_marks[node.nodeid] = len(node.own_markers)
                error = self._annotate(node)
                if error is not None:
                    errors.append(error)
        if items:
            self._chain_marks[id(collector)] = _xray_marks(collector)
        if errors:
            # A real collection error: pytest shows it under "ERROR collecting" and stops.
            report.outcome = "failed"
            report.longrepr = "\n".join(errors)
            report.result = []
        return report

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        # Markers added by conftests and plugins (item.add_marker, here or in
        # pytest_itemcollected) come after the parse at collection: pick them up. A test read
        # then is read again only when its own markers or its parents' xray markers changed
        # (counted, not compared: a fully marked suite pays a few lookups per test).
        errors = []
        metas, own_marks, chain_marks = self.metas, self._own_marks, self._chain_marks
        chains: dict[int, int] = {}  # the parents' xray markers now, per parent (by id)
        for item in items:
            nodeid = item.nodeid
            meta = metas.get(nodeid)
            if meta is None:
                if item.get_closest_marker("xray") is None:
                    continue
            else:
                parent = id(item.parent)
                chain = chains.get(parent)
                if chain is None:
                    chain = chains[parent] = _xray_marks(item.parent)
                own = item.own_markers
                counted = own_marks.get(nodeid, 0)
                if chain == chain_marks.get(parent) and (
                    len(own) == counted
                    or (len(own) > counted and all(m.name != "xray" for m in own[counted:]))
                ):
                    continue
            error = self._annotate(item, meta)
            if error is not None:
                errors.append(error)
        own_marks.clear()  # nothing adds markers that count after this point
        chain_marks.clear()
        if errors:
            raise pytest.UsageError("\n".join(errors))

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        if not self.settings.execution:  # only an import into an existing execution cares
            return
        for item in items:
            meta = self.metas.get(item.nodeid)
            if meta is not None:
                self.deselected.update(meta["keys"])

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if self.worker_meta_dir is None:
            return
        metas = {}
        for item in session.items:
            meta = self.metas.get(item.nodeid)
            if meta is not None:
                metas[item.nodeid] = meta
        worker = session.config.workerinput["workerid"]  # type: ignore[attr-defined]
        write_worker_meta(self.worker_meta_dir, worker, metas)


class WorkerReports:
    """On an xdist worker: puts a test's Xray data on its setup report and its evidence on its
    teardown report, before pytest-xdist sends the report to the controller (report attributes
    travel with it). Without xdist the collector reads both from the :class:`ItemAnnotator`."""

    def __init__(self, annotator: ItemAnnotator) -> None:
        self.annotator = annotator

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # The hooks this worker's conftest.py files implement: the controller, which calls
        # them, loads only the root ones and warns about the others (see ResultCollector).
        output: dict[str, Any] = session.config.workeroutput  # type: ignore[attr-defined]
        output[WORKER_HOOKS] = implemented_hooks(session.config)
        output[WORKER_DESELECTED] = sorted(self.annotator.deselected)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "setup":
            meta = self.annotator.metas.get(report.nodeid)
            if meta is not None:
                setattr(report, META_ATTRIBUTE, meta)
        elif report.when == "teardown":
            recorder = self.annotator.recorders.pop(report.nodeid)
            if recorder is not None:
                if recorder.files:
                    setattr(report, EVIDENCE_ATTRIBUTE, recorder.files)
                if recorder.left_out:
                    setattr(report, LEFT_OUT_ATTRIBUTE, recorder.left_out)
