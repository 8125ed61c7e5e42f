"""The load suite's measurements, gates and report sections, from a summary.json."""

from __future__ import annotations

import base64
import copy
from pathlib import Path
from typing import Any

from load.memory import MB, memory_figures
from load.sampler import Sample
from quality.config import load
from quality.gates import evaluate_all
from quality.load_report import load_sections
from quality.load_suite import measurements, not_judged
from quality.model import SuiteResult
from quality.outcome import SuiteOutcome
from quality.run import gates_to_judge

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
    """The load gates as ``quality run --only load`` judges them (other suites skipped)."""
    config = load(ROOT)
    outcome = SuiteOutcome(
        result=SuiteResult(name="load", status="passed", duration_s=1.0),
        measurements=measurements(summary, "load", "load/summary.json"),
        not_judged=not_judged(summary, "load"),
    )
    return {
        g.gate: g.status
        for g in evaluate_all(gates_to_judge(config, [outcome]), outcome.measurements)
    }


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
        "Server memory (RSS)",
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


T0 = 1_800_000_000


def with_memory(rss_mb: list[float], soak: bool) -> dict[str, Any]:
    """SUMMARY over ``len(rss_mb)`` seconds, one RSS sample a second, figured as load/ does."""
    summary = copy.deepcopy(SUMMARY)
    samples = [
        Sample(t=T0 + i, cpu_seconds=0.0, rss_bytes=int(mb * MB), processes=1)
        for i, mb in enumerate(rss_mb)
    ]
    end = len(rss_mb) - 1
    summary["declared"].update(duration_s=len(rss_mb), soak=soak)
    summary["steady_window_s"] = [20, end]
    summary["memory"] = memory_figures(samples, (T0 + 20, T0 + end), T0, budget_mb=512)
    summary["samples"] = [
        {"t": float(i), "rss_bytes": int(mb * MB), "cpu_pct": 40.0, "memory_pct": mb / 5.12}
        for i, mb in enumerate(rss_mb)
    ]
    return summary


def wobble(i: int) -> float:
    """Allocation noise, ±0.4 MB."""
    return 0.4 * ((i * 7919) % 11 - 5) / 5


def leaking(seconds: int) -> list[float]:
    """150 MB, then 1 MB a minute more: about 12 % of the budget per hour."""
    return [150.0 + i / 60 + wobble(i) for i in range(seconds)]


def plateau(seconds: int) -> list[float]:
    """A warm-up climb of 30 MB over three minutes, a 3 MB allocator step, then flat."""
    return [
        150.0 + 30.0 * min(i, 180) / 180 + (3.0 if i > 0.73 * seconds else 0.0) + wobble(i)
        for i in range(seconds)
    ]


GROWTH_GATE = "server_memory_growth{suite:load}: per_hour < 5%"


def test_a_soak_whose_memory_keeps_growing_fails_the_growth_gate() -> None:
    assert judged(with_memory(leaking(600), soak=True))[GROWTH_GATE] == "fail"


def test_a_soak_that_plateaus_after_its_warm_up_passes_the_growth_gate() -> None:
    assert judged(with_memory(plateau(600), soak=True))[GROWTH_GATE] == "pass"


def test_a_run_that_is_not_a_soak_shows_its_trend_but_leaves_the_gate_unjudged() -> None:
    """A 3- or 5-minute run is still warming up: only a soak is judged."""
    summary = with_memory(leaking(600), soak=False)
    assert GROWTH_GATE not in judged(summary)
    assert not_judged(summary, "load") == {
        "server_memory_growth{suite:load}": "not a soak run (--soak): its trend is shown, not gated"
    }
    section = load_sections(summary, load(ROOT), "load", Path("x"))["Server memory (RSS)"]
    assert "growth trend</span>" in section
    assert "Not a soak run: shown, not gated." in section


def test_a_ci_sized_run_leaves_the_growth_gate_unjudged_and_says_why() -> None:
    summary = with_memory(leaking(60), soak=False)
    assert GROWTH_GATE not in judged(summary)
    (why,) = not_judged(summary, "load").values()
    assert why == "not a soak run (--soak): too short for a trend"


def test_a_soak_too_short_for_a_trend_fails_with_no_data_and_says_why() -> None:
    summary = with_memory(leaking(60), soak=True)
    assert judged(summary)[GROWTH_GATE] == "no-data"
    (gate,) = evaluate_all(
        [s for s in load(ROOT).gates if s.metric == "server_memory_growth"],
        measurements(summary, "load", "load/summary.json"),
    )
    assert "too short to tell a trend from the warm-up" in gate.detail


def svg(section: str) -> str:
    uri = section.split('src="', 1)[1].split('"', 1)[0]
    return base64.b64decode(uri.removeprefix("data:image/svg+xml;base64,")).decode()


def test_the_rss_chart_flags_a_growth_trend_and_marks_the_peak() -> None:
    sections = load_sections(with_memory(leaking(600), soak=True), load(ROOT), "load", Path("x"))
    section = sections["Server memory (RSS)"]
    assert "A soak run: the declared load for 600 s." in section
    assert "Peak RSS <strong>" in section
    assert 'class="badge badge-fail">growth trend' in section
    chart = svg(section)
    assert "GROWTH TREND" in chart
    assert "peak 160" in chart  # 150 MB + 10 minutes at 1 MB/min, at the end


def test_the_rss_chart_of_a_plateau_raises_no_flag() -> None:
    section = load_sections(with_memory(plateau(600), soak=True), load(ROOT), "load", Path("x"))[
        "Server memory (RSS)"
    ]
    assert 'class="badge badge-pass">plateau' in section
    assert "GROWTH TREND" not in svg(section)


def test_a_short_run_shows_its_memory_without_a_trend() -> None:
    section = load_sections(with_memory(leaking(60), soak=False), load(ROOT), "load", Path("x"))[
        "Server memory (RSS)"
    ]
    assert "No growth trend" in section
    assert "judges soak runs only" in section
