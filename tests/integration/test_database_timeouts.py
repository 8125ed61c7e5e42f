"""A slow database on real PostgreSQL: a lock held elsewhere makes requests fail in seconds
with 503 problem+json instead of waiting; the bounds are set on every request connection."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from erp.app import create_app
from erp.db import LOCK_TIMEOUT_MS, STATEMENT_TIMEOUT_MS, Database, create_db_engine
from tests.conftest import make_settings

pytestmark = pytest.mark.postgres


@pytest.fixture
def postgres(migrated_postgres: str, postgres_cleaner: Callable[[], None]) -> str:
    postgres_cleaner()
    return migrated_postgres


def test_request_connections_bound_their_waits_and_keep_the_urls_options(postgres: str) -> None:
    database = Database(postgres)
    try:
        with database.transaction(write=False) as session:
            lock = session.execute(text("SHOW lock_timeout")).scalar_one()
            statement = session.execute(text("SHOW statement_timeout")).scalar_one()
            # The URL's own options (here the test schema's search_path) still apply.
            path = session.execute(text("SHOW search_path")).scalar_one()
    finally:
        database.dispose()
    assert (lock, statement) == (f"{LOCK_TIMEOUT_MS // 1000}s", f"{STATEMENT_TIMEOUT_MS // 1000}s")
    assert path.startswith("valeo_it_")
    migrations = create_db_engine(postgres)
    try:
        with migrations.connect() as connection:
            assert connection.execute(text("SHOW statement_timeout")).scalar_one() == "0"
    finally:
        migrations.dispose()


def test_a_lock_held_elsewhere_fails_requests_fast_with_a_503(
    postgres: str, tmp_path: Path
) -> None:
    app = create_app(make_settings(tmp_path, postgres))
    holder = create_engine(postgres)
    try:
        with TestClient(app, raise_server_exceptions=False) as client, holder.connect() as other:
            other.execute(text("LOCK TABLE user_account IN ACCESS EXCLUSIVE MODE"))
            started = time.monotonic()
            reply = client.post(
                "/api/v1/auth/login", json={"email": "a@valeo.test", "password": "secret-pass-1"}
            )
            waited = time.monotonic() - started
            other.rollback()  # the lock goes; the next request is served
            after = client.post(
                "/api/v1/auth/login", json={"email": "a@valeo.test", "password": "secret-pass-1"}
            )
    finally:
        holder.dispose()
    assert reply.status_code == 503, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json()["type"].endswith("/database-unavailable")
    assert LOCK_TIMEOUT_MS / 1000 <= waited < LOCK_TIMEOUT_MS / 1000 + 3
    assert after.status_code == 401  # answered normally: no such account
