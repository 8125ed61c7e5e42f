"""Procure-to-pay through the services: order, partial receipts, invoice posted, payments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erp.auth.models import User
from erp.fibu import journal, open_items
from erp.fibu.report_schemas import PersonalKind
from erp.purchasing import invoicing, service
from erp.purchasing.models import (
    GoodsReceipt,
    InvoiceStatus,
    OrderStatus,
    PurchaseOrder,
    Supplier,
)
from erp.stock import ledger
from erp.stock.models import Article, StockLevel, StockMovement, Warehouse

DAY = date(2026, 3, 2)


@pytest.fixture
def order(
    db: Session, buyer: User, supplier: Supplier, articles: tuple[Article, Article]
) -> PurchaseOrder:
    screws, coffee = articles
    draft = service.create_order(
        db,
        actor=buyer,
        values={
            "supplier_id": supplier.id,
            "order_date": DAY,
            "lines": [
                {"article_id": screws.id, "quantity": 1000, "unit_price": None},
                {"article_id": coffee.id, "quantity": 10, "unit_price": Decimal("12.49")},
            ],
        },
    )
    return service.place_order(db, order_id=draft.id, actor=buyer)


def receive(
    db: Session, buyer: User, order: PurchaseOrder, warehouse: Warehouse, *quantities: int
) -> GoodsReceipt:
    lines = [
        {"order_line_id": line.id, "quantity": q}
        for line, q in zip(order.lines, quantities, strict=True)
        if q
    ]
    return service.receive_goods(
        db,
        order_id=order.id,
        actor=buyer,
        values={"warehouse_id": warehouse.id, "receipt_date": DAY, "lines": lines},
    )


def on_hand(db: Session, article: Article, warehouse: Warehouse) -> int:
    level = db.get(StockLevel, (article.id, warehouse.id))
    return 0 if level is None else level.on_hand


def test_the_supplier_gets_the_next_kreditor_account(supplier: Supplier) -> None:
    assert supplier.kreditor_account == 70000


def test_order_is_numbered_when_placed_and_received_in_parts(
    db: Session,
    buyer: User,
    order: PurchaseOrder,
    warehouse: Warehouse,
    articles: tuple[Article, Article],
) -> None:
    assert order.number == "B2026-00001"
    assert order.lines[0].unit_price == Decimal("0.35")  # the article's purchase price
    first = receive(db, buyer, order, warehouse, 600, 10)
    assert (first.number, order.status) == ("WE2026-00001", OrderStatus.partially_received)
    assert on_hand(db, articles[0], warehouse) == 600
    with pytest.raises(service.OverReceipt):
        receive(db, buyer, order, warehouse, 401, 0)
    receive(db, buyer, order, warehouse, 400, 0)
    assert order.status is OrderStatus.received
    assert on_hand(db, articles[0], warehouse) == 1000
    with pytest.raises(service.OrderState):
        receive(db, buyer, order, warehouse, 1, 0)


def test_invoice_posts_wareneingang_vorsteuer_and_kreditor_and_payments_clear_it(
    db: Session, buyer: User, order: PurchaseOrder, warehouse: Warehouse, supplier: Supplier
) -> None:
    receive(db, buyer, order, warehouse, 1000, 10)
    invoice = invoicing.create_invoice(
        db,
        order_id=order.id,
        actor=buyer,
        values={"supplier_reference": "RN-4711", "invoice_date": DAY},
    )
    # 1000 × 0.35 = 350.00 at 19 % → 66.50; 10 × 12.49 = 124.90 at 7 % → 8.743 → 8.74
    assert (invoice.net_total, invoice.tax_total, invoice.gross_total) == (
        Decimal("474.90"),
        Decimal("75.24"),
        Decimal("550.14"),
    )
    assert invoice.due_date == date(2026, 4, 1)
    entry = journal.get_entry(db, invoice.journal_entry_id)
    booked = {(li.account_number, li.debit, li.credit) for li in entry.lines}
    assert booked == {
        (3400, Decimal("350.00"), Decimal("0.00")),
        (3300, Decimal("124.90"), Decimal("0.00")),
        (1576, Decimal("66.50"), Decimal("0.00")),
        (1571, Decimal("8.74"), Decimal("0.00")),
        (supplier.kreditor_account, Decimal("0.00"), Decimal("550.14")),
    }
    with pytest.raises(invoicing.NothingToInvoice):
        invoicing.create_invoice(
            db,
            order_id=order.id,
            actor=buyer,
            values={"supplier_reference": "RN-4712", "invoice_date": DAY},
        )
    invoicing.pay_invoice(
        db,
        invoice_id=invoice.id,
        actor=buyer,
        values={"amount": Decimal("500.00"), "payment_date": DAY},
    )
    assert invoice.status is InvoiceStatus.partially_paid
    with pytest.raises(invoicing.Overpayment):
        invoicing.pay_invoice(
            db,
            invoice_id=invoice.id,
            actor=buyer,
            values={"amount": Decimal("50.15"), "payment_date": DAY},
        )
    report = open_items.open_items(db, PersonalKind.kreditor, DAY)
    items = [(i.reference, i.amount) for a in report.accounts for i in a.items]
    assert items == [(invoice.number, Decimal("50.14"))]
    invoicing.pay_invoice(
        db,
        invoice_id=invoice.id,
        actor=buyer,
        values={"amount": Decimal("50.14"), "payment_date": DAY},
    )
    assert invoicing.get_invoice(db, invoice.id).status.value == "paid"
    assert open_items.open_items(db, PersonalKind.kreditor, DAY).accounts == []
    with pytest.raises(invoicing.InvoicePaid):
        invoicing.pay_invoice(
            db,
            invoice_id=invoice.id,
            actor=buyer,
            values={"amount": Decimal("1.00"), "payment_date": DAY},
        )


def test_a_failure_between_stock_and_ledger_leaves_nothing_and_numbers_stay_gapless(
    db: Session,
    buyer: User,
    order: PurchaseOrder,
    warehouse: Warehouse,
    articles: tuple[Article, Article],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def crash() -> None:
        raise SystemError("the process died after writing the stock level")

    monkeypatch.setattr(ledger, "_after_level_write", crash)
    with pytest.raises(SystemError), db.begin_nested():  # the request's transaction
        receive(db, buyer, order, warehouse, 600, 10)
    db.expire_all()
    assert on_hand(db, articles[0], warehouse) == 0
    assert db.scalar(select(func.count()).select_from(StockMovement)) == 0
    assert db.scalar(select(func.count()).select_from(GoodsReceipt)) == 0
    assert db.get(PurchaseOrder, order.id).lines[0].received_quantity == 0  # type: ignore[union-attr]
    monkeypatch.setattr(ledger, "_after_level_write", None)
    assert receive(db, buyer, order, warehouse, 600, 10).number == "WE2026-00001"
