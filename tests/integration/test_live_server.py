"""The live-server runner: a real ``python -m erp serve`` on a free loopback port."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from coverage import CoverageData

from quality.config import load
from quality.live_server import LiveServer, LiveServerError

ROOT = Path(__file__).resolve().parents[2]


def get(url: str) -> tuple[int, dict[str, object]]:
    with urllib.request.urlopen(url, timeout=5) as reply:  # noqa: S310  (loopback only)
        return reply.status, json.loads(reply.read())


def login_works(server: LiveServer) -> bool:
    request = urllib.request.Request(  # noqa: S310
        server.url + "/api/v1/auth/login",
        data=json.dumps({"email": "sales@valeo.test", "password": "valeo-demo-2026"}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310
        return bool(reply.status == 200)


def test_starts_migrated_and_seeded_then_stops_cleanly(tmp_path: Path) -> None:
    server = LiveServer(load(ROOT), tmp_path)
    with server:
        assert server.url.startswith("http://127.0.0.1:")
        status, body = get(server.url + "/health/ready")
        assert status == 200
        assert body["status"] == "ok"
        assert login_works(server)  # the demo data is there
        assert server.database_url.startswith("sqlite:///")
    assert server.process is not None
    # uvicorn re-raises SIGTERM after its graceful shutdown, hence -15 rather than 0.
    assert server.process.returncode in (0, -15)
    assert "Application shutdown complete" in server.log_tail()


def test_throwaway_postgres_database(tmp_path: Path) -> None:
    admin = os.environ.get("VALEO_TEST_POSTGRES_URL")
    if not admin:
        if os.environ.get("VALEO_REQUIRE_POSTGRES"):
            pytest.fail("VALEO_REQUIRE_POSTGRES is set but VALEO_TEST_POSTGRES_URL is not")
        pytest.skip("set VALEO_TEST_POSTGRES_URL to run the PostgreSQL leg")
    server = LiveServer(
        load(ROOT),
        tmp_path,
        postgres_admin_url=admin.replace("postgresql://", "postgresql+psycopg://"),
    )
    with server:
        assert "valeo_live_" in server.database_url
        assert get(server.url + "/health/ready")[0] == 200
        assert login_works(server)


def write_rcfile(tmp_path: Path) -> Path:
    rc = tmp_path / "coveragerc"
    rc.write_text(
        f"[run]\nsource = erp\nbranch = true\nparallel = true\nsigterm = true\n"
        f"data_file = {tmp_path / 'cov' / '.coverage'}\n"
    )
    (tmp_path / "cov").mkdir()
    return rc


@pytest.mark.parametrize("collect", [True, False])
def test_server_coverage_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, collect: bool
) -> None:
    # Measure into a folder of this test's own, not into the suite's data (COVERAGE_FILE).
    monkeypatch.delenv("COVERAGE_PROCESS_CONFIG", raising=False)
    monkeypatch.delenv("COVERAGE_FILE", raising=False)
    monkeypatch.setenv("COVERAGE_PROCESS_START", str(write_rcfile(tmp_path)))
    with LiveServer(load(ROOT), tmp_path / "run", coverage=collect, seed=False) as server:
        get(server.url + "/health/live")
    files = list((tmp_path / "cov").glob(".coverage.*"))
    measured: set[str] = set()
    for file in files:
        data = CoverageData(basename=str(file))
        data.read()
        measured |= {Path(f).name for f in data.measured_files()}
    if collect:
        assert "health.py" in measured  # the request was measured inside the server
    else:
        assert "health.py" not in measured


def test_failure_to_start_reports_the_log(tmp_path: Path) -> None:
    server = LiveServer(
        load(ROOT), tmp_path, seed=False, extra_env={"VALEO_FAULTS": "bogus"}, ready_timeout=20
    )
    with pytest.raises(LiveServerError) as failure:
        server.start()
    assert "fault" in failure.value.log.lower()
    server.stop()


def test_fault_switch_reaches_the_live_server(tmp_path: Path) -> None:
    server = LiveServer(
        load(ROOT), tmp_path, seed=False, extra_env={"VALEO_FAULTS": "error:/api/v1/customers:503"}
    )
    with server:
        with pytest.raises(urllib.error.HTTPError) as refused:
            get(server.url + "/api/v1/customers")
        assert refused.value.code == 503
        refused.value.close()
