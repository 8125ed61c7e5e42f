"""The request plumbing the load showed in the profile: the write gate, route matching, GC."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import text
from starlette.routing import BaseRoute, Match

from erp import heap
from erp.app import build_services
from erp.auth.models import Role
from erp.config import Settings
from erp.deps import WRITE_GATE, DbSession
from erp.routes import FlatRoute, RouteIndex
from tests.conftest import PASSWORD, AccountFactory


def _gated_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        setattr(app.state, WRITE_GATE, asyncio.Lock())
        yield

    app = FastAPI(lifespan=lifespan)
    app.state.services = build_services(settings)
    return app


def test_a_write_waits_its_turn_in_the_event_loop_holding_no_thread(settings: Settings) -> None:
    app = _gated_app(settings)
    holding, release = threading.Event(), threading.Event()
    done: list[str] = []

    @app.post("/first")
    def first(db: DbSession) -> None:
        db.execute(text("CREATE TABLE t (v TEXT)"))
        db.execute(text("INSERT INTO t VALUES ('first')"))
        holding.set()
        release.wait(10)
        done.append("first")

    @app.post("/second")
    def second(db: DbSession) -> None:
        db.execute(text("INSERT INTO t VALUES ('second')"))  # sees first's committed table
        done.append("second")

    @app.get("/threads-busy")
    async def threads_busy() -> float:
        return anyio.to_thread.current_default_thread_limiter().borrowed_tokens

    @app.get("/read")
    def read(db: DbSession) -> int:
        return int(db.scalar(text("SELECT 1")) or 0)

    with TestClient(app) as client, ThreadPoolExecutor(2) as pool:
        gate: asyncio.Lock = getattr(app.state, WRITE_GATE)
        one = pool.submit(client.post, "/first")
        assert holding.wait(10)
        two = pool.submit(client.post, "/second")
        deadline = time.monotonic() + 10
        while not gate._waiters and time.monotonic() < deadline:  # second is at the gate
            time.sleep(0.01)
        assert gate._waiters
        # Only the first write holds a worker thread; the second waits in the event loop
        # (left to SQLite it sat in BEGIN IMMEDIATE, in a thread of its own).
        assert client.get("/threads-busy").json() == 1
        assert client.get("/read").json() == 1  # reads never wait for the gate
        assert done == []
        release.set()
        assert one.result(10).status_code == 200
        assert two.result(10).status_code == 200
    assert done == ["first", "second"]
    with app.state.services.database.transaction(write=False) as session:
        assert list(session.scalars(text("SELECT v FROM t ORDER BY rowid"))) == ["first", "second"]
    app.state.services.database.dispose()


def test_a_failed_write_is_rolled_back_and_the_next_one_gets_its_turn(settings: Settings) -> None:
    app = _gated_app(settings)

    @app.post("/table")
    def table(db: DbSession) -> None:
        db.execute(text("CREATE TABLE t (v TEXT)"))

    @app.post("/fail")
    def fail(db: DbSession) -> None:
        db.execute(text("INSERT INTO t VALUES ('lost')"))
        raise RuntimeError("boom")

    @app.get("/count")
    def count(db: DbSession) -> int:
        return int(db.scalar(text("SELECT count(*) FROM t")) or 0)

    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post("/table").status_code == 200
        assert client.post("/fail").status_code == 500
        assert client.post("/fail").status_code == 500  # the gate was released
        assert client.get("/count").json() == 0
    app.state.services.database.dispose()


PATHS = (
    "/",
    "/api",
    "/api/v1",
    "/api/v1/customers",
    "/api/v1/customers/",
    "/api/v1/customers/7",
    "/api/v1/customersX",
    "/api/v1/sales-orders/5/confirm",
    "/customers/abc",
    "/static/app.css",
    "/metrics",
    "/health/live",
    "/nowhere/at/all",
)


def test_flat_routes_match_exactly_what_plain_routes_match(shared_app: FastAPI) -> None:
    routes = [route for route in shared_app.router.routes if isinstance(route, FlatRoute)]
    assert len(routes) > 150
    # Every route's own path, with its parameters filled in, and paths that match nothing.
    paths = {route.path.replace("{", "").replace("}", "") for route in routes}
    paths |= {route.path.split("{")[0] + "12" for route in routes} | set(PATHS)
    for path in sorted(paths):
        for method in ("GET", "POST", "DELETE"):
            scope = {"type": "http", "path": path, "method": method, "root_path": ""}
            for route in routes:
                fast, fast_scope = route.matches(dict(scope))
                plain, plain_scope = APIRoute.matches(route, dict(scope))
                assert (fast, fast_scope) == (plain, plain_scope), (path, method, route.path)


@pytest.mark.parametrize("root_path", ["", "/erp"])
def test_flat_routes_honour_the_root_path(shared_app: FastAPI, root_path: str) -> None:
    route = next(r for r in shared_app.router.routes if getattr(r, "path", "") == "/customers")
    scope = {"type": "http", "path": root_path + "/customers", "method": "GET"}
    assert route.matches({**scope, "root_path": root_path})[0].name == "FULL"


def test_a_server_process_settles_its_heap(tmp_path: Path) -> None:
    code = (
        "import gc; from erp.app import create_server_app; create_server_app(); "
        "print(*gc.get_threshold(), gc.get_freeze_count())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "VALEO_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.split()
    assert tuple(map(int, out[:3])) == heap.SERVER_THRESHOLDS
    assert int(out[3]) > 50_000  # the import graph, routes and mappers: never walked again


def _first_full(routes: list[BaseRoute], scope: dict[str, object]) -> BaseRoute | None:
    return next((r for r in routes if r.matches(dict(scope))[0] is Match.FULL), None)


def test_the_route_index_picks_the_route_the_whole_table_picks(shared_app: FastAPI) -> None:
    index = shared_app.router.middleware_stack
    assert isinstance(index, RouteIndex)
    routes = list(shared_app.router.routes)
    paths = {getattr(r, "path", "/").replace("{", "").replace("}", "") for r in routes}
    paths |= {getattr(r, "path", "/").split("{")[0] + "12/x" for r in routes} | set(PATHS)
    narrowed_sizes = []
    for path in sorted(paths):
        key = tuple(path.split("/", 4)[1:4])
        narrowed = index._narrowed(key).routes
        narrowed_sizes.append(len(narrowed))
        for method in ("GET", "POST", "PATCH", "DELETE"):
            scope = {"type": "http", "path": path, "method": method, "root_path": ""}
            assert _first_full(narrowed, scope) is _first_full(routes, scope), (path, method)
    assert max(narrowed_sizes) < len(routes) / 4  # it does narrow


def test_responses_through_the_index_equal_the_whole_tables(
    shared_app: FastAPI, client: TestClient
) -> None:
    """Matches, 405s, trailing-slash redirects and 404s, signed out: the same answers."""
    asked = [
        (m, p)
        for p in (*PATHS, "/customers/", "/login/", "/api/v1/users/")
        for m in ("GET", "DELETE")
    ]

    def answers() -> list[tuple[int, str | None]]:
        replies = [client.request(m, p, follow_redirects=False) for m, p in asked]
        return [(r.status_code, r.headers.get("location")) for r in replies]

    indexed = answers()
    index = shared_app.router.middleware_stack
    shared_app.router.middleware_stack = shared_app.router.app
    try:
        whole = answers()
    finally:
        shared_app.router.middleware_stack = index
    assert indexed == whole
    assert {status for status, _ in whole} >= {200, 307, 401, 404, 405}


def test_a_login_takes_its_turn_in_the_queue_of_writes(
    app: FastAPI, make_account: AccountFactory
) -> None:
    """The login's write transaction runs outside ``get_db``: it queues at the same gate,
    else it polled for SQLite's lock while queued writes handed it on to each other."""
    make_account(Role.sales, email="queued@example.com")
    with TestClient(app) as client, ThreadPoolExecutor(1) as pool:
        gate: asyncio.Lock = getattr(app.state, WRITE_GATE)
        portal = client.portal
        assert portal is not None
        portal.call(gate.acquire)  # a write holds the turn
        body = {"email": "queued@example.com", "password": PASSWORD}
        login = pool.submit(client.post, "/api/v1/auth/login", json=body)
        deadline = time.monotonic() + 10
        while not gate._waiters and time.monotonic() < deadline:
            time.sleep(0.01)
        assert gate._waiters  # the password is checked: the login now waits its turn
        assert not login.done()
        assert client.get("/health/live").status_code == 200  # the event loop is free
        portal.call(gate.release)
        assert login.result(10).status_code == 200
