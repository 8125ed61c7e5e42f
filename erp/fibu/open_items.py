"""The OP-Liste: what is open per Debitor or Kreditor and reference, with ageing buckets."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, Select, and_, bindparam, func, select
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


BUCKETS = tuple(Ageing)  # iterating the enum class each time costs more than the sums


def _ageing_totals(
    items: Sequence[OpenItem], zeros: dict[Ageing, AgeingTotal]
) -> list[AgeingTotal]:
    """All five buckets in order, empty ones as zero: a stable shape for tables.

    One pass over the items; the empty buckets are ``zeros``, one shared instance per bucket
    within a report (most accounts have one item, so most of their buckets are empty).
    """
    sums: dict[Ageing, Decimal] = {}
    for item in items:
        sums[item.ageing] = sums.get(item.ageing, ZERO) + item.amount
    return [
        AgeingTotal(ageing=bucket, amount=sums[bucket]) if bucket in sums else zeros[bucket]
        for bucket in BUCKETS
    ]


def _open_item(
    kind: PersonalKind, as_of: date, reference: str, net: Decimal, document_date: date, due: date
) -> OpenItem:
    days_overdue = max(0, (as_of - due).days)
    return OpenItem(
        reference=reference,
        document_date=document_date,
        due_date=due,
        days_overdue=days_overdue,
        ageing=ageing_of(days_overdue),
        amount=net if kind is PersonalKind.debitor else ZERO - net,
    )


def _open_items_statement() -> Select[Any]:
    """Open items with their first entry's dates, for :kind and :as_of (built once).

    Netting comes first, grouped: almost every item is paid (nets to zero), so the window that
    finds each item's first entry runs over the few open items' lines, not over every line.
    """
    same_item = (JournalLine.account_number, JournalLine.reference)
    posted_by = (POSTED, JournalEntry.posting_date <= bindparam("as_of", type_=Date()))
    open_ = (
        select(*same_item, func.sum(NET).label("net"))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(
            *posted_by,
            # IN, not a join: SQLite then reads only the personal accounts' lines by index.
            JournalLine.account_number.in_(
                select(Account.number).where(
                    Account.kind == bindparam("kind", type_=Account.kind.type)
                )
            ),
        )
        .group_by(*same_item)
        .having(func.sum(NET) != 0)
        .subquery()
    )
    ranked = (
        select(
            JournalLine.account_number.label("account"),
            JournalLine.reference,
            open_.c.net,
            func.row_number()
            .over(partition_by=same_item, order_by=(JournalEntry.posting_date, JournalEntry.id))
            .label("nth"),
            JournalEntry.document_date,
            JournalEntry.due_date,
        )
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .join(
            open_,
            and_(
                open_.c.account_number == JournalLine.account_number,
                open_.c.reference == JournalLine.reference,
            ),
        )
        .where(*posted_by)
        .subquery()
    )
    return (
        select(
            ranked.c.account,
            ranked.c.reference,
            ranked.c.net,
            ranked.c.document_date,
            ranked.c.due_date,
            Account.name.label("account_name"),
            Customer.number.label("customer_number"),
            Customer.name.label("customer_name"),
        )
        .join(Account, Account.number == ranked.c.account)
        .outerjoin(Customer, Customer.debitor_account == ranked.c.account)
        .where(ranked.c.nth == 1)
        .order_by(ranked.c.account, ranked.c.reference)
    )


_OPEN_ITEMS = _open_items_statement()


def open_items(session: Session, kind: PersonalKind, as_of: date) -> OpenItems:
    """OP-Liste: per personal account, what is open per reference (OP-Nummer) on ``as_of``.

    An item is the lines of one account with one reference; it is open while they do not net
    to zero. Its dates are its earliest entry's (the invoice; payments come later).
    """
    # Plain tuples, unpacked: named access on thousands of rows costs more than the rest.
    rows = session.execute(_OPEN_ITEMS, {"kind": AccountKind(kind), "as_of": as_of})
    items_by_account: dict[int, list[OpenItem]] = defaultdict(list)
    owners: dict[int, tuple[str, str | None, str | None]] = {}
    for account, reference, net, document_date, due_date, name, number, customer in rows:
        due = due_date or document_date
        items_by_account[account].append(
            _open_item(kind, as_of, reference, net, document_date, due)
        )
        owners[account] = name, number, customer
    zeros = {bucket: AgeingTotal(ageing=bucket, amount=ZERO) for bucket in BUCKETS}
    accounts = []
    for account, unsorted in items_by_account.items():
        items = sorted(unsorted, key=lambda i: (i.due_date, i.reference))
        name, customer_number, customer_name = owners[account]
        accounts.append(
            OpenAccount(
                number=account,
                name=name,
                customer_number=customer_number,
                customer_name=customer_name,
                items=items,
                ageing=_ageing_totals(items, zeros),
                total=total([i.amount for i in items]),
            )
        )
    every_item = [i for a in accounts for i in a.items]
    return OpenItems(
        kind=kind,
        as_of=as_of,
        accounts=accounts,
        ageing=_ageing_totals(every_item, zeros),
        total=total([i.amount for i in every_item]),
    )
