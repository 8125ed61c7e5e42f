"""The command line, run in-process against a temporary data folder."""

import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from erp import cli
from erp.auth.models import Role, User
from erp.db import Database
from tests.conftest import FAST_HASHING, PASSWORD, TEST_SECRET


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VALEO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("VALEO_ENVIRONMENT", "test")
    monkeypatch.setenv("VALEO_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("VALEO_ARGON2_MEMORY_KIB", str(FAST_HASHING["argon2_memory_kib"]))
    monkeypatch.setenv("VALEO_ARGON2_TIME_COST", str(FAST_HASHING["argon2_time_cost"]))
    monkeypatch.delenv("VALEO_DATABASE_URL", raising=False)
    return tmp_path


def users(data_dir: Path) -> dict[str, frozenset[Role]]:
    database = Database(f"sqlite:///{data_dir / 'valeo.sqlite3'}")
    with database.transaction(write=False) as session:
        result = {u.email: u.roles for u in session.scalars(select(User))}
    database.dispose()
    return result


def test_migrate_then_create_admin_from_stdin(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli.main(["migrate"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli.main(["create-admin", "--email", "Root@Firma.test", "--password-stdin"]) == 0
    assert users(data_dir) == {"root@firma.test": {Role.admin}}


def test_create_admin_refuses_a_weak_password(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli.main(["migrate"])
    monkeypatch.setenv("VALEO_ADMIN_PASSWORD", "weak")
    assert cli.main(["create-admin", "--email", "root@firma.test"]) == 1
    assert users(data_dir) == {}


def test_seed_demo_is_idempotent_and_refused_in_production(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli.main(["seed-demo"]) == 0
    assert cli.main(["seed-demo"]) == 0
    seeded = users(data_dir)
    assert seeded["sales@valeo.test"] == {Role.sales}
    assert len(seeded) == 4
    for name in ("VALEO_ARGON2_MEMORY_KIB", "VALEO_ARGON2_TIME_COST"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("VALEO_ENVIRONMENT", "production")
    assert cli.main(["seed-demo"]) == 2


def test_invalid_settings_are_reported_without_a_traceback(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VALEO_ENVIRONMENT", "production")
    assert cli.main(["migrate"]) == 2
    assert "OWASP" in capsys.readouterr().err


def test_downgrade_to_base_and_back(data_dir: Path) -> None:
    assert cli.main(["migrate"]) == 0
    assert cli.main(["migrate", "--downgrade", "--revision", "base"]) == 0
    assert cli.main(["migrate"]) == 0


def test_serve_migrates_the_embedded_database_and_starts_uvicorn(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("erp.cli.uvicorn.run", lambda app, **kw: calls.append({"app": app, **kw}))
    assert cli.main(["serve", "--port", "8123", "--workers", "2"]) == 0
    assert calls[0]["app"] == "erp.app:create_server_app"
    assert calls[0]["factory"] is True
    assert (calls[0]["port"], calls[0]["workers"], calls[0]["host"]) == (8123, 2, "127.0.0.1")
    assert users(data_dir) == {}  # schema exists: the query worked
