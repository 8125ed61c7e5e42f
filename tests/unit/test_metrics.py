"""Prometheus metrics: request labels, pool gauges, business counters, build info, the route.

Metrics are process-global (every app built in this process shares them): tests compare
values before and after.
"""

from __future__ import annotations

import asyncio
import os
import platform
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from sqlalchemy.orm import Session

from erp import cli
from erp.app import create_app
from erp.auth import service as auth_service
from erp.auth.models import Role, User
from erp.build import VERSION
from erp.db import Database
from erp.deps import DbSession, public
from erp.fibu import journal
from erp.stock import ledger
from erp.stock import service as stock_service
from erp.telemetry import metrics, metrics_core
from erp.telemetry.metrics_core import MULTIPROC_ENV, count_on_commit
from erp.telemetry.metrics_middleware import RequestMetricsMiddleware
from erp.timeutil import utcnow
from tests.conftest import FAST_HASHING, PASSWORD, TEST_SECRET, make_settings

REQUESTS = "valeo_http_requests_total"
DURATION = "valeo_http_request_duration_seconds"
UNMATCHED = "<unmatched>"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def requests(route: str, method: str = "GET", status: str = "2xx") -> float:
    return sample(REQUESTS, route=route, method=method, status=status)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[FastAPI]:
    """The module's own build (not the shared one): its pool is the one the gauges watch."""
    directory = tmp_path_factory.mktemp("metrics")
    shutil.copyfile(sqlite_template, directory / "valeo.sqlite3")
    built = create_app(make_settings(directory, f"sqlite:///{directory / 'valeo.sqlite3'}"))

    @built.get("/test/boom", dependencies=[Depends(public)])
    def boom() -> None:
        raise RuntimeError("boom")

    @built.get("/test/inside", dependencies=[Depends(public)])
    async def inside() -> dict[str, float]:
        return {"in_progress": sample("valeo_http_requests_in_progress")}

    @built.get("/test/database", dependencies=[Depends(public)])
    def database(db: DbSession) -> dict[str, float]:
        db.connection()  # the transaction holds a pooled connection now
        return {"in_use": sample("valeo_db_pool_connections_in_use")}

    yield built
    built.state.services.database.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


# ---------------------------------------------------------------------------------------------
# Requests


def test_a_path_with_an_id_is_labelled_by_its_route_template(client: TestClient) -> None:
    template = "/api/v1/customers/{customer_id}"
    before = requests(template, status="4xx")
    for customer_id in (1, 2, 3):
        assert client.get(f"/api/v1/customers/{customer_id}").status_code == 401
    assert requests(template, status="4xx") - before == 3
    assert "/api/v1/customers/1" not in client.get("/metrics").text


def test_every_unknown_path_is_one_label_value(client: TestClient) -> None:
    before = requests(UNMATCHED, status="4xx")
    for number in range(7):
        assert client.get(f"/no/such/page-{number}").status_code == 404
    assert requests(UNMATCHED, status="4xx") - before == 7
    assert "page-" not in client.get("/metrics").text


def test_static_files_are_one_label_value(client: TestClient) -> None:
    before = requests("/static/{path}")
    assert client.get("/static/app.css").status_code == 200
    assert requests("/static/{path}") - before == 1


def test_status_classes_and_methods(client: TestClient) -> None:
    route = "/health/live"
    counts = {
        ("GET", "2xx"): requests(route),
        ("POST", "4xx"): requests(route, "POST", "4xx"),
        ("OTHER", "4xx"): requests(route, "OTHER", "4xx"),
        ("GET", "5xx"): requests("/test/boom", "GET", "5xx"),
        ("GET", "3xx"): requests("/", "GET", "3xx"),
    }
    exceptions = sample("valeo_http_exceptions_total", route="/test/boom", method="GET")
    assert client.get(route).status_code == 200
    assert client.post(route).status_code == 405
    assert client.request("PROPFIND", route).status_code == 405
    assert client.get("/test/boom").status_code == 500
    assert client.get("/", follow_redirects=False).status_code in (302, 303, 307)
    assert requests(route) - counts["GET", "2xx"] == 1
    assert requests(route, "POST", "4xx") - counts["POST", "4xx"] == 1
    assert requests(route, "OTHER", "4xx") - counts["OTHER", "4xx"] == 1
    assert requests("/test/boom", "GET", "5xx") - counts["GET", "5xx"] == 1
    assert requests("/", "GET", "3xx") - counts["GET", "3xx"] == 1
    assert sample("valeo_http_exceptions_total", route="/test/boom", method="GET") == (
        exceptions + 1
    )


def test_the_histogram_counts_every_request_in_its_buckets(client: TestClient) -> None:
    labels = {"route": "/health/live", "method": "GET", "status": "2xx"}
    count, total = sample(f"{DURATION}_count", **labels), sample(f"{DURATION}_sum", **labels)
    slowest = sample(f"{DURATION}_bucket", le="+Inf", **labels)
    for _ in range(4):
        client.get("/health/live")
    assert sample(f"{DURATION}_count", **labels) - count == 4
    assert sample(f"{DURATION}_bucket", le="+Inf", **labels) - slowest == 4
    assert sample(f"{DURATION}_sum", **labels) > total
    buckets = {
        float(s.labels["le"])
        for metric in REGISTRY.collect()
        if metric.name == DURATION
        for s in metric.samples
        if s.name.endswith("_bucket")
    }
    assert {0.005, 0.5, 10.0} <= buckets  # 0.5 s: the load gate's P95


def test_requests_in_progress_go_back_to_zero(client: TestClient) -> None:
    before = sample("valeo_http_requests_in_progress")
    during = client.get("/test/inside").json()["in_progress"]
    assert during >= before + 1
    assert sample("valeo_http_requests_in_progress") == before


def test_a_request_that_fails_is_not_left_in_progress(client: TestClient) -> None:
    before = sample("valeo_http_requests_in_progress")
    client.get("/test/boom")
    assert sample("valeo_http_requests_in_progress") == before


def test_no_created_series() -> None:
    names = {s.name for metric in REGISTRY.collect() for s in metric.samples}
    assert not [name for name in names if name.startswith("valeo_") and name.endswith("_created")]


def test_lifespan_and_websocket_scopes_pass_through() -> None:
    seen: list[str] = []

    async def inner(scope: dict[str, object], _receive: object, _send: object) -> None:
        seen.append(str(scope["type"]))

    middleware = RequestMetricsMiddleware(inner)  # type: ignore[arg-type]
    asyncio.run(middleware({"type": "lifespan"}, None, None))  # type: ignore[arg-type]
    assert seen == ["lifespan"]


def test_an_app_that_never_answers_counts_as_a_server_error() -> None:
    async def silent(_scope: object, _receive: object, _send: object) -> None:
        return None

    middleware = RequestMetricsMiddleware(silent)
    before = requests(UNMATCHED, "GET", "5xx")
    scope = {"type": "http", "method": "GET", "path": "/x", "root_path": ""}
    asyncio.run(middleware(scope, None, None))  # type: ignore[arg-type]
    assert requests(UNMATCHED, "GET", "5xx") - before == 1


# ---------------------------------------------------------------------------------------------
# The database pool


def test_pool_gauges_follow_checkouts_and_connections(app: FastAPI, client: TestClient) -> None:
    in_use, opened = (
        sample("valeo_db_pool_connections_in_use"),
        sample("valeo_db_pool_connections_open"),
    )
    during = client.get("/test/database").json()["in_use"]
    assert during >= in_use + 1
    assert sample("valeo_db_pool_connections_in_use") == in_use
    assert sample("valeo_db_pool_connections_open") >= opened + 1
    app.state.services.database.dispose()  # closes the pooled connections
    assert sample("valeo_db_pool_connections_open") == opened


def test_a_detached_connection_leaves_the_gauges(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'detach.sqlite3'}")
    metrics.watch_pool(database)
    in_use, opened = (
        sample("valeo_db_pool_connections_in_use"),
        sample("valeo_db_pool_connections_open"),
    )
    connection = database.engine.connect()
    connection.detach()
    assert sample("valeo_db_pool_connections_in_use") == in_use
    assert sample("valeo_db_pool_connections_open") == opened
    connection.close()
    database.dispose()
    assert sample("valeo_db_pool_connections_open") == opened


# ---------------------------------------------------------------------------------------------
# Business counters: only what is committed


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    result = Database(database_url)
    yield result
    result.dispose()


def _user(database: Database, *roles: Role) -> User:
    from erp.auth.passwords import PasswordHasher

    hasher = PasswordHasher(
        memory_kib=FAST_HASHING["argon2_memory_kib"], time_cost=FAST_HASHING["argon2_time_cost"]
    )
    with database.transaction() as session:
        return auth_service.register_user(
            session,
            hasher=hasher,
            email=f"{'-'.join(roles)}@valeo.test",
            full_name="Metrics",
            password=PASSWORD,
            roles=frozenset(roles),
        )


class Refused(Exception):
    """Raised inside a transaction to roll it back."""


@contextmanager
def rolled_back(database: Database) -> Iterator[Session]:
    """A transaction that ends in a rollback (as when a request fails)."""
    with suppress(Refused), database.transaction() as session:
        yield session
        raise Refused


def _post(session: Session, actor: User, document: str) -> None:
    day = date(2026, 3, 10)
    lines = [
        {"account": 1200, "debit": Decimal("10.00"), "credit": Decimal(0)},
        {"account": 800, "debit": Decimal(0), "credit": Decimal("10.00")},
    ]
    values = {
        "document_number": document,
        "document_date": day,
        "posting_date": day,
        "text": "Einlage",
        "lines": lines,
    }
    journal.create_entry(session, actor=actor, values=values, post=True)


def test_a_committed_posting_counts_and_a_rolled_back_one_does_not(database: Database) -> None:
    accountant = _user(database, Role.accounting)
    before = sample("valeo_journal_postings_total")
    with rolled_back(database) as session:
        _post(session, accountant, "B-1")
    assert sample("valeo_journal_postings_total") == before
    with database.transaction() as session:
        _post(session, accountant, "B-2")
        assert sample("valeo_journal_postings_total") == before  # not before the commit
    assert sample("valeo_journal_postings_total") == before + 1


def test_savepoints_count_only_when_the_whole_transaction_commits(database: Database) -> None:
    accountant = _user(database, Role.accounting)
    before = sample("valeo_journal_postings_total")
    with database.transaction() as session:
        savepoint = session.begin_nested()
        _post(session, accountant, "S-1")
        savepoint.rollback()  # the transaction goes on
        with session.begin_nested(), session.begin_nested():
            _post(session, accountant, "S-2")  # released twice, then committed
        _post(session, accountant, "S-3")
    assert sample("valeo_journal_postings_total") == before + 2
    with rolled_back(database) as session, session.begin_nested():
        _post(session, accountant, "S-4")  # released, but the transaction rolls back
    assert sample("valeo_journal_postings_total") == before + 2


def test_stock_movements_count_by_kind_once_committed(database: Database) -> None:
    keeper = _user(database, Role.warehouse)
    with database.transaction() as session:
        article = stock_service.create_article(
            session,
            actor=keeper,
            values={
                "sku": "M-1",
                "name": "Schraube",
                "unit": "Stk",
                "sales_price": Decimal("0.50"),
                "purchase_price": Decimal("0.20"),
                "vat_rate": 19,
            },
        )
        store = stock_service.create_warehouse(
            session, actor=keeper, values={"code": "HL", "name": "Hauptlager"}
        )
        article_id, store_id = article.id, store.id

    def receive(session: Session) -> None:
        ledger.receive(
            session,
            article_id=article_id,
            warehouse_id=store_id,
            quantity=5,
            unit_cost=Decimal("0.20"),
            reference="WE-1",
            actor=keeper,
        )

    before = sample("valeo_stock_movements_total", kind="receipt")
    with rolled_back(database) as session:
        receive(session)
    assert sample("valeo_stock_movements_total", kind="receipt") == before
    with database.transaction() as session:
        receive(session)
        receive(session)
    assert sample("valeo_stock_movements_total", kind="receipt") == before + 2


def test_failed_logins_count_and_lockouts_count_as_throttled(client: TestClient) -> None:
    email = "locked@valeo.test"
    invalid = sample("valeo_login_failures_total", reason="invalid_credentials")
    throttled = sample("valeo_login_failures_total", reason="throttled")
    body = {"email": email, "password": "wrong-password-1"}
    for _ in range(5):  # the default lockout threshold
        assert client.post("/api/v1/auth/login", json=body).status_code == 401
    assert client.post("/api/v1/auth/login", json=body).status_code == 429
    assert sample("valeo_login_failures_total", reason="invalid_credentials") == invalid + 5
    assert sample("valeo_login_failures_total", reason="throttled") == throttled + 1


def test_a_failed_login_rolled_back_is_not_counted(database: Database) -> None:
    before = sample("valeo_login_failures_total", reason="invalid_credentials")
    policy = auth_service.ThrottlePolicy(max_failures=5, lockout=timedelta(minutes=15))
    with rolled_back(database) as session:
        auth_service._count_failure(
            session, None, email="x@valeo.test", now=utcnow(), policy=policy
        )
    assert sample("valeo_login_failures_total", reason="invalid_credentials") == before


def test_counting_needs_a_transaction(database: Database) -> None:
    with database.session() as session, pytest.raises(RuntimeError):
        count_on_commit(session, metrics_core.JOURNAL_POSTINGS)


# ---------------------------------------------------------------------------------------------
# Build info and the route


def test_metrics_is_prometheus_text_with_build_info(client: TestClient) -> None:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert "# TYPE valeo_http_requests_total counter" in response.text
    assert "# TYPE valeo_http_request_duration_seconds histogram" in response.text
    build = [line for line in response.text.splitlines() if line.startswith("valeo_build_info{")]
    assert len(build) >= 1
    assert f'version="{VERSION}"' in build[0]
    assert f'python="{platform.python_version()}"' in build[0]
    assert build[0].endswith(" 1.0")


def test_metrics_is_public_and_in_the_schema(client: TestClient) -> None:
    operation = client.get("/api/v1/openapi.json").json()["paths"]["/metrics"]["get"]
    assert "text/plain" in operation["responses"]["200"]["content"]
    assert "401" not in operation["responses"]
    assert client.get("/metrics", follow_redirects=False).status_code == 200  # no 307


# ---------------------------------------------------------------------------------------------
# Multiprocess mode (the figures themselves: tests/integration/test_metrics_workers.py)


def _write_counter(path: Path, route: str, value: float) -> None:
    key = mmap_key(
        "valeo_http_requests",
        "valeo_http_requests_total",
        ["route", "method", "status"],
        [route, "GET", "2xx"],
        "HTTP requests answered",
    )
    store = MmapedDict(str(path))  # type: ignore[no-untyped-call]
    store.write_value(key, value, 0.0)  # type: ignore[no-untyped-call]
    store.close()  # type: ignore[no-untyped-call]


def test_metrics_reads_the_workers_files_in_multiprocess_mode(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "prometheus"
    directory.mkdir()
    _write_counter(directory / "counter_1001.db", "/from/worker", 3)
    _write_counter(directory / "counter_1002.db", "/from/worker", 4)
    monkeypatch.setenv(MULTIPROC_ENV, str(directory))
    monkeypatch.setattr(metrics, "is_multiprocess", lambda: True)
    text = client.get("/metrics").text
    assert 'valeo_http_requests_total{method="GET",route="/from/worker",status="2xx"} 7.0' in text
    assert "python_gc_" not in text  # the worker files only, not this process's registry


def test_a_stopping_worker_removes_its_live_gauges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = tmp_path / f"gauge_livesum_{os.getpid()}.db"
    counter = tmp_path / f"counter_{os.getpid()}.db"
    live.write_bytes(b"")
    counter.write_bytes(b"")
    metrics_core.release_process_metrics()  # not in multiprocess mode: nothing happens
    assert live.exists()
    monkeypatch.setenv(MULTIPROC_ENV, str(tmp_path))
    monkeypatch.setattr(metrics_core, "is_multiprocess", lambda: True)
    metrics_core.release_process_metrics()
    assert not live.exists()
    assert counter.exists()  # counters outlive their worker


def test_one_worker_without_a_directory_keeps_plain_metrics(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    with metrics_core.metrics_directory(1) as directory:
        assert directory is None
        assert MULTIPROC_ENV not in os.environ


def test_several_workers_get_a_fresh_directory_removed_afterwards(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    with metrics_core.metrics_directory(2) as directory:
        assert directory is not None
        assert directory.is_dir()
        assert list(directory.iterdir()) == []
        assert os.environ[MULTIPROC_ENV] == str(directory)
    assert not directory.exists()
    assert MULTIPROC_ENV not in os.environ


def test_an_operators_directory_is_cleared_of_earlier_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "prometheus"
    directory.mkdir()
    stale = [directory / "counter_4242.db", directory / "gauge_livesum_4242.db"]
    own = directory / f"counter_{os.getpid()}.db"
    other = directory / "notes.txt"
    for path in (*stale, own, other):
        path.write_bytes(b"")
    monkeypatch.setenv(MULTIPROC_ENV, str(directory))
    with metrics_core.metrics_directory(2) as chosen:
        assert chosen == directory
        assert not any(path.exists() for path in stale)
        assert own.exists()
        assert other.exists()
    assert directory.exists()  # the operator's: kept
    assert os.environ[MULTIPROC_ENV] == str(directory)


def test_serve_with_workers_hands_uvicorn_a_metrics_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VALEO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("VALEO_ENVIRONMENT", "test")
    monkeypatch.setenv("VALEO_SECRET_KEY", TEST_SECRET)
    monkeypatch.delenv("VALEO_DATABASE_URL", raising=False)
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    seen: list[str | None] = []
    monkeypatch.setattr(
        "erp.cli.uvicorn.run", lambda *_a, **_k: seen.append(os.environ.get(MULTIPROC_ENV))
    )
    assert cli.main(["serve", "--workers", "2"]) == 0
    assert cli.main(["serve", "--workers", "1"]) == 0
    assert seen[0] is not None
    assert seen[1] is None
    assert MULTIPROC_ENV not in os.environ
