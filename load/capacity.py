"""``python -m load.capacity``: the declared mix at rising user counts, one load run each.

Prints, per step, the throughput reached in the steady state, P95, errors and server CPU, then
two figures: the P95 where the server's CPU averages 70 % (interpolated between the steps
around it) and the capacity — the highest throughput whose run kept P95 < 500 ms and errors
< 0.1 %. Options after ``--`` go to every ``python -m load`` run (``-- --database postgres``).
Writes ``capacity.json`` beside the steps' own outputs.
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
P95_BUDGET_MS, ERROR_BUDGET_PCT, CPU_MARK_PCT = 500.0, 0.1, 70.0


def step(users: int, args: argparse.Namespace, out: Path) -> dict[str, Any]:
    argv = [sys.executable, "-m", "load", "--users", str(users), "--output", str(out)]
    argv += ["--duration", args.duration, "--spawn-rate", str(args.spawn_rate), *args.load_args]
    code = subprocess.call(argv, cwd=ROOT)
    summary_file = out / "summary.json"
    if code != 0 or not summary_file.exists():
        raise RuntimeError(f"the run with {users} users could not take place (exit {code})")
    summary = json.loads(summary_file.read_text(encoding="utf-8"))
    overall, server = summary["overall"], summary["server"]
    return {
        "users": users,
        "target_rps": summary["declared"]["target_rps"],
        "rps": overall.get("steady_rps"),
        "p95_ms": overall.get("p95_ms"),
        "p99_ms": overall.get("p99_ms"),
        "error_rate_pct": overall.get("error_rate_pct"),
        "cpu_avg_pct": server.get("cpu_avg_pct"),
    }


def within_budget(row: dict[str, Any]) -> bool:
    return (
        row["p95_ms"] is not None
        and row["p95_ms"] < P95_BUDGET_MS
        and (row["error_rate_pct"] or 0.0) < ERROR_BUDGET_PCT
    )


def at_cpu_mark(rows: list[dict[str, Any]]) -> dict[str, float] | None:
    """P95 and throughput where CPU crosses the mark, linear between the two steps around it."""
    ordered = sorted((r for r in rows if r["cpu_avg_pct"] is not None), key=lambda r: r["users"])
    for low, high in itertools.pairwise(ordered):
        if low["cpu_avg_pct"] <= CPU_MARK_PCT <= high["cpu_avg_pct"]:
            span = high["cpu_avg_pct"] - low["cpu_avg_pct"]
            share = (CPU_MARK_PCT - low["cpu_avg_pct"]) / span if span else 0.0
            return {
                key: round(low[key] + share * (high[key] - low[key]), 1)
                for key in ("p95_ms", "rps")
            }
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m load.capacity", description=__doc__)
    parser.add_argument("--users", default="10,20,30,40,50", help="the steps, comma-separated")
    parser.add_argument("--duration", default="90s", help="each step's run time")
    parser.add_argument("--spawn-rate", type=float, default=2.0)
    parser.add_argument("--output", type=Path, default=ROOT / "reports" / "latest" / "capacity")
    parser.add_argument("load_args", nargs="*", help="after --: options for python -m load")
    args = parser.parse_args(argv)
    rows = []
    for users in (int(u) for u in args.users.split(",")):
        try:
            rows.append(step(users, args, args.output / f"users-{users}"))
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            return 2
        row = rows[-1]
        print(
            f"{users:4d} users: {row['rps']} of {row['target_rps']} req/s, P95 {row['p95_ms']} ms,"
            f" P99 {row['p99_ms']} ms, errors {row['error_rate_pct']} %,"
            f" CPU {row['cpu_avg_pct']} %",
            flush=True,
        )
    fitting = [r for r in rows if within_budget(r) and r["rps"] is not None]
    result = {
        "steps": rows,
        "capacity_rps": max((r["rps"] for r in fitting), default=None),
        "at_cpu_70": at_cpu_mark(rows),
        "load_args": args.load_args,
    }
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "capacity.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"capacity (P95 < 500 ms, errors < 0.1 %): {result['capacity_rps']} req/s")
    print(f"at 70 % server CPU: {result['at_cpu_70']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
