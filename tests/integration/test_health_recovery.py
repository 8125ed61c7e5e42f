"""Readiness follows its dependencies down and back up, on a real server.

The ERP runs as ``python -m erp serve`` (``LiveServer``) on a private PostgreSQL cluster or
beside a private redis-server (``tests.throwaway_services``), never the machine's shared ones:
the test stops the dependency, sees ``/health/ready`` turn 503 while ``/health/live`` stays
200, starts it again and sees ready turn 200 by itself, the ERP never restarted.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from erp import __version__
from erp.health import CHECK_DEADLINE
from quality.config import load
from quality.live_server import LiveServer
from tests.throwaway_services import (
    PrivatePostgres,
    PrivateRedis,
    Unavailable,
    missing,
    private_postgres_or_skip,
)

ROOT = Path(__file__).resolve().parents[2]
log = logging.getLogger(__name__)
# A down dependency shows within one check deadline, plus the poll interval and slack.
DOWN_WITHIN = CHECK_DEADLINE + 3.0
UP_WITHIN = 15.0


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]
    seconds: float  # how long the request took


def get(url: str) -> Reply:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:  # noqa: S310  (loopback only)
            status, raw = reply.status, reply.read()
    except urllib.error.HTTPError as error:
        with error:
            status, raw = error.code, error.read()
    return Reply(status, json.loads(raw), time.monotonic() - started)


def wait_for(url: str, status: int, within: float) -> tuple[float, Reply]:
    """Poll until ``url`` answers ``status``; the seconds it took and that reply."""
    started = time.monotonic()
    while True:
        reply = get(url)
        # Even a down dependency must not hold a probe for longer than the deadline.
        assert reply.seconds < CHECK_DEADLINE + 1.0, reply
        elapsed = time.monotonic() - started
        if reply.status == status:
            return elapsed, reply
        assert elapsed < within, f"no {status} within {within:g} s; last: {reply}"
        time.sleep(0.1)


def dependency(reply: Reply, name: str) -> dict[str, Any]:
    found = [d for d in reply.body["dependencies"] if d["name"] == name]
    assert len(found) == 1, reply.body
    result: dict[str, Any] = found[0]
    return result


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    with private_postgres_or_skip() as postgres:
        yield postgres


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    try:
        server = PrivateRedis()
    except Unavailable as exc:
        missing(f"cannot start a private Redis: {exc}", "VALEO_REQUIRE_REDIS")
    with server:
        yield server


@contextlib.contextmanager
def erp_server(workdir: Path, **options: Any) -> Iterator[LiveServer]:
    server = LiveServer(load(ROOT), workdir, seed=False, **options)
    try:
        yield server.start()
    finally:
        # The database is dropped after the server stops; a cluster still down cannot drop
        # it, and is removed whole right after anyway.
        with contextlib.suppress(OperationalError):
            server.stop()


@pytest.mark.postgres
def test_ready_follows_postgresql_down_and_back(
    private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    options: dict[str, Any] = {"extra_env": {"VALEO_COMMIT": "0123abc"}}
    with erp_server(tmp_path, postgres_admin_url=private_postgres.url(), **options) as server:
        ready, live = server.url + "/health/ready", server.url + "/health/live"
        up = get(ready)
        assert up.status == 200, up
        assert up.body["status"] == "ok"
        assert up.body["commit"] == "0123abc"
        # No Redis configured: no redis entry.
        assert up.body["dependencies"] == [{"name": "database", "ok": True, "detail": "at head"}]

        private_postgres.stop()
        went_down, down = wait_for(ready, 503, within=DOWN_WITHIN)
        log.info("PostgreSQL stopped: ready 503 after %.2f s: %s", went_down, down.body)
        assert down.body["status"] == "unavailable"
        assert dependency(down, "database")["ok"] is False
        assert str(private_postgres.port) not in json.dumps(down.body)  # no address leaks
        assert "127.0.0.1" not in json.dumps(down.body)
        assert get(ready).status == 503  # down stays down while it is
        first, second = get(live), get(live)
        assert (first.status, first.body["status"]) == (200, "ok")  # live checks the process
        assert first.body["dependencies"] == []
        assert (first.body["version"], first.body["commit"]) == (__version__, "0123abc")
        assert second.body["uptime_seconds"] > first.body["uptime_seconds"] > 0

        private_postgres.start()
        came_back, back = wait_for(ready, 200, within=UP_WITHIN)
        log.info("PostgreSQL started: ready 200 after %.2f s", came_back)
        assert dependency(back, "database") == {"name": "database", "ok": True, "detail": "at head"}

        # A server that keeps its connections open but answers nothing: the probe must not
        # hang with it.
        with private_postgres.frozen():
            went_down, down = wait_for(ready, 503, within=DOWN_WITHIN)
            log.info("PostgreSQL frozen: ready 503 after %.2f s: %s", went_down, down.body)
            assert "no answer within" in dependency(down, "database")["detail"]
            assert get(live).status == 200
        came_back, back = wait_for(ready, 200, within=UP_WITHIN)
        log.info("PostgreSQL thawed: ready 200 after %.2f s", came_back)
        assert server.process is not None
        assert server.process.poll() is None  # the same ERP process throughout


def test_ready_follows_redis_down_and_back(private_redis: PrivateRedis, tmp_path: Path) -> None:
    env = {"VALEO_REDIS_URL": private_redis.url}
    with erp_server(tmp_path, extra_env=env) as server:
        ready, live = server.url + "/health/ready", server.url + "/health/live"
        up = get(ready)
        assert up.status == 200, up
        assert [d["name"] for d in up.body["dependencies"]] == ["database", "redis"]
        assert dependency(up, "redis")["ok"] is True

        private_redis.stop()
        went_down, down = wait_for(ready, 503, within=DOWN_WITHIN)
        log.info("Redis stopped: ready 503 after %.2f s: %s", went_down, down.body)
        assert dependency(down, "redis")["ok"] is False
        assert dependency(down, "database")["ok"] is True  # only the one that is down
        assert str(private_redis.port) not in json.dumps(down.body)
        assert get(live).status == 200

        private_redis.start()
        came_back, back = wait_for(ready, 200, within=UP_WITHIN)
        log.info("Redis started: ready 200 after %.2f s", came_back)
        assert dependency(back, "redis") == {"name": "redis", "ok": True, "detail": "answers PING"}

        with private_redis.frozen():  # accepts connections, answers nothing
            went_down, down = wait_for(ready, 503, within=DOWN_WITHIN)
            log.info("Redis frozen: ready 503 after %.2f s: %s", went_down, down.body)
            assert dependency(down, "redis")["ok"] is False
        came_back, back = wait_for(ready, 200, within=UP_WITHIN)
        log.info("Redis thawed: ready 200 after %.2f s", came_back)
        assert server.process is not None
        assert server.process.poll() is None
