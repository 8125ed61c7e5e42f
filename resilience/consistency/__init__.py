"""What must hold after any fault, read straight from the database.

``check(database_url)`` opens an engine of its own, reads everything in ONE read-only
transaction (one snapshot: REPEATABLE READ on PostgreSQL, a deferred transaction on SQLite's
WAL), and disposes of the engine. Every rule is a grouped SQL query that returns only the
rows breaking it (plus a count of the rows it examined), so ~10,000 documents cost a few
queries, not a loop over ORM objects.

- ``books_balance``: every posted journal entry has at least two lines and its debits equal
  its credits; the trial balance of every fiscal year (all posted entries) balances.
- ``stock_ledger``: per (article, warehouse) the ledger sums to the stored level, no level is
  negative, the reserved quantity lies within what is on hand and equals what the open sales
  orders (confirmed, partly delivered) still have to deliver.
- ``document_numbers``: every series (journal entries per fiscal year; sales orders,
  deliveries, invoices and their corrections, incoming payments, purchase orders, goods
  receipts, incoming invoices and outgoing payments per calendar year) runs 1..n without gaps
  or duplicates, and its number range's counter stands at n (a drawn number that was never
  used is a gap); customer, Debitor and Kreditor numbers are never behind their counter.
- ``complete_operations``: no business operation is half-written — every invoice and payment
  has its posted journal entry (right document number, right amount on the Debitor or
  Kreditor), every delivery and goods receipt line its stock movement (and no movement of
  theirs lacks its line), the delivered, received, invoiced and paid figures on orders and
  invoices equal the documents behind them, and every status agrees with those figures
  (an order marked delivered has nothing left to deliver, a corrected invoice has its
  correction, …).

The engine and the snapshot live in ``snapshot``; the checks in ``books``, ``stock``,
``numbers`` and ``operations`` (which runs ``postings`` and ``states`` too).

``python -m resilience.consistency URL`` prints the report as JSON (exit 1 on a violation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection

from resilience.consistency.books import check_books
from resilience.consistency.numbers import check_numbers
from resilience.consistency.operations import check_operations
from resilience.consistency.snapshot import Findings, Violation, open_engine, read_snapshot
from resilience.consistency.stock import check_stock

__all__ = [
    "BOOKS",
    "CHECKS",
    "NUMBERS",
    "OPERATIONS",
    "STOCK",
    "Check",
    "ConsistencyReport",
    "Violation",
    "check",
]

BOOKS, STOCK, NUMBERS, OPERATIONS = (
    "books_balance",
    "stock_ledger",
    "document_numbers",
    "complete_operations",
)


@dataclass
class ConsistencyReport:
    checks: dict[str, int] = field(default_factory=dict)  # check → rows examined
    violations: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def messages(self, check: str) -> list[str]:
        return [v.message for v in self.violations if v.check == check]

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checks": {
                name: {"rows": rows, "violations": len(self.messages(name))}
                for name, rows in self.checks.items()
            },
            "violations": [asdict(v) for v in self.violations],
        }


Check = Callable[[Connection, Findings], int]


def check(database_url: str) -> ConsistencyReport:
    """Every rule on the database at ``database_url``, in one read-only snapshot."""
    engine = open_engine(database_url)
    try:
        with read_snapshot(engine) as connection:
            report = ConsistencyReport()
            for name, run in CHECKS:
                findings = Findings(name)
                report.checks[name] = run(connection, findings)
                report.violations += findings.violations()
            return report
    finally:
        engine.dispose()


CHECKS: tuple[tuple[str, Check], ...] = (
    (BOOKS, check_books),
    (STOCK, check_stock),
    (NUMBERS, check_numbers),
    (OPERATIONS, check_operations),
)
