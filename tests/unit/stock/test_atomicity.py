"""A failure between the level write and the ledger write leaves nothing of the operation."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erp.auth import service as auth_service
from erp.auth.models import Role, User
from erp.deps import Services
from erp.stock import ledger, queries, service
from erp.stock.models import Article, StockMovement, Warehouse
from tests.conftest import PASSWORD
from tests.unit.stock.conftest import article_values

Operation = Callable[[Session, User, int, int, int], object]


class Crash(Exception):
    """The process dies after the level was written, before the ledger line."""


def crash() -> None:
    raise Crash


def receive(db: Session, user: User, article: int, store: int, _other: int) -> object:
    return ledger.receive(
        db,
        article_id=article,
        warehouse_id=store,
        quantity=3,
        unit_cost=Decimal("9.99"),
        reference="WE",
        actor=user,
    )


def issue(db: Session, user: User, article: int, store: int, _other: int) -> object:
    return ledger.issue(
        db, article_id=article, warehouse_id=store, quantity=2, reference="LS", actor=user
    )


def transfer(db: Session, user: User, article: int, store: int, other: int) -> object:
    return ledger.transfer(
        db,
        article_id=article,
        from_warehouse_id=store,
        to_warehouse_id=other,
        quantity=2,
        reference="U",
        actor=user,
    )


def adjust(db: Session, user: User, article: int, store: int, _other: int) -> object:
    return ledger.adjust(
        db, article_id=article, warehouse_id=store, counted=1, reason="Inventur", actor=user
    )


OPERATIONS: dict[str, Operation] = {
    "receive": receive,
    "issue": issue,
    "transfer": transfer,
    "adjust": adjust,
}


def snapshot(db: Session) -> tuple[list[tuple[int, int, int, int, Decimal]], int]:
    levels = [
        (lv.article_id, lv.warehouse_id, lv.on_hand, lv.reserved, lv.average_cost)
        for lv in queries.levels(db)
    ]
    return levels, db.scalar(select(func.count()).select_from(StockMovement)) or 0


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_a_crash_inside_the_operation_rolls_all_of_it_back(
    db: Session,
    keeper: User,
    article: Article,
    main_store: Warehouse,
    branch: Warehouse,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
) -> None:
    operation = OPERATIONS[name]
    ledger.receive(
        db,
        article_id=article.id,
        warehouse_id=main_store.id,
        quantity=5,
        unit_cost=Decimal("1.00"),
        reference="EB",
        actor=keeper,
    )
    before = snapshot(db)
    monkeypatch.setattr(ledger, "_after_level_write", crash)
    with pytest.raises(Crash), db.begin_nested():  # the savepoint stands in for a request
        operation(db, keeper, article.id, main_store.id, branch.id)
    assert snapshot(db) == before
    monkeypatch.setattr(ledger, "_after_level_write", None)
    operation(db, keeper, article.id, main_store.id, branch.id)  # without the crash: fine
    assert snapshot(db) != before


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_a_crashed_transaction_commits_nothing(
    services: Services, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """The real thing: the operation's own transaction, committed or not at all."""
    with services.database.transaction() as db:
        user = auth_service.register_user(
            db,
            hasher=services.hasher,
            email="lager@firma.test",
            full_name="Lager",
            password=PASSWORD,
            roles=frozenset({Role.warehouse}),
        )
        article = service.create_article(db, actor=user, values=article_values())
        store = service.create_warehouse(db, actor=user, values={"code": "A", "name": "A"})
        other = service.create_warehouse(db, actor=user, values={"code": "B", "name": "B"})
        ledger.receive(
            db,
            article_id=article.id,
            warehouse_id=store.id,
            quantity=5,
            unit_cost=Decimal("1.00"),
            reference="EB",
            actor=user,
        )
        ids = (article.id, store.id, other.id)
    with services.database.transaction(write=False) as db:
        before = snapshot(db)
    monkeypatch.setattr(ledger, "_after_level_write", crash)
    with pytest.raises(Crash), services.database.transaction() as db:
        OPERATIONS[name](db, user, *ids)
    with services.database.transaction(write=False) as db:
        assert snapshot(db) == before
