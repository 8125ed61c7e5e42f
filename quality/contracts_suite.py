"""The contracts suite: an external command that fuzzes the API and writes findings.json.

The command (``[tool.quality.suites.contracts] commands``) gets ``--output <dir>``; the gate
reads ``contracts{suite:…}``: ``failures`` = Schemathesis findings + breaking API changes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from html import escape
from typing import Any

from quality.config import QualityConfig, Suite
from quality.gates import Measurement, metric_key
from quality.model import Failure, SuiteResult
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
    started, out = time.monotonic(), config.report_dir / suite.name
    out.mkdir(parents=True, exist_ok=True)
    log = config.report_dir / "logs" / f"{suite.name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    findings_file = out / "findings.json"
    findings_file.unlink(missing_ok=True)
    argv = [sys.executable if a == "python" else a for a in suite.commands[0].split()]
    with log.open("w", encoding="utf-8") as stream:
        code = subprocess.call(
            [*argv, "--output", str(out), *extra_args],
            cwd=config.root,
            stdout=stream,
            stderr=subprocess.STDOUT,
        )
    result = SuiteResult(
        name=suite.name,
        status="passed",
        duration_s=round(time.monotonic() - started, 2),
        log=config.link(log),
    )
    outcome = SuiteOutcome(result=result)
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
