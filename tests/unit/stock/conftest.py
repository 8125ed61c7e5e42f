"""Stock fixtures and helpers: a warehouse keeper, an article, two warehouses, levels."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erp.auth import service as auth_service
from erp.auth.models import Role, User
from erp.deps import Services
from erp.stock import ledger, queries, service
from erp.stock.models import Article, StockMovement, Warehouse
from tests.conftest import PASSWORD

Receive = Callable[..., StockMovement]


@pytest.fixture
def keeper(db: Session, services: Services) -> User:
    return auth_service.register_user(
        db,
        hasher=services.hasher,
        email="lena@firma.test",
        full_name="Lena Lager",
        password=PASSWORD,
        roles=frozenset({Role.warehouse}),
    )


def article_values(**overrides: Any) -> dict[str, Any]:
    return {
        "sku": "SCHR-M8",
        "name": "Schraube M8 × 40",
        "unit": "Stk",
        "sales_price": Decimal("0.50"),
        "purchase_price": Decimal("0.20"),
        "vat_rate": 19,
        **overrides,
    }


@pytest.fixture
def article(db: Session, keeper: User) -> Article:
    return service.create_article(db, actor=keeper, values=article_values())


@pytest.fixture
def main_store(db: Session, keeper: User) -> Warehouse:
    return service.create_warehouse(db, actor=keeper, values={"code": "HL", "name": "Hauptlager"})


@pytest.fixture
def branch(db: Session, keeper: User) -> Warehouse:
    return service.create_warehouse(db, actor=keeper, values={"code": "FL", "name": "Filiale"})


def level(db: Session, article: Article, warehouse: Warehouse) -> tuple[int, int, Decimal] | None:
    found = queries.levels(db, article_id=article.id, warehouse_id=warehouse.id)
    return (found[0].on_hand, found[0].reserved, found[0].average_cost) if found else None


def movement_count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(StockMovement)) or 0


def assert_ledger_matches_levels(db: Session) -> None:
    """For every (article, warehouse): the ledger's sum is the level's on hand."""
    sums = queries.ledger_sums(db)
    levels = {(lv.article_id, lv.warehouse_id): lv for lv in queries.levels(db)}
    assert set(sums) <= set(levels)
    for key, lv in levels.items():
        assert sums.get(key, 0) == lv.on_hand
        assert 0 <= lv.reserved <= lv.on_hand
        assert lv.available >= 0


@pytest.fixture
def receive(db: Session, keeper: User, article: Article, main_store: Warehouse) -> Receive:
    def book(quantity: int, cost: str, warehouse: Warehouse = main_store) -> StockMovement:
        return ledger.receive(
            db,
            article_id=article.id,
            warehouse_id=warehouse.id,
            quantity=quantity,
            unit_cost=Decimal(cost),
            reference="WE-1",
            actor=keeper,
        )

    return book


def issue(db: Session, keeper: User, article: Article, warehouse: Warehouse, quantity: int) -> int:
    movement = ledger.issue(
        db,
        article_id=article.id,
        warehouse_id=warehouse.id,
        quantity=quantity,
        reference="LS-1",
        actor=keeper,
    )
    return movement.quantity
