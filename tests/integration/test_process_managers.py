"""The ERP under supervisor and under PM2, as ``ops/`` configures them for production.

Each manager runs ``python -m erp serve --workers 2`` on a database of a private PostgreSQL
cluster (``tests.throwaway_services``): a worker killed with SIGKILL is replaced by uvicorn
while the other one goes on answering; the whole process group killed with SIGKILL is started
again by the manager and ready again; ``stop()`` leaves no process behind. How fast it is
back is measured under load and judged by the resilience suite's gate (recovery <= 5 s,
``nox -s resilience``), not asserted here.
PM2 is skipped when node or npm is missing (``npm ci`` in ops/pm2 when its node_modules is),
unless ``VALEO_REQUIRE_OPS`` is set (CI), as is supervisor when it is not in the venv.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import time
import urllib.error
import urllib.request
import xmlrpc.client
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from erp import migrate
from quality.live_server import free_port
from resilience.supervised import (
    SUPERVISOR_CONFIG,
    ManagerUnavailable,
    Pm2Run,
    Supervised,
    SupervisorRun,
)
from tests.throwaway_services import PrivatePostgres, missing, private_postgres_or_skip

log = logging.getLogger(__name__)
pytestmark = pytest.mark.postgres

WORKERS = 2
START_WITHIN = 180.0  # the first start compiles the bytecode cache (a slow, busy machine)
REPLACED_WITHIN = 60.0  # uvicorn notices a dead worker within 0.5 s; the new one must start
MANAGERS: dict[str, type[Supervised]] = {"supervisor": SupervisorRun, "pm2": Pm2Run}


@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivatePostgres]:
    with private_postgres_or_skip() as postgres:
        yield postgres


@pytest.fixture
def database_url(cluster: PrivatePostgres) -> str:
    """A fresh database, migrated as an operator does before starting the server."""
    url = cluster.create_database(f"valeo_pm_{secrets.token_hex(4)}")
    migrate.upgrade(url)
    return url


def make_run(manager: str, workdir: Path, database_url: str) -> Supervised:
    try:
        return MANAGERS[manager](
            workdir, port=free_port(), database_url=database_url, workers=WORKERS
        )
    except ManagerUnavailable as exc:
        missing(str(exc), "VALEO_REQUIRE_OPS")


def ready_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url + "/health/ready", timeout=2) as reply:  # noqa: S310
            return int(reply.status)
    except urllib.error.HTTPError as error:
        with error:
            return error.code
    except OSError:
        return 0  # refused, reset or timed out


def startups(erp: Supervised) -> int:
    """How many worker start-ups the ERP's log shows."""
    return erp.log_path.read_text().count("Application startup complete")


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_until(what: str, within: float, check: Callable[[], bool]) -> float:
    """Poll ``check`` until it holds; the seconds that took."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < within, f"not {what} within {within:g} s"
        time.sleep(0.05)
    return time.monotonic() - started


def check_control_interface(erp: Supervised) -> None:
    """Only the run's user and password open the control interface."""
    if isinstance(erp, SupervisorRun):
        status = subprocess.run(
            [erp.supervisorctl, "--configuration", str(SUPERVISOR_CONFIG), "status"],
            env=erp.environment(),
            capture_output=True,
            timeout=30,
            check=True,
        )
        assert b"RUNNING" in status.stdout, status  # the unix socket, with the password
        anonymous = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{erp.control_port}/RPC2")
        with anonymous, pytest.raises(xmlrpc.client.ProtocolError) as refused:
            anonymous.supervisor.getState()
        assert refused.value.errcode == 401
    else:
        assert isinstance(erp, Pm2Run)
        assert (erp.home / "pm2.pid").is_file()  # PM2_HOME inside the run's folder
        assert (erp.home / "rpc.sock").exists()


@pytest.mark.parametrize("manager", list(MANAGERS))
def test_kill_9_worker_then_group_recovered(
    manager: str, database_url: str, tmp_path: Path
) -> None:
    home_pm2 = Path.home() / ".pm2"
    had_home_pm2 = home_pm2.exists()
    erp = make_run(manager, tmp_path, database_url)
    seen: set[int] = set()
    try:
        erp.start(timeout=START_WITHIN)
        check_control_interface(erp)
        server, workers = erp.server_pid(), erp.worker_pids()
        seen |= {server, *workers}
        assert len(workers) == WORKERS
        assert all(os.getpgid(pid) == server for pid in workers)  # one group, the server's
        restarts = erp.restarts()

        # One worker: uvicorn replaces it, the other one serves meanwhile, no manager restart.
        victim = workers[0]
        started_up = startups(erp)
        os.kill(victim, signal.SIGKILL)
        statuses: list[int] = []

        def replaced() -> bool:
            statuses.append(ready_status(erp.url))
            current = erp.worker_pids()
            replacing = victim not in current and len(current) == WORKERS
            return replacing and startups(erp) > started_up  # and the new one serves

        took = wait_until("replaced", REPLACED_WITHIN, replaced)
        log.info("%s: worker %d replaced and serving after %.2f s", manager, victim, took)
        assert set(statuses) == {200}, statuses  # health stayed up throughout
        assert erp.server_pid() == server
        seen |= set(erp.worker_pids())
        assert erp.restarts() == restarts

        # The whole process group: the manager starts the server again.
        workers = erp.worker_pids()
        os.killpg(server, signal.SIGKILL)
        killed = time.monotonic()
        wait_until("down", 5, lambda: all(gone(pid) for pid in (server, *workers)))
        wait_until("ready again", 60, lambda: ready_status(erp.url) == 200)
        recovered = time.monotonic() - killed
        log.info("%s: ready %.2f s after kill -9 of the process group", manager, recovered)
        erp.wait_ready(timeout=60)  # all workers up and the manager counts it as running
        assert erp.server_pid() != server
        assert erp.restarts() == restarts + 1
        seen |= {erp.server_pid(), *erp.worker_pids()}
        seen |= {p.pid for p in erp.processes()}  # the manager and its helpers too
    finally:
        erp.stop()

    assert erp.processes() == []
    assert all(gone(pid) for pid in seen), [pid for pid in seen if not gone(pid)]
    stopped = erp.log_path.read_text()
    # The manager's stop was SIGTERM to the group: each worker closed its pool.
    assert stopped.count("database pool disposed") >= WORKERS
    if not had_home_pm2:
        assert not home_pm2.exists()
