import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from erp.db import Database, normalize_url
from erp.timeutil import UtcDateTime, business_date


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'sub' / 'x.db'}")  # missing folder is created
    with database.transaction(write=False) as session:
        assert session.scalar(text("PRAGMA journal_mode")) == "wal"
        assert session.scalar(text("PRAGMA foreign_keys")) == 1
        assert session.scalar(text("PRAGMA busy_timeout")) == 10_000
    database.dispose()


def _other_writer_is_blocked(path: Path) -> bool:
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        return "locked" in str(exc)
    else:
        other.execute("ROLLBACK")
        return False
    finally:
        other.close()


def test_write_transactions_take_the_write_lock_at_begin(tmp_path: Path) -> None:
    """BEGIN IMMEDIATE: a read-then-write transaction cannot fail with BUSY_SNAPSHOT."""
    path = tmp_path / "x.db"
    database = Database(f"sqlite:///{path}")
    with database.transaction() as session:
        session.execute(text("SELECT 1"))
        assert _other_writer_is_blocked(path)
    with database.transaction(write=False) as session:
        session.execute(text("SELECT 1"))
        assert not _other_writer_is_blocked(path)
    database.dispose()


def test_transaction_rolls_back_everything_on_error(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with database.transaction() as session:
        session.execute(text("CREATE TABLE t (v INTEGER)"))

    def insert_then_fail() -> None:
        with database.transaction() as session:
            session.execute(text("INSERT INTO t VALUES (1)"))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        insert_then_fail()
    with database.transaction(write=False) as session:
        assert session.scalar(text("SELECT count(*) FROM t")) == 0
    database.dispose()


def test_postgres_urls_use_psycopg3() -> None:
    assert normalize_url("postgresql://u@h/db").startswith("postgresql+psycopg://")
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"


class _Dialect:
    def __init__(self, name: str) -> None:
        self.name = name


def test_utc_datetime_refuses_naive_and_returns_aware_utc() -> None:
    column = UtcDateTime()
    with pytest.raises(ValueError, match="naive"):
        column.process_bind_param(datetime(2026, 1, 1), _Dialect("sqlite"))  # type: ignore[arg-type]  # noqa: DTZ001
    berlin_noon = datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    stored = column.process_bind_param(berlin_noon, _Dialect("sqlite"))  # type: ignore[arg-type]
    assert stored == datetime(2026, 7, 1, 10, 0)  # noqa: DTZ001
    loaded = column.process_result_value(stored, _Dialect("sqlite"))  # type: ignore[arg-type]
    assert loaded == berlin_noon
    assert loaded is not None
    assert loaded.tzinfo is UTC


def test_business_date_is_the_day_in_berlin() -> None:
    # 23:30 UTC on New Year's Eve is already 1 January in Germany.
    assert str(business_date(datetime(2025, 12, 31, 23, 30, tzinfo=UTC))) == "2026-01-01"
