"""SIGTERM stops the real server gracefully: requests in flight finish, nothing is cut.

``python -m erp serve`` (``LiveServer``) with the test-only delay fault (``erp.faults``) makes
requests slow; SIGTERM goes to the server's process group, as supervisor (stopasgroup) and PM2
(treekill) send it. The requests in flight complete with their bodies, new connections are
refused at once, the database pool is closed and the process exits 0 — within
``--graceful-timeout``, which also bounds a request that would not finish.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from erp import db as erp_db
from erp.demo import DEMO_PASSWORD
from quality.config import load
from quality.live_server import LiveServer
from resilience.supervised import BYTECODE_CACHE
from tests.throwaway_services import PrivatePostgres, private_postgres_or_skip

ROOT = Path(__file__).resolve().parents[2]
log = logging.getLogger(__name__)
SLOW_MS = 3000
# Compiled bytecode kept between runs (this machine sets PYTHONDONTWRITEBYTECODE): a
# multi-worker server starts in seconds instead of compiling its imports every time.
BYTECODE = {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(BYTECODE_CACHE)}
READY_TIMEOUT = 120.0


@dataclass
class Reply:
    status: int = 0
    body: dict[str, Any] | None = None
    error: str = ""
    finished: float = 0.0  # time.monotonic() when the reply (or the error) came


class InFlight(threading.Thread):
    """One request in a thread of its own, started now and collected with ``result()``."""

    def __init__(self, request: urllib.request.Request) -> None:
        super().__init__(daemon=True)
        self.request, self.reply = request, Reply()
        self.start()

    def run(self) -> None:
        try:
            with urllib.request.urlopen(self.request, timeout=60) as response:  # noqa: S310
                self.reply.status, self.reply.body = response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            with error:
                self.reply.status, self.reply.error = error.code, error.read().decode()
        except OSError as error:  # reset, closed without a reply
            self.reply.error = repr(error)
        self.reply.finished = time.monotonic()

    def result(self, timeout: float = 60) -> Reply:
        self.join(timeout)
        assert not self.is_alive(), "the request never finished"
        return self.reply


def request(
    url: str, body: dict[str, Any] | None = None, token: str = ""
) -> urllib.request.Request:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    return urllib.request.Request(url, data=data, headers=headers)  # noqa: S310  (loopback)


def login(server: LiveServer) -> str:
    credentials = {"email": "sales@valeo.test", "password": DEMO_PASSWORD}
    url = server.url + "/api/v1/auth/login"
    with urllib.request.urlopen(request(url, credentials), timeout=30) as reply:  # noqa: S310
        token: str = json.loads(reply.read())["access_token"]
        return token


def refused(port: int) -> bool:
    """A new connection is refused (one accepted and reset meanwhile counts as not yet)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


def wait_refused(server: LiveServer, within: float) -> float:
    started = time.monotonic()
    while not refused(server.port):
        assert time.monotonic() - started < within, "new connections still accepted"
        time.sleep(0.05)
    return time.monotonic() - started


def terminate(server: LiveServer) -> float:
    """SIGTERM to the server's process group; when it was sent (time.monotonic())."""
    assert server.process is not None
    os.killpg(server.process.pid, signal.SIGTERM)
    return time.monotonic()


def exit_code(server: LiveServer, within: float) -> int:
    assert server.process is not None
    return server.process.wait(within)


@contextlib.contextmanager
def live_server(
    workdir: Path,
    *,
    workers: int,
    faults: str | None = None,
    serve_args: tuple[str, ...] = (),
    **options: Any,
) -> Iterator[LiveServer]:
    env = {**BYTECODE, **({"VALEO_FAULTS": faults} if faults else {})}
    server = LiveServer(
        load(ROOT),
        workdir,
        extra_env=env,
        serve_args=("--workers", str(workers), *serve_args),
        ready_timeout=READY_TIMEOUT,
        **options,
    )
    try:
        yield server.start()
    finally:
        with contextlib.suppress(OperationalError):
            server.stop()


def customer_exists(database_url: str, name: str) -> bool:
    """Looked up afresh, after the server has gone: what was committed."""
    engine = create_engine(erp_db.normalize_url(database_url))
    try:
        with engine.connect() as connection:
            found = connection.execute(
                text("SELECT count(*) FROM customer WHERE name = :name"), {"name": name}
            )
            return bool(found.scalar_one())
    finally:
        engine.dispose()


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_lets_requests_in_flight_finish(tmp_path: Path, workers: int) -> None:
    faults = f"delay:/health/live:{SLOW_MS},delay:/api/v1/customers:{SLOW_MS}"
    with live_server(tmp_path, workers=workers, faults=faults) as server:
        token = login(server)
        name = f"Graceful GmbH {workers}"
        slow_read = InFlight(request(server.url + "/health/live"))
        slow_write = InFlight(
            request(server.url + "/api/v1/customers", {"name": name, "city": "Köln"}, token)
        )
        time.sleep(1.0)  # both have arrived and wait in the delay
        sent = terminate(server)

        took = wait_refused(server, within=1.5)
        log.info("%d worker(s): new connections refused %.2f s after SIGTERM", workers, took)
        assert slow_read.is_alive()  # refused while both still run
        assert slow_write.is_alive()

        read, write = slow_read.result(), slow_write.result()
        assert read.status == 200, read
        assert read.body is not None
        assert read.body["status"] == "ok"
        assert write.status == 201, write
        assert write.body is not None
        assert write.body["name"] == name
        code = exit_code(server, within=20)
        stopped = time.monotonic() - sent
        log.info("%d worker(s): exited %d, %.2f s after SIGTERM", workers, code, stopped)
        assert code == 0
        assert stopped < SLOW_MS / 1000 + 5  # the requests' own time, not the graceful timeout
        assert customer_exists(server.database_url, name)  # committed, in the reopened file

        logged = server.log_tail(400)
        assert logged.count("database pool disposed") == workers
        assert logged.count("Application shutdown complete") == workers


def test_graceful_timeout_bounds_a_request_that_would_not_finish(tmp_path: Path) -> None:
    with live_server(
        tmp_path,
        workers=1,
        faults="delay:/health/live:30000",
        seed=False,
        serve_args=("--graceful-timeout", "1"),
    ) as server:
        stuck = InFlight(request(server.url + "/health/live"))
        time.sleep(0.5)
        sent = terminate(server)
        code = exit_code(server, within=10)
        stopped = time.monotonic() - sent
        log.info("graceful timeout 1 s: exited %d, %.2f s after SIGTERM", code, stopped)
        assert code == 0
        assert stopped < 1 + 3
        reply = stuck.result()
        assert reply.status != 200, reply  # cancelled: the connection closed without a reply
        logged = server.log_tail(100)
        assert "timeout graceful shutdown exceeded" in logged
        assert "database pool disposed" in logged


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    with private_postgres_or_skip() as postgres:
        yield postgres


def blocked_on_lock(database_url: str) -> bool:
    """A backend of the ERP waits for a row lock, inside its transaction."""
    engine = create_engine(erp_db.normalize_url(database_url))
    try:
        with engine.connect() as connection:
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND state = 'active'"
                )
            )
            return bool(waiting.scalar_one())
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_sigterm_mid_transaction_commits_it(
    tmp_path: Path, private_postgres: PrivatePostgres
) -> None:
    """SIGTERM while a POST's transaction waits for a row lock (the customer number range,
    held by the test): once the lock is released the POST commits and answers 201, and only
    then does the server exit."""
    lock_timeout = getattr(erp_db, "LOCK_TIMEOUT_MS", None)  # the ERP's, when it sets one
    with live_server(tmp_path, workers=2, postgres_admin_url=private_postgres.url()) as server:
        token = login(server)
        holder = create_engine(erp_db.normalize_url(server.database_url))
        try:
            with holder.connect() as connection:
                connection.execute(
                    text("SELECT * FROM number_range WHERE name = 'customer' FOR UPDATE")
                )
                locked = time.monotonic()
                post = InFlight(
                    request(server.url + "/api/v1/customers", {"name": "Mitten AG"}, token)
                )
                deadline = time.monotonic() + 1.0
                while not blocked_on_lock(server.database_url):
                    assert time.monotonic() < deadline, "the POST never waited for the lock"
                    time.sleep(0.02)
                sent = terminate(server)
                time.sleep(0.3)
                assert post.is_alive()  # still waiting, SIGTERM or not
                assert server.process is not None
                assert server.process.poll() is None
                connection.rollback()  # release the lock: the POST goes on
                held = time.monotonic() - locked
            reply = post.result()
        finally:
            holder.dispose()
        assert lock_timeout is None or held * 1000 < lock_timeout, f"held {held:.2f} s"
        assert reply.status == 201, reply
        assert exit_code(server, within=20) == 0
        log.info("mid-transaction: exited %.2f s after SIGTERM", time.monotonic() - sent)
        assert customer_exists(server.database_url, "Mitten AG")
        assert server.log_tail(400).count("database pool disposed") == 2
