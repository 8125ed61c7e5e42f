"""History store, regressions against the last passing run, tightening hints."""

import json
from dataclasses import replace
from pathlib import Path

from quality import history
from quality.model import Failure, GateResult, GateStatus, HistoryPoint, RunSummary, SuiteResult

COV = "coverage of coverage{layer:backend,suite:unit}"
P95 = "p(95) of http_req_duration"


def gate(
    metric: str,
    actual: float,
    unit: str = "%",
    comparator: str = ">=",
    threshold: float = 85,
    status: GateStatus = "pass",
) -> GateResult:
    return GateResult(
        gate=f"{metric} {comparator} {threshold}",
        metric=metric,
        comparator=comparator,
        threshold=threshold,
        unit=unit,
        actual=actual,
        headroom=actual - threshold if comparator == ">=" else threshold - actual,
        status=status,
        source=None,
    )


def summary(gates: list[GateResult], failed: list[str] = ()) -> RunSummary:  # type: ignore[assignment]
    suite = SuiteResult(
        name="unit",
        status="failed" if failed else "passed",
        duration_s=1.0,
        failed=[Failure(name=n, category="assertion", message="") for n in failed],
    )
    return RunSummary(
        started_at="2026-11-26T10:00:00+00:00",
        finished_at="2026-11-26T10:01:00+00:00",
        duration_s=60,
        verdict="fail" if failed else "pass",
        exit_code=0,
        commit="abc",
        branch="main",
        suites=[suite],
        gates=gates,
    )


def point(verdict: str, metrics: dict[str, float], failed: list[str] = ()) -> HistoryPoint:  # type: ignore[assignment]
    return HistoryPoint(
        started_at="2026-11-25T10:00:00+00:00",
        commit="old",
        verdict=verdict,  # type: ignore[arg-type]
        duration_s=50,
        metrics=metrics,
        failed_tests=list(failed),
    )


def test_store_round_trips_and_skips_torn_lines(tmp_path: Path) -> None:
    store = tmp_path / "h" / "runs.jsonl"
    history.append(store, summary([gate(COV, 90.0)]))
    with store.open("a") as out:
        out.write('{"started_at": "torn')
    history.append(store, summary([gate(COV, 91.0)]))
    points = history.load(store)
    assert [p.metrics[COV] for p in points] == [90.0, 91.0]
    assert history.load(tmp_path / "missing.jsonl") == []


def test_coverage_drop_of_half_a_point_is_a_regression() -> None:
    past = [point("pass", {COV: 92.0}), point("fail", {COV: 50.0})]  # compared with last *passing*
    assert history.regressions(summary([gate(COV, 91.6)]), past) == []
    found = history.regressions(summary([gate(COV, 91.5)]), past)
    assert found == [f"{COV} fell from 92 % to 91.5 %"]


def test_p95_rise_of_twenty_percent_is_a_regression() -> None:
    past = [point("pass", {P95: 100.0})]
    fast = gate(P95, 119.0, unit="ms", comparator="<", threshold=500)
    slow = gate(P95, 121.0, unit="ms", comparator="<", threshold=500)
    assert history.regressions(summary([fast]), past) == []
    assert history.regressions(summary([slow]), past) == [f"{P95} rose from 100 ms to 121 ms"]


def test_new_failures_are_regressions_old_ones_are_not() -> None:
    past = [point("pass", {}, failed=["t::old"])]
    found = history.regressions(summary([], failed=["t::old", "t::new"]), past)
    assert found == ["new failure: t::new"]


def test_without_a_passing_run_nothing_is_called_a_regression() -> None:
    assert history.regressions(summary([gate(COV, 10.0)]), [point("fail", {COV: 99.0})]) == []


def test_tighten_hints_need_real_headroom() -> None:
    hints = history.tighten_hints(
        [
            gate(COV, 95.0),
            gate(COV, 88.0),
            gate(P95, 100.0, unit="ms", comparator="<", threshold=500),
            gate(P95, 400.0, unit="ms", comparator="<", threshold=500),
        ]
    )
    assert len(hints) == 2
    assert "10 points of headroom" in hints[0]


def test_pragma_change_against_previous_run() -> None:
    assert history.pragma_change(3, [point("pass", {"pragma_no_cover": 1.0})]) == 2
    assert history.pragma_change(3, []) is None


def test_history_lines_are_json(tmp_path: Path) -> None:
    store = tmp_path / "runs.jsonl"
    history.append(store, summary([gate(COV, 90.0)], failed=["t::x"]))
    record = json.loads(store.read_text())
    assert record["failed_tests"] == ["t::x"]
    assert record["verdict"] == "fail"


def test_a_gate_judged_per_route_hints_once_naming_the_tightest_route() -> None:
    declared = "http_req_duration{route:*,suite:load}: p(95) < 500ms"
    routes = [
        replace(gate(f"p95 {r}", v, unit="ms", comparator="<", threshold=500), declared=declared)
        for r, v in (("GET /a", 20.0), ("GET /b", 90.0))
    ]
    (hint,) = history.tighten_hints(routes)
    assert hint.startswith(declared)
    assert "90ms" in hint


def test_a_small_latency_rise_is_noise_not_a_regression() -> None:
    before = [point("pass", {P95: 10.0})]
    assert history.regressions(summary([gate(P95, 14.0, unit="ms")]), before) == []
    assert history.regressions(summary([gate(P95, 40.0, unit="ms")]), before) != []
