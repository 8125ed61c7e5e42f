"""The capacity tool's two figures, from hand-made steps."""

from __future__ import annotations

from typing import Any

from load.capacity import at_cpu_mark, within_budget


def row(users: int, rps: float, p95: float, cpu: float, errors: float = 0.0) -> dict[str, Any]:
    return {
        "users": users,
        "rps": rps,
        "p95_ms": p95,
        "error_rate_pct": errors,
        "cpu_avg_pct": cpu,
    }


def test_the_figures_at_70_percent_cpu_lie_between_the_steps_around_it() -> None:
    steps = [row(10, 40, 20, 30), row(20, 80, 30, 60), row(30, 120, 130, 80)]
    assert at_cpu_mark(steps) == {"p95_ms": 80.0, "rps": 100.0}
    assert at_cpu_mark(steps[:2]) is None  # the mark was never reached


def test_a_step_is_within_budget_only_under_both_limits() -> None:
    assert within_budget(row(10, 40, 499, 30))
    assert not within_budget(row(10, 40, 500, 30))
    assert not within_budget(row(10, 40, 20, 30, errors=0.1))
