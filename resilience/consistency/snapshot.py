"""The engine, the one read-only snapshot every check reads, and what the checks share.

``open_engine`` makes a small engine of its own (SQLite: query-only, a deferred transaction
so that the first read takes the snapshot; PostgreSQL: a connect timeout) and
``read_snapshot`` one REPEATABLE READ, read-only connection on it, rolled back at the end.
``Findings`` collects one check's violations (at most MAX_MESSAGES); ``count_rows`` and
``cents`` are the SQL helpers the checks share.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    SQLColumnExpression,
    create_engine,
    event,
    func,
    select,
    type_coerce,
)
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from erp.db import normalize_url
from erp.fibu.models import EntryStatus, JournalEntry
from erp.models import __all__ as _registered  # noqa: F401  (every table mapped)
from erp.money import Cents

# Messages kept per check: a wrecked database must not bury the report in them.
MAX_MESSAGES = 100
CONNECT_TIMEOUT_SECONDS = 5
SQLITE_BUSY_TIMEOUT_MS = 10_000
POSTED = JournalEntry.status == EntryStatus.posted


@dataclass(frozen=True)
class Violation:
    check: str
    message: str


class Findings:
    """One check's violations, at most MAX_MESSAGES of them (and how many more)."""

    def __init__(self, check: str) -> None:
        self.check = check
        self.found: list[Violation] = []
        self.more = 0

    def add(self, message: str) -> None:
        if len(self.found) < MAX_MESSAGES:
            self.found.append(Violation(self.check, message))
        else:
            self.more += 1

    def violations(self) -> list[Violation]:
        if not self.more:
            return self.found
        return [*self.found, Violation(self.check, f"… and {self.more} more")]


# the engine ----------------------------------------------------------------------------
def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # transactions begin in _sqlite_on_begin
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute("BEGIN")  # deferred: the first read takes the snapshot every query sees


def open_engine(database_url: str) -> Engine:
    """A small engine of its own (no pool: one connection, closed at the end)."""
    url = normalize_url(database_url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        on_disk = database and database != ":memory:" and not database.startswith("file:")
        if on_disk and not Path(str(database)).is_file():  # connecting would create an empty file
            raise FileNotFoundError(f"no SQLite database at {database}")
        engine = create_engine(url, poolclass=NullPool, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    return create_engine(
        url,
        poolclass=NullPool,
        hide_parameters=True,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )


@contextmanager
def read_snapshot(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        try:
            yield connection
        finally:
            connection.rollback()


def count_rows(connection: Connection, entity: Any, *where: ColumnElement[bool]) -> int:
    return int(connection.scalar(select(func.count()).select_from(entity).where(*where)) or 0)


def cents(expression: SQLColumnExpression[Any]) -> ColumnElement[Decimal]:
    """An amount computed in SQL (integer cents) read back as a Decimal."""
    return type_coerce(expression, Cents())
