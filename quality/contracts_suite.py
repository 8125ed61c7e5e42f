"""The contracts suite: an external command that fuzzes the API and writes findings.json.

The command (``[tool.quality.suites.contracts] commands``) gets ``--output <dir>``; the gate
reads ``contracts{suite:…}``: ``failures`` = Schemathesis findings + breaking API changes.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from quality.config import QualityConfig, Suite
from quality.external import run_external
from quality.gates import Measurement, metric_key
from quality.model import Failure
from quality.outcome import SuiteOutcome


def _findings_html(data: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{escape(f['role'])}</td><td><code>{escape(f['operation'])}</code></td>"
        f"<td>{escape(f['check'])}</td><td><code>{escape(f['curl'])}</code></td></tr>"
        for f in data.get("findings", [])
    )
    breaking = "".join(f"<li>{escape(c)}</li>" for c in data.get("breaking_changes", []))
    roles = ", ".join(
        f"{escape(r)}: {v['operations_reported']} operations"
        for r, v in data.get("roles", {}).items()
    )
    html = f"<p>{data.get('operations', '?')} operations fuzzed per role ({roles}).</p>"
    html += (
        "<table><thead><tr><th>Role</th><th>Operation</th><th>Check</th>"
        f"<th>Reproduce</th></tr></thead><tbody>{rows}</tbody></table>"
        if rows
        else "<p>No findings: every check passed for every role.</p>"
    )
    html += (
        f"<h3>Breaking API changes</h3><ul>{breaking}</ul>"
        if breaking
        else ("<p>No breaking change against contracts/openapi.json.</p>")
    )
    return html


def run_contracts(config: QualityConfig, suite: Suite, extra_args: list[str]) -> SuiteOutcome:
    outcome, out, code = run_external(config, suite, extra_args, "findings.json")
    result, findings_file = outcome.result, out / "findings.json"
    if code not in (0, 1) or not findings_file.exists():
        result.status, result.detail = "error", f"contract run could not run (exit code {code})"
        return outcome
    data = json.loads(findings_file.read_text(encoding="utf-8"))
    result.failed = [
        Failure(
            name=f"{f['role']}: {f['operation']}",
            category=f"contract: {f['check']}",
            message=f["curl"] or f["message"][:300],
        )
        for f in data["findings"]
    ]
    result.failed += [
        Failure(name=c, category="breaking API change", message="")
        for c in data["breaking_changes"]
    ]
    result.tests = int(data.get("operations", 0)) * max(1, len(data.get("roles", {})))
    result.failures = len(result.failed)
    result.status = "failed" if result.failures else "passed"
    result.artefacts.update(
        {"findings": config.link(findings_file), "schemathesis": config.link(out)}
    )
    key = metric_key("contracts", {"suite": suite.name})
    outcome.measurements[key] = Measurement(
        "",
        {"failures": float(result.failures)},
        source=config.link(findings_file),
        note=f"{len(data['findings'])} findings, {len(data['breaking_changes'])} breaking changes",
    )
    outcome.sections["Contract findings"] = _findings_html(data)
    return outcome
