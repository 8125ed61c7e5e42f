"""A quality run's results pushed to a Prometheus Pushgateway, for Grafana and the alerts.

Each push replaces the group ``(job="valeo_quality", branch=…)``: one branch's latest run,
scraped by Prometheus into a series over runs. Groups of branches no run has pushed for
``stale_after`` are deleted (a merged branch would otherwise stay on the dashboards and its
failed gates keep alerting). A failed push is reported, never fatal: the verdict stands.

The metrics (ops/prometheus and ops/grafana read them; change them together):
``valeo_quality_run_success``, ``_run_duration_seconds``, ``_run_last_timestamp_seconds``,
``_run_info{commit}``, ``_gate_passed{gate,suite}``, ``_gates_failed``,
``_coverage_ratio{suite,layer}``, ``_tests{suite,outcome}``, ``_suite_duration_seconds{suite}``,
``_load_p95_seconds``, ``_load_error_ratio``, ``_contract_failures``, ``_critical_paths_ratio``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from prometheus_client import CollectorRegistry, Gauge, delete_from_gateway, push_to_gateway

from quality.model import GateResult, RunSummary

JOB = "valeo_quality"
SUITE_TAG = re.compile(r"[{,]suite:([^,}]+)")
# Figures published on their own, read from the gate that judges them: (metric key,
# aggregation) -> (metric name, factor from the gate's unit to the published one).
FIGURES = {
    ("http_req_duration{suite:load}", "p(95)"): ("valeo_quality_load_p95_seconds", 0.001),
    ("http_req_failed{suite:load}", "rate"): ("valeo_quality_load_error_ratio", 0.01),
    ("contracts{suite:contracts}", "failures"): ("valeo_quality_contract_failures", 1.0),
    ("critical_paths{suite:e2e}", "coverage"): ("valeo_quality_critical_paths_ratio", 0.01),
}
STALE_AFTER = timedelta(days=30)


@dataclass
class Publication:
    """What a publish did: the URL, the group, and what went wrong (``error``) if it failed."""

    url: str
    branch: str
    metrics: int = 0
    removed_groups: list[dict[str, str]] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _gate_key(gate: GateResult) -> tuple[str, str]:
    """(metric key, aggregation) of a judged gate, from its label ``key: agg op value``."""
    key, _, expression = gate.gate.partition(": ")
    aggregation = expression.split(" ", 1)[0]
    return key, aggregation


def _suite_of(gate: GateResult) -> str:
    match = SUITE_TAG.search(_gate_key(gate)[0])
    return match.group(1) if match else ""


def build_registry(summary: RunSummary, finished: float) -> CollectorRegistry:
    """The run as gauges in a registry of their own (nothing of this process's)."""
    registry = CollectorRegistry()

    def gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(name, doc, labels, registry=registry)

    gauge("valeo_quality_run_success", "1 when every gate passed, else 0").set(
        1 if summary.verdict == "pass" else 0
    )
    gauge("valeo_quality_run_duration_seconds", "Wall time of the quality run").set(
        summary.duration_s
    )
    gauge("valeo_quality_run_last_timestamp_seconds", "Unix time the run finished").set(finished)
    gauge("valeo_quality_run_info", "The run's commit; always 1", ("commit",)).labels(
        summary.commit or "unknown"
    ).set(1)
    judged = [g for g in summary.gates if g.status in ("pass", "fail", "no-data")]
    passed = gauge("valeo_quality_gate_passed", "1 passed, 0 failed or no data", ("gate", "suite"))
    for gate in judged:
        passed.labels(gate.gate, _suite_of(gate)).set(1 if gate.status == "pass" else 0)
    gauge("valeo_quality_gates_failed", "Gates failed (or without data)").set(
        sum(g.status != "pass" for g in judged)
    )
    coverage = gauge("valeo_quality_coverage_ratio", "Coverage, 0–1", ("suite", "layer"))
    for suite, layers in summary.coverage.items():
        for layer, figure in layers.items():
            coverage.labels(suite, layer).set(round(figure.percent / 100, 6))
    tests = gauge("valeo_quality_tests", "Tests by suite and outcome", ("suite", "outcome"))
    durations = gauge("valeo_quality_suite_duration_seconds", "Wall time per suite", ("suite",))
    for result in summary.suites:
        failed = result.failures + result.errors
        for outcome, count in (
            ("passed", max(result.tests - failed - result.skipped, 0)),
            ("failed", failed),
            ("skipped", result.skipped),
        ):
            tests.labels(result.name, outcome).set(count)
        durations.labels(result.name).set(result.duration_s)
    for gate in summary.gates:
        published = FIGURES.get(_gate_key(gate))
        if published is not None and gate.actual is not None:
            name, factor = published
            gauge(name, f"{gate.metric}, as judged by its gate").set(gate.actual * factor)
    return registry


def _groups(url: str, client: httpx.Client) -> Iterator[tuple[dict[str, str], float]]:
    """The Pushgateway's groups of our job with their last push (Unix time)."""
    reply = client.get(f"{url.rstrip('/')}/api/v1/metrics")
    reply.raise_for_status()
    for group in reply.json().get("data", []):
        labels: dict[str, str] = group.get("labels", {})
        if labels.get("job") != JOB:
            continue
        pushed = group.get("push_time_seconds", {}).get("metrics", [{}])[0].get("value")
        yield labels, float(pushed or 0)


def remove_stale_groups(
    url: str, *, keep: dict[str, str], stale_after: timedelta, now: float, client: httpx.Client
) -> list[dict[str, str]]:
    """Delete our job's groups not pushed for ``stale_after`` (never the one just pushed)."""
    removed = []
    for labels, pushed in list(_groups(url, client)):
        grouping = {k: v for k, v in labels.items() if k != "job"}
        if grouping == keep or now - pushed < stale_after.total_seconds():
            continue
        delete_from_gateway(url, job=JOB, grouping_key=grouping)
        removed.append(grouping)
    return removed


def publish(
    summary: RunSummary,
    url: str,
    *,
    stale_after: timedelta = STALE_AFTER,
    clock: Callable[[], float] = time.time,
) -> Publication:
    """Push ``summary`` as the group of its branch; report, never raise, a failure."""
    branch = summary.branch or "unknown"
    publication = Publication(url=url, branch=branch)
    now = clock()
    finished = _finished_at(summary.finished_at, default=now)
    try:
        registry = build_registry(summary, finished)
        publication.metrics = sum(1 for _ in registry.collect())
        push_to_gateway(url, job=JOB, grouping_key={"branch": branch}, registry=registry)
        with httpx.Client(timeout=10) as client:
            publication.removed_groups = remove_stale_groups(
                url, keep={"branch": branch}, stale_after=stale_after, now=now, client=client
            )
    except (OSError, httpx.HTTPError, ValueError) as exc:  # URLError is an OSError
        publication.error = f"{type(exc).__name__}: {exc}"
    return publication


def _finished_at(iso: str, *, default: float) -> float:
    try:
        return datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return default


def describe(publication: Publication) -> dict[str, Any]:
    """For the report and the console."""
    return {
        "url": publication.url,
        "job": JOB,
        "branch": publication.branch,
        "metrics": publication.metrics,
        "removed_stale_groups": publication.removed_groups,
        "error": publication.error,
    }
