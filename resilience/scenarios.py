"""The faults, each under the steady load against the supervised ERP, and what users saw.

Every scenario ends with the consistency check (resilience.consistency): the books balance,
the stock ledger matches the levels, document numbers are gapless, nothing half-written.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import create_engine, text

from resilience import analysis, consistency
from resilience.postgres import PrivatePostgres
from resilience.supervised import Supervised
from resilience.traffic import Load, Probe, Request, Traffic

WARM_UP_SECONDS = 10
KILL_INTERVAL_SECONDS = 15
KILLS = 4  # every 15 s for a minute
DB_OUTAGE_SECONDS = 10
LOCK_HELD_SECONDS = 6
LOCKED_TABLE = "auth_session"  # every signed-in request reads it: the whole API slows


@dataclass
class Stage:
    """What a scenario needs: the load, the database, the ERP under its manager."""

    load: Load
    postgres: PrivatePostgres
    database_url: str
    erp: Supervised
    folder: Path


@dataclass
class ScenarioResult:
    name: str
    manager: str
    seconds: int
    requests: int = 0
    failures: int = 0
    availability_pct: float = 0.0
    longest_gap_s: float = 0.0
    recovery_s: float | None = None
    faults_at_s: list[float] = field(default_factory=list)  # seconds into the run
    failures_per_kill: list[int] = field(default_factory=list)
    connections_at_kill: list[int] = field(default_factory=list)
    excess_failures: int = 0  # over the connections open to the killed worker
    late_failures: int = 0
    hangs: int = 0
    unclean_failures: int = 0
    readiness_flipped: int = 0  # /health/ready went 503 and back to 200
    restarts: int = 0
    inconsistencies: int = 0
    violations: list[str] = field(default_factory=list)
    failed_examples: list[dict[str, Any]] = field(default_factory=list)

    def measure(self, requests: list[Request], start: float, end: float) -> None:
        self.requests = len(requests)
        self.failures = sum(not r.ok for r in requests)
        self.availability_pct = analysis.availability_pct(requests)
        self.longest_gap_s = analysis.longest_gap_s(requests, start, end)
        self.hangs = analysis.hangs(requests)
        self.unclean_failures = analysis.unclean_failures(requests)
        self.failed_examples = [asdict(r) for r in requests if not r.ok][:10]

    def check_consistency(self, database_url: str) -> None:
        report = consistency.check(database_url)
        self.violations = [f"{v.check}: {v.message}" for v in report.violations][:50]
        self.inconsistencies = len(report.violations)


def _established(pid: int, port: int) -> int:
    """Client connections the process holds open on the server's port."""
    with contextlib.suppress(psutil.Error):
        return sum(
            1
            for c in psutil.Process(pid).net_connections(kind="tcp")
            if c.laddr and c.laddr.port == port and c.status == psutil.CONN_ESTABLISHED
        )
    return 0


def _kill_all(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def worker_kill(stage: Stage) -> ScenarioResult:
    """kill -9 one worker every 15 s for a minute; uvicorn replaces it."""
    seconds = WARM_UP_SECONDS + KILL_INTERVAL_SECONDS * KILLS + 5
    result = ScenarioResult("worker-kill", stage.erp.manager, seconds)
    kills: list[float] = []
    restarts = stage.erp.restarts()
    with Traffic(stage.load, stage.erp.url, seconds, stage.folder / result.name) as traffic:
        for n in range(KILLS):
            traffic.wait_until(WARM_UP_SECONDS + n * KILL_INTERVAL_SECONDS)
            victim = random.choice(stage.erp.worker_pids())
            # Stopped first: it accepts nothing more (the other worker takes new connections),
            # so the connections counted are exactly those the kill cuts.
            os.kill(victim, signal.SIGSTOP)
            result.connections_at_kill.append(_established(victim, stage.erp.port))
            _kill_all([victim])
            kills.append(time.time())
        started = traffic.started
    result.measure(traffic.requests, started, started + seconds)
    result.longest_gap_s = analysis.longest_gap_s(traffic.requests, kills[0], kills[-1] + 10)
    result.faults_at_s = [round(k - started, 2) for k in kills]
    result.failures_per_kill = analysis.failures_per_kill(traffic.requests, kills)
    result.excess_failures = sum(
        max(0, failed - open_)
        for failed, open_ in zip(result.failures_per_kill, result.connections_at_kill, strict=True)
    )
    result.late_failures = analysis.late_failures(traffic.requests, kills, started)
    result.restarts = stage.erp.restarts() - restarts  # the manager's: 0, uvicorn replaces
    return result


def group_kill(stage: Stage) -> ScenarioResult:
    """kill -9 the ERP's whole process group (server and workers) once; the manager restarts."""
    seconds = 30
    result = ScenarioResult(f"group-kill-{stage.erp.manager}", stage.erp.manager, seconds)
    restarts = stage.erp.restarts()
    with (
        Probe(stage.erp.url) as probe,
        Traffic(stage.load, stage.erp.url, seconds, stage.folder / result.name) as traffic,
    ):
        kill = traffic.wait_until(WARM_UP_SECONDS)
        _kill_all([stage.erp.server_pid(), *stage.erp.worker_pids()])
        started = traffic.started
    result.measure(traffic.requests, started, started + seconds)
    result.faults_at_s = [round(kill - started, 2)]
    result.recovery_s = _rounded(probe.first_ready_after(kill))
    probe.write(stage.folder / result.name / "probe.csv", started)
    result.restarts = stage.erp.restarts() - restarts
    return result


def db_outage(stage: Stage) -> ScenarioResult:
    """Stop PostgreSQL for 10 s, then start it: 503s meanwhile, and back by itself."""
    seconds = WARM_UP_SECONDS + DB_OUTAGE_SECONDS + 15
    result = ScenarioResult("db-outage", stage.erp.manager, seconds)
    with (
        Probe(stage.erp.url) as probe,
        Traffic(stage.load, stage.erp.url, seconds, stage.folder / result.name) as traffic,
    ):
        stop = traffic.wait_until(WARM_UP_SECONDS)
        stage.postgres.stop("fast")
        back = traffic.wait_until(WARM_UP_SECONDS + DB_OUTAGE_SECONDS)
        stage.postgres.start()
        started = traffic.started
    result.measure(traffic.requests, started, started + seconds)
    probe.write(stage.folder / result.name / "probe.csv", started)
    result.faults_at_s = [round(stop - started, 2), round(back - started, 2)]
    result.recovery_s = _rounded(probe.first_ready_after(back))
    went_down = any(s == 503 for t, s in probe.readings if stop <= t <= back)
    result.readiness_flipped = int(went_down and result.recovery_s is not None)
    return result


def slow_database(stage: Stage) -> ScenarioResult:
    """A lock every signed-in request needs, held for 6 s: requests time out cleanly."""
    seconds = WARM_UP_SECONDS + LOCK_HELD_SECONDS + 15
    result = ScenarioResult("slow-db", stage.erp.manager, seconds)
    holder = create_engine(stage.database_url)
    try:
        with Traffic(stage.load, stage.erp.url, seconds, stage.folder / result.name) as traffic:
            locked = traffic.wait_until(WARM_UP_SECONDS)
            with holder.connect() as connection:
                connection.execute(text(f"LOCK TABLE {LOCKED_TABLE} IN ACCESS EXCLUSIVE MODE"))
                time.sleep(LOCK_HELD_SECONDS)
                connection.rollback()
            released = time.time()
            started = traffic.started
    finally:
        holder.dispose()
    result.measure(traffic.requests, started, started + seconds)
    result.faults_at_s = [round(locked - started, 2), round(released - started, 2)]
    served = [r.end - released for r in traffic.requests if r.ok and r.t >= released]
    result.recovery_s = _rounded(min(served) if served else None)
    return result


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


SCENARIOS: dict[str, Callable[[Stage], ScenarioResult]] = {
    "worker-kill": worker_kill,
    "group-kill": group_kill,  # under supervisor and again under PM2 (resilience.run)
    "db-outage": db_outage,
    "slow-db": slow_database,
}
