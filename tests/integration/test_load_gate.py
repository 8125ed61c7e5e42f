"""The load gates bite: a fault slowing one route by 600 ms turns the gate red, naming it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.integration.harness import isolated_reports, run_quality

LOCUST = os.environ.get("VALEO_LOCUST") or shutil.which("locust")
SLOW_ROUTE = "GET /api/v1/pipeline/summary"


def quality_run(tmp_path: Path, *load_args: str, **env: str) -> tuple[int, str]:
    result = run_quality("--only", "load", "--", *load_args, env=isolated_reports(tmp_path) | env)
    return result.returncode, result.stderr


@pytest.mark.skipif(LOCUST is None, reason="Locust's venv is not set up (nox -s quality does)")
def test_a_slow_route_fails_its_gate_and_only_its_gate(tmp_path: Path) -> None:
    code, output = quality_run(
        tmp_path,
        # A light load, logins spawned one a second: the small samples make P95 their maximum,
        # so only the injected delay, not queueing behind argon2 hashes, may cross 500 ms.
        *("--users", "6", "--spawn-rate", "1", "--rate-per-user", "1.5", "--duration", "20s"),
        *("--customers", "100", "--locust", str(LOCUST)),
        VALEO_FAULTS="delay:/api/v1/pipeline:600",
    )
    assert code == 1, output[-3000:]
    summary = json.loads((tmp_path / "reports" / "latest" / "summary.json").read_text())
    statuses = {g["gate"]: g["status"] for g in summary["gates"]}
    slow = f"http_req_duration{{route:{SLOW_ROUTE},suite:load}}: p(95) < 500ms"
    assert statuses.pop(slow) == "fail"
    assert f"gate failed: {slow}" in output.replace("\n", "")
    route_gates = [gate for gate in statuses if "route:" in gate]
    assert len(route_gates) >= 8  # every other route was judged, and passed
    assert {statuses[gate] for gate in route_gates} == {"pass"}
    load_dir = tmp_path / "reports" / "latest" / "load"
    assert (load_dir / "locust_stats.csv").exists()
    assert (load_dir / "samples.csv").read_text().count("\n") > 10  # sampled once a second
    report = (tmp_path / "reports" / "latest" / "index.html").read_text()
    assert SLOW_ROUTE in report
    assert "Server CPU and memory" in report


def test_a_load_run_that_cannot_start_is_a_broken_harness_not_a_pass(tmp_path: Path) -> None:
    code, output = quality_run(tmp_path, "--locust", str(tmp_path / "no-such-locust"))
    assert code == 2, output[-2000:]
    assert "load run could not take place" in output
