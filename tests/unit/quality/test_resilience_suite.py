"""The resilience suite's figures as gate measurements, judged by the declared gates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from quality.config import load
from quality.gates import evaluate_all
from quality.model import SuiteResult
from quality.outcome import SuiteOutcome
from quality.resilience_suite import measurements
from quality.run import gates_to_judge

ROOT = Path(__file__).resolve().parents[3]


def scenario(name: str, **figures: Any) -> dict[str, Any]:
    base = {
        "name": name,
        "availability_pct": 100.0,
        "longest_gap_s": 0.4,
        "recovery_s": 2.1,
        "excess_failures": 0,
        "late_failures": 0,
        "hangs": 0,
        "unclean_failures": 0,
        "readiness_flipped": 1,
        "inconsistencies": 0,
        "failures": 0,
        "requests": 2400,
    }
    return {**base, **figures}


def judged(*scenarios: dict[str, Any]) -> dict[str, str]:
    config = load(ROOT)
    specs = [g for g in config.gates if g.metric.startswith("resilience")]
    found = measurements({"scenarios": list(scenarios)}, "resilience", "summary.json")
    results = evaluate_all(specs, found)
    return {r.gate: r.status for r in results}


HEALTHY = (
    scenario("worker-kill", recovery_s=None),
    scenario("group-kill-supervisor"),
    scenario("group-kill-pm2"),
    scenario("db-outage"),
    scenario("slow-db"),
)


def test_a_healthy_run_passes_every_resilience_gate() -> None:
    statuses = judged(*HEALTHY)
    assert statuses
    assert set(statuses.values()) == {"pass"}
    # the wildcard consistency gate is judged once per scenario
    assert sum("inconsistencies" in gate for gate in statuses) == len(HEALTHY)


def test_each_gate_fails_on_its_own_figure() -> None:
    worse: dict[str, dict[str, Any]] = {
        "worker-kill": {"availability_pct": 99.8, "excess_failures": 1, "late_failures": 2},
        "group-kill-supervisor": {"recovery_s": 5.2},
        "group-kill-pm2": {"recovery_s": 6.0},
        "db-outage": {"readiness_flipped": 0, "hangs": 1, "unclean_failures": 3},
        "slow-db": {"inconsistencies": 1},
    }
    statuses = judged(*(scenario(s["name"], **worse.get(s["name"], {})) for s in HEALTHY))
    failed = {gate for gate, status in statuses.items() if status == "fail"}
    assert len(failed) == 9, failed
    assert any("slow-db" in gate and "inconsistencies" in gate for gate in failed)


def test_a_run_without_the_resilience_suite_does_not_judge_its_gates() -> None:
    config = load(ROOT)
    unit = SuiteOutcome(SuiteResult(name="unit", status="passed", duration_s=1.0))
    judged_specs = gates_to_judge(config, [unit])
    assert not [spec for spec in judged_specs if spec.metric.startswith("resilience")]
    assert [spec for spec in config.gates if spec.metric.startswith("resilience")]


def test_a_missing_scenario_fails_its_gates_with_no_data() -> None:
    statuses = judged(*HEALTHY[1:])  # the worker kills did not run
    missing = {gate: status for gate, status in statuses.items() if "worker-kill" in gate}
    assert missing
    assert set(missing.values()) == {"no-data"}
