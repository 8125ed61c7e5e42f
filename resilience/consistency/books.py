"""``books_balance``: every posted journal entry has at least two lines and its debits equal
its credits; the trial balance of every fiscal year (all posted entries) balances.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, or_, select

from erp.fibu.models import JournalEntry, JournalLine
from resilience.consistency.snapshot import POSTED, Findings, cents, count_rows


def check_books(connection: Connection, found: Findings) -> int:
    lines = func.count(JournalLine.id)
    debit = cents(func.coalesce(func.sum(JournalLine.debit), 0))
    credit = cents(func.coalesce(func.sum(JournalLine.credit), 0))
    entry = (JournalEntry.id, JournalEntry.fiscal_year, JournalEntry.number)
    unbalanced = (
        select(*entry, JournalEntry.document_number, lines, debit, credit)
        .outerjoin(JournalLine, JournalLine.entry_id == JournalEntry.id)
        .where(POSTED)
        .group_by(*entry, JournalEntry.document_number)
        .having(or_(lines < 2, debit != credit))
        .order_by(JournalEntry.fiscal_year, JournalEntry.number)
    )
    for entry_id, year, number, document, count, debits, credits in connection.execute(unbalanced):
        name = f"journal entry {year}/{number} (id {entry_id}, document {document})"
        if count < 2:
            found.add(f"{name}: posted with {count} line(s), a posting has at least two")
        if debits != credits:
            found.add(f"{name}: debit {debits} ≠ credit {credits}")
    totals = (
        select(
            JournalEntry.fiscal_year,
            cents(func.sum(JournalLine.debit)),
            cents(func.sum(JournalLine.credit)),
        )
        .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
        .where(POSTED)
        .group_by(JournalEntry.fiscal_year)
        .order_by(JournalEntry.fiscal_year)
    )
    for year, debits, credits in connection.execute(totals):
        if debits != credits:
            found.add(
                f"trial balance of fiscal year {year}: total debit {debits} ≠ total credit "
                f"{credits} (difference {debits - credits})"
            )
    return count_rows(connection, JournalEntry, POSTED)
