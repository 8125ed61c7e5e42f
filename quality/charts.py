"""Trend charts for the report: matplotlib (no pyplot) rendered to reproducible SVG data URIs.

The SVG is embedded as a base64 ``<img>`` rather than inline so that the ids matplotlib
generates cannot clash between charts, and the HTML stays a single self-contained file.
"""

from __future__ import annotations

import base64
import io
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from quality.model import RunSummary

if TYPE_CHECKING:
    from matplotlib.axes import Axes

# Both spellings of a coverage metric: "coverage.unit.backend" (dotted) and what the gates
# module writes, "coverage of coverage{layer:backend,suite:unit}" (k6-like tags).
COVERAGE_METRIC = re.compile(
    r"^(?:coverage of )?coverage(?:\.(?P<dotted>.+)|\{(?P<tags>[^}]*)\})?$"
)
NOT_ENOUGH_HISTORY = "Not enough history yet: a trend needs at least two runs."
VERDICT_COLOURS = {"pass": "#1a7f37", "fail": "#cf222e", "error": "#9a6700"}
MAX_TICK_LABELS = 8


@dataclass(frozen=True)
class Chart:
    title: str
    alt: str
    data_uri: str


@dataclass(frozen=True)
class Series:
    label: str
    points: list[tuple[int, float]]  # (run index, value); run indices are shared by all series


def _ensure_matplotlib_config_dir() -> None:
    """matplotlib caches its font list in MPLCONFIGDIR; keep it out of an unwritable home."""
    if os.environ.get("MPLCONFIGDIR"):
        return
    # Stable per user, so the font cache survives between runs (building it costs seconds).
    config_dir = Path(tempfile.gettempdir()) / f"valeo-matplotlib-{os.getuid()}"
    config_dir.mkdir(mode=0o700, exist_ok=True)
    os.environ["MPLCONFIGDIR"] = str(config_dir)


def run_labels(summary: RunSummary) -> list[str]:
    """One label per run, oldest first, the current run last."""
    started = [point.started_at for point in summary.history] + [summary.started_at]
    return [value.replace("T", " ")[5:16] for value in started]


def coverage_label(metric: str) -> str | None:
    """The series label of a coverage metric ("unit.backend", "unit backend"), else None."""
    match = COVERAGE_METRIC.match(metric)
    if match is None:
        return None
    if match["dotted"]:
        return str(match["dotted"])
    tags: dict[str, str] = {}
    for pair in filter(None, (match["tags"] or "").split(",")):
        key, _, value = pair.partition(":")
        tags[key] = value
    named = [tags.pop(name) for name in ("suite", "layer") if name in tags]
    return " ".join(named + [f"{key}:{value}" for key, value in sorted(tags.items())]) or "all"


def coverage_series(summary: RunSummary) -> list[Series]:
    """Every coverage metric over the history plus this run's gate actuals."""
    values: dict[str, list[tuple[int, float]]] = {}
    for index, point in enumerate(summary.history):
        for metric, value in point.metrics.items():
            label = coverage_label(metric)
            if label is not None:
                values.setdefault(label, []).append((index, value))
    current_index = len(summary.history)
    for gate in summary.gates:
        label = coverage_label(gate.metric)
        if label is not None and gate.actual is not None:
            series = values.setdefault(label, [])
            # Two gates on the same metric (e.g. a floor and a ratchet) give one point.
            if not series or series[-1][0] != current_index:
                series.append((current_index, gate.actual))
    return [Series(label=label, points=points) for label, points in sorted(values.items())]


def duration_series(summary: RunSummary) -> Series:
    durations = [point.duration_s for point in summary.history] + [summary.duration_s]
    return Series(label="duration", points=list(enumerate(durations)))


def trend_charts(summary: RunSummary) -> list[Chart]:
    """The coverage and duration charts; empty when there are fewer than two runs."""
    if not summary.history:
        return []
    labels = run_labels(summary)
    charts: list[Chart] = []
    plotted = [series for series in coverage_series(summary) if len(series.points) >= 2]
    if plotted:
        charts.append(
            Chart(
                title="Coverage per suite and layer",
                alt="Line chart of coverage percent per suite and layer over the last "
                f"{len(labels)} runs: " + _describe(plotted),
                data_uri=_coverage_chart(plotted, _coverage_thresholds(summary), labels),
            )
        )
    duration = duration_series(summary)
    charts.append(
        Chart(
            title="Run duration",
            alt=f"Line chart of run duration in seconds over the last {len(labels)} runs: "
            + _describe([duration]),
            data_uri=_duration_chart(summary, duration, labels),
        )
    )
    return charts


def _describe(series_list: list[Series]) -> str:
    """A text equivalent of the chart for the ``alt`` attribute: first and last value."""
    parts = [
        f"{series.label} from {series.points[0][1]:.1f} to {series.points[-1][1]:.1f}"
        for series in series_list
    ]
    return "; ".join(parts) + "."


def _coverage_thresholds(summary: RunSummary) -> dict[str, float]:
    """The floor each coverage series is gated at (the highest, if several gates read it)."""
    thresholds: dict[str, float] = {}
    for gate in summary.gates:
        label = coverage_label(gate.metric)
        if label is not None and gate.comparator in (">", ">="):
            thresholds[label] = max(gate.threshold, thresholds.get(label, gate.threshold))
    return thresholds


def _coverage_chart(plotted: list[Series], thresholds: dict[str, float], labels: list[str]) -> str:
    def draw(axes: Axes) -> None:
        for series in plotted:
            xs = [index for index, _ in series.points]
            ys = [value for _, value in series.points]
            (line,) = axes.plot(xs, ys, marker="o", markersize=3, linewidth=1.5)
            line.set_label(series.label)
            if series.label in thresholds:
                # The gate's floor, dashed in the series' colour: headroom at a glance.
                axes.axhline(
                    thresholds[series.label], color=line.get_color(), linestyle="--", linewidth=0.8
                )
        axes.set_ylabel("coverage %")
        # Outside the axes, so it never hides a point.
        axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)

    return _render(draw, labels)


def _duration_chart(summary: RunSummary, duration: Series, labels: list[str]) -> str:
    xs = [index for index, _ in duration.points]
    ys = [value for _, value in duration.points]
    verdicts = [point.verdict for point in summary.history] + [summary.verdict]

    def draw(axes: Axes) -> None:
        axes.plot(xs, ys, color="#57606a", linewidth=1.5)
        # Colour each run by its verdict so a slow failing run stands out.
        colours = [VERDICT_COLOURS.get(verdict, "#57606a") for verdict in verdicts]
        axes.scatter(xs, ys, c=colours, s=18, zorder=3)
        axes.set_ylabel("seconds")
        axes.set_ylim(bottom=0)

    return _render(draw, labels)


def _render(draw: Callable[[Axes], None], labels: list[str]) -> str:
    """Draw one chart over the runs in ``labels`` and return it as an SVG data URI."""

    def draw_over_runs(axes: Axes) -> None:
        step = max(1, -(-len(labels) // MAX_TICK_LABELS))  # ceiling division
        ticks = list(range(len(labels) - 1, -1, -step))[::-1]  # always label the current run
        axes.set_xticks(ticks, [labels[index] for index in ticks], fontsize=7)
        draw(axes)

    return svg_data_uri(draw_over_runs)


def svg_data_uri(draw: Callable[[Axes], None]) -> str:
    """One chart drawn by ``draw`` on a fresh figure, as a reproducible SVG data URI."""
    _ensure_matplotlib_config_dir()
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    buffer = io.BytesIO()
    # Fixed id salt, no date, text kept as text: the same summary gives byte-identical SVG.
    # rc_context rather than rcParams so that the caller's matplotlib settings are untouched.
    with rc_context({"svg.hashsalt": "valeo", "svg.fonttype": "none", "font.size": 9.0}):
        figure = Figure(figsize=(7.0, 2.6), layout="constrained")
        axes = figure.subplots()
        axes.grid(visible=True, axis="y", color="#d0d7de", linewidth=0.5)
        axes.spines[["top", "right"]].set_visible(False)
        draw(axes)
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"data:image/svg+xml;base64,{encoded}"
