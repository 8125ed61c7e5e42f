"""What users saw, computed from request logs: availability, gaps, failures per kill."""

from __future__ import annotations

from resilience import analysis
from resilience.traffic import Request


def req(t: float, status: int = 200, ms: float = 10, problem: bool = False) -> Request:
    return Request(t=t, ms=ms, route="customers", status=status, problem=problem, error=None)


def test_availability_counts_4xx_as_answered_and_5xx_or_no_answer_as_failed() -> None:
    requests = [req(0), req(1, 404), req(2, 503), req(3, 0)]
    assert analysis.availability_pct(requests) == 50.0
    assert analysis.availability_pct([]) == 0.0


def test_longest_gap_between_successes_within_the_window() -> None:
    requests = [req(0.0), req(1.0), req(1.5, 0), req(4.0), req(4.5)]
    # successes end at 0.01, 1.01, 4.01, 4.51; the window runs 0 … 6
    assert analysis.longest_gap_s(requests, 0.0, 6.0) == 3.0
    assert analysis.longest_gap_s([], 0.0, 2.0) == 2.0


def test_failures_belong_to_the_kill_just_before_them() -> None:
    kills = [10.0, 25.0]
    requests = [
        req(9.995, 0, ms=10),  # in flight at the first kill
        req(11.0, 0),  # within 2 s: the next request on the dead worker's connection
        req(20.0, 0),  # 10 s later: not explained by a kill
        req(25.5, 502),
        req(5.0, 500),  # before any kill
    ]
    assert analysis.failures_per_kill(requests, kills) == [2, 1]
    assert analysis.late_failures(requests, kills, start=0.0) == 2


def test_hangs_and_unclean_failures() -> None:
    requests = [
        req(0, 503, ms=40, problem=True),  # clean: a quick problem+json
        req(1, 503, ms=6000, problem=True),  # a hang, even if answered
        req(2, 500, problem=True),  # a 500 is never clean
        req(3, 0),  # no answer at all
        req(4, 200, ms=7000),  # answered fine, but the user waited too long
    ]
    assert analysis.hangs(requests) == 2
    assert analysis.unclean_failures(requests) == 3
