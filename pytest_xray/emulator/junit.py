"""Reading JUnit XML reports the way Xray's JUnit import does (the parts a client relies on).

Each ``testcase`` becomes a Test Run. Xray's testcase properties are understood:
``test_key`` (link to an existing Test), ``test_summary``, ``testrun_comment`` and
``testrun_evidence`` (``<item name="file">base64</item>`` children). Without ``test_key``
the Test is a Generic test whose definition is ``classname.name``.
"""

from __future__ import annotations

import mimetypes
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["JUnitCase", "JUnitError", "parse_junit"]

Outcome = Literal["passed", "failed", "skipped"]


class JUnitError(ValueError):
    """The body is not a JUnit XML report."""


@dataclass
class JUnitCase:
    """One ``testcase`` element."""

    classname: str
    name: str
    time: str | None
    outcome: Outcome
    message: str = ""
    properties: dict[str, str] = field(default_factory=dict)
    evidence: list[dict[str, Any]] = field(default_factory=list)

    @property
    def definition(self) -> str:
        """The Generic test definition Xray derives: ``classname.name``."""
        return f"{self.classname}.{self.name}" if self.classname else self.name


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _case(element: ET.Element) -> JUnitCase:
    outcome: Outcome = "passed"
    message = ""
    for child in element:
        tag = _local(child.tag)
        if tag in ("failure", "error"):
            outcome = "failed"
            text = (child.text or "").strip()
            message = "\n".join(x for x in (child.get("message", ""), text) if x)
        elif tag == "skipped" and outcome != "failed":
            outcome = "skipped"
            message = child.get("message", "") or (child.text or "").strip()
    case = JUnitCase(
        classname=element.get("classname", ""),
        name=element.get("name", ""),
        time=element.get("time"),
        outcome=outcome,
        message=message,
    )
    for prop in element.iter():
        if _local(prop.tag) != "property" or prop.get("name") is None:
            continue
        name = str(prop.get("name"))
        items = [item for item in prop if _local(item.tag) == "item"]
        if name == "testrun_evidence" and items:
            case.evidence.extend(
                {
                    "data": "".join((item.text or "").split()),
                    "filename": item.get("name", "evidence"),
                    "contentType": mimetypes.guess_type(item.get("name", ""))[0]
                    or "application/octet-stream",
                }
                for item in items
            )
        else:
            case.properties[name] = prop.get("value", prop.text or "")
    return case


def parse_junit(data: bytes) -> list[JUnitCase]:
    """Every testcase of a JUnit report (``testsuites`` or ``testsuite`` root)."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise JUnitError(f"the JUnit report is not well-formed XML ({exc})") from exc
    if _local(root.tag) not in ("testsuites", "testsuite"):
        raise JUnitError(f"the JUnit report root is <{_local(root.tag)}>, not <testsuites>")
    cases = [_case(element) for element in root.iter() if _local(element.tag) == "testcase"]
    if not cases:
        raise JUnitError("the JUnit report has no testcase")
    return cases
