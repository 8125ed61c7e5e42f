"""The run history (JSON lines) and what it reveals: regressions, headroom, trends."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from quality.model import GateResult, HistoryPoint, RunSummary

KEEP = 50  # runs shown in trends
COVERAGE_DROP = 0.5  # points
LATENCY_RISE = 0.20  # relative
LATENCY_NOISE_MS = 20.0  # a smaller rise is noise, whatever its relative size
TIGHTEN_COVERAGE = 5.0  # points of headroom worth a hint
TIGHTEN_RELATIVE = 0.5  # of the threshold, for latency and rates


def load(path: Path) -> list[HistoryPoint]:
    """Earlier runs, oldest first; unreadable lines are skipped (a crash mid-write)."""
    if not path.exists():
        return []
    points = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            points.append(HistoryPoint(**json.loads(line)))
        except (json.JSONDecodeError, TypeError):
            continue
    return points[-KEEP:]


def point_of(summary: RunSummary) -> HistoryPoint:
    metrics = {g.metric: g.actual for g in summary.gates if g.actual is not None}
    if summary.pragma_no_cover is not None:
        metrics["pragma_no_cover"] = float(summary.pragma_no_cover)
    failed = sorted({f.name for s in summary.suites for f in s.failed})
    return HistoryPoint(
        started_at=summary.started_at,
        commit=summary.commit,
        verdict=summary.verdict,
        duration_s=summary.duration_s,
        metrics=metrics,
        failed_tests=failed,
    )


def append(path: Path, summary: RunSummary) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # After a torn write (a killed run), start on a fresh line so this record survives.
    torn = path.exists() and path.stat().st_size > 0 and not path.read_bytes().endswith(b"\n")
    with path.open("a", encoding="utf-8") as out:
        out.write(
            ("\n" if torn else "") + json.dumps(asdict(point_of(summary)), sort_keys=True) + "\n"
        )


def regressions(current: RunSummary, history: list[HistoryPoint]) -> list[str]:
    """Compared with the last passing run: coverage −0.5 points, P95 +20 %, new failures."""
    passing = [p for p in history if p.verdict == "pass"]
    if not passing:
        return []
    baseline = passing[-1]
    found = []
    for gate in current.gates:
        before = baseline.metrics.get(gate.metric)
        if gate.actual is None or before is None:
            continue
        if (
            gate.unit == "%"
            and gate.comparator in (">", ">=")
            and before - gate.actual >= COVERAGE_DROP
        ):
            found.append(f"{gate.metric} fell from {before:g} % to {gate.actual:g} %")
        if (
            gate.unit == "ms"
            and before > 0
            and gate.actual > before * (1 + LATENCY_RISE)
            and gate.actual - before >= LATENCY_NOISE_MS
        ):
            found.append(f"{gate.metric} rose from {before:g} ms to {gate.actual:g} ms")
    new_failures = sorted(
        {f.name for s in current.suites for f in s.failed} - set(baseline.failed_tests)
    )
    found += [f"new failure: {name}" for name in new_failures]
    return found


def tighten_hints(gates: list[GateResult]) -> list[str]:
    """Gates with far more headroom than needed; a gate judged per route hints once."""
    hints = []
    groups: dict[tuple[str, int], list[GateResult]] = {}
    for index, gate in enumerate(gates):
        key = (gate.declared, -1) if gate.declared else (gate.gate, index)
        groups.setdefault(key, []).append(gate)
    for (declared, _), members in groups.items():
        if any(g.status != "pass" or g.headroom is None for g in members):
            continue
        tightest = min(members, key=lambda g: g.headroom or 0.0)
        assert tightest.headroom is not None
        assert tightest.actual is not None
        if (
            tightest.unit == "%"
            and tightest.comparator in (">", ">=")
            and tightest.headroom >= TIGHTEN_COVERAGE
        ):
            hints.append(
                f"{declared}: {tightest.headroom:g} points of headroom; consider raising it"
            )
        elif (
            tightest.comparator in ("<", "<=")
            and tightest.threshold > 0
            and (tightest.headroom / tightest.threshold >= TIGHTEN_RELATIVE)
        ):
            worst = f" (worst: {tightest.gate.split(': ')[0]})" if len(members) > 1 else ""
            hints.append(
                f"{declared}: actual {tightest.actual:g}{tightest.unit}{worst} is far below; "
                "consider tightening"
            )
    return hints


def pragma_change(current: int | None, history: list[HistoryPoint]) -> int | None:
    previous = [p.metrics["pragma_no_cover"] for p in history if "pragma_no_cover" in p.metrics]
    if current is None or not previous:
        return None
    return current - int(previous[-1])
