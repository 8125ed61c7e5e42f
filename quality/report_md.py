"""``summary.md`` (also appended to the GitHub step summary) and value formatting shared by
every report output, so HTML, Markdown and JUnit state the same numbers the same way."""

from __future__ import annotations

from datetime import datetime, timedelta

from quality.model import GateResult, GateStatus, RunSummary, SuiteResult, Verdict

VERDICT_LABELS: dict[Verdict, str] = {"pass": "PASS", "fail": "FAIL", "error": "ERROR"}
VERDICT_ICONS: dict[Verdict, str] = {"pass": "✅", "fail": "❌", "error": "⚠️"}
GATE_STATUS_LABELS: dict[GateStatus, str] = {
    "pass": "pass",
    "fail": "FAIL",
    "no-data": "NO DATA",
    "no-base": "no base",
}
# Failing gates first, then the ones that could not be judged, passing last.
GATE_STATUS_ORDER: dict[GateStatus, int] = {"fail": 0, "no-data": 1, "no-base": 2, "pass": 3}


def format_number(value: float) -> str:
    """At most two decimals, no trailing zeros: 85.0 -> "85", 84.567 -> "84.57"."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit in ("", "%"):
        return f"{format_number(value)}{unit}"
    return f"{format_number(value)} {unit}"


def format_headroom(gate: GateResult) -> str:
    if gate.headroom is None:
        return "–"
    sign = "+" if gate.headroom > 0 else ""
    return sign + format_value(gate.headroom, gate.unit)


def format_threshold(gate: GateResult) -> str:
    return f"{gate.comparator} {format_value(gate.threshold, gate.unit)}"


def format_seconds(seconds: float) -> str:
    if seconds >= 60:
        minutes, rest = divmod(round(seconds), 60)
        return f"{minutes} min {rest:02d} s"
    return f"{seconds:.1f} s"


def format_time(iso: str) -> str:
    """ISO 8601 to "2026-03-01 10:00:00 UTC" when in UTC; anything unparsable as given."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.utcoffset() == timedelta(0):
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    return moment.isoformat(sep=" ")


def short_commit(commit: str | None) -> str:
    return commit[:12] if commit else "unknown"


def sorted_gates(gates: list[GateResult]) -> list[GateResult]:
    return sorted(gates, key=lambda gate: GATE_STATUS_ORDER[gate.status])


def headline(summary: RunSummary) -> str:
    """One sentence under the verdict: what is wrong, or that nothing is."""
    failing = len(summary.failing_gates)
    broken = [suite.name for suite in summary.suites if suite.status in ("failed", "error")]
    parts = []
    if not summary.gates:
        parts.append("no gates declared")
    elif failing:
        parts.append(f"{failing} of {len(summary.gates)} gates failing")
    else:
        parts.append(f"all {len(summary.gates)} gates met")
    if broken:
        parts.append("suites not green: " + ", ".join(broken))
    return "; ".join(parts)


def suite_line(suite: SuiteResult) -> str:
    counts = (
        f"{suite.tests} tests, {suite.failures} failures, {suite.errors} errors, "
        f"{suite.skipped} skipped"
    )
    line = f"{suite.name}: {suite.status}, {counts}, {format_seconds(suite.duration_s)}"
    return f"{line} ({suite.detail})" if suite.detail else line


def _cell(text: str) -> str:
    """A pipe would end the Markdown table cell; newlines would end the row."""
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(summary: RunSummary) -> str:
    label = VERDICT_LABELS[summary.verdict]
    lines = [
        f"## {VERDICT_ICONS[summary.verdict]} Quality: {label}: {headline(summary)}",
        "",
        f"Commit `{short_commit(summary.commit)}` on {summary.branch or 'unknown branch'}, "
        f"started {format_time(summary.started_at)}, took {format_seconds(summary.duration_s)}.",
        "",
    ]
    if summary.gates:
        lines += ["| Gate | Actual | Threshold | Headroom | Status |", "|---|---|---|---|---|"]
        for gate in sorted_gates(summary.gates):
            cells = [
                gate.gate,
                format_value(gate.actual, gate.unit),
                format_threshold(gate),
                format_headroom(gate),
                GATE_STATUS_LABELS[gate.status] + (f" ({gate.detail})" if gate.detail else ""),
            ]
            lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
        lines.append("")
    if summary.regressions:
        lines += ["**Regressions**", ""]
        lines += [f"- {_cell(regression)}" for regression in summary.regressions]
        lines.append("")
    if summary.suites:
        lines += ["**Suites**", ""]
        lines += [f"- {_cell(suite_line(suite))}" for suite in summary.suites]
        lines.append("")
    return "\n".join(lines)
