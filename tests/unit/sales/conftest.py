"""Sales fixtures: a user with every role, the company's invoice data, a customer, two
articles (19 % and 7 %) with stock in one warehouse, and helpers for the flow's steps."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from erp.auth import service as auth_service
from erp.auth.models import Role, User
from erp.crm import service as crm_service
from erp.crm.models import Customer
from erp.deps import Services
from erp.fibu import service as fibu
from erp.sales import delivery, invoicing, service
from erp.sales.models import Delivery, OutgoingInvoice, SalesOrder
from erp.stock import ledger
from erp.stock import service as stock
from erp.stock.models import Article, StockLevel, Warehouse
from tests.conftest import PASSWORD
from tests.unit.crm.conftest import customer_values

DAY = date(2026, 3, 2)
COMPANY = {
    "name": "Valeo Handel GmbH",
    "street": "Industriestr. 5",
    "postal_code": "50667",
    "city": "Köln",
    "tax_number": "214/5678/0123",
}


@pytest.fixture
def seller(db: Session, services: Services) -> User:
    user = auth_service.register_user(
        db,
        hasher=services.hasher,
        email="sina@firma.test",
        full_name="Sina Vertrieb",
        password=PASSWORD,
        roles=frozenset(Role),
    )
    fibu.update_company(db, actor=user, values=COMPANY)
    return user


@pytest.fixture
def customer(db: Session, seller: User) -> Customer:
    return crm_service.create_customer(
        db, actor=seller, values=customer_values(credit_limit=Decimal("0.00"))
    )


def make_article(db: Session, actor: User, sku: str, price: str, vat_rate: int) -> Article:
    return stock.create_article(
        db,
        actor=actor,
        values={
            "sku": sku,
            "name": f"Artikel {sku}",
            "unit": "Stk",
            "sales_price": Decimal(price),
            "purchase_price": (Decimal(price) / 2).quantize(Decimal("0.01")),
            "vat_rate": vat_rate,
        },
    )


@pytest.fixture
def warehouse(db: Session, seller: User) -> Warehouse:
    return stock.create_warehouse(db, actor=seller, values={"code": "HL", "name": "Hauptlager"})


@pytest.fixture
def articles(db: Session, seller: User, warehouse: Warehouse) -> tuple[Article, Article]:
    """A 19 % article and a 7 % one, 100 of each on hand."""
    made = (
        make_article(db, seller, "BOHRER-8", "19.99", 19),
        make_article(db, seller, "KAFFEE-1KG", "12.49", 7),
    )
    for article in made:
        ledger.receive(
            db,
            article_id=article.id,
            warehouse_id=warehouse.id,
            quantity=100,
            unit_cost=article.purchase_price,
            reference="AB-1",
            actor=seller,
        )
    return made


def place(
    db: Session,
    actor: User,
    customer: Customer,
    warehouse: Warehouse,
    lines: list[tuple[Article, int]],
    *,
    confirm: bool = True,
    prices: dict[str, Decimal] | None = None,
) -> SalesOrder:
    """An order of (article, quantity) lines, confirmed unless told otherwise."""
    order = service.create_order(
        db,
        actor=actor,
        values={
            "customer_id": customer.id,
            "warehouse_id": warehouse.id,
            "order_date": DAY,
            "lines": [
                {"article_id": a.id, "quantity": q, "unit_price": (prices or {}).get(a.sku)}
                for a, q in lines
            ],
        },
    )
    return service.confirm_order(db, order_id=order.id, actor=actor) if confirm else order


def ship(
    db: Session, actor: User, order: SalesOrder, *quantities: int, day: date = DAY
) -> Delivery:
    """Deliver ``quantities`` per order line (all that is open when none are given)."""
    values: dict[str, Any] = {"delivery_date": day, "lines": None}
    if quantities:
        values["lines"] = [
            {"order_line_id": line.id, "quantity": q}
            for line, q in zip(order.lines, quantities, strict=True)
            if q
        ]
    return delivery.deliver(db, order_id=order.id, actor=actor, values=values)


def bill(db: Session, actor: User, order: SalesOrder, day: date = DAY) -> OutgoingInvoice:
    return invoicing.create_invoice(
        db, order_id=order.id, actor=actor, values={"invoice_date": day}
    )


def level(db: Session, article: Article, warehouse: Warehouse) -> tuple[int, int]:
    """(on hand, reserved)."""
    row = db.get(StockLevel, (article.id, warehouse.id))
    return (0, 0) if row is None else (row.on_hand, row.reserved)
