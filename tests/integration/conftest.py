"""Integration fixtures: every test runs on SQLite and on PostgreSQL.

The PostgreSQL leg uses ``VALEO_TEST_POSTGRES_URL`` (e.g. the machine's ``test`` database).
It is skipped when that is unset, unless ``VALEO_REQUIRE_POSTGRES`` is set (CI), where a
missing server fails the run. Tables live in a schema of their own, migrated once per run;
each test starts from empty tables.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from erp import migrate
from erp.db import Base, normalize_url
from erp.models import __all__ as _registered  # noqa: F401  (all tables on Base.metadata)

POSTGRES_URL = os.environ.get("VALEO_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = bool(os.environ.get("VALEO_REQUIRE_POSTGRES"))
# Per run: two runs on one server (a developer and CI, say) must never share tables.
SCHEMA = f"valeo_it_{os.getpid()}"


def postgres_url(schema: str) -> str:
    """The configured server URL, with every connection's search_path set to ``schema``."""
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("VALEO_REQUIRE_POSTGRES is set but VALEO_TEST_POSTGRES_URL is not")
        pytest.skip("set VALEO_TEST_POSTGRES_URL to run the PostgreSQL leg")
    url = make_url(normalize_url(POSTGRES_URL)).update_query_dict(
        {"options": f"-csearch_path={schema}"}
    )
    return url.render_as_string(hide_password=False)


def recreate_schema(schema: str) -> None:
    assert POSTGRES_URL
    engine = create_engine(normalize_url(POSTGRES_URL))
    try:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        if REQUIRE_POSTGRES:
            raise
        pytest.skip(f"PostgreSQL at VALEO_TEST_POSTGRES_URL is unreachable: {exc}")
    finally:
        engine.dispose()


def drop_schema(schema: str) -> None:
    assert POSTGRES_URL
    engine = create_engine(normalize_url(POSTGRES_URL))
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(scope="session")
def migrated_postgres() -> Iterator[str]:
    url = postgres_url(SCHEMA)
    recreate_schema(SCHEMA)
    migrate.upgrade(url)
    yield url
    drop_schema(SCHEMA)


@pytest.fixture(scope="session")
def postgres_cleaner(migrated_postgres: str) -> Iterator[Callable[[], None]]:
    """Empties every table and puts back what the migrations seeded (chart of accounts, tax
    codes, company). TRUNCATE waits for every open transaction on them (DELETE would not),
    so nothing a previous test left in flight can reappear."""
    engine = create_engine(migrated_postgres)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.connect() as connection:
        seeded = [
            (table, [dict(row._mapping) for row in connection.execute(table.select())])
            for table in Base.metadata.sorted_tables
        ]
    seeded = [(table, rows) for table, rows in seeded if rows]

    def clean() -> None:
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            for table, rows in seeded:
                connection.execute(table.insert(), rows)

    yield clean
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """Overrides the root fixture: a fresh database on the requested backend."""
    if backend == "sqlite":
        yield request.getfixturevalue("sqlite_database_url")
        return
    url: str = request.getfixturevalue("migrated_postgres")
    request.getfixturevalue("postgres_cleaner")()
    yield url


@pytest.fixture
def sqlite_database_url(tmp_path: Path, sqlite_template: Path) -> str:
    import shutil

    target = tmp_path / "valeo.sqlite3"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite:///{target}"
