"""Purchasing fixtures: a buyer (admin), a supplier, two articles (19 % and 7 %), a warehouse."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from erp.auth import service as auth_service
from erp.auth.models import Role, User
from erp.deps import Services
from erp.purchasing import service
from erp.purchasing.models import Supplier
from erp.stock import service as stock
from erp.stock.models import Article, Warehouse
from tests.conftest import PASSWORD


@pytest.fixture
def buyer(db: Session, services: Services) -> User:
    return auth_service.register_user(
        db,
        hasher=services.hasher,
        email="bea@firma.test",
        full_name="Bea Einkauf",
        password=PASSWORD,
        roles=frozenset({Role.admin}),
    )


@pytest.fixture
def supplier(db: Session, buyer: User) -> Supplier:
    return service.create_supplier(
        db, actor=buyer, values={"name": "Großhandel Nord GmbH", "payment_terms_days": 30}
    )


def make_article(db: Session, actor: User, sku: str, price: str, vat_rate: int) -> Article:
    return stock.create_article(
        db,
        actor=actor,
        values={
            "sku": sku,
            "name": f"Artikel {sku}",
            "unit": "Stk",
            "sales_price": Decimal(price) * 2,
            "purchase_price": Decimal(price),
            "vat_rate": vat_rate,
        },
    )


@pytest.fixture
def articles(db: Session, buyer: User) -> tuple[Article, Article]:
    return make_article(db, buyer, "SCHRAUBE-M8", "0.35", 19), make_article(
        db, buyer, "KAFFEE-1KG", "12.49", 7
    )


@pytest.fixture
def warehouse(db: Session, buyer: User) -> Warehouse:
    return stock.create_warehouse(db, actor=buyer, values={"code": "HL", "name": "Hauptlager"})
