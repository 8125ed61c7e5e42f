"""Database engine, declarative base and transactions.

Every business operation runs in exactly one transaction (``Database.transaction``).
On SQLite, write transactions start with ``BEGIN IMMEDIATE``: in WAL mode a deferred
transaction that reads and then writes fails at once with SQLITE_BUSY_SNAPSHOT when
another writer committed in between, and ``busy_timeout`` cannot help there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import Connection, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from erp.money import Cents
from erp.timeutil import UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLITE_BUSY_TIMEOUT_MS = 10_000
WRITE_OPTION = "valeo_write"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime, Decimal: Cents}


def normalize_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Hand transaction control to SQLAlchemy's "begin" event below.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    mode = "IMMEDIATE" if connection.get_execution_options().get(WRITE_OPTION) else "DEFERRED"
    # Straight to the driver: through SQLAlchemy's execution path the BEGIN cost as much as
    # a query (~0.1 ms of CPU here, once per request).
    driver = connection.connection.driver_connection
    assert driver is not None  # a connection being begun is open
    driver.execute(f"BEGIN {mode}")


# Bound values (password hashes, session tokens, customer data) never appear in the text of
# a database error, which is logged: ``hide_parameters`` on every engine.
CONNECT_TIMEOUT_SECONDS = 5
# A request never waits on the database for long (erp.errors answers 503 problem+json): a row
# lock held elsewhere for more than LOCK_TIMEOUT, a statement running past STATEMENT_TIMEOUT,
# no pooled connection free within POOL_TIMEOUT (SQLAlchemy's default is 30 s). Migrations
# (``create_db_engine`` without ``for_requests``) are left unbounded.
LOCK_TIMEOUT_MS = 2_000
STATEMENT_TIMEOUT_MS = 10_000
POOL_TIMEOUT_SECONDS = 5


def create_db_engine(url: str, *, for_requests: bool = False) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        database = make_url(url).database
        pool: dict[str, int] = {}
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            # Ten kept (the default five were re-opened, PRAGMAs and all, every busy second),
            # up to 40 in bursts (uvicorn's request threads). Not 40 kept: each connection
            # fills its own page cache, and a 10-minute soak grew by 135 MB with them.
            pool = {"pool_size": 10, "max_overflow": 30}
        engine = create_engine(
            url, connect_args={"check_same_thread": False}, hide_parameters=True, **pool
        )
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    # A server that does not answer fails a request in seconds (psycopg waits 130 s by default).
    engine = create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=10,
        pool_timeout=POOL_TIMEOUT_SECONDS if for_requests else 30,
        hide_parameters=True,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )
    if for_requests:
        event.listen(engine, "connect", _bound_waits)
    return engine


def _bound_waits(dbapi_connection: Any, _record: Any) -> None:
    # Set per connection, not as libpq ``options``: those would replace the URL's own (an
    # operator's search_path, say). Committed, or the pool's first rollback would undo it.
    with dbapi_connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = {LOCK_TIMEOUT_MS}")
        cursor.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
    dbapi_connection.commit()


class Database:
    """Owns the engine and hands out sessions, one transaction each."""

    def __init__(self, url: str) -> None:
        self.engine = create_db_engine(url, for_requests=True)
        self._readers = sessionmaker(self.engine, expire_on_commit=False)
        self._writers = sessionmaker(
            self.engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def session(self, *, write: bool = True) -> Session:
        return (self._writers if write else self._readers)()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back when it raises."""
        with self.session(write=write) as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
