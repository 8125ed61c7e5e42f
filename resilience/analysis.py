"""What users saw during a scenario: availability, gaps, failures per fault, hangs."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from resilience.traffic import HANG_SECONDS, Request

# A failure belongs to a kill when it ends within this long after it (in-flight requests
# cut, the next requests on the dead worker's connections); later ones are "late".
KILL_WINDOW_SECONDS = 2.0


def availability_pct(requests: Sequence[Request]) -> float:
    if not requests:
        return 0.0
    return round(100 * sum(r.ok for r in requests) / len(requests), 3)


def longest_gap_s(requests: Sequence[Request], start: float, end: float) -> float:
    """The longest stretch of ``[start, end]`` in which no request succeeded."""
    moments = [start, *sorted(r.end for r in requests if r.ok and start <= r.end <= end), end]
    return round(max(b - a for a, b in itertools.pairwise(moments)), 3)


def failures_per_kill(requests: Sequence[Request], kills: Sequence[float]) -> list[int]:
    """Failed requests that ended within ``KILL_WINDOW_SECONDS`` after each kill."""
    failed = [r for r in requests if not r.ok]
    return [sum(1 for r in failed if kill <= r.end <= kill + KILL_WINDOW_SECONDS) for kill in kills]


def late_failures(requests: Sequence[Request], kills: Sequence[float], start: float) -> int:
    """Failures not explained by a kill just before them (or before any kill at all)."""
    late = 0
    for request in requests:
        if request.ok or request.end < start:
            continue
        before = [k for k in kills if k <= request.end]
        if not before or request.end > max(before) + KILL_WINDOW_SECONDS:
            late += 1
    return late


def hangs(requests: Sequence[Request]) -> int:
    """Requests that took longer than a user waits (answered or not)."""
    return sum(1 for r in requests if r.ms >= HANG_SECONDS * 1000)


def unclean_failures(requests: Sequence[Request]) -> int:
    """Failures that were not a quick 503 problem+json (a 500, a cut connection, a hang)."""
    return sum(1 for r in requests if not r.ok and not r.clean_failure)
