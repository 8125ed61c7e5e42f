"""``gates.xml``: the gates as JUnit XML, so CI test views list a failing gate like a test."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from quality.model import GateResult, RunSummary
from quality.report_md import format_headroom, format_threshold, format_value

SUITE_NAME = "quality gates"
CLASS_NAME = "gates"


def _judgement(gate: GateResult) -> str:
    actual = format_value(gate.actual, gate.unit)
    return f"{gate.metric} = {actual}, required {format_threshold(gate)}"


def _details(gate: GateResult) -> str:
    lines = [_judgement(gate), f"headroom: {format_headroom(gate)}"]
    if gate.detail:
        lines.append(f"detail: {gate.detail}")
    lines.append(f"source: {gate.source or 'none'}")
    return "\n".join(lines)


def _testcase(parent: ET.Element, gate: GateResult) -> None:
    case = ET.SubElement(parent, "testcase", name=gate.gate, classname=CLASS_NAME, time="0")
    if gate.status == "fail":
        failure = ET.SubElement(case, "failure", message=_judgement(gate), type="gate-failed")
        failure.text = _details(gate)
    elif gate.status == "no-data":
        message = f"no data for {gate.metric}: {gate.detail or 'no measurement'}"
        failure = ET.SubElement(case, "failure", message=message, type="no-data")
        failure.text = _details(gate)
    elif gate.status == "no-base":
        message = f"no base to compare {gate.metric} with: {gate.detail or 'no earlier run'}"
        ET.SubElement(case, "skipped", message=message)


def render_gates_junit(summary: RunSummary) -> bytes:
    failures = sum(1 for gate in summary.gates if gate.status in ("fail", "no-data"))
    skipped = sum(1 for gate in summary.gates if gate.status == "no-base")
    counts = {
        "tests": str(len(summary.gates)),
        "failures": str(failures),
        "errors": "0",
        "skipped": str(skipped),
    }
    root = ET.Element("testsuites", {"name": "valeo quality", "time": "0", **counts})
    suite_attributes = {"name": SUITE_NAME, "timestamp": summary.started_at, "time": "0"}
    suite = ET.SubElement(root, "testsuite", suite_attributes | counts)
    for gate in summary.gates:
        _testcase(suite, gate)
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"
