"""Fixtures shared by every suite: settings on a fresh database, the app, users and tokens."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from erp import migrate
from erp.app import build_services, create_app
from erp.auth import service as auth_service
from erp.auth.models import Role, SessionKind
from erp.config import Environment, Settings
from erp.deps import Services

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
PASSWORD = "correct-horse-42"
# argon2id with test-only cheap parameters; production refuses these (see Settings).
FAST_HASHING = {"argon2_memory_kib": 1024, "argon2_time_cost": 1}


def make_settings(data_dir: Path, database_url: str | None = None, **overrides: object) -> Settings:
    values: dict[str, Any] = {
        "environment": Environment.test,
        "data_dir": data_dir,
        "database_url": database_url,
        "secret_key": TEST_SECRET,
        **FAST_HASHING,
        **overrides,
    }
    return Settings.model_validate(values)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, built once; every test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "valeo.sqlite3"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    target = tmp_path / "valeo.sqlite3"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture(scope="session")
def shared_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """Built once: building the routes costs ~0.1 s, far more than a test's own work."""
    return create_app(make_settings(tmp_path_factory.mktemp("app"), "sqlite://"))


@pytest.fixture
def app(shared_app: FastAPI, settings: Settings) -> Iterator[FastAPI]:
    """The app on this test's own fresh database (its services are swapped in)."""
    shared_app.state.services = build_services(settings)
    yield shared_app
    shared_app.state.services.database.dispose()


@pytest.fixture
def services(app: FastAPI) -> Services:
    result: Services = app.state.services
    return result


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def db(services: Services) -> Iterator[Session]:
    """One write transaction for calling services directly; committed at the end."""
    with services.database.transaction() as session:
        yield session


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


AccountFactory = Callable[..., Account]


@pytest.fixture
def make_account(services: Services) -> AccountFactory:
    """Create a user holding ``roles`` with a live API token."""
    counter = iter(range(1, 10_000))

    def factory(*roles: Role, email: str | None = None, password: str = PASSWORD) -> Account:
        email = email or f"user{next(counter)}-{'-'.join(sorted(roles)) or 'none'}@valeo.test"
        with services.database.transaction() as session:
            user = auth_service.register_user(
                session,
                hasher=services.hasher,
                email=email,
                full_name=email.split("@")[0],
                password=password,
                roles=frozenset(roles),
            )
            issued = auth_service.issue_session(
                session, user=user, kind=SessionKind.api, lifetime=timedelta(hours=1)
            )
        return Account(id=user.id, email=email, token=issued.token)

    return factory


@pytest.fixture
def admin(make_account: AccountFactory) -> Account:
    return make_account(Role.admin, email="admin@valeo.test")
