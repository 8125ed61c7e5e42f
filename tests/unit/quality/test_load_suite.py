"""The load suite's measurements, gates and report sections, from a summary.json."""

from __future__ import annotations

import base64
import copy
from pathlib import Path
from typing import Any

from quality.config import load
from quality.gates import evaluate_all
from quality.load_report import load_sections
from quality.load_suite import measurements

ROOT = Path(__file__).resolve().parents[3]


def route(name: str, p95: float | None, requests: int = 100, failures: int = 0) -> dict[str, Any]:
    return {
        "route": name,
        "requests": requests,
        "failures": failures,
        "error_rate_pct": 0.0,
        "rps": 2.5,
        "avg_ms": 10.0,
        "max_ms": 700.0,
        "p50_ms": 8.0 if p95 is not None else None,
        "p95_ms": p95,
        "p99_ms": p95,
    }


SUMMARY: dict[str, Any] = {
    "declared": {
        "users": 20,
        "rate_per_user": 4.0,
        "duration_s": 60,
        "spawn_rate": 1,
        "workers": 1,
        "server_cores": 1,
        "pinned": True,
        "memory_budget_mb_per_worker": 512,
        "customers": 5000,
        "processes": 0,
        "target_rps": 80.0,
    },
    "overall": {
        **route("Aggregated", 40.0, requests=4000, failures=2),
        "error_rate_pct": 0.05,
        "steady_rps": 79.2,
        "target_reached_pct": 99.0,
    },
    "routes": [route("GET /api/v1/customers", 31.0), route("GET /api/v1/pipeline/summary", 640.0)],
    "steady_window_s": [20, 60],
    "server": {
        "samples": 40,
        "cores": 1,
        "cpu_avg_pct": 42.5,
        "cpu_max_pct": 51.0,
        "memory_avg_pct": 28.0,
        "memory_max_pct": 30.0,
        "rss_max_mb": 150.0,
        "processes": 1,
    },
    "timeline": [
        {
            "t": t,
            "users": min(20, t),
            "rps": 80.0,
            "failures_per_s": 0.0,
            "p50_ms": 8.0,
            "p95_ms": None if t == 0 else 30.0,
            "total_requests": 80 * t,
        }
        for t in range(61)
    ],
    "samples": [
        {
            "t": float(t),
            "cpu_seconds": 0.4 * t,
            "rss_bytes": 150_000_000,
            "processes": 1,
            "cpu_pct": None if t == 0 else 40.0,
            "memory_pct": 28.0,
        }
        for t in range(61)
    ],
    "failures": [{"route": "GET /api/v1/customers", "error": "HTTPError 503", "occurrences": 2}],
    "seed_s": 0.1,
}


def judged(summary: dict[str, Any]) -> dict[str, str]:
    config = load(ROOT)
    found = measurements(summary, "load", "load/summary.json")
    load_gates = [spec for spec in config.gates if dict(spec.tags).get("suite") == "load"]
    return {g.gate: g.status for g in evaluate_all(load_gates, found)}


def test_the_declared_gates_judge_every_route_and_the_server() -> None:
    statuses = judged(SUMMARY)
    assert statuses == {
        "http_req_duration{suite:load}: p(95) < 500ms": "pass",
        "http_req_duration{route:GET /api/v1/customers,suite:load}: p(95) < 500ms": "pass",
        "http_req_duration{route:GET /api/v1/pipeline/summary,suite:load}: p(95) < 500ms": "fail",
        "http_req_failed{suite:load}: rate < 0.1%": "pass",
        "server_cpu{suite:load}: avg < 70%": "pass",
        "server_memory{suite:load}: avg < 80%": "pass",
        "http_reqs{suite:load}: target_reached >= 95%": "pass",
    }


def test_missing_throughput_errors_and_resources_fail_their_gates() -> None:
    worse = copy.deepcopy(SUMMARY)
    worse["overall"].update(error_rate_pct=0.5, target_reached_pct=80.0)
    worse["server"].update(cpu_avg_pct=75.0, memory_avg_pct=85.0)
    statuses = judged(worse)
    for gate in ("http_req_failed", "server_cpu", "server_memory", "http_reqs"):
        assert statuses[next(k for k in statuses if k.startswith(gate))] == "fail", gate


def test_a_route_without_percentiles_and_a_run_without_samples_have_no_data() -> None:
    broken = copy.deepcopy(SUMMARY)
    broken["routes"].append(route("GET /never-answered", None))
    broken["server"] = {"samples": 1}
    del broken["overall"]["target_reached_pct"]
    statuses = judged(broken)
    assert statuses["http_req_duration{route:GET /never-answered,suite:load}: p(95) < 500ms"] == (
        "no-data"
    )
    assert statuses["server_cpu{suite:load}: avg < 70%"] == "no-data"
    assert statuses["http_reqs{suite:load}: target_reached >= 95%"] == "no-data"


def test_sections_show_the_declared_load_every_route_and_two_charts() -> None:
    sections = load_sections(SUMMARY, load(ROOT), "load", Path("load"))
    assert list(sections) == [
        "Load: percentiles per route",
        "Load over time",
        "Server CPU and memory",
    ]
    table = sections["Load: percentiles per route"]
    assert "20 users × 4 req/s" in table
    assert "<strong>80 req/s</strong>" in table
    assert "GET /api/v1/pipeline/summary" in table
    assert '<td class="num">640</td>' in table
    assert "HTTPError 503" in table
    assert 'href="load/locust.html"' in table
    for title in ("Load over time", "Server CPU and memory"):
        uri = sections[title].split('src="', 1)[1].split('"', 1)[0]
        assert base64.b64decode(uri.removeprefix("data:image/svg+xml;base64,")).startswith(b"<?xml")
    assert "CPU average <strong>42.5 %</strong>" in sections["Server CPU and memory"]
