import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from erp import __version__, health, migrate
from erp.app import create_app
from erp.build import build_commit
from tests.conftest import make_settings
from tests.throwaway_services import PrivateRedis, Unavailable, missing


def test_ready_is_503_while_the_database_is_unreachable(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, "postgresql+psycopg://nobody@127.0.0.1:1/none")
    with TestClient(create_app(settings)) as client:
        response = client.get("/health/ready")
        assert client.get("/health/live").status_code == 200
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["dependencies"][0]["ok"] is False
    assert "nobody" not in response.text  # no connection details leak


def test_ready_is_503_until_migrations_reach_head(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    migrate.upgrade(url)
    migrate.downgrade(url, "base")
    with TestClient(create_app(make_settings(tmp_path, url))) as client:
        response = client.get("/health/ready")
    assert response.status_code == 503
    assert "head is" in response.json()["dependencies"][0]["detail"]


def test_live_reports_version_commit_and_uptime_and_checks_nothing(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path, database_url, commit="0123abc")
    with TestClient(create_app(settings)) as client:
        first = client.get("/health/live").json()
        second = client.get("/health/live").json()
    assert first["status"] == "ok"
    assert (first["version"], first["commit"]) == (__version__, "0123abc")
    assert first["dependencies"] == []
    assert second["uptime_seconds"] >= first["uptime_seconds"] >= 0


def test_the_commit_defaults_to_the_checkout(client: TestClient) -> None:
    assert client.get("/health/live").json()["commit"] == build_commit(None)


def test_ready_without_redis_checks_the_database_only(client: TestClient) -> None:
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert [d["name"] for d in response.json()["dependencies"]] == ["database"]


def test_ready_is_503_naming_redis_while_it_is_unreachable(
    tmp_path: Path, database_url: str
) -> None:
    url = "redis://valeo:s3cret-pass@127.0.0.1:1/0"  # nothing listens on port 1
    with TestClient(create_app(make_settings(tmp_path, database_url, redis_url=url))) as client:
        started = time.monotonic()
        response = client.get("/health/ready")
        took = time.monotonic() - started
    assert response.status_code == 503
    assert took < health.CHECK_DEADLINE
    by_name = {d["name"]: d for d in response.json()["dependencies"]}
    assert by_name["database"]["ok"] is True  # only the one that is down
    assert by_name["redis"]["ok"] is False
    for secret in ("s3cret", "valeo:", "127.0.0.1"):
        assert secret not in response.text


def test_ready_reports_a_reachable_redis(tmp_path: Path, database_url: str) -> None:
    try:
        server = PrivateRedis()
    except Unavailable as exc:
        missing(f"cannot start a private Redis: {exc}", "VALEO_REQUIRE_REDIS")
    with server:
        settings = make_settings(tmp_path, database_url, redis_url=server.url)
        with TestClient(create_app(settings)) as client:
            response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["dependencies"][1] == {
        "name": "redis",
        "ok": True,
        "detail": "answers PING",
    }


def test_a_check_that_hangs_costs_the_deadline_and_is_not_repeated(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "CHECK_DEADLINE", 0.2)
    release, calls = threading.Event(), []
    real = health.check_database

    def stuck(engine: Engine) -> health.Dependency:
        calls.append(engine)
        release.wait(10)
        return real(engine)

    monkeypatch.setattr(health, "check_database", stuck)
    try:
        for _ in range(3):
            started = time.monotonic()
            response = client.get("/health/ready")
            assert time.monotonic() - started < 1.0
            assert response.status_code == 503
            assert response.json()["dependencies"][0]["detail"] == "no answer within 0.2 s"
        assert len(calls) == 1  # later probes wait for the stuck check, no new threads
    finally:
        release.set()
    deadline = time.monotonic() + 5
    while (response := client.get("/health/ready")).status_code != 200:
        assert time.monotonic() < deadline, response.text
        time.sleep(0.01)
    assert response.json()["dependencies"][0] == {
        "name": "database",
        "ok": True,
        "detail": "at head",
    }


def test_a_failing_check_is_reported_by_its_kind_only() -> None:
    def broken() -> health.Dependency:
        raise OSError("connection to postgres://admin:pw@db.internal failed")

    future = health.start_check("database", object(), broken)
    result = health.await_check("database", future, time.monotonic() + 5)
    assert result == health.Dependency(name="database", ok=False, detail="unreachable (OSError)")
