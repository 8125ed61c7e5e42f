"""The load suite: an external command drives the declared load and writes summary.json.

The command (``[tool.quality.suites.load] commands``) gets ``--output <dir>`` and the
caller's extra arguments (``nox -s load -- --users 40``). Measurements, k6-style:
``http_req_duration`` (P50/P95/P99 overall and per route), ``http_req_failed`` (error
rate), ``http_reqs`` (share of the declared throughput reached in the steady state),
``server_cpu`` and ``server_memory`` (average and peak, in % of cores and of the budget),
``server_memory_growth`` (sustained RSS growth in % of the budget per hour, load/memory.py).
That gate judges soak runs only (``--soak``; others leave it unjudged and say so), and
a soak too short for a trend fails it with "no data".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from quality.config import QualityConfig, Suite
from quality.external import run_external
from quality.gates import Measurement, metric_key, tagged
from quality.load_report import load_sections
from quality.model import Failure
from quality.outcome import SuiteOutcome

LATENCY = {
    "p(50)": "p50_ms",
    "p(95)": "p95_ms",
    "p(99)": "p99_ms",
    "avg": "avg_ms",
    "max": "max_ms",
}
GROWTH = "server_memory_growth"


def _latencies(figures: dict[str, Any]) -> dict[str, float]:
    """Only what was measured: a route without a percentile gets no value (and no pass)."""
    return {
        agg: float(figures[key]) for agg, key in LATENCY.items() if figures.get(key) is not None
    }


def measurements(summary: dict[str, Any], suite: str, source: str) -> dict[str, Measurement]:
    tags = {"suite": suite}
    overall, server = summary["overall"], summary["server"]
    declared = summary["declared"]
    found: dict[str, Measurement] = {}
    if overall:
        found[metric_key("http_req_duration", tags)] = Measurement(
            "ms", _latencies(overall), source=source, note=f"{overall['requests']} requests"
        )
        found[metric_key("http_req_failed", tags)] = Measurement(
            "%",
            {"rate": float(overall["error_rate_pct"])},
            source=source,
            note=f"{overall['failures']} of {overall['requests']} requests failed",
        )
    for route in summary["routes"]:
        key, measurement = tagged(
            "http_req_duration", {**tags, "route": route["route"]}, "ms", _latencies(route), source
        )
        measurement.note = f"{route['requests']} requests, {route['failures']} failed"
        found[key] = measurement
    if "target_reached_pct" in overall:
        found[metric_key("http_reqs", tags)] = Measurement(
            "%",
            {"target_reached": float(overall["target_reached_pct"])},
            source=source,
            note=f"{overall['steady_rps']} of {declared['target_rps']:g} req/s declared",
        )
    for metric, prefix in (("server_cpu", "cpu"), ("server_memory", "memory")):
        if f"{prefix}_avg_pct" in server:
            found[metric_key(metric, tags)] = Measurement(
                "%",
                {
                    "avg": float(server[f"{prefix}_avg_pct"]),
                    "max": float(server[f"{prefix}_max_pct"]),
                },
                source=source,
                note=f"{server['samples']} samples over the steady state",
            )
    memory = summary.get("memory") or {}
    trend = memory.get("trend")
    if not trend and summary["declared"].get("soak"):
        # Still no data (a soak must measure a trend), but the gate says why there is none.
        found[metric_key(GROWTH, tags)] = Measurement(
            "%", source=source, note=memory.get("trend_note", "no memory figures")
        )
    if trend:
        early, late = trend["halves_mb_per_min"]
        found[metric_key(GROWTH, tags)] = Measurement(
            "%",
            {"per_hour": float(trend["sustained_budget_pct_per_h"])},
            source=source,
            note=f"% of the memory budget per hour: {trend['sustained_mb_per_min']:+g} MB/min, "
            f"the smaller of the trend window's halves ({early:+g}, {late:+g}); "
            f"{trend['growth_pct']:+g} % over {trend['from_s']:g}–{trend['to_s']:g} s",
        )
    return found


def not_judged(summary: dict[str, Any], suite: str) -> dict[str, str]:
    """The growth gate judges soak runs only: a shorter run is still warming up.

    Measured: RSS climbs steeply for the first ~3 minutes of the CI load, so a 3- or 5-minute
    run would go red on its warm-up. Its trend is still shown in the report.
    """
    if summary["declared"].get("soak"):
        return {}
    trend = (summary.get("memory") or {}).get("trend")
    why = "its trend is shown, not gated" if trend else "too short for a trend"
    return {metric_key(GROWTH, {"suite": suite}): f"not a soak run (--soak): {why}"}


def run_load(config: QualityConfig, suite: Suite, extra_args: list[str]) -> SuiteOutcome:
    outcome, out, code = run_external(config, suite, extra_args, "summary.json")
    result, summary_file = outcome.result, out / "summary.json"
    if code != 0 or not summary_file.exists():
        result.status, result.detail = "error", f"load run could not take place (exit code {code})"
        return outcome
    summary = json.loads(summary_file.read_text(encoding="utf-8"))
    overall = summary["overall"]
    result.tests, result.failures = overall.get("requests", 0), overall.get("failures", 0)
    result.failed = [
        Failure(
            name=f["route"], category="failed request", message=f"{f['occurrences']}× {f['error']}"
        )
        for f in summary["failures"]
    ]
    result.status = "failed" if result.failures else "passed"
    for label, name in (
        ("summary", "summary.json"),
        ("Locust report", "locust.html"),
        ("Locust statistics", "locust_stats.csv"),
        ("server samples", "samples.csv"),
        ("server log", "server/server.log"),
    ):
        if (out / name).exists():
            result.artefacts[label] = config.link(out / name)
    outcome.measurements = measurements(summary, suite.name, config.link(summary_file))
    outcome.not_judged = not_judged(summary, suite.name)
    outcome.sections = load_sections(summary, config, suite.name, Path(config.link(out)))
    return outcome
