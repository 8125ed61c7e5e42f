"""Receipts, issues and transfers; the ledger, its listing, its value, its immutability."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from erp.auth.models import User
from erp.stock import ledger, queries, rules, service
from erp.stock.models import Article, MovementKind, StockMovement, Warehouse
from tests.unit.stock.conftest import (
    Receive,
    assert_ledger_matches_levels,
    issue,
    level,
    movement_count,
)

D = Decimal


def test_receipts_move_the_average_and_issues_leave_at_it(
    db: Session, keeper: User, article: Article, main_store: Warehouse, receive: Receive
) -> None:
    first = receive(10, "2.00")
    assert (first.kind, first.quantity, first.unit_cost) == (MovementKind.receipt, 10, D("2.00"))
    assert first.reference == "WE-1"
    assert first.created_by_id == keeper.id
    second = receive(5, "3.00")
    assert second.unit_cost == D("3.00")  # the receipt keeps its own cost
    assert level(db, article, main_store) == (15, 0, D("2.33"))  # 35.00 / 15 = 2.333…
    out = ledger.issue(
        db,
        article_id=article.id,
        warehouse_id=main_store.id,
        quantity=4,
        reference="LS-7",
        actor=keeper,
        reason="Kunde Müller",
    )
    assert (out.kind, out.quantity, out.unit_cost, out.reason) == (
        MovementKind.issue,
        -4,
        D("2.33"),
        "Kunde Müller",
    )
    assert level(db, article, main_store) == (11, 0, D("2.33"))  # issues leave the average
    receive(9, "1.00")  # (11 × 2.33 + 9 × 1.00) / 20 = 34.63 / 20 = 1.7315 → 1.73
    assert level(db, article, main_store) == (20, 0, D("1.73"))
    assert_ledger_matches_levels(db)


def test_an_issue_beyond_the_available_stock_is_refused_and_leaves_nothing(
    db: Session, keeper: User, article: Article, main_store: Warehouse, receive: Receive
) -> None:
    receive(3, "1.00")
    before = movement_count(db)
    with pytest.raises(ledger.InsufficientStock) as refused:
        issue(db, keeper, article, main_store, 5)
    assert (refused.value.available, refused.value.requested, refused.value.status) == (3, 5, 409)
    assert refused.value.detail == "3 Stk of SCHR-M8 available in HL, 5 requested"
    assert level(db, article, main_store) == (3, 0, D("1.00"))
    assert movement_count(db) == before
    assert issue(db, keeper, article, main_store, 3) == -3  # exactly what is there: fine
    assert level(db, article, main_store) == (0, 0, D("1.00"))


def test_an_issue_from_a_never_stocked_warehouse_has_nothing_available(
    db: Session, keeper: User, article: Article, branch: Warehouse
) -> None:
    with pytest.raises(ledger.InsufficientStock) as refused:
        issue(db, keeper, article, branch, 1)
    assert refused.value.available == 0
    assert level(db, article, branch) is None


def test_a_transfer_carries_the_average_cost_into_the_other_warehouse(
    db: Session,
    keeper: User,
    article: Article,
    main_store: Warehouse,
    branch: Warehouse,
    receive: Receive,
) -> None:
    receive(10, "2.00")
    receive(2, "5.00", warehouse=branch)
    outgoing, incoming = ledger.transfer(
        db,
        article_id=article.id,
        from_warehouse_id=main_store.id,
        to_warehouse_id=branch.id,
        quantity=4,
        reference="UML-1",
        actor=keeper,
    )
    assert (outgoing.kind, outgoing.warehouse_id, outgoing.quantity, outgoing.unit_cost) == (
        MovementKind.transfer_out,
        main_store.id,
        -4,
        D("2.00"),
    )
    assert (incoming.kind, incoming.warehouse_id, incoming.quantity, incoming.unit_cost) == (
        MovementKind.transfer_in,
        branch.id,
        4,
        D("2.00"),
    )
    assert level(db, article, main_store) == (6, 0, D("2.00"))
    assert level(db, article, branch) == (6, 0, D("3.00"))  # (2 × 5.00 + 4 × 2.00) / 6
    assert queries.inventory_value(db).total == D("30.00")  # 6 × 2.00 + 6 × 3.00: unchanged
    assert_ledger_matches_levels(db)


def test_refused_transfers_leave_nothing(
    db: Session,
    keeper: User,
    article: Article,
    main_store: Warehouse,
    branch: Warehouse,
    receive: Receive,
) -> None:
    receive(2, "2.00")
    values: dict[str, Any] = {"article_id": article.id, "reference": "UML-2", "actor": keeper}
    with pytest.raises(ledger.InsufficientStock):
        ledger.transfer(
            db, **values, from_warehouse_id=main_store.id, to_warehouse_id=branch.id, quantity=3
        )
    assert level(db, article, branch) is None  # not even an empty level row
    with pytest.raises(ledger.SameWarehouse):
        ledger.transfer(
            db, **values, from_warehouse_id=main_store.id, to_warehouse_id=main_store.id, quantity=1
        )
    service.update_warehouse(db, warehouse_id=branch.id, actor=keeper, values={"active": False})
    with pytest.raises(ledger.InactiveMasterData, match="FL is inactive"):
        ledger.transfer(
            db, **values, from_warehouse_id=main_store.id, to_warehouse_id=branch.id, quantity=1
        )
    assert level(db, article, main_store) == (2, 0, D("2.00"))
    assert movement_count(db) == 1


def test_unknown_records_and_invalid_input_are_refused(
    db: Session, keeper: User, article: Article, main_store: Warehouse
) -> None:
    base: dict[str, Any] = {"reference": "X", "actor": keeper}
    with pytest.raises(service.ArticleNotFound):
        ledger.issue(db, **base, article_id=999, warehouse_id=main_store.id, quantity=1)
    with pytest.raises(service.WarehouseNotFound):
        ledger.issue(db, **base, article_id=article.id, warehouse_id=999, quantity=1)
    with pytest.raises(service.WarehouseNotFound):
        ledger.receive(
            db, **base, article_id=article.id, warehouse_id=999, quantity=1, unit_cost=D("1.00")
        )
    with pytest.raises(rules.InvalidMovement):
        ledger.issue(db, **base, article_id=article.id, warehouse_id=main_store.id, quantity=0)
    with pytest.raises(rules.InvalidMovement):
        ledger.receive(
            db,
            actor=keeper,
            reference="R" * 37,
            article_id=article.id,
            warehouse_id=main_store.id,
            quantity=1,
            unit_cost=D("1.00"),
        )
    with pytest.raises(rules.InvalidMovement):
        ledger.receive(
            db,
            **base,
            article_id=article.id,
            warehouse_id=main_store.id,
            quantity=1,
            unit_cost=D("-1.00"),
        )
    assert movement_count(db) == 0


def test_inventory_value_is_exact(
    db: Session,
    keeper: User,
    article: Article,
    main_store: Warehouse,
    branch: Warehouse,
    receive: Receive,
) -> None:
    other = service.create_article(
        db,
        actor=keeper,
        values={
            "sku": "BOHR-1",
            "name": "Bohrer",
            "unit": "Stk",
            "sales_price": D("9.99"),
            "purchase_price": D("4.10"),
            "vat_rate": 19,
        },
    )
    receive(3, "0.10")
    receive(7, "0.20")  # (0.30 + 1.40) / 10 = 0.17
    receive(1, "0.33", warehouse=branch)
    ledger.receive(
        db,
        article_id=other.id,
        warehouse_id=main_store.id,
        quantity=999_999,
        unit_cost=D("123456.78"),
        reference="EB",
        actor=keeper,
    )
    issue(db, keeper, article, branch, 1)  # an empty level is worth nothing and is not listed
    value = queries.inventory_value(db)
    assert [(li.sku, li.warehouse_code, li.on_hand, li.value) for li in value.lines] == [
        ("BOHR-1", "HL", 999_999, D("123456656543.22")),
        ("SCHR-M8", "HL", 10, D("1.70")),
    ]
    assert value.total == D("123456656544.92")


def test_movements_are_listed_newest_first_and_filtered(
    db: Session,
    keeper: User,
    article: Article,
    main_store: Warehouse,
    branch: Warehouse,
    receive: Receive,
) -> None:
    receive(5, "1.00")
    receive(5, "1.00", warehouse=branch)
    issue(db, keeper, article, main_store, 2)
    rows, total = queries.movements(db, limit=10, offset=0, warehouse_id=main_store.id)
    assert ([m.quantity for m in rows], total) == ([-2, 5], 2)
    rows, total = queries.movements(db, limit=1, offset=1, article_id=article.id)
    assert ([m.warehouse_id for m in rows], total) == ([branch.id], 3)
    assert queries.get_movement(db, rows[0].id).quantity == 5
    with pytest.raises(queries.MovementNotFound):
        queries.get_movement(db, 999)


@pytest.mark.parametrize(
    "statement", ["UPDATE stock_movement SET quantity = 99", "DELETE FROM stock_movement"]
)
def test_the_ledger_is_append_only_in_the_database(
    db: Session, receive: Receive, statement: str
) -> None:
    receive(5, "1.00")
    with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
        db.execute(text(statement))
    assert db.scalar(select(StockMovement.quantity)) == 5
