"""Reservations, inventory adjustments, inactive records and the stock limit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from erp.auth.models import User
from erp.errors import NotFound
from erp.stock import ledger, queries, rules, service
from erp.stock.models import Article, MovementKind, Warehouse
from tests.unit.stock.conftest import Receive, assert_ledger_matches_levels, issue, level

D = Decimal


def test_reserved_stock_is_not_available(
    db: Session, keeper: User, article: Article, main_store: Warehouse, receive: Receive
) -> None:
    receive(10, "1.00")
    key = {"article_id": article.id, "warehouse_id": main_store.id}
    ledger.reserve(db, **key, quantity=7)
    assert level(db, article, main_store) == (10, 7, D("1.00"))
    [lv] = queries.levels(db, **key)
    assert lv.available == 3
    with pytest.raises(ledger.InsufficientStock) as refused:
        issue(db, keeper, article, main_store, 4)
    assert refused.value.available == 3
    with pytest.raises(ledger.InsufficientStock):
        ledger.reserve(db, **key, quantity=4)
    with pytest.raises(ledger.ReservationExceeded, match="7 reserved, 8 to release"):
        ledger.release(db, **key, quantity=8)
    ledger.release(db, **key, quantity=5)  # the order ships 5: release, then issue
    assert issue(db, keeper, article, main_store, 5) == -5
    assert level(db, article, main_store) == (5, 2, D("1.00"))
    assert_ledger_matches_levels(db)


def test_reservations_need_a_level(db: Session, article: Article, branch: Warehouse) -> None:
    with pytest.raises(ledger.InsufficientStock):
        ledger.reserve(db, article_id=article.id, warehouse_id=branch.id, quantity=1)
    with pytest.raises(ledger.ReservationExceeded, match="0 reserved"):
        ledger.release(db, article_id=article.id, warehouse_id=branch.id, quantity=1)
    with pytest.raises(NotFound):
        ledger.reserve(db, article_id=999, warehouse_id=branch.id, quantity=1)


def test_adjustments_to_a_count_and_by_a_delta(
    db: Session, keeper: User, article: Article, main_store: Warehouse, receive: Receive
) -> None:
    receive(10, "2.50")
    key: dict[str, Any] = {"article_id": article.id, "warehouse_id": main_store.id, "actor": keeper}
    lost = ledger.adjust(db, **key, counted=8, reason="Inventur 2026: Schwund")
    assert (lost.kind, lost.quantity, lost.unit_cost) == (MovementKind.adjustment, -2, D("2.50"))
    found = ledger.adjust(db, **key, delta=3, reason="Fund im Regal", reference="INV-2026")
    assert (found.quantity, found.reference) == (3, "INV-2026")
    assert level(db, article, main_store) == (11, 0, D("2.50"))  # the average stays
    ledger.reserve(db, article_id=article.id, warehouse_id=main_store.id, quantity=4)
    with pytest.raises(rules.BelowReserved):
        ledger.adjust(db, **key, counted=3, reason="zu wenig")
    with pytest.raises(rules.BelowReserved):
        ledger.adjust(db, **key, delta=-8, reason="zu wenig")
    with pytest.raises(rules.NoDifference):
        ledger.adjust(db, **key, counted=11, reason="stimmt")
    with pytest.raises(rules.InvalidMovement, match="needs a reason"):
        ledger.adjust(db, **key, delta=1, reason=" ")
    assert ledger.adjust(db, **key, counted=4, reason="Bruch").quantity == -7
    assert level(db, article, main_store) == (4, 4, D("2.50"))
    assert_ledger_matches_levels(db)


def test_an_adjustment_into_an_empty_level_takes_the_purchase_price(
    db: Session, keeper: User, article: Article, branch: Warehouse
) -> None:
    key: dict[str, Any] = {"article_id": article.id, "warehouse_id": branch.id, "actor": keeper}
    with pytest.raises(rules.NoDifference):
        ledger.adjust(db, **key, counted=0, reason="leer")
    with pytest.raises(rules.BelowReserved):
        ledger.adjust(db, **key, delta=-1, reason="weg")
    assert level(db, article, branch) is None  # refused before the level row is created
    movement = ledger.adjust(db, **key, counted=5, reason="Anfangsbestand gezählt")
    assert movement.unit_cost == article.purchase_price == D("0.20")
    assert level(db, article, branch) == (5, 0, D("0.20"))


def test_inactive_records_take_no_new_stock_but_may_give_it(
    db: Session, keeper: User, article: Article, main_store: Warehouse, receive: Receive
) -> None:
    receive(5, "1.00")
    service.update_article(db, article_id=article.id, actor=keeper, values={"active": False})
    with pytest.raises(ledger.InactiveMasterData, match="SCHR-M8 is inactive"):
        receive(1, "1.00")
    assert issue(db, keeper, article, main_store, 5) == -5


def test_stock_per_level_is_bounded(
    db: Session, keeper: User, article: Article, main_store: Warehouse, receive: Receive
) -> None:
    key: dict[str, Any] = {"article_id": article.id, "warehouse_id": main_store.id, "actor": keeper}
    ledger.adjust(db, **key, counted=rules.MAX_ON_HAND, reason="Großlager")
    with pytest.raises(rules.StockLimitExceeded):
        receive(1, "1.00")
