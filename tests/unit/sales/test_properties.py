"""Property-based: whatever orders, confirmations, deliveries (some crashing halfway),
cancellations, invoices, corrections and payments happen, stock and books stay exact.

Each operation runs in its own savepoint, as a request has its own transaction; a refusal or
a crash rolls it back. After every operation the invariants are checked over the database.
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erp.auth.models import User
from erp.crm.models import Customer
from erp.errors import DomainError
from erp.fibu.models import JournalLine
from erp.money import round_cents
from erp.sales import invoicing, service
from erp.sales.models import InvoiceKind, OutgoingInvoice, SalesOrder
from erp.stock import ledger
from erp.stock.models import Article, Warehouse
from tests.unit.sales.conftest import DAY, bill, level, place, ship

OPENING = 100  # per article, from the fixture
slot = st.integers(min_value=0, max_value=50)
operation = st.one_of(
    st.tuples(st.just("order"), st.integers(0, 40), st.integers(0, 40), st.booleans()),
    st.tuples(st.just("deliver"), slot, st.integers(1, 40)),
    st.tuples(st.just("crash"), slot),
    st.tuples(st.just("cancel"), slot),
    st.tuples(st.just("invoice"), slot),
    st.tuples(st.just("pay"), slot, st.integers(1, 30_000)),
    st.tuples(st.just("correct"), slot),
)


class Crash(Exception):
    pass


def crash() -> None:
    raise Crash


def pick(db: Session, model: type[Any], index: int) -> Any:
    rows = list(db.scalars(select(model).order_by(model.id)))
    return rows[index % len(rows)] if rows else None


def on_order(
    db: Session, actor: User, order: SalesOrder, op: tuple[Any, ...], patch: pytest.MonkeyPatch
) -> None:
    kind = op[0]
    if kind == "deliver":
        line = order.lines[op[2] % len(order.lines)]
        quantities = [min(op[2], li.open_quantity) if li is line else 0 for li in order.lines]
        ship(db, actor, order, *quantities)
    elif kind == "crash":  # the process dies after the first stock level is written
        with patch.context() as crashing:
            crashing.setattr(ledger, "_after_level_write", crash)
            ship(db, actor, order)
    elif kind == "cancel":
        service.cancel_order(db, order_id=order.id, actor=actor)
    else:
        bill(db, actor, order)


def on_invoice(db: Session, actor: User, invoice: OutgoingInvoice, op: tuple[Any, ...]) -> None:
    if op[0] == "pay":
        amount = min(Decimal(op[2]).scaleb(-2), invoice.open_amount or Decimal(1))
        values = {"amount": amount, "payment_date": DAY}
        invoicing.book_payment(db, invoice_id=invoice.id, actor=actor, values=values)
    else:
        values = {"invoice_date": DAY, "reason": "Korrektur"}
        invoicing.correct_invoice(db, invoice_id=invoice.id, actor=actor, values=values)


def apply(
    db: Session,
    actor: User,
    world: tuple[Customer, Warehouse, tuple[Article, Article]],
    op: tuple[Any, ...],
    patch: pytest.MonkeyPatch,
) -> None:
    customer, warehouse, articles = world
    try:
        with db.begin_nested():
            if op[0] == "order":
                lines = [(a, q) for a, q in zip(articles, op[1:3], strict=True) if q]
                if lines:
                    place(db, actor, customer, warehouse, lines, confirm=op[3])
            elif op[0] in ("pay", "correct"):
                invoice = pick(db, OutgoingInvoice, op[1])
                if invoice is not None:
                    on_invoice(db, actor, invoice, op)
            else:
                order = pick(db, SalesOrder, op[1])
                if order is not None:
                    on_order(db, actor, order, op, patch)
    except (DomainError, Crash):
        pass  # refused or crashed: the savepoint is rolled back


def gapless(numbers: list[str]) -> bool:
    serials = sorted(int(re.sub(r".*-", "", n)) for n in numbers)
    return serials == list(range(1, len(serials) + 1))


def check_invariants(
    db: Session, customer: Customer, warehouse: Warehouse, articles: tuple[Article, Article]
) -> None:
    orders = list(db.scalars(select(SalesOrder)))
    reserved: dict[int, int] = defaultdict(int)
    delivered: dict[int, int] = defaultdict(int)
    for order in orders:
        for li in order.lines:
            assert 0 <= li.invoiced_quantity <= li.delivered_quantity
            assert li.delivered_quantity + li.cancelled_quantity <= li.quantity
            delivered[li.article_id] += li.delivered_quantity
            if order.status in service.OPEN:
                reserved[li.article_id] += li.open_quantity
    for article in articles:
        on_hand, held = level(db, article, warehouse)
        assert (on_hand, held) == (OPENING - delivered[article.id], reserved[article.id])
        assert 0 <= held <= on_hand

    invoices = list(db.scalars(select(OutgoingInvoice)))
    for invoice in invoices:
        nets: dict[int, Decimal] = defaultdict(Decimal)
        for billed in invoice.lines:
            nets[billed.vat_rate] += billed.net
        tax = sum((round_cents(net * rate / 100) for rate, net in nets.items()), Decimal(0))
        assert (invoice.tax_total, invoice.gross_total) == (tax, invoice.net_total + tax)
    debit, credit = db.execute(
        select(func.sum(JournalLine.debit), func.sum(JournalLine.credit))
    ).one()
    assert debit == credit
    debitor = db.scalar(
        select(func.sum(JournalLine.debit) - func.sum(JournalLine.credit)).where(
            JournalLine.account_number == customer.debitor_account
        )
    )
    open_total = sum((i.open_amount for i in invoices if i.kind is InvoiceKind.invoice), Decimal(0))
    assert Decimal(debitor or 0) / 100 == open_total
    assert gapless([o.number for o in orders if o.number])
    assert gapless([i.number for i in invoices])


@given(operations=st.lists(operation, min_size=1, max_size=14))
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_stock_and_books_stay_exact(
    db: Session,
    seller: User,
    customer: Customer,
    warehouse: Warehouse,
    articles: tuple[Article, Article],
    monkeypatch: pytest.MonkeyPatch,
    operations: list[tuple[Any, ...]],
) -> None:
    for op in operations:
        apply(db, seller, (customer, warehouse, articles), op, monkeypatch)
        check_invariants(db, customer, warehouse, articles)
