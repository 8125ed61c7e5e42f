"""The server's memory under load: peak RSS, RSS at the steady window's ends, growth trend.

A leak is RSS that keeps creeping while the load stays the same. What must *not* count as
one: the warm-up (caches, the connection and thread pools filling; measured under the CI
load: steep for about three minutes, then slowing) and the steps of Python's allocators (a
new arena or heap and RSS jumps a megabyte or more, then stays flat). So:

* the first half of the steady window, and at least ``MIN_WARMUP_S``, is warm-up; the rest
  is the trend window, and a trend is measured only when each of its halves lasts
  ``MIN_HALF_S`` (a 60-second CI run is all warm-up: no trend rather than a noisy one);
* in each half the slope is Theil–Sen's (the median of the slopes between all pairs of
  samples): spikes and drops (a GC, a big response) do not move it;
* the *sustained* slope is the smaller of the two: a leak grows in both halves, while a
  single step — which tilts any line fitted across it, Theil–Sen's too when it falls near
  the middle — sits near an edge of at least one half, where it cannot tilt it;
* the growth over the trend window, in % of its level, is reported with it.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from load.sampler import Sample

MB = 1024 * 1024
MIN_WARMUP_S = 180.0  # the shortest warm-up, whatever the run's length
MIN_HALF_S = 30.0  # the shortest half of the trend window a slope is measured in
ENDS_S = 10.0  # RSS "at" a window's start or end: the median over this many seconds there
MAX_POINTS = 600  # Theil–Sen is quadratic: longer soaks are thinned evenly to this many


def theil_sen(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """(slope, intercept) of the Theil–Sen line through ``(x, y)`` points (at least two)."""
    if len(points) > MAX_POINTS:
        stride = len(points) / MAX_POINTS
        points = [points[int(i * stride)] for i in range(MAX_POINTS)]
    slopes = [
        (y2 - y1) / (x2 - x1)
        for i, (x1, y1) in enumerate(points)
        for x2, y2 in points[i + 1 :]
        if x2 != x1
    ]
    slope = statistics.median(slopes)
    intercept = statistics.median(y - slope * x for x, y in points)
    return slope, intercept


def _mb(samples: Sequence[Sample]) -> float:
    return round(statistics.median(s.rss_bytes for s in samples) / MB, 1)


def _segment(points: Sequence[tuple[float, float]]) -> tuple[float, list[float]]:
    """Theil–Sen slope in MB/min and the fitted line's ends [x0, x1, y0, y1]."""
    slope, intercept = theil_sen(points)
    x0, x1 = points[0][0], points[-1][0]
    ends = [x0, x1, intercept + slope * x0, intercept + slope * x1]
    return 60.0 * slope, [round(v, 2) for v in ends]


def trend(samples: Sequence[Sample], started: float, budget_mb: float) -> dict[str, Any] | None:
    """The growth of RSS over ``samples`` (the trend window); times in seconds from start.

    None when either of its halves has fewer than two samples.
    """
    points = [(s.t - started, s.rss_bytes / MB) for s in samples]
    middle = (points[0][0] + points[-1][0]) / 2
    halves = [p for p in points if p[0] <= middle], [p for p in points if p[0] >= middle]
    if min(len(h) for h in halves) < 2:
        return None
    (early, early_line), (late, late_line) = (_segment(h) for h in halves)
    whole, _ = _segment(points)
    level = statistics.median(y for _, y in points)
    sustained = min(early, late)
    return {
        "from_s": round(points[0][0], 1),
        "to_s": round(points[-1][0], 1),
        "level_mb": round(level, 1),
        "slope_mb_per_min": round(whole, 3),
        "halves_mb_per_min": [round(early, 3), round(late, 3)],
        "sustained_mb_per_min": round(sustained, 3),
        # in % of the memory budget per hour: the figure the gate judges
        "sustained_budget_pct_per_h": round(100.0 * 60.0 * sustained / budget_mb, 2),
        "growth_pct": round(whole * (points[-1][0] - points[0][0]) / 60.0 / level * 100.0, 2),
        "lines": [early_line, late_line],  # what was fitted, for the report's chart
    }


def memory_figures(
    samples: Sequence[Sample],
    window: tuple[float, float] | None,
    started: float,
    budget_mb: float,
) -> dict[str, Any]:
    """Peak RSS of the whole run; RSS at the steady window's ends and its trend, if it has one."""
    if not samples:
        return {"samples": 0, "trend": None, "trend_note": "no server samples"}
    peak = max(samples, key=lambda s: s.rss_bytes)
    figures: dict[str, Any] = {
        "samples": len(samples),
        "peak_mb": round(peak.rss_bytes / MB, 1),
        "peak_t": round(peak.t - started, 1),
        "trend": None,
    }
    inside = [s for s in samples if window and window[0] <= s.t <= window[1]]
    if window is None or len(inside) < 2:
        figures["trend_note"] = "no steady state"
        return figures
    figures["start_mb"] = _mb([s for s in inside if s.t <= window[0] + ENDS_S])
    figures["end_mb"] = _mb([s for s in inside if s.t >= window[1] - ENDS_S])
    warmup = max((window[1] - window[0]) / 2, MIN_WARMUP_S)
    figures["warmup_s"] = round(warmup, 1)
    after = [s for s in inside if s.t >= window[0] + warmup]
    long_enough = window[1] - window[0] - warmup >= 2 * MIN_HALF_S
    found = trend(after, started, budget_mb) if long_enough and len(after) >= 4 else None
    if found is None:
        figures["trend_note"] = (
            f"a steady state of {window[1] - window[0]:.0f} s is too short to tell a trend from "
            f"the warm-up (it needs {MIN_WARMUP_S + 2 * MIN_HALF_S:.0f} s)"
        )
    figures["trend"] = found
    return figures
