"""The load suite's report sections: percentiles per route, load over time, CPU and memory.

Text and tables come from ``templates/load.html``; the charts are matplotlib SVGs with
the gates' thresholds drawn in, and the steady state (where the gates judge) shaded; the
RSS curve marks its peak and its growth trend, flagged when the growth gate would fail.
A profiled run (``--profile``) adds its hottest functions.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from quality.charts import svg_data_uri
from quality.config import QualityConfig
from quality.report import template_environment

if TYPE_CHECKING:
    from matplotlib.axes import Axes

NAN = float("nan")
MB = 1024 * 1024
LINKS = (
    ("Locust report", "locust.html"),
    ("statistics (CSV)", "locust_stats.csv"),
    ("history (CSV)", "locust_stats_history.csv"),
    ("server samples (CSV)", "samples.csv"),
)


def gate_threshold(
    config: QualityConfig, metric: str, aggregation: str, suite: str
) -> float | None:
    """The threshold of the suite-wide gate on ``metric``, drawn dashed on the charts."""
    for spec in config.gates:
        if (spec.metric, spec.aggregation, dict(spec.tags)) == (
            metric,
            aggregation,
            {"suite": suite},
        ):
            return spec.threshold
    return None


def _values(rows: list[dict[str, Any]], key: str) -> list[float]:
    return [NAN if row[key] is None else float(row[key]) for row in rows]


def _shade_steady(axes: Axes, summary: dict[str, Any]) -> None:
    window = summary.get("steady_window_s")
    if window:
        axes.axvspan(window[0], window[1], color="#ddf4ff", zorder=0, label="steady state")


def latency_chart(summary: dict[str, Any], p95_budget: float | None) -> str:
    points = summary["timeline"]
    xs = [p["t"] for p in points]

    def draw(axes: Axes) -> None:
        _shade_steady(axes, summary)
        axes.plot(xs, _values(points, "p50_ms"), color="#0969da", linewidth=1.4, label="P50")
        axes.plot(xs, _values(points, "p95_ms"), color="#bf3989", linewidth=1.4, label="P95")
        if p95_budget is not None:
            axes.axhline(
                p95_budget, color="#cf222e", linestyle="--", linewidth=0.8, label="P95 gate"
            )
        axes.set(xlabel="seconds", ylabel="ms (Locust's 10 s window)")
        axes.set_ylim(bottom=0)
        rate = axes.twinx()
        rate.plot(xs, _values(points, "rps"), color="#57606a", linewidth=1.0, label="req/s")
        target = summary["declared"]["target_rps"]
        rate.axhline(target, color="#57606a", linestyle=":", linewidth=0.8, label="declared req/s")
        rate.set_ylabel("req/s")
        rate.set_ylim(bottom=0)
        lines, labels = axes.get_legend_handles_labels()
        more_lines, more_labels = rate.get_legend_handles_labels()
        axes.legend(
            lines + more_lines,
            labels + more_labels,
            loc="upper left",
            bbox_to_anchor=(1.1, 1.0),
            fontsize=7,
            frameon=False,
        )

    return svg_data_uri(draw)


def resources_chart(
    summary: dict[str, Any], cpu_gate: float | None, memory_gate: float | None
) -> str:
    samples = summary["samples"]
    xs = [s["t"] for s in samples]

    def draw(axes: Axes) -> None:
        _shade_steady(axes, summary)
        for key, label, colour, gate in (
            ("cpu_pct", "CPU %", "#9a6700", cpu_gate),
            ("memory_pct", "memory %", "#8250df", memory_gate),
        ):
            axes.plot(xs, _values(samples, key), color=colour, linewidth=1.4, label=label)
            if gate is not None:
                axes.axhline(gate, color=colour, linestyle="--", linewidth=0.8)
        axes.set(xlabel="seconds", ylabel="% of cores / of budget")
        axes.set_ylim(0, 105)
        axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)

    return svg_data_uri(draw)


def load_sections(
    summary: dict[str, Any], config: QualityConfig, suite: str, folder: Path
) -> dict[str, str]:
    macros = template_environment().get_template("load.html").module
    overall = summary["overall"]
    links = [(label, str(folder / name)) for label, name in LINKS]
    over_time = latency_chart(summary, gate_threshold(config, "http_req_duration", "p(95)", suite))
    resources = resources_chart(
        summary,
        gate_threshold(config, "server_cpu", "avg", suite),
        gate_threshold(config, "server_memory", "avg", suite),
    )
    alt = (
        f"P50 and P95 latency and requests per second over {summary['declared']['duration_s']} s;"
        f" overall P95 {overall.get('p95_ms')} ms at {overall.get('steady_rps')} req/s"
    )
    return {
        "Load: percentiles per route": str(macros.percentiles(summary, links)),  # type: ignore[attr-defined]
        "Load over time": str(macros.chart(over_time, alt)),  # type: ignore[attr-defined]
        "Server CPU and memory": str(macros.resources(summary, resources)),  # type: ignore[attr-defined]
        **memory_sections(summary, config, suite),
        **profile_sections(summary, folder),
    }


def profile_sections(summary: dict[str, Any], folder: Path) -> dict[str, str]:
    """The hottest functions of a profiled run (``--profile``), linking py-spy's file."""
    profile = summary.get("profile")
    if not profile:
        return {}
    macros = template_environment().get_template("load.html").module
    speedscope = str(folder / profile["speedscope"])
    return {"Load: hottest functions": str(macros.hot_functions(profile, speedscope))}  # type: ignore[attr-defined]


GROWTH_LIMIT = 5.0  # % of the budget per hour: the flag's limit when no gate is declared


def growing(summary: dict[str, Any], limit: float) -> bool:
    """Flag a growth trend the way the gate judges it: sustained growth at or over its limit."""
    trend = (summary.get("memory") or {}).get("trend")
    return trend is not None and float(trend["sustained_budget_pct_per_h"]) >= limit


def memory_chart(summary: dict[str, Any], limit: float) -> str:
    """RSS in MB over time: steady state shaded, peak marked, the fitted trends, a growth flag."""
    samples, memory = summary["samples"], summary.get("memory") or {}
    xs = [s["t"] for s in samples]
    mbs = [s["rss_bytes"] / MB for s in samples]
    trend, flagged = memory.get("trend"), growing(summary, limit)

    def draw(axes: Axes) -> None:
        _shade_steady(axes, summary)
        axes.plot(xs, mbs, color="#8250df", linewidth=1.2, label="RSS, all server processes")
        if "peak_mb" in memory:
            axes.plot(memory["peak_t"], memory["peak_mb"], "v", color="#cf222e", label="peak")
            late = memory["peak_t"] > (xs[-1] + xs[0]) / 2  # label on the inner side
            axes.annotate(
                f"peak {memory['peak_mb']:g} MB",
                (memory["peak_t"], memory["peak_mb"]),
                textcoords="offset points",
                xytext=(-6 if late else 6, -3),
                ha="right" if late else "left",
                fontsize=7,
            )
        if trend:
            # Each half's Theil–Sen line: what the gate judged, not a smoothed guess.
            colour = "#cf222e" if flagged else "#1a7f37"
            for i, (x0, x1, y0, y1) in enumerate(trend["lines"]):
                label = f"trend {trend['sustained_mb_per_min']:+g} MB/min" if i == 0 else None
                axes.plot(
                    [x0, x1], [y0, y1], color=colour, linestyle="--", linewidth=2.0, label=label
                )
        if flagged:
            axes.text(
                0.02,
                0.9,
                "GROWTH TREND",
                transform=axes.transAxes,
                color="#cf222e",
                fontweight="bold",
            )
        # A flat curve must look flat: the y axis spans at least a tenth of the peak.
        top, low = max(mbs), min(mbs)
        margin = max(0.0, 0.1 * top - (top - low)) / 2 + 0.03 * top
        axes.set_ylim(max(0.0, low - margin), top + margin)
        axes.set(xlabel="seconds", ylabel="MB")
        axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)

    return svg_data_uri(draw)


def memory_sections(summary: dict[str, Any], config: QualityConfig, suite: str) -> dict[str, str]:
    """The RSS curve and its figures; the flag follows the growth gate's threshold."""
    if not summary.get("samples"):
        return {}
    gate = gate_threshold(config, "server_memory_growth", "per_hour", suite)
    limit = GROWTH_LIMIT if gate is None else gate
    macros = template_environment().get_template("load.html").module
    html = macros.memory(summary, memory_chart(summary, limit), limit, growing(summary, limit))  # type: ignore[attr-defined]
    return {"Server memory (RSS)": str(html)}
