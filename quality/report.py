"""The report of a quality run: ``index.html``, ``summary.json``, ``summary.md``, ``gates.xml``.

``index.html`` is one self-contained file (inline CSS, charts as data URIs, no URL to anything
outside the report) so that it can be opened from a CI artefact without a network.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from quality.charts import NOT_ENOUGH_HISTORY, trend_charts
from quality.gates_junit import render_gates_junit
from quality.model import Failure, GateResult, RunSummary
from quality.report_md import (
    GATE_STATUS_LABELS,
    VERDICT_LABELS,
    format_headroom,
    format_number,
    format_seconds,
    format_threshold,
    format_time,
    format_value,
    headline,
    render_markdown,
    short_commit,
    sorted_gates,
)

TEMPLATES_DIR = Path(__file__).parent / "templates"
SLOWEST_TESTS = 15
TREND_VALUES = 6  # values shown in a gate's trend cell, this run included
NOT_RUN = "No data in this run: the suite did not run."
# Sections later suites fill in through ``write_report(sections=...)``; shown empty until then.
PLACEHOLDER_SECTIONS = (
    "Critical paths (E2E)",
    "Contract findings",
    "Load: percentiles per route",
    "Load over time",
    "Server CPU and memory",
)
NO_HISTORY = "No history yet: trends start with the next run."


@dataclass(frozen=True)
class SlowTest:
    suite: str
    name: str
    seconds: float


@dataclass(frozen=True)
class FailureRow:
    suite: str
    failure: Failure


def write_report(
    summary: RunSummary, out_dir: Path, sections: Mapping[str, str] | None = None
) -> dict[str, Path]:
    """Write the four report files into ``out_dir`` and return their paths by kind.

    ``sections`` maps a section title to trusted, pre-rendered HTML (from later suites such as
    E2E or load); it replaces that title's empty-state text or adds a section.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "html": out_dir / "index.html",
        "json": out_dir / "summary.json",
        "markdown": out_dir / "summary.md",
        "junit": out_dir / "gates.xml",
    }
    markdown = render_markdown(summary)
    paths["html"].write_text(render_html(summary, sections or {}), encoding="utf-8")
    paths["json"].write_text(
        json.dumps(summary.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    paths["markdown"].write_text(markdown, encoding="utf-8")
    paths["junit"].write_bytes(render_gates_junit(summary))
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with Path(step_summary).open("a", encoding="utf-8") as handle:
            handle.write(markdown + "\n")
    return paths


def render_html(summary: RunSummary, sections: Mapping[str, str]) -> str:
    template = template_environment().get_template("report.html")
    return template.render(**_html_context(summary, sections))


@cache
def template_environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,  # a typo in the template fails loudly, not as a blank cell
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["number"] = format_number
    environment.filters["seconds"] = format_seconds
    environment.filters["time"] = format_time
    return environment


def _html_context(summary: RunSummary, sections: Mapping[str, str]) -> dict[str, Any]:
    return {
        "summary": summary,
        "verdict_label": VERDICT_LABELS[summary.verdict],
        "headline": headline(summary),
        "commit": short_commit(summary.commit),
        "gates": [_gate_row(summary, gate) for gate in sorted_gates(summary.gates)],
        "slowest": _slowest(summary),
        "failures_by_category": _failures_by_category(summary),
        "flaky": [(suite.name, name) for suite in summary.suites for name in suite.flaky],
        "pragma": _pragma_text(summary),
        "charts": trend_charts(summary),
        "not_enough_history": NOT_ENOUGH_HISTORY,
        "not_run": NOT_RUN,
        "history_note": _history_note(summary),
        "extra_sections": _extra_sections(sections),
    }


def _gate_row(summary: RunSummary, gate: GateResult) -> dict[str, Any]:
    return {
        "gate": gate,
        "status_label": GATE_STATUS_LABELS[gate.status],
        "actual": format_value(gate.actual, gate.unit),
        "threshold": format_threshold(gate),
        "headroom": format_headroom(gate),
        "trend": _trend(summary, gate),
    }


def _trend(summary: RunSummary, gate: GateResult) -> list[str]:
    """The metric's last values, oldest first, this run's value last."""
    values = [
        point.metrics[gate.metric] for point in summary.history if gate.metric in point.metrics
    ]
    if gate.actual is not None:
        values.append(gate.actual)
    return [format_number(value) for value in values[-TREND_VALUES:]]


def _slowest(summary: RunSummary) -> list[SlowTest]:
    rows = [
        SlowTest(suite.name, timing.name, timing.seconds)
        for suite in summary.suites
        for timing in suite.slowest
    ]
    rows.sort(key=lambda row: (-row.seconds, row.suite, row.name))
    return rows[:SLOWEST_TESTS]


def _failures_by_category(summary: RunSummary) -> dict[str, list[FailureRow]]:
    grouped: dict[str, list[FailureRow]] = {}
    for suite in summary.suites:
        for failure in suite.failed:
            grouped.setdefault(failure.category, []).append(FailureRow(suite.name, failure))
    return dict(sorted(grouped.items()))


def _pragma_text(summary: RunSummary) -> str:
    if summary.pragma_no_cover is None:
        return "unknown"
    if summary.pragma_no_cover_change is None:
        change = "change since the previous run unknown"
    else:
        change = f"{summary.pragma_no_cover_change:+d} since the previous run"
    return f"{summary.pragma_no_cover} lines ({change})"


def _history_note(summary: RunSummary) -> str:
    if summary.history_note:
        return summary.history_note
    if not summary.history:
        return NO_HISTORY
    return f"Trends over the last {len(summary.history) + 1} runs, this one included."


def _extra_sections(sections: Mapping[str, str]) -> list[tuple[str, str | None]]:
    """Placeholder titles first, in a fixed order, then any other titles given.

    The HTML is trusted (rendered by the harness from its own results) and marked ``|safe`` in
    the template; nothing else is.
    """
    titles = list(PLACEHOLDER_SECTIONS) + sorted(set(sections) - set(PLACEHOLDER_SECTIONS))
    return [(title, sections.get(title)) for title in titles]
