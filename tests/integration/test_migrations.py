"""Migrations match the models and run both ways, on SQLite and PostgreSQL."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from erp import migrate
from erp.db import Base
from tests.integration.conftest import drop_schema, postgres_url, recreate_schema

MIGRATION_SCHEMA = f"valeo_migrations_{os.getpid()}"


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    url = postgres_url(MIGRATION_SCHEMA)
    recreate_schema(MIGRATION_SCHEMA)
    yield url
    drop_schema(MIGRATION_SCHEMA)


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_and_no_drift(empty_database: str) -> None:
    migrate.upgrade(empty_database)
    assert tables(empty_database) == set(Base.metadata.tables)
    migrate.check(empty_database)  # raises when models and migrations disagree
    migrate.downgrade(empty_database, "base")
    assert tables(empty_database) == set()
    migrate.upgrade(empty_database)
    assert tables(empty_database) == set(Base.metadata.tables)
    engine = create_engine(empty_database)
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()
