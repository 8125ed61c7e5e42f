"""Liveness and readiness for runners, supervisors and load balancers.

``/health/live`` says the process is up (version, commit, uptime) and checks nothing else: a
supervisor restarts the process only when the process itself is stuck, never because the
database is. ``/health/ready`` says every dependency answers: the database is reachable and
migrated to head, and Redis answers PING when one is configured. It is 503 while any is down
and checks again on every request, so it recovers by itself when the dependency does.

Each check runs in a thread of its own and a request waits at most ``CHECK_DEADLINE`` for all
of them together: a server that accepts connections but never answers (frozen, or behind a
dropped network) makes ready 503, not a hung probe. At most one check per dependency is in
flight; probes arriving while it is stuck wait for that one instead of piling up threads.
Details name what was found, never an address, a user name or a password.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from functools import cache
from typing import Literal

import redis
from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from erp.build import VERSION, build_commit
from erp.deps import ServicesDep, public
from erp.migrate import current_revision, head_revision

router = APIRouter(prefix="/health", tags=["health"], dependencies=[Depends(public)])
STARTED = time.monotonic()
CHECK_DEADLINE = 2.0  # seconds a readiness request waits for all its checks together
REDIS_TIMEOUT = 0.5  # connect and read timeout of the Redis check


class Dependency(BaseModel):
    name: str = Field(description="database or redis")
    ok: bool
    detail: str = Field(description="what the check found (no addresses or credentials)")


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    version: str
    commit: str = Field(description="the commit the running code was built from, or unknown")
    uptime_seconds: float
    dependencies: list[Dependency] = Field(
        default=[], description="ready only: the state of each dependency"
    )


Check = Callable[[], Dependency]


@cache
def migrations_head() -> str | None:
    """The newest migration: fixed for the life of the process, so read once."""
    return head_revision()


def check_database(engine: Engine) -> Dependency:
    current, head = current_revision(engine), migrations_head()
    if current == head:
        return Dependency(name="database", ok=True, detail="at head")
    return Dependency(name="database", ok=False, detail=f"at {current}, head is {head}")


def check_redis(url: str) -> Dependency:
    client = redis.Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
    )
    with client:  # closes its connection pool
        client.ping()
    return Dependency(name="redis", ok=True, detail="answers PING")


_lock = threading.Lock()
_in_flight: dict[tuple[str, object], Future[Dependency]] = {}


def _run(name: str, key: object, check: Check, future: Future[Dependency]) -> None:
    try:
        result = check()
    except Exception as exc:  # any failure means "down"; the message may hold the address
        result = Dependency(name=name, ok=False, detail=f"unreachable ({type(exc).__name__})")
    with _lock:
        del _in_flight[(name, key)]
    future.set_result(result)


def start_check(name: str, key: object, check: Check) -> Future[Dependency]:
    """Run ``check`` in a thread, or join the one already running for ``(name, key)``."""
    with _lock:
        future = _in_flight.get((name, key))
        if future is None:
            future = _in_flight[(name, key)] = Future()
            # In a copy of the caller's context: its lines carry the probe's request id.
            threading.Thread(
                target=contextvars.copy_context().run,
                args=(_run, name, key, check, future),
                name=f"health-{name}",
                daemon=True,
            ).start()
    return future


def await_check(name: str, future: Future[Dependency], deadline: float) -> Dependency:
    try:
        return future.result(timeout=max(0.0, deadline - time.monotonic()))
    except TimeoutError:
        return Dependency(name=name, ok=False, detail=f"no answer within {CHECK_DEADLINE:g} s")


def _health(services: ServicesDep, dependencies: list[Dependency]) -> Health:
    return Health(
        status="ok" if all(d.ok for d in dependencies) else "unavailable",
        version=VERSION,
        commit=build_commit(services.settings.commit),
        uptime_seconds=round(time.monotonic() - STARTED, 3),
        dependencies=dependencies,
    )


@router.get("/live")
async def live(services: ServicesDep) -> Health:  # async: nothing here blocks
    """The process is up and serving: version, commit and uptime; no dependency is checked."""
    return _health(services, [])


@router.get("/ready", responses={503: {"model": Health, "description": "A dependency is down"}})
def ready(services: ServicesDep, response: Response) -> Health:
    """Every dependency answers: the database is reachable and migrated to head, and Redis
    answers PING when configured. 503 while any is down; answers within a few seconds."""
    deadline = time.monotonic() + CHECK_DEADLINE
    engine = services.database.engine
    checks: dict[str, Future[Dependency]] = {
        "database": start_check("database", engine, lambda: check_database(engine))
    }
    redis_url = services.settings.redis_url
    if redis_url:
        checks["redis"] = start_check("redis", redis_url, lambda: check_redis(redis_url))
    health = _health(services, [await_check(n, f, deadline) for n, f in checks.items()])
    if health.status != "ok":
        response.status_code = 503
    return health
