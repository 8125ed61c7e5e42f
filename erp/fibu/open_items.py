"""The OP-Liste: what is open per Debitor or Kreditor and reference, with ageing buckets."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erp.crm.models import Customer
from erp.fibu.models import Account, AccountKind, JournalEntry, JournalLine
from erp.fibu.report_schemas import (
    Ageing,
    AgeingTotal,
    OpenAccount,
    OpenItem,
    OpenItems,
    PersonalKind,
)
from erp.fibu.reports import NET, POSTED, total
from erp.money import ZERO

# (most days overdue, bucket); anything later is over 90 days.
AGEING_LIMITS = (
    (0, Ageing.not_due),
    (30, Ageing.days_1_30),
    (60, Ageing.days_31_60),
    (90, Ageing.days_61_90),
)


def ageing_of(days_overdue: int) -> Ageing:
    for limit, bucket in AGEING_LIMITS:
        if days_overdue <= limit:
            return bucket
    return Ageing.over_90


def _ageing_totals(items: Sequence[OpenItem]) -> list[AgeingTotal]:
    """All five buckets in order, empty ones as zero: a stable shape for tables."""
    return [
        AgeingTotal(ageing=bucket, amount=total([i.amount for i in items if i.ageing is bucket]))
        for bucket in Ageing
    ]


def _open_item(kind: PersonalKind, as_of: date, row: Any) -> OpenItem:
    due = row.due_date or row.document_date
    days_overdue = max(0, (as_of - due).days)
    return OpenItem(
        reference=row.reference,
        document_date=row.document_date,
        due_date=due,
        days_overdue=days_overdue,
        ageing=ageing_of(days_overdue),
        amount=row.net if kind is PersonalKind.debitor else ZERO - row.net,
    )


def open_items(session: Session, kind: PersonalKind, as_of: date) -> OpenItems:
    """OP-Liste: per personal account, what is open per reference (OP-Nummer) on ``as_of``.

    An item is the lines of one account with one reference; it is open while they do not net
    to zero. Its dates are its earliest entry's (the invoice; payments come later).
    """
    same_item = (JournalLine.account_number, JournalLine.reference)
    earliest_first = (JournalEntry.posting_date, JournalEntry.id)
    ranked = (
        select(
            JournalLine.account_number.label("account"),
            JournalLine.reference,
            func.sum(NET).over(partition_by=same_item).label("net"),
            func.row_number().over(partition_by=same_item, order_by=earliest_first).label("nth"),
            JournalEntry.document_date,
            JournalEntry.due_date,
        )
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .join(Account, Account.number == JournalLine.account_number)
        .where(POSTED, JournalEntry.posting_date <= as_of, Account.kind == AccountKind(kind))
        .subquery()
    )
    stmt = (
        select(
            ranked,
            Account.name.label("account_name"),
            Customer.number.label("customer_number"),
            Customer.name.label("customer_name"),
        )
        .join(Account, Account.number == ranked.c.account)
        .outerjoin(Customer, Customer.debitor_account == ranked.c.account)
        .where(ranked.c.nth == 1, ranked.c.net != 0)
        .order_by(ranked.c.account, ranked.c.reference)
    )
    rows_by_account: dict[int, list[Any]] = defaultdict(list)
    for row in session.execute(stmt):
        rows_by_account[row.account].append(row)
    accounts = []
    for rows in rows_by_account.values():
        items = sorted(
            (_open_item(kind, as_of, row) for row in rows), key=lambda i: (i.due_date, i.reference)
        )
        accounts.append(
            OpenAccount(
                number=rows[0].account,
                name=rows[0].account_name,
                customer_number=rows[0].customer_number,
                customer_name=rows[0].customer_name,
                items=items,
                ageing=_ageing_totals(items),
                total=total([i.amount for i in items]),
            )
        )
    every_item = [i for a in accounts for i in a.items]
    return OpenItems(
        kind=kind,
        as_of=as_of,
        accounts=accounts,
        ageing=_ageing_totals(every_item),
        total=total([i.amount for i in every_item]),
    )
