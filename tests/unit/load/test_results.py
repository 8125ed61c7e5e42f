"""From Locust's CSV files and server samples to the load summary: hand-made files, known sums."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest

from load.results import DeclaredLoad, route_table, server_figures, steady_window, summarize
from load.sampler import Sample

STATS_HEADER = [
    "Type", "Name", "Request Count", "Failure Count", "Median Response Time",
    "Average Response Time", "Min Response Time", "Max Response Time",
    "Average Content Size", "Requests/s", "Failures/s", "50%", "66%", "75%", "80%", "90%",
    "95%", "98%", "99%", "99.9%", "99.99%", "100%",
]  # fmt: skip
HISTORY_HEADER = [
    "Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s", "50%", "66%",
    "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%",
    "Total Request Count", "Total Failure Count", "Total Median Response Time",
    "Total Average Response Time", "Total Min Response Time", "Total Max Response Time",
    "Total Average Content Size",
]  # fmt: skip
T0 = 1_800_000_000
DECLARED = DeclaredLoad(
    users=4,
    rate_per_user=2.5,
    duration_s=10,
    spawn_rate=2,
    workers=2,
    server_cores=1,
    pinned=True,
    memory_budget_mb_per_worker=100,
    customers=0,
    processes=0,
)


def stats_row(kind: str, name: str, count: int, failed: int, p50: str, p95: str) -> list[str]:
    row = dict.fromkeys(STATS_HEADER, "0")
    row.update({"Type": kind, "Name": name, "Request Count": str(count)})
    row.update({"Failure Count": str(failed), "50%": p50, "95%": p95, "99%": p95})
    row.update({"Requests/s": "4.5", "Average Response Time": "12.5", "Max Response Time": "700"})
    return [row[column] for column in STATS_HEADER]


def write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *rows])


def history_row(second: int, users: int, total: int) -> list[str]:
    row = dict.fromkeys(HISTORY_HEADER, "N/A")
    row.update({"Timestamp": str(T0 + second), "User Count": str(users), "Type": ""})
    row.update({"Name": "Aggregated", "Requests/s": "9.5", "Failures/s": "0"})
    row.update({"50%": "8", "95%": "30", "Total Request Count": str(total)})
    return [row[column] for column in HISTORY_HEADER]


@pytest.fixture
def locust_files(tmp_path: Path) -> Path:
    prefix = tmp_path / "locust"
    write(
        Path(f"{prefix}_stats.csv"),
        STATS_HEADER,
        [
            stats_row("GET", "/api/v1/customers", 900, 0, "9", "31"),
            stats_row("POST", "/api/v1/activities", 100, 2, "12", "650"),
            stats_row("GET", "/never-answered", 3, 3, "N/A", "N/A"),
            stats_row("", "Aggregated", 1003, 5, "9", "40"),
        ],
    )
    # Users ramp up over two seconds, then 10 requests per second for 8 seconds.
    history = [history_row(0, 0, 0), history_row(1, 2, 4), history_row(2, 4, 12)]
    history += [history_row(s, 4, 12 + 10 * (s - 2)) for s in range(3, 11)]
    write(Path(f"{prefix}_stats_history.csv"), HISTORY_HEADER, history)
    write(
        Path(f"{prefix}_failures.csv"),
        ["Method", "Name", "Error", "Occurrences"],
        [["POST", "/api/v1/activities", "HTTPError('409 Client Error')", "2"]],
    )
    return prefix


def test_routes_are_method_and_template_with_their_percentiles(locust_files: Path) -> None:
    overall, routes = route_table(Path(f"{locust_files}_stats.csv"))
    assert [r["route"] for r in routes] == [
        "POST /api/v1/activities",
        "GET /api/v1/customers",
        "GET /never-answered",
    ]
    activities = routes[0]
    assert (activities["p95_ms"], activities["failures"], activities["error_rate_pct"]) == (
        650.0,
        2,
        2.0,
    )
    assert routes[2]["p95_ms"] is None  # no answer, no percentile: the gate says "no data"
    assert (overall["requests"], overall["p95_ms"]) == (1003, 40.0)
    assert overall["error_rate_pct"] == pytest.approx(100 * 5 / 1003, abs=1e-4)


def test_throughput_is_judged_in_the_steady_state_only(locust_files: Path) -> None:
    summary = summarize(locust_files, [], DECLARED, started=T0 - 1)
    assert summary["steady_window_s"] == [3, 11]  # from the first second at full strength
    assert summary["overall"]["steady_rps"] == 10.0
    assert summary["overall"]["target_reached_pct"] == 100.0  # 4 users × 2.5 req/s
    assert summary["failures"][0]["occurrences"] == 2


def test_no_steady_state_without_two_seconds_at_full_strength() -> None:
    assert steady_window([{"t": 1, "users": 2}, {"t": 2, "users": 4}], users=4) is None


def sample(t: float, cpu: float, rss_mb: float) -> Sample:
    return Sample(t=T0 + t, cpu_seconds=cpu, rss_bytes=int(rss_mb * 1024 * 1024), processes=3)


def test_cpu_is_server_seconds_over_cores_times_wall_and_memory_is_rss_over_budget() -> None:
    samples = [sample(0, 0.0, 50), sample(1, 0.5, 60), sample(2, 1.5, 100), sample(4, 2.0, 90)]
    figures = server_figures(samples, DECLARED, window=(T0, T0 + 4))
    assert figures["cpu_avg_pct"] == 50.0  # 2 CPU seconds in 4 wall seconds on 1 core
    assert figures["cpu_max_pct"] == 100.0  # the second second
    # budget: 100 MB per worker × 2 workers; RSS 50, 60, 100, 90 MB
    assert figures["memory_avg_pct"] == 37.5
    assert figures["memory_max_pct"] == 50.0
    assert figures["rss_max_mb"] == 100.0


def test_samples_outside_the_window_do_not_count() -> None:
    samples = [sample(0, 0.0, 50), sample(1, 1.0, 50), sample(2, 1.1, 50), sample(3, 1.2, 50)]
    assert server_figures(samples, DECLARED, window=(T0 + 1, T0 + 3))["cpu_avg_pct"] == 10.0
    assert server_figures(samples[:1], DECLARED, window=None) == {"samples": 1}


def test_every_run_gets_its_memory_figures_and_a_soak_is_marked(locust_files: Path) -> None:
    samples = [sample(t, 0.1 * t, 50 + (30 if t == 1 else 0)) for t in range(12)]
    summary = summarize(locust_files, samples, replace(DECLARED, soak=True), started=T0)
    assert summary["declared"]["soak"] is True
    memory = summary["memory"]
    assert (memory["peak_mb"], memory["peak_t"]) == (80.0, 1.0)  # the ramp-up counts for the peak
    assert (memory["start_mb"], memory["end_mb"]) == (50.0, 50.0)
    assert memory["trend"] is None  # 8 s of steady state: all warm-up


def test_each_sample_carries_its_cpu_and_memory_share(locust_files: Path) -> None:
    samples = [sample(3, 0.0, 50), sample(4, 0.25, 50)]
    series = summarize(locust_files, samples, DECLARED, started=T0)["samples"]
    assert [(s["t"], s["cpu_pct"], s["memory_pct"]) for s in series] == [
        (3.0, None, 25.0),
        (4.0, 25.0, 25.0),
    ]
