"""The consistency check on a database built by the real services, and on deliberate damage.

A seeded database (the demo data plus volume orders through every step of order-to-cash and
procure-to-pay) passes every check. Then each test plants one fault with raw SQL — what a
crash between two writes, or a bug, would leave — and the check must name it. The database
triggers that guard posted entries and the stock ledger are dropped first where the fault
needs it (a real fault would not ask them either).
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from erp import migrate
from erp.auth.passwords import PasswordHasher
from erp.db import Database
from erp.demo import seed_demo
from erp.demo_volume import seed_volume_orders
from resilience.consistency import BOOKS, NUMBERS, OPERATIONS, STOCK, check, snapshot
from resilience.consistency.__main__ import main
from tests.conftest import FAST_HASHING
from tests.throwaway_services import PrivatePostgres, private_postgres_or_skip

VOLUME_ORDERS = 40


def seed(url: str, *, orders: int = VOLUME_ORDERS) -> None:
    database = Database(url)
    try:
        with database.transaction() as session:
            seed_demo(
                session,
                hasher=PasswordHasher(
                    memory_kib=FAST_HASHING["argon2_memory_kib"],
                    time_cost=FAST_HASHING["argon2_time_cost"],
                ),
                extra_customers=6,
                extra_articles=12,
                volume_orders=orders,
            )
        seed_volume_orders(database, count=orders, progress=lambda _line: None)
    finally:
        database.dispose()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    """The migrated template, seeded once per module (every test damages a copy)."""
    path = tmp_path_factory.mktemp("consistency") / "seeded.sqlite3"
    shutil.copyfile(sqlite_template, path)
    seed(f"sqlite:///{path}")
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file
    return path


@pytest.fixture
def database(seeded: Path, tmp_path: Path) -> Path:
    target = tmp_path / "valeo.sqlite3"
    shutil.copyfile(seeded, target)
    return target


def url(path: Path) -> str:
    return f"sqlite:///{path}"


@contextlib.contextmanager
def raw(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection (no foreign keys enforced), committed at the end."""
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        yield connection


def one(connection: sqlite3.Connection, query: str, *params: Any) -> Any:
    row = connection.execute(query, params).fetchone()
    assert row is not None, f"the seeded database has no row for: {query}"
    return row


# a consistent database ------------------------------------------------------------------
def test_a_database_built_by_the_services_passes_every_check(database: Path) -> None:
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    report = check(url(database))
    assert report.violations == []
    assert report.ok
    assert set(report.checks) == {BOOKS, STOCK, NUMBERS, OPERATIONS}
    for name, rows in report.checks.items():
        assert rows > 0, f"{name} examined nothing"
    # the volume orders made hundreds of documents, and every one was looked at
    assert report.checks[NUMBERS] > 4 * VOLUME_ORDERS
    assert report.checks[OPERATIONS] > 3 * VOLUME_ORDERS
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before  # read only
    figures = report.to_json()
    assert figures["ok"] is True
    assert figures["violations"] == []
    assert figures["checks"][BOOKS] == {"rows": report.checks[BOOKS], "violations": 0}


def test_a_missing_database_file_is_an_error_not_an_empty_database(tmp_path: Path) -> None:
    path = tmp_path / "nothing-here.sqlite3"
    with pytest.raises(FileNotFoundError):
        check(url(path))
    assert not path.exists()


def test_the_command_line_prints_the_report_and_fails_on_a_violation(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([url(database)]) == 0
    assert '"ok": true' in capsys.readouterr().out
    with raw(database) as connection:
        connection.execute("UPDATE number_range SET next_value = next_value + 1")
    assert main([url(database)]) == 1
    assert '"ok": false' in capsys.readouterr().out
    assert main([]) == 2


# deliberate damage -----------------------------------------------------------------------
@dataclass(frozen=True)
class Fault:
    check: str
    expected: list[str]  # each must appear in one message of that check


Plant = Callable[[sqlite3.Connection], Fault]


def drop_triggers(connection: sqlite3.Connection, *names: str) -> None:
    for name in names:
        connection.execute(f"DROP TRIGGER {name}")


JOURNAL_TRIGGERS = (
    "journal_line_posted_no_update",
    "journal_line_posted_no_delete",
    "journal_entry_posted_no_delete",
)


def delete_entry(connection: sqlite3.Connection, entry_id: int) -> None:
    drop_triggers(connection, *JOURNAL_TRIGGERS)
    connection.execute("DELETE FROM journal_line WHERE entry_id = ?", (entry_id,))
    connection.execute("DELETE FROM journal_entry WHERE id = ?", (entry_id,))


def unbalanced_line(connection: sqlite3.Connection) -> Fault:
    entry_id, year, number = one(
        connection,
        "SELECT id, fiscal_year, number FROM journal_entry WHERE status = 'posted'"
        " ORDER BY id LIMIT 1 OFFSET 5",
    )
    drop_triggers(connection, *JOURNAL_TRIGGERS)
    connection.execute(  # one cent more on the first debit line
        "UPDATE journal_line SET debit = debit + 1 WHERE id ="
        " (SELECT min(id) FROM journal_line WHERE entry_id = ? AND debit > 0)",
        (entry_id,),
    )
    return Fault(
        BOOKS,
        [f"journal entry {year}/{number} (id {entry_id}", "debit", f"fiscal year {year}"],
    )


def single_line_posting(connection: sqlite3.Connection) -> Fault:
    entry_id, year, number = one(
        connection,
        "SELECT id, fiscal_year, number FROM journal_entry WHERE status = 'posted'"
        " AND document_number = 'MI-11'",
    )
    drop_triggers(connection, *JOURNAL_TRIGGERS)
    connection.execute(
        "DELETE FROM journal_line WHERE id = (SELECT max(id) FROM journal_line WHERE entry_id = ?)",
        (entry_id,),
    )
    return Fault(BOOKS, [f"journal entry {year}/{number}", "posted with 1 line(s)"])


def deleted_movement(connection: sqlite3.Connection) -> Fault:
    movement_id, sku, code = one(
        connection,
        "SELECT m.id, a.sku, w.code FROM stock_movement m JOIN article a ON a.id = m.article_id"
        " JOIN warehouse w ON w.id = m.warehouse_id WHERE m.reference LIKE 'AB-%'"
        " ORDER BY m.id LIMIT 1",
    )
    drop_triggers(connection, "stock_movement_no_delete")
    connection.execute("DELETE FROM stock_movement WHERE id = ?", (movement_id,))
    return Fault(STOCK, [f"article {sku} in warehouse {code}: the ledger's"])


def negative_level(connection: sqlite3.Connection) -> Fault:
    article_id, warehouse_id, sku = one(
        connection,
        "SELECT l.article_id, l.warehouse_id, a.sku FROM stock_level l"
        " JOIN article a ON a.id = l.article_id WHERE l.reserved = 0 ORDER BY a.id LIMIT 1",
    )
    connection.execute("PRAGMA ignore_check_constraints = ON")
    connection.execute(
        "UPDATE stock_level SET on_hand = -3 WHERE article_id = ? AND warehouse_id = ?",
        (article_id, warehouse_id),
    )
    return Fault(STOCK, [f"article {sku} in warehouse", "on hand -3 is negative"])


def reservation_off(connection: sqlite3.Connection) -> Fault:
    article_id, warehouse_id, sku, reserved = one(
        connection,
        "SELECT l.article_id, l.warehouse_id, a.sku, l.reserved FROM stock_level l"
        " JOIN article a ON a.id = l.article_id WHERE l.reserved > 0 AND l.reserved < l.on_hand"
        " ORDER BY a.id LIMIT 1",
    )
    connection.execute(
        "UPDATE stock_level SET reserved = reserved + 1 WHERE article_id = ? AND warehouse_id = ?",
        (article_id, warehouse_id),
    )
    return Fault(
        STOCK, [f"article {sku} in warehouse", f"{reserved + 1} reserved, open sales orders"]
    )


def payment_deleted_from_the_middle(connection: sqlite3.Connection) -> Fault:
    numbers = [n for (n,) in connection.execute("SELECT number FROM customer_payment ORDER BY 1")]
    assert len(numbers) >= 3
    middle = numbers[len(numbers) // 2]
    connection.execute("DELETE FROM customer_payment WHERE number = ?", (middle,))
    return Fault(NUMBERS, [f"{middle} missing"])


def posting_deleted_from_the_middle(connection: sqlite3.Connection) -> Fault:
    entry_id, year, number = one(
        connection,
        "SELECT id, fiscal_year, number FROM journal_entry WHERE document_number = 'MI-11'",
    )
    delete_entry(connection, entry_id)
    return Fault(NUMBERS, [f"journal entries of fiscal year {year}: {year}/{number} missing"])


def counter_bumped(connection: sqlite3.Connection) -> Fault:
    (name,) = one(connection, "SELECT name FROM number_range WHERE name LIKE 'RE-%'")
    (highest,) = one(connection, "SELECT max(number) FROM outgoing_invoice")
    drawn = f"{highest[:-5]}{int(highest[-5:]) + 1:05d}"
    connection.execute(
        "UPDATE number_range SET next_value = next_value + 1 WHERE name = ?", (name,)
    )
    return Fault(NUMBERS, [f"number range {name}", f"{drawn} drawn and never used"])


def journal_counter_far_ahead(connection: sqlite3.Connection) -> Fault:
    year, highest = one(
        connection,
        "SELECT fiscal_year, max(number) FROM journal_entry WHERE status = 'posted'"
        " GROUP BY fiscal_year ORDER BY fiscal_year DESC LIMIT 1",
    )
    connection.execute(
        "UPDATE number_range SET next_value = 900000000 WHERE name = ?", (f"journal-{year}",)
    )
    return Fault(
        NUMBERS,
        [f"journal-{year} drew up to 899999999", f"{year}/{highest + 1}, ", "and 899999"],
    )


def counter_behind(connection: sqlite3.Connection) -> Fault:
    (name,) = one(connection, "SELECT name FROM number_range WHERE name LIKE 'AU-%'")
    connection.execute(
        "UPDATE number_range SET next_value = next_value - 1 WHERE name = ?", (name,)
    )
    return Fault(NUMBERS, [f"number range {name}", "its next draw repeats one"])


def customer_counter_behind(connection: sqlite3.Connection) -> Fault:
    connection.execute("UPDATE number_range SET next_value = 10001 WHERE name = 'customer'")
    return Fault(NUMBERS, ["number range customer draws customer number K10001 next"])


def invoice_without_its_posting(connection: sqlite3.Connection) -> Fault:
    number, entry_id = one(
        connection,
        "SELECT number, journal_entry_id FROM outgoing_invoice ORDER BY id LIMIT 1 OFFSET 2",
    )
    delete_entry(connection, entry_id)
    return Fault(
        OPERATIONS, [f"outgoing invoice {number}: its journal entry {entry_id} is missing"]
    )


def payment_without_its_posting(connection: sqlite3.Connection) -> Fault:
    number, entry_id = one(
        connection, "SELECT number, journal_entry_id FROM customer_payment ORDER BY id LIMIT 1"
    )
    delete_entry(connection, entry_id)
    return Fault(
        OPERATIONS, [f"incoming payment {number}: its journal entry {entry_id} is missing"]
    )


def supplier_invoice_posted_for_another_amount(connection: sqlite3.Connection) -> Fault:
    number, entry_id = one(
        connection, "SELECT number, journal_entry_id FROM incoming_invoice ORDER BY id LIMIT 1"
    )
    drop_triggers(connection, *JOURNAL_TRIGGERS)
    connection.execute(  # a cent off on the Kreditor and on the expense: still balanced
        "UPDATE journal_line SET credit = max(credit - 1, 0), debit = max(debit - 1, 0)"
        " WHERE entry_id = ? AND (credit > 0 AND account_number >= 70000 OR position = 1)",
        (entry_id,),
    )
    return Fault(OPERATIONS, [f"incoming invoice {number}: its journal entry {entry_id} books"])


def supplier_payment_without_its_posting(connection: sqlite3.Connection) -> Fault:
    payment_id, entry_id = one(
        connection, "SELECT id, journal_entry_id FROM supplier_payment ORDER BY id LIMIT 1"
    )
    delete_entry(connection, entry_id)
    return Fault(OPERATIONS, [f"outgoing payment #{payment_id}: its journal entry {entry_id}"])


def delivery_without_its_movement(connection: sqlite3.Connection) -> Fault:
    number, line_id, movement_id = one(
        connection,
        "SELECT d.number, l.id, l.movement_id FROM delivery_line l"
        " JOIN delivery d ON d.id = l.delivery_id ORDER BY l.id LIMIT 1 OFFSET 7",
    )
    drop_triggers(connection, "stock_movement_no_delete")
    connection.execute("DELETE FROM stock_movement WHERE id = ?", (movement_id,))
    return Fault(
        OPERATIONS,
        [f"delivery {number}, line {line_id}: its stock movement {movement_id} is missing"],
    )


def receipt_line_lost(connection: sqlite3.Connection) -> Fault:
    number, line_id, movement_id = one(
        connection,
        "SELECT r.number, l.id, l.movement_id FROM goods_receipt_line l"
        " JOIN goods_receipt r ON r.id = l.receipt_id ORDER BY l.id LIMIT 1",
    )
    connection.execute("DELETE FROM goods_receipt_line WHERE id = ?", (line_id,))
    return Fault(
        OPERATIONS,
        [f"goods receipt {number}: stock movement {movement_id} belongs to no line", "received"],
    )


def order_delivered_with_open_lines(connection: sqlite3.Connection) -> Fault:
    (number,) = one(
        connection,
        "SELECT number FROM sales_order WHERE status = 'partially_delivered' ORDER BY id LIMIT 1",
    )
    connection.execute("UPDATE sales_order SET status = 'delivered' WHERE number = ?", (number,))
    return Fault(OPERATIONS, [f"sales order {number}: delivered, but its lines have"])


def invoice_paid_without_payment(connection: sqlite3.Connection) -> Fault:
    (number,) = one(
        connection,
        "SELECT number FROM outgoing_invoice WHERE status = 'open' AND kind = 'invoice'"
        " ORDER BY id LIMIT 1",
    )
    connection.execute("UPDATE outgoing_invoice SET status = 'paid' WHERE number = ?", (number,))
    return Fault(OPERATIONS, [f"outgoing invoice {number}: paid, but paid 0.00 of"])


def invoiced_quantity_off(connection: sqlite3.Connection) -> Fault:
    line_id, number, position, invoiced = one(
        connection,
        "SELECT l.id, o.number, l.position, l.invoiced_quantity FROM sales_order_line l"
        " JOIN sales_order o ON o.id = l.order_id WHERE l.invoiced_quantity > 0"
        " ORDER BY l.id LIMIT 1",
    )
    connection.execute(
        "UPDATE sales_order_line SET invoiced_quantity = invoiced_quantity - 1 WHERE id = ?",
        (line_id,),
    )
    return Fault(
        OPERATIONS,
        [f"sales order {number}, line {position}: invoiced quantity {invoiced - 1}"],
    )


def correction_without_its_original_marked(connection: sqlite3.Connection) -> Fault:
    (original,) = one(connection, "SELECT number FROM outgoing_invoice WHERE status = 'corrected'")
    connection.execute("UPDATE outgoing_invoice SET status = 'open' WHERE number = ?", (original,))
    return Fault(OPERATIONS, [f"outgoing invoice {original}: corrected by"])


FAULTS: list[Plant] = [
    unbalanced_line,
    single_line_posting,
    deleted_movement,
    negative_level,
    reservation_off,
    payment_deleted_from_the_middle,
    posting_deleted_from_the_middle,
    counter_bumped,
    journal_counter_far_ahead,
    counter_behind,
    customer_counter_behind,
    invoice_without_its_posting,
    payment_without_its_posting,
    supplier_invoice_posted_for_another_amount,
    supplier_payment_without_its_posting,
    delivery_without_its_movement,
    receipt_line_lost,
    order_delivered_with_open_lines,
    invoice_paid_without_payment,
    invoiced_quantity_off,
    correction_without_its_original_marked,
]


@pytest.mark.parametrize("plant", FAULTS, ids=[plant.__name__ for plant in FAULTS])
def test_a_planted_fault_is_reported_by_name(database: Path, plant: Plant) -> None:
    with raw(database) as connection:
        fault = plant(connection)
    report = check(url(database))
    assert not report.ok
    messages = report.messages(fault.check)
    for expected in fault.expected:
        assert any(expected in message for message in messages), (expected, report.violations)
    assert report.to_json()["checks"][fault.check]["violations"] == len(messages)


def test_a_wrecked_database_reports_a_bounded_number_of_messages(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshot, "MAX_MESSAGES", 10)
    with raw(database) as connection:
        drop_triggers(connection, *JOURNAL_TRIGGERS)
        connection.execute("UPDATE journal_line SET debit = debit + 1 WHERE debit > 0")
        (entries,) = one(connection, "SELECT count(*) FROM journal_entry WHERE status = 'posted'")
    messages = check(url(database)).messages(BOOKS)
    assert len(messages) == 10 + 1
    # every entry and the year's trial balance are off, 10 of them are named
    assert messages[-1] == f"… and {entries + 1 - 10} more"


# PostgreSQL ----------------------------------------------------------------------------------
@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    with private_postgres_or_skip() as postgres:
        yield postgres


@pytest.mark.postgres
def test_the_checks_run_on_postgresql(private_postgres: PrivatePostgres) -> None:
    database_url = private_postgres.create_database("valeo")
    migrate.upgrade(database_url)
    seed(database_url, orders=10)
    report = check(database_url)
    assert report.violations == []
    assert all(rows > 0 for rows in report.checks.values()), report.checks

    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            number, entry_id = connection.execute(
                text("SELECT number, journal_entry_id FROM outgoing_invoice ORDER BY id LIMIT 1")
            ).one()
            # No triggers in this session: neither the journal's guards nor foreign keys.
            connection.execute(text("SET session_replication_role = replica"))
            connection.execute(
                text("DELETE FROM journal_line WHERE entry_id = :e"), {"e": entry_id}
            )
            connection.execute(text("DELETE FROM journal_entry WHERE id = :e"), {"e": entry_id})
    finally:
        engine.dispose()
    report = check(database_url)
    expected = f"outgoing invoice {number}: its journal entry {entry_id} is missing"
    assert expected in report.messages(OPERATIONS), report.violations
    assert any("missing" in message for message in report.messages(NUMBERS))
    assert report.messages(STOCK) == []
