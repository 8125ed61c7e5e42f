"""The whole demo (with a little volume) seeded through the CLI keeps books and stock straight:
the trial balance balances, the OP-Listen are the open invoices, the UStVA holds exactly the
invoices' tax, the DATEV export is valid, and stock matches the documents."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erp import cli
from erp.crm.models import Customer
from erp.db import Database
from erp.demo_stock import ARTICLES
from erp.demo_volume import SKU_PREFIX, opening_stock
from erp.fibu import datev, open_items, reports
from erp.fibu.report_schemas import PersonalKind
from erp.fibu.ustva import tax_period, ustva
from erp.purchasing.models import GoodsReceipt, GoodsReceiptLine, IncomingInvoice, PurchaseOrderLine
from erp.purchasing.models import InvoiceStatus as IncomingStatus
from erp.sales.models import (
    Delivery,
    DeliveryLine,
    OutgoingInvoice,
    SalesInvoiceStatus,
    SalesOrder,
    SalesOrderLine,
    SalesOrderStatus,
)
from erp.sales.service import OPEN
from erp.stock import queries
from erp.stock.models import Article, StockLevel
from erp.timeutil import business_date
from tests.conftest import FAST_HASHING, TEST_SECRET
from tests.unit.fibu.datev_validator import Expected, check_file, journal_postings

VOLUME = {"customers": 40, "articles": 30, "orders": 150}
D = Decimal
OPEN_INVOICE = (SalesInvoiceStatus.open, SalesInvoiceStatus.partially_paid)
# erp.demo_fibu books by hand: three sales (the first paid) and a purchase, all at 19 %.
HAND_DEBITOR_ITEMS = {"RE-2026002": D("1487.50"), "RE-2026003": D("1785.00")}
HAND_KREDITOR_ITEMS = {"ER-1001": D("4760.00")}
HAND_SALES_NET, HAND_OUTPUT_TAX, HAND_INPUT_TAX = D("3750.00"), D("712.50"), D("760.00")


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    data_dir: Path = tmp_path_factory.mktemp("demo")
    argv = ["seed-demo", *(f"--{k}={v}" for k, v in VOLUME.items())]
    with pytest.MonkeyPatch.context() as env:
        env.setenv("VALEO_DATA_DIR", str(data_dir))
        env.setenv("VALEO_ENVIRONMENT", "test")
        env.setenv("VALEO_SECRET_KEY", TEST_SECRET)
        env.setenv("VALEO_ARGON2_MEMORY_KIB", str(FAST_HASHING["argon2_memory_kib"]))
        env.setenv("VALEO_ARGON2_TIME_COST", str(FAST_HASHING["argon2_time_cost"]))
        env.delenv("VALEO_DATABASE_URL", raising=False)
        assert cli.main(argv) == 0
        assert cli.main(argv) == 0  # idempotent: the second run adds nothing
    database = Database(f"sqlite:///{data_dir / 'valeo.sqlite3'}")
    with database.transaction(write=False) as session:
        yield session
    database.dispose()


def month() -> tuple[date, date]:
    today = business_date()
    return today.replace(day=1), today


def test_every_step_of_order_to_cash_is_there_once(books: Session) -> None:
    orders = books.scalars(select(SalesOrder)).all()
    invoices = books.scalars(select(OutgoingInvoice)).all()
    demo = [o for o in orders if o.customer_reference.startswith("BEST-")]
    assert len(demo) == 9
    assert len(orders) == 9 + VOLUME["orders"]
    assert {o.status for o in demo} == set(SalesOrderStatus)
    assert {i.status for i in invoices} == set(SalesInvoiceStatus)
    assert {line.vat_rate for i in invoices for line in i.lines} == {19, 7}


def test_the_trial_balance_balances(books: Session) -> None:
    today = business_date()
    balance = reports.trial_balance(books, reports.fiscal_year_start(books, today), today)
    assert balance.debit == balance.credit > 0
    assert balance.closing == balance.opening == 0


def items(books: Session, kind: PersonalKind) -> dict[tuple[int, str], Decimal]:
    report = open_items.open_items(books, kind, business_date())
    return {(a.number, i.reference): i.amount for a in report.accounts for i in a.items}


def test_the_debitor_open_items_are_the_open_invoices(books: Session) -> None:
    debitor = dict(books.execute(select(Customer.id, Customer.debitor_account)).all())
    open_invoices = books.scalars(
        select(OutgoingInvoice).where(OutgoingInvoice.status.in_(OPEN_INVOICE))
    ).all()
    expected = {(debitor[i.customer_id], i.number): i.open_amount for i in open_invoices}
    found = items(books, PersonalKind.debitor)
    by_hand = {ref: amount for (_, ref), amount in found.items() if ref.startswith("RE-")}
    assert by_hand == HAND_DEBITOR_ITEMS
    assert {k: v for k, v in found.items() if not k[1].startswith("RE-")} == expected
    assert any(i.status is SalesInvoiceStatus.partially_paid for i in open_invoices)


def test_the_kreditor_open_items_are_the_unpaid_incoming_invoices(books: Session) -> None:
    unpaid = books.scalars(
        select(IncomingInvoice).where(IncomingInvoice.status != IncomingStatus.paid)
    ).all()
    expected = {i.number: i.gross_total - i.paid_total for i in unpaid}
    assert expected
    assert {ref: v for (_, ref), v in items(books, PersonalKind.kreditor).items()} == {
        **expected,
        **HAND_KREDITOR_ITEMS,
    }


def test_the_ustva_holds_exactly_the_invoices_tax(books: Session) -> None:
    today = business_date()
    net: dict[int, Decimal] = defaultdict(Decimal)
    tax: dict[int, Decimal] = defaultdict(Decimal)
    for invoice in books.scalars(select(OutgoingInvoice)):  # corrections count negative
        for total in invoice.totals:
            net[total.rate] += total.net
            tax[total.rate] += total.tax
    net[19] += HAND_SALES_NET
    tax[19] += HAND_OUTPUT_TAX
    report = ustva(books, tax_period(today.year, month=today.month))
    assert {o.rate: (o.base_exact, o.booked_tax) for o in report.output} == {
        19: (net[19], tax[19]),
        7: (net[7], tax[7]),
    }
    assert net[7] > 0
    input_tax = books.scalar(select(func.sum(IncomingInvoice.tax_total)))
    assert input_tax
    assert report.kz66 == input_tax + HAND_INPUT_TAX


def test_the_datev_export_passes_the_validator(books: Session) -> None:
    first, today = month()
    export = datev.export_buchungsstapel(books, date_from=first, date_to=today)
    parsed = check_file(
        export.content, Expected(29098, 55003, date(today.year, 1, 1), first, today)
    )
    assert export.rows == len(parsed.rows) > VOLUME["orders"]
    assert parsed.postings() == journal_postings(books, first, today)


def test_stock_matches_the_orders(books: Session) -> None:
    levels = {(s.article_id, s.warehouse_id): s for s in books.scalars(select(StockLevel))}
    assert queries.ledger_sums(books) == {key: s.on_hand for key, s in levels.items()}
    skus = dict(books.execute(select(Article.id, Article.sku)).all())
    volume_opening = opening_stock(VOLUME["articles"], VOLUME["orders"])
    demo_opening = {sku: opening for sku, *_, opening in ARTICLES}
    expected_on_hand: dict[tuple[int, int], int] = defaultdict(int)
    expected_reserved: dict[tuple[int, int], int] = defaultdict(int)
    for article, warehouse in levels:
        sku = skus[article]
        expected_on_hand[article, warehouse] += (
            volume_opening if sku.startswith(SKU_PREFIX) else demo_opening[sku]
        )
    receipts = books.execute(
        select(PurchaseOrderLine.article_id, GoodsReceipt.warehouse_id, GoodsReceiptLine.quantity)
        .join(GoodsReceipt, GoodsReceipt.id == GoodsReceiptLine.receipt_id)
        .join(PurchaseOrderLine, PurchaseOrderLine.id == GoodsReceiptLine.order_line_id)
    )
    for article, warehouse, quantity in receipts:
        expected_on_hand[article, warehouse] += quantity
    deliveries = books.execute(
        select(SalesOrderLine.article_id, Delivery.warehouse_id, DeliveryLine.quantity)
        .join(Delivery, Delivery.id == DeliveryLine.delivery_id)
        .join(SalesOrderLine, SalesOrderLine.id == DeliveryLine.order_line_id)
    )
    for article, warehouse, quantity in deliveries:
        expected_on_hand[article, warehouse] -= quantity
    for order in books.scalars(select(SalesOrder).where(SalesOrder.status.in_(OPEN))):
        for line in order.lines:
            expected_reserved[line.article_id, order.warehouse_id] += line.open_quantity
    assert {k: s.on_hand for k, s in levels.items()} == dict(expected_on_hand)
    assert {k: s.reserved for k, s in levels.items() if s.reserved} == {
        k: v for k, v in expected_reserved.items() if v
    }
    assert sum(expected_reserved.values()) > 0
