"""``python -m load.bench`` and ``python -m load.flows`` for real, on a tiny volume: they run
to the end and write positive figures (timings are printed, never judged)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from load import volume
from quality.config import load

ROOT = Path(__file__).resolve().parents[2]
TINY = volume.Volume(customers=30, articles=10, orders=5)
VOLUME_ARGS = ("--customers", "30", "--articles", "10", "--orders", "5")


@pytest.fixture(scope="session")
def template_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny volume's template, seeded once for both tools (and away from the load suite's:
    building a template deletes the others in its folder)."""
    cache = tmp_path_factory.mktemp("load-cache")
    volume.template(load(ROOT), TINY, cache, cache / "seed.log")
    return cache


def run_tool(module: str, *args: str) -> tuple[int, str]:
    # A subprocess: load.flows pins its own process to the client cores.
    done = subprocess.run(
        [sys.executable, "-m", module, *VOLUME_ARGS, *args],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def read(path: Path) -> dict[str, Any]:
    figures: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return figures


@pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (.ci/run installs it)"
)
def test_bench_measures_the_erp_against_the_bare_app(tmp_path: Path, template_cache: Path) -> None:
    output = tmp_path / "bench.json"
    code, log = run_tool(
        "load.bench",
        *("--seconds", "2", "--rounds", "1", "--warmup", "1"),
        *("--cache", str(template_cache), "--output", str(output)),
    )
    assert code == 0, log[-3000:]
    figures = read(output)
    assert figures["ok"] is True
    assert figures["problems"] == []
    assert figures["ratio"] > 0
    for name in ("bare", "erp"):
        (measured,) = figures["endpoints"][name]["rounds"]
        assert measured["requests_per_s"] > 0
        assert measured["latency_ms"]["50"] > 0
        assert measured["latency_ms"]["99"] >= measured["latency_ms"]["50"]
        assert measured["non_2xx"] == 0
    assert figures["endpoints"]["erp"]["path"] == "/api/v1/customers?limit=20"
    assert "ratio ERP/bare" in log


def check_flows(figures: dict[str, Any], log: str) -> None:
    assert figures["ok"] is True, log[-3000:]
    assert figures["failures"] == []
    assert figures["flows"] > 0
    assert figures["flows_per_s"] > 0
    for step in ("create", "confirm", "deliver", "invoice", "pay"):
        assert figures["steps"][step]["responses"] >= figures["flows"]
        assert figures["steps"][step]["p50_ms"] > 0
        assert figures["steps"][step]["failures"] == 0
    assert "flows/s" in log


def test_flows_complete_order_to_cash_on_sqlite(tmp_path: Path, template_cache: Path) -> None:
    output = tmp_path / "flows.json"
    code, log = run_tool(
        "load.flows",
        *("--seconds", "2", "--clients", "2"),
        *("--cache", str(template_cache), "--output", str(output)),
    )
    assert code == 0, log[-3000:]
    check_flows(read(output), log)


@pytest.mark.postgres
def test_flows_on_a_throwaway_postgres_database(tmp_path: Path) -> None:
    admin = os.environ.get("VALEO_TEST_POSTGRES_URL")
    if not admin:
        if os.environ.get("VALEO_REQUIRE_POSTGRES"):
            pytest.fail("VALEO_REQUIRE_POSTGRES is set but VALEO_TEST_POSTGRES_URL is not")
        pytest.skip("set VALEO_TEST_POSTGRES_URL to run the PostgreSQL leg")
    output = tmp_path / "flows.json"
    code, log = run_tool(
        "load.flows",
        *("--seconds", "1", "--clients", "2", "--database", "postgres"),
        *("--postgres-url", admin, "--output", str(output)),
    )
    assert code == 0, log[-3000:]
    check_flows(read(output), log)


@pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (.ci/run installs it)"
)
def test_bench_measures_the_telemetry_overhead(tmp_path: Path, template_cache: Path) -> None:
    output = tmp_path / "bench.json"
    code, log = run_tool(
        "load.bench",
        *("--seconds", "2", "--rounds", "1", "--warmup", "1"),
        *("--yardstick", "erp-without-telemetry"),
        *("--cache", str(template_cache), "--output", str(output)),
    )
    assert code == 0, log[-3000:]
    figures = read(output)
    assert figures["ok"] is True
    assert figures["yardstick"] == "erp-without-telemetry"
    endpoints = figures["endpoints"]
    assert endpoints["erp-without-telemetry"]["path"] == endpoints["erp"]["path"]
    for name in ("erp-without-telemetry", "erp"):
        (measured,) = endpoints[name]["rounds"]
        assert measured["requests_per_s"] > 0
        assert measured["non_2xx"] == 0
    assert isinstance(figures["extra_us_per_request"], float)
    assert "ratio ERP/erp-without-telemetry" in log
    # the yardstick really ran without the request log: no request lines in its server log
    yardstick_log = (tmp_path / "erp-without-telemetry" / "server.log").read_text()
    erp_log = (tmp_path / "erp" / "server.log").read_text()
    assert '"event": "request"' in erp_log
    assert '"event": "request"' not in yardstick_log
