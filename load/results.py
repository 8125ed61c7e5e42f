"""Turn Locust's CSV files and the server samples into one summary (``summary.json``).

Locust's ``<prefix>_stats.csv`` has a row per (method, name) plus "Aggregated";
``<prefix>_stats_history.csv`` has one aggregated row per second (current RPS and
percentiles over Locust's sliding window, cumulative counts). The steady state starts with
the first history row at the full user count: the declared throughput is judged there.
"""

from __future__ import annotations

import csv
import itertools
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from load.memory import memory_figures
from load.sampler import Sample

PERCENTILES = {"p50_ms": "50%", "p95_ms": "95%", "p99_ms": "99%"}
MB = 1024 * 1024


@dataclass(frozen=True)
class DeclaredLoad:
    users: int
    rate_per_user: float  # tasks per second per user; every task is one request
    duration_s: int
    spawn_rate: float
    workers: int
    server_cores: int
    pinned: bool  # server and load generator on separate cores
    memory_budget_mb_per_worker: int
    customers: int
    processes: int  # Locust worker processes (0: one process)
    articles: int = 0  # volume articles and sales orders in the seeded database
    orders: int = 0
    soak: bool = False  # a long run whose memory must plateau (--soak)

    @property
    def target_rps(self) -> float:
        return self.users * self.rate_per_user

    @property
    def memory_budget_bytes(self) -> int:
        return self.memory_budget_mb_per_worker * MB * self.workers


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "", "N/A") else None
    except ValueError:
        return None


def _read(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _row_figures(row: dict[str, str]) -> dict[str, Any]:
    requests = int(row["Request Count"])
    failures = int(row["Failure Count"])
    figures: dict[str, Any] = {
        "requests": requests,
        "failures": failures,
        "error_rate_pct": round(100.0 * failures / requests, 4) if requests else 0.0,
        "rps": round(_number(row["Requests/s"]) or 0.0, 2),
        "avg_ms": round(_number(row["Average Response Time"]) or 0.0, 1),
        "max_ms": round(_number(row["Max Response Time"]) or 0.0, 1),
    }
    for key, column in PERCENTILES.items():
        figures[key] = _number(row.get(column))
    return figures


def route_table(stats_csv: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(overall figures, figures per route) from ``<prefix>_stats.csv``."""
    overall: dict[str, Any] = {}
    routes = []
    for row in _read(stats_csv):
        if row["Name"] == "Aggregated":
            overall = _row_figures(row)
        else:
            routes.append({"route": f"{row['Type']} {row['Name']}", **_row_figures(row)})
    routes.sort(key=lambda r: r["route"].split(" ", 1)[1] + " " + r["route"])
    return overall, routes


def timeline(history_csv: Path) -> list[dict[str, Any]]:
    rows = [r for r in _read(history_csv) if r.get("Name") == "Aggregated"]
    if not rows:
        return []
    return [
        {
            "t": int(r["Timestamp"]),
            "users": int(r["User Count"]),
            "rps": round(_number(r["Requests/s"]) or 0.0, 2),
            "failures_per_s": round(_number(r["Failures/s"]) or 0.0, 2),
            "p50_ms": _number(r["50%"]),
            "p95_ms": _number(r["95%"]),
            "total_requests": int(r["Total Request Count"]),
        }
        for r in rows
    ]


def steady_window(points: list[dict[str, Any]], users: int) -> tuple[int, int] | None:
    """(first, last) second of the steady state: every user running, until the end."""
    full = [p["t"] for p in points if p["users"] >= users]
    if len(full) < 2 or full[-1] <= full[0]:
        return None
    return full[0], full[-1]


def steady_rps(points: list[dict[str, Any]], window: tuple[int, int] | None) -> float | None:
    if window is None:
        return None
    by_t = {p["t"]: p for p in points}
    first, last = by_t[window[0]], by_t[window[1]]
    requests = int(last["total_requests"]) - int(first["total_requests"])
    return requests / (window[1] - window[0])


def server_figures(
    samples: list[Sample], declared: DeclaredLoad, window: tuple[float, float] | None
) -> dict[str, Any]:
    """CPU = CPU seconds ÷ (server cores × wall seconds); memory = RSS ÷ memory budget."""
    inside = [s for s in samples if window is None or window[0] <= s.t <= window[1]]
    if len(inside) < 2:
        return {"samples": len(inside)}
    intervals = list(itertools.pairwise(inside))
    cores = declared.server_cores
    per_interval = [
        100.0 * (b.cpu_seconds - a.cpu_seconds) / (cores * (b.t - a.t))
        for a, b in intervals
        if b.t > a.t
    ]
    wall = inside[-1].t - inside[0].t
    memory = [100.0 * s.rss_bytes / declared.memory_budget_bytes for s in inside]
    return {
        "samples": len(inside),
        "cores": cores,
        "cpu_avg_pct": round(
            100.0 * (inside[-1].cpu_seconds - inside[0].cpu_seconds) / (cores * wall), 2
        ),
        "cpu_max_pct": round(max(per_interval), 2),
        "memory_avg_pct": round(sum(memory) / len(memory), 2),
        "memory_max_pct": round(max(memory), 2),
        "rss_max_mb": round(max(s.rss_bytes for s in inside) / MB, 1),
        "processes": max(s.processes for s in inside),
    }


def sample_series(
    samples: list[Sample], declared: DeclaredLoad, started: float
) -> list[dict[str, Any]]:
    """Each sample with CPU % over the second before it and memory % of the budget."""
    series = []
    for before, sample in zip([None, *samples], samples, strict=False):
        cpu = None
        if before is not None and sample.t > before.t:
            used = sample.cpu_seconds - before.cpu_seconds
            cpu = round(100.0 * used / (declared.server_cores * (sample.t - before.t)), 2)
        series.append(
            {
                **asdict(sample),
                "t": round(sample.t - started, 2),
                "cpu_pct": cpu,
                "memory_pct": round(100.0 * sample.rss_bytes / declared.memory_budget_bytes, 2),
            }
        )
    return series


def failures(failures_csv: Path) -> list[dict[str, Any]]:
    return [
        {
            "route": f"{r['Method']} {r['Name']}",
            "error": r["Error"][:300],
            "occurrences": int(r["Occurrences"]),
        }
        for r in _read(failures_csv)
    ]


def summarize(
    prefix: Path, samples: list[Sample], declared: DeclaredLoad, started: float
) -> dict[str, Any]:
    """Everything the gates and the report need, from one run's files.

    Locust's history and the samples both carry Unix times; the summary counts seconds from
    ``started``, when Locust was launched.
    """
    overall, routes = route_table(Path(f"{prefix}_stats.csv"))
    points = timeline(Path(f"{prefix}_stats_history.csv"))
    window = steady_window(points, declared.users)
    rps = steady_rps(points, window)
    if rps is not None and overall:
        overall["steady_rps"] = round(rps, 2)
        overall["target_reached_pct"] = round(100.0 * rps / declared.target_rps, 2)
    relative = [{**p, "t": p["t"] - round(started)} for p in points]
    return {
        "declared": {**asdict(declared), "target_rps": declared.target_rps},
        "overall": overall,
        "routes": routes,
        "steady_window_s": [w - round(started) for w in window] if window else None,
        "server": server_figures(samples, declared, window),
        "memory": memory_figures(samples, window, started, declared.memory_budget_bytes / MB),
        "timeline": relative,
        "samples": sample_series(samples, declared, started),
        "failures": failures(Path(f"{prefix}_failures.csv")),
    }
