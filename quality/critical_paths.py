"""The critical-path gate: passing paths / declared paths, from the e2e suite's results.

The e2e conftest writes ``critical_paths.json``: the declared paths and, per test, the path
it proves, its outcome and duration. A path is proven when at least one of its tests passed
and none failed; a declared path without tests is not proven.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

from quality.gates import Measurement, metric_key


def evaluate_paths(
    results_file: Path, suite: str, source: str
) -> tuple[dict[str, Measurement], str]:
    """The measurement for the gate and the report's matrix (HTML)."""
    key = metric_key("critical_paths", {"suite": suite})
    if not results_file.exists():
        return {}, ""
    data: dict[str, Any] = json.loads(results_file.read_text(encoding="utf-8"))
    declared = {p["id"]: p for p in data.get("declared", [])}
    by_path: dict[str, list[dict[str, Any]]] = {path_id: [] for path_id in declared}
    for result in data.get("results", []):
        by_path.setdefault(result["path"], []).append(result)
    unproven = []
    for path_id in declared:
        outcomes = [r["outcome"] for r in by_path[path_id]]
        if not outcomes:
            unproven.append(f"{path_id} (no test)")
        elif any(o != "passed" for o in outcomes):
            failed = [
                r["test"].split("::")[-1] for r in by_path[path_id] if r["outcome"] != "passed"
            ]
            unproven.append(f"{path_id} ({', '.join(failed)} {outcomes[0]})")
    proven = len(declared) - len(unproven)
    percent = 100.0 * proven / len(declared) if declared else 0.0
    note = f"{proven}/{len(declared)} paths proven"
    if unproven:
        note += "; not proven: " + "; ".join(unproven)
    values = {"coverage": round(percent, 2)} if declared else {}
    measurement = Measurement("%", values, source=source, note=note)
    return {key: measurement}, _matrix(declared, by_path)


def _matrix(declared: dict[str, dict[str, Any]], by_path: dict[str, list[dict[str, Any]]]) -> str:
    rows = []
    for path_id, path in declared.items():
        tests = by_path.get(path_id) or [{"test": "—", "outcome": "no test", "duration_s": None}]
        for index, result in enumerate(tests):
            head = (
                f'<td rowspan="{len(tests)}"><strong>{escape(path_id)}</strong><br>'
                f"{escape(path['title'])}<br><small>{escape(path['outcome'])}</small></td>"
                if index == 0
                else ""
            )
            ok = result["outcome"] == "passed"
            duration = "" if result["duration_s"] is None else f"{result['duration_s']:.1f} s"
            rows.append(
                f"<tr>{head}<td><code>{escape(result['test'].split('::')[-1])}</code></td>"
                f'<td class="{"pass" if ok else "fail"}">{escape(result["outcome"])}</td>'
                f"<td>{duration}</td></tr>"
            )
    return (
        "<table><thead><tr><th>Path</th><th>Test</th><th>Result</th><th>Duration</th>"
        "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )
